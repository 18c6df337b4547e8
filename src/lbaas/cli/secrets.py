"""`lbaas secret`: certificates for HTTPS listeners, in the service's Barbican-compatible store.

`lbaas secret create NAME --certificate cert.pem --private-key key.pem` stores each PEM as a
secret and groups them in a certificate container; its `container_ref` is what a listener's
`--default-tls-container-ref` (or `--sni-container-refs`) takes. `list`, `show` and `delete`
name containers by name or ref; `delete` removes the container's secrets with it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from lbaas.cli.client import ApiClient, CliError
from lbaas.cli.common import ColumnOpt, DetailsOpt, FormatOpt, TokenOpt, UrlOpt, act
from lbaas.cli.output import Format, say, show_one
from lbaas.cli.resource import show_list

app = typer.Typer(help="Certificates and keys for HTTPS listeners (v2; stored as Barbican does).",
                  no_args_is_help=True)
CONTAINERS = "/v1/containers"
COLUMNS = ("name", "container_ref", "created")
PARTS = (("certificate", "--certificate"), ("private_key", "--private-key"),
         ("intermediates", "--intermediates"), ("private_key_passphrase", "--passphrase-file"))
SecretArg = Annotated[str, typer.Argument(metavar="SECRET", help="The secret (name or ref)")]
PemOpt = Annotated[Path | None, typer.Option(metavar="FILE", help="A PEM file")]


def _pem(path: Path | None, flag: str) -> str:
    assert path is not None
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"{flag} {path}: cannot read it ({exc})") from None
    if flag != "--passphrase-file" and "-----BEGIN " not in text:
        raise CliError(f"{flag} {path}: not a PEM file (no -----BEGIN line)")
    return text.strip() if flag == "--passphrase-file" else text


def _containers(api: ApiClient, name: str | None = None) -> list[dict[str, Any]]:
    params = {"limit": 100, **({"name": name} if name else {})}
    found: list[dict[str, Any]] = api.get_key(CONTAINERS, "containers", params=params)
    return found


def _find(api: ApiClient, secret: str) -> dict[str, Any]:
    """A container by its ref (or the id in it), else by its name."""
    tail = secret.rstrip("/").rsplit("/", 1)[-1]
    if "/" in secret or len(tail) == 36:
        found: dict[str, Any] = api.get(f"{CONTAINERS}/{tail}")
        return found
    named = _containers(api, secret)
    if len(named) > 1:
        raise CliError(f"Multiple secrets are named '{secret}': use a ref to be more specific.")
    if not named:
        raise CliError(f"Unable to find secret with name or ref '{secret}'")
    return named[0]


def _path(ref: str) -> str:
    kind, _, object_id = ref.rstrip("/").rpartition("/")
    return f"/v1/{kind.rsplit('/', 1)[-1]}/{object_id}"


@app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="A name for it")],
    certificate: Annotated[Path, typer.Option("--certificate", metavar="FILE",
                                              help="The certificate (PEM)")],
    private_key: Annotated[Path | None, typer.Option(
        "--private-key", metavar="FILE", help="Its private key (PEM)")] = None,
    intermediates: Annotated[Path | None, typer.Option(
        "--intermediates", metavar="FILE", help="The chain up to the CA (PEM)")] = None,
    passphrase_file: Annotated[Path | None, typer.Option(
        "--passphrase-file", metavar="FILE", help="The private key's passphrase")] = None,
    url: UrlOpt = None, token: TokenOpt = None, fmt: FormatOpt = Format.table,
    column: ColumnOpt = None,
) -> None:
    """Store a certificate and its key: the container_ref is the listener's TLS ref."""
    files = dict(zip((p for p, _ in PARTS),
                     (certificate, private_key, intermediates, passphrase_file), strict=True))

    def action(api: ApiClient) -> dict[str, Any]:
        texts = {part: _pem(files[part], flag) for part, flag in PARTS if files[part]}
        if "private_key_passphrase" in texts and "private_key" not in texts:
            raise CliError("--passphrase-file needs --private-key")
        refs: list[dict[str, str]] = []
        try:
            for part, text in texts.items():
                made = api.post("/v1/secrets", {
                    "name": f"{name}-{part}", "payload": text,
                    "payload_content_type": "text/plain",
                    "secret_type": "passphrase" if part == "private_key_passphrase" else
                    "private" if part == "private_key" else "certificate"})
                refs.append({"name": part, "secret_ref": api.key_of(made, "secret_ref",
                                                                    "POST /v1/secrets")})
            made = api.post(CONTAINERS, {"name": name, "type": "certificate",
                                         "secret_refs": refs})
        except CliError:
            for ref in refs:  # nothing half made stays behind
                api.delete(_path(ref["secret_ref"]))
            raise
        return _find(api, api.key_of(made, "container_ref", f"POST {CONTAINERS}"))

    made = act(url, token, action)
    say("Created a new secret:", fmt)
    show_one(made, fmt, column)


@app.command("list")
def list_(
    url: UrlOpt = None, token: TokenOpt = None, fmt: FormatOpt = Format.table,
    column: ColumnOpt = None, details: DetailsOpt = False,
) -> None:
    """List secrets (certificate containers)."""
    show_list(act(url, token, _containers), COLUMNS, fmt, column, details)


@app.command("show")
def show(
    secret: SecretArg,
    url: UrlOpt = None, token: TokenOpt = None, fmt: FormatOpt = Format.table,
    column: ColumnOpt = None,
) -> None:
    """Show a secret: its container_ref and the secrets in it."""
    show_one(act(url, token, lambda api: _find(api, secret)), fmt, column)


REF_FIELDS = {
    "listeners": ("default_tls_container_ref", "sni_container_refs",
                  "client_ca_tls_container_ref", "client_crl_container_ref"),
    "pools": ("tls_container_ref", "ca_tls_container_ref", "crl_container_ref"),
}


def _users(api: ApiClient, container: dict[str, Any]) -> list[str]:
    """The v2 listeners and pools whose certificate refs name this container."""
    wanted = container["container_ref"].rstrip("/").rsplit("/", 1)[-1]
    users = []
    for plural, fields in REF_FIELDS.items():
        for item in api.get_key(f"/v2.0/lbaas/{plural}", plural):
            refs = [item.get(f) for f in fields]
            flat = [x for ref in refs for x in (ref if isinstance(ref, list) else [ref]) if x]
            if any(str(ref).rstrip("/").endswith(wanted) for ref in flat):
                users.append(f"{plural[:-1]} {item.get('name') or item['id']}")
    return users


@app.command("delete")
def delete(
    secrets: Annotated[list[str], typer.Argument(metavar="SECRET...",
                                                 help="The secrets (each name or ref)")],
    force: Annotated[bool, typer.Option(
        "--force", help="Delete it even if a listener or pool uses it")] = False,
    url: UrlOpt = None, token: TokenOpt = None,
) -> None:
    """Delete secrets: each container and the certificate and key in it."""
    def action(api: ApiClient) -> None:
        found = [_find(api, secret) for secret in secrets]  # all exist, or nothing goes
        for secret, container in zip(secrets, found, strict=True):
            users = [] if force else _users(api, container)
            if users:
                raise CliError(f"Secret {secret} is in use by {', '.join(users)}: change or "
                               "delete those first, or pass --force")
        for secret, container in zip(secrets, found, strict=True):
            api.delete(_path(container["container_ref"]))
            for item in container.get("secret_refs") or []:
                api.delete(_path(item["secret_ref"]))
            say(f"Deleted secret: {secret}")

    act(url, token, action)

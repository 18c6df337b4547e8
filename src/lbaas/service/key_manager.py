"""Refs to another Barbican (a `key-manager` that is not our own store), read with the caller's
Keystone token as Octavia does.

Only refs under a key manager lbaas knows are ever fetched: the `barbican_urls` setting, and
with Keystone the `key-manager` endpoints of its catalog. Any other ref is looked up in our own
store by id and never leaves this process, so a ref cannot make the API call an arbitrary host.
A container's own secret refs must be under the same key manager.

    match_remote(ref, endpoints)     the RemoteRef a ref names under a known key manager, or None
    RemoteKeyManager.certificate()   a container (certificate, private_key, intermediates,
                                     private_key_passphrase) or one secret (PEM or PKCS#12)
    RemoteKeyManager.secret()        one secret's payload (a CA bundle, a CRL)

Errors name the field and the ref: 400 (`InvalidCertificate`) for a ref the key manager does
not find or will not show this token, 503 (`ServiceUnavailable`) when it cannot be reached or
fails.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpx
from keystoneauth1 import exceptions as ks_exceptions

from lbaas.errors import InvalidCertificate, ServiceUnavailable
from lbaas.service.certificates import CertificateParts, pkcs12_parts

_PATH = re.compile(r"^/v1/(secrets|containers)/([0-9a-fA-F-]{36})/?$")
log = logging.getLogger(__name__)
MAX_PAYLOAD = 256 * 1024  # bytes of one payload or container document


@dataclass(frozen=True)
class RemoteRef:
    endpoint: str  # the key manager's base URL, as normalised by `endpoint_base`
    kind: str  # "secrets" or "containers"
    id: str

    @property
    def url(self) -> str:
        return f"{self.endpoint}/v1/{self.kind}/{self.id}"


def endpoint_base(url: str) -> str:
    """A key manager's URL without a trailing slash or `/v1`, scheme and host lower-case."""
    parsed = httpx.URL(url.strip())
    path = parsed.path.rstrip("/")
    if path.endswith("/v1"):
        path = path[: -len("/v1")]
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme.lower()}://{parsed.host.lower()}{port}{path}"


def match_remote(ref: str, endpoints: Iterable[str]) -> RemoteRef | None:
    """The remote secret or container `ref` names, if it is under one of `endpoints`."""
    if not isinstance(ref, str) or len(ref) > 1024 or "://" not in ref:
        return None
    try:
        parsed = httpx.URL(ref.strip())
    except httpx.InvalidURL:
        return None
    if parsed.query or parsed.fragment or parsed.userinfo:
        return None
    for endpoint in endpoints:
        base = httpx.URL(endpoint)
        if (parsed.scheme.lower(), parsed.host.lower(), parsed.port) != (
                base.scheme, base.host, base.port):
            continue
        prefix = base.path.rstrip("/")
        if not parsed.path.startswith(prefix + "/"):
            continue
        found = _PATH.match(parsed.path[len(prefix):])
        if found:
            return RemoteRef(endpoint, found.group(1), str(uuid.UUID(found.group(2))))
    return None


@dataclass(frozen=True)
class RemoteKeyManager:
    """The key managers lbaas may read, and the caller's Keystone token to read them with
    (None when the caller has none: then every remote ref is refused)."""

    endpoints: tuple[str, ...]
    token: str | None
    timeout: float = 10.0

    def match(self, ref: str) -> RemoteRef | None:
        return match_remote(ref, self.endpoints)

    def certificate(self, ref: RemoteRef, *, field: str) -> CertificateParts:
        """The parts of a certificate container, or of one secret holding PEM or PKCS#12."""
        with self._client(ref, field) as client:
            if ref.kind == "secrets":
                payload = self._payload(client, ref, field)
                if b"-----BEGIN" in payload:
                    return CertificateParts(certificate=payload, private_key=payload)
                return pkcs12_parts(payload, field)
            named = self._container(client, ref, field)
            opened = {name: self._payload(client, secret, field)
                      for name, secret in named.items()}
        if "certificate" not in opened:
            raise InvalidCertificate(f"{field}: the container {ref.url} has no 'certificate'")
        return CertificateParts(
            certificate=opened["certificate"], private_key=opened.get("private_key"),
            intermediates=opened.get("intermediates"),
            passphrase=opened.get("private_key_passphrase"))

    def secret(self, ref: RemoteRef, *, field: str) -> bytes:
        """The payload of one secret (a container here is a 400)."""
        if ref.kind != "secrets":
            raise InvalidCertificate(f"{field}: {ref.url} names a container; it takes a "
                                     "secret of PEM data")
        with self._client(ref, field) as client:
            return self._payload(client, ref, field)

    # -- HTTP -----------------------------------------------------------------------------------

    def _client(self, ref: RemoteRef, field: str) -> httpx.Client:
        if not self.token:
            raise InvalidCertificate(
                f"{field}: {ref.url} is in another key manager, read with the caller's "
                "Keystone token, and this request has none (a Keystone token is needed)")
        return httpx.Client(timeout=self.timeout, follow_redirects=False,
                            headers={"X-Auth-Token": self.token, "User-Agent": "lbaas"})

    def _container(self, client: httpx.Client, ref: RemoteRef, field: str
                   ) -> dict[str, RemoteRef]:
        body = self._json(client, ref, ref.url, field)
        names: dict[str, RemoteRef] = {}
        items = body.get("secret_refs") if isinstance(body, dict) else None
        for item in items if isinstance(items, list) else ():
            if not isinstance(item, dict):
                continue
            name, inner = item.get("name"), item.get("secret_ref")
            if name not in ("certificate", "private_key", "intermediates",
                            "private_key_passphrase"):
                continue
            found = match_remote(str(inner), [ref.endpoint])
            if found is None or found.kind != "secrets":
                raise InvalidCertificate(f"{field}: the container {ref.url} names a secret "
                                         "outside its key manager")
            names[str(name)] = found
        return names

    def _payload(self, client: httpx.Client, ref: RemoteRef, field: str) -> bytes:
        types = self._json(client, ref, ref.url, field).get("content_types")
        accept = types.get("default") if isinstance(types, dict) else None
        accept = accept or "application/octet-stream"
        return self._get(client, ref, ref.url + "/payload", field, accept=str(accept)).content

    def _json(self, client: httpx.Client, ref: RemoteRef, url: str, field: str
              ) -> dict[str, Any]:
        try:
            body = self._get(client, ref, url, field, accept="application/json").json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise ServiceUnavailable(f"{field}: the key manager at {ref.endpoint} answered "
                                     f"{url} with something that is not Barbican's JSON")
        return body

    def _get(self, client: httpx.Client, ref: RemoteRef, url: str, field: str, *,
             accept: str) -> httpx.Response:
        try:
            response = client.get(url, headers={"Accept": accept})
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(
                f"{field}: the key manager at {ref.endpoint} cannot be reached "
                f"({type(exc).__name__}); try again later") from exc
        if response.status_code >= 500:
            raise ServiceUnavailable(f"{field}: the key manager at {ref.endpoint} failed "
                                     f"(HTTP {response.status_code}); try again later")
        if response.status_code in (401, 403, 404):
            raise InvalidCertificate(f"{field}: {ref.url} is not found in its key manager, or "
                                     f"this token may not read it (HTTP {response.status_code})")
        if response.status_code != 200 or len(response.content) > MAX_PAYLOAD:
            raise InvalidCertificate(f"{field}: {ref.url}: the key manager answered HTTP "
                                     f"{response.status_code} with {len(response.content)} "
                                     "bytes")
        return response


def configured(urls: Iterable[str], ours: Iterable[str] = ()) -> tuple[str, ...]:
    """The normalised endpoints of the `barbican_urls` setting and the catalog, each once,
    without those served by this service itself (`ours`: its own base URLs), whose refs are
    our own store's."""
    own = {_origin(u) for u in ours if u}
    return tuple(dict.fromkeys(endpoint_base(u) for u in urls if u and _origin(u) not in own))


def catalog_urls(catalog: Any, service_type: str) -> list[str]:
    """The URLs of every endpoint of one service type in a Keystone v3 catalog."""
    found: list[str] = []
    for service in catalog or ():
        if isinstance(service, dict) and service.get("type") == service_type:
            found += [str(e["url"]) for e in service.get("endpoints") or ()
                      if isinstance(e, dict) and e.get("url")]
    return found


def catalog_key_managers(session: Any) -> list[str]:
    """The `key-manager` endpoints of the catalog lbaas's own Keystone session sees (the token
    and its catalog are cached by keystoneauth), less any on the origin of a `load-balancer`
    endpoint: that one is our own store. Keystone unreachable: none (refs are then local)."""
    try:
        catalog = session.auth.get_access(session).service_catalog.catalog
    except ks_exceptions.ClientException as exc:
        log.warning("the catalog's key-manager endpoints are unknown: %s", exc)
        return []
    ours = {_origin(u) for u in catalog_urls(catalog, "load-balancer")}
    return [u for u in catalog_urls(catalog, "key-manager") if _origin(u) not in ours]


def _origin(url: str) -> tuple[str, str, int | None]:
    parsed = httpx.URL(url.strip())
    return parsed.scheme.lower(), parsed.host.lower(), parsed.port

"""Certificates, keys, CAs and CRLs of a load balancer as files HAProxy reads.

Each `CertificateSpec` becomes `<state dir>/<lb>/certs/<id>-<digest>.pem` (0600, in a 0700
directory); each TERMINATED_HTTPS listener a crt-list naming its default certificate first, then
its SNI certificates. A file's name carries a digest of its content, so new content is a new
name: a rotated certificate changes the configuration and goes in by a checked, seamless
reload, while the running HAProxy keeps the files it read until then. PEM text is never logged
and never kept in `applied.json` (see `redacted`).
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from lbaas.domain.spec import CertificateSpec, ListenerSpec, LoadBalancerSpec
from lbaas.drivers.haproxy import validate
from lbaas.drivers.haproxy.errors import UnsafeConfigValue
from lbaas.drivers.haproxy.paths import StatePaths

MAX_PEM = 256 * 1024
_PEM_LINE = re.compile(r"-----(BEGIN|END) [A-Z0-9 ]{1,64}-----|[A-Za-z0-9+/=]{0,128}")
_REDACTED = re.compile(r"sha256:[0-9a-f]{64}")


def content_digest(certificate: CertificateSpec) -> str:
    """The digest a certificate's files are named by (of its PEM, or kept from a redaction)."""
    if _REDACTED.fullmatch(certificate.pem):
        return certificate.pem.removeprefix("sha256:")
    return hashlib.sha256(certificate.pem.encode()).hexdigest()


def redacted(spec: LoadBalancerSpec) -> LoadBalancerSpec:
    """The spec with each PEM replaced by its digest: what may be written down or compared."""
    if not spec.certificates:
        return spec
    certificates = tuple(
        c.model_copy(update={"pem": f"sha256:{content_digest(c)}"}) for c in spec.certificates
    )
    return spec.model_copy(update={"certificates": certificates})


def certificate_path(spec: LoadBalancerSpec, paths: StatePaths, certificate_id: str) -> str:
    """The file of one certificate of the spec, as the configuration names it."""
    certificate = _find(spec, certificate_id)
    name = validate.check_id("certificate id", certificate.id)
    name = f"{name}-{content_digest(certificate)[:16]}"
    return validate.check_path("certificate", str(paths.certificates / f"{name}.pem"))


def crt_list_path(spec: LoadBalancerSpec, paths: StatePaths, listener: ListenerSpec) -> str:
    """The crt-list of a TERMINATED_HTTPS listener, named by the listener and its content."""
    digest = hashlib.sha256(crt_list(spec, paths, listener).encode()).hexdigest()[:16]
    name = f"{validate.check_id('listener id', listener.id)}-{digest}.crtlist"
    return validate.check_path("crt-list", str(paths.certificates / name))


def crt_list(spec: LoadBalancerSpec, paths: StatePaths, listener: ListenerSpec) -> str:
    """One line per certificate: the default first (HAProxy's answer without a matching SNI),
    then the SNI ones, each serving the names in its own certificate."""
    if listener.tls is None:
        raise UnsafeConfigValue("tls", None, "a TERMINATED_HTTPS listener needs a certificate")
    ids = [listener.tls.default_certificate_id, *listener.tls.sni_certificate_ids]
    return "".join(f"{certificate_path(spec, paths, i)}\n" for i in dict.fromkeys(ids))


def certificate_files(spec: LoadBalancerSpec, paths: StatePaths) -> dict[Path, str]:
    """Every file the configuration of `spec` reads: path -> content (PEMs checked)."""
    files = {
        Path(certificate_path(spec, paths, c.id)): check_pem(c) for c in spec.certificates
    }
    for listener in spec.listeners:
        if listener.protocol == "TERMINATED_HTTPS":
            files[Path(crt_list_path(spec, paths, listener))] = crt_list(spec, paths, listener)
    return files


def check_pem(certificate: CertificateSpec) -> str:
    """PEM blocks only: BEGIN/END lines and base64; refused without echoing the content."""
    text = certificate.pem
    lines = text.strip().splitlines()
    if (len(text) > MAX_PEM or not lines or not lines[0].startswith("-----BEGIN ")
            or not all(_PEM_LINE.fullmatch(line) for line in lines)):
        raise UnsafeConfigValue(f"certificate {certificate.id}", "(not shown)", "PEM blocks")
    return text.strip() + "\n"


def write_certificate_files(directory: Path, files: dict[Path, str]) -> None:
    """Write the files that are not there yet, each 0600 and whole (renamed into place)."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    for path, content in files.items():
        if path.exists():
            continue  # named by digest: the same name is the same content
        partial = path.with_name(path.name + ".tmp")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(content)
        os.replace(partial, path)


def prune_certificate_files(directory: Path, keep: set[Path]) -> None:
    """Remove the files of certificates no longer used, once a configuration without them runs."""
    if not directory.is_dir():
        return
    for path in directory.iterdir():
        if path not in keep:
            path.unlink(missing_ok=True)


def _find(spec: LoadBalancerSpec, certificate_id: str) -> CertificateSpec:
    found = next((c for c in spec.certificates if c.id == certificate_id), None)
    if found is None:
        raise UnsafeConfigValue("certificate", certificate_id, "a certificate of this spec")
    return found

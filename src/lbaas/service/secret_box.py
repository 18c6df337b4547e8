"""Secret payloads encrypted at rest: AES-256-GCM with a key kept in a file.

The key file holds 32 random bytes, base64-encoded. It is created (mode 0600, linked into place,
so two servers starting at once agree on one key) the first time a payload is sealed; API
servers that share a database must be given the same file (`secret_key_file`). Each sealed
payload is `version byte + 12-byte nonce + ciphertext`, and the secret's id and project are the
associated data, so a ciphertext copied into another row (another project's) does not open.

Payloads and the key never reach a log line or an error message.
"""

from __future__ import annotations

import base64
import binascii
import os
import threading
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from lbaas.errors import LbaasError

VERSION = b"\x01"
NONCE_BYTES = 12


class SecretKeyError(LbaasError):
    """The key file is missing, unreadable, too open or not a key; or a payload does not open
    with it (a different key file than the one it was sealed with). A 500: the service's setup."""


class SecretBox:
    """Seals and opens payloads with the key in `key_file` (read once, created when missing)."""

    def __init__(self, key_file: Path) -> None:
        self.key_file = key_file
        self._key: bytes | None = None
        self._lock = threading.Lock()

    def seal(self, payload: bytes, *, secret_id: str, project_id: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self._load(create=True)).encrypt(
            nonce, payload, _bound(secret_id, project_id))
        return VERSION + nonce + sealed

    def open(self, sealed: bytes, *, secret_id: str, project_id: str) -> bytes:
        if sealed[:1] != VERSION or len(sealed) < 1 + NONCE_BYTES + 16:
            raise SecretKeyError(f"secret {secret_id} is stored in an unknown format")
        nonce, body = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
        try:
            return AESGCM(self._load(create=False)).decrypt(
                nonce, body, _bound(secret_id, project_id))
        except InvalidTag as exc:
            raise SecretKeyError(
                f"secret {secret_id} does not decrypt with the key in {self.key_file} (was it "
                "stored with another key file?)") from exc

    def _load(self, *, create: bool) -> bytes:
        with self._lock:
            if self._key is None:
                self._key = _read_key(self.key_file, create=create)
            return self._key


def _bound(secret_id: str, project_id: str) -> bytes:
    return f"{secret_id}\0{project_id}".encode()


def _read_key(path: Path, *, create: bool) -> bytes:
    if create and not path.exists():
        _create_key(path)
    try:
        if path.stat().st_mode & 0o077:
            raise SecretKeyError(
                f"the secret key file {path} may be read by others: chmod 600 it")
        key = base64.b64decode(path.read_bytes().strip(), validate=True)
    except FileNotFoundError as exc:
        raise SecretKeyError(f"the secret key file {path} does not exist") from exc
    except OSError as exc:
        raise SecretKeyError(f"the secret key file {path} cannot be read: {exc.strerror}") from exc
    except binascii.Error as exc:
        raise SecretKeyError(f"the secret key file {path} does not hold a base64 key") from exc
    if len(key) != 32:
        raise SecretKeyError(f"the secret key file {path} does not hold a 32-byte key")
    return key


def _create_key(path: Path) -> None:
    """Write a new key beside `path`, then link it into place: a server that reads the file
    never sees half a key, and of two servers creating it at once one key wins."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(base64.b64encode(AESGCM.generate_key(bit_length=256)) + b"\n")
            f.flush()
            os.fsync(f.fileno())
        os.link(scratch, path)
    except FileExistsError:
        pass  # another server made it first: use theirs
    finally:
        scratch.unlink(missing_ok=True)

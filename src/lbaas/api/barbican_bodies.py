"""The Barbican-compatible API's request bodies checked, and its objects shown, as Barbican's
API and python-barbicanclient have them (refs are URLs to this service)."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Any

from lbaas.errors import BadRequest, PayloadTooLarge
from lbaas.service.secrets import CERTIFICATE_NAMES, NewSecret, parse_ref
from lbaas.storage.models import Secret, SecretContainer, utcnow

SECRET_TYPES = ("symmetric", "passphrase", "private", "public", "certificate", "opaque")
TEXT_TYPES = ("text/plain", "text/plain;charset=utf-8")
BINARY_TYPES = ("application/octet-stream", "application/pkcs8")
SECRET_FIELDS = ("name", "algorithm", "mode", "bit_length", "expiration", "payload",
                 "payload_content_type", "payload_content_encoding", "secret_type",
                 "transport_key_needed", "transport_key_id")

_TEXT = {"type": ["string", "null"], "maxLength": 255}
SECRET_REQUEST = {
    "type": "object",
    "properties": {
        "name": _TEXT, "algorithm": _TEXT, "mode": _TEXT,
        "bit_length": {"type": ["integer", "null"], "minimum": 1, "maximum": 32767},
        "expiration": {"type": ["string", "null"], "format": "date-time"},
        "payload": {"type": "string", "minLength": 1},
        "payload_content_type": {"type": "string", "enum": [*TEXT_TYPES, *BINARY_TYPES]},
        "payload_content_encoding": {"type": ["string", "null"], "enum": ["base64", None]},
        "secret_type": {"type": "string", "enum": list(SECRET_TYPES)},
    },
    "required": ["payload", "payload_content_type"],
    "additionalProperties": False,
}
CONTAINER_REQUEST = {
    "type": "object",
    "properties": {
        "name": _TEXT,
        "type": {"type": "string", "enum": ["certificate"]},
        "secret_refs": {"type": "array", "maxItems": len(CERTIFICATE_NAMES), "items": {
            "type": "object",
            "properties": {"name": {"type": "string", "enum": list(CERTIFICATE_NAMES)},
                           "secret_ref": {"type": "string", "minLength": 1}},
            "required": ["name", "secret_ref"], "additionalProperties": False}},
    },
    "required": ["type", "secret_refs"],
    "additionalProperties": False,
}


def request_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True,
                            "content": {"application/json": {"schema": schema}}}}


# -- secrets ------------------------------------------------------------------------------------


def new_secret(body: Any, max_bytes: int) -> NewSecret:
    """A POST /v1/secrets body, checked: a clear 400 (413 for a huge payload) naming the field."""
    data = _object(body, SECRET_FIELDS)
    if data.get("transport_key_needed") not in (None, "false") or "transport_key_id" in data:
        raise BadRequest("Transport keys are not supported: send the payload itself")
    secret_type = data.get("secret_type", "opaque")
    if secret_type not in SECRET_TYPES:
        raise BadRequest(f"secret_type must be one of {', '.join(SECRET_TYPES)}")
    bit_length = data.get("bit_length")
    if bit_length is not None and (type(bit_length) is not int or not 1 <= bit_length <= 32767):
        raise BadRequest("bit_length must be an integer from 1 to 32767")
    payload, content_type = _payload(data, max_bytes)
    return NewSecret(
        payload=payload, content_type=content_type, name=_text(data, "name"),
        secret_type=secret_type, algorithm=_text(data, "algorithm"), mode=_text(data, "mode"),
        bit_length=bit_length, expiration=_expiration(data.get("expiration")))


def _payload(data: dict[str, Any], max_bytes: int) -> tuple[bytes, str]:
    raw = data.get("payload")
    if raw is None:
        raise BadRequest("payload is required (secrets without one, filled later by PUT, are "
                         "not supported)")
    if not isinstance(raw, str):
        raise BadRequest("payload must be a string")
    content_type = data.get("payload_content_type")
    if not isinstance(content_type, str):
        raise BadRequest("If 'payload' is supplied, 'payload_content_type' must also be "
                         "supplied.")
    normal = content_type.replace(" ", "").lower()
    encoding = data.get("payload_content_encoding")
    if normal in TEXT_TYPES:
        if encoding is not None:
            raise BadRequest("payload_content_encoding must not be given for text/plain")
        payload, content_type = _utf8(raw.strip(), "payload"), "text/plain"
    elif normal in BINARY_TYPES:
        if encoding != "base64":
            raise BadRequest(f"payload_content_encoding must be 'base64' for {normal}")
        payload, content_type = _base64(raw.strip()), normal
    else:
        raise BadRequest("payload_content_type is not one of "
                         f"{', '.join((*TEXT_TYPES, *BINARY_TYPES))}")
    if not payload.strip():
        raise BadRequest("If 'payload' specified, must be non empty")
    if len(payload) > max_bytes:
        raise PayloadTooLarge(f"The secret payload is larger than the limit of {max_bytes} "
                              "bytes")
    return payload, content_type


def _base64(text: str) -> bytes:
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadRequest("payload is not valid base64 (payload_content_encoding is base64)") \
            from exc


def _expiration(raw: Any) -> datetime | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        moment = datetime.fromisoformat(raw.strip()) if isinstance(raw, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise BadRequest("Invalid date for 'expiration': an ISO 8601 time")
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    if moment <= utcnow():
        raise BadRequest("'expiration' is before current time")
    return moment


# -- containers ---------------------------------------------------------------------------------


def new_container(body: Any) -> tuple[str | None, dict[str, str]]:
    """A POST /v1/containers body, checked: (name, secret name → secret id)."""
    data = _object(body, ("name", "type", "secret_refs"))
    if data.get("type") != "certificate":
        raise BadRequest("type must be 'certificate' (generic and rsa containers are not "
                         "supported)")
    items = data.get("secret_refs")
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise BadRequest("secret_refs must be a list of {\"name\", \"secret_ref\"} objects")
    refs: dict[str, str] = {}
    for item in items:
        name, ref = item.get("name"), item.get("secret_ref")
        if set(item) - {"name", "secret_ref"}:
            raise BadRequest("each of secret_refs has only 'name' and 'secret_ref'")
        if name not in CERTIFICATE_NAMES:
            raise BadRequest(f"only {', '.join(repr(n) for n in CERTIFICATE_NAMES)} reference "
                             "names are allowed for Certificate type")
        if name in refs:
            raise BadRequest("Duplicate reference names are not allowed")
        parsed = parse_ref(ref) if isinstance(ref, str) else None
        if parsed is None or parsed.kind not in ("secrets", ""):
            raise BadRequest(f"secret_ref of '{name}' is not a secret reference (a URL ending "
                             "in /v1/secrets/<id>)")
        refs[name] = parsed.id
    if "certificate" not in refs:
        raise BadRequest("The minimum required reference name is 'certificate' for "
                         "Certificate type")
    if len(set(refs.values())) != len(refs):
        raise BadRequest("Duplicate secret ids are not allowed")
    return _text(data, "name"), refs


# -- shared -------------------------------------------------------------------------------------


def _object(body: Any, known: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object")
    unknown = sorted(str(k) for k in body if k not in known)
    if unknown:
        raise BadRequest(f"Unrecognized attribute(s) '{', '.join(unknown)[:200]}'")
    return {k: v for k, v in body.items() if v is not None}


def _text(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 255:
        raise BadRequest(f"{name} must be a string of at most 255 characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise BadRequest(f"{name} must not hold control characters")
    _utf8(value, name)
    return value.strip() or None


def _utf8(text: str, name: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate ("\ud800") is valid JSON, not text
        raise BadRequest(f"{name} is not valid Unicode text") from exc


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def secret_view(secret: Secret, base: str) -> dict[str, Any]:
    return {
        "secret_ref": f"{base}/v1/secrets/{secret.id}",
        "name": secret.name, "secret_type": secret.secret_type,
        "expiration": _time(secret.expiration), "algorithm": secret.algorithm,
        "bit_length": secret.bit_length, "mode": secret.mode, "creator_id": secret.creator_id,
        "status": "ACTIVE", "created": _time(secret.created_at),
        "updated": _time(secret.updated_at),
        "content_types": {"default": secret.content_type},
    }


def container_view(container: SecretContainer, base: str) -> dict[str, Any]:
    return {
        "container_ref": f"{base}/v1/containers/{container.id}",
        "name": container.name, "type": container.type, "status": "ACTIVE",
        "creator_id": container.creator_id, "created": _time(container.created_at),
        "updated": _time(container.updated_at), "consumers": [],
        "secret_refs": [{"name": item.name, "secret_ref": f"{base}/v1/secrets/{item.secret_id}"}
                        for item in container.secrets],
    }

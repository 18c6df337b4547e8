"""A Barbican-compatible subset on the same server: `/v1/secrets` (with `/payload`) and
`/v1/containers` of type `certificate`, per project, for TERMINATED_HTTPS listeners and pool
re-encryption. Errors take Barbican's body (`code`, `title`, `description`: see api/errors.py).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from lbaas.api import barbican_bodies as b
from lbaas.api.deps import BodyDep, ContextDep, QueryDep, SecretBoxDep, SettingsDep, StoreDep
from lbaas.errors import NotAcceptable
from lbaas.service import secrets

router = APIRouter()
TAGS: list[str | Any] = ["key-manager"]
MAX_LIMIT = 100


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _paging(query: list[tuple[str, str]]) -> tuple[int, int, dict[str, str]]:
    """offset, limit (as Barbican: a value that is no number is the default) and filters."""
    params = dict(query)
    offset = int(params["offset"]) if params.get("offset", "").isdigit() else 0
    limit = int(params["limit"]) if params.get("limit", "").isdigit() else 10
    return offset, min(limit, MAX_LIMIT), params


def _listing(kind: str, items: list[dict[str, Any]], total: int, offset: int, limit: int,
             base: str) -> dict[str, Any]:
    body: dict[str, Any] = {kind: items, "total": total}
    if offset > 0:
        body["previous"] = f"{base}/v1/{kind}?limit={limit}&offset={max(0, offset - limit)}"
    if total > offset + limit:
        body["next"] = f"{base}/v1/{kind}?limit={limit}&offset={offset + limit}"
    return body


@router.get("/v1", tags=TAGS, operation_id="show_key_manager_version", include_in_schema=False)
def version(request: Request) -> dict[str, Any]:
    """The version document barbicanclient reads before its first request (no token)."""
    return {"version": {
        "id": "v1", "status": "CURRENT", "min_version": "1.0", "max_version": "1.0",
        "links": [{"rel": "self", "href": f"{_base(request)}/v1/"}]}}


@router.post("/v1/secrets", tags=TAGS, status_code=201, operation_id="create_secret",
             openapi_extra=b.request_body(b.SECRET_REQUEST))
def create_secret(request: Request, body: BodyDep, store: StoreDep, settings: SettingsDep,
                  ctx: ContextDep, box: SecretBoxDep) -> JSONResponse:
    """Store a secret: a PEM text (text/plain) or base64 binary such as PKCS12."""
    new = b.new_secret(body, settings.max_secret_bytes)
    with store.side_write() as session:
        secret_id = secrets.create_secret(session, box, settings, ctx, new).id
    ref = f"{_base(request)}/v1/secrets/{secret_id}"
    return JSONResponse({"secret_ref": ref}, status_code=201, headers={"Location": ref})


@router.get("/v1/secrets", tags=TAGS, operation_id="list_secrets")
def list_secrets(request: Request, store: StoreDep, ctx: ContextDep, query: QueryDep
                 ) -> dict[str, Any]:
    offset, limit, params = _paging(query)
    with store.read() as session:
        found, total = secrets.list_secrets(
            session, ctx, offset=offset, limit=limit, name=params.get("name"),
            secret_type=params.get("secret_type"))
        items = [b.secret_view(s, _base(request)) for s in found]
    return _listing("secrets", items, total, offset, limit, _base(request))


@router.get("/v1/secrets/{secret_id}", tags=TAGS, operation_id="show_secret")
def show_secret(secret_id: str, request: Request, store: StoreDep, ctx: ContextDep
                ) -> dict[str, Any]:
    with store.read() as session:
        return b.secret_view(secrets.get_secret(session, ctx, secret_id), _base(request))


@router.get("/v1/secrets/{secret_id}/payload", tags=TAGS, operation_id="show_secret_payload",
            response_class=Response)
def show_payload(secret_id: str, request: Request, store: StoreDep, ctx: ContextDep,
                 box: SecretBoxDep) -> Response:
    """The decrypted payload, as stored (text/plain, or the binary type)."""
    with store.read() as session:
        secret = secrets.read_payload(session, box, ctx, secret_id)
        payload, stored = secrets.secret_payload(box, secret), secret.content_type
    accept = request.headers.get("accept")
    return Response(payload, media_type=_content_type(accept, stored, payload))


def _content_type(accept: str | None, stored: str, payload: bytes) -> str:
    """The type to answer for this Accept, as Barbican: the stored one for any; raw bytes for
    a binary type; text for text/plain when the payload is UTF-8."""
    wanted = (accept or "*/*").split(",")[0].split(";")[0].strip().lower()
    if wanted in ("", "*/*"):
        return stored
    if wanted in ("application/octet-stream", "application/pkcs8"):
        return wanted
    if wanted == "text/plain":
        try:
            payload.decode("utf-8")
        except UnicodeDecodeError:
            raise NotAcceptable("This secret's payload is binary: ask for it as "
                                "application/octet-stream") from None
        return wanted
    raise NotAcceptable(f"Wrong payload content-type {wanted[:80]!r}: this secret is {stored}")


@router.delete("/v1/secrets/{secret_id}", tags=TAGS, status_code=204, response_class=Response,
               operation_id="delete_secret")
def delete_secret(secret_id: str, store: StoreDep, ctx: ContextDep) -> Response:
    with store.side_write() as session:
        secrets.delete_secret(session, ctx, secret_id)
    return Response(status_code=204)


@router.post("/v1/containers", tags=TAGS, status_code=201, operation_id="create_container",
             openapi_extra=b.request_body(b.CONTAINER_REQUEST))
def create_container(request: Request, body: BodyDep, store: StoreDep, settings: SettingsDep,
                     ctx: ContextDep) -> JSONResponse:
    """A certificate container: certificate, and optionally private_key, intermediates and
    private_key_passphrase, each a secret of the same project."""
    name, refs = b.new_container(body)
    with store.side_write() as session:
        container_id = secrets.create_container(
            session, settings, ctx, name=name, secret_refs=refs).id
    ref = f"{_base(request)}/v1/containers/{container_id}"
    return JSONResponse({"container_ref": ref}, status_code=201, headers={"Location": ref})


@router.get("/v1/containers", tags=TAGS, operation_id="list_containers")
def list_containers(request: Request, store: StoreDep, ctx: ContextDep, query: QueryDep
                    ) -> dict[str, Any]:
    offset, limit, params = _paging(query)
    with store.read() as session:
        found, total = secrets.list_containers(
            session, ctx, offset=offset, limit=limit, name=params.get("name"),
            type_=params.get("type"))
        items = [b.container_view(c, _base(request)) for c in found]
    return _listing("containers", items, total, offset, limit, _base(request))


@router.get("/v1/containers/{container_id}", tags=TAGS, operation_id="show_container")
def show_container(container_id: str, request: Request, store: StoreDep, ctx: ContextDep
                   ) -> dict[str, Any]:
    with store.read() as session:
        return b.container_view(secrets.get_container(session, ctx, container_id),
                                _base(request))


@router.delete("/v1/containers/{container_id}", tags=TAGS, status_code=204,
               response_class=Response, operation_id="delete_container")
def delete_container(container_id: str, store: StoreDep, ctx: ContextDep) -> Response:
    with store.side_write() as session:
        secrets.delete_container(session, ctx, container_id)
    return Response(status_code=204)

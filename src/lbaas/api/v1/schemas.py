"""OpenAPI schemas built from the attribute tables, so the document shows the real shapes."""

from __future__ import annotations

from typing import Any

from lbaas.api.v1.attributes import Resource


def object_schema(res: Resource) -> dict[str, Any]:
    props = {name: attr.schema or {} for name, attr in res.attrs.items()}
    return {"type": "object", "properties": props}


def request_schema(res: Resource, *, create: bool) -> dict[str, Any]:
    allowed = {
        name: {k: v for k, v in attr.schema.items() if k != "readOnly"}
        for name, attr in res.attrs.items()
        if (attr.post if create else attr.put)
    }
    inner: dict[str, Any] = {"type": "object", "properties": allowed, "additionalProperties": False}
    required = [n for n, a in res.attrs.items() if a.required] if create else []
    if required:
        inner["required"] = required
    body = {
        "type": "object",
        "properties": {res.singular: inner},
        "required": [res.singular],
        "additionalProperties": False,
    }
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": body}}}}


def single_schema(res: Resource) -> dict[str, Any]:
    return _response({"type": "object", "properties": {res.singular: object_schema(res)}})


def collection_schema(res: Resource) -> dict[str, Any]:
    items = {"type": "array", "items": object_schema(res)}
    return _response({"type": "object", "properties": {res.plural: items}})


def wrapped_schema(key: str, inner: dict[str, Any], status: int = 200) -> dict[str, Any]:
    """A response `{key: inner}` for answers that are not a table's object or list."""
    description = "Created" if status == 201 else "OK"
    body = {"type": "object", "properties": {key: inner}}
    return {"description": description, "content": {"application/json": {"schema": body}}}


STATS = {
    "type": "object",
    "properties": {
        name: {"type": "integer", "minimum": 0}
        for name in ("bytes_in", "bytes_out", "active_connections", "total_connections")
    },
}


def _response(schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": "OK", "content": {"application/json": {"schema": schema}}}

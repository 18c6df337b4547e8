"""Request bodies and query strings checked the way upstream Neutron checked them.

`prepare_body` turns `{"pool": {...}}` into a dict of converted, validated attributes (with
defaults on create), or raises BadRequest with upstream's wording. `list_view` applies the
`?attr=value` filters (repeated keys mean OR) and `?fields=` to a list of response dicts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from lbaas.api.v1 import validators as v
from lbaas.api.v1.attributes import Attr, Resource
from lbaas.errors import BadRequest, NotAuthorized, PayloadTooLarge, UnsupportedMediaType
from lbaas.service.context import Context


def parse_json(raw: bytes, content_type: str | None, max_bytes: int) -> Any:
    """The decoded JSON body, or a clear 4xx for an empty, huge, non-JSON or broken one."""
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"Request body is larger than the limit of {max_bytes} bytes")
    if not raw.strip():
        raise BadRequest("Resource body required", type="HTTPBadRequest")
    media = (content_type or "application/json").split(";")[0].strip().lower()
    if media not in ("application/json", "text/plain", "") and not media.endswith("+json"):
        raise UnsupportedMediaType(
            f"Unsupported Content-Type '{media}': send the body as application/json"
        )
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest(f"Malformed request body: {exc}", type="HTTPBadRequest") from exc
    except RecursionError as exc:  # absurdly deep nesting
        message = "Malformed request body: nested too deeply"
        raise BadRequest(message, type="HTTPBadRequest") from exc


def prepare_body(resource: Resource, body: Any, *, create: bool, ctx: Context) -> dict[str, Any]:
    """Check the root key and every attribute; on create fill in defaults and the tenant."""
    data = _unwrap(resource, body)
    _reject_unknown(resource, data)
    result: dict[str, Any] = {}
    for name, attr in resource.attrs.items():
        if name in data:
            _check_allowed(name, attr, create=create, ctx=ctx)
            result[name] = _convert(name, attr, data[name])
        elif create and attr.post:
            if attr.required:
                raise BadRequest(
                    f"Failed to parse request. Required attribute '{name}' not specified"
                )
            result[name] = attr.default
    if "tenant_id" in resource.attrs and create:
        result["tenant_id"] = _tenant(result.get("tenant_id"), ctx)
    return result


def _unwrap(resource: Resource, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BadRequest("Body contains invalid data", type="HTTPBadRequest")
    if resource.plural in body and resource.singular not in body:
        raise BadRequest("Bulk operation not supported", type="HTTPBadRequest")
    if resource.singular not in body:
        raise BadRequest(f"Unable to find '{resource.singular}' in request body")
    extra = set(body) - {resource.singular}
    if extra:
        raise BadRequest(f"Unrecognized attribute(s) '{', '.join(sorted(extra))}'")
    data = body[resource.singular]
    if not isinstance(data, dict):
        raise BadRequest(f"Invalid input: '{resource.singular}' must be an object")
    return data


def _reject_unknown(resource: Resource, data: dict[str, Any]) -> None:
    unknown = sorted(k for k in data if k not in resource.attrs)
    if unknown:
        raise BadRequest(f"Unrecognized attribute(s) '{', '.join(str(k) for k in unknown)}'")


def _check_allowed(name: str, attr: Attr, *, create: bool, ctx: Context) -> None:
    if create and not attr.post:
        raise BadRequest(f"Attribute '{name}' not allowed in POST")
    if not create and not attr.put:
        raise BadRequest(f"Cannot update read-only attribute {name}")
    if attr.admin_only and not ctx.is_admin:
        raise NotAuthorized(
            f"Only an admin may set attribute '{name}'", type="PolicyNotAuthorized"
        )


def _convert(name: str, attr: Attr, value: Any) -> Any:
    if value is None and attr.nullable:
        return None
    try:
        converted = attr.convert(value) if attr.convert else value
    except v.Invalid as exc:
        raise BadRequest(f"Invalid input for operation: {exc}.", type="InvalidInput") from exc
    reason = attr.validate(converted) if attr.validate else None
    if reason:
        raise BadRequest(f"Invalid input for {name}. Reason: {reason}.", type="InvalidInput")
    return converted


def _tenant(requested: str | None, ctx: Context) -> str:
    if requested in (None, "") or requested == ctx.project_id:
        return ctx.project_id
    if not ctx.is_admin:
        raise BadRequest(
            "Specifying 'tenant_id' other than authenticated tenant in request requires admin "
            "privileges"
        )
    return str(requested)


def list_view(
    resource: Resource, items: Iterable[dict[str, Any]], query: list[tuple[str, str]]
) -> list[dict[str, Any]]:
    """Filter by `?attr=value` (unknown keys ignored, as upstream) and keep only `?fields=`."""
    filters = _filters(resource, query)
    fields = [value for key, value in query if key == "fields" and value]
    selected = [item for item in items if _matches(item, filters)]
    return [select_fields(item, fields) for item in selected]


def select_fields(item: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    if not fields:
        return item
    return {k: item[k] for k in fields if k in item}


def show_fields(query: list[tuple[str, str]]) -> list[str]:
    return [value for key, value in query if key == "fields" and value]


def _filters(resource: Resource, query: list[tuple[str, str]]) -> dict[str, list[Any]]:
    filters: dict[str, list[Any]] = {}
    for key, raw in query:
        attr = resource.attrs.get(key)
        if key == "fields" or attr is None or raw == "":
            continue  # as upstream: unknown keys and empty values do not filter
        try:
            value = attr.convert(raw) if attr.convert and attr.convert is not v.to_list else raw
        except v.Invalid as exc:
            raise BadRequest(f"Invalid input for operation: {exc}.", type="InvalidInput") from exc
        filters.setdefault(key, []).append(value)
    return filters


def _matches(item: dict[str, Any], filters: dict[str, list[Any]]) -> bool:
    for key, wanted in filters.items():
        have = item.get(key)
        if isinstance(have, list):
            if not any(w in have for w in wanted):
                return False
        elif have not in wanted and str(have) not in [str(w) for w in wanted]:
            return False
    return True

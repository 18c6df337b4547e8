"""OpenAPI answers of the v2 routes: `{"<key>": {...}}` and `{"<keys>": [...], "<keys>_links"}`."""

from __future__ import annotations

from typing import Any

LINKS = {"type": "array", "items": {"type": "object", "properties": {
    "rel": {"type": "string"}, "href": {"type": "string"}}}}


def shape(**types: str) -> dict[str, Any]:
    """An object whose attributes have these JSON types."""
    return {"type": "object", "properties": {name: {"type": t} for name, t in types.items()}}


def _content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": "OK", "content": {"application/json": {"schema": schema}}}


def one(key: str, obj: dict[str, Any]) -> dict[str, Any]:
    return _content({"type": "object", "properties": {key: obj}, "required": [key]})


def many(key: str, obj: dict[str, Any], links: bool = True) -> dict[str, Any]:
    props: dict[str, Any] = {key: {"type": "array", "items": obj}}
    if links:
        props[f"{key}_links"] = LINKS
    return _content({"type": "object", "properties": props, "required": [key]})


FLAVOR = shape(id="string", name="string", description="string", enabled="boolean",
               flavor_profile_id="string")
FLAVOR_PROFILE = shape(id="string", name="string", provider_name="string",
                       flavor_data="string")
ZONE = shape(name="string", description="string", enabled="boolean",
             availability_zone_profile_id="string")
ZONE_PROFILE = shape(id="string", name="string", provider_name="string",
                     availability_zone_data="string")
PROVIDER = shape(name="string", description="string")
CAPABILITY = shape(name="string", description="string")
QUOTA = shape(loadbalancer="integer", load_balancer="integer", listener="integer",
              pool="integer", member="integer", healthmonitor="integer",
              health_monitor="integer", l7policy="integer", l7rule="integer")
QUOTA_ROW = {"type": "object", "properties": {
    **QUOTA["properties"], "project_id": {"type": "string"}, "tenant_id": {"type": "string"}}}
AMPHORA = shape(id="string", loadbalancer_id="string", status="string", role="string")

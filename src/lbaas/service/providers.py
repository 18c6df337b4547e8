"""The one provider driver (HAProxy run by our agents), what its flavors and availability zones
may say, and the check of a profile's data against that."""

from __future__ import annotations

import json
from typing import Any

from lbaas.errors import BadRequest

PROVIDER = "haproxy"
DESCRIPTION = "HAProxy in a network namespace on an lbaas agent (no VM per load balancer)."
# Octavia's provider names, accepted as aliases of ours so that clients and tests configured
# for Octavia's default (amphora; octavia is its deprecated alias) work unchanged.
ALIASES = {"amphora": PROVIDER, "octavia": PROVIDER}
PROVIDERS = [
    {"name": PROVIDER, "description": DESCRIPTION},
    {"name": "amphora", "description": "Alias of the haproxy provider."},
    {"name": "octavia", "description": "Alias of the haproxy provider."},
]
TOPOLOGIES = ("SINGLE", "ACTIVE_STANDBY")  # what a flavor profile may say (both run)
FLAVOR_CAPABILITIES = [
    {"name": "loadbalancer_topology",
     "description": "The load balancer topology. One of: SINGLE - One HAProxy per load "
                    "balancer. ACTIVE_STANDBY - two HAProxies on agents of different hosts "
                    "and keepalived (VRRP) holding the VIP on one of them."},
]
AVAILABILITY_ZONE_CAPABILITIES = [
    {"name": "agent_zone",
     "description": "The zone an agent reports in its configuration (availability_zone); load "
                    "balancers in this availability zone are served only by those agents."},
]


def resolve(name: str) -> str:
    """Our provider for a name a client gives (400 for any other)."""
    provider = ALIASES.get(name, name)
    if provider != PROVIDER:
        known = ", ".join(p["name"] for p in PROVIDERS)
        raise BadRequest(f"Provider '{name}' is not enabled. Enabled providers: {known}.")
    return provider


def _data(raw: str, what: str) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise BadRequest(f"Validation failure: {what} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise BadRequest(f"Validation failure: {what} must be a JSON object")
    return data


def _known(data: dict[str, Any], capabilities: list[dict[str, str]], what: str) -> None:
    names = {c["name"] for c in capabilities}
    unknown = sorted(str(k) for k in data if k not in names)
    if unknown:
        raise BadRequest(f"Validation failure: {what} has unsupported keys {unknown}; "
                         f"supported: {sorted(names)}")


def check_flavor_data(raw: str) -> None:
    """A flavor profile's flavor_data: a JSON object of our flavor capabilities."""
    data = _data(raw, "flavor_data")
    _known(data, FLAVOR_CAPABILITIES, "flavor_data")
    topology = data.get("loadbalancer_topology", "SINGLE")
    if topology not in TOPOLOGIES:
        raise BadRequest(f"Validation failure: loadbalancer_topology must be one of "
                         f"{list(TOPOLOGIES)}, not {json.dumps(topology)}")


def topology(raw: str) -> str:
    """The topology a flavor profile's flavor_data asks for (SINGLE when it says none)."""
    value = _data(raw, "flavor_data").get("loadbalancer_topology", "SINGLE")
    return value if isinstance(value, str) else "SINGLE"


def check_availability_zone_data(raw: str) -> None:
    """An availability zone profile's data: a JSON object of our zone capabilities."""
    data = _data(raw, "availability_zone_data")
    _known(data, AVAILABILITY_ZONE_CAPABILITIES, "availability_zone_data")
    zone = data.get("agent_zone")
    if zone is not None and (not isinstance(zone, str) or not zone or len(zone) > 255):
        raise BadRequest("Validation failure: agent_zone must be a string of 1 to 255 "
                         "characters")

"""The v1 resources and their attributes, as upstream declared them, in one table each.

One table drives request checking (`request.py`), response shaping and the OpenAPI schemas, so
what is documented is what is enforced.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lbaas.api.v1 import validators as v
from lbaas.service.context import TOKEN_ROLES

MISSING: Any = object()  # no default: the attribute is required on POST


@dataclass(frozen=True)
class Attr:
    post: bool = False
    put: bool = False
    default: Any = MISSING
    convert: v.Converter | None = None
    validate: v.Validator | None = None
    schema: dict[str, Any] = field(default_factory=dict)
    admin_only: bool = False  # only an admin may set it
    nullable: bool = False

    @property
    def required(self) -> bool:
        return self.post and self.default is MISSING


@dataclass(frozen=True)
class Resource:
    singular: str
    plural: str
    attrs: dict[str, Attr]
    hidden: tuple[str, ...] = ()  # attributes never shown


STR = {"type": "string"}
UUID = {"type": "string", "format": "uuid"}
BOOL = {"type": "boolean"}
INT = {"type": "integer"}
STATUS = {
    "type": "string",
    "enum": ["ACTIVE", "PENDING_CREATE", "PENDING_UPDATE", "PENDING_DELETE", "INACTIVE", "ERROR"],
}


def _ro(schema: dict[str, Any], convert: v.Converter | None = None) -> Attr:
    """A read-only attribute; its converter, if any, applies to `?attr=value` filters."""
    return Attr(schema={**schema, "readOnly": True}, convert=convert)


def _name() -> Attr:
    return Attr(post=True, put=True, default="", validate=v.string(255), schema=STR)


def _tenant() -> Attr:
    return Attr(post=True, default=None, validate=v.string(255), schema=STR)


def _admin_state() -> Attr:
    return Attr(post=True, put=True, default=True, convert=v.to_bool, schema=BOOL)


def _int(low: int, high: int = v.INT_MAX, **kw: Any) -> Attr:
    schema = {
        "oneOf": [
            {"type": "integer", "minimum": low, "maximum": high},
            {"type": "string", "pattern": r"^ *[+-]?[0-9]{1,18} *$"},
        ]
    }
    return Attr(convert=v.to_int, validate=v.int_range(low, high), schema=schema, **kw)


def _enum(options: tuple[str, ...], **kw: Any) -> Attr:
    return Attr(validate=v.values(options), schema={"type": "string", "enum": list(options)}, **kw)


PROTOCOLS = ("TCP", "HTTP", "HTTPS")
COMMON = {
    "id": _ro(UUID),
    "tenant_id": _tenant(),
    "status": _ro(STATUS),
    "status_description": _ro({"type": "string", "nullable": True}),
}

POOLS = Resource(
    "pool",
    "pools",
    {
        **COMMON,
        "vip_id": _ro({"type": "string", "nullable": True}),
        "name": _name(),
        "description": _name(),
        "subnet_id": Attr(post=True, validate=v.is_uuid, schema=UUID),
        "protocol": _enum(PROTOCOLS, post=True),
        "provider": Attr(
            post=True,
            default=None,
            convert=lambda x: x.lower() if isinstance(x, str) else x,
            validate=lambda x: (
                None
                if x in (None, "haproxy")
                else f"Service provider '{x}' could not be found for service type LOADBALANCER"
            ),
            schema={"type": "string", "enum": ["haproxy"]},
        ),
        "lb_method": _enum(("ROUND_ROBIN", "LEAST_CONNECTIONS", "SOURCE_IP"), post=True, put=True),
        # not upstream: SINGLE or ACTIVE_STANDBY (default: the service's v1_topology)
        "lbaas:topology": Attr(
            post=True,
            default=None,
            validate=lambda x: (
                None
                if x in (None, "SINGLE", "ACTIVE_STANDBY")
                else f"Invalid input for lbaas:topology. Reason: {x!r} is not in "
                     "['SINGLE', 'ACTIVE_STANDBY']."
            ),
            schema={"type": "string", "enum": ["SINGLE", "ACTIVE_STANDBY"], "nullable": True},
            nullable=True,
        ),
        "members": _ro({"type": "array", "items": UUID}),
        "health_monitors": Attr(
            post=True,
            put=True,
            default=None,
            convert=v.to_list,
            validate=v.uuid_list,
            schema={"type": "array", "items": UUID},
        ),
        "health_monitors_status": _ro({"type": "array", "items": {"type": "object"}}),
        "admin_state_up": _admin_state(),
    },
)

VIPS = Resource(
    "vip",
    "vips",
    {
        **COMMON,
        "name": _name(),
        "description": _name(),
        "subnet_id": Attr(post=True, validate=v.is_uuid, schema=UUID),
        "address": Attr(
            post=True,
            default=None,
            validate=v.ip_address_or_none,
            schema={"type": "string", "format": "ipv4"},
        ),
        "port_id": _ro(UUID),
        "protocol_port": _int(1, 65535, post=True),
        "protocol": _enum(PROTOCOLS, post=True),
        "pool_id": Attr(post=True, put=True, validate=v.is_uuid, schema=UUID),
        "session_persistence": Attr(
            post=True,
            put=True,
            default=None,
            validate=v.session_persistence,
            nullable=True,
            schema={
                "type": "object",
                "nullable": True,
                "properties": {
                    "type": {"type": "string", "enum": ["SOURCE_IP", "HTTP_COOKIE", "APP_COOKIE"]},
                    "cookie_name": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,64}$"},
                },
            },
        ),
        "connection_limit": _int(-1, post=True, put=True, default=-1),
        "admin_state_up": _admin_state(),
    },
)

MEMBERS = Resource(
    "member",
    "members",
    {
        **COMMON,
        "pool_id": Attr(post=True, put=True, validate=v.is_uuid, schema=UUID),
        "address": Attr(
            post=True, validate=v.ip_address, schema={"type": "string", "format": "ipv4"}
        ),
        "protocol_port": _int(1, 65535, post=True),
        "weight": _int(0, 256, post=True, put=True, default=1),
        "admin_state_up": _admin_state(),
    },
)

HEALTH_MONITORS = Resource(
    "health_monitor",
    "health_monitors",
    {
        "id": _ro(UUID),
        "tenant_id": _tenant(),
        "type": _enum(("PING", "TCP", "HTTP", "HTTPS"), post=True),
        "delay": _int(1, 86400, post=True, put=True),
        "timeout": _int(1, 86400, post=True, put=True),
        "max_retries": _int(1, 10, post=True, put=True),
        "http_method": Attr(
            post=True,
            put=True,
            default="GET",
            validate=v.http_method,
            schema={"type": "string", "enum": list(v.HTTP_METHODS)},
        ),
        "url_path": Attr(
            post=True,
            put=True,
            default="/",
            validate=v.url_path,
            schema={"type": "string", "pattern": f"^(?:{v.URL_PATH.pattern})$"},
        ),
        "expected_codes": Attr(
            post=True,
            put=True,
            default="200",
            validate=v.expected_codes,
            schema={"type": "string", "pattern": f"^(?:{v.EXPECTED_HTTP_CODES.pattern})$"},
        ),
        "admin_state_up": _admin_state(),
        "pools": _ro({"type": "array", "items": {"type": "object"}}),
    },
)

POOL_MONITOR = Resource(
    "health_monitor",
    "health_monitors",
    {
        "id": Attr(post=True, validate=v.is_uuid, schema=UUID),
        "tenant_id": _tenant(),
    },
)

NETWORKS = Resource(
    "network",
    "networks",
    {
        "id": _ro(UUID),
        "tenant_id": _tenant(),
        "name": _name(),
        "admin_state_up": _admin_state(),
        "shared": Attr(
            post=True, put=True, default=False, convert=v.to_bool, schema=BOOL, admin_only=True
        ),
        "router:external": Attr(
            post=True, put=True, default=False, convert=v.to_bool, schema=BOOL, admin_only=True
        ),
        "lbaas:bridge": Attr(
            post=True,
            put=True,
            default=None,
            validate=v.bridge_name,
            schema={"type": "string", "nullable": True},
            admin_only=True,
            nullable=True,
        ),
        "provider:network_type": _ro(STR),
        "provider:physical_network": _ro({"type": "string", "nullable": True}),
        "provider:segmentation_id": _ro({"type": "integer", "nullable": True}, v.to_int),
        "status": _ro(STR),
        "subnets": _ro({"type": "array", "items": UUID}),
    },
)

SUBNETS = Resource(
    "subnet",
    "subnets",
    {
        "id": _ro(UUID),
        "tenant_id": _tenant(),
        "name": _name(),
        "network_id": Attr(post=True, validate=v.is_uuid, schema=UUID),
        "ip_version": Attr(
            post=True,
            default=4,
            convert=v.to_int,
            validate=v.values((4,)),  # type: ignore[arg-type]
            schema={"type": "integer", "enum": [4]},
        ),
        "cidr": Attr(post=True, validate=v.cidr, schema=STR),
        "gateway_ip": Attr(
            post=True,
            put=True,
            default="auto",
            validate=lambda x: None if x in (None, "auto") else v.ip_address(x),
            schema={"type": "string", "nullable": True},
            nullable=True,
        ),
        "allocation_pools": Attr(
            post=True,
            default=None,
            nullable=True,
            validate=lambda x: None if x is None else v.allocation_pools(x),
            schema={"type": "array", "items": {"type": "object"}},
        ),
        "enable_dhcp": Attr(post=True, put=True, default=True, convert=v.to_bool, schema=BOOL),
        "dns_nameservers": Attr(
            post=True, put=True, default=[], validate=v.empty_list, schema={"type": "array"}
        ),
        "host_routes": Attr(
            post=True, put=True, default=[], validate=v.empty_list, schema={"type": "array"}
        ),
    },
)

PORTS = Resource(
    "port",
    "ports",
    {
        "id": _ro(UUID),
        "tenant_id": _tenant(),
        "network_id": Attr(post=True, validate=v.is_uuid, schema=UUID),
        "name": _name(),
        "mac_address": _ro(STR),
        "status": _ro(STR),
        "device_id": _name(),
        "device_owner": _name(),
        "admin_state_up": _admin_state(),
        "fixed_ips": Attr(
            post=True,
            default=None,
            validate=v.fixed_ips,
            nullable=True,
            schema={
                "type": "array",
                "maxItems": 1,
                "items": {
                    "type": "object",
                    "properties": {
                        "subnet_id": UUID,
                        "ip_address": {"type": "string", "format": "ipv4"},
                    },
                    "additionalProperties": False,
                    "minProperties": 1,
                },
            },
        ),
    },
)

FLOATINGIPS = Resource(
    "floatingip",
    "floatingips",
    {
        "id": _ro(UUID),
        "tenant_id": _tenant(),
        "floating_network_id": Attr(post=True, validate=v.is_uuid, schema=UUID),
        "floating_ip_address": Attr(
            post=True,
            default=None,
            validate=v.ip_address_or_none,
            schema={"type": "string", "format": "ipv4"},
            admin_only=True,
        ),
        "port_id": Attr(
            post=True,
            put=True,
            default=None,
            validate=v.uuid_or_none,
            schema={"type": "string", "nullable": True},
            nullable=True,
        ),
        "fixed_ip_address": Attr(
            post=True,
            put=True,
            default=None,
            validate=v.ip_address_or_none,
            schema={"type": "string", "nullable": True},
            nullable=True,
        ),
        "router_id": _ro({"type": "string", "nullable": True}),
        "status": _ro(STR),
    },
)

AGENTS = Resource(
    "agent",
    "agents",
    {
        **{
            name: _ro(STR)
            for name in (
                "id",
                "agent_type",
                "binary",
                "host",
                "topic",
                "created_at",
                "started_at",
                "heartbeat_timestamp",
            )
        },
        "alive": _ro(BOOL, v.to_bool),
        "configurations": _ro({"type": "object"}),
        "availability_zone": _ro({"type": "string", "nullable": True}),
        "admin_state_up": Attr(put=True, convert=v.to_bool, schema=BOOL),
        "description": Attr(put=True, validate=v.string(255), schema=STR),
    },
)

QUOTA_RESOURCES = ("pool", "vip", "member", "health_monitor")
QUOTAS = Resource("quota", "quotas", {name: _int(-1, put=True) for name in QUOTA_RESOURCES})

TOKENS = Resource(
    "token",
    "tokens",
    {
        "id": _ro(UUID),
        "project_id": Attr(
            post=True, validate=v.non_empty_string(255), schema={**STR, "minLength": 1}
        ),
        "roles": Attr(
            post=True,
            convert=v.to_list,
            validate=v.roles,
            schema={
                "type": "array",
                "items": {"type": "string", "enum": list(TOKEN_ROLES)},
            },
        ),
        "description": _name(),
        "created_at": _ro(STR),
        "token": _ro(STR),
    },
)

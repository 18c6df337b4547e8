"""The minimal Neutron networking: networks, subnets, ports and floating IPs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from lbaas.api.deps import ContextDep
from lbaas.api.v1 import attributes as a
from lbaas.api.v1.crud import Crud, register
from lbaas.api.v1.views import floatingip_view, network_view, port_view, subnet_view
from lbaas.service import floatingips, networks, port_writes, ports

router = APIRouter()
PREFIX = "/v2.0"

register(
    router,
    PREFIX,
    Crud(
        resource=a.NETWORKS,
        view=network_view,
        list_all=networks.list_networks,
        get_one=networks.visible_network,
        create=lambda tx, _st, c, b: networks.create_network(tx.session, c, b),
        update=lambda tx, _st, c, i, b: networks.update_network(tx.session, c, i, b),
        delete=lambda tx, _st, c, i: networks.delete_network(tx.session, c, i),
    ),
    "networking",
)

register(
    router,
    PREFIX,
    Crud(
        resource=a.SUBNETS,
        view=subnet_view,
        list_all=networks.list_subnets,
        get_one=networks.visible_subnet,
        create=lambda tx, _st, c, b: networks.create_subnet(tx.session, c, b),
        update=lambda tx, _st, c, i, b: networks.update_subnet(tx.session, c, i, b),
        delete=lambda tx, _st, c, i: networks.delete_subnet(tx.session, c, i),
    ),
    "networking",
)

register(
    router,
    PREFIX,
    Crud(
        resource=a.PORTS,
        view=port_view,
        list_all=ports.list_ports,
        get_one=ports.get_port,
        create=lambda tx, _st, c, b: port_writes.create_user_port(tx, c, b),
        update=lambda tx, _st, c, i, b: port_writes.update_user_port(tx, c, i, b),
        delete=lambda tx, _st, c, i: port_writes.delete_user_port(tx, c, i),
    ),
    "networking",
)

register(
    router,
    PREFIX,
    Crud(
        resource=a.FLOATINGIPS,
        view=floatingip_view,
        list_all=floatingips.list_floatingips,
        get_one=floatingips.get_floatingip,
        create=lambda tx, _st, c, b: floatingips.create_floatingip(tx, c, b),
        update=lambda tx, _st, c, i, b: floatingips.update_floatingip(tx, c, i, b),
        delete=lambda tx, _st, c, i: floatingips.delete_floatingip(tx, c, i),
    ),
    "networking",
)


def _empty_list_schema(key: str) -> dict[int | str, dict[str, Any]]:
    schema = {"type": "object", "required": [key],
              "properties": {key: {"type": "array", "items": {"type": "object"}, "maxItems": 0}}}
    return {200: {"content": {"application/json": {"schema": schema}}}}


# Neutron resources we do not have, listed empty: clients that clean up after themselves (tempest
# deletes each project's `default` security group; it creates an IPv6 subnet from the subnet pool
# named `shared-default-subnetpool-v6` only if exactly one is listed) find nothing to act on.
@router.get(f"{PREFIX}/security-groups", tags=["networking"], operation_id="list_security_groups",
            summary="List security groups (none: there are no security groups here)",
            responses=_empty_list_schema("security_groups"))
def list_security_groups(ctx: ContextDep) -> JSONResponse:
    return JSONResponse({"security_groups": []})


@router.get(f"{PREFIX}/subnetpools", tags=["networking"], operation_id="list_subnetpools",
            summary="List subnet pools (none: subnets are made from a CIDR here)",
            responses=_empty_list_schema("subnetpools"))
def list_subnetpools(ctx: ContextDep) -> JSONResponse:
    return JSONResponse({"subnetpools": []})

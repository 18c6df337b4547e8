"""The minimal Neutron networking: networks, subnets, ports and floating IPs."""

from __future__ import annotations

from fastapi import APIRouter

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

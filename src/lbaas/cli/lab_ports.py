"""A lab host's port in the API: made before the host is plumbed, so the address it holds is
never given to a VIP (and an address already taken is refused with the API's 409), and deleted
with the host."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

import httpx

from lbaas.cli.client import ApiClient, CliError
from lbaas.domain.naming import network_bridge
from lbaas.lab import validate
from lbaas.lab.errors import LabHostExists, LabHostNotFound
from lbaas.lab.hosts import LabHost, LabHosts

LAB_OWNER = "compute:lbaas-lab"


@dataclass(frozen=True)
class HostPort:
    """Where a new lab host goes: its port, bridge, address, prefix length and gateway."""

    port_id: str
    mac: str
    bridge: str
    address: str
    prefixlen: int
    gateway: str | None


def add_lab_host(
    api: ApiClient, hosts: LabHosts, name: str, network: str, address: str | None,
    http_text: str | None, node: str | None = None,
) -> LabHost:
    """Take a port for the host in the API, then plumb the host with its address and MAC (on
    the bridge in the `node` namespace, if given); the port goes again if plumbing fails."""
    validate.check_name(name)
    validate.check_text(http_text)
    if _exists(hosts, name):
        raise LabHostExists(f"lab host {name} exists already")
    port = create_host_port(api, name, network, address)
    try:
        return hosts.add(name, port.bridge, port.address, port.prefixlen, port.gateway, http_text,
                         port_id=port.port_id, mac=port.mac, node=node)
    except BaseException:
        delete_host_port(api, port.port_id)
        raise


def delete_lab_host(api: ApiClient | None, hosts: LabHosts, name: str) -> bool:
    """Remove the host, then its port (if the API is there to ask: `api` None skips it).

    Returns whether a port was deleted.
    """
    host = hosts.get(name)
    hosts.delete(name)
    if api is None or host.port_id is None:
        return False
    return delete_host_port(api, host.port_id)


def _exists(hosts: LabHosts, name: str) -> bool:
    try:
        hosts.get(name)
    except LabHostNotFound:
        return False
    return True


def create_host_port(api: ApiClient, name: str, network: str, address: str | None) -> HostPort:
    """A port for lab host `name` on the API network: `address`, or the highest free one."""
    net_id = api.find_id("/v2.0/networks", "networks", network)
    net = api.get_key(f"/v2.0/networks/{net_id}", "network")
    if not net["subnets"]:
        raise CliError(f"Network {network} has no subnet: create one first (lbaas subnet create)")
    subnet = api.get_key(f"/v2.0/subnets/{net['subnets'][0]}", "subnet")
    cidr = ipaddress.IPv4Network(subnet["cidr"])
    if address is not None:
        validate.check_address(address, cidr.prefixlen)  # in 198.18.0.0/15, before asking
    else:
        address = _highest_free(api, net_id, cidr, subnet["gateway_ip"])
    body = {"port": {"network_id": net_id, "name": name, "device_owner": LAB_OWNER,
                     "device_id": name,
                     "fixed_ips": [{"subnet_id": subnet["id"], "ip_address": address}]}}
    port: dict[str, Any] = api.key_of(api.post("/v2.0/ports", body), "port", "POST /v2.0/ports")
    return HostPort(
        port_id=str(port["id"]),
        mac=str(port["mac_address"]),
        bridge=network_bridge(net["id"], net.get("lbaas:bridge")),
        address=str(port["fixed_ips"][0]["ip_address"]),
        prefixlen=cidr.prefixlen,
        gateway=subnet["gateway_ip"],
    )


def delete_host_port(api: ApiClient, port_id: str) -> bool:
    """Delete the port; False if it was gone already."""
    try:
        response = api.http.delete(f"/v2.0/ports/{port_id}")
    except httpx.HTTPError as exc:
        raise CliError(f"Cannot reach the API at {api.conn.url}: {exc}") from exc
    if response.status_code == 404:
        return False
    if response.status_code >= 400:
        api.request("DELETE", f"/v2.0/ports/{port_id}")  # raises with the API's message
    return True


def _highest_free(
    api: ApiClient, net_id: str, cidr: ipaddress.IPv4Network, gateway: str | None
) -> str:
    """The highest address no port of the network holds (that the caller can see)."""
    query = {"network_id": net_id, "fields": "fixed_ips"}
    ports = api.get_key("/v2.0/ports", "ports", params=query)
    used = {a["ip_address"] for p in ports for a in p.get("fixed_ips", [])} | {gateway}
    for ip in reversed(list(cidr.hosts())):
        if str(ip) not in used:
            return str(ip)
    raise CliError(f"No free address left on {cidr}")

"""Nodes on one machine: network namespaces joined by an underlay bridge in the host.

    underlay = Underlay(tag, "198.18.214.0/24", count=3)   # host .1 on lbu<tag>, nodes .11 ...
    underlay.nodes[0].namespace     # "lbnode-<tag>-1": run an agent in it (System.add_agent)
    underlay.cut(underlay.nodes[0]) # its underlay link down: the node is cut off
    underlay.close()                # the nodes' namespaces (with all in them) and the bridge

Each node has `ul0` holding its underlay address; the host holds .1 on the bridge, so a server
listening there (the API) is reachable from every node. Everything is named with the tag and
removed by name.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass

from pyroute2 import IPRoute

from lbaas.drivers.network import links

log = logging.getLogger(__name__)

NODE_IFNAME = "ul0"


@dataclass(frozen=True)
class Node:
    number: int
    namespace: str
    address: str  # its underlay address
    host_ifname: str  # the host end of its underlay veth, on the underlay bridge


class Underlay:
    """A bridge in the host with one veth to each node's namespace."""

    def __init__(self, tag: str, cidr: str, count: int) -> None:
        self.net = ipaddress.IPv4Network(cidr)
        self.bridge = f"lbu{tag}"
        self.host_address = str(self.net.network_address + 1)
        self.nodes = [
            Node(n, f"lbnode-{tag}-{n}", str(self.net.network_address + 10 + n), f"lbn{tag}{n}")
            for n in range(1, count + 1)
        ]
        try:
            self._build()
        except BaseException:
            self.close()
            raise

    def _build(self) -> None:
        with IPRoute() as root:
            bridge = links.ensure_bridge(self.bridge, root)
            root.addr("add", index=bridge, address=self.host_address,
                      prefixlen=self.net.prefixlen)
            for node in self.nodes:
                self._build_node(root, bridge, node)

    def _build_node(self, root: IPRoute, bridge: int, node: Node) -> None:
        with links.open_namespace(node.namespace, create=True) as inside:
            links.write_label(inside, {"node": node.namespace})  # lo up
            root.link("add", ifname=node.host_ifname, kind="veth",
                      peer={"ifname": NODE_IFNAME, "net_ns_fd": node.namespace})
            root.link("set", index=links.link_index(root, node.host_ifname), master=bridge,
                      state="up")
            index = links.link_index(inside, NODE_IFNAME)
            inside.addr("add", index=index, address=node.address, prefixlen=self.net.prefixlen)
            inside.link("set", index=index, state="up")
        log.info("node %s at %s", node.namespace, node.address)

    def cut(self, node: Node, *, up: bool = False) -> None:
        """Set the node's underlay link down (or up again): it reaches no one, no one it."""
        with IPRoute() as root:
            root.link("set", index=links.link_index(root, node.host_ifname),
                      state="up" if up else "down")

    def close(self) -> None:
        """Remove every node namespace (its bridges, VXLAN devices and veths go with it) and
        the underlay bridge."""
        for node in self.nodes:
            links.remove_namespace(node.namespace)
        if links.host_link_exists(self.bridge):
            links.remove_bridge(self.bridge, force=True)

    def leftovers(self) -> list[str]:
        found = [f"namespace {n.namespace}" for n in self.nodes
                 if links.namespace_exists(n.namespace)]
        names = [self.bridge, *(n.host_ifname for n in self.nodes)]
        return found + [f"interface {name}" for name in names if links.host_link_exists(name)]

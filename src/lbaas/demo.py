"""The tutorial, replayed: two web servers behind a round-robin HTTP load balancer reached through
a floating IP, one server stopped and the monitor taking it out.

Each step prints the `lbaas` command that does the same, then does it through the API. Every
claim the demo shows is checked; the first one that does not hold raises `DemoFailed`.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lbaas.cli.client import ApiClient, CliError
from lbaas.cli.lab_ports import add_lab_host, delete_lab_host
from lbaas.lab.hosts import LabHosts

Say = Callable[[str], None]

EXTERNAL_CIDR, EXTERNAL_CLIENT = "198.18.20.0/24", "198.18.20.201"
TENANT_CIDR = "198.18.10.0/24"
SERVERS = {"web01": ("198.18.10.201", "WEB01"), "web02": ("198.18.10.202", "WEB02")}
MONITOR = {"type": "HTTP", "delay": 1, "timeout": 1, "max_retries": 2, "url_path": "/"}


class DemoFailed(Exception):
    """Something the demo shows did not happen."""


@dataclass
class Made:
    """What the demo created, so cleanup removes exactly that."""

    lab_hosts: list[str] = field(default_factory=list)
    api: list[tuple[str, str]] = field(default_factory=list)  # (path, id), in creation order


class Demo:
    CLEANUP = "cleaning up: lbaas floatingip delete, vip delete, pool delete, ..."

    def __init__(self, api: ApiClient, labs: LabHosts, say: Say, step: Say) -> None:
        self.api, self.labs, self.say, self.step = api, labs, say, step
        self.made = Made()
        self.servers = SERVERS
        self.pool_id = ""  # the data plane's id: its namespace is qlbaas-<pool_id>
        self.fip = ""
        self.vip: dict[str, Any] = {}

    def run(self) -> None:
        self._check_free()
        ext, tenant = self._networks()
        self._servers()
        members = self._load_balancer(tenant)
        self._floating_ip(ext)
        self._client()
        self._show_alternation()
        self._show_failover(members["web02"])
        self._show_stats()

    # -- building the tutorial ---------------------------------------------------------------

    def _check_free(self) -> None:
        existing = {h.name for h in self.labs.list()}
        clash = existing & {*self.servers, "client"}
        if clash:
            raise DemoFailed(f"lab hosts {sorted(clash)} exist already; remove them with "
                             "`lbaas lab host delete NAME` (or run lbaas down --purge)")

    def _networks(self) -> tuple[dict[str, Any], dict[str, Any]]:
        self.step("lbaas network create demo-ext --external")
        external = {"router:external": True}
        ext = self._create("/v2.0/networks", "network", name="demo-ext", **external)
        self.step(f"lbaas subnet create demo-ext {EXTERNAL_CIDR} --name demo-ext-subnet")
        ext_sub = self._create("/v2.0/subnets", "subnet", network_id=ext["id"],
                               cidr=EXTERNAL_CIDR, name="demo-ext-subnet")
        self.step("lbaas network create demo-private")
        net = self._create("/v2.0/networks", "network", name="demo-private")
        self.step(f"lbaas subnet create demo-private {TENANT_CIDR} --name demo-private-subnet")
        sub = self._create("/v2.0/subnets", "subnet", network_id=net["id"], cidr=TENANT_CIDR,
                           name="demo-private-subnet")
        return {"network": ext, "subnet": ext_sub}, {"network": net, "subnet": sub}

    def _servers(self) -> None:
        for name, (address, text) in self.servers.items():
            self.step(f"lbaas lab host add {name} --network demo-private --address {address} "
                      f"--http {text}")
            self._lab_host(name, "demo-private", address, text)

    def _load_balancer(self, tenant: dict[str, Any]) -> dict[str, str]:
        subnet = tenant["subnet"]["id"]
        self.step("lbaas pool create --name demo-web --lb-method ROUND_ROBIN --protocol HTTP "
                  "--subnet-id demo-private-subnet")
        pool = self._create("/v2.0/lb/pools", "pool", name="demo-web", lb_method="ROUND_ROBIN",
                            protocol="HTTP", subnet_id=subnet)
        self.pool_id = pool["id"]
        members = {}
        for name, (address, _) in self.servers.items():
            self.step(f"lbaas member create --address {address} --protocol-port 80 demo-web")
            member = self._create("/v2.0/lb/members", "member", pool_id=pool["id"],
                                  address=address, protocol_port=80)
            members[name] = member["id"]
        self.step("lbaas healthmonitor create --type HTTP --delay 1 --timeout 1 --max-retries 2")
        monitor = self._create("/v2.0/lb/health_monitors", "health_monitor", **MONITOR)
        self.step(f"lbaas healthmonitor associate {monitor['id']} demo-web")
        self.api.post(f"/v2.0/lb/pools/{pool['id']}/health_monitors",
                      {"health_monitor": {"id": monitor["id"]}})
        self.step("lbaas vip create --name demo-vip --protocol-port 80 --protocol HTTP "
                  "--subnet-id demo-private-subnet demo-web --wait")
        vip = self._create("/v2.0/lb/vips", "vip", name="demo-vip", protocol="HTTP",
                           protocol_port=80, subnet_id=subnet, pool_id=pool["id"])
        self._wait_active(vip["id"])
        self.vip = vip
        return members

    def _floating_ip(self, ext: dict[str, Any]) -> None:
        self.step("lbaas floatingip create demo-ext")
        fip = self._create("/v2.0/floatingips", "floatingip",
                           floating_network_id=ext["network"]["id"])
        self.step(f"lbaas floatingip associate {fip['id']} demo-vip")
        self.api.put(f"/v2.0/floatingips/{fip['id']}",
                     {"floatingip": {"port_id": self.vip["port_id"]}})
        self.fip = fip["floating_ip_address"]
        self._wait_active(self.vip["id"])
        self.say(f"VIP {self.vip['address']} is reachable from outside as {self.fip}")

    def _client(self) -> None:
        self.step(f"lbaas lab host add client --network demo-ext --address {EXTERNAL_CLIENT}")
        self._lab_host("client", "demo-ext", EXTERNAL_CLIENT, None)

    # -- showing it work -----------------------------------------------------------------------

    def _show_alternation(self) -> None:
        answers = [self._fetch() for _ in range(6)]
        alternating = all(a != b for a, b in itertools.pairwise(answers))
        if set(answers) != {"WEB01", "WEB02"} or not alternating:
            raise DemoFailed(f"expected WEB01 and WEB02 to alternate, saw {answers}")
        self.say("Round robin: the two servers alternate.")

    def _show_failover(self, member_id: str) -> None:
        self.step("lbaas lab http stop web02")
        self.labs.stop_http("web02")
        self.step("lbaas member show <web02's member>   # waits for INACTIVE")
        started = time.monotonic()
        member = self._wait_member(member_id, "INACTIVE", timeout=15)
        self.say(f"web02's member is INACTIVE after {time.monotonic() - started:.1f} s: "
                 f"{member.get('status_description') or 'health check failed'}")
        answers = [self._fetch() for _ in range(4)]
        if set(answers) != {"WEB01"}:
            raise DemoFailed(f"expected only WEB01 after stopping web02, saw {answers}")
        self.say("Failover: web01 serves alone.")

    def _show_stats(self) -> None:
        self.step("lbaas pool stats demo-web")
        deadline = time.monotonic() + 10
        stats: dict[str, int] = {}
        while time.monotonic() < deadline:
            stats = self.api.get(f"/v2.0/lb/pools/{self.pool_id}/stats")["stats"]
            if stats["total_connections"] >= 10:
                break
            time.sleep(0.5)
        for key in sorted(stats):
            self.say(f"  {key:20} {stats[key]}")
        if stats.get("total_connections", 0) < 10:
            raise DemoFailed(f"expected the 10 requests in the pool statistics, saw {stats}")

    def _fetch(self) -> str:
        self.step(f"lbaas lab exec client -- curl -s http://{self.fip}/")
        done = self.labs.exec("client", ["curl", "-s", "--max-time", "3", f"http://{self.fip}/"])
        answer = done.stdout.strip()
        self.say(f"  -> {answer or done.stderr.strip() or f'curl exit {done.returncode}'}")
        if done.returncode != 0:
            raise DemoFailed(f"the request through {self.fip} failed (curl {done.returncode})")
        return answer

    # -- helpers -------------------------------------------------------------------------------

    def _create(self, path: str, key: str, **body: Any) -> dict[str, Any]:
        created: dict[str, Any] = self.api.post(path, {key: body})[key]
        self.made.api.append((path, created["id"]))
        return created

    def _lab_host(self, name: str, network: str, address: str, text: str | None) -> None:
        add_lab_host(self.api, self.labs, name, network, address, text)
        self.made.lab_hosts.append(name)

    def _wait_active(self, vip_id: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while True:
            vip = self.api.get(f"/v2.0/lb/vips/{vip_id}")["vip"]
            pool = self.api.get(f"/v2.0/lb/pools/{self.pool_id}")["pool"]
            if pool["status"] == "ERROR" or vip["status"] == "ERROR":
                raise DemoFailed(f"the load balancer failed: {pool['status_description']}")
            if pool["status"] == vip["status"] == "ACTIVE":
                return
            if time.monotonic() > deadline:
                raise DemoFailed(f"not ACTIVE after {timeout:.0f} s: pool {pool['status']} "
                                 f"({pool['status_description']})")
            time.sleep(0.05)

    def _wait_member(self, member_id: str, want: str, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            member: dict[str, Any] = self.api.get(f"/v2.0/lb/members/{member_id}")["member"]
            if member["status"] == want:
                return member
            time.sleep(0.1)
        raise DemoFailed(f"member {member_id} did not turn {want} within {timeout:.0f} s")

    def bridges(self) -> list[str]:
        """The bridges of the networks the demo made (to remove once nothing uses them)."""
        from lbaas.domain.naming import network_bridge

        bridges = []
        for path, object_id in self.made.api:
            if path == "/v2.0/networks":
                net = self.api.get(f"{path}/{object_id}")["network"]
                bridges.append(network_bridge(net["id"], net.get("lbaas:bridge")))
        return bridges

    def cleanup(self) -> None:
        """Remove what the demo made, newest first; the agent then removes the data plane."""
        self.step(self.CLEANUP)
        for name in reversed(self.made.lab_hosts):
            delete_lab_host(self.api, self.labs, name)
        for path, object_id in reversed(self.made.api):
            if path.endswith("/floatingips"):
                self.api.put(f"{path}/{object_id}", {"floatingip": {"port_id": None}})
        monitors_last = sorted(reversed(self.made.api),
                               key=lambda made: made[0].endswith("/health_monitors"))
        for path, object_id in monitors_last:
            if path.endswith("/members"):
                continue  # deleted with their pool
            try:
                self.api.delete(f"{path}/{object_id}")
            except CliError as exc:
                if "(HTTP 404)" not in str(exc):
                    raise
        self.made = Made()

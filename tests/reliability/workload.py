"""A seeded workload of API operations over many load balancers, and a model of what it asked for.

Every operation goes through `Workload.write()`, which sorts its outcome into one of three:

- acknowledged (2xx): the model takes the change; it must be there at the end;
- certainly not done (the connection could not even be made): the model stays as it was;
- unknown (the connection broke mid-request, a timeout, a 5xx): the load balancer is marked
  unsure with the two states it may be in (before and after the change). Before anything else
  is done to it, it is read back from the API, and what the API says must be one of the two;
  any other answer means an acknowledged write was lost or an unknown one half-applied.

Every object carries a unique name, so one whose creation was not acknowledged can be found.

Some load balancers are made and changed through the v1 API (a pool, its members and VIP, one
request each), the others through the v2 API: a fully populated create (an HTTP listener, its
default pool and members in one request), listener and pool updates, members added, changed and
removed, an L7 REJECT policy with a PATH rule added and removed, a cascade delete. A v2 write
answered 409 because the load balancer is still PENDING_* (Octavia's state machine) changed
nothing: the model stays as it was ("not now").
"""

from __future__ import annotations

import copy
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

LB = "/v2.0/lb"
V2 = "/v2.0/lbaas"
LB_METHODS = ("ROUND_ROBIN", "LEAST_CONNECTIONS", "SOURCE_IP")
REJECTED_PATHS = ("/blocked", "/private")  # what an L7 REJECT policy's PATH rule starts with
# the faultstrings of a v2 409 for a pending state (LBPendingStateError, ImmutableObject)
NOT_NOW = ("Invalid state PENDING_", "is immutable and cannot be updated")


@dataclass
class Result:
    status: int | None  # None: no answer
    body: Any = None
    sent: bool = True  # False: the connection could not be made, so nothing was done
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def unknown(self) -> bool:
        return self.sent and (self.status is None or self.status >= 500)


class Http:
    """The API as an admin; never raises for what the network or the server does.

    While a write is on its way (sent, not yet answered) `writing` is set and `serial` names
    it: a fault injector waits on it to kill the API in the middle of a request."""

    def __init__(self, url: str, token: str, timeout: float = 10.0) -> None:
        self.client = httpx.Client(base_url=url, headers={"X-Auth-Token": token},
                                   timeout=timeout)
        self.writing = threading.Event()
        self.serial = 0  # the number of the latest write
        self.unanswered: set[int] = set()  # writes sent whose answer never came

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Result:
        write = method != "GET"
        if write:
            self.serial += 1
            self.writing.set()
        try:
            response = self.client.request(method, path, json=body)
        except httpx.ConnectError as exc:
            return Result(None, sent=False, error=repr(exc))
        except httpx.HTTPError as exc:
            if write:
                self.unanswered.add(self.serial)
            return Result(None, error=repr(exc))
        finally:
            if write:
                self.writing.clear()
        try:
            payload = response.json() if response.content else None
        except ValueError:
            payload = response.text
        return Result(response.status_code, payload)

    def close(self) -> None:
        self.client.close()


@dataclass
class LbModel:
    """One load balancer as the acknowledged writes left it."""

    name: str  # the pool's name, unique: how a pool whose creation was not answered is found
    pool_id: str | None = None
    pool: dict[str, Any] | None = None  # lb_method, admin_state_up, description
    vip_id: str | None = None
    vip: dict[str, Any] | None = None  # admin_state_up, connection_limit, description
    vip_address: str | None = None
    vip_port_id: str | None = None
    members: dict[str, dict[str, Any]] = field(default_factory=dict)  # by address
    member_ids: dict[str, str] = field(default_factory=dict)  # address -> id
    monitor: dict[str, Any] | None = None  # the associated health monitor's type, delay, path
    monitor_id: str | None = None
    maybe: tuple[dict[str, Any], dict[str, Any]] | None = None  # (before, after) if unsure
    # made through the v2 API: `name` is the load balancer's, `pool` its default pool's
    # lb_algorithm, `listener` its one HTTP listener's connection_limit and timeouts, `policy`
    # its L7 REJECT policy with one PATH rule (or None), `monitor` its pool's health monitor
    v2: bool = False
    lb_id: str | None = None
    listener_id: str | None = None
    listener: dict[str, Any] | None = None
    policy: dict[str, Any] | None = None
    policy_id: str | None = None

    def snapshot(self) -> dict[str, Any]:
        """What the API must show for this load balancer (ids and addresses aside)."""
        exists = self.pool is not None
        if self.v2:
            return {"pool": self.pool, "listener": self.listener if exists else None,
                    "members": self.members if exists else {},
                    "policy": self.policy if exists else None,
                    "monitor": self.monitor if exists else None}
        return {"pool": self.pool, "vip": self.vip, "members": self.members if exists else {},
                "monitor": self.monitor if exists else None}

    @property
    def exists(self) -> bool:
        return self.pool is not None


POOL_FIELDS = ("lb_method", "admin_state_up", "description")
VIP_FIELDS = ("admin_state_up", "connection_limit", "description")
MEMBER_FIELDS = ("weight", "admin_state_up")
MONITOR_FIELDS = ("type", "delay", "url_path")
LISTENER_FIELDS = ("connection_limit", "timeout_client_data", "timeout_member_data")
RULE_FIELDS = ("type", "compare_type", "value")


class Workload:
    """Operations chosen by a seeded generator; the model; and what went wrong."""

    def __init__(self, http: Http, rng: random.Random, subnet_id: str, backends: list[str],
                 max_lbs: int) -> None:
        self.http = http
        self.rng = rng
        self.subnet_id = subnet_id
        self.backends = backends
        self.max_lbs = max_lbs
        self.lbs: list[LbModel] = []
        self.made = 0
        self.counts: dict[str, int] = {"acknowledged": 0, "refused-connection": 0,
                                       "unknown": 0, "not-now": 0, "v2-acknowledged": 0}
        self.problems: list[str] = []  # each one is a failure of the system under test
        self.on_pool: Callable[[str], None] = lambda _pool_id: None
        self.on_vip: Callable[[str], None] = lambda _vip_id: None
        self.on_monitor: Callable[[str], None] = lambda _monitor_id: None
        self.on_loadbalancer: Callable[[str], None] = lambda _lb_id: None  # made through v2

    # -- one step ----------------------------------------------------------------------------

    def step(self) -> str:
        """One operation (or the read-back of an unsure load balancer); what it was."""
        for lb in self.lbs:
            if lb.maybe is not None:
                return "resync" if self.resync(lb) else "resync-failed"
        live = [lb for lb in self.lbs if lb.exists]
        choices: list[tuple[str, float]] = [
            ("create", 3.0 if len(live) < self.max_lbs else 0.0),
            ("delete", 1.0 if len(live) > self.max_lbs // 2 else 0.2),
            ("pool", 2.0), ("vip", 1.5), ("add-member", 2.5), ("del-member", 1.5),
            ("member", 3.0), ("monitor", 1.0),
        ]
        if not live:
            choices = [("create", 1.0)]
        kind = self.rng.choices([c for c, _ in choices], [w for _, w in choices])[0]
        if kind == "create":
            if self.rng.random() < 0.5:
                self.create()
                return kind
            self.create_v2()
            return "create-v2"
        lb = self.rng.choice(live)
        if lb.v2:
            self.wait_settled(lb)
            if kind == "monitor":  # an L7 policy or a health monitor, on or off
                kind = self.rng.choice(("l7policy", "healthmonitor"))
            {"delete": self.delete_v2, "pool": self.update_pool_v2,
             "vip": self.update_listener, "add-member": self.add_member_v2,
             "del-member": self.delete_member, "member": self.update_member,
             "l7policy": self.toggle_policy, "healthmonitor": self.toggle_monitor_v2}[kind](lb)
            return f"{kind}-v2"
        {"delete": self.delete, "pool": self.update_pool, "vip": self.update_vip,
         "add-member": self.add_member, "del-member": self.delete_member,
         "member": self.update_member, "monitor": self.toggle_monitor}[kind](lb)
        return kind

    # -- operations --------------------------------------------------------------------------

    def create(self) -> None:
        self.made += 1
        lb = LbModel(name=f"wl-{self.made}")
        self.lbs.append(lb)
        pool = {"lb_method": self.rng.choice(LB_METHODS), "admin_state_up": True,
                "description": f"made {self.made}"}
        body = {"pool": {"name": lb.name, "subnet_id": self.subnet_id, "protocol": "HTTP",
                         **pool}}

        def made_pool(m: LbModel) -> None:
            m.pool = dict(pool)

        def adopt_pool(m: LbModel, answer: Any) -> None:
            m.pool_id = answer["pool"]["id"]
            self.on_pool(m.pool_id)

        if not self.write(lb, "POST", f"{LB}/pools", body, made_pool, adopt_pool):
            return
        for address in self.rng.sample(self.backends, self.rng.randint(1, 3)):
            if not self._create_member(lb, address):
                return
        self._create_vip(lb)

    def _create_member(self, lb: LbModel, address: str) -> bool:
        weight = self.rng.choice((1, 1, 2, 3))
        body = {"member": {"pool_id": lb.pool_id, "address": address, "protocol_port": 80,
                           "weight": weight}}

        def change(m: LbModel) -> None:
            m.members[address] = {"weight": weight, "admin_state_up": True}

        def adopt(m: LbModel, answer: Any) -> None:
            m.member_ids[address] = answer["member"]["id"]

        return self.write(lb, "POST", f"{LB}/members", body, change, adopt)

    def _create_vip(self, lb: LbModel) -> bool:
        vip = {"admin_state_up": True, "connection_limit": -1, "description": "vip"}
        body = {"vip": {"name": f"{lb.name}-vip", "pool_id": lb.pool_id,
                        "subnet_id": self.subnet_id, "protocol": "HTTP", "protocol_port": 80,
                        **vip}}

        def change(m: LbModel) -> None:
            m.vip = dict(vip)

        def adopt(m: LbModel, answer: Any) -> None:
            m.vip_id = answer["vip"]["id"]
            m.vip_address = answer["vip"]["address"]
            m.vip_port_id = answer["vip"]["port_id"]
            self.on_vip(m.vip_id)

        return self.write(lb, "POST", f"{LB}/vips", body, change, adopt)

    def delete(self, lb: LbModel) -> None:
        if lb.vip is not None:
            def no_vip(m: LbModel) -> None:
                m.vip, m.vip_id, m.vip_address, m.vip_port_id = None, None, None, None

            if not self.write(lb, "DELETE", f"{LB}/vips/{lb.vip_id}", None, no_vip):
                return

        def no_pool(m: LbModel) -> None:
            m.pool, m.pool_id = None, None
            m.members.clear()
            m.member_ids.clear()
            m.monitor, m.monitor_id = None, None

        self.write(lb, "DELETE", f"{LB}/pools/{lb.pool_id}", None, no_pool)

    def update_pool(self, lb: LbModel) -> None:
        assert lb.pool is not None
        changes: dict[str, Any] = {}
        roll = self.rng.random()
        if roll < 0.5:
            changes["lb_method"] = self.rng.choice(LB_METHODS)
        elif roll < 0.65:
            changes["admin_state_up"] = not lb.pool["admin_state_up"]
        else:
            changes["description"] = f"d{self.rng.randint(0, 9999)}"
        self._update(lb, "pool", f"{LB}/pools/{lb.pool_id}", changes)

    def update_vip(self, lb: LbModel) -> None:
        if lb.vip is None:
            self._create_vip(lb)
            return
        changes: dict[str, Any] = {}
        roll = self.rng.random()
        if roll < 0.2:
            changes["admin_state_up"] = not lb.vip["admin_state_up"]
        elif roll < 0.6:
            changes["connection_limit"] = self.rng.choice((-1, 100, 1000, 5000))
        else:
            changes["description"] = f"v{self.rng.randint(0, 9999)}"
        self._update(lb, "vip", f"{LB}/vips/{lb.vip_id}", changes)

    def _update(self, lb: LbModel, kind: str, path: str, changes: dict[str, Any]) -> None:
        def change(m: LbModel) -> None:
            target = getattr(m, kind)
            assert target is not None
            target.update(changes)

        self.write(lb, "PUT", path, {kind: changes}, change)

    def toggle_monitor(self, lb: LbModel) -> None:
        """Associate a new HTTP monitor with the pool, or take its monitor off and delete it."""
        if lb.monitor is not None:
            monitor_id = lb.monitor_id

            def off(m: LbModel) -> None:
                m.monitor, m.monitor_id = None, None

            path = f"{LB}/pools/{lb.pool_id}/health_monitors/{monitor_id}"
            if self.write(lb, "DELETE", path, None, off):
                self.http.call("DELETE", f"{LB}/health_monitors/{monitor_id}")
            return
        monitor = {"type": "HTTP", "delay": self.rng.choice((1, 2)), "url_path": "/"}
        made = self.http.call("POST", f"{LB}/health_monitors", {"health_monitor": {
            **monitor, "timeout": 1, "max_retries": 2}})
        if not made.ok:
            if made.status is not None and made.status < 500:
                self.problems.append(f"monitor create -> {made.status}: {made.body}")
            return  # an unanswered create leaves at most a monitor that nothing uses
        monitor_id = made.body["health_monitor"]["id"]
        self.on_monitor(monitor_id)

        def on(m: LbModel) -> None:
            m.monitor, m.monitor_id = dict(monitor), monitor_id

        self.write(lb, "POST", f"{LB}/pools/{lb.pool_id}/health_monitors",
                   {"health_monitor": {"id": monitor_id}}, on)

    def add_member(self, lb: LbModel) -> None:
        free = [a for a in self.backends if a not in lb.members]
        if free:
            self._create_member(lb, self.rng.choice(free))

    def delete_member(self, lb: LbModel) -> None:
        if not lb.members:
            return
        address = self.rng.choice(sorted(lb.members))

        def change(m: LbModel) -> None:
            del m.members[address]
            m.member_ids.pop(address, None)

        self.write(lb, "DELETE", self._member_path(lb, address), None, change)

    def update_member(self, lb: LbModel) -> None:
        if not lb.members:
            return
        address = self.rng.choice(sorted(lb.members))
        member = lb.members[address]
        if self.rng.random() < 0.3:
            changes: dict[str, Any] = {"admin_state_up": not member["admin_state_up"]}
        else:
            changes = {"weight": self.rng.choice((0, 1, 1, 2, 3, 5))}

        def change(m: LbModel) -> None:
            m.members[address].update(changes)

        self.write(lb, "PUT", self._member_path(lb, address), {"member": changes}, change)

    @staticmethod
    def _member_path(lb: LbModel, address: str) -> str:
        """A member of either API's load balancer, at its own API's path."""
        if lb.v2:
            return f"{V2}/pools/{lb.pool_id}/members/{lb.member_ids[address]}"
        return f"{LB}/members/{lb.member_ids[address]}"

    # -- operations through the v2 API -------------------------------------------------------

    def wait_settled(self, lb: LbModel, timeout: float = 1.5) -> None:
        """Until the load balancer is no longer PENDING_* (its last change is deployed), as a
        v2 client waits before its next change; at most `timeout`, and not at all while the
        API does not answer. The change may still meet a PENDING_* state (a 409)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            seen = self.http.call("GET", f"{V2}/loadbalancers/{lb.lb_id}")
            if not seen.ok or not seen.body["loadbalancer"]["provisioning_status"].startswith(
                    "PENDING"):
                return
            time.sleep(0.05)

    def create_v2(self) -> None:
        """A fully populated create: the load balancer, an HTTP listener on port 80, its
        default pool and 1-3 members, in one request."""
        self.made += 1
        lb = LbModel(name=f"wl-{self.made}", v2=True)
        self.lbs.append(lb)
        pool = {"lb_algorithm": self.rng.choice(LB_METHODS)}
        listener = {"connection_limit": self.rng.choice((-1, 1000)),
                    "timeout_client_data": 50000, "timeout_member_data": 50000}
        members = {address: {"weight": self.rng.choice((1, 1, 2, 3)), "admin_state_up": True}
                   for address in self.rng.sample(self.backends, self.rng.randint(1, 3))}
        body = {"loadbalancer": {
            "name": lb.name, "vip_subnet_id": self.subnet_id,
            "listeners": [{"name": f"{lb.name}-http", "protocol": "HTTP", "protocol_port": 80,
                           **listener, "default_pool": {
                               "name": f"{lb.name}-pool", "protocol": "HTTP", **pool,
                               "members": [{"address": address, "protocol_port": 80,
                                            "subnet_id": self.subnet_id, **fields}
                                           for address, fields in members.items()]}}]}}

        def change(m: LbModel) -> None:
            m.pool, m.listener = dict(pool), dict(listener)
            m.members = copy.deepcopy(members)

        def adopt(m: LbModel, answer: Any) -> None:
            made = answer["loadbalancer"]
            m.lb_id = made["id"]
            [listener_view] = made["listeners"]
            [pool_view] = made["pools"]
            m.listener_id, m.pool_id = listener_view["id"], pool_view["id"]
            m.member_ids = {v["address"]: v["id"] for v in pool_view["members"]}
            self.on_loadbalancer(m.lb_id)

        self.write(lb, "POST", f"{V2}/loadbalancers", body, change, adopt)

    def delete_v2(self, lb: LbModel) -> None:
        def gone(m: LbModel) -> None:
            m.lb_id, m.pool, m.pool_id, m.listener, m.listener_id = None, None, None, None, None
            m.members.clear()
            m.member_ids.clear()
            m.policy, m.policy_id = None, None
            m.monitor, m.monitor_id = None, None

        self.write(lb, "DELETE", f"{V2}/loadbalancers/{lb.lb_id}?cascade=true", None, gone)

    def update_listener(self, lb: LbModel) -> None:
        assert lb.listener is not None
        if self.rng.random() < 0.5:
            changes: dict[str, Any] = {
                "connection_limit": self.rng.choice((-1, 100, 1000, 5000))}
        else:
            key = self.rng.choice(("timeout_client_data", "timeout_member_data"))
            changes = {key: self.rng.choice((10000, 30000, 50000, 90000))}

        def change(m: LbModel) -> None:
            assert m.listener is not None
            m.listener.update(changes)

        self.write(lb, "PUT", f"{V2}/listeners/{lb.listener_id}", {"listener": changes},
                   change)

    def update_pool_v2(self, lb: LbModel) -> None:
        changes = {"lb_algorithm": self.rng.choice(LB_METHODS)}

        def change(m: LbModel) -> None:
            assert m.pool is not None
            m.pool.update(changes)

        self.write(lb, "PUT", f"{V2}/pools/{lb.pool_id}", {"pool": changes}, change)

    def add_member_v2(self, lb: LbModel) -> None:
        free = [a for a in self.backends if a not in lb.members]
        if not free:
            return
        address = self.rng.choice(free)
        weight = self.rng.choice((1, 1, 2, 3))
        body = {"member": {"address": address, "protocol_port": 80, "weight": weight,
                           "subnet_id": self.subnet_id}}

        def change(m: LbModel) -> None:
            m.members[address] = {"weight": weight, "admin_state_up": True}

        def adopt(m: LbModel, answer: Any) -> None:
            m.member_ids[address] = answer["member"]["id"]

        self.write(lb, "POST", f"{V2}/pools/{lb.pool_id}/members", body, change, adopt)

    def toggle_monitor_v2(self, lb: LbModel) -> None:
        """Give the pool an HTTP health monitor (one request), or delete the one it has."""
        if lb.monitor is not None:
            def off(m: LbModel) -> None:
                m.monitor, m.monitor_id = None, None

            self.write(lb, "DELETE", f"{V2}/healthmonitors/{lb.monitor_id}", None, off)
            return
        monitor = {"type": "HTTP", "delay": self.rng.choice((1, 2)), "url_path": "/"}
        body = {"healthmonitor": {"pool_id": lb.pool_id, **monitor, "timeout": 1,
                                  "max_retries": 2}}

        def on(m: LbModel) -> None:
            m.monitor = dict(monitor)

        def adopt(m: LbModel, answer: Any) -> None:
            m.monitor_id = answer["healthmonitor"]["id"]

        self.write(lb, "POST", f"{V2}/healthmonitors", body, on, adopt)

    def toggle_policy(self, lb: LbModel) -> None:
        """Add an L7 REJECT policy with a PATH STARTS_WITH rule (one request), or delete it."""
        if lb.policy is not None:
            def off(m: LbModel) -> None:
                m.policy, m.policy_id = None, None

            self.write(lb, "DELETE", f"{V2}/l7policies/{lb.policy_id}", None, off)
            return
        rule = {"type": "PATH", "compare_type": "STARTS_WITH",
                "value": self.rng.choice(REJECTED_PATHS)}
        body = {"l7policy": {"listener_id": lb.listener_id, "action": "REJECT",
                             "name": f"{lb.name}-reject", "rules": [rule]}}

        def on(m: LbModel) -> None:
            m.policy = {"action": "REJECT", "rules": [dict(rule)]}

        def adopt(m: LbModel, answer: Any) -> None:
            m.policy_id = answer["l7policy"]["id"]

        self.write(lb, "POST", f"{V2}/l7policies", body, on, adopt)

    # -- outcomes ----------------------------------------------------------------------------

    def write(
        self,
        lb: LbModel,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        change: Callable[[LbModel], None],
        adopt: Callable[[LbModel, Any], None] | None = None,
    ) -> bool:
        """Send one write and file its outcome; True when it was acknowledged."""
        result = self.http.call(method, path, body)
        if result.ok:
            self.counts["acknowledged"] += 1
            if lb.v2:
                self.counts["v2-acknowledged"] += 1
            change(lb)
            if adopt is not None:
                adopt(lb, result.body)
            return True
        if not result.sent:
            self.counts["refused-connection"] += 1
            return False
        if result.unknown:
            self.counts["unknown"] += 1
            after = copy.deepcopy(lb)
            change(after)
            lb.maybe = (copy.deepcopy(lb.snapshot()), copy.deepcopy(after.snapshot()))
            return False
        if lb.v2 and result.status == 409 and _not_now(result.body):
            self.counts["not-now"] += 1  # still PENDING_*: refused, nothing changed
            return False
        self.problems.append(f"{method} {path} {body} -> {result.status}: {result.body}")
        return False

    def fetch(self, lb: LbModel) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """The API's view of a load balancer as a snapshot, and the ids; None if unreachable."""
        if lb.v2:
            return self.fetch_v2(lb)
        found = self.http.call("GET", f"{LB}/pools?name={lb.name}")
        if not found.ok:
            return None
        pools = found.body["pools"]
        if len(pools) > 1:
            self.problems.append(f"{len(pools)} pools named {lb.name}: {pools}")
        ids: dict[str, Any] = {"pool_id": None, "vip_id": None, "member_ids": {},
                               "monitor_id": None}
        if not pools:
            return {"pool": None, "vip": None, "members": {}, "monitor": None}, ids
        pool = pools[0]
        ids["pool_id"] = pool["id"]
        snapshot: dict[str, Any] = {"pool": {k: pool[k] for k in POOL_FIELDS}, "vip": None,
                                    "monitor": None}
        if len(pool["health_monitors"]) > 1:
            self.problems.append(f"{lb.name} has monitors {pool['health_monitors']}")
        for monitor_id in pool["health_monitors"][:1]:
            monitor = self.http.call("GET", f"{LB}/health_monitors/{monitor_id}")
            if not monitor.ok:
                return None
            view = monitor.body["health_monitor"]
            snapshot["monitor"] = {k: view[k] for k in MONITOR_FIELDS}
            ids["monitor_id"] = monitor_id
        if pool["vip_id"]:
            vip = self.http.call("GET", f"{LB}/vips/{pool['vip_id']}")
            if not vip.ok:
                return None
            view = vip.body["vip"]
            snapshot["vip"] = {k: view[k] for k in VIP_FIELDS}
            ids.update(vip_id=view["id"], vip_address=view["address"],
                       vip_port_id=view["port_id"])
        members = self.http.call("GET", f"{LB}/members?pool_id={pool['id']}")
        if not members.ok:
            return None
        snapshot["members"] = {m["address"]: {k: m[k] for k in MEMBER_FIELDS}
                               for m in members.body["members"]}
        ids["member_ids"] = {m["address"]: m["id"] for m in members.body["members"]}
        return snapshot, ids

    def fetch_v2(self, lb: LbModel) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """`fetch` of a load balancer made through v2, read through v2."""
        found = self.http.call("GET", f"{V2}/loadbalancers?name={lb.name}")
        if not found.ok:
            return None
        lbs = found.body["loadbalancers"]
        if len(lbs) > 1:
            self.problems.append(f"{len(lbs)} load balancers named {lb.name}: {lbs}")
        ids: dict[str, Any] = {"lb_id": None, "listener_id": None, "pool_id": None,
                               "member_ids": {}, "policy_id": None, "monitor_id": None}
        if not lbs:
            return {"pool": None, "listener": None, "members": {}, "policy": None,
                    "monitor": None}, ids
        ids["lb_id"] = lb_id = lbs[0]["id"]
        listeners = self.http.call("GET", f"{V2}/listeners?loadbalancer_id={lb_id}")
        pools = self.http.call("GET", f"{V2}/pools?loadbalancer_id={lb_id}")
        if not listeners.ok or not pools.ok:
            return None
        if len(listeners.body["listeners"]) != 1 or len(pools.body["pools"]) != 1:
            self.problems.append(f"{lb.name}: listeners {listeners.body['listeners']}, "
                                 f"pools {pools.body['pools']}, want one of each")
            return None
        [listener], [pool] = listeners.body["listeners"], pools.body["pools"]
        ids.update(listener_id=listener["id"], pool_id=pool["id"])
        snapshot: dict[str, Any] = {
            "pool": {"lb_algorithm": pool["lb_algorithm"]},
            "listener": {k: listener[k] for k in LISTENER_FIELDS}, "policy": None,
            "monitor": None}
        if pool["healthmonitor_id"]:
            monitor = self.http.call("GET", f"{V2}/healthmonitors/{pool['healthmonitor_id']}")
            if not monitor.ok:
                return None
            view = monitor.body["healthmonitor"]
            snapshot["monitor"] = {k: view[k] for k in MONITOR_FIELDS}
            ids["monitor_id"] = view["id"]
        members = self.http.call("GET", f"{V2}/pools/{pool['id']}/members")
        if not members.ok:
            return None
        snapshot["members"] = {m["address"]: {k: m[k] for k in MEMBER_FIELDS}
                               for m in members.body["members"]}
        ids["member_ids"] = {m["address"]: m["id"] for m in members.body["members"]}
        policies = self.http.call("GET", f"{V2}/l7policies?listener_id={listener['id']}")
        if not policies.ok:
            return None
        if len(policies.body["l7policies"]) > 1:
            self.problems.append(f"{lb.name} has L7 policies {policies.body['l7policies']}")
        for policy in policies.body["l7policies"][:1]:
            rules = self.http.call("GET", f"{V2}/l7policies/{policy['id']}/rules")
            if not rules.ok:
                return None
            snapshot["policy"] = {"action": policy["action"], "rules": [
                {k: r[k] for k in RULE_FIELDS} for r in rules.body["rules"]]}
            ids["policy_id"] = policy["id"]
        return snapshot, ids

    def resync(self, lb: LbModel) -> bool:
        """Read an unsure load balancer back: it must be in one of its two possible states."""
        fetched = self.fetch(lb)
        if fetched is None:
            return False
        snapshot, ids = fetched
        assert lb.maybe is not None
        if snapshot not in lb.maybe:
            self.problems.append(f"{lb.name} is {snapshot}, neither before nor after an "
                                 f"unanswered write: {lb.maybe}")
        self._adopt(lb, snapshot, ids)
        lb.maybe = None
        return True

    def _adopt(self, lb: LbModel, snapshot: dict[str, Any], ids: dict[str, Any]) -> None:
        if lb.v2:
            lb.pool, lb.listener = snapshot["pool"], snapshot["listener"]
            lb.members, lb.policy = snapshot["members"], snapshot["policy"]
            lb.lb_id, lb.listener_id, lb.pool_id = ids["lb_id"], ids["listener_id"], ids["pool_id"]
            lb.member_ids, lb.policy_id = ids["member_ids"], ids["policy_id"]
            lb.monitor, lb.monitor_id = snapshot["monitor"], ids["monitor_id"]
            if lb.lb_id:
                self.on_loadbalancer(lb.lb_id)
            return
        lb.pool, lb.vip = snapshot["pool"], snapshot["vip"]
        lb.members = snapshot["members"]
        lb.pool_id, lb.vip_id = ids["pool_id"], ids["vip_id"]
        lb.vip_address = ids.get("vip_address")
        lb.vip_port_id = ids.get("vip_port_id")
        lb.member_ids = ids["member_ids"]
        lb.monitor, lb.monitor_id = snapshot["monitor"], ids["monitor_id"]
        if lb.pool_id:
            self.on_pool(lb.pool_id)
        if lb.vip_id:
            self.on_vip(lb.vip_id)

    def verify(self) -> list[str]:
        """Every load balancer as the model says, and no pool the model does not know."""
        problems = []
        for lb in self.lbs:
            fetched = self.fetch(lb)
            if fetched is None:
                problems.append(f"cannot read {lb.name} back")
                continue
            snapshot, ids = fetched
            if snapshot != lb.snapshot():
                problems.append(f"{lb.name}: the API shows {snapshot}, acknowledged writes "
                                f"left {lb.snapshot()}")
            elif lb.pool_id != ids["pool_id"] or ids.get("vip_id", lb.vip_id) != lb.vip_id or \
                    ids.get("lb_id", lb.lb_id) != lb.lb_id:
                problems.append(f"{lb.name}: ids {ids} differ from the model's")
        known = {lb.name for lb in self.lbs} | {f"{lb.name}-pool" for lb in self.lbs if lb.v2}
        listed = self.http.call("GET", f"{LB}/pools")
        if not listed.ok:
            return [*problems, f"cannot list the pools: {listed.status} {listed.error}"]
        problems += [f"pool {p['id']} ({p['name']}) that no operation made"
                     for p in listed.body["pools"] if p["name"] not in known]
        listed = self.http.call("GET", f"{V2}/loadbalancers")
        if not listed.ok:
            return [*problems, f"cannot list the load balancers: {listed.status} {listed.error}"]
        problems += [f"load balancer {b['id']} ({b['name']}) that no operation made"
                     for b in listed.body["loadbalancers"] if b["name"] not in known]
        return problems


def _not_now(body: Any) -> bool:
    """Whether a 409's fault body says the load balancer (or pool) is still PENDING_*."""
    text = body.get("faultstring", "") if isinstance(body, dict) else ""
    return any(marker in str(text) for marker in NOT_NOW)

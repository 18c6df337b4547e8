"""A seeded workload of API operations over many load balancers, and a model of what it asked for.

Every operation goes through `Workload.write()`, which sorts its outcome into one of three:

- acknowledged (2xx): the model takes the change; it must be there at the end;
- certainly not done (the connection could not even be made): the model stays as it was;
- unknown (the connection broke mid-request, a timeout, a 5xx): the load balancer is marked
  unsure with the two states it may be in (before and after the change). Before anything else
  is done to it, it is read back from the API, and what the API says must be one of the two;
  any other answer means an acknowledged write was lost or an unknown one half-applied.

Every object carries a unique name, so one whose creation was not acknowledged can be found.
"""

from __future__ import annotations

import copy
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

LB = "/v2.0/lb"
LB_METHODS = ("ROUND_ROBIN", "LEAST_CONNECTIONS", "SOURCE_IP")


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

    def snapshot(self) -> dict[str, Any]:
        """What the API must show for this load balancer (ids and addresses aside)."""
        exists = self.pool is not None
        return {"pool": self.pool, "vip": self.vip, "members": self.members if exists else {},
                "monitor": self.monitor if exists else None}

    @property
    def exists(self) -> bool:
        return self.pool is not None


POOL_FIELDS = ("lb_method", "admin_state_up", "description")
VIP_FIELDS = ("admin_state_up", "connection_limit", "description")
MEMBER_FIELDS = ("weight", "admin_state_up")
MONITOR_FIELDS = ("type", "delay", "url_path")


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
                                       "unknown": 0}
        self.problems: list[str] = []  # each one is a failure of the system under test
        self.on_pool: Callable[[str], None] = lambda _pool_id: None
        self.on_vip: Callable[[str], None] = lambda _vip_id: None
        self.on_monitor: Callable[[str], None] = lambda _monitor_id: None

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
            self.create()
            return kind
        lb = self.rng.choice(live)
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

        self.write(lb, "DELETE", f"{LB}/members/{lb.member_ids[address]}", None, change)

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

        self.write(lb, "PUT", f"{LB}/members/{lb.member_ids[address]}", {"member": changes},
                   change)

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
        self.problems.append(f"{method} {path} {body} -> {result.status}: {result.body}")
        return False

    def fetch(self, lb: LbModel) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """The API's view of a load balancer as a snapshot, and the ids; None if unreachable."""
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
            elif lb.pool_id != ids["pool_id"] or lb.vip_id != ids["vip_id"]:
                problems.append(f"{lb.name}: ids {ids} differ from the model's")
        listed = self.http.call("GET", f"{LB}/pools")
        known = {lb.name for lb in self.lbs}
        if not listed.ok:
            return [*problems, f"cannot list the pools: {listed.status} {listed.error}"]
        problems += [f"pool {p['id']} ({p['name']}) that no operation made"
                     for p in listed.body["pools"] if p["name"] not in known]
        return problems

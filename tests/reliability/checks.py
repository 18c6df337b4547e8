"""What a converged system must look like: nothing pending, every load balancer serving what its
desired state says, nothing left on the machine that no object owns.

Load balancers made through v1 and through v2 are checked alike: in the one model a v1 VIP is a
listener with a default pool, and the v1 listing of VIPs shows every such listener, v2 ones too
(docs/design.md, "One model"). What v1 cannot show (the load balancer a pool belongs to, L7
policies, the v2 provisioning states) is read through v2."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.integration.system import AgentProcess, System, processes, wait_for
from tests.integration.traffic import Client
from tests.reliability.workload import REJECTED_PATHS

from lbaas.drivers.haproxy.runtime import RuntimeApi

LB = "/v2.0/lb"
V2 = "/v2.0/lbaas"
V2_KINDS = ("loadbalancers", "listeners", "pools", "healthmonitors", "l7policies")


def pending(system: System) -> list[str]:
    """Objects in a PENDING_* state, and pools whose last change is not applied yet."""
    found = []
    for plural, key in (("pools", "pools"), ("vips", "vips"), ("members", "members")):
        for view in system.api.get(f"{LB}/{plural}")[key]:
            if view["status"].startswith("PENDING") or view["status"] == "ERROR":
                found.append(f"{plural[:-1]} {view['id']} {view['status']}: "
                             f"{view.get('status_description')}")
            elif plural == "pools" and view["status_description"]:
                found.append(f"pool {view['id']}: {view['status_description']}")
            for association in view.get("health_monitors_status", []):
                if association["status"].startswith("PENDING"):
                    found.append(f"pool {view['id']} monitor association {association}")
    for plural in V2_KINDS:
        for view in system.api.get(f"{V2}/{plural}")[plural]:
            state = view["provisioning_status"]
            if state.startswith("PENDING") or state == "ERROR":
                found.append(f"v2 {plural} {view['id']} {state}")
            if plural == "l7policies" and view["rules"]:
                for rule in system.api.get(f"{V2}/l7policies/{view['id']}/rules")["rules"]:
                    state = rule["provisioning_status"]
                    if state.startswith("PENDING") or state == "ERROR":
                        found.append(f"v2 l7rule {rule['id']} {state}")
    return found


def wait_converged(system: System, timeout: float) -> float:
    """Until nothing is pending; how long that took. Fails with what is still pending."""
    started = time.monotonic()
    wait_for("every change to be applied (nothing PENDING, no ERROR)",
             lambda: not pending(system) or None, timeout, every=0.25)
    return time.monotonic() - started


def deployable(system: System) -> dict[str, dict[str, Any]]:
    """Load balancers with a VIP (what must run), by id, each with its VIP (listener), that
    VIP's pool (v1 views), the pool's members and the listener's REJECT paths (the values of
    the PATH STARTS_WITH rules of its REJECT policies, all admin up). A v1 pool's load
    balancer has the pool's id; a v2 pool's is in its v2 view. (Each load balancer the fault
    workload makes has one listener, so one VIP.)"""
    vips = {v["pool_id"]: v for v in system.api.get(f"{LB}/vips")["vips"]}
    members: dict[str, list[dict[str, Any]]] = {}
    for member in system.api.get(f"{LB}/members")["members"]:
        members.setdefault(member["pool_id"], []).append(member)
    lb_of = {p["id"]: p["loadbalancers"][0]["id"]
             for p in system.api.get(f"{V2}/pools")["pools"] if p["loadbalancers"]}
    rejected: dict[str, list[str]] = {}
    for policy in system.api.get(f"{V2}/l7policies?action=REJECT")["l7policies"]:
        rules = system.api.get(f"{V2}/l7policies/{policy['id']}/rules")["rules"]
        if policy["admin_state_up"] and rules and all(r["admin_state_up"] for r in rules):
            rejected.setdefault(policy["listener_id"], []).extend(
                r["value"] for r in rules
                if r["type"] == "PATH" and r["compare_type"] == "STARTS_WITH" and
                not r["invert"])
    found: dict[str, dict[str, Any]] = {}
    for pool in system.api.get(f"{LB}/pools")["pools"]:
        if pool["id"] not in vips:
            continue
        vip = vips[pool["id"]]
        lb_id = lb_of.get(pool["id"], pool["id"])
        assert lb_id not in found, f"load balancer {lb_id} has two VIPs: {found[lb_id]}, {vip}"
        found[lb_id] = {"pool": pool, "vip": vip, "members": members.get(pool["id"], []),
                        "rejected": rejected.get(vip["id"], [])}
    return found


def servers_state(agent: AgentProcess, lb_id: str,
                  pool_id: str | None = None) -> dict[str, tuple[int, bool]]:
    """HAProxy's servers in the pool's backend (named by the pool id; a v1 pool's is the load
    balancer's): name -> (weight, in maintenance)."""
    answer = RuntimeApi(agent.state_dir / lb_id / "stats.sock").execute(
        f"show servers state {pool_id or lb_id}")
    servers = {}
    for line in answer.splitlines()[1:]:
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        # be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight ...
        # In maintenance: forced (runtime API or `disabled`), inherited, or from resolution;
        # CMAINT (0x04) alone only records that the configuration said `disabled`.
        admin = int(fields[6])
        servers[fields[3]] = (int(fields[7]), bool(admin & 0x0B))
    return servers


def serving_problems(system: System, agent: AgentProcess, client: Client,
                     texts: dict[str, str]) -> list[str]:
    """Each deployable load balancer: HAProxy has exactly its members with their weight and
    admin state, and requests from the client reach exactly the members that should serve
    (`texts`: member address -> what its web server answers)."""
    problems = []
    for lb_id, lb in deployable(system).items():
        pool, vip, members = lb["pool"], lb["vip"], lb["members"]
        want = {m["id"]: (m["weight"], not m["admin_state_up"]) for m in members}
        try:
            have = servers_state(agent, lb_id, pool["id"])
        except Exception as exc:
            problems.append(f"lb {lb_id}: cannot read its servers: {exc}")
            continue
        if have != want:
            problems.append(f"lb {lb_id}: haproxy has servers {have}, the API says {want}")
        problems += _traffic_problems(lb_id, pool, vip, members, client, texts)
        if vip["admin_state_up"]:
            problems += _rejected_problems(lb_id, vip["address"], lb["rejected"], client)
    return problems


def _rejected_problems(lb_id: str, address: str, rejected: list[str],
                       client: Client) -> list[str]:
    """Requests under each path an L7 REJECT policy names are answered 403 by HAProxy; under
    the paths the workload's policies use that no policy names now (one deleted), they are
    not."""
    problems = []
    for path in sorted(set(rejected) | set(REJECTED_PATHS)):
        reply = client.get(address, f"{path}/x", timeout=3.0)
        if path in rejected and reply.status != 403:
            problems.append(f"lb {lb_id}: L7 REJECT of {path}, yet {address}{path}/x answered "
                            f"{reply.status} {reply.text!r}")
        elif path not in rejected and reply.status in (0, 403):
            problems.append(f"lb {lb_id}: no L7 policy for {path}, yet {address}{path}/x "
                            f"answered {reply.status} {reply.text!r} {reply.error}")
    return problems


def _traffic_problems(lb_id: str, pool: dict[str, Any], vip: dict[str, Any],
                      members: list[dict[str, Any]], client: Client,
                      texts: dict[str, str]) -> list[str]:
    address = vip["address"]
    serving = [m for m in members if m["admin_state_up"] and m["weight"] > 0]
    expected = {texts[m["address"]] for m in serving}
    if not vip["admin_state_up"]:
        reply = client.get(address, timeout=2.0)
        if reply.status != 0:
            return [f"lb {lb_id}: VIP admin down, yet {address} answered {reply.status}"]
        return []
    if not pool["admin_state_up"] or not expected:
        reply = client.get(address, timeout=2.0)
        if reply.status != 503:
            why = "pool admin down" if not pool["admin_state_up"] else "no member serves"
            return [f"lb {lb_id}: {why}, yet {address} answered {reply.status} {reply.text!r}"]
        return []
    count = min(40, 2 * sum(m["weight"] for m in serving) + 2)
    replies = [client.get(address, timeout=3.0) for _ in range(count)]
    failed = [r for r in replies if not r.ok]
    seen = {r.text for r in replies if r.ok}
    problems = []
    if failed:
        problems.append(f"lb {lb_id}: {len(failed)} of {count} requests to {address} failed: "
                        f"{failed[:2]}")
    if not seen <= expected:
        problems.append(f"lb {lb_id}: answers from {seen - expected}, which must not serve")
    if pool["lb_method"] != "SOURCE_IP" and not failed and seen != expected:
        problems.append(f"lb {lb_id} ({pool['lb_method']}): {count} requests reached {seen}, "
                        f"not every serving member {expected}")
    return problems


def leftover_problems(system: System) -> list[str]:
    """On every agent: namespaces, state directories, HAProxy processes and applied-spec
    records exactly for the deployable load balancers; nothing at all of the others (a
    deleted v2 load balancer included: its id is among `system.made.lb_ids`)."""
    live = set(deployable(system))
    # what an agent may have applied: every v1 pool (one without a VIP is a bare load
    # balancer) and every v2 load balancer
    pools = {p["id"] for p in system.api.get(f"{LB}/pools")["pools"]}
    pools |= {b["id"] for b in system.api.get(f"{V2}/loadbalancers")["loadbalancers"]}
    problems = []
    for agent in system.agents.values():
        spaces = {agent.namespace(lb_id) for lb_id in live}
        if agent.namespaces() != spaces:
            problems.append(f"agent {agent.name}: namespaces {sorted(agent.namespaces())}, "
                            f"want {sorted(spaces)}")
        dirs = {p.name for p in agent.state_dir.iterdir()} if agent.state_dir.is_dir() else set()
        if dirs != live:
            problems.append(f"agent {agent.name}: state directories {sorted(dirs)}, want "
                            f"{sorted(live)}")
        for lb_id in live:
            if agent.haproxy_master(lb_id) is None:
                problems.append(f"agent {agent.name}: no haproxy master for {lb_id}")
        state_file = agent.data_dir / "lbaas-agent.json"
        try:
            applied = set(json.loads(state_file.read_text())["applied"])
        except (OSError, ValueError, KeyError):
            applied = set()
        if not applied <= pools:
            problems.append(f"agent {agent.name}: its state file names {applied - pools}")
    root = str(system.root)
    for pid, argv in processes():
        if root in argv and "haproxy" in argv and not any(f"/{i}/" in argv for i in live):
            problems.append(f"haproxy {pid} of no load balancer: {argv}")
    for lb_id in system.made.lb_ids - live:
        problems += [f"{lb_id} (not deployable): {what}" for what in system.remains_of(lb_id)]
    return problems

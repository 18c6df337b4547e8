"""v2 (Octavia) load balancers for the benchmarks, made through the API as a user makes them.

Every child write locks the load balancer (PENDING_UPDATE, further writes 409) until the agent
reports it applied, so each step here waits for the load balancer to be ACTIVE again before the
next; `wait_active` is also how a benchmark knows a change is in effect on the data plane.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bench.system import BenchError, Network, System

V2 = "/v2.0/lbaas"
MONITOR = {"type": "HTTP", "delay": 1, "timeout": 1, "max_retries": 2, "url_path": "/"}


@dataclass
class V2LoadBalancer:
    id: str
    address: str
    subnet_id: str
    listeners: dict[str, str] = field(default_factory=dict)  # name -> id
    pools: dict[str, str] = field(default_factory=dict)  # name -> id


def wait_active(system: System, lb: V2LoadBalancer, timeout: float = 60.0,
                interval: float = 0.02) -> float:
    """Wait until the load balancer is ACTIVE (the agent applied every change); the monotonic
    time seen. ERROR raises."""
    def active() -> bool:
        found = system.api.get(f"{V2}/loadbalancers/{lb.id}")["loadbalancer"]
        if found["provisioning_status"] == "ERROR":
            raise BenchError(f"load balancer {lb.id} went to ERROR")
        return bool(found["provisioning_status"] == "ACTIVE")
    return system.wait_for(active, timeout, f"load balancer {lb.id} ACTIVE", interval)


def load_balancer(system: System, net: Network, name: str = "lb") -> V2LoadBalancer:
    made = system.api.post(f"{V2}/loadbalancers", "loadbalancer", name=name,
                           vip_subnet_id=net.subnet_id)
    lb = V2LoadBalancer(made["id"], made["vip_address"], net.subnet_id)
    wait_active(system, lb)
    return lb


def listener(system: System, lb: V2LoadBalancer, name: str, protocol: str, port: int,
             **body: Any) -> str:
    made = system.api.post(f"{V2}/listeners", "listener", name=name, loadbalancer_id=lb.id,
                           protocol=protocol, protocol_port=port, **body)
    lb.listeners[name] = made["id"]
    wait_active(system, lb)
    return str(made["id"])


def pool(system: System, lb: V2LoadBalancer, name: str, members: list[tuple[str, int]], *,
         listener: str | None = None, monitor: dict[str, Any] | None = None,
         lb_algorithm: str = "ROUND_ROBIN") -> str:
    """A pool (the default pool of `listener`, if named) with members and, if given, a monitor."""
    where = ({"listener_id": lb.listeners[listener]} if listener is not None
             else {"loadbalancer_id": lb.id})
    made = system.api.post(f"{V2}/pools", "pool", name=name, protocol="HTTP",
                           lb_algorithm=lb_algorithm, **where)
    lb.pools[name] = made["id"]
    wait_active(system, lb)
    for address, port in members:
        system.api.post(f"{V2}/pools/{made['id']}/members", "member", address=address,
                        protocol_port=port, subnet_id=lb.subnet_id)
        wait_active(system, lb)
    if monitor is not None:
        system.api.post(f"{V2}/healthmonitors", "healthmonitor", pool_id=made["id"], **monitor)
        wait_active(system, lb)
    return str(made["id"])

"""Many HTTP clients changing the same objects at once, on SQLite, PostgreSQL and MariaDB: no
update is lost, nothing is duplicated (one VIP per pool, one address:port per pool, also when
objects are moved between pools), and no quota is exceeded.

tests/api/test_concurrency.py races the service functions on a Store; these go through the
whole API over real sockets, with a client per thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from tests.conftest import ADMIN_TOKEN
from tests.integration.system import free_port

from lbaas.server import ApiServer
from lbaas.settings import Settings
from lbaas.storage.db import Store

THREADS = 8
LB = "/v2.0/lb"


@pytest.fixture
def url(store: Store, settings: Settings) -> Iterator[str]:
    served = settings.model_copy(update={"listen": f"127.0.0.1:{free_port()}"})
    server = ApiServer(served, store, ADMIN_TOKEN)
    server.start()
    try:
        yield f"http://{served.listen}"
    finally:
        server.stop()


def client(url: str, token: str = ADMIN_TOKEN) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"X-Auth-Token": token}, timeout=60)


def race(count: int, work: Callable[[int, httpx.Client], Any], url: str,
         token: str = ADMIN_TOKEN) -> list[Any]:
    """work(i, own client) in `count` threads released together; their results in order."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        with client(url, token) as http:
            barrier.wait()
            try:
                results[index] = work(index, http)
            except Exception as exc:  # kept for the assertion
                results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def made(http: httpx.Client, path: str, key: str, **body: Any) -> dict[str, Any]:
    response = http.post(path, json={key: body})
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()[key]
    return answer


@pytest.fixture
def subnet(url: str) -> str:
    with client(url) as http:
        http.put("/v2.0/quotas/admin", json={"quota": {"pool": -1, "vip": -1}})
        network = made(http, "/v2.0/networks", "network", name="races")
        return str(made(http, "/v2.0/subnets", "subnet", network_id=network["id"],
                        cidr="198.18.0.0/22")["id"])


def test_clients_updating_one_load_balancer_lose_nothing(url: str, subnet: str) -> None:
    """Each client owns one attribute of the pool or of a member and sets it 8 times; at the end
    every attribute holds its client's last acknowledged value."""
    with client(url) as http:
        pool = made(http, f"{LB}/pools", "pool", subnet_id=subnet, protocol="HTTP",
                    lb_method="ROUND_ROBIN")
        members = [made(http, f"{LB}/members", "member", pool_id=pool["id"],
                        address=f"198.18.0.{10 + i}", protocol_port=80) for i in range(3)]
    owners: list[tuple[str, str, Callable[[int], Any]]] = [
        (f"{LB}/pools/{pool['id']}", "name", lambda k: f"name-{k}"),
        (f"{LB}/pools/{pool['id']}", "description", lambda k: f"description-{k}"),
        (f"{LB}/pools/{pool['id']}", "lb_method",
         lambda k: ("ROUND_ROBIN", "LEAST_CONNECTIONS", "SOURCE_IP")[k % 3]),
        (f"{LB}/pools/{pool['id']}", "admin_state_up", lambda k: k % 2 == 0),
        *((f"{LB}/members/{m['id']}", "weight", lambda k: k + 1) for m in members),
        (f"{LB}/members/{members[0]['id']}", "admin_state_up", lambda k: k % 2 == 1),
    ]
    assert len(owners) == THREADS

    def work(index: int, http: httpx.Client) -> Any:
        path, field, value = owners[index]
        key = "pool" if "/pools/" in path else "member"
        last = None
        for k in range(8):
            response = http.put(path, json={key: {field: value(k)}})
            assert response.status_code == 200, response.text
            last = value(k)
        return last

    results = race(THREADS, work, url)
    assert not [r for r in results if isinstance(r, Exception)], results
    with client(url) as http:
        for (path, field, _), last in zip(owners, results, strict=True):
            shown = next(iter(http.get(path).json().values()))
            assert shown[field] == last, (path, field, shown[field], last)


def test_moves_and_creates_never_duplicate_a_member(url: str, subnet: str) -> None:
    """Half the clients create 198.18.0.50:80 in the target pool, half move a member with that
    address and port there from another pool: exactly one wins."""
    with client(url) as http:
        target = made(http, f"{LB}/pools", "pool", subnet_id=subnet, protocol="HTTP",
                      lb_method="ROUND_ROBIN")
        movers = []
        for _ in range(THREADS // 2):
            other = made(http, f"{LB}/pools", "pool", subnet_id=subnet, protocol="HTTP",
                         lb_method="ROUND_ROBIN")
            movers.append(made(http, f"{LB}/members", "member", pool_id=other["id"],
                               address="198.18.0.50", protocol_port=80)["id"])

    def work(index: int, http: httpx.Client) -> int:
        if index % 2:
            body = {"member": {"pool_id": target["id"], "address": "198.18.0.50",
                               "protocol_port": 80}}
            return http.post(f"{LB}/members", json=body).status_code
        return http.put(f"{LB}/members/{movers[index // 2]}",
                        json={"member": {"pool_id": target["id"]}}).status_code

    codes = race(THREADS, work, url)
    assert sorted(codes) == sorted([409] * (THREADS - 1) + [next(c for c in codes if c < 300)])
    with client(url) as http:
        there = http.get(f"{LB}/members?pool_id={target['id']}").json()["members"]
    assert len(there) == 1, there


def test_vip_moves_never_give_a_pool_two_vips(url: str, subnet: str) -> None:
    with client(url) as http:
        target = made(http, f"{LB}/pools", "pool", subnet_id=subnet, protocol="HTTP",
                      lb_method="ROUND_ROBIN")
        vips = []
        for port in range(THREADS):
            pool = made(http, f"{LB}/pools", "pool", subnet_id=subnet, protocol="HTTP",
                        lb_method="ROUND_ROBIN")
            vips.append(made(http, f"{LB}/vips", "vip", pool_id=pool["id"], subnet_id=subnet,
                             protocol="HTTP", protocol_port=80 + port)["id"])

    codes = race(THREADS, lambda i, http: http.put(
        f"{LB}/vips/{vips[i]}", json={"vip": {"pool_id": target["id"]}}).status_code, url)
    assert sorted(codes) == [200] + [409] * (THREADS - 1), codes
    with client(url) as http:
        assert len(http.get(f"{LB}/vips?pool_id={target['id']}").json()["vips"]) == 1
        assert http.get(f"{LB}/pools/{target['id']}").json()["pool"]["vip_id"] is not None


@pytest.mark.parametrize("resource", ["vip", "member", "health_monitor"])
def test_a_projects_racing_creates_stay_within_its_quota(url: str, subnet: str,
                                                         resource: str) -> None:
    with client(url) as http:
        token = made(http, "/v2.0/tokens", "token", project_id="racer",
                     roles=["member"])["token"]
        assert http.put("/v2.0/quotas/racer", json={"quota": {resource: 3, "pool": -1}}
                        ).status_code == 200
    with client(url, token) as http:
        network = made(http, "/v2.0/networks", "network", name="own")
        own = made(http, "/v2.0/subnets", "subnet", network_id=network["id"],
                   cidr="198.18.8.0/24")["id"]
        pools = [made(http, f"{LB}/pools", "pool", subnet_id=own, protocol="HTTP",
                      lb_method="ROUND_ROBIN")["id"] for _ in range(THREADS)]

    def work(index: int, http: httpx.Client) -> int:
        if resource == "vip":
            body: dict[str, Any] = {"pool_id": pools[index], "subnet_id": own,
                                    "protocol": "HTTP", "protocol_port": 80}
        elif resource == "member":
            body = {"pool_id": pools[0], "address": f"198.18.8.{50 + index}",
                    "protocol_port": 80}
        else:
            body = {"type": "TCP", "delay": 1, "timeout": 1, "max_retries": 1}
        return http.post(f"{LB}/{resource}s", json={resource: body}).status_code

    codes = race(THREADS, work, url, token)
    assert sorted(codes) == [201] * 3 + [409] * (THREADS - 3), codes
    with client(url, token) as http:
        assert len(http.get(f"{LB}/{resource}s").json()[f"{resource}s"]) == 3

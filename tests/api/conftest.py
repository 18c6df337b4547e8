"""An in-process API over a fresh database, and a small client that speaks the v1 wire format."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lbaas.api.app import create_app
from lbaas.settings import Settings
from lbaas.storage.db import Store
from lbaas.storage.models import Base
from tests.conftest import ADMIN_TOKEN


class Api:
    """A TestClient bound to one token, with helpers that create objects and return their body."""

    def __init__(self, client: TestClient, token: str, store: Store | None = None) -> None:
        self.client = client
        self.token = token
        self.store = store

    def as_token(self, token: str) -> Api:
        return Api(self.client, token, self.store)

    def request(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        headers = {"X-Auth-Token": self.token} if self.token else {}
        headers.update(kw.pop("headers", {}))
        return self.client.request(method, path, json=body, headers=headers, **kw)

    def get(self, path: str, **kw: Any) -> Any:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any, **kw: Any) -> Any:
        return self.request("POST", path, body, **kw)

    def put(self, path: str, body: Any, **kw: Any) -> Any:
        return self.request("PUT", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.request("DELETE", path, **kw)

    def create(self, plural_path: str, key: str, **attrs: Any) -> dict[str, Any]:
        response = self.post(plural_path, {key: attrs})
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()[key]
        return body

    def network(self, **attrs: Any) -> dict[str, Any]:
        return self.create("/v2.0/networks", "network", **{"name": "net", **attrs})

    def subnet(self, network_id: str, cidr: str = "198.18.1.0/24", **attrs: Any) -> dict[str, Any]:
        return self.create("/v2.0/subnets", "subnet", network_id=network_id, cidr=cidr, **attrs)

    def pool(self, subnet_id: str, **attrs: Any) -> dict[str, Any]:
        body = {"name": "pool", "protocol": "HTTP", "lb_method": "ROUND_ROBIN", **attrs}
        return self.create("/v2.0/lb/pools", "pool", subnet_id=subnet_id, **body)

    def member(self, pool_id: str, address: str = "198.18.1.10", **attrs: Any) -> dict[str, Any]:
        body = {"protocol_port": 80, **attrs}
        return self.create("/v2.0/lb/members", "member", pool_id=pool_id, address=address, **body)

    def vip(self, pool_id: str, subnet_id: str, **attrs: Any) -> dict[str, Any]:
        body = {"name": "vip", "protocol": "HTTP", "protocol_port": 80, **attrs}
        return self.create("/v2.0/lb/vips", "vip", pool_id=pool_id, subnet_id=subnet_id, **body)

    def monitor(self, **attrs: Any) -> dict[str, Any]:
        body = {"type": "HTTP", "delay": 5, "timeout": 3, "max_retries": 3, **attrs}
        return self.create("/v2.0/lb/health_monitors", "health_monitor", **body)

    def associate(self, pool_id: str, monitor_id: str) -> Any:
        body = {"health_monitor": {"id": monitor_id}}
        return self.post(f"/v2.0/lb/pools/{pool_id}/health_monitors", body)

    def show(self, path: str) -> dict[str, Any]:
        """The object at `path`, unwrapped from its root key."""
        response = self.get(path)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert len(body) == 1, body
        return next(iter(body.values()))  # type: ignore[no-any-return]

    def items(self, path: str) -> list[dict[str, Any]]:
        """The list at `path`, unwrapped from its root key."""
        response = self.get(path)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert len(body) == 1, body
        return next(iter(body.values()))  # type: ignore[no-any-return]

    def ids(self, path: str) -> list[str]:
        return sorted(item["id"] for item in self.items(path))

    def world(self) -> dict[str, list[tuple[str, ...]]]:
        """Every row of every table: compared before and after a rejected request."""
        assert self.store is not None
        with self.store.read() as session:
            return {
                table.name: sorted(
                    tuple(str(v) for v in row) for row in session.execute(table.select())
                )
                for table in Base.metadata.sorted_tables
            }

    def register_agent(self, host: str = "agent-1", **attrs: Any) -> str:
        body = {
            "host": host,
            "configurations": {"device_drivers": ["haproxy"]},
            "start_flag": True,
            **attrs,
        }
        response = self.as_token(ADMIN_TOKEN).post("/agent/v1/agents", body)
        assert response.status_code == 200, response.text
        agent_id: str = response.json()["agent_id"]
        return agent_id

    def desired(self, agent_id: str) -> dict[str, Any]:
        response = self.as_token(ADMIN_TOKEN).get(f"/agent/v1/agents/{agent_id}/desired-state")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def revision_of(self, agent_id: str, pool_id: str) -> int:
        for spec in self.desired(agent_id)["loadbalancers"]:
            if spec["id"] == pool_id:
                return int(spec["revision"])
        raise AssertionError(f"pool {pool_id} is not in agent {agent_id}'s desired state")

    def report(self, agent_id: str, *loadbalancers: dict[str, Any]) -> Any:
        body = {"loadbalancers": list(loadbalancers)}
        return self.as_token(ADMIN_TOKEN).post(f"/agent/v1/agents/{agent_id}/reports", body)

    def token_for(self, project: str, *roles: str) -> str:
        body = {"token": {"project_id": project, "roles": list(roles or ("member",))}}
        response = self.post("/v2.0/tokens", body)
        assert response.status_code == 201, response.text
        secret: str = response.json()["token"]["token"]
        return secret


@pytest.fixture
def client(store: Store, settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings, store, ADMIN_TOKEN)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def api(client: TestClient, store: Store) -> Api:
    return Api(client, ADMIN_TOKEN, store)


def error(response: Any, status: int, type_: str | None = None) -> dict[str, Any]:
    """Assert a NeutronError answer with this status (and type); return its body."""
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert set(body) == {"NeutronError"}, body
    err: dict[str, Any] = body["NeutronError"]
    assert set(err) == {"type", "message", "detail"}, err
    assert isinstance(err["message"], str) and err["message"], err
    if type_ is not None:
        assert err["type"] == type_, err
    return err


@pytest.fixture
def lb_net(api: Api) -> dict[str, Any]:
    """A tenant network with one subnet, for tests that need a pool."""
    network = api.network()
    subnet = api.subnet(network["id"])
    return {"network": network, "subnet": subnet}


@pytest.fixture
def alice(api: Api) -> Api:
    """A member of project-a."""
    return api.as_token(api.token_for("project-a", "member"))


@pytest.fixture
def bob(api: Api) -> Api:
    """A member of project-b."""
    return api.as_token(api.token_for("project-b", "member"))


def own_subnet(user: Api, cidr: str = "198.18.2.0/24") -> str:
    """A network and subnet of the user's own project; the subnet id."""
    network = user.network()
    return user.subnet(network["id"], cidr=cidr)["id"]

"""An in-process API over a fresh database, and a small client that speaks the v1 wire format."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lbaas.api.app import create_app
from lbaas.settings import Settings
from lbaas.storage.db import Store
from tests.conftest import ADMIN_TOKEN


class Api:
    """A TestClient bound to one token, with helpers that create objects and return their body."""

    def __init__(self, client: TestClient, token: str) -> None:
        self.client = client
        self.token = token

    def as_token(self, token: str) -> Api:
        return Api(self.client, token)

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
def api(client: TestClient) -> Api:
    return Api(client, ADMIN_TOKEN)


@pytest.fixture
def lb_net(api: Api) -> dict[str, Any]:
    """A tenant network with one subnet, for tests that need a pool."""
    network = api.network()
    subnet = api.subnet(network["id"])
    return {"network": network, "subnet": subnet}

"""lbaas inside a (test) OpenStack cloud: a real Keystone whose catalog lists lbaas (made with
`lbaas keystone register`), an API server validating tokens with it (`auth = "keystone"`, as its
registered service user), and the real clients with a clouds.yaml (password auth through
Keystone, every endpoint from the catalog): `openstack --os-cloud C ...` and openstacksdk's
`openstack.connect(cloud=C)`.

The clients run from their own virtual environment (LBAAS_OPENSTACK_BIN, see
test_openstackclient.py); OS_CLIENT_CONFIG_FILE names the clouds.yaml, HOME a scratch directory.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import yaml
from tests.integration.test_openstacksdk import OPENSTACK, PYTHON, Sdk
from tests.keystone_lab import Keystone, User, free_port
from tests.require import require_or_skip
from typer.testing import CliRunner

from lbaas.cli.main import app
from lbaas.server import ApiServer, prepare
from lbaas.settings import Settings

SUBNET = "198.18.94.0/24"


@dataclass
class Cloud:
    """clouds.yaml with one cloud per user, and the environment the clients run in."""

    env: dict[str, str]
    users: dict[str, User]

    def openstack(self, cloud: str, *args: str) -> Any:
        """`openstack --os-cloud CLOUD ARGS -f json`: its parsed output."""
        done = subprocess.run([str(OPENSTACK), "--os-cloud", cloud, *args, "-f", "json"],
                              capture_output=True, text=True, env=self.env, timeout=120)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return json.loads(done.stdout)

    def sdk(self, cloud: str) -> Sdk:
        return Sdk("--cloud", cloud, env=self.env)


def _register(ks: Keystone, url: str, service_password: str) -> None:
    admin = {"OS_AUTH_URL": ks.url, "OS_USERNAME": "admin", "OS_PASSWORD": ks.admin_password,
             "OS_PROJECT_NAME": "admin"}
    result = CliRunner().invoke(app, [
        "keystone", "register", "--public-url", url, "--with-network", "--with-key-manager",
        "--service-user", "lbaas-clients", "--service-password", service_password], env=admin)
    assert result.exit_code == 0, result.output


def _clouds_yaml(ks: Keystone, users: dict[str, User]) -> dict[str, Any]:
    return {"clouds": {name: {
        "auth": {"auth_url": ks.url, "username": user.name, "password": user.password,
                 "project_name": user.project_name, "user_domain_name": "Default",
                 "project_domain_name": "Default"},
        "region_name": "RegionOne", "interface": "public", "identity_api_version": 3,
    } for name, user in users.items()}}


@pytest.fixture(scope="module")
def cloud(keystone: Keystone, tmp_path_factory: pytest.TempPathFactory,
          ) -> Iterator[Cloud]:
    if not OPENSTACK.exists() or not PYTHON.exists():
        require_or_skip(f"python-openstackclient and openstacksdk are not installed at "
                        f"{OPENSTACK} (./run test installs them; or set LBAAS_OPENSTACK_BIN)")
    root = tmp_path_factory.mktemp("keystone-clients")
    listen = f"127.0.0.1:{free_port()}"
    service_password = secrets.token_urlsafe(12)
    _register(keystone, f"http://{listen}", service_password)
    settings = Settings(
        data_dir=root / "data", listen=listen, admin_token=uuid.uuid4().hex,
        auth="keystone", keystone_auth_url=keystone.url, keystone_username="lbaas-clients",
        keystone_password=service_password, keystone_project_name="service",
        auth_failures_per_minute=10_000)
    store, token = prepare(settings)
    server = ApiServer(settings, store, token)
    server.start()
    try:
        users = {"C": keystone.user_in_new_project(["member"]),
                 "D": keystone.user_in_new_project(["member"])}
        config = root / "clouds.yaml"
        config.write_text(yaml.safe_dump(_clouds_yaml(keystone, users)))
        home = root / "home"
        home.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        yield Cloud({**env, "OS_CLIENT_CONFIG_FILE": str(config), "HOME": str(home)}, users)
    finally:
        server.stop()


def test_openstack_cli_and_sdk_find_lbaas_in_the_catalog(cloud: Cloud) -> None:
    project = cloud.users["C"].project_id
    # the network service of the catalog is lbaas too (--with-network)
    net = cloud.openstack("C", "network", "create", "kc-net")
    subnet = cloud.openstack("C", "subnet", "create", "--network", net["id"],
                             "--subnet-range", SUBNET, "kc-subnet")
    assert subnet["network_id"] == net["id"] and subnet["project_id"] == project

    sdk = cloud.sdk("C")
    try:
        made = sdk("create_load_balancer", name="kc", vip_subnet_id=subnet["id"])
        assert made["project_id"] == project
        assert [lb["id"] for lb in sdk("load_balancers")] == [made["id"]]
    finally:
        sdk.close()

    listed = cloud.openstack("C", "loadbalancer", "list")
    assert [(lb["id"], lb["name"], lb["project_id"]) for lb in listed] == [
        (made["id"], "kc", project)]
    assert cloud.openstack("D", "loadbalancer", "list") == []

    # the key-manager service of the catalog is lbaas's secret store (--with-key-manager)
    stored = cloud.openstack("C", "secret", "store", "--name", "kc-secret",
                             "--payload", "not-so-secret")
    names = [s["Name"] for s in cloud.openstack("C", "secret", "list")]
    assert names == ["kc-secret"], stored
    assert cloud.openstack("D", "secret", "list") == []

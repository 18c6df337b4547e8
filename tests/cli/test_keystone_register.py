"""`lbaas keystone register` against a real Keystone (tests/keystone_lab.py): what it makes is
read back through Keystone's own API and in the catalog of a user's token."""

from __future__ import annotations

import os
import uuid
from typing import Any

import httpx
from click.testing import Result
from typer.testing import CliRunner

from lbaas.cli.main import app
from tests.keystone_lab import Keystone, free_port

URL = "http://198.18.7.1:9696"
ROLES = ("load-balancer_admin", "load-balancer_member", "load-balancer_observer",
         "load-balancer_global_observer", "load-balancer_quota_admin")


def register(ks: Keystone, *args: str, **env: str | None) -> Result:
    """`lbaas keystone register ARGS` as Keystone's admin (env overrides the OS_* given)."""
    clean: dict[str, str | None] = {k: None for k in os.environ if k.startswith(("OS_", "LBAAS_"))}
    admin = {"OS_AUTH_URL": ks.url, "OS_USERNAME": "admin", "OS_PASSWORD": ks.admin_password,
             "OS_PROJECT_NAME": "admin", "OS_USER_DOMAIN_NAME": "Default",
             "OS_PROJECT_DOMAIN_NAME": "Default"}
    return CliRunner().invoke(app, ["keystone", "register", *args],
                              env={**clean, **admin, **env, "COLUMNS": "300"})


def registered(ks: Keystone, *args: str) -> str:
    result = register(ks, *args)
    assert result.exit_code == 0, result.output
    return result.output


def refused(ks: Keystone, *args: str, **env: str | None) -> str:
    result = register(ks, *args, **env)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    return result.output


def services(ks: Keystone, kind: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = ks.call("GET", "/services", params={"type": kind})["services"]
    return found


def endpoints(ks: Keystone, kind: str, region: str = "RegionOne") -> dict[str, dict[str, Any]]:
    """The endpoints of the one service of type `kind` in `region`, by interface."""
    [service] = services(ks, kind)
    found = ks.call("GET", "/endpoints", params={"service_id": service["id"]})["endpoints"]
    mine = [e for e in found if e["region_id"] == region]
    by_interface = {e["interface"]: e for e in mine}
    assert len(by_interface) == len(mine), mine
    return by_interface


def roles(ks: Keystone) -> set[str]:
    return {r["name"] for r in ks.call("GET", "/roles")["roles"]}


def forget_services(ks: Keystone) -> None:
    """A catalog without the services register makes (as other tests may have left them)."""
    for kind in ("load-balancer", "network", "key-manager"):
        for service in services(ks, kind):
            ks.call("DELETE", f"/services/{service['id']}")


def test_register_builds_the_catalog_once_and_a_second_run_changes_nothing(
    keystone: Keystone,
) -> None:
    ks = keystone
    forget_services(ks)
    tag = uuid.uuid4().hex[:8]
    out = registered(ks, "--public-url", URL + "/")
    assert "created service load-balancer (lbaas" in out
    for interface in ("public", "internal", "admin"):
        assert f"created endpoint {interface} of load-balancer: {URL}\n" in out
    assert {i: e["url"] for i, e in endpoints(ks, "load-balancer").items()} == {
        "public": URL, "internal": URL, "admin": URL}
    assert services(ks, "load-balancer")[0]["name"] == "lbaas"
    assert services(ks, "key-manager") == [] and services(ks, "network") == []
    assert "role" not in out and "user" not in out

    # a Neutron already in the catalog: --with-network refuses before changing anything
    neutron = ks.call("POST", "/services", json={"service": {
        "type": "network", "name": "neutron"}})["service"]
    out = refused(ks, "--public-url", URL, "--with-network", "--with-octavia-roles")
    assert f"already has a network service named 'neutron' (id {neutron['id']})" in out
    assert services(ks, "load-balancer")[0]["name"] == "lbaas"
    assert [s["id"] for s in services(ks, "network")] == [neutron["id"]]
    ks.call("DELETE", f"/services/{neutron['id']}")

    password = uuid.uuid4().hex
    everything = ("--public-url", URL, "--internal-url", "http://198.18.7.2:9696",
                  "--with-network", "--with-key-manager", "--with-octavia-roles",
                  "--service-user", f"lbaas-{tag}", "--service-password", password)
    out = registered(ks, *everything)
    assert "updated endpoint internal of load-balancer: " \
           f"{URL} -> http://198.18.7.2:9696" in out
    assert f"endpoint public of load-balancer exists: {URL}" in out
    assert "created service network (lbaas-network" in out
    assert "created service key-manager (lbaas-key-manager" in out
    assert f"created user lbaas-{tag}" in out
    for role in ROLES:
        assert f"created role {role}\n" in out or f"role {role} exists\n" in out
    assert set(ROLES) <= roles(ks)
    lb = endpoints(ks, "load-balancer")
    assert lb["internal"]["url"] == "http://198.18.7.2:9696"
    assert endpoints(ks, "network")["public"]["url"] == URL
    assert {e["url"] for e in endpoints(ks, "key-manager").values()} == {
        URL + "/v1", "http://198.18.7.2:9696/v1"}

    before = {kind: {i: e["id"] for i, e in endpoints(ks, kind).items()}
              for kind in ("load-balancer", "network", "key-manager")}
    out = registered(ks, *everything)
    assert out.strip().endswith("Nothing to change: Keystone already has all of it."), out
    assert "created" not in out and "updated" not in out
    assert "endpoint admin of key-manager exists" in out and f"user lbaas-{tag} exists" in out
    assert before == {kind: {i: e["id"] for i, e in endpoints(ks, kind).items()}
                      for kind in before}
    for kind in ("load-balancer", "network", "key-manager"):
        assert len(services(ks, kind)) == 1

    # the catalog a user's token carries finds lbaas
    user = ks.user_in_new_project(["member"])
    _, body = ks.password_token(user.name, user.password, user.project_name)
    catalog = {entry["type"]: entry for entry in body["token"]["catalog"]}
    public = {e["url"] for e in catalog["load-balancer"]["endpoints"]
              if e["interface"] == "public"}
    assert public == {URL}
    assert catalog["load-balancer"]["name"] == "lbaas"

    # the service user validates other users' tokens (identity:validate_token)
    service_token, service_body = ks.password_token(f"lbaas-{tag}", password, "service")
    assert [r["name"] for r in service_body["token"]["roles"]] == ["service"]
    seen = httpx.get(f"{ks.url}/auth/tokens", timeout=30, headers={
        "X-Auth-Token": service_token, "X-Subject-Token": user.token()})
    assert seen.status_code == 200, seen.text
    assert seen.json()["token"]["project"]["id"] == user.project_id

    # a new password for the service user is set, the old one stops working
    new_password = uuid.uuid4().hex
    out = registered(ks, *everything[:-1], new_password)
    assert f"updated the password of user lbaas-{tag}" in out and "1 change made" in out
    assert ks.password_token(f"lbaas-{tag}", new_password, "service")[1]["token"]["roles"]
    old = httpx.post(f"{ks.url}/auth/tokens", timeout=30, json={"auth": {"identity": {
        "methods": ["password"], "password": {"user": {
            "name": f"lbaas-{tag}", "domain": {"id": "default"}, "password": password}}}}})
    assert old.status_code == 401


def test_an_endpoint_with_another_url_is_updated_in_place(keystone: Keystone) -> None:
    region = f"R-{uuid.uuid4().hex[:8]}"
    out = registered(keystone, "--public-url", URL, "--region", region)
    assert f"created region {region}" in out
    first = endpoints(keystone, "load-balancer", region)
    out = registered(keystone, "--public-url", "https://lb.example.test:9876",
                     "--admin-url", URL, "--region", region)
    assert f"region {region} exists" in out
    assert "updated endpoint public of load-balancer: " \
           f"{URL} -> https://lb.example.test:9876" in out
    assert "updated endpoint internal of load-balancer" in out
    assert f"endpoint admin of load-balancer exists: {URL}" in out
    assert "2 changes made in Keystone" in out
    now = endpoints(keystone, "load-balancer", region)
    assert {i: e["id"] for i, e in now.items()} == {i: e["id"] for i, e in first.items()}
    assert now["public"]["url"] == now["internal"]["url"] == "https://lb.example.test:9876"
    assert now["admin"]["url"] == URL


def test_errors_are_one_clear_line_and_change_nothing(keystone: Keystone) -> None:
    region = f"R-{uuid.uuid4().hex[:8]}"
    args = ("--public-url", URL, "--region", region, "--with-octavia-roles")

    out = refused(keystone, *args, OS_PASSWORD="not-the-password")
    assert "Keystone refused the credentials of 'admin' (project 'admin')" in out

    closed = f"http://127.0.0.1:{free_port()}/v3"
    out = refused(keystone, *args, OS_AUTH_URL=closed)
    assert f"Keystone is unreachable at {closed}" in out
    out = refused(keystone, *args, "--auth-url", closed)
    assert f"Keystone is unreachable at {closed}" in out

    out = refused(keystone, *args, OS_USERNAME=None, OS_PASSWORD=None)
    assert "credentials missing: set OS_USERNAME, OS_PASSWORD" in out
    out = refused(keystone, *args, OS_AUTH_URL=None)
    assert "set OS_AUTH_URL" in out
    # --auth-url stands for OS_AUTH_URL
    out = registered(keystone, *args, "--auth-url", keystone.url, "--region", region + "x")
    assert f"created region {region}x" in out

    assert "must be an http:// or https:// URL" in refused(keystone, "--public-url", "lb:9696")
    assert "--internal-url must be" in refused(
        keystone, "--public-url", URL, "--internal-url", "http://x/ y")
    assert "--region must be a name" in refused(keystone, "--public-url", URL, "--region", "a b")
    assert "--service-user needs --service-password" in refused(
        keystone, "--public-url", URL, "--service-user", "lbaas")
    assert "no domain named 'Nowhere'" in refused(
        keystone, *args, "--service-user", "u", "--service-password", "p",
        "--service-domain", "Nowhere")

    regions = {r["id"] for r in keystone.call("GET", "/regions")["regions"]}
    assert region not in regions and region + "x" in regions


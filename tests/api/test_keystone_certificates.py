"""Certificates with Keystone identities (`auth = "keystone"`, a real Keystone and a real
Barbican from PyPI): our own secret store is per Keystone project, and a TLS ref may name a
container in that Barbican, read with the caller's token when the listener is made."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from fastapi.testclient import TestClient

from lbaas.api.app import create_app
from lbaas.settings import Settings
from lbaas.storage.db import Store
from tests.api.conftest import ADMIN_TOKEN, Api, own_subnet
from tests.api.test_secrets import store as store_secret
from tests.api.test_v2_framework import fault
from tests.api.test_v2_loadbalancers import make_lb, settle
from tests.barbican_lab import KeyManagerLab
from tests.keystone_lab import free_port
from tests.unit.drivers.haproxy.tls_material import Issued, TestCa

V2 = "/v2.0/lbaas"
UUID = "6d5c1b2a-0000-4000-8000-000000000000"


@pytest.fixture
def lab(key_manager_lab: KeyManagerLab) -> KeyManagerLab:
    return key_manager_lab


def keystone_settings(settings: Settings, lab: KeyManagerLab, **more: Any) -> Settings:
    ks = lab.keystone
    return settings.model_copy(update={
        "auth": "keystone", "keystone_auth_url": ks.url, "keystone_username": "admin",
        "keystone_password": ks.admin_password, "keystone_project_name": "admin", **more})


@pytest.fixture
def kapi(store: Store, settings: Settings, lab: KeyManagerLab) -> Iterator[Api]:
    """The API with Keystone as the identity source (Barbican found in the catalog)."""
    app = create_app(keystone_settings(settings, lab), store, ADMIN_TOKEN)
    with TestClient(app) as client:
        yield Api(client, ADMIN_TOKEN, store)


def member(api: Api, lab: KeyManagerLab, roles: tuple[str, ...] = ("member",)) -> Api:
    """A Keystone user of a new project, calling with a Keystone token."""
    return api.as_token(lab.keystone.user_in_new_project(list(roles)).token())


def our_container(user: Api, issued: Issued) -> str:
    refs = [{"name": "certificate", "secret_ref": store_secret(user, issued.cert)},
            {"name": "private_key", "secret_ref": store_secret(user, issued.key)}]
    answer = user.post("/v1/containers", {"type": "certificate", "secret_refs": refs})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["container_ref"])


def barbican_container(lab: KeyManagerLab, token: str, issued: Issued) -> str:
    bb = lab.barbican
    return bb.store_container(token, "web", {
        "certificate": bb.store_secret(token, issued.cert.encode(), name="cert"),
        "private_key": bb.store_secret(token, issued.key.encode(), name="key")})


def listener_body(lb_id: str, ref: str) -> dict[str, Any]:
    return {"listener": {"loadbalancer_id": lb_id, "protocol": "TERMINATED_HTTPS",
                         "protocol_port": 443, "default_tls_container_ref": ref}}


def fingerprint(pem: str) -> str:
    return x509.load_pem_x509_certificate(pem.encode()).fingerprint(hashes.SHA256()).hex()


def spec_certificates(api: Api, agent: str, lb_id: str) -> list[dict[str, Any]]:
    spec = next(s for s in api.desired(agent)["loadbalancers"] if s["id"] == lb_id)
    return list(spec["certificates"])


def test_our_store_is_per_keystone_project(kapi: Api, lab: KeyManagerLab) -> None:
    p, q = member(kapi, lab), member(kapi, lab)
    agent = kapi.register_agent()
    issued = TestCa().issue("www.example.test")
    ref = our_container(p, issued)
    secret_ref = store_secret(p, "only for P")
    secret_id, container_id = secret_ref.rsplit("/", 1)[1], ref.rsplit("/", 1)[1]
    for path in (f"/v1/secrets/{secret_id}", f"/v1/secrets/{secret_id}/payload",
                 f"/v1/containers/{container_id}"):
        assert q.get(path).status_code == 404, path
        assert p.get(path).status_code == 200, path
    assert q.get("/v1/secrets").json()["total"] == 0
    assert q.get("/v1/containers").json()["total"] == 0
    # usable as a TLS ref by P only
    q_lb = make_lb(q, own_subnet(q, "198.18.3.0/24"))
    p_lb = make_lb(p, own_subnet(p))
    settle(kapi, agent)
    fault(q.post(f"{V2}/listeners", listener_body(q_lb["id"], ref)), 400,
          "default_tls_container_ref")
    made = p.post(f"{V2}/listeners", listener_body(p_lb["id"], ref))
    assert made.status_code == 201, made.text
    [certificate] = spec_certificates(kapi, agent, p_lb["id"])
    assert fingerprint(certificate["pem"]) == fingerprint(issued.cert)


def test_a_barbican_ref_is_read_with_the_callers_token_and_copied(
    kapi: Api, lab: KeyManagerLab,
) -> None:
    user = lab.keystone.user_in_new_project(["member"])
    token = user.token()
    p, q = kapi.as_token(token), member(kapi, lab)
    agent = kapi.register_agent()
    ca = TestCa()
    issued = ca.issue("www.example.test")
    ref = barbican_container(lab, token, issued)
    lb = make_lb(p, own_subnet(p))
    settle(kapi, agent)
    made = p.post(f"{V2}/listeners", listener_body(lb["id"], ref))
    assert made.status_code == 201, made.text
    assert made.json()["listener"]["default_tls_container_ref"] == ref
    [certificate] = spec_certificates(kapi, agent, lb["id"])
    assert ref.endswith(certificate["id"])
    assert fingerprint(certificate["pem"]) == fingerprint(issued.cert)

    # another project's token may not read it: 400 naming the ref, nothing made
    q_lb = make_lb(q, own_subnet(q, "198.18.3.0/24"))
    settle(kapi, agent)
    message = fault(q.post(f"{V2}/listeners", listener_body(q_lb["id"], ref)), 400,
                    "default_tls_container_ref")
    assert ref in str(message)
    assert q.get(f"{V2}/listeners").json()["listeners"] == []

    # a new certificate behind a new ref, set by update, replaces what the agent deploys
    settle(kapi, agent)
    renewed = ca.issue("www.example.test")
    new_ref = barbican_container(lab, token, renewed)
    listener_id = made.json()["listener"]["id"]
    changed = p.put(f"{V2}/listeners/{listener_id}",
                    {"listener": {"default_tls_container_ref": new_ref}})
    assert changed.status_code == 200, changed.text
    [certificate] = spec_certificates(kapi, agent, lb["id"])
    assert fingerprint(certificate["pem"]) == fingerprint(renewed.cert)


def test_mismatched_and_weak_barbican_refs_are_400(kapi: Api, lab: KeyManagerLab) -> None:
    user = lab.keystone.user_in_new_project(["member"])
    token = user.token()
    p = kapi.as_token(token)
    agent = kapi.register_agent()
    ca = TestCa()
    good, other = ca.issue("www.example.test"), ca.issue("other.example.test")
    lb = make_lb(p, own_subnet(p))
    settle(kapi, agent)
    mismatched = barbican_container(lab, token, Issued(good.cert, other.key))
    fault(p.post(f"{V2}/listeners", listener_body(lb["id"], mismatched)), 400,
          "does not match")
    body = listener_body(lb["id"], barbican_container(lab, token, good))
    body["listener"]["sni_container_refs"] = [f"{lab.barbican.url}/v1/containers/{UUID}"]
    fault(p.post(f"{V2}/listeners", body), 400, "sni_container_refs")
    assert p.get(f"{V2}/listeners").json()["listeners"] == []


def test_refs_to_unknown_hosts_are_not_fetched_and_a_silent_barbican_is_503(
    store: Store, settings: Settings, lab: KeyManagerLab,
) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    app = create_app(keystone_settings(settings, lab, barbican_urls=[down]), store, ADMIN_TOKEN)
    with TestClient(app) as client:
        kapi = Api(client, ADMIN_TOKEN, store)
        p = member(kapi, lab)
        agent = kapi.register_agent()
        lb = make_lb(p, own_subnet(p))
        settle(kapi, agent)
        message = fault(p.post(f"{V2}/listeners", listener_body(
            lb["id"], f"{down}/v1/containers/{UUID}")), 503, "default_tls_container_ref")
        assert down in str(message)
        # a host that is no known key manager: looked up in our own store only, never fetched
        fault(p.post(f"{V2}/listeners", listener_body(
            lb["id"], f"http://198.18.0.1:9311/v1/containers/{UUID}")), 400,
            "default_tls_container_ref")
        assert p.get(f"{V2}/listeners").json()["listeners"] == []


def test_a_reencrypting_pool_takes_a_barbican_client_certificate_and_ca(
    kapi: Api, lab: KeyManagerLab,
) -> None:
    token = lab.keystone.user_in_new_project(["member"]).token()
    p = kapi.as_token(token)
    agent = kapi.register_agent()
    ca = TestCa()
    client_ref = barbican_container(lab, token, ca.issue("lbaas.example.test"))
    ca_ref = lab.barbican.store_secret(token, ca.pem.encode(), name="members-ca")
    lb = make_lb(p, own_subnet(p))
    settle(kapi, agent)
    body = {"pool": {"loadbalancer_id": lb["id"], "protocol": "HTTP",
                     "lb_algorithm": "ROUND_ROBIN", "tls_enabled": True,
                     "tls_container_ref": client_ref, "ca_tls_container_ref": ca_ref}}
    fault(p.post(f"{V2}/pools", {"pool": {**body["pool"], "ca_tls_container_ref": client_ref}}),
          400, "ca_tls_container_ref")  # a container where a CA secret is wanted
    made = p.post(f"{V2}/pools", body)
    assert made.status_code == 201, made.text
    pems = {c["id"]: c["pem"] for c in spec_certificates(kapi, agent, lb["id"])}
    assert pems[client_ref.rsplit("/", 1)[1]].count("BEGIN CERTIFICATE") == 1
    assert pems[ca_ref.rsplit("/", 1)[1]].strip() == ca.pem.strip()

"""TERMINATED_HTTPS listeners and re-encrypting pools take certificate refs from the secrets
store; a bad one is a 400 naming the field at once, and changes nothing."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.api.conftest import Api, own_subnet
from tests.api.test_secrets import store
from tests.api.test_v2_framework import fault
from tests.api.test_v2_loadbalancers import make_lb, settle
from tests.unit.drivers.haproxy.tls_material import Issued, TestCa

V2 = "/v2.0/lbaas"


def container(user: Api, issued: Issued) -> str:
    refs = [{"name": "certificate", "secret_ref": store(user, issued.cert)},
            {"name": "private_key", "secret_ref": store(user, issued.key)}]
    answer = user.post("/v1/containers", {"type": "certificate", "secret_refs": refs})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["container_ref"])


def expired(ca: TestCa) -> Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "old.test")]))
            .issuer_name(ca.name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=30))
            .not_valid_after(now - datetime.timedelta(days=1))
            .sign(ca.key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return Issued(cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem)


@pytest.fixture
def ready(api: Api, alice: Api) -> tuple[str, dict[str, Any]]:
    agent = api.register_agent()
    lb = make_lb(alice, own_subnet(alice))
    settle(api, agent)
    return agent, lb


def test_a_tls_listener_takes_a_good_container_and_its_spec_carries_it(
    api: Api, alice: Api, ready: tuple[str, dict[str, Any]],
) -> None:
    agent, lb = ready
    ca = TestCa()
    ref = container(alice, ca.issue("www.example.test"))
    listener = alice.create(f"{V2}/listeners", "listener", loadbalancer_id=lb["id"],
                            protocol="TERMINATED_HTTPS", protocol_port=443,
                            default_tls_container_ref=ref)
    assert listener["default_tls_container_ref"] == ref
    spec = next(s for s in api.desired(agent)["loadbalancers"] if s["id"] == lb["id"])
    [certificate] = spec["certificates"]
    assert ref.endswith(certificate["id"]) and "BEGIN CERTIFICATE" in certificate["pem"]


def test_bad_certificate_refs_are_400_naming_the_field(
    api: Api, alice: Api, bob: Api, ready: tuple[str, dict[str, Any]],
) -> None:
    _, lb = ready
    ca = TestCa()
    good, other = ca.issue("www.example.test"), ca.issue("other.example.test")
    mismatched = container(alice, Issued(good.cert, other.key))
    foreign = container(bob, good)
    not_a_certificate = container(alice, Issued("hello\n", good.key))
    cases = {
        mismatched: "default_tls_container_ref",
        foreign: "default_tls_container_ref",
        not_a_certificate: "default_tls_container_ref",
        container(alice, expired(ca)): "default_tls_container_ref",
        "http://example.test/v1/containers/6d5c1b2a-0000-4000-8000-000000000000":
            "default_tls_container_ref",
    }
    for ref, field in cases.items():
        body = {"listener": {"loadbalancer_id": lb["id"], "protocol": "TERMINATED_HTTPS",
                             "protocol_port": 443, "default_tls_container_ref": ref}}
        fault(alice.post(f"{V2}/listeners", body), 400, field)
    body = {"listener": {"loadbalancer_id": lb["id"], "protocol": "TERMINATED_HTTPS",
                         "protocol_port": 443,
                         "default_tls_container_ref": container(alice, good),
                         "sni_container_refs": [mismatched]}}
    fault(alice.post(f"{V2}/listeners", body), 400, "sni_container_refs")
    assert alice.get(f"{V2}/listeners").json()["listeners"] == []
    shown = alice.show(f"{V2}/loadbalancers/{lb['id']}")
    assert shown["provisioning_status"] == "ACTIVE"  # nothing was changed

"""The Barbican-compatible /v1: secrets and certificate containers, their shapes and codes as
python-barbicanclient reads them, ownership per project, and hostile payloads."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.api.conftest import Api
from tests.tls_material import CertAuthority

URL = "http://testserver/v1"


def barbican_error(response: Any, status: int, wording: str = "") -> str:
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert set(body) == {"code", "title", "description"}, body
    assert body["code"] == status and body["title"]
    assert wording in body["description"], body
    return str(body["description"])


def store(user: Api, payload: str = "hello", **fields: Any) -> str:
    body = {"payload": payload, "payload_content_type": "text/plain", **fields}
    response = user.post("/v1/secrets", body)
    assert response.status_code == 201, response.text
    ref = str(response.json()["secret_ref"])
    assert response.json() == {"secret_ref": ref} and response.headers["location"] == ref
    return ref


def test_version_document_needs_no_token(api: Api) -> None:
    answer = api.as_token("").get("/v1")
    assert answer.status_code == 200
    version = answer.json()["version"]
    assert (version["id"], version["status"], version["min_version"], version["max_version"]) \
        == ("v1", "CURRENT", "1.0", "1.0")


def test_secret_round_trip(alice: Api) -> None:
    ref = store(alice, "  -----BEGIN CERTIFICATE-----\nabc\n  ", name="web",
                secret_type="certificate", algorithm="aes", bit_length=256, mode="cbc",
                expiration="2999-01-01T00:00:00Z")
    assert ref.startswith(f"{URL}/secrets/")
    secret_id = ref.rsplit("/", 1)[1]
    shown = alice.get(f"/v1/secrets/{secret_id}").json()
    assert shown["secret_ref"] == ref and shown["name"] == "web"
    assert shown["content_types"] == {"default": "text/plain"} and shown["status"] == "ACTIVE"
    assert (shown["secret_type"], shown["algorithm"], shown["bit_length"], shown["mode"]) == (
        "certificate", "aes", 256, "cbc")
    assert shown["expiration"].startswith("2999-01-01T00:00:00")
    payload = alice.get(f"/v1/secrets/{secret_id}/payload", headers={"Accept": "text/plain"})
    assert payload.status_code == 200 and payload.text == "-----BEGIN CERTIFICATE-----\nabc"
    assert payload.headers["content-type"].startswith("text/plain")
    listed = alice.get("/v1/secrets").json()
    assert listed["total"] == 1 and [s["secret_ref"] for s in listed["secrets"]] == [ref]
    assert alice.delete(f"/v1/secrets/{secret_id}/").status_code == 204  # trailing slash too
    barbican_error(alice.get(f"/v1/secrets/{secret_id}"), 404, "Secret not found.")


def test_binary_secret_is_returned_as_stored(alice: Api) -> None:
    blob = bytes(range(256))
    response = alice.post("/v1/secrets/", {  # barbicanclient POSTs with a trailing slash
        "payload": base64.b64encode(blob).decode(), "payload_content_type":
        "application/octet-stream", "payload_content_encoding": "base64"})
    assert response.status_code == 201, response.text
    secret_id = response.json()["secret_ref"].rsplit("/", 1)[1]
    assert alice.get(f"/v1/secrets/{secret_id}/payload").content == blob
    octets = alice.get(f"/v1/secrets/{secret_id}/payload",
                       headers={"Accept": "application/octet-stream"})
    assert octets.content == blob
    barbican_error(alice.get(f"/v1/secrets/{secret_id}/payload",
                             headers={"Accept": "text/plain"}), 406, "binary")
    barbican_error(alice.get(f"/v1/secrets/{secret_id}/payload",
                             headers={"Accept": "image/png"}), 406, "Wrong payload")


def test_paging(alice: Api) -> None:
    refs = [store(alice, f"s{i}", name=f"n{i}") for i in range(5)]
    page = alice.get("/v1/secrets?limit=2&offset=2").json()
    assert page["total"] == 5 and [s["secret_ref"] for s in page["secrets"]] == refs[2:4]
    assert "limit=2&offset=4" in page["next"] and "limit=2&offset=0" in page["previous"]
    assert [s["name"] for s in alice.get("/v1/secrets?name=n3").json()["secrets"]] == ["n3"]
    assert len(alice.get("/v1/secrets?limit=bogus&offset=-1").json()["secrets"]) == 5


def test_certificate_container(alice: Api) -> None:
    cert, key = store(alice, "c"), store(alice, "k")
    body = {"name": "tls", "type": "certificate", "secret_refs": [
        {"name": "certificate", "secret_ref": cert}, {"name": "private_key", "secret_ref": key}]}
    response = alice.post("/v1/containers/", body)
    assert response.status_code == 201, response.text
    ref = response.json()["container_ref"]
    assert ref.startswith(f"{URL}/containers/") and response.headers["location"] == ref
    container_id = ref.rsplit("/", 1)[1]
    shown = alice.get(f"/v1/containers/{container_id}").json()
    assert (shown["container_ref"], shown["type"], shown["name"], shown["status"]) == (
        ref, "certificate", "tls", "ACTIVE")
    assert {(s["name"], s["secret_ref"]) for s in shown["secret_refs"]} == {
        ("certificate", cert), ("private_key", key)}
    assert alice.get("/v1/containers").json()["total"] == 1
    barbican_error(alice.delete(f"/v1/secrets/{cert.rsplit('/', 1)[1]}"), 409, container_id)
    assert alice.delete(f"/v1/containers/{container_id}").status_code == 204
    assert alice.delete(f"/v1/secrets/{cert.rsplit('/', 1)[1]}").status_code == 204
    assert alice.get("/v1/containers").json() == {"containers": [], "total": 0}


def test_another_project_sees_nothing(alice: Api, bob: Api, api: Api) -> None:
    ref = store(alice, "alice's key")
    secret_id = ref.rsplit("/", 1)[1]
    container = alice.post("/v1/containers", {"type": "certificate", "secret_refs": [
        {"name": "certificate", "secret_ref": ref}]}).json()["container_ref"]
    container_id = container.rsplit("/", 1)[1]
    for user in (bob, api):  # the admin of another project too: secrets are per project
        for path in (f"/v1/secrets/{secret_id}", f"/v1/secrets/{secret_id}/payload",
                     f"/v1/containers/{container_id}"):
            answer = user.get(path)
            assert answer.status_code == 404 and "alice" not in answer.text, answer.text
        assert user.get("/v1/secrets").json() == {"secrets": [], "total": 0}
        assert user.get("/v1/containers").json() == {"containers": [], "total": 0}
        assert user.delete(f"/v1/secrets/{secret_id}").status_code == 404
        assert user.delete(f"/v1/containers/{container_id}").status_code == 404
        barbican_error(user.post("/v1/containers", {"type": "certificate", "secret_refs": [
            {"name": "certificate", "secret_ref": ref}]}), 404,
            "Secret provided for 'certificate' doesn't exist.")
    assert alice.get(f"/v1/secrets/{secret_id}/payload").text == "alice's key"


def test_a_reader_reads_metadata_but_not_payloads(api: Api, alice: Api) -> None:
    secret_id = store(alice).rsplit("/", 1)[1]
    reader = api.as_token(api.token_for("project-a", "reader"))
    assert reader.get(f"/v1/secrets/{secret_id}").status_code == 200
    barbican_error(reader.get(f"/v1/secrets/{secret_id}/payload"), 403, "reader")
    barbican_error(reader.post("/v1/secrets", {"payload": "x", "payload_content_type":
                                               "text/plain"}), 403)
    barbican_error(reader.delete(f"/v1/secrets/{secret_id}"), 403)


BAD_SECRETS = [
    ([], "JSON object"),
    ({"payload": "x"}, "payload_content_type"),
    ({"payload_content_type": "text/plain"}, "payload is required"),
    ({"payload": 5, "payload_content_type": "text/plain"}, "payload must be a string"),
    ({"payload": {"a": 1}, "payload_content_type": "text/plain"}, "payload must be a string"),
    ({"payload": "   ", "payload_content_type": "text/plain"}, "must be non empty"),
    ({"payload": "x", "payload_content_type": "image/png"}, "payload_content_type is not one"),
    ({"payload": "x", "payload_content_type": ["text/plain"]}, "payload_content_type"),
    ({"payload": "x", "payload_content_type": "application/octet-stream"}, "'base64'"),
    ({"payload": "!!!", "payload_content_type": "application/octet-stream",
      "payload_content_encoding": "base64"}, "not valid base64"),
    ({"payload": "x", "payload_content_type": "text/plain", "payload_content_encoding": "base64"},
     "must not be given for text/plain"),
    ({"payload": "x", "payload_content_type": "text/plain", "secret_type": "evil"}, "secret_type"),
    ({"payload": "x", "payload_content_type": "text/plain", "bit_length": True}, "bit_length"),
    ({"payload": "x", "payload_content_type": "text/plain", "bit_length": 10**9}, "bit_length"),
    ({"payload": "x", "payload_content_type": "text/plain", "name": "a\x00b"}, "control"),
    ({"payload": "x", "payload_content_type": "text/plain", "name": "n" * 256}, "255"),
    ({"payload": "x", "payload_content_type": "text/plain", "expiration": "soon"}, "expiration"),
    ({"payload": "x", "payload_content_type": "text/plain", "expiration": "2001-01-01"},
     "before current time"),
    ({"payload": "x", "payload_content_type": "text/plain", "transport_key_needed": "true"},
     "Transport keys"),
    ({"payload": "x", "payload_content_type": "text/plain", "owner": "bob"}, "Unrecognized"),
    ({"payload": "a\ud800", "payload_content_type": "text/plain"}, "not valid Unicode"),
    ({"payload": "x", "payload_content_type": "text/plain", "name": "\udfff"}, "not valid"),
]


@pytest.mark.parametrize(("body", "wording"), BAD_SECRETS)
def test_hostile_secrets_are_refused_and_change_nothing(api: Api, alice: Api, body: Any,
                                                        wording: str) -> None:
    before = api.world()
    raw = json.dumps(body).encode()  # ASCII escapes: lone surrogates ("\ud800") go as sent
    answer = alice.request("POST", "/v1/secrets", content=raw,
                           headers={"Content-Type": "application/json"})
    barbican_error(answer, 400, wording)
    assert api.world() == before


def test_huge_payloads(api: Api, alice: Api) -> None:
    before = api.world()
    big = "x" * (64 * 1024 + 1)
    barbican_error(alice.post("/v1/secrets", {"payload": big, "payload_content_type":
                                              "text/plain"}), 413, "65536 bytes")
    response = alice.post("/v1/secrets", {"payload": "x" * (2 * 1024 * 1024),
                                          "payload_content_type": "text/plain"})
    assert response.status_code == 413
    assert api.world() == before


def test_unicode_payload_and_odd_ids(alice: Api) -> None:
    ref = store(alice, "pässwörd ✓")
    assert alice.get(f"/v1/secrets/{ref.rsplit('/', 1)[1]}/payload").text == "pässwörd ✓"
    for odd in ("not-a-uuid", "x" * 300, "%00", "..%2F..%2Fetc"):
        assert alice.get(f"/v1/secrets/{odd}").status_code == 404
        assert alice.get(f"/v1/containers/{odd}").status_code == 404


BAD_CONTAINERS = [
    ({"type": "generic", "secret_refs": []}, "type must be 'certificate'"),
    ({"type": "certificate"}, "secret_refs must be a list"),
    ({"type": "certificate", "secret_refs": "x"}, "secret_refs must be a list"),
    ({"type": "certificate", "secret_refs": [{"name": "private_key", "secret_ref": "{k}"}]},
     "'certificate'"),
    ({"type": "certificate", "secret_refs": [{"name": "evil", "secret_ref": "{k}"}]},
     "reference names are allowed"),
    ({"type": "certificate", "secret_refs": [{"name": "certificate", "secret_ref": "{k}"},
                                             {"name": "certificate", "secret_ref": "{c}"}]},
     "Duplicate reference names"),
    ({"type": "certificate", "secret_refs": [{"name": "certificate", "secret_ref": "{k}"},
                                             {"name": "private_key", "secret_ref": "{k}"}]},
     "Duplicate secret ids"),
    ({"type": "certificate", "secret_refs": [{"name": "certificate", "secret_ref": "file:///x"}]},
     "not a secret reference"),
    ({"type": "certificate", "secret_refs": [{"name": "certificate", "secret_ref": 7}]},
     "not a secret reference"),
    ({"type": "certificate", "secret_refs": [{"name": "certificate", "secret_ref": "{k}",
                                              "extra": 1}]}, "only 'name' and 'secret_ref'"),
]


@pytest.mark.parametrize(("body", "wording"), BAD_CONTAINERS)
def test_bad_containers(api: Api, alice: Api, body: dict[str, Any], wording: str) -> None:
    refs = {"k": store(alice, "k"), "c": store(alice, "c")}
    for item in body.get("secret_refs", []) if isinstance(body.get("secret_refs"), list) else []:
        if isinstance(item.get("secret_ref"), str):
            item["secret_ref"] = item["secret_ref"].format(**refs)
    before = api.world()
    barbican_error(alice.post("/v1/containers", body), 400, wording)
    assert api.world() == before


def test_a_container_may_name_a_real_certificate(alice: Api) -> None:
    leaf = CertAuthority().issue("www.example.test")
    cert = store(alice, leaf.cert_pem.decode(), secret_type="certificate")
    key = store(alice, leaf.key_pem().decode(), secret_type="private")
    answer = alice.post("/v1/containers", {"type": "certificate", "secret_refs": [
        {"name": "certificate", "secret_ref": cert}, {"name": "private_key", "secret_ref": key}]})
    assert answer.status_code == 201
    key_id = key.rsplit("/", 1)[1]
    assert alice.get(f"/v1/secrets/{key_id}/payload").text == leaf.key_pem().decode().strip()


def test_per_project_limit(store_settings_api: Api) -> None:
    user = store_settings_api
    for _ in range(2):
        store(user)
    barbican_error(user.post("/v1/secrets", {"payload": "x", "payload_content_type":
                                             "text/plain"}), 409, "max_secrets_per_project")


@pytest.fixture
def store_settings_api(store: Any, settings: Any) -> Any:
    from fastapi.testclient import TestClient

    from lbaas.api.app import create_app
    from tests.conftest import ADMIN_TOKEN

    limited = settings.model_copy(update={"max_secrets_per_project": 2})
    with TestClient(create_app(limited, store, ADMIN_TOKEN)) as client:
        yield Api(client, ADMIN_TOKEN, store)

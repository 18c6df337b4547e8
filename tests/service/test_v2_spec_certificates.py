"""The spec an agent receives carries the PEM of every certificate its TLS listeners name,
resolved in the load balancer's own project; a ref that no longer resolves is left out."""

from __future__ import annotations

from lbaas.service import listeners, secrets
from lbaas.service.secret_box import SecretBox
from lbaas.service.specs import specs_for_agent
from tests.service.v2_world import ADMIN, World
from tests.unit.drivers.haproxy.tls_material import TestCa


def _container(world: World, box: SecretBox, cert: str, key: str) -> str:
    with world.store.write() as tx:
        ids = {}
        for name, pem in (("certificate", cert), ("private_key", key)):
            new = secrets.NewSecret(payload=pem.encode(), content_type="text/plain")
            ids[name] = secrets.create_secret(tx.session, box, world.settings, ADMIN, new).id
        return secrets.create_container(tx.session, world.settings, ADMIN, name="web",
                                        secret_refs=ids).id


def test_a_tls_listener_spec_carries_its_certificates(world: World) -> None:
    box = SecretBox(world.settings.effective_secret_key_file)
    ca = TestCa()
    www, api = ca.issue("www.example.test"), ca.issue("api.example.test")
    default_ref = _container(world, box, www.cert, www.key)
    sni_ref = _container(world, box, api.cert, api.key)
    lb_id = world.load_balancer("198.18.4.60")
    with world.store.write() as tx:
        listeners.create_listener(tx, ADMIN, {
            "loadbalancer_id": lb_id, "protocol": "TERMINATED_HTTPS", "protocol_port": 443,
            "default_tls_container_ref": f"http://lbaas.test/v1/containers/{default_ref}",
            "sni_container_refs": [sni_ref]})
    with world.store.read() as s:
        spec = next(sp for sp in specs_for_agent(s, world.agent_id, box) if sp.id == lb_id)
    by_id = {c.id: c.pem for c in spec.certificates}
    assert set(by_id) == {default_ref, sni_ref}
    assert www.cert.strip() in by_id[default_ref] and "PRIVATE KEY" in by_id[default_ref]
    assert api.cert.strip() in by_id[sni_ref]
    tls = spec.listeners[0].tls
    assert tls is not None and tls.default_certificate_id == default_ref

    with world.store.read() as s:  # without the box (no secrets store) nothing is carried
        bare = next(sp for sp in specs_for_agent(s, world.agent_id) if sp.id == lb_id)
    assert bare.certificates == ()


def test_a_ref_that_no_longer_resolves_is_left_out(world: World) -> None:
    box = SecretBox(world.settings.effective_secret_key_file)
    lb_id = world.load_balancer("198.18.4.61")
    with world.store.write() as tx:
        listeners.create_listener(tx, ADMIN, {
            "loadbalancer_id": lb_id, "protocol": "TERMINATED_HTTPS", "protocol_port": 443,
            "default_tls_container_ref": "0b9c7a0e-5f6d-4f8e-9d3e-3f1f1f1f1f1f"})
    with world.store.read() as s:
        spec = next(sp for sp in specs_for_agent(s, world.agent_id, box) if sp.id == lb_id)
    assert spec.certificates == ()
    assert spec.listeners[0].tls is not None  # the renderer refuses it, naming the certificate

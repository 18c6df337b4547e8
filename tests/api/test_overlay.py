"""The overlay in the agents' desired state: each overlay network's VNI and the other nodes."""

from __future__ import annotations

from typing import Any

import pytest

from lbaas.api.agent_routes import _note_underlays
from lbaas.settings import Settings
from lbaas.storage.db import Store
from tests.api.conftest import Api, error
from tests.api.test_agents import _kill

NETWORKS = "/v2.0/networks"


def _node(api: Api, host: str, underlay: str | None) -> str:
    config: dict[str, Any] = {"device_drivers": ["haproxy"]}
    if underlay is not None:
        config["underlay_ip"] = underlay
    return api.register_agent(host, configurations=config)


def _overlay(api: Api, agent_id: str) -> Any:
    return api.desired(agent_id)["overlay"]


def test_each_node_learns_the_other_nodes_of_every_overlay_network(
    api: Api, store: Store
) -> None:
    one, two = _node(api, "node-1", "198.18.214.1"), _node(api, "node-2", "198.18.214.2")
    three = _node(api, "node-3", "198.18.214.3")
    plain = _node(api, "plain", None)
    overlay = api.network()
    api.network(**{"lbaas:bridge": "br-ex"})  # the admin's own L2: no overlay
    assert _overlay(api, one) == [{
        "network_id": overlay["id"], "bridge": f"brq{overlay['id'][:11]}",
        "vni": overlay["provider:segmentation_id"], "peers": ["198.18.214.2", "198.18.214.3"],
    }]
    assert _overlay(api, two)[0]["peers"] == ["198.18.214.1", "198.18.214.3"]
    assert _overlay(api, plain) is None  # an agent without an underlay: everything as before
    _kill(store, three)
    assert _overlay(api, one)[0]["peers"] == ["198.18.214.2"]


@pytest.mark.parametrize("bad", ["not-an-ip", "198.18.214.300", 5, ""])
def test_underlay_address_is_checked(api: Api, bad: Any) -> None:
    body = {"host": "node-1", "configurations": {"underlay_ip": bad}, "start_flag": True}
    err = error(api.post("/agent/v1/agents", body), 400)
    assert "underlay_ip" in err["message"]


def test_a_node_coming_or_going_wakes_the_agents(
    api: Api, store: Store, settings: Settings
) -> None:
    seen = _note_underlays(store, settings, None)
    _node(api, "node-1", "198.18.214.1")
    unchanged = _note_underlays(store, settings, seen | {"198.18.214.1"})
    revision = store.revision()
    assert _note_underlays(store, settings, unchanged) == unchanged
    assert store.revision() == revision  # nothing changed: nobody woken
    two = _node(api, "node-2", "198.18.214.2")
    now = _note_underlays(store, settings, unchanged)
    assert now == {"198.18.214.1", "198.18.214.2"} and store.revision() == revision + 1
    _kill(store, two)
    revision = store.revision()
    assert _note_underlays(store, settings, now) == {"198.18.214.1"}
    assert store.revision() == revision + 1

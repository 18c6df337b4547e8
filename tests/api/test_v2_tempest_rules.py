"""What octavia-tempest-plugin asserts beyond our own v2 tests, one rule per test (found by
`./run conformance`, docs/conformance.md)."""

from __future__ import annotations

from datetime import datetime

from tests.api.conftest import Api, own_subnet
from tests.api.test_v2_loadbalancers import V2, make_lb, settle


def test_updated_at_is_set_once_an_object_changes(api: Api, alice: Api) -> None:
    """Octavia's rows carry updated_at from their first change on (the move to ACTIVE is one);
    the plugin parses it on every object it waited for."""
    agent = api.register_agent()
    lb = make_lb(alice, own_subnet(alice))
    settle(api, agent)
    listener = alice.create(f"{V2}/listeners", "listener", loadbalancer_id=lb["id"],
                            protocol="HTTP", protocol_port=80)
    settle(api, agent)
    pool = alice.create(f"{V2}/pools", "pool", listener_id=listener["id"], protocol="HTTP",
                        lb_algorithm="ROUND_ROBIN")
    settle(api, agent)
    member = alice.create(f"{V2}/pools/{pool['id']}/members", "member",
                          address="198.18.2.50", protocol_port=8080)
    settle(api, agent)
    monitor = alice.create(f"{V2}/healthmonitors", "healthmonitor", pool_id=pool["id"],
                           type="TCP", delay=5, timeout=3, max_retries=2)
    settle(api, agent)
    policy = alice.create(f"{V2}/l7policies", "l7policy", listener_id=listener["id"],
                          action="REJECT")
    settle(api, agent)
    rule = alice.create(f"{V2}/l7policies/{policy['id']}/rules", "rule", type="PATH",
                        compare_type="STARTS_WITH", value="/a")
    settle(api, agent)
    paths = [f"loadbalancers/{lb['id']}", f"listeners/{listener['id']}", f"pools/{pool['id']}",
             f"pools/{pool['id']}/members/{member['id']}", f"healthmonitors/{monitor['id']}",
             f"l7policies/{policy['id']}", f"l7policies/{policy['id']}/rules/{rule['id']}"]
    for path in paths:
        shown = alice.show(f"{V2}/{path}")
        assert shown["provisioning_status"] == "ACTIVE", path
        assert shown["updated_at"] is not None, path
        assert datetime.fromisoformat(shown["updated_at"]) >= \
            datetime.fromisoformat(shown["created_at"]), path

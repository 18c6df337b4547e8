"""Small load balancer specs for the agent's tests."""

from __future__ import annotations

from lbaas.domain.spec import LoadBalancerSpec, MemberSpec, NetworkLegSpec, VipSpec


def make_spec(
    lb_id: str, *, revision: int = 1, with_vip: bool = True, members: int = 1, port: int = 80
) -> LoadBalancerSpec:
    """A load balancer `lb_id`; `port` and `members` change its digest, `revision` does not."""
    vip = None
    if with_vip:
        leg = NetworkLegSpec(
            port_id=f"port-{lb_id}",
            network_id="net-1",
            bridge="brq-net-1",
            address="10.0.0.10",
            prefixlen=24,
            gateway_ip="10.0.0.1",
            mac_address="fa:16:3e:00:00:01",
        )
        vip = VipSpec(
            id=f"vip-{lb_id}",
            protocol="HTTP",
            protocol_port=port,
            connection_limit=-1,
            admin_state_up=True,
            session_persistence=None,
            leg=leg,
        )
    return LoadBalancerSpec(
        id=lb_id,
        revision=revision,
        protocol="HTTP",
        lb_method="ROUND_ROBIN",
        admin_state_up=True,
        vip=vip,
        members=tuple(
            MemberSpec(id=f"m{i}", address=f"10.0.0.{20 + i}", protocol_port=8080, weight=1,
                       admin_state_up=True)
            for i in range(members)
        ),
    )

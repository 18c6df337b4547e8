"""Small load balancer specs for the agent's tests."""

from __future__ import annotations

from lbaas.domain.spec import (
    ListenerSpec,
    LoadBalancerSpec,
    MemberSpec,
    NetworkLegSpec,
    PoolSpec,
)


def make_spec(
    lb_id: str, *, revision: int = 1, with_vip: bool = True, members: int = 1, port: int = 80
) -> LoadBalancerSpec:
    """A load balancer `lb_id`; `port` and `members` change its digest, `revision` does not."""
    leg = None
    listeners: tuple[ListenerSpec, ...] = ()
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
        listeners = (ListenerSpec(id=f"vip-{lb_id}", protocol="HTTP", protocol_port=port,
                                  admin_state_up=True, default_pool_id=lb_id),)
    pool = PoolSpec(
        id=lb_id,
        protocol="HTTP",
        lb_method="ROUND_ROBIN",
        admin_state_up=True,
        members=tuple(
            MemberSpec(id=f"m{i}", address=f"10.0.0.{20 + i}", protocol_port=8080, weight=1,
                       admin_state_up=True)
            for i in range(members)
        ),
    )
    return LoadBalancerSpec(id=lb_id, revision=revision, vip=leg, listeners=listeners,
                            pools=(pool,))

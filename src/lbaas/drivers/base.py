"""The two small interfaces the agent drives: where a load balancer lives, and what runs there."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from lbaas.domain.agent import LoadBalancerDetail, MemberHealth, PoolStatistics, VrrpRole
from lbaas.domain.spec import LoadBalancerSpec


@dataclass(frozen=True)
class Placement:
    """Where a device driver runs a load balancer: a namespace (None: the host's) and its bind
    addresses (the VIP address, or a loopback stand-in for the `host` network driver)."""

    namespace: str | None
    bind_address: str
    # What the network driver could not plug, and why (e.g. a floating IP without nft): the
    # load balancer serves the rest. Not part of where it runs, so not compared.
    warnings: tuple[str, ...] = field(default=(), compare=False)
    # The interface in the namespace that carries the VIP's network (keepalived's, for pairs):
    # the network driver's naming, not where it runs, so not compared either.
    vip_interface: str | None = field(default=None, compare=False)


@dataclass
class Observation:
    """What a device driver sees of one running load balancer."""

    running: bool
    stats: PoolStatistics = field(default_factory=PoolStatistics)
    members: dict[str, MemberHealth] = field(default_factory=dict)
    detail: LoadBalancerDetail | None = None  # counters per listener, pool and member
    role: VrrpRole | None = None  # half of an ACTIVE_STANDBY pair: what keepalived says


class NetworkDriver(Protocol):
    name: str

    def ensure_plugged(self, spec: LoadBalancerSpec) -> Placement:
        """Make the load balancer's network presence match the spec (idempotent)."""
        ...

    def drain(self, lb_id: str) -> None:
        """Refuse new connections to lb_id and wait a little for those in flight to end."""
        ...

    def fenced(self, lb_id: str) -> bool:
        """Whether lb_id was cut off the network because a copy elsewhere claimed it."""
        ...

    def detach(self, lb_id: str) -> None:
        """Take lb_id off its networks before its process stops; keep what teardown removes.

        So a stopping process sends nothing more onto the network: the load balancer may run
        on another agent by now, with the same addresses.
        """
        ...

    def teardown(self, lb_id: str) -> None:
        """Remove everything this driver made for lb_id; no error if nothing is there."""
        ...

    def plugged(self) -> set[str]:
        """Ids of load balancers this driver has something for (for orphan removal)."""
        ...


class DeviceDriver(Protocol):
    name: str

    def deploy(self, spec: LoadBalancerSpec, placement: Placement) -> None:
        """Run the spec hitlessly; on a bad config keep the last good one running and raise."""
        ...

    def undeploy(self, lb_id: str) -> None:
        """Stop the load balancer and remove its state directory."""
        ...

    def deployed(self) -> set[str]:
        """Ids that have state on disk or a process running."""
        ...

    def observe(self, lb_id: str) -> Observation:
        """Running state, statistics and member health of one load balancer."""
        ...

"""Network drivers: where a load balancer lives on the host (see `lbaas.drivers.base`).

- `netns.NetnsDriver`: a namespace per load balancer, veths into Linux bridges (root).
- `host.HostDriver`: a loopback address per load balancer, no isolation (no root).
- `fake.FakeNetworkDriver`: in memory, for tests of the agent.
"""

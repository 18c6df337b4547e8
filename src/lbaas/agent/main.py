"""Build an agent with the real drivers and run it: what `lbaas agent` and `lbaas up` call.

Layout of the data directory (`state_dir`) as the agent uses it:

    <state_dir>/lbaas/<lb id>/       HAProxy's configuration, pid and sockets (device driver)
    <state_dir>/host-network/        loopback addresses given out by the `host` network driver
    <state_dir>/lbaas-agent.json     digests of the specs last applied, to adopt after a restart
    <state_dir>/bridges.json         bridges the netns driver may remove once their network is gone
    <state_dir>/guard/               the fence guard's pid file, log and the cuts it made
"""

from __future__ import annotations

import logging
import os
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path

from lbaas.agent.client import AgentApiClient
from lbaas.agent.loop import Agent, AgentOptions
from lbaas.drivers.base import NetworkDriver
from lbaas.drivers.network import guard
from lbaas.preflight.result import CheckResult
from lbaas.preflight.run import HostCapabilities, run_checks

log = logging.getLogger(__name__)

STATE_FILE = "lbaas-agent.json"
DEVICE_DIR = "lbaas"
HOST_NETWORK_DIR = "host-network"
BRIDGE_RECORD = "bridges.json"


def run_agent(
    api_url: str | Sequence[str],
    token: str,
    host: str,
    state_dir: Path,
    namespace_prefix: str,
    network_driver_name: str,
    stop_event: threading.Event,
    preflight: Sequence[CheckResult] | None = None,
    availability_zone: str | None = None,
    underlay_ip: str | None = None,
) -> None:
    """Run one agent until `stop_event` is set; `network_driver_name`: auto, netns or host.

    `api_url`: one API server's address, or several (servers on one database): the agent uses
    one at a time and moves to the next when it fails (`AgentApiClient`).

    `preflight`: the host's checks made at start (run here when not given), reported as the
    agent's capabilities with every heartbeat. `availability_zone`: the zone the agent reports
    (load balancers created in a zone go only to its agents). `underlay_ip`: this node's
    address between nodes; the agent then joins the overlay networks (VXLAN) the API lists.
    """
    from lbaas.drivers.haproxy.driver import HaproxyDriver

    state_dir = Path(state_dir)
    results = run_checks(state_dir) if preflight is None else preflight
    capabilities = HostCapabilities(results)
    network = build_network_driver(network_driver_name, state_dir, namespace_prefix, host=host,
                                   underlay_ip=underlay_ip)
    device = HaproxyDriver(state_dir / DEVICE_DIR)
    api = AgentApiClient(api_url, token)
    options = AgentOptions(host=host, state_file=state_dir / STATE_FILE,
                           availability_zone=availability_zone,
                           underlay_ip=underlay_ip if network.name == "netns" else None)
    try:
        Agent(options, api, network, device, capabilities.report).run(stop_event)
    finally:
        api.close()


def build_network_driver(
    name: str, state_dir: Path, namespace_prefix: str, *, host: str | None = None,
    underlay_ip: str | None = None,
) -> NetworkDriver:
    """The network driver called `name`; "auto" picks netns when this host can run it."""
    if name == "auto":
        chosen = choose_network_driver()
    else:
        chosen = name
        log.info("network driver: %s (as configured)", name)
    if chosen == "netns":
        from lbaas.drivers.network.netns import NetnsDriver

        return NetnsDriver(namespace_prefix, host=host, bridge_record=state_dir / BRIDGE_RECORD,
                           underlay_ip=underlay_ip, guard_dir=state_dir / guard.STATE_SUBDIR)
    if underlay_ip is not None:
        log.warning("--underlay-ip %s is ignored: the %s network driver joins no overlay",
                    underlay_ip, chosen)
    if chosen == "host":
        from lbaas.drivers.network.host import HostDriver

        return HostDriver(state_dir / HOST_NETWORK_DIR)
    raise ValueError(f"unknown network driver {name!r}: use auto, netns or host")


def choose_network_driver() -> str:
    """netns when running as root and `ip netns` works, else host; says which and why."""
    if os.geteuid() != 0:
        log.info("network driver: host (not running as root; namespaces need root)")
        return "host"
    problem = _ip_netns_problem()
    if problem is not None:
        log.info("network driver: host (`ip netns` does not work here: %s)", problem)
        return "host"
    log.info("network driver: netns (running as root and `ip netns` works)")
    return "netns"


def _ip_netns_problem() -> str | None:
    try:
        result = subprocess.run(
            ["ip", "netns", "list"], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    if result.returncode != 0:
        return f"exit {result.returncode}: {result.stderr.strip()}"
    return None

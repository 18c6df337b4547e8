"""System test: an agent on a host without `nft` serves the VIP and reports the floating IP.

The agent runs with a PATH that lacks nft (symlinks to every other command). A load balancer
with a floating IP goes ACTIVE; a client on the tenant network gets answers through the VIP;
pool and VIP say in their status_description which floating IP is not served and why; the
agent's heartbeat says what the host lacks (`lbaas agent show`). Then nft is "installed" (its
symlink added to that PATH): the agent sees it at the next heartbeat, plugs the floating IP, a
client on the external network gets answers through it, and the note goes away.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from tests.integration.system import (
    LBAAS,
    close_system,
    needs_system,
    open_system,
    wait_for,
)
from tests.integration.toolpath import path_without

pytestmark = needs_system

TENANT = "198.18.48.0/24"
EXTERNAL = "198.19.48.0/24"
WEB, CLIENT, EXT_CLIENT = "198.18.48.201", "198.18.48.231", "198.19.48.231"
NFT = "nft (Debian package nftables)"


def test_without_nft_the_vip_serves_and_the_floating_ip_says_why_not() -> None:
    system = open_system()
    try:
        bin_dir = system.root / "bin"
        path = path_without("nft", bin_dir)
        agent = system.add_agent("d", env={**os.environ, "PATH": path})
        view = wait_for("the agent to report what its host lacks",
                        lambda: (v := system.agent_view(agent)) and
                        v["configurations"].get("missing") and v)
        assert view["configurations"]["missing"] == [NFT]
        assert view["configurations"]["capabilities"]["floating_ips"] is False
        assert view["configurations"]["capabilities"]["netns"] is True
        shown = subprocess.run([LBAAS, "agent", "show", agent.host, "--url", system.url,
                                "--token", system.token], capture_output=True, text=True,
                               check=True).stdout
        assert NFT in shown and "not: " in shown and "floating_ips" in shown

        tenant = system.network("t", TENANT)
        external = system.network("x", EXTERNAL, external=True)
        system.host("web1", tenant, WEB, text="web1")
        client = system.client("c1", tenant, CLIENT)
        ext = system.client("ext", external, EXT_CLIENT)
        lb = system.load_balancer(tenant, [WEB])
        floating = system.floating_ip(external, lb)

        note = f"floating IP {floating} not served: {NFT} missing on host {agent.host}"
        pool = wait_for("the pool to say the floating IP is not served",
                        lambda: (p := system.status("pool", lb.pool_id))
                        and p["status_description"] == note and p)
        assert pool["status"] == "ACTIVE"
        vip = system.status("vip", lb.vip_id)
        assert (vip["status"], vip["status_description"]) == ("ACTIVE", note)
        assert client.texts(lb.address, 4) == ["web1"] * 4
        assert not ext.get(floating, timeout=1.0).ok
        assert "exec of" not in agent.log_text()  # nft was never run
        assert "preflight: nft missing" in agent.log_text()  # logged at start

        (bin_dir / "nft").symlink_to(str(shutil.which("nft")))
        wait_for("the note to go once nft is there",
                 lambda: system.status("pool", lb.pool_id)["status_description"] is None)
        assert system.status("vip", lb.vip_id)["status_description"] is None
        wait_for("the floating IP to answer",
                 lambda: ext.get(floating, timeout=1.0).ok or None)
        assert ext.texts(floating, 4) == ["web1"] * 4
        assert client.texts(lb.address, 2) == ["web1"] * 2
        wait_for("the agent to report nothing missing",
                 lambda: system.agent_view(agent)["configurations"]["missing"] == [])
        system.delete_load_balancer(lb)
    finally:
        close_system(system)

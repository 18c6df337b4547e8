"""Letting a load balancer's copy finish what it serves before it goes off the network.

`block_new` loads an nftables table into the namespace that drops new connections (a SYN
without ACK, before conntrack sees it: the client sends it again about a second later, by then
to whoever serves next); replies to HAProxy's own connections to members carry an ACK and pass.
`in_flight` says whether a connection to one of the namespace's listening ports is still
established. `unblock` removes the table when the copy is to serve again.
"""

from __future__ import annotations

import logging
import subprocess
import time
from pathlib import Path

from lbaas.drivers.network import nsthread

log = logging.getLogger(__name__)

TABLE = "fence"
MAX_SECONDS = 1.0  # how long requests in flight may take to finish
CHECK_EVERY = 0.02
TCP_ESTABLISHED, TCP_LISTEN = "01", "0A"
_RULES = (
    f"table inet {TABLE} {{\n\tchain drain {{\n"
    "\t\ttype filter hook prerouting priority raw; policy accept;\n"
    "\t\ttcp flags & (syn | ack) == syn drop\n\t}\n}\n"
)


def block_new(namespace: str) -> bool:
    """Drop new connections to the namespace from now on; False if nft could not."""
    try:
        subprocess.run(["ip", "netns", "exec", namespace, "nft", "-f", "-"], input=_RULES,
                       text=True, capture_output=True, check=True, timeout=5)
    except (OSError, subprocess.SubprocessError) as exc:
        log.error("could not stop new connections to %s: %s", namespace, exc)
        return False
    return True


def unblock(namespace: str) -> None:
    """Take new connections again (nothing to do if they were not blocked)."""
    result = subprocess.run(["ip", "netns", "exec", namespace, "nft", "delete", "table", "inet",
                             TABLE], capture_output=True, text=True, check=False, timeout=5)
    if result.returncode != 0 and "No such file" not in result.stderr:
        log.warning("could not take new connections to %s again: %s", namespace,
                    result.stderr.strip())


def in_flight(namespace: str) -> bool:
    """Whether a connection to a listening port of the namespace is still established."""
    try:
        with nsthread.entered(namespace):
            lines = Path("/proc/thread-self/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return False
    rows = [line.split() for line in lines if line.strip()]
    listening = {row[1].rsplit(":", 1)[1] for row in rows if row[3] == TCP_LISTEN}
    return any(row[3] == TCP_ESTABLISHED and row[1].rsplit(":", 1)[1] in listening
               for row in rows)


def drain(namespace: str, max_seconds: float = MAX_SECONDS) -> None:
    """Block new connections and wait (at most max_seconds) for those in flight to end."""
    deadline = time.monotonic() + (max_seconds if block_new(namespace) else 0.0)
    while time.monotonic() < deadline and in_flight(namespace):
        time.sleep(CHECK_EVERY)

"""A client of HAProxy's runtime API on the stats socket, and the `show stat` CSV parser.

Server changes made here follow HAProxy 2.6's rules for dynamic servers: a new server starts in
maintenance and with its health check off; a server must be in maintenance and idle to be
deleted (its requests in flight are left to finish, never shut down); and `cookie` is not
accepted on a dynamic server (see `render.dynamic_servers_allowed`).
"""

from __future__ import annotations

import csv
import io
import logging
import socket
import time
from pathlib import Path

from lbaas.domain.agent import LoadBalancerDetail, MemberHealth, PoolStatistics, ProxyCounters
from lbaas.drivers.haproxy.errors import RuntimeApiError

log = logging.getLogger(__name__)

STAT_TYPE_FRONTEND = "0"
STAT_TYPE_BACKEND = "1"
STAT_TYPE_SERVER = "2"
ADMIN_DOWN = "admin_state_up is false"
DRAIN_TIMEOUT = 2.0  # seconds a removed server's requests in flight get before a reload instead


class RuntimeApi:
    """Commands over one HAProxy stats socket (level admin), one connection per command."""

    def __init__(self, socket_path: Path, timeout: float = 5.0) -> None:
        self.socket_path = socket_path
        self.timeout = timeout

    def execute(self, command: str) -> str:
        """Send one command and return the whole answer; the socket closes after it."""
        if not command.isascii() or any(c in command for c in "\n\r;"):
            raise RuntimeApiError(f"refusing a runtime command with a separator: {command!r}")
        try:
            return self._exchange(command)
        except OSError as exc:
            raise RuntimeApiError(f"{self.socket_path}: {command!r}: {exc}") from exc

    def worker_pid(self) -> int:
        """The pid of the worker that answers on the socket now."""
        for line in self.execute("show info").splitlines():
            key, _, value = line.partition(":")
            if key == "Pid":
                return int(value)
        raise RuntimeApiError("`show info` gave no Pid")

    def show_stat(self) -> str:
        """`show stat` for frontends, backends and servers (type mask 1|2|4) as CSV text."""
        return self.execute("show stat -1 7 -1")

    def observe(self, lb_id: str) -> tuple[PoolStatistics, dict[str, MemberHealth]]:
        """Counters of the load balancer and the health of its members."""
        return parse_stat_csv(self.show_stat(), lb_id)

    def observe_all(
        self, lb_id: str
    ) -> tuple[PoolStatistics, dict[str, MemberHealth], LoadBalancerDetail]:
        """Counters and member health of the load balancer, and the detail metrics are made of."""
        text = self.show_stat()
        stats, members = parse_stat_csv(text, lb_id)
        return stats, members, parse_detail(text)

    def show_servers_state(self) -> str:
        """The server-state dump HAProxy reads back after a reload."""
        return self.execute("show servers state")

    def set_weight(self, backend: str, server: str, weight: int) -> None:
        self._expect(f"set server {backend}/{server} weight {int(weight)}", "")

    def set_ready(self, backend: str, server: str, ready: bool) -> None:
        state = "ready" if ready else "maint"
        self._expect(f"set server {backend}/{server} state {state}", "")

    def add_server(self, backend: str, server: str, address: str, options: list[str]) -> None:
        """Add a server (it starts in maintenance); turn its health check on if it has one."""
        arguments = " ".join(options)
        command = f"add server {backend}/{server} {address} {arguments}"
        self._expect(command, "New server registered.")
        if "check" in options:
            self._expect(f"enable health {backend}/{server}", "")

    def delete_server(self, backend: str, server: str, drain: float = DRAIN_TIMEOUT) -> None:
        """Put a server in maintenance, let its requests in flight finish, then delete it.

        Nothing is cut: a server still busy after `drain` seconds (a long download, a TCP
        session) raises RuntimeApiError and stays in maintenance, so the caller can reload
        instead, leaving the old worker to finish those connections.
        """
        self.set_ready(backend, server, False)
        deadline = time.monotonic() + drain
        while True:
            answer = self.execute(f"del server {backend}/{server}").strip()
            if answer == "Server deleted.":
                return
            if time.monotonic() > deadline:
                raise RuntimeApiError(f"del server {backend}/{server}: {answer}")
            time.sleep(0.05)

    def _expect(self, command: str, success: str) -> None:
        answer = self.execute(command).strip()
        if answer != success:
            raise RuntimeApiError(f"{command}: {answer}")
        log.debug("runtime api: %s", command)

    def _exchange(self, command: str) -> str:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(self.timeout)
            sock.connect(str(self.socket_path))
            sock.sendall(command.encode("ascii") + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode("utf-8", "replace")


def parse_stat_csv(text: str, lb_id: str) -> tuple[PoolStatistics, dict[str, MemberHealth]]:
    """A load balancer's statistics and the health of every server (member) from `show stat`.

    The statistics are the backend's named by the load balancer's id when there is one (a v1
    pool with its VIP: the pool's counters, as v1 always reported), else the sum of the
    frontends' (every listener's traffic, as Octavia reports a load balancer's).
    """
    rows = _stat_rows(text)
    members = {row["svname"]: member_health(row)
               for row in rows if row.get("type") == STAT_TYPE_SERVER}
    own = [row for row in rows if row.get("type") == STAT_TYPE_BACKEND
           and row.get("pxname") == lb_id]
    if own:
        return pool_statistics(own[0]), members
    frontends = [pool_statistics(row) for row in rows if row.get("type") == STAT_TYPE_FRONTEND]
    return _sum_statistics(frontends), members


def parse_detail(text: str) -> LoadBalancerDetail:
    """The counters of every frontend (listener), backend (pool) and server (member)."""
    detail = LoadBalancerDetail()
    for row in _stat_rows(text):
        kind = row.get("type")
        if kind == STAT_TYPE_FRONTEND:
            detail.listeners[row["pxname"]] = proxy_counters(row)
        elif kind == STAT_TYPE_BACKEND:
            detail.pools[row["pxname"]] = proxy_counters(row)
        elif kind == STAT_TYPE_SERVER:
            detail.members[row["svname"]] = proxy_counters(row)
    return detail


def _sum_statistics(parts: list[PoolStatistics]) -> PoolStatistics:
    return PoolStatistics(
        bytes_in=sum(p.bytes_in for p in parts),
        bytes_out=sum(p.bytes_out for p in parts),
        active_connections=sum(p.active_connections for p in parts),
        total_connections=sum(p.total_connections for p in parts),
    )


def proxy_counters(row: dict[str, str]) -> ProxyCounters:
    """The counters of one `show stat` row; those HAProxy leaves empty stay None."""
    responses = {
        f"{digit}xx": _opt_int(row.get(f"hrsp_{digit}xx")) for digit in "12345"
    } | {"other": _opt_int(row.get("hrsp_other"))}
    return ProxyCounters(
        bytes_in=_opt_int(row.get("bin")),
        bytes_out=_opt_int(row.get("bout")),
        connections=_opt_int(row.get("scur")),
        connections_total=_opt_int(row.get("stot")),
        requests=_opt_int(row.get("req_tot")),
        responses={k: v for k, v in responses.items() if v is not None},
        request_errors=_opt_int(row.get("ereq")),
        connection_errors=_opt_int(row.get("econ")),
        response_errors=_opt_int(row.get("eresp")),
        response_time_ms=_opt_int(row.get("rtime")),
        total_time_ms=_opt_int(row.get("ttime")),
    )


def pool_statistics(row: dict[str, str]) -> PoolStatistics:
    """The v1 counters from a BACKEND row."""
    return PoolStatistics(
        bytes_in=_int(row.get("bin")),
        bytes_out=_int(row.get("bout")),
        active_connections=_int(row.get("scur")),
        total_connections=_int(row.get("stot")),
    )


def member_health(row: dict[str, str]) -> MemberHealth:
    """MAINT → INACTIVE (admin down); DOWN → INACTIVE with the check's result; else ACTIVE."""
    status = row.get("status", "")
    check = _check_summary(row)
    if status.startswith("MAINT"):
        return MemberHealth(status="INACTIVE", description=ADMIN_DOWN)
    if status.startswith("DOWN"):
        return MemberHealth(status="INACTIVE", description=check or "health check failed")
    return MemberHealth(status="ACTIVE", description=check)


def _check_summary(row: dict[str, str]) -> str:
    """E.g. "L7STS 503 Layer7 wrong status" from check_status, check_code and check_desc."""
    parts = [row.get("check_status", "").lstrip("* "), row.get("check_code", "")]
    parts.append(row.get("check_desc", ""))
    return " ".join(part.strip() for part in parts if part and part.strip())


def _stat_rows(text: str) -> list[dict[str, str]]:
    lines = text.lstrip().splitlines()
    if not lines or not lines[0].startswith("# "):
        raise RuntimeApiError(f"unexpected `show stat` answer: {text[:120]!r}")
    lines[0] = lines[0][2:]
    return list(csv.DictReader(io.StringIO("\n".join(lines))))


def _int(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 0


def _opt_int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None

"""A v2 listener's options checked before they are stored: everything here reaches the agent's
spec, so a value the spec (or HAProxy) cannot take is a 400 now, never a broken desired state."""

from __future__ import annotations

import ipaddress
from typing import Any, get_args

from lbaas.domain.spec import ClientAuthentication, InsertHeader
from lbaas.service.v2_checks import ALPN_PROTOCOLS, TLS_VERSIONS, check_ciphers, invalid

CLIENT_AUTHENTICATION = get_args(ClientAuthentication)
INSERT_HEADERS = get_args(InsertHeader)
SSL_HEADERS = tuple(h for h in INSERT_HEADERS if h.startswith("X-SSL-"))
MAX_TIMEOUT = 24 * 24 * 3600 * 1000  # Octavia's limit, milliseconds (fits a 32-bit column)
TIMEOUTS = ("timeout_client_data", "timeout_member_connect", "timeout_member_data",
            "timeout_tcp_inspect")


def check_listener_options(protocol: str, body: dict[str, Any]) -> None:
    for key in TIMEOUTS:
        value = body.get(key)
        if value is not None and not 0 <= value <= MAX_TIMEOUT:
            raise invalid(f"{key} must be between 0 and {MAX_TIMEOUT} (milliseconds).")
    auth = body.get("client_authentication")
    if auth is not None and auth not in CLIENT_AUTHENTICATION:
        raise invalid(f"client_authentication must be one of {', '.join(CLIENT_AUTHENTICATION)}.")
    _check_headers(protocol, body.get("insert_headers"))
    for cidr in body.get("allowed_cidrs") or ():
        _check_allowed_cidr(cidr)
    for key, allowed in (("tls_versions", TLS_VERSIONS), ("alpn_protocols", ALPN_PROTOCOLS)):
        values = body.get(key)
        if values is not None and any(item not in allowed for item in values):
            raise invalid(f"{key} must be a list of {', '.join(allowed)}.")
    check_ciphers(body.get("tls_ciphers"))


def _check_allowed_cidr(cidr: str) -> None:
    """A CIDR of the VIP's IP version (VIPs are IPv4 here): Octavia refuses one of another."""
    try:
        network = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        raise invalid(f"allowed_cidrs: '{cidr[:64]}' is not a CIDR.") from None
    if network.version != 4:
        raise invalid(f"allowed_cidrs: CIDR {cidr} IP version incompatible with the VIP's IP "
                      "version (IPv4).")


def _check_headers(protocol: str, headers: dict[str, str] | None) -> None:
    for name, value in (headers or {}).items():
        if name not in INSERT_HEADERS:
            raise invalid(f"insert_headers: '{name[:64]}' is not supported; supported: "
                          f"{', '.join(INSERT_HEADERS)}.")
        if name in SSL_HEADERS and protocol != "TERMINATED_HTTPS":
            raise invalid(f"insert_headers: {name} needs a TERMINATED_HTTPS listener.")
        if protocol not in ("HTTP", "TERMINATED_HTTPS"):
            raise invalid("insert_headers need an HTTP or TERMINATED_HTTPS listener.")
        if str(value).lower() not in ("true", "false"):
            raise invalid(f"insert_headers: {name} must be 'true' or 'false'.")

"""`address:port` as HAProxy writes it, IPv6 in brackets, both parts checked."""

from __future__ import annotations

import ipaddress

from lbaas.drivers.haproxy import validate


def socket_address(field: str, address: str, port: int) -> str:
    host = validate.check_address(field, address)
    port = validate.check_port(f"{field} port", port)
    if isinstance(ipaddress.ip_address(host), ipaddress.IPv6Address):
        return f"[{host}]:{port}"
    return f"{host}:{port}"

"""Checks of v2 pool fields that the schema alone cannot make, with Octavia's wording where it
has one. Each raises BadRequest (400) naming the field and the rule."""

from __future__ import annotations

import re
import ssl
from typing import Any

from lbaas.api.v1 import validators as v
from lbaas.errors import BadRequest

POOL_PROTOCOLS = ("TCP", "HTTP", "HTTPS", "PROXY", "PROXYV2")
PROXY_PROTOCOLS = ("PROXY", "PROXYV2")
# Octavia's VALID_LISTENER_POOL_PROTOCOL_MAP, less UDP and SCTP (HAProxy here serves neither)
LISTENER_POOL_PROTOCOLS = {
    "TCP": ("HTTP", "HTTPS", "PROXY", "PROXYV2", "TCP"),
    "HTTP": ("HTTP", "PROXY", "PROXYV2"),
    "HTTPS": ("HTTPS", "PROXY", "PROXYV2", "TCP"),
    "TERMINATED_HTTPS": ("HTTP", "PROXY", "PROXYV2"),
}
# Listeners whose traffic HAProxy handles as HTTP: a PROXY pool behind them is an HTTP backend
HTTP_LISTENERS = ("HTTP", "TERMINATED_HTTPS")
LB_ALGORITHMS = ("ROUND_ROBIN", "LEAST_CONNECTIONS", "SOURCE_IP", "SOURCE_IP_PORT")
TLS_VERSIONS = ("SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
ALPN_PROTOCOLS = ("h2", "http/1.1", "http/1.0")
CIPHERS = re.compile(r"[A-Za-z0-9\-+!:@=_.]{1,2048}")  # Octavia's VALID_CIPHER_RE


def invalid(detail: str) -> BadRequest:
    return BadRequest(f"Validation failure: {detail}", type="ValidationException")


def check_pool_protocol(protocol: Any) -> str:
    if protocol in ("UDP", "SCTP"):
        raise invalid(f"Pool protocol {protocol} is not supported: HAProxy balances TCP, HTTP "
                      "and HTTPS only (no UDP or SCTP).")
    if protocol not in POOL_PROTOCOLS:
        raise invalid(f"Pool protocol '{v._short(protocol)}' is not one of "
                      f"{', '.join(POOL_PROTOCOLS)}.")
    return str(protocol)


def check_listener_pool(
    listener_protocol: str, pool_protocol: str, serving: dict[str, str] | None = None
) -> None:
    """Octavia's listener/pool protocol map: which pools a listener may send traffic to.

    `serving` ({listener id: protocol}) are the other listeners the pool already serves. A
    PROXY or PROXYV2 pool is one HAProxy backend in the mode of its listeners, so it may serve
    HTTP and TERMINATED_HTTPS listeners or TCP and HTTPS ones, not both kinds."""
    if pool_protocol not in LISTENER_POOL_PROTOCOLS.get(listener_protocol, ()):
        raise invalid(f"The pool protocol '{pool_protocol}' is invalid while the listener "
                      f"protocol is '{listener_protocol}'.")
    if pool_protocol not in PROXY_PROTOCOLS:
        return
    wanted = listener_protocol in HTTP_LISTENERS
    for other_id, other in sorted((serving or {}).items()):
        if (other in HTTP_LISTENERS) != wanted:
            raise invalid(f"A {pool_protocol} pool serves either HTTP and TERMINATED_HTTPS "
                          "listeners or TCP and HTTPS listeners, not both: this one already "
                          f"serves {other} listener {other_id}.")


def check_lb_algorithm(algorithm: Any) -> str:
    if algorithm not in LB_ALGORITHMS:
        raise invalid(f"lb_algorithm '{v._short(algorithm)}' is not one of "
                      f"{', '.join(LB_ALGORITHMS)}.")
    return str(algorithm)


def session_persistence(value: Any) -> tuple[str | None, str | None]:
    """(type, cookie_name) of a session_persistence body; (None, None) for none."""
    if value is None or value == {}:
        return None, None
    if isinstance(value, dict):
        for key in ("persistence_timeout", "persistence_granularity"):
            if value.get(key) is not None:
                raise invalid("persistence_timeout and persistence_granularity is only for UDP "
                              "protocol pools.")
        value = {k: val for k, val in value.items() if val is not None or k == "type"}
        value.pop("persistence_timeout", None)
        value.pop("persistence_granularity", None)
        if value.get("type") != "APP_COOKIE" and value.get("cookie_name"):
            raise invalid('Field "cookie_name" can only be specified with session persistence '
                          'of type "APP_COOKIE".')
        if value.get("type") == "APP_COOKIE" and not value.get("cookie_name"):
            raise invalid('Field "cookie_name" must be specified when using the "APP_COOKIE" '
                          'session persistence type.')
    reason = v.session_persistence(value)
    if reason:
        raise invalid(f"session_persistence: {reason}")
    return value["type"], value.get("cookie_name")


def check_tls_fields(body: dict[str, Any]) -> None:
    """tls_versions, alpn_protocols and tls_ciphers as HAProxy takes them."""
    _check_list(body, "tls_versions", TLS_VERSIONS)
    _check_list(body, "alpn_protocols", ALPN_PROTOCOLS)
    check_ciphers(body.get("tls_ciphers"))
    for key in ("tls_container_ref", "ca_tls_container_ref", "crl_container_ref"):
        ref = body.get(key)
        if ref is not None and v.string()(ref):
            raise invalid(f"{key}: {v.string()(ref)}")


def check_ciphers(ciphers: Any) -> None:
    """An OpenSSL cipher string (Octavia's characters) that selects at least one cipher: one
    that selects none ('GET', '200-204') made `haproxy -c` fail ("unable to set SSL cipher
    list"), so the load balancer went to ERROR. Checked by the OpenSSL Python is built with."""
    if ciphers is None:
        return
    if not isinstance(ciphers, str) or not CIPHERS.fullmatch(ciphers):
        raise invalid("tls_ciphers must be an OpenSSL cipher string (letters, digits and "
                      "- + ! : @ = _ . only).")
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).set_ciphers(ciphers)
    except ssl.SSLError:
        raise invalid(f"tls_ciphers '{v._short(ciphers)}' selects no cipher OpenSSL "
                      "knows.") from None


def _check_list(body: dict[str, Any], key: str, allowed: tuple[str, ...]) -> None:
    values = body.get(key)
    if values is None:
        return
    if not isinstance(values, list) or any(item not in allowed for item in values):
        raise invalid(f"{key} must be a list of {', '.join(allowed)}; got "
                      f"'{v._short(values)}'.")

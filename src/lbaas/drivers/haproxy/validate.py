"""Allow-lists for every value that reaches the HAProxy configuration.

The API validates these too; the renderer checks again so that no value, however it got into a
spec, can add a line, a comment, a quote or an argument to the generated file.
"""

from __future__ import annotations

import ipaddress
import re

from lbaas.drivers.haproxy.errors import UnsafeConfigValue
from lbaas.drivers.unsafe import check_int as check_int  # shared with the other renderer

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_COOKIE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_URL_PATH = re.compile(r"/(?:[A-Za-z0-9_.~!&()*+,;=:@/?-]|%[0-9A-Fa-f]{2}){0,254}")
_CODES_LIST = re.compile(r"[1-5][0-9]{2}(?: *, *[1-5][0-9]{2}){0,19}")
_CODES_RANGE = re.compile(r"(?P<low>[1-5][0-9]{2}) *- *(?P<high>[1-5][0-9]{2})")
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE"})


def check_id(field: str, value: str) -> str:
    """An object id: letters, digits, '_', '.', '-'; at most 64 characters."""
    return _full_match(_ID, field, value, "an id of letters, digits, '_', '.', '-'")


def check_cookie_name(value: str) -> str:
    """A cookie name: letters, digits, '_', '.', '-'; at most 64 characters."""
    return _full_match(_COOKIE_NAME, "cookie_name", value, "letters, digits, '_', '.', '-'")


def check_url_path(value: str) -> str:
    """An absolute path with an optional query, URL-safe characters only, at most 255."""
    return _full_match(_URL_PATH, "url_path", value, "an absolute URL path of safe characters")


def check_http_method(value: str) -> str:
    if not isinstance(value, str) or value not in HTTP_METHODS:
        raise UnsafeConfigValue("http_method", value, f"one of {sorted(HTTP_METHODS)}")
    return value


def check_address(field: str, value: str) -> str:
    """A literal IPv4 or IPv6 address, returned in its canonical form."""
    if not isinstance(value, str) or not value.isascii() or len(value) > 45 or "%" in value:
        raise UnsafeConfigValue(field, value, "an IP address")
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise UnsafeConfigValue(field, value, "an IP address") from None


def check_port(field: str, value: int) -> int:
    return check_int(field, value, 1, 65535)


def expected_codes(value: str) -> list[int]:
    """Expand "200", "200,202" or "200-204" into sorted distinct status codes."""
    if not isinstance(value, str) or not value.isascii():
        raise UnsafeConfigValue("expected_codes", value, "codes like 200, 200,202 or 200-204")
    text = value
    if _CODES_LIST.fullmatch(text):
        return sorted({int(code) for code in text.split(",")})
    found = _CODES_RANGE.fullmatch(text)
    if found and int(found["low"]) <= int(found["high"]):
        return list(range(int(found["low"]), int(found["high"]) + 1))
    raise UnsafeConfigValue("expected_codes", value, "codes like 200, 200,202 or 200-204")


def _full_match(pattern: re.Pattern[str], field: str, value: str, rule: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise UnsafeConfigValue(field, value, rule)
    return value


_PATH = re.compile(r"/[A-Za-z0-9_./-]{1,200}")


def check_path(field: str, value: str) -> str:
    """A file path written into the configuration: absolute, plain characters only."""
    return _full_match(_PATH, field, value, "an absolute path of letters, digits, '_./-'")


# --- v2: listener, pool and L7 values ---------------------------------------------------------

_CIPHERS = re.compile(r"[A-Za-z0-9+!:@=_.-]{1,2048}")
_HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&*+.^_`|~-]{1,255}")  # no "'": a quote in a fetch
_DN_FIELD = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,63}")
_DOMAIN_LABEL = re.compile(r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)")
_PRINTABLE = re.compile(r"[\x20-\x7e]{1,255}")
_URL = re.compile(r"[\x21-\x7e]{1,2048}")
_ALPN = frozenset({"h2", "http/1.1", "http/1.0"})
# The characters HAProxy's configuration tokenizer gives a meaning to outside quotes
_ESCAPES = {"\\": "\\\\", " ": "\\ ", '"': '\\"', "'": "\\'", "#": "\\#"}


def escape_word(value: str) -> str:
    """`value` as one configuration word: backslash, space, quotes and '#' escaped."""
    return "".join(_ESCAPES.get(c, c) for c in value)


def check_http_version(value: str) -> str:
    if value not in ("1.0", "1.1"):
        raise UnsafeConfigValue("http_version", value, "1.0 or 1.1")
    return value


def check_domain_name(value: str) -> str:
    """A host name for HTTP/1.1 checks: dot-separated labels, at most 253 characters."""
    labels = value.removesuffix(".").split(".") if isinstance(value, str) else []
    if not labels or len(value) > 253 or not all(_DOMAIN_LABEL.fullmatch(x) for x in labels):
        raise UnsafeConfigValue("domain_name", value, "a domain name")
    return value


def check_ciphers(value: str) -> str:
    """An OpenSSL cipher string: letters, digits and + ! : @ = _ . - only."""
    return _full_match(_CIPHERS, "tls_ciphers", value, "an OpenSSL cipher string")


def check_alpn(values: tuple[str, ...]) -> str:
    if not values or any(v not in _ALPN for v in values):
        raise UnsafeConfigValue("alpn_protocols", values, f"some of {sorted(_ALPN)}")
    return ",".join(values)


def check_cidr(field: str, value: str) -> str:
    """An IPv4 or IPv6 network, returned canonical (host bits cleared)."""
    if not isinstance(value, str) or not value.isascii() or len(value) > 49 or "%" in value:
        raise UnsafeConfigValue(field, value, "a CIDR")
    try:
        return str(ipaddress.ip_network(value, strict=False))
    except ValueError:
        raise UnsafeConfigValue(field, value, "a CIDR") from None


def check_header_name(field: str, value: str | None) -> str:
    """An HTTP header or cookie name (RFC 7230 token), escaped as a configuration word."""
    if value is None:
        raise UnsafeConfigValue(field, value, "a header or cookie name")
    return escape_word(_full_match(_HEADER_NAME, field, value, "an HTTP token"))


def check_dn_field(value: str | None) -> str:
    if value is None:
        raise UnsafeConfigValue("l7rule key", value, "a distinguished name field")
    return _full_match(_DN_FIELD, "l7rule key", value, "a DN field name like CN or OU")


def check_int_text(field: str, value: str) -> int:
    if not isinstance(value, str) or not value.isascii() or not value.isdigit() or len(value) > 9:
        raise UnsafeConfigValue(field, value, "a non-negative integer")
    return int(value)


def check_l7_value(value: str, *, regex: bool) -> str:
    """An L7 rule value: printable ASCII, a valid pattern for REGEX, escaped as one word."""
    _full_match(_PRINTABLE, "l7rule value", value, "printable ASCII, at most 255 characters")
    if regex:
        try:
            re.compile(value)
        except re.error:
            raise UnsafeConfigValue("l7rule value", value, "a valid regular expression") from None
    return escape_word(value)


def check_redirect_url(field: str, value: str | None) -> str:
    """An http(s) URL with a host, no spaces or control characters; escaped as one word of a
    log-format string ('%' doubled, so it cannot fetch anything)."""
    if not isinstance(value, str) or not _URL.fullmatch(value):
        raise UnsafeConfigValue(field, value, "an http or https URL without spaces")
    scheme, _, rest = value.partition("://")
    host = rest.split("/", 1)[0].split("?", 1)[0]
    if scheme.lower() not in ("http", "https") or not host or "@" in host:
        raise UnsafeConfigValue(field, value, "an http or https URL with a host")
    return escape_word(value).replace("%", "%%")

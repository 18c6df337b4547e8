"""Allow-lists for every value that reaches the HAProxy configuration.

The API validates these too; the renderer checks again so that no value, however it got into a
spec, can add a line, a comment, a quote or an argument to the generated file.
"""

from __future__ import annotations

import ipaddress
import re

from lbaas.drivers.haproxy.errors import UnsafeConfigValue

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


def check_int(field: str, value: int, low: int, high: int) -> int:
    """An integer (not a bool) within [low, high]."""
    if type(value) is not int or not low <= value <= high:
        raise UnsafeConfigValue(field, value, f"an integer from {low} to {high}")
    return value


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

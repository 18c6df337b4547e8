"""Converters and validators for v1 attributes, with upstream Neutron's error wording.

A converter turns wire input into the stored type or raises `Invalid`; a validator returns None
or the reason the value is refused. Every string is checked for control characters, so no user
text can carry a newline or NUL into a generated file or a database.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from lbaas.service.context import TOKEN_ROLES

Validator = Callable[[Any], str | None]
Converter = Callable[[Any], Any]

CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Patterns are used with fullmatch: `$` alone would let a trailing newline through, and `\d`
# would accept non-ASCII digits.
EXPECTED_CODES = re.compile(r"[0-9]{3}( *, *[0-9]{3})*|[0-9]{3}-[0-9]{3}")
# The same forms with codes 100-599 only, for the OpenAPI schema (forms check it before sending).
HTTP_CODE = "[1-5][0-9]{2}"
EXPECTED_HTTP_CODES = re.compile(rf"{HTTP_CODE}( *, *{HTTP_CODE})*|{HTTP_CODE}-{HTTP_CODE}")
URL_PATH = re.compile(r"/[A-Za-z0-9\-._~!$&()*+,;=:@%/?]*")
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT")
# Narrower than an RFC 6265 token: '#', quotes, '$' and '\\' mean something in HAProxy's
# configuration, and the renderer accepts only these (drivers/haproxy/validate.py).
COOKIE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
BRIDGE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,14}")
INT_MAX = 2**31 - 1  # the largest value an integer column holds on every database
EXPECTED_CODES_MAX = 64  # the column's size
HTTP_CODE_MIN, HTTP_CODE_MAX = 100, 599


class Invalid(ValueError):
    """A value that cannot be converted; its message is the reason shown to the user."""


def to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise Invalid(f"'{_short(value)}' is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r" *[+-]?[0-9]{1,18} *", value):
        return int(value)
    raise Invalid(f"'{_short(value)}' is not an integer")


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "1", "false", "0"):
        return value.lower() in ("true", "1")
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise Invalid(f"'{_short(value)}' cannot be converted to boolean")


def to_upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


def to_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def string(max_len: int = 255) -> Validator:
    def check(value: Any) -> str | None:
        if not isinstance(value, str):
            return f"'{_short(value)}' is not a valid string"
        if len(value) > max_len:
            return f"'{value[:40]}...' exceeds maximum length of {max_len}"
        if CONTROL.search(value):
            return "control characters (such as newline or NUL) are not allowed"
        return None

    return check


def is_uuid(value: Any) -> str | None:
    if not isinstance(value, str):
        return f"'{_short(value)}' is not a valid UUID"
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        return f"'{_short(value)}' is not a valid UUID"
    return (
        None
        if str(parsed) == value.lower() and len(value) == 36
        else f"'{_short(value)}' is not a valid UUID"
    )


def uuid_or_none(value: Any) -> str | None:
    return None if value is None else is_uuid(value)


def values(allowed: Sequence[str]) -> Validator:
    def check(value: Any) -> str | None:
        if value not in allowed:
            return f"'{_short(value)}' is not in {list(allowed)}"
        return None

    return check


def int_range(low: int, high: int = INT_MAX) -> Validator:
    def check(value: Any) -> str | None:
        if not isinstance(value, int):
            return f"'{_short(value)}' is not an integer"
        if value < low:
            return f"'{_short(value)}' is too small - must be at least '{low}'"
        if value > high:
            return f"'{_short(value)}' is too large - must be no more than '{high}'"
        return None

    return check


def ip_address(value: Any) -> str | None:
    if not isinstance(value, str) or not is_ip(value):
        return f"'{_short(value)}' is not a valid IP address"
    return None


def ip_address_or_none(value: Any) -> str | None:
    return None if value is None else ip_address(value)


def is_ip(text: str) -> bool:
    try:
        return str(ipaddress.IPv4Address(text)) == text
    except (ValueError, TypeError):
        return False


def cidr(value: Any) -> str | None:
    if not isinstance(value, str) or "/" not in value:
        return f"'{_short(value)}' is not a valid IP subnet"
    try:
        net = ipaddress.ip_network(value, strict=False)
    except (ValueError, TypeError):
        return f"'{_short(value)}' is not a valid IP subnet"
    if net.version != 4:
        return "only IPv4 subnets are supported"
    if str(net) != value:
        return f"'{_short(value)}' isn't a recognized IP subnet cidr, '{net}' is recommended"
    if net.prefixlen > 30:
        return f"'{_short(value)}' is too small: the prefix length must be at most 30"
    return None


def expected_codes(value: Any) -> str | None:
    """"200", "200,202" or "200-204": HTTP status codes (100-599), a range low to high."""
    if not isinstance(value, str) or not EXPECTED_CODES.fullmatch(value):
        return f"'{_short(value)}' is not a valid input"
    if len(value) > EXPECTED_CODES_MAX:
        return f"'{_short(value)}' exceeds maximum length of {EXPECTED_CODES_MAX}"
    codes = [int(code) for code in re.split(r" *[,-] *", value)]
    wrong = next((code for code in codes if not HTTP_CODE_MIN <= code <= HTTP_CODE_MAX), None)
    if wrong is not None:
        return (
            f"'{_short(value)}': {wrong} is not an HTTP status code "
            f"(codes are {HTTP_CODE_MIN} to {HTTP_CODE_MAX})"
        )
    if "-" in value and codes[0] > codes[1]:
        return f"'{_short(value)}': the range must go from low to high"
    return None


def url_path(value: Any) -> str | None:
    if not isinstance(value, str) or len(value) > 255 or not URL_PATH.fullmatch(value):
        return (
            f"'{_short(value)}' is not a valid URL path: it must start with '/' and hold only "
            "unreserved, reserved or percent-encoded URL characters (no spaces, quotes or '#')"
        )
    return None


def http_method(value: Any) -> str | None:
    if value not in HTTP_METHODS:
        return f"'{_short(value)}' is not in {list(HTTP_METHODS)}"
    return None


def bridge_name(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not BRIDGE_NAME.fullmatch(value):
        return f"'{_short(value)}' is not a valid Linux bridge name (1-15 of A-Z a-z 0-9 _ . -)"
    return None


def session_persistence(value: Any) -> str | None:
    if value is None or value == {}:
        return None
    if not isinstance(value, dict):
        return f"'{_short(value)}' is not a dictionary"
    unknown = set(value) - {"type", "cookie_name"}
    if unknown:
        return f"Validation of dictionary's keys failed. Unexpected keys: {sorted(unknown)}"
    kind = value.get("type")
    if kind not in ("APP_COOKIE", "HTTP_COOKIE", "SOURCE_IP"):
        return f"'{_short(kind)}' is not in ['APP_COOKIE', 'HTTP_COOKIE', 'SOURCE_IP']"
    cookie = value.get("cookie_name")
    if kind == "APP_COOKIE":
        if not isinstance(cookie, str) or not COOKIE_NAME.fullmatch(cookie):
            return ("APP_COOKIE needs a cookie_name of 1-64 letters, digits, '_', '.' "
                    "or '-'")
    elif cookie is not None:
        return f"cookie_name is only allowed with type APP_COOKIE, not {kind}"
    return None


def allocation_pools(value: Any) -> str | None:
    if not isinstance(value, list):
        return f"'{_short(value)}' is not a list"
    for item in value:
        if not isinstance(item, dict) or set(item) != {"start", "end"}:
            return "each allocation pool is a dictionary with exactly 'start' and 'end'"
        for key in ("start", "end"):
            if not isinstance(item[key], str) or not is_ip(item[key]):
                return f"'{_short(item[key])}' is not a valid IP address"
    return None


def fixed_ips(value: Any) -> str | None:
    """At most one `{subnet_id, ip_address}` (either may be left out): ports hold one address."""
    if value is None:
        return None
    if not isinstance(value, list):
        return f"'{_short(value)}' is not a list"
    if len(value) > 1:
        return "a port holds at most one fixed IP here"
    for item in value:
        if not isinstance(item, dict) or not item or set(item) - {"subnet_id", "ip_address"}:
            return "each fixed IP is a dictionary with 'subnet_id' and/or 'ip_address'"
        if "subnet_id" in item and is_uuid(item["subnet_id"]):
            return is_uuid(item["subnet_id"])
        if "ip_address" in item and ip_address(item["ip_address"]):
            return ip_address(item["ip_address"])
    return None


def empty_list(value: Any) -> str | None:
    return None if value in ([], None) else "only an empty list is supported"


def uuid_list(value: Any) -> str | None:
    if not isinstance(value, list):
        return f"'{_short(value)}' is not a list"
    for item in value:
        reason = is_uuid(item)
        if reason:
            return reason
    return None


def non_empty_string(max_len: int = 255) -> Validator:
    check_string = string(max_len)

    def check(value: Any) -> str | None:
        return check_string(value) or (None if value else "'' must not be empty")

    return check


def roles(value: Any) -> str | None:
    allowed = TOKEN_ROLES
    if not value or not all(isinstance(r, str) and r in allowed for r in value):
        return f"'{_short(value)}' must be a non-empty list of roles from {list(allowed)}"
    return None


def _short(value: Any, limit: int = 60) -> str:
    """A value as shown in an error message: long input is cut, so errors stay readable."""
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "..."

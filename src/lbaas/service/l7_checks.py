"""Checks of L7 policies and rules: Octavia's `validate.l7policy_data` / `l7rule_data` rules and
regexes (reference §2.2), plus no control characters anywhere, since keys, values and URLs end
up in HAProxy's configuration. Each raises BadRequest (400) naming the rule."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from lbaas.api.v1 import validators as v
from lbaas.errors import BadRequest

ACTIONS = ("REJECT", "REDIRECT_TO_URL", "REDIRECT_TO_POOL", "REDIRECT_PREFIX")
REDIRECT_CODES = (301, 302, 303, 307, 308)
RULE_TYPES = ("HOST_NAME", "PATH", "FILE_TYPE", "HEADER", "COOKIE", "SSL_CONN_HAS_CERT",
              "SSL_VERIFY_RESULT", "SSL_DN_FIELD")
COMPARE_TYPES = ("REGEX", "STARTS_WITH", "ENDS_WITH", "CONTAINS", "EQUAL_TO")
STRING_COMPARES = ("STARTS_WITH", "ENDS_WITH", "CONTAINS", "EQUAL_TO")
MAX_RULES = 50  # Octavia's MAX_L7RULES_PER_L7POLICY
# Octavia's regexes (octavia/common/constants.py, octavia-lib)
# Octavia's header-name class has `+-.`, a range that takes ',' and '/' too; '-' is literal
# here. No "'" either: HAProxy's sample-fetch argument parser reads it as a quote, and
# `req.hdr(a'b)` fails `haproxy -c`.
HEADER_NAME = re.compile(r"\A[a-zA-Z0-9!#$%&*+.^_`|~-]+\Z")
PRINTABLE = re.compile(r"\A[\x20-\x7e]+\Z")  # what the renderer takes in any key or value
COOKIE_VALUE = re.compile(r"\A[a-zA-Z0-9!#$%&'()*+-./:<=>?@[\]^_`{|}~]+\Z")
HEADER_VALUE = re.compile(r"\A[a-zA-Z0-9!\"#$%&'()*+,-./:;<=>?@[\]^_`{|}~\\]+\Z")
QUOTED_HEADER_VALUE = re.compile(r"\A\"[a-zA-Z0-9 \t!\"#$%&'()*+,-./:;<=>?@[\]^_`{|}~\\]*\"\Z")
DN_FIELD = re.compile(r"\A[a-zA-Z][A-Za-z0-9-]*\Z")
INVALID_URL_CHARS = re.compile(r"[\x00-\x20\x7f-\x9f]")


def invalid_policy(msg: str) -> BadRequest:
    return BadRequest(f"Invalid L7 Policy arguments: {msg}", type="InvalidL7PolicyArgs")


def invalid_rule(msg: str) -> BadRequest:
    return BadRequest(f"Invalid L7 Rule: {msg}", type="InvalidL7Rule")


def check_url(field: str, value: Any) -> str:
    """An absolute http(s) URL with a host, no spaces or control characters."""
    if not isinstance(value, str) or len(value) > 2048 or INVALID_URL_CHARS.search(value):
        raise invalid_policy(f"{field} must be a URL of at most 2048 characters without spaces "
                             "or control characters.")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise invalid_policy(f"{field} is not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise invalid_policy(f"{field} must be an http or https URL with a host.")
    return value


def check_policy(fields: dict[str, Any]) -> dict[str, Any]:
    """The action's own fields checked, the other actions' fields cleared (as Octavia)."""
    action = fields.get("action")
    if action not in ACTIONS:
        raise invalid_policy(f"action '{v._short(action)}' is not one of {', '.join(ACTIONS)}.")
    out = {**fields, "redirect_pool_id": None, "redirect_url": None, "redirect_prefix": None,
           "redirect_http_code": None}
    if action == "REDIRECT_TO_POOL":
        if not fields.get("redirect_pool_id"):
            raise invalid_policy("redirect_pool_id must not be None")
        out["redirect_pool_id"] = fields["redirect_pool_id"]
    elif action in ("REDIRECT_TO_URL", "REDIRECT_PREFIX"):
        field = "redirect_url" if action == "REDIRECT_TO_URL" else "redirect_prefix"
        if not fields.get(field):
            raise invalid_policy(f"{field} must not be None")
        out[field] = check_url(field, fields[field])
        code = fields.get("redirect_http_code") or 302
        if code not in REDIRECT_CODES or isinstance(code, bool):
            raise invalid_policy(f"redirect_http_code '{v._short(code)}' is not one of "
                                 f"{', '.join(map(str, REDIRECT_CODES))}.")
        out["redirect_http_code"] = code
    position = fields.get("position")
    if position is not None and v.int_range(1)(position):
        raise invalid_policy(f"position: {v.int_range(1)(position)}")
    return out


def check_rule(fields: dict[str, Any]) -> None:
    """Octavia's l7rule_data: key and value by rule type and compare type."""
    kind, compare = fields.get("type"), fields.get("compare_type")
    key, value = fields.get("key"), fields.get("value")
    if kind not in RULE_TYPES:
        raise invalid_rule(f"type '{v._short(kind)}' is not one of {', '.join(RULE_TYPES)}.")
    if compare not in COMPARE_TYPES:
        raise invalid_rule(f"compare_type '{v._short(compare)}' is not one of "
                           f"{', '.join(COMPARE_TYPES)}.")
    for name, text in (("key", key), ("value", value)):
        if text is not None and v.string(255)(text):
            raise invalid_rule(f"{name}: {v.string(255)(text)}")
    if not value:
        raise invalid_rule("value must not be empty.")
    for name, text in (("key", key), ("value", value)):
        if text and not PRINTABLE.match(text):
            raise invalid_rule(f"{name} must be printable ASCII (the configuration takes no "
                               "other characters).")
    if fields.get("invert") is not None and not isinstance(fields["invert"], bool):
        raise invalid_rule(f"invert must be true or false, not '{v._short(fields['invert'])}'.")
    if kind in ("HEADER", "COOKIE"):
        if not key:
            raise invalid_rule(f"key must be specified for {kind}")
        if not HEADER_NAME.match(key):
            raise invalid_rule(f"L7rule key '{v._short(key)}' must be a valid HTTP header name")
    elif kind == "SSL_DN_FIELD":
        if not key or not DN_FIELD.match(key):
            raise invalid_rule(f"invalid key for L7rule type {kind}.")
    elif key:
        raise invalid_rule(f'L7rule type {kind} does not use the "key" field.')
    if kind in ("SSL_CONN_HAS_CERT", "SSL_VERIFY_RESULT"):
        _check_ssl(kind, compare, value)
    elif compare == "REGEX":
        try:
            re.compile(value)
        except re.error as exc:
            raise BadRequest(f"Unable to parse regular expression: {exc}",
                             type="InvalidRegex") from None
    elif kind == "FILE_TYPE" and compare != "EQUAL_TO":
        raise invalid_rule(f"invalid comparison type {compare} for rule type {kind}")
    elif kind == "COOKIE":
        if not COOKIE_VALUE.match(value):
            raise invalid_rule("COOKIE value must be a valid cookie value string")
    elif kind != "SSL_DN_FIELD" and not (
        HEADER_VALUE.match(value) or QUOTED_HEADER_VALUE.match(value)
    ):  # HEADER, HOST_NAME, PATH, FILE_TYPE
        raise invalid_rule(f"{kind} value must be a valid HTTP header value string (no spaces "
                           "unless quoted)")


def _check_ssl(kind: str, compare: str, value: str) -> None:
    if compare != "EQUAL_TO":
        raise invalid_rule(f"L7rule type {kind} only supports the EQUAL_TO compare type.")
    if kind == "SSL_CONN_HAS_CERT" and value.lower() != "true":
        raise invalid_rule(f"L7rule value {value} is not a boolean True string.")
    if kind == "SSL_VERIFY_RESULT" and not re.fullmatch(r"[0-9]{1,9}", value):
        raise invalid_rule(f"L7rule type {kind} needs a int value, which is >= 0")

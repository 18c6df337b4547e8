"""HAProxy: present, recent enough for what lbaas renders, and built with what it will need.

lbaas runs HAProxy in master-worker mode with `expose-fd listeners` (seamless reloads), and its
configuration uses `httpclient.ssl.verify` and `option idle-close-on-response`, which HAProxy
accepts from 2.6 on: older versions refuse the configuration at `haproxy -c`. Tested with 2.6.12.
"""

from __future__ import annotations

import re
import subprocess

from lbaas.preflight.result import CheckResult, missing, ok, warn
from lbaas.preflight.tools import find_tool, tool_label

MIN_VERSION = (2, 6)
VERSION_TIMEOUT = 10.0

# "HAProxy version 2.6.12-1+deb12u4 2026/10/17" (before 2.5: "HA-Proxy version 2.4.22-...")
_VERSION = re.compile(r"^HA-?Proxy version (\d+)\.(\d+)(?:\.(\d+))?\S*", re.MULTILINE)
_FEATURES = re.compile(r"^Feature list\s*:\s*(.*)$", re.MULTILINE)
_OPTIONS = re.compile(r"^\s*OPTIONS\s*=\s*(.*)$", re.MULTILINE)


def parse_version(text: str) -> tuple[int, int, int] | None:
    """(major, minor, patch) from `haproxy -vv` output, or None if it has no version line."""
    found = _VERSION.search(text)
    if found is None:
        return None
    return int(found[1]), int(found[2]), int(found[3] or 0)


def parse_features(text: str) -> set[str]:
    """Features built in: `+NAME` of the feature list (2.6+) and `USE_NAME=1` build options."""
    features: set[str] = set()
    for line in _FEATURES.findall(text):
        features |= {word[1:] for word in line.split() if word.startswith("+")}
    for line in _OPTIONS.findall(text):
        features |= {word[4:-2] for word in line.split()
                     if word.startswith("USE_") and word.endswith("=1")}
    return features


def read_vv(path: str) -> str:
    """`haproxy -vv` output; raises OSError or CalledProcessError."""
    result = subprocess.run([path, "-vv"], capture_output=True, text=True,
                            timeout=VERSION_TIMEOUT, check=True)
    return result.stdout


def _vv() -> tuple[str | None, str]:
    """(output of `haproxy -vv` or None, why not)."""
    path = find_tool("haproxy")
    if path is None:
        return None, f"{tool_label('haproxy')} not found on PATH"
    try:
        return read_vv(path), ""
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"`{path} -vv` failed: {exc}"


def check_haproxy_version(text: str | None = None, why: str = "") -> CheckResult:
    """HAProxy's version is at least MIN_VERSION."""
    name = "haproxy version"
    if text is None:
        text, why = _vv()
    if text is None:
        return missing(name, why, "apt-get install haproxy")
    version = parse_version(text)
    wanted = ".".join(map(str, MIN_VERSION))
    if version is None:
        return missing(name, "no version in `haproxy -vv` output",
                       f"install HAProxy {wanted} or later (apt-get install haproxy)")
    shown = ".".join(map(str, version))
    if version[:2] < MIN_VERSION:
        return missing(name, f"HAProxy {shown} is older than {wanted} (seamless reloads with "
                       "expose-fd listeners, idle-close-on-response)",
                       f"install HAProxy {wanted} or later (Debian 12 has 2.6)")
    return ok(name, f"HAProxy {shown} (at least {wanted})")


def check_haproxy_features(text: str | None = None, why: str = "") -> CheckResult:
    """OpenSSL for TLS termination (which the v2 API will need): a warning when missing."""
    name = "haproxy features"
    if text is None:
        text, why = _vv()
    if text is None:
        return warn(name, f"not checked: {why}", "apt-get install haproxy")
    features = parse_features(text)
    if "OPENSSL" not in features:
        return warn(name, "HAProxy is built without OpenSSL: no TLS termination (v2 API)",
                    "install a HAProxy built with OpenSSL (Debian's haproxy package is)")
    shown = ", ".join(sorted(features & {"OPENSSL", "LUA", "PROMEX", "PCRE2", "NS"}))
    return ok(name, f"built with {shown}")

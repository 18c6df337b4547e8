"""HAProxy device driver: render (pure) + templates, process control, runtime API, driver."""

from lbaas.drivers.haproxy.driver import HaproxyDriver
from lbaas.drivers.haproxy.errors import (
    CommandFailed,
    ConfigRejected,
    HaproxyError,
    ReloadFailed,
    RuntimeApiError,
    UnsafeConfigValue,
)
from lbaas.drivers.haproxy.render import render_config

__all__ = [
    "CommandFailed",
    "ConfigRejected",
    "HaproxyDriver",
    "HaproxyError",
    "ReloadFailed",
    "RuntimeApiError",
    "UnsafeConfigValue",
    "render_config",
]

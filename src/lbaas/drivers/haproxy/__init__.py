"""HAProxy device driver: render (pure) + templates, process control, runtime API, driver.

Choices made for HAProxy 2.6 (each checked against a real haproxy in the tests):
- HTTPS monitors send the HTTP check over TLS (`check-ssl verify none`): unlike
  `ssl-hello-chk` this honours http_method, url_path and expected_codes.
- An admin-down pool keeps its backend enabled and answers 503 (`http-request deny`) or
  closes (tcp mode): a `disabled` backend refuses runtime commands and vanishes from stats.
- SOURCE_IP balancing uses `hash-type consistent`, which also lets servers be added at run
  time; HTTP_COOKIE persistence needs a reload to add a member (no `cookie` on dynamic servers).
- connection_limit -1 or 0 renders no frontend maxconn (haproxy reads `maxconn 0` as unset).
- Reload is SIGUSR2 to the master; the master CLI is used only to tell that haproxy is up,
  because in 2.6 its connections can stay open after a reload.
"""

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

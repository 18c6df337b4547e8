"""All settings in one typed place. Built in main()/create_app() and passed down, never at import.

Sources, strongest first: command-line options, environment variables (prefix LBAAS_), the
TOML config file (`--config`, or LBAAS_CONFIG), then the defaults below.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    if os.geteuid() == 0:
        return Path("/var/lib/lbaas")
    return Path.home() / ".local" / "share" / "lbaas"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LBAAS_", extra="forbid")

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None  # default: SQLite in data_dir
    listen: str = "127.0.0.1:9696"
    admin_token: str | None = None  # default: generated once, kept in data_dir/credentials
    admin_project: str = "admin"

    # identity: "token" (our own tokens) or "keystone" (X-Auth-Token validated by Keystone v3
    # with these service credentials; our own tokens keep working beside it, for agents)
    auth: Literal["token", "keystone"] = "token"
    keystone_auth_url: str | None = None  # e.g. http://keystone:5000/v3
    keystone_username: str | None = None
    keystone_password: str | None = None
    keystone_project_name: str | None = None
    keystone_user_domain_name: str = "Default"
    keystone_project_domain_name: str = "Default"
    # Keystone roles → ours: "default" is Octavia's keystone_default_roles (admin, member,
    # reader); "advanced" its load-balancer_* roles
    keystone_roles: Literal["default", "advanced"] = "default"
    keystone_cache_seconds: float = Field(default=60.0, ge=0)  # validated tokens, revocations
    keystone_timeout: float = Field(default=5.0, gt=0)
    # /metrics: the admin token, or this token (good for /metrics only), or no token at all on
    # this separate HOST:PORT (served by the same process, nothing but /metrics there)
    metrics_token: str | None = None
    metrics_listen: str | None = None

    # agents
    heartbeat_interval: float = Field(default=1.0, gt=0)
    agent_down_time: float = Field(default=5.0, gt=0)
    network_driver: Literal["auto", "netns", "host"] = "auto"
    # the topology of v1 pools created without `lbaas:topology` (v2: the flavor's profile says)
    v1_topology: Literal["SINGLE", "ACTIVE_STANDBY"] = "SINGLE"
    log_format: Literal["text", "json"] = "text"  # json: one JSON object per log line

    # quotas (-1: unlimited) and limits
    quota_pool: int = 10
    quota_vip: int = 10
    quota_member: int = -1
    quota_health_monitor: int = -1
    # v2 only (the v2 pool, member and healthmonitor quotas are the ones above)
    quota_loadbalancer: int = -1
    quota_listener: int = -1
    quota_l7policy: int = -1
    quota_l7rule: int = -1
    max_members_per_pool: int = Field(default=1000, ge=1)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    auth_failures_per_minute: int = Field(default=100, ge=1)

    # secrets (the Barbican-compatible /v1): the key that encrypts payloads at rest, created
    # 0600 on first use; API servers sharing a database must name the same key file
    secret_key_file: Path | None = None  # default: data_dir/secret.key
    max_secret_bytes: int = Field(default=64 * 1024, ge=1024)
    max_secrets_per_project: int = Field(default=1000, ge=1)  # and as many containers
    # other Barbicans whose refs listeners and pools may name (read with the caller's Keystone
    # token); with Keystone, the catalog's key-manager endpoints are added to these
    barbican_urls: list[str] = Field(default_factory=list)
    barbican_timeout: float = Field(default=10.0, gt=0)

    @field_validator("listen", "metrics_listen")
    @classmethod
    def _check_listen(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return value
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"{info.field_name} must be HOST:PORT, not {value!r}")
        return value

    @field_validator("barbican_urls")
    @classmethod
    def _check_barbican_urls(cls, value: list[str]) -> list[str]:
        for url in value:
            scheme, sep, rest = url.partition("://")
            if scheme not in ("http", "https") or not sep or not rest.strip("/"):
                raise ValueError(f"barbican_urls: {url!r} is not an http(s) URL")
        return value

    @model_validator(mode="after")
    def _check_keystone(self) -> Settings:
        if self.auth == "keystone":
            missing = [f"keystone_{name}" for name in ("auth_url", "username", "password",
                                                        "project_name")
                       if not getattr(self, f"keystone_{name}")]
            if missing:
                raise ValueError(f"auth = keystone needs {', '.join(missing)} (settings or "
                                 "LBAAS_KEYSTONE_* variables)")
        return self

    @property
    def listen_host(self) -> str:
        return self.listen.rpartition(":")[0].strip("[]")

    @property
    def listen_port(self) -> int:
        return int(self.listen.rpartition(":")[2])

    @property
    def effective_secret_key_file(self) -> Path:
        return self.secret_key_file or self.data_dir / "secret.key"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'lbaas.db'}"


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Settings from the config file, the environment and explicit overrides (None is ignored)."""
    path = config_file or (
        Path(os.environ["LBAAS_CONFIG"]) if "LBAAS_CONFIG" in os.environ else None
    )
    from_file: dict[str, Any] = {}
    if path is not None:
        with path.open("rb") as f:
            from_file = tomllib.load(f)
    env_keys = {k[len("LBAAS_") :].lower() for k in os.environ if k.startswith("LBAAS_")}
    values = {k: v for k, v in from_file.items() if k not in env_keys}
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**values)

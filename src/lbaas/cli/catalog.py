"""Keystone's catalog and identities for lbaas, made idempotently through the identity v3 API
with an admin's keystoneauth session: `lbaas keystone register` calls these.

Each `ensure_*` looks first and changes only what differs, and says what it found or did through
`note` ("created service load-balancer", "endpoint public exists"). Failures are CliError.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from keystoneauth1 import exceptions as ka_exc
from keystoneauth1 import plugin, session
from keystoneauth1.identity import generic

from lbaas.cli.client import CliError

INTERFACES = ("public", "internal", "admin")
OCTAVIA_ROLES = ("load-balancer_admin", "load-balancer_member", "load-balancer_observer",
                 "load-balancer_global_observer", "load-balancer_quota_admin")
# Keystone's default policy lets `role:service` validate any token (identity:validate_token is
# "admin or system reader or rule:service_role or token subject"): all a service user needs.
SERVICE_ROLE = "service"
IDENTITY = {"interface": plugin.AUTH_INTERFACE, "version": (3, 0)}


@dataclass(frozen=True)
class Admin:
    """Who signs in to Keystone to change it: the usual OS_* variables."""

    auth_url: str
    username: str
    password: str
    project_name: str
    user_domain_name: str = "Default"
    project_domain_name: str = "Default"
    cacert: str | None = None

    @classmethod
    def from_env(cls, auth_url: str | None, env: dict[str, str] | None = None) -> Admin:
        env = dict(os.environ if env is None else env)
        wanted = {"OS_AUTH_URL": auth_url or env.get("OS_AUTH_URL"),
                  "OS_USERNAME": env.get("OS_USERNAME"), "OS_PASSWORD": env.get("OS_PASSWORD"),
                  "OS_PROJECT_NAME": env.get("OS_PROJECT_NAME")}
        missing = [name for name, value in wanted.items() if not value]
        if missing:
            raise CliError(
                f"Keystone admin credentials missing: set {', '.join(missing)} (the usual "
                "OS_* variables of an admin, as an openrc file sets them; --auth-url may "
                "stand for OS_AUTH_URL)")
        return cls(auth_url=str(wanted["OS_AUTH_URL"]), username=str(wanted["OS_USERNAME"]),
                   password=str(wanted["OS_PASSWORD"]),
                   project_name=str(wanted["OS_PROJECT_NAME"]),
                   user_domain_name=env.get("OS_USER_DOMAIN_NAME") or "Default",
                   project_domain_name=env.get("OS_PROJECT_DOMAIN_NAME") or "Default",
                   cacert=env.get("OS_CACERT") or None)


def check_url(option: str, url: str) -> str:
    """An http(s) URL with a host and nothing after the path; without a trailing slash."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
            or parts.fragment or any(c.isspace() for c in url):
        raise CliError(f"{option} must be an http:// or https:// URL with a host, not {url!r}")
    return url.rstrip("/")


@dataclass
class Catalog:
    """The identity v3 API as `admin`, with `note` told of every finding and change."""

    admin: Admin
    note: Callable[[str], None]
    changes: int = 0
    _session: session.Session = field(init=False)

    def __post_init__(self) -> None:
        # keystoneauth warns on stderr when it falls back from version discovery: our errors
        # say what went wrong in one line instead
        logging.getLogger("keystoneauth").setLevel(logging.ERROR)
        auth = generic.Password(
            auth_url=self.admin.auth_url, username=self.admin.username,
            password=self.admin.password, project_name=self.admin.project_name,
            user_domain_name=self.admin.user_domain_name,
            project_domain_name=self.admin.project_domain_name)
        self._session = session.Session(auth=auth, verify=self.admin.cacert or True)

    def changed(self, message: str) -> None:
        self.changes += 1
        self.note(message)

    def call(self, method: str, path: str, body: dict[str, Any] | None = None, *,
             missing_ok: bool = False) -> Any:
        """One identity API call; its JSON answer (None when empty, or 404 if `missing_ok`)."""
        try:
            response = self._session.request(path, method, json=body, endpoint_filter=IDENTITY,
                                             raise_exc=True)
        except ka_exc.Unauthorized as exc:
            raise CliError(f"Keystone refused the credentials of {self.admin.username!r} "
                           f"(project {self.admin.project_name!r}) at {self.admin.auth_url}: "
                           "check OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME and the "
                           "domains") from exc
        except ka_exc.Forbidden as exc:
            raise CliError(f"Keystone forbids {method} {path} to {self.admin.username!r}: "
                           "register needs an admin") from exc
        except (ka_exc.ConnectionError, ka_exc.DiscoveryFailure) as exc:
            raise CliError(f"Keystone is unreachable at {self.admin.auth_url}: "
                           f"{_first_line(exc)}") from exc
        except ka_exc.NotFound as exc:
            if missing_ok:
                return None
            raise CliError(f"Keystone has no {path}: {exc.message}") from exc
        except ka_exc.HttpError as exc:
            raise CliError(f"Keystone answered {method} {path} with {exc.http_status}: "
                           f"{exc.message}") from exc
        return response.json() if response.content else None

    def find(self, plural: str, **filters: str) -> list[dict[str, Any]]:
        query = "&".join(f"{k}={quote(v, safe='')}" for k, v in filters.items())
        found: list[dict[str, Any]] = self.call("GET", f"/{plural}?{query}")[plural]
        return found

    # -- what register makes ---------------------------------------------------------------

    def ensure_region(self, region: str) -> None:
        if self.call("GET", f"/regions/{quote(region, safe='')}", missing_ok=True):
            self.note(f"region {region} exists")
            return
        self.call("POST", "/regions", {"region": {"id": region}})
        self.changed(f"created region {region}")

    def refuse_others(self, kind: str, name: str) -> None:
        """Fail if the catalog has a service of type `kind` by another name: a second one would
        leave clients guessing (checked for every service before anything changes)."""
        for other in self.find("services", type=kind):
            if other.get("name") != name:
                raise CliError(
                    f"the catalog already has a {kind} service named {other.get('name')!r} "
                    f"(id {other['id']}); clients would not know which to use: delete it "
                    f"first (openstack service delete {other['id']}) or register without it")

    def ensure_service(self, kind: str, name: str, description: str) -> str:
        """The service of type `kind` named `name`."""
        ours = [s for s in self.find("services", type=kind) if s.get("name") == name]
        if ours:
            self.note(f"service {kind} exists ({name}, {ours[0]['id']})")
            return str(ours[0]["id"])
        made = self.call("POST", "/services", {"service": {
            "type": kind, "name": name, "description": description, "enabled": True}})
        self.changed(f"created service {kind} ({name}, {made['service']['id']})")
        return str(made["service"]["id"])

    def ensure_endpoint(self, service_id: str, kind: str, interface: str, region: str,
                        url: str) -> None:
        found = [e for e in self.find("endpoints", service_id=service_id, interface=interface)
                 if e.get("region_id", e.get("region")) == region]
        if not found:
            self.call("POST", "/endpoints", {"endpoint": {
                "service_id": service_id, "interface": interface, "region_id": region,
                "url": url, "enabled": True}})
            self.changed(f"created endpoint {interface} of {kind}: {url}")
            return
        endpoint = found[0]
        if endpoint["url"] == url and endpoint.get("enabled", True):
            self.note(f"endpoint {interface} of {kind} exists: {url}")
            return
        self.call("PATCH", f"/endpoints/{endpoint['id']}",
                  {"endpoint": {"url": url, "enabled": True}})
        self.changed(f"updated endpoint {interface} of {kind}: {endpoint['url']} -> {url}")

    def ensure_role(self, name: str) -> str:
        found = self.find("roles", name=name)
        if found:
            self.note(f"role {name} exists")
            return str(found[0]["id"])
        made = self.call("POST", "/roles", {"role": {"name": name}})
        self.changed(f"created role {name}")
        return str(made["role"]["id"])

    def domain_id(self, name: str) -> str:
        found = self.find("domains", name=name)
        if not found:
            raise CliError(f"Keystone has no domain named {name!r}")
        return str(found[0]["id"])

    def ensure_project(self, name: str, domain_id: str) -> str:
        found = self.find("projects", name=name, domain_id=domain_id)
        if found:
            self.note(f"project {name} exists")
            return str(found[0]["id"])
        made = self.call("POST", "/projects", {"project": {
            "name": name, "domain_id": domain_id, "description": "Service users"}})
        self.changed(f"created project {name}")
        return str(made["project"]["id"])

    def ensure_service_user(self, name: str, password: str, project: str, domain: str,
                            domain_id: str) -> None:
        """The user, in `project` with the `service` role, signing in with `password`."""
        project_id = self.ensure_project(project, domain_id)
        role_id = self.ensure_role(SERVICE_ROLE)
        found = self.find("users", name=name, domain_id=domain_id)
        if found:
            user_id = str(found[0]["id"])
            self.note(f"user {name} exists")
        else:
            made = self.call("POST", "/users", {"user": {
                "name": name, "domain_id": domain_id, "password": password,
                "default_project_id": project_id, "enabled": True}})
            user_id = str(made["user"]["id"])
            self.changed(f"created user {name}")
        assigned = self.call(
            "GET", f"/role_assignments?user.id={user_id}&scope.project.id={project_id}"
            f"&role.id={role_id}")["role_assignments"]
        if assigned:
            self.note(f"user {name} has role {SERVICE_ROLE} in project {project}")
        else:
            self.call("PUT", f"/projects/{project_id}/users/{user_id}/roles/{role_id}")
            self.changed(f"granted role {SERVICE_ROLE} to user {name} in project {project}")
        if found and not self._signs_in(name, password, project, domain):
            self.call("PATCH", f"/users/{user_id}", {"user": {"password": password}})
            self.changed(f"updated the password of user {name}")

    def _signs_in(self, name: str, password: str, project: str, domain: str) -> bool:
        """Whether `name` gets a token for `project` with `password` (a 401 means no)."""
        auth = generic.Password(auth_url=self.admin.auth_url, username=name, password=password,
                                project_name=project, user_domain_name=domain,
                                project_domain_name=domain)
        try:
            auth.get_token(session.Session(verify=self.admin.cacert or True))
        except ka_exc.Unauthorized:
            return False
        return True


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__

"""`lbaas keystone register`: put lbaas in a Keystone's catalog (and, if asked, the roles and
the service user it needs), idempotently. Talks to Keystone only, as the admin of the usual OS_*
variables."""

from __future__ import annotations

from typing import Annotated

import typer

from lbaas.cli.catalog import INTERFACES, OCTAVIA_ROLES, Admin, Catalog, check_url
from lbaas.cli.client import CliError
from lbaas.cli.common import run
from lbaas.cli.output import say

app = typer.Typer(help="Keystone: register lbaas in an OpenStack cloud's catalog.",
                  no_args_is_help=True)

LOAD_BALANCER = ("load-balancer", "lbaas", "Load balancing (lbaas, Octavia v2 API)")
NETWORK = ("network", "lbaas-network", "Networks of lbaas (Neutron v2.0 subset)")
KEY_MANAGER = ("key-manager", "lbaas-key-manager", "Secrets of lbaas (Barbican v1 subset)")
# barbicanclient discovers its version at the catalog URL: lbaas answers that at <root>/v1
KEY_MANAGER_PATH = "/v1"


@app.command("register")
def register(
    public_url: Annotated[str, typer.Option(
        "--public-url", help="lbaas's API root as clients reach it (http://host:9696)")],
    auth_url: Annotated[str | None, typer.Option(
        "--auth-url", envvar="OS_AUTH_URL", show_envvar=False,
        help="Keystone's address (OS_AUTH_URL)")] = None,
    internal_url: Annotated[str | None, typer.Option(
        "--internal-url", help="The internal endpoint (default: the public URL)")] = None,
    admin_url: Annotated[str | None, typer.Option(
        "--admin-url", help="The admin endpoint (default: the public URL)")] = None,
    region: Annotated[str, typer.Option("--region", help="Region of the endpoints")] = "RegionOne",
    with_network: Annotated[bool, typer.Option(
        "--with-network", help="Also the network service, at the same URLs (only for clouds "
        "without Neutron: lbaas's networks are then the networks)")] = False,
    with_key_manager: Annotated[bool, typer.Option(
        "--with-key-manager", help="Also the key-manager service: lbaas's Barbican-compatible "
        "secret store, at <URL>/v1")] = False,
    with_octavia_roles: Annotated[bool, typer.Option(
        "--with-octavia-roles", help="Also the five load-balancer_* roles of Octavia's "
        "advanced policy (keystone_roles = \"advanced\")")] = False,
    service_user: Annotated[str | None, typer.Option(
        "--service-user", help="Also this user, with the service role in the service project: "
        "lbaas validates tokens as it (keystone_username)")] = None,
    service_password: Annotated[str | None, typer.Option(
        "--service-password", envvar="LBAAS_KEYSTONE_PASSWORD", show_envvar=False,
        help="The service user's password (LBAAS_KEYSTONE_PASSWORD)")] = None,
    service_project: Annotated[str, typer.Option(
        "--service-project", help="The service user's project")] = "service",
    service_domain: Annotated[str, typer.Option(
        "--service-domain", help="Domain of the service user and project")] = "Default",
) -> None:
    """Create the region, the load-balancer service and its public, internal and admin
    endpoints in Keystone, and what the --with options add; a second run changes nothing."""

    def body() -> None:
        urls = {"public": check_url("--public-url", public_url),
                "internal": check_url("--internal-url", internal_url or public_url),
                "admin": check_url("--admin-url", admin_url or public_url)}
        if service_user is not None and not service_password:
            raise CliError("--service-user needs --service-password (or LBAAS_KEYSTONE_PASSWORD)")
        if not region.strip() or any(c.isspace() or c == "/" for c in region):
            raise CliError(f"--region must be a name without spaces or '/', not {region!r}")
        catalog = Catalog(Admin.from_env(auth_url), note=say)
        services = [(LOAD_BALANCER, "")]
        services += [(NETWORK, "")] if with_network else []
        services += [(KEY_MANAGER, KEY_MANAGER_PATH)] if with_key_manager else []
        for (kind, name, _), _ in services:
            catalog.refuse_others(kind, name)
        domain_id = catalog.domain_id(service_domain) if service_user is not None else ""
        catalog.ensure_region(region)
        for (kind, name, description), path in services:
            service_id = catalog.ensure_service(kind, name, description)
            for interface in INTERFACES:
                catalog.ensure_endpoint(service_id, kind, interface, region,
                                        urls[interface] + path)
        if with_octavia_roles:
            for role in OCTAVIA_ROLES:
                catalog.ensure_role(role)
        if service_user is not None and service_password:
            catalog.ensure_service_user(service_user, service_password, service_project,
                                        service_domain, domain_id)
        say(f"{catalog.changes} change{'' if catalog.changes == 1 else 's'} made in Keystone"
            if catalog.changes else "Nothing to change: Keystone already has all of it.")

    run(body)

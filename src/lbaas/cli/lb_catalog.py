"""The v2 API's catalogue and limits under `lbaas loadbalancer`: provider, flavorprofile,
flavor, availabilityzoneprofile, availabilityzone and quota, as `openstack loadbalancer` has them.

Each is one description; the commands come from `commands.add_commands`. Availability zones are
named by their name (they have no id), quotas by the project id, providers by their name.
"""

from __future__ import annotations

import json

from lbaas.cli.client import CliError
from lbaas.cli.commands import Field, Resource, View
from lbaas.cli.resource import Noun

V2 = "/v2.0/lbaas"
PROVIDER = Noun("provider", "providers", f"{V2}/providers", ("name", "description"), lookup=(),
                status_key=None, id_key="name")
FLAVORPROFILE = Noun("flavorprofile", "flavorprofiles", f"{V2}/flavorprofiles",
                     ("id", "name", "provider_name", "flavor_data"), status_key=None,
                     title="flavor profile")
FLAVOR = Noun("flavor", "flavors", f"{V2}/flavors",
              ("id", "name", "flavor_profile_id", "enabled", "description"), status_key=None)
ZONEPROFILE = Noun("availability_zone_profile", "availability_zone_profiles",
                   f"{V2}/availabilityzoneprofiles",
                   ("id", "name", "provider_name", "availability_zone_data"), status_key=None,
                   title="availability zone profile")
ZONE = Noun("availability_zone", "availability_zones", f"{V2}/availabilityzones",
            ("name", "availability_zone_profile_id", "enabled", "description"),
            lookup=("name",), status_key=None, id_key="name")
QUOTA = Noun("quota", "quotas", f"{V2}/quotas",
             ("project_id", "loadbalancer", "listener", "pool", "member", "healthmonitor",
              "l7policy", "l7rule"), lookup=(), status_key=None, id_key="project_id")
CAPABILITY_COLUMNS = ("name", "description")


def _json_text(text: str) -> str:
    """A profile's data: a JSON object, as text (the API takes it so)."""
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise CliError(f"The profile data must be a JSON object: {exc}") from None
    if not isinstance(value, dict):
        raise CliError("The profile data must be a JSON object, such as '{}'")
    return text


def _profile(noun: Noun, data: str, help_: str) -> Resource:
    return Resource(noun, help_, fields=(
        Field("name", "Name", create="required"),
        Field("provider_name", "Provider driver", flag="--provider", create="required"),
        Field(data, "The provider's settings, a JSON object", create="required",
              parse=_json_text, metavar="JSON"),
    ), builds=("create", "list", "show", "set", "delete"))


def _offering(noun: Noun, profile: Noun, key: str, help_: str, renames: bool) -> Resource:
    return Resource(noun, help_, fields=(
        Field("name", "Name", create="required", set=renames),
        Field("description", "Description", unset=""),
        Field(key, f"The {profile.label} it offers (name or id)",
              flag="--" + profile.singular.replace("_", ""), create="required", set=False,
              ref=profile, metavar=profile.label.upper().replace(" ", "_")),
        Field("enabled", "Whether new load balancers may use it", flag="--enable/--disable",
              kind=bool),
    ))


def _limit(key: str) -> Field:
    return Field(key, f"Most {key}s the project may have (-1: unlimited)", kind=int, create="no",
                 unset=None)


PROVIDERS = Resource(
    PROVIDER, "Providers: the drivers a load balancer may use.", builds=("list",),
    views=(
        View("flavor-capabilities", "/flavor_capabilities", "flavor_capabilities",
             "List what a provider's flavor profiles may set.", columns=CAPABILITY_COLUMNS),
        View("availability-zone-capabilities", "/availability_zone_capabilities",
             "availability_zone_capabilities",
             "List what a provider's availability zone profiles may set.",
             columns=CAPABILITY_COLUMNS),
    ))
FLAVORPROFILES = _profile(FLAVORPROFILE, "flavor_data",
                          "Flavor profiles: a provider's settings a flavor offers (admin).")
FLAVORS = _offering(FLAVOR, FLAVORPROFILE, "flavor_profile_id",
                    "Flavors: the kinds of load balancer users may choose.", renames=True)
ZONEPROFILES = _profile(ZONEPROFILE, "availability_zone_data",
                        "Availability zone profiles: a provider's zone settings (admin).")
ZONES = _offering(ZONE, ZONEPROFILE, "availability_zone_profile_id",
                  "Availability zones: where users may ask their load balancers to run.",
                  renames=False)
QUOTAS = Resource(
    QUOTA, "Quotas (v2): how many of each object a project may have (admin).",
    fields=tuple(_limit(k) for k in ("loadbalancer", "listener", "pool", "member",
                                      "healthmonitor", "l7policy", "l7rule")),
    builds=("list", "show", "set", "unset", "delete"),
    views=(View("defaults", "/default", "quota", "Show the limits a project has by default."),),
    docs={"delete": "Reset projects' quotas to the defaults."},
)
CATALOGUE: tuple[tuple[str, Resource], ...] = (
    ("provider", PROVIDERS), ("flavorprofile", FLAVORPROFILES), ("flavor", FLAVORS),
    ("availabilityzoneprofile", ZONEPROFILES), ("availabilityzone", ZONES), ("quota", QUOTAS))


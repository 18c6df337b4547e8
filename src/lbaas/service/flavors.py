"""Flavors and availability zones with their profiles: shared by every project, written by an
admin (Octavia's policy), checked against the provider's capabilities."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from lbaas.errors import BadRequest, Conflict, NotFound
from lbaas.service import providers
from lbaas.service.context import Context
from lbaas.service.listing import Attr, Collection, ListQuery, Page, page, parse_bool
from lbaas.service.policy import authorize
from lbaas.storage.flavors import AvailabilityZone, AvailabilityZoneProfile, Flavor, FlavorProfile

FLAVORS = Collection("flavors", Flavor.id, {
    "id": Attr(Flavor.id), "name": Attr(Flavor.name), "description": Attr(Flavor.description),
    "enabled": Attr(Flavor.enabled, parse_bool),
    "flavor_profile_id": Attr(Flavor.flavor_profile_id),
})
FLAVOR_PROFILES = Collection("flavorprofiles", FlavorProfile.id, {
    "id": Attr(FlavorProfile.id), "name": Attr(FlavorProfile.name),
    "provider_name": Attr(FlavorProfile.provider_name),
    "flavor_data": Attr(FlavorProfile.flavor_data),
})
ZONES = Collection("availability_zones", AvailabilityZone.name, {
    "name": Attr(AvailabilityZone.name), "description": Attr(AvailabilityZone.description),
    "enabled": Attr(AvailabilityZone.enabled, parse_bool),
    "availability_zone_profile_id": Attr(AvailabilityZone.availability_zone_profile_id),
})
ZONE_PROFILES = Collection("availability_zone_profiles", AvailabilityZoneProfile.id, {
    "id": Attr(AvailabilityZoneProfile.id), "name": Attr(AvailabilityZoneProfile.name),
    "provider_name": Attr(AvailabilityZoneProfile.provider_name),
    "availability_zone_data": Attr(AvailabilityZoneProfile.availability_zone_data),
})


def _missing(kind: str, key: str) -> NotFound:
    return NotFound(f"{kind} {key} not found.")


def _get(session: Session, model: Any, key: str, kind: str) -> Any:
    found = session.get(model, key)
    if found is None:
        raise _missing(kind, key)
    return found


# -- flavor profiles ---------------------------------------------------------------------


def list_flavor_profiles(session: Session, ctx: Context, query: ListQuery) -> Page:
    authorize(ctx, "flavor-profile:get_all")
    return page(session, FLAVOR_PROFILES, select(FlavorProfile), query)


def get_flavor_profile(session: Session, ctx: Context, profile_id: str) -> FlavorProfile:
    authorize(ctx, "flavor-profile:get_one")
    found: FlavorProfile = _get(session, FlavorProfile, profile_id, "Flavor profile")
    return found


def create_flavor_profile(session: Session, ctx: Context, data: dict[str, Any]) -> FlavorProfile:
    authorize(ctx, "flavor-profile:post")
    providers.resolve(data["provider_name"])
    providers.check_flavor_data(data["flavor_data"])
    profile = FlavorProfile(**data)
    session.add(profile)
    session.flush()
    return profile


def update_flavor_profile(
    session: Session, ctx: Context, profile_id: str, data: dict[str, Any]
) -> FlavorProfile:
    authorize(ctx, "flavor-profile:put")
    profile = get_flavor_profile(session, ctx, profile_id)
    if "provider_name" in data:
        providers.resolve(data["provider_name"])
    if "flavor_data" in data:
        providers.check_flavor_data(data["flavor_data"])
    if {"provider_name", "flavor_data"} & set(data) and _profile_used(session, profile_id):
        raise Conflict(f"Flavor profile {profile_id} is in use and cannot be modified.")
    for key, value in data.items():
        setattr(profile, key, value)
    session.flush()
    return profile


def delete_flavor_profile(session: Session, ctx: Context, profile_id: str) -> None:
    authorize(ctx, "flavor-profile:delete")
    profile = get_flavor_profile(session, ctx, profile_id)
    if _profile_used(session, profile_id):
        raise Conflict(f"Flavor profile {profile_id} is in use and cannot be deleted.")
    session.delete(profile)


def _profile_used(session: Session, profile_id: str) -> bool:
    return bool(session.scalar(select(exists().where(Flavor.flavor_profile_id == profile_id))))


# -- flavors -------------------------------------------------------------------------------


def list_flavors(session: Session, ctx: Context, query: ListQuery) -> Page:
    authorize(ctx, "flavor:get_all")
    return page(session, FLAVORS, select(Flavor), query)


def get_flavor(session: Session, ctx: Context, flavor_id: str) -> Flavor:
    authorize(ctx, "flavor:get_one")
    found: Flavor = _get(session, Flavor, flavor_id, "Flavor")
    return found


def _unique_flavor_name(session: Session, name: str, flavor_id: str | None = None) -> None:
    clash = session.scalar(select(Flavor.id).where(Flavor.name == name))
    if clash is not None and clash != flavor_id:
        raise Conflict(f"A flavor named '{name}' already exists.")


def create_flavor(session: Session, ctx: Context, data: dict[str, Any]) -> Flavor:
    authorize(ctx, "flavor:post")
    if session.get(FlavorProfile, data["flavor_profile_id"]) is None:
        raise BadRequest(f"Validation failure: flavor profile {data['flavor_profile_id']} "
                         "not found.")
    _unique_flavor_name(session, data["name"])
    flavor = Flavor(**data)
    session.add(flavor)
    session.flush()
    return flavor


def update_flavor(session: Session, ctx: Context, flavor_id: str, data: dict[str, Any]) -> Flavor:
    authorize(ctx, "flavor:put")
    flavor = get_flavor(session, ctx, flavor_id)
    if "name" in data:
        _unique_flavor_name(session, data["name"], flavor_id)
    for key, value in data.items():
        setattr(flavor, key, value)
    session.flush()
    return flavor


def delete_flavor(session: Session, ctx: Context, flavor_id: str) -> None:
    """Once load balancers name flavors (the model), their foreign key refuses this with 409
    while one does."""
    authorize(ctx, "flavor:delete")
    session.delete(get_flavor(session, ctx, flavor_id))
    session.flush()


# -- availability zone profiles ------------------------------------------------------------


def list_zone_profiles(session: Session, ctx: Context, query: ListQuery) -> Page:
    authorize(ctx, "availability-zone-profile:get_all")
    return page(session, ZONE_PROFILES, select(AvailabilityZoneProfile), query)


def get_zone_profile(session: Session, ctx: Context, profile_id: str) -> AvailabilityZoneProfile:
    authorize(ctx, "availability-zone-profile:get_one")
    found: AvailabilityZoneProfile = _get(
        session, AvailabilityZoneProfile, profile_id, "Availability zone profile")
    return found


def create_zone_profile(
    session: Session, ctx: Context, data: dict[str, Any]
) -> AvailabilityZoneProfile:
    authorize(ctx, "availability-zone-profile:post")
    providers.resolve(data["provider_name"])
    providers.check_availability_zone_data(data["availability_zone_data"])
    profile = AvailabilityZoneProfile(**data)
    session.add(profile)
    session.flush()
    return profile


def update_zone_profile(
    session: Session, ctx: Context, profile_id: str, data: dict[str, Any]
) -> AvailabilityZoneProfile:
    authorize(ctx, "availability-zone-profile:put")
    profile = get_zone_profile(session, ctx, profile_id)
    if "provider_name" in data:
        providers.resolve(data["provider_name"])
    if "availability_zone_data" in data:
        providers.check_availability_zone_data(data["availability_zone_data"])
    changes_meaning = {"provider_name", "availability_zone_data"} & set(data)
    if changes_meaning and _zone_profile_used(session, profile_id):
        raise Conflict(
            f"Availability zone profile {profile_id} is in use and cannot be modified.")
    for key, value in data.items():
        setattr(profile, key, value)
    session.flush()
    return profile


def delete_zone_profile(session: Session, ctx: Context, profile_id: str) -> None:
    authorize(ctx, "availability-zone-profile:delete")
    profile = get_zone_profile(session, ctx, profile_id)
    if _zone_profile_used(session, profile_id):
        raise Conflict(
            f"Availability zone profile {profile_id} is in use and cannot be deleted.")
    session.delete(profile)


def _zone_profile_used(session: Session, profile_id: str) -> bool:
    used = exists().where(AvailabilityZone.availability_zone_profile_id == profile_id)
    return bool(session.scalar(select(used)))


# -- availability zones --------------------------------------------------------------------


def list_zones(session: Session, ctx: Context, query: ListQuery) -> Page:
    authorize(ctx, "availability-zone:get_all")
    return page(session, ZONES, select(AvailabilityZone), query)


def get_zone(session: Session, ctx: Context, name: str) -> AvailabilityZone:
    authorize(ctx, "availability-zone:get_one")
    found: AvailabilityZone = _get(session, AvailabilityZone, name, "Availability zone")
    return found


def create_zone(session: Session, ctx: Context, data: dict[str, Any]) -> AvailabilityZone:
    authorize(ctx, "availability-zone:post")
    profile_id = data["availability_zone_profile_id"]
    if session.get(AvailabilityZoneProfile, profile_id) is None:
        raise BadRequest(
            f"Validation failure: availability zone profile {profile_id} not found.")
    if session.get(AvailabilityZone, data["name"]) is not None:
        raise Conflict(f"An availability zone named '{data['name']}' already exists.")
    zone = AvailabilityZone(**data)
    session.add(zone)
    session.flush()
    return zone


def update_zone(
    session: Session, ctx: Context, name: str, data: dict[str, Any]
) -> AvailabilityZone:
    authorize(ctx, "availability-zone:put")
    zone = get_zone(session, ctx, name)
    for key, value in data.items():
        setattr(zone, key, value)
    session.flush()
    return zone


def delete_zone(session: Session, ctx: Context, name: str) -> None:
    authorize(ctx, "availability-zone:delete")
    session.delete(get_zone(session, ctx, name))
    session.flush()

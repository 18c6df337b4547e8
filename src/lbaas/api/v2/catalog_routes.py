"""v2 routes that do not depend on the load-balancer model: providers, flavors and flavor
profiles, availability zones and their profiles, and the amphorae (where each load balancer
runs)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from lbaas.api.deps import ContextDep, StoreDep
from lbaas.api.v2 import schemas as s
from lbaas.api.v2.common import (
    Id36,
    JsonAnswer,
    JsonText,
    Name64,
    Strict,
    Text255,
    ZoneName,
    changes,
    list_answer,
    list_query,
    show_fields,
)
from lbaas.api.v2.paths import OCTAVIA, PREFIX
from lbaas.service import flavors, instances, listing, providers
from lbaas.service.policy import authorize
from lbaas.storage.flavors import AvailabilityZone, AvailabilityZoneProfile, Flavor, FlavorProfile

router = APIRouter()
TAG = "v2 catalogue"


# -- views ---------------------------------------------------------------------------------


def flavor_view(f: Flavor) -> dict[str, Any]:
    return {"id": f.id, "name": f.name, "description": f.description, "enabled": f.enabled,
            "flavor_profile_id": f.flavor_profile_id}


def flavor_profile_view(p: FlavorProfile) -> dict[str, Any]:
    return {"id": p.id, "name": p.name, "provider_name": p.provider_name,
            "flavor_data": p.flavor_data}


def zone_view(z: AvailabilityZone) -> dict[str, Any]:
    return {"name": z.name, "description": z.description, "enabled": z.enabled,
            "availability_zone_profile_id": z.availability_zone_profile_id}


def zone_profile_view(p: AvailabilityZoneProfile) -> dict[str, Any]:
    return {"id": p.id, "name": p.name, "provider_name": p.provider_name,
            "availability_zone_data": p.availability_zone_data}


# -- request bodies ------------------------------------------------------------------------


class FlavorProfilePost(Strict):
    name: Text255
    provider_name: Name64
    flavor_data: JsonText


class FlavorProfilePut(Strict):
    name: Text255 | None = None
    provider_name: Name64 | None = None
    flavor_data: JsonText | None = None


class FlavorPost(Strict):
    name: Text255
    description: Text255 = ""
    flavor_profile_id: Id36
    enabled: bool = True


class FlavorPut(Strict):
    name: Text255 | None = None
    description: Text255 | None = None
    enabled: bool | None = None


class ZoneProfilePost(Strict):
    name: Text255
    provider_name: Name64
    availability_zone_data: JsonText


class ZoneProfilePut(Strict):
    name: Text255 | None = None
    provider_name: Name64 | None = None
    availability_zone_data: JsonText | None = None


class ZonePost(Strict):
    name: ZoneName
    description: Text255 = ""
    availability_zone_profile_id: Id36
    enabled: bool = True


class ZonePut(Strict):
    description: Text255 | None = None
    enabled: bool | None = None


class FlavorProfilePostBody(Strict):
    flavorprofile: FlavorProfilePost


class FlavorProfilePutBody(Strict):
    flavorprofile: FlavorProfilePut


class FlavorPostBody(Strict):
    flavor: FlavorPost


class FlavorPutBody(Strict):
    flavor: FlavorPut


class ZoneProfilePostBody(Strict):
    availability_zone_profile: ZoneProfilePost


class ZoneProfilePutBody(Strict):
    availability_zone_profile: ZoneProfilePut


class ZonePostBody(Strict):
    availability_zone: ZonePost


class ZonePutBody(Strict):
    availability_zone: ZonePut


# -- providers -----------------------------------------------------------------------------


@router.get(f"{PREFIX}/providers", tags=[TAG], operation_id="v2_list_providers",
            responses={200: s.many("providers", s.PROVIDER, links=False)})
def list_providers(request: Request, ctx: ContextDep) -> JsonAnswer:
    """The provider drivers: ours, and Octavia's default names as its aliases."""
    authorize(ctx, "provider:get_all")
    wanted = listing.Collection("providers", None, {
        "name": listing.Attr(listing.IN_MEMORY), "description": listing.Attr(listing.IN_MEMORY)})
    query = list_query(request, wanted)
    rows = [p for p in providers.PROVIDERS
            if all(p[k] in v for k, v in query.filters.items())]
    items = [listing.select_fields(p, query.fields) for p in rows]
    return JsonAnswer({"providers": items})


def _capabilities(
    request: Request, provider: str, key: str, capabilities: list[dict[str, str]]
) -> dict[str, Any]:
    providers.resolve(provider)
    names = request.query_params.getlist("name")
    items = [c for c in capabilities if not names or c["name"] in names]
    return {key: [show_fields(request, c) for c in items]}


@router.get(f"{PREFIX}/providers/{{provider}}/flavor_capabilities", tags=[TAG],
            operation_id="v2_list_flavor_capabilities",
            responses={200: s.many("flavor_capabilities", s.CAPABILITY, links=False)})
def flavor_capabilities(request: Request, provider: str, ctx: ContextDep) -> dict[str, Any]:
    authorize(ctx, "provider-flavor:get_all")
    return _capabilities(request, provider, "flavor_capabilities",
                         providers.FLAVOR_CAPABILITIES)


@router.get(f"{PREFIX}/providers/{{provider}}/availability_zone_capabilities", tags=[TAG],
            operation_id="v2_list_availability_zone_capabilities",
            responses={200: s.many("availability_zone_capabilities", s.CAPABILITY, links=False)})
def zone_capabilities(request: Request, provider: str, ctx: ContextDep) -> dict[str, Any]:
    authorize(ctx, "provider-availability-zone:get_all")
    return _capabilities(request, provider, "availability_zone_capabilities",
                         providers.AVAILABILITY_ZONE_CAPABILITIES)


# -- flavor profiles -----------------------------------------------------------------------

FP = f"{PREFIX}/flavorprofiles"


@router.get(FP, tags=[TAG], operation_id="v2_list_flavorprofiles",
            responses={200: s.many("flavorprofiles", s.FLAVOR_PROFILE)})
def list_flavor_profiles(request: Request, store: StoreDep, ctx: ContextDep) -> JsonAnswer:
    query = list_query(request, flavors.FLAVOR_PROFILES)
    with store.read() as session:
        result = flavors.list_flavor_profiles(session, ctx, query)
        return list_answer(request, flavors.FLAVOR_PROFILES, query, result, flavor_profile_view)


@router.post(FP, tags=[TAG], status_code=201, operation_id="v2_create_flavorprofile",
            responses={201: s.one("flavorprofile", s.FLAVOR_PROFILE)})
def create_flavor_profile(
    body: FlavorProfilePostBody, store: StoreDep, ctx: ContextDep
) -> dict[str, Any]:
    with store.write() as tx:
        made = flavors.create_flavor_profile(tx.session, ctx, body.flavorprofile.model_dump())
        return {"flavorprofile": flavor_profile_view(made)}


@router.get(FP + "/{profile_id}", tags=[TAG], operation_id="v2_show_flavorprofile",
            responses={200: s.one("flavorprofile", s.FLAVOR_PROFILE)})
def show_flavor_profile(
    request: Request, profile_id: str, store: StoreDep, ctx: ContextDep
) -> dict[str, Any]:
    with store.read() as session:
        view = flavor_profile_view(flavors.get_flavor_profile(session, ctx, profile_id))
    return {"flavorprofile": show_fields(request, view)}


@router.put(FP + "/{profile_id}", tags=[TAG], operation_id="v2_update_flavorprofile",
            responses={200: s.one("flavorprofile", s.FLAVOR_PROFILE)})
def update_flavor_profile(
    profile_id: str, body: FlavorProfilePutBody, store: StoreDep, ctx: ContextDep
) -> dict[str, Any]:
    data = changes(body.flavorprofile)
    with store.write() as tx:
        changed = flavors.update_flavor_profile(tx.session, ctx, profile_id, data)
        return {"flavorprofile": flavor_profile_view(changed)}


@router.delete(FP + "/{profile_id}", tags=[TAG], status_code=204, response_class=Response,
               operation_id="v2_delete_flavorprofile")
def delete_flavor_profile(profile_id: str, store: StoreDep, ctx: ContextDep) -> Response:
    with store.write() as tx:
        flavors.delete_flavor_profile(tx.session, ctx, profile_id)
    return Response(status_code=204)


# -- flavors -------------------------------------------------------------------------------

FL = f"{PREFIX}/flavors"


@router.get(FL, tags=[TAG], operation_id="v2_list_flavors",
            responses={200: s.many("flavors", s.FLAVOR)})
def list_flavors(request: Request, store: StoreDep, ctx: ContextDep) -> JsonAnswer:
    query = list_query(request, flavors.FLAVORS)
    with store.read() as session:
        result = flavors.list_flavors(session, ctx, query)
        return list_answer(request, flavors.FLAVORS, query, result, flavor_view)


@router.post(FL, tags=[TAG], status_code=201, operation_id="v2_create_flavor",
            responses={201: s.one("flavor", s.FLAVOR)})
def create_flavor(body: FlavorPostBody, store: StoreDep, ctx: ContextDep) -> dict[str, Any]:
    with store.write() as tx:
        return {"flavor": flavor_view(flavors.create_flavor(tx.session, ctx,
                                                            body.flavor.model_dump()))}


@router.get(FL + "/{flavor_id}", tags=[TAG], operation_id="v2_show_flavor",
            responses={200: s.one("flavor", s.FLAVOR)})
def show_flavor(
    request: Request, flavor_id: str, store: StoreDep, ctx: ContextDep
) -> dict[str, Any]:
    with store.read() as session:
        view = flavor_view(flavors.get_flavor(session, ctx, flavor_id))
    return {"flavor": show_fields(request, view)}


@router.put(FL + "/{flavor_id}", tags=[TAG], operation_id="v2_update_flavor",
            responses={200: s.one("flavor", s.FLAVOR)})
def update_flavor(
    flavor_id: str, body: FlavorPutBody, store: StoreDep, ctx: ContextDep
) -> dict[str, Any]:
    data = changes(body.flavor)
    with store.write() as tx:
        return {"flavor": flavor_view(flavors.update_flavor(tx.session, ctx, flavor_id, data))}


@router.delete(FL + "/{flavor_id}", tags=[TAG], status_code=204, response_class=Response,
               operation_id="v2_delete_flavor")
def delete_flavor(flavor_id: str, store: StoreDep, ctx: ContextDep) -> Response:
    with store.write() as tx:
        flavors.delete_flavor(tx.session, ctx, flavor_id)
    return Response(status_code=204)


# -- availability zone profiles ------------------------------------------------------------

AZP = f"{PREFIX}/availabilityzoneprofiles"


@router.get(AZP, tags=[TAG], operation_id="v2_list_availabilityzoneprofiles",
            responses={200: s.many("availability_zone_profiles", s.ZONE_PROFILE)})
def list_zone_profiles(request: Request, store: StoreDep, ctx: ContextDep) -> JsonAnswer:
    query = list_query(request, flavors.ZONE_PROFILES)
    with store.read() as session:
        result = flavors.list_zone_profiles(session, ctx, query)
        return list_answer(request, flavors.ZONE_PROFILES, query, result, zone_profile_view)


@router.post(AZP, tags=[TAG], status_code=201, operation_id="v2_create_availabilityzoneprofile",
            responses={201: s.one("availability_zone_profile", s.ZONE_PROFILE)})
def create_zone_profile(
    body: ZoneProfilePostBody, store: StoreDep, ctx: ContextDep
) -> dict[str, Any]:
    data = body.availability_zone_profile.model_dump()
    with store.write() as tx:
        made = flavors.create_zone_profile(tx.session, ctx, data)
        return {"availability_zone_profile": zone_profile_view(made)}


@router.get(AZP + "/{profile_id}", tags=[TAG], operation_id="v2_show_availabilityzoneprofile",
            responses={200: s.one("availability_zone_profile", s.ZONE_PROFILE)})
def show_zone_profile(
    request: Request, profile_id: str, store: StoreDep, ctx: ContextDep
) -> dict[str, Any]:
    with store.read() as session:
        view = zone_profile_view(flavors.get_zone_profile(session, ctx, profile_id))
    return {"availability_zone_profile": show_fields(request, view)}


@router.put(AZP + "/{profile_id}", tags=[TAG], operation_id="v2_update_availabilityzoneprofile",
            responses={200: s.one("availability_zone_profile", s.ZONE_PROFILE)})
def update_zone_profile(
    profile_id: str, body: ZoneProfilePutBody, store: StoreDep, ctx: ContextDep
) -> dict[str, Any]:
    data = changes(body.availability_zone_profile)
    with store.write() as tx:
        changed = flavors.update_zone_profile(tx.session, ctx, profile_id, data)
        return {"availability_zone_profile": zone_profile_view(changed)}


@router.delete(AZP + "/{profile_id}", tags=[TAG], status_code=204, response_class=Response,
               operation_id="v2_delete_availabilityzoneprofile")
def delete_zone_profile(profile_id: str, store: StoreDep, ctx: ContextDep) -> Response:
    with store.write() as tx:
        flavors.delete_zone_profile(tx.session, ctx, profile_id)
    return Response(status_code=204)


# -- availability zones --------------------------------------------------------------------

AZ = f"{PREFIX}/availabilityzones"


@router.get(AZ, tags=[TAG], operation_id="v2_list_availabilityzones",
            responses={200: s.many("availability_zones", s.ZONE)})
def list_zones(request: Request, store: StoreDep, ctx: ContextDep) -> JsonAnswer:
    query = list_query(request, flavors.ZONES)
    with store.read() as session:
        result = flavors.list_zones(session, ctx, query)
        return list_answer(request, flavors.ZONES, query, result, zone_view,
                           id_of=lambda zone: str(zone.name))


@router.post(AZ, tags=[TAG], status_code=201, operation_id="v2_create_availabilityzone",
            responses={201: s.one("availability_zone", s.ZONE)})
def create_zone(body: ZonePostBody, store: StoreDep, ctx: ContextDep) -> dict[str, Any]:
    with store.write() as tx:
        made = flavors.create_zone(tx.session, ctx, body.availability_zone.model_dump())
        return {"availability_zone": zone_view(made)}


@router.get(AZ + "/{zone_name}", tags=[TAG], operation_id="v2_show_availabilityzone",
            responses={200: s.one("availability_zone", s.ZONE)})
def show_zone(
    request: Request, zone_name: str, store: StoreDep, ctx: ContextDep
) -> dict[str, Any]:
    with store.read() as session:
        view = zone_view(flavors.get_zone(session, ctx, zone_name))
    return {"availability_zone": show_fields(request, view)}


@router.put(AZ + "/{zone_name}", tags=[TAG], operation_id="v2_update_availabilityzone",
            responses={200: s.one("availability_zone", s.ZONE)})
def update_zone(
    zone_name: str, body: ZonePutBody, store: StoreDep, ctx: ContextDep
) -> dict[str, Any]:
    data = changes(body.availability_zone)
    with store.write() as tx:
        return {"availability_zone": zone_view(flavors.update_zone(tx.session, ctx, zone_name,
                                                                   data))}


@router.delete(AZ + "/{zone_name}", tags=[TAG], status_code=204, response_class=Response,
               operation_id="v2_delete_availabilityzone")
def delete_zone(zone_name: str, store: StoreDep, ctx: ContextDep) -> Response:
    with store.write() as tx:
        flavors.delete_zone(tx.session, ctx, zone_name)
    return Response(status_code=204)


# -- amphorae ------------------------------------------------------------------------------

AMPHORA_ATTRS = ("id", "loadbalancer_id", "compute_id", "lb_network_ip", "vrrp_ip", "ha_ip",
                 "vrrp_port_id", "ha_port_id", "cert_expiration", "cert_busy", "role",
                 "status", "vrrp_interface", "vrrp_id", "vrrp_priority", "cached_zone",
                 "created_at", "updated_at", "image_id", "compute_flavor")
AMPHORAE = listing.Collection("amphorae", None,
                              {name: listing.Attr(listing.IN_MEMORY) for name in AMPHORA_ATTRS})


@router.get(f"{OCTAVIA}/amphorae", tags=[TAG], operation_id="v2_list_amphorae",
            responses={200: s.many("amphorae", s.AMPHORA)})
def list_amphorae(request: Request, store: StoreDep, ctx: ContextDep) -> JsonAnswer:
    """Where each load balancer runs (service/instances.py): one STANDALONE instance per
    scheduled load balancer. Filters match exactly; there is one page."""
    authorize(ctx, "amphora:get_all")
    query = list_query(request, AMPHORAE)
    with store.read() as session:
        rows = instances.list_instances(session)
    wanted = [row for row in rows
              if all(_as_text(row.get(k)) in values for k, values in query.filters.items())]
    items = [listing.select_fields(row, query.fields) for row in wanted]
    return JsonAnswer({"amphorae": items, "amphorae_links": []})


def _as_text(value: Any) -> str:
    """A value as a query string spells it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


@router.get(f"{OCTAVIA}/amphorae/{{amphora_id}}", tags=[TAG], operation_id="v2_show_amphora",
            responses={200: s.one("amphora", s.AMPHORA)})
def show_amphora(request: Request, amphora_id: str, store: StoreDep,
                 ctx: ContextDep) -> dict[str, Any]:
    authorize(ctx, "amphora:get_one")
    with store.read() as session:
        view = instances.get_instance(session, amphora_id)
    return {"amphora": show_fields(request, view)}

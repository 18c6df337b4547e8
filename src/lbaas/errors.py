"""One exception tree for the whole service, mapped to HTTP in one place (`lbaas.api.errors`).

    LbaasError                     500  unexpected: a bug
     ├── BadRequest                400  the request is malformed or breaks a rule
 │    └── InvalidCertificate   400  a certificate, key, CA bundle or CRL ref that cannot serve
     ├── NotAuthenticated          401  no token, or an unknown or revoked one
     ├── NotAuthorized             403  the token may not do this
     ├── NotFound                  404  no such object (or not visible to this project)
     ├── MethodNotAllowed          405
 ├── NotAcceptable             406  no representation for the Accept header
     ├── Conflict                  409  the request clashes with the current state
     │    ├── InUse                409  the object is still used by another
     │    └── OverQuota            409  the project's quota would be exceeded
     ├── PayloadTooLarge           413
     ├── UnsupportedMediaType      415
     ├── TooManyRequests           429
     └── ServiceUnavailable        503  the database cannot be reached; retry later

Each error carries `type`, the Neutron exception name shown in `NeutronError.type`, so clients
that match on it keep working.
"""

from __future__ import annotations


class LbaasError(Exception):
    status = 500
    default_type = "NeutronException"

    def __init__(self, message: str, *, type: str | None = None, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.type = type or self.default_type
        self.detail = detail


class BadRequest(LbaasError):
    status = 400
    default_type = "BadRequest"


class InvalidCertificate(BadRequest):
    default_type = "InvalidCertificate"


class NotAuthenticated(LbaasError):
    status = 401
    default_type = "HTTPUnauthorized"


class NotAuthorized(LbaasError):
    status = 403
    default_type = "NotAuthorized"


class NotFound(LbaasError):
    status = 404
    default_type = "NotFound"


class MethodNotAllowed(LbaasError):
    status = 405
    default_type = "HTTPMethodNotAllowed"


class NotAcceptable(LbaasError):
    status = 406
    default_type = "HTTPNotAcceptable"


class Conflict(LbaasError):
    status = 409
    default_type = "Conflict"


class InUse(Conflict):
    default_type = "InUse"


class OverQuota(Conflict):
    default_type = "OverQuota"

    def __init__(self, message: str, *, resource: str = "", **kwargs: str) -> None:
        super().__init__(message, **kwargs)
        self.resource = resource  # the quota's resource name, when one quota was met


class PayloadTooLarge(LbaasError):
    status = 413
    default_type = "HTTPRequestEntityTooLarge"


class UnsupportedMediaType(LbaasError):
    status = 415
    default_type = "HTTPUnsupportedMediaType"


class TooManyRequests(LbaasError):
    status = 429
    default_type = "HTTPTooManyRequests"


class ServiceUnavailable(LbaasError):
    status = 503
    default_type = "ServiceUnavailable"


def not_found(kind: str, object_id: str) -> NotFound:
    """The Neutron-shaped 404 for an object of one kind ("Pool", "Vip", "Member", ...)."""
    type_name = f"{kind.replace(' ', '').replace('_', '').title()}NotFound"
    if kind == "Health_monitor":
        type_name = "HealthMonitorNotFound"
    return NotFound(f"{kind} {object_id} could not be found", type=type_name)

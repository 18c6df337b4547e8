"""What every v2 route shares: checked text types for request bodies, the list answer built
from `lbaas.service.listing`, and the caller's URL for links."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any

import orjson
from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from lbaas.api.v2.paths import ORIGINAL_PATH
from lbaas.errors import BadRequest
from lbaas.service import listing

CONTROL = re.compile(r"[\x00-\x1f\x7f]")
INTEGER_TEXT = re.compile(r"-?[0-9]{1,10}")


def _integer_text(value: Any) -> Any:
    """A JSON string of ASCII digits is an integer, as Octavia (WSME) reads it: its own test
    suite sends `"protocol_port": "80"`. Anything else goes on to the strict check."""
    if isinstance(value, str) and INTEGER_TEXT.fullmatch(value):
        return int(value)
    return value


# An integer of a request body (strict: no bool, no float), also given as a string of digits.
Int = Annotated[int, BeforeValidator(_integer_text)]


def _clean(value: str) -> str:
    """No control characters (nothing here may end a line in a log or a file) and only text
    every database can store."""
    if CONTROL.search(value):
        raise ValueError("control characters (such as newline or NUL) are not allowed")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("not valid Unicode text") from exc
    return value


Text255 = Annotated[str, Field(max_length=255), AfterValidator(_clean)]
Name64 = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_clean)]
Id36 = Annotated[str, Field(min_length=1, max_length=36), AfterValidator(_clean)]
ZoneName = Annotated[  # a path segment too: no slash
    str, Field(min_length=1, max_length=255, pattern=r"^[^/]+$"), AfterValidator(_clean)]
JsonText = Annotated[str, Field(max_length=4096), AfterValidator(_clean)]


class Strict(BaseModel):
    """A request object: unknown attributes and loosely typed values are refused (400)."""

    model_config = ConfigDict(extra="forbid", strict=True)


def changes(model: BaseModel, nullable: tuple[str, ...] = ()) -> dict[str, Any]:
    """The attributes a PUT body sets; an explicit null is refused unless `nullable`."""
    data = model.model_dump(exclude_unset=True)
    for name, value in data.items():
        if value is None and name not in nullable:
            raise BadRequest(f"Invalid input for field/attribute {name}: may not be null")
    return data


class JsonAnswer(JSONResponse):
    """Encoded by orjson: views hold only JSON types."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def public_url(request: Request) -> str:
    """The URL of this request's path as the client spelled it (for `*_links`)."""
    path = str(request.scope.get(ORIGINAL_PATH, request.url.path))
    return str(request.base_url).rstrip("/") + path


def list_answer(
    request: Request, collection: listing.Collection, query: listing.ListQuery,
    result: listing.Page, view: Callable[[Any], dict[str, Any]],
    id_of: Callable[[Any], str] = lambda row: str(row.id),
) -> JsonAnswer:
    """`{"<name>": [...], "<name>_links": [...]}` for one page, `fields` applied."""
    items = [listing.select_fields(view(row), query.fields) for row in result.rows]
    links = listing.links(collection, query, result, public_url(request), id_of)
    return JsonAnswer({collection.name: items, f"{collection.name}_links": links})


def list_query(request: Request, collection: listing.Collection) -> listing.ListQuery:
    return listing.parse_query(collection, list(request.query_params.multi_items()))


def show_fields(request: Request, view: dict[str, Any]) -> dict[str, Any]:
    """`?fields=` on a single object, as on lists."""
    fields = listing.split(request.query_params.getlist("fields"))
    return listing.select_fields(view, fields)

"""The list parameters of every v2 collection, done in SQL over one resource's attribute table.

A resource describes its collection once (`Collection`: API attribute → SQL expression, the id,
the project column, where its tags live); `parse_query` checks a query string against it and
`page` runs the resulting query:

    ?name=x&admin_state_up=true      exact filters on any attribute, AND-ed (a repeated key: any
                                     of its values); an unknown one is 400
    ?tags=a,b  ?tags-any=a&tags-any=b  ?not-tags=..  ?not-tags-any=..   (comma lists or repeated)
    ?sort=name:asc,id:desc  or  ?sort_key=name&sort_dir=desc           (a bad key is 400)
    ?limit=N&marker=<id>&page_reverse=true                             keyset pagination
    ?fields=id&fields=name                                             applied to the views

Pagination is keyset: the marker's sort-key values are read, and the page is the next `limit`
rows after them in the sort order, so a page costs the same at row 10 and at row 10,000 and never
loads the rows before it. The id always ends the sort keys, so the order is total.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    not_,
    or_,
    select,
)
from sqlalchemy.orm import Session

from lbaas.errors import BadRequest

MAX_LIMIT = 1000  # Octavia's pagination_max_limit default
TAG_PARAMS = ("tags", "tags-any", "not-tags", "not-tags-any")
PAGING = ("limit", "marker", "page_reverse")
SORTING = ("sort", "sort_key", "sort_dir")
IN_MEMORY = "filtered in memory"  # Attr.column of lists that are not tables (providers)
PROJECT_KEYS = ("project_id", "tenant_id")  # tenant_id: Octavia's alias of project_id


def parse_bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    raise ValueError(f"'{raw}' is not a boolean")


def parse_int(raw: str) -> int:
    return int(raw.strip())


@dataclass(frozen=True)
class Attr:
    """One API attribute as lists see it: the SQL expression it filters and sorts on (None: it
    is only shown, as child id lists are) and how a query-string value becomes a column value."""

    column: Any = None
    parse: Callable[[str], Any] = str
    sortable: bool = True


@dataclass(frozen=True)
class Tags:
    """Where a resource's tags live: one row per (object id, tag)."""

    object_id: Any
    tag: Any


@dataclass(frozen=True)
class JsonTags:
    """Tags kept as a JSON list in a column of the resource's own row: matched on the list's
    text (each tag as its JSON string, quotes included, so only whole tags match)."""

    column: Any


@dataclass(frozen=True)
class Collection:
    name: str  # the plural: the list's root key, and "<name>_links"
    id: Any  # the id column: unique, the marker, the last sort key
    attrs: Mapping[str, Attr]
    project: Any = None  # the project column, for owned resources (list_scope applies)
    tags: Tags | JsonTags | None = None
    default_sort: tuple[str, ...] = ()  # keys sorted on before the id when none are asked for
    shown: frozenset[str] = frozenset()  # more attributes `fields=` may name (answer only)


@dataclass(frozen=True)
class ListQuery:
    filters: dict[str, list[Any]] = field(default_factory=dict)
    project: str | None = None  # the project_id/tenant_id filter, for policy.list_scope
    tags: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sort: tuple[tuple[str, bool], ...] = ()  # (attribute, descending)
    limit: int = MAX_LIMIT
    marker: str | None = None
    page_reverse: bool = False
    fields: tuple[str, ...] = ()
    echo: tuple[tuple[str, str], ...] = ()  # filters, tags and sorting, repeated in the links


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    more: bool  # rows exist past this page in the direction it was read


def split(values: Sequence[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _invalid(message: str) -> BadRequest:
    return BadRequest(message, type="InvalidInput")


def parse_query(
    collection: Collection, items: Sequence[tuple[str, str]], max_limit: int = MAX_LIMIT
) -> ListQuery:
    """The checked list parameters of a query string (400 naming what is wrong)."""
    grouped: dict[str, list[str]] = {}
    for key, value in items:
        _check_text(key, value)
        grouped.setdefault(key, []).append(value)
    filters, project, echo = _filters(collection, grouped)
    tags = {key: tuple(split(grouped[key])) for key in TAG_PARAMS if key in grouped}
    if tags and collection.tags is None:
        raise _invalid(f"Invalid filter argument: {collection.name} have no tags")
    echo += [(key, value) for key in (*TAG_PARAMS, *SORTING) for value in grouped.get(key, [])]
    return ListQuery(
        filters=filters,
        project=project,
        tags=tags,
        sort=_sort(collection, grouped),
        limit=_limit(grouped.get("limit", []), max_limit),
        marker=_single(grouped, "marker"),
        page_reverse=_reverse(grouped),
        fields=_fields(collection, grouped.get("fields", [])),
        echo=tuple(echo),
    )


def _check_text(key: str, value: str) -> None:
    """Query text no database chokes on: no control characters, only encodable text."""
    text = key + value
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise _invalid(f"Invalid query parameter {key!r}: control characters are not allowed")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise _invalid(f"Invalid query parameter {key!r}: not valid Unicode text") from exc


def _single(grouped: dict[str, list[str]], key: str) -> str | None:
    values = grouped.get(key, [])
    if len(values) > 1:
        raise _invalid(f"Invalid {key}: give it once")
    return values[0] if values else None


def _filters(
    collection: Collection, grouped: dict[str, list[str]]
) -> tuple[dict[str, list[Any]], str | None, list[tuple[str, str]]]:
    filters: dict[str, list[Any]] = {}
    projects: set[str] = set()
    echo: list[tuple[str, str]] = []
    reserved = {*TAG_PARAMS, *PAGING, *SORTING, "fields"}
    for key, values in grouped.items():
        if key in reserved:
            continue
        echo += [(key, value) for value in values]
        if key in PROJECT_KEYS and collection.project is not None:
            projects.update(values)
            continue
        attr = collection.attrs.get(key)
        if attr is None or attr.column is None:
            raise _invalid(f"Invalid filter argument: {key}")
        try:
            filters[key] = [attr.parse(value) for value in values]
        except ValueError as exc:
            raise _invalid(f"Invalid filter value for {key}: {exc}") from exc
    if len(projects) > 1:
        raise _invalid("Invalid filter argument: project_id given with different values")
    return filters, next(iter(projects), None), echo


def _sort(collection: Collection, grouped: dict[str, list[str]]) -> tuple[tuple[str, bool], ...]:
    if "sort" in grouped:
        pairs = [(part.partition(":")[0], part.partition(":")[2] or "asc")
                 for part in split(grouped["sort"])]
    else:
        keys, dirs = split(grouped.get("sort_key", [])), split(grouped.get("sort_dir", []))
        if len(dirs) > max(len(keys), 1):
            raise _invalid("Invalid sort_dir: more directions than sort keys")
        dirs = dirs or ["asc"]
        pairs = [(key, dirs[i] if i < len(dirs) else dirs[-1]) for i, key in enumerate(keys)]
    result: list[tuple[str, bool]] = []
    for key, direction in pairs:
        attr = collection.attrs.get(key)
        if attr is None or attr.column is None or not attr.sortable:
            raise _invalid(f"Invalid sort key: {key}")
        if direction.lower() not in ("asc", "desc"):
            raise _invalid(f"Invalid sort direction for {key}: '{direction}' (asc or desc)")
        result.append((key, direction.lower() == "desc"))
    return tuple(result)


def _limit(values: list[str], max_limit: int) -> int:
    if not values:
        return max_limit
    try:
        limit = int(values[-1])
    except ValueError as exc:
        raise _invalid(f"Invalid limit: '{values[-1]}' is not an integer") from exc
    if limit < 1:
        raise _invalid(f"Invalid limit: {limit} (give 1 or more)")
    return min(limit, max_limit)


def _reverse(grouped: dict[str, list[str]]) -> bool:
    value = _single(grouped, "page_reverse")
    try:
        return value is not None and parse_bool(value)
    except ValueError as exc:
        raise _invalid(f"Invalid page_reverse: {exc}") from exc


def _fields(collection: Collection, values: list[str]) -> tuple[str, ...]:
    fields = split(values)
    known = {*collection.attrs, *collection.shown,
             *(PROJECT_KEYS if collection.project is not None else ())}
    unknown = [name for name in fields if name not in known]
    if unknown:
        raise _invalid(f"Invalid fields: {', '.join(unknown)}")
    return tuple(dict.fromkeys(fields))


# -- SQL ------------------------------------------------------------------------------------


def page(
    session: Session, collection: Collection, stmt: Select[Any], query: ListQuery,
    *, project: str | None = None,
) -> Page:
    """One page of `stmt` (a select of the resource's rows) under `query`; `project`, if set,
    limits it to that project's rows (from policy.list_scope)."""
    stmt = stmt.where(*_conditions(collection, query, project))
    keys = _sort_keys(collection, query)
    if query.marker is not None:
        stmt = stmt.where(_after(session, collection, stmt, keys, query.marker))
    order = [expr.desc() if desc else expr.asc() for expr, desc in keys]
    rows = list(session.scalars(stmt.order_by(*order).limit(query.limit + 1)))
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    if query.page_reverse:
        rows.reverse()
    return Page(rows=rows, more=more)


def _conditions(
    collection: Collection, query: ListQuery, project: str | None
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if project is not None and collection.project is not None:
        conditions.append(collection.project == project)
    for name, values in query.filters.items():
        column = collection.attrs[name].column
        conditions.append(column == values[0] if len(values) == 1 else column.in_(values))
    if isinstance(collection.tags, JsonTags):
        conditions += _json_tag_conditions(collection.tags, query.tags)
    elif collection.tags is not None:
        conditions += _tag_conditions(collection.id, collection.tags, query.tags)
    return conditions


def _tag_conditions(
    object_id: Any, tags: Tags, wanted: dict[str, tuple[str, ...]]
) -> list[ColumnElement[bool]]:
    def has(*names: str) -> ColumnElement[bool]:
        match = tags.tag == names[0] if len(names) == 1 else tags.tag.in_(names)
        return exists(select(tags.object_id).where(tags.object_id == object_id, match))

    conditions: list[ColumnElement[bool]] = []
    if wanted.get("tags"):
        conditions += [has(name) for name in wanted["tags"]]
    if wanted.get("tags-any"):
        conditions.append(has(*wanted["tags-any"]))
    if wanted.get("not-tags"):
        conditions.append(not_(and_(*(has(name) for name in wanted["not-tags"]))))
    if wanted.get("not-tags-any"):
        conditions.append(not_(has(*wanted["not-tags-any"])))
    return conditions


def _json_tag_conditions(
    tags: JsonTags, wanted: dict[str, tuple[str, ...]]
) -> list[ColumnElement[bool]]:
    text = func.coalesce(cast(tags.column, String), "[]")

    def one(name: str) -> ColumnElement[bool]:
        quoted = json.dumps(name).replace("\\", "\\\\")
        pattern = quoted.replace("%", "\\%").replace("_", "\\_")
        return text.like(f"%{pattern}%", escape="\\")

    def has(*names: str) -> ColumnElement[bool]:
        return or_(*(one(name) for name in names))

    conditions: list[ColumnElement[bool]] = []
    if wanted.get("tags"):
        conditions += [one(name) for name in wanted["tags"]]
    if wanted.get("tags-any"):
        conditions.append(has(*wanted["tags-any"]))
    if wanted.get("not-tags"):
        conditions.append(not_(and_(*(one(name) for name in wanted["not-tags"]))))
    if wanted.get("not-tags-any"):
        conditions.append(not_(has(*wanted["not-tags-any"])))
    return conditions


def _nullable(expr: Any) -> bool:
    return bool(getattr(getattr(expr, "expression", expr), "nullable", False))


def _sort_keys(collection: Collection, query: ListQuery) -> list[tuple[Any, bool]]:
    """(SQL expression, descending) in order, the id last; a nullable column sorts on whether it
    is NULL first (NULLs before values, on every database), then on its value."""
    asked = list(query.sort) or [(key, False) for key in collection.default_sort]
    keys: list[tuple[Any, bool]] = []
    id_desc = False
    for name, desc in asked:
        column = collection.attrs[name].column
        if column is collection.id:
            id_desc = desc
            continue
        if _nullable(column):
            keys.append((case((column.is_(None), 0), else_=1), desc))
        keys.append((column, desc))
    keys.append((collection.id, id_desc))
    if query.page_reverse:
        keys = [(expr, not desc) for expr, desc in keys]
    return keys


def _after(
    session: Session, collection: Collection, stmt: Select[Any], keys: list[tuple[Any, bool]],
    marker: str,
) -> ColumnElement[bool]:
    """Rows after the marker's row in the order of `keys` (400 if the marker is not listed)."""
    found = session.execute(
        stmt.with_only_columns(*(expr for expr, _ in keys), maintain_column_froms=True)
        .where(collection.id == marker).limit(1)
    ).first()
    if found is None:
        raise _invalid(f"Invalid marker: {marker} is not in this list")
    branches = []
    for i, (expr, desc) in enumerate(keys):
        same = [_equal(e, found[j]) for j, (e, _) in enumerate(keys[:i])]
        branches.append(and_(*same, _beyond(expr, desc, found[i])))
    return or_(*branches)


def _equal(expr: Any, value: Any) -> ColumnElement[bool]:
    return expr.is_(None) if value is None else expr == value  # type: ignore[no-any-return]


def _beyond(expr: Any, desc: bool, value: Any) -> ColumnElement[bool]:
    if value is None:  # NULLs are equal among themselves; the flag key orders them
        return false()
    return expr < value if desc else expr > value  # type: ignore[no-any-return]


# -- views and links -------------------------------------------------------------------------


def select_fields(view: dict[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    if not fields:
        return view
    return {name: view[name] for name in fields if name in view}


def links(
    collection: Collection, query: ListQuery, result: Page, url: str, id_of: Callable[[Any], str]
) -> list[dict[str, str]]:
    """`<collection>_links`: `next` while rows remain after the page, `previous` when the page
    was reached through a marker (or more remain before a reversed page)."""
    if not result.rows:
        return []
    base = [*query.echo, ("limit", str(query.limit))]
    forward_more = result.more if not query.page_reverse else query.marker is not None
    backward_more = query.marker is not None if not query.page_reverse else result.more
    answer = []
    if backward_more:
        params = [*base, ("marker", id_of(result.rows[0])), ("page_reverse", "True")]
        answer.append({"rel": "previous", "href": f"{url}?{urlencode(params)}"})
    if forward_more:
        params = [*base, ("marker", id_of(result.rows[-1]))]
        answer.append({"rel": "next", "href": f"{url}?{urlencode(params)}"})
    return answer

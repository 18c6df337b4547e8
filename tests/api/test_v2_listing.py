"""The v2 list machinery (lbaas.service.listing) over a real table on every database: filters,
sorting, keyset pagination with links, fields, and tags over a tag table of its own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Column, MetaData, String, Table, event, insert, select
from sqlalchemy.orm import Session

from lbaas.errors import BadRequest
from lbaas.service import listing
from lbaas.service.flavors import FLAVORS
from lbaas.storage.db import Store
from lbaas.storage.flavors import Flavor, FlavorProfile
from tests.api.conftest import Api

V2 = "/v2.0/lbaas"


def _flavors(store: Store, count: int, profile: str = "p") -> list[str]:
    """`count` flavors named f00000.. (every third disabled, every fifth described "odd")."""
    rows = [{"id": f"00000000-0000-4000-8000-{i:012d}", "name": f"f{i:05d}",
             "description": "odd" if i % 5 == 0 else "", "enabled": i % 3 != 0,
             "flavor_profile_id": profile} for i in range(count)]
    with store.side_write() as session:
        session.add(FlavorProfile(id=profile, name="p", provider_name="haproxy",
                                  flavor_data="{}"))
        session.flush()
        session.execute(insert(Flavor), rows)
    return [r["id"] for r in rows]


def _query(**params: Any) -> listing.ListQuery:
    items = [(k, str(v)) for k, values in params.items()
             for v in (values if isinstance(values, list) else [values])]
    return listing.parse_query(FLAVORS, items)


@pytest.fixture
def loads() -> Iterator[list[int]]:
    """How many Flavor rows the ORM built (one count per query run)."""
    counted = [0]

    def count(*_: Any) -> None:
        counted[0] += 1

    event.listen(Flavor, "load", count)
    try:
        yield counted
    finally:
        event.remove(Flavor, "load", count)


def test_paging_10k_rows_loads_only_the_page(store: Store, loads: list[int]) -> None:
    ids = _flavors(store, 10_000)
    seen: list[str] = []
    marker = None
    with store.read() as session:
        for _ in range(3):
            params: dict[str, Any] = {"limit": 100, "sort": "name:asc"}
            if marker:
                params["marker"] = marker
            loads[0] = 0
            page = listing.page(session, FLAVORS, select(Flavor), _query(**params))
            assert loads[0] <= 101  # the page and the one row that says more exist
            seen += [f.id for f in page.rows]
            marker = page.rows[-1].id
        assert seen == ids[:300]
        loads[0] = 0
        last = listing.page(session, FLAVORS, select(Flavor),
                            _query(limit=100, marker=ids[9_949], sort="name"))
        assert [f.id for f in last.rows] == ids[9_950:] and not last.more
        assert loads[0] <= 51


def test_page_reverse_walks_back(store: Store) -> None:
    ids = _flavors(store, 30)
    with store.read() as session:
        back = listing.page(session, FLAVORS, select(Flavor),
                            _query(limit=10, marker=ids[20], page_reverse="true",
                                   sort="name:asc"))
        assert [f.id for f in back.rows] == ids[10:20] and back.more


def test_sorting_on_several_keys(store: Store) -> None:
    _flavors(store, 30)
    with store.read() as session:
        rows = listing.page(session, FLAVORS, select(Flavor),
                            _query(sort="enabled:asc,name:desc")).rows
        by_key = listing.page(session, FLAVORS, select(Flavor),
                              _query(sort_key="enabled,name", sort_dir="asc,desc")).rows
        expected = sorted(rows, key=lambda f: (f.enabled, [-ord(c) for c in f.name]))
        assert [f.id for f in rows] == [f.id for f in expected] == [f.id for f in by_key]


def test_filters_are_exact_and_anded(store: Store) -> None:
    _flavors(store, 30)
    with store.read() as session:
        rows = listing.page(session, FLAVORS, select(Flavor),
                            _query(enabled="false", description="odd")).rows
        either = listing.page(session, FLAVORS, select(Flavor),
                              _query(name=["f00001", "f00002"])).rows
        assert sorted(f.name for f in rows) == ["f00000", "f00015"]
        assert sorted(f.name for f in either) == ["f00001", "f00002"]


@pytest.mark.parametrize(("params", "words"), [
    ({"bogus": "1"}, "Invalid filter argument: bogus"),
    ({"sort": "bogus:asc"}, "Invalid sort key: bogus"),
    ({"sort": "name:sideways"}, "Invalid sort direction"),
    ({"sort_key": "name", "sort_dir": "asc,desc"}, "more directions"),
    ({"limit": "0"}, "Invalid limit"),
    ({"limit": "many"}, "Invalid limit"),
    ({"page_reverse": "maybe"}, "Invalid page_reverse"),
    ({"enabled": "maybe"}, "Invalid filter value for enabled"),
    ({"fields": "nope"}, "Invalid fields: nope"),
    ({"tags": "a"}, "have no tags"),
    ({"name": "a\x00"}, "control characters"),
    ({"project_id": "x"}, "Invalid filter argument: project_id"),
])
def test_bad_parameters_are_400(params: dict[str, str], words: str) -> None:
    with pytest.raises(BadRequest) as caught:
        _query(**params)
    assert words in caught.value.message


def test_unknown_marker_is_400(store: Store) -> None:
    _flavors(store, 3)
    with store.read() as session, pytest.raises(BadRequest, match="Invalid marker"):
        listing.page(session, FLAVORS, select(Flavor), _query(marker="nope"))


# -- tags and nullable sort keys, on a table of the test's own ------------------------------

META = MetaData()
THINGS = Table("listing_things", META, Column("id", String(36), primary_key=True),
               Column("name", String(32), nullable=True))
THING_TAGS = Table("listing_thing_tags", META, Column("thing_id", String(36), primary_key=True),
                   Column("tag", String(64), primary_key=True))
COLLECTION = listing.Collection(
    "things", THINGS.c.id, {"id": listing.Attr(THINGS.c.id),
                            "name": listing.Attr(THINGS.c.name)},
    tags=listing.Tags(THING_TAGS.c.thing_id, THING_TAGS.c.tag))


@pytest.fixture
def things(store: Store) -> Iterator[Session]:
    META.create_all(store.engine)
    try:
        with store.side_write() as session:
            names = ["b", None, "a", None, "c"]
            session.execute(insert(THINGS), [{"id": f"t{i}", "name": n}
                                             for i, n in enumerate(names)])
            tags = {"t0": ["x", "y"], "t1": ["x"], "t2": ["y"], "t3": [], "t4": ["z"]}
            session.execute(insert(THING_TAGS), [{"thing_id": t, "tag": g}
                                                 for t, gs in tags.items() for g in gs])
        with store.read() as session:
            yield session
    finally:
        META.drop_all(store.engine)


def _ids(session: Session, **params: Any) -> list[str]:
    items = [(k, str(v)) for k, values in params.items()
             for v in (values if isinstance(values, list) else [values])]
    query = listing.parse_query(COLLECTION, items)
    return [str(row) for row in listing.page(session, COLLECTION, select(THINGS.c.id),
                                             query).rows]


def test_tags(things: Session) -> None:
    assert _ids(things, tags="x,y") == ["t0"]
    assert _ids(things, tags=["x", "y"]) == ["t0"]
    assert _ids(things, **{"tags-any": "x,y"}) == ["t0", "t1", "t2"]
    assert _ids(things, **{"not-tags": "x,y"}) == ["t1", "t2", "t3", "t4"]
    assert _ids(things, **{"not-tags-any": "x,y"}) == ["t3", "t4"]
    assert _ids(things, tags="x", **{"not-tags-any": "y"}) == ["t1"]


def test_nullable_sort_key_pages_through_nulls(things: Session) -> None:
    """NULLs first on every database, and a marker on a NULL row continues after it."""
    everything = _ids(things, sort="name:asc")
    assert everything == ["t1", "t3", "t2", "t0", "t4"]
    assert _ids(things, sort="name:desc") == ["t4", "t0", "t2", "t1", "t3"]  # ties: by id
    walked, marker = [], None
    while True:
        params: dict[str, Any] = {"sort": "name:asc", "limit": 2}
        if marker:
            params["marker"] = marker
        page = _ids(things, **params)
        if not page:
            break
        walked += page
        marker = page[-1]
    assert walked == everything


# -- through the API ------------------------------------------------------------------------


def test_fields_and_links_through_the_api(api: Api, store: Store) -> None:
    ids = _flavors(store, 25)
    body = api.get(f"{V2}/flavors?limit=10&fields=id&fields=name").json()
    assert body["flavors"][0] == {"id": ids[0], "name": "f00000"}
    links = {link["rel"]: link["href"] for link in body["flavors_links"]}
    assert set(links) == {"next"}
    second = api.get(links["next"]).json()
    assert [f["id"] for f in second["flavors"]] == ids[10:20]
    links = {link["rel"]: link["href"] for link in second["flavors_links"]}
    assert set(links) == {"next", "previous"}
    back = api.get(links["previous"]).json()
    assert [f["id"] for f in back["flavors"]] == ids[:10]
    last = api.get({x["rel"]: x["href"] for x in api.get(links["next"]).json()[
        "flavors_links"]}["previous"].replace("page_reverse=True", "page_reverse=False"))
    assert last.status_code == 200
    assert api.get(f"{V2}/flavors/{ids[0]}?fields=name").json() == {"flavor": {"name": "f00000"}}

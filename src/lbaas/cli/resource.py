"""The few things every client command does with an API object: find, list, show, change, delete.

A `Noun` names where a kind of object lives and how people refer to it; the functions below are
the one way the commands talk to the API about it, so lookups and messages read the same
everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from lbaas.cli.client import ApiClient, CliError
from lbaas.cli.output import Format, say, show_many


@dataclass(frozen=True)
class Noun:
    singular: str  # the body key: "health_monitor"
    plural: str  # the collection key: "health_monitors"
    path: str  # "/v2.0/lb/health_monitors"
    columns: tuple[str, ...]  # the list columns, as upstream
    lookup: tuple[str, ...] = ("id", "name")  # what a NAME_OR_ID argument may be
    status_key: str | None = "status"  # what `--wait` follows; None: the object has no status
    title: str = ""  # what people call it, when not its body key ("l7rule" for "rule")
    id_key: str = "id"  # the field that names it in paths (availability zones: "name")

    @property
    def label(self) -> str:
        return self.title or self.singular.replace("_", " ")

    def item(self, object_id: str) -> str:
        return f"{self.path}/{object_id}"

    def under(self, parent_id: str) -> Noun:
        """A nested collection (`/pools/{parent}/members`) for one parent."""
        return replace(self, path=self.path.format(parent=parent_id))


def find(api: ApiClient, noun: Noun, name_or_id: str) -> str:
    """The id of the object `name_or_id` names (by id first, then name, as upstream); as it is
    for a noun without lookups (a quota's project id, a provider's name)."""
    if not noun.lookup:
        return name_or_id
    return api.find_id(noun.path, noun.plural, name_or_id, noun.lookup, noun.label, noun.id_key)


def fetch(api: ApiClient, noun: Noun, object_id: str) -> dict[str, Any]:
    obj: dict[str, Any] = api.get_key(noun.item(object_id), noun.singular)
    return obj


def fetch_named(api: ApiClient, noun: Noun, name_or_id: str) -> dict[str, Any]:
    return fetch(api, noun, find(api, noun, name_or_id))


def list_objects(
    api: ApiClient, noun: Noun, filters: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.get_key(noun.path, noun.plural, params=filters or None)
    return items


def show_list(
    items: Sequence[dict[str, Any]],
    columns: Sequence[str],
    fmt: Format,
    chosen: Sequence[str] | None = None,
    details: bool = False,
) -> None:
    """A list with the usual columns, the `-c` ones, or with `-D` every field there is."""
    if chosen:
        columns = chosen
    elif details:
        columns = list(dict.fromkeys(key for item in items for key in item)) or columns
    show_many(items, columns, fmt)


def create(api: ApiClient, noun: Noun, body: dict[str, Any]) -> dict[str, Any]:
    answer = api.post(noun.path, {noun.singular: body})
    created: dict[str, Any] = api.key_of(answer, noun.singular, f"POST {noun.path}")
    return created


def update(api: ApiClient, noun: Noun, object_id: str, body: dict[str, Any]) -> dict[str, Any]:
    if not body:
        raise CliError(f"Nothing to update: give at least one option to change the {noun.label}")
    answer = api.put(noun.item(object_id), {noun.singular: body})
    updated: dict[str, Any] = api.key_of(answer, noun.singular, f"PUT {noun.item(object_id)}")
    return updated


def delete_each(
    api: ApiClient, noun: Noun, names: Sequence[str], params: dict[str, Any] | None = None,
    then: Callable[[str], None] | None = None, first: Callable[[str], None] | None = None,
) -> None:
    """Delete every named object (run `first` on its id before, `then` after, such as waiting
    for it to go); report each, and fail at the end if any could not go."""
    failures: list[str] = []
    for name in names:
        try:
            object_id = find(api, noun, name)
            if first is not None:
                first(object_id)
            api.delete(noun.item(object_id), params=params)
            if then is not None:
                then(object_id)
        except CliError as exc:
            failures.append(f"{name}: {exc}")
            continue
        say(f"Deleted {noun.label}: {name}")
    if failures:
        raise CliError(f"Failed to delete {noun.label}(s): " + "; ".join(failures))

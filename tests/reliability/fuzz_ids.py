"""Real ids for the fuzz: what exists, read from the API as the caller, put into generated
requests in place of the free strings schemathesis draws for ids.

Nothing here names today's routes. The collections are the document's GET paths without
parameters whose answer is `{"plurals": [objects]}`; a path parameter or body field is matched
to them by position and by name:

- `/x/{object_id}` (a parameter right after a collection): an id listed in that collection;
- `/pools/{pool_id}/health_monitors/{monitor_id}`: the parent object's own `health_monitors`
  (ids, or v2's `{"id": ...}` objects: `/pools/{pool_id}/members/{member_id}`);
- `pool_id`, `floating_network_id`, `monitor_id`, or `id` inside `{"health_monitor": {...}}`:
  the collection whose singular ends with the name's last words (pools, networks,
  health_monitors);
- otherwise a value some listed object has under that name (`project_id`, `tenant_id`).

A generated value is kept now and then (a fifth of the time), so the fuzz still sends
unknown and malformed ids; half of the path ids are among the newest objects the fuzzing made
(free to delete, for instance).
"""

from __future__ import annotations

import random
from typing import Any

import httpx

KEEP_GENERATED = 0.2  # the share of ids left as schemathesis drew them
SEED = "seed:"  # in an explicit example: the id of the object seeded under that name
FRESH = 0.5  # the share of path ids taken from the newest objects the fuzzing made
ALIASES = {"project_id": "tenant_id", "tenant_id": "project_id"}


class LiveIds:
    """The caller's view of what exists, read again after each successful write."""

    def __init__(self, http: httpx.Client, document: dict[str, Any], reserved: set[str]
                 ) -> None:
        self.http = http
        self.reserved = reserved  # kept for the explicit examples: never chosen at random
        self.collections = sorted(
            path for path, item in document["paths"].items() if "{" not in path and "get" in item)
        self._listed: dict[str, list[dict[str, Any]]] | None = None
        self.fresh: list[str] = []  # ids of objects the fuzzing created, newest last

    def changed(self, answer: Any) -> None:
        """A write succeeded: read again what exists; remember what it created."""
        self._listed = None
        body = _json_of(answer)
        if isinstance(body, dict) and len(body) == 1:
            created = next(iter(body.values()))
            if isinstance(created, dict) and isinstance(created.get("id"), str):
                self.fresh.append(created["id"])

    def forget(self) -> None:
        """Something changed outside the fuzz's requests (an agent's report): read again."""
        self._listed = None

    def listed(self) -> dict[str, list[dict[str, Any]]]:
        """Collection path → its objects (a collection the caller may not list is left out)."""
        if self._listed is None:
            self._listed = {}
            for path in self.collections:
                answer = self.http.get(path)
                body = _json_of(answer) if answer.status_code == 200 else None
                if isinstance(body, dict):  # v2 lists carry "<plural>_links" beside them
                    body = {k: v for k, v in body.items() if not k.endswith("_links")}
                if isinstance(body, dict) and len(body) == 1:
                    items = next(iter(body.values()))
                    if isinstance(items, list) and all(isinstance(i, dict) for i in items):
                        self._listed[path] = [i for i in items if i.get("id") not in self.reserved]
        return self._listed

    def objects_named(self, name: str) -> list[dict[str, Any]]:
        """The objects of the collections that `name` (pool_id, floating_network_id, ...)
        refers to."""
        base = name.removesuffix("_id")
        words = base.split("_")
        for start in range(len(words)):  # floating_network → floating_network, then network
            wanted = "_".join(words[start:])
            found = [item for path, items in self.listed().items()
                     if _singular(path.rsplit("/", 1)[1]).endswith(wanted) for item in items]
            if found:
                return found
        return []

    def values_for(self, name: str) -> list[str]:
        ids = [str(o["id"]) for o in self.objects_named(name) if "id" in o]
        if ids:
            return ids
        values = {str(item[key]) for items in self.listed().values() for item in items
                  for key in (name, ALIASES.get(name, name)) if isinstance(item.get(key), str)}
        return sorted(values)

    def fill_path(self, template: str, generated: dict[str, Any], rng: random.Random) -> None:
        """Replace generated path parameters with real ids, left to right."""
        parent: dict[str, Any] | None = None
        segments = template.strip("/").split("/")
        for index, segment in enumerate(segments):
            if not (segment.startswith("{") and segment.endswith("}")):
                continue
            name = segment[1:-1]
            if name not in generated or str(generated[name]).startswith(SEED):
                continue
            collection = "/" + "/".join(segments[:index])
            listed = self.listed()
            field = segments[index - 1]
            options = [o for o in listed.get(collection, []) if "id" in o]
            values = [str(o["id"]) for o in options]
            if not values and parent is not None and isinstance(parent.get(field), list):
                # v1 lists ids; v2 lists {"id": ...} (a pool's members, a policy's rules)
                options, values = [], [str(v["id"] if isinstance(v, dict) else v)
                                       for v in parent[field]]
            if not values:
                options = [o for o in self.objects_named(name) if "id" in o]
                values = self.values_for(name)
            values = [v for v in values if v not in self.reserved]
            if values and rng.random() >= KEEP_GENERATED:
                choice = self._choose(values, rng)
                generated[name] = values[choice]
                parent = options[choice] if choice < len(options) else None
            else:
                parent = None

    def _choose(self, values: list[str], rng: random.Random) -> int:
        """An index into `values`: half the time one of the newest objects the fuzzing made
        (they are the likeliest to be free to delete or move)."""
        fresh = [index for index, value in enumerate(values) if value in self.fresh[-5:]]
        if fresh and rng.random() < FRESH:
            return rng.choice(fresh)
        return rng.randrange(len(values))

    def fill_body(self, body: Any, rng: random.Random, wrapper: str = "") -> None:
        """Replace ids in a generated body (`*_id` fields, and `id` named by its wrapper)."""
        if isinstance(body, list):
            for item in body:
                self.fill_body(item, rng, wrapper)
            return
        if not isinstance(body, dict):
            return
        for key, value in body.items():
            if isinstance(value, dict | list):
                self.fill_body(value, rng, key)
                continue
            name = f"{wrapper}_id" if key == "id" and wrapper else key
            if not name.endswith("_id") or str(value).startswith(SEED) \
                    or rng.random() < KEEP_GENERATED:
                continue
            values = [v for v in self.values_for(name) if v not in self.reserved]
            if values:
                body[key] = rng.choice(values)


def put_seeded(value: Any, seeded: dict[str, str]) -> Any:
    """`value` with every "seed:<name>" string replaced by that seeded object's id."""
    if isinstance(value, str) and value.startswith(SEED):
        return seeded[value.removeprefix(SEED)]
    if isinstance(value, dict):
        return {key: put_seeded(item, seeded) for key, item in value.items()}
    if isinstance(value, list):
        return [put_seeded(item, seeded) for item in value]
    return value


def _singular(plural: str) -> str:
    return plural[:-1] if plural.endswith("s") else plural


def _json_of(answer: Any) -> Any:
    """The JSON body of an httpx or schemathesis response, or None when it is not JSON."""
    try:
        return answer.json()
    except ValueError:  # json.JSONDecodeError, also for an empty or text body
        return None

"""The CLI's view of the API: where it is, the token, and requests that fail readably.

Credentials come from `--url`/`--token`, else LBAAS_URL/LBAAS_TOKEN, else the credentials file
`lbaas up` writes into its data directory (--data-dir, LBAAS_DATA_DIR, or the running `lbaas up`'s:
see `cli.running`). Every failure (no server, a bad address, an answer
that is not the API's, a 4xx or 5xx) becomes a `CliError` carrying a message for people.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from lbaas.cli.running import data_dir_of

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$")


class CliError(Exception):
    """An error to print (without a traceback) before exiting non-zero."""


class NoMatch(CliError):
    """No object has the name or id given on the command line."""


class Gone(CliError):
    """The API answered 404: the object asked for is not (or no longer) there."""


@dataclass
class Connection:
    url: str
    token: str

    @classmethod
    def resolve(
        cls, url: str | None, token: str | None, data_dir: Path | None = None
    ) -> Connection:
        url = url or os.environ.get("LBAAS_URL")
        token = token or os.environ.get("LBAAS_TOKEN")
        if not (url and token):
            where = data_dir_of(data_dir)
            stored = _stored_credentials(where)
            url, token = url or stored.get("url"), token or stored.get("token")
            if not url or not token:
                raise CliError(
                    f"No API address or token: no lbaas up found (data directory {where}). "
                    "Start one with `lbaas up`; if it runs with another data directory, pass "
                    "--data-dir or set LBAAS_DATA_DIR; or pass --url and --token "
                    "(LBAAS_URL, LBAAS_TOKEN)."
                )
        return cls(_checked_url(url), token)


def _checked_url(url: str) -> str:
    """The API address without a trailing slash, or a CliError saying what is wrong with it."""
    if not url.startswith(("http://", "https://")):
        raise CliError(f"Invalid API address '{url}': it must start with http:// or https://")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as exc:
        raise CliError(f"Invalid API address '{url}': {exc}") from exc
    if not parsed.host:
        raise CliError(f"Invalid API address '{url}': it has no host")
    return url.rstrip("/")


def _stored_credentials(data_dir: Path) -> dict[str, str]:
    path = data_dir / "credentials.json"
    try:
        body = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in body.items() if isinstance(v, str)} if isinstance(body, dict) else {}


class ApiClient:
    def __init__(self, conn: Connection, timeout: float = 30.0) -> None:
        self.conn = conn
        url = _checked_url(conn.url)
        self.http = httpx.Client(
            base_url=url,
            timeout=timeout,
            headers={"X-Auth-Token": conn.token},
            verify=url.startswith("https:"),  # plain http needs no certificates loaded
        )

    def request(self, method: str, path: str, body: Any = None, params: Any = None) -> Any:
        try:
            response = self.http.request(method, path, json=body, params=params)
        except httpx.HTTPError as exc:
            raise CliError(f"Cannot reach the API at {self.conn.url}: {_reason(exc)}") from exc
        if response.status_code == 404:
            raise Gone(_error_message(response))
        if response.status_code >= 400:
            raise CliError(_error_message(response))
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise CliError(
                f"The server at {self.conn.url} did not answer {method} {path} with JSON: "
                "is --url the lbaas API?"
            ) from exc

    def get(self, path: str, params: Any = None) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any) -> Any:
        return self.request("POST", path, body)

    def put(self, path: str, body: Any) -> Any:
        return self.request("PUT", path, body)

    def delete(self, path: str, params: Any = None) -> None:
        self.request("DELETE", path, params=params)

    def get_key(self, path: str, key: str, params: Any = None) -> Any:
        """`GET path` and the value under `key` of its body (the object or the list)."""
        return self.key_of(self.get(path, params=params), key, f"GET {path}")

    def key_of(self, body: Any, key: str, what: str) -> Any:
        """`body[key]`, or a CliError saying the answer to `what` was not the API's."""
        if not isinstance(body, dict) or key not in body:
            raise CliError(f"Unexpected answer from {self.conn.url} to {what}: no '{key}' in it")
        return body[key]

    def find_id(
        self, collection: str, key: str, name_or_id: str, fields: Sequence[str] = ("id", "name"),
        label: str = "", id_key: str = "id",
    ) -> str:
        """The id of the object named or identified by `name_or_id`, as upstream resolved it.

        Each of `fields` is tried in turn (by id first, then by name): one match wins, several
        matches for the same field are an error, none moves on to the next field.
        """
        for field in fields:
            if field == "id" and not UUID_RE.match(name_or_id):
                continue  # ids are UUIDs: no need to ask
            found = self.get_key(collection, key, params={field: name_or_id, "fields": id_key})
            if len(found) == 1:
                return str(found[0][id_key])
            if len(found) > 1:
                raise CliError(
                    f"Multiple {label or _singular(key)} matches found for {field} '{name_or_id}': "
                    "use an id to be more specific."
                )
        names = " or ".join(f.replace("_", " ") for f in fields)
        raise NoMatch(f"Unable to find {label or _singular(key)} with {names} '{name_or_id}'")


def _singular(key: str) -> str:
    return (key[:-1] if key.endswith("s") else key).replace("_", " ")


def _reason(exc: httpx.HTTPError) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({text})"
    return text


def _error_message(response: httpx.Response) -> str:
    message = ""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        error = body.get("NeutronError")
        if isinstance(error, dict):
            message = str(error.get("message") or "")
        elif isinstance(body.get("detail"), str):
            message = body["detail"]
        elif isinstance(body.get("faultstring"), str):  # the v2 (Octavia) API's
            message = body["faultstring"]
        elif isinstance(body.get("description"), str):  # the key manager's (Barbican's)
            message = body["description"]
    if not message:
        message = response.text.strip()[:200] or response.reason_phrase
    return f"{message} (HTTP {response.status_code})"

"""The CLI's view of the API: where it is, the token, and requests that fail readably.

Credentials come from `--url`/`--token`, else LBAAS_URL/LBAAS_TOKEN, else the credentials file
`lbaas up` writes into its data directory.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from lbaas.settings import default_data_dir


class CliError(Exception):
    """An error to print (without a traceback) before exiting non-zero."""


@dataclass
class Connection:
    url: str
    token: str

    @classmethod
    def resolve(cls, url: str | None, token: str | None, data_dir: Path | None = None) -> Connection:
        url = url or os.environ.get("LBAAS_URL")
        token = token or os.environ.get("LBAAS_TOKEN")
        if not (url and token):
            stored = _stored_credentials(data_dir)
            url, token = url or stored.get("url"), token or stored.get("token")
        if not url or not token:
            raise CliError(
                "No API address or token: pass --url and --token, set LBAAS_URL and LBAAS_TOKEN, "
                "or start the service with `lbaas up`, which writes them to its data directory."
            )
        return cls(url.rstrip("/"), token)


def _stored_credentials(data_dir: Path | None) -> dict[str, str]:
    path = (data_dir or Path(os.environ.get("LBAAS_DATA_DIR", default_data_dir()))) / (
        "credentials.json"
    )
    try:
        body: dict[str, str] = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return body


class ApiClient:
    def __init__(self, conn: Connection, timeout: float = 30.0) -> None:
        self.conn = conn
        self.http = httpx.Client(
            base_url=conn.url, timeout=timeout, headers={"X-Auth-Token": conn.token}
        )

    def request(self, method: str, path: str, body: Any = None, params: Any = None) -> Any:
        try:
            response = self.http.request(method, path, json=body, params=params)
        except httpx.HTTPError as exc:
            raise CliError(f"Cannot reach the API at {self.conn.url}: {exc}") from exc
        if response.status_code >= 400:
            raise CliError(_error_message(response))
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def get(self, path: str, params: Any = None) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any) -> Any:
        return self.request("POST", path, body)

    def put(self, path: str, body: Any) -> Any:
        return self.request("PUT", path, body)

    def delete(self, path: str) -> None:
        self.request("DELETE", path)

    def find_id(self, collection: str, key: str, name_or_id: str) -> str:
        """The id of the object named or identified by `name_or_id`, as upstream resolved it."""
        for field in ("id", "name"):
            found = self.get(collection, params={field: name_or_id, "fields": "id"})[key]
            if len(found) == 1:
                return str(found[0]["id"])
            if len(found) > 1:
                raise CliError(
                    f"Multiple {key} match name '{name_or_id}': use the id instead."
                )
        singular = key[:-1] if key.endswith("s") else key
        raise CliError(f"Unable to find {singular} with name or id '{name_or_id}'")


def _error_message(response: httpx.Response) -> str:
    try:
        error = response.json().get("NeutronError", {})
        message = error.get("message") or response.text
    except ValueError:
        message = response.text or response.reason_phrase
    return f"{message} (HTTP {response.status_code})"

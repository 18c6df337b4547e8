"""Run by test_openstacksdk.py with the openstacksdk virtual environment's python: calls methods
of openstacksdk's `load_balancer` proxy for the test, one JSON line in, one JSON line out.

    argv: <endpoint> <admin token>, or --cloud <name> (a cloud of OS_CLIENT_CONFIG_FILE's
          clouds.yaml: password auth through Keystone, the endpoint from its catalog)
    in:   {"call": "create_load_balancer", "args": [...], "kwargs": {...}}
          {"call": "GET", "args": ["/lbaas/loadbalancers/<id>/status"]}  (the proxy's session)
    out:  {"result": <resource.to_dict(), a list of them, or the JSON answer>}
          or {"error": "<exception class>: <message>"}

Authentication is keystoneauth's `admin_token` plugin (a token and an endpoint, no Keystone),
as `openstack --os-auth-type admin_token` uses it, or the cloud's own.
"""

from __future__ import annotations

import json
import sys
import types
from typing import Any

import openstack


def plain(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        return value.to_dict(computed=False)
    if isinstance(value, list | tuple | types.GeneratorType):
        return [plain(item) for item in value]
    return value


def serve(proxy: Any) -> None:
    for line in sys.stdin:
        request = json.loads(line)
        try:
            if request["call"] == "GET":
                answer = proxy.get(*request["args"])
                answer.raise_for_status()
                result = answer.json()
            else:
                method = getattr(proxy, request["call"])
                result = plain(method(*request.get("args", []), **request.get("kwargs", {})))
            reply = {"result": result}
        except Exception as exc:  # any failure goes back to the test, which shows it
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(reply, default=str) + "\n")
        sys.stdout.flush()


def main() -> None:
    if sys.argv[1] == "--cloud":
        conn = openstack.connect(cloud=sys.argv[2])
    else:
        endpoint, token = sys.argv[1], sys.argv[2]
        conn = openstack.connect(auth_type="admin_token",
                                 auth={"token": token, "endpoint": endpoint})
    serve(conn.load_balancer)


if __name__ == "__main__":
    main()

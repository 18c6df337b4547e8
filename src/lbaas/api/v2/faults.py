"""Octavia's (WSME's) fault body: `{"faultcode", "faultstring", "debuginfo"}`.

python-octaviaclient and openstacksdk show `faultstring`; `faultcode` is "Client" for 4xx and
"Server" for 5xx, as WSME sets it.
"""

from __future__ import annotations

from fastapi.responses import JSONResponse

POLICY_FORBIDDEN = "Policy does not allow this request to be performed."


def fault(status: int, message: str) -> JSONResponse:
    body = {
        "faultcode": "Client" if status < 500 else "Server",
        "faultstring": message,
        "debuginfo": None,
    }
    headers = {"WWW-Authenticate": 'Token realm="lbaas"'} if status == 401 else None
    if status == 503:
        headers = {"Retry-After": "2"}
    return JSONResponse(body, status_code=status, headers=headers)

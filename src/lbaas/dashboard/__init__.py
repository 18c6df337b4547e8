"""The web dashboard: a single page served at /dashboard that is a client of the REST API.

The page signs in with a token (kept in the browser's sessionStorage) and calls the v1 API from
the browser with `X-Auth-Token`, as the CLI does, so every rule is the API's. Its forms check
input before sending with the rules read from /openapi.json, and show the API's answer when it
still refuses. Every asset is a file of this package: nothing is fetched from elsewhere.
"""

from lbaas.dashboard.routes import router

__all__ = ["router"]

"""The web dashboard: a single page served at /dashboard that is a client of the REST API.

Choices, and why:

- **A client of the API, not of `service/`.** The page signs in with a token (kept in the
  browser's sessionStorage, so it lives as long as the tab) and calls the v1 API from the browser
  with `X-Auth-Token`, as the CLI does. Every rule, role and project boundary is then the API's
  own; the dashboard cannot allow what the API refuses, and needs no session machinery here.
- **Plain HTML, ES modules and CSS, no build step.** The files in `static/` are shipped as
  package data and served by `routes.py` from a fixed folder (names checked, nothing else
  reachable), with a Content-Security-Policy that allows only this origin: nothing comes from a
  CDN and the page works offline. Charts are inline SVG drawn by `chart.js`.
- **The API's rules, read at sign-in.** Forms check input with the request schemas of
  `/openapi.json` (required attributes, enums, integer ranges, patterns, formats), which
  `api/v1/attributes.py` generates, plus the few rules the document cannot state (delay >= timeout,
  CIDR, cookie and bridge names, duplicate members), mirrored in `rules.js`. When the API still
  refuses, its message is shown next to the field it names (or at the top of the form).
- **Live by polling.** The current view refetches what it shows every 2 seconds (statuses, member
  health, pool statistics); tables are keyed by id and redraw only changed rows, so focus and
  place survive. Traffic rates come from cumulative counters: first the service's recent
  history (`GET .../stats/history`, a sample every 10 s over the last hour: `history.js`), then
  those the page samples itself.
- **v2 and the key manager by their own error shapes.** `v2api.js` reads Octavia's
  `faultstring` and Barbican's `description` into the same `ApiError`. Certificates are read in
  the browser (`x509.js`: names and dates from the DER; WebCrypto signs with the key and verifies
  with the certificate to tell whether they belong together); the API checks everything again.

Switching off the browser-side checks (to see the API's own answers) is a debugging aid:
`sessionStorage.setItem('lbaas.clientChecks', 'off')` in the browser's console.
"""

from lbaas.dashboard.routes import router

__all__ = ["router"]

"""The dashboard's HTTPS pages in headless Chromium against a running service with real HAProxy:
the guided "new HTTPS site" flow from a test certificate, served to a lab client with that
certificate and HTTP redirected; the certificate pages with their expiry read from the
certificates; traffic charts that start with the service's last hour.

Its own service and lab (198.18.148.0/24), so that it runs beside test_dashboard.py's module
without sharing objects; the browser fixtures are that module's.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.dashboard_env import DashboardService, lab_on_a_service, skip_reason, wait_for
from tests.e2e.test_dashboard import (  # noqa: F401  (fixtures: the browser and a fresh tab)
    browser,
    go,
    page,
    row,
    shot,
    sign_in,
)
from tests.tls_material import NOW, CertAuthority, Issued

pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or ""),
]

if skip_reason() is None:
    from playwright.sync_api import Locator, Page, expect

V2 = "/v2.0/lbaas"
HOST = "shop.example"


class HttpsLab:
    """The service, one network with two web servers and a client, and a test CA."""

    def __init__(self, service: DashboardService, tmp: Path) -> None:
        self.service = service
        self.net = service.network("h", "198.18.148.0/24")
        self.web1, self.web2 = self.net.address(11), self.net.address(12)
        service.host("web1", self.net, self.web1, "WEB1")
        service.host("web2", self.net, self.web2, "WEB2")
        service.host("client", self.net, self.net.address(201))
        self.ca = CertAuthority("dashboard test CA")
        self.ca_file = tmp / "ca.pem"
        self.ca_file.write_bytes(self.ca.pem)
        self.site = self.ca.issue(
            HOST, sans=(HOST, f"www.{HOST}"), not_after=NOW + timedelta(days=200)
        )
        service.wait_agent()

    def run(self, argv: list[str]) -> str:
        done = self.service.plumb(lambda: self.service.box.hosts.exec("client", argv, timeout=15))
        assert done.returncode == 0, f"{argv}: exit {done.returncode} {done.stderr}"
        return done.stdout.strip()

    def remove_sites(self) -> None:
        """The v2 load balancers and the key manager's objects (the service removes the rest)."""
        for lb in self.service.get(f"{V2}/loadbalancers")["loadbalancers"]:
            self.service.delete(f"{V2}/loadbalancers/{lb['id']}?cascade=true")
        for container in self.service.get("/v1/containers?limit=100")["containers"]:
            self.service.delete(f"/v1/containers/{container['container_ref'].rsplit('/', 1)[1]}")
        for secret in self.service.get("/v1/secrets?limit=100")["secrets"]:
            self.service.delete(f"/v1/secrets/{secret['secret_ref'].rsplit('/', 1)[1]}")


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpsLab]:
    tmp = tmp_path_factory.mktemp("https")
    with lab_on_a_service(lambda service: HttpsLab(service, tmp)) as made:
        try:
            yield made
        finally:
            made.remove_sites()


def store_certificate(lab: HttpsLab, name: str, issued: Issued) -> None:
    """A certificate container made through the key manager's API, as a script would."""
    refs = []
    for part, payload, kind in (
        ("certificate", issued.cert_pem, "certificate"),
        ("private_key", issued.key_pem(), "private"),
    ):
        secret = lab.service.post(
            "/v1/secrets",
            {
                "name": f"{name} {part}",
                "payload": payload.decode(),
                "secret_type": kind,
                "payload_content_type": "text/plain",
            },
        )
        refs.append({"name": part, "secret_ref": secret["secret_ref"]})
    lab.service.post("/v1/containers", {"type": "certificate", "name": name, "secret_refs": refs})


def paste(scope: Page | Locator, name: str, text: str | bytes) -> None:
    value = text.decode() if isinstance(text, bytes) else text
    scope.locator(f'[data-field="{name}"] textarea').fill(value)


def backdate_samples(lab: HttpsLab, lb_id: str, object_id: str, minutes: int = 30) -> None:
    """A sample a minute over the last half hour, as the service would have kept them."""
    from lbaas.service.traffic_history import bucket_of
    from lbaas.storage.models import TrafficSample, utcnow

    now = utcnow()
    with lab.service.store.side_write() as session:
        for ago in range(minutes, 1, -1):
            moment = now - timedelta(minutes=ago)
            count = (minutes - ago) * 600
            session.add(
                TrafficSample(
                    object_id=object_id,
                    bucket=bucket_of(moment),
                    loadbalancer_id=lb_id,
                    sampled_at=moment,
                    bytes_in=count * 100,
                    bytes_out=count * 900,
                    active_connections=3,
                    total_connections=count // 4,
                    requests=count,
                    errors=ago % 3,
                    responses_5xx=0,
                    response_time_ms=12,
                )
            )


def points(tab: Page, chart: int = 0) -> int:
    """How many points the first series of a chart draws."""
    polyline = tab.locator("svg.chart").nth(chart).locator("polyline").first
    return len((polyline.get_attribute("points") or "").split())


def test_guided_https_site_serves_its_certificate_and_redirects_http(
    page: Page,  # noqa: F811
    lab: HttpsLab,
) -> None:
    other = lab.ca.issue("other.example", not_after=NOW + timedelta(days=200))
    store_certificate(lab, "other-site", other)  # to serve by SNI beside the site's own
    sign_in(page, lab)  # type: ignore[arg-type]
    go(page, "#/new-https", "New HTTPS site")
    stranger = lab.ca.issue("stranger.example")
    paste(page, "certificate", lab.site.cert_pem)
    paste(page, "private_key", stranger.key_pem())
    page.get_by_role("button", name="Create HTTPS site").click()
    key_error = page.locator('[data-field="private_key"] .field-error')
    expect(key_error).to_contain_text("does not belong to the certificate")
    assert len(lab.service.get("/v1/secrets")["secrets"]) == 2  # other-site's: nothing was sent
    paste(page, "certificate", "not a certificate")
    page.get_by_role("button", name="Create HTTPS site").click()
    expect(page.locator('[data-field="certificate"] .field-error')).to_contain_text("PEM")

    paste(page, "certificate", lab.site.cert_pem)
    paste(page, "private_key", lab.site.key_pem())
    expect(key_error).to_be_empty()  # checked again as it is edited
    summary = page.get_by_test_id("cert-summary")
    expect(summary).to_contain_text(f"{HOST}, www.{HOST}")
    expect(summary).to_contain_text("The key belongs to this certificate")
    expect(page.locator('[data-field="host"] input')).to_have_value(HOST)  # from the certificate
    page.locator('[data-field="name"] input').fill("shop")
    servers = page.locator(".member-row")
    servers.nth(0).locator('[data-field="address"] input').fill(lab.web1)
    page.get_by_role("button", name="Add another server").click()
    servers.nth(1).locator('[data-field="address"] input').fill(lab.web2)
    page.get_by_role("checkbox", name="other-site").check()
    shot(page, "https-site-flow")
    page.get_by_role("button", name="Create HTTPS site").click()
    serving = page.get_by_test_id("site-serving")
    expect(serving).to_contain_text(f"Serving: https://{HOST}/", timeout=60_000)
    shot(page, "https-site-serving")

    lb = lab.service.get(f"{V2}/loadbalancers")["loadbalancers"][0]
    vip = lb["vip_address"]
    body = lab.run(
        [
            "curl",
            "-s",
            "--max-time",
            "5",
            "--cacert",
            str(lab.ca_file),
            "--resolve",
            f"{HOST}:443:{vip}",
            f"https://{HOST}/",
        ]
    )
    assert body in ("WEB1", "WEB2")  # verified against the test CA, for this host name
    served = lab.run(
        [
            sys.executable,
            "-c",
            f"import ssl, sys; print(ssl.get_server_certificate(('{vip}', 443)))",
        ]
    )
    assert served.strip() == lab.site.cert_pem.decode().strip()
    by_sni = lab.run(
        [
            "sh",
            "-c",
            f"openssl s_client -connect {vip}:443 -servername other.example"
            " </dev/null 2>/dev/null | openssl x509 -noout -subject",
        ]
    )
    assert "CN=other.example" in by_sni.replace(" ", "")
    redirect = lab.run(
        [
            "curl",
            "-s",
            "-o",
            "/dev/null",
            "--max-time",
            "5",
            "-w",
            "%{http_code} %{redirect_url}",
            f"http://{vip}/cart?id=7",
        ]
    )
    assert redirect == f"301 https://{HOST}/cart?id=7"

    # its certificate is listed with the listener that serves it
    go(page, "#/certificates", "Certificates")
    listed = row(page.get_by_role("table", name="Certificates"), HOST)
    expect(listed).to_contain_text("listener shop-https")
    expect(listed).to_have_attribute("data-expiry", "VALID")
    expect(listed).to_contain_text((NOW + timedelta(days=200)).strftime("%Y-%m-%d"))

    # its listener's charts start with the last half hour the service kept
    https = next(
        li for li in lab.service.get(f"{V2}/listeners")["listeners"] if li["name"] == "shop-https"
    )
    backdate_samples(lab, lb["id"], https["id"])
    listed.get_by_role("link", name="listener shop-https").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Listener shop-https")
    expect(page.locator("svg.chart").first).to_have_attribute(
        "aria-label", re.compile(r"^Requests per second over the last (2[89]|3\d) min")
    )
    wait_for("the chart to draw the history", lambda: points(page) >= 25, timeout=10)
    expect(page.get_by_text("Response time", exact=True)).to_have_count(1)
    shot(page, "listener-traffic")


def test_the_apis_refusal_stops_the_flow_at_the_certificate_and_can_be_undone(
    page: Page,  # noqa: F811
    lab: HttpsLab,
) -> None:
    sign_in(page, lab)  # type: ignore[arg-type]
    page.evaluate("sessionStorage.setItem('lbaas.clientChecks', 'off')")  # the API's own answer
    go(page, "#/new-https", "New HTTPS site")
    page.locator('[data-field="cert_name"] input').fill("refused-cert")
    paste(page, "certificate", lab.site.cert_pem)
    paste(page, "private_key", lab.ca.issue("other.example").key_pem())
    page.locator('[data-field="name"] input').fill("refused")
    page.locator('[data-field="host"] input').fill(HOST)
    page.locator('.member-row [data-field="address"] input').fill(lab.web1)
    before = lab.service.get(f"{V2}/loadbalancers")["loadbalancers"]
    page.get_by_role("button", name="Create HTTPS site").click()
    expect(page.locator('[data-step="loadbalancer"]')).to_have_class("failed")
    expect(page.locator('[data-field="certificate"] .field-error')).to_contain_text(
        "does not match"
    )
    expect(page.locator(".outcome")).to_contain_text("The certificate stored before it is kept")
    assert lab.service.get(f"{V2}/loadbalancers")["loadbalancers"] == before  # nothing half made
    assert "refused-cert" in key_manager_names(lab)
    page.get_by_role("button", name="Remove what was created").click()
    expect(page.locator(".notice").last).to_contain_text("Removed what the flow had created")
    assert not [n for n in key_manager_names(lab) if n.startswith("refused-cert")]


def key_manager_names(lab: HttpsLab) -> list[str]:
    """The names of every container and secret."""
    containers = lab.service.get("/v1/containers?limit=100")["containers"]
    secrets = lab.service.get("/v1/secrets?limit=100")["secrets"]
    return [item["name"] for item in (*containers, *secrets)]


def test_certificate_expiring_soon_is_flagged(page: Page, lab: HttpsLab) -> None:  # noqa: F811
    soon = lab.ca.issue("soon.example", not_after=NOW + timedelta(days=12))
    sign_in(page, lab)  # type: ignore[arg-type]
    go(page, "#/certificates", "Certificates")
    page.get_by_role("button", name="Add certificate").click()
    dialog = page.locator("dialog[open]")
    paste(dialog, "certificate", soon.cert_pem)
    paste(dialog, "private_key", soon.key_pem())
    expect(dialog.get_by_test_id("cert-summary")).to_contain_text("in 11 days")
    dialog.locator('[data-field="cert_name"] input').fill("renew-me")
    dialog.get_by_role("button", name="Add certificate").click()
    expect(dialog).to_have_count(0)
    flagged = row(page.get_by_role("table", name="Certificates"), "renew-me")
    expect(flagged).to_have_attribute("data-expiry", "EXPIRING")
    expect(flagged).to_have_class(re.compile(r"\bexpiring\b"))
    expect(flagged.locator(".badge")).to_have_text("EXPIRING")
    expect(flagged).to_contain_text("not used")
    expect(page.get_by_test_id("expiry-alert")).to_contain_text("renew-me (in 11 days)")
    shot(page, "certificates")


def _v1_pool(lab: HttpsLab) -> dict[str, Any]:
    pool = lab.service.post(
        "/v2.0/lb/pools",
        {
            "pool": {
                "name": "charted",
                "subnet_id": lab.net.subnet_id,
                "protocol": "HTTP",
                "lb_method": "ROUND_ROBIN",
            }
        },
    )["pool"]
    return dict(pool)


def test_pool_chart_starts_with_the_last_hour(page: Page, lab: HttpsLab) -> None:  # noqa: F811
    pool = _v1_pool(lab)
    try:
        backdate_samples(lab, pool["id"], pool["id"])
        sign_in(page, lab)  # type: ignore[arg-type]
        go(page, f"#/pools/{pool['id']}", "Pool charted")
        expect(page.locator("svg.chart").first).to_have_attribute(
            "aria-label", re.compile(r"over the last (2[89]|3\d) min")
        )
        wait_for("the pool's chart to draw the history", lambda: points(page) >= 25, timeout=10)
        shot(page, "pool-traffic-history")
    finally:
        lab.service.delete(f"/v2.0/lb/pools/{pool['id']}")

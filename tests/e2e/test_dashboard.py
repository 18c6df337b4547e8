"""The dashboard in headless Chromium against a running service with real HAProxy.

One service (API, agent, two networks, lab web servers and a client) serves the whole module;
each test opens its own browser page, signs in and works through the pages the way a person
would: the guided flow, live status and traffic, editing and deleting, the API's refusals shown
in forms, the keyboard. Screenshots of the main pages go to test-output/screenshots/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from tests.e2e.dashboard_env import (
    CHROMIUM,
    CHROMIUM_ARGS,
    SCREENSHOTS,
    DashboardService,
    lab_on_a_service,
    skip_reason,
    wait_for,
)

pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or ""),
]

if skip_reason() is None:
    from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

WIDTH, HEIGHT = 1366, 900
TIMEOUT_MS = 30_000


class Lab:
    """The module's service with its networks and hosts."""

    def __init__(self, service: DashboardService) -> None:
        self.service = service
        self.private = service.network("p", "198.18.110.0/24")
        self.external = service.network("x", "198.18.120.0/24", external=True)
        self.web1 = self.private.address(11)
        self.web2 = self.private.address(12)
        service.host("web1", self.private, self.web1, "WEB1")
        service.host("web2", self.private, self.web2, "WEB2")
        service.host("client", self.external, self.external.address(201))
        service.wait_agent()


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with lab_on_a_service(Lab) as made:
        yield made


@pytest.fixture(scope="module")
def browser(lab: Lab) -> Iterator[Browser]:
    """Chromium, started in the browser's namespace (it stays there; the test comes back)."""
    with lab.service.browser_netns.entered():
        playwright = sync_playwright().start()
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def page(browser: Browser, lab: Lab) -> Iterator[Page]:
    """A fresh tab; afterwards: no script error or failed request, and no request to anything
    but this service (every asset is its own: it works offline)."""
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    errors: list[str] = []
    urls: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error"
           and "Failed to load resource" not in msg.text else None)
    tab.on("request", lambda request: urls.append(request.url))
    tab.on("requestfailed", lambda r: errors.append(f"{r.url}: {r.failure}")
           if r.failure != "net::ERR_ABORTED" else None)  # aborted: by a reload or close
    yield tab
    context.close()
    assert not errors, f"script errors: {errors}"
    foreign = [url for url in urls if not url.startswith(lab.service.url + "/")]
    assert not foreign, f"requests to other places than the service: {foreign}"


# -- helpers ----------------------------------------------------------------------------------


def shot(page: Page, name: str, *, full_page: bool = True) -> None:
    """A screenshot from the top of the page (a dialog: the window as it shows)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    if full_page:
        page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def sign_in(page: Page, lab: Lab, token: str | None = None) -> None:
    page.goto(f"{lab.service.url}/dashboard")
    page.locator("#token").fill(token or lab.service.token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pools")


def go(page: Page, hash_: str, title: str) -> None:
    page.evaluate("hash => { location.hash = hash; }", hash_)
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def dialog(page: Page) -> Locator:
    return page.locator("dialog[open]")


def field(scope: Locator, name: str) -> Locator:
    return scope.locator(f'[data-field="{name}"] :is(input, select)')


def field_error(scope: Locator, name: str) -> Locator:
    return scope.locator(f'[data-field="{name}"] .field-error')


def section(page: Page, legend: str) -> Locator:
    return page.locator("fieldset").filter(has=page.locator("legend", has_text=legend))


def row(scope: Page | Locator, text: str) -> Locator:
    return scope.locator("tbody tr").filter(has_text=text)


def status_of(scope: Locator) -> Locator:
    return scope.locator("[data-status]").first


def posts(page: Page) -> list[str]:
    """Record the URLs of POST and PUT requests the page makes from now on."""
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.method in ("POST", "PUT") else None)
    return sent


def client_checks(page: Page, on: bool) -> None:
    page.evaluate("on => on ? sessionStorage.removeItem('lbaas.clientChecks') "
                  ": sessionStorage.setItem('lbaas.clientChecks', 'off')", on)


def api_pool(lab: Lab, name: str, members: tuple[str, ...] = ()) -> dict[str, Any]:
    service = lab.service
    pool = service.post("/v2.0/lb/pools", {"pool": {
        "name": name, "protocol": "HTTP", "lb_method": "ROUND_ROBIN",
        "subnet_id": lab.private.subnet_id}})["pool"]
    for address in members:
        service.post("/v2.0/lb/members", {"member": {
            "pool_id": pool["id"], "address": address, "protocol_port": 80}})
    result: dict[str, Any] = pool
    return result


def pools_named(lab: Lab, name: str) -> list[dict[str, Any]]:
    return [p for p in lab.service.get("/v2.0/lb/pools")["pools"] if p["name"] == name]


def fill_flow(page: Page, lab: Lab, name: str, *, vip_address: str = "",
              floating: bool = True) -> None:
    """Fill the guided flow: two members, an HTTP monitor, a VIP, a new floating IP."""
    pool = section(page, "1. Pool")
    field(pool, "name").fill(name)
    field(pool, "subnet_id").select_option(lab.private.subnet_id)
    members = section(page, "2. Members")
    members.locator('[name="address"]').nth(0).fill(lab.web1)
    members.get_by_role("button", name="Add another member").click()
    members.locator('[name="address"]').nth(1).fill(lab.web2)
    monitor = section(page, "3. Health monitor")
    field(monitor, "delay").fill("1")
    field(monitor, "timeout").fill("1")
    field(monitor, "max_retries").fill("2")
    vip = section(page, "4. VIP")
    field(vip, "name").fill(f"{name}-vip")
    field(vip, "address").fill(vip_address)
    if floating:
        field(section(page, "5. Floating IP"), "choice").select_option(
            f"net:{lab.external.network_id}")


# -- the tests --------------------------------------------------------------------------------

# (request, attribute, form value): the browser's check against the API's converter and validator
RULE_CASES = [
    *[("post", "/v2.0/lb/health_monitors", "delay", x)
      for x in ("0", "1", "86400", "86401", "abc", " 5", "-1", "1.5", "1e3", "\u0665")],
    *[("post", "/v2.0/lb/health_monitors", "max_retries", x) for x in ("0", "1", "10", "11")],
    *[("post", "/v2.0/lb/health_monitors", "url_path", x)
      for x in ("/", "/health?full=1", "/a b", "health", "/#top", "/%20", '/"q"', "/" + "a" * 255)],
    *[("post", "/v2.0/lb/health_monitors", "expected_codes", x)
      for x in ("200", "200,202", "200, 202", "200-299", "20x", "2000", "200-", "200\n",
                "999", "200,600", "100-599", "099")],
    *[("post", "/v2.0/lb/health_monitors", "http_method", x) for x in ("GET", "get", "FOO")],
    *[("post", "/v2.0/lb/members", "address", x)
      for x in ("198.18.1.1", "198.18.1.256", "01.2.3.4", "::1", "1.2.3", "1.2.3.4 ")],
    *[("post", "/v2.0/lb/members", "protocol_port", x) for x in ("0", "1", "65535", "65536")],
    *[("post", "/v2.0/lb/members", "weight", x) for x in ("0", "256", "257", "-1")],
    *[("post", "/v2.0/lb/vips", "connection_limit", x)
      for x in ("-2", "-1", "0", "2147483647", "2147483648")],
    *[("post", "/v2.0/lb/pools", "lb_method", x) for x in ("ROUND_ROBIN", "round_robin", "RANDOM")],
    *[("post", "/v2.0/lb/pools", "name", x) for x in ("web", "x" * 255, "x" * 256, "a\tb")],
]


def test_form_checks_follow_the_api_rules(page: Page, lab: Lab) -> None:
    """Each value is refused by the browser exactly when the API's attribute table refuses it."""
    from lbaas.api.v1 import attributes as a
    from lbaas.api.v1 import validators as v

    resources = {"/v2.0/lb/health_monitors": a.HEALTH_MONITORS, "/v2.0/lb/members": a.MEMBERS,
                 "/v2.0/lb/vips": a.VIPS, "/v2.0/lb/pools": a.POOLS}

    def api_accepts(path: str, name: str, raw: str) -> bool:
        attr = resources[path].attrs[name]
        numeric = attr.convert is v.to_int and re.fullmatch(r" *[+-]?[0-9]{1,18} *", raw)
        sent: Any = int(raw) if numeric else raw  # as the form sends it
        try:
            value = attr.convert(sent) if attr.convert else sent
        except v.Invalid:
            return False
        return not (attr.validate and attr.validate(value))

    sign_in(page, lab)
    browser_says = page.evaluate("""async (cases) => {
        const rules = await import('/dashboard/static/rules.js');
        await rules.loadRules();
        return cases.map(([method, path, name, raw]) => {
            const schema = rules.requestRules(method, path);
            return rules.checkValue(rules.propAt(schema.props, name), raw, { required: true });
        });
    }""", [list(case) for case in RULE_CASES])
    disagree = [(case[2], case[3], reason) for case, reason in zip(RULE_CASES, browser_says,
                                                                   strict=True)
                if (reason is None) != api_accepts(case[1], case[2], case[3])]
    assert not disagree, f"the browser and the API disagree on: {disagree}"

    cidrs = ("198.18.1.0/24", "198.18.1.5/24", "198.18.1.0/31", "10.0.0.0/8", "198.18.1.0",
             "198.18.1.0/33", "1.2.3.0/0")
    cookies = ("JSESSIONID", "a b", "x" * 65, "", "a;b")
    bridges = ("br0", "brq123", "-br", "a" * 16, "br.0_x-y")
    mirrored = page.evaluate("""async ([cidrs, cookies, bridges]) => {
        const rules = await import('/dashboard/static/rules.js');
        return [...cidrs.map((x) => rules.checkCidr(x) === null),
            ...cookies.map((x) => rules.COOKIE_NAME.test(x)),
            ...bridges.map((x) => rules.BRIDGE_NAME.test(x))];
    }""", [cidrs, cookies, bridges])
    expected = ([v.cidr(x) is None for x in cidrs]
                + [v.session_persistence({"type": "APP_COOKIE", "cookie_name": x}) is None
                   for x in cookies]
                + [v.bridge_name(x) is None for x in bridges])
    assert mirrored == expected, list(zip([*cidrs, *cookies, *bridges], mirrored, expected,
                                          strict=True))


def test_sign_in_refuses_a_wrong_token_and_keeps_a_good_one_for_the_tab(
    page: Page, lab: Lab
) -> None:
    page.goto(f"{lab.service.url}/dashboard")
    shot(page, "sign-in")
    page.locator("#token").fill("not-a-token")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#token-error")).to_have_text("This token is not accepted by the API.")
    sign_in(page, lab)
    expect(page.locator("#who")).to_have_text("Signed in as admin")
    page.reload()  # the token is kept in sessionStorage: still signed in
    expect(page.get_by_role("heading", level=1)).to_have_text("Pools")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to lbaas")
    assert page.evaluate("sessionStorage.getItem('lbaas.token')") is None


def test_guided_flow_builds_a_load_balancer_that_goes_active_and_shows_health_and_traffic(
    page: Page, lab: Lab
) -> None:
    sign_in(page, lab)
    page.evaluate("window.sameDocument = true")  # gone if the page were ever reloaded
    page.locator("#nav").get_by_role("link", name="New load balancer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New load balancer")
    fill_flow(page, lab, "web")
    shot(page, "new-load-balancer")
    page.get_by_role("button", name="Create load balancer").click()

    steps = page.locator(".steps li")
    expect(steps).to_have_count(7)  # pool, 2 members, monitor, association, VIP, floating IP
    expect(page.locator(".steps li.done")).to_have_count(7)
    expect(page.locator(".outcome")).to_contain_text("Created.")
    expect(page.locator(".live-status")).to_contain_text("Pool")
    shot(page, "new-load-balancer-done")

    page.get_by_role("link", name="Open pool web").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pool web")
    overview = page.locator("section", has=page.get_by_role("heading", name="Overview"))
    expect(status_of(overview)).to_have_attribute("data-status", "ACTIVE")
    members = page.locator("section", has=page.get_by_role("heading", name="Members"))
    for address in (lab.web1, lab.web2):
        expect(status_of(row(members, f"{address}:80"))).to_have_attribute("data-status", "ACTIVE")
    vip_box = page.locator("section", has=page.get_by_role("heading", name="VIP"))
    expect(status_of(vip_box)).to_have_attribute("data-status", "ACTIVE")
    expect(overview).to_contain_text(f"dash-{lab.service.tag}")  # the hosting agent (admin)

    pool = pools_named(lab, "web")[0]
    vip = lab.service.get(f"/v2.0/lb/vips/{pool['vip_id']}")["vip"]
    fips = [f for f in lab.service.get("/v2.0/floatingips")["floatingips"]
            if f["port_id"] == vip["port_id"]]
    assert len(fips) == 1
    floating = fips[0]["floating_ip_address"]
    expect(vip_box).to_contain_text(floating)
    answers = {lab.service.curl("client", f"http://{floating}/") for _ in range(12)}
    assert answers == {"WEB1", "WEB2"}

    traffic = page.locator('[data-testid="traffic-now"]')
    expect(traffic).to_contain_text(re.compile(r"Totals: (1[2-9]|[2-9]\d|\d{3,}) connections"))
    expect(page.locator('polyline[data-series="new connections/s"]')).to_have_attribute(
        "points", re.compile(r",([0-9]|[0-9]{2}|1[0-3][0-9])\.\d"))  # a point above the axis
    shot(page, "pool")

    lab.service.stop_http("web2")
    web2 = row(members, f"{lab.web2}:80")
    expect(status_of(web2)).to_have_attribute("data-status", "INACTIVE")
    expect(status_of(row(members, f"{lab.web1}:80"))).to_have_attribute("data-status", "ACTIVE")
    expect(overview).to_contain_text("1 of 2 up")
    assert page.evaluate("window.sameDocument") is True, "the page was reloaded"
    assert {lab.service.curl("client", f"http://{floating}/") for _ in range(4)} == {"WEB1"}
    shot(page, "pool-member-down")

    go(page, "#/pools", "Pools")
    pools_row = row(page, "web")
    expect(pools_row).to_contain_text("1 of 2 up")
    expect(pools_row).to_contain_text(floating)
    shot(page, "pools")
    lab.service.start_http("web2")
    go(page, f"#/pools/{pool['id']}", "Pool web")
    expect(status_of(row(members, f"{lab.web2}:80"))).to_have_attribute("data-status", "ACTIVE")
    page.get_by_role("button", name="Delete pool").click()  # it has a VIP: the API refuses
    dialog(page).get_by_role("button", name="Delete").click()
    expect(dialog(page).locator(".form-error")).to_contain_text("PoolInUse")
    dialog(page).get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pool web")


def test_edit_and_delete_pool_member_monitor_and_vip(page: Page, lab: Lab) -> None:
    pool = api_pool(lab, "editable", (lab.web1,))
    monitor = lab.service.post("/v2.0/lb/health_monitors", {"health_monitor": {
        "type": "TCP", "delay": 3, "timeout": 2, "max_retries": 3}})["health_monitor"]
    sign_in(page, lab)

    # the monitor's side: associate it with the pool, and change its delay
    go(page, "#/health-monitors", "Health monitors")
    monitor_row = row(page, monitor["id"][:8])
    monitor_row.get_by_role("button", name=re.compile("^Associate")).click()
    field(dialog(page), "pool_id").select_option(pool["id"])
    dialog(page).get_by_role("button", name="Associate").click()
    expect(monitor_row.get_by_role("link", name="editable")).to_be_visible()
    monitor_row.get_by_role("button", name=re.compile("^Edit")).click()
    field(dialog(page), "delay").fill("7")
    dialog(page).get_by_role("button", name="Save").click()
    expect(monitor_row).to_contain_text("every 7s")
    shot(page, "health-monitors")

    # the pool's side: see it, then disassociate it
    go(page, f"#/pools/{pool['id']}", "Pool editable")
    monitors = page.locator("section", has=page.get_by_role("heading", name="Health monitors"))
    expect(row(monitors, "TCP every 7s")).to_be_visible()
    row(monitors, "TCP every 7s").get_by_role("button", name=re.compile("^Disassociate")).click()
    expect(monitors).to_contain_text("No health monitor")
    assert lab.service.get(f"/v2.0/lb/pools/{pool['id']}")["pool"]["health_monitors"] == []
    monitors.get_by_role("button", name="Create and associate").click()
    field(dialog(page), "type").select_option("PING")
    dialog(page).get_by_role("button", name="Create monitor").click()
    expect(row(monitors, "PING every 5s")).to_be_visible()

    # pool: rename
    page.get_by_role("button", name="Edit pool").click()
    field(dialog(page), "name").fill("edited")
    field(dialog(page), "lb_method").select_option("LEAST_CONNECTIONS")
    dialog(page).get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pool edited")
    expect(page.locator(".facts")).to_contain_text("LEAST_CONNECTIONS")

    # member: weight, then delete
    members = page.locator("section", has=page.get_by_role("heading", name="Members"))
    member_row = row(members, f"{lab.web1}:80")
    member_row.get_by_role("button", name=re.compile("^Edit")).click()
    field(dialog(page), "weight").fill("5")
    dialog(page).get_by_role("button", name="Save").click()
    expect(member_row.locator("td").nth(1)).to_have_text("5")

    # VIP: create from the pool, change its limit, delete it
    page.get_by_role("button", name="Create VIP").click()
    form = dialog(page)
    expect(field(form, "subnet_id")).to_have_value(lab.private.subnet_id)
    field(form, "name").fill("edited-vip")
    field(form, "protocol_port").fill("8080")
    form.get_by_role("button", name="Create VIP").click()
    vip_box = page.locator("section", has=page.get_by_role("heading", name="VIP"))
    expect(vip_box).to_contain_text(":8080")
    vip_box.get_by_role("button", name="Edit VIP").click()
    field(dialog(page), "connection_limit").fill("100")
    field(dialog(page), "sp_type").select_option("APP_COOKIE")
    field(dialog(page), "sp_cookie").fill("JSESSIONID")
    dialog(page).get_by_role("button", name="Save").click()
    expect(vip_box).to_contain_text("APP_COOKIE (JSESSIONID)")
    expect(vip_box).to_contain_text("100")
    go(page, "#/vips", "VIPs")
    expect(row(page, "edited-vip")).to_contain_text("APP_COOKIE")
    shot(page, "vips")
    row(page, "edited-vip").get_by_role("button", name=re.compile("^Delete")).click()
    dialog(page).get_by_role("button", name="Delete").click()
    expect(page.locator("tbody")).not_to_contain_text("edited-vip")

    go(page, "#/members", "Members")
    shot(page, "members")
    member_row = row(page, "edited")
    member_row.get_by_role("button", name=re.compile("^Delete")).click()
    dialog(page).get_by_role("button", name="Delete").click()
    expect(page.locator("tbody")).not_to_contain_text("edited")

    go(page, "#/health-monitors", "Health monitors")
    row(page, monitor["id"][:8]).get_by_role("button", name=re.compile("^Delete")).click()
    dialog(page).get_by_role("button", name="Delete").click()
    expect(row(page, monitor["id"][:8])).to_have_count(0)

    go(page, "#/pools", "Pools")
    row(page, "edited").get_by_role("button", name=re.compile("^Delete")).click()
    dialog(page).get_by_role("button", name="Delete").click()
    expect(row(page, "edited")).to_have_count(0)
    assert pools_named(lab, "edited") == []


def test_forms_check_like_the_api_and_show_its_refusals_at_the_field(
    page: Page, lab: Lab
) -> None:
    pool = api_pool(lab, "checked", (lab.web1,))
    sign_in(page, lab)
    go(page, f"#/pools/{pool['id']}", "Pool checked")
    sent = posts(page)

    # a duplicate member: refused in the browser, nothing sent
    page.get_by_role("button", name="Add member").click()
    form = dialog(page)
    field(form, "address").fill(lab.web1)
    field(form, "protocol_port").fill("80")
    field(form, "weight").fill("300")
    form.get_by_role("button", name="Add member").click()
    expect(field_error(form, "address")).to_contain_text("already a member")
    expect(field_error(form, "weight")).to_have_text("Must be no more than 256.")
    expect(field(form, "weight")).to_have_attribute("aria-invalid", "true")
    shot(page, "form-client-error", full_page=False)
    assert sent == []

    # the same with the browser's checks off: the API refuses, its answer is at the field
    client_checks(page, on=False)
    field(form, "weight").fill("2")
    form.get_by_role("button", name="Add member").click()
    expect(field_error(form, "address")).to_contain_text(
        f"Member with address {lab.web1} and port 80 already present in pool")
    expect(form.locator(".form-error")).to_contain_text("HTTP 409 MemberExists")
    shot(page, "form-api-error", full_page=False)
    assert len(sent) == 1
    form.get_by_role("button", name="Cancel").click()

    # delay < timeout: the API's own rule, then the browser's
    go(page, "#/health-monitors", "Health monitors")
    page.get_by_role("button", name="Create health monitor").click()
    form = dialog(page)
    field(form, "delay").fill("1")
    field(form, "timeout").fill("5")
    form.get_by_role("button", name="Create monitor").click()
    expect(field_error(form, "timeout")).to_have_text(
        "Delay must be greater than or equal to timeout")
    assert len(sent) == 2
    client_checks(page, on=True)
    field(form, "url_path").fill("no-slash")
    field(form, "expected_codes").fill("20x")
    form.get_by_role("button", name="Create monitor").click()
    expect(field_error(form, "timeout")).to_contain_text("no more than the delay")
    expect(field_error(form, "url_path")).to_contain_text("Must start with /")
    expect(field_error(form, "expected_codes")).to_contain_text("a range (200-299)")
    field(form, "type").select_option("TCP")  # the HTTP fields go, and their errors with them
    field(form, "timeout").fill("1")
    form.get_by_role("button", name="Create monitor").click()
    expect(dialog(page)).to_have_count(0)
    assert len(sent) == 3
    expect(row(page, "TCP")).to_contain_text("every 1s")


def test_guided_flow_stops_at_the_failing_step_then_continues_or_removes_what_it_made(
    page: Page, lab: Lab
) -> None:
    def monitor_count() -> int:
        return len(lab.service.get("/v2.0/lb/health_monitors")["health_monitors"])

    monitors_before = monitor_count()
    sign_in(page, lab)
    go(page, "#/new", "New load balancer")
    fill_flow(page, lab, "stopper", vip_address=lab.private.gateway, floating=False)
    page.get_by_role("button", name="Create load balancer").click()
    failed = page.locator(".steps li.failed")
    expect(failed).to_contain_text("Create VIP on port 80")
    expect(failed).to_contain_text("IpAddressInUse")
    vip = section(page, "4. VIP")
    expect(field_error(vip, "address")).to_contain_text(f"{lab.private.gateway} is in use")
    expect(page.locator(".outcome")).to_contain_text(
        "Stopped at “Create VIP on port 80” (HTTP 409 IpAddressInUse)")
    expect(page.locator(".steps li.done")).to_have_count(5)
    expect(field(section(page, "1. Pool"), "name")).to_be_disabled()
    shot(page, "new-load-balancer-error")

    page.get_by_role("button", name="Remove what was created").click()
    expect(field(section(page, "1. Pool"), "name")).to_be_enabled()
    expect(field(section(page, "1. Pool"), "name")).to_have_value("")
    wait_for("the flow's pool to be removed", lambda: not pools_named(lab, "stopper"))
    assert monitor_count() == monitors_before, "the flow's monitor was not removed"

    fill_flow(page, lab, "resumed", vip_address=lab.private.gateway, floating=False)
    page.get_by_role("button", name="Create load balancer").click()
    expect(page.locator(".steps li.failed")).to_contain_text("Create VIP")
    field(vip, "address").fill("")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".steps li.done")).to_have_count(6)
    expect(page.locator(".outcome")).to_contain_text("Created.")
    assert len(pools_named(lab, "resumed")) == 1
    members = lab.service.get("/v2.0/lb/members")["members"]
    assert len([m for m in members if m["pool_id"] == pools_named(lab, "resumed")[0]["id"]]) == 2


def test_networks_subnets_floating_ips_and_agents_pages(page: Page, lab: Lab) -> None:
    sign_in(page, lab)
    go(page, "#/networks", "Networks and subnets")
    page.get_by_role("button", name="Create network").click()
    field(dialog(page), "name").fill("scratch")
    dialog(page).get_by_role("button", name="Create network").click()
    networks = page.locator("section", has=page.get_by_role("heading", name="Networks", exact=True))
    expect(row(networks, "scratch")).to_be_visible()
    row(networks, "scratch").get_by_role("button", name=re.compile("^Add a subnet")).click()
    form = dialog(page)
    field(form, "cidr").fill("198.18.130.5/24")
    form.get_by_role("button", name="Create subnet").click()
    expect(field_error(form, "cidr")).to_have_text("Not a network address: 198.18.130.0/24 is.")
    field(form, "cidr").fill("198.18.130.0/24")
    field(form, "pool_range").fill("198.18.130.10-198.18.130.20")
    form.get_by_role("button", name="Create subnet").click()
    subnets = page.locator("section", has=page.get_by_role("heading", name="Subnets"))
    expect(row(subnets, "198.18.130.0/24")).to_contain_text("198.18.130.10\u2013198.18.130.20")
    row(subnets, "198.18.130.0/24").get_by_role("button", name=re.compile("^Edit")).click()
    field(dialog(page), "name").fill("scratch-subnet")
    dialog(page).get_by_role("button", name="Save").click()
    expect(row(subnets, "198.18.130.0/24")).to_contain_text("scratch-subnet")
    shot(page, "networks")
    row(subnets, "scratch-subnet").get_by_role("button", name=re.compile("^Delete")).click()
    dialog(page).get_by_role("button", name="Delete").click()
    expect(row(subnets, "scratch-subnet")).to_have_count(0)
    row(networks, "scratch").get_by_role("button", name=re.compile("^Edit")).click()
    field(dialog(page), "name").fill("scratched")
    dialog(page).get_by_role("button", name="Save").click()
    row(networks, "scratched").get_by_role("button", name=re.compile("^Delete")).click()
    dialog(page).get_by_role("button", name="Delete").click()
    expect(row(networks, "scratch")).to_have_count(0)

    # floating IPs: make one, associate it with a VIP, disassociate, release
    pool = api_pool(lab, "fip-pool")
    vip = lab.service.post("/v2.0/lb/vips", {"vip": {
        "name": "fip-vip", "protocol": "HTTP", "protocol_port": 80,
        "subnet_id": lab.private.subnet_id, "pool_id": pool["id"]}})["vip"]
    go(page, "#/floating-ips", "Floating IPs")
    page.get_by_role("button", name="Create floating IP").click()
    field(dialog(page), "floating_network_id").select_option(lab.external.network_id)
    field(dialog(page), "floating_ip_address").fill("198.18.120.77")
    dialog(page).get_by_role("button", name="Create floating IP").click()
    fip_row = row(page, "198.18.120.77")
    expect(status_of(fip_row)).to_have_attribute("data-status", "DOWN")
    fip_row.get_by_role("button", name=re.compile("^Associate")).click()
    field(dialog(page), "port_id").select_option(vip["port_id"])
    dialog(page).get_by_role("button", name="Associate").click()
    expect(fip_row).to_contain_text("VIP fip-vip")
    expect(status_of(fip_row)).to_have_attribute("data-status", "ACTIVE")
    shot(page, "floating-ips")
    fip_row.get_by_role("button", name=re.compile("^Disassociate")).click()
    expect(fip_row).to_contain_text("nothing")
    fip_row.get_by_role("button", name=re.compile("^Release")).click()
    dialog(page).get_by_role("button", name="Release").click()
    expect(fip_row).to_have_count(0)
    lab.service.delete(f"/v2.0/lb/vips/{vip['id']}")
    lab.service.delete(f"/v2.0/lb/pools/{pool['id']}")

    # agents (admin): ours is alive; the API refuses to delete a live agent, and says why
    go(page, "#/agents", "Agents")
    agent_row = row(page, f"dash-{lab.service.tag}")
    expect(status_of(agent_row)).to_have_attribute("data-status", "ALIVE")
    agent_row.get_by_role("button", name=re.compile("^Edit")).click()
    field(dialog(page), "description").fill("the dashboard test's agent")
    dialog(page).get_by_role("button", name="Save").click()
    expect(agent_row).to_contain_text("the dashboard test's agent")
    shot(page, "agents")
    agent_row.get_by_role("button", name=re.compile("^Delete")).click()
    dialog(page).get_by_role("button", name="Delete").click()
    expect(dialog(page).locator(".form-error")).to_contain_text("is alive")  # kept open, says why
    dialog(page).get_by_role("button", name="Cancel").click()
    expect(agent_row).to_be_visible()


def test_keyboard_use_and_laptop_width(page: Page, lab: Lab) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, lab)
    page.reload()  # a fresh load leaves focus at the top of the document
    expect(page.get_by_role("heading", level=1)).to_have_text("Pools")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to content"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "the focused element shows no outline"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    assert page.evaluate("location.hash") == "#/pools"

    for _ in range(10):  # from the top of the content to the "Create pool" button
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Create pool":
            break
    else:
        pytest.fail("Create pool cannot be reached with Tab")
    page.keyboard.press("Enter")
    expect(dialog(page)).to_be_visible()
    assert page.evaluate("document.activeElement.name") == "name"
    order = []
    for _ in range(8):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.name || "
                                   "document.activeElement.textContent"))
    assert order[:6] == ["description", "subnet_id", "protocol", "lb_method", "admin_state_up",
                         "Cancel"]
    page.keyboard.press("Escape")
    expect(dialog(page)).to_have_count(0)
    assert page.evaluate("document.activeElement.textContent") == "Create pool"

    for hash_, title in [("#/members", "Members"), ("#/health-monitors", "Health monitors"),
                         ("#/vips", "VIPs"), ("#/floating-ips", "Floating IPs"),
                         ("#/networks", "Networks and subnets"), ("#/agents", "Agents"),
                         ("#/new", "New load balancer"), ("#/pools", "Pools")]:
        go(page, hash_, title)
        assert page.evaluate("document.activeElement.tagName") == "H1"
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 1280, f"{title} is {wide} px wide at 1280 px"
        expect(page.locator("#nav a[aria-current=page]")).to_have_count(1)


def test_a_project_token_sees_its_own_objects_and_no_admin_pages(page: Page, lab: Lab) -> None:
    made = lab.service.post("/v2.0/tokens", {"token": {
        "project_id": f"acme-{lab.service.tag}", "roles": ["member"]}})["token"]
    sign_in(page, lab, made["token"])
    expect(page.locator("#who")).to_have_text("Signed in with a project token")
    expect(page.locator("#nav").get_by_role("link", name="Agents")).to_be_hidden()
    expect(page.locator("tbody")).to_contain_text("No pools yet")
    page.evaluate("location.hash = '#/agents'")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pools")
    go(page, "#/networks", "Networks and subnets")
    page.get_by_role("button", name="Create network").click()
    assert dialog(page).locator('[name="lbaas:bridge"]').count() == 0  # admin-only attribute
    dialog(page).get_by_role("button", name="Cancel").click()

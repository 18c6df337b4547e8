"""The dashboard's v2 pages in headless Chromium against a running service with real HAProxy.

A v2 load balancer is made through the API (a listener on port 80 whose default pool serves
WEB1, and two more pools, api and static); in the browser a user adds two L7 policies and
reorders them, and a lab client's requests through the VIP follow; a member's lab server stops
and its row turns red; a refusal of the API shows in the form. The heading takes focus after
each navigation, with a visible box only for keyboard users. Networks 198.18.144.0/24 (members,
client) and 198.18.145.0/24 (floating IPs). Screenshots go to test-output/screenshots/v2-*.png.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from tests.e2e import test_dashboard as base
from tests.e2e.dashboard_env import DashboardService, lab_on_a_service, skip_reason, wait_for
from tests.e2e.test_dashboard import dialog, field, go, row, shot, sign_in, status_of

pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or ""),
]

if skip_reason() is None:
    from playwright.sync_api import Locator, Page, expect

V2 = "/v2.0/lbaas"
browser = base.browser  # the module's Chromium, and a fresh checked tab per test
page = base.page


class Lab:
    """The module's service: a private network with three web servers and a client, an
    external one for floating IPs, and one v2 load balancer (`lb`)."""

    def __init__(self, service: DashboardService) -> None:
        self.service = service
        self.private = service.network("p", "198.18.144.0/24")
        self.external = service.network("x", "198.18.145.0/24", external=True)
        self.servers = {
            "WEB1": self.private.address(11),
            "API": self.private.address(12),
            "STATIC": self.private.address(13),
        }
        for text, address in self.servers.items():
            service.host(text.lower(), self.private, address, text)
        service.host("client", self.private, self.private.address(201))
        service.wait_agent()
        self.lb = self.make_lb()

    def make_lb(self) -> dict[str, Any]:
        def pool(name: str, text: str, monitor: bool = False) -> dict[str, Any]:
            body: dict[str, Any] = {
                "name": name,
                "protocol": "HTTP",
                "lb_algorithm": "ROUND_ROBIN",
                "members": [{"address": self.servers[text], "protocol_port": 80}],
            }
            if monitor:
                body["healthmonitor"] = {
                    "type": "HTTP",
                    "delay": 1,
                    "timeout": 1,
                    "max_retries": 1,
                    "max_retries_down": 1,
                }
            return body

        lb = self.service.post(
            f"{V2}/loadbalancers",
            {
                "loadbalancer": {
                    "name": "shop",
                    "vip_subnet_id": self.private.subnet_id,
                    "listeners": [
                        {
                            "name": "front",
                            "protocol": "HTTP",
                            "protocol_port": 80,
                            "default_pool": pool("web", "WEB1", monitor=True),
                        }
                    ],
                    "pools": [pool("api", "API"), pool("static", "STATIC")],
                }
            },
        )["loadbalancer"]
        self.wait_active(lb["id"])
        self.service.post(
            "/v2.0/floatingips",
            {
                "floatingip": {
                    "floating_network_id": self.external.network_id,
                    "port_id": lb["vip_port_id"],
                }
            },
        )
        result: dict[str, Any] = lb
        return result

    def wait_active(self, lb_id: str, timeout: float = 30) -> None:
        def active() -> bool:
            lb = self.service.get(f"{V2}/loadbalancers/{lb_id}")["loadbalancer"]
            return bool(lb["provisioning_status"] == "ACTIVE")

        wait_for("the load balancer to be ACTIVE", active, timeout=timeout)

    def ask(self, host_name: str) -> str:
        """What a request through the VIP with this Host header answers."""
        argv = [
            "curl",
            "-s",
            "--max-time",
            "3",
            "-H",
            f"Host: {host_name}",
            f"http://{self.lb['vip_address']}/",
        ]
        done = self.service.plumb(lambda: self.service.box.hosts.exec("client", argv, timeout=10))
        return str(done.stdout).strip() if done.returncode == 0 else f"curl exit {done.returncode}"


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with lab_on_a_service(Lab) as made:
        yield made


def open_lb(page: Page, lab: Lab) -> None:
    sign_in(page, lab)  # type: ignore[arg-type]  # only its service is used
    page.locator("#nav").get_by_role("link", name="Load balancers (v2)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Load balancers")
    expect(status_of(row(page, "shop"))).to_have_attribute("data-status", "ACTIVE")
    expect(row(page, "shop")).to_contain_text("198.18.145.")  # its floating IP
    page.get_by_role("link", name="shop").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Load balancer shop")
    expect(lb_status(page)).to_have_attribute("data-status", "ACTIVE")


def lb_status(page: Page) -> Locator:
    overview = page.locator("section", has=page.get_by_role("heading", name="Overview"))
    return status_of(overview)


def policies(page: Page) -> Locator:
    return page.locator("li.policy")


def add_policy(page: Page, compare: str, value: str, pool: str, screenshot: str = "") -> None:
    listener = page.locator("[data-listener]").first
    listener.get_by_role("button", name="Add L7 policy").click()
    form = dialog(page)
    field(form, "rule_type").select_option("HOST_NAME")
    field(form, "rule_compare_type").select_option(compare)
    field(form, "rule_value").fill(value)
    field(form, "action").select_option("REDIRECT_TO_POOL")
    field(form, "redirect_pool_id").select_option(label=f"{pool} (HTTP)")
    expect(form.locator('[data-testid="policy-preview"]')).to_have_text(
        f"Requests whose host name {compare.lower().replace('_', ' ')} {value} go to pool {pool}."
    )
    if screenshot:
        shot(page, screenshot, full_page=False)
    form.get_by_role("button", name="Add policy").click()
    expect(dialog(page)).to_have_count(0)


def settled(page: Page, count: int) -> None:
    """`count` policies shown, each and the load balancer ACTIVE again (the agent applied it)."""
    expect(policies(page)).to_have_count(count)
    for index in range(count):
        expect(status_of(policies(page).nth(index))).to_have_attribute("data-status", "ACTIVE")
    expect(lb_status(page)).to_have_attribute("data-status", "ACTIVE")


def test_l7_policies_added_and_reordered_in_the_browser_change_routing(
    page: Page, lab: Lab
) -> None:
    open_lb(page, lab)
    shot(page, "v2-load-balancer")
    assert lab.ask("static.example") == "WEB1"  # no policy yet: the default pool

    add_policy(page, "ENDS_WITH", ".example", "api", screenshot="v2-l7-policy-form")
    settled(page, 1)
    wait_for("requests for *.example to go to pool api", lambda: lab.ask("static.example") == "API")
    add_policy(page, "STARTS_WITH", "static.", "static")
    settled(page, 2)
    expect(policies(page).nth(1)).to_contain_text(
        "Requests whose host name starts with static. go to pool static."
    )
    assert lab.ask("static.example") == "API"  # the first policy that matches wins
    assert lab.ask("static.other") == "STATIC"
    assert lab.ask("www.other") == "WEB1"
    shot(page, "v2-l7-policies")

    policies(page).nth(1).get_by_role("button", name=re.compile(r"^Move policy .* up$")).click()
    expect(policies(page).nth(0)).to_contain_text("starts with static.")
    settled(page, 2)
    wait_for(
        "requests for static.example to go to pool static after the move",
        lambda: lab.ask("static.example") == "STATIC",
    )
    assert lab.ask("www.example") == "API"
    focused = page.evaluate(
        "[document.activeElement.textContent, document.activeElement.ariaDisabled]"
    )
    assert focused == ["Move up", "true"]  # focus stays on the button, now at the top

    first = policies(page).nth(0)  # its rule edited: static. -> img.
    first.locator("ul.rules").get_by_role("button", name=re.compile("^Edit rule")).click()
    field(dialog(page), "value").fill("img.")
    dialog(page).get_by_role("button", name="Save").click()
    expect(first).to_contain_text("Requests whose host name starts with img. go to pool static.")
    settled(page, 2)
    wait_for(
        "requests for static.example to go to pool api again",
        lambda: lab.ask("static.example") == "API",
    )
    assert lab.ask("img.other") == "STATIC"

    policies(page).nth(1).get_by_role("button", name=re.compile("^Delete policy")).click()
    dialog(page).get_by_role("button", name="Delete").click()
    settled(page, 1)
    wait_for(
        "requests for *.example to go to the default pool", lambda: lab.ask("www.example") == "WEB1"
    )


def test_member_turns_red_when_its_server_stops(page: Page, lab: Lab) -> None:
    open_lb(page, lab)
    web = page.locator("[data-pool]").filter(has=page.get_by_role("heading", name="Pool web"))
    member = row(web, f"{lab.servers['WEB1']}:80")
    expect(status_of(member)).to_have_attribute("data-status", "ONLINE")
    lab.service.stop_http("web1")
    try:
        expect(status_of(member)).to_have_attribute("data-status", "ERROR")
        red = status_of(member).evaluate("el => getComputedStyle(el).color")
        assert red == "rgb(164, 22, 26)", red  # --bad
        shot(page, "v2-member-down")
    finally:
        lab.service.start_http("web1")
    expect(status_of(member)).to_have_attribute("data-status", "ONLINE")


def test_forms_edit_in_place_and_show_the_apis_refusal(page: Page, lab: Lab) -> None:
    open_lb(page, lab)
    expect(page.locator(".lb-page")).to_contain_text(
        lab.service.get("/v2.0/floatingips")["floatingips"][0]["floating_ip_address"]
    )
    page.get_by_role("button", name="Add listener").click()
    form = dialog(page)
    field(form, "protocol").select_option("HTTP")
    field(form, "protocol_port").fill("80")  # taken by the listener "front"
    form.get_by_role("button", name="Add listener").click()
    expect(form.locator('[data-field="protocol_port"] .field-error')).to_contain_text(
        "Port 80 of load balancer"
    )
    expect(form.locator(".form-error")).to_contain_text("HTTP 409")
    shot(page, "v2-form-refusal", full_page=False)
    form.get_by_role("button", name="Cancel").click()

    web = page.locator("[data-pool]").filter(has=page.get_by_role("heading", name="Pool web"))
    web.locator(".monitor").get_by_role("button", name="Edit").click()
    field(dialog(page), "delay").fill("2")
    dialog(page).get_by_role("button", name="Save").click()
    expect(web.locator(".monitor")).to_contain_text("every 2s")
    monitor = lab.service.get(f"{V2}/healthmonitors")["healthmonitors"][0]
    assert monitor["delay"] == 2
    lab.wait_active(lab.lb["id"])

    page.set_viewport_size({"width": 1280, "height": 800})  # a laptop: no sideways scrolling
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= 1280, f"the load balancer page is {wide} px wide at 1280 px"


def test_heading_focus_box_shows_for_keyboard_users_only(page: Page, lab: Lab) -> None:
    sign_in(page, lab)  # type: ignore[arg-type]
    outline = "el => getComputedStyle(el).outlineStyle"
    page.locator("#nav").get_by_role("link", name="Load balancers (v2)").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Load balancers")
    expect(heading).to_be_focused()
    assert heading.evaluate(outline) == "none"  # a mouse click: no box
    shot(page, "v2-load-balancers")

    page.locator("#nav").get_by_role("link", name="Pools").focus()
    page.keyboard.press("Enter")
    expect(heading).to_have_text("Pools")
    expect(heading).to_be_focused()
    assert heading.evaluate(outline) != "none"  # the keyboard: the box shows where focus is

    # A clicked link that does not take focus (Safari; Firefox on macOS): the keyboard-focused
    # heading's box must not carry over to the next heading.
    page.evaluate(
        "document.getElementById('nav').addEventListener('mousedown', (e) => e.preventDefault())"
    )
    page.locator("#nav").get_by_role("link", name="Load balancers (v2)").click()
    expect(heading).to_have_text("Load balancers")
    expect(heading).to_be_focused()
    assert heading.evaluate(outline) == "none"
    page.keyboard.press("Shift+Tab")  # back into the page by keyboard: boxes show again
    assert page.evaluate(f"({outline})(document.activeElement)") != "none"


def test_a_pair_shows_which_node_is_master(page: Page, lab: Lab) -> None:
    if shutil.which("keepalived") is None:
        pytest.skip("a pair needs keepalived (apt-get install keepalived)")
    service = lab.service
    second = service.add_agent("b")
    profile = service.post(
        f"{V2}/flavorprofiles",
        {
            "flavorprofile": {
                "name": "pair",
                "provider_name": "haproxy",
                "flavor_data": '{"loadbalancer_topology": "ACTIVE_STANDBY"}',
            }
        },
    )["flavorprofile"]
    flavor = service.post(
        f"{V2}/flavors", {"flavor": {"name": "pair", "flavor_profile_id": profile["id"]}}
    )["flavor"]
    lb = service.post(
        f"{V2}/loadbalancers",
        {
            "loadbalancer": {
                "name": "pair",
                "vip_subnet_id": lab.private.subnet_id,
                "flavor_id": flavor["id"],
                "listeners": [
                    {
                        "protocol": "HTTP",
                        "protocol_port": 80,
                        "default_pool": {
                            "name": "pairweb",
                            "protocol": "HTTP",
                            "lb_algorithm": "ROUND_ROBIN",
                            "members": [{"address": lab.servers["WEB1"], "protocol_port": 80}],
                        },
                    }
                ],
            }
        },
    )
    lb = lb["loadbalancer"]
    lab.wait_active(lb["id"], timeout=60)

    def roles() -> dict[str, str]:
        amphorae = service.get(f"/v2.0/octavia/amphorae?loadbalancer_id={lb['id']}")
        found = {a["role"]: a["host"] for a in amphorae["amphorae"]}
        return found if set(found) == {"MASTER", "BACKUP"} else {}

    pair = wait_for("the pair to report a MASTER and a BACKUP", roles, timeout=30)
    assert set(pair.values()) == {f"dash-{service.tag}", second}

    sign_in(page, lab)  # type: ignore[arg-type]
    go(page, f"#/loadbalancers/{lb['id']}", "Load balancer pair")
    nodes = page.locator("section", has=page.get_by_role("heading", name="Nodes"))
    expect(nodes.locator('[data-role="MASTER"]')).to_have_attribute("data-node", pair["MASTER"])
    expect(nodes.locator('[data-role="BACKUP"]')).to_have_attribute("data-node", pair["BACKUP"])
    expect(nodes).to_contain_text("Active-standby pair")
    shot(page, "v2-pair")

    # The MASTER's VIP leg cut: the BACKUP takes over, and the page shows it without a reload.
    leg = ["ip", "-n", service.namespace(pair["MASTER"], lb["id"]), "link", "set", "vip0"]
    subprocess.run([*leg, "down"], check=True)
    try:
        expect(nodes.locator('[data-role="MASTER"]')).to_have_attribute("data-node", pair["BACKUP"])
    finally:
        subprocess.run([*leg, "up"], check=True)
    expect(nodes.locator('[data-role="BACKUP"]')).to_have_attribute("data-node", pair["MASTER"])

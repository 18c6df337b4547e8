"""Octavia's own test suite (tempest + octavia-tempest-plugin, pinned) live against lbaas.

One `Conformance` run: a real Keystone (tests/keystone_lab.py) in a scratch directory,
`lbaas up --auth keystone` on a free port with the netns driver, lbaas registered in Keystone's
catalog (load-balancer, network and key-manager), a tempest workspace whose tempest.conf is
written from what lbaas answers (providers, capabilities), `tempest run`, and the counts.
Everything it starts is stopped by pid; `lbaas down --purge` removes what lbaas made.

Used by `./run conformance` (tests/conformance/run.py) and by the CI part
(tests/conformance/test_tempest.py).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import httpx

from tests.keystone_lab import REGION, ROOT, Keystone, free_port

RbacType = Literal["keystone_default_roles", "advanced"]
# API + CRUD scenarios (octavia-tempest.md §1.2); UDP and SCTP are not HAProxy's, and the two
# *_with_compute_flavor tests create a Nova flavor.
SELECTION = (r"^octavia_tempest_plugin\.tests\.(api\.v2|scenario\.v2\.test_(load_balancer"
             r"|listener|pool|member|healthmonitor|l7policy|l7rule))\.")
EXCLUDED = r"(?i)(udp|sctp)|_with_compute_flavor"
# Every CIDR tempest may create a subnet with, in 198.18.0.0/15 (only there may we plug).
CIDRS = {
    "vip_subnet_cidr": "198.18.101.0/24",
    "member_1_ipv4_subnet_cidr": "198.18.102.0/24",
    "member_2_ipv4_subnet_cidr": "198.18.103.0/24",
}
LBAAS = Path(sys.executable).with_name("lbaas")


def tempest_venv() -> Path:
    return Path(os.environ.get("LBAAS_TEMPEST_VENV", ROOT / ".venv-tempest"))


def wait_for(what: str, ready: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not ready():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} within {timeout} s")
        time.sleep(0.1)


@dataclass
class LbaasUp:
    """`lbaas up --auth keystone` in its own data directory, its service user Keystone's admin."""

    data_dir: Path
    keystone: Keystone
    roles: Literal["default", "advanced"]
    port: int = field(default_factory=free_port)
    network_driver: str = "netns"
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("LBAAS_")}
        return {**clean, "LBAAS_AUTH": "keystone",
                "LBAAS_KEYSTONE_AUTH_URL": self.keystone.url,
                "LBAAS_KEYSTONE_USERNAME": "admin",
                "LBAAS_KEYSTONE_PASSWORD": self.keystone.admin_password,
                "LBAAS_KEYSTONE_PROJECT_NAME": "admin",
                "LBAAS_KEYSTONE_ROLES": self.roles,
                # Octavia's default quotas are unlimited; lbaas's pool quota (10) is Neutron
                # LBaaS v1's, and the member tests make one pool per protocol and algorithm.
                "LBAAS_QUOTA_POOL": "-1",
                "LBAAS_RUNTIME_DIR": str(self.data_dir / "run")}

    def start(self, timeout: float = 60.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with (self.data_dir / "up.out").open("ab") as out:
            self.process = subprocess.Popen(
                [str(LBAAS), "up", "--auth", "keystone", "--network-driver", self.network_driver,
                 "--listen", f"127.0.0.1:{self.port}", "--data-dir", str(self.data_dir)],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=self.env(),
                start_new_session=True)

        def healthy() -> bool:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"lbaas up exited: see {self.data_dir}/up.out")
            try:
                return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for("lbaas up to answer /healthz", healthy, timeout)

    def stop_and_purge(self) -> None:
        """SIGTERM by pid (SIGKILL if it lingers), then `lbaas down --purge` for its data dir."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        kept = self.data_dir.parent / "lbaas-logs"
        kept.mkdir(exist_ok=True)
        for name in ("up.out", "lbaas.log"):
            if (self.data_dir / name).exists():
                shutil.copy(self.data_dir / name, kept / name)
        subprocess.run([str(LBAAS), "down", "--purge", "--data-dir", str(self.data_dir)],
                       env=self.env(), capture_output=True, check=False, timeout=120)


def register_in_catalog(keystone: Keystone, url: str) -> None:
    """lbaas as the load-balancer, network and key-manager services of RegionOne, and the
    load-balancer_* roles (the `advanced` RBAC tests assign them by name): by
    `lbaas keystone register`, as an operator would, with Keystone's admin in OS_*."""
    env = {**os.environ, "OS_AUTH_URL": keystone.url, "OS_USERNAME": "admin",
           "OS_PASSWORD": keystone.admin_password, "OS_PROJECT_NAME": "admin",
           "OS_USER_DOMAIN_NAME": "Default", "OS_PROJECT_DOMAIN_NAME": "Default"}
    done = subprocess.run(
        [str(LBAAS), "keystone", "register", "--public-url", url, "--region", REGION,
         "--with-network", "--with-key-manager", "--with-octavia-roles"],
        env=env, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"lbaas keystone register failed: {done.stdout}{done.stderr}")


def _dict_option(pairs: dict[str, str]) -> str:
    """An oslo.config DictOpt value; a comma in a description would split it."""
    for key, value in pairs.items():
        if "," in key + value or ":" in key:
            raise ValueError(f"cannot write {key!r}: {value!r} as a DictOpt")
    return ",".join(f"{key}:{value}" for key, value in pairs.items())


@dataclass(frozen=True)
class ServiceFacts:
    """What tempest.conf must match exactly: lbaas's providers and capabilities."""

    providers: dict[str, str]
    flavor_capabilities: dict[str, str]
    zone_capabilities: dict[str, str]


def read_service_facts(url: str, token: str, provider: str) -> ServiceFacts:
    def get(path: str, key: str) -> dict[str, str]:
        answer = httpx.get(f"{url}/v2.0/lbaas/{path}", headers={"X-Auth-Token": token},
                           timeout=30)
        answer.raise_for_status()
        return {item["name"]: item["description"] for item in answer.json()[key]}

    return ServiceFacts(
        get("providers", "providers"),
        get(f"providers/{provider}/flavor_capabilities", "flavor_capabilities"),
        get(f"providers/{provider}/availability_zone_capabilities",
            "availability_zone_capabilities"))


def tempest_conf(*, workspace: Path, keystone: Keystone, facts: ServiceFacts, provider: str,
                 rbac: RbacType, ipv6: bool) -> str:
    cidrs = "\n".join(f"{key} = {value}" for key, value in CIDRS.items())
    return f"""[DEFAULT]
log_dir = {workspace}/logs
log_file = tempest.log
debug = True
[oslo_concurrency]
lock_path = {workspace}/tempest_lock
[identity]
uri_v3 = {keystone.url}
auth_version = v3
region = {REGION}
v3_endpoint_type = public
[auth]
admin_username = admin
admin_password = {keystone.admin_password}
admin_project_name = admin
admin_domain_name = Default
use_dynamic_credentials = True
create_isolated_networks = False
[service_available]
load_balancer = True
neutron = True
nova = True
glance = True
cinder = False
swift = False
barbican = True
[network]
project_networks_reachable = True
[network-feature-enabled]
port_security = False
ipv6 = {ipv6}
[validation]
run_validation = False
[load_balancer]
region = {REGION}
catalog_type = load-balancer
endpoint_type = public
test_with_noop = False
test_with_ipv6 = {ipv6}
provider = {provider}
enabled_provider_drivers = {_dict_option(facts.providers)}
expected_flavor_capability = {_dict_option(facts.flavor_capabilities)}
expected_availability_zone_capability = {_dict_option(facts.zone_capabilities)}
RBAC_test_type = {rbac}
log_user_roles = True
default_ipv6_subnetpool =
{cidrs}
check_interval = 0.25
check_timeout = 60
lb_build_interval = 0.25
lb_build_timeout = 120
build_interval = 0.25
build_timeout = 60
[loadbalancer-feature-enabled]
not_implemented_is_error = True
terminated_tls_enabled = True
prometheus_listener_enabled = False
[enforce_scope]
octavia = False
"""


# One line per test in `tempest run`'s output: "{0} name [1.2s] ... ok" (or FAILED, SKIPPED: why).
_RESULT = re.compile(r"^\{\d+\} (?:setUpClass \()?(\S+?)\)? \[[\d.]+s\] \.\.\. "
                     r"(ok|FAILED|SKIPPED: ?(.*))$")
_RESULT_NO_TIME = re.compile(r"^\{\d+\} (?:setUpClass \()?(\S+?)\)? \.\.\. "
                             r"(ok|FAILED|SKIPPED: ?(.*))$")


@dataclass
class Outcome:
    """What `tempest run` said, test by test."""

    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # test: reason
    seconds: float = 0.0
    output: str = ""
    returncode: int = 0

    @property
    def ran(self) -> int:
        return len(self.passed) + len(self.failed) + len(self.skipped)

    def skip_reasons(self) -> Counter[str]:
        return Counter(self.skipped.values())

    def failure_text(self) -> str:
        """The part of tempest's output after its "Failed N tests - output below" banner."""
        start = self.output.find("Failed ")
        banner = self.output.rfind("==============================\nFailed")
        return self.output[banner if banner >= 0 else max(start, 0):]

    def summary(self) -> str:
        return (f"run {self.ran}, passed {len(self.passed)}, skipped {len(self.skipped)}, "
                f"failed {len(self.failed)} in {self.seconds:.0f} s")


def parse_output(text: str) -> Outcome:
    outcome = Outcome(output=text)
    for line in text.splitlines():
        found = _RESULT.match(line) or _RESULT_NO_TIME.match(line)
        if found is None:
            continue
        name, status, reason = found.group(1), found.group(2), found.group(3)
        if status == "ok":
            outcome.passed.append(name)
        elif status == "FAILED":
            outcome.failed.append(name)
        else:
            outcome.skipped[name] = (reason or "").strip()
    return outcome


def expand_classes(outcome: Outcome, listed: list[str]) -> None:
    """A setUpClass skip or failure stands for every test of its class: count them one by one
    (`listed`: the names `tempest run --list-tests` gives, without their `[id-...]` tags)."""
    reported = {*outcome.passed, *outcome.failed, *outcome.skipped}
    for name in [n for n in outcome.failed if n not in listed]:
        members = [t for t in listed if t.startswith(name + ".") and t not in reported]
        if members:
            outcome.failed.remove(name)
            outcome.failed += members
    for name, reason in [(n, r) for n, r in outcome.skipped.items() if n not in listed]:
        members = [t for t in listed if t.startswith(name + ".") and t not in reported]
        if members:
            del outcome.skipped[name]
            outcome.skipped.update(dict.fromkeys(members, reason))


@dataclass
class Conformance:
    """One whole run in a scratch directory; `close()` removes every part of it."""

    rbac: RbacType = "keystone_default_roles"
    ipv6: bool = False
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="lbconf-")))
    keep: bool = False
    say: object = print
    keystone: Keystone | None = None
    lbaas: LbaasUp | None = None

    @property
    def workspace(self) -> Path:
        return self.workdir / "ws"

    def _say(self, text: str) -> None:
        self.say(text)  # type: ignore[operator]

    def start(self) -> None:
        started = time.monotonic()
        self.keystone = Keystone(self.workdir / "keystone")
        self.keystone.bootstrap()
        self.keystone.start()
        roles: Literal["default", "advanced"] = "advanced" if self.rbac == "advanced" else "default"
        self.lbaas = LbaasUp(self.workdir / "lbaas", self.keystone, roles)
        self.lbaas.start()
        register_in_catalog(self.keystone, self.lbaas.url)
        facts = read_service_facts(self.lbaas.url, self.keystone.admin_token(), "haproxy")
        self._workspace(facts)
        self._say(f"Keystone {self.keystone.url}, lbaas {self.lbaas.url}, workspace "
                  f"{self.workspace} ({time.monotonic() - started:.0f} s)")

    def _workspace(self, facts: ServiceFacts) -> None:
        assert self.keystone is not None
        home = self.workdir / "home"
        home.mkdir(exist_ok=True)
        subprocess.run([str(tempest_venv() / "bin" / "tempest"), "init", "--workspace-path",
                        str(self.workdir / "workspace.yaml"), str(self.workspace)],
                       env={**os.environ, "HOME": str(home)}, check=True, capture_output=True)
        (self.workspace / "etc" / "tempest.conf").write_text(tempest_conf(
            workspace=self.workspace, keystone=self.keystone, facts=facts, provider="haproxy",
            rbac=self.rbac, ipv6=self.ipv6))

    def run(self, regex: str = SELECTION, exclude: str = EXCLUDED, concurrency: int = 2,
            timeout: float | None = None) -> Outcome:
        """`tempest run` over the selection; its output goes to the log and to `say`."""
        started = time.monotonic()
        argv = [str(tempest_venv() / "bin" / "tempest"), "run", "--regex", regex,
                "--concurrency", str(concurrency)]
        if exclude:
            argv += ["--exclude-regex", exclude]
        env = {**os.environ, "HOME": str(self.workdir / "home")}
        lines: list[str] = []
        with subprocess.Popen(argv, cwd=self.workspace, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True,
                              start_new_session=True) as process:
            assert process.stdout is not None
            try:
                for line in process.stdout:
                    lines.append(line)
                    if _RESULT.match(line.rstrip("\n")) or _RESULT_NO_TIME.match(line.rstrip()):
                        self._say(line.rstrip("\n"))
                    if timeout is not None and time.monotonic() - started > timeout:
                        raise TimeoutError(f"tempest ran longer than {timeout} s")
            finally:
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGTERM)
                process.wait()
        outcome = parse_output("".join(lines))
        expand_classes(outcome, self.list_tests(regex, exclude))
        outcome.seconds = time.monotonic() - started
        outcome.returncode = process.returncode
        (self.workdir / "tempest-output.txt").write_text(outcome.output)
        return outcome

    def list_tests(self, regex: str, exclude: str) -> list[str]:
        argv = [str(tempest_venv() / "bin" / "tempest"), "run", "--list-tests", "--regex", regex]
        if exclude:
            argv += ["--exclude-regex", exclude]
        listing = subprocess.run(argv, cwd=self.workspace, capture_output=True, text=True,
                                 env={**os.environ, "HOME": str(self.workdir / "home")},
                                 check=True)
        return [line.split("[", 1)[0] for line in listing.stdout.splitlines()
                if line.startswith("octavia_tempest_plugin.")]

    def close(self) -> None:
        if self.lbaas is not None:
            self.lbaas.stop_and_purge()
        if self.keystone is not None:
            self.keystone.stop()
        if not self.keep:
            shutil.rmtree(self.workdir, ignore_errors=True)

"""The v2 tutorial, replayed (`lbaas demo --https`): a load balancer made in one command with an
HTTP listener over two web servers, an HTTPS listener with a certificate stored in lbaas, and L7
policies (requests for api.demo.test go to one server, /admin is refused), then everything
removed.

Each step prints the `lbaas` command that does the same, then does it through the API; every
claim shown is checked, and the first that does not hold raises `DemoFailed`.
"""

from __future__ import annotations

import contextlib
import ipaddress
import itertools
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from lbaas.cli.client import ApiClient, Gone
from lbaas.demo import TENANT_CIDR, Demo, DemoFailed, Say
from lbaas.lab.hosts import LabHosts

V2 = "/v2.0/lbaas"
HOST_NAME = "shop.demo.test"
API_HOST = "api.demo.test"


def self_signed(host: str) -> tuple[str, str]:
    """A certificate for `host`, valid for a day, and its key (PEM texts)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem.decode()


class HttpsDemo(Demo):
    CLEANUP = "lbaas lab host delete client web01 web02; lbaas network delete demo-private"

    def __init__(self, api: ApiClient, labs: LabHosts, say: Say, step: Say,
                 cidr: str = TENANT_CIDR) -> None:
        super().__init__(api, labs, say, step)
        net = ipaddress.ip_network(cidr)
        self.cidr = str(net)
        self.servers = {"web01": (str(net[201]), "WEB01"), "web02": (str(net[202]), "WEB02")}
        self.client_address = str(net[203])
        self.lb: dict[str, Any] = {}
        self.refs: list[str] = []  # the secrets API's objects, to delete at the end
        self.workdir = Path(tempfile.mkdtemp(prefix="lbaas-demo-tls-"))

    def run(self) -> None:
        self._check_free()
        subnet = self._network()
        self._servers()
        self._client()
        container = self._certificate()
        self._make_load_balancer(subnet, container)
        self._show_alternation()
        self._show_https()
        self._l7()
        self._show_l7()

    # -- building it ---------------------------------------------------------------------------

    def _network(self) -> str:
        self.step("lbaas network create demo-private")
        net = self._create("/v2.0/networks", "network", name="demo-private")
        self.step(f"lbaas subnet create demo-private {self.cidr} --name demo-private-subnet")
        sub = self._create("/v2.0/subnets", "subnet", network_id=net["id"], cidr=self.cidr,
                           name="demo-private-subnet")
        return str(sub["id"])

    def _client(self) -> None:
        self.step(f"lbaas lab host add client --network demo-private "
                  f"--address {self.client_address}")
        self._lab_host("client", "demo-private", self.client_address, None)

    def _certificate(self) -> str:
        cert, key = self_signed(HOST_NAME)
        (self.workdir / "cert.pem").write_text(cert)
        (self.workdir / "key.pem").write_text(key)
        self.say(f"(a self-signed certificate for {HOST_NAME} in {self.workdir}/cert.pem)")
        self.step(f"lbaas secret create demo-tls --certificate {self.workdir}/cert.pem "
                  f"--private-key {self.workdir}/key.pem")
        refs = []
        for part, text, kind in (("certificate", cert, "certificate"),
                                 ("private_key", key, "private")):
            made = self.api.post("/v1/secrets", {
                "name": f"demo-tls-{part}", "payload": text,
                "payload_content_type": "text/plain", "secret_type": kind})
            self.refs.append(made["secret_ref"])
            refs.append({"name": part, "secret_ref": made["secret_ref"]})
        made = self.api.post("/v1/containers", {"name": "demo-tls", "type": "certificate",
                                                "secret_refs": refs})
        self.refs.insert(0, made["container_ref"])
        return str(made["container_ref"])

    def _make_load_balancer(self, subnet: str, container: str) -> None:
        members = [{"address": address, "protocol_port": 80}
                   for address, _ in self.servers.values()]
        web = " ".join(f"--member {address}:80" for address, _ in self.servers.values())
        self.step(f"lbaas loadbalancer create --name demo-shop --vip-subnet-id "
                  f"demo-private-subnet --listener HTTP:80 {web} --monitor HTTP --wait")
        pool = {"name": "demo-shop-http-80", "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN",
                "members": members, "healthmonitor": {
                    "type": "HTTP", "delay": 1, "timeout": 1, "max_retries": 2}}
        body = {"name": "demo-shop", "vip_subnet_id": subnet, "listeners": [{
            "name": "demo-shop-http-80", "protocol": "HTTP", "protocol_port": 80,
            "default_pool": pool}]}
        self.lb = self._create(f"{V2}/loadbalancers", "loadbalancer", **body)
        self.pool_id, self.fip = self.lb["id"], self.lb["vip_address"]
        self._settle()
        self.step("lbaas loadbalancer listener create demo-shop --name https --protocol "
                  "TERMINATED_HTTPS --protocol-port 443 --default-tls-container-ref "
                  "\"$(lbaas secret show demo-tls -f value -c container_ref)\" "
                  "--default-pool demo-shop-http-80 --wait")
        web_pool = self._one(f"{V2}/pools", "pools", "demo-shop-http-80")
        self.api.post(f"{V2}/listeners", {"listener": {
            "loadbalancer_id": self.lb["id"], "name": "https", "protocol": "TERMINATED_HTTPS",
            "protocol_port": 443, "default_tls_container_ref": container,
            "default_pool_id": web_pool["id"]}})
        self._settle()
        self.say(f"Load balancer demo-shop serves at {self.lb['vip_address']} on 80 and 443")

    def _l7(self) -> None:
        self.step("lbaas loadbalancer pool create --name demo-api --loadbalancer demo-shop "
                  "--protocol HTTP --lb-algorithm ROUND_ROBIN --wait")
        api_pool = self.api.post(f"{V2}/pools", {"pool": {
            "name": "demo-api", "loadbalancer_id": self.lb["id"], "protocol": "HTTP",
            "lb_algorithm": "ROUND_ROBIN"}})["pool"]
        self._settle()
        address = self.servers["web02"][0]
        self.step(f"lbaas loadbalancer member create demo-api --address {address} "
                  "--protocol-port 80 --wait")
        self.api.post(f"{V2}/pools/{api_pool['id']}/members", {"member": {
            "address": address, "protocol_port": 80}})
        self._settle()
        listener = self._one(f"{V2}/listeners", "listeners", "demo-shop-http-80")
        self.step("lbaas loadbalancer l7policy create demo-shop-http-80 --name api "
                  "--action REDIRECT_TO_POOL --redirect-pool demo-api --wait")
        self.step(f"lbaas loadbalancer l7rule create api --type HOST_NAME --compare-type "
                  f"EQUAL_TO --value {API_HOST} --wait")
        self.api.post(f"{V2}/l7policies", {"l7policy": {
            "listener_id": listener["id"], "name": "api", "action": "REDIRECT_TO_POOL",
            "redirect_pool_id": api_pool["id"], "rules": [
                {"type": "HOST_NAME", "compare_type": "EQUAL_TO", "value": API_HOST}]}})
        self._settle()
        self.step("lbaas loadbalancer l7policy create demo-shop-http-80 --name admin "
                  "--action REJECT --wait")
        self.step("lbaas loadbalancer l7rule create admin --type PATH --compare-type "
                  "STARTS_WITH --value /admin --wait")
        self.api.post(f"{V2}/l7policies", {"l7policy": {
            "listener_id": listener["id"], "name": "admin", "action": "REJECT", "rules": [
                {"type": "PATH", "compare_type": "STARTS_WITH", "value": "/admin"}]}})
        self._settle()

    # -- showing it work -----------------------------------------------------------------------

    def _show_https(self) -> None:
        url = f"https://{HOST_NAME}/"
        self.step(f"lbaas lab exec client -- curl -s --cacert cert.pem --resolve "
                  f"{HOST_NAME}:443:{self.fip} {url}")
        answers = []
        for _ in range(4):
            done = self.labs.exec("client", [
                "curl", "-s", "--max-time", "3", "--cacert", str(self.workdir / "cert.pem"),
                "--resolve", f"{HOST_NAME}:443:{self.fip}", url])
            answer = done.stdout.strip()
            self.say(f"  -> {answer or f'curl exit {done.returncode}'}")
            if done.returncode != 0:
                raise DemoFailed(f"HTTPS to {self.fip} with the stored certificate failed "
                                 f"(curl {done.returncode}: {done.stderr.strip()})")
            answers.append(answer)
        if set(answers) != {"WEB01", "WEB02"}:
            raise DemoFailed(f"expected both servers over HTTPS, saw {answers}")
        self.say(f"HTTPS: HAProxy presents the certificate for {HOST_NAME}; both servers answer.")

    def _show_l7(self) -> None:
        answers = [self._get("/", host=API_HOST) for _ in range(4)]
        if set(answers) != {"WEB02"}:
            raise DemoFailed(f"expected only WEB02 for {API_HOST} (the L7 policy), saw {answers}")
        self.say(f"L7: requests for {API_HOST} go to pool demo-api (web02 only).")
        rest = [self._get("/") for _ in range(4)]
        if set(rest) != {"WEB01", "WEB02"} or not all(
                a != b for a, b in itertools.pairwise(rest)):
            raise DemoFailed(f"expected the other requests to alternate, saw {rest}")
        self.say("The rest still alternate between web01 and web02.")
        code = self._get("/admin", status=True)
        if code != "403":
            raise DemoFailed(f"expected 403 for /admin (the REJECT policy), saw {code}")
        self.say("L7: /admin is refused (403).")

    def _get(self, path: str, status: bool = False, host: str = "") -> str:
        url = f"http://{self.fip}{path}"
        extra = ["-o", "/dev/null", "-w", "%{http_code}"] if status else []
        extra += ["-H", f"Host: {host}"] if host else []
        shown = " ".join(f"'{arg}'" if " " in arg or "%" in arg else arg for arg in extra)
        self.step(f"lbaas lab exec client -- curl -s {shown} {url}".replace("  ", " "))
        done = self.labs.exec("client", ["curl", "-s", "--max-time", "3", *extra, url])
        answer = done.stdout.strip()
        self.say(f"  -> {answer or f'curl exit {done.returncode}'}")
        if done.returncode != 0:
            raise DemoFailed(f"the request to {url} failed (curl {done.returncode})")
        return answer

    # -- helpers -------------------------------------------------------------------------------

    def _one(self, path: str, key: str, name: str) -> dict[str, Any]:
        found: list[dict[str, Any]] = self.api.get(path, params={"name": name})[key]
        if len(found) != 1:
            raise DemoFailed(f"expected one {key[:-1]} named {name}, found {len(found)}")
        return found[0]

    def _settle(self, timeout: float = 30) -> None:
        """Until the agent has deployed the load balancer's latest change (ACTIVE)."""
        deadline = time.monotonic() + timeout
        while True:
            lb = self.api.get(f"{V2}/loadbalancers/{self.lb['id']}")["loadbalancer"]
            if lb["provisioning_status"] == "ACTIVE":
                return
            if lb["provisioning_status"] == "ERROR" or time.monotonic() > deadline:
                raise DemoFailed(f"load balancer demo-shop is {lb['provisioning_status']} "
                                 f"after {timeout:.0f} s")
            time.sleep(0.05)

    def cleanup(self) -> None:
        """The load balancer (with everything in it), the certificate, then what Demo made."""
        if self.lb:
            self.step("lbaas loadbalancer delete demo-shop --cascade --wait")
            path = f"{V2}/loadbalancers/{self.lb['id']}"
            with contextlib.suppress(Gone):
                self.api.delete(path, params={"cascade": "true"})
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    self.api.get(path)
                except Gone:
                    break
                time.sleep(0.1)
            else:
                raise DemoFailed("load balancer demo-shop was not deleted within 30 s")
            self.made.api = [m for m in self.made.api if not m[0].startswith(V2)]
        if self.refs:
            self.step("lbaas secret delete demo-tls")
        for ref in self.refs:
            kind, _, object_id = ref.rstrip("/").rpartition("/")
            with contextlib.suppress(Gone):
                self.api.delete(f"/v1/{kind.rsplit('/', 1)[-1]}/{object_id}")
        self.refs = []
        for leftover in self.workdir.glob("*"):
            leftover.unlink()
        self.workdir.rmdir()
        super().cleanup()

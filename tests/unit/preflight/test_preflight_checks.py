"""Preflight checks that read text or files: `haproxy -vv` output, sysctls, the data directory,
tools on PATH, and what the results add up to."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lbaas.preflight import haproxy, limits, tools
from lbaas.preflight.result import CheckResult, Status
from lbaas.preflight.run import HostCapabilities, capabilities, missing_labels

VV_26 = """HAProxy version 2.6.12-1+deb12u4 2026/10/17 - https://haproxy.org/
Status: long-term supported branch - will stop receiving fixes around Q2 2027.
Build options :
  TARGET  = linux-glibc
  OPTIONS = USE_PCRE2=1 USE_PCRE2_JIT=1 USE_OPENSSL=1 USE_LUA=1 USE_SLZ=1 USE_PROMEX=1
Feature list : -51DEGREES +ACCEPT4 +EPOLL +LUA -MEMORY_PROFILING +NS +OPENSSL -QUIC +PROMEX
Built with OpenSSL version : OpenSSL 3.0.22 25 Aug 2026
"""
VV_24_NO_SSL = """HA-Proxy version 2.4.22-0ubuntu0.22.04.2 2023/08/14 - https://haproxy.org/
Build options :
  OPTIONS = USE_PCRE2=1 USE_LUA=0 USE_SLZ=1
"""
VV_30 = "HAProxy version 3.0.5 2024/09/19 - https://haproxy.org/\nFeature list : +OPENSSL\n"


@pytest.mark.parametrize(("text", "version"), [
    (VV_26, (2, 6, 12)), (VV_24_NO_SSL, (2, 4, 22)), (VV_30, (3, 0, 5)),
    ("HAProxy version 2.8-dev3 2023/01/01\n", (2, 8, 0)), ("no haproxy here\n", None),
])
def test_version_is_read_from_both_spellings(
    text: str, version: tuple[int, int, int] | None
) -> None:
    assert haproxy.parse_version(text) == version


def test_features_come_from_the_feature_list_and_build_options() -> None:
    assert {"OPENSSL", "LUA", "NS", "PROMEX", "EPOLL", "PCRE2"} <= haproxy.parse_features(VV_26)
    assert "QUIC" not in haproxy.parse_features(VV_26)
    old = haproxy.parse_features(VV_24_NO_SSL)
    assert "PCRE2" in old and "LUA" not in old and "OPENSSL" not in old


def test_version_check_refuses_what_is_older_than_2_6() -> None:
    assert haproxy.check_haproxy_version(VV_26).status is Status.OK
    assert haproxy.check_haproxy_version(VV_30).status is Status.OK
    old = haproxy.check_haproxy_version(VV_24_NO_SSL)
    assert old.status is Status.MISSING and "2.4.22 is older than 2.6" in old.detail
    assert haproxy.check_haproxy_version("garbage").status is Status.MISSING


def test_a_haproxy_without_openssl_is_a_warning() -> None:
    result = haproxy.check_haproxy_features(VV_24_NO_SSL)
    assert result.status is Status.WARN and "OpenSSL" in result.detail
    assert haproxy.check_haproxy_features(VV_26).status is Status.OK


def _sysctls(root: Path, values: dict[str, str]) -> Path:
    for key, value in values.items():
        path = root / key.replace(".", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(value + "\n")
    return root


def _thresholds(one: int, two: int, three: int) -> dict[str, str]:
    return {f"net.ipv4.neigh.default.gc_thresh{n}": str(v)
            for n, v in ((1, one), (2, two), (3, three))}


def test_a_small_neighbour_table_is_a_warning_with_the_sysctls_to_set(tmp_path: Path) -> None:
    result = limits.check_neighbour_table(_sysctls(tmp_path, _thresholds(128, 512, 1024)))
    assert result.status is Status.WARN and "128/512/1024" in result.detail
    assert "net.ipv4.neigh.default.gc_thresh3=8192" in result.fix
    assert "net.ipv4.neigh.default.gc_thresh1=1024" in result.fix


def test_a_large_neighbour_table_is_ok(tmp_path: Path) -> None:
    result = limits.check_neighbour_table(_sysctls(tmp_path, _thresholds(1024, 4096, 16384)))
    assert result.status is Status.OK and "1024/4096/16384" in result.detail


def test_an_unreadable_neighbour_table_is_a_warning(tmp_path: Path) -> None:
    assert limits.check_neighbour_table(tmp_path).status is Status.WARN


@pytest.mark.parametrize(("value", "status"), [
    ("32768\t60999", Status.OK), ("1024 65535", Status.OK), ("50000 60000", Status.WARN),
])
def test_the_local_port_range(tmp_path: Path, value: str, status: Status) -> None:
    root = _sysctls(tmp_path, {"net.ipv4.ip_local_port_range": value})
    result = limits.check_port_range(root)
    assert result.status is status
    if status is Status.WARN:
        assert "1024 65535" in result.fix and "10001 ports" in result.detail


def test_parse_port_range() -> None:
    assert limits.parse_port_range("32768\t60999\n") == (32768, 60999)
    with pytest.raises(ValueError):
        limits.parse_port_range("32768")


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A directory with a short path (pytest's tmp_path is too long for HAProxy's sockets)."""
    path = Path(tempfile.mkdtemp(prefix="lbd-"))
    yield path
    shutil.rmtree(path)


def test_data_dir_too_long_for_socket_paths(tmp_path: Path) -> None:
    result = limits.check_data_dir(tmp_path / ("d" * 120))
    assert result.status is Status.MISSING and "too long" in result.detail


def test_data_dir_not_there_yet_but_creatable(short_dir: Path) -> None:
    result = limits.check_data_dir(short_dir / "new" / "data")
    assert result.status is Status.OK and "can be created" in result.detail


def test_data_dir_world_writable_is_a_warning(short_dir: Path) -> None:
    data = short_dir / "data"
    data.mkdir()
    data.chmod(0o777)
    result = limits.check_data_dir(data)
    assert result.status is Status.WARN and f"chmod o-w {data}" == result.fix
    data.chmod(0o750)
    assert limits.check_data_dir(data).status is Status.OK


def test_data_dir_under_a_file_is_missing(short_dir: Path) -> None:
    (short_dir / "file").write_text("")
    result = limits.check_data_dir(short_dir / "file" / "data")
    assert result.status is Status.MISSING and "is not a directory" in result.detail


def test_data_dir_not_writable_is_missing() -> None:
    """As root (who may write anywhere) the check runs in a child that became `nobody`."""
    base = Path(tempfile.mkdtemp(prefix="lbpf-"))
    try:
        base.chmod(0o755)
        locked = base / "locked"
        locked.mkdir(mode=0o555)
        check = lambda: limits.check_data_dir(locked / "data")  # noqa: E731
        detail = _as_nobody(check) if os.geteuid() == 0 else str(check().status)
        assert detail.startswith("missing"), detail
        assert os.geteuid() != 0 or "is not writable by uid 65534" in detail
    finally:
        shutil.rmtree(base)


def _as_nobody(check: Callable[[], CheckResult]) -> str:
    """Status and detail of `check()` run in a forked child with uid and gid 65534."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the modules are loaded already, nothing is read from disk
        try:
            os.close(read)
            os.setgid(65534)
            os.setuid(65534)
            result = check()
            os.write(write, f"{result.status} {result.detail}".encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as answer:
        text = answer.read()
    os.waitpid(pid, 0)
    return text


def _path_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *names: str) -> Path:
    """PATH set to a directory holding executables of these names only."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name in names:
        exe = bin_dir / name
        exe.write_text("#!/bin/sh\n")
        exe.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    return bin_dir


def test_tools_are_found_on_path_and_named_with_their_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = _path_with(tmp_path, monkeypatch, "ip", "haproxy")
    assert tools.check_tool("ip").status is Status.OK
    assert str(bin_dir / "ip") in tools.check_tool("ip").detail
    nft = tools.check_tool("nft")
    assert nft.status is Status.MISSING and nft.fix == "apt-get install nftables"
    assert "nft (Debian package nftables) not found on PATH" in nft.detail
    arping = tools.check_tool("arping")
    assert arping.status is Status.MISSING and arping.fix == "apt-get install iputils-arping"
    keepalived = tools.check_tool("keepalived")  # pairs are not built yet: optional
    assert keepalived.status is Status.WARN and keepalived.fix == "apt-get install keepalived"
    assert set(tools.missing_tools()) == {"ss (Debian package iproute2)",
                                          "nft (Debian package nftables)",
                                          "arping (Debian package iputils-arping)"}


def test_capabilities_and_missing_labels() -> None:
    results = [CheckResult(name, Status.OK, "") for name in (
        "root", "ip netns", "veth links", "bridge links", "haproxy", "haproxy version",
        "nf_tables", "arping", "ss", "haproxy features")]
    results += [CheckResult("nft", Status.MISSING, "not found", "apt-get install nftables"),
                CheckResult("keepalived", Status.WARN, "not found", ""),
                CheckResult("vxlan links", Status.WARN, "cannot", ""),
                CheckResult("data directory", Status.MISSING, "/x is too long", "")]
    assert capabilities(results) == {
        "netns": True, "haproxy": True, "floating_ips": False, "gratuitous_arp": True,
        "tls": True, "active_standby": False, "vxlan": False}
    assert missing_labels(results) == ["nft (Debian package nftables)",
                                       "data directory (/x is too long)"]


def test_host_capabilities_see_a_tool_arrive_on_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = _path_with(tmp_path, monkeypatch, "ip", "ss", "haproxy", "arping")
    start = [tools.check_tool(name) for name in tools.TOOLS]
    host = HostCapabilities(start)
    assert host.report()["missing"] == ["nft (Debian package nftables)"]
    assert host.report()["capabilities"]["floating_ips"] is False
    _path_with(tmp_path, monkeypatch, "nft")
    assert (bin_dir / "nft").exists()
    assert host.report()["missing"] == []

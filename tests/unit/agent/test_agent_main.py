"""Choosing and building the drivers, and where the log goes."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.unit.agent.agent_api_server import TOKEN, ApiServer, FakeAgentApi, wait_until

from lbaas.agent.log import configure_logging
from lbaas.agent.main import build_network_driver, choose_network_driver, run_agent


def test_host_driver_by_name(tmp_path: Path) -> None:
    assert build_network_driver("host", tmp_path, "qlbaas-").name == "host"


def test_unknown_driver_name(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown network driver 'bogus'"):
        build_network_driver("bogus", tmp_path, "qlbaas-")


def test_auto_says_which_driver_it_chose(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="lbaas.agent.main"):
        chosen = choose_network_driver()
    assert chosen in {"netns", "host"}
    assert any(m.startswith(f"network driver: {chosen} (") for m in caplog.messages)


def test_run_agent_registers_with_the_real_drivers(
    tmp_path: Path, api_server: ApiServer, fake_api: FakeAgentApi
) -> None:
    stop = threading.Event()
    args = (api_server.url, TOKEN, "node-1", tmp_path, "qlbaas-", "host", stop)
    thread = threading.Thread(target=run_agent, args=args,
                              kwargs={"availability_zone": "east"})
    thread.start()
    try:
        assert wait_until(lambda: len(fake_api.polls) > 0)
    finally:
        stop.set()
        thread.join(10)
        api_server.stop()
    registration = fake_api.registrations[0][1]
    assert registration.configurations["network_driver"] == "host"
    assert registration.configurations["device_drivers"] == ["haproxy"]
    assert registration.configurations["availability_zone"] == "east"  # the scheduler reads it


def test_an_underlay_is_not_reported_by_an_agent_whose_driver_joins_no_overlay(
    tmp_path: Path, api_server: ApiServer, fake_api: FakeAgentApi
) -> None:
    stop = threading.Event()
    args = (api_server.url, TOKEN, "node-1", tmp_path, "qlbaas-", "host", stop)
    thread = threading.Thread(target=run_agent, args=args,
                              kwargs={"underlay_ip": "198.18.214.11"})
    thread.start()
    try:
        assert wait_until(lambda: len(fake_api.polls) > 0)
    finally:
        stop.set()
        thread.join(10)
        api_server.stop()
    assert "underlay_ip" not in fake_api.registrations[0][1].configurations


@pytest.fixture
def root_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:], root.level = handlers, level


@pytest.mark.usefixtures("root_logging")
def test_configure_logging_writes_the_file_once(tmp_path: Path) -> None:
    log_file = tmp_path / "data" / "lbaas-agent.log"
    configure_logging(log_file)
    configure_logging(log_file)
    logging.getLogger("lbaas.agent.loop").info("lb %s: deployed revision %d", "a", 3)
    for handler in logging.getLogger().handlers:
        handler.flush()
    lines = log_file.read_text().splitlines()
    assert len(lines) == 1 and lines[0].endswith("lbaas.agent.loop: lb a: deployed revision 3")

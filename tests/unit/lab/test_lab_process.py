"""Recognising a lab web server by pid, so that only it is ever signalled."""

from __future__ import annotations

import os
import socket

from lbaas.drivers.network.commands import in_namespace
from lbaas.lab import process


def test_server_argv_runs_the_module_in_the_namespace() -> None:
    argv = process.server_argv("lbaas-lab-web", "198.18.0.10", 80, "hi")
    assert argv[:4] == in_namespace("lbaas-lab-web", [])
    assert argv[5:7] == ["-m", "lbaas.lab.httpserver"]
    assert argv[-2:] == ["--bind", "198.18.0.10"]


def test_listening_reads_the_process_socket_table() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        assert not process.listening(os.getpid(), "127.0.0.1", port)
        sock.listen()
        assert process.listening(os.getpid(), "127.0.0.1", port)


def test_a_process_that_is_not_the_server_is_not_recognised() -> None:
    assert not process.is_server(os.getpid(), "lbaas-lab-none", "198.18.0.10")
    assert not process.is_server(2**22 + 1, "lbaas-lab-none", "198.18.0.10")
    assert not process.stop_server(os.getpid(), "lbaas-lab-none", "198.18.0.10")

"""`run()`: the one place a command's failure becomes a message and an exit code."""

from __future__ import annotations

import pytest
import typer

from lbaas.cli.client import CliError
from lbaas.cli.common import given, parse_kv, run


def _fail(exc: BaseException) -> None:
    raise exc


def test_a_cli_error_exits_1_with_its_message(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit) as exit_info:
        run(lambda: _fail(CliError("Pool [x] could not be found")))
    assert exit_info.value.exit_code == 1
    assert capsys.readouterr().err.strip() == "Error: Pool [x] could not be found"


def test_a_bug_is_one_line_unless_debugging(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LBAAS_DEBUG", raising=False)
    with pytest.raises(typer.Exit) as exit_info:
        run(lambda: _fail(KeyError("id")))
    assert exit_info.value.exit_code == 1
    assert "unexpected KeyError: 'id' (set LBAAS_DEBUG=1 to see where)" in capsys.readouterr().err
    monkeypatch.setenv("LBAAS_DEBUG", "1")
    with pytest.raises(KeyError):
        run(lambda: _fail(KeyError("id")))


def test_ctrl_c_exits_130() -> None:
    with pytest.raises(typer.Exit) as exit_info:
        run(lambda: _fail(KeyboardInterrupt()))
    assert exit_info.value.exit_code == 130


def test_parse_kv_and_given() -> None:
    assert parse_kv(["type=APP_COOKIE,cookie_name=X", "a = b"]) == {
        "type": "APP_COOKIE", "cookie_name": "X", "a": "b"}
    with pytest.raises(CliError, match="Expected key=value, got '=x'"):
        parse_kv(["=x"])
    assert given(a=None, b=0, c=False, d="") == {"b": 0, "c": False, "d": ""}

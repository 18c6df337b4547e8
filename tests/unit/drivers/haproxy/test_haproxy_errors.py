"""Errors carry what an operator needs: haproxy's own alert lines."""

from __future__ import annotations

from lbaas.drivers.haproxy.errors import CommandFailed, ConfigRejected, alert_lines

STDERR = """[NOTICE]   (7016) : haproxy version is 2.6.12-1+deb12u4
[ALERT]    (7016) : config : [a.cfg:34] : 'server p1/m1' : 'fall' has to be > 0..
[ALERT]    (7016) : config : Error(s) found in configuration file : a.cfg
[ALERT]    (7016) : config : Fatal errors found in configuration.
"""


def test_alert_lines_keep_the_cause_only() -> None:
    assert alert_lines(STDERR) == "[a.cfg:34] : 'server p1/m1' : 'fall' has to be > 0.."


def test_config_rejected_says_where_the_file_is_and_why() -> None:
    error = ConfigRejected(["haproxy", "-c", "-f", "x"], 1, STDERR, "/s/haproxy.cfg.rejected")
    assert "'fall' has to be > 0" in str(error)
    assert "/s/haproxy.cfg.rejected" in str(error)


def test_command_failed_has_command_line_exit_code_and_stderr() -> None:
    error = CommandFailed(["ip", "netns", "exec", "x", "haproxy"], 2, "boom\n")
    assert str(error) == "ip netns exec x haproxy exited with 2: boom"
    assert (error.returncode, error.stderr) == (2, "boom\n")

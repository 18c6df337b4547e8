"""The reliability suites run the whole system like the system tests: the same session check that
nothing is left behind, and the same summary of what they measured."""

from __future__ import annotations

from tests.integration.conftest import _nothing_left_after_the_suite, pytest_terminal_summary

__all__ = ["_nothing_left_after_the_suite", "pytest_terminal_summary"]

"""What both configuration renderers (HAProxy's and keepalived's) refuse before rendering, and
the checks they share."""

from __future__ import annotations


class UnsafeConfigValue(ValueError):
    """A value could change the meaning of the generated configuration and was refused."""

    retryable = False

    def __init__(self, field: str, value: object, rule: str) -> None:
        self.field = field
        self.value = value
        self.rule = rule
        shown = repr(value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        super().__init__(f"unsafe value for {field}: {shown} ({rule})")


def check_int(field: str, value: int, low: int, high: int) -> int:
    """An integer (not a bool) within [low, high]."""
    if type(value) is not int or not low <= value <= high:
        raise UnsafeConfigValue(field, value, f"an integer from {low} to {high}")
    return value

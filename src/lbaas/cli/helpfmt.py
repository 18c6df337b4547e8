"""Help output: a plain flag (`--wait`, `--shared`, `--help`) takes no value, so no type.

Typer's rich help prints every option's type beside it, `<bool>` for flags too, which reads as if
the flag wanted a value (`--wait <bool>`). Flags show nothing there; other options keep theirs.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperOption

_typer_display_type_rich = TyperOption.display_type_rich


def _display_type_rich(option: TyperOption, ctx: Any) -> Any:
    if option.is_flag and not option.count:
        return None
    return _typer_display_type_rich(option, ctx)


def install() -> None:
    """Make flags show no type in `--help` (idempotent)."""
    setattr(TyperOption, "display_type_rich", _display_type_rich)  # noqa: B010

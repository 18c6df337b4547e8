"""How keepalived tells us its state: a notify fifo, read by a script keepalived itself starts.

keepalived writes every state change of the instance to the fifo, in order (`INSTANCE "lb-<id>"
MASTER 100`), and runs the fifo script for as long as it runs (restarting it on a reload). The
script keeps the last state in `keepalived.state` beside itself, replaced by rename, so a reader
never sees half a word. Separate notify scripts would run concurrently and could finish out of
order; one reader of one fifo cannot.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal, get_args

VrrpState = Literal["MASTER", "BACKUP", "FAULT", "STOP"]
_BY_WORD: dict[str, VrrpState] = {word: word for word in get_args(VrrpState)}

# No value of any spec is in this text: the state file's place comes from the script's own.
NOTIFY_SCRIPT = """\
#!/bin/sh
# Started by keepalived with its notify fifo as $1; keeps the instance's last state beside itself.
dir=${0%/*}
while read -r kind name state priority; do
    [ "$kind" = INSTANCE ] || continue
    printf '%s\\n' "$state" > "$dir/keepalived.state.tmp"
    mv -f "$dir/keepalived.state.tmp" "$dir/keepalived.state"
done < "$1"
"""


def write_notify_script(path: Path) -> None:
    """Write the script 0700 (keepalived's script security refuses one others can change)."""
    partial = path.with_name(path.name + ".tmp")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o700)
    with os.fdopen(fd, "w") as out:
        out.write(NOTIFY_SCRIPT)
    os.replace(partial, path)


def read_state(path: Path) -> VrrpState | None:
    """The last state written to `path`; None if there is none (yet) or it is not a state."""
    try:
        word = path.read_text().strip()
    except OSError:
        return None
    return _BY_WORD.get(word)

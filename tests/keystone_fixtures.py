"""pytest fixtures around tests/keystone_lab.py: a real Keystone for the session (`keystone`, which
tests/conftest.py offers every test, so one Keystone serves the whole run), and `fresh_keystone()`
for a test that must see one nobody else has touched.

Without `.venv-keystone` (./run installs it; LBAAS_KEYSTONE_VENV points elsewhere) the tests that
use them are skipped, a failure under LBAAS_REQUIRE=all.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.keystone_lab import Keystone, keystone_venv
from tests.require import require_or_skip


@contextmanager
def fresh_keystone(workdir: Path) -> Iterator[Keystone]:
    """A Keystone bootstrapped in `workdir` and served until the block ends."""
    if not (keystone_venv() / "bin" / "keystone-manage").exists():
        require_or_skip(f"Keystone is not installed at {keystone_venv()} (./run installs it; "
                        "or set LBAAS_KEYSTONE_VENV)")
    server = Keystone(workdir)
    server.bootstrap()
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def keystone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Keystone]:
    """One Keystone for the whole session: its admin is `admin` / `.admin_password`."""
    with fresh_keystone(tmp_path_factory.mktemp("keystone")) as server:
        yield server

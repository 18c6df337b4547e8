"""Migration 0009 gives networks made before it VNIs, the lowest from 1000 up in id order, on
every database; new networks then take the next free ones."""

from __future__ import annotations

from sqlalchemy import MetaData, Table, select

from lbaas.service.segments import allocate_vni
from lbaas.storage.db import Store, upgrade
from lbaas.storage.models import Network
from tests.storage.test_migration_0007 import fresh_url

__all__ = ["fresh_url"]  # the fixture: an empty database of each kind


def test_networks_made_before_get_vnis_in_id_order(fresh_url: str) -> None:
    store = Store(fresh_url)
    try:
        upgrade(store.engine, "0008")
        networks = Table("networks", MetaData(), autoload_with=store.engine)
        with store.engine.begin() as conn:
            for network_id, bridge in (("n2", None), ("n1", "br-ex"), ("n3", None)):
                conn.execute(networks.insert().values(
                    id=network_id, tenant_id="p", name="", admin_state_up=True, shared=False,
                    external=False, bridge=bridge))
        store.migrate()
        with store.read() as s:
            vnis = {row.id: row.vni for row in s.execute(select(Network.id, Network.vni))}
            assert vnis == {"n1": 1000, "n2": 1001, "n3": 1002}
            assert allocate_vni(s) == 1003
    finally:
        store.dispose()

"""The in-memory stores the CLI, simulations and benchmarks run the engine on."""

from __future__ import annotations

from custom_components.bpo.engine.memory_store import MemoryStore, NullStore


async def test_memory_store_round_trip_copy_and_delete() -> None:
    store = MemoryStore()
    await store.save_instance("i1", {"id": "i1", "n": 1})
    await store.save_many({"i2": {"id": "i2"}, "gone": None})
    await store.save_meta({"seq": 2})
    copy = store.copy()
    await store.delete_instance("i1")
    await store.save_meta({"seq": 3})

    assert store.snapshot() == {"meta": {"seq": 3}, "instances": {"i2": {"id": "i2"}}}
    # the copy kept what was there when it was taken, detached from later changes
    assert copy.snapshot() == {
        "meta": {"seq": 2},
        "instances": {"i1": {"id": "i1", "n": 1}, "i2": {"id": "i2"}},
    }
    meta, records = await copy.load()
    assert meta == {"seq": 2} and sorted(r["id"] for r in records) == ["i1", "i2"]
    assert (store.writes, store.meta_writes) == (2, 2)


async def test_null_store_keeps_nothing() -> None:
    store = NullStore()
    assert store.persistent is False
    await store.save_instance("i1", {"id": "i1"})
    await store.save_meta({"seq": 1})
    await store.delete_instance("i1")
    assert await store.load() == (None, [])

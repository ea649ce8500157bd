"""BpoStore against real files.

The harness's ``hass`` fixture mocks HA's Store (``hass_storage``: loads/writes go to a dict) and points the
config dir at a directory shared by all tests. BpoStore overrides the Store write hook and reads files
itself, so it writes real files; every test here moves the config dir to its own ``tmp_path``.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from custom_components.bpo.const import DOMAIN
from custom_components.bpo.storage import (
    STORAGE_MINOR_VERSION,
    STORAGE_VERSION,
    BpoStore,
    StoreCorrupted,
    StoreVersionError,
    StoreWriteError,
    async_raise_recovery_issue,
    shard_of,
)


@pytest.fixture
def storage(hass: HomeAssistant, tmp_path: Path) -> Path:
    hass.config.config_dir = str(tmp_path)
    return tmp_path / ".storage"


def rec(iid: str, step: int = 0) -> dict[str, Any]:
    return {"id": iid, "process": "p", "step": step, "vars": {"who": "ana", "n": [1, 2]}}


def shard_file(storage: Path, iid: str, shards: int = 32) -> Path:
    return storage / f"bpo.shard_{shard_of(iid, shards):02d}"


def snapshot(storage: Path) -> dict[str, tuple[int, int, bytes]]:
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns, p.read_bytes()) for p in storage.iterdir()}


async def loaded(hass: HomeAssistant, **kw: Any) -> tuple[BpoStore, Any, dict[str, Any]]:
    store = BpoStore(hass, **kw)
    meta, records = await store.load()
    return store, meta, {r["id"]: r for r in records}


async def test_round_trip_across_instances(hass: HomeAssistant, storage: Path) -> None:
    store = BpoStore(hass)
    assert await store.load() == (None, [])
    await store.save_meta({"seq": 7, "suspended": []})
    for i in range(50):
        await store.save_instance(f"i{i}", rec(f"i{i}"))
    await store.save_instance("i3", rec("i3", step=2))

    _, meta, records = await loaded(hass)
    assert meta == {"seq": 7, "suspended": []}
    assert len(records) == 50
    assert records["i3"] == rec("i3", step=2)
    # Plain HA store format on disk, with our key and version.
    raw = json.loads(shard_file(storage, "i3").read_text())
    assert raw["key"] == shard_file(storage, "i3").name
    assert (raw["version"], raw["minor_version"]) == (STORAGE_VERSION, STORAGE_MINOR_VERSION)
    assert raw["data"]["instances"]["i3"]["step"] == 2


async def test_save_touches_only_its_shard(hass: HomeAssistant, storage: Path) -> None:
    store = BpoStore(hass)
    await store.save_many({f"i{i}": rec(f"i{i}") for i in range(200)})
    await store.save_meta({"seq": 1})
    target = shard_file(storage, "i5")
    before = snapshot(storage)
    await asyncio.sleep(0.01)  # mtime granularity

    await store.save_instance("i5", rec("i5", step=9))

    after = snapshot(storage)
    changed = {n for n in after if after[n] != before.get(n)}
    assert changed == {target.name, target.name + ".last_good"}
    # The previous main file became the last-good copy (same inode: a link, not a rewrite).
    assert after[target.name + ".last_good"][0] == before[target.name][0]
    assert after[target.name + ".last_good"][2] == before[target.name][2]


async def test_save_many_writes_each_shard_once_and_deletes(hass: HomeAssistant, storage: Path) -> None:
    store = BpoStore(hass, shards=4)
    await store.save_many({f"i{i}": rec(f"i{i}") for i in range(20)})
    writes: list[str] = []
    for s in store._stores:
        orig = s._write_data

        def spy(path: str, data: dict[str, Any], orig: Any = orig) -> None:
            writes.append(Path(path).name)
            orig(path, data)

        s._write_data = spy  # type: ignore[method-assign]
    batch: dict[str, Any] = {f"i{i}": rec(f"i{i}", 1) for i in range(10)} | {"i15": None, "i16": None}
    await store.save_many(batch)
    assert sorted(writes) == sorted(set(writes))
    assert set(writes) == {f"bpo.shard_{shard_of(k, 4):02d}" for k in batch}

    _, _, records = await loaded(hass, shards=4)
    assert set(records) == {f"i{i}" for i in range(20)} - {"i15", "i16"}
    assert records["i0"]["step"] == 1


async def test_save_before_load_keeps_existing_records(hass: HomeAssistant, storage: Path) -> None:
    first = next(
        i for i in (f"k{n}" for n in range(1000)) if shard_of(i, 32) == shard_of("a", 32) and i != "a"
    )
    await BpoStore(hass).save_instance("a", rec("a"))
    await BpoStore(hass).save_instance(first, rec(first))  # no load() first: must not wipe "a"
    _, _, records = await loaded(hass)
    assert set(records) == {"a", first}


async def test_delete_instance(hass: HomeAssistant, storage: Path) -> None:
    store = BpoStore(hass)
    await store.save_instance("a", rec("a"))
    await store.save_instance("b", rec("b"))
    await store.delete_instance("a")
    before = snapshot(storage)
    await store.delete_instance("never-saved")  # no write at all
    assert snapshot(storage) == before

    _, _, records = await loaded(hass)
    assert set(records) == {"b"}


@pytest.mark.parametrize(
    "garbage",
    [b"\x00\xff garbage", b"", b'{"version": 1, "minor_version": 1, "key": "x", "da', b"[1, 2]"],
    ids=["binary", "empty", "truncated", "wrong-shape"],
)
async def test_corrupt_main_recovers_last_good(hass: HomeAssistant, storage: Path, garbage: bytes) -> None:
    store = BpoStore(hass)
    await store.save_many({f"i{i}": rec(f"i{i}") for i in range(100)})
    await store.save_instance("i7", rec("i7", step=1))  # i7's shard now has a last-good copy
    target = shard_file(storage, "i7")
    target.write_bytes(garbage)

    fresh, _, records = await loaded(hass)

    assert len(records) == 100  # nothing lost, other shards untouched
    assert records["i7"] == rec("i7")  # the last-good copy is the shard before its latest write
    assert fresh.recovered == [target.name]
    assert json.loads(target.read_text())["data"]["instances"]["i7"] == rec("i7")  # main rewritten
    assert [p.read_bytes() for p in storage.glob(target.name + ".corrupt.*")] == [garbage]
    assert fresh.stats()["recovered"] == [target.name]

    async_raise_recovery_issue(hass, fresh.recovered)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, "store_recovered")
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.WARNING
    assert issue.translation_key == "store_recovered"
    assert issue.translation_placeholders == {"files": target.name}

    # Recovered store keeps working, and the next load is clean.
    await fresh.save_instance("i7", rec("i7", step=3))
    again, _, records = await loaded(hass)
    assert again.recovered == []
    assert records["i7"]["step"] == 3


async def test_corrupt_meta_recovers(hass: HomeAssistant, storage: Path) -> None:
    store = BpoStore(hass)
    await store.save_meta({"seq": 1})
    await store.save_meta({"seq": 2})
    (storage / "bpo.meta").write_text("{not json")
    fresh, meta, _ = await loaded(hass)
    assert meta == {"seq": 1}
    assert fresh.recovered == ["bpo.meta"]


async def test_no_issue_without_recovery(hass: HomeAssistant) -> None:
    async_raise_recovery_issue(hass, [])
    assert ir.async_get(hass).async_get_issue(DOMAIN, "store_recovered") is None


@pytest.mark.parametrize("case", ["both-corrupt", "main-corrupt-no-copy", "main-missing-copy-corrupt"])
async def test_unrecoverable_raises(hass: HomeAssistant, storage: Path, case: str) -> None:
    store = BpoStore(hass)
    await store.save_instance("x", rec("x"))
    await store.save_instance("x", rec("x", 1))
    main = shard_file(storage, "x")
    last_good = main.with_name(main.name + ".last_good")
    if case == "both-corrupt":
        main.write_text("garbage")
        last_good.write_text("garbage")
    elif case == "main-corrupt-no-copy":
        main.write_text("garbage")
        last_good.unlink()
    else:
        main.unlink()
        last_good.write_text("garbage")

    with pytest.raises(StoreCorrupted, match=main.name) as err:
        await BpoStore(hass).load()
    assert err.value.files == [main.name]
    assert main.exists() or case == "main-missing-copy-corrupt"  # evidence left in place


async def test_main_missing_restored_from_last_good(hass: HomeAssistant, storage: Path) -> None:
    store = BpoStore(hass)
    await store.save_instance("x", rec("x"))
    await store.save_instance("x", rec("x", 1))
    shard_file(storage, "x").unlink()
    fresh, _, records = await loaded(hass)
    assert records["x"] == rec("x")
    assert fresh.recovered == [shard_file(storage, "x").name]


async def test_migrates_older_minor_and_keeps_original(hass: HomeAssistant, storage: Path) -> None:
    storage.mkdir(parents=True)
    old = {"version": 1, "minor_version": 0, "key": "bpo.shard_00", "data": {"instances": {"a": rec("a")}}}
    main = storage / f"bpo.shard_{shard_of('a', 32):02d}"
    main.write_text(json.dumps(old))
    (storage / "bpo.meta").write_text(json.dumps({"version": 1, "key": "bpo.meta", "data": {}}))

    store, meta, records = await loaded(hass)

    assert records == {"a": rec("a")}
    assert meta is None
    assert store.recovered == []
    new = json.loads(main.read_text())
    assert (new["version"], new["minor_version"]) == (1, STORAGE_MINOR_VERSION)
    assert json.loads((storage / (main.name + ".last_good")).read_text()) == old


async def test_newer_major_version_refused(hass: HomeAssistant, storage: Path) -> None:
    storage.mkdir(parents=True)
    future = {"version": 2, "minor_version": 1, "key": "bpo.meta", "data": {"meta": {"x": 1}}}
    (storage / "bpo.meta").write_text(json.dumps(future))
    with pytest.raises(StoreVersionError, match="version 2"):
        await BpoStore(hass).load()
    assert json.loads((storage / "bpo.meta").read_text()) == future  # untouched


async def test_unserialisable_record_rejected_and_rolled_back(hass: HomeAssistant, storage: Path) -> None:
    store = BpoStore(hass)
    await store.save_instance("a", rec("a"))
    with pytest.raises(StoreWriteError):
        await store.save_instance("a", {"id": "a", "bad": object()})
    await store.save_instance("a", rec("a", 5))  # the shard is still writable
    _, _, records = await loaded(hass)
    assert records["a"]["step"] == 5


async def test_reshard_keeps_every_record(hass: HomeAssistant, storage: Path) -> None:
    ids = [f"i{i}" for i in range(64)]
    await BpoStore(hass, shards=8).save_many({i: rec(i) for i in ids})
    _, _, records = await loaded(hass, shards=3)
    assert set(records) == set(ids)
    assert sorted(p.name for p in storage.glob("bpo.shard_??")) == [f"bpo.shard_{i:02d}" for i in range(3)]
    _, _, records = await loaded(hass, shards=3)
    assert set(records) == set(ids)


async def test_remove_deletes_all_files(hass: HomeAssistant, storage: Path) -> None:
    store = BpoStore(hass)
    await store.save_meta({"seq": 1})
    await store.save_many({f"i{i}": rec(f"i{i}") for i in range(40)})
    await store.save_many({f"i{i}": rec(f"i{i}", 1) for i in range(40)})
    (storage / "core.config").write_text("{}")  # not ours
    await store.async_remove()
    assert [p.name for p in storage.iterdir()] == ["core.config"]
    assert await BpoStore(hass).load() == (None, [])


async def test_ten_thousand_instances(hass: HomeAssistant, storage: Path) -> None:
    store = BpoStore(hass)
    ids = [f"inst-{i:05d}" for i in range(10_000)]
    big = {iid: rec(iid) | {"tasks": [{"id": f"t-{iid}", "due": None, "form": {"ok": True}}]} for iid in ids}
    await store.save_many(big)
    stats = store.stats()
    assert stats["instances"] == 10_000
    assert stats["instances_per_shard"]["max"] < 2 * 10_000 / 32  # crc32 spreads evenly

    start = time.perf_counter()
    fresh, _, records = await loaded(hass)
    elapsed = time.perf_counter() - start
    assert len(records) == 10_000
    assert elapsed < 2.0, elapsed

    before = snapshot(storage)
    await fresh.save_instance("inst-00042", rec("inst-00042", 1))
    after = snapshot(storage)
    rewritten = {n for n in after if n in before and after[n][0] != before[n][0] and ".last_good" not in n}
    assert rewritten == {shard_file(storage, "inst-00042").name}

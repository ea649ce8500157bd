"""BpoStore inside Home Assistant: real files under ``<config>/.storage/bpo/``, errors, migration from v1.

The journal's own behaviour (crashes at every boundary, corruption, recovery) is tested without HA in
tests/durable/; here: what HA's executor, config folder and error translations add, and the one-time
migration of an install that still has today's version-1 files (a fixture written by bpo 0.1).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from custom_components.bpo.const import DOMAIN
from custom_components.bpo.storage import (
    LEGACY_BACKUP,
    BpoStore,
    StoreCorrupted,
    StoreVersionError,
    StoreWriteError,
    async_raise_recovery_issue,
)

FIXTURE = Path(__file__).parent.parent / "fixtures" / "legacy_v1"


@pytest.fixture
def storage(hass: HomeAssistant, tmp_path: Path) -> Path:
    hass.config.config_dir = str(tmp_path)
    return tmp_path / ".storage"


def rec(iid: str, step: int = 0) -> dict[str, Any]:
    return {"id": iid, "process": "p", "step": step, "vars": {"who": "ana", "n": [1, 2]}}


def install_v1(storage: Path) -> None:
    storage.mkdir(parents=True, exist_ok=True)
    for path in FIXTURE.iterdir():
        shutil.copy2(path, storage / path.name)


async def loaded(hass: HomeAssistant) -> tuple[BpoStore, Any, dict[str, Any]]:
    store = BpoStore(hass)
    meta, records = await store.load()
    return store, meta, {r["id"]: r for r in records}


async def test_round_trip_in_the_config_folder(hass: HomeAssistant, storage: Path) -> None:
    store = BpoStore(hass)
    assert await store.load() == (None, [])
    await store.commit({"a": rec("a"), "b": rec("b")}, {"counter": 2})
    await store.save_instance("a", rec("a", 1))
    await store.delete_instance("b")
    _, meta, records = await loaded(hass)
    assert meta == {"counter": 2} and records == {"a": rec("a", 1)}
    assert sorted(p.name for p in (storage / "bpo").iterdir()) == ["journal.log"]


async def test_write_before_load_keeps_existing_records(hass: HomeAssistant, storage: Path) -> None:
    await BpoStore(hass).save_instance("a", rec("a"))
    await BpoStore(hass).save_instance("b", rec("b"))  # no load() first: must not wipe "a"
    assert sorted((await loaded(hass))[2]) == ["a", "b"]


async def test_v1_install_migrates_without_loss(hass: HomeAssistant, storage: Path) -> None:
    install_v1(storage)
    old = {
        iid: rec
        for path in FIXTURE.glob("bpo.shard_??")
        for iid, rec in json.loads(path.read_text())["data"]["instances"].items()
    }
    old_meta = json.loads((FIXTURE / "bpo.meta").read_text())["data"]["meta"]

    store, meta, records = await loaded(hass)

    assert records == old and sorted(records) == ["i1", "i2", "i3"]
    assert meta == old_meta and meta["counter"] == 3
    assert store.migrated == 3 and store.stats()["migrated_from_v1"] == 3
    # the old files left HA's folder for a backup beside the new state
    assert not list(storage.glob("bpo.shard_*")) and not list(storage.glob("bpo.meta*"))
    assert sorted(p.name for p in (storage / "bpo" / LEGACY_BACKUP).iterdir()) == sorted(
        p.name for p in FIXTURE.iterdir()
    )
    # the next start reads the new files only, and a write lands in the journal
    again, meta2, records2 = await loaded(hass)
    assert (records2, meta2, again.migrated) == (old, old_meta, None)
    await again.save_instance("i2", {**old["i2"], "status": "cancelled"})
    assert (await loaded(hass))[2]["i2"]["status"] == "cancelled"


async def test_interrupted_migration_is_finished_not_repeated(hass: HomeAssistant, storage: Path) -> None:
    install_v1(storage)
    store = BpoStore(hass)
    await store.load()
    await store.save_instance("i2", rec("i2", 9))
    # as if bpo died after the snapshot was written but before the old files were moved away
    install_v1(storage)
    _, _, records = await loaded(hass)
    assert records["i2"] == rec("i2", 9)  # the old files were not imported a second time
    assert not list(storage.glob("bpo.shard_*"))


async def test_v1_corrupt_shard_uses_its_last_good_copy(hass: HomeAssistant, storage: Path) -> None:
    install_v1(storage)
    (storage / "bpo.shard_11").write_text('{"version": 1, "data": {"instances": [')  # torn write
    store, _, records = await loaded(hass)
    assert sorted(records) == ["i1", "i2", "i3"]
    assert [t["step"] for t in records["i1"]["tasks"]] == ["report"]  # i1 as of its previous save
    assert "completed_at" not in records["i1"]["tasks"][0]
    [note] = store.recovered
    assert note.startswith("bpo.shard_11: invalid JSON") and note.endswith(
        "restored from bpo.shard_11.last_good"
    )


@pytest.mark.parametrize("case", ["corrupt-no-copy", "newer-version"])
async def test_v1_unreadable_refuses_to_start(hass: HomeAssistant, storage: Path, case: str) -> None:
    install_v1(storage)
    if case == "corrupt-no-copy":
        (storage / "bpo.shard_17").write_text("garbage")
        with pytest.raises(StoreCorrupted) as err:
            await BpoStore(hass).load()
        assert err.value.files == ["bpo.shard_17"]
        assert err.value.translation_key == "store_corrupted"
    else:
        (storage / "bpo.meta").write_text(json.dumps({"version": 2, "key": "bpo.meta", "data": {"meta": {}}}))
        with pytest.raises(StoreVersionError) as err2:
            await BpoStore(hass).load()
        assert err2.value.translation_key == "store_too_new"
    assert (storage / "bpo.shard_11").exists()  # evidence left where it was
    assert not (storage / "bpo" / "snapshot.json").exists()


async def test_failed_write_raises_translated_error(hass: HomeAssistant, storage: Path) -> None:
    store = BpoStore(hass)
    await store.save_instance("a", rec("a"))
    with pytest.raises(StoreWriteError) as err:
        await store.save_instance("a", {"id": "a", "bad": object()})
    assert err.value.translation_key == "save_failed"
    await store.save_instance("a", rec("a", 5))  # still writable
    assert (await loaded(hass))[2]["a"]["step"] == 5


async def test_remove_deletes_our_files_only(hass: HomeAssistant, storage: Path) -> None:
    install_v1(storage)
    store = BpoStore(hass)
    await store.load()
    await store.save_many({f"i{i}": rec(f"i{i}") for i in range(40)})
    (storage / "core.config").write_text("{}")  # not ours
    await store.async_remove()
    assert [p.name for p in storage.iterdir()] == ["core.config"]
    assert await BpoStore(hass).load() == (None, [])


async def test_recovery_issue_names_the_files(hass: HomeAssistant) -> None:
    async_raise_recovery_issue(hass, [])
    assert ir.async_get(hass).async_get_issue(DOMAIN, "store_recovered") is None
    async_raise_recovery_issue(hass, ["snapshot.json: invalid JSON; restored from snapshot.last_good.json"])
    issue = ir.async_get(hass).async_get_issue(DOMAIN, "store_recovered")
    assert issue is not None and issue.severity is ir.IssueSeverity.WARNING
    assert issue.translation_placeholders == {
        "files": "snapshot.json: invalid JSON; restored from snapshot.last_good.json"
    }

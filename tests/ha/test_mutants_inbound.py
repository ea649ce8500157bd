"""The inbound webhook's edges, pinned down where the mutation run found them loose (issue 16): how it is
registered, the exact body and timestamp limits, what each refusal answers and logs, how long a replay is
remembered, and what an engine failure answers."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.network import get_url

from custom_components.bpo.connectors.base import sign_body
from custom_components.bpo.engine.runtime_errors import EngineError

from .helpers import World, async_setup_world
from .test_inbound_hardening import INTAKE, SECRET, intake, seen_file, signed, write_inbound

pytestmark = pytest.mark.usefixtures("socket_enabled")

NOW = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
STAMP = int(NOW.timestamp())
LOGGER = "custom_components.bpo.inbound"


def event(ref: str = "R1", name: str = "contact_received") -> bytes:
    return json.dumps({"event": name, "data": {"ref": ref}}).encode()


def padded(size: int) -> bytes:
    """A valid body of exactly ``size`` bytes (JSON allows trailing spaces)."""
    body = event("P")
    assert len(body) <= size
    return body + b" " * (size - len(body))


async def setup(hass: HomeAssistant, tmp_path: Path, extra: str = "") -> tuple[World, str]:
    write_inbound(tmp_path, extra)
    world = await async_setup_world(hass, blueprints={"intake.yaml": INTAKE})
    return world, f"/api/webhook/{world.entry.options['webhook_id']}"


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno >= logging.WARNING]


async def test_the_webhook_takes_posts_only_from_the_local_network_by_default(
    hass: HomeAssistant, hass_client_no_auth: Any, hass_ws_client: Any, tmp_path: Path
) -> None:
    world, url = await setup(hass, tmp_path)
    ws = await hass_ws_client(hass)
    await ws.send_json({"id": 1, "type": "webhook/list"})
    answer = await ws.receive_json()
    assert answer["success"]
    [ours] = [w for w in answer["result"] if w["domain"] == "bpo"]
    assert ours == {
        "webhook_id": world.entry.options["webhook_id"],
        "domain": "bpo",
        "name": "BPO Workflows inbound events",
        "local_only": True,
        "allowed_methods": ["POST"],
    }
    client = await hass_client_no_auth()
    assert (await client.get(url)).status == 405
    assert intake(world) == []


async def test_local_only_false_opens_it_to_the_outside(
    hass: HomeAssistant, hass_ws_client: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger=LOGGER):
        await setup(hass, tmp_path, "  local_only: false\n")
    ws = await hass_ws_client(hass)
    await ws.send_json({"id": 1, "type": "webhook/list"})
    [ours] = [w for w in (await ws.receive_json())["result"] if w["domain"] == "bpo"]
    assert ours["local_only"] is False
    [announced] = [
        r.getMessage() for r in caplog.records if r.name == LOGGER and "listening" in r.getMessage()
    ]
    assert "(reachable from outside;" in announced and "X-Bpo-Signature" in announced


async def test_the_announcement_names_the_url_without_the_id(
    hass: HomeAssistant, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger=LOGGER):
        world, _ = await setup(hass, tmp_path)
    [announced] = [
        r.getMessage() for r in caplog.records if r.name == LOGGER and "listening" in r.getMessage()
    ]
    base = get_url(hass)
    assert announced == (
        f"bpo inbound webhook is listening at {base}/api/webhook/<webhook_id> (local network only; the id is "
        "the bpo entry's webhook_id option; requests must carry X-Bpo-Signature)"
    )
    assert world.entry.options["webhook_id"] not in caplog.text


async def test_with_a_known_address_the_announcement_gives_the_full_url(
    hass: HomeAssistant, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await hass.config.async_update(internal_url="http://ha.local:8123")
    with caplog.at_level(logging.INFO, logger=LOGGER):
        world, _ = await setup(hass, tmp_path)
    assert "listening at http://ha.local:8123/api/webhook/<webhook_id> (" in caplog.text
    assert world.entry.options["webhook_id"] not in caplog.text


@pytest.mark.parametrize("broken", ["", 12345])
async def test_an_empty_webhook_id_option_is_replaced_by_a_new_one(
    hass: HomeAssistant, tmp_path: Path, broken: Any
) -> None:
    """An unusable id is replaced, the entry's other options stay, and a good id survives a reload."""
    write_inbound(tmp_path)
    world = await async_setup_world(hass, blueprints={"intake.yaml": INTAKE})
    first = world.entry.options["webhook_id"]
    assert isinstance(first, str) and len(first) > 20
    await hass.services.async_call("bpo", "reload", {}, blocking=True)
    assert world.entry.options["webhook_id"] == first  # the URL the sender knows stays valid
    options = {**world.entry.options, "webhook_id": broken, "other_option": "kept"}
    hass.config_entries.async_update_entry(world.entry, options=options)
    await hass.services.async_call("bpo", "reload", {}, blocking=True)
    second = world.entry.options["webhook_id"]
    assert isinstance(second, str) and second and second != first
    assert world.entry.options["other_option"] == "kept"
    assert second in hass.data["webhook"] and first not in hass.data["webhook"]


@pytest.mark.parametrize("chunked", [False, True])
async def test_a_body_may_be_exactly_max_body_bytes(
    hass: HomeAssistant,
    hass_client_no_auth: Any,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    chunked: bool,
) -> None:
    world, url = await setup(hass, tmp_path, "  max_body: 200\n")
    client = await hass_client_no_auth()

    def post(body: bytes) -> Any:
        headers = {"X-Bpo-Signature": sign_body(SECRET, body)}
        if not chunked:
            return client.post(url, data=body, headers=headers)

        async def pieces() -> AsyncIterator[bytes]:  # no Content-Length: the size is only known by reading
            for start in range(0, len(body), 50):
                yield body[start : start + 50]

        return client.post(url, data=pieces(), headers=headers)

    over = await post(padded(201))
    assert over.status == 413 and await over.json() == {"error": "body too large"}
    assert warnings(caplog) == ["Rejected bpo inbound event from 127.0.0.1: body over 200 bytes"]
    assert intake(world) == []
    assert (await post(padded(200))).status == 202
    assert len(intake(world)) == 1


async def test_refusals_answer_and_log_why(
    hass: HomeAssistant, hass_client_no_auth: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    world, url = await setup(hass, tmp_path, "  events: [contact_received]\n")
    client = await hass_client_no_auth()
    body = event()

    async def answer(**kwargs: Any) -> tuple[int, Any]:
        caplog.clear()
        resp = await client.post(url, **kwargs)
        return resp.status, await resp.json()

    assert await answer(data=body) == (401, {"error": "invalid signature"})
    assert warnings(caplog) == ["Rejected bpo inbound event from 127.0.0.1: missing signature"]
    assert await answer(data=body, headers={"X-Bpo-Signature": sign_body("another-secret-0123", body)}) == (
        401,
        {"error": "invalid signature"},
    )
    assert warnings(caplog) == ["Rejected bpo inbound event from 127.0.0.1: bad signature"]
    for bad in ("soon", "-5", "1.5"):
        headers = {"X-Bpo-Signature": sign_body(SECRET, body), "X-Bpo-Timestamp": bad}
        assert await answer(data=body, headers=headers) == (
            401,
            {"error": "X-Bpo-Timestamp must be unix seconds"},
        )
        assert warnings(caplog) == ["Rejected bpo inbound event from 127.0.0.1: bad timestamp"]
    other = event(name="other")
    assert await answer(**signed(other)) == (403, {"error": "event type not accepted"})
    assert warnings(caplog) == ["Rejected bpo inbound event 'other' from 127.0.0.1: not in inbound.events"]
    status, reply = await answer(**signed(b'{"data": {}}'))
    assert status == 400 and reply["error"]
    assert warnings(caplog) == [f"Rejected bpo inbound event from 127.0.0.1: {reply['error']}"]
    assert intake(world) == []
    assert not Path(hass.config.path(".storage", "bpo.inbound_seen")).exists()


async def test_a_required_timestamp_that_is_missing_is_named(
    hass: HomeAssistant, hass_client_no_auth: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    world, url = await setup(hass, tmp_path, "  require_timestamp: true\n")
    client = await hass_client_no_auth()
    resp = await client.post(url, **signed(event()))
    assert resp.status == 401 and await resp.json() == {"error": "X-Bpo-Timestamp must be unix seconds"}
    assert warnings(caplog) == ["Rejected bpo inbound event from 127.0.0.1: no timestamp"]
    assert intake(world) == []


async def test_timestamps_may_be_off_by_exactly_max_age(
    hass: HomeAssistant,
    hass_client_no_auth: Any,
    tmp_path: Path,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    freezer.move_to(NOW)
    world, url = await setup(hass, tmp_path, "  max_age: 60\n")
    client = await hass_client_no_auth()
    for stamp in (STAMP - 61, STAMP + 61):
        caplog.clear()
        resp = await client.post(url, **signed(event(f"off{stamp}"), stamp))
        assert resp.status == 401 and await resp.json() == {"error": "timestamp too old or in the future"}
        assert warnings(caplog) == [
            f"Rejected bpo inbound event from 127.0.0.1: timestamp {STAMP - stamp} s off (max_age 60)"
        ]
    assert intake(world) == []
    for n, stamp in enumerate((STAMP - 60, STAMP + 60, STAMP)):
        assert (await client.post(url, **signed(event(f"ok{n}"), stamp))).status == 202
    assert len(intake(world)) == 3
    # a timestamped signature is remembered for twice max_age: older copies are refused by their stamp anyway
    assert {row[1] for row in seen_file(hass)["data"]["seen"]} == {STAMP + 120}


async def test_an_unstamped_signature_is_remembered_for_a_day(
    hass: HomeAssistant, hass_client_no_auth: Any, tmp_path: Path, freezer: FrozenDateTimeFactory
) -> None:
    freezer.move_to(NOW)
    world, url = await setup(hass, tmp_path)
    client = await hass_client_no_auth()
    request = signed(event())
    first = await client.post(url, **request)
    (inst,) = intake(world)
    assert first.status == 202 and await first.json() == {"accepted": True, "instances": [inst.id]}
    [row] = seen_file(hass)["data"]["seen"]
    assert row == [request["headers"]["X-Bpo-Signature"], STAMP + 24 * 3600, [inst.id]]


async def test_an_engine_failure_answers_503_and_is_not_remembered(
    hass: HomeAssistant,
    hass_client_no_auth: Any,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world, url = await setup(hass, tmp_path)
    client = await hass_client_no_auth()

    async def broken(fn: Any) -> Any:
        raise EngineError("the store refused the commit")

    monkeypatch.setattr(world.manager, "async_run", broken)
    resp = await client.post(url, **signed(event()))
    assert resp.status == 503 and await resp.json() == {"error": "not stored, retry later"}
    errors = [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno >= logging.ERROR]
    assert errors == [
        "bpo inbound event 'contact_received' could not be processed: the store refused the commit"
    ]
    assert not Path(hass.config.path(".storage", "bpo.inbound_seen")).exists()
    monkeypatch.undo()
    assert (await client.post(url, **signed(event()))).status == 202  # the sender's retry goes through
    assert len(intake(world)) == 1


async def test_an_unexpected_error_answers_500_naming_only_its_type(
    hass: HomeAssistant,
    hass_client_no_auth: Any,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world, url = await setup(hass, tmp_path)
    client = await hass_client_no_auth()

    async def broken(fn: Any) -> Any:
        raise KeyError("Taro Yamada")  # a message that could quote the body

    monkeypatch.setattr(world.manager, "async_run", broken)
    resp = await client.post(url, **signed(event()))
    assert resp.status == 500 and await resp.json() == {"error": "not stored, retry later"}
    errors = [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno >= logging.ERROR]
    assert errors == ["bpo inbound request failed unexpectedly: KeyError"]
    assert "Taro" not in caplog.text


async def test_a_cloud_relayed_refusal_names_the_cloud(
    hass: HomeAssistant, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from homeassistant.components.webhook import async_handle_webhook
    from homeassistant.util.aiohttp import MockRequest

    world, _ = await setup(hass, tmp_path, "  max_body: 100\n")
    request = MockRequest(padded(101), "cloud", method="POST", headers={"X-Bpo-Signature": "sha256=00"})
    resp = await async_handle_webhook(hass, world.entry.options["webhook_id"], request)
    assert resp.status == 413
    assert warnings(caplog) == ["Rejected bpo inbound event from Home Assistant Cloud: body over 100 bytes"]
    body = padded(100)
    ok = MockRequest(body, "cloud", method="POST", headers={"X-Bpo-Signature": sign_body(SECRET, body)})
    assert (await async_handle_webhook(hass, world.entry.options["webhook_id"], ok)).status == 202


async def test_whitespace_around_relayed_headers_is_ignored(
    hass: HomeAssistant, tmp_path: Path, freezer: FrozenDateTimeFactory
) -> None:
    """A cloud-relayed request keeps header whitespace (aiohttp's parser strips it, MockRequest does not):
    a padded signature and timestamp are accepted, and the same request unpadded is its replay."""
    from homeassistant.components.webhook import async_handle_webhook
    from homeassistant.util.aiohttp import MockRequest

    freezer.move_to(NOW)
    world, _ = await setup(hass, tmp_path)
    hook = world.entry.options["webhook_id"]
    body = event("W1")
    signature = sign_body(SECRET, body, STAMP)
    padded_headers = {"X-Bpo-Signature": f"  {signature} ", "X-Bpo-Timestamp": f" {STAMP} "}
    first = await async_handle_webhook(
        hass, hook, MockRequest(body, hook, method="POST", headers=padded_headers)
    )
    (inst,) = intake(world)
    assert first.status == 202
    assert json.loads(first.body) == {"accepted": True, "instances": [inst.id]}
    [row] = seen_file(hass)["data"]["seen"]
    assert row[0] == signature  # remembered without the padding
    plain = {"X-Bpo-Signature": signature, "X-Bpo-Timestamp": str(STAMP)}
    again = await async_handle_webhook(hass, hook, MockRequest(body, hook, method="POST", headers=plain))
    assert again.status == 202
    assert json.loads(again.body) == {"accepted": True, "duplicate": True, "instances": [inst.id]}
    assert len(intake(world)) == 1


async def test_replay_record_failures_and_duplicates_are_logged(
    hass: HomeAssistant, hass_client_no_auth: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The admin learns why an applied event was answered 503 (its replay record could not be written,
    first on the delivery, then on the retry) and that the successful retry was not applied again."""
    from custom_components.bpo.inbound_seen import STORAGE_KEY

    world, url = await setup(hass, tmp_path)
    client = await hass_client_no_auth()
    blocker = Path(hass.config.path(".storage", STORAGE_KEY))
    blocker.mkdir(parents=True)  # a directory where the file goes: the write fails
    request = signed(event("F1"))

    def logged(level: int) -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno == level]

    caplog.clear()
    first = await client.post(url, **request)
    assert first.status == 503 and await first.json() == {"error": "not stored, retry later"}
    [error] = logged(logging.ERROR)
    assert error.startswith(
        "bpo inbound event 'contact_received' applied, but its replay record was not written: "
        f"could not write {STORAGE_KEY}"
    )
    caplog.clear()
    retry = await client.post(url, **request)
    assert retry.status == 503 and await retry.json() == {"error": "not stored, retry later"}
    [error] = logged(logging.ERROR)
    assert error.startswith(f"bpo inbound replay memory could not be written: could not write {STORAGE_KEY}")
    blocker.rmdir()
    with caplog.at_level(logging.INFO, logger=LOGGER):
        caplog.clear()
        assert (await client.post(url, **request)).status == 202
        assert logged(logging.INFO) == [
            "bpo inbound request from 127.0.0.1 was already accepted; not applied again"
        ]
        assert logged(logging.ERROR) == []
    assert len(intake(world)) == 1


@pytest.mark.parametrize("stamp", ["\u00b2", "\u0661\u0662"])
async def test_a_timestamp_in_other_digits_is_refused_as_not_unix_seconds(
    hass: HomeAssistant,
    hass_client_no_auth: Any,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    stamp: str,
) -> None:
    """``str.isdigit`` accepts superscripts and other scripts' digits; the header must be ASCII digits.
    A superscript used to reach ``int()`` and fail there, answering 500 (so the sender retried forever)."""
    from homeassistant.components.webhook import async_handle_webhook
    from homeassistant.util.aiohttp import MockRequest

    world, _ = await setup(hass, tmp_path)
    hook = world.entry.options["webhook_id"]
    body = event("U1")
    headers = {"X-Bpo-Signature": sign_body(SECRET, body), "X-Bpo-Timestamp": stamp}
    resp = await async_handle_webhook(hass, hook, MockRequest(body, hook, method="POST", headers=headers))
    assert resp.status == 401
    assert json.loads(resp.body) == {"error": "X-Bpo-Timestamp must be unix seconds"}
    assert warnings(caplog) == ["Rejected bpo inbound event from Home Assistant Cloud: bad timestamp"]
    assert intake(world) == []


async def test_data_that_do_not_fit_the_fields_are_refused_and_logged_without_the_value(
    hass: HomeAssistant, hass_client_no_auth: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The signed webhook starts strictly: the sender gets 400 naming the field, the admin a warning with
    event, sender and field (never the value), and nothing is started or remembered."""
    from .test_inbound_hardening import ORDER

    write_inbound(tmp_path)
    world = await async_setup_world(hass, blueprints={"order.yaml": ORDER})
    client = await hass_client_no_auth()
    url = f"/api/webhook/{world.entry.options['webhook_id']}"
    body = json.dumps({"event": "order_received", "data": {"ref": "O9", "amount": "Taro"}}).encode()
    resp = await client.post(url, **signed(body))
    assert resp.status == 400
    assert await resp.json() == {"error": "process 'order': amount: expected a number"}
    assert warnings(caplog) == [
        "Rejected bpo inbound event 'order_received' from 127.0.0.1: "
        "process 'order': amount: expected a number"
    ]
    assert "Taro" not in caplog.text
    assert list(world.manager.engine.instances(process="order")) == []
    assert not Path(hass.config.path(".storage", "bpo.inbound_seen")).exists()


async def test_a_declared_oversized_body_is_refused_without_waiting_for_it(
    hass: HomeAssistant, hass_client_no_auth: Any, tmp_path: Path
) -> None:
    """A Content-Length over max_body is refused at once: the sender need not upload (nor we wait for)
    the megabyte it announced."""
    import asyncio

    world, url = await setup(hass, tmp_path, "  max_body: 200\n")
    client = await hass_client_no_auth()
    reader, writer = await asyncio.open_connection(client.server.host, client.server.port)
    writer.write(
        f"POST {url} HTTP/1.1\r\nHost: ha\r\nContent-Length: 1000000\r\n"
        "X-Bpo-Signature: sha256=00\r\n\r\n".encode()
    )
    await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), timeout=5)
    writer.close()
    assert status_line.startswith(b"HTTP/1.1 413")
    assert intake(world) == []


async def test_a_reload_keeps_the_replay_memory_that_could_not_be_written(
    hass: HomeAssistant, hass_client_no_auth: Any, tmp_path: Path
) -> None:
    """The webhook is rebuilt on every reload, but the replay memory is handed over, not re-read: a
    signature applied while its record could not be written lives only in memory, and the retry after a
    reload must still be answered "duplicate" rather than applied a second time."""
    from custom_components.bpo.inbound_seen import STORAGE_KEY

    world, url = await setup(hass, tmp_path)
    client = await hass_client_no_auth()
    blocker = Path(hass.config.path(".storage", STORAGE_KEY))
    blocker.mkdir(parents=True)  # a directory where the file goes: the write fails
    request = signed(event("K1"))
    assert (await client.post(url, **request)).status == 503
    (inst,) = intake(world)
    blocker.rmdir()
    await hass.services.async_call("bpo", "reload", {}, blocking=True)
    retry = await client.post(url, **request)
    assert retry.status == 202
    assert await retry.json() == {"accepted": True, "duplicate": True, "instances": [inst.id]}
    assert len(intake(world)) == 1


async def test_without_a_known_address_the_announcement_gives_the_path(
    hass: HomeAssistant, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """When HA knows no address of its own (``get_url`` finds none), the admin is told the path to
    append, still with the id left out."""
    from unittest.mock import patch

    from homeassistant.helpers.network import NoURLAvailableError

    with (
        patch("homeassistant.components.webhook.get_url", side_effect=NoURLAvailableError),
        caplog.at_level(logging.INFO, logger=LOGGER),
    ):
        world, _ = await setup(hass, tmp_path)
    [announced] = [
        r.getMessage() for r in caplog.records if r.name == LOGGER and "listening" in r.getMessage()
    ]
    assert announced.startswith("bpo inbound webhook is listening at /api/webhook/<webhook_id> (")
    assert world.entry.options["webhook_id"] not in caplog.text

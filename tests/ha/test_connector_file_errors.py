"""A wrong ``bpo_connectors.yaml`` is refused with a message naming the file and the key at fault."""

from __future__ import annotations

from typing import Any

import pytest
from homeassistant.core import HomeAssistant

from custom_components.bpo.connector_config import ConnectorFileError, parse_setup

SECRET = "s" * 16
CASES: dict[str, tuple[Any, str]] = {
    "not a mapping": (
        ["http"],
        "bpo_connectors.yaml: expected a mapping with any of fleet:, http:, inbound:, intune:, jamf:",
    ),
    "unknown top key": ({"htp": {}}, "bpo_connectors.yaml: unknown keys: htp"),
    "http not a mapping": ({"http": ["crm"]}, "bpo_connectors.yaml: http must map connector names"),
    "inbound not a mapping": (
        {"inbound": "x"},
        "bpo_connectors.yaml: inbound must be a mapping with a secret",
    ),
    "inbound unknown key": ({"inbound": {"secret": SECRET, "port": 1}}, "inbound: unknown keys: port"),
    "short secret": ({"inbound": {"secret": "short"}}, "inbound.secret must be a string of at least 16"),
    "local_only": (
        {"inbound": {"secret": SECRET, "local_only": "yes"}},
        "inbound.local_only must be true or",
    ),
    "max_body": ({"inbound": {"secret": SECRET, "max_body": 0}}, "inbound.max_body must be 1.."),
    "max_body bool": ({"inbound": {"secret": SECRET, "max_body": True}}, "inbound.max_body must be 1.."),
    "events": ({"inbound": {"secret": SECRET, "events": "one"}}, "inbound.events must be a list of event"),
    "max_age": ({"inbound": {"secret": SECRET, "max_age": 10**9}}, "inbound.max_age must be 1.."),
    "require_timestamp": (
        {"inbound": {"secret": SECRET, "require_timestamp": 1}},
        "inbound.require_timestamp must be true or false",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
async def test_wrong_file_names_the_key(hass: HomeAssistant, case: str) -> None:
    raw, message = CASES[case]
    with pytest.raises(ConnectorFileError) as err:
        parse_setup(hass, raw)
    assert message in str(err.value)
    assert SECRET not in str(err.value)  # a secret never reaches a message


async def test_a_good_file_passes(hass: HomeAssistant) -> None:
    setup = parse_setup(hass, {"inbound": {"secret": SECRET, "events": ["contact_received"], "max_age": 60}})
    assert setup.inbound is not None and setup.inbound.events == frozenset({"contact_received"})
    assert setup.inbound.max_age == 60 and setup.inbound.local_only is True

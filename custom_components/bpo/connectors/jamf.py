"""Jamf Pro: computers (``/api/v1/computers-inventory``), mobile devices (``/api/v2/mobile-devices/detail``).

An API client (Settings → API roles and clients) trades its client id and secret for a bearer token at
``POST /api/oauth/token`` (the client-credentials endpoint Jamf documents since 10.49; ``/api/v1/auth/token``
is the older user-password one). Both lists are paged with ``page`` / ``page-size`` and answer
``{"totalCount": n, "results": [...]}``; they are sorted by id so devices added mid-sync cannot shift a
page under us. Jamf Pro has no compliance verdict of its own: bpo derives one from FileVault / data
protection and management state (see ``docs/connectors.md``). Pure.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp

from .mdm import (
    BearerApi,
    ClientCredentials,
    MdmConnector,
    MdmDevice,
    boolean,
    check_keys,
    check_url,
    common_options,
    derive_compliance,
    flag,
    owner,
    page_size,
    pages_by_number,
    path,
    require_text,
    text,
    timestamp,
)

TOKEN_PATH = "/api/oauth/token"
COMPUTERS_PATH = "/api/v1/computers-inventory"
MOBILE_PATH = "/api/v2/mobile-devices/detail"
COMPUTER_SECTIONS: tuple[str, ...] = (
    "GENERAL",
    "HARDWARE",
    "DISK_ENCRYPTION",
    "OPERATING_SYSTEM",
    "USER_AND_LOCATION",
)
MOBILE_SECTIONS: tuple[str, ...] = ("GENERAL", "HARDWARE", "USER_AND_LOCATION", "SECURITY")
MAX_PAGE_SIZE = 2000  # Jamf's own limit for page-size
CONFIG_KEYS = frozenset(
    {"base_url", "client_id", "client_secret", "mobile_devices", "page_size", "timeout", "retries"}
)
# bootPartitionEncryptionDetails.partitionFileVault2State: only ENCRYPTED is a finished encryption;
# UNKNOWN (or no DISK_ENCRYPTION section) says nothing.
FILEVAULT_ON = "ENCRYPTED"


def filevault(computer: Mapping[str, Any]) -> bool | None:
    state = text(
        path(computer, "diskEncryption", "bootPartitionEncryptionDetails", "partitionFileVault2State")
    )
    if state is None or state == "UNKNOWN":
        return None
    return state == FILEVAULT_ON


def computer_device(item: Mapping[str, Any]) -> MdmDevice | None:
    jamf_id = text(item.get("id"))
    if jamf_id is None:
        return None
    encrypted = filevault(item)
    managed = flag(path(item, "general", "remoteManagement", "managed"))
    compliant, failing = derive_compliance({"FileVault": encrypted, "managed": managed})
    return MdmDevice(
        source="jamf",
        vendor_id=f"computer:{jamf_id}",
        name=text(path(item, "general", "name")) or f"computer {jamf_id}",
        serial=text(path(item, "hardware", "serialNumber")),
        owner=owner(path(item, "userAndLocation", "email")),
        platform=text(path(item, "operatingSystem", "name")) or "macOS",
        os_version=text(path(item, "operatingSystem", "version")),
        compliant=compliant,
        encrypted=encrypted,
        last_check_in=timestamp(path(item, "general", "lastContactTime")),
        managed=managed,
        failing_policies=failing,
    )


def mobile_device(item: Mapping[str, Any]) -> MdmDevice | None:
    jamf_id = text(item.get("mobileDeviceId"))
    if jamf_id is None:
        return None
    encrypted = flag(path(item, "security", "dataProtected"))
    managed = flag(path(item, "general", "managed"))
    compliant, failing = derive_compliance({"data protection": encrypted, "managed": managed})
    return MdmDevice(
        source="jamf",
        vendor_id=f"mobile:{jamf_id}",
        name=text(path(item, "general", "displayName")) or f"mobile device {jamf_id}",
        serial=text(path(item, "hardware", "serialNumber")),
        owner=owner(path(item, "userAndLocation", "emailAddress")),
        platform=text(item.get("deviceType")),
        os_version=text(path(item, "general", "osVersion")),
        compliant=compliant,
        encrypted=encrypted,
        last_check_in=timestamp(path(item, "general", "lastInventoryUpdateDate")),
        managed=managed,
        failing_policies=failing,
    )


class JamfConnector(MdmConnector):
    """Computers, then (unless ``mobile_devices`` is false) mobile devices of one Jamf Pro server."""

    source = "jamf"

    def __init__(
        self,
        name: str,
        session: aiohttp.ClientSession,
        *,
        base_url: str,
        client_id: str,
        client_secret: str,
        mobile_devices: bool = True,
        page_size: int = 100,
        **options: Any,
    ) -> None:
        super().__init__(name, session, secrets=[client_secret], **options)
        self.base_url = base_url.rstrip("/")
        self.mobile_devices = mobile_devices
        self.page_size = page_size
        self.credentials = ClientCredentials(
            self.http,
            self.base_url + TOKEN_PATH,
            {"client_id": client_id, "client_secret": client_secret, "grant_type": "client_credentials"},
            self.now,
        )
        self.api = BearerApi(self.http, self.credentials)

    @classmethod
    def from_config(
        cls, name: str, session: aiohttp.ClientSession, config: Mapping[str, Any], **kwargs: Any
    ) -> JamfConnector:
        """Build from one ``jamf:`` entry of ``bpo_connectors.yaml``; errors name the key, never a value."""
        config = check_keys(config, CONFIG_KEYS)
        return cls(
            name,
            session,
            base_url=check_url(require_text(config, "base_url"), "base_url"),
            client_id=require_text(config, "client_id"),
            client_secret=require_text(config, "client_secret"),
            mobile_devices=boolean(config, "mobile_devices", True),
            page_size=page_size(config, 100, MAX_PAGE_SIZE),
            **common_options(config),
            **kwargs,
        )

    async def devices(self) -> AsyncIterator[MdmDevice]:
        lists = [(COMPUTERS_PATH, COMPUTER_SECTIONS, "id:asc", computer_device)]
        if self.mobile_devices:
            lists.append((MOBILE_PATH, MOBILE_SECTIONS, "mobileDeviceId:asc", mobile_device))
        for list_path, sections, sort, convert in lists:
            items = pages_by_number(
                self.api,
                self.base_url + list_path,
                params=[*(("section", s) for s in sections), ("sort", sort)],
                items_key="results",
                page_param="page",
                size_param="page-size",
                size=self.page_size,
                total_key="totalCount",
            )
            async for item in items:
                device = convert(item)
                if device is not None:
                    yield device

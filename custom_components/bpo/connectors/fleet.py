"""FleetDM: ``GET /api/v1/fleet/hosts`` with ``page`` / ``per_page``, policies and owner e-mails inline. Pure.

The list is asked with ``populate_policies=true`` (each host's ``policies[].response``, ``"pass"`` /
``"fail"`` / ``""`` for not yet run) and ``device_mapping=true`` (owner e-mails), ordered by id so hosts
enrolling mid-sync cannot shift a page. Disk encryption (``disk_encryption_enabled``) is only in the
single-host answer ``GET /api/v1/fleet/hosts/{id}``; with ``host_details`` (the default) it is fetched
for each host, a few at a time. The API token is a Fleet API-only user's token, sent as a bearer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp

from .base import PermanentError
from .mdm import (
    BearerApi,
    MdmConnector,
    MdmDevice,
    boolean,
    check_keys,
    check_url,
    common_options,
    flag,
    owner,
    page_size,
    pages_by_number,
    path,
    require_text,
    text,
    timestamp,
)

HOSTS_PATH = "/api/v1/fleet/hosts"
MAX_PAGE_SIZE = 500  # larger pages with inline policies make answers of many megabytes
DETAIL_CONCURRENCY = 4  # single-host requests in flight at once: polite to the server, still fast
CONFIG_KEYS = frozenset({"base_url", "token", "page_size", "host_details", "timeout", "retries"})


def managed_state(host: Mapping[str, Any]) -> bool | None:
    """``mdm.enrollment_status``: "On (manual)" / "On (automatic)" are managed, "Off" / "Pending" not."""
    status = text(path(host, "mdm", "enrollment_status"))
    if status is None:
        return None
    return status.lower().startswith("on")


def policy_results(host: Mapping[str, Any]) -> tuple[bool | None, tuple[str, ...]]:
    """Compliant when at least one policy ran and none failed; the failing policies' names."""
    policies = host.get("policies")
    if not isinstance(policies, list):
        return None, ()
    answered = [p for p in policies if isinstance(p, Mapping) and p.get("response") in ("pass", "fail")]
    failing = tuple(
        text(p.get("name")) or f"policy {p.get('id')}" for p in answered if p["response"] == "fail"
    )
    if failing:
        return False, failing
    return (True, ()) if answered else (None, ())


def first_email(host: Mapping[str, Any]) -> str | None:
    mapping = host.get("device_mapping")
    if isinstance(mapping, list):
        for entry in mapping:
            found = owner(path(entry, "email"))
            if found:
                return found
    return None


def to_device(host: Mapping[str, Any], encrypted: bool | None) -> MdmDevice | None:
    host_id = text(host.get("id"))
    if host_id is None:
        return None
    compliant, failing = policy_results(host)
    return MdmDevice(
        source="fleet",
        vendor_id=host_id,
        name=text(host.get("display_name")) or text(host.get("hostname")) or f"host {host_id}",
        serial=text(host.get("hardware_serial")),
        owner=first_email(host),
        platform=text(host.get("platform")),
        os_version=text(host.get("os_version")),
        compliant=compliant,
        encrypted=encrypted,
        last_check_in=timestamp(host.get("seen_time")),
        managed=managed_state(host),
        failing_policies=failing,
    )


class FleetConnector(MdmConnector):
    """Hosts of one Fleet server, with policy results and (optionally fetched) disk encryption."""

    source = "fleet"

    def __init__(
        self,
        name: str,
        session: aiohttp.ClientSession,
        *,
        base_url: str,
        token: str,
        page_size: int = 100,
        host_details: bool = True,
        **options: Any,
    ) -> None:
        super().__init__(name, session, secrets=[token], **options)
        self.base_url = base_url.rstrip("/")
        self.page_size = page_size
        self.host_details = host_details
        self.api = BearerApi(self.http, token)

    @classmethod
    def from_config(
        cls, name: str, session: aiohttp.ClientSession, config: Mapping[str, Any], **kwargs: Any
    ) -> FleetConnector:
        """Build from one ``fleet:`` entry of ``bpo_connectors.yaml``; errors name the key, never a value."""
        config = check_keys(config, CONFIG_KEYS)
        return cls(
            name,
            session,
            base_url=check_url(require_text(config, "base_url"), "base_url"),
            token=require_text(config, "token"),
            page_size=page_size(config, 100, MAX_PAGE_SIZE),
            host_details=boolean(config, "host_details", True),
            **common_options(config),
            **kwargs,
        )

    async def _encryption(self, host_id: str, limit: asyncio.Semaphore) -> bool | None:
        async with limit:
            answer = await self.api.get_json(f"{self.base_url}{HOSTS_PATH}/{host_id}")
        host = answer.get("host") if isinstance(answer, Mapping) else None
        if not isinstance(host, Mapping):
            raise PermanentError(f"{self.name}: host {host_id} answer holds no 'host' object")
        return flag(host.get("disk_encryption_enabled"))  # Fleet leaves it out for Linux when unknown

    async def _page_encryption(self, hosts: list[Mapping[str, Any]]) -> list[bool | None]:
        if not self.host_details:
            return [flag(h.get("disk_encryption_enabled")) for h in hosts]
        limit = asyncio.Semaphore(DETAIL_CONCURRENCY)
        try:
            async with asyncio.TaskGroup() as group:  # one failure cancels the rest of the page
                tasks = [group.create_task(self._encryption(str(h.get("id")), limit)) for h in hosts]
        except ExceptionGroup as failed:  # callers expect the ConnectorError itself, not a group
            raise failed.exceptions[0] from None
        return [task.result() for task in tasks]

    async def devices(self) -> AsyncIterator[MdmDevice]:
        batch: list[Mapping[str, Any]] = []
        items = pages_by_number(
            self.api,
            self.base_url + HOSTS_PATH,
            params=[("populate_policies", "true"), ("device_mapping", "true"), ("order_key", "id")],
            items_key="hosts",
            page_param="page",
            size_param="per_page",
            size=self.page_size,
        )
        async for host in items:
            if text(host.get("id")) is None:
                continue
            batch.append(host)
            if len(batch) == self.page_size:
                for device in await self._convert(batch):
                    yield device
                batch = []
        for device in await self._convert(batch):
            yield device

    async def _convert(self, hosts: list[Mapping[str, Any]]) -> list[MdmDevice]:
        if not hosts:
            return []
        encryption = await self._page_encryption(hosts)
        return [d for h, e in zip(hosts, encryption, strict=True) if (d := to_device(h, e)) is not None]

"""Microsoft Intune through Microsoft Graph: ``/v1.0/deviceManagement/managedDevices``. Pure.

An Entra ID app registration with the application permission ``DeviceManagementManagedDevices.Read.All``
gets a token by the OAuth2 client-credentials grant; the device list is followed through
``@odata.nextLink`` until a page has none. Next links are only followed on the Graph host itself, so the
bearer token never travels to another server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp

from .base import ConnectorConfigError, PermanentError
from .mdm import (
    MAX_PAGES,
    BearerApi,
    ClientCredentials,
    MdmConnector,
    MdmDevice,
    check_keys,
    check_url,
    common_options,
    flag,
    owner,
    require_text,
    text,
    timestamp,
)

GRAPH_URL = "https://graph.microsoft.com"
LOGIN_URL = "https://login.microsoftonline.com"
DEVICES_PATH = "/v1.0/deviceManagement/managedDevices"
SCOPE_SUFFIX = "/.default"
SELECT = (
    "id",
    "deviceName",
    "serialNumber",
    "userPrincipalName",
    "emailAddress",
    "operatingSystem",
    "osVersion",
    "complianceState",
    "isEncrypted",
    "lastSyncDateTime",
    "managementState",
)
CONFIG_KEYS = frozenset(
    {"tenant_id", "client_id", "client_secret", "filter", "graph_url", "login_url", "timeout", "retries"}
)
# complianceState -> compliant. conflict, error, unknown and configManager say nothing either way.
COMPLIANCE = {"compliant": True, "noncompliant": False, "inGracePeriod": False}
# managementState: "unhealthy" is still under management; retire/wipe/delete states are on their way out.
STILL_MANAGED = frozenset({"managed", "unhealthy"})


def to_device(item: Mapping[str, Any]) -> MdmDevice | None:
    """One ``managedDevice`` as an ``MdmDevice``; None without an id (nothing to key it by)."""
    vendor_id = text(item.get("id"))
    if vendor_id is None:
        return None
    state = text(item.get("complianceState"))
    compliant = COMPLIANCE.get(state) if state else None
    management = text(item.get("managementState"))
    return MdmDevice(
        source="intune",
        vendor_id=vendor_id,
        name=text(item.get("deviceName")) or vendor_id,
        serial=text(item.get("serialNumber")),
        owner=owner(item.get("userPrincipalName")) or owner(item.get("emailAddress")),
        platform=text(item.get("operatingSystem")),
        os_version=text(item.get("osVersion")),
        compliant=compliant,
        encrypted=flag(item.get("isEncrypted")),
        last_check_in=timestamp(item.get("lastSyncDateTime")),
        managed=None if management is None else management in STILL_MANAGED,
        failing_policies=(f"complianceState: {state}",) if compliant is False else (),
    )


class IntuneConnector(MdmConnector):
    """Managed devices of one Entra ID tenant. ``filter`` is an OData ``$filter`` passed as is."""

    source = "intune"

    def __init__(
        self,
        name: str,
        session: aiohttp.ClientSession,
        *,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        filter: str | None = None,  # Graph's own word for it
        graph_url: str = GRAPH_URL,
        login_url: str = LOGIN_URL,
        **options: Any,
    ) -> None:
        super().__init__(name, session, secrets=[client_secret], **options)
        self.graph_url = graph_url.rstrip("/")
        self.filter = filter
        token_url = f"{login_url.rstrip('/')}/{quote(tenant_id, safe='')}/oauth2/v2.0/token"
        self.credentials = ClientCredentials(
            self.http,
            token_url,
            {
                "client_id": client_id,
                "client_secret": client_secret,
                "scope": f"{self.graph_url}{SCOPE_SUFFIX}",
                "grant_type": "client_credentials",
            },
            self.now,
        )
        self.api = BearerApi(self.http, self.credentials)

    @classmethod
    def from_config(
        cls, name: str, session: aiohttp.ClientSession, config: Mapping[str, Any], **kwargs: Any
    ) -> IntuneConnector:
        """Build from one ``intune:`` entry of ``bpo_connectors.yaml``; errors name the key, never a value."""
        config = check_keys(config, CONFIG_KEYS)
        found_filter = config.get("filter")
        if found_filter is not None and not isinstance(found_filter, str):
            raise ConnectorConfigError("filter must be an OData $filter string")
        return cls(
            name,
            session,
            tenant_id=require_text(config, "tenant_id"),
            client_id=require_text(config, "client_id"),
            client_secret=require_text(config, "client_secret"),
            filter=found_filter,
            graph_url=check_url(str(config.get("graph_url", GRAPH_URL)), "graph_url"),
            login_url=check_url(str(config.get("login_url", LOGIN_URL)), "login_url"),
            **common_options(config),
            **kwargs,
        )

    def _same_host(self, link: str) -> bool:
        ours, theirs = urlsplit(self.graph_url), urlsplit(link)
        return (ours.scheme, ours.netloc) == (theirs.scheme, theirs.netloc)

    async def devices(self) -> AsyncIterator[MdmDevice]:
        params: list[tuple[str, Any]] = [("$select", ",".join(SELECT))]
        if self.filter:
            params.append(("$filter", self.filter))
        url = self.graph_url + DEVICES_PATH
        followed: set[str] = set()
        for number in range(MAX_PAGES):
            page = await self.api.get_json(url, params if number == 0 else ())  # next links carry the query
            items = page.get("value") if isinstance(page, Mapping) else None
            if not isinstance(items, list):
                raise PermanentError(f"{self.name}: page {number} of {DEVICES_PATH} holds no 'value' list")
            for item in items:
                device = to_device(item) if isinstance(item, Mapping) else None
                if device is not None:
                    yield device
            link = page.get("@odata.nextLink")
            if not isinstance(link, str) or not link:
                return
            url = link
            if not self._same_host(url):
                raise PermanentError(f"{self.name}: @odata.nextLink leads to another host; not followed")
            if url in followed:  # a next link back to a page read before would list the devices for ever
                raise PermanentError(f"{self.name}: @odata.nextLink loops back to a page read before")
            followed.add(url)
        raise PermanentError(f"{self.name}: {DEVICES_PATH} has more than {MAX_PAGES} pages")

"""MDM sync benchmark: ``python benchmarks/mdm_sync.py [--devices 10000]``.

For each connector (Intune, Jamf Pro, Fleet) the vendor fake of the tests (tests/engine/test_mdm_*.py,
each a real aiohttp server speaking the vendor's documented API) serves N devices from a child process on
127.0.0.1, and this process runs ``fetch_devices()`` against it: the whole inventory, every page, the
token requests and (Fleet) one host-detail request per host for disk encryption. Printed per connector:
wall time, devices per second, requests, and the RSS growth of the (fresh, forked) process that ran the
sync (the server's memory is not in it). ``fleet-list`` is Fleet without the per-host detail requests
(``host_details: false``), so disk encryption stays unknown.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
from aiohttp import web

from custom_components.bpo.connectors.fleet import HOSTS_PATH, FleetConnector
from custom_components.bpo.connectors.intune import IntuneConnector
from custom_components.bpo.connectors.jamf import COMPUTERS_PATH, MOBILE_PATH, TOKEN_PATH, JamfConnector
from custom_components.bpo.connectors.mdm import MdmConnector
from tests.engine import test_mdm_fleet as fleet
from tests.engine import test_mdm_intune as intune
from tests.engine import test_mdm_jamf as jamf
from tests.engine.mdm_fakes import VirtualClock


def rss_mb() -> float:
    """Resident set size of this process now (Linux /proc)."""
    pages = int(Path("/proc/self/statm").read_text(encoding="ascii").split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def app_for(vendor: str, n: int) -> tuple[web.Application, Any]:
    clock = VirtualClock()
    app = web.Application()
    if vendor == "intune":
        graph = intune.FakeGraph(clock, [intune.graph_device(i) for i in range(n)], page_size=1000)
        app.router.add_post("/{tenant}/oauth2/v2.0/token", graph.token)
        app.router.add_get(intune.DEVICES, graph.managed_devices)
        return app, graph
    if vendor == "jamf":
        computers = [jamf.computer(i) for i in range(n * 4 // 5)]
        mobiles = [jamf.mobile(i) for i in range(n - len(computers))]
        fake = jamf.FakeJamf(clock, computers, mobiles)
        app.router.add_post(TOKEN_PATH, fake.token)
        app.router.add_get(COMPUTERS_PATH, fake.inventory)
        app.router.add_get(MOBILE_PATH, fake.inventory)
        return app, fake
    hosts = fleet.FakeFleet([fleet.host(i + 1) for i in range(n)], {i + 1: i % 5 != 0 for i in range(n)})
    app.router.add_get(HOSTS_PATH, hosts.list_hosts)
    app.router.add_get(HOSTS_PATH + "/{id}", hosts.get_host)
    return app, hosts


def serve(vendor: str, n: int, pipe: Connection) -> None:
    """Child process: the vendor fake on 127.0.0.1; sends the port, then serves until killed."""

    async def main() -> None:
        app, _fake = app_for(vendor, n)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        pipe.send(runner.addresses[0][1])  # the port the OS chose
        await asyncio.Event().wait()

    asyncio.run(main())


def build(vendor: str, session: aiohttp.ClientSession, root: str) -> MdmConnector:
    if vendor == "intune":
        return IntuneConnector(
            "intune",
            session,
            tenant_id=intune.TENANT,
            client_id=intune.CLIENT_ID,
            client_secret=intune.SECRET,
            graph_url=root,
            login_url=root,
        )
    if vendor == "jamf":
        return JamfConnector(
            "jamf", session, base_url=root, client_id=jamf.CLIENT_ID, client_secret=jamf.SECRET, page_size=500
        )
    details = vendor == "fleet"  # "fleet-list": the list only, without the per-host encryption request
    return FleetConnector(
        "fleet", session, base_url=root, token=fleet.API_TOKEN, page_size=500, host_details=details
    )


async def measure(vendor: str, port: int, n: int) -> dict[str, Any]:
    requests = 0

    async def count(_session: Any, _ctx: Any, _params: Any) -> None:
        nonlocal requests
        requests += 1

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(count)
    async with aiohttp.ClientSession(trace_configs=[trace]) as session:
        connector = build(vendor, session, f"http://127.0.0.1:{port}")
        before = rss_mb()
        started = time.perf_counter()
        devices = await connector.fetch_devices()
        elapsed = time.perf_counter() - started
        grown = rss_mb() - before
    assert len(devices) == n, f"{vendor}: {len(devices)} devices, expected {n}"
    return {"vendor": vendor, "seconds": elapsed, "requests": requests, "rss_mb": grown, "n": n}


def measure_in_child(vendor: str, port: int, n: int, pipe: Connection) -> None:
    """A fresh process per connector, so one connector's heap does not hide the next one's growth."""
    pipe.send(asyncio.run(measure(vendor, port, n)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--vendors", default="intune,jamf,fleet,fleet-list")
    args = parser.parse_args()
    ctx = multiprocessing.get_context("fork")
    print(f"{'connector':<10} {'devices':>8} {'seconds':>8} {'devices/s':>10} {'requests':>9} {'RSS +MB':>8}")
    for vendor in args.vendors.split(","):
        ours, theirs = ctx.Pipe()
        server_vendor = vendor.removesuffix("-list")
        child = ctx.Process(target=serve, args=(server_vendor, args.devices, theirs), daemon=True)
        child.start()
        try:
            port = ours.recv()
            mine, answer = ctx.Pipe()
            worker = ctx.Process(target=measure_in_child, args=(vendor, port, args.devices, answer))
            worker.start()
            result = mine.recv()
            worker.join()
        finally:
            child.kill()
            child.join()
        rate = result["n"] / result["seconds"]
        print(
            f"{vendor:<10} {result['n']:>8,} {result['seconds']:>8.2f} {rate:>10,.0f} "
            f"{result['requests']:>9,} {result['rss_mb']:>8.1f}"
        )


if __name__ == "__main__":
    main()

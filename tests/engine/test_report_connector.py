"""The bpo_report connector (connectors/report.py): files under its folder only, announced once written."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from custom_components.bpo.connectors.base import PermanentError
from custom_components.bpo.connectors.report import ReportConnector


def _connector(tmp_path: Path) -> tuple[ReportConnector, list[dict[str, Any]]]:
    seen: list[dict[str, Any]] = []
    return ReportConnector(tmp_path / "bpo_reports", lambda: date(2026, 3, 2), seen.append), seen


async def test_writes_the_day_file_and_announces_it(tmp_path: Path) -> None:
    conn, seen = _connector(tmp_path)
    result = await conn.call("write", {"name": "daily", "format": "csv", "text": "a,b", "process": "cases"})
    assert result == {"path": "bpo_reports/daily-2026-03-02.csv"}
    assert (tmp_path / "bpo_reports" / "daily-2026-03-02.csv").read_text() == "a,b\n"
    assert seen == [{"process": "cases", "name": "daily", "path": "bpo_reports/daily-2026-03-02.csv"}]
    await conn.call("write", {"name": "daily", "date": "2026-03-03", "text": "# again\n"})
    assert (tmp_path / "bpo_reports" / "daily-2026-03-03.md").read_text() == "# again\n"
    assert sorted(p.name for p in (tmp_path / "bpo_reports").iterdir()) == [
        "daily-2026-03-02.csv",
        "daily-2026-03-03.md",
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "../secrets", "text": "x"}, "report name"),
        ({"name": "a/b", "text": "x"}, "report name"),
        ({"name": "", "text": "x"}, "report name"),
        ({"name": "ok", "format": "sh", "text": "x"}, "report format"),
        ({"name": "ok", "date": "../../x", "text": "x"}, "report date"),
        ({"name": "ok", "text": 3}, "report text"),
    ],
)
async def test_refuses_names_that_could_leave_the_folder(
    tmp_path: Path, data: dict[str, Any], message: str
) -> None:
    conn, seen = _connector(tmp_path)
    with pytest.raises(PermanentError, match=message):
        await conn.call("write", data)
    assert seen == [] and not (tmp_path / "bpo_reports").exists()
    assert list(tmp_path.iterdir()) == []


async def test_refuses_a_folder_that_is_a_link_elsewhere(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "bpo_reports").symlink_to(elsewhere)
    conn, _ = _connector(tmp_path)
    with pytest.raises(PermanentError, match="report folder"):
        await conn.call("write", {"name": "daily", "text": "x"})
    assert list(elsewhere.iterdir()) == []

"""The built-in ``bpo_report`` connector: writes a rendered report (Markdown or CSV) to a file. Pure.

A blueprint's action step renders the text with the report helpers (engine/reports.py) and calls
``connector: bpo_report, call: write`` with ``name``, ``format`` (md or csv), ``text`` and optionally
``date`` (YYYY-MM-DD, default today) and ``process`` (what the report is about, for the announcement).
The file is ``<folder>/<name>-<date>.<format>``, rewritten if it exists (a re-run replaces the day's
report). The host chooses the folder (Home Assistant: ``<config>/bpo_reports``; the simulator: a temporary
one) and is told of each file written, to announce it. Names are checked, never cleaned up: a name
that could leave the folder is refused, not rewritten.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from .base import Connector, PermanentError

NAME = "bpo_report"
FORMATS = ("md", "csv")
MAX_TEXT = 5_000_000  # characters of one report file
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

Written = Callable[[dict[str, Any]], None]  # told {process, name, path} after each write


class ReportConnector(Connector):
    """Writes report files under one folder; see the module docstring."""

    def __init__(self, folder: Path, today: Callable[[], date], on_written: Written | None = None) -> None:
        super().__init__(NAME)
        self.folder = folder
        self.today = today
        self.on_written = on_written

    def target(self, data: Mapping[str, Any]) -> Path:
        """The file ``data`` asks for, after checking every part of its name."""
        name = str(data.get("name") or "")
        fmt = str(data.get("format") or "md")
        day = str(data.get("date") or self.today().isoformat())
        if not _NAME.fullmatch(name):
            raise PermanentError("report name: letters, digits, - and _ only (at most 64), e.g. daily_cases")
        if fmt not in FORMATS:
            raise PermanentError(f"report format: one of {', '.join(FORMATS)}")
        if not _DATE.fullmatch(day):
            raise PermanentError("report date: YYYY-MM-DD")
        return self.folder / f"{name}-{day}.{fmt}"

    async def call(self, op: str, data: Mapping[str, Any]) -> Any:
        if op != "write":
            raise PermanentError(f"{NAME} has one operation, write (got {op!r})")
        path = self.target(data)
        text = data.get("text")
        if not isinstance(text, str):
            raise PermanentError("report text: the rendered report (a template giving text)")
        if len(text) > MAX_TEXT:
            raise PermanentError(f"report text: more than {MAX_TEXT} characters")
        await asyncio.get_running_loop().run_in_executor(None, _write, path, text)
        shown = f"{self.folder.name}/{path.name}"
        if self.on_written is not None:
            self.on_written({"process": data.get("process"), "name": data.get("name"), "path": shown})
        return {"path": shown}


def _write(path: Path, text: str) -> None:
    # a folder (or file) that is a link would let a report land outside the config folder
    if path.parent.is_symlink() or path.is_symlink():
        raise PermanentError(f"report folder: {path.parent.name} or the file in it is a link; not written")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    tmp.replace(path)  # readers never see half a report

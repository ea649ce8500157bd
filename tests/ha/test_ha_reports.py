"""The guard in conftest.py sees Home Assistant's reports of deprecated API use by bpo.

A planted module under ``custom_components/bpo/`` calls HA's two reporting paths, as bpo's own
code would when it uses an API HA deprecates; the guard must collect both (or fail the test).
"""

from __future__ import annotations

import importlib.util
import logging
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from homeassistant.core import HomeAssistant

from tests.ha.conftest import HaReports

ROOT = Path(__file__).resolve().parent.parent.parent

PLANTED = """
from homeassistant.helpers.deprecation import deprecated_function
from homeassistant.helpers.frame import report_usage


@deprecated_function("new_api", breaks_in_ha_version="2099.1")
def old_api():
    return 1


def use_report_usage():
    report_usage("uses a planted deprecated API", breaks_in_ha_version="2099.1")


def use_deprecated_function():
    return old_api()
"""


def _plant(tmp_path: Path) -> object:
    # HA finds the integration a frame belongs to by "custom_components/<domain>/" in its file name
    path = tmp_path / "custom_components" / "bpo" / "planted_use.py"
    path.parent.mkdir(parents=True)
    path.write_text(PLANTED, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("planted_bpo_use", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_guard_collects_both_ways_ha_reports_a_deprecated_use(
    hass: HomeAssistant, ha_reports: HaReports, tmp_path: Path
) -> None:
    planted = _plant(tmp_path)
    assert ha_reports.take() == []

    planted.use_report_usage()  # type: ignore[attr-defined]
    (frame_report,) = ha_reports.take()
    assert "custom integration 'bpo' uses a planted deprecated API" in frame_report
    assert "planted_use.py, line 12" in frame_report and "2099.1" in frame_report

    assert planted.use_deprecated_function() == 1  # type: ignore[attr-defined]
    (function_report,) = ha_reports.take()
    assert "old_api" in function_report and "from bpo" in function_report


async def test_guard_ignores_reports_about_other_integrations(ha_reports: HaReports) -> None:
    logging.getLogger("homeassistant.helpers.frame").warning(
        "Detected that custom integration 'other' uses a deprecated API at x.py, line 1"
    )
    assert ha_reports.take() == []


def test_deprecation_warnings_from_bpo_modules_are_errors() -> None:
    """pyproject's filterwarnings: attributed to a ``custom_components.bpo`` module, it raises."""
    code = compile("warnings.warn('old', DeprecationWarning)", "planted.py", "exec")
    with pytest.raises(DeprecationWarning, match="old"):
        exec(code, {"__name__": "custom_components.bpo.planted", "warnings": warnings})
    with pytest.warns(DeprecationWarning):  # anyone else's only warns
        exec(code, {"__name__": "somebody.else", "warnings": warnings})


# Importing bpo's modules is not inside any test: HA's deprecated constants report at import time.
IMPORT_ALL = """
import importlib, importlib.util, logging, pkgutil, sys, warnings
logging.basicConfig(level=logging.WARNING)
warnings.filterwarnings("error", category=DeprecationWarning, module=r"custom_components\\.bpo")
import custom_components.bpo as bpo
for module in pkgutil.walk_packages(bpo.__path__, "custom_components.bpo."):
    importlib.import_module(module.name)
for path in sys.argv[1:]:
    spec = importlib.util.spec_from_file_location("planted_bpo_import", path)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
"""


def test_importing_bpo_draws_no_report_from_home_assistant(tmp_path: Path) -> None:
    # a planted module-level use of a deprecated HA API, imported last, shows the check sees one
    planted = tmp_path / "custom_components" / "bpo" / "planted_import.py"
    planted.parent.mkdir(parents=True)
    planted.write_text(PLANTED + "\nuse_deprecated_function()\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL, str(planted)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    (report,) = [line for line in done.stderr.splitlines() if HaReports.matches(line)]
    assert "old_api" in report and "from bpo" in report

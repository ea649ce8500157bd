"""The committed web UI bundle (custom_components/bpo/frontend/bpo-panel.js) is exactly the build of
frontend/src: HACS users get the bundle without building, so a source change without a rebuild
(scripts/frontend) must fail here."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "custom_components" / "bpo" / "frontend" / "bpo-panel.js"


@pytest.mark.timeout(300)  # a first run installs the locked npm packages
@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed: no rebuild")
def test_committed_bundle_is_the_build_of_the_sources(tmp_path: Path) -> None:
    out = tmp_path / "bpo-panel.js"
    done = subprocess.run(
        [str(ROOT / "scripts" / "frontend"), str(out)],
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert out.read_bytes() == BUNDLE.read_bytes(), "the bundle is stale: run scripts/frontend and commit it"


def test_bundle_is_one_self_contained_module_defining_both_elements_once() -> None:
    text = BUNDLE.read_text(encoding="utf-8")
    # one file: no imports left for the browser to fetch (HA serves only this file)
    assert "import(" not in text and not any(line.startswith("import ") for line in text.splitlines())
    # both elements, each define guarded so the panel and the extra-JS load can both run it
    assert '"bpo-panel"' in text and '"bpo-tasks-card"' in text
    assert "customElements.get(" in text
    assert "customCards" in text

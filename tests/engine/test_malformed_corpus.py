"""The malformed-blueprint corpus: every file under ``malformed/`` must be refused with its expected problems.

Each file starts with one or more header lines ``# expect: <line>: <key path>: <message>``; the loader must
report exactly that line, key path and message (among possibly others). A file may instead say
``# expect: <line or ->: <message>`` for whole-file problems (no key path). New malformed blueprints go there,
one mistake per file where possible.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from custom_components.bpo.engine.errors import BlueprintError
from custom_components.bpo.engine.schema import load_blueprint

CORPUS = Path(__file__).parent / "malformed"
FILES = sorted(CORPUS.glob("*.yaml"))


def expected(file: Path) -> list[str]:
    head = file.read_bytes()[:4000].decode("utf-8", "replace")
    found = [line[len("# expect: ") :] for line in head.splitlines() if line.startswith("# expect: ")]
    return [f"{file}:{text}" if not text.startswith("-: ") else f"{file}: {text[3:]}" for text in found]


def test_the_corpus_is_large_and_every_file_says_what_it_expects() -> None:
    assert len(FILES) >= 60  # issue 11 asks for at least 60
    assert all(expected(file) for file in FILES)


@pytest.mark.parametrize("file", FILES, ids=[file.stem for file in FILES])
def test_malformed_blueprint_is_refused_with_file_line_and_message(file: Path) -> None:
    with pytest.raises(BlueprintError) as caught:
        load_blueprint(file)
    reported = [str(problem) for problem in caught.value.problems]
    for want in expected(file):
        assert want in reported, f"{want!r} not in {reported!r}"

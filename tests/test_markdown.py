"""Markdown cases from tests/fixtures/markdown.md: title, input, expected HTML.

Each case is rendered as one section's page of the draft HTML edition (the
section's ``# 甲`` heading is added by the test and left out of the expected
output).  Regenerate the expected outputs for review with
``REPORTGEN_REGEN=1 .venv/bin/python -m pytest tests/test_markdown.py`` and
read the diff before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reportgen.build import draw_figures, section_html
from reportgen.editions import select
from reportgen.errors import Diagnostics
from reportgen.reader import load_report

FIXTURES = Path(__file__).parent / "fixtures" / "markdown.md"


def read_cases(path: Path) -> list[tuple[str, str, str]]:
    """Cases separated by lines holding a single '.': title, then input, then output."""
    cases, lines, i = [], path.read_text(encoding="utf-8").split("\n"), 0
    while i < len(lines):
        if lines[i].strip() and lines[i + 1:i + 2] == ["."]:
            title, i = lines[i], i + 2
            start = i
            while lines[i] != ".":
                i += 1
            given, i = "\n".join(lines[start:i]) + "\n", i + 1
            start = i
            while lines[i] != ".":
                i += 1
            cases.append((title, given, "\n".join(lines[start:i]) + "\n"))
        i += 1
    return cases


def render_case(tmp_path: Path, given: str) -> str:
    from tests.conftest import SourceMaker

    source = SourceMaker(tmp_path)({"a.md": "# 甲\n\n" + given})
    report = load_report(source, Diagnostics())
    edition = select(report, "draft", Diagnostics())
    html = section_html(report, edition.views[0], "html", "draft", draw_figures(report, edition, None))
    return html.split("</h1>", 1)[1].split("\n", 1)[1]  # everything after the title line


CASES = read_cases(FIXTURES)


@pytest.mark.parametrize("title,given,expected", CASES, ids=[c[0] for c in CASES])
def test_markdown_case(tmp_path, title, given, expected):
    assert render_case(tmp_path, given) == expected


def test_regenerate(tmp_path):
    """With REPORTGEN_REGEN=1, rewrite the expected outputs from the current renderer."""
    if not os.environ.get("REPORTGEN_REGEN"):
        return
    parts = []
    for title, given, _ in CASES:
        parts.append(f"{title}\n.\n{given}.\n{render_case(tmp_path / str(len(parts)), given)}.\n")
    FIXTURES.write_text("\n".join(parts), encoding="utf-8")

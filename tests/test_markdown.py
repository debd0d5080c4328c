"""Markdown cases from tests/fixtures/*.md: title, input, expected HTML.

``markdown.md`` holds the Markdown of reportgen's own reports, ``rawhtml.md``
the raw HTML and extensions of other generators' documents.

Each case is rendered as one section's page of the draft HTML edition (the
section's ``# 甲`` heading is added by the test and left out of the expected
output).  ``make golden`` rewrites the expected outputs from the current
renderer; read the diff before committing it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reportgen.build import draw_figures
from reportgen.errors import Diagnostics
from reportgen.load.reader import load_report
from reportgen.render.body import section_html
from reportgen.render.editions import select

FIXTURES = sorted((Path(__file__).parent / "fixtures").glob("*.md"))


def read_cases(path: Path) -> list[tuple[str, str, str]]:
    """Cases separated by lines holding a single '.': title, then input, then output."""
    cases, lines, i = [], path.read_text(encoding="utf-8").split("\n"), 0
    while i < len(lines):
        if lines[i].strip() and lines[i + 1 : i + 2] == ["."]:
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
    from tests.conftest import PNG, SourceMaker

    source = SourceMaker(tmp_path)({"a.md": "# 甲\n\n" + given}, extra={"assets/p.png": PNG})
    report = load_report(source, Diagnostics())
    edition = select(report, "draft", Diagnostics())
    html = section_html(report, edition.views[0], "html", "draft", draw_figures(report, edition, None))
    return html.split("</h1>", 1)[1].split("\n", 1)[1]  # everything after the title line


CASES = [(path.stem, *case) for path in FIXTURES for case in read_cases(path)]


@pytest.mark.parametrize("fixture,title,given,expected", CASES, ids=[f"{c[0]}: {c[1]}" for c in CASES])
def test_markdown_case(tmp_path, fixture, title, given, expected):
    assert render_case(tmp_path, given) == expected


def regenerate(tmp_path: Path) -> None:
    """Rewrite the expected outputs of every fixture file from the current renderer (``make golden``)."""
    for path in FIXTURES:
        parts = []
        for title, given, _ in read_cases(path):
            parts.append(f"{title}\n.\n{given}.\n{render_case(tmp_path / path.stem / str(len(parts)), given)}.\n")
        path.write_text("\n".join(parts), encoding="utf-8")

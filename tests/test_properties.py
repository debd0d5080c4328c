"""Properties that hold for any input: hypothesis writes the sections.

Any text through the Markdown pipeline gives HTML without a script, an
event handler or a ``javascript:`` link, and never an exception; any front
matter gives a value or a diagnostic at a line of the front matter, never
a traceback.  Pathological nesting and a huge table finish (the time limit
only keeps a hang from blocking the suite; speed is the benchmark's job),
and text nested too deep to render is reported rather than silently lost.
"""

from __future__ import annotations

import datetime
import re
import threading
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from reportgen.errors import Diagnostics
from reportgen.load.reader import FRONT_MATTER_KEYS, load_report
from reportgen.model import FrontMatter
from reportgen.render.body import section_html
from reportgen.render.editions import select

BUDGET = 60
"""Seconds one pathological input may take before it counts as a hang."""


def load(source: Path, text: str | bytes):
    path = source / "sections" / "01-a.md"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", errors="surrogatepass"))
    diags = Diagnostics()
    return load_report(source, diags), diags


def bodies(source: Path, text: str, modes=("html", "pdf")) -> list[str]:
    report, diags = load(source, text)
    assert report is not None, [str(d) for d in diags.items]
    edition = select(report, "draft", Diagnostics())
    view = next(v for v in edition.views if v.section.path == "sections/01-a.md")
    return [section_html(report, view, mode, "draft", {}) for mode in modes]


# --- Markdown to HTML -------------------------------------------------------------------


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def executable_parts(html: str) -> list[str]:
    """Scripts, embeddings, event handlers and script URLs in ``html``, as a browser would see them."""
    parser = _Elements()
    parser.feed(html)
    parser.close()
    found = []
    for tag, attrs in parser.found:
        if tag in ("script", "iframe", "object", "embed", "frame", "base", "form", "style", "link", "meta"):
            found.append(f"<{tag}>")
        for name, value in attrs.items():
            if name.startswith("on"):
                found.append(f"{name}=")
            url = re.sub(r"[\x00-\x20\x7f]+", "", value or "").lower()
            if name in ("href", "src", "xlink:href", "action", "formaction") and url.startswith(
                ("javascript:", "vbscript:", "data:text", "file:")
            ):
                found.append(f"{name}={value!r}")
    return found


MARKDOWN_BITS = st.sampled_from(
    [
        "# ",
        "## ✍️ ",
        "### 🎉",
        "\n",
        "\n\n",
        "> ",
        "- ",
        "1. ",
        "    ",
        "\t",
        "|",
        "| --- |",
        "---\n",
        "[",
        "]",
        "(",
        ")",
        "![",
        "](",
        "<",
        ">",
        '"',
        "'",
        "&",
        "&#106;",
        "&#x3C;",
        "\\",
        "`",
        "```",
        "~~~",
        "*",
        "_",
        "~~",
        "[^1]",
        "[^1]: ",
        "[r]: ",
        "javascript:",
        "JavaScript:",
        "vbscript:",
        "data:text/html,",
        "file:///etc/passwd",
        "https://example.org/",
        "//evil.example/",
        "mailto:",
        "02-b.md",
        "02-b.md#背景",
        "../assets/p.png",
        "../../x",
        "/etc/passwd",
        "<script>",
        "</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">',
        "<svg onload=alert(1)>",
        "<iframe>",
        " onclick=",
        "正文",
        "\u200b",
        "\ufeff",
        "\r\n",
        "\x00",
        "\u202e",
    ]
)
MARKDOWN = st.one_of(
    st.text(max_size=200),
    st.lists(st.one_of(MARKDOWN_BITS, st.text(max_size=6)), max_size=60).map("".join),
)


@settings(max_examples=300, deadline=None)
@given(text=MARKDOWN)
@example(text="[x](javascript:alert(1)) <javascript:alert(1)> [y][r]\n\n[r]: vbscript:msgbox\n")
@example(text="![a](data:text/html,<script>alert(1)</script>) ![b](file:///etc/passwd)\n")
@example(text="[^1]: 注\n[^1]")
def test_any_text_renders_without_anything_executable(scratch, text):
    for html in bodies(scratch, text):
        assert not executable_parts(html), (text, html)


# --- front matter --------------------------------------------------------------------------

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=20),
    st.dates().map(datetime.date.isoformat),
    st.dates(),
    st.sampled_from(["NO", "yes", "off", "~", "2026-02-30", "editing", "已完成", "../x", "index"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12,
)
FRONT = st.dictionaries(st.one_of(st.sampled_from(FRONT_MATTER_KEYS), st.text(max_size=12)), VALUES, max_size=8)


def front_matter_outcome(source: Path, front_text: str) -> None:
    """Load a section with this front matter: a typed value, or diagnostics in the front matter's lines."""
    text = f"---\n{front_text}---\n# 甲\n\n正文。\n"
    report, diags = load(source, text)
    assert report is not None
    closing = 2 + front_text.count("\n")  # the line of the closing ---
    closed_early = any(line.rstrip() in ("---", "...") for line in front_text.split("\n"))
    section = report.section_by_path("sections/01-a.md")
    for diagnostic in diags.items:
        if diagnostic.path == "sections/01-a.md" and diagnostic.severity.value == "error" and not closed_early:
            assert diagnostic.line is None or 1 <= diagnostic.line <= closing, str(diagnostic)
    if section is not None:
        assert_typed(section.front)


def assert_typed(front: FrontMatter) -> None:
    assert front.title is None or isinstance(front.title, str)
    assert front.owner is None or isinstance(front.owner, str)
    assert isinstance(front.reviewers, tuple) and all(isinstance(r, str) for r in front.reviewers)
    assert front.due is None or datetime.date.fromisoformat(front.due).isoformat() == front.due
    assert front.id is None or isinstance(front.id, str)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in front.owners.items())


@settings(max_examples=300, deadline=None)
@given(front=FRONT)
def test_any_front_matter_mapping_gives_a_value_or_a_diagnostic(scratch, front):
    front_matter_outcome(scratch, yaml.safe_dump(front, allow_unicode=True))


YAML_BITS = st.sampled_from(
    [
        "title: ",
        "owner: ",
        "status: ",
        "due: ",
        "id: ",
        "owners:\n  ",
        "reviewers: ",
        "extra: ",
        "? ",
        ": ",
        "- ",
        "[",
        "]",
        "{",
        "}",
        ",",
        "&a ",
        "*a",
        "!!binary ",
        "!!python/object:os.system ",
        "!!timestamp ",
        "!!set ",
        "!!omap ",
        "|\n  ",
        ">\n  ",
        "'",
        '"',
        "#",
        "\n",
        "  ",
        "\t",
        "NO",
        "2026-02-30",
        "1e309",
        "0x1F",
        "0o17",
        ".inf",
        "~",
        "---\n",
        "...\n",
        "%YAML 1.1\n",
        "\x00",
        "\ufeff",
        "\u2028",
    ]
)


@settings(max_examples=300, deadline=None)
@given(front_text=st.lists(st.one_of(YAML_BITS, st.text(max_size=5)), max_size=25).map("".join))
@example(front_text="? [a, b]\n: 1\n")
@example(front_text="{[a]: 1}\n")
@example(front_text="title: !!binary aGk=\ndue: !!timestamp 2026-01-01\nowners: !!set {a}\n")
def test_any_front_matter_text_gives_a_value_or_a_diagnostic(scratch, front_text):
    front_matter_outcome(scratch, front_text + "\n")


# --- pathological inputs ---------------------------------------------------------------------


def finishes(work, *args):
    """``work(*args)``'s result; fails (without waiting forever) if it takes more than `BUDGET` s."""
    outcome: dict = {}

    def run():
        try:
            outcome["value"] = work(*args)
        except BaseException as error:  # re-raised in the test's thread
            outcome["error"] = error

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(BUDGET)
    assert not worker.is_alive(), f"did not finish within {BUDGET} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


TABLE = "| 序号 | 名称 | 金额 |\n| ---: | --- | ---: |\n" + "".join(
    f"| {i} | 项目{i} | {i * 3} |\n" for i in range(10_000)
)


@pytest.mark.parametrize(
    "body",
    [
        "> " * 5000 + "正文",
        ">" * 5000,
        "- " * 5000,
        "[" * 50000,
        "*_" * 20000,
        "`" * 50000,
        "<" * 50000,
        "[a](" * 20000,
    ],
    ids=[
        "quote-5000",
        "quote-5000-bare",
        "list-5000",
        "bracket-50000",
        "emphasis-40000",
        "backtick-50000",
        "lt-50000",
        "link-20000",
    ],
)
def test_deep_nesting_renders(scratch, body):
    (html,) = finishes(bodies, scratch, "# 甲\n\n" + body + "\n", ("html",))
    assert 'id="甲"' in html  # the section's heading made it through


def test_ten_thousand_row_table_renders_every_row(scratch):
    (html,) = finishes(bodies, scratch, "# 甲\n\n" + TABLE, ("html",))
    assert html.count("<tr>") == 10_001
    assert '<td style="text-align:right" class="nw num">9999</td>' in html


def test_text_nested_too_deep_to_show_is_reported(scratch):
    """Deep nesting may be cut short, but never silently: the author learns where."""
    levels = 30
    text = "# 甲\n\n" + "".join("  " * i + f"- 第{i}层\n" for i in range(levels))
    report, diags = load(scratch, text)
    (html,) = bodies(scratch, text, ("html",))
    missing = [i for i in range(levels) if f"第{i}层" not in html]
    if missing:
        lines = range(3, 3 + levels)  # the file lines of the list
        assert any(d.path == "sections/01-a.md" and d.line in lines for d in diags.items), (
            f"items from level {missing[0]} on are not shown and nothing says so: {[str(d) for d in diags.items]}"
        )

"""Chinese typesetting in the PDF, measured on the sample report with pdfplumber:
justified lines, compressed punctuation, CJK–Latin spacing, line-break rules,
no stranded last lines, the signature block, and a text layer that is the source.
Both PDF engines are checked; the measures themselves are in tests/typesetting.py."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.build import BuildOptions, build
from reportgen.cli import main
from reportgen.model import DEFAULT_MARKERS
from reportgen.pdf import cjkprint
from reportgen.render.markdown import make_parser
from tests import typesetting as measure

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module", params=["book", "single"])
def sample_pdf(request, tmp_path_factory):
    """The repository's sample report, copied and typeset once per engine."""
    source = tmp_path_factory.mktemp(f"sample-{request.param}")
    shutil.copy(REPO / "report.yaml", source)
    for folder in ("sections", "assets"):
        shutil.copytree(REPO / folder, source / folder)
    result = build(BuildOptions(source=source, out=source / "build", formats=("pdf",), pdf_engine=request.param))
    assert result.ok, [str(d) for d in result.diagnostics.items]
    return source, source / "build" / "report.pdf"


@pytest.fixture(scope="module")
def body_lines(sample_pdf):
    # The contents and the lists of figures and tables are the layout's own lines (leaders,
    # a number beside each title), not body text.
    return [line for line in measure.lines(sample_pdf[1]) if not _generated(line)]


@pytest.fixture(scope="module")
def every_line(sample_pdf):
    return [line for line in measure.lines(sample_pdf[1], body_only=False) if not _generated(line)]


def test_chinese_paragraphs_are_justified_to_both_margins(body_lines):
    justified = [p for p in measure.paragraphs(body_lines) if measure.cjk(p) and len(p) > 1]
    assert len(justified) > 50, "the sample has many multi-line Chinese paragraphs"
    assert measure.ragged_lines(body_lines) == []


def test_full_width_marks_that_meet_are_compressed(every_line):
    pairs = [
        (a, b)
        for _, a, b in measure._neighbours(every_line)
        if a["text"] in measure.CLOSING and b["text"] in measure.CLOSING | measure.OPENING
    ]
    assert len(pairs) > 20
    assert measure.wide_punctuation(every_line) == []


def test_han_and_latin_are_a_quarter_em_apart_whatever_the_author_typed(every_line):
    pairs = [
        1 for _, a, b in measure._neighbours(every_line) if measure.is_han(a["text"]) and measure.is_latin(b["text"])
    ]
    assert len(pairs) > 100
    # A caption's number stands an ideographic space before its text (表 1　收入明细), by design.
    body = [line for line in every_line if not re.match(r"[图表]\d+\S", line.text)]
    assert measure.cjk_latin_gaps(body) == []


def test_no_line_starts_with_a_closing_mark_or_ends_with_an_opening_one(every_line):
    assert measure.prohibited_breaks(every_line) == []


def test_no_paragraph_ends_with_a_stranded_character(body_lines):
    assert measure.stranded_last_lines(body_lines) == []


def test_the_signature_is_one_right_aligned_block_with_the_line_before_it(body_lines):
    signature = ["林语桐", "开源星火社理事长", "2026年11月16日"]
    found = [line for line in body_lines if line.text in signature]
    assert [line.text for line in found] == signature
    before = body_lines[body_lines.index(found[0]) - 1]
    assert {line.page for line in found} == {before.page}
    assert all(abs(line.x1 - measure.RIGHT) < 0.5 for line in found)
    assert before.text.endswith("继续做彼此的那一点光。")


def test_the_text_layer_holds_only_the_source_text(sample_pdf, body_lines):
    """Every body line is the source text: no character added, no space inserted
    (the source's spaces beside Han characters may be left out)."""
    source, pdf = sample_pdf
    assert measure.invisible_characters(pdf) == []
    texts = [_without_references(t) for t in _plain_texts(source)]
    lines = [
        _without_references(_without_list_marker(_body_text(line)))
        for line in measure.lines(pdf, keep_spaces=True)
        if not _generated(line)
    ]
    assert len(lines) > 300
    missing = [text for text in lines if not any(_pattern(text).search(t) for t in texts)]
    assert missing == []


def _plain_texts(source: Path) -> list[str]:
    """The text of every inline of every section, as the author wrote it."""
    md = make_parser(DEFAULT_MARKERS)
    texts = []
    for path in sorted((source / "sections").glob("*.md")):
        env = {"root": str(source), "dir": "sections"}
        for token in md.parse(path.read_text(encoding="utf-8"), env):
            if token.type == "inline":
                texts.append("".join(c.content for c in token.children or [] if c.type in ("text", "code_inline")))
    return texts


def _pattern(text: str) -> re.Pattern:
    """``text`` where the source may have spaces the PDF left out, but no other difference."""
    parts = [r"\s+" if ch == " " else re.escape(ch) for ch in text.strip()]
    return re.compile(r"\s*".join(parts))


def _body_text(line) -> str:
    """The line's text without footnote calls (small digits the layout numbers)."""
    return "".join(c["text"] for c in line.chars if c["size"] >= measure.BODY_SIZE - 0.05)


def _without_list_marker(text: str) -> str:
    return re.sub(r"^(\d+\.|[•◦▪])", "", text)


#: What a cross-reference (`[](#tbl-income)`) prints, which its source does not spell out.
REFERENCE = re.compile(r"[图表] ?\d+(（第 ?\d+ ?页）)?")


def _without_references(text: str) -> str:
    return REFERENCE.sub("", text)


def _generated(line) -> bool:
    """Lines the layout writes itself: the contents (leaders and page numbers), and
    headings with the draft's badges."""
    return "...." in line.text or any(ord(c["text"][0]) > 0x1F000 or c["text"] in "✍✅" for c in line.chars)


# --- settings and the fallback, on small reports -----------------------------------------

FOREWORD = {"01-a.md": "# 引言\n\n第一届（2016）：陆伯安、程雅文、郑启航；单位理事：星河云。\n"}


def test_punctuation_full_keeps_marks_full_width(make_source):
    source = make_source(FOREWORD, manifest={"punctuation": "full"})
    result = build(BuildOptions(source=source, out=source / "build", formats=("pdf",), pdf_engine="single"))
    assert result.ok
    wide = measure.wide_punctuation(measure.lines(source / "build" / "report.pdf", body_only=False))
    assert any("）：" in problem for problem in wide)


def test_a_wrong_typography_setting_names_the_choices(make_source):
    source = make_source(FOREWORD, manifest={"punctuation": "half", "latin_spacing": "wide"})
    result = CliRunner().invoke(main, ["check", str(source)], catch_exceptions=False)
    assert result.exit_code == 1
    assert re.search(r"report.yaml:\d+: error: 'punctuation' must be one of compress, full, got 'half'", result.output)
    assert re.search(r"report.yaml:\d+: error: 'latin_spacing' must be a length", result.output)


def test_check_warns_about_stray_spaces_with_their_line(make_source):
    source = make_source({"01-a.md": "# 引言\n\n云原生与 数据库\n\n管事”。 年初，李彬 梁辰晔、余杰加入。\n"})
    from reportgen.errors import Diagnostics
    from reportgen.load.reader import load_report

    diags = Diagnostics()
    load_report(source, diags)
    stray = [str(d) for d in diags.items if "stray space" in d.message]
    assert len(stray) == 2
    assert stray[0].startswith("sections/01-a.md:3: warning:") and stray[1].startswith("sections/01-a.md:5: warning:")


def test_an_unknown_weasyprint_version_is_left_alone_and_set_ragged(monkeypatch):
    monkeypatch.setattr(cjkprint, "version", lambda name: "99.0")
    monkeypatch.setattr(cjkprint, "_installed", False)
    assert not cjkprint.supported()
    assert not cjkprint.install()
    from reportgen.model import Manifest
    from reportgen.pdf.typeset import print_css

    assert print_css("p { color: red }", Manifest(title="t", year=2026)).rstrip().endswith(cjkprint.FALLBACK_CSS)


def test_the_print_markup_spaces_latin_runs_and_keeps_a_paragraph_end(make_source):
    """What the PDF's stylesheet and typesetter act on: Latin runs beside Han
    characters marked (typed spaces dropped), marks meeting across a tag set half
    width, a paragraph's last two Han characters kept together, bare URLs breakable."""
    from reportgen.errors import Diagnostics
    from reportgen.load.reader import load_report
    from reportgen.render.body import section_html
    from reportgen.render.editions import select

    source = make_source(
        {
            "01-a.md": (
                "# 引言\n\n在 SparkCon'26 上，使用 `make` 命令[《指南》](https://e.org)，达到 106 位。\n\n"
                "请阅读[加入指南](https://e.org)。\n\n联系 media@e.org。\n\n{.cover}\n正文。\n\n"
                "发布《[大会之我见我闻](https://e.org)》。\n"
            )
        }
    )
    diags = Diagnostics()
    report = load_report(source, diags)
    html = section_html(report, select(report, "draft", diags).views[0], "pdf", "draft", {})
    assert '在<span class="cjk-l cjk-r">SparkCon\'26</span>上' in html
    assert '使用<code class="cjk-l cjk-r">make</code>' in html
    assert '<span class="cjk-halt">》</span></a>，' in html
    assert '<span class="cjk-keep">到<span class="cjk-l cjk-r">106</span>位。</span>' in html
    assert '请阅读<span class="cjk-keep"><a' in html and "</a>。</span>" in html
    assert 'class="url"' in html
    assert '之我见<span class="cjk-keep">我闻</span></a>》。' in html
    assert any(d.message.startswith("block attributes other than {.signature}") and d.line == 9 for d in diags.items)

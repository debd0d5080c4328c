"""Tables and cross-references as a reader sees them: three-line rules, numbered
captions, short labels unbroken, numbers aligned, references with numbers and pages."""

from __future__ import annotations

import re

import pdfplumber
import pytest

from reportgen.build import BuildOptions, build
from reportgen.errors import Diagnostics
from reportgen.load.reader import load_report

LONG = "这一栏是很长的说明文字，用来把其他各栏挤窄，" * 4
PARAGRAPHS = "\n\n".join("社区在这一年里稳步前行，各工作组分工协作，完成了年初确定的主要目标。" * 6 for _ in range(14))
WIDE_HEAD = " | ".join(f"第{i}季度指标" for i in range(1, 11))
WIDE_ROW = " | ".join(f"{i * 1111:,}" for i in range(1, 11))

SECTIONS = {
    "01-a.md": f"""
        # 甲

        人数见[](#tbl-people)，增长见[](#fig-growth)。

        表：各平台账号 {{#tbl-accounts}}

        | 平台 | 特别赞助 | 微信公众号 | 访谈 | 关注者 | 说明 |
        | --- | --- | --- | --- | --- | --- |
        | 微博 | 特别赞助 | 微信公众号 | 访谈 | 1,234,567 | {LONG} |
        | 视频号 | 特别赞助 | 微信公众号 | 访谈 | 89 | {LONG} |

        ```chart
        id: fig-growth
        type: bar
        title: 成员增长
        data: [{{年份: "2025", 人数: 10}}, {{年份: "2026", 人数: 12}}]
        x: 年份
        y: 人数
        ```
        """,
    "02-b.md": f"# 乙\n\n{PARAGRAPHS}\n\n表：人员 {{#tbl-people}}\n\n| 组 | 人数 |\n| --- | --- |\n| 财务组 | 3 |\n| 法律组 | 12 |\n",
    "03-c.md": f"""
        # 丙

        表：十个季度的指标

        | 指标 | {WIDE_HEAD} |
        | --- | {" | ".join(["---"] * 10)} |
        | 收入 | {WIDE_ROW} |
        """,
}


@pytest.fixture(scope="module", params=["book", "book-moved", "single"])
def pdf(request, make_module_source):
    """The source typeset by each engine, as pdfplumber pages; ``book-moved``: built, then
    built again after an edit that moves the cited table two pages on (the book starts from
    the pages the last build printed, which are wrong now)."""
    source = make_module_source(SECTIONS, manifest={"lists": ["figures", "tables"]}, name=f"tables-{request.param}")
    options = BuildOptions(
        source=source, out=source / "build", formats=("pdf",), pdf_engine=request.param.split("-")[0]
    )
    result = build(options)
    if request.param == "book-moved":
        path = source / "sections" / "02-b.md"
        path.write_text(path.read_text(encoding="utf-8").replace("# 乙\n", f"# 乙\n\n{PARAGRAPHS}\n"), "utf-8")
        result = build(options)
    assert result.ok, [str(d) for d in result.diagnostics.items]
    with pdfplumber.open(source / "build" / "report.pdf") as document:
        yield [(page, page.extract_text() or "") for page in document.pages]


def page_of(pages, needle: str) -> int:
    """1-based number of the first page whose text contains ``needle`` (spaces aside);
    a caption is looked for outside the contents and the lists."""
    squeeze = lambda text: re.sub(r"\s+", "", text)  # noqa: E731
    caption = needle[:1] in "表图" and "目录" not in needle
    return next(
        n
        for n, (_, text) in enumerate(pages, start=1)
        if squeeze(needle) in squeeze(text) and not (caption and re.search(r"^[图表]目录$", text, re.M))
    )


def runs(page, text: str) -> list[list[dict]]:
    """Every run of characters on ``page`` that spells ``text``."""
    chars = [c for c in page.chars if c["text"].strip()]
    at = [c for c in chars for _ in c["text"]]  # a glyph may stand for several code points (👁️)
    joined = "".join(c["text"] for c in chars)
    return [list({id(c): c for c in at[m.start() : m.end()]}.values()) for m in re.finditer(re.escape(text), joined)]


def test_short_labels_and_numbers_are_never_broken_across_lines(pdf):
    page, _ = pdf[page_of(pdf, "表 1　各平台账号") - 1]
    for label in ("特别赞助", "微信公众号", "访谈", "视频号", "关注者", "1,234,567"):
        found = runs(page, label)
        assert found, label
        for run in found:
            assert len({round(c["top"]) for c in run}) == 1, f"{label} is broken across lines"


def test_tables_are_ruled_three_line_without_vertical_rules(pdf):
    page, _ = pdf[page_of(pdf, "表 2　人员") - 1]
    horizontal = {round(line["top"]) for line in page.lines if abs(line["top"] - line["bottom"]) < 0.1}
    vertical = [line for line in page.lines if abs(line["x0"] - line["x1"]) < 0.1]
    assert len(horizontal) == 3  # above the header, below it, at the end
    assert not vertical and not page.rects


def test_numbers_are_right_aligned(pdf):
    page, _ = pdf[page_of(pdf, "表 2　人员") - 1]
    right_edges = {round(runs(page, number)[-1][-1]["x1"], 1) for number in ("3", "12")}
    assert len(right_edges) == 1


def test_captions_are_numbered_across_sections_in_reading_order(pdf):
    assert page_of(pdf, "表 1　各平台账号") < page_of(pdf, "表 2　人员") < page_of(pdf, "表 3　十个季度的指标")
    assert page_of(pdf, "图 1　成员增长")


def test_cross_references_print_the_number_and_the_page(pdf):
    people, growth = page_of(pdf, "表 2　人员"), page_of(pdf, "图 1　成员增长")
    text = re.sub(r"\s+", "", "".join(t for _, t in pdf))
    assert f"人数见表2（第{people}页），增长见图1（第{growth}页）" in text
    assert people > 2  # on another chapter's page: the book engine must count across chapters


def test_lists_of_figures_and_tables_give_the_pages(pdf):
    listing = pdf[page_of(pdf, "表目录") - 1][1]
    assert re.search(rf"表 2 人员[ .…]*{page_of(pdf, '表 2　人员')}\n", listing)
    assert re.search(rf"图 1 成员增长[ .…]*{page_of(pdf, '图 1　成员增长')}\n", listing)


def test_a_table_too_wide_for_the_page_goes_on_a_landscape_page_inside_it(pdf):
    page, _ = pdf[page_of(pdf, "表 3　十个季度的指标") - 1]
    assert page.width > page.height
    assert max(c["x1"] for c in page.chars) <= page.width - 20
    for value in ("1,111", "11,110"):
        assert all(len({round(c["top"]) for c in run}) == 1 for run in runs(page, value))


def test_an_unknown_id_is_a_warning_at_its_line(make_source):
    source = make_source({"a.md": "# 甲\n\n正文。\n\n见[](#tbl-nothing)。\n"})
    diags = Diagnostics()
    load_report(source, diags)
    assert any(
        str(d).startswith("sections/a.md:5: warning: no figure or table with id 'tbl-nothing'") for d in diags.items
    ), [str(d) for d in diags.items]


def test_an_id_given_twice_is_a_warning(make_source):
    table = "表：人员 {#tbl-people}\n\n| 组 |\n| --- |\n| 财务组 |\n"
    source = make_source({"a.md": f"# 甲\n\n{table}\n{table}"})
    diags = Diagnostics()
    load_report(source, diags)
    assert any("id 'tbl-people' is already used" in str(d) for d in diags.items)


def html_page(make_source, manifest: dict, body: str) -> str:
    source = make_source({"a.md": "# 甲\n\n" + body}, manifest=manifest)
    result = build(BuildOptions(source=source, out=source / "build", formats=("html",)))
    assert result.ok, [str(d) for d in result.diagnostics.items]
    return (source / "build" / "html" / "a.html").read_text(encoding="utf-8")


def test_report_yaml_and_a_caption_choose_the_ruling(make_source):
    body = "表：甲表\n\n| 组 |\n| --- |\n| 财务组 |\n\n表：乙表 {.three-line}\n\n| 组 |\n| --- |\n| 法律组 |\n"
    text = html_page(make_source, {"tables": {"style": "grid"}}, body)
    assert '<table class="grid">' in text and '<table class="three-line">' in text


def test_an_unknown_ruling_is_an_error_at_its_line(make_source):
    source = make_source({"a.md": "# 甲\n"}, manifest={"tables": {"style": "boxed"}})
    diags = Diagnostics()
    load_report(source, diags)
    assert any(
        "report.yaml" in str(d) and "tables.style must be one of three-line, grid, plain" in str(d)
        for d in diags.errors
    )


def test_an_english_report_says_table(make_source):
    text = html_page(
        make_source, {"language": "en"}, "See [](#tbl-x).\n\nTable: Members {#tbl-x}\n\n| a |\n| --- |\n| 1 |\n"
    )
    assert '<span class="tbl-num">Table 1</span> Members' in text
    assert '<a class="xref" href="#tbl-x">Table 1</a>' in text


# --- the sample report of this repository ---------------------------------------------------


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The repository's own sample report, copied and typeset in one pass."""
    import shutil
    from pathlib import Path

    project = Path(__file__).resolve().parents[1]
    source = tmp_path_factory.mktemp("sample")
    shutil.copy(project / "report.yaml", source)
    for folder in ("sections", "assets"):
        shutil.copytree(project / folder, source / folder)
    result = build(BuildOptions(source=source, out=source / "build", formats=("pdf",), pdf_engine="single"))
    assert result.ok, [str(d) for d in result.diagnostics.items]
    report = load_report(source, Diagnostics())
    with pdfplumber.open(source / "build" / "report.pdf") as document:
        yield report, [(page, page.extract_text() or "") for page in document.pages]


def short_cells(report) -> set[str]:
    """The text of every table cell of the sample of at most 8 characters, or one number."""
    from reportgen.render.markdown import inline_text

    cells = set()
    for section in report.sections:
        tokens = section.tokens
        for i, token in enumerate(tokens):
            if token.type in ("th_open", "td_open"):
                cells.add(inline_text(tokens[i + 1]))
    return {c for c in cells if 1 < len(c) <= 8 or re.fullmatch(r"[\d,.%+-]{2,}", c)}


def test_the_samples_tables_are_numbered_and_keep_short_cells_on_one_line(sample):
    report, pages = sample
    # The chapters follow the last page of the front matter (contents, lists, progress list).
    first = 1 + max(i for i, (_, text) in enumerate(pages) if re.search(r"^(目录|图目录|表目录|编写进度)$", text, re.M))
    captions = [int(m) for _, text in pages[first:] for m in re.findall(r"^表 (\d+)\s", text, re.M)]
    assert captions == list(range(1, 16))
    body = [page for page, _ in pages[first:]]
    checked = 0
    for cell in short_cells(report):
        for page in body:
            for run in runs(page, cell):
                if abs(run[0]["size"] - 9.5) < 0.3:  # set at the tables' size, not in running text
                    assert len({round(c["top"]) for c in run}) == 1, f"{cell!r} is broken across lines"
                    checked += 1
    assert checked > 100


def test_the_samples_cross_references_name_the_right_table_and_page(sample):
    _, pages = sample
    text = re.sub(r"\s+", "", "".join(t for _, t in pages))
    income = page_of(pages, "表 3　2026 年 1–10 月收入明细")
    assert f"见图1（第{page_of(pages, '图 1　2021–2026 年度收入与支出')}页）" in text
    assert f"中表3（第{income}页）的年度合作伙伴赞助" in text


def test_a_reference_to_a_table_the_public_edition_leaves_out_is_a_warning(make_source):
    source = make_source(
        {"a.md": "# ✅甲\n\n见[](#tbl-plan)。\n", "b.md": "# ✍️乙\n\n表：计划 {#tbl-plan}\n\n| 项 |\n| --- |\n| 一 |\n"}
    )
    result = build(BuildOptions(source=source, out=source / "build", formats=("html",), edition="public"))
    assert any(
        str(d).startswith("sections/a.md:3: warning: 'tbl-plan' is in a part the public edition leaves out")
        for d in result.diagnostics.items
    ), [str(d) for d in result.diagnostics.items]
    assert "表 ?" in (source / "build" / "html" / "a.html").read_text(encoding="utf-8")

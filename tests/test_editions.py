"""Draft and public editions: what each shows, what the public one leaves out."""

from __future__ import annotations

import re

from click.testing import CliRunner

from reportgen.cli import main

SECTIONS = {
    "a.md": """
        ---
        owner: 张三
        due: 2026-12-01
        ---
        # ✅引言

        完成的引言。

        ## ✍️未完的段落

        草稿内容不应公开。
        """,
    "b.md": """
        ---
        owner: 李四
        ---
        # 👁️财务报告

        审核中的财务内容。
        """,
    "c.md": """
        # 执行委员会

        ## 各组

        ### ✅财务组

        财务组完成的工作。

        ### ✍️媒体组

        媒体组的草稿。
        """,
}


def build(source, *args):
    return CliRunner().invoke(main, ["build", str(source), "--format", "html", *args], catch_exceptions=False)


def site_text(source) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in (source / "build" / "html").glob("*.html"))


def test_draft_shows_badges_owners_and_everything(make_source):
    source = make_source(SECTIONS)
    assert build(source).exit_code == 0
    text = site_text(source)
    assert "草稿内容不应公开" in text and "审核中的财务内容" in text
    assert 'class="badge badge-editing"' in text and "张三" in text and "2026-12-01" in text
    assert 'class="draft-banner"' in text


def test_public_leaves_out_unfinished_units_and_says_which(make_source):
    source = make_source(SECTIONS)
    result = build(source, "--edition", "public")
    assert result.exit_code == 0
    text = site_text(source)
    assert "完成的引言" in text and "财务组完成的工作" in text
    for secret in (
        "草稿内容不应公开",
        "审核中的财务内容",
        "媒体组的草稿",
        "张三",
        "李四",
        "2026-12-01",
        "✍",
        "👁",
        "✅",
        "draft-banner",
    ):
        assert secret not in text, secret
    assert not (source / "build" / "html" / "b.html").exists()
    assert "left out 3 unfinished unit(s)" in result.output
    assert "sections/b.md:4: 财务报告" in result.output


def test_public_strict_fails_naming_every_unfinished_unit(make_source):
    source = make_source(SECTIONS)
    result = build(source, "--edition", "public", "--strict")
    assert result.exit_code == 1
    for place in (
        "sections/a.md:9: error: unfinished unit '未完的段落' (editing)",
        "sections/b.md:4: error: unfinished unit '财务报告' (reviewing)",
        "sections/c.md:9: error: unfinished unit '媒体组' (editing)",
    ):
        assert place in result.output


def test_public_placeholder_keeps_the_heading_without_its_text(make_source):
    source = make_source(SECTIONS, manifest={"editions": {"public": {"unfinished": "placeholder"}}})
    assert build(source, "--edition", "public").exit_code == 0
    text = site_text(source)
    assert "未完的段落" in text and "本节尚未完成" in text
    assert "草稿内容不应公开" not in text and "媒体组的草稿" not in text


def test_empty_section_shows_pending_placeholder(make_source):
    source = make_source({"a.md": "# ✍️后记\n"})
    assert build(source).exit_code == 0
    assert "本节内容待补充" in (source / "build" / "html" / "a.html").read_text(encoding="utf-8")


def test_a_custom_marker_set_shows_its_own_badges(make_source, tmp_path):
    source = make_source(
        {"a.md": "# 🟢甲\n\n正文。\n\n## 🟡乙\n\n正文。\n"},
        manifest={"markers": {"editing": ["🟡"], "reviewing": ["🔵"], "done": ["🟢"]}},
    )
    result = CliRunner().invoke(
        main, ["build", str(source), "--out", str(tmp_path / "out"), "--format", "html"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    page = (tmp_path / "out" / "html" / "a.html").read_text(encoding="utf-8")
    badges = re.findall(r'<span class="badge badge-(\w+)"[^>]*>(.*?)<span class="badge-text">', page)
    assert badges == [("done", "🟢"), ("editing", "🟡")]


def test_a_custom_marker_set_shows_its_own_marks_in_every_progress_view(make_source, tmp_path):
    from reportgen.build import print_document
    from reportgen.errors import Diagnostics
    from reportgen.load.reader import load_report
    from reportgen.render.editions import select

    source = make_source(
        {"a.md": "# 🟢甲\n\n正文。\n\n## 🟡乙\n\n正文。\n", "b.md": "# 🔵丙\n\n正文。\n"},
        manifest={"markers": {"editing": ["🟡"], "reviewing": ["🔵"], "done": ["🟢"]}},
    )
    table = CliRunner().invoke(main, ["status", str(source)], catch_exceptions=False)
    assert table.exit_code == 0 and "🔵 审核中" in table.stdout and "🟡 编辑中" in table.stdout, table.output
    assert not any(default in table.stdout for default in ("✍", "👁", "✅"))
    report = load_report(source, Diagnostics())
    listing = print_document(report, select(report, "draft", Diagnostics())).split('<section class="progress">')[1]
    marks = re.findall(r'<span class="mark">(.*?)</span>', listing.split("</section>")[0])
    assert marks == ["🟡", "🔵", "🟢", "🟢", "🔵"]  # the legend, then each section's status


def test_public_edition_with_nothing_finished_is_an_error_not_an_empty_pdf(make_source):
    source = make_source({"a.md": "# ✍️甲\n\n正在写。\n", "b.md": "# 👁️乙\n\n待审。\n"})
    result = CliRunner().invoke(
        main, ["build", str(source), "--format", "pdf", "--edition", "public"], catch_exceptions=False
    )
    assert result.exit_code == 1
    assert "report.yaml:6: error: the public edition has no section in it" in result.output
    assert not (source / "build" / "report.pdf").exists()
    assert build(source, "--edition", "public").exit_code == 1  # the HTML edition as well

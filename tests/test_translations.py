"""Editions in more than one language and translation freshness.

The source the tests make is a Chinese report with an English translation in
which one section is current, one is outdated after an edit to the Chinese,
and one is missing — the three states a translator needs to tell apart.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pdfplumber
import pytest
from click.testing import CliRunner

from reportgen.cli import main

MANIFEST = {
    "languages": ["zh-CN", {"en": {"title": "2026 Test Society Annual Report", "organisation": "Test Society"}}],
}
SECTIONS = {
    "01-intro.md": """
        ---
        owner: 张三
        ---
        # ✅引言

        本年度社区稳步发展，详见[财务](02-finance.md#收入)。
        """,
    "02-finance.md": """
        ---
        owner: 李四
        ---
        # 👁️财务报告

        ## ✅收入

        会费收入占全部收入的一半以上。

        ## ✍️支出

        支出主要用于活动。
        """,
    "03-events.md": """
        # ✅活动

        全年举办活动十二场。
        """,
}
INTRO_EN = """\
---
translator: Ann Smith
---
# ✅Introduction

The community grew steadily this year; see [finance](02-finance.md#income).
"""
FINANCE_EN = """\
---
translator: Bob Lee
---
# 👁️Finance

## ✅Income

Membership fees are more than half of all income.

## ✍️Spending

Spending went mostly to events.
"""


def run(*args, ok: bool = True):
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def git(source: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=source,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def bilingual(make_source) -> Path:
    """Intro current, finance outdated (its income paragraph changed after the sync), events missing."""
    source = make_source(SECTIONS, manifest=MANIFEST)
    (source / "sections" / "en").mkdir()
    (source / "sections" / "en" / "01-intro.md").write_text(INTRO_EN, encoding="utf-8")
    (source / "sections" / "en" / "02-finance.md").write_text(FINANCE_EN, encoding="utf-8")
    git(source, "init", "-q")
    git(source, "add", "-A")
    git(source, "commit", "-qm", "source and translations")
    for section_id in ("01-intro", "02-finance"):
        run("translate", "sync", section_id, "--lang", "en", "--source", source)
    git(source, "commit", "-qam", "synced")
    finance = source / "sections" / "02-finance.md"
    finance.write_text(finance.read_text(encoding="utf-8").replace("一半以上", "六成"), encoding="utf-8")
    return source


def translation_json(source: Path) -> dict:
    return json.loads(run("status", source, "--json").stdout)["translations"]["en"]


def states(source: Path) -> dict[str, str]:
    return {unit["id"]: unit["freshness"] for unit in translation_json(source)["units"]}


def test_status_reports_missing_outdated_and_current_unit_by_unit(bilingual):
    data = translation_json(bilingual)
    assert states(bilingual) == {
        "01-intro#引言": "current",
        "02-finance#财务报告": "current",
        "02-finance#收入": "outdated",
        "02-finance#支出": "current",
        "03-events#活动": "missing",
    }
    assert data["counts"] == {"missing": 1, "outdated": 1, "current": 3}
    # The translation's own markers: Income is done, Spending still being written.
    own = {unit["id"]: unit["status"] for unit in data["units"]}
    assert own["02-finance#收入"] == "done" and own["02-finance#支出"] == "editing" and own["03-events#活动"] is None
    assert {unit["translator"] for unit in data["units"]} == {"Ann Smith", "Bob Lee", None}


def test_status_lang_prints_the_translation_table(bilingual):
    result = run("status", bilingual, "--lang", "en")
    assert re.search(r"收入\s+outdated", result.stdout)
    assert re.search(r"活动\s+missing", result.stdout)
    assert "missing 1" in result.stdout and "outdated 1" in result.stdout and "current 3" in result.stdout


def test_whitespace_or_marker_changes_do_not_make_a_translation_outdated(bilingual):
    intro = bilingual / "sections" / "01-intro.md"
    text = intro.read_text(encoding="utf-8")
    intro.write_text(
        text.replace("# ✅引言", "# ✍️引言").replace("稳步发展，", "稳步发展，\n   ") + "\n\n", encoding="utf-8"
    )
    assert states(bilingual)["01-intro#引言"] == "current"
    intro.write_text(text.replace("稳步发展", "快速发展"), encoding="utf-8")
    assert states(bilingual)["01-intro#引言"] == "outdated"


def test_sync_makes_outdated_current_and_diff_shows_the_source_change(bilingual):
    diff = run("translate", "diff", "02-finance", "--lang", "en", "--source", bilingual).stdout
    assert "sections/02-finance.md:" in diff and "outdated: 收入" in diff
    assert "-会费收入占全部收入的一半以上。" in diff and "+会费收入占全部收入的六成。" in diff
    assert "支出" not in diff  # a current unit is not shown
    run("translate", "sync", "02-finance", "--lang", "en", "--source", bilingual)
    assert states(bilingual)["02-finance#收入"] == "current"
    translation = (bilingual / "sections" / "en" / "02-finance.md").read_text(encoding="utf-8")
    assert translation.startswith("---\ntranslator: Bob Lee\n") and "# 👁️Finance" in translation


def test_translate_new_writes_a_skeleton_that_counts_as_editing(bilingual):
    run("translate", "new", "03-events", "--lang", "en", "--translator", "Cy Tan", "--source", bilingual)
    skeleton = (bilingual / "sections" / "en" / "03-events.md").read_text(encoding="utf-8")
    assert "translator: Cy Tan" in skeleton and "# ✍️活动" in skeleton
    assert "全年举办活动十二场" not in skeleton  # bodies are left for the translator
    unit = next(u for u in translation_json(bilingual)["units"] if u["id"] == "03-events#活动")
    assert (unit["freshness"], unit["status"]) == ("current", "editing")
    again = run("translate", "new", "03-events", "--lang", "en", "--source", bilingual, ok=False)
    assert again.exit_code == 1 and "exists already" in again.output


def test_a_language_that_is_not_declared_is_a_clear_error(bilingual):
    result = run("translate", "sync", "01-intro", "--lang", "fr", "--source", bilingual, ok=False)
    assert result.exit_code == 1 and "--lang fr" in result.output and "zh-CN, en" in result.output
    built = run("build", bilingual, "--out", bilingual / "out", "--lang", "fr", ok=False)
    assert built.exit_code == 1 and "--lang fr" in built.output and not (bilingual / "out" / "report.pdf").exists()


def test_translations_are_not_unlisted_sections(bilingual):
    result = run("check", bilingual)
    assert "not listed" not in result.output


def test_dashboard_shows_the_translation_view(bilingual, tmp_path):
    run("build", bilingual, "--out", tmp_path / "out", "--format", "dashboard", "-q")
    page = (tmp_path / "out" / "dashboard" / "index.html").read_text(encoding="utf-8")
    view = page.split('id="translation-en"', 1)[1].split("</section>", 1)[0]
    rows = dict(re.findall(r'data-unit="([^"]+)">.*?<td class="c-freshness">(\w+)</td>', view, re.S))
    assert rows == states(bilingual)
    assert "Bob Lee" in view and "Ann Smith" in view


@pytest.fixture(scope="module")
def built_all(tmp_path_factory):
    """Both languages, draft and public, built once for the tests below."""
    from tests.conftest import SourceMaker

    root = tmp_path_factory.mktemp("bilingual")
    source = SourceMaker(root)(SECTIONS, manifest=MANIFEST)
    (source / "sections" / "en").mkdir()
    (source / "sections" / "en" / "01-intro.md").write_text(INTRO_EN, encoding="utf-8")
    (source / "sections" / "en" / "02-finance.md").write_text(FINANCE_EN, encoding="utf-8")
    run("build", source, "--out", root / "draft", "--lang", "all", "-q")
    run("build", source, "--out", root / "public", "--lang", "all", "--edition", "public", "--format", "pdf,html", "-q")
    return root


def test_build_all_writes_both_pdfs_and_both_sites(built_all):
    draft = built_all / "draft"
    for path in (
        "report.pdf",
        "en/report.pdf",
        "html/index.html",
        "html/en/index.html",
        "html/en/02-finance.html",
        "html/pagefind/pagefind.js",
        "html/en/pagefind/pagefind.js",
    ):
        assert (draft / path).is_file(), path
    assert '<html lang="en">' in (draft / "html/en/02-finance.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in (draft / "html/02-finance.html").read_text(encoding="utf-8")


def test_pages_link_to_themselves_in_the_other_language(built_all):
    site = built_all / "draft" / "html"
    zh = (site / "02-finance.html").read_text(encoding="utf-8")
    en = (site / "en" / "02-finance.html").read_text(encoding="utf-8")
    assert '<link rel="alternate" hreflang="en" href="en/02-finance.html">' in zh
    assert '<link rel="alternate" hreflang="zh-CN" href="../02-finance.html">' in en
    for page, html in ((site / "02-finance.html", zh), (site / "en" / "02-finance.html", en)):
        for href in re.findall(r'hreflang="[^"]+" href="([^"]+)"', html):
            assert (page.parent / href).resolve().is_file(), href
    assert 'href="02-finance.html#income"' in (site / "en" / "01-intro.html").read_text(encoding="utf-8")


def test_english_pdf_sets_latin_text_in_latin_faces(built_all):
    with pdfplumber.open(built_all / "draft" / "en" / "report.pdf") as pdf:
        chars = [c for page in pdf.pages for c in page.chars]
    latin = [c for c in chars if c["text"].isascii() and c["text"].isalpha()]
    assert latin and not [c for c in latin if "CJK" in c["fontname"]]
    han = [c for c in chars if "\u4e00" <= c["text"] <= "\u9fff"]
    assert han and all("CJK-SC" in c["fontname"].replace(" ", "-") for c in han)  # the untranslated section


def test_untranslated_section_falls_back_in_the_draft_and_is_left_out_in_public(built_all):
    draft = (built_all / "draft" / "html" / "en" / "03-events.html").read_text(encoding="utf-8")
    assert "has not been translated into English yet" in draft and "全年举办活动十二场" in draft
    assert 'lang="zh-CN"' in draft
    public = built_all / "public" / "html" / "en"
    assert (public / "01-intro.html").is_file() and not (public / "03-events.html").exists()
    pages = " ".join(p.read_text(encoding="utf-8") for p in public.glob("*.html"))
    assert "全年举办活动十二场" not in pages and "03-events.html" not in pages
    with pdfplumber.open(built_all / "public" / "en" / "report.pdf") as pdf:
        text = "".join(page.extract_text() or "" for page in pdf.pages)
    assert "Introduction" in text and "活动" not in text


def test_next_years_report_keeps_its_languages_and_translation_skeletons(bilingual, tmp_path):
    run("init", tmp_path / "next", "--from", bilingual)
    manifest = (tmp_path / "next" / "report.yaml").read_text(encoding="utf-8")
    assert "languages:" in manifest and "2026 Test Society Annual Report".replace("2026", "2027") in manifest
    skeleton = (tmp_path / "next" / "sections" / "en" / "02-finance.md").read_text(encoding="utf-8")
    assert "translator: Bob Lee" in skeleton and "## ✍️Income" in skeleton
    assert "source:" not in skeleton and "Membership fees" not in skeleton
    data = translation_json(tmp_path / "next")
    by_id = {u["id"]: u["freshness"] for u in data["units"]}
    assert by_id["02-finance#收入"] == "outdated" and by_id["03-events#活动"] == "missing"


def test_import_pairs_a_language_folder_with_the_chapters_beside_it(tmp_path):
    project = tmp_path / "project"
    (project / "en").mkdir(parents=True)
    (project / "01-intro.md").write_text("# 第一章 引言\n\n社区发展。\n", encoding="utf-8")
    (project / "02-finance.md").write_text("# 第二章 财务\n\n收入很好。\n", encoding="utf-8")
    (project / "en" / "01-intro.md").write_text(
        "---\nTranslator & Reviewer: Ann Smith\n---\n# Chapter 1 Introduction\n\nThe community grew.\n",
        encoding="utf-8",
    )
    result = run("import", project, "--into", tmp_path / "report")
    assert "1 page(s) of en/ paired by name" in result.output
    report = tmp_path / "report"
    assert "languages: [zh-CN, en]" in (report / "report.yaml").read_text(encoding="utf-8")
    sections = sorted(p.name for p in (report / "sections").glob("*.md"))
    translations = sorted(p.name for p in (report / "sections" / "en").glob("*.md"))
    assert len(sections) == 2 and translations == sections[:1]  # the English intro, under the intro's own name
    data = translation_json(report)
    assert [(u["title"], u["freshness"], u["translator"]) for u in data["units"]] == [
        ("第一章 引言", "outdated", "Ann Smith"),
        ("第二章 财务", "missing", None),
    ]
    assert "Chapter 1 Introduction" not in "".join(
        p.read_text(encoding="utf-8") for p in (report / "sections").glob("*.md")
    )


def test_a_command_indexes_every_language_with_one_search_service(bilingual, tmp_path, monkeypatch):
    """Pagefind loads its dictionaries when it starts: a second start for the second site is
    time lost, and a command's service still ends once the last site is indexed."""
    from reportgen.render import search

    started = []

    class Counted(search.Service):
        def __init__(self, binary):
            super().__init__(binary)
            started.append(self)

    search._stop()
    monkeypatch.setattr(search, "Service", Counted)
    run("build", bilingual, "--out", tmp_path / "out", "--lang", "all")  # starts it, keep=False; the PDFs between
    assert (tmp_path / "out" / "html" / "pagefind" / "pagefind.js").is_file()
    assert (tmp_path / "out" / "html" / "en" / "pagefind" / "pagefind.js").is_file()
    assert len(started) == 1 and not started[0].alive() and search._running is None

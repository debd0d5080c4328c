"""Review copies: `reportgen build --only ID` builds one section for a reviewer."""

from __future__ import annotations

import pdfplumber
from click.testing import CliRunner

from reportgen.cli import main

SECTIONS = {
    "a.md": "# ✅引言\n\n引言正文。\n",
    "b.md": """
        ---
        owner: 李四
        reviewers: [王五, 赵六]
        due: 2026-12-10
        ---
        # 👁️财务报告

        财务正文。

        ## ✍️预算执行

        预算内容。
        """,
}


def test_only_builds_one_section_with_a_review_header(make_source):
    source = make_source(SECTIONS)
    result = CliRunner().invoke(
        main, ["build", str(source), "--only", "b", "--format", "pdf,html"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    review = source / "build" / "review" / "b"
    with pdfplumber.open(review / "report.pdf") as pdf:
        text = "\n".join(page.extract_text() or "" for page in pdf.pages)
    assert "审阅稿" in text and "财务正文" in text and "预算内容" in text
    assert "审核中" in text and "李四" in text and "2026-12-10" in text and "王五" in text
    assert "引言正文" not in text
    pages = {p.name for p in (review / "html").glob("*.html")}
    assert "b.html" in pages and "a.html" not in pages
    assert not (source / "build" / "report.pdf").exists()


def test_only_with_an_unknown_id_names_the_known_ones(make_source):
    source = make_source(SECTIONS)
    result = CliRunner().invoke(
        main, ["build", str(source), "--only", "zz", "--format", "html"], catch_exceptions=False
    )
    assert result.exit_code == 1
    assert "--only zz: that section does not exist (sections: a, b)" in result.output


def test_an_english_report_gets_an_english_review_header(make_source):
    from reportgen.build import print_document, review_copy
    from reportgen.errors import Diagnostics
    from reportgen.load.reader import load_report
    from reportgen.render.editions import select

    source = make_source(
        {
            "a.md": "# ✅Intro\n\nText.\n",
            "b.md": SECTIONS["b.md"].replace("财务报告", "Finance").replace("预算执行", "Budget"),
        },
        manifest={"language": "en"},
    )
    report = load_report(source, Diagnostics())
    edition, header = review_copy(report, select(report, "draft", Diagnostics()), "b", Diagnostics())
    page = print_document(report, edition, review=header)
    aside = page.split('<aside class="review-header">')[1].split("</aside>")[0]
    for text in (
        "Review copy",
        "Section",
        "Status",
        "reviewing",
        "Owner",
        "Due",
        "Reviewers",
        "王五, 赵六",
        "Budget · editing · 李四",
    ):
        assert text in aside, text
    assert not any(word in aside for word in ("审阅稿", "章节", "状态", "负责人", "截止", "审阅人", "审核中", "、"))

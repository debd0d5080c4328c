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
    result = CliRunner().invoke(main, ["build", str(source), "--only", "b", "--format", "pdf,html"],
                                catch_exceptions=False)
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
    result = CliRunner().invoke(main, ["build", str(source), "--only", "zz", "--format", "html"], catch_exceptions=False)
    assert result.exit_code == 1
    assert "--only zz: that section does not exist (sections: a, b)" in result.output

"""Chart blocks become numbered figures: SVG in the HTML, vector graphics in the PDF."""

from __future__ import annotations

import re

import pdfplumber
from click.testing import CliRunner

from reportgen.build import BuildOptions, build
from reportgen.cli import main

AUDIENCE = "year,offline,online\n2024,800,3000\n2025,1100,4200\n2026,1480,5100\n"

SECTIONS = {
    "a.md": """
        # 年会

        ```chart
        type: bar
        title: 历届年会参会人数
        caption: 2024–2026 年线下与线上参会人数
        data: assets/data/audience.csv
        x: year
        y: [offline, online]
        labels: {offline: 线下, online: 线上}
        unit: 人
        ```
        """,
    "b.md": """
        # 合作伙伴

        ```chart
        type: pie
        caption: 合作伙伴等级分布
        data:
          - {tier: 金牌, count: 3}
          - {tier: 银牌, count: 5}
        x: tier
        y: count
        ```
        """,
}


def test_figures_are_numbered_across_sections_and_inline_svg_in_html(make_source):
    source = make_source(SECTIONS, extra={"assets/data/audience.csv": AUDIENCE})
    assert build(BuildOptions(source=source, out=source / "build", formats=("html",))).ok
    first = (source / "build" / "html" / "a.html").read_text(encoding="utf-8")
    second = (source / "build" / "html" / "b.html").read_text(encoding="utf-8")
    assert re.search(
        r'<figure class="chart" id="fig-1">.*?<svg.*?</svg>.*?<figcaption><span class="fig-num">图 1</span>'
        r"　2024–2026 年线下与线上参会人数</figcaption>",
        first,
        re.S,
    )
    assert "线下" in first and "线上" in first  # series labels are text in the SVG
    assert '<span class="fig-num">图 2</span>　合作伙伴等级分布' in second


def test_figures_are_vector_graphics_with_text_in_the_pdf(make_source):
    source = make_source(SECTIONS, extra={"assets/data/audience.csv": AUDIENCE})
    assert build(BuildOptions(source=source, out=source / "build", formats=("pdf",))).ok
    with pdfplumber.open(source / "build" / "report.pdf") as pdf:
        page = next(p for p in pdf.pages if "图 1" in (p.extract_text() or ""))
        text = page.extract_text()
        assert "2025" in text and "线下" in text  # axis and legend stayed text, not pixels
        assert not page.images
        assert len(page.rects) + len(page.curves) + len(page.lines) >= 6  # bars and axes as paths


def test_english_report_says_figure(make_source):
    source = make_source({"b.md": SECTIONS["b.md"]}, manifest={"language": "en"})
    assert build(BuildOptions(source=source, out=source / "build", formats=("html",))).ok
    assert (
        '<span class="fig-num">Figure 1</span> 合作伙伴等级分布' in (source / "build" / "html" / "b.html").read_text()
    )


def test_a_bad_chart_is_an_error_at_the_block_line(make_source):
    source = make_source({"a.md": "# 甲\n\n```chart\ntype: radar\nx: a\ny: b\ndata: [{a: 1, b: 2}]\n```\n"})
    result = CliRunner().invoke(main, ["check", str(source)], catch_exceptions=False)
    assert result.exit_code == 1
    assert re.search(r"sections/a\.md:4: error: chart: .*radar.*bar", result.output), result.output

"""The PDF's document design: cover, colophon, back cover, chapter numbers, page
furniture, print production, and the tagged, archivable public edition."""

from __future__ import annotations

import re
import shutil
import subprocess
import zlib
from pathlib import Path

import pdfplumber
import pypdf
import pytest

from reportgen.build import BuildOptions, build
from reportgen.render.numbering import chinese
from tests.conftest import PNG

PROJECT = Path(__file__).resolve().parents[1]
LONG = "\n\n".join(
    f"第{i}段：社区在开源治理、年会组织与成员发展上稳步前行，志愿者的投入是最宝贵的财富。" * 3 for i in range(1, 16)
)

SECTIONS = {
    "01-intro.md": """
        ---
        owner: 张三
        reviewers: [王五]
        ---
        # ✅引言

        ![志愿者合影](../assets/photo.png)

        正文一段。
        """,
    "02-finance.md": (
        "---\nowner: 李四\n---\n# ✅财务报告\n\n## ✅收支\n\n```chart\ntype: bar\ndata:\n"
        "  - {年份: 2025, 收入: 10}\n  - {年份: 2026, 收入: 12}\nx: 年份\ny: [收入]\n```\n\n" + LONG + "\n"
    ),
    "03-members.md": """
        ---
        owner: 赵六
        ---
        # ✅成员

        三段正文。
        """,
}
DESIGN = {
    "title": "社区年度报告",  # no year in the title: the cover prints it, once
    "numbering": "chapter-cn",
    "logo": "assets/logo.png",
    "cover_image": "assets/cover.png",
    "back_cover": {"website": "https://example.org", "contact": ["hello@example.org"], "qr": "assets/qr.png"},
    "colophon": {"editor": "总编甲", "license": "CC BY 4.0", "credits": ["设计：设计组"]},
}
ASSETS = {"assets/photo.png": PNG, "assets/logo.png": PNG, "assets/cover.png": PNG, "assets/qr.png": PNG}


def make(make_module_source, name, manifest=None, sections=SECTIONS):
    return make_module_source(sections, manifest={**DESIGN, **(manifest or {})}, extra=ASSETS, name=name)


def typeset(source, **options):
    result = build(BuildOptions(source=source, out=source / "build", formats=("pdf",), **options))
    assert result.ok, [str(d) for d in result.diagnostics.items]
    return source / "build" / "report.pdf", result


def page_texts(pdf) -> list[str]:
    with pdfplumber.open(pdf) as doc:
        return [page.extract_text() or "" for page in doc.pages]


def outline(pdf) -> dict[str, int]:
    reader = pypdf.PdfReader(pdf)
    return {
        item.title: reader.get_destination_page_number(item) + 1
        for item in reader.outline
        if not isinstance(item, list)
    }


def non_embedded_fonts(pdf) -> list[str]:
    lines = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()
    return [line for line in lines[2:] if line.split()[-5] == "no"]  # columns: … emb sub uni object-id gen


def figures_alt(pdf) -> list:
    """/Alt of every /Figure in the structure tree."""
    found = []

    def walk(node):
        node = node.get_object()
        if isinstance(node, pypdf.generic.ArrayObject):
            for kid in node:
                walk(kid)
        elif isinstance(node, pypdf.generic.DictionaryObject):
            if node.get("/S") == "/Figure":
                found.append(node.get("/Alt"))
            if "/K" in node:
                walk(node["/K"])

    walk(pypdf.PdfReader(pdf).trailer["/Root"]["/StructTreeRoot"])
    return found


def xmp(pdf) -> str:
    stream = pypdf.PdfReader(pdf).trailer["/Root"]["/Metadata"].get_object()
    return stream.get_data().decode("utf-8")


@pytest.fixture(scope="module")
def draft(make_module_source):
    return typeset(make(make_module_source, "draft"), pdf_engine="single")[0]


@pytest.fixture(scope="module")
def public(make_module_source):
    return typeset(make(make_module_source, "public"), edition="public")[0]


def test_the_cover_prints_the_year_and_the_organisation_once(draft):
    cover = page_texts(draft)[0]
    assert cover.count("2026") == 1 and cover.count("测试社区") == 1 and "社区年度报告" in cover


def test_a_title_that_names_year_and_organisation_is_not_repeated_on_the_cover(make_module_source):
    source = make(
        make_module_source,
        "titled",
        {"title": "2026 测试社区年度报告", "numbering": "none"},
        sections={"01-intro.md": "# 引言\n\n正文。\n"},
    )
    cover = page_texts(typeset(source, pdf_engine="single")[0])[0]
    assert cover.count("2026") == 1 and cover.count("测试社区") == 1


def test_every_page_of_the_draft_carries_the_draft_mark(draft):
    texts = page_texts(draft)
    assert [n for n, text in enumerate(texts, 1) if "草稿 · Draft" not in text] == []


@pytest.mark.parametrize("engine", ["book", "single"])
def test_an_english_drafts_pages_are_marked_in_english(make_module_source, engine):
    sections = {"01-intro.md": "# ✅Introduction\n\nThe year in brief.\n"}
    source = make_module_source(sections, manifest={**DESIGN, "language": "en"}, extra=ASSETS, name=f"en-{engine}")
    texts = page_texts(typeset(source, pdf_engine=engine)[0])
    assert [n for n, text in enumerate(texts, 1) if "Draft" not in text] == []
    assert not [n for n, text in enumerate(texts, 1) if "草稿" in text]


def test_every_font_of_the_one_pass_pdf_is_embedded_page_numbers_included(draft):
    assert non_embedded_fonts(draft) == []
    with pdfplumber.open(draft) as doc:
        page = doc.pages[outline(draft)["第三章　成员"] - 1]
        foot = [c for c in page.chars if c["top"] > page.height - 60 and c["text"].isdigit()]
    assert foot and all("CJK" in c["fontname"] for c in foot)


def test_chapter_numbers_in_headings_contents_bookmarks_and_running_heads(draft):
    marks = outline(draft)
    assert {"第一章　引言", "第二章　财务报告", "第三章　成员", "编写进度", "目录"} <= set(marks)
    texts = page_texts(draft)
    contents = texts[marks["目录"] - 1]
    assert re.search(r"第二章\s*财务报告[\s.·…]*%d" % marks["第二章　财务报告"], contents), contents
    opening = texts[marks["第二章　财务报告"] - 1]
    assert "第二章" in opening.splitlines()[0] or "第二章" in opening.splitlines()[1]
    with pdfplumber.open(draft) as doc:
        second = doc.pages[marks["第二章　财务报告"]]  # the chapter's second page
        head = "".join(c["text"] for c in second.chars if c["top"] < 70)
    assert "第二章财务报告" in head.replace("\u3000", "").replace(" ", "")


def test_a_chapter_opening_page_has_no_running_head(draft):
    with pdfplumber.open(draft) as doc:
        for title, page in outline(draft).items():
            if title.startswith("第"):
                assert not [c for c in doc.pages[page - 1].chars if c["top"] < 60], title


def test_the_pdf_opens_with_its_outline_shown(draft):
    assert pypdf.PdfReader(draft).trailer["/Root"]["/PageMode"] == "/UseOutlines"


def test_the_draft_colophon_names_owners_and_reviewers_and_the_back_cover_its_contacts(draft):
    texts = page_texts(draft)
    colophon, back = texts[-2], texts[-1]
    for wanted in ("版权信息", "总编甲", "张三", "李四", "王五", "CC BY 4.0", "设计：设计组", "草稿"):
        assert wanted in colophon, wanted
    assert "https://example.org" in back and "hello@example.org" in back
    assert pypdf.PdfReader(draft).pages[-1].images, "the QR code is not on the back cover"


def test_the_public_colophon_names_nobody_from_the_front_matter(public):
    texts = page_texts(public)
    assert "总编甲" in texts[-2] and "设计：设计组" in texts[-2]
    assert not [name for name in ("张三", "李四", "王五", "赵六") if any(name in t for t in texts)]


def test_the_public_pdf_is_tagged_with_language_and_alt_text_for_every_figure(public):
    root = pypdf.PdfReader(public).trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/Lang"] == "zh-CN"
    assert root["/MarkInfo"]["/Marked"] == True  # noqa: E712 - a pypdf BooleanObject, not a bool
    alts = figures_alt(public)
    assert len(alts) >= 3 and all(alts), alts  # logo, photo, chart (whose spec has no title)
    assert "志愿者合影" in alts and "图 1" in alts


def test_the_public_pdf_carries_xmp_metadata_with_title_and_language(public):
    meta = xmp(public)
    assert "社区年度报告" in meta and "zh-CN" in meta and "pdfuaid:part" in meta and "CreateDate" in meta


def test_print_gives_a_bleed_box_crop_marks_and_chapters_on_right_hand_pages(make_module_source):
    source = make(
        make_module_source, "print", {"print": {"bleed": "3mm", "marks": "crop", "recto": True, "mirror": True}}
    )
    pdf, result = typeset(source, pdf_engine="book")
    assert any("one pass" in d.message for d in result.diagnostics.items)  # the book engine cannot do it
    reader = pypdf.PdfReader(pdf)
    for page in reader.pages:
        bleed, trim, media = page.bleedbox, page.trimbox, page.mediabox
        assert float(trim.width) == pytest.approx(595.28, abs=0.1)  # A4 after cutting
        assert float(bleed.width) == pytest.approx(float(trim.width) + 2 * 8.504, abs=0.1)
        assert float(media.width) >= float(bleed.width)
    marks = outline(pdf)
    assert all(marks[t] % 2 == 1 for t in marks if t.startswith("第")), marks
    texts = page_texts(pdf)
    blanks = [t for t in texts if t.replace("草稿 · Draft", "").strip() == ""]
    assert blanks, "no blank left page was needed: the test source does not test recto"
    assert len(texts) % 2 == 0  # the back cover is a left-hand page


def test_an_archival_variant_writes_pdf_a_metadata_and_an_output_intent(make_module_source):
    source = make(make_module_source, "pdfa", {"pdf": {"variant": "pdf/a-3b"}})
    pdf, _ = typeset(source)
    root = pypdf.PdfReader(pdf).trailer["/Root"]
    assert "<pdfaid:part>3</pdfaid:part>" in xmp(pdf) or 'pdfaid:part="3"' in xmp(pdf)
    assert root["/OutputIntents"][0]["/S"] == "/GTS_PDFA1"
    assert "/StructTreeRoot" in root  # archival and accessible at once


def test_a_pdf_x_variant_takes_the_printers_profile_as_output_intent(make_module_source):
    import weasyprint

    profile = Path(weasyprint.__file__).parent / "pdf" / "sRGB2014.icc"
    source = make(make_module_source, "pdfx", {"print": {"variant": "pdf/x-4", "output_profile": "assets/printer.icc"}})
    shutil.copy(profile, source / "assets" / "printer.icc")
    pdf, _ = typeset(source)
    intent = pypdf.PdfReader(pdf).trailer["/Root"]["/OutputIntents"][0]
    assert intent["/S"] == "/GTS_PDFX"
    assert zlib.crc32(intent["/DestOutputProfile"].get_object().get_data()) == zlib.crc32(profile.read_bytes())


@pytest.mark.parametrize(
    "manifest, message",
    [
        ({"numbering": "roman"}, "numbering must be one of chapter-cn"),
        ({"print": {"bleed": "lots"}}, "print.bleed must be a length"),
        ({"print": {"variant": "pdf/x-4"}}, "needs the printer's ICC profile"),
        ({"pdf": {"variant": "pdf/z"}}, "pdf.variant must be one of"),
        ({"back_cover": {"qr": "../outside.png"}}, "inside the report folder"),
        ({"colophon": {"editor": "甲", "typo": 1}}, "unknown key 'colophon.typo'"),
    ],
)
def test_design_options_are_checked_with_their_line(make_source, manifest, message):
    source = make_source({"01-a.md": "# 甲\n"}, manifest=manifest)
    result = build(BuildOptions(source=source, out=source / "build", formats=("pdf",)))
    errors = [d for d in result.diagnostics.items if d.severity.value == "error"]
    assert any(message in d.message and d.path == "report.yaml" and d.line for d in errors), errors
    assert not (source / "build" / "report.pdf").exists()


@pytest.mark.parametrize("chapters", [11, 13])
def test_the_contents_break_between_chapters_and_never_leave_one_line_alone(make_module_source, chapters):
    """A chapter's entries stay on its page, and the contents' last page holds more than one
    entry (chapters of different lengths, two sizes: a break that falls between chapters by
    chance cannot pass both)."""
    sections = {
        f"{n:02d}.md": f"# ✅第{n}章\n\n正文。\n\n"
        + "".join(f"## ✅第{n}章之{m}节\n\n正文。\n\n" for m in range(1, 2 + n % 5))
        for n in range(1, chapters + 1)
    }
    source = make_module_source(sections, name=f"contents-{chapters}")
    pdf, _ = typeset(source, pdf_engine="single")
    texts = page_texts(pdf)
    first = next(i for i, text in enumerate(texts) if "目录" in text)
    contents = []
    for text in texts[first:]:
        if not (entries := [line for line in text.splitlines() if "...." in line]):
            break  # the first chapter
        contents.append(entries)
    assert len(contents) > 1, "the contents should take two pages here"
    for entries in contents[1:]:
        assert "之" not in entries[0], f"a chapter's entries split over two pages: {entries[0]}"
    assert len(contents[-1]) > 1


def test_chinese_numerals():
    assert [chinese(n) for n in (1, 10, 11, 20, 21, 100, 101, 110)] == [
        "一",
        "十",
        "十一",
        "二十",
        "二十一",
        "一百",
        "一百零一",
        "一百一十",
    ]


# --- the sample report ------------------------------------------------------------


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    source = tmp_path_factory.mktemp("sample") / "src"
    shutil.copytree(
        PROJECT,
        source,
        ignore=shutil.ignore_patterns(".venv", "build", ".git", "tests", "bench", "reportgen", "docs", "*.egg-info"),
    )
    return source


def test_the_sample_draft_cover_year_once_and_draft_mark_on_every_page(sample):
    pdf, _ = typeset(sample)  # the default engine of the draft
    texts = page_texts(pdf)
    assert texts[0].count(str(2026)) == 1
    assert [n for n, text in enumerate(texts, 1) if "草稿 · Draft" not in text] == []


def test_the_sample_public_pdf_is_tagged_embedded_and_has_alt_on_every_figure(sample):
    pdf, _ = typeset(sample, edition="public")
    root = pypdf.PdfReader(pdf).trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/Lang"] == "zh-CN"
    assert root["/MarkInfo"]["/Marked"] == True  # noqa: E712 - a pypdf BooleanObject, not a bool
    alts = figures_alt(pdf)
    assert len(alts) >= 4 and all(alts), alts
    assert non_embedded_fonts(pdf) == []


def test_an_image_without_alt_text_in_the_tagged_pdf_is_a_warning(make_source):
    source = make_source({"01-a.md": "# ✅甲\n\n![](../assets/p.png)\n"}, extra={"assets/p.png": PNG})
    result = build(BuildOptions(source=source, out=source / "build", formats=("pdf",), edition="public"))
    assert result.ok
    assert any("no alt text" in d.message and "p.png" in d.message for d in result.diagnostics.items), [
        str(d) for d in result.diagnostics.items
    ]


def test_a_report_overrides_the_back_cover_with_its_own_template(make_source):
    source = make_source(
        {"01-a.md": "# 甲\n\n正文。\n"},
        extra={
            "templates/partials/back-cover.html": '<section class="back-cover"><p>本社自制封底 {{ manifest.year }}</p></section>\n'
        },
    )
    pdf, _ = typeset(source, pdf_engine="single")
    assert "本社自制封底 2026" in page_texts(pdf)[-1]

"""The typeset PDF, checked through its bookmarks, text layer and fonts."""

from __future__ import annotations

import re
import subprocess

import pdfplumber
import pypdf
import pytest

from reportgen.build import BuildOptions, build
from tests.conftest import PNG

MEMBERS = "、".join(f"成员{chr(0x4E00 + i * 7)}{chr(0x4E50 + i * 3)}" for i in range(120))
ROWS = "\n".join(f"| 第{i}项 | 活动经费{i} | {i * 100} |" for i in range(1, 71))

SECTIONS = {
    "01-intro.md": """
        ---
        owner: 张三
        due: 2026-12-01
        ---
        # ✅引言

        二〇二六年，社区在开源治理、年会组织与成员发展上稳步前行。见[财务报告](02-finance.md#预算执行)。

        志愿者的投入是社区最宝贵的财富[^thanks]。

        ![photo](../assets/photo.png)

        [^thanks]: 感谢所有志愿者与合作伙伴。
        """,
    "02-finance.md": (
        "---\nstatus: reviewing\nowner: 李四\n---\n# 财务报告\n\n## 预算执行\n\n"
        f"| 项目 | 说明 | 金额 |\n| --- | --- | --- |\n{ROWS}\n\n## 收支分析\n\n全年收支平衡，略有结余。\n"
    ),
    "03-members.md": f"""
        # ✍️正式成员名单

        {MEMBERS}
        """,
}


@pytest.fixture(scope="module", params=["book", "book-edited", "book-pieces", "single"])
def built(request, make_module_source):
    """The same source typeset every way: the cached book of chapters must pass
    every check the one-pass render passes, both cold (chapters grouped into a
    few documents) and after an edit (the edited chapter typeset on its own, the
    others cut from the documents of the first build); ``book-pieces``: its page
    numbers typeset four pages a document, as a long book's are."""
    from reportgen.pdf import book

    source = make_module_source(SECTIONS, extra={"assets/photo.png": PNG}, name=f"src-{request.param}")
    out = source / "build"
    engine = request.param.split("-")[0]
    with pytest.MonkeyPatch.context() as patch:
        if request.param == "book-pieces":
            patch.setattr(book, "NUMBERS_CHUNK", 4)
        result = build(BuildOptions(source=source, out=out, formats=("pdf",), pdf_engine=engine))
    if request.param == "book-edited":
        with (source / "sections" / "02-finance.md").open("a", encoding="utf-8") as handle:
            handle.write("\n## 补充说明\n\n" + "年末又收到一笔捐赠，已计入结余。" * 40 + "\n")
        result = build(BuildOptions(source=source, out=out, formats=("pdf",), pdf_engine=engine))
    assert result.ok, [str(d) for d in result.diagnostics.items]
    return source, out / "report.pdf", result


def is_sc_face(name: str) -> bool:
    """'ABCDEF+Noto-Serif-CJK-SC-Bold' and the like: a Noto CJK Simplified Chinese face."""
    return "cjksc" in name.replace("-", "").lower()


def outline(path):
    reader = pypdf.PdfReader(path)
    top = []
    for item in reader.outline:
        if not isinstance(item, list):
            top.append((item.title, reader.get_destination_page_number(item) + 1))
    return top


def test_bookmarks_list_the_progress_list_the_contents_and_every_section_in_manifest_order(built):
    _, pdf, _ = built
    assert [title for title, _ in outline(pdf)] == ["编写进度", "目录", "引言", "财务报告", "正式成员名单"]


def test_each_section_starts_on_a_new_page_after_the_front_matter(built):
    _, pdf, _ = built
    pages = [page for _, page in outline(pdf)]
    assert pages == sorted(set(pages)) and pages[:2] == [2, 3] and pages[2] >= 4  # cover, progress list, contents


def test_table_of_contents_page_numbers_match_the_bookmarks(built):
    _, pdf, _ = built
    marks = {title: page for title, page in outline(pdf) if title not in ("编写进度", "目录")}
    reader = pypdf.PdfReader(pdf)
    nested = {}
    for item in reader.outline:
        if isinstance(item, list):
            for sub in item:
                if not isinstance(sub, list):
                    nested[sub.title] = reader.get_destination_page_number(sub) + 1
    with pdfplumber.open(pdf) as doc:
        toc_page = next(p for p in doc.pages if "目录" in (p.extract_text() or "")[:40])
        lines = (toc_page.extract_text() or "").splitlines()
    printed = {}
    for line in lines:
        match = re.match(r"^(.+?)[\s.·…]+(\d+)$", line.strip())
        if match:
            printed[match.group(1).strip()] = int(match.group(2))
    for title, page in {**marks, **nested}.items():
        assert printed.get(title) == page, (title, printed)


def test_the_contents_dotted_leaders_run_evenly_from_each_title_to_its_page_number(built):
    _, pdf, _ = built
    with pdfplumber.open(pdf) as doc:
        toc_page = next(p for p in doc.pages if "目录" in (p.extract_text() or "")[:40])
        rows: dict[float, list] = {}
        for ch in toc_page.chars:
            rows.setdefault(round(ch["top"]), []).append(ch)
    checked = 0
    for chars in rows.values():
        dots = sorted((c for c in chars if c["text"] == "."), key=lambda c: c["x0"])
        if len(dots) < 10:
            continue
        pitch = dots[1]["x0"] - dots[0]["x0"]
        assert pitch > 0 and all(abs(b["x0"] - a["x0"] - pitch) < 0.1 for a, b in zip(dots, dots[1:]))
        title = [c for c in chars if c["x1"] <= dots[0]["x0"] + 0.01 and c["text"].strip()]
        number = [c for c in chars if c["x0"] >= dots[-1]["x1"] - 0.01 and c["text"].strip()]
        assert title and number and "".join(c["text"] for c in number).isdigit()
        assert dots[0]["x0"] - max(c["x1"] for c in title) < 2 * pitch  # from the title …
        assert min(c["x0"] for c in number) - dots[-1]["x1"] < 2 * pitch  # … to the number
        checked += 1
    assert checked >= 4


def test_every_cjk_character_of_the_sources_is_drawn_in_a_simplified_chinese_face(built):
    source, pdf, result = built
    text = "".join((source / "sections" / name).read_text(encoding="utf-8") for name in SECTIONS)
    wanted = {ch for ch in text if "\u4e00" <= ch <= "\u9fff"}
    with pdfplumber.open(pdf) as doc:
        drawn = {}
        for page in doc.pages:
            for ch in page.chars:
                drawn.setdefault(ch["text"], set()).add(ch["fontname"])
    missing = wanted - set(drawn)
    assert not missing, f"not in the text layer: {''.join(sorted(missing))}"
    wrong = {ch: fonts for ch in wanted for fonts in [drawn[ch]] if not all(is_sc_face(f) for f in fonts)}
    assert not wrong, f"drawn with a non-SC face: {dict(list(wrong.items())[:5])}"
    assert not [d for d in result.diagnostics.items if "glyph" in d.message]


def test_embedded_fonts_include_a_cjk_sc_face_and_the_emoji_font(built):
    _, pdf, _ = built
    reader = pypdf.PdfReader(pdf)
    fonts = set()
    for page in reader.pages:
        for font in (page.get("/Resources", {}).get("/Font") or {}).values():
            font = font.get_object()
            fonts.add(str(font.get("/BaseFont")))
    assert any(is_sc_face(f) for f in fonts), fonts
    assert not any("cjkjp" in f.replace("-", "").lower() for f in fonts), fonts
    assert any("Emoji" in f for f in fonts), fonts


def test_every_font_is_embedded(built):
    _, pdf, _ = built
    listing = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in listing.splitlines()[2:]]
    assert rows
    not_embedded = [row[0] for row in rows if row[-5] != "yes"]  # columns: … emb sub uni object ID
    assert not not_embedded, listing


def test_page_numbers_at_the_foot_of_every_page_but_the_cover_in_the_reports_face(built):
    _, pdf, _ = built
    with pdfplumber.open(pdf) as doc:
        for number, page in enumerate(doc.pages, start=1):
            # The foot's middle: the draft mark stands at its left, and the cover's band reaches it.
            foot = [
                c
                for c in page.chars
                if c["top"] > page.height - 60 and abs((c["x0"] + c["x1"]) / 2 - page.width / 2) < 60
            ]
            closing = number == len(doc.pages) or "版权信息" in (page.extract_text() or "")
            if number == 1 or closing:
                assert not any(c["text"].isdigit() for c in foot), "cover, colophon and back cover carry no number"
                continue
            assert "".join(c["text"] for c in foot) == str(number)
            assert all(is_sc_face(c["fontname"]) and "Bold" not in c["fontname"] for c in foot), foot[0]["fontname"]
            middle = (foot[0]["x0"] + foot[-1]["x1"]) / 2
            assert abs(middle - page.width / 2) < 3


def test_footnote_is_set_at_the_foot_of_the_page_of_its_call(built):
    _, pdf, _ = built
    with pdfplumber.open(pdf) as doc:
        for page in doc.pages:
            text = page.extract_text() or ""
            if "志愿者的投入" in text:
                assert "感谢所有志愿者与合作伙伴" in text
                note = next(w for w in page.extract_words() if "感谢所有志愿者" in w["text"])
                assert note["top"] > page.height * 0.7
                return
    pytest.fail("the paragraph with the footnote call is not in the PDF")


def test_long_tables_break_across_pages_and_repeat_their_header(built):
    _, pdf, _ = built
    with pdfplumber.open(pdf) as doc:
        pages = [p.extract_text() or "" for p in doc.pages if "活动经费" in (p.extract_text() or "")]
    assert len(pages) >= 2
    assert all("项目" in text and "金额" in text for text in pages)


def test_running_header_names_the_current_section_except_on_its_opening_page(built):
    _, pdf, _ = built
    opening = dict(outline(pdf))["财务报告"]
    with pdfplumber.open(pdf) as doc:
        finance_pages = [p for p in doc.pages if "活动经费" in (p.extract_text() or "")]
        assert finance_pages[0].page_number == opening and len(finance_pages) >= 2
        for page in finance_pages:
            header = " ".join(w["text"] for w in page.extract_words() if w["top"] < 70)
            if page.page_number == opening:
                assert header == "", header  # the chapter title itself is below the head's place
            else:
                assert "财务报告" in header and "测试报告" in header


def test_metadata_title_author_and_language_and_the_outline_shown_on_opening(built):
    _, pdf, _ = built
    reader = pypdf.PdfReader(pdf)
    assert reader.trailer["/Root"]["/PageMode"] == "/UseOutlines"
    assert reader.metadata.title == "测试报告"
    assert reader.metadata.author == "测试社区"
    assert str(reader.trailer["/Root"]["/Lang"]) == "zh-CN"


def test_draft_pdf_has_the_generated_progress_list(built):
    _, pdf, _ = built
    with pdfplumber.open(pdf) as doc:
        text = doc.pages[1].extract_text() or ""
    assert "编写进度" in text
    assert re.search(r"引言.*已完成", text) and re.search(r"财务报告.*审核中", text)
    assert re.search(r"正式成员名单.*编辑中", text)


def test_cross_section_link_points_at_the_heading_page(built):
    _, pdf, _ = built
    reader = pypdf.PdfReader(pdf)
    marks = {}
    for item in reader.outline:
        if isinstance(item, list):
            for sub in item:
                if not isinstance(sub, list):
                    marks[sub.title] = reader.get_destination_page_number(sub)
    targets = []
    intro_page = dict(outline(pdf))["引言"] - 1
    for annot in reader.pages[intro_page].get("/Annots") or []:
        annot = annot.get_object()
        dest = annot.get("/Dest") or (annot.get("/A") or {}).get("/D")
        if dest is not None:
            if isinstance(dest, (str, pypdf.generic.TextStringObject, pypdf.generic.NameObject)):
                dest = reader.named_destinations[str(dest)]
                targets.append(reader.get_destination_page_number(dest))
            else:
                targets.append(reader.get_page_number(dest[0].get_object()) if hasattr(dest[0], "get_object") else None)
    assert marks["预算执行"] in targets


def test_book_pdf_shares_fonts_so_it_is_not_much_larger_than_one_pass(make_source):
    source = make_source(SECTIONS, extra={"assets/photo.png": PNG})
    sizes = {}
    for engine in ("book", "single"):
        out = source / f"out-{engine}"
        assert build(BuildOptions(source=source, out=out, formats=("pdf",), pdf_engine=engine)).ok
        sizes[engine] = (out / "report.pdf").stat().st_size
    assert sizes["book"] <= 1.5 * sizes["single"], sizes


def test_binding_reuses_a_faces_program_until_an_edit_brings_a_new_character(make_source):
    source = make_source(SECTIONS, extra={"assets/photo.png": PNG})
    options = BuildOptions(source=source, out=source / "build", formats=("pdf",), pdf_engine="book")
    cache = source / "build" / ".cache" / "pdf"

    def programs():
        return {path.name: path.stat().st_mtime_ns for path in cache.glob("font-*.otf")}

    assert build(options).ok
    first = programs()
    assert first
    finance = source / "sections" / "02-finance.md"
    with finance.open("a", encoding="utf-8") as handle:
        handle.write("\n收支平衡。\n")  # characters the report already has
    assert build(options).ok
    assert programs() == first
    with finance.open("a", encoding="utf-8") as handle:
        handle.write("\n鑫鑫向荣。\n")
    assert build(options).ok
    after = programs()
    assert after.keys() != first.keys() and len(after) == len(first)  # one program per face, the old ones gone
    assert "鑫鑫向荣" in "".join(page.extract_text() for page in pypdf.PdfReader(source / "build" / "report.pdf").pages)


@pytest.mark.parametrize("how", ["raises", "process dies"])
def test_a_section_that_cannot_be_typeset_is_one_diagnostic_naming_it(make_source, monkeypatch, how):
    """Whatever goes wrong inside a typesetting worker ends as `path: error: …` for the
    section concerned and exit status 1, never a traceback or a half-written PDF."""
    import os

    from click.testing import CliRunner

    from reportgen.cli import main
    from reportgen.pdf import book

    sections = dict(SECTIONS, **{"02-finance.md": SECTIONS["02-finance.md"] + "\n无法排版的段落。\n"})
    source = make_source(sections, extra={"assets/photo.png": PNG})
    real = book._render

    def failing(html, base, fetcher):
        if "无法排版" in html:
            if how == "raises":
                raise RuntimeError("layout broke")
            os._exit(3)  # as if the kernel killed the worker
        return real(html, base, fetcher)

    monkeypatch.setattr(book, "_render", failing)
    result = CliRunner().invoke(
        main, ["build", str(source), "--format", "pdf", "--pdf-engine", "book", "-q"], catch_exceptions=False
    )
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert errors and all(line.startswith("sections/") for line in errors), result.stderr
    assert any(line.startswith("sections/02-finance.md:5: error: typesetting 财务报告 failed: ") for line in errors)
    if how == "raises":
        assert errors == ["sections/02-finance.md:5: error: typesetting 财务报告 failed: RuntimeError: layout broke"]
    assert not (source / "build" / "report.pdf").exists()

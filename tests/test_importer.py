"""`reportgen import`: a shared document's export and Hugo/Jekyll posts become a report source.

Every result is read back with the project's own reader, as the build will read it.
"""

from __future__ import annotations

import re
import struct
import textwrap
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.author.importer import decoded_url
from reportgen.cli import main
from reportgen.errors import Diagnostics
from reportgen.load.reader import load_report
from reportgen.model import Status
from reportgen.render.markdown import LinkRef, ref

# A miniature of an exported shared document: title line, legend, hand-kept
# progress list, marked sections with subsections, a remote image, a bare URL
# with an escaped '_', and reference links listed once at the end.
DOCUMENT = """\
# 2031 测试社年度报告

> **图标说明：**
>
> ✍️编辑中
>
> 👁️审核中
>
> ✅已完成

> **当前进展：**
>
> - ✍️引言
> - 理事会
> - 工作组

# ✍️引言

正文见[官网][1]。[^n]

# 👁️理事会

![](https://example.org/board.png)

## ✅成员

名单见[名单][2]，另见https://example.org/s/\\_abc 。

# 工作组

## 👁️财务组

### 工作进展

1. 完成预算[报告][1]。

## ✍️媒体组

[1]: https%3A%2F%2Fexample.org%2Fs%3Fa%3D1%26b%3D2
[2]: https://example.org/members

[^n]: 一条脚注。
"""


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load(source: Path):
    diags = Diagnostics()
    report = load_report(source, diags)
    assert report is not None and not diags.errors, [str(d) for d in diags.errors]
    return report


def links(section) -> list[tuple[str, str]]:
    """(href, kind) of every link of a section, as the reader classified them."""
    return [
        (c.attrGet("href"), getattr(ref(c, LinkRef), "kind", None))
        for t in section.tokens
        for c in t.children or []
        if c.type == "link_open"
    ]


@pytest.fixture
def imported(tmp_path):
    doc = write(tmp_path, "export.md", DOCUMENT)
    result = run("import", doc, "--into", tmp_path / "report")
    assert result.exit_code == 0, result.output
    return tmp_path / "report", result.output


# --- one exported document ------------------------------------------------------------------


def test_each_top_level_heading_becomes_a_section_in_order_with_its_statuses(imported):
    source, _ = imported
    report = load(source)
    assert [s.title for s in report.sections] == ["引言", "理事会", "工作组"]
    assert [s.root.own_status for s in report.sections] == [Status.EDITING, Status.REVIEWING, None]
    tree = [(h.level, h.title, h.own_status) for s in report.sections for h in s.root.walk()]
    assert tree == [
        (1, "引言", Status.EDITING),
        (1, "理事会", Status.REVIEWING),
        (2, "成员", Status.DONE),
        (1, "工作组", None),
        (2, "财务组", Status.REVIEWING),
        (3, "工作进展", None),
        (2, "媒体组", Status.EDITING),
    ]
    assert report.sections[2].root.status is Status.EDITING


def test_the_title_line_becomes_the_report_title_and_year(imported):
    source, _ = imported
    manifest = load(source).manifest
    assert (manifest.title, manifest.year, manifest.language) == ("2031 测试社年度报告", 2031, "zh-CN")
    files = [p.name for p in sorted((source / "sections").iterdir())]
    assert files == ["01-yin-yan.md", "02-li-shi-hui.md", "03-gong-zuo-zu.md"]  # pinyin of the titles
    assert all("测试社年度报告" not in (source / "sections" / f).read_text(encoding="utf-8") for f in files)


def test_legend_and_progress_list_are_dropped_with_a_note(imported):
    source, out = imported
    text = "".join(p.read_text(encoding="utf-8") for p in (source / "sections").iterdir())
    assert "图标说明" not in text and "当前进展" not in text
    assert re.search(r"note: .*export\.md:3: dropped the legend", out)
    assert re.search(r"note: .*export\.md:11: dropped the hand-kept progress list.*generates it", out)


def test_reference_links_are_carried_into_each_section_that_uses_them_and_decoded(imported):
    source, _ = imported
    report = load(source)
    intro, board, groups = report.sections
    assert links(intro) == [("https://example.org/s?a=1&b=2", "external")]
    assert links(groups) == [("https://example.org/s?a=1&b=2", "external")]
    assert ("https://example.org/members", "external") in links(board)
    raw = [(source / s.path).read_text(encoding="utf-8") for s in report.sections]
    assert ["[1]:" in r for r in raw] == [True, False, True]
    assert ["[2]:" in r for r in raw] == [False, True, False]
    assert "%3A%2F%2F" not in "".join(raw)


def test_footnote_definitions_travel_with_their_reference(imported):
    source, _ = imported
    intro, board, groups = load(source).sections
    assert "[^n]: 一条脚注。" in (source / intro.path).read_text(encoding="utf-8")
    assert any(t.type == "footnote_ref" for tok in intro.tokens for t in tok.children or [])
    assert "一条脚注" not in (source / groups.path).read_text(encoding="utf-8")


def test_escaped_underscore_in_a_bare_url_gives_the_right_link(imported):
    source, _ = imported
    board = load(source).sections[1]
    assert ("https://example.org/s/_abc", "external") in links(board)


def test_imported_document_builds_with_its_links_and_the_remote_image_placeholder(imported):
    source, _ = imported
    result = run("build", source, "--format", "html")
    assert result.exit_code == 0, result.output
    html = source / "build" / "html"
    assert 'href="https://example.org/s?a=1&amp;b=2"' in (html / "01-yin-yan.html").read_text(encoding="utf-8")
    board = (html / "02-li-shi-hui.html").read_text(encoding="utf-8")
    assert 'href="https://example.org/members"' in board
    assert "image-placeholder" in board and "https://example.org/board.png" in board


def test_summary_names_each_file_with_its_heading(imported):
    _, out = imported
    assert re.search(r"wrote \S+01-yin-yan\.md\s+\(✍️引言 ← \S+export\.md:17\)", out)
    assert "3 section(s), 5 unit(s) with a status (✍️ 2 editing, 👁️ 2 reviewing, ✅ 1 done)" in out


def test_a_second_run_skips_every_file_and_force_overwrites(imported, tmp_path):
    source, _ = imported
    first = source / "sections" / "01-yin-yan.md"
    manifest = (source / "report.yaml").read_text(encoding="utf-8")
    first.write_text("# ✅引言\n\n改过了。\n", encoding="utf-8")
    again = run("import", tmp_path / "export.md", "--into", source)
    assert again.exit_code == 0
    assert "skipped" in again.output and "01-yin-yan.md: exists already" in again.output
    assert "改过了" in first.read_text(encoding="utf-8")
    assert (source / "report.yaml").read_text(encoding="utf-8") == manifest
    forced = run("import", tmp_path / "export.md", "--into", source, "--force")
    assert forced.exit_code == 0
    assert "改过了" not in first.read_text(encoding="utf-8")
    assert len(load(source).sections) == 3


def test_importing_into_an_existing_report_extends_its_manifest_and_keeps_comments(tmp_path):
    source = tmp_path / "report"
    write(
        source,
        "report.yaml",
        """\
        # 我们的报告
        title: 已有报告   # 别改
        year: 2031
        sections:
          # 开头
          - sections/01-intro.md

        # 版本
        editions:
          public:
            unfinished: omit
        """,
    )
    write(source, "sections/01-intro.md", "# ✅前言\n\n已有。\n")
    doc = write(tmp_path, "export.md", DOCUMENT)
    result = run("import", doc, "--into", source)
    assert result.exit_code == 0, result.output
    text = (source / "report.yaml").read_text(encoding="utf-8")
    assert "title: 已有报告   # 别改" in text and "# 开头" in text and "# 版本" in text
    report = load(source)
    assert report.manifest.title == "已有报告"
    assert [s.path for s in report.sections] == [
        "sections/01-intro.md",
        "sections/02-yin-yan.md",
        "sections/03-li-shi-hui.md",
        "sections/04-gong-zuo-zu.md",
    ]


def test_titles_give_ascii_file_names_chinese_in_pinyin(tmp_path):
    doc = write(tmp_path, "doc.md", "# ✍️Annual Meeting 2031\n\nText.\n\n# 👁️第八届年会（SparkCon'31）\n\n正文。\n")
    result = run("import", doc, "--into", tmp_path / "r")
    assert result.exit_code == 0, result.output
    report = load(tmp_path / "r")
    assert [s.path for s in report.sections] == [
        "sections/01-annual-meeting-2031.md",
        "sections/02-di-ba-jie-nian-hui-sparkcon-31.md",
    ]
    assert report.manifest.language == "zh-CN"


def test_a_document_whose_sections_are_level_two_is_lifted(tmp_path):
    doc = write(
        tmp_path, "doc.md", "# Report 2031\n\n## ✍️Intro\n\nText here.\n\n### Detail\n\nMore.\n\n## ✅End\n\nDone.\n"
    )
    result = run("import", doc, "--into", tmp_path / "r")
    assert result.exit_code == 0, result.output
    report = load(tmp_path / "r")
    assert [(h.level, h.title) for s in report.sections for h in s.root.walk()] == [
        (1, "Intro"),
        (2, "Detail"),
        (1, "End"),
    ]
    assert (report.manifest.title, report.manifest.year, report.manifest.language) == ("Report 2031", 2031, "en")


def test_a_first_heading_with_subsections_is_a_section_not_the_title(tmp_path):
    doc = write(tmp_path, "doc.md", "# 执行委员会\n\n## 👁️成员\n\n名单。\n\n# ✍️后记\n\n正文。\n")
    result = run("import", doc, "--into", tmp_path / "r", "--year", "2031")
    assert result.exit_code == 0, result.output
    report = load(tmp_path / "r")
    assert [s.title for s in report.sections] == ["执行委员会", "后记"]
    assert report.manifest.title == "2031 年度报告"


def test_text_before_the_first_section_is_kept_as_a_section_with_a_warning(tmp_path):
    doc = write(tmp_path, "doc.md", "开场白一段。\n\n# ✍️引言\n\n正文。\n")
    result = run("import", doc, "--into", tmp_path / "r", "--year", "2031")
    assert result.exit_code == 0, result.output
    assert re.search(r"doc\.md:1: warning: text before the first section", result.output)
    report = load(tmp_path / "r")
    assert [s.title for s in report.sections] == ["前言", "引言"]
    assert report.manifest.year == 2031


def test_whole_percent_encoded_urls_are_decoded_and_others_left_alone():
    assert decoded_url("https%3A%2F%2Fa.org%2Fs%3Fx%3D1") == "https://a.org/s?x=1"
    assert decoded_url("https%3A%2F%2Fa.org%2Fa%20b") == "https://a.org/a%20b"
    assert decoded_url("notes%2Fa.md") == "notes%2Fa.md"


# --- Hugo and Jekyll posts ---------------------------------------------------------------------

POSTS = {
    "hugo-a.md": """\
        ---
        title: "第二篇：活动一览"
        date: 2023-03-08T14:39:45+08:00
        icon: "services/events.png"
        draft: false
        weight: 100
        description: '活动的摘要。'
        ---

        # 好的议题

        正文甲。

        ## 细节

        # 活动概览

        正文乙。
        """,
    "hugo-b.md": """\
        ---
        title: "第一篇"
        date: 2022-11-16T21:48:52+08:00
        weight: 12
        ---
        ## 已经是二级

        正文。
        """,
    "hugo-c.md": """\
        ---
        title: "邀请函"
        date: 2022-11-21T10:23:54+08:00
        draft: true
        weight: 100
        ------------

        # 为什么是您

        正文。
        """,
    "jekyll-d.md": """\
        ---
        layout: post
        title: "COSCon China 2023"
        description: "A short summary."
        date: 2023-12-26
        tags: [Meeting]
        ---

        There was one day.
        <!--more-->

        # What is COSCon

        Text.
        """,
}


@pytest.fixture
def posts(tmp_path):
    files = [write(tmp_path / "posts", name, text) for name, text in POSTS.items()]
    result = run("import", *files, "--into", tmp_path / "report")
    assert result.exit_code == 0, result.output
    return tmp_path / "report", result.output


def test_posts_are_ordered_by_weight_then_date(posts):
    source, _ = posts
    assert [s.title for s in load(source).sections] == ["第一篇", "邀请函", "第二篇：活动一览", "COSCon China 2023"]


def test_drafts_are_editing_and_published_posts_done(posts):
    source, _ = posts
    statuses = {s.title: s.root.own_status for s in load(source).sections}
    assert statuses == {
        "第一篇": Status.DONE,
        "邀请函": Status.EDITING,
        "第二篇：活动一览": Status.DONE,
        "COSCon China 2023": Status.DONE,
    }


def test_each_post_has_one_top_heading_and_its_own_headings_below_it(posts):
    source, out = posts
    report = load(source)
    tree = {s.title: [(h.level, h.title) for h in s.root.walk()][1:] for s in report.sections}
    assert tree["第二篇：活动一览"] == [(2, "好的议题"), (3, "细节"), (2, "活动概览")]
    assert tree["第一篇"] == [(2, "已经是二级")]
    assert tree["COSCon China 2023"] == [(2, "What is COSCon")]
    assert "a section file has one '#' heading" not in out


def test_other_front_matter_keys_are_kept_under_extra(posts):
    source, _ = posts
    extra = {s.title: s.front.extra for s in load(source).sections}
    assert extra["第二篇：活动一览"] == {"date": "2023-03-08T14:39:45+08:00", "icon": "services/events.png"}
    assert extra["COSCon China 2023"] == {"layout": "post", "date": "2023-12-26", "tags": ["Meeting"]}


def test_more_marker_is_dropped_and_description_leads_the_section(posts):
    source, _ = posts
    text = (source / "sections" / "04-coscon-china-2023.md").read_text(encoding="utf-8")
    assert "<!--more-->" not in text and "more" not in text
    assert text.index("> A short summary.") < text.index("There was one day.")


def test_long_dash_front_matter_closer_is_accepted_with_a_warning(posts):
    _, out = posts
    assert re.search(r"hugo-c\.md:6: warning: front matter closed by a longer row of dashes", out)


def test_year_and_title_come_from_post_dates_when_there_is_no_title_line(posts):
    source, out = posts
    manifest = load(source).manifest
    assert (manifest.title, manifest.year, manifest.language) == ("2023 年度报告", 2023, "zh-CN")
    assert "note: report title set to '2023 年度报告'" in out


def test_toml_front_matter_is_understood(tmp_path):
    post = write(
        tmp_path, "t.md", '+++\ntitle = "Hugo TOML"\ndate = 2023-05-01\ndraft = true\ntags = ["x"]\n+++\n\nBody.\n'
    )
    result = run("import", post, "--into", tmp_path / "r")
    assert result.exit_code == 0, result.output
    section = load(tmp_path / "r").sections[0]
    assert (section.title, section.root.own_status) == ("Hugo TOML", Status.EDITING)
    assert section.front.extra == {"date": "2023-05-01", "tags": ["x"]}


def test_local_images_are_copied_into_assets_and_missing_ones_warned(tmp_path):
    (tmp_path / "site" / "images").mkdir(parents=True)
    (tmp_path / "site" / "images" / "pic.png").write_bytes(PNG)
    post = write(
        tmp_path / "site", "p.md", "---\ntitle: 图\n---\n\n![现场](images/pic.png)\n\n![丢了](images/gone.png)\n"
    )
    result = run("import", post, "--into", tmp_path / "r")
    assert result.exit_code == 0, result.output
    assert re.search(r"p\.md:7: warning: image not found: images/gone\.png", result.output)
    assert (tmp_path / "r" / "assets" / "images" / "pic.png").read_bytes() == PNG
    text = (tmp_path / "r" / "sections" / "01-tu.md").read_text(encoding="utf-8")
    assert "](../assets/images/pic.png)" in text and "](../assets/images/gone.png)" in text


def test_an_exported_document_copies_its_images_too_with_names_that_work(tmp_path):
    (tmp_path / "doc" / "img").mkdir(parents=True)
    (tmp_path / "doc" / "img" / "合影 2023.png").write_bytes(PNG)
    (tmp_path / "doc" / "img" / "logo.png").write_bytes(PNG)
    doc = write(
        tmp_path / "doc",
        "export.md",
        '# ✍️引言\n\n![合影](img/%E5%90%88%E5%BD%B1%202023.png)\n\n<img src="./img/logo.png" width="80">\n',
    )
    result = run("import", doc, "--into", tmp_path / "r")
    assert result.exit_code == 0, result.output
    images = tmp_path / "r" / "assets" / "images"
    assert (images / "合影 2023.png").read_bytes() == PNG and (images / "logo.png").read_bytes() == PNG
    text = next((tmp_path / "r" / "sections").glob("*.md")).read_text(encoding="utf-8")
    assert "![合影](../assets/images/合影%202023.png)" in text
    assert '<img src="../assets/images/logo.png" width="80">' in text
    section = load(tmp_path / "r").sections[0]
    assert "assets/images/合影 2023.png" in section.env["assets"]  # the build finds the decoded name


def test_an_error_in_any_input_writes_nothing(tmp_path):
    good = write(tmp_path, "good.md", "---\ntitle: 好\n---\n正文。\n")
    bad = write(tmp_path, "bad.md", "---\ntitle: [未闭合\n---\n正文。\n")
    result = run("import", good, bad, tmp_path / "missing.md", "--into", tmp_path / "r")
    assert result.exit_code == 1
    assert re.search(r"bad\.md:\d+: error: invalid YAML", result.output)
    assert re.search(r"missing\.md: error: no such file", result.output)
    assert not (tmp_path / "r").exists()


def _png() -> bytes:
    """A valid 1×1 PNG, made here so the tests need no binary files."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


PNG = _png()

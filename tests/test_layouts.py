"""Sources laid out as site generators lay them out: ids from paths, links between
pages, site-root images, file names that need decoding, front matter of other tools."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from reportgen.build import BuildOptions, build
from reportgen.cli import main
from reportgen.errors import Diagnostics
from reportgen.load.reader import load_report, section_id
from reportgen.render.markdown import LinkRef, ref
from tests.conftest import PNG, SourceMaker


def site(tmp_path: Path, files: dict[str, str | bytes], manifest: dict | None = None) -> Path:
    """A source whose sections are where a site generator keeps them (not under sections/)."""
    listed = {"title": "手册", "year": 2025, "sections": [p for p in files if p.endswith(".md")]}
    return SourceMaker(tmp_path)({}, manifest={**listed, **(manifest or {})}, extra=files, name="site")


def load(source: Path):
    diags = Diagnostics()
    report = load_report(source, diags)
    return report, [str(d) for d in diags.items]


def test_ids_come_from_paths_so_folder_pages_never_collide():
    assert section_id("sections/01-intro.md") == "01-intro"
    assert section_id("README.md") == "home"
    assert section_id("guide/README.md") == "guide"
    assert section_id("guide/index.md") == "guide"
    assert section_id("guide/start.md") == "guide-start"
    assert section_id("docs/使用 指南/第一步.md") == "docs-使用-指南-第一步"


def test_readme_in_several_folders_builds_with_a_page_each(tmp_path):
    source = site(
        tmp_path,
        {
            "README.md": "# 简介\n\n正文。\n",
            "guide/README.md": "# 指南\n\n正文。\n",
            "faq/README.md": "# 问答\n\n正文。\n",
        },
    )
    result = build(BuildOptions(source, tmp_path / "out", formats=("html",)))
    assert result.ok, [str(d) for d in result.diagnostics.items]
    pages = {p.name for p in (tmp_path / "out" / "html").glob("*.html")}
    assert {"home.html", "guide.html", "faq.html"} <= pages


def test_an_id_override_and_only_use_the_new_ids(tmp_path):
    source = site(
        tmp_path,
        {
            "guide/README.md": "---\nid: handbook\n---\n# 指南\n\n正文。\n",
            "guide/start.md": "# 开始\n\n正文。\n",
        },
    )
    report, _ = load(source)
    assert [s.id for s in report.sections] == ["handbook", "guide-start"]
    result = build(BuildOptions(source, tmp_path / "out", formats=("html",), only="guide-start"))
    assert result.ok
    assert (tmp_path / "out" / "review" / "guide-start" / "html" / "guide-start.html").is_file()


def test_links_between_markdown_files_become_links_between_sections(tmp_path):
    source = site(
        tmp_path,
        {
            "guide/README.md": """
            # 指南

            先读[准备工作](./start.md#准备)，再看[问答](../faq/index.md)和[发布后的页面](start.html)。
            """,
            "guide/start.md": "# 开始\n\n## 准备\n\n正文。\n",
            "faq/index.md": "# 问答\n\n见[指南](../guide/)与[外面](../../elsewhere.md)。\n",
        },
    )
    result = build(BuildOptions(source, tmp_path / "out", formats=("html", "pdf"), pdf_engine="single"))
    messages = [str(d) for d in result.diagnostics.items]
    assert result.ok, messages
    assert "faq/index.md:3: warning: link points outside the report, link dropped: ../../elsewhere.md" in messages
    page = (tmp_path / "out" / "html" / "guide.html").read_text(encoding="utf-8")
    assert '<a href="guide-start.html#准备">准备工作</a>' in page
    assert '<a href="faq.html">问答</a>' in page
    assert '<a href="guide-start.html">发布后的页面</a>' in page
    assert '<a href="guide.html">指南</a>' in (tmp_path / "out" / "html" / "faq.html").read_text(encoding="utf-8")
    assert _pdf_link_targets(tmp_path / "out" / "report.pdf") >= {"guide-start--准备", "faq"}


def test_links_from_the_site_root_find_the_pages_beside_the_site_root_folder(tmp_path):
    source = site(
        tmp_path,
        {
            "docs/index.md": "# 首页\n\n见[指南](/guide/start)与[问答](/faq.html#问)。\n",
            "docs/guide/start.md": "# 开始\n\n正文。\n",
            "docs/faq.md": "# 问答\n\n## 问\n",
            "docs/public/logo.png": PNG,
        },
    )
    report, messages = load(source)
    assert not messages, messages
    links = report.sections[0].env["links"]
    assert [(ref(t, LinkRef).target, ref(t, LinkRef).anchor) for t in links] == [
        ("docs/guide/start.md", ""),
        ("docs/faq.md", "问"),
    ]


def _pdf_link_targets(pdf: Path) -> set[str]:
    """Names of the destinations the PDF's internal links go to (the single-pass PDF names them)."""
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    names = set()
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            dest = annot.get_object().get("/Dest")
            if dest is not None and not isinstance(dest, list):
                names.add(str(dest))
    return names


def test_site_root_images_come_from_the_public_folder_and_odd_names_work(tmp_path):
    source = site(
        tmp_path,
        {
            "docs/report.md": """
            # 报告

            ![图一](/image/data/1-1.png)

            ![图二](<./img/a b.png>)

            ![图三](img/R%26D%20plan.png)

            ![缺](/image/none.png)
            """,
            "public/image/data/1-1.png": PNG,
            "docs/img/a b.png": PNG,
            "docs/img/R&D plan.png": PNG,
        },
    )
    result = build(BuildOptions(source, tmp_path / "out", formats=("html",)))
    messages = [str(d) for d in result.diagnostics.items]
    assert any(
        m.startswith("docs/report.md:9: warning: image not found, a placeholder is shown: /image/none.png")
        for m in messages
    ), messages
    html = tmp_path / "out" / "html"
    page = (html / "docs-report.html").read_text(encoding="utf-8")
    assert 'src="files/public/image/data/1-1.png"' in page  # the source's files live in the site's files/
    assert 'src="files/docs/img/a%20b.png"' in page
    assert 'src="files/docs/img/R%26D%20plan.png"' in page
    assert (html / "files/public/image/data/1-1.png").read_bytes() == PNG
    assert (html / "files/docs/img/a b.png").is_file() and (html / "files/docs/img/R&D plan.png").is_file()


def test_the_public_folder_can_be_named_and_must_stay_inside(tmp_path):
    files = {"a.md": "# 甲\n\n![x](/x.png)\n", "assets/site/x.png": PNG}
    report, messages = load(site(tmp_path, files, {"public": "assets/site"}))
    assert report.manifest.public == ("assets/site",)
    assert report.sections[0].env["assets"] == {"assets/site/x.png"}
    _, messages = load(site(tmp_path / "2", files, {"public": "../outside"}))
    assert any("report.yaml:" in m and "public must be a folder inside the report folder" in m for m in messages)


def test_site_root_images_never_leave_the_report(tmp_path):
    (tmp_path / "secret.png").write_bytes(PNG)
    source = site(
        tmp_path, {"a.md": "# 甲\n\n![x](/../../secret.png)\n\n![y](/public/../../secret.png)\n", "public/p.png": PNG}
    )
    report, messages = load(source)
    assert "assets" not in report.sections[0].env
    assert all("error" in m or "warning" in m for m in messages) and len(messages) == 2


def test_front_matter_of_other_tools_is_kept_and_shown_under_extra(tmp_path, make_source):
    source = make_source(
        {
            "a.md": """
        ---
        title: 甲
        tags: [2024 中国开源年度报告]
        Author: 张三
        Translator & Reviewer: 李四
        date: 2024-05-01
        layout: doc
        ---
        # 甲

        正文。
        """
        }
    )
    report, messages = load(source)
    assert (
        "sections/a.md:3: warning: front matter key 'tags' is not one of reportgen's "
        "(title, status, owner, reviewers, due, id, owners, extra, translator, source); kept under 'extra'" in messages
    )
    assert not any("error" in m for m in messages)
    result = CliRunner().invoke(main, ["status", str(source), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    extra = json.loads(result.stdout)["sections"][0]["extra"]
    assert extra == {
        "tags": ["2024 中国开源年度报告"],
        "Author": "张三",
        "Translator & Reviewer": "李四",
        "date": "2024-05-01",
        "layout": "doc",
    }


def test_a_file_without_a_top_heading_says_where_its_title_came_from(make_source):
    source = make_source(
        {
            "a.md": "---\ntitle: 来自元数据\n---\n正文。\n",
            "b.md": "引言。\n\n## 第二级标题\n\n正文。\n",
            "c.md": "只有正文。\n",
        }
    )
    report, messages = load(source)
    assert [s.title for s in report.sections] == ["来自元数据", "第二级标题", "c"]
    assert (
        "sections/b.md:3: warning: no '#' heading opens the file; its first heading (level 2) is the title" in messages
    )
    assert (
        "sections/c.md:1: warning: no heading in the file and no 'title:' in its front matter; "
        "its title is the file name: c" in messages
    )
    assert not any(m.startswith("sections/a.md") for m in messages)


# --- parts and the depth of the contents ----------------------------------------------------------

PARTED = {
    "title": "手册",
    "year": 2025,
    "toc_depth": 1,
    "bookmark_depth": 2,
    "sections": [
        "sections/intro.md",
        {"part": "基础认知", "sections": ["sections/what.md", "sections/license.md"]},
        {"part": "实践指南", "sections": ["sections/start.md"]},
    ],
}
PAGES = {
    "intro.md": "# 简介\n\n## 缘起\n\n正文。\n",
    "what.md": "# ✅什么是开源\n\n## 定义\n\n### 细节\n\n正文。\n",
    "license.md": "# ✅许可证\n\n## MIT\n\n正文。\n",
    "start.md": "# 开始\n\n## 准备\n\n正文。\n",
}


def _outline(pdf: Path) -> list[tuple[int, str]]:
    from pypdf import PdfReader

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                yield from walk(item, depth + 1)
            else:
                yield depth, item.title

    return list(walk(PdfReader(pdf).outline, 0))


def _parted(make_module_source, engine: str):
    source = make_module_source(PAGES, manifest=PARTED, name=f"parted-{engine}")
    out = source.parent / f"out-{engine}"
    result = build(BuildOptions(source, out, pdf_engine=engine))
    assert result.ok, [str(d) for d in result.diagnostics.items]
    return out


def test_parts_are_bookmark_levels_and_title_pages_in_both_pdf_engines(make_module_source):
    from pypdf import PdfReader

    for engine in ("book", "single"):
        out = _parted(make_module_source, engine)
        assert _outline(out / "report.pdf") == [
            (0, "编写进度"),
            (0, "目录"),  # the front matter's bookmarks
            (0, "简介"),
            (1, "缘起"),
            (0, "基础认知"),
            (1, "什么是开源"),
            (2, "定义"),
            (1, "许可证"),
            (2, "MIT"),
            (0, "实践指南"),
            (1, "开始"),
            (2, "准备"),
        ], engine  # bookmark_depth 2: '细节' (h3) has no bookmark
        pages = [page.extract_text() for page in PdfReader(out / "report.pdf").pages]
        first_lines = [text.split("\n")[0] for text in pages]
        for part, opening in (("基础认知", "什么是开源"), ("实践指南", "开始")):
            title_page = first_lines.index(part)  # a page of its own, just before its first section
            assert opening in pages[title_page + 1] and opening not in pages[title_page], engine
        contents = next(text for text in pages if "目录" in text)
        assert "基础认知" in contents and "实践指南" in contents
        assert "缘起" not in contents and "定义" not in contents  # toc_depth 1


def test_parts_group_the_html_navigation_contents_status_and_dashboard(make_module_source):
    out = _parted(make_module_source, "book")
    page = (out / "html" / "license.html").read_text(encoding="utf-8")
    group = page[page.index('<li class="nav-part"><span class="nav-part-title">基础认知</span><ol>') :]
    group = group[: group.index("</ol></li>")]
    assert "什么是开源" in group and "许可证" in group and "开始" not in group and "简介" not in group
    index = (out / "html" / "index.html").read_text(encoding="utf-8")
    assert '<li class="toc-0">实践指南</li>' in index and "缘起" not in index.split('class="toc"')[1]
    dashboard = (out / "dashboard" / "index.html").read_text(encoding="utf-8")
    rows = dashboard[dashboard.index('<table class="parts">') :].split("</table>")[0]
    assert "基础认知" in rows and "2/2" in rows and "实践指南" in rows and "0/1" in rows
    source = out.parent / "parted-book"
    data = json.loads(CliRunner().invoke(main, ["status", str(source), "--json"], catch_exceptions=False).stdout)
    assert [s["part"] for s in data["sections"]] == [None, "基础认知", "基础认知", "实践指南"]


def test_a_malformed_part_or_depth_is_an_error_at_its_line(make_source):
    source = make_source(
        {"a.md": "# 甲\n"},
        manifest={"sections": ["sections/a.md", {"part": "空"}], "toc_depth": 9, "bookmark_depth": "deep"},
    )
    _, messages = load(source)
    assert any(
        m.startswith("report.yaml:") and "a part is written '- part: TITLE' with its own 'sections:'" in m
        for m in messages
    ), messages
    assert any(
        m.startswith("report.yaml:") and "'toc_depth' must be a heading level from 1 to 6, got 9" in m for m in messages
    )
    assert any("'bookmark_depth' must be a heading level from 1 to 6" in m for m in messages)


def test_a_review_copy_of_a_section_in_a_part_has_no_part_title_page(make_module_source):
    from pypdf import PdfReader

    source = make_module_source(PAGES, manifest=PARTED, name="parted-review")
    result = build(BuildOptions(source, source.parent / "out-review", formats=("pdf",), only="license"))
    assert result.ok
    pages = [p.extract_text() for p in PdfReader(source.parent / "out-review/review/license/report.pdf").pages]
    assert not any("基础认知" in text for text in pages)
    assert _outline(source.parent / "out-review/review/license/report.pdf") == [(0, "许可证"), (1, "MIT")]

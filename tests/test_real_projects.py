"""Real projects, made small: a VitePress report, a GitBook handbook and an mdBook.

Each is imported with ``reportgen import FOLDER --into …`` and built; every local
image must be drawn in the PDF and shown in the HTML edition, and every
diagnostic must say ``path:line``.  The GitBook folder also builds in place,
from a hand-written report.yaml.

The figures are written by `figure` (a Markdown image); the projects' raw-HTML
figures (``<img>`` in table cells, ``<center>`` captions, ``<img src="./img/…">``)
belong in `figure` too, as a second form, once raw HTML passes through.
"""

from __future__ import annotations

import html as html_module
import re
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from reportgen.cli import main
from tests.conftest import PNG, write_files

DIAGNOSTIC = re.compile(r"^(?P<path>\S+?):(?P<line>\d+)?:? ?(?:\d+: )?(?P<severity>error|warning): ")


def figure(src: str, caption: str) -> str:
    """A figure as the projects write it: a Markdown image with its caption below."""
    return f"![{caption}]({src})\n\n{caption}\n"


def html_figure(src: str, caption: str, in_table: bool = True) -> str:
    """A figure as VitePress and mdBook reports write it: an ``<img>`` (in a table cell,
    beside its note) with a ``<center>`` caption below."""
    image = f'<img src="{src}" width="600" alt="">'
    body = f"| 图 | 说明 |\n| --- | --- |\n| {image} | 数据截至年底<br>来源：公开仓库 |\n" if in_table else image + "\n"
    return f"{body}\n<center>{caption}</center>\n"


#: A tag printed as text: what raw HTML that is not passed through looks like in an output.
TAG_AS_TEXT = re.compile(r"<\s*/?\s*(img|center|br|table|td|div|span|p)\b", re.IGNORECASE)


def vitepress_report(root: Path) -> tuple[Path, int]:
    """A yearly report published with VitePress: pages in docs/, images under docs/public/
    referenced from the site root, front matter with tags; (folder, number of local images)."""
    return write_files(
        root,
        {
            "package.json": '{"scripts": {"docs:build": "vitepress build docs"}}\n',
            "docs/.vitepress/config.mts": "export default { title: '开源年度报告' }\n",
            "docs/index.md": "---\nlayout: home\nhero:\n  name: 2024 中国开源年度报告\n---\n",
            "docs/1-overview.md": "---\ntags: [2024 中国开源年度报告]\nAuthor: 张三\nTranslator & Reviewer: 李四\n---\n"
            "# 总览\n\n"
            + html_figure("/image/data/1-1.png", "图 1.1 项目数量")
            + "\n详见[数据](./2-data.md#活跃度)。\n",
            "docs/2-data.md": "---\ntags: [2024 中国开源年度报告]\ndate: 2024-12-01\n---\n# 数据\n\n## 活跃度\n\n"
            + figure("/image/data/%E5%9B%BE%202.png", "图 2.1 活跃度")
            + "\n"
            + figure("./img/local.png", "图 2.2 本地图"),
            "docs/public/image/data/1-1.png": PNG,
            "docs/public/image/data/图 2.png": PNG,
            "docs/img/local.png": PNG,
        },
    ), 3


def gitbook_handbook(root: Path) -> tuple[Path, int]:
    """A GitBook/HonKit handbook: SUMMARY.md with part headings, a README.md in several folders."""
    return write_files(
        root,
        {
            "book.json": '{"title": "开源治理手册"}\n',
            "SUMMARY.md": """
            # 开源治理手册 2023

            * [简介](README.md)

            ## 基础认知

            * [什么是开源](basics/README.md)
                * [许可证](basics/license.md)

            ## 实践指南

            * [开始](guide/README.md)
            * [准备工作](guide/start.md)
            """,
            "README.md": "# 简介\n\n本手册介绍开源治理。先读[准备工作](guide/start.md#准备)。\n",
            "basics/README.md": f"# 什么是开源\n\n{figure('../assets/open.png', '图 1 开源')}",
            "basics/license.md": "# 许可证\n\n## MIT\n\n宽松许可证。回到[简介](../README.md)。\n",
            "guide/README.md": f"# 开始\n\n{figure('img/steps.png', '图 2 步骤')}",
            "guide/start.md": "# 准备工作\n\n## 准备\n\n见[许可证](../basics/license.md#mit)。\n",
            "assets/open.png": PNG,
            "guide/img/steps.png": PNG,
        },
    ), 2


GITBOOK_MANIFEST = """
    title: 开源治理手册
    year: 2023
    sections:
      - README.md
      - part: 基础认知
        sections:
          - basics/README.md
          - basics/license.md
      - part: 实践指南
        sections:
          - guide/README.md
          - guide/start.md
    """


def mdbook(root: Path) -> tuple[Path, int]:
    """An mdBook: book.toml with its title, src/SUMMARY.md, figures as ./img/… beside the chapters."""
    return write_files(
        root,
        {
            "book.toml": '[book]\ntitle = "2022 Rust 中文社区年鉴"\nsrc = "src"\n',
            "src/SUMMARY.md": """
            # Summary

            [前言](README.md)

            - [第一章](chapter_1.md)
                - [小节](chapter_1/section.md)
            - [第二章](chapter_2.md)
            """,
            "src/README.md": "# 前言\n\n欢迎。\n",
            "src/chapter_1.md": f"# 第一章\n\n{html_figure('./img/fig1.png', '图 1', in_table=False)}",
            "src/chapter_1/section.md": "## 小节\n\n正文。\n",
            "src/chapter_2.md": f"# 第二章\n\n{figure('./img/fig%202.png', '图 2')}",
            "src/img/fig1.png": PNG,
            "src/img/fig 2.png": PNG,
        },
    ), 2


def run(*args) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


def diagnostics(output: str) -> list[str]:
    return [line for line in output.splitlines() if re.search(r"\b(error|warning): ", line)]


def assert_every_diagnostic_has_a_line(output: str) -> None:
    for line in diagnostics(output):
        match = DIAGNOSTIC.match(line.removeprefix("to fix before building: "))
        assert match and match.group("line"), f"no path:line: {line}"


def drawn_images(pdf: Path) -> int:
    """The projects' figures drawn on the PDF's pages (inside form XObjects too): image
    XObjects of the figures' 2×2 pixels, so the colour emoji of the badges do not count."""
    from pypdf import PdfReader
    from pypdf.generic import ContentStream

    reader = PdfReader(pdf)

    def count(stream, resources) -> int:
        xobjects = (resources or {}).get("/XObject", {})
        xobjects = xobjects.get_object() if xobjects else {}
        n = 0
        for operands, operator in ContentStream(stream, reader).operations:
            if operator == b"Do" and operands[0] in xobjects:
                xobject = xobjects[operands[0]].get_object()
                if xobject.get("/Subtype") == "/Image" and (xobject["/Width"], xobject["/Height"]) == (2, 2):
                    n += 1
                elif xobject.get("/Subtype") == "/Form":
                    n += count(xobject, xobject.get("/Resources"))
        return n

    return sum(
        count(page.get_contents(), page.get("/Resources")) for page in reader.pages if page.get_contents() is not None
    )


def assert_builds_with_every_image(source: Path, out: Path, images: int, *options) -> None:
    code, output = run("build", source, "--out", out, *options)
    assert code == 0, output
    assert_every_diagnostic_has_a_line(output)
    assert drawn_images(out / "report.pdf") == images
    pdf_text = "".join(page.extract_text() or "" for page in PdfReader(out / "report.pdf").pages)
    assert not TAG_AS_TEXT.search(pdf_text), TAG_AS_TEXT.search(pdf_text)
    html = out / "html"
    shown = []
    for page in html.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "image-placeholder" not in text, page.name
        visible = html_module.unescape(re.sub(r"<[^>]+>", "", text))  # the page's text, as a reader sees it
        assert not TAG_AS_TEXT.search(visible), (page.name, TAG_AS_TEXT.search(visible))
        shown += re.findall(r'<img src="([^"]+)"', text.split("<main", 1)[-1])
    from urllib.parse import unquote

    assert len(shown) == images, shown
    assert all((html / unquote(src)).read_bytes() == PNG for src in shown)


PROJECTS = {"vitepress": vitepress_report, "gitbook": gitbook_handbook, "mdbook": mdbook}


@pytest.mark.parametrize("kind", PROJECTS)
def test_a_project_folder_imports_and_builds_with_every_image(tmp_path, kind):
    folder, images = PROJECTS[kind](tmp_path / kind)
    code, output = run("import", folder, "--into", tmp_path / "report")
    assert code == 0, output
    assert_every_diagnostic_has_a_line(output)
    assert re.search(r"^note: .*(SUMMARY\.md|every Markdown file)", output, re.MULTILINE), output
    assert not list((tmp_path / "report" / "sections").glob("*-section.md"))  # named after their titles
    assert_builds_with_every_image(tmp_path / "report", tmp_path / "out", images)


def test_title_and_year_come_from_the_project(tmp_path):
    expected = {
        "vitepress": ("2024 中国开源年度报告", 2024),
        "gitbook": ("开源治理手册 2023", 2023),
        "mdbook": ("2022 Rust 中文社区年鉴", 2022),
    }
    for kind, make in PROJECTS.items():
        folder, _ = make(tmp_path / kind)
        code, output = run("import", folder, "--into", tmp_path / f"{kind}-report")
        assert code == 0, output
        manifest = (tmp_path / f"{kind}-report" / "report.yaml").read_text(encoding="utf-8")
        title, year = expected[kind]
        assert f"title: {title}\n" in manifest and f"year: {year}\n" in manifest, kind


def test_gitbook_parts_and_links_survive_the_import(tmp_path):
    folder, _ = gitbook_handbook(tmp_path / "gitbook")
    run("import", folder, "--into", tmp_path / "report")
    manifest = (tmp_path / "report" / "report.yaml").read_text(encoding="utf-8")
    assert "  - part: 基础认知\n    sections:\n      - sections/02-shen-me-shi-kai-yuan.md\n" in manifest
    start = (tmp_path / "report" / "sections" / "05-zhun-bei-gong-zuo.md").read_text(encoding="utf-8")
    assert "[许可证](03-xu-ke-zheng.md#mit)" in start
    code, output = run("check", tmp_path / "report")
    assert code == 0 and "link" not in output, output


def test_mdbook_nesting_opens_a_part_and_a_page_without_title_heading_keeps_its_text(tmp_path):
    folder, _ = mdbook(tmp_path / "book")
    code, output = run("import", folder, "--into", tmp_path / "report")
    assert code == 0, output
    manifest = (tmp_path / "report" / "report.yaml").read_text(encoding="utf-8")
    assert "  - part: 第一章\n" in manifest
    section = next((tmp_path / "report" / "sections").glob("*-xiao-jie.md")).read_text(encoding="utf-8")
    assert section.startswith("# ✅小节\n") and "正文。" in section and section.count("小节") == 1


def test_the_gitbook_folder_builds_in_place_from_a_hand_written_manifest(tmp_path):
    folder, images = gitbook_handbook(tmp_path / "gitbook")
    (folder / "report.yaml").write_text(textwrap.dedent(GITBOOK_MANIFEST).lstrip(), encoding="utf-8")
    assert_builds_with_every_image(folder, tmp_path / "out", images, "--pdf-engine", "single")
    pages = {p.name for p in (tmp_path / "out" / "html").glob("*.html")}
    assert {"home.html", "basics.html", "basics-license.html", "guide.html", "guide-start.html"} <= pages
    intro = (tmp_path / "out" / "html" / "home.html").read_text(encoding="utf-8")
    assert '<a href="guide-start.html#准备">准备工作</a>' in intro


def test_images_are_never_copied_from_outside_the_folder_or_through_a_symlink(tmp_path):
    (tmp_path / "secret.png").write_bytes(b"secret")
    folder, _ = gitbook_handbook(tmp_path / "gitbook")
    (folder / "leak.png").symlink_to(tmp_path / "secret.png")
    (folder / "basics" / "license.md").write_text(
        '# 许可证\n\n![a](../../secret.png)\n\n![b](../leak.png)\n\n<img src="../leak.png">\n', encoding="utf-8"
    )
    code, output = run("import", folder, "--into", tmp_path / "report")
    assert code == 0, output
    assert len(re.findall(r"license\.md:\d+: warning: image not found", output)) == 3, output
    copied = list((tmp_path / "report" / "assets" / "images").iterdir())
    assert all(p.read_bytes() == PNG for p in copied)


def import_folder(tmp_path: Path, files: dict[str, str]) -> tuple[str, Path]:
    """Write a project folder of ``files``, import it; (the import's output, the report folder)."""
    code, output = run("import", write_files(tmp_path / "project", files), "--into", tmp_path / "report")
    assert code == 0, output
    return output, tmp_path / "report"


def test_mkdocs_nav_gives_order_parts_and_title(tmp_path):
    output, report = import_folder(
        tmp_path,
        {
            "mkdocs.yml": """
            site_name: 2021 开源社年报
            markdown_extensions:
              - pymdownx.emoji:
                  emoji_index: !!python/name:material.extensions.emoji.twemoji
            nav:
              - 首页: index.md
              - 活动:
                  - 年会: events/conf.md
                  - 沙龙: events/meetup.md
              - about.md
            """,
            "docs/index.md": "# 首页\n\n正文。\n",
            "docs/events/conf.md": "# 年会\n\n正文。\n",
            "docs/events/meetup.md": "正文，没有标题。\n",
            "docs/about.md": "# 关于\n\n正文。\n",
            "docs/unlisted.md": "# 不在导航里\n",
        },
    )
    assert "note: " in output and "mkdocs.yml nav" in output
    manifest = (report / "report.yaml").read_text(encoding="utf-8")
    assert "title: 2021 开源社年报\n" in manifest and "year: 2021\n" in manifest
    assert re.search(
        r"- sections/01-shou-ye\.md\n  - part: 活动\n    sections:\n      - sections/02-nian-hui\.md\n"
        r"      - sections/03-sha-long\.md\n  - sections/04-guan-yu\.md\n",
        manifest,
    ), manifest
    meetup = (report / "sections" / "03-sha-long.md").read_text(encoding="utf-8")
    assert meetup.startswith("# ✅沙龙\n")  # the nav's name, since the page has no heading


def test_hugo_content_is_ordered_by_weight_then_date(tmp_path):
    output, report = import_folder(
        tmp_path,
        {
            "hugo.toml": 'title = "site"\n',
            "content/posts/b.md": "---\ntitle: 第二\ndate: 2023-01-02\n---\n正文。\n",
            "content/posts/a.md": "---\ntitle: 第三\ndate: 2023-05-01\n---\n正文。\n",
            "content/posts/c.md": "---\ntitle: 第一\nweight: 1\ndate: 2023-09-01\n---\n正文。\n",
        },
    )
    assert "weight, then date" in output
    names = [p.name for p in sorted((report / "sections").iterdir())]
    assert names == ["01-di-yi.md", "02-di-er.md", "03-di-san.md"]
    assert "year: 2023\n" in (report / "report.yaml").read_text(encoding="utf-8")


def test_vitepress_sidebar_gives_the_order_and_its_config_the_title_and_language(tmp_path):
    output, report = import_folder(
        tmp_path,
        {
            "docs/.vitepress/config.mts": """
            import { defineConfig } from 'vitepress'
            // title: 'not this one'
            export default defineConfig({
              title: '2025 Open Source Yearbook',
              lang: 'en-GB',
              themeConfig: {
                sidebar: [
                  { text: 'Money', items: [
                    { text: 'Finance', link: '/guide/finance' },
                    { text: 'Start', link: '/guide/' },
                  ] },
                ],
              },
            })
            """,
            "docs/index.md": "# Welcome\n\nThe year in brief.\n",
            "docs/guide/index.md": "# Start\n\nText.\n",
            "docs/guide/finance.md": "# Finance\n\nText.\n",
            "docs/about.md": "# About\n\nNot in the sidebar.\n",
        },
    )
    assert "the order of the sidebar in docs/.vitepress/config.mts" in output, output
    manifest = (report / "report.yaml").read_text(encoding="utf-8")
    assert "title: 2025 Open Source Yearbook\n" in manifest and "language: en-GB\n" in manifest, manifest
    listed = re.findall(r"^  - (sections/\S+)$", manifest, re.MULTILINE)
    titles = [(report / rel).read_text(encoding="utf-8").split("\n", 1)[0] for rel in listed]
    assert titles == ["# ✅Welcome", "# ✅Finance", "# ✅Start", "# ✅About"]


def test_status_markers_after_a_title_are_read_when_pages_are_imported(tmp_path):
    output, report = import_folder(
        tmp_path,
        {
            "docs/.vitepress/config.mts": "export default { title: '2026 年度报告' }\n",
            "docs/a.md": "# 财务 ✍️\n\n## 收入 👁️\n\n正文。\n",
            "docs/b.md": "# **总览** ✅\n\n正文。\n",
        },
    )
    a = (report / "sections" / "01-cai-wu.md").read_text(encoding="utf-8")
    assert a.startswith("# ✍️财务\n"), a
    assert "(✍️ 1 editing, 👁️ 1 reviewing, ✅ 1 done)" in output, output
    code, status = run("status", report)
    assert code == 0 and "财务" in status and "✍️ 财务 ✍️" not in status


def test_a_page_s_script_style_and_toc_are_left_out_with_a_warning_at_their_line(tmp_path):
    output, report = import_folder(
        tmp_path,
        {
            "docs/.vitepress/config.mts": "export default { title: '2026 年度报告' }\n",
            "docs/index.md": "---\nlayout: home\n---\n\n<script setup>\nimport { ref } from 'vue'\n</script>\n\n"
            "# 首页\n\n[[toc]]\n\n正文。\n\n<style>\n.x { color: red }\n</style>\n\n```html\n<script>kept()</script>\n```\n",
        },
    )
    text = (report / "sections" / "01-shou-ye.md").read_text(encoding="utf-8")
    assert text.count("首页") == 1 and "# ✅首页\n" in text  # the title, not a second heading below it
    assert "import { ref }" not in text and "color: red" not in text and "[[toc]]" not in text
    assert "<script>kept()</script>" in text  # code that is shown stays
    page = str(tmp_path / "project" / "docs" / "index.md")
    for line, what in ((5, "<script> block left out"), (11, "[[toc]] left out"), (15, "<style> block left out")):
        assert f"{page}:{line}: warning: {what}" in output, output


def test_a_code_import_is_copied_in_only_from_inside_the_project(tmp_path):
    (tmp_path / "secret.js").write_text("const secret = 1\n", encoding="utf-8")
    files = {
        "docs/.vitepress/config.mts": "export default { title: '2026 年度报告' }\n",
        "docs/snippets/demo.ts": "// #region setup\nconst a = 1\n// #endregion\nconst b = ```2```\n",
        "docs/guide/code.md": "# 代码\n\n<<< @/snippets/demo.ts#setup{1 ts:line-numbers}\n\n<<< ../snippets/demo.ts\n\n"
        "<<< @/../../secret.js\n\n<<< @/snippets/link.js\n",
    }
    project = write_files(tmp_path / "project", files)
    (project / "docs" / "snippets" / "link.js").symlink_to(tmp_path / "secret.js")
    code, output = run("import", project, "--into", tmp_path / "report")
    assert code == 0, output
    text = (tmp_path / "report" / "sections" / "01-dai-ma.md").read_text(encoding="utf-8")
    assert "```ts\nconst a = 1\n```" in text  # the region only, in the language the import names
    assert "````ts\n// #region setup\n" in text and "const b = ```2```\n````" in text  # a fence longer than its code's
    assert "secret" not in text.replace("secret.js", "")
    page = f"{project / 'docs' / 'guide' / 'code.md'}"
    assert f"{page}:7: warning: code import @/../../secret.js is not a file inside the project" in output
    assert f"{page}:9: warning: code import @/snippets/link.js is not a file inside the project" in output


def test_a_page_s_front_matter_interpolations_are_filled_in(tmp_path):
    output, report = import_folder(
        tmp_path,
        {
            "docs/.vitepress/config.mts": "export default { title: '2026 年度报告' }\n",
            "docs/a.md": "---\nhero:\n  text: 开源之年\nyear: 2026\n---\n# 总览\n\n"
            "欢迎阅读{{ $frontmatter.hero.text }}（{{$frontmatter.year}}）。{{ $frontmatter.gone }}\n\n"
            "`{{ $frontmatter.year }}`\n",
        },
    )
    text = (report / "sections" / "01-zong-lan.md").read_text(encoding="utf-8")
    assert "欢迎阅读开源之年（2026）。{{ $frontmatter.gone }}" in text
    assert "`{{ $frontmatter.year }}`" in text  # code shows what the author typed
    page = tmp_path / "project" / "docs" / "a.md"
    assert f"{page}:8: warning: {{{{ $frontmatter.gone }}}} names no text in the page's front matter" in output

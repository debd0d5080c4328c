"""Raw HTML and other generators' Markdown in a real-looking report, seen in both outputs.

A VitePress-style chapter (``<img>`` figures in table cells, ``<center>``
captions, ``<br>``, an ``<h1 align="center">`` heading, comments, callouts
and math) is built to the PDF and the HTML edition: every local image is
drawn, no tag is printed as text, headings written as HTML are headings, and
every element dropped is a ``path:line`` warning that ``--strict`` fails on.
"""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

import pypdf
import pytest
from click.testing import CliRunner

from reportgen.build import BuildOptions, build
from reportgen.cli import main
from reportgen.errors import Diagnostics
from reportgen.load.reader import load_report
from reportgen.model import Status
from reportgen.render.body import section_html
from reportgen.render.editions import select

CHAPTER = """\
---
owner: 张三
---
<!-- 本章由数据组撰写
![旧图](../public/image/data/old.png)
-->
<h1 align="center">✅数据篇</h1>

## 1.1 GitHub 数据

活跃度继续增长。<br>下图给出了分布。

<img src="../public/image/data/1-1.png" width="700">
<center>图 1.1 活跃仓库的分布</center>

| 年份 | 图 |
| --- | --- |
| 2023 | <img src="../public/image/data/1-2.png" width="300"> |
| 2024 | <img src="../public/image/data/1-3.png" width="700" alt="2024"> |

<table>
  <tr>
    <td><img src="../public/image/data/1-4.png" width="400"></td>
    <td><img src="../public/image/data/1-5.png" width="400"></td>
  </tr>
  <tr><td colspan="2" align="center">图 1.2 两个并排的图</td></tr>
</table>

<h2>✍️1.2 展望</h2>

::: tip 数据来源
数据来自 GitHub Archive。
:::

!!! note "说明"
    活跃仓库指一年内有过 push 的仓库。

> [!WARNING]
> 口径有变化。

活跃度按 $A = \\frac{c}{t}$ 计算，<font color="red">红字</font>保留。

$$
\\sum_{i=1}^{n} w_i = 1
$$

<details><summary>计算细节</summary>

按月加权平均。

</details>

<iframe src="https://player.example.org/v/1"></iframe>
"""
IMAGES = {f"public/image/data/1-{n}.png": (40 + 10 * n, 30 + 7 * n) for n in range(1, 6)}
"""Five figures of five sizes, so the PDF cannot draw one for another."""


def _png(size: tuple[int, int], shade: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (shade, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def vitepress(make_module_source):
    extra = {path: _png(size, 40 * n) for n, (path, size) in enumerate(IMAGES.items())}
    source = make_module_source({"data.md": CHAPTER}, extra=extra, name="vitepress")
    out = source / "build"
    result = build(BuildOptions(source=source, out=out, formats=("pdf", "html")))
    assert result.ok, [str(d) for d in result.diagnostics.items]
    return source, out, [str(d) for d in result.diagnostics.items]


class _Text(HTMLParser):
    """The text a reader sees on a page: no scripts, no styles."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style") and self._skip > 0

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def page_text(html: str) -> str:
    reader = _Text()
    reader.feed(html)
    return "".join(reader.text)


def pdf_reader(out):
    return pypdf.PdfReader(out / "report.pdf")


TAG_AS_TEXT = re.compile(r"</?(img|center|br|h[1-6]|table|td|tr|font|details|summary|iframe|kbd)\b|&lt;|<!--", re.I)


def test_every_local_image_is_drawn_in_the_pdf(vitepress):
    _, out, _ = vitepress
    drawn = {}  # image XObject → its size (emoji are drawn as images too)
    for page in pdf_reader(out).pages:
        for image in page.images:
            drawn[image.indirect_reference.idnum] = image.image.size
    figures = sorted(size for size in drawn.values() if size in IMAGES.values())
    assert figures == sorted(IMAGES.values())


def test_every_local_image_is_in_the_html_edition(vitepress):
    _, out, _ = vitepress
    page = (out / "html" / "data.html").read_text(encoding="utf-8")
    sources = re.findall(r'<img src="([^"]+)"', page)
    assert sorted(sources) == sorted(f"files/{image}" for image in IMAGES)  # the source's files live in files/
    assert all((out / "html" / src).is_file() for src in sources)
    assert 'style="width: 700px"' in page  # the author's size, which the column may still shrink


def test_no_tag_is_printed_as_text(vitepress):
    _, out, _ = vitepress
    pdf_text = "\n".join(page.extract_text() for page in pdf_reader(out).pages)
    html_text = page_text((out / "html" / "data.html").read_text(encoding="utf-8"))
    for text in (pdf_text, html_text):
        assert not TAG_AS_TEXT.search(text), TAG_AS_TEXT.search(text).group(0)
        assert "图 1.1 活跃仓库的分布" in text and "红字保留" in text
        assert "本章由数据组撰写" not in text  # a comment is never shown


def test_headings_written_as_html_are_headings_with_markers(vitepress):
    source, out, _ = vitepress
    titles = [item.title for item in pdf_reader(out).outline if not isinstance(item, list)]
    assert titles == ["编写进度", "目录", "数据篇"]  # the front matter's two, then the chapter
    report = load_report(source, Diagnostics())
    root = report.sections[0].root
    assert (root.title, root.own_status) == ("数据篇", Status.DONE)
    assert [(h.title, h.own_status) for h in root.children] == [("1.1 GitHub 数据", None), ("1.2 展望", Status.EDITING)]
    page = (out / "html" / "data.html").read_text(encoding="utf-8")
    assert 'class="status-done align-center">数据篇</h1>' in page


def test_callouts_math_and_embeds_in_both_outputs(vitepress):
    _, out, _ = vitepress
    page = (out / "html" / "data.html").read_text(encoding="utf-8")
    assert page.count('class="callout callout-') == 3
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="math"') == 2
    assert "[嵌入页面未嵌入]" in page and "<iframe" not in page
    pdf_text = "\n".join(page.extract_text() for page in pdf_reader(out).pages)
    for words in ("数据来源", "说明", "警告", "计算细节", "按月加权平均", "https://player.example.org/v/1"):
        assert words in pdf_text
    assert "\\frac" not in pdf_text and "\\sum" not in pdf_text  # drawn, not printed as source


def test_details_are_open_in_the_pdf_only(vitepress):
    source, _, _ = vitepress
    report = load_report(source, Diagnostics())
    view = select(report, "draft", Diagnostics()).views[0]
    assert "<details open" in section_html(report, view, "pdf", "draft", {})
    assert "<details open" not in section_html(report, view, "html", "draft", {})


def line_of(text: str) -> int:
    return next(n for n, line in enumerate(CHAPTER.splitlines(), start=1) if text in line)


def test_what_is_dropped_is_a_warning_at_its_line(vitepress):
    _, _, messages = vitepress
    font, iframe = line_of("<font"), line_of("<iframe")
    assert any(
        m.startswith(f"sections/data.md:{font}: warning: raw HTML <font> dropped, its text kept") for m in messages
    )
    assert any(m.startswith(f"sections/data.md:{iframe}: warning: raw HTML <iframe> is not embedded") for m in messages)
    assert len(messages) == 2, messages  # comments, <br>, <center>, tables, images: nothing to report


def test_strict_check_and_build_fail_on_dropped_html(make_source):
    source = make_source({"a.md": "# 甲\n\n正文 <marquee>滚动</marquee>。\n"})
    runner = CliRunner()
    loose = runner.invoke(main, ["check", str(source)], catch_exceptions=False)
    strict = runner.invoke(main, ["check", str(source), "--strict"], catch_exceptions=False)
    assert loose.exit_code == 0 and strict.exit_code == 1
    assert "sections/a.md:3: warning: raw HTML <marquee> dropped, its text kept" in strict.output
    built = runner.invoke(main, ["build", str(source), "--format", "html", "--strict"], catch_exceptions=False)
    assert built.exit_code == 1 and not (source / "build" / "html").exists()


def test_a_comment_before_the_title_leaves_the_title_in_place(make_source):
    source = make_source({"a.md": "<!-- 草稿 -->\n# 标题\n\n正文。\n"})
    diags = Diagnostics()
    report = load_report(source, diags)
    assert report.sections[0].root.title == "标题"
    assert not diags.items


@pytest.mark.parametrize(
    "text,line,message",
    [
        ("$\\begin{aligned} x \\end{aligned}$", 3, "math cannot be typeset"),
        ("```mermaid\ngraph TD; A-->B\n```", 3, "```mermaid diagram is not drawn"),
        ("::: foo\n内容\n:::", 3, "unknown callout kind 'foo'"),
        ('文字\n\n<img src="../assets/none.png" width="50">', 5, "image not found, a placeholder is shown"),
        ('<a href="javascript:alert(1)">x</a>', 3, "link scheme not allowed"),
        ('<div onclick="x()" id="y">块</div>', 3, "raw HTML <div>: attributes dropped: onclick, id"),
        ("正文\n\n{{#include ../listings/main.rs}}", 5, "mdBook {{#…}} directive is not followed"),
        ("<<< @/snippets/demo.js", 3, "VitePress code import <<< @/… is not followed"),
        ("[[toc]]", 3, "[[toc]] is not supported"),
    ],
)
def test_each_unsupported_block_is_a_warning_at_its_line(make_source, text, line, message):
    source = make_source({"a.md": f"# 甲\n\n{text}\n"})
    diags = Diagnostics()
    load_report(source, diags)
    found = [str(d) for d in diags.items]
    assert any(d.startswith(f"sections/a.md:{line}: warning: {message}") for d in found), found


def test_words_written_in_html_count_for_their_unit(make_source):
    source = make_source({"a.md": '# 甲\n\n<p align="center">四个汉字</p>\n\n<center>图一</center>\n'})
    report = load_report(source, Diagnostics())
    assert report.sections[0].root.words == 4 + 2  # the paragraph and the caption (a title is no body text)


def test_words_in_angle_brackets_are_prose_not_a_tag(make_source):
    source = make_source({"a.md": "# 甲\n\n歌曲 <The Song of the Open Source People> 与 List<String>。\n"})
    diags = Diagnostics()
    report = load_report(source, diags)
    view = select(report, "draft", Diagnostics()).views[0]
    html = section_html(report, view, "html", "draft", {})
    assert "&lt;The Song of the Open Source People&gt;" in html and "List&lt;String&gt;" in html
    assert not diags.items


def test_math_is_math_even_after_the_charts_turned_dollar_parsing_off():
    import matplotlib

    from reportgen.render.extensions import typeset

    with matplotlib.rc_context({"text.parse_math": False}):  # what the chart style sets
        assert typeset(r"\alpha_{after\ charts}", False)[0].startswith("<svg")
        assert typeset(r"\begin{cases} charts \end{cases}", False)[0] is None


def test_an_unknown_callout_kind_keeps_its_word_as_title(make_source):
    source = make_source({"a.md": "# 甲\n\n!!! 重要通知\n    年会改期。\n\n::: 注意事项\n内容。\n:::\n"})
    report = load_report(source, Diagnostics())
    html = section_html(report, select(report, "draft", Diagnostics()).views[0], "html", "draft", {})
    assert '<p class="callout-title">重要通知</p>' in html and '<p class="callout-title">注意事项</p>' in html


def test_an_html_banner_above_the_title_goes_under_it(make_source):
    banner = '<p align="center"><img src="../assets/logo.png" width="120"></p>\n\n'
    for title in ("# 标题", '<h1 align="center">标题</h1>'):
        source = make_source({"a.md": banner + title + "\n\n正文。\n"}, extra={"assets/logo.png": _png((9, 9), 0)})
        diags = Diagnostics()
        report = load_report(source, diags)
        assert report.sections[0].root.title == "标题" and not diags.items, [str(d) for d in diags.items]
        html = section_html(report, select(report, "draft", Diagnostics()).views[0], "html", "draft", {})
        assert html.index("标题</h1>") < html.index('<img src="files/assets/logo.png"')

"""Rebuilding the HTML edition after an edit, as an owner and the preview do: the edit is in
the page and in search, pages whose inputs did not change are not rewritten, and whatever
any page shows from another section (titles, figure numbers) is never stale."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reportgen.build import BuildOptions, build
from reportgen.load.reader import ParseCache
from reportgen.render import search
from tests.conftest import PNG
from tests.test_site import index_text

SECTIONS = {
    "01-intro.md": "# ✅引言\n\n协会稳步发展。\n\n表：会员 {#tbl-members}\n\n| 年 | 人数 |\n| --- | --- |\n| 2026 | 300 |\n",
    "02-finance.md": "# ✅财务报告\n\n收支平衡。\n\n表：预算\n\n| 科目 | 金额 |\n| --- | --- |\n| 会费 | 100 |\n",
    "03-events.md": "# ✅活动\n\n全年举办活动四十余场，会员人数见[](#tbl-members)。\n",
}


class Preview:
    """Builds as `reportgen serve` does: one process, one `ParseCache`, told before each build
    which files changed (found here by comparing the tree, as the preview's watcher sees saves)."""

    def __init__(self) -> None:
        self.cache = ParseCache()
        self.seen: dict[str, tuple] = {}

    def __call__(self, source: Path, out: Path):
        now = {
            str(path): (stat.st_size, stat.st_mtime_ns, stat.st_ino)
            for path in source.rglob("*")
            if (stat := path.stat()) and path.is_file()
        }
        self.cache.changed({p for p in now.keys() | self.seen.keys() if now.get(p) != self.seen.get(p)})
        self.seen = now
        return _checked(build(BuildOptions(source=source, out=out, formats=("html",)), parse_cache=self.cache))


def _command(source: Path, out: Path):
    return _checked(build(BuildOptions(source=source, out=out, formats=("html",))))


def _checked(result):
    assert result.ok, [str(d) for d in result.diagnostics.items]
    return result


@pytest.fixture(params=["command", "preview"])
def html_build(request):
    """Every rebuild below is checked as a new command (nothing kept) and as the preview does it."""
    return _command if request.param == "command" else Preview()


def identity(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns


def append(source: Path, name: str, text: str) -> None:
    with (source / "sections" / name).open("a", encoding="utf-8") as handle:
        handle.write(f"\n{text}\n")


@pytest.fixture
def built(make_source, tmp_path, html_build) -> tuple[Path, Path]:
    source = make_source(SECTIONS)
    out = tmp_path / "out"
    html_build(source, out)
    return source, out


def test_an_edit_is_in_its_page_and_found_by_search_after_the_rebuild(built, html_build):
    source, out = built
    site = out / "html"
    append(source, "03-events.md", "新增的段落提到霓虹鲸落计划。")
    html_build(source, out)
    assert "霓虹鲸落" in (site / "03-events.html").read_text(encoding="utf-8")
    assert "霓虹鲸落" in index_text(site)
    (source / "sections" / "03-events.md").write_text("# ✅活动\n\n全年举办活动四十余场。\n", encoding="utf-8")
    html_build(source, out)
    assert "霓虹鲸落" not in (site / "03-events.html").read_text(encoding="utf-8")
    assert "霓虹鲸落" not in index_text(site)  # the search index never describes an older version


def test_only_the_edited_section_page_is_written_again(built, html_build):
    source, out = built
    site = out / "html"
    before = {
        name: identity(site / name) for name in ("01-intro.html", "02-finance.html", "03-events.html", "index.html")
    }
    append(source, "03-events.md", "又一段。")
    html_build(source, out)
    assert identity(site / "index.html") == before["index.html"]  # the contents did not change
    assert identity(site / "01-intro.html") == before["01-intro.html"]
    assert identity(site / "02-finance.html") == before["02-finance.html"]
    assert identity(site / "03-events.html") != before["03-events.html"]
    fresh = out.parent / "fresh"
    _command(source, fresh)  # what a build from nothing makes is what the rebuild put in place
    for name in ("01-intro.html", "02-finance.html", "03-events.html", "index.html"):
        assert (site / name).read_bytes() == (fresh / "html" / name).read_bytes(), name


def test_a_new_title_is_in_the_sidebar_of_every_page(built, html_build):
    source, out = built
    path = source / "sections" / "03-events.md"
    path.write_text(path.read_text(encoding="utf-8").replace("# ✅活动", "# ✅年度活动纪要"), encoding="utf-8")
    html_build(source, out)
    for name in ("01-intro.html", "02-finance.html", "03-events.html", "index.html"):
        assert "年度活动纪要" in (out / "html" / name).read_text(encoding="utf-8"), name


def test_a_new_subheading_is_in_the_contents_of_the_index_page(built, html_build):
    source, out = built
    append(source, "03-events.md", "## ✅秋季论坛\n\n论坛在十月举行。")
    html_build(source, out)
    assert "秋季论坛" in (out / "html" / "index.html").read_text(encoding="utf-8")


def test_figure_numbers_that_move_are_shown_moved_on_every_page(built, html_build):
    source, out = built
    finance, events = out / "html" / "02-finance.html", out / "html" / "03-events.html"
    assert "表 2" in finance.read_text(encoding="utf-8") and "表 1" in events.read_text(encoding="utf-8")
    intro = source / "sections" / "01-intro.md"
    intro.write_text(
        intro.read_text(encoding="utf-8").replace(
            "协会稳步发展。", "协会稳步发展。\n\n表：新表\n\n| 甲 | 乙 |\n| --- | --- |\n| 1 | 2 |\n"
        ),
        encoding="utf-8",
    )
    html_build(source, out)
    assert "表 3" in finance.read_text(encoding="utf-8")  # its own table, numbered after the new ones
    assert "表 2" in events.read_text(encoding="utf-8")  # a cross-reference into another section


def test_a_page_changed_in_the_output_is_made_again(built, html_build):
    source, out = built
    page = out / "html" / "01-intro.html"
    page.write_text(page.read_text(encoding="utf-8").replace("协会稳步发展", "被人改过"), encoding="utf-8")
    append(source, "03-events.md", "再一段。")
    html_build(source, out)
    assert "协会稳步发展" in page.read_text(encoding="utf-8")


def test_a_changed_image_makes_its_page_again(make_source, tmp_path, html_build):
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="2"><rect width="4" height="2" fill="{}"/></svg>'
    source = make_source(
        {"01-a.md": "# ✅甲\n\n![图](../assets/p.svg)\n", "02-b.md": "# ✅乙\n\n正文。\n"},
        extra={"assets/p.svg": svg.format("#111")},
    )
    out = tmp_path / "out"
    html_build(source, out)
    (source / "assets" / "p.svg").write_text(svg.format("#222222"), encoding="utf-8")
    html_build(source, out)
    assert "#222222" in (out / "html" / "files" / "assets" / "p.svg").read_text(encoding="utf-8")


def test_search_is_rebuilt_by_the_command_line_when_the_service_fails(built, monkeypatch, html_build):
    source, out = built

    def broken(self, pages, output):
        raise search.ServiceError("stopped")

    monkeypatch.setattr(search.Service, "index", broken)
    append(source, "02-finance.md", "服务失败后仍能搜到琉璃瓦。")
    html_build(source, out)
    assert "琉璃瓦" in index_text(out / "html")


def test_one_process_keeps_one_service_across_builds(built, html_build):
    """As reportgen serve does: the second build's index comes from the same, warm service."""
    source, out = built
    first = search._running
    assert first is not None and first.alive()
    append(source, "01-intro.md", "预览中加入的珊瑚礁。")
    html_build(source, out)
    assert search._running is first
    assert "珊瑚礁" in index_text(out / "html")


def test_the_service_reads_no_pagefind_configuration_of_the_working_folder(built, monkeypatch, html_build):
    source, out = built
    search._stop()
    (source / "pagefind.yml").write_text(f"output_path: {source / 'owned'}\n", encoding="utf-8")
    monkeypatch.chdir(source)
    append(source, "01-intro.md", "工作目录里的配置不算数。")
    html_build(source, out)
    assert (out / "html" / "pagefind" / "pagefind.js").is_file()
    assert not (source / "owned").exists()
    assert os.getcwd() == str(source)


def test_an_image_added_after_the_first_build_replaces_the_placeholder(make_source, tmp_path, html_build):
    """The section did not change, but what its reading found did: the image is no longer missing."""
    source = make_source({"01-a.md": "# ✅甲\n\n![图](../assets/new.png)\n", "02-b.md": "# ✅乙\n\n正文。\n"})
    out = tmp_path / "out"
    first = html_build(source, out)
    assert any("image not found" in d.message for d in first.diagnostics.warnings)
    (source / "assets").mkdir(exist_ok=True)
    (source / "assets" / "new.png").write_bytes(PNG)
    second = html_build(source, out)
    assert not any("image not found" in d.message for d in second.diagnostics.warnings)
    assert 'src="files/assets/new.png"' in (out / "html" / "01-a.html").read_text(encoding="utf-8")


def test_a_link_follows_the_heading_it_names_appearing_and_going_in_another_section(make_source, tmp_path, html_build):
    source = make_source({"01-a.md": "# ✅甲\n\n见[论坛](02-b.md#秋季论坛)。\n", "02-b.md": "# ✅乙\n\n正文。\n"})
    out, page = tmp_path / "out", tmp_path / "out" / "html" / "01-a.html"
    first = html_build(source, out)
    assert any("no heading with anchor '#秋季论坛'" in d.message for d in first.diagnostics.warnings)
    assert 'href="02-b.html"' in page.read_text(encoding="utf-8")
    append(source, "02-b.md", "## ✅秋季论坛\n\n十月举行。")
    second = html_build(source, out)
    assert not second.diagnostics.warnings
    assert 'href="02-b.html#秋季论坛"' in page.read_text(encoding="utf-8")
    (source / "sections" / "02-b.md").write_text("# ✅乙\n\n正文。\n", encoding="utf-8")
    third = html_build(source, out)
    assert any("no heading with anchor '#秋季论坛'" in d.message for d in third.diagnostics.warnings)
    assert 'href="02-b.html"' in page.read_text(encoding="utf-8")


def test_an_unchanged_sections_warnings_are_told_on_every_build(make_source, tmp_path, html_build):
    source = make_source({"01-a.md": "# ✅甲\n\n![图](../assets/gone.png)\n", "02-b.md": "# ✅乙\n\n正文。\n"})
    out = tmp_path / "out"
    for text in ("一段。", "又一段。"):
        result = html_build(source, out)
        assert [d.path for d in result.diagnostics.warnings if "image not found" in d.message] == ["sections/01-a.md"]
        append(source, "02-b.md", text)


def test_a_changed_chart_data_file_is_read_again_though_no_watcher_named_it(make_source, tmp_path):
    """A data file in a folder the preview does not watch: the kept section notices it changed."""
    chart = "```chart\ntype: bar\ndata: data/n.csv\nx: 城市\ny: 人数\n```\n"
    source = make_source({"01-a.md": f"# ✅甲\n\n{chart}", "02-b.md": "# ✅乙\n\n正文。\n"})
    (source / "data").mkdir()
    cache, out = ParseCache(), tmp_path / "out"
    for city, other in (("杭州", "苏州"), ("苏州", "杭州")):
        (source / "data" / "n.csv").write_text(f"城市,人数\n{city},10\n", encoding="utf-8")
        _checked(build(BuildOptions(source=source, out=out, formats=("html",)), parse_cache=cache))
        page = (out / "html" / "01-a.html").read_text(encoding="utf-8")
        assert city in page and other not in page


def test_a_command_stops_its_search_service_once_the_site_is_indexed(make_source, tmp_path):
    """A command builds once: an idle Pagefind would hold its memory until the PDF is done."""
    source = make_source(SECTIONS)
    search._stop()
    search.start(source, keep=False)
    service = search._running
    assert service is not None and service.alive()
    _command(source, tmp_path / "out")
    assert "协会" in index_text(tmp_path / "out" / "html")  # the index was written all the same
    assert search._running is None and not service.alive()

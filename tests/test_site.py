"""The HTML edition as files: its pages, links and anchors, language, landmarks,
the PDF beside it, the search index, and what the public edition leaves out.

These read the built site without a browser; tests/test_browser.py opens it in one.
"""

from __future__ import annotations

import gzip
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from reportgen.build import BuildOptions, build
from reportgen.render import search

# --- the source both this module and test_browser.py build ---------------------------

#: Words that only the draft may show: owners, due dates, and the text of unfinished units.
OWNER = "司马青衫"
OTHER_OWNER = "欧阳子墨"
DUE = "2026-12-01"
UNFINISHED_TEXT = ("银杏计划", "星辰项目")
MARKERS = ("✍", "👁", "✅")

#: Twelve columns: wider than any phone. Its rows carry the indentation of the text it goes into.
WIDE_TABLE = "\n        ".join(
    [
        "| 科目 | " + " | ".join(f"{m}月预算执行金额" for m in range(1, 13)) + " |",
        "| --- |" + " ---: |" * 12,
        "| 会费 | " + " | ".join(f"{1000 * m:,}" for m in range(1, 13)) + " |",
    ]
)

SECTIONS = {
    "01-intro.md": """
        # ✅引言

        本年度协会稳步发展，会员人数持续增长，详见[财务报告中的预算](02-finance.md#预算)。

        ![协会年会的合影](../assets/photo.svg)

        完整记录见 https://example.org/archive/2026/a-very-long-path-that-does-not-break-by-itself/and-keeps-going-on-and-on/index.html
        """,
    "02-finance.md": f"""
        ---
        owner: {OWNER}
        due: {DUE}
        ---
        # ✅财务报告

        本年度财务状况良好，收入与支出保持平衡。

        ## ✅收入

        会费收入占全部收入的一半以上。

        ## ✅预算

        财务预算执行率为九成五，各月执行情况如下。

        {WIDE_TABLE}
        """,
    "03-events.md": f"""
        ---
        owners:
          秋季论坛: {OTHER_OWNER}
        ---
        # 活动

        全年共举办活动四十余场。

        ## ✅春季年会

        春季年会在杭州举行，参会者逾千人。

        ### 主题演讲

        主题演讲聚焦开源治理。

        ## ✍️秋季论坛

        秋季论坛的筹备细节尚未确定，暂定名称为{UNFINISHED_TEXT[0]}。

        ## ✅志愿者

        志愿者团队贡献了大量时间，回到[本页的春季年会](#春季年会)。

        ## ✅城市交流

        各城市之间的交流日益频繁。

        ### Content

        一个与网页自身元素同名的标题。
        """,
    "04-plans.md": f"""
        # 👁️明年计划

        明年计划推出{UNFINISHED_TEXT[1]}，并扩大志愿者队伍。
        """,
}

SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" fill="{}"/></svg>'
EXTRA = {"assets/photo.svg": SVG.format("#48c"), "assets/logo.svg": SVG.format("#e84")}

MANIFEST = {"title": "2026 测试协会年度报告", "subtitle": "一年回顾", "logo": "assets/logo.svg"}

PAGES = ("index.html", "01-intro.html", "02-finance.html", "03-events.html", "04-plans.html", "search.html")


def build_site(make, out: Path, edition: str = "draft", formats=("html",), manifest: dict | None = None) -> Path:
    """Build the test source into ``out``; return the site folder (``out/html``)."""
    source = make(SECTIONS, manifest={**MANIFEST, **(manifest or {})}, extra=EXTRA, name=f"src-{out.name}")
    result = build(BuildOptions(source=source, out=out, formats=tuple(formats), edition=edition))
    assert result.ok, [str(d) for d in result.diagnostics.items]
    return out / "html"


# --- reading the built HTML ------------------------------------------------------------


class Page(HTMLParser):
    """The parts of a built page these tests look at."""

    def __init__(self, text: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.ids: set[str] = set()
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        self.tags.append((tag, attrs))
        if "id" in attrs:
            self.ids.add(attrs["id"])

    def find(self, tag: str, **wanted) -> list[dict]:
        return [a for t, a in self.tags if t == tag and all(a.get(k.rstrip("_")) == v for k, v in wanted.items())]

    def urls(self) -> list[tuple[str, str]]:
        """(tag, URL) of every link, image, script and stylesheet."""
        found = []
        for tag, attrs in self.tags:
            for name in ("href", "src"):
                if attrs.get(name):
                    found.append((tag, attrs[name]))
        return found


def page(site: Path, name: str) -> Page:
    return Page((site / name).read_text(encoding="utf-8"))


def index_text(site: Path) -> str:
    """Every page's text as Pagefind stored it (fragments are gzip'd JSON behind a signature)."""
    texts = []
    for fragment in sorted((site / "pagefind" / "fragment").glob("*.pf_fragment")):
        raw = gzip.decompress(fragment.read_bytes())
        data = json.loads(raw[raw.index(b"{") :])
        anchors = " ".join(a.get("text", "") for a in data.get("anchors", []))
        texts.append(f"{data['url']} {data['meta'].get('title', '')} {data['content']} {anchors}")
    return "\n".join(texts).replace("\u200b", "")  # Pagefind's word boundaries in CJK


# --- fixtures ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def draft(make_module_source, tmp_path_factory) -> Path:
    return build_site(make_module_source, tmp_path_factory.mktemp("draft"))


@pytest.fixture(scope="module")
def public(make_module_source, tmp_path_factory) -> Path:
    return build_site(make_module_source, tmp_path_factory.mktemp("public"), edition="public")


# --- the pages -----------------------------------------------------------------------------


def test_site_has_index_search_and_one_page_per_section(draft):
    for name in PAGES + ("style.css", "site.js", "pagefind/pagefind.js"):
        assert (draft / name).is_file(), name


def test_every_page_sets_lang_and_has_landmarks_and_skip_link(draft):
    for name in PAGES:
        p = page(draft, name)
        assert p.find("html")[0]["lang"] == "zh-CN"
        first_link = next(a for t, a in p.tags if t == "a")
        assert first_link["href"] == "#rg-content" and "skip-link" in first_link["class"]
        assert len(p.find("main", id="rg-content")) == 1
        assert p.find("header") and p.find("footer") and p.find("nav", class_="sidebar")
        assert p.find("form", role="search", action="search.html")
        assert p.find("input", type="search", name="q")


def test_ids_are_unique_on_every_page_even_for_a_heading_named_like_the_page_parts(draft):
    for name in PAGES:
        ids = [a["id"] for _, a in page(draft, name).tags if "id" in a]
        assert len(ids) == len(set(ids)), name
    assert "content" in page(draft, "03-events.html").ids


def test_every_url_is_relative_and_points_inside_the_site(draft):
    for name in PAGES:
        p = page(draft, name)
        for tag, url in p.urls():
            parts = urlsplit(url)
            if tag == "a" and parts.scheme in ("http", "https", "mailto"):
                continue  # a link the reader may follow; nothing is loaded from it
            assert not parts.scheme or url.startswith("data:"), (name, url)
            assert not parts.netloc and not url.startswith("/"), (name, url)
            if url.startswith("data:"):
                continue
            target = parts.path or name
            assert (draft / unquote(target)).is_file(), (name, url)
            if parts.fragment:
                assert unquote(parts.fragment) in page(draft, target).ids, (name, url)


def test_link_to_another_sections_heading_names_its_page_and_anchor(draft):
    links = [a["href"] for a in page(draft, "01-intro.html").find("a")]
    assert "02-finance.html#预算" in links


def test_sidebar_marks_the_current_section_only(draft):
    for name in PAGES[1:5]:
        current = [a["href"] for a in page(draft, name).find("a") if a.get("aria-current") == "page"]
        assert current == [name]
    assert [a["href"] for a in page(draft, "index.html").find("a") if a.get("aria-current") == "page"] == ["index.html"]


def test_previous_and_next_follow_the_manifest_order(draft):
    order = ["index.html", "01-intro.html", "02-finance.html", "03-events.html", "04-plans.html"]
    for i, name in enumerate(order):
        p = page(draft, name)
        prev = [a["href"] for a in p.find("a", rel="prev")]
        nxt = [a["href"] for a in p.find("a", rel="next")]
        assert prev == ([order[i - 1]] if i > 1 else [])
        assert nxt == ([order[i + 1]] if i + 1 < len(order) else [])


def test_long_section_gets_in_page_contents_short_one_does_not(draft):
    events = page(draft, "03-events.html")
    contents = [a["href"] for a in events.find("a") if a["href"].startswith("#") and a["href"] != "#rg-content"]
    for anchor in ("#春季年会", "#主题演讲", "#秋季论坛", "#志愿者", "#城市交流"):
        assert anchor in contents
    assert events.find("nav", class_="page-toc")
    assert not page(draft, "01-intro.html").find("nav", class_="page-toc")


def test_index_has_cover_introduction_and_contents(draft):
    text = (draft / "index.html").read_text(encoding="utf-8")
    assert "2026 测试协会年度报告" in text and "一年回顾" in text
    assert "本年度协会稳步发展" in text  # the opening of the first section, as the introduction
    toc = [a["href"] for a in page(draft, "index.html").find("a")]
    assert "02-finance.html" in toc and "02-finance.html#预算" in toc


def test_images_keep_their_alt_text(draft):
    images = page(draft, "01-intro.html").find("img")
    assert [i["alt"] for i in images] == ["协会年会的合影"]
    assert page(draft, "index.html").find("img", class_="cover-logo")[0]["alt"]


def test_wide_table_sits_in_its_own_scrolling_box(draft):
    text = (draft / "02-finance.html").read_text(encoding="utf-8")
    assert re.search(r'<div class="table-wrap[^"]*">\n<table class="three-line[^"]*">', text)


def test_scripts_come_only_from_the_site_and_the_policy_allows_search(draft):
    p = page(draft, "search.html")
    assert [s["src"] for s in p.find("script")] == ["site.js"]
    policy = p.find("meta", **{"http-equiv": "Content-Security-Policy"})[0]["content"]
    assert "script-src 'self' 'wasm-unsafe-eval'" in policy and "form-action 'self'" in policy


def test_search_page_explains_why_search_fails_from_disk(draft):
    box = page(draft, "search.html").find("div", id="rg-search-page")[0]
    assert "http.server" in box["data-file"]


def test_draft_shows_progress_but_keeps_it_out_of_the_search_index(draft):
    finance = (draft / "02-finance.html").read_text(encoding="utf-8")
    assert OWNER in finance and DUE in finance and "badge" in finance
    searchable = _content_only(draft)
    assert "预算执行率为九成五" in searchable
    for word in (OWNER, OTHER_OWNER, DUE, "已完成", "编辑中", "草稿"):
        assert word not in searchable, word


def _content_only(site: Path) -> str:
    """The searchable text of the index, without heading titles."""
    texts = []
    for fragment in (site / "pagefind" / "fragment").glob("*.pf_fragment"):
        raw = gzip.decompress(fragment.read_bytes())
        texts.append(json.loads(raw[raw.index(b"{") :])["content"])
    return "".join(texts).replace("\u200b", "")


# --- the public edition ----------------------------------------------------------------------


def test_public_edition_has_no_marker_owner_due_date_or_unfinished_text(public):
    files = [p for p in public.rglob("*.html")]
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        for word in MARKERS + (OWNER, OTHER_OWNER, DUE) + UNFINISHED_TEXT:
            assert word not in text, (path.name, word)
    indexed = index_text(public)
    for word in MARKERS + (OWNER, OTHER_OWNER, DUE) + UNFINISHED_TEXT:
        assert word not in indexed, word


def test_public_edition_leaves_unfinished_sections_out_of_pages_and_navigation(public):
    assert not (public / "04-plans.html").exists()
    assert "04-plans.html" not in (public / "index.html").read_text(encoding="utf-8")
    assert "秋季论坛" not in (public / "03-events.html").read_text(encoding="utf-8")
    assert "draft-banner" not in (public / "index.html").read_text(encoding="utf-8")


# --- the PDF beside the site ---------------------------------------------------------------------


def test_pdf_built_in_the_same_run_is_in_the_site_and_linked(make_source, tmp_path):
    site = build_site(make_source, tmp_path / "with-pdf", formats=("html", "pdf"))
    assert (site / "report.pdf").read_bytes() == (tmp_path / "with-pdf" / "report.pdf").read_bytes()
    for name in PAGES:
        assert [a for a in page(site, name).find("a") if a["href"] == "report.pdf"], name


def test_pdf_of_an_earlier_build_is_neither_copied_nor_linked(make_source, tmp_path):
    out = tmp_path / "html-only"
    out.mkdir()
    (out / "report.pdf").write_bytes(b"%PDF-1.7 an older, perhaps draft, edition")
    site = build_site(make_source, out, edition="public")
    assert not (site / "report.pdf").exists()
    assert "report.pdf" not in (site / "index.html").read_text(encoding="utf-8")


# --- language, rebuilding, a missing search tool ------------------------------------------------------


def test_interface_follows_the_report_language(make_source, tmp_path):
    site = build_site(make_source, tmp_path / "en", manifest={"language": "en"})
    p = page(site, "index.html")
    assert p.find("html")[0]["lang"] == "en"
    assert "Skip to content" in (site / "index.html").read_text(encoding="utf-8")


def test_rebuild_replaces_the_site_whole(make_source, tmp_path):
    """A page the build wrote and no longer makes goes; a file the user put there stays."""
    out = tmp_path / "again"
    site = build_site(make_source, out)
    (site / "old-page.html").write_text("stale", encoding="utf-8")
    (site / "mine.txt").write_text("the user's", encoding="utf-8")
    manifest = out / ".reportgen-manifest.json"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace('"html",', '"html", "html/old-page.html",'), encoding="utf-8"
    )
    build_site(make_source, out)
    assert not (site / "old-page.html").exists()
    assert (site / "mine.txt").read_text(encoding="utf-8") == "the user's"
    # Nothing left behind but the build's own records (.cache: what the next build may reuse).
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == [
        ".cache",
        ".reportgen-manifest.json",
        ".reportgen.lock",
    ]
    assert not list((out / ".cache").rglob("*.tmp"))


def test_missing_pagefind_is_a_warning_and_the_site_is_still_written(make_source, tmp_path, monkeypatch):
    monkeypatch.setattr(search, "pagefind_binary", lambda: (None, False))
    source = make_source(SECTIONS, manifest=MANIFEST, extra=EXTRA)
    result = build(BuildOptions(source=source, out=tmp_path / "out", formats=("html",)))
    assert result.ok
    assert any("search index not built" in str(d) and "pagefind" in str(d) for d in result.diagnostics.warnings)
    assert (tmp_path / "out" / "html" / "02-finance.html").is_file()
    assert not (tmp_path / "out" / "html" / "pagefind").exists()


def test_public_edition_with_no_finished_section_is_an_error(make_source, tmp_path):
    """Published, it would be a cover and an empty search page: the build stops and says why."""
    source = make_source({"a.md": "# ✍️甲\n\n正在写。\n"})
    result = build(BuildOptions(source=source, out=tmp_path / "out", formats=("html",), edition="public"))
    assert not result.ok
    assert [str(d) for d in result.diagnostics.errors] == [
        "report.yaml:6: error: the public edition has no section in it: every section is unfinished and left out "
        "(1 unit(s)); finish one, or set editions.public.unfinished: placeholder"
    ]
    assert not (tmp_path / "out" / "html").exists()

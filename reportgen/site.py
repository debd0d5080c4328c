"""The HTML edition: an index page, one page per top-level section, a search page.

`render_site` renders every page in memory; the `output.Pending` it returns writes
them into a staged folder, has Pagefind index that folder (`search.py`) and
only then moves it into ``OUT/html`` whole, so readers never see a
half-updated site or a site whose search index describes another version.

Every link the site makes is relative and every file it needs is inside it,
so the site works opened from disk and served from any sub-path.  Only files
the sections use (and the logo) are copied; nothing outside the source is read.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from markdown_it.token import Token

from reportgen import output, search, templates
from reportgen.build import section_html, toc_entries
from reportgen.editions import Edition, SectionView
from reportgen.errors import Diagnostics
from reportgen.model import Report

#: Files of the packaged templates folder copied into the site as they are.
STATIC = ("style.css", "site.js")

#: Ids the site's own templates give elements.  They carry a prefix no ordinary
#: heading slug starts with; heading anchors must still avoid them (a heading
#: called "rg content" would otherwise clash), so the anchor rules can use this set.
PAGE_IDS = frozenset({
    "rg-content", "rg-search-input", "rg-cover-title", "rg-intro-title", "rg-toc-title",
    "rg-search-page", "rg-search-status", "rg-search-results",
})

#: Headings (levels 2–3) a section needs before its page gets an in-page contents list.
LOCAL_TOC_MIN = 3

#: Sections up to which every page's sidebar lists every section.
NAV_ALL = 60

#: Beyond `NAV_ALL`, how many sections before and after the current one the sidebar lists (the
#: index page has the full contents): a sidebar of every section on every page would make the
#: site grow with the square of the section count (2,000 sections: 533 MB).
NAV_AROUND = 10

#: Characters of the first section's opening paragraph shown on the index page.
LEAD_CHARS = 220

#: The words of the site's own interface, by language: Chinese, else English.
UI = {
    "zh": {
        "skip": "跳到正文", "home": "首页", "sections": "章节目录", "contents": "目录",
        "on_this_page": "本节目录", "search": "搜索", "search_label": "搜索报告",
        "search_placeholder": "搜索…", "pdf": "下载 PDF", "pdf_long": "下载 PDF 版",
        "prev": "上一节", "next": "下一节", "pager": "翻页", "read_on": "继续阅读",
        "start": "开始阅读", "draft": "草稿 · Draft — 含编写状态与负责人，不可公开发布",
        "logo": "标志",
        "nav_more": "另有 {n} 节 · 全部目录",
        "search_title": "搜索结果",
        "search_idle": "在上方输入词语，搜索全文。",
        "search_loading": "正在搜索…",
        "search_none": "没有找到与“{q}”相关的内容。",
        "search_count": "找到 {n} 个与“{q}”相关的章节。",
        "search_file": "从本地文件打开时，浏览器不允许加载搜索索引，因此无法搜索。"
                       "请通过网站服务器打开本站（例如在站点文件夹中运行 python3 -m http.server，"
                       "再访问 http://localhost:8000/search.html），或查看目录。",
        "search_error": "搜索索引无法加载，暂时不能搜索。请查看目录。",
        "search_nojs": "搜索需要启用 JavaScript。",
        "search_nothing": "这一版本还没有可以搜索的章节。",
    },
    "en": {
        "skip": "Skip to content", "home": "Home", "sections": "Sections", "contents": "Contents",
        "on_this_page": "On this page", "search": "Search", "search_label": "Search the report",
        "search_placeholder": "Search…", "pdf": "PDF", "pdf_long": "Download the PDF",
        "prev": "Previous", "next": "Next", "pager": "Previous and next section", "read_on": "Read on",
        "start": "Start reading", "draft": "Draft · shows progress and owners, not for publication",
        "logo": "logo",
        "nav_more": "{n} more sections · full contents",
        "search_title": "Search results",
        "search_idle": "Type a word above to search the whole report.",
        "search_loading": "Searching…",
        "search_none": "Nothing found for “{q}”.",
        "search_count": "{n} section(s) found for “{q}”.",
        "search_file": "Search cannot run from a file opened on disk: the browser does not let the page load "
                       "the search index. Open the site through a web server (for example run "
                       "python3 -m http.server in the site folder and visit http://localhost:8000/search.html), "
                       "or use the contents.",
        "search_error": "The search index could not be loaded, so search is unavailable. Use the contents.",
        "search_nojs": "Search needs JavaScript.",
        "search_nothing": "This edition has no section to search yet.",
    },
}


@dataclass(frozen=True)
class NavItem:
    """One section in the sidebar and the previous / next links."""

    id: str
    title: str
    page: str
    """File name of the section's page, relative to the site root."""
    status: str
    """Status of the section's root (``unmarked`` when it has none), for the draft's dots."""


@dataclass
class Site:
    """Everything the HTML edition consists of, ready to be written."""

    pages: dict[str, str] = field(default_factory=dict)
    """Relative path → HTML text."""
    assets: set[str] = field(default_factory=set)
    """Source-relative paths of files to copy as they are."""
    pdf: Path | None = None
    """The PDF built in this run, copied into the site; None when no PDF was built."""
    searchable: bool = True
    """False when the edition shows no section, so there is no text to index."""


def render_site(report: Report, edition: Edition, figures, options, diags: Diagnostics):
    """Render every page; return the function that writes the site into place."""
    site = Site(pdf=options.out / "report.pdf" if "pdf" in options.formats else None, searchable=bool(edition.views))
    nav = [_nav_item(view) for view in edition.views]
    common = dict(report=report, manifest=report.manifest, edition=edition.name, nav=nav,
                  has_pdf=site.pdf is not None, ui=ui_strings(report.manifest.language),
                  logo=_asset(report, report.manifest.logo, site))
    site.pages["index.html"] = _index_page(report, edition, nav, {**common, **nav_window(nav, None)})
    for i, view in enumerate(edition.views):
        neighbours = (nav[i - 1] if i > 0 else None, nav[i + 1] if i + 1 < len(nav) else None)
        site.pages[view.section.page] = _section_page(report, edition, view, figures, neighbours, site,
                                                      {**common, **nav_window(nav, i)})
    site.pages["search.html"] = templates.render(report.source, "search.html", page_id="search", prev=None,
                                                 next=None, local_toc=[], searchable=site.searchable,
                                                 **{**common, **nav_window(nav, None)})
    paths = ["html", *(f"html/{rel}" for rel in [*site.pages, *STATIC, *site.assets])]
    if site.pdf is not None:
        paths.append("html/report.pdf")
    return output.Pending(tuple(paths), ("html/pagefind",),
                          lambda folder: write_site(report, site, options.out, diags, folder))


def nav_window(nav: list[NavItem], current: int | None) -> dict:
    """The sidebar of one page: every section of a small report; of a large one, the sections
    around the ``current`` one (the first ones on other pages) and how many are not listed."""
    if len(nav) <= NAV_ALL:
        return {"nav": nav, "nav_before": 0, "nav_after": 0}
    centre = current or 0
    start = max(0, min(centre - NAV_AROUND, len(nav) - 2 * NAV_AROUND - 1))
    end = start + 2 * NAV_AROUND + 1
    return {"nav": nav[start:end], "nav_before": start, "nav_after": len(nav) - end}


def ui_strings(language: str) -> dict[str, str]:
    """The interface words for ``language`` (a BCP 47 tag): Chinese for ``zh…``, else English."""
    return UI["zh"] if language.lower().startswith("zh") else UI["en"]


def _nav_item(view: SectionView) -> NavItem:
    section = view.section
    status = section.root.status.value if section.root.status else "unmarked"
    return NavItem(section.id, section.title, section.page, status)


def _index_page(report: Report, edition: Edition, nav: list[NavItem], common: dict) -> str:
    first = nav[0] if nav else None
    return templates.render(
        report.source, "index.html", page_id="index", toc=toc_entries(edition, "html"), local_toc=[],
        prev=None, next=first, first=first, lead=lead_text(edition.views[0]) if first else "", **common)


def _section_page(report: Report, edition: Edition, view: SectionView, figures, neighbours, site: Site,
                  common: dict) -> str:
    body = section_html(report, view, "html", edition.name, figures)
    site.assets |= view.section.env.get("assets", set())
    local_toc = [{"level": h.level, "title": h.title, "anchor": h.anchor}
                 for h in view.headings if 2 <= h.level <= 3]
    prev, next_ = neighbours
    return templates.render(
        report.source, "section.html", page_id=view.section.id, section=view.section, body=body,
        local_toc=local_toc if len(local_toc) >= LOCAL_TOC_MIN else [], prev=prev, next=next_, **common)


def lead_text(view: SectionView) -> str:
    """Plain text of the first paragraph of ``view`` before its first subheading, shortened.

    The index page shows it as the introduction; paragraphs the edition added
    (placeholders) and paragraphs without text (a lone image) are passed over.
    """
    tokens = view.tokens
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag != "h1":
            break
        if token.type == "paragraph_open" and not token.attrGet("class") and i + 1 < len(tokens):
            text = _plain(tokens[i + 1]).strip()
            if text:
                return text if len(text) <= LEAD_CHARS else text[:LEAD_CHARS].rstrip() + "…"
    return ""


def _plain(inline: Token) -> str:
    """The readable text of an inline token: text and code, without footnote marks or images."""
    parts = []
    for child in inline.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)


def _asset(report: Report, rel: str | None, site: Site) -> str | None:
    """``rel`` as a site path, recorded for copying; None unless it is a file inside the source."""
    if not rel:
        return None
    root = report.source.resolve()
    full = (report.source / rel).resolve()
    if full.is_file() and full.is_relative_to(root):
        path = full.relative_to(root).as_posix()
        site.assets.add(path)
        return path
    return None


def write_site(report: Report, site: Site, out: Path, diags: Diagnostics, folder=None) -> Path:
    """Write the site into a staged folder, index it for search, move it to ``out/html``.

    Files the user put into ``out/html`` themselves (not in ``folder``'s record) go along into the new site."""
    final = out / "html"
    with output.staged_dir(final, keep=folder.foreign("html") if folder else ()) as stage:
        for rel, text in site.pages.items():
            (stage / rel).write_text(text, encoding="utf-8")
        for name in STATIC:
            (stage / name).write_text(templates.read(report.source, name), encoding="utf-8")
        for rel in sorted(site.assets):
            target = stage / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(report.source / rel, target)
        # Only the PDF of this very run: an older one may be another edition.
        if site.pdf is not None and site.pdf.is_file():
            shutil.copyfile(site.pdf, stage / "report.pdf")
        # Pagefind indexes only the section text (data-pagefind-body); with no section
        # at all it would index the index page instead, so there is nothing to run.
        if site.searchable:
            search.index_site(stage, report.manifest.language, diags, place=final.as_posix())
    return final / "index.html"

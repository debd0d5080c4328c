"""The HTML edition: an index page, one page per top-level section, a search page.

`render_site` renders every page in memory and starts writing them into a
staged folder and having Pagefind index it (`search.py`) while the PDF is
typeset; the `StagedSite` it returns (an `output.Pending`) moves the folder into
``OUT/html`` whole, so readers never see a half-updated site or a site whose
search index describes another version.

A draft build does not render again a section page whose inputs did not
change (`PageKeys`): it hard-links the page the last build wrote into the new
staged folder, so an unchanged page is not rewritten and the site is still
replaced whole.

Every link the site makes is relative and every file it needs is inside it,
so the site works opened from disk and served from any sub-path.  Only files
the published text uses (and the logo) are copied, into ``files/`` where no
name can replace a generated page or script; an SVG is copied sanitised;
nothing outside the source is read (`confine`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_ISREG

from markdown_it.token import Token

from reportgen import messages, output
from reportgen.errors import Diagnostics
from reportgen.load import confine
from reportgen.messages import endonym
from reportgen.model import Report
from reportgen.render import search, templates
from reportgen.render.body import SITE_FILES, figure_labels, section_html, toc_entries
from reportgen.render.editions import Edition, SectionView
from reportgen.render.markdown import ImageRef, LinkRef, ref
from reportgen.render.rawhtml import raw_parts
from reportgen.render.sanitize import clean_svg

#: Files of the packaged templates folder copied into the site as they are.
STATIC = ("style.css", "site.js")

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


@dataclass(frozen=True)
class NavItem:
    """One section in the sidebar and the previous / next links."""

    id: str
    title: str
    page: str
    """File name of the section's page, relative to the site root."""
    status: str
    """Status of the section's root (``unmarked`` when it has none), for the draft's dots."""


@dataclass(frozen=True)
class NavGroup:
    """A run of sidebar entries: the sections of one part, or sections in no part."""

    part: str | None
    items: tuple[NavItem, ...]


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
    cleaned: dict[str, bytes] = field(default_factory=dict)
    """Source-relative path → the sanitised bytes of each SVG in `assets` (made while rendering,
    so a refused one is a warning before the build decides whether it failed)."""
    keys: dict[str, str] = field(default_factory=dict)
    """Page → the digest of everything it was rendered from (`page_key`, and for the index
    page the contents and the lead paragraph); empty when pages
    are not reused (the public edition, a report in several languages)."""
    reused: dict[str, Path] = field(default_factory=dict)
    """Page → the file of the last build that has exactly this page's text, linked, not written."""


def render_site(
    report: Report,
    edition: Edition,
    figures,
    options,
    diags: Diagnostics,
    alternates: dict[str, set[str]] | None = None,
):
    """Render every page; return the function that writes the site into place.

    ``alternates`` maps each language of a multilingual build to the pages its edition
    has, so every page links to itself in the other languages (or to their index)."""
    site = Site(pdf=options.pdf_path if "pdf" in options.formats else None, searchable=bool(edition.views))
    nav = [_nav_item(view) for view in edition.views]
    common = dict(
        report=report,
        manifest=report.manifest,
        edition=edition.name,
        nav=nav,
        has_pdf=site.pdf is not None,
        ui=messages.words(report.manifest.language),
        logo=_asset(report, report.manifest.logo, site),
        languages=language_links(report, options.language, alternates or {}),
    )
    keys = PageKeys.load(report, edition, options, alternates)
    shared = keys.shared(report, edition, figures, common, nav) if keys is not None else ""
    toc = toc_entries(edition, "html", report.manifest)
    lead = lead_text(edition.views[0]) if nav else ""
    index_key = hashlib.sha256(json.dumps([shared, toc, lead], ensure_ascii=False).encode()).hexdigest()
    _page(
        site,
        keys,
        "index.html",
        index_key,
        lambda: _index_page(report, nav, toc, lead, {**common, **nav_window(report, edition, nav, None)}),
    )
    for i, view in enumerate(edition.views):
        neighbours = (nav[i - 1] if i > 0 else None, nav[i + 1] if i + 1 < len(nav) else None)
        site.assets |= used_files(view)
        _page(
            site,
            keys,
            view.section.page,
            page_key(shared, i, view, figures, report.source) if keys is not None else "",
            lambda view=view, i=i, neighbours=neighbours: _section_page(
                report, edition, view, figures, neighbours, site, {**common, **nav_window(report, edition, nav, i)}
            ),
        )
    site.pages["search.html"] = templates.render(
        report.source,
        "search.html",
        page_id="search",
        page_file="search.html",
        prev=None,
        next=None,
        local_toc=[],
        searchable=site.searchable,
        **{**common, **nav_window(report, edition, nav, None)},
    )
    for name in STATIC:
        site.pages[name] = templates.read(report.source, name)
    _clean_svgs(report.source, site, diags)
    if site.searchable:
        search.prepare(report.manifest.language)
    return StagedSite(report, site, options.site_path, options.out, diags, keys)


class PageKeys:
    """The key of every page (but search.html) the last draft build put in place, with the identity
    (inode, size, modification time) of the file it wrote, in ``OUT/.cache/site-pages.json``.

    A page is reused only when its key is the same and its file is still the very one
    written: a page changed by hand, or replaced by a build of the public edition, is
    rendered again."""

    NAME = "site-pages.json"

    def __init__(self, site: Path, record: Path, known: dict):
        self.site, self.record, self.known = site, record, known

    @classmethod
    def load(cls, report: Report, edition: Edition, options, alternates) -> "PageKeys | None":
        """The keys of the last build, or None when this build does not reuse pages: only a
        draft in one language whose report fetches nothing and has no page templates of its
        own (a template of the source may read any part of the report)."""
        cache = options.cache_folder
        own_templates = report.source / "templates"
        if (
            cache is None
            or edition.name != "draft"
            or options.language
            or alternates
            or report.manifest.languages
            or report.manifest.remote_fetch
            or (own_templates.is_dir() and any(own_templates.rglob("*.html")))
        ):
            return None
        record = cache / cls.NAME
        try:
            known = json.loads(record.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            known = {}
        return cls(options.site_path, record, known if isinstance(known, dict) else {})

    def shared(self, report: Report, edition: Edition, figures, common: dict, nav: list) -> str:
        """The digest of what every section page reads besides its own section: the program
        and its libraries, report.yaml, the sidebar (every section's title, page and status),
        the section pages and cross-reference labels of the whole report, whether there is a PDF."""
        digest = hashlib.sha256()
        for root in _program_folders():
            _stat_tree(root, digest)
        digest.update((report.source / "report.yaml").read_bytes())
        labels = sorted((k, v.text, v.anchor, v.section_id) for k, v in figure_labels(report, figures).items())
        digest.update(
            json.dumps(
                [
                    edition.name,
                    [[item.id, item.title, item.page, item.status] for item in nav],
                    sorted(report.aliases.items()),
                    [s.path for s in report.sections],
                    labels,
                    common["has_pdf"],
                    common["logo"],
                    common["languages"],
                ],
                ensure_ascii=False,
                default=str,
            ).encode()
        )
        return digest.hexdigest()

    def unchanged(self, page: str, key: str) -> tuple[str, Path] | None:
        """The text and file of ``page`` as the last build wrote it, when its key is ``key``."""
        entry = self.known.get(page)
        path = self.site / page
        if not isinstance(entry, list) or len(entry) != 4 or entry[0] != key:
            return None
        try:
            stat = os.lstat(path)
            if [stat.st_ino, stat.st_size, stat.st_mtime_ns] != entry[1:] or not S_ISREG(stat.st_mode):
                return None
            return path.read_text(encoding="utf-8"), path
        except (OSError, UnicodeDecodeError):
            return None

    def save(self, keys: dict[str, str]) -> None:
        """Record the keys of the pages now in place, with their files' identity."""
        entries = {}
        for page, key in keys.items():
            try:
                stat = os.lstat(self.site / page)
            except OSError:
                continue
            entries[page] = [key, stat.st_ino, stat.st_size, stat.st_mtime_ns]
        output.write_text(self.record, json.dumps(entries, ensure_ascii=False))


def page_key(shared: str, position: int, view: SectionView, figures, source: Path) -> str:
    """The digest of everything one section page is rendered from: `PageKeys.shared`, its
    place in the report, its file's bytes, what the reader made of its links and images
    (a link's target checked against the other sections, an image resolved or refused) and
    the files they name, and its figures and tables (numbers, drawings)."""
    digest = hashlib.sha256(f"{shared}\0{position}\0{view.section.id}\0{view.section.digest}\0".encode())
    for token in _shown_tokens(view.tokens):
        if token.type in ("link_open", "image"):
            outcome = ref(token, LinkRef if token.type == "link_open" else ImageRef)
            meta = {k: v for k, v in token.meta.items() if isinstance(v, (str, int, bool, type(None)))}
            digest.update(json.dumps([token.type, token.attrs, meta, repr(outcome)], sort_keys=True).encode())
            if outcome is not None and outcome.target and outcome.kind in ("asset", "local", "fetched"):
                _stat(source / outcome.target, digest)
    for key, fig in figures.items():
        if fig.section_id == view.section.id:
            digest.update(
                json.dumps(
                    [fig.number, fig.kind, fig.anchor, fig.label, fig.title, fig.html, fig.site_html],
                    ensure_ascii=False,
                ).encode()
            )
    return digest.hexdigest()


def _program_folders() -> list[Path]:
    """The folders of reportgen and of the libraries that shape a page (rendering, sanitising,
    templates): a change of any of them renders every page again."""
    import jinja2
    import markdown_it
    import nh3

    return [Path(__file__).parent.parent, *{Path(m.__file__).parent.parent for m in (jinja2, markdown_it, nh3)}]


def _stat_tree(root: Path, digest) -> None:
    """Names, sizes and modification times under ``root`` (a library folder: its files and
    its ``*.dist-info`` folders, one level), cheap enough for every build."""
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        if entry.name == "__pycache__":
            continue
        if root.name == "site-packages":  # a library's version: its dist-info folder's name
            if entry.name.endswith(".dist-info"):
                digest.update(entry.name.encode() + b"\0")
            continue
        _stat(Path(entry.path), digest)
        if entry.is_dir(follow_symlinks=False):
            _stat_tree(Path(entry.path), digest)


def _stat(path: Path, digest) -> None:
    try:
        stat = path.stat()
        digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    except OSError:
        digest.update(f"{path}\0-\0".encode())


def nav_window(report: Report, edition: Edition, nav: list[NavItem], current: int | None) -> dict:
    """The sidebar of one page: every section of a small report; of a large one, the sections
    around the ``current`` one (the first ones on other pages) and how many are not listed;
    grouped by the parts of report.yaml."""
    start, end = 0, len(nav)
    if len(nav) > NAV_ALL:
        centre = current or 0
        start = max(0, min(centre - NAV_AROUND, len(nav) - 2 * NAV_AROUND - 1))
        end = start + 2 * NAV_AROUND + 1
    return {
        "nav": nav[start:end],
        "nav_before": start,
        "nav_after": len(nav) - end,
        "nav_groups": nav_groups(report, edition.views[start:end], nav[start:end]),
    }


def language_links(report: Report, here: str | None, alternates: dict[str, set[str]]) -> list[dict]:
    """The editions in every language, as seen from the site of ``here`` (None: the source
    language's, at the root): tag, name, the path to that site's root, and its pages."""
    source = report.manifest.languages[0].tag if report.manifest.languages else report.manifest.language
    up = "../" if here else ""
    links = []
    for tag, pages in alternates.items():
        root = up if tag == source else (f"{up}{tag}/" if tag != here else "")
        links.append(
            {"tag": tag, "name": endonym(tag), "root": root, "pages": pages, "current": tag == (here or source)}
        )
    return links


def _nav_item(view: SectionView) -> NavItem:
    section = view.section
    status = section.root.status.value if section.root.status else "unmarked"
    return NavItem(section.id, section.title, section.page, status)


def nav_groups(report: Report, views: list[SectionView], nav: list[NavItem]) -> list[NavGroup]:
    """The sidebar's entries grouped by the parts of report.yaml, in reading order."""
    groups: list[NavGroup] = []
    for view, item in zip(views, nav):
        part = report.manifest.part_of(view.section.path)
        title = part.title if part else None
        if groups and groups[-1].part == title:
            groups[-1] = NavGroup(title, groups[-1].items + (item,))
        else:
            groups.append(NavGroup(title, (item,)))
    return groups


def _page(site: Site, keys: PageKeys | None, page: str, key: str, render) -> None:
    """Put ``page`` into the site: the last build's file when its key is ``key``, else ``render()``."""
    if keys is not None:
        site.keys[page] = key
        old = keys.unchanged(page, key)
        if old is not None:
            site.pages[page], site.reused[page] = old
            return
    site.pages[page] = render()


def _index_page(report: Report, nav: list[NavItem], toc: list[dict], lead: str, common: dict) -> str:
    first = nav[0] if nav else None
    return templates.render(
        report.source,
        "index.html",
        page_id="index",
        page_file="index.html",
        toc=toc,
        local_toc=[],
        prev=None,
        next=first,
        first=first,
        lead=lead,
        **common,
    )


def _section_page(
    report: Report, edition: Edition, view: SectionView, figures, neighbours, site: Site, common: dict
) -> str:
    body = section_html(report, view, "html", edition.name, figures)
    local_toc = [{"level": h.level, "title": h.title, "anchor": h.anchor} for h in view.headings if 2 <= h.level <= 3]
    prev, next_ = neighbours
    return templates.render(
        report.source,
        "section.html",
        page_id=view.section.id,
        page_file=view.section.page,
        section=view.section,
        body=body,
        local_toc=local_toc if len(local_toc) >= LOCAL_TOC_MIN else [],
        prev=prev,
        next=next_,
        **common,
    )


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


def used_files(view: SectionView) -> set[str]:
    """Source-relative paths of the files the shown text of ``view`` links to or shows:
    a file only a left-out unit uses is not published."""
    found = set()
    for token in _shown_tokens(view.tokens):
        if token.type == "link_open" and (link := ref(token, LinkRef)) and link.kind == "asset":
            found.add(link.target)
        elif token.type == "image" and (image := ref(token, ImageRef)) and image.kind in ("local", "fetched"):
            found.add(image.target)
    return found


def _shown_tokens(tokens):
    """Every token, its inline children, and the image and link tokens raw HTML holds
    among its parts (`reportgen.render.rawhtml.raw_parts`)."""
    for token in tokens:
        for item in (token, *(token.children or ())):
            yield item
            yield from (part for part in raw_parts(item) if isinstance(part, Token))


def _asset(report: Report, rel: str | None, site: Site) -> str | None:
    """``rel`` as a site path, recorded for copying; None unless it is a file inside the source."""
    if not rel:
        return None
    root = report.source.resolve()
    full = confine.inside(root, report.source / rel)
    if full is not None:
        path = full.relative_to(root).as_posix()
        site.assets.add(path)
        return SITE_FILES + path
    return None


class StagedSite:
    """The site being written into a staged folder and indexed by Pagefind in a thread
    of its own, while the PDF is still typeset: an `output.Pending` whose ``paths`` and
    ``trees`` name what it will write.  Calling it waits for that, copies in the PDF of
    this run and moves the site into ``final`` (``OUT/html``, or ``OUT/html/LANG`` for an
    edition in another language), carrying along the files the user put there; `discard`
    drops it."""

    def __init__(
        self, report: Report, site: Site, final: Path, out: Path, diags: Diagnostics, keys: PageKeys | None = None
    ):
        import threading

        self.report, self.site, self.diags, self.keys = report, site, diags, keys
        self.rel = final.relative_to(out).as_posix()
        files = [*site.pages, *(f"{SITE_FILES}{asset}" for asset in site.assets)]
        self.paths = (
            self.rel,
            *(f"{self.rel}/{name}" for name in files),
            *((f"{self.rel}/report.pdf",) if site.pdf is not None else ()),
        )
        self.trees = (f"{self.rel}/pagefind",)
        self.stage = output.Stage(final, scratch=out if self.rel != "html" else None)
        self.found = Diagnostics()  # the thread's own: merged when the site is put in place
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._write, args=(report,), daemon=True)
        self.thread.start()

    def _write(self, report: Report) -> None:
        try:
            write_pages(report, self.site, self.stage.path, self.found, place=self.stage.final.as_posix())
            self.site.pages.clear()  # written and indexed: the texts need not wait in memory for the PDF
        except BaseException as error:  # raised again in the build's own thread
            self.error = error

    def __call__(self, folder: "output.OutputFolder | None" = None) -> Path:
        self.thread.join()
        if self.error is not None:
            self.stage.discard()
            raise self.error
        self.diags.extend(self.found)
        # Only the PDF of this very run: an older one may be another edition.
        if self.site.pdf is not None and self.site.pdf.is_file():
            shutil.copyfile(self.site.pdf, self.stage.path / "report.pdf")
        _keep_other_languages(self.report, self.stage.final, self.stage.path)
        self.stage.commit(keep=folder.foreign(self.rel) if folder is not None else ())
        if self.keys is not None:
            try:
                self.keys.save(self.site.keys)
            except OSError:  # only a shortcut of the next build is lost
                pass
        return self.stage.final / "index.html"

    def discard(self) -> None:
        self.thread.join()
        self.stage.discard()


def write_pages(report: Report, site: Site, stage: Path, diags: Diagnostics, place: str) -> None:
    """Write the site's pages (static files among them), the source's files it uses and its search index into ``stage``."""
    for rel, text in site.pages.items():
        if rel in site.reused:  # the last build's page, unchanged: linked, so it is not rewritten
            try:
                os.link(site.reused[rel], stage / rel, follow_symlinks=False)
                continue
            except OSError:
                pass
        (stage / rel).write_text(text, encoding="utf-8")
    for rel in sorted(site.assets):
        _copy_file(report.source, rel, site, stage / SITE_FILES, diags)
    # Pagefind indexes only the section text (data-pagefind-body); with no section
    # at all it would index the index page instead, so there is nothing to run.
    if site.searchable:
        search.index_site(stage, report.manifest.language, diags, place=place, pages=site.pages)


def _keep_other_languages(report: Report, final: Path, stage: Path) -> None:
    """The editions in the other languages live inside the source language's site
    (``html/en/``); replacing the site must not take them away."""
    for language in report.manifest.translations:
        edition = final / language.tag
        if report.manifest.language != language.tag and edition.is_dir() and not (stage / language.tag).exists():
            edition.rename(stage / language.tag)


def _clean_svgs(source: Path, site: Site, diags: Diagnostics) -> None:
    """Sanitise each SVG the site publishes; one that cannot be is left out with a warning."""
    for rel in sorted(r for r in site.assets if r.lower().endswith(".svg")):
        path = confine.inside(source, source / rel)
        data = clean_svg(path.read_bytes()) if path is not None else None
        if data is None:
            site.assets.discard(rel)
            diags.warning(
                rel,
                None,
                "not published: "
                + (
                    confine.why_not(source, source / rel)
                    if path is None
                    else "not a well-formed SVG image (or it declares a DOCTYPE)"
                ),
            )
        else:
            site.cleaned[rel] = data


def _copy_file(source: Path, rel: str, site: Site, folder: Path, diags: Diagnostics) -> None:
    """Copy one file of the source into the site's ``files/``: read only through `confine`
    (the parser checked it, but it may have changed since), an SVG as sanitised."""
    data = site.cleaned.get(rel)
    if data is None:
        path = confine.inside(source, source / rel)
        if path is None:
            diags.warning(rel, None, f"not published: {confine.why_not(source, source / rel)}")
            return
        data = path.read_bytes()
    target = folder / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)

"""The build pipeline: load → select the edition → draw figures → render → write.

`build` reads like the table of contents of a build; each step is a small
function, and each output format lives in its own module.  Nothing is written
until every output rendered and the build did not fail, so a failed build
leaves the previous outputs as they were.
"""

from __future__ import annotations

import datetime
import html as htmlmod
import os
import re
import sys
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from reportgen import errors, messages, output, status
from reportgen.errors import Diagnostics
from reportgen.load import translations
from reportgen.load.reader import ParseCache, load_report
from reportgen.model import Manifest, Report, Status
from reportgen.pdf import fonts
from reportgen.render import charts, templates
from reportgen.render.body import Figure, chapter_parts, section_html, toc_entries
from reportgen.render.editions import Edition, select
from reportgen.render.markdown import ChartRef, LinkRef, TableRef, inline_text, ref

FORMATS = ("pdf", "html", "dashboard")


@dataclass(frozen=True, slots=True)
class BuildOptions:
    source: Path
    out: Path
    formats: tuple[str, ...] = FORMATS
    edition: str = "draft"
    strict: bool = False
    pdf_engine: str = "auto"
    """``book``: chapters typeset in parallel and cached, for fast rebuilds; ``single``: one
    pass, the reference rendering; ``auto``: book for the draft edition, single for the
    public one that gets published."""
    only: str | None = None
    """Build a review copy of this one section (by id) into ``OUT/review/ID/``."""
    lang: str | None = None
    """The languages to build: a tag, ``all``, or None for the source language only."""
    language: str | None = None
    """The language this pass builds, when it is not the source language: its PDF goes to
    ``OUT/LANG/report.pdf`` and its HTML edition to ``OUT/html/LANG/``."""

    @property
    def pdf_path(self) -> Path:
        return (self.out / self.language if self.language else self.out) / "report.pdf"

    @property
    def site_path(self) -> Path:
        return self.out / "html" / self.language if self.language else self.out / "html"

    @property
    def cache_folder(self) -> Path | None:
        """Where the build keeps what it may reuse (charts, PDF parts, pages): ``OUT/.cache`` for
        the draft; none for the public edition, whose folder is published whole and so holds
        only what it shows."""
        return None if self.edition == "public" else self.out / ".cache"


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What a build did: its diagnostics, the outputs it put in place (none when it failed)."""

    diagnostics: Diagnostics
    written: tuple[Path, ...] = ()
    omitted: tuple[str, ...] = ()
    """'path:line: title' of every unit the public edition left out."""

    @property
    def ok(self) -> bool:
        return not self.diagnostics.errors


def build(options: BuildOptions, progress=None, parse_cache: ParseCache | None = None) -> BuildResult:
    """Build every format asked for; write them only if the build succeeds.

    A process that builds again and again (`reportgen serve`) passes the same
    ``parse_cache`` each time and tells it what changed in between."""
    progress = progress or SilentProgress()
    diags = Diagnostics()
    refusal = output.unsafe_out(options.source, options.out)
    if refusal:
        diags.error(str(options.out), None, refusal)
        return BuildResult(diags)
    written: tuple[Path, ...] = ()
    omitted: tuple[str, ...] = ()
    try:
        with _output_folder(options.out) as folder:
            written, omitted = _build(options, progress, diags, folder, parse_cache)
    except OSError as error:  # an unwritable folder, a full disk: the user's to fix, not a crash
        place = _os_place(error, options.out)
        doing = "cannot write the outputs" if _inside(Path(place), options.out) else "cannot read"
        diags.error(place, None, f"{doing}: {error.strerror or error}")
        written = ()
    except templates.TemplateError as error:  # a source's template is its input like any other
        diags.error(error.path, error.line, error.detail)
        written = ()
    except Exception as error:  # the one guard: a fault of reportgen is one error and exit 1, never a traceback
        if errors.debugging():
            raise
        errors.unexpected(error, diags)
        written = ()
    return BuildResult(diags, written, omitted)


def _build(options, progress, diags: Diagnostics, folder, parse_cache) -> tuple[tuple[Path, ...], tuple[str, ...]]:
    """The pipeline: the outputs it put in place, and the units the edition left out."""
    progress.stage("reading sources")
    report = load_report(options.source, diags, parse_cache)
    if report is None or diags.errors:
        return (), ()
    if report.manifest.remote_fetch:  # only then: the network modules cost a build that fetches nothing ~40 ms
        from reportgen.load import remote

        report = remote.fetch_remote(report, diags)
    options = _edition_formats(options, diags)
    languages = build_languages(report, options.lang, diags)
    if diags.errors:
        return (), ()
    passes = [language_pass(report, tag, replace(options, language=_other(report, tag)), diags) for tag in languages]
    omitted = tuple(unit for p in passes for unit in p.omitted)
    if diags.failed(options.strict):
        return (), omitted
    if options.only:  # a review copy is an output folder of its own, OUT/review/ID
        with _output_folder(passes[0].options.out) as inner:
            return _render_and_write(report, passes, options, diags, progress, inner), omitted
    return _render_and_write(report, passes, options, diags, progress, folder), omitted


def _render_and_write(report, passes, options, diags, progress, folder) -> tuple[Path, ...]:
    """Render every language's outputs, then put them in place unless the build failed; what was written."""
    if options.edition != "public" and not _claim_cache(folder, diags):
        return ()
    alternates = (
        {p.options.language or p.report.manifest.language: {v.section.page for v in p.edition.views} for p in passes}
        if len(report.manifest.languages) > 1
        else {}
    )
    sites = sum("html" in p.options.formats for p in passes)
    if sites > 1:  # each language's site is indexed in turn, by one Pagefind
        from reportgen.render import search

        search.expect(sites)
    groups: list[list] = []
    for p in passes:
        progress.stage("drawing charts")
        formats = p.options.formats
        figures = (
            draw_figures(p.report, p.edition, _charts_cache(p.options), site="html" in formats and "pdf" not in formats)
            if "pdf" in formats or "html" in formats
            else {}
        )
        check_references(p.report, p.edition, figures, diags)
        try:
            groups.append(
                render_outputs(p.report, p.edition, figures, p.options, diags, progress, p.review, alternates)
            )
        except templates.TemplateError as error:  # a source's template is its input like any other
            diags.error(error.path, error.line, error.detail)
        if diags.failed(options.strict):
            break
    # The other languages' sites are staged inside the source language's html/ folder:
    # they go into place first, so the source site, put in place last, keeps them.
    items = [item for group in reversed(groups) for item in group]
    if diags.failed(options.strict) or not _claim_outputs(folder, items, diags):
        for unwritten in items:  # staged sites go; nothing was written
            getattr(unwritten, "discard", lambda: None)()
        return ()
    progress.stage("writing outputs")
    written = tuple(item(folder) for item in items)
    folder.settle()
    return written


@dataclass(frozen=True)
class LanguagePass:
    """What one language's outputs are made from: the report in that language and its edition."""

    report: Report
    edition: Edition
    options: BuildOptions
    review: dict | None = None
    omitted: tuple[str, ...] = ()
    """'path:line: title' of every unit its edition leaves out."""


def language_pass(report: Report, tag: str, options: BuildOptions, diags: Diagnostics) -> LanguagePass:
    """The report in language ``tag`` (its translations, the source where there is none) and its edition."""
    if options.language:
        report = translations.translated_report(report, tag, diags)
        options = replace(options, formats=tuple(f for f in options.formats if f != "dashboard"))
    edition = select(report, options.edition, diags, options.strict)
    omitted = tuple(f"{s.path}:{h.line}: {h.title}" for s, h in edition.omitted)
    review = None
    if options.only:
        edition, review = review_copy(report, edition, options.only, diags)
        options = replace(
            options,
            out=options.out / "review" / options.only,
            formats=tuple(f for f in options.formats if f != "dashboard"),
        )
    return LanguagePass(report, edition, options, review, omitted)


def build_languages(report: Report, asked: str | None, diags: Diagnostics) -> list[str]:
    """The language tags ``--lang`` asks for, the source language first."""
    source = report.manifest.language
    known = [lang.tag for lang in report.manifest.languages] or [source]
    if asked is None:
        return [source]
    if asked == "all":
        return known
    if asked not in known:
        diags.error(
            "report.yaml",
            None,
            f"--lang {asked}: the report has no such language (languages: {', '.join(known)}, or all)",
        )
        return []
    return [asked]


def _other(report: Report, tag: str) -> str | None:
    return None if tag == report.manifest.language else tag


@contextmanager
def _output_folder(out: Path):
    """The output folder, locked for this build, with what a killed build left tidied."""
    folder = output.OutputFolder(out)
    folder.acquire(on_wait=lambda text: print(text, file=sys.stderr, flush=True))
    try:
        folder.clean_stale()
        yield folder
    finally:
        folder.release()


def _claim_cache(folder, diags: Diagnostics) -> bool:
    in_the_way = folder.conflicts([output.CACHE])
    if in_the_way:
        _not_ours(folder, in_the_way, diags)
        return False
    folder.claim(trees=[output.CACHE])
    return True


def _claim_outputs(folder, pending, diags: Diagnostics) -> bool:
    """Record every output path before writing it; refuse paths that hold what the build did not write."""
    paths = [p for item in pending for p in item.paths]
    trees = [t for item in pending for t in item.trees]
    in_the_way = folder.conflicts(paths + trees)
    if in_the_way:
        _not_ours(folder, in_the_way, diags)
        return False
    folder.claim(paths, trees)
    return True


def _not_ours(folder, paths: list[str], diags: Diagnostics) -> None:
    for rel in paths:
        diags.error(
            str(folder.out / rel),
            None,
            f"is in the way of an output and was not written by reportgen (it is not listed in "
            f"{output.MANIFEST}); nothing was changed: move it away or build into another --out",
        )


def _inside(path: Path, folder: Path) -> bool:
    try:
        return path.absolute().is_relative_to(folder.absolute())
    except (OSError, ValueError):
        return False


def _os_place(error: OSError, out: Path) -> str:
    return str(error.filename) if error.filename else str(out)


def render_outputs(report, edition, figures, options, diags, progress, review=None, alternates=None) -> list:
    """Render each format; return what each output will write (`output.Pending`), in order."""
    pending: list = []
    try:
        return _render_formats(report, edition, figures, options, diags, progress, review, alternates, pending)
    except BaseException:  # a staged site goes with the failure; nothing was written
        for unwritten in pending:
            getattr(unwritten, "discard", lambda: None)()
        raise


def _render_formats(report, edition, figures, options, diags, progress, review, alternates, pending: list) -> list:
    finish_pdf = None
    if "pdf" in options.formats:
        progress.stage("typesetting PDF")
        engine = pdf_engine(report, edition, options.pdf_engine, review, diags)
        finish_pdf = start_pdf(report, edition, figures, diags, options.cache_folder, engine, review, progress)
    if "html" in options.formats:
        from reportgen.render import site

        if finish_pdf is not None:  # the narrow drawings only now: the workers are typesetting meanwhile
            figures = site_drawings(report, edition, figures, _charts_cache(options))
        progress.stage("rendering HTML edition")
        pending.append(site.render_site(report, edition, figures, options, diags, alternates or {}))
    if "dashboard" in options.formats:
        from reportgen.render import dashboard

        progress.stage("drawing dashboard")
        write_dashboard = dashboard.render_dashboard(report, options, diags)
        pending.append(output.Pending(("dashboard/index.html",), (), lambda folder: write_dashboard()))
    if finish_pdf is not None:  # last: the HTML edition and dashboard render while the workers typeset
        progress.stage("binding PDF")
        pdf = finish_pdf()
        pdf_rel = options.pdf_path.relative_to(options.out).as_posix()
        pending.insert(0, output.Pending((pdf_rel,), (), lambda folder: _write(options.pdf_path, pdf)))
    return pending


def _edition_formats(options: BuildOptions, diags: Diagnostics) -> BuildOptions:
    """The public edition is the site and the PDF: the dashboard, all owners and due dates, is never part of it."""
    if options.edition != "public" or "dashboard" not in options.formats:
        return options
    formats = tuple(f for f in options.formats if f != "dashboard")
    if not formats:
        diags.error(
            "report.yaml",
            None,
            "the dashboard shows owners, reviewers and due dates and is never part of "
            "the public edition; build it with the draft (--edition draft)",
        )
    return replace(options, formats=formats)


def pdf_engine(report: Report, edition: Edition, asked: str, review, diags: Diagnostics) -> str:
    """``book`` or ``single``.  A tagged PDF (the public edition), an archival variant and a
    print PDF need the one-pass render: binding with pypdf keeps no structure tree and no
    XMP of the parts, cannot open chapters on right-hand pages, and stamps its page numbers
    inside the trim box of pages it did not lay out."""
    manifest = report.manifest
    needs = (
        "print:"
        if manifest.print
        else "pdf.variant"
        if manifest.pdf_variant
        else "the public edition's tagged PDF"
        if edition.name == "public"
        else None
    )
    if asked == "book" and needs:
        diags.warning(
            "report.yaml",
            None,
            f"{needs} is typeset in one pass (--pdf-engine single): the book engine binds separately "
            "typeset chapters and cannot keep tags, variants or right-hand chapter openings",
        )
        return "single"
    if asked == "auto":
        return "single" if review or needs else "book"
    return asked


def review_copy(report: Report, edition: Edition, section_id: str, diags: Diagnostics):
    """The edition cut down to one section, and what its review header shows."""
    view = next((v for v in edition.views if v.section.id == section_id), None)
    if view is None:
        known = ", ".join(s.id for s in report.sections)
        where = "is left out of this edition" if report.section_by_id(section_id) else "does not exist"
        diags.error("report.yaml", None, f"--only {section_id}: that section {where} (sections: {known})")
        return edition, None
    section = view.section
    status = section.root.status or Status.UNMARKED
    language = report.manifest.language
    words = messages.words(language)
    header = {
        "title": section.title,
        "path": section.path,
        "status": status.value,
        "label": status.label(language),
        "people": edition.name == "draft",
        "owner": section.root.owner or words["none"],
        "due": section.front.due or words["none"],
        "reviewers": words["list_separator"].join(section.front.reviewers) or words["none"],
        "units": [(u.title, u.own_status.label(language), u.owner or words["none"]) for u in section.units()],
    }
    if edition.name != "draft":  # the public edition's copy: what readers will see, no people, dates or drafts
        header.update(owner=None, due=None, reviewers=None, units=[])
    return Edition(edition.name, (view,), edition.omitted), header


def _write(path: Path, data: bytes) -> Path:
    """Write unless the file already holds exactly these bytes: a no-change build rewrites nothing."""
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return path
    except OSError:
        pass
    output.write_bytes(path, data)
    return path


# --- figures ---------------------------------------------------------------------


def _charts_cache(options: BuildOptions) -> Path | None:
    cache = options.cache_folder
    return cache / "charts" if cache else None


def draw_figures(report: Report, edition: Edition, cache: Path | None, site: bool = False) -> dict[int, Figure]:
    """id(chart fence or captioned table_open token) → its numbered figure or table,
    numbered across the report in reading order of the edition; with ``site``, charts
    are also drawn for the HTML edition's narrow screens (as `site_drawings` adds later)."""
    figures = _numbered_figures(report, edition, cache)
    return site_drawings(report, edition, figures, cache) if site else figures


def site_drawings(report: Report, edition: Edition, figures: dict[int, Figure], cache: Path | None):
    """``figures`` with the HTML edition's drawings: each chart beside its narrow-screen drawing."""
    word = "图" if report.manifest.language.lower().startswith("zh") else "Figure"
    language = report.manifest.language
    todo = [
        (view, token, chart.spec)
        for view in edition.views
        for token in view.tokens
        if token.type == "fence"
        and (chart := ref(token, ChartRef)) is not None
        and id(token) in figures
        and not figures[id(token)].site_html
    ]
    wanted = [(spec, language, True) for _, _, spec in todo]
    wanted += [(spec, language, False) for _, token, spec in todo if not figures[id(token)].svg]
    ready = charts.draw_all(wanted, cache)
    drawn = dict(figures)
    for view, token, spec in todo:
        figure = figures[id(token)]
        with errors.at(view.section.path, view.section.body_line + token.map[0] if token.map else None):
            svg = figure.svg or _chart(spec, language, cache, ready=ready)
            narrow = _chart(spec, language, cache, narrow=True, ready=ready)
        drawn[id(token)] = replace(
            figure, site_html=_figure_html(figure.number, word, spec, svg, figure.anchor, narrow)
        )
    return drawn


def _numbered_figures(report: Report, edition: Edition, cache: Path | None) -> dict[int, Figure]:
    figures: dict[int, Figure] = {}
    word = "图" if report.manifest.language.lower().startswith("zh") else "Figure"
    counts = {"figure": 0, "table": 0}
    taken: set[str] = set()
    specs = [
        chart.spec
        for view in edition.views
        for token in view.tokens
        if token.type == "fence" and (chart := ref(token, ChartRef)) is not None and chart.spec is not None
    ]
    ready = charts.draw_all([(spec, report.manifest.language, False) for spec in specs], cache)
    for view in edition.views:
        for token in view.tokens:
            chart = ref(token, ChartRef) if token.type == "fence" else None
            spec = chart.spec if chart is not None else None
            caption = table.caption if token.type == "table_open" and (table := ref(token, TableRef)) else None
            if spec is None and caption is None:
                continue
            kind = "figure" if spec is not None else "table"
            counts[kind] += 1
            number = counts[kind]
            label = (spec.id if spec is not None else caption.id) or ""
            label = "" if label in taken else label  # the reader warned; the first keeps it
            taken.add(label)
            anchor = label or f"{'fig' if spec is not None else 'tbl'}-{number}"
            common = dict(kind=kind, anchor=anchor, section_id=view.section.id, label=label)
            if caption is not None:
                figures[id(token)] = Figure(number, "", title=inline_text(caption.inline), **common)
                continue
            with errors.at(view.section.path, view.section.body_line + token.map[0] if token.map else None):
                svg = _chart(spec, report.manifest.language, cache, ready=ready)
            figures[id(token)] = Figure(
                number,
                _figure_html(number, word, spec, svg, anchor),
                title=spec.caption or spec.title or "",
                svg=svg,
                **common,
            )
    return figures


def _chart(spec, language: str, cache: Path | None, narrow: bool = False, ready: dict | None = None) -> str:
    """The chart's SVG: from the cache, from ``ready`` (drawn by `charts.draw_all`), or drawn now."""
    key = charts.spec_key(spec, language, narrow)
    drawn = (ready or {}).get(key)
    return charts.cached_svg(key, lambda: drawn or charts.chart_svg(spec, language, narrow), cache)


def _figure_html(number: int, word: str, spec, svg: str, anchor: str, narrow: str = "") -> str:
    """The figure; with a ``narrow`` drawing (the HTML edition), the style sheet shows
    whichever fits the figure's width, and the numbers follow as a table."""
    caption = spec.caption or spec.title or ""
    sep = " " if word == "Figure" else "　"
    if "<title>" not in svg:  # the tagged PDF's /Alt of the chart: its caption, else its number
        svg = re.sub(
            r"(<svg\b[^>]*>)",
            lambda m: f"{m.group(1)}<title>{htmlmod.escape(caption or f'{word} {number}')}</title>",
            svg,
            count=1,
        )
    drawings = f'<div class="chart-svg">{svg}</div>\n'
    if narrow:
        drawings = (
            f'<div class="chart-svg chart-wide">{svg}</div>\n'
            f'<div class="chart-svg chart-narrow" data-pagefind-ignore="all">{narrow}</div>\n'
        )
    return (
        f'<figure class="chart" id="{htmlmod.escape(anchor)}">\n{drawings}'
        f'<figcaption><span class="fig-num">{word} {number}</span>{sep}{htmlmod.escape(caption)}</figcaption>\n'
        + (_chart_data(spec, word) if narrow else "")
        + "</figure>\n"
    )


def _chart_data(spec, word: str) -> str:
    """The chart's numbers as a table that opens on request: for screen readers, for
    copying, and for reading exact values a drawing rounds."""
    zh = word == "图"
    summary = ("数据表" if zh else "Data") + (
        f"（单位：{spec.unit}）" if zh and spec.unit else f" ({spec.unit})" if spec.unit else ""
    )
    head = "".join(f'<th class="nw num">{htmlmod.escape(label)}</th>' for label in spec.labels)
    rows = "".join(
        f'<tr><td class="nw">{htmlmod.escape(row[0])}</td>'
        + "".join(f'<td class="nw num">{value:,}</td>' for value in row[1:])
        + "</tr>\n"
        for row in spec.rows
    )
    return (
        f'<details class="chart-data"><summary>{htmlmod.escape(summary)}</summary>\n<div class="table-wrap">'
        f'<table class="three-line">\n<thead><tr><th>{htmlmod.escape(spec.x)}</th>{head}</tr></thead>\n'
        f"<tbody>\n{rows}</tbody>\n</table></div></details>\n"
    )


def check_references(report: Report, edition: Edition, figures: dict[int, Figure], diags: Diagnostics) -> None:
    """A cross-reference to a figure or table the edition leaves out is a warning: the
    reference prints "表 ?" (the reader already warned about ids that exist nowhere)."""
    from reportgen.load.reader import label_ids

    known, shown = label_ids(report, Diagnostics()), {fig.label for fig in figures.values()}
    for view in edition.views:
        for token in view.tokens:
            for child in token.children or []:
                link = ref(child, LinkRef) if child.type == "link_open" else None
                anchor = link.anchor if link is not None else ""
                if anchor in known and anchor not in shown:
                    line = link.line
                    diags.warning(
                        view.section.path,
                        None if line is None else view.section.body_line + line - 1,
                        f"'{anchor}' is in a part the {edition.name} edition leaves out; the reference"
                        " to it shows a question mark",
                    )


# --- the PDF --------------------------------------------------------------------------


def print_document(
    report: Report,
    edition: Edition,
    figures=None,
    *,
    chapters=None,
    front: bool = True,
    toc_pages: dict[str, int] | None = None,
    page_numbers: bool = True,
    colophon: bool = True,
    review=None,
    dated: bool = True,
    common: PrintCommon | None = None,
) -> str:
    """The print HTML: the whole report in one document, or a part of the book.
    ``common``: what `print_common` gives, when the caller makes many parts of one book."""
    from reportgen.pdf import design
    from reportgen.render import templates

    figures = figures if figures is not None else draw_figures(report, edition, None)
    if chapters is None:
        chapters = pdf_chapters(report, edition, figures)
    common = common or print_common(report, edition, figures)
    toc, lists = common.toc, common.lists
    if toc_pages is not None:
        toc = [dict(entry, page=toc_pages.get(entry["target"], "")) for entry in toc]
        lists = [
            dict(fl, entries=[dict(e, page=toc_pages.get(e["target"], "")) for e in fl["entries"]]) for fl in lists
        ]
    return templates.render(
        report.source,
        "pdf.html",
        report=report,
        manifest=report.manifest,
        edition=edition.name,
        chapters=chapters,
        toc=toc,
        # A review copy is one section on its own: no part title page before it.
        parts=chapter_parts(edition, report.manifest) if review is None else {},
        bookmark_css=bookmark_css(report.manifest),
        progress=common.progress,
        translated=report.original is not None,
        words=messages.words(report.manifest.language),
        css=common.css,
        created=source_date(report) if dated else None,
        logo=_logo(report),
        front=front,
        page_numbers=page_numbers,
        colophon=colophon,
        review=review,
        lists=lists,
        page_css=design.page_css(report, edition, page_numbers=page_numbers),
        cover=design.cover(report),
        draft_mark=design.draft_mark(report),
        back=report.manifest.back_cover,
        colophon_view=design.colophon(report, edition, source_date(report)) if colophon else None,
    )


@dataclass(frozen=True, slots=True)
class PrintCommon:
    """What every document of one print edition shows alike (`print_common`)."""

    toc: list[dict]
    lists: list[dict]
    """The lists of figures and tables report.yaml asks for."""
    progress: status.ReportProgress
    css: str
    """The print style sheet, with the faces of the report's language."""


def print_common(report: Report, edition: Edition, figures) -> PrintCommon:
    """What every document of one print edition shows alike: contents, lists of figures
    and tables, progress, style sheet.  Worked out once for a book of many parts (at 150
    sections, once per part was 3 s of a cold build)."""
    from reportgen.pdf import typeset as pdf
    from reportgen.render import templates

    manifest = report.manifest
    return PrintCommon(
        toc=toc_entries(edition, "pdf", manifest, chapter_numbers(report, edition)),
        lists=figure_lists(report, figures),
        progress=status.report_progress(report),
        css=pdf.print_css(fonts.for_language(templates.read(report.source, "print.css"), manifest.language), manifest),
    )


def figure_lists(report: Report, figures) -> list[dict]:
    """The lists of figures and tables report.yaml asks for (``lists:``), in its order."""
    zh = report.manifest.language.lower().startswith("zh")
    names = {
        "figures": ("figure", "图目录" if zh else "List of Figures", "图" if zh else "Figure"),
        "tables": ("table", "表目录" if zh else "List of Tables", "表" if zh else "Table"),
    }
    lists = []
    for name in report.manifest.lists:
        kind, title, word = names[name]
        entries = [
            {"label": f"{word} {fig.number}", "title": fig.title, "target": fig.anchor}
            for fig in figures.values()
            if fig.kind == kind
        ]
        if entries:
            lists.append({"title": title, "entries": entries})
    return lists


def pdf_chapters(
    report: Report, edition: Edition, figures, label_pages: dict[str, int] | None = None, only: set[int] | None = None
) -> list:
    """The chapters of the PDF (those at the indexes in ``only``, when given)."""
    from reportgen.pdf import typeset as pdf

    numbers = chapter_numbers(report, edition)
    return [
        pdf.Chapter(
            v.section.id,
            v.section.title,
            section_html(report, v, "pdf", edition.name, figures, label_pages, numbers[v.section.id]),
            _own_language(report, v.section),
        )
        for i, v in enumerate(edition.views)
        if only is None or i in only
    ]


def _own_language(report: Report, section) -> str | None:
    """A section's language where it differs from the report's: its text is set in that language's faces."""
    return section.language if section.language and section.language != report.manifest.language else None


def chapter_numbers(report: Report, edition: Edition) -> dict[str, str]:
    """Section id → its chapter number in the PDF, counted over the sections the edition shows."""
    from reportgen.render.numbering import label

    return {v.section.id: label(report.manifest.numbering, n) for n, v in enumerate(edition.views, start=1)}


def start_pdf(
    report: Report,
    edition: Edition,
    figures,
    diags: Diagnostics,
    cache: Path | None,
    engine: str,
    review=None,
    progress=None,
):
    """Start typesetting; return the function that finishes and gives the PDF bytes."""
    from reportgen.pdf import typeset as pdf

    if engine == "single" or cache is None:
        document = print_document(
            report, edition, figures, review=review, front=review is None, colophon=review is None
        )
        return lambda: pdf.typeset(document, report.source, diags, pdf_output(report, edition))
    return _start_book(report, edition, figures, diags, cache, review, progress)


def pdf_output(report: Report, edition: Edition):
    """Tagged for the public edition (or any edition with a variant); the variant asked for."""
    from reportgen.pdf import typeset as pdf

    manifest = report.manifest
    variant = (manifest.print.variant if manifest.print else None) or manifest.pdf_variant
    if variant is None and edition.name == "public":
        variant = "pdf/ua-1"
    tagged = edition.name == "public" or (variant is not None and not variant.startswith("pdf/x"))
    return pdf.Output(tagged=tagged, variant=variant, language=manifest.language)


def _start_book(report, edition, figures, diags, cache: Path, review, progress=None):
    from reportgen.pdf import book

    # Cross-references print their page; a chapter cannot count pages of the others, so
    # on a first build chapters that cite figures or tables are only measured (laid out
    # with a placeholder, never drawn or written) and typeset once the pages are known
    # (both cached by their HTML).  The placeholder has as many digits as the last build's
    # page count (two on a first build), so the measured lines break as the real ones will.
    # A later build typesets them at once with the pages the last one printed: after most
    # edits those are still the real ones, and the second round finds the chapter cached.
    typesetter = book.Book(cache / "pdf", progress=progress)
    common = print_common(report, edition, figures)
    placeholder = int("8" * len(str(typesetter.remembered("book-pages") or 88)))
    anchors = {fig.anchor for fig in figures.values()}
    last = typesetter.remembered_pages() or {}
    guess = anchors <= last.keys()
    label_pages = {anchor: last[anchor] if guess else placeholder for anchor in anchors}
    chapters = pdf_chapters(report, edition, figures, label_pages=label_pages)
    citing = {i for i, c in enumerate(chapters) if 'class="xref"' in c.html}
    views = edition.views

    def chapters_document(parts: list, opens: bool) -> str:
        """A document of chapters only: no front matter, page numbers or colophon (binding
        adds them) and no date (so touching a file does not invalidate a cached part);
        ``opens``: it holds the first chapter, which carries a review copy's header."""
        return print_document(
            report,
            edition,
            figures,
            chapters=parts,
            front=False,
            page_numbers=False,
            colophon=False,
            review=review if opens else None,
            dated=False,
            common=common,
        )

    def part_html(chapter, i: int) -> str:
        return chapters_document([chapter], i == 0)

    def document(indices: list[int]) -> str:
        """One document holding the chapters at ``indices``."""
        return chapters_document([chapters[i] for i in indices], 0 in indices)

    def with_pages(pages: dict[str, int]):
        """The citing chapters with the real ``pages``: their jobs by chapter index, and
        what composes several of them into one document."""
        again = pdf_chapters(report, edition, figures, label_pages=pages, only=citing)
        order = sorted(citing)

        def compose(indices: list[int]) -> str:
            return chapters_document([again[k] for k in indices], 0 in (order[k] for k in indices))

        return {
            i: book.job(
                part_html(c, i),
                report.source,
                c.title,
                anchor=c.id,
                path=views[i].section.path,
                line=views[i].section.root.line,
            )
            for i, c in zip(order, again)
        }, compose

    jobs = [
        book.job(
            part_html(chapter, i),
            report.source,
            chapter.title,
            anchor=chapter.id,
            path=view.section.path,
            line=view.section.root.line,
            measure=i in citing and not guess,
        )
        for i, (chapter, view) in enumerate(zip(chapters, views))
    ]
    colophon = print_document(
        report, edition, figures, chapters=[], front=False, page_numbers=False, dated=False, common=common
    )
    closing = "<body" in colophon and _has_content(colophon)
    if closing:
        jobs.append(book.job(colophon, report.source, "colophon"))
    # The front matter's length decides every page number after it.  Unless the last build
    # remembered it, the front matter is measured beside the chapters (its numbers do not
    # change its length; a change would cost one more round, never a wrong number).
    measure_front = typesetter.remembered("front-pages") is None
    if measure_front:
        placeholders = {target: placeholder for target in _front_targets(report, edition, figures)}
        contents = _front(report, edition, figures, placeholders, common)
        jobs.append(book.job(contents, report.source, "contents", measure=True))
    waiting = typesetter.start(jobs, document)
    return lambda: _finish_book(
        report, edition, figures, diags, typesetter, waiting, with_pages, closing, measure_front, common
    )


def _finish_book(
    report, edition, figures, diags, typesetter, waiting, with_pages, closing: bool, measure_front: bool, common
) -> bytes:
    """With the chapters typeset: the chapters citing figures or tables again with the
    real page numbers, the front matter and the page numbers themselves (all at once, on
    all workers), then binding."""
    import pypdf  # noqa: F401 - binding needs it (~0.3 s to import): imported while the workers typeset

    from reportgen.pdf import book
    from reportgen.render import templates

    try:
        parts = waiting()
        typeset = None
        if parts is not None:
            contents = parts.pop() if measure_front else None
            css = fonts.for_language(templates.read(report.source, "print.css"), report.manifest.language)
            front_pages = (
                contents.pages
                if contents
                else typesetter.remembered("front-pages") or _front_pages_guess(edition, report.manifest)
            )
            for _ in range(3):  # the contents' length decides where chapters start; settles at once in practice
                pages = _anchor_pages(parts, front_pages)
                redo, compose = with_pages(pages)
                measured = [_where(parts[i]) for i in redo]
                total = front_pages + sum(part.pages for part in parts)
                tail = parts[-1].pages if closing else 0  # colophon and back cover carry no number
                done = typesetter.typeset(
                    list(redo.values())
                    + [book.job(_front(report, edition, figures, pages, common), report.source)]
                    + [book.job(html, report.source) for html in book.numbers_html(css, front_pages, total, tail)],
                    compose,
                )
                if done is None:
                    typeset = None
                    break
                typeset = done[len(redo) :]
                for i, part in zip(redo, done):
                    parts[i] = part
                # A citing chapter whose length or anchors changed with its real numbers moves pages.
                moved = measured != [_where(parts[i]) for i in redo]
                if typeset[0].pages == front_pages and not moved:
                    break
                front_pages = typeset[0].pages
            typesetter.remember("front-pages", front_pages)
            typesetter.remember("book-pages", front_pages + sum(part.pages for part in parts))
            typesetter.remember_pages(
                {fig.anchor: pages[fig.anchor] for fig in figures.values() if fig.anchor in pages}
            )
    finally:
        typesetter.close()
    for failure in typesetter.failures:
        diags.error(
            failure.job.path, failure.job.line, f"typesetting {failure.job.name or 'the PDF'} failed: {failure.message}"
        )
    if typeset is None:
        return b""
    front, *numbers = typeset
    for part in [front] + parts:
        for message in part.messages:
            diags.warning("report.yaml", None, message)
    meta = book.Metadata(
        title=report.manifest.title,
        author=report.manifest.author or report.manifest.organisation or "",
        subject=report.manifest.subtitle or "",
        language=report.manifest.language,
        date="D:" + source_date(report).replace("-", "").replace(":", "").replace("T", ""),
    )
    pdf = book.bind_cached([front] + parts, meta, numbers, cache=typesetter.cache)
    typesetter.prune([front, *numbers] + parts)
    return pdf


def _where(part) -> tuple:
    """A part's length and the page of each of its anchors: what the page numbers follow from."""
    return part.pages, {name: place[0] for name, place in part.anchors.items()}


def _front_pages_guess(edition, manifest: Manifest) -> int:
    """Pages of cover, progress list and contents, guessed before they are typeset (a
    wrong guess costs one more typesetting of the front matter, never a wrong number)."""
    rows = len(edition.views) if edition.name == "draft" else 0
    return 1 + -(-rows // 30) + max(1, -(-len(toc_entries(edition, "pdf", manifest)) // 44))


def _front_targets(report, edition, figures) -> list[str]:
    """The anchors whose pages the front matter prints (contents, lists of figures and tables)."""
    return [entry["target"] for entry in toc_entries(edition, "pdf", report.manifest)] + [
        fig.anchor for fig in figures.values()
    ]


def _front(report, edition, figures, pages: dict[str, int], common: PrintCommon) -> str:
    """Cover, progress list and contents, with the page numbers given."""
    toc_pages = {target: pages.get(target, "") for target in _front_targets(report, edition, figures)}
    return print_document(
        report,
        edition,
        figures,
        chapters=[],
        toc_pages=toc_pages,
        page_numbers=False,
        colophon=False,
        dated=False,
        common=common,
    )


def _anchor_pages(parts, front_pages: int) -> dict[str, int]:
    """Anchor → 1-based page number in the bound book."""
    pages, start = {}, front_pages
    for part in parts:
        for name, (index, _x, _y) in part.anchors.items():
            pages.setdefault(name, start + index + 1)
        start += part.pages
    return pages


def _has_content(document: str) -> bool:
    body = document.split("<body", 1)[1].split(">", 1)[1].rsplit("</body>", 1)[0]
    return bool(body.strip())


def bookmark_css(manifest: Manifest) -> str:
    """Bookmark levels of the PDF: headings down to ``bookmark_depth``, one level lower inside a part."""
    depth = manifest.bookmark_depth
    rules = [f"h{n} {{ bookmark-level: none; }}" for n in range(depth + 1, 7)]
    if manifest.parts:
        rules += [f".in-part h{n} {{ bookmark-level: {n + 1}; }}" for n in range(1, depth + 1)]
    return "\n".join(rules)


def source_date(report: Report) -> str:
    """W3C date for the PDF metadata: SOURCE_DATE_EPOCH, else the source's last change."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        stamp = int(epoch)
    else:
        stamp = int(max(f.stat().st_mtime for f in _inputs(report) if f.is_file()))
    return datetime.datetime.fromtimestamp(stamp, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _inputs(report: Report) -> list[Path]:
    """Every file the outputs are made from: manifest, sections, what they use, templates."""
    source = report.source
    files = [source / "report.yaml"] + [source / s.path for s in report.sections]
    for section in report.sections:
        files += [source / rel for rel in section.env.get("assets", ())]
        for token in section.tokens:
            chart = ref(token, ChartRef) if token.type == "fence" else None
            spec = chart.spec if chart is not None else None
            if spec is not None and spec.source:
                files.append(source / spec.source)
    manifest = report.manifest
    design_files = (
        manifest.logo,
        manifest.cover_image,
        manifest.back_cover.qr,
        manifest.print.output_profile if manifest.print else None,
    )
    files += [source / rel for rel in design_files if rel]
    if (source / "templates").is_dir():
        files += [p for p in (source / "templates").rglob("*") if p.is_file()]
    return files


def _logo(report: Report) -> str | None:
    logo = report.manifest.logo
    if not logo:
        return None
    full = (report.source / logo).resolve()
    return logo if full.is_file() and full.is_relative_to(report.source.resolve()) else None


class SilentProgress:
    """The progress display of a build nobody watches (tests, the preview server)."""

    def stage(self, name: str) -> None:
        pass

    def section(self, done: int, total: int, name: str = "") -> None:
        pass

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
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from reportgen import charts, output, remote
from reportgen.editions import Edition, SectionView, select
from reportgen.errors import Diagnostics
from reportgen.markdown import RenderContext, make_parser, render
from reportgen.model import Report
from reportgen.reader import load_report
from reportgen.sanitize import clean_fragment

FORMATS = ("pdf", "html", "dashboard")


@dataclass
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


@dataclass
class BuildResult:
    diagnostics: Diagnostics
    written: list[Path] = field(default_factory=list)
    omitted: list[str] = field(default_factory=list)
    """'path:line: title' of every unit the public edition left out."""

    @property
    def ok(self) -> bool:
        return not self.diagnostics.errors


def build(options: BuildOptions, progress=None) -> BuildResult:
    """Build every format asked for; write them only if the build succeeds."""
    progress = progress or SilentProgress()
    diags = Diagnostics()
    result = BuildResult(diags)
    refusal = unsafe_out(options.source, options.out)
    if refusal:
        diags.error(str(options.out), None, refusal)
        return result
    try:
        with _output_folder(options.out) as folder:
            _build(options, progress, diags, result, folder)
    except OSError as error:  # an unwritable folder, a full disk: the user's to fix, not a crash
        place = _os_place(error, options.out)
        doing = "cannot write the outputs" if _inside(Path(place), options.out) else "cannot read"
        diags.error(place, None, f"{doing}: {error.strerror or error}")
        result.written = []
    return result


def _build(options: BuildOptions, progress, diags: Diagnostics, result: BuildResult, folder) -> None:
    progress.stage("reading sources")
    report = load_report(options.source, diags)
    if report is None or diags.errors:
        return
    remote.fetch_remote(report, diags)
    edition = select(report, options.edition, diags, options.strict)
    result.omitted = [f"{s.path}:{h.line}: {h.title}" for s, h in edition.omitted]
    review = None
    if options.only:
        edition, review = review_copy(report, edition, options.only, diags)
        options = replace(options, out=options.out / "review" / options.only,
                          formats=tuple(f for f in options.formats if f != "dashboard"))
    if diags.failed(options.strict):
        return
    if options.only:
        with _output_folder(options.out) as inner:
            _render_and_write(report, edition, options, diags, progress, review, result, inner)
    else:
        _render_and_write(report, edition, options, diags, progress, review, result, folder)


def _render_and_write(report, edition, options, diags, progress, review, result, folder) -> None:
    if not _claim_cache(folder, diags):
        return
    progress.stage("drawing charts")
    figures = draw_figures(report, edition, options.out / output.CACHE / "charts")
    pending = render_outputs(report, edition, figures, options, diags, progress, review)
    if diags.failed(options.strict):
        return
    if not _claim_outputs(folder, pending, diags):
        return
    progress.stage("writing outputs")
    result.written = [item(folder) for item in pending]
    folder.settle()


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
        diags.error(str(folder.out / rel), None,
                    f"is in the way of an output and was not written by reportgen (it is not listed in "
                    f"{output.MANIFEST}); nothing was changed: move it away or build into another --out")


def unsafe_out(source: Path, out: Path) -> str | None:
    """Why ``out`` must not be an output folder, or None: outputs never mix with a source or a home."""
    try:
        src, dest = source.resolve(), out.resolve()
    except (OSError, RuntimeError) as error:
        return f"--out cannot be used: {error}"
    if dest == src:
        return "--out is the report source itself; choose an output folder such as SOURCE/build"
    if src.is_relative_to(dest):
        return f"--out is a folder that holds the report source ({src}); choose an output folder inside it or elsewhere"
    if dest == Path(dest.anchor):
        return "--out is the root of the file system; choose an output folder such as SOURCE/build"
    if dest == Path.home().resolve():
        return "--out is the home folder; choose an output folder such as SOURCE/build"
    if (dest / "report.yaml").is_file():
        return "--out holds a report.yaml: it is a report source, not an output folder"
    return None


def _inside(path: Path, folder: Path) -> bool:
    try:
        return path.absolute().is_relative_to(folder.absolute())
    except (OSError, ValueError):
        return False


def _os_place(error: OSError, out: Path) -> str:
    return str(error.filename) if error.filename else str(out)


def render_outputs(report, edition, figures, options, diags, progress, review=None) -> list:
    """Render each format; return what each output will write (`output.Pending`), in order."""
    pending = []
    finish_pdf = None
    if "pdf" in options.formats:
        progress.stage("typesetting PDF")
        engine = options.pdf_engine
        if engine == "auto":
            engine = "single" if review or edition.name == "public" else "book"
        finish_pdf = start_pdf(report, edition, figures, diags, options.out / output.CACHE, engine, review, progress)
    if "html" in options.formats:
        from reportgen import site

        progress.stage("rendering HTML edition")
        pending.append(site.render_site(report, edition, figures, options, diags))
    if "dashboard" in options.formats:
        from reportgen import dashboard

        progress.stage("drawing dashboard")
        write_dashboard = dashboard.render_dashboard(report, options, diags)
        pending.append(output.Pending(("dashboard/index.html",), (), lambda folder: write_dashboard()))
    if finish_pdf is not None:  # last: the HTML edition and dashboard render while the workers typeset
        progress.stage("binding PDF")
        pdf = finish_pdf()
        pending.insert(0, output.Pending(("report.pdf",), (),
                                         lambda folder: _write(options.out / "report.pdf", pdf)))
    return pending


def review_copy(report: Report, edition: Edition, section_id: str, diags: Diagnostics):
    """The edition cut down to one section, and what its review header shows."""
    view = next((v for v in edition.views if v.section.id == section_id), None)
    if view is None:
        known = ", ".join(s.id for s in report.sections)
        where = "is left out of this edition" if report.section_by_id(section_id) else "does not exist"
        diags.error("report.yaml", None, f"--only {section_id}: that section {where} (sections: {known})")
        return edition, None
    section = view.section
    status = section.root.status
    header = {
        "title": section.title, "path": section.path,
        "status": status.value if status else "unmarked", "label": status.label_zh if status else "未标记",
        "owner": section.root.owner or "—", "due": section.front.due or "—",
        "reviewers": "、".join(section.front.reviewers) or "—",
        "units": [(u.title, u.own_status.label_zh, u.owner or "—") for u in section.units()],
    }
    return Edition(edition.name, [view], edition.omitted), header


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


@dataclass(frozen=True)
class Figure:
    number: int
    html: str


def draw_figures(report: Report, edition: Edition, cache: Path | None) -> dict[int, Figure]:
    """id(chart fence token) → its numbered figure, in reading order of the edition."""
    figures: dict[int, Figure] = {}
    word = "图" if report.manifest.language.lower().startswith("zh") else "Figure"
    for view in edition.views:
        for token in view.tokens:
            spec = token.meta.get("chart") if token.type == "fence" else None
            if spec is None:
                continue
            number = len(figures) + 1
            language = report.manifest.language
            svg = charts.cached_svg(charts.spec_key(spec, language), lambda s=spec: charts.chart_svg(s, language), cache)
            figures[id(token)] = Figure(number, _figure_html(number, word, spec, svg))
    return figures


def _figure_html(number: int, word: str, spec, svg: str) -> str:
    caption = spec.caption or spec.title or ""
    sep = " " if word == "Figure" else "　"
    return (f'<figure class="chart" id="fig-{number}">\n<div class="chart-svg">{svg}</div>\n'
            f'<figcaption><span class="fig-num">{word} {number}</span>{sep}{htmlmod.escape(caption)}</figcaption>\n'
            "</figure>\n")


# --- section bodies -----------------------------------------------------------------


def section_html(report: Report, view: SectionView, mode: str, edition: str, figures: dict[int, Figure]) -> str:
    """The body HTML of one section for ``mode`` (``html`` page or ``pdf`` chapter)."""
    md = _parser(report)
    ctx = RenderContext(
        mode=mode,
        edition=edition,
        section_id=view.section.id,
        pages=_pages(report),
        headings={id(view.section.tokens[h.token_range[0]]): h for h in view.headings},
        figures={key: fig.html for key, fig in figures.items()},
        language=report.manifest.language,
    )
    return clean_fragment(render(md, view.tokens, view.section.env, ctx))


def _pages(report: Report) -> dict[str, str]:
    """Section path → id, made once per report (once per section made 10,000 sections quadratic)."""
    cached = getattr(report, "_pages", None)
    if cached is None:
        cached = {s.path: s.id for s in report.sections}
        report._pages = cached
    return cached


def _parser(report: Report):
    cached = getattr(report, "_parser", None)
    if cached is None:
        cached = make_parser(report.manifest.markers)
        report._parser = cached
    return cached


# --- the PDF --------------------------------------------------------------------------


def print_document(report: Report, edition: Edition, figures=None, *, chapters=None, front: bool = True,
                   toc_pages: dict[str, int] | None = None, page_numbers: bool = True, colophon: bool = True,
                   review=None, dated: bool = True) -> str:
    """The print HTML: the whole report in one document, or a part of the book."""
    from reportgen import templates

    figures = figures if figures is not None else draw_figures(report, edition, None)
    if chapters is None:
        chapters = pdf_chapters(report, edition, figures)
    toc = toc_entries(edition, "pdf")
    if toc_pages is not None:
        toc = [dict(entry, page=toc_pages.get(entry["target"], "")) for entry in toc]
    return templates.render(
        report.source, "pdf.html",
        report=report, manifest=report.manifest, edition=edition.name, chapters=chapters, toc=toc,
        progress=progress_rows(report), css=templates.read(report.source, "print.css"),
        created=source_date(report) if dated else None, logo=_logo(report), front=front, page_numbers=page_numbers,
        colophon=colophon, review=review,
    )


def pdf_chapters(report: Report, edition: Edition, figures) -> list:
    from reportgen import pdf

    return [pdf.Chapter(v.section.id, v.section.title, section_html(report, v, "pdf", edition.name, figures))
            for v in edition.views]


def render_pdf(report: Report, edition: Edition, figures, diags: Diagnostics, cache: Path | None = None,
               engine: str = "book", review=None) -> bytes:
    """The PDF, typeset as a book of cached chapters, or in one pass (the reference)."""
    return start_pdf(report, edition, figures, diags, cache, engine, review)()


def start_pdf(report: Report, edition: Edition, figures, diags: Diagnostics, cache: Path | None,
              engine: str, review=None, progress=None):
    """Start typesetting; return the function that finishes and gives the PDF bytes."""
    from reportgen import pdf

    if engine == "single" or cache is None:
        document = print_document(report, edition, figures, review=review, front=review is None)
        return lambda: pdf.typeset(document, report.source, diags)
    return _start_book(report, edition, figures, diags, cache, review, progress)


def _start_book(report, edition, figures, diags, cache: Path, review, progress=None):
    from reportgen import book

    chapters = pdf_chapters(report, edition, figures)
    # Parts carry no date (binding sets it), so touching a file does not invalidate them.
    parts_html = [print_document(report, edition, figures, chapters=[c], front=False, page_numbers=False,
                                 colophon=False, review=review if i == 0 else None, dated=False)
                  for i, c in enumerate(chapters)]
    colophon = print_document(report, edition, figures, chapters=[], front=False, page_numbers=False, dated=False)
    if "<body" in colophon and _has_content(colophon):
        parts_html.append(colophon)
    names = [c.title for c in chapters] + ["colophon"]
    jobs = [book.job(html, report.source, name) for html, name in zip(parts_html, names)]
    placeholder = book.job(_front(report, edition, figures, {}), report.source, "contents")
    waiting = book.start([placeholder] + jobs, cache / "pdf", progress=progress)
    return lambda: _finish_book(report, edition, figures, diags, cache, waiting())


def _finish_book(report, edition, figures, diags, cache: Path, typeset) -> bytes:
    """With the chapters typeset: the front matter with real page numbers, then binding."""
    from reportgen import book

    front_pages, parts = typeset[0][0].pages, typeset[1:]
    for _ in range(3):  # the contents' length decides where chapters start; settles at once in practice
        pages = _anchor_pages(parts, front_pages)
        front_job = book.job(_front(report, edition, figures, pages), report.source)
        front = book.typeset_all([front_job], cache / "pdf")[0]
        if front[0].pages == front_pages:
            break
        front_pages = front[0].pages
    for part, _ in [front] + parts:
        for message in part.messages:
            diags.warning("report.yaml", None, message)
    meta = book.Metadata(
        title=report.manifest.title, author=report.manifest.author or report.manifest.organisation or "",
        subject=report.manifest.subtitle or "", language=report.manifest.language,
        date="D:" + source_date(report).replace("-", "").replace(":", "").replace("T", ""),
    )
    return book.bind_cached([front] + parts, meta, numbered_from=2, cache=cache / "pdf")


def _front(report, edition, figures, pages: dict[str, int]) -> str:
    """Cover, progress list and contents; page numbers given (placeholders when unknown)."""
    toc_pages = {entry["target"]: pages.get(entry["target"], 888) for entry in toc_entries(edition, "pdf")}
    return print_document(report, edition, figures, chapters=[], toc_pages=toc_pages, page_numbers=False,
                          colophon=False, dated=False)


def _anchor_pages(parts, front_pages: int) -> dict[str, int]:
    """Anchor → 1-based page number in the bound book."""
    pages, start = {}, front_pages
    for part, _ in parts:
        for name, (index, _x, _y) in part.anchors.items():
            pages.setdefault(name, start + index + 1)
        start += part.pages
    return pages


def _has_content(document: str) -> bool:
    body = document.split("<body", 1)[1].split(">", 1)[1].rsplit("</body>", 1)[0]
    return bool(body.strip())


def toc_entries(edition: Edition, mode: str) -> list[dict]:
    """Headings of level 1 and 2 shown by the edition, with their link targets."""
    entries = []
    for view in edition.views:
        sid = view.section.id
        for heading in view.headings:
            if heading.level > 2:
                continue
            target = sid if heading.level == 1 else f"{sid}--{heading.anchor}"
            if mode == "html":
                target = f"{sid}.html" + ("" if heading.level == 1 else f"#{heading.anchor}")
            entries.append({"level": heading.level, "title": heading.title, "target": target,
                            "status": heading.status.value if heading.status else None})
    return entries


def progress_rows(report: Report) -> list[dict]:
    """The generated progress list: one row per section, from the markers themselves."""
    rows = []
    for section in report.sections:
        units = section.units()
        status = section.root.status
        rows.append({
            "title": section.title,
            "status": status.value if status else "unmarked",
            "label": status.label_zh if status else "未标记",
            "owner": section.root.owner or "",
            "due": section.front.due or "",
            "done": sum(1 for u in units if u.own_status.is_done()),
            "units": len(units),
        })
    return rows


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
            spec = token.meta.get("chart") if token.type == "fence" else None
            if spec is not None and spec.source:
                files.append(source / spec.source)
    if report.manifest.logo:
        files.append(source / report.manifest.logo)
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

"""A section's body as HTML, the same for the HTML edition and the PDF, and the contents that link to it.

The pipeline (`build`) and the renderers (`site`, the print document in `build`)
both take a section's body from here, so neither renderer needs the pipeline:
`section_html` renders the tokens the edition shows through the one configured
parser and passes the result through the sanitiser; `toc_entries` lists the
headings the contents show; a `Figure` is what `build.draw_figures` numbered.
"""

from __future__ import annotations

from dataclasses import dataclass

from reportgen import errors
from reportgen.model import Manifest, Report
from reportgen.render.editions import Edition, SectionView
from reportgen.render.markdown import Label, RenderContext, make_parser, render
from reportgen.render.sanitize import clean_fragment

SITE_FILES = "files/"
"""Folder of the HTML edition holding the source's own files (images, downloads, the logo):
apart from every page and script the site generates, so none can replace one."""


@dataclass(frozen=True)
class Figure:
    """A numbered figure (a chart) or captioned table of the edition."""

    number: int
    html: str
    """The chart's figure HTML; '' for a table, which its section renders."""
    kind: str = "figure"
    """``figure`` or ``table``."""
    anchor: str = ""
    """Its element id: the author's id, else ``fig-N`` / ``tbl-N``."""
    title: str = ""
    """Its caption as plain text, for the list of figures or tables."""
    section_id: str = ""
    label: str = ""
    """The author's id that cross-references use, or ''."""
    site_html: str = ""
    """The chart's figure in the HTML edition (a drawing for phones beside the one for
    wide screens, and the numbers as a table), when drawn; else `html` serves."""
    svg: str = ""
    """The chart's drawing for the page and wide screens, as `html` holds it."""


def figure_labels(report: Report, figures: dict[int, Figure]) -> dict[str, Label]:
    """Author's id → what a cross-reference to it prints and where it links."""
    zh = report.manifest.language.lower().startswith("zh")
    words = {"figure": "图" if zh else "Figure", "table": "表" if zh else "Table"}
    return {
        fig.label: Label(f"{words[fig.kind]} {fig.number}", fig.anchor, fig.section_id)
        for fig in figures.values()
        if fig.label
    }


def section_html(
    report: Report,
    view: SectionView,
    mode: str,
    edition: str,
    figures: dict[int, Figure],
    label_pages: dict[str, int] | None = None,
    number: str = "",
) -> str:
    """The body HTML of one section for ``mode`` (``html`` page or ``pdf`` chapter), sanitised,
    its title numbered ``number`` (see `chapter_numbers`); ``label_pages`` gives the PDF pages
    of figures and tables when the typesetter cannot count them (a chapter of the book)."""
    return clean_fragment(rendered_html(report, view, mode, edition, figures, label_pages, number))


def rendered_html(
    report: Report,
    view: SectionView,
    mode: str,
    edition: str,
    figures: dict[int, Figure],
    label_pages: dict[str, int] | None = None,
    number: str = "",
) -> str:
    """The body HTML exactly as the Markdown renderer wrote it, before the sanitiser."""
    md = _parser(report)
    ctx = RenderContext(
        mode=mode,
        edition=edition,
        section_id=view.section.id,
        pages=report.aliases | _pages(report),
        figures={
            key: (fig.site_html if mode == "html" and fig.site_html else fig.html)
            for key, fig in figures.items()
            if fig.kind == "figure"
        },
        language=report.manifest.language,
        markers=report.manifest.markers,
        files=SITE_FILES if mode == "html" else "",
        tables={key: fig.number for key, fig in figures.items() if fig.kind == "table"},
        table_style=report.manifest.table_style,
        labels=figure_labels(report, figures),
        label_pages=label_pages,
        number=number,
    )
    with errors.at(view.section.path, view.section.root.line):
        return render(md, view.tokens, view.section.env, ctx)


def _pages(report: Report) -> dict[str, str]:
    """Section path → id, made once per report (`model.ReportCache`)."""
    if report.cache.pages is None:
        report.cache.pages = {s.path: s.id for s in report.sections}
    return report.cache.pages


def _parser(report: Report):
    if report.cache.parser is None:
        report.cache.parser = make_parser(report.manifest.markers)
    return report.cache.parser


def toc_entries(edition: Edition, mode: str, manifest: Manifest, numbers: dict[str, str] | None = None) -> list[dict]:
    """The contents: each part (level 0), then the headings the edition shows down to
    ``toc_depth``, with their link targets (a part has a page of its own only in the PDF);
    chapter titles carry their ``numbers`` (section id → number)."""
    from reportgen.render.numbering import titled

    entries = []
    opening = {sid: part for sid, part in chapter_parts(edition, manifest).items() if part.first}
    for view in edition.views:
        sid = view.section.id
        if sid in opening:
            part = opening[sid]
            entries.append(
                {"level": 0, "title": part.title, "target": part.anchor if mode == "pdf" else None, "status": None}
            )
        for heading in view.headings:
            if heading.level > manifest.toc_depth:
                continue
            target = sid if heading.level == 1 else f"{sid}--{heading.anchor}"
            if mode == "html":
                target = f"{sid}.html" + ("" if heading.level == 1 else f"#{heading.anchor}")
            title = titled((numbers or {}).get(sid, ""), heading.title) if heading.level == 1 else heading.title
            entries.append(
                {
                    "level": heading.level,
                    "title": title,
                    "target": target,
                    "status": heading.status.value if heading.status else None,
                }
            )
    return entries


@dataclass(frozen=True)
class PartPlace:
    """Where a section stands in the part it belongs to."""

    title: str
    anchor: str
    """The id of the part's title page in the PDF."""
    first: bool
    """The section opens the part: its title page comes before it."""


def chapter_parts(edition: Edition, manifest: Manifest) -> dict[str, PartPlace]:
    """Section id → its part, for every section of the edition that is in one."""
    places, seen = {}, set()
    for view in edition.views:
        part = manifest.part_of(view.section.path)
        if part is not None:
            number = manifest.parts.index(part) + 1
            places[view.section.id] = PartPlace(part.title, f"rg-part-{number}", part.title not in seen)
            seen.add(part.title)
    return places

"""The PDF's document design: what the cover, colophon and back cover show, and the
page rules that ``report.yaml`` and the edition add to the print stylesheet.

The templates (``pdf.html`` and ``partials/``) lay these values out; a report
overrides them in its own ``templates/``.  The generated CSS goes after the
print stylesheet, so it holds only what depends on the report: the draft
mark, print production (bleed, marks, mirrored margins, chapters on
right-hand pages), the cover picture and the printer's colour profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from reportgen.messages import words
from reportgen.model import Report
from reportgen.render.editions import Edition


def draft_mark(report: Report) -> str:
    """What every page of the draft prints, in the report's language (``草稿 · Draft``)."""
    return words(report.manifest.language)["draft_mark"]


@dataclass(frozen=True)
class ColophonView:
    """The colophon (版权页) as printed: pairs of label and text, in order."""

    rows: tuple[tuple[str, str | tuple[str, ...]], ...]
    """(label, text): the text is a tuple for a list of names, each kept whole on its line."""
    credits: tuple[str, ...]


def cover(report: Report) -> dict:
    """What the cover prints besides the title: the year and the organisation only where
    the title does not already say them, so each is printed once."""
    manifest = report.manifest
    title = manifest.title
    return {
        "year": "" if str(manifest.year) in title else str(manifest.year),
        "organisation": "" if not manifest.organisation or manifest.organisation in title else manifest.organisation,
        "image": manifest.cover_image is not None,
    }


def colophon(report: Report, edition: Edition, date: str) -> ColophonView:
    """The 版权页.  Who wrote and reviewed each section comes from the sections' front
    matter, which only the draft may show (the public edition names no owners); the
    public edition prints only what ``report.yaml`` ``colophon:`` says."""
    manifest, own = report.manifest, report.manifest.colophon
    said = words(manifest.language)
    draft = edition.name == "draft"
    label = own.edition or said["c_year_edition"].format(year=manifest.year)
    rows = [
        (said["c_title"], manifest.title),
        (said["c_edition"], label + (f" · {said['c_draft']}" if draft else "")),
        (said["c_date"], date[:10]),
    ]
    if manifest.organisation:
        rows.append((said["c_publisher"], manifest.organisation))
    if own.editor:
        rows.append((said["c_editor"], own.editor))
    if draft:
        # Names as a list: the template keeps each one whole on its line.
        authors = _unique(s.root.owner for s in report.sections)
        reviewers = _unique(r for s in report.sections for r in s.front.reviewers)
        if authors:
            rows.append((said["c_authors"], tuple(authors)))
        if reviewers:
            rows.append((said["c_reviewers"], tuple(reviewers)))
    if own.license:
        rows.append((said["c_license"], own.license))
    if own.contact:
        rows.append((said["c_contact"], own.contact))
    return ColophonView(tuple(rows), own.credits)


def _unique(names) -> list[str]:
    seen: list[str] = []
    for name in names:
        if name and name not in seen:
            seen.append(name)
    return seen


def page_css(report: Report, edition: Edition, *, page_numbers: bool = True) -> str:
    """The page rules this report and edition add to the print stylesheet."""
    rules = []
    if not page_numbers:
        rules.append("@page { @bottom-center { content: none } }")
    if edition.name == "draft":
        # In a margin box, so it is on every page whatever the page shows, blank pages included;
        # the cover and back cover (no margins) print it in their own text.
        rules.append(f"@page {{ @bottom-left {{ content: {_string(draft_mark(report))} }} }}")
    if report.manifest.cover_image:
        # Under a veil of the band's colour, so the white title stays legible on any picture.
        rules.append(
            ".cover-band { background-image: linear-gradient(rgba(15, 42, 74, 0.7), rgba(15, 42, 74, 0.9)), "
            f"{_url(report.manifest.cover_image)} }}"
        )
    rules += print_css(report)
    return "\n".join(rules)


def print_css(report: Report) -> list[str]:
    """Print production as ``report.yaml`` ``print:`` asks; nothing for the on-screen PDF."""
    options = report.manifest.print
    if options is None:
        return []
    rules = []
    if options.bleed or options.marks:
        bleed = f"bleed: {options.bleed};" if options.bleed else ""
        marks = f"marks: {options.marks};" if options.marks else ""
        rules.append(f"@page {{ {bleed} {marks} }}")
    if options.bleed:
        # The cover's band runs to three edges: into the bleed, so a cut a little off leaves no white line.
        b = options.bleed
        rules.append(
            f".cover-band {{ left: -{b}; right: -{b}; bottom: -{b}; "
            f"padding-left: calc(22mm + {b}); padding-right: calc(22mm + {b}) }}"
        )
    if options.mirror:
        # The inner margin (by the binding) wider than the outer one.
        # Running heads on the outer side: the report's title on left pages, the chapter's on right ones.
        rules.append("@page :left { margin-left: 18mm; margin-right: 24mm; @top-right { content: none } }")
        rules.append("@page :right { margin-left: 24mm; margin-right: 18mm; @top-left { content: none } }")
    if options.recto:
        rules.append(".toc, .progress, .chapter, .colophon { break-before: right }")
        rules.append(".back-cover { break-before: left }")
    if options.output_profile:
        components = _profile_components(report.source / options.output_profile)
        rules.append(f"@color-profile device-cmyk {{ src: {_url(options.output_profile)}; components: {components} }}")
    return rules


def _profile_components(path) -> str:
    """The colour components of an ICC profile, read from its header (bytes 16–19 name
    the colour space), as WeasyPrint's @color-profile wants them listed."""
    space = path.read_bytes()[16:20]
    return {b"RGB ": "red, green, blue", b"GRAY": "gray"}.get(space, "cyan, magenta, yellow, black")


def _string(text: str) -> str:
    """``text`` as a CSS string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\a ") + '"'


def _url(path: str) -> str:
    """A CSS url() for a file inside the report, quoted so no path can end the rule."""
    return f'url("{quote(path)}")'

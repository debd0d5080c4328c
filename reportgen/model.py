"""The typed values every stage passes on: statuses, headings, sections, the report.

The loader builds them once from the source; everything downstream trusts them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar


@dataclass(frozen=True, slots=True)
class StatusInfo:
    """What one status is and how every output shows it: the one table of status data."""

    rank: int
    """Order of progress: unmarked 0 < editing 1 < reviewing 2 < done 3."""
    column: int
    """Place in counts, tables, legends and charts: editing, reviewing, done, then unmarked."""
    label_zh: str
    label_en: str
    marker: str
    """The marker authors type by default (``markers:`` in report.yaml may replace it); none for unmarked."""
    sign: str
    """Shown beside the label where no marker exists (unmarked)."""
    colour: str
    """Colour of charts, dashboard chips and bars (Okabe–Ito, readable by the colour-blind)."""
    terminal: str
    """rich colour of the terminal table."""


class Status(enum.Enum):
    """How far a unit of progress is. Ordered: unmarked < editing < reviewing < done."""

    UNMARKED = "unmarked"
    """No marker anywhere in the file: nobody has said how far it is."""
    EDITING = "editing"
    """✍️ being written."""
    REVIEWING = "reviewing"
    """👁️ written, waiting for a reviewer."""
    DONE = "done"
    """✅ reviewed and ready to publish."""

    @property
    def info(self) -> StatusInfo:
        return STATUS_INFO[self]

    @property
    def rank(self) -> int:
        return STATUS_INFO[self].rank

    @property
    def label_zh(self) -> str:
        return STATUS_INFO[self].label_zh

    def label(self, language: str) -> str:
        """The status's name in ``language`` (a BCP 47 tag): Chinese for ``zh…``, else English."""
        info = STATUS_INFO[self]
        return info.label_zh if language.lower().startswith("zh") else info.label_en

    def is_done(self) -> bool:
        return self is Status.DONE

    @classmethod
    def shown(cls) -> tuple["Status", ...]:
        """Every status in the order counts, tables, legends and charts show them."""
        return tuple(sorted(cls, key=lambda s: STATUS_INFO[s].column))

    @classmethod
    def least(cls, statuses) -> "Status | None":
        """The least advanced of ``statuses``, or None when there are none."""
        statuses = list(statuses)
        return min(statuses, key=lambda s: s.rank) if statuses else None


STATUS_INFO: Mapping[Status, StatusInfo] = MappingProxyType(
    {
        Status.UNMARKED: StatusInfo(0, 3, "未标记", "unmarked", "", "○", "#8C8C8C", "bright_black"),  # grey
        Status.EDITING: StatusInfo(1, 0, "编辑中", "editing", "✍️", "✍️", "#E69F00", "yellow"),  # amber
        Status.REVIEWING: StatusInfo(2, 1, "审核中", "reviewing", "👁️", "👁️", "#0072B2", "blue"),  # blue
        Status.DONE: StatusInfo(3, 2, "已完成", "done", "✅", "✅", "#009E73", "green"),  # green
    }
)
"""Rank, names, default marker and colours of each status; every output reads them from here."""

#: Words that front matter ``status:`` accepts, in English and Chinese.
STATUS_WORDS: Mapping[str, Status] = MappingProxyType(
    {
        **{status.value: status for status in STATUS_INFO if status is not Status.UNMARKED},
        **{info.label_zh: status for status, info in STATUS_INFO.items() if status is not Status.UNMARKED},
    }
)

#: The default markers; ``report.yaml`` may replace them.
DEFAULT_MARKERS: Mapping[Status, tuple[str, ...]] = MappingProxyType(
    {status: (info.marker,) for status, info in STATUS_INFO.items() if info.marker}
)


def drop_marker(text: str, marker: str) -> str:
    """``text`` without ``marker`` (given without U+FE0F) at its start, nor any U+FE0F inside
    or after it: editors add or drop the variation selector behind the author's back."""
    i = 0
    for _ in marker:
        while i < len(text) and text[i] == "\ufe0f":
            i += 1
        i += 1  # the marker's character itself (the caller checked it matches)
    while i < len(text) and text[i] == "\ufe0f":
        i += 1
    return text[i:]


def drop_trailing_marker(text: str, marker: str) -> str:
    """``text`` without ``marker`` at its end (as `drop_marker` at the start)."""
    return drop_marker(text[::-1], marker[::-1])[::-1]


def frozen_mapping(value: Mapping) -> Mapping:
    """``value`` as a read-only mapping: a value passed between stages cannot be changed by one of them."""
    return value if isinstance(value, MappingProxyType) else MappingProxyType(dict(value))


def _freeze_mappings(value, *names: str) -> None:
    for name in names:
        object.__setattr__(value, name, frozen_mapping(getattr(value, name)))


@dataclass(frozen=True, slots=True)
class Heading:
    """A heading of a section file, with the part of the document it heads."""

    level: int
    title: str
    """The heading's text without its marker or emphasis marks."""
    anchor: str
    """The id of the heading, unique within its section's page."""
    line: int
    """1-based line of the heading in the section file."""
    own_status: Status | None
    """The status this heading carries itself (marker or front matter), if any."""
    owner: str | None = None
    due: str | None = None
    """ISO date, inherited from the file's front matter unless the unit says otherwise."""
    words: int = 0
    """Words of the body below this heading, its subsections included."""
    token_range: tuple[int, int] = (0, 0)
    """Slice of the section's token list from this heading to the end of its part."""
    children: tuple["Heading", ...] = ()

    @property
    def is_unit(self) -> bool:
        return self.own_status is not None

    @property
    def status(self) -> Status | None:
        """Its own status, else the least advanced status of the units below it."""
        if self.own_status is not None:
            return self.own_status
        return Status.least(u.own_status for u in self.units())

    def units(self):
        """Every unit of progress at or below this heading, in document order."""
        if self.is_unit:
            yield self
        for child in self.children:
            yield from child.units()

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True, slots=True)
class FrontMatter:
    """The front matter of a section file, checked and typed."""

    title: str | None = None
    status: Status | None = None
    owner: str | None = None
    reviewers: tuple[str, ...] = ()
    due: str | None = None
    id: str | None = None
    owners: Mapping[str, str] = field(default_factory=dict)
    """Per-heading owners: heading title (without marker) → owner."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Keys kept from imported documents, passed through untouched."""
    translator: str | None = None
    """Of a translation: who translates it."""
    synced: Mapping[str, Any] = field(default_factory=dict)
    """Of a translation: its ``source:`` record, written by ``reportgen translate sync`` —
    ``units`` (source unit anchor → hash of its text when last synced) and ``commit``."""

    def __post_init__(self) -> None:
        _freeze_mappings(self, "owners", "extra", "synced")


@dataclass(frozen=True, slots=True)
class Section:
    """One top-level section: a Markdown file listed in the manifest."""

    id: str
    path: str
    """Path relative to the source folder, forward slashes."""
    front: FrontMatter
    body: str
    body_line: int
    """Line of the file on which the body starts (1 + the front matter's lines)."""
    tokens: list
    """markdown-it tokens of the body, parsed once (markdown-it's own list: editions render
    copies of it, never change it)."""
    env: dict
    """markdown-it env of the parse (footnotes, references, chart figures…)."""
    root: Heading
    """The file's top heading; the whole heading tree hangs below it."""
    digest: str
    """Hash of the file's bytes, for caches."""
    language: str | None = None
    """The language of the text when it is not the report's (a translation, or a fallback to the source)."""
    translation_of: str | None = None
    """Of a translation: the path of the source section it translates."""
    fallback: bool = False
    """In another language's edition: the source section, shown because no translation exists yet."""

    @property
    def title(self) -> str:
        return self.root.title

    @property
    def page(self) -> str:
        """File name of this section's page in the HTML edition."""
        return f"{self.id}.html"

    def units(self):
        return list(self.root.units())

    @property
    def is_empty(self) -> bool:
        """Nothing below the title: no text, table, image, chart or subsection."""
        start, end = self.root.token_range
        return end <= start + 3


@dataclass(frozen=True, slots=True)
class Language:
    """One language the report is published in, with what differs from the source language."""

    tag: str
    """BCP 47 tag, e.g. ``zh-CN`` or ``en``."""
    title: str | None = None
    subtitle: str | None = None
    organisation: str | None = None
    author: str | None = None


@dataclass(frozen=True, slots=True)
class Part:
    """A group of sections under a title of its own (``- part: 基础认知`` in report.yaml)."""

    title: str
    sections: tuple[str, ...]
    """Paths of its sections, in reading order."""


@dataclass(frozen=True, slots=True)
class BackCover:
    """``back_cover:`` in report.yaml: what the last page of the PDF shows."""

    website: str | None = None
    contact: tuple[str, ...] = ()
    """Lines of contact details (address, e-mail, phone), printed as given."""
    qr: str | None = None
    """A QR code image inside the report, printed as given (reportgen does not draw one)."""


@dataclass(frozen=True, slots=True)
class Colophon:
    """``colophon:`` in report.yaml: the 版权页.  The public edition prints only these
    fields; the draft adds the owners and reviewers named in the sections' front matter."""

    editor: str | None = None
    edition: str | None = None
    """e.g. 第一版; the edition and the date of the sources are printed in any case."""
    license: str | None = None
    contact: str | None = None
    credits: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PrintOptions:
    """``print:`` in report.yaml: a PDF for a print shop instead of the on-screen one."""

    bleed: str | None = None
    """CSS length of the bleed around the trim box, e.g. 3mm."""
    marks: str | None = None
    """CSS ``marks``: crop, cross or "crop cross"."""
    recto: bool = False
    """Chapters open on right-hand (odd) pages, after a blank left page where needed."""
    mirror: bool = False
    """Inner and outer margins instead of left and right ones."""
    variant: str | None = None
    """A PDF/X variant (pdf/x-1a, pdf/x-3, pdf/x-4, pdf/x-5g)."""
    output_profile: str | None = None
    """The printer's ICC profile (a file inside the report): the PDF/X output intent."""


@dataclass(frozen=True, slots=True)
class Manifest:
    """``report.yaml``: what the report is and in which order its sections come."""

    title: str
    year: int
    language: str = "zh-CN"
    subtitle: str | None = None
    organisation: str | None = None
    author: str | None = None
    logo: str | None = None
    sections: tuple[str, ...] = ()
    """Every section path in reading order, parts or not."""
    parts: tuple[Part, ...] = ()
    markers: Mapping[Status, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_MARKERS))
    unfinished: str = "omit"
    """Public edition: ``omit`` unfinished units, or keep a ``placeholder``."""
    max_file_size: int = 5 * 1024 * 1024
    max_chart_rows: int = 10_000
    """Rows one chart's data may have (``limits.max_chart_rows``)."""
    max_chart_data: int = 2 * 1024 * 1024
    """Bytes one chart's data file may have (``limits.max_chart_data``)."""
    remote_fetch: bool = False
    remote_budget: float = 20.0
    """Seconds that all remote fetches of one build may take together."""
    section_lines: Mapping[str, int] = field(default_factory=dict)
    """Section path → its line in report.yaml, for diagnostics."""
    languages: tuple[Language, ...] = ()
    """The languages of the report, the source language first; empty for a one-language report."""
    translation_path: str = "{dir}/{lang}/{name}"
    """Where the translation of a section lives: ``sections/03-finance.md`` → ``sections/en/03-finance.md``."""

    @property
    def translations(self) -> tuple[Language, ...]:
        """The languages other than the source language."""
        return self.languages[1:]

    def in_language(self, tag: str) -> "Manifest":
        """This manifest as the edition in ``tag`` shows it: that language's title, subtitle, organisation."""
        lang = next((l for l in self.languages if l.tag == tag), Language(tag))
        return replace(
            self,
            language=tag,
            title=lang.title or self.title,
            subtitle=lang.subtitle or self.subtitle,
            organisation=lang.organisation or self.organisation,
            author=lang.author or self.author,
        )

    public: tuple[str, ...] = ()
    """Folders (relative to the source) that images written from the site root (``/x.png``) are in."""
    toc_depth: int = 2
    """Heading levels the contents list (PDF and HTML index) shows."""
    bookmark_depth: int = 3
    """Heading levels the PDF's bookmarks show (parts come on top of them)."""

    def part_of(self, path: str) -> Part | None:
        """The part the section at ``path`` belongs to, if any."""
        return next((p for p in self.parts if path in p.sections), None)

    table_style: str = "three-line"
    """How tables are ruled unless a caption says otherwise: three-line, grid or plain."""
    lists: tuple[str, ...] = ()
    """Lists set after the PDF's contents, in this order: ``figures`` (图目录), ``tables`` (表目录)."""
    # The PDF's document design: cover, back cover, colophon, numbering, print and archive variants.
    cover_image: str | None = None
    back_cover: BackCover = field(default_factory=BackCover)
    colophon: Colophon = field(default_factory=Colophon)
    numbering: str = "none"
    """Chapter numbers in headings, contents, bookmarks and running heads: chapter-cn
    (第一章), cn-list (一、), decimal (1.) or none."""
    print: PrintOptions | None = None
    """None: the on-screen PDF."""
    pdf_variant: str | None = None
    """An archival or accessible variant of the PDF: pdf/a-3b, pdf/ua-1 …"""
    punctuation: str = "compress"
    """PDF: ``compress`` sets the first of two adjacent full-width marks half width; ``full`` does not."""
    latin_spacing: str = "0.25em"
    """PDF: the space between a Han character and a Latin letter or digit (a CSS length)."""

    def __post_init__(self) -> None:
        _freeze_mappings(self, "markers", "section_lines")


@dataclass(slots=True)
class ReportCache:
    """What the build derives from one `Report` on first use and keeps for the next section it renders.

    Nothing invalidates it: a `Report` never changes, and one made from another
    (``dataclasses.replace``, a translated report) starts with an empty cache."""

    pages: dict[str, str] | None = None
    """Section path → section id, made once per report (once per section made 10,000 sections quadratic)."""
    parser: Any = None
    """The `MarkdownIt` parser for the manifest's markers."""


@dataclass(frozen=True, slots=True)
class Report:
    """A loaded report source."""

    source: Path
    manifest: Manifest
    sections: tuple[Section, ...]
    aliases: Mapping[str, str] = field(default_factory=dict)
    """Other paths that stand for a section (path → id): in a translated report, the source files."""
    original: "Report | None" = None
    """Of a report in another language: the report in the source language it translates."""
    cache: ReportCache = field(init=False, compare=False, repr=False, default_factory=ReportCache)
    """Values the build derives from this report; see `ReportCache` (not passed on by ``replace``)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "sections", tuple(self.sections))
        _freeze_mappings(self, "aliases")

    def section_by_path(self, path: str) -> Section | None:
        return next((s for s in self.sections if s.path == path), None)

    def section_by_id(self, section_id: str) -> Section | None:
        return next((s for s in self.sections if s.id == section_id), None)


# --- what the loading stage records on markdown-it tokens -------------------------------

PAYLOAD = "reportgen"
"""The one ``token.meta`` key the parse-time rules and the reader write: a frozen value
(`markdown.LinkRef`, `ImageRef`, `HeadingRef`, `ChartRef`, `TableRef`, `rawhtml.RawRef`,
`extensions.CalloutRef`, `MathRef`, `DiagramRef`) read back with `ref`.  markdown-it's own
keys (a footnote's ``id`` and ``subId``) stay as markdown-it writes them."""

_R = TypeVar("_R")


def ref(token, kind: type[_R]) -> _R | None:
    """What the loading stage recorded on ``token`` (a markdown-it token), when it is a ``kind``; else None."""
    value = token.meta.get(PAYLOAD)
    return value if isinstance(value, kind) else None


def set_ref(token, value) -> None:
    """Record ``value``, one of the payloads `PAYLOAD` lists, on ``token``."""
    token.meta[PAYLOAD] = value

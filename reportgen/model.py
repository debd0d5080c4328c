"""The typed values every stage passes on: statuses, headings, sections, the report.

The loader builds them once from the source; everything downstream trusts them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


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
    def rank(self) -> int:
        return _RANK[self]

    @property
    def label_zh(self) -> str:
        return _LABEL_ZH[self]

    def is_done(self) -> bool:
        return self is Status.DONE

    @classmethod
    def least(cls, statuses) -> "Status | None":
        """The least advanced of ``statuses``, or None when there are none."""
        statuses = list(statuses)
        return min(statuses, key=lambda s: s.rank) if statuses else None


_RANK = {Status.UNMARKED: 0, Status.EDITING: 1, Status.REVIEWING: 2, Status.DONE: 3}
_LABEL_ZH = {
    Status.UNMARKED: "未标记",
    Status.EDITING: "编辑中",
    Status.REVIEWING: "审核中",
    Status.DONE: "已完成",
}

#: Words that front matter ``status:`` accepts, in English and Chinese.
STATUS_WORDS: dict[str, Status] = {
    "editing": Status.EDITING,
    "reviewing": Status.REVIEWING,
    "done": Status.DONE,
    "编辑中": Status.EDITING,
    "审核中": Status.REVIEWING,
    "已完成": Status.DONE,
}

#: The default markers; ``report.yaml`` may replace them.
DEFAULT_MARKERS: dict[Status, tuple[str, ...]] = {
    Status.EDITING: ("✍️",),
    Status.REVIEWING: ("👁️",),
    Status.DONE: ("✅",),
}


@dataclass
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
    children: list["Heading"] = field(default_factory=list)

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


@dataclass(frozen=True)
class FrontMatter:
    """The front matter of a section file, checked and typed."""

    title: str | None = None
    status: Status | None = None
    owner: str | None = None
    reviewers: tuple[str, ...] = ()
    due: str | None = None
    id: str | None = None
    owners: dict[str, str] = field(default_factory=dict)
    """Per-heading owners: heading title (without marker) → owner."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Keys kept from imported documents, passed through untouched."""


@dataclass
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
    """markdown-it tokens of the body, parsed once."""
    env: dict
    """markdown-it env of the parse (footnotes, references, chart figures…)."""
    root: Heading
    """The file's top heading; the whole heading tree hangs below it."""
    digest: str
    """Hash of the file's bytes, for caches."""

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


@dataclass(frozen=True)
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
    markers: dict[Status, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_MARKERS))
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
    section_lines: dict[str, int] = field(default_factory=dict)
    """Section path → its line in report.yaml, for diagnostics."""


@dataclass
class Report:
    """A loaded report source."""

    source: Path
    manifest: Manifest
    sections: list[Section]

    def section_by_path(self, path: str) -> Section | None:
        return next((s for s in self.sections if s.path == path), None)

    def section_by_id(self, section_id: str) -> Section | None:
        return next((s for s in self.sections if s.id == section_id), None)

"""The progress of a report, computed once: `ReportProgress` and ``reportgen status``.

This module owns the one model of progress (`report_progress`: rows for
headings, sections, owners, parts and translations) that every view renders —
the JSON of ``reportgen status --json`` (`ReportProgress.to_json`, a public
shape), the terminal table, the dashboard and the PDF's progress list — and
the ``--check`` gate.  What a unit is, which status a heading shows and whose
it is are decided by the model (`Heading.own_status`, `Heading.status`,
`Heading.units`) and the reader; this module only reports them.
"""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import click

from reportgen import messages
from reportgen.errors import Diagnostics, ReportError
from reportgen.model import Heading, Report, Section, Status

STATUSES = tuple(status.value for status in Status.shown())
"""Every status, in the order counts and tables show them (`model.STATUS_INFO`)."""


# --- the model ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HeadingProgress:
    """One heading that holds units: a section's top heading, or a heading at or above a unit."""

    id: str
    """``section`` for a section's top heading, ``section#anchor`` below it."""
    title: str
    file: str
    line: int
    level: int
    status: Status
    """Its own status, else the least advanced below it (unmarked for a section without units)."""
    own_status: Status | None
    """Set on a unit of progress only."""
    owner: str | None
    due: str | None
    overdue: bool
    days_left: int | None
    """Days from the build day to ``due`` (negative when past), None without a due date."""
    words: int
    trail: tuple[str, ...]
    """Titles of the headings above it, its section's first."""
    reviewers: tuple[str, ...]
    """The reviewers its section's front matter names."""
    children: tuple["HeadingProgress", ...]

    @property
    def is_unit(self) -> bool:
        return self.own_status is not None

    def walk(self) -> Iterator["HeadingProgress"]:
        yield self
        for child in self.children:
            yield from child.walk()

    def units(self) -> tuple["HeadingProgress", ...]:
        return tuple(node for node in self.walk() if node.is_unit)


@dataclass(frozen=True, slots=True)
class SectionProgress:
    """One top-level section: its heading tree and what its units add up to."""

    heading: HeadingProgress
    number: int
    """1-based place in reading order."""
    units: tuple[HeadingProgress, ...]
    counts: dict[str, int]
    """Its units per status value, every status present."""
    part: str | None
    """Title of the part of report.yaml it is in."""
    extra: dict
    """Front matter of other tools, as the author wrote it (JSON values)."""
    empty: bool
    """Nothing below the title yet."""
    freshness: str | None
    """In another language's report: the least fresh state of its units' translations."""

    @property
    def done(self) -> int:
        return self.counts[Status.DONE.value]

    @property
    def people(self) -> tuple[str | None, ...]:
        """Its owner, then the owners of its units (None: nobody), each once."""
        return tuple(dict.fromkeys((self.heading.owner, *(u.owner for u in self.units))))


@dataclass(frozen=True, slots=True)
class OwnerProgress:
    """Units per status of one owner (None: units nobody owns), and how many are overdue."""

    name: str | None
    counts: dict[str, int]
    overdue: int

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def percent(self) -> float:
        return 100 * self.counts[Status.DONE.value] / self.total


@dataclass(frozen=True, slots=True)
class PartProgress:
    """One part of report.yaml: its sections and its units per status."""

    title: str
    sections: int
    counts: dict[str, int]

    @property
    def units(self) -> int:
        return sum(self.counts.values())

    @property
    def done(self) -> int:
        return self.counts[Status.DONE.value]


@dataclass(frozen=True, slots=True)
class TranslationUnit:
    """One source unit as it stands in a language."""

    section: str
    """Id of the source section."""
    id: str
    title: str
    line: int
    freshness: str
    """missing, outdated or current."""
    status: Status | None
    """The translation's own status, None while it is missing."""
    translator: str | None
    file: str | None
    """The translation's file, None while it is missing."""
    section_title: str
    source_file: str


@dataclass(frozen=True, slots=True)
class TranslationProgress:
    """How far the translation into one language is."""

    language: str
    counts: dict[str, int]
    """Units per freshness state, every state present."""
    status_counts: dict[str, int]
    """Translated units per status value, every status present."""
    units: tuple[TranslationUnit, ...]

    @property
    def translators(self) -> dict[str, dict[str, int]]:
        """Units per freshness state of each translator ("—": nobody named), in order of first appearance."""
        rows: dict[str, dict[str, int]] = {}
        for unit in self.units:
            rows.setdefault(unit.translator or "—", dict.fromkeys(self.counts, 0))[unit.freshness] += 1
        return rows


@dataclass(frozen=True, slots=True)
class ReportProgress:
    """The progress of a report, computed once: what every view of it renders."""

    title: str
    year: int
    language: str
    """The report's language (BCP 47): the terminal table's words and status names."""
    today: datetime.date
    """The day ``overdue`` and ``days_left`` are counted from."""
    counts: dict[str, int]
    """Units per status value, every status present, in `Status.shown` order."""
    sections: tuple[SectionProgress, ...]
    owners: tuple[OwnerProgress, ...]
    """In order of first appearance."""
    parts: tuple[PartProgress, ...]
    translations: tuple[TranslationProgress, ...]
    marks: dict[str, str]
    """Status value → the mark shown beside it: the report's first marker, else the status's sign."""

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def percent_done(self) -> float:
        return 100 * self.counts[Status.DONE.value] / self.total if self.total else 0.0

    @property
    def units(self) -> tuple[HeadingProgress, ...]:
        return tuple(unit for section in self.sections for unit in section.units)

    @property
    def overdue(self) -> int:
        return sum(1 for unit in self.units if unit.overdue)

    @property
    def words(self) -> int:
        return sum(section.heading.words for section in self.sections)

    def to_json(self) -> dict:
        """The shape of ``reportgen status --json`` (a public interface: keep it)."""
        data = {
            "title": self.title,
            "year": self.year,
            "counts": dict(self.counts),
            "percent_done": self.percent_done,
            "sections": [_heading_json(s.heading, s) for s in self.sections],
        }
        if self.translations:
            data["translations"] = {t.language: _translation_json(t) for t in self.translations}
        return data


def _heading_json(node: HeadingProgress, section: SectionProgress | None = None) -> dict:
    data = {
        "id": node.id,
        "title": node.title,
        "file": node.file,
        "line": node.line,
        "level": node.level,
        "status": node.status.value,
        "own_status": node.own_status.value if node.own_status else None,
        "owner": node.owner,
        "due": node.due,
        "overdue": node.overdue,
        "words": node.words,
        "children": [_heading_json(child) for child in node.children],
    }
    if section is not None:
        data["extra"] = section.extra
        data["part"] = section.part
    return data


def _translation_json(view: TranslationProgress) -> dict:
    return {
        "language": view.language,
        "counts": dict(view.counts),
        "status_counts": dict(view.status_counts),
        "units": [
            {
                "section": u.section,
                "id": u.id,
                "title": u.title,
                "line": u.line,
                "freshness": u.freshness,
                "status": u.status.value if u.status else None,
                "translator": u.translator,
                "file": u.file,
            }
            for u in view.units
        ],
    }


# --- computing it -------------------------------------------------------------------------


def build_day() -> datetime.date:
    """Today, or the day of ``SOURCE_DATE_EPOCH`` when set, so rebuilds are reproducible."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc).date()
    return datetime.date.today()


def report_progress(report: Report, today: datetime.date | None = None) -> ReportProgress:
    """The report's progress.  ``overdue`` compares each heading's due date with ``today``
    (default: the build day), so tests and rebuilds can pin the day."""
    today = today or build_day()
    fresh = _section_freshness(report)
    sections = tuple(
        _section(report, section, number, today, fresh.get(section.id))
        for number, section in enumerate(report.sections, start=1)
    )
    units = [unit for section in sections for unit in section.units]
    markers = report.manifest.markers
    return ReportProgress(
        title=report.manifest.title,
        year=report.manifest.year,
        language=report.manifest.language,
        today=today,
        counts=_counts(unit.own_status for unit in units),
        sections=sections,
        owners=_owners(units),
        parts=_parts(sections),
        translations=tuple(_translation(report, lang.tag) for lang in report.manifest.translations),
        marks={s.value: (markers.get(s) or (s.info.sign,))[0] for s in Status.shown()},
    )


def status_data(report: Report, today: datetime.date | None = None) -> dict:
    """The report's progress in the shape of ``reportgen status --json``."""
    return report_progress(report, today).to_json()


def _counts(statuses) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for status in statuses:
        counts[status.value] += 1
    return counts


def unit_counts(report: Report) -> dict[str, int]:
    """Units of progress per status, every status present."""
    return _counts(unit.own_status for section in report.sections for unit in section.units())


def _section(
    report: Report, section: Section, number: int, today: datetime.date, freshness: str | None
) -> SectionProgress:
    heading = _heading(section, section.root, today, ())
    part = report.manifest.part_of(section.path)
    units = heading.units()
    return SectionProgress(
        heading=heading,
        number=number,
        units=units,
        counts=_counts(u.own_status for u in units),
        part=part.title if part else None,
        extra=json.loads(json.dumps(dict(section.front.extra), ensure_ascii=False, default=str)),
        empty=section.is_empty,
        freshness=freshness,
    )


def _heading(section: Section, heading: Heading, today: datetime.date, trail: tuple[str, ...]) -> HeadingProgress:
    status = heading.status
    below = trail + (heading.title,)
    return HeadingProgress(
        id=section.id if heading is section.root else f"{section.id}#{heading.anchor}",
        title=heading.title,
        file=section.path,
        line=heading.line,
        level=heading.level,
        # A top-level section always appears; with no unit at all it has no status of its own.
        status=status or Status.UNMARKED,
        own_status=heading.own_status,
        owner=heading.owner,
        due=heading.due,
        overdue=is_overdue(heading.due, status, today),
        days_left=None if heading.due is None else (datetime.date.fromisoformat(heading.due) - today).days,
        words=heading.words,
        trail=trail,
        reviewers=tuple(section.front.reviewers),
        children=tuple(_heading(section, child, today, below) for child in heading.children if _holds_units(child)),
    )


def _owners(units: list[HeadingProgress]) -> tuple[OwnerProgress, ...]:
    counts: dict[str | None, dict[str, int]] = {}
    overdue: dict[str | None, int] = {}
    for unit in units:
        counts.setdefault(unit.owner, dict.fromkeys(STATUSES, 0))[unit.own_status.value] += 1
        overdue[unit.owner] = overdue.get(unit.owner, 0) + unit.overdue
    return tuple(OwnerProgress(name, row, overdue[name]) for name, row in counts.items())


def _parts(sections: tuple[SectionProgress, ...]) -> tuple[PartProgress, ...]:
    members: dict[str, list[SectionProgress]] = {}
    for section in sections:
        if section.part is not None:
            members.setdefault(section.part, []).append(section)
    return tuple(
        PartProgress(title, len(own), {s: sum(m.counts[s] for m in own) for s in STATUSES})
        for title, own in members.items()
    )


def _section_freshness(report: Report) -> dict[str, str]:
    """Of a report in another language: section id → how fresh its translation is."""
    from reportgen.load import translations

    return translations.section_states(report) if report.original is not None else {}


def _translation(report: Report, tag: str) -> TranslationProgress:
    from reportgen.load import translations

    rows = translations.freshness(report, tag)
    sections = {s.id: s for s in report.sections}
    return TranslationProgress(
        language=tag,
        counts=translations.counts(rows),
        status_counts=_counts(row.status for row in rows if row.status is not None),
        units=tuple(
            TranslationUnit(
                section=r.section,
                id=f"{r.section}#{r.anchor}",
                title=r.title,
                line=r.line,
                freshness=r.state,
                status=r.status,
                translator=r.translator,
                file=r.file,
                section_title=sections[r.section].title,
                source_file=sections[r.section].path,
            )
            for r in rows
        ),
    )


def translation_data(report: Report, tag: str) -> dict:
    """How far the translation into ``tag`` is, in the shape of ``status --json --lang``."""
    return _translation_json(_translation(report, tag))


def _holds_units(heading: Heading) -> bool:
    return next(heading.units(), None) is not None


def is_overdue(due: str | None, status: Status | None, today: datetime.date) -> bool:
    """Past its due date and not done."""
    if due is None or (status is not None and status.is_done()):
        return False
    return datetime.date.fromisoformat(due) < today


def walk(nodes: list[dict], depth: int = 0) -> Iterator[tuple[int, dict]]:
    """(depth, node) for every node of a ``status --json`` tree, in document order."""
    for node in nodes:
        yield depth, node
        yield from walk(node["children"], depth + 1)


def units(data: dict) -> list[dict]:
    """The nodes of a ``status --json`` tree that are units of progress (they carry a status)."""
    return [node for _, node in walk(data["sections"]) if node["own_status"] is not None]


# --- the terminal table -------------------------------------------------------------------


def print_status(progress: ReportProgress, console) -> None:
    """The tree table, then the totals and the share done."""
    console.print(status_table(progress, console.width))
    console.print(_totals(progress))


def status_table(progress: ReportProgress, width: int = 120):
    """The sections as a tree table; the file column only when the terminal has room."""
    from rich import box
    from rich.table import Table

    rows = [(prefix, node) for section in progress.sections for prefix, node in _tree_rows(section.heading)]
    widest = max((_cells(prefix + node.title) for prefix, node in rows), default=8)
    table = Table(
        title=f"{progress.title} · {progress.year}",
        box=box.SIMPLE_HEAD,
        title_justify="left",
        header_style="bold",
        pad_edge=False,
    )
    words = messages.words(progress.language)
    table.add_column(words["col_section"], min_width=min(widest, 32), overflow="fold")
    table.add_column(words["col_status"], no_wrap=True)
    table.add_column(words["col_owner"], overflow="fold")
    table.add_column(words["col_due"], no_wrap=True)
    table.add_column(words["col_words"], justify="right", no_wrap=True)
    with_file = width >= 110
    if with_file:
        table.add_column(words["col_where"], style="dim", no_wrap=True)
    first = progress.sections[0].heading if progress.sections else None
    for prefix, node in rows:
        if node.level == 1 and node is not first:
            table.add_section()
        table.add_row(*_row(prefix, node, progress, words)[: None if with_file else -1])
    return table


def _tree_rows(root: HeadingProgress, prefix: str = "", last: bool = True, top: bool = True):
    """(tree guide, node) pairs with box-drawing guides like `tree`'s."""
    yield ("" if top else prefix + ("└─\u00a0" if last else "├─\u00a0")), root
    inner = "" if top else prefix + ("\u00a0" * 3 if last else "│\u00a0\u00a0")
    for i, child in enumerate(root.children):
        yield from _tree_rows(child, inner, i == len(root.children) - 1, top=False)


def _cells(text: str) -> int:
    from rich.cells import cell_len

    return cell_len(text)


def _row(prefix: str, node: HeadingProgress, progress: ReportProgress, words: dict[str, str]) -> tuple:
    """Title with its guide; status (in brackets when shown, not carried); owner; due (⚠ when overdue)."""
    from rich.text import Text

    status = node.status
    title = Text()
    title.append(prefix, style="dim")
    title.append(node.title, style="bold" if node.level == 1 else "")
    label = f"{progress.marks[status.value]} {status.label(progress.language)}"
    label = Text(label if node.own_status else f"({label})", style=status.info.terminal)
    due = Text(node.due or "")
    if node.overdue:
        due = Text(f"{node.due} ⚠ {words['overdue']}", style="bold red")
    return (title, label, node.owner or "", due, f"{node.words:,}", f"{node.file}:{node.line}")


def _totals(progress: ReportProgress):
    from rich.text import Text

    words = messages.words(progress.language)
    line = Text(words["units_total"].format(n=progress.total) + "  ")
    for status in Status.shown():
        line += Text(
            f"{progress.marks[status.value]} {status.label(progress.language)} {progress.counts[status.value]}  ",
            style=status.info.terminal,
        )
    if progress.overdue:
        line += Text(f"⚠ {words['overdue']} {progress.overdue}  ", style="bold red")
    line += Text(words["share_done"].format(share=share_text(progress.percent_done)), style="bold")
    return line


FRESHNESS_COLOURS = MappingProxyType({"missing": "red", "outdated": "yellow", "current": "green"})


def print_translation(view: TranslationProgress, marks: dict[str, str], console) -> None:
    """One row per source unit: its freshness in the language, the translation's status, the translator."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title=f"translation · {view.language}",
        box=box.SIMPLE_HEAD,
        title_justify="left",
        header_style="bold",
        pad_edge=False,
    )
    for name in ("unit", "freshness", "status", "translator", "file"):
        table.add_column(name, overflow="fold")
    for unit in view.units:
        status = unit.status
        table.add_row(
            unit.title,
            Text(unit.freshness, style=FRESHNESS_COLOURS[unit.freshness]),
            Text(f"{marks[status.value]} {status.value}", style=status.info.terminal) if status else "",
            unit.translator or "",
            f"{unit.file or '—'}",
        )
    console.print(table)
    console.print(
        "  ".join(Text(f"{state} {n}", style=FRESHNESS_COLOURS[state]).markup for state, n in view.counts.items())
    )


def share_text(percent: float) -> str:
    """A percentage to one decimal, never shown as a finished 100 while a unit is open."""
    shown = round(percent, 1)
    if shown == 100 and percent < 100:
        shown = 99.9
    return f"{shown:.1f}".removesuffix(".0")


# --- the command ----------------------------------------------------------------------------


@click.command("status")
@click.argument("source", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON on stdout.")
@click.option("--check", is_flag=True, help="Exit 1 while any unit is not done (a gate before publishing).")
@click.option(
    "--lang",
    metavar="TAG",
    help="Show the translation into this language: what is missing, "
    "outdated or current, and how far each translation is.",
)
def status_command(source: Path, as_json: bool, check: bool, lang: str | None) -> None:
    """Show what is done, what waits for review, who owns what and what is late."""
    from rich.console import Console

    progress = report_progress(_load(source))
    views = {view.language: view for view in progress.translations}
    if lang is not None and lang not in views:
        known = ", ".join(views) or "none: report.yaml declares no 'languages'"
        raise ReportError(f"report.yaml: error: --lang {lang}: not one of the report's translations ({known})")
    if as_json:
        shown = progress.to_json() if lang is None else _translation_json(views[lang])
        click.echo(json.dumps(shown, ensure_ascii=False, indent=2))
    elif lang is not None:
        print_translation(views[lang], progress.marks, Console(highlight=False))
    else:
        print_status(progress, Console(highlight=False))
    if check:
        _check(progress)


def _load(source: Path) -> Report:
    """The report, with its diagnostics on stderr; a source with errors stops here."""
    from reportgen.load.reader import load_report

    diags = Diagnostics()
    report = load_report(source, diags)
    for diagnostic in diags.items:
        click.echo(str(diagnostic), err=True)
    if report is None or diags.errors:
        raise ReportError(f"status: {len(diags.errors)} error(s) in {source}; fix them and run again")
    return report


def _check(progress: ReportProgress) -> None:
    """Exit 1, listing them, while any unit is not done."""
    open_units = [unit for unit in progress.units if not unit.own_status.is_done()]
    if not open_units:
        click.echo(f"check: all {progress.total} unit(s) done", err=True)
        return
    for unit in open_units:
        owner = f" ({unit.owner})" if unit.owner else ""
        click.echo(f"{unit.file}:{unit.line}: {unit.own_status.value}: {unit.title}{owner}", err=True)
    by_status = ", ".join(f"{n} {s}" for s, n in progress.counts.items() if s != "done" and n)
    click.echo(f"check: {len(open_units)} of {progress.total} unit(s) not done ({by_status})", err=True)
    raise SystemExit(1)

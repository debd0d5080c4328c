"""Translations: each section's translation into the report's other languages, and how fresh it is.

A section ``sections/03-finance.md`` is translated into English at
``sections/en/03-finance.md`` (``translations.path`` in report.yaml says
otherwise).  A translation is a section file like any other — its own
headings, markers and front matter (``translator``, ``reviewers``) — plus a
``source:`` record that ``reportgen translate sync`` writes: for each unit of
the source section, a hash of the unit's text at the time the translation
caught up with it, and the git commit of that moment when there is one.

Freshness is decided unit by unit of the *source*: ``missing`` (no translation
of it), ``outdated`` (its text changed since the recorded version) or
``current``.  A unit's text is its heading's title and the lines up to the
next unit, with every white-space character removed, so re-wrapping a
paragraph or changing a marker is not a change.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace

from reportgen.errors import Diagnostics
from reportgen.model import Report, Section, Status

MISSING, OUTDATED, CURRENT = "missing", "outdated", "current"
STATES = (MISSING, OUTDATED, CURRENT)
"""Every freshness state, in the order counts show them."""


@dataclass(frozen=True)
class SourceUnit:
    """A unit of a source section, as translations are measured against it."""

    anchor: str
    """The heading's anchor: the key of the unit in a translation's ``source.units``."""
    title: str
    line: int
    text: str
    """The unit's Markdown: its heading and the lines up to the next unit."""
    digest: str
    """Hash of ``text`` with markers and white space left out."""


@dataclass(frozen=True)
class UnitFreshness:
    """How one source unit stands in one language."""

    section: str
    """Id of the section."""
    anchor: str
    title: str
    """The source unit's title."""
    line: int
    """Line of the unit's heading in the source file."""
    state: str
    """``missing``, ``outdated`` or ``current``."""
    status: Status | None
    """The translation's own status for this unit (its marker), None when there is no translation."""
    translator: str | None
    file: str | None
    """The translation file, None when it does not exist."""


def source_units(section: Section) -> list[SourceUnit]:
    """The units of ``section`` in document order, each with its own text."""
    lines = section.body.split("\n")
    units = section.units()
    # A heading made from the front matter's title has no line of its own in the body.
    written = [u is not section.root or bool(section.tokens and section.tokens[0].map) for u in units]
    starts = [max(u.line - section.body_line, 0) for u in units]
    out = []
    for unit, start, end, has_line in zip(units, starts, starts[1:] + [len(lines)], written):
        body = "\n".join(lines[start + 1 if has_line else start : end])
        heading = lines[start] if has_line else f"# {unit.title}"
        out.append(
            SourceUnit(
                unit.anchor,
                unit.title,
                unit.line,
                (heading + "\n" + body).strip("\n") + "\n",
                unit_digest(unit.title, body),
            )
        )
    return out


def unit_digest(title: str, body: str) -> str:
    """What a translation records of a unit: neither white space nor markers count."""
    return hashlib.sha256(re.sub(r"\s+", "", title + "\n" + body).encode()).hexdigest()[:16]


def translation_path(report: Report, section: Section, tag: str) -> str:
    from reportgen.load.reader import translation_rel

    return translation_rel(report.manifest, section.path, tag)


def read_translation(report: Report, section: Section, tag: str, diags: Diagnostics) -> Section | None:
    """The translation of ``section`` into ``tag``, parsed like a section; None when there is none."""
    from reportgen.load.reader import read_section
    from reportgen.render.markdown import make_parser

    rel = translation_path(report, section, tag)
    full = report.source / rel
    if not full.is_file() or full.is_symlink():
        return None
    manifest = report.manifest.in_language(tag)
    translated = read_section(report.source, rel, manifest, make_parser(manifest.markers), diags)
    if translated is None:
        return None
    return replace(translated, id=section.id, language=tag, translation_of=section.path)


def translated_report(report: Report, tag: str, diags: Diagnostics) -> Report:
    """The report in language ``tag``: each section's translation, or the source section
    (marked as a fallback) where there is none yet."""
    from reportgen.load.reader import check_links

    if tag == report.manifest.language:
        return report
    sections = []
    for section in report.sections:
        translated = read_translation(report, section, tag, diags)
        sections.append(translated or replace(section, language=report.manifest.language, fallback=True))
    aliases = {s.path: s.id for s in report.sections}
    language = replace(
        report, manifest=report.manifest.in_language(tag), sections=sections, aliases=aliases, original=report
    )
    check_links(language, diags)
    return language


def freshness(report: Report, tag: str, diags: Diagnostics | None = None) -> list[UnitFreshness]:
    """Every unit of every source section, as it stands in language ``tag``."""
    diags = diags or Diagnostics()
    rows = []
    for section in report.sections:
        translated = read_translation(report, section, tag, diags)
        rows += section_freshness(report, section, translated, tag)
    return rows


def section_freshness(report: Report, section: Section, translated: Section | None, tag: str) -> list[UnitFreshness]:
    units = source_units(section)
    if translated is None:
        return [UnitFreshness(section.id, u.anchor, u.title, u.line, MISSING, None, None, None) for u in units]
    record = translated.front.synced.get("units")
    theirs = translated.units()
    rows = []
    for i, unit in enumerate(units):
        if record is None:
            state = OUTDATED  # a translation that never recorded what it translates cannot be trusted as current
        elif unit.anchor not in record:
            state = MISSING
        else:
            state = CURRENT if record[unit.anchor] == unit.digest else OUTDATED
        own = theirs[i] if i < len(theirs) else translated.root
        rows.append(
            UnitFreshness(
                section.id,
                unit.anchor,
                unit.title,
                unit.line,
                state,
                own.own_status or translated.root.status,
                translated.front.translator,
                translated.path,
            )
        )
    return rows


def section_states(translated: Report) -> dict[str, str]:
    """Of a report in another language: section id → the least fresh state of its units."""
    source = {s.id: s for s in translated.original.sections}
    states = {}
    for section in translated.sections:
        own = None if section.fallback else section
        rows = section_freshness(translated.original, source[section.id], own, translated.manifest.language)
        states[section.id] = min((r.state for r in rows), key=STATES.index, default=CURRENT)
    return states


def counts(rows: list[UnitFreshness]) -> dict[str, int]:
    """Units per freshness state, every state present."""
    out = dict.fromkeys(STATES, 0)
    for row in rows:
        out[row.state] += 1
    return out

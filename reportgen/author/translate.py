"""``reportgen translate``: start a translation, say it caught up with its source, see what changed.

The freshness model lives in `reportgen.load.translations`; this module only edits
translation files (their ``source:`` record, or a new skeleton) and prints.
"""

from __future__ import annotations

import difflib
import re
import tempfile
from pathlib import Path

import click
import yaml

from reportgen import output
from reportgen.errors import Diagnostics, ReportError
from reportgen.load import translations
from reportgen.model import Report, Section, Status

SOURCE_OPTION = click.option(
    "--source",
    "source",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The report source folder.",
)
LANG_OPTION = click.option("--lang", required=True, metavar="TAG", help="The translation's language, e.g. en.")


@click.group("translate")
def translate_group() -> None:
    """Translations of the sections: start one, record that it is current, show what changed."""


@translate_group.command("new")
@click.argument("section_id")
@LANG_OPTION
@click.option("--translator", help="Who translates it (front matter 'translator').")
@SOURCE_OPTION
def new_command(section_id: str, lang: str, translator: str | None, source: Path) -> None:
    """Write a translation skeleton of SECTION_ID: its headings, marked editing, bodies empty."""
    report, section = _section(source, section_id, lang)
    target = source / translations.translation_path(report, section, lang)
    if target.exists():
        raise ReportError(
            f"{target.relative_to(source)}: error: the translation exists already; "
            "edit it, or `reportgen translate sync` it"
        )
    output.write_text(target, skeleton(report, section, translator))
    click.echo(f"wrote {target.relative_to(source).as_posix()}", err=True)


@translate_group.command("sync")
@click.argument("section_id")
@LANG_OPTION
@SOURCE_OPTION
def sync_command(section_id: str, lang: str, source: Path) -> None:
    """Record that the translation of SECTION_ID is now up to date with its source."""
    report, section = _section(source, section_id, lang)
    rel = translations.translation_path(report, section, lang)
    target = source / rel
    if not target.is_file():
        raise ReportError(
            f"{rel}: error: no translation yet; start one with `reportgen translate new {section_id} --lang {lang}`"
        )
    text = target.read_text(encoding="utf-8-sig")
    output.write_text(target, with_record(text, record(report, section)))
    units = len(section.units())
    click.echo(f"{rel}: {units} unit(s) recorded as translated from the current {section.path}", err=True)


@translate_group.command("diff")
@click.argument("section_id")
@LANG_OPTION
@SOURCE_OPTION
def diff_command(section_id: str, lang: str, source: Path) -> None:
    """Show what changed in the source of SECTION_ID since its translation was last synced."""
    report, section = _section(source, section_id, lang)
    diags = Diagnostics()
    translated = translations.read_translation(report, section, lang, diags)
    if translated is None:
        raise ReportError(f"{translations.translation_path(report, section, lang)}: error: no translation yet")
    rows = translations.section_freshness(report, section, translated, lang)
    stale = [row for row in rows if row.state != translations.CURRENT]
    if not stale:
        click.echo(f"{translated.path}: current: the source has not changed since the last sync", err=True)
        return
    commit = translated.front.synced.get("commit")
    old = _old_units(report, section, commit) if commit else None
    now = {u.anchor: u for u in translations.source_units(section)}
    for row in stale:
        unit = now[row.anchor]
        before = old.get(row.anchor, "") if old is not None else None
        click.echo(f"{section.path}:{unit.line}: {row.state}: {unit.title}")
        if before is None:
            click.echo(
                "  (no earlier text to compare: the translation was synced outside a git repository "
                "or never synced; the unit as it is now follows)"
            )
            click.echo("".join(f"  {line}\n" for line in unit.text.splitlines()), nl=False)
            continue
        click.echo(
            "".join(
                difflib.unified_diff(
                    before.splitlines(True),
                    unit.text.splitlines(True),
                    f"{section.path}@{commit[:12]}",
                    f"{section.path}",
                    n=2,
                )
            ),
            nl=False,
        )


# --- the files --------------------------------------------------------------------------------


def record(report: Report, section: Section) -> dict:
    """The ``source:`` record of a translation of ``section`` as it is now."""
    from reportgen import history

    units = {u.anchor: u.digest for u in translations.source_units(section)}
    commit = history.last_commit(report.source, section.path)
    return {"commit": commit, "units": units} if commit else {"units": units}


def skeleton(report: Report, section: Section, translator: str | None) -> str:
    """A new translation: front matter, then the source's headings, each unit marked editing."""
    marker = report.manifest.markers[Status.EDITING][0]
    front = {"translator": translator, "reviewers": []} if translator else {"reviewers": []}
    lines = []
    for heading in section.root.walk():
        mark = marker if heading.is_unit else ""
        lines += ["#" * heading.level + f" {mark}{heading.title}", ""]
    text = "---\n" + _dump(front) + "---\n" + "\n".join(lines)
    return with_record(text, record(report, section))


def with_record(text: str, rec: dict) -> str:
    """``text`` (a section file) with its front matter's ``source:`` block set to ``rec`` (None: removed)."""
    block = _dump({"source": rec}) if rec is not None else ""
    end = re.search(r"^(---|\.\.\.)[ \t]*$", text[4:], re.MULTILINE) if text.startswith("---\n") else None
    if end is None:
        return "---\n" + block + "---\n" + text if block else text
    front, rest = text[4 : 4 + end.start()], text[4 + end.start() :]
    kept, skipping = [], False
    for line in front.splitlines(keepends=True):
        if re.match(r"source\s*:", line):
            skipping = True
            continue
        if skipping and (line[:1] in (" ", "\t", "-") or not line.strip()):
            continue
        skipping = False
        kept.append(line)
    return "---\n" + "".join(kept) + block + rest


def without_record(text: str) -> str:
    """``text`` with no ``source:`` block in its front matter."""
    return with_record(text, None)


def _dump(data: dict) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=False)


def _old_units(report: Report, section: Section, commit: str) -> dict[str, str] | None:
    """anchor → text of each unit of ``section`` at ``commit``; None when git cannot say."""
    from reportgen import history
    from reportgen.load.reader import read_section
    from reportgen.render.markdown import make_parser

    old = history.file_at(report.source, commit, section.path)
    if old is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / section.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(old)
        parsed = read_section(
            Path(folder), section.path, report.manifest, make_parser(report.manifest.markers), Diagnostics()
        )
    if parsed is None:
        return None
    return {u.anchor: u.text for u in translations.source_units(parsed)}


def _section(source: Path, section_id: str, lang: str) -> tuple[Report, Section]:
    from reportgen.load.reader import load_report

    diags = Diagnostics()
    report = load_report(source, diags)
    if report is None or diags.errors:
        for diagnostic in diags.errors:
            click.echo(str(diagnostic), err=True)
        raise ReportError(f"translate: {len(diags.errors)} error(s) in {source}; fix them and run again")
    others = [language.tag for language in report.manifest.translations]
    if lang not in others:
        raise ReportError(
            f"report.yaml: error: --lang {lang}: not one of the report's translations "
            f"(languages: {', '.join(l.tag for l in report.manifest.languages) or 'none declared'})"
        )
    section = report.section_by_id(section_id)
    if section is None:
        known = ", ".join(s.id for s in report.sections)
        raise ReportError(f"report.yaml: error: no section with id {section_id!r} (sections: {known})")
    return report, section

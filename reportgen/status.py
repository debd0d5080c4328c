"""The progress of a report as data and as a terminal table: `status_data` and ``reportgen status``.

This module owns the one shape in which progress leaves the program — the
JSON of ``reportgen status --json``, which the dashboard reads too, so the two
always agree — and its presentation in a terminal, and the ``--check`` gate.
What a unit is, which status a heading shows and whose it is are decided by
the model (`Heading.own_status`, `Heading.status`, `Heading.units`) and the
reader; this module only reports them.
"""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Iterator
from pathlib import Path

import click

from reportgen.errors import Diagnostics, ReportError
from reportgen.model import Heading, Report, Section, Status

STATUSES = tuple(status.value for status in Status.shown())
"""Every status, in the order counts and tables show them (`model.STATUS_INFO`)."""


# --- the data ---------------------------------------------------------------------------


def build_day() -> datetime.date:
    """Today, or the day of ``SOURCE_DATE_EPOCH`` when set, so rebuilds are reproducible."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc).date()
    return datetime.date.today()


def status_data(report: Report, today: datetime.date | None = None) -> dict:
    """The report's progress in the shape of ``reportgen status --json``.

    ``overdue`` compares each heading's due date with ``today`` (default: the
    real today), so tests and rebuilds can pin the day.
    """
    today = today or build_day()
    counts = unit_counts(report)
    total = sum(counts.values())
    data = {
        "title": report.manifest.title,
        "year": report.manifest.year,
        "counts": counts,
        "percent_done": 100 * counts["done"] / total if total else 0.0,
        "sections": [_node(section, section.root, today, report.manifest) for section in report.sections],
    }
    if report.manifest.translations:
        data["translations"] = {lang.tag: translation_data(report, lang.tag) for lang in report.manifest.translations}
    return data


def translation_data(report: Report, tag: str) -> dict:
    """How far the translation into ``tag`` is: counts per freshness and per status, and every unit."""
    from reportgen import translations

    rows = translations.freshness(report, tag)
    statuses = dict.fromkeys(STATUSES, 0)
    for row in rows:
        if row.status is not None:
            statuses[row.status.value] += 1
    return {
        "language": tag,
        "counts": translations.counts(rows),
        "status_counts": statuses,
        "units": [{"section": r.section, "id": f"{r.section}#{r.anchor}", "title": r.title, "line": r.line,
                   "freshness": r.state, "status": r.status.value if r.status else None,
                   "translator": r.translator, "file": r.file} for r in rows],
    }


def unit_counts(report: Report) -> dict[str, int]:
    """Units of progress per status, every status present."""
    counts = dict.fromkeys(STATUSES, 0)
    for section in report.sections:
        for unit in section.units():
            counts[unit.own_status.value] += 1
    return counts


def _node(section: Section, heading: Heading, today: datetime.date, manifest) -> dict:
    status = heading.status
    node = {
        "id": section.id if heading is section.root else f"{section.id}#{heading.anchor}",
        "title": heading.title,
        "file": section.path,
        "line": heading.line,
        "level": heading.level,
        # A top-level section always appears; with no unit at all it has no status of its own.
        "status": status.value if status else Status.UNMARKED.value,
        "own_status": heading.own_status.value if heading.own_status else None,
        "owner": heading.owner,
        "due": heading.due,
        "overdue": is_overdue(heading.due, status, today),
        "words": heading.words,
        "children": [_node(section, child, today, manifest) for child in heading.children if _holds_units(child)],
    }
    if heading is section.root:  # front matter of other tools, kept as the author wrote it
        node["extra"] = json.loads(json.dumps(section.front.extra, ensure_ascii=False, default=str))
        node["part"] = part.title if (part := manifest.part_of(section.path)) else None
    return node


def _holds_units(heading: Heading) -> bool:
    return next(heading.units(), None) is not None


def is_overdue(due: str | None, status: Status | None, today: datetime.date) -> bool:
    """Past its due date and not done."""
    if due is None or (status is not None and status.is_done()):
        return False
    return datetime.date.fromisoformat(due) < today


def walk(nodes: list[dict], depth: int = 0) -> Iterator[tuple[int, dict]]:
    """(depth, node) for every node of a `status_data` tree, in document order."""
    for node in nodes:
        yield depth, node
        yield from walk(node["children"], depth + 1)


def units(data: dict) -> list[dict]:
    """The nodes of `status_data` that are units of progress (they carry a status)."""
    return [node for _, node in walk(data["sections"]) if node["own_status"] is not None]


# --- the terminal table -------------------------------------------------------------------


def print_status(data: dict, console) -> None:
    """The tree table, then the totals and the share done."""
    console.print(status_table(data, console.width))
    console.print(_totals(data))


def status_table(data: dict, width: int = 120):
    """The sections as a tree table; the file column only when the terminal has room."""
    from rich import box
    from rich.table import Table

    rows = [(prefix, node) for section in data["sections"] for prefix, node in _tree_rows(section)]
    widest = max((_cells(prefix + node["title"]) for prefix, node in rows), default=8)
    table = Table(title=f"{data['title']} · {data['year']}", box=box.SIMPLE_HEAD, title_justify="left",
                  header_style="bold", pad_edge=False)
    table.add_column("章节", min_width=min(widest, 32), overflow="fold")
    table.add_column("状态", no_wrap=True)
    table.add_column("负责人", overflow="fold")
    table.add_column("截止", no_wrap=True)
    table.add_column("字数", justify="right", no_wrap=True)
    with_file = width >= 110
    if with_file:
        table.add_column("位置", style="dim", no_wrap=True)
    for prefix, node in rows:
        if node["level"] == 1 and node is not data["sections"][0]:
            table.add_section()
        table.add_row(*_row(prefix, node)[: None if with_file else -1])
    return table


def _tree_rows(root: dict, prefix: str = "", last: bool = True, top: bool = True):
    """(tree guide, node) pairs with box-drawing guides like `tree`'s."""
    yield ("" if top else prefix + ("└─\u00a0" if last else "├─\u00a0")), root
    inner = "" if top else prefix + ("\u00a0" * 3 if last else "│\u00a0\u00a0")
    for i, child in enumerate(root["children"]):
        yield from _tree_rows(child, inner, i == len(root["children"]) - 1, top=False)


def _cells(text: str) -> int:
    from rich.cells import cell_len

    return cell_len(text)


def _row(prefix: str, node: dict) -> tuple:
    """Title with its guide; status (in brackets when shown, not carried); owner; due (⚠ when overdue)."""
    from rich.text import Text

    status = node["status"]
    title = Text()
    title.append(prefix, style="dim")
    title.append(node["title"], style="bold" if node["level"] == 1 else "")
    info = Status(status).info
    label = f"{info.sign} {info.label_zh}"
    label = Text(label if node["own_status"] else f"({label})", style=info.terminal)
    due = Text(node["due"] or "")
    if node["overdue"]:
        due = Text(f"{node['due']} ⚠ 逾期", style="bold red")
    return (title, label, node["owner"] or "", due, f"{node['words']:,}", f"{node['file']}:{node['line']}")


def _totals(data: dict):
    from rich.text import Text

    counts = data["counts"]
    total = sum(counts.values())
    line = Text(f"共 {total} 个单元 units  ")
    for status in Status.shown():
        info = status.info
        line += Text(f"{info.sign} {info.label_zh} {counts[status.value]}  ", style=info.terminal)
    overdue = sum(1 for unit in units(data) if unit["overdue"])
    if overdue:
        line += Text(f"⚠ 逾期 {overdue}  ", style="bold red")
    line += Text(f"完成 {share_text(data['percent_done'])}%", style="bold")
    return line


FRESHNESS_COLOURS = {"missing": "red", "outdated": "yellow", "current": "green"}


def print_translation(data: dict, console) -> None:
    """One row per source unit: its freshness in the language, the translation's status, the translator."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"translation · {data['language']}", box=box.SIMPLE_HEAD, title_justify="left",
                  header_style="bold", pad_edge=False)
    for name in ("unit", "freshness", "status", "translator", "file"):
        table.add_column(name, overflow="fold")
    for unit in data["units"]:
        status = unit["status"]
        table.add_row(unit["title"], Text(unit["freshness"], style=FRESHNESS_COLOURS[unit["freshness"]]),
                      Text(f"{Status(status).info.sign} {status}", style=Status(status).info.terminal)
                      if status else "",
                      unit["translator"] or "", f"{unit['file'] or '—'}")
    console.print(table)
    counts = data["counts"]
    console.print("  ".join(Text(f"{state} {counts[state]}", style=FRESHNESS_COLOURS[state]).markup
                            for state in counts))


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
@click.option("--lang", metavar="TAG", help="Show the translation into this language: what is missing, "
              "outdated or current, and how far each translation is.")
def status_command(source: Path, as_json: bool, check: bool, lang: str | None) -> None:
    """Show what is done, what waits for review, who owns what and what is late."""
    from rich.console import Console

    report = _load(source)
    data = status_data(report)
    if lang is not None and lang not in data.get("translations", {}):
        known = ", ".join(data.get("translations", {})) or "none: report.yaml declares no 'languages'"
        raise ReportError(f"report.yaml: error: --lang {lang}: not one of the report's translations ({known})")
    if as_json:
        shown = data if lang is None else data["translations"][lang]
        click.echo(json.dumps(shown, ensure_ascii=False, indent=2))
    elif lang is not None:
        print_translation(data["translations"][lang], Console(highlight=False))
    else:
        print_status(data, Console(highlight=False))
    if check:
        _check(data)


def _load(source: Path) -> Report:
    """The report, with its diagnostics on stderr; a source with errors stops here."""
    from reportgen.reader import load_report

    diags = Diagnostics()
    report = load_report(source, diags)
    for diagnostic in diags.items:
        click.echo(str(diagnostic), err=True)
    if report is None or diags.errors:
        raise ReportError(f"status: {len(diags.errors)} error(s) in {source}; fix them and run again")
    return report


def _check(data: dict) -> None:
    """Exit 1, listing them, while any unit is not done."""
    open_units = [unit for unit in units(data) if unit["own_status"] != "done"]
    total = sum(data["counts"].values())
    if not open_units:
        click.echo(f"check: all {total} unit(s) done", err=True)
        return
    for unit in open_units:
        owner = f" ({unit['owner']})" if unit["owner"] else ""
        click.echo(f"{unit['file']}:{unit['line']}: {unit['own_status']}: {unit['title']}{owner}", err=True)
    by_status = ", ".join(f"{data['counts'][s]} {s}" for s in STATUSES if s != "done" and data["counts"][s])
    click.echo(f"check: {len(open_units)} of {total} unit(s) not done ({by_status})", err=True)
    raise SystemExit(1)

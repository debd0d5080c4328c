"""The progress dashboard: one self-contained page that tells each section owner what to do next.

`render_dashboard` takes every number from `status.report_progress` (so the page
agrees with ``reportgen status --json``), adds what only a page can show —
what needs attention and who must act, the last change of each file and the
progress over time from git, charts from `reportgen.render.charts` — renders
``dashboard.html`` and returns the function that writes
``OUT/dashboard/index.html``.  The page loads nothing: its styles, its small
sorting/filtering script and its charts are inline, and its
Content-Security-Policy allows exactly that script, by hash.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

from reportgen import history, messages, output, status
from reportgen.errors import Diagnostics
from reportgen.model import Report, Status
from reportgen.render import charts, templates

SOON = 7
"""Days: a unit due within this many days (and not done) is listed as due soon."""

KINDS = ("overdue", "review", "soon", "empty", "unmarked", "no_owner", "warning")
"""Kinds of things that need attention, most urgent first (their words: ``kind_…`` in `messages`)."""


def kinds(words: dict[str, str], marks: str) -> dict[str, tuple[str, str, str]]:
    """Each kind's (name, English name beside it, what it means) in the report's language."""
    hint = {"soon": {"days": SOON}, "unmarked": {"marks": marks}}
    return {
        kind: (words[f"kind_{kind}"], words[f"kind_{kind}_en"], words[f"kind_{kind}_hint"].format(**hint.get(kind, {})))
        for kind in KINDS
    }


def render_dashboard(report: Report, options, diags: Diagnostics):
    """Render the page now; return the function that writes it into place and returns its path."""
    # Links go to the draft HTML edition beside it; a public one lacks the unfinished units.
    html_edition = options.edition == "draft" and ("html" in options.formats or (options.out / "html").is_dir())
    page = render_page(report, options.out, diags, html_edition=html_edition)
    target = options.out / "dashboard" / "index.html"

    def write() -> Path:
        output.write_text(target, page)
        return target

    return write


def render_page(
    report: Report, out: Path, diags: Diagnostics, today: datetime.date | None = None, html_edition: bool = False
) -> str:
    """The dashboard's HTML.  ``out`` holds the caches; ``today`` decides what is overdue."""
    progress = status.report_progress(report, today)
    past = history.read_history(report.source, out / ".cache" / "history")
    changes = history.last_changes(report.source, [s.path for s in report.sections])
    script = templates.read(report.source, "dashboard/dashboard.js")
    words = messages.words(report.manifest.language)
    marks = " / ".join(progress.marks[s.value] for s in Status.shown() if s.info.marker)
    return templates.render(
        report.source,
        "dashboard.html",
        manifest=report.manifest,
        progress=progress,
        today=progress.today.isoformat(),
        html_edition=html_edition,
        revision=history.revision(report.source),
        percent_text=status.share_text(progress.percent_done),
        attention=attention(progress, diags, html_edition, words),
        people=_people_to_pick(progress, words),
        changes=changes,
        ago=lambda when: _ago(when, progress.today, words),
        href=lambda node: _href(node.id, html_edition),
        no_owner=words["no_owner"],
        history=past,
        history_limit=history.LIMIT,
        charts=_charts(progress, past, out / ".cache" / "charts", words["no_owner"]),
        kinds=kinds(words, marks),
        statuses=status.STATUSES,
        labels={s.value: s.label_zh for s in Status},
        colours={s.value: s.info.colour for s in Status},
        # A column of zeros says nothing: the owners table shows "unmarked" only when some unit is.
        hidden_statuses=[] if progress.counts["unmarked"] else ["unmarked"],
        css=Markup(templates.read(report.source, "dashboard/dashboard.css")),
        script=Markup(script),
        csp=_csp(script),
    )


# --- what only the page adds -----------------------------------------------------------------


def _href(node_id: str, html_edition: bool) -> str | None:
    """Link into the draft HTML edition built beside the dashboard, if there is one."""
    if not html_edition:
        return None
    page, _, anchor = node_id.partition("#")
    return f"../html/{page}.html" + (f"#{anchor}" if anchor else "")


def _people_to_pick(progress: status.ReportProgress, words: dict[str, str]) -> list[tuple[str, str]]:
    """(name, role) for the "view as" list: every owner, then reviewers who own nothing."""
    names = [(row.name or words["no_owner"], "") for row in progress.owners]
    owning = {name for name, _ in names}
    reviewers = dict.fromkeys(r for u in progress.units for r in u.reviewers if r not in owning)
    return names + [(name, words["reviewer_role"]) for name in reviewers]


def _ago(when: str, today: datetime.date, words: dict[str, str]) -> str:
    days = (today - datetime.date.fromisoformat(when[:10])).days
    if days <= 0:
        return words["today"]
    if days == 1:
        return words["yesterday"]
    return words["days_ago"].format(days=days)


# --- what needs attention --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Item:
    """One thing that needs attention: what, where, and who must act."""

    title: str
    file: str
    line: int | None
    owner: str
    people: tuple[str, ...]
    """Names the "view as" filter shows it to."""
    detail: str
    href: str | None
    trail: str
    sort: tuple
    """Most pressing first within its kind."""


@dataclass(frozen=True, slots=True)
class Group:
    kind: str
    """A key of `KINDS`."""
    items: tuple[Item, ...]


def attention(
    progress: status.ReportProgress, diags: Diagnostics, html_edition: bool, words: dict[str, str]
) -> list[Group]:
    """Groups of items, most urgent kind first; each item says who must act and where."""
    items: dict[str, list[Item]] = {kind: [] for kind in KINDS}
    no_owner = words["no_owner"]
    for unit in progress.units:
        owner = unit.owner or no_owner
        for kind, detail, people in _unit_items(unit, owner, words):
            items[kind].append(
                _item(
                    unit.title,
                    unit.file,
                    unit.line,
                    owner,
                    people,
                    detail,
                    _href(unit.id, html_edition),
                    " › ".join(unit.trail),
                    order=unit.days_left or 0,
                )
            )
    for section in progress.sections:
        node, owner = section.heading, section.heading.owner or no_owner
        if section.empty:
            items["empty"].append(
                _item(node.title, node.file, node.line, owner, [owner], words["write_body"], None, "")
            )
        elif node.status is Status.UNMARKED:
            items["unmarked"].append(
                _item(
                    node.title,
                    node.file,
                    node.line,
                    owner,
                    [owner],
                    words["add_marker"].format(legend=_legend(progress)),
                    None,
                    "",
                )
            )
    owners = {s.heading.file: s.heading.owner or no_owner for s in progress.sections}
    for warning in diags.warnings:
        owner = owners.get(warning.path, no_owner)
        items["warning"].append(_item(warning.message, warning.path, warning.line, owner, [owner], "", None, ""))
    for kind in ("overdue", "soon"):  # the most pressing first
        items[kind].sort(key=lambda item: item.sort)
    return [Group(kind, tuple(found)) for kind, found in items.items() if found]


def _legend(progress: status.ReportProgress) -> str:
    """The report's markers with their names: ✍️ 编辑中 / 👁️ 审核中 / ✅ 已完成."""
    return " / ".join(
        f"{progress.marks[s.value]} {s.label(progress.language)}" for s in Status.shown() if s.info.marker
    )


def _unit_items(unit: status.HeadingProgress, owner: str, words: dict[str, str]):
    """(kind, detail, people who must act) for each way this unit needs attention."""
    days = unit.days_left
    if unit.overdue:
        yield "overdue", words["overdue_detail"].format(days=-days, due=unit.due), [owner]
    elif days is not None and 0 <= days <= SOON and not unit.own_status.is_done():
        when = words["due_today"] if days == 0 else words["days_left"].format(days=days)
        yield "soon", words["soon_detail"].format(when=when, due=unit.due), [owner]
    if unit.own_status is Status.REVIEWING:
        reviewers = list(unit.reviewers)
        names = words["list_separator"].join(reviewers)
        detail = words["review_by"].format(names=names) if reviewers else words["no_reviewer"]
        yield "review", detail, reviewers + [owner]
    if unit.owner is None:
        yield "no_owner", words["set_owner"], [words["no_owner"]]


def _item(
    title: str,
    file: str,
    line: int | None,
    owner: str,
    people: list[str],
    detail: str,
    href: str | None,
    trail: str,
    order: int = 0,
) -> Item:
    return Item(title, file, line, owner, tuple(dict.fromkeys(people)), detail, href, trail, (order, file, line or 0))


# --- charts and the page's policy -------------------------------------------------------------


def _charts(progress: status.ReportProgress, past: history.History, cache: Path, no_owner: str) -> dict[str, Markup]:
    """The dashboard's charts as inline SVG, each drawn once per distinct data."""
    per_owner = _largest(
        [(row.name or no_owner, dict(row.counts)) for row in progress.owners], lambda item: sum(item[1].values())
    )
    words = _largest([(s.heading.title, s.heading.words) for s in progress.sections], lambda item: item[1])
    points = [list(point) for point in past.points]
    counts = dict(progress.counts)
    drawn = {
        "status": (("status_counts", counts), lambda: charts.status_counts_svg(counts)),
        "owners": (("owners", per_owner), lambda: charts.owners_svg(dict(per_owner))),
        "words": (("words", words), lambda: charts.words_svg(words)),
    }
    if past.points:
        drawn["burnup"] = (("burnup", points), lambda: charts.burnup_svg(past.points))
    return {name: Markup(charts.cached_svg(charts.data_key(*key), draw, cache)) for name, (key, draw) in drawn.items()}


CHART_BARS = 40
"""Bars a dashboard chart draws at most: the tables list every section and owner, and each bar
costs matplotlib a text layout (10,000 sections took many minutes for an unreadable chart)."""


def _largest(items: list, size) -> list:
    """The `CHART_BARS` items of greatest ``size``, in their own order."""
    if len(items) <= CHART_BARS:
        return items
    keep = set(sorted(range(len(items)), key=lambda i: (-size(items[i]), i))[:CHART_BARS])
    return [item for i, item in enumerate(items) if i in keep]


def _csp(script: str) -> str:
    """Nothing from anywhere; inline styles (the charts carry style attributes); this one script."""
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return (
        f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{digest}'; img-src data:; "
        "base-uri 'none'; form-action 'none'"
    )

"""The progress dashboard: one self-contained page that tells each section owner what to do next.

`render_dashboard` takes every number from `status.status_data` (so the page
agrees with ``reportgen status --json``), adds what only a page can show —
what needs attention and who must act, the last change of each file and the
progress over time from git, charts from `reportgen.charts` — renders
``dashboard.html`` and returns the function that writes
``OUT/dashboard/index.html``.  The page loads nothing: its styles, its small
sorting/filtering script and its charts are inline, and its
Content-Security-Policy allows exactly that script, by hash.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
from pathlib import Path

from markupsafe import Markup

from reportgen import charts, history, output, status, templates
from reportgen.errors import Diagnostics
from reportgen.model import Report, Status

SOON = 7
"""Days: a unit due within this many days (and not done) is listed as due soon."""

NO_OWNER = "（未指定）"
"""Owner shown for units nobody owns."""

KINDS = {
    "overdue": ("逾期", "Overdue", "截止日期已过，尚未完成"),
    "review": ("待审核", "Waiting for review", "已写完，等待审核人"),
    "soon": ("即将到期", "Due soon", f"{SOON} 天内到期，尚未完成"),
    "empty": ("空白章节", "Empty", "还没有正文"),
    "unmarked": ("未标记状态", "No status", "在标题前加 ✍️ / 👁️ / ✅，或在 front matter 写 status:"),
    "no_owner": ("无负责人", "No owner", "在 front matter 写 owner:"),
    "warning": ("构建提示", "Build warnings", "reportgen 检查源文件时发现的问题"),
}
"""Kinds of things that need attention, most urgent first: (Chinese, English, what it means)."""


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


def render_page(report: Report, out: Path, diags: Diagnostics, today: datetime.date | None = None,
                html_edition: bool = False) -> str:
    """The dashboard's HTML.  ``out`` holds the caches; ``today`` decides what is overdue."""
    today = today or status.build_day()
    data = status.status_data(report, today)
    units = unit_rows(report, data, today, html_edition)
    owners = owner_rows(units)
    past = history.read_history(report.source, out / ".cache" / "history")
    script = templates.read(report.source, "dashboard/dashboard.js")
    return templates.render(
        report.source, "dashboard.html",
        manifest=report.manifest, data=data, today=today.isoformat(), html_edition=html_edition,
        revision=history.revision(report.source),
        summary=summary(data, units),
        attention=attention(report, data, units, diags),
        owners=owners,
        people=_people_to_pick(owners, units),
        sections=section_rows(report, data, units, today, html_edition),
        translations=translation_views(report, data),
        parts=part_rows(data),
        units=units,
        history=past, history_limit=history.LIMIT,
        charts=_charts(data, owners, past, out / ".cache" / "charts"),
        kinds=KINDS, statuses=status.STATUSES, labels={s.value: s.label_zh for s in Status},
        colours={s.value: s.info.colour for s in Status},
        # A column of zeros says nothing: the owners table shows "unmarked" only when some unit is.
        hidden_statuses=[] if data["counts"]["unmarked"] else ["unmarked"],
        css=Markup(templates.read(report.source, "dashboard/dashboard.css")),
        script=Markup(script), csp=_csp(script),
    )


# --- rows ----------------------------------------------------------------------------------


def unit_rows(report: Report, data: dict, today: datetime.date, html_edition: bool) -> list[dict]:
    """Every unit of `data`, with its section, its place, its reviewers and its days left."""
    rows = []
    for section_node in data["sections"]:
        section = report.section_by_path(section_node["file"])
        for trail, node in _trails(section_node, ()):
            if node["own_status"] is None:
                continue
            rows.append({
                **node,
                "section": section_node["title"],
                "trail": " › ".join(trail),
                "owner_name": node["owner"] or NO_OWNER,
                "reviewers": list(section.front.reviewers) if section else [],
                "days_left": _days_left(node["due"], today),
                "href": _href(node, html_edition),
            })
    return rows


def _trails(node: dict, trail: tuple[str, ...]):
    """(titles of the headings above, node) for a node and everything below it."""
    yield trail, node
    for child in node["children"]:
        yield from _trails(child, trail + (node["title"],))


def _days_left(due: str | None, today: datetime.date) -> int | None:
    return None if due is None else (datetime.date.fromisoformat(due) - today).days


def _href(node: dict, html_edition: bool) -> str | None:
    """Link into the draft HTML edition built beside the dashboard, if there is one."""
    if not html_edition:
        return None
    page, _, anchor = node["id"].partition("#")
    return f"../html/{page}.html" + (f"#{anchor}" if anchor else "")


def owner_rows(units: list[dict]) -> list[dict]:
    """Units per status and overdue units per owner, owners in order of first appearance."""
    owners: dict[str, dict] = {}
    for unit in units:
        row = owners.setdefault(unit["owner_name"], {"name": unit["owner_name"], "total": 0, "overdue": 0,
                                                    **dict.fromkeys(status.STATUSES, 0)})
        row[unit["own_status"]] += 1
        row["total"] += 1
        row["overdue"] += unit["overdue"]
    for row in owners.values():
        row["percent"] = 100 * row["done"] / row["total"]
    return list(owners.values())


def section_rows(report: Report, data: dict, units: list[dict], today: datetime.date,
                 html_edition: bool) -> list[dict]:
    """One row per top-level section: its node, its units per status and its last change."""
    changes = history.last_changes(report.source, [node["file"] for node in data["sections"]])
    rows = []
    by_file: dict[str, list[dict]] = {}
    for unit in units:  # grouped once: a search per section made 10,000 sections quadratic
        by_file.setdefault(unit["file"], []).append(unit)
    for number, node in enumerate(data["sections"], start=1):
        own = by_file.get(node["file"], [])
        change = changes.get(node["file"])
        rows.append({
            **node,
            "number": number,
            "counts": {s: sum(1 for u in own if u["own_status"] == s) for s in status.STATUSES},
            "units": len(own),
            "done": sum(1 for u in own if u["own_status"] == "done"),
            "people": _people(own, node),
            "days_left": _days_left(node["due"], today),
            "changed": change.date[:10] if change and change.date else None,
            "changed_ago": _ago(change.date, today) if change and change.date else None,
            "changed_by": change.author if change else None,
            "change_subject": change.subject if change else None,
            "uncommitted": bool(change and change.uncommitted),
            "href": _href(node, html_edition),
        })
    return rows


def translation_views(report: Report, data: dict) -> list[dict]:
    """Per language: units missing / outdated / current, the same by translator, and every unit
    with, when it is outdated, the newest change of its source file (what made it outdated)."""
    if not data.get("translations"):
        return []
    files = {s.id: s.path for s in report.sections}
    titles = {s.id: s.title for s in report.sections}
    changes = history.last_changes(report.source, list(files.values()))
    views = []
    for tag, view in data["translations"].items():
        by_translator: dict[str, dict[str, int]] = {}
        rows = []
        for unit in view["units"]:
            who = unit["translator"] or "—"
            by_translator.setdefault(who, dict.fromkeys(view["counts"], 0))[unit["freshness"]] += 1
            change = changes.get(files[unit["section"]]) if unit["freshness"] == "outdated" else None
            rows.append({**unit, "section_title": titles[unit["section"]], "source_file": files[unit["section"]],
                         "change": change})
        views.append({"language": tag, "counts": view["counts"], "translators": by_translator, "units": rows})
    return views


def part_rows(data: dict) -> list[dict]:
    """One row per part of report.yaml: its sections and how many of their units are done."""
    rows: dict[str, dict] = {}
    for node in data["sections"]:
        if node["part"] is None:
            continue
        row = rows.setdefault(node["part"], {"title": node["part"], "sections": 0, "units": 0, "done": 0,
                                             "counts": dict.fromkeys(status.STATUSES, 0)})
        row["sections"] += 1
        for _, unit in status.walk([node]):
            if unit["own_status"] is not None:
                row["units"] += 1
                row["counts"][unit["own_status"]] += 1
        row["done"] = row["counts"]["done"]
    return list(rows.values())


def _people_to_pick(owners: list[dict], units: list[dict]) -> list[tuple[str, str]]:
    """(name, role) for the "view as" list: every owner, then reviewers who own nothing."""
    names = [(row["name"], "") for row in owners]
    owning = {row["name"] for row in owners}
    reviewers = dict.fromkeys(r for u in units for r in u["reviewers"] if r not in owning)
    return names + [(name, "审核人") for name in reviewers]


def _people(units: list[dict], node: dict) -> list[str]:
    names = [node["owner"] or NO_OWNER] + [u["owner_name"] for u in units]
    return list(dict.fromkeys(names))


def _ago(when: str, today: datetime.date) -> str:
    days = (today - datetime.date.fromisoformat(when[:10])).days
    if days <= 0:
        return "今天"
    if days == 1:
        return "昨天"
    return f"{days} 天前"


def summary(data: dict, units: list[dict]) -> dict:
    """The headline numbers: units, share done, overdue units, sections, words."""
    total = sum(data["counts"].values())
    return {
        "total": total,
        "percent": data["percent_done"],
        "percent_text": status.share_text(data["percent_done"]),
        "overdue": sum(1 for u in units if u["overdue"]),
        "words": sum(node["words"] for node in data["sections"]),
        "sections": len(data["sections"]),
    }


# --- what needs attention --------------------------------------------------------------------


def attention(report: Report, data: dict, units: list[dict], diags: Diagnostics) -> list[dict]:
    """Groups of items, most urgent kind first; each item says who must act and where."""
    items: dict[str, list[dict]] = {kind: [] for kind in KINDS}
    for unit in units:
        for kind, detail, people in _unit_items(unit):
            items[kind].append(_item(unit["title"], unit["file"], unit["line"], unit["owner_name"], people,
                                     detail, unit["href"], unit["trail"], order=unit["days_left"] or 0))
    for node in data["sections"]:
        section = report.section_by_path(node["file"])
        owner = node["owner"] or NO_OWNER
        if section is not None and section.is_empty:
            items["empty"].append(_item(node["title"], node["file"], node["line"], owner, [owner],
                                        "写正文，或把它从 report.yaml 中移除", None, ""))
        elif node["status"] == "unmarked":
            items["unmarked"].append(_item(node["title"], node["file"], node["line"], owner, [owner],
                                           "在标题前加状态标记：✍️ 编辑中 / 👁️ 审核中 / ✅ 已完成", None, ""))
    owners = {node["file"]: node["owner"] or NO_OWNER for node in data["sections"]}
    for warning in diags.warnings:
        owner = owners.get(warning.path, NO_OWNER)
        items["warning"].append(_item(warning.message, warning.path, warning.line, owner, [owner], "", None, ""))
    for kind in ("overdue", "soon"):  # the most pressing first
        items[kind].sort(key=lambda item: item["sort"])
    return [{"kind": kind, "items": found} for kind, found in items.items() if found]


def _unit_items(unit: dict):
    """(kind, detail, people who must act) for each way this unit needs attention."""
    days = unit["days_left"]
    if unit["overdue"]:
        yield "overdue", f"逾期 {-days} 天 · 截止 {unit['due']}", [unit["owner_name"]]
    elif days is not None and 0 <= days <= SOON and unit["own_status"] != "done":
        when = "今天到期" if days == 0 else f"还剩 {days} 天"
        yield "soon", f"{when} · 截止 {unit['due']}", [unit["owner_name"]]
    if unit["own_status"] == "reviewing":
        reviewers = unit["reviewers"]
        detail = f"请 {'、'.join(reviewers)} 审核" if reviewers else "未指定审核人：在 front matter 写 reviewers:"
        yield "review", detail, reviewers + [unit["owner_name"]]
    if unit["owner"] is None:
        yield "no_owner", "在 front matter 写 owner:，或在 owners: 中按标题指定", [NO_OWNER]


def _item(title: str, file: str, line: int | None, owner: str, people: list[str], detail: str,
          href: str | None, trail: str, order: int = 0) -> dict:
    return {"title": title, "file": file, "line": line, "owner": owner, "people": list(dict.fromkeys(people)),
            "detail": detail, "href": href, "trail": trail, "sort": (order, file, line or 0)}


# --- charts and the page's policy -------------------------------------------------------------


def _charts(data: dict, owners: list[dict], past: history.History, cache: Path) -> dict[str, Markup]:
    """The dashboard's charts as inline SVG, each drawn once per distinct data."""
    per_owner = _largest([(row["name"], {s: row[s] for s in status.STATUSES}) for row in owners],
                         lambda item: sum(item[1].values()))
    words = _largest([(node["title"], node["words"]) for node in data["sections"]], lambda item: item[1])
    points = [list(point) for point in past.points]
    drawn = {
        "status": (("status_counts", data["counts"]), lambda: charts.status_counts_svg(data["counts"])),
        "owners": (("owners", per_owner), lambda: charts.owners_svg(dict(per_owner))),
        "words": (("words", words), lambda: charts.words_svg(words)),
    }
    if past.points:
        drawn["burnup"] = (("burnup", points), lambda: charts.burnup_svg(past.points))
    return {name: Markup(charts.cached_svg(charts.data_key(*key), draw, cache))
            for name, (key, draw) in drawn.items()}


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
    return (f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{digest}'; img-src data:; "
            "base-uri 'none'; form-action 'none'")

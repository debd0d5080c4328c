"""Starting and growing a report source: `reportgen new` and `reportgen init`.

``new`` writes one section file (front matter, the editing marker on its
``#`` heading) and lists it in ``report.yaml``.  ``init`` writes a small
working source, or next year's source from this year's: manifest, templates,
assets and owners carried over, headings kept as a skeleton, every status set
back to editing.

``report.yaml`` is edited as text, never re-dumped, so its comments and
layout stay as the team wrote them.  The helpers for that (and for naming
section files) are shared with `reportgen.author.importer`.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import click
import yaml

from reportgen import output
from reportgen.errors import Diagnostics, ReportError
from reportgen.load import confine, yamlio
from reportgen.load.config import MANIFEST
from reportgen.model import DEFAULT_MARKERS, Report, Section, Status, drop_marker, drop_trailing_marker
from reportgen.render.markdown import HEADING_ID

#: The marker a new or restarted unit gets (the manifest may name another).
EDITING = DEFAULT_MARKERS[Status.EDITING][0]


# --- naming section files ---------------------------------------------------------------


def slug(title: str) -> str | None:
    """An ASCII file-name slug from ``title``, or None when it has no letters.

    Chinese is written in pinyin, a syllable a word (``基础认知`` →
    ``ji-chu-ren-zhi``, by pypinyin, which knows the readings of words), so a
    file name says what the section is; other scripts keep their Latin letters.
    """
    from pypinyin import lazy_pinyin

    text = " ".join(lazy_pinyin(title, errors=lambda rest: rest))
    text = unicodedata.normalize("NFKD", text)
    words = re.findall(r"[A-Za-z0-9]+", text.encode("ascii", "ignore").decode())
    if not any(re.search(r"[A-Za-z]", w) for w in words):
        return None
    out = ""
    for word in words:
        if len(out) + len(word) > 40:
            break
        out = f"{out}-{word.lower()}" if out else word.lower()
    return out or None


FALLBACK_SLUG = "section"
_NUMBERED = re.compile(r"^(\d+)([a-z]?)-")


def section_number(path: str) -> int | None:
    """The leading number of a section file name (``03`` of ``sections/03-finance.md``)."""
    match = _NUMBERED.match(Path(path).name)
    return int(match.group(1)) if match else None


def number_width(paths) -> int:
    widths = [len(m.group(1)) for p in paths if (m := _NUMBERED.match(Path(p).name))]
    return max(widths, default=2)


# --- markers in heading text ------------------------------------------------------------


def split_marker(text: str, markers: dict[Status, tuple[str, ...]] = DEFAULT_MARKERS) -> tuple[Status | None, str]:
    """(status of the marker of heading ``text``, the text without it), as the parser reads
    it: a marker at the start (``✅ 财务``), else one at the end (``财务 ✅``, as other
    tools' documents put it).  Compared without U+FE0F."""
    stripped = text.lstrip()
    table = sorted(((m.replace("\ufe0f", ""), s) for s, ms in markers.items() for m in ms), key=lambda x: -len(x[0]))
    bare = stripped.replace("\ufe0f", "")
    for marker, status in table:
        if marker and bare.startswith(marker):
            return status, drop_marker(stripped, marker)
    ending = bare.rstrip()
    for marker, status in table:
        if marker and ending.endswith(marker) and ending != marker:
            return status, drop_trailing_marker(stripped.rstrip(), marker).rstrip()
    return None, stripped


def plain_title(raw: str) -> str:
    """Heading text as a reader sees it: no marker, emphasis marks or closing #s."""
    _, text = split_marker(HEADING_ID.sub("", raw))
    text = re.sub(r"\s+#+\s*$", "", text)
    text = re.sub(r"(\*\*|__|\*|`)", "", text)
    return " ".join(text.split())


# --- report.yaml, edited as text -----------------------------------------------------------

MANIFEST_TEMPLATE = """\
# report.yaml — the manifest of this report.
# Paths are relative to the folder that holds this file.

# Title of the whole report: cover page, PDF metadata, HTML <title>, dashboard.
title: {title}
{organisation}# The year the report covers.
year: {year}
# BCP 47 language tag: sets lang= in HTML and PDF, and the fonts and line breaking.
language: {language}
{logo}
# The sections, in reading order: one Markdown file each.  Each file may start
# with YAML front matter (title, status, owner, reviewers, due, id, owners) and
# its body starts with one level-1 heading, the section title.  Status markers
# at the start of a heading say how far it is: ✍️ editing, 👁️ reviewing, ✅ done.
sections:
{sections}
# Editions: the public edition leaves out what is not done yet
# ("omit"), or keeps its heading with a note ("placeholder").
editions:
  public:
    unfinished: omit
"""


def manifest_text(
    title: str,
    year: int,
    language: str,
    sections: list,
    organisation: str | None = None,
    logo: str | None = None,
    languages: list[str] | None = None,
) -> str:
    """A commented ``report.yaml`` for a new source; ``sections`` holds paths and
    ``(part title, paths)`` pairs; ``languages``, the source language first, when translations came along."""
    text = MANIFEST_TEMPLATE.format(
        title=_yaml_scalar(title),
        year=year,
        language=_yaml_scalar(language),
        organisation=(
            f"# Who publishes the report; shown on the cover and in the footer.\n"
            f"organisation: {_yaml_scalar(organisation)}\n"
            if organisation
            else ""
        ),
        logo=f"# Logo for the cover and the HTML header.\nlogo: {_yaml_scalar(logo)}\n" if logo else "",
        sections="".join(_section_item(p) for p in sections),
    )
    if languages:
        text += (
            "\n# The report's languages, the source language first; the translation of\n"
            "# sections/NAME.md into LANG is sections/LANG/NAME.md.\n"
            f"languages: [{', '.join(_yaml_scalar(tag) for tag in languages)}]\n"
        )
    return text


def _section_item(entry) -> str:
    if isinstance(entry, str):
        return f"  - {_yaml_scalar(entry)}\n"
    part, paths = entry
    return f"  - part: {_yaml_scalar(part)}\n    sections:\n" + "".join(f"      - {_yaml_scalar(p)}\n" for p in paths)


def _yaml_scalar(value: str) -> str:
    """``value`` as a one-line YAML scalar, quoted only when YAML would misread it."""
    dumped = yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, width=10_000)
    return dumped.removesuffix("\n...\n").strip()


_SECTIONS_KEY = re.compile(r"^sections\s*:\s*(#.*)?$")
_ITEM = re.compile(r"^(?P<indent>\s*)-\s+(?P<value>[^#]*?)\s*(#.*)?$")


class ManifestEditError(Exception):
    """``report.yaml``'s section list is written in a way the text edit cannot follow."""

    def __init__(self, message: str, line: int | None):
        super().__init__(message)
        self.message, self.line = message, line


def insert_sections(text: str, paths: list[str], after: str | None = None) -> str:
    """``text`` with ``paths`` added to its ``sections:`` list, after ``after``
    (a listed path) or at the end; every other line stays as it was."""
    if "\r\n" in text:  # keep the file's line endings
        return insert_sections(text.replace("\r\n", "\n"), paths, after).replace("\n", "\r\n")
    lines = text.split("\n")
    key = next((i for i, line in enumerate(lines) if _SECTIONS_KEY.match(line)), None)
    if key is None:
        if re.search(r"^sections\s*:", text, re.MULTILINE):
            line = text[: re.search(r"^sections\s*:", text, re.MULTILINE).start()].count("\n") + 1
            raise ManifestEditError(
                "write 'sections:' as a list with one '- path' per line to add sections to it", line
            )
        block = "\nsections:\n" + "".join(f"  - {_yaml_scalar(p)}\n" for p in paths)
        return text.rstrip("\n") + "\n" + block
    items = _list_items(lines, key)
    indent = items[-1][1] if items else "  "
    quote = _quote_style(items[-1][2]) if items else ""
    where = items[-1][0] if items else key
    if after is not None:
        match = next((item for item in items if _unquote(item[2]) == after), None)
        if match is None:
            raise ManifestEditError(f"'{after}' is not in the sections list", key + 1)
        where, indent, quote = match[0], match[1], _quote_style(match[2])
    new = [f"{indent}- {quote}{p}{quote}" if quote else f"{indent}- {_yaml_scalar(p)}" for p in paths]
    lines[where + 1 : where + 1] = new
    result = "\n".join(lines)
    _check_listed(result, paths)
    return result


def _list_items(lines: list[str], key: int) -> list[tuple[int, str, str]]:
    """(line index, indent, raw value) of each item of the list under line ``key``."""
    items = []
    for i in range(key + 1, len(lines)):
        line = lines[i]
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _ITEM.match(line)
        if match is None:
            break
        items.append((i, match.group("indent"), match.group("value")))
    return items


def _quote_style(raw: str) -> str:
    return raw[0] if raw[:1] in ("'", '"') else ""


def _unquote(raw: str) -> str:
    return raw[1:-1] if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in ("'", '"') else raw


def _check_listed(text: str, paths: list[str]) -> None:
    """The edit must read back as intended; refuse it rather than write a wrong manifest."""
    try:
        data = yamlio.load(text)
    except yamlio.YamlProblem as exc:
        raise ManifestEditError(f"report.yaml would not be valid after adding sections: {exc.message}", exc.line)
    listed = data.get("sections") if isinstance(data, dict) else None
    if not isinstance(listed, list) or not all(p in listed for p in paths):
        raise ManifestEditError("could not add the sections to the 'sections:' list; add them by hand", None)


def advance_year(text: str, old: int, new: int) -> str:
    """``report.yaml`` for year ``new``: the ``year:`` value, and the year in the title and subtitle
    (each language's own too)."""
    lines = text.split("\n")
    starts = sorted(yamlio.key_lines(text).items(), key=lambda item: item[1])
    for (key, line), following in zip(starts, starts[1:] + [("", len(lines) + 1)]):
        i = line - 1
        if key == "year":
            lines[i] = re.sub(r"(\s*year\s*:\s*['\"]?)\d{4}", rf"\g<1>{new}", lines[i], count=1)
        elif key in ("title", "subtitle"):
            lines[i] = re.sub(rf"(?<!\d){old}(?!\d)", str(new), lines[i])
        elif key == "languages":
            for j in range(i, following[1] - 1):
                if re.search(r"\b(title|subtitle)\s*:", lines[j]):
                    lines[j] = re.sub(rf"(?<!\d){old}(?!\d)", str(new), lines[j])
    return "\n".join(lines)


# --- reportgen new ------------------------------------------------------------------------


@dataclass
class NewSection:
    path: str
    """Path of the new file, relative to the source."""
    after: str | None
    """The listed path it follows, or None when it was added at the end."""


def new_section(
    source: Path,
    title: str,
    owner: str | None = None,
    due: str | None = None,
    after: str | None = None,
    name: str | None = None,
) -> NewSection:
    """Write a new section file and list it in ``report.yaml``; `ReportError` on a mistake."""
    report = _load(source)
    title = split_marker(title)[1].strip()
    if not title:
        raise ReportError("error: the title of the new section is empty")
    same = next((sec for sec in report.sections if sec.title == title), None)
    if same is not None:
        raise ReportError(f"{same.path}: error: a section titled '{title}' exists already; choose another title")
    listed = list(report.manifest.sections)
    after_path = _find_section(report, after) if after else None
    path = _new_path(listed, name or slug(title) or FALLBACK_SLUG, after_path)
    if (source / path).exists():
        raise ReportError(f"{path}: error: file exists already; choose another name with --name")
    marker = report.manifest.markers[Status.EDITING][0]
    text = _front_matter({"owner": owner, "due": due}) + f"# {marker}{title}\n"
    manifest_path = source / MANIFEST
    try:
        manifest = insert_sections(manifest_path.read_text(encoding="utf-8"), [path], after_path)
    except ManifestEditError as exc:
        raise ReportError(f"{MANIFEST}:{exc.line or 1}: error: {exc.message}") from None
    output.write_text(source / path, text)
    output.write_text(manifest_path, manifest)
    return NewSection(path, after_path)


def _load(source: Path) -> Report:
    from reportgen.load.reader import load_report

    diags = Diagnostics()
    report = load_report(source, diags) if (source / MANIFEST).is_file() else None
    if report is None:
        lines = "\n".join(str(d) for d in diags.errors) or f"{source}: error: no {MANIFEST} here"
        raise ReportError(lines)
    return report


def _find_section(report: Report, wanted: str) -> str:
    """The listed path of the section called ``wanted`` (its id, file name or path)."""
    wanted = wanted.strip().removesuffix(".md")
    for section in report.sections:
        if wanted in (section.id, Path(section.path).stem, section.path.removesuffix(".md")):
            return section.path
    known = ", ".join(s.id for s in report.sections)
    raise ReportError(f"{MANIFEST}: error: no section '{wanted}' to insert after (sections: {known})")


def _new_path(listed: list[str], name: str, after: str | None) -> str:
    """``sections/NN-name.md`` numbered like the files already there.

    At the end it takes the next number.  After a section it takes the next
    number, or failing that a letter (``03a-``), as long as the name still
    sorts between its neighbours, so a file listing keeps the reading order;
    else the next number.  Files are never renamed: their names are the
    sections' ids and page names.
    """
    numbers = {n for p in listed if (n := section_number(p)) is not None}
    if not numbers:
        return _unique(listed, f"sections/{name}.md")
    width = number_width(listed)
    at_end = f"sections/{max(numbers) + 1:0{width}d}-{name}.md"
    match = _NUMBERED.match(Path(after).name) if after else None
    if match is None:
        return at_end
    base, letter = int(match.group(1)), match.group(2)
    following = listed[listed.index(after) + 1 :]
    upper = Path(following[0]).name if following else None
    taken = {_NUMBERED.match(Path(p).name).group(0) for p in listed if _NUMBERED.match(Path(p).name)}
    prefixes = [] if letter else [f"{base + 1:0{width}d}-"]
    prefixes += [f"{base:0{width}d}{c}-" for c in "abcdefghijklmnopqrstuvwxyz" if c > (letter or "")]
    for prefix in prefixes:
        candidate = f"{prefix}{name}.md"
        if prefix not in taken and Path(after).name < candidate and (upper is None or candidate < upper):
            return f"sections/{candidate}"
    return at_end


def _unique(listed: list[str], path: str) -> str:
    candidate, n = path, 2
    while candidate in listed:
        candidate = path.removesuffix(".md") + f"-{n}.md"
        n += 1
    return candidate


def _front_matter(values: dict) -> str:
    """Front matter as people write it (``due: 2026-12-01`` unquoted: the reader keeps dates as text)."""
    lines = [f"{key}: {value if key == 'due' else _yaml_scalar(value)}" for key, value in values.items() if value]
    return "---\n" + "\n".join(lines) + "\n---\n\n" if lines else ""


def _due(ctx, param, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return datetime.date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise click.BadParameter(f"must be a date as YYYY-MM-DD, got {value!r}") from None


def _one_line(ctx, param, value: str | None) -> str | None:
    """A title or name goes into a heading or a front matter line: a line break would start
    another line of the file (``'Evil\\n---\\n# ✅Fake'`` wrote a heading marked done)."""
    if value is None:
        return None
    if re.search(r"[\x00-\x1f\x7f\x85\u2028\u2029]", value):
        raise click.BadParameter("must be one line of text, without line breaks or control characters")
    if not value.strip():
        raise click.BadParameter("must not be empty")
    return value.strip()


@click.command("new")
@click.argument("title", callback=_one_line)
@click.option("--owner", callback=_one_line, help="Who writes it (front matter 'owner').")
@click.option("--due", callback=_due, help="Due date, YYYY-MM-DD.")
@click.option(
    "--after", "after", metavar="ID", help="Insert after this section (its id or file name) [default: at the end]."
)
@click.option("--name", help="File name after the number (ASCII) [default: from the title, or 'section'].")
@click.option(
    "--source",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="The report source folder.",
)
def new_command(
    title: str, owner: str | None, due: str | None, after: str | None, name: str | None, source: Path
) -> None:
    """Add a section called TITLE: a new file marked ✍️ editing, listed in report.yaml."""
    if name is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", name):
        raise click.BadParameter("use letters, digits, '-' and '_'", param_hint="--name")
    try:
        created = new_section(source, title, owner, due, after, name)
    except OSError as exc:
        raise ReportError(f"{exc.filename or source}: error: cannot write: {exc.strerror}") from None
    click.echo(f"wrote {source / created.path}", err=True)
    where = f"after {created.after}" if created.after else "at the end"
    click.echo(f"updated {source / MANIFEST}: listed {created.path} {where}", err=True)


# --- reportgen init: a starter source ---------------------------------------------------------

LOGO_SVG = """\
<svg xmlns="http://www.w3.org/2000/svg" width="120" height="120" viewBox="0 0 120 120">
  <circle cx="60" cy="60" r="56" fill="#1f6f5c"/>
  <path d="M60 22 L72 52 L104 56 L79 76 L86 106 L60 90 L34 106 L41 76 L16 56 L48 52 Z" fill="#f5c542"/>
</svg>
"""

STARTER_SECTIONS = MappingProxyType(
    {
        "sections/01-introduction.md": """\
---
owner: 主编
---

# ✅引言

这是一份用 reportgen 编写的年度报告的起点。每一章是 `sections/` 里的一个 Markdown 文件，章节的顺序写在 `report.yaml` 的 `sections:` 里。

标题开头的标记说明这一部分写到了哪一步：✍️ 编辑中，👁️ 审核中，✅ 已完成。进度表和仪表盘都由这些标记生成，不需要手工维护。下一章[年度活动](02-activities.md)展示了如何给小节分别标记状态。
""",
        "sections/02-activities.md": """\
---
owner: 活动组
reviewers:
  - 主编
due: {year}-11-30
owners:
  春季活动: 活动组
  秋季活动: 志愿者组
---

# 年度活动

本章的状态由下面各小节的标记决定：最慢的那一节就是本章的进度。

## 👁️春季活动

三月在城市图书馆举办了读书会，共 40 人参加。

## ✍️秋季活动

待补充：秋季年会的议程与数据。
""",
        "sections/03-finance.md": """\
---
owner: 财务组
due: {year}-12-15
---

# ✍️财务报告

| 项目 | 金额（元） |
| --- | ---: |
| 收入 | 0 |
| 支出 | 0 |

数字以财务组核对后的账目为准。
""",
    }
)


def starter_files(year: int) -> dict[str, str]:
    """Every file of the starter source: a manifest, three sections, a logo."""
    files = {
        MANIFEST: manifest_text(
            f"{year} 年度报告", year, "zh-CN", list(STARTER_SECTIONS), organisation="我们的社区", logo="assets/logo.svg"
        )
    }
    files.update({path: text.replace("{year}", str(year)) for path, text in STARTER_SECTIONS.items()})
    files["assets/logo.svg"] = LOGO_SVG
    return files


def init_source(dest: Path, year: int, force: bool = False) -> list[Path]:
    """Write the starter source into ``dest``; the written paths."""
    _check_destination(dest, force)
    written = []
    for rel, text in starter_files(year).items():
        output.write_text(dest / rel, text)
        written.append(dest / rel)
    return written


def _check_destination(dest: Path, force: bool) -> None:
    if dest.exists() and not dest.is_dir():
        raise ReportError(f"{dest}: error: exists and is not a folder")
    if dest.is_dir() and any(dest.iterdir()) and not force:
        raise ReportError(f"{dest}: error: folder is not empty; choose a new folder or pass --force to write into it")


# --- reportgen init --from: next year's source ---------------------------------------------------


def next_year(previous: Path, dest: Path, year: int | None = None, force: bool = False) -> list[Path]:
    """Next year's source in ``dest`` from ``previous``; the written paths.

    Carried over: ``report.yaml`` (year advanced, also in the title), the
    ``templates/`` and ``assets/`` folders, and each listed section as a
    skeleton: its headings only, every marker rewritten to editing (a section
    with no unit at all gets the marker on its ``#`` heading), front matter
    kept except that ``status:`` becomes editing, due dates move on by the
    same number of years and ``extra:`` (last year's imported metadata) goes.
    The report's year also moves on in section titles (``# 2026 年顾问委员会``);
    deeper headings keep theirs, as they often name past years on purpose.
    """
    report = _load(previous)
    _check_complete(report)
    if previous.resolve() == dest.resolve():
        raise ReportError(f"{dest}: error: is the previous report itself; choose a new folder")
    _check_destination(dest, force)
    old = report.manifest.year
    new = year or old + 1
    written = _copy_tree(previous, dest, ("templates", "assets"))
    manifest = advance_year((previous / MANIFEST).read_text(encoding="utf-8-sig"), old, new)
    output.write_text(dest / MANIFEST, manifest)
    written.append(dest / MANIFEST)
    marker = report.manifest.markers[Status.EDITING][0]
    for section in report.sections:
        raw = (previous / section.path).read_text(encoding="utf-8-sig").replace("\r\n", "\n")
        output.write_text(dest / section.path, skeleton(raw, section, report, marker, (old, new)))
        written.append(dest / section.path)
    written += _translation_skeletons(report, previous, dest, marker, (old, new))
    return written


def _translation_skeletons(report: Report, previous: Path, dest: Path, marker: str, years) -> list[Path]:
    """Each translation becomes a skeleton too, with no ``source:`` record: next year's text
    is new, so every translated unit starts as outdated until it is translated and synced."""
    from reportgen.author import translate
    from reportgen.load import translations

    written = []
    for language in report.manifest.translations:
        for section in report.sections:
            translated = translations.read_translation(report, section, language.tag, Diagnostics())
            if translated is None:
                continue
            raw = (previous / translated.path).read_text(encoding="utf-8-sig").replace("\r\n", "\n")
            text = translate.without_record(skeleton(raw, translated, report, marker, years))
            output.write_text(dest / translated.path, text)
            written.append(dest / translated.path)
    return written


def _check_complete(report: Report) -> None:
    """Every listed section must have been read, or the skeleton would silently miss one."""
    read = {s.path for s in report.sections}
    missing = [p for p in report.manifest.sections if p not in read]
    if missing:
        raise ReportError(
            "\n".join(
                f"{p}: error: could not be read; fix it (reportgen check) before starting next year" for p in missing
            )
        )


def _copy_tree(previous: Path, dest: Path, folders: tuple[str, ...]) -> list[Path]:
    written = []
    for folder in folders:
        root = previous / folder
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            # Only regular files really inside the previous report: not what a symbolic
            # link (the folder itself may be one) or a hard link makes appear there.
            real = confine.inside(previous, path)
            if real is not None and not path.is_symlink():
                target = dest / path.relative_to(previous)
                output.write_bytes(target, real.read_bytes())
                written.append(target)
    return written


def skeleton(raw: str, section: Section, report: Report, marker: str, years: tuple[int, int]) -> str:
    """A section file reduced to its front matter and headings, every unit set to editing.

    ``years`` is (last year, new year).
    """
    front, has_front = _front_text(raw)
    headings = _heading_lines(section, report, marker)
    if section.root.own_status is Status.UNMARKED:
        headings[0] = headings[0].replace("# ", f"# {marker}", 1)
    headings[0] = _new_year(headings[0], years)
    text = _next_year_front(front, years) if has_front else ""
    return text + "\n\n".join(headings) + "\n"


def _new_year(text: str, years: tuple[int, int]) -> str:
    old, new = years
    return re.sub(rf"(?<!\d){old}(?!\d)", str(new), text)


def _front_text(raw: str) -> tuple[str, bool]:
    if not raw.startswith("---\n"):
        return "", False
    lines = raw.split("\n")
    for i, line in enumerate(lines[1:], start=1):
        if line.rstrip() in ("---", "...") or re.fullmatch(r"-{4,}", line.rstrip()):
            return "\n".join(lines[1:i]) + "\n", True
    return "", False


def _next_year_front(front: str, years: tuple[int, int]) -> str:
    """Front matter text with status set to editing, due and the title's year
    moved on and extra dropped; edited line by line so comments and layout stay."""
    lines = front.split("\n")
    keys = sorted(yamlio.key_lines(front).items(), key=lambda kv: kv[1])
    spans = {
        key: (line - 1, (keys[i + 1][1] - 1) if i + 1 < len(keys) else len(lines) - 1)
        for i, (key, line) in enumerate(keys)
    }
    drop: set[int] = set()
    for key, (start, end) in spans.items():
        if key == "status":
            lines[start] = "status: editing"
            drop.update(range(start + 1, end))
        elif key == "due":
            lines[start] = re.sub(
                r"\d{4}-\d{2}-\d{2}", lambda m: _later(m.group(), years[1] - years[0]), lines[start], count=1
            )
        elif key == "title":
            lines[start] = _new_year(lines[start], years)
        elif key == "extra":
            drop.update(range(start, end))
    kept = [line for i, line in enumerate(lines) if i not in drop]
    body = "\n".join(kept).strip("\n")
    return f"---\n{body}\n---\n\n" if body.strip() else ""


def _later(iso: str, years: int) -> str:
    try:
        day = datetime.date.fromisoformat(iso)
    except ValueError:
        return iso
    try:
        return day.replace(year=day.year + years).isoformat()
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28).isoformat()


def _heading_lines(section: Section, report: Report, marker: str) -> list[str]:
    """Each heading as an ATX line, its raw text kept, its marker (if any) made ``marker``."""
    lines = []
    for i, token in enumerate(section.tokens):
        if token.type != "heading_open":
            continue
        raw = section.tokens[i + 1].content.replace("\n", " ").strip()
        status, rest = split_marker(raw, report.manifest.markers)
        text = f"{marker}{rest}" if status is not None else raw
        lines.append(f"{'#' * int(token.tag[1])} {text}")
    return lines


def check_year(ctx, param, value: int | None) -> int | None:
    if value is not None and not 1900 <= value <= 9999:
        raise click.BadParameter("must be a four-digit year")
    return value


@click.command("init")
@click.argument("dest", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--from",
    "previous",
    type=click.Path(file_okay=False, path_type=Path),
    help="Start next year's report from this year's source folder.",
)
@click.option(
    "--year", type=int, callback=check_year, help="The new report's year [default: this year, or PREVIOUS's + 1]."
)
@click.option("--force", is_flag=True, help="Write into DIR even if it is not empty.")
def init_command(dest: Path, previous: Path | None, year: int | None, force: bool) -> None:
    """Start a report source in DIR: a small working example, or next year's from --from.

    With --from, the manifest, templates/, assets/ and owners come along, the
    year moves on (also in the title), every section keeps only its headings,
    every status becomes ✍️ editing and due dates move on by the same years.
    """
    try:
        if previous is not None:
            if not (previous / MANIFEST).is_file():
                raise ReportError(f"{previous}: error: no {MANIFEST} here; --from takes a report source folder")
            written = next_year(previous, dest, year, force)
        else:
            written = init_source(dest, year or datetime.date.today().year, force)
    except OSError as exc:
        raise ReportError(f"{exc.filename or dest}: error: cannot write: {exc.strerror}") from None
    for path in written:
        click.echo(f"wrote {path}", err=True)
    what = "every section's headings, every status set to ✍️ editing" if previous else "a small example report"
    click.echo(f"started {dest}: {what}; build it with: reportgen build {dest}", err=True)

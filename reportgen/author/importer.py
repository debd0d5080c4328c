"""Importing existing documents into a report source: `reportgen import`.

Two shapes are understood, told apart by front matter:

* **One Markdown document** whose top-level headings are the sections, as a
  shared online document exports it.  Each top-level section becomes a file,
  in document order, its heading text (status marker included) kept as it
  is.  A first ``#`` heading without a marker, followed only by blockquotes,
  is the document's title: it becomes the report title (and gives the year),
  not a section.  The status legend and the hand-kept progress list (block
  quotes of marker lines before the first section) are dropped, since the
  build generates both from the markers.  Reference-link definitions, listed
  once at the end, are copied into every section that uses them; link targets
  that are whole percent-encoded URLs (``https%3A%2F%2F…``) are decoded, and
  backslash escapes inside bare URLs (``/s/\\_D7…``) are undone.
* **Blog posts** (Hugo, Jekyll) with YAML ``---`` or TOML ``+++`` front matter:
  each post becomes one section whose ``#`` heading is the post's ``title``.
  A published post is ✅ done (it was finished enough to publish); a post with
  ``draft: true`` (Jekyll: ``published: false``) is ✍️ editing; markers in the
  body stay.  Posts are ordered by ``weight`` (lower first, posts without one
  after), then ``date`` (oldest first), then the command line.  The
  ``description`` becomes a quoted lead paragraph; ``date`` and every key not
  understood are kept under ``extra:``.  ``<!--more-->`` is dropped, and when
  the body uses ``#`` headings they move one level down below the title.

Images stay as they are: remote ones get the build's offline placeholder;
local ones (Markdown images and ``<img>`` tags, in every mode) are copied into
``assets/images/`` under their decoded names and their references follow.
They are looked for beside the file and in its site's site-root folders, never
outside the site's folder and never through a symbolic link.  A whole project
folder is read by `reportgen.load.folders`.

Files are named ``sections/NN-slug.md`` (the title in ASCII, Chinese in pinyin,
else ``section``), numbered after the files already there.  A section whose
title matches a file already in the source maps to that file, so a second run
skips instead of duplicating.  Nothing is overwritten without
``--force``; ``report.yaml`` is written, or extended by editing its text.
"""

from __future__ import annotations

import collections
import datetime
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from urllib.parse import quote, unquote, urlsplit

import click
import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from reportgen import output
from reportgen.author import scaffold
from reportgen.errors import Diagnostics, ReportError
from reportgen.load import confine, yamlio
from reportgen.load.config import MANIFEST
from reportgen.load.reader import decode, split_front_matter
from reportgen.model import DEFAULT_MARKERS, STATUS_WORDS, Status
from reportgen.render.markdown import IMAGE_SUFFIXES, word_count

#: Block structure only; the same block rules as the build's parser.
_PARSER = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"]).use(footnote_plugin)

MARK = MappingProxyType({status: marks[0] for status, marks in DEFAULT_MARKERS.items()})


@dataclass
class Planned:
    """One section file to write."""

    title: str
    """Plain title (no marker or emphasis), to name the file and find it again."""
    text: str
    origin: str
    """``input:line`` it came from, for the summary."""
    status: Status | None = None
    images: dict[str, Path | None] = field(default_factory=dict)
    """``assets/images/…`` path → the file to copy there (None: not found)."""
    file: Path | None = None
    """The whole file this section is (a page of a project folder), for links between pages."""
    part: str | None = None
    """The part of the report it opens or belongs to (a SUMMARY.md part heading, a nav group)."""
    translations: dict[str, "Planned"] = field(default_factory=dict)
    """Language tag → the same page in that language (an ``en/`` folder beside the chapters)."""


@dataclass
class Reading:
    """Everything the inputs say, before anything is written."""

    sections: list[Planned] = field(default_factory=list)
    title: str | None = None
    years: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    language: str | None = None
    """The language the inputs say they are in; else it is told from the text."""


@dataclass
class ImportResult:
    diagnostics: Diagnostics
    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    """Section paths in reading order, written or not."""
    labels: dict[Path, str] = field(default_factory=dict)
    """Section file → its heading and origin, for the summary."""


def import_files(
    files: list[Path], into: Path, force: bool = False, title: str | None = None, year: int | None = None
) -> ImportResult:
    """Read every input, then write the sections and ``report.yaml``; nothing is
    written when an input has an error."""
    diags = Diagnostics()
    result = ImportResult(diags)
    if len(files) == 1 and files[0].is_dir():
        from reportgen.load.folders import read_folder

        reading = read_folder(files[0], diags)
    else:
        reading = read_inputs(files, diags)
    if diags.errors:
        return result
    if not reading.sections:
        diags.error(str(files[0]), None, "nothing to import: no sections found")
        return result
    result.notes = reading.notes
    result.paths = plan_paths(reading.sections, into)
    relink(reading.sections, result.paths)
    for planned, path in zip(reading.sections, result.paths):
        mark = MARK.get(planned.status, "")
        result.labels[into / path] = f"{mark}{planned.title} ← {planned.origin}"
        for language, page in [(None, planned), *planned.translations.items()]:
            target = path if language is None else translation_file(path, language)
            _write(into / target, page.text.encode("utf-8"), force, result)
            for asset, origin in page.images.items():
                if origin is not None:
                    _write(into / asset, origin.read_bytes(), force, result)
    _write_manifest(into, result, reading, title, year)
    return result


def translation_file(path: str, language: str) -> str:
    """Where an imported page's translation goes: the default ``translations.path``."""
    parent, name = path.rsplit("/", 1)
    return f"{parent}/{language}/{name}"


def _write(path: Path, data: bytes, force: bool, result: ImportResult) -> None:
    if path.exists() and not force:
        result.skipped.append(path)
        return
    output.write_bytes(path, data)
    result.written.append(path)


# --- reading the inputs ---------------------------------------------------------------------


def read_inputs(files: list[Path], diags: Diagnostics) -> Reading:
    """Sections of every input in order; posts sorted among themselves by weight, then date."""
    reading = Reading()
    slots: list[list[Planned] | None] = []
    posts: list[Post] = []
    for index, path in enumerate(files):
        rel = str(path)
        if path.is_dir():
            diags.error(rel, None, "a folder is imported on its own: reportgen import FOLDER --into DIR")
            continue
        if not path.is_file():
            diags.error(rel, None, "no such file")
            continue
        try:
            raw = path.read_bytes()
        except OSError as exc:
            diags.error(rel, None, f"cannot read: {exc.strerror}")
            continue
        text = decode(raw, rel, diags)
        if text is None:
            continue
        if text.startswith(("---\n", "+++\n")):
            post = read_post(path, text, index, diags)
            if post is not None:
                posts.append(post)
                slots.append(None)
                reading.years += [post.date.year] if post.date else []
        else:
            slots.append(read_document(path, text, reading, diags))
    ordered = iter(sorted(posts, key=Post.order))
    for slot in slots:
        reading.sections += slot if slot is not None else [next(ordered).section]
    return reading


# --- one Markdown document ---------------------------------------------------------------------


@dataclass
class _Heading:
    start: int
    """0-based first line."""
    end: int
    level: int
    raw: str
    """The heading's Markdown text, marker included."""
    setext: bool


def read_document(path: Path, text: str, reading: Reading, diags: Diagnostics) -> list[Planned]:
    """The sections of one document whose top-level headings are sections."""
    rel = str(path)
    env: dict = {}
    tokens = _PARSER.parse(text, env)
    lines = _clean(text.split("\n")[:-1], tokens)
    headings = _top_headings(tokens)
    if not headings:
        diags.warning(rel, 1, "no headings: the whole document is imported as one section named after the file")
        body = "\n".join(lines).strip()
        return [Planned(path.stem, f"# {path.stem}\n\n{body}\n", f"{rel}:1")]
    title = _document_title(headings, tokens)
    if title is not None:
        reading.title = reading.title or scaffold.plain_title(title.raw)
        reading.years += _years(title.raw)
    rest = headings[1:] if title is not None else headings
    if not rest:
        diags.warning(rel, title.start + 1, "only a title heading: nothing below it to import as a section")
        return []
    level = min(h.level for h in rest)
    _shift_headings(lines, rest, 1 - level)
    starts = [h for h in rest if h.level == level]
    definitions = _definitions(env, lines) + _footnotes(tokens, lines)
    dropped = {i for d in definitions for i in range(d.start, d.end)}
    preamble_end = starts[0].start
    preamble_start = title.end if title is not None else 0
    dropped |= _drop_status_lists(tokens, lines, preamble_start, preamble_end, starts, rel, reading)
    planned = _preamble_section(lines, preamble_start, preamble_end, dropped, rel, diags)
    definitions = _by_label(definitions)
    for heading, following in zip(starts, starts[1:] + [None]):
        end = following.start if following else len(lines)
        chunk = "\n".join(line for i, line in enumerate(lines[heading.start : end], heading.start) if i not in dropped)
        status, _ = scaffold.split_marker(heading.raw)
        section = Planned(scaffold.plain_title(heading.raw), "", f"{rel}:{heading.start + 1}", status)
        section.text = _local_images(_with_definitions(chunk, definitions), heading.start + 1, path, section, diags)
        planned.append(section)
    return planned


def _top_headings(tokens: list[Token]) -> list[_Heading]:
    """Headings outside block quotes and lists, in order."""
    return [
        _Heading(t.map[0], t.map[1], int(t.tag[1]), tokens[i + 1].content, t.markup in ("=", "-"))
        for i, t in enumerate(tokens)
        if t.type == "heading_open" and t.level == 0 and t.map
    ]


def _document_title(headings: list[_Heading], tokens: list[Token]) -> _Heading | None:
    """The first heading, when it is a level-1 heading without a marker with
    only block quotes (the legend, the progress list) before the next heading."""
    first = headings[0]
    if first.level != 1 or len(headings) < 2 or scaffold.split_marker(first.raw)[0] is not None:
        return None
    between = [
        t for t in tokens if t.level == 0 and t.nesting >= 0 and t.map and first.end <= t.map[0] < headings[1].start
    ]
    if any(t.type != "blockquote_open" for t in between):
        return None
    # '# A' then '## B' is a section with a subsection when other level-1 headings follow.
    if headings[1].level != 1 and any(h.level == 1 for h in headings[2:]):
        return None
    return first


def _years(text: str) -> list[int]:
    return [int(y) for y in re.findall(r"(?<!\d)((?:19|20)\d\d)(?!\d)", text)]


def _shift_headings(lines: list[str], headings: list[_Heading], delta: int) -> None:
    """Move headings ``delta`` levels (negative: up), rewriting their lines in place."""
    if delta == 0:
        return
    for h in headings:
        level = max(1, min(6, h.level + delta))
        if not h.setext:
            lines[h.start] = re.sub(r"^(\s*)#+", lambda m: m.group(1) + "#" * level, lines[h.start], count=1)
        elif level <= 2:
            lines[h.end - 1] = ("=" if level == 1 else "-") * max(3, len(lines[h.end - 1].strip()))
        else:
            lines[h.start : h.end] = ["#" * level + " " + h.raw.replace("\n", " ")] + [""] * (h.end - h.start - 1)


# --- links and URLs ---

_ENCODED_URL = r"(?i:https?)%3A%2F%2F[^\s()<>\[\]\"']*"
_INLINE_TARGET = re.compile(r"(\]\(\s*<?)(" + _ENCODED_URL + ")")
_DEFINITION_TARGET = re.compile(r"^(\s{0,3}(?:>\s?)*\[[^\]]+\]:\s*<?)(" + _ENCODED_URL + ")")
_BARE_URL = re.compile(r"(?<![\[(<A-Za-z0-9/])https?://[^\s<>]*")


def _clean(lines: list[str], tokens: list[Token]) -> list[str]:
    """Decode percent-encoded link targets and undo escapes in bare URLs, outside code."""
    code = _code_lines(tokens)
    return [line if i in code else _clean_line(line) for i, line in enumerate(lines)]


def _clean_line(line: str) -> str:
    line = _INLINE_TARGET.sub(lambda m: m.group(1) + decoded_url(m.group(2), inline=True), line)
    line = _DEFINITION_TARGET.sub(lambda m: m.group(1) + decoded_url(m.group(2)), line)
    # Exporters escape '_' and '*' in bare URLs; the parser would keep the backslash in the link.
    return _BARE_URL.sub(lambda m: re.sub(r"\\([_*~])", r"\1", m.group()), line)


def decoded_url(url: str, inline: bool = False) -> str:
    """``https%3A%2F%2Fa.org%2Fs`` → ``https://a.org/s``; anything else unchanged."""
    plain = unquote(url)
    parts = urlsplit(plain)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return url
    unsafe = r"[\s<>()]" if inline else r"[\s<>]"
    return re.sub(unsafe, lambda m: quote(m.group()), plain)


def _code_lines(tokens: list[Token]) -> set[int]:
    return {i for t in tokens if t.type in ("fence", "code_block") and t.map for i in range(*t.map)}


@dataclass
class _Definition:
    label: str
    start: int
    end: int
    text: str


def _definitions(env: dict, lines: list[str]) -> list[_Definition]:
    """Reference-link definitions, with their (already cleaned) source lines."""
    found = []
    for ref in env.get("references", {}).values():
        start, end = ref["map"]
        match = re.match(r"^\s{0,3}(?:>\s?)*\[([^\]]+)\]:", lines[start])
        if match:
            found.append(_Definition(match.group(1), start, end, "\n".join(lines[start:end])))
    return sorted(found, key=lambda d: d.start)


def _footnotes(tokens: list[Token], lines: list[str]) -> list[_Definition]:
    """Footnote definitions (``[^1]: …``), which travel with their references like links."""
    found, label, maps = [], None, []
    for token in tokens:
        if token.type == "footnote_open":
            label, maps = token.meta.get("label"), []
        elif token.type == "footnote_close" and label is not None and maps:
            start, end = min(m[0] for m in maps), max(m[1] for m in maps)
            found.append(_Definition(f"^{label}", start, end, "\n".join(lines[start:end]).rstrip()))
            label = None
        elif label is not None and token.map:
            maps.append(token.map)
    return found


def _by_label(definitions: list[_Definition]) -> dict[str, list[tuple[int, str]]]:
    """Label as references match it → (place in the document, text) of its definitions."""
    found: dict[str, list[tuple[int, str]]] = {}
    for index, definition in enumerate(definitions):
        found.setdefault(_label_key(definition.label), []).append((index, definition.text))
    return found


def _with_definitions(chunk: str, definitions: dict[str, list[tuple[int, str]]]) -> str:
    """The section's text with the definitions it uses appended, so its links resolve on their own.

    The labels the chunk uses are collected in one pass and looked up, so a document
    with a thousand footnotes is not searched a thousand times per section."""
    chunk = chunk.rstrip() + "\n"
    used = sorted({entry for label in _BRACKETED.findall(chunk) for entry in definitions.get(_label_key(label), ())})
    return chunk + ("\n" + "\n".join(text for _, text in used) + "\n" if used else "")


_BRACKETED = re.compile(r"\[([^\[\]]*)\]")
"""The text between a pair of brackets: a link's text or label, a footnote reference."""


def _label_key(label: str) -> str:
    """References match labels ignoring case and runs of white space, as CommonMark says."""
    return " ".join(label.split()).casefold()


# --- the legend and the hand-kept progress list ---


def _drop_status_lists(tokens, lines, start, end, sections, rel, reading) -> set[int]:
    """Lines of the legend and progress block quotes before the first section."""
    titles = {scaffold.plain_title(h.raw): scaffold.split_marker(h.raw)[0] for h in sections}
    dropped: set[int] = set()
    for token in tokens:
        if token.type != "blockquote_open" or token.level != 0 or not (start <= token.map[0] < end):
            continue
        kind, disagree = _status_list(lines[token.map[0] : token.map[1]], titles)
        if kind is None:
            continue
        dropped.update(range(*token.map))
        where = f"{rel}:{token.map[0] + 1}"
        if kind == "legend":
            reading.notes.append(
                f"{where}: dropped the legend of status markers: the build now generates it "
                "(progress page of the PDF, the dashboard)"
            )
        else:
            detail = (
                f"; it disagreed with the headings' markers for {disagree} section(s), the headings win"
                if disagree
                else ""
            )
            reading.notes.append(
                f"{where}: dropped the hand-kept progress list: the build now generates it from the markers{detail}"
            )
    return dropped


def _status_list(quoted: list[str], titles: dict[str, Status | None]) -> tuple[str | None, int]:
    """('legend' | 'progress' | None, how many progress entries disagree with the headings)."""
    items = []
    for line in quoted:
        text = re.sub(r"^\s*>\s?", "", line).strip()
        bullet = re.match(r"^([-*+]|\d+[.)])\s+", text)
        text = re.sub(r"(\*\*|__)", "", text[bullet.end() :] if bullet else text).strip()
        if text:
            items.append((bool(bullet), text))
    if items and not items[0][0] and items[0][1].endswith((":", "：")):
        items.pop(0)
    if not items:
        return None, 0
    marked = [scaffold.split_marker(text) for _, text in items]
    if all(s is not None and _is_status_word(rest) for s, rest in marked):
        return "legend", 0
    named = [(s, scaffold.plain_title(rest)) for s, rest in marked]
    known = [(s, t) for s, t in named if t in titles]
    if all(bullet for bullet, _ in items) and 2 * sum(1 for s, t in named if s or t in titles) >= len(items):
        return "progress", sum(1 for s, t in known if s != titles[t])
    return None, 0


def _is_status_word(text: str) -> bool:
    words = text.lower().split()
    return bool(words) and words[0] in STATUS_WORDS


def _preamble_section(lines, start, end, dropped, rel, diags) -> list[Planned]:
    """Text before the first section that is not a status list, kept as a section of its own."""
    kept = [lines[i] for i in range(start, end) if i not in dropped]
    if not any(line.strip() for line in kept):
        return []
    name = "前言" if _mostly_cjk("\n".join(kept)) else "Preface"
    line = next(i for i in range(start, end) if i not in dropped and lines[i].strip()) + 1
    diags.warning(rel, line, f"text before the first section belongs to no section; imported as a section '{name}'")
    return [Planned(name, f"# {name}\n\n" + "\n".join(kept).strip() + "\n", f"{rel}:{line}")]


# --- blog posts ------------------------------------------------------------------------------

UNDERSTOOD = ("title", "date", "description", "weight", "draft", "published")


@dataclass
class Post:
    index: int
    """Position on the command line, the last tie-breaker."""
    weight: int | None
    date: datetime.datetime | None
    section: Planned

    def order(self) -> tuple:
        far = datetime.datetime.max.replace(tzinfo=datetime.timezone.utc)
        return (not self.weight, self.weight or 0, self.date or far, self.index)


def read_post(path: Path, text: str, index: int, diags: Diagnostics, root: Path | None = None) -> Post | None:
    """One Hugo or Jekyll post as a section; None (with an error) when its front matter is unusable."""
    rel = str(path)
    data, body, body_line = _post_front_matter(text, rel, diags)
    if data is None:
        return None
    title = _text(data.get("title")) or _title_from_name(path)
    if not _text(data.get("title")):
        diags.warning(rel, 1, f"post has no title; the file name gives it: {title}")
    date = _date(data.get("date"), rel, diags) or _date_from_name(path)
    weight = data.get("weight")
    if weight is not None and (isinstance(weight, bool) or not isinstance(weight, int)):
        diags.warning(rel, 1, f"weight must be a whole number, got {weight!r}; ignored")
        weight = None
    draft = data.get("draft") is True or data.get("published") is False
    status = Status.EDITING if draft else Status.DONE
    extra = {k: _plain(v) for k, v in data.items() if k not in UNDERSTOOD or k == "date"}
    planned = Planned(title, "", f"{rel}:1", status)
    body = _post_body(body, body_line, title, path, planned, diags, root, data)
    planned.text = _post_text(title, status, _text(data.get("description")), extra, body)
    return Post(index, weight, date, planned)


def _post_front_matter(text: str, rel: str, diags: Diagnostics) -> tuple[dict | None, str, int]:
    if text.startswith("+++\n"):
        end = text.find("\n+++\n", 3)
        if end < 0:
            diags.error(rel, 1, "TOML front matter is not closed: add a line with +++ after it")
            return None, text, 1
        front, body, body_line = text[4 : end + 1], text[end + 5 :], text[: end + 5].count("\n") + 1
        try:
            return tomllib.loads(front), body, body_line
        except tomllib.TOMLDecodeError as exc:
            diags.error(rel, None, f"invalid TOML front matter: {exc}")
            return None, text, 1
    front, body, body_line = split_front_matter(text, rel, diags)
    if front is None:
        return None, text, 1
    try:
        data = yamlio.load(front)
    except yamlio.YamlProblem as exc:
        diags.error(rel, None if exc.line is None else exc.line + 1, exc.message)
        return None, text, 1
    if data is None:
        return {}, body, body_line
    if not isinstance(data, dict):
        diags.error(rel, 2, "front matter must be a mapping of keys such as title, date")
        return None, text, 1
    return data, body, body_line


def _text(value) -> str | None:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return " ".join(str(value).split()) or None
    return None


def _title_from_name(path: Path) -> str:
    return re.sub(r"^\d{4}-\d{2}-\d{2}-", "", path.stem).replace("-", " ").strip() or path.stem


def _date(value, rel: str, diags: Diagnostics) -> datetime.datetime | None:
    """Hugo and Jekyll dates (``2023-03-08T14:39:45+08:00``, ``2023-12-26 10:00:00 +0800``)."""
    if value is None:
        return None
    if isinstance(value, (datetime.datetime, datetime.date)):
        text = value.isoformat()
    else:
        text = str(value).strip()
        text = re.sub(r"\s+([+-]\d\d):?(\d\d)$", r"\1:\2", text).replace(" ", "T", 1).replace("Z", "+00:00")
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        diags.warning(rel, 1, f"date not understood: {value!r}; the post is ordered as if it had none")
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


def _date_from_name(path: Path) -> datetime.datetime | None:
    """Jekyll puts the date in the file name: ``2023-12-26-coscon.md``."""
    match = re.match(r"^(\d{4}-\d{2}-\d{2})-", path.name)
    if not match:
        return None
    try:
        return datetime.datetime.fromisoformat(match.group(1)).replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        return None


def _plain(value):
    """Front matter values as YAML can write them back (TOML dates become ISO text)."""
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


_MORE = re.compile(r"<!--\s*more\s*-->")


def _post_body(
    body: str,
    body_line: int,
    title: str,
    path: Path,
    planned: Planned,
    diags: Diagnostics,
    root: Path | None = None,
    front: dict | None = None,
) -> str:
    """The body with ``<!--more-->`` gone, a repeated title (a first heading of any level) dropped,
    headings below the title."""
    tokens = _PARSER.parse(body, {})
    code = _code_lines(tokens)
    lines = [line if i in code else _MORE.sub("", line) for i, line in enumerate(_clean(body.split("\n"), tokens))]
    lines = _site_lines(lines, code, body_line, path, root, diags, front or {})
    headings = _top_headings(tokens)
    if (
        headings
        and scaffold.plain_title(headings[0].raw) == title
        and not any(line.strip() for line in lines[: headings[0].start])
    ):
        for i in range(headings[0].start, headings[0].end):
            lines[i] = ""
        headings = headings[1:]
    if headings and min(h.level for h in headings) == 1:
        _shift_headings(lines, headings, 1)
    text = "\n".join(lines)
    return _local_images(text, body_line, path, planned, diags, root)


#: A page's own code, which VitePress (Vue) runs in the browser: ``<script setup>``, ``<style>``.
_PAGE_CODE = re.compile(r"^<(script|style)\b", re.IGNORECASE)
#: A marker the site generator replaces with the page's contents.
_TOC = re.compile(r"^\s*(\[\[toc\]\]|\[toc\])\s*$", re.IGNORECASE)
#: VitePress's code import: ``<<< @/snippets/a.js#region{1,2 ts:line-numbers} [title]``.
_CODE_IMPORT = re.compile(
    r"^<<<\s+(?P<path>[^\s#{\[]+)(?:#(?P<region>[\w-]+))?(?:\{(?P<options>[^}]*)\})?\s*(?:\[[^\]]*\])?\s*$"
)
#: Largest file a code import copies into a section.
MAX_CODE_IMPORT = 256 * 1024


def _site_lines(
    lines: list[str], code: set[int], body_line: int, path: Path, root: Path | None, diags, front: dict
) -> list[str]:
    """What only the site generator understands, made into what the report shows: a page's
    ``<script>`` and ``<style>`` blocks and ``[[toc]]`` left out (each with a warning), a
    code import (``<<< @/file``) copied in as a code block when it names a file inside the
    project, ``{{ $frontmatter.key }}`` replaced by the page's own value."""
    rel, kept, closing = str(path), [], None
    for i, line in enumerate(lines):
        number = body_line + i
        if i in code:
            kept.append(line)
        elif closing is not None:
            kept.append("")
            closing = None if closing in line.lower() else closing
        elif match := _PAGE_CODE.match(line):
            tag = match.group(1).lower()
            diags.warning(rel, number, f"<{tag}> block left out: a page's own code is not part of the report")
            closing = None if f"</{tag}>" in line.lower() else f"</{tag}>"
            kept.append("")
        elif _TOC.match(line):
            diags.warning(rel, number, f"{line.strip()} left out: the PDF and the HTML edition have their own contents")
            kept.append("")
        elif match := _CODE_IMPORT.match(line):
            kept.append(_code_import(match, path, root, rel, number, diags) or line)
        else:
            pieces = _CODE_SPAN.split(line)  # odd pieces are code spans, shown as written
            kept.append(
                "".join(
                    piece if k % 2 else _FRONT_VALUE.sub(lambda m: _front_value(m, front, rel, number, diags), piece)
                    for k, piece in enumerate(pieces)
                )
            )
    return kept


_CODE_SPAN = re.compile(r"(`+[^`]*`+)")
#: A Vue interpolation of the page's front matter: ``{{ $frontmatter.hero.text }}``.
_FRONT_VALUE = re.compile(r"\{\{\s*\$frontmatter((?:\.[\w-]+)+)\s*\}\}")


def _front_value(match: re.Match, front: dict, rel: str, line: int, diags) -> str:
    """The front matter value an interpolation names, when it is text or a number; else the
    interpolation as it was (with a warning)."""
    value = front
    for key in match.group(1).split(".")[1:]:
        value = value.get(key) if isinstance(value, dict) else None
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    diags.warning(rel, line, f"{match.group()} names no text in the page's front matter; kept as text")
    return match.group()


def _code_import(match: re.Match, page: Path, root: Path | None, rel: str, line: int, diags) -> str | None:
    """The fenced code block a VitePress code import stands for, or None (with a warning)."""
    target = match["path"]
    top = root or page.parent
    if target.startswith("@/"):
        base = next(
            (d for d in [page.parent, *page.parents] if (d / ".vitepress").is_dir() and d.is_relative_to(top)), top
        )
        target = target[2:]
    else:
        base = page.parent
    file = plain_file(base / unquote(target), top)
    if file is None or file.stat().st_size > MAX_CODE_IMPORT:
        why = "is not a file inside the project" if file is None else "is larger than 256 kB"
        diags.warning(rel, line, f"code import {match['path']} {why}; the line is kept as text")
        return None
    text = decode(file.read_bytes(), str(file), diags)
    if text is None:  # not UTF-8: `decode` said so
        return None
    if match["region"]:
        text = _region(text, match["region"])
        if text is None:
            diags.warning(rel, line, f"code import {match['path']}: no '#region {match['region']}' in it; kept as text")
            return None
    words = [w.split(":")[0] for w in (match["options"] or "").split()]
    language = next((w for w in words if re.fullmatch(r"[A-Za-z][\w+#-]*", w)), file.suffix.lstrip("."))
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", text)), default=0))
    return f"{fence}{language}\n{text.rstrip()}\n{fence}"


def _region(text: str, name: str) -> str | None:
    """The lines between ``#region NAME`` and its ``#endregion`` (in any comment style)."""
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines) if re.search(rf"#region\s+{re.escape(name)}\b", line)), None)
    if start is None:
        return None
    end = next((i for i in range(start + 1, len(lines)) if "#endregion" in lines[i]), len(lines))
    return "\n".join(lines[start + 1 : end])


def _post_text(
    title: str, status: Status, description: str | None, extra: dict, body: str, keys: dict | None = None
) -> str:
    """A section file: front matter (reportgen's own ``keys``, the rest under ``extra:``), title, lead, body."""
    front = {**(keys or {}), **({"extra": extra} if extra else {})}
    front = (
        "---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=1000) + "---\n\n" if front else ""
    )
    lead = "".join(f"> {line}\n" for line in description.splitlines()) + "\n" if description else ""
    return f"{front}# {MARK[status]}{title}\n\n{lead}{body.strip()}\n"


# --- local images ---


def _local_images(
    text: str, body_line: int, path: Path, planned: Planned, diags: Diagnostics, root: Path | None = None
) -> str:
    """Copy local images into ``assets/images/`` and point the references there.

    Images are looked for beside the file and in the site-root folders, never
    outside ``root`` (the project folder; for a single file, its site's folder)
    and never through a symbolic link."""
    root = root or site_root(path)
    for line, src in _image_sources(text):
        if not src or urlsplit(src).scheme or src.startswith("//"):
            continue
        line = body_line + line
        origin = find_image(path, unquote(src), root)
        if origin is None and src.startswith("../assets/"):
            continue  # already where the report keeps its images
        asset = _asset_name(Path(unquote(src)).name, origin, planned)
        planned.images[asset] = origin
        if origin is None:
            diags.warning(
                str(path),
                line,
                f"image not found: {src} (looked beside the file and in the site-root "
                f"folders inside {root}); put it at {asset} in the report — the build warns until it is there",
            )
        text = _replace_target(text, src, "../" + link_path(asset))
    return text


_HTML_IMG = re.compile(r"""<img\b[^>]*?\ssrc\s*=\s*(["'])(.*?)\1""", re.IGNORECASE | re.DOTALL)


def _image_sources(text: str) -> list[tuple[int, str]]:
    """(0-based line, src) of each image: Markdown images and HTML ``<img>`` tags, outside code."""
    tokens = _PARSER.parse(text, {})
    found = [
        (token.map[0] if token.map else 0, child.attrGet("src"))
        for token in tokens
        for child in token.children or []
        if child.type == "image"
    ]
    code = _code_lines(tokens)
    for match in _HTML_IMG.finditer(text):
        line = text.count("\n", 0, match.start())
        if line not in code:
            found.append((line, match.group(2)))
    return found


#: Files that mark the top of a site: a single imported file's images may come from anywhere below it.
SITE_MARKERS = (
    ".git",
    "book.toml",
    "mkdocs.yml",
    "SUMMARY.md",
    "config.toml",
    "hugo.toml",
    "_config.yml",
    "package.json",
    "static",
    "public",
)


def site_root(path: Path) -> Path:
    """The folder of the site ``path`` belongs to (a few levels up at most), else its own folder."""
    for folder in [path.parent, *path.parent.parents][:5]:
        if any((folder / marker).exists() for marker in SITE_MARKERS):
            return folder
    return path.parent


def find_image(page: Path, src: str, root: Path) -> Path | None:
    """The image beside the page, or in a site-root folder (``public/``, ``static/`` …) inside ``root``.

    Only images are found, and only inside ``root``: a path that climbs out of it
    (``../../../../etc/passwd``), a symbolic link or a hard link is never copied into the report."""
    from reportgen.load.config import PUBLIC_FOLDERS

    relative = src.lstrip("/")
    if not relative.lower().endswith(IMAGE_SUFFIXES):
        return None
    folders = [page.parent, *page.parent.parents]
    folders = folders[: folders.index(root) + 1] if root in folders else [page.parent]
    candidates = [] if src.startswith("/") else [page.parent / src]
    candidates += [root / public / relative for public in PUBLIC_FOLDERS]
    candidates += [c for folder in folders for c in (folder / "static" / relative, folder / relative)]
    return next((found for c in candidates if (found := plain_file(c, root)) is not None), None)


def plain_file(path: Path, root: Path) -> Path | None:
    """``path`` when it is a regular file inside ``root`` reached through no symbolic link,
    with no second (hard) link (`confine.inside`)."""
    top = Path(os.path.abspath(root))
    try:
        parts = Path(os.path.abspath(path)).relative_to(top).parts
    except ValueError:
        return None
    current = top
    for part in parts:
        current = current / part
        if current.is_symlink():
            return None
    return current if confine.inside(top, current) is not None else None


def _asset_name(name: str, origin: Path | None, planned: Planned) -> str:
    """``assets/images/<name>``, numbered when another image of this import has that name."""
    asset, n = f"assets/images/{name}", 2
    while asset in planned.images and planned.images[asset] != origin:
        asset = f"assets/images/{Path(name).stem}-{n}{Path(name).suffix}"
        n += 1
    return asset


def _replace_target(text: str, src: str, new: str) -> str:
    for raw in dict.fromkeys((src, unquote(src))):
        text = re.sub(
            r"(\]\(\s*<?|\]:\s*<?)" + re.escape(raw) + r"(?=[\s)>#]|$)",
            lambda m: m.group(1) + new,
            text,
            flags=re.MULTILINE,
        )
        text = re.sub(
            r"(<img\b[^>]*?\ssrc\s*=\s*[\"'])" + re.escape(raw) + r"(?=[\"'])",
            lambda m: m.group(1) + new,
            text,
            flags=re.IGNORECASE,
        )
    return text


def link_path(path: str) -> str:
    """``path`` as a Markdown link target: only what would end or break the target is escaped,
    so ``图 2.png`` stays readable as ``图%202.png``."""
    return re.sub(r"[\s%()<>\[\]\"']", lambda m: quote(m.group()), path)


def relink(sections: list[Planned], paths: list[str]) -> None:
    """Links between the pages of an imported folder follow the pages to their new files."""
    files = {s.file.resolve(): Path(p).name for s, p in zip(sections, paths) if s.file is not None}
    for section in sections:
        if section.file is None:
            continue
        for href in _link_targets(section.text):
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path or parts.path.startswith("/"):
                continue
            base = section.file.parent / unquote(parts.path)
            tries = [base, base.with_suffix(".md"), base / "README.md", base / "index.md"]
            target = next((files[t.resolve()] for t in tries if t.resolve() in files), None)
            if target is not None:
                section.text = _replace_target(section.text, href.split("#")[0], link_path(target))


def _link_targets(text: str) -> list[str]:
    tokens = _PARSER.parse(text, {})
    return [
        child.attrGet("href")
        for token in tokens
        for child in token.children or []
        if child.type == "link_open" and child.attrGet("href")
    ]


# --- naming the files and report.yaml ---------------------------------------------------------------


def plan_paths(sections: list[Planned], into: Path) -> list[str]:
    """A path for each section: the existing file with its title, else the next number."""
    existing = _existing_sections(into)
    numbers = [n for p in existing if (n := scaffold.section_number(p)) is not None]
    following = max(numbers, default=0) + 1
    width = max(scaffold.number_width(existing), len(str(following + len(sections))))
    used: set[str] = set()
    paths = []
    for section in sections:
        title = scaffold.plain_title(section.title)
        match = next((p for p, t in existing.items() if t == title and p not in used), None)
        if match is None:
            match = f"sections/{following:0{width}d}-{scaffold.slug(section.title) or scaffold.FALLBACK_SLUG}.md"
            following += 1
        used.add(match)
        paths.append(match)
    return paths


def _existing_sections(into: Path) -> dict[str, str]:
    """Section files already in the source (listed or on disk) → their plain titles."""
    paths = set(_listed(into))
    if (into / "sections").is_dir():
        paths |= {p.relative_to(into).as_posix() for p in (into / "sections").rglob("*.md")}
    return {p: _file_title(into / p) for p in sorted(paths) if (into / p).is_file()}


def _listed(into: Path) -> list[str]:
    try:
        data = yamlio.load((into / MANIFEST).read_text(encoding="utf-8-sig"))
    except (OSError, yamlio.YamlProblem):
        return []
    listed = data.get("sections") if isinstance(data, dict) else None
    items = (
        [p for item in listed for p in (item.get("sections") or [] if isinstance(item, dict) else [item])]
        if isinstance(listed, list)
        else []
    )
    return [p for p in items if isinstance(p, str)]


def _file_title(path: Path) -> str:
    text = path.read_text(encoding="utf-8-sig", errors="replace").replace("\r\n", "\n")
    heading = re.search(r"^#(?!#)\s*(.+)$", re.sub(r"\A---\n.*?\n-{3,}\n", "", text, flags=re.DOTALL), re.MULTILINE)
    if heading:
        return scaffold.plain_title(heading.group(1))
    front = re.search(r"^title:\s*['\"]?(.+?)['\"]?\s*$", text, re.MULTILINE)
    return front.group(1) if front else path.stem


def _write_manifest(into: Path, result: ImportResult, reading: Reading, title: str | None, year: int | None) -> None:
    path = into / MANIFEST
    if path.is_file():
        if title or year:
            result.notes.append(f"--title and --year apply to a new report.yaml; {path} is kept as it is")
        text = path.read_text(encoding="utf-8-sig")
        listed = set(_listed(into))
        new = [p for p in result.paths if p not in listed]
        if not new:
            result.notes.append(f"{path} already lists every imported section")
            return
        try:
            output.write_text(path, scaffold.insert_sections(text, new))
        except scaffold.ManifestEditError as exc:
            result.diagnostics.error(MANIFEST, exc.line, exc.message)
            return
        result.written.append(path)
        result.notes.append(f"{path}: listed {len(new)} new section(s) at the end of 'sections:'")
        return
    bodies = (re.sub(r"\A---\n.*?\n---\n", "", s.text, flags=re.DOTALL) for s in reading.sections)
    language = reading.language or ("zh-CN" if _mostly_cjk("\n".join(bodies)) else "en")
    year = year or _guess_year(reading, title, result)
    chinese = language.lower().startswith("zh")
    title = title or reading.title or (f"{year} 年度报告" if chinese else f"Annual report {year}")
    if not reading.title:
        result.notes.append(f"report title set to '{title}': no title line in the input; change it in report.yaml")
    languages = [language, *sorted({tag for s in reading.sections for tag in s.translations})]
    output.write_text(
        path,
        scaffold.manifest_text(
            title,
            year,
            language,
            _grouped(reading.sections, result.paths),
            languages=languages if len(languages) > 1 else None,
        ),
    )
    result.written.append(path)


def _grouped(sections: list[Planned], paths: list[str]) -> list:
    """The section list of report.yaml: paths, and (part, paths) for each run of sections in one part."""
    entries: list = []
    for planned, path in zip(sections, paths):
        if planned.part is None:
            entries.append(path)
        elif entries and isinstance(entries[-1], tuple) and entries[-1][0] == planned.part:
            entries[-1][1].append(path)
        else:
            entries.append((planned.part, [path]))
    return entries


def _guess_year(reading: Reading, title: str | None, result: ImportResult) -> int:
    years = _years(title or reading.title or "") or reading.years
    if years:
        counts = collections.Counter(years)
        return max(counts, key=lambda y: (counts[y], y))  # on a tie, the later year
    today = datetime.date.today().year
    result.notes.append(f"year set to {today}: none found in the title or the post dates; change it in report.yaml")
    return today


_URL = re.compile(r"\S+://\S+|\]\([^)]*\)")


def _mostly_cjk(text: str) -> bool:
    """True when most words are CJK characters (URLs left out of the count)."""
    text = _URL.sub(" ", text)
    cjk = len(re.findall(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f]", text))
    return cjk > 0 and cjk >= word_count(text) - cjk


# --- the command -----------------------------------------------------------------------------------


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--into",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The report source folder to create or extend.",
)
@click.option("--force", is_flag=True, help="Overwrite files that exist already.")
@click.option("--title", help="Report title for a new report.yaml [default: the document's title line].")
@click.option(
    "--year",
    type=int,
    callback=scaffold.check_year,
    help="Report year for a new report.yaml [default: from the title or the post dates].",
)
def import_command(files: tuple[Path, ...], into: Path, force: bool, title: str | None, year: int | None) -> None:
    """Import a Markdown document (one section per top-level heading), Hugo/Jekyll posts,
    or a whole project folder (GitBook, mdBook, MkDocs, Hugo, VitePress) into a report.

    A document keeps its statuses from the markers in its headings; its title
    line becomes the report title; the legend and progress list are dropped.
    A post becomes one section: ✅ done when published, ✍️ editing when
    'draft: true'; posts are ordered by weight, then date.  Existing files
    are skipped unless --force.
    """
    if into.exists() and not into.is_dir():
        raise ReportError(f"{into}: error: exists and is not a folder")
    try:
        result = import_files(list(files), into, force, title, year)
    except OSError as exc:
        raise ReportError(f"{exc.filename or into}: error: cannot write: {exc.strerror}") from None
    for diagnostic in result.diagnostics.items:
        click.echo(str(diagnostic), err=True)
    if result.diagnostics.errors:
        click.echo("import stopped: nothing was written" if not result.written else "import incomplete", err=True)
        raise SystemExit(1)
    _summary(result, into)


def _summary(result: ImportResult, into: Path) -> None:
    for path in result.written:
        label = result.labels.get(path)
        click.echo(f"wrote {path}" + (f"  ({label})" if label else ""), err=True)
    for path in result.skipped:
        click.echo(f"skipped {path}: exists already (--force overwrites it)", err=True)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    _check_result(into)


def _check_result(into: Path) -> None:
    """Read the result as the build will, and say what it found."""
    from reportgen.load.reader import load_report

    diags = Diagnostics()
    report = load_report(into, diags)
    if report is None:
        return
    units = [u for s in report.sections for u in s.units()]
    counts = collections.Counter(u.own_status for u in units)
    marks = ", ".join(f"{MARK[s]} {counts[s]} {s.value}" for s in (Status.EDITING, Status.REVIEWING, Status.DONE))
    click.echo(f"{into}: {len(report.sections)} section(s), {len(units)} unit(s) with a status ({marks})", err=True)
    for diagnostic in diags.errors:
        click.echo(f"to fix before building: {diagnostic}", err=True)
    if diags.warnings:
        click.echo(f"{len(diags.warnings)} warning(s): see `reportgen check {into}`", err=True)

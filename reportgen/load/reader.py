"""Reading a report source: manifest, section files, front matter, heading tree.

`load_report` is the edge of the pipeline: after it, every section is a typed
`Section` with its tokens parsed once and its headings and units known, and
every problem found on the way is a diagnostic with a file line.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import threading
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from markdown_it import MarkdownIt
from markdown_it.token import Token

from reportgen.errors import Diagnostic, Diagnostics
from reportgen.load import confine, paths, yamlio
from reportgen.load.config import load_manifest
from reportgen.model import STATUS_WORDS, FrontMatter, Heading, Manifest, Report, Section, Status, frozen_mapping
from reportgen.render.cjk import stray_spaces
from reportgen.render.markdown import (
    LABEL_ID,
    MAX_NESTING,
    TRANSPARENT,
    ChartRef,
    HeadingRef,
    LinkRef,
    TableRef,
    make_parser,
    ref,
    set_ref,
    slugify,
    word_count,
)
from reportgen.render.rawhtml import RawRef

FRONT_MATTER_KEYS = ("title", "status", "owner", "reviewers", "due", "id", "owners", "extra", "translator", "source")
SECTION_ID = re.compile(r"^[\w][\w.-]*$")
MAX_ID = 200
"""Bytes a section id may have: it names ``ID.html`` and temporary files beside it, within 255."""
RESERVED_IDS = frozenset({"index", "search", "assets", "pagefind", "report"})


def load_report(source: Path, diags: Diagnostics, cache: "ParseCache | None" = None) -> Report | None:
    """The whole source as a `Report`, or None when the manifest is unusable.

    With a `ParseCache`, a section whose file and manifest are as in an earlier build
    is that build's `Section`, with the diagnostics its reading gave then."""
    source = Path(source)
    manifest = load_manifest(source, diags)
    if manifest is None:
        return None
    cache = cache or ParseCache()
    paths = _section_paths(source, manifest, diags)
    sections = [s for p in paths if (s := cache.section(source, p, manifest, diags))]
    _check_ids(sections, diags)
    report = Report(source=source, manifest=manifest, sections=tuple(sections))
    check_links(report, diags)
    return report


class ParseCache:
    """Sections read by earlier builds of one process (`reportgen serve` keeps one), reused
    while the file's bytes and the manifest are the same.

    Reading a section also looks at other files: the images and files its links name, its
    charts' data.  So whoever keeps the cache must say what changed before the next build
    (`changed`): an edit of a section file forgets nothing (the entries are keyed on the
    bytes), any other change, or a section file gone, forgets every section.  A section is
    also read again when a file it shows or links to has changed since (a folder the
    keeper does not watch).  Nothing later in the pipeline changes a `Section`, so one can
    be handed to build after build."""

    def __init__(self) -> None:
        self._sections: dict[tuple[str, str], tuple[str, Manifest, Section, tuple[Diagnostic, ...], tuple]] = {}
        """(source, path) → the digest of the bytes read, the manifest, the section, its
        diagnostics, and the size and time of each file it shows or links to."""
        self._parsers: dict[tuple, MarkdownIt] = {}
        self._files: set[str] = set()
        self._generation = 0
        self._lock = threading.Lock()

    def changed(self, paths) -> None:
        """Files that were saved, made or removed since the last build (absolute paths)."""
        with self._lock:
            if not all(str(Path(path).resolve()) in self._files and Path(path).is_file() for path in paths):
                self._sections.clear()
                self._generation += 1

    def section(self, source: Path, rel: str, manifest: Manifest, diags: Diagnostics) -> Section | None:
        """The section at ``rel``, read now or as an earlier build read it."""
        raw = _section_bytes(source, rel, manifest, diags)
        if raw is None:
            return None
        key, digest = (str(source), rel), hashlib.sha256(raw).hexdigest()
        with self._lock:
            generation, known = self._generation, self._sections.get(key)
            parser = self._parsers.get(tuple(manifest.markers.items()))
        if known is not None and known[0] == digest and known[1] == manifest and known[4] == _files_of(known[2]):
            diags.extend(Diagnostics(list(known[3])))
            return known[2]
        if parser is None:
            parser = make_parser(manifest.markers)
        own = Diagnostics()
        section = read_section(source, rel, manifest, parser, own, raw=raw)
        diags.extend(own)
        with self._lock:
            self._parsers[tuple(manifest.markers.items())] = parser
            if section is not None and generation == self._generation:  # nothing changed while it was read
                self._sections[key] = (digest, manifest, section, tuple(own.items), _files_of(section))
                self._files.add(str((source / rel).resolve()))
        return section


def _files_of(section: Section) -> tuple:
    """Size and modification time of every file inside the source the section shows, links
    to or draws a chart from."""
    found = []
    charts = {chart.spec.source for t in section.tokens if (chart := ref(t, ChartRef)) and chart.spec}
    for target in sorted(set(section.env.get("assets", ())) | (charts - {None})):
        try:
            stat = (Path(section.env["root"]) / target).stat()
            found.append((target, stat.st_size, stat.st_mtime_ns))
        except OSError:
            found.append((target, None, None))
    return tuple(found)


def _section_paths(source: Path, manifest: Manifest, diags: Diagnostics) -> list[str]:
    root = source.resolve()
    paths = []
    for rel in manifest.sections:
        full = (source / rel).resolve()
        line = manifest.section_lines.get(rel)
        if not full.is_relative_to(root):
            diags.error("report.yaml", line, f"section outside the report folder: {rel}")
        elif not full.is_file():
            diags.error("report.yaml", line, f"listed section file not found: {rel}")
        elif confine.inside(root, full) is None:
            diags.error("report.yaml", line, f"section file cannot be read ({confine.why_not(root, full)}): {rel}")
        else:
            paths.append(rel)
    listed = set(manifest.sections) | {
        translation_rel(manifest, rel, lang.tag) for rel in manifest.sections for lang in manifest.translations
    }
    for path in sorted((source / "sections").rglob("*.md")) if (source / "sections").is_dir() else []:
        rel = path.relative_to(source).as_posix()
        if rel not in listed:
            diags.error(
                rel, None, "section file is not listed in report.yaml 'sections'; add it there or remove the file"
            )
    return paths


def translation_rel(manifest: Manifest, rel: str, tag: str) -> str:
    """Where the translation into ``tag`` of the section at ``rel`` lives (``translations.path``)."""
    path = Path(rel)
    folder = path.parent.as_posix()
    made = manifest.translation_path.format(dir=folder, lang=tag, name=path.name, stem=path.stem)
    return made.removeprefix("./")


def read_section(
    source: Path, rel: str, manifest: Manifest, md: MarkdownIt, diags: Diagnostics, raw: bytes | None = None
) -> Section | None:
    """One section file (its bytes ``raw`` when already read), parsed; None when it cannot be read at all."""
    raw = raw if raw is not None else _section_bytes(source, rel, manifest, diags)
    if raw is None:
        return None
    text = decode(raw, rel, diags)
    if text is None:
        return None
    front_text, body, body_line = split_front_matter(text, rel, diags)
    front = read_front_matter(front_text, rel, diags) if front_text is not None else FrontMatter()
    env = {"root": str(source), "dir": str(Path(rel).parent.as_posix()), "public": manifest.public}
    tokens = md.parse(body, env)
    for line, severity, message in env.pop("problems", []):
        getattr(diags, severity)(rel, _file_line(body_line, line), message)
    if not manifest.remote_fetch:
        for line, url, _token in env.get("remote_images", []):
            diags.warning(
                rel,
                _file_line(body_line, line),
                f"remote image not fetched: {url} "
                "(a placeholder is shown; remote: {fetch: true} in report.yaml fetches it)",
            )
    _read_charts(tokens, source, rel, body_line, diags, manifest)
    _check_nesting(tokens, rel, body_line, diags)
    _flatten_deep_inline(tokens, rel, body_line, diags)
    _check_spaces(tokens, rel, body_line, diags)
    sid = front.id or section_id(rel)
    root = build_tree(tokens, front, rel, body_line, _file_title(rel), diags)
    section = Section(
        id=sid,
        path=rel,
        front=front,
        body=body,
        body_line=body_line,
        tokens=tokens,
        env=env,
        root=root,
        digest=hashlib.sha256(raw).hexdigest(),
    )
    _check_units(section, manifest, diags)
    return section


def _section_bytes(source: Path, rel: str, manifest: Manifest, diags: Diagnostics) -> bytes | None:
    path = source / rel
    size = path.stat().st_size
    if size > manifest.max_file_size:
        diags.error(
            rel,
            None,
            f"file is {size:,} bytes, over the limit of {manifest.max_file_size:,} "
            "(limits.max_file_size in report.yaml); refused before parsing",
        )
        return None
    return path.read_bytes()


#: File names that stand for their folder (GitBook, mdBook, VitePress, Hugo).
FOLDER_PAGES = ("readme", "index", "_index")


def section_id(rel: str) -> str:
    """The id of the section at ``rel``: its path relative to the source, readable and stable.

    ``sections/01-intro.md`` → ``01-intro`` (the usual folder is left out),
    ``guide/start.md`` → ``guide-start``, ``guide/README.md`` → ``guide``; a
    README or index at the top is ``home``.  So folder pages of a site never collide."""
    parts = list(PurePosixPath(rel).with_suffix("").parts)
    if len(parts) > 1 and parts[0] == "sections":
        parts = parts[1:]
    if parts and parts[-1].lower() in FOLDER_PAGES:
        parts = parts[:-1]
    text = re.sub(r"[^\w.-]+", "-", "-".join(parts)).strip("-.")
    return text or "home"


def _file_title(rel: str) -> str:
    """What a file's name says its title is: the folder's name for a README or index."""
    path = PurePosixPath(rel)
    if path.stem.lower() in FOLDER_PAGES and path.parent.name and path.parent.name != "sections":
        return path.parent.name
    return path.stem


def _read_charts(
    tokens: list[Token], source: Path, rel: str, body_line: int, diags: Diagnostics, manifest: Manifest
) -> None:
    """Read every ```chart block's spec now, so `check` finds its mistakes without drawing."""
    from reportgen.render.charts import ChartError, DataLimits, parse_chart

    limits = DataLimits(manifest.max_chart_rows, manifest.max_chart_data)
    for token in tokens:
        if token.type == "fence" and token.info.strip().split(" ")[0] == "chart":
            line = _file_line(body_line, token.map[0] + 1)
            try:
                set_ref(token, ChartRef(parse_chart(token.content, source, limits)))
            except ChartError as exc:
                diags.error(rel, line + (exc.line or 0), f"chart: {exc.message}")


def _check_nesting(tokens: list[Token], rel: str, body_line: int, diags: Diagnostics) -> None:
    """Markdown nested deeper than the parser follows is dropped: say where, once."""
    deep = next((t for t in tokens if t.level >= MAX_NESTING - 2 and t.map), None)
    if deep is not None:
        diags.warning(
            rel,
            _file_line(body_line, deep.map[0] + 1),
            f"lists or quotes nested more than {MAX_NESTING - 2} deep; the text below this depth is not shown",
        )


def _check_spaces(tokens: list[Token], rel: str, body_line: int, diags: Diagnostics) -> None:
    """Warn at each stray space in Chinese text (between Han characters, after a
    full-width mark): the outputs drop it, the source should not have it."""
    for token in tokens:
        if token.type != "inline" or not token.map or not token.children:
            continue
        line, before = token.map[0] + 1, ""
        for child in token.children:
            if child.type in ("softbreak", "hardbreak"):
                line, before = line + 1, ""
                continue
            if child.type == "text":
                for start, end in stray_spaces(child.content, before):
                    where = child.content[max(0, start - 4) : end + 4]
                    diags.warning(
                        rel,
                        _file_line(body_line, line),
                        f"stray space in Chinese text: '{where}' (the PDF and HTML leave it out; "
                        "delete it in the source)",
                    )
            if child.type in ("text", "code_inline"):
                before = child.content[-1:]
            elif child.type not in TRANSPARENT:
                before = ""


MAX_INLINE = 40
"""Emphasis, strikethrough and links nested deeper than this are shown as plain text: thousands of
nested ``*a _b`` made the typesetter recurse past Python's limit (RecursionError)."""


def _flatten_deep_inline(tokens: list[Token], rel: str, body_line: int, diags: Diagnostics) -> None:
    for token in tokens:
        if token.type != "inline" or not token.children:
            continue
        kept, opened, dropped = [], [], False
        for child in token.children:
            if child.nesting == 1:
                opened.append(len(opened) >= MAX_INLINE)
                dropped |= opened[-1]
                if opened[-1]:
                    continue
            elif child.nesting == -1 and opened and opened.pop():
                continue
            kept.append(child)
        if dropped:
            token.children = kept
            diags.warning(
                rel,
                _file_line(body_line, token.map[0] + 1) if token.map else None,
                f"emphasis or links nested more than {MAX_INLINE} deep; the deeper ones are shown as plain text",
            )


def decode(raw: bytes, rel: str, diags: Diagnostics) -> str | None:
    """UTF-8 text with BOM dropped, CRLF made LF and a final newline."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        diags.error(rel, line, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8")
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text if text.endswith("\n") else text + "\n"


def split_front_matter(text: str, rel: str, diags: Diagnostics) -> tuple[str | None, str, int]:
    """(front matter text or None, body, line of the file where the body starts)."""
    if not text.startswith("---\n"):
        return None, text, 1
    lines = text.split("\n")
    for i, line in enumerate(lines[1:], start=1):
        stripped = line.rstrip()
        if stripped in ("---", "..."):
            return "\n".join(lines[1:i]) + "\n", "\n".join(lines[i + 1 :]), i + 2
        if re.fullmatch(r"-{4,}", stripped):
            diags.warning(rel, i + 1, "front matter closed by a longer row of dashes; use exactly ---")
            return "\n".join(lines[1:i]) + "\n", "\n".join(lines[i + 1 :]), i + 2
    diags.error(rel, 1, "front matter is not closed: add a line with --- after it")
    return None, text, 1


def read_front_matter(text: str, rel: str, diags: Diagnostics) -> FrontMatter:
    """Checked front matter; a bad key is reported and left out, never fatal."""
    try:
        data = yamlio.load(text, offset=1)  # front matter starts on the file's second line
    except yamlio.YamlProblem as exc:
        diags.error(rel, exc.line, exc.message)
        return FrontMatter()
    if data is None:
        return FrontMatter()
    if not isinstance(data, dict):
        diags.error(rel, 2, "front matter must be a mapping of keys such as title, owner, status")
        return FrontMatter()
    lines = {k: v + 1 for k, v in yamlio.key_lines(text).items()}
    return _FrontMatterReader(data, lines, rel, diags, yamlio.raw_scalars(text)).read()


class _FrontMatterReader:
    def __init__(self, data: dict, lines: dict[str, int], rel: str, diags: Diagnostics, raw: dict[str, str]):
        self.data, self.lines, self.rel, self.diags, self.raw = data, lines, rel, diags, raw

    def error(self, key: str, message: str) -> None:
        self.diags.error(self.rel, self.lines.get(str(key)), message)

    def read(self) -> FrontMatter:
        for key in self.data:
            if key not in FRONT_MATTER_KEYS:
                # Front matter of other tools (tags:, Author:, layout: …) is kept, not refused.
                self.diags.warning(
                    self.rel,
                    self.lines.get(str(key)),
                    f"front matter key '{key}' is not one of reportgen's "
                    f"({', '.join(FRONT_MATTER_KEYS)}); kept under 'extra'",
                )
        return FrontMatter(
            title=self.string("title"),
            status=self.status(),
            owner=self.string("owner"),
            reviewers=self.reviewers(),
            due=self.date("due"),
            id=self.section_id(),
            owners=self.owners(),
            extra=self.extra(),
            translator=self.string("translator"),
            synced=self.synced(),
        )

    def string(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool):
            word = "yes/no/on/off/true/false"
            self.error(
                key, f"'{key}' must be text, but YAML read it as {str(value).lower()} ({word}); quote it: {key}: \"…\""
            )
            return None
        if isinstance(value, (int, float)):
            return self.raw.get(key, str(value))  # as typed: 'title: 3.10' is not 3.1
        if not isinstance(value, str):
            self.error(key, f"'{key}' must be text, got a {type(value).__name__}")
            return None
        return value.strip() or None

    def status(self) -> Status | None:
        value = self.data.get("status")
        if value is None:
            return None
        status = STATUS_WORDS.get(str(value).strip().lower()) if isinstance(value, str) else None
        if status is None:
            self.error("status", f"unknown status {value!r} (allowed: {', '.join(STATUS_WORDS)})")
        return status

    def reviewers(self) -> tuple[str, ...]:
        value = self.data.get("reviewers")
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        self.error("reviewers", "'reviewers' must be a list of names; quote names YAML could misread")
        return ()

    def date(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None:
            return None
        try:
            return datetime.date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            self.error(key, f"'{key}' must be a date as YYYY-MM-DD, got {value!r}")
            return None

    def section_id(self) -> str | None:
        value = self.string("id")
        if value is not None and not SECTION_ID.match(value):
            self.error("id", f"id {value!r} may hold only letters, digits, '-', '_' and '.'")
            return None
        if value is not None and (wrong := _id_problem(value)) is not None:
            self.error("id", f"id {paths.shown(value)!r} cannot name the section's page: {wrong}")
            return None
        return value

    def owners(self) -> dict[str, str]:
        value = self.data.get("owners")
        if value is None:
            return {}
        if isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            return {k.strip(): v.strip() for k, v in value.items()}
        self.error("owners", "'owners' maps heading titles to owner names, both as text")
        return {}

    def synced(self) -> dict:
        """A translation's ``source:`` record: ``{commit: …, units: {anchor: hash}}``."""
        value = self.data.get("source")
        if value is None:
            return {}
        units = value.get("units", {}) if isinstance(value, dict) else None
        commit = value.get("commit") if isinstance(value, dict) else None
        if (
            not isinstance(units, dict)
            or not all(isinstance(k, str) and isinstance(v, str) for k, v in units.items())
            or not isinstance(commit, (str, type(None)))
        ):
            self.error(
                "source",
                "'source' is written by `reportgen translate sync`: "
                "{commit: …, units: {anchor: hash}}; run that command instead of editing it",
            )
            return {}
        return {"units": frozen_mapping(units), "commit": commit}

    def extra(self) -> dict:
        """The ``extra:`` mapping, and every key of another tool beside it."""
        value = self.data.get("extra")
        others = {str(k): v for k, v in self.data.items() if k not in FRONT_MATTER_KEYS}
        if value is None:
            return others
        if isinstance(value, dict):
            return {**value, **others}
        self.error("extra", "'extra' must be a mapping")
        return others


def _file_line(base: int, line: int | None) -> int | None:
    return None if line is None else base + line - 1


# --- the heading tree -----------------------------------------------------------


def build_tree(
    tokens: list[Token], front: FrontMatter, rel: str, body_line: int, stem: str, diags: Diagnostics
) -> Heading:
    """The file's top heading with every heading below it, units and words filled in.

    Each `Heading` is made once, its children first: everything it holds (token range,
    words, owner) is known before it is constructed."""
    _ensure_top_heading(tokens, front, stem, rel, body_line, diags)
    found = _headings(tokens, body_line)
    root_status = front.status if front.status is not None else found[0].own_status
    if root_status is None and not any(f.own_status for f in found[1:]):
        root_status = Status.UNMARKED  # a file with no status anywhere is one unmarked unit
    found[0] = replace(found[0], own_status=root_status)
    children: list[list[int]] = [[] for _ in found]
    stack = [0]
    for i in range(1, len(found)):
        while len(stack) > 1 and found[stack[-1]].level >= found[i].level:
            stack.pop()
        children[stack[-1]].append(i)
        stack.append(i)
    body_end = next((i for i, t in enumerate(tokens) if t.type == "footnote_block_open"), len(tokens))
    own = _count_words(tokens, [f.index for f in found], body_end)

    def make(i: int, end: int, parent_owner: str | None) -> Heading:
        f = found[i]
        owner = front.owners.get(f.title) or parent_owner or (front.owner if parent_owner is None else None)
        # Each child's range runs to its next sibling (or its parent's end).
        ends = [found[k].index for k in children[i][1:]] + [end]
        below = tuple(make(k, e, owner) for k, e in zip(children[i], ends))
        return Heading(
            level=f.level,
            title=f.title,
            anchor=f.anchor,
            line=f.line,
            own_status=f.own_status,
            owner=owner,
            due=front.due,
            words=own[i] + sum(c.words for c in below),
            token_range=(f.index, end),
            children=below,
        )

    root = make(0, body_end, None)
    for heading in root.walk():
        opening = tokens[heading.token_range[0]]
        set_ref(opening, replace(ref(opening, HeadingRef) or HeadingRef(), heading=heading))
    return root


def _ensure_top_heading(tokens, front, stem, rel, body_line, diags) -> None:
    """Exactly one h1 opens the token list: synthesise it from the title, demote extra ones."""
    starts_with_h1 = bool(tokens) and tokens[0].type == "heading_open" and tokens[0].tag == "h1"
    first = next((i for i, t in enumerate(tokens) if t.type == "heading_open" and t.level == 0), None)
    if not starts_with_h1 and front.title is None and first is not None:
        # A page of a site often opens with text or a '##': its first heading is its title.
        heading = tokens[first]
        diags.warning(
            rel,
            _file_line(body_line, heading.map[0] + 1) if heading.map else None,
            f"no '#' heading opens the file; its first heading (level {heading.tag[1]}) is the title",
        )
        tokens[0:0] = tokens[first : first + 3]
        del tokens[first + 3 : first + 6]
        tokens[0].tag = tokens[2].tag = "h1"
    elif not starts_with_h1:
        title = front.title or stem
        if front.title is None:
            diags.warning(
                rel,
                body_line,
                f"no heading in the file and no 'title:' in its front matter; its title is the file name: {title}",
            )
        opening = Token("heading_open", "h1", 1, block=True)
        opening.attrSet("id", slugify(title))
        inline = Token("inline", "", 0, content=title, children=[Token("text", "", 0, content=title)])
        tokens[0:0] = [opening, inline, Token("heading_close", "h1", -1, block=True)]
    for token in tokens[3:]:
        if token.type in ("heading_open", "heading_close") and token.tag == "h1":
            if token.type == "heading_open":
                diags.warning(
                    rel,
                    _file_line(body_line, token.map[0] + 1) if token.map else None,
                    "a section file has one '#' heading; this one is set as '##'",
                )
            token.tag = "h2"


@dataclass(frozen=True, slots=True)
class _Found:
    """A heading as the token list shows it, before its place in the tree is known."""

    index: int
    """Index of its ``heading_open`` token."""
    level: int
    title: str
    anchor: str
    line: int
    own_status: Status | None


def _headings(tokens: list[Token], body_line: int) -> list[_Found]:
    found = []
    for i, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        inline = tokens[i + 1]
        title = "".join(c.content for c in inline.children or [] if c.type in ("text", "code_inline")).strip()
        found.append(
            _Found(
                index=i,
                level=int(token.tag[1]),
                title=title,
                anchor=token.attrGet("id") or slugify(title),
                line=_file_line(body_line, token.map[0] + 1) if token.map else body_line,
                own_status=mark.status if (mark := ref(token, HeadingRef)) else None,
            )
        )
    return found


def _count_words(tokens: list[Token], starts: list[int], body_end: int) -> list[int]:
    """Words of each heading's own body; footnotes count for the section as a whole."""
    own = [0] * len(starts)
    current = 0
    for i, token in enumerate(tokens):
        if i == body_end:
            current = 0
        elif i < body_end and current + 1 < len(starts) and i >= starts[current + 1]:
            current += 1
        if token.type == "inline" and not (i and tokens[i - 1].type == "heading_open"):
            own[current] += sum(
                word_count(c.content) for c in token.children or [] if c.type in ("text", "code_inline")
            )
        elif token.type == "fence" and not token.info.strip().startswith("chart"):
            own[current] += word_count(token.content)
        elif token.type == "html_block":
            raw = ref(token, RawRef)  # the text of raw HTML, tags left out
            own[current] += word_count(raw.text) if raw is not None else 0
    return own


def _check_units(section: Section, manifest: Manifest, diags: Diagnostics) -> None:
    titles = {h.title for h in section.root.walk()}
    allowed = ", ".join(f"{' '.join(marks)} {status.value}" for status, marks in manifest.markers.items())
    for token in section.tokens:
        mark = ref(token, HeadingRef) if token.type == "heading_open" else None
        if mark is not None and mark.unknown_marker is not None:
            diags.warning(
                section.path,
                mark.heading.line,
                f"unknown status marker {mark.unknown_marker!r} at the start of the heading (markers: {allowed})",
            )
    for title in section.front.owners:
        if title not in titles:
            diags.warning(section.path, 1, f"owners: no heading titled {title!r} in this file")
    if section.is_empty:
        diags.warning(section.path, section.root.line, "section is empty; a 'pending' placeholder is shown")


def _id_problem(section_id: str) -> str | None:
    """Why ``section_id`` cannot name files (its page, its review folder), or None."""
    if len(section_id.encode("utf-8")) > MAX_ID:
        return f"it is {len(section_id.encode('utf-8')):,} bytes long (at most {MAX_ID})"
    return paths.problem(f"{section_id}.html")


def _check_ids(sections: list[Section], diags: Diagnostics) -> None:
    seen: dict[str, Section] = {}
    for section in sections:
        if section.front.id is None and (wrong := _id_problem(section.id)) is not None:
            diags.error(
                section.path,
                1,
                f"the file name cannot name the section's page ({wrong}); "
                "rename the file or set a shorter 'id:' in its front matter",
            )
        if section.id in RESERVED_IDS:
            diags.error(section.path, 1, f"section id '{section.id}' is reserved; set another id in the front matter")
        other = seen.get(section.id)
        if other is not None:
            diags.error(
                section.path,
                1,
                f"section id '{section.id}' is also the id of {other.path}; "
                "give one of them another 'id:' in its front matter",
            )
        seen.setdefault(section.id, section)


def check_links(report: Report, diags: Diagnostics) -> None:
    """Links between sections and to anchors must land on a heading that exists."""
    anchors = {s.path: {h.anchor for h in s.root.walk()} for s in report.sections}
    by_id = {s.id: anchors[s.path] for s in report.sections}
    anchors |= {path: by_id[sid] for path, sid in report.aliases.items() if sid in by_id and path not in anchors}
    labels = label_ids(report, diags)
    for section in report.sections:
        for token in section.env.get("links", []):
            link = ref(token, LinkRef)
            line = _file_line(section.body_line, link.line)
            target = link.target or section.path
            anchor = link.written
            verdict = replace(link, anchor=anchor, broken=False)
            if link.target is None and LABEL_ID.match(anchor):
                if anchor not in labels:
                    known = ", ".join(sorted(labels)[:8]) or "none yet"
                    diags.warning(
                        section.path,
                        line,
                        f"no figure or table with id '{anchor}' (ids: {known});"
                        " give one with 'id: fig-…' in a chart block or {#tbl-…} after a table caption",
                    )
            elif target not in anchors:
                verdict = replace(verdict, broken=True)
                diags.warning(section.path, line, f"link to a file that is not a section of this report: {target}")
            elif anchor and anchor not in anchors[target] and not anchor.startswith("fn"):
                known = ", ".join(sorted(anchors[target])[:8])
                diags.warning(
                    section.path, line, f"no heading with anchor '#{anchor}' in {target} (anchors there: {known}…)"
                )
                verdict = replace(verdict, anchor="")
            if verdict != link:  # a section kept by a `ParseCache` holds the verdict of an earlier build
                set_ref(token, verdict)


def label_ids(report: Report, diags: Diagnostics) -> dict[str, str]:
    """Every figure and table id an author gave (``fig-…``, ``tbl-…``) → its section path;
    an id given twice is a warning at the second."""
    labels: dict[str, str] = {}
    for section in report.sections:
        for token in section.tokens:
            chart = ref(token, ChartRef) if token.type == "fence" else None
            spec = chart.spec if chart is not None else None
            caption = table.caption if token.type == "table_open" and (table := ref(token, TableRef)) else None
            anchor = spec.id if spec is not None else caption.id if caption is not None else ""
            if not anchor:
                continue
            if anchor in labels:
                line = _file_line(section.body_line, token.map[0] + 1 if token.map else None)
                diags.warning(
                    section.path, line, f"id '{anchor}' is already used in {labels[anchor]}; references go to the first"
                )
                continue
            labels[anchor] = section.path
    return labels

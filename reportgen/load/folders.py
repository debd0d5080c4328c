"""A whole project folder to import: its pages in the order its site generator gives them.

`read_folder` finds out which generator laid the folder out and says so in a note:

* **mdBook** (``book.toml``) and **GitBook/HonKit** (``SUMMARY.md``): the
  order of ``SUMMARY.md``; its part headings (``# 基础认知`` after the first
  heading) become parts, and without them a top-level entry with entries
  nested below it opens a part.  The report title is ``book.toml``'s
  ``title``, else the first heading of ``SUMMARY.md`` unless it only says
  "Summary".
* **MkDocs** (``mkdocs.yml``): the order of ``nav``; a top-level group becomes
  a part; ``site_name`` is the title.
* **Hugo / Jekyll** (``content/``, ``_posts/``): posts, ordered by ``weight``,
  then ``date``, as `reportgen.author.importer` orders posts.
* **VitePress** (``.vitepress/``, in ``docs/`` or the folder itself): the home
  page, then the pages its sidebar links to, then the others; ``title`` and
  ``lang`` of its configuration.  The configuration is JavaScript and is never
  run: only its plain strings are read.
* **Otherwise** every Markdown file, folder by folder: a folder's README or
  index first, numbers in names in numeric order.

Each page becomes one section; its title is its own ``#`` heading, else
``title:``, else what the navigation calls it, else its file name.  Front
matter keys are kept under ``extra:``; a page with a ``tags:`` entry naming a
year (``2024 中国开源年度报告``) gives the report its title when the layout
gave none or one without a year.  Nothing outside the folder is read, and
nothing through a symbolic link.
"""

from __future__ import annotations

import collections
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml

from reportgen.author import scaffold
from reportgen.author.importer import (
    _PARSER,
    Planned,
    Post,
    Reading,
    _plain,
    _post_body,
    _post_front_matter,
    _post_text,
    _text,
    _top_headings,
    _years,
    plain_file,
    read_post,
)
from reportgen.errors import Diagnostics
from reportgen.load.reader import FOLDER_PAGES, decode
from reportgen.model import Status

#: Folders that hold no pages: build outputs, dependencies, tooling.
SKIPPED = frozenset({"node_modules", "_book", "book", "site", "public", "static", "vendor", "_site", "assets"})

#: Folder names that hold a translation of the pages beside them (``en/`` in a Chinese report).
LANGUAGE_FOLDER = re.compile(
    r"^(en|ja|ko|fr|de|es|ru|pt|it|vi|th|id|ar|zh-(tw|hk|hant|hans))(-[a-z0-9]+)?$", re.IGNORECASE
)

#: First headings of a SUMMARY.md that only say what the file is.
GENERIC_TITLES = frozenset({"summary", "table of contents", "contents", "目录", "目錄"})


@dataclass(frozen=True)
class Entry:
    """One page of the folder, in reading order."""

    path: Path
    title: str | None = None
    """What the navigation calls the page."""
    part: str | None = None


@dataclass(frozen=True)
class Layout:
    rule: str
    """Which rule gave the order, for the note the import prints."""
    entries: tuple[Entry, ...]
    title: str | None = None
    posts: bool = False
    language: str | None = None
    """The language the site says its pages are in (a BCP 47 tag)."""


def read_folder(folder: Path, diags: Diagnostics) -> Reading:
    """Every page of ``folder`` as a planned section, in the layout's order."""
    reading = Reading()
    layout = _layout(folder, diags)
    reading.notes.append(f"{folder}: {layout.rule}")
    if layout.title:
        reading.title = layout.title
        reading.years += _years(layout.title)
    reading.language = layout.language
    tags: collections.Counter = collections.Counter()
    if layout.posts:
        posts = [p for i, e in enumerate(layout.entries) if (p := _post(e, i, folder, diags, reading))]
        reading.sections = [p.section for p in sorted(posts, key=Post.order)]
    for entry in () if layout.posts else layout.entries:
        planned = read_page(entry, folder, diags, tags)
        if planned is not None:
            reading.sections.append(planned)
    _pair_translations(folder, reading, diags)
    if tags and (reading.title is None or not _years(reading.title)):  # a yearly report's title names its year
        reading.title = tags.most_common(1)[0][0]
        reading.years += _years(reading.title)
        reading.notes.append(f"report title '{reading.title}' from the pages' tags")
    return reading


# --- which layout -----------------------------------------------------------------------


def _layout(folder: Path, diags: Diagnostics) -> Layout:
    if (folder / "book.toml").is_file():
        return _mdbook(folder, diags)
    if (folder / "SUMMARY.md").is_file():
        return _summary(folder / "SUMMARY.md", folder, diags, "GitBook/HonKit")
    if (folder / "mkdocs.yml").is_file():
        return _mkdocs(folder, diags)
    for posts in ("content", "_posts"):
        if (folder / posts).is_dir():
            pages = _markdown_files(folder / posts, folder)
            return Layout(f"Hugo/Jekyll posts in {posts}/, ordered by weight, then date", pages, posts=True)
    base = vitepress_source(folder)
    if base is not None:
        return _vitepress(base, folder, diags)
    return Layout(
        "no SUMMARY.md, mkdocs.yml or book.toml: every Markdown file of the folder, folder by folder, README/index first",
        _markdown_files(folder, folder),
    )


#: VitePress's configuration files, in the order VitePress looks for them.
VITEPRESS_CONFIGS = ("config.mts", "config.ts", "config.mjs", "config.js", "config.cjs")


def vitepress_source(folder: Path) -> Path | None:
    """The folder of a VitePress site's pages (the one holding ``.vitepress/``), or None."""
    for base in (folder / "docs", folder):
        if (base / ".vitepress").is_dir():
            return base
    return None


def _vitepress(base: Path, folder: Path, diags: Diagnostics) -> Layout:
    """The sidebar's order, then every other page; the site's ``title`` and ``lang``.

    The configuration is a JavaScript module, which is never run: its plain
    string values are read as text (``title: '…'``, ``lang: '…'``, each sidebar
    entry's ``link: '/…'``); a sidebar built by code gives no order, and the
    pages come folder by folder."""
    where = base.relative_to(folder).as_posix() + "/" if base != folder else "the folder"
    config = next(
        (p for name in VITEPRESS_CONFIGS if (p := plain_file(base / ".vitepress" / name, folder)) is not None), None
    )
    text = (decode(config.read_bytes(), str(config), diags) or "") if config else ""
    text = re.sub(r"(?m)^\s*//[^\n]*$|/\*.*?\*/", "", text, flags=re.DOTALL)  # comments hold no settings
    title = _config_string(text, "title")
    language = _config_string(text, "lang")
    language = language if language and _LANGUAGE_TAG.match(language) else None
    sidebar = text[text.find("sidebar") :] if "sidebar" in text else ""
    entries, seen = [], set()
    for match in _SIDEBAR_ITEM.finditer(sidebar):
        path = _site_page(base, match.group("link"), folder)
        if path is not None and path not in seen:
            seen.add(path)
            entries.append(Entry(path, match.group("text")))
    rest = [e for e in _markdown_files(base, folder) if e.path not in seen]
    home = [e for e in rest[:1] if e.path.parent == base and e.path.stem.lower() in FOLDER_PAGES]
    entries = home + entries  # the site's home page opens it, though no sidebar lists it
    rest = rest[len(home) :]
    if seen:
        rule = f"VitePress: the order of the sidebar in {config.relative_to(folder)}, then the other pages of {where}"
    else:
        rule = f"VitePress: no sidebar of plain links; every Markdown file of {where}, folder by folder, index first"
    return Layout(rule, tuple(entries + rest), title, language=language)


#: A sidebar entry with a plain link, its text (if written before the link) kept as its name.
_SIDEBAR_ITEM = re.compile(
    r"""(?:text\s*:\s*(?P<q>['"`])(?P<text>[^'"`\n]*)(?P=q)\s*,\s*)?link\s*:\s*(?P<p>['"`])(?P<link>[^'"`\n]*)(?P=p)"""
)


_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def _config_string(text: str, key: str) -> str | None:
    """The first plain string value of ``key:`` in a JavaScript configuration, if any."""
    match = re.search(rf"""(?m)(?:^|[{{,\s]){key}\s*:\s*(['"`])([^'"`\n]+)\1""", text)
    return _text(match.group(2)) if match else None


def _site_page(base: Path, link: str, folder: Path) -> Path | None:
    """The page a VitePress link (``/guide/start``, ``/guide/``, ``./a.md``) names, if it is in the folder."""
    parts = urlsplit(link)
    if parts.scheme or parts.netloc or not parts.path:
        return None
    path = unquote(parts.path).lstrip("/").removesuffix(".html")
    if not path:
        return None
    if path.endswith(".md"):
        candidates = [path]
    elif path.endswith("/"):
        candidates = [path + "index.md"]
    else:
        candidates = [path + ".md", path + "/index.md"]
    return next((page for c in candidates if (page := plain_file(base / c, folder)) is not None), None)


def _mdbook(folder: Path, diags: Diagnostics) -> Layout:
    try:
        book = tomllib.loads((folder / "book.toml").read_text(encoding="utf-8")).get("book", {})
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        diags.warning(str(folder / "book.toml"), None, f"cannot read book.toml ({exc}); using src/SUMMARY.md")
        book = {}
    src = folder / str(book.get("src", "src"))
    summary = src / "SUMMARY.md"
    if plain_file(summary, folder) is None:
        diags.error(str(folder / "book.toml"), None, f"mdBook without its {summary.relative_to(folder)}")
        return Layout("mdBook", ())
    layout = _summary(summary, folder, diags, "mdBook")
    title = _text(book.get("title"))
    return Layout(layout.rule, layout.entries, title or layout.title)


def _summary(summary: Path, folder: Path, diags: Diagnostics, tool: str) -> Layout:
    """The pages SUMMARY.md lists, with its part headings (or top-level groups) as parts."""
    rel = str(summary)
    tokens = _PARSER.parse(decode(summary.read_bytes(), rel, diags) or "", {})
    title, part, depth, items = None, None, 0, []
    headings = 0
    for i, token in enumerate(tokens):
        if token.type == "bullet_list_open" or token.type == "ordered_list_open":
            depth += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
        elif token.type == "heading_open":
            text = tokens[i + 1].content.strip()
            headings += 1
            if headings == 1 and not items:
                title = None if text.lower().strip(" :：") in GENERIC_TITLES else scaffold.plain_title(text)
            else:
                part = scaffold.plain_title(text)
        elif token.type == "inline" and token.map:
            link = next((c for c in token.children or [] if c.type == "link_open"), None)
            if link is not None:
                name = "".join(c.content for c in token.children if c.type in ("text", "code_inline")).strip()
                items.append((max(depth, 1), name, link.attrGet("href") or "", part, token.map[0] + 1))
    parts = any(item[3] for item in items)
    entries, seen = [], set()
    group = None
    for n, (level, name, href, part, line) in enumerate(items):
        if not parts and level == 1:  # a top-level entry with entries below it opens a part
            nested = n + 1 < len(items) and items[n + 1][0] > 1
            group = name if nested else None
        path = _page(summary.parent, href, folder)
        if path is None:
            if href:
                diags.warning(rel, line, f"SUMMARY entry '{name}' links to no Markdown file in the folder: {href}")
            continue
        if path not in seen:
            seen.add(path)
            entries.append(Entry(path, name or None, part if parts else group))
    kind = "part headings" if parts else "nesting"
    return Layout(f"{tool}: the order of {summary.relative_to(folder)}, parts from its {kind}", tuple(entries), title)


def _page(base: Path, href: str, folder: Path) -> Path | None:
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path.endswith(".md"):
        return None
    return plain_file(base / unquote(parts.path).lstrip("/"), folder)


class _LenientLoader(yaml.SafeLoader):
    """mkdocs.yml names Python objects (``!!python/name:…``) for its plugins: read them as nothing."""


_LenientLoader.add_multi_constructor("", lambda loader, suffix, node: None)


def _mkdocs(folder: Path, diags: Diagnostics) -> Layout:
    rel = str(folder / "mkdocs.yml")
    try:
        config = yaml.load((folder / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_LenientLoader)  # noqa: S506
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        diags.error(rel, None, f"cannot read mkdocs.yml: {exc}")
        return Layout("MkDocs", ())
    config = config if isinstance(config, dict) else {}
    docs = folder / str(config.get("docs_dir", "docs"))
    title = _text(config.get("site_name"))
    nav = config.get("nav")
    if not isinstance(nav, list):
        return Layout(
            "MkDocs without nav: every Markdown file of docs/, folder by folder", _markdown_files(docs, folder), title
        )
    entries: list[Entry] = []
    for item in nav:
        _nav_item(item, docs, folder, None, entries, top=True)
    return Layout("MkDocs: the order of mkdocs.yml nav, its top-level groups as parts", tuple(entries), title)


def _nav_item(item, docs: Path, folder: Path, part: str | None, entries: list[Entry], top: bool = False) -> None:
    name, value = next(iter(item.items())) if isinstance(item, dict) and len(item) == 1 else (None, item)
    if isinstance(value, list):
        for child in value:
            _nav_item(child, docs, folder, str(name) if top and name else part, entries)
    elif isinstance(value, str) and (path := _page(docs, value, folder)) is not None:
        if path not in {e.path for e in entries}:
            entries.append(Entry(path, str(name) if name else None, part))


def _markdown_files(base: Path, folder: Path) -> tuple[Entry, ...]:
    """Every Markdown page below ``base``: folder by folder, its README or index first
    (a language folder's pages are translations, paired with these later)."""
    pages = []
    for path in base.rglob("*.md"):
        rel = path.relative_to(base)
        if any(p.startswith((".", "_")) and p not in ("_index.md", "_posts") or p in SKIPPED for p in rel.parts[:-1]):
            continue
        if len(rel.parts) > 1 and LANGUAGE_FOLDER.match(rel.parts[0]):
            continue
        if path.name == "SUMMARY.md" or plain_file(path, folder) is None:
            continue
        pages.append(path)
    return tuple(Entry(p) for p in sorted(pages, key=lambda p: _reading_key(p.relative_to(base))))


def _reading_key(rel: Path) -> tuple:
    *folders, name = rel.parts
    stem = Path(name).stem.lower()
    return tuple((1, _natural(f)) for f in folders) + ((0 if stem in FOLDER_PAGES else 1, _natural(stem)),)


def _natural(name: str) -> tuple:
    """``2-b`` before ``10-a``: numbers compare as numbers."""
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name.lower()) if t)


# --- translations -------------------------------------------------------------------------


def _pair_translations(folder: Path, reading: Reading, diags: Diagnostics) -> None:
    """A page of a language folder (``en/02-finance.md``) with the same path as a page of the
    report (``02-finance.md``, beside ``en/``) is that page's translation."""
    pages = [s for s in reading.sections if s.file is not None]
    paired: collections.Counter = collections.Counter()
    for base in (folder, folder / "docs"):
        for language_dir in (
            sorted(p for p in base.iterdir() if p.is_dir() and LANGUAGE_FOLDER.match(p.name)) if base.is_dir() else ()
        ):
            tag = language_dir.name.lower()
            for planned in pages:
                if not planned.file.is_relative_to(base) or planned.file.is_relative_to(language_dir):
                    continue
                twin = language_dir / planned.file.relative_to(base)
                if twin.is_file() and plain_file(twin, folder) is not None and tag not in planned.translations:
                    page = read_page(Entry(twin), folder, diags, collections.Counter(), translation=True)
                    if page is not None:
                        planned.translations[tag] = page
                        paired[tag] += 1
    for tag, count in paired.items():
        reading.notes.append(
            f"{count} page(s) of {tag}/ paired by name as the {tag} translation; they count as "
            f"outdated until `reportgen translate sync ID --lang {tag}` records them as current"
        )


# --- one page ------------------------------------------------------------------------------


def read_page(
    entry: Entry, folder: Path, diags: Diagnostics, tags: collections.Counter, translation: bool = False
) -> Planned | None:
    """One page as one section, its headings below its title, its images copied.  A
    ``translation``'s ``Translator & Reviewer:`` (or the like) becomes its ``translator:``."""
    path = entry.path
    rel = str(path)
    text = decode(path.read_bytes(), rel, diags)
    if text is None:
        return None
    data, body, body_line = ({}, text, 1)
    if text.startswith(("---\n", "+++\n")):
        data, body, body_line = _post_front_matter(text, rel, diags)
        if data is None:
            return None
    if data.get("layout") == "home" and not body.strip():
        diags.warning(rel, 1, "a site's home page with no text (layout: home) is not imported")
        return None
    title, status = _page_title(entry, data, body, rel, diags)
    tags.update(t for t in data.get("tags") or [] if isinstance(t, str) and _years(t))
    if data.get("draft") is True:
        status = Status.EDITING
    planned = Planned(title, "", f"{rel}:1", status or Status.DONE, file=path, part=entry.part)
    body = _post_body(body, body_line, title, path, planned, diags, folder, data)
    extra = {str(k): _plain(v) for k, v in data.items() if k not in ("title", "description")}
    who = (
        next((k for k in extra if "translat" in k.lower() and isinstance(extra[k], str)), None) if translation else None
    )
    own = {"translator": extra.pop(who)} if who else {}
    planned.text = _post_text(title, planned.status, _text(data.get("description")), extra, body, own)
    return planned


def _page_title(entry: Entry, data: dict, body: str, rel: str, diags: Diagnostics) -> tuple[str, Status | None]:
    """The page's own '#' heading, else title:, else its name in the navigation, else its file name."""
    headings = _top_headings(_PARSER.parse(body, {}))
    if headings and headings[0].level == 1:
        status, _ = scaffold.split_marker(headings[0].raw)
        return scaffold.plain_title(headings[0].raw), status
    title = _text(data.get("title")) or entry.title
    if title is None:
        path = entry.path
        title = path.parent.name if path.stem.lower() in FOLDER_PAGES and path.parent.name else path.stem
        diags.warning(
            rel,
            1,
            f"page has no '#' heading, no title: and no name in the navigation; its file name gives the title: {title}",
        )
    return title, None


def _post(entry: Entry, index: int, folder: Path, diags: Diagnostics, reading: Reading) -> Post | None:
    text = decode(entry.path.read_bytes(), str(entry.path), diags)
    if text is None or not text.startswith(("---\n", "+++\n")):
        page = read_page(entry, folder, diags, collections.Counter()) if text is not None else None
        return Post(index, None, None, page) if page is not None else None
    post = read_post(entry.path, text, index, diags, folder)
    if post is not None:
        post.section.file = entry.path
        reading.years += [post.date.year] if post.date else []
    return post

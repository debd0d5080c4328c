"""Markdown: the one configured parser, its core rules and its render rules.

Parsing happens once per section (`parse`): core rules read the status
markers off headings, give every heading an anchor, check links and images
and read chart blocks.  Rendering (`render`) is driven by a `RenderContext`:
the same tokens become an HTML page or part of the PDF document, in the
draft or the public edition.
"""

from __future__ import annotations

import html
import re
import unicodedata
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.attrs import attrs_block_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

from reportgen.load import confine, paths
from reportgen.messages import words
from reportgen.model import DEFAULT_MARKERS, Heading, Status, drop_marker, drop_trailing_marker, ref, set_ref
from reportgen.render.cjk import (
    CLOSING,
    cjk_friendly_plugin,
    is_cjk,
    is_han,
    print_html,
    split_last_words,
    without_stray_spaces,
)
from reportgen.render.extensions import DiagramRef, diagram_placeholder, extensions_plugin
from reportgen.render.numbering import titled
from reportgen.render.rawhtml import IMAGE_TABLE, raw_html_plugin, raw_parts
from reportgen.render.sanitize import keeps_href

if TYPE_CHECKING:
    from reportgen.render.charts import ChartSpec

#: How deep blocks may nest (quotes in lists in quotes…); text deeper than this is
#: not rendered, and the reader warns at its line.
MAX_NESTING = 100

#: Schemes a link may use; anything else is not a link in any output.
SAFE_SCHEMES = ("http", "https", "mailto")

#: Files a section may link to but the site never publishes: opened from the site, each
#: would run as a page or a script on its origin (an SVG is published only sanitised).
ACTIVE_SUFFIXES = frozenset(
    (
        ".html",
        ".htm",
        ".xhtml",
        ".xht",
        ".shtml",
        ".mht",
        ".mhtml",
        ".hta",
        ".js",
        ".mjs",
        ".cjs",
        ".wasm",
        ".xml",
        ".xsl",
        ".xslt",
        ".svgz",
        ".swf",
        ".jar",
        ".php",
        ".asp",
        ".aspx",
        ".jsp",
        ".cgi",
        ".pl",
        ".py",
        ".rb",
        ".sh",
        ".bat",
        ".cmd",
        ".ps1",
        ".vbs",
        ".exe",
        ".dll",
        ".msi",
        ".appcache",
        ".webmanifest",
    )
)

#: What an image may be: raster types and SVG.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff", ".svg")


# --- what the Markdown stage records on tokens ----------------------------------------


@dataclass(frozen=True, slots=True)
class LinkRef:
    """What a ``link_open`` token links to, as the parse classified it."""

    kind: str
    """``external``, ``unsafe`` (dropped: shown as text), ``text`` (no link was meant: a bare
    name linkify took for a host because an invisible or unassigned character ran into it), ``anchor`` (in its own section),
    ``section`` (another section of the report) or ``asset`` (a file inside the source)."""
    target: str | None = None
    """Of a section or an asset: its path relative to the source."""
    anchor: str = ""
    """Of an anchor or section link: the heading (or ``fig-…``/``tbl-…`` id) it points at;
    empty when the one written names no heading there (the link goes to the page)."""
    line: int | None = None
    """Line in the section's body, for diagnostics."""
    broken: bool = False
    """Shown as text: it points at no section of the report, or at a part the edition left out."""
    written: str = ""
    """The anchor as the author wrote it: the reader's link check decides ``anchor`` and
    ``broken`` from it again on every build, as the other sections are then."""


@dataclass(frozen=True, slots=True)
class ImageRef:
    """Where an ``image`` token's picture comes from."""

    kind: str
    """``local`` (a file inside the source), ``fetched`` (a remote image in the cache), ``remote``
    (not fetched: a placeholder), ``inline`` (a ``data:`` raster), or why it is refused."""
    target: str | None = None
    """Of a local or fetched image: its path relative to the source."""


@dataclass(frozen=True, slots=True)
class HeadingRef:
    """What a ``heading_open`` token's text said, and the `Heading` the reader made of it."""

    status: Status | None = None
    """The status its marker names."""
    unknown_marker: str | None = None
    """An emoji at its start that is no marker of the report's set (the reader warns)."""
    heading: Heading | None = None
    """Set by the reader once the heading tree is built."""


@dataclass(frozen=True, slots=True)
class ChartRef:
    """A ```` ```chart ```` fence, its spec read by the reader."""

    spec: "ChartSpec"


@dataclass(frozen=True, slots=True)
class TableRef:
    """What the parse found out about a ``table_open`` token's table."""

    caption: "TableCaption | None" = None
    """The caption line written before it, if any."""
    fit: str = "normal"
    """How it fits the page: ``normal``, ``wide`` or ``landscape`` (`_table_layout`)."""


def slugify(title: str) -> str:
    """An anchor from heading text: lower case, spaces to '-', CJK kept."""
    text = unicodedata.normalize("NFKC", title).strip().lower().replace(" ", "-")
    return re.sub(r"[^\w\-]", "", text) or "section"


def word_count(text: str) -> int:
    """Each CJK character counts one; each run of Latin letters or digits counts one."""
    return len(_WORD.findall(text))


_WORD = re.compile(
    r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af\U00020000-\U0003134f]"
    r"|[^\W_\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af\U00020000-\U0003134f]+"
)


def make_parser(markers: dict[Status, tuple[str, ...]]) -> MarkdownIt:
    """The configured parser: CommonMark, tables, strikethrough, footnotes,
    bare URLs as links, heading anchors, status markers, emphasis that works
    beside Chinese punctuation; raw HTML through the allow-list of `reportgen.render.rawhtml`;
    callouts, math and diagram blocks of other generators (`reportgen.render.extensions`)."""
    md = MarkdownIt(
        "commonmark", {"html": True, "alerts": True, "linkify": True, "typographer": False, "maxNesting": MAX_NESTING}
    )
    md.enable(["table", "strikethrough", "linkify"])
    # Every link and image reaches our own check (`_check_links`), which drops the
    # unsafe ones with a warning at their line instead of leaving them as text.
    md.validateLink = lambda url: True
    md.use(cjk_friendly_plugin)
    md.use(footnote_plugin, inline=True)
    md.use(raw_html_plugin, classify_link=_classify_link, classify_image=_classify_image)
    md.use(extensions_plugin)
    md.use(attrs_block_plugin, allowed=("class",))
    md.core.ruler.after("block", "own_classes", _own_classes)  # before attrs_block applies `{…}` lines
    md.core.ruler.after("attr", "block_classes", _block_classes)
    md.use(tasklists_plugin)
    md.core.ruler.after("github-tasklists", "task_marks", _task_marks)
    md.core.ruler.push("shortcodes", _shortcodes)
    md.core.ruler.push("heading_ids", _heading_ids)
    md.core.ruler.push("status_marker", _marker_rule(_marker_table(markers)))
    md.use(anchors_plugin, min_level=1, max_level=6, slug_func=slugify)
    md.core.ruler.push("reserved_ids", _avoid_reserved_ids)
    md.core.ruler.push("check_links", _check_links)
    md.core.ruler.push("table_captions", _table_captions)
    md.core.ruler.push("table_layout", _table_layout)
    for name, rule in _RENDER_RULES.items():
        md.add_render_rule(name, rule)
    return md


# --- parse-time rules -------------------------------------------------------


#: What a task list item (``- [ ] 待办``, ``- [x] 完成``) shows in place of its checkbox.
TASK_MARKS = MappingProxyType({False: "\u2610", True: "\u2611"})


def _task_marks(state: StateCore) -> None:
    """The checkbox mdit-py-plugins' task lists put in an item becomes a mark of ours: a
    disabled form field means nothing in a PDF, and raw HTML is the author's, never ours."""
    for token in state.tokens:
        for i, child in enumerate(token.children or []):
            if child.type == "html_inline" and child.content.startswith('<input class="task-list-item-checkbox"'):
                mark = Token("task_mark", "span", 0)
                mark.meta["done"] = 'checked="checked"' in child.content
                token.children[i] = mark


def _task_mark(self, tokens, idx, options, env) -> str:
    done = tokens[idx].meta["done"]
    return f'<span class="task-mark{" task-done" if done else ""}">{TASK_MARKS[done]}</span>'


#: An emoji as GitHub, GitBook and VitePress let authors write it: ``:tada:``, ``:+1:``.
SHORTCODE = re.compile(r"(?<![A-Za-z0-9_:]):[a-z0-9_+\-]+:(?![A-Za-z0-9_:])")


def _shortcodes(state: StateCore) -> None:
    """Each emoji shortcode in text (not code) becomes its emoji, before the status markers
    are read: ``:white_check_mark:`` is shown as ✅, so it counts as one."""
    for token in state.tokens:
        for child in token.children or []:
            if child.type == "text" and ":" in child.content:
                child.content = SHORTCODE.sub(_emoji, child.content)


def _emoji(match: re.Match) -> str:
    import emoji  # ~40 ms, so only when the text holds something shaped like a shortcode

    return emoji.emojize(match.group(), language="alias")


#: An id written after a heading's text, as VitePress, MkDocs (attr_list) and Pandoc read it: ``## 收入 {#income}``.
HEADING_ID = re.compile(r"\s*\{\s*#([^\s{}#]+)\s*\}\s*$")


def _heading_ids(state: StateCore) -> None:
    """A heading's own ``{#id}`` becomes its id (the first heading to claim one keeps it)."""
    taken: set[str] = set()
    for i, token in enumerate(state.tokens):
        if token.type != "heading_open":
            continue
        inline = state.tokens[i + 1]
        last = next((c for c in reversed(inline.children or []) if c.type != "softbreak"), None)
        match = HEADING_ID.search(last.content) if last is not None and last.type == "text" else None
        if match is None:
            continue
        last.content = last.content[: match.start()]
        inline.content = HEADING_ID.sub("", inline.content)
        if match.group(1) not in taken:
            taken.add(match.group(1))
            token.attrSet("id", match.group(1))


def _marker_table(markers: dict[Status, tuple[str, ...]]) -> list[tuple[str, Status]]:
    """(marker without U+FE0F, status), longest first so prefixes do not shadow."""
    table = [(marker.replace("\ufe0f", ""), status) for status, marks in markers.items() for marker in marks]
    return sorted(table, key=lambda item: -len(item[0]))


def _marker_rule(table: list[tuple[str, Status]]):
    def status_marker(state: StateCore) -> None:
        for i, token in enumerate(state.tokens):
            if token.type == "heading_open":
                _read_marker(token, state.tokens[i + 1], table)

    return status_marker


def _read_marker(heading: Token, inline: Token, table) -> None:
    """Strip the status marker off the heading text into its `HeadingRef`: one at the start
    (``## ✅财务``), else one at the end (``## 财务 ✅``, as other tools' documents put it)."""
    texts = [c for c in inline.children or [] if c.type == "text" and c.content.strip()]
    if not texts:
        return
    first, last = texts[0], texts[-1]
    text = first.content.lstrip()
    bare = text.replace("\ufe0f", "")
    ending = last.content.rstrip().replace("\ufe0f", "")
    for marker, status in table:
        if bare.startswith(marker):
            set_ref(heading, HeadingRef(status=status))
            first.content = drop_marker(text, marker).lstrip()
            break
    else:
        trailing = next((m for m in table if ending.endswith(m[0]) and (ending != m[0] or len(texts) > 1)), None)
        if trailing is not None:
            set_ref(heading, HeadingRef(status=trailing[1]))
            last.content = drop_trailing_marker(last.content.rstrip(), trailing[0]).rstrip()
        elif text and _looks_like_emoji(text[0]):
            set_ref(heading, HeadingRef(unknown_marker=text[0]))
    inline.children = [c for c in inline.children if not (c.type == "text" and c.content == "")]


def _looks_like_emoji(ch: str) -> bool:
    return ord(ch) >= 0x2190 and unicodedata.category(ch) == "So"


#: Ids the page itself uses: the site's own (``rg-…``), footnotes' (``fn1``, ``fnref1-2``), figures' and tables' (``fig-1``, ``tbl-income``).
RESERVED_ID = re.compile(r"^(rg-.*|fn\d+|fnref\d+(-\d+)?|fig-.*|tbl-.*)$")


def _avoid_reserved_ids(state: StateCore) -> None:
    """A heading never takes an id the page already uses for something else."""
    headings = [t for t in state.tokens if t.type == "heading_open"]
    taken = {t.attrGet("id") for t in headings}
    for token in headings:
        anchor = token.attrGet("id") or ""
        if RESERVED_ID.match(anchor):
            n = 1
            while f"{anchor}-h{n}" in taken:
                n += 1
            token.attrSet("id", f"{anchor}-h{n}")
            taken.add(f"{anchor}-h{n}")


#: Classes an author may give a block with a `{.name}` line before it.
BLOCK_CLASSES = ("signature",)


def _own_classes(state: StateCore) -> None:
    """Record the classes the parser's own rules gave blocks (callouts, say), so that only
    what an author's `{…}` line adds is checked."""
    for token in state.tokens:
        if token.attrGet("class"):
            token.meta["own_classes"] = set((token.attrGet("class") or "").split())


def _block_classes(state: StateCore) -> None:
    """Keep only the block classes the stylesheets know (a source must not borrow the
    layout's own classes); a signature's lines stay lines."""
    for i, token in enumerate(state.tokens):
        refused = token.meta.pop("insecure_attrs", None)
        own = token.meta.pop("own_classes", set())
        if refused or set((token.attrGet("class") or "").split()) - own:
            classes = (token.attrGet("class") or "").split()
            kept = [c for c in classes if c in BLOCK_CLASSES or c in own]
            line = token.map[0] if token.map else None  # 1-based: the `{…}` line above the block
            if refused or len(kept) < len(classes):
                _problem(
                    state.env,
                    line,
                    "warning",
                    f"block attributes other than {', '.join('{.' + c + '}' for c in BLOCK_CLASSES)} are ignored",
                )
            if kept:
                token.attrSet("class", " ".join(kept))
            elif "class" in token.attrs:
                del token.attrs["class"]
        if token.type == "paragraph_open" and "signature" in (token.attrGet("class") or "").split():
            state.tokens[i + 1].content = state.tokens[i + 1].content.replace("\n", "  \n")


def _check_links(state: StateCore) -> None:
    """Classify every link and image once, recording problems for the loader."""
    env = state.env
    for token in state.tokens:
        if token.type != "inline" or not token.children:
            continue
        line = token.map[0] + 1 if token.map else None
        children = token.children
        for i, child in enumerate(children):
            if child.type == "link_open":
                _classify_link(child, line, env)
                if child.meta.get("unescape_text") and i + 1 < len(children) and children[i + 1].type == "text":
                    children[i + 1].content = _ESCAPED.sub(r"\1", children[i + 1].content)
            elif child.type == "image":
                _classify_image(child, line, env)


def _invisible_in_host(host: str) -> bool:
    """Whether a host name holds a character nobody can see or type in a URL (a variation
    selector, a joiner: categories Mn, Me, Cf), once its punycode labels are decoded."""
    for label in host.split("."):
        try:
            text = label[4:].encode("ascii").decode("punycode") if label.startswith("xn--") else label
        except (UnicodeError, ValueError):
            return True
        if any(unicodedata.category(ch) in ("Mn", "Me", "Cf") for ch in text):
            return True
    return False


def _problem(env: dict, line: int | None, severity: str, message: str) -> None:
    env.setdefault("problems", []).append((line, severity, message))


def _classify_link(token: Token, line: int | None, env: dict) -> None:
    if token.markup == "linkify":
        _unescape_bare_url(token)
    href = token.attrGet("href") or ""
    parts = urlsplit(href)
    if token.markup == "linkify" and (_invisible_in_host(parts.hostname or "") or not keeps_href(href)):
        # '👁️02-b.md': the emoji's variation selector began the "host"; '\ud7fc02-b.md': an
        # unassigned character did, and the sanitiser would drop the address, leaving an empty link.
        set_ref(token, LinkRef("text"))
        return
    if parts.scheme:
        if parts.scheme.lower() in SAFE_SCHEMES:
            set_ref(token, LinkRef("external"))
        else:
            set_ref(token, LinkRef("unsafe"))
            _problem(
                env,
                line,
                "warning",
                f"link scheme not allowed, link dropped: {href}"
                f" (allowed: {', '.join(SAFE_SCHEMES)} and paths inside the report)",
            )
        return
    if parts.netloc or href.startswith("\\"):
        set_ref(token, LinkRef("unsafe"))
        _problem(env, line, "warning", f"absolute path not allowed, link dropped: {href}")
        return
    path, anchor = unquote(parts.path), unquote(parts.fragment)
    if (wrong := paths.problem(path)) is not None:
        set_ref(token, LinkRef("unsafe"))
        _problem(env, line, "error", f"link path {wrong}, link dropped: {paths.shown(href)}")
        return
    if not path:
        set_ref(token, LinkRef("anchor", anchor=anchor, line=line, written=anchor))
        env.setdefault("links", []).append(token)
        return
    target = _page_target(env, path)
    if target is None:
        set_ref(token, LinkRef("unsafe"))
        _problem(env, line, "warning", f"link points outside the report, link dropped: {href}")
    elif target.endswith(".md"):
        set_ref(token, LinkRef("section", target=target, anchor=anchor, line=line, written=anchor))
        env.setdefault("links", []).append(token)
    elif (refusal := _unpublishable(target)) is not None:
        set_ref(token, LinkRef("unsafe"))
        _problem(env, line, "warning", f"linked file not published ({refusal}), shown as text: {href}")
    elif confine.inside(Path(env["root"]), Path(env["root"]) / target) is None:
        set_ref(token, LinkRef("unsafe"))
        _problem(
            env,
            line,
            "warning",
            f"linked file not found, link dropped: {href}" + _why_unreadable(Path(env["root"]), target),
        )
    else:
        set_ref(token, LinkRef("asset", target=target))
        env.setdefault("assets", set()).add(target)


_ESCAPED = re.compile(r"(?:\\|%5C)([!-/:-@\[-`{-~])", re.IGNORECASE)


def _unescape_bare_url(token: Token) -> None:
    r"""A bare URL keeps Markdown escapes (``https://x.org/s/\_id``) in its text and
    href; writers (and exported documents) escape '_' there, meaning a plain '_'."""
    token.attrSet("href", _ESCAPED.sub(r"\1", token.attrGet("href") or ""))
    token.meta["unescape_text"] = True


def _classify_image(token: Token, line: int | None, env: dict) -> None:
    src = token.attrGet("src") or ""
    parts = urlsplit(src)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        set_ref(token, ImageRef("remote"))
        env.setdefault("remote_images", []).append((line, src, token))
        return
    if scheme == "data":
        if re.match(r"data:image/(png|jpe?g|gif|webp)[;,]", src, re.IGNORECASE):
            set_ref(token, ImageRef("inline"))
        else:
            set_ref(token, ImageRef("refused"))
            _problem(env, line, "error", f"only PNG, JPEG, GIF or WebP data may be inlined as an image: {src[:60]}")
        return
    kind, target, severity, message = resolve_local_image(env, src)
    set_ref(token, ImageRef(kind, target))
    if target is not None:
        env.setdefault("assets", set()).add(target)
    else:
        _problem(env, line, severity, message)


def resolve_local_image(env: dict, src: str) -> tuple[str, str | None, str, str]:
    """Where the image ``src`` (not remote, not inline data) is, for every way of
    referencing one (Markdown or an HTML ``<img>``): ``(kind, target, severity, message)``.

    ``kind`` is ``local`` with ``target`` a path relative to the report root, or
    ``refused`` / ``missing`` with the problem to report.  ``src`` is relative to the
    section file, or to the site-root folder (``public:`` in report.yaml) when it
    starts with '/'; percent-escapes are decoded once (a file may also carry them
    literally); nothing outside the report is ever a target."""
    parts = urlsplit(src)
    if parts.scheme or parts.netloc or src.startswith("\\"):
        return "refused", None, "error", f"image must be a file inside the report: {src}"
    if (wrong := paths.problem(unquote(parts.path))) is not None:
        return "refused", None, "error", f"image path {wrong}: {paths.shown(src)}"
    root = Path(env["root"])
    if src.startswith("/"):  # the site-root folders first, then the report's own root
        folders = [f"{folder}/" for folder in env.get("public", ())] + [""]
        candidates = [
            _inside(env, name, folder + name.lstrip("/")) for folder in folders for name in _spellings(parts.path)
        ]
    else:
        candidates = [_inside(env, name) for name in _spellings(parts.path)]
    inside = [c for c in candidates if c is not None]
    if not inside:
        return "refused", None, "error", f"image points outside the report: {src}"
    suffixed = [c for c in inside if c.lower().endswith(IMAGE_SUFFIXES) and _unpublishable(c) is None]
    if not suffixed:
        return (
            "refused",
            None,
            "warning",
            (f"image must be a PNG, JPEG, GIF, WebP or SVG file inside the report, a placeholder is shown: {src}"),
        )
    # Only a regular file inside the source, reached through no link out of it and with no second name.
    target = next((c for c in suffixed if confine.inside(root, root / c) is not None), None)
    unreadable = next((c for c in suffixed if (root / c).exists()), None)
    if target is None and unreadable is not None:
        return (
            "missing",
            None,
            "warning",
            (f"image not found, a placeholder is shown: {src}" + _why_unreadable(root, unreadable)),
        )
    if target is None and src.startswith("/"):
        where = "".join(f"{f}/, " for f in env.get("public", ()))
        return (
            "missing",
            None,
            "warning",
            (
                f"image not found, a placeholder is shown: {src} (from the site root: "
                f"looked in {where}the report folder; 'public:' in report.yaml names "
                "the site-root folder)"
            ),
        )
    if target is None:
        return "missing", None, "warning", f"image not found, a placeholder is shown: {src}"
    if (damage := _damaged(root / target)) is not None:
        return "missing", None, "warning", f"image file cannot be read ({damage}), a placeholder is shown: {src}"
    return "local", target, "", ""


def _spellings(path: str) -> list[str]:
    """A referenced file name decoded once (``a%20b.png`` → ``a b.png``), then as written."""
    decoded = unquote(path)
    return [decoded] if decoded == path else [decoded, path]


RASTER = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff")


def _unpublishable(target: str) -> str | None:
    """Why a file of the source must never be published, or None: hidden files (``.env``,
    ``.git/config``) and files a browser would run."""
    parts = target.split("/")
    if any(part.startswith(".") for part in parts):
        return "a hidden file"
    if Path(parts[-1]).suffix.lower() in ACTIVE_SUFFIXES:
        return "a page or script would run on the site"
    return None


def _why_unreadable(root: Path, target: str) -> str:
    """`` (it is a hard link …)`` when the file exists but may not be read; empty when it is missing."""
    path = root / target
    return f" ({confine.why_not(root, path)})" if path.exists() and not path.is_dir() else ""


def _damaged(path: Path) -> str | None:
    """Why a raster image cannot be decoded, or None; caught here, a bad file
    would otherwise stop the PDF deep inside the typesetter."""
    if path.suffix.lower() not in RASTER:
        return None
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's notes on odd but readable files mean nothing to a writer
            warnings.simplefilter("error", Image.DecompressionBombWarning)  # ~90 megapixels: too big to typeset
            with Image.open(path) as image:
                image.load()
    except Exception as exc:  # Pillow raises many kinds for damaged files
        return str(exc) or type(exc).__name__
    return None


def _inside(env: dict, path: str, from_root: str | None = None) -> str | None:
    """``path`` (relative to the section file; ``from_root``, when given, is
    relative to the report root instead) as a path relative to the report root,
    or None when it leaves the root (``..``, symbolic links)."""
    root = Path(env["root"]).resolve()
    candidate = (root / from_root if from_root is not None else root / env["dir"] / path).resolve()
    try:
        return candidate.relative_to(root).as_posix()
    except ValueError:
        return None


def _page_target(env: dict, path: str) -> str | None:
    """The file a link names, relative to the report root, or None outside it.

    Sites link to pages as they are published (``start.html``, ``start``,
    ``guide/``, ``/guide/start``): when the Markdown file behind such a link
    exists, the link goes to it, so it can become a link between sections.  A
    path from the site root is looked up where the site's pages are (the folder
    holding the site-root folder: ``docs/`` for ``docs/public``), then the report root."""
    stem = path.rstrip("/")
    tries = [path]
    if path.endswith(".html"):
        tries.append(path[:-5] + ".md")
    elif path.endswith("/") or not PurePosixPath(stem).suffix:
        tries += [f"{stem}.md"] * bool(stem) + [f"{stem}/README.md", f"{stem}/index.md"]
    if path.startswith("/"):
        pages = [f"{PurePosixPath(f).parent}/" for f in env.get("public", ()) if "/" in f] + [""]
        found = [_inside(env, t, base + t.lstrip("/")) for base in pages for t in tries]
    else:
        found = [_inside(env, t) for t in tries]
    root = Path(env["root"])
    existing = next((t for t in found if t is not None and (root / t).is_file()), None)
    return existing or found[-len(tries)]  # else the path as written, from the report root or the file


# --- tables: caption lines and column layout --------------------------------------

TABLE_STYLES = ("three-line", "grid", "plain")
"""How tables are ruled: ``three-line`` (三线表: a rule above and below the header
row and one at the end, nothing else), ``grid`` (every cell boxed), ``plain`` (no rules)."""

TABLE_CLASSES = TABLE_STYLES + ("landscape",)
"""Classes a caption line's ``{…}`` may give its table."""

#: A caption line: its own paragraph right before the table, "表：…", "表:…" or
#: "Table: …", optionally ending in attributes such as ``{#tbl-income .grid}``.
#: Read by hand, not with mdit-py-plugins' attrs_block: that would let a ``{…}``
#: line set ids and classes on any block of an untrusted section.
_CAPTION = re.compile(r"^(?:表\s*[:：]|table\s*:)\s*(?P<text>.*?)\s*(?:\{(?P<attrs>[^{}]*)\})?$", re.IGNORECASE | re.S)
_CAPTION_PREFIX = re.compile(r"^\s*(?:表\s*[:：]|table\s*:)\s*", re.IGNORECASE)
_CAPTION_ATTRS = re.compile(r"\s*\{[^{}]*\}\s*$")
_ATTR = re.compile(r"#(?P<id>[^\s#.]+)|\.(?P<cls>[^\s#.]+)|(?P<other>\S+)")
#: A referable id: ``fig-`` or ``tbl-`` and a name; bare numbers are the automatic ids.
LABEL_ID = re.compile(r"^(fig|tbl)-(?!\d+$)[\w-]+$")


@dataclass(frozen=True, slots=True)
class TableCaption:
    """A table's caption line, read when the section is parsed."""

    inline: Token
    """The caption text, without the "表：" prefix and the attributes."""
    id: str
    """The author's id (``tbl-…``) to refer to the table by, or ''."""
    classes: tuple[str, ...]
    """Classes from `TABLE_CLASSES` for this table alone (its ruling, ``landscape``)."""


def _table_captions(state: StateCore) -> None:
    """A caption paragraph right before a table becomes the table's caption."""
    tokens = state.tokens
    i = 3
    while i < len(tokens):
        table, para, inline = tokens[i], tokens[i - 3], tokens[i - 2]
        if (
            table.type == "table_open"
            and para.type == "paragraph_open"
            and tokens[i - 1].type == "paragraph_close"
            and para.level == table.level
            and (match := _CAPTION.match(inline.content.strip()))
        ):
            line = inline.map[0] + 1 if inline.map else None
            set_ref(table, TableRef(caption=_read_caption(inline, match.group("attrs") or "", line, state.env)))
            del tokens[i - 3 : i]
            i -= 3
        i += 1


def _read_caption(inline: Token, attrs: str, line: int | None, env: dict) -> TableCaption:
    children = list(inline.children or [])
    if children and children[0].type == "text":
        children[0].content = _CAPTION_PREFIX.sub("", children[0].content, count=1)
    if attrs and children and children[-1].type == "text":
        children[-1].content = _CAPTION_ATTRS.sub("", children[-1].content, count=1)
    inline.children = [c for c in children if not (c.type == "text" and c.content == "")]
    anchor, classes = "", []
    for match in _ATTR.finditer(attrs):
        if match.group("id") and LABEL_ID.match(match.group("id")) and match.group("id").startswith("tbl-"):
            anchor = match.group("id")
        elif match.group("cls") in TABLE_CLASSES:
            classes.append(match.group("cls"))
        else:
            _problem(
                env,
                line,
                "warning",
                f"table caption attribute not understood, ignored: {match.group(0)}"
                f" (use #tbl-name, or a class: {', '.join('.' + c for c in TABLE_CLASSES)})",
            )
    return TableCaption(inline, anchor, tuple(classes))


#: A cell that is one number: "1,234", "-3.5", "105.1%", "¥12,000", "150.6 万".
_NUMBER = re.compile(r"[+\-−±]?\s?[¥$€£]?\s?\d[\d,]*(?:\.\d+)?\s?(?:%|‰|万|亿|倍)?")
#: An empty-looking cell in a column of numbers: "", "-", "—", "/".
_NO_VALUE = re.compile(r"[\s\-—–/]*")
#: A cell up to this wide (in em: a CJK character 1, other characters about 0.55)
#: never breaks; wider ones wrap.
SHORT_CELL_EM = 8.0
#: Text width of the packaged print.css in em at its table type size (9.5 pt on a
#: 170 mm measure); beyond it a table is set smaller, then on a landscape page.
MEASURE_EM = MappingProxyType({"normal": 50.0, "wide": 60.0, "landscape": 90.0})
_CELL_PADDING_EM = 1.2


def _table_layout(state: StateCore) -> None:
    """Column classes for every table: ``nw`` (stays on one line) on short cells and
    numbers, ``num`` (right-aligned, tabular figures) on columns of numbers; and how the
    table fits the page (`TableRef.fit`: normal, wide or landscape)."""
    tokens = state.tokens
    for i, token in enumerate(tokens):
        if token.type == "table_open":
            _lay_out_table(token, _table_cells(tokens, i))


def _table_cells(tokens: list[Token], start: int) -> list[list[tuple[Token, str]]]:
    """Rows of (cell opening token, cell text) from ``tokens[start]`` (a table_open)."""
    rows: list[list[tuple[Token, str]]] = []
    for j in range(start + 1, len(tokens)):
        token = tokens[j]
        if token.type == "table_close":
            break
        if token.type == "tr_open":
            rows.append([])
        elif token.type in ("th_open", "td_open") and rows:
            rows[-1].append((token, inline_text(tokens[j + 1])))
    return rows


def inline_text(inline: Token) -> str:
    """The text of an inline token without its markup (links keep their text)."""
    if inline.type != "inline":
        return ""
    return "".join(
        c.content if c.type in ("text", "code_inline") else " " if c.type == "softbreak" else ""
        for c in inline.children or []
    ).strip()


def _lay_out_table(table: Token, rows: list[list[tuple[Token, str]]]) -> None:
    columns = max((len(r) for r in rows), default=0)
    body = rows[1:]
    numeric = [_numeric_column([r[c][1] for r in body if c < len(r)]) for c in range(columns)]
    short = {
        id(cell): _text_em(text) <= SHORT_CELL_EM or bool(_NUMBER.fullmatch(text)) for row in rows for cell, text in row
    }
    need = sum(_column_em([row[c] for row in rows if c < len(row)], short) + _CELL_PADDING_EM for c in range(columns))
    found = ref(table, TableRef) or TableRef()
    caption = found.caption
    forced = caption is not None and "landscape" in caption.classes
    fit = "landscape" if forced else next((f for f, em in MEASURE_EM.items() if need <= em), "landscape")
    keep_short = need <= MEASURE_EM["landscape"]  # past a landscape page, text must wrap to fit at all
    set_ref(table, replace(found, fit=fit))
    for row in rows:
        for c, (cell, text) in enumerate(row):
            classes = []
            if short[id(cell)] and (keep_short or numeric[c]):
                classes.append("nw")
            if numeric[c]:
                classes.append("num")
            if classes:
                cell.attrSet("class", " ".join(classes))


def _numeric_column(texts: list[str]) -> bool:
    values = [t for t in texts if not _NO_VALUE.fullmatch(t)]
    return bool(values) and all(_NUMBER.fullmatch(t) for t in values)


def _column_em(cells: list[tuple[Token, str]], short: dict[int, bool]) -> float:
    """The narrowest the column can be: its widest unbreakable cell or word."""
    widest = 0.0
    for cell, text in cells:
        if short[id(cell)]:
            widest = max(widest, _text_em(text))
        else:
            words = re.findall(r"[^\s\u2e80-\u9fff\uff00-\uffef]+", text) or [""]
            widest = max(widest, min(12.0, max(_text_em(w) for w in words)), 2.0)
    return widest


def _text_em(text: str) -> float:
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.55 for ch in text)


# --- rendering ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Label:
    """A numbered figure or table, as a cross-reference to it prints and links."""

    text: str
    """What a reference prints: "图 3", "表 2", "Table 2"."""
    anchor: str
    """The element id of the figure or table (the same in the PDF and the HTML edition)."""
    section_id: str
    """The section it is in."""


@dataclass(frozen=True, slots=True)
class RenderContext:
    """What one rendering of a section needs to know about the rest of the report."""

    mode: str
    """``html`` (a page of the HTML edition) or ``pdf`` (part of the one PDF document)."""
    edition: str
    """``draft`` or ``public``."""
    section_id: str
    pages: dict[str, str] = field(default_factory=dict)
    """Section path → section id, for links between sections."""
    figures: dict[int, str] = field(default_factory=dict)
    """id(fence token) → the chart's rendered figure HTML."""
    language: str = "zh-CN"
    markers: dict[Status, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_MARKERS))
    """The report's marker set: a badge shows the first marker of its status."""
    files: str = ""
    """Prefix of the source's files in this output: the site copies them into a folder of
    their own (``files/``), where no name can replace a page or script the site generates."""
    tables: dict[int, int] = field(default_factory=dict)
    """id(table_open token) → the number of its caption, for captioned tables."""
    table_style: str = "three-line"
    """The report's ruling of tables, one of `TABLE_STYLES`."""
    labels: dict[str, Label] = field(default_factory=dict)
    """Author's id (``fig-…``, ``tbl-…``) → the figure or table it names, for cross-references."""
    label_pages: dict[str, int] | None = None
    """Element id → page in the bound PDF, when known before typesetting (the book
    engine); None lets the typesetter count the pages itself."""
    number: str = ""
    """The chapter number printed before the section's title (numbering.py), or ''."""

    def anchor_id(self, anchor: str, section_id: str | None = None) -> str:
        """The id an anchor has in this mode: the PDF is one document, so ids carry the section."""
        sid = section_id or self.section_id
        if self.mode == "pdf":
            return f"{sid}--{anchor}" if anchor else sid
        return anchor

    def href(self, section_id: str, anchor: str) -> str:
        if self.mode == "pdf":
            return "#" + self.anchor_id(anchor, section_id)
        page = f"{section_id}.html"
        if section_id == self.section_id and anchor:
            return "#" + anchor
        return page + (f"#{anchor}" if anchor else "")


def render(md: MarkdownIt, tokens: list[Token], env: dict, ctx: RenderContext) -> str:
    """HTML for ``tokens`` (one section) as ``ctx`` says."""
    render_env = dict(env, ctx=ctx, keep=_paragraph_ends(tokens) if ctx.mode == "pdf" else {})
    if ctx.mode == "pdf":
        render_env["pdf_footnotes"] = _footnote_bodies(md, tokens, render_env)
        tokens = _without_footnote_block(tokens)
    return md.renderer.render(tokens, md.options, render_env)


def _heading_open(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    ctx: RenderContext = env["ctx"]
    anchor = token.attrGet("id") or ""
    heading = _heading(token)
    if token.tag == "h1":
        anchor_id = ctx.section_id if ctx.mode == "pdf" else anchor
    else:
        anchor_id = ctx.anchor_id(anchor)
    attrs = f' id="{_attr(anchor_id)}"'
    classes = [f"align-{token.meta['align']}"] if "align" in token.meta else []  # <h1 align="center">
    if token.tag != "h1" and _empty_heading(tokens, idx):
        classes.append("heading-empty")
    number = ctx.number if token.tag == "h1" else ""
    if heading is not None:
        attrs += f' data-title="{_attr(titled(number, heading.title))}"'
        if ctx.edition == "draft" and heading.status is not None:
            classes.insert(0, f"status-{heading.status.value}")
    if classes:
        attrs += f' class="{" ".join(classes)}"'
    badge = _badge(heading, ctx.markers, ctx.language) if ctx.edition == "draft" else ""
    if badge and ctx.mode == "html":
        # Beside the heading, not in it: search results take a heading's whole text as its title.
        return f'<div class="unit-head">{badge}<{token.tag}{attrs}>'
    if number:
        badge += f'<span class="chapter-num">{html.escape(number)}</span>'
    return f"<{token.tag}{attrs}>{badge}"


def _heading(token: Token) -> Heading | None:
    """The `Heading` the reader made of a ``heading_open`` token (for badges and owners)."""
    mark = ref(token, HeadingRef)
    return mark.heading if mark is not None else None


def _empty_heading(tokens, idx) -> bool:
    """Nothing stands under the heading at ``idx``: what follows is a heading of its
    level or above, or the end of the section."""
    after = tokens[idx + 3] if idx + 3 < len(tokens) else None
    return (
        after is None
        or after.type == "footnote_block_open"
        or (after.type == "heading_open" and after.tag <= tokens[idx].tag)
    )


def _badge(heading: Heading | None, markers: dict[Status, tuple[str, ...]], language: str) -> str:
    if heading is None or heading.own_status is None:
        return ""
    status = heading.own_status
    marker = html.escape(markers.get(status, ("",))[0])
    label = words(language)[f"status_{status.value}"]
    return (
        f'<span class="badge badge-{status.value}" title="{label}" data-pagefind-ignore="all">'
        f'{marker}<span class="badge-text">{label}</span></span>'
    )


def _heading_close(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    ctx: RenderContext = env["ctx"]
    opener = _matching_open(tokens, idx)
    heading = _heading(opener) if opener is not None else None
    if ctx.edition != "draft" or heading is None or not heading.is_unit:
        return f"</{token.tag}>\n"
    bits = []
    if heading.owner:
        bits.append(f'<span class="owner">{html.escape(heading.owner)}</span>')
    if heading.due:
        bits.append(f'<span class="due">{words(ctx.language)["col_due"]} {html.escape(heading.due)}</span>')
    meta = f'<span class="unit-meta" data-pagefind-ignore="all">{"".join(bits)}</span>' if bits else ""
    if ctx.mode == "html":
        return f"</{token.tag}>{meta}</div>\n"
    return f"{meta}</{token.tag}>\n"


def _matching_open(tokens, idx):
    for j in range(idx - 1, -1, -1):
        if tokens[j].type == "heading_open":
            return tokens[j]
    return None


def _link_open(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    ctx: RenderContext = env["ctx"]
    link = ref(token, LinkRef) or LinkRef("external")
    kind = link.kind
    xref = _xref(token, idx + 1 < len(tokens) and tokens[idx + 1].type == "link_close", ctx)
    if xref is not None:
        return xref
    if kind == "text":
        return ""
    if kind == "unsafe" or link.broken:
        return '<span class="broken-link">'
    if kind == "asset" and ctx.mode == "pdf":
        return '<span class="file-link">'  # a PDF travels alone: no link to a path on the build machine
    if kind == "section":
        href = ctx.href(ctx.pages[link.target], link.anchor)
    elif kind == "anchor":
        href = "#" + ctx.anchor_id(link.anchor)
    elif kind == "asset":
        href = ctx.files + file_url(link.target)
    else:
        href = token.attrGet("href") or ""
    extra = ' rel="noopener noreferrer"' if kind == "external" else ""
    title = token.attrGet("title")
    extra += f' title="{_attr(title)}"' if title else ""
    if token.markup == "linkify" and ctx.mode == "pdf":
        extra += ' class="url"'  # may break anywhere, so a justified line before it is not spread thin
    return f'<a href="{_attr(href)}"{extra}>'


def _link_close(self, tokens, idx, options, env) -> str:
    opener = next((tokens[j] for j in range(idx - 1, -1, -1) if tokens[j].type == "link_open"), None)
    link = (ref(opener, LinkRef) if opener is not None else None) or LinkRef("external")
    if opener is not None and LABEL_ID.match(link.anchor) and link.kind == "anchor":
        if link.anchor not in env["ctx"].labels:
            return "</span>"
        return "</a>" + (_xref_close(tokens, idx, env["ctx"]) if tokens[idx - 1] is opener else "")
    if opener is not None and link.kind == "text":
        return ""
    if opener is not None and (link.kind == "unsafe" or link.broken):
        return "</span>"
    if opener is not None and link.kind == "asset" and env["ctx"].mode == "pdf":
        return "</span>"
    return "</a>"


def _xref_close(tokens, idx: int, ctx: RenderContext) -> str:
    """The bracket closing a cross-reference's page in the PDF (the stylesheet prints
    "（第 12 页"): real text, so that a full-width mark right after it is set against it
    as anywhere else, the bracket half width."""
    if ctx.mode != "pdf":
        return ""
    if not ctx.language.lower().startswith("zh"):
        return ")"
    following = tokens[idx + 1].content[:1] if idx + 1 < len(tokens) and tokens[idx + 1].type == "text" else ""
    return '<span class="cjk-halt">）</span>' if following in CLOSING else "）"


def _image(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    alt = self.renderInlineAsText(token.children or [], options, env)
    image = ref(token, ImageRef) or ImageRef("")
    kind = image.kind
    # Size and alignment of an <img> written as HTML (`reportgen.render.rawhtml`).
    shape = "".join(f' {name}="{_attr(token.meta[name])}"' for name in ("class", "style") if name in token.meta)
    if kind == "local":
        title = token.attrGet("title")
        t = f' title="{_attr(title)}"' if title else ""
        return f'<img src="{_attr(env["ctx"].files + file_url(image.target))}" alt="{_attr(alt)}"{t}{shape}>'
    if kind == "fetched":
        return f'<img src="{_attr(env["ctx"].files + file_url(image.target))}" alt="{_attr(alt)}"{shape}>'
    if kind == "inline":
        return f'<img src="{_attr(token.attrGet("src") or "")}" alt="{_attr(alt)}"{shape}>'
    src = token.attrGet("src") or ""
    reason = {"remote": "远程图片未获取", "missing": "图片缺失", "refused": "图片不可用"}.get(kind, "图片不可用")
    label = f"{alt}：" if alt else ""
    return (
        f'<span class="image-placeholder" role="img" aria-label="{_attr(alt or reason)}">'
        f'[{reason}] {html.escape(label)}<span class="url">{html.escape(src)}</span></span>'
    )


def _fence(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    ctx: RenderContext = env["ctx"]
    if id(token) in ctx.figures:
        return ctx.figures[id(token)]
    if ref(token, DiagramRef) is not None:
        return diagram_placeholder(token)
    lang = token.info.strip().split(" ")[0] if token.info else ""
    cls = f' class="language-{_attr(lang)}"' if lang else ""
    return f"<pre><code{cls}>{html.escape(token.content)}</code></pre>\n"


def _softbreak(self, tokens, idx, options, env) -> str:
    """A line break between two CJK characters is no space: Chinese has none between words.
    In the PDF, one between a Han character and a Latin word is no space either: the
    stylesheet spaces them (see `cjk.print_html`)."""
    return "" if _break_vanishes(tokens, idx, env["ctx"].mode) else "\n"


def _break_vanishes(tokens, idx, mode: str) -> bool:
    before = tokens[idx - 1].content[-1:] if idx > 0 and tokens[idx - 1].type == "text" else ""
    after = tokens[idx + 1].content[:1] if idx + 1 < len(tokens) and tokens[idx + 1].type == "text" else ""
    if before and after and is_cjk(before) and is_cjk(after):
        return True
    return mode == "pdf" and (is_han(before) or is_han(after)) and (before + after).strip().isalnum()


#: Inline tokens that show no text of their own: the text on either side of them meets.
TRANSPARENT = frozenset(
    {"strong_open", "strong_close", "em_open", "em_close", "s_open", "s_close", "link_open", "link_close"}
)


def _neighbour(tokens, idx, step: int, env) -> str:
    """The character shown just before (step -1) or after (step 1) inline token ``idx``."""
    mode = env["ctx"].mode
    j = idx + step
    while 0 <= j < len(tokens):
        token = tokens[j]
        if token.type == "text" and token.content and not token.content.strip(" \t"):
            return " "
        if token.type in ("text", "code_inline") and token.content:
            # Spaces between a Han character and what follows it are the author's
            # spacing, which the PDF sets itself: look past them.
            side = token.content[-1] if step < 0 else token.content[0]
            bare = token.content.rstrip(" \t")[-1] if step < 0 else token.content.lstrip(" \t")[0]
            return bare if token.type == "text" and is_han(bare) else side
        if token.type == "softbreak":
            if not _break_vanishes(tokens, j, mode):
                return " "
        elif token.type not in TRANSPARENT:
            return ""
        j += step
    return ""


def _text(self, tokens, idx, options, env) -> str:
    """Text with stray spaces dropped; in the PDF, spaced and kept as `cjk.print_html` says,
    and a paragraph's last words kept together on its last line."""
    token = tokens[idx]
    before, after = _neighbour(tokens, idx, -1, env), _neighbour(tokens, idx, 1, env)
    if env["ctx"].mode != "pdf":
        return _html_text(tokens, idx, before, after)
    keep = env["keep"].get(id(token))
    if keep is None:
        return print_html(token.content, before, after)
    opens, closes = keep
    if opens is None:
        return print_html(token.content, before, after) + "</span>"
    head, end = _split_han(token.content, opens)
    html_end = print_html(end, head.rstrip(" \t")[-1:] or before, after) if end else ""
    return (
        print_html(head, before, end[:1] or after)
        + '<span class="cjk-keep">'
        + html_end
        + ("</span>" if closes else "")
    )


def _split_han(text: str, count: int) -> tuple[str, str]:
    """(head, end): ``end`` starts at the ``count``-th Han character from the end of ``text``
    (``count`` 0: ``end`` is empty); with the punctuation that follows kept in ``end``."""
    if count == 0:
        return text, ""
    positions = [i for i, ch in enumerate(text) if is_han(ch)]
    return text[: positions[-count]], text[positions[-count] :]


def _html_text(tokens, idx, before: str, after: str) -> str:
    """HTML edition: a footnote mark is glued (``fn-glue``, no wrap) to the character
    before it and the punctuation after it, which the mark's rule shows."""
    content = tokens[idx].content
    if idx and tokens[idx - 1].type == "footnote_ref" and _glued(tokens, idx - 1):
        content = content.lstrip("".join(CLOSING))
    text = without_stray_spaces(content, before, after)
    if idx + 1 < len(tokens) and tokens[idx + 1].type == "footnote_ref" and _glued(tokens, idx + 1) and text:
        return html.escape(text[:-1], quote=False) + '<span class="fn-glue">' + html.escape(text[-1], quote=False)
    return html.escape(text, quote=False)


def _glued(tokens, idx) -> bool:
    """Whether the footnote mark at ``idx`` follows a character it must stay with."""
    return idx > 0 and tokens[idx - 1].type == "text" and tokens[idx - 1].content[-1:].strip() != ""


def _paragraph_ends(tokens: list[Token]) -> dict[int, tuple[int | None, bool]]:
    """The PDF keeps a paragraph's last two Han characters (and what follows them)
    on one line: id(text token) → (how many of its last Han characters open the
    kept run, or None when it only closes it; whether it closes it)."""
    keep: dict[int, tuple[int | None, bool]] = {}
    for i, token in enumerate(tokens):
        if token.type == "inline" and i and tokens[i - 1].type == "paragraph_open" and token.children:
            keep.update(_kept_end(token.children))
    return keep


def _kept_end(children: list[Token]) -> dict[int, tuple[int | None, bool]]:
    last = children[-1]
    if last.type != "text":
        return {}
    end = split_last_words(last.content)[1]
    if end:
        return {id(last): (sum(map(is_han, end)), True)}
    if any(ch.isalnum() for ch in last.content):
        return {}  # it ends with a Latin word, which may stand alone on the last line
    if last.content.strip("".join(CLOSING)):
        return _kept_across(children)
    return _kept_across(children) or _kept_inside(children)


def _kept_inside(children: list[Token]) -> dict[int, tuple[int | None, bool]]:
    """The last two Han characters of a link or emphasis that only closing marks
    follow (《[…我见我闻](…)》。): kept together there, as no line starts with those marks."""
    for child in reversed(children[:-1]):
        if child.type == "text" and sum(map(is_han, child.content)) >= 2:
            return {id(child): (2, True)}
        if child.nesting != -1 and not (child.type == "text" and not child.content.strip("".join(CLOSING))):
            return {}
    return {}


def _kept_across(children: list[Token]) -> dict[int, tuple[int | None, bool]]:
    last = children[-1]
    # The last Han characters sit in a link or emphasis, or before a footnote: the kept
    # run opens in the text before them, so that whole tokens lie inside it -- if short.
    have, depth, length = 0, 0, len(last.content)
    for j in range(len(children) - 2, -1, -1):
        child = children[j]
        depth -= child.nesting
        if child.type == "text" and depth == 0:
            count = max(0, 2 - have)
            if sum(map(is_han, child.content)) < count:
                return {}
            return {id(child): (count, False), id(last): (None, True)}
        if child.type in ("text", "code_inline"):
            have, length = have + sum(map(is_han, child.content)), length + len(child.content)
        if length > 8 or child.type in ("softbreak", "hardbreak", "image"):
            return {}
    return {}


def _code_inline(self, tokens, idx, options, env) -> str:
    """Inline code; in the PDF spaced from Han characters like a Latin word."""
    token = tokens[idx]
    classes = []
    if env["ctx"].mode == "pdf":
        if is_han(_neighbour(tokens, idx, -1, env)):
            classes.append("cjk-l")
        if is_han(_neighbour(tokens, idx, 1, env)):
            classes.append("cjk-r")
    cls = f' class="{" ".join(classes)}"' if classes else ""
    return f"<code{cls}>{html.escape(token.content, quote=False)}</code>"


def _table_open(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    ctx: RenderContext = env["ctx"]
    table = ref(token, TableRef) or TableRef()
    caption = table.caption
    chosen = [c for c in caption.classes if c in TABLE_STYLES] if caption else []
    fit = table.fit
    end = next((j for j in range(idx, len(tokens)) if tokens[j].type == "table_close"), len(tokens))
    with_images = any(
        c.type == "image" or any(isinstance(p, Token) and p.type == "image" for p in raw_parts(c))
        for t in tokens[idx:end]
        if t.type == "inline"
        for c in t.children or []
    )
    classes = (
        (chosen[-1] if chosen else ctx.table_style)
        + ("" if fit == "normal" else f" {fit}")
        + (f" {IMAGE_TABLE}" if with_images else "")
    )
    fit_class = "" if fit == "normal" else f" {fit}"
    table = f'<div class="table-wrap{fit_class}">\n<table class="{classes}">\n'
    number = ctx.tables.get(id(token))
    if caption is None or number is None:
        return table
    word = "表" if ctx.language.lower().startswith("zh") else "Table"
    text = self.renderInline(caption.inline.children or [], options, env)
    anchor = caption.id or f"tbl-{number}"
    sep = "　" if word == "表" else " "
    return (
        f'<figure class="table{fit_class}" id="{_attr(anchor)}">\n<figcaption><span class="tbl-num">{word} {number}'
        f"</span>{sep}{text}</figcaption>\n{table}"
    )


def _table_close(self, tokens, idx, options, env) -> str:
    opener = next((tokens[j] for j in range(idx - 1, -1, -1) if tokens[j].type == "table_open"), None)
    table = ref(opener, TableRef) if opener is not None else None
    numbered = table is not None and table.caption is not None and id(opener) in env["ctx"].tables
    return "</table>\n</div>\n" + ("</figure>\n" if numbered else "")


def _xref(token: Token, empty: bool, ctx: RenderContext) -> str | None:
    """A link to a figure or table: ``[](#tbl-x)`` prints its number (and, in the
    PDF, its page); None when the link is not to a figure or table."""
    link = ref(token, LinkRef)
    anchor = link.anchor if link is not None else ""
    if link is None or link.kind != "anchor" or not LABEL_ID.match(anchor):
        return None
    label = ctx.labels.get(anchor)
    if label is None:  # unknown (the reader warned) or left out of this edition
        zh = ctx.language.lower().startswith("zh")
        word = ("图" if zh else "Figure") if anchor.startswith("fig") else ("表" if zh else "Table")
        return '<span class="broken-link">' + f"{word} ?" * empty
    if ctx.mode == "pdf" or label.section_id == ctx.section_id:
        href = "#" + label.anchor
    else:
        href = f"{label.section_id}.html#{label.anchor}"
    if not empty:  # the author's own words: a plain link
        return f'<a href="{_attr(href)}">'
    page = ""
    if ctx.mode == "pdf" and ctx.label_pages is not None:
        page = f' data-page="{ctx.label_pages.get(label.anchor, 888)}"'
    return f'<a class="xref" href="{_attr(href)}"{page}>' + html.escape(label.text)


def _footnote_ref(self, tokens, idx, options, env) -> str:
    ctx: RenderContext = env["ctx"]
    fid = tokens[idx].meta["id"]
    n = fid + 1
    if ctx.mode == "pdf":
        body = env.get("pdf_footnotes", {}).get(fid, "")
        return f'<span class="footnote">{body}</span>'
    sub = tokens[idx].meta.get("subId", 0)
    ref_id = f"fnref{n}" + (f"-{sub}" if sub else "")
    mark = f'<sup class="footnote-ref"><a href="#fn{n}" id="{ref_id}">[{n}]</a></sup>'
    if _glued(tokens, idx):
        # The glue opened before the mark closes after the punctuation that follows it.
        following = tokens[idx + 1].content if idx + 1 < len(tokens) and tokens[idx + 1].type == "text" else ""
        marks = len(following) - len(following.lstrip("".join(CLOSING)))
        return mark + html.escape(following[:marks]) + "</span>"
    return mark


def _footnote_open(self, tokens, idx, options, env) -> str:
    return f'<li id="fn{tokens[idx].meta["id"] + 1}" class="footnote-item">'


def _footnote_anchor(self, tokens, idx, options, env) -> str:
    meta = tokens[idx].meta
    n = meta["id"] + 1
    sub = meta.get("subId", 0)
    ref_id = f"fnref{n}" + (f"-{sub}" if sub else "")
    return f' <a href="#{ref_id}" class="footnote-backref" aria-label="返回正文">↩</a>'


def _footnote_block_open(self, tokens, idx, options, env) -> str:
    return '<section class="footnotes" aria-label="脚注">\n<ol class="footnotes-list">\n'


def _footnote_bodies(md: MarkdownIt, tokens: list[Token], env: dict) -> dict[int, str]:
    """Footnote id → its text as inline HTML, for footnotes set at the foot of the PDF page."""
    bodies: dict[int, str] = {}
    current = None
    parts: list[Token] = []
    for token in tokens:
        if token.type == "footnote_open":
            current, parts = token.meta["id"], []
        elif token.type == "footnote_close":
            # A footnote may cite itself: render its body with no bodies to inline.
            bodies[current] = md.renderer.render(
                [t for t in parts if t.type == "inline"], md.options, dict(env, pdf_footnotes={})
            )
            current = None
        elif current is not None:
            parts.append(token)
    return bodies


def _without_footnote_block(tokens: list[Token]) -> list[Token]:
    out, inside = [], False
    for token in tokens:
        if token.type == "footnote_block_open":
            inside = True
        elif token.type == "footnote_block_close":
            inside = False
        elif not inside:
            out.append(token)
    return out


def file_url(target: str) -> str:
    """A path inside the report as a relative URL: a file named ``a b&c.png`` stays reachable."""
    return quote(target, safe="/")


def _attr(value: str) -> str:
    return html.escape(value, quote=True)


_RENDER_RULES = MappingProxyType(
    {
        "heading_open": _heading_open,
        "heading_close": _heading_close,
        "link_open": _link_open,
        "link_close": _link_close,
        "image": _image,
        "fence": _fence,
        "softbreak": _softbreak,
        "text": _text,
        "code_inline": _code_inline,
        "table_open": _table_open,
        "table_close": _table_close,
        "footnote_ref": _footnote_ref,
        "footnote_open": _footnote_open,
        "footnote_anchor": _footnote_anchor,
        "footnote_block_open": _footnote_block_open,
        "task_mark": _task_mark,
    }
)

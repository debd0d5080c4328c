"""Raw HTML written in a section: a safe subset passed through, the rest dropped with a warning.

Real reports (VitePress, GitBook, mdBook) hold ``<img>`` figures, ``<center>``
captions, ``<br>``, ``<h1 align="center">`` headings and comments.  The one
parser reads raw HTML as ``html_block`` and ``html_inline`` tokens; this stage
reads each of them with Python's own tokenising parser (`html.parser`, which
takes fragments one at a time and never builds a tree) and keeps, per token, a
list of *parts* in its `RawRef`: HTML this stage wrote itself (tags of
the allow-list with checked attributes, text escaped) and tokens for what the
Markdown render rules already know how to draw — an ``image`` token for
``<img>`` and ``link_open``/``link_close`` tokens for ``<a href>``, classified
by the same functions as Markdown images and links, so a raw image is found,
confined and given a placeholder exactly like ``![](…)``.

Tags are written one by one and may be unbalanced across tokens (``<div>``,
Markdown, ``</div>``); the sanitiser's HTML5 parser balances the section body
as a whole.  Headings written as HTML become heading tokens before the inline
stage, so they take markers, anchors, TOC entries and bookmarks (and an HTML
banner above the title moves under it).  Comments are
dropped; scripts, styles, SVG and embedded media are dropped with their
content (media leave a link to their URL); any other tag or attribute is
dropped with a warning naming it, its text kept.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from types import MappingProxyType

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from reportgen.model import ref, set_ref

_TITLE = frozenset({"title"})
PASSED: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        **{
            tag: frozenset()
            for tag in (
                "br",
                "hr",
                "p",
                "div",
                "span",
                "sub",
                "sup",
                "kbd",
                "mark",
                "ins",
                "del",
                "s",
                "u",
                "small",
                "b",
                "i",
                "em",
                "strong",
                "code",
                "pre",
                "blockquote",
                "ul",
                "li",
                "dl",
                "dt",
                "dd",
                "summary",
                "figure",
                "figcaption",
                "table",
                "thead",
                "tbody",
                "tfoot",
                "tr",
                "caption",
            )
        },
        "abbr": _TITLE,
        "ol": frozenset({"start"}),
        "details": frozenset({"open"}),
        "th": frozenset({"colspan", "rowspan"}),
        "td": frozenset({"colspan", "rowspan"}),
        "img": frozenset({"src", "alt", "title", "width", "height"}),
        "a": frozenset({"href", "title"}),
    }
)
"""Tags passed through, with the attributes each keeps (``align`` is read separately)."""

RENAMED = MappingProxyType({"center": ("div", "align-center")})
"""Obsolete tags written as a tag of the allow-list with a class the templates style."""

IMAGE_TABLE = "with-images"
"""Class of a table that holds images: laid out to the column's width, its images shrunk to their cells
(by content, a 700px image in a cell would push the table past the page)."""

ALIGNABLE = frozenset(
    {
        "p",
        "div",
        "span",
        "td",
        "th",
        "tr",
        "table",
        "img",
        "figure",
        "figcaption",
        "caption",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
    }
)
ALIGNMENTS = frozenset({"left", "center", "right", "justify"})

EMBEDS = MappingProxyType(
    {"iframe": "嵌入页面", "video": "视频", "audio": "音频", "embed": "嵌入内容", "object": "嵌入内容"}
)
"""Tags that would embed another document or a player: never embedded, a link to the URL instead."""

WITH_CONTENT = frozenset(
    {
        "script",
        "style",
        "template",
        "svg",
        "math",
        "iframe",
        "video",
        "audio",
        "object",
        "textarea",
        "select",
        "noscript",
        "head",
        "title",
    }
)
"""Tags whose content is no text of the report: dropped with the tag."""

HTML_ELEMENTS = frozenset(
    """
a abbr acronym address applet area article aside audio b base basefont bdi bdo bgsound big blink blockquote
body br button canvas caption center cite code col colgroup data datalist dd del details dfn dialog dir div dl
dt em embed fieldset figcaption figure font footer form frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr
html i iframe image img input ins isindex kbd keygen label legend li link listing main map mark marquee math
menu menuitem meta meter multicol nav nextid nobr noembed noframes noscript object ol optgroup option output p
param picture plaintext portal pre progress q rb rp rt rtc ruby s samp script search section select slot small
source spacer span strike strong style sub summary sup svg table tbody td template textarea tfoot th thead time
title tr track tt u ul var video wbr xmp
""".split()
)
"""Every element name of HTML, current and obsolete: ``<The Song of the Open Source People>``
is prose in angle brackets, not a tag, and stays text."""

_COMPONENT = re.compile(r"^[A-Za-z][a-z0-9]*[A-Z]|-")
"""``<ClientOnly>``, ``<Badge …/>``, ``<my-widget>``: a component of the site generator, not text."""

VOID = frozenset(
    {
        "br",
        "hr",
        "img",
        "embed",
        "source",
        "track",
        "input",
        "meta",
        "link",
        "base",
        "wbr",
        "col",
        "area",
        "param",
        "keygen",
    }
)

_NUMBER = re.compile(r"^\s*(\d{1,5})\s*$")
_SIZE = re.compile(r"^\s*(\d{1,5}(?:\.\d+)?)\s*(px|%)?\s*$")
_HEADING = re.compile(r"<(h[1-6])(\s[^>]*)?>(.*?)</\1\s*>", re.IGNORECASE | re.DOTALL)
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)


def raw_html_plugin(md: MarkdownIt, classify_link, classify_image) -> None:
    """Pass the raw HTML ``md`` reads (its ``html`` option on) through this stage.

    ``classify_link(token, line, env)`` and ``classify_image(token, line, env)``
    are the Markdown stage's own checks, so raw links and images are judged by
    the same rules."""
    md.core.ruler.before("inline", "html_headings", _html_headings)
    md.core.ruler.after("inline", "raw_html", _raw_html_rule(classify_link, classify_image))
    md.add_render_rule("html_block", _render)
    md.add_render_rule("html_inline", _render)


# --- headings written as HTML --------------------------------------------------------


def _html_headings(state: StateCore) -> None:
    """Split every ``<hN>…</hN>`` out of an HTML block into heading tokens (its content
    parsed as inline Markdown), and drop blocks that hold nothing but comments."""
    out: list[Token] = []
    for token in state.tokens:
        if token.type != "html_block":
            out.append(token)
            continue
        content = _COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), token.content)
        if not content.strip():
            continue  # a comment, perhaps over many lines: never shown, no line in the output
        out.extend(_split_headings(token, content))
    state.tokens = _title_first(out)


def _title_first(tokens: list[Token]) -> list[Token]:
    """A banner of HTML above the title (``<p align="center"><img logo></p>`` then
    ``# 标题``) goes under it: the title opens the section, as the reader expects."""
    first = next((i for i, t in enumerate(tokens) if t.type != "html_block"), len(tokens))
    if 0 < first < len(tokens) and tokens[first].type == "heading_open" and tokens[first].tag == "h1":
        return tokens[first : first + 3] + tokens[:first] + tokens[first + 3 :]
    return tokens


def _split_headings(block: Token, content: str) -> list[Token]:
    pieces: list[Token] = []
    start, line = 0, block.map[0] if block.map else 0
    for match in _HEADING.finditer(content):
        before = content[start : match.start()]
        if before.strip():
            pieces.append(_html_piece(block, before, line))
        line += before.count("\n")
        pieces += _heading_tokens(block, match, line)
        line += match.group(0).count("\n")
        start = match.end()
    if not pieces:
        block.content = content
        return [block]
    if content[start:].strip():
        pieces.append(_html_piece(block, content[start:], line))
    return pieces


def _html_piece(block: Token, content: str, line: int) -> Token:
    piece = Token("html_block", "", 0, content=content, block=True, level=block.level)
    piece.map = [line, line + content.count("\n") + 1]
    return piece


def _heading_tokens(block: Token, match: re.Match, line: int) -> list[Token]:
    tag, attributes, inner = match.group(1).lower(), match.group(2) or "", match.group(3)
    where = [line, line + match.group(0).count("\n") + 1]
    opening = Token("heading_open", tag, 1, markup="#" * int(tag[1]), block=True, level=block.level)
    opening.map = where
    align = _attributes(f"<p{attributes}>").get("align", "").strip().lower()
    if align in ALIGNMENTS:
        opening.meta["align"] = align
    inline = Token("inline", "", 0, content=inner.strip(), level=block.level + 1, children=[])
    inline.map = where
    closing = Token("heading_close", tag, -1, markup=opening.markup, block=True, level=block.level)
    return [opening, inline, closing]


def _attributes(start_tag: str) -> dict[str, str]:
    found: dict[str, str] = {}

    class Reader(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.update((k, v or "") for k, v in attrs)

    reader = Reader()
    reader.feed(start_tag)
    reader.close()
    return found


# --- every other piece of raw HTML ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class RawRef:
    """What an ``html_block`` or ``html_inline`` token holds once read (`model.ref`)."""

    parts: tuple
    """HTML this stage wrote itself (str) and tokens the Markdown render rules draw (images, links)."""
    text: str = ""
    """Of a block: its text without tags, for the word count."""


@dataclass
class _State:
    """What one section's raw HTML carries from one token to the next."""

    env: dict
    classify_link: object
    classify_image: object
    links: list[Token] = field(default_factory=list)
    """Raw ``<a>`` openers not yet closed, innermost last."""
    skipping: list[str] = field(default_factory=list)
    """Tags whose content is being dropped, innermost last; reset at the end of each block."""


def _raw_html_rule(classify_link, classify_image):
    def raw_html(state: StateCore) -> None:
        shared = _State(state.env, classify_link, classify_image)
        tokens = state.tokens
        for i, token in enumerate(tokens):
            if token.type == "html_block":
                parts, text = _read(token.content, _line(token), shared)
                set_ref(token, RawRef(tuple(parts), text))
                shared.skipping.clear()
            elif token.type == "inline" and token.children:
                _inline(token, shared)
                shared.skipping.clear()
                if 0 < i < len(tokens) - 1 and tokens[i - 1].type == "paragraph_open" and _empty(token):
                    tokens[i - 1].hidden = tokens[i + 1].hidden = True  # nothing left to show: no <p></p>

    return raw_html


def _empty(inline: Token) -> bool:
    return all(
        (c.type == "html_inline" and not raw_parts(c))
        or (c.type == "text" and not c.content.strip())
        or c.type == "softbreak"
        for c in inline.children
    )


def _line(token: Token) -> int | None:
    return token.map[0] + 1 if token.map else None


def _inline(token: Token, shared: _State) -> None:
    line = _line(token)
    for child in token.children:
        if child.type == "html_inline":
            set_ref(child, RawRef(tuple(_read(child.content, line, shared)[0])))
        elif shared.skipping and child.type in ("text", "softbreak", "hardbreak", "code_inline"):
            child.type, child.content = "text", ""  # inside an inline <script> or <svg>
        if line is not None:
            line += child.content.count("\n") + (child.type in ("softbreak", "hardbreak"))


def _read(fragment: str, line: int | None, shared: _State) -> tuple[list, str]:
    """The parts of ``fragment``, and the text it shows (for word counts)."""
    reader = _Fragment(line, shared, "<img" in fragment.lower())
    reader.feed(fragment)
    reader.close()
    return reader.parts, "".join(reader.text)


class _Fragment(HTMLParser):
    """One raw HTML token read into parts: strings of safe HTML and Markdown tokens."""

    def __init__(self, line: int | None, shared: _State, with_images: bool):
        super().__init__(convert_charrefs=True)
        self.first_line, self.shared, self.parts = line, shared, []
        self.with_images, self.text = with_images, []

    # -- where, and what to say

    def line(self) -> int | None:
        return None if self.first_line is None else self.first_line + self.getpos()[0] - 1

    def warn(self, message: str) -> None:
        self.shared.env.setdefault("problems", []).append((self.line(), "warning", message))

    # -- HTMLParser's callbacks

    def handle_starttag(self, tag, attrs):
        if not self.prose(tag, attrs):
            self.start(tag, attrs, closed=False)

    def handle_startendtag(self, tag, attrs):
        self.start(tag, attrs, closed=True)

    def prose(self, tag: str, attrs) -> bool:
        """True (and the text kept as written) for angle brackets that hold words, not a tag."""
        written = self.get_starttag_text() or ""
        if (
            tag in HTML_ELEMENTS
            or self.shared.skipping
            or _COMPONENT.search(written[1:].split()[0].rstrip(">/"))
            or any(value is not None for _, value in attrs)
        ):
            return False
        self.parts.append(html.escape(written, quote=False))
        return True

    def handle_endtag(self, tag):
        if tag not in HTML_ELEMENTS and not self.shared.skipping:
            return  # the end of a component (its start was reported) or of prose: nothing to show
        skipping = self.shared.skipping
        if skipping:
            if tag in skipping:
                del skipping[len(skipping) - 1 - skipping[::-1].index(tag) :]
            return
        if tag == "a":
            if self.shared.links:
                opener = self.shared.links.pop()
                self.parts.append(Token("link_close", "a", -1, meta={"opener": opener}))
            return
        if tag in RENAMED:
            self.parts.append(f"</{RENAMED[tag][0]}>")
        elif tag in PASSED and tag not in VOID:
            self.parts.append(f"</{tag}>")

    def handle_data(self, data):
        if not self.shared.skipping:
            self.parts.append(html.escape(data, quote=False))
            self.text.append(data)

    def handle_comment(self, data):
        pass  # a comment is the author's note to themselves: never shown

    def handle_decl(self, decl):
        pass  # <!DOCTYPE …> of a pasted page

    def unknown_decl(self, data):
        self.warn("raw HTML <![…]> section dropped")

    def handle_pi(self, data):
        self.warn(f"raw HTML processing instruction dropped: <?{data[:40]}")

    # -- the decisions

    def start(self, tag: str, attrs: list[tuple[str, str | None]], closed: bool) -> None:
        values = {name: value or "" for name, value in attrs}
        if self.shared.skipping:
            if tag == "source" and self.shared.skipping[-1] in ("video", "audio"):
                self.embed(self.shared.skipping[-1], values)  # the player's URL is its <source>
            elif tag in WITH_CONTENT and not closed:
                self.shared.skipping.append(tag)
            return
        if tag in EMBEDS:
            self.embed(tag, values)
        if tag in WITH_CONTENT:
            if tag not in EMBEDS:
                self.warn(f"raw HTML <{tag}> dropped with its content")
            if not closed:
                self.shared.skipping.append(tag)
            return
        if tag in EMBEDS:
            return
        if tag == "img":
            self.image(values)
        elif tag == "a":
            self.link(values, closed)
        elif tag in PASSED or tag in RENAMED:
            self.element(tag, values, closed)
        else:
            kept = "" if tag in VOID else ", its text kept"
            self.warn(f"raw HTML <{tag}> dropped{kept} (allowed: see 'Raw HTML' in the README)")

    def dropped(self, tag: str, names: list[str]) -> None:
        if names:
            self.warn(f"raw HTML <{tag}>: attribute{'s' if len(names) > 1 else ''} dropped: {', '.join(names)}")

    def element(self, tag: str, values: dict[str, str], closed: bool) -> None:
        name, classes = (RENAMED[tag][0], [RENAMED[tag][1]]) if tag in RENAMED else (tag, [])
        if tag == "table" and self.with_images:
            classes.append(IMAGE_TABLE)
        allowed = PASSED.get(tag, frozenset())
        written, refused = [], []
        for attribute, value in values.items():
            if attribute == "align" and tag in ALIGNABLE and value.strip().lower() in ALIGNMENTS:
                classes.append(f"align-{value.strip().lower()}")
            elif attribute in allowed and _value_ok(attribute, value):
                written.append(f' {attribute}="{html.escape(value.strip(), quote=True)}"' if value else f" {attribute}")
            else:
                refused.append(attribute)
        self.dropped(tag, refused)
        if tag == "details":
            self.parts.append(Token("details_open", "details", 1, meta={"open": "open" in values}))
            return
        cls = f' class="{" ".join(classes)}"' if classes else ""
        self.parts.append(f"<{name}{cls}{''.join(written)}>")
        if closed and name not in VOID:
            self.parts.append(f"</{name}>")

    def image(self, values: dict[str, str]) -> None:
        token = Token("image", "img", 0, attrs={"src": values.get("src", "").strip(), "alt": ""})
        token.children = [Token("text", "", 0, content=values.get("alt", ""))]
        if values.get("title"):
            token.attrSet("title", values["title"])
        style = _size_style(values.get("width", ""), values.get("height", ""))
        if style:
            token.meta["style"] = style
        align = values.get("align", "").strip().lower()
        if align in ALIGNMENTS:
            token.meta["class"] = f"align-{align}"
        refused = [a for a in values if a not in PASSED["img"] and not (a == "align" and align in ALIGNMENTS)]
        refused += [a for a in ("width", "height") if values.get(a) and not _SIZE.match(values[a])]
        self.dropped("img", refused)
        if not token.attrGet("src"):
            self.warn("raw HTML <img> without src dropped")
            return
        self.shared.classify_image(token, self.line(), self.shared.env)
        self.parts.append(token)

    def link(self, values: dict[str, str], closed: bool) -> None:
        if "href" not in values:
            self.warn(
                "raw HTML <a> without href: tag dropped, its text kept"
                + (f" (attributes: {', '.join(values)})" if values else "")
            )
            return
        token = Token("link_open", "a", 1, attrs={"href": values["href"].strip()})
        if values.get("title"):
            token.attrSet("title", values["title"])
        self.dropped("a", [a for a in values if a not in PASSED["a"]])
        self.shared.classify_link(token, self.line(), self.shared.env)
        self.parts.append(token)
        if closed:
            self.parts.append(Token("link_close", "a", -1, meta={"opener": token}))
        else:
            self.shared.links.append(token)

    def embed(self, tag: str, values: dict[str, str]) -> None:
        url = (values.get("src") or values.get("data") or "").strip()
        if not url:
            if tag not in ("video", "audio"):  # their <source> children name the URL
                self.warn(f"raw HTML <{tag}> without a URL dropped")
            return
        self.warn(f"raw HTML <{tag}> is not embedded; a link to it is shown instead: {url}")
        token = Token("link_open", "a", 1, attrs={"href": url})
        self.shared.classify_link(token, self.line(), self.shared.env)
        self.parts += [
            f'<span class="embed-placeholder">[{EMBEDS[tag]}未嵌入] ',
            token,
            html.escape(url, quote=False),
            Token("link_close", "a", -1, meta={"opener": token}),
            "</span>",
        ]


def _value_ok(attribute: str, value: str) -> bool:
    if attribute in ("colspan", "rowspan", "start"):
        return bool(_NUMBER.match(value))
    return True


def _size_style(width: str, height: str) -> str:
    """``width``/``height`` attributes as CSS the column can still shrink: a width
    alone keeps the image's proportions (its height follows), a height only counts
    when no width is given."""
    for prop, value in (("width", width), ("height", height)):
        match = _SIZE.match(value or "")
        if match:
            return f"{prop}: {match.group(1)}{match.group(2) or 'px'}"
    return ""


# --- rendering -------------------------------------------------------------------------


def raw_parts(token: Token) -> tuple:
    """The parts raw HTML ``token`` was read into; () for any other token."""
    raw = ref(token, RawRef)
    return raw.parts if raw is not None else ()


def _render(self, tokens, idx, options, env) -> str:
    """The parts of a raw HTML token; a token this stage never read shows as text."""
    token = tokens[idx]
    raw = ref(token, RawRef)
    if raw is None:
        return html.escape(token.content)
    out = []
    for part in raw.parts:
        if isinstance(part, str):
            out.append(part)
        elif part.type == "link_close":
            out.append(self.rules["link_close"]([part.meta["opener"], part], 1, options, env))
        elif part.type == "details_open":
            is_open = part.meta["open"] or env["ctx"].mode == "pdf"  # paper cannot be clicked open
            out.append("<details open>" if is_open else "<details>")
        else:
            out.append(self.rules[part.type]([part], 0, options, env))
    return "".join(out)

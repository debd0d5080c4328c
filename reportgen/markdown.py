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
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.footnote import footnote_plugin

from reportgen import paths
from reportgen.cjk import cjk_friendly_plugin, is_cjk
from reportgen.model import Heading, Status

#: How deep blocks may nest (quotes in lists in quotes…); text deeper than this is
#: not rendered, and the reader warns at its line.
MAX_NESTING = 100

#: Schemes a link may use; anything else is not a link in any output.
SAFE_SCHEMES = ("http", "https", "mailto")


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
    beside Chinese punctuation; raw HTML stays text."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": False, "maxNesting": MAX_NESTING})
    md.enable(["table", "strikethrough", "linkify"])
    # Every link and image reaches our own check (`_check_links`), which drops the
    # unsafe ones with a warning at their line instead of leaving them as text.
    md.validateLink = lambda url: True
    md.use(cjk_friendly_plugin)
    md.use(footnote_plugin, inline=True)
    md.core.ruler.push("status_marker", _marker_rule(_marker_table(markers)))
    md.use(anchors_plugin, min_level=1, max_level=6, slug_func=slugify)
    md.core.ruler.push("reserved_ids", _avoid_reserved_ids)
    md.core.ruler.push("check_links", _check_links)
    for name, rule in _RENDER_RULES.items():
        md.add_render_rule(name, rule)
    return md


# --- parse-time rules -------------------------------------------------------


def _marker_table(markers: dict[Status, tuple[str, ...]]) -> list[tuple[str, Status]]:
    """(marker without U+FE0F, status), longest first so prefixes do not shadow."""
    table = [
        (marker.replace("\ufe0f", ""), status)
        for status, marks in markers.items()
        for marker in marks
    ]
    return sorted(table, key=lambda item: -len(item[0]))


def _marker_rule(table: list[tuple[str, Status]]):
    def status_marker(state: StateCore) -> None:
        for i, token in enumerate(state.tokens):
            if token.type == "heading_open":
                _read_marker(token, state.tokens[i + 1], table)

    return status_marker


def _read_marker(heading: Token, inline: Token, table) -> None:
    """Strip a leading status marker off the heading text into ``heading.meta``."""
    first = next((c for c in inline.children or [] if c.type == "text" and c.content.strip()), None)
    if first is None:
        return
    text = first.content.lstrip()
    bare = text.replace("\ufe0f", "")
    for marker, status in table:
        if bare.startswith(marker):
            heading.meta["status"] = status
            first.content = _drop_prefix(text, marker).lstrip()
            break
    else:
        if text and _looks_like_emoji(text[0]):
            heading.meta["unknown_marker"] = text[0]
    inline.children = [c for c in inline.children if not (c.type == "text" and c.content == "")]


def _drop_prefix(text: str, marker: str) -> str:
    """Remove ``marker`` from the start of ``text``, with any U+FE0F inside or after it."""
    i = 0
    for ch in marker:
        while i < len(text) and text[i] == "\ufe0f":
            i += 1
        i += 1  # ch itself (the caller checked it matches)
    while i < len(text) and text[i] == "\ufe0f":
        i += 1
    return text[i:]


def _looks_like_emoji(ch: str) -> bool:
    return ord(ch) >= 0x2190 and unicodedata.category(ch) == "So"


#: Ids the page itself uses: the site's own (``rg-…``), footnotes' (``fn1``, ``fnref1-2``), figures' (``fig-1``).
RESERVED_ID = re.compile(r"^(rg-.*|fn\d+|fnref\d+(-\d+)?|fig-\d+)$")


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


def _problem(env: dict, line: int | None, severity: str, message: str) -> None:
    env.setdefault("problems", []).append((line, severity, message))


def _classify_link(token: Token, line: int | None, env: dict) -> None:
    if token.markup == "linkify":
        _unescape_bare_url(token)
    href = token.attrGet("href") or ""
    parts = urlsplit(href)
    if parts.scheme:
        if parts.scheme.lower() in SAFE_SCHEMES:
            token.meta["link"] = "external"
        else:
            token.meta["link"] = "unsafe"
            _problem(env, line, "warning", f"link scheme not allowed, link dropped: {href}"
                     f" (allowed: {', '.join(SAFE_SCHEMES)} and paths inside the report)")
        return
    if parts.netloc or href.startswith("/") or href.startswith("\\"):
        token.meta["link"] = "unsafe"
        _problem(env, line, "warning", f"absolute path not allowed, link dropped: {href}")
        return
    path, anchor = unquote(parts.path), unquote(parts.fragment)
    if (wrong := paths.problem(path)) is not None:
        token.meta["link"] = "unsafe"
        _problem(env, line, "error", f"link path {wrong}, link dropped: {paths.shown(href)}")
        return
    if not path:
        token.meta.update(link="anchor", anchor=anchor, line=line)
        env.setdefault("links", []).append(token)
        return
    target = _inside(env, path)
    if target is None:
        token.meta["link"] = "unsafe"
        _problem(env, line, "warning", f"link points outside the report, link dropped: {href}")
    elif target.endswith(".md"):
        token.meta.update(link="section", target=target, anchor=anchor, line=line)
        env.setdefault("links", []).append(token)
    elif not (Path(env["root"]) / target).is_file():
        token.meta["link"] = "unsafe"
        _problem(env, line, "warning", f"linked file not found, link dropped: {href}")
    else:
        token.meta.update(link="asset", target=target)
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
        token.meta["image"] = "remote"
        env.setdefault("remote_images", []).append((line, src, token))
        return
    if scheme == "data":
        if re.match(r"data:image/(png|jpe?g|gif|webp)[;,]", src, re.IGNORECASE):
            token.meta["image"] = "inline"
        else:
            token.meta["image"] = "refused"
            _problem(env, line, "error", f"only PNG, JPEG, GIF or WebP data may be inlined as an image: {src[:60]}")
        return
    if scheme or parts.netloc or src.startswith(("/", "\\")):
        token.meta["image"] = "refused"
        _problem(env, line, "error", f"image must be a file inside the report: {src}")
        return
    if (wrong := paths.problem(unquote(parts.path))) is not None:
        token.meta["image"] = "refused"
        _problem(env, line, "error", f"image path {wrong}: {paths.shown(src)}")
        return
    target = _inside(env, unquote(parts.path))
    if target is None:
        token.meta["image"] = "refused"
        _problem(env, line, "error", f"image points outside the report: {src}")
    elif not (Path(env["root"]) / target).is_file():
        token.meta["image"] = "missing"
        _problem(env, line, "warning", f"image not found, a placeholder is shown: {src}")
    elif (damage := _damaged(Path(env["root"]) / target)) is not None:
        token.meta["image"] = "missing"
        _problem(env, line, "warning", f"image file cannot be read ({damage}), a placeholder is shown: {src}")
    else:
        token.meta.update(image="local", target=target)
        env.setdefault("assets", set()).add(target)


RASTER = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff")


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


def _inside(env: dict, path: str) -> str | None:
    """``path`` (relative to the section file) as a path relative to the report
    root, or None when it leaves the root (``..``, symbolic links)."""
    root = Path(env["root"]).resolve()
    candidate = (root / env["dir"] / path).resolve()
    try:
        return candidate.relative_to(root).as_posix()
    except ValueError:
        return None


# --- rendering ----------------------------------------------------------------


@dataclass
class RenderContext:
    """What one rendering of a section needs to know about the rest of the report."""

    mode: str
    """``html`` (a page of the HTML edition) or ``pdf`` (part of the one PDF document)."""
    edition: str
    """``draft`` or ``public``."""
    section_id: str
    pages: dict[str, str] = field(default_factory=dict)
    """Section path → section id, for links between sections."""
    headings: dict[int, Heading] = field(default_factory=dict)
    """id(heading_open token) → its Heading, for badges and owners."""
    figures: dict[int, str] = field(default_factory=dict)
    """id(fence token) → the chart's rendered figure HTML."""
    language: str = "zh-CN"

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
    render_env = dict(env, ctx=ctx)
    if ctx.mode == "pdf":
        render_env["pdf_footnotes"] = _footnote_bodies(md, tokens, render_env)
        tokens = _without_footnote_block(tokens)
    return md.renderer.render(tokens, md.options, render_env)


def _heading_open(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    ctx: RenderContext = env["ctx"]
    anchor = token.attrGet("id") or ""
    heading = ctx.headings.get(id(token))
    if token.tag == "h1":
        anchor_id = ctx.section_id if ctx.mode == "pdf" else anchor
    else:
        anchor_id = ctx.anchor_id(anchor)
    attrs = f' id="{_attr(anchor_id)}"'
    if heading is not None:
        attrs += f' data-title="{_attr(heading.title)}"'
        if ctx.edition == "draft" and heading.status is not None:
            attrs += f' class="status-{heading.status.value}"'
    badge = _badge(heading) if ctx.edition == "draft" else ""
    if badge and ctx.mode == "html":
        # Beside the heading, not in it: search results take a heading's whole text as its title.
        return f'<div class="unit-head">{badge}<{token.tag}{attrs}>'
    return f"<{token.tag}{attrs}>{badge}"


def _badge(heading: Heading | None) -> str:
    if heading is None or heading.own_status is None:
        return ""
    status = heading.own_status
    marker = {Status.EDITING: "✍️", Status.REVIEWING: "👁️", Status.DONE: "✅"}.get(status, "")
    return (f'<span class="badge badge-{status.value}" title="{status.label_zh}" data-pagefind-ignore="all">'
            f'{marker}<span class="badge-text">{status.label_zh}</span></span>')


def _heading_close(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    ctx: RenderContext = env["ctx"]
    opener = _matching_open(tokens, idx)
    heading = ctx.headings.get(id(opener)) if opener is not None else None
    if ctx.edition != "draft" or heading is None or not heading.is_unit:
        return f"</{token.tag}>\n"
    bits = []
    if heading.owner:
        bits.append(f'<span class="owner">{html.escape(heading.owner)}</span>')
    if heading.due:
        bits.append(f'<span class="due">截止 {html.escape(heading.due)}</span>')
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
    kind = token.meta.get("link", "external")
    if kind == "unsafe" or token.meta.get("broken"):
        return '<span class="broken-link">'
    if kind == "asset" and ctx.mode == "pdf":
        return '<span class="file-link">'  # a PDF travels alone: no link to a path on the build machine
    if kind == "section":
        href = ctx.href(ctx.pages[token.meta["target"]], token.meta.get("anchor", ""))
    elif kind == "anchor":
        href = "#" + ctx.anchor_id(token.meta.get("anchor", ""))
    elif kind == "asset":
        href = token.meta["target"]
    else:
        href = token.attrGet("href") or ""
    extra = ' rel="noopener noreferrer"' if kind == "external" else ""
    title = token.attrGet("title")
    extra += f' title="{_attr(title)}"' if title else ""
    return f'<a href="{_attr(href)}"{extra}>'


def _link_close(self, tokens, idx, options, env) -> str:
    opener = next((tokens[j] for j in range(idx - 1, -1, -1) if tokens[j].type == "link_open"), None)
    if opener is not None and (opener.meta.get("link") == "unsafe" or opener.meta.get("broken")):
        return "</span>"
    if opener is not None and opener.meta.get("link") == "asset" and env["ctx"].mode == "pdf":
        return "</span>"
    return "</a>"


def _image(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    alt = self.renderInlineAsText(token.children or [], options, env)
    kind = token.meta.get("image")
    if kind == "local":
        title = token.attrGet("title")
        t = f' title="{_attr(title)}"' if title else ""
        return f'<img src="{_attr(token.meta["target"])}" alt="{_attr(alt)}"{t}>'
    if kind == "fetched":
        return f'<img src="{_attr(token.meta["target"])}" alt="{_attr(alt)}">'
    if kind == "inline":
        return f'<img src="{_attr(token.attrGet("src") or "")}" alt="{_attr(alt)}">'
    src = token.attrGet("src") or ""
    reason = {"remote": "远程图片未获取", "missing": "图片缺失", "refused": "图片不可用"}.get(kind, "图片不可用")
    label = f"{alt}：" if alt else ""
    return (f'<span class="image-placeholder" role="img" aria-label="{_attr(alt or reason)}">'
            f"[{reason}] {html.escape(label)}<span class=\"url\">{html.escape(src)}</span></span>")


def _fence(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    ctx: RenderContext = env["ctx"]
    if id(token) in ctx.figures:
        return ctx.figures[id(token)]
    lang = token.info.strip().split(" ")[0] if token.info else ""
    cls = f' class="language-{_attr(lang)}"' if lang else ""
    return f"<pre><code{cls}>{html.escape(token.content)}</code></pre>\n"


def _softbreak(self, tokens, idx, options, env) -> str:
    """A line break between two CJK characters is no space: Chinese has none between words."""
    before = tokens[idx - 1].content[-1:] if idx > 0 and tokens[idx - 1].type == "text" else ""
    after = tokens[idx + 1].content[:1] if idx + 1 < len(tokens) and tokens[idx + 1].type == "text" else ""
    if before and after and is_cjk(before) and is_cjk(after):
        return ""
    return "\n"


def _table_open(self, tokens, idx, options, env) -> str:
    return '<div class="table-wrap">\n<table>\n'


def _table_close(self, tokens, idx, options, env) -> str:
    return "</table>\n</div>\n"


def _footnote_ref(self, tokens, idx, options, env) -> str:
    ctx: RenderContext = env["ctx"]
    fid = tokens[idx].meta["id"]
    n = fid + 1
    if ctx.mode == "pdf":
        body = env.get("pdf_footnotes", {}).get(fid, "")
        return f'<span class="footnote">{body}</span>'
    sub = tokens[idx].meta.get("subId", 0)
    ref_id = f"fnref{n}" + (f"-{sub}" if sub else "")
    return f'<sup class="footnote-ref"><a href="#fn{n}" id="{ref_id}">[{n}]</a></sup>'


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


def _attr(value: str) -> str:
    return html.escape(value, quote=True)


_RENDER_RULES = {
    "heading_open": _heading_open,
    "heading_close": _heading_close,
    "link_open": _link_open,
    "link_close": _link_close,
    "image": _image,
    "fence": _fence,
    "softbreak": _softbreak,
    "table_open": _table_open,
    "table_close": _table_close,
    "footnote_ref": _footnote_ref,
    "footnote_open": _footnote_open,
    "footnote_anchor": _footnote_anchor,
    "footnote_block_open": _footnote_block_open,
}

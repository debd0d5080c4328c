"""Markdown extensions of other generators: callouts, math and diagram blocks.

- **Callouts.** VitePress containers (``::: tip 标题`` … ``:::``), MkDocs
  admonitions (``!!! note "标题"``, ``???`` collapsible) and GitHub alerts
  (``> [!NOTE]``), read by mdit-py-plugins and markdown-it-py, become one kind
  of token (``callout_open``/``callout_close``) with a kind and a title, drawn
  the same way in both outputs; ``details`` is a ``<details>`` box, open in the PDF.
  A VitePress ``::: code-group`` (tabs in a browser) shows its code blocks one
  after another, each under its tab's name, in no box.
- **Math.** ``$…$`` and ``$$…$$`` (mdit-py-plugins' dollarmath) are typeset
  when the section is read, with matplotlib's mathtext, into one SVG path per
  formula: vector, no font, no ids to clash in a page.  What mathtext cannot
  typeset is a warning and its source is shown as code.
- **Diagrams.** ``mermaid``, ``echarts`` and the like need a browser's script
  to draw: a warning, and a placeholder that keeps the source visible.
- **Directives** that pull in other files or pages (mdBook ``{{#include}}``,
  VitePress ``<<< @/file`` and ``[[toc]]``) are not followed: a warning, the
  directive left as text.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.admon import admon_plugin
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin

from reportgen.model import ref, set_ref
from reportgen.render.cjk import is_cjk

FAMILIES = MappingProxyType(
    {
        "note": ("note", "info", "abstract", "summary", "tldr", "example", "quote", "cite", "seealso", "todo"),
        "tip": ("tip", "hint", "success", "check", "done"),
        "important": ("important",),
        "warning": ("warning", "attention", "question", "help", "faq"),
        "danger": ("danger", "caution", "error", "failure", "fail", "missing", "bug"),
        "details": ("details",),
    }
)
"""Callout kinds of VitePress, MkDocs and GitHub, by the box that draws them."""
FAMILY = MappingProxyType({kind: family for family, kinds in FAMILIES.items() for kind in kinds})

TITLES = MappingProxyType(
    {
        "note": ("注", "Note"),
        "info": ("信息", "Info"),
        "tip": ("提示", "Tip"),
        "important": ("重要", "Important"),
        "warning": ("警告", "Warning"),
        "caution": ("注意", "Caution"),
        "danger": ("危险", "Danger"),
        "details": ("详情", "Details"),
        "example": ("示例", "Example"),
        "question": ("问题", "Question"),
        "success": ("成功", "Success"),
        "bug": ("缺陷", "Bug"),
        "quote": ("引用", "Quote"),
    }
)
"""Default titles (Chinese, English) when the author gives none."""

DIAGRAMS = frozenset(
    {
        "mermaid",
        "echarts",
        "plantuml",
        "puml",
        "dot",
        "graphviz",
        "flowchart",
        "sequence",
        "mindmap",
        "markmap",
        "vega",
        "vega-lite",
        "wavedrom",
        "d2",
        "tikz",
        "chartjs",
        "flow",
        "mmd",
    }
)
"""Fenced blocks that other generators draw with a script in the browser."""

_CONTAINER = re.compile(r"^[^\W\d_][\w-]*(\s|$)")  # a name in any script: "::: 注意事项"
_MATH_TYPES = ("math_inline", "math_inline_double", "math_block", "math_block_label")


def extensions_plugin(md: MarkdownIt) -> None:
    """Callouts, math and diagram placeholders in ``md`` (its ``alerts`` option on)."""
    md.use(container_plugin, name="callout", validate=lambda params, *_: bool(_CONTAINER.match(params.strip())))
    md.use(admon_plugin)
    # Not beside a space or a digit: "$5 到 $10" in a Chinese report is money, not math.
    md.use(dollarmath_plugin, allow_space=False, allow_digits=False, double_inline=True, allow_labels=False)
    md.core.ruler.push("callouts", _callouts)
    md.core.ruler.push("math", _math)
    md.core.ruler.push("diagrams", _diagrams)
    md.core.ruler.push("directives", _directives)
    md.add_render_rule("code_label", lambda self, tokens, idx, options, env: _code_label(tokens[idx]))
    md.add_render_rule("callout_open", _callout_open)
    md.add_render_rule("callout_close", _callout_close)
    for name in _MATH_TYPES:
        md.add_render_rule(name, _math_render)


def _problem(env: dict, token: Token, message: str, line: int | None = None) -> None:
    where = line if line is not None else (token.map[0] + 1 if token.map else None)
    env.setdefault("problems", []).append((where, "warning", message))


# --- callouts ----------------------------------------------------------------------------


def _callouts(state: StateCore) -> None:
    """Containers, admonitions and alerts as ``callout_open``/``callout_close`` with kind and title."""
    tokens, out, i = state.tokens, [], 0
    unwrapped: list[bool] = []  # per open container: is it a code group, shown as its blocks alone?
    while i < len(tokens):
        token = tokens[i]
        if token.type == "container_callout_open":
            kind, _, title = token.info.strip().partition(" ")
            unwrapped.append(kind.lower() == "code-group")  # VitePress's tabs: each block in turn
            if not unwrapped[-1]:
                out.append(_opening(token, kind.lower(), title.strip(), state.env))
        elif token.type == "fence" and unwrapped and unwrapped[-1] and (tab := _TAB.search(token.info)):
            label = Token("code_label", "p", 0, block=True, level=token.level, content=tab.group(1).strip())
            out += [label, token]  # the tab's name (``sh [npm]``) above its block
        elif token.type == "admonition_open":
            title = ""
            if tokens[i + 1].type == "admonition_title_open":
                title, i = tokens[i + 2].content, i + 3  # the title paragraph becomes the box's title
            collapsible = token.markup.startswith("?")
            kind = "details" if collapsible else token.meta.get("tag", "note")
            named = token.info.strip().split(" ", 1)[0].lower()
            default = title == named.title() and kind in FAMILY  # "!!! note" titles itself "Note"
            out.append(_opening(token, kind, "" if default else title, state.env, open_=token.markup.endswith("+")))
        elif token.type == "alert_open":
            kind = token.meta.get("kind", "NOTE").lower()
            i += 3 if tokens[i + 1].type == "alert_title_open" else 0  # its title is the kind's own word
            out.append(_opening(token, kind, "", state.env))
        elif token.type in ("container_callout_close", "admonition_close", "alert_close"):
            grouped = token.type == "container_callout_close" and unwrapped.pop()
            if not grouped:
                out.append(Token("callout_close", "div", -1, block=True, level=token.level))
        else:
            out.append(token)
        i += 1
    state.tokens = out


@dataclass(frozen=True, slots=True)
class CalloutRef:
    """What a ``callout_open`` token opens (`model.ref`)."""

    kind: str
    """The kind the author wrote (note, tip, 注意事项 …)."""
    family: str
    """The box that draws it, a key of `FAMILIES`."""
    title: str
    """The author's title, or '' for the kind's own word."""
    open: bool = False
    """Of a collapsible one: shown open."""


@dataclass(frozen=True, slots=True)
class MathRef:
    """A formula typeset at parse time."""

    svg: str | None
    """Its SVG, or None when it could not be typeset (its source is shown as code)."""


@dataclass(frozen=True, slots=True)
class DiagramRef:
    """A script-drawn diagram block (```mermaid …), shown as a placeholder."""

    lang: str


def _opening(source: Token, kind: str, title: str, env: dict, open_: bool = False) -> Token:
    if kind not in FAMILY:
        _problem(
            env,
            source,
            f"unknown callout kind '{kind}', shown as a note (kinds: {', '.join(sorted(k for k in FAMILY))})",
        )
        title = title or kind  # "!!! 重要通知" or "::: 注意事项": the word is the author's title
    token = Token("callout_open", "div", 1, block=True, level=source.level, map=source.map)
    set_ref(token, CalloutRef(kind, FAMILY.get(kind, "note"), title, open_))
    return token


#: A code group's tab name, at the end of a fence's info: ```` ```sh [npm] ````.
_TAB = re.compile(r"\[([^\]]+)\]\s*$")


def _code_label(token: Token) -> str:
    return f'<p class="code-label">{html.escape(token.content)}</p>\n'


def _callout_open(self, tokens, idx, options, env) -> str:
    callout = ref(tokens[idx], CalloutRef)
    english = not env["ctx"].language.lower().startswith("zh")
    default = TITLES.get(callout.kind) or TITLES.get(callout.family, (callout.kind, callout.kind))
    title = html.escape(callout.title or default[english])
    family = callout.family
    if family == "details":
        is_open = " open" if callout.open or env["ctx"].mode == "pdf" else ""
        return f'<details class="callout callout-details"{is_open}><summary class="callout-title">{title}</summary>\n'
    return f'<div class="callout callout-{family}">\n<p class="callout-title">{title}</p>\n'


def _callout_close(self, tokens, idx, options, env) -> str:
    for j in range(idx - 1, -1, -1):  # the nearest opening at the same level
        if tokens[j].type == "callout_open" and tokens[j].level == tokens[idx].level:
            return "</details>\n" if ref(tokens[j], CalloutRef).family == "details" else "</div>\n"
    return "</div>\n"


# --- math ---------------------------------------------------------------------------------


def _math(state: StateCore) -> None:
    """Typeset every formula now, so `check` finds what cannot be typeset."""
    for token in state.tokens:
        if token.type in _MATH_TYPES:
            _typeset_token(token, token.map[0] + 1 if token.map else None, state.env)
        elif token.type == "inline" and token.children:
            for child in token.children:
                if child.type in _MATH_TYPES:
                    _typeset_token(child, token.map[0] + 1 if token.map else None, state.env)


def _typeset_token(token: Token, line: int | None, env: dict) -> None:
    svg, problem = typeset(token.content.strip(), token.type.startswith("math_block"))
    if svg is None:
        _problem(
            env,
            token,
            f"math cannot be typeset ({problem}); its source is shown as code: {token.content.strip()[:60]}",
            line,
        )
    set_ref(token, MathRef(svg))


@lru_cache(maxsize=512)  # never invalidated: the SVG follows from the formula alone
def typeset(tex: str, display: bool) -> tuple[str | None, str]:
    """(SVG of ``tex``, "") or (None, why not): one path in ``currentColor``, sized in em
    so it follows the text around it, its baseline on the line's baseline."""
    if any(is_cjk(ch) for ch in tex):
        return None, "mathtext has no Chinese font; write the words outside the $…$"
    import matplotlib
    import numpy as np
    from matplotlib.font_manager import FontProperties
    from matplotlib.path import Path
    from matplotlib.textpath import text_to_path

    flat = " ".join(tex.split())
    try:
        # ismath=True: math whatever rcParams say (the charts turn text.parse_math off).
        with matplotlib.rc_context({"mathtext.fontset": "cm"}):
            vertices, codes = text_to_path.get_text_path(FontProperties(), f"${flat}$", ismath=True)
        path = Path(np.asarray(vertices) * 10 / text_to_path.FONT_SCALE, codes)  # as TextPath(size=10) scales it
    except Exception as exc:  # mathtext raises ValueError, sometimes others, for TeX it cannot read
        return None, _reason(exc)
    if not len(path.vertices):
        return None, "nothing to draw"
    box, pad = path.get_extents(), 0.6
    x0, y0, width, height = box.x0 - pad, box.y0 - pad, box.width + 2 * pad, box.height + 2 * pad
    scale = 1.15 if display else 1.0
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="math" viewBox="{x0:.2f} {-(y0 + height):.2f} '
        f'{width:.2f} {height:.2f}" width="{width * scale / 10:.3f}em" height="{height * scale / 10:.3f}em" '
        f'style="vertical-align: {y0 * scale / 10:.3f}em" role="img" aria-label="{html.escape(flat)}">'
        f'<path d="{_path_data(path)}" fill="currentColor"/></svg>'
    ), ""


def _reason(exc: Exception) -> str:
    last = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    return re.sub(r"^\w+Exception:\s*|\s*\(at char.*$", "", last)


def _path_data(path) -> str:
    """SVG path data of a matplotlib Path, y flipped (SVG's y grows downwards)."""
    letters = {1: "M", 2: "L", 3: "Q", 4: "C"}
    parts = []
    for vertices, code in path.iter_segments(simplify=False, curves=True):
        if code == 79:  # CLOSEPOLY
            parts.append("Z")
            continue
        points = " ".join(f"{x:.2f} {-y:.2f}" for x, y in zip(vertices[::2], vertices[1::2]))
        parts.append(f"{letters[code]}{points}")
    return "".join(parts)


def _math_render(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    block = token.type.startswith("math_block")
    math = ref(token, MathRef)
    svg = math.svg if math is not None else None
    if svg:
        return f'<div class="math-display">{svg}</div>\n' if block else f'<span class="math-inline">{svg}</span>'
    source = html.escape(token.content.strip())
    if block:
        return f'<pre class="math-source"><code>$$\n{source}\n$$</code></pre>\n'
    return f'<code class="math-source">${source}$</code>'


# --- diagrams -----------------------------------------------------------------------------


def _diagrams(state: StateCore) -> None:
    for token in state.tokens:
        lang = token.info.strip().split(" ")[0].lower() if token.type == "fence" and token.info else ""
        if lang in DIAGRAMS:
            set_ref(token, DiagramRef(lang))
            _problem(
                state.env,
                token,
                f"```{lang} diagram is not drawn (reportgen runs no script); "
                "its source is shown in a placeholder — add it as an image, or use a ```chart block",
            )


DIRECTIVES = (
    (
        re.compile(r"\{\{#(include|rustdoc_include|playground|playpen|template)\b"),
        "mdBook {{#…}} directive is not followed; the file it names is not shown",
    ),
    (re.compile(r"^<<<\s*@"), "VitePress code import <<< @/… is not followed; the file it names is not shown"),
    (re.compile(r"^\[\[toc\]\]$"), "[[toc]] is not supported (the PDF and the HTML edition have their own contents)"),
)
"""Directives of other generators that reportgen leaves as text, and what to tell the author."""


def _directives(state: StateCore) -> None:
    for i, token in enumerate(state.tokens):
        if token.type == "inline" and i and state.tokens[i - 1].type == "paragraph_open":
            for pattern, message in DIRECTIVES:
                if pattern.search(token.content.strip()):
                    _problem(state.env, token, f"{message}; left as text")


def diagram_placeholder(token: Token) -> str:
    """A ```mermaid block and the like: named, its source kept, plainly not a figure."""
    lang = html.escape(ref(token, DiagramRef).lang)
    return (
        f'<div class="diagram-placeholder"><p class="diagram-label">[{lang} 图未绘制]</p>'
        f'<pre><code class="language-{lang}">{html.escape(token.content)}</code></pre></div>\n'
    )

"""CJK-friendly emphasis: `**执行长：**顾清和` is bold, as the author meant.

CommonMark decides whether `**` can open or close emphasis from the
characters on each side; a closing `**` after full-width punctuation and
before a Han character fails that test, so the asterisks show as text. Chinese
writers meet this in nearly every report (the pattern `**标签：**内容`).
Following the CommonMark CJK-friendly draft, in that test a CJK character
*outside* a delimiter run (before an opener, after a closer) counts as
punctuation, and CJK punctuation *inside* it (after an opener, before a
closer) does not; so emphasis works beside Chinese punctuation whatever
follows, and text without CJK is parsed exactly as before.

No maintained package does this for markdown-it-py 4 (the one port pins
markdown-it-py < 4), so it is written here: a plain ``plugin(md)`` that wraps
the emphasis and strikethrough rules.  `_scan_delims` adapts markdown-it-py's
``StateInline.scanDelims`` (MIT licence), changing only the punctuation test.
"""

from __future__ import annotations

import html
import re
from types import MethodType

from markdown_it import MarkdownIt
from markdown_it.common.utils import isMdAsciiPunct, isPunctChar, isWhiteSpace
from markdown_it.rules_inline import emphasis, strikethrough
from markdown_it.rules_inline.state_inline import Scanned

_CJK_RANGES = (
    (0x1100, 0x11FF),
    (0x2E80, 0x2FDF),
    (0x2FF0, 0x303F),
    (0x3040, 0x30FF),
    (0x3100, 0x312F),
    (0x3130, 0x318F),
    (0x3190, 0x31FF),
    (0x3200, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xA960, 0xA97F),
    (0xAC00, 0xD7FF),
    (0xF900, 0xFAFF),
    (0xFE30, 0xFE4F),
    (0xFF00, 0xFFEF),
    (0x20000, 0x3FFFF),
)


def is_cjk(ch: str) -> bool:
    code = ord(ch)
    return any(low <= code <= high for low, high in _CJK_RANGES)


def cjk_friendly_plugin(md: MarkdownIt) -> None:
    """Make ``**`` and ``~~`` work next to CJK punctuation in parser ``md``."""
    md.inline.ruler.at("emphasis", _with_cjk_scan(emphasis.tokenize))
    if "strikethrough" in [rule.name for rule in md.inline.ruler.__rules__]:
        md.inline.ruler.at("strikethrough", _with_cjk_scan(strikethrough.tokenize))


def _with_cjk_scan(rule):
    def tokenize(state, silent: bool) -> bool:
        if "scanDelims" not in state.__dict__:  # per state object: other parsers are untouched
            state.scanDelims = MethodType(_scan_delims, state)
        return rule(state, silent)

    return tokenize


def _punct(ch: str) -> bool:
    return isMdAsciiPunct(ord(ch)) or isPunctChar(ch)


def _scan_delims(self, start: int, canSplitWord: bool) -> Scanned:
    pos, maximum, marker = start, self.posMax, self.src[start]
    last = self.src[start - 1] if start > 0 else " "
    while pos < maximum and self.src[pos] == marker:
        pos += 1
    following = self.src[pos] if pos < maximum else " "
    # Outside an opener is `last`, outside a closer is `following`; inside is the other one.
    last_outside = _punct(last) or is_cjk(last)
    next_outside = _punct(following) or is_cjk(following)
    next_inside = _punct(following) and not is_cjk(following)
    last_inside = _punct(last) and not is_cjk(last)
    last_space, next_space = isWhiteSpace(ord(last)), isWhiteSpace(ord(following))
    left = not (next_space or (next_inside and not (last_space or last_outside)))
    right = not (last_space or (last_inside and not (next_space or next_outside)))
    can_open = left and (canSplitWord or not right or last_outside)
    can_close = right and (canSplitWord or not left or next_outside)
    return Scanned(can_open, can_close, pos - start)


# --- spacing of Chinese text (both outputs; CJK–Latin spacing in the PDF) ----------------

#: Full-width marks whose blank half is on the right (closing marks, and the comma,
#: stop, colon… as Simplified Chinese fonts draw them), and those blank on the left.
CLOSING = frozenset("）〕］｝》〉」』】〗〙〛”’、，。．：；！？")
OPENING = frozenset("（〔［｛《〈「『【〖〘〚“‘")
MARKS = CLOSING | OPENING

_SPACES = re.compile(r"[ \t]+")
_HAN_CHARS = "".join(chr(c) for c in range(0x4E00, 0xA000))
_LATIN_RUN = re.compile(
    r"[^\s\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff“”‘’]+"
    r"(?:[ \t]+[^\s\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff“”‘’]+)*"
)


def is_han(ch: str) -> bool:
    """A Han ideograph or kana: the characters CJK–Latin spacing is measured from."""
    if len(ch) != 1:
        return False
    code = ord(ch)
    return (
        0x3400 <= code <= 0x4DBF
        or 0x4E00 <= code <= 0x9FFF
        or 0xF900 <= code <= 0xFAFF
        or 0x3040 <= code <= 0x30FF
        or 0x20000 <= code <= 0x3FFFF
    )


def _latin(ch: str) -> bool:
    return len(ch) == 1 and ch.isalnum() and not is_cjk(ch)


def stray_spaces(text: str, before: str = "", after: str = "") -> list[tuple[int, int]]:
    """(start, end) of each run of spaces in ``text`` that a reader should not see:
    after a full-width mark (``before`` is the character just before ``text``), or
    between two Han characters of ``text`` -- except between two runs of two or
    three, which is how a list of Chinese names is written (李彬 梁辰晔)."""
    found = []
    for match in _SPACES.finditer(text):
        left = text[match.start() - 1] if match.start() else before[-1:]
        right = text[match.end()] if match.end() < len(text) else after[:1]
        between_han = (
            0 < match.start()
            and match.end() < len(text)
            and is_han(left)
            and is_han(right)
            and not _names(text, *match.span())
        )
        if between_han or (left in MARKS and right):
            found.append(match.span())
    return found


def _names(text: str, start: int, end: int) -> bool:
    left = len(text[:start]) - len(text[:start].rstrip(_HAN_CHARS))
    right = len(text[end:]) - len(text[end:].lstrip(_HAN_CHARS))
    return 2 <= left <= 3 and 2 <= right <= 3


def without_stray_spaces(text: str, before: str = "", after: str = "") -> str:
    for start, end in reversed(stray_spaces(text, before, after)):
        text = text[:start] + text[end:]
    return text


def print_html(text: str, before: str = "", after: str = "") -> str:
    """Escaped HTML of ``text`` for the PDF: stray spaces dropped, each Latin run that
    meets a Han character wrapped so the stylesheet can space it (``cjk-l``/``cjk-r``)
    instead of whatever space the author typed, and a full-width mark that meets
    another across a tag set half width (``cjk-halt``; within one text the
    typesetter does it). ``before``/``after``: the characters just outside."""
    text = without_stray_spaces(text, before, after)
    stripped = text.rstrip(" \t")
    if stripped != text and is_han((stripped or before)[-1:]) and _latin(after[:1]):
        text = stripped
    stripped = text.lstrip(" \t")
    if stripped != text and _latin(before[-1:]) and is_han((stripped or after)[:1]):
        text = stripped
    out, pos = [], 0
    for match in _LATIN_RUN.finditer(text):
        start, end = match.span()
        run = match.group()
        head = text[pos:start]
        left = head.rstrip(" \t")[-1:] or (before[-1:] if not head.strip(" \t") and pos == 0 else "")
        tail_spaces = text[end : len(text) - len(text[end:].lstrip(" \t"))]
        right = text[end + len(tail_spaces) : end + len(tail_spaces) + 1] or (
            after[:1] if end + len(tail_spaces) == len(text) else ""
        )
        classes = []
        if is_han(left) and _latin(run[0]):
            classes.append("cjk-l")
            head = head.rstrip(" \t")
        if is_han(right) and _latin(run[-1]):
            classes.append("cjk-r")
            end += len(tail_spaces)
        out.append(_marks_html(head, before if pos == 0 else "", ""))
        body = html.escape(run, quote=False)
        out.append(f'<span class="{" ".join(classes)}">{body}</span>' if classes else body)
        pos = end
    out.append(_marks_html(text[pos:], before if pos == 0 else "", after))
    return "".join(out)


def _marks_html(text: str, before: str, after: str) -> str:
    """Escaped ``text``; the closing marks that end it set half width when a mark
    follows outside, the opening marks that start it when an opening mark precedes."""
    first = last = ""
    if before[-1:] in OPENING:
        count = len(text) - len(text.lstrip("".join(OPENING)))
        first, text = _halt(text[:count]), text[count:]
    if after[:1] in MARKS:
        count = len(text) - len(text.rstrip("".join(CLOSING)))
        text, last = (text[:-count], _halt(text[-count:])) if count else (text, "")
    return first + html.escape(text, quote=False) + last


def _halt(marks: str) -> str:
    return f'<span class="cjk-halt">{html.escape(marks, quote=False)}</span>' if marks else ""


#: The end of a paragraph kept on its last line: its last two Han characters with
#: what stands between them and the punctuation after them, or else its last Han
#: character and the Latin word before it.
_HAN = "\u3400-\u9fff\uf900-\ufaff\u3040-\u30ff"
_LAST_WORDS = (
    re.compile(rf"[{_HAN}][^{_HAN}]{{0,8}}[{_HAN}][^\w\s]*$"),
    re.compile(rf"[^\s{_HAN}]+[ \t]*[{_HAN}][^\w\s]*$"),
)


def split_last_words(text: str) -> tuple[str, str]:
    """(head, end) where ``end`` holds the last two Han characters of ``text`` with the
    punctuation after them, or ("", "") when the text does not end that way."""
    match = _LAST_WORDS[0].search(text) or _LAST_WORDS[1].search(text)
    return (text[: match.start()], match.group()) if match else ("", "")

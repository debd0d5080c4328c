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

from types import MethodType

from markdown_it import MarkdownIt
from markdown_it.common.utils import isMdAsciiPunct, isPunctChar, isWhiteSpace
from markdown_it.rules_inline import emphasis, strikethrough
from markdown_it.rules_inline.state_inline import Scanned

_CJK_RANGES = (
    (0x1100, 0x11FF), (0x2E80, 0x2FDF), (0x2FF0, 0x303F), (0x3040, 0x30FF), (0x3100, 0x312F),
    (0x3130, 0x318F), (0x3190, 0x31FF), (0x3200, 0x4DBF), (0x4E00, 0x9FFF), (0xA960, 0xA97F),
    (0xAC00, 0xD7FF), (0xF900, 0xFAFF), (0xFE30, 0xFE4F), (0xFF00, 0xFFEF), (0x20000, 0x3FFFF),
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

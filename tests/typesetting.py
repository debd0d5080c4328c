"""Measures of Chinese typesetting read off a PDF with pdfplumber (character positions).

Used by tests/test_typesetting.py on the sample report, and by hand on any other
PDF: ``python -m tests.typesetting build/report.pdf``.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import lru_cache

import pdfplumber

from reportgen.render.cjk import CLOSING, OPENING, is_han

BODY_SIZE = 10.5
#: A4 with 20 mm side margins, as print.css sets the page.
LEFT, RIGHT = 20 / 25.4 * 72, 595.28 - 20 / 25.4 * 72


def is_latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


@lru_cache(maxsize=4)
def page_chars(path) -> tuple[list, ...]:
    """Each page's characters, as pdfplumber reads them (read once per file)."""
    with pdfplumber.open(path) as pdf:
        return tuple([dict(c) for c in page.chars] for page in pdf.pages)


@dataclass
class Line:
    page: int
    chars: list
    """The line's characters left to right (spaces left out)."""

    @property
    def text(self) -> str:
        return "".join(c["text"] for c in self.chars)

    @property
    def x0(self) -> float:
        return self.chars[0]["x0"]

    @property
    def start(self) -> float:
        """Where the line's text starts, after a list item's bullet or number."""
        marker = re.match(r"[•◦▪]|\d+\.", self.text)
        return self.chars[marker.end()]["x0"] if marker and marker.end() < len(self.chars) else self.x0

    @property
    def x1(self) -> float:
        return self.chars[-1]["x1"]

    @property
    def bottom(self) -> float:
        return max(c["bottom"] for c in self.chars if abs(c["size"] - BODY_SIZE) < 0.05)

    def __str__(self) -> str:
        return f"page {self.page}: {self.text!r}"


def lines(path, body_only: bool = True, keep_spaces: bool = False) -> list[Line]:
    """Every line of text: body text (10.5 pt) with anything set on its baseline band
    (footnote calls), or, with ``body_only`` false, every line of any size; spaces
    left out unless ``keep_spaces``."""
    found = []
    for number, chars in enumerate(page_chars(path), start=1):
        bands: dict[int, list] = {}
        for char in chars:
            if (char["text"].isspace() and not keep_spaces) or (body_only and abs(char["size"] - BODY_SIZE) > 0.05):
                continue
            bands.setdefault(round(char["bottom"]), []).append(char)
        if body_only:
            _attach_small(chars, bands)
        for _, members in sorted(bands.items()):
            found.append(Line(number, sorted(members, key=lambda c: c["x0"])))
    return found


def _attach_small(chars, bands) -> None:
    """Footnote calls and other small marks raised on a body line belong to that line."""
    for char in chars:
        if char["text"].isspace() or abs(char["size"] - BODY_SIZE) <= 0.05:
            continue
        for bottom, members in bands.items():
            if bottom - 12 < char["bottom"] <= bottom + 0.5 and char["x0"] >= members[0]["x0"] - 1:
                if char["size"] < BODY_SIZE:
                    members.append(char)
                break


def paragraphs(all_lines: list[Line]) -> list[list[Line]]:
    """Body lines grouped into paragraphs: a paragraph ends at a wider gap, a line
    starting further left (the next list bullet), a page break with a short line,
    or a line that stops short of the right margin."""
    groups: list[list[Line]] = []
    for line in all_lines:
        if groups:
            last = groups[-1][-1]
            same = (
                line.page == last.page
                and 0 < line.bottom - last.bottom < BODY_SIZE * 1.75 * 1.2
                and abs(line.x0 - last.start) < 4
                and not _starts_item(line)
            )
            continued = line.page == last.page + 1 and last.x1 > RIGHT - 2 and abs(line.x0 - last.start) < 4
            if same or continued:
                groups[-1].append(line)
                continue
        groups.append([line])
    return groups


def _starts_item(line: Line) -> bool:
    return line.text[:1] in "•◦▪" or line.text[:2].rstrip(".").isdigit()


def cjk(paragraph: list[Line]) -> bool:
    return sum(is_han(ch) for line in paragraph for ch in line.text) >= 4


def ragged_lines(all_lines: list[Line]) -> list[str]:
    """Non-final lines of CJK paragraphs that do not end within 0.5 pt of the right
    margin or do not start where the paragraph's other lines start."""
    problems = []
    for para in paragraphs(all_lines):
        if not cjk(para) or len(para) < 2:
            continue
        left = para[0].start
        for line, following in zip(para, para[1:]):
            if abs(line.x1 - RIGHT) > 0.5 and not _too_long_for(following, RIGHT - line.x1):
                problems.append(f"{line}: ends at {line.x1:.2f}, margin at {RIGHT:.2f}")
        for line in para[1:]:
            if abs(line.x0 - left) > 0.5:
                problems.append(f"{line}: starts at {line.x0:.2f}, the paragraph at {left:.2f}")
    return problems


def _neighbours(all_lines: list[Line]):
    """Each pair of characters side by side on a line, with the line."""
    for line in all_lines:
        for a, b in zip(line.chars, line.chars[1:]):
            yield line, a, b


def _too_long_for(line: Line, room: float) -> bool:
    """The line starts with a Latin word (a URL) wider than ``room``: the line before
    it is set flush left rather than letter-spaced (cjkprint.MAX_SHARE)."""
    word = []
    for char in line.chars:
        if is_han(char["text"]) or (word and char["x0"] - word[-1]["x1"] > 1):
            break
        word.append(char)
    return bool(word) and word[-1]["x1"] - word[0]["x0"] > room


def wide_punctuation(all_lines: list[Line]) -> list[str]:
    """Pairs of adjacent full-width marks whose first takes more than 0.6 em."""
    marks = CLOSING | OPENING
    return [
        f"{line}: {a['text']}{b['text']} takes {(b['x0'] - a['x0']) / a['size']:.2f} em"
        for line, a, b in _neighbours(all_lines)
        if a["text"] in marks
        and b["text"] in marks
        and a["size"] == b["size"]
        and b["x0"] - a["x0"] > 0.6 * a["size"] + 0.01
    ]


def cjk_latin_gaps(all_lines: list[Line]) -> list[str]:
    """Han–Latin neighbours on a line (same baseline) not 0.15–0.3 em apart."""
    problems = []
    for line, a, b in _neighbours(all_lines):
        pair = (is_han(a["text"]) and is_latin(b["text"])) or (is_latin(a["text"]) and is_han(b["text"]))
        if not pair or abs(a["bottom"] - b["bottom"]) > 1.5 or min(a["size"], b["size"]) < 0.8 * BODY_SIZE:
            continue
        gap = (b["x0"] - a["x1"]) / (a["size"] if is_han(a["text"]) else b["size"])
        if gap <= 1 and not 0.15 <= gap <= 0.3:  # further apart: table cells, not neighbours
            problems.append(f"{line}: {a['text']}|{b['text']} {gap:.3f} em")
    return problems


def prohibited_breaks(all_lines: list[Line]) -> list[str]:
    problems = []
    for line in all_lines:
        if line.text[:1] in CLOSING:
            problems.append(f"{line}: starts with {line.text[0]}")
        if line.text[-1:] in OPENING:
            problems.append(f"{line}: ends with {line.text[-1]}")
    return problems


def stranded_last_lines(all_lines: list[Line]) -> list[str]:
    """Last lines of CJK paragraphs with fewer than two Han characters (and no Latin word)."""
    problems = []
    for para in paragraphs(all_lines):
        if not cjk(para) or len(para) < 2:
            continue
        last = para[-1].text
        if sum(map(is_han, last)) < 2 and sum(map(is_latin, last)) < 2:
            problems.append(f"{para[-1]}: last line of a paragraph")
    return problems


def invisible_characters(path) -> list[str]:
    """Characters in the text layer that no author types: spacing and joiners."""
    bad = {chr(c) for c in range(0x2000, 0x200F)} | {"\u2060", "\ufeff"}
    return [
        f"page {number}: U+{ord(c['text']):04X}"
        for number, chars in enumerate(page_chars(path), start=1)
        for c in chars
        if c["text"] in bad
    ]


def report(path) -> dict[str, list[str]]:
    body, every = lines(path), lines(path, body_only=False)
    return {
        "ragged": ragged_lines(body),
        "punctuation": wide_punctuation(every),
        "cjk-latin": cjk_latin_gaps(every),
        "line breaks": prohibited_breaks(every),
        "stranded": stranded_last_lines(body),
        "invisible": invisible_characters(path),
    }


if __name__ == "__main__":
    for name, problems in report(sys.argv[1]).items():
        print(f"{name}: {len(problems)}")
        for problem in problems[: int(sys.argv[2]) if len(sys.argv) > 2 else 10]:
            print("   ", problem)

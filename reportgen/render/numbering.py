"""Chapter numbers: 第一章 / 一、/ 1., as ``report.yaml`` ``numbering:`` asks.

The number is computed here, once per chapter of the edition, and written into
the heading, its ``data-title`` (which the bookmarks and running heads read)
and the contents.  CSS counters would do it in a one-pass render, but the book
engine typesets each chapter as its own document, where every counter starts
again at one.
"""

from __future__ import annotations

DIGITS = "零一二三四五六七八九"


def chinese(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 105 → 一百零五 (up to 999).

    Written here because the counting style is three lines and no dependency
    of the project spells numbers in Chinese."""
    if not 0 < n < 1000:
        return str(n)
    hundreds, tens, ones = n // 100, n // 10 % 10, n % 10
    text = f"{DIGITS[hundreds]}百" if hundreds else ""
    if tens:
        text += ("" if tens == 1 and not hundreds else DIGITS[tens]) + "十"
    elif hundreds and ones:
        text += "零"
    return text + (DIGITS[ones] if ones else "")


def label(style: str, n: int) -> str:
    """The number of chapter ``n`` (1-based) as printed before its title; '' for none."""
    if style == "chapter-cn":
        return f"第{chinese(n)}章"
    if style == "cn-list":
        return f"{chinese(n)}、"
    if style == "decimal":
        return f"{n}."
    return ""


def titled(number: str, title: str) -> str:
    """The title with its number, as bookmarks, running heads and the contents show it."""
    if not number or number.endswith("、"):
        return number + title
    space = "\u3000" if number.startswith("第") else " "  # an ideographic space after 第一章
    return number + space + title

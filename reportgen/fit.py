"""How much room a text takes in a form cell. Pure.

Neither Excel nor LibreOffice grows a row to its wrapped text when it opens a
file: a row keeps the height the file gives it, or the default height of one
line. So the form gives every row the height its text needs, measured from the
real widths of Times New Roman 11 (Liberation Serif, which LibreOffice uses in
its place, has the same metrics), wrapped word by word at the column's width.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable

__all__ = ["text_width", "lines", "row_height"]

# Advance widths in thousandths of an em, " " (32) to "~" (126), Times New Roman.
_ASCII = (
    250, 333, 408, 500, 500, 833, 778, 180, 333, 333, 500, 564, 250, 333, 250, 278, 500, 500, 500, 500,
    500, 500, 500, 500, 500, 500, 278, 278, 564, 564, 564, 444, 921, 722, 667, 667, 722, 611, 556, 722,
    722, 333, 389, 722, 611, 889, 722, 722, 556, 722, 667, 556, 611, 722, 722, 944, 722, 722, 611, 333,
    278, 333, 469, 500, 333, 444, 500, 444, 500, 444, 333, 500, 500, 278, 278, 500, 278, 778, 500, 500,
    500, 500, 333, 389, 278, 500, 500, 722, 500, 500, 444, 480, 200, 480, 541,
)  # fmt: skip
_OTHER = {"Đ": 722, "đ": 500, "≥": 549, "≤": 549, "–": 500, "—": 1000, "…": 1000, "“": 444, "”": 444, "‘": 333}
_OTHER |= {"’": 333, "·": 250, "×": 564, "ư": 560, "Ư": 780, "ơ": 560, "Ơ": 780}

POINT = 11  # the form's font size
LINE = 15.0  # points per line of Times New Roman 11, as Excel and LibreOffice space them
PAD = 3.0  # points above and below the text of a row


def _char(ch: str) -> float:
    if " " <= ch <= "~":
        return _ASCII[ord(ch) - 32]
    if ch in _OTHER:
        return _OTHER[ch]
    base = unicodedata.normalize("NFD", ch)[0]  # a Vietnamese letter is as wide as its base letter
    if " " <= base <= "~":
        return _ASCII[ord(base) - 32] * 1.02
    return 600.0  # anything else: a wide guess


@functools.lru_cache(maxsize=65536)  # the same words recur on every form
def text_width(text: str) -> float:
    """The width of ``text`` in em.

    >>> round(text_width("Doanh nghiệp"), 2)
    5.65
    """
    return sum(_char(ch) for ch in text) / 1000


def _room(width_chars: float) -> float:
    """The width a column of ``width_chars`` (Excel's unit: the digit "0" of the default font)
    leaves for text, in em of the form's font."""
    pixels = 7 * width_chars + 5 - 4  # the column, less the cell's padding on both sides
    return pixels / (POINT * 96 / 72)


@functools.lru_cache(maxsize=65536)  # the same names, targets and scopes recur on every agency's form
def lines(text: str, width_chars: float) -> int:
    """How many lines ``text`` wraps to in a column ``width_chars`` wide.

    >>> lines("Doanh nghiệp", 12), lines("Doanh nghiệp", 6)
    (1, 2)
    """
    room = _room(width_chars)
    space = _char(" ") / 1000
    total = 0
    for paragraph in text.split("\n"):
        count, used = 1, 0.0
        for word in paragraph.split():
            width = text_width(word)
            if used and used + space + width > room:
                count, used = count + 1, 0.0
            if width > room:  # a word longer than the column breaks where it must
                count += int(width // room)
                width %= room
            used = width if not used else used + space + width
        total += count
    return max(total, 1)


def row_height(cells: Iterable[tuple[str, float]]) -> float:
    """The height (points) of a row holding each ``(text, column width)``: its tallest cell."""
    return LINE * max((lines(text, width) for text, width in cells if text), default=1) + PAD

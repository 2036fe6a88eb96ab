"""Vietnamese text helpers: normalisation, matching keys, numbers, dates and slugs.

Every string that comes from outside (cells, file names, YAML, mail) goes through
:func:`nfc` before it is compared or stored.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

__all__ = [
    "nfc",
    "clean",
    "fold",
    "fold_words",
    "parse_number",
    "is_code",
    "NumberText",
    "format_number",
    "format_percent",
    "slugify",
    "vn_date_line",
    "format_moment",
    "mid",
    "shown_target",
]


def nfc(value: str) -> str:
    """Normalise to NFC, the one form we compare and store.

    >>> nfc("Ho\u0300a") == "Hòa"
    True
    """
    return unicodedata.normalize("NFC", value)


_SPACES = re.compile(r"\s+")


def clean(value: object) -> str:
    """NFC text with whitespace collapsed; ``None`` becomes ``""``.

    >>> clean("  Sở   Y tế\\n")
    'Sở Y tế'
    """
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    # Fast path: most cells are already clean NFC (checked in C, no copy made).
    # isprintable() is False for tabs, new lines, no-break and zero-width spaces.
    if (
        text.isprintable()
        and "  " not in text
        and text[:1] != " "
        and text[-1:] != " "
        and unicodedata.is_normalized("NFC", text)
    ):
        return text
    text = nfc(text).replace("\u00a0", " ").replace("\u200b", "")
    return _SPACES.sub(" ", text).strip()


def fold(value: str) -> str:
    """A matching key: lower case, tone marks and diacritics removed, đ -> d.

    Old and new tone placement (hoá/hóa, uỷ/ủy), NFC/NFD and case all fold to
    the same key.

    >>> fold("Sở Văn hoá") == fold("SỞ VĂN HÓA") == "so van hoa"
    True
    >>> fold("Tỉnh uỷ") == fold("Tỉnh ủy")
    True
    """
    text = unicodedata.normalize("NFD", clean(value).lower())
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return text.replace("đ", "d")


_WORD = re.compile(r"[a-z0-9]+")


_CODE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def is_code(value: str) -> bool:
    """Whether ``value`` is a code: lowercase ASCII letters and digits, hyphens between parts.
    Codes name files and folders, so nothing else ("../x", "Sở Y tế") may pass.

    >>> is_code("so-khcn"), is_code("../x"), is_code("So-KHCN"), is_code("a--b")
    (True, False, False, False)
    """
    return bool(_CODE.fullmatch(value))


def fold_words(value: str) -> list[str]:
    """Folded words without punctuation: the unit of agency-name matching.

    >>> fold_words("Văn phòng Đoàn ĐBQH&HĐND tỉnh")
    ['van', 'phong', 'doan', 'dbqh', 'hdnd', 'tinh']
    """
    return _WORD.findall(fold(value))


class NumberText:
    """The result of reading a number written by a person.

    ``value`` is the number (or ``None``); ``ambiguous`` is True when the text
    could be read two ways (``1,234`` is 1.234 in Vietnamese, 1234 in English).
    """

    __slots__ = ("value", "ambiguous", "percent")

    def __init__(self, value: float | None, ambiguous: bool = False, percent: bool = False):
        self.value = value
        self.ambiguous = ambiguous
        self.percent = percent

    def __repr__(self) -> str:
        return f"NumberText({self.value!r}, ambiguous={self.ambiguous}, percent={self.percent})"


_NUMBER = re.compile(r"^[+-]?\d[\d.,]*$")
_PERCENT_INSIDE = re.compile(r"[\d.,]*\(([\d.,]+)%\)")
_THOUSANDS_DOT = re.compile(r"^\d{1,3}(\.\d{3})+$")
_THOUSANDS_COMMA = re.compile(r"^\d{1,3}(,\d{3}){2,}$")


def parse_number(text: str) -> NumberText:
    """Read a number as Vietnamese offices write it.

    A dot followed by exactly three digits in a whole number is a thousands
    separator; otherwise a dot or a comma is the decimal mark. A trailing
    ``%`` is allowed and reported.

    >>> [parse_number(t).value for t in ["0,7", "0.65", "1.000", "1.234,5", "07", "2,5%"]]
    [0.7, 0.65, 1000.0, 1234.5, 7.0, 2.5]
    >>> parse_number("1,234,567").value
    1234567.0
    >>> parse_number("1,234").ambiguous
    True
    >>> parse_number("abc").value is None
    True
    >>> [parse_number(t).value for t in ["70%", "70 %", "0,7 (70%)"]]
    [70.0, 70.0, 70.0]
    """
    raw = clean(text).replace(" ", "")
    inner = _PERCENT_INSIDE.fullmatch(raw)
    if inner:  # "0,7 (70%)": the percentage the clerk spelled out is what is meant
        raw = inner.group(1) + "%"
    percent = raw.endswith("%")
    raw = raw.rstrip("%")
    if not _NUMBER.match(raw):
        return NumberText(None)
    sign = -1.0 if raw.startswith("-") else 1.0
    raw = raw.lstrip("+-")
    ambiguous = False
    if _THOUSANDS_DOT.match(raw):
        number = raw.replace(".", "")
    elif _THOUSANDS_COMMA.match(raw):
        number = raw.replace(",", "")
    elif "." in raw and "," in raw:
        # Whichever mark comes last is the decimal mark: 1.234,5 or 1,234.5
        if raw.rfind(",") > raw.rfind("."):
            number = raw.replace(".", "").replace(",", ".")
        else:
            number = raw.replace(",", "")
    else:
        if re.fullmatch(r"\d{1,3},\d{3}", raw):
            ambiguous = True
        number = raw.replace(",", ".")
    if number.count(".") > 1:
        return NumberText(None)
    try:
        return NumberText(sign * float(number), ambiguous, percent)
    except ValueError:
        return NumberText(None)


def format_number(value: float | None, decimals: int | None = None) -> str:
    """Vietnamese number format: thousands dot, decimal comma.

    >>> format_number(1234567.891, 2)
    '1.234.567,89'
    >>> format_number(70.0)
    '70'
    >>> format_number(0.7)
    '0,7'
    >>> format_number(None)
    ''
    """
    if value is None:
        return ""
    if decimals is None:
        decimals = 0 if float(value).is_integer() else 2
    text = f"{abs(value):,.{decimals}f}"
    whole, _, frac = text.partition(".")
    frac = frac.rstrip("0") if decimals else ""
    out = whole.replace(",", ".") + ("," + frac if frac else "")
    return ("-" if value < 0 and out.strip("0.,") else "") + out


_NUMBER_IN_TEXT = re.compile(r"(?<![\d/.,])\d+(?:[.,]\d+)*(?![\d/])")


def shown_target(text: str) -> str:
    """A target as Vietnamese documents write numbers: "≥ 06" → "≥ 6", "0.70" → "0,7", "2,7%GRDP" → "2,7% GRDP".

    >>> shown_target("≥ 06"), shown_target("Đạt tối thiểu 0.70"), shown_target("2,7%GRDP"), shown_target("80-90")
    ('≥ 6', 'Đạt tối thiểu 0,7', '2,7% GRDP', '80-90')
    """

    def number(found: re.Match) -> str:
        parsed = parse_number(found.group(0))
        return format_number(parsed.value) if parsed.value is not None and not parsed.ambiguous else found.group(0)

    text = _NUMBER_IN_TEXT.sub(number, text)
    return re.sub(r"%(?=[^\s\d.,;:)\]-])", "% ", text)


def format_percent(value: float | None, decimals: int = 1) -> str:
    """A percentage with no space before the sign, as in ``4,52%``.

    >>> format_percent(85.5)
    '85,5%'
    """
    if value is None:
        return ""
    return format_number(round(value, decimals), decimals) + "%"


def slugify(value: str) -> str:
    """An ASCII-safe, readable file-name part.

    >>> slugify("Sở Khoa học và Công nghệ")
    'so-khoa-hoc-va-cong-nghe'
    """
    return "-".join(fold_words(value)) or "x"


def format_moment(iso: str | None) -> str:
    """A moment as people read it: dd/mm/yyyy HH:MM (Vietnam time as stored).

    >>> format_moment("2026-11-12T09:00:00+07:00"), format_moment("2026-11-12"), format_moment(None)
    ('12/11/2026 09:00', '12/11/2026', '')
    """
    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{moment:%d/%m/%Y}" if len(iso) <= 10 else f"{moment:%d/%m/%Y %H:%M}"


def vn_date_line(day: date) -> str:
    """``ngày DD tháng M năm YYYY`` with the ND30 leading-zero rule.

    Days 1-9 and months 1-2 take a leading zero; months 3-12 do not.

    >>> vn_date_line(date(2026, 2, 5))
    'ngày 05 tháng 02 năm 2026'
    >>> vn_date_line(date(2026, 3, 5))
    'ngày 05 tháng 3 năm 2026'
    >>> vn_date_line(date(2026, 12, 15))
    'ngày 15 tháng 12 năm 2026'
    """
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def mid(text: str) -> str:
    """A label as it reads inside a sentence: "Tháng 3/2026" → "tháng 3/2026", "Cán bộ" → "cán bộ";
    acronyms ("GRDP", "HDI") and proper names stay.

    >>> mid("Tháng 3/2026"), mid("Cán bộ"), mid("GRDP"), mid("Đạt")
    ('tháng 3/2026', 'cán bộ', 'GRDP', 'đạt')
    """
    if len(text) > 1 and text[0].isupper() and (text[1].islower() or not text[1].isalpha()):
        return text[0].lower() + text[1:]
    return text

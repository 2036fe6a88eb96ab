"""Reading the target cell of a plan ("mức chỉ tiêu") into a structured target.

Every shape found in the plans is handled: comparators (≥ > ≤ < =), bare numbers,
ranges ("80-90"), numbers with units ("2% GRDP", "10 lần"), "Đạt tối thiểu 70%",
aspirational prefixes with their typos ("Phấn đấu", "Phần đầu", "Phân đấu"),
"… trở lên", qualitative targets ("Có", "Đạt mức khá"), trends ("Tăng dần theo
mỗi năm"), directives ("Triển khai theo hướng dẫn của Bộ") and composite targets
("Đạt 100% đối với giáo viên và đạt tối thiểu 65% đối với học sinh").
A text the parser cannot read is kept verbatim and marked ``parsed=False``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .text import clean, fold, parse_number

__all__ = [
    "Target",
    "NUMERIC",
    "QUALITATIVE",
    "TREND",
    "DIRECTIVE",
    "parse_target",
    "split_target_from_name",
    "is_no_target",
]

NUMERIC = "numeric"
QUALITATIVE = "qualitative"
TREND = "trend"
DIRECTIVE = "directive"

OPS = (">=", ">", "<=", "<", "=", "range")


@dataclass(frozen=True)
class Target:
    """One target of an indicator: for a milestone year, or by a deadline."""

    text: str
    kind: str
    op: str | None = None
    value: float | None = None
    value_max: float | None = None
    unit: str = ""
    year: int | None = None
    deadline: str | None = None
    part: str | None = None
    label: str | None = None
    aspirational: bool = False
    parsed: bool = True

    @property
    def is_numeric(self) -> bool:
        return self.kind == NUMERIC and self.value is not None

    def to_dict(self) -> dict:
        data = {k: v for k in _FIELDS if (v := getattr(self, k)) not in (None, "", False) and k != "parsed"}
        data.setdefault("kind", self.kind)
        if not self.parsed:
            data["parsed"] = False
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Target:
        fields = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        fields["text"] = clean(fields.get("text", ""))
        for key in ("value", "value_max"):
            if fields.get(key) is not None:
                fields[key] = float(fields[key])
        return cls(**fields)


_FIELDS = tuple(Target.__dataclass_fields__)
_NO_TARGET = {"", "-", "–", "—", "x", "/"}


def is_no_target(text: str) -> bool:
    """True for the cells that mean "no target that year" ("-", empty)."""
    return clean(text) in _NO_TARGET


_OP_SYMBOLS = {"≥": ">=", ">=": ">=", ">": ">", "≤": "<=", "<=": "<=", "<": "<", "=": "="}
_NUM = r"\d[\d.,]*"
_NUMERIC = re.compile(
    rf"^(?P<op>≥|>=|>|≤|<=|<|=)?\s*(?P<a>{_NUM})\s*(?:(?:-|–|—|đến)\s*(?P<b>{_NUM}))?"
    r"\s*(?P<unit>.*?)\s*$"
)
# Words (folded) that set a comparator when they lead the text.
_LEADING_WORDS = [
    ("dat toi thieu", ">="),
    ("toi thieu", ">="),
    ("it nhat", ">="),
    ("tu", ">="),
    ("toi da", "<="),
    ("khong qua", "<="),
    ("duoi", "<"),
    ("tren", ">"),
    ("dat", "="),
]
_ASPIRATIONAL = re.compile(r"^ph[aâầấăẩ]n\s*[đd][aầấâu]u\b", re.IGNORECASE)
_TREND_UP = ("tang dan", "tang deu", "tang qua cac nam", "tang theo")
_TREND_DOWN = ("giam dan",)
_DIRECTIVE = ("trien khai theo huong dan", "theo huong dan", "theo chi dao", "theo quy dinh")
_COMPOSITE = re.compile(r"\s+(?:và|;)\s+(?=đạt\b|Đạt\b|tối thiểu|\d)", re.IGNORECASE)
_FOR = re.compile(r"\s+đối với\s+", re.IGNORECASE)


def _strip_leading_words(text: str) -> tuple[str, str | None]:
    """Remove a leading comparator phrase and return (rest, op)."""
    folded = fold(text)
    for words, op in _LEADING_WORDS:
        if folded.startswith(words + " ") and re.match(r"[\d≥≤<>=]", folded[len(words) + 1 :]):
            return text[len(words) + 1 :].strip(), op
    return text, None


def _numeric(text: str, op_hint: str | None) -> dict | None:
    match = _NUMERIC.match(text)
    if not match:
        return None
    a = parse_number(match["a"])
    if a.value is None:
        return None
    unit = clean(match["unit"])
    op = _OP_SYMBOLS.get(match["op"] or "", None) or op_hint or "="
    value_max = None
    if match["b"]:
        b = parse_number(match["b"])
        if b.value is None:
            return None
        value_max = b.value
        op = "range"
    folded_unit = fold(unit)
    if folded_unit.endswith("tro len"):
        op = ">=" if op == "=" else op
        unit = clean(unit[: -len("trở lên")])
    elif folded_unit.endswith("tro xuong"):
        op = "<=" if op == "=" else op
        unit = clean(unit[: -len("trở xuống")])
    if a.percent and not unit.startswith("%"):
        unit = ("% " + unit).strip()
    # A unit is a short tail: "%", "% GRDP", "lần", "doanh nghiệp". A long tail
    # means there is more to the sentence than a number: leave it to the caller.
    if len(unit) > 40 or re.search(r"\d", unit):
        return None
    return {"op": op, "value": a.value, "value_max": value_max, "unit": unit}


def parse_target(text: str, **where) -> list[Target]:
    """Parse one target cell into one target, or several for a composite.

    ``where`` carries ``year=`` or ``deadline=`` and is copied onto each target.
    An empty cell or "-" gives ``[]``.

    >>> [(t.op, t.value, t.unit) for t in parse_target("≥ 60%")]
    [('>=', 60.0, '%')]
    >>> [(t.op, t.value, t.value_max) for t in parse_target("07-10")]
    [('range', 7.0, 10.0)]
    >>> [(t.kind, t.op, t.value, t.aspirational) for t in parse_target("Phần đầu ≥ 3")]
    [('numeric', '>=', 3.0, True)]
    >>> [t.kind for t in parse_target("Tăng dần theo mỗi năm")]
    ['trend']
    >>> [(t.part, t.op, t.value, t.label) for t in parse_target(
    ...     "Đạt 100% đối với giáo viên và đạt tối thiểu 65% đối với học sinh phổ thông")]
    [('a', '=', 100.0, 'giáo viên'), ('b', '>=', 65.0, 'học sinh phổ thông')]
    >>> parse_target("-")
    []
    """
    text = clean(text)
    if is_no_target(text):
        return []
    parts = _split_composite(text)
    if len(parts) > 1:
        targets = []
        for index, (part_text, label) in enumerate(parts):
            single = _parse_single(part_text, where)
            targets.append(replace(single, text=text, part=chr(ord("a") + index), label=label))
        return targets
    return [_parse_single(text, where)]


def _split_composite(text: str) -> list[tuple[str, str | None]]:
    """Split "A đối với X và B đối với Y" into [(A, X), (B, Y)]."""
    if not _FOR.search(text):
        return [(text, None)]
    pieces = _COMPOSITE.split(text)
    if len(pieces) < 2:
        return [(text, None)]
    out = []
    for piece in pieces:
        halves = _FOR.split(piece, maxsplit=1)
        target_text = halves[0]
        label = clean(halves[1]) if len(halves) > 1 else None
        if not re.search(r"\d", target_text):
            return [(text, None)]
        out.append((clean(target_text), label))
    return out


def _parse_single(text: str, where: dict) -> Target:
    base = {"text": text, **{k: v for k, v in where.items() if v is not None}}
    body = text
    aspirational = False
    if _ASPIRATIONAL.match(body) or fold(body).startswith("phan dau"):
        aspirational = True
        body = re.sub(r"^\S+\s+\S+\s*", "", body, count=1)
    folded = fold(body)
    if any(folded.startswith(w) or f" {w}" in folded for w in _TREND_UP + _TREND_DOWN):
        op = "<" if any(w in folded for w in _TREND_DOWN) else ">"
        return Target(kind=TREND, op=op, aspirational=aspirational, **base)
    if any(folded.startswith(w) for w in _DIRECTIVE):
        return Target(kind=DIRECTIVE, aspirational=aspirational, **base)
    stripped, op_hint = _strip_leading_words(body)
    numeric = _numeric(stripped, op_hint)
    if numeric is not None:
        return Target(kind=NUMERIC, aspirational=aspirational, **numeric, **base)
    if re.search(r"\d", body):
        # Digits we could not place: keep the text, mark it for review.
        return Target(kind=QUALITATIVE, parsed=False, aspirational=aspirational, **base)
    return Target(kind=QUALITATIVE, aspirational=aspirational, **base)


_IN_NAME = re.compile(r"^(?P<name>.+?)\s*:\s*(?P<target>(?:đạt|Đạt|phấn đấu|Phấn đấu)\b.+)$")


def split_target_from_name(name: str) -> tuple[str, str | None]:
    """Split "…: Đạt tối thiểu 70%" off an indicator's text.

    >>> split_target_from_name("Tỷ lệ phủ sóng 5G trên dân số: Đạt tối thiểu 70%")
    ('Tỷ lệ phủ sóng 5G trên dân số', 'Đạt tối thiểu 70%')
    >>> split_target_from_name("Số doanh nghiệp")
    ('Số doanh nghiệp', None)
    """
    match = _IN_NAME.match(clean(name))
    if not match:
        return clean(name), None
    return clean(match["name"]), clean(match["target"])

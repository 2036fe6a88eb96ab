"""Reporting periods, deadlines and the target that governs a period. Pure: no clock.

A monthly period "2026-11" runs from the 15th of the previous month to the 14th
of its month (Decree 09/2019/NĐ-CP); quarters, halves and years end on the 14th
of their last month. An indicator's own deadline "Tháng 12/2026" is the end of
that month; a milestone year Y is 31/12/Y; "Thường xuyên" means every period.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from .errors import BadPeriod
from .targets import Target
from .text import clean, fold

__all__ = ["Period", "Deadline", "Governing", "parse_deadline", "governing", "month_index"]

_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


def month_index(year: int, month: int) -> int:
    """A month as one integer, for distances in months.

    >>> month_index(2026, 12) - month_index(2025, 12)
    12
    """
    return year * 12 + (month - 1)


def _last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


_QUARTERS = {"I": "1", "II": "2", "III": "3", "IV": "4"}


def _as_written(text: str) -> str:
    """A period as staff write it, in the form :meth:`Period.parse` reads: "Tháng 11/2026" →
    "2026-11", "Quý IV năm 2026" → "2026-Q4", "6 tháng đầu năm 2026" → "2026-H1"."""
    raw = fold(clean(text)).upper()
    raw = re.sub(r"\s+", " ", raw).strip()
    raw = re.sub(r"^(?:THANG|T)\s*(\d{1,2})\s*(?:/|-|\s|NAM)\s*(?:NAM\s*)?(\d{4})$", r"\2-\1", raw)
    raw = re.sub(r"^(\d{1,2})\s*[/.]\s*(\d{4})$", r"\2-\1", raw)
    raw = re.sub(r"^(\d{1,2})-(\d{4})$", r"\2-\1", raw)
    quarter = re.fullmatch(r"(?:QUY|Q)\s*(IV|III|II|I|[1-4])\s*(?:/|-|\s)\s*(?:NAM\s*)?(\d{4})", raw)
    if quarter:
        return f"{quarter[2]}-Q{_QUARTERS.get(quarter[1], quarter[1])}"
    half = re.fullmatch(r"6 THANG (DAU|CUOI)(?: NAM)? (\d{4})", raw)
    if half:
        return f"{half[2]}-H{1 if half[1] == 'DAU' else 2}"
    return re.sub(r"^NAM\s*(\d{4})$", r"\1", raw)


@dataclass(frozen=True, order=True)
class Period:
    """A reporting period. ``kind`` is month, quarter, half or year."""

    year: int
    kind: str
    index: int

    @classmethod
    def parse(cls, text: str) -> Period:
        """Read "2026-11", "2026-Q4", "2026-H1" or "2026".

        >>> Period.parse("2026-11").label
        'Tháng 11/2026'
        >>> Period.parse("2026-q4").label
        'Quý IV năm 2026'
        >>> Period.parse("2026-13")
        Traceback (most recent call last):
        ...
        reportgen.errors.BadPeriod: bad-period

        Staff write periods in words too:

        >>> [str(Period.parse(t)) for t in ("11/2026", "Tháng 11/2026", "T11/2026", "Quý 4/2026", "quý IV năm 2026")]
        ['2026-11', '2026-11', '2026-11', '2026-Q4', '2026-Q4']
        >>> [str(Period.parse(t)) for t in ("6 tháng đầu năm 2026", "6 tháng cuối năm 2026", "Năm 2026")]
        ['2026-H1', '2026-H2', '2026']
        """
        raw = _as_written(text)
        patterns = (
            (r"(\d{4})-(\d{1,2})", "month", 12),
            (r"(\d{4})-Q([1-4])", "quarter", 4),
            (r"(\d{4})-H([12])", "half", 2),
            (r"(\d{4})", "year", 1),
        )
        for pattern, kind, top in patterns:
            match = re.fullmatch(pattern, raw)
            if match:
                year = int(match.group(1))
                index = int(match.group(2)) if kind != "year" else 1
                if 1 <= index <= top and 2000 <= year <= 2100:
                    return cls(year, kind, index)
        raise BadPeriod(period=text)

    @classmethod
    def from_month(cls, month: int) -> Period:
        """The monthly period of a :func:`month_index` number.

        >>> str(Period.from_month(month_index(2026, 10)))
        '2026-10'
        """
        return cls(month // 12, "month", month % 12 + 1)

    def __str__(self) -> str:
        return {
            "month": f"{self.year}-{self.index:02d}",
            "quarter": f"{self.year}-Q{self.index}",
            "half": f"{self.year}-H{self.index}",
            "year": f"{self.year}",
        }[self.kind]

    @property
    def end_month(self) -> int:
        """The calendar month of the data cut-off."""
        return {"month": self.index, "quarter": self.index * 3, "half": self.index * 6, "year": 12}[self.kind]

    @property
    def months(self) -> int:
        return {"month": 1, "quarter": 3, "half": 6, "year": 12}[self.kind]

    @property
    def cutoff(self) -> date:
        """Thời gian chốt số liệu: the 14th of the last month.

        >>> Period.parse("2026-11").cutoff
        datetime.date(2026, 11, 14)
        """
        return date(self.year, self.end_month, 14)

    @property
    def start(self) -> date:
        """The 15th of the month before the period's first month.

        >>> Period.parse("2026-H1").start
        datetime.date(2025, 12, 15)
        """
        first = month_index(self.year, self.end_month) - self.months
        return date(first // 12, first % 12 + 1, 15)

    @property
    def month_number(self) -> int:
        return month_index(self.year, self.end_month)

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"Tháng {self.index}/{self.year}"
        if self.kind == "quarter":
            return f"Quý {_ROMAN[self.index]} năm {self.year}"
        if self.kind == "half":
            return f"6 tháng {'đầu' if self.index == 1 else 'cuối'} năm {self.year}"
        return f"Năm {self.year}"

    def submission_deadline(self, day: int = 16) -> date:
        """The first ``day``-of-month on or after the cut-off.

        >>> Period.parse("2026-11").submission_deadline(16)
        datetime.date(2026, 11, 16)
        >>> Period.parse("2026-11").submission_deadline(5)
        datetime.date(2026, 12, 5)
        """
        candidate = date(self.year, self.end_month, min(day, 28))
        if candidate < self.cutoff:
            nxt = month_index(self.year, self.end_month) + 1
            candidate = date(nxt // 12, nxt % 12 + 1, min(day, 28))
        return candidate

    def previous(self) -> Period:
        """The period before this one, of the same kind.

        >>> str(Period.parse("2026-01").previous())
        '2025-12'
        """
        if self.kind == "year":
            return Period(self.year - 1, "year", 1)
        top = {"month": 12, "quarter": 4, "half": 2}[self.kind]
        if self.index > 1:
            return Period(self.year, self.kind, self.index - 1)
        return Period(self.year - 1, self.kind, top)


@dataclass(frozen=True)
class Deadline:
    """An indicator's or task's own deadline."""

    text: str
    due: date | None  # None: every period ("Thường xuyên") or unreadable
    ongoing: bool = False

    @property
    def month_number(self) -> int | None:
        return month_index(self.due.year, self.due.month) if self.due else None

    def reached(self, period: Period) -> bool:
        """True when ``period`` is the deadline's month or later (the final judgement)."""
        if self.ongoing:
            return True
        return self.due is not None and period.month_number >= month_index(self.due.year, self.due.month)


_ONGOING = ("thuong xuyen", "hang nam", "hang thang", "hang quy", "lien tuc", "moi ky")


def parse_deadline(text: str | None, year: int | None = None) -> Deadline:
    """Read "Tháng 12/2026", "Quý IV/2026", "Năm 2026", "31/12/2026" or "Thường xuyên".

    >>> parse_deadline("Tháng 12/2026").due
    datetime.date(2026, 12, 31)
    >>> parse_deadline("Thường xuyên").ongoing
    True
    >>> parse_deadline("Quý I/2027").due
    datetime.date(2027, 3, 31)
    >>> parse_deadline(None, year=2030).due
    datetime.date(2030, 12, 31)
    """
    if not text:
        if year:
            return Deadline(f"Năm {year}", date(year, 12, 31))
        return Deadline("", None)
    raw = clean(text)
    folded = fold(raw)
    if any(word in folded for word in _ONGOING):
        return Deadline(raw, None, ongoing=True)
    match = re.search(r"(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})", folded)
    if match:
        day, month, yr = (int(g) for g in match.groups())
        try:
            return Deadline(raw, date(yr, month, day))
        except ValueError:
            return Deadline(raw, None)
    match = re.search(r"quy\s*([ivx]+|[1-4])\s*(?:/|nam)?\s*(\d{4})", folded)
    if match:
        quarter = match.group(1)
        number = {"i": 1, "ii": 2, "iii": 3, "iv": 4}.get(quarter) or int(quarter)
        return Deadline(raw, _last_day(int(match.group(2)), number * 3))
    match = re.search(r"(?:thang\s*)?(\d{1,2})\s*(?:/|nam)\s*(\d{4})", folded)
    if match and 1 <= int(match.group(1)) <= 12:
        return Deadline(raw, _last_day(int(match.group(2)), int(match.group(1))))
    match = re.search(r"(\d{4})", folded)
    if match:
        return Deadline(raw, date(int(match.group(1)), 12, 31))
    return Deadline(raw, None)


@dataclass(frozen=True)
class Governing:
    """The targets that apply to a period, and the baseline to measure progress from."""

    targets: tuple[Target, ...]
    deadline: Deadline
    baseline: tuple[Target, ...] = ()
    baseline_due: date | None = None

    @property
    def label(self) -> str:
        return self.deadline.text

    def target(self, part: str | None) -> Target | None:
        return next((t for t in self.targets if t.part == part), None)

    def baseline_target(self, part: str | None) -> Target | None:
        return next((t for t in self.baseline if t.part == part), None)

    def yearly(self, target: Target, part: str | None, year: int) -> float:
        """The count a year should reach, for a target "mỗi năm": on the straight line from the
        previous milestone's yearly target to this one's.

        >>> rule = Governing((Target("≥ 40", "numeric", ">=", 40, year=2030),), parse_deadline(None, year=2030),
        ...                  (Target("≥ 20", "numeric", ">=", 20, year=2025),), date(2025, 12, 31))
        >>> rule.yearly(rule.targets[0], None, 2026), rule.yearly(rule.targets[0], None, 2030)
        (24.0, 40.0)
        """
        goal = target.value or 0.0
        before = self.baseline_target(part)
        if before is None or before.value is None or self.baseline_due is None or target.year is None:
            return goal
        start, end = self.baseline_due.year, target.year
        if end <= start:
            return goal
        return before.value + (goal - before.value) * (year - start) / (end - start)

    def goal(self, part: str | None, year: int, yearly: bool) -> float | None:
        """The number a figure of ``year`` is measured against: the target's (a range's upper
        bound), or for a count "mỗi năm" the year's own target."""
        target = self.target(part)
        if target is None or not target.is_numeric:
            return None
        if yearly:
            return self.yearly(target, part, year)
        return target.value_max if target.value_max is not None else target.value


def governing(targets: list[Target], deadline_text: str | None, period: Period) -> Governing | None:
    """The target in force for ``period``.

    Milestone targets: the first milestone year ≥ the period's year that has a
    target, with the previous milestone as baseline. Deadline targets: the target
    at the deadline. ``None`` when no target lies ahead.
    """
    by_year: dict[int, list[Target]] = {}
    for target in targets:
        if target.year is not None:
            by_year.setdefault(target.year, []).append(target)
    if by_year:
        ahead = [y for y in sorted(by_year) if y >= period.year]
        if not ahead:
            return None
        year = ahead[0]
        before = [y for y in sorted(by_year) if y < year]
        baseline = tuple(by_year[before[-1]]) if before else ()
        baseline_due = date(before[-1], 12, 31) if before else None
        return Governing(tuple(by_year[year]), parse_deadline(None, year=year), baseline, baseline_due)
    dated = [t for t in targets if t.deadline is not None]
    text = deadline_text or (dated[0].deadline if dated else None)
    if not dated and not text:
        return None
    return Governing(tuple(dated), parse_deadline(text))

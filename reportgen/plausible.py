"""Whether a figure is plausible: the questions a careful reader would ask of it. Pure.

A figure can be well formed and still be doubtful: a count of people with
decimals, a value ten times its target or its previous one, a rate that jumps
by more than 50 points in a month, a ranking that suddenly gets much worse.
Such a figure is **kept** (it may be right) and **questioned**: intake puts the
question in the agency's receipt, and the report lists the figure under the
values to verify instead of counting it as achieved.

The same rules judge an agency's figure against its own previous one (intake)
and the province's figure against the previous month's (the report).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import messages as msg
from .measures import is_count_unit
from .text import format_number

__all__ = ["Figure", "questions", "JUMP_POINTS", "TIMES"]

TIMES = 10  # a figure more than this many times its target or its previous one
JUMP_POINTS = 50  # a rate moving by more than this many points from one period to the next
RISE = 1.5  # a lower-is-better figure rising past this multiple of the previous one


@dataclass(frozen=True)
class Figure:
    """What a question needs to know about the row a figure belongs to."""

    unit: str = ""
    count: bool = False  # the unit counts things: people, organisations, articles…
    percent: bool = False  # a rate in %
    lower_is_better: bool = False
    yearly: bool = False  # a count since 1 January: it grows month by month, by design
    target: float | None = None

    @classmethod
    def of(cls, unit: str, lower_is_better: bool, yearly: bool, goal: float | None) -> Figure:
        """The figure of an indicator with ``unit``, measured against ``goal`` (see ``Governing.goal``)."""
        return cls(unit, is_count_unit(unit), "%" in unit, lower_is_better, yearly, goal)


def questions(figure: Figure, value: float, previous: float | None = None) -> list[str]:
    """The questions to ask of ``value`` (most telling first; none when it is plausible).

    >>> questions(Figure("Tổ chức", count=True), 64.3)
    ['Giá trị 64,3 có phần thập phân nhưng đơn vị tính "Tổ chức" là số đếm: kiểm tra lại.']
    >>> questions(Figure("%", percent=True, target=80), 95, previous=30)[0][:40]
    'Giá trị 95 tăng 65 điểm so với kỳ trước '
    >>> questions(Figure("Thứ bậc", lower_is_better=True, target=15), 12, previous=11)
    []
    """
    out = []
    if figure.count and not float(value).is_integer():
        out.append(msg.DOUBT_DECIMALS.format(value=format_number(value, 3), unit=figure.unit))
    magnitude = _magnitude(figure, value, previous)
    if magnitude:
        out.append(magnitude)
    return out


def _magnitude(figure: Figure, value: float, previous: float | None) -> str | None:
    shown = format_number(value, 3)
    if figure.target and figure.target > 0 and value > TIMES * figure.target:
        return msg.DOUBT_TIMES_TARGET.format(value=shown, times=TIMES, target=format_number(figure.target))
    if previous is None:
        return None
    if figure.percent and abs(value - previous) > JUMP_POINTS:
        return msg.DOUBT_JUMP.format(
            value=shown,
            change="tăng" if value > previous else "giảm",
            points=format_number(abs(value - previous), 1),
            previous=format_number(previous, 2),
        )
    if not figure.yearly and previous > 0 and value > TIMES * previous:
        return msg.DOUBT_TIMES_PREVIOUS.format(value=shown, times=TIMES, previous=format_number(previous, 2))
    if figure.lower_is_better and previous > 0 and value > RISE * previous and value - previous > 1:
        return msg.DOUBT_LOWER_RISE.format(value=shown, previous=format_number(previous, 2))
    return None

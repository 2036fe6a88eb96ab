"""The monthly record: how everything an agency sent becomes one figure per month. Pure.

An agency's submissions for one form row are merged cell by cell in the order
of their period, then of their receipt: a later submission updates the cells it
filled and keeps the others (a blank cell never erases), a row cleared on
purpose ("Không có số liệu") erases them, and a row with an error changes
nothing. The merged state of a month holds until the next month with a
submission, so a task done stays done and a stock value carries forward: the
record is a list of :class:`Span` (from ``start`` up to, not including,
``stop``), each with the value and the source of every cell.

Months are :func:`reportgen.periods.month_index` numbers. The "as of" month of
a span is the newest month among the sources of its figures (the note and the
cause given are evidence, not figures).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FIELDS", "FIGURES", "Entry", "Span", "fold", "extend", "filled_fields"]

FIELDS = ("value", "numerator", "denominator", "assessment", "doc_number", "doc_date", "note", "cause")
FIGURES = FIELDS[:6]
_INDEX = {name: i for i, name in enumerate(FIELDS)}
_FIGURE = {name: name in FIGURES for name in FIELDS}


@dataclass(frozen=True)
class Entry:
    """One submission's row: the cells it filled (only those), or a deliberate clearing."""

    sid: int  # the submission
    month: int
    received: str  # when it was received (ISO): the order within a month, then ``sid``
    cells: dict[str, Any]
    cleared: bool = False
    ok: bool = True  # False: the row had an error; it is kept for the history only

    @property
    def order(self) -> tuple[int, str, int]:
        return (self.month, self.received, self.sid)


def _blank() -> list:
    return [None] * len(FIELDS)


@dataclass
class Span:
    """The merged state of a row from ``start`` up to ``stop``: ``values[i]`` of ``FIELDS[i]``,
    given by submission ``sources[i]``."""

    start: int
    stop: int | None
    values: list[Any] = field(default_factory=_blank)
    sources: list[int | None] = field(default_factory=_blank)
    as_of: int | None = None  # the newest month among the figures' sources

    def at(self, month: int) -> bool:
        return self.start <= month and (self.stop is None or month < self.stop)

    def get(self, name: str) -> Any:
        return self.values[_INDEX[name]]

    def filled(self) -> dict[str, Any]:
        return {name: v for name, v in zip(FIELDS, self.values, strict=True) if v is not None}

    def source(self, name: str) -> int | None:
        return self.sources[_INDEX[name]]

    def after(self, month: int) -> Span:
        """A new span from ``month`` holding what this one holds."""
        return Span(month, None, list(self.values), list(self.sources), self.as_of)


def filled_fields(values: dict[str, Any]) -> dict[str, Any]:
    """The cells of a row that hold something (a blank cell keeps the earlier value).

    >>> filled_fields({"value": 3.0, "note": None, "assessment": ""})
    {'value': 3.0}
    """
    return {k: v for k, v in values.items() if k in _INDEX and v is not None and v != ""}


def _apply(span: Span, entry: Entry) -> None:
    if entry.cleared:
        span.values = _blank()
        span.sources = [entry.sid] * len(FIELDS)
        span.as_of = entry.month
        return
    fresh = False
    for name, value in entry.cells.items():
        i = _INDEX[name]
        span.values[i] = value
        span.sources[i] = entry.sid
        fresh = fresh or _FIGURE[name]
    if fresh:
        span.as_of = entry.month


def fold(entries: Iterable[Entry]) -> list[Span]:
    """The record of one agency's form row, from all its submissions (any order).

    >>> spans = fold([Entry(2, 10, "t2", {"note": "x"}), Entry(1, 9, "t1", {"value": 5.0}),
    ...               Entry(3, 11, "t3", {"value": 7.0}), Entry(4, 11, "t4", {"value": 99.0}, ok=False)])
    >>> [(s.start, s.stop, s.get("value"), s.get("note"), s.as_of) for s in spans]
    [(9, 10, 5.0, None, 9), (10, 11, 5.0, 'x', 9), (11, None, 7.0, 'x', 11)]
    """
    spans: list[Span] = []
    for entry in sorted((e for e in entries if e.ok), key=lambda e: e.order):
        if not spans or spans[-1].start != entry.month:
            if spans:
                spans[-1].stop = entry.month
                spans.append(spans[-1].after(entry.month))
            else:
                spans.append(Span(entry.month, None))
        _apply(spans[-1], entry)
    return spans


def extend(latest: Span | None, entry: Entry) -> tuple[Span | None, Span]:
    """The common case: ``entry`` is newer than everything recorded for its row.

    Returns (the previous span, now closed, or None; the open span to write), given the
    row's open span ``latest``; the caller checks that nothing recorded is newer.
    """
    if latest is not None and latest.start == entry.month:
        _apply(latest, entry)
        return None, latest
    span = latest.after(entry.month) if latest is not None else Span(entry.month, None)
    if latest is not None:
        latest.stop = entry.month
    _apply(span, entry)
    return latest, span

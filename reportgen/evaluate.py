"""Achievement status of every indicator and task. Pure: catalog entries, stored
values, the period and today's date in; statuses out. No files, database or clock.

* Governing target: the first milestone year ≥ the period's year that has a
  target (baseline: the previous milestone, or the first reported value); for
  deadline plans the target at the deadline ("Thường xuyên": every period).
* At or after the deadline: Vượt / Đạt / Chưa đạt. Before it: Đã đạt / Đúng tiến
  độ / Chậm tiến độ (straight line from baseline to target). No value: Chưa có
  số liệu. Qualitative: the agencies' assessment with evidence, else Cần đánh giá.
  Tasks: Đã hoàn thành / Đang thực hiện / Quá hạn.
* Values from many agencies are aggregated per the catalog rule (single, sum,
  ratio = Σ numerators / Σ denominators, all, min, max); missing agencies make the
  value provisional ("tạm tính"), never zero.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, NamedTuple

from .catalog import INDICATOR, Item
from .layout import ratio_percent, row_key
from .periods import Deadline, Governing, Period, governing, month_index, parse_deadline
from .targets import DIRECTIVE, NUMERIC, QUALITATIVE, TREND, Target
from .text import format_number, format_percent, mid

__all__ = [
    "AgencyValue",
    "Aggregate",
    "PartStatus",
    "Status",
    "aggregate",
    "judge",
    "evaluate_item",
    "evaluate_all",
    "summarize",
    "judge_item",
    "target_line",
    "History",
    "STATUSES",
]

VUOT = "Vượt"
DAT = "Đạt"
CHUA_DAT = "Chưa đạt"
DA_DAT = "Đã đạt"
DUNG_TIEN_DO = "Đúng tiến độ"
CHAM_TIEN_DO = "Chậm tiến độ"
CHUA_CO_SO_LIEU = "Chưa có số liệu"
CHUA_DU_SO_LIEU = "Chưa đủ số liệu"  # a figure but no progress to judge: one point, no baseline; "all" not all in
CAN_DANH_GIA = "Cần đánh giá"
DANG_THUC_HIEN = "Đang thực hiện"
DA_HOAN_THANH = "Đã hoàn thành"
QUA_HAN = "Quá hạn"

# Worst first: a composite indicator takes the worst status of its parts.
STATUSES = (
    CHUA_DAT,
    QUA_HAN,
    CHAM_TIEN_DO,
    CAN_DANH_GIA,
    CHUA_CO_SO_LIEU,
    CHUA_DU_SO_LIEU,
    DANG_THUC_HIEN,
    DUNG_TIEN_DO,
    DA_DAT,
    DAT,
    DA_HOAN_THANH,
    VUOT,
)
CODES = {
    VUOT: "exceeded",
    DAT: "met",
    CHUA_DAT: "not_met",
    DA_DAT: "already_met",
    DUNG_TIEN_DO: "on_track",
    CHAM_TIEN_DO: "behind",
    CHUA_CO_SO_LIEU: "no_data",
    CHUA_DU_SO_LIEU: "insufficient",
    CAN_DANH_GIA: "needs_assessment",
    DANG_THUC_HIEN: "in_progress",
    DA_HOAN_THANH: "done",
    QUA_HAN: "overdue",
}
GOOD = {VUOT, DAT, DA_DAT, DUNG_TIEN_DO, DA_HOAN_THANH}
BAD = {CHUA_DAT, CHAM_TIEN_DO, QUA_HAN}


class AgencyValue(NamedTuple):
    """One agency's current figure for one form row (a tuple: cheap by the hundred thousand)."""

    agency: str
    value: float | None = None
    numerator: float | None = None
    denominator: float | None = None
    assessment: str | None = None
    evidence: str | None = None
    doc_number: str | None = None
    doc_date: str | None = None
    ok: bool = True
    as_of: int | None = None  # the month the figure comes from (month_index)
    cause: str | None = None  # the cause and remedy the agency gave


@dataclass(frozen=True)
class Aggregate:
    value: float | None
    assessment: str | None
    provisional: bool
    received: tuple[str, ...]
    missing: tuple[str, ...]
    how: str
    numerator: float | None = None
    denominator: float | None = None
    as_of: int | None = None  # the newest month among the figures used

    def cached(self) -> tuple:
        """What the store keeps of a province figure: (value, assessment, numerator, denominator,
        received, missing)."""
        return (self.value, self.assessment, self.numerator, self.denominator, len(self.received), len(self.missing))

    @classmethod
    def from_cache(cls, row: tuple) -> Aggregate:
        value, assessment, numerator, denominator, received, missing = row
        return cls(
            value,
            assessment,
            bool(received) and bool(missing),
            ("",) * received,
            ("",) * missing,
            "",
            numerator,
            denominator,
        )


def _finite(number: float | None) -> bool:
    return number is not None and math.isfinite(number)


def _usable(v: AgencyValue, rule: str) -> bool:
    if rule == "all":
        return v.assessment is not None
    if rule == "ratio":
        return v.ok and _finite(v.numerator) and _finite(v.denominator) and bool(v.denominator)
    return v.ok and _finite(v.value)


def aggregate(rule: str, values: Iterable[AgencyValue], expected: list[str]) -> Aggregate:
    """Combine many agencies' figures into the province's.

    >>> vals = [AgencyValue("a", numerator=5, denominator=10), AgencyValue("b", numerator=380, denominator=400)]
    >>> round(aggregate("ratio", vals, ["a", "b"]).value, 2)  # 385/410, not (50 + 95) / 2
    93.9
    >>> aggregate("sum", [AgencyValue("a", 3.0)], ["a", "b"]).provisional
    True
    """
    wanted = set(expected)
    by_agency = {v.agency: v for v in values if _usable(v, rule) and (not wanted or v.agency in wanted)}
    received = tuple(a for a in (expected or sorted(by_agency)) if a in by_agency)
    missing = tuple(a for a in expected if a not in by_agency)
    provisional = bool(missing) and bool(received)
    used = [by_agency[a] for a in received]
    if not used:
        return Aggregate(None, None, False, (), tuple(expected), "chưa đơn vị nào báo cáo")
    as_of = max((v.as_of for v in used if v.as_of is not None), default=None)
    if rule == "ratio":
        num = _fsum(v.numerator or 0.0 for v in used) or 0.0
        den = _fsum(v.denominator or 0.0 for v in used) or 0.0
        how = f"Σ tử số / Σ mẫu số = {format_number(num)} / {format_number(den)}"
        return Aggregate(_safe(ratio_percent(num, den)), None, provisional, received, missing, how, num, den, as_of)
    if rule == "all":
        how = "đạt khi mọi đơn vị báo cáo đạt (có minh chứng)"
        return Aggregate(None, _all_assessment(used), provisional, received, missing, how, as_of=as_of)
    numbers = [v.value for v in used if v.value is not None]
    if rule == "sum":
        return Aggregate(_fsum(numbers), None, provisional, received, missing, "tổng các đơn vị", as_of=as_of)
    if rule == "min":
        return Aggregate(min(numbers), None, provisional, received, missing, "giá trị nhỏ nhất", as_of=as_of)
    if rule == "max":
        return Aggregate(max(numbers), None, provisional, received, missing, "giá trị lớn nhất", as_of=as_of)
    first = used[0]
    assessment = _assessment_of(first)
    return Aggregate(
        first.value, assessment, provisional, received, missing, f"số liệu của {first.agency}", as_of=first.as_of
    )


def _safe(number: float | None) -> float | None:
    """A sum that overflowed is no figure at all."""
    return number if number is None or math.isfinite(number) else None


def _fsum(numbers: Iterable[float]) -> float | None:
    """An exact sum, or None when it overflows (``math.fsum`` raises then).

    >>> _fsum([0.1] * 10), _fsum([9e307, 9e307])
    (1.0, None)
    """
    try:
        return _safe(math.fsum(numbers))
    except OverflowError:
        return None


def _assessment_of(v: AgencyValue) -> str | None:
    if v.assessment == DAT and not (v.evidence or "").strip():
        return CAN_DANH_GIA
    return v.assessment


def _all_assessment(used: list[AgencyValue]) -> str:
    found = [_assessment_of(v) for v in used]
    for worst in (CHUA_DAT, DANG_THUC_HIEN, CAN_DANH_GIA):
        if worst in found:
            return worst
    return DAT


# ---------------------------------------------------------------------------------------
# Judging one value against one target
# ---------------------------------------------------------------------------------------
def meets(target: Target, value: float, lower_is_better: bool) -> bool:
    """Whether ``value`` satisfies the target.

    >>> meets(Target("≥ 60", NUMERIC, ">=", 60), 60, False)
    True
    """
    t = target.value
    if t is None:
        return False
    if target.op == ">=":
        return value >= t
    if target.op == ">":
        return value > t
    if target.op == "<=":
        return value <= t
    if target.op == "<":
        return value < t
    if target.op == "range":
        return t <= value <= _upper(target)
    return value <= t if lower_is_better else value >= t


def _upper(target: Target) -> float:
    """A range's upper bound; a range written without one is read as its lower bound."""
    return target.value_max if target.value_max is not None else (target.value or 0.0)


def exceeds(target: Target, value: float, lower_is_better: bool) -> bool:
    """Strictly better than the target; above a range. Never for ">" and "<" (any
    value past the bound is what the target asks for)."""
    t = target.value
    if t is None:
        return False
    if target.op in (">=", "=", "<="):
        return value < t if lower_is_better else value > t
    if target.op == "range":
        return value < t if lower_is_better else value > _upper(target)
    return False


def completion(target: Target | None, value: float | None, lower_is_better: bool) -> float | None:
    """Tỷ lệ hoàn thành: value/target, or target/value when lower is better.

    >>> completion(Target("≤ 15", NUMERIC, "<=", 15), 12, True)
    125.0
    >>> completion(Target("80-90", NUMERIC, "range", 80, 90), 72, False)
    90.0
    """
    if target is None or value is None or target.value is None:
        return None
    if lower_is_better:
        return target.value / value * 100 if value else None
    return value / target.value * 100 if target.value else None


@dataclass(frozen=True)
class Judgement:
    status: str
    rule: str
    expected: float | None = None


def judge(
    target: Target,
    value: float | None,
    *,
    final: bool,
    lower_is_better: bool = False,
    baseline: float | None = None,
    progress: float = 1.0,
) -> Judgement:
    """The status of a numeric value against a numeric target.

    ``final`` is True at or after the deadline; before it, ``progress`` (0..1) is how
    far along the straight line from ``baseline`` to the target we are.

    >>> judge(Target("≥ 60", NUMERIC, ">=", 60), 60, final=True).status
    'Đạt'
    >>> judge(Target("≥ 60", NUMERIC, ">=", 60), 59.9, final=True).status
    'Chưa đạt'
    >>> judge(Target("100", NUMERIC, "=", 100), 70, final=False, baseline=60, progress=0.2).status
    'Đúng tiến độ'
    """
    if value is None:
        return Judgement(CHUA_CO_SO_LIEU, "chưa có số liệu")
    wanted = _describe(target)
    if final:
        if exceeds(target, value, lower_is_better):
            return Judgement(VUOT, f"{format_number(value)} tốt hơn mức {wanted}")
        if meets(target, value, lower_is_better):
            return Judgement(DAT, f"{format_number(value)} đạt mức {wanted}")
        return Judgement(CHUA_DAT, f"{format_number(value)} chưa đạt mức {wanted} (đã đến hạn)")
    if meets(target, value, lower_is_better):
        return Judgement(DA_DAT, f"{format_number(value)} đã đạt mức {wanted} trước hạn")
    goal = target.value if target.value is not None else value
    start = value if baseline is None else baseline
    expected = start + (goal - start) * max(0.0, min(1.0, progress))
    on_track = value <= expected if lower_is_better else value >= expected
    line = (
        f"mức cần có theo tiến độ: {format_number(expected, 2)} "
        f"({format_percent(progress * 100, 0)} thời gian từ mốc {format_number(start)} đến {wanted})"
    )
    if on_track:
        return Judgement(
            DUNG_TIEN_DO,
            f"{format_number(value)} ≥ {line}" if not lower_is_better else f"{format_number(value)} ≤ {line}",
            expected,
        )
    return Judgement(CHAM_TIEN_DO, f"{format_number(value)} chưa theo kịp {line}", expected)


def _describe(target: Target) -> str:
    symbol = {">=": "≥ ", ">": "> ", "<=": "≤ ", "<": "< ", "=": ""}.get(target.op or "", "")
    if target.op == "range":
        return f"{format_number(target.value)}-{format_number(target.value_max)}"
    return f"{symbol}{format_number(target.value)}"


# ---------------------------------------------------------------------------------------
# Indicators
# ---------------------------------------------------------------------------------------
@dataclass
class PartStatus:
    part: str | None
    label: str | None
    target: Target | None
    value: float | None
    assessment: str | None
    status: str
    completion_pct: float | None
    provisional: bool
    received: tuple[str, ...]
    missing: tuple[str, ...]
    how: str
    rule: str
    expected: float | None = None
    goal: str = ""  # the target the completion ratio is taken against, when it is not the target's own text


@dataclass
class Status:
    """The evaluated state of an indicator or a task in a period."""

    plan: str
    code: str
    name: str
    unit: str
    section: str
    kind: str
    status: str
    target_text: str
    governing: str
    due: date | None
    final: bool
    value: float | None
    completion_pct: float | None
    provisional: bool
    reporters_expected: int
    reporters_received: int
    missing_agencies: list[str]
    aggregate_rule: str
    monitor: str | None
    lead: str | None
    parts: list[PartStatus] = field(default_factory=list)
    contributions: dict[str, list[AgencyValue]] = field(default_factory=dict)
    explanation: list[str] = field(default_factory=list)
    note: str = ""
    month: int = 0  # the month of the view (a quarter's or a year's cut-off month)
    as_of: int | None = None  # the newest month among the figures used
    previous: float | None = None  # the province value of the previous period
    last_year: float | None = None  # ... and of the same period last year
    previous_label: str = ""  # "tháng 10/2026", "quý III năm 2026"
    series: list[dict] = field(default_factory=list)  # the value and status of every month so far
    doubts: list[str] = field(default_factory=list)  # questions on the figure: to verify before praising it

    @property
    def carried(self) -> bool:
        """The figure comes from an earlier month (no newer one was reported)."""
        return self.as_of is not None and self.as_of < self.month

    @property
    def trend(self) -> str:
        """The change since the previous period and the same period last year, where known.

        >>> Status("p", "I.1", "x", "%", "I", "indicator", "Đạt", "", "", None, False, 72.5, None, False, 1, 1,
        ...        [], "single", None, None, previous=70.0, last_year=72.5, previous_label="tháng 10/2026").trend
        '↑ 2,5 điểm % so với tháng 10/2026; không đổi so với cùng kỳ năm trước'
        """
        if self.value is None or self.carried:
            return ""  # a figure not sent again has not "not changed": it is last month's, said as such
        parts = []
        for before, against in ((self.previous, self.previous_label), (self.last_year, "cùng kỳ năm trước")):
            if before is None or not against:
                continue
            change = self.value - before
            points = " điểm %" if self.unit.strip().startswith("%") else ""  # a rate moves by points
            if abs(change) < 1e-9:
                parts.append(f"không đổi so với {against}")
            else:
                parts.append(f"{'↑' if change > 0 else '↓'} {format_number(abs(change), 2)}{points} so với {against}")
        return "; ".join(parts)

    def holders(self) -> list[str]:
        """The agencies whose figures the value is made of (those who reported)."""
        return sorted({v.agency for values in self.contributions.values() for v in values if v.ok})

    def carried_from(self, names: dict[str, str]) -> str:
        """Whose figure a carried value is, and from when: "số liệu tháng 10/2026 của Sở Y tế"."""
        if not self.carried:
            return ""
        holders = [names.get(a, a) for a in self.holders()]
        whose = holders[0] if len(holders) == 1 else f"{len(holders)} cơ quan, đơn vị" if holders else ""
        return f"số liệu {self.as_of_label}" + (f" của {whose}" if whose else "")

    @property
    def as_of_label(self) -> str:
        """The month the figure comes from, as a sentence says it: "tháng 10/2026"."""
        if self.as_of is None:
            return ""
        period = Period.from_month(self.as_of)
        return f"tháng {period.index}/{period.year}"

    @property
    def status_code(self) -> str:
        return CODES.get(self.status, "unknown")

    @property
    def value_text(self) -> str:
        """The result as the report and the reminders show it: "76,5%", "85,5 Cán bộ", "Đạt".

        Tasks show their document ("125/QĐ-UBND ngày 31/03/2026") or status; a
        composite shows each part.
        """
        if self.kind != INDICATOR:
            return self.note or self.status
        if len(self.parts) > 1:
            return "; ".join(f"{p.label}: {_shown(p.value, p.assessment, self.unit)}" for p in self.parts)
        part = self.parts[0] if self.parts else None
        return _shown(self.value, part.assessment if part else None, self.unit)

    def to_json(self) -> dict:
        return {
            "plan": self.plan,
            "code": self.code,
            "name": self.name,
            "unit": self.unit,
            "section": self.section,
            "kind": self.kind,
            "target_text": self.target_text,
            "governing": self.governing,
            "deadline": self.due.isoformat() if self.due else None,
            "final": self.final,
            "value": self.value,
            "completion_pct": self.completion_pct,
            "status": self.status,
            "status_code": self.status_code,
            "provisional": self.provisional,
            "reporters_expected": self.reporters_expected,
            "reporters_received": self.reporters_received,
            "missing_agencies": self.missing_agencies,
            "aggregate": self.aggregate_rule,
            "monitor": self.monitor,
            "lead": self.lead,
            "as_of": str(Period.from_month(self.as_of)) if self.as_of is not None else None,
            "carried": self.carried,
            "previous_value": self.previous,
            "last_year_value": self.last_year,
            "trend": self.trend,
            "series": self.series,
            "doubts": self.doubts,
            "parts": [
                {
                    "part": p.part,
                    "label": p.label,
                    "target": p.target.text if p.target else None,
                    "value": p.value,
                    "assessment": p.assessment,
                    "status": p.status,
                    "completion_pct": p.completion_pct,
                    "provisional": p.provisional,
                }
                for p in self.parts
            ]
            if len(self.parts) > 1
            else [],
        }


def _shown(value: float | None, assessment: str | None, unit: str) -> str:
    if value is not None:
        text = format_number(round(value, 2))
        if unit.strip().startswith("%"):  # "2,7% GRDP", "76,5%"
            rest = unit.strip()[1:].strip()
            return text + "%" + (f" {rest}" if rest else "")
        return f"{text} {unit}".strip() if unit and len(unit) <= 12 else text
    return assessment or "chưa có số liệu"


def _progress(rule: Governing, period: Period, first_seen: Period | None) -> float:
    """How far along the line from baseline to deadline the period is (0..1).

    The line starts at the previous milestone, else at the first reported period.
    """
    due = rule.deadline.due
    if due is None:
        return 1.0
    end = month_index(due.year, due.month)
    if rule.baseline_due is not None:
        start = month_index(rule.baseline_due.year, rule.baseline_due.month)
    elif first_seen is not None:
        start = first_seen.month_number
    else:
        start = period.month_number
    if end <= start:
        return 1.0
    return (period.month_number - start) / (end - start)


INSUFFICIENT = "chưa đủ số liệu để đánh giá tiến độ (mới có một kỳ số liệu, kế hoạch không nêu mốc xuất phát)"


def _baseline(rule: Governing, part: str | None, first_value: float | None) -> float | None:
    """The previous milestone's target, else the first value reported before this period (else none)."""
    target = rule.baseline_target(part)
    if target is not None and target.kind == NUMERIC and target.value is not None:
        return target.value
    return first_value


@dataclass(frozen=True)
class History:
    """Province values of the monthly record, by month: for trends, growth rates and baselines.

    A quarter, a half or a year is read at its cut-off month, so "the previous period"
    of 2026-Q4 is the record as of September and "the same period last year" that of
    December 2025.
    """

    values: dict[int, dict[str, float]]  # month_index -> row key -> province value

    def at(self, key: str, month: int) -> float | None:
        return self.values.get(month, {}).get(key)

    def previous(self, key: str, period: Period) -> float | None:
        return self.at(key, period.previous().month_number)

    def same_period(self, key: str, period: Period, years_back: int) -> float | None:
        return self.at(key, period.month_number - 12 * years_back)

    def first(self, key: str, before: Period) -> tuple[Period, float] | None:
        months = sorted(m for m, values in self.values.items() if key in values and m < before.month_number)
        if not months:
            return None
        return Period.from_month(months[0]), self.values[months[0]][key]


def part_rule(item: Item, part: str | None, period: Period) -> str:
    """How the agencies' figures of one part are combined: assessments with "all"."""
    rule = governing(item.targets, item.deadline, period)
    target = rule.target(part) if rule else None
    qualitative = target is None or target.kind in (QUALITATIVE, DIRECTIVE) or item.is_qualitative
    return "all" if qualitative else item.aggregate


def evaluate_item(
    item: Item,
    reporters: list[str],
    period: Period,
    today: date,
    values: dict[str, list[AgencyValue]],
    history: History | None = None,
) -> Status | None:
    """Evaluate one indicator or task. ``values`` maps form row keys to agency values."""
    history = history or History({})
    if item.kind != INDICATOR:
        return _task(item, reporters, period, today, values.get(row_key(item.plan, item.code, None), []))
    keys = {part: row_key(item.plan, item.code, part) for part in item.parts}
    aggregates = {
        part: aggregate(part_rule(item, part, period), values.get(key, []), reporters) for part, key in keys.items()
    }
    status = judge_item(item, reporters, period, aggregates, history)
    if status is not None:
        status.contributions = {key: values.get(key, []) for key in keys.values()}
    return status


def judge_item(
    item: Item, reporters: list[str], period: Period, aggregates: dict[str | None, Aggregate], history: History
) -> Status | None:
    """The status of an indicator from the province figure of each of its parts."""
    rule = governing(item.targets, item.deadline, period)
    if rule is None:
        return None
    final = rule.deadline.reached(period)
    lower = item.direction == "lower"
    parts = [_part(item, part, rule, period, final, lower, aggregates[part], history) for part in item.parts]
    status = _combine([p.status for p in parts])
    main = parts[0]
    missing = sorted(set().union(*(p.missing for p in parts)))
    received = set(reporters) - set(missing)
    key = row_key(item.plan, item.code, item.parts[0])
    as_of = max((a.as_of for a in aggregates.values() if a.as_of is not None), default=None)
    return Status(
        plan=item.plan,
        code=item.code,
        name=item.name,
        unit=item.unit,
        section=item.section,
        kind=item.kind,
        status=status,
        target_text="; ".join(_target_text(p, item.unit, len(parts) > 1) for p in parts),
        governing=rule.label,
        due=rule.deadline.due,
        final=final,
        value=main.value if len(parts) == 1 else None,
        completion_pct=main.completion_pct if len(parts) == 1 else _min_completion(parts),
        provisional=any(p.provisional for p in parts),
        reporters_expected=len(reporters),
        reporters_received=len(received),
        missing_agencies=missing,
        aggregate_rule=item.aggregate,
        monitor=item.monitor,
        lead=reporters[0] if reporters else None,
        parts=parts,
        explanation=_explain(item, rule, parts, reporters, final),
        month=period.month_number,
        as_of=as_of,
        previous=history.previous(key, period) if len(parts) == 1 else None,
        last_year=history.same_period(key, period, 1) if len(parts) == 1 else None,
        previous_label=_label_in_sentence(period.previous()),
    )


def _target_text(part: PartStatus, unit: str, several: bool) -> str:
    """The target as the report shows it: the one its completion ratio is taken against (a year's
    share of a count "mỗi năm"), and for a target of several parts each part's own number."""
    if part.goal:
        return part.goal
    if part.target is None:
        return "-"
    if not several:
        return part.target.text
    shown = (
        _describe(part.target) if part.target.kind == NUMERIC and part.target.value is not None else part.target.text
    )
    if unit.strip().startswith("%") and part.target.kind == NUMERIC:
        shown += "%"
    return f"{part.label}: {shown}" if part.label else shown


def _label_in_sentence(period: Period) -> str:
    """A period's name inside a sentence: "tháng 10/2026", "quý III năm 2026", "năm 2025"."""
    return mid(period.label)


def target_line(item: Item, period: Period, history: History) -> tuple[tuple[int, float], tuple[int, float]] | None:
    """The straight line an indicator should follow: (month, value) at its baseline and at its deadline.

    The baseline is the previous milestone's target, else the first value reported;
    None for a target that is not a number.
    """
    rule = governing(item.targets, item.deadline, period)
    part = item.parts[0]
    target = rule.target(part) if rule else None
    if rule is None or rule.deadline.due is None or target is None or not target.is_numeric:
        return None
    key = row_key(item.plan, item.code, part)
    first = history.first(key, Period.from_month(period.month_number + 1))
    start_value = _baseline(rule, part, first[1] if first else None)
    if rule.baseline_due is not None:
        start = month_index(rule.baseline_due.year, rule.baseline_due.month)
    elif first is not None:
        start = first[0].month_number
    else:
        return None
    if start_value is None or target.value is None:
        return None
    return (start, start_value), (month_index(rule.deadline.due.year, rule.deadline.due.month), target.value)


def _min_completion(parts: list[PartStatus]) -> float | None:
    known = [p.completion_pct for p in parts if p.completion_pct is not None]
    return min(known) if known else None


def _combine(statuses: list[str]) -> str:
    if len(statuses) == 1:
        return statuses[0]
    if all(s == VUOT for s in statuses):
        return VUOT
    if all(s in (VUOT, DAT) for s in statuses):
        return DAT
    return min(statuses, key=STATUSES.index)


def _part(
    item: Item,
    part: str | None,
    rule: Governing,
    period: Period,
    final: bool,
    lower: bool,
    agg: Aggregate,
    history: History,
) -> PartStatus:
    target = rule.target(part)
    label = item.part_label(part)
    qualitative = target is None or target.kind in (QUALITATIVE, DIRECTIVE) or item.is_qualitative
    key = row_key(item.plan, item.code, part)
    common: dict[str, Any] = {
        "part": part,
        "label": label,
        "target": target,
        "provisional": agg.provisional,
        "received": agg.received,
        "missing": agg.missing,
        "how": agg.how,
    }
    if qualitative or target is None:
        return _qualitative(agg, final, common)
    if target.kind == TREND:
        return _trend(agg, target, key, period, history, common)
    value = agg.value
    if item.basis == "growth":
        value, growth_rule = _growth(agg.value, key, period, history)
        if value is None:
            return PartStatus(
                value=None, assessment=None, status=CHUA_CO_SO_LIEU, completion_pct=None, rule=growth_rule, **common
            )
        common["how"] = f"{agg.how}; {growth_rule}"
    if value is None:
        return PartStatus(
            value=None, assessment=None, status=CHUA_CO_SO_LIEU, completion_pct=None, rule="chưa có số liệu", **common
        )
    if item.basis == "ytd" and target.value is not None:
        return _year_to_date(value, target, rule, part, period, final, lower, common)
    if item.basis == "growth":
        baseline, progress = None, 1.0  # a yearly rate: no line to follow, the rate is the goal
    else:
        first = history.first(key, period)
        baseline = _baseline(rule, part, first[1] if first else None)
        progress = _progress(rule, period, first[0] if first else None)
        if baseline is None and not final and not meets(target, value, lower):
            # one point and no baseline in the plan: a line from a value to itself proves nothing
            return PartStatus(
                value=value,
                assessment=None,
                status=CHUA_DU_SO_LIEU,
                completion_pct=completion(target, value, lower),
                rule=f"{format_number(value)}: {INSUFFICIENT}",
                **common,
            )
    verdict = judge(target, value, final=final, lower_is_better=lower, baseline=baseline, progress=progress)
    return PartStatus(
        value=value,
        assessment=None,
        status=verdict.status,
        completion_pct=completion(target, value, lower),
        rule=verdict.rule,
        expected=verdict.expected,
        **common,
    )


def _year_to_date(
    value: float,
    target: Target,
    rule: Governing,
    part: str | None,
    period: Period,
    final: bool,
    lower: bool,
    common: dict,
) -> PartStatus:
    """A count "mỗi năm" is the total since the start of the year: it is judged against the
    year's target, prorated by the months gone (at the milestone year's December: against
    the target itself)."""
    year_goal = rule.yearly(target, part, period.year)
    elapsed = period.end_month  # months of the reporting year up to the period's cut-off
    shown = format_number(value)
    wanted = f"{format_number(round(year_goal, 2))} trong năm {period.year}"
    if final and elapsed == 12:
        verdict = judge(target, value, final=True, lower_is_better=lower)
        status, how, expected = verdict.status, verdict.rule, None
    elif value >= year_goal:
        status, how, expected = DA_DAT, f"{shown} lũy kế từ đầu năm đã đạt mức {wanted}", None
    else:
        expected = year_goal * elapsed / 12
        on_track = value >= expected
        status = DUNG_TIEN_DO if on_track else CHAM_TIEN_DO
        how = (
            f"{shown} lũy kế từ đầu năm {'≥' if on_track else '<'} mức cần có sau {elapsed} tháng: "
            f"{format_number(round(expected, 2))} (mục tiêu {wanted})"
        )
    pct = value / year_goal * 100 if year_goal else None
    goal = "" if final and elapsed == 12 else f"{_describe(replace_value(target, year_goal))} năm {period.year}"
    return PartStatus(
        value=value,
        assessment=None,
        status=status,
        completion_pct=pct,
        rule=how,
        expected=expected,
        goal=goal,
        **common,
    )


def replace_value(target: Target, value: float) -> Target:
    """The same target with another number (a year's share of a count "mỗi năm")."""
    return replace(target, value=round(value, 2), value_max=None, op=target.op if target.op != "range" else ">=")


def _qualitative(agg: Aggregate, final: bool, common: dict) -> PartStatus:
    said = agg.assessment
    if said is None:
        status, rule = CHUA_CO_SO_LIEU, "chưa có tự đánh giá"
    elif said == DAT and agg.missing:  # "all": met only when every reporter says so
        status = CHUA_DAT if final else CHUA_DU_SO_LIEU
        rule = f"{len(agg.received)} đơn vị tự đánh giá Đạt, còn {len(agg.missing)} đơn vị chưa báo cáo"
    elif said == CAN_DANH_GIA:
        status, rule = CAN_DANH_GIA, "đơn vị báo Đạt nhưng chưa có minh chứng"
    elif said == DAT:
        status, rule = (DAT if final else DA_DAT), "đơn vị tự đánh giá Đạt, có minh chứng"
    elif said == CHUA_DAT:
        status, rule = (CHUA_DAT if final else CHAM_TIEN_DO), "đơn vị tự đánh giá Chưa đạt"
    else:
        status = CHUA_DAT if final else DANG_THUC_HIEN
        rule = "đơn vị báo Đang thực hiện" + (" khi đã đến hạn" if final else "")
    return PartStatus(
        value=None,
        assessment=said,
        status=status,
        completion_pct=100.0 if status in (DAT, DA_DAT) else None,
        rule=rule,
        **common,
    )


def _trend(agg: Aggregate, target: Target, key: str, period: Period, history: History, common: dict) -> PartStatus:
    value = agg.value
    if value is None:
        return PartStatus(
            value=None, assessment=None, status=CHUA_CO_SO_LIEU, completion_pct=None, rule="chưa có số liệu", **common
        )
    before = history.previous(key, period)
    if before is None:
        return PartStatus(
            value=value,
            assessment=None,
            status=CAN_DANH_GIA,
            completion_pct=None,
            rule="chỉ tiêu xu hướng: chưa có số liệu kỳ trước để so sánh",
            **common,
        )
    rising = target.op != "<"
    better = value > before if rising else value < before
    word = "tăng" if rising else "giảm"
    status = DAT if better else CHUA_DAT
    rule = (
        f'chỉ tiêu "{target.text}": {format_number(value)} so với kỳ trước '
        f"{format_number(before)} — {'có' if better else 'không'} {word}"
    )
    pct = value / before * 100 if before else None
    return PartStatus(value=value, assessment=None, status=status, completion_pct=pct, rule=rule, **common)


def _growth(value: float | None, key: str, period: Period, history: History) -> tuple[float | None, str]:
    """Average yearly growth (%) from the same period in earlier years."""
    if value is None:
        return None, "chưa có số liệu"
    for years in range(1, 6):
        base = history.same_period(key, period, years)
        if base:
            rate = round(((value / base) ** (1 / years) - 1) * 100, 9)
            return rate, (
                f"tăng trung bình {format_number(rate, 1)}%/năm so với "
                f"{format_number(base)} cùng kỳ {period.year - years}"
            )
    return None, "chỉ tiêu tốc độ tăng: cần số liệu cùng kỳ năm trước"


def _explain(item: Item, rule: Governing, parts: list[PartStatus], reporters: list[str], final: bool) -> list[str]:
    lines = [
        f"Chỉ tiêu áp dụng: {rule.label}"
        + (" (đã đến hạn: đánh giá Đạt/Vượt/Chưa đạt)" if final else " (chưa đến hạn: đánh giá theo tiến độ)"),
        f"Quy tắc tổng hợp: {item.aggregate}; đơn vị phải báo cáo: {len(reporters)}",
    ]
    for p in parts:
        head = f"[{p.label}] " if p.label else ""
        lines.append(f"{head}Mức chỉ tiêu: {p.target.text if p.target else '(không có)'}")
        lines.append(
            f"{head}Tổng hợp: {p.how}" + (f"; tạm tính, còn thiếu {len(p.missing)} đơn vị" if p.provisional else "")
        )
        if p.value is not None:
            lines.append(
                f"{head}Giá trị: {format_number(p.value, 2)}"
                + (f"; tỷ lệ hoàn thành {format_percent(p.completion_pct)}" if p.completion_pct is not None else "")
            )
        lines.append(f"{head}Kết luận: {p.status} — {p.rule}")
    return lines


def _task(item: Item, reporters: list[str], period: Period, today: date, values: list[AgencyValue]) -> Status:
    deadline: Deadline = parse_deadline(item.deadline)
    day = min(today, period.cutoff)  # a past period is judged as it stood at its cut-off
    overdue = (
        not deadline.ongoing
        and deadline.due is not None
        and (day > deadline.due or period.month_number > month_index(deadline.due.year, deadline.due.month))
    )
    report = next((v for v in values if v.agency in reporters), None) or (values[0] if values else None)
    done = report if report and report.assessment == DA_HOAN_THANH and report.doc_number and report.doc_date else None
    if done is not None:
        status, rule = DA_HOAN_THANH, f"đã ban hành văn bản số {done.doc_number} ngày {_dmy(done.doc_date)}"
    elif overdue:
        status, rule = QUA_HAN, f"quá hạn {deadline.text}, chưa có văn bản ban hành"
    elif report is not None and report.assessment:
        status = DANG_THUC_HIEN
        rule = (
            "báo hoàn thành nhưng thiếu số hoặc ngày văn bản"
            if report.assessment == DA_HOAN_THANH
            else f"đơn vị báo: {report.assessment}"
        )
    else:
        status, rule = CHUA_CO_SO_LIEU, "chưa có báo cáo về nhiệm vụ"
    received = [v.agency for v in values if v.agency in reporters]
    missing = [a for a in reporters if a not in received]
    return Status(
        plan=item.plan,
        code=item.code,
        name=item.name,
        unit="",
        section=item.section,
        kind=item.kind,
        status=status,
        target_text=item.name,
        governing=deadline.text,
        due=deadline.due,
        final=overdue,
        value=None,
        completion_pct=100.0 if done else None,
        provisional=False,
        reporters_expected=len(reporters),
        reporters_received=len(received),
        missing_agencies=missing,
        aggregate_rule=item.aggregate,
        monitor=item.monitor,
        lead=reporters[0] if reporters else None,
        contributions={row_key(item.plan, item.code, None): values},
        explanation=[f"Thời hạn: {deadline.text or '(không ghi)'}", f"Kết luận: {status} — {rule}"],
        note=(f"{done.doc_number} ngày {_dmy(done.doc_date)}" if done is not None else ""),
        month=period.month_number,
        as_of=report.as_of if report is not None else None,
    )


def _dmy(iso: str | None) -> str:
    """An ISO date as dd/mm/yyyy.

    >>> _dmy("2026-03-31")
    '31/03/2026'
    """
    try:
        return date.fromisoformat(iso).strftime("%d/%m/%Y") if iso else ""
    except ValueError:
        return iso or ""


def evaluate_all(
    items: list[tuple[Item, list[str]]],
    period: Period,
    today: date,
    values: dict[str, list[AgencyValue]],
    history: History | None = None,
) -> list[Status]:
    out = []
    for item, reporters in items:
        result = evaluate_item(item, reporters, period, today, values, history)
        if result is not None:
            out.append(result)
    return out


def summarize(statuses: list[Status]) -> dict[str, int]:
    """How many indicators and tasks are in each status.

    >>> summarize([])
    {}
    """
    counts: dict[str, int] = {}
    for s in statuses:
        counts[s.status] = counts.get(s.status, 0) + 1
    return {k: counts[k] for k in STATUSES if k in counts}

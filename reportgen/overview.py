"""A period at a glance, read from the monthly record: who reported (on time, late, with
problems, not at all) and the status of every indicator and task, with its trend.

Every period is a view of one record. A month, and a quarter, half or year at its
cut-off month, shows the latest accepted figure of every agency as of that month:
a task done stays done, a stock value carries forward (marked with the month it
comes from), and a count "mỗi năm" is the total since the start of the year, so
it never carries into the next year. Loads from the store, then hands plain
values to the pure :mod:`reportgen.evaluate`. Province figures of earlier months
are kept in the store until a submission changes them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from . import messages as msg
from .catalog import Catalog, Item, Plan
from .duties import AgencyState, Duties, MailFacts, SubmissionFact, agency_states
from .evaluate import (
    BAD,
    GOOD,
    AgencyValue,
    Aggregate,
    History,
    Status,
    aggregate,
    evaluate_item,
    judge_item,
    part_rule,
    summarize,
)
from .layout import row_key
from .periods import Period, governing
from .plausible import Figure, questions
from .store import Store

__all__ = ["Overview", "build_overview", "collection_period"]


@dataclass
class Overview:
    period: Period
    today: date
    deadline: date
    plans: list[Plan]
    statuses: list[Status]
    agencies: list[AgencyState]
    names: dict[str, str] = field(default_factory=dict)
    values: dict[str, list[AgencyValue]] = field(default_factory=dict)
    collection: Period | None = None  # the monthly collection whose submissions the agencies' states show
    effective: Period | None = None  # the month the view is read at (a quarter before its end: this month)
    corrections: list[dict] = field(default_factory=list)  # files that came after the period was reported
    held: list[dict] = field(default_factory=list)  # files kept aside, waiting for the office
    signed_corrections: list[dict] = field(default_factory=list)  # held for signed earlier periods

    @property
    def cutoff(self) -> date:
        """The data cut-off the view shows: the period's, or the month's when the period is not over."""
        return (self.effective or self.period).cutoff

    @property
    def provisional(self) -> bool:
        """The period has not reached its cut-off yet: its figures are the latest so far."""
        return self.today <= self.period.cutoff

    @property
    def summary(self) -> dict:
        counts = summarize(self.statuses)
        indicators = [s for s in self.statuses if s.kind == "indicator"]
        return {
            "statuses": counts,
            "indicators": len(indicators),
            "tasks": len(self.statuses) - len(indicators),
            "good": sum(1 for s in self.statuses if s.status in GOOD),
            "bad": sum(1 for s in self.statuses if s.status in BAD),
            "carried": sum(1 for s in self.statuses if s.carried),
            "doubtful": sum(1 for s in self.statuses if s.doubts),
            "agencies_expected": len(self.agencies),
            "agencies_reported": sum(1 for a in self.agencies if not a.missing),
            "agencies_on_time": sum(1 for a in self.agencies if not a.missing and not a.late),
            "agencies_late": sum(1 for a in self.agencies if a.late),
            "agencies_missing": sum(1 for a in self.agencies if a.missing),
            "agencies_with_problems": sum(1 for a in self.agencies if a.state == "problems"),
            "agencies_rejected": sum(1 for a in self.agencies if a.state == "rejected"),
            "agencies_partial": sum(1 for a in self.agencies if a.state == "partial"),
            "agencies_held": sum(1 for a in self.agencies if a.held),
            "agencies_bounced": sum(1 for a in self.agencies if a.bounced),
        }

    def to_json(self) -> dict:
        return {
            "period": str(self.period),
            "period_label": self.period.label,
            "today": self.today.isoformat(),
            "provisional": self.provisional,
            "cutoff": self.cutoff.isoformat(),
            "as_of": str(self.effective or self.period),
            "collection": str(self.collection) if self.collection else None,
            "submission_deadline": self.deadline.isoformat(),
            "plans": [p.id for p in self.plans],
            "summary": self.summary,
            "indicators": [s.to_json() | {"carried_from": s.carried_from(self.names)} for s in self.statuses],
            "agencies": [a.to_json() for a in self.agencies],
            "corrections": self.corrections,
            "held": self.held,
            "signed_corrections": self.signed_corrections,
        }

    def find(self, code: str, plan: str | None = None) -> list[Status]:
        """The indicators or tasks of ``code``, in any case ("i.2.1")."""
        wanted = code.strip().upper()
        return [s for s in self.statuses if s.code.upper() == wanted and (plan is None or s.plan == plan)]


def collection_period(period: Period, today: date) -> Period:
    """The monthly collection a period's agency states are read from.

    A month is its own collection. A quarter, a half or a year is read at its last
    month, or, before that month has come, at the month of ``today`` within it.

    >>> str(collection_period(Period.parse("2026-Q4"), date(2026, 11, 20)))
    '2026-11'
    >>> str(collection_period(Period.parse("2026-Q4"), date(2027, 2, 1)))
    '2026-12'
    """
    if period.kind == "month":
        return period
    now = Period(today.year, "month", today.month)
    first = period.month_number - period.months + 1
    month = min(max(now.month_number, first), period.month_number)
    return Period.from_month(month)


# ---------------------------------------------------------------------------------------
# The record as of a month
# ---------------------------------------------------------------------------------------
def _by_key(figures: Iterable[tuple], yearly: set[str], year: int) -> dict[str, list[AgencyValue]]:
    """Rows of :meth:`Store.figures` grouped by form row key; a count "mỗi năm" of an
    earlier year is not carried into ``year``.

    Keys and agency codes repeat hundreds of thousands of times at national scale:
    one string object each keeps the memory of a period's figures small.
    """
    out: dict[str, list[AgencyValue]] = {}
    codes: dict[str, str] = {}
    for key, agency, value, numerator, denominator, assessment, note, number, when, as_of, cause in figures:
        if key in yearly and as_of is not None and as_of // 12 != year:
            continue
        agency = codes.setdefault(agency, agency)
        out.setdefault(key, []).append(
            AgencyValue(agency, value, numerator, denominator, assessment, note, number, when, True, as_of, cause)
        )
    return out


@dataclass
class _Rows:
    """Every indicator's form rows, their rule of aggregation and what a cached figure must match."""

    items: list[tuple[Item, list[str]]]
    yearly: set[str]
    stamps: dict[str, str]  # item key -> hash of plan version, reporters and basis

    @classmethod
    def of(cls, items: list[tuple[Item, list[str]]], plans: dict[str, Plan]) -> _Rows:
        yearly, stamps = set(), {}
        for item, reporters in items:
            keys = [row_key(item.plan, item.code, part) for part in item.parts]
            if item.basis == "ytd":
                yearly.update(keys)
            blob = "|".join((plans[item.plan].version, item.basis, item.aggregate, ",".join(reporters)))
            stamps[item.key] = hashlib.sha1(blob.encode("utf-8")).hexdigest()[:16]
        return cls(items, yearly, stamps)

    def province(self, values: dict[str, list[AgencyValue]], month: int) -> dict[str, Aggregate]:
        period = Period.from_month(month)
        out = {}
        for item, reporters in self.items:
            if item.kind != "indicator":
                continue
            for part in item.parts:
                key = row_key(item.plan, item.code, part)
                out[key] = aggregate(part_rule(item, part, period), values.get(key, []), reporters)
        return out


def _months(store: Store, month: int) -> list[int]:
    """Every month from the first one with data up to ``month``."""
    known = [m for m in store.months() if m <= month]
    return list(range(known[0], month + 1)) if known else [month]


def _province_by_month(
    store: Store, rows: _Rows, months: list[int], current: dict[str, Aggregate], month: int
) -> dict[int, dict[str, Aggregate]]:
    """The province figure of every row in every month: cached, else computed and kept."""
    cached = store.province_cache(months)
    stamps = {
        row_key(item.plan, item.code, part): rows.stamps[item.key]
        for item, _ in rows.items
        if item.kind == "indicator"
        for part in item.parts
    }
    out: dict[int, dict[str, Aggregate]] = {}
    keep = []
    for m in months:
        if m == month:
            out[m] = current
        elif all(key in cached[m] and cached[m][key][0] == stamp for key, stamp in stamps.items()):
            out[m] = {key: Aggregate.from_cache(cached[m][key][1:]) for key in stamps}
            continue
        else:
            values = _by_key(store.figures(m), rows.yearly, m // 12)
            out[m] = rows.province(values, m)
        keep += [(m, key, stamps[key], *agg.cached()) for key, agg in out[m].items() if key in stamps]
    store.keep_province(keep)
    return out


# ---------------------------------------------------------------------------------------
# The view
# ---------------------------------------------------------------------------------------
def build_overview(
    catalog: Catalog,
    plans: list[Plan],
    store: Store | None,
    period: Period,
    today: date,
    *,
    submission_day: int,
    done_tasks: frozenset[str] = frozenset(),
) -> Overview:
    items = [(item, catalog.reporters(item)) for plan in plans for item in plan.items]
    rows = _Rows.of(items, {p.id: p for p in plans})
    # A quarter, half or year asked before it ends is a progress report as of the month we are in:
    # no cut-off in the future, no final verdict before a deadline, no point for a month to come.
    effective = period if period.kind == "month" or today > period.cutoff else collection_period(period, today)
    month = effective.month_number
    values = _by_key(store.figures(month), rows.yearly, effective.year) if store else {}
    doubts = store.doubts(month) if store else {}
    names = {code: catalog.registry.name(code) for code in catalog.registry.entries}
    current = rows.province(values, month)
    months = _months(store, month) if store else [month]
    province = _province_by_month(store, rows, months, current, month) if store else {month: current}
    history = History({m: {k: a.value for k, a in aggs.items() if a.value is not None} for m, aggs in province.items()})
    statuses = []
    for item, reporters in items:
        if item.kind != "indicator":
            status = evaluate_item(item, reporters, effective, today, values, history)
        else:
            keys = [row_key(item.plan, item.code, part) for part in item.parts]
            status = judge_item(
                item, reporters, effective, {p: current[k] for p, k in zip(item.parts, keys, strict=False)}, history
            )
            if status is not None:
                status.contributions = {k: values.get(k, []) for k in keys}
                status.series = _series(item, reporters, months, province, history)
                status.doubts = _doubts(item, effective, status, keys, doubts, names)
        if status is not None:
            statuses.append(status)
    collection = collection_period(period, today)
    deadline = collection.submission_deadline(submission_day)
    duties = Duties(catalog, plans, collection, done_tasks)
    submissions: list[SubmissionFact] = []
    rejected: list[str] = []
    problems: dict[str, int] = {}
    filled: dict[str, set[str]] = {}
    mail = None
    if store:
        submissions = [SubmissionFact(s.agency, s.received_at) for s in store.submissions(period=str(collection))]
        problems = store.unresolved(str(collection))
        files = store.files(period=str(collection))
        rejected = [f.agency for f in files if f.status == "rejected" and f.agency]
        filled = store.filled(str(collection))
        mail = _mail_facts(store, collection, files)
    agencies = agency_states(catalog, duties, submissions, problems, rejected, deadline, filled, mail)
    view = Overview(period, today, deadline, plans, statuses, agencies, names, values, collection, effective=effective)
    if store:
        view.corrections = [
            _file_json(f) | {"changed": f.receipt.get("changed", [])} for f in files if f.receipt.get("correction")
        ]
        view.held = [
            _file_json(f) | {"sender": f.receipt.get("sender"), "reason": f.receipt.get("held")}
            for f in files
            if f.status == "held"
        ]
        view.signed_corrections = [
            _file_json(f) | {"period": f.period}
            for f in store.files(status="held")
            if f.receipt.get("held") == "signed" and f.period != str(collection)
        ]
    return view


def _file_json(f) -> dict:
    return {"id": f.id, "agency": f.agency, "file_name": f.name, "received_at": f.received_at, "status": f.status}


def _mail_facts(store: Store, collection: Period, files) -> MailFacts:
    """Held files of the period; the mails of its month that brought nothing usable; bounces."""
    first = date(collection.year, collection.index, 1)
    following = date(collection.year + collection.index // 12, collection.index % 12 + 1, 1)
    unusable: dict[str, list[dict]] = {}
    bounced: dict[str, list[str]] = {}
    for mail in store.mails(since=first.isoformat(), status="done"):
        if not mail.agency or mail.received_at[:10] >= following.isoformat():
            continue
        if mail.kind == "bounce":
            bounced.setdefault(mail.agency, []).extend(a for a in mail.detail.split(", ") if a)
        elif mail.unusable:
            unusable.setdefault(mail.agency, []).append(
                {"received_at": mail.received_at, "subject": mail.subject, "reasons": mail.unusable}
            )
    held = tuple(f.agency for f in files if f.status == "held" and f.agency)
    return MailFacts(held, unusable, {a: list(dict.fromkeys(x)) for a, x in bounced.items()})


def _doubts(
    item: Item,
    period: Period,
    status: Status,
    keys: list[str],
    standing: dict[str, list[tuple[str, str]]],
    names: dict[str, str],
) -> list[str]:
    """The questions on an indicator's figure: those asked of the agencies' figures it is made of,
    then those the province figure raises against its target and the previous period."""
    asked = [(agency, text) for key in keys for agency, text in standing.get(key, [])]
    out = [f"{names.get(agency, agency)}: {text}" for agency, text in asked]
    rule = governing(item.targets, item.deadline, period)
    for part in status.parts:
        if part.value is None or rule is None:
            continue
        yearly = item.basis == "ytd"
        figure = Figure.of(item.unit, item.direction == "lower", yearly, rule.goal(part.part, period.year, yearly))
        previous = status.previous if len(status.parts) == 1 else None
        out += [
            msg.DOUBT_PROVINCE.format(text=q)
            for q in questions(figure, part.value, previous)
            if not any(q in text for _, text in asked)  # one agency's figure is the province's
        ]
    return out


def _series(
    item: Item, reporters: list[str], months: list[int], province: dict[int, dict[str, Aggregate]], history: History
) -> list[dict]:
    """The indicator's value and status in every month of the record so far."""
    out = []
    for m in months:
        view = Period.from_month(m)
        aggregates = {part: province[m][row_key(item.plan, item.code, part)] for part in item.parts}
        status = judge_item(item, reporters, view, aggregates, history)
        if status is None:
            continue
        out.append(
            {"period": str(view), "value": status.value, "status": status.status, "provisional": status.provisional}
        )
    return out

"""A period at a glance: who reported (on time, late, not at all) and the evaluated
status of every indicator and task. Loads from the store, then hands plain values
to the pure :mod:`reportgen.evaluate`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from .catalog import Catalog, Item, Plan
from .duties import AgencyState, Duties, SubmissionFact, agency_states
from .evaluate import (
    BAD,
    GOOD,
    AgencyValue,
    History,
    Status,
    aggregate,
    evaluate_all,
    summarize,
)
from .layout import row_key
from .periods import Period
from .store import Store

__all__ = ["Overview", "build_overview"]


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
            "agencies_expected": len(self.agencies),
            "agencies_reported": sum(1 for a in self.agencies if not a.missing),
            "agencies_on_time": sum(1 for a in self.agencies if not a.missing and not a.late),
            "agencies_late": sum(1 for a in self.agencies if a.late),
            "agencies_missing": sum(1 for a in self.agencies if a.missing),
            "agencies_with_problems": sum(1 for a in self.agencies if a.state == "problems"),
            "agencies_rejected": sum(1 for a in self.agencies if a.state == "rejected"),
        }

    def to_json(self) -> dict:
        return {
            "period": str(self.period),
            "period_label": self.period.label,
            "today": self.today.isoformat(),
            "submission_deadline": self.deadline.isoformat(),
            "plans": [p.id for p in self.plans],
            "summary": self.summary,
            "indicators": [s.to_json() for s in self.statuses],
            "agencies": [a.to_json() for a in self.agencies],
        }

    def find(self, code: str, plan: str | None = None) -> list[Status]:
        return [s for s in self.statuses if s.code == code and (plan is None or s.plan == plan)]


def _by_key(figures: Iterable[tuple]) -> dict[str, list[AgencyValue]]:
    """Rows of :meth:`Store.current_figures` grouped by form row key.

    Keys and agency codes repeat hundreds of thousands of times at national scale:
    one string object each (interned) keeps the memory of a period's figures small.
    """
    out: dict[str, list[AgencyValue]] = {}
    codes: dict[str, str] = {}
    for key, agency, value, numerator, denominator, assessment, note, number, when, ok in figures:
        agency = codes.setdefault(agency, agency)
        out.setdefault(key, []).append(
            AgencyValue(agency, value, numerator, denominator, assessment, note, number, when, ok == 1)
        )
    return out


def _history(store: Store, items: list[tuple[Item, list[str]]], period: Period) -> History:
    """Province values of every earlier period in the store, aggregated like this one."""
    periods = {s.period for s in store.submissions()}
    out: dict[str, dict[str, float]] = {}
    for text in periods:
        try:
            earlier = Period.parse(text)
        except Exception:  # noqa: BLE001 - a period written by an older version
            continue
        if earlier.kind != period.kind or earlier.month_number >= period.month_number:
            continue
        values = _by_key(store.current_figures(text))
        found: dict[str, float] = {}
        for item, reporters in items:
            for part in item.parts:
                key = row_key(item.plan, item.code, part)
                if key in values:
                    result = aggregate(item.aggregate, values[key], reporters)
                    if result.value is not None:
                        found[key] = result.value
        out[text] = found
    return History(out)


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
    values = _by_key(store.current_figures(str(period))) if store else {}
    history = _history(store, items, period) if store else History({})
    statuses = evaluate_all(items, period, today, values, history)
    deadline = period.submission_deadline(submission_day)
    duties = Duties(catalog, plans, period, done_tasks)
    submissions: list[SubmissionFact] = []
    rejected: list[str] = []
    if store:
        submissions = [
            SubmissionFact(s.agency, s.received_at, s.problems, s.current)
            for s in store.submissions(period=str(period))
        ]
        rejected = [f.agency for f in store.files(period=str(period)) if f.status == "rejected" and f.agency]
    agencies = agency_states(catalog, duties, submissions, rejected, deadline)
    names = {code: catalog.registry.name(code) for code in catalog.registry.entries}
    return Overview(period, today, deadline, plans, statuses, agencies, names, values)

"""Who reports what in a period, and who has reported. Pure: catalog and stored facts in.

:class:`Duties` answers, for one period and a set of plans, which agencies owe
which form rows (:class:`FormRow`), grouped by plan and section as the form
shows them, and which rows a returned form may carry (the rows asked, plus the
tasks already done, which an agency may still correct). It is built once per
period: the rows of each indicator are made once and an index lists each
agency's blocks, so 3,500 agencies cost no more than their own rows.

:func:`agency_states` tells, from the stored submissions and files, who
submitted on time, late, with problems, only refused files, or not at all.
The form writer, intake, status, reminders and the report all ask these two.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from functools import cached_property

from . import messages as msg
from .catalog import INDICATOR, Catalog, Item, Plan
from .clock import VN
from .layout import ASSESSMENT, RATIO, TASK, VALUE, row_key
from .periods import Period, governing, month_index, parse_deadline
from .plausible import Figure

PROVINCE_TARGET = "Cả tỉnh: "  # before a target many agencies report towards

__all__ = ["FormRow", "FormSection", "Duties", "AgencyState", "SubmissionFact", "MailFacts", "agency_states"]


@dataclass(frozen=True)
class FormRow:
    """One row an agency reports: what it is, what it is measured against, what to type."""

    key: str
    code: str
    name: str
    input: str  # value | ratio | assessment | task
    unit: str = ""
    target: str = ""
    deadline: str = ""
    previous: str = ""
    percent: bool = False
    lower_is_better: bool = False
    figure: Figure = Figure()  # what :mod:`reportgen.plausible` needs to question a figure of this row
    since: date | None = None  # the plan's start: no document of it is older
    scope: str = ""  # what the figure covers: as of when, since when, whose
    behind: bool = False  # behind or not met at the last period: the form asks for the cause
    also: tuple[str, ...] = ()  # row keys of the same measure in another plan, filled from this row

    @cached_property
    def plain(self) -> bool:
        """Any number from 0 up will do as this row's value (no percent, rank or 0-1 scale to check)."""
        target = self.figure.target
        return not (self.percent or self.lower_is_better or (target is not None and 0 < target <= 1))


@dataclass(frozen=True)
class FormSection:
    plan: str
    title: str
    rows: tuple[FormRow, ...]


def _asked(item: Item, period: Period, done_tasks: frozenset[str]) -> bool:
    """Whether ``item`` is on the period's forms: indicators until their deadline, tasks until done."""
    deadline = parse_deadline(item.deadline)
    if item.kind != INDICATOR:
        return row_key(item.plan, item.code) not in done_tasks
    if deadline.ongoing or deadline.due is None:
        return True
    return period.month_number <= month_index(deadline.due.year, deadline.due.month)


def rows_for(item: Item, period: Period, since: date | None = None) -> list[FormRow]:
    """The form rows of one indicator or task in ``period`` (one per part of a composite);
    ``since`` is the plan's start."""
    if item.kind != INDICATOR:
        return [
            FormRow(
                key=row_key(item.plan, item.code),
                code=item.code,
                name=item.name,
                input=TASK,
                deadline=item.deadline or "",
                since=since,
                scope=msg.SCOPE_TASK.format(cutoff=f"{period.cutoff:%d/%m/%Y}"),
            )
        ]
    rule = governing(item.targets, item.deadline, period)
    if rule is None:
        return []
    rows = []
    for part in item.parts:
        target = rule.target(part)
        name = item.name + (f" — {item.part_label(part)}" if part else "")
        if item.is_qualitative or (target is not None and target.kind in ("qualitative", "directive")):
            kind = ASSESSMENT
        elif item.aggregate == "ratio":
            kind = RATIO
        else:
            kind = VALUE
        unit = item.unit or (target.unit if target else "")
        rows.append(
            FormRow(
                key=row_key(item.plan, item.code, part),
                code=item.code + (f" ({part})" if part else ""),
                name=name,
                input=kind,
                unit=unit,
                target=target.text if target else "",
                deadline=rule.label,
                percent="%" in unit,
                lower_is_better=item.direction == "lower",
                figure=Figure.of(
                    unit,
                    item.direction == "lower",
                    item.basis == "ytd",
                    rule.goal(part, period.year, item.basis == "ytd"),
                ),
                since=since,
                scope=scope(item, period),
            )
        )
    return rows


def scope(item: Item, period: Period) -> str:
    """What a figure of ``item`` covers in ``period``: "Lũy kế từ 01/01/2026 đến 14/11/2026 · của đơn vị".

    Counts "mỗi năm" are year to date (the decision on flow indicators); everything else is the
    figure as it stands at the cut-off. A figure every unit reports is the unit's own; a figure
    one agency holds is the province's.
    """
    cutoff = f"{period.cutoff:%d/%m/%Y}"
    if item.basis == "ytd":
        when = msg.SCOPE_YEAR_TO_DATE.format(year=period.cutoff.year, cutoff=cutoff)
    else:
        when = msg.SCOPE_AT.format(cutoff=cutoff)
    whose = msg.SCOPE_WHOSE.get(item.aggregate, msg.SCOPE_WHOSE["single"])
    return f"{when} · {whose}"


def _section_title(plan: Plan, item: Item) -> str:
    section = plan.sections.get(item.section, "")
    if item.section and section:
        return f"{item.section}. {section}"
    return "Nhiệm vụ" if item.kind != INDICATOR else "Chỉ tiêu"


class Duties:
    """What every agency reports in ``period`` under ``plans``.

    ``done_tasks`` holds the row keys of tasks already reported done with their
    document: they leave the forms, but a returned form may still carry them.
    """

    def __init__(self, catalog: Catalog, plans: list[Plan], period: Period, done_tasks: Iterable[str] = ()):
        self.catalog = catalog
        self.plans = plans
        self.period = period
        self.done_tasks = frozenset(done_tasks)
        self.blocks: list[tuple[tuple[str, str], tuple[FormRow, ...]]] = []
        self.by_agency: dict[str, list[int]] = {}
        self._done_by_agency: dict[str, list[FormRow]] = {}
        self._accepted: dict[str, dict[str, FormRow]] = {}
        self.sole: set[str] = set()  # rows one agency alone reports: it answers for the figure
        aliases: list[tuple[Item, int, set[str]]] = []
        for plan in plans:
            start = plan.start
            for item in plan.items:
                rows = rows_for(item, period, start)
                if not rows:
                    continue
                reporters = catalog.reporters(item)
                if not _asked(item, period, self.done_tasks):
                    if item.kind != INDICATOR:  # a done task: off the form, open to correction
                        for agency in reporters:
                            self._done_by_agency.setdefault(agency, []).extend(rows)
                    continue
                if len(reporters) > 1:  # a province's target: each unit sees it as context, not as its own
                    rows = [replace(r, target=f"{PROVINCE_TARGET}{r.target}") if r.target else r for r in rows]
                else:
                    self.sole.update(r.key for r in rows)
                self.blocks.append(((plan.reference, _section_title(plan, item)), tuple(rows)))
                index = len(self.blocks) - 1
                for agency in reporters:
                    self.by_agency.setdefault(agency, []).append(index)
                if item.same_as:
                    aliases.append((item, index, set(reporters)))
        self.also: dict[str, dict[str, tuple[str, ...]]] = {}  # agency → row key → the rows it also fills
        self._aliases: dict[str, FormRow] = {}  # the rows asked on another plan's row, by key
        self._link(aliases)

    def _link(self, aliases: list[tuple[Item, int, set[str]]]) -> None:
        """An agency that owes a measure under two plans is asked it once, on the row of the plan
        it names (``same_as``); the value fills both. The other row stays accepted from old forms."""
        blocks_of = {
            rows[0].key.rpartition("|")[0] if rows[0].key.count("|") > 1 else rows[0].key: i
            for i, (_, rows) in enumerate(self.blocks)
        }
        for item, index, reporters in aliases:
            target = blocks_of.get(item.same_as)
            if target is None:
                continue
            primary, alias = self.blocks[target][1], self.blocks[index][1]
            if len(primary) != len(alias):  # parts that do not line up: both stay asked
                continue
            for agency in reporters & {a for a, owed in self.by_agency.items() if target in owed}:
                self.by_agency[agency].remove(index)
                linked = self.also.setdefault(agency, {})
                for main, other in zip(primary, alias, strict=True):
                    linked[main.key] = (*linked.get(main.key, ()), other.key)
                    self._done_by_agency.setdefault(agency, []).append(other)
                    self._aliases[other.key] = other

    @property
    def stamp(self) -> str:
        """The plans and catalog versions a form is made from: ``plan@version,…``."""
        return ",".join(f"{p.id}@{p.version}" for p in self.plans)

    def agencies(self) -> list[str]:
        """Every agency that owes at least one row in the period, sorted by code."""
        return sorted(self.by_agency)

    def owes(self, agency: str) -> bool:
        return agency in self.by_agency

    def rows(self, agency: str) -> list[FormRow]:
        """The rows ``agency``'s form asks for, in form order."""
        rows = [row for i in self.by_agency.get(agency, ()) for row in self.blocks[i][1]]
        linked = self.also.get(agency)
        if not linked:
            return rows
        return [self._also(row, linked[row.key]) if row.key in linked else row for row in rows]

    def accepted_rows(self, agency: str) -> dict[str, FormRow]:
        """The rows a returned form of ``agency`` may carry: those asked and its done tasks."""
        if agency not in self._accepted:
            out = {row.key: row for row in self.rows(agency)}
            for row in self._done_by_agency.get(agency, ()):
                out.setdefault(row.key, row)
            self._accepted[agency] = out
        return self._accepted[agency]

    def _also(self, row: FormRow, keys: tuple[str, ...]) -> FormRow:
        """The row that also fills the same measure of another plan, saying so on the form, with the
        other plan's target beside its own (this year's target is often the other plan's)."""
        shorts = {p.id: p.short for p in self.plans}
        named = ", ".join(f"{k.split('|')[1]} ({shorts.get(k.split('|')[0], k.split('|')[0])})" for k in keys)
        targets = [row.target] if row.target else []
        for key in keys:
            other = self._aliases.get(key)
            if other is not None and other.target:
                when = f" ({other.deadline})" if other.deadline else ""
                plan = shorts.get(key.split("|")[0], "")
                target = (
                    other.target.removeprefix(PROVINCE_TARGET)
                    if row.target.startswith(PROVINCE_TARGET)
                    else other.target
                )
                targets.append(msg.TARGET_ALSO.format(plan=plan, target=target, when=when))
        return replace(
            row, also=keys, scope=f"{row.scope} · {msg.SCOPE_ALSO.format(rows=named)}", target="; ".join(targets)
        )

    def sections(
        self, agency: str, previous: dict[str, str] | None = None, behind: frozenset[str] = frozenset()
    ) -> tuple[FormSection, ...]:
        """``agency``'s rows grouped by plan and section, with last period's values filled in and the
        rows ``behind`` (their cause is asked for) marked."""
        grouped: dict[tuple[str, str], list[FormRow]] = {}
        linked = self.also.get(agency, {})
        for index in self.by_agency.get(agency, ()):
            title, rows = self.blocks[index]
            if linked:
                rows = tuple(self._also(r, linked[r.key]) if r.key in linked else r for r in rows)
            if previous or behind:
                # the cause of a province's figure being behind is asked of the agency that holds it alone,
                # never of each commune that reports its own part
                rows = tuple(
                    replace(r, previous=_previous(r, previous), behind=r.key in behind and r.key in self.sole)
                    for r in rows
                )
            grouped.setdefault(title, []).extend(rows)
        return tuple(FormSection(p, t, tuple(r)) for (p, t), r in grouped.items())


def _previous(row: FormRow, previous: dict[str, str] | None) -> str:
    """Last period's figure for a row. A measure two plans share is one figure: its row shows the
    value kept under it, or, before the plans were linked, the one kept under the other plan's row."""
    if not previous:
        return ""
    return previous.get(row.key) or next((previous[k] for k in row.also if previous.get(k)), "")


# ---------------------------------------------------------------------------------------
# Who has reported
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SubmissionFact:
    """What the store knows of one submission, as :func:`agency_states` needs it."""

    agency: str
    received_at: str


@dataclass
class AgencyState:
    """One agency in one period: ``state`` is on_time, late, partial, problems, held, rejected or missing."""

    code: str
    name: str
    email: str = ""
    submitted_at: str | None = None
    late: bool = False
    problems: int = 0
    rejected: int = 0
    submissions: int = 0
    unfilled: int = 0  # rows of the form no submission of the period has filled yet
    blank: list[str] = field(default_factory=list)  # the codes of those rows
    held: int = 0  # files of it kept aside, waiting for the office
    unusable: list[dict] = field(default_factory=list)  # mails it sent that could not be used, and why
    bounced: list[str] = field(default_factory=list)  # its addresses our mail could not reach

    @property
    def missing(self) -> bool:
        return self.submitted_at is None

    @property
    def state(self) -> str:
        if self.submitted_at is None:
            return "held" if self.held else "rejected" if self.rejected else "missing"
        if self.problems:
            return "problems"
        if self.unfilled:
            return "partial"
        return "late" if self.late else "on_time"

    def to_json(self) -> dict:
        return {
            "agency": self.code,
            "agency_name": self.name,
            "state": self.state,
            "submitted_at": self.submitted_at,
            "late": self.late,
            "missing": self.missing,
            "problems": self.problems,
            "rejected_files": self.rejected,
            "submissions": self.submissions,
            "unfilled": self.unfilled,
            "blank_rows": self.blank,
            "held_files": self.held,
            "unusable_mails": self.unusable,
            "bounced": self.bounced,
        }


def agency_states(
    catalog: Catalog,
    duties: Duties,
    submissions: Iterable[SubmissionFact],
    problems: dict[str, int],
    rejected: Iterable[str],
    deadline: date,
    filled: dict[str, set[str]] | None = None,
    mail: MailFacts | None = None,
) -> list[AgencyState]:
    """Every agency that owes rows, with what it has sent. ``problems`` counts each agency's
    rows whose latest entry still has an error; ``rejected`` lists the agency of each
    refused file whose identity could be read, or which its registered address sent; ``mail``
    what else its mail brought (held files, mails that could not be used, bounces)."""
    registry = catalog.registry
    states = {
        code: AgencyState(code, registry.name(code), getattr(registry.get(code), "email", ""))
        for code in duties.agencies()
    }
    cutoff = datetime.combine(deadline, time(23, 59, 59), tzinfo=VN)
    for sub in submissions:
        state = states.get(sub.agency)
        if state is None:
            continue
        state.submissions += 1
        if state.submitted_at is None or sub.received_at < state.submitted_at:
            state.submitted_at = sub.received_at
            state.late = datetime.fromisoformat(sub.received_at) > cutoff
    for agency, count in problems.items():
        if agency in states:
            states[agency].problems = count
    for agency in rejected:
        if agency in states:
            states[agency].rejected += 1
    for agency, keys in (filled or {}).items():
        state = states.get(agency)
        if state is not None and state.submitted_at is not None:
            state.blank = [row.code for row in duties.rows(agency) if row.key not in keys]
            state.unfilled = len(state.blank)
    if mail is not None:
        for agency in mail.held:
            if agency in states:
                states[agency].held += 1
        for agency, found in mail.unusable.items():
            if agency in states:
                states[agency].unusable = found
        for agency, addresses in mail.bounced.items():
            if agency in states:
                states[agency].bounced = addresses
    return sorted(states.values(), key=lambda a: a.code)


@dataclass(frozen=True)
class MailFacts:
    """What the mailbox brought an agency in the period, beyond its submissions."""

    held: tuple[str, ...] = ()  # the agency of each held file
    unusable: dict[str, list[dict]] = field(default_factory=dict)  # agency -> mails that could not be used
    bounced: dict[str, list[str]] = field(default_factory=dict)  # agency -> addresses that bounced

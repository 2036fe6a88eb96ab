"""``catalog check``: what stops a plan from being used, and what a person should review.

Problems come first (they must be fixed: exit 1), then the review notes, the
important ones first (see :func:`reportgen.messages.note_rank`). Each check
below looks at one thing and says, in the row's words, what is wrong and what
to write instead.

A reviewer who finds that the plan really says what a judgement check doubts
(milestones that go down for a higher-is-better indicator) lists the check in
the row's ``confirmed`` field; it is then shown as a note, not a problem.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from . import messages as msg
from .agencies import Group, Registry
from .catalog import AGGREGATES, BASES, DIRECTIONS, INDICATOR, Catalog, Item, Plan, expand_reporters
from .targets import NUMERIC, OPS, Target, parse_target
from .text import format_number

__all__ = ["Finding", "check_plan", "check_plans", "MILESTONES"]

MILESTONES = "milestones"  # the one check a reviewer may confirm (field ``confirmed``)


@dataclass(frozen=True)
class Finding:
    plan: str
    code: str
    message: str
    problem: bool  # True: must be fixed (exit 1); False: a note to review
    rank: int = 0  # notes: 0 = most important


def check_plan(plan: Plan, registry: Registry) -> list[Finding]:
    """Problems that stop the catalog from being used, then notes left to review, important first."""
    problems: list[Finding] = []
    notes: list[Finding] = []
    for note in _plan_notes(plan):
        notes.append(Finding(plan.id, "-", note, False, msg.note_rank(note)))
    seen: set[str] = set()
    for item in plan.items:
        if item.code in seen:
            problems.append(Finding(plan.id, item.code, msg.PROBLEM_DUPLICATE_CODE.format(code=item.code), True))
        seen.add(item.code)
        for text, is_problem in _check_item(item, plan, registry):
            if is_problem:
                problems.append(Finding(plan.id, item.code, text, True))
            else:
                notes.append(Finding(plan.id, item.code, text, False, msg.note_rank(text)))
    notes.sort(key=lambda f: f.rank)  # stable: rows keep their order within a rank
    return problems + notes


def check_plans(catalog: Catalog, plans: list[Plan]) -> dict[str, list[Finding]]:
    """:func:`check_plan` for each plan, with what only shows across plans: a measure another plan
    already asks (propose ``same_as``, or say why it is not the same), and an appendix imported twice."""
    from .twins import copies, twins

    found = {plan.id: check_plan(plan, catalog.registry) for plan in plans}
    known = list(catalog.plans.values())
    for plan, other, common in copies(known):
        if plan.id in found:
            text = msg.PROBLEM_SAME_APPENDIX.format(
                plan=plan.id, other=other.id, common=common, total=min(len(plan.items), len(other.items))
            )
            found[plan.id].insert(0, Finding(plan.id, "-", text, True))
    for twin in twins(catalog, known):
        if twin.item.plan not in found:
            continue
        primary = catalog.plans[twin.primary.plan]
        facts = {"code": twin.primary.code, "name": twin.primary.name, "plan": primary.reference, "score": twin.score}
        if twin.linkable:
            ref = f"{twin.primary.plan}|{twin.primary.code}"
            text = msg.NOTE_TWIN.format(**facts, shared=twin.shared, ref=ref)
        else:
            text = msg.NOTE_NOT_TWIN.format(**facts, why=_why_text(twin))
        findings = found[twin.item.plan]
        findings.append(Finding(twin.item.plan, twin.item.code, text, False, msg.note_rank(text)))
        findings.sort(key=lambda f: (not f.problem, f.rank if not f.problem else 0))
    return found


def _why_text(twin) -> str:
    item, other = twin.item, twin.primary
    if twin.why == "numbers":
        return msg.NOT_TWIN_NUMBERS.format(a=item.name, b=other.name)
    if twin.why == "unit":
        return msg.NOT_TWIN_UNIT.format(a=item.unit, b=other.unit)
    if twin.why == "rule":
        return msg.NOT_TWIN_RULE.format(a=msg.BASIS_WORDS[item.aggregate], b=msg.BASIS_WORDS[other.aggregate])
    if twin.why == "parts":
        return msg.NOT_TWIN_PARTS.format(a=len(item.parts), b=len(other.parts))
    return msg.NOT_TWIN_REPORTERS


def _plan_notes(plan: Plan) -> Iterator[str]:
    if not plan.number or not plan.signed_on:
        yield msg.NOTE_NO_REFERENCE.format(name=plan.name)
    yield from plan.notes


def _check_item(item: Item, plan: Plan, registry: Registry) -> Iterator[tuple[str, bool]]:
    yield from _agencies(item, registry)
    if item.kind == INDICATOR:
        yield from _fields(item)
        yield from _targets(item, plan)
        yield from _milestones(item)
    for note in item.review:
        yield note, note.startswith(msg.NOTE_LEFTOVER_START)


def _agencies(item: Item, registry: Registry) -> Iterator[tuple[str, bool]]:
    for field_name in ("reporters", "implementers", "monitors"):
        for code in getattr(item, field_name):
            if code not in registry:
                yield msg.PROBLEM_UNKNOWN_CODE.format(code=code, field=field_name), True
    if item.monitor and item.monitor not in registry:
        yield msg.PROBLEM_UNKNOWN_CODE.format(code=item.monitor, field="monitor"), True
    elif item.monitor and isinstance(registry.get(item.monitor), Group):
        yield msg.PROBLEM_MONITOR_GROUP.format(name=registry.name(item.monitor), code=item.monitor), True
    if item.aggregate not in AGGREGATES:
        yield msg.PROBLEM_BAD_AGGREGATE.format(rule=item.aggregate), True
    agencies = expand_reporters(item, registry)
    if not agencies:
        yield msg.PROBLEM_NO_REPORTER, True
    elif item.aggregate == "single" and len(agencies) > 1:
        yield msg.PROBLEM_SINGLE_MANY.format(count=len(agencies)), True


def _fields(item: Item) -> Iterator[tuple[str, bool]]:
    if item.direction not in DIRECTIONS:
        yield msg.PROBLEM_BAD_DIRECTION.format(value=item.direction), True
    if item.basis not in BASES:
        yield msg.PROBLEM_BAD_BASIS.format(value=item.basis), True


def _targets(item: Item, plan: Plan) -> Iterator[tuple[str, bool]]:
    years = plan.years
    for target in item.targets:
        where = msg.target_where(target)
        if not target.parsed:
            yield msg.PROBLEM_UNPARSED.format(text=target.text), True
            continue
        if target.year is not None and years and not min(years) <= target.year <= max(years):
            yield msg.PROBLEM_YEAR_OUTSIDE.format(year=target.year, first=min(years), last=max(years)), True
        if target.kind != NUMERIC:
            continue
        if target.op not in OPS:
            yield msg.PROBLEM_BAD_OP.format(op=target.op, where=where), True
            continue
        if target.value is None:
            yield msg.PROBLEM_NO_VALUE.format(text=target.text, where=where), True
            continue
        if target.op == "range":
            if target.value_max is None:
                yield msg.PROBLEM_RANGE_OPEN.format(text=target.text, where=where), True
                continue
            if target.value_max < target.value:
                yield msg.PROBLEM_RANGE_REVERSED.format(text=target.text, where=where), True
        written = _as_written(target)
        if written is not None and written != (target.op, target.value, target.value_max):
            yield (
                msg.PROBLEM_TEXT_VALUE.format(
                    text=target.text, where=where, written=_show(*written), stored=_show(*_stored(target))
                ),
                True,
            )


def _as_written(target: Target) -> tuple[str | None, float | None, float | None] | None:
    """What the target's text says, as (op, value, value_max), when the text is a number."""
    parsed = [t for t in parse_target(target.text) if t.part == target.part]
    if len(parsed) != 1 or parsed[0].kind != NUMERIC or parsed[0].value is None:
        return None
    return parsed[0].op, parsed[0].value, parsed[0].value_max


def _stored(target: Target) -> tuple[str | None, float | None, float | None]:
    return target.op, target.value, target.value_max


def _show(op: str | None, value: float | None, value_max: float | None) -> str:
    if op == "range":
        return f"{format_number(value)}-{format_number(value_max)}"
    return f"{op or ''} {format_number(value)}".strip()


def _milestones(item: Item) -> Iterator[tuple[str, bool]]:
    """Milestones must not ask for less later (more, for a lower-is-better indicator)."""
    lower = item.direction == "lower"
    for part in item.parts:
        dated = sorted(
            (t for t in item.targets if t.year is not None and t.is_numeric and t.part == part),
            key=lambda t: t.year or 0,
        )
        for before, after in zip(dated, dated[1:], strict=False):
            a, b = before.value or 0.0, after.value or 0.0
            if (b > a) if lower else (b < a):
                text = msg.PROBLEM_MILESTONE_BACK.format(
                    year=after.year,
                    text=after.text,
                    earlier=before.year,
                    earlier_text=before.text,
                    better=msg.LOWER_IS_BETTER if lower else msg.HIGHER_IS_BETTER,
                    check=MILESTONES,
                )
                confirmed = MILESTONES in item.confirmed
                yield (msg.NOTE_CONFIRMED.format(text=text) if confirmed else text), not confirmed

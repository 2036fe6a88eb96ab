"""``catalog check``: what stops a plan from being used, and what a person should review."""

from __future__ import annotations

from dataclasses import dataclass

from . import messages as msg
from .agencies import Registry
from .catalog import AGGREGATES, Item, Plan, expand_reporters

__all__ = ["Finding", "check_plan"]


@dataclass(frozen=True)
class Finding:
    plan: str
    code: str
    message: str
    problem: bool  # True: must be fixed (exit 1); False: a note to review


def check_plan(plan: Plan, registry: Registry) -> list[Finding]:
    """Problems that stop the catalog from being used, then notes left to review."""
    findings: list[Finding] = []
    seen: set[str] = set()

    def problem(item: Item, text: str) -> None:
        findings.append(Finding(plan.id, item.code, text, True))

    for note in plan.notes:
        findings.append(Finding(plan.id, "-", note, False))
    for item in plan.items:
        if item.code in seen:
            problem(item, msg.PROBLEM_DUPLICATE_CODE.format(code=item.code))
        seen.add(item.code)
        for field_name in ("reporters", "implementers", "monitors"):
            for code in getattr(item, field_name):
                if code not in registry:
                    problem(item, msg.PROBLEM_UNKNOWN_CODE.format(code=code, field=field_name))
        if item.monitor and item.monitor not in registry:
            problem(item, msg.PROBLEM_UNKNOWN_CODE.format(code=item.monitor, field="monitor"))
        if item.aggregate not in AGGREGATES:
            problem(item, msg.PROBLEM_BAD_AGGREGATE.format(rule=item.aggregate))
        agencies = expand_reporters(item, registry)
        if not agencies:
            problem(item, msg.PROBLEM_NO_REPORTER)
        elif item.aggregate == "single" and len(agencies) > 1:
            problem(item, msg.PROBLEM_SINGLE_MANY.format(count=len(agencies)))
        for target in item.targets:
            if not target.parsed:
                problem(item, msg.PROBLEM_UNPARSED.format(text=target.text))
        for note in item.review:
            if note.startswith("Không nhận ra cơ quan"):
                problem(item, note)
            else:
                findings.append(Finding(plan.id, item.code, note, False))
    return findings

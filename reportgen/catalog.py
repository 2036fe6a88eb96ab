"""The indicator catalog: plans, their indicators and tasks, and the public JSON shape.

A plan is imported from its appendix table by :mod:`reportgen.importer`, kept as
a reviewed YAML file per plan (``config/plans/ID.yaml``) by
:mod:`reportgen.planfile`, and checked by :mod:`reportgen.checker`. This module
holds only the model they share.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from .agencies import Registry
from .targets import NUMERIC, QUALITATIVE, Target

__all__ = [
    "Item",
    "Plan",
    "Catalog",
    "AGGREGATES",
    "DIRECTIONS",
    "BASES",
    "INDICATOR",
    "TASK",
    "expand_reporters",
    "item_json",
]

AGGREGATES = ("single", "sum", "ratio", "all", "min", "max")
DIRECTIONS = ("higher", "lower")
BASES = ("level", "ytd", "growth")
INDICATOR = "indicator"
TASK = "task"


@dataclass
class Item:
    """An indicator or a task of a plan."""

    plan: str
    code: str
    name: str
    kind: str = INDICATOR
    section: str = ""
    group: str | None = None
    number: str = ""
    unit: str = ""
    direction: str = "higher"
    basis: str = "level"
    targets: list[Target] = field(default_factory=list)
    deadline: str | None = None
    implementers: list[str] = field(default_factory=list)
    reporters: list[str] = field(default_factory=list)
    monitor: str | None = None
    monitors: list[str] = field(default_factory=list)
    aggregate: str = "single"
    reporters_text: str = ""
    monitor_text: str = ""
    note: str = ""
    review: list[str] = field(default_factory=list)
    confirmed: list[str] = field(default_factory=list)  # checks a reviewer confirmed as what the plan says
    same_as: str = ""  # "plan|code" of the same measure in another plan: an agency owing both is asked once
    source: str = ""

    @property
    def parts(self) -> list[str | None]:
        """The values to collect: ``[None]``, or the part keys of a composite target."""
        keys: list[str | None] = [*sorted({t.part for t in self.targets if t.part})]
        return keys or [None]

    def part_label(self, part: str | None) -> str | None:
        return next((t.label for t in self.targets if t.part == part), None)

    @property
    def is_qualitative(self) -> bool:
        numeric = [t for t in self.targets if t.kind == NUMERIC]
        return bool(self.targets) and not numeric and all(t.kind in (QUALITATIVE, "directive") for t in self.targets)

    @property
    def key(self) -> str:
        return f"{self.plan}:{self.code}"


@dataclass
class Plan:
    id: str
    title: str = ""
    name: str = ""
    province: str = ""
    source: str = ""
    kind: str = "milestone"
    years: list[int] = field(default_factory=list)
    sections: dict[str, str] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)
    items: list[Item] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    document: str = ""  # the kind of document that sets the plan: "Kế hoạch", "Quyết định"
    number: str = ""  # its number and symbol, "1139/QĐ-UBND"; blank when the seed leaves it blank
    signed_on: str = ""  # ISO date it was signed; blank when unknown
    issuer: str = ""  # "Ủy ban nhân dân tỉnh Cao Bằng"

    @property
    def reference(self) -> str:
        """How a report cites the plan: "Kế hoạch số 13/KH-UBND ngày 25/7/2025 của UBND tỉnh Ninh Bình"
        when its number is known, else its name."""
        if not self.number:  # the seed leaves the number blank: never print "số /KH-UBND ngày / /2025"
            return self.untitled
        when = ""
        if self.signed_on:
            day = date.fromisoformat(self.signed_on)
            when = f" ngày {day.day:02d}/{day.month:02d}/{day.year}"
        return f"{self.document or 'Kế hoạch'} số {self.number}{when}" + (f" của {self.issuer}" if self.issuer else "")

    @property
    def untitled(self) -> str:
        """How to name a plan whose number is not known: its kind, its years and its issuer.

        >>> Plan("x", document="Kế hoạch", issuer="UBND tỉnh Ninh Bình", years=[2025, 2045]).untitled
        'Kế hoạch giai đoạn 2025-2045 của UBND tỉnh Ninh Bình'
        """
        if self.years:
            span = f"giai đoạn {self.years[0]}-{self.years[-1]}" if len(self.years) > 1 else f"năm {self.years[0]}"
        else:
            start = self.start
            span = f"năm {start.year}" if start else ""
        words = [self.document or "Kế hoạch", span, f"của {self.issuer}" if self.issuer else ""]
        return " ".join(w for w in words if w)

    @property
    def start(self) -> date | None:
        """When the plan starts: its signing date, else 1 January of the first year it names."""
        if self.signed_on:
            try:
                return date.fromisoformat(self.signed_on)
            except ValueError:
                pass
        years = list(self.years) + [
            int(y) for i in self.items for t in i.targets for y in re.findall(r"20\d\d", t.deadline or "")
        ]
        years += [int(y) for i in self.items for y in re.findall(r"20\d\d", i.deadline or "")]
        return date(min(years), 1, 1) if years else None

    @cached_property
    def version(self) -> str:
        """A short hash of what agencies see and report: changes when the catalog does.

        Computed once, on first use, after the plan is built or loaded."""
        payload = [
            [
                i.code,
                i.name,
                i.unit,
                i.kind,
                i.aggregate,
                i.deadline,
                [t.to_dict() for t in i.targets],
                i.reporters,
                i.monitor,
                i.monitors,
                i.basis,
                i.direction,
            ]
            for i in self.items
        ]
        blob = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()[:12]

    def item(self, code: str) -> Item | None:
        return next((i for i in self.items if i.code == code), None)

    @property
    def short(self) -> str:
        """A short name for tables and charts: "Kế hoạch 2025-2045", "Quyết định 1139/QĐ-UBND".

        >>> Plan("x", name="Kế hoạch ban hành tại Quyết định số 1139/QĐ-UBND ngày 09/7/2025").short
        'Quyết định 1139/QĐ-UBND'
        >>> Plan("x", years=[2025, 2030, 2045]).short
        'Kế hoạch 2025-2045'
        """
        decision = re.search(r"Quyết định số\s*(\S+)", self.name)
        if decision:
            return f"Quyết định {decision.group(1)}"
        if self.years:
            span = f"{self.years[0]}-{self.years[-1]}" if len(self.years) > 1 else str(self.years[0])
            return f"Kế hoạch {span}"
        years = sorted({y for i in self.items for y in re.findall(r"20\d\d", i.deadline or "")})
        return f"Kế hoạch năm {years[-1]}" if years else self.name

    @property
    def indicators(self) -> list[Item]:
        return [i for i in self.items if i.kind == INDICATOR]

    @property
    def tasks(self) -> list[Item]:
        return [i for i in self.items if i.kind == TASK]


@dataclass
class Catalog:
    """All plans of a workspace plus its agency registry."""

    plans: dict[str, Plan]
    registry: Registry

    def reporters(self, item: Item) -> list[str]:
        """The agency codes that must report values for ``item`` (groups expanded)."""
        return expand_reporters(item, self.registry)

    def items(self, plan_ids: list[str] | None = None) -> list[Item]:
        return [i for pid, p in self.plans.items() if not plan_ids or pid in plan_ids for i in p.items]


def expand_reporters(item: Item, registry: Registry) -> list[str]:
    out: dict[str, None] = {}
    stand_in = False
    for code in item.reporters:
        if code not in registry:
            continue
        codes, needs = registry.expand(code)
        out.update(dict.fromkeys(codes))
        stand_in = stand_in or needs
    if (stand_in or not out) and item.monitor and item.monitor in registry:
        out.update(dict.fromkeys(registry.expand(item.monitor)[0]))
    return list(out)


def item_json(item: Item, registry: Registry) -> dict:
    """The public JSON shape of an indicator or task (``catalog show --json``)."""
    targets = []
    for target in item.targets:
        entry: dict[str, object] = {"year": target.year} if target.year is not None else {"deadline": target.deadline}
        entry.update(
            {
                "text": target.text,
                "op": target.op,
                "value": target.value,
                "value_max": target.value_max,
                "kind": target.kind,
                "unit": target.unit,
                "part": target.part,
                "label": target.label,
                "aspirational": target.aspirational,
                "parsed": target.parsed,
            }
        )
        targets.append(entry)
    return {
        "plan": item.plan,
        "code": item.code,
        "section": item.section,
        "group": item.group,
        "name": item.name,
        "unit": item.unit,
        "kind": item.kind,
        "direction": item.direction,
        "basis": item.basis,
        "targets": targets,
        "reporters": expand_reporters(item, registry),
        "reporter_groups": item.reporters,
        "implementers": item.implementers,
        "monitor": item.monitor,
        "monitors": item.monitors,
        "deadline": item.deadline,
        "aggregate": item.aggregate,
        "review": item.review,
    }

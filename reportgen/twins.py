"""The same measure in two plans, and the same appendix imported twice.

A province's plans repeat each other: the 2026 plan asks for this year the rates the
2025-2045 plan sets for 2030. An agency that owes both rows should be asked once
(``same_as``), and the office should know which rows are one figure. :func:`twins`
finds the likely pairs for a person to confirm: the same or a near-same name (once
"Tỷ lệ"/"Tỉ lệ", abbreviations and quotes are set aside), the same numbers in it
("5G" is not "6G"), compatible units, the same way of adding up (a province-wide
figure is not a sum of the units' own), and at least one agency that reports both.

A pair with the same name that fails one of the other tests is listed too, with why
it is not the same measure, so that a reviewer does not link it by hand.

:func:`copies` finds two plans that are one appendix imported twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from .catalog import INDICATOR, Catalog, Item, Plan
from .text import fold

__all__ = ["Twin", "twins", "copies", "SAME_NAME", "LIKELY"]

LIKELY = 90  # name similarity (0-100) from which two measures are proposed as one
SAME_NAME = 90  # ... and from which a pair that is not one is still explained
COPY_SHARE = 0.6  # two plans sharing this share of their items word for word are one appendix

_ABBREVIATIONS = {
    "tthc": "thu tuc hanh chinh",
    "dvctt": "dich vu cong truc tuyen",
    "dvc": "dich vu cong",
    "csdl": "co so du lieu",
    "hcnn": "hanh chinh nha nuoc",
    "cbccvc": "can bo cong chuc vien chuc",
    "cntt": "cong nghe thong tin",
    "cds": "chuyen doi so",
}
_LEADS = ("ty le ", "ty trong ", "quy mo ", "so luong ")


@dataclass(frozen=True)
class Twin:
    """Two rows that may be one measure: ``item`` (the later plan's) would say ``same_as: primary``."""

    item: Item
    primary: Item
    score: int
    linkable: bool
    why: str  # the reason code when not linkable: numbers, unit, rule, reporters, parts
    shared: int  # agencies that report both


def name_key(name: str) -> str:
    """A name as compared: folded, "tỉ" as "tỷ", abbreviations spelt out, punctuation and the
    opening "Tỷ lệ"/"Tỷ trọng"/"Quy mô" set aside.

    >>> name_key('Tỉ lệ giao dịch TTHC thuộc diện "phi tiếp xúc"')
    'giao dich thu tuc hanh chinh thuoc dien phi tiep xuc'
    """
    text = re.sub(r"[^\w\s]", " ", fold(name).replace("ti le", "ty le"))
    words = [_ABBREVIATIONS.get(w, w) for w in text.split()]
    text = " ".join(words)
    for lead in _LEADS:
        if text.startswith(lead):
            text = text[len(lead) :]
            break
    return text


def _numbers(name: str) -> set[int]:
    """The numbers a name holds ("5G", "15 tuổi", "01 Gbps"): two measures with other numbers differ."""
    return {int(n) for n in re.findall(r"\d+", name)}


def _unit_key(unit: str) -> str:
    return re.sub(r"\s+", "", fold(unit))


def twins(catalog: Catalog, plans: list[Plan] | None = None) -> list[Twin]:
    """Likely pairs of one measure in two plans of the same province, the later plan's row first."""
    plans = plans if plans is not None else list(catalog.plans.values())
    out: list[Twin] = []
    for index, later in enumerate(plans):
        for earlier in plans[:index] + plans[index + 1 :]:
            if earlier.province != later.province or not _primary(earlier, later):
                continue
            out.extend(_pairs(catalog, later, earlier))
    return out


def _primary(one: Plan, other: Plan) -> bool:
    """Whether ``one`` holds the rows the other links to: the longer plan (its last year later),
    or of two alike the first by id."""
    last = (max(one.years, default=0), other.id)
    return last > (max(other.years, default=0), one.id)


def _pairs(catalog: Catalog, plan: Plan, primary_plan: Plan) -> list[Twin]:
    keys = {i.code: name_key(i.name) for i in primary_plan.items if i.kind == INDICATOR}
    out: list[Twin] = []
    for item in plan.items:
        key = name_key(item.name)
        if item.kind != INDICATOR or item.same_as:
            continue
        best: tuple[int, Item] | None = None
        for other in primary_plan.items:
            if other.kind != INDICATOR:
                continue
            score = round(max(fuzz.ratio(key, keys[other.code]), fuzz.token_sort_ratio(key, keys[other.code])))
            if score >= SAME_NAME and (best is None or score > best[0]):
                best = (score, other)
        if best is None:
            continue
        score, other = best
        shared = len(set(catalog.reporters(item)) & set(catalog.reporters(other)))
        why = "numbers" if _numbers(other.name) != _numbers(item.name) else _why_not(item, other, shared)
        out.append(Twin(item, other, score, not why and score >= LIKELY, why, shared))
    return out


def _why_not(item: Item, other: Item, shared: int) -> str:
    units = {_unit_key(item.unit), _unit_key(other.unit)} - {""}
    if len(units) > 1:
        return "unit"
    if _basis(item) != _basis(other):
        return "rule"
    if not shared:
        return "reporters"
    if len(item.parts) != len(other.parts):
        return "parts"
    return ""


def _basis(item: Item) -> str:
    """How a figure is held: one province-wide figure (single, max, min) or the units' own, added up."""
    return "units" if item.aggregate in ("sum", "ratio", "all") else "province"


def copies(plans: list[Plan]) -> list[tuple[Plan, Plan, int]]:
    """Pairs of plans that are one appendix imported twice: most of their items have the same
    code and the same name. Returns (plan, the earlier one, items in common)."""
    out = []
    for index, plan in enumerate(plans):
        mine = {(i.code, fold(i.name)) for i in plan.items}
        for other in plans[:index]:
            common = len(mine & {(i.code, fold(i.name)) for i in other.items})
            if mine and common >= COPY_SHARE * min(len(mine), len(other.items)):
                out.append((plan, other, common))
    return out

"""Importing a plan's appendix table into the catalog model.

:func:`import_plan` turns a :class:`~reportgen.sources.SourceTable` into a
:class:`~reportgen.catalog.Plan`, handling the traps of real appendices:
section-qualified numbering, duplicate numbers, repeated headers, continuation
rows cut by page breaks, group rows, targets written inside the indicator text,
composite targets, and agency cells naming groups. It also infers who reports
each indicator and how the figures of many agencies add up, and leaves a
review note wherever a person should look.
"""

from __future__ import annotations

import re
from datetime import date

from . import messages as msg
from .agencies import Agency, Registry
from .appendix import NUMBERED, ROMAN, Columns, Part, Raw, read_parts
from .catalog import INDICATOR, TASK, Item, Plan, expand_reporters
from .errors import SourceError, UsageError
from .measures import OPERATORS, UNITS, classify
from .sources import SourceTable
from .targets import NUMERIC, Target, parse_target, split_target_from_name
from .text import clean, fold

__all__ = ["import_plan"]


def import_plan(table: SourceTable, plan_id: str, registry: Registry, province: str | None = None) -> Plan:
    """Build a :class:`Plan` from a source table.

    A plan whose heading names another province than ``province`` (by default the
    workspace's) is refused: its agencies would be matched against the wrong list.
    """
    found = read_parts(table)
    preamble = found.preamble
    wanted = province or registry.home
    named = _province_named(preamble, registry)
    if named is not None and named != wanted:
        raise UsageError(
            "plan-province",
            file=table.path.name,
            found=registry.provinces.get(named, named),
            expected=registry.provinces.get(wanted, wanted),
            code=named,
        )
    plan = Plan(id=plan_id, province=wanted, source=table.path.name)
    plan.title = _title(preamble)
    plan.name = _short_name(preamble) or plan.title or plan_id
    plan.document, plan.number, plan.signed_on, plan.issuer = _reference(plan.name)
    plan.kind = "deadline" if any("deadline" in p.columns.roles for p in found.parts) else "milestone"
    plan.years = sorted({y for p in found.parts for y in p.columns.years.values()})
    plan.notes.extend(table.warnings)
    sheets = [label.removeprefix("trang tính ") for label in found.unread if label.startswith("trang tính")]
    if sheets:
        read = [p.label.removeprefix("trang tính ") for p in found.parts]
        shown = ", ".join(dict.fromkeys(read))
        plan.notes.append(msg.NOTE_SHEETS_SKIPPED.format(skipped=", ".join(sheets), read=shown))
    builder = _Builder(plan, registry)
    for part in found.parts:
        builder.part(part)
    if not plan.items:
        raise SourceError("no-items", file=str(table.path))
    builder.finish()
    section_years = {y for y in builder.section_years.values() if y}
    plan.years = sorted(set(plan.years) | section_years)
    return plan


def _roman(number: int) -> str:
    """A section number in Roman numerals.

    >>> [_roman(n) for n in (1, 4, 9, 14)]
    ['I', 'IV', 'IX', 'XIV']
    """
    out = ""
    for value, letters in ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while number >= value:
            out += letters
            number -= value
    return out


_APPENDIX = re.compile(r"^\s*ph[uụ]\s*l[uụ]c\s*[IVXLC\d]*\s*[.:\-–]?\s*", re.IGNORECASE)


def _heading_title(heading: list[str]) -> str:
    """A table's title from the lines above it, without "PHỤ LỤC II:".

    >>> _heading_title(["PHỤ LỤC II", "Danh mục văn bản ban hành"]), _heading_title(["Phụ lục 2: Nhiệm vụ"])
    ('Danh mục văn bản ban hành', 'Nhiệm vụ')
    """
    for line in reversed(heading):
        title = clean(_APPENDIX.sub("", line))
        if title and not title.startswith("("):
            return title
    return ""


def _agency_lines(lines: list[str], registry: Registry, province: str) -> str:
    """Agencies written on separate lines of one cell, as one list; a line that only wraps a long
    name (it starts in lower case, or the text before it names no agency by itself) joins it.

    A name split over lines is one name; names on their own lines are a list: "A, B".
    """
    out = ""
    piece = ""
    for raw in lines:
        line = clean(raw.lstrip("-+•·* "))
        if not line:
            continue
        if not out:
            out = piece = line
            continue
        if out.endswith((",", ";")):
            out, piece = f"{out} {line}", line
        elif line[:1].islower() or not (
            _names_only(piece, registry, province) and _names_only(line, registry, province)
        ):
            out, piece = f"{out} {line}", f"{piece} {line}"
        else:
            out, piece = f"{out}, {line}", line
    return out


def _names_only(text: str, registry: Registry, province: str) -> bool:
    found = registry.resolve(text, province)
    return bool(found.mentions) and not found.leftover and not found.fuzzy


def _province_named(preamble: list[str], registry: Registry) -> str | None:
    """The province a plan's heading names ("... của Ủy ban nhân dân tỉnh Cao Bằng"), if a known one."""
    text = " ".join(fold(line) for line in preamble)
    for code, name in registry.provinces.items():
        if re.search(rf"\btinh {re.escape(fold(name))}\b", text):
            return code
    return None


def _title(preamble: list[str]) -> str:
    lines = [p for p in preamble if p]
    return " ".join(lines[:3])[:500]


def _short_name(preamble: list[str]) -> str:
    """The plan as the appendix names it: "(Kèm theo Kế hoạch số …)" -> "Kế hoạch số …".

    >>> _short_name(["Phụ lục 1", "(Kèm theo Kế hoạch số 13/KH-UBND ngày 25/7/2025 của UBND tỉnh)"])
    'Kế hoạch số 13/KH-UBND ngày 25/7/2025 của UBND tỉnh'
    """
    text = " ".join(preamble)
    match = re.search(r"\(\s*kèm theo\s+(?P<name>[^)]+)\)", text, re.IGNORECASE)
    if not match:
        return ""
    name = clean(match["name"])
    return name[:1].upper() + name[1:]


def _reference(name: str) -> tuple[str, str, str, str]:
    """The document that sets a plan, from the appendix's "(Kèm theo …)": its kind, number,
    signing date (ISO) and issuer; blanks stay blank.

    >>> _reference("Kế hoạch ban hành tại Quyết định số **1139/QĐ-UBND** ngày **09/7/2025** "
    ...            "của Ủy ban nhân dân tỉnh Cao Bằng")
    ('Quyết định', '1139/QĐ-UBND', '2025-07-09', 'Ủy ban nhân dân tỉnh Cao Bằng')
    >>> _reference("Kế hoạch số /KH-UBND ngày / /2025 của UBND tỉnh Ninh Bình")
    ('Kế hoạch', '', '', 'UBND tỉnh Ninh Bình')
    """
    text = name.replace("*", "")
    kind = "Quyết định" if re.search(r"quyết định số", text, re.IGNORECASE) else "Kế hoạch"
    number = re.search(r"số\s*(\d+\s*/\s*[A-ZĐ][\w\-Đ]*)", text)
    when = re.search(r"ngày\s*(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})", text)
    issuer = re.search(r"\bcủa\s+(.+?)\s*$", text)
    signed = ""
    if when:
        try:
            signed = date(int(when[3]), int(when[2]), int(when[1])).isoformat()
        except ValueError:
            signed = ""
    return kind, clean(number[1]).replace(" ", "") if number else "", signed, clean(issuer[1]) if issuer else ""


_NUMBER_PIECE = re.compile(r"^[\dIVXLC.]{1,4}$")


class _Builder:
    def __init__(self, plan: Plan, registry: Registry):
        self.plan = plan
        self.columns = Columns()
        self.registry = registry
        self.section = ""
        self.section_years: dict[str, int | None] = {}
        self.task_sections: set[str] = set()
        self.codes: dict[str, Item | None] = {}
        self.tasks = False  # the current table is a table of tasks
        self.roles: set[str] = set()

    def part(self, part: Part) -> None:
        """Read one appendix table with its own columns. A second table that opens no section of
        its own (the plan's "Phụ lục II") gets the next one, titled by its heading."""
        self.columns = part.columns
        self.tasks = part.columns.tasks
        self.roles.update(part.columns.roles)
        first = part.raws[0] if part.raws else None
        opens = first is not None and self._opens_section(first.cells)
        if self.plan.items and not opens and (self.plan.sections or self.tasks):
            code = _roman(len(self.plan.sections) + 1)
            self._section(code, _heading_title(part.heading) or f"Phụ lục {code}")
        for raw in part.raws:
            raw.cells = [self._flat(raw.cells, i) for i in range(len(raw.cells))]
            self.add(raw)

    def _opens_section(self, cells: list[str]) -> bool:
        stt = self.columns.get(cells, "stt").split("\n")[0]
        return not NUMBERED.match(stt) and bool(ROMAN.match(stt)) and not self._has_data(cells)

    def _flat(self, cells: list[str], index: int) -> str:
        """A cell's lines as one text: names on separate lines become a list, wrapped text one line."""
        text = cells[index]
        if "\n" not in text:
            return text
        role = self.columns.role_of(index)
        if role in ("reporter", "monitor", "partner"):
            return _agency_lines(text.split("\n"), self.registry, self.plan.province)
        if role == "stt" and all(_NUMBER_PIECE.match(line) for line in text.split("\n")):
            return text.replace("\n", "")  # "9." over "1" in a narrow column: 9.1
        return clean(text.replace("\n", " "))

    def add(self, raw: Raw) -> None:
        cells = raw.cells
        stt = self.columns.get(cells, "stt")
        name = self.columns.get(cells, "name")
        numbered = NUMBERED.match(stt)
        roman = None if numbered else ROMAN.match(stt)
        if roman and (name or roman["rest"]) and not self._has_data(cells):
            self._section(roman["code"], name or clean(roman["rest"]))
            return
        number = numbered["num"] if numbered else clean(stt.rstrip("."))
        if not number and self._has_data(cells):
            raise SourceError("no-number", file=self.plan.source, where=raw.where, name=name[:80])
        if not number:
            self.plan.notes.append(msg.NOTE_UNNUMBERED.format(where=raw.where, text=name[:80]))
            return
        if not self._has_data(cells):
            self._group(number, name)
            return
        self._item(number, raw)

    def _has_data(self, cells: list[str]) -> bool:
        roles = ("unit", "targets", "result", "reporter", "monitor", "deadline")
        if any(self.columns.get(cells, r) for r in roles):
            return True
        if any(cells[i] for i in self.columns.years if i < len(cells)):
            return True
        _, in_name = split_target_from_name(self.columns.get(cells, "name"))
        return in_name is not None

    def _section(self, code: str, title: str) -> None:
        self.section = code
        self.plan.sections[code] = title
        year = re.search(r"(?:19|20)\d\d", title)
        self.section_years[code] = int(year.group()) if year else None
        folded = fold(title)
        if self.tasks or (("van ban" in folded or "nhiem vu" in folded) and "chi tieu" not in folded):
            self.task_sections.add(code)

    def _code(self, number: str) -> str:
        return f"{self.section}.{number}" if self.section else number

    def _group(self, number: str, name: str) -> None:
        code = self._code(number)
        self.plan.groups[code] = name
        self.codes[code] = None

    def _parent(self, number: str) -> str | None:
        pieces = number.split(".")
        while len(pieces) > 1:
            pieces.pop()
            candidate = self._code(".".join(pieces))
            if candidate in self.codes:
                return candidate
        return None

    def _item(self, number: str, raw: Raw) -> None:
        cells = raw.cells
        code = self._code(number)
        review: list[str] = []
        if code in self.codes:
            suffix = "b"
            while f"{code}{suffix}" in self.codes:
                suffix = chr(ord(suffix) + 1)
            new_code = f"{code}{suffix}"
            review.append(
                msg.NOTE_DUPLICATE_NUMBER.format(
                    number=number, section=self.section or "-", where=raw.where, code=new_code
                )
            )
            code = new_code
        kind = TASK if self.tasks or self.section in self.task_sections else INDICATOR
        name, in_name = split_target_from_name(self.columns.get(cells, "name"))
        deadline = self.columns.get(cells, "deadline") or None
        item = Item(
            plan=self.plan.id,
            code=code,
            name=name,
            kind=kind,
            section=self.section,
            group=self._parent(number),
            number=number,
            unit=re.sub(r"\s*/\s*", "/", self.columns.get(cells, "unit")),  # "Người/ vạn dân" as "Người/vạn dân"
            deadline=deadline,
            reporters_text=self.columns.get(cells, "reporter"),
            monitor_text=self.columns.get(cells, "monitor"),
            note=self.columns.get(cells, "note"),
            review=review,
            source=raw.where,
        )
        if kind == INDICATOR:
            item.targets = self._targets(cells, in_name, deadline)
        self.codes[code] = item
        self.plan.items.append(item)

    def _targets(self, cells: list[str], in_name: str | None, deadline: str | None) -> list[Target]:
        targets: list[Target] = []
        for index, year in sorted(self.columns.years.items(), key=lambda kv: kv[1]):
            if index < len(cells):
                targets.extend(parse_target(cells[index], year=year))
        result = self.columns.get(cells, "result") or self.columns.get(cells, "targets")
        if not targets and result:
            targets.extend(self._placed(result, deadline))
        if not targets and in_name:
            targets.extend(self._placed(in_name, deadline))
        return targets

    def _placed(self, text: str, deadline: str | None) -> list[Target]:
        year = self.section_years.get(self.section)
        if deadline:
            return parse_target(text, deadline=deadline)
        return parse_target(text, year=year)

    def finish(self) -> None:
        if "reporter" not in self.roles:
            self.plan.notes.append(msg.NOTE_NO_REPORTER_COLUMN)
        if "monitor" not in self.roles:
            self.plan.notes.append(msg.NOTE_NO_MONITOR_COLUMN)
        shared: list[str] = []
        yearly: list[str] = []
        for item in self.plan.items:
            _complete(item, self.plan, self.registry)
            if item.kind == INDICATOR and item.basis == "ytd":
                yearly.append(item.code)
            if item.kind == INDICATOR and _narrowed(item, self.registry) and not _flagged(item):
                shared.append(item.code)
        # What holds for many rows is said once, for the plan, not once per row.
        if shared:
            self.plan.notes.append(msg.NOTE_SHARED_FIGURES.format(count=len(shared), codes=", ".join(shared)))
        if yearly:
            self.plan.notes.append(msg.NOTE_YEAR_TO_DATE.format(count=len(yearly), codes=", ".join(yearly)))


# ---------------------------------------------------------------------------------------
# Agencies, direction, aggregation
# ---------------------------------------------------------------------------------------
def _complete(item: Item, plan: Plan, registry: Registry) -> None:
    province = plan.province
    reporters = registry.resolve(item.reporters_text, province) if item.reporters_text else None
    monitors = registry.resolve(item.monitor_text, province) if item.monitor_text else None
    for resolution, column in ((reporters, "đơn vị thực hiện"), (monitors, "cơ quan theo dõi")):
        if resolution is None:
            continue
        for text, code, score in resolution.fuzzy:
            item.review.append(msg.NOTE_FUZZY_AGENCY.format(text=text, name=registry.name(code), score=score))
        for text in resolution.leftover:
            near = ", ".join(f'"{registry.name(c)}" ({c})' for c in resolution.near.get(text, []))
            item.review.append(
                msg.NOTE_LEFTOVER_AGENCY.format(
                    text=text, column=column, hint=msg.NOTE_LEFTOVER_NEAR.format(names=near) if near else ""
                )
            )
    if monitors is not None:
        item.monitors = list(monitors.mentions)
        item.monitor = item.monitors[0] if item.monitors else None
        if len(item.monitors) > 1 and item.monitor:
            item.review.append(
                msg.NOTE_MONITOR_SEVERAL.format(count=len(item.monitors), name=registry.name(item.monitor))
            )
    item.implementers = list(reporters.mentions) if reporters else []
    item.reporters = list(item.implementers) or ([item.monitor] if item.monitor else [])
    if item.kind == TASK:
        _task_lead(item, registry)
        return
    _targets_review(item)
    if not item.unit:
        item.unit = next((t.unit for t in item.targets if t.unit), "")
    item.direction = _direction(item)
    item.basis = _basis(item)
    if item.basis == "growth":
        item.review.append(msg.NOTE_GROWTH)
    _infer_aggregate(item, registry, province)
    stand_ins = [c for c in item.implementers if not registry.expand(c)[0]]
    if stand_ins and item.reporters == item.implementers:  # the units report, and some of them cannot
        item.review.append(msg.NOTE_STAND_IN.format(names=", ".join(registry.name(c) for c in stand_ins)))


def _narrowed(item: Item, registry: Registry) -> bool:
    """Whether the agencies that report the figure are not those the plan names to carry it out."""
    named = {c for code in item.implementers if code in registry for c in registry.expand(code)[0]}
    return bool(named) and set(expand_reporters(item, registry)) != named


def _flagged(item: Item) -> bool:
    """Whether the row already has a note on who reports it."""
    return any(note.startswith(msg.DUTY_NOTE) for note in item.review)


def _targets_review(item: Item) -> None:
    if not item.targets:
        item.review.append(msg.NOTE_NO_TARGET)
    parts = [t for t in item.targets if t.part]
    if parts:
        item.review.append(
            msg.NOTE_COMPOSITE.format(count=len(parts), labels=", ".join(t.label or t.part or "" for t in parts))
        )
    for target in item.targets:
        if not target.parsed:
            when = target.deadline or (f"năm {target.year}" if target.year else "")
            item.review.append(msg.NOTE_UNPARSED_TARGET.format(text=target.text, when=when))
        if target.year is None and target.deadline is None:
            item.review.append(msg.NOTE_NO_YEAR)


def _task_lead(item: Item, registry: Registry) -> None:
    """The agency that reports a task's status: the first named agency, else the monitor."""
    first = registry.get(item.implementers[0]) if item.implementers else None
    lead = first.code if isinstance(first, Agency) and first.reports else item.monitor
    if lead:
        item.reporters = [lead]
        if lead != (item.implementers[0] if item.implementers else None):
            item.review.append(msg.NOTE_TASK_LEAD.format(name=registry.name(lead)))
    item.aggregate = "single"


_RANK_UNITS = ("thu bac", "xep hang")


def _direction(item: Item) -> str:
    unit = fold(item.unit)
    numeric_ops = {t.op for t in item.targets if t.kind == NUMERIC}
    if any(w in unit for w in _RANK_UNITS) or fold(item.name).startswith("xep hang"):
        return "lower"
    if numeric_ops and numeric_ops <= {"<=", "<"}:
        return "lower"
    return "higher"


_YEARLY = ("moi nam", "hang nam", "trong nam")


def _basis(item: Item) -> str:
    """growth: an average yearly rate, computed from levels; ytd: a count "mỗi năm", reported
    as the total since the start of the year; level: a figure as it stands."""
    text = fold(item.name + " " + " ".join(t.text for t in item.targets))
    if "tang trung binh" in text and "/nam" in fold(item.unit).replace(" ", ""):
        return "growth"
    if any(word in fold(item.name) for word in _YEARLY) and "%" not in item.unit:
        return "ytd"
    return "level"


def _infer_aggregate(item: Item, registry: Registry, province: str) -> None:
    """Who reports the figure and how the figures add up, from what the indicator measures."""
    implementers = expand_reporters(item, registry)
    if len(implementers) <= 1 and not item.reporters_text:
        item.aggregate = "single"  # nothing to choose: the one agency the plan names reports
        return
    measure = classify(item.name, item.unit, item.is_qualitative or not item.targets, len(implementers))
    item.aggregate = measure.rule
    if measure.who == UNITS:
        if not measure.certain:
            item.review.append(
                msg.NOTE_DUTY_UNSURE.format(rule=measure.rule, why=measure.reason, count=len(implementers))
            )
        return
    if measure.who == OPERATORS:
        operators = registry.operators(province)
        if operators:
            item.reporters = operators
            item.review.append(
                msg.NOTE_DUTY_OPERATORS.format(why=measure.reason, names=", ".join(registry.name(c) for c in operators))
            )
            return
        item.aggregate = "single"
    holder = _holder(item, registry)
    if holder is None:
        return
    item.reporters = [holder]
    if not measure.certain:
        item.review.append(msg.NOTE_DUTY_HOLDER.format(name=registry.name(holder), why=measure.reason))


def _holder(item: Item, registry: Registry) -> str | None:
    """The agency that holds a province-wide figure: the monitoring agency, else the first agency named."""
    for code in (item.monitor, *item.implementers):
        entry = registry.get(code) if code else None
        if isinstance(entry, Agency) and entry.reports:
            return entry.code
    return None

"""Reading returned workbooks: format checks, identity, and every input cell.

:func:`read_form` takes the bytes of one returned file and gives a
:class:`Reading`: the agency's values, ready to store, and every problem with its
sheet, cell and a Vietnamese sentence saying what to type instead. A file that
cannot be accepted at all raises :class:`~reportgen.errors.FileRejected`.

Files are routed by their bytes, not their extension: .xlsx (Excel, LibreOffice,
WPS), .xls and .ods are read with python-calamine; renamed, corrupt, encrypted,
macro-enabled, oversized, zip-bomb and XML-entity files are refused.
"""

from __future__ import annotations

import functools
import hmac
import io
import re
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

from python_calamine import CalamineError, CalamineWorkbook, PasswordError

from . import messages as msg
from .cellrules import NO_FACTS, RULES, CellFacts, Issue, clears, parse_date
from .duties import PROVINCE_TARGET, Duties, FormRow
from .errors import FileRejected
from .layout import (
    COLUMNS,
    DATA_SHEET,
    GUIDE_SHEET,
    HEADER_ALIASES,
    HEADERS,
    IDENTITY_FIELDS,
    INPUTS,
    LISTS_SHEET,
    LOCKED_TEXT_COLUMNS,
    META_MARKER,
    META_SHEET,
    RATIO,
    RETURN_SHEET,
    TEXT_COLUMNS,
    VALUE,
    letter,
    parse_row_key,
    sign,
)
from .package import MAX_BYTES, Scan, check, guard_sheet, saved_at, scan_ods, scan_sheet, sniff
from .plausible import questions
from .store import NewValue
from .text import clean, format_number, parse_number

__all__ = ["Problem", "Reading", "Expectation", "read_form", "question", "parse_date", "agency_in_name"]


@dataclass(frozen=True)
class Problem:
    sheet: str
    cell: str
    code: str
    message: str
    level: str = "error"  # "error": something to fix; "note": how a value was read; "doubt": to verify
    key: str = ""  # the form row, to mark the cell in the workbook sent back
    column: str = ""

    def to_dict(self) -> dict:
        return {"sheet": self.sheet, "cell": self.cell, "code": self.code, "message": self.message}

    def at(self, rows: dict[str, int]) -> Problem:
        """The same problem quoted at its cell in another layout of the form (``rows``: key -> row)."""
        if not self.key or not self.column or self.key not in rows:
            return self
        return replace(self, cell=f"{letter(COLUMNS[self.column])}{rows[self.key]}")


@dataclass
class Reading:
    """What one returned form says."""

    fmt: str
    identity: dict[str, str]
    agency: str
    period: str
    form_id: str
    plans: str
    saved_at: datetime | None
    values: list[NewValue] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    entered: dict[str, dict[str, object]] = field(default_factory=dict)
    asked: int = 0  # how many rows the form asks for
    letters: dict[str, str] = field(default_factory=dict)  # column role -> letter, as found in the file
    formats: dict[tuple[str, str], str] = field(default_factory=dict)  # (row key, column) -> percent format
    sheet: str = ""
    found: dict[str, int] = field(default_factory=dict)  # row key -> its row number in the file (1-based)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def notes(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "note"]

    @property
    def plan_ids(self) -> list[str]:
        """The plans the form was made from."""
        return _plan_ids(self.plans)

    @property
    def doubts(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "doubt"]


@dataclass
class Expectation:
    """What a ``collect`` run accepts: one period, this workspace's key and catalog."""

    period: str
    key: bytes
    versions: dict[str, str]
    names: dict[str, str]
    duties_for: Callable[[list[str]], Duties]  # the duties under the plans a form names
    agency: str | None = None  # from --agency: every file must belong to it
    received: date | None = None  # the day of the collection: no document is dated later
    done_tasks: frozenset[str] = frozenset()  # tasks done before: off the form, so never "missing"

    def name(self, code: str) -> str:
        return self.names.get(code, code)


# ---------------------------------------------------------------------------------------
# Reading a form
# ---------------------------------------------------------------------------------------
def read_form(data: bytes, name: str, expect: Expectation, *, fast: bool = True) -> Reading:
    """Read one returned form. Raises FileRejected when the file cannot be accepted.

    ``fast`` lets rows with no input at all skip the cell rules (the common case in
    partly filled forms); the result is the same either way.
    """
    if not data:
        raise FileRejected("empty")
    if len(data) > MAX_BYTES:
        raise FileRejected("too-large", size=round(len(data) / 1024 / 1024, 1), limit=MAX_BYTES // 1024 // 1024)
    fmt, archive = sniff(data)
    if fmt == "xlsm":
        raise FileRejected("macro")
    if fmt == "encrypted":
        raise FileRejected("password")
    if fmt == "corrupt":
        raise FileRejected("corrupt", why="tệp nén hỏng")
    if fmt not in ("xlsx", "xls", "ods"):
        suffix = Path(name).suffix.lower().lstrip(".")
        if suffix and suffix == fmt:  # a PDF that says it is one: a file of another kind, not a renamed one
            raise FileRejected("other-kind", actual=msg.FORMAT_NAMES.get(fmt, msg.FORMAT_NAMES["unknown"]))
        raise FileRejected(
            "renamed",
            ext=Path(name).suffix or "(không đuôi)",
            actual=msg.FORMAT_NAMES.get(fmt, msg.FORMAT_NAMES["unknown"]),
        )
    if archive is not None:
        try:
            check(archive, fmt)
        except (ValueError, KeyError, struct.error, zlib.error) as exc:
            raise FileRejected("corrupt", why="tệp nén hỏng") from exc
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except PasswordError as exc:
        raise FileRejected("password") from exc
    except (CalamineError, ValueError, OSError) as exc:
        raise FileRejected("corrupt", why=type(exc).__name__) from exc
    guard = functools.partial(guard_sheet, archive, fmt)  # measured before the reader sees a sheet
    identity: dict[str, str] = {}
    try:
        with workbook:
            identity = _identity(workbook, guard)
            _verify(identity, name, expect)
            rows, sheet = _data(workbook, guard)
    except CalamineError as exc:  # XML that does not parse: an undefined entity, a broken tag, a short part
        raise FileRejected("corrupt", why=_why(exc), **_whose(identity, expect)) from exc
    except FileRejected as rejection:  # refused after its identity was verified: the refusal is the agency's
        if "agency" not in rejection.facts and identity.get("signature"):
            rejection.facts.update(_whose(identity, expect))
        raise
    scan = Scan()
    if archive is not None:
        scan = (scan_sheet if fmt == "xlsx" else scan_ods)(archive, sheet, _INPUT_LETTERS)
    reading = Reading(
        fmt=fmt,
        identity=identity,
        agency=identity["agency"],
        period=identity["period"],
        form_id=identity["form_id"],
        plans=identity["plans"],
        saved_at=saved_at(archive, fmt),
    )
    duties = expect.duties_for(_plan_ids(identity["plans"]))
    reading.asked = len(duties.rows(reading.agency))
    _read_rows(rows, sheet, duties.accepted_rows(reading.agency), scan, reading, fast, expect)
    return reading


def _why(error: Exception) -> str:
    """What went wrong, short enough for a receipt."""
    text = clean(str(error)).split("\n")[0]
    return f"{type(error).__name__}: {text[:120]}" if text else type(error).__name__


def _whose(identity: dict[str, str], expect: Expectation) -> dict[str, str]:
    """The agency and period of a form whose signature verified (facts for its refusal)."""
    if not identity.get("signature") or not hmac.compare_digest(sign(expect.key, identity), identity["signature"]):
        return {}
    return {"agency": identity["agency"], "period": identity["period"]}


def _identity(workbook: CalamineWorkbook, guard: Callable[[str], None]) -> dict[str, str]:
    candidates = [META_SHEET] + [n for n in workbook.sheet_names if n != META_SHEET]
    for sheet_name in candidates:
        if sheet_name not in workbook.sheet_names:
            continue
        guard(sheet_name)
        rows = workbook.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False, nrows=20)
        if not rows or not rows[0] or clean(rows[0][0]) != META_MARKER:
            continue
        values = {clean(r[0]): clean(r[1]) for r in rows if len(r) >= 2 and clean(r[0])}
        if all(name in values for name in (*IDENTITY_FIELDS, "signature")):
            return values
        raise FileRejected("forged")
    raise FileRejected("not-a-form", resembles=DATA_SHEET in workbook.sheet_names)


def _plan_ids(plans: str) -> list[str]:
    return [p.split("@")[0] for p in plans.split(",") if p]


def _verify(identity: dict[str, str], name: str, expect: Expectation) -> None:
    wanted = sign(expect.key, identity)
    if not hmac.compare_digest(wanted, identity["signature"]):
        raise FileRejected("forged")
    agency = identity["agency"]
    if agency not in expect.names:
        raise FileRejected("unknown-agency", agency=agency)
    if identity["period"] != expect.period:
        raise FileRejected(
            "wrong-period",
            agency=agency,
            found=identity["period"],
            expected=expect.period,
            found_label=_label(identity["period"]),
            expected_label=_label(expect.period),
        )
    named = expect.agency or agency_in_name(name, expect.names)
    if named and named != agency:
        raise FileRejected(
            "wrong-agency",
            agency=agency,
            expected=named,
            expected_name=expect.name(named),
            found=agency,
            found_name=expect.name(agency),
        )
    for entry in identity["plans"].split(","):
        plan, _, version = entry.partition("@")
        current = expect.versions.get(plan)
        if current != version:
            raise FileRejected(
                "old-catalog",
                agency=agency,
                found=entry,
                current=f"{plan}@{current}" if current else "(không còn kế hoạch này)",
            )


def _label(period: str) -> str:
    """A period as a sentence names it: "tháng 11/2026"."""
    from .periods import Period
    from .text import mid

    try:
        return mid(Period.parse(period).label)
    except Exception:  # noqa: BLE001 - a forged period is shown as written
        return period


_NAME = re.compile(r"^(?:\d{4}(?:-\w{1,3})?)_(?P<code>[a-z0-9-]+?)(?:[._ ]|$)")


def agency_in_name(name: str, codes) -> str | None:
    """The agency a file name claims, as in our own names: 2026-11_so-khcn.xlsx (``codes``: the known ones).

    >>> agency_in_name("2026-11_so-y-te (1).xlsx", {"so-y-te"}), agency_in_name("bao-cao.xlsx", {"so-y-te"})
    ('so-y-te', None)
    """
    match = _NAME.match(Path(name).name.lower())
    if match and match["code"] in codes:
        return match["code"]
    return None


_OWN_SHEETS = {DATA_SHEET, META_SHEET, GUIDE_SHEET, LISTS_SHEET, RETURN_SHEET}


def _data(workbook: CalamineWorkbook, guard: Callable[[str], None]) -> tuple[list[list], str]:
    """The data sheet, found by its header (an application may rename it), or ``BaoCao`` by its row
    keys when the header was edited. A copy of it that holds figures ("BaoCao (2)") refuses the file:
    which of the two is meant is the clerk's to say."""
    names = workbook.sheet_names
    ordered = ([DATA_SHEET] if DATA_SHEET in names else []) + [n for n in names if n not in _OWN_SHEETS]
    found: list[tuple[str, list[list]]] = []
    for sheet_name in ordered:
        guard(sheet_name)
        rows = workbook.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
        if _has_header(rows) or (sheet_name == DATA_SHEET and _has_keys(rows)):
            found.append((sheet_name, rows))
    if not found:
        raise FileRejected("edited-header" if DATA_SHEET in names else "no-data-sheet", sheet=DATA_SHEET)
    main, *copies = found
    for name, rows in copies:
        if _typed(rows):
            raise FileRejected("copied-sheet", sheet=name, main=main[0])
    return main[1], main[0]


def _has_header(rows: list[list]) -> bool:
    header = HEADERS["value"]
    return any(header in row for row in rows[:30]) or any(
        header in (clean(c) for c in row if isinstance(c, str)) for row in rows[:30]
    )


def _has_keys(rows: list[list]) -> bool:
    key = COLUMNS["key"]
    return any(len(r) > key and isinstance(r[key], str) and r[key].count("|") in (1, 2) for r in rows[:200])


_INPUT_INDEXES = tuple(
    COLUMNS[c] for c in ("value", "numerator", "denominator", "assessment", "doc_number", "doc_date")
)


def _typed(rows: list[list]) -> bool:
    """Whether any form row of a sheet has something typed in an input cell."""
    key = COLUMNS["key"]
    return any(
        len(r) > key
        and isinstance(r[key], str)
        and "|" in r[key]
        and any(i < len(r) and r[i] not in ("", None) for i in _INPUT_INDEXES)
        for r in rows
    )


_INPUT_LETTERS = "".join(sorted({letter(COLUMNS[c]) for kind in INPUTS.values() for c in kind}))


# ---------------------------------------------------------------------------------------
# The rows
# ---------------------------------------------------------------------------------------
_TITLES = {text: name for name, text in HEADERS.items()} | HEADER_ALIASES


def _columns(rows: list[list]) -> dict[str, int]:
    """Column positions from the header row's text; our own layout if it is missing."""
    head = rows[:30]
    # The header as we wrote it, else as an application re-wrote it (spacing, NFD).
    candidates = [r for r in head if HEADERS["value"] in r or HEADERS["name"] in r] or [
        r for r in head if any(isinstance(c, str) and clean(c) == HEADERS["value"] for c in r)
    ]
    for row in candidates:
        found = {_TITLES[clean(c)]: i for i, c in enumerate(row) if isinstance(c, str) and clean(c) in _TITLES}
        if "value" in found and "name" in found:
            return {**COLUMNS, **found}
    return dict(COLUMNS)


def _read_rows(
    rows: list[list],
    sheet: str,
    expected: dict[str, FormRow],
    scan: Scan,
    reading: Reading,
    fast: bool,
    expect: Expectation,
) -> None:
    columns = _columns(rows)
    by_code: dict[str, list[FormRow]] | None = None
    seen: dict[str, int] = {}
    key_column = columns["key"]
    reader = _RowReader(sheet, columns, scan, reading, expect.received)
    reading.letters, reading.sheet = reader.letters, sheet
    for index, cells in enumerate(rows):
        key = cells[key_column] if key_column < len(cells) else ""
        if not isinstance(key, str) or "|" not in key:
            if not any(cells):
                continue
            if by_code is None:
                by_code = {}
                for candidate in expected.values():
                    by_code.setdefault(candidate.code, []).append(candidate)
            found = _by_code(by_code, clean(reader.get(cells, "code")), clean(reader.get(cells, "name")))
            if found is None:
                continue  # titles, headers, section rows
            key = found.key  # the hidden key column was lost: match by code (and name: codes repeat across plans)
        elif not key.isascii() or key != key.strip():
            key = clean(key)
        number = index + 1
        row = expected.get(key)
        if row is None:
            reading.problems.append(Problem(sheet, f"A{number}", key, msg.ROW_UNKNOWN.format(key=key)))
            continue
        if key in seen:
            reading.problems.append(
                Problem(
                    sheet,
                    f"B{number}",
                    row.code,
                    msg.ROW_DUPLICATE.format(code=row.code, first=seen[key], second=number),
                )
            )
            continue
        seen[key] = number
        reader.read(cells, row, number, fast)
    reading.found = seen
    echoes = {key for row in expected.values() for key in row.also}  # filled from another plan's row
    for key, row in expected.items():
        if key not in seen and key not in echoes and key not in expect.done_tasks:
            reading.problems.append(Problem(sheet, "", row.code, msg.ROW_MISSING.format(code=row.code), level="note"))


def _by_code(by_code: dict[str, list[FormRow]], code: str, name: str) -> FormRow | None:
    """The row with this code, and this name when two plans use the same code."""
    candidates = by_code.get(code, [])
    if not name or not candidates:
        return None
    if len(candidates) == 1:
        return candidates[0]
    return next((row for row in candidates if row.name == name), None)


@functools.lru_cache(maxsize=4096)
def _key_parts(key: str) -> tuple[str, str, str]:
    parts = parse_row_key(key)
    return parts.plan, parts.code, parts.part


def _new_value(row: FormRow, cell: str, ok: bool, **fields) -> NewValue:
    """A value to store for form row ``row`` (key "plan|code" or "plan|code|part")."""
    plan, code, part = _key_parts(row.key)
    return NewValue(key=row.key, plan=plan, code=code, part=part, cell=cell, ok=ok, **fields)


def _no_facts(name: str) -> CellFacts:
    return NO_FACTS


class _RowReader:
    """Hands the input cells of each row to its rule in :data:`reportgen.cellrules.RULES`."""

    def __init__(self, sheet: str, columns: dict[str, int], scan: Scan, reading: Reading, received: date | None):
        self.sheet, self.columns, self.scan, self.reading = sheet, columns, scan, reading
        self.received = received
        self.letters = {name: letter(col) for name, col in columns.items()}
        # For each kind of row, its input cells and the note, by position.
        self.inputs = {
            kind: tuple((name, columns[name]) for name in (*rule.columns, *TEXT_COLUMNS))
            for kind, rule in RULES.items()
        }
        self.locked = tuple((name, columns[name]) for name in LOCKED_TEXT_COLUMNS)
        self.width = max(columns.values()) + 1  # every row is padded to this: no bound checks per cell
        self.value_letter = self.letters["value"]

    def get(self, cells: list, name: str):
        index = self.columns[name]
        return cells[index] if index < len(cells) else ""

    def read(self, cells: list, row: FormRow, number: int, fast: bool) -> None:
        if len(cells) < self.width:
            cells = cells + [""] * (self.width - len(cells))
        for name, index in self.locked:
            if cells[index] != getattr(row, name):
                self._locked(cells, row, number)
                break
        typed: dict[str, object] = {}
        entered: dict[str, object] = {}
        for name, index in self.inputs[row.input]:
            value = cells[index]
            if value.__class__ is str:
                if value:
                    value = clean(value)
                    if value:
                        entered[name] = value
            elif value is not None:
                entered[name] = value
            typed[name] = value
        if fast and not entered and not self._hidden(row, number):
            return  # an empty row: nothing reported (an error or a formula without result also reads as "")
        if entered and clears(typed):
            self._report([Issue("value", msg.NOTE_CLEARED, "note")], row, number)
            self.reading.entered[row.key] = entered
            cleared = _new_value(row, self.value_letter + str(number), True, cleared=True)
            self.reading.values.append(cleared)
            self._also(row, cleared)
            return
        issues: list[Issue] = []
        fields = RULES[row.input].read(row, typed, self._facts(number), issues, self.received)
        note = typed["note"]
        if note.__class__ is not str:
            note = clean(note)  # a number or a date typed as evidence
        cause = typed["cause"]
        if cause.__class__ is not str:
            cause = clean(cause)
        if issues:
            self._report(issues, row, number)
            ok = all(issue.level != "error" for issue in issues)
        else:
            ok = True
        if entered:
            self.reading.entered[row.key] = entered
            if self.scan.formats:
                self._formats(row, number, entered)
        if ok and not note and not cause and list(fields.values()).count(None) == len(fields):
            return  # nothing usable reported
        fields["note"] = note or None
        fields["cause"] = cause or None
        doubts = " ".join(issue.message for issue in issues if issue.level == "doubt") if issues else None
        value = _new_value(row, self.value_letter + str(number), ok, doubt=doubts or None, **fields)
        self.reading.values.append(value)
        self._also(row, value)

    def _also(self, row: FormRow, value: NewValue) -> None:
        """The same measure in another plan, asked on this row only: the same figure fills it."""
        if not value.ok:
            return  # a refused figure is this row's problem, told once
        for key in row.also:
            plan, code, part = _key_parts(key)
            self.reading.values.append(value._replace(key=key, plan=plan, code=code, part=part))

    def _report(self, issues: list[Issue], row: FormRow, number: int) -> None:
        for issue in issues:
            self.reading.problems.append(
                Problem(
                    self.sheet,
                    f"{self.letters[issue.column]}{number}",
                    row.code,
                    issue.message,
                    issue.level,
                    key=row.key,
                    column=issue.column,
                )
            )

    def _formats(self, row: FormRow, number: int, entered: dict[str, object]) -> None:
        """The number formats of what the agency typed, to give it back as it was."""
        for name in entered:
            code = self.scan.formats.get(f"{self.letters[name]}{number}")
            if code:
                self.reading.formats[(row.key, name)] = code

    def _hidden(self, row: FormRow, number: int) -> bool:
        """Whether a cell of the row that reads as empty holds an error or a formula without result."""
        scan = self.scan
        if not scan.errors and not scan.uncached:
            return False
        for name in RULES[row.input].columns:
            address = f"{self.letters[name]}{number}"
            if address in scan.errors or (address in scan.uncached and not (row.input == RATIO and name == "value")):
                return True  # (a ratio's own % cell is the form's formula: never the agency's input)
        return False

    def _facts(self, number: int) -> Callable[[str], CellFacts]:
        scan = self.scan
        if not scan.errors and not scan.percent and not scan.uncached:
            return _no_facts

        def facts(name: str) -> CellFacts:
            address = f"{self.letters[name]}{number}"
            return CellFacts(scan.errors.get(address), address in scan.percent, address in scan.uncached)

        return facts

    def _locked(self, cells: list, row: FormRow, number: int) -> None:
        for name in LOCKED_TEXT_COLUMNS:
            raw = self.get(cells, name)
            expected = getattr(row, name)
            if raw == expected:
                continue
            found = clean(raw)
            if found == expected.removeprefix(PROVINCE_TARGET):
                continue  # a form made before targets were marked as the province's
            if found != expected and not (isinstance(raw, float) and _same_number(raw, expected)):
                self.reading.problems.append(  # restored from the form: a warning, never an error
                    Problem(
                        self.sheet,
                        f"{self.letters[name]}{number}",
                        row.code,
                        msg.CELL_LOCKED_CHANGED.format(found=found, expected=expected),
                        "note",
                        key=row.key,
                        column=name,
                    )
                )


# ---------------------------------------------------------------------------------------
# Plausibility
# ---------------------------------------------------------------------------------------
def question(reading: Reading, rows: dict[str, FormRow], previous: dict[str, float]) -> None:
    """Ask about the well-formed but doubtful figures of ``reading`` (see :mod:`reportgen.plausible`).

    ``previous`` holds the agency's own figures as of the month before. A doubtful figure is
    kept: the question goes in the receipt and is stored with the figure, for the report.
    """
    echoes = {key for row in rows.values() for key in row.also}  # copies of another row's figure
    asked_before = {(p.key, p.column) for p in reading.problems if p.level == "doubt"}  # one question per cell
    for index, value in enumerate(reading.values):
        row = rows.get(value.key)
        if not value.ok or row is None or row.input not in (VALUE, RATIO) or value.key in echoes:
            continue
        number = value.cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        asked: list[tuple[str, str]] = []
        if row.input == RATIO:
            for column, label in (("numerator", "Tử số"), ("denominator", "Mẫu số")):
                part = getattr(value, column)
                if part is not None and not float(part).is_integer():
                    asked.append((column, msg.DOUBT_DECIMALS_PART.format(part=label, value=format_number(part, 3))))
        if value.value is not None and (value.key, "value") not in asked_before:
            asked += [("value", q) for q in questions(row.figure, value.value, previous.get(value.key))[:1]]
        if not asked:
            continue
        for column, text in asked:
            cell = f"{reading.letters.get(column, letter(COLUMNS[column]))}{number}"
            reading.problems.append(
                Problem(reading.sheet, cell, row.code, text + msg.DOUBT_CHECK, "doubt", key=row.key, column=column)
            )
        reading.values[index] = value._replace(doubt=" ".join([*filter(None, [value.doubt]), *(t for _, t in asked)]))
    if echoes:  # the copy carries the question of the figure it copies
        doubts = {v.cell: v.doubt for v in reading.values if v.key not in echoes and v.doubt}
        reading.values[:] = [
            v._replace(doubt=doubts[v.cell]) if v.key in echoes and v.cell in doubts else v for v in reading.values
        ]


def _same_number(found: float, expected: str) -> bool:
    parsed = parse_number(expected)
    return parsed.value is not None and abs(parsed.value - found) < 1e-9


__all__ += ["parse_date"]

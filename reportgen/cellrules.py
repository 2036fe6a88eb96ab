"""The one table of cell rules: how every input cell of a returned form is read and judged.

For each kind of form row (:data:`reportgen.layout.INPUTS`), :data:`RULES` names
the reader of each of its input cells and the check of the row as a whole. A
reader takes what the spreadsheet holds (a number, text as people type it, a
date, an error) and gives the value to store and the issues to report, each
with its level: ``error`` (the value is not used; the agency must fix it) or
``note`` (how a value was read). Pure: no files, no spreadsheet library.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

from . import messages as msg
from .duties import FormRow
from .layout import ASSESSMENT, ASSESSMENTS, CLEAR_CHOICE, RATIO, TASK, TASK_STATUSES, VALUE, ratio_percent
from .measures import measure_of_unit
from .text import clean, fold, format_number, parse_number

__all__ = [
    "Issue",
    "CellFacts",
    "RowRule",
    "RULES",
    "read_number",
    "read_choice",
    "read_date",
    "parse_date",
    "ASSESSMENT_WORDS",
    "TASK_WORDS",
    "NO_FACTS",
    "clears",
]


class Issue(NamedTuple):
    """Something to tell the agency about one cell."""

    column: str
    message: str
    level: str = "error"  # error | note (how a value was read) | doubt (kept, but asked back)


class CellFacts(NamedTuple):
    """What the file says about a cell beyond its value (xlsx only)."""

    error: str | None = None  # the cell holds a formula error such as "#DIV/0!"
    percent: bool = False  # the cell has a percent number format: 0.7 means 70%
    uncached: bool = False  # the cell holds a formula but the file keeps no result for it


MAX_VALUE = 1e12  # no figure of a plan reaches a thousand billion: anything from here is a typing accident


NO_FACTS = CellFacts()


# ---------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------
def read_number(raw, row: FormRow, column: str, facts: CellFacts, issues: list[Issue]) -> float | None:
    """A number as agencies type it, checked against what the row measures."""
    if (
        type(raw) is float
        and facts is NO_FACTS
        and 0 <= raw < MAX_VALUE  # also false for NaN
        and (column != "value" or row.plain)
    ):
        return raw  # the common case: a plain number where any number from 0 up will do
    if facts.error is not None:
        issues.append(Issue(column, msg.CELL_ERROR.format(raw=facts.error)))
        return None
    if facts.uncached:
        issues.append(Issue(column, msg.CELL_FORMULA_NO_VALUE))
        return None
    if raw == "" or raw is None:
        return None
    if isinstance(raw, bool):
        issues.append(Issue(column, msg.CELL_BOOL))
        return None
    if isinstance(raw, (date, datetime)):
        issues.append(Issue(column, msg.CELL_DATE_NOT_NUMBER.format(raw=f"{raw:%d/%m/%Y}")))
        return None
    if isinstance(raw, timedelta):
        issues.append(Issue(column, msg.CELL_DATE_NOT_NUMBER.format(raw=str(raw))))
        return None
    if isinstance(raw, (int, float)):
        value = float(raw)
        if facts.percent and column == "value":
            value = round(value * 100, 10)
            issues.append(
                Issue(
                    column,
                    msg.NOTE_PERCENT_FORMAT.format(raw=format_number(raw, 4), value=format_number(value)),
                    "note",
                )
            )
    else:
        parsed = parse_number(str(raw))
        if parsed.value is None:
            day = parse_date(raw)
            issues.append(
                Issue(column, msg.CELL_DATE_NOT_NUMBER.format(raw=f"{day:%d/%m/%Y}"))
                if day is not None and not isinstance(raw, (int, float))
                else Issue(column, msg.CELL_NOT_NUMBER.format(raw=raw))
            )
            return None
        value = parsed.value
        if parsed.ambiguous:  # "1,234": a thousand and more, or one and a bit? Never decided silently.
            issues.append(
                Issue(
                    column,
                    msg.DOUBT_AMBIGUOUS.format(
                        raw=raw, value=format_number(value, 3), alt=format_number(value * 1000, 0)
                    ),
                    "doubt",
                )
            )
    return _in_range(value, row, column, facts, issues)


def _in_range(value: float, row: FormRow, column: str, facts: CellFacts, issues: list[Issue]) -> float | None:
    if not math.isfinite(value):  # "NaN" in the file, or "9" typed four hundred times
        issues.append(Issue(column, msg.CELL_NOT_FINITE))
        return None
    if abs(value) >= MAX_VALUE:
        issues.append(Issue(column, msg.CELL_TOO_LARGE.format(value=f"{value:.3g}")))
        return None
    if value < 0:
        issues.append(Issue(column, msg.CELL_NEGATIVE.format(value=format_number(value))))
        return None
    if column != "value":
        return value
    if row.percent:
        if value > 100:
            issues.append(Issue(column, msg.CELL_PERCENT_HIGH.format(value=format_number(value))))
            return None
        # 0,7 for a share of the population is most likely 70 %; 0,7 % of GRDP is an ordinary figure.
        if 0 < value < 1 and not facts.percent and measure_of_unit(row.unit) == "percent":
            issues.append(
                Issue(
                    column,
                    msg.DOUBT_SMALL_PERCENT.format(value=format_number(value, 4), alt=format_number(value * 100)),
                    "doubt",
                )
            )
    elif column == "value" and _scale_of_one(row) and value > 1:
        issues.append(
            Issue(
                column,
                msg.DOUBT_INDEX_SCALE.format(
                    value=format_number(value, 3),
                    target=format_number(row.figure.target),
                    alt=format_number(value / 100, 4),
                ),
                "doubt",
            )
        )
    if row.lower_is_better and row.unit.lower().startswith("thứ") and (value < 1 or not value.is_integer()):
        issues.append(Issue(column, msg.CELL_RANK.format(value=format_number(value))))
        return None
    return value


def _scale_of_one(row: FormRow) -> bool:
    """An index measured between 0 and 1 (a target such as "≥ 0.75" with no unit of its own)."""
    target = row.figure.target
    return target is not None and 0 < target <= 1 and measure_of_unit(row.unit) in ("index", "number")


# ---------------------------------------------------------------------------------------
# Choices, dates, text
# ---------------------------------------------------------------------------------------
ASSESSMENT_WORDS = {fold(a): a for a in ASSESSMENTS} | {
    "khong dat": "Chưa đạt",
    "chua hoan thanh": "Chưa đạt",
    "dang trien khai": "Đang thực hiện",
    "dat yeu cau": "Đạt",
    "hoan thanh": "Đạt",
}
TASK_WORDS = {fold(s): s for s in TASK_STATUSES} | {
    "hoan thanh": "Đã hoàn thành",
    "da ban hanh": "Đã hoàn thành",
    "xong": "Đã hoàn thành",
    "da xong": "Đã hoàn thành",
    "dang trien khai": "Đang thực hiện",
    "chua": "Chưa thực hiện",
    "chua ban hanh": "Chưa thực hiện",
}


def read_choice(raw, words: dict[str, str], choices: tuple[str, ...], column: str, issues: list[Issue]) -> str | None:
    """One of ``choices``, read leniently ("dat", "ĐẠT", NFD…)."""
    if raw in ("", None):
        return None
    value = words.get(fold(str(raw)))
    if value is None:
        issues.append(Issue(column, msg.CELL_ASSESSMENT.format(raw=raw, choices=" / ".join(choices))))
    return value


_EXCEL_EPOCH = date(1899, 12, 30)


def parse_date(raw) -> date | None:
    """A date as agencies type it: a date, an Excel serial, 31/03/2026, 2026-03-31.

    >>> parse_date("31/03/2026"), parse_date(46112), parse_date("31-3-26")
    (datetime.date(2026, 3, 31), datetime.date(2026, 3, 31), datetime.date(2026, 3, 31))
    >>> parse_date("32/01/2026") is None
    True
    """
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if 20000 <= raw <= 80000:
            return _EXCEL_EPOCH + timedelta(days=int(raw))
        return None
    text = clean(str(raw))
    match = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})", text)
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            year = year + 2000 if year < 100 else year
            return date(year, month, day)
        match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
        if match:
            return date(*(int(g) for g in match.groups()))
    except ValueError:
        return None
    return None


def read_date(raw, column: str, issues: list[Issue]) -> str | None:
    """An ISO date, or None with an issue when the cell holds something else."""
    if raw in ("", None):
        return None
    parsed = parse_date(raw)
    if parsed is None:
        issues.append(Issue(column, msg.CELL_DATE.format(raw=raw)))
        return None
    return parsed.isoformat()


def _plausible_date(when: str, since: date | None, received: date | None, issues: list[Issue]) -> bool:
    """A document of the plan is dated between the plan's start and the day its report arrived."""
    day = date.fromisoformat(when)
    if since is not None and day < since:
        issues.append(Issue("doc_date", msg.CELL_DATE_BEFORE.format(day=f"{day:%d/%m/%Y}", since=f"{since:%d/%m/%Y}")))
        return False
    if received is not None and day > received:
        issues.append(
            Issue("doc_date", msg.CELL_DATE_AFTER.format(day=f"{day:%d/%m/%Y}", received=f"{received:%d/%m/%Y}"))
        )
        return False
    return True


_CLEARING = fold(CLEAR_CHOICE)
_SHORTEST = len(_CLEARING)  # "khong co so lieu": NFD or spaced, never shorter


def clears(typed: dict[str, object]) -> bool:
    """Whether the agency chose "Không có số liệu" in a cell of the row: its earlier figures are
    withdrawn (a blank cell only keeps them)."""
    # fold only what can be it: most cells are numbers or empty ("" in "Kk" would be True)
    return any(
        type(v) is str and len(v) >= _SHORTEST and v.lstrip()[:1] in ("K", "k") and fold(v) == _CLEARING
        for v in typed.values()
    )


def read_text(raw) -> str | None:
    return clean(raw) or None


# ---------------------------------------------------------------------------------------
# Rows
# ---------------------------------------------------------------------------------------
Cells = dict[str, object]  # column -> what the cell holds
Facts = Callable[[str], CellFacts]  # column -> what the file says about that cell


def _value_row(row: FormRow, cells: Cells, facts: Facts, issues: list[Issue], received: date | None) -> dict:
    return {"value": read_number(cells.get("value", ""), row, "value", facts("value"), issues)}


def _ratio_row(row: FormRow, cells: Cells, facts: Facts, issues: list[Issue], received: date | None) -> dict:
    numerator = read_number(cells.get("numerator", ""), row, "numerator", facts("numerator"), issues)
    denominator = read_number(cells.get("denominator", ""), row, "denominator", facts("denominator"), issues)
    fields = {"numerator": numerator, "denominator": denominator, "value": None}
    if numerator is None and denominator is None:
        typed = cells.get("value", "")
        if (
            isinstance(typed, (int, float))
            and not isinstance(typed, bool)
            and typed != 0
            and cells.get("numerator", "") in ("", None)
            and cells.get("denominator", "") in ("", None)
        ):
            issues.append(Issue("value", msg.CELL_RATIO_TYPED.format(raw=format_number(typed))))
        return fields
    if numerator is None or denominator is None:
        if not any(i.level == "error" for i in issues):
            present, missing = ("tử số", "mẫu số") if numerator is not None else ("mẫu số", "tử số")
            issues.append(
                Issue(
                    "numerator" if numerator is None else "denominator",
                    msg.CELL_RATIO_HALF.format(present=present, missing=missing),
                )
            )
        return fields
    if denominator == 0:
        issues.append(Issue("denominator", msg.CELL_RATIO_ZERO))
        return fields
    if numerator > denominator:
        issues.append(
            Issue(
                "numerator",
                msg.CELL_RATIO_HIGH.format(numerator=format_number(numerator), denominator=format_number(denominator)),
            )
        )
        return fields
    # The form's own % cell is a formula whose cached value cannot be trusted: recompute.
    fields["value"] = ratio_percent(numerator, denominator)
    return fields


def _assessment_row(row: FormRow, cells: Cells, facts: Facts, issues: list[Issue], received: date | None) -> dict:
    value = read_choice(cells.get("assessment", ""), ASSESSMENT_WORDS, ASSESSMENTS, "assessment", issues)
    if value == "Đạt" and not clean(cells.get("note", "")):
        issues.append(Issue("note", msg.CELL_EVIDENCE.format(value=value)))
    return {"assessment": value}


def _task_row(row: FormRow, cells: Cells, facts: Facts, issues: list[Issue], received: date | None) -> dict:
    status = read_choice(cells.get("assessment", ""), TASK_WORDS, TASK_STATUSES, "assessment", issues)
    number = read_text(cells.get("doc_number", ""))
    typed_date = cells.get("doc_date", "")
    if number and typed_date in ("", None):
        number, typed_date = _split_document(number, typed_date, issues)
    if number:
        number = _NUMBER_WORD.sub("", number) or number  # "Số 45/QĐ-UBND": the number is 45/QĐ-UBND
    when = read_date(typed_date, "doc_date", issues)
    if when is not None and not _plausible_date(when, row.since, received, issues):
        when = None
    if status == "Đã hoàn thành":  # every missing piece at once: no second round for the date
        if not number:
            issues.append(Issue("doc_number", msg.CELL_TASK_NUMBER))
        if not when and not any(i.column == "doc_date" for i in issues):
            issues.append(Issue("doc_date", msg.CELL_TASK_DATE))
    return {"assessment": status, "doc_number": number, "doc_date": when}


_NUMBER_WORD = re.compile(r"^(?:số|so)\s*[:.]?\s*(?=\d)", re.IGNORECASE)
_NUMBER_AND_DATE = re.compile(
    r"^(?:số\s*)?(?P<number>\S+?)\s*(?:,|;|\s)\s*(?:ngày\s*)?(?P<date>\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4})\.?$",
    re.IGNORECASE,
)


def _split_document(number: str, typed_date, issues: list[Issue]) -> tuple[str, object]:
    """ "45/QĐ-UBND ngày 05/03/2026" typed in the number cell: the number, and the date.

    >>> _split_document("Số 45/QĐ-UBND ngày 05/03/2026", "", [])
    ('45/QĐ-UBND', '05/03/2026')
    >>> _split_document("45/QĐ-UBND", "", [])
    ('45/QĐ-UBND', '')
    """
    found = _NUMBER_AND_DATE.match(number)
    if not found or parse_date(found["date"]) is None:
        return number, typed_date
    issues.append(
        Issue("doc_number", msg.NOTE_DOCUMENT_SPLIT.format(number=found["number"], date=found["date"]), "note")
    )
    return found["number"], found["date"]


@dataclass(frozen=True)
class RowRule:
    """How one kind of row is read: its input columns and the reader of the whole row."""

    columns: tuple[str, ...]
    read: Callable[[FormRow, Cells, Facts, list[Issue], date | None], dict]  # received: the day the file came


RULES: dict[str, RowRule] = {
    VALUE: RowRule(("value",), _value_row),
    RATIO: RowRule(("numerator", "denominator", "value"), _ratio_row),
    ASSESSMENT: RowRule(("assessment",), _assessment_row),
    TASK: RowRule(("assessment", "doc_number", "doc_date"), _task_row),
}

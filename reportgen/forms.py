"""Per-agency Excel collection forms, written with XlsxWriter.

The form writer only writes: what each agency reports comes from
:class:`~reportgen.duties.Duties`, where every cell goes from
:mod:`reportgen.layout`. :func:`write_form` lays one :class:`FormSpec` out as a
protected workbook: the rows the agency reports with their targets, input cells
that fit each indicator (value, numerator and denominator, assessment, task
status), Vietnamese validations and instructions, print setup, and a signed
identity block in a hidden sheet.
"""

from __future__ import annotations

import functools
import io
import os
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import xlsxwriter

from .atomic import write_whole
from .duties import Duties, FormRow, FormSection
from .fit import row_height
from .layout import (
    ASSESSMENT,
    ASSESSMENTS,
    CLEAR_CHOICE,
    COLUMNS,
    DATA_SHEET,
    FIRST_DATA_ROW,
    GUIDE_SHEET,
    HEADER_ROW,
    HEADERS,
    IDENTITY_FIELDS,
    INPUT_COLUMNS,
    INPUTS,
    LISTS_SHEET,
    META_MARKER,
    META_SHEET,
    RATIO,
    RETURN_SHEET,
    TASK,
    TASK_STATUSES,
    WIDTHS,
    form_file,
    ratio_formula,
    sign,
)
from .periods import Period

__all__ = ["FormSpec", "FormMaker", "Written", "Marks", "Listed", "write_form", "write_forms", "placed", "rows_at"]


@dataclass(frozen=True)
class FormSpec:
    form_id: str
    agency: str
    agency_name: str
    period: str
    period_label: str
    plans: str  # "plan@version,plan@version"
    generated_at: str
    due: date
    contact: str
    sections: tuple[FormSection, ...]

    @property
    def identity(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in IDENTITY_FIELDS}

    @property
    def rows(self) -> list[FormRow]:
        return [row for section in self.sections for row in section.rows]

    @property
    def file_name(self) -> str:
        return form_file(self.period, self.agency)

    @property
    def cutoff(self) -> date:
        """The data cut-off of the form's period (thời gian chốt số liệu)."""
        return Period.parse(self.period).cutoff

    def only(self, keys: Iterable[str]) -> FormSpec:
        """The same form with only the rows ``keys`` (those a returned file holds), in form order:
        a form made before some tasks were done keeps its layout when it is sent back."""
        wanted = set(keys)
        sections = tuple(
            FormSection(s.plan, s.title, kept)
            for s in self.sections
            for kept in [tuple(r for r in s.rows if r.key in wanted)]
            if kept
        )
        return replace(self, sections=sections)


@dataclass(frozen=True)
class Listed:
    """One thing to tell the agency, listed on the printable sheet of its return file."""

    cell: str
    code: str
    name: str
    level: str  # error | note | doubt
    message: str


@dataclass(frozen=True)
class Marks:
    """What goes back to an agency on its own form: what it sent, and what to fix.

    ``filled`` maps row key -> column -> the value as sent; ``formats`` (row key, column)
    -> the percent format it was shown in; ``flags`` (row key, column) -> the message on a
    red cell to fix; ``listed`` every problem, warning and question, for the printable sheet.
    """

    filled: dict[str, dict[str, object]]
    flags: dict[tuple[str, str], str]
    listed: tuple[Listed, ...] = ()
    formats: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        return sum(1 for item in self.listed if item.level == "error")


@dataclass(frozen=True)
class Written:
    """A form written to disk, with the identity it carries."""

    agency: str
    agency_name: str
    form_id: str
    path: str
    rows: int
    period: str
    plans: str
    generated_at: str


@dataclass(frozen=True)
class FormMaker:
    """Makes the :class:`FormSpec` of each agency from the period's duties and the form's identity."""

    duties: Duties
    generated_at: str
    due: date
    contact: str = ""
    behind: frozenset[str] = frozenset()  # rows behind or not met at the last period

    @classmethod
    def at(
        cls, duties: Duties, now: datetime, due: date, contact: str = "", behind: frozenset[str] = frozenset()
    ) -> FormMaker:
        return cls(duties, now.isoformat(timespec="seconds"), due, contact, behind)

    def spec(
        self,
        agency: str,
        previous: dict[str, str] | None = None,
        form_id: str | None = None,
        generated_at: str | None = None,
    ) -> FormSpec:
        period = self.duties.period
        return FormSpec(
            form_id=form_id or uuid.uuid4().hex[:16],
            agency=agency,
            agency_name=self.duties.catalog.registry.name(agency),
            period=str(period),
            period_label=period.label,
            plans=self.duties.stamp,
            generated_at=generated_at or self.generated_at,
            due=self.due,
            contact=self.contact,
            sections=self.duties.sections(agency, previous, self.behind),
        )


# ---------------------------------------------------------------------------------------
# Writing one workbook
# ---------------------------------------------------------------------------------------
def _formats(workbook) -> dict:
    bordered = {"border": 1, "valign": "top"}
    unlocked = {**bordered, "locked": False, "bg_color": "#FFF8DC"}
    add = workbook.add_format
    info = add({"valign": "top", "text_wrap": False})
    return {
        "title": add({"bold": True, "font_size": 14}),
        "info": info,
        "info_bold": add({"bold": True, "font_color": "#C00000"}),
        "header": add(
            {**bordered, "bold": True, "text_wrap": True, "align": "center", "valign": "vcenter", "bg_color": "#D9E1F2"}
        ),
        "plan": add({**bordered, "bold": True, "font_color": "#1F3864", "bg_color": "#DDEBF7"}),
        "section": add({**bordered, "bold": True, "bg_color": "#EDEDED"}),
        "text": add({**bordered, "text_wrap": True}),
        "center": add({**bordered, "align": "center", "text_wrap": True}),
        "na": add({**bordered, "bg_color": "#F2F2F2"}),
        "computed": add({**bordered, "num_format": "0.00", "bg_color": "#F2F2F2"}),
        "in_number": add({**unlocked, "num_format": "#,##0.##"}),
        # A percentage cell keeps what the clerk types as text: "70", "70%", "70 %" or "0,7 (70%)" reach
        # us the same from Excel, LibreOffice and WPS in any locale (a number format would make
        # LibreOffice store "70%" as 0.7 and keep showing it as 0,7).
        "in_percent": add({**unlocked, "num_format": "@", "align": "right"}),
        "in_text": add({**unlocked, "text_wrap": True}),
        "in_date": add({**unlocked, "num_format": "dd/mm/yyyy", "align": "center"}),
        "in_cause": add({**unlocked, "text_wrap": True, "bg_color": "#FCE4D6"}),
        "key": None,  # the key column is hidden
        "guide": add({"text_wrap": True, "valign": "top"}),
        "bad": add({**unlocked, "bg_color": "#FFC7CE", "font_color": "#9C0006", "text_wrap": True}),
        "bad_title": add({"bold": True, "font_color": "#9C0006", "text_wrap": True, "valign": "top"}),
        "list_head": add({**bordered, "bold": True, "text_wrap": True, "bg_color": "#D9E1F2"}),
        "list_error": add({**bordered, "text_wrap": True, "font_color": "#9C0006"}),
        "list_other": add({**bordered, "text_wrap": True}),
    }


class _FormSheet(xlsxwriter.worksheet.Worksheet):
    """A worksheet that skips XlsxWriter's future-function rewriting.

    Our formulas use only IF, AND and ISNUMBER and our validations point at
    defined names, none of which need an ``_xlfn.`` prefix; the ~100 regular
    expressions XlsxWriter runs per formula were half the time of a form.
    """

    def _prepare_formula(self, formula, expand_future_functions=False):
        return formula[1:] if formula.startswith("=") else formula


class _FormBook(xlsxwriter.Workbook):
    """A workbook whose structure is protected: sheets cannot be copied, added, renamed or removed,
    so figures are never typed into a copy ("BaoCao (2)") the reader would not read. XlsxWriter
    has no call for it: the element is written in its place in the schema, after workbookPr."""

    structure_password = ""

    def _write_workbook_pr(self) -> None:
        super()._write_workbook_pr()
        attributes = [("lockStructure", "1")]
        if self.structure_password:
            encoded = xlsxwriter.worksheet.Worksheet._encode_password(None, self.structure_password)
            attributes.insert(0, ("workbookPassword", encoded))
        self._xml_empty_tag("workbookProtection", attributes)


class _Validations:
    """Collects cells per rule and writes one validation per rule (multi_range)."""

    def __init__(self) -> None:
        self.rules: dict[tuple, tuple[dict, list[tuple[int, int]]]] = {}
        self.text_cells: list[tuple[int, int]] = []  # text cells that hold numbers on purpose

    def add(self, key: tuple, options: Callable[[], dict], row: int, col: int) -> None:
        if key not in self.rules:
            self.rules[key] = (options(), [])
        self.rules[key][1].append((row, col))

    def write(self, sheet) -> None:
        for options, cells in self.rules.values():
            ranges = _ranges(cells)
            (r0, c0), _ = ranges[0]
            result = sheet.data_validation(
                r0, c0, r0, c0, {**options, "multi_range": " ".join(_a1(a, b) for a, b in ranges)}
            )
            if result != 0:  # XlsxWriter returns -2 and writes nothing on a rejected rule
                msg = f"data validation rejected: {options}"
                raise ValueError(msg)
        if self.text_cells:  # no "number stored as text" triangles on the percentage cells
            sheet.ignore_errors({"number_stored_as_text": " ".join(_a1(a, b) for a, b in _ranges(self.text_cells))})


def _ranges(cells: list[tuple[int, int]]) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Runs of consecutive rows in the same column."""
    out: list[list[tuple[int, int]]] = []
    for row, col in sorted(cells, key=lambda rc: (rc[1], rc[0])):
        if out and out[-1][1] == (row - 1, col):
            out[-1][1] = (row, col)
        else:
            out.append([(row, col), (row, col)])
    return [(a, b) for a, b in out]


def _a1(first: tuple[int, int], last: tuple[int, int]) -> str:
    start = xlsxwriter.utility.xl_rowcol_to_cell(*first)
    return start if first == last else f"{start}:{xlsxwriter.utility.xl_rowcol_to_cell(*last)}"


_RETRY = "Bấm No (Excel, WPS) hoặc Cancel/Hủy (LibreOffice) để nhập lại."
_PERCENT_HINT = (
    'Nhập số phần trăm từ 0 đến 100, ví dụ 85,5 (có hay không có dấu % đều được); không có số liệu: ghi "Không có '
    'số liệu".'
)


def _number_rule(row: FormRow, what: str) -> dict:
    if row.percent and what == "value":  # a text cell (see in_percent): only the hint, checked on return
        return {"validate": "any", "input_title": "Nhập tỷ lệ %", "input_message": _PERCENT_HINT}
    if row.lower_is_better:
        criteria = {"criteria": ">=", "value": 1}
        hint = "Nhập thứ hạng (số nguyên từ 1 trở lên)."
    else:
        criteria = {"criteria": ">=", "value": 0}
        hint = "Nhập một số không âm, không dùng dấu phân cách hàng nghìn (ví dụ 1234 hoặc 12,5)."
    if what == "numerator":
        hint = "Tử số: số đơn vị đạt yêu cầu (không lớn hơn mẫu số)."
    elif what == "denominator":
        hint = "Mẫu số: tổng số đơn vị (lớn hơn 0)."
        criteria = {"criteria": ">", "value": 0}
    return {
        "validate": "decimal",
        **criteria,
        "error_type": "warning",
        "input_title": "Nhập số",
        "input_message": hint,
        "error_title": "Giá trị chưa hợp lệ",
        "error_message": hint + " " + _RETRY,
    }


_LIST_RULES = {
    ASSESSMENT: (
        "DM_DANHGIA",
        "Tự đánh giá",
        "Chọn Đạt / Chưa đạt / Đang thực hiện và ghi minh chứng (số văn bản, đường dẫn) ở cột Minh chứng.",
    ),
    TASK: (
        "DM_TRANGTHAI",
        "Tình trạng",
        "Chọn Đã hoàn thành / Đang thực hiện / Chưa thực hiện. Đã hoàn thành thì ghi số và ngày văn bản.",
    ),
}


def _list_rule(kind: str) -> dict:
    name, title, message = _LIST_RULES[kind]
    return {
        "validate": "list",
        "source": f"={name}",
        "input_title": title,
        "input_message": message,
        "error_title": "Chọn trong danh sách",
        "error_message": "Hãy chọn một giá trị trong danh sách thả xuống.",
    }


_DATE_RULE = {
    "validate": "date",
    "criteria": ">=",
    "value": date(2000, 1, 1),
    "error_type": "warning",
    "input_title": "Ngày ban hành",
    "input_message": "Nhập ngày dạng 31/03/2026.",
    "error_title": "Ngày chưa hợp lệ",
    "error_message": "Nhập ngày dạng 31/03/2026.",
}


_CAUSE_RULE = {
    "validate": "any",
    "input_title": "Nguyên nhân, giải pháp",
    "input_message": "Kỳ trước chỉ tiêu này chậm tiến độ hoặc chưa đạt: ghi ngắn gọn nguyên nhân và giải pháp, "
    "thời gian dự kiến đạt. Báo cáo của tỉnh trích dẫn nội dung này.",
}


def _rule(row: FormRow, column: str) -> tuple[tuple, Callable[[], dict]] | None:
    if column == "value":
        return ("value", row.percent, row.lower_is_better), lambda: _number_rule(row, "value")
    if column in ("numerator", "denominator"):
        return (column,), lambda: _number_rule(row, column)
    if column == "assessment":
        return (row.input,), lambda: _list_rule(row.input)
    if column == "doc_date":
        return ("date",), lambda: dict(_DATE_RULE)
    return None


class _Styles:
    """The cell formats of a return file: an input cell's own, in red when flagged, in the
    number format the agency's value was shown in (made once per combination)."""

    def __init__(self, workbook, fmt: dict):
        self.workbook, self.fmt = workbook, fmt
        self.made: dict[tuple[str, bool, str], object] = {}

    def __call__(self, style: str, flagged: bool, number_format: str = "") -> object:
        if not flagged and not number_format:
            return self.fmt[style]
        key = (style, flagged, number_format)
        if key not in self.made:
            props = {"border": 1, "valign": "top", "locked": False, "bg_color": "#FFF8DC", "text_wrap": True}
            if style == "in_number":
                props["num_format"] = "#,##0.##"
            if style == "in_percent":
                props |= {"num_format": "@", "align": "right"}
            if style == "in_date":
                props |= {"num_format": "dd/mm/yyyy", "align": "center"}
            if number_format:
                props["num_format"] = number_format
            if flagged:
                props |= {"bg_color": "#FFC7CE", "font_color": "#9C0006"}
            self.made[key] = self.workbook.add_format(props)
        return self.made[key]


def _percent_format(value: object) -> str:
    """A percent format that shows ``value`` as the agency saw it (an .ods keeps none we can read)."""
    if isinstance(value, float) and not float(value * 100).is_integer():
        return "0.0#%"
    return "0%"


def _inputs(row: FormRow) -> dict[str, str]:
    """The input cells of a row and the style of each (a percentage is typed into a text cell)."""
    inputs = INPUTS[row.input]
    if row.percent and inputs.get("value") == "in_number":
        return {**inputs, "value": "in_percent"}
    return inputs


def _mark_row(sheet, r: int, row: FormRow, styles: _Styles, marks: Marks) -> None:
    """Put back what the agency sent, as it sent it, and flag the cells it must fix. Locked texts
    stay the form's (a typed-over label is restored); a ratio's % cell stays its formula."""
    inputs = {**_inputs(row), "note": "in_text", "cause": "in_text"}
    for name, value in marks.filled.get(row.key, {}).items():
        style = inputs.get(name)
        if style is None:
            continue  # a locked cell, or the ratio's own % formula: the form's, not the agency's
        flagged = (row.key, name) in marks.flags
        if isinstance(value, (datetime, date)):
            sheet.write_datetime(r, COLUMNS[name], value, styles("in_date", flagged))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            shown = marks.formats.get((row.key, name), "")
            if (row.key, name) in marks.formats and shown == "":
                shown = _percent_format(value)
            sheet.write_number(r, COLUMNS[name], value, styles(style, flagged, shown))
        else:
            sheet.write_string(r, COLUMNS[name], str(value), styles(style, flagged))
    for (key, name), message in marks.flags.items():
        if key != row.key or name not in inputs:
            continue
        if name not in marks.filled.get(key, {}):
            sheet.write_blank(r, COLUMNS[name], None, styles(inputs[name], True))
        sheet.write_comment(r, COLUMNS[name], message, {"author": "reportgen", "x_scale": 2.2, "y_scale": 1.6})


_WRAPPED = ("code", "name", "unit", "target", "deadline", "scope", "previous")
_OPTIONAL = {  # input columns a form shows only when one of its rows asks for them
    "numerator": {RATIO},
    "denominator": {RATIO},
    "assessment": {ASSESSMENT, TASK},
    "doc_number": {TASK},
    "doc_date": {TASK},
}


def _height(row: FormRow, marks: Marks | None) -> float:
    """The height the row's texts need (neither Excel nor LibreOffice grows a row by itself)."""
    cells = [(getattr(row, name), WIDTHS[name]) for name in _WRAPPED]
    if marks is not None:
        cells += [(str(value), WIDTHS[name]) for name, value in marks.filled.get(row.key, {}).items()]
    return row_height(cells)


def _write_row(sheet, r: int, row: FormRow, fmt: dict, rules: _Validations) -> None:
    c = COLUMNS
    sheet.write_string(r, c["key"], row.key, fmt["key"])
    sheet.write_string(r, c["code"], row.code, fmt["center"])
    sheet.write_string(r, c["name"], row.name, fmt["text"])
    for name in ("unit", "target", "deadline", "scope", "previous"):
        text = getattr(row, name)
        if text:
            sheet.write_string(r, c[name], text, fmt["center"])
        else:
            sheet.write_blank(r, c[name], None, fmt["center"])
    inputs = _inputs(row)
    for name in INPUT_COLUMNS:
        style = inputs.get(name)
        if style is None:
            sheet.write_blank(r, c[name], None, fmt["na"])
            continue
        sheet.write_blank(r, c[name], None, fmt[style])
        if style == "in_percent":
            rules.text_cells.append((r, c[name]))
        rule = _rule(row, name)
        if rule:
            rules.add(rule[0], rule[1], r, c[name])
    if row.input == RATIO:
        cell_n = xlsxwriter.utility.xl_rowcol_to_cell(r, c["numerator"])
        cell_d = xlsxwriter.utility.xl_rowcol_to_cell(r, c["denominator"])
        formula = ratio_formula(cell_n, cell_d)
        sheet.write_formula(r, c["value"], formula, fmt["computed"], "")
    sheet.write_blank(r, c["note"], None, fmt["in_text"])
    if row.behind:  # behind or not met last time: the cause and remedy are asked for, visibly
        sheet.write_blank(r, c["cause"], None, fmt["in_cause"])
        rules.add(("cause",), lambda: dict(_CAUSE_RULE), r, c["cause"])
    else:
        sheet.write_blank(r, c["cause"], None, fmt["in_text"])


MARGIN = 0.2  # inches, left and right
CHAR = 7.85  # pixels per unit of column width, as LibreOffice lays out Times New Roman 11 (Excel: 7)


def print_scale(widths: Iterable[float], landscape: bool = True) -> int:
    """The print scale (%) that fits columns of these widths (Excel's unit) across an A4 page.

    An explicit scale, not "fit to one page wide": LibreOffice, asked to fit the width with no limit
    on the height, leaves the last rows of a long sheet off the paper.

    >>> print_scale([6, 30, 8, 11, 9, 12, 8, 9, 8, 8, 12, 10, 10, 12]), print_scale([4, 92], landscape=False)
    (84, 97)
    """
    page = (297 if landscape else 210) - 2 * MARGIN * 25.4  # mm
    needed = sum(CHAR * w + 5 for w in widths) * 25.4 / 96  # mm at 96 pixels to the inch
    return max(40, min(100, int(page / needed * 100) - 1))


def _page(sheet, spec: FormSpec, widths: Iterable[float], landscape: bool = True) -> None:
    """A4, scaled to the width, every printed page naming the agency, the period and the page."""
    if landscape:
        sheet.set_landscape()
    sheet.set_paper(9)
    sheet.set_print_scale(print_scale(widths, landscape))
    sheet.set_margins(left=MARGIN, right=MARGIN, top=0.7, bottom=0.6)
    agency = spec.agency_name.replace("&", "&&")[:100]
    # 11 points, like the text: a page fitted to its width prints it at 9 points or more
    sheet.set_header(f"&L&11{agency}&R&11{spec.period_label}")
    sheet.set_footer("&C&11Trang &P/&N")


def _data_sheet(workbook, spec: FormSpec, fmt: dict, password: str, marks: Marks | None = None):
    sheet = workbook.add_worksheet(DATA_SHEET, worksheet_class=_FormSheet)
    rules = _Validations()
    kinds = {row.input for row in spec.rows}
    behind = any(row.behind for row in spec.rows)
    shown = []
    for name, index in COLUMNS.items():
        unused = (name in _OPTIONAL and not kinds & _OPTIONAL[name]) or (name == "cause" and not behind)
        hidden = name == "key" or (unused and marks is None)
        sheet.set_column(index, index, WIDTHS[name], None, {"hidden": True} if hidden else None)
        if not hidden:
            shown.append(WIDTHS[name])
    last = len(COLUMNS) - 1
    sheet.write_string(0, 1, f"BIỂU BÁO CÁO KẾT QUẢ THỰC HIỆN CHỈ TIÊU — {spec.period_label.upper()}", fmt["title"])
    sheet.write_string(1, 1, f"Đơn vị báo cáo: {spec.agency_name}", fmt["info"])
    sheet.write_string(
        2,
        1,
        f"Số liệu tính đến ngày {spec.cutoff:%d/%m/%Y}. Hạn gửi: {spec.due:%d/%m/%Y}. Điền các ô nền vàng; "
        'xem hướng dẫn ở trang "HuongDan".',
        fmt["info_bold"],
    )
    sheet.write_string(3, 1, f"Mã biểu mẫu: {spec.form_id} — không sửa tên trang tính, không xoá cột.", fmt["info"])
    if marks is not None and marks.listed:
        others = len(marks.listed) - marks.errors
        sheet.merge_range(
            4,
            1,
            4,
            last,
            f"BIỂU MẪU GỬI TRẢ: {marks.errors} lỗi cần sửa (ô tô đỏ), {others} điểm cần lưu ý. Danh sách đầy đủ, "
            f'có cách sửa, ở trang "{RETURN_SHEET}" (in được). Sửa xong, lưu và gửi lại chính tệp này.',
            fmt["bad_title"],
        )
        sheet.set_row(4, 32)
    for name, index in COLUMNS.items():
        sheet.write_string(HEADER_ROW, index, HEADERS[name], fmt["header"])
    sheet.set_row(HEADER_ROW, row_height((HEADERS[n], WIDTHS[n] - 1) for n in COLUMNS if n != "key"))
    styles = _Styles(workbook, fmt)
    r = FIRST_DATA_ROW
    for kind, r, what in placed(spec):
        if kind == "row":
            _write_row(sheet, r, what, fmt, rules)
            if marks is not None:
                _mark_row(sheet, r, what, styles, marks)
            sheet.set_row(r, _height(what, marks))
        else:
            sheet.merge_range(r, 1, r, last, what, fmt[kind])
    r += 1
    rules.write(sheet)
    sheet.freeze_panes(FIRST_DATA_ROW, 3)
    sheet.repeat_rows(HEADER_ROW)
    _page(sheet, spec, shown)
    sheet.print_area(0, 1, r - 1, last)
    sheet.protect(password, {"format_columns": True, "format_rows": True})
    return sheet


def placed(spec: FormSpec) -> Iterable[tuple[str, int, Any]]:
    """Where everything of the data sheet goes: ("plan", row, title), ("section", row, title) and
    ("row", row, FormRow), rows 0-based. The writer and whoever quotes a cell of a form use this one."""
    r = FIRST_DATA_ROW
    plan = None
    for section in spec.sections:
        if section.plan != plan:
            plan = section.plan
            yield "plan", r, plan
            r += 1
        yield "section", r, section.title
        r += 1
        for row in section.rows:
            yield "row", r, row
            r += 1


def rows_at(spec: FormSpec) -> dict[str, int]:
    """Each form row's key -> its row number on the data sheet, as a spreadsheet shows it (1-based)."""
    return {what.key: r + 1 for kind, r, what in placed(spec) if kind == "row"}


def _return_sheet(workbook, spec: FormSpec, fmt: dict, marks: Marks):
    """Every problem, warning and question of a return, where it prints and reads without hovering."""
    sheet = workbook.add_worksheet(RETURN_SHEET)
    widths = (8, 10, 46, 12, 70)
    for index, width in enumerate(widths):
        sheet.set_column(index, index, width)
    sheet.merge_range(0, 0, 0, len(widths) - 1, f"CÁC ĐIỂM CẦN SỬA, CẦN LƯU Ý — {spec.agency_name}", fmt["title"])
    sheet.merge_range(
        1,
        0,
        1,
        len(widths) - 1,
        f"{spec.period_label}. {marks.errors} lỗi phải sửa (ô tô đỏ ở trang {DATA_SHEET}); các dòng khác là lưu ý "
        "hoặc câu hỏi: số liệu vẫn được ghi nhận, hãy kiểm tra và ghi giải thích nếu số liệu đúng.",
        fmt["guide"],
    )
    sheet.set_row(1, 34)
    for index, title in enumerate(("Ô", "Mã", "Chỉ tiêu / nhiệm vụ", "Mức", "Nội dung và cách sửa")):
        sheet.write_string(3, index, title, fmt["list_head"])
    for r, item in enumerate(sorted(marks.listed, key=lambda i: (i.level != "error", _row_of(i.cell))), start=4):
        style = fmt["list_error"] if item.level == "error" else fmt["list_other"]
        level = {"error": "Lỗi, phải sửa", "doubt": "Cần xác nhận"}.get(item.level, "Lưu ý")
        texts = (item.cell, item.code, item.name, level, item.message)
        for index, text in enumerate(texts):
            sheet.write_string(r, index, text, style)
        sheet.set_row(r, row_height(zip(texts, widths, strict=True)))
    sheet.repeat_rows(3)
    _page(sheet, spec, widths)
    sheet.protect()
    return sheet


def _row_of(cell: str) -> int:
    digits = "".join(ch for ch in cell if ch.isdigit())
    return int(digits) if digits else 0


GUIDE_WIDTH = 92  # an A4 portrait page at 100 %


def _guide_sheet(workbook, spec: FormSpec, fmt: dict, password: str) -> None:
    sheet = workbook.add_worksheet(GUIDE_SHEET)
    sheet.set_column(0, 0, 4)
    sheet.set_column(1, 1, GUIDE_WIDTH)
    lines = [
        (fmt["title"], "HƯỚNG DẪN ĐIỀN BIỂU MẪU"),
        (fmt["guide"], f"Đơn vị: {spec.agency_name}"),
        (
            fmt["guide"],
            f"Kỳ báo cáo: {spec.period_label}. Số liệu tính đến ngày {spec.cutoff:%d/%m/%Y}. "
            f"Hạn gửi lại: {spec.due:%d/%m/%Y}.",
        ),
        (fmt["guide"], ""),
        (fmt["guide"], '1. Mở trang "BaoCao". Chỉ điền vào các ô nền vàng; các ô khác đã khoá.'),
        (
            fmt["guide"],
            f'2. Cột "Số liệu cần điền" cho biết số liệu của mỗi dòng: "Tại ngày {spec.cutoff:%d/%m/%Y}" là số '
            f'liệu tại ngày chốt; "Lũy kế 01/01–{spec.cutoff:%d/%m/%Y}" (chỉ tiêu đếm "mỗi năm", "hằng năm") là '
            'tổng từ đầu năm đến ngày chốt, không ghi số của riêng một tháng; "số liệu của riêng đơn vị" là số '
            'của chính đơn vị mình; "số liệu chung của tỉnh" là số liệu cả tỉnh do đơn vị nắm giữ.',
        ),
        (
            fmt["guide"],
            '3. Cột "Kết quả thực hiện": theo đúng đơn vị tính ở cột "Đơn vị tính". Tỷ lệ phần trăm ghi số phần '
            "trăm (70 hoặc 70%, không ghi 0,7). Số thập phân viết với dấu thập phân của máy (12,5 hoặc 12.5); số "
            "lớn viết liền, không dùng dấu phân cách hàng nghìn (1234, không viết 1.234 hay 1,234).",
        ),
        (
            fmt["guide"],
            "4. Chỉ tiêu tỷ lệ: điền Tử số (số đạt yêu cầu) và Mẫu số (tổng số); tỷ lệ % được tính tự động.",
        ),
        (
            fmt["guide"],
            "5. Chỉ tiêu định tính: chọn Đạt / Chưa đạt / Đang thực hiện và ghi minh chứng "
            '(số, ngày văn bản hoặc đường dẫn) ở cột "Minh chứng / ghi chú".',
        ),
        (
            fmt["guide"],
            "6. Nhiệm vụ ban hành văn bản: chọn tình trạng; khi Đã hoàn thành, ghi số văn bản "
            "và ngày ban hành (dạng 31/03/2026).",
        ),
        (
            fmt["guide"],
            f'7. Ghi 0 nếu kết quả thực sự bằng 0. Dòng đơn vị không có số liệu: ghi (hoặc chọn) "{CLEAR_CHOICE}" '
            "ở ô nhập của dòng, dòng đó được tính là đã báo cáo; dòng để trống được hiểu là chưa có số liệu và "
            "đơn vị sẽ được đề nghị bổ sung. Gửi bổ sung chỉ cần điền các ô mới: ô để trống giữ nguyên số liệu "
            "đã gửi trước trong kỳ.",
        ),
        (
            fmt["guide"],
            f'8. Muốn rút lại số liệu đã gửi của một dòng, ghi (hoặc chọn) "{CLEAR_CHOICE}" vào ô nhập của dòng đó: '
            "số liệu đã gửi của dòng được rút lại.",
        ),
        (
            fmt["guide"],
            "9. Không đổi tên, không xoá trang tính và cột; có thể lưu bằng Excel, LibreOffice "
            "hoặc WPS (.xlsx, .xls, .ods) và gửi lại qua thư điện tử.",
        ),
    ]
    behind = [row.code for row in spec.rows if row.behind]
    if behind:
        lines.append(
            (
                fmt["guide"],
                f"10. Các dòng {', '.join(behind[:12])}{' …' if len(behind) > 12 else ''} chậm tiến độ hoặc chưa đạt ở "
                f'kỳ trước: ghi vào cột "{HEADERS["cause"]}" (ô nền cam) nguyên nhân, giải pháp và thời gian dự kiến '
                "đạt. Báo cáo của tỉnh trích dẫn nội dung này, kèm tên đơn vị.",
            )
        )
    lines += [(fmt["guide"], ""), (fmt["guide"], f"Liên hệ: {spec.contact}" if spec.contact else "")]
    for r, (style, text) in enumerate(lines):
        sheet.write_string(r, 1, text, style)
        if style is fmt["guide"] and text:
            sheet.set_row(r, row_height([(text, GUIDE_WIDTH)]))  # no application grows a row to its text
    _page(sheet, spec, (4, GUIDE_WIDTH), landscape=False)
    sheet.protect(password)


def _lists_sheet(workbook) -> None:
    sheet = workbook.add_worksheet(LISTS_SHEET)
    assessments = (*ASSESSMENTS, CLEAR_CHOICE)
    statuses = (*TASK_STATUSES, CLEAR_CHOICE)
    for r, text in enumerate(assessments):
        sheet.write_string(r, 0, text)
    for r, text in enumerate(statuses):
        sheet.write_string(r, 1, text)
    workbook.define_name("DM_DANHGIA", f"={LISTS_SHEET}!$A$1:$A${len(assessments)}")
    workbook.define_name("DM_TRANGTHAI", f"={LISTS_SHEET}!$B$1:$B${len(statuses)}")
    sheet.hide()


def _meta_sheet(workbook, spec: FormSpec, key: bytes) -> None:
    sheet = workbook.add_worksheet(META_SHEET)
    identity = spec.identity
    sheet.write_string(0, 0, META_MARKER)
    sheet.write_string(0, 1, "1")
    for r, name in enumerate(IDENTITY_FIELDS, start=1):
        sheet.write_string(r, 0, name)
        sheet.write_string(r, 1, identity[name])
    sheet.write_string(len(IDENTITY_FIELDS) + 1, 0, "signature")
    sheet.write_string(len(IDENTITY_FIELDS) + 1, 1, sign(key, identity))
    sheet.very_hidden()
    sheet.protect()


def write_form(
    spec: FormSpec, target: Path | io.BytesIO, key: bytes, password: str = "", marks: Marks | None = None
) -> None:
    """Write ``spec`` as an .xlsx file (or into a BytesIO); ``marks`` makes it a form sent back."""
    workbook = _FormBook(
        target,
        {
            "in_memory": True,
            "nan_inf_to_errors": True,  # a NaN the agency sent comes back as #NUM!, never a crash
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "default_format_properties": {"font_name": "Times New Roman", "font_size": 11},
        },
    )
    workbook.structure_password = password
    workbook.set_properties(
        {"title": f"Biểu báo cáo {spec.period_label}", "author": "reportgen", "comments": f"form {spec.form_id}"}
    )
    fmt = _formats(workbook)
    # A return opens, and prints, with what to fix first.
    listing = _return_sheet(workbook, spec, fmt, marks) if marks is not None and marks.listed else None
    _guide_sheet(workbook, spec, fmt, password)
    data = _data_sheet(workbook, spec, fmt, password, marks)
    _lists_sheet(workbook)
    _meta_sheet(workbook, spec, key)
    (listing or data).activate()
    workbook.close()


# ---------------------------------------------------------------------------------------
# Many workbooks
# ---------------------------------------------------------------------------------------
_WORKER: dict = {}


def _init_worker(maker: FormMaker, folder: str, key: bytes, password: str) -> None:
    _WORKER.update(maker=maker, folder=folder, key=key, password=password)


def _write_spec(spec: FormSpec, temp: Path) -> None:
    write_form(spec, temp, _WORKER["key"], _WORKER["password"])


def _write_batch(batch: list[tuple[str, dict[str, str]]]) -> list[Written]:
    maker, folder = _WORKER["maker"], Path(_WORKER["folder"])
    out = []
    for agency, previous in batch:
        spec = maker.spec(agency, previous)
        path = folder / spec.file_name
        write_whole(path, functools.partial(_write_spec, spec))
        out.append(
            Written(
                agency=spec.agency,
                agency_name=spec.agency_name,
                form_id=spec.form_id,
                path=str(path),
                rows=len(spec.rows),
                period=spec.period,
                plans=spec.plans,
                generated_at=spec.generated_at,
            )
        )
    return out


def write_forms(
    maker: FormMaker,
    folder: Path,
    key: bytes,
    *,
    agencies: Iterable[str] | None = None,
    previous: dict[str, dict[str, str]] | None = None,
    password: str = "",
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[Written]:
    """Write the forms of ``agencies`` (default: all) into ``folder``.

    Specs are made inside the workers, a batch at a time, so memory does not grow
    with the number of forms; big batches are spread over the CPU cores.
    """
    folder.mkdir(parents=True, exist_ok=True)
    previous = previous or {}
    duties = maker.duties
    codes = duties.agencies() if agencies is None else [a for a in agencies if duties.owes(a)]
    size = 25
    batches = [[(a, previous.get(a, {})) for a in codes[i : i + size]] for i in range(0, len(codes), size)]
    workers = workers if workers is not None else (os.cpu_count() or 1)
    results: list[Written] = []
    if workers <= 1 or len(codes) < 4 * size:
        _init_worker(maker, str(folder), key, password)
        outcomes: Iterable[list[Written]] = map(_write_batch, batches)
        return _collect(outcomes, results, progress)
    with ProcessPoolExecutor(
        max_workers=workers, initializer=_init_worker, initargs=(maker, str(folder), key, password)
    ) as pool:
        return _collect(pool.map(_write_batch, batches), results, progress)


def _collect(outcomes, results: list[Written], progress) -> list[Written]:
    for done in outcomes:
        results.extend(done)
        if progress:
            progress(len(done))
    return results

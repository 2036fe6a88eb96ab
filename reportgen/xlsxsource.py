"""Reading the sheets of an Excel .xlsx plan appendix.

Merged title rows keep their text in the first cell; cells merged down (an agency
over several rows) are carried down; dates are written as a person reads them
("Tháng 12/2026" when the cell shows a month, else dd/mm/yyyy); percentages as
"80%". Without ``--sheet`` every sheet is offered to the importer, which reads those
with an appendix table and says which it left out (a cover page, a list of names).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

from .errors import SourceError
from .sources import Grid, SourceTable, cell_text
from .text import clean

__all__ = ["read_xlsx"]

# An appendix has a few hundred rows; a sheet far bigger is data, not a plan, and is cut here.
MAX_ROWS = 5000
MAX_COLUMNS = 60


def read_xlsx(path: Path, sheet: str | None) -> SourceTable:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a broken package
        raise SourceError("corrupt", file=str(path)) from exc
    try:
        sheets = workbook.worksheets
        if sheet is not None:
            names = {clean(ws.title).casefold(): ws for ws in sheets}
            chosen = names.get(clean(sheet).casefold())
            if chosen is None:
                raise SourceError("no-sheet", file=path.name, sheet=sheet, sheets=", ".join(workbook.sheetnames))
            sheets = [chosen]
        table = SourceTable(path=path)
        for ws in sheets:
            if getattr(ws, "sheet_state", "visible") != "visible" and sheet is None:
                continue
            table.grids.append(_grid(ws))
        return table
    finally:
        workbook.close()


def _grid(ws) -> Grid:
    down = _merged_down(ws)
    grid = Grid(rows=[], where=[], label=f"trang tính {ws.title}")
    for row in ws.iter_rows(max_row=min(ws.max_row, MAX_ROWS), max_col=min(ws.max_column, MAX_COLUMNS)):
        cells = []
        for cell in row:
            origin = down.get((cell.row, cell.column))
            cells.append(_text(origin) if origin is not None else _text(cell))
        if any(cells):
            grid.rows.append(cells)
            grid.where.append(f"trang tính {ws.title}, hàng {row[0].row}")
    return grid


def _merged_down(ws) -> dict[tuple[int, int], object]:
    """Cells covered by a merge that spans rows, mapped to the merge's top-left cell (first column only)."""
    covered: dict[tuple[int, int], object] = {}
    for merged in ws.merged_cells.ranges:
        if merged.min_row == merged.max_row:
            continue
        origin = ws.cell(row=merged.min_row, column=merged.min_col)
        for row in range(merged.min_row + 1, min(merged.max_row, MAX_ROWS) + 1):
            covered[(row, merged.min_col)] = origin
    return covered


def _text(cell) -> str:
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, (datetime, date)):
        return _date_text(value, cell.number_format or "")
    if isinstance(value, (int, float)):
        number = float(value)
        if "%" in (cell.number_format or ""):
            return _plain_number(number * 100) + "%"
        return _plain_number(number)
    return cell_text(str(value))


_LITERALS = re.compile(r'\[[^\]]*\]|"[^"]*"|\\.')  # [$-42A], [Red], "text", \-


def _date_text(value: date, number_format: str) -> str:
    """A date as the plan means it: a month shown without a day is "Tháng 12/2026".

    >>> _date_text(datetime(2026, 12, 1), "mm/yyyy"), _date_text(date(2026, 12, 31), "dd/mm/yyyy")
    ('Tháng 12/2026', '31/12/2026')
    """
    shown = _LITERALS.sub("", number_format.split(";")[0]).lower()
    if "d" not in shown and ("m" in shown or "y" in shown):
        return f"Tháng {value.month}/{value.year}"
    return f"{value.day:02d}/{value.month:02d}/{value.year}"


def _plain_number(number: float) -> str:
    """A number written back as text the target parser reads (decimal comma)."""
    if float(number).is_integer():
        return str(int(number))
    return f"{number:.6f}".rstrip("0").replace(".", ",")

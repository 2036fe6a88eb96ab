"""Reading a plan's appendix table into rows of text cells.

Three sources give the same thing, a :class:`SourceTable` (rows of NFC strings,
one per grid column, merged cells empty except their first cell):

* tab-separated text extracts (the seeds);
* a Word .docx whose appendix is a real table (merged header cells, section rows
  spanning the table, tables split at page breaks);
* an .xlsx sheet.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .errors import SourceError
from .text import clean

__all__ = ["SourceTable", "read_source"]


@dataclass
class SourceTable:
    path: Path
    rows: list[list[str]]
    preamble: list[str] = field(default_factory=list)
    # Where each row came from, for messages: "dòng 12", "bảng 2, hàng 5", "ô A7".
    where: list[str] = field(default_factory=list)


def read_source(path: Path, sheet: str | None = None) -> SourceTable:
    """Read a plan appendix from .txt/.tsv, .docx or .xlsx (chosen by content)."""
    path = Path(path)
    if not path.is_file():
        raise SourceError("missing", file=str(path))
    head = path.read_bytes()[:8]
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile as exc:
            raise SourceError("corrupt", file=str(path)) from exc
        if "word/document.xml" in names:
            return _read_docx(path)
        if "xl/workbook.xml" in names:
            return _read_xlsx(path, sheet)
        raise SourceError("unknown-format", file=str(path))
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise SourceError("old-office-format", file=str(path))
    return _read_text(path)


def _read_text(path: Path) -> SourceTable:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SourceError("encoding", file=str(path))
    table = SourceTable(path=path, rows=[])
    for number, line in enumerate(text.splitlines(), start=1):
        if "\t" in line:
            table.rows.append([clean(cell) for cell in line.split("\t")])
            table.where.append(f"dòng {number}")
        elif clean(line) and not table.rows:
            table.preamble.append(clean(line.replace("*", "")))
        elif clean(line):
            table.rows.append([clean(line)])
            table.where.append(f"dòng {number}")
    return table


def _read_docx(path: Path) -> SourceTable:
    from docx import Document
    from docx.oxml.ns import qn

    try:
        document = Document(str(path))
    except Exception as exc:  # python-docx raises many kinds on a broken package
        raise SourceError("corrupt", file=str(path)) from exc
    table = SourceTable(path=path, rows=[])
    body = document.element.body
    for number_table, tbl in enumerate(body.iter(qn("w:tbl")), start=1):
        if tbl.getparent() is not body:
            continue  # nested tables are layout, not data
        for number_row, tr in enumerate(tbl.findall(qn("w:tr")), start=1):
            cells: list[str] = []
            for tc in tr.findall(qn("w:tc")):
                props = tc.tcPr
                span = 1
                continued = False
                if props is not None:
                    grid = props.find(qn("w:gridSpan"))
                    if grid is not None:
                        span = int(grid.get(qn("w:val"), "1"))
                    merge = props.find(qn("w:vMerge"))
                    continued = merge is not None and merge.get(qn("w:val")) in (None, "continue")
                text = "" if continued else _cell_text(tc)
                cells.extend([text] + [""] * (span - 1))
            table.rows.append(cells)
            table.where.append(f"bảng {number_table}, hàng {number_row}")
    for paragraph in document.paragraphs:
        if clean(paragraph.text):
            table.preamble.append(clean(paragraph.text))
        if len(table.preamble) >= 6:
            break
    if not table.rows:
        raise SourceError("no-table", file=str(path))
    return table


def _cell_text(tc) -> str:
    from docx.oxml.ns import qn

    parts = []
    for paragraph in tc.iter(qn("w:p")):
        parts.append("".join(t.text or "" for t in paragraph.iter(qn("w:t"))))
    return clean(" ".join(parts))


def _read_xlsx(path: Path, sheet: str | None) -> SourceTable:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, data_only=True)
    except Exception as exc:
        raise SourceError("corrupt", file=str(path)) from exc
    try:
        if sheet is not None:
            names = {clean(n): n for n in workbook.sheetnames}
            if clean(sheet) not in names:
                raise SourceError("no-sheet", file=str(path), sheet=sheet, sheets=", ".join(workbook.sheetnames))
            ws = workbook[names[clean(sheet)]]
        else:
            ws = workbook.worksheets[0]
        table = SourceTable(path=path, rows=[])
        for row in ws.iter_rows():
            cells = [_xlsx_text(cell) for cell in row]
            if any(cells):
                table.rows.append(cells)
                table.where.append(f"trang tính {ws.title}, hàng {row[0].row}")
        return table
    finally:
        workbook.close()


def _xlsx_text(cell) -> str:
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, (int, float)):
        number = float(value)
        if "%" in (cell.number_format or ""):
            number *= 100
            return _plain_number(number) + "%"
        return _plain_number(number)
    return clean(value)


def _plain_number(number: float) -> str:
    """A number written back as text the target parser reads (decimal comma)."""
    if float(number).is_integer():
        return str(int(number))
    return f"{number:.6f}".rstrip("0").replace(".", ",")

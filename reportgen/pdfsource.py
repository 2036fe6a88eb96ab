"""Reading the tables of a digital PDF plan appendix, with pdfplumber.

Provinces publish plans as PDFs on their portals, and offices often get nothing
else. pdfplumber finds ruled tables page by page. What it gives back is made into
what a Word table gives: a cell merged down is carried down to the rows it covers
(pdfplumber returns it in its first row only), a cell merged across stays in its
first column, and each page's table is one grid (the importer drops the header
repeated on each page).

Where a page ends inside a table, the PDF shows what Word or LibreOffice printed:
the rest of a cut row on the next page, under the repeated header, with an empty
number; a merged cell's text printed once on the page where it starts, the part on
the next page empty or holding the end of a text that did not fit; a word too long
for its column broken without a hyphen. :func:`_stitch` puts each back together.

A scanned PDF has no text to read: the message asks for the .docx, or the PDF the
portal offers for download, rather than guessing with OCR.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import SourceError
from .sources import Grid, SourceTable, cell_text
from .text import clean

__all__ = ["read_pdf"]

MAX_PAGES = 200  # a plan with its appendices is a few dozen pages
_PREAMBLE_LINES = 6
_SETTINGS = {"vertical_strategy": "lines", "horizontal_strategy": "lines"}


def read_pdf(path: Path) -> SourceTable:
    import pdfplumber

    try:
        pdf = pdfplumber.open(str(path))
    except Exception as exc:  # pdfminer raises many kinds on a broken file
        raise SourceError("corrupt-pdf", file=path.name) from exc
    table = SourceTable(path=path)
    pages: list[_Page] = []
    text_found = False
    try:
        if len(pdf.pages) > MAX_PAGES:
            raise SourceError("pdf-too-long", file=path.name, pages=len(pdf.pages), limit=MAX_PAGES)
        for page in pdf.pages:
            try:
                found = page.find_tables(_SETTINGS)
                text_found = text_found or bool(page.chars)
            except Exception as exc:  # a damaged page stream
                raise SourceError("corrupt-pdf", file=path.name) from exc
            top = 0.0
            for tbl in sorted(found, key=lambda t: t.bbox[1]):
                before = _lines(page, top, tbl.bbox[1])
                if not table.grids and len(table.preamble) < _PREAMBLE_LINES:
                    table.preamble.extend(before[: _PREAMBLE_LINES - len(table.preamble)])
                last = pages[-1].grid if pages else None
                pages.append(_read_table(tbl, page.page_number, len(pages) + 1, last))
                pages[-1].grid.before = before[-3:]
                table.grids.append(pages[-1].grid)
                top = tbl.bbox[3]
    finally:
        pdf.close()
    if not text_found:
        raise SourceError("scanned-pdf", file=path.name)
    if not table.grids:
        raise SourceError("pdf-no-table", file=path.name)
    words = _words(table)
    for grid in table.grids:
        for row in grid.rows:
            for index, cell in enumerate(row):
                if "\n" in cell:
                    row[index] = _mended(cell, words)
    for previous, following in zip(pages, pages[1:], strict=False):
        _stitch(previous, following, words)
    return table


def _lines(page, top: float, bottom: float) -> list[str]:
    """The text lines of the page between two heights (a heading above a table)."""
    if bottom - top < 1:
        return []
    box = (0, max(0.0, top), page.width, min(page.height, bottom))
    text = page.crop(box).extract_text() or ""
    return [line for line in (clean(x) for x in text.splitlines()) if line]


@dataclass
class _Page:
    """One page's table: its grid, and what :func:`_stitch` needs to join it to the page before."""

    grid: Grid
    repeated: int = 0  # rows at its top that repeat the table before's (the header)
    first: dict[int, list[int]] = field(default_factory=dict)  # column -> rows the first row's cell covers
    ends: dict[int, list[int]] = field(default_factory=dict)  # column -> rows the cell the page's end cut covers


def _read_table(tbl, page_number: int, number: int, before: Grid | None) -> _Page:
    """A page's table as a grid; a cell merged down is carried to the rows it covers."""
    texts = tbl.extract()
    rows = tbl.rows
    width = max((len(r) for r in texts), default=0)
    columns = _column_edges(rows, width)
    page = _Page(Grid(rows=[], where=[], label=f"trang {page_number}"))
    covering: dict[int, tuple[tuple, str, list[int]]] = {}  # column -> (cell box, text, rows it covers)
    for index, (row, values) in enumerate(zip(rows, texts, strict=True)):
        cells: list[str] = []
        # the row's own band: pdfplumber's row box reaches down to the bottom of its tallest cell
        low = min((box[3] for box in row.cells if box is not None), default=row.bbox[3])
        middle = (row.bbox[1] + low) / 2
        for column in range(width):
            box = row.cells[column] if column < len(row.cells) else None
            if box is not None:
                text = cell_text((values[column] if column < len(values) else None) or "")
                covering[column] = (box, text, [index])
                cells.append(text)
                continue
            above = covering.get(column)
            if above and above[0][3] > middle and abs(above[0][0] - columns[column]) < 2:
                cells.append(above[1])  # merged down: the row shows the same text
                above[2].append(index)
            else:
                cells.append("")  # merged across, or nothing there
        if index == page.repeated and before is not None and index < len(before.rows) and cells == before.rows[index]:
            page.repeated += 1
        page.grid.rows.append(cells)
        page.grid.where.append(f"trang {page_number}, bảng {number}, hàng {index + 1}")
        if index == page.repeated:  # the first row under the header: its cells, and the rows they cover
            page.first = {c: rows_ for c, (_, _, rows_) in covering.items() if rows_[0] == index}
    bottom = tbl.bbox[3]
    page.ends = {c: rows_ for c, (box, _, rows_) in covering.items() if abs(box[3] - bottom) < 1}
    return page


def _stitch(previous: _Page, page: _Page, words: set[str]) -> None:
    """Join a page's table to the page before: the rest of a row cut in two, and cells merged down
    over the page break."""
    r = page.repeated
    if r >= len(page.grid.rows) or not previous.grid.rows:
        return
    earlier, rows = previous.grid.rows, page.grid.rows
    row = rows[r]
    continued = not any(ch.isalnum() for ch in row[0])  # no number: the rest of the row above
    for column, covered in previous.ends.items():
        cut = earlier[covered[0]][column]
        here = page.first.get(column)
        if not cut or here is None or column >= len(row):
            continue
        tail, spans, merged = row[column], len(here) > 1, len(covered) > 1
        if tail and continued and (merged or spans):  # the end of a merged cell's text
            full = _mended(f"{cut}\n{tail}", words)
            for i in covered:
                earlier[i][column] = full
            for i in here:
                rows[i][column] = full
        elif not tail and (spans or (merged and not continued)):  # the rest of a merged cell, empty
            for i in here:
                rows[i][column] = cut
        elif not tail and not continued:
            page.grid.maybe[(r, column)] = cut  # perhaps: the importer decides by the column
    if continued:
        last = earlier[-1]
        for column, text in enumerate(row):
            if text and column < len(last) and text != last[column]:
                last[column] = _mended(f"{last[column]}\n{text}", words) if last[column] else text
        del rows[r]
        del page.grid.where[r]
        page.ends = {c: [i - (i > r) for i in covered if i != r] for c, covered in page.ends.items()}
        page.ends = {c: covered for c, covered in page.ends.items() if covered}


def _words(table: SourceTable) -> set[str]:
    """Every word written in the document's tables, to know a word the PDF broke in two."""
    words: set[str] = set()
    for grid in table.grids:
        for row in grid.rows:
            for cell in row:
                words.update(w.casefold() for w in _TOKEN.findall(cell))
    return words


_TOKEN = re.compile(r"\w+")


def _mended(text: str, words: set[str]) -> str:
    r"""A cell's lines with the words the PDF broke at the cell's edge joined ("%GRD" / "P").

    A word too long for its column is broken without a hyphen, each piece on a line. Two pieces
    are one word when the word they make is written whole elsewhere in the document, or both are
    digits ("100.00" / "0"), or pieces of a short acronym ("HĐN" / "D"), or one is a single
    letter (a header "STT" one letter wide); a line
    that starts with a comma or "%", or follows a "/" or a "-" before a number ("80-" / "90"), goes
    on the line before. Other line ends are wraps
    at a space, and stay lines (the importer reads agencies one per line).

    >>> _mended("%GRD\nP", {"grdp"}), _mended("Sở Khoa học và Công\nnghệ", {"công", "nghệ"})
    ('%GRDP', 'Sở Khoa học và Công\nnghệ')
    """
    lines = text.split("\n")
    out = lines[0]
    for line in lines[1:]:
        match = _TOKEN.match(line)
        head = match[0] if match else ""
        tail = _TOKEN.findall(out)
        glued = bool(head and tail and out[-1:].isalnum())
        last = out.rsplit("\n", 1)[-1]
        if line[:1] in ",.;:)%" or out.endswith("/") or (out.endswith("-") and line[:1].isdigit()):
            out += line
        elif glued and (len(line) == 1 or len(last) == 1):  # a column one letter wide: "S", "T", "T"
            out += line
        elif glued and tail[-1][-1:].isdigit() and head[:1].isdigit():
            out += line
        elif glued and (tail[-1] + head).casefold() in words:
            out += line
        elif glued and _acronym(tail[-1], head):
            out += line
        else:
            out += "\n" + line
    return out


def _acronym(before: str, after: str) -> bool:
    """Two pieces of one short upper-case word: "HĐN" / "D", "%G" / "RDP" (not "ĐH" / "CĐ", "UBND" / "TP")."""
    return before.isupper() and after.isupper() and min(len(before), len(after)) == 1 and len(before + after) <= 5


def _column_edges(rows, width: int) -> list[float]:
    """The left edge of each column, from the cells that start in it."""
    edges = [float("inf")] * width
    for row in rows:
        for column, box in enumerate(row.cells[:width]):
            if box is not None:
                edges[column] = min(edges[column], box[0])
    return edges

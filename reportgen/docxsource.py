"""Reading the tables of a Word .docx plan appendix.

Word tables as people make them: header cells merged across and down, agency or
deadline cells merged down over the rows they cover, names on separate lines of one
cell (Enter or Shift+Enter), a table cut at a page break into two, a heading table
(quốc hiệu) above and a signature table below, and tracked changes not yet accepted.

Tracked changes are read as if accepted (inserted and moved-to text kept, deleted
and moved-from text and deleted rows left out), with a warning to accept them in Word.
"""

from __future__ import annotations

from pathlib import Path

from . import messages as msg
from .errors import SourceError
from .sources import Grid, SourceTable, cell_text

__all__ = ["read_docx"]

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_GONE = {_W + "del", _W + "moveFrom"}  # text a reviewer took out
_REVISIONS = (_W + "ins", _W + "del", _W + "moveFrom", _W + "moveTo")
_PREAMBLE_LINES = 6


def read_docx(path: Path) -> SourceTable:
    from docx import Document

    try:
        document = Document(str(path))
    except Exception as exc:  # python-docx raises many kinds on a broken package
        raise SourceError("corrupt", file=str(path)) from exc
    table = SourceTable(path=path)
    body = document.element.body
    before: list[str] = []
    number = 0
    for child in body.iterchildren():
        if child.tag == _W + "p":
            text = _paragraph_text(child)
            if text:
                before.append(text)
                if not table.grids and len(table.preamble) < _PREAMBLE_LINES:
                    table.preamble.append(text)
        elif child.tag == _W + "tbl":
            number += 1
            table.grids.append(_grid(child, number, before))
            before = []
    if not table.grids:
        raise SourceError("no-table", file=str(path))
    revisions = sum(1 for tag in _REVISIONS for _ in body.iter(tag))
    if revisions:
        table.warnings.append(msg.NOTE_TRACKED_CHANGES.format(count=revisions))
    return table


def _grid(tbl, number: int, before: list[str]) -> Grid:
    """One table: merged cells carried down, deleted rows left out, nested tables ignored."""
    grid = Grid(rows=[], where=[], before=list(before[-3:]), label=f"bảng {number}")
    above: dict[int, str] = {}  # grid column -> text of the cell merged down from above
    for number_row, tr in enumerate(tbl.findall(_W + "tr"), start=1):
        props = tr.find(_W + "trPr")
        if props is not None and props.find(_W + "del") is not None:
            continue
        cells: list[str] = []
        for tc in tr.findall(_W + "tc"):
            span, merge = _spans(tc)
            column = len(cells)
            if merge == "continue":
                text = above.get(column, "")
            else:
                text = _cell_text(tc)
                if merge == "restart":
                    above[column] = text
                else:
                    above.pop(column, None)
            cells.extend([text] + [""] * (span - 1))
        grid.rows.append(cells)
        grid.where.append(f"bảng {number}, hàng {number_row}")
    return grid


def _spans(tc) -> tuple[int, str | None]:
    """A cell's width in grid columns and its vertical merge: None, "restart" or "continue"."""
    props = tc.find(_W + "tcPr")
    if props is None:
        return 1, None
    span = 1
    grid = props.find(_W + "gridSpan")
    if grid is not None:
        try:
            span = max(1, min(int(grid.get(_W + "val", "1")), 64))
        except ValueError:
            span = 1
    merge = props.find(_W + "vMerge")
    if merge is None:
        return span, None
    return span, merge.get(_W + "val") or "continue"


def _cell_text(tc) -> str:
    """The text of a cell, one line per paragraph or line break; nested tables are not read."""
    lines = [_paragraph_text(p) for p in tc.findall(_W + "p")]
    return cell_text("\n".join(lines))


def _paragraph_text(paragraph) -> str:
    """A paragraph's text as if its tracked changes were accepted; line breaks kept as "\\n"."""
    parts: list[str] = []
    for node in paragraph.iter(_W + "t", _W + "br", _W + "cr", _W + "tab"):
        if any(ancestor.tag in _GONE for ancestor in node.iterancestors()):
            continue
        if node.tag == _W + "t":
            parts.append(node.text or "")
        elif node.tag == _W + "tab":
            parts.append(" ")
        elif node.get(_W + "type") in (None, "textWrapping"):
            parts.append("\n")
    return cell_text("".join(parts))

"""Finding the appendix tables in a source, and their rows.

A plan file holds tables of several kinds: the heading (quốc hiệu), the appendix of
indicators, perhaps a second appendix of tasks with other columns, the signature.
:func:`read_parts` keeps the appendices, each read with its own header:

* a header may take two or three rows ("Số" above "TT", a title wrapped by hand,
  the years under "Mức chỉ tiêu"); its rows are combined column by column;
* the header repeated at each page, and a row of column numbers "(1) (2) (3)", are
  dropped;
* a row with an empty number continues the row above (a cell cut by a page break),
  also across pages and tables;
* a table with no header of its own goes on with the appendix above when it has
  its columns (a Word table cut in two), and is skipped otherwise (signature).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import SourceError
from .sources import Grid, SourceTable
from .text import clean, fold

__all__ = ["Columns", "Part", "Raw", "read_parts", "NUMBERED", "ROMAN"]

ROMAN = re.compile(r"^(?P<code>[IVXLC]+|[A-Z])\s*[.:)]?\s*(?P<rest>.*)$")
NUMBERED = re.compile(r"^(?P<num>\d+(?:\.\d+)*)\s*\.?\s*$")
_YEAR = re.compile(r"^(?:nam\s+)?(?P<year>(?:19|20)\d\d)$")
_INDEX = re.compile(r"^\(?\d{1,2}\)?(?:\s*=.*)?$")  # "(1)", "4", "(6)=(4)/(5)"
_SECTION = re.compile(r"^(?:[IVXLC]+\s*[.:)]?|[A-Z]\s*[.:)])(?:\s|$)")  # "II.", "I. Hạ tầng", "A)"
_HEADER_ROWS = 3
_NEVER_EMPTY = ("reporter", "monitor", "deadline")  # a row with such a cell empty lost it to a page break
_HEADER_CELL = 150  # a header cell is a sentence at most; a longer one is data


def role(text: str) -> tuple[str, int | None] | None:
    """The role a header cell gives its column, from its text."""
    f = fold(text)
    if not f:
        return None
    if f in ("stt", "tt", "so tt", "so thu tu", "thu tu"):
        return ("stt", None)
    year = _YEAR.match(f)
    if year:
        return ("year", int(year["year"]))
    if "theo doi" in f:
        return ("monitor", None)
    agency = f.startswith(("co quan", "don vi chu tri", "don vi thuc hien", "don vi trien khai", "don vi bao cao"))
    if agency and any(w in f for w in ("chu tri", "thuc hien", "trien khai", "bao cao")):
        return ("reporter", None)
    if "phoi hop" in f:
        return ("partner", None)
    if "thoi gian" in f or "thoi han" in f or "tien do" in f:
        return ("deadline", None)
    if "ghi chu" in f:
        return ("note", None)
    if f in ("don vi", "don vi tinh", "dvt") or f.startswith("don vi tinh"):
        return ("unit", None)
    if "muc chi tieu" in f or f.startswith("chi tieu nam") or f.startswith("muc tieu nam"):
        return ("targets", None)
    if f in ("ket qua", "muc tieu", "chi tieu giao", "ke hoach", "muc phan dau"):
        return ("result", None)
    if agency:
        return None
    if any(w in f for w in ("chi tieu", "noi dung", "nhiem vu", "van ban", "cong viec")) or f.startswith("ten "):
        return ("name", None)
    return None


@dataclass
class Columns:
    roles: dict[str, int] = field(default_factory=dict)
    years: dict[int, int] = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)  # each column's header, rows combined

    def get(self, cells: list[str], name: str) -> str:
        index = self.roles.get(name)
        if index is None or index >= len(cells):
            return ""
        return cells[index]

    def role_of(self, index: int) -> str | None:
        if index in self.years:
            return "year"
        return next((name for name, i in self.roles.items() if i == index), None)

    @property
    def width(self) -> int:
        return len(self.texts)

    @property
    def tasks(self) -> bool:
        """A table of tasks (documents to issue, work to do): no unit, targets or years, and a
        name column that speaks of tasks, not indicators."""
        if self.years or {"unit", "targets", "result"} & set(self.roles):
            return False
        name = fold(self.texts[self.roles["name"]])
        return "chi tieu" not in name and any(w in name for w in ("nhiem vu", "van ban", "cong viec", "ten "))


@dataclass
class Raw:
    cells: list[str]
    where: str


@dataclass
class Part:
    """One appendix table: its columns, its rows, and the heading above it."""

    columns: Columns
    header: tuple[tuple[str, ...], ...]  # its header rows, folded, to know it when repeated
    raws: list[Raw] = field(default_factory=list)
    heading: list[str] = field(default_factory=list)
    label: str = ""


@dataclass
class Parts:
    parts: list[Part]
    preamble: list[str]
    unread: list[str]  # grids with no appendix in them ("trang tính Bìa")


def read_parts(table: SourceTable) -> Parts:
    """The appendix tables of ``table``; a source with none raises ``SourceError("no-header")``."""
    result = Parts(parts=[], preamble=list(table.preamble), unread=[])
    current: Part | None = None
    for grid in table.grids:
        current, used = _read_grid(grid, current, result)
        if not used:
            result.unread.append(grid.label)
    if not result.parts:
        sheets = [g.label for g in table.grids if g.label.startswith("trang tính")]
        if len(sheets) > 1:
            names = ", ".join(label.removeprefix("trang tính ") for label in sheets)
            raise SourceError("no-header-sheets", file=table.path.name, sheets=names)
        raise SourceError("no-header", file=str(table.path))
    return result


def _read_grid(grid: Grid, current: Part | None, result: Parts) -> tuple[Part | None, bool]:
    """Read one grid into the parts; returns the part now open and whether the grid held any of it."""
    rows, own = grid.rows, None
    pending: list[str] = []  # rows above this grid's header: title lines when it is the first table
    i = 0
    while i < len(rows):
        cells = rows[i]
        if not any(cells) or _index_row(cells):
            i += 1
            continue
        header = _header_at(rows, i, current)
        if header is not None:
            columns, used, folded = header
            if current is None or folded != current.header:
                if not result.parts:
                    result.preamble.extend(pending)
                current = Part(columns=columns, header=folded, heading=list(grid.before), label=grid.label)
                result.parts.append(current)
            own = current
            i += used
            continue
        if own is None:
            if current is not None and _goes_on(cells, current):
                own = current  # a table cut in two without its header repeated
            else:
                pending.append(" ".join(c for c in cells if c))
                i += 1
                continue
        cells = cells + [""] * (own.columns.width - len(cells))
        for (row, column), text in grid.maybe.items():
            if row == i and not cells[column] and own.columns.role_of(column) in _NEVER_EMPTY:
                cells[column] = text
        if not _numbered(own.columns.get(cells, "stt")) and own.raws:
            _continue(own.raws[-1], cells)
        else:
            own.raws.append(Raw(cells=cells, where=grid.where[i]))
        i += 1
    return current, own is not None


def _numbered(stt: str) -> bool:
    """Whether a number cell holds a number: "." alone is the end of one cut by a page break."""
    return any(ch.isalnum() for ch in stt)


def _goes_on(cells: list[str], part: Part) -> bool:
    """Whether a header-less table's row belongs to the appendix above: same columns, numbered."""
    if len(cells) != part.columns.width:
        return False
    stt = part.columns.get(cells, "stt").split("\n")[0]
    return bool(NUMBERED.match(stt) or _SECTION.match(stt) or (not stt and part.raws))


def _continue(previous: Raw, cells: list[str]) -> None:
    """A cell cut by a page break goes on in a row with an empty first column. A cell merged down
    shows the same text in both rows: it is one cell, not a continuation."""
    for index, text in enumerate(cells):
        if not text:
            continue
        while index >= len(previous.cells):
            previous.cells.append("")
        before = previous.cells[index]
        if text == before:
            continue
        joiner = "" if not before or before.endswith(("-", "/")) else "\n"
        previous.cells[index] = before + joiner + text


def _index_row(cells: list[str]) -> bool:
    """A row numbering the columns: "(1) (2) (3) …" or "1 2 3 …"."""
    filled = [c for c in cells if c]
    if len(filled) < 3 or not all(_INDEX.match(c) for c in filled):
        return False
    numbers = [int(re.search(r"\d+", c).group()) for c in filled]  # type: ignore[union-attr]
    return numbers == sorted(numbers) and len(set(numbers)) == len(numbers) and numbers[0] <= 1


def _fold_row(cells: list[str]) -> tuple[str, ...]:
    return tuple(fold(c) for c in cells)


def _header_at(
    rows: list[list[str]], i: int, current: Part | None
) -> tuple[Columns, int, tuple[tuple[str, ...], ...]] | None:
    """The header starting at row ``i``: its columns, how many rows it takes, its folded rows."""
    first = rows[i]
    if current is not None and _fold_row(first) == current.header[0]:
        used = 1  # the header repeated at a page break
        while i + used < len(rows) and used < len(current.header) and _fold_row(rows[i + used]) == current.header[used]:
            used += 1
        return current.columns, used, current.header
    if not any((found := role(c)) is not None and found[0] in ("stt", "name") for c in first if len(c) <= _HEADER_CELL):
        return None
    block = [first]
    columns = _combine(block)
    while i + len(block) < len(rows) and len(block) < _HEADER_ROWS and _header_like(rows[i + len(block)]):
        row = rows[i + len(block)]
        wider = _combine([*block, row])
        if wider is None or not _goes_on_header(columns, wider, row, block[-1]):
            break
        block.append(row)
        columns = wider
    if columns is None:
        return None
    return columns, len(block), tuple(_fold_row(r) for r in block)


def _header_like(cells: list[str]) -> bool:
    """A row that may go on with a header: short texts, no number of an item or section."""
    filled = [c for c in cells if c]
    if not filled or any(len(c) > _HEADER_CELL for c in filled):
        return False
    first = cells[0].split("\n")[0] if cells else ""
    return not (NUMBERED.match(first) or _SECTION.match(first))


def _goes_on_header(before: Columns | None, after: Columns, row: list[str], above: list[str]) -> bool:
    """Whether ``row`` is the header's next line: with it, no column loses its meaning, and one gains
    or changes it ("Số" + "TT", the years under "Mức chỉ tiêu", a title wrapped by hand), or it only
    repeats the cells above (merged down) and years. A first row of data loses the unit's meaning
    ("Đơn vị" + "Thứ bậc"), or adds a line under the names only (a title row)."""
    if before is None:
        return True
    was, now = _meanings(before), _meanings(after)
    if any(index not in now for index in was):
        return False
    repeats = all(not c or (i < len(above) and c == above[i]) or _YEAR.match(fold(c)) for i, c in enumerate(row))
    # the rest of titles wrapped by hand, under titles; a lone text under the names is a title row
    filled = [i for i, c in enumerate(row) if c]
    under = all(i < len(after.texts) and i in was for i in filled) and not row[0]
    lone_name = len(filled) == 1 and was.get(filled[0]) in ("name", "stt")
    return now != was or repeats or (under and not lone_name)


def _meanings(columns: Columns) -> dict[int, str]:
    meanings = {index: name for name, index in columns.roles.items()}
    meanings.update({index: str(year) for index, year in columns.years.items()})
    return meanings


def _combine(block: list[list[str]]) -> Columns | None:
    width = max(len(r) for r in block)
    texts: list[str] = []
    columns = Columns()
    for index in range(width):
        parts: list[str] = []
        for row in block:
            text = clean(row[index].replace("\n", " ")) if index < len(row) else ""
            if text and (not parts or parts[-1] != text):
                parts.append(text)
        texts.append(" ".join(parts))
        year = next((_YEAR.match(fold(p)) for p in parts if _YEAR.match(fold(p))), None)
        if year:
            columns.years[index] = int(year["year"])
            continue
        found = role(texts[-1])
        if found is not None:
            columns.roles.setdefault(found[0], index)
    columns.texts = texts
    others = set(columns.roles) - {"name", "partner"}
    if "name" not in columns.roles or not (others or columns.years):
        return None
    if "stt" not in columns.roles and columns.roles["name"] > 0 and not texts[0]:
        columns.roles["stt"] = 0  # the numbers' column, its title left blank
    return columns

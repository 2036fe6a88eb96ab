"""Reading a plan's appendix into tables of text cells.

Every source gives the same thing, a :class:`SourceTable`: the tables (``grids``)
of the file in order, each a list of rows of NFC strings, one per grid column.

* A cell merged across columns keeps its text in its first cell; the others are
  empty (a section row spanning the table reads as its first cell).
* A cell merged down several rows is carried down: each row it covers holds its
  text, as a person reading the row sees it.
* A line break inside a cell (Enter, Shift+Enter, Alt+Enter) is kept as ``"\\n"``;
  the importer decides per column whether it separates names or wraps one.

Four readers fill it: tab-separated text (the seeds, Notepad "Unicode" files),
Word .docx (:mod:`reportgen.docxsource`), Excel .xlsx (:mod:`reportgen.xlsxsource`)
and digital PDF (:mod:`reportgen.pdfsource`).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .errors import SourceError
from .text import clean

__all__ = ["Grid", "SourceTable", "read_source", "cell_text"]

# Bytes a plan appendix may have: the biggest real one is a few hundred KB; a PDF of a whole
# plan a few MB. Larger is not an appendix, and reading it would only cost time.
MAX_BYTES = 50 * 1024 * 1024


@dataclass
class Grid:
    """One table of the source, as the person who made it laid it out."""

    rows: list[list[str]]
    where: list[str]  # where each row came from, for messages: "dòng 12", "bảng 2, hàng 5"
    before: list[str] = field(default_factory=list)  # the paragraphs just above it ("PHỤ LỤC II …")
    label: str = ""  # "bảng 2", "trang tính Phụ lục", "trang 3"
    # (row, column) -> the text an empty cell shows if it goes on with a cell merged down from the
    # page before (PDF): the importer fills it in the columns that are never empty
    maybe: dict[tuple[int, int], str] = field(default_factory=dict)


@dataclass
class SourceTable:
    path: Path
    grids: list[Grid] = field(default_factory=list)
    preamble: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # said at import and kept in the plan's notes
    # What a person may choose instead ("--sheet"): the sheets that were not read, and why.
    skipped: list[str] = field(default_factory=list)

    @property
    def rows(self) -> list[list[str]]:
        return [row for grid in self.grids for row in grid.rows]

    @property
    def where(self) -> list[str]:
        return [w for grid in self.grids for w in grid.where]


def cell_text(value: str) -> str:
    """A cell's text: each line cleaned, empty lines dropped, lines joined by ``"\\n"``.

    >>> cell_text(" Sở Y tế \\r\\n\\n Sở Nội vụ ")
    'Sở Y tế\\nSở Nội vụ'
    """
    if "\n" not in value and "\r" not in value and "\v" not in value:
        return clean(value)
    lines = value.replace("\r\n", "\n").replace("\r", "\n").replace("\v", "\n").split("\n")
    return "\n".join(line for line in (clean(x) for x in lines) if line)


def read_source(path: Path, sheet: str | None = None) -> SourceTable:
    """Read a plan appendix from .txt/.tsv, .docx, .xlsx or .pdf (chosen by content, not name)."""
    path = Path(path)
    if not path.is_file():
        raise SourceError("missing", file=str(path))
    size = path.stat().st_size
    if size > MAX_BYTES:
        megabytes = round(size / 1024 / 1024, 1)
        raise SourceError("too-large", file=path.name, size=megabytes, limit=MAX_BYTES // 1024 // 1024)
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile as exc:
            raise SourceError("corrupt", file=str(path)) from exc
        if "word/document.xml" in names:
            from .docxsource import read_docx

            return read_docx(path)
        if "xl/workbook.xml" in names:
            from .xlsxsource import read_xlsx

            return read_xlsx(path, sheet)
        if "content.xml" in names:
            raise SourceError("odf", file=path.name)
        raise SourceError("unknown-format", file=str(path))
    if head.startswith(b"%PDF"):
        from .pdfsource import read_pdf

        return read_pdf(path)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise SourceError("old-office-format", file=str(path))
    if head.startswith(b"{\\rtf"):
        raise SourceError("rtf", file=path.name)
    return _read_text(path)


def _read_text(path: Path) -> SourceTable:
    raw = path.read_bytes()
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        encodings: tuple[str, ...] = ("utf-16",)  # Notepad's "Unicode"
    else:
        encodings = ("utf-8-sig",)
    for encoding in encodings:
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SourceError("encoding", file=str(path))
    table = SourceTable(path=path)
    grid = Grid(rows=[], where=[], label=path.name)
    for number, line in enumerate(text.splitlines(), start=1):
        if "\t" in line:
            grid.rows.append([clean(cell) for cell in line.split("\t")])
            grid.where.append(f"dòng {number}")
        elif clean(line) and not grid.rows:
            table.preamble.append(clean(line.replace("*", "")))
        elif clean(line):
            grid.rows.append([clean(line)])
            grid.where.append(f"dòng {number}")
    table.grids.append(grid)
    return table

"""Plan appendices as provinces publish them, built from the seed texts.

A seed is a text extract: its header repeated at each page, cells cut by page breaks
continued on rows of their own. :func:`read_seed` undoes that into the table a person
typed (preamble, header rows, one row per line of the table), independently of the
importer. The builders then lay that table out the ways real files do: Word tables
with merged or split headers, merged agency cells, names on separate lines, two
appendices, tracked changes, heading and signature tables; Excel sheets with a cover
page, merged title rows and dates; PDFs printed from those by LibreOffice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from reportgen.catalog import item_json

SEEDS = Path(__file__).parent / "data" / "seeds"
PLANS = {  # seed file -> (plan id, province)
    "nb2045": ("ninh-binh-2025-2045-chi-tieu.txt", None),
    "nb2026": ("ninh-binh-2026-phan-cong.txt", None),
    "cb": ("cao-bang-2030-2045-chi-tieu.txt", "cao-bang"),
}
_YEAR = re.compile(r"^(19|20)\d\d$")


@dataclass
class Seed:
    preamble: list[str]
    header: list[list[str]]  # one row, or two when the years sit under "Mức chỉ tiêu"
    rows: list[list[str]] = field(default_factory=list)

    @property
    def width(self) -> int:
        return len(self.header[0])

    def role_column(self, *words: str) -> int:
        from reportgen.text import fold

        for index, text in enumerate(self.header[0]):
            if all(w in fold(text) for w in words):
                return index
        raise KeyError(words)

    def columns(self, *kinds: str) -> set[int]:
        """The columns of the agencies ("agencies") and of the deadline ("deadline") this seed has."""
        from reportgen.text import fold

        out = set()
        for index, text in enumerate(self.header[0]):
            f = fold(text)
            if "agencies" in kinds and (f.startswith("co quan") or f.startswith("don vi chu tri")):
                out.add(index)
            if "deadline" in kinds and f.startswith("thoi gian"):
                out.add(index)
        return out


def read_seed(name: str) -> Seed:
    """The table a person typed, from a seed extract (repeated headers dropped, cut cells joined)."""
    lines = (SEEDS / name).read_text(encoding="utf-8").splitlines()
    seed = Seed(preamble=[], header=[])
    for line in lines:
        if "\t" not in line:
            if line.strip() and not seed.header:
                seed.preamble.append(line.strip().replace("*", ""))
            continue
        cells = [c.strip() for c in line.split("\t")]
        if not seed.header:
            seed.header.append(cells)
            continue
        if cells == seed.header[0]:
            continue
        if not cells[0] and any(_YEAR.match(c) for c in cells):
            if len(seed.header) == 1 and not seed.rows:
                seed.header.append(cells)
            continue
        if not cells[0] and seed.rows:  # a cell cut by a page break goes on here
            previous = seed.rows[-1]
            for index, text in enumerate(cells):
                if text:
                    previous[index] = f"{previous[index]} {text}".strip()
            continue
        seed.rows.append(cells)
    return seed


# ---------------------------------------------------------------------------------------
# Word
# ---------------------------------------------------------------------------------------
HEADER_PLAIN = "plain"  # as the seed: one row, or two with merged cells over the years
HEADER_SPLIT = "split"  # "Số" above "TT", every other header cell merged down
HEADER_WRAPPED = "wrapped"  # no merges; long titles wrapped by hand onto a second row with the years


@dataclass
class WordOptions:
    header: str = HEADER_PLAIN
    rows_per_table: int = 0  # >0: the table cut into tables of that many rows, header repeated
    merge_down: tuple[str, ...] = ()  # "agencies", "deadline": equal cells one under another merged down
    line_breaks: bool = False  # agencies in one cell on separate lines (Shift+Enter)
    appendix_two: bool = False  # the tasks (section II) in a second appendix with its own columns
    tracked: bool = False  # text moved, inserted and deleted with Track Changes, not accepted
    heading_table: bool = False  # the quốc hiệu table above
    signature: bool = False  # "Nơi nhận" and the signature in a table below
    font: str = "Times New Roman"
    portrait: bool = False  # LibreOffice's own default page (A4 portrait) instead of Word's landscape appendix


def word_plan(path: Path, seed: Seed, options: WordOptions | None = None) -> Path:
    """The seed's table as a Word appendix (A4 landscape), laid out as ``options`` say."""
    options = options or WordOptions()
    document = Document()
    _page(document, options.font, options.portrait)
    if options.heading_table:
        _heading_table(document)
    for line in seed.preamble:
        document.add_paragraph(line)
    rows = list(seed.rows)
    tasks: list[list[str]] = []
    if options.appendix_two:
        start = next(i for i, r in enumerate(rows) if r[0] == "II.")
        rows, tasks = rows[:start], rows[start + 1 :]
    chunks = [rows]
    if options.rows_per_table:
        chunks = [rows[i : i + options.rows_per_table] for i in range(0, len(rows), options.rows_per_table)]
    for number, chunk in enumerate(chunks):
        if number:
            document.add_page_break()
        _table(document, seed, chunk, options)
    if tasks:
        _task_appendix(document, seed, tasks, options)
    for table in document.tables:
        _widths(table, 180 if options.portrait else 267)
    if options.signature:
        _signature(document)
    if options.tracked:
        _track_changes(document)
    document.save(path)
    return path


def _page(document, font: str, portrait: bool) -> None:
    section = document.sections[0]
    if portrait:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Mm(210), Mm(297)
    else:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(297), Mm(210)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(15))
    style = document.styles["Normal"]
    style.font.name = font
    style.font.size = Pt(12)
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for slot in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(slot), font)


def _heading_table(document) -> None:
    table = document.add_table(rows=1, cols=2)
    _lines(table.cell(0, 0), ["ỦY BAN NHÂN DÂN", "TỈNH NINH BÌNH"], breaks=False)
    _lines(table.cell(0, 1), ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"], breaks=False)


def _signature(document) -> None:
    document.add_paragraph("")
    table = document.add_table(rows=1, cols=2)
    _lines(table.cell(0, 0), ["Nơi nhận:", "- Như Điều 3;", "- Lưu: VT, KGVX."], breaks=False)
    _lines(table.cell(0, 1), ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "", "Nguyễn Văn An"], breaks=False)


def _lines(cell, lines: list[str], breaks: bool) -> None:
    """Lines in a cell: paragraphs (Enter), or one paragraph with line breaks (Shift+Enter)."""
    cell.text = ""
    if breaks:
        paragraph = cell.paragraphs[0]
        for index, line in enumerate(lines):
            run = paragraph.add_run(line)
            if index < len(lines) - 1:
                run.add_break()
        return
    cell.paragraphs[0].text = lines[0]
    for line in lines[1:]:
        cell.add_paragraph(line)


def _header_rows(seed: Seed, options: WordOptions) -> list[list[str]]:
    if options.header == HEADER_SPLIT:
        first = list(seed.header[0])
        second = list(seed.header[1]) if len(seed.header) > 1 else [""] * seed.width
        first[0], second[0] = "Số", "TT"
        return [first, second]
    if options.header == HEADER_WRAPPED:
        first, second = [], []
        years = seed.header[1] if len(seed.header) > 1 else [""] * seed.width
        for text, year in zip(seed.header[0], years, strict=True):
            words = text.split()
            cut = (len(words) + 1) // 2 if len(words) > 3 else len(words)
            first.append(" ".join(words[:cut]))
            second.append(" ".join([*words[cut:], year]).strip())
        return [first, second]
    return [list(r) for r in seed.header]


def _table(document, seed: Seed, rows: list[list[str]], options: WordOptions):
    header = _header_rows(seed, options)
    table = document.add_table(rows=len(header), cols=seed.width)
    table.style = "Table Grid"
    for r, cells in enumerate(header):
        for c, text in enumerate(cells):
            table.cell(r, c).text = text
        _repeat_header(table.rows[r])
    if len(header) == 2 and options.header != HEADER_WRAPPED:
        years = [c for c, text in enumerate(header[1]) if _YEAR.match(text)]
        if years:  # "Mức chỉ tiêu" over the years
            table.cell(0, years[0]).text = header[0][years[0]]
            table.cell(0, years[0]).merge(table.cell(0, years[-1]))
        for c in range(seed.width):
            if c not in years and options.header == HEADER_PLAIN:
                table.cell(1, c).text = ""
                table.cell(0, c).merge(table.cell(1, c))
            elif c not in years and c != 0:  # split: only "Số"/"TT" stay apart
                table.cell(1, c).text = ""
                table.cell(0, c).merge(table.cell(1, c))
    merged = seed.columns(*options.merge_down)
    runs: dict[int, int] = {}  # column -> table row where the current run of equal cells starts
    for cells in rows:
        tr = table.add_row()
        r = len(table.rows) - 1
        if _section_row(cells):
            tr.cells[0].text = cells[0]
            tr.cells[1].text = cells[1]
            tr.cells[1].merge(tr.cells[seed.width - 1])
            runs.clear()
            continue
        for c, text in enumerate(cells):
            start = runs.get(c)
            if c in merged and text and start is not None and table.cell(start, c).text == text:
                table.cell(start, c).merge(tr.cells[c])
                table.cell(start, c).text = text  # merge() joins the texts; one is the truth
                continue
            runs[c] = r
            if options.line_breaks and c in seed.columns("agencies"):
                _lines(tr.cells[c], _agencies_on_lines(text), breaks=True)
            else:
                tr.cells[c].text = text
    return table


def _widths(table, total: float) -> None:
    """Column widths as an appendix has them: a narrow number, narrow years and units, agencies
    and deadlines of a fair width, the name taking the rest of ``total`` mm."""
    from reportgen.text import fold

    header = [fold(c.text) for c in table.rows[0].cells]
    count = len(header)
    if count < 3:
        return
    scale = total / 267
    fixed = {0: 12.0 * scale}
    for index, text in enumerate(header[2:], start=2):
        if "co quan" in text or "don vi chu tri" in text:
            fixed[index] = 42.0 * scale
        elif "thoi" in text or "ghi chu" in text:
            fixed[index] = 24.0 * scale
        else:
            fixed[index] = 17.0 * scale
    fixed[1] = total - sum(fixed.values())
    widths = [Mm(fixed[i]) for i in range(count)]
    table.autofit = False
    grid = table._tbl.tblGrid
    for col, width in zip(grid.gridCol_lst, widths, strict=False):
        col.w = width
    for row in table.rows:
        column = 0
        for tc in row._tr.tc_lst:
            span = tc.grid_span
            tcw = tc.get_or_add_tcPr().get_or_add_tcW()
            tcw.type = "dxa"
            tcw.w = sum(widths[column : column + span], Mm(0))
            column += span


def _section_row(cells: list[str]) -> bool:
    return bool(re.match(r"^[IVX]+\.?$", cells[0])) and not any(cells[2:])


def _repeat_header(row) -> None:
    props = row._tr.get_or_add_trPr()
    props.append(OxmlElement("w:tblHeader"))


def _agencies_on_lines(text: str) -> list[str]:
    """ "Sở A, Sở B; các sở, ban, ngành" -> one agency per line where a new name starts (upper case)."""
    pieces = re.split(r"[,;]\s+(?=[A-ZĐÂĂÊÔƠƯÁÀẢÃẠ])", text)
    return [p.strip() for p in pieces if p.strip()]


def _task_appendix(document, seed: Seed, rows: list[list[str]], options: WordOptions) -> None:
    """Section II as the plan's second appendix: its own heading and columns, in another order."""
    document.add_page_break()
    document.add_paragraph("PHỤ LỤC II")
    document.add_paragraph("Phân công chủ trì tham mưu xây dựng các Văn bản")
    monitor, reporter = seed.role_column("theo doi"), seed.role_column("trien khai")
    deadline, note = seed.role_column("thoi gian"), seed.role_column("ghi chu")
    header = ["TT", "Tên văn bản, nhiệm vụ", "Cơ quan chủ trì xây dựng, báo cáo", "Cơ quan theo dõi, đôn đốc"]
    header += ["Thời hạn hoàn thành", "Ghi chú"]
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for c, text in enumerate(header):
        table.cell(0, c).text = text
    for cells in rows:
        values = [cells[0], cells[1], cells[reporter], cells[monitor], cells[deadline], cells[note]]
        tr = table.add_row()
        for c, text in enumerate(values):
            tr.cells[c].text = text


# Track Changes: a reviewer moved a phrase, inserted a word and deleted another, and struck a
# row out; none accepted. Read as accepted, the table says what the seed says.
def _track_changes(document) -> None:
    table = next(t for t in document.tables if len(t.rows) > 5)
    row = next(r for r in table.rows[1:] if re.match(r"^\d+\.?$", r.cells[0].text.strip()))
    cell = row.cells[1]
    text = cell.text
    words = text.split(" ")
    head, tail = " ".join(words[:2]), " ".join(words[2:])
    paragraph = cell.paragraphs[0]
    for run in list(paragraph.runs):
        run._r.getparent().remove(run._r)
    # "<moved to>head</>" + " tail" + "<inserted></>" + "<deleted> cũ</>" + "<moved from> head</>"
    paragraph._p.append(_revision("w:moveTo", head))
    paragraph._p.append(_plain_run(" " + _without_last(tail)))
    paragraph._p.append(_revision("w:ins", _last(tail)))
    paragraph._p.append(_revision("w:del", " (bản cũ)", deleted=True))
    paragraph._p.append(_revision("w:moveFrom", " " + head))
    struck = table.add_row()
    for c, value in enumerate(["99.", "Chỉ tiêu đã bỏ khi soạn thảo", "%", "100"]):
        struck.cells[c].text = value
    props = struck._tr.get_or_add_trPr()
    props.append(_mark("w:del"))
    table._tbl.remove(struck._tr)
    rows = table._tbl.findall(qn("w:tr"))
    rows[len(rows) // 2].addnext(struck._tr)


def _last(text: str) -> str:
    return " " + text.split(" ")[-1] if " " in text else text


def _without_last(text: str) -> str:
    return text.rsplit(" ", 1)[0] if " " in text else ""


_REVISION = iter(range(100, 10_000))


def _mark(tag: str):
    element = OxmlElement(tag)
    element.set(qn("w:id"), str(next(_REVISION)))
    element.set(qn("w:author"), "Chuyên viên")
    element.set(qn("w:date"), "2026-03-02T09:00:00Z")
    return element


def _plain_run(text: str):
    run = OxmlElement("w:r")
    node = OxmlElement("w:t")
    node.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    node.text = text
    run.append(node)
    return run


def _revision(tag: str, text: str, deleted: bool = False):
    wrapper = _mark(tag)
    run = OxmlElement("w:r")
    node = OxmlElement("w:delText" if deleted else "w:t")
    node.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    node.text = text
    run.append(node)
    wrapper.append(run)
    return wrapper


# ---------------------------------------------------------------------------------------
# Excel
# ---------------------------------------------------------------------------------------
@dataclass
class ExcelOptions:
    cover: bool = False  # a cover sheet first
    dates: bool = False  # deadlines "Tháng 12/2026" typed as dates shown mm/yyyy
    merge_down: tuple[str, ...] = ()
    alt_enter: bool = False  # long names wrapped with Alt+Enter


def excel_plan(path: Path, seed: Seed, options: ExcelOptions | None = None) -> Path:
    import openpyxl

    options = options or ExcelOptions()
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    if options.cover:
        sheet.title = "Bìa"
        sheet["B3"] = "KẾ HOẠCH CHUYỂN ĐỔI SỐ"
        sheet["B5"] = "Bảng tổng hợp chỉ tiêu kèm theo; xem trang tính Phụ lục."
        sheet = workbook.create_sheet("Phụ lục")
    else:
        sheet.title = "Phụ lục"
    for line in seed.preamble:
        sheet.append([line])
        sheet.merge_cells(start_row=sheet.max_row, start_column=1, end_row=sheet.max_row, end_column=seed.width)
    for cells in seed.header:
        sheet.append(cells)
    merged = seed.columns(*options.merge_down)
    deadline = next((i for i, t in enumerate(seed.header[0]) if "Thời gian" in t), None)
    starts: dict[int, int] = {}
    for cells in seed.rows:
        values: list[object] = list(cells)
        if options.alt_enter and len(cells[1]) > 60:
            words = cells[1].split(" ")
            values[1] = " ".join(words[: len(words) // 2]) + "\n" + " ".join(words[len(words) // 2 :])
        month = re.match(r"^Tháng (\d{1,2})/(\d{4})$", cells[deadline]) if deadline is not None else None
        if options.dates and month:
            values[deadline] = date(int(month[2]), int(month[1]), 1)
        sheet.append(values)
        r = sheet.max_row
        if options.dates and month:
            sheet.cell(row=r, column=deadline + 1).number_format = "mm/yyyy"
        for c in merged:
            start = starts.get(c)
            if cells[c] and start is not None and sheet.cell(row=start, column=c + 1).value == cells[c]:
                sheet.cell(row=r, column=c + 1).value = None
                for old in list(sheet.merged_cells.ranges):
                    if old.min_col == c + 1 and old.min_row == start:
                        sheet.unmerge_cells(str(old))
                sheet.merge_cells(start_row=start, start_column=c + 1, end_row=r, end_column=c + 1)
            else:
                starts[c] = r
    workbook.save(path)
    return path


# ---------------------------------------------------------------------------------------
# Comparing catalogs
# ---------------------------------------------------------------------------------------
def items_of(plan, registry) -> list[dict]:
    """A plan's items as the catalog compares them: what they mean, not where they came from."""
    out = []
    for item in plan.items:
        data = item_json(item, registry)
        data["review"] = [re.sub(r"\((?:dòng|bảng|trang)[^)]*\)", "", note) for note in item.review]
        data["reporters_text"] = re.sub(r"[,;]", "", item.reporters_text)
        data["monitor_text"] = re.sub(r"[,;]", "", item.monitor_text)
        data.pop("plan")
        out.append(data)
    return out


def differences(expected: list[dict], actual: list[dict]) -> list[str]:
    """Item by item, what differs: "I.3 name: '…' != '…'"."""
    out = []
    codes = [e["code"] for e in expected]
    got = {a["code"]: a for a in actual}
    for extra in [a["code"] for a in actual if a["code"] not in codes]:
        out.append(f"{extra}: not in the seed's catalog")
    for want in expected:
        have = got.get(want["code"])
        if have is None:
            out.append(f"{want['code']}: missing")
            continue
        for key, value in want.items():
            if have.get(key) != value:
                out.append(f"{want['code']} {key}: {value!r} != {have.get(key)!r}")
    return out

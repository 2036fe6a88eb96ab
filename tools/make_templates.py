"""Build templates/docx/bao-cao.docx, the report template (Nghị định 30/2020), and
templates/xlsx/bieu-tong-hop.xlsx, the Excel summary's look.

    python tools/make_templates.py

The template is committed and staff may edit it in Word (boilerplate of parts
III and IV, wording of sentences): this script only makes the first version.
It carries all the layout: A4 portrait with ND30 margins, Times New Roman in
every run and style (all four font slots, no theme fonts), the two-column header
table with its short lines, the title block, Kính gửi, the body with docxtpl
tags, the signature table with Nơi nhận, page numbers in the header from page 2,
and a landscape appendix section whose table header repeats on every page.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, Twips

from reportgen import ooxml

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "templates" / "docx" / "bao-cao.docx"
SUMMARY = ROOT / "templates" / "xlsx" / "bieu-tong-hop.xlsx"
FONT = "Times New Roman"
SLOTS = ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs")
THEME_SLOTS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")

# Portrait A4: top 25, bottom 20, left 35, right 20 mm (the decree's own files).
PORTRAIT = {"width": 11906, "height": 16838, "top": 1418, "bottom": 1134, "left": 1985, "right": 1134}
# Landscape appendix: top/bottom 20 mm, left 30, right 15 mm, of the rotated page.
LANDSCAPE = {"width": 16838, "height": 11906, "top": 1134, "bottom": 1134, "left": 1701, "right": 851}
APPENDIX_COLUMNS = [
    ("STT", 700),
    ("Chỉ tiêu", 3100),
    ("Đơn vị tính", 900),
    ("Kế hoạch", 1400),
    ("Kết quả thực hiện", 1400),
    ("Tỷ lệ so với kế hoạch (%)", 1100),
    ("Đánh giá", 1200),
    ("Cơ quan chủ trì", 1600),
    ("Cơ quan theo dõi", 1386),
    ("Ghi chú", 1500),
]
AGENCY_COLUMNS = [("STT", 700), ("Cơ quan, đơn vị", 6000), ("Tình hình báo cáo", 5086), ("Ghi chú", 2500)]


# --- fonts -----------------------------------------------------------------------------
def _fonts(rpr) -> None:
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for slot in THEME_SLOTS:
        if fonts.get(qn(slot)) is not None:
            del fonts.attrib[qn(slot)]
    for slot in SLOTS:
        fonts.set(qn(slot), FONT)


def _styles(document) -> None:
    """Times New Roman in docDefaults and every style; no theme fonts anywhere."""
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _fonts(rpr)
    for fonts in styles.iter(qn("w:rFonts")):
        for slot in THEME_SLOTS:
            if fonts.get(qn(slot)) is not None:
                del fonts.attrib[qn(slot)]
        for slot in SLOTS:
            fonts.set(qn(slot), FONT)
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(14)
    _fonts(normal.element.get_or_add_rPr())
    fmt = normal.paragraph_format
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    fmt.line_spacing = 1.0
    color = OxmlElement("w:color")
    color.set(qn("w:val"), "000000")
    normal.element.get_or_add_rPr().append(color)


def run(paragraph, text: str, size: float = 14, bold: bool = False, italic: bool = False):
    r = paragraph.add_run(text)
    _fonts(r._r.get_or_add_rPr())
    r.font.size = Pt(size)
    r.font.bold = bold
    r.font.italic = italic
    return r


def para(
    container,
    text: str = "",
    size: float = 14,
    bold: bool = False,
    italic: bool = False,
    align=WD_ALIGN_PARAGRAPH.CENTER,
    body: bool = False,
    after: float = 0,
    keep: bool = False,
):
    paragraph = container.add_paragraph()
    fmt = paragraph.paragraph_format
    fmt.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY if body else align
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(6 if body else after)
    fmt.line_spacing = 1.15 if body else 1.0
    if body:
        fmt.first_line_indent = Twips(567)
    if keep:
        fmt.keep_with_next = True
    if text:
        run(paragraph, text, size, bold, italic)
    return paragraph


def tag(container, text: str):
    """A paragraph holding only a docxtpl {%p … %} tag (removed when rendered)."""
    paragraph = container.add_paragraph()
    run(paragraph, text, 14)
    return paragraph


def rule(container, width: int, cell_width: int) -> None:
    """A short solid line under the previous paragraph: an empty 2 pt paragraph whose
    bottom border runs between indents, centred, ``width`` twips long."""
    paragraph = container.add_paragraph()
    run(paragraph, "", 2)
    mark = paragraph._p.get_or_add_pPr()
    mark_rpr = OxmlElement("w:rPr")
    size = OxmlElement("w:sz")
    size.set(qn("w:val"), "4")
    mark_rpr.append(size)
    mark.append(mark_rpr)
    side = max(0, (cell_width - width) // 2)
    fmt = paragraph.paragraph_format
    fmt.alignment = WD_ALIGN_PARAGRAPH.CENTER
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    fmt.line_spacing = Pt(2)
    fmt.left_indent = Twips(side)
    fmt.right_indent = Twips(side)
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    ppr.append(borders)


# --- tables ----------------------------------------------------------------------------
def _table(container, widths: list[int], borders: bool):
    table = container.add_table(rows=0, cols=len(widths))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tbl_pr.append(layout)
    width = OxmlElement("w:tblW")
    width.set(qn("w:w"), str(sum(widths)))
    width.set(qn("w:type"), "dxa")
    for old in tbl_pr.findall(qn("w:tblW")):
        tbl_pr.remove(old)
    tbl_pr.append(width)
    edges = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "single" if borders else "nil")
        if borders:
            element.set(qn("w:sz"), "4")
            element.set(qn("w:color"), "000000")
        edges.append(element)
    tbl_pr.append(edges)
    grid = table._tbl.tblGrid
    for col, w in zip(grid.findall(qn("w:gridCol")), widths, strict=False):
        col.set(qn("w:w"), str(w))
    return table


def _row(table, widths: list[int]):
    row = table.add_row()
    for cell, w in zip(row.cells, widths, strict=False):
        cell.width = Twips(w)
        for p in cell.paragraphs:
            p.paragraph_format.space_after = Pt(0)
    return row


def _cell_text(
    cell, text: str, size: float = 12, bold: bool = False, italic: bool = False, align=WD_ALIGN_PARAGRAPH.CENTER
):
    paragraph = cell.paragraphs[0]
    paragraph.paragraph_format.alignment = align
    paragraph.paragraph_format.space_after = Pt(0)
    paragraph.paragraph_format.space_before = Pt(0)
    if text:
        run(paragraph, text, size, bold, italic)
    return paragraph


def _repeat_header(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    tr_pr.append(header)


def _cant_split(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))


# --- page setup ------------------------------------------------------------------------
def _page(section, spec: dict, landscape: bool = False) -> None:
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width = Twips(spec["width"])
    section.page_height = Twips(spec["height"])
    section.top_margin = Twips(spec["top"])
    section.bottom_margin = Twips(spec["bottom"])
    section.left_margin = Twips(spec["left"])
    section.right_margin = Twips(spec["right"])
    section.header_distance = Twips(567)
    section.footer_distance = Twips(567)
    section.different_first_page_header_footer = True


def _page_number(header) -> None:
    """A centred PAGE field, 14 pt: page numbers in the header, from page 2."""
    paragraph = header.paragraphs[0]
    paragraph.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for kind, text in (("begin", None), ("instr", " PAGE "), ("separate", None), ("text", "2"), ("end", None)):
        r = run(paragraph, "", 14)
        if kind == "instr":
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        elif kind == "text":
            element = OxmlElement("w:t")
            element.text = text
        else:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        r._r.append(element)


def _restart_numbering(section) -> None:
    number = OxmlElement("w:pgNumType")
    number.set(qn("w:start"), "1")
    section._sectPr.append(number)


# --- the document ----------------------------------------------------------------------
def header_block(document) -> None:
    left, right = 4000, 5400
    table = _table(document, [left, right], borders=False)
    first = _row(table, [left, right])
    _cell_text(first.cells[0], "{{ parent }}", 12)
    issuer = first.cells[0].add_paragraph()
    issuer.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run(issuer, "{{ issuer }}", 12, bold=True)
    rule(first.cells[0], 1400, left)
    _cell_text(first.cells[1], "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 12, bold=True)
    motto = first.cells[1].add_paragraph()
    motto.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run(motto, "Độc lập - Tự do - Hạnh phúc", 13, bold=True)
    rule(first.cells[1], 3450, right)
    second = _row(table, [left, right])
    number = _cell_text(second.cells[0], "Số: {{ number }}/BC-{{ abbreviation }}", 13)
    number.paragraph_format.space_before = Pt(6)
    date = _cell_text(second.cells[1], "{{ place }}, {{ date_line }}", 14, italic=True)
    date.paragraph_format.space_before = Pt(6)


def title_block(document) -> None:
    para(document, "", 14)
    para(document, "BÁO CÁO", 14, bold=True)
    para(document, "{{ subject }}", 14, bold=True)
    rule(document, 2600, 8787)
    para(document, "", 14)
    tag(document, "{%p if recipients|length == 1 %}")
    para(document, "Kính gửi: {{ recipients[0] }}.", 14)
    tag(document, "{%p else %}")
    para(document, "Kính gửi:", 14)
    tag(document, "{%p for r in recipients %}")
    para(document, "- {{ r }}{% if loop.last %}.{% else %};{% endif %}", 14)
    tag(document, "{%p endfor %}")
    tag(document, "{%p endif %}")
    para(document, "", 14)


def chart(document, name: str, caption: str) -> None:
    """A chart picture (an InlineImage variable) on its own page, kept with its caption."""
    tag(document, f"{{%p if {name} %}}")
    picture = para(document, f"{{{{ {name} }}}}", 14)
    picture.paragraph_format.keep_with_next = True
    picture.paragraph_format.page_break_before = True
    para(document, caption, 13, italic=True, after=6)
    tag(document, "{%p endif %}")


def body_text(document) -> None:
    """The body: every sentence comes from reportgen.narrative; the template lays out its parts
    (I., II., …) and their numbered blocks, and the closing sentence."""
    b = {"body": True}
    para(
        document,
        "Thực hiện {{ basis }}, {{ issuer_name }} báo cáo kết quả thực hiện các chỉ tiêu {{ period_text }} "
        "({{ sources }}) như sau:",
        **b,
    )
    tag(document, "{%p for part in parts %}")
    para(document, "{{ part.title }}", bold=True, keep=True, **b)
    tag(document, "{%p for block in part.blocks %}")
    tag(document, "{%p if block.title %}")
    para(document, "{{ block.title }}", bold=True, keep=True, **b)
    tag(document, "{%p endif %}")
    tag(document, "{%p for line in block.lines %}")
    para(document, "{{ line }}", **b)
    tag(document, "{%p endfor %}")
    tag(document, "{%p endfor %}")
    tag(document, "{%p endfor %}")
    para(
        document,
        "Trên đây là báo cáo kết quả thực hiện các chỉ tiêu {{ period_text }} ({{ appendix_note }}); "
        "{{ issuer_name }} kính báo cáo {{ report_to }} xem xét, chỉ đạo./.",
        **b,
    )


def signature(document) -> None:
    left, right = 3800, 5300
    table = _table(document, [left, right], borders=False)
    row = _row(table, [left, right])
    _cant_split(row)  # the signature and "Nơi nhận" stay on one page
    cell = row.cells[0]
    _cell_text(cell, "Nơi nhận:", 12, bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    tag(cell, "{%p for c in copies %}")
    line = cell.add_paragraph()
    run(line, "- {{ c }};", 11)
    tag(cell, "{%p endfor %}")
    last = cell.add_paragraph()
    run(last, "- Lưu: VT, {{ drafting_unit }}.", 11)
    right_cell = row.cells[1]
    _cell_text(right_cell, "{{ signer_authority }}", 14, bold=True)
    title = right_cell.add_paragraph()
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run(title, "{{ signer_title }}", 14, bold=True)
    for _ in range(4):
        right_cell.add_paragraph()
    name = right_cell.add_paragraph()
    name.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run(name, "{{ signer_name }}", 14, bold=True)


def appendix(document) -> None:
    section = document.add_section(WD_SECTION.NEW_PAGE)
    _page(section, LANDSCAPE, landscape=True)
    _restart_numbering(section)
    para(document, "Phụ lục", 14, bold=True)
    para(document, "KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU {{ period_upper }}", 14, bold=True)
    para(
        document,
        "(Kèm theo Báo cáo số {{ number }}/BC-{{ abbreviation }} {{ date_line }} của {{ issuer_name }})",
        13,
        italic=True,
    )
    rule(document, 2600, LANDSCAPE["width"] - LANDSCAPE["left"] - LANDSCAPE["right"])
    para(document, "", 12)
    widths = [w for _, w in APPENDIX_COLUMNS]
    table = _table(document, widths, borders=True)
    head = _row(table, widths)
    _repeat_header(head)
    for cell, (title, _) in zip(head.cells, APPENDIX_COLUMNS, strict=False):
        _cell_text(cell, title, 12, bold=True)
    loops = [
        ("{%tr for plan in appendix %}", None),
        ("{{ plan.title }}", "plan"),
        ("{%tr for section in plan.sections %}", None),
        ("{{ section.title }}", "section"),
        ("{%tr for r in section.rows %}", None),
        (None, "data"),
        ("{%tr endfor %}", None),
        ("{%tr endfor %}", None),
        ("{%tr endfor %}", None),
    ]
    for text, kind in loops:
        row = _row(table, widths)
        if kind is None:
            _cell_text(row.cells[0], text, 12, align=WD_ALIGN_PARAGRAPH.LEFT)
        elif kind in ("plan", "section"):
            if kind == "section":
                _cell_text(row.cells[0], "{{ section.code }}", 12, bold=True)
            start = 0 if kind == "plan" else 1
            merged = row.cells[start].merge(row.cells[len(widths) - 1])
            heading = _cell_text(merged, text, 12, bold=True, italic=kind == "plan", align=WD_ALIGN_PARAGRAPH.LEFT)
            for paragraph in [heading, *row.cells[0].paragraphs]:
                paragraph.paragraph_format.keep_with_next = True  # a group heading never ends a page
            _cant_split(row)
        else:
            fields = [
                "r.stt", "r.name", "r.unit", "r.target", "r.value", "r.pct", "r.status", "r.lead", "r.monitor", "r.note"
            ]  # fmt: skip
            for index, (cell, name) in enumerate(zip(row.cells, fields, strict=False)):
                align = WD_ALIGN_PARAGRAPH.LEFT if index in (1, 7, 8, 9) else WD_ALIGN_PARAGRAPH.CENTER
                _cell_text(cell, f"{{{{ {name} }}}}", 12, align=align)
            _cant_split(row)
    para(document, "", 12)
    agencies(document)
    chart(document, "chart_behind", "{{ caption_behind }}")
    chart(document, "chart_sections", "{{ caption_sections }}")
    chart(document, "chart_trend", "{{ caption_trend }}")


def agencies(document) -> None:
    """The agencies whose report is missing, late or incomplete: every one of them (the body names ten)."""
    tag(document, "{%p if agency_rows %}")
    para(document, "TÌNH HÌNH BÁO CÁO CỦA CÁC CƠ QUAN, ĐƠN VỊ CHƯA ĐẦY ĐỦ, ĐÚNG HẠN", 13, bold=True)
    widths = [w for _, w in AGENCY_COLUMNS]
    table = _table(document, widths, borders=True)
    head = _row(table, widths)
    _repeat_header(head)
    for cell, (title, _) in zip(head.cells, AGENCY_COLUMNS, strict=False):
        _cell_text(cell, title, 12, bold=True)
    for text in ("{%tr for a in agency_rows %}", None, "{%tr endfor %}"):
        row = _row(table, widths)
        if text is not None:
            _cell_text(row.cells[0], text, 12, align=WD_ALIGN_PARAGRAPH.LEFT)
            continue
        for index, (cell, name) in enumerate(zip(row.cells, ["a.stt", "a.name", "a.state", "a.detail"], strict=True)):
            align = WD_ALIGN_PARAGRAPH.CENTER if index == 0 else WD_ALIGN_PARAGRAPH.LEFT
            _cell_text(cell, f"{{{{ {name} }}}}", 12, align=align)
        _cant_split(row)
    tag(document, "{%p endif %}")


def build(target: Path = TARGET) -> Path:
    document = Document()
    _styles(document)
    # python-docx starts with one empty paragraph in the body: drop it.
    root = document.element.body
    for paragraph in list(root.iterchildren(qn("w:p"))):
        root.remove(paragraph)
    first = document.sections[0]
    _page(first, PORTRAIT)
    _page_number(first.header)
    first.first_page_header.paragraphs[0].text = ""
    header_block(document)
    title_block(document)
    body_text(document)
    para(document, "", 14)
    signature(document)
    appendix(document)
    ooxml.finish(document, author="", title="Báo cáo kết quả thực hiện chỉ tiêu", day=date(2026, 1, 1))
    target.parent.mkdir(parents=True, exist_ok=True)
    document.save(target)
    return target


def build_summary(target: Path = SUMMARY) -> Path:
    """templates/xlsx/bieu-tong-hop.xlsx: the Excel summary's look, one row of each kind
    (see reportgen.xlsxstyle); an office restyles it in Excel."""
    import openpyxl
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    from reportgen.xlsxstyle import DEFAULT_HEADERS, FIELDS, TEMPLATE_SHEET

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = TEMPLATE_SHEET
    thin = Side(style="thin", color="000000")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    font = Font(name=FONT, size=11)
    sheet["A1"] = "Tên biểu (thay bằng tên kế hoạch và kỳ báo cáo)"
    sheet["A1"].font = Font(name=FONT, size=14, bold=True)
    sheet["A2"] = "Dòng 3: tiêu đề cột; dòng 4: dòng mục; dòng 5: định dạng từng cột của dòng số liệu."
    sheet["A2"].font = Font(name=FONT, size=10, italic=True)
    numbers = {"stt": "0", "value": "#,##0.##", "pct": "#,##0.0"}
    for index, (name, (header, width)) in enumerate(zip(FIELDS, DEFAULT_HEADERS, strict=True), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
        head = sheet.cell(3, index, header)
        head.font = Font(name=FONT, size=11, bold=True)
        head.fill = PatternFill("solid", fgColor="D9E1F2")
        head.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        head.border = box
        section = sheet.cell(4, index, "I. Tên mục" if index == 1 else None)
        section.font = Font(name=FONT, size=11, bold=True)
        section.fill = PatternFill("solid", fgColor="EDEDED")
        section.border = box
        data = sheet.cell(5, index)
        data.font = font
        data.border = box
        data.alignment = Alignment(
            vertical="top", wrap_text=True, horizontal="center" if name in ("stt", "code", "reporters") else None
        )
        data.number_format = numbers.get(name, "General")
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    target.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(target)
    return target


if __name__ == "__main__":
    path = build(Path(sys.argv[1]) if len(sys.argv) > 1 else TARGET)
    print(f"written {path}")
    if len(sys.argv) == 1:
        print(f"written {build_summary()}")

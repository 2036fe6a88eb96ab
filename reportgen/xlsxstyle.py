"""The Excel summary's look, read from ``templates/xlsx/bieu-tong-hop.xlsx``.

An office restyles the summary in Excel as it does the Word template: fonts,
fills, borders, number formats, header texts, column widths and print setup.
The template's sheet "Mau" holds one row of each kind:

- row 1: the title (its text is replaced);
- row 3: the header row (texts and widths are kept, one column per field);
- row 4: a section heading row;
- row 5: a data row: each column's format is the format of that column's data.

The summary is then written with XlsxWriter in constant memory (a national
collection has 300,000 rows), in the formats read here. A workspace without the
template uses the bundled one; a damaged one stops the report with a message
that names it, as a damaged Word template does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .errors import ReportError

__all__ = ["SummaryStyle", "read_style", "DEFAULT", "TEMPLATE_SHEET", "FIELDS"]

TEMPLATE_SHEET = "Mau"
EMU_PER_PIXEL = 9525
# The summary's columns, in the template's order (row 3 gives their header texts).
FIELDS = ("stt", "code", "name", "unit", "target", "value", "pct", "status", "lead", "monitor", "reporters", "note")
DEFAULT_HEADERS = (
    ("STT", 7),
    ("Mã", 9),
    ("Chỉ tiêu", 60),
    ("Đơn vị tính", 12),
    ("Kế hoạch", 18),
    ("Kết quả thực hiện", 18),
    ("Tỷ lệ TH/KH (%)", 11),
    ("Đánh giá", 16),
    ("Cơ quan chủ trì", 30),
    ("Cơ quan theo dõi", 24),
    ("Đơn vị đã báo cáo", 12),
    ("Ghi chú", 40),
)
_BASE = {"border": 1, "valign": "top", "text_wrap": True, "font_name": "Times New Roman", "font_size": 11}


@dataclass
class SummaryStyle:
    """XlsxWriter format properties for each kind of cell, and the page."""

    title: dict = field(default_factory=lambda: {"bold": True, "font_size": 14, "font_name": "Times New Roman"})
    head: dict = field(default_factory=lambda: {**_BASE, "bold": True, "align": "center", "bg_color": "#D9E1F2"})
    section: dict = field(default_factory=lambda: {**_BASE, "bold": True, "bg_color": "#EDEDED"})
    columns: dict[str, dict] = field(default_factory=dict)  # data format per field
    heads: dict[str, dict] = field(default_factory=dict)  # header format per field
    headers: list[tuple[str, float]] = field(default_factory=lambda: list(DEFAULT_HEADERS))
    landscape: bool = True
    paper: int = 9  # A4
    fit_width: bool = True
    source: Path | None = None  # the template the style came from; None: built in
    images: list[tuple[int, int, bytes, float, float]] = field(default_factory=list)  # logo: row, col, data, size

    def header(self, name: str) -> dict:
        return self.heads.get(name, self.head)

    def column(self, name: str) -> dict:
        default = {**_BASE, "num_format": "#,##0.##"} if name in ("stt", "value", "pct") else dict(_BASE)
        return self.columns.get(name, default)


DEFAULT = SummaryStyle()


def _colour(colour) -> str | None:
    """An openpyxl colour as "#RRGGBB" (theme and indexed colours are left to the default)."""
    rgb = getattr(colour, "rgb", None)
    if isinstance(rgb, str) and len(rgb) == 8 and rgb != "00000000":
        return "#" + rgb[2:]
    return None


def _properties(cell) -> dict:
    """The XlsxWriter format properties of an openpyxl cell."""
    props: dict = {}
    font = cell.font
    if font is not None:
        if font.name:
            props["font_name"] = font.name
        if font.sz:
            props["font_size"] = float(font.sz)
        if font.b:
            props["bold"] = True
        if font.i:
            props["italic"] = True
        if colour := _colour(font.color):
            props["font_color"] = colour
    fill = cell.fill
    if fill is not None and fill.fill_type == "solid" and (colour := _colour(fill.fgColor)):
        props["bg_color"] = colour
    sides = [cell.border.left, cell.border.right, cell.border.top, cell.border.bottom]
    styles = {"thin": 1, "medium": 2, "dashed": 3, "dotted": 4, "thick": 5, "double": 6, "hair": 7}
    for name, side in zip(("left", "right", "top", "bottom"), sides, strict=True):
        if side is not None and side.style in styles:
            props[name] = styles[side.style]
    align = cell.alignment
    if align is not None:
        if align.horizontal in ("left", "center", "right", "justify"):
            props["align"] = align.horizontal
        if align.vertical in ("top", "center", "bottom"):
            props["valign"] = {"center": "vcenter"}.get(align.vertical, align.vertical)
        if align.wrap_text:
            props["text_wrap"] = True
    if cell.number_format and cell.number_format != "General":
        props["num_format"] = cell.number_format
    return props


def read_style(path: Path) -> SummaryStyle:
    """The summary's style from a template workbook; :class:`ReportError` when it is not one."""
    import openpyxl
    from openpyxl.utils import get_column_letter

    try:
        workbook = openpyxl.load_workbook(path)  # a template is small, and an office's own file
    except Exception as exc:  # not a workbook, damaged, password-protected
        raise ReportError("template-unreadable", template=str(path), error=type(exc).__name__) from exc
    try:
        if TEMPLATE_SHEET not in workbook.sheetnames:
            raise ReportError("template-no-sheet", template=str(path), sheet=TEMPLATE_SHEET)
        sheet = workbook[TEMPLATE_SHEET]
        headers = []
        for index, _ in enumerate(FIELDS, start=1):
            text = sheet.cell(3, index).value
            width = sheet.column_dimensions[get_column_letter(index)].width or DEFAULT_HEADERS[index - 1][1]
            headers.append((str(text).strip() if text else DEFAULT_HEADERS[index - 1][0], float(width)))
        setup = sheet.page_setup
        images = []
        for image in getattr(sheet, "_images", []):  # the office's logo, where it put it
            start = getattr(image.anchor, "_from", None)
            if start is None:
                continue
            width, height = float(image.width), float(image.height)  # the picture's own size, in pixels
            extent = getattr(image.anchor, "ext", None)
            if extent is not None and extent.cx and extent.cy:  # the size the office gave it in Excel
                width, height = extent.cx / EMU_PER_PIXEL, extent.cy / EMU_PER_PIXEL
            images.append((start.row, start.col, image._data(), width, height))
        return SummaryStyle(
            images=images,
            title=_properties(sheet.cell(1, 1)),
            head=_properties(sheet.cell(3, 1)),
            section=_properties(sheet.cell(4, 1)),
            columns={name: _properties(sheet.cell(5, index)) for index, name in enumerate(FIELDS, start=1)},
            heads={name: _properties(sheet.cell(3, index)) for index, name in enumerate(FIELDS, start=1)},
            headers=headers,
            landscape=setup.orientation != "portrait",
            paper=int(setup.paperSize or 9),
            fit_width=bool(sheet.sheet_properties.pageSetUpPr and sheet.sheet_properties.pageSetUpPr.fitToPage),
            source=path,
        )
    finally:
        workbook.close()

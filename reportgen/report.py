"""The documents leadership receives: the Word report in the official format
(Nghị định 30/2020) rendered from a docxtpl template, its charts, the Excel
summary (Biểu tổng hợp), and a PDF made by LibreOffice when it is installed.

The template carries the layout; this module only fills data, always with
``autoescape=True`` so that "&", "<" and ">" in names and notes survive.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import xlsxwriter

from . import charts, narrative
from .atomic import write_whole
from .catalog import Catalog, Item
from .errors import ReportError, ToolMissing, UsageError
from .evaluate import (
    BAD,
    CHUA_CO_SO_LIEU,
    AgencyValue,
    History,
    Status,
    target_line,
)
from .fit import row_height
from .forms import print_scale
from .layout import CHARTS_DIR, chart_file, report_stem, row_key, summary_file
from .office import convert
from .overview import Overview
from .periods import Period
from .text import format_number, mid, shown_target, vn_date_line
from .xlsxstyle import DEFAULT as DEFAULT_STYLE
from .xlsxstyle import FIELDS, SummaryStyle

__all__ = ["ReportFiles", "build_context", "render_docx", "write_summary", "to_pdf", "make_report"]

TEMPLATE = "bao-cao.docx"


@dataclass
class ReportFiles:
    docx: Path
    xlsx: Path
    charts: list[Path] = field(default_factory=list)
    pdf: Path | None = None
    warnings: list[str] = field(default_factory=list)  # what the office should know (a font replaced)


# ---------------------------------------------------------------------------------------
# The data the template shows
# ---------------------------------------------------------------------------------------
def _lead(item: Item | None, status: Status, names: dict[str, str]) -> str:
    """Cơ quan chủ trì: the agencies the plan gives the work to, by their registered names (never the
    seed's own text, with its typos)."""
    codes = (item.implementers or item.reporters) if item is not None else []
    if codes:
        return ", ".join(dict.fromkeys(names.get(code, code) for code in codes))
    return names.get(status.lead or "", "")


def _monitor(status: Status, names: dict[str, str]) -> str:
    """Cơ quan theo dõi: the agency answerable for the indicator."""
    return names.get(status.monitor or "", "")


def check_number(number: str, abbreviation: str) -> str:
    """A report's number as the office types it: "5", "05", "05/BC-SKHCN"; the number part, or UsageError.

    >>> check_number("05/BC-SKHCN", "SKHCN"), check_number(" 5 ", "SKHCN")
    ('05', '05')
    """
    text = number.strip()
    suffix = f"/BC-{abbreviation}"
    if text.upper().endswith(suffix.upper()):
        text = text[: -len(suffix)]
    if not re.fullmatch(r"\d{1,5}", text):
        raise UsageError("bad-number", value=number, suffix=suffix)
    return document_number(text)


def document_number(number: str) -> str:
    """ND30 writes a document number below 10 with two digits: "5" → "05".

    >>> document_number("5"), document_number("12"), document_number("")
    ('05', '12', '')
    """
    number = number.strip()
    return number.zfill(2) if number.isdigit() else number


ROMAN = ("I", "II", "III", "IV", "V", "VI")


def _parts(found: narrative.Findings, questioned: list[str]) -> list[dict]:
    """The body as parts (I., II., …) of numbered blocks, each a list of paragraphs; a block
    with nothing to say is left out and the numbering closes up."""

    def block(title: str, *groups: list[str]) -> dict | None:
        lines = [line for group in groups for line in group if line]
        return {"title": title, "lines": lines} if lines else None

    def bullets(lines: list[str]) -> list[str]:
        return [f"- {line}" for line in lines]

    achieved = bullets(found.achieved) + [found.achieved_more]
    if not found.achieved:
        achieved = ["Trong kỳ chưa có chỉ tiêu nào được đánh giá đạt hoặc vượt mục tiêu."]
    behind = bullets(found.behind) + [found.behind_more]
    if not found.behind:
        behind = ["Trong số các chỉ tiêu đã có số liệu, không có chỉ tiêu nào chậm tiến độ hoặc chưa đạt."]
    raw = [
        (
            "KẾT QUẢ ĐẠT ĐƯỢC",
            [
                block("Khái quát chung", [found.overview]),
                block("Các kết quả nổi bật", achieved),
                block("Các nhiệm vụ đã hoàn thành", bullets(found.tasks_done) + [found.tasks_more]),
            ],
        ),
        (
            "TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN",
            [
                block("Các chỉ tiêu chậm tiến độ, chưa đạt", behind),
                block("Các nhiệm vụ quá hạn", bullets(found.overdue)),
                block("Số liệu cần xác minh trước khi đánh giá", bullets(questioned)),
                block("Tình hình báo cáo của các cơ quan, đơn vị", found.reporting),
            ],
        ),
        ("ĐỀ XUẤT, KIẾN NGHỊ", [block("", bullets(found.proposals))]),
    ]
    parts: list[dict] = []
    for title, blocks in raw:
        kept = [b for b in blocks if b]
        if not kept:
            continue
        numbered = len(kept) > 1
        for index, b in enumerate(kept, start=1):
            b["title"] = f"{index}. {b['title']}" if numbered and b["title"] else ""
        parts.append({"title": f"{ROMAN[len(parts)]}. {title}", "blocks": kept})
    return parts


def build_context(
    view: Overview, catalog: Catalog, settings: dict, today: date, number: str | None = None, titled: bool = False
) -> dict:
    """Everything the template needs, as plain strings and lists. ``titled``: the report covers
    the plans it was asked for, and its subject names them."""
    names = view.names
    items = {(i.plan, i.code): i for p in view.plans for i in p.items}
    summary = view.summary
    found = narrative.findings(view, items, settings, today)
    own = settings.get("office.issuer_code", "")
    expected = [a for a in view.agencies if a.code != own or not a.missing]
    sources = (
        f"số liệu đến ngày {view.cutoff:%d/%m/%Y}, tổng hợp từ báo cáo của "
        f"{summary['agencies_reported']}/{len(expected)} cơ quan, đơn vị"
    )
    if view.provisional:
        sources += "; số liệu tạm tính do kỳ báo cáo chưa kết thúc"
    if view.effective is not None and view.effective != view.period:
        sources += f" (báo cáo tiến độ đến {mid(view.effective.label)})"
    context = {
        "parent": settings["office.parent"],
        "issuer": settings["office.issuer"],
        "issuer_name": settings["office.issuer_name"],
        "abbreviation": settings["office.issuer_short"],
        "number": document_number(number or settings["report.number"] or "") or "\u00a0" * 6,
        "place": settings["office.place"],
        "date_line": vn_date_line(today),
        "subject": _subject(view, settings, titled),
        "recipients": list(settings["report.recipients"]),
        "report_to": settings["report.report_to"],
        "basis": settings["report.basis"],
        "period_text": mid(view.period.label),
        "period_upper": view.period.label.upper(),
        "period_range": f"từ ngày {view.period.start:%d/%m/%Y} đến ngày {view.period.cutoff:%d/%m/%Y}",
        "sources": sources,
        "parts": _parts(found, found.questioned),
        "appendix_note": narrative.APPENDIX,
        "copies": list(settings["report.copies_to"]),
        "drafting_unit": settings["office.drafting_unit"],
        "signer_authority": settings["report.signer_authority"],
        "signer_title": settings["report.signer_title"],
        "signer_name": settings["report.signer_name"],
        "appendix": _appendix(view, items, names),
        "agency_rows": _agency_rows(view, own),
    } | captions(view)
    return context


_STATE_WORDS = {
    "missing": "Chưa gửi báo cáo",
    "rejected": "Chỉ có tệp bị từ chối",
    "held": "Tệp đang giữ lại (gửi từ địa chỉ khác)",
    "late": "Gửi muộn",
    "partial": "Còn dòng chưa có số liệu",
    "problems": "Còn lỗi cần sửa",
}


def _agency_rows(view: Overview, own: str) -> list[dict]:
    """Every agency whose report is not complete and on time, for the appendix (the body names ten)."""
    out: list[dict] = []
    for a in view.agencies:
        if a.state in _STATE_WORDS and not (a.code == own and a.missing):
            detail = (
                f"{a.unfilled} dòng" if a.state == "partial" else f"{a.problems} lỗi" if a.state == "problems" else ""
            )
            out.append({"stt": str(len(out) + 1), "name": a.name, "state": _STATE_WORDS[a.state], "detail": detail})
    return out


def _subject(view: Overview, settings: dict, titled: bool) -> str:
    period = mid(view.period.label)
    if titled:
        subject = settings["report.subject"]
        mark = subject[: subject.index("]") + 1] + " " if subject.startswith("[") and "]" in subject else ""
        return f"{mark}Kết quả thực hiện các chỉ tiêu của {'; '.join(p.reference for p in view.plans)} {period}"
    return f"{settings['report.subject']} {period}"


def _appendix(view: Overview, items: dict, names: dict[str, str]) -> list[dict]:
    plans = []
    for plan in view.plans:
        sections = []
        for code, title in plan.sections.items():
            rows = []
            for s in (x for x in view.statuses if x.plan == plan.id and x.section == code):
                rows.append(_appendix_row(s, items, names))
            if rows:
                sections.append({"code": code, "title": title, "rows": rows})
        if sections:
            plans.append({"title": plan.reference, "sections": sections})
    return plans


def _appendix_row(s: Status, items: dict, names: dict[str, str]) -> dict:
    note = []
    if s.provisional:
        note.append(f"tạm tính, thiếu {len(s.missing_agencies)} đơn vị")
    if s.carried:
        note.append(s.carried_from(names))
    if s.doubts:
        note.append("số liệu cần xác minh")
    if s.trend:
        note.append(s.trend)
    if s.kind != "indicator" and s.note and s.note not in s.value_text:
        note.append(s.note)
    reported = s.value is not None or s.kind != "indicator" or any(p.value is not None or p.assessment for p in s.parts)
    return {
        "stt": s.code.split(".", 1)[-1] if "." in s.code else s.code,
        "name": s.name,
        "unit": s.unit,
        "target": shown_target(s.target_text if s.kind == "indicator" else s.governing),
        "value": s.value_text if reported else "",
        "pct": format_number(round(s.completion_pct, 1)) if s.completion_pct is not None else "",
        "status": s.status,
        "lead": _lead(items.get((s.plan, s.code)), s, names),
        "monitor": _monitor(s, names),
        "note": "; ".join(note),
    }


def _chart_inputs(view: Overview) -> tuple[list, list, list]:
    """What the three charts draw: status counts by section, the indicators behind, the trends."""
    several = len(view.plans) > 1
    shorts = {p.id: p.short for p in view.plans}

    def code(plan: str, code: str) -> str:
        """A code as a chart shows it: with its plan first when the report covers several."""
        return f"{shorts[plan]}, {code}" if several else code

    groups = []
    for plan in view.plans:
        for section, title in plan.sections.items():
            rows = [s for s in view.statuses if s.plan == plan.id and s.section == section and s.kind == "indicator"]
            groups.append((f"{code(plan.id, section)}. {title}", rows))
    behind = sorted(
        (
            (f"{code(s.plan, s.code)}: {s.name}", s.completion_pct)
            for s in view.statuses
            if s.kind == "indicator" and s.status in BAD and s.completion_pct is not None
        ),
        key=lambda pair: pair[1],
    )
    return groups, behind, _trend_panels(view)


def chart_data(view: Overview) -> dict[str, bytes | None]:
    groups, behind, panels = _chart_inputs(view)
    return {
        "chart_behind": charts.behind_progress(behind),
        "chart_sections": charts.status_by_section(groups),
        "chart_trend": charts.trend_lines(panels),
    }


def captions(view: Overview) -> dict[str, str]:
    """What each chart shows and why (a selection says so), numbered over the charts drawn."""
    groups, behind, panels = _chart_inputs(view)
    indicators = sum(1 for s in view.statuses if s.kind == "indicator")
    shown = min(len(behind), charts.BEHIND_SHOWN)
    texts = {
        "behind": (
            bool(behind),
            f"Mức độ hoàn thành so với mục tiêu (%) của {shown} chỉ tiêu chậm tiến độ, chưa đạt"
            + (f" thấp nhất trong tổng số {len(behind)} chỉ tiêu" if len(behind) > shown else "")
            + "; nét đứt: mức 100% của mục tiêu.",
        ),
        "sections": (
            any(rows for _, rows in groups),
            f"Kết quả đánh giá của cả {indicators} chỉ tiêu theo lĩnh vực (số chỉ tiêu ở mỗi mức đánh giá).",
        ),
        "trend": (
            bool(charts.drawable(panels)),
            f"Diễn biến hằng tháng của {len(charts.drawable(panels))} chỉ tiêu có số liệu từ hai tháng trở lên (các "
            "chỉ tiêu chậm tiến độ trước, rồi các chỉ tiêu có nhiều đơn vị báo cáo), so với lộ trình đến mục tiêu "
            "(nét đứt, dừng ở thời hạn) và mục tiêu (chấm).",
        ),
    }
    out, number = {}, 0
    for name, (drawn, text) in texts.items():
        if drawn:
            number += 1
        out[f"caption_{name}"] = f"Biểu đồ {number}. {text}" if drawn else ""
    return out


def _trend_panels(view: Overview) -> list:
    """The main indicators with a record of several months: those behind first, then the others."""
    items = {(i.plan, i.code): i for p in view.plans for i in p.items}
    history = _history(view)
    candidates = [
        s
        for s in view.statuses
        if s.kind == "indicator"
        and len(s.parts) == 1
        and sum(1 for point in s.series if point["value"] is not None) >= 2
    ]
    candidates.sort(key=lambda s: (s.status not in BAD, -s.reporters_received, s.plan, s.code))
    several = len(view.plans) > 1
    shorts = {p.id: p.short for p in view.plans}
    at = view.effective or view.period
    panels = []
    for s in candidates[:6]:
        months = [Period.parse(point["period"]) for point in s.series]
        line = target_line(items[(s.plan, s.code)], at, history)
        expected = []
        target = None
        if line is not None:
            (m0, v0), (m1, v1) = line
            target = v1
            expected = [  # the roadmap stops at the deadline
                (_month_label(p), v0 + (v1 - v0) * (p.month_number - m0) / (m1 - m0))
                for p in months
                if m1 > m0 and m0 <= p.month_number <= m1
            ]
        elif s.parts and s.parts[0].target is not None and s.parts[0].target.value is not None:
            target = s.parts[0].target.value
        values = [(_month_label(p), point["value"]) for p, point in zip(months, s.series, strict=True)]
        title = f"{shorts[s.plan] + ', ' if several else ''}{s.code}: {s.name}"
        panels.append((title, s.unit, values, expected, target))
    return panels


def _month_label(period: Period) -> str:
    return f"{period.index:02d}/{period.year % 100:02d}"


def _history(view: Overview) -> History:
    out: dict[int, dict[str, float]] = {}
    for s in view.statuses:
        for point in s.series:
            if point["value"] is not None:
                key = row_key(s.plan, s.code, s.parts[0].part if s.parts else None)
                out.setdefault(Period.parse(point["period"]).month_number, {})[key] = point["value"]
    return History(out)


# ---------------------------------------------------------------------------------------
# Word
# ---------------------------------------------------------------------------------------
def render_docx(template: Path, context: dict, pictures: dict[str, bytes | None], target: Path, day: date) -> Path:
    """Fill the template, then make the file as Word expects it (:mod:`reportgen.ooxml`): schema
    order, the short lines fitted to the texts above them, and the document's properties."""
    from docx import Document
    from docxtpl import DocxTemplate, InlineImage

    from . import ooxml

    try:
        document = DocxTemplate(str(template))
    except Exception as exc:  # a damaged or non-Word template
        raise ReportError("template-unreadable", template=str(template), error=type(exc).__name__) from exc
    full = dict(context)
    for name, png in pictures.items():
        full[name] = InlineImage(document, io.BytesIO(png), width=charts.print_width()) if png else ""
    try:
        document.render(full, autoescape=True)
    except Exception as exc:  # jinja2 errors from a template edited by hand
        raise ReportError("template-tags", template=template.name, error=str(exc)) from exc
    target.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    document.save(buffer)
    final = Document(buffer)
    ooxml.finish(
        final,
        author=context.get("issuer_name", ""),
        title=f"Báo cáo {context.get('subject', '')}".strip(),
        day=day,
    )
    return write_whole(target, lambda temp: final.save(str(temp)))


_REPORT_FONTS = ("TimesNewRoman", "Times-Roman", "LiberationSerif")  # Times New Roman, or its metric twin


def fonts_used(pdf: Path) -> set[str]:
    """The font families a PDF's text is set in (subset prefixes and styles left out)."""
    import pdfplumber

    with pdfplumber.open(str(pdf)) as document:
        names = {c["fontname"] for page in document.pages for c in page.chars}
    return {name.partition("+")[2] or name for name in names}


def font_warning(fonts: set[str]) -> str | None:
    """A warning when a report's PDF is not set in Times New Roman alone (a machine that lacks the
    font or its Vietnamese letters fills them from another face, mid-word).

    >>> font_warning({"LiberationSerif-Bold", "TimesNewRomanPSMT"}) is None
    True
    >>> font_warning({"LiberationSerif", "DejaVuSerif"})[:63]
    'Bản PDF dùng phông thay thế DejaVuSerif cho một số chữ vì máy t'
    """
    others = sorted({f.split("-")[0] for f in fonts if not f.replace(",", "-").startswith(_REPORT_FONTS)})
    if not others:
        return None
    return (
        f"Bản PDF dùng phông thay thế {', '.join(others)} cho một số chữ vì máy thiếu phông Times New Roman (hoặc "
        "Liberation Serif 2.x có đủ chữ tiếng Việt): cài phông Times New Roman, hoặc trên Linux cài gói "
        "fonts-liberation2, rồi lập lại PDF. Bản .docx không bị ảnh hưởng."
    )


def text_fingerprint(pdf: Path) -> str:
    """A fingerprint of the words a PDF shows, page numbers left out: the same for every PDF of one
    document made by the same converter, different as soon as one figure differs."""
    import pdfplumber

    with pdfplumber.open(str(pdf)) as document:
        words = [w for page in document.pages for w in (page.extract_text() or "").split()]
    kept = sorted(w for w in words if not (w.isdigit() and len(w) <= 3))
    return hashlib.sha256("\n".join(kept).encode("utf-8")).hexdigest()


def to_pdf(docx: Path, folder: Path, libreoffice: str = "") -> Path:
    """Convert with LibreOffice (soffice, or the configured path); ToolMissing when it is not installed."""
    pdf = convert(docx, folder, "pdf", configured=libreoffice)
    if pdf is None:
        raise ToolMissing("libreoffice")
    return pdf


# ---------------------------------------------------------------------------------------
# Excel summary
# ---------------------------------------------------------------------------------------
_STATUS_FILL = {status: colour for status, colour in charts.COLOURS.items()}
_FORMULA_START = ("=", "+", "-", "@")


def _safe_text(sheet, row: int, col: int, text, fmt, quoted) -> None:
    """Agency text is always a string cell; a leading = + - @ is kept as text, never a formula."""
    text = "" if text is None else str(text)
    sheet.write_string(row, col, text, quoted if text.startswith(_FORMULA_START) else fmt)


def write_summary(
    view: Overview,
    catalog: Catalog,
    values: dict[str, list[AgencyValue]],
    target: Path,
    style: SummaryStyle = DEFAULT_STYLE,
) -> Path:
    """The Excel summary in the look of ``style`` (read from templates/xlsx/bieu-tong-hop.xlsx)."""
    return write_whole(target, lambda temp: _write_summary(view, catalog.registry, values, temp, style))


def _write_summary(
    view: Overview, registry, values: dict[str, list[AgencyValue]], target: Path, style: SummaryStyle
) -> None:
    # constant_memory: rows are written in order and flushed, so memory stays flat at any scale.
    workbook = xlsxwriter.Workbook(
        str(target),
        {
            "constant_memory": True,
            "nan_inf_to_errors": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
            "default_format_properties": {"font_name": "Times New Roman", "font_size": 11},
        },
    )
    columns = {name: style.column(name) for name in FIELDS}
    fmt = {
        "title": workbook.add_format(style.title),
        "head": workbook.add_format(style.head),
        "heads": [workbook.add_format(style.header(name)) for name in FIELDS],
        "section": workbook.add_format(style.section),
        "quoted_plain": workbook.add_format({"quote_prefix": True}),
    }
    cells = {name: workbook.add_format(props) for name, props in columns.items()}
    quoted = {name: workbook.add_format({**props, "quote_prefix": True}) for name, props in columns.items()}
    status_fmt = {
        s: workbook.add_format({**columns["status"], "bg_color": c, "bold": s in BAD}) for s, c in _STATUS_FILL.items()
    }
    items = {(i.plan, i.code): i for p in view.plans for i in p.items}
    names = view.names
    used: set[str] = set()
    look = _Look(fmt, cells, quoted, status_fmt, style)
    for plan in view.plans:
        rows = [s for s in view.statuses if s.plan == plan.id]
        sheet = workbook.add_worksheet(_sheet_name(plan.short, used))  # a person reads the tabs: no ids
        _summary_sheet(sheet, f"{plan.reference} — {view.period.label}", plan, rows, items, names, look)
    by_monitor: dict[str, list[Status]] = {}
    for s in view.statuses:
        if s.monitor:
            by_monitor.setdefault(s.monitor, []).append(s)
    for monitor in sorted(by_monitor):
        short = getattr(registry.get(monitor), "short", "") or names.get(monitor, monitor)
        sheet = workbook.add_worksheet(_sheet_name(f"Theo dõi - {short}", used))
        title = f"Chỉ tiêu do {names.get(monitor, monitor)} theo dõi — {view.period.label}"
        _summary_sheet(sheet, title, None, by_monitor[monitor], items, names, look)
    _values_sheet(workbook.add_worksheet(_sheet_name("SoLieu", used)), view, values, names, fmt)
    workbook.close()


@dataclass
class _Look:
    """The formats of one summary workbook, by kind of cell."""

    fmt: dict
    cells: dict
    quoted: dict
    status: dict
    style: SummaryStyle


def _sheet_name(wanted: str, used: set[str]) -> str:
    name = "".join(c for c in wanted if c not in "[]:*?/\\")[:31]
    base, index = name, 2
    while name.lower() in used:
        suffix = f"~{index}"
        name = base[: 31 - len(suffix)] + suffix
        index += 1
    used.add(name.lower())
    return name


def _summary_sheet(sheet, title: str, plan, rows: list[Status], items, names, look: _Look) -> None:
    sheet.write_string(0, 0, title, look.fmt["title"])
    for row, col, data, width, height in look.style.images:  # the logo, at the size the office gave it
        from PIL import Image

        native = Image.open(io.BytesIO(data)).size
        options = {"image_data": io.BytesIO(data), "object_position": 3}
        options |= {"x_scale": width / native[0], "y_scale": height / native[1]} if all(native) else {}
        sheet.insert_image(row, col, "logo.png", options)
        if row < 2:
            sheet.set_row(row, max(15.0, height * 0.75))  # its row as tall as the logo (points)
    width = len(FIELDS)
    for col, (header, size) in enumerate(look.style.headers):
        sheet.set_column(col, col, size)
        sheet.write_string(2, col, header, look.fmt["heads"][col])

    def text(r: int, name: str, value) -> None:
        _safe_text(sheet, r, FIELDS.index(name), value, look.cells[name], look.quoted[name])

    def number(r: int, name: str, value: float | None) -> None:
        if value is None:
            sheet.write_blank(r, FIELDS.index(name), None, look.cells[name])
        else:
            sheet.write_number(r, FIELDS.index(name), value, look.cells[name])

    sizes = dict(zip(FIELDS, (size for _, size in look.style.headers), strict=False))
    r = 3
    current_section = None
    for index, s in enumerate(rows, start=1):
        if plan is not None and s.section != current_section:
            current_section = s.section
            heading = f"{s.section}. {plan.sections.get(s.section, '')}"
            sheet.merge_range(r, 0, r, width - 1, heading, look.fmt["section"])
            r += 1
        item = items.get((s.plan, s.code))
        note = "; ".join(
            x
            for x in (
                "tạm tính; chưa báo cáo: " + ", ".join(names.get(a, a) for a in s.missing_agencies)
                if s.provisional
                else "",
                s.carried_from(names),
                s.note if s.kind != "indicator" else "",
            )
            if x
        )
        texts = {"name": s.name, "target": shown_target(s.target_text), "lead": _lead(item, s, names), "note": note}
        # LibreOffice never grows a row to its wrapped text: the row is as tall as its longest cell
        sheet.set_row(r, row_height((t, sizes.get(n, 12) - 1) for n, t in texts.items() if n in sizes))
        number(r, "stt", index)
        text(r, "code", s.code)
        text(r, "name", s.name)
        text(r, "unit", s.unit)
        text(r, "target", shown_target(s.target_text) if s.kind == "indicator" else s.governing)
        if s.value is not None:
            number(r, "value", round(s.value, 4))
        else:
            text(r, "value", s.value_text if s.status != CHUA_CO_SO_LIEU else "")
        number(r, "pct", round(s.completion_pct, 1) if s.completion_pct is not None else None)
        sheet.write_string(r, FIELDS.index("status"), s.status, look.status.get(s.status, look.cells["status"]))
        text(r, "lead", _lead(item, s, names))
        text(r, "monitor", names.get(s.monitor or "", ""))
        text(r, "reporters", f"{s.reporters_received}/{s.reporters_expected}")
        text(r, "note", note)
        r += 1
    sheet.autofilter(2, 0, max(r - 1, 2), width - 1)
    sheet.freeze_panes(3, 3)
    if look.style.landscape:
        sheet.set_landscape()
    sheet.set_paper(look.style.paper)
    if look.style.fit_width:  # a scale, not "fit to width": LibreOffice then drops a long sheet's last rows
        sheet.set_print_scale(print_scale([size for _, size in look.style.headers], look.style.landscape))
    sheet.set_footer("&C&11Trang &P/&N")
    sheet.repeat_rows(2)


# A national collection (3,500 agencies × 90 rows) would take longer to write, and to open, than
# everything else together; above this many rows the sheet points to the database instead.
VALUES_SHEET_LIMIT = 60_000


def _values_sheet(sheet, view: Overview, values: dict[str, list[AgencyValue]], names, fmt) -> None:
    """Every agency's figure, one row each: plain cells (no borders), only those with content,
    so that a national collection (300,000 rows) stays quick to write and to open."""
    headers = [
        ("Kế hoạch", 20),
        ("Mã", 10),
        ("Cơ quan", 34),
        ("Giá trị", 12),
        ("Tử số", 10),
        ("Mẫu số", 10),
        ("Tự đánh giá / tình trạng", 18),
        ("Số, ngày văn bản", 22),
        ("Minh chứng / ghi chú", 50),
        ("Hợp lệ", 8),
    ]
    sheet.write_string(0, 0, f"Số liệu các cơ quan đã báo cáo — {view.period.label}", fmt["title"])
    rows = sum(len(v) for v in values.values())
    if rows > VALUES_SHEET_LIMIT:
        sheet.write_string(
            1,
            0,
            f"Có {format_number(rows)} dòng số liệu, quá nhiều cho một trang tính: xem "
            'số liệu từng cơ quan bằng "reportgen explain" hoặc trong cơ sở dữ liệu.',
        )
        return
    for col, (header, width) in enumerate(headers):
        sheet.set_column(col, col, width)
        sheet.write_string(2, col, header, fmt["head"])
    r = 3
    plain, quoted = None, fmt["quoted_plain"]
    shorts = {p.id: p.short for p in view.plans}
    for key in sorted(values):
        plan, _, code = key.partition("|")
        code = code.replace("|", " ")
        for v in values[key]:
            sheet.write_string(r, 0, shorts.get(plan, plan))
            sheet.write_string(r, 1, code)
            _safe_text(sheet, r, 2, names.get(v.agency, v.agency), plain, quoted)
            for col, number in ((3, v.value), (4, v.numerator), (5, v.denominator)):
                if number is not None:
                    sheet.write_number(r, col, number)
            if v.assessment:
                _safe_text(sheet, r, 6, v.assessment, plain, quoted)
            if v.doc_number or v.doc_date:
                _safe_text(sheet, r, 7, " ".join(x for x in (v.doc_number, v.doc_date) if x), plain, quoted)
            if v.evidence:
                _safe_text(sheet, r, 8, v.evidence, plain, quoted)
            sheet.write_string(r, 9, "có" if v.ok else "không")
            r += 1
    sheet.autofilter(2, 0, max(r - 1, 2), len(headers) - 1)
    sheet.freeze_panes(3, 0)


# ---------------------------------------------------------------------------------------
# Everything for a period
# ---------------------------------------------------------------------------------------
def make_report(
    view: Overview,
    catalog: Catalog,
    settings: dict,
    values: dict[str, list[AgencyValue]],
    template: Path,
    folder: Path,
    today: date,
    *,
    number: str | None = None,
    pdf: bool = False,
    plans: tuple[str, ...] = (),
    style: SummaryStyle = DEFAULT_STYLE,
) -> ReportFiles:
    """The report files of a period; a report on chosen ``plans`` is named after them, so that
    it sits beside the full report instead of replacing it."""
    period = str(view.period)
    pictures = chart_data(view)
    chart_dir = folder / CHARTS_DIR
    chart_dir.mkdir(parents=True, exist_ok=True)
    saved = []
    for name, png in pictures.items():
        if png:
            path = chart_dir / chart_file(period, name.removeprefix("chart_"), plans)
            path.write_bytes(png)
            saved.append(path)
    context = build_context(view, catalog, settings, today, number, titled=bool(plans))
    docx = render_docx(template, context, pictures, folder / f"{report_stem(period, plans)}.docx", today)
    xlsx = write_summary(view, catalog, values, folder / summary_file(period, plans), style)
    files = ReportFiles(docx=docx, xlsx=xlsx, charts=saved)
    if pdf:
        files.pdf = to_pdf(docx, folder)
    return files

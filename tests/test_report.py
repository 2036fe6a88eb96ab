"""The Word report checked against nd30-format.md, the Excel summary, charts and PDF."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from docx.oxml.ns import qn

from reportgen.cli import cli
from reportgen.layout import COLUMNS
from reportgen.overview import build_overview
from reportgen.periods import Period
from reportgen.report import make_report
from reportgen.store import Store

from .conftest import needs_soffice
from .helpers import fill, make_form, run_collect

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _report(workspace, tmp_path, plans=(), today=date(2026, 11, 20), number=None, collected=True, settings=None):
    if collected:
        khcn = make_form(workspace, "so-khcn", tmp_path / "sent")
        fill(
            khcn,
            {
                "ninh-binh-2026|I.5.1": {"value": 0.72},
                "ninh-binh-2026|II.4": {
                    "assessment": "Đã hoàn thành",
                    "doc_number": "125/QĐ-UBND",
                    "doc_date": "31/03/2026",
                },
                "ninh-binh-2025-2045|III.4": {"value": 85},
                "ninh-binh-2026|I.4.2": {"numerator": 19, "denominator": 20},
            },
            edit=_typed_as_text("ninh-binh-2026|I.4.2", '=HYPERLINK("http://x") & <5 ca>'),
        )
        hoa_lu = make_form(workspace, "p-hoa-lu", tmp_path / "sent")
        fill(hoa_lu, {"ninh-binh-2026|I.4.2": {"numerator": 5, "denominator": 10}})
        run_collect(workspace, [khcn, hoa_lu])
    store = Store.open(workspace)
    selected = workspace.select_plans(plans)
    view = build_overview(workspace.catalog, selected, store, Period.parse("2026-11"), today, submission_day=16)
    store.close()
    merged = dict(workspace.settings, **(settings or {}))
    files = make_report(
        view,
        workspace.catalog,
        merged,
        view.values,
        workspace.template("docx", "bao-cao.docx"),
        tmp_path / "out",
        today,
        number=number,
    )
    return files, view


def _typed_as_text(key, text):
    """A note an agency typed that looks like a formula but is stored as text."""

    def edit(workbook):
        for row in workbook["BaoCao"].iter_rows():
            if row[0].value == key:
                row[COLUMNS["note"]].value = text
                row[COLUMNS["note"]].data_type = "s"

    return edit


def _texts(paragraphs):
    return [p.text for p in paragraphs]


def _all_paragraphs(document):
    body = list(document.paragraphs)
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                body.extend(cell.paragraphs)
    return body


def _size(run):
    rpr = run._r.rPr
    if rpr is not None and rpr.find(qn("w:sz")) is not None:
        return int(rpr.find(qn("w:sz")).get(qn("w:val")))
    return None


def _runs_with(document, text):
    return [r for p in _all_paragraphs(document) for r in p.runs if text in r.text]


@pytest.fixture
def report(workspace, tmp_path):
    return _report(workspace, tmp_path)


def test_page_margins_and_sections(report):
    files, _ = report
    document = Document(files.docx)
    portrait, landscape = document.sections
    assert abs(portrait.page_width.twips - 11906) <= 2 and abs(portrait.page_height.twips - 16838) <= 2
    assert 1134 <= portrait.top_margin.twips <= 1418 and 1134 <= portrait.bottom_margin.twips <= 1418
    assert 1701 <= portrait.left_margin.twips <= 1985 and 851 <= portrait.right_margin.twips <= 1134
    assert landscape.orientation == 1  # WD_ORIENT.LANDSCAPE
    assert landscape.page_width.twips > landscape.page_height.twips
    assert landscape._sectPr.find(qn("w:pgNumType")).get(qn("w:start")) == "1"
    for section in (portrait, landscape):
        assert section.different_first_page_header_footer  # w:titlePg: no number on page 1
    header = portrait.header._element
    instructions = "".join(t.text for t in header.iter(qn("w:instrText")))
    assert "PAGE" in instructions
    assert portrait.header.paragraphs[0].alignment == 1  # centred
    assert all(_size(r) == 28 for r in portrait.header.paragraphs[0].runs)
    assert not "".join(p.text for p in portrait.first_page_header.paragraphs).strip()


def test_times_new_roman_in_every_run_and_no_theme_fonts(report):
    files, _ = report
    import zipfile

    with zipfile.ZipFile(files.docx) as archive:
        for name in ("word/document.xml", "word/styles.xml", "word/header1.xml"):
            xml = archive.read(name).decode("utf-8")
            assert "Theme=" not in xml.replace("w:themeColor", ""), name
    document = Document(files.docx)
    runs = [r for p in _all_paragraphs(document) for r in p.runs if r.text.strip()]
    assert len(runs) > 200
    for run in runs:
        fonts = run._r.rPr.find(qn("w:rFonts"))
        assert fonts is not None, run.text
        for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            assert fonts.get(qn(slot)) == "Times New Roman", (run.text, slot)


def test_header_table_texts_sizes_and_lines(report, workspace):
    files, _ = report
    document = Document(files.docx)
    header = document.tables[0]
    left, right = header.rows[0].cells
    assert _texts(left.paragraphs)[:2] == ["UBND TỈNH NINH BÌNH", "SỞ KHOA HỌC VÀ CÔNG NGHỆ"]
    parent, issuer = left.paragraphs[0].runs[0], left.paragraphs[1].runs[0]
    assert _size(parent) in (24, 26) and not parent.bold
    assert _size(issuer) in (24, 26) and issuer.bold
    assert _texts(right.paragraphs)[:2] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    national, motto = right.paragraphs[0].runs[0], right.paragraphs[1].runs[0]
    assert _size(national) in (24, 26) and national.bold
    assert _size(motto) in (26, 28) and motto.bold
    # the short lines: a bottom border 1/3-1/2 of the issuer's width, and as long as the motto
    for cell, low, high in ((left, 0.3, 0.55), (right, 0.55, 0.75)):
        line = cell.paragraphs[2]
        assert line._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom")).get(qn("w:val")) == "single"
        width = cell.width.twips - line.paragraph_format.left_indent.twips - line.paragraph_format.right_indent.twips
        assert low <= width / cell.width.twips <= high
    for paragraph in list(left.paragraphs) + list(right.paragraphs):
        assert paragraph.alignment == 1


def test_number_and_date_lines(workspace, tmp_path):
    files, _ = _report(workspace, tmp_path, today=date(2026, 2, 5), collected=False)
    number_cell, date_cell = Document(files.docx).tables[0].rows[1].cells
    assert re.fullmatch(r"Số:\s+/BC-SKHCN", number_cell.text.replace("\u00a0", " "))
    assert _size(number_cell.paragraphs[0].runs[0]) == 26
    assert not number_cell.paragraphs[0].runs[0].bold
    assert date_cell.text == "Ninh Bình, ngày 05 tháng 02 năm 2026"
    assert date_cell.paragraphs[0].runs[0].italic
    files, _ = _report(workspace, tmp_path / "b", today=date(2026, 3, 5), number="05", collected=False)
    number_cell, date_cell = Document(files.docx).tables[0].rows[1].cells
    assert number_cell.text == "Số: 05/BC-SKHCN"
    assert date_cell.text == "Ninh Bình, ngày 05 tháng 3 năm 2026"


def test_title_recipient_body_and_closing(report):
    files, view = report
    document = Document(files.docx)
    texts = _texts(document.paragraphs)
    title = texts.index("BÁO CÁO")
    assert texts[title + 1].startswith("Kết quả thực hiện các chỉ tiêu") and texts[title + 1].endswith("tháng 11/2026")
    for paragraph in document.paragraphs[title : title + 2]:
        assert paragraph.runs[0].bold and _size(paragraph.runs[0]) == 28 and paragraph.alignment == 1
    assert "Kính gửi: Ủy ban nhân dân tỉnh Ninh Bình." in texts
    for heading in (
        "I. KẾT QUẢ ĐẠT ĐƯỢC",
        "II. TỒN TẠI, HẠN CHẾ",
        "III. NHIỆM VỤ, GIẢI PHÁP TRONG THỜI GIAN TỚI",
        "IV. ĐỀ XUẤT, KIẾN NGHỊ",
    ):
        assert heading in texts
    assert texts[[i for i, t in enumerate(texts) if t.endswith("./.")][0]].startswith("Trên đây là báo cáo")
    body = [p for p in document.paragraphs if p.text.startswith(("Thực hiện", "Kỳ báo cáo", "- "))]
    for paragraph in body:
        fmt = paragraph.paragraph_format
        assert paragraph.alignment == 3  # justified
        assert fmt.first_line_indent.twips in (567, 720)
        assert fmt.space_after.pt >= 6
        assert 1.0 <= fmt.line_spacing <= 1.5
        assert all(_size(r) == 28 for r in paragraph.runs if r.text.strip())


def test_figures_match_the_evaluated_status(report):
    files, view = report
    text = "\n".join(_texts(Document(files.docx).paragraphs))
    summary = view.summary
    assert f"theo dõi {summary['indicators']} chỉ tiêu và {summary['tasks']} nhiệm vụ" in text
    assert f"{summary['agencies_reported']}/{summary['agencies_expected']} cơ quan" in text
    for status, count in summary["statuses"].items():
        assert f"- {status}: {count} (" in text
    # met: the digital transformation index 0,72 against "≥ 0.70"; ratio 24/30 = 80 % behind 95 %
    assert "Chỉ số chuyển đổi số cấp tỉnh (I.5.1): 0,72 so với chỉ tiêu Đạt tối thiểu 0.70" in text
    assert "(I.4.2) (chủ trì: Các sở, ban, ngành; UBND các xã, phường): 80% so với chỉ tiêu Đạt tối thiểu 95%" in text
    assert (
        "Quyết định ban hành Khung kiến trúc dữ liệu tỉnh Ninh Bình (II.4) (văn bản 125/QĐ-UBND ngày "
        "31/03/2026)" in text
    )
    assert "Chưa gửi báo cáo (33):" in text


def test_appendix_table(report):
    files, view = report
    document = Document(files.docx)
    table = document.tables[-1]
    header = [c.text for c in table.rows[0].cells]
    assert header == [
        "STT",
        "Chỉ tiêu",
        "Đơn vị tính",
        "Kế hoạch",
        "Kết quả thực hiện",
        "Tỷ lệ TH/KH (%)",
        "Đánh giá",
        "Cơ quan chủ trì",
        "Ghi chú",
    ]
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None  # repeated on each page
    rows = [[c.text for c in r.cells] for r in table.rows[1:]]
    data = [r for r in rows if r[0] != r[1]]  # group rows span the table
    assert len(data) - sum(len(p.sections) for p in view.plans) == len(view.statuses)
    dti = next(r for r in rows if r[1] == "Chỉ số chuyển đổi số cấp tỉnh" and r[3] != "≥ 0.75")
    assert dti[3:7] == ["Đạt tối thiểu 0.70", "0,72", "102,9", "Đã đạt"]
    grdp = next(r for r in rows if r[1].startswith("Kinh phí chi cho nghiên cứu phát triển (R&D)"))
    assert grdp[6] == "Chưa có số liệu"
    appendix = _texts(document.paragraphs)
    start = appendix.index("Phụ lục")
    assert appendix[start + 1] == "KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU THÁNG 11/2026"
    assert appendix[start + 2].startswith("(Kèm theo Báo cáo số")
    assert document.paragraphs[start + 2].runs[0].italic


def test_signature_block_and_recipients(report, workspace):
    files, _ = report
    left, right = Document(files.docx).tables[1].rows[0].cells
    head = left.paragraphs[0]
    assert head.text == "Nơi nhận:" and head.runs[0].bold and head.runs[0].italic and _size(head.runs[0]) == 24
    lines = [p for p in left.paragraphs[1:] if p.text]
    assert [p.text for p in lines] == [
        "- Như trên;",
        "- Giám đốc Sở (để b/c);",
        "- Các Phó Giám đốc Sở;",
        "- Lưu: VT, VP.",
    ]
    for line in lines[:-1]:
        assert re.fullmatch(r"- .+;", line.text) and _size(line.runs[0]) == 22
    assert re.fullmatch(r"- Lưu: VT, .+\.", lines[-1].text)
    authority = [p for p in right.paragraphs if p.text]
    assert [p.text for p in authority[:2]] == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"]
    assert all(p.runs[0].bold and _size(p.runs[0]) == 28 for p in authority[:2])


def test_configuration_drives_issuer_signer_and_recipients(workspace, tmp_path):
    settings = {
        "office.parent": "UBND TỈNH CAO BẰNG",
        "office.issuer_short": "SKHCN",
        "office.issuer_name": "Sở KH&CN <Cao Bằng>",
        "office.place": "Cao Bằng",
        "report.recipients": ["Bộ Khoa học và Công nghệ", "Ủy ban nhân dân tỉnh Cao Bằng"],
        "report.signer_authority": "GIÁM ĐỐC",
        "report.signer_title": "",
        "report.signer_name": "Nguyễn Văn A",
    }
    files, _ = _report(workspace, tmp_path, plans=("cao-bang-2030-2045",), collected=False, settings=settings)
    document = Document(files.docx)
    texts = _texts(document.paragraphs)
    assert document.tables[0].rows[0].cells[0].paragraphs[0].text == "UBND TỈNH CAO BẰNG"
    assert "Kính gửi:" in texts
    assert "- Bộ Khoa học và Công nghệ;" in texts and "- Ủy ban nhân dân tỉnh Cao Bằng." in texts
    assert any("Sở KH&CN <Cao Bằng> báo cáo" in t for t in texts)  # autoescape keeps & < >
    signature = [p.text for p in document.tables[1].rows[0].cells[1].paragraphs if p.text]
    assert signature == ["GIÁM ĐỐC", "Nguyễn Văn A"]
    assert document.tables[0].rows[1].cells[1].text.startswith("Cao Bằng, ngày")


def test_renders_with_nothing_collected_single_plan_and_all_plans(workspace, tmp_path):
    empty, view = _report(workspace, tmp_path / "empty", plans=("ninh-binh-2026",), collected=False)
    text = "\n".join(_texts(Document(empty.docx).paragraphs))
    assert {s.status for s in view.statuses} <= {"Chưa có số liệu", "Quá hạn"}
    assert "Chưa có chỉ tiêu nào được đánh giá đạt hoặc vượt" in text
    everything, view = _report(
        workspace,
        tmp_path / "all",
        plans=("ninh-binh-2025-2045", "ninh-binh-2026", "cao-bang-2030-2045"),
        collected=False,
    )
    assert len(view.statuses) >= 200
    table = Document(everything.docx).tables[-1]
    assert len(table.rows) > 200


def test_charts_are_embedded_and_saved(report):
    files, _ = report
    assert len(Document(files.docx).inline_shapes) == 2
    assert sorted(p.name for p in files.charts) == ["2026-11_bieu-do_behind.png", "2026-11_bieu-do_sections.png"]
    for chart in files.charts:
        data = chart.read_bytes()
        assert data.startswith(b"\x89PNG")
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        assert width > 600 and height > 150


def test_template_declares_only_known_variables(workspace, report):
    from docxtpl import DocxTemplate

    from reportgen.report import build_context

    _, view = report
    template = DocxTemplate(str(workspace.template("docx", "bao-cao.docx")))
    context = build_context(view, workspace.catalog, workspace.settings, date(2026, 11, 20))
    missing = template.get_undeclared_template_variables(
        context=context | {"chart_sections": "", "chart_behind": "", "chart_trend": ""}
    )
    assert missing == set()


def test_excel_summary(report):
    files, view = report
    workbook = openpyxl.load_workbook(files.xlsx)
    assert {"ninh-binh-2025-2045", "ninh-binh-2026", "SoLieu"} <= set(workbook.sheetnames)
    assert "TD-so-khcn" in workbook.sheetnames and "TD-vp-ubnd" in workbook.sheetnames
    sheet = workbook["ninh-binh-2026"]
    assert sheet.freeze_panes == "D4" and sheet.auto_filter.ref.startswith("A3:")
    rows = {r[1].value: r for r in sheet.iter_rows(min_row=4) if r[1].value}
    dti = rows["I.5.1"]
    assert (dti[5].value, dti[7].value) == (0.72, "Đã đạt")
    assert dti[7].fill.fgColor.rgb.endswith("81C784")
    behind = rows["I.4.2"]
    assert behind[7].value == "Chưa đạt" and behind[7].font.b
    values = workbook["SoLieu"]
    notes = [r[8] for r in values.iter_rows(min_row=4) if r[8].value]
    [note] = notes
    assert note.value == '=HYPERLINK("http://x") & <5 ca>' and note.data_type == "s"
    assert note.quotePrefix  # typed by an agency: shown as text, never run as a formula


def test_report_command_and_pdf(runner, workspace, tmp_path, monkeypatch):
    import shutil

    result = runner.invoke(cli, ["-w", str(workspace.root), "report", "--period", "2026-11", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["docx"] == "output/2026-11/bao-cao_2026-11.docx"
    assert data["xlsx"] == "output/2026-11/bieu-tong-hop_2026-11.xlsx"
    monkeypatch.setattr(shutil, "which", lambda name: None)
    result = runner.invoke(cli, ["-w", str(workspace.root), "report", "--period", "2026-11", "--pdf"])
    assert result.exit_code == 1
    assert "Chưa cài LibreOffice (soffice)" in result.output and "Tệp .docx đã được tạo" in result.output
    assert (workspace.root / "output/2026-11/bao-cao_2026-11.docx").exists()


@needs_soffice
def test_pdf_is_produced_with_a_sane_page_count(report, tmp_path):
    from reportgen.report import to_pdf

    files, _ = report
    pdf = to_pdf(files.docx, tmp_path)
    info = (
        subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=False).stdout
        if Path("/usr/bin/pdfinfo").exists()
        else ""
    )
    pages = (
        int(re.search(r"Pages:\s+(\d+)", info).group(1))
        if info
        else len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))
    )
    assert 6 <= pages <= 60

"""The Word report checked against nd30-format.md, the Excel summary, charts and PDF."""

from __future__ import annotations

import io
import json
import re
import subprocess
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from docx.oxml.ns import qn

from reportgen import charts, narrative, ooxml
from reportgen.cli import cli
from reportgen.layout import COLUMNS
from reportgen.overview import build_overview
from reportgen.periods import Period
from reportgen.report import make_report
from reportgen.store import Store

from .conftest import needs_soffice
from .helpers import fill, make_form, row_key, run_collect

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
        fill(
            hoa_lu,
            {
                "ninh-binh-2026|I.4.2": {
                    "numerator": 5,
                    "denominator": 10,
                    "cause": "Thiếu máy quét tài liệu; đã đề xuất mua bổ sung trong tháng 12.",
                }
            },
        )
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
        keys = {row[0].value for row in workbook["BaoCao"].iter_rows()}
        for row in workbook["BaoCao"].iter_rows():
            if row[0].value == row_key(key, keys):
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
    # the short lines: 1/3-1/2 of the issuer's text line, and as long as the motto
    for cell, low, high in ((left, 1 / 3, 1 / 2), (right, 0.95, 1.05)):
        line = cell.paragraphs[2]
        assert line._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom")).get(qn("w:val")) == "single"
        assert low <= ooxml.rule_share(line._p, cell.paragraphs[1]._p) <= high
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
    files, _ = _report(workspace, tmp_path / "b", today=date(2026, 3, 5), number="5", collected=False)
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
    for heading in ("I. KẾT QUẢ ĐẠT ĐƯỢC", "II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN", "III. ĐỀ XUẤT, KIẾN NGHỊ"):
        assert heading in texts
    for paragraph in document.paragraphs:
        if paragraph.text in ("I. KẾT QUẢ ĐẠT ĐƯỢC", "1. Khái quát chung"):
            assert paragraph.paragraph_format.keep_with_next and paragraph.runs[0].bold
    assert texts[[i for i, t in enumerate(texts) if t.endswith("./.")][0]].startswith("Trên đây là báo cáo")
    body = [p for p in document.paragraphs if p.text.startswith(("Thực hiện", "Kỳ báo cáo", "- "))]
    assert len(body) >= 8
    for paragraph in body:
        fmt = paragraph.paragraph_format
        assert paragraph.alignment == 3  # justified
        assert fmt.first_line_indent.twips in (567, 720)
        assert fmt.space_after.pt >= 6
        assert 1.0 <= fmt.line_spacing <= 1.5
        assert all(_size(r) == 28 for r in paragraph.runs if r.text.strip())


def appendix_table(document):
    """The appendix table of the indicators (after it: the agencies' reporting table)."""
    return next(t for t in document.tables if t.rows[0].cells[1].text == "Chỉ tiêu")


def _body(document) -> str:
    texts = _texts(document.paragraphs)
    return "\n".join(texts[: texts.index("Phụ lục")])


def test_figures_match_the_evaluated_status(report):
    files, view = report
    text = _body(Document(files.docx))
    summary = view.summary
    assert f"theo dõi {summary['indicators']} chỉ tiêu và {summary['tasks']} nhiệm vụ" in text
    assert f"báo cáo của {summary['agencies_reported']}/{summary['agencies_expected']} cơ quan" in text
    indicators = [s for s in view.statuses if s.kind == "indicator"]
    for _, label, members in narrative.GROUPS:  # the same counts as `status`, status by status
        if n := sum(1 for s in indicators if s.status in members):
            assert f"{n} {label}" in text or f"{n} chỉ tiêu {label}" in text
    assert view.summary["statuses"] == {s: n for s, n in view.summary["statuses"].items()}
    assert "- Đã đạt:" not in text and "Đúng tiến độ: " not in text
    tasks = [s for s in view.statuses if s.kind != "indicator"]
    assert f"về nhiệm vụ, {sum(1 for s in tasks if s.status == 'Đã hoàn thành')} nhiệm vụ đã hoàn thành" in text
    # met: the digital transformation index 0,72 against "≥ 0.70"; ratio 24/30 = 80 % behind 95 %
    # two plans: every indicator is named with its plan (codes such as II.4 exist in both)
    assert (
        "- Chỉ số chuyển đổi số cấp tỉnh (Kế hoạch năm 2026, I.5.1): 0,72, đã đạt mục tiêu tối thiểu 0,7 "
        "(tháng 12/2026)." in text
    )
    assert (
        "(Kế hoạch năm 2026, I.4.2): 80%, bằng 84,2% mục tiêu, chưa đạt mục tiêu tối thiểu 95% (thường xuyên); "
        "cơ quan theo dõi: Văn phòng UBND tỉnh." in text
    )
    task = (
        "- Quyết định ban hành Khung kiến trúc dữ liệu tỉnh Ninh Bình (Kế hoạch năm 2026, II.4): văn bản "
        "125/QĐ-UBND ngày 31/03/2026."
    )
    assert task in text
    assert "Chưa gửi báo cáo (33):" in text
    assert "(chi tiết tại Phụ lục kèm theo)" in text  # the body refers to the appendix


def test_every_indicator_behind_is_named_with_its_lead_and_cause(report):
    files, view = report
    text = _body(Document(files.docx))
    behind = [s for s in view.statuses if s.kind == "indicator" and s.status in ("Chậm tiến độ", "Chưa đạt")]
    assert behind
    names = view.names
    for s in behind[: narrative.BEHIND_SHOWN]:
        line = next(t for t in text.splitlines() if f", {s.code}):" in t and t.startswith("- "))
        assert f"cơ quan theo dõi: {names[s.monitor]}" in line
    cause = "theo báo cáo của UBND phường Hoa Lư: thiếu máy quét tài liệu; đã đề xuất mua bổ sung trong tháng 12)"
    assert cause in next(t for t in text.splitlines() if ", I.4.2):" in t)
    assert (
        "Chưa có cơ quan nào báo cáo nguyên nhân của chỉ tiêu số cán bộ nghiên cứu khoa học và công nghệ toàn tỉnh "
        "(Kế hoạch 2025-2045, III.4)." in text
    )
    assert "12 chỉ tiêu" not in text  # tasks are counted as tasks


def test_proposals_come_from_the_findings(report, workspace):
    files, view = report
    texts = _texts(Document(files.docx).paragraphs)
    start = texts.index("III. ĐỀ XUẤT, KIẾN NGHỊ")
    proposals = [t for t in texts[start + 1 : start + 6] if t.startswith("- ")]
    assert proposals
    assert any(t.startswith("- Đề nghị Ủy ban nhân dân tỉnh chỉ đạo") for t in proposals)  # to the recipient
    # the rate of digitised records, one measure of both plans (V.5 = I.4.2), is behind
    assert any("Đề nghị Văn phòng UBND tỉnh" in t and "(Kế hoạch 2025-2045, V.5)" in t for t in proposals)
    assert not any(re.search(r"\b[IV]+\.\d+(, [IV]+\.\d+){2,}", t) for t in proposals)  # never a list of bare codes
    # the template holds no sentence of its own between the parts
    from docxtpl import DocxTemplate

    template = DocxTemplate(str(workspace.template("docx", "bao-cao.docx")))
    fixed = [p.text for p in template.get_docx().paragraphs if p.text and "{" not in p.text]
    assert not any(t.startswith(("Đề nghị", "1.", "2.", "3.", "I.", "II.")) for t in fixed), fixed
    # nothing behind, every agency reported: no proposal at all
    items = {(i.plan, i.code): i for p in view.plans for i in p.items}
    found = narrative.findings(_quiet(view), items, workspace.settings, date(2026, 1, 1))
    assert found.proposals == [] and found.behind == [] and found.overdue == []
    assert found.reporting == ["Các cơ quan, đơn vị đều gửi báo cáo đầy đủ, đúng hạn."]


def _quiet(view):
    """The view with only the indicators met and every agency on time."""
    import dataclasses

    statuses = [s for s in view.statuses if s.status in ("Đạt", "Vượt", "Đã đạt")]
    agencies = [dataclasses.replace(a, unfilled=0, problems=0) for a in view.agencies if a.submitted_at]
    return dataclasses.replace(view, statuses=statuses, agencies=agencies)


def test_the_office_itself_is_never_listed_as_not_reporting(workspace, tmp_path):
    files, view = _report(workspace, tmp_path, collected=False)
    assert any(a.code == "so-khcn" and a.missing for a in view.agencies)
    text = _body(Document(files.docx))
    missing = next(t for t in text.splitlines() if t.startswith("Chưa gửi báo cáo"))
    assert "Sở Khoa học và Công nghệ" not in missing
    assert "Đề nghị Sở Khoa học và Công nghệ" not in text


def test_plans_without_a_number_are_cited_by_their_title(report):
    files, _ = report
    text = _body(Document(files.docx))
    assert "số /KH" not in text and "ngày / /" not in text
    assert "Kế hoạch giai đoạn 2025-2045 của UBND tỉnh Ninh Bình" in text


def test_xml_follows_the_schema_order(report, workspace):
    import zipfile

    from lxml import etree

    for path in (report[0].docx, workspace.template("docx", "bao-cao.docx")):
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if name.startswith("word/") and name.endswith(".xml"):
                    root = etree.fromstring(archive.read(name))
                    assert ooxml.out_of_order(root) == [], (path.name, name)
    # the check can fail: python-docx's own output breaks it, and tidy mends it
    document = Document()
    table = document.add_table(rows=1, cols=1)
    table.autofit = False
    table._tbl.tblPr.append(table._tbl.tblPr.makeelement(qn("w:tblLayout"), {qn("w:type"): "fixed"}))
    paragraph = document.add_paragraph("x")
    paragraph.paragraph_format.alignment = 1
    paragraph._p.get_or_add_pPr().append(paragraph._p.makeelement(qn("w:pBdr"), {}))
    assert len(ooxml.out_of_order(document.element)) >= 2
    assert ooxml.tidy(document.element) and ooxml.out_of_order(document.element) == []


def test_document_properties(report):
    import zipfile

    files, _ = report
    props = Document(files.docx).core_properties
    assert props.author == "Sở Khoa học và Công nghệ" and props.language == "vi-VN"
    assert props.created.date() == date(2026, 11, 20) and props.last_modified_by == "Sở Khoa học và Công nghệ"
    assert props.title.startswith("Báo cáo Kết quả thực hiện các chỉ tiêu")
    styles = zipfile.ZipFile(files.docx).read("word/styles.xml").decode()
    assert 'w:val="vi-VN"' in styles and "en-US" not in styles


def test_the_line_under_the_subject_fits_its_text(report):
    document = Document(report[0].docx)
    paragraphs = document.paragraphs
    subject = next(i for i, p in enumerate(paragraphs) if p.text == "BÁO CÁO") + 1
    rule = paragraphs[subject + 1]
    assert rule._p.pPr.find(qn("w:pBdr")) is not None
    assert 1 / 3 <= ooxml.rule_share(rule._p, paragraphs[subject]._p) <= 1 / 2


def test_appendix_group_rows_keep_with_the_next(report):
    files, _ = report
    table = appendix_table(Document(files.docx))
    groups = [r for r in table.rows[1:] if r.cells[1].text == r.cells[-1].text]
    assert groups
    for row in groups:
        assert all(p.paragraph_format.keep_with_next for c in row.cells for p in c.paragraphs)


def test_charts_print_readable_and_fitted():
    scale = charts.PRINT_WIDTH_MM / 25.4 / charts.WIDTH  # the figure's inches per printed inch
    long = "Tỷ lệ hồ sơ, kết quả giải quyết thủ tục hành chính được số hóa và tái sử dụng trên toàn tỉnh"
    items = [(f"Kế hoạch 2026, I.{i}: {long}", 40.0 + i) for i in range(12)] + [("Kế hoạch 2025-2045, I.1: x", 89.0)]
    figure = charts.draw_behind(items)
    figure.canvas.draw()
    texts = [t for t in figure.findobj(lambda a: hasattr(a, "get_fontsize") and hasattr(a, "get_text"))]
    shown = [t for t in texts if t.get_text().strip() and t.get_visible()]
    assert shown and min(t.get_fontsize() * scale for t in shown) >= 9
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert not any("…" in label for label in labels)
    assert all(label.replace("\n", " ").endswith("số hóa và tái sử dụng trên toàn tỉnh") for label in labels[:-1])
    low, high = figure.axes[0].get_xlim()
    assert 100 <= high <= 100 * 1.2  # highest 89 %: the axis ends just past the target line
    assert figure.get_size_inches()[1] <= charts.MAX_HEIGHT


def test_appendix_table(report):
    files, view = report
    document = Document(files.docx)
    table = appendix_table(document)
    header = [c.text for c in table.rows[0].cells]
    assert header == [
        "STT",
        "Chỉ tiêu",
        "Đơn vị tính",
        "Kế hoạch",
        "Kết quả thực hiện",
        "Tỷ lệ so với kế hoạch (%)",
        "Đánh giá",
        "Cơ quan chủ trì",
        "Cơ quan theo dõi",
        "Ghi chú",
    ]
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None  # repeated on each page
    rows = [[c.text for c in r.cells] for r in table.rows[1:]]
    data = [r for r in rows if r[0] != r[1]]  # group rows span the table
    assert len(data) - sum(len(p.sections) for p in view.plans) == len(view.statuses)
    dti = next(r for r in rows if r[1] == "Chỉ số chuyển đổi số cấp tỉnh" and r[3] != "≥ 0,75")
    assert dti[3:7] == ["Đạt tối thiểu 0,7", "0,72", "102,9", "Đã đạt"]  # numbers as Vietnamese writes them
    assert dti[8] == "Văn phòng UBND tỉnh" or dti[8]  # the monitoring agency, in its own column
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
    assert "Trong kỳ chưa có chỉ tiêu nào được đánh giá đạt hoặc vượt mục tiêu." in text
    everything, view = _report(
        workspace,
        tmp_path / "all",
        plans=("ninh-binh-2025-2045", "ninh-binh-2026", "cao-bang-2030-2045"),
        collected=False,
    )
    assert len(view.statuses) >= 200
    table = appendix_table(Document(everything.docx))
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
    # tabs a person reads: the plans' short names, never their ids
    assert {"Kế hoạch 2025-2045", "Kế hoạch năm 2026", "SoLieu"} <= set(workbook.sheetnames)
    assert "Theo dõi - SKHCN" in workbook.sheetnames and "Theo dõi - VPUBND" in workbook.sheetnames
    assert not any("ninh-binh" in name for name in workbook.sheetnames)
    sheet = workbook["Kế hoạch năm 2026"]
    assert sheet.freeze_panes == "D4" and sheet.auto_filter.ref.startswith("A3:")
    rows = {r[1].value: r for r in sheet.iter_rows(min_row=4) if r[1].value}
    dti = rows["I.5.1"]
    assert (dti[5].value, dti[7].value) == (0.72, "Đã đạt")
    assert dti[7].fill.fgColor.rgb.endswith("81C784")
    behind = rows["I.4.2"]
    assert behind[7].value == "Chưa đạt" and behind[7].font.b
    values = workbook["SoLieu"]
    notes = [r[8] for r in values.iter_rows(min_row=4) if r[8].value]
    assert len(notes) == 2  # typed once, on the row both plans share (V.5, I.4.2): one line for each plan
    note = notes[0]
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


def test_the_excel_summary_takes_the_look_of_its_template(runner, workspace):
    template = workspace.root / "templates" / "xlsx" / "bieu-tong-hop.xlsx"
    assert template.exists()  # the workspace has its own copy to restyle
    workbook = openpyxl.load_workbook(template)
    sheet = workbook["Mau"]
    sheet["C3"] = "Tên chỉ tiêu"  # the office renames a header,
    sheet["C3"].fill = openpyxl.styles.PatternFill("solid", fgColor="FFC000")  # colours it,
    sheet["G5"].number_format = "0.00"  # and shows the completion with two decimals
    sheet.column_dimensions["C"].width = 45
    from openpyxl.drawing.image import Image
    from PIL import Image as Picture

    logo = io.BytesIO()
    Picture.new("RGB", (120, 80), (200, 0, 0)).save(logo, "PNG")
    picture = Image(io.BytesIO(logo.getvalue()))
    picture.width, picture.height = 60, 40  # the office shrank its logo to half size
    sheet.add_image(picture, "K1")
    workbook.save(template)
    result = runner.invoke(cli, ["-w", str(workspace.root), "report", "--period", "2026-11"])
    assert result.exit_code == 0, result.output
    summary = openpyxl.load_workbook(workspace.root / "output" / "2026-11" / "bieu-tong-hop_2026-11.xlsx")
    plan = summary["Kế hoạch năm 2026"]
    assert plan["C3"].value == "Tên chỉ tiêu" and plan.column_dimensions["C"].width == pytest.approx(45, abs=1)
    data = [r for r in plan.iter_rows(min_row=4) if r[1].value and r[0].value]
    assert data and all(r[6].number_format == "0.00" for r in data)
    assert plan["C3"].fill.fgColor.rgb.endswith("FFC000") and plan["D3"].fill.fgColor.rgb.endswith("D9E1F2")
    assert plan.page_setup.orientation == "landscape"
    [logo_in_summary] = plan._images
    assert (logo_in_summary.anchor._from.row, logo_in_summary.anchor._from.col) == (0, 10)
    import zipfile

    with zipfile.ZipFile(workspace.root / "output" / "2026-11" / "bieu-tong-hop_2026-11.xlsx") as archive:
        drawing = next(n for n in archive.namelist() if n.startswith("xl/drawings/drawing") and n.endswith(".xml"))
        extent = re.search(rb'<a:ext cx="(\d+)" cy="(\d+)"', archive.read(drawing))
    assert extent and abs(int(extent[1]) / 9525 - 60) <= 2 and abs(int(extent[2]) / 9525 - 40) <= 2
    # a damaged template stops the report with a message naming it
    template.write_bytes(b"not a workbook")
    result = runner.invoke(cli, ["-w", str(workspace.root), "report", "--period", "2026-11"])
    assert result.exit_code != 0 and "bieu-tong-hop.xlsx" in result.output and "Traceback" not in result.output

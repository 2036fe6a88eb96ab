"""The agency's round trip: nothing it sends is lost or altered, and a return it can fix in one go."""

from __future__ import annotations

import email
import json
import shutil
import subprocess
from datetime import date
from email import policy
from pathlib import Path

import openpyxl
import pytest

from reportgen.cli import cli
from reportgen.forms import Marks, write_form
from reportgen.layout import COLUMNS, RETURN_SHEET
from reportgen.periods import Period
from reportgen.store import Store

from .conftest import needs_soffice
from .helpers import NOW, cell_of, fill, in_cycle, libreoffice_save, make_form, planner, run_collect

AGENCY = "so-khcn"
COUNT = "ninh-binh-2025-2045|III.4"  # Cán bộ, ≥ 600 in 2030
PERCENT = "ninh-binh-2025-2045|II.8"  # % of the adult population, ≥ 80 in 2030
SHARE = "ninh-binh-2025-2045|II.3"  # %GRDP, target 2
INDEX = "ninh-binh-2025-2045|V.1"  # an index, "≥ 0.65" in 2025 (the 2026 plan asks it too: same_as)
QUAL = "ninh-binh-2025-2045|III.11"
RATIO = "ninh-binh-2026|I.5.2"
TASK = "ninh-binh-2026|II.4"
SUMMED = "ninh-binh-2025-2045|IV.10"


def _values(workspace, agency=AGENCY):
    store = Store.open(workspace)
    try:
        return {v.key: v for v in store.values_as_of(Period.parse("2026-11").month_number, agency)}
    finally:
        store.close()


def _one(receipts):
    [receipt] = receipts
    return receipt


def _send(workspace, tmp_path, cells, name, agency=AGENCY, received=NOW, edit=None):
    form = make_form(workspace, agency, tmp_path / "sent" / name)
    return fill(form, cells, target=tmp_path / "in" / name / form.name, edit=edit)


# --- 1. a resend merges cell by cell -------------------------------------------------------------
def test_a_partial_resend_merges_and_says_what_it_kept(workspace, tmp_path, runner):
    first = _send(
        workspace,
        tmp_path,
        {COUNT: {"value": 320}, PERCENT: {"value": 41.5}, QUAL: {"assessment": "Đạt", "note": "QĐ 1"}},
        "a",
    )
    run_collect(workspace, [first])
    extra = _send(workspace, tmp_path, {SUMMED: {"value": 42}}, "b")
    result = runner.invoke(cli, ["-w", str(workspace.root), "collect", str(extra), "--period", "2026-11"])
    assert result.exit_code == 0, result.output
    assert "nhận 1 giá trị" in result.output and "Giữ nguyên 3 số liệu đã nhận trước" in result.output
    assert "= III.4: 320 (tệp 2026-11_so-khcn.xlsx)" in result.output
    values = _values(workspace)
    assert (values[COUNT].value, values[PERCENT].value, values[QUAL].assessment, values[SUMMED].value) == (
        320,
        41.5,
        "Đạt",
        42,
    )
    history = runner.invoke(cli, ["-w", str(workspace.root), "history", "--agency", AGENCY]).output
    assert "(trống)" not in history and "đã thay thế" not in history
    explain = runner.invoke(cli, ["-w", str(workspace.root), "explain", "--period", "2026-11", "--indicator", "III.4"])
    assert "Sở Khoa học và Công nghệ: 320  — tệp 2026-11_so-khcn.xlsx, nhận 10/11/2026 09:00" in explain.output


def test_clearing_is_an_explicit_choice(workspace, tmp_path):
    run_collect(workspace, [_send(workspace, tmp_path, {COUNT: {"value": 320}, PERCENT: {"value": 41.5}}, "a")])
    receipt = _one(run_collect(workspace, [_send(workspace, tmp_path, {COUNT: {"value": "Không có số liệu"}}, "b")]))
    assert receipt.status == "accepted"
    assert any("rút lại" in n["message"] for n in receipt.notes)
    values = _values(workspace)
    assert COUNT not in values or values[COUNT].value is None
    assert values[PERCENT].value == 41.5  # a blank cell keeps


# --- 2. blank and partial files ---------------------------------------------------------------------
def test_blank_forms_are_no_submission(workspace, tmp_path, runner):
    made = in_cycle(workspace, "2026-11", NOW.replace(day=1), "make_forms", workers=1)
    files = [Path(w.path) for w in made.written]
    receipts = run_collect(workspace, files)
    assert {r.status for r in receipts} == {"rejected"} and {r.reason_code for r in receipts} == {"blank-form"}
    assert "chưa được tính là đã nộp" in receipts[0].reason
    status = json.loads(
        runner.invoke(cli, ["-w", str(workspace.root), "status", "--period", "2026-11", "--json"]).stdout
    )
    assert status["summary"]["agencies_reported"] == 0
    assert all(a["missing"] for a in status["agencies"]) and len(status["agencies"]) == len(files)
    reminders = in_cycle(workspace, "2026-11", NOW.replace(day=14), "remind", dry_run=True)
    reminded = {
        r.planned.agency.code
        for r in reminders
        if r.planned.kind == "reminder" or any(p.startswith("reminder|") for p in r.planned.parts)
    }
    assert len(reminded) == len(files)


def test_a_partial_submission_is_shown_and_reminded_for_the_rest(workspace, tmp_path, runner):
    run_collect(workspace, [_send(workspace, tmp_path, {SUMMED: {"value": 3}}, "a", agency="p-hoa-lu")])
    status = json.loads(
        runner.invoke(cli, ["-w", str(workspace.root), "status", "--period", "2026-11", "--json"]).stdout
    )
    [hoa_lu] = [a for a in status["agencies"] if a["agency"] == "p-hoa-lu"]
    asked = len(in_cycle(workspace, "2026-11", NOW, "duties").rows("p-hoa-lu"))
    assert hoa_lu["state"] == "partial" and hoa_lu["unfilled"] == asked - 1
    text = runner.invoke(cli, ["-w", str(workspace.root), "status", "--period", "2026-11"]).output
    assert f"UBND phường Hoa Lư (còn {asked - 1} dòng trống:" in text
    reminders = in_cycle(workspace, "2026-11", NOW.replace(day=14), "remind", dry_run=True)
    [mail] = [
        r.planned.message for r in reminders if r.planned.agency.code == "p-hoa-lu" and r.planned.kind == "reminder"
    ]
    assert f"Còn {asked - 1} dòng chưa có số liệu: " in mail.text and "các số liệu đã gửi được giữ nguyên" in mail.text


# --- 3. one reading of every file, whichever program saved it ---------------------------------------
def _percent_by_openpyxl(workspace, tmp_path):
    def percent(workbook):
        for row in workbook["BaoCao"].iter_rows():
            if row[0].value == PERCENT:
                row[COLUMNS["value"]].number_format = "0%"  # Excel's built-in 9: no "%" in styles.xml

    return _send(workspace, tmp_path, {PERCENT: {"value": 0.7}}, "openpyxl", edit=percent)


def _percent_by_xlsxwriter(workspace, tmp_path):
    spec = planner(workspace).spec(AGENCY)
    path = tmp_path / "xlsxwriter" / spec.file_name
    path.parent.mkdir(parents=True)
    marks = Marks({PERCENT: {"value": 0.7}}, {}, formats={(PERCENT, "value"): "0%"})
    write_form(spec, path, workspace.form_key(), marks=marks)
    return path


def test_a_percentage_typed_in_excel_reads_as_a_percentage(workspace, tmp_path):
    path = _percent_by_openpyxl(workspace, tmp_path)
    styles = openpyxl.load_workbook(path)["BaoCao"][cell_of(path, PERCENT, "value")].number_format
    assert styles == "0%"
    import zipfile

    assert b"%" not in zipfile.ZipFile(path).read("xl/styles.xml")
    receipt = _one(run_collect(workspace, [path]))
    assert receipt.doubts == [] and _values(workspace)[PERCENT].value == 70


@needs_soffice
@pytest.mark.parametrize("saver", ["openpyxl", "xlsxwriter", "libreoffice-xlsx", "libreoffice-ods"])
def test_the_same_typing_gives_the_same_number_whichever_program_saved_it(workspace, tmp_path, saver):
    source = _percent_by_openpyxl(workspace, tmp_path) if saver != "xlsxwriter" else None
    if saver == "openpyxl":
        path = source
    elif saver == "xlsxwriter":
        path = _percent_by_xlsxwriter(workspace, tmp_path)
    else:
        path = libreoffice_save(source, tmp_path / "lo", "ods" if saver.endswith("ods") else "xlsx")
    receipt = _one(run_collect(workspace, [path]))
    assert receipt.status == "accepted", receipt.problems
    assert _values(workspace)[PERCENT].value == pytest.approx(70)


# --- 4-6. the return file ---------------------------------------------------------------------------
def _return_of(workspace, receipt) -> Path:
    assert receipt.return_file, receipt
    return workspace.root / receipt.return_file


def test_the_return_keeps_what_was_sent_and_a_resend_changes_nothing(workspace, tmp_path):
    def percent(workbook):
        for row in workbook["BaoCao"].iter_rows():
            if row[0].value == PERCENT:
                row[COLUMNS["value"]].number_format = "0%"

    cells = {
        PERCENT: {"value": 0.7},
        COUNT: {"value": 320},
        RATIO: {"numerator": 150, "denominator": 120},  # an error: numerator above denominator
        QUAL: {"assessment": "Đạt", "note": "QĐ 12/QĐ-UBND"},
    }
    receipt = _one(run_collect(workspace, [_send(workspace, tmp_path, cells, "a", edit=percent)]))
    assert receipt.status == "problems"
    before = {k: (v.value, v.numerator, v.denominator, v.assessment, v.note) for k, v in _values(workspace).items()}
    back = _return_of(workspace, receipt)
    sheet = openpyxl.load_workbook(back)["BaoCao"]
    rows = {r[0].value: r for r in sheet.iter_rows() if r[0].value and "|" in str(r[0].value)}
    kept = rows[PERCENT][COLUMNS["value"]]
    assert (kept.value, kept.number_format) == (0.7, "0%")  # its value and its format
    assert str(rows[RATIO][COLUMNS["value"]].value).startswith("=IF(AND(ISNUMBER(")  # a formula stays one
    evidence = rows[QUAL][COLUMNS["note"]]
    assert evidence.value == "QĐ 12/QĐ-UBND" and not evidence.protection.locked  # editable, not greyed
    resent = shutil.copy(back, tmp_path / "resent.xlsx")
    run_collect(workspace, [resent], received=NOW.replace(day=11))
    after = {k: (v.value, v.numerator, v.denominator, v.assessment, v.note) for k, v in _values(workspace).items()}
    assert after == before  # 70 stays 70, never 0,7


def test_a_typed_over_label_is_restored_and_the_values_count(workspace, tmp_path):
    def overwrite(workbook):
        for row in workbook["BaoCao"].iter_rows():
            if row[0].value == COUNT:
                row[COLUMNS["target"]].value = "≥ 3"

    receipt = _one(run_collect(workspace, [_send(workspace, tmp_path, {COUNT: {"value": 320}}, "a", edit=overwrite)]))
    assert receipt.status == "accepted" and receipt.accepted == 1
    back = _return_of(workspace, receipt)  # a file with only warnings gets its return too
    sheet = openpyxl.load_workbook(back)["BaoCao"]
    [row] = [r for r in sheet.iter_rows() if r[0].value == COUNT]
    target = row[COLUMNS["target"]]
    assert target.value == "≥ 600" and target.protection.locked
    again = _one(run_collect(workspace, [shutil.copy(back, tmp_path / "again.xlsx")], received=NOW.replace(day=11)))
    assert again.notes == [] and again.problems == []


def test_the_return_lists_every_problem_where_it_prints(workspace, tmp_path):
    cells = {
        RATIO: {"numerator": 150, "denominator": 120},
        PERCENT: {"value": 130},
        TASK: {"assessment": "Đã hoàn thành"},
        COUNT: {"value": "1,234"},  # a question
    }
    receipt = _one(run_collect(workspace, [_send(workspace, tmp_path, cells, "a")]))
    back = _return_of(workspace, receipt)
    workbook = openpyxl.load_workbook(back)
    listing = workbook[RETURN_SHEET]
    lines = [r for r in listing.iter_rows(min_row=5, values_only=True) if r[0]]
    assert len(lines) == len(receipt.problems) + len(receipt.notes) + len(receipt.doubts)
    assert sum(1 for r in lines if r[3] == "Lỗi, phải sửa") == len(receipt.problems) == 4  # task: number and date
    assert {r[1] for r in lines} >= {"I.5.2", "II.8", "II.4", "III.4"}
    assert listing.page_setup.paperSize == 9 and listing.oddHeader.left.text
    banner = workbook["BaoCao"]["B5"].value
    assert f"{len(receipt.problems)} lỗi cần sửa" in banner and RETURN_SHEET in banner
    assert any("B5:" in str(m) for m in workbook["BaoCao"].merged_cells.ranges)  # across the sheet


# --- 7. every problem of a file in one receipt --------------------------------------------------------
def test_a_done_task_gets_both_its_number_and_its_date_asked_at_once(workspace, tmp_path):
    receipt = _one(run_collect(workspace, [_send(workspace, tmp_path, {TASK: {"assessment": "Đã hoàn thành"}}, "a")]))
    cells = {p["cell"] for p in receipt.problems}
    path = tmp_path / "in" / "a" / "2026-11_so-khcn.xlsx"
    assert cells == {cell_of(path, TASK, "doc_number"), cell_of(path, TASK, "doc_date")}


def test_a_number_cell_holding_the_date_is_split(workspace, tmp_path):
    cells = {TASK: {"assessment": "Đã hoàn thành", "doc_number": "45/QĐ-UBND ngày 05/03/2026"}}
    receipt = _one(run_collect(workspace, [_send(workspace, tmp_path, cells, "a")]))
    assert receipt.problems == [] and any("đã tách thành số 45/QĐ-UBND" in n["message"] for n in receipt.notes)
    task = _values(workspace)[TASK]
    assert (task.doc_number, task.doc_date) == ("45/QĐ-UBND", "2026-03-05")


# --- 8. hints that fit the unit -------------------------------------------------------------------------
def test_hints_fit_the_unit(workspace, tmp_path):
    cells = {
        SHARE: {"value": "0,7"},  # 0,7 % of GRDP: an ordinary figure, no "70 %" hint
        INDEX: {"value": 75},  # an index between 0 and 1
        RATIO: {"numerator": "1,234", "denominator": "2,000"},  # a thousand, or one and a bit?
    }
    receipt = _one(run_collect(workspace, [_send(workspace, tmp_path, cells, "a")]))
    doubts: dict[str, list[str]] = {}
    for doubt in receipt.doubts:
        doubts.setdefault(doubt["code"], []).append(doubt["message"])
    assert "II.3" not in doubts and not any(n["code"] == "II.3" for n in receipt.notes)
    assert any("đo từ 0 đến 1" in m and "0,75" in m for m in doubts["V.1"])
    asked = [d["message"] for d in receipt.doubts if d["code"] == "I.5.2"]
    assert sum(1 for q in asked if "Hãy xác nhận" in q) == 2  # numerator and denominator, both asked back


# --- 9-10. forms that show and say everything they ask ----------------------------------------------------
def test_forms_say_what_a_figure_covers_and_fit_their_text(workspace, tmp_path):
    path = make_form(workspace, AGENCY, tmp_path / "sent")
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["BaoCao"]
    assert "Số liệu tính đến ngày 14/11/2026" in sheet["B3"].value
    rows = {r[0].value: r for r in sheet.iter_rows() if r[0].value and "|" in str(r[0].value)}
    scope = COLUMNS["scope"]
    assert rows[SUMMED][scope].value == "Lũy kế 01/01/2026–14/11/2026 · số liệu của riêng đơn vị"
    assert rows[COUNT][scope].value == "Tại ngày 14/11/2026 · số liệu chung của tỉnh"
    assert sheet.cell(row=7, column=COLUMNS["target"] + 1).value == "Mục tiêu"
    from reportgen.fit import LINE, lines
    from reportgen.layout import WIDTHS

    tall = sheet.row_dimensions[rows["ninh-binh-2025-2045|III.16"][0].row].height  # a long name: three lines
    assert tall >= 3 * 15
    for row in rows.values():  # every row is as tall as its name needs (no application grows it)
        assert sheet.row_dimensions[row[0].row].height >= LINE * lines(row[COLUMNS["name"]].value, WIDTHS["name"])
    guide = workbook["HuongDan"]
    assert guide.page_setup.paperSize == 9 and guide.page_setup.orientation == "portrait"
    assert "Sở Khoa học và Công nghệ" in sheet.oddHeader.left.text and "Tháng 11/2026" in sheet.oddHeader.right.text


@needs_soffice
def test_a_form_rendered_to_pdf_shows_every_name_and_unit(workspace, tmp_path):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    from reportgen.office import convert

    path = make_form(workspace, AGENCY, tmp_path / "sent")
    pdf = convert(path, tmp_path / "pdf", "pdf")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    words = " ".join(text.split())
    for row in planner(workspace).spec(AGENCY).rows:
        for word in (row.name.split()[-1], row.unit.split()[-1] if row.unit else ""):
            word = word.rpartition("-")[2]  # "2026-2030" may wrap after its hyphen
            assert word in words, (row.code, word)  # the last word of every name and unit is on paper
    assert "nghiệp" in words and "Trang 1/" in words


@needs_soffice
@pytest.mark.parametrize("agency", ["so-khcn", "p-hoa-lu"])  # the widest form (every kind of row), a ward's
def test_a_printed_form_is_readable_on_a4(workspace, tmp_path, agency):
    """Every word of a form printed on A4 by LibreOffice is at least 9 points tall: the data sheet is
    fitted to the page width, its header rows repeat on every page, the guide's lines never overlap.
    Every column shows: the department's rows are all behind, so the cause column prints too."""
    import pdfplumber

    from reportgen.forms import FormMaker
    from reportgen.office import convert

    duties = planner(workspace).duties
    maker = FormMaker.at(duties, NOW, date(2026, 11, 16), "Phòng QLKH", frozenset(duties.sole))
    path = tmp_path / "sent" / f"2026-11_{agency}.xlsx"
    path.parent.mkdir(parents=True)
    write_form(maker.spec(agency), path, workspace.form_key())
    pdf = convert(path, tmp_path / "pdf", "pdf")
    with pdfplumber.open(pdf) as document:
        pages = document.pages
        sizes = [c["size"] for page in pages for c in page.chars if c["text"].strip()]
        assert min(sizes) >= 9.0, min(sizes)
        assert all(p.width > p.height for p in pages[1:]) and pages[0].width < pages[0].height  # data landscape
        texts = [p.extract_text() for p in pages]
    assert all("Kết quả" in text for text in texts[1:])  # the header repeats on every page of the data sheet
    assert agency != "so-khcn" or any("Nguyên nhân" in text for text in texts)
    guide = texts[0]
    assert "không dùng dấu phân cách hàng nghìn" in " ".join(guide.split())
    assert "Trích" not in guide and guide.count("\n") > 10  # the last item is whole, lines apart


# --- 11. mail headers that survive -----------------------------------------------------------------------
def test_every_mail_of_the_demo_round_trips(runner, tmp_path):
    target = tmp_path / "demo"
    assert runner.invoke(cli, ["demo", "--workspace", str(target)]).exit_code == 0
    outbox = sorted((target / "output" / "outbox").glob("*.eml"))
    assert outbox
    for path in outbox:
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        subject = message["Subject"]
        assert "  " not in subject and "cácchỉ" not in subject and "họcvà" not in subject, subject
        html = message.get_body(("html",)).get_content()
        assert html.count("<html") == 1, path.name
        name = message["From"].addresses[0].display_name
        assert name == "Sở Khoa học và Công nghệ tỉnh Ninh Bình" or name, path.name


# --- the whole round trip ----------------------------------------------------------------------------------
def _clerk_fixes(path: Path) -> Path:
    """Fix every red cell as a clerk would, reading what the return says."""
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["BaoCao"]
    for row in sheet.iter_rows():
        for cell in row:
            if cell.fill is None or not str(cell.fill.fgColor.rgb).endswith("FFC7CE"):
                continue
            role = next(name for name, index in COLUMNS.items() if index == cell.column - 1)
            if role == "value":
                cell.value = 65
            elif role == "numerator":
                cell.value = row[COLUMNS["denominator"]].value or 10
                row[COLUMNS["denominator"]].value = row[COLUMNS["denominator"]].value or 10
            elif role == "denominator":
                cell.value = 10
            elif role == "doc_number":
                cell.value = "12/QĐ-UBND"
            elif role == "doc_date":
                cell.value = "01/10/2026"
            elif role == "note":
                cell.value = "Quyết định 12/QĐ-UBND ngày 01/10/2026"
            elif role == "assessment":
                cell.value = "Đang thực hiện"
    target = path.with_name(path.name.replace("_tra-lai", ""))
    workbook.save(target)
    return target


def test_every_return_of_the_demo_round_trips_and_is_fixed_in_one_go(runner, tmp_path):
    target = tmp_path / "demo"
    assert runner.invoke(cli, ["demo", "--workspace", str(target)]).exit_code == 0
    from reportgen.workspace import Workspace

    workspace = Workspace(target)
    # more returns than the demo's one: a mixture of every kind of mistake
    extra = _send(
        workspace,
        tmp_path,
        {
            RATIO: {"numerator": 150, "denominator": 120},
            TASK: {"assessment": "Đã hoàn thành"},
            QUAL: {"assessment": "Đạt"},
        },
        "extra",
    )
    run_collect(workspace, [extra], received=NOW.replace(day=17))
    returns = sorted((target / "output" / "2026-11" / "returns").glob("*_tra-lai.xlsx"))
    assert len(returns) >= 2
    store = Store.open(workspace)
    month = Period.parse("2026-11").month_number
    before = {(v.agency, v.key): (v.value, v.numerator, v.denominator, v.assessment) for v in store.values_as_of(month)}
    store.close()
    for path in returns:
        copy = shutil.copy(path, tmp_path / path.name.replace("_tra-lai", "_gui-lai"))
        run_collect(workspace, [copy], received=NOW.replace(day=17, hour=15))
    store = Store.open(workspace)
    after = {(v.agency, v.key): (v.value, v.numerator, v.denominator, v.assessment) for v in store.values_as_of(month)}
    store.close()
    assert after == before  # resent unchanged: nothing moves
    for path in returns:
        receipt = _one(run_collect(workspace, [_clerk_fixes(path)], received=NOW.replace(day=17, hour=16)))
        assert receipt.problems == [], (path.name, receipt.problems)

"""A clerk who follows our instructions is never misled: every cell we quote is the cell the clerk
holds, one state is told the same everywhere, percentages mean what was typed, a reported month
changes only on purpose, the file saved last wins, and the printed form is readable."""

from __future__ import annotations

import json
import os
import shutil
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from reportgen.cli import cli
from reportgen.clock import VN
from reportgen.layout import COLUMNS, DATA_SHEET, RETURN_SHEET
from reportgen.periods import Period
from reportgen.store import Store
from reportgen.workspace import Workspace

from . import mailkit
from .conftest import DATA
from .helpers import NOW, fill, in_cycle, make_form, run_collect

DONE = {"assessment": "Đã hoàn thành", "doc_number": "12/QĐ-UBND", "doc_date": "01/10/2026"}
DECEMBER = datetime(2026, 12, 1, 8, 0, tzinfo=VN)


def _one(receipts):
    [receipt] = receipts
    return receipt


def _values(workspace, month="2026-12", agency="so-khcn") -> dict:
    store = Store.open(workspace)
    try:
        return {v.key: v for v in store.values_as_of(Period.parse(month).month_number, agency)}
    finally:
        store.close()


# --- 1. every address we quote points at the cell the clerk holds -------------------------------------
@pytest.fixture
def december_form(workspace, tmp_path):
    """so-khcn's December form, made after tasks II.2, II.4 and II.7 were reported done in November."""
    november = make_form(workspace, "so-khcn", tmp_path / "nov")
    done = {f"ninh-binh-2026|{code}": DONE for code in ("II.2", "II.4", "II.7")}
    done["ninh-binh-2026|II.3"] = {
        "assessment": "Đang thực hiện",
        "doc_number": "Số 45/QĐ-UBND",
        "doc_date": "05/10/2026",
    }
    run_collect(workspace, [fill(november, done)])
    made = in_cycle(workspace, "2026-12", DECEMBER, "make_forms", agencies=["so-khcn"], workers=1)
    return Path(made.written[0].path)


def _keys(path: Path) -> dict[str, int]:
    sheet = openpyxl.load_workbook(path)[DATA_SHEET]
    return {r[0].value: r[0].row for r in sheet.iter_rows() if r[0].value and "|" in str(r[0].value)}


def test_a_fix_made_where_the_return_file_points_changes_that_record_only(workspace, december_form, tmp_path):
    sent_rows = _keys(december_form)
    assert not {f"ninh-binh-2026|{c}" for c in ("II.2", "II.4", "II.7")} & set(sent_rows)  # done: off the form
    typed = {
        "ninh-binh-2026|II.5": {"assessment": "Đã hoàn thành", "doc_number": "130/QĐ-UBND", "doc_date": "31/11/2026"},
        "ninh-binh-2025-2045|II.4": {"value": "abc"},
        "ninh-binh-2026|I.5.2": {"numerator": 30, "denominator": 20},
    }
    sent = fill(december_form, typed, target=tmp_path / "dec" / december_form.name)
    receipt = _one(in_cycle(workspace, "2026-12", datetime(2026, 12, 10, 9, tzinfo=VN), "collect", [sent], workers=1))
    assert not any("Thiếu dòng" in n["message"] for n in receipt.notes)  # done tasks are not "missing"
    returned = workspace.root / receipt.return_file
    assert _keys(returned) == sent_rows  # the return keeps the layout of the file the clerk sent
    book = openpyxl.load_workbook(returned)
    sheet = book[DATA_SHEET]
    listed = {row[0].value: row[4].value for row in book[RETURN_SHEET].iter_rows(min_row=5) if row[0].value}
    assert set(listed) == {p["cell"] for p in receipt.problems + receipt.doubts + receipt.notes if p["cell"]}
    for problem in receipt.problems:
        cell = sheet[problem["cell"]]
        key = sheet.cell(cell.row, 1).value
        assert sheet.cell(cell.row, COLUMNS["code"] + 1).value == problem["code"]
        column = next(name for name, index in COLUMNS.items() if index == cell.column - 1)
        assert cell.value == typed[key][column], problem  # the quoted cell holds what the clerk typed
        assert str(cell.value) in problem["message"] or column == "numerator", problem
        assert openpyxl.load_workbook(sent)[DATA_SHEET][problem["cell"]].value == cell.value  # and in the sent file
    [date_problem] = [p for p in receipt.problems if p["code"] == "II.5"]
    # the clerk fixes the date where it is pointed to, and sends the return file back
    sheet[date_problem["cell"]].value = "30/11/2026"
    book.save(tmp_path / "fixed.xlsx")
    again = _one(
        in_cycle(
            workspace, "2026-12", datetime(2026, 12, 11, 9, tzinfo=VN), "collect", [tmp_path / "fixed.xlsx"], workers=1
        )
    )
    assert not any(p["code"] == "II.5" for p in again.problems)
    values = _values(workspace)
    assert values["ninh-binh-2026|II.5"].doc_date == "2026-11-30"
    assert values["ninh-binh-2026|II.3"].doc_date == "2026-10-05"  # another record is untouched
    assert values["ninh-binh-2026|II.3"].doc_number == "45/QĐ-UBND"  # "Số 45/…" is the number 45/…


# --- 2. one state, told the same everywhere ------------------------------------------------------------
def test_an_on_time_agency_with_blank_rows_is_asked_for_them_never_told_it_is_overdue(workspace, tmp_path, runner):
    from .helpers import planner

    rows = planner(workspace).spec("p-hoa-lu").rows
    typed = {r.key: {"value": 3} if r.input == "value" else {"numerator": 9, "denominator": 10} for r in rows[:-2]}
    typed[rows[-2].key] = {"value" if rows[-2].input == "value" else "numerator": "Không có số liệu"}
    path = fill(make_form(workspace, "p-hoa-lu", tmp_path / "sent"), typed)
    receipt = _one(in_cycle(workspace, "2026-11", datetime(2026, 11, 12, 9, tzinfo=VN), "collect", [path], workers=1))
    assert receipt.blank == [rows[-1].code]  # the row said "Không có số liệu" is not missing
    from reportgen.remind import Context, Recipient, plan_receipt

    answer = plan_receipt(
        Recipient("p-hoa-lu", "UBND phường Hoa Lư", "x@y"),
        receipt.to_json(),
        {"message_id": "<m@x>"},
        Context("Sở", ""),
    ).message.text
    assert "không cần làm gì thêm" not in answer and rows[-1].code in answer and "Không có số liệu" in answer
    before = in_cycle(workspace, "2026-11", datetime(2026, 11, 14, 8, tzinfo=VN), "remind", dry_run=True)
    [reminder] = [d.planned for d in before if d.planned.agency.code == "p-hoa-lu"]
    assert rows[-1].code in reminder.message.text
    after = in_cycle(workspace, "2026-11", datetime(2026, 11, 17, 8, tzinfo=VN), "remind", dry_run=True)
    mine = [d.planned for d in after if d.planned.agency.code == "p-hoa-lu"]
    assert [p.kind for p in mine] == ["request"]
    assert "quá hạn" not in mine[0].message.text.lower() and "Quá hạn" not in mine[0].message.subject
    assert not mine[0].message.cc  # a request, not a notice copied to superiors
    status = json.loads(
        runner.invoke(
            cli,
            ["-w", str(workspace.root), "status", "--period", "2026-11", "--json"],
            env={"REPORTGEN_NOW": "2026-11-17T09:00"},
        ).output
    )
    state = next(a for a in status["agencies"] if a["agency"] == "p-hoa-lu")
    assert state["state"] == "partial" and not state["late"] and state["blank_rows"] == [rows[-1].code]


# --- 3. percent as typed, in every program and locale --------------------------------------------------
@pytest.fixture
def lo_workspace(workspace):
    shutil.copy(DATA / "lo" / "form-key", workspace.key_path)
    for plan in workspace.plans_dir.glob("*.yaml"):
        plan.unlink()
    for plan in (DATA / "lo" / "plans").glob("*.yaml"):
        shutil.copy(plan, workspace.plans_dir / plan.name)
    return Workspace(workspace.root)


TYPED = json.loads((DATA / "lo" / "typed" / "typed.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("locale", sorted(TYPED["locales"]))
@pytest.mark.parametrize("suffix", [".xlsx", ".ods"])
def test_percentages_typed_in_libreoffice_mean_what_was_typed(lo_workspace, locale, suffix):
    """Files typed by LibreOffice 7.4 itself (tools/type_in_libreoffice.py) under vi-VN and en-US:
    "70", "70%", "70 %" and "0,7 (70%)" are 70; counts typed without a thousands separator are whole."""
    [name] = [f for f in TYPED["locales"][locale]["files"] if f.endswith(suffix)]
    receipt = _one(run_collect(lo_workspace, [DATA / "lo" / "typed" / name]))
    assert receipt.problems == []
    # no question on how a figure was read (a plausibility question on its size may stand)
    assert not any("rất nhỏ" in d["message"] or "có thể là" in d["message"] for d in receipt.doubts), receipt.doubts
    values = _values(lo_workspace, "2026-11")
    for cell in TYPED["locales"][locale]["cells"]:
        assert values[cell["key"]].value == cell["means"], cell


def test_a_plausible_wrong_percentage_is_never_stored_silently(workspace, tmp_path):
    """0,7 in a percentage cell (an old form's number cell, where "70%" became 0.7) is asked back."""
    key = "ninh-binh-2025-2045|II.4"
    receipt = _one(run_collect(workspace, [fill(make_form(workspace, "so-khcn", tmp_path), {key: {"value": 0.7}})]))
    [doubt] = [d for d in receipt.doubts if d["code"] == "II.4"]
    assert "nhập 70" in doubt["message"]
    assert sum(1 for d in receipt.doubts if d["cell"] == doubt["cell"]) == 1  # one question per cell


# --- 4. a reported period changes only on purpose ------------------------------------------------------
def test_a_file_for_a_month_already_reported_is_a_late_correction(workspace, tmp_path, runner):
    key = "ninh-binh-2026|I.5.2"
    form = make_form(workspace, "so-y-te", tmp_path / "sent")
    run_collect(workspace, [fill(form, {key: {"numerator": 19, "denominator": 20}}, target=tmp_path / "a" / form.name)])
    in_cycle(workspace, "2026-11", datetime(2026, 11, 18, 8, 20, tzinfo=VN), "report", today=date(2026, 11, 18))
    late = fill(form, {key: {"numerator": 18, "denominator": 20}}, target=tmp_path / "b" / form.name)
    receipt = _one(in_cycle(workspace, "2026-11", datetime(2026, 12, 3, 9, tzinfo=VN), "collect", [late], workers=1))
    assert receipt.correction == "2026-11-18T08:20:00+07:00"
    assert {"code": "I.5.2", "field": "tử số", "old": "19", "new": "18"} in receipt.changed
    from reportgen.remind import Context, Recipient, plan_receipt

    text = plan_receipt(
        Recipient("so-y-te", "Sở Y tế", "x@y"), receipt.to_json(), {"message_id": "<m@x>"}, Context("Sở KH&CN", "")
    ).message.text
    assert "Tháng 11/2026 đã được lập báo cáo ngày 18/11/2026" in text and "I.5.2 tử số: 19 → 18" in text
    result = runner.invoke(
        cli, ["-w", str(workspace.root), "status", "--period", "2026-11"], env={"REPORTGEN_NOW": "2026-12-03T10:00"}
    )
    assert "Đính chính đến sau khi đã lập báo cáo" in result.output and "I.5.2 tử số 19 → 18" in result.output


# --- 5. the file the clerk saved last wins ---------------------------------------------------------------
def test_of_two_versions_in_one_folder_the_one_saved_last_wins(workspace, tmp_path, runner):
    key = "ninh-binh-2026|I.5.2"
    form = make_form(workspace, "so-y-te", tmp_path / "sent")
    folder = tmp_path / "Downloads"
    first = fill(form, {key: {"numerator": 21, "denominator": 100}}, target=folder / "2026-11_so-y-te (1).xlsx")
    second = fill(form, {key: {"numerator": 24, "denominator": 100}}, target=folder / "2026-11_so-y-te.xlsx")
    mailkit.saved_at(first, datetime(2026, 11, 12, 16, 0, tzinfo=VN))  # the resend, saved last
    mailkit.saved_at(second, datetime(2026, 11, 11, 9, 0, tzinfo=VN))
    receipts = in_cycle(
        workspace, "2026-11", datetime(2026, 11, 13, 9, tzinfo=VN), "collect", [second, first], workers=1
    )
    by_name = {Path(r.file).name: r for r in receipts}
    assert any("bản lưu sau cùng" in r for r in by_name["2026-11_so-y-te (1).xlsx"].remarks)
    assert any("lưu sau" in r for r in by_name["2026-11_so-y-te.xlsx"].remarks)
    assert _values(workspace, "2026-11", "so-y-te")[key].numerator == 21  # 24 was the older one
    assert by_name["2026-11_so-y-te (1).xlsx"].received_at == "2026-11-12T16:00:00+07:00"


# --- 6. a copied sheet is named --------------------------------------------------------------------------
def test_the_workbook_structure_is_protected_and_a_filled_copy_is_named(workspace, tmp_path):
    form = make_form(workspace, "so-y-te", tmp_path / "sent")
    assert openpyxl.load_workbook(form).security.lockStructure
    book = openpyxl.load_workbook(form)
    copy = book.copy_worksheet(book[DATA_SHEET])
    copy.title = "BaoCao (2)"
    key = "ninh-binh-2026|I.5.2"
    row = next(r for r in copy.iter_rows() if r[0].value == key)
    row[COLUMNS["numerator"]].value, row[COLUMNS["denominator"]].value = 9, 10
    book.save(tmp_path / "copied.xlsx")
    receipt = _one(run_collect(workspace, [tmp_path / "copied.xlsx"]))
    assert receipt.status == "rejected" and receipt.agency == "so-y-te"
    assert 'trang tính "BaoCao (2)"' in receipt.reason and 'trang "BaoCao"' in receipt.reason


# --- 7. the return file carries what the question refers to -------------------------------------------------
def test_the_return_file_shows_last_periods_values_and_asks_the_cause(workspace, tmp_path):
    behind = "ninh-binh-2025-2045|II.10"
    october = in_cycle(workspace, "2026-10", datetime(2026, 10, 1, 8, tzinfo=VN), "make_forms", agencies=["so-khcn"])
    previous = "ninh-binh-2025-2045|II.4"
    run_collect(
        workspace,
        [
            fill(
                Path(october.written[0].path),
                {behind: {"assessment": "Chưa đạt"}, previous: {"value": 92.549}},
                target=tmp_path / "oct.xlsx",
            )
        ],
        period="2026-10",
    )
    november = in_cycle(workspace, "2026-11", NOW, "make_forms", agencies=["so-khcn"], workers=1)
    sent = fill(
        Path(november.written[0].path), {previous: {"value": 1}}, target=tmp_path / "nov" / "2026-11_so-khcn.xlsx"
    )
    receipt = _one(in_cycle(workspace, "2026-11", NOW, "collect", [sent], workers=1))
    [doubt] = [d for d in receipt.doubts if d["code"] == "II.4"]
    assert "(92,55)" in doubt["message"]  # numbers as the rest of the document writes them
    sheet = openpyxl.load_workbook(workspace.root / receipt.return_file)[DATA_SHEET]
    rows = {r[0].value: r for r in sheet.iter_rows() if r[0].value and "|" in str(r[0].value)}
    assert rows[previous][COLUMNS["previous"]].value == "92,55"  # the figure the question refers to
    assert rows[behind][COLUMNS["cause"]].fill.fgColor.rgb.endswith("FCE4D6")  # the cause is asked here too
    assert rows[previous][COLUMNS["target"]].value == "60"


# --- 9. a refused reply is refused, not missing ----------------------------------------------------------------
def _edited_header(path: Path) -> Path:
    book = openpyxl.load_workbook(path)
    sheet = book[DATA_SHEET]
    for row in sheet.iter_rows(max_row=10):
        for cell in row:
            if cell.value == "Kết quả thực hiện":
                cell.value = "Kết quả"
    for row in sheet.iter_rows():
        row[0].value = None  # the hidden key column, cleared with the header
    book.save(path)
    return path


@pytest.mark.parametrize("damage", ["header", "password"])
def test_a_refused_file_of_a_known_agency_shows_as_refused(workspace, tmp_path, runner, damage):
    form = fill(
        make_form(workspace, "so-tu-phap", tmp_path / "sent"),
        {"ninh-binh-2026|I.5.2": {"numerator": 9, "denominator": 10}},
    )
    if damage == "header":
        sent = _edited_header(form)
    else:  # an encrypted package: nothing inside can be read, its name says whose it is
        sent = tmp_path / "2026-11_so-tu-phap.xlsx"
        sent.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptedPackage".encode("utf-16-le") + b"\0" * 600)
    receipt = _one(in_cycle(workspace, "2026-11", NOW, "collect", [sent], workers=1))
    assert receipt.status == "rejected" and receipt.agency == "so-tu-phap"
    if damage == "header":
        assert "dòng tiêu đề" in receipt.reason
    status = json.loads(
        runner.invoke(
            cli,
            ["-w", str(workspace.root), "status", "--period", "2026-11", "--json"],
            env={"REPORTGEN_NOW": NOW.isoformat()},
        ).output
    )
    assert next(a for a in status["agencies"] if a["agency"] == "so-tu-phap")["state"] == "rejected"
    assert status["summary"]["agencies_rejected"] == 1


# --- 10. collect never reads the workspace itself ------------------------------------------------------------
def test_collect_in_the_workspace_never_collects_the_workspace(workspace, tmp_path, runner, monkeypatch):
    in_cycle(workspace, "2026-11", datetime(2026, 11, 1, 8, tzinfo=VN), "make_forms", workers=1)
    inbox = workspace.root / "inbox"
    inbox.mkdir(exist_ok=True)
    fill(
        make_form(workspace, "so-y-te", tmp_path / "sent"),
        {"ninh-binh-2026|I.5.2": {"numerator": 9, "denominator": 10}},
        target=inbox / "2026-11_so-y-te.xlsx",
    )
    monkeypatch.chdir(workspace.root)
    monkeypatch.setenv("REPORTGEN_NOW", NOW.isoformat())
    result = runner.invoke(cli, ["-w", str(workspace.root), "collect", ".", "--period", "2026-11", "--json"])
    assert result.exit_code == 0, result.output
    [receipt] = json.loads(result.output)
    assert receipt["file"] == os.path.join("inbox", "2026-11_so-y-te.xlsx")
    above = runner.invoke(
        cli, ["-w", str(workspace.root), "collect", str(workspace.root.parent), "--period", "2026-11", "--json"]
    )
    files = [r["file"] for r in json.loads(above.output)]
    assert not any(f.startswith(("output", "config")) for f in files)


# --- 11. the smaller things ----------------------------------------------------------------------------------------
def test_the_words_a_clerk_reads(workspace, tmp_path):
    form = make_form(workspace, "p-hoa-lu", tmp_path / "sent")
    book = openpyxl.load_workbook(form)
    sheet = book[DATA_SHEET]
    messages = " ".join(dv.error or "" for dv in sheet.data_validations.dataValidation)
    assert "Cancel" in messages and "Chọn No để" not in messages  # LibreOffice shows OK/Cancel
    rows = {r[0].value: r for r in sheet.iter_rows() if r[0].value and "|" in str(r[0].value)}
    # a commune's own part of a province-wide rate: the province's target is context, named as such
    assert rows["ninh-binh-2026|I.5.2"][COLUMNS["target"]].value.startswith("Cả tỉnh: ")
    key = "ninh-binh-2026|I.5.2"
    october = make_form(workspace, "p-hoa-lu", tmp_path / "oct", period="2026-10")
    wrong = _one(run_collect(workspace, [fill(october, {key: {"numerator": 1, "denominator": 2}})]))
    assert "Biểu mẫu của tháng 10/2026, không phải tháng 11/2026" in wrong.reason
    dated = _one(
        run_collect(
            workspace,
            [
                fill(
                    form,
                    {"ninh-binh-2025-2045|IV.10": {"value": datetime(2026, 11, 12, tzinfo=VN).replace(tzinfo=None)}},
                )
            ],
        )
    )
    [problem] = [p for p in dated.problems if p["code"] == "IV.10"]
    assert "12/11/2026" in problem["message"] and "%" not in problem["message"]

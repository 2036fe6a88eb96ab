"""Reading returned forms: formats, identity, values as people type them, problems."""

from __future__ import annotations

import json
import shutil
import time
import unicodedata
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from reportgen.cli import cli
from reportgen.layout import COLUMNS
from reportgen.periods import Period
from reportgen.store import Store

from .conftest import DATA, needs_soffice
from .helpers import NOW, cell_of, fill, libreoffice_save, make_form, run_collect

# The form most tests fill is the department's: it has a row of every kind.
AGENCY = "so-khcn"
RATIO = "ninh-binh-2026|I.5.2"  # each unit's own rate: numerator and denominator
RATIO2 = "ninh-binh-2026|I.4.1"
PERCENT = "ninh-binh-2025-2045|II.8"  # a province-wide rate, one figure held by the department
COUNT = "ninh-binh-2025-2045|III.4"  # a province-wide count (Cán bộ), target ≥ 600 in 2030
COUNT2 = "ninh-binh-2025-2045|III.3"  # a count "mỗi năm": year to date
QUAL = "ninh-binh-2025-2045|III.11"
TASK = "ninh-binh-2026|II.4"
RANK = "ninh-binh-2025-2045|V.26"  # reported by Công an tỉnh
COMMUNE = "ninh-binh-2025-2045|IV.10"  # a count every department and ward reports, summed


@pytest.fixture
def form(workspace, tmp_path):
    return make_form(workspace, AGENCY, tmp_path / "sent")


def _values(workspace, period="2026-11"):
    store = Store.open(workspace)
    try:
        return {(v.agency, v.key): v for v in store.values_as_of(Period.parse(period).month_number)}
    finally:
        store.close()


def _one(receipts):
    [receipt] = receipts
    return receipt


# --- values as people type them ----------------------------------------------------------
@pytest.mark.parametrize(
    "key, column, typed, field, expected",
    [
        (COUNT, "value", "85,5", "value", 85.5),
        (COUNT, "value", "85.5", "value", 85.5),
        (COUNT, "value", "1.000", "value", 1000.0),
        (COUNT, "value", "1.234,5", "value", 1234.5),
        (COUNT, "value", "12", "value", 12.0),  # a number stored as text
        (COUNT, "value", 12, "value", 12.0),
        (COUNT, "value", 0, "value", 0.0),  # an explicit zero is a value
        (PERCENT, "value", "85,5%", "value", 85.5),
        (PERCENT, "value", " 70 % ", "value", 70.0),
        (QUAL, "assessment", "đạt", "assessment", "Đạt"),
        (QUAL, "assessment", "Dat", "assessment", "Đạt"),
        (QUAL, "assessment", unicodedata.normalize("NFD", "Chưa đạt"), "assessment", "Chưa đạt"),
        (QUAL, "assessment", "  đang thực hiện ", "assessment", "Đang thực hiện"),
    ],
)
def test_values_as_typed(workspace, form, tmp_path, key, column, typed, field, expected):
    cells = {column: typed}
    if column == "assessment":
        cells["note"] = unicodedata.normalize("NFD", "Quyết định số 12/QĐ-UBND")
    fill(form, {key: cells})
    receipt = _one(run_collect(workspace, [form]))
    assert receipt.status == "accepted", receipt.problems
    stored = _values(workspace)[(AGENCY, key)]
    assert getattr(stored, field) == expected
    if column == "assessment":
        assert stored.note == "Quyết định số 12/QĐ-UBND"  # NFC in the store


def test_empty_cells_are_no_value_not_zero(workspace, form):
    fill(form, {COUNT: {"value": 5}})
    run_collect(workspace, [form])
    values = _values(workspace)
    assert (AGENCY, COUNT2) not in values
    assert values[(AGENCY, COUNT)].value == 5


def test_ratio_is_recomputed_from_numerator_and_denominator(workspace, form):
    def cached_lie(workbook):
        sheet = workbook["BaoCao"]
        for row in sheet.iter_rows():
            if row[0].value == RATIO:
                row[COLUMNS["value"]].value = 999  # somebody overwrote the % cell

    fill(form, {RATIO: {"numerator": "1.200", "denominator": "1.500"}}, edit=cached_lie)
    receipt = _one(run_collect(workspace, [form]))
    assert receipt.status == "accepted"
    stored = _values(workspace)[(AGENCY, RATIO)]
    assert (stored.numerator, stored.denominator, stored.value) == (1200, 1500, 80.0)


def test_dates_in_every_shape(workspace, tmp_path):
    form = make_form(workspace, "so-khcn", tmp_path / "sent")
    fill(
        form,
        {
            TASK: {"assessment": "Đã hoàn thành", "doc_number": "125/QĐ-UBND", "doc_date": "31/03/2026"},
            "ninh-binh-2026|II.5": {
                "assessment": "hoàn thành",
                "doc_number": "130/QĐ-UBND",
                "doc_date": date(2026, 7, 15),
            },
            "ninh-binh-2026|II.6": {"assessment": "Đã hoàn thành", "doc_number": "7/KH-UBND", "doc_date": 46112},
        },
    )
    receipt = _one(run_collect(workspace, [form]))
    assert receipt.status == "accepted", receipt.problems
    values = _values(workspace)
    assert values[("so-khcn", TASK)].doc_date == "2026-03-31"
    assert values[("so-khcn", "ninh-binh-2026|II.5")].doc_date == "2026-07-15"
    assert values[("so-khcn", "ninh-binh-2026|II.6")].doc_date == "2026-03-31"


# --- problems are reported with the cell and what to type; good values are kept ---------
@pytest.mark.parametrize(
    "key, cells, column, text",
    [
        (PERCENT, {"value": 120}, "value", "Tỷ lệ 120% vượt quá 100%"),
        (RATIO, {"numerator": 120, "denominator": 100}, "numerator", "Tử số (120) lớn hơn mẫu số (100)"),
        (RATIO, {"numerator": 5, "denominator": 0}, "denominator", "Mẫu số bằng 0"),
        (RATIO, {"numerator": 5}, "denominator", "Mới có tử số, thiếu mẫu số"),
        (COUNT, {"value": -3}, "value", "Giá trị -3 âm"),
        (COUNT, {"value": "khoảng 30"}, "value", '"khoảng 30" không phải là số'),
        (COUNT, {"value": datetime(2026, 3, 1)}, "value", "không phải số"),  # noqa: DTZ001 - as typed
        (QUAL, {"assessment": "Đạt"}, "note", "cần minh chứng"),
        (QUAL, {"assessment": "Tốt"}, "assessment", '"Tốt" không phải lựa chọn hợp lệ'),
    ],
)
def test_problems_name_the_cell_and_keep_good_values(workspace, form, key, cells, column, text):
    fill(form, {key: cells, COUNT2: {"value": 7}})
    receipt = _one(run_collect(workspace, [form]))
    assert receipt.status == "problems"
    [problem] = receipt.problems
    assert problem["sheet"] == "BaoCao"
    assert problem["cell"] == cell_of(form, key, column)
    assert problem["code"] == key.split("|")[1]
    assert text in problem["message"]
    assert receipt.accepted == 1
    assert _values(workspace)[(AGENCY, COUNT2)].value == 7  # the good value is kept


def test_error_cells_are_reported(workspace, form):
    def error(workbook):
        sheet = workbook["BaoCao"]
        for row in sheet.iter_rows():
            if row[0].value == COUNT:
                row[COLUMNS["value"]].value = "#DIV/0!"
                assert row[COLUMNS["value"]].data_type == "e"

    fill(form, {}, edit=error)
    receipt = _one(run_collect(workspace, [form]))
    [problem] = receipt.problems
    assert problem["cell"] == cell_of(form, COUNT, "value")
    assert "lỗi công thức (#DIV/0!)" in problem["message"]


def test_rank_must_be_a_whole_number_from_1(workspace, tmp_path):
    form = make_form(workspace, "cong-an", tmp_path / "sent")
    fill(form, {RANK: {"value": 0}})
    receipt = _one(run_collect(workspace, [form]))
    assert "Thứ hạng 0 không hợp lệ" in receipt.problems[0]["message"]


def test_task_done_needs_number_and_date(workspace, tmp_path):
    form = make_form(workspace, "so-khcn", tmp_path / "sent")
    fill(form, {TASK: {"assessment": "Đã hoàn thành", "doc_date": "32/13/2026"}})
    receipt = _one(run_collect(workspace, [form]))
    messages = [p["message"] for p in receipt.problems]
    assert any('"32/13/2026" không phải ngày hợp lệ' in m for m in messages)
    assert any("cần số văn bản" in m for m in messages)  # both in the same round


def test_ambiguous_numbers_are_asked_back(workspace, form):
    fill(form, {COUNT: {"value": "1,234"}})
    receipt = _one(run_collect(workspace, [form]))
    assert receipt.status == "accepted"
    questions = [d["message"] for d in receipt.doubts]
    assert any('"1,234" có thể là 1,234 hoặc 1.234' in q and "Hãy xác nhận" in q for q in questions)


# --- rows are matched by code, locked cells are guarded ---------------------------------
def test_rows_match_by_code_after_sorting_and_inserting(workspace, form):
    def shuffle(workbook):
        sheet = workbook["BaoCao"]
        sheet.insert_rows(9, amount=2)  # somebody inserted rows
        rows = [r for r in sheet.iter_rows() if r[0].value and "|" in str(r[0].value)]
        first, last = rows[0], rows[-1]
        for a, b in zip(first, last, strict=False):  # and swapped two rows
            a.value, b.value = b.value, a.value

    fill(form, {COUNT: {"value": 11}, RATIO: {"numerator": 3, "denominator": 4}}, edit=shuffle)
    receipt = _one(run_collect(workspace, [form]))
    assert receipt.status == "accepted", receipt.problems
    values = _values(workspace)
    assert values[(AGENCY, COUNT)].value == 11
    assert values[(AGENCY, RATIO)].value == 75.0


def test_rewritten_target_is_ignored_and_reported(workspace, form):
    def rewrite(workbook):
        for row in workbook["BaoCao"].iter_rows():
            if row[0].value == COUNT:
                row[COLUMNS["target"]].value = "≥ 10"  # the target was "≥ 600"

    fill(form, {COUNT: {"value": 85}}, edit=rewrite)
    receipt = _one(run_collect(workspace, [form]))
    assert receipt.status == "accepted" and receipt.problems == []  # the good values count
    [note] = [n for n in receipt.notes if "khôi phục" in n["message"]]
    assert note["cell"] == cell_of(form, COUNT, "target")
    assert '"≥ 10" (bản gốc: "≥ 600")' in note["message"]
    assert _values(workspace)[(AGENCY, COUNT)].value == 85


def test_lost_key_column_falls_back_to_codes(workspace, form):
    # "II.3" is an indicator of one plan and a task of the other: the name tells them apart
    cells = {COUNT: {"value": 9}, "ninh-binh-2025-2045|II.3": {"value": "1,5"}}
    fill(form, cells, edit=lambda wb: wb["BaoCao"].delete_cols(1))
    receipt = _one(run_collect(workspace, [form]))
    assert receipt.status == "accepted", receipt.problems
    values = _values(workspace)
    assert values[(AGENCY, COUNT)].value == 9
    assert values[(AGENCY, "ninh-binh-2025-2045|II.3")].value == 1.5
    assert (AGENCY, "ninh-binh-2026|II.3") not in values


def test_foreign_row_is_reported(workspace, form):
    def add_row(workbook):
        sheet = workbook["BaoCao"]
        sheet.append(["ninh-binh-2026|I.9.9", "I.9.9", "Chỉ tiêu tự thêm", "%", "", "", "", 50])

    fill(form, {}, edit=add_row)
    receipt = _one(run_collect(workspace, [form]))
    assert "không thuộc biểu mẫu này" in receipt.problems[0]["message"]


# --- whole files refused ----------------------------------------------------------------
def _zip_with(
    form: Path, target: Path, extra: dict[str, bytes] | None = None, replace: dict[str, bytes] | None = None
) -> Path:
    with zipfile.ZipFile(form) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = (replace or {}).get(item.filename, src.read(item.filename))
            dst.writestr(item.filename, data)
        for name, data in (extra or {}).items():
            dst.writestr(name, data)
    return target


def _bomb(target: Path) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            block = b"\0" * (1024 * 1024)
            for _ in range(210):
                member.write(block)
    return target


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b"<si><t>&lol2;</t></si></sst>"
)


@pytest.mark.parametrize(
    "make, text",
    [
        (
            lambda form, d: d.joinpath("2026-11_p-hoa-lu.xlsx").write_bytes(b"") or d / "2026-11_p-hoa-lu.xlsx",
            "Tệp rỗng",
        ),
        (lambda form, d: _write(d / "bao-cao.xlsx", b"PK\x03\x04" + b"\x00" * 200), "bị hỏng"),
        (
            lambda form, d: _write(d / "bao-cao.xlsx", b"<html><body><table><tr><td>1</td></tr></table>"),
            "thực chất là một trang HTML",
        ),
        (
            lambda form, d: _write(d / "bao-cao.xlsx", "STT,Chỉ tiêu,Kết quả\n1,5G,80\n".encode()),
            "thực chất là tệp văn bản/CSV",
        ),
        (lambda form, d: _word(d / "bao-cao.xlsx"), "thực chất là tài liệu Word"),
        (lambda form, d: _write(d / "bao-cao.xlsx", _encrypted()), "đặt mật khẩu"),
        (lambda form, d: _zip_with(form, d / "bao-cao.xlsm", extra={"xl/vbaProject.bin": b"\0" * 64}), "có macro"),
        (lambda form, d: _write(d / "bao-cao.xlsx", b"PK\x03\x04" + b"\x00" * (21 * 1024 * 1024)), "Tệp quá lớn"),
        (lambda form, d: _bomb(d / "bom.xlsx"), "Tệp nén bất thường"),
        (
            lambda form, d: _zip_with(form, d / "xxe.xlsx", replace={"xl/sharedStrings.xml": BILLION_LAUGHS}),
            "DOCTYPE/ENTITY",
        ),
        (lambda form, d: _plain_workbook(d / "moi.xlsx"), "không phải biểu mẫu của Sở"),
    ],
    ids=[
        "empty",
        "corrupt",
        "html",
        "csv",
        "word",
        "password",
        "xlsm",
        "oversized",
        "zip-bomb",
        "xml-entity",
        "not-a-form",
    ],
)
def test_bad_files_are_refused_with_a_clear_message(workspace, form, tmp_path, make, text):
    folder = tmp_path / "in"
    folder.mkdir()
    path = make(form, folder)
    started = time.monotonic()
    receipt = _one(run_collect(workspace, [path]))
    assert time.monotonic() - started < 20  # never a hang
    assert receipt.status == "rejected"
    assert text in receipt.reason
    if text == "Tệp quá lớn":
        assert receipt.archived is None  # refused unread: a huge file never fills the archive
        return
    archived = workspace.root / receipt.archived
    assert archived.read_bytes() == path.read_bytes()  # nothing the user sent is lost


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _word(path: Path) -> Path:
    from docx import Document

    Document().save(path)
    return path


def _encrypted() -> bytes:
    """The shape of an Office file saved with a password: an OLE container holding
    an "EncryptedPackage" stream instead of the workbook."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    directory = "EncryptedPackage".encode("utf-16-le") + b"\x00" * 64
    return header + directory + b"\x00" * 4096


def _plain_workbook(path: Path) -> Path:
    workbook = openpyxl.Workbook()
    workbook.active.append(["STT", "Chỉ tiêu", "Kết quả thực hiện"])
    workbook.save(path)
    return path


# --- identity ---------------------------------------------------------------------------
def test_form_for_another_period_is_refused(workspace, tmp_path):
    october = make_form(workspace, "p-hoa-lu", tmp_path / "sent", period="2026-10")
    receipt = _one(run_collect(workspace, [october]))
    assert receipt.status == "rejected"
    assert "Biểu mẫu của tháng 10/2026, không phải tháng 11/2026" in receipt.reason


def test_edited_identity_is_refused(workspace, form):
    def forge(workbook):
        meta = workbook["_meta"]
        for row in meta.iter_rows():
            if row[0].value == "agency":
                row[1].value = "p-hoa-lu"

    fill(form, {COUNT: {"value": 1}}, edit=forge)
    receipt = _one(run_collect(workspace, [form]))
    assert receipt.status == "rejected"
    assert "chữ ký không khớp" in receipt.reason


def test_form_of_another_agency_is_refused(workspace, form, tmp_path):
    renamed = tmp_path / "2026-11_so-y-te.xlsx"
    shutil.copy(form, renamed)
    receipt = _one(run_collect(workspace, [renamed]))
    assert "Tệp mang tên của Sở Y tế nhưng là biểu mẫu của Sở Khoa học và Công nghệ" in receipt.reason
    receipt = _one(run_collect(workspace, [form], agency="p-hoa-lu"))
    assert "UBND phường Hoa Lư nhưng là biểu mẫu của Sở Khoa học và Công nghệ" in receipt.reason


def test_form_from_an_older_catalog_is_refused(workspace, form):
    plan = workspace.plans_dir / "ninh-binh-2026.yaml"
    plan.write_text(
        plan.read_text(encoding="utf-8").replace("Đạt tối thiểu 70%", "Đạt tối thiểu 75%", 1), encoding="utf-8"
    )
    from reportgen.workspace import Workspace

    fresh = Workspace(workspace.root)
    receipt = _one(run_collect(fresh, [form]))
    assert receipt.status == "rejected"
    assert "danh mục chỉ tiêu cũ (ninh-binh-2026@" in receipt.reason


def test_identity_sheet_unhidden_or_renamed_is_still_read(workspace, form):
    def unhide(workbook):
        workbook["_meta"].sheet_state = "visible"
        workbook["_meta"].title = "ThongTin"

    fill(form, {COUNT: {"value": 3}}, edit=unhide)
    assert _one(run_collect(workspace, [form])).status == "accepted"


# --- archive, duplicates, supersession, history -----------------------------------------
def test_same_file_twice_changes_nothing(workspace, form):
    fill(form, {COUNT: {"value": 5}})
    first = _one(run_collect(workspace, [form]))
    store = Store.open(workspace)
    before = store.counts()
    store.close()
    again = _one(run_collect(workspace, [form]))
    assert again.status == "duplicate" and again.ok
    assert again.duplicate_of == first.received_at
    store = Store.open(workspace)
    assert store.counts() == before
    store.close()


def test_later_submission_supersedes_and_history_keeps_both(workspace, form, tmp_path, runner):
    first = fill(form, {COUNT: {"value": 5}, COUNT2: {"value": 1}}, target=tmp_path / "v1.xlsx")
    run_collect(workspace, [first], received=NOW)
    second = fill(form, {COUNT: {"value": 8}, COUNT2: {"value": 1}}, target=tmp_path / "v2.xlsx")
    later = NOW.replace(day=12)
    run_collect(workspace, [second], received=later)
    assert _values(workspace)[(AGENCY, COUNT)].value == 8
    store = Store.open(workspace)
    subs = store.submissions(agency=AGENCY)
    changes = [c for c in store.changes(AGENCY) if c["key"] == COUNT]
    store.close()
    assert [s.received_at for s in subs] == [NOW.isoformat(), later.isoformat()]
    assert [(c["old"], c["new"], c["changed_at"], c["file_name"]) for c in changes] == [
        ("5", "8", later.isoformat(), "v2.xlsx")
    ]
    result = runner.invoke(cli, ["-w", str(workspace.root), "history", "--agency", AGENCY])
    assert result.exit_code == 0, result.output
    assert "2 lần nộp" in result.output
    assert f"{COUNT}  kết quả: 5 → 8  (tệp v2.xlsx)" in result.output
    assert "III.4        8  — số liệu tháng 11/2026, tệp v2.xlsx nhận 12/11/2026 09:00" in result.output


def test_crash_in_the_middle_leaves_the_database_consistent(workspace, tmp_path, monkeypatch):
    files = [
        fill(make_form(workspace, a, tmp_path / a), {COMMUNE: {"value": n}})
        for n, a in enumerate(("p-hoa-lu", "p-tam-diep", "so-khcn"), start=2)
    ]
    from reportgen import store as store_module

    original = store_module.Store._add_submission
    calls = {"n": 0}

    def crash(self, db, file_id, sub, values):
        calls["n"] += 1
        if calls["n"] == 2:
            original(self, db, file_id, sub, values)
            raise KeyboardInterrupt  # killed half-way through the second file
        return original(self, db, file_id, sub, values)

    monkeypatch.setattr(store_module.Store, "_add_submission", crash)
    from reportgen.errors import Interrupted

    with pytest.raises(Interrupted) as stopped:
        run_collect(workspace, files)
    assert stopped.value.facts == {"stored": 1, "total": 3} and stopped.value.exit_code == 130
    monkeypatch.setattr(store_module.Store, "_add_submission", original)
    store = Store.open(workspace)
    assert store.counts()["files"] == 1 and store.counts()["submissions"] == 1
    recorded = {Path(f.archive).name for f in store.files()}
    store.close()
    archived = {p.name for p in (workspace.root / "output" / "archive").rglob("*") if p.is_file()}
    assert archived == recorded  # no archived file without its record
    receipts = run_collect(workspace, files)
    assert [r.status for r in receipts] == ["duplicate", "accepted", "accepted"]
    store = Store.open(workspace)
    assert store.counts()["submissions"] == 3
    store.close()


def _collect_in_process(args):
    root, files = args
    from reportgen.workspace import Workspace

    receipts = run_collect(Workspace(Path(root)), files)
    return [r.status for r in receipts]


def test_two_collect_runs_at_once_do_not_double_count(workspace, tmp_path):
    from concurrent.futures import ProcessPoolExecutor

    files = [
        str(fill(make_form(workspace, a, tmp_path / a), {COMMUNE: {"value": 4}}))
        for a in ("p-hoa-lu", "p-tam-diep", "p-nam-dinh", "p-phu-ly")
    ]
    with ProcessPoolExecutor(2) as pool:
        results = list(pool.map(_collect_in_process, [(str(workspace.root), files)] * 2))
    statuses = sorted(s for run in results for s in run)
    assert statuses.count("accepted") == 4 and statuses.count("duplicate") == 4
    store = Store.open(workspace)
    assert store.counts()["files"] == 4 and store.counts()["submissions"] == 4
    assert len(store.values_as_of(Period.parse("2026-11").month_number)) == 4
    store.close()


# --- the workbook sent back -------------------------------------------------------------
def test_problem_files_get_their_form_back_marked(workspace, form, tmp_path):
    fill(form, {PERCENT: {"value": 120}, COUNT: {"value": 5}, QUAL: {"assessment": "Đạt"}})
    receipt = _one(run_collect(workspace, [form]))
    back = workspace.root / receipt.return_file
    assert back.name == "2026-11_so-khcn_tra-lai.xlsx"
    assert back.parent == workspace.output_dir / "2026-11" / "returns"
    sheet = openpyxl.load_workbook(back)["BaoCao"]
    rows = {r[0].value: r for r in sheet.iter_rows() if r[0].value}
    bad = rows[PERCENT][COLUMNS["value"]]
    assert bad.value == 120 and bad.fill.fgColor.rgb.endswith("FFC7CE")
    assert "vượt quá 100%" in bad.comment.text
    assert rows[COUNT][COLUMNS["value"]].value == 5 and rows[COUNT][COLUMNS["value"]].comment is None
    assert "cần minh chứng" in rows[QUAL][COLUMNS["note"]].comment.text
    # fixed and sent again, the same form is accepted
    fixed = fill(
        back, {PERCENT: {"value": 95}, QUAL: {"note": "QĐ 12/QĐ-UBND"}}, target=tmp_path / "2026-11_so-khcn.xlsx"
    )
    assert _one(run_collect(workspace, [fixed])).status == "accepted"


# --- the committed LibreOffice-saved fixtures -------------------------------------------
@pytest.fixture
def lo_workspace(workspace):
    shutil.copy(DATA / "lo" / "form-key", workspace.key_path)
    for plan in (DATA / "lo" / "plans").glob("*.yaml"):
        shutil.copy(plan, workspace.plans_dir / plan.name)
    from reportgen.workspace import Workspace

    return Workspace(workspace.root)


def test_libreoffice_saved_ward_fixture(lo_workspace):
    receipt = _one(run_collect(lo_workspace, [DATA / "lo" / "2026-11_p-hoa-lu.lo.xlsx"]))
    assert receipt.agency == "p-hoa-lu"
    assert [p["code"] for p in receipt.problems] == ["I.5.6"]  # numerator > denominator
    values = _values(lo_workspace)
    assert values[("p-hoa-lu", "ninh-binh-2026|I.4.1")].value == 80.0  # "1.200" / "1.500"
    assert values[("p-hoa-lu", "ninh-binh-2026|I.4.2")].value == 95.0
    assert values[("p-hoa-lu", COMMUNE)].value == 12.0  # typed as text


@pytest.mark.parametrize("name", ["2026-11_so-khcn.lo.xlsx", "2026-11_so-khcn.ods", "2026-11_so-khcn.xls"])
def test_libreoffice_saved_department_fixtures(lo_workspace, name):
    typed = json.loads((DATA / "lo" / "filled.json").read_text(encoding="utf-8"))
    receipt = _one(run_collect(lo_workspace, [DATA / "lo" / name]))
    assert receipt.agency == "so-khcn"
    assert receipt.form_id == typed["so-khcn"]["form_id"]
    # a task "done" without its number nor its date (both said at once); "đạt" without evidence
    assert sorted(p["code"] for p in receipt.problems) == ["II.9", "II.9", "III.12"]
    values = _values(lo_workspace)
    assert values[("so-khcn", "ninh-binh-2026|II.4")].doc_date == "2026-03-31"
    assert values[("so-khcn", "ninh-binh-2026|II.5")].doc_date == "2026-07-15"
    assert values[("so-khcn", "ninh-binh-2026|I.5.1")].value == 0.72
    assert values[("so-khcn", PERCENT)].value == 76.5  # " 76,5 % "
    assert values[("so-khcn", COUNT)].value == 1200.0  # "1.200"
    assert values[("so-khcn", "ninh-binh-2025-2045|III.5")].value == 0.0
    assert values[("so-khcn", "ninh-binh-2025-2045|III.16")].assessment == "Đạt"  # "Dat"


@needs_soffice
def test_round_trip_through_libreoffice_end_to_end(workspace, tmp_path, runner):
    form = make_form(workspace, "p-tam-diep", tmp_path / "sent")
    filled = fill(
        form,
        {RATIO: {"numerator": 45, "denominator": 50}, COMMUNE: {"value": "30"}},
        target=tmp_path / "filled" / form.name,
    )
    saved = libreoffice_save(filled, tmp_path / "lo")
    result = runner.invoke(cli, ["-w", str(workspace.root), "collect", str(saved), "--period", "2026-11", "--json"])
    assert result.exit_code == 0, result.output
    [receipt] = json.loads(result.stdout)
    assert receipt["status"] == "accepted" and receipt["accepted"] == 2
    status = runner.invoke(cli, ["-w", str(workspace.root), "status", "--period", "2026-11", "--json"])
    data = json.loads(status.stdout)
    indicator = next(i for i in data["indicators"] if i["code"] == "I.5.2")
    assert indicator["value"] == 90.0 and indicator["provisional"] is True
    agency = next(a for a in data["agencies"] if a["agency"] == "p-tam-diep")
    assert agency["submitted_at"] and not agency["missing"]


def test_collect_command_exit_codes_and_json(workspace, form, tmp_path, runner):
    good = fill(form, {COUNT: {"value": 5}}, target=tmp_path / "ok" / form.name)
    result = runner.invoke(cli, ["-w", str(workspace.root), "collect", str(good), "--period", "2026-11"])
    assert result.exit_code == 0, result.output
    assert "✔" in result.output and "nhận 1 giá trị" in result.output
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"<html></html>")
    result = runner.invoke(cli, ["-w", str(workspace.root), "collect", str(bad), "--period", "2026-11", "--json"])
    assert result.exit_code == 1
    [receipt] = json.loads(result.stdout)
    assert set(receipt) >= {"file", "agency", "form_id", "accepted", "problems", "status"}
    assert receipt["status"] == "rejected"
    lock = tmp_path / "folder"
    lock.mkdir()
    (lock / "~$2026-11_p-hoa-lu.xlsx").write_bytes(b"lock")
    shutil.copy(good, lock / good.name)
    result = runner.invoke(cli, ["-w", str(workspace.root), "collect", str(lock), "--period", "2026-11"])
    assert result.exit_code == 0 and "~$" not in result.output


# --- one table of cell rules: the quick pass over empty rows changes nothing ------------------
def _reading(workspace, path, fast):
    from reportgen.cycle import Cycle
    from reportgen.intake import read_form
    from reportgen.periods import Period

    with Cycle(workspace, Period.parse("2026-11"), NOW) as cycle:
        expectation = cycle.collector().expectation()
    reading = read_form(Path(path).read_bytes(), Path(path).name, expectation, fast=fast)
    return reading.values, reading.problems, reading.entered


@pytest.mark.parametrize(
    "source",
    [
        "good",
        "faulty",
        "2026-11_p-hoa-lu.lo.xlsx",
        "2026-11_so-khcn.lo.xlsx",
        "2026-11_so-khcn.ods",
        "2026-11_so-khcn.xls",
    ],
)
def test_fast_and_careful_reading_agree(lo_workspace, tmp_path, source):
    if source in ("good", "faulty"):
        path = make_form(lo_workspace, AGENCY, tmp_path / "sent")
        cells = {
            COUNT: {"value": "85,5"},
            RATIO: {"numerator": 9, "denominator": 10},
            QUAL: {"assessment": "Đạt", "note": "QĐ 12/QĐ-UBND"},
        }
        if source == "faulty":
            cells |= {PERCENT: {"value": 120}, COUNT2: {"value": "mười"}, RATIO2: {"numerator": 5}}
        fill(path, cells)
    else:
        path = DATA / "lo" / source
    fast = _reading(lo_workspace, path, fast=True)
    careful = _reading(lo_workspace, path, fast=False)
    assert fast == careful
    assert fast[0]  # values were read
    if source != "good":
        assert any(p.level == "error" for p in fast[1])


def test_a_refused_or_faulty_file_is_not_shown_as_missing(workspace, form, tmp_path, runner):
    fill(form, {PERCENT: {"value": 120}})  # a problem to fix
    old = make_form(workspace, "p-tam-diep", tmp_path / "old", period="2026-10")  # another period's form
    target = tmp_path / "inbox" / "2026-11_p-tam-diep.xlsx"
    target.parent.mkdir()
    shutil.copy(old, target)
    result = runner.invoke(cli, ["-w", str(workspace.root), "collect", str(form), str(target), "--period", "2026-11"])
    assert result.exit_code == 1
    status = runner.invoke(cli, ["-w", str(workspace.root), "status", "--period", "2026-11", "--json"])
    agencies = {a["agency"]: a for a in json.loads(status.output)["agencies"]}
    assert agencies[AGENCY]["state"] == "problems" and agencies[AGENCY]["problems"] == 1
    assert agencies["p-tam-diep"]["state"] == "rejected" and agencies["p-tam-diep"]["rejected_files"] == 1
    assert agencies["p-phu-ly"]["state"] == "missing"
    summary = json.loads(status.output)["summary"]
    assert (summary["agencies_with_problems"], summary["agencies_rejected"]) == (1, 1)


# --- plausible-looking figures are kept, and questioned -----------------------------------
def _send(workspace, tmp_path, agency, period, cells, day=10):
    received = datetime(int(period[:4]), int(period[5:]), day, 9, tzinfo=NOW.tzinfo)
    form = make_form(workspace, agency, tmp_path / period / agency, period=period, now=received)
    return _one(run_collect(workspace, [fill(form, cells)], period=period, received=received))


@pytest.mark.parametrize(
    "october, november, column, question, kept",
    [
        (None, {COUNT: {"value": "85,5"}}, "value", 'Giá trị 85,5 có phần thập phân nhưng đơn vị tính "Cán bộ"', 85.5),
        (None, {COUNT: {"value": 7000}}, "value", "Giá trị 7.000 lớn hơn 10 lần mức chỉ tiêu (600)", 7000),
        ({COUNT: {"value": 50}}, {COUNT: {"value": 800}}, "value", "lớn hơn 10 lần số liệu kỳ trước (50)", 800),
        (
            {PERCENT: {"value": 20}},
            {PERCENT: {"value": 80}},
            "value",
            "Giá trị 80 tăng 60 điểm so với kỳ trước (20)",
            80,
        ),
        (
            None,
            {RATIO: {"numerator": "12,5", "denominator": 40}},
            "numerator",
            "Tử số 12,5 có phần thập phân nhưng là số đếm",
            12.5,
        ),
    ],
    ids=["count-decimals", "ten-times-target", "ten-times-previous", "jump", "ratio-decimals"],
)
def test_doubtful_figures_are_kept_and_questioned(workspace, tmp_path, october, november, column, question, kept):
    if october:
        _send(workspace, tmp_path, AGENCY, "2026-10", october)
    receipt = _send(workspace, tmp_path, AGENCY, "2026-11", november)
    assert receipt.status == "accepted" and receipt.problems == []  # a question, not an error
    [doubt] = receipt.doubts
    [key] = november
    assert doubt["cell"] == cell_of(make_form(workspace, AGENCY, tmp_path / "again"), key, column)
    assert question in doubt["message"] and "ghi giải thích vào cột Ghi chú" in doubt["message"]
    assert getattr(_values(workspace)[(AGENCY, key)], column) == kept  # kept as sent


def test_a_ranking_that_gets_much_worse_is_questioned(workspace, tmp_path):
    _send(workspace, tmp_path, "cong-an", "2026-10", {RANK: {"value": 10}})
    receipt = _send(workspace, tmp_path, "cong-an", "2026-11", {RANK: {"value": 30}})
    [doubt] = receipt.doubts
    assert "Giá trị 30 tăng mạnh so với kỳ trước (10) trong khi chỉ tiêu càng thấp càng tốt" in doubt["message"]
    calm = _send(workspace, tmp_path, "cong-an", "2026-12", {RANK: {"value": 32}})
    assert calm.doubts == []  # 32 after 30 is no question


def test_plausible_figures_raise_no_question(workspace, tmp_path):
    _send(workspace, tmp_path, AGENCY, "2026-10", {COUNT: {"value": 320}, PERCENT: {"value": 41.5}})
    receipt = _send(workspace, tmp_path, AGENCY, "2026-11", {COUNT: {"value": 340}, PERCENT: {"value": 44}})
    assert receipt.doubts == [] and receipt.notes == []


def test_a_percentage_outside_0_to_100_is_an_error_not_a_question(workspace, form):
    fill(form, {PERCENT: {"value": 130}})
    receipt = _one(run_collect(workspace, [form]))
    assert receipt.status == "problems" and receipt.doubts == []
    assert "vượt quá 100%" in receipt.problems[0]["message"]


def test_questions_reach_status_and_the_report_lists_them_apart(workspace, tmp_path, runner):
    _send(workspace, tmp_path, AGENCY, "2026-11", {COUNT: {"value": 7000}, "ninh-binh-2026|I.5.1": {"value": 0.72}})
    result = runner.invoke(cli, ["-w", str(workspace.root), "status", "--period", "2026-11", "--json"])
    data = json.loads(result.output)
    staff = next(i for i in data["indicators"] if i["code"] == "III.4")
    assert staff["doubts"] and "Sở Khoa học và Công nghệ: Giá trị 7.000 lớn hơn 10 lần" in staff["doubts"][0]
    assert data["summary"]["doubtful"] == 1
    report = runner.invoke(cli, ["-w", str(workspace.root), "report", "--period", "2026-11"])
    assert report.exit_code == 0, report.output
    from docx import Document

    docx = next((workspace.root / "output" / "2026-11").glob("bao-cao_2026-11.docx"))
    text = "\n".join(p.text for p in Document(docx).paragraphs)
    questioned = text.split("Số liệu cần xác minh", 1)[1]
    assert ", III.4): 7.000" in questioned and "lớn hơn 10 lần mức chỉ tiêu" in questioned
    praised = text.split("Các kết quả nổi bật", 1)[1].split("TỒN TẠI")[0]
    assert ", III.4)" not in praised and ", I.5.1)" in praised

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from reportgen.cli import cli
from reportgen.clock import VN
from reportgen.forms import write_form
from reportgen.layout import COLUMNS, FIRST_DATA_ROW, HEADER_ROW, IDENTITY_FIELDS, sign
from reportgen.periods import Period

from .conftest import needs_soffice
from .helpers import libreoffice_save, planner

NOW = datetime(2026, 11, 1, 8, 0, tzinfo=VN)


def _planner(workspace, period="2026-11", plans=()):
    return planner(workspace, period, NOW, plans, contact="Phòng QLKH, 0229 000 0000")


def _expected_keys(workspace, agency, period):
    """The catalog's assignment, computed here from the catalog alone."""
    from reportgen.periods import governing, parse_deadline

    keys = set()
    for plan in workspace.select_plans(()):
        for item in plan.items:
            if agency not in workspace.catalog.reporters(item):
                continue
            if item.kind == "task":
                keys.add(f"{plan.id}|{item.code}")
                continue
            deadline = parse_deadline(item.deadline)
            if deadline.due and Period.parse(period).month_number > deadline.month_number:
                continue
            if governing(item.targets, item.deadline, Period.parse(period)) is None:
                continue
            for part in item.parts:
                keys.add(f"{plan.id}|{item.code}" + (f"|{part}" if part else ""))
    for plan in workspace.select_plans(()):  # the same measure under two plans is asked once
        for item in plan.items:
            if item.same_as and item.same_as in keys:
                keys.discard(f"{plan.id}|{item.code}")
    return keys


def _data_rows(sheet):
    rows = {}
    for row in sheet.iter_rows(min_row=FIRST_DATA_ROW + 1):
        key = row[COLUMNS["key"]].value
        if key:
            rows[key] = row
    return rows


@pytest.fixture
def form_path(workspace, tmp_path):
    """The department's form: it has rows of every kind (rates, figures, assessments, tasks)."""
    spec = _planner(workspace).spec("so-khcn")
    path = tmp_path / spec.file_name
    write_form(spec, path, workspace.form_key())
    return path, spec


@pytest.mark.parametrize("agency", ["p-hoa-lu", "so-gd-dt", "cong-an", "vnpt", "so-khcn"])
def test_rows_per_agency_equal_the_catalog_assignment(workspace, tmp_path, agency):
    spec = _planner(workspace).spec(agency)
    path = tmp_path / spec.file_name
    write_form(spec, path, workspace.form_key())
    sheet = openpyxl.load_workbook(path)["BaoCao"]
    assert set(_data_rows(sheet)) == _expected_keys(workspace, agency, "2026-11")


def test_file_names_are_ascii_and_names_stay_vietnamese(workspace):
    maker = _planner(workspace)
    specs = [maker.spec(a) for a in maker.duties.agencies()]
    for spec in specs:
        assert re.fullmatch(r"2026-11_[a-z0-9-]+\.xlsx", spec.file_name)
    names = {s.agency: s.agency_name for s in specs}
    assert names["p-tam-diep"] == "UBND phường Tam Điệp"


def test_targets_shown_are_those_governing_the_period(workspace, tmp_path):
    for period, expected in (("2025-11", "≥ 60"), ("2026-11", "100"), ("2031-01", None)):
        rows = {r.key: r for r in _planner(workspace, period).duties.rows("vnpt")}
        row = rows.get("ninh-binh-2025-2045|I.1")
        if expected is None:
            assert row is None  # no 5G target after 2030
        else:
            # the telecoms report the province's coverage together: the target is shown as the province's
            assert row.target.split(";")[0] == f"Cả tỉnh: {expected}"
            assert row.deadline == ("Năm 2030" if period > "2026" else "Năm 2025")
    # the 2026 plan asks 5G coverage again (same_as): one row, with this year's target beside 2030's
    rows = {r.key: r for r in _planner(workspace).duties.rows("vnpt")}
    assert "ninh-binh-2026|I.2.1" not in rows
    five_g = rows["ninh-binh-2025-2045|I.1"]
    assert five_g.target == "Cả tỉnh: 100; Kế hoạch năm 2026: Đạt tối thiểu 70% (Tháng 12/2026)"
    assert five_g.deadline == "Năm 2030" and five_g.also == ("ninh-binh-2026|I.2.1",)


def test_indicators_past_their_deadline_leave_the_form(workspace):
    november = {r.key for r in _planner(workspace, "2026-11").duties.rows("so-khcn")}
    december = {r.key for r in _planner(workspace, "2026-12").duties.rows("so-khcn")}
    assert "ninh-binh-2026|I.3.1" in november  # deadline Tháng 11/2026
    assert "ninh-binh-2026|I.3.1" not in december
    assert "ninh-binh-2026|I.1.1" in december  # Thường xuyên
    assert "ninh-binh-2026|II.4" in december  # an unfinished task stays, overdue


def test_input_cells_fit_each_indicator(workspace, form_path):
    path, _ = form_path
    sheet = openpyxl.load_workbook(path)["BaoCao"]
    rows = _data_rows(sheet)
    c = COLUMNS

    ratio = rows["ninh-binh-2026|I.5.2"]  # % from many agencies: numerator/denominator
    assert ratio[c["value"]].value.startswith("=IF(AND(ISNUMBER(")
    assert not ratio[c["numerator"]].protection.locked
    assert not ratio[c["denominator"]].protection.locked
    assert ratio[c["value"]].protection.locked

    qualitative = rows["ninh-binh-2025-2045|III.11"]  # "Có" / "Ứng dụng mạnh mẽ"
    assert not qualitative[c["assessment"]].protection.locked
    assert qualitative[c["value"]].protection.locked
    for row in rows.values():
        assert not row[c["note"]].protection.locked
        for locked in ("key", "code", "name", "unit", "target", "deadline", "previous"):
            assert row[c[locked]].protection.locked


def test_composite_indicator_has_a_row_per_part(workspace, tmp_path):
    spec = _planner(workspace).spec("so-gd-dt")
    rows = {r.key: r for r in spec.rows}
    assert rows["ninh-binh-2026|I.3.7|a"].name.endswith("— giáo viên")
    assert rows["ninh-binh-2026|I.3.7|a"].target.startswith("Đạt 100%")
    assert rows["ninh-binh-2026|I.3.7|b"].name.endswith("— học sinh phổ thông")


def test_tasks_have_status_document_number_and_date(workspace, tmp_path):
    spec = _planner(workspace).spec("so-khcn")
    path = tmp_path / spec.file_name
    write_form(spec, path, workspace.form_key())
    sheet = openpyxl.load_workbook(path)["BaoCao"]
    task = _data_rows(sheet)["ninh-binh-2026|II.4"]
    for name in ("assessment", "doc_number", "doc_date", "note"):
        assert not task[COLUMNS[name]].protection.locked
    validations = {dv.formula1: str(dv.sqref) for dv in sheet.data_validations.dataValidation}
    row = task[0].row
    status, when = (task[COLUMNS[name]].column_letter for name in ("assessment", "doc_date"))
    assert f"{status}{row}" in _cells(validations["DM_TRANGTHAI"])
    date_rules = [dv for dv in sheet.data_validations.dataValidation if dv.type == "date"]
    assert f"{when}{row}" in _cells(str(date_rules[0].sqref))


def _cells(sqref: str) -> set[str]:
    from openpyxl.utils.cell import get_column_letter, range_boundaries

    out = set()
    for part in sqref.split():
        c1, r1, c2, r2 = range_boundaries(part)
        for col in range(c1, c2 + 1):
            for row in range(r1, r2 + 1):
                out.add(f"{get_column_letter(col)}{row}")
    return out


def test_validations_lists_and_messages(workspace, form_path):
    path, _ = form_path
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["BaoCao"]
    rules = sheet.data_validations.dataValidation
    assert {dv.type for dv in rules} >= {"decimal", "list"}
    for dv in rules:
        if dv.type == "list":
            assert dv.formula1 in ("DM_DANHGIA", "DM_TRANGTHAI")  # never an inline list
        assert dv.prompt and (dv.error or dv.type is None)  # Vietnamese messages; a % cell only explains
        assert len(dv.prompt) <= 255 and len(dv.error or "") <= 255
    # a percentage is typed into a text cell, as the clerk writes it: the rule only explains
    percent = [dv for dv in rules if dv.type is None and "0 đến 100" in (dv.prompt or "")]
    assert percent
    for cell in _cells(str(percent[0].sqref)):
        assert sheet[cell].number_format == "@" and not sheet[cell].protection.locked
    assert workbook["_lists"].sheet_state == "hidden"
    assert [c.value for c in workbook["_lists"]["A"]] == ["Đạt", "Chưa đạt", "Đang thực hiện", "Không có số liệu"]
    # every unlocked value cell carries a rule: numeric, or the % cells' explanation
    covered = set().union(*(_cells(str(dv.sqref)) for dv in rules))
    for row in _data_rows(sheet).values():
        for name in ("value", "numerator", "denominator"):
            cell = row[COLUMNS[name]]
            if not cell.protection.locked:
                assert cell.coordinate in covered


def test_protection_print_setup_and_fonts(workspace, form_path):
    path, _ = form_path
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["BaoCao"]
    assert sheet.protection.sheet is True
    assert sheet.protection.password is None  # no password by default
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.paperSize == 9  # A4
    # an explicit scale that fits the width (LibreOffice drops a long sheet's last rows when "fit to width")
    assert 80 <= int(sheet.page_setup.scale) < 100
    assert sheet.print_title_rows == f"${HEADER_ROW + 1}:${HEADER_ROW + 1}"
    assert sheet.column_dimensions["A"].hidden
    fonts = {sheet.cell(row=r, column=3).font.name for r in range(1, sheet.max_row + 1)}
    assert fonts == {"Times New Roman"}
    assert workbook["HuongDan"]["B1"].value == "HƯỚNG DẪN ĐIỀN BIỂU MẪU"
    guide = " ".join(str(c.value) for c in workbook["HuongDan"]["B"] if c.value)
    assert "không dùng dấu phân cách hàng nghìn" in guide and "Hạn gửi lại: 16/11/2026" in guide
    assert "0229 000 0000" in guide


def test_password_is_configurable(workspace, tmp_path):
    spec = _planner(workspace).spec("vnpt")
    write_form(spec, tmp_path / "f.xlsx", workspace.form_key(), password="bi-mat")
    assert openpyxl.load_workbook(tmp_path / "f.xlsx")["BaoCao"].protection.password


def test_identity_block_is_signed_and_very_hidden(workspace, form_path):
    path, spec = form_path
    workbook = openpyxl.load_workbook(path)
    meta = workbook["_meta"]
    assert meta.sheet_state == "veryHidden"
    values = {row[0].value: row[1].value for row in meta.iter_rows()}
    assert values["reportgen-form"] == "1"
    identity = {name: values[name] for name in IDENTITY_FIELDS}
    assert identity["agency"] == "so-khcn" and identity["period"] == "2026-11"
    assert "ninh-binh-2026@" in identity["plans"]
    assert values["signature"] == sign(workspace.form_key(), identity)
    forged = dict(identity, agency="p-hoa-lu")
    assert values["signature"] != sign(workspace.form_key(), forged)
    assert workspace.form_key().hex() not in path.read_bytes().decode("latin-1")


def test_forms_command_writes_files_and_json(runner, workspace_dir):
    import json

    result = runner.invoke(
        cli,
        [
            "-w",
            str(workspace_dir),
            "forms",
            "--period",
            "2026-11",
            "--agency",
            "so-khcn",
            "--agency",
            "p-hoa-lu",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [d["agency"] for d in data] == ["p-hoa-lu", "so-khcn"]
    assert data[0]["file"] == "output/2026-11/forms/2026-11_p-hoa-lu.xlsx"
    assert (workspace_dir / data[0]["file"]).is_file()
    plain = runner.invoke(cli, ["-w", str(workspace_dir), "forms", "--period", "2026-11"])
    assert plain.exit_code == 0, plain.output
    files = sorted((workspace_dir / "output/2026-11/forms").glob("*.xlsx"))
    assert len(files) == 35  # every agency that owes a figure or a task this month
    assert "2026-11_so-khcn.xlsx" in plain.stdout


@pytest.mark.parametrize(
    "args, code, text",
    [
        (["forms", "--period", "2026/11"], 2, 'Kỳ báo cáo "2026/11" không hợp lệ'),
        (["forms", "--period", "2026-11", "--agency", "so-khong-co"], 2, 'Không có cơ quan mã "so-khong-co"'),
        (["forms", "--period", "2026-11", "--plan", "x"], 2, 'Không có kế hoạch "x"'),
    ],
)
def test_forms_usage_errors(runner, workspace_dir, args, code, text):
    result = runner.invoke(cli, ["-w", str(workspace_dir), *args])
    assert result.exit_code == code
    assert text in result.output


@needs_soffice
def test_libreoffice_round_trip_keeps_validations_protection_and_inputs(workspace, form_path, tmp_path):
    path, spec = form_path
    copy = libreoffice_save(path, tmp_path / "lo")
    workbook = openpyxl.load_workbook(copy)
    sheet = workbook["BaoCao"]
    assert sheet.protection.sheet is True
    types = {dv.type for dv in sheet.data_validations.dataValidation}
    assert {"decimal", "list"} <= types
    rows = _data_rows(sheet)
    assert set(rows) == {r.key for r in spec.rows}
    ratio = rows["ninh-binh-2026|I.5.2"]
    assert not ratio[COLUMNS["numerator"]].protection.locked
    assert ratio[COLUMNS["name"]].protection.locked
    # LibreOffice keeps the identity sheet but only as "hidden", not "veryHidden".
    assert workbook["_meta"].sheet_state in ("hidden", "veryHidden")
    values = {row[0].value: row[1].value for row in workbook["_meta"].iter_rows()}
    identity = {name: values[name] for name in IDENTITY_FIELDS}
    assert values["signature"] == sign(workspace.form_key(), identity)


def test_last_periods_value_is_shown(workspace, tmp_path):

    from .helpers import fill, in_cycle, run_collect

    october = in_cycle(
        workspace,
        Period.parse("2026-10"),
        datetime(2026, 10, 1, 8, tzinfo=VN),
        "make_forms",
        agencies=["p-hoa-lu"],
        workers=1,
    )
    [written] = october.written
    filled = fill(
        Path(written.path),
        {"ninh-binh-2025-2045|IV.10": {"value": 12}, "ninh-binh-2026|I.5.2": {"numerator": 19, "denominator": 20}},
        target=tmp_path / "2026-10_p-hoa-lu.xlsx",
    )
    run_collect(workspace, [filled], period="2026-10")
    november = in_cycle(workspace, Period.parse("2026-11"), NOW, "make_forms", agencies=["p-hoa-lu"], workers=1)
    sheet = openpyxl.load_workbook(november.written[0].path)["BaoCao"]
    rows = _data_rows(sheet)
    assert rows["ninh-binh-2025-2045|IV.10"][COLUMNS["previous"]].value == "12"
    assert rows["ninh-binh-2026|I.5.2"][COLUMNS["previous"]].value == "95"
    assert rows["ninh-binh-2026|I.5.8"][COLUMNS["previous"]].value is None


def test_a_row_behind_last_period_asks_its_holder_for_the_cause(workspace, tmp_path):
    from .helpers import fill, in_cycle, run_collect

    october = in_cycle(
        workspace, Period.parse("2026-10"), datetime(2026, 10, 1, 8, tzinfo=VN), "make_forms", agencies=["so-khcn"]
    )
    behind = "ninh-binh-2025-2045|II.10"  # assessed by Sở KH&CN alone: "Chưa đạt"
    met = "ninh-binh-2025-2045|II.12"
    filled = fill(
        Path(october.written[0].path),
        {behind: {"assessment": "Chưa đạt"}, met: {"assessment": "Đạt", "note": "Văn bản 12/BC-SKHCN"}},
        target=tmp_path / "2026-10_so-khcn.xlsx",
    )
    run_collect(workspace, [filled], period="2026-10")
    november = in_cycle(workspace, Period.parse("2026-11"), NOW, "make_forms", workers=1)
    paths = {w.agency: Path(w.path) for w in november.written}
    workbook = openpyxl.load_workbook(paths["so-khcn"])
    sheet = workbook["BaoCao"]
    assert sheet.cell(HEADER_ROW + 1, COLUMNS["cause"] + 1).value == "Nguyên nhân, giải pháp (khi chậm, chưa đạt)"
    rows = _data_rows(sheet)
    asked, fine = rows[behind][COLUMNS["cause"]], rows[met][COLUMNS["cause"]]
    assert asked.fill.fgColor.rgb.endswith("FCE4D6") and not asked.protection.locked
    assert not fine.fill.fgColor.rgb.endswith("FCE4D6")
    prompts = [v for v in sheet.data_validations.dataValidation if asked.coordinate in str(v.sqref)]
    assert any(v.promptTitle == "Nguyên nhân, giải pháp" for v in prompts)
    guide = "\n".join(str(c.value) for row in workbook["HuongDan"].iter_rows() for c in row if c.value)
    assert "II.10" in guide and "chậm tiến độ hoặc chưa đạt ở kỳ trước" in guide
    # a commune reporting its own part of a province-wide rate is never asked why the province is behind
    commune = _data_rows(openpyxl.load_workbook(paths["p-hoa-lu"])["BaoCao"])
    assert not any(row[COLUMNS["cause"]].fill.fgColor.rgb.endswith("FCE4D6") for row in commune.values())
    # the cause typed comes back and is kept with the figure
    cause = "Thiếu máy quét; đã đề xuất mua bổ sung."
    again = fill(paths["so-khcn"], {behind: {"assessment": "Đang thực hiện", "cause": cause}})
    run_collect(workspace, [again], period="2026-11")
    from reportgen.store import Store

    store = Store.open(workspace)
    try:
        [value] = [v for v in store.values_as_of(Period.parse("2026-11").month_number, "so-khcn") if v.key == behind]
    finally:
        store.close()
    assert value.cause == cause and value.assessment == "Đang thực hiện"


def test_the_same_measure_under_two_plans_is_asked_once(workspace, tmp_path):
    from .helpers import fill, make_form, run_collect

    rows = {r.key: r for r in _planner(workspace).spec("so-khcn").rows}
    assert "ninh-binh-2025-2045|II.8" in rows and "ninh-binh-2026|I.7.4" not in rows  # same_as: asked once
    assert "dùng cho cả I.7.4 (Kế hoạch năm 2026)" in rows["ninh-binh-2025-2045|II.8"].scope
    path = make_form(workspace, "so-khcn", tmp_path / "sent")
    sheet = openpyxl.load_workbook(path)["BaoCao"]
    assert "ninh-binh-2026|I.7.4" not in _data_rows(sheet)
    run_collect(workspace, [fill(path, {"ninh-binh-2025-2045|II.8": {"value": 61.5}})])
    from reportgen.overview import build_overview
    from reportgen.store import Store

    store = Store.open(workspace)
    try:
        view = build_overview(
            workspace.catalog, workspace.select_plans(()), store, Period.parse("2026-11"), NOW.date(), submission_day=16
        )
    finally:
        store.close()
    [alias] = view.find("I.7.4", "ninh-binh-2026")
    [main] = view.find("II.8", "ninh-binh-2025-2045")
    assert alias.value == main.value == 61.5  # the one figure fills both plans

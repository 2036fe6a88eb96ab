from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from docx import Document

from reportgen.catalog import item_json
from reportgen.checker import check_plan
from reportgen.cli import cli
from reportgen.errors import SourceError, UsageError
from reportgen.importer import import_plan
from reportgen.messages import describe
from reportgen.planfile import dump_plan, load_plan
from reportgen.sources import read_source

from .conftest import SEEDS


def _import(registry, name, plan_id, province=None):
    return import_plan(read_source(SEEDS / name), plan_id, registry, province)


@pytest.fixture
def registry(workspace):
    return workspace.registry


@pytest.fixture
def nb2045(registry):
    return _import(registry, "ninh-binh-2025-2045-chi-tieu.txt", "nb-2045")


@pytest.fixture
def nb2026(registry):
    return _import(registry, "ninh-binh-2026-phan-cong.txt", "nb-2026")


@pytest.fixture
def cao_bang(registry):
    return _import(registry, "cao-bang-2030-2045-chi-tieu.txt", "cb", "cao-bang")


def test_ninh_binh_2025_2045_counts(nb2045):
    assert len(nb2045.indicators) == 98
    assert list(nb2045.sections) == ["I", "II", "III", "IV", "V"]
    assert Counter(i.section for i in nb2045.indicators) == {"I": 4, "II": 17, "III": 17, "IV": 14, "V": 46}
    assert nb2045.years == [2025, 2030, 2035, 2040, 2045]


def test_duplicate_37_is_kept_with_distinct_code_and_warning(nb2045):
    first, second = nb2045.item("V.37"), nb2045.item("V.37b")
    assert first.name.startswith("Các ngành đều có khả năng cạnh tranh")
    assert second.name == "Tỷ trọng kinh tế số trong tổng GRDP"
    assert any("bị trùng" in note and "V.37b" in note for note in second.review)


def test_section_qualified_codes(nb2045):
    assert nb2045.item("I.1").name == "Phủ sóng 5G trên dân số"
    assert nb2045.item("II.1").name.startswith("Tỷ lệ chi ngân sách địa phương")
    assert nb2045.item("V.45") is not None


def test_continuation_row_joins_cut_cell(nb2045):
    # "Vườn ươm/Trung tâm/Doanh" continues as "ngành" after the repeated header.
    assert nb2045.item("IV.2").unit == "Vườn ươm/Trung tâm/Doanh ngành"
    assert nb2045.item("IV.3").unit == "%"


def test_targets_per_milestone_year(nb2045):
    item = nb2045.item("I.1")
    assert [(t.year, t.op, t.value) for t in item.targets] == [(2025, ">=", 60), (2030, "=", 100)]
    ranged = nb2045.item("III.14")
    [target] = ranged.targets
    assert (target.year, target.op, target.value, target.value_max) == (2040, "range", 7, 10)


def test_rank_indicators_are_lower_is_better(nb2045, cao_bang):
    assert nb2045.item("IV.13").direction == "lower"  # PII ranking "≤ 15"
    assert nb2045.item("V.26").direction == "lower"
    assert cao_bang.item("II.2").direction == "lower"
    assert nb2045.item("I.1").direction == "higher"


def test_actors_who_cannot_report_map_to_the_monitor(nb2045, registry):
    item = nb2045.item("III.1")  # "Các doanh nghiệp trên địa bàn tỉnh"
    assert item.implementers == ["doanh-nghiep"]
    assert item_json(item, registry)["reporters"] == ["so-khcn"]


def test_ninh_binh_2026_counts_groups_and_tasks(nb2026):
    assert len(nb2026.indicators) == 49
    assert len(nb2026.groups) == 8
    values = sum(len(item.parts) for item in nb2026.indicators)
    assert values == 50
    assert len(nb2026.tasks) == 12
    assert nb2026.item("I.2.3").group == "I.2"
    assert nb2026.groups["I.2"] == "Về Phát triển Hạ tầng số"


def test_target_inside_text_and_deadline(nb2026):
    item = nb2026.item("I.2.1")
    assert item.name == "Tỷ lệ phủ sóng 5G trên dân số"
    [target] = item.targets
    assert (target.op, target.value, target.unit, target.deadline) == (">=", 70, "%", "Tháng 12/2026")
    assert item.unit == "%"


def test_continuation_rows_in_the_2026_plan(nb2026):
    assert nb2026.item("I.2.3").reporters_text == (
        "Các cơ quan, đơn vị được giao quản lý, vận hành các hệ thống thông tin của tỉnh"
    )
    assert nb2026.item("I.8.1").deadline == "Thường xuyên"
    assert nb2026.item("I.8.1").name.endswith("được kiểm tra, đánh giá an ninh mạng định kỳ")
    assert nb2026.item("I.5.11").reporters_text == "Các sở, ban, ngành; UBND các xã, phường"
    assert nb2026.item("I.3.4").targets[0].value == 100


def test_composite_indicator(nb2026):
    item = nb2026.item("I.3.7")
    assert item.parts == ["a", "b"]
    assert [t.label for t in item.targets] == ["giáo viên", "học sinh phổ thông"]


def test_tasks_have_deadlines_and_a_lead(nb2026, registry):
    task = nb2026.item("II.3")
    assert task.kind == "task"
    assert task.deadline == "Tháng 3/2026"
    assert task.targets == []
    assert "buu-dien" in task.implementers  # "Bru điện tỉnh"
    assert any("Bưu điện tỉnh" in note for note in task.review)
    assert item_json(task, registry)["reporters"] == ["so-khcn"]
    assert item_json(nb2026.item("II.11"), registry)["reporters"] == ["cong-an"]


def test_cao_bang_counts_group_row_and_parent(cao_bang):
    to_2030 = [i for i in cao_bang.indicators if i.targets and i.targets[0].year == 2030]
    to_2045 = [i for i in cao_bang.indicators if i.targets and i.targets[0].year == 2045]
    assert (len(cao_bang.indicators), len(to_2030), len(to_2045)) == (46, 40, 6)
    assert cao_bang.groups == {
        "I.9": (
            "Tăng cường thực hiện thủ tục hành chính, dịch vụ công và chỉ đạo, điều hành, quản trị nội bộ "
            "trên môi trường điện tử"
        )
    }
    assert cao_bang.item("I.9") is None
    parent = cao_bang.item("I.20")
    assert parent.targets[0].kind == "qualitative"
    assert cao_bang.item("I.20.1").group == "I.20"
    assert cao_bang.item("I.20.1").targets[0].kind == "directive"


def test_cao_bang_shapes(cao_bang):
    assert cao_bang.item("I.10").targets[0].kind == "trend"
    assert cao_bang.item("I.13").targets[0].aspirational is True
    assert cao_bang.item("I.17").basis == "growth"
    # No reporting column: the monitoring agency reports.
    assert cao_bang.item("I.29").reporters == ["cb-so-y-te"]
    assert any("không có cột đơn vị thực hiện" in n for n in cao_bang.notes)


def test_seeds_import_with_only_the_problems_a_reviewer_must_settle(nb2045, nb2026, cao_bang, registry):
    for plan in (nb2045, nb2026, cao_bang):
        for item in plan.items:
            assert item_json(item, registry)["reporters"], item.code
            assert item.monitor, item.code
    assert [f for f in check_plan(nb2026, registry) if f.problem] == []
    assert [f for f in check_plan(cao_bang, registry) if f.problem] == []
    problems = {f.code: f.message for f in check_plan(nb2045, registry) if f.problem}
    assert set(problems) == {"IV.4", "V.43"}
    assert 'Mốc năm 2035 ("50") lùi so với mốc năm 2030 ("≥ 60")' in problems["IV.4"]
    assert "Cơ quan theo dõi là nhóm" in problems["V.43"]


def test_the_bundled_catalog_is_the_reviewed_import(workspace):
    """config/plans/ is the seeds' import plus the review recorded in tools/import_seeds.py."""
    for plan in workspace.catalog.plans.values():
        assert [f for f in check_plan(plan, workspace.registry) if f.problem] == [], plan.id
    plan = workspace.catalog.plans["ninh-binh-2025-2045"]
    assert plan.item("IV.4").confirmed == ["milestones"] and "đính chính" in plan.item("IV.4").note
    assert plan.item("V.43").monitor == "so-khcn"


OPERATORS = ["vnpt", "viettel", "mobifone"]


@pytest.mark.parametrize(
    "plan, code, reporters, rule",
    [
        # one figure, held by the agency that holds it
        ("nb2045", "V.22", ["nhnn-kv7"], "single"),  # adults with a bank account: the state bank
        ("nb2026", "I.6.4", ["nhnn-kv7"], "single"),  # the same indicator in the 2026 plan
        ("nb2026", "I.6.3", ["nhnn-kv7"], "single"),
        ("nb2045", "V.15", ["nhnn-kv7"], "single"),  # cashless payments
        ("nb2045", "V.23", ["so-khcn"], "single"),  # digital signatures of the population
        ("nb2045", "V.24", ["so-khcn"], "single"),
        ("nb2045", "II.8", ["so-khcn"], "single"),  # adults using digital services
        ("nb2045", "II.11", ["so-khcn"], "single"),
        ("nb2045", "III.8", ["so-khcn"], "single"),  # enterprises using research: not a university's count
        ("nb2045", "II.12", ["so-khcn"], "single"),  # national rankings: one self-assessment, not 27
        ("nb2045", "V.26", ["cong-an"], "single"),
        ("nb2045", "V.1", ["so-khcn"], "single"),  # the province's DTI index
        # telecom coverage: the operators, whose networks overlap
        ("nb2026", "I.2.1", OPERATORS, "max"),
        ("nb2026", "I.2.2", OPERATORS, "max"),
        ("nb2045", "I.1", OPERATORS, "max"),
        ("nb2045", "I.3", OPERATORS, "max"),
        # each unit's own figures: every unit reports, Σ numerators / Σ denominators or summed
        ("nb2045", "V.7", ["so-ban-nganh", "xa-phuong"], "ratio"),
        ("nb2026", "I.4.2", ["so-ban-nganh", "xa-phuong"], "ratio"),
        ("nb2045", "II.5", ["so-noi-vu", "so-khcn", "dang-uy-xa", "xa-phuong"], "ratio"),
        ("nb2045", "IV.10", ["so-ban-nganh", "xa-phuong"], "sum"),
    ],
)
def test_who_reports_each_indicator_and_how_it_adds_up(request, plan, code, reporters, rule):
    item = request.getfixturevalue(plan).item(code)
    assert (item.reporters, item.aggregate) == (reporters, rule)


def test_implementers_are_kept_apart_from_reporters(nb2045, registry):
    item = nb2045.item("V.22")
    assert "so-ban-nganh" in item.implementers and "xa-phuong" in item.implementers  # who acts
    assert item.reporters == ["nhnn-kv7"]  # who sends the figure
    assert item_json(item, registry)["implementers"] == item.implementers


def test_review_notes_are_few_with_reasons_and_the_important_first(nb2045, nb2026, registry):
    notes = [f for f in check_plan(nb2045, registry) if not f.problem]
    assert len(notes) < 35  # not one "rule was inferred" line per row
    assert [f.rank for f in notes] == sorted(f.rank for f in notes)
    assert notes[0].rank == 0 and notes[-1].rank == 2
    unsure = [f for f in notes if f.message.startswith("Đơn vị báo cáo:")]
    assert unsure and all("(" in f.message for f in unsure)  # each says why
    assert all(f.rank == 0 for f in unsure)
    # what holds for many rows is said once for the plan, with the rows it concerns
    [shared] = [f for f in notes if "số liệu chung của cả tỉnh" in f.message]
    assert shared.code == "-" and "V.22" in shared.message and "V.23" in shared.message
    [yearly] = [f for f in notes if "đếm theo năm" in f.message]
    assert "IV.10" in yearly.message
    assert any("Chưa có số, ngày ký" in f.message for f in check_plan(nb2026, registry))


def test_version_covers_who_reports_and_how(nb2026):
    before = nb2026.version
    nb2026.item("I.4.2").reporters = ["so-khcn"]
    nb2026.__dict__.pop("version")
    assert nb2026.version != before


def test_cao_bang_without_its_province_is_refused_not_matched(registry):
    with pytest.raises(UsageError) as err:
        _import(registry, "cao-bang-2030-2045-chi-tieu.txt", "cb")
    assert err.value.detail == "plan-province"
    assert "--province cao-bang" in describe(err.value)


def test_cao_bang_rows_against_the_wrong_province_give_errors(registry, tmp_path):
    """A heading that names no province cannot protect the plan: its agencies are then unknown,
    with the near names as a hint, and `catalog check` fails."""
    text = (SEEDS / "cao-bang-2030-2045-chi-tieu.txt").read_text(encoding="utf-8")
    anonymous = tmp_path / "cb.txt"
    anonymous.write_text(text.replace("tỉnh Cao Bằng", "tỉnh"), encoding="utf-8")
    plan = import_plan(read_source(anonymous), "cb", registry)
    problems = [f for f in check_plan(plan, registry) if f.problem]
    assert problems
    bank = next(f for f in problems if "Ngân hàng Nhà nước khu vực 5" in f.message)
    assert "Ngân hàng Nhà nước Khu vực 7" in bank.message and "khác số hoặc khác tên" in bank.message
    assert plan.item("I.10").reporters != ["nhnn-kv7"]


def test_yaml_round_trip_keeps_everything(nb2026, tmp_path):
    path = tmp_path / "nb-2026.yaml"
    path.write_text(dump_plan(nb2026), encoding="utf-8")
    loaded = load_plan(path)
    assert loaded.version == nb2026.version
    assert [i.code for i in loaded.items] == [i.code for i in nb2026.items]
    assert loaded.item("I.3.7").targets == nb2026.item("I.3.7").targets
    assert loaded.item("II.3").review == nb2026.item("II.3").review
    assert loaded.groups == nb2026.groups


def test_editing_a_target_changes_the_version(nb2026, tmp_path):
    path = tmp_path / "nb-2026.yaml"
    text = dump_plan(nb2026)
    path.write_text(text, encoding="utf-8")
    before = load_plan(path).version
    path.write_text(text.replace("Đạt tối thiểu 70%", "Đạt tối thiểu 75%", 1), encoding="utf-8")
    assert load_plan(path).version != before


# --- Word and Excel sources built here ---------------------------------------------------
HEADER = [
    "STT",
    "Nội dung chỉ tiêu",
    "Đơn vị tính",
    "Mức chỉ tiêu",
    "",
    "",
    "Cơ quan chủ trì thực hiện",
    "Cơ quan theo dõi, đánh giá",
]


def _word_table(document, rows_after_header):
    table = document.add_table(rows=2, cols=8)
    for index, text in enumerate(HEADER):
        table.rows[0].cells[index].text = text
    for index, year in enumerate(["Năm 2025", "Năm 2030", "2035"]):
        table.rows[1].cells[3 + index].text = year
    table.cell(0, 3).merge(table.cell(0, 5))  # "Mức chỉ tiêu" over the years
    for col in (0, 1, 2, 6, 7):
        table.cell(0, col).merge(table.cell(1, col))  # vertically merged headers
    for values in rows_after_header:
        cells = table.add_row().cells
        if isinstance(values, str):  # a section row spanning the table
            cells[0].merge(cells[7])
            cells[0].text = values
            continue
        for index, text in enumerate(values):
            cells[index].text = text
    return table


def make_docx(path: Path) -> Path:
    document = Document()
    document.add_paragraph("Phụ lục: Danh mục chỉ tiêu thử nghiệm")
    _word_table(
        document,
        [
            "I. Hạ tầng số",
            [
                "1.",
                "Phủ sóng 5G trên dân số",
                "%",
                "≥ 60",
                "100",
                "-",
                "Các doanh nghiệp viễn thông",
                "Sở Khoa học và Công nghệ",
            ],
            [
                "2.",
                "Tỉ lệ hồ sơ thủ tục hành chính xử lý",
                "%",
                "≥ 80",
                "≥ 85",
                "≥ 95",
                "Các sở, ban, ngành, địa",
                "Văn phòng UBND tỉnh",
            ],
        ],
    )
    document.add_page_break()
    _word_table(
        document,
        [
            ["", "trực tuyến", "", "", "", "", "phương", ""],  # the cell cut by the page break
            "II. Xếp hạng",
            ["1.", "Xếp hạng an toàn thông tin mạng", "Thứ bậc", "-", "≤ 15", "≤ 10", "Công an tỉnh", "Công an tỉnh"],
        ],
    )
    document.save(path)
    return path


def test_docx_import(registry, tmp_path):
    plan = import_plan(read_source(make_docx(tmp_path / "phu-luc.docx")), "docx-plan", registry)
    assert [i.code for i in plan.items] == ["I.1", "I.2", "II.1"]
    assert plan.sections == {"I": "Hạ tầng số", "II": "Xếp hạng"}
    assert plan.years == [2025, 2030, 2035]
    cut = plan.item("I.2")
    assert cut.name == "Tỉ lệ hồ sơ thủ tục hành chính xử lý trực tuyến"
    assert cut.implementers == ["so-ban-nganh", "xa-phuong"]
    assert [(t.year, t.value) for t in cut.targets] == [(2025, 80), (2030, 85), (2035, 95)]
    rank = plan.item("II.1")
    assert rank.direction == "lower"
    assert [(t.year, t.op) for t in rank.targets] == [(2030, "<="), (2035, "<=")]
    assert plan.title.startswith("Phụ lục: Danh mục chỉ tiêu thử nghiệm")


def make_xlsx(path: Path, with_agencies: bool = True) -> Path:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Phụ lục"
    sheet.append(["DANH MỤC CHỈ TIÊU"])
    header = ["TT", "Chỉ tiêu", "Năm 2026", "Năm 2030"]
    if with_agencies:
        header[2:2] = ["Đơn vị"]
        header += ["Đơn vị chủ trì thực hiện", "Cơ quan theo dõi", "Ghi chú"]
    sheet.append(header)
    sheet.append(["I", "Chuyển đổi số"])
    rows = [
        ["1", "Tỷ lệ hồ sơ được số hóa", 0.8, "≥ 90%"],
        ["2", "Số doanh nghiệp công nghệ số", 120, 1500],
    ]
    for row in rows:
        if with_agencies:
            row[2:2] = ["%" if "Tỷ lệ" in row[1] else "Doanh nghiệp"]
            row += ["Sở Khoa học và Công nghệ; Sở Công Thương", "Sở Khoa học và Công nghệ", ""]
        sheet.append(row)
    if with_agencies:
        sheet.cell(row=4, column=3 + 1).number_format = "0%"
    sheet.merge_cells(start_row=3, start_column=2, end_row=3, end_column=len(header))
    workbook.save(path)
    return path


def test_xlsx_import(registry, tmp_path):
    plan = import_plan(read_source(make_xlsx(tmp_path / "chi-tieu.xlsx")), "xlsx-plan", registry)
    assert [i.code for i in plan.items] == ["I.1", "I.2"]
    share = plan.item("I.1")
    assert [(t.year, t.op, t.value, t.unit) for t in share.targets] == [(2026, "=", 80, "%"), (2030, ">=", 90, "%")]
    count = plan.item("I.2")
    assert [t.value for t in count.targets] == [120, 1500]
    assert count.implementers == ["so-khcn", "so-cong-thuong"]
    # the province's enterprises are one figure, counted by the monitoring department
    assert (count.reporters, count.aggregate) == (["so-khcn"], "single")


def test_table_without_unit_or_agency_columns_imports_with_warnings(registry, tmp_path):
    path = make_xlsx(tmp_path / "thieu-cot.xlsx", with_agencies=False)
    plan = import_plan(read_source(path), "bare", registry)
    assert len(plan.items) == 2
    assert plan.item("I.1").unit == "%"  # taken from the target "≥ 90%"
    assert plan.item("I.2").unit == ""
    assert len(plan.notes) == 2  # no reporter column, no monitor column
    problems = [f for f in check_plan(plan, registry) if f.problem]
    assert {f.code for f in problems} == {"I.1", "I.2"}  # nobody to report yet: listed, no crash


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"PK\x03\x04garbage", "corrupt"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old-office-format"),
        (b"Just some text\nwithout a table\n", "no-header"),
    ],
)
def test_unreadable_sources_raise_source_errors(registry, tmp_path, content, reason):
    path = tmp_path / "bad.docx"
    path.write_bytes(content)
    with pytest.raises(SourceError) as err:
        import_plan(read_source(path), "bad", registry)
    assert err.value.detail == reason


# --- catalog check: what a reviewer's edit can get wrong ---------------------------------
def _target(item, year):
    return next(i for i, t in enumerate(item.targets) if t.year == year)


def _set_target(item, at, **fields):
    index = _target(item, at)
    item.targets[index] = replace(item.targets[index], **fields)


@pytest.mark.parametrize(
    "edit, text",
    [
        (lambda i: setattr(i, "direction", "tang"), 'Trường direction "tang" không hợp lệ'),
        (lambda i: setattr(i, "basis", "nam"), 'Trường basis "nam" không hợp lệ'),
        (lambda i: _set_target(i, 2030, op="≥"), 'phép so sánh op "≥" không hợp lệ'),
        (
            lambda i: _set_target(i, 2030, value=6000.0),
            'Mức chỉ tiêu (năm 2030) ghi bằng chữ là "≥ 600" (>= 600) nhưng trường op/value là >= 6.000',
        ),
        (lambda i: _set_target(i, 2045, year=2050), "Mốc năm 2050 nằm ngoài các năm của kế hoạch (2025–2045)"),
        (
            lambda i: _set_target(i, 2030, op="range", value_max=None),
            "là một khoảng (op: range) nhưng thiếu cận trên value_max",
        ),
        (lambda i: setattr(i, "monitor", "so-ban-nganh"), 'Cơ quan theo dõi là nhóm "Các sở, ban, ngành"'),
        (
            lambda i: _set_target(i, 2035, value=500.0, text="500", op="="),
            'Mốc năm 2035 ("500") lùi so với mốc năm 2030 ("≥ 600") trong khi chỉ tiêu càng cao càng tốt',
        ),
    ],
    ids=["direction", "basis", "op", "text-value", "year", "open-range", "group-monitor", "milestones"],
)
def test_check_catches_what_a_hand_edit_gets_wrong(nb2045, registry, edit, text):
    item = nb2045.item("III.4")
    assert [f for f in check_plan(nb2045, registry) if f.problem and f.code == "III.4"] == []
    edit(item)
    problems = [f.message for f in check_plan(nb2045, registry) if f.problem and f.code == "III.4"]
    assert any(text in m for m in problems), problems


def test_a_confirmed_milestone_is_a_note_not_a_problem(nb2045, registry):
    item = nb2045.item("III.4")
    _set_target(item, 2035, value=500.0, text="500", op="=")
    item.confirmed = ["milestones"]
    findings = [f for f in check_plan(nb2045, registry) if f.code == "III.4"]
    assert [f.problem for f in findings] == [False] * len(findings)
    assert any(f.message.startswith("Đã xác nhận") for f in findings)


def test_an_open_range_does_not_stop_the_evaluation(nb2045):
    from reportgen.evaluate import completion, judge

    item = nb2045.item("III.4")
    _set_target(item, 2030, op="range", value_max=None)
    target = item.targets[_target(item, 2030)]
    assert judge(target, 700, final=True).status == "Vượt"
    assert completion(target, 300, False) == 50.0


def test_catalog_check_command_lists_problems_first(runner, workspace_dir):
    plan = workspace_dir / "config" / "plans" / "ninh-binh-2026.yaml"
    text = plan.read_text(encoding="utf-8")
    plan.write_text(
        text.replace(
            "op: '>=', value: 95.0, unit: '%', deadline: Thường xuyên",
            "op: '>=', value: 9.5, unit: '%', deadline: Thường xuyên",
            1,
        ),
        encoding="utf-8",
    )
    result = runner.invoke(cli, ["-w", str(workspace_dir), "catalog", "check", "--plan", "ninh-binh-2026"])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith("  ")]
    assert lines[0].startswith("  LỖI") and 'ghi bằng chữ là "Đạt tối thiểu 95%" (>= 95)' in lines[0]
    assert all("LỖI" not in line for line in lines[1:])

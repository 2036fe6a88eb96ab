from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from docx import Document

from reportgen.catalog import item_json
from reportgen.checker import check_plan
from reportgen.errors import SourceError
from reportgen.importer import import_plan
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


def test_seeds_are_clean_and_every_indicator_has_reporter_and_monitor(nb2045, nb2026, cao_bang, registry):
    for plan in (nb2045, nb2026, cao_bang):
        problems = [f for f in check_plan(plan, registry) if f.problem]
        assert problems == []
        for item in plan.items:
            assert item_json(item, registry)["reporters"], item.code
            assert item.monitor, item.code


def test_aggregation_is_inferred_and_listed(nb2045, nb2026, registry):
    assert nb2045.item("I.1").aggregate == "max"  # coverage by operators
    assert nb2045.item("III.4").aggregate == "sum"  # counts
    assert nb2045.item("V.7").aggregate == "ratio"  # % from many agencies
    assert nb2045.item("V.1").aggregate == "single"  # provincial index
    assert nb2045.item("V.1").reporters == ["so-khcn"]
    assert nb2045.item("III.11").aggregate == "all"  # qualitative, many
    notes = [f for f in check_plan(nb2045, registry) if not f.problem]
    assert any(f.code == "V.7" and "ratio" in f.message for f in notes)


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
    assert count.aggregate == "sum"


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

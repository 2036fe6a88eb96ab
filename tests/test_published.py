"""Plans as provinces publish them: each variant of the three seeds imports exactly like the seed
text, item by item, or fails with a message that names the table, row and cell."""

from __future__ import annotations

import pytest

from reportgen.cli import cli
from reportgen.errors import SourceError
from reportgen.importer import import_plan
from reportgen.messages import describe
from reportgen.office import convert
from reportgen.planfile import load_plan
from reportgen.sources import read_source

from .conftest import DATA, needs_soffice
from .plankit import (
    HEADER_SPLIT,
    HEADER_WRAPPED,
    PLANS,
    SEEDS,
    ExcelOptions,
    WordOptions,
    differences,
    excel_plan,
    items_of,
    read_seed,
    word_plan,
)

PLAN_FILES = DATA / "plans"


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    from reportgen.workspace import Workspace, init_workspace

    return Workspace(init_workspace(tmp_path_factory.mktemp("published") / "ws").root).registry


@pytest.fixture(scope="module")
def seed_items(registry):
    """What each seed text imports to: the catalog every variant must give."""
    out = {}
    for key, (name, province) in PLANS.items():
        out[key] = items_of(import_plan(read_source(SEEDS / name), key, registry, province), registry)
    return out


def _same_as_seed(path, key, registry, seed_items):
    plan = import_plan(read_source(path), key, registry, PLANS[key][1])
    assert differences(seed_items[key], items_of(plan, registry)) == []
    return plan


WORD = {
    "cut across pages, header repeated": WordOptions(rows_per_table=12),
    '"Số" above "TT"': WordOptions(header=HEADER_SPLIT),
    "header wrapped, years on the second row": WordOptions(header=HEADER_WRAPPED),
    "agency and deadline cells merged down": WordOptions(merge_down=("agencies", "deadline")),
    "agencies on separate lines (Shift+Enter)": WordOptions(line_breaks=True),
    "heading and signature tables": WordOptions(heading_table=True, signature=True),
    "tracked changes not accepted": WordOptions(tracked=True),
}


@pytest.mark.parametrize("key", list(PLANS))
@pytest.mark.parametrize("variant", list(WORD))
def test_word_variants_import_like_the_seed(variant, key, registry, seed_items, tmp_path):
    path = word_plan(tmp_path / "phu-luc.docx", read_seed(PLANS[key][0]), WORD[variant])
    plan = _same_as_seed(path, key, registry, seed_items)
    tracked = [n for n in plan.notes if "Track Changes" in n]
    assert bool(tracked) == (variant == "tracked changes not accepted")


def test_merged_cells_and_line_breaks_together(registry, seed_items, tmp_path):
    everything = WordOptions(
        header=HEADER_SPLIT, merge_down=("agencies", "deadline"), line_breaks=True, heading_table=True, signature=True
    )
    for key in PLANS:
        _same_as_seed(
            word_plan(tmp_path / f"{key}.docx", read_seed(PLANS[key][0]), everything), key, registry, seed_items
        )


def test_names_on_separate_lines_become_a_list(registry, tmp_path):
    path = word_plan(tmp_path / "dong.docx", read_seed(PLANS["nb2045"][0]), WordOptions(line_breaks=True))
    plan = import_plan(read_source(path), "nb", registry)
    item = plan.item("II.6")
    assert item.reporters_text.startswith("Văn phòng Tỉnh ủy, Văn phòng Đoàn ĐBQH&HĐND tỉnh, Văn phòng UBND tỉnh")
    assert item.implementers[:3] == ["vp-tinh-uy", "vp-doan-dbqh", "vp-ubnd"]


def test_two_appendices_each_read_with_its_own_columns(registry, seed_items, tmp_path):
    """Phụ lục I (indicators) and Phụ lục II (tasks, its columns in another order) in one file."""
    path = word_plan(tmp_path / "hai-phu-luc.docx", read_seed(PLANS["nb2026"][0]), WordOptions(appendix_two=True))
    plan = _same_as_seed(path, "nb2026", registry, seed_items)
    assert (len(plan.indicators), len(plan.tasks)) == (49, 12)
    assert plan.sections["II"] == "Phân công chủ trì tham mưu xây dựng các Văn bản"
    task = plan.item("II.4")
    assert (task.reporters, task.deadline) == (["so-khcn"], "Tháng 7/2026")


def test_a_libreoffice_saved_word_file(registry, seed_items):
    """Committed: merged cells and line breaks as LibreOffice Writer writes them (tools/make_plan_fixtures.py)."""
    _same_as_seed(PLAN_FILES / "ninh-binh-2026-libreoffice.docx", "nb2026", registry, seed_items)


EXCEL = {
    "cover sheet first, merged title rows, agencies merged down": ExcelOptions(
        cover=True, merge_down=("agencies", "deadline")
    ),
    "deadlines typed as dates": ExcelOptions(dates=True),
    "names wrapped with Alt+Enter": ExcelOptions(alt_enter=True),
}


@pytest.mark.parametrize("key", list(PLANS))
@pytest.mark.parametrize("variant", list(EXCEL))
def test_excel_variants_import_like_the_seed(variant, key, registry, seed_items, tmp_path):
    path = excel_plan(tmp_path / "phu-luc.xlsx", read_seed(PLANS[key][0]), EXCEL[variant])
    plan = _same_as_seed(path, key, registry, seed_items)
    skipped = [n for n in plan.notes if "--sheet" in n]
    if EXCEL[variant].cover:
        assert skipped == [
            "Trang tính không có bảng chỉ tiêu nên không đọc: Bìa. Đã đọc: Phụ lục. Nếu bảng nằm ở trang tính khác, "
            "nhập lại với --sheet TÊN."
        ]
    else:
        assert skipped == []


def test_excel_dates_read_as_the_plan_writes_them(registry, tmp_path):
    import openpyxl

    path = excel_plan(tmp_path / "ngay.xlsx", read_seed(PLANS["nb2026"][0]), ExcelOptions(dates=True))
    sheet = openpyxl.load_workbook(path)["Phụ lục"]
    assert any(
        getattr(cell, "is_date", False) for row in sheet.iter_rows() for cell in row
    )  # the fixture really holds dates
    book = openpyxl.load_workbook(path)
    book["Phụ lục"]["E20"].value = __import__("datetime").datetime(2026, 12, 31)
    book["Phụ lục"]["E20"].number_format = "dd/mm/yyyy"
    book.save(path)
    table = read_source(path)
    texts = {cell for row in table.rows for cell in row}
    assert "Tháng 12/2026" in texts and "31/12/2026" in texts
    assert not any("00:00:00" in cell for cell in texts)


def test_a_workbook_with_only_a_cover_names_its_sheets_and_sheet_option(registry, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Bìa"
    book.active["A1"] = "KẾ HOẠCH"
    book.create_sheet("Ghi chú")["A1"] = "Xem văn bản"
    book.save(tmp_path / "bia.xlsx")
    with pytest.raises(SourceError) as err:
        import_plan(read_source(tmp_path / "bia.xlsx"), "x", registry)
    text = describe(err.value)
    assert "Bìa, Ghi chú" in text and "--sheet" in text and "bia.xlsx" in text


def test_notepad_unicode_text(registry, seed_items, tmp_path):
    for key, (name, _) in PLANS.items():
        path = tmp_path / f"{key}.txt"
        path.write_bytes((SEEDS / name).read_text(encoding="utf-8").encode("utf-16"))
        _same_as_seed(path, key, registry, seed_items)


def test_a_column_numbers_row_is_not_an_item(registry, seed_items, tmp_path):
    seed = read_seed(PLANS["cb"][0])
    seed.header.append([f"({n})" for n in range(1, seed.width + 1)])  # "(1) (2) (3) …" under the header
    _same_as_seed(word_plan(tmp_path / "so-cot.docx", seed, WordOptions()), "cb", registry, seed_items)


def test_a_numbered_row_without_number_is_named(registry, tmp_path):
    seed = read_seed(PLANS["cb"][0])
    seed.rows[1][0] = ""  # the first indicator's number erased: it would join the section row
    seed.rows.insert(0, list(seed.rows.pop(1)))
    path = word_plan(tmp_path / "thieu-so.docx", seed, WordOptions())
    with pytest.raises(SourceError) as err:
        import_plan(read_source(path), "cb", registry, "cao-bang")
    assert describe(err.value).startswith(
        'Tệp thieu-so.docx, bảng 1, hàng 2: dòng "Tiềm lực, trình độ khoa học, công nghệ và đổi mới sáng tạo" có số '
        "liệu nhưng ô số thứ tự (cột STT) để trống."
    )


# --- PDF ---------------------------------------------------------------------------------------
PDF_FLAVOURS = {
    "LibreOffice (Liberation Serif)": WordOptions(font="Liberation Serif", merge_down=("agencies", "deadline")),
    "Word-like (A4 landscape, Times New Roman)": WordOptions(merge_down=("agencies", "deadline"), line_breaks=True),
}


@needs_soffice
@pytest.mark.parametrize("key", list(PLANS))
@pytest.mark.parametrize("flavour", list(PDF_FLAVOURS))
def test_pdf_of_each_seed_imports_like_the_seed(flavour, key, registry, seed_items, tmp_path):
    """Printed to PDF: repeated headers, rows cut by page breaks, merged cells printed once, words
    broken in narrow columns. The 2025-2045 table is 98/98."""
    docx = word_plan(tmp_path / f"{key}.docx", read_seed(PLANS[key][0]), PDF_FLAVOURS[flavour])
    pdf = convert(docx, tmp_path / "pdf", "pdf")
    plan = _same_as_seed(pdf, key, registry, seed_items)
    assert len(plan.items) == len(seed_items[key])


def test_the_committed_pdf(registry, seed_items):
    """tests/data/plans/cao-bang-phu-luc.pdf: printed by LibreOffice (tools/make_plan_fixtures.py)."""
    table = read_source(PLAN_FILES / "cao-bang-phu-luc.pdf")
    assert len(table.grids) > 3  # one table per page, its header repeated
    _same_as_seed(PLAN_FILES / "cao-bang-phu-luc.pdf", "cb", registry, seed_items)


def test_a_scanned_pdf_asks_for_the_docx(registry, tmp_path):
    from PIL import Image

    Image.new("RGB", (600, 400), "white").save(tmp_path / "scan.pdf")
    with pytest.raises(SourceError) as err:
        read_source(tmp_path / "scan.pdf")
    text = describe(err.value)
    assert "scan.pdf" in text and "PDF quét" in text and ".docx" in text


# --- the workspace --------------------------------------------------------------------------------
def _fixtures(tmp_path):
    """Files an office may import, each with its province: good, odd and broken."""
    seed = read_seed(PLANS["nb2045"][0])
    yield word_plan(tmp_path / "a.docx", seed, WordOptions(header=HEADER_SPLIT, merge_down=("agencies",))), None
    nb2026 = read_seed(PLANS["nb2026"][0])
    yield word_plan(tmp_path / "b.docx", nb2026, WordOptions(appendix_two=True, tracked=True)), None
    yield excel_plan(tmp_path / "c.xlsx", read_seed(PLANS["cb"][0]), ExcelOptions(cover=True, dates=True)), "cao-bang"
    yield PLAN_FILES / "cao-bang-phu-luc.pdf", "cao-bang"
    yield PLAN_FILES / "ninh-binh-2026-libreoffice.docx", None
    yield word_plan(tmp_path / "sai-tinh.docx", read_seed(PLANS["cb"][0]), WordOptions()), None  # refused: usage
    broken = read_seed(PLANS["cb"][0])
    broken.rows[1][0] = ""
    broken.rows.insert(0, list(broken.rows.pop(1)))
    yield word_plan(tmp_path / "thieu-so.docx", broken, WordOptions()), "cao-bang"
    (tmp_path / "rong.docx").write_bytes(b"PK\x03\x04garbage")
    yield tmp_path / "rong.docx", None


def test_an_import_never_breaks_the_workspace(runner, workspace_dir, tmp_path):
    """Whatever a file holds, the catalog the import leaves loads, and `catalog check`, `show` and
    `status` run (exit 0 or 1): an import that fails writes nothing."""
    for number, (path, province) in enumerate(_fixtures(tmp_path)):
        plan_id = f"ke-hoach-{number}"
        option = ["--province", province] if province else []
        imported = runner.invoke(
            cli, ["-w", str(workspace_dir), "catalog", "import", str(path), "--plan", plan_id, *option]
        )
        assert "Traceback" not in imported.output
        assert imported.exit_code == (
            2 if path.name == "sai-tinh.docx" else 1 if "thieu-so" in path.name or "rong" in path.name else 0
        ), imported.output
        written = workspace_dir / "config" / "plans" / f"{plan_id}.yaml"
        assert written.exists() == (imported.exit_code == 0), path.name
        if written.exists():
            load_plan(written)
            checked = runner.invoke(cli, ["-w", str(workspace_dir), "catalog", "check", "--plan", plan_id])
            assert checked.exit_code in (0, 1), checked.output
        for command in (["catalog", "show"], ["status", "--period", "2026-11"]):
            result = runner.invoke(cli, ["-w", str(workspace_dir), *command])
            assert result.exit_code in (0, 1), (path.name, command, result.output[:500])


def test_a_tracked_changes_warning_is_said_at_import(runner, workspace_dir, tmp_path):
    path = word_plan(tmp_path / "sua.docx", read_seed(PLANS["cb"][0]), WordOptions(tracked=True))
    result = runner.invoke(
        cli, ["-w", str(workspace_dir), "catalog", "import", str(path), "--plan", "cb", "--province", "cao-bang"]
    )
    assert result.exit_code == 0, result.output
    assert "Lưu ý: Tệp còn 5 thay đổi được theo dõi (Track Changes) chưa chấp nhận" in result.output
    assert "Accept All Changes" in result.output

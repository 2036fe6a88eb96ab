"""Rebuild the committed LibreOffice-saved fixtures in tests/data/lo/.

    python tools/make_fixtures.py            (needs LibreOffice: soffice)

1. copies the bundled plans into tests/data/lo/plans/ (the catalog the fixtures
   were made against, so their catalog version keeps matching in the tests);
2. writes forms for 2026-11 for p-hoa-lu (a ward: its own rates and counts) and
   so-khcn (the department: province-wide figures, assessments, tasks), signed
   with the test-only key tests/data/lo/form-key (not a secret: it signs nothing real);
3. fills them the way agencies do (decimal commas, numbers as text, a typo'd
   assessment, a numerator above its denominator, dates as text) with openpyxl;
4. has LibreOffice open and save each one as .xlsx, and so-khcn also as .ods
   and .xls ("Excel 97-2003"), which is what the reader meets in real life.

What was typed is written to tests/data/lo/filled.json for the tests to assert on.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from datetime import date, datetime
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reportgen.clock import VN  # noqa: E402
from reportgen.duties import Duties  # noqa: E402
from reportgen.forms import FormMaker, write_form  # noqa: E402
from reportgen.layout import COLUMNS  # noqa: E402
from reportgen.office import convert, find_soffice  # noqa: E402
from reportgen.periods import Period  # noqa: E402
from reportgen.workspace import Workspace, init_workspace  # noqa: E402

OUT = ROOT / "tests" / "data" / "lo"

# key -> {column: typed value}; strings are typed as text, numbers as numbers.
FILL = {
    "p-hoa-lu": {  # a ward: its own rates (numerator, denominator) and its own count
        "ninh-binh-2026|I.4.2": {"numerator": 950, "denominator": 1000, "note": "Theo báo cáo tháng 11"},
        "ninh-binh-2026|I.4.1": {"numerator": "1.200", "denominator": "1.500"},
        "ninh-binh-2026|I.5.6": {"numerator": 120, "denominator": 100},  # numerator > denominator
        "ninh-binh-2025-2045|IV.10": {"value": "12"},  # a count typed as text
    },
    "so-khcn": {  # the department: province-wide figures, assessments and tasks
        "ninh-binh-2026|II.4": {"assessment": "Đã hoàn thành", "doc_number": "125/QĐ-UBND", "doc_date": "31/03/2026"},
        "ninh-binh-2026|II.5": {
            "assessment": "Đã hoàn thành",
            "doc_number": "130/QĐ-UBND",
            "doc_date": date(2026, 7, 15),
        },
        "ninh-binh-2026|II.6": {"assessment": "Đang thực hiện"},
        "ninh-binh-2026|II.9": {"assessment": "Đã hoàn thành"},  # no number, no date
        "ninh-binh-2026|I.5.1": {"value": "0,72"},
        "ninh-binh-2025-2045|II.8": {"value": " 76,5 % "},
        "ninh-binh-2025-2045|III.4": {"value": "1.200"},  # a thousands dot
        "ninh-binh-2025-2045|III.5": {"value": 0},
        "ninh-binh-2025-2045|III.11": {"assessment": "Đạt", "note": "QĐ số 12/QĐ-UBND ngày 05/10/2026"},
        "ninh-binh-2025-2045|III.12": {"assessment": "đạt"},  # no evidence
        "ninh-binh-2025-2045|III.16": {"assessment": "Dat", "note": "Đề án thu hút chuyên gia"},
    },
}
RICH = "so-khcn"  # also saved as .ods and .xls ("Excel 97-2003")


def fill(path: Path, values: dict) -> None:
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["BaoCao"]
    rows = {row[0].value: row for row in sheet.iter_rows() if row[0].value}
    for key, cells in values.items():
        for column, value in cells.items():
            rows[key][COLUMNS[column]].value = value
    workbook.save(path)


def main() -> None:
    if not find_soffice():
        sys.exit("LibreOffice (soffice) is needed to rebuild these fixtures.")
    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="fixtures-"))
    workspace: Workspace = init_workspace(work / "ws")
    key_file = OUT / "form-key"
    if not key_file.exists():
        key_file.write_text("00" * 32 + "\n", encoding="utf-8")
    shutil.copy(key_file, workspace.key_path)
    plans = OUT / "plans"
    shutil.rmtree(plans, ignore_errors=True)
    shutil.copytree(workspace.plans_dir, plans)
    period = Period.parse("2026-11")
    planner = FormMaker.at(
        Duties(workspace.catalog, workspace.select_plans(()), period),
        datetime(2026, 11, 1, 8, 0, tzinfo=VN),
        period.submission_deadline(16),
        "Phòng QLKH",
    )
    typed = {}
    for agency, values in FILL.items():
        spec = planner.spec(agency)
        form = work / spec.file_name
        write_form(spec, form, workspace.form_key())
        fill(form, values)
        lo = work / "lo"
        saved = convert(form, lo, "xlsx")
        shutil.copy(saved, OUT / f"{spec.period}_{agency}.lo.xlsx")
        if agency == RICH:
            shutil.copy(convert(form, lo, "ods"), OUT / f"{spec.period}_{agency}.ods")
            xls = convert(form, lo, "xls:MS Excel 97")
            shutil.copy(xls, OUT / f"{spec.period}_{agency}.xls")
        typed[agency] = {"form_id": spec.form_id, "values": values}
    (OUT / "filled.json").write_text(
        json.dumps(typed, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8"
    )
    shutil.rmtree(work, ignore_errors=True)
    print(f"fixtures written to {OUT}")


if __name__ == "__main__":
    main()

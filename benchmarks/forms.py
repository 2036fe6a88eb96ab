"""Benchmark: forms per second and peak memory, against a bare XlsxWriter script.

    python benchmarks/forms.py [--agencies 160 3500] [--workers N]

For each size it builds a synthetic province (departments + communes) on the
bundled catalog, then, in the same run:

* "bare": one XlsxWriter workbook per agency (in_memory), writing the same cells
  (same positions, values and cell formats) into a single sheet, nothing else;
* "reportgen": the real forms (validations, protection, instructions, lists,
  signed identity, print setup), single process and spread over all cores.

Prints ms/form, forms/s, the ratio to bare, and peak RSS (resource.ru_maxrss).
"""

from __future__ import annotations

import io
import shutil
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import xlsxwriter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _synthetic import bench_main, peak_mb, synthetic_catalog  # noqa: E402

from reportgen.duties import Duties  # noqa: E402
from reportgen.forms import FormMaker, write_form, write_forms  # noqa: E402
from reportgen.layout import COLUMNS, FIRST_DATA_ROW  # noqa: E402
from reportgen.periods import Period  # noqa: E402
from reportgen.workspace import Workspace, init_workspace  # noqa: E402


def bare_form(spec) -> bytes:
    """The same cells with the same formats, and nothing else."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    base = {"font_name": "Times New Roman", "font_size": 11, "valign": "top", "border": 1}
    text = workbook.add_format({**base, "text_wrap": True})
    center = workbook.add_format({**base, "align": "center", "text_wrap": True})
    key = workbook.add_format({"font_size": 8})
    grey = workbook.add_format({**base, "bg_color": "#F2F2F2", "pattern": 1})
    yellow = workbook.add_format({**base, "bg_color": "#FFF8DC", "locked": False})
    sheet = workbook.add_worksheet()
    r = FIRST_DATA_ROW
    for section in spec.sections:
        sheet.write_string(r, 1, section.title, text)
        r += 1
        for row in section.rows:
            sheet.write_string(r, COLUMNS["key"], row.key, key)
            sheet.write_string(r, COLUMNS["code"], row.code, center)
            sheet.write_string(r, COLUMNS["name"], row.name, text)
            for name in ("unit", "target", "deadline", "previous"):
                sheet.write_string(r, COLUMNS[name], getattr(row, name), center)
            for name in ("value", "numerator", "denominator", "assessment", "doc_number", "doc_date"):
                sheet.write_blank(r, COLUMNS[name], None, grey)
            for name in {
                "value": ("value",),
                "ratio": ("numerator", "denominator"),
                "assessment": ("assessment",),
                "task": ("assessment", "doc_number", "doc_date"),
            }[row.input]:
                sheet.write_blank(r, COLUMNS[name], None, yellow)
            if row.input == "ratio":
                sheet.write_formula(r, COLUMNS["value"], "=I1/J1", grey, "")
            sheet.write_blank(r, COLUMNS["note"], None, yellow)
            r += 1
    workbook.close()
    return buffer.getvalue()


def run(workspace: Workspace, agencies: int, workers: int) -> None:
    catalog = synthetic_catalog(workspace, agencies)
    now = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh"))
    started = time.perf_counter()
    plans = [p for p in catalog.plans.values() if p.province == catalog.registry.home]
    period = Period.parse("2026-11")
    planner = FormMaker.at(Duties(catalog, plans, period), now, period.submission_deadline(16))
    plan_s = time.perf_counter() - started
    agencies_list = planner.duties.agencies()
    key = workspace.form_key()
    step = max(1, len(agencies_list) // 300)
    sample = [planner.spec(a) for a in agencies_list[::step]]
    rows = sum(len(s.rows) for s in sample) / len(sample)

    t = time.perf_counter()
    for spec in sample:
        bare_form(spec)
    bare = (time.perf_counter() - t) / len(sample)

    t = time.perf_counter()
    for spec in sample:
        write_form(spec, io.BytesIO(), key)
    ours = (time.perf_counter() - t) / len(sample)

    folder = Path(tempfile.mkdtemp(prefix="forms-bench-"))
    try:
        t = time.perf_counter()
        written = write_forms(planner, folder, key, workers=workers)
        total = time.perf_counter() - t
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(
        f"\n{agencies} agencies: {len(agencies_list)} forms, {rows:.0f} rows/form on average (planning {plan_s:.2f} s)"
    )
    print(f"  bare XlsxWriter, same cells : {bare * 1000:6.1f} ms/form  {1 / bare:6.1f} forms/s")
    print(
        f"  reportgen, 1 process        : {ours * 1000:6.1f} ms/form  {1 / ours:6.1f} forms/s  ratio {ours / bare:.2f}x"
    )
    print(
        f"  reportgen, {workers} workers, to disk: {total:6.2f} s for {len(written)} forms "
        f"= {len(written) / total:6.1f} forms/s"
    )
    print(f"  peak RSS (max of process, workers): {peak_mb():.0f} MB")


def _run(root: Path, size: int, args) -> None:
    if not (root / "ws").exists():
        init_workspace(root / "ws")
        print(f"XlsxWriter {xlsxwriter.__version__}")
    run(Workspace(root / "ws"), size, args.workers)


if __name__ == "__main__":
    bench_main(__doc__, _run)

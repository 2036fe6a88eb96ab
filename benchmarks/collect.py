"""Benchmark: collecting filled forms, against pandas and a bare python-calamine read.

    python benchmarks/collect.py [--agencies 160 3500] [--workers N] [--pandas-sample 150]

For each size: a synthetic province on the bundled catalog, one filled form per
agency (written once, not timed), then in the same run:

* "pandas": ``pandas.read_excel(engine="openpyxl")`` of the two sheets we read
  (a sample of files, when pandas is installed);
* "bare calamine": python-calamine reading the same two sheets, nothing else (the floor);
* "reportgen read": format checks, identity and signature, every cell checked;
* "reportgen collect": read + archive + store with history, 1 process and N workers.

The two reads are each timed three times, alternating, and the best run of each is kept.

Prints ms/file, files/s, the ratios, and peak RSS.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from _synthetic import bench_main, peak_mb, synthetic_catalog, typed_values
from python_calamine import CalamineWorkbook

from reportgen.collect import Collector, collect
from reportgen.duties import Duties
from reportgen.forms import FormMaker, Marks, write_form
from reportgen.intake import read_form
from reportgen.periods import Period
from reportgen.store import Store
from reportgen.workspace import Workspace, init_workspace

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def make_files(workspace: Workspace, catalog, folder: Path) -> tuple[list[Path], float]:
    period = Period.parse("2026-11")
    plans = [p for p in catalog.plans.values() if p.province == catalog.registry.home]
    planner = FormMaker.at(
        Duties(catalog, plans, period), datetime(2026, 11, 1, 8, tzinfo=VN), period.submission_deadline(16)
    )
    key = workspace.form_key()
    files, rows = [], 0
    for index, agency in enumerate(planner.duties.agencies()):
        spec = planner.spec(agency)
        rows += len(spec.rows)
        path = folder / spec.file_name
        write_form(spec, path, key, marks=Marks(typed_values(spec.rows, index), {}))
        files.append(path)
    return files, rows / len(files)


def bare_calamine(files: list[Path]) -> float:
    started = time.perf_counter()
    for path in files:
        with CalamineWorkbook.from_path(str(path)) as workbook:
            workbook.get_sheet_by_name("_meta").to_python(skip_empty_area=False)
            workbook.get_sheet_by_name("BaoCao").to_python(skip_empty_area=False)
    return (time.perf_counter() - started) / len(files)


def pandas_read(files: list[Path]) -> float | None:
    try:
        import pandas
    except ImportError:
        return None
    started = time.perf_counter()
    for path in files:
        pandas.read_excel(path, sheet_name=["_meta", "BaoCao"], header=None, engine="openpyxl")
    return (time.perf_counter() - started) / len(files)


def run(root: Path, agencies: int, workers: int, pandas_sample: int) -> None:
    workspace = init_workspace(root / f"ws-{agencies}", force=True)
    catalog = synthetic_catalog(workspace, agencies)
    folder = root / f"files-{agencies}"
    folder.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    files, rows = make_files(workspace, catalog, folder)
    made = time.perf_counter() - t
    period = Period.parse("2026-11")
    now = datetime(2026, 11, 15, 9, tzinfo=VN)

    def collector(output: Path) -> Collector:
        return Collector(catalog, period, workspace.form_key(), output, None, now, 16, "")

    expectation = collector(root / "unused").expectation()

    def ours(paths: list[Path]) -> float:
        started = time.perf_counter()
        for path in paths:
            read_form(path.read_bytes(), path.name, expectation)
        return (time.perf_counter() - started) / len(paths)

    # Best of three, alternating, so that neither side gains from a warmer cache or a quieter moment.
    floors, reads = [], []
    for _ in range(3):
        floors.append(bare_calamine(files))
        reads.append(ours(files))
    floor, ours_read = min(floors), min(reads)
    sample = files[:: max(1, len(files) // pandas_sample)][:pandas_sample]
    slow = pandas_read(sample)

    results = {}
    for count in sorted({1, workers}):
        output = root / f"out-{agencies}-{count}"
        output.mkdir(parents=True)
        store = Store(output / "reportgen.sqlite")
        t = time.perf_counter()
        receipts = collect(collector(output), store, files, received_at=now, workers=count)
        results[count] = (time.perf_counter() - t) / len(files)
        bad = [r for r in receipts if r.status != "accepted"]
        assert not bad, bad[0]
        store.close()

    print(
        f"\n{agencies} agencies: {len(files)} filled forms, {rows:.0f} rows/form "
        f"(made in {made:.1f} s, not timed below)"
    )
    if slow is not None:
        print(f"  pandas.read_excel(openpyxl)  : {slow * 1000:7.2f} ms/file  (sample of {len(sample)})")
    print(f"  bare python-calamine read    : {floor * 1000:7.2f} ms/file  {1 / floor:7.0f} files/s")
    print(
        f"  reportgen read + check       : {ours_read * 1000:7.2f} ms/file  {1 / ours_read:7.0f} files/s"
        f"  = {ours_read / floor:.2f}x calamine" + (f", {slow / ours_read:.0f}x faster than pandas" if slow else "")
    )
    for count, per in results.items():
        print(
            f"  reportgen collect, {count} worker(s): {per * 1000:7.2f} ms/file  {1 / per:7.0f} files/s"
            f"  = {per / floor:.2f}x calamine"
            + (f", {slow / per:.0f}x faster than pandas" if slow else "")
            + "  (read, archive, store with history)"
        )
    print(f"  peak RSS (max of process, workers): {peak_mb():.0f} MB")


if __name__ == "__main__":
    bench_main(
        __doc__,
        lambda root, size, args: run(root, size, args.workers, args.pandas_sample),
        lambda parser: parser.add_argument("--pandas-sample", type=int, default=150),
    )

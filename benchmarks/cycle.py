"""Benchmark: the whole monthly cycle, for a province and at national scale.

    python benchmarks/cycle.py [--agencies 160 3500] [--workers N] [--months 12]

Stages, each timed: forms (write every agency's form), collect (read, check,
archive and store every returned form), status (evaluate every indicator),
report (Word + Excel + charts, no PDF), remind (plan and write the reminders to
the outbox). Filling the forms is the agencies' work: it is prepared between
stages and not counted. Prints seconds per stage, forms/s and peak RSS.

With ``--months N``, the N-1 months before November 2026 are first written
straight into the store (every agency, every row), so that the measured month
has a year of history: status is then timed twice, the first time computing
the province figures of every earlier month (as after an upgrade), the second
time from the figures the first run kept.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from _synthetic import bench_main, fill_forms, peak_mb, preload_history, synthetic_workspace

from reportgen.cycle import Cycle
from reportgen.forms import FormMaker
from reportgen.periods import Period

VN = ZoneInfo("Asia/Ho_Chi_Minh")
PERIOD = Period.parse("2026-11")


def run(root: Path, agencies: int, workers: int, months: int = 1) -> None:
    workspace = synthetic_workspace(root / f"ws-{agencies}", agencies)
    stages: dict[str, float] = {}
    earlier = [Period.from_month(PERIOD.month_number - k) for k in range(months - 1, 0, -1)]
    started = time.perf_counter()
    preloaded = preload_history(workspace, earlier, lambda p: datetime(p.year, p.index, 15, 9, tzinfo=VN))
    preload_s = time.perf_counter() - started

    memory: dict[str, float] = {}

    def timed(name, call):
        started = time.perf_counter()
        value = call()
        stages[name] = time.perf_counter() - started
        memory[name] = peak_mb()
        return value

    def at(when: datetime, method: str, *args, **kwargs):
        with Cycle(workspace, PERIOD, when) as cycle:
            return getattr(cycle, method)(*args, **kwargs)

    forms_at = datetime(2026, 11, 1, 8, 5, tzinfo=VN)
    made = timed("forms", lambda: at(forms_at, "make_forms", workers=workers))
    with Cycle(workspace, PERIOD, forms_at) as cycle:
        maker = FormMaker.at(cycle.duties(), forms_at, PERIOD.submission_deadline(16))
    started = time.perf_counter()
    filled = fill_forms(made.written, root / f"returned-{agencies}", workspace.form_key(), maker)
    prepared = time.perf_counter() - started
    receipts = timed("collect", lambda: at(datetime(2026, 11, 15, 9, tzinfo=VN), "collect", filled, workers=workers))
    assert all(r.status == "accepted" for r in receipts)
    view = timed("status", lambda: at(datetime(2026, 11, 17, 9, tzinfo=VN), "overview"))
    if months > 1:
        timed("status again", lambda: at(datetime(2026, 11, 17, 9, tzinfo=VN), "overview"))
    timed("report", lambda: at(datetime(2026, 11, 18, 8, 20, tzinfo=VN), "report", pdf=False))
    mails = timed("remind", lambda: at(datetime(2026, 11, 17, 8, 10, tzinfo=VN), "remind"))
    rows = sum(w.rows for w in made.written) / len(made.written)
    total = sum(seconds for name, seconds in stages.items() if name != "status again")
    if months > 1:
        print(f"\n{months - 1} earlier months preloaded: {preloaded} submissions in {preload_s:.1f} s (not counted)")
    print(
        f"\n{agencies} agencies: {len(made.written)} forms, {rows:.0f} rows/form, "
        f"{len(view.statuses)} indicators and tasks, {len(mails)} messages"
    )
    for name, seconds in stages.items():
        extra = ""
        if name in ("forms", "collect"):
            extra = f"  ({len(made.written) / seconds:.0f} forms/s)"
        print(f"  {name:12} {seconds:7.2f} s   peak so far {memory[name]:5.0f} MB{extra}")
    print(f"  {'total':12} {total:7.2f} s   (filling {len(filled)} forms for the test, not counted: {prepared:.1f} s)")
    print(f"  peak RSS (max of process, workers): {peak_mb():.0f} MB")


if __name__ == "__main__":
    bench_main(
        __doc__,
        lambda root, size, args: run(root, size, args.workers, args.months),
        lambda parser: parser.add_argument("--months", type=int, default=1, help="months of history (default 1)"),
    )

"""The scheduler: the month's plan, restarts with past-due jobs (time injected), one instance."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from datetime import datetime

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from freezegun import freeze_time

from reportgen.cli import cli
from reportgen.clock import VN
from reportgen.errors import SchedulerRunning
from reportgen.periods import Period
from reportgen.schedule import lock, month_plan, next_runs, open_scheduler
from reportgen.store import Store

from .helpers import in_cycle


def test_the_month_plan_in_vietnam_time(workspace):
    runs = month_plan(workspace.settings, 2026, 11)
    by_job: dict[str, list[datetime]] = {}
    for when, spec in runs:
        by_job.setdefault(spec.id, []).append(when)
    assert len(by_job["collect"]) == 30 and len(by_job["remind"]) == 30
    assert by_job["forms"] == [datetime(2026, 11, 1, 8, 5, tzinfo=VN)]
    assert by_job["report"] == [datetime(2026, 11, 18, 8, 20, tzinfo=VN)]
    assert by_job["remind"][0] == datetime(2026, 11, 1, 8, 10, tzinfo=VN)
    assert all(when.utcoffset().total_seconds() == 7 * 3600 for when, _ in runs)
    assert runs == sorted(runs, key=lambda pair: (pair[0], pair[1].id))


def test_schedule_list_command(workspace, runner):
    result = runner.invoke(cli, ["-w", str(workspace.root), "schedule", "list", "--month", "2026-11"])
    assert result.exit_code == 0, result.output
    assert "01/11/2026 08:05  forms" in result.output and "18/11/2026 08:20  report" in result.output
    result = runner.invoke(
        cli, ["-w", str(workspace.root), "schedule", "list"], env={"REPORTGEN_NOW": "2026-11-17T21:00:00"}
    )
    assert "report   Lập báo cáo và gửi lãnh đạo        kế tiếp: 18/11/2026 08:20" in result.output


def _tick(workspace, when: datetime) -> list[str]:
    """Start the scheduler at ``when`` (clock frozen), process due jobs once, stop."""
    with freeze_time(when):
        scheduler = open_scheduler(workspace, BackgroundScheduler, executor="debug")
        scheduler.start(paused=True)
        try:
            # One scheduler tick, driven by hand so the injected clock decides what is due.
            scheduler._process_jobs()
            return [job.id for job in scheduler.get_jobs()]
        finally:
            scheduler.shutdown(wait=False)


def _runs(caplog, action: str) -> int:
    return sum(1 for r in caplog.records if r.getMessage().startswith(f"job {action} for"))


def test_past_due_reminders_run_once_after_a_restart(workspace, caplog):
    caplog.set_level(logging.INFO, logger="reportgen.cycle")
    in_cycle(workspace, Period.parse("2026-11"), datetime(2026, 11, 1, 8, 5, tzinfo=VN), "make_forms", workers=1)
    # The scheduler first starts on the 9th at 07:00: nothing is due yet.
    assert sorted(_tick(workspace, datetime(2026, 11, 9, 7, 0, tzinfo=VN))) == ["collect", "forms", "remind", "report"]
    assert _runs(caplog, "remind") == 0
    # The machine is off until the 11th at 09:00: three reminder runs were missed.
    later = datetime(2026, 11, 11, 9, 0, tzinfo=VN)
    with freeze_time(later):
        rows = {spec.id: (when, past) for spec, when, past in next_runs(workspace, later)}
    assert rows["remind"] == (datetime(2026, 11, 9, 8, 10, tzinfo=VN), True)  # kept across the restart
    _tick(workspace, later)
    assert _runs(caplog, "remind") == 1 and _runs(caplog, "collect") == 1  # coalesced: once, not lost
    store = Store.open(workspace)
    reminders = [s for s in store.sends(period="2026-11") if s.kind == "reminder"]
    assert reminders and {s.dedupe.rsplit("|", 1)[1] for s in reminders} == {"7"}
    assert {s.created_at for s in reminders} == {"2026-11-11T09:00:00+07:00"}
    store.close()
    # Restarted again the same day: nothing is due twice, nothing is sent twice.
    _tick(workspace, later.replace(hour=11))
    assert _runs(caplog, "remind") == 1
    store = Store.open(workspace)
    assert len([s for s in store.sends(period="2026-11") if s.kind == "reminder"]) == len(reminders)
    store.close()
    # The next morning the daily reminder runs again; on the 13th the "3 days before" one goes out.
    _tick(workspace, datetime(2026, 11, 13, 8, 11, tzinfo=VN))
    assert _runs(caplog, "remind") == 2
    store = Store.open(workspace)
    offsets = {s.dedupe.rsplit("|", 1)[1] for s in store.sends(period="2026-11") if s.kind == "reminder"}
    assert offsets == {"7", "3"}
    store.close()


def test_changed_settings_replace_the_job(workspace):
    _tick(workspace, datetime(2026, 11, 9, 7, 0, tzinfo=VN))
    path = workspace.config_dir / "settings.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace('time: "08:00"', 'time: "07:30"'), encoding="utf-8")
    from reportgen.workspace import Workspace

    moved = Workspace(workspace.root)
    now = datetime(2026, 11, 9, 7, 0, tzinfo=VN)
    _tick(moved, now)
    rows = {spec.id: when for spec, when, _ in next_runs(moved, now)}
    assert rows["collect"] == datetime(2026, 11, 9, 7, 30, tzinfo=VN)


def test_a_second_instance_refuses_to_start(workspace, runner, tmp_path):
    log = tmp_path / "scheduler.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "reportgen", "-w", str(workspace.root), "-v", "--log-file", str(log), "schedule", "run"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while "scheduler started" not in (log.read_text() if log.exists() else ""):
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "scheduler did not start"
            time.sleep(0.2)
        result = runner.invoke(cli, ["-w", str(workspace.root), "schedule", "run"])
        assert result.exit_code == 1
        assert "Bộ lập lịch đã chạy ở một tiến trình khác" in result.output
        with pytest.raises(SchedulerRunning):
            lock(workspace)
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert process.returncode == 0  # SIGTERM stops it cleanly
    lock(workspace).release()  # and the lock is free again

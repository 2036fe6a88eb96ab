"""The monthly cycle on a timer: one long-running APScheduler 3.x process.

* BlockingScheduler, jobs in their own SQLite job store (output/scheduler.sqlite,
  never the main database), timezone Asia/Ho_Chi_Minh whatever the server says.
* Explicit job ids. A job already in the store keeps its stored next run time
  across restarts, so a reminder that fell due while the machine was off runs
  when it comes back: ``misfire_grace_time`` (hours, configurable) and
  ``coalesce`` make it run once, never lost and never doubled. Sends are also
  idempotent in the database, so a duplicate run sends nothing twice.
* A lock file: a second ``schedule run`` refuses to start.
* Job functions are module-level with plain string arguments (APScheduler
  pickles them into the store).
"""

from __future__ import annotations

import logging
import re
import signal
import sys
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from apscheduler.events import EVENT_SCHEDULER_STARTED
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from filelock import FileLock, Timeout

from .clock import VN
from .errors import ConfigError, ReportgenError, SchedulerRunning

__all__ = ["JobSpec", "job_specs", "month_plan", "open_scheduler", "run", "run_job", "next_runs", "lock"]

log = logging.getLogger(__name__)
JOB_FUNCTION = "reportgen.schedule:run_job"


@dataclass(frozen=True)
class JobSpec:
    id: str
    title: str
    fields: tuple[tuple[str, object], ...]  # CronTrigger fields

    def trigger(self) -> CronTrigger:
        return CronTrigger(timezone=VN, **dict(self.fields))

    @property
    def signature(self) -> str:
        """Stored as the job's name: a changed setting replaces the job."""
        return f"{self.id} " + " ".join(f"{k}={v}" for k, v in self.fields)


def _clock(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d{1,2})[:h](\d{2})\s*", str(text))
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ConfigError(
            "bad-value", file="config/settings.yaml", field="schedule.time", value=text, hint="viết giờ dạng 08:00."
        )
    return int(match.group(1)), int(match.group(2))


def job_specs(settings: dict) -> list[JobSpec]:
    """The monthly cycle from configuration: collect and remind daily, forms and report monthly."""
    hour, minute = _clock(settings["schedule.time"])
    base = datetime(2000, 1, 1, hour, minute, tzinfo=VN)

    def at(delay: int) -> tuple[tuple[str, object], ...]:
        moment = base + timedelta(minutes=delay)
        return (("hour", moment.hour), ("minute", moment.minute))

    return [
        JobSpec("collect", "Thu thập tệp trong thư mục nhận", at(0)),
        JobSpec("forms", "Lập và gửi biểu mẫu của kỳ", (("day", settings["schedule.forms_day"]), *at(5))),
        JobSpec("remind", "Nhắc hạn, báo quá hạn", at(10)),
        JobSpec("report", "Lập báo cáo và gửi lãnh đạo", (("day", settings["schedule.report_day"]), *at(20))),
    ]


def month_plan(settings: dict, year: int, month: int) -> list[tuple[datetime, JobSpec]]:
    """Every run of the month, in order, as the scheduler will make them."""
    start = datetime(year, month, 1, tzinfo=VN)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=VN)
    runs = []
    for spec in job_specs(settings):
        trigger = spec.trigger()
        fire = trigger.get_next_fire_time(None, start)
        while fire is not None and fire < end:
            runs.append((fire, spec))
            fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return sorted(runs, key=lambda pair: (pair[0], pair[1].id))


def _store_url(workspace) -> str:
    return f"sqlite:///{(workspace.output_dir / 'scheduler.sqlite').as_posix()}"


def lock(workspace) -> FileLock:
    """The lock one ``schedule run`` holds; a second one refuses to start."""
    workspace.output_dir.mkdir(parents=True, exist_ok=True)
    path = workspace.output_dir / "scheduler.lock"
    guard = FileLock(str(path))
    try:
        guard.acquire(timeout=0)
    except Timeout as exc:
        raise SchedulerRunning(path=str(path)) from exc
    return guard


def _stored_jobs(workspace, keep: set[str] | None = None) -> dict[str, Job]:
    """Jobs already in the job store, read without starting a scheduler.

    With ``keep``, stored jobs whose id is not in it (no longer configured) are removed.
    """
    path = workspace.output_dir / "scheduler.sqlite"
    if not path.exists():
        return {}
    store = SQLAlchemyJobStore(url=_store_url(workspace))
    probe = BlockingScheduler(timezone=VN)
    store.start(probe, "default")
    try:
        jobs = {job.id: job for job in store.get_all_jobs()}
        for job_id in set(jobs) - (keep if keep is not None else set(jobs)):
            store.remove_job(job_id)
            del jobs[job_id]
        return jobs
    finally:
        store.shutdown()


def open_scheduler(workspace, scheduler_class=BlockingScheduler, executor: str = "threadpool"):
    """A scheduler with the configured jobs.

    Stored jobs whose settings did not change are not added again, so they keep
    their stored next run time (a past-due one runs at start); stored jobs no
    longer configured are removed."""
    settings = workspace.settings
    grace = int(settings["schedule.misfire_grace_hours"]) * 3600
    executors = {"default": {"type": executor, **({"max_workers": 1} if executor == "threadpool" else {})}}
    scheduler = scheduler_class(
        jobstores={"default": SQLAlchemyJobStore(url=_store_url(workspace))},
        executors=executors,
        job_defaults={"coalesce": True, "misfire_grace_time": grace, "max_instances": 1},
        timezone=VN,
    )
    wanted = job_specs(settings)
    stored = _stored_jobs(workspace, keep={spec.id for spec in wanted})
    for spec in wanted:
        job = stored.get(spec.id)
        if job is not None and job.name == spec.signature:
            continue  # keep it, with its stored (possibly past-due) next run time
        scheduler.add_job(
            JOB_FUNCTION,
            spec.trigger(),
            args=[str(workspace.root), spec.id],
            id=spec.id,
            name=spec.signature,
            replace_existing=True,
        )
    return scheduler


def run(workspace, scheduler_class=BlockingScheduler) -> None:
    """Run until stopped (Ctrl+C, or the service manager)."""
    guard = lock(workspace)
    if threading.current_thread() is threading.main_thread():
        # A service manager stops us with SIGTERM: leave like Ctrl+C, releasing the lock.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        scheduler = open_scheduler(workspace, scheduler_class)
        expected = len(job_specs(workspace.settings))

        def started(_event) -> None:
            jobs = scheduler.get_jobs()
            log.info("scheduler started: %d jobs (%s)", len(jobs), ", ".join(j.id for j in jobs))
            if len(jobs) != expected:  # e.g. a job APScheduler could not restore
                log.error("expected %d jobs, found %d", expected, len(jobs))

        scheduler.add_listener(started, EVENT_SCHEDULER_STARTED)
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("scheduler stopped")
    finally:
        guard.release()


def next_runs(workspace, now: datetime) -> list[tuple[JobSpec, datetime | None, bool]]:
    """(job, next run, past due) for ``schedule list``: the stored time if the job is stored."""
    stored = _stored_jobs(workspace)
    out = []
    for spec in job_specs(workspace.settings):
        job = stored.get(spec.id)
        if job is not None and job.name == spec.signature and job.next_run_time is not None:
            when = job.next_run_time.astimezone(VN)
        else:
            when = spec.trigger().get_next_fire_time(None, now)
        out.append((spec, when, when is not None and when < now))
    return out


# ---------------------------------------------------------------------------------------
# The jobs (module-level, plain arguments: they are pickled into the job store)
# ---------------------------------------------------------------------------------------
def fetch_replies(workspace, now) -> None:
    """The daily fetch of the office mailbox; a mail server that is down is logged, never fatal."""
    from .replies import fetch

    try:
        fetched = fetch(workspace, now)
        log.info("fetched %d message(s), left %d alone", len(fetched.outcomes), sum(fetched.left_alone.values()))
    except ReportgenError as error:
        from .messages import describe

        log.error("fetch failed: %s", describe(error))
    except Exception:  # noqa: BLE001 - log and keep the scheduler alive
        log.exception("fetch crashed")


def run_job(root: str, action: str) -> None:
    from . import clock, cycle
    from .workspace import Workspace

    workspace = Workspace(Path(root))
    now = clock.now()
    if action == "collect" and workspace.setting("imap.host"):
        fetch_replies(workspace, now)  # the replies in the office mailbox, then the inbox folder
    try:
        cycle.run_job(workspace, action, now)
    except ReportgenError as error:  # a bad file or a mail server down must not stop the scheduler
        from .messages import describe

        log.error("job %s failed: %s", action, describe(error))
    except Exception:  # noqa: BLE001 - log and keep the scheduler alive
        log.exception("job %s crashed", action)

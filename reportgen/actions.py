"""The monthly commands as library calls, shared by the CLI and the scheduler.

Each function takes a workspace and plain values, does one job of the cycle
(forms, collect, overview, report, mail) and returns records; nothing here
prints. ``now`` defaults to the clock (Asia/Ho_Chi_Minh).
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from . import clock
from .collect import Collector, Receipt, collect, gather
from .dispatch import Delivery, deliver, plan_remind, plan_send_forms
from .errors import ReportgenError
from .forms import FormPlanner, Written, write_forms
from .overview import Overview, build_overview
from .periods import Period
from .remind import Context, Planned, Recipient, message_to
from .report import ReportFiles, make_report, to_pdf
from .store import Store
from .workspace import Workspace

__all__ = ["open_store", "make_forms", "collect_paths", "overview", "render_report", "send_forms",
           "remind", "mail_report", "run", "current_period"]

log = logging.getLogger(__name__)


def open_store(workspace: Workspace, create: bool = True) -> Store | None:
    return Store.open(workspace, create=create)


def planner(workspace: Workspace, period: Period, plan_ids=(), store: Store | None = None,
            now: datetime | None = None) -> FormPlanner:
    return FormPlanner(
        workspace.catalog, workspace.select_plans(plan_ids), period, now=now or clock.now(),
        done_tasks=store.done_tasks() if store else set(),
        submission_day=workspace.setting("periods.submission_day"), contact=workspace.contact,
    )


@dataclass
class FormsResult:
    written: list[Written]
    folder: Path


def make_forms(workspace: Workspace, period: Period, plan_ids=(), agencies=(), *, workers: int | None = None,
               progress: Callable[[int], None] | None = None, now: datetime | None = None,
               start: Callable[[int], None] | None = None) -> FormsResult:
    """Write the period's forms; ``start(n)`` is told how many before the work begins."""
    store = open_store(workspace, create=False)
    plan = planner(workspace, period, plan_ids, store, now)
    codes = sorted(a for a in (agencies or plan.agencies()) if a in plan.by_agency)
    previous = store.previous_values(str(period.previous())) if store else {}
    folder = workspace.period_dir(str(period)) / "forms"
    if start:
        start(len(codes))
    written = write_forms(plan, folder, workspace.form_key(), agencies=codes, previous=previous,
                          password=workspace.setting("forms.password"), workers=workers, progress=progress)
    (store or open_store(workspace)).record_forms(written)
    return FormsResult(written, folder)


def collector(workspace: Workspace, period: Period, agency: str | None = None,
              now: datetime | None = None) -> Collector:
    return Collector(workspace.catalog, period, workspace.form_key(), workspace.output_dir, agency,
                     now or clock.now(), workspace.setting("periods.submission_day"), workspace.contact)


def collect_paths(workspace: Workspace, files: list[Path], period: Period, agency: str | None = None, *,
                  workers: int | None = None, progress: Callable[[int], None] | None = None,
                  now: datetime | None = None) -> list[Receipt]:
    now = now or clock.now()
    store = open_store(workspace)
    return collect(collector(workspace, period, agency, now), store, files, received_at=now,
                   relative=workspace.relative, workers=workers or os.cpu_count() or 1, progress=progress)


def overview(workspace: Workspace, period: Period, plan_ids=(), today: date | None = None,
             now: datetime | None = None) -> Overview:
    now = now or clock.now()
    return build_overview(workspace.catalog, workspace.select_plans(plan_ids), open_store(workspace, False),
                          period, today or now.date(), submission_day=workspace.setting("periods.submission_day"),
                          now=now)


def render_report(workspace: Workspace, period: Period, plan_ids=(), *, number: str | None = None,
                  today: date | None = None, template_dir: Path | None = None, pdf: bool = False,
                  now: datetime | None = None) -> tuple[ReportFiles, ReportgenError | None]:
    """The report files; a PDF failure is returned, not raised: the .docx is still there."""
    view = overview(workspace, period, plan_ids, today, now)
    template = workspace.template("docx", "bao-cao.docx", template_dir)
    folder = workspace.period_dir(str(period))
    files = make_report(view, workspace.catalog, workspace.settings, view.values, template, folder,
                        today or (now or clock.now()).date(), number=number)
    problem = None
    if pdf:
        try:
            files.pdf = to_pdf(files.docx, folder)
        except ReportgenError as error:
            problem = error
    return files, problem


def _mailer(workspace: Workspace, now: datetime):
    from .mail import mailer_from_settings

    return mailer_from_settings(workspace.settings, workspace.output_dir / "outbox", lambda: now)


def _deliver(workspace: Workspace, store: Store, planned: list[Planned], period: Period | None,
             dry_run: bool, now: datetime) -> list[Delivery]:
    return deliver(store, None if dry_run else _mailer(workspace, now), planned, period=period, now=now,
                   retries=workspace.setting("mail.retries"), dry_run=dry_run,
                   outbox=workspace.setting("mail.mode") != "smtp")


def send_forms(workspace: Workspace, period: Period, agencies=(), plan_ids=(), *, dry_run: bool = False,
               now: datetime | None = None) -> list[Delivery]:
    now = now or clock.now()
    store = open_store(workspace)
    view = overview(workspace, period, plan_ids, now=now)
    return _deliver(workspace, store, plan_send_forms(workspace, view, store, list(agencies) or None), period,
                    dry_run, now)


def remind(workspace: Workspace, period: Period, plan_ids=(), *, dry_run: bool = False,
           now: datetime | None = None) -> list[Delivery]:
    now = now or clock.now()
    store = open_store(workspace)
    view = overview(workspace, period, plan_ids, now=now)
    return _deliver(workspace, store, plan_remind(workspace, view, store), period, dry_run, now)


def mail_report(workspace: Workspace, files: ReportFiles, period: Period, *, dry_run: bool = False,
                now: datetime | None = None) -> list[Delivery]:
    """Mail the report to leadership, once per version of the report."""
    now = now or clock.now()
    s = workspace.settings
    ctx = Context(issuer=s["office.issuer_name"], contact=workspace.contact, period_label=period.label)
    attachments = [(p, p.name) for p in (files.pdf, files.docx, files.xlsx) if p is not None]
    digest = hashlib.sha256(files.docx.read_bytes()).hexdigest()[:12]
    planned = []
    for email in s["report.leadership_emails"]:
        leader = Recipient(email, "Lãnh đạo", email)
        message = message_to(leader, f"[Báo cáo] Kết quả thực hiện các chỉ tiêu {period.label.lower()}",
                           [f"{ctx.issuer} gửi báo cáo kết quả thực hiện các chỉ tiêu {period.label.lower()} "
                            "(dự thảo để xem xét, ký ban hành) và biểu tổng hợp kèm theo."], ctx,
                           attachments=attachments)
        planned.append(Planned("report", leader, message, f"report|{email}|{period}|{digest}", ref=digest))
    return _deliver(workspace, open_store(workspace), planned, period, dry_run, now)


def current_period(day: date) -> Period:
    return Period(day.year, "month", day.month)


# ---------------------------------------------------------------------------------------
# The scheduler's jobs
# ---------------------------------------------------------------------------------------
def run(workspace: Workspace, action: str, now: datetime) -> None:
    """One job of the monthly cycle, for the period of ``now``'s month."""
    period = current_period(now.date())
    log.info("job %s for %s at %s", action, period, now.isoformat(timespec="minutes"))
    if action == "forms":
        store = open_store(workspace)
        if not store.forms_for(str(period)):
            make_forms(workspace, period, now=now, workers=1)
        results = send_forms(workspace, period, now=now)
    elif action == "remind":
        results = remind(workspace, period, now=now)
    elif action == "collect":
        results = _collect_inbox(workspace, period, now)
    elif action == "report":
        files, problem = render_report(workspace, period, now=now, pdf=True)
        if problem is not None:
            log.warning("report %s without PDF: %s", period, problem.detail or problem)
        results = mail_report(workspace, files, period, now=now)
    else:
        msg = f"unknown job {action!r}"
        raise ValueError(msg)
    log.info("job %s done: %d item(s)", action, len(results))


def _collect_inbox(workspace: Workspace, period: Period, now: datetime) -> list[Receipt]:
    inbox = workspace.root / workspace.setting("schedule.inbox")
    inbox.mkdir(parents=True, exist_ok=True)
    files = gather([inbox])
    if not files:
        return []
    receipts = collect_paths(workspace, files, period, now=now, workers=1)
    # A late form for last month arrives during this month: collect it for its own period.
    previous = period.previous()
    late = [workspace.root / r.file for r in receipts
            if r.reason_code == "wrong-period" and r.facts.get("found") == str(previous)]
    if late:
        receipts += collect_paths(workspace, late, previous, now=now, workers=1)
    return receipts

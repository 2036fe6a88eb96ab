"""The monthly cycle of one period: one object, one store connection, one clock.

``Cycle(workspace, period, now)`` owns the workspace's database connection
(opened on first use, closed when the ``with`` block ends) and the moment the
command runs (Asia/Ho_Chi_Minh). Each monthly command is one method: forms,
send-forms, collect, overview (status), report, remind. The CLI and the
scheduler both call them; nothing here prints. Heavy libraries (charts, Word)
are imported only by the methods that use them, so ``reportgen forms`` starts fast.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from . import clock
from .atomic import write_whole
from .collect import Collector, Receipt, collect, gather, outcomes, store_outcome
from .dispatch import Delivery, deliver, plan_remind, plan_send_forms
from .duties import Duties
from .errors import ProblemsFound, ReportgenError, UsageError
from .forms import FormMaker, Written, write_forms
from .layout import FORMS_DIR, SUMMARY_TEMPLATE, report_stem, summary_file
from .overview import Overview, build_overview
from .periods import Period
from .remind import Context, Planned, Recipient, message_to
from .store import FileRecord, Store
from .text import format_moment
from .workspace import Workspace

if TYPE_CHECKING:
    from .report import ReportFiles

__all__ = ["Cycle", "FormsResult", "current_period", "JOBS", "run_job"]

log = logging.getLogger(__name__)


@dataclass
class FormsResult:
    written: list[Written]
    folder: Path


def current_period(day: date) -> Period:
    """The monthly period a day falls in, as the scheduler runs it."""
    return Period(day.year, "month", day.month)


class Cycle:
    """One period's work. Use as a context manager so that the store is closed."""

    def __init__(self, workspace: Workspace, period: Period, now: datetime | None = None):
        self.workspace = workspace
        self.period = period
        self.now = clock.to_vn(now) if now is not None else clock.now()
        self._store: Store | None = None

    def __enter__(self) -> Cycle:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    # -- the store ------------------------------------------------------------------------
    @property
    def store(self) -> Store:
        """The database, created if it does not exist yet."""
        if self._store is None:
            self._store = Store.connect(self.workspace)
        return self._store

    @property
    def existing_store(self) -> Store | None:
        """The database if it exists (read-only commands never create it)."""
        if self._store is None:
            self._store = Store.open(self.workspace, create=False)
        return self._store

    # -- what is owed ---------------------------------------------------------------------
    @cached_property
    def done_tasks(self) -> frozenset[str]:
        store = self.existing_store
        return frozenset(store.done_tasks(self.period.month_number)) if store else frozenset()

    def duties(self, plan_ids=()) -> Duties:
        return Duties(self.workspace.catalog, self.workspace.select_plans(plan_ids), self.period, self.done_tasks)

    @property
    def submission_day(self) -> int:
        return self.workspace.setting("periods.submission_day")

    # -- forms ------------------------------------------------------------------------------
    def make_forms(
        self,
        plan_ids=(),
        agencies=(),
        *,
        workers: int | None = None,
        progress: Callable[[int], None] | None = None,
        start: Callable[[int], None] | None = None,
    ) -> FormsResult:
        """Write the period's forms; ``start(n)`` is told how many before the work begins.

        Quarters, halves and years are views of the monthly record: their forms are made
        only when ``forms.quarterly`` is set.
        """
        if self.period.kind != "month" and not self.workspace.setting("forms.quarterly"):
            month = Period.from_month(self.period.month_number)
            raise UsageError(
                "no-forms-for-long-periods",
                period=self.period.label,
                month=str(month),
                month_label=month.label.lower(),
                cutoff=f"{self.period.cutoff:%d/%m/%Y}",
            )
        duties = self.duties(plan_ids)
        maker = FormMaker.at(
            duties,
            self.now,
            self.period.submission_deadline(self.submission_day),
            self.workspace.contact,
            self.behind(plan_ids),
        )
        codes = sorted(a for a in (agencies or duties.agencies()) if duties.owes(a))
        store = self.existing_store
        previous = store.previous_texts(self.period.previous().month_number) if store else {}
        folder = self.workspace.period_dir(str(self.period)) / FORMS_DIR
        if start:
            start(len(codes))
        written = write_forms(
            maker,
            folder,
            self.workspace.form_key(),
            agencies=codes,
            previous=previous,
            password=self.workspace.setting("forms.password"),
            workers=workers,
            progress=progress,
        )
        self.store.record_forms(written)
        return FormsResult(written, folder)

    def behind(self, plan_ids=()) -> frozenset[str]:
        """The form rows whose indicator was behind or not met at the last period: their forms ask
        for the cause and the remedy."""
        if self.existing_store is None:
            return frozenset()
        from .evaluate import BAD
        from .layout import row_key

        with Cycle(self.workspace, self.period.previous(), self.now) as last:
            view = last.overview(plan_ids)
        return frozenset(
            row_key(s.plan, s.code, part)
            for s in view.statuses
            if s.status in BAD
            for part in ([p.part for p in s.parts] or [None])
        )

    def check_period(self) -> None:
        """Refuse a period no plan covers, or one later than next month: a typo ("2062-11",
        "2025-11") would otherwise give an empty report, which the scheduler would mail."""
        plans = self.workspace.select_plans(())
        years = [y for p in plans for y in (p.years or ([p.start.year] if p.start else []))]
        if years and not min(years) <= self.period.year <= max(years):
            raise UsageError("period-outside-plans", period=self.period.label, first=min(years), last=max(years))
        today = self.now.date()
        next_month = Period(today.year + today.month // 12, "month", today.month % 12 + 1)
        if self.period.start > next_month.cutoff:
            raise UsageError("period-future", period=self.period.label, today=f"{today:%d/%m/%Y}")

    # -- collect ----------------------------------------------------------------------------
    def collector(self, agency: str | None = None) -> Collector:
        w = self.workspace
        return Collector(
            w.catalog,
            self.period,
            w.form_key(),
            w.output_dir,
            agency,
            self.now,
            self.submission_day,
            w.contact,
            done_tasks=self.done_tasks,
            behind=self.behind(),
        )

    def collect(
        self,
        files: list[Path],
        agency: str | None = None,
        *,
        workers: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> list[Receipt]:
        return collect(
            self.collector(agency),
            self.store,
            files,
            received_at=self.now,
            relative=self.workspace.relative,
            workers=workers or os.cpu_count() or 1,
            progress=progress,
            own_times=True,
        )

    # -- held files ---------------------------------------------------------------------------
    def held(self) -> list[FileRecord]:
        """The files kept aside, not applied, waiting for the office (every period)."""
        store = self.existing_store
        return store.files(status="held") if store else []

    def accept_held(self, file_id: int) -> Receipt:
        """Apply a held file as if it had come from the agency's own address, at the time it arrived."""
        record = self._held(file_id)
        period = Period.parse(record.period or str(self.period))
        with Cycle(self.workspace, period, self.now) as cycle:
            collector = cycle.collector()
            path = self.workspace.root / record.archive
            [outcome] = list(outcomes(collector, [path]))
            return store_outcome(
                collector,
                cycle.store,
                outcome,
                received_at=datetime.fromisoformat(record.received_at),
                relative=self.workspace.relative,
                sender=record.receipt.get("sender"),
                shown=record.receipt.get("file") or record.name,
            )

    def discard_held(self, file_id: int) -> FileRecord:
        """Set a held file aside for good (its content stays in the archive)."""
        record = self._held(file_id)
        self.store.set_file_status(file_id, "discarded", {**record.receipt, "status": "discarded"})
        return record

    def _held(self, file_id: int) -> FileRecord:
        record = self.store.file(file_id)
        if record is None or record.status != "held":
            raise UsageError("not-held", id=file_id, hint=", ".join(str(f.id) for f in self.held()) or "không có")
        if record.receipt.get("held") == "signed" and record.period and self.store.signature(record.period):
            raise UsageError("held-signed", id=file_id, period=Period.parse(record.period).label)
        return record

    # -- status -----------------------------------------------------------------------------
    def overview(self, plan_ids=(), today: date | None = None) -> Overview:
        return build_overview(
            self.workspace.catalog,
            self.workspace.select_plans(plan_ids),
            self.existing_store,
            self.period,
            today or self.now.date(),
            submission_day=self.submission_day,
            done_tasks=self.done_tasks,
        )

    # -- report -----------------------------------------------------------------------------
    def report(
        self,
        plan_ids=(),
        *,
        number: str | None = None,
        today: date | None = None,
        template_dir: Path | None = None,
        pdf: bool = False,
    ) -> tuple[ReportFiles, ReportgenError | None]:
        """The report files; a PDF failure is returned, not raised: the .docx is still there.

        A signed period's report is the signed one, byte for byte; a number or a date other than
        the signed ones is refused (reopen the period first)."""
        from .report import check_number

        day = today or self.now.date()
        signed = self.store.signature(str(self.period)) if self.existing_store else None
        if signed is not None and not plan_ids:
            return self._signed_report(signed, number, today, pdf)
        if number:
            number = check_number(number, self.workspace.setting("office.issuer_short"))
        self.check_report_date(day)
        files, problem = self._make_report(plan_ids, number, day, template_dir, pdf)
        if not self.store.readonly:
            self.store.record_report(
                str(self.period),
                ",".join(plan_ids),
                self.now.isoformat(timespec="seconds"),
                day.isoformat(),
                number or "",
                self.workspace.relative(files.docx),
                hashlib.sha256(files.docx.read_bytes()).hexdigest(),
            )
        return files, problem

    def _make_report(
        self, plan_ids, number: str | None, day: date, template_dir: Path | None, pdf: bool
    ) -> tuple[ReportFiles, ReportgenError | None]:
        from .report import font_warning, fonts_used, make_report, to_pdf
        from .xlsxstyle import read_style

        view = self.overview(plan_ids, day)
        template = self.workspace.template("docx", "bao-cao.docx", template_dir)
        style = read_style(self.workspace.template("xlsx", SUMMARY_TEMPLATE, template_dir))
        folder = self.workspace.period_dir(str(self.period))
        files = make_report(
            view,
            self.workspace.catalog,
            self.workspace.settings,
            view.values,
            template,
            folder,
            day,
            number=number,
            plans=tuple(plan_ids),
            style=style,
        )
        problem = None
        if pdf:
            try:
                files.pdf = to_pdf(files.docx, folder, self.workspace.settings["office.libreoffice"])
            except ReportgenError as error:
                problem = error
            else:
                warning = font_warning(fonts_used(files.pdf))
                if warning:
                    files.warnings.append(warning)
                    log.warning("report %s: %s", self.period, warning)
        return files, problem

    def check_report_date(self, day: date) -> None:
        """A report is dated after the data it reports, and not far in the future."""
        store = self.existing_store
        last = store.last_received(str(self.period)) if store else None
        if last and day < datetime.fromisoformat(last).date():
            raise UsageError("date-before-data", day=f"{day:%d/%m/%Y}", last=format_moment(last))
        if day < self.period.start:
            raise UsageError("date-before-period", day=f"{day:%d/%m/%Y}", period=self.period.label)
        if (day - self.now.date()).days > 31:
            raise UsageError("date-future", day=f"{day:%d/%m/%Y}", today=f"{self.now:%d/%m/%Y}")

    # -- signing a period ---------------------------------------------------------------------
    def sign(self, number: str, day: date, signer: str = "", pdf: bool = True) -> dict:
        """Record the report the leader signed: its number and date, the documents (kept aside, byte
        for byte), their hashes, and every value and status it showed. From then on the period is
        frozen: its report is this one, and later files are held as corrections."""
        from .report import check_number, text_fingerprint

        period = str(self.period)
        if self.store.signature(period) is not None:
            raise UsageError("already-signed", period=self.period.label, **self._signed_facts())
        number = check_number(number, self.workspace.setting("office.issuer_short"))
        used = [s["number"] for s in self.store.signatures(period)]
        if number in used:
            raise UsageError("number-used", number=number, period=self.period.label)
        self.check_report_date(day)
        files, problem = self._make_report((), number, day, None, pdf)
        kept = self.workspace.output_dir / "signed" / period / f"so-{number}"
        kept.mkdir(parents=True, exist_ok=True)
        copies = {
            kind: _keep(path, kept)
            for kind, path in (("docx", files.docx), ("xlsx", files.xlsx), ("pdf", files.pdf))
            if path
        }
        view = self.overview((), day)
        snapshot = {
            "period": period,
            "cutoff": view.cutoff.isoformat(),
            "indicators": [
                {"plan": s.plan, "code": s.code, "value": s.value, "value_text": s.value_text, "status": s.status}
                for s in view.statuses
            ],
            "summary": view.summary,
            # what the signed PDF says, word for word: a PDF made again from the signed document says the same
            "pdf_text": text_fingerprint(copies["pdf"]) if "pdf" in copies else None,
        }
        record: dict = {
            "period": period,
            "number": number,
            "signed_on": day.isoformat(),
            "signer": signer,
            "signed_at": self.now.isoformat(timespec="seconds"),
            "docx": self.workspace.relative(copies["docx"]),
            "sha256": _sha256(copies["docx"]),
            "pdf": self.workspace.relative(copies["pdf"]) if "pdf" in copies else None,
            "pdf_sha256": _sha256(copies["pdf"]) if "pdf" in copies else None,
            "xlsx": self.workspace.relative(copies["xlsx"]),
            "snapshot": json.dumps(snapshot, ensure_ascii=False),
        }
        record["id"] = self.store.record_signature(record)
        detail = f"số {number}/BC-{self.workspace.setting('office.issuer_short')} ngày {day:%d/%m/%Y}"
        self.store.add_event(period, "signed", str(record["signed_at"]), signer, detail)
        if problem is not None:
            log.warning("signed %s without PDF: %s", period, problem.detail)
        return record

    def reopen(self, reason: str, who: str = "") -> list[Receipt]:
        """Reopen a signed period, for a reason kept in its history; the corrections held while it
        was signed are applied now (each a change the history shows), and the next report is a new
        draft, to be numbered and signed anew."""
        period = str(self.period)
        signed = self.store.signature(period)
        if signed is None:
            raise UsageError("not-signed", period=self.period.label)
        if not reason.strip():
            raise UsageError("reopen-reason")
        at = self.now.isoformat(timespec="seconds")
        self.store.reopen(signed["id"], at, who, reason.strip())
        self.store.add_event(period, "reopened", at, who, reason.strip())
        applied = []
        for record in self.store.files(period=period, status="held"):
            if record.receipt.get("held") == "signed":
                receipt = self.accept_held(record.id)
                applied.append(receipt)
                self.store.add_event(period, "applied", at, who, f"{record.name} ({record.agency})")
        return applied

    def verify(self, path: Path) -> dict | None:
        """Which signature a .docx or .pdf is: by its bytes, or (a PDF printed anew) by its text.
        None when it matches no signed report."""
        data = Path(path).read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        store = self.existing_store
        records = store.signatures() if store else []
        for record in records:
            if digest in (record["sha256"], record["pdf_sha256"]):
                return record | {"match": "bytes"}
        if data.startswith(b"%PDF"):
            from .report import text_fingerprint

            found = text_fingerprint(Path(path))
            for record in records:
                if found == json.loads(record["snapshot"]).get("pdf_text"):
                    return record | {"match": "text"}
        return None

    def _signed_facts(self) -> dict:
        signed = self.store.signature(str(self.period)) or {}
        return {"number": signed.get("number", ""), "signed_on": _dmy(signed.get("signed_on", ""))}

    def _signed_report(
        self, signed: dict, number: str | None, today: date | None, pdf: bool
    ) -> tuple[ReportFiles, ReportgenError | None]:
        """The signed report again, exactly as signed."""
        from .report import ReportFiles, check_number, to_pdf

        short = self.workspace.setting("office.issuer_short")
        if (number and check_number(number, short) != signed["number"]) or (
            today and today.isoformat() != signed["signed_on"]
        ):
            raise UsageError("signed-period", period=self.period.label, **self._signed_facts())
        folder = self.workspace.period_dir(str(self.period))
        root = self.workspace.root
        docx = _restore(root / signed["docx"], folder / f"{report_stem(str(self.period))}.docx")
        xlsx = _restore(root / signed["xlsx"], folder / summary_file(str(self.period)))
        files = ReportFiles(docx=docx, xlsx=xlsx)
        problem = None
        if pdf:
            if signed["pdf"] and (root / signed["pdf"]).exists():
                files.pdf = _restore(root / signed["pdf"], folder / f"{report_stem(str(self.period))}.pdf")
            else:
                try:
                    files.pdf = to_pdf(files.docx, folder, self.workspace.settings["office.libreoffice"])
                except ReportgenError as error:
                    problem = error
        return files, problem

    # -- mail ---------------------------------------------------------------------------------
    def _deliver(self, planned: list[Planned], dry_run: bool) -> list[Delivery]:
        from .mail import Mailer, mailer_from_settings

        w = self.workspace
        mailer: Mailer | None = (
            None if dry_run else mailer_from_settings(w.settings, w.output_dir / "outbox", lambda: self.now)
        )
        return deliver(
            self.store,
            mailer,
            planned,
            period=self.period,
            now=self.now,
            retries=w.setting("mail.retries"),
            dry_run=dry_run,
            outbox=w.setting("mail.mode") != "smtp",
            sender=w.setting("mail.sender"),
        )

    def send_forms(self, agencies=(), plan_ids=(), *, dry_run: bool = False) -> list[Delivery]:
        view = self.overview(plan_ids)
        return self._deliver(plan_send_forms(self.workspace, view, self.store, list(agencies) or None), dry_run)

    def remind(self, plan_ids=(), *, dry_run: bool = False) -> list[Delivery]:
        view = self.overview(plan_ids)
        return self._deliver(plan_remind(self.workspace, view, self.store), dry_run)

    def mail_report(self, files: ReportFiles, *, dry_run: bool = False) -> list[Delivery]:
        """Mail the report to leadership, once per version of the report."""
        s = self.workspace.settings
        period = self.period
        ctx = Context(issuer=s["office.issuer_name"], contact=self.workspace.contact, period_label=period.label)
        attachments = [(p, p.name) for p in (files.pdf, files.docx, files.xlsx) if p is not None]
        digest = hashlib.sha256(files.docx.read_bytes()).hexdigest()[:12]
        planned = []
        for email in s["report.leadership_emails"]:
            leader = Recipient(email, "Lãnh đạo", email)
            message = message_to(
                leader,
                f"[Báo cáo] Kết quả thực hiện các chỉ tiêu {period.label.lower()}",
                [
                    f"{ctx.issuer} gửi báo cáo kết quả thực hiện các chỉ tiêu "
                    f"{period.label.lower()} (dự thảo để xem xét, ký ban hành) và biểu tổng "
                    "hợp kèm theo."
                ],
                ctx,
                attachments=attachments,
            )
            planned.append(Planned("report", leader, message, f"report|{email}|{period}|{digest}", ref=digest))
        return self._deliver(planned, dry_run)

    # -- the scheduler's jobs -------------------------------------------------------------------
    def forms_job(self) -> list:
        if not self.store.forms_for(str(self.period)):
            self.make_forms(workers=1)
        return self.send_forms()

    def collect_job(self) -> list:
        inbox = self.workspace.root / self.workspace.setting("schedule.inbox")
        inbox.mkdir(parents=True, exist_ok=True)
        files = gather([inbox])
        if not files:
            return []
        receipts = self.collect(files, workers=1)
        self._quarantine([path for path, r in zip(files, receipts, strict=True) if r.quarantine])
        # A late form for last month arrives during this month: collect it for its own period.
        previous = self.period.previous()
        late = [
            self.workspace.root / r.file
            for r in receipts
            if r.reason_code == "wrong-period" and r.facts.get("found") == str(previous)
        ]
        if late:
            with Cycle(self.workspace, previous, self.now) as earlier:
                receipts += earlier.collect(late, workers=1)
        return receipts

    def _quarantine(self, files: list[Path]) -> None:
        """Put aside the files whose reader died, so that tomorrow's run does not meet them again
        (their content is archived and their refusal recorded)."""
        if not files:
            return
        folder = self.workspace.output_dir / "quarantine"
        folder.mkdir(parents=True, exist_ok=True)
        for path in files:
            target = folder / f"{self.now:%Y%m%d-%H%M%S}_{path.name}"
            try:
                path.replace(target)
                log.warning("file %s put aside in %s", path, target)
            except OSError as error:
                log.warning("file %s could not be put aside: %s", path, error)

    def remind_job(self) -> list:
        return self.remind()

    def report_job(self) -> list:
        self.check_period()  # a scheduled report is never mailed for a period no plan covers,
        if not self.overview().values:  # nor before any agency has sent a figure
            raise ProblemsFound("no-data-yet", period=self.period.label)
        files, problem = self.report(pdf=True)
        if problem is not None:
            log.warning("report %s without PDF: %s", self.period, problem.detail or problem)
        return self.mail_report(files)


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _keep(path: Path, folder: Path) -> Path:
    """A signed document kept aside, read-only: the report of a signed period is this file."""
    target = folder / path.name
    shutil.copyfile(path, target)
    with contextlib.suppress(OSError):
        target.chmod(0o444)
    return target


def _restore(kept: Path, target: Path) -> Path:
    """A kept document put back where the report is expected, the same bytes."""
    if not kept.exists():
        raise UsageError("signed-missing", file=str(kept))
    return write_whole(target, lambda temp: shutil.copyfile(kept, temp))


def _dmy(iso: str) -> str:
    return f"{iso[8:10]}/{iso[5:7]}/{iso[:4]}" if len(iso) >= 10 else iso


JOBS: dict[str, Callable[[Cycle], list]] = {
    "collect": Cycle.collect_job,
    "forms": Cycle.forms_job,
    "remind": Cycle.remind_job,
    "report": Cycle.report_job,
}


def run_job(workspace: Workspace, job: str, now: datetime) -> None:
    """One job of the monthly cycle, for the period of ``now``'s month."""
    period = current_period(now.date())
    log.info("job %s for %s at %s", job, period, now.isoformat(timespec="minutes"))
    with Cycle(workspace, period, now) as cycle:
        results = JOBS[job](cycle)
    log.info("job %s done: %d item(s)", job, len(results))

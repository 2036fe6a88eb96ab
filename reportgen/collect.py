"""The ``collect`` run: files in, receipts out.

For each returned file: read it (:mod:`reportgen.intake`), archive the original by
content hash, store its values with their history (:mod:`reportgen.store`), and
when it has problems write the agency's form back with the problem cells marked.
Reading is spread over the CPU cores for big batches; storing is one transaction
per file in this process.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, time
from pathlib import Path

from . import messages as msg
from . import sandbox
from .atomic import write_whole
from .catalog import Catalog
from .clock import VN, to_vn
from .duties import Duties
from .errors import FileRejected, Interrupted
from .forms import FormMaker, Listed, Marks, rows_at, write_form
from .intake import Expectation, Reading, agency_in_name, question, read_form
from .layout import RETURNS_DIR, parse_row_key, return_file
from .package import MAX_BYTES
from .periods import Period
from .sandbox import Died
from .store import Store
from .text import format_moment

__all__ = ["Receipt", "Hold", "gather", "collect", "Collector", "outcomes", "store_outcome", "own_time", "versions"]

log = logging.getLogger(__name__)

_SKIP_PREFIXES = ("~$", ".~lock", ".")
_SKIP_NAMES = {"thumbs.db", "desktop.ini"}


@dataclass
class Receipt:
    """What we tell the sender about one file (printed, emailed, and kept as JSON)."""

    file: str
    status: str  # accepted | problems | rejected | duplicate | held | set-aside
    agency: str | None = None
    agency_name: str | None = None
    form_id: str | None = None
    period: str | None = None
    accepted: int = 0
    problems: list[dict] = field(default_factory=list)
    notes: list[dict] = field(default_factory=list)
    doubts: list[dict] = field(default_factory=list)  # figures kept but questioned: to verify
    kept: list[dict] = field(default_factory=list)  # earlier figures of the month a blank cell kept
    blank: list[str] = field(default_factory=list)  # rows of the form no file of the period has filled yet
    changed: list[dict] = field(default_factory=list)  # what this file changed of figures sent before
    correction: str | None = None  # the period was reported at this moment, before the file came
    reason: str | None = None
    reason_code: str | None = None
    facts: dict = field(default_factory=dict)
    return_file: str | None = None
    archived: str | None = None
    received_at: str | None = None
    late: bool = False
    duplicate_of: str | None = None
    quarantine: bool = False  # its reader died: the scheduler puts it aside
    held: str | None = None  # why a form was kept aside, not applied: "sender" (not the agency's address)
    sender: str | None = None  # the address a mailed file came from
    saved_at: str | None = None  # when the clerk last saved the workbook (its own properties)
    remarks: list[str] = field(default_factory=list)  # what else the receipt says (versions, sender)
    file_id: int | None = None  # the stored file (for ``reportgen held``)

    @property
    def ok(self) -> bool:
        if self.status in ("accepted", "set-aside"):
            return True
        return self.status == "duplicate" and not self.problems and not self.reason

    def to_json(self) -> dict:
        data = asdict(self)
        data["ok"] = self.ok
        return data


def gather(paths: Iterable[Path], skip: Iterable[Path] = ()) -> list[Path]:
    """Files named, and the files inside folders named; office lock files are skipped, and so is
    everything under ``skip`` (the workspace's own folders: its forms, returns, archive, database,
    configuration), even when the folder named holds them."""
    out: list[Path] = []
    skipped = [Path(p).resolve() for p in skip]

    def own(candidate: Path) -> bool:
        where = candidate.resolve()
        return any(where == s or s in where.parents for s in skipped)

    for path in paths:
        path = Path(path)
        if path.is_dir():
            candidates = sorted(p for p in path.rglob("*") if p.is_file() and not own(p))
        else:
            candidates = [path]
        for candidate in candidates:
            name = candidate.name.lower()
            if path.is_dir() and (name.startswith(_SKIP_PREFIXES) or name in _SKIP_NAMES):
                continue
            out.append(candidate)
    return out


class Collector:
    """Everything a worker needs to read files for one period (picklable)."""

    def __init__(
        self,
        catalog: Catalog,
        period: Period,
        key: bytes,
        output: Path,
        agency: str | None,
        now: datetime,
        submission_day: int,
        contact: str,
        done_tasks: frozenset[str] = frozenset(),
        behind: frozenset[str] = frozenset(),
    ):
        self.done_tasks = done_tasks  # tasks done before this period: off its forms
        self.behind = behind  # rows behind at the last period: their forms ask for the cause
        self.catalog = catalog
        self.period = period
        self.key = key
        self.output = Path(output)
        self.agency = agency
        self.now = now
        self.submission_day = submission_day
        self.contact = contact
        self._duties: dict[tuple[str, ...], Duties] = {}
        self._expectation: Expectation | None = None

    def duties(self, plan_ids: list[str]) -> Duties:
        """The duties under the plans a returned form names. A returned form may carry every
        row its agency could have been asked, done tasks included (a correction), so no
        done tasks are left out here."""
        wanted = tuple(p for p in plan_ids if p in self.catalog.plans)
        if wanted not in self._duties:
            plans = [self.catalog.plans[p] for p in wanted]
            self._duties[wanted] = Duties(self.catalog, plans, self.period)
        return self._duties[wanted]

    def expectation(self) -> Expectation:
        if self._expectation is None:
            self._expectation = self._expect()
        return self._expectation

    def _expect(self) -> Expectation:
        registry = self.catalog.registry
        return Expectation(
            period=str(self.period),
            key=self.key,
            versions={pid: plan.version for pid, plan in self.catalog.plans.items()},
            names={code: registry.name(code) for code in registry.entries},
            duties_for=self.duties,
            agency=self.agency,
            received=to_vn(self.now).date(),
            done_tasks=self.done_tasks,
        )

    # -- one file, in a worker ---------------------------------------------------------------
    def read(self, path: Path) -> dict:
        """Read, check and archive one file (in a worker process). Never raises for the file's
        sake: every failure is the file's refusal."""
        outcome, data = self._take(path)
        if data is None:
            return outcome
        try:
            reading = read_form(data, path.name, self.expectation())
        except FileRejected as rejection:
            outcome["rejection"] = (rejection.reason, rejection.facts)
            return outcome
        except Exception as error:  # noqa: BLE001 - whatever a hostile file does, it is that file's refusal
            log.info("reading %s failed", path, exc_info=True)  # the trace for the log file, not the screen
            outcome["rejection"] = ("unreadable", {"why": type(error).__name__})
            return outcome
        outcome["reading"] = reading
        return outcome

    def died(self, path: Path, death: Died) -> dict:
        """The outcome of a file whose reader died: archived here, refused, put aside by the scheduler."""
        outcome, _ = self._take(path)
        reason = "timeout" if death.reason == "timeout" else "reader-crashed"
        outcome.setdefault("rejection", (reason, {"why": death.detail, "seconds": death.detail}))
        outcome["quarantine"] = True
        return outcome

    def _take(self, path: Path) -> tuple[dict, bytes | None]:
        """The file's bytes, hashed and archived; or, for a file too large to read, only its hash
        and its refusal (nothing is archived); or why it could not be opened at all."""
        outcome: dict = {"path": str(path)}
        try:
            size = path.stat().st_size
            if size > MAX_BYTES:
                outcome |= {"sha256": _streamed_sha256(path), "size": size, "archived": None}
                facts = {"size": round(size / 1024 / 1024, 1), "limit": MAX_BYTES // 1024 // 1024}
                outcome["rejection"] = ("too-large", facts)
                return outcome, None
            data = path.read_bytes()
        except OSError as error:  # open in Excel on Windows, gone, no permission: not received yet
            outcome["unread"] = (type(error).__name__, error.strerror or str(error))
            return outcome, None
        sha = hashlib.sha256(data).hexdigest()
        outcome |= {"sha256": sha, "size": len(data), "archived": self._archive(sha, path, data)}
        return outcome, data

    def _archive(self, sha: str, path: Path, data: bytes) -> str:
        folder = self.output / "archive" / sha[:2]
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{sha}{path.suffix.lower()[:8]}"
        if not target.exists():
            temp = target.with_suffix(target.suffix + f".{os.getpid()}.tmp")
            temp.write_bytes(data)
            os.replace(temp, target)
        return str(target)

    def write_return(self, reading: Reading, previous: dict[str, str] | None = None) -> str | None:
        """The agency's own file made fixable: what it sent, the red cells to fix, and every problem,
        warning and question listed where it prints. None when there is nothing to say.

        The return keeps the rows of the file the clerk sent, in its order (a form made before some
        tasks were done keeps its layout), with last period's values (``previous``) and the cause
        asked where a row was behind. Every problem of ``reading`` is quoted at its cell in the
        return file: the receipt, the console, the CanSua sheet and the red cells all agree."""
        said = [p for p in reading.problems if p.level in ("error", "doubt") or p.column]
        if not said:
            return None
        duties = self.duties(reading.plan_ids)
        due = self.period.submission_deadline(self.submission_day)
        maker = FormMaker.at(duties, self.now, due, self.contact, self.behind)
        spec = maker.spec(
            reading.agency, previous, form_id=reading.form_id, generated_at=reading.identity["generated_at"]
        ).only(reading.found)
        placed = rows_at(spec)
        reading.problems = [p.at(placed) for p in reading.problems]
        said = [p for p in reading.problems if p.level in ("error", "doubt") or p.column]
        flags: dict[tuple[str, str], str] = {}
        for problem in reading.errors:
            if problem.key and problem.column:
                before = flags.get((problem.key, problem.column))
                flags[(problem.key, problem.column)] = f"{before}\n{problem.message}" if before else problem.message
        listed = tuple(
            Listed(p.cell, p.code, names.get(p.key, ""), p.level, p.message)
            for p in said
            for names in [{row.key: row.name for row in duties.accepted_rows(reading.agency).values()}]
        )
        folder = self.output / str(self.period) / RETURNS_DIR
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / return_file(str(self.period), reading.agency)
        marks = Marks(reading.entered, flags, listed=listed, formats=reading.formats)
        write_whole(target, lambda temp: write_form(spec, temp, self.key, marks=marks))
        return str(target)


def _streamed_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def outcomes(collector: Collector, files: list[Path], workers: int = 1, timeout: float = sandbox.TIMEOUT):
    """Each file read in a worker process: a reader that dies takes only its own file down."""
    size = max(1, min(workers, len(files) // 30 + 1))  # small batches: one worker is plenty
    for path, outcome in zip(files, sandbox.run(collector.read, files, size, timeout), strict=True):
        yield collector.died(path, outcome) if isinstance(outcome, Died) else outcome


def own_time(path: Path, outcome: dict, now: datetime) -> datetime:
    """When a file in a folder was sent: when the clerk last saved it (the workbook's own
    properties), else the file's time; never later than ``now``, never before its form was made."""
    now = to_vn(now)
    reading: Reading | None = outcome.get("reading")
    made = None
    if reading is not None and reading.identity.get("generated_at"):
        try:
            made = to_vn(datetime.fromisoformat(reading.identity["generated_at"]))
        except ValueError:
            made = None
    found = [to_vn(reading.saved_at)] if reading is not None and reading.saved_at else []
    try:
        found.append(datetime.fromtimestamp(path.stat().st_mtime, VN))
    except OSError:
        pass
    for moment in found:
        if made is None or moment > made:
            return min(moment, now)
    return now


def collect(
    collector: Collector,
    store: Store,
    files: list[Path],
    *,
    received_at: datetime,
    relative: Callable[[Path], str] = str,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    timeout: float = sandbox.TIMEOUT,
    own_times: bool = False,
) -> list[Receipt]:
    """Read, archive and store ``files``; one receipt per file, in order. No file can stop the
    batch: each is read in a worker process, and whatever happens to it is its own receipt.

    With ``own_times`` (files from a folder) each file counts as sent when the clerk saved it
    (:func:`own_time`): of two versions of a form in one run, the one saved last wins."""
    receipts: list[Receipt] = []
    started = datetime.now(VN).timestamp() - 1
    try:
        for outcome in outcomes(collector, files, workers, timeout):
            path = Path(outcome["path"])
            when = own_time(path, outcome, received_at) if own_times else received_at
            named = agency_in_name(path.name, collector.catalog.registry.entries)  # a refusal is that agency's
            receipts.append(
                store_outcome(collector, store, outcome, received_at=when, relative=relative, sender_agency=named)
            )
            if progress:
                progress(1)
    except KeyboardInterrupt:
        # Each file is stored in its own transaction: those before the stop are kept whole. Files
        # read and archived but not yet recorded leave no archive behind; a re-run finds the
        # stored ones by their content (no duplicate) and goes on with the rest.
        _drop_unrecorded(collector.output / "archive", store, started)
        raise Interrupted("interrupted-collect", stored=len(receipts), total=len(files)) from None
    versions(receipts)
    return receipts


def versions(receipts: list[Receipt]) -> None:
    """Tell each file of one agency and period that came in the same run which version counts:
    the one sent (saved) last wins cell by cell."""
    groups: dict[tuple[str, str], list[Receipt]] = {}
    for receipt in receipts:
        if receipt.agency and receipt.status in ("accepted", "problems"):
            groups.setdefault((receipt.agency, receipt.period or ""), []).append(receipt)
    for group in groups.values():
        if len(group) < 2:
            continue
        ordered = sorted(group, key=lambda r: r.received_at or "")
        last = ordered[-1]
        for receipt in ordered[:-1]:
            receipt.remarks.append(
                msg.RECEIPT_OLDER_VERSION.format(
                    file=_name(last.file), when=format_moment(last.received_at), mine=format_moment(receipt.received_at)
                )
            )
        last.remarks.append(
            msg.RECEIPT_NEWEST_VERSION.format(count=len(ordered) - 1, when=format_moment(last.received_at))
        )


def _changed(changes: list[dict]) -> list[dict]:
    """The changes a file made, as a receipt lists them: code, what, from, to."""
    out = []
    for change in changes:
        code = parse_row_key(change["key"])
        out.append(
            {
                "code": code.code + (f" ({code.part})" if code.part else ""),
                "field": msg.FIELD_NAMES.get(change["field"], change["field"]),
                "old": msg.stored_value(change["old"]),
                "new": msg.stored_value(change["new"]),
            }
        )
    return out


def _name(file: str) -> str:
    return file.replace("\\", "/").rpartition("/")[2]


def _drop_unrecorded(folder: Path, store: Store, since: float) -> None:
    """Remove the archives this run wrote whose file has no record (a stop between the two)."""
    if not folder.is_dir():
        return
    recorded = {Path(f.archive).name for f in store.files()}
    for path in folder.rglob("*"):
        if path.is_file() and path.name not in recorded and path.stat().st_mtime >= since:
            path.unlink(missing_ok=True)


@dataclass(frozen=True)
class Hold:
    """Why a form is kept aside instead of applied, until the office accepts or discards it."""

    reason: str  # sender: not from its agency's registered address; signed: its period's report is signed
    sender: str = ""


def store_outcome(
    collector: Collector,
    store: Store,
    outcome: dict,
    *,
    received_at: datetime,
    relative: Callable[[Path], str] = str,
    hold: Hold | None = None,
    sender: str | None = None,
    sender_agency: str | None = None,
    set_aside_for: Receipt | None = None,
    shown: str | None = None,
) -> Receipt:
    """Store one read file and say what became of it.

    ``hold`` keeps an identified form aside (a held file, not applied); ``set_aside_for`` names
    the newer version of the same form that replaces this one (the same mail brought both);
    ``sender_agency`` is the agency whose registered address sent a file that names none; ``shown``
    the file as the receipt names it (a held file read again from the archive keeps its own name)."""
    deadline = datetime.combine(
        collector.period.submission_deadline(collector.submission_day), time(23, 59, 59), tzinfo=VN
    )
    stamp = to_vn(received_at).isoformat(timespec="seconds")
    path = Path(outcome["path"])
    names = collector.catalog.registry
    archived = relative(Path(outcome["archived"])) if outcome.get("archived") else None
    receipt = Receipt(
        file=shown or relative(path),
        status="rejected",
        archived=archived,
        received_at=stamp,
        period=str(collector.period),
        quarantine=bool(outcome.get("quarantine")),
        sender=sender,
    )
    if "unread" in outcome:  # the file could not even be opened: nothing received, nothing stored
        kind, why = outcome["unread"]
        receipt.reason_code = "not-readable-now"
        receipt.reason = msg.refusal("not-readable-now", {"file": path.name, "why": why})
        log.warning("file %s not read: %s %s", path, kind, why)
        return receipt
    reading: Reading | None = outcome.get("reading")
    submission: dict | None = None
    values: list = []
    if reading is None:
        reason, facts = outcome["rejection"]
        receipt.reason = msg.refusal(reason, facts)
        receipt.reason_code = reason
        receipt.facts = {k: v for k, v in facts.items() if isinstance(v, (str, int, float))}
        agency = facts.get("agency") if facts.get("agency") in names else sender_agency
        if agency:  # the identity was read, or a registered address sent it: the refusal is this agency's
            receipt.agency, receipt.agency_name = agency, names.name(agency)
    elif not reading.values and not reading.errors:  # a blank form is no submission
        receipt.agency, receipt.agency_name = reading.agency, names.name(reading.agency)
        receipt.form_id = reading.form_id
        receipt.reason_code = "blank-form"
        receipt.reason = msg.refusal("blank-form", {"asked": reading.asked})
    else:
        submission, values = _read(collector, store, reading, receipt, stamp, deadline, relative, path)
        signed = store.signature(reading.period)
        if hold is None and signed is not None:  # a signed period changes only when the office reopens it
            hold = Hold("signed")
            receipt.facts = {"number": signed["number"], "signed_on": signed["signed_on"]}
        if hold is not None or set_aside_for is not None:
            receipt.status = "held" if hold is not None else "set-aside"
            receipt.held = hold.reason if hold is not None else None
            if set_aside_for is not None:
                receipt.reason = msg.RECEIPT_SET_ASIDE.format(
                    file=_name(set_aside_for.file), when=format_moment(set_aside_for.saved_at)
                )
            submission, values = None, []
    log.info("file %s: %s%s", path.name, receipt.status, f" ({receipt.reason_code})" if receipt.reason_code else "")
    record, created = store.add_file(
        sha256=outcome["sha256"],
        name=_name(shown) if shown else path.name,
        archive=archived or "",
        size=outcome["size"],
        received_at=stamp,
        source=str(path),
        status=receipt.status,
        agency=receipt.agency,
        period=str(collector.period),
        form_id=receipt.form_id,
        receipt=receipt.to_json(),
        submission=submission,
        values=values,
    )
    if created:
        receipt.file_id = record.id
        if submission is not None:
            receipt.changed = _changed(store.changes_of_file(record.id))
            if receipt.changed:  # rare (a correction): kept with the file, for status and the report
                store.set_file_status(record.id, record.status, receipt.to_json())
        return receipt
    earlier = Receipt(**{k: v for k, v in record.receipt.items() if k in Receipt.__dataclass_fields__})
    earlier.status, earlier.duplicate_of = "duplicate", record.received_at
    earlier.file, earlier.file_id = receipt.file, record.id
    return earlier


def _read(
    collector: Collector,
    store: Store,
    reading: Reading,
    receipt: Receipt,
    stamp: str,
    deadline: datetime,
    relative: Callable[[Path], str],
    path: Path,
) -> tuple[dict, list]:
    """Fill the receipt of a form with figures; the submission and values to store."""
    names = collector.catalog.registry
    month = collector.period.month_number
    rows = collector.duties(reading.plan_ids).accepted_rows(reading.agency)
    question(reading, rows, store.figures_before(reading.agency, month))
    sent = {v.key for v in reading.values}
    # a measure also filled from another plan's row is the agency's one figure, said once
    echoes = {key for row in rows.values() for key in row.also}
    receipt.kept = [
        {"code": rows[key].code if key in rows else key, "value": shown, "file": file}
        for key, (shown, file) in store.month_figures(reading.agency, month).items()
        if key not in sent and key not in echoes
    ]
    try:  # first: the return file may quote the problems at other rows (the clerk's layout)
        previous = store.previous_texts(month - 1, reading.agency).get(reading.agency, {})
        written = collector.write_return(reading, previous)
    except Exception:  # noqa: BLE001 - the receipt still lists every problem
        log.warning("no return file for %s", path, exc_info=True)
        written = None
    if written:
        receipt.return_file = relative(Path(written))
    receipt.agency, receipt.agency_name = reading.agency, names.name(reading.agency)
    receipt.form_id = reading.form_id
    receipt.accepted = sum(1 for v in reading.values if v.ok and v.key not in echoes)
    receipt.problems = [p.to_dict() for p in reading.errors]
    receipt.notes = [p.to_dict() for p in reading.notes]
    receipt.doubts = [p.to_dict() for p in reading.doubts]
    receipt.status = "problems" if reading.errors else "accepted"
    filled = store.filled(reading.period).get(reading.agency, set()) | {v.key for v in reading.values if v.ok}
    receipt.blank = [
        row.code
        for row in collector.duties(reading.plan_ids).rows(reading.agency)
        if row.key not in filled and row.key not in collector.done_tasks
    ]
    receipt.late = datetime.fromisoformat(stamp) > deadline
    reported = store.reported_at(reading.period)
    if reported and stamp > reported:  # its period was already reported: a correction after the report
        receipt.correction = reported
    receipt.saved_at = to_vn(reading.saved_at).isoformat(timespec="seconds") if reading.saved_at else None
    submission = {
        "agency": reading.agency,
        "period": reading.period,
        "form_id": reading.form_id,
        "saved_at": receipt.saved_at or stamp,
        "received_at": stamp,
        "problems": len(reading.errors),
        "warnings": len(reading.notes) + len(reading.doubts),
        "rows_filled": len({v.key for v in reading.values}),
        "rows_asked": reading.asked,
    }
    return submission, reading.values

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
from .forms import FormMaker, Listed, Marks, write_form
from .intake import Expectation, Reading, question, read_form
from .layout import RETURNS_DIR, return_file
from .package import MAX_BYTES
from .periods import Period
from .sandbox import Died
from .store import Store

__all__ = ["Receipt", "gather", "collect", "Collector"]

log = logging.getLogger(__name__)

_SKIP_PREFIXES = ("~$", ".~lock", ".")
_SKIP_NAMES = {"thumbs.db", "desktop.ini"}


@dataclass
class Receipt:
    """What we tell the sender about one file (printed, emailed, and kept as JSON)."""

    file: str
    status: str  # accepted | problems | rejected | duplicate
    agency: str | None = None
    agency_name: str | None = None
    form_id: str | None = None
    period: str | None = None
    accepted: int = 0
    problems: list[dict] = field(default_factory=list)
    notes: list[dict] = field(default_factory=list)
    doubts: list[dict] = field(default_factory=list)  # figures kept but questioned: to verify
    kept: list[dict] = field(default_factory=list)  # earlier figures of the month a blank cell kept
    reason: str | None = None
    reason_code: str | None = None
    facts: dict = field(default_factory=dict)
    return_file: str | None = None
    archived: str | None = None
    received_at: str | None = None
    late: bool = False
    duplicate_of: str | None = None
    quarantine: bool = False  # its reader died: the scheduler puts it aside

    @property
    def ok(self) -> bool:
        return self.status in ("accepted",) or (self.status == "duplicate" and not self.problems and not self.reason)

    def to_json(self) -> dict:
        data = asdict(self)
        data["ok"] = self.ok
        return data


def gather(paths: Iterable[Path]) -> list[Path]:
    """Files named, and the files inside folders named; office lock files are skipped."""
    out: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            candidates = sorted(p for p in path.rglob("*") if p.is_file())
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
    ):
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

    def write_return(self, reading: Reading) -> str | None:
        """The agency's own file made fixable: what it sent, the red cells to fix, and every problem,
        warning and question listed where it prints. None when there is nothing to say."""
        said = [p for p in reading.problems if p.level in ("error", "doubt") or p.column]
        if not said:
            return None
        duties = self.duties(reading.plan_ids)
        maker = FormMaker.at(duties, self.now, self.period.submission_deadline(self.submission_day), self.contact)
        spec = maker.spec(reading.agency, form_id=reading.form_id, generated_at=reading.identity["generated_at"])
        flags: dict[tuple[str, str], str] = {}
        for problem in reading.errors:
            if problem.key and problem.column:
                previous = flags.get((problem.key, problem.column))
                flags[(problem.key, problem.column)] = f"{previous}\n{problem.message}" if previous else problem.message
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


def _outcomes(collector: Collector, files: list[Path], workers: int, timeout: float):
    """Each file read in a worker process: a reader that dies takes only its own file down."""
    size = max(1, min(workers, len(files) // 30 + 1))  # small batches: one worker is plenty
    for path, outcome in zip(files, sandbox.run(collector.read, files, size, timeout), strict=True):
        yield collector.died(path, outcome) if isinstance(outcome, Died) else outcome


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
) -> list[Receipt]:
    """Read, archive and store ``files``; one receipt per file, in order. No file can stop the
    batch: each is read in a worker process, and whatever happens to it is its own receipt."""
    deadline = datetime.combine(
        collector.period.submission_deadline(collector.submission_day), time(23, 59, 59), tzinfo=VN
    )
    stamp = to_vn(received_at).isoformat(timespec="seconds")
    receipts: list[Receipt] = []
    started = datetime.now(VN).timestamp() - 1
    try:
        for outcome in _outcomes(collector, files, workers, timeout):
            receipts.append(_store(collector, store, outcome, stamp, deadline, relative))
            if progress:
                progress(1)
    except KeyboardInterrupt:
        # Each file is stored in its own transaction: those before the stop are kept whole. Files
        # read and archived but not yet recorded leave no archive behind; a re-run finds the
        # stored ones by their content (no duplicate) and goes on with the rest.
        _drop_unrecorded(collector.output / "archive", store, started)
        raise Interrupted("interrupted-collect", stored=len(receipts), total=len(files)) from None
    return receipts


def _drop_unrecorded(folder: Path, store: Store, since: float) -> None:
    """Remove the archives this run wrote whose file has no record (a stop between the two)."""
    if not folder.is_dir():
        return
    recorded = {Path(f.archive).name for f in store.files()}
    for path in folder.rglob("*"):
        if path.is_file() and path.name not in recorded and path.stat().st_mtime >= since:
            path.unlink(missing_ok=True)


def _store(
    collector: Collector, store: Store, outcome: dict, stamp: str, deadline: datetime, relative: Callable[[Path], str]
) -> Receipt:
    path = Path(outcome["path"])
    names = collector.catalog.registry
    archived = relative(Path(outcome["archived"])) if outcome.get("archived") else None
    receipt = Receipt(
        file=relative(path),
        status="rejected",
        archived=archived,
        received_at=stamp,
        period=str(collector.period),
        quarantine=bool(outcome.get("quarantine")),
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
        if facts.get("agency") in names:  # the identity was read: the refusal is this agency's
            receipt.agency, receipt.agency_name = facts["agency"], names.name(facts["agency"])
    elif not reading.values and not reading.errors:  # a blank form is no submission
        receipt.agency, receipt.agency_name = reading.agency, names.name(reading.agency)
        receipt.form_id = reading.form_id
        receipt.reason_code = "blank-form"
        receipt.reason = msg.refusal("blank-form", {"asked": reading.asked})
    else:
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
        receipt.agency, receipt.agency_name = reading.agency, names.name(reading.agency)
        receipt.form_id = reading.form_id
        receipt.accepted = sum(1 for v in reading.values if v.ok and v.key not in echoes)
        receipt.problems = [p.to_dict() for p in reading.errors]
        receipt.notes = [p.to_dict() for p in reading.notes]
        receipt.doubts = [p.to_dict() for p in reading.doubts]
        receipt.status = "problems" if reading.errors else "accepted"
        receipt.late = datetime.fromisoformat(stamp) > deadline
        try:
            written = collector.write_return(reading)
        except Exception:  # noqa: BLE001 - the receipt still lists every problem
            log.warning("no return file for %s", path, exc_info=True)
            written = None
        if written:
            receipt.return_file = relative(Path(written))
        saved = to_vn(reading.saved_at).isoformat(timespec="seconds") if reading.saved_at else stamp
        submission = {
            "agency": reading.agency,
            "period": reading.period,
            "form_id": reading.form_id,
            "saved_at": saved,
            "received_at": stamp,
            "problems": len(reading.errors),
            "warnings": len(reading.notes) + len(reading.doubts),
            "rows_filled": len({v.key for v in reading.values}),
            "rows_asked": reading.asked,
        }
        values = reading.values
    log.info("file %s: %s%s", path.name, receipt.status, f" ({receipt.reason_code})" if receipt.reason_code else "")
    record, created = store.add_file(
        sha256=outcome["sha256"],
        name=path.name,
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
        return receipt
    earlier = Receipt(**{k: v for k, v in record.receipt.items() if k in Receipt.__dataclass_fields__})
    earlier.status, earlier.duplicate_of = "duplicate", record.received_at
    earlier.file = receipt.file
    return earlier

"""The workspace database (SQLite): issued forms, every received file, every
submission and value with its history, and every mail sent.

Each received file is stored in one transaction (``BEGIN IMMEDIATE``), keyed by its
content hash, so a crash leaves the database consistent, re-running completes the
work, the same file collected twice changes nothing, and two ``collect`` runs at
the same time neither corrupt nor double-count. A later submission from the same
agency for the same period supersedes the earlier one for current figures; the
history keeps all versions and every changed value (who, when, from what, to what).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from .errors import StoreError
from .periods import Period
from .record import FIELDS, Entry, Span, extend, filled_fields, fold

__all__ = ["Store", "StoredValue", "Submission", "FileRecord", "NewValue", "SendRecord"]

SCHEMA_VERSION = 4

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS forms (
    form_id TEXT PRIMARY KEY, agency TEXT NOT NULL, period TEXT NOT NULL, plans TEXT NOT NULL,
    generated_at TEXT NOT NULL, path TEXT, rows INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS forms_period ON forms (period, agency);
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE, name TEXT NOT NULL, archive TEXT NOT NULL,
    size INTEGER NOT NULL, received_at TEXT NOT NULL, source TEXT, status TEXT NOT NULL,
    agency TEXT, period TEXT, form_id TEXT, receipt TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY, file_id INTEGER NOT NULL REFERENCES files (id),
    agency TEXT NOT NULL, period TEXT NOT NULL, month INTEGER NOT NULL, form_id TEXT, saved_at TEXT NOT NULL,
    received_at TEXT NOT NULL, problems INTEGER NOT NULL DEFAULT 0, warnings INTEGER NOT NULL DEFAULT 0,
    rows_filled INTEGER NOT NULL DEFAULT 0, rows_asked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS submissions_agency ON submissions (agency, period);
CREATE INDEX IF NOT EXISTS submissions_period ON submissions (period);
CREATE TABLE IF NOT EXISTS vals (
    submission_id INTEGER NOT NULL REFERENCES submissions (id), key TEXT NOT NULL,
    plan TEXT NOT NULL, code TEXT NOT NULL, part TEXT NOT NULL DEFAULT '',
    value REAL, numerator REAL, denominator REAL, assessment TEXT, doc_number TEXT,
    doc_date TEXT, note TEXT, cell TEXT, ok INTEGER NOT NULL DEFAULT 1, cause TEXT,
    cleared INTEGER NOT NULL DEFAULT 0, doubt TEXT,
    PRIMARY KEY (submission_id, key)
);
CREATE TABLE IF NOT EXISTS record (
    agency TEXT NOT NULL, key TEXT NOT NULL, plan TEXT NOT NULL, code TEXT NOT NULL,
    part TEXT NOT NULL DEFAULT '', start INTEGER NOT NULL, stop INTEGER,
    value REAL, numerator REAL, denominator REAL, assessment TEXT, doc_number TEXT, doc_date TEXT,
    note TEXT, cause TEXT,
    src_value INTEGER, src_numerator INTEGER, src_denominator INTEGER, src_assessment INTEGER,
    src_doc_number INTEGER, src_doc_date INTEGER, src_note INTEGER, src_cause INTEGER,
    as_of INTEGER,
    PRIMARY KEY (agency, key, start)
);
CREATE INDEX IF NOT EXISTS record_stop ON record (stop, start);
CREATE TABLE IF NOT EXISTS province (
    month INTEGER NOT NULL, key TEXT NOT NULL, stamp TEXT NOT NULL, value REAL, assessment TEXT,
    numerator REAL, denominator REAL, received INTEGER NOT NULL, missing INTEGER NOT NULL,
    PRIMARY KEY (month, key)
);
CREATE TABLE IF NOT EXISTS changes (
    id INTEGER PRIMARY KEY, agency TEXT NOT NULL, period TEXT NOT NULL, key TEXT NOT NULL,
    field TEXT NOT NULL, old TEXT, new TEXT, submission_id INTEGER NOT NULL, changed_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS changes_agency ON changes (agency, period);
CREATE TABLE IF NOT EXISTS sends (
    id INTEGER PRIMARY KEY, dedupe TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, agency TEXT,
    recipients TEXT NOT NULL, period TEXT, ref TEXT, due TEXT, subject TEXT NOT NULL,
    message_id TEXT, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT, created_at TEXT NOT NULL, sent_at TEXT, next_try TEXT
);
CREATE TABLE IF NOT EXISTS reports (
    id INTEGER PRIMARY KEY, period TEXT NOT NULL, plans TEXT NOT NULL DEFAULT '', made_at TEXT NOT NULL,
    report_date TEXT, number TEXT, file TEXT, sha256 TEXT
);
CREATE TABLE IF NOT EXISTS signatures (
    id INTEGER PRIMARY KEY, period TEXT NOT NULL, number TEXT NOT NULL, signed_on TEXT NOT NULL, signer TEXT,
    signed_at TEXT NOT NULL, docx TEXT NOT NULL, sha256 TEXT NOT NULL, pdf TEXT, pdf_sha256 TEXT, xlsx TEXT,
    snapshot TEXT NOT NULL, reopened_at TEXT, reopened_by TEXT, reason TEXT
);
CREATE TABLE IF NOT EXISTS period_events (
    id INTEGER PRIMARY KEY, period TEXT NOT NULL, kind TEXT NOT NULL, at TEXT NOT NULL, who TEXT, detail TEXT
);
CREATE TABLE IF NOT EXISTS mails (
    message_id TEXT PRIMARY KEY, sender TEXT NOT NULL, subject TEXT NOT NULL, sent_at TEXT,
    received_at TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL, folder TEXT NOT NULL,
    files TEXT NOT NULL DEFAULT '[]', detail TEXT NOT NULL DEFAULT '', done_at TEXT,
    agency TEXT, unusable TEXT NOT NULL DEFAULT '[]', attempts INTEGER NOT NULL DEFAULT 0
);
"""

VALUE_FIELDS = FIELDS
# A file stored with one of these is read again when it comes again: a refusal depends on the run
# (period, expected agency, file name), a held or set-aside file on who sent it and with what.
_READ_AGAIN = ("rejected", "held", "set-aside", "discarded")
_SOURCES = tuple(f"src_{name}" for name in FIELDS)
_RECORD_COLUMNS = ("agency", "key", "plan", "code", "part", "start", "stop", *FIELDS, *_SOURCES, "as_of")


class NewValue(NamedTuple):
    """A value read from a returned form, ready to store (a tuple: made by the hundred thousand)."""

    key: str
    plan: str
    code: str
    part: str = ""
    value: float | None = None
    numerator: float | None = None
    denominator: float | None = None
    assessment: str | None = None
    doc_number: str | None = None
    doc_date: str | None = None
    note: str | None = None
    cell: str = ""
    ok: bool = True  # False: kept for the record, but a problem was reported on it
    cause: str | None = None  # the agency's cause and remedy when a row is behind
    cleared: bool = False  # the agency chose "Không có số liệu": earlier values are withdrawn
    doubt: str | None = None  # the questions asked of a plausible-looking figure (kept, to verify)

    def cells(self) -> dict[str, object]:
        """The cells that hold something (a blank cell keeps the earlier value)."""
        return {
            name: v
            for name, v in zip(
                FIELDS,
                (
                    self.value,
                    self.numerator,
                    self.denominator,
                    self.assessment,
                    self.doc_number,
                    self.doc_date,
                    self.note,
                    self.cause,
                ),
                strict=True,
            )
            if v is not None and v != ""
        }


@dataclass(frozen=True)
class StoredValue:
    """One agency's figure for one form row in the monthly record, with where each cell came from."""

    agency: str
    key: str
    plan: str
    code: str
    part: str
    value: float | None
    numerator: float | None
    denominator: float | None
    assessment: str | None
    doc_number: str | None
    doc_date: str | None
    note: str | None
    cause: str | None
    as_of: int | None  # month of the newest figure
    sources: dict[str, int]  # field -> submission id

    @property
    def period(self) -> str | None:
        """The monthly period the figure comes from (``2026-10``)."""
        return str(Period.from_month(self.as_of)) if self.as_of is not None else None


@dataclass(frozen=True)
class Submission:
    id: int
    agency: str
    period: str
    form_id: str | None
    saved_at: str
    received_at: str
    problems: int
    file_name: str
    values: int
    warnings: int = 0
    rows_filled: int = 0
    rows_asked: int = 0
    period_month: int = 0


@dataclass(frozen=True)
class FileRecord:
    id: int
    sha256: str
    name: str
    archive: str
    received_at: str
    status: str
    agency: str | None
    period: str | None
    receipt: dict = field(default_factory=dict)


@dataclass(frozen=True)
class SendRecord:
    id: int
    dedupe: str
    kind: str
    agency: str | None
    recipients: str
    period: str | None
    ref: str | None
    due: str | None
    subject: str
    message_id: str | None
    status: str
    attempts: int
    last_error: str | None
    created_at: str
    sent_at: str | None
    next_try: str | None


def _read_only(error: BaseException) -> bool:
    """Whether an error means the database (or its folder) cannot be written."""
    text = str(error).lower()
    return isinstance(error, PermissionError) or "readonly" in text or "read-only" in text or "unable to open" in text


class Store:
    def __init__(self, path: Path, readonly: bool = False):
        self.path = Path(path)
        self.readonly = readonly
        if readonly:
            self._open_read_only()
            return
        try:
            self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError("open", path=str(self.path), error=str(exc)) from exc
        self.db.row_factory = sqlite3.Row
        try:
            self.db.execute("PRAGMA busy_timeout = 30000")
            self._wal()
            self.db.execute("PRAGMA synchronous = NORMAL")
            self.db.execute("PRAGMA foreign_keys = ON")
            self.db.executescript(SCHEMA)
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            self._upgrade()
        except sqlite3.DatabaseError as exc:
            self.db.close()
            if _read_only(exc):
                raise StoreError("read-only", path=str(self.path)) from exc
            raise StoreError("open", path=str(self.path), error=str(exc)) from exc

    def _open_read_only(self) -> None:
        """Read a database that cannot be written: ``mode=ro``, else ``immutable`` (a WAL database
        in a read-only folder has no shared-memory file to open)."""
        uri = self.path.resolve().as_uri()
        last: sqlite3.Error | None = None
        for flags in ("mode=ro", "immutable=1"):
            try:
                self.db = sqlite3.connect(f"{uri}?{flags}", uri=True, isolation_level=None)
                self.db.row_factory = sqlite3.Row
                (version,) = self.db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
                break
            except sqlite3.Error as exc:
                last = exc
                self.db.close()
        else:
            raise StoreError("open", path=str(self.path), error=str(last))
        if int(version) < SCHEMA_VERSION:
            self.db.close()
            raise StoreError("read-only-old", path=str(self.path))

    def _upgrade(self) -> None:
        """Bring a database made by an earlier version up to this one, keeping everything in it.

        Version 1 kept only the latest submission of each agency and period as current; version 2
        merges every submission cell by cell into the monthly record, which is rebuilt here;
        version 3 keeps the questions asked of a plausible-looking figure (``vals.doubt``); version 4
        keeps, for each mail fetched, the agency that sent it and why what it brought could not be used.
        """
        (version,) = self.db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if int(version) >= SCHEMA_VERSION:
            return
        with self.transaction() as db:
            columns = {r["name"] for r in db.execute("PRAGMA table_info(submissions)")}
            for column in ("month", "warnings", "rows_filled", "rows_asked"):
                if column not in columns:
                    db.execute(f"ALTER TABLE submissions ADD COLUMN {column} INTEGER NOT NULL DEFAULT 0")
            columns = {r["name"] for r in db.execute("PRAGMA table_info(vals)")}
            if "cause" not in columns:
                db.execute("ALTER TABLE vals ADD COLUMN cause TEXT")
            if "cleared" not in columns:
                db.execute("ALTER TABLE vals ADD COLUMN cleared INTEGER NOT NULL DEFAULT 0")
            if "doubt" not in columns:
                db.execute("ALTER TABLE vals ADD COLUMN doubt TEXT")
            columns = {r["name"] for r in db.execute("PRAGMA table_info(mails)")}
            for column, kind in (
                ("agency", "TEXT"),
                ("unusable", "TEXT NOT NULL DEFAULT '[]'"),
                ("attempts", "INTEGER NOT NULL DEFAULT 0"),
            ):
                if column not in columns:
                    db.execute(f"ALTER TABLE mails ADD COLUMN {column} {kind}")
            for (period,) in db.execute("SELECT DISTINCT period FROM submissions").fetchall():
                db.execute(
                    "UPDATE submissions SET month = ? WHERE period = ?", (Period.parse(period).month_number, period)
                )
            db.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (str(SCHEMA_VERSION),))
        if int(version) < 2:
            self.rebuild_record()

    def _wal(self) -> None:
        """Switch to WAL once (it stays in the file). Switching needs a moment alone with
        the file and SQLite does not wait for it, so a second process retries briefly."""
        for _ in range(100):
            try:
                if self.db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    self.db.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc):
                    raise
                time.sleep(0.05)
        raise StoreError("locked", path=str(self.path))

    @classmethod
    def connect(cls, workspace) -> Store:
        """The workspace's database, created on first use."""
        path = workspace.database_path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError("read-only", path=str(path)) from exc
        return cls(path)

    @classmethod
    def open(cls, workspace, create: bool = True) -> Store | None:
        """The workspace's database; ``None`` if it does not exist and ``create`` is False.

        Without ``create`` (the commands that only read), a database that cannot be written
        is opened read-only: ``status``, ``explain`` and ``history`` work on a read-only copy."""
        path = workspace.database_path
        if not path.exists() and not create:
            return None
        if create:
            return cls.connect(workspace)
        try:
            return cls(path)
        except StoreError as error:
            if error.detail != "read-only":
                raise
            return cls(path, readonly=True)

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE: takes the write lock first, so two writers queue up."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")

    # -- forms ---------------------------------------------------------------------------
    def record_forms(self, written) -> None:
        with self.transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO forms VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(w.form_id, w.agency, w.period, w.plans, w.generated_at, w.path, w.rows) for w in written],
            )

    def forms_for(self, period: str) -> list[dict]:
        rows = self.db.execute("SELECT * FROM forms WHERE period = ? ORDER BY agency, generated_at", (period,))
        return [dict(r) for r in rows]

    # -- files and submissions -------------------------------------------------------------
    def add_file(
        self,
        *,
        sha256: str,
        name: str,
        archive: str,
        size: int,
        received_at: str,
        source: str,
        status: str,
        agency: str | None,
        period: str | None,
        form_id: str | None,
        receipt: dict,
        submission: dict | None = None,
        values: Iterable[NewValue] = (),
    ) -> tuple[FileRecord, bool]:
        """Store a received file and, if accepted, its submission and values.

        Returns (record, created). If the same content was accepted before (by this or
        another process), nothing changes and the earlier record comes back. A file
        refused before is read again: a refusal depends on the run (period, expected
        agency, file name), so the new outcome replaces it.
        """
        fields = (
            name,
            archive,
            size,
            received_at,
            source,
            status,
            agency,
            period,
            form_id,
            json.dumps(receipt, ensure_ascii=False),
        )
        with self.transaction() as db:
            row = db.execute("SELECT * FROM files WHERE sha256 = ?", (sha256,)).fetchone()
            if row and row["status"] not in _READ_AGAIN:
                return _file(row), False
            if row:
                file_id = row["id"]
                db.execute(
                    "UPDATE files SET name = ?, archive = ?, size = ?, received_at = ?, source = ?,"
                    " status = ?, agency = ?, period = ?, form_id = ?, receipt = ? WHERE id = ?",
                    (*fields, file_id),
                )
            else:
                file_id = db.execute(
                    "INSERT INTO files (name, archive, size, received_at, source, status, agency,"
                    " period, form_id, receipt, sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (*fields, sha256),
                ).lastrowid
            if submission is not None:
                self._add_submission(db, file_id, submission, list(values))
            row = db.execute("SELECT * FROM files WHERE id = ?", (file_id,)).fetchone()
            return _file(row), True

    def _add_submission(self, db, file_id: int, sub: dict, values: list[NewValue]) -> None:
        month = Period.parse(sub["period"]).month_number
        new_id = db.execute(
            "INSERT INTO submissions (file_id, agency, period, month, form_id, saved_at, received_at, problems,"
            " warnings, rows_filled, rows_asked) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                file_id,
                sub["agency"],
                sub["period"],
                month,
                sub.get("form_id"),
                sub["saved_at"],
                sub["received_at"],
                sub.get("problems", 0),
                sub.get("warnings", 0),
                sub.get("rows_filled", 0),
                sub.get("rows_asked", 0),
            ),
        ).lastrowid
        db.executemany(
            "INSERT INTO vals (submission_id, key, plan, code, part, value, numerator, denominator, assessment,"
            " doc_number, doc_date, note, cell, ok, cause, cleared, doubt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
            " ?, ?, ?, ?, ?, ?)",
            [
                (
                    new_id,
                    v.key,
                    v.plan,
                    v.code,
                    v.part,
                    v.value,
                    v.numerator,
                    v.denominator,
                    v.assessment,
                    v.doc_number,
                    v.doc_date,
                    v.note,
                    v.cell,
                    int(v.ok),
                    v.cause,
                    int(v.cleared),
                    v.doubt,
                )
                for v in values
            ],
        )
        entries = {}
        for v in values:
            cells = v.cells() if v.ok else {}
            if cells or (v.ok and v.cleared):
                entries[v.key] = (v, Entry(new_id, month, sub["received_at"], cells, v.cleared))
        if entries:
            self._merge(db, sub, month, new_id, entries)

    # -- the monthly record ---------------------------------------------------------------------
    def _merge(self, db, sub: dict, month: int, new_id: int, entries: dict[str, tuple[NewValue, Entry]]) -> None:
        """Bring the agency's record up to date with a new submission, in the same transaction.

        A change is recorded when the submission replaces a value an earlier submission of the
        same month gave (a correction); a new month's figure is the record's next step, not a change.
        """
        agency = sub["agency"]
        newest = db.execute(
            "SELECT month, received_at, id FROM submissions WHERE agency = ? AND id != ?"
            " ORDER BY month DESC, received_at DESC, id DESC LIMIT 1",
            (agency, new_id),
        ).fetchone()
        same_month = {
            r[0]
            for r in db.execute(
                "SELECT id FROM submissions WHERE agency = ? AND month = ? AND id != ?", (agency, month, new_id)
            )
        }
        changes: list[tuple] = []
        written: list[tuple] = []
        closing: list[tuple] = []
        if newest is None or (month, sub["received_at"], new_id) >= tuple(newest):
            # The common case, the newest submission of the agency: extend each row's open span.
            cursor = db.cursor()
            cursor.row_factory = None
            opened = {
                row[1]: row
                for row in cursor.execute("SELECT * FROM record WHERE agency = ? AND stop IS NULL", (agency,))
            }
            for key, (value, entry) in entries.items():
                row = opened.get(key)
                latest = _span_of(row) if row else None
                corrected = _corrected(latest, same_month)
                before = latest.filled() if latest is not None and corrected else {}
                closed, span = extend(latest, entry)
                if closed is not None:
                    closing.append((month, agency, key))
                written.append(_span_row(agency, value, span))
                if corrected:
                    changes += _changes(agency, sub, key, new_id, before, span.filled(), corrected)
        else:  # a late file for an earlier month, or one received out of order: replay its rows
            for key, (value, _entry) in entries.items():
                before_span = self._span_at(db, agency, key, month)
                corrected = _corrected(before_span, same_month)
                spans = fold(self._entries(db, agency, key))
                db.execute("DELETE FROM record WHERE agency = ? AND key = ?", (agency, key))
                written += [_span_row(agency, value, span) for span in spans]
                after = next(span for span in spans if span.at(month))
                changes += _changes(
                    agency, sub, key, new_id, before_span.filled() if before_span else {}, after.filled(), corrected
                )
        db.executemany("UPDATE record SET stop = ? WHERE agency = ? AND key = ? AND stop IS NULL", closing)
        db.executemany(_INSERT_SPAN, written)
        db.executemany(
            "INSERT INTO changes (agency, period, key, field, old, new, submission_id, changed_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            changes,
        )
        db.execute("DELETE FROM province WHERE month >= ?", (month,))  # figures from this month on change

    def _span_at(self, db, agency: str, key: str, month: int) -> Span | None:
        row = db.execute(
            "SELECT * FROM record WHERE agency = ? AND key = ? AND start <= ? AND (stop IS NULL OR stop > ?)",
            (agency, key, month, month),
        ).fetchone()
        return _span_of(row) if row else None

    @staticmethod
    def _entries(db, agency: str, key: str) -> list[Entry]:
        rows = db.execute(
            "SELECT v.*, s.month, s.received_at FROM vals v JOIN submissions s ON s.id = v.submission_id"
            " WHERE s.agency = ? AND v.key = ? AND v.ok = 1",
            (agency, key),
        )
        return [
            Entry(
                r["submission_id"],
                r["month"],
                r["received_at"],
                filled_fields({name: r[name] for name in FIELDS}),
                bool(r["cleared"]),
            )
            for r in rows
        ]

    def rebuild_record(self) -> None:
        """Replay every submission into the record (after an upgrade, or to check it)."""
        with self.transaction() as db:
            db.execute("DELETE FROM record")
            db.execute("DELETE FROM province")
            rows = db.execute(
                "SELECT DISTINCT s.agency, v.key, v.plan, v.code, v.part FROM vals v"
                " JOIN submissions s ON s.id = v.submission_id WHERE v.ok = 1"
            ).fetchall()
            for row in rows:
                value = NewValue(row["key"], row["plan"], row["code"], row["part"])
                db.executemany(
                    _INSERT_SPAN,
                    [
                        _span_row(row["agency"], value, span)
                        for span in fold(self._entries(db, row["agency"], row["key"]))
                    ],
                )

    # -- reading the record ----------------------------------------------------------------------
    def figures(self, month: int) -> Iterator[tuple]:
        """The record as of ``month`` as plain tuples, streamed, for evaluation in bulk:
        (key, agency, value, numerator, denominator, assessment, note, doc_number, doc_date, as_of, cause)."""
        cursor = self.db.cursor()
        cursor.row_factory = None
        yield from cursor.execute(
            "SELECT key, agency, value, numerator, denominator, assessment, note, doc_number, doc_date, as_of, cause"
            f" FROM {_AS_OF}",  # noqa: S608
            {"month": month},
        )

    def doubts(self, month: int) -> dict[str, list[tuple[str, str]]]:
        """The questions standing on the record as of ``month``: form row key -> [(agency, question)].
        A question belongs to the submission that gave the figure; a newer figure drops it."""
        cursor = self.db.cursor()
        cursor.row_factory = None
        rows = cursor.execute(
            f"SELECT r.agency, r.key, v.doubt FROM {_AS_OF} AS r JOIN vals AS v"  # noqa: S608
            " ON v.submission_id = COALESCE(r.src_value, r.src_numerator) AND v.key = r.key"
            " WHERE v.doubt IS NOT NULL",
            {"month": month},
        )
        out: dict[str, list[tuple[str, str]]] = {}
        for agency, key, doubt in rows:
            out.setdefault(key, []).append((agency, doubt))
        return out

    def month_figures(self, agency: str, month: int) -> dict[str, tuple[str, str]]:
        """The agency's current figures that came from its submissions of ``month``: form row key ->
        (the figure as shown, the file it came from). What a resend that leaves a cell blank keeps."""
        from .layout import ratio_percent
        from .text import format_number

        rows = self.db.execute(
            "SELECT r.key, r.value, r.numerator, r.denominator, r.assessment, r.doc_number, f.name AS file"
            " FROM record r JOIN submissions s"
            " ON s.id = COALESCE(r.src_numerator, r.src_value, r.src_assessment, r.src_doc_number)"
            " JOIN files f ON f.id = s.file_id"
            " WHERE r.agency = ? AND r.start <= ? AND (r.stop IS NULL OR r.stop > ?) AND s.month = ?",
            (agency, month, month, month),
        )
        out = {}
        for r in rows:
            if r["numerator"] is not None and r["denominator"] is not None:
                shown = f"{format_number(r['numerator'])}/{format_number(r['denominator'])}"
                percent = ratio_percent(r["numerator"], r["denominator"])
                shown += f" ({format_number(round(percent, 2))}%)" if percent is not None else ""
            elif r["value"] is not None:
                shown = format_number(r["value"])
            else:
                shown = " ".join(x for x in (r["assessment"], r["doc_number"]) if x)
            if shown:
                out[r["key"]] = (shown, r["file"])
        return out

    def figure_files(self, keys: Iterable[str], month: int) -> dict[tuple[str, str], tuple[str, str]]:
        """For the record as of ``month`` of form rows ``keys``: (agency, key) -> (the file its figure
        came in, when that file was received)."""
        names = {f"k{i}": key for i, key in enumerate(keys)}
        if not names:
            return {}
        marks = ", ".join(f":{name}" for name in names)
        rows = self.db.execute(
            f"SELECT r.agency, r.key, f.name, s.received_at FROM {_AS_OF} AS r"  # noqa: S608
            " JOIN submissions s ON s.id = COALESCE(r.src_value, r.src_numerator, r.src_assessment,"
            " r.src_doc_number, r.src_note) JOIN files f ON f.id = s.file_id"
            f" WHERE r.key IN ({marks})",
            {"month": month, **names},
        )
        return {(r[0], r[1]): (r[2], r[3]) for r in rows}

    def figures_before(self, agency: str, month: int) -> dict[str, float]:
        """An agency's figures as of the month before ``month``: what a new figure is compared with."""
        rows = self.db.execute(
            "SELECT key, value FROM record WHERE agency = ? AND start <= ? AND (stop IS NULL OR stop > ?)"
            " AND value IS NOT NULL",
            (agency, month - 1, month - 1),
        )
        return {r["key"]: r["value"] for r in rows}

    def values_as_of(self, month: int, agency: str | None = None) -> list[StoredValue]:
        """The record as of ``month`` (of one agency), with the source of every cell."""
        if agency:
            rows = self.db.execute(
                "SELECT * FROM record WHERE agency = ? AND start <= ? AND (stop IS NULL OR stop > ?) ORDER BY key",
                (agency, month, month),
            )
        else:
            rows = self.db.execute(f"SELECT * FROM {_AS_OF} ORDER BY agency, key", {"month": month})  # noqa: S608
        return [_stored(r) for r in rows]

    def previous_texts(self, month: int, agency: str | None = None) -> dict[str, dict[str, str]]:
        """Each agency's figures as of ``month`` (or one agency's), as the next form shows them ("Kỳ trước")."""
        from .layout import ratio_percent
        from .text import format_number

        out: dict[str, dict[str, str]] = {}
        cursor = self.db.cursor()
        cursor.row_factory = None
        sql = f"SELECT agency, key, value, numerator, denominator, assessment FROM {_AS_OF}"  # noqa: S608
        if agency is not None:
            sql += " WHERE agency = :agency"
        rows = cursor.execute(sql, {"month": month, "agency": agency})
        for agency, key, value, numerator, denominator, assessment in rows:
            ratio = ratio_percent(numerator, denominator)
            if ratio is not None:
                text = format_number(round(ratio, 2))
            elif value is not None:
                text = format_number(value)
            else:
                text = assessment or ""
            if text:
                out.setdefault(agency, {})[key] = text
        return out

    def done_tasks(self, month: int) -> set[str]:
        """Tasks reported done, with their document, as of ``month``."""
        rows = self.db.execute(
            f"SELECT DISTINCT key FROM {_AS_OF} WHERE assessment = 'Đã hoàn thành'"  # noqa: S608
            " AND doc_number IS NOT NULL AND doc_date IS NOT NULL",
            {"month": month},
        )
        return {r["key"] for r in rows}

    def agency_series(self, agency: str) -> dict[str, list[tuple[str, StoredValue]]]:
        """Each form row of an agency with its figure month by month (the record at each month
        the agency sent something)."""
        out: dict[str, list[tuple[str, StoredValue]]] = {}
        rows = self.db.execute("SELECT * FROM record WHERE agency = ? ORDER BY key, start", (agency,))
        for row in rows:
            value = _stored(row)
            out.setdefault(value.key, []).append((str(Period.from_month(row["start"])), value))
        return out

    def months(self) -> list[int]:
        """Every month the record has a submission for, in order."""
        return [r[0] for r in self.db.execute("SELECT DISTINCT month FROM submissions ORDER BY month")]

    def sources(self, ids: Iterable[int]) -> dict[int, dict]:
        """The submission, file and receipt time behind each submission id."""
        wanted = sorted(set(ids))
        out: dict[int, dict] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = self.db.execute(
                "SELECT s.id, s.period, s.received_at, f.name, f.archive FROM submissions s JOIN files f"
                f" ON f.id = s.file_id WHERE s.id IN ({', '.join('?' for _ in chunk)})",  # noqa: S608
                chunk,
            )
            out.update({r["id"]: dict(r) for r in rows})
        return out

    # -- province figures by month, kept until a submission changes them --------------------------
    def province_cache(self, months: Iterable[int]) -> dict[int, dict[str, tuple]]:
        """Cached province figures: month -> key -> (stamp, value, assessment, numerator, denominator,
        received, missing)."""
        wanted = sorted(set(months))
        out: dict[int, dict[str, tuple]] = {m: {} for m in wanted}
        if not wanted:
            return out
        rows = self.db.execute(
            "SELECT month, key, stamp, value, assessment, numerator, denominator, received, missing FROM province"
            " WHERE month BETWEEN ? AND ?",
            (wanted[0], wanted[-1]),
        )
        for row in rows:
            if row[0] in out:
                out[row[0]][row[1]] = tuple(row)[2:]
        return out

    def keep_province(self, rows: list[tuple]) -> None:
        """Store computed province figures: (month, key, stamp, value, assessment, numerator,
        denominator, received, missing)."""
        if not rows or self.readonly:
            return  # a read-only workspace: the figures are computed again next time
        try:
            with self.transaction() as db:
                db.executemany("INSERT OR REPLACE INTO province VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        except sqlite3.OperationalError:
            pass

    # -- submissions ---------------------------------------------------------------------------
    def submissions(self, period: str | None = None, agency: str | None = None) -> list[Submission]:
        sql, args = _where(
            "SELECT s.*, f.name AS file_name, (SELECT COUNT(*) FROM vals v WHERE v.submission_id = s.id)"
            " AS nvalues FROM submissions s JOIN files f ON f.id = s.file_id",
            **{"s.period": period, "s.agency": agency},
        )
        rows = self.db.execute(sql + " ORDER BY s.month, s.agency, s.received_at, s.id", args)
        return [
            Submission(
                r["id"],
                r["agency"],
                r["period"],
                r["form_id"],
                r["saved_at"],
                r["received_at"],
                r["problems"],
                r["file_name"],
                r["nvalues"],
                r["warnings"],
                r["rows_filled"],
                r["rows_asked"],
                r["month"],
            )
            for r in rows
        ]

    def unresolved(self, period: str) -> dict[str, int]:
        """Per agency, the rows whose latest entry for ``period`` still has an error."""
        rows = self.db.execute(
            "SELECT s.agency, COUNT(*) FROM vals v JOIN submissions s ON s.id = v.submission_id"
            " WHERE s.period = ? AND v.ok = 0 AND NOT EXISTS (SELECT 1 FROM submissions s2 JOIN vals v2"
            " ON v2.submission_id = s2.id AND v2.key = v.key WHERE s2.agency = s.agency AND s2.period = s.period"
            " AND (s2.received_at, s2.id) > (s.received_at, s.id)) GROUP BY s.agency",
            (period,),
        )
        return {agency: count for agency, count in rows}

    def filled(self, period: str) -> dict[str, set[str]]:
        """Per agency, the form rows its submissions of ``period`` filled (accepted or cleared)."""
        cursor = self.db.cursor()
        cursor.row_factory = None
        out: dict[str, set[str]] = {}
        for agency, key in cursor.execute(
            "SELECT DISTINCT s.agency, v.key FROM vals v JOIN submissions s ON s.id = v.submission_id"
            " WHERE s.period = ? AND v.ok = 1",
            (period,),
        ):
            out.setdefault(agency, set()).add(key)
        return out

    def files(
        self, period: str | None = None, agency: str | None = None, status: str | None = None
    ) -> list[FileRecord]:
        sql, args = _where("SELECT * FROM files", period=period, agency=agency, status=status)
        return [_file(r) for r in self.db.execute(sql + " ORDER BY received_at, id", args)]

    def file(self, file_id: int) -> FileRecord | None:
        row = self.db.execute("SELECT * FROM files WHERE id = ?", (file_id,)).fetchone()
        return _file(row) if row else None

    def set_file_status(self, file_id: int, status: str, receipt: dict | None = None) -> None:
        """A file's status and receipt after the fact (a held file discarded, a correction's changes)."""
        with self.transaction() as db:
            db.execute("UPDATE files SET status = ? WHERE id = ?", (status, file_id))
            if receipt is not None:
                db.execute(
                    "UPDATE files SET receipt = ? WHERE id = ?", (json.dumps(receipt, ensure_ascii=False), file_id)
                )

    def changes(self, agency: str, period: str | None = None) -> list[dict]:
        """Every value an agency's submissions changed in the record, with the file it came in."""
        sql, args = _where(
            "SELECT c.*, f.name AS file_name FROM changes c JOIN submissions s ON s.id = c.submission_id"
            " JOIN files f ON f.id = s.file_id",
            **{"c.agency": agency, "c.period": period},
        )
        return [dict(r) for r in self.db.execute(sql + " ORDER BY c.id", args)]

    def counts(self) -> dict[str, int]:
        return {
            t: self.db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]  # noqa: S608
            for t in ("forms", "files", "submissions", "vals", "record", "changes", "sends")
        }

    # -- mail -----------------------------------------------------------------------------------
    def send_record(self, dedupe: str) -> SendRecord | None:
        row = self.db.execute("SELECT * FROM sends WHERE dedupe = ?", (dedupe,)).fetchone()
        return SendRecord(**dict(row)) if row else None

    def claim_send(self, record: dict) -> tuple[SendRecord, bool]:
        """Register a message to send, once per ``dedupe`` key. Returns (record, is_new)."""
        with self.transaction() as db:
            row = db.execute("SELECT * FROM sends WHERE dedupe = ?", (record["dedupe"],)).fetchone()
            if row:
                return SendRecord(**dict(row)), False
            columns = ", ".join(record)
            marks = ", ".join("?" for _ in record)
            db.execute(
                f"INSERT INTO sends ({columns}) VALUES ({marks})",  # noqa: S608
                tuple(record.values()),
            )
            row = db.execute("SELECT * FROM sends WHERE dedupe = ?", (record["dedupe"],)).fetchone()
            return SendRecord(**dict(row)), True

    def update_send(self, send_id: int, **fields) -> None:
        sets = ", ".join(f"{k} = ?" for k in fields)
        with self.transaction() as db:
            db.execute(
                f"UPDATE sends SET {sets} WHERE id = ?",  # noqa: S608
                (*fields.values(), send_id),
            )

    def sends(self, period: str | None = None, status: str | None = None) -> list[SendRecord]:
        sql, args = _where("SELECT * FROM sends", period=period, status=status)
        return [SendRecord(**dict(r)) for r in self.db.execute(sql + " ORDER BY id", args)]

    # -- reports made ---------------------------------------------------------------------------
    def record_report(
        self, period: str, plans: str, made_at: str, report_date: str, number: str, file: str, sha256: str
    ) -> None:
        """A report was made for ``period``: later files for it are corrections after the report."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO reports (period, plans, made_at, report_date, number, file, sha256)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (period, plans, made_at, report_date, number, file, sha256),
            )

    def reported_at(self, period: str) -> str | None:
        """When the first report of ``period`` was made (None: not reported yet)."""
        try:
            row = self.db.execute("SELECT MIN(made_at) FROM reports WHERE period = ?", (period,)).fetchone()
        except sqlite3.OperationalError:  # a read-only database made before reports were kept
            return None
        return row[0] if row else None

    def changes_of_file(self, file_id: int) -> list[dict]:
        """What the submission of one file changed of figures sent before in the same month."""
        rows = self.db.execute(
            "SELECT c.key, c.field, c.old, c.new FROM changes c JOIN submissions s ON s.id = c.submission_id"
            " WHERE s.file_id = ? ORDER BY c.id",
            (file_id,),
        )
        return [dict(r) for r in rows]

    # -- signed periods ---------------------------------------------------------------------------
    def record_signature(self, record: dict) -> int:
        """The report a leader signed for a period: its number, date, files, hashes and what it showed."""
        with self.transaction() as db:
            columns = ", ".join(record)
            marks = ", ".join("?" for _ in record)
            cursor = db.execute(
                f"INSERT INTO signatures ({columns}) VALUES ({marks})",  # noqa: S608
                tuple(record.values()),
            )
            return int(cursor.lastrowid or 0)

    def signatures(self, period: str | None = None) -> list[dict]:
        """Every signature (of one period), the oldest first; reopened ones included."""
        sql, args = _where("SELECT * FROM signatures", period=period)
        try:
            return [dict(r) for r in self.db.execute(sql + " ORDER BY id", args)]
        except sqlite3.OperationalError:  # a read-only database made before signing existed
            return []

    def signature(self, period: str) -> dict | None:
        """The period's signature in force (signed, not reopened), if any."""
        return next((s for s in reversed(self.signatures(period)) if not s["reopened_at"]), None)

    def reopen(self, signature_id: int, at: str, who: str, reason: str) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE signatures SET reopened_at = ?, reopened_by = ?, reason = ? WHERE id = ?",
                (at, who, reason, signature_id),
            )

    def add_event(self, period: str, kind: str, at: str, who: str = "", detail: str = "") -> None:
        """Something done to a period as a whole: signed, reopened, a held correction applied."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO period_events (period, kind, at, who, detail) VALUES (?, ?, ?, ?, ?)",
                (period, kind, at, who, detail),
            )

    def events(self, period: str | None = None) -> list[dict]:
        sql, args = _where("SELECT * FROM period_events", period=period)
        try:
            return [dict(r) for r in self.db.execute(sql + " ORDER BY id", args)]
        except sqlite3.OperationalError:
            return []

    def last_received(self, period: str) -> str | None:
        """When the last file of a period was received (ISO)."""
        row = self.db.execute("SELECT MAX(received_at) FROM files WHERE period = ?", (period,)).fetchone()
        return row[0] if row else None

    # -- mail received --------------------------------------------------------------------------
    def mail(self, message_id: str) -> MailRecord | None:
        row = self.db.execute("SELECT * FROM mails WHERE message_id = ?", (message_id,)).fetchone()
        return _mail(row) if row else None

    def record_mail(self, record: MailRecord) -> None:
        """Keep a message fetched from the mailbox (its files are already saved on disk)."""
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO mails (message_id, sender, subject, sent_at, received_at, kind, status,"
                " folder, files, detail, done_at, agency, unusable, attempts)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.message_id,
                    record.sender,
                    record.subject,
                    record.sent_at,
                    record.received_at,
                    record.kind,
                    record.status,
                    record.folder,
                    json.dumps(record.files, ensure_ascii=False),
                    record.detail,
                    record.done_at,
                    record.agency,
                    json.dumps(record.unusable, ensure_ascii=False),
                    record.attempts,
                ),
            )

    def mail_ids(self) -> set[str]:
        """The Message-IDs of every mail already decided (processed, or left alone on purpose)."""
        try:
            return {r[0] for r in self.db.execute("SELECT message_id FROM mails WHERE status IN ('done', 'ignored')")}
        except sqlite3.OperationalError:
            return set()

    def sent_ids(self) -> set[str]:
        """The Message-IDs of every mail we sent: what a reply to us refers to."""
        return {r[0] for r in self.db.execute("SELECT message_id FROM sends WHERE message_id IS NOT NULL")}

    def forms_sent(self) -> dict[str, list[str]]:
        """When a form went to each agency (agency -> sent times, ISO)."""
        out: dict[str, list[str]] = {}
        for agency, sent in self.db.execute(
            "SELECT agency, sent_at FROM sends WHERE kind = 'form' AND status = 'sent' AND sent_at IS NOT NULL"
        ):
            out.setdefault(agency, []).append(sent)
        return out

    def first_form(self) -> str | None:
        """When the first form was made or sent: no mail before it can be ours."""
        made = self.db.execute("SELECT MIN(generated_at) FROM forms").fetchone()[0]
        sent = self.db.execute("SELECT MIN(created_at) FROM sends WHERE kind = 'form'").fetchone()[0]
        known = [m for m in (made, sent) if m]
        return min(known) if known else None

    def mails(self, kind: str | None = None, since: str | None = None, status: str | None = None) -> list[MailRecord]:
        sql, args = _where("SELECT * FROM mails", kind=kind, status=status)
        if since:
            sql += (" AND" if args else " WHERE") + " received_at >= ?"
            args.append(since)
        try:
            rows = self.db.execute(sql + " ORDER BY received_at, message_id", args).fetchall()
        except sqlite3.OperationalError:  # a read-only database made before mail was fetched
            return []
        return [_mail(r) for r in rows]


@dataclass
class MailRecord:
    """A message fetched from the office mailbox, kept once by its Message-ID."""

    message_id: str
    sender: str
    subject: str
    received_at: str
    kind: str  # forms | no-attachment | wrong-file | auto-reply | bounce | broken | left alone: own, unrelated…
    status: str  # saved (files on disk, not yet collected) | done | ignored (not ours: left as it was) | error
    folder: str  # where its attachments were saved, relative to the workspace
    sent_at: str | None = None
    files: list[str] = field(default_factory=list)
    detail: str = ""
    done_at: str | None = None
    agency: str | None = None  # the agency whose registered address sent it
    unusable: list[str] = field(default_factory=list)  # why what it brought could not be used
    attempts: int = 0


def _mail(row) -> MailRecord:
    data = dict(row)
    data["files"] = json.loads(data["files"] or "[]")
    data["unusable"] = json.loads(data.get("unusable") or "[]")
    return MailRecord(**{k: v for k, v in data.items() if k in MailRecord.__dataclass_fields__})


def _span_row(agency: str, value: NewValue, span: Span) -> tuple:
    return (
        agency,
        value.key,
        value.plan,
        value.code,
        value.part,
        span.start,
        span.stop,
        *span.values,
        *span.sources,
        span.as_of,
    )


def _changes(
    agency: str, sub: dict, key: str, new_id: int, before: dict, after: dict, corrected: set[str]
) -> list[tuple]:
    """The values of the same month a submission replaced (``corrected``: the fields whose
    value came from an earlier submission of that month)."""
    return [
        (agency, sub["period"], key, name, _text(before[name]), _text(after.get(name)), new_id, sub["received_at"])
        for name in sorted(corrected, key=FIELDS.index)
        if name in before and before[name] != after.get(name)
    ]


_INSERT_SPAN = (
    f"INSERT OR REPLACE INTO record ({', '.join(_RECORD_COLUMNS)}) VALUES "  # noqa: S608
    f"({', '.join('?' for _ in _RECORD_COLUMNS)})"
)
_VALUES_AT = 7  # the fields' position in a record row; their sources follow, then as_of
# The record as of :month, in two parts so that each uses the index on (stop, start).
_AS_OF = (
    "(SELECT * FROM record WHERE stop IS NULL AND start <= :month"
    " UNION ALL SELECT * FROM record WHERE stop > :month AND start <= :month)"
)


def _span_of(row) -> Span:
    """A record row (in _RECORD_COLUMNS order) as a span."""
    n = len(FIELDS)
    return Span(
        row[5],
        row[6],
        list(row[_VALUES_AT : _VALUES_AT + n]),
        list(row[_VALUES_AT + n : _VALUES_AT + 2 * n]),
        row[_VALUES_AT + 2 * n],
    )


def _corrected(span: Span | None, same_month: set[int]) -> set[str]:
    """The fields of a span that an earlier submission of the same month gave."""
    if span is None:
        return set()
    return {name for name, sid in zip(FIELDS, span.sources, strict=True) if sid in same_month}


def _where(select: str, **filters) -> tuple[str, list]:
    """``select`` with "column = ?" for every filter that has a value."""
    used = {k: v for k, v in filters.items() if v}
    if not used:
        return select, []
    return select + " WHERE " + " AND ".join(f"{k} = ?" for k in used), list(used.values())


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _file(row) -> FileRecord:
    data = dict(row)
    return FileRecord(
        id=data["id"],
        sha256=data["sha256"],
        name=data["name"],
        archive=data["archive"],
        received_at=data["received_at"],
        status=data["status"],
        agency=data["agency"],
        period=data["period"],
        receipt=json.loads(data["receipt"] or "{}"),
    )


def _stored(row) -> StoredValue:
    return StoredValue(
        agency=row["agency"],
        key=row["key"],
        plan=row["plan"],
        code=row["code"],
        part=row["part"],
        value=row["value"],
        numerator=row["numerator"],
        denominator=row["denominator"],
        assessment=row["assessment"],
        doc_number=row["doc_number"],
        doc_date=row["doc_date"],
        note=row["note"],
        cause=row["cause"],
        as_of=row["as_of"],
        sources={name: row[f"src_{name}"] for name in FIELDS if row[f"src_{name}"] is not None},
    )

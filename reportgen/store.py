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

__all__ = ["Store", "StoredValue", "Submission", "FileRecord", "NewValue", "SendRecord"]

SCHEMA_VERSION = 1

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
    agency TEXT NOT NULL, period TEXT NOT NULL, form_id TEXT, saved_at TEXT NOT NULL,
    received_at TEXT NOT NULL, problems INTEGER NOT NULL DEFAULT 0,
    superseded_by INTEGER REFERENCES submissions (id)
);
CREATE INDEX IF NOT EXISTS submissions_current ON submissions (period, agency, superseded_by);
CREATE TABLE IF NOT EXISTS vals (
    submission_id INTEGER NOT NULL REFERENCES submissions (id), key TEXT NOT NULL,
    plan TEXT NOT NULL, code TEXT NOT NULL, part TEXT NOT NULL DEFAULT '',
    value REAL, numerator REAL, denominator REAL, assessment TEXT, doc_number TEXT,
    doc_date TEXT, note TEXT, cell TEXT, ok INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (submission_id, key)
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
"""

VALUE_FIELDS = ("value", "numerator", "denominator", "assessment", "doc_number", "doc_date", "note")


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


@dataclass(frozen=True)
class StoredValue:
    agency: str
    period: str
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
    ok: bool
    saved_at: str
    received_at: str


@dataclass(frozen=True)
class Submission:
    id: int
    agency: str
    period: str
    form_id: str | None
    saved_at: str
    received_at: str
    problems: int
    current: bool
    file_name: str
    values: int


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


def _sqlite_path(workspace, url: str) -> Path:
    if not url.startswith("sqlite:///"):
        raise StoreError("not-sqlite", path=url)
    raw = url[len("sqlite:///") :]
    path = Path(raw)
    return path if path.is_absolute() else workspace.root / path


class Store:
    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError("open", path=str(self.path), error=str(exc)) from exc
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA busy_timeout = 30000")
        self._wal()
        self.db.execute("PRAGMA synchronous = NORMAL")
        self.db.execute("PRAGMA foreign_keys = ON")
        try:
            self.db.executescript(SCHEMA)
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
        except sqlite3.DatabaseError as exc:
            raise StoreError("open", path=str(self.path), error=str(exc)) from exc

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
        path = _sqlite_path(workspace, workspace.setting("database.url"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return cls(path)

    @classmethod
    def open(cls, workspace, create: bool = True) -> Store | None:
        """The workspace's database; ``None`` if it does not exist and ``create`` is False."""
        path = _sqlite_path(workspace, workspace.setting("database.url"))
        if not path.exists() and not create:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        return cls(path)

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
            if row and row["status"] != "rejected":
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
        new_id = db.execute(
            "INSERT INTO submissions (file_id, agency, period, form_id, saved_at, received_at, problems)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                file_id,
                sub["agency"],
                sub["period"],
                sub.get("form_id"),
                sub["saved_at"],
                sub["received_at"],
                sub.get("problems", 0),
            ),
        ).lastrowid
        db.executemany(
            "INSERT INTO vals VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                )
                for v in values
            ],
        )
        current = db.execute(
            "SELECT id, saved_at FROM submissions WHERE agency = ? AND period = ?"
            " AND superseded_by IS NULL AND id != ? ORDER BY saved_at DESC, id DESC LIMIT 1",
            (sub["agency"], sub["period"], new_id),
        ).fetchone()
        if current is None:
            return  # the first submission: its values are the history's first version
        if (sub["saved_at"], new_id) >= (current["saved_at"], current["id"]):
            db.execute("UPDATE submissions SET superseded_by = ? WHERE id = ?", (new_id, current["id"]))
            new = {v.key: {name: getattr(v, name) for name in VALUE_FIELDS} for v in values}
            self._record_changes(db, sub, self._values_of(db, current["id"]), new, new_id)
        else:  # an older file arrived late: kept in history, not current
            db.execute("UPDATE submissions SET superseded_by = ? WHERE id = ?", (current["id"], new_id))

    def _record_changes(self, db, sub: dict, old: dict[str, dict], new: dict[str, dict], new_id: int) -> None:
        rows = []
        for key in sorted(set(old) | set(new)):
            before, after = old.get(key, {}), new.get(key, {})
            for name in VALUE_FIELDS:
                a, b = before.get(name), after.get(name)
                if a != b:
                    rows.append(
                        (sub["agency"], sub["period"], key, name, _text(a), _text(b), new_id, sub["received_at"])
                    )
        db.executemany(
            "INSERT INTO changes (agency, period, key, field, old, new, submission_id, changed_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    @staticmethod
    def _values_of(db, submission_id: int) -> dict[str, dict]:
        rows = db.execute("SELECT * FROM vals WHERE submission_id = ?", (submission_id,))
        return {r["key"]: {name: r[name] for name in VALUE_FIELDS} for r in rows}

    # -- reading -----------------------------------------------------------------------------
    def current_values(self, period: str, plan: str | None = None) -> list[StoredValue]:
        sql = (
            "SELECT s.agency, s.period, s.saved_at, s.received_at, v.* FROM vals v"
            " JOIN submissions s ON s.id = v.submission_id"
            " WHERE s.period = ? AND s.superseded_by IS NULL"
        )
        args: list = [period]
        if plan:
            sql += " AND v.plan = ?"
            args.append(plan)
        return [_stored(r) for r in self.db.execute(sql + " ORDER BY s.agency, v.key", args)]

    def current_figures(self, period: str) -> Iterator[tuple]:
        """The current values of a period as plain tuples, streamed, for evaluation in bulk:
        (key, agency, value, numerator, denominator, assessment, note, doc_number, doc_date, ok)."""
        cursor = self.db.cursor()
        cursor.row_factory = None
        yield from cursor.execute(
            "SELECT v.key, s.agency, v.value, v.numerator, v.denominator, v.assessment, v.note,"
            " v.doc_number, v.doc_date, v.ok FROM vals v JOIN submissions s ON s.id = v.submission_id"
            " WHERE s.period = ? AND s.superseded_by IS NULL ORDER BY s.agency, v.key",
            (period,),
        )

    def previous_values(self, period: str) -> dict[str, dict[str, str]]:
        """Last period's figures per agency, as shown on the next form."""
        from .layout import ratio_percent
        from .text import format_number

        out: dict[str, dict[str, str]] = {}
        for v in self.current_values(period):
            ratio = ratio_percent(v.numerator, v.denominator)
            if ratio is not None:
                text = format_number(round(ratio, 2))
            elif v.value is not None:
                text = format_number(v.value)
            else:
                text = v.assessment or ""
            if text:
                out.setdefault(v.agency, {})[v.key] = text
        return out

    def done_tasks(self) -> set[str]:
        rows = self.db.execute(
            "SELECT DISTINCT v.key FROM vals v JOIN submissions s ON s.id = v.submission_id"
            " WHERE s.superseded_by IS NULL AND v.assessment = 'Đã hoàn thành' AND v.ok = 1"
        )
        return {r["key"] for r in rows}

    def submissions(self, period: str | None = None, agency: str | None = None) -> list[Submission]:
        sql, args = _where(
            "SELECT s.*, f.name AS file_name, (SELECT COUNT(*) FROM vals v WHERE v.submission_id = s.id)"
            " AS nvalues FROM submissions s JOIN files f ON f.id = s.file_id",
            **{"s.period": period, "s.agency": agency},
        )
        rows = self.db.execute(sql + " ORDER BY s.period, s.agency, s.saved_at, s.id", args)
        return [
            Submission(
                r["id"],
                r["agency"],
                r["period"],
                r["form_id"],
                r["saved_at"],
                r["received_at"],
                r["problems"],
                r["superseded_by"] is None,
                r["file_name"],
                r["nvalues"],
            )
            for r in rows
        ]

    def files(self, period: str | None = None, agency: str | None = None) -> list[FileRecord]:
        sql, args = _where("SELECT * FROM files", period=period, agency=agency)
        return [_file(r) for r in self.db.execute(sql + " ORDER BY received_at, id", args)]

    def changes(self, agency: str, period: str | None = None) -> list[dict]:
        sql, args = _where("SELECT * FROM changes", agency=agency, period=period)
        return [dict(r) for r in self.db.execute(sql + " ORDER BY id", args)]

    def counts(self) -> dict[str, int]:
        return {
            t: self.db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]  # noqa: S608
            for t in ("forms", "files", "submissions", "vals", "changes", "sends")
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
        period=row["period"],
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
        ok=bool(row["ok"]),
        saved_at=row["saved_at"],
        received_at=row["received_at"],
    )

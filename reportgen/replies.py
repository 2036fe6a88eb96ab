"""The mailbox loop: our mail found among the office's mail, collected as ``collect`` does, and answered.

An office mailbox holds far more than replies to our forms: the office's own copies of
what we sent, official letters, invitations, questions, old mail, bounces. A message is
ours only when it answers a thread we started (In-Reply-To/References name a message we
sent), carries one of our forms (a signed identity), or comes from a registered agency's
address after a form went to that agency and brings a file that may be that form. Mail
from our own address, or bearing our own Message-ID, is never ours. Everything else is
left exactly as it was: not answered, not moved, not flagged (and remembered, so that it
is not downloaded again).

For our mail:

1. the files of every message are read at once, in one pool of worker processes, for the
   period their signed form names; each file counts as received when the server received
   the message (IMAP INTERNALDATE), never when we fetched it;
2. a form for agency X from an address not registered for X is held, not applied: X's
   registered address and the office are told, the sender gets a polite note, and the
   office accepts or discards it (``reportgen held``);
3. of two versions of one form in one message, the one saved last is used and the other
   set aside (both archived), and the receipt says so;
4. each file gets one answer, threaded under the agency's mail, with the marked workbook
   when there is something to fix; a part that cannot be used (a .rar, a password-protected
   .zip, a huge member, broken base64) gets a clear request; a bounce is recorded as a
   wrong address to fix, never as a submission;
5. the message is recorded, then flagged on the server, and moved to the done folder when it
   brought a form (a question, a PDF stays where a person will read it).

A message that fails in any way is its own refusal: the fetch goes on with the others, and
after three tries the message is marked so that it is not tried forever. A crash anywhere
loses nothing and duplicates nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from . import messages as msg
from .clock import to_vn
from .collect import Collector, Hold, Receipt, outcomes, store_outcome
from .cycle import Cycle, current_period
from .dispatch import Delivery, deliver
from .errors import BadPeriod
from .mail import mailer_from_settings
from .mailbox import Mailbox, open_mailbox
from .mailparse import Incoming
from .periods import Period
from .remind import Context, Planned, Recipient, plan_held_notice, plan_mail_note, plan_parts_note, plan_receipt
from .store import MailRecord, Store
from .text import format_moment

__all__ = ["MailOutcome", "Fetched", "fetch", "MAIL_DIR", "Rules"]

log = logging.getLogger(__name__)

MAIL_DIR = "mail"  # under output/: the attachments of every message fetched
OUR_ID = ".reportgen@"  # every Message-ID we make has it (mail.message_id_for)
REPLY_WINDOW = timedelta(days=62)  # a reply comes within two months of the form it answers
MAX_ATTEMPTS = 3


@dataclass
class MailOutcome:
    """What became of one message of ours."""

    message_id: str
    sender: str
    subject: str
    kind: str  # forms | no-attachment | wrong-file | auto-reply | bounce | broken | already | error
    receipts: list[Receipt] = field(default_factory=list)
    answers: list[Delivery] = field(default_factory=list)
    detail: str = ""
    unusable: list[str] = field(default_factory=list)  # why what it brought could not be used

    @property
    def ok(self) -> bool:
        if self.kind not in ("forms", "already", "auto-reply", "bounce"):
            return False
        return all(r.ok for r in self.receipts) and not self.unusable

    def to_json(self) -> dict:
        return {
            "message_id": self.message_id,
            "sender": self.sender,
            "subject": self.subject,
            "kind": self.kind,
            "ok": self.ok,
            "receipts": [r.to_json() for r in self.receipts],
            "answers": [{"kind": d.planned.kind, "status": d.status} for d in self.answers],
            "unusable": self.unusable,
            "detail": self.detail,
        }


@dataclass
class Fetched:
    """One run of the loop: our messages, and how many others were left alone, by reason."""

    outcomes: list[MailOutcome] = field(default_factory=list)
    left_alone: Counter = field(default_factory=Counter)

    def to_json(self) -> dict:
        return {"mails": [o.to_json() for o in self.outcomes], "left_alone": dict(self.left_alone)}


@dataclass
class Rules:
    """What tells our mail from the office's other mail."""

    own: frozenset[str]  # our own sending addresses
    sent: frozenset[str]  # the Message-IDs of every mail we sent
    senders: dict[str, str]  # registered address -> agency
    forms_sent: dict[str, list[datetime]]  # agency -> when a form went to it
    since: date | None  # no mail before the first form can be ours
    known: frozenset[str]  # Message-IDs already decided

    @classmethod
    def of(cls, workspace, store: Store) -> Rules:
        own = {workspace.setting("mail.sender"), workspace.setting("imap.username")}
        first = store.first_form()
        return cls(
            own=frozenset(a.lower() for a in own if a and "@" in a),
            sent=frozenset(store.sent_ids()),
            senders=workspace.registry.by_sender(),
            forms_sent={
                agency: [datetime.fromisoformat(t) for t in times] for agency, times in store.forms_sent().items()
            },
            since=datetime.fromisoformat(first).date() if first else None,
            known=frozenset(store.mail_ids()),
        )

    def ours_by_id(self, message_id: str) -> bool:
        return message_id in self.sent or OUR_ID in message_id

    def own_mail(self, message: Incoming) -> bool:
        """Our own copy (Cc/Bcc to the office, a "Sent" rule): never collected, never answered."""
        return message.sender in self.own or self.ours_by_id(message.message_id)

    def in_thread(self, message: Incoming) -> bool:
        return any(self.ours_by_id(ref) for ref in message.references)

    def agency_of(self, message: Incoming) -> str | None:
        return self.senders.get(message.sender)

    def after_forms(self, message: Incoming, agency: str | None) -> bool:
        """The message came from an agency after a form went to it (and not long after)."""
        if agency is None or not message.arrived_at:
            return False
        arrived = datetime.fromisoformat(message.arrived_at)
        return any(sent <= arrived <= sent + REPLY_WINDOW for sent in self.forms_sent.get(agency, ()))


# ---------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------
def fetch(workspace, now: datetime, mailbox: Mailbox | None = None) -> Fetched:
    """Process every new message of ours in the office mailbox; leave the others as they are."""
    store = Store.connect(workspace)
    try:
        rules = Rules.of(workspace, store)
    finally:
        store.close()
    box = mailbox or open_mailbox(workspace.settings)
    result = Fetched()
    with box:
        older = box.older(rules.since)
        if older:
            result.left_alone["old"] += older
        messages = list(box.unprocessed(rules.since, lambda message_id: message_id in rules.known))
        batch = _Batch(workspace, now, rules)
        for message in messages:
            batch.triage(message)
        batch.read()
        for message in batch.ours:
            outcome = batch.settle(message)
            if outcome is None:
                continue
            result.outcomes.append(outcome)
            if outcome.kind != "error":
                box.done(message.uid, move=outcome.kind == "forms")
        for message, reason in batch.left:
            result.left_alone[reason] += 1
            _record(workspace, _ignored(message, reason, now))
    return result


class _Batch:
    """The messages of one run, from triage to answers."""

    def __init__(self, workspace, now: datetime, rules: Rules):
        self.workspace, self.now, self.rules = workspace, now, rules
        self.ours: list[Incoming] = []
        self.left: list[tuple[Incoming, str]] = []
        self.paths: dict[str, list[Path]] = {}  # message id -> its files on disk
        self.read_out: dict[Path, tuple[Collector, dict]] = {}

    def triage(self, message: Incoming) -> None:
        """What can be decided from the message alone."""
        rules = self.rules
        if rules.own_mail(message):
            self.left.append((message, "own"))
        elif message.bounce is not None:
            ours = any(rules.ours_by_id(i) for i in message.bounce.original) or rules.in_thread(message)
            (self.ours.append(message) if ours else self.left.append((message, "bounce-other")))
        elif message.automatic:
            (self.ours.append(message) if rules.in_thread(message) else self.left.append((message, "auto")))
        elif rules.in_thread(message) or message.may_carry_forms or message.broken:
            self.ours.append(message)  # files are read before the last word (rule: carries our form)
        else:
            self.left.append((message, "unrelated"))

    # -- reading every file of the batch at once -----------------------------------------------
    def read(self) -> None:
        wanted = [m for m in self.ours if m.files and m.bounce is None and not m.automatic]
        for message in wanted:
            self.paths[message.message_id] = _save(_folder(self.workspace, message, self.now), message.files)
        files = [p for m in wanted for p in self.paths[m.message_id]]
        if not files:
            return
        period = current_period(to_vn(self.now).date())
        with Cycle(self.workspace, period, self.now) as cycle:
            collector = cycle.collector()
        again: dict[str, list[Path]] = {}
        for path, outcome in zip(files, outcomes(collector, files, workers=_workers(len(files))), strict=True):
            self.read_out[path] = (collector, outcome)
            found = outcome.get("rejection", ("", {}))
            if found[0] == "wrong-period" and found[1].get("found"):
                again.setdefault(str(found[1]["found"]), []).append(path)
        for found, paths in again.items():  # forms of another period: read for their own
            try:
                other = Period.parse(found)
            except BadPeriod:
                continue
            with Cycle(self.workspace, other, self.now) as cycle:
                collector = cycle.collector()
            for path, outcome in zip(paths, outcomes(collector, paths, workers=_workers(len(paths))), strict=True):
                self.read_out[path] = (collector, outcome)

    # -- one message --------------------------------------------------------------------------
    def settle(self, message: Incoming) -> MailOutcome | None:
        """Decide, store and answer one message; never raises for the message's sake."""
        try:
            return self._settle(message)
        except Exception as error:  # noqa: BLE001 - one message never stops the others
            log.exception("mail %s from %s could not be processed", message.message_id, message.sender)
            return self._failed(message, error)

    def _settle(self, message: Incoming) -> MailOutcome | None:
        rules = self.rules
        agency = rules.agency_of(message)
        paths = self.paths.get(message.message_id, [])
        read = [(p, *self.read_out[p]) for p in paths if p in self.read_out]
        thread = rules.in_thread(message)
        if not (thread or message.bounce or message.automatic):
            identified = any(_identified(outcome) for _, _, outcome in read)
            maybe = rules.after_forms(message, agency) and (
                message.refused or message.broken or any(_may_be_form(o) for _, _, o in read)
            )
            if not (identified or maybe):
                for path in paths:
                    shutil.rmtree(path.parent, ignore_errors=True)
                self.left.append((message, "unrelated"))
                return None
        outcome = MailOutcome(message.message_id, message.sender, message.subject, "forms")
        record = self._record(message, agency, paths)
        if message.bounce is not None:
            outcome.kind = "bounce"
            record.agency = _bounced_agency(message, rules)
            record.detail = ", ".join(message.bounce.recipients)
        elif message.automatic:
            outcome.kind = "auto-reply"
        elif message.broken:
            outcome.kind = "broken"
            outcome.unusable.append(msg.MAIL_PARTS["broken-message"].format(why=message.broken))
        elif not read and not message.refused:
            outcome.kind = "wrong-file" if message.others else "no-attachment"
            outcome.unusable.append(msg.MAIL_KINDS[outcome.kind])
        planned: list[Planned] = []
        if outcome.kind == "forms":
            outcome.receipts, planned = self._files(message, agency, read)
        planned += self._notes(message, agency, outcome)
        outcome.unusable += [r.reason or "" for r in outcome.receipts if r.status == "rejected"]
        outcome.unusable += [msg.part_refusal(p.name, p.reason, dict(p.facts)) for p in message.refused]
        record.agency = record.agency or agency or next((r.agency for r in outcome.receipts if r.agency), None)
        record.kind, record.unusable = outcome.kind, outcome.unusable
        if planned and self.workspace.setting("imap.answer"):
            outcome.answers = self._deliver(planned)
        record.status, record.done_at = "done", to_vn(self.now).isoformat(timespec="seconds")
        record.detail = record.detail or json.dumps(
            {"receipts": [r.status for r in outcome.receipts], "answers": [a.status for a in outcome.answers]},
            ensure_ascii=False,
        )
        _record(self.workspace, record)
        log.info("mail %s from %s: %s, %d file(s)", message.message_id, message.sender, outcome.kind, len(paths))
        return outcome

    def _record(self, message: Incoming, agency: str | None, paths: list[Path]) -> MailRecord:
        known = _known(self.workspace, message.message_id)
        record = MailRecord(
            message_id=message.message_id,
            sender=message.sender,
            subject=message.subject,
            received_at=message.arrived_at or to_vn(self.now).isoformat(timespec="seconds"),
            kind="forms",
            status="saved",
            folder=self.workspace.relative(_folder(self.workspace, message, self.now)),
            sent_at=message.sent_at,
            files=[self.workspace.relative(p) for p in paths],
            agency=agency,
            attempts=known.attempts if known else 0,
        )
        _record(self.workspace, record)  # what it brought is on disk and known before anything else
        return record

    def _files(self, message: Incoming, agency: str | None, read: list) -> tuple[list[Receipt], list[Planned]]:
        """Store each file (held, set aside or applied) and plan its answers."""
        arrived = datetime.fromisoformat(message.arrived_at) if message.arrived_at else self.now
        newest = _newest_versions(read)
        stored: dict[Path, Receipt] = {}
        planned: list[Planned] = []
        ctx = _context(self.workspace)
        mail = {"message_id": message.message_id, "references": message.references, "subject": message.subject}
        order = sorted(read, key=lambda item: newest.get(item[0]) is not None)  # the versions used come last
        for path, collector, outcome in order:
            hold = self._hold(message, outcome)
            winner = newest.get(path)
            with Cycle(self.workspace, collector.period, self.now) as cycle:
                receipt = store_outcome(
                    collector,
                    cycle.store,
                    outcome,
                    received_at=arrived,
                    relative=self.workspace.relative,
                    hold=hold,
                    sender=message.sender,
                    sender_agency=agency,
                    set_aside_for=stored.get(winner) if winner is not None else None,
                )
            stored[path] = receipt
        for path, receipt in stored.items():
            aside = [stored[p] for p, w in newest.items() if w == path and p in stored]
            if aside:
                receipt.remarks.append(
                    msg.RECEIPT_USED_VERSION.format(
                        when=format_moment(receipt.saved_at), others=", ".join(f'"{_name(r.file)}"' for r in aside)
                    )
                )
        receipts = [stored[p] for p, _, _ in read]
        for receipt in receipts:
            to = _answer_to(receipt, agency, message, self.workspace)
            if to is not None:
                returned = self.workspace.root / receipt.return_file if receipt.return_file else None
                warning = _sender_warning(receipt, message, self.workspace)
                planned.append(plan_receipt(to, receipt.to_json(), mail, ctx, returned, warning))
            if receipt.status == "held":
                planned += self._held_notice(receipt, message, ctx)
        return receipts, planned

    def _hold(self, message: Incoming, outcome: dict) -> Hold | None:
        """A form of agency X from an address not registered for X is held."""
        reading = outcome.get("reading")
        if reading is None:
            return None
        entry = self.workspace.registry.get(reading.agency)
        registered = getattr(entry, "senders", ())
        return None if message.sender in registered else Hold("sender", message.sender)

    def _held_notice(self, receipt: Receipt, message: Incoming, ctx: Context) -> list:
        registry = self.workspace.registry
        entry = registry.get(receipt.agency or "")
        if entry is None or not getattr(entry, "email", ""):
            return []
        office = registry.get(self.workspace.setting("office.issuer_code"))
        copy = getattr(office, "email", "") or self.workspace.setting("mail.sender")
        to = Recipient(entry.code, entry.name, entry.email)
        return [plan_held_notice(to, receipt.to_json(), message.sender, copy, message.message_id, ctx)]

    def _notes(self, message: Incoming, agency: str | None, outcome: MailOutcome) -> list:
        """Answers to a message without a usable form: a person wrote it, in our thread or from an agency."""
        if outcome.kind in ("bounce", "auto-reply"):
            return []
        to = _person(message, agency, self.workspace, outcome.receipts)
        if to is None:
            return []
        mail = {"message_id": message.message_id, "references": message.references, "subject": message.subject}
        ctx = _context(self.workspace)
        out = []
        if message.refused or message.broken:
            parts = [msg.part_refusal(p.name, p.reason, dict(p.facts)) for p in message.refused]
            if message.broken:
                parts.append(msg.MAIL_PARTS["broken-message"].format(why=message.broken))
            out.append(plan_parts_note(to, parts, mail, ctx))
        elif outcome.kind in ("no-attachment", "wrong-file") and self.rules.in_thread(message):
            out.append(plan_mail_note(to, outcome.kind, message.others, mail, ctx))
        return out

    def _deliver(self, planned: list) -> list[Delivery]:
        workspace, now = self.workspace, self.now
        with Cycle(workspace, current_period(to_vn(now).date()), now) as cycle:
            return deliver(
                cycle.store,
                mailer_from_settings(workspace.settings, workspace.output_dir / "outbox", lambda: now),
                planned,
                period=None,
                now=now,
                retries=workspace.setting("mail.retries"),
                outbox=workspace.setting("mail.mode") != "smtp",
                sender=workspace.setting("mail.sender"),
            )

    def _failed(self, message: Incoming, error: Exception) -> MailOutcome:
        """A message whose handling failed: tried again next run, at most three times in all."""
        known = _known(self.workspace, message.message_id)
        attempts = (known.attempts if known else 0) + 1
        final = attempts >= MAX_ATTEMPTS
        record = MailRecord(
            message_id=message.message_id,
            sender=message.sender,
            subject=message.subject,
            received_at=message.arrived_at or to_vn(self.now).isoformat(timespec="seconds"),
            kind="broken" if final else "error",
            status="done" if final else "error",
            folder="",
            sent_at=message.sent_at,
            detail=type(error).__name__,
            agency=self.rules.agency_of(message),
            unusable=[msg.MAIL_PARTS["broken-message"].format(why=type(error).__name__)] if final else [],
            attempts=attempts,
        )
        _record(self.workspace, record)
        kind = "broken" if final else "error"
        return MailOutcome(message.message_id, message.sender, message.subject, kind, detail=type(error).__name__)


# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------
def _workers(files: int) -> int:
    import os

    return max(1, min(os.cpu_count() or 1, files // 30 + 1))


def _identified(outcome: dict) -> bool:
    """The file is one of our forms: its signed identity was verified."""
    if outcome.get("reading") is not None:
        return True
    reason, facts = outcome.get("rejection", ("", {}))
    return bool(facts.get("agency")) and reason != "forged"


def _may_be_form(outcome: dict) -> bool:
    """A file we could not identify that may still be a form: unreadable, too large, locked by a
    password, or a workbook that looks like ours without its identity."""
    if "unread" in outcome:
        return True
    reason, facts = outcome.get("rejection", ("", {}))
    if reason == "not-a-form":
        return bool(facts.get("resembles"))
    return reason not in ("", "other-kind")


def _newest_versions(read: list) -> dict[Path, Path]:
    """Several forms of one agency and period in one message: each older one -> the one saved last."""
    groups: dict[tuple[str, str], list[tuple[Path, str]]] = {}
    for path, _, outcome in read:
        reading = outcome.get("reading")
        if reading is not None:
            saved = to_vn(reading.saved_at).isoformat() if reading.saved_at else ""
            groups.setdefault((reading.agency, reading.period), []).append((path, saved))
    out: dict[Path, Path] = {}
    for group in groups.values():
        if len(group) < 2:
            continue
        # the one saved last; among equals, the one attached last
        winner = max(enumerate(group), key=lambda item: (item[1][1], item[0]))[1][0]
        for path, _ in group:
            if path != winner:
                out[path] = winner
    return out


def _bounced_agency(message: Incoming, rules: Rules) -> str | None:
    assert message.bounce is not None  # noqa: S101 - only asked of bounces
    return next((rules.senders[a] for a in message.bounce.recipients if a in rules.senders), None)


def _ignored(message: Incoming, reason: str, now: datetime) -> MailRecord:
    return MailRecord(
        message_id=message.message_id,
        sender=message.sender,
        subject=message.subject,
        received_at=message.arrived_at or to_vn(now).isoformat(timespec="seconds"),
        kind=reason,
        status="ignored",
        folder="",
        sent_at=message.sent_at,
    )


def _known(workspace, message_id: str) -> MailRecord | None:
    store = Store.connect(workspace)
    try:
        return store.mail(message_id)
    finally:
        store.close()


def _record(workspace, record: MailRecord) -> None:
    store = Store.connect(workspace)
    try:
        store.record_mail(record)
    finally:
        store.close()


def _folder(workspace, message: Incoming, now: datetime) -> Path:
    digest = hashlib.sha256(message.message_id.encode("utf-8")).hexdigest()[:12]
    return workspace.output_dir / MAIL_DIR / f"{to_vn(now):%Y-%m}" / digest


def _save(folder: Path, files: list[tuple[str, bytes]]) -> list[Path]:
    """The attachments on disk under the names the agency gave them (receipts quote them), one
    folder each so that two of one name are both kept; anything a path could abuse is dropped."""
    from .layout import safe_file_name

    out = []
    for index, (name, data) in enumerate(files, start=1):
        path = folder / f"{index:02d}" / safe_file_name(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        out.append(path)
    return out


def _name(file: str) -> str:
    return file.replace("\\", "/").rpartition("/")[2]


def _context(workspace) -> Context:
    return Context(issuer=workspace.setting("office.issuer_name"), contact=workspace.contact)


def _person(message: Incoming, agency: str | None, workspace, receipts: list[Receipt]) -> Recipient | None:
    """Whom a note goes to: the sender, as its agency (registered, or the form's own)."""
    code = agency or next((r.agency for r in receipts if r.agency), None)
    if code is None:
        return None
    return Recipient(code, workspace.registry.name(code), message.sender)


def _answer_to(receipt: Receipt, agency: str | None, message: Incoming, workspace) -> Recipient | None:
    """Whom the answer goes to: the sender, named as the agency the form belongs to; a sender
    who is no agency is answered only when the form itself was identified as an agency's."""
    if receipt.agency:
        return Recipient(receipt.agency, workspace.registry.name(receipt.agency), message.sender)
    if agency is not None:
        return Recipient(agency, workspace.registry.name(agency), message.sender)
    return None  # a stranger's file that is not a form of ours: recorded, not answered


def _sender_warning(receipt: Receipt, message: Incoming, workspace) -> str:
    if not receipt.agency or receipt.status == "held":
        return ""  # a held file's answer says it all
    entry = workspace.registry.get(receipt.agency)
    registered = getattr(entry, "senders", ())
    if registered and message.sender not in registered:
        return msg.RECEIPT_OTHER_SENDER.format(
            sender=message.sender, name=workspace.registry.name(receipt.agency), registered=registered[0]
        )
    return ""

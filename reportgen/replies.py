"""The mailbox loop: agencies' replies fetched, collected as ``collect`` does, and answered.

For each message not yet processed (:mod:`reportgen.mailbox`):

1. its spreadsheets are saved under ``output/mail/`` and the message is recorded by its
   Message-ID (nothing it brought is lost, whatever happens next);
2. the files are collected for the period their signed form names (one run handles
   replies for several periods); the form, not the sender's address, decides the agency,
   and a sender who is not the agency's registered address is warned in the answer;
3. each file gets one answer, threaded under the agency's mail, with the marked workbook
   attached when there is something to fix (sent once: the dispatch records it);
4. the message is marked done in the database, then flagged or moved on the server.

A crash anywhere loses nothing and duplicates nothing: a message not marked on the server
is fetched again; its files are recognised by their content, and an answer already sent
is not sent again. Mail written by a program (out-of-office replies, bounces, lists) is
recorded and never answered; so is mail from an address no agency has.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .clock import to_vn
from .collect import Receipt
from .cycle import Cycle, current_period
from .dispatch import Delivery, deliver
from .errors import BadPeriod
from .mail import mailer_from_settings
from .mailbox import Incoming, Mailbox, open_mailbox
from .periods import Period
from .remind import Context, Recipient, plan_mail_note, plan_receipt
from .store import MailRecord, Store
from .text import slugify

__all__ = ["MailOutcome", "fetch", "handle", "MAIL_DIR"]

log = logging.getLogger(__name__)

MAIL_DIR = "mail"  # under output/: the attachments of every message fetched


@dataclass
class MailOutcome:
    """What became of one message."""

    message_id: str
    sender: str
    subject: str
    kind: str  # forms | no-attachment | wrong-file | auto-reply | unknown-sender | already | error
    receipts: list[Receipt] = field(default_factory=list)
    answers: list[Delivery] = field(default_factory=list)
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.kind in ("forms", "already", "auto-reply") and all(r.ok for r in self.receipts)

    def to_json(self) -> dict:
        return {
            "message_id": self.message_id,
            "sender": self.sender,
            "subject": self.subject,
            "kind": self.kind,
            "ok": self.ok,
            "receipts": [r.to_json() for r in self.receipts],
            "answers": [{"kind": d.planned.kind, "status": d.status} for d in self.answers],
            "detail": self.detail,
        }


def fetch(workspace, now: datetime, mailbox: Mailbox | None = None) -> list[MailOutcome]:
    """Process every message of the office mailbox not yet processed."""
    box = mailbox or open_mailbox(workspace.settings)
    outcomes = []
    with box:
        for message in box.unprocessed():
            try:
                outcome = handle(workspace, message, now)
            except Exception as error:  # noqa: BLE001 - one message never stops the others
                log.exception("mail %s from %s could not be processed", message.message_id, message.sender)
                outcomes.append(
                    MailOutcome(message.message_id, message.sender, message.subject, "error", detail=str(error))
                )
                continue  # not marked: the next run tries it again
            box.done(message.uid)
            outcomes.append(outcome)
    return outcomes


def _folder(workspace, message: Incoming, now: datetime) -> Path:
    digest = hashlib.sha256(message.message_id.encode("utf-8")).hexdigest()[:12]
    return workspace.output_dir / MAIL_DIR / f"{to_vn(now):%Y-%m}" / digest


def _save(folder: Path, files: list[tuple[str, bytes]]) -> list[Path]:
    """The attachments on disk under the names the agency gave them (receipts quote them), one
    folder each so that two of one name are both kept; anything a path could abuse is dropped."""
    out = []
    for index, (name, data) in enumerate(files, start=1):
        shown = "".join(c for c in name.replace("\\", "/").rpartition("/")[2] if c.isprintable() and c not in '<>:"|?*')
        stem, dot, suffix = shown.strip(". ").rpartition(".")
        safe = (stem[:80] + dot + suffix[:8]) if dot and stem else slugify(shown)[:80] or "tep-dinh-kem"
        path = folder / f"{index:02d}" / safe
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        out.append(path)
    return out


def _by_email(registry) -> dict[str, Recipient]:
    from .agencies import Agency

    return {
        e.email.lower(): Recipient(e.code, e.name, e.email)
        for e in registry.entries.values()
        if isinstance(e, Agency) and e.email
    }


def handle(workspace, message: Incoming, now: datetime) -> MailOutcome:
    """One message, from its attachments to its answers; safe to repeat."""
    store = Store.connect(workspace)
    try:
        known = store.mail(message.message_id)
    finally:
        store.close()
    outcome = MailOutcome(message.message_id, message.sender, message.subject, "forms")
    if known is not None and known.status == "done":
        outcome.kind = "already"
        return outcome
    stamp = to_vn(now).isoformat(timespec="seconds")
    folder = _folder(workspace, message, now)
    senders = _by_email(workspace.registry)
    agency = senders.get(message.sender)
    if message.automatic:
        outcome.kind = "auto-reply"
    elif not message.files:
        outcome.kind = "wrong-file" if message.others else "no-attachment"
    paths = _save(folder, message.files) if message.files and not message.automatic else []
    record = MailRecord(
        message_id=message.message_id,
        sender=message.sender,
        subject=message.subject,
        received_at=stamp,
        kind=outcome.kind,
        status="saved",
        folder=workspace.relative(folder),
        sent_at=message.sent_at,
        files=[workspace.relative(p) for p in paths],
        detail=", ".join(message.others),
    )
    _keep(workspace, record)
    mail = {"message_id": message.message_id, "references": message.references, "subject": message.subject}
    planned = []
    ctx = _context(workspace)
    if outcome.kind == "forms":
        outcome.receipts = _collect(workspace, paths, now)
        for receipt in outcome.receipts:
            to = _answer_to(receipt, agency, message, workspace)
            if to is None:
                continue
            warning = _sender_warning(receipt, message, workspace)
            returned = workspace.root / receipt.return_file if receipt.return_file else None
            planned.append(plan_receipt(to, receipt.to_json(), mail, ctx, returned, warning))
    elif outcome.kind in ("no-attachment", "wrong-file") and agency is not None:
        planned.append(plan_mail_note(agency, outcome.kind, message.others, mail, ctx))
    if agency is None and not outcome.receipts and outcome.kind != "auto-reply":
        outcome.detail = "unknown-sender"  # a stranger without a form of ours: kept, not answered
    if planned and workspace.setting("imap.answer"):
        with Cycle(workspace, current_period(to_vn(now).date()), now) as cycle:
            outcome.answers = deliver(
                cycle.store,
                mailer_from_settings(workspace.settings, workspace.output_dir / "outbox", lambda: now),
                planned,
                period=None,
                now=now,
                retries=workspace.setting("mail.retries"),
                outbox=workspace.setting("mail.mode") != "smtp",
                sender=workspace.setting("mail.sender"),
            )
    record.status = "done"
    record.done_at = stamp
    record.detail = json.dumps(
        {"receipts": [r.status for r in outcome.receipts], "answers": [a.status for a in outcome.answers]},
        ensure_ascii=False,
    )
    _keep(workspace, record)
    log.info("mail %s from %s: %s, %d file(s)", message.message_id, message.sender, outcome.kind, len(paths))
    return outcome


def _keep(workspace, record: MailRecord) -> None:
    store = Store.connect(workspace)
    try:
        store.record_mail(record)
    finally:
        store.close()


def _context(workspace) -> Context:
    return Context(issuer=workspace.setting("office.issuer_name"), contact=workspace.contact)


def _collect(workspace, paths: list[Path], now: datetime) -> list[Receipt]:
    """Collect for the period the forms name: first as this month's, then each file that
    belongs to another period for its own."""
    period = current_period(to_vn(now).date())
    with Cycle(workspace, period, now) as cycle:
        receipts = cycle.collect(paths, workers=1)
    again: dict[str, list[int]] = {}
    for index, receipt in enumerate(receipts):
        found = receipt.facts.get("found") if receipt.reason_code == "wrong-period" else None
        if found:
            again.setdefault(str(found), []).append(index)
    for found, indexes in again.items():
        try:
            other = Period.parse(found)
        except BadPeriod:
            continue
        with Cycle(workspace, other, now) as cycle:
            for index, receipt in zip(indexes, cycle.collect([paths[i] for i in indexes], workers=1), strict=True):
                receipts[index] = receipt
    return receipts


def _answer_to(receipt: Receipt, agency: Recipient | None, message: Incoming, workspace) -> Recipient | None:
    """Whom the answer goes to: the sender, named as the agency the form belongs to; a sender
    who is no agency is answered only when the form itself was accepted as an agency's."""
    if receipt.agency:
        name = workspace.registry.name(receipt.agency)
        return Recipient(receipt.agency, name, message.sender)
    if agency is not None:
        return Recipient(agency.code, agency.name, message.sender)
    return None  # a stranger's file that is not a form of ours: recorded, not answered


def _sender_warning(receipt: Receipt, message: Incoming, workspace) -> str:
    if not receipt.agency:
        return ""
    registered = (workspace.registry.get(receipt.agency).email or "").lower()
    if registered and registered != message.sender:
        return (
            f"Lưu ý: thư được gửi từ địa chỉ {message.sender}, không phải địa chỉ đã đăng ký của "
            f"{workspace.registry.name(receipt.agency)} ({registered}). Số liệu vẫn được ghi nhận theo biểu mẫu; "
            "nếu đơn vị đổi địa chỉ thư, đề nghị báo cho Sở để cập nhật."
        )
    return ""

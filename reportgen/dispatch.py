"""Sending what :mod:`reportgen.remind` plans, once.

Gathers who has reported from the store and the evaluated overview, asks the
pure planner which messages are due, and sends each through the configured
mailer. Every send is recorded (recipient, kind, period, reference, Message-ID,
time, result) under its dedupe key: a message that went out is never sent again;
one that failed is retried with backoff now and on the next run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from .agencies import Agency
from .clock import to_vn
from .errors import MailError
from .evaluate import GOOD
from .layout import RETURNS_DIR, return_file
from .mail import Mailer, message_id_for, send_with_retry
from .messages import NO_ADDRESS, describe
from .overview import Overview
from .periods import Period, parse_deadline
from .remind import (
    AgencyDue,
    Context,
    ItemDue,
    Planned,
    Recipient,
    merge_daily,
    plan_forms,
    plan_item_reminders,
    plan_overdue_tasks,
    plan_submission_reminders,
)
from .store import Store

__all__ = ["Delivery", "deliver", "context", "agency_dues", "item_leads", "plan_remind", "plan_send_forms"]

log = logging.getLogger(__name__)

IN_PROGRESS = timedelta(minutes=15)
UNKNOWN_RETRY = timedelta(hours=1)  # a send whose outcome is unknown is tried once more, this much later


def _retry_due(record, stamp: str) -> bool:
    """Whether a send of unknown outcome may be tried again now (once, after a delay)."""
    return record.next_try is not None and datetime.fromisoformat(stamp) >= datetime.fromisoformat(record.next_try)


@dataclass
class Delivery:
    planned: Planned
    status: str  # sent | written | already-sent | in-progress | failed | unknown | dry-run | no-address
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status not in ("failed", "unknown")


def _recipient(registry, code: str) -> Recipient | None:
    entry = registry.get(code)
    if not isinstance(entry, Agency):
        return None
    return Recipient(code, entry.name, entry.email)


def context(workspace, view: Overview) -> Context:
    s = workspace.settings
    return Context(
        issuer=s["office.issuer_name"],
        contact=workspace.contact,
        period_label=view.period.label,
        deadline=view.deadline,
    )


def _monitors(workspace, plans) -> dict[str, tuple[Recipient, ...]]:
    """Whom each agency answers to for its report: the monitoring agency of each figure the
    agency alone holds (a figure summed over every department does not make its monitor the
    department's superior), and the office that runs the cycle (``remind.cc_office``)."""
    catalog = workspace.catalog
    found: dict[str, dict[str, Recipient]] = {}
    for plan in plans:
        for item in plan.items:
            monitor = _recipient(catalog.registry, item.monitor) if item.monitor else None
            reporters = catalog.reporters(item)
            if monitor is None or len(reporters) != 1 or reporters[0] == monitor.code:
                continue
            found.setdefault(reporters[0], {})[monitor.code] = monitor
    office = _recipient(catalog.registry, workspace.setting("office.issuer_code"))
    if office is not None and workspace.setting("remind.cc_office"):
        for agency in {a.code for a in catalog.registry.agencies()} - {office.code}:
            found.setdefault(agency, {})[office.code] = office
    return {a: tuple(m.values()) for a, m in found.items()}


def agency_dues(workspace, view: Overview, store: Store | None) -> list[AgencyDue]:
    period = str(view.period)
    forms = {}
    if store is not None:
        for row in store.forms_for(period):  # the newest form of each agency wins
            if row["path"] and Path(row["path"]).exists():
                forms[row["agency"]] = row
    monitors = _monitors(workspace, view.plans)
    returns = workspace.period_dir(period) / RETURNS_DIR
    out = []
    for state in view.agencies:
        recipient = _recipient(workspace.registry, state.code)
        if recipient is None:
            continue
        form = forms.get(state.code)
        returned = returns / return_file(period, state.code)
        out.append(
            AgencyDue(
                agency=recipient,
                submitted=not state.missing,
                problems=state.problems,
                unfilled=state.unfilled,
                form=Path(form["path"]) if form else None,
                form_id=form["form_id"] if form else None,
                returned=returned if state.problems and returned.exists() else None,
                monitors=monitors.get(state.code, ()),
                blank=tuple(state.blank),
                held=bool(state.held),
            )
        )
    return out


def item_leads(workspace, view: Overview) -> dict[Recipient, list[ItemDue]]:
    """Each lead agency with its indicators and tasks not yet met, by their own deadline."""
    catalog = workspace.catalog
    items = {(i.plan, i.code): i for p in view.plans for i in p.items}
    leads: dict[Recipient, list[ItemDue]] = {}
    for status in view.statuses:
        if status.status in GOOD or status.due is None:
            continue
        item = items[(status.plan, status.code)]
        deadline = parse_deadline(item.deadline) if item.deadline else None
        if deadline is not None and deadline.ongoing:
            continue
        monitor = _recipient(catalog.registry, item.monitor) if item.monitor else None
        due = ItemDue(
            key=f"{item.plan}|{item.code}",
            code=status.code,
            name=status.name,
            kind=status.kind,
            deadline_text=status.governing,
            due=status.due,
            value=status.value_text,
            target=status.target_text if status.kind == "indicator" else "",
            status=status.status,
            monitors=(monitor,) if monitor else (),
        )
        for code in catalog.reporters(item):
            recipient = _recipient(catalog.registry, code)
            if recipient is not None:
                leads.setdefault(recipient, []).append(due)
    return leads


def plan_send_forms(workspace, view: Overview, store: Store, agencies: list[str] | None = None) -> list[Planned]:
    dues = [d for d in agency_dues(workspace, view, store) if not agencies or d.agency.code in agencies]
    return plan_forms(str(view.period), dues, context(workspace, view))


def plan_remind(workspace, view: Overview, store: Store | None) -> list[Planned]:
    s = workspace.settings
    ctx = context(workspace, view)
    planned = plan_submission_reminders(
        str(view.period),
        view.today,
        agency_dues(workspace, view, store),
        ctx,
        s["remind.days_before"],
        s["remind.days_after"],
    )
    leads = item_leads(workspace, view)
    planned += plan_item_reminders(view.today, leads, ctx, s["remind.days_before"])
    planned += plan_overdue_tasks(view.today, leads, ctx)
    if store is None:
        return planned
    done = [p for p in planned if _sent(store, p.dedupe)]  # shown as already sent, never again
    return done + merge_daily([p for p in planned if p not in done], view.today, ctx)


def _sent(store: Store, dedupe: str) -> bool:
    record = store.send_record(dedupe)
    return record is not None and record.status == "sent"


def _record(plan: Planned, period: Period | None, stamp: str, dedupe: str, message_id: str, status: str) -> dict:
    """The sends row of a planned message, or of a part a merged mail carried (``dedupe`` ≠ the plan's)."""
    message = plan.message
    own = dedupe == plan.dedupe
    return {
        "dedupe": dedupe,
        "kind": plan.kind if own else dedupe.partition("|")[0],
        "agency": plan.agency.code,
        "recipients": ", ".join(message.to + message.cc),
        "period": str(period) if period else None,
        "ref": plan.ref if own else plan.dedupe,
        "due": plan.due.isoformat() if own and plan.due else None,
        "subject": message.subject,
        "message_id": message_id,
        "status": status,
        "attempts": 0,
        "created_at": stamp,
    }


def deliver(
    store: Store,
    mailer: Mailer | None,
    planned: list[Planned],
    *,
    period: Period | None,
    now: datetime,
    retries: int = 3,
    sleep: Callable[[float], None] = time.sleep,
    dry_run: bool = False,
    outbox: bool = False,
    sender: str = "reportgen@reportgen.local",
) -> list[Delivery]:
    """Send each planned message once, under one Message-ID made from its dedupe key; record
    every attempt. A send whose outcome is unknown is tried once more after ``UNKNOWN_RETRY``."""
    stamp = to_vn(now).isoformat(timespec="seconds")
    results = []
    for plan in planned:
        message = plan.message
        if not all(message.to) or not message.to:
            results.append(Delivery(plan, "no-address", NO_ADDRESS.format(name=plan.agency.name)))
            continue
        known = store.send_record(plan.dedupe)
        if known is not None and known.status == "sent":
            results.append(Delivery(plan, "already-sent", known.sent_at or ""))
            continue
        if known is not None and known.status == "unknown" and not _retry_due(known, stamp):
            results.append(Delivery(plan, "unknown", known.last_error or ""))
            continue
        if dry_run or mailer is None:
            results.append(Delivery(plan, "dry-run"))
            continue
        record, new = store.claim_send(
            _record(plan, period, stamp, plan.dedupe, message_id_for(plan.dedupe, sender), "pending")
        )
        if not new and record.status == "sent":
            results.append(Delivery(plan, "already-sent", record.sent_at or ""))
            continue
        if (
            not new
            and record.status == "pending"
            and datetime.fromisoformat(stamp) - datetime.fromisoformat(record.created_at) < IN_PROGRESS
        ):
            results.append(Delivery(plan, "in-progress"))
            continue
        message_id = record.message_id or message_id_for(plan.dedupe, sender)
        retrying_unknown = record.status == "unknown"
        try:
            sent_id, attempts = send_with_retry(mailer, message, retries, sleep, message_id=message_id)
        except MailError as error:
            attempts = error.attempts
            reason = describe(error)
            if getattr(error, "unknown", False):
                # Once more, later, with the same Message-ID; after that, a person decides.
                later = None if retrying_unknown else (datetime.fromisoformat(stamp) + UNKNOWN_RETRY).isoformat()
                store.update_send(
                    record.id,
                    status="unknown",
                    message_id=message_id,
                    attempts=record.attempts + attempts,
                    last_error=reason,
                    next_try=later,
                )
                results.append(Delivery(plan, "unknown", reason))
                log.warning("mail %s to %s: outcome unknown (%s)", plan.kind, ", ".join(message.to), message_id)
                continue
            store.update_send(
                record.id, status="failed", attempts=record.attempts + attempts, last_error=reason, created_at=stamp
            )
            results.append(Delivery(plan, "failed", reason))
            log.warning("mail %s to %s failed: %s", plan.kind, ", ".join(message.to), error.detail)
            continue
        store.update_send(
            record.id,
            status="sent",
            message_id=sent_id,
            sent_at=stamp,
            attempts=record.attempts + attempts,
            last_error=None,
            next_try=None,
        )
        for part in plan.parts:  # the reminders a merged mail carried: each sent, never again
            part_record, _ = store.claim_send(_record(plan, period, stamp, part, sent_id, "sent"))
            store.update_send(part_record.id, status="sent", message_id=sent_id, sent_at=stamp)
        results.append(Delivery(plan, "written" if outbox else "sent", sent_id))
        log.info("mail %s to %s: %s %s", plan.kind, ", ".join(message.to), "written" if outbox else "sent", sent_id)
    return results

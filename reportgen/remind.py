"""Which messages are due today. Pure: agencies, deadlines and ``today`` in;
planned messages out (no files, database, mail server or clock).

* Forms: each agency its form for the period.
* Before the period's submission deadline, at the configured offsets (7, 3, 1
  days): a reminder to agencies that have not submitted, or whose submission
  had problems (their marked workbook attached).
* After it (1 day): an overdue notice, the monitoring agencies in copy.
* Indicators and tasks whose own deadline ("Tháng 12/2026") is coming: their lead
  agencies, with the current value against the target.
* Tasks past their deadline and not done: once, the monitoring agency in copy.

Each planned message has a ``dedupe`` key; a message already sent under that key
is never sent again. When several offsets are due at once (the machine was off),
only the most recent one is planned.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

from .errors import BadPeriod
from .layout import form_file, return_file
from .mail import Message
from .periods import Period
from .text import format_moment, mid

__all__ = [
    "Recipient",
    "AgencyDue",
    "ItemDue",
    "Planned",
    "plan_forms",
    "plan_submission_reminders",
    "plan_item_reminders",
    "plan_overdue_tasks",
    "due_offset",
    "message_to",
    "Context",
    "plan_held_notice",
    "plan_parts_note",
    "plan_receipt",
    "plan_mail_note",
    "blank_rows",
    "BLANK_ASK",
]


@dataclass(frozen=True)
class Recipient:
    code: str
    name: str
    email: str


@dataclass(frozen=True)
class AgencyDue:
    agency: Recipient
    submitted: bool
    problems: int = 0
    unfilled: int = 0  # rows of the form its submissions have not filled yet
    form: Path | None = None
    form_id: str | None = None
    returned: Path | None = None
    monitors: tuple[Recipient, ...] = ()
    blank: tuple[str, ...] = ()  # the codes of those rows
    held: bool = False  # its file is held (sent from another address): it has been told already


@dataclass(frozen=True)
class ItemDue:
    key: str
    code: str
    name: str
    kind: str  # indicator | task
    deadline_text: str
    due: date
    value: str
    target: str
    status: str
    monitors: tuple[Recipient, ...] = ()


@dataclass(frozen=True)
class Planned:
    kind: str  # form | reminder | overdue | deadline | task-overdue
    agency: Recipient
    message: Message
    dedupe: str
    ref: str = ""
    due: date | None = None
    parts: tuple[str, ...] = ()  # a merged mail: the dedupe keys of the messages it carries
    body: tuple[str, ...] = ()  # the message's own paragraphs (no greeting, no closing), to merge
    rows: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class Context:
    """What every message says about who sends it and whom to ask."""

    issuer: str
    contact: str
    period_label: str = ""
    deadline: date | None = None
    extra: dict = field(default_factory=dict)


def due_offset(deadline: date, today: date, offsets: list[int], after: bool = False) -> int | None:
    """The offset whose day has come, the most recent one when several have.

    >>> due_offset(date(2026, 11, 16), date(2026, 11, 14), [7, 3, 1])
    3
    >>> due_offset(date(2026, 11, 16), date(2026, 11, 5), [7, 3, 1]) is None
    True
    >>> due_offset(date(2026, 11, 16), date(2026, 11, 20), [1, 3], after=True)
    3
    """
    if after:
        passed = [k for k in offsets if today >= deadline + timedelta(days=k)]
        return max(passed) if passed else None
    if today >= deadline:
        return None
    started = [k for k in offsets if today >= deadline - timedelta(days=k)]
    return min(started) if started else None


def _html(
    paragraphs: list[str],
    rows: list[list[str]] | None = None,
    header: list[str] | None = None,
    closing: list[str] | None = None,
) -> str:
    """One HTML document: the paragraphs, the table if any, then the closing lines."""
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs if p)
    end = "".join(f"<p>{html.escape(p)}</p>" for p in closing or [] if p)
    table = ""
    if rows:
        head = "".join(f"<th style='border:1px solid #999;padding:4px'>{html.escape(h)}</th>" for h in header or [])
        lines = "".join(
            "<tr>"
            + "".join(f"<td style='border:1px solid #999;padding:4px'>{html.escape(c)}</td>" for c in row)
            + "</tr>"
            for row in rows
        )
        table = f"<table style='border-collapse:collapse'><tr>{head}</tr>{lines}</table>"
    return f"<html><body style=\"font-family:'Times New Roman',serif;font-size:14px\">{body}{table}{end}</body></html>"


def message_to(
    to: Recipient,
    subject: str,
    paragraphs: list[str],
    ctx: Context,
    cc=(),
    attachments=(),
    rows: list[list[str]] | None = None,
    header: list[str] | None = None,
) -> Message:
    closing = [f"Mọi vướng mắc xin liên hệ: {ctx.contact}." if ctx.contact else "", "Trân trọng cảm ơn.", ctx.issuer]
    greeting = f"Kính gửi: {to.name},"
    text_rows = ["  - " + " | ".join(r) for r in rows or []]
    text = (
        "\n\n".join(
            [greeting, *[p for p in paragraphs if p]]
            + (["\n".join(text_rows)] if rows else [])
            + [c for c in closing if c]
        )
        + "\n"
    )
    return Message(
        to=(to.email,),
        cc=tuple(c.email for c in cc if c.email and c.email != to.email),
        subject=subject,
        text=text,
        html=_html([greeting, *paragraphs], rows, header, closing),
        attachments=tuple(attachments),
    )


def _how_to(ctx: Context) -> list[str]:
    return [
        'Đơn vị điền vào các ô nền vàng của trang "BaoCao" (xem hướng dẫn ở trang "HuongDan"), lưu '
        "tệp và gửi lại qua thư điện tử, giữ nguyên tên tệp. Chỉ tiêu tỷ lệ ghi tử số và mẫu số; chỉ tiêu "
        "định tính chọn tự đánh giá và ghi minh chứng.",
        f"Hạn gửi: ngày {ctx.deadline:%d/%m/%Y}." if ctx.deadline else "",
    ]


def plan_forms(period: str, agencies: list[AgencyDue], ctx: Context) -> list[Planned]:
    out = []
    for due in agencies:
        if due.form is None:
            continue
        subject = f"[Biểu mẫu báo cáo] {ctx.period_label} — {due.agency.name}"
        paragraphs = [
            f"{ctx.issuer} gửi đơn vị biểu mẫu báo cáo kết quả thực hiện các chỉ tiêu "
            f"{ctx.period_label.lower()} (tệp đính kèm).",
            *_how_to(ctx),
        ]
        message = message_to(
            due.agency, subject, paragraphs, ctx, attachments=[(due.form, form_file(period, due.agency.code))]
        )
        out.append(
            Planned(
                "form",
                due.agency,
                message,
                f"form|{due.agency.code}|{period}|{due.form_id}",
                ref=due.form_id or "",
                due=ctx.deadline,
            )
        )
    return out


def plan_submission_reminders(
    period: str, today: date, agencies: list[AgencyDue], ctx: Context, days_before: list[int], days_after: list[int]
) -> list[Planned]:
    deadline = ctx.deadline
    if deadline is None:
        return []
    before = due_offset(deadline, today, days_before)
    after = due_offset(deadline, today, days_after, after=True)
    out = []
    for due in agencies:
        if due.submitted and not due.problems and not due.unfilled:
            continue
        if not due.submitted and due.held:
            continue  # its file is held: the agency was told, and only the office can decide
        attachments = []
        if due.returned is not None:
            attachments.append((due.returned, return_file(period, due.agency.code)))
        elif due.form is not None and (not due.submitted or due.unfilled):
            attachments.append((due.form, form_file(period, due.agency.code)))
        state = _state(due)
        if before is not None:
            subject = f"[Nhắc báo cáo] {ctx.period_label} — hạn {deadline:%d/%m/%Y} — {due.agency.name}"
            paragraphs = [
                f"{ctx.issuer} xin nhắc: còn {(deadline - today).days} ngày đến hạn gửi báo cáo "
                f"kết quả thực hiện các chỉ tiêu {ctx.period_label.lower()} "
                f"(ngày {deadline:%d/%m/%Y}).",
                state,
                *_how_to(ctx),
            ]
            message = message_to(due.agency, subject, paragraphs, ctx, attachments=attachments)
            out.append(
                Planned(
                    "reminder",
                    due.agency,
                    message,
                    f"reminder|{due.agency.code}|{period}|{before}",
                    ref=f"-{before}",
                    due=deadline,
                    body=tuple(p for p in paragraphs if p),
                )
            )
        elif after is not None and due.submitted:
            # Sent on time or late, with rows to complete or cells to fix: a request, never "quá hạn".
            subject = f"[Đề nghị bổ sung] {ctx.period_label} — {due.agency.name}"
            paragraphs = [
                f"{ctx.issuer} đã nhận báo cáo {ctx.period_label.lower()} của đơn vị. {state}",
                *_how_to(ctx)[:1],
            ]
            message = message_to(due.agency, subject, paragraphs, ctx, attachments=attachments)
            out.append(
                Planned(
                    "request",
                    due.agency,
                    message,
                    f"request|{due.agency.code}|{period}|{after}",
                    ref=f"+{after}",
                    due=deadline,
                    body=tuple(p for p in paragraphs if p),
                )
            )
        elif after is not None:
            subject = f"[Quá hạn báo cáo] {ctx.period_label} — {due.agency.name}"
            paragraphs = [
                f"Báo cáo kết quả thực hiện các chỉ tiêu {ctx.period_label.lower()} đã quá hạn "
                f"(hạn ngày {deadline:%d/%m/%Y}, quá {(today - deadline).days} ngày).",
                state,
                "Đề nghị đơn vị khẩn trương hoàn thành và gửi lại trong thời gian sớm nhất.",
                *_how_to(ctx)[:1],
            ]
            message = message_to(due.agency, subject, paragraphs, ctx, cc=due.monitors, attachments=attachments)
            out.append(
                Planned(
                    "overdue",
                    due.agency,
                    message,
                    f"overdue|{due.agency.code}|{period}|{after}",
                    ref=f"+{after}",
                    due=deadline,
                    body=tuple(p for p in paragraphs if p),
                )
            )
    return out


def blank_rows(codes: tuple[str, ...] | list[str], limit: int = 15) -> str:
    """The rows still blank, named: "I.4.2, I.5.1 và V.17" (a long list is cut with its count).

    >>> blank_rows(["I.4.2", "I.5.1", "V.17"]), blank_rows([f"I.{n}" for n in range(1, 20)], 3)
    ('I.4.2, I.5.1 và V.17', 'I.1, I.2, I.3 và 16 dòng khác')
    """
    codes = list(codes)
    if len(codes) > limit:
        return ", ".join(codes[:limit]) + f" và {len(codes) - limit} dòng khác"
    return ", ".join(codes[:-1]) + (" và " if len(codes) > 1 else "") + codes[-1] if codes else ""


BLANK_ASK = (
    "Nếu đơn vị có số liệu, đề nghị gửi bổ sung (chỉ cần điền các ô còn trống, các số liệu đã gửi được giữ "
    'nguyên); nếu đơn vị không có số liệu của dòng nào, chọn "Không có số liệu" ở ô nhập của dòng đó.'
)


def _state(due: AgencyDue) -> str:
    """What the agency's report lacks, in one sentence: the same words as its receipt."""
    if due.submitted and due.problems:
        return (
            f"Báo cáo đơn vị đã gửi còn {due.problems} lỗi cần sửa: các ô cần sửa được tô đỏ trong tệp "
            'đính kèm, danh sách và cách sửa ở trang "CanSua".'
        )
    if due.submitted:
        return f"Còn {due.unfilled} dòng chưa có số liệu: {blank_rows(due.blank)}. {BLANK_ASK}"
    return "Đến nay đơn vị chưa gửi báo cáo."


_HEADER = ["Mã", "Chỉ tiêu / nhiệm vụ", "Thời hạn", "Hiện tại", "Chỉ tiêu", "Đánh giá"]


def plan_item_reminders(
    today: date, leads: dict[Recipient, list[ItemDue]], ctx: Context, days_before: list[int]
) -> list[Planned]:
    """Lead agencies of indicators and tasks whose own deadline is coming."""
    out = []
    for agency, items in sorted(leads.items(), key=lambda kv: kv[0].code):
        by_due: dict[tuple[date, int], list[ItemDue]] = {}
        for item in items:
            offset = due_offset(item.due, today, days_before)
            if offset is not None:
                by_due.setdefault((item.due, offset), []).append(item)
        for (due, offset), group in sorted(by_due.items()):
            subject = f"[Sắp đến hạn] {len(group)} chỉ tiêu, nhiệm vụ hạn {due:%d/%m/%Y} — {agency.name}"
            paragraphs = [
                f"{ctx.issuer} xin nhắc: các chỉ tiêu, nhiệm vụ dưới đây do đơn vị chủ trì có thời "
                f"hạn hoàn thành ngày {due:%d/%m/%Y} (còn {(due - today).days} ngày). Đề nghị đơn vị "
                "tập trung hoàn thành và báo cáo kết quả."
            ]
            rows = [[i.code, i.name, i.deadline_text, i.value or "chưa có số liệu", i.target, i.status] for i in group]
            message = message_to(agency, subject, paragraphs, ctx, rows=rows, header=_HEADER)
            out.append(
                Planned(
                    "deadline",
                    agency,
                    message,
                    f"deadline|{agency.code}|{due.isoformat()}|{offset}",
                    ref=f"-{offset}",
                    due=due,
                    body=tuple(paragraphs),
                    rows=tuple(tuple(r) for r in rows),
                )
            )
    return out


def plan_overdue_tasks(today: date, leads: dict[Recipient, list[ItemDue]], ctx: Context) -> list[Planned]:
    """Tasks past their deadline and not done: once per task, the monitoring agency in copy."""
    out = []
    for agency, items in sorted(leads.items(), key=lambda kv: kv[0].code):
        for item in items:
            if item.kind != "task" or today <= item.due:
                continue
            subject = f"[Nhiệm vụ quá hạn] {item.code} — {agency.name}"
            paragraphs = [
                f'Nhiệm vụ "{item.name}" có thời hạn {item.deadline_text} đã quá hạn '
                f"{(today - item.due).days} ngày và chưa có văn bản ban hành.",
                "Đề nghị đơn vị báo cáo tình hình, nguyên nhân và thời gian dự kiến hoàn thành "
                "(ghi số, ngày văn bản khi đã ban hành).",
            ]
            message = message_to(agency, subject, paragraphs, ctx, cc=item.monitors)
            out.append(
                Planned(
                    "task-overdue",
                    agency,
                    message,
                    f"task-overdue|{agency.code}|{item.key}",
                    ref=item.key,
                    due=item.due,
                    body=tuple(paragraphs),
                )
            )
    return out


# ---------------------------------------------------------------------------------------
# Answers to the mail agencies send
# ---------------------------------------------------------------------------------------
def _reply_headers(message_id: str, references: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Threaded under the agency's mail, and marked as written by a program (RFC 3834), so
    that the agency's own out-of-office robot does not answer it."""
    chain = " ".join(dict.fromkeys([*references, message_id]))
    return (("In-Reply-To", message_id), ("References", chain), ("Auto-Submitted", "auto-replied"))


def _re(subject: str) -> str:
    return subject if subject.lower().startswith(("re:", "tl:", "trả lời:")) else f"Re: {subject or 'Biểu mẫu'}"


def plan_receipt(
    to: Recipient,
    receipt: dict,
    mail: dict,
    ctx: Context,
    returned: Path | None = None,
    sender_warning: str = "",
) -> Planned:
    """The answer to one file an agency mailed: what was accepted, each cell to fix and how,
    with the marked workbook attached when there is something to fix. ``mail`` holds the
    incoming message's message_id, references and subject."""
    name = receipt.get("file", "").rpartition("/")[2]
    status = receipt.get("status")
    problems = receipt.get("problems") or []
    doubts = receipt.get("doubts") or []
    period = receipt.get("period") or ""
    if period:
        try:
            period = mid(Period.parse(period).label)
        except BadPeriod:
            pass
    if status == "rejected":
        lines = [f'Tệp "{name}" chưa được nhận: {receipt.get("reason") or ""}']
    elif status == "held" and receipt.get("held") == "signed":
        facts = receipt.get("facts") or {}
        lines = [
            HELD_SIGNED.format(
                name=name,
                period=period,
                number=facts.get("number", ""),
                day=_day(facts.get("signed_on", "")),
                issuer=ctx.issuer,
            )
        ]
        problems, doubts = [], []
    elif status == "held":
        lines = [
            HELD_SENDER.format(
                name=name,
                agency=to.name,
                period=f" ({period})" if period else "",
                sender=receipt.get("sender") or "",
                issuer=ctx.issuer,
            )
        ]
        problems, doubts = [], []
    elif status == "set-aside":
        lines = [f'Tệp "{name}"{f" ({period})" if period else ""}: {receipt.get("reason") or ""}']
        problems, doubts = [], []
    elif status == "duplicate":
        lines = [
            f'Tệp "{name}" trùng với tệp đơn vị đã gửi lúc {format_moment(receipt.get("duplicate_of"))}: số liệu '
            "đã được ghi nhận từ lần trước, không cần gửi lại."
        ]
    else:
        lines = [
            f'{ctx.issuer} đã nhận tệp "{name}" của đơn vị{f" ({period})" if period else ""}: ghi nhận '
            f"{receipt.get('accepted', 0)} số liệu."
        ]
        blank = receipt.get("blank") or []
        if problems:
            lines.append(
                f"Còn {len(problems)} ô cần sửa (dưới đây; trong tệp đính kèm các ô này được tô đỏ, danh sách ở "
                'trang "CanSua"). Đơn vị sửa ngay trên tệp đính kèm rồi gửi lại; các số liệu đúng đã được ghi nhận.'
            )
        if blank:
            lines.append(f"Còn {len(blank)} dòng chưa có số liệu: {blank_rows(blank)}. {BLANK_ASK}")
        if not problems and not blank:
            lines.append("Số liệu hợp lệ và đủ các dòng, đơn vị không cần làm gì thêm.")
        if doubts:
            lines.append(f"Có {len(doubts)} số liệu cần xác minh lại (dưới đây); nếu đúng, không cần sửa.")
        if receipt.get("late"):
            lines.append("Báo cáo gửi sau hạn.")
        if receipt.get("correction"):
            lines.append(
                f"{mid(period).capitalize() if period else 'Kỳ này'} đã được lập báo cáo ngày "
                f"{_day(receipt['correction'])}: số liệu của tệp được ghi nhận là đính chính sau báo cáo; "
                f"{ctx.issuer} sẽ xem xét và nêu trong báo cáo kỳ sau."
            )
        changed = receipt.get("changed") or []
        if changed:
            lines.append(
                "Tệp này thay đổi số liệu đã gửi trước: "
                + "; ".join(f"{c['code']} {c['field']}: {c['old']} → {c['new']}" for c in changed[:20])
                + (f" và {len(changed) - 20} giá trị khác" if len(changed) > 20 else "")
                + "."
            )
    lines += list(receipt.get("remarks") or [])
    if sender_warning:
        lines.append(sender_warning)
    rows = [[p.get("cell", ""), p.get("code", ""), p.get("message", "")] for p in problems + doubts]
    subject = _re(mail.get("subject", ""))
    message = message_to(
        to,
        subject,
        lines,
        ctx,
        attachments=[(returned, returned.name)] if returned is not None else [],
        rows=rows or None,
        header=["Ô", "Chỉ tiêu", "Cần sửa / xác minh"],
    )
    message = replace(message, headers=_reply_headers(mail["message_id"], tuple(mail.get("references") or ())))
    key = receipt.get("archived") or name
    return Planned("receipt", to, message, f"receipt|{mail['message_id']}|{key}", ref=mail["message_id"])


HELD_SENDER = (
    'Tệp "{name}" là biểu mẫu báo cáo{period} của {agency} nhưng được gửi từ địa chỉ {sender}, không phải '
    "địa chỉ thư đã đăng ký của đơn vị. Để bảo đảm số liệu do chính đơn vị gửi, tệp được giữ lại, chưa ghi nhận "
    "số liệu, và {issuer} đã báo cho địa chỉ đã đăng ký của đơn vị. Nếu đây là địa chỉ thư của đơn vị, đề nghị "
    "báo {issuer} để bổ sung vào danh sách; hoặc gửi lại tệp từ địa chỉ đã đăng ký."
)
HELD_SIGNED = (
    'Báo cáo {period} đã được ký ban hành (số {number}, ngày {day}): tệp "{name}" được giữ lại như một đính '
    "chính, chưa làm thay đổi số liệu của kỳ đã ký. {issuer} sẽ xem xét và áp dụng khi mở lại kỳ báo cáo; đính "
    "chính được nêu trong báo cáo kỳ sau."
)
HELD_NOTICE = (
    'Ngày {when}, {issuer} nhận được tệp "{name}" là biểu mẫu báo cáo{period} của đơn vị, gửi từ địa chỉ '
    "{sender}. Địa chỉ này không phải địa chỉ thư đã đăng ký của đơn vị, nên tệp được giữ lại, chưa ghi nhận số "
    "liệu nào."
)
HELD_NOTICE_ASK = (
    "Nếu đơn vị đã gửi tệp này, đề nghị gửi lại từ địa chỉ thư của đơn vị, hoặc báo {issuer} để xác nhận. Nếu "
    "đơn vị không gửi tệp này, đề nghị báo ngay cho {issuer}; số liệu của đơn vị không bị thay đổi."
)


def plan_held_notice(to: Recipient, receipt: dict, sender: str, office: str, message_id: str, ctx: Context) -> Planned:
    """Tell an agency's registered address (and the office) that a form of it came from another
    address and is held."""
    name = receipt.get("file", "").rpartition("/")[2]
    period = receipt.get("period") or ""
    try:
        period = f" {mid(Period.parse(period).label)}" if period else ""
    except BadPeriod:
        period = ""
    when = receipt.get("received_at") or ""
    shown = f"{when[8:10]}/{when[5:7]}/{when[:4]} lúc {when[11:16]}" if len(when) >= 16 else when
    lines = [
        HELD_NOTICE.format(when=shown, issuer=ctx.issuer, name=name, period=period, sender=sender),
        HELD_NOTICE_ASK.format(issuer=ctx.issuer),
    ]
    subject = f"[Tệp giữ lại] Biểu mẫu của {to.name} gửi từ địa chỉ khác ({sender})"
    cc = [Recipient("", "", office)] if office and office != to.email else []
    message = message_to(to, subject, lines, ctx, cc=cc)
    key = receipt.get("archived") or name
    return Planned("held", to, message, f"held|{message_id}|{key}", ref=message_id)


def plan_parts_note(to: Recipient, parts: list[str], mail: dict, ctx: Context) -> Planned:
    """The answer to attachments that may be forms but cannot be opened: what to send instead."""
    lines = ["Thư của đơn vị có tệp đính kèm chưa mở được:", *[f"- {p}" for p in parts]]
    message = message_to(to, _re(mail.get("subject", "")), lines, ctx)
    message = replace(message, headers=_reply_headers(mail["message_id"], tuple(mail.get("references") or ())))
    return Planned("mail-note", to, message, f"parts-note|{mail['message_id']}", ref=mail["message_id"])


def _day(moment: str) -> str:
    """An ISO moment as its day, dd/mm/yyyy.

    >>> _day("2026-11-18T08:20:00+07:00")
    '18/11/2026'
    """
    return f"{moment[8:10]}/{moment[5:7]}/{moment[:4]}" if len(moment) >= 10 else moment


def plan_mail_note(to: Recipient, kind: str, others: list[str], mail: dict, ctx: Context) -> Planned:
    """The answer to a mail without a form: no attachment, or a file of another kind."""
    if kind == "wrong-file":
        what = f"Tệp đính kèm ({', '.join(others)}) không phải biểu mẫu bảng tính."
    else:
        what = "Thư của đơn vị không có tệp đính kèm."
    lines = [
        what + " Đề nghị đơn vị gửi lại chính tệp biểu mẫu Excel đã điền (.xlsx, .xls hoặc .ods); bản PDF, ảnh "
        "chụp chỉ dùng làm minh chứng kèm theo."
    ]
    message = message_to(to, _re(mail.get("subject", "")), lines, ctx)
    message = replace(message, headers=_reply_headers(mail["message_id"], tuple(mail.get("references") or ())))
    return Planned("mail-note", to, message, f"mail-note|{mail['message_id']}", ref=mail["message_id"])


def merge_daily(planned: list[Planned], today: date, ctx: Context) -> list[Planned]:
    """One mail per agency per day: the reminders, overdue notices and deadlines an agency is
    due today travel together as numbered parts of one message, with every attachment and copy."""
    by_agency: dict[str, list[Planned]] = {}
    for plan in planned:
        by_agency.setdefault(plan.agency.code, []).append(plan)
    out = []
    for group in by_agency.values():
        if len(group) == 1:
            out += group
            continue
        agency = group[0].agency
        kinds = "; ".join(dict.fromkeys(p.message.subject.partition("]")[0].lstrip("[") for p in group))
        subject = f"[Nhắc việc ngày {today:%d/%m/%Y}] {len(group)} nội dung ({kinds}) — {agency.name}"
        paragraphs = [f"{ctx.issuer} gửi đơn vị {len(group)} nội dung cần thực hiện:"]
        rows: list[list[str]] = []
        for index, plan in enumerate(group, start=1):
            title = plan.message.subject.rpartition(" — ")[0] or plan.message.subject
            paragraphs.append(f"{index}. {title}: " + " ".join(plan.body))
            rows += [list(r) for r in plan.rows]
        message = message_to(
            agency,
            subject,
            paragraphs,
            ctx,
            cc=[Recipient("", "", c) for c in dict.fromkeys(c for p in group for c in p.message.cc)],
            attachments=list(dict.fromkeys(a for p in group for a in p.message.attachments)),
            rows=rows or None,
            header=_HEADER if rows else None,
        )
        keys = tuple(p.dedupe for p in group)
        digest = hashlib.sha256("|".join(keys).encode("utf-8")).hexdigest()[:12]
        out.append(
            Planned(
                "daily",
                agency,
                message,
                f"daily|{agency.code}|{today.isoformat()}|{digest}",
                ref=", ".join(p.kind for p in group),
                due=min((p.due for p in group if p.due), default=None),
                parts=keys,
            )
        )
    return out

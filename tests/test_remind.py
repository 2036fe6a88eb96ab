"""Which messages are due on which day (pure planning, no mail server)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from reportgen.remind import (
    AgencyDue,
    Context,
    ItemDue,
    Recipient,
    due_offset,
    plan_item_reminders,
    plan_overdue_tasks,
    plan_submission_reminders,
)

DEADLINE = date(2026, 11, 16)
CTX = Context(issuer="Sở Khoa học và Công nghệ", contact="Phòng QLKH", period_label="Tháng 11/2026", deadline=DEADLINE)
A = Recipient("so-y-te", "Sở Y tế", "so-y-te@x.example")
B = Recipient("p-hoa-lu", "UBND phường Hoa Lư", "p-hoa-lu@x.example")
C = Recipient("so-ct", "Sở Công Thương", "so-ct@x.example")
MONITOR = Recipient("so-khcn", "Sở KH&CN", "so-khcn@x.example")


@pytest.mark.parametrize(
    "today, before, after",
    [
        (date(2026, 11, 8), None, None),  # 8 days ahead: nothing yet
        (date(2026, 11, 9), 7, None),
        (date(2026, 11, 12), 7, None),
        (date(2026, 11, 13), 3, None),
        (date(2026, 11, 15), 1, None),
        (date(2026, 11, 16), None, None),  # the deadline itself
        (date(2026, 11, 17), None, 1),
        (date(2026, 11, 30), None, 1),
    ],
)
def test_offsets(today, before, after):
    assert due_offset(DEADLINE, today, [7, 3, 1]) == before
    assert due_offset(DEADLINE, today, [1], after=True) == after


def _agencies():
    return [
        AgencyDue(A, submitted=False, form=Path("f/2026-11_so-y-te.xlsx"), monitors=(MONITOR,)),
        AgencyDue(B, submitted=True),
        AgencyDue(C, submitted=True, problems=2, returned=Path("r/2026-11_so-ct_tra-lai.xlsx"), monitors=(MONITOR,)),
    ]


def test_reminders_skip_those_who_submitted_cleanly():
    planned = plan_submission_reminders("2026-11", date(2026, 11, 13), _agencies(), CTX, [7, 3, 1], [1])
    assert [(p.kind, p.agency.code, p.dedupe) for p in planned] == [
        ("reminder", "so-y-te", "reminder|so-y-te|2026-11|3"),
        ("reminder", "so-ct", "reminder|so-ct|2026-11|3"),
    ]
    form, fix = planned[0].message, planned[1].message
    assert [name for _, name in form.attachments] == ["2026-11_so-y-te.xlsx"]
    assert [name for _, name in fix.attachments] == ["2026-11_so-ct_tra-lai.xlsx"]
    assert "còn 2 lỗi cần sửa" in fix.text and form.cc == ()


def test_after_the_deadline_an_overdue_notice_copies_the_monitor():
    planned = plan_submission_reminders("2026-11", date(2026, 11, 18), _agencies(), CTX, [7, 3, 1], [1])
    # the agency that has sent nothing is overdue; the one that sent on time with cells to fix is asked
    # to fix them, never told it is overdue
    assert [p.kind for p in planned] == ["overdue", "request"]
    assert planned[0].message.cc == ("so-khcn@x.example",)
    assert "quá 2 ngày" in planned[0].message.text
    assert "quá hạn" not in planned[1].message.text.lower() and planned[1].message.cc == ()
    assert "còn 2 lỗi cần sửa" in planned[1].message.text


def test_a_machine_off_for_days_sends_only_the_latest_reminder():
    # off from the 8th to the 15th: on the 15th only the "1 day before" reminder is due
    planned = plan_submission_reminders("2026-11", date(2026, 11, 15), _agencies()[:1], CTX, [7, 3, 1], [1])
    assert [p.dedupe for p in planned] == ["reminder|so-y-te|2026-11|1"]


def _item(code, due, kind="indicator"):
    return ItemDue(
        key=f"p|{code}",
        code=code,
        name=f"Chỉ tiêu {code}",
        kind=kind,
        deadline_text="Tháng 12/2026",
        due=due,
        value="60%",
        target="Đạt tối thiểu 70%",
        status="Chậm tiến độ",
        monitors=(MONITOR,),
    )


def test_lead_agencies_are_reminded_of_their_own_deadlines_with_the_current_value():
    leads = {A: [_item("I.2.1", date(2026, 12, 31)), _item("I.3.1", date(2026, 11, 30))]}
    planned = plan_item_reminders(date(2026, 12, 28), leads, CTX, [7, 3, 1])
    [plan] = planned
    assert plan.dedupe == "deadline|so-y-te|2026-12-31|3"
    assert "I.2.1 | Chỉ tiêu I.2.1 | Tháng 12/2026 | 60% | Đạt tối thiểu 70% | Chậm tiến độ" in plan.message.text
    assert "<table" in plan.message.html
    assert plan_item_reminders(date(2026, 12, 1), leads, CTX, [7, 3, 1]) == []


def test_overdue_tasks_once_per_task_with_the_monitor_in_copy():
    leads = {A: [_item("II.4", date(2026, 7, 31), kind="task"), _item("II.9", date(2026, 12, 31), kind="task")]}
    [plan] = plan_overdue_tasks(date(2026, 8, 2), leads, CTX)
    assert plan.dedupe == "task-overdue|so-y-te|p|II.4"
    assert plan.message.cc == ("so-khcn@x.example",)
    assert "đã quá hạn 2 ngày" in plan.message.text

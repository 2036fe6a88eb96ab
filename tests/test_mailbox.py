"""The mailbox loop against a real Dovecot (IMAP, TLS) and a real SMTP server (aiosmtpd).

The mailbox is the office's own: the IMAP account and the sender of our mail are the office's
address, which is also agency so-khcn's, and the office gets a copy of every reminder
(``remind.cc_office``). Beside the replies to our forms it holds what an office's inbox
holds: its own copies, old mail, letters, invitations, questions, bounces.
"""

from __future__ import annotations

import email
from datetime import datetime
from email import policy
from pathlib import Path

import openpyxl
import pytest
import yaml

from reportgen.cli import cli
from reportgen.clock import VN
from reportgen.mailbox import DONE_KEYWORD
from reportgen.replies import fetch
from reportgen.store import Store
from reportgen.workspace import Workspace

from . import mailkit
from .helpers import fill, in_cycle, make_form, planner
from .test_hostile import _far_cell, _undefined_entity
from .test_mail import Inbox, _server

NOW = datetime(2026, 11, 12, 9, 0, tzinfo=VN)
FORMS_SENT = datetime(2026, 11, 1, 8, 5, tzinfo=VN)
GOOD = {"ninh-binh-2026|I.5.2": {"numerator": 19, "denominator": 20}}  # every department reports it
FAULTY = {"ninh-binh-2026|I.5.2": {"numerator": 30, "denominator": 20}}  # 150 %: a cell to fix
TYPED = {
    "value": {"value": 10},
    "ratio": {"numerator": 9, "denominator": 10},
    "assessment": {"assessment": "Đạt", "note": "Văn bản số 12/QĐ-UBND"},
    "task": {"assessment": "Đã hoàn thành", "doc_number": "12/QĐ-UBND", "doc_date": "01/10/2026"},
}


class Loop:
    """A workspace whose office mailbox is a fresh Dovecot account, answering through aiosmtpd."""

    def __init__(self, workspace: Workspace, box, sent: Inbox, office: str):
        self.workspace, self.box, self.sent, self.office = workspace, box, sent, office
        self.forms: dict[str, email.message.EmailMessage] = {}

    @property
    def root(self) -> Path:
        return self.workspace.root

    def address(self, code: str) -> str:
        return self.workspace.registry.get(code).email

    def append(self, raw: bytes, when: datetime | None = None, folder: str = "INBOX") -> None:
        self.box.append(raw, folder, dt=when or NOW.replace(hour=8))

    def send_forms(self) -> None:
        """Forms made and mailed on the 1st, as the scheduler does."""
        in_cycle(self.workspace, "2026-11", FORMS_SENT, "make_forms", workers=1)
        before = len(self.sent.messages)
        in_cycle(self.workspace, "2026-11", FORMS_SENT, "send_forms")
        for _, message in self.sent.messages[before:]:
            self.forms[str(message["To"])] = message

    def filled(self, tmp_path: Path, code: str, values=None, name: str | None = None) -> tuple[str, bytes]:
        """The agency's form as mailed, filled in: every row typed by kind, or ``values``."""
        original = self.forms.get(self.address(code))
        if original is not None:
            [attachment] = list(original.iter_attachments())
            path = tmp_path / "filled" / code / (name or attachment.get_filename())
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(attachment.get_content())
        else:
            path = make_form(self.workspace, code, tmp_path / "filled" / code)
        if values is None:
            values = {r.key: TYPED[r.input] for r in planner(self.workspace).spec(code).rows}
        fill(path, values)
        return path.name, path.read_bytes()

    def reply(self, tmp_path, code: str, values=None, sender: str | None = None, files=None, **kwargs) -> bytes:
        """The agency answers our form mail with its filled form."""
        original = self.forms.get(self.address(code))
        kwargs.setdefault("subject", f"Re: {original['Subject']}" if original is not None else "Báo cáo")
        return mailkit.mail(
            sender or self.address(code),
            files if files is not None else [self.filled(tmp_path, code, values)],
            reply_to=original["Message-ID"] if original is not None else None,
            **kwargs,
        )

    def fetch(self, now: datetime = NOW):
        return fetch(Workspace(self.root), now)

    def inbox(self, folder: str = "INBOX") -> list:
        self.box.folder.set(folder)
        return list(self.box.fetch(mark_seen=False))

    def store(self) -> Store:
        return Store.connect(self.workspace)

    def values(self, agency: str) -> dict[str, tuple]:
        store = self.store()
        try:
            return {
                v.key: (v.value, v.numerator, v.denominator, v.assessment)
                for v in store.values_as_of(Period.parse("2026-11").month_number, agency)
            }
        finally:
            store.close()


from reportgen.periods import Period  # noqa: E402


def _office_workspace(workspace: Workspace, office: str, imap: dict, smtp_port: int, done_folder: str) -> Workspace:
    path = workspace.config_dir / "settings.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["mail"].update({"mode": "smtp", "host": "127.0.0.1", "port": smtp_port, "security": "plain", "sender": office})
    data["imap"].update({**imap, "username": office, "done_folder": done_folder})
    data.setdefault("remind", {})["cc_office"] = True
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    agencies = workspace.config_dir / "agencies.yaml"
    agencies.write_text(
        agencies.read_text(encoding="utf-8").replace("so-khcn@ninh-binh.example", office), encoding="utf-8"
    )
    return Workspace(workspace.root)


@pytest.fixture
def loop(workspace, dovecot, monkeypatch):
    user, password = dovecot.account()
    office = f"{user}@ninh-binh.example"  # the office's own address: IMAP account, sender, agency so-khcn
    sent = Inbox()
    smtp = _server(sent)
    imap = {"host": "127.0.0.1", "port": dovecot.port, "ca_file": str(dovecot.ca_file)}
    ws = _office_workspace(workspace, office, imap, smtp.port, "Da-xu-ly")
    monkeypatch.setenv("REPORTGEN_IMAP_PASSWORD", password)
    yield Loop(ws, dovecot.box(user, password), sent, office)
    smtp.stop()


def _answers(loop: Loop, since: int = 0) -> list:
    return [m for _, m in loop.sent.messages[since:]]


def _counts(loop: Loop) -> dict[str, int]:
    store = loop.store()
    try:
        return store.counts()
    finally:
        store.close()


def _status(loop: Loop, runner, monkeypatch, when="2026-11-17T09:00:00+07:00") -> dict:
    import json

    monkeypatch.setenv("REPORTGEN_NOW", when)
    result = runner.invoke(cli, ["-w", str(loop.root), "status", "--period", "2026-11", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _agency(status: dict, code: str) -> dict:
    return next(a for a in status["agencies"] if a["agency"] == code)


# --- 1. the office's own outgoing mail ------------------------------------------------------------
def test_the_offices_own_copies_are_never_collected_nor_answered(loop, tmp_path, runner, monkeypatch):
    loop.send_forms()
    # so-y-te sends a form with a cell to fix: its overdue notice will carry its return file
    loop.append(loop.reply(tmp_path, "so-y-te", FAULTY))
    assert [o.kind for o in loop.fetch().outcomes] == ["forms"]
    in_cycle(loop.workspace, "2026-11", datetime(2026, 11, 17, 8, 10, tzinfo=VN), "remind")
    copies = [raw for rcpt, raw in loop.sent.messages if loop.office in rcpt and "Quá hạn" in str(raw["Subject"])]
    assert len(copies) >= 10
    assert any(any(p.get_filename() for p in m.iter_attachments()) for m in copies)  # a return file among them
    before = _counts(loop)
    answered = len(loop.sent.messages)
    agencies = {a["agency"]: a["state"] for a in _status(loop, runner, monkeypatch)["agencies"]}
    for copy in copies:  # the office's copies land in its own inbox
        loop.append(copy.as_bytes(), datetime(2026, 11, 17, 8, 11, tzinfo=VN))

    fetched = loop.fetch(datetime(2026, 11, 18, 8, 0, tzinfo=VN))

    assert fetched.outcomes == [] and fetched.left_alone["own"] == len(copies)
    assert _counts(loop)["files"] == before["files"] and _counts(loop)["submissions"] == before["submissions"]
    assert len(loop.sent.messages) == answered  # no receipt to ourselves
    after = {a["agency"]: a["state"] for a in _status(loop, runner, monkeypatch)["agencies"]}
    assert after == agencies  # nobody moved from "missing" to "rejected"
    inbox = loop.inbox()
    assert len(inbox) == len(copies) and not any(DONE_KEYWORD in m.flags for m in inbox)  # untouched


# --- 2. unrelated and old mail ----------------------------------------------------------------------
def _unrelated(loop: Loop, tmp_path: Path) -> list[tuple[bytes, datetime]]:
    budget = tmp_path / "du-toan-2027.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["Nội dung", "Dự toán 2027"])
    workbook.active.append(["Chi thường xuyên", 1250])
    workbook.save(budget)
    letter = ("CV-123-SNV.pdf", b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF\n")
    invitation = ("giay-moi.ics", b"BEGIN:VCALENDAR\nEND:VCALENDAR\n")
    shapes = [
        (loop.address("so-noi-vu"), [letter], "Công văn số 123/SNV-TCCB"),
        (loop.address("so-tai-chinh"), [(budget.name, budget.read_bytes())], "Dự toán ngân sách 2027"),
        (loop.address("vp-ubnd"), [invitation], "Giấy mời họp giao ban"),
        (loop.address("so-y-te"), [], "Hỏi về cách ghi chỉ tiêu tiêm chủng"),
    ]
    out = []
    for year_old in (True, False):
        for sender, files, subject in shapes:
            when = datetime(2025, 6, 3, 9, 0, tzinfo=VN) if year_old else datetime(2026, 11, 12, 8, 30, tzinfo=VN)
            out.append((mailkit.mail(sender, files, subject=subject, when=when), when))
    return out


def test_unrelated_and_old_mail_is_left_exactly_as_it_was(loop, tmp_path):
    loop.send_forms()
    answered = len(loop.sent.messages)
    for raw, when in _unrelated(loop, tmp_path):
        loop.append(raw, when)
    fetched = loop.fetch()
    assert fetched.outcomes == []
    assert fetched.left_alone == {"old": 4, "unrelated": 4}
    assert len(loop.sent.messages) == answered  # not one reply
    inbox = loop.inbox()
    assert len(inbox) == 8 and not any(DONE_KEYWORD in m.flags for m in inbox)  # not moved, not flagged
    assert loop.inbox("Da-xu-ly") == []
    assert loop.fetch().left_alone == {"old": 4}  # decided once: the others are not read again


# --- 3. the right sender -------------------------------------------------------------------------------
def test_a_form_from_another_agencys_address_is_held_and_both_are_told(loop, tmp_path, runner, monkeypatch):
    loop.send_forms()
    loop.append(loop.reply(tmp_path, "so-y-te"))  # the genuine form first
    loop.fetch()
    genuine = loop.values("so-y-te")
    assert len(genuine) >= 10
    spoofed = {
        key: {"numerator": 1, "denominator": 10} if "numerator" in v else v
        for key, v in ((r.key, TYPED[r.input]) for r in planner(loop.workspace).spec("so-y-te").rows)
    }
    answered = len(loop.sent.messages)
    loop.append(loop.reply(tmp_path, "so-y-te", spoofed, sender=loop.address("so-vh-tt")))

    [outcome] = loop.fetch(datetime(2026, 11, 13, 9, 0, tzinfo=VN)).outcomes

    [receipt] = outcome.receipts
    assert receipt.status == "held" and receipt.agency == "so-y-te"
    assert loop.values("so-y-te") == genuine  # not one value replaced
    answers = _answers(loop, answered)
    to_sender = [m for m in answers if loop.address("so-vh-tt") in str(m["To"])]
    to_agency = [m for m in answers if loop.address("so-y-te") in str(m["To"])]
    assert len(to_sender) == 1 and "giữ lại" in to_sender[0].get_body(("plain",)).get_content()
    assert len(to_agency) == 1 and loop.office in str(to_agency[0]["Cc"])
    notice = to_agency[0].get_body(("plain",)).get_content()
    assert loop.address("so-vh-tt") in notice and receipt.file.rpartition("/")[2] in notice
    status = _status(loop, runner, monkeypatch)
    assert _agency(status, "so-y-te")["held_files"] == 1
    listed = runner.invoke(cli, ["-w", str(loop.root), "held", "list", "--json"])
    import json

    [held] = json.loads(listed.output)
    assert held["agency"] == "so-y-te" and held["sender"] == loop.address("so-vh-tt")
    # the office discards it: nothing changes; accepting the same kind of file would apply it
    discarded = runner.invoke(cli, ["-w", str(loop.root), "held", "discard", str(held["id"])])
    assert discarded.exit_code == 0, discarded.output
    assert loop.values("so-y-te") == genuine
    assert json.loads(runner.invoke(cli, ["-w", str(loop.root), "held", "list", "--json"]).output) == []


def test_a_personal_address_gets_its_note_and_is_applied_once_the_office_accepts(loop, tmp_path, runner):
    loop.send_forms()
    gmail = "so.y.te.ninhbinh@gmail.example"
    loop.append(loop.reply(tmp_path, "so-y-te", sender=gmail))
    [outcome] = loop.fetch().outcomes
    [receipt] = outcome.receipts
    assert receipt.status == "held" and loop.values("so-y-te") == {}
    [note] = [m for m in _answers(loop) if gmail in str(m["To"])]
    assert "không phải địa chỉ thư đã đăng ký" in note.get_body(("plain",)).get_content()
    accepted = runner.invoke(cli, ["-w", str(loop.root), "held", "accept", str(receipt.file_id)])
    assert accepted.exit_code == 0, accepted.output
    assert len(loop.values("so-y-te")) >= 10
    store = loop.store()
    try:
        [submission] = store.submissions("2026-11", "so-y-te")
        assert submission.received_at == "2026-11-12T08:00:00+07:00"  # when it arrived, not when accepted
    finally:
        store.close()


def test_an_address_added_to_agencies_yaml_is_the_agencys_own(loop, tmp_path):
    loop.send_forms()
    gmail = "so.y.te.ninhbinh@gmail.example"
    agencies = loop.workspace.config_dir / "agencies.yaml"
    text = agencies.read_text(encoding="utf-8").replace(
        "email: so-y-te@ninh-binh.example}", f"email: so-y-te@ninh-binh.example, other_emails: [{gmail}]}}"
    )
    agencies.write_text(text, encoding="utf-8")
    loop.append(loop.reply(tmp_path, "so-y-te", sender=gmail))
    [outcome] = loop.fetch().outcomes
    assert [r.status for r in outcome.receipts] == ["accepted"]


# --- 4. the time it arrived ----------------------------------------------------------------------------
def test_lateness_is_judged_by_when_the_server_received_the_mail(loop, tmp_path, runner, monkeypatch):
    loop.send_forms()
    arrived = datetime(2026, 11, 16, 14, 0, tzinfo=VN)  # the deadline day
    loop.append(loop.reply(tmp_path, "so-y-te", when=datetime(2026, 11, 16, 13, 58, tzinfo=VN)), arrived)
    [outcome] = loop.fetch(datetime(2026, 11, 17, 8, 0, tzinfo=VN)).outcomes  # fetched the next morning
    [receipt] = outcome.receipts
    assert receipt.late is False and receipt.received_at == "2026-11-16T14:00:00+07:00"
    state = _agency(_status(loop, runner, monkeypatch), "so-y-te")
    assert state["late"] is False and state["submitted_at"] == "2026-11-16T14:00:00+07:00"


def test_the_memory_mailbox_of_the_demo_keeps_arrival_times_too(workspace):
    from reportgen.mailbox import MemoryMailbox
    from reportgen.mailparse import parse

    arrived = datetime(2026, 11, 16, 14, 0, tzinfo=VN)
    message = parse(mailkit.mail("so-y-te@ninh-binh.example", []), "1", arrived)
    assert message.arrived_at == "2026-11-16T14:00:00+07:00"
    box = MemoryMailbox([message])
    assert [m.uid for m in box.unprocessed(since=arrived.date())] == ["1"]
    assert box.older(datetime(2026, 11, 17, tzinfo=VN).date()) == 1


# --- 5. one message can never stop the others ---------------------------------------------------------
def test_a_broken_message_is_its_own_refusal_and_the_others_go_on(loop, tmp_path):
    loop.send_forms()
    name, data = loop.filled(tmp_path, "so-tu-phap")
    locked = mailkit.encrypted(mailkit.zipped((name, data))[1])
    loop.append(loop.reply(tmp_path, "so-tu-phap", files=[("bao-cao.zip", locked)]))
    huge = mailkit.huge_member()
    loop.append(loop.reply(tmp_path, "so-noi-vu", files=[huge]))
    broken = loop.reply(tmp_path, "so-tai-chinh").replace(
        b"Content-Transfer-Encoding: base64\n\n", b"Content-Transfer-Encoding: base64\n\n!!*&", 1
    )
    loop.append(broken)
    loop.append(loop.reply(tmp_path, "so-y-te"))  # a valid reply queued behind them

    fetched = loop.fetch()

    by = {o.sender: o for o in fetched.outcomes}
    assert len(by) == 4
    assert [r.status for r in by[loop.address("so-y-te")].receipts] == ["accepted"]
    assert "mật khẩu" in " ".join(by[loop.address("so-tu-phap")].unusable)
    assert "quá lớn (60 MB" in " ".join(by[loop.address("so-noi-vu")].unusable)
    answers = {str(m["To"]): m.get_body(("plain",)).get_content() for m in _answers(loop)}
    assert "mật khẩu" in answers[loop.address("so-tu-phap")]
    assert ".xlsx" in answers[loop.address("so-noi-vu")] and "60 MB" in answers[loop.address("so-noi-vu")]
    assert all(DONE_KEYWORD in m.flags for m in loop.inbox() + loop.inbox("Da-xu-ly"))  # not retried forever
    assert loop.fetch().outcomes == []


def test_a_message_that_fails_is_tried_three_times_then_set_aside(loop, tmp_path, monkeypatch):
    loop.send_forms()
    loop.append(loop.reply(tmp_path, "so-y-te"))
    from reportgen import replies

    def fail(*args, **kwargs):
        broken = "hỏng"
        raise RuntimeError(broken)

    monkeypatch.setattr(replies, "store_outcome", fail)
    kinds = [[o.kind for o in loop.fetch().outcomes] for _ in range(4)]
    assert kinds == [["error"], ["error"], ["broken"], []]


# --- 6. two versions of one form in one mail -------------------------------------------------------------
def test_of_two_versions_in_one_mail_the_one_saved_last_is_used(loop, tmp_path):
    loop.send_forms()
    key = "ninh-binh-2026|I.5.2"
    draft_name, _ = loop.filled(
        tmp_path / "draft", "so-y-te", {key: {"numerator": 1, "denominator": 20}}, name="nhap.xlsx"
    )
    final_name, _ = loop.filled(tmp_path / "final", "so-y-te", {key: {"numerator": 19, "denominator": 20}})
    draft = mailkit.saved_at(
        tmp_path / "draft" / "filled" / "so-y-te" / draft_name, datetime(2026, 11, 10, 9, 0, tzinfo=VN)
    )
    final = mailkit.saved_at(
        tmp_path / "final" / "filled" / "so-y-te" / final_name, datetime(2026, 11, 11, 16, 0, tzinfo=VN)
    )
    # the final version attached first, the draft last: the order of attachments does not decide
    loop.append(
        loop.reply(tmp_path, "so-y-te", files=[(final.name, final.read_bytes()), (draft.name, draft.read_bytes())])
    )
    [outcome] = loop.fetch().outcomes
    statuses = {r.file.rpartition("/")[2]: r for r in outcome.receipts}
    assert statuses[final.name].status == "accepted" and statuses[draft.name].status == "set-aside"
    assert loop.values("so-y-te")[key][1:3] == (19.0, 20.0)
    [answer_final, answer_draft] = [
        m.get_body(("plain",)).get_content() for m in _answers(loop) if loop.address("so-y-te") in str(m["To"])
    ][-2:]
    text = answer_final + answer_draft
    assert "bản lưu sau cùng" in text and "để riêng" in text
    store = loop.store()
    try:
        assert {f.status for f in store.files("2026-11", "so-y-te")} == {"accepted", "set-aside"}
        assert all((loop.root / f.archive).exists() for f in store.files("2026-11", "so-y-te"))
    finally:
        store.close()


# --- 7. bounces -------------------------------------------------------------------------------------------
def test_a_bounce_carrying_our_form_back_is_a_wrong_address_not_a_submission(loop, tmp_path, runner, monkeypatch):
    loop.send_forms()
    original = loop.forms[loop.address("so-y-te")]
    loop.append(mailkit.bounce(original.as_bytes(), loop.address("so-y-te")), datetime(2026, 11, 1, 8, 6, tzinfo=VN))
    answered = len(loop.sent.messages)
    [outcome] = loop.fetch().outcomes
    assert outcome.kind == "bounce" and outcome.receipts == []
    assert _counts(loop)["files"] == 0 and len(loop.sent.messages) == answered
    state = _agency(_status(loop, runner, monkeypatch), "so-y-te")
    assert state["state"] == "missing" and state["bounced"] == [loop.address("so-y-te")]
    monkeypatch.setenv("REPORTGEN_NOW", "2026-11-17T09:00:00+07:00")
    text = runner.invoke(cli, ["-w", str(loop.root), "status", "--period", "2026-11"]).output
    assert "Thư gửi không đến được" in text and loop.address("so-y-te") in text


def test_a_bounce_of_the_offices_other_mail_is_left_alone(loop, tmp_path):
    loop.send_forms()
    other = mailkit.mail(loop.office, [], subject="Giấy mời", message_id="<giay-moi@ninh-binh.example>")
    loop.append(mailkit.bounce(other, "nguoi-la@example.org", exchange=False))
    fetched = loop.fetch()
    assert fetched.outcomes == [] and fetched.left_alone == {"bounce-other": 1}


# --- 8. the shapes mail takes ---------------------------------------------------------------------------------
def test_signature_logos_winmail_rar_and_macos_zips(loop, tmp_path):
    loop.send_forms()
    form = loop.filled(tmp_path, "so-y-te")
    loop.append(
        mailkit.with_logo(loop.address("so-y-te"), [form], reply_to=loop.forms[loop.address("so-y-te")]["Message-ID"])
    )
    winmail = loop.filled(tmp_path, "so-tu-phap")
    loop.append(
        mailkit.with_winmail(
            loop.address("so-tu-phap"), [winmail], reply_to=loop.forms[loop.address("so-tu-phap")]["Message-ID"]
        )
    )
    loop.append(loop.reply(tmp_path, "so-noi-vu", files=[("bao-cao.rar", b"Rar!\x1a\x07\x00 rar bytes")]))
    name, data = loop.filled(tmp_path, "so-tai-chinh")
    mac = mailkit.zipped((name, data), ("__MACOSX/._" + name, b"\x00\x05\x16\x07 resource fork"), (".DS_Store", b"x"))
    loop.append(loop.reply(tmp_path, "so-tai-chinh", files=[mac]))

    by = {o.sender: o for o in loop.fetch().outcomes}

    logo = by[loop.address("so-y-te")]
    assert [r.status for r in logo.receipts] == ["accepted"] and logo.unusable == []
    assert [r.status for r in by[loop.address("so-tu-phap")].receipts] == ["accepted"]  # unpacked from winmail.dat
    assert [r.status for r in by[loop.address("so-tai-chinh")].receipts] == ["accepted"]  # no rejection of ._x.xlsx
    rar = by[loop.address("so-noi-vu")]
    assert rar.receipts == [] and "RAR" in rar.unusable[0] and ".zip" in rar.unusable[0]
    answers = {str(m["To"]): m.get_body(("plain",)).get_content() for m in _answers(loop)}
    assert "image001.png" not in answers[loop.address("so-y-te")]
    assert "RAR" in answers[loop.address("so-noi-vu")]


def test_attachment_names_in_rfc2231_and_rfc2047_windows_1258(loop, tmp_path):
    loop.send_forms()
    _, data = loop.filled(tmp_path, "so-y-te")
    names = [("Báo cáo Sở Y tế tháng 11.xlsx", data, "rfc2231"), ("Biểu mẫu Sở Y tế.xlsx", data, "rfc2047")]
    loop.append(
        mailkit.with_names(loop.address("so-y-te"), names, reply_to=loop.forms[loop.address("so-y-te")]["Message-ID"])
    )
    [outcome] = loop.fetch().outcomes
    shown = sorted(r.file.rpartition("/")[2] for r in outcome.receipts)
    assert shown == ["Biểu mẫu Sở Y tế.xlsx", "Báo cáo Sở Y tế tháng 11.xlsx"]


# --- 9. per-agency visibility ------------------------------------------------------------------------------
def test_status_shows_each_agencys_unusable_mail_with_its_reason(loop, tmp_path, runner, monkeypatch):
    loop.send_forms()
    loop.append(loop.reply(tmp_path, "so-noi-vu", files=[mailkit.huge_member()]))
    loop.append(
        mailkit.with_winmail(
            loop.address("so-tu-phap"),
            [("ghi-chu.txt", b"x")],
            reply_to=loop.forms[loop.address("so-tu-phap")]["Message-ID"],
        )
    )
    loop.fetch()
    status = _status(loop, runner, monkeypatch)
    noi_vu = _agency(status, "so-noi-vu")
    assert noi_vu["state"] == "missing" and "quá lớn" in noi_vu["unusable_mails"][0]["reasons"][0]
    tu_phap = _agency(status, "so-tu-phap")
    assert tu_phap["unusable_mails"] and tu_phap["unusable_mails"][0]["received_at"].startswith("2026-11-12")
    text = runner.invoke(cli, ["-w", str(loop.root), "status", "--period", "2026-11"]).output
    assert "Thư của cơ quan không dùng được" in text and "Sở Nội vụ" in text


# --- the loop as it always worked -----------------------------------------------------------------------------
def test_replies_are_collected_and_answered_once_threaded(loop, tmp_path):
    loop.send_forms()
    asked = planner(loop.workspace)
    agencies = [
        a.code
        for a in loop.workspace.registry.agencies()
        if a.email in loop.forms
        and a.email != loop.office  # the office's own form never comes by mail: it collects it itself
        and "ninh-binh-2026|I.5.2" in {r.key for r in asked.spec(a.code).rows}
    ][:20]
    assert len(agencies) >= 15
    messages = []
    for index, code in enumerate(agencies):
        files = [loop.filled(tmp_path, code, FAULTY if index % 6 == 0 else GOOD)]
        if index == 5:
            files = [mailkit.zipped(*files)]  # a clerk zips the form
        if index == 7:
            forwarded = email.message_from_bytes(loop.reply(tmp_path, code, GOOD), policy=policy.default)
            raw = mailkit.mail(loop.address(code), [], subject="Fwd: báo cáo")
            message = email.message_from_bytes(raw, policy=policy.default)
            message.add_attachment(forwarded)  # a form inside a forwarded message
            messages.append(message.as_bytes())
            continue
        messages.append(loop.reply(tmp_path, code, files=files))
    first, second, third = agencies[1], agencies[2], agencies[3]
    messages += [
        loop.reply(tmp_path, first, files=[("bao-cao.xlsx", b"not a workbook at all")]),
        loop.reply(tmp_path, second, files=[("far.xlsx", _far_cell(loop.workspace, tmp_path).read_bytes())]),
        loop.reply(tmp_path, third, files=[("entity.xlsx", _undefined_entity(loop.workspace, tmp_path).read_bytes())]),
        loop.reply(tmp_path, first, files=[]),  # no attachment, in our thread
        loop.reply(tmp_path, second, files=[("scan.pdf", b"%PDF-1.7\n%%EOF\n")]),
        loop.reply(
            tmp_path, third, files=[], subject="Tự động trả lời: Vắng mặt", headers=[("Auto-Submitted", "auto-replied")]
        ),
        mailkit.mail("la@la.example", subject="Quảng cáo"),
    ]
    for raw in messages:
        loop.append(raw)

    fetched = loop.fetch()

    kinds = [o.kind for o in fetched.outcomes]
    assert len(kinds) == len(messages) - 1 and fetched.left_alone == {"unrelated": 1}
    assert kinds.count("no-attachment") == 1 and kinds.count("auto-reply") == 1 and kinds.count("wrong-file") == 1
    store = loop.store()
    try:
        assert len({s.agency for s in store.submissions("2026-11")}) == len(agencies)
    finally:
        store.close()
    answers = _answers(loop, len(loop.forms))
    originals = {email.message_from_bytes(raw, policy=policy.default)["Message-ID"] for raw in messages}
    assert {m["In-Reply-To"] for m in answers} <= originals
    assert all(m["Auto-Submitted"] == "auto-replied" for m in answers)
    files_sent = len(agencies) + 3
    assert len(answers) == files_sent + 2  # + the note on the mail without a form, + the one with a PDF
    faulty = [m for m in answers if "ô cần sửa" in m.get_body(("plain",)).get_content()]
    assert len(faulty) == len(range(0, len(agencies), 6))
    assert all(any(p.get_filename() for p in m.iter_attachments()) for m in faulty)
    assert all(m["To"] != "la@la.example" for m in answers)
    # forms moved to the done folder; the mails without a form stay for a person to read
    left = loop.inbox()
    assert len(left) == 4 and all(DONE_KEYWORD in m.flags or m.from_ == "la@la.example" for m in left)
    again = loop.fetch()
    assert again.outcomes == [] and len(loop.sent.messages) == len(loop.forms) + len(answers)


def test_a_resent_message_is_processed_once(loop, tmp_path):
    loop.send_forms()
    raw = loop.reply(tmp_path, "so-y-te", message_id="<x@a>")
    loop.append(raw)
    [first] = loop.fetch().outcomes
    assert first.kind == "forms" and first.receipts[0].status == "accepted"
    loop.append(raw)  # the same message delivered again
    assert loop.fetch().outcomes == []
    assert _counts(loop)["submissions"] == 1 and len(_answers(loop, len(loop.forms))) == 1


def test_a_crash_mid_fetch_loses_nothing_and_duplicates_nothing(loop, tmp_path, monkeypatch):
    loop.send_forms()
    codes = ["so-y-te", "so-tu-phap", "so-noi-vu", "so-tai-chinh"]
    for code in codes:
        loop.append(loop.reply(tmp_path, code))
    from reportgen import replies

    real = replies.deliver
    calls = {"n": 0}

    def crash(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # killed after the third message's files were stored
        return real(*args, **kwargs)

    monkeypatch.setattr(replies, "deliver", crash)
    with pytest.raises(KeyboardInterrupt):
        loop.fetch()
    monkeypatch.setattr(replies, "deliver", real)
    outcomes = loop.fetch().outcomes
    assert [o.kind for o in outcomes] == ["forms", "forms"]  # the third again, then the fourth
    assert _counts(loop)["submissions"] == 4  # the third was stored once
    answered = [m["In-Reply-To"] for m in _answers(loop, len(loop.forms))]
    assert len(answered) == 4 and len(set(answered)) == 4  # each file answered exactly once
    assert loop.fetch().outcomes == []


def test_an_auto_reply_to_our_answer_is_never_answered(loop, tmp_path):
    loop.send_forms()
    loop.append(loop.reply(tmp_path, "so-y-te", FAULTY))
    loop.fetch()
    [answer] = _answers(loop, len(loop.forms))
    robot = mailkit.mail(
        loop.address("so-y-te"),
        [(f.get_filename(), f.get_content()) for f in answer.iter_attachments()],
        subject=f"Tự động trả lời: {answer['Subject']}",
        headers=[("Auto-Submitted", "auto-replied")],
        reply_to=answer["Message-ID"],
    )
    loop.append(robot)
    [outcome] = loop.fetch().outcomes
    assert outcome.kind == "auto-reply" and len(_answers(loop, len(loop.forms))) == 1


def test_fetch_command_and_status(loop, tmp_path, runner, monkeypatch):
    loop.send_forms()
    monkeypatch.setenv("REPORTGEN_NOW", NOW.isoformat())
    loop.append(loop.reply(tmp_path, "so-y-te", FAULTY))
    loop.append(loop.reply(tmp_path, "so-noi-vu", files=[]))
    loop.append(mailkit.mail("la@la.example", subject="Quảng cáo"))
    result = runner.invoke(cli, ["-w", str(loop.root), "fetch"])
    assert result.exit_code == 1, result.output  # a file with a cell to fix, a mail without a form
    assert "có biểu mẫu; đã trả lời 1 thư" in result.output and "không có tệp đính kèm" in result.output
    assert "Để nguyên 1 thư không thuộc biểu mẫu (1 thư không liên quan đến biểu mẫu)" in result.output
    status = runner.invoke(cli, ["-w", str(loop.root), "status", "--period", "2026-11"])
    assert "Thư đến: 2" in status.output and "1 không có tệp đính kèm" in status.output


# --- a whole month through the scheduler -------------------------------------------------------------------------
def test_a_month_through_the_scheduler_in_a_real_office_inbox(loop, tmp_path, monkeypatch):
    """forms sent → the inbox fills with replies, the office's copies, old mail, a spoofed sender
    and a bounce → replies collected and answered → reminders only to those who owe → report."""
    from reportgen.schedule import run_job

    root = str(loop.root)
    monkeypatch.setenv("REPORTGEN_NOW", "2026-11-01T08:05:00+07:00")
    run_job(root, "forms")
    for _, message in loop.sent.messages:
        loop.forms[str(message["To"])] = message
    assert len(loop.forms) >= 30
    replying = ["p-hoa-lu", "p-tam-diep", "so-y-te"]
    for code in replying:
        loop.append(loop.reply(tmp_path, code))
    for raw, when in _unrelated(loop, tmp_path):
        loop.append(raw, when)
    spoofed = loop.reply(tmp_path, "so-tu-phap", sender=loop.address("so-vh-tt"))
    loop.append(spoofed)
    loop.append(mailkit.bounce(loop.forms[loop.address("so-du-lich")].as_bytes(), loop.address("so-du-lich")))
    before = len(loop.sent.messages)
    monkeypatch.setenv("REPORTGEN_NOW", "2026-11-12T08:00:00+07:00")
    run_job(root, "collect")
    answered = _answers(loop, before)
    receivers = sorted(str(m["To"]) for m in answered)
    expected = sorted([loop.address(c) for c in replying] + [loop.address("so-vh-tt"), loop.address("so-tu-phap")])
    assert receivers == expected  # receipts, the held note and the notice; nothing to anyone else
    store = loop.store()
    try:
        assert {s.agency for s in store.submissions("2026-11")} == set(replying)  # none an agency did not make
    finally:
        store.close()
    before = len(loop.sent.messages)
    monkeypatch.setenv("REPORTGEN_NOW", "2026-11-17T08:10:00+07:00")
    run_job(root, "remind")
    reminders = _answers(loop, before)
    for copy in reminders:  # the office's copies come back to its inbox
        loop.append(copy.as_bytes(), datetime(2026, 11, 17, 8, 11, tzinfo=VN))
    assert not {str(m["To"]) for m in reminders} & {loop.address(c) for c in replying}
    before = len(loop.sent.messages)
    monkeypatch.setenv("REPORTGEN_NOW", "2026-11-18T08:00:00+07:00")
    run_job(root, "collect")
    assert _answers(loop, before) == []  # no reply to the office's own copies
    inbox = loop.inbox()
    unrelated_subjects = {"Công văn số 123/SNV-TCCB", "Dự toán ngân sách 2027", "Giấy mời họp giao ban"}
    untouched = [m for m in inbox if DONE_KEYWORD not in m.flags]
    assert unrelated_subjects <= {m.subject for m in untouched}
    assert len(untouched) == 8 + len(reminders)  # the office's other mail and its own copies, as they were

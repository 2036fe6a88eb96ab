"""The mailbox loop against a real Dovecot (IMAP, TLS) and a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import email
import io
import zipfile
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
import yaml

from reportgen.cli import cli
from reportgen.clock import VN
from reportgen.mailbox import DONE_KEYWORD
from reportgen.replies import fetch
from reportgen.store import Store
from reportgen.workspace import Workspace

from .helpers import fill, make_form, planner
from .test_hostile import _far_cell, _undefined_entity
from .test_mail import Inbox, _server

NOW = datetime(2026, 11, 12, 9, 0, tzinfo=VN)
GOOD = {"ninh-binh-2026|I.4.2": {"numerator": 19, "denominator": 20}}  # every department reports it
FAULTY = {"ninh-binh-2026|I.4.2": {"numerator": 30, "denominator": 20}}  # 150 %: a cell to fix


@pytest.fixture
def loop(workspace, dovecot, monkeypatch):
    """A workspace reading a fresh Dovecot mailbox and answering through aiosmtpd."""
    user, password = dovecot.account()
    sent = Inbox()
    smtp = _server(sent)
    path = workspace.config_dir / "settings.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["mail"].update({"mode": "smtp", "host": "127.0.0.1", "port": smtp.port, "security": "plain"})
    data["imap"].update({"host": "127.0.0.1", "port": dovecot.port, "username": user, "ca_file": str(dovecot.ca_file)})
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("REPORTGEN_IMAP_PASSWORD", password)
    yield Workspace(workspace.root), dovecot.box(user, password), sent
    smtp.stop()


def _mail(sender: str, files=(), subject="Báo cáo tháng 11/2026", headers=(), message_id=None) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "so-khcn@ninh-binh.example"
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="agency.example")
    message["Date"] = "Thu, 12 Nov 2026 08:00:00 +0700"
    for name, value in headers:
        message[name] = value
    message.set_content("Kính gửi Sở Khoa học và Công nghệ, đơn vị gửi báo cáo đính kèm.")
    for name, data in files:
        message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return message.as_bytes()


def _address(workspace, code: str) -> str:
    return workspace.registry.get(code).email


def _form(workspace, tmp_path, code: str, values) -> tuple[str, bytes]:
    path = fill(make_form(workspace, code, tmp_path / "forms" / code), values)
    return path.name, path.read_bytes()


def _zipped(*files: tuple[str, bytes]) -> tuple[str, bytes]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files:
            archive.writestr(name, data)
    return "bao-cao.zip", buffer.getvalue()


def _counts(workspace) -> dict[str, int]:
    store = Store.connect(workspace)
    try:
        return store.counts()
    finally:
        store.close()


def test_fifty_replies_are_collected_and_answered_once(loop, tmp_path):
    workspace, box, sent = loop
    asked = planner(workspace)
    agencies = [
        a.code
        for a in workspace.registry.agencies()
        if a.reports
        and a.email
        and a.code != "so-y-te"
        and "ninh-binh-2026|I.4.2" in {r.key for r in asked.spec(a.code).rows}
    ]
    assert len(agencies) >= 20
    messages = []
    for index, code in enumerate(agencies):
        form = _form(workspace, tmp_path, code, FAULTY if index % 6 == 0 else GOOD)
        if index == 5:
            form = _zipped(form)  # a clerk zips the form
        messages.append((_mail(_address(workspace, code), [form]), code))
    so_y_te = _form(workspace, tmp_path, "so-y-te", GOOD)
    first, second, third = agencies[1], agencies[2], agencies[3]
    messages += [
        (_mail("nguoi-khac@gmail.example", [so_y_te]), "wrong-sender"),  # the form decides the agency
        (_mail(_address(workspace, first), [("bao-cao.xlsx", b"not a workbook at all")]), "junk"),
        (_mail(_address(workspace, second), [("far.xlsx", _far_cell(workspace, tmp_path).read_bytes())]), "far"),
        (
            _mail(_address(workspace, third), [("entity.xlsx", _undefined_entity(workspace, tmp_path).read_bytes())]),
            "entity",
        ),
        (_mail(_address(workspace, first)), "no-attachment"),
        (_mail(_address(workspace, second), [("scan.pdf", b"%PDF-1.7\n%%EOF\n")]), "pdf"),
        (
            _mail(
                _address(workspace, third),
                subject="Tự động trả lời: Vắng mặt",
                headers=[("Auto-Submitted", "auto-replied")],
            ),
            "auto",
        ),
        (_mail("mailer-daemon@ninh-binh.example", subject="Undelivered Mail"), "bounce"),
        (_mail("la@la.example", subject="Quảng cáo"), "stranger"),
    ]
    while len(messages) < 50:  # the rest: departments sending a second office's part later
        code = agencies[len(messages) % len(agencies)]
        messages.append((_mail(_address(workspace, code), [_form(workspace, tmp_path, code, GOOD)]), code))
    for raw, _ in messages:
        box.append(raw, "INBOX")
    assert len(messages) == 50

    outcomes = fetch(workspace, NOW)
    assert len(outcomes) == 50
    kinds = [o.kind for o in outcomes]
    assert kinds.count("no-attachment") == 2 and kinds.count("auto-reply") == 2 and kinds.count("wrong-file") == 1
    store = Store.connect(workspace)
    try:
        assert len(store.mails()) == 50  # every message recorded, none lost
        assert sum(1 for m in store.mails() if m.files) == 50 - 5
        submissions = store.submissions("2026-11")
    finally:
        store.close()
    assert len({s.agency for s in submissions}) == len(agencies) + 1  # + Sở Y tế, from another address
    # answers: one per received file, threaded, with the marked workbook when there is a cell to fix
    answers = [m for _, m in sent.messages]
    replies = {m["In-Reply-To"] for m in answers}
    originals = {email.message_from_bytes(raw, policy=policy.default)["Message-ID"] for raw, _ in messages}
    assert replies <= originals
    assert all(m["Auto-Submitted"] == "auto-replied" for m in answers)
    files_sent = 50 - 5  # five messages without a spreadsheet
    notes = 2  # the agency without an attachment, the agency with a PDF
    assert len(answers) == files_sent + notes
    faulty = [m for m in answers if "ô cần sửa" in m.get_body(("plain",)).get_content()]
    assert len(faulty) == len(range(0, len(agencies), 6)) and all(
        any(p.get_filename() for p in m.iter_attachments()) for m in faulty
    )
    warned = [m for m in answers if "không phải địa chỉ đã đăng ký" in m.get_body(("plain",)).get_content()]
    assert len(warned) == 1 and "nguoi-khac@gmail.example" in warned[0]["To"]
    for m in answers:  # never an answer to a machine or a stranger
        assert m["To"] not in ("mailer-daemon@ninh-binh.example", "la@la.example")
    # every message is flagged on the server; a second run finds nothing and sends nothing
    flagged = [m for m in box.fetch(mark_seen=False) if DONE_KEYWORD in m.flags]
    assert len(flagged) == 50
    assert fetch(workspace, NOW) == [] and len(sent.messages) == len(answers)


def test_a_resent_message_is_processed_once(loop, tmp_path):
    workspace, box, sent = loop
    raw = _mail(_address(workspace, "so-y-te"), [_form(workspace, tmp_path, "so-y-te", GOOD)], message_id="<x@a>")
    box.append(raw, "INBOX")
    [first] = fetch(workspace, NOW)
    assert first.kind == "forms" and first.receipts[0].status == "accepted"
    box.append(raw, "INBOX")  # the same message delivered again
    [again] = fetch(workspace, NOW)
    assert again.kind == "already" and len(sent.messages) == 1
    assert _counts(workspace)["submissions"] == 1


def test_a_crash_mid_fetch_loses_nothing_and_duplicates_nothing(loop, tmp_path, monkeypatch):
    workspace, box, sent = loop
    codes = ["so-y-te", "so-tu-phap", "so-noi-vu", "so-tai-chinh"]
    for code in codes:
        box.append(_mail(_address(workspace, code), [_form(workspace, tmp_path, code, GOOD)]), "INBOX")
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
        fetch(workspace, NOW)
    assert len(sent.messages) == 2
    monkeypatch.setattr(replies, "deliver", real)
    outcomes = fetch(workspace, NOW)
    assert [o.kind for o in outcomes] == ["forms", "forms"]  # the third again, then the fourth
    assert _counts(workspace)["submissions"] == 4  # the third was stored once
    answered = [m["In-Reply-To"] for _, m in sent.messages]
    assert len(answered) == 4 and len(set(answered)) == 4  # each file answered exactly once
    assert fetch(workspace, NOW) == []


def test_an_auto_reply_to_our_answer_is_never_answered(loop, tmp_path):
    workspace, box, sent = loop
    code = "so-y-te"
    box.append(_mail(_address(workspace, code), [_form(workspace, tmp_path, code, FAULTY)]), "INBOX")
    fetch(workspace, NOW)
    [answer] = [m for _, m in sent.messages]
    # the agency's out-of-office robot answers our receipt, quoting its attachment back
    bounce = _mail(
        _address(workspace, code),
        [(f.get_filename(), f.get_content()) for f in answer.iter_attachments()],
        subject=f"Tự động trả lời: {answer['Subject']}",
        headers=[("Auto-Submitted", "auto-replied"), ("In-Reply-To", answer["Message-ID"])],
    )
    box.append(bounce, "INBOX")
    [outcome] = fetch(workspace, NOW)
    assert outcome.kind == "auto-reply" and len(sent.messages) == 1


def test_fetch_command_and_status(loop, tmp_path, runner, monkeypatch):
    workspace, box, sent = loop
    monkeypatch.setenv("REPORTGEN_NOW", NOW.isoformat())
    box.append(_mail(_address(workspace, "so-y-te"), [_form(workspace, tmp_path, "so-y-te", FAULTY)]), "INBOX")
    box.append(_mail(_address(workspace, "so-noi-vu")), "INBOX")
    result = runner.invoke(cli, ["-w", str(workspace.root), "fetch"])
    assert result.exit_code == 1, result.output  # a file with a cell to fix, a mail without a form
    assert "có biểu mẫu; đã trả lời 1 thư" in result.output and "không có tệp đính kèm" in result.output
    status = runner.invoke(cli, ["-w", str(workspace.root), "status", "--period", "2026-11"])
    assert "Thư đến: 2" in status.output and "1 không có tệp đính kèm" in status.output


def test_a_month_runs_unattended(loop, monkeypatch):
    """forms sent → replies fetched → receipts mailed → reminders only to the missing → report."""
    from reportgen.schedule import run_job

    workspace, box, sent = loop
    root = str(workspace.root)
    monkeypatch.setenv("REPORTGEN_NOW", "2026-11-01T08:05:00+07:00")
    run_job(root, "forms")
    forms = {m["To"]: m for _, m in sent.messages if m["Subject"].startswith("[Biểu mẫu báo cáo]")}
    assert len(forms) >= 30
    replying = ["p-hoa-lu", "p-tam-diep", "so-y-te"]
    asked = planner(workspace)
    for code in replying:
        original = forms[_address(workspace, code)]
        [attachment] = list(original.iter_attachments())
        typed = {
            "value": {"value": 10},
            "ratio": {"numerator": 9, "denominator": 10},
            "assessment": {"assessment": "Đạt", "note": "Văn bản số 12/QĐ-UBND"},
            "task": {"assessment": "Đã hoàn thành", "doc_number": "12/QĐ-UBND", "doc_date": "01/10/2026"},
        }
        values = {r.key: typed[r.input] for r in asked.spec(code).rows}
        path = workspace.root / "tmp" / attachment.get_filename()
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(attachment.get_content())
        fill(path, values)
        reply = _mail(
            _address(workspace, code),
            [(path.name, path.read_bytes())],
            subject=f"Re: {original['Subject']}",
            headers=[("In-Reply-To", original["Message-ID"])],
        )
        box.append(reply, "INBOX")
    before = len(sent.messages)
    monkeypatch.setenv("REPORTGEN_NOW", "2026-11-12T08:00:00+07:00")
    run_job(root, "collect")
    receipts = [m for _, m in sent.messages[before:]]
    assert sorted(m["To"] for m in receipts) == sorted(_address(workspace, c) for c in replying)
    assert _counts(workspace)["submissions"] == 3
    before = len(sent.messages)
    monkeypatch.setenv("REPORTGEN_NOW", "2026-11-14T08:10:00+07:00")
    run_job(root, "remind")
    reminded = {m["To"] for _, m in sent.messages[before:]}
    assert reminded and not reminded & {_address(workspace, c) for c in ("p-hoa-lu", "so-y-te")}
    before = len(sent.messages)
    monkeypatch.setenv("REPORTGEN_NOW", "2026-11-18T08:20:00+07:00")
    run_job(root, "report")
    [report] = [m for _, m in sent.messages[before:] if m["Subject"].startswith("[Báo cáo]")]
    assert any(a.get_filename().endswith(".docx") for a in report.iter_attachments())


def test_processed_messages_can_be_moved_to_a_folder(loop, tmp_path):
    workspace, box, sent = loop
    path = workspace.config_dir / "settings.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["imap"]["done_folder"] = "Da-xu-ly"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    workspace = Workspace(workspace.root)
    box.append(_mail(_address(workspace, "so-y-te"), [_form(workspace, tmp_path, "so-y-te", GOOD)]), "INBOX")
    box.append(_mail(_address(workspace, "so-noi-vu")), "INBOX")
    assert [o.kind for o in fetch(workspace, NOW)] == ["forms", "no-attachment"]
    box.folder.set("INBOX")
    assert list(box.fetch(mark_seen=False)) == []  # the inbox is left clean
    box.folder.set("Da-xu-ly")
    assert len(list(box.fetch(mark_seen=False))) == 2
    assert fetch(workspace, NOW) == []

"""Mail against a real SMTP server (aiosmtpd on 127.0.0.1): what arrives, to whom, once."""

from __future__ import annotations

import email
import io
import socket
import ssl
from datetime import datetime
from email import policy

import openpyxl
import pytest
import yaml
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from reportgen.cli import cli
from reportgen.clock import VN
from reportgen.errors import MailError
from reportgen.mail import Message, OutboxMailer, SmtpMailer, send_with_retry
from reportgen.messages import describe
from reportgen.periods import Period
from reportgen.store import Store
from reportgen.workspace import Workspace

from .helpers import fill, in_cycle, run_collect

PERIOD = Period.parse("2026-11")
BEFORE = datetime(2026, 11, 14, 8, 10, tzinfo=VN)  # 2 days before the 16/11 deadline
AFTER = datetime(2026, 11, 17, 8, 10, tzinfo=VN)  # 1 day late


class Inbox:
    """An aiosmtpd handler that keeps what arrives and can refuse the first messages."""

    def __init__(self, refuse: int = 0):
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.refuse = refuse

    async def handle_DATA(self, server, session, envelope):
        if self.refuse > 0:
            self.refuse -= 1
            return "451 4.3.0 Hệ thống bận, thử lại sau"
        message = email.message_from_bytes(envelope.original_content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def to(self, address: str):
        return [m for rcpt, m in self.messages if address in rcpt]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _server(handler, **kwargs):
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port(), **kwargs)
    controller.start()
    return controller


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = _server(inbox)
    yield inbox, controller.port
    controller.stop()


def _use_smtp(workspace: Workspace, port: int, **mail) -> Workspace:
    path = workspace.config_dir / "settings.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["mail"].update({"mode": "smtp", "host": "127.0.0.1", "port": port, "security": "plain", **mail})
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return Workspace(workspace.root)


def _expected_agencies(workspace):
    return {a.code for a in in_cycle(workspace, PERIOD, BEFORE, "overview").agencies}


@pytest.fixture
def month(workspace, tmp_path):
    """Forms for November, one complete submission (p-hoa-lu), one with problems (p-tam-diep)."""
    in_cycle(workspace, PERIOD, datetime(2026, 11, 1, 8, 5, tzinfo=VN), "make_forms", workers=1)
    folder = workspace.period_dir("2026-11") / "forms"
    rows = in_cycle(workspace, PERIOD, BEFORE, "duties").rows("p-hoa-lu")
    every = {r.key: {"value": 12} if r.input == "value" else {"numerator": 9, "denominator": 10} for r in rows}
    good = fill(folder / "2026-11_p-hoa-lu.xlsx", every, target=tmp_path / "in" / "2026-11_p-hoa-lu.xlsx")
    bad = fill(
        folder / "2026-11_p-tam-diep.xlsx",
        {"ninh-binh-2026|I.4.2": {"numerator": 140, "denominator": 100}},
        target=tmp_path / "in" / "2026-11_p-tam-diep.xlsx",
    )
    run_collect(workspace, [good, bad], received=datetime(2026, 11, 12, 9, tzinfo=VN))
    return workspace


def test_reminders_go_only_to_those_who_have_not_submitted_and_never_twice(month, smtp):
    inbox, port = smtp
    workspace = _use_smtp(month, port)
    results = in_cycle(workspace, PERIOD, BEFORE, "remind")
    reminders = [
        r for r in results if r.planned.kind == "reminder" or any(p.startswith("reminder|") for p in r.planned.parts)
    ]
    assert all(r.status == "sent" for r in results)
    recipients = {r.planned.agency.code for r in reminders}
    assert len({r.planned.agency.code for r in results}) == len(results)  # one mail per agency today
    assert recipients == _expected_agencies(workspace) - {"p-hoa-lu"}  # p-tam-diep: problems to fix
    assert not inbox.to("p-hoa-lu@ninh-binh.example")
    [message] = [m for m in inbox.to("so-y-te@ninh-binh.example") if "Nhắc báo cáo" in m["Subject"]]
    assert message["Subject"] == "[Nhắc báo cáo] Tháng 11/2026 — hạn 16/11/2026 — Sở Y tế"
    body = message.get_body(("plain",)).get_content()
    assert "Kính gửi: Sở Y tế," in body and "còn 2 ngày đến hạn" in body and "Đến nay đơn vị chưa gửi" in body
    assert "Phòng Quản lý khoa học" in body
    html = message.get_body(("html",)).get_content()
    assert "Kính gửi: Sở Y tế," in html
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "2026-11_so-y-te.xlsx"
    assert openpyxl.load_workbook(io.BytesIO(attachment.get_content()))["BaoCao"]
    count = len(inbox.messages)
    again = in_cycle(workspace, PERIOD, BEFORE.replace(hour=15), "remind")
    assert {r.status for r in again} == {"already-sent"}
    assert len(inbox.messages) == count  # no second message on re-run


def test_agency_with_problems_gets_its_marked_workbook(month, smtp):
    inbox, port = smtp
    workspace = _use_smtp(month, port)
    in_cycle(workspace, PERIOD, BEFORE, "remind")
    [message] = [m for m in inbox.to("p-tam-diep@ninh-binh.example") if "Nhắc báo cáo" in m["Subject"]]
    assert "còn 1 lỗi cần sửa" in message.get_body(("plain",)).get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "2026-11_p-tam-diep_tra-lai.xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO(attachment.get_content()))["BaoCao"]
    assert any(c.comment and "lớn hơn mẫu số" in c.comment.text for row in sheet.iter_rows() for c in row)


def test_overdue_notice_copies_the_monitoring_agency(month, smtp):
    inbox, port = smtp
    workspace = _use_smtp(month, port)
    results = in_cycle(workspace, PERIOD, AFTER, "remind")
    overdue = [r for r in results if r.planned.kind == "overdue"]
    assert overdue and not [r for r in results if r.planned.kind == "reminder"]
    [message] = [m for m in inbox.to("so-y-te@ninh-binh.example") if "Quá hạn" in m["Subject"]]
    assert message["Subject"] == "[Quá hạn báo cáo] Tháng 11/2026 — Sở Y tế"
    assert "so-khcn@ninh-binh.example" in message["Cc"]
    assert "quá 1 ngày" in message.get_body(("plain",)).get_content()


def test_send_forms_once_each_with_the_form_attached(month, smtp, runner):
    inbox, port = smtp
    workspace = _use_smtp(month, port)
    result = runner.invoke(
        cli, ["-w", str(workspace.root), "send-forms", "--period", "2026-11", "--agency", "so-khcn", "--agency", "vnpt"]
    )
    assert result.exit_code == 0, result.output
    assert "đã gửi" in result.output
    [message] = inbox.to("vnpt@ninh-binh.example")
    assert message["Subject"] == "[Biểu mẫu báo cáo] Tháng 11/2026 — Viễn thông Ninh Bình (VNPT)"
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "2026-11_vnpt.xlsx"
    workbook = openpyxl.load_workbook(io.BytesIO(attachment.get_content()))
    assert "Viễn thông Ninh Bình (VNPT)" in workbook["BaoCao"]["B2"].value
    again = runner.invoke(cli, ["-w", str(workspace.root), "send-forms", "--period", "2026-11"])
    assert again.exit_code == 0
    assert again.output.count("đã gửi trước đó") == 2
    assert len(inbox.to("vnpt@ninh-binh.example")) == 1


def test_retry_after_the_server_refuses_then_recovers(tmp_path):
    inbox = Inbox(refuse=2)
    controller = _server(inbox)
    try:
        mailer = SmtpMailer("127.0.0.1", controller.port, "plain", "so-khcn@ninh-binh.example")
        waits = []
        message = Message(("a@ninh-binh.example",), "Thử gửi lại", "nội dung", "<p>nội dung</p>")
        message_id, attempts = send_with_retry(mailer, message, retries=3, sleep=waits.append)
    finally:
        controller.stop()
    assert attempts == 3 and waits == [2.0, 4.0]  # exponential backoff
    assert len(inbox.messages) == 1 and inbox.messages[0][1]["Message-ID"] == message_id


def test_a_failed_send_shows_in_status_and_is_retried_on_the_next_run(month, runner):
    inbox = Inbox(refuse=10_000)
    controller = _server(inbox)
    workspace = _use_smtp(month, controller.port, retries=1)
    try:
        result = runner.invoke(
            cli,
            ["-w", str(workspace.root), "send-forms", "--period", "2026-11", "--agency", "vnpt"],
            env={"REPORTGEN_NOW": BEFORE.isoformat()},
        )
        assert result.exit_code == 1
        assert "GỬI LỖI" in result.output and "451" in result.output
        status = runner.invoke(cli, ["-w", str(workspace.root), "status", "--period", "2026-11", "--json"])
        import json

        failed = json.loads(status.stdout)["mail"]["failed"]
        assert [(f["agency"], f["attempts"]) for f in failed] == [("vnpt", 2)]
        inbox.refuse = 0  # the server recovers
        result = runner.invoke(
            cli, ["-w", str(workspace.root), "send-forms", "--period", "2026-11", "--agency", "vnpt"]
        )
        assert result.exit_code == 0 and "đã gửi" in result.output
    finally:
        controller.stop()
    assert len(inbox.to("vnpt@ninh-binh.example")) == 1
    store = Store.open(workspace)
    [record] = store.sends(period="2026-11")
    assert (record.status, record.attempts) == ("sent", 3)
    store.close()


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    folder = tmp_path_factory.mktemp("tls")
    ca_file = folder / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server)
    return server, str(ca_file)


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"vanthu" and auth_data.password == b"bi-mat"
    return AuthResult(success=ok)


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_tls_modes_verify_certificates_and_login(certificates, security, monkeypatch):
    server_context, ca_file = certificates
    inbox = Inbox()
    # aiosmtpd does not count implicit TLS as TLS for AUTH (aio-libs/aiosmtpd #281): allow it there.
    options = (
        {"ssl_context": server_context, "auth_require_tls": False}
        if security == "ssl"
        else {"tls_context": server_context, "require_starttls": True}
    )
    controller = _server(inbox, authenticator=_authenticator, **options)
    message = Message(("a@ninh-binh.example",), "Tiếng Việt có dấu", "nội dung", "<p>nội dung</p>")
    try:
        trusted = SmtpMailer(
            "127.0.0.1", controller.port, security, "so-khcn@ninh-binh.example", "vanthu", "bi-mat", ca_file=ca_file
        )
        trusted.send(message)
        with pytest.raises(MailError) as refused:  # a self-signed server is not trusted by default
            SmtpMailer("127.0.0.1", controller.port, security, "so-khcn@ninh-binh.example", "vanthu", "bi-mat").send(
                message
            )
        assert "chứng chỉ" in describe(refused.value) and "CERTIFICATE" in describe(refused.value).upper()
    finally:
        controller.stop()
    [(_, received)] = inbox.messages
    assert received["Subject"] == "Tiếng Việt có dấu"


def test_password_only_from_the_environment_and_never_prompted(workspace, monkeypatch, runner):
    workspace = _use_smtp(workspace, 25, username="vanthu", security="starttls")
    in_cycle(workspace, PERIOD, None, "make_forms", agencies=["vnpt"], workers=1)
    monkeypatch.setattr("getpass.getpass", lambda *a, **k: pytest.fail("prompted for a password"))
    result = runner.invoke(cli, ["-w", str(workspace.root), "send-forms", "--period", "2026-11"], input="")
    assert result.exit_code == 1
    assert "đặt biến môi trường REPORTGEN_SMTP_PASSWORD" in result.output


def test_outbox_writes_readable_eml_files(workspace, tmp_path, runner):
    in_cycle(workspace, PERIOD, None, "make_forms", agencies=["so-y-te"], workers=1)
    result = runner.invoke(
        cli,
        ["-w", str(workspace.root), "send-forms", "--period", "2026-11"],
        env={"REPORTGEN_NOW": "2026-11-01T08:05:00"},
    )
    assert result.exit_code == 0, result.output
    assert "đã ghi vào hộp thư đi" in result.output and "output/outbox" in result.output
    [path] = list((workspace.output_dir / "outbox").glob("*.eml"))
    assert path.name.startswith("20261101-080500_so-y-te_")
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message["Subject"] == "[Biểu mẫu báo cáo] Tháng 11/2026 — Sở Y tế"
    assert "=?utf-8?" in path.read_text("ascii")  # RFC 2047 on the wire
    [attachment] = list(message.iter_attachments())
    assert openpyxl.load_workbook(io.BytesIO(attachment.get_content()))


def test_a_body_that_names_a_file_is_never_attached(tmp_path):
    existing = tmp_path / "setup.py"
    existing.write_text("print('x')")
    message = Message(("a@x.example",), "Tiêu đề", str(existing), f"<p>{existing}</p>")
    OutboxMailer(tmp_path / "outbox", "b@x.example").send(message)
    [path] = list((tmp_path / "outbox").glob("*.eml"))
    parsed = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert list(parsed.iter_attachments()) == []
    assert parsed.get_body(("plain",)).get_content().strip() == str(existing)


class Dropper(Inbox):
    """A server that stores the message, then drops the connection without a reply."""

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        server.transport.close()
        return "250 OK"  # never reaches the client


def test_a_dropped_connection_never_sends_a_message_twice_blindly(month, runner):
    import json

    dropper = Dropper()
    controller = _server(dropper)
    workspace = _use_smtp(month, controller.port)
    root = str(workspace.root)

    def send(at: datetime):
        return runner.invoke(
            cli,
            ["-w", root, "send-forms", "--period", "2026-11", "--agency", "vnpt"],
            env={"REPORTGEN_NOW": at.isoformat()},
        )

    try:
        first = send(BEFORE)
        assert first.exit_code == 1 and "CHƯA RÕ ĐÃ ĐẾN CHƯA" in first.output
        assert len(dropper.messages) == 1  # not retried in the same run
        assert send(BEFORE).exit_code == 1 and len(dropper.messages) == 1  # nor on the next run, too soon
        status = json.loads(runner.invoke(cli, ["-w", root, "status", "--period", "2026-11", "--json"]).stdout)
        [unknown] = status["mail"]["unknown"]
        assert unknown["agency"] == "vnpt" and unknown["next_try"]
        later = send(BEFORE.replace(hour=10))  # after the delay: once more, with the same Message-ID
        assert len(dropper.messages) == 2 and "CHƯA RÕ" in later.output
        ids = {m["Message-ID"] for _, m in dropper.messages}
        assert ids == {unknown["message_id"]}
        send(BEFORE.replace(day=15))  # and then never again: a person decides
        assert len(dropper.messages) == 2
        text = runner.invoke(cli, ["-w", root, "status", "--period", "2026-11"]).output
        assert "Thư chưa rõ đã đến hay chưa (1)" in text
    finally:
        controller.stop()


def test_one_mail_per_agency_per_day(month, smtp):
    inbox, port = smtp
    workspace = _use_smtp(month, port)
    results = in_cycle(workspace, PERIOD, AFTER, "remind")
    agencies = [r.planned.agency.code for r in results]
    assert len(agencies) == len(set(agencies))
    [daily] = [r for r in results if r.planned.agency.code == "so-khcn"]
    kinds = {p.partition("|")[0] for p in daily.planned.parts}
    assert daily.planned.kind == "daily" and {"overdue", "task-overdue"} <= kinds
    [message] = [m for m in inbox.to("so-khcn@ninh-binh.example") if "so-khcn@" in m["To"]]
    body = message.get_body(("plain",)).get_content()
    assert message["Subject"].startswith("[Nhắc việc ngày 17/11/2026]")
    assert all(f"{i}. " in body for i in range(1, len(daily.planned.parts) + 1))
    tasks = [p.rpartition("|")[2] for p in daily.planned.parts if p.startswith("task-overdue|")]
    assert tasks and all(code in body for code in tasks)
    count = len(inbox.messages)
    again = in_cycle(workspace, PERIOD, AFTER.replace(hour=15), "remind")
    assert {r.status for r in again} == {"already-sent"} and len(inbox.messages) == count


def test_an_overdue_notice_is_copied_only_to_whom_the_agency_answers(month, smtp):
    inbox, port = smtp
    workspace = _use_smtp(month, port)
    in_cycle(workspace, PERIOD, AFTER, "remind")
    [notice] = [m for m in inbox.to("cong-an@ninh-binh.example") if "cong-an@" in m["To"]]
    copies = {c.strip() for c in (notice["Cc"] or "").split(",") if c.strip()}
    registry = workspace.registry
    assert registry.get("so-khcn").email in copies  # the office that runs the cycle
    assert registry.get("so-du-lich").email not in copies
    assert len(copies) <= 3, copies

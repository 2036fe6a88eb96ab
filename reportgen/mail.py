"""Sending mail: one small interface, an SMTP mailer and an outbox mailer.

Messages are built with :mod:`email` (Vietnamese subject RFC 2047-encoded, a
plain-text and an HTML body, attachments under ASCII-safe names) and sent with
:mod:`smtplib` in SSL, STARTTLS or plain mode, certificates verified. The
password comes only from an environment variable. Without SMTP settings every
message is written as an ``.eml`` file into ``output/outbox/`` instead.

yagmail is not used: it returns False instead of raising, attaches any body
string that names a file, and verifies no certificate unless told (see
docs/pitfalls.md §6); the few lines of smtplib below do exactly what we need.
"""

from __future__ import annotations

import hashlib
import os
import re
import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email import policy as email_policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path
from typing import Protocol

from .errors import MailError
from .text import slugify

__all__ = [
    "Message",
    "Mailer",
    "SmtpMailer",
    "OutboxMailer",
    "build",
    "mailer_from_settings",
    "send_with_retry",
    "message_id_for",
]


@dataclass(frozen=True)
class Message:
    to: tuple[str, ...]
    subject: str
    text: str
    html: str
    cc: tuple[str, ...] = ()
    attachments: tuple[tuple[Path, str], ...] = ()  # (file, the name shown to the recipient)
    headers: tuple[tuple[str, str], ...] = ()  # In-Reply-To, References, Auto-Submitted of an answer


class Mailer(Protocol):
    def send(self, message: Message, message_id: str | None = None) -> str:
        """Send ``message`` (under ``message_id`` when given); return its Message-ID. Raises MailError."""


def message_id_for(key: str, sender: str) -> str:
    """The one Message-ID of a planned mail: the same on every try, so that a copy that did arrive
    after a dropped connection is recognisably the same message.

    >>> message_id_for("form|vnpt|2026-11", "so-khcn@ninh-binh.example")
    '<51fe598cea1e52dc995c7bdb.reportgen@ninh-binh.example>'
    """
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]
    return f"<{digest}.reportgen@{sender.rpartition('@')[2] or 'reportgen.local'}>"


_SAFE = re.compile(r"[A-Za-z0-9._-]+")


def ascii_name(name: str) -> str:
    """An attachment name every mail client shows the same way.

    >>> ascii_name("Biểu mẫu tháng 11_Sở Y tế.xlsx")
    'bieu-mau-thang-11-so-y-te.xlsx'
    >>> ascii_name("2026-11_so-y-te.xlsx")
    '2026-11_so-y-te.xlsx'
    """
    if _SAFE.fullmatch(name):
        return name
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        return slugify(name)
    return f"{slugify(stem)}.{slugify(suffix)}"


def build(
    message: Message,
    sender: str,
    sender_name: str = "",
    when: datetime | None = None,
    message_id: str | None = None,
) -> EmailMessage:
    email = EmailMessage()
    email["From"] = formataddr((sender_name, sender)) if sender_name else sender
    email["To"] = ", ".join(message.to)
    if message.cc:
        email["Cc"] = ", ".join(message.cc)
    email["Subject"] = message.subject
    email["Date"] = format_datetime(when) if when else format_datetime(datetime.now().astimezone())
    domain = sender.rpartition("@")[2] or "reportgen.local"
    email["Message-ID"] = message_id or make_msgid(domain=domain)
    for name, value in message.headers:
        email[name] = value
    email.set_content(message.text)
    email.add_alternative(message.html, subtype="html")
    for path, shown in message.attachments:
        data = Path(path).read_bytes()
        maintype, subtype = _mime(shown)
        email.add_attachment(data, maintype=maintype, subtype=subtype, filename=ascii_name(shown))
    # Bodies were encoded above with 76-character lines; the headers are folded when the message
    # is written, under this policy: never, for any subject we write.
    email.policy = _POLICY
    return email


# Python folds long headers at 78 characters and, folding encoded words, drops the space between
# them (CPython issue 92081: "các chỉ tiêu" arrives as "cácchỉ tiêu"). Lines may be 998 long
# (RFC 5322): an unfolded subject arrives exactly as written.
_POLICY = email_policy.default.clone(max_line_length=998)

_TYPES = {
    "xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "docx": ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "pdf": ("application", "pdf"),
    "png": ("image", "png"),
}


def _mime(name: str) -> tuple[str, str]:
    return _TYPES.get(name.rpartition(".")[2].lower(), ("application", "octet-stream"))


@dataclass
class SmtpMailer:
    host: str
    port: int
    security: str  # ssl | starttls | plain
    sender: str
    username: str = ""
    password: str = ""
    ca_file: str = ""
    timeout: float = 30.0
    sender_name: str = ""

    def _context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.ca_file or None)
        return context  # certificate and host name are verified

    def _connect(self) -> smtplib.SMTP:
        if self.security == "ssl":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self._context())
        client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.security == "starttls":
            client.starttls(context=self._context())
        return client

    def send(self, message: Message, message_id: str | None = None) -> str:
        email = build(message, self.sender, self.sender_name, message_id=message_id)
        recipients = list(message.to) + list(message.cc)
        transmitted = False  # the whole message went out: a failure after this leaves its fate unknown
        try:
            with self._connect() as client:
                if self.username:
                    client.login(self.username, self.password)
                send = client.send

                def tracking(data) -> None:
                    nonlocal transmitted
                    send(data)
                    if isinstance(data, bytes) and data.endswith(b"\r\n.\r\n"):
                        transmitted = True

                client.send = tracking  # type: ignore[method-assign,assignment]
                refused = client.send_message(email, from_addr=self.sender, to_addrs=recipients)
        except smtplib.SMTPResponseException as exc:
            raise MailError(
                "server-said", temporary=400 <= exc.smtp_code < 500, code=exc.smtp_code, text=_text(exc.smtp_error)
            ) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise MailError("recipients-refused", recipients=", ".join(exc.recipients)) from exc
        except OSError as exc:  # smtplib's own errors are OSErrors too: disconnects, timeouts, TLS
            if transmitted:  # the server may have stored it: never blindly send it again
                raise MailError("outcome-unknown", unknown=True, error=f"{type(exc).__name__}: {exc}") from exc
            if isinstance(exc, ssl.SSLError):
                raise MailError("tls", error=str(exc)) from exc
            if isinstance(exc, (smtplib.SMTPServerDisconnected, ConnectionError, TimeoutError)):
                raise MailError("connection", temporary=True, error=f"{type(exc).__name__}: {exc}") from exc
            temporary = not isinstance(exc, smtplib.SMTPException)
            raise MailError("other", temporary=temporary, error=f"{type(exc).__name__}: {exc}") from exc
        if refused:  # some recipients were refused: a failure, not a silent partial send
            raise MailError("recipients-refused", recipients=", ".join(refused))
        return email["Message-ID"]


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


@dataclass
class OutboxMailer:
    """Writes each message as an .eml file, for preview in any mail client."""

    folder: Path
    sender: str
    sender_name: str = ""
    clock: Callable[[], datetime] = field(default=lambda: datetime.now().astimezone())

    def send(self, message: Message, message_id: str | None = None) -> str:
        now = self.clock()
        email = build(message, self.sender, self.sender_name, when=now, message_id=message_id)
        self.folder.mkdir(parents=True, exist_ok=True)
        first = message.to[0] if message.to else "khong-nguoi-nhan"
        stem = f"{now:%Y%m%d-%H%M%S}_{slugify(first.split('@')[0])}_{slugify(message.subject)[:60]}"
        path = self.folder / f"{stem}.eml"
        index = 2
        while path.exists():
            path = self.folder / f"{stem}-{index}.eml"
            index += 1
        path.write_bytes(email.as_bytes())
        return email["Message-ID"]


def mailer_from_settings(settings: dict, outbox: Path, clock: Callable[[], datetime] | None = None):
    """The configured mailer: SMTP when mail.mode is smtp, the outbox otherwise."""
    sender = settings["mail.sender"]
    name = settings["office.issuer_name"]
    if settings["mail.mode"] != "smtp":
        return OutboxMailer(outbox, sender, name, **({"clock": clock} if clock else {}))
    if not settings["mail.host"]:
        raise MailError("no-host")
    if settings["mail.security"] not in ("ssl", "starttls", "plain"):
        raise MailError("bad-security", value=settings["mail.security"])
    if settings["mail.security"] == "plain" and settings["mail.username"] and not settings["mail.allow_plain_auth"]:
        raise MailError("plain-auth", host=settings["mail.host"])
    password = ""
    if settings["mail.username"]:
        variable = settings["mail.password_env"]
        password = os.environ.get(variable, "")
        if not password:
            raise MailError("no-password", variable=variable)
    return SmtpMailer(
        settings["mail.host"],
        int(settings["mail.port"]),
        settings["mail.security"],
        sender,
        settings["mail.username"],
        password,
        settings["mail.ca_file"],
        sender_name=name,
    )


def send_with_retry(
    mailer: Mailer,
    message: Message,
    retries: int,
    sleep: Callable[[float], None] = time.sleep,
    base_delay: float = 2.0,
    message_id: str | None = None,
) -> tuple[str, int]:
    """Send, retrying temporary failures with exponential backoff. Returns (message-id, attempts).
    A send whose outcome is unknown (the connection dropped after the message went out) is not
    retried here."""
    attempt = 0
    while True:
        attempt += 1
        try:
            return mailer.send(message, message_id), attempt
        except MailError as error:
            if not error.temporary or attempt > retries:
                error.attempts = attempt
                raise
            sleep(base_delay * 2 ** (attempt - 1))

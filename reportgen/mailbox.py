"""The office mailbox over IMAP (imap-tools): the replies agencies send with their filled forms.

Only this module speaks IMAP. It connects with TLS and a verified certificate (implicit
TLS on 993, or STARTTLS), logs in with the password from an environment variable, and
hands out each message not yet processed as an :class:`Incoming`: its Message-ID, sender,
subject, whether it was sent by a machine (an out-of-office reply, a list), and its
spreadsheet attachments, also those inside a .zip. A processed message is flagged with
the keyword ``Reportgen`` or moved to a folder (``imap.done_folder``).
"""

from __future__ import annotations

import hashlib
import io
import os
import ssl
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import parseaddr

from .errors import MailError
from .text import nfc

__all__ = [
    "Incoming",
    "Mailbox",
    "MemoryMailbox",
    "incoming",
    "is_automatic",
    "open_mailbox",
    "DONE_KEYWORD",
    "SPREADSHEETS",
]

DONE_KEYWORD = "Reportgen"
SPREADSHEETS = (".xlsx", ".xls", ".ods")
MAX_ATTACHMENT = 20 * 1024 * 1024  # a form is a few hundred KB; more is refused by intake anyway
MAX_IN_ZIP = 50  # spreadsheets taken from one .zip


@dataclass
class Incoming:
    """One message, as the loop needs it."""

    uid: str
    message_id: str
    sender: str
    subject: str
    sent_at: str | None
    references: tuple[str, ...]
    automatic: bool
    files: list[tuple[str, bytes]] = field(default_factory=list)  # spreadsheets, unpacked from zips
    others: list[str] = field(default_factory=list)  # attachments of another kind (a PDF, a photo)


def is_automatic(headers: dict[str, tuple[str, ...]], sender: str = "") -> bool:
    """A message no person wrote: never answered (RFC 3834), so two robots never talk forever.

    >>> is_automatic({"auto-submitted": ("auto-replied",)}), is_automatic({"precedence": ("bulk",)})
    (True, True)
    >>> is_automatic({"auto-submitted": ("no",)}), is_automatic({}, "mailer-daemon@x.vn")
    (False, True)
    """
    first = {k.lower(): (v[0] if v else "").strip().lower() for k, v in headers.items()}
    if first.get("auto-submitted", "no") != "no":
        return True
    if first.get("precedence") in ("bulk", "junk", "list", "auto_reply"):
        return True
    if any(name in first for name in ("x-autoreply", "x-autorespond", "list-id", "list-unsubscribe")):
        return True
    local = sender.partition("@")[0].lower()
    return local in ("mailer-daemon", "postmaster", "noreply", "no-reply")


def _spreadsheets(name: str, payload: bytes) -> tuple[list[tuple[str, bytes]], list[str]]:
    """The spreadsheets of one attachment (itself, or those inside a zip) and the other names."""
    lower = name.lower()
    if lower.endswith(SPREADSHEETS):
        return [(name, payload)], []
    if lower.endswith(".zip"):
        found: list[tuple[str, bytes]] = []
        try:
            with zipfile.ZipFile(io.BytesIO(payload)) as archive:
                for info in archive.infolist():
                    inner = nfc(info.filename.rpartition("/")[2])
                    if info.is_dir() or not inner.lower().endswith(SPREADSHEETS) or len(found) >= MAX_IN_ZIP:
                        continue
                    if info.file_size > MAX_ATTACHMENT:  # declared too large: let intake refuse it, unread
                        found.append((inner, b""))
                        continue
                    with archive.open(info) as member:
                        found.append((inner, member.read(MAX_ATTACHMENT + 1)))
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError):
            return [], [name]
        return (found, []) if found else ([], [name])
    return [], [name]


def incoming(message) -> Incoming:
    """An :class:`Incoming` from an imap-tools ``MailMessage``."""
    headers = {k.lower(): v for k, v in message.headers.items()}
    sender = parseaddr(message.from_ or "")[1].lower()
    message_id = (headers.get("message-id") or ("",))[0].strip()
    if not message_id:  # no Message-ID: one made from what the message is, the same on every fetch
        digest = hashlib.sha256(message.obj.as_bytes()).hexdigest()[:32]
        message_id = f"<{digest}.no-id@reportgen.local>"
    references = tuple((headers.get("references") or ("",))[0].split())
    out = Incoming(
        uid=str(message.uid),
        message_id=message_id,
        sender=sender,
        subject=nfc(message.subject or ""),
        sent_at=message.date.isoformat() if message.date and message.date.year > 1900 else None,
        references=references,
        automatic=is_automatic(headers, sender),
    )
    for attachment in message.attachments:
        name = nfc(attachment.filename or "tep-dinh-kem")
        files, others = _spreadsheets(name, attachment.payload or b"")
        out.files += files
        out.others += others
    return out


class Mailbox:
    """A logged-in IMAP session on the office's folder."""

    def __init__(self, box, folder: str, done_folder: str):
        self.box = box
        self.folder = folder
        self.done_folder = done_folder

    def __enter__(self) -> Mailbox:
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.box.logout()
        except Exception:  # noqa: BLE001, S110 - the session is over either way
            pass

    def unprocessed(self) -> Iterator[Incoming]:
        """The messages not yet flagged as processed, oldest first, each read once."""
        from imap_tools import AND

        criteria = AND(all=True) if self.done_folder else AND(no_keyword=DONE_KEYWORD)
        for message in self.box.fetch(criteria, mark_seen=False, bulk=False):
            yield incoming(message)

    def done(self, uid: str) -> None:
        """Mark one message processed: moved to the done folder, or flagged."""
        if self.done_folder:
            self.box.move([uid], self.done_folder)
        else:
            self.box.flag([uid], DONE_KEYWORD, True)


def open_mailbox(settings: dict) -> Mailbox:
    """Log in to the configured mailbox; :class:`MailError` with a Vietnamese reason otherwise."""
    from imap_tools import MailBox, MailBoxStartTls
    from imap_tools.errors import MailboxLoginError

    host = settings["imap.host"]
    if not host:
        raise MailError("no-imap-host")
    variable = settings["imap.password_env"]
    password = os.environ.get(variable, "")
    if not password:
        raise MailError("no-imap-password", variable=variable)
    context = ssl.create_default_context(cafile=settings["imap.ca_file"] or None)
    security = settings["imap.security"]
    if security not in ("ssl", "starttls"):
        raise MailError("bad-imap-security", value=security)
    try:
        kind = MailBox if security == "ssl" else MailBoxStartTls
        box = kind(host, int(settings["imap.port"]), ssl_context=context, timeout=60)
        box.login(settings["imap.username"], password, initial_folder=settings["imap.folder"])
    except MailboxLoginError as exc:
        raise MailError("imap-login", host=host, user=settings["imap.username"]) from exc
    except ssl.SSLError as exc:
        raise MailError("imap-tls", host=host, error=str(exc.reason or exc)) from exc
    except OSError as exc:
        raise MailError("imap-connect", host=host, port=settings["imap.port"], error=str(exc)) from exc
    done = settings["imap.done_folder"]
    if done and not box.folder.exists(done):
        box.folder.create(done)
    return Mailbox(box, settings["imap.folder"], done)


class MemoryMailbox(Mailbox):
    """Messages held in memory, processed like the office mailbox: the demo's replies, which
    show the whole loop without a mail server."""

    def __init__(self, messages: list[Incoming]):
        super().__init__(None, "INBOX", "")
        self.messages = list(messages)
        self.processed: set[str] = set()

    def __exit__(self, *exc) -> None:
        return None

    def unprocessed(self) -> Iterator[Incoming]:
        yield from [m for m in self.messages if m.uid not in self.processed]

    def done(self, uid: str) -> None:
        self.processed.add(uid)

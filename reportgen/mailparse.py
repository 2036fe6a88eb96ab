"""What one received message holds, read from its raw bytes. Pure: bytes in, an :class:`Incoming` out.

A message is taken apart once, whatever it holds: its sender, its thread (In-Reply-To,
References), when it arrived, whether a machine wrote it (an out-of-office reply, a list)
or it is a bounce (a delivery status notification), the spreadsheets it carries (also
inside a .zip, a forwarded message or Outlook's winmail.dat), and every part that cannot
be used with the reason why (a password-protected .zip, a .rar, a huge member, broken
base64). What is never a form is passed over in silence: inline and signature images,
macOS resource forks (``__MACOSX/``, ``._*``), ``.DS_Store``. Nothing here raises for the
message's sake: a message that cannot be read at all is an :class:`Incoming` with ``broken``.
"""

from __future__ import annotations

import email
import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email import errors as email_errors
from email import policy
from email.message import Message
from email.utils import parseaddr, parsedate_to_datetime

from .clock import to_vn
from .text import clean, nfc

__all__ = [
    "Incoming",
    "Refused",
    "Bounce",
    "parse",
    "message_id_of",
    "is_automatic",
    "SPREADSHEETS",
    "MAX_ATTACHMENT",
    "MAX_IN_ZIP",
]

SPREADSHEETS = (".xlsx", ".xls", ".ods")
OTHER_ARCHIVES = {".rar": "RAR", ".7z": "7-Zip"}
MAX_ATTACHMENT = 20 * 1024 * 1024  # a form is a few hundred KB; intake refuses more anyway
MAX_IN_ZIP = 50  # spreadsheets taken from one .zip
_SILENT_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}
_SIGNATURE_IMAGE = re.compile(r"^image\d{3}\.(png|jpe?g|gif|bmp)$", re.I)
_BROKEN_BASE64 = (email_errors.InvalidBase64CharactersDefect, email_errors.InvalidBase64LengthDefect)
_TYPE_SUFFIX = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "application/zip": ".zip",
    "application/x-zip-compressed": ".zip",
    "application/ms-tnef": ".dat",
    "application/vnd.ms-tnef": ".dat",
    "application/x-rar-compressed": ".rar",
    "application/vnd.rar": ".rar",
    "application/x-7z-compressed": ".7z",
    "application/pdf": ".pdf",
}


@dataclass(frozen=True)
class Refused:
    """A part of a message that may be a form but cannot be used: ``reason`` is a key of
    :data:`reportgen.messages.MAIL_PARTS`."""

    name: str
    reason: str
    facts: tuple[tuple[str, object], ...] = ()

    def to_json(self) -> dict:
        return {"name": self.name, "reason": self.reason, **dict(self.facts)}


@dataclass(frozen=True)
class Bounce:
    """A delivery status notification: the addresses a mail could not reach, and the
    Message-IDs of the mail it returns (when it quotes them)."""

    recipients: tuple[str, ...]
    original: tuple[str, ...]


@dataclass
class Incoming:
    """One message, as the loop needs it."""

    uid: str
    message_id: str
    sender: str
    subject: str
    sent_at: str | None  # the Date header (the sender's clock)
    references: tuple[str, ...]  # In-Reply-To and References: the thread it answers
    automatic: bool
    files: list[tuple[str, bytes]] = field(default_factory=list)  # spreadsheets, unpacked from zips
    others: list[str] = field(default_factory=list)  # attachments of another kind (a PDF, a photo)
    refused: list[Refused] = field(default_factory=list)  # parts that may be forms but cannot be used
    arrived_at: str | None = None  # when the server received it (IMAP INTERNALDATE), else the Date header
    bounce: Bounce | None = None
    broken: str = ""  # why the message itself could not be read

    @property
    def may_carry_forms(self) -> bool:
        """Whether anything in it could be a form (a spreadsheet, or a part refused for its shape)."""
        return bool(self.files or self.refused)


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


_ID = re.compile(r"<[^<>\s]+>")


def message_id_of(header_block: bytes, declared: str | None) -> str:
    """The Message-ID, or one made from the message's headers (the same on every fetch).

    >>> message_id_of(b"From: a@b", " <x@y> ")
    '<x@y>'
    >>> message_id_of(b"From: a@b", None)
    '<0c2407d2e8c3f804d22942d343c71487.no-id@reportgen.local>'
    """
    if declared and declared.strip():
        return declared.strip()
    digest = hashlib.sha256(header_block.rstrip(b"\r\n")).hexdigest()[:32]
    return f"<{digest}.no-id@reportgen.local>"


def header_block(raw: bytes) -> bytes:
    """The header section of a raw message (what ``BODY[HEADER]`` gives)."""
    for separator in (b"\r\n\r\n", b"\n\n"):
        end = raw.find(separator)
        if end >= 0:
            return raw[:end]
    return raw


def parse(raw: bytes, uid: str = "", arrived: datetime | None = None) -> Incoming:
    """Take a raw message apart; never raises for the message's sake."""
    head = header_block(raw)
    try:
        message = email.message_from_bytes(raw, policy=policy.default)
        out = _headers(message, head, uid)
    except Exception as error:  # noqa: BLE001 - a message broken beyond its headers is its own refusal
        return _broken(raw, uid, arrived, f"{type(error).__name__}")
    out.arrived_at = to_vn(arrived).isoformat(timespec="seconds") if arrived else out.sent_at
    try:
        out.bounce = _bounce(message, out.sender)
        if out.bounce is None:
            for name, part in _leaves(message):
                _attachment(name, part, out)
    except Exception as error:  # noqa: BLE001 - an attachment that breaks the parser: refused, not fatal
        out.broken = type(error).__name__
    return out


def _broken(raw: bytes, uid: str, arrived: datetime | None, why: str) -> Incoming:
    head = header_block(raw)
    found = re.search(rb"^message-id:\s*(<[^>\r\n]+>)", head, re.I | re.M)
    sender = re.search(rb"^from:.*?([\w.+-]+@[\w.-]+)", head, re.I | re.M)
    return Incoming(
        uid=uid,
        message_id=message_id_of(head, found.group(1).decode("ascii", "replace") if found else None),
        sender=sender.group(1).decode("ascii", "replace").lower() if sender else "",
        subject="",
        sent_at=None,
        references=(),
        automatic=False,
        arrived_at=to_vn(arrived).isoformat(timespec="seconds") if arrived else None,
        broken=why,
    )


def _text(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # noqa: BLE001 - a header too broken to decode is no header
        return ""
    return nfc(str(value)) if value is not None else ""


def _headers(message: Message, head: bytes, uid: str) -> Incoming:
    headers: dict[str, tuple[str, ...]] = {}
    for key in message.keys():
        try:
            headers.setdefault(key.lower(), tuple(str(v) for v in message.get_all(key) or ()))
        except Exception:  # noqa: BLE001, S112 - an undecodable header is left out
            continue
    sender = parseaddr(_text(message, "From"))[1].lower()
    sent_at = None
    try:
        when = parsedate_to_datetime(_text(message, "Date"))
        if when.year > 1900:
            sent_at = to_vn(when).isoformat(timespec="seconds")
    except (TypeError, ValueError, IndexError):
        pass
    thread = _ID.findall(_text(message, "In-Reply-To") + " " + _text(message, "References"))
    return Incoming(
        uid=uid,
        message_id=message_id_of(head, _text(message, "Message-ID") or None),
        sender=sender,
        subject=clean(_text(message, "Subject")),
        sent_at=sent_at,
        references=tuple(dict.fromkeys(thread)),
        automatic=is_automatic(headers, sender),
    )


# ---------------------------------------------------------------------------------------
# Bounces
# ---------------------------------------------------------------------------------------
def _bounce(message: Message, sender: str) -> Bounce | None:
    """A delivery status notification (multipart/report, or from MAILER-DAEMON/postmaster)."""
    report = message.get_content_type() == "multipart/report"
    if report and str(message.get_param("report-type") or "").lower() not in ("delivery-status", ""):
        return None  # a read receipt (disposition-notification) is no bounce
    local = sender.partition("@")[0].lower()
    if not report and local not in ("mailer-daemon", "postmaster"):
        return None
    recipients: list[str] = []
    original: list[str] = []
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            recipients += _failed(part)
        elif kind in ("message/rfc822", "text/rfc822-headers"):
            original += _quoted_ids(part)
    failed = _text(message, "X-Failed-Recipients")
    recipients += [a.strip().lower() for a in failed.split(",") if "@" in a]
    return Bounce(tuple(dict.fromkeys(recipients)), tuple(dict.fromkeys(original)))


_RECIPIENT = re.compile(r"^(?:final|original)-recipient:\s*(?:rfc822;)?\s*<?([^\s<>;]+@[^\s<>;]+)>?", re.I | re.M)


def _failed(part: Message) -> list[str]:
    text = _payload_text(part)
    return [address.lower() for address in _RECIPIENT.findall(text)]


def _quoted_ids(part: Message) -> list[str]:
    text = _payload_text(part)
    return re.findall(r"^message-id:\s*(<[^>\r\n]+>)", text, re.I | re.M)


def _payload_text(part: Message) -> str:
    payload = part.get_payload()
    if isinstance(payload, list):  # message/* parts hold messages
        return "\n".join(item.as_string() if isinstance(item, Message) else str(item) for item in payload)
    if isinstance(payload, str):
        return payload
    raw = part.get_payload(decode=True)
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else ""


# ---------------------------------------------------------------------------------------
# Attachments
# ---------------------------------------------------------------------------------------
def _leaves(message: Message) -> Iterator[tuple[str, Message]]:
    """Every leaf part that is an attachment, with its name (bodies and inline images left out)."""
    for part in message.walk():
        if part.is_multipart():
            continue
        kind = part.get_content_type()
        try:
            name = part.get_filename() or part.get_param("name") or ""
        except Exception:  # noqa: BLE001 - a name too broken to decode
            name = ""
        name = nfc(str(name)).replace("\\", "/").rpartition("/")[2].strip()
        if not name:
            suffix = _TYPE_SUFFIX.get(kind)
            if suffix is None:
                continue  # a body (text/plain, text/html) or an unnamed image
            name = "winmail.dat" if suffix == ".dat" else f"tep-dinh-kem{suffix}"
        if kind.startswith("image/") and (
            part.get_content_disposition() == "inline" or part.get("Content-ID") or _SIGNATURE_IMAGE.match(name)
        ):
            continue  # a logo in a signature, a picture in the text: never a form
        yield name, part


def _silent(name: str) -> bool:
    lower = name.lower()
    return lower in _SILENT_NAMES or lower.startswith("._") or "__macosx" in lower


def _attachment(name: str, part: Message, out: Incoming) -> None:
    if _silent(name):
        return
    lower = name.lower()
    interesting = lower.endswith((*SPREADSHEETS, ".zip", ".dat", *OTHER_ARCHIVES)) or "tnef" in part.get_content_type()
    if interesting and any(isinstance(d, _BROKEN_BASE64) for d in part.defects):
        out.refused.append(Refused(name, "broken-attachment"))
        return
    data = part.get_payload(decode=True)
    _file(name, data if isinstance(data, bytes) else b"", out, depth=0, content_type=part.get_content_type())


def _file(name: str, data: bytes, out: Incoming, depth: int, content_type: str = "") -> None:
    """One file of the message (an attachment, or a member of a .zip or a winmail.dat)."""
    lower = name.lower()
    suffix = "." + lower.rpartition(".")[2] if "." in lower else ""
    if _silent(name):
        return
    if lower.endswith(SPREADSHEETS):
        out.files.append((name, data))
    elif suffix == ".zip" and depth == 0:
        _unzip(name, data, out)
    elif (lower == "winmail.dat" or "tnef" in content_type) and depth == 0:
        _untnef(name, data, out)
    elif suffix in OTHER_ARCHIVES:
        out.refused.append(Refused(name, "archive-kind", (("kind", OTHER_ARCHIVES[suffix]),)))
    elif depth == 0:
        out.others.append(name)


def _zip_name(info: zipfile.ZipInfo) -> str:
    """A member's name: UTF-8 when flagged, else as Windows wrote it (cp1258, then cp437)."""
    if info.flag_bits & 0x800:
        return nfc(info.filename)
    raw = info.filename.encode("cp437", "replace")
    for encoding in ("utf-8", "cp1258", "cp437"):
        try:
            return nfc(raw.decode(encoding))
        except UnicodeDecodeError:
            continue
    return nfc(info.filename)


def _unzip(name: str, data: bytes, out: Incoming) -> None:
    found = 0
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                inner = _zip_name(info).replace("\\", "/")
                base = inner.rpartition("/")[2]
                if info.is_dir() or _silent(inner) or _silent(base):
                    continue
                lower = base.lower()
                if not lower.endswith((*SPREADSHEETS, *OTHER_ARCHIVES)):
                    continue
                if info.flag_bits & 0x1:
                    out.refused.append(Refused(name, "encrypted-zip"))
                    return
                if info.file_size > MAX_ATTACHMENT:
                    size = round(info.file_size / 1024 / 1024, 1)
                    facts = (("member", base), ("size", size), ("limit", MAX_ATTACHMENT // 1024 // 1024))
                    out.refused.append(Refused(name, "member-too-large", facts))
                    continue
                if found >= MAX_IN_ZIP:
                    out.refused.append(Refused(name, "too-many-in-zip", (("limit", MAX_IN_ZIP),)))
                    break
                with archive.open(info) as member:
                    content = member.read(MAX_ATTACHMENT + 1)
                _file(base, content, out, depth=1)
                found += 1
    except RuntimeError:  # zipfile: "File … is encrypted, password required for extraction"
        out.refused.append(Refused(name, "encrypted-zip"))
        return
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError, zipfile.LargeZipFile):
        out.refused.append(Refused(name, "broken-zip"))
        return
    if not found and not any(r.name == name for r in out.refused):
        out.others.append(name)


def _untnef(name: str, data: bytes, out: Incoming) -> None:
    """Outlook's winmail.dat: the files it wraps, each taken as if attached."""
    from tnefparse import TNEF

    try:
        wrapped = TNEF(data, do_checksum=False)
        inner = [(_tnef_name(item), item.data or b"") for item in wrapped.attachments]
    except Exception:  # noqa: BLE001 - tnefparse raises many kinds on a damaged file
        out.refused.append(Refused(name, "broken-tnef"))
        return
    for inner_name, content in inner:
        if inner_name:
            _file(inner_name, content, out, depth=0 if inner_name.lower().endswith(".zip") else 1)


def _tnef_name(item) -> str:
    try:
        long_name = item.long_filename()
    except Exception:  # noqa: BLE001 - tnefparse decodes names by the message's code page
        long_name = None
    name = long_name or item.name or ""
    return nfc(str(name)).replace("\\", "/").rpartition("/")[2].strip("\x00 ")

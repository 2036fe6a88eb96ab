"""Building the mail an office really receives, in code: replies, forwarded forms, Outlook's
winmail.dat, password-protected zips, bounces, signature logos, names in Windows-1258."""

from __future__ import annotations

import base64
import io
import re
import struct
import unicodedata
import urllib.parse
import zipfile
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

OFFICE = "so-khcn@ninh-binh.example"


def mail(
    sender: str,
    files=(),
    subject="Báo cáo tháng 11/2026",
    headers=(),
    message_id=None,
    when: datetime | None = None,
    reply_to: str | None = None,
    body: str = "Kính gửi Sở Khoa học và Công nghệ, đơn vị gửi báo cáo đính kèm.",
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = OFFICE
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="agency.example")
    message["Date"] = format_datetime(when) if when else "Thu, 12 Nov 2026 08:00:00 +0700"
    if reply_to:
        message["In-Reply-To"] = reply_to
        message["References"] = reply_to
    for name, value in headers:
        message[name] = value
    message.set_content(body)
    for name, data in files:
        message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return message.as_bytes()


def zipped(*files: tuple[str, bytes], name: str = "bao-cao.zip") -> tuple[str, bytes]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for inner, data in files:
            archive.writestr(inner, data)
    return name, buffer.getvalue()


def encrypted(zip_bytes: bytes) -> bytes:
    """The same zip with every member marked encrypted (as a password-protected zip is)."""
    data = bytearray(zip_bytes)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        for found in re.finditer(re.escape(signature), bytes(data)):
            position = found.start() + offset
            (flags,) = struct.unpack_from("<H", data, position)
            struct.pack_into("<H", data, position, flags | 0x1)
    return bytes(data)


def huge_member(name: str = "bao-cao.xlsx", size: int = 60 * 1024 * 1024) -> tuple[str, bytes]:
    """A zip holding one member of ``size`` bytes (zeros: the zip itself is small)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open(name, "w", force_zip64=True) as member:
            block = b"\0" * (1 << 20)
            for _ in range(size // len(block)):
                member.write(block)
    return "bao-cao.zip", buffer.getvalue()


# --- Outlook's winmail.dat (TNEF) ---------------------------------------------------------------
def _attribute(level: int, ident: int, data: bytes) -> bytes:
    checksum = sum(data) & 0xFFFF
    return struct.pack("<BII", level, ident, len(data)) + data + struct.pack("<H", checksum)


def winmail(*files: tuple[str, bytes]) -> bytes:
    """A minimal TNEF stream wrapping ``files``, as Outlook's rich-text mail carries them."""
    out = struct.pack("<IH", 0x223E9F78, 0x0001)
    out += _attribute(1, 0x00089006, struct.pack("<I", 0x00010000))  # attTnefVersion
    for name, data in files:
        out += _attribute(2, 0x00069002, b"\0" * 14)  # attAttachRendData: an attachment begins
        out += _attribute(2, 0x00018010, name.encode("cp1252", "replace") + b"\0")  # attAttachTitle
        out += _attribute(2, 0x0006800F, data)  # attAttachData
    return out


def with_winmail(sender: str, files, subject="Báo cáo", reply_to=None, when=None) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = OFFICE
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="agency.example")
    message["Date"] = format_datetime(when) if when else "Thu, 12 Nov 2026 08:00:00 +0700"
    if reply_to:
        message["In-Reply-To"] = reply_to
    message.set_content("Xem tệp đính kèm.")
    message.add_attachment(winmail(*files), maintype="application", subtype="ms-tnef", filename="winmail.dat")
    return message.as_bytes()


def with_logo(sender: str, files, subject="Báo cáo", reply_to=None) -> bytes:
    """An Outlook reply: an HTML body with the signature's logo as an inline image001.png."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = OFFICE
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="agency.example")
    message["Date"] = "Thu, 12 Nov 2026 08:00:00 +0700"
    if reply_to:
        message["In-Reply-To"] = reply_to
    message.set_content("Gửi báo cáo.")
    message.add_alternative('<p>Gửi báo cáo.</p><img src="cid:image001.png@01DA">', subtype="html")
    html = message.get_payload()[1]
    html.add_related(
        b"\x89PNG\r\n\x1a\nlogo",
        maintype="image",
        subtype="png",
        cid="<image001.png@01DA>",
        filename="image001.png",
        disposition="inline",
    )
    for name, data in files:
        message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return message.as_bytes()


def bounce(original: bytes, recipient: str, exchange: bool = True) -> bytes:
    """A delivery status notification returning ``original`` whole (as an Exchange NDR does)."""
    subject = re.search(rb"^Subject: (.*)$", original, re.M).group(1).decode("ascii", "replace").strip()
    boundary = "==bounce=="
    sender = "postmaster@ninh-binh.example" if exchange else "MAILER-DAEMON@ninh-binh.example"
    text = (
        f"From: {sender}\r\nTo: {OFFICE}\r\nSubject: Undeliverable: {subject}\r\n"
        f"Message-ID: {make_msgid(domain='ninh-binh.example')}\r\nDate: Tue, 17 Nov 2026 08:11:00 +0700\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type="delivery-status"; boundary="{boundary}"\r\n\r\n'
        f"--{boundary}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        f"Delivery has failed to these recipients or groups: {recipient}\r\n\r\n"
        f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns;mail.ninh-binh.example\r\n\r\n"
        f"Final-Recipient: rfc822;{recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        f"--{boundary}\r\nContent-Type: message/rfc822\r\n\r\n"
    )
    return (
        text.encode("ascii")
        + original.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        + (f"\r\n--{boundary}--\r\n".encode("ascii"))
    )


# --- names as Windows writes them ----------------------------------------------------------------
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def cp1258(text: str) -> bytes:
    """Text in Windows-1258: letters precomposed, tone marks as combining characters."""
    out = []
    for ch in text:
        parts = unicodedata.normalize("NFD", ch)
        tones = "".join(c for c in parts if c in _TONES)
        out.append(unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES)) + tones)
    return "".join(out).encode("cp1258")


def with_names(sender: str, files: list[tuple[str, bytes, str]], reply_to=None) -> bytes:
    """Attachments named in the wire forms agencies' mail programs use: ``rfc2231``, ``rfc2047``
    (Windows-1258 for both) or ``utf8``."""
    boundary = "==reportgen-test=="
    parts = [
        f"From: {sender}\r\nTo: {OFFICE}\r\nSubject: =?utf-8?B?{base64.b64encode('Báo cáo'.encode()).decode()}?=\r\n"
        f"Message-ID: {make_msgid(domain='agency.example')}\r\nDate: Thu, 12 Nov 2026 08:00:00 +0700\r\n"
        + (f"In-Reply-To: {reply_to}\r\n" if reply_to else "")
        + f'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
        f"--{boundary}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nGui bao cao.\r\n"
    ]
    for name, data, how in files:
        if how == "rfc2231":
            disposition = f"attachment; filename*=windows-1258''{urllib.parse.quote(cp1258(name))}"
        elif how == "rfc2047":
            disposition = f'attachment; filename="=?windows-1258?B?{base64.b64encode(cp1258(name)).decode()}?="'
        else:
            disposition = f"attachment; filename*=utf-8''{urllib.parse.quote(name.encode())}"
        encoded = base64.encodebytes(data).decode().replace("\n", "\r\n")
        parts.append(
            f"--{boundary}\r\nContent-Type: application/octet-stream\r\nContent-Disposition: {disposition}\r\n"
            f"Content-Transfer-Encoding: base64\r\n\r\n{encoded}\r\n"
        )
    parts.append(f"--{boundary}--\r\n")
    return "".join(parts).encode("ascii")


def saved_at(path: Path, when: datetime) -> Path:
    """Set the time a workbook says it was last saved (docProps/core.xml), as Excel writes it."""
    data = path.read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "docProps/core.xml":
                stamp = when.isoformat(timespec="seconds")
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(<)", rb"\g<1>" + stamp.encode() + rb"\g<2>", content)
            target.writestr(item, content)
    path.write_bytes(buffer.getvalue())
    return path

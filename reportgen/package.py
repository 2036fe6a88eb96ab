"""What a returned file is, and what its zip package holds, checked before any parser sees it.

:func:`sniff` tells an .xlsx, .xlsm, .ods, .xls, encrypted file, or something
else (HTML, CSV, PDF, an image) from its bytes. :class:`Zip` indexes a zip
package once, by reading its central directory directly (cheaper than
:mod:`zipfile` for the dozen small parts we look at), and hands out parts,
decompressed with their declared size enforced. :func:`check` refuses zip bombs,
macros and XML entity declarations. For .xlsx, :func:`scan_sheet` reports what
the cells hide from a value reader: formula errors and percent number formats.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from .errors import FileRejected
from .text import clean

__all__ = [
    "Zip",
    "sniff",
    "check",
    "sheet_part",
    "percent_styles",
    "scan_sheet",
    "Scan",
    "saved_at",
    "MAX_BYTES",
    "MAX_UNPACKED",
    "MAX_MEMBERS",
]

MAX_BYTES = 20 * 1024 * 1024
MAX_UNPACKED = 200 * 1024 * 1024
MAX_MEMBERS = 2000


class Entry(NamedTuple):
    name: str
    method: int  # 0 stored, 8 deflated
    packed: int
    size: int  # the declared uncompressed size
    offset: int  # of the local header


class Zip:
    """A zip package's parts, indexed from its central directory."""

    def __init__(self, data: bytes, entries: dict[str, Entry]):
        self.data = data
        self.entries = entries

    @classmethod
    def parse(cls, data: bytes) -> Zip:
        """Raises ValueError when the bytes are not a readable zip."""
        end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
        if end < 0:
            raise ValueError("no end of central directory")
        count, size, start = struct.unpack_from("<HII", data, end + 10)
        if count == 0xFFFF or start == 0xFFFFFFFF:
            return cls._zip64(data)
        entries: dict[str, Entry] = {}
        position = start
        for _ in range(count):
            if data[position : position + 4] != b"PK\x01\x02":
                raise ValueError("broken central directory")
            flags, method = struct.unpack_from("<HH", data, position + 8)
            packed, unpacked, name_length, extra_length, comment_length = struct.unpack_from(
                "<IIHHH", data, position + 20
            )
            (offset,) = struct.unpack_from("<I", data, position + 42)
            raw_name = data[position + 46 : position + 46 + name_length]
            name = raw_name.decode("utf-8" if flags & 0x800 else "cp437")
            entries[name] = Entry(name, method, packed, unpacked, offset)
            position += 46 + name_length + extra_length + comment_length
        return cls(data, entries)

    @classmethod
    def _zip64(cls, data: bytes) -> Zip:
        import io

        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = {
                i.filename: Entry(i.filename, i.compress_type, i.compress_size, i.file_size, i.header_offset)
                for i in archive.infolist()
            }
        return cls(data, entries)

    def __contains__(self, name: str) -> bool:
        return name in self.entries

    def _packed(self, entry: Entry, limit: int | None = None) -> bytes:
        if self.data[entry.offset : entry.offset + 4] != b"PK\x03\x04":
            msg = f"broken local header of {entry.name}"
            raise ValueError(msg)
        name_length, extra_length = struct.unpack_from("<HH", self.data, entry.offset + 26)
        begin = entry.offset + 30 + name_length + extra_length
        return self.data[begin : begin + (entry.packed if limit is None else min(entry.packed, limit))]

    def head(self, name: str, size: int = 512) -> bytes:
        """The first ``size`` bytes of a part (no more is decompressed)."""
        entry = self.entries[name]
        if entry.method == zipfile.ZIP_STORED:
            return self._packed(entry, size)
        if entry.method == zipfile.ZIP_DEFLATED:
            return zlib.decompressobj(-15).decompress(self._packed(entry, size + 4096), size)
        return b""

    def read(self, name: str) -> bytes:
        """A whole part. Its size must be the one the package declares (ValueError otherwise)."""
        entry = self.entries[name]
        if entry.method == zipfile.ZIP_STORED:
            out = self._packed(entry)
        elif entry.method == zipfile.ZIP_DEFLATED:
            inflater = zlib.decompressobj(-15)
            out = inflater.decompress(self._packed(entry), entry.size + 1)
        else:
            msg = f"compression method {entry.method}"
            raise ValueError(msg)
        if len(out) != entry.size:
            msg = f"{name} holds more or less than it declares"
            raise ValueError(msg)
        return out


# ---------------------------------------------------------------------------------------
# What the bytes are
# ---------------------------------------------------------------------------------------
def sniff(data: bytes) -> tuple[str, Zip | None]:
    """What the bytes are: xlsx, xlsm, xlsb, ods, xls, encrypted, corrupt, or something else.

    >>> sniff(b"<!DOCTYPE html><html>")[0], sniff(b"STT,Chi tieu\\n1,2\\n")[0]
    ('html', 'csv')
    """
    if not data:
        return "empty", None
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _sniff_zip(data)
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return ("encrypted" if "EncryptedPackage".encode("utf-16-le") in data else "xls"), None
    if data.startswith(b"%PDF"):
        return "pdf", None
    if data[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xe1", b"GIF8"):
        return "image", None
    text = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html", b"<table", b"<meta")) or b"<html" in text[:512]:
        return "html", None
    if text.startswith(b"<?xml"):
        return ("html" if b"<html" in text else "xml"), None
    try:
        sample = data[:4096].decode("utf-8")
    except UnicodeDecodeError:
        return "unknown", None
    return ("csv" if ("," in sample or ";" in sample or "\t" in sample) else "text"), None


def _sniff_zip(data: bytes) -> tuple[str, Zip | None]:
    try:
        package = Zip.parse(data)
    except (ValueError, struct.error, UnicodeDecodeError, zipfile.BadZipFile):
        return "corrupt", None
    names = package.entries
    try:
        if "mimetype" in names:
            return ("ods" if b"opendocument.spreadsheet" in package.head("mimetype", 100) else "zip"), package
    except (ValueError, struct.error, zlib.error):
        return "corrupt", None
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        if "xl/vbaProject.bin" in names:
            return "xlsm", package
        return ("xlsb" if "xl/workbook.bin" in names else "xlsx"), package
    if "word/document.xml" in names:
        return "docx", package
    return "zip", package


def check(package: Zip) -> None:
    """Refuse zip bombs, macros and XML entity declarations before any parser sees them."""
    entries = package.entries.values()
    if len(package.entries) > MAX_MEMBERS:
        raise FileRejected("zip-bomb", size=len(package.entries))
    unpacked = sum(e.size for e in entries)
    if unpacked > MAX_UNPACKED:
        raise FileRejected("zip-bomb", size=round(unpacked / 1024 / 1024))
    for entry in entries:
        if entry.size and entry.name.endswith((".xml", ".rels")):
            head = package.head(entry.name)
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise FileRejected("xml-entity")
            if entry.name == "[Content_Types].xml" and b"macroEnabled" in head:
                raise FileRejected("macro")


def saved_at(package: Zip | None, fmt: str) -> datetime | None:
    """When the agency last saved the file, from the file's own properties."""
    member = "docProps/core.xml" if fmt == "xlsx" else "meta.xml"
    if package is None or member not in package:
        return None
    try:
        text = package.head(member, 4096).decode("utf-8", "replace")
    except (ValueError, struct.error, zlib.error):
        return None
    match = re.search(r"<(?:dcterms:modified|meta:creation-date|dc:date)[^>]*>([^<]+)<", text)
    if not match:
        return None
    try:
        return datetime.fromisoformat(match.group(1).strip().replace("Z", "+00:00"))
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------
# What the cells hide (xlsx): errors and percent formats
# ---------------------------------------------------------------------------------------
@dataclass
class Scan:
    errors: dict[str, str] = field(default_factory=dict)  # cell -> "#DIV/0!"
    percent: set[str] = field(default_factory=set)  # cells with a percent number format


def sheet_part(package: Zip, sheet: str) -> str | None:
    """The part that holds the worksheet named ``sheet``."""
    workbook = package.read("xl/workbook.xml").decode("utf-8", "replace")
    rels = package.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    for tag in re.finditer(r"<(?:\w+:)?sheet\b[^>]*>", workbook):
        attrs = tag.group(0)
        name = re.search(r'\bname="([^"]*)"', attrs)
        rid = re.search(r'\br:id="([^"]*)"', attrs) or re.search(r'\bid="([^"]*)"', attrs)
        if name and rid and clean(_unescape(name.group(1))) == sheet:
            for rel in re.finditer(r"<Relationship\b[^>]*>", rels):
                found = re.search(r'Target="([^"]*)"', rel.group(0))
                if f'Id="{rid.group(1)}"' in rel.group(0) and found:
                    target = found.group(1)
                    return target.lstrip("/") if target.startswith("/") else "xl/" + target
    return None


def _unescape(text: str) -> str:
    return text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')


def percent_styles(package: Zip) -> set[int]:
    """The cell formats (indexes into cellXfs) whose number format shows a percentage."""
    if "xl/styles.xml" not in package:
        return set()
    styles = package.read("xl/styles.xml").decode("utf-8", "replace")
    if "%" not in styles:
        return set()
    percent_ids = {"9", "10"}
    for numfmt in re.finditer(r'<numFmt\b[^>]*numFmtId="(\d+)"[^>]*formatCode="([^"]*)"', styles):
        if "%" in numfmt.group(2):
            percent_ids.add(numfmt.group(1))
    section = re.search(r"<cellXfs\b.*?</cellXfs>", styles, re.S)
    if not section:
        return set()
    out = set()
    for index, xf in enumerate(re.finditer(r"<xf\b[^>]*>", section.group(0))):
        fmt_id = re.search(r'numFmtId="(\d+)"', xf.group(0))
        if fmt_id and fmt_id.group(1) in percent_ids:
            out.add(index)
    return out


def scan_sheet(package: Zip, sheet: str, letters: str) -> Scan:
    """Errors and percent formats of the cells in columns ``letters`` of worksheet ``sheet``."""
    scan = Scan()
    try:
        part = sheet_part(package, sheet)
        xml = package.read(part) if part else b""
    except (KeyError, ValueError, struct.error, zlib.error):
        return scan
    percent = percent_styles(package)
    has_errors = b't="e"' in xml
    if not has_errors and not percent:
        return scan
    pattern = re.compile(rb'<c r="([' + letters.encode() + rb'])(\d+)"([^>]*)>(.*?)</c>', re.S)
    for match in pattern.finditer(xml):
        address = (match.group(1) + match.group(2)).decode()
        attrs = match.group(3)
        if has_errors and b't="e"' in attrs:
            value = re.search(rb"<v>([^<]*)</v>", match.group(4))
            scan.errors[address] = value.group(1).decode() if value else "#N/A"
        style = re.search(rb'\bs="(\d+)"', attrs)
        if style and int(style.group(1)) in percent:
            scan.percent.add(address)
    return scan

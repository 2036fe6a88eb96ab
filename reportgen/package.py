"""What a returned file is, and what its zip package holds, checked before any parser sees it.

:func:`sniff` tells an .xlsx, .xlsm, .ods, .xls, encrypted file, or something
else (HTML, CSV, PDF, an image) from its bytes. :class:`Zip` indexes a zip
package once, by reading its central directory directly (cheaper than
:mod:`zipfile` for the dozen small parts we look at), and hands out parts,
decompressed with their declared size enforced. :func:`check` refuses zip bombs,
macros, XML entity declarations anywhere before the root element, and sheets
that reach far beyond any form (a single cell at XFD1048576 makes a value
reader try to allocate half a terabyte: :func:`check` measures each sheet's
declared and actual extent first, streaming). For .xlsx, :func:`scan_sheet`
reports what the cells hide from a value reader: formula errors, formulas
without a stored result, and percent number formats.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple
from xml.etree import ElementTree

from .errors import FileRejected
from .layout import RATIO_FORMULA_START
from .text import clean

__all__ = [
    "Zip",
    "sniff",
    "check",
    "sheet_part",
    "percent_styles",
    "scan_sheet",
    "scan_ods",
    "guard_sheet",
    "Scan",
    "saved_at",
    "MAX_BYTES",
    "MAX_UNPACKED",
    "MAX_MEMBERS",
    "MAX_ROWS",
    "MAX_COLUMNS",
]

MAX_BYTES = 20 * 1024 * 1024
MAX_UNPACKED = 200 * 1024 * 1024
MAX_MEMBERS = 2000
# A form has a few hundred rows and 14 columns; these leave room for any honest edit.
MAX_ROWS = 20_000
MAX_COLUMNS = 200
_CHUNK = 1 << 20


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
        self._parts: dict[str, bytes] = {}  # small parts already decompressed
        self.sheets: dict[str, str] | None = None  # worksheet name -> part, once looked up

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
        if name in self._parts:
            return self._parts[name][:size]
        entry = self.entries[name]
        if entry.method == zipfile.ZIP_STORED:
            return self._packed(entry, size)
        if entry.method == zipfile.ZIP_DEFLATED:
            return zlib.decompressobj(-15).decompress(self._packed(entry, size + 4096), size)
        return b""

    def read(self, name: str) -> bytes:
        """A whole part. Its size must be the one the package declares (ValueError otherwise)."""
        if name in self._parts:
            return self._parts[name]
        out = b"".join(self.chunks(name))
        if len(out) <= 4 * _CHUNK:
            self._parts[name] = out
        return out

    def chunks(self, name: str, size: int = _CHUNK):
        """A part, decompressed ``size`` bytes at a time, never more than it declares (ValueError
        when it holds more or less)."""
        entry = self.entries[name]
        if name in self._parts:
            yield self._parts[name]
            return
        if entry.method == zipfile.ZIP_STORED:
            out = self._packed(entry)
            if len(out) != entry.size:
                msg = f"{name} holds more or less than it declares"
                raise ValueError(msg)
            yield out
            return
        if entry.method != zipfile.ZIP_DEFLATED:
            msg = f"compression method {entry.method}"
            raise ValueError(msg)
        if entry.size <= size:  # a small part: decompressed once, kept for the next reader
            out = zlib.decompressobj(-15).decompress(self._packed(entry), entry.size + 1)
            if len(out) != entry.size:
                msg = f"{name} holds more or less than it declares"
                raise ValueError(msg)
            self._parts[name] = out
            yield out
            return
        inflater = zlib.decompressobj(-15)
        packed = self._packed(entry)
        total = 0
        pending = packed
        while True:
            block = inflater.decompress(pending, size)
            pending = inflater.unconsumed_tail
            total += len(block)
            if total > entry.size:
                msg = f"{name} holds more than it declares"
                raise ValueError(msg)
            if block:
                yield block
            if not pending and (inflater.eof or not block):
                break
        if total != entry.size:
            msg = f"{name} holds less than it declares"
            raise ValueError(msg)


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


def check(package: Zip, fmt: str = "xlsx") -> None:
    """Refuse zip bombs, macros, XML entity declarations and oversized sheets before any parser sees them."""
    entries = package.entries.values()
    if len(package.entries) > MAX_MEMBERS:
        raise FileRejected("zip-bomb", size=len(package.entries))
    unpacked = sum(e.size for e in entries)
    if unpacked > MAX_UNPACKED:
        raise FileRejected("zip-bomb", size=round(unpacked / 1024 / 1024))
    for entry in entries:
        # Worksheets are looked at when they are about to be read (guard_sheet), prolog included.
        if entry.size and entry.name.endswith((".xml", ".rels")) and not _is_worksheet(entry.name):
            if not _plain_prolog(package, entry.name):
                raise FileRejected("xml-entity")
            if entry.name == "[Content_Types].xml" and b"macroEnabled" in package.head(entry.name):
                raise FileRejected("macro")
    if fmt == "ods" and "content.xml" in package:
        _ods_extent(package)  # (an .xlsx is measured sheet by sheet: see guard_sheet)


def _is_worksheet(name: str) -> bool:
    return name.startswith("xl/worksheets/") and name.endswith(".xml")


def guard_sheet(package: Zip | None, fmt: str, sheet: str) -> None:
    """Refuse the file if worksheet ``sheet`` (about to be read) declares an entity or reaches far
    beyond any form."""
    if package is None or fmt != "xlsx":
        return
    try:
        part = sheet_part(package, sheet)
    except (KeyError, ValueError, zlib.error) as exc:
        raise FileRejected("corrupt", why="tệp nén hỏng") from exc
    if part is not None and part in package:
        _sheet_extent(package, part)
        if not _plain_prolog(package, part):
            raise FileRejected("xml-entity")


# Before the root element an XML part may hold its declaration, comments and space, nothing else.
_PROLOG = re.compile(rb"(?:\xef\xbb\xbf)?(?:\s+|<\?.*?\?>|<!--.*?-->)*", re.S)


def _plain_prolog(package: Zip, name: str) -> bool:
    """Whether the part reaches its root element with no DOCTYPE or ENTITY on the way, however
    long the comments before it."""
    for size in (512, 64 * 1024, _CHUNK):
        head = package.head(name, size)
        rest = head[_PROLOG.match(head).end() :]  # type: ignore[union-attr]  # the pattern matches ""
        if rest.startswith(b"<!--") or (not rest and len(head) >= size):
            continue  # a comment (or space) longer than what was read: read more
        return not rest.startswith(b"<!")
    return False  # a megabyte of comments before the root: not what an office application writes


_ROW_NUMBER = re.compile(rb'<row\b[^>]*?\sr="(\d{1,9})"')
_ROW_FAST = re.compile(rb'<row r="(\d{1,9})"')
_WIDE_FAST = re.compile(rb'<c r="[A-Z]{2}')
_WIDE_CELL = re.compile(rb'<c\b[^>]*?\sr="([A-Z]{2,3})(\d{1,9})"')
_DIMENSION = re.compile(rb'<dimension\s+ref="[A-Z]{1,3}\d+:([A-Z]{1,3})(\d+)"')


def _column_number(letters: bytes) -> int:
    number = 0
    for byte in letters:
        number = number * 26 + byte - 64
    return number


def _sheet_extent(package: Zip, name: str) -> None:
    """Refuse a worksheet that declares or holds cells far beyond any form (streamed: a sheet
    of two million rows is refused after its first few megabytes).

    Office applications write every row and cell with its reference first (``<row r="9"``,
    ``<c r="H9"``): literal searches find those fast. Anything else (other attribute orders,
    cells without a reference, columns past Z) gets the thorough look."""
    rows = 0
    last_row = last_column = 0
    tail = b""
    try:
        for chunk in package.chunks(name):
            text = tail + chunk
            if not rows:
                declared = _DIMENSION.search(text)
                if declared:
                    last_column, last_row = _column_number(declared.group(1)), int(declared.group(2))
            numbers = _ROW_FAST.findall(text)
            found = chunk.count(b"<row")
            rows += found
            if len(numbers) < found:
                numbers = _ROW_NUMBER.findall(text)
            if numbers:
                last_row = max(last_row, max(int(n) for n in numbers))
            unusual = _UNUSUAL_CELL.search(text) is not None
            if unusual:  # a cell without its reference: count them row by row
                last_column = max(last_column, _widest_row(text))
            if unusual or _WIDE_FAST.search(text):
                for letters, _ in _WIDE_CELL.findall(text):
                    last_column = max(last_column, _column_number(letters))
            if max(rows, last_row) > MAX_ROWS or last_column > MAX_COLUMNS:
                break
            tail = text[-64:]
    except (ValueError, zlib.error) as exc:
        raise FileRejected("corrupt", why="tệp nén hỏng") from exc
    if max(rows, last_row) > MAX_ROWS or last_column > MAX_COLUMNS:
        raise FileRejected(
            "sheet-too-large",
            rows=max(rows, last_row),
            columns=last_column,
            max_rows=MAX_ROWS,
            max_columns=MAX_COLUMNS,
        )


_UNUSUAL_CELL = re.compile(rb'<c(?:>|\s(?!r="))')
_ROW_BODY = re.compile(rb"<row\b[^>]*?(?:/>|>(.*?)</row>)", re.S)


def _widest_row(text: bytes) -> int:
    """The most cells in one row (cells without a reference take the next column)."""
    return max((body.count(b"<c ") + body.count(b"<c>") for body in _ROW_BODY.findall(text)), default=0)


_ODS_REPEAT = re.compile(rb'number-(rows|columns)-repeated="(\d{1,9})"[^>]*?(/?)>')
_ODS_END = {b"rows": b"</table:table-row>", b"columns": b"</table:table-cell>"}


def _ods_extent(package: Zip) -> None:
    """An .ods sheet repeats empty rows and cells freely (LibreOffice writes a million of them);
    a repeated row or cell that holds a value is what blows up a reader."""
    tail = b""
    try:
        for chunk in package.chunks("content.xml"):
            text = tail + chunk
            for match in _ODS_REPEAT.finditer(text):
                kind, count, closed = match.group(1), int(match.group(2)), match.group(3)
                if count <= (MAX_ROWS if kind == b"rows" else MAX_COLUMNS) or closed:
                    continue
                tag = text[text.rfind(b"<", 0, match.start()) : match.end()]
                end = text.find(_ODS_END[kind], match.end())
                body = text[match.end() : end if end >= 0 else match.end() + 4096]
                if b"office:value-type" in tag + body or b"<text:p" in body:
                    raise FileRejected(
                        "sheet-too-large",
                        rows=count if kind == b"rows" else 0,
                        columns=count if kind == b"columns" else 0,
                        max_rows=MAX_ROWS,
                        max_columns=MAX_COLUMNS,
                    )
            tail = text[-4096:]
    except (ValueError, zlib.error) as exc:
        raise FileRejected("corrupt", why="tệp nén hỏng") from exc


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
    uncached: set[str] = field(default_factory=set)  # cells with a formula and no stored result
    formats: dict[str, str] = field(default_factory=dict)  # cell -> its percent number format ("0%")


def sheet_part(package: Zip, sheet: str) -> str | None:
    """The part that holds the worksheet named ``sheet``."""
    if package.sheets is None:
        package.sheets = _sheet_parts(package)
    return package.sheets.get(sheet)


_RELATION = re.compile(r"<Relationship\b[^>]*>")
_REL_ID = re.compile(r'\bId="([^"]*)"')
_REL_TARGET = re.compile(r'\bTarget="([^"]*)"')
_SHEET_TAG = re.compile(r"<(?:\w+:)?sheet\b[^>]*>")
_SHEET_NAME = re.compile(r'\bname="([^"]*)"')
_SHEET_RID = re.compile(r'\b(?:r:)?id="([^"]*)"')


def _sheet_parts(package: Zip) -> dict[str, str]:
    workbook = package.read("xl/workbook.xml").decode("utf-8", "replace")
    rels = package.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    targets = {}
    for tag in _RELATION.findall(rels):
        rid, found = _REL_ID.search(tag), _REL_TARGET.search(tag)
        if rid and found:
            target = found.group(1)
            targets[rid.group(1)] = target.lstrip("/") if target.startswith("/") else "xl/" + target
    out: dict[str, str] = {}
    for tag in _SHEET_TAG.findall(workbook):
        name, rid = _SHEET_NAME.search(tag), _SHEET_RID.search(tag)
        if name and rid and rid.group(1) in targets:
            out.setdefault(clean(_unescape(name.group(1))), targets[rid.group(1)])
    return out


def _unescape(text: str) -> str:
    return text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')


_BUILTIN_PERCENT = {9: "0%", 10: "0.00%"}  # built-in formats: styles.xml names them by number only
_BUILTIN_USED = re.compile(rb'numFmtId="(?:9|10)"')


def percent_styles(package: Zip) -> dict[int, str]:
    """The cell formats (indexes into cellXfs) whose number format shows a percentage, with that
    format. Read with an XML parser: a built-in percent format leaves no "%" in styles.xml."""
    if "xl/styles.xml" not in package:
        return {}
    styles = package.read("xl/styles.xml")
    if b"%" not in styles and not _BUILTIN_USED.search(styles):
        return {}  # no percent format at all: no need to parse
    try:
        root = ElementTree.fromstring(styles)
    except (ElementTree.ParseError, ValueError, zlib.error):
        return {}
    codes = dict(_BUILTIN_PERCENT)
    for element in root.iter():
        if _local(element.tag) == "numFmt" and "%" in element.get("formatCode", ""):
            try:
                codes[int(element.get("numFmtId", ""))] = element.get("formatCode", "")
            except ValueError:
                continue
    out: dict[int, str] = {}
    for section in root:
        if _local(section.tag) != "cellXfs":
            continue
        for index, xf in enumerate(x for x in section if _local(x.tag) == "xf"):
            try:
                number = int(xf.get("numFmtId", "0"))
            except ValueError:
                continue
            if number in codes:
                out[index] = codes[number]
    return out


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


_NO_RESULT = re.compile(rb"<f(?:>| [^>]*>)([^<]{0,%d})[^<]*</f>(?!<v>[^<])" % len(RATIO_FORMULA_START))


def _lost_results(xml: bytes) -> bool:
    """Whether a formula other than the form's own ratio formulas has no stored result."""
    start = RATIO_FORMULA_START.encode()
    return any(found != start for found in _NO_RESULT.findall(xml))


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
    has_formulas = _lost_results(xml)
    if not has_errors and not percent and not has_formulas:
        return scan
    pattern = re.compile(rb'<c r="([' + letters.encode() + rb'])(\d+)"([^>]*?)(?:/>|>(.*?)</c>)', re.S)
    for match in pattern.finditer(xml):
        address = (match.group(1) + match.group(2)).decode()
        attrs, body = match.group(3), match.group(4) or b""
        if has_errors and b't="e"' in attrs:
            value = re.search(rb"<v>([^<]*)</v>", body)
            scan.errors[address] = value.group(1).decode() if value else "#N/A"
        if has_formulas and (b"<f>" in body or b"<f " in body) and not re.search(rb"<v>[^<]", body):
            scan.uncached.add(address)
        style = re.search(rb'\bs="(\d+)"', attrs)
        if style and int(style.group(1)) in percent:
            scan.percent.add(address)
            scan.formats[address] = percent[int(style.group(1))]
    return scan


def scan_ods(package: Zip, sheet: str, letters: str) -> Scan:
    """The percentage cells of table ``sheet`` of an .ods (a reader gives 0.7 for a cell shown as 70 %)."""
    scan = Scan()
    try:
        content = package.read("content.xml")
    except (KeyError, ValueError, zlib.error):
        return scan
    if b'value-type="percentage"' not in content:
        return scan
    wanted = {ord(c) - 64 for c in letters}
    try:
        events = ElementTree.iterparse(io.BytesIO(content), events=("start", "end"))
        row = column = 0
        inside = False
        for event, element in events:
            tag = _local(element.tag)
            if tag == "table" and event == "start":
                inside = _attribute(element, "name") == sheet
                row = 0
            elif not inside:
                if event == "end":
                    element.clear()
                continue
            elif tag == "table-row" and event == "start":
                column = 0
            elif tag == "table-row" and event == "end":
                row += int(_attribute(element, "number-rows-repeated") or 1)
                element.clear()
            elif tag in ("table-cell", "covered-table-cell") and event == "start":
                repeat = int(_attribute(element, "number-columns-repeated") or 1)
                if _attribute(element, "value-type") == "percentage":
                    for offset in range(min(repeat, MAX_COLUMNS)):
                        if column + offset + 1 in wanted:
                            address = f"{chr(65 + column + offset)}{row + 1}"
                            scan.percent.add(address)
                column += repeat
            elif tag == "table" and event == "end":
                inside = False
    except (ElementTree.ParseError, ValueError):
        return scan
    return scan


def _attribute(element, name: str) -> str | None:
    for key, value in element.attrib.items():
        if key.rpartition("}")[2] == name:
            return value
    return None

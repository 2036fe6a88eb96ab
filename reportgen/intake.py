"""Reading returned workbooks: format checks, identity, and every input cell.

:func:`read_form` takes the bytes of one returned file and gives a
:class:`Reading`: the agency's values, ready to store, and every problem with its
sheet, cell and a Vietnamese sentence saying what to type instead. A file that
cannot be accepted at all raises :class:`~reportgen.errors.FileRejected`.

Files are routed by their bytes, not their extension: .xlsx (Excel, LibreOffice,
WPS), .xls and .ods are read with python-calamine; renamed, corrupt, encrypted,
macro-enabled, oversized, zip-bomb and XML-entity files are refused.
"""

from __future__ import annotations

import hmac
import io
import re
import struct
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from python_calamine import CalamineError, CalamineWorkbook, PasswordError

from . import messages as msg
from .errors import FileRejected
from .forms import (
    ASSESSMENTS,
    COLUMNS,
    DATA_SHEET,
    HEADERS,
    IDENTITY_FIELDS,
    META_MARKER,
    META_SHEET,
    RATIO,
    TASK,
    TASK_STATUSES,
    VALUE,
    FormPlanner,
    FormRow,
    sign,
)
from .store import NewValue
from .text import clean, fold, format_number, parse_number

__all__ = ["Problem", "Reading", "Expectation", "read_form", "sniff", "MAX_BYTES"]

MAX_BYTES = 20 * 1024 * 1024
MAX_UNPACKED = 200 * 1024 * 1024
MAX_MEMBERS = 2000


@dataclass(frozen=True)
class Problem:
    sheet: str
    cell: str
    code: str
    message: str
    level: str = "error"  # "error": something to fix; "note": how a value was read
    key: str = ""  # the form row, to mark the cell in the workbook sent back
    column: str = ""

    def to_dict(self) -> dict:
        return {"sheet": self.sheet, "cell": self.cell, "code": self.code, "message": self.message}


@dataclass
class Reading:
    """What one returned form says."""

    fmt: str
    identity: dict[str, str]
    agency: str
    period: str
    form_id: str
    plans: str
    saved_at: datetime | None
    values: list[NewValue] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    entered: dict[str, dict[str, object]] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def notes(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "note"]


@dataclass
class Expectation:
    """What a ``collect`` run accepts: one period, this workspace's key and catalog."""

    period: str
    key: bytes
    versions: dict[str, str]
    names: dict[str, str]
    planner_for: object  # Callable[[list[str]], FormPlanner]: the rows of the plans of a form
    agency: str | None = None  # from --agency: every file must belong to it

    def name(self, code: str) -> str:
        return self.names.get(code, code)


# ---------------------------------------------------------------------------------------
# The container
# ---------------------------------------------------------------------------------------
def sniff(data: bytes) -> str:
    """What the bytes are: xlsx, xlsm, ods, xls, encrypted, or something else.

    >>> sniff(b"<!DOCTYPE html><html>")
    'html'
    >>> sniff(b"STT,Chi tieu\\n1,2\\n")
    'csv'
    """
    return _sniff(data)[0]


def _sniff(data: bytes) -> tuple[str, zipfile.ZipFile | None]:
    if not data:
        return "empty", None
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return _sniff_zip(data)
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        if "EncryptedPackage".encode("utf-16-le") in data:
            return "encrypted", None
        return "xls", None
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


def _sniff_zip(data: bytes) -> tuple[str, zipfile.ZipFile | None]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return "corrupt", None
    if "mimetype" in names:
        mimetype = _head(data, archive.getinfo("mimetype"), 100)
        return ("ods" if b"opendocument.spreadsheet" in mimetype else "zip"), archive
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        if "xl/vbaProject.bin" in names:
            return "xlsm", archive
        if "xl/workbook.bin" in names:
            return "xlsb", archive
        return "xlsx", archive
    if "word/document.xml" in names:
        return "docx", archive
    return "zip", archive


def _raw(data: bytes, info: zipfile.ZipInfo, limit: int | None = None) -> bytes:
    """The stored bytes of a zip member, sliced straight from the archive bytes.

    Cheaper than ZipFile.open() for the many small members we look at.
    """
    offset = info.header_offset
    name_length, extra_length = struct.unpack_from("<HH", data, offset + 26)
    start = offset + 30 + name_length + extra_length
    return data[start : start + min(info.compress_size, limit or info.compress_size)]


def _head(data: bytes, info: zipfile.ZipInfo, size: int = 512) -> bytes:
    """The first ``size`` bytes of a zip member, decompressed."""
    raw = _raw(data, info, 8192)
    if info.compress_type == zipfile.ZIP_STORED:
        return raw[:size]
    if info.compress_type == zipfile.ZIP_DEFLATED:
        return zlib.decompressobj(-15).decompress(raw, size)
    return b""


def _check_zip(data: bytes, archive: zipfile.ZipFile) -> None:
    """Refuse zip bombs, macros and XML entity declarations before any parser sees them."""
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise FileRejected("zip-bomb", size=len(members))
    unpacked = sum(m.file_size for m in members)
    if unpacked > MAX_UNPACKED:
        raise FileRejected("zip-bomb", size=round(unpacked / 1024 / 1024))
    for member in members:
        if member.file_size and member.filename.endswith((".xml", ".rels")):
            head = _head(data, member)
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise FileRejected("xml-entity")
            if member.filename == "[Content_Types].xml" and b"macroEnabled" in head:
                raise FileRejected("macro")


# ---------------------------------------------------------------------------------------
# Reading a form
# ---------------------------------------------------------------------------------------
def read_form(data: bytes, name: str, expect: Expectation) -> Reading:
    """Read one returned form. Raises FileRejected when the file cannot be accepted."""
    if not data:
        raise FileRejected("empty")
    if len(data) > MAX_BYTES:
        raise FileRejected("too-large", size=round(len(data) / 1024 / 1024, 1),
                           limit=MAX_BYTES // 1024 // 1024)
    fmt, archive = _sniff(data)
    if fmt == "xlsm":
        raise FileRejected("macro")
    if fmt == "encrypted":
        raise FileRejected("password")
    if fmt == "corrupt":
        raise FileRejected("corrupt", why="tệp nén hỏng")
    if fmt not in ("xlsx", "xls", "ods"):
        raise FileRejected("renamed", ext=Path(name).suffix or "(không đuôi)",
                           actual=msg.FORMAT_NAMES.get(fmt, msg.FORMAT_NAMES["unknown"]))
    if archive is not None:
        try:
            _check_zip(data, archive)
        except (struct.error, zlib.error) as exc:
            raise FileRejected("corrupt", why="tệp nén hỏng") from exc
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except PasswordError as exc:
        raise FileRejected("password") from exc
    except (CalamineError, ValueError, OSError) as exc:
        raise FileRejected("corrupt", why=type(exc).__name__) from exc
    with workbook:
        identity = _identity(workbook)
        _verify(identity, name, expect)
        rows, sheet = _data(workbook)
    scan = _scan_xlsx(data, archive, sheet) if fmt == "xlsx" else _Scan()
    reading = Reading(
        fmt=fmt, identity=identity, agency=identity["agency"], period=identity["period"],
        form_id=identity["form_id"], plans=identity["plans"],
        saved_at=_saved_at(data, archive, fmt),
    )
    planner: FormPlanner = expect.planner_for(_plan_ids(identity["plans"]))
    expected = {row.key: row for row in planner.rows(reading.agency)}
    _read_rows(rows, sheet, expected, scan, reading)
    return reading


def _identity(workbook: CalamineWorkbook) -> dict[str, str]:
    candidates = [META_SHEET] + [n for n in workbook.sheet_names if n != META_SHEET]
    for sheet_name in candidates:
        if sheet_name not in workbook.sheet_names:
            continue
        rows = workbook.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False, nrows=20)
        if not rows or not rows[0] or clean(rows[0][0]) != META_MARKER:
            continue
        values = {clean(r[0]): clean(r[1]) for r in rows if len(r) >= 2 and clean(r[0])}
        if all(name in values for name in (*IDENTITY_FIELDS, "signature")):
            return values
        raise FileRejected("forged")
    raise FileRejected("not-a-form")


def _plan_ids(plans: str) -> list[str]:
    return [p.split("@")[0] for p in plans.split(",") if p]


def _verify(identity: dict[str, str], name: str, expect: Expectation) -> None:
    wanted = sign(expect.key, identity)
    if not hmac.compare_digest(wanted, identity["signature"]):
        raise FileRejected("forged")
    agency = identity["agency"]
    if agency not in expect.names:
        raise FileRejected("unknown-agency", agency=agency)
    if identity["period"] != expect.period:
        raise FileRejected("wrong-period", found=identity["period"], expected=expect.period)
    named = expect.agency or _agency_in_name(name, expect)
    if named and named != agency:
        raise FileRejected("wrong-agency", expected=named, expected_name=expect.name(named),
                           found=agency, found_name=expect.name(agency))
    for entry in identity["plans"].split(","):
        plan, _, version = entry.partition("@")
        current = expect.versions.get(plan)
        if current != version:
            raise FileRejected("old-catalog", found=entry,
                               current=f"{plan}@{current}" if current else "(không còn kế hoạch này)")


_NAME = re.compile(r"^(?:\d{4}(?:-\w{1,3})?)_(?P<code>[a-z0-9-]+?)(?:[._ ]|$)")


def _agency_in_name(name: str, expect: Expectation) -> str | None:
    """The agency a file name claims, as in our own names: 2026-11_so-khcn.xlsx."""
    match = _NAME.match(Path(name).name.lower())
    if match and match["code"] in expect.names:
        return match["code"]
    return None


def _data(workbook: CalamineWorkbook) -> tuple[list[list], str]:
    names = workbook.sheet_names
    ordered = ([DATA_SHEET] if DATA_SHEET in names else []) + [n for n in names if n != DATA_SHEET]
    for sheet_name in ordered:
        if sheet_name == META_SHEET:
            continue
        rows = workbook.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
        header = HEADERS["value"]
        if any(header in row for row in rows[:30]) or any(
            header in (clean(c) for c in row if isinstance(c, str)) for row in rows[:30]
        ):
            return rows, sheet_name
    raise FileRejected("no-data-sheet")


def _saved_at(data: bytes, archive: zipfile.ZipFile | None, fmt: str) -> datetime | None:
    """When the agency last saved the file, from the file's own properties."""
    if archive is None:
        return None
    member = "docProps/core.xml" if fmt == "xlsx" else "meta.xml"
    try:
        text = _head(data, archive.getinfo(member), 4096).decode("utf-8", "replace")
    except (KeyError, struct.error, zlib.error):
        return None
    match = re.search(r"<(?:dcterms:modified|meta:creation-date|dc:date)[^>]*>([^<]+)<", text)
    if not match:
        return None
    try:
        return datetime.fromisoformat(match.group(1).strip().replace("Z", "+00:00"))
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------
# What the cells hide: errors, formulas and percent formats (xlsx only)
# ---------------------------------------------------------------------------------------
@dataclass
class _Scan:
    errors: dict[str, str] = field(default_factory=dict)
    percent: set[str] = field(default_factory=set)


_INPUT_LETTERS = "HIJKLM"
_CELL = re.compile(rb'<c r="([' + _INPUT_LETTERS.encode() + rb'])(\d+)"([^>]*)>(.*?)</c>', re.S)


def _member(data: bytes, archive: zipfile.ZipFile, name: str) -> bytes:
    """A whole zip member, decompressed from the archive bytes (no ZipFile.open)."""
    info = archive.getinfo(name)
    raw = _raw(data, info)
    if info.compress_type == zipfile.ZIP_DEFLATED:
        return zlib.decompress(raw, -15)
    return raw if info.compress_type == zipfile.ZIP_STORED else archive.read(name)


def _sheet_member(data: bytes, archive: zipfile.ZipFile, sheet: str) -> str | None:
    workbook = _member(data, archive, "xl/workbook.xml").decode("utf-8", "replace")
    rels = _member(data, archive, "xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    for tag in re.finditer(r"<(?:\w+:)?sheet\b[^>]*>", workbook):
        attrs = tag.group(0)
        name = re.search(r'\bname="([^"]*)"', attrs)
        rid = re.search(r'\br:id="([^"]*)"', attrs) or re.search(r'\bid="([^"]*)"', attrs)
        if name and rid and clean(_unescape(name.group(1))) == sheet:
            for rel in re.finditer(r"<Relationship\b[^>]*>", rels):
                if f'Id="{rid.group(1)}"' in rel.group(0):
                    target = re.search(r'Target="([^"]*)"', rel.group(0)).group(1)
                    return target.lstrip("/") if target.startswith("/") else "xl/" + target
    return None


def _unescape(text: str) -> str:
    return text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')


def _percent_styles(data: bytes, archive: zipfile.ZipFile) -> set[int]:
    try:
        styles = _member(data, archive, "xl/styles.xml").decode("utf-8", "replace")
    except KeyError:
        return set()
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


def _scan_xlsx(data: bytes, archive: zipfile.ZipFile | None, sheet: str) -> _Scan:
    scan = _Scan()
    if archive is None:
        return scan
    try:
        member = _sheet_member(data, archive, sheet)
        xml = _member(data, archive, member) if member else b""
    except (KeyError, struct.error, zlib.error):
        return scan
    percent = _percent_styles(data, archive)
    has_errors = b't="e"' in xml
    if not has_errors and not percent:
        return scan
    for match in _CELL.finditer(xml):
        address = (match.group(1) + match.group(2)).decode()
        attrs = match.group(3)
        if has_errors and b't="e"' in attrs:
            value = re.search(rb"<v>([^<]*)</v>", match.group(4))
            scan.errors[address] = value.group(1).decode() if value else "#N/A"
        style = re.search(rb'\bs="(\d+)"', attrs)
        if style and int(style.group(1)) in percent:
            scan.percent.add(address)
    return scan


# ---------------------------------------------------------------------------------------
# The rows
# ---------------------------------------------------------------------------------------
def _letter(col: int) -> str:
    return chr(ord("A") + col) if col < 26 else "A" + chr(ord("A") + col - 26)


_TITLES = {text: name for name, text in HEADERS.items()}


def _columns(rows: list[list]) -> dict[str, int]:
    """Column positions from the header row's text; our own layout if it is missing."""
    for row in rows[:30]:
        if HEADERS["value"] not in row and HEADERS["name"] not in row:
            if not any(isinstance(c, str) and clean(c) == HEADERS["value"] for c in row):
                continue
        found = {_TITLES[clean(c)]: i for i, c in enumerate(row)
                 if isinstance(c, str) and clean(c) in _TITLES}
        if "value" in found and "name" in found:
            return {**COLUMNS, **found}
    return dict(COLUMNS)


def _read_rows(rows: list[list], sheet: str, expected: dict[str, FormRow], scan: _Scan,
               reading: Reading) -> None:
    columns = _columns(rows)
    by_code = {row.code: row for row in expected.values()}
    seen: dict[str, int] = {}
    key_column = columns["key"]
    # Files whose cells hide errors or percent formats always take the careful path.
    fast = _FastRows(columns) if not scan.errors and not scan.percent else None
    for index, cells in enumerate(rows):
        key = cells[key_column] if key_column < len(cells) else ""
        if not isinstance(key, str) or "|" not in key:
            if not any(cells):
                continue
            get = _Getter(cells, columns)
            code = clean(get("code"))
            if code not in by_code or not clean(get("name")):
                continue  # titles, headers, section rows
            key = by_code[code].key  # the hidden key column was lost: match by code
        else:
            key = clean(key)
        number = index + 1
        row = expected.get(key)
        if row is None:
            reading.problems.append(Problem(sheet, f"A{number}", key, msg.ROW_UNKNOWN.format(key=key)))
            continue
        if key in seen:
            reading.problems.append(Problem(sheet, f"B{number}", row.code, msg.ROW_DUPLICATE.format(
                code=row.code, first=seen[key], second=number)))
            continue
        seen[key] = number
        if fast is None or not fast.read(cells, row, reading, number):
            _RowReader(sheet, number, row, _Getter(cells, columns), columns, scan, reading).read()
    for key, row in expected.items():
        if key not in seen:
            reading.problems.append(Problem(sheet, "", row.code, msg.ROW_MISSING.format(code=row.code),
                                            level="note"))


class _FastRows:
    """The common case, checked in a few comparisons: untouched locked cells and
    plain numbers or list choices where they belong. Anything else (text to parse,
    a value out of range, a problem to report) goes to :class:`_RowReader`."""

    def __init__(self, columns: dict[str, int]):
        c = columns
        self.width = max(c.values()) + 1
        self.name, self.unit, self.target = c["name"], c["unit"], c["target"]
        self.value, self.numerator, self.denominator = c["value"], c["numerator"], c["denominator"]
        self.assessment, self.note = c["assessment"], c["note"]
        self.doc = (c["doc_number"], c["doc_date"])
        self.letter = _letter(c["value"])

    def read(self, cells: list, row: FormRow, reading: Reading, number: int) -> bool:
        if len(cells) < self.width:
            return False
        if cells[self.name] != row.name or cells[self.unit] != row.unit or cells[self.target] != row.target:
            return False
        note = cells[self.note]
        if note != "" and not (type(note) is str and note.isprintable() and "  " not in note
                               and unicodedata.is_normalized("NFC", note) and note == note.strip()):
            return False
        kind = row.input
        inputs = (self.value, self.numerator, self.denominator, self.assessment, *self.doc)
        if note == "" and all(cells[i] == "" for i in inputs):
            return True  # an empty row: nothing reported
        entered: dict[str, object] = {"note": note} if note else {}
        fields: dict[str, object] = {}
        if kind == VALUE:
            value = cells[self.value]
            if type(value) is not float or value < 0 or row.lower_is_better:
                return False
            if row.percent and (value > 100 or 0 < value < 1):
                return False
            entered["value"] = fields["value"] = value
        elif kind == RATIO:
            numerator, denominator = cells[self.numerator], cells[self.denominator]
            if type(numerator) is not float or type(denominator) is not float:
                return False
            if not 0 <= numerator <= denominator or denominator <= 0:
                return False
            entered.update(numerator=numerator, denominator=denominator)
            fields.update(numerator=numerator, denominator=denominator,
                          value=numerator / denominator * 100)
        elif kind == TASK:
            return False
        else:
            said = cells[self.assessment]
            if said not in ASSESSMENTS or (said == "Đạt" and not note):
                return False
            entered["assessment"] = fields["assessment"] = said
        reading.entered[row.key] = entered
        reading.values.append(_new_value(row, f"{self.letter}{number}", True, note=note or None, **fields))
        return True


def _new_value(row: FormRow, cell: str, ok: bool, **fields) -> NewValue:
    """A value to store for form row ``row`` (key "plan|code" or "plan|code|part")."""
    plan, _, rest = row.key.partition("|")
    code, _, part = rest.partition("|")
    return NewValue(key=row.key, plan=plan, code=code, part=part, cell=cell, ok=ok, **fields)


class _Getter:
    def __init__(self, cells: list, columns: dict[str, int]):
        self.cells = cells
        self.columns = columns

    def __call__(self, name: str):
        index = self.columns[name]
        return self.cells[index] if index < len(self.cells) else ""


_ASSESSMENT_WORDS = {fold(a): a for a in ASSESSMENTS} | {
    "khong dat": "Chưa đạt", "chua hoan thanh": "Chưa đạt", "dang trien khai": "Đang thực hiện",
    "dat yeu cau": "Đạt", "hoan thanh": "Đạt",
}
_TASK_WORDS = {fold(s): s for s in TASK_STATUSES} | {
    "hoan thanh": "Đã hoàn thành", "da ban hanh": "Đã hoàn thành", "xong": "Đã hoàn thành",
    "da xong": "Đã hoàn thành", "dang trien khai": "Đang thực hiện", "chua": "Chưa thực hiện",
    "chua ban hanh": "Chưa thực hiện",
}


class _RowReader:
    """Reads the input cells of one form row into a value and its problems."""

    def __init__(self, sheet, number, row: FormRow, get: _Getter, columns, scan: _Scan,
                 reading: Reading):
        self.sheet, self.number, self.row, self.get = sheet, number, row, get
        self.columns, self.scan, self.reading = columns, scan, reading
        self.ok = True
        self.entered: dict[str, object] = {}

    def cell(self, name: str) -> str:
        return f"{_letter(self.columns[name])}{self.number}"

    def problem(self, name: str, message: str, level: str = "error") -> None:
        if level == "error":
            self.ok = False
        self.reading.problems.append(Problem(self.sheet, self.cell(name), self.row.code, message, level,
                                             key=self.row.key, column=name))

    def raw(self, name: str):
        value = self.get(name)
        if isinstance(value, str):
            if not value:
                return value
            value = clean(value)
        if value != "" and value is not None:
            self.entered[name] = value
        return value

    def read(self) -> None:
        self._locked()
        kind = self.row.input
        fields: dict = {}
        if kind == VALUE:
            fields["value"] = self.number_in("value")
        elif kind == RATIO:
            fields.update(self.ratio())
        elif kind == TASK:
            fields.update(self.task())
        else:
            fields.update(self.assessment())
        note = clean(self.raw("note"))
        fields["note"] = note or None
        if self.entered:
            self.reading.entered[self.row.key] = self.entered
        if all(v in (None, "") for k, v in fields.items() if k != "note") and not note:
            return  # an empty row: nothing reported
        self.reading.values.append(_new_value(self.row, self.cell("value"), self.ok, **fields))

    # -- locked cells ---------------------------------------------------------------------
    def _locked(self) -> None:
        for name in ("name", "unit", "target"):
            raw = self.get(name)
            expected = getattr(self.row, name)
            if raw == expected:
                continue
            found = clean(raw)
            if found != expected and not (isinstance(raw, float) and _same_number(raw, expected)):
                self.reading.problems.append(Problem(
                    self.sheet, self.cell(name), self.row.code,
                    msg.CELL_LOCKED_CHANGED.format(found=found, expected=expected),
                    key=self.row.key, column=name))

    # -- numbers ----------------------------------------------------------------------------
    def number_in(self, name: str) -> float | None:
        raw = self.raw(name)
        address = self.cell(name) if self.scan.errors or self.scan.percent else ""
        if address in self.scan.errors:
            self.problem(name, msg.CELL_ERROR.format(raw=self.scan.errors[address]))
            return None
        if raw == "" or raw is None:
            return None
        if type(raw) is float and raw >= 0 and not address and not (
                name == "value" and (self.row.percent or self.row.lower_is_better)):
            return raw  # the common case: a plain number where a number is expected
        if isinstance(raw, bool):
            self.problem(name, msg.CELL_BOOL)
            return None
        if isinstance(raw, (date, datetime, timedelta)):
            self.problem(name, msg.CELL_DATE_NOT_NUMBER.format(raw=raw))
            return None
        if isinstance(raw, (int, float)):
            value = float(raw)
            if address in self.scan.percent and name == "value":
                value = round(value * 100, 10)
                self.problem(name, msg.NOTE_PERCENT_FORMAT.format(raw=format_number(raw, 4),
                                                                  value=format_number(value)), "note")
        else:
            parsed = parse_number(str(raw))
            if parsed.value is None:
                self.problem(name, msg.CELL_NOT_NUMBER.format(raw=raw))
                return None
            value = parsed.value
            if parsed.ambiguous:
                self.problem(name, msg.NOTE_AMBIGUOUS.format(
                    raw=raw, value=format_number(value, 3),
                    alt=format_number(value * 1000, 0)), "note")
        return self.check_range(name, value)

    def check_range(self, name: str, value: float) -> float | None:
        if value < 0:
            self.problem(name, msg.CELL_NEGATIVE.format(value=format_number(value)))
            return None
        if name == "value" and self.row.percent:
            if value > 100:
                self.problem(name, msg.CELL_PERCENT_HIGH.format(value=format_number(value)))
                return None
            if 0 < value < 1 and (not self.scan.percent or self.cell(name) not in self.scan.percent):
                self.problem(name, msg.NOTE_SMALL_PERCENT.format(
                    value=format_number(value, 4), alt=format_number(value * 100)), "note")
        if name == "value" and self.row.lower_is_better and self.row.unit.lower().startswith("thứ"):
            if value < 1 or not float(value).is_integer():
                self.problem(name, msg.CELL_RANK.format(value=format_number(value)))
                return None
        return value

    def ratio(self) -> dict:
        typed = self.raw("value")
        numerator = self.number_in("numerator")
        denominator = self.number_in("denominator")
        fields = {"numerator": numerator, "denominator": denominator, "value": None}
        if numerator is None and denominator is None:
            if isinstance(typed, (int, float)) and "numerator" not in self.entered and \
                    "denominator" not in self.entered and typed not in (0, 0.0):
                self.problem("value", msg.CELL_RATIO_TYPED.format(raw=format_number(typed)))
            return fields
        if numerator is None or denominator is None:
            present, missing = ("tử số", "mẫu số") if numerator is not None else ("mẫu số", "tử số")
            if self.ok:
                self.problem("numerator" if numerator is None else "denominator",
                             msg.CELL_RATIO_HALF.format(present=present, missing=missing))
            return fields
        if denominator == 0:
            self.problem("denominator", msg.CELL_RATIO_ZERO)
            return fields
        if numerator > denominator:
            self.problem("numerator", msg.CELL_RATIO_HIGH.format(
                numerator=format_number(numerator), denominator=format_number(denominator)))
            return fields
        # The form's own % cell is a formula whose cached value cannot be trusted: recompute.
        fields["value"] = numerator / denominator * 100
        return fields

    # -- choices, tasks ---------------------------------------------------------------------
    def choice(self, words: dict[str, str], choices: tuple[str, ...]) -> str | None:
        raw = self.raw("assessment")
        if raw in ("", None):
            return None
        value = words.get(fold(str(raw)))
        if value is None:
            self.problem("assessment", msg.CELL_ASSESSMENT.format(raw=raw, choices=" / ".join(choices)))
        return value

    def assessment(self) -> dict:
        value = self.choice(_ASSESSMENT_WORDS, ASSESSMENTS)
        if value == "Đạt" and not clean(self.get("note")):
            self.problem("note", msg.CELL_EVIDENCE.format(value=value))
        return {"assessment": value}

    def task(self) -> dict:
        status = self.choice(_TASK_WORDS, TASK_STATUSES)
        number = clean(self.raw("doc_number")) or None
        when = self.date_in("doc_date")
        if status == "Đã hoàn thành" and (not number or not when):
            self.problem("doc_number" if not number else "doc_date", msg.CELL_TASK_DOC)
        return {"assessment": status, "doc_number": number, "doc_date": when}

    def date_in(self, name: str) -> str | None:
        raw = self.raw(name)
        if raw in ("", None):
            return None
        parsed = parse_date(raw)
        if parsed is None:
            self.problem(name, msg.CELL_DATE.format(raw=raw))
            return None
        return parsed.isoformat()


def _same_number(found: float, expected: str) -> bool:
    parsed = parse_number(expected)
    return parsed.value is not None and abs(parsed.value - found) < 1e-9


_EXCEL_EPOCH = date(1899, 12, 30)


def parse_date(raw) -> date | None:
    """A date as agencies type it: a date, an Excel serial, 31/03/2026, 2026-03-31.

    >>> parse_date("31/03/2026"), parse_date(46112), parse_date("31-3-26")
    (datetime.date(2026, 3, 31), datetime.date(2026, 3, 31), datetime.date(2026, 3, 31))
    >>> parse_date("32/01/2026") is None
    True
    """
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if 20000 <= raw <= 80000:
            return _EXCEL_EPOCH + timedelta(days=int(raw))
        return None
    text = clean(str(raw))
    match = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})", text)
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            year = year + 2000 if year < 100 else year
            return date(year, month, day)
        match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
        if match:
            return date(*(int(g) for g in match.groups()))
    except ValueError:
        return None
    return None

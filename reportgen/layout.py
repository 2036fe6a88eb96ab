"""The layout of a collection form, and the names of every file the cycle writes.

One owner for what the form writer, the reader of returned files, the store,
the evaluation and the report must agree on: row keys (``plan|code[|part]``),
the role and position of every column, sheet names, the kinds of input rows,
the drop-down choices, output file names and the ratio percentage. Pure: no
I/O, no third-party imports.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

__all__ = [
    "DATA_SHEET",
    "GUIDE_SHEET",
    "LISTS_SHEET",
    "META_SHEET",
    "META_MARKER",
    "IDENTITY_FIELDS",
    "sign",
    "COLUMNS",
    "HEADERS",
    "WIDTHS",
    "INPUT_COLUMNS",
    "INPUTS",
    "LOCKED_TEXT_COLUMNS",
    "HEADER_ROW",
    "FIRST_DATA_ROW",
    "VALUE",
    "RATIO",
    "ASSESSMENT",
    "TASK",
    "ASSESSMENTS",
    "TASK_STATUSES",
    "RowKey",
    "row_key",
    "parse_row_key",
    "letter",
    "cell",
    "ratio_percent",
    "form_file",
    "return_file",
    "report_stem",
    "summary_file",
    "SUMMARY_TEMPLATE",
    "chart_file",
    "FORMS_DIR",
    "safe_file_name",
    "windows_reserved",
    "RETURNS_DIR",
    "CHARTS_DIR",
]

# --- sheets ----------------------------------------------------------------------------
DATA_SHEET = "BaoCao"
GUIDE_SHEET = "HuongDan"
RETURN_SHEET = "CanSua"  # the printable list of a return file
LISTS_SHEET = "_lists"
META_SHEET = "_meta"
META_MARKER = "reportgen-form"
IDENTITY_FIELDS = ("form_id", "agency", "period", "plans", "generated_at")


def sign(key: bytes, identity: dict[str, str]) -> str:
    """HMAC-SHA256 over a form's identity fields, in a fixed order.

    >>> sign(b"k", {"form_id": "f", "agency": "a", "period": "2026-11", "plans": "p@1",
    ...             "generated_at": "t"})[:16]
    'e8410099adb6bca4'
    """
    message = "\n".join(f"{name}={identity.get(name, '')}" for name in IDENTITY_FIELDS)
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()


# --- columns of the data sheet (0-based); the reader finds them by header text too ----
COLUMNS = {
    "key": 0,
    "code": 1,
    "name": 2,
    "unit": 3,
    "target": 4,
    "deadline": 5,
    "scope": 6,
    "previous": 7,
    "value": 8,
    "numerator": 9,
    "denominator": 10,
    "assessment": 11,
    "doc_number": 12,
    "doc_date": 13,
    "note": 14,
    "cause": 15,
}
HEADERS = {
    "key": "Khoá (không sửa)",
    "code": "Mã",
    "name": "Chỉ tiêu / nhiệm vụ",
    "unit": "Đơn vị tính",
    "target": "Mục tiêu",
    "deadline": "Thời hạn của mục tiêu",
    "scope": "Số liệu cần điền",
    "previous": "Kỳ trước",
    "value": "Kết quả thực hiện",
    "numerator": "Tử số",
    "denominator": "Mẫu số",
    "assessment": "Tự đánh giá / tình trạng",
    "doc_number": "Số văn bản",
    "doc_date": "Ngày ban hành",
    "note": "Minh chứng / ghi chú",
    "cause": "Nguyên nhân, giải pháp (khi chậm, chưa đạt)",
}
# Headers of earlier forms, still recognised when such a form comes back.
HEADER_ALIASES = {"Chỉ tiêu kỳ này": "target", "Thời hạn": "deadline"}
# Narrow enough that the 15 printed columns fit an A4 landscape page at about 85 %, so that the
# form's 11-point text prints at 9 points or more; long texts wrap (rows are as tall as they need).
WIDTHS = {
    "key": 18,
    "code": 6,
    "name": 27,
    "unit": 8,
    "target": 10,
    "deadline": 8,
    "scope": 10,
    "previous": 8,
    "value": 9,
    "numerator": 8,
    "denominator": 8,
    "assessment": 11,
    "doc_number": 9,
    "doc_date": 10,
    "note": 11,
    "cause": 11,
}
HEADER_ROW = 6
FIRST_DATA_ROW = 7  # 0-based index of the first row that can hold data

# Free-text cells every row has: the evidence, and the cause and remedy when it is behind.
TEXT_COLUMNS = ("note", "cause")

# The texts of a row the agency must not change (locked cells, checked on return).
LOCKED_TEXT_COLUMNS = ("name", "unit", "target")

# --- kinds of input rows and the cells each one asks for --------------------------------
VALUE = "value"
RATIO = "ratio"
ASSESSMENT = "assessment"
TASK = "task"

INPUT_COLUMNS = ("value", "numerator", "denominator", "assessment", "doc_number", "doc_date")
# For each kind of row: its input cells, and the cell style of each.
INPUTS = {
    VALUE: {"value": "in_number"},
    RATIO: {"numerator": "in_number", "denominator": "in_number"},
    ASSESSMENT: {"assessment": "in_text"},
    TASK: {"assessment": "in_text", "doc_number": "in_text", "doc_date": "in_date"},
}

ASSESSMENTS = ("Đạt", "Chưa đạt", "Đang thực hiện")
CLEAR_CHOICE = "Không có số liệu"  # in any input cell: withdraw what the row reported before
TASK_STATUSES = ("Đã hoàn thành", "Đang thực hiện", "Chưa thực hiện")


# --- row keys ----------------------------------------------------------------------------
@dataclass(frozen=True)
class RowKey:
    plan: str
    code: str
    part: str = ""

    def __str__(self) -> str:
        return row_key(self.plan, self.code, self.part)


def row_key(plan: str, code: str, part: str | None = None) -> str:
    """The key of a form row: ``plan|code``, or ``plan|code|part`` for a composite target.

    >>> row_key("ninh-binh-2026", "I.2.1"), row_key("ninh-binh-2026", "I.7.1", "b")
    ('ninh-binh-2026|I.2.1', 'ninh-binh-2026|I.7.1|b')
    """
    return f"{plan}|{code}" + (f"|{part}" if part else "")


def parse_row_key(key: str) -> RowKey:
    """The parts of a row key.

    >>> parse_row_key("ninh-binh-2026|I.7.1|b")
    RowKey(plan='ninh-binh-2026', code='I.7.1', part='b')
    """
    plan, _, rest = key.partition("|")
    code, _, part = rest.partition("|")
    return RowKey(plan, code, part)


def letter(col: int) -> str:
    """A 0-based column index as its spreadsheet letters.

    >>> letter(0), letter(7), letter(25), letter(26), letter(27)
    ('A', 'H', 'Z', 'AA', 'AB')
    """
    out = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        out = chr(ord("A") + rest) + out
    return out


def cell(column: str, row_number: int) -> str:
    """The address of a named column in a 1-based row: ``cell("value", 12) == "H12"``."""
    return f"{letter(COLUMNS[column])}{row_number}"


# --- numbers -------------------------------------------------------------------------------
def ratio_percent(numerator: float | None, denominator: float | None) -> float | None:
    """Numerator over denominator as a percentage; None without both or with a zero denominator.

    >>> ratio_percent(19, 20), ratio_percent(5, 0), ratio_percent(None, 4)
    (95.0, None, None)
    """
    if numerator is None or not denominator:
        return None
    return numerator / denominator * 100


def ratio_formula(numerator_cell: str, denominator_cell: str) -> str:
    """The form's own formula for a ratio's % cell (recomputed on return: see ``ratio_percent``).

    >>> ratio_formula("I9", "J9")
    '=IF(AND(ISNUMBER(I9),ISNUMBER(J9),J9>0),I9/J9*100,"")'
    """
    n, d = numerator_cell, denominator_cell
    return f'={RATIO_FORMULA_START}{n}),ISNUMBER({d}),{d}>0),{n}/{d}*100,"")'


RATIO_FORMULA_START = "IF(AND(ISNUMBER("  # how the stored formula begins in the sheet's XML


# --- file names Windows accepts --------------------------------------------------------------
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}


def windows_reserved(name: str) -> bool:
    """Whether Windows opens a device for this name, whatever its extension ("CON.xlsx", "aux").

    >>> windows_reserved("CON.xlsx"), windows_reserved("aux"), windows_reserved("console.xlsx")
    (True, True, False)
    """
    return name.split(".", 1)[0].strip().lower() in _RESERVED


def safe_file_name(name: str, fallback: str = "tep-dinh-kem") -> str:
    """A name as received, made safe to save on any system: no folder part, no character Windows
    refuses, no device name, not too long.

    >>> safe_file_name("../../CON.xlsx"), safe_file_name('Báo cáo: "T11".xlsx'), safe_file_name("...")
    ('_CON.xlsx', 'Báo cáo T11.xlsx', 'tep-dinh-kem')
    """
    shown = "".join(c for c in name.replace("\\", "/").rpartition("/")[2] if c.isprintable() and c not in '<>:"|?*')
    shown = shown.strip(". ")
    stem, dot, suffix = shown.rpartition(".")
    safe = (stem[:80].strip() + dot + suffix[:8]) if dot and stem else shown[:80]
    if not safe:
        return fallback
    return "_" + safe if windows_reserved(safe) else safe


# --- output files ------------------------------------------------------------------------
FORMS_DIR = "forms"
RETURNS_DIR = "returns"
CHARTS_DIR = "charts"


def form_file(period: str, agency: str) -> str:
    """The form an agency receives: ``2026-11_so-khcn.xlsx``."""
    return f"{period}_{agency}.xlsx"


def return_file(period: str, agency: str) -> str:
    """The agency's file sent back with its problems marked: ``2026-11_so-khcn_tra-lai.xlsx``."""
    return f"{period}_{agency}_tra-lai.xlsx"


def report_stem(period: str, plans: tuple[str, ...] = ()) -> str:
    """The Word report's file name without suffix; a report on chosen plans names them.

    >>> report_stem("2026-11"), report_stem("2026-11", ("ninh-binh-2026",))
    ('bao-cao_2026-11', 'bao-cao_2026-11_ninh-binh-2026')
    """
    return f"bao-cao_{period}" + "".join(f"_{p}" for p in plans)


SUMMARY_TEMPLATE = "bieu-tong-hop.xlsx"  # templates/xlsx/: the summary's look


def summary_file(period: str, plans: tuple[str, ...] = ()) -> str:
    return f"bieu-tong-hop_{period}" + "".join(f"_{p}" for p in plans) + ".xlsx"


def chart_file(period: str, name: str, plans: tuple[str, ...] = ()) -> str:
    return f"{period}" + "".join(f"_{p}" for p in plans) + f"_bieu-do_{name}.png"

import unicodedata
from datetime import date

import pytest

from reportgen.text import fold, format_number, parse_number, slugify, vn_date_line


@pytest.mark.parametrize(
    "text, value, ambiguous",
    [
        ("0,7", 0.7, False),
        ("0.65", 0.65, False),
        ("1.0", 1.0, False),
        ("1.000", 1000.0, False),
        ("1.500", 1500.0, False),
        ("1.234.567", 1234567.0, False),
        ("1.234,5", 1234.5, False),
        ("1,234.5", 1234.5, False),
        ("1,234,567", 1234567.0, False),
        ("1,234", 1.234, True),
        ("07", 7.0, False),
        ("85,5%", 85.5, False),
        (" 70 % ", 70.0, False),
        ("-3", -3.0, False),
        ("1.2.3", None, False),
        ("abc", None, False),
        ("", None, False),
    ],
)
def test_parse_number(text, value, ambiguous):
    result = parse_number(text)
    assert result.value == (pytest.approx(value) if value is not None else None)
    assert result.ambiguous is ambiguous


def test_fold_matches_nfd_tone_placement_and_case():
    nfd = unicodedata.normalize("NFD", "Sở Văn hoá và Thể thao")
    assert fold(nfd) == fold("SỞ VĂN HÓA VÀ THỂ THAO") == "so van hoa va the thao"
    assert fold("Tỉnh uỷ") == fold("Tỉnh ủy") == "tinh uy"
    assert fold("Đảng") == "dang"


@pytest.mark.parametrize(
    "value, decimals, text",
    [(1234567.891, 2, "1.234.567,89"), (70.0, None, "70"), (0.7, None, "0,7"), (-1500, 0, "-1.500"), (None, None, "")],
)
def test_format_number(value, decimals, text):
    assert format_number(value, decimals) == text


def test_slug_and_date_line():
    assert slugify("UBND phường Tam Điệp") == "ubnd-phuong-tam-diep"
    assert vn_date_line(date(2026, 1, 9)) == "ngày 09 tháng 01 năm 2026"
    assert vn_date_line(date(2026, 11, 22)) == "ngày 22 tháng 11 năm 2026"

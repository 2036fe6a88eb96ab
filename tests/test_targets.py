"""Every target shape found in the three seed plans, as a table."""

import pytest

from reportgen.targets import parse_target, split_target_from_name

# text, kind, op, value, value_max, unit, aspirational
SHAPES = [
    ("≥ 60", "numeric", ">=", 60, None, "", False),
    ("≥10", "numeric", ">=", 10, None, "", False),
    ("> 3", "numeric", ">", 3, None, "", False),
    ("≤ 15", "numeric", "<=", 15, None, "", False),
    ("< 10", "numeric", "<", 10, None, "", False),
    ("100", "numeric", "=", 100, None, "", False),
    ("0,7", "numeric", "=", 0.7, None, "", False),
    ("> 0,7", "numeric", ">", 0.7, None, "", False),
    ("≥ 0.65", "numeric", ">=", 0.65, None, "", False),
    ("1.0", "numeric", "=", 1.0, None, "", False),
    ("1.000", "numeric", "=", 1000, None, "", False),
    ("1.500", "numeric", "=", 1500, None, "", False),
    ("07", "numeric", "=", 7, None, "", False),
    ("≥ 02", "numeric", ">=", 2, None, "", False),
    ("≥ 60%", "numeric", ">=", 60, None, "%", False),
    ("≥ 1,0%", "numeric", ">=", 1.0, None, "%", False),
    ("2,5%", "numeric", "=", 2.5, None, "%", False),
    ("2% GRDP", "numeric", "=", 2, None, "% GRDP", False),
    ("80-90", "numeric", "range", 80, 90, "", False),
    ("07-10", "numeric", "range", 7, 10, "", False),
    ("15-20", "numeric", "range", 15, 20, "", False),
    ("Đạt 100%", "numeric", "=", 100, None, "%", False),
    ("Đạt 83%", "numeric", "=", 83, None, "%", False),
    ("Đạt tối thiểu 70%", "numeric", ">=", 70, None, "%", False),
    ("Đạt tối thiểu 0.70", "numeric", ">=", 0.7, None, "", False),
    ("Đạt tối thiểu 10 lần", "numeric", ">=", 10, None, "lần", False),
    ("Phấn đấu 2%", "numeric", "=", 2, None, "%", True),
    ("Phần đầu ≥ 3", "numeric", ">=", 3, None, "", True),
    ("Phân đấu ≥ 2", "numeric", ">=", 2, None, "", True),
    ("Phân đấu ≥ 01", "numeric", ">=", 1, None, "", True),
    ("Phân đấu 01 doanh nghiệp trở lên", "numeric", ">=", 1, None, "doanh nghiệp", True),
    ("Có", "qualitative", None, None, None, "", False),
    ("Đạt", "qualitative", None, None, None, "", False),
    ("Duy trì, phát triển", "qualitative", None, None, None, "", False),
    ("Làm chủ", "qualitative", None, None, None, "", False),
    ("Ứng dụng mạnh mẽ", "qualitative", None, None, None, "", False),
    ("Đạt mức khá", "qualitative", None, None, None, "", False),
    ("Đẩy mạnh", "qualitative", None, None, None, "", False),
    ('Thực sự đóng vai trò "bộ não số" của tỉnh', "qualitative", None, None, None, "", False),
    ("Đạt mức khá trong khu vực trung du miền núi phía Bắc", "qualitative", None, None, None, "", False),
    ("Tăng dần theo mỗi năm", "trend", ">", None, None, "", False),
    ("Tăng dần qua các năm", "trend", ">", None, None, "", False),
    ("Tăng dần theo yêu cầu phát triển, theo khả năng cân đối ngân sách", "trend", ">", None, None, "", False),
    ("Triển khai theo hướng dẫn của Bộ", "directive", None, None, None, "", False),
    ("Triển khai theo hướng dẫn, mục tiêu Bộ Khoa học và Công nghệ", "directive", None, None, None, "", False),
    ("Theo hướng dẫn của Trung ương", "directive", None, None, None, "", False),
]


@pytest.mark.parametrize("text, kind, op, value, value_max, unit, aspirational", SHAPES)
def test_target_shapes(text, kind, op, value, value_max, unit, aspirational):
    [target] = parse_target(text, year=2030)
    assert target.text == text
    assert target.kind == kind
    assert target.op == op
    assert target.value == (pytest.approx(value) if value is not None else None)
    assert target.value_max == value_max
    assert target.unit == unit
    assert target.aspirational is aspirational
    assert target.parsed is True
    assert target.year == 2030


@pytest.mark.parametrize("text", ["-", "", "  ", "–"])
def test_no_target(text):
    assert parse_target(text) == []


def test_composite_target_gives_two_parts():
    text = "Đạt 100% đối với giáo viên và đạt tối thiểu 65% đối với học sinh phổ thông"
    a, b = parse_target(text, deadline="Thường xuyên")
    assert (a.part, a.label, a.op, a.value, a.unit) == ("a", "giáo viên", "=", 100, "%")
    assert (b.part, b.label, b.op, b.value, b.unit) == ("b", "học sinh phổ thông", ">=", 65, "%")
    assert a.text == b.text == text
    assert a.deadline == b.deadline == "Thường xuyên"


def test_unreadable_numbers_are_kept_and_marked():
    [target] = parse_target("Khoảng 3 đến 5 sản phẩm mỗi quý nếu có")
    assert target.parsed is False
    assert target.text == "Khoảng 3 đến 5 sản phẩm mỗi quý nếu có"


@pytest.mark.parametrize(
    "text, name, target",
    [
        ("Tỷ lệ phủ sóng 5G trên dân số: Đạt tối thiểu 70%", "Tỷ lệ phủ sóng 5G trên dân số", "Đạt tối thiểu 70%"),
        ("Chỉ số chuyển đổi số cấp tỉnh: Đạt tối thiểu 0.70", "Chỉ số chuyển đổi số cấp tỉnh", "Đạt tối thiểu 0.70"),
        (
            "Tỷ lệ giao dịch hành chính thuộc diện “phi tiếp xúc”: Đạt tối thiểu 80%",
            "Tỷ lệ giao dịch hành chính thuộc diện “phi tiếp xúc”",
            "Đạt tối thiểu 80%",
        ),
        ("Quyết định ban hành Khung kiến trúc dữ liệu", "Quyết định ban hành Khung kiến trúc dữ liệu", None),
    ],
)
def test_target_inside_indicator_text(text, name, target):
    assert split_target_from_name(text) == (name, target)

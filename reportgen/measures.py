"""What an indicator measures, and therefore who holds its figure and how figures add up. Pure.

The implementers column of a plan says who does the work, not who holds the
number. A province-wide rate of the population, a coverage, a ranking or index,
a share of GRDP or of the budget, a figure about the province's enterprises, a
share of the province's own agencies, a province-wide count or a province-level
achievement is **one figure**, reported by the one agency that holds it (the
monitoring agency, the statistics office, the state bank, the department in
charge). Figures each unit produces for itself (its own staff trained, its own
records digitised, its own initiatives) are reported by every unit and summed,
or taken as Σ numerators / Σ denominators. Telecom coverage is reported by the
operators; their networks overlap, so the province's is at least the highest.

:func:`classify` reads the indicator's name and unit (folded: no case, no tone
marks) and returns a :class:`Measure`: its kind, the rule of aggregation, who
reports (the holder or the units), and a reason a person can check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .text import fold

__all__ = ["Measure", "classify", "HOLDER", "UNITS", "OPERATORS", "is_count_unit", "measure_of_unit"]

HOLDER = "holder"  # one figure, reported by the agency that holds it
UNITS = "units"  # each unit's own figure
OPERATORS = "operators"  # the telecom operators


@dataclass(frozen=True)
class Measure:
    kind: str
    who: str  # holder | units | operators
    rule: str  # single | sum | ratio | all | max
    reason: str  # why, in Vietnamese, for the review note
    certain: bool = True  # False: a person should check it


def _has(text: str, *words: str) -> bool:
    return any(re.search(rf"(?<![a-z]){re.escape(w)}(?![a-z])", text) for w in words)


# What a name says about the figure (folded text).
_COVERAGE = ("phu song", "kha nang truy cap bang thong rong", "kha nang truy nhap bang rong")
_POPULATION = ("dan so", "nguoi dan co", "nguoi su dung co", "nguoi dan, doanh nghiep hai long")
_RANKING = ("xep hang", "so voi cac dia phuong", "thu bac", "trong ca nuoc", "muc kha")
_INDEX = ("chi so", "hdi", "pii", "dti", "tfp", "nang suat nhan to tong hop", "nang xuat nhan to tong hop")
_ECONOMY = ("grdp", "ngan sach", "kinh phi", "khong dung tien mat", "kinh te so", "cong nghiep van hoa")
_ENTERPRISES = ("doanh nghiep", "khoi nghiep", "vuon uom", "trung tam doi moi sang tao", "trung tam nghien cuu")
# The province's own systems, databases and results, counted by the agency in charge of them.
_PROVINCE_DATA = (
    "co so du lieu",
    "csdl",
    "he thong thong tin cua tinh",
    "he thong dang so",
    "ket qua khoa hoc va cong nghe",
)
# "Tỷ lệ (các) sở, ban ngành / xã, phường / cơ quan ..." : a share of the province's own agencies.
_UNIT_SHARE = re.compile(
    r"^(?:ty le|ti le)\s+(?:cac\s+)?(?:so\b|xa\b|co quan\b|don vi\b|dang uy\b|cong/trang\b|trang thong tin\b|"
    r"co quan bao chi\b|he thong dang so\b|cac he thong dang so\b)"
)
_PROVINCE_COUNT = (
    "toan tinh",
    "cap tinh",
    "co dia chi tai tinh",
    "co dia chi tac gia tai tinh",
    "tren dia ban",
    "cua tinh",
    "o tinh",
    "tinh co",
    "ca nuoc",
)
# Province-level state of affairs (qualitative): "Tỉnh có…", "Có ≥ 250 doanh nghiệp…", "Ninh Bình là…".
_PROVINCE_GOAL = re.compile(
    r"^(?:tinh\b|co\s*[≥>\d]|ninh binh\b|cao bang\b|hoi nhap\b|la dau tau\b|cac nganh\b|"
    r"thu hut\b|khoa hoc, cong nghe va doi moi sang tao gop phan\b)"
)

_COUNT_UNITS = (
    "to chuc",
    "bai bao",
    "doanh nghiep",
    "nguoi",
    "can bo",
    "de tai",
    "du an",
    "nhiem vu",
    "don",
    "cong trinh",
    "san pham",
    "sang che",
    "sang kien",
    "trung tam",
    "truong",
    "chuyen gia",
    "vuon uom",
    "he thong",
    "dich vu",
    "giai phap",
    "co so",
    "tai khoan",
    "thu tuc",
    "ho so",
    "van ban",
    "san",
    "don vi",
    "xa",
    "phuong",
)


_PER = ("van dan", "nghin dan", "dan", "100.000", "1.000", "nam", "thang", "ha", "km")


def is_count_unit(unit: str) -> bool:
    """Whether a unit counts things (a figure with decimals is then doubtful); "per" units
    ("Người/ vạn dân") are rates, not counts.

    >>> is_count_unit("Tổ chức khoa học"), is_count_unit("Bài báo"), is_count_unit("%"), is_count_unit("lần")
    (True, True, False, False)
    >>> is_count_unit("Vườn ươm/Trung tâm/Doanh ngành"), is_count_unit("Người/ vạn dân")
    (True, False)
    """
    folded = fold(unit)
    if not folded or "%" in folded:
        return False
    first, *others = (part.strip() for part in folded.split("/"))
    if any(other.startswith(_PER) for other in others):
        return False
    return first.startswith(_COUNT_UNITS)


def measure_of_unit(unit: str) -> str:
    """The kind of number a unit asks for: percent, share (of GRDP or a budget), rank, index, count, number.

    >>> [measure_of_unit(u) for u in ("%", "%GRDP", "% tổng chi NSNN", "Thứ bậc", "Chỉ số", "Doanh nghiệp", "lần")]
    ['percent', 'share', 'share', 'rank', 'index', 'count', 'number']
    """
    folded = fold(unit).replace(" ", "")
    if "grdp" in folded or "tongchi" in folded or "nsnn" in folded:
        return "share"
    if folded.startswith("%"):
        return "percent"
    if folded.startswith(("thubac", "xephang")):
        return "rank"
    if folded.startswith("chiso"):
        return "index"
    return "count" if is_count_unit(unit) else "number"


def classify(name: str, unit: str, qualitative: bool, implementers: int) -> Measure:
    """What an indicator measures, from its name and unit; ``implementers`` counts the
    agencies (after expanding groups) that the plan names to carry it out.

    >>> classify("Tỷ lệ phủ sóng 5G trên dân số", "%", False, 13).rule
    'max'
    >>> m = classify("Dân số từ 15 tuổi trở lên có tài khoản giao dịch tại ngân hàng", "%", False, 28)
    >>> (m.kind, m.who, m.rule)
    ('population', 'holder', 'single')
    >>> classify("Tỉ lệ cán bộ, công chức cấp xã được bồi dưỡng kỹ năng số căn bản", "%", False, 12).rule
    'ratio'
    >>> classify("Tỷ lệ các sở, ban ngành và các xã, phường đạt cấp độ 3", "%", False, 27).who
    'holder'
    """
    f = fold(name)
    u = fold(unit)
    if _has(f, *_COVERAGE):
        return Measure(
            "coverage",
            OPERATORS,
            "max",
            "vùng phủ của các doanh nghiệp viễn thông chồng lấn nhau: "
            "tỷ lệ của tỉnh lấy mức cao nhất doanh nghiệp báo cáo",
        )
    if _has(f, *_POPULATION) and not _has(f, "cong chuc", "can bo"):
        return Measure("population", HOLDER, "single", "tỷ lệ trên dân số toàn tỉnh là một số liệu chung")
    if _has(u, "thu bac", "xep hang") or _has(f, *_RANKING):
        return Measure("ranking", HOLDER, "single", "xếp hạng, trình độ của tỉnh so với cả nước là một số liệu chung")
    if _has(u, "chi so", "hdi") or _has(f, *_INDEX):
        return Measure("index", HOLDER, "single", "chỉ số của tỉnh là một số liệu chung")
    if _has(u, "grdp") or _has(f, *_ECONOMY):
        return Measure("economy", HOLDER, "single", "tỷ trọng, kinh phí, giao dịch của cả tỉnh là một số liệu chung")
    if _has(f, *_PROVINCE_DATA):
        return Measure(
            "province-data",
            HOLDER,
            "single",
            "hệ thống, cơ sở dữ liệu, kết quả chung của tỉnh: cơ quan quản lý lĩnh vực nắm số liệu",
        )
    if _UNIT_SHARE.match(f):
        return Measure(
            "unit-share", HOLDER, "single", "tỷ lệ các cơ quan, đơn vị đạt yêu cầu: cơ quan theo dõi đếm trên toàn tỉnh"
        )
    if _has(f, *_ENTERPRISES) and not _has(f, "khu vuc cong", "cua nguoi dan va doanh nghiep"):
        return Measure(
            "enterprises",
            HOLDER,
            "single",
            "số liệu về doanh nghiệp, khởi nghiệp, trung tâm trên địa bàn tỉnh: cơ quan quản lý nắm",
        )
    if qualitative and (_PROVINCE_GOAL.match(f) or implementers > 3):
        return Measure(
            "province-goal", HOLDER, "single", "mục tiêu chung của cả tỉnh: cơ quan theo dõi đánh giá", certain=False
        )
    if qualitative:
        return Measure(
            "unit-quality",
            UNITS,
            "all" if implementers > 1 else "single",
            "mỗi đơn vị thực hiện tự đánh giá; đạt khi mọi đơn vị đạt",
            certain=implementers <= 1,
        )
    rate = "%" in u or f.startswith(("ty le", "ti le", "ty trong"))
    if not rate and (
        _has(f, *_PROVINCE_COUNT)
        or (f.startswith(("so luong", "so ")) and implementers > 3 and not _has(f, "khu vuc cong", "sang kien"))
    ):
        return Measure(
            "province-count",
            HOLDER,
            "single",
            "số đếm chung của cả tỉnh, do cơ quan quản lý lĩnh vực nắm",
            certain=False,
        )
    if rate:
        return Measure(
            "unit-rate",
            UNITS,
            "ratio" if implementers > 1 else "single",
            "tỷ lệ trên số liệu của chính từng đơn vị: Σ tử số / Σ mẫu số",
        )
    return Measure(
        "unit-count", UNITS, "sum" if implementers > 1 else "single", "số đếm của chính từng đơn vị: cộng lại"
    )

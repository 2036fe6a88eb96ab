"""Re-import the three bundled plans (config/plans/*.yaml) from the seed appendices.

    python tools/import_seeds.py

The bundled catalog is what `reportgen catalog import` makes of the seeds in
tests/data/seeds/ (copies of ../shared/seeds/), plus the decisions of the review
below (what a reviewer does by editing the YAML after `catalog check`), each with
its reason kept in the row's `note`. Run this after changing the importer.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reportgen.importer import import_plan  # noqa: E402
from reportgen.planfile import dump_plan  # noqa: E402
from reportgen.sources import read_source  # noqa: E402
from reportgen.workspace import Workspace  # noqa: E402

SEEDS = ROOT / "tests" / "data" / "seeds"
PLANS = (
    ("ninh-binh-2025-2045", "ninh-binh-2025-2045-chi-tieu.txt", None),
    ("ninh-binh-2026", "ninh-binh-2026-phan-cong.txt", None),
    ("cao-bang-2030-2045", "cao-bang-2030-2045-chi-tieu.txt", "cao-bang"),
)


# (plan, code) -> fields set by the review, and why (kept in the row's note).
REVIEWED = {
    ("ninh-binh-2025-2045", "V.43"): (
        {"monitor": "so-khcn", "monitors": ["so-khcn"]},
        "Bảng gốc ghi nhóm các sở, ban, ngành, địa phương, doanh nghiệp ở cột theo dõi và Sở Khoa học và "
        "Công nghệ ở cột thực hiện; xếp hạng là số liệu chung do Sở Khoa học và Công nghệ tổng hợp.",
    ),
    ("ninh-binh-2025-2045", "IV.4"): (
        {"confirmed": ["milestones"]},
        "Văn bản ghi mốc 2035 là 50, thấp hơn mốc 2030 (≥ 60); giữ đúng văn bản, chờ cơ quan ban hành đính chính.",
    ),
}

# The 2026 plan repeats measures of the 2025-2045 plan: one figure, asked once (same_as). Each pair
# was read side by side: the same thing counted the same way, only "Tỷ lệ"/"Tỉ lệ", abbreviations or
# word order differ. `catalog check` proposes all but the last; the last was found by reading.
SAME_MEASURE = {
    "I.2.1": "I.1",  # phủ sóng 5G trên dân số
    "I.2.3": "V.17",  # hệ thống thông tin của tỉnh trên nền tảng điện toán đám mây
    "I.3.2": "II.7",  # CBCCVC làm chủ kỹ năng số
    "I.4.1": "V.10",  # khai thác, sử dụng lại dữ liệu đã số hóa trong TTHC
    "I.4.2": "V.5",  # hồ sơ, kết quả giải quyết TTHC được số hóa
    "I.4.3": "V.18",  # CSDL của tỉnh số hóa, liên thông với Trung ương
    "I.4.4": "V.19",  # dữ liệu các sở, ngành tích hợp với LGSP
    "I.4.5": "V.32",  # số hóa danh lam, thắng cảnh, di tích
    "I.4.7": "V.45",  # học liệu giáo dục phổ thông được số hóa
    "I.5.1": "V.1",  # chỉ số chuyển đổi số cấp tỉnh (DTI)
    "I.5.3": "V.3",  # TTHC về đào tạo, nghiên cứu, sản xuất, kinh doanh trực tuyến
    "I.5.4": "V.4",  # giao dịch hành chính "phi tiếp xúc"
    "I.5.5": "V.6",  # dịch vụ công trực tuyến toàn trình
    "I.5.6": "V.7",  # hồ sơ TTHC xử lý trực tuyến
    "I.5.7": "V.9",  # cấp kết quả giải quyết TTHC điện tử
    "I.5.10": "V.8",  # sử dụng dịch vụ công trực tuyến
    "I.5.11": "V.11",  # thanh toán trực tuyến trong TTHC
    "I.5.12": "V.16",  # người dân, doanh nghiệp hài lòng
    "I.5.13": "V.12",  # văn bản, hồ sơ công việc xử lý toàn trình trên môi trường điện tử
    "I.5.17": "V.29",  # đảng ủy, chính quyền xã dùng phần mềm quản trị điều hành
    "I.6.1": "V.20",  # doanh nghiệp vừa và nhỏ ứng dụng công nghệ số
    "I.6.2": "V.37b",  # kinh tế số trong GRDP ("Quy mô" / "Tỷ trọng")
    "I.6.4": "V.22",  # dân số từ 15 tuổi có tài khoản ngân hàng
    "I.7.2": "V.24",  # chữ ký số, chữ ký điện tử cá nhân
    "I.7.3": "V.25",  # sổ sức khỏe điện tử
    "I.7.4": "II.8",  # dân số trưởng thành tiếp cận dịch vụ số
    "I.2.2": "I.3",  # băng thông rộng cố định 1 Gb/s ("người dân"/"người sử dụng", "từ 1"/"trên 01")
}
for _code, _primary in SAME_MEASURE.items():
    REVIEWED[("ninh-binh-2026", _code)] = ({"same_as": f"ninh-binh-2025-2045|{_primary}"}, "")


def main() -> None:
    workspace = Workspace(ROOT)
    for plan_id, seed, province in PLANS:
        plan = import_plan(read_source(SEEDS / seed), plan_id, workspace.registry, province)
        for item in plan.items:
            fields, why = REVIEWED.get((plan_id, item.code), ({}, ""))
            for name, value in fields.items():
                setattr(item, name, value)
            if why:
                item.note = why
        (workspace.plans_dir / f"{plan_id}.yaml").write_text(dump_plan(plan), encoding="utf-8")
        print(f"{plan_id}: {len(plan.indicators)} indicators, {len(plan.tasks)} tasks")


if __name__ == "__main__":
    main()

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
    # The 2026 plan repeats three measures of the 2025-2045 plan: one figure, asked once.
    ("ninh-binh-2026", "I.7.4"): ({"same_as": "ninh-binh-2025-2045|II.8"}, ""),
    ("ninh-binh-2026", "I.7.2"): ({"same_as": "ninh-binh-2025-2045|V.24"}, ""),
    ("ninh-binh-2026", "I.6.4"): ({"same_as": "ninh-binh-2025-2045|V.22"}, ""),
}


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

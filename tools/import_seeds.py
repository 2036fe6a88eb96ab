"""Re-import the three bundled plans (config/plans/*.yaml) from the seed appendices.

    python tools/import_seeds.py

The bundled catalog is exactly what `reportgen catalog import` makes of the seeds in
tests/data/seeds/ (copies of ../shared/seeds/); run this after changing the importer.
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


def main() -> None:
    workspace = Workspace(ROOT)
    for plan_id, seed, province in PLANS:
        plan = import_plan(read_source(SEEDS / seed), plan_id, workspace.registry, province)
        (workspace.plans_dir / f"{plan_id}.yaml").write_text(dump_plan(plan), encoding="utf-8")
        print(f"{plan_id}: {len(plan.indicators)} indicators, {len(plan.tasks)} tasks")


if __name__ == "__main__":
    main()

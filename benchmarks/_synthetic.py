"""A synthetic province on the bundled catalog, shared by the benchmarks."""

from __future__ import annotations

import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reportgen.agencies import Registry  # noqa: E402
from reportgen.catalog import Catalog  # noqa: E402
from reportgen.forms import FormRow  # noqa: E402
from reportgen.workspace import Workspace  # noqa: E402


def synthetic_catalog(workspace: Workspace, agencies: int) -> Catalog:
    """The bundled catalog with the department and commune groups resized to ``agencies``."""
    base = workspace.registry
    departments = max(20, agencies // 20)
    communes = agencies - departments
    data = {"province": base.home, "provinces": base.provinces, "agencies": [], "groups": []}
    for entry in base.entries.values():
        if entry.is_group:
            data["groups"].append({"code": entry.code, "name": entry.name,
                                   "aliases": list(entry.aliases), "members": list(entry.members),
                                   "reported_by": entry.reported_by, "province": entry.province})
        else:
            data["agencies"].append({"code": entry.code, "name": entry.name, "province": entry.province,
                                     "reports": entry.reports, "reported_by": entry.reported_by})
    extra_departments = [f"so-{i:04d}" for i in range(departments)]
    extra_communes = [f"xa-{i:04d}" for i in range(communes)]
    for code in extra_departments:
        data["agencies"].append({"code": code, "name": f"Sở thử nghiệm {code}"})
    for code in extra_communes:
        data["agencies"].append({"code": code, "name": f"UBND xã thử nghiệm {code}"})
    for group in data["groups"]:
        if group["code"] == "so-ban-nganh":
            group["members"] = extra_departments
        if group["code"] == "xa-phuong":
            group["members"] = extra_communes
    registry = Registry.from_dict(data)
    return Catalog(plans=workspace.catalog.plans, registry=registry)


def typed_values(rows: list[FormRow], seed: int) -> dict[str, dict[str, object]]:
    """What a diligent agency types: numbers (some with a decimal comma), fractions, assessments."""
    rng = random.Random(seed)
    out: dict[str, dict[str, object]] = {}
    for row in rows:
        if row.input == "value" and row.lower_is_better:
            out[row.key] = {"value": rng.randint(1, 40)}  # a rank
        elif row.input == "value":
            value = round(rng.uniform(1, 99), 1)
            out[row.key] = {"value": str(value).replace(".", ",") if rng.random() < 0.3 else value}
        elif row.input == "ratio":
            denominator = rng.randint(20, 500)
            out[row.key] = {"numerator": rng.randint(0, denominator), "denominator": denominator}
        elif row.input == "assessment":
            out[row.key] = {"assessment": "Đạt", "note": "Văn bản số 12/QĐ-UBND"}
        else:
            out[row.key] = {"assessment": "Đang thực hiện"}
    return out

"""A synthetic province on the bundled catalog, and the plumbing shared by the benchmarks."""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reportgen.agencies import Registry  # noqa: E402
from reportgen.catalog import Catalog  # noqa: E402
from reportgen.duties import FormRow  # noqa: E402
from reportgen.workspace import Workspace  # noqa: E402


def synthetic_catalog(workspace: Workspace, agencies: int) -> Catalog:
    """The bundled catalog with the department and commune groups resized to ``agencies``."""
    base = workspace.registry
    departments = max(20, agencies // 20)
    communes = agencies - departments
    data = {"province": base.home, "provinces": base.provinces, "agencies": [], "groups": []}
    for entry in base.entries.values():
        if entry.is_group:
            data["groups"].append(
                {
                    "code": entry.code,
                    "name": entry.name,
                    "aliases": list(entry.aliases),
                    "members": list(entry.members),
                    "reported_by": entry.reported_by,
                    "province": entry.province,
                }
            )
        else:
            data["agencies"].append(
                {
                    "code": entry.code,
                    "name": entry.name,
                    "province": entry.province,
                    "reports": entry.reports,
                    "reported_by": entry.reported_by,
                }
            )
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
        elif row.input == "value" and row.figure.count:
            out[row.key] = {"value": rng.randint(1, 99)}  # things are counted whole
        elif row.input == "value" and row.figure.target is not None and row.figure.target <= 1:
            out[row.key] = {"value": round(rng.uniform(0.4, 0.95), 2)}  # an index between 0 and 1
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


def synthetic_workspace(root: Path, agencies: int) -> Workspace:
    """A fresh workspace whose agencies.yaml has ``agencies`` departments and communes."""
    import yaml

    from reportgen.workspace import init_workspace

    workspace = init_workspace(root, force=True)
    path = workspace.config_dir / "agencies.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    departments = max(20, agencies // 20)
    communes = agencies - departments
    extra_d = [f"so-{i:04d}" for i in range(departments)]
    extra_c = [f"xa-{i:04d}" for i in range(communes)]
    data["agencies"] += [{"code": c, "name": f"Sở thử nghiệm {c}", "email": f"{c}@bench.example"} for c in extra_d]
    data["agencies"] += [{"code": c, "name": f"UBND xã thử nghiệm {c}", "email": f"{c}@bench.example"} for c in extra_c]
    for group in data["groups"]:
        if group["code"] == "so-ban-nganh":
            group["members"] = extra_d
        if group["code"] == "xa-phuong":
            group["members"] = extra_c
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return Workspace(workspace.root)


def fill_forms(written, folder: Path, key: bytes, planner) -> list[Path]:
    """Filled copies of the forms, written directly (fast), as agencies would return them."""
    from reportgen.forms import Marks, write_form

    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for index, w in enumerate(written):
        spec = planner.spec(w.agency, form_id=w.form_id, generated_at=w.generated_at)
        target = folder / Path(w.path).name
        write_form(spec, target, key, marks=Marks(typed_values(spec.rows, index), {}))
        out.append(target)
    return out


def peak_mb() -> float:
    """Peak resident memory of this process and of its worker processes, in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def bench_main(doc: str, run, extra=None) -> None:
    """Parse --agencies/--workers (and ``extra(parser)``), then ``run(root, size, args)`` per size."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--agencies", type=int, nargs="+", default=[160, 3500])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    if extra:
        extra(parser)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="reportgen-bench-"))
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPU(s)")
    try:
        for size in args.agencies:
            run(root, size, args)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def preload_history(workspace: Workspace, months: list, received) -> int:
    """Earlier months of submissions written straight into the store (as `collect` would store
    them, without writing and reading the files): every agency, every row it owes."""
    from reportgen.duties import Duties
    from reportgen.layout import parse_row_key, ratio_percent
    from reportgen.store import NewValue, Store

    store = Store.connect(workspace)
    stored = 0
    try:
        for step, period in enumerate(months):
            duties = Duties(workspace.catalog, workspace.select_plans(()), period)
            for index, agency in enumerate(duties.agencies()):
                rows = duties.rows(agency)
                values = []
                for key, cells in typed_values(rows, index * 31 + step).items():
                    parts = parse_row_key(key)
                    number = cells.get("value")
                    if isinstance(number, str):
                        number = float(number.replace(",", "."))
                    if "numerator" in cells:
                        number = ratio_percent(cells["numerator"], cells["denominator"])
                    values.append(
                        NewValue(
                            key,
                            parts.plan,
                            parts.code,
                            parts.part,
                            value=number,
                            numerator=cells.get("numerator"),
                            denominator=cells.get("denominator"),
                            assessment=cells.get("assessment"),
                            note=cells.get("note"),
                        )
                    )
                sha = f"{period}-{agency}"
                stamp = received(period).isoformat(timespec="seconds")
                store.add_file(
                    sha256=sha,
                    name=f"{period}_{agency}.xlsx",
                    archive="",
                    size=0,
                    received_at=stamp,
                    source="",
                    status="accepted",
                    agency=agency,
                    period=str(period),
                    form_id=None,
                    receipt={},
                    values=values,
                    submission={
                        "agency": agency,
                        "period": str(period),
                        "saved_at": stamp,
                        "received_at": stamp,
                        "rows_asked": len(rows),
                        "rows_filled": len(values),
                    },
                )
                stored += 1
    finally:
        store.close()
    return stored

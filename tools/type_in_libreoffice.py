"""Rebuild tests/data/lo/typed/: forms typed into by LibreOffice itself, under a Vietnamese and an
English locale, as a clerk types percentages and numbers.

    python tools/type_in_libreoffice.py       (needs LibreOffice and its Python bridge: python3-uno)

1. writes so-khcn's form for 2026-11 against the catalog of tests/data/lo/plans, signed with the
   test-only key tests/data/lo/form-key (as tools/make_fixtures.py does);
2. for each locale (vi-VN, en-US), has LibreOffice type into its cells with the keyboard's own
   input parsing (tools/lo_typist.py): percentages as "70", "70%", "70 %" and "0,7 (70%)", and
   counts as "1234" (the guide's advice: no thousands separator) and with a decimal mark;
3. saves each as .xlsx and .ods; what was typed, and what it means, goes to typed.json.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reportgen.clock import VN  # noqa: E402
from reportgen.duties import Duties  # noqa: E402
from reportgen.forms import FormMaker, rows_at, write_form  # noqa: E402
from reportgen.layout import COLUMNS, DATA_SHEET, letter  # noqa: E402
from reportgen.periods import Period  # noqa: E402
from reportgen.workspace import Workspace, init_workspace  # noqa: E402

LO = ROOT / "tests" / "data" / "lo"
OUT = LO / "typed"
AGENCY = "so-khcn"
PERCENT = ("70", "70%", "70 %", "0,7 (70%)")  # each means 70 %
LOCALES = {"vi-VN": "12,5", "en-US": "12.5"}  # the decimal mark each locale's keyboard types


def _workspace(work: Path) -> Workspace:
    workspace = init_workspace(work / "ws")
    shutil.copy(LO / "form-key", workspace.key_path)
    for plan in workspace.plans_dir.glob("*.yaml"):
        plan.unlink()
    for plan in (LO / "plans").glob("*.yaml"):
        shutil.copy(plan, workspace.plans_dir / plan.name)
    return Workspace(workspace.root)


def main() -> None:
    if shutil.which("soffice") is None or not Path("/usr/bin/python3").exists():
        sys.exit("LibreOffice (soffice) and /usr/bin/python3 with python3-uno are needed.")
    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="typed-"))
    workspace = _workspace(work)
    period = Period.parse("2026-11")
    maker = FormMaker.at(
        Duties(workspace.catalog, workspace.select_plans(()), period),
        datetime(2026, 11, 1, 8, 0, tzinfo=VN),
        period.submission_deadline(16),
        "Phòng QLKH",
    )
    spec = maker.spec(AGENCY)
    form = work / spec.file_name
    write_form(spec, form, workspace.form_key())
    at = rows_at(spec)
    percent = [r for r in spec.rows if r.input == "value" and r.percent and not r.lower_is_better][: len(PERCENT)]
    counts = [r for r in spec.rows if r.input == "value" and not r.percent and r.figure.count][:2]
    value = letter(COLUMNS["value"])
    typed: dict = {"form_id": spec.form_id, "locales": {}}
    for index, (locale, decimal) in enumerate(LOCALES.items()):
        cells = [(row.key, text, 70.0) for row, text in zip(percent, PERCENT, strict=True)]
        cells += [(counts[0].key, "1234", 1234.0), (counts[1].key, decimal, 12.5)]
        stem = f"{spec.period}_{AGENCY}.typed-{locale}"
        source = work / locale / form.name  # a copy each: a lock file left by one run never stops the next
        source.parent.mkdir()
        shutil.copy(form, source)
        job = {
            "locale": locale,
            "port": 2099 + index,
            "source": str(source),
            "targets": [str(OUT / f"{stem}.xlsx"), str(OUT / f"{stem}.ods")],
            "cells": [[DATA_SHEET, f"{value}{at[key]}", text] for key, text, _ in cells],
        }
        job_file = work / f"{locale}.json"
        job_file.write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")
        subprocess.run(["/usr/bin/python3", str(ROOT / "tools" / "lo_typist.py"), str(job_file)], check=True)
        typed["locales"][locale] = {
            "files": [Path(t).name for t in job["targets"]],
            "cells": [{"key": key, "typed": text, "means": means} for key, text, means in cells],
        }
    (OUT / "typed.json").write_text(json.dumps(typed, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    shutil.rmtree(work, ignore_errors=True)
    print(f"typed forms written to {OUT}")


if __name__ == "__main__":
    main()

"""Building, filling and collecting forms in tests."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl

from reportgen.clock import VN
from reportgen.collect import Collector, collect
from reportgen.duties import Duties
from reportgen.forms import FormMaker, write_form
from reportgen.layout import COLUMNS
from reportgen.office import convert
from reportgen.periods import Period
from reportgen.store import Store

NOW = datetime(2026, 11, 10, 9, 0, tzinfo=VN)


def planner(workspace, period="2026-11", now=NOW, plans=(), contact="Phòng QLKH") -> FormMaker:
    """The forms of a period (no task done yet), as `reportgen forms` makes them."""
    duties = Duties(workspace.catalog, workspace.select_plans(plans), Period.parse(period))
    return FormMaker.at(duties, now, Period.parse(period).submission_deadline(16), contact)


def make_form(workspace, agency, folder: Path, period="2026-11", now=NOW) -> Path:
    spec = planner(workspace, period, now).spec(agency)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / spec.file_name
    write_form(spec, path, workspace.form_key())
    return path


def _linked() -> dict[str, str]:
    """Row keys of the bundled catalog asked on another plan's row (``same_as``): alias -> that row."""
    import yaml

    out = {}
    for path in (Path(__file__).parent.parent / "config" / "plans").glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        out.update({f"{data['plan']}|{i['code']}": i["same_as"] for i in data["items"] if i.get("same_as")})
    return out


LINKED = _linked()


def row_key(key: str, keys) -> str:
    """The form row that takes ``key``: itself, or the row of the plan it is linked to (same_as)."""
    return key if key in keys or key not in LINKED else LINKED[key]


def fill(path: Path, values: dict[str, dict[str, object]], target: Path | None = None, edit=None) -> Path:
    """Type values into a form as an agency would (openpyxl), keyed by row key. A measure two plans
    share is typed on the one row that asks it, whichever of its keys is given."""
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["BaoCao"]
    rows = {row[0].value: row for row in sheet.iter_rows() if row[0].value and "|" in str(row[0].value)}
    for key, cells in values.items():
        for column, value in cells.items():
            rows[row_key(key, rows)][COLUMNS[column]].value = value
    if edit:
        edit(workbook)
    target = target or path
    target.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(target)
    return target


def cell_of(path: Path, key: str, column: str) -> str:
    sheet = openpyxl.load_workbook(path)["BaoCao"]
    keys = {row[0].value for row in sheet.iter_rows()}
    key = row_key(key, keys)
    for row in sheet.iter_rows():
        if row[0].value == key:
            return row[COLUMNS[column]].coordinate
    raise KeyError(key)


def run_collect(workspace, files, period="2026-11", agency=None, received=NOW, workers=1, timeout=120.0):
    store = Store.open(workspace)
    collector = Collector(
        workspace.catalog,
        Period.parse(period),
        workspace.form_key(),
        workspace.output_dir,
        agency,
        received,
        16,
        "Phòng QLKH",
    )
    try:
        return collect(
            collector,
            store,
            [Path(f) for f in files],
            received_at=received,
            relative=workspace.relative,
            workers=workers,
            timeout=timeout,
        )
    finally:
        store.close()


def libreoffice_save(source: Path, folder: Path, fmt="xlsx") -> Path:
    """Open and save ``source`` with LibreOffice, as an agency using it does."""
    saved = convert(source, folder, fmt, timeout=180)
    assert saved is not None, "LibreOffice is not installed"
    return saved


def in_cycle(workspace, period, now, method: str, *args, **kwargs):
    """Run one method of the period's Cycle at ``now``, closing the store after."""
    from reportgen.cycle import Cycle

    period = Period.parse(period) if isinstance(period, str) else period
    with Cycle(workspace, period, now) as cycle:
        return getattr(cycle, method)(*args, **kwargs)


def commands(group, prefix: tuple[str, ...] = ()):
    """Every command and subcommand of a click group, as (path, command)."""
    import click

    for name, command in group.commands.items():
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from commands(command, (*prefix, name))

"""A whole month on demonstration data, for a newcomer: ``reportgen demo``.

In a fresh workspace with the bundled Ninh Bình catalog, the clock is walked
through November 2026: forms go out on the 1st, most agencies send them back
(with the usual typing habits, one late, one with problems, one saved by
LibreOffice when it is installed), reminders and overdue notices go to the
outbox, and the report is made on the 18th. Everything is labelled as
demonstration data.
"""

from __future__ import annotations

import random
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import openpyxl
import yaml

from .clock import VN
from .cycle import Cycle
from .duties import FormRow
from .errors import ReportError, ReportgenError
from .layout import COLUMNS, DATA_SHEET
from .office import convert
from .periods import Period
from .workspace import Workspace, init_workspace

if TYPE_CHECKING:
    from .overview import Overview
    from .report import ReportFiles

__all__ = ["DemoResult", "run_demo", "LABEL"]

LABEL = "DỮ LIỆU MINH HỌA"
PERIOD = Period.parse("2026-11")
FORMS_AT = datetime(2026, 11, 1, 8, 5, tzinfo=VN)
REMIND_AT = datetime(2026, 11, 14, 8, 10, tzinfo=VN)
OVERDUE_AT = datetime(2026, 11, 17, 8, 10, tzinfo=VN)
REPORT_ON = date(2026, 11, 18)


@dataclass
class DemoResult:
    workspace: Workspace
    forms: int = 0
    filled: int = 0
    libreoffice: bool = False
    receipts: list = field(default_factory=list)
    mails: int = 0
    report: ReportFiles | None = None
    pdf_problem: ReportgenError | None = None
    overview: Overview | None = None
    steps: list[str] = field(default_factory=list)


def _ignore(count: int = 1) -> None:
    """Progress, when nobody shows it."""


def _label_settings(workspace: Workspace) -> None:
    path = workspace.config_dir / "settings.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["report"]["subject"] = f"[{LABEL}] " + data["report"]["subject"]
    data["report"]["signer_name"] = "(Người ký minh họa)"
    path.write_text(
        f'# {LABEL}: thư mục làm việc tạo bởi "reportgen demo".\n'
        + yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )


def _target_number(text: str) -> float | None:
    from .text import parse_number

    for token in text.replace("≥", " ").replace("≤", " ").replace("%", " ").split():
        value = parse_number(token).value
        if value is not None:
            return value
    return None


def _typed(row: FormRow, rng: random.Random, habits: bool) -> dict[str, object]:
    """What an agency types for one row: realistic values, sometimes with its habits."""
    goal = _target_number(row.target) or 50.0
    if row.input == "value":
        if row.lower_is_better:
            return {"value": rng.randint(max(1, int(goal) - 4), int(goal) + 8)}
        value = min(100.0, goal * rng.uniform(0.6, 1.1)) if row.percent else goal * rng.uniform(0.2, 1.2)
        value = round(value, 1)
        if habits and rng.random() < 0.3:
            return {"value": f"{value}".replace(".", ",")}  # typed with a decimal comma
        return {"value": value}
    if row.input == "ratio":
        denominator = rng.randint(20, 400)
        share = min(1.0, (goal if goal <= 100 else 100) / 100 * rng.uniform(0.75, 1.05))
        return {"numerator": int(denominator * share), "denominator": denominator}
    if row.input == "assessment":
        if rng.random() < 0.6:
            said = "Dat" if habits and rng.random() < 0.2 else "Đạt"
            return {"assessment": said, "note": f"Văn bản số {rng.randint(10, 300)}/QĐ-UBND"}
        return {"assessment": "Đang thực hiện"}
    if rng.random() < 0.5:
        return {
            "assessment": "Đã hoàn thành",
            "doc_number": f"{rng.randint(10, 300)}/QĐ-UBND",
            "doc_date": f"{rng.randint(1, 28):02d}/0{rng.randint(3, 9)}/2026",
        }
    return {"assessment": "Đang thực hiện"}


def _fill(form: Path, target: Path, rng: random.Random, habits: bool, bad: bool) -> Path:
    workbook = openpyxl.load_workbook(form)
    sheet = workbook[DATA_SHEET]
    rows = [r for r in sheet.iter_rows() if r[0].value and "|" in str(r[0].value)]
    planner_rows = {}
    for row in rows:
        cells = row
        # Rebuild the row's kind from which input cells are unlocked.
        unlocked = {name for name, col in COLUMNS.items() if not cells[col].protection.locked}
        kind = (
            "ratio"
            if "numerator" in unlocked
            else "task"
            if "doc_number" in unlocked
            else "value"
            if "value" in unlocked
            else "assessment"
        )
        planner_rows[row[0].value] = (
            row,
            FormRow(
                key=row[0].value,
                code=str(row[1].value),
                name=str(row[2].value),
                input=kind,
                unit=str(row[3].value or ""),
                target=str(row[4].value or ""),
                percent="%" in str(row[3].value or ""),
                lower_is_better=str(row[3].value or "").lower().startswith("thứ"),
            ),
        )
    first_percent = next((k for k, (_, r) in planner_rows.items() if r.input == "value" and r.percent), None)
    for key, (row, spec) in planner_rows.items():
        if rng.random() < 0.1:
            continue  # left empty: not every figure is known
        typed = _typed(spec, rng, habits)
        if bad and key == first_percent:
            typed = {"value": 120}  # a percentage above 100: the problem to report back
        for column, value in typed.items():
            row[COLUMNS[column]].value = value
    target.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(target)
    return target


def _libreoffice(path: Path) -> bool:
    """Have LibreOffice open and save the agency's file in place, as an agency using it would."""
    with tempfile.TemporaryDirectory(prefix="reportgen-demo-lo-") as work:
        try:
            saved = convert(path, Path(work), "xlsx")
        except ReportError:
            return False
        if saved is None:
            return False
        shutil.copy(saved, path)
    return True


def run_demo(
    target: Path,
    *,
    force: bool = False,
    share: float = 0.75,
    seed: int = 2026,
    step: Callable[[str, int], Callable[[int], None]] | None = None,
) -> DemoResult:
    """Run the month; ``step(label, total)`` returns an ``advance(n)`` callback for progress bars."""

    def stage(label: str, total: int) -> Callable[[int], None]:
        result.steps.append(label)
        return step(label, total) if step else _ignore

    workspace = init_workspace(target, force=force)
    _label_settings(workspace)
    workspace = Workspace(workspace.root)
    result = DemoResult(workspace)
    rng = random.Random(seed)

    def cycle(now: datetime) -> Cycle:
        return Cycle(workspace, PERIOD, now)

    with cycle(FORMS_AT) as month:
        made = month.make_forms(workers=1, progress=stage("Lập biểu mẫu ngày 01/11/2026", 0))
        result.mails += len(month.send_forms())
    result.forms = len(made.written)

    agencies = list(made.written)
    rng.shuffle(agencies)
    senders = agencies[: max(3, int(len(agencies) * share))]
    inbox = workspace.root / "inbox"
    advance = stage("Các cơ quan điền và gửi lại biểu mẫu", len(senders))
    half = len(senders) // 2  # half by the 12th, the rest by the deadline, the last one late
    files: dict[str, list[Path]] = {"early": [], "on_time": [], "late": []}
    for index, written in enumerate(senders):
        group = "early" if index < half else "late" if index == len(senders) - 1 else "on_time"
        target_file = inbox / group / Path(written.path).name
        _fill(Path(written.path), target_file, rng, habits=index % 3 == 0, bad=index == 1)
        if index == 2 and _libreoffice(target_file):
            result.libreoffice = True
        files[group].append(target_file)
        advance(1)
    result.filled = len(senders)

    stage("Thu thập đợt 1 (ngày 12/11)", len(files["early"]))
    with cycle(datetime(2026, 11, 12, 9, 0, tzinfo=VN)) as month:
        result.receipts += month.collect(files["early"], workers=1)
    stage("Nhắc các cơ quan chưa nộp (ngày 14/11)", 0)
    with cycle(REMIND_AT) as month:
        result.mails += len(month.remind())
    stage("Thu thập đợt 2 (ngày 16/11)", len(files["on_time"]))
    with cycle(datetime(2026, 11, 16, 10, 0, tzinfo=VN)) as month:
        result.receipts += month.collect(files["on_time"], workers=1)
    stage("Báo quá hạn, thu thập tệp nộp muộn (ngày 17/11)", len(files["late"]))
    with cycle(OVERDUE_AT) as month:
        result.mails += len(month.remind())
    with cycle(datetime(2026, 11, 17, 15, 0, tzinfo=VN)) as month:
        result.receipts += month.collect(files["late"], workers=1)
    stage("Lập báo cáo (ngày 18/11)", 0)
    with cycle(datetime(2026, 11, 18, 8, 20, tzinfo=VN)) as month:
        files_out, problem = month.report(today=REPORT_ON, pdf=True)
        result.overview = month.overview()
    result.report, result.pdf_problem = files_out, problem
    with cycle(datetime(2026, 11, 18, 8, 30, tzinfo=VN)) as month:
        result.mails += len(month.mail_report(files_out))
    return result

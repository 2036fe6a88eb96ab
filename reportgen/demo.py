"""Two months on demonstration data, for a newcomer: ``reportgen demo``.

In a fresh workspace with the bundled Ninh Bình catalog, the clock is walked
through October and November 2026: each month forms go out on the 1st, most
agencies send them back (with the usual typing habits; in November one late,
one with problems, one saved by LibreOffice when it is installed), reminders
and overdue notices go to the outbox, and the report is made on the 18th. In
November, figures not sent again carry forward from October, tasks done in
October stay done, and the report shows each figure's change. Everything is
labelled as demonstration data.
"""

from __future__ import annotations

import random
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import openpyxl
import yaml

from .clock import VN
from .cycle import Cycle
from .duties import Duties, FormRow
from .errors import ReportError, ReportgenError
from .layout import COLUMNS, DATA_SHEET, row_key
from .office import convert
from .periods import Period
from .workspace import Workspace, init_workspace

if TYPE_CHECKING:
    from .overview import Overview
    from .report import ReportFiles

__all__ = ["DemoResult", "run_demo", "LABEL"]

LABEL = "DỮ LIỆU MINH HỌA"
PERIOD = Period.parse("2026-11")


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


def _typed(row: FormRow, agency: str, step: int, rng: random.Random, habits: bool, share: int) -> dict[str, object]:
    """What an agency types for one row in month ``step`` (0 = October): its own level, which
    moves a little from one month to the next, sometimes typed with its habits. A count summed
    over ``share`` agencies is each one's part of the province's target; counts are whole."""
    mine = random.Random(f"{agency}|{row.key}")  # the same agency's same row: the same level
    goal = row.figure.target if row.figure.target is not None else 50.0
    if row.input == "value":
        if row.lower_is_better:
            return {"value": max(1, int(goal) + mine.randint(-4, 8) - step)}
        if row.percent:
            value: float = round(min(100.0, goal * mine.uniform(0.6, 1.0) * (1 + 0.03 * step)), 1)
        elif row.figure.count or goal >= 10:  # a count: whole things, growing month by month
            value = round(goal / share * mine.uniform(0.2, 0.9) * (1 + 0.1 * step))
        else:  # an index or a multiple ("0,70", "10 lần"): near its target
            value = round(goal * mine.uniform(0.8, 1.05) * (1 + 0.02 * step), 2)
        if habits and rng.random() < 0.3 and not float(value).is_integer():
            return {"value": f"{value}".replace(".", ",")}  # typed as text with a decimal comma
        return {"value": value}
    if row.input == "ratio":
        denominator = mine.randint(20, 400)
        ratio = min(1.0, min(goal, 100) / 100 * mine.uniform(0.75, 0.98) + 0.02 * step)
        return {"numerator": int(denominator * ratio), "denominator": denominator}
    if row.input == "assessment":
        if mine.random() < 0.6:
            said = "Dat" if habits and rng.random() < 0.2 else "Đạt"
            return {"assessment": said, "note": f"Văn bản số {mine.randint(10, 300)}/QĐ-UBND"}
        return {"assessment": "Đang thực hiện"}
    if mine.random() < 0.5:
        return {
            "assessment": "Đã hoàn thành",
            "doc_number": f"{mine.randint(10, 300)}/QĐ-UBND",
            "doc_date": f"{mine.randint(1, 28):02d}/0{mine.randint(3, 9)}/2026",
        }
    return {"assessment": "Đang thực hiện"}


# What clerks write in "Nguyên nhân, giải pháp" when a row is behind (demo data).
CAUSES = (
    "Kinh phí năm 2026 bố trí chậm, đến tháng 10 mới giao dự toán; đã đề xuất bổ sung trong quý I/2027.",
    "Hạ tầng, thiết bị ở cấp xã còn thiếu sau sắp xếp đơn vị hành chính; đang đầu tư theo kế hoạch năm 2026.",
    "Thiếu cán bộ chuyên trách; đang tập huấn và phân công kiêm nhiệm để hoàn thành trong quý IV.",
    "Người dân chưa quen sử dụng dịch vụ số; tăng cường hướng dẫn tại bộ phận một cửa và qua tổ công nghệ số.",
    "Hệ thống phần mềm đang nâng cấp, chưa kết nối với cơ sở dữ liệu quốc gia; dự kiến xong trong tháng 12/2026.",
)


@dataclass(frozen=True)
class _Agencies:
    """What the demo's agencies know of their duties: their rows, and how many share a summed count."""

    duties: Duties
    shares: dict[str, int]
    behind: frozenset[str] = frozenset()  # rows behind last month: their forms ask for the cause

    @classmethod
    def of(cls, workspace: Workspace, period: Period, behind: frozenset[str] = frozenset()) -> _Agencies:
        catalog = workspace.catalog
        plans = workspace.select_plans(())
        shares = {
            row_key(item.plan, item.code, part): len(catalog.reporters(item))
            for plan in plans
            for item in plan.indicators
            if item.aggregate == "sum"
            for part in item.parts
        }
        return cls(Duties(catalog, plans, period), shares, behind)


def _fill(
    form: Path, target: Path, agency: str, step: int, rng: random.Random, known: _Agencies, habits: bool, bad: bool
) -> Path:
    workbook = openpyxl.load_workbook(form)
    cells_of = {c[0].value: c for c in workbook[DATA_SHEET].iter_rows() if c[0].value and "|" in str(c[0].value)}
    rows = [r for r in known.duties.rows(agency) if r.key in cells_of]
    asked = {r.key for section in known.duties.sections(agency, None, known.behind) for r in section.rows if r.behind}
    values = [r for r in rows if r.input == "value"]
    first_percent = next((r.key for r in values if r.percent), values[0].key if values else None)
    accepted = known.duties.accepted_rows(agency)
    for row in rows:
        row = _nearest_target(row, accepted)
        wrong = bad and row.key == first_percent
        if rng.random() < 0.1 and not wrong and len(rows) > 1:
            continue  # left empty: not every figure is known (a form of one row is sent filled)
        typed = _typed(row, agency, step, rng, habits, known.shares.get(row.key, 1))
        if wrong:  # the problem to report back: a percentage above 100, or a count below zero
            typed = {"value": 120 if row.percent else -5}
        if row.key in asked and rng.random() < 0.7:  # the form asks the cause (orange cell): a clerk answers
            typed["cause"] = rng.choice(CAUSES)
        for column, value in typed.items():
            cells_of[row.key][COLUMNS[column]].value = value
    target.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(target)
    return target


def _nearest_target(row: FormRow, accepted: dict[str, FormRow]) -> FormRow:
    """A row that also fills the same measure of another plan: the clerk's figure is near the
    nearer of the two targets (the 2026 plan's, not the 2030 one)."""
    targets = [accepted[k].figure.target for k in row.also if k in accepted] + [row.figure.target]
    known = [t for t in targets if t is not None]
    if not known or min(known) == row.figure.target:
        return row
    return replace(row, figure=replace(row.figure, target=min(known)))


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


@dataclass(frozen=True)
class _Month:
    period: Period
    step: int
    share: float  # of the agencies that send their form back
    troubles: bool  # a file with a problem, one saved by LibreOffice, one late


MONTHS = (_Month(Period.parse("2026-10"), 0, 0.9, False), _Month(PERIOD, 1, 0.75, True))


def run_demo(
    target: Path,
    *,
    force: bool = False,
    seed: int = 2026,
    step: Callable[[str, int], Callable[[int], None]] | None = None,
) -> DemoResult:
    """Run October and November; ``step(label, total)`` returns an ``advance(n)`` callback for progress bars."""

    def stage(label: str, total: int) -> Callable[[int], None]:
        result.steps.append(label)
        return step(label, total) if step else _ignore

    workspace = init_workspace(target, force=force)
    _label_settings(workspace)
    workspace = Workspace(workspace.root)
    result = DemoResult(workspace)
    rng = random.Random(seed)
    for month in MONTHS:
        _run_month(workspace, month, rng, result, stage)
    return result


def _by_mail(workspace: Workspace, paths: list[Path], now: datetime) -> list:
    """The first replies arrive by mail: each agency answers the form mail with its file, and
    the loop of ``reportgen fetch`` collects them and writes each receipt to the outbox."""
    from .mailbox import MemoryMailbox
    from .mailparse import Incoming
    from .replies import fetch

    registry = workspace.registry
    messages = []
    for index, path in enumerate(paths, start=1):
        code = path.stem.partition("_")[2]
        entry = registry.get(code)
        sender = getattr(entry, "email", "") or f"{code}@ninh-binh.example"
        messages.append(
            Incoming(
                uid=str(index),
                message_id=f"<demo-{now:%Y%m%d}-{index}-{code}@ninh-binh.example>",
                sender=sender,
                subject=f"Re: [Biểu mẫu báo cáo] {path.stem}",
                sent_at=now.isoformat(),
                references=(),
                automatic=False,
                files=[(path.name, path.read_bytes())],
                arrived_at=now.isoformat(),
            )
        )
    fetched = fetch(workspace, now, mailbox=MemoryMailbox(messages))
    return [receipt for outcome in fetched.outcomes for receipt in outcome.receipts]


def _at(period: Period, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(period.year, period.index, day, hour, minute, tzinfo=VN)


def _run_month(workspace: Workspace, month: _Month, rng: random.Random, result: DemoResult, stage) -> None:
    period = month.period
    label = f"{period.index:02d}/{period.year}"

    def cycle(now: datetime) -> Cycle:
        return Cycle(workspace, period, now)

    with cycle(_at(period, 1, 8, 5)) as c:
        made = c.make_forms(workers=1, progress=stage(f"Lập biểu mẫu ngày 01/{label}", 0))
        behind = c.behind()
        result.mails += len(c.send_forms())
    result.forms = len(made.written)
    agencies = list(made.written)
    rng.shuffle(agencies)
    senders = agencies[: max(3, int(len(agencies) * month.share))]
    inbox = workspace.root / "inbox" / str(period)
    advance = stage(f"Các cơ quan điền và gửi lại biểu mẫu tháng {label}", len(senders))
    known = _Agencies.of(workspace, period, behind)
    half = len(senders) // 2  # half by the 12th, the rest by the deadline, the last one late
    files: dict[str, list[Path]] = {"early": [], "on_time": [], "late": []}
    for index, written in enumerate(senders):
        late = month.troubles and index == len(senders) - 1
        group = "early" if index < half else "late" if late else "on_time"
        target_file = inbox / group / Path(written.path).name
        _fill(
            Path(written.path),
            target_file,
            written.agency,
            month.step,
            rng,
            known,
            habits=index % 3 == 0,
            bad=month.troubles and index == 1,
        )
        if month.troubles and index == 2 and _libreoffice(target_file):
            result.libreoffice = True
        files[group].append(target_file)
        advance(1)
    result.filled = len(senders)
    result.receipts = []
    stage(f"Đọc thư trả lời, thu thập và gửi biên nhận đợt 1 (ngày 12/{label})", len(files["early"]))
    result.receipts += _by_mail(workspace, files["early"], _at(period, 12, 9))
    stage(f"Nhắc các cơ quan chưa nộp (ngày 14/{label})", 0)
    with cycle(_at(period, 14, 8, 10)) as c:
        result.mails += len(c.remind())
    stage(f"Thu thập đợt 2 (ngày 16/{label})", len(files["on_time"]))
    with cycle(_at(period, 16, 10)) as c:
        result.receipts += c.collect(files["on_time"], workers=1)
    stage(f"Báo quá hạn, thu thập tệp nộp muộn (ngày 17/{label})", len(files["late"]))
    with cycle(_at(period, 17, 8, 10)) as c:
        result.mails += len(c.remind())
    with cycle(_at(period, 17, 15)) as c:
        result.receipts += c.collect(files["late"], workers=1)
    stage(f"Lập báo cáo (ngày 18/{label})", 0)
    with cycle(_at(period, 18, 8, 20)) as c:
        files_out, problem = c.report(today=date(period.year, period.index, 18), pdf=True)
        result.overview = c.overview()
    result.report, result.pdf_problem = files_out, problem
    with cycle(_at(period, 18, 8, 30)) as c:
        result.mails += len(c.mail_report(files_out))

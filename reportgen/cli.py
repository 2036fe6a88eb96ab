"""The ``reportgen`` command line. The only module that imports click.

Each command parses its options, calls one library function and prints the
result. Errors raised inside reportgen become Vietnamese messages here, with
exit code 1 for problems in the user's data and 2 for usage errors.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click

from . import __version__, _click_vi, messages
from .errors import ReportgenError, UsageError
from .workspace import Workspace, find_workspace, init_workspace

_click_vi.install()
log = logging.getLogger("reportgen")


class VietnameseError(click.ClickException):
    """Prints "Lỗi: …" on stderr and exits with the error's own code."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None) -> None:
        click.echo(f"Lỗi: {self.format_message()}", err=True)


class Command(click.Command):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("options_metavar", "[TUỲ CHỌN]")
        super().__init__(*args, **kwargs)


class Group(click.Group):
    """Turns library exceptions into Vietnamese messages, in one place."""

    command_class = Command

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("options_metavar", "[TUỲ CHỌN]")
        kwargs.setdefault("subcommand_metavar", "LỆNH [THAM SỐ]...")
        super().__init__(*args, **kwargs)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ReportgenError as error:
            raise VietnameseError(messages.describe(error), error.exit_code) from error


Group.group_class = Group


class State:
    def __init__(self, workspace_option: str | None):
        self.workspace_option = workspace_option
        self._workspace: Workspace | None = None

    @property
    def workspace(self) -> Workspace:
        if self._workspace is None:
            self._workspace = find_workspace(self.workspace_option)
        return self._workspace


pass_state = click.make_pass_decorator(State)


def _echo_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _setup_logging(verbose: int, log_file: str | None) -> None:
    level = logging.WARNING - 10 * min(verbose, 2)
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    logging.basicConfig(level=level, handlers=handlers,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--workspace", "-w", metavar="DIR", envvar="REPORTGEN_WORKSPACE",
    help="Thư mục làm việc (chứa config/, templates/, output/). Mặc định: biến "
    "REPORTGEN_WORKSPACE, sau đó thư mục hiện tại.",
)
@click.option("--verbose", "-v", count=True, help="Ghi nhật ký chi tiết hơn (-v, -vv).")
@click.option("--log-file", metavar="FILE", help="Ghi nhật ký vào tệp.")
@click.version_option(__version__, prog_name="reportgen")
@click.pass_context
def cli(ctx: click.Context, workspace: str | None, verbose: int, log_file: str | None) -> None:
    """reportgen: theo dõi chỉ tiêu kế hoạch KH&CN, đổi mới sáng tạo và chuyển đổi số.

    Chu trình hằng tháng: lập biểu mẫu (forms), thu thập (collect), đánh giá
    (status), lập báo cáo (report), nhắc việc (remind).
    """
    _setup_logging(verbose, log_file)
    ctx.obj = State(workspace)


# ---------------------------------------------------------------------------------------
# init
# ---------------------------------------------------------------------------------------
@cli.command()
@click.argument("directory", metavar="THƯ_MỤC", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Ghi đè cấu hình nếu thư mục đã có.")
def init(directory: Path, force: bool) -> None:
    """Tạo thư mục làm việc mới THƯ_MỤC với cấu hình và danh mục mẫu.

    Danh mục mẫu gồm ba kế hoạch (Ninh Bình 2025-2045, Ninh Bình 2026, Cao Bằng)
    và danh sách cơ quan config/agencies.yaml để bổ sung địa chỉ thư.
    """
    workspace = init_workspace(directory, force=force)
    click.echo(f"Đã tạo thư mục làm việc: {workspace.root}")
    click.echo("  config/agencies.yaml   danh sách cơ quan (điền địa chỉ thư thật)")
    click.echo("  config/settings.yaml   cơ quan ban hành, người ký, SMTP, lịch nhắc")
    click.echo("  config/plans/*.yaml    danh mục chỉ tiêu đã nhập")
    click.echo("Tiếp theo: reportgen -w " + str(workspace.root) + " catalog check")


# ---------------------------------------------------------------------------------------
# catalog
# ---------------------------------------------------------------------------------------
@cli.group(cls=Group)
def catalog() -> None:
    """Danh mục chỉ tiêu: nhập từ phụ lục kế hoạch, kiểm tra, xem."""


@catalog.command(name="import")
@click.argument("source", metavar="TỆP_PHỤ_LỤC", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--plan", "plan_id", required=True, metavar="ID",
              help="Mã kế hoạch, dùng làm tên tệp config/plans/ID.yaml (ví dụ ninh-binh-2026).")
@click.option("--province", metavar="MÃ", help="Tỉnh của kế hoạch (mặc định: tỉnh của thư mục làm việc).")
@click.option("--sheet", metavar="TÊN", help="Trang tính chứa bảng (tệp .xlsx).")
@click.option("--force", is_flag=True, help="Ghi đè tệp danh mục đã có (mất các chỉnh sửa tay).")
@pass_state
def catalog_import(state: State, source: Path, plan_id: str, province: str | None,
                   sheet: str | None, force: bool) -> None:
    """Nhập bảng chỉ tiêu từ TỆP_PHỤ_LỤC (.txt tách Tab, .docx hoặc .xlsx).

    Kết quả ghi vào config/plans/ID.yaml để cán bộ rà soát và sửa trực tiếp.
    """
    from .catalog import check_plan, dump_plan, import_plan
    from .sources import read_source
    from .text import slugify

    workspace = state.workspace
    if slugify(plan_id) != plan_id:
        msg = f"Mã kế hoạch chỉ gồm chữ thường không dấu, số và dấu gạch: {slugify(plan_id)}"
        raise UsageError(msg)
    target = workspace.plans_dir / f"{plan_id}.yaml"
    if target.exists() and not force:
        msg = f"Đã có {workspace.relative(target)}. Thêm --force để ghi đè (các chỉnh sửa tay sẽ mất)."
        raise VietnameseError(
            msg, 2)
    plan = import_plan(read_source(source, sheet=sheet), plan_id, workspace.registry, province)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(dump_plan(plan), encoding="utf-8")
    findings = check_plan(plan, workspace.registry)
    problems = [f for f in findings if f.problem]
    click.echo(f"Đã nhập {source.name} vào {workspace.relative(target)}:")
    click.echo(f"  {len(plan.indicators)} chỉ tiêu, {len(plan.tasks)} nhiệm vụ, "
               f"{len(plan.sections)} mục, {len(plan.groups)} nhóm")
    click.echo(f"  {len(findings) - len(problems)} ghi chú cần rà soát, {len(problems)} lỗi")
    click.echo(f"Xem chi tiết: reportgen catalog check --plan {plan_id}")


@catalog.command(name="check")
@click.option("--plan", "plan_ids", multiple=True, metavar="ID", help="Chỉ kiểm tra kế hoạch này.")
@click.option("--notes/--no-notes", default=True, help="Liệt kê cả các ghi chú cần rà soát.")
@pass_state
def catalog_check(state: State, plan_ids: tuple[str, ...], notes: bool) -> None:
    """Kiểm tra danh mục: mã trùng, cơ quan chưa nhận ra, chỉ tiêu chưa đọc được.

    Thoát với mã 0 khi danh mục sạch, 1 khi còn lỗi phải sửa.
    """
    from .catalog import check_plan

    workspace = state.workspace
    plans = [workspace.catalog.plans[p] for p in workspace.check_plans(plan_ids)] if plan_ids \
        else list(workspace.catalog.plans.values())
    total_problems = 0
    for plan in plans:
        findings = check_plan(plan, workspace.registry)
        problems = [f for f in findings if f.problem]
        total_problems += len(problems)
        click.echo(f"{plan.id}: {len(plan.indicators)} chỉ tiêu, {len(plan.tasks)} nhiệm vụ, "
                   f"phiên bản {plan.version} — {len(problems)} lỗi, "
                   f"{len(findings) - len(problems)} ghi chú")
        for finding in problems:
            click.echo(f"  LỖI     {plan.id} {finding.code}: {finding.message}")
        if notes:
            for finding in findings:
                if not finding.problem:
                    click.echo(f"  ghi chú {plan.id} {finding.code}: {finding.message}")
    if total_problems:
        msg = f"Danh mục còn {total_problems} lỗi cần sửa (xem danh sách trên)."
        raise VietnameseError(msg, 1)
    click.echo("Danh mục hợp lệ.")


@catalog.command(name="show")
@click.option("--plan", "plan_ids", multiple=True, metavar="ID", help="Kế hoạch cần xem.")
@click.option("--json", "as_json", is_flag=True, help="In dạng JSON (giao diện ổn định cho chương trình khác).")
@pass_state
def catalog_show(state: State, plan_ids: tuple[str, ...], as_json: bool) -> None:
    """Xem các chỉ tiêu và nhiệm vụ của kế hoạch."""
    from .catalog import item_json

    workspace = state.workspace
    ids = workspace.check_plans(plan_ids) if plan_ids else list(workspace.catalog.plans)
    items = [i for pid in ids for i in workspace.catalog.plans[pid].items]
    if as_json:
        _echo_json([item_json(i, workspace.registry) for i in items])
        return
    for item in items:
        targets = "; ".join(
            f"{t.year or t.deadline}: {t.text}" + (f" ({t.label})" if t.label else "")
            for t in item.targets
        )
        click.echo(f"{item.plan} {item.code:8} {item.name[:70]}")
        if targets:
            click.echo(f"    {item.unit or '-'} | {targets}")
        click.echo(f"    báo cáo: {', '.join(item.reporters)} | theo dõi: {item.monitor or '-'} | "
                   f"tổng hợp: {item.aggregate}")


# ---------------------------------------------------------------------------------------
# shared helpers for the monthly commands
# ---------------------------------------------------------------------------------------
class _Progress:
    """A progress bar on stderr (rich), silent when stderr is not a terminal."""

    def __init__(self, label: str, total: int = 0):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        self.console = Console(stderr=True)
        self.bar = Progress("[bold]{task.description}", BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), console=self.console, transient=False,
                            disable=not self.console.is_terminal)
        self.label = label
        self.total = total

    def __enter__(self):
        self.bar.start()
        self.task = self.bar.add_task(self.label, total=self.total or None)
        return self

    def total_is(self, count: int) -> None:
        self.bar.update(self.task, total=count)

    def advance(self, count: int = 1) -> None:
        self.bar.advance(self.task, count)

    def __exit__(self, *exc):
        self.bar.stop()


def _period(value: str):
    from .periods import Period

    return Period.parse(value)


period_option = click.option(
    "--period", "period_text", required=True, metavar="KỲ",
    help="Kỳ báo cáo: 2026-11 (tháng), 2026-Q4 (quý), 2026-H1 (6 tháng), 2026 (năm).",
)
plan_option = click.option("--plan", "plan_ids", multiple=True, metavar="ID",
                           help="Chỉ dùng kế hoạch này (lặp lại được). Mặc định: các kế hoạch của tỉnh.")
agency_option = click.option("--agency", "agency_codes", multiple=True, metavar="MÃ",
                             help="Chỉ cơ quan này (lặp lại được).")
json_option = click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON.")
dry_run_option = click.option("--dry-run", is_flag=True, help="Chỉ liệt kê thư sẽ gửi, không gửi.")


# ---------------------------------------------------------------------------------------
# forms
# ---------------------------------------------------------------------------------------
@cli.command()
@period_option
@plan_option
@agency_option
@json_option
@click.option("--workers", type=click.IntRange(1, 64), default=None, metavar="SỐ",
              help="Số tiến trình ghi song song (mặc định: số nhân CPU).")
@pass_state
def forms(state: State, period_text: str, plan_ids, agency_codes, as_json: bool, workers) -> None:
    """Lập biểu mẫu Excel cho từng cơ quan báo cáo trong kỳ.

    Mỗi cơ quan nhận một tệp .xlsx chỉ gồm các chỉ tiêu, nhiệm vụ của mình, ghi vào
    output/KỲ/forms/ (ví dụ output/2026-11/forms/2026-11_so-khcn.xlsx).
    """
    from .actions import make_forms

    workspace = state.workspace
    period = _period(period_text)
    agencies = workspace.check_agencies(agency_codes)
    workspace.check_plans(plan_ids)
    with _Progress(f"Lập biểu mẫu {period.label}") as bar:
        result = make_forms(workspace, period, plan_ids, agencies, workers=workers, progress=bar.advance,
                            start=bar.total_is)
    if not result.written:
        msg = (
            f"Không có cơ quan nào phải báo cáo trong kỳ {period.label} với lựa "
                              "chọn này."
        )
        raise VietnameseError(msg, 1)
    if as_json:
        _echo_json([{"agency": w.agency, "name": w.agency_name, "form_id": w.form_id,
                     "file": workspace.relative(Path(w.path)), "rows": w.rows} for w in result.written])
        return
    for w in result.written:
        click.echo(f"{w.agency:16} {w.rows:4} dòng  {workspace.relative(Path(w.path))}")
    click.echo(f"Đã lập {len(result.written)} biểu mẫu trong {workspace.relative(result.folder)}.", err=True)


# ---------------------------------------------------------------------------------------
# collect, history
# ---------------------------------------------------------------------------------------
@cli.command()
@click.argument("paths", nargs=-1, required=True, metavar="TỆP_HOẶC_THƯ_MỤC...",
                type=click.Path(exists=True, path_type=Path))
@period_option
@click.option("--agency", "agency_code", metavar="MÃ",
              help="Mọi tệp đều phải là biểu mẫu của cơ quan này.")
@json_option
@click.option("--workers", type=click.IntRange(1, 64), default=None, metavar="SỐ",
              help="Số tiến trình đọc song song (mặc định: số nhân CPU).")
@pass_state
def collect(state: State, paths, period_text: str, agency_code: str | None, as_json: bool,
            workers) -> None:
    """Thu thập biểu mẫu đã điền (tệp hoặc thư mục) vào cơ sở dữ liệu.

    Mỗi tệp được kiểm tra từng ô, lưu bản gốc, ghi lịch sử và nhận một biên nhận.
    Tệp có lỗi được gửi trả kèm bản đánh dấu ô cần sửa trong output/KỲ/returns/.
    Thoát với mã 0 khi mọi tệp đều hợp lệ, 1 khi có tệp lỗi hoặc bị từ chối.
    """
    from .actions import collect_paths
    from .collect import gather

    workspace = state.workspace
    period = _period(period_text)
    if agency_code:
        workspace.check_agencies([agency_code])
    files = gather(paths)
    if not files:
        msg = "Không có tệp nào để thu thập trong các đường dẫn đã cho."
        raise VietnameseError(msg, 1)
    with _Progress(f"Thu thập {period.label}", len(files)) as bar:
        receipts = collect_paths(workspace, files, period, agency_code, workers=workers,
                                 progress=bar.advance)
    if as_json:
        _echo_json([r.to_json() for r in receipts])
    else:
        for receipt in receipts:
            _echo_receipt(receipt)
        good = sum(1 for r in receipts if r.ok)
        click.echo(f"Tổng cộng {len(receipts)} tệp: {good} hợp lệ, {len(receipts) - good} có vấn đề "
                   "hoặc bị từ chối.", err=True)
    if not all(r.ok for r in receipts):
        sys.exit(1)


def _echo_receipt(receipt) -> None:
    who = f"{receipt.agency_name} ({receipt.agency})" if receipt.agency else ""
    if receipt.status == "rejected":
        click.echo(f"✘ {receipt.file}: TỪ CHỐI. {receipt.reason}")
        return
    mark = "✔" if receipt.ok else "✘"
    again = f" [đã nhận trước đó lúc {receipt.duplicate_of}, không thay đổi gì]" if receipt.duplicate_of else ""
    late = " [nộp muộn]" if receipt.late else ""
    click.echo(f"{mark} {receipt.file} — {who}: nhận {receipt.accepted} giá trị, "
               f"{len(receipt.problems)} lỗi{late}{again}")
    for problem in receipt.problems:
        click.echo(f"    - {problem['sheet']}!{problem['cell']} ({problem['code']}): {problem['message']}")
    for note in receipt.notes:
        where = f"{note['sheet']}!{note['cell']}" if note["cell"] else note["sheet"]
        click.echo(f"    · {where} ({note['code']}): {note['message']}")
    if receipt.return_file:
        click.echo(f"    Tệp gửi trả để sửa: {receipt.return_file}")


@cli.command()
@click.option("--agency", "agency_code", required=True, metavar="MÃ", help="Mã cơ quan.")
@click.option("--period", "period_text", metavar="KỲ", help="Chỉ kỳ này.")
@json_option
@pass_state
def history(state: State, agency_code: str, period_text: str | None, as_json: bool) -> None:
    """Lịch sử các lần nộp của một cơ quan và các giá trị đã thay đổi."""
    from .actions import open_store

    workspace = state.workspace
    workspace.check_agencies([agency_code])
    period = str(_period(period_text)) if period_text else None
    store = open_store(workspace)
    submissions = store.submissions(period=period, agency=agency_code)
    changes = store.changes(agency_code, period)
    files = store.files(period=period, agency=agency_code)
    if as_json:
        _echo_json({"agency": agency_code, "submissions": [s.__dict__ for s in submissions],
                    "changes": changes, "files": [f.__dict__ for f in files]})
        return
    name = workspace.registry.name(agency_code)
    click.echo(f"{name} ({agency_code}): {len(submissions)} lần nộp")
    for sub in submissions:
        state_text = "đang dùng" if sub.current else "đã thay thế"
        click.echo(f"  {sub.period}  nhận {sub.received_at}  lưu {sub.saved_at}  {sub.file_name}  "
                   f"{sub.values} giá trị, {sub.problems} lỗi  [{state_text}]")
    if changes:
        click.echo("Thay đổi giá trị so với lần nộp trước:")
        for change in changes:
            click.echo(f"  {change['changed_at']}  {change['period']}  {change['key']}  "
                       f"{_FIELD_NAMES.get(change['field'], change['field'])}: "
                       f"{_shown(change['old'])} → {_shown(change['new'])}")


_FIELD_NAMES = {"value": "kết quả", "numerator": "tử số", "denominator": "mẫu số",
                "assessment": "đánh giá", "doc_number": "số văn bản", "doc_date": "ngày văn bản",
                "note": "ghi chú"}


def _shown(value: str | None) -> str:
    from .text import format_number

    if value is None:
        return "(trống)"
    try:
        return format_number(float(value))
    except ValueError:
        return value


# ---------------------------------------------------------------------------------------
# status, explain
# ---------------------------------------------------------------------------------------
_COLOURS = {"Vượt": "bold green", "Đạt": "green", "Đã đạt": "green", "Đúng tiến độ": "cyan",
            "Đã hoàn thành": "green", "Chưa đạt": "bold red", "Chậm tiến độ": "red", "Quá hạn": "bold red",
            "Cần đánh giá": "yellow", "Đang thực hiện": "yellow", "Chưa có số liệu": "dim"}


@cli.command()
@period_option
@plan_option
@json_option
@pass_state
def status(state: State, period_text: str, plan_ids, as_json: bool) -> None:
    """Tình hình kỳ báo cáo: cơ quan đã nộp, nộp muộn, chưa nộp và đánh giá từng chỉ tiêu."""
    from .actions import open_store, overview

    workspace = state.workspace
    view = overview(workspace, _period(period_text), plan_ids)
    store = open_store(workspace, create=False)
    sends = store.sends(period=str(view.period)) if store else []
    failed = [s for s in sends if s.status == "failed"]
    if as_json:
        _echo_json(view.to_json() | {"mail": {
            "sent": sum(1 for s in sends if s.status == "sent"),
            "failed": [{"agency": s.agency, "kind": s.kind, "subject": s.subject, "error": s.last_error,
                        "attempts": s.attempts} for s in failed]}})
        return
    _print_status(view, failed)


def _print_status(view, failed) -> None:
    from rich.console import Console
    from rich.table import Table

    from .text import format_number, format_percent

    console = Console(width=None if sys.stdout.isatty() else 150, highlight=False)
    for plan in view.plans:
        for section_code, section_title in plan.sections.items():
            part = [s for s in view.statuses if s.plan == plan.id and s.section == section_code]
            if not part:
                continue
            table = Table(title=f"{plan.short} — {section_code}. {section_title}", title_justify="left",
                          expand=True)
            for header, kwargs in (("Mã", {"no_wrap": True}), ("Chỉ tiêu", {"ratio": 5}),
                                   ("Chỉ tiêu kỳ", {"ratio": 1}), ("Kết quả", {"justify": "right"}),
                                   ("% HT", {"justify": "right"}), ("Đánh giá", {"no_wrap": True}),
                                   ("Báo cáo", {"justify": "right", "no_wrap": True})):
                table.add_column(header, **kwargs)
            for s in part:
                value = format_number(s.value, 2) if s.value is not None else (
                    (s.parts[0].assessment or "") if s.parts else s.note)
                colour = _COLOURS.get(s.status, "")
                table.add_row(s.code, s.name, s.target_text if s.kind == "indicator" else s.governing,
                              value + (" (tạm tính)" if s.provisional else ""),
                              format_percent(s.completion_pct, 0) if s.completion_pct is not None else "",
                              f"[{colour}]{s.status}[/{colour}]" if colour else s.status,
                              f"{s.reporters_received}/{s.reporters_expected}")
            console.print(table)
    late = [a for a in view.agencies if a.late]
    missing = [a for a in view.agencies if a.missing]
    problems = [a for a in view.agencies if a.problems]
    if late:
        console.print("\n[bold]Nộp muộn:[/bold] " + ", ".join(f"{a.name} ({a.submitted_at[:10]})" for a in late))
    if missing:
        console.print(f"[bold]Chưa nộp ({len(missing)}):[/bold] " + ", ".join(a.name for a in missing))
    if problems:
        console.print("[bold]Có lỗi cần sửa:[/bold] " + ", ".join(f"{a.name} ({a.problems} lỗi)" for a in problems))
    if failed:
        console.print(f"[bold red]Thư gửi lỗi ({len(failed)}):[/bold red] " + "; ".join(
            f"{s.agency} — {s.last_error} (đã thử {s.attempts} lần)" for s in failed))
    summary = view.summary
    counts = ", ".join(f"{k}: {v}" for k, v in summary["statuses"].items())
    console.print(f"\n[bold]{view.period.label}[/bold] — hạn nộp {view.deadline:%d/%m/%Y}. "
                  f"{summary['indicators']} chỉ tiêu, {summary['tasks']} nhiệm vụ. {counts}.")
    console.print(f"Cơ quan: {summary['agencies_reported']}/{summary['agencies_expected']} đã nộp, "
                  f"{summary['agencies_on_time']} đúng hạn, {summary['agencies_late']} muộn, "
                  f"{summary['agencies_missing']} chưa nộp.")


@cli.command()
@period_option
@click.option("--indicator", "code", required=True, metavar="MÃ",
              help="Mã chỉ tiêu, ví dụ I.2.1 (thêm --plan nếu mã có ở nhiều kế hoạch).")
@plan_option
@pass_state
def explain(state: State, period_text: str, code: str, plan_ids) -> None:
    """Giải thích đánh giá một chỉ tiêu: mức chỉ tiêu, số liệu từng đơn vị, cách tổng hợp."""
    from .actions import overview
    from .text import format_number

    workspace = state.workspace
    view = overview(workspace, _period(period_text), plan_ids)
    found = view.find(code)
    if not found:
        msg = (
            f"Không có chỉ tiêu mã \"{code}\" trong kỳ {view.period.label} "
                              "(xem mã bằng \"reportgen catalog show\")."
        )
        raise VietnameseError(msg, 2)
    if len(found) > 1:
        plans = ", ".join(s.plan for s in found)
        msg = f"Mã \"{code}\" có ở nhiều kế hoạch ({plans}); thêm --plan để chọn."
        raise VietnameseError(msg, 2)
    s = found[0]
    click.echo(f"{s.plan} {s.code}: {s.name}")
    click.echo(f"Đánh giá {view.period.label}: {s.status}")
    for line in s.explanation:
        click.echo(f"  {line}")
    click.echo("Số liệu từng đơn vị:")
    for key, values in s.contributions.items():
        reported = {v.agency: v for v in values}
        for agency in sorted(set(reported) | set(s.missing_agencies)):
            v = reported.get(agency)
            name = view.names.get(agency, agency)
            if v is None:
                click.echo(f"  {name}: chưa báo cáo")
                continue
            parts = []
            if v.numerator is not None or v.denominator is not None:
                parts.append(f"tử số {format_number(v.numerator)}, mẫu số {format_number(v.denominator)}")
            if v.value is not None:
                parts.append(format_number(v.value, 2))
            if v.assessment:
                parts.append(v.assessment + (f" (minh chứng: {v.evidence})" if v.evidence else ""))
            if v.doc_number or v.doc_date:
                parts.append(f"văn bản {v.doc_number or '?'} ngày {v.doc_date or '?'}")
            flag = "" if v.ok else " [có lỗi, không dùng để tổng hợp]"
            suffix = f" ({key.split('|')[-1]})" if key.count("|") == 2 else ""
            click.echo(f"  {name}{suffix}: {'; '.join(parts) or '(trống)'}{flag}")


# ---------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------
@cli.command()
@period_option
@plan_option
@click.option("--pdf", "as_pdf", is_flag=True, help="Chuyển báo cáo sang PDF (cần LibreOffice).")
@click.option("--number", metavar="SỐ", help="Số văn bản (mặc định: để trống như bản dự thảo).")
@click.option("--date", "report_date", metavar="NGÀY", help="Ngày ghi trên báo cáo, dạng 2026-11-20 "
              "(mặc định: hôm nay).")
@click.option("--template-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Thư mục chứa mẫu bao-cao.docx riêng (ưu tiên hơn templates/docx/).")
@json_option
@pass_state
def report(state: State, period_text: str, plan_ids, as_pdf: bool, number: str | None,
           report_date: str | None, template_dir: Path | None, as_json: bool) -> None:
    """Lập báo cáo Word theo Nghị định 30/2020, biểu đồ và biểu tổng hợp Excel của kỳ.

    Kết quả ghi vào output/KỲ/: bao-cao_KỲ.docx (và .pdf với --pdf),
    bieu-tong-hop_KỲ.xlsx, charts/*.png.
    """
    from datetime import date

    from .actions import render_report

    workspace = state.workspace
    period = _period(period_text)
    try:
        today = date.fromisoformat(report_date) if report_date else None
    except ValueError as exc:
        msg = f"Ngày \"{report_date}\" không hợp lệ; viết dạng 2026-11-20."
        raise VietnameseError(msg, 2) from exc
    files, pdf_error = render_report(workspace, period, plan_ids, number=number, today=today,
                                     template_dir=template_dir, pdf=as_pdf)
    outputs = {"docx": files.docx, "xlsx": files.xlsx, "pdf": files.pdf}
    if as_json:
        _echo_json({k: workspace.relative(v) if v else None for k, v in outputs.items()}
                   | {"charts": [workspace.relative(c) for c in files.charts]})
    else:
        click.echo(f"Báo cáo {period.label}:")
        for path in (files.docx, files.pdf, files.xlsx, *files.charts):
            if path:
                click.echo(f"  {workspace.relative(path)}")
    if pdf_error is not None:
        raise VietnameseError(messages.describe(pdf_error), pdf_error.exit_code)


# ---------------------------------------------------------------------------------------
# mail: send-forms, remind
# ---------------------------------------------------------------------------------------
_DELIVERY_TEXT = {"sent": "đã gửi", "written": "đã ghi vào hộp thư đi", "already-sent": "đã gửi trước đó",
                  "in-progress": "đang được gửi ở tiến trình khác", "failed": "GỬI LỖI",
                  "dry-run": "sẽ gửi", "no-address": "KHÔNG CÓ ĐỊA CHỈ"}
_KIND_TEXT = {"form": "biểu mẫu", "reminder": "nhắc hạn", "overdue": "quá hạn", "deadline": "sắp đến hạn",
              "task-overdue": "nhiệm vụ quá hạn", "report": "báo cáo"}


def _echo_deliveries(workspace: Workspace, results, dry_run: bool, as_json: bool) -> None:
    outbox = workspace.setting("mail.mode") != "smtp"
    if as_json:
        _echo_json([{"kind": r.planned.kind, "agency": r.planned.agency.code,
                     "to": list(r.planned.message.to), "cc": list(r.planned.message.cc),
                     "subject": r.planned.message.subject, "status": r.status, "detail": r.detail}
                    for r in results])
    else:
        for r in results:
            copy = f" (cc {', '.join(r.planned.message.cc)})" if r.planned.message.cc else ""
            click.echo(f"{_DELIVERY_TEXT[r.status]:28} {_KIND_TEXT.get(r.planned.kind, r.planned.kind):16} "
                       f"{', '.join(r.planned.message.to)}{copy} — {r.planned.message.subject}"
                       + (f"  [{r.detail}]" if r.status in ("failed", "no-address") else ""))
        if not results:
            click.echo("Không có thư nào cần gửi hôm nay.")
        elif outbox and not dry_run:
            click.echo(f"Chưa cấu hình SMTP: thư được ghi thành tệp .eml trong "
                       f"{workspace.relative(workspace.output_dir / 'outbox')} để xem trước "
                       "(đặt mail.mode: smtp trong config/settings.yaml để gửi thật).", err=True)
    if any(r.status == "failed" for r in results):
        msg = "Có thư gửi lỗi; sẽ thử lại ở lần chạy sau (xem \"reportgen status\")."
        raise VietnameseError(msg, 1)


@cli.command(name="send-forms")
@period_option
@agency_option
@plan_option
@dry_run_option
@json_option
@pass_state
def send_forms(state: State, period_text: str, agency_codes, plan_ids, dry_run: bool, as_json: bool) -> None:
    """Gửi thư kèm biểu mẫu cho từng cơ quan (lập biểu mẫu trước bằng "reportgen forms").

    Mỗi biểu mẫu chỉ được gửi một lần; chạy lại lệnh không gửi trùng.
    """
    from . import actions

    workspace = state.workspace
    period = _period(period_text)
    agencies = workspace.check_agencies(agency_codes)
    if not actions.open_store(workspace).forms_for(str(period)):
        msg = (
            f"Chưa có biểu mẫu kỳ {period.label}. Chạy trước: reportgen forms --period "
                              f"{period}"
        )
        raise VietnameseError(msg, 1)
    results = actions.send_forms(workspace, period, agencies, plan_ids, dry_run=dry_run)
    _echo_deliveries(workspace, results, dry_run, as_json)


@cli.command()
@period_option
@plan_option
@dry_run_option
@json_option
@pass_state
def remind(state: State, period_text: str, plan_ids, dry_run: bool, as_json: bool) -> None:
    """Nhắc cơ quan chưa nộp (hoặc nộp còn lỗi), báo quá hạn, nhắc chỉ tiêu, nhiệm vụ sắp đến hạn.

    Số ngày nhắc trước và sau hạn lấy từ config/settings.yaml (remind.days_before,
    remind.days_after). Mỗi lời nhắc chỉ gửi một lần.
    """
    from . import actions

    workspace = state.workspace
    results = actions.remind(workspace, _period(period_text), plan_ids, dry_run=dry_run)
    _echo_deliveries(workspace, results, dry_run, as_json)


# ---------------------------------------------------------------------------------------
# schedule
# ---------------------------------------------------------------------------------------
@cli.group(cls=Group)
def schedule() -> None:
    """Bộ lập lịch: chạy chu trình hằng tháng tự động (gửi biểu mẫu, nhắc, thu thập, báo cáo)."""


@schedule.command(name="run")
@pass_state
def schedule_run(state: State) -> None:
    """Chạy bộ lập lịch (chạy liên tục đến khi dừng bằng Ctrl+C).

    Chỉ một tiến trình được chạy; việc bị lỡ khi máy tắt sẽ chạy một lần khi
    máy bật lại (trong số giờ schedule.misfire_grace_hours).
    """
    from .schedule import run

    workspace = state.workspace
    click.echo(f"Bộ lập lịch đang chạy cho {workspace.root} (Ctrl+C để dừng). Nhật ký: dùng --log-file.",
               err=True)
    run(workspace)


@schedule.command(name="list")
@click.option("--month", metavar="THÁNG", help="Liệt kê mọi lần chạy trong tháng này, dạng 2026-11.")
@json_option
@pass_state
def schedule_list(state: State, month: str | None, as_json: bool) -> None:
    """Các việc đã lên lịch và lần chạy kế tiếp (giờ Việt Nam)."""
    from . import clock
    from .schedule import month_plan, next_runs

    workspace = state.workspace
    if month:
        period = _period(month)
        if period.kind != "month":
            msg = "--month cần dạng 2026-11."
            raise VietnameseError(msg, 2)
        runs = month_plan(workspace.settings, period.year, period.index)
        if as_json:
            _echo_json([{"job": spec.id, "title": spec.title, "at": when.isoformat()} for when, spec in runs])
            return
        for when, spec in runs:
            click.echo(f"{when:%d/%m/%Y %H:%M}  {spec.id:8} {spec.title}")
        return
    rows = next_runs(workspace, clock.now())
    if as_json:
        _echo_json([{"job": spec.id, "title": spec.title, "next": when.isoformat() if when else None,
                     "past_due": past} for spec, when, past in rows])
        return
    for spec, when, past in rows:
        flag = "  (đã đến hạn: sẽ chạy ngay khi bộ lập lịch chạy)" if past else ""
        click.echo(f"{spec.id:8} {spec.title:34} kế tiếp: {when:%d/%m/%Y %H:%M}{flag}")


# ---------------------------------------------------------------------------------------
# demo
# ---------------------------------------------------------------------------------------
@cli.command()
@click.option("--workspace", "target", type=click.Path(file_okay=False, path_type=Path),
              default=Path("reportgen-demo"), show_default=True,
              help="Thư mục làm việc mới cho bản chạy thử.")
@click.option("--force", is_flag=True, help="Ghi đè thư mục chạy thử đã có.")
def demo(target: Path, force: bool) -> None:
    """Chạy thử trọn một tháng trên danh mục Ninh Bình với DỮ LIỆU MINH HỌA.

    Lập biểu mẫu, giả lập các cơ quan điền và gửi lại (có lỗi gõ, nộp muộn, tệp
    có lỗi), thu thập, đánh giá, lập báo cáo (.docx, .xlsx, biểu đồ, PDF nếu có
    LibreOffice) và ghi thư nhắc vào hộp thư đi. Không gửi thư thật.
    """
    from .demo import LABEL, run_demo

    bars: list[_Progress] = []

    def step(label: str, total: int):
        if bars:
            bars[-1].__exit__(None, None, None)
        bar = _Progress(label, total).__enter__()
        bars.append(bar)
        click.echo(f"• {label}", err=True)
        return bar.advance

    click.echo(f"=== {LABEL}: chạy thử chu trình tháng 11/2026 trong {target} ===", err=True)
    try:
        result = run_demo(target, force=force, step=step)
    finally:
        if bars:
            bars[-1].__exit__(None, None, None)
    workspace = result.workspace
    receipts = result.receipts
    good = sum(1 for r in receipts if r.ok)
    view = _demo_overview(workspace)
    summary = view.summary
    click.echo(f"\n{LABEL} — Tháng 11/2026, thư mục làm việc: {workspace.root}")
    click.echo(f"  Biểu mẫu đã lập: {result.forms} (output/2026-11/forms/)")
    click.echo(f"  Cơ quan gửi lại: {result.filled}" + (" (một tệp lưu bằng LibreOffice)" if result.libreoffice
                                                        else ""))
    click.echo(f"  Thu thập: {len(receipts)} tệp, {good} hợp lệ, {len(receipts) - good} có lỗi "
               "(tệp gửi trả ở output/2026-11/returns/)")
    click.echo("  Đánh giá: " + ", ".join(f"{k} {v}" for k, v in summary["statuses"].items()))
    click.echo(f"  Cơ quan: {summary['agencies_reported']}/{summary['agencies_expected']} đã nộp, "
               f"{summary['agencies_late']} muộn, {summary['agencies_missing']} chưa nộp")
    click.echo(f"  Thư đã ghi vào hộp thư đi: {result.mails} (output/outbox/*.eml)")
    files = result.report
    click.echo("  Báo cáo:")
    for path in (files.docx, files.pdf, files.xlsx, *files.charts):
        if path:
            click.echo(f"    {workspace.relative(path)}")
    if result.pdf_problem is not None:
        click.echo(f"  (Không có PDF: {messages.describe(result.pdf_problem)})")
    click.echo(f"Xem tiếp: reportgen -w {workspace.root} status --period 2026-11")


def _demo_overview(workspace: Workspace):
    from datetime import datetime

    from .actions import overview
    from .clock import VN
    from .demo import PERIOD

    return overview(workspace, PERIOD, now=datetime(2026, 11, 18, 8, 20, tzinfo=VN))

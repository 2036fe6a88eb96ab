"""The ``reportgen`` command line. The only module that imports click.

Each command parses its options, calls one method of the period's
:class:`~reportgen.cycle.Cycle` (or one library function) and prints the result
with the sentences of :mod:`reportgen.messages`. Errors raised inside reportgen
become Vietnamese messages in one place (:meth:`Group.invoke`), with the exit
statuses of :class:`~reportgen.errors.ExitStatus`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from contextlib import contextmanager
from pathlib import Path

import click

from . import __version__, _click_vi
from . import messages as M
from .errors import Interrupted, ProblemsFound, ReportgenError, UsageError
from .workspace import Workspace, find_workspace, init_workspace

_click_vi.install()
log = logging.getLogger("reportgen")


class VietnameseError(click.ClickException):
    """Prints "Lỗi: …" on stderr and exits with the error's own code; under --json, a JSON
    object on stdout instead, so that a script reading the output always gets JSON."""

    def __init__(self, message: str, exit_code: int = 1, reason: str = "", as_json: bool = False):
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click declares it on the class
        self.reason = reason
        self.as_json = as_json

    def show(self, file=None) -> None:
        if self.as_json:
            if not _JSON_PRINTED:  # the command's own JSON already says it (collect, catalog check)
                _echo_json(
                    {"error": {"reason": self.reason, "message": self.format_message(), "exit_code": self.exit_code}}
                )
            return
        click.echo(M.OUT_ERROR.format(message=self.format_message()), err=True)


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
        # the words after the command name (click 8.2 renamed protected_args and deprecates the old name)
        protected = vars(ctx).get("_protected_args", vars(ctx).get("protected_args", []))
        as_json = "--json" in (*protected, *ctx.args)
        if ctx.parent is None:
            _JSON_PRINTED.clear()  # a new command (tests and the scheduler run many in one process)
        try:
            return super().invoke(ctx)
        except ReportgenError as error:
            log.warning("%s: %s", ctx.invoked_subcommand, error.detail)
            message = with_workspace(M.describe(error))
            raise VietnameseError(message, int(error.exit_code), error.reason, as_json) from error
        except OSError as error:  # a folder that cannot be written, a file another program holds open
            log.warning("%s: %s", ctx.invoked_subcommand, error)
            where = error.filename or ""
            raise VietnameseError(M.OUT_OS_ERROR.format(file=where, why=error.strerror or error), 2) from error
        except KeyboardInterrupt:  # Ctrl+C outside a step that says what it had done
            log.warning("%s: interrupted", ctx.invoked_subcommand)
            raise VietnameseError(M.describe(Interrupted()), int(Interrupted.exit_code)) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except Exception as error:  # a defect of ours: never a bare traceback, always a trace kept
            if os.environ.get("REPORTGEN_DEBUG"):
                raise
            kept = _keep_trace(ctx)
            log.exception("%s crashed", ctx.invoked_subcommand)
            raise VietnameseError(M.OUT_CRASH.format(error=type(error).__name__, file=kept), 1) from error


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

    @contextmanager
    def cycle(self, period_text: str):
        from .cycle import Cycle

        with Cycle(self.workspace, _period(period_text)) as cycle:
            cycle.check_period()
            yield cycle


pass_state = click.make_pass_decorator(State)


def quote(arg: object) -> str:
    """An argument as it pastes back into PowerShell, cmd or a Unix shell: in double quotes
    when it holds a space or a character a shell reads.

    >>> quote("2026-11"), quote("/srv/Sổ theo dõi 2026")
    ('2026-11', '"/srv/Sổ theo dõi 2026"')
    """
    text = str(arg)
    if text and re.fullmatch(r"[\w@%+=:,./\\-]+", text):
        return text
    return '"' + text.replace('"', '\\"') + '"'


def _typed_workspace() -> Path | None:
    """The workspace the user named with -w, to repeat it in every command we suggest."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return None
    root = ctx.find_root()
    if root.get_parameter_source("workspace") != click.core.ParameterSource.COMMANDLINE:
        return None
    state = ctx.find_object(State)
    try:
        return state.workspace.root if state else None
    except ReportgenError:
        return None


def hint(*args: object, workspace: Path | None = None) -> str:
    """A command to suggest, ready to paste: quoted, with the same -w as the user typed."""
    where = workspace or _typed_workspace()
    prefix = ["reportgen", "-w", quote(where)] if where else ["reportgen"]
    return " ".join(prefix + [quote(a) for a in args])


def with_workspace(text: str) -> str:
    """A message's suggested commands ("Chạy trước: reportgen forms …") with the -w the user typed."""
    where = _typed_workspace()
    if where is None:
        return text
    return re.sub(r"\breportgen (?=(?!init\b)[a-z])", f"reportgen -w {quote(where)} ", text)


def _keep_trace(ctx: click.Context) -> str:
    """Write the traceback of an unexpected error where the office can find it and send it on."""
    import tempfile
    import traceback

    from .clock import now

    state = ctx.find_object(State)
    folders = []
    try:
        if state is not None:
            folders.append(state.workspace.output_dir / "logs")
    except Exception:  # noqa: BLE001 - no workspace (or a broken one): fall back to the temp folder
        pass
    folders.append(Path(tempfile.gettempdir()))
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"reportgen-loi-{now():%Y%m%d-%H%M%S}.txt"
            path.write_text(" ".join(sys.argv) + "\n\n" + traceback.format_exc(), encoding="utf-8")
            return str(path)
        except OSError:
            continue
    return "(không ghi được)"


_JSON_PRINTED: list[bool] = []


def _echo_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    _JSON_PRINTED.append(True)


_HANDLERS: list[logging.Handler] = []


def _setup_logging(ctx: click.Context, verbose: int, log_file: str | None) -> None:
    """Warnings (and more with -v) on stderr; with --log-file, every command, every file's verdict
    and every send or failure in the file (never a password: none is ever logged)."""
    root = logging.getLogger()
    for handler in _HANDLERS:  # a second command in the same process (tests, the scheduler)
        root.removeHandler(handler)
        handler.close()
    _HANDLERS.clear()
    stderr = logging.StreamHandler(sys.stderr)
    # The screen shows Vietnamese sentences; log lines only with -v (INFO) or -vv (DEBUG).
    stderr.setLevel((logging.CRITICAL + 10, logging.INFO, logging.DEBUG)[min(verbose, 2)])
    _HANDLERS.append(stderr)
    if log_file:
        try:
            Path(log_file).parent.mkdir(parents=True, exist_ok=True)
            kept = logging.FileHandler(log_file, encoding="utf-8")
        except OSError as error:
            why = M.OUT_OS_ERROR.format(file=log_file, why=error.strerror)
            raise click.BadParameter(why, param_hint="--log-file") from error
        kept.setLevel(logging.DEBUG if verbose else logging.INFO)
        _HANDLERS.append(kept)
    form = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in _HANDLERS:
        handler.setFormatter(form)
        root.addHandler(handler)
    root.setLevel(min(h.level for h in _HANDLERS))
    command = [ctx.invoked_subcommand or "", *ctx.args]
    log.info("reportgen %s: %s", __version__, " ".join(a for a in command if a))


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--workspace",
    "-w",
    metavar="THƯ_MỤC",
    envvar="REPORTGEN_WORKSPACE",
    help="Thư mục làm việc (chứa config/, templates/, output/). Mặc định: biến "
    "REPORTGEN_WORKSPACE, sau đó thư mục hiện tại.",
)
@click.option("--verbose", "-v", count=True, help="Ghi nhật ký chi tiết hơn (-v, -vv).")
@click.option("--log-file", metavar="TỆP", help="Ghi nhật ký vào tệp.")
@click.version_option(__version__, prog_name="reportgen")
@click.pass_context
def cli(ctx: click.Context, workspace: str | None, verbose: int, log_file: str | None) -> None:
    """reportgen: theo dõi chỉ tiêu kế hoạch KH&CN, đổi mới sáng tạo và chuyển đổi số.

    Chu trình hằng tháng: lập biểu mẫu (forms), thu thập (collect), đánh giá
    (status), lập báo cáo (report), nhắc việc (remind).
    """
    _setup_logging(ctx, verbose, log_file)
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
    click.echo(M.OUT_INIT_DONE.format(root=workspace.root))
    if workspace.backup is not None:
        click.echo(M.OUT_INIT_BACKUP.format(folder=workspace.backup))
    for line in M.OUT_INIT_FILES:
        click.echo(line)
    click.echo(M.OUT_NEXT.format(command=hint("catalog", "check", workspace=workspace.root)))


# ---------------------------------------------------------------------------------------
# catalog
# ---------------------------------------------------------------------------------------
@cli.group(cls=Group)
def catalog() -> None:
    """Danh mục chỉ tiêu: nhập từ phụ lục kế hoạch, kiểm tra, xem."""


@catalog.command(name="import")
@click.argument("source", metavar="TỆP_PHỤ_LỤC", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--plan",
    "plan_id",
    required=True,
    metavar="ID",
    help="Mã kế hoạch, dùng làm tên tệp config/plans/ID.yaml (ví dụ ninh-binh-2026).",
)
@click.option("--province", metavar="MÃ", help="Tỉnh của kế hoạch (mặc định: tỉnh của thư mục làm việc).")
@click.option(
    "--sheet", metavar="TÊN", help="Chỉ đọc trang tính này (tệp .xlsx; mặc định: mọi trang tính có bảng chỉ tiêu)."
)
@click.option("--force", is_flag=True, help="Ghi đè tệp danh mục đã có (mất các chỉnh sửa tay).")
@pass_state
def catalog_import(
    state: State, source: Path, plan_id: str, province: str | None, sheet: str | None, force: bool
) -> None:
    """Nhập bảng chỉ tiêu từ TỆP_PHỤ_LỤC (.docx, .xlsx, .pdf có chữ, hoặc .txt tách Tab).

    Đọc mọi bảng phụ lục trong tệp (Phụ lục I chỉ tiêu, Phụ lục II nhiệm vụ…), mỗi bảng theo
    dòng tiêu đề của nó; bỏ qua bảng quốc hiệu và bảng chữ ký. Kết quả ghi vào
    config/plans/ID.yaml để cán bộ rà soát và sửa trực tiếp.
    """
    from .checker import check_plan
    from .importer import import_plan
    from .planfile import write_plan
    from .sources import read_source
    from .text import slugify

    workspace = state.workspace
    if slugify(plan_id) != plan_id:
        raise UsageError("plan-id", suggestion=slugify(plan_id))
    target = workspace.plans_dir / f"{plan_id}.yaml"
    if target.exists() and not force:
        raise UsageError("plan-exists", file=workspace.relative(target))
    table = read_source(source, sheet=sheet)
    plan = import_plan(table, plan_id, workspace.registry, province)
    write_plan(target, plan)
    for warning in table.warnings:
        click.echo(M.OUT_IMPORT_WARNING.format(text=warning))
    findings = check_plan(plan, workspace.registry)
    problems = [f for f in findings if f.problem]
    click.echo(M.OUT_IMPORTED.format(source=source.name, target=workspace.relative(target)))
    click.echo(
        M.OUT_IMPORTED_COUNTS.format(
            indicators=len(plan.indicators), tasks=len(plan.tasks), sections=len(plan.sections), groups=len(plan.groups)
        )
    )
    click.echo(M.OUT_IMPORTED_FINDINGS.format(notes=len(findings) - len(problems), problems=len(problems)))
    click.echo(M.OUT_SEE_DETAILS.format(command=hint("catalog", "check", "--plan", plan_id)))


@catalog.command(name="check")
@click.option("--plan", "plan_ids", multiple=True, metavar="ID", help="Chỉ kiểm tra kế hoạch này.")
@click.option("--notes/--no-notes", default=True, help="Liệt kê cả các ghi chú cần rà soát.")
@click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON.")
@pass_state
def catalog_check(state: State, plan_ids: tuple[str, ...], notes: bool, as_json: bool) -> None:
    """Kiểm tra danh mục: mã trùng, cơ quan chưa nhận ra, chỉ tiêu chưa đọc được.

    Thoát với mã 0 khi danh mục sạch, 1 khi còn lỗi phải sửa.
    """
    from .checker import check_plans

    workspace = state.workspace
    plans = (
        [workspace.catalog.plans[p] for p in workspace.check_plans(plan_ids)]
        if plan_ids
        else list(workspace.catalog.plans.values())
    )
    total_problems = 0
    report = []
    checked = check_plans(workspace.catalog, plans)
    for plan in plans:
        findings = checked[plan.id]
        problems = [f for f in findings if f.problem]
        total_problems += len(problems)
        if as_json:
            report.append(
                {
                    "plan": plan.id,
                    "version": plan.version,
                    "indicators": len(plan.indicators),
                    "tasks": len(plan.tasks),
                    "problems": [{"code": f.code, "message": f.message} for f in problems],
                    "notes": [{"code": f.code, "message": f.message} for f in findings if not f.problem]
                    if notes
                    else [],
                }
            )
            continue
        click.echo(
            M.OUT_CHECK_PLAN.format(
                plan=plan.id,
                indicators=len(plan.indicators),
                tasks=len(plan.tasks),
                version=plan.version,
                problems=len(problems),
                notes=len(findings) - len(problems),
            )
        )
        for finding in problems:
            click.echo(M.OUT_CHECK_PROBLEM.format(plan=plan.id, code=finding.code, message=finding.message))
        if notes:
            for finding in findings:
                if not finding.problem:
                    click.echo(M.OUT_CHECK_NOTE.format(plan=plan.id, code=finding.code, message=finding.message))
    if as_json:
        _echo_json({"plans": report, "problems": total_problems})
    if total_problems:
        raise ProblemsFound("catalog-problems", count=total_problems)
    if not as_json:
        click.echo(M.OUT_CATALOG_OK)


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
            f"{t.year or t.deadline}: {t.text}" + (f" ({t.label})" if t.label else "") for t in item.targets
        )
        click.echo(f"{item.plan} {item.code:8} {item.name[:70]}")
        if targets:
            click.echo(f"    {item.unit or '-'} | {targets}")
        click.echo(
            f"    báo cáo: {', '.join(item.reporters)} | theo dõi: {item.monitor or '-'} | tổng hợp: {item.aggregate}"
        )


# ---------------------------------------------------------------------------------------
# shared helpers for the monthly commands
# ---------------------------------------------------------------------------------------
class _Progress:
    """A progress bar on stderr (rich), silent when stderr is not a terminal."""

    def __init__(self, label: str, total: int = 0):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        self.console = Console(stderr=True)
        self.bar = Progress(
            "[bold]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
            disable=not self.console.is_terminal,
        )
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
    "--period",
    "period_text",
    required=True,
    metavar="KỲ",
    help="Kỳ báo cáo: 2026-11 (tháng), 2026-Q4 (quý), 2026-H1 (6 tháng), 2026 (năm).",
)
plan_option = click.option(
    "--plan",
    "plan_ids",
    multiple=True,
    metavar="ID",
    help="Chỉ dùng kế hoạch này (lặp lại được). Mặc định: các kế hoạch của tỉnh.",
)
agency_option = click.option(
    "--agency", "agency_codes", multiple=True, metavar="MÃ", help="Chỉ cơ quan này (lặp lại được)."
)
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
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    metavar="SỐ",
    help="Số tiến trình ghi song song (mặc định: số nhân CPU).",
)
@pass_state
def forms(state: State, period_text: str, plan_ids, agency_codes, as_json: bool, workers) -> None:
    """Lập biểu mẫu Excel cho từng cơ quan báo cáo trong kỳ.

    Mỗi cơ quan nhận một tệp .xlsx chỉ gồm các chỉ tiêu, nhiệm vụ của mình, ghi vào
    output/KỲ/forms/ (ví dụ output/2026-11/forms/2026-11_so-khcn.xlsx).
    """
    workspace = state.workspace
    agencies = workspace.check_agencies(agency_codes)
    workspace.check_plans(plan_ids)
    with state.cycle(period_text) as cycle, _Progress(f"Lập biểu mẫu {cycle.period.label}") as bar:
        result = cycle.make_forms(plan_ids, agencies, workers=workers, progress=bar.advance, start=bar.total_is)
    if not result.written:
        raise ProblemsFound("nothing-owed", period=cycle.period.label)
    if as_json:
        _echo_json(
            [
                {
                    "agency": w.agency,
                    "agency_name": w.agency_name,
                    "form_id": w.form_id,
                    "file": workspace.relative(Path(w.path)),
                    "rows": w.rows,
                }
                for w in result.written
            ]
        )
        return
    for w in result.written:
        click.echo(M.OUT_FORM_LINE.format(agency=w.agency, rows=w.rows, file=workspace.relative(Path(w.path))))
    click.echo(M.OUT_FORMS_DONE.format(count=len(result.written), folder=workspace.relative(result.folder)), err=True)


# ---------------------------------------------------------------------------------------
# collect, history
# ---------------------------------------------------------------------------------------
@cli.command()
@click.argument(
    "paths", nargs=-1, required=True, metavar="TỆP_HOẶC_THƯ_MỤC...", type=click.Path(exists=True, path_type=Path)
)
@period_option
@click.option("--agency", "agency_code", metavar="MÃ", help="Mọi tệp đều phải là biểu mẫu của cơ quan này.")
@json_option
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    metavar="SỐ",
    help="Số tiến trình đọc song song (mặc định: số nhân CPU).",
)
@pass_state
def collect(state: State, paths, period_text: str, agency_code: str | None, as_json: bool, workers) -> None:
    """Thu thập biểu mẫu đã điền (tệp hoặc thư mục) vào cơ sở dữ liệu.

    Mỗi tệp được kiểm tra từng ô, lưu bản gốc, ghi lịch sử và nhận một biên nhận.
    Tệp có lỗi được gửi trả kèm bản đánh dấu ô cần sửa trong output/KỲ/returns/.
    Thoát với mã 0 khi mọi tệp đều hợp lệ, 1 khi có tệp lỗi hoặc bị từ chối.
    """
    from .collect import gather

    workspace = state.workspace
    if agency_code:
        agency_code = workspace.agency_code(agency_code)
    files = gather(paths, skip=workspace.own_folders())
    if not files:
        raise ProblemsFound("no-files", paths=", ".join(quote(p) for p in paths))
    with state.cycle(period_text) as cycle, _Progress(f"Thu thập {cycle.period.label}", len(files)) as bar:
        receipts = cycle.collect(files, agency_code, workers=workers, progress=bar.advance)
    if as_json:
        _echo_json([r.to_json() for r in receipts])
    else:
        for receipt in receipts:
            _echo_receipt(receipt)
        good = sum(1 for r in receipts if r.ok)
        click.echo(M.OUT_COLLECT_TOTAL.format(count=len(receipts), good=good, bad=len(receipts) - good), err=True)
    bad = sum(1 for r in receipts if not r.ok)
    if bad:
        raise ProblemsFound("files-with-problems", count=bad)


def _echo_receipt(receipt) -> None:
    from .text import format_moment

    who = f"{receipt.agency_name} ({receipt.agency})" if receipt.agency else ""
    if receipt.status == "rejected":
        click.echo(M.OUT_RECEIPT_REJECTED.format(file=receipt.file, reason=receipt.reason))
        return
    if receipt.status == "held" and receipt.held == "signed":
        click.echo(M.OUT_RECEIPT_HELD_SIGNED.format(file=receipt.file, who=who, **receipt.facts))
        return
    if receipt.status == "held":
        click.echo(
            M.OUT_RECEIPT_HELD.format(
                file=receipt.file,
                who=who,
                sender=receipt.sender or "?",
                id=receipt.file_id,
                command=hint("held", "list"),
            )
        )
        return
    if receipt.status == "set-aside":
        click.echo(M.OUT_RECEIPT_SET_ASIDE.format(file=receipt.file, who=who, reason=receipt.reason))
        return
    again = M.OUT_RECEIPT_AGAIN.format(when=receipt.duplicate_of) if receipt.duplicate_of else ""
    click.echo(
        M.OUT_RECEIPT.format(
            mark="✔" if receipt.ok else "✘",
            file=receipt.file,
            who=who,
            accepted=receipt.accepted,
            problems=len(receipt.problems),
            doubts=M.OUT_RECEIPT_DOUBTS.format(count=len(receipt.doubts)) if receipt.doubts else "",
            late=M.OUT_RECEIPT_LATE if receipt.late else "",
            again=again,
        )
    )
    for problem in receipt.problems:
        click.echo(f"    - {problem['sheet']}!{problem['cell']} ({problem['code']}): {problem['message']}")
    for mark, entries in (("?", receipt.doubts), ("·", receipt.notes)):
        for note in entries:
            where = f"{note['sheet']}!{note['cell']}" if note["cell"] else note["sheet"]
            click.echo(f"    {mark} {where} ({note['code']}): {note['message']}")
    if receipt.kept:
        click.echo(M.OUT_RECEIPT_KEPT.format(count=len(receipt.kept)))
        for kept in receipt.kept:
            click.echo(M.OUT_RECEIPT_KEPT_LINE.format(**kept))
    if receipt.correction:
        click.echo(M.OUT_RECEIPT_CORRECTION.format(when=format_moment(receipt.correction)))
    for change in receipt.changed:
        click.echo(M.OUT_RECEIPT_CHANGED.format(**change))
    for remark in receipt.remarks:
        click.echo(f"    · {remark}")
    if receipt.return_file:
        click.echo(M.OUT_RECEIPT_RETURN.format(file=receipt.return_file))


@cli.command()
@click.option("--agency", "agency_code", required=True, metavar="MÃ", help="Mã cơ quan.")
@click.option("--period", "period_text", metavar="KỲ", help="Chỉ kỳ này.")
@json_option
@pass_state
def history(state: State, agency_code: str, period_text: str | None, as_json: bool) -> None:
    """Lịch sử các lần nộp của một cơ quan, số liệu đang dùng (từ tệp nào) và các giá trị đã thay đổi."""
    from .store import Store
    from .text import format_moment

    workspace = state.workspace
    agency_code = workspace.agency_code(agency_code)
    period = _period(period_text) if period_text else None
    store = Store.open(workspace, create=False)
    try:
        submissions = store.submissions(period=str(period) if period else None, agency=agency_code) if store else []
        changes = store.changes(agency_code, str(period) if period else None) if store else []
        files = store.files(period=str(period) if period else None, agency=agency_code) if store else []
        month = period.month_number if period else max((s.period_month for s in submissions), default=0)
        current = store.values_as_of(month, agency_code) if store and month else []
        series = store.agency_series(agency_code) if store else {}
        sources = store.sources(i for v in current for i in v.sources.values()) if store else {}
    finally:
        if store:
            store.close()
    if as_json:
        _echo_json(
            {
                "agency": agency_code,
                "submissions": [s.__dict__ for s in submissions],
                "values": [
                    v.__dict__
                    | {"period": v.period, "files": {f: sources.get(i, {}).get("name") for f, i in v.sources.items()}}
                    for v in current
                ],
                "changes": changes,
                "files": [f.__dict__ for f in files],
            }
        )
        return
    click.echo(
        M.OUT_HISTORY_HEAD.format(name=workspace.registry.name(agency_code), agency=agency_code, count=len(submissions))
    )
    for sub in submissions:
        click.echo(
            M.OUT_HISTORY_LINE.format(
                period=_period(sub.period).label,
                received=format_moment(sub.received_at),
                file=sub.file_name,
                values=sub.values,
                problems=sub.problems,
            )
        )
    if current:
        from .periods import Period

        click.echo(M.OUT_HISTORY_CURRENT.format(period=Period.from_month(month).label.lower()))
        for v in current:
            source = sources.get(v.sources.get("value") or next(iter(v.sources.values()), 0), {})
            click.echo(
                M.OUT_HISTORY_VALUE.format(
                    code=v.code + (f" ({v.part})" if v.part else ""),
                    value=_figure(v),
                    month=Period.from_month(v.as_of).label.lower() if v.as_of is not None else "-",
                    file=source.get("name", "?"),
                    received=format_moment(source.get("received_at", "")),
                )
            )
    if any(len(points) > 1 for points in series.values()):
        click.echo(M.OUT_HISTORY_SERIES)
        for points in series.values():
            if len(points) > 1:
                shown = ", ".join(f"{p[5:7]}/{p[:4]}: {_figure(v)}" for p, v in points)
                click.echo(M.OUT_HISTORY_POINTS.format(code=points[0][1].code, points=shown))
    if changes:
        click.echo(M.OUT_HISTORY_CHANGES)
        for change in changes:
            click.echo(
                M.OUT_HISTORY_CHANGE.format(
                    when=format_moment(change["changed_at"]),
                    period=change["period"],
                    key=change["key"],
                    field=M.FIELD_NAMES.get(change["field"], change["field"]),
                    old=M.stored_value(change["old"]),
                    new=M.stored_value(change["new"]),
                    file=change["file_name"],
                )
            )


def _figure(v) -> str:
    """An agency's figure in a line: "42", "19/20 (95%)", "Đạt", "125/QĐ-UBND ngày 31/03/2026"."""
    from .layout import ratio_percent
    from .text import format_number, format_percent

    ratio = ratio_percent(v.numerator, v.denominator)
    if ratio is not None:
        return f"{format_number(v.numerator)}/{format_number(v.denominator)} ({format_percent(ratio)})"
    if v.value is not None:
        return format_number(v.value)
    if v.doc_number:
        return f"{v.assessment or ''} {v.doc_number} {v.doc_date or ''}".strip()
    return v.assessment or v.note or ""


# ---------------------------------------------------------------------------------------
# status, explain
# ---------------------------------------------------------------------------------------
_COLOURS = {
    "Vượt": "bold green",
    "Đạt": "green",
    "Đã đạt": "green",
    "Đúng tiến độ": "cyan",
    "Đã hoàn thành": "green",
    "Chưa đạt": "bold red",
    "Chậm tiến độ": "red",
    "Quá hạn": "bold red",
    "Cần đánh giá": "yellow",
    "Đang thực hiện": "yellow",
    "Chưa có số liệu": "dim",
    "Chưa đủ số liệu": "dim",
}


@cli.command()
@period_option
@plan_option
@json_option
@pass_state
def status(state: State, period_text: str, plan_ids, as_json: bool) -> None:
    """Tình hình kỳ báo cáo: cơ quan đã nộp, nộp muộn, chưa nộp và đánh giá từng chỉ tiêu."""
    with state.cycle(period_text) as cycle:
        view = cycle.overview(plan_ids)
        store = cycle.existing_store
        sends = store.sends(period=str(view.period)) if store else []
        signed = store.signature(str(view.period)) if store else None
        events = store.events(str(view.period)) if store else []
        mails = [m for m in store.mails(since=view.period.start.isoformat()) if m.status != "ignored"] if store else []
    troubles = {kind: [s for s in sends if s.status == kind] for kind in ("failed", "unknown")}
    incoming: dict[str, int] = {}
    for mail in mails:
        incoming[mail.kind] = incoming.get(mail.kind, 0) + 1
    if as_json:
        _echo_json(
            view.to_json()
            | {
                "signed": {k: v for k, v in signed.items() if k != "snapshot"} if signed else None,
                "events": events,
                "incoming": incoming,
                "mail": {"sent": sum(1 for s in sends if s.status == "sent")}
                | {
                    kind: [
                        {
                            "agency": s.agency,
                            "kind": s.kind,
                            "subject": s.subject,
                            "error": s.last_error,
                            "attempts": s.attempts,
                            "message_id": s.message_id,
                            "next_try": s.next_try,
                        }
                        for s in records
                    ]
                    for kind, records in troubles.items()
                },
            }
        )
        return
    _print_status(view, troubles)
    if signed:
        who = f" ({signed['signer']})" if signed["signer"] else ""
        click.echo(
            M.OUT_STATUS_SIGNED.format(
                number=signed["number"], day=_day(signed["signed_on"]).strftime("%d/%m/%Y"), signer=who
            )
        )
    for event in events:
        from .text import format_moment

        click.echo(
            M.OUT_STATUS_EVENT.format(
                when=format_moment(event["at"]),
                what=M.EVENT_WORDS.get(event["kind"], event["kind"]),
                who=f" ({event['who']})" if event["who"] else "",
                detail=event["detail"],
            )
        )
    if incoming:
        parts = ", ".join(f"{n} {M.MAIL_KINDS.get(kind, kind)}" for kind, n in sorted(incoming.items()))
        click.echo(M.OUT_STATUS_INCOMING.format(count=sum(incoming.values()), parts=parts))


def _print_status(view, troubles: dict) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from .remind import blank_rows
    from .text import format_moment, format_number, format_percent

    width = os.environ.get("REPORTGEN_WIDTH")  # tests: the width of a small console window
    console = Console(width=int(width) if width else None if sys.stdout.isatty() else 150, highlight=False)
    narrow = console.width < 110
    if view.provisional:
        console.print(M.OUT_PERIOD_OPEN.format(label=view.period.label, cutoff=f"{view.period.cutoff:%d/%m/%Y}"))
    for plan in view.plans:
        for section_code, section_title in plan.sections.items():
            part = [s for s in view.statuses if s.plan == plan.id and s.section == section_code]
            if not part:
                continue
            table = Table(title=f"{plan.short} — {section_code}. {section_title}", title_justify="left", expand=True)
            columns: list[tuple[str, dict]] = [
                ("Mã", {"no_wrap": True}),
                ("Chỉ tiêu", {"ratio": 3 if narrow else 5}),
                ("Chỉ tiêu kỳ", {"ratio": 2 if narrow else 1, "min_width": 10}),
                ("Kết quả", {"justify": "right", "min_width": 7}),
                ("% HT", {"justify": "right"}),
                ("Đánh giá", {"min_width": 8} if narrow else {"no_wrap": True}),
                ("Báo cáo", {"justify": "right", "no_wrap": True}),
            ]
            if narrow:  # an 80-column window: the reporting count goes, the target stays
                columns = columns[:-1]
            for header, kwargs in columns:
                table.add_column(header, **kwargs)
            for s in part:
                value = (
                    format_number(s.value, 2)
                    if s.value is not None
                    else ((s.parts[0].assessment or "") if s.parts else s.note)
                )
                colour = _COLOURS.get(s.status, "")
                table.add_row(
                    escape(s.code),
                    escape(s.name),
                    escape(s.target_text if s.kind == "indicator" else s.governing),
                    escape(  # "[số liệu tháng 10/2026]" is text, not a markup tag
                        value
                        + (M.OUT_PROVISIONAL if s.provisional else "")
                        + (M.OUT_CARRIED.format(month=s.as_of_label) if s.carried else "")
                    ),
                    format_percent(s.completion_pct, 0) if s.completion_pct is not None else "",
                    f"[{colour}]{s.status}[/{colour}]" if colour else s.status,
                    *([] if narrow else [f"{s.reporters_received}/{s.reporters_expected}"]),
                )
            console.print(table)
    late = [a for a in view.agencies if a.late]
    missing = [a for a in view.agencies if a.state == "missing"]
    rejected = [a for a in view.agencies if a.state == "rejected"]
    problems = [a for a in view.agencies if a.problems]
    if late:
        console.print(
            f"\n[bold]{M.OUT_STATUS_LATE}[/bold] "
            + ", ".join(f"{a.name} ({format_moment(a.submitted_at)})" for a in late)
        )
    if missing:
        console.print(
            f"[bold]{M.OUT_STATUS_MISSING.format(count=len(missing))}[/bold] " + ", ".join(a.name for a in missing)
        )
    if rejected:
        console.print(f"[bold]{M.OUT_STATUS_REJECTED}[/bold] " + ", ".join(a.name for a in rejected))
    if problems:
        console.print(
            f"[bold]{M.OUT_STATUS_PROBLEMS}[/bold] " + ", ".join(f"{a.name} ({a.problems} lỗi)" for a in problems)
        )
    held = [a for a in view.agencies if a.held]
    if held:
        console.print(
            f"[bold]{M.OUT_STATUS_HELD}[/bold] "
            + ", ".join(M.OUT_STATUS_HELD_LINE.format(name=a.name, count=a.held) for a in held)
            + " — "
            + M.OUT_STATUS_HELD_HOW.format(command=hint("held", "list")),
            markup=True,
        )
    unusable = [a for a in view.agencies if a.unusable]
    if unusable:
        console.print(f"[bold]{M.OUT_STATUS_UNUSABLE}[/bold]")
        for a in unusable:
            for mail in a.unusable:
                console.print(
                    M.OUT_STATUS_UNUSABLE_LINE.format(
                        name=a.name, when=format_moment(mail["received_at"]), reasons="; ".join(mail["reasons"])
                    ),
                    markup=False,
                )
    bounced = [a for a in view.agencies if a.bounced]
    if bounced:
        console.print(
            f"[bold red]{M.OUT_STATUS_BOUNCED}[/bold red] "
            + "; ".join(f"{a.name} ({', '.join(a.bounced)})" for a in bounced),
        )
    if view.corrections:
        console.print(f"[bold]{M.OUT_STATUS_CORRECTIONS}[/bold]")
        for f in view.corrections:
            changed = "; ".join(M.OUT_CHANGE_SHORT.format(**c) for c in f["changed"]) or M.OUT_NO_CHANGE
            console.print(
                M.OUT_STATUS_CORRECTION_LINE.format(
                    name=view.names.get(f["agency"], f["agency"]),
                    file=f["file_name"],
                    when=format_moment(f["received_at"]),
                    changed=changed,
                ),
                markup=False,
            )
    partial = [a for a in view.agencies if a.state == "partial"]
    if partial:
        console.print(
            f"[bold]{M.OUT_STATUS_PARTIAL}[/bold] "
            + "; ".join(
                M.OUT_STATUS_UNFILLED.format(name=a.name, count=a.unfilled, rows=blank_rows(a.blank, 8))
                for a in partial
            )
        )
    for kind, title in (("failed", M.OUT_STATUS_MAIL_FAILED), ("unknown", M.OUT_STATUS_MAIL_UNKNOWN)):
        records = troubles[kind]
        if records:
            console.print(
                f"[bold red]{title.format(count=len(records))}[/bold red] "
                + "; ".join(
                    M.OUT_STATUS_MAIL_LINE.format(agency=s.agency, error=s.last_error, attempts=s.attempts)
                    for s in records
                )
            )
    summary = view.summary
    counts = ", ".join(f"{k}: {v}" for k, v in summary["statuses"].items())
    console.print(
        "\n"
        + M.OUT_STATUS_PERIOD.format(
            label=f"[bold]{view.period.label}[/bold]",
            deadline=f"{view.deadline:%d/%m/%Y}",
            indicators=summary["indicators"],
            tasks=summary["tasks"],
            counts=counts,
        )
    )
    console.print(
        M.OUT_STATUS_AGENCIES.format(
            reported=summary["agencies_reported"],
            expected=summary["agencies_expected"],
            on_time=summary["agencies_on_time"],
            late=summary["agencies_late"],
            missing=summary["agencies_missing"],
        )
    )


@cli.command()
@period_option
@click.option(
    "--indicator",
    "code",
    required=True,
    metavar="MÃ",
    help="Mã chỉ tiêu, ví dụ I.2.1 (thêm --plan nếu mã có ở nhiều kế hoạch).",
)
@plan_option
@json_option
@pass_state
def explain(state: State, period_text: str, code: str, plan_ids, as_json: bool) -> None:
    """Giải thích đánh giá một chỉ tiêu: mức chỉ tiêu, số liệu từng đơn vị, cách tổng hợp."""
    from .layout import parse_row_key
    from .text import format_moment, format_number

    with state.cycle(period_text) as cycle:
        view = cycle.overview(plan_ids)
        found = view.find(code)
        if not found:
            raise UsageError("no-indicator", code=code, period=view.period.label)
        if len(found) > 1:
            raise UsageError("indicator-in-many-plans", code=code, plans=", ".join(s.plan for s in found))
        s = found[0]
        store = cycle.existing_store
        files = store.figure_files(s.contributions, view.period.month_number) if store else {}
    if as_json:
        _echo_json(_explained(s, view, files))
        return
    click.echo(M.OUT_EXPLAIN_HEAD.format(plan=s.plan, code=s.code, name=s.name))
    click.echo(M.OUT_EXPLAIN_STATUS.format(period=view.period.label, status=s.status))
    if s.carried:
        click.echo(M.OUT_EXPLAIN_CARRIED.format(month=s.as_of_label))
    for line in s.explanation:
        click.echo(f"  {line}")
    if s.trend:
        click.echo(M.OUT_EXPLAIN_TREND.format(trend=s.trend))
    if s.series:
        click.echo(M.OUT_EXPLAIN_SERIES)
        for point in s.series:
            click.echo(
                M.OUT_EXPLAIN_POINT.format(
                    period=point["period"], value=format_number(point["value"], 2) or "-", status=point["status"]
                )
            )
    click.echo(M.OUT_EXPLAIN_AGENCIES)
    for key, values in s.contributions.items():
        reported = {v.agency: v for v in values}
        part = parse_row_key(key).part
        for agency in sorted(set(reported) | set(s.missing_agencies)):
            v = reported.get(agency)
            name = view.names.get(agency, agency)
            if v is None:
                click.echo(M.OUT_EXPLAIN_NOT_REPORTED.format(name=name))
                continue
            parts = []
            if v.numerator is not None or v.denominator is not None:
                parts.append(
                    M.OUT_EXPLAIN_RATIO.format(
                        numerator=format_number(v.numerator), denominator=format_number(v.denominator)
                    )
                )
            if v.value is not None:
                parts.append(format_number(v.value, 2))
            if v.assessment:
                parts.append(v.assessment + (M.OUT_EXPLAIN_EVIDENCE.format(evidence=v.evidence) if v.evidence else ""))
            if v.doc_number or v.doc_date:
                parts.append(M.OUT_EXPLAIN_DOCUMENT.format(number=v.doc_number or "?", date=v.doc_date or "?"))
            flag = "" if v.ok else M.OUT_EXPLAIN_NOT_USED
            suffix = f" ({part})" if part else ""
            came = files.get((agency, key))
            source = M.OUT_EXPLAIN_SOURCE.format(file=came[0], when=format_moment(came[1])) if came else ""
            click.echo(f"  {name}{suffix}: {'; '.join(parts) or M.OUT_EMPTY_VALUE}{flag}{source}")


def _explained(s, view, files) -> dict:
    """``explain --json``: the status, and every agency's figure with the file it came in."""
    from .layout import parse_row_key

    contributions = []
    for key, values in s.contributions.items():
        part = parse_row_key(key).part
        reported = {v.agency: v for v in values}
        for agency in sorted(set(reported) | set(s.missing_agencies)):
            v = reported.get(agency)
            came = files.get((agency, key))
            contributions.append(
                {
                    "agency": agency,
                    "agency_name": view.names.get(agency, agency),
                    "part": part,
                    "reported": v is not None,
                }
                | (
                    {
                        "value": v.value,
                        "numerator": v.numerator,
                        "denominator": v.denominator,
                        "assessment": v.assessment,
                        "evidence": v.evidence,
                        "doc_number": v.doc_number,
                        "doc_date": v.doc_date,
                        "cause": v.cause,
                        "ok": v.ok,
                        "file_name": came[0] if came else None,
                        "received_at": came[1] if came else None,
                    }
                    if v is not None
                    else {}
                )
            )
    return s.to_json() | {"explanation": list(s.explanation), "contributions": contributions}


# ---------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------
@cli.command()
@period_option
@plan_option
@click.option("--pdf", "as_pdf", is_flag=True, help="Chuyển báo cáo sang PDF (cần LibreOffice).")
@click.option("--number", metavar="SỐ", help="Số văn bản (mặc định: để trống như bản dự thảo).")
@click.option(
    "--date", "report_date", metavar="NGÀY", help="Ngày ghi trên báo cáo, dạng 2026-11-20 (mặc định: hôm nay)."
)
@click.option(
    "--template-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Thư mục chứa mẫu bao-cao.docx riêng (ưu tiên hơn templates/docx/).",
)
@json_option
@pass_state
def report(
    state: State,
    period_text: str,
    plan_ids,
    as_pdf: bool,
    number: str | None,
    report_date: str | None,
    template_dir: Path | None,
    as_json: bool,
) -> None:
    """Lập báo cáo Word theo Nghị định 30/2020, biểu đồ và biểu tổng hợp Excel của kỳ.

    Kết quả ghi vào output/KỲ/: bao-cao_KỲ.docx (và .pdf với --pdf),
    bieu-tong-hop_KỲ.xlsx, charts/*.png.
    """
    today = _day(report_date)
    workspace = state.workspace
    with state.cycle(period_text) as cycle:
        files, pdf_error = cycle.report(plan_ids, number=number, today=today, template_dir=template_dir, pdf=as_pdf)
    outputs = {"docx": files.docx, "xlsx": files.xlsx, "pdf": files.pdf}
    if as_json:
        _echo_json(
            {k: workspace.relative(v) if v else None for k, v in outputs.items()}
            | {"charts": [workspace.relative(c) for c in files.charts]}
        )
    else:
        click.echo(M.OUT_REPORT_HEAD.format(period=cycle.period.label))
        for path in (files.docx, files.pdf, files.xlsx, *files.charts):
            if path:
                click.echo(f"  {workspace.relative(path)}")
    for warning in files.warnings:
        click.echo(M.OUT_WARNING.format(message=warning), err=True)
    if pdf_error is not None:
        raise pdf_error


def _day(value: str | None, option: str = "--date"):
    from datetime import date

    try:
        return date.fromisoformat(value) if value else None
    except ValueError as exc:
        raise UsageError("bad-date", value=value) from exc


@cli.command()
@period_option
@click.option("--number", metavar="SỐ", help="Số văn bản của báo cáo đã ký, ví dụ 05.")
@click.option("--date", "sign_date", metavar="NGÀY", help="Ngày ký, dạng 2026-11-20.")
@click.option("--by", "signer", metavar="TÊN", default="", help="Người ký (ghi vào lịch sử).")
@click.option("--reopen", is_flag=True, help="Mở lại kỳ đã ký (cần --reason): áp dụng các đính chính đang giữ.")
@click.option("--reason", default="", metavar="LÝ_DO", help="Lý do mở lại kỳ.")
@click.option("--pdf/--no-pdf", default=True, help="Lưu cả bản PDF đã ký (cần LibreOffice).")
@json_option
@pass_state
def sign(
    state: State,
    period_text: str,
    number: str | None,
    sign_date: str | None,
    signer: str,
    reopen: bool,
    reason: str,
    pdf: bool,
    as_json: bool,
) -> None:
    """Ghi nhận báo cáo lãnh đạo đã ký cho một kỳ (số, ngày, bản .docx/.pdf và mọi số liệu đã nêu).

    Từ đó "reportgen report" lập lại đúng bản đã ký; tệp mới của kỳ được giữ lại là
    đính chính, chỉ áp dụng khi mở lại kỳ: reportgen sign --period KỲ --reopen --reason "…".
    """
    with state.cycle(period_text) as cycle:
        if reopen:
            applied = cycle.reopen(reason, signer)
            if as_json:
                _echo_json({"period": str(cycle.period), "reopened": True, "applied": [r.to_json() for r in applied]})
                return
            click.echo(M.OUT_REOPENED.format(period=cycle.period.label, reason=reason, count=len(applied)))
            for receipt in applied:
                _echo_receipt(receipt)
            return
        if not number or not sign_date:
            raise click.UsageError(M.SIGN_NEEDS)
        record = cycle.sign(number, _day(sign_date), signer, pdf=pdf)
    if as_json:
        _echo_json({k: v for k, v in record.items() if k != "snapshot"})
        return
    click.echo(
        M.OUT_SIGNED.format(
            period=cycle.period.label,
            number=record["number"],
            short=state.workspace.setting("office.issuer_short"),
            day=f"{_day(record['signed_on']):%d/%m/%Y}",
            signer=f" ({signer})" if signer else "",
            file=record["docx"],
        )
    )


@cli.command()
@click.argument("file", metavar="TỆP", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option
@pass_state
def verify(state: State, file: Path, as_json: bool) -> None:
    """Kiểm tra một tệp .docx hoặc .pdf có đúng là báo cáo đã ký hay không.

    Thoát với mã 0 khi đúng, 1 khi không trùng báo cáo nào đã ký.
    """
    from .clock import now
    from .cycle import Cycle, current_period

    moment = now()
    with Cycle(state.workspace, current_period(moment.date()), moment) as cycle:
        found = cycle.verify(file)
    if as_json:
        _echo_json(
            {"file": str(file), "signed": {k: v for k, v in found.items() if k != "snapshot"} if found else None}
        )
    elif found:
        reopened = (
            M.OUT_VERIFIED_REOPENED.format(day=found["reopened_at"][:10], reason=found["reason"])
            if found["reopened_at"]
            else ""
        )
        click.echo(
            M.OUT_VERIFIED.format(
                file=file.name,
                period=_period(found["period"]).label,
                number=found["number"],
                day=f"{_day(found['signed_on']):%d/%m/%Y}",
                signer=f", {found['signer']}" if found["signer"] else "",
                how=M.OUT_VERIFIED_HOW[found["match"]],
                reopened=reopened,
            )
        )
    else:
        click.echo(M.OUT_NOT_VERIFIED.format(file=file.name))
    if not found:
        raise ProblemsFound("not-signed-copy")


# ---------------------------------------------------------------------------------------
# mail: send-forms, remind
# ---------------------------------------------------------------------------------------
def _echo_deliveries(workspace: Workspace, results, dry_run: bool, as_json: bool) -> None:
    outbox = workspace.setting("mail.mode") != "smtp"
    if as_json:
        _echo_json(
            [
                {
                    "kind": r.planned.kind,
                    "agency": r.planned.agency.code,
                    "to": list(r.planned.message.to),
                    "cc": list(r.planned.message.cc),
                    "subject": r.planned.message.subject,
                    "status": r.status,
                    "detail": r.detail,
                }
                for r in results
            ]
        )
    else:
        for r in results:
            copy = f" (cc {', '.join(r.planned.message.cc)})" if r.planned.message.cc else ""
            click.echo(
                f"{M.DELIVERY_TEXT[r.status]:28} {M.KIND_TEXT.get(r.planned.kind, r.planned.kind):16} "
                f"{', '.join(r.planned.message.to)}{copy} — {r.planned.message.subject}"
                + (f"  [{r.detail}]" if r.status in ("failed", "unknown", "no-address") else "")
            )
        if not results:
            click.echo(M.OUT_NO_MAIL)
        elif outbox and not dry_run:
            click.echo(M.OUT_OUTBOX.format(folder=workspace.relative(workspace.output_dir / "outbox")), err=True)
    if any(r.status in ("failed", "unknown") for r in results):
        raise ProblemsFound("mail-failed")


@cli.command()
@json_option
@pass_state
def fetch(state: State, as_json: bool) -> None:
    """Đọc hộp thư của Sở (IMAP, mục imap: trong config/settings.yaml): thu thập biểu mẫu
    các cơ quan gửi lại, như lệnh collect, và trả lời từng thư bằng biên nhận.

    Mỗi thư chỉ được xử lý một lần (theo Message-ID); thư đã xử lý được gắn nhãn
    Reportgen hoặc chuyển sang imap.done_folder. Thư tự động (vắng mặt, báo lỗi gửi)
    được ghi nhận, không trả lời.
    """
    from .clock import now
    from .replies import fetch as fetch_mail

    fetched = fetch_mail(state.workspace, now())
    outcomes = fetched.outcomes
    if as_json:
        _echo_json(fetched.to_json())
    else:
        for outcome in outcomes:
            sent = sum(1 for a in outcome.answers if a.status in ("sent", "written"))
            click.echo(
                M.OUT_FETCH_LINE.format(
                    sender=outcome.sender,
                    subject=outcome.subject,
                    kind=M.MAIL_KINDS.get(outcome.kind, outcome.kind),
                    answered=M.OUT_FETCH_ANSWERED.format(count=sent) if sent else "",
                )
            )
            for receipt in outcome.receipts:
                _echo_receipt(receipt)
            for reason in outcome.unusable:
                click.echo(f"    ✘ {reason}")
        click.echo(M.OUT_FETCH_TOTAL.format(count=len(outcomes)), err=True)
        left = fetched.left_alone
        if left:
            parts = ", ".join(f"{n} {M.LEFT_ALONE.get(k, k)}" for k, n in left.most_common())
            click.echo(M.OUT_FETCH_LEFT.format(count=sum(left.values()), parts=parts), err=True)
    bad = sum(1 for o in outcomes if not o.ok)
    if bad:
        raise ProblemsFound("mail-problems", count=bad)


# ---------------------------------------------------------------------------------------
# held files
# ---------------------------------------------------------------------------------------
@cli.group(cls=Group)
def held() -> None:
    """Tệp đang giữ lại, chưa ghi nhận: biểu mẫu gửi từ địa chỉ không đăng ký của cơ quan.

    Xem danh sách (held list), chấp nhận (held accept SỐ) hoặc bỏ (held discard SỐ).
    """


@contextmanager
def _today_cycle(state: State):
    from .clock import now
    from .cycle import Cycle, current_period

    moment = now()
    with Cycle(state.workspace, current_period(moment.date()), moment) as cycle:
        yield cycle


@held.command(name="list")
@json_option
@pass_state
def held_list(state: State, as_json: bool) -> None:
    """Các tệp đang giữ lại (mọi kỳ), với số tệp dùng cho accept/discard."""
    from .text import format_moment

    with _today_cycle(state) as cycle:
        files = cycle.held()
    if as_json:
        _echo_json([_held_json(f) for f in files])
        return
    if not files:
        click.echo(M.OUT_HELD_NONE)
        return
    for f in files:
        click.echo(
            M.OUT_HELD_LINE.format(
                id=f.id,
                file=f.name,
                agency=f.agency or "?",
                period=f.period or "?",
                sender=f.receipt.get("sender") or "?",
                when=format_moment(f.received_at),
            )
        )
    click.echo(M.OUT_HELD_HOW.format(accept=hint("held", "accept", "SỐ"), discard=hint("held", "discard", "SỐ")))


def _held_json(f) -> dict:
    return {
        "id": f.id,
        "file_name": f.name,
        "agency": f.agency,
        "period": f.period,
        "sender": f.receipt.get("sender"),
        "received_at": f.received_at,
        "reason": f.receipt.get("held"),
    }


@held.command(name="accept")
@click.argument("file_id", metavar="SỐ", type=int)
@json_option
@pass_state
def held_accept(state: State, file_id: int, as_json: bool) -> None:
    """Chấp nhận tệp giữ lại SỐ: ghi nhận số liệu như tệp do chính cơ quan gửi, vào lúc tệp đến."""
    with _today_cycle(state) as cycle:
        receipt = cycle.accept_held(file_id)
    if as_json:
        _echo_json(receipt.to_json())
    else:
        _echo_receipt(receipt)
    if not receipt.ok:
        raise ProblemsFound("files-with-problems", count=1)


@held.command(name="discard")
@click.argument("file_id", metavar="SỐ", type=int)
@pass_state
def held_discard(state: State, file_id: int) -> None:
    """Bỏ tệp giữ lại SỐ: không ghi nhận số liệu (tệp vẫn được lưu trong output/archive/)."""
    with _today_cycle(state) as cycle:
        record = cycle.discard_held(file_id)
    click.echo(M.OUT_HELD_DISCARDED.format(id=record.id, file=record.name))


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
    workspace = state.workspace
    agencies = workspace.check_agencies(agency_codes)
    with state.cycle(period_text) as cycle:
        if not cycle.store.forms_for(str(cycle.period)):
            raise ProblemsFound("no-forms", period=str(cycle.period))
        results = cycle.send_forms(agencies, plan_ids, dry_run=dry_run)
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
    with state.cycle(period_text) as cycle:
        results = cycle.remind(plan_ids, dry_run=dry_run)
    _echo_deliveries(state.workspace, results, dry_run, as_json)


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
    click.echo(M.OUT_SCHEDULER_RUNNING.format(root=workspace.root), err=True)
    for handler in _HANDLERS:  # a long-running service: its log is its output
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
            handler.setLevel(min(handler.level, logging.INFO))
    logging.getLogger().setLevel(min(h.level for h in _HANDLERS))
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
            raise UsageError("month-only")
        runs = month_plan(workspace.settings, period.year, period.index)
        if as_json:
            _echo_json([{"job": spec.id, "title": spec.title, "at": when.isoformat()} for when, spec in runs])
            return
        for when, spec in runs:
            click.echo(f"{when:%d/%m/%Y %H:%M}  {spec.id:8} {spec.title}")
        return
    rows = next_runs(workspace, clock.now())
    if as_json:
        _echo_json(
            [
                {"job": spec.id, "title": spec.title, "next": when.isoformat() if when else None, "past_due": past}
                for spec, when, past in rows
            ]
        )
        return
    for job, next_run, past in rows:
        flag = M.OUT_SCHEDULE_PAST_DUE if past else ""
        shown = f"{next_run:%d/%m/%Y %H:%M}" if next_run else "-"
        click.echo(f"{job.id:8} {job.title:34} kế tiếp: {shown}{flag}")


# ---------------------------------------------------------------------------------------
# demo
# ---------------------------------------------------------------------------------------
@cli.command()
@click.option(
    "--workspace",
    "target",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reportgen-demo"),
    show_default=True,
    help="Thư mục làm việc mới cho bản chạy thử.",
)
@click.option("--force", is_flag=True, help="Ghi đè thư mục chạy thử đã có.")
def demo(target: Path, force: bool) -> None:
    """Chạy thử hai tháng (10 và 11/2026) trên danh mục Ninh Bình với DỮ LIỆU MINH HỌA.

    Mỗi tháng: lập biểu mẫu, giả lập các cơ quan điền và gửi lại (có lỗi gõ, nộp
    muộn, tệp có lỗi), thu thập, đánh giá, lập báo cáo (.docx, .xlsx, biểu đồ, PDF
    nếu có LibreOffice) và ghi thư nhắc vào hộp thư đi. Không gửi thư thật.
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

    click.echo(M.OUT_DEMO_START.format(label=LABEL, target=target), err=True)
    try:
        result = run_demo(target, force=force, step=step)
    finally:
        if bars:
            bars[-1].__exit__(None, None, None)
    workspace, files, view = result.workspace, result.report, result.overview
    assert files is not None and view is not None  # noqa: S101 - run_demo always makes both
    receipts = result.receipts
    good = sum(1 for r in receipts if r.ok)
    summary = view.summary
    for line in M.OUT_DEMO_LINES:
        click.echo(line.format(label=LABEL, root=workspace.root, forms=result.forms))
    click.echo(M.OUT_DEMO_FILLED.format(filled=result.filled) + (M.OUT_DEMO_LIBREOFFICE if result.libreoffice else ""))
    click.echo(M.OUT_DEMO_COLLECTED.format(count=len(receipts), good=good, bad=len(receipts) - good))
    click.echo(M.OUT_DEMO_STATUSES.format(counts=", ".join(f"{k} {v}" for k, v in summary["statuses"].items())))
    click.echo(M.OUT_DEMO_CARRIED.format(carried=summary["carried"]))
    click.echo(
        M.OUT_DEMO_AGENCIES.format(
            reported=summary["agencies_reported"],
            expected=summary["agencies_expected"],
            late=summary["agencies_late"],
            missing=summary["agencies_missing"],
        )
    )
    click.echo(M.OUT_DEMO_MAILS.format(count=result.mails))
    click.echo(M.OUT_DEMO_REPORT)
    for path in (files.docx, files.pdf, files.xlsx, *files.charts):
        if path:
            click.echo(f"    {workspace.relative(path)}")
    if result.pdf_problem is not None:
        click.echo(M.OUT_DEMO_NO_PDF.format(reason=M.describe(result.pdf_problem)))
    click.echo(M.OUT_DEMO_NEXT.format(command=hint("status", "--period", "2026-11", workspace=workspace.root)))


# ---------------------------------------------------------------------------------------
# The entry point
# ---------------------------------------------------------------------------------------
def safe_streams() -> None:
    """Output that can never crash a command.

    On Windows Python writes to files and pipes in the ANSI code page (cp1258 has no "ế"): a
    redirected ``status > ra.txt`` would end in UnicodeEncodeError. Files and pipes get UTF-8;
    a console that cannot show a letter shows a replacement, never an exception.
    """
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name, None)
        if stream is None or not hasattr(stream, "reconfigure"):
            continue
        try:
            console = stream.isatty()
        except (ValueError, OSError):
            console = False
        try:
            if console:
                stream.reconfigure(errors="replace")
            else:
                stream.reconfigure(encoding="utf-8", errors="replace")
        except (ValueError, OSError):  # a closed or detached stream: leave it
            continue


def main(args: list[str] | None = None) -> None:
    """``reportgen`` as installed (and ``python -m reportgen``)."""
    safe_streams()
    cli.main(args=args, prog_name="reportgen")

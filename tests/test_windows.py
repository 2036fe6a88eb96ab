"""The office's Windows PC, simulated: code pages, files open in Word/Excel, Notepad's YAML,
init --force, NFD folder names, periods and codes as staff write them, pasteable hints, Ctrl+C."""

from __future__ import annotations

import codecs
import io
import json
import os
import shlex
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from reportgen import cli as cli_module
from reportgen.cli import cli, main

from .helpers import commands, fill, make_form, run_collect

CODE_PAGES = ("cp1258", "cp1252", "cp437")


class _Console(io.TextIOWrapper):
    """A stream in a Windows code page; ``tty`` makes it a console rather than a file or pipe."""

    def __init__(self, encoding: str, tty: bool):
        super().__init__(io.BytesIO(), encoding=encoding, errors="strict", newline="\n")
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty

    def text(self) -> str:
        self.flush()
        return self.buffer.getvalue().decode(self.encoding)


def _run(monkeypatch, args: list[str], encoding: str, tty: bool = False) -> tuple[int, str]:
    """``reportgen ARGS`` as the installed entry point runs it, output in ``encoding``."""
    out, err = _Console(encoding, tty), _Console(encoding, tty)
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    try:
        main(args)
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    finally:
        monkeypatch.undo()
    return code, out.text() + err.text()


@pytest.fixture
def collected(workspace, tmp_path):
    """A workspace with one accepted form for November."""
    form = fill(make_form(workspace, "so-khcn", tmp_path / "sent"), {"ninh-binh-2026|I.5.1": {"value": 0.72}})
    run_collect(workspace, [form])
    return workspace


@pytest.mark.parametrize("encoding", CODE_PAGES)
def test_every_command_survives_a_windows_code_page(monkeypatch, collected, tmp_path, encoding):
    w = ["-w", str(collected.root)]
    inbox = tmp_path / "hop thu rong"
    inbox.mkdir()
    runs = [(["--help"], 0), (["--version"], 0)]
    runs += [([*path, "--help"], 0) for path, _ in commands(cli)]  # every command `reportgen --help` lists
    runs += [
        ([*w, "status", "--period", "2026-11"], 0),
        ([*w, "status", "--period", "2026-11", "--json"], 0),
        ([*w, "catalog", "check"], 1),  # the bundled plans have review notes and a blank number
        ([*w, "catalog", "show", "--plan", "ninh-binh-2026"], 0),
        ([*w, "explain", "--period", "2026-11", "--indicator", "I.5.1"], 0),
        ([*w, "history", "--agency", "so-khcn"], 0),
        ([*w, "remind", "--period", "2026-11", "--dry-run"], 0),
        ([*w, "schedule", "list"], 0),
        ([*w, "collect", str(inbox), "--period", "2026-11"], 1),
        ([*w, "status", "--period", "Kỳ báo cáo"], 2),
        (["init", str(tmp_path / "Sổ theo dõi")], 0),
    ]
    for args, expected in runs:
        code, text = _run(monkeypatch, args, encoding)
        assert "Traceback" not in text and "UnicodeEncodeError" not in text, (args, text[-400:])
        if args[-1] != "check":
            assert code == expected, (args, code, text[-400:])
        else:
            assert code in (0, 1), (args, code, text[-400:])
        assert text.strip(), args
        assert any(ch in text for ch in "ếạảốờ") or args[-1] in ("--version",), (args, text[:200])
    # a console whose code page lacks a letter shows a replacement, never an exception
    code, text = _run(monkeypatch, [*w, "status", "--period", "2026-11"], "cp437", tty=True)
    assert code == 0 and "?" in text and "Traceback" not in text


@pytest.mark.parametrize("encoding", CODE_PAGES)
def test_redirected_and_piped_output_is_utf8(collected, tmp_path, encoding):
    env = dict(os.environ, PYTHONIOENCODING=encoding, PYTHONUTF8="0")
    command = [sys.executable, "-m", "reportgen", "-w", str(collected.root), "status", "--period", "2026-11"]
    target = tmp_path / "ra.txt"
    with target.open("wb") as redirected:
        done = subprocess.run(command, stdout=redirected, stderr=subprocess.PIPE, env=env, check=False, timeout=120)
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    assert "Chỉ số chuyển đổi số cấp tỉnh" in target.read_text(encoding="utf-8")
    piped = subprocess.run(command, capture_output=True, env=env, check=False, timeout=120)
    assert piped.returncode == 0 and "Đánh giá" in piped.stdout.decode("utf-8")
    bad = subprocess.run([*command[:-1], "20xx"], capture_output=True, env=env, check=False, timeout=120)
    assert bad.returncode == 2 and 'Lỗi: Kỳ báo cáo "20xx"' in bad.stderr.decode("utf-8")


# --- files open in Word or Excel -------------------------------------------------------------
def _locked(monkeypatch, name: str) -> None:
    """Windows refuses to replace a file another program holds open: os.replace raises."""
    real = os.replace

    def replace(source, target, *args, **kwargs):
        if Path(target).name == name:
            raise PermissionError(13, "The process cannot access the file", str(target))
        return real(source, target, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)


@pytest.mark.parametrize("name", ["bao-cao_2026-11.docx", "bieu-tong-hop_2026-11.xlsx"])
def test_a_report_open_in_word_or_excel(runner, collected, monkeypatch, name):
    folder = collected.root / "output" / "2026-11"
    _locked(monkeypatch, name)
    result = runner.invoke(cli, ["-w", str(collected.root), "report", "--period", "2026-11"])
    assert result.exit_code == 1, result.output
    assert f"Đóng tệp {name} trong Word/Excel rồi chạy lại" in result.output
    assert not [p.name for p in folder.rglob("*tmp*")]  # nothing half-written is left


def test_a_form_open_in_excel(runner, workspace, monkeypatch):
    _locked(monkeypatch, "2026-12_so-y-te.xlsx")
    args = ["-w", str(workspace.root), "forms", "--period", "2026-12", "--workers", "1"]
    result = runner.invoke(cli, args, env={"REPORTGEN_NOW": "2026-12-01T08:00"})
    assert result.exit_code == 1, result.output
    assert "Đóng tệp 2026-12_so-y-te.xlsx trong Word/Excel" in result.output
    forms = workspace.root / "output" / "2026-12" / "forms"
    assert not list(forms.glob("*tmp*")) and not list(forms.glob(".~*"))


# --- YAML saved by Notepad ---------------------------------------------------------------------
def test_yaml_saved_as_unicode_is_read(runner, workspace):
    settings = workspace.root / "config" / "settings.yaml"
    text = settings.read_text(encoding="utf-8").replace('time: "08:00"', "time: 14:00")
    settings.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))  # Notepad's "Unicode"
    result = runner.invoke(cli, ["-w", str(workspace.root), "schedule", "list"])
    assert result.exit_code == 0, result.output
    assert "14:00" in result.output and "840" not in result.output


def test_yaml_saved_as_ansi_names_the_file_and_the_fix(runner, workspace):
    agencies = workspace.root / "config" / "agencies.yaml"
    agencies.write_bytes(agencies.read_text(encoding="utf-8").encode("cp1258", errors="replace"))
    result = runner.invoke(cli, ["-w", str(workspace.root), "status", "--period", "2026-11"])
    assert result.exit_code == 2
    assert "agencies.yaml không lưu ở dạng UTF-8" in result.output and "chọn UTF-8" in result.output
    assert "UnicodeDecodeError" not in result.output


def test_yaml_values_mean_what_was_written(tmp_path):
    from reportgen.yamlfile import read_yaml

    path = tmp_path / "a.yaml"
    path.write_text("time: 14:00\nat: 7:30\nphone: 0229 3871 234\ncode: 007\nsend: no\non: yes\nn: 12\nx: 0.5\n")
    assert read_yaml(path) == {
        "time": "14:00",
        "at": "7:30",
        "phone": "0229 3871 234",
        "code": "007",
        "send": "no",
        "on": "yes",
        "n": 12,
        "x": 0.5,
    }


def test_a_wrong_setting_names_file_field_and_line(runner, workspace):
    settings = workspace.root / "config" / "settings.yaml"
    lines = settings.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines, start=1) if line.strip().startswith("submission_day:"))
    lines[number - 1] = "  submission_day: mười sáu"
    settings.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(cli, ["-w", str(workspace.root), "status", "--period", "2026-11"])
    assert result.exit_code == 2
    assert f"settings.yaml, dòng {number}" in result.output and "periods.submission_day" in result.output
    assert "cần số nguyên" in result.output and "kiểu int" not in result.output


# --- init --force, folders named in NFD ----------------------------------------------------------
def test_init_force_keeps_a_backup_of_what_the_office_edited(runner, tmp_path):
    root = tmp_path / "ws"
    assert runner.invoke(cli, ["init", str(root)]).exit_code == 0
    agencies = root / "config" / "agencies.yaml"
    edited = agencies.read_text(encoding="utf-8").replace("@ninh-binh.example", "@ninhbinh.gov.vn", 1)
    agencies.write_text(edited, encoding="utf-8")
    refused = runner.invoke(cli, ["init", str(root)])
    assert refused.exit_code == 2 and "giữ lại" in refused.output
    result = runner.invoke(cli, ["init", str(root), "--force"])
    assert result.exit_code == 0, result.output
    [backup] = list(root.glob("config-cu-*"))
    assert (backup / "config" / "agencies.yaml").read_text(encoding="utf-8") == edited
    assert str(backup) in result.output
    assert not (backup / "config" / "settings.yaml").exists()  # unchanged files are not copied


def test_a_workspace_named_in_nfd(runner, tmp_path, monkeypatch):
    root = tmp_path / unicodedata.normalize("NFD", "Sổ theo dõi")
    assert runner.invoke(cli, ["init", str(root)]).exit_code == 0
    for args in (["-w", str(root), "catalog", "show"],):
        assert runner.invoke(cli, args).exit_code == 0
    monkeypatch.chdir(root)
    assert runner.invoke(cli, ["catalog", "show"]).exit_code == 0
    monkeypatch.setenv("REPORTGEN_WORKSPACE", str(root))
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(cli, ["catalog", "show"]).exit_code == 0


# --- periods and codes ----------------------------------------------------------------------------
@pytest.mark.parametrize("written", ["11/2026", "Tháng 11/2026", "T11/2026", "tháng 11 năm 2026"])
def test_periods_as_staff_write_them(runner, collected, written):
    result = runner.invoke(cli, ["-w", str(collected.root), "status", "--period", written, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["period"] == "2026-11"


def test_periods_no_plan_covers_or_too_far_ahead_are_refused(runner, collected, monkeypatch):
    monkeypatch.setenv("REPORTGEN_NOW", "2026-11-20T09:00")
    far = runner.invoke(cli, ["-w", str(collected.root), "report", "--period", "2062-11"])
    assert far.exit_code == 2 and "nằm ngoài thời gian của các kế hoạch" in far.output
    ahead = runner.invoke(cli, ["-w", str(collected.root), "status", "--period", "2027-03"])
    assert ahead.exit_code == 2 and "chưa đến" in ahead.output
    nxt = runner.invoke(cli, ["-w", str(collected.root), "forms", "--period", "2026-12", "--agency", "so-khcn"])
    assert nxt.exit_code == 0, nxt.output  # next month's forms are made ahead


def test_a_scheduled_report_is_never_mailed_empty(workspace):
    from datetime import datetime

    from reportgen.clock import VN
    from reportgen.cycle import Cycle
    from reportgen.errors import ProblemsFound
    from reportgen.periods import Period

    with Cycle(workspace, Period.parse("2026-11"), datetime(2026, 11, 20, 8, tzinfo=VN)) as cycle:
        with pytest.raises(ProblemsFound, match="no-data-yet"):
            cycle.report_job()
    assert not (workspace.root / "output" / "outbox").exists() or not list(
        (workspace.root / "output" / "outbox").glob("*.eml")
    )


@pytest.mark.parametrize("typed", ["SO-Y-TE", "Sở Y tế", "sở y tế"])
def test_agency_codes_in_any_case_or_by_name(runner, workspace, typed):
    result = runner.invoke(cli, ["-w", str(workspace.root), "history", "--agency", typed])
    assert result.exit_code == 0, result.output


def test_a_near_miss_agency_code_gets_a_suggestion(runner, workspace):
    result = runner.invoke(cli, ["-w", str(workspace.root), "history", "--agency", "so-yte"])
    assert result.exit_code == 2
    assert "Có phải ý bạn là so-y-te (Sở Y tế)" in result.output


def test_indicator_codes_in_any_case(runner, collected):
    args = ["-w", str(collected.root), "explain", "--period", "2026-11", "--indicator", "i.5.1"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output and "0,72" in result.output


def test_an_empty_inbox_is_named_and_a_pdf_is_called_a_pdf(runner, workspace, tmp_path):
    inbox = tmp_path / "hộp thư"
    inbox.mkdir()
    result = runner.invoke(cli, ["-w", str(workspace.root), "collect", str(inbox), "--period", "2026-11"])
    assert result.exit_code == 1 and str(inbox) in result.output
    pdf = inbox / "bao-cao.pdf"
    pdf.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n")
    result = runner.invoke(cli, ["-w", str(workspace.root), "collect", str(pdf), "--period", "2026-11"])
    assert result.exit_code == 1
    assert "Đây là tệp PDF, không phải biểu mẫu bảng tính" in result.output
    assert "thực chất là tệp PDF" not in result.output


# --- hints that paste back -------------------------------------------------------------------------
def test_suggested_commands_paste_back_as_they_are(runner, tmp_path):
    root = tmp_path / "Sổ theo dõi 2026"
    result = runner.invoke(cli, ["init", str(root)])
    hint = next(line for line in result.output.splitlines() if line.startswith("Tiếp theo: "))
    args = shlex.split(hint.removeprefix("Tiếp theo: "))
    assert args[:3] == ["reportgen", "-w", str(root)]
    pasted = runner.invoke(cli, args[1:])
    assert "Không có lệnh" not in pasted.output and pasted.exit_code in (0, 1)
    quarterly = runner.invoke(cli, ["-w", str(root), "forms", "--period", "2026-Q4"])
    assert f'reportgen -w "{root}" forms --period 2026-12' in quarterly.output


# --- Ctrl+C -------------------------------------------------------------------------------------------
def test_ctrl_c_in_collect_says_what_was_stored(runner, workspace, tmp_path, monkeypatch):
    from reportgen import collect as collect_module

    files = [
        fill(make_form(workspace, a, tmp_path / a), {"ninh-binh-2026|I.4.2": {"numerator": 5, "denominator": 10}})
        for a in ("p-hoa-lu", "p-tam-diep", "so-khcn")
    ]
    real = collect_module.store_outcome
    calls = {"n": 0}

    def interrupted(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(collect_module, "store_outcome", interrupted)
    args = ["-w", str(workspace.root), "collect", *map(str, files), "--period", "2026-11", "--workers", "1"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 130, result.output
    assert "1/3 tệp đã được lưu đầy đủ" in result.output and "Chạy lại đúng lệnh này" in result.output
    monkeypatch.setattr(collect_module, "store_outcome", real)
    again = runner.invoke(cli, args)
    assert again.exit_code == 0, again.output
    assert again.output.count("✔") == 3


def test_ctrl_c_elsewhere_exits_130(runner, workspace, monkeypatch):
    def stop(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_module.State, "cycle", stop)
    result = runner.invoke(cli, ["-w", str(workspace.root), "status", "--period", "2026-11"])
    assert result.exit_code == 130 and "Ctrl+C" in result.output


# --- polish ------------------------------------------------------------------------------------------
def test_click_messages_are_vietnamese(runner, workspace, tmp_path):
    result = runner.invoke(cli, ["-w", str(workspace.root), "forms", "--period", "2026-11", "--workers", "0"])
    assert result.exit_code == 2 and "từ 1 đến" in result.output and "<=" not in result.output
    missing = runner.invoke(cli, ["-w", str(workspace.root), "catalog", "import", str(tmp_path / "x.docx")])
    assert "Đường Dẫn" not in missing.output
    assert "DIR" not in runner.invoke(cli, ["--help"]).output
    kept = tmp_path / "khong-co" / "nhat-ky.txt"  # a folder that does not exist yet is made
    log = runner.invoke(cli, ["--log-file", str(kept), "-w", str(workspace.root), "catalog", "show"])
    assert log.exit_code == 0 and "catalog" in kept.read_text(encoding="utf-8")


def test_status_fits_a_small_console_with_its_targets(runner, collected):
    result = runner.invoke(
        cli, ["-w", str(collected.root), "status", "--period", "2026-11"], env={"REPORTGEN_WIDTH": "80"}
    )
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert all(len(line) <= 80 for line in lines if line.startswith(("┃", "│", "┏")))
    start = next(i for i, line in enumerate(lines) if line.startswith("│ I.5.1"))
    row = " ".join(lines[start : start + 3])
    assert "0.70" in row and "0,72" in row  # the target column is not dropped


def test_json_everywhere_and_errors_as_json(runner, collected):
    w = ["-w", str(collected.root)]
    explained = runner.invoke(cli, [*w, "explain", "--period", "2026-11", "--indicator", "I.5.1", "--json"])
    data = json.loads(explained.output)
    assert data["code"] == "I.5.1" and data["contributions"][0]["agency"] == "so-khcn"
    assert data["contributions"][0]["agency_name"] == "Sở Khoa học và Công nghệ"
    checked = runner.invoke(cli, [*w, "catalog", "check", "--json"])
    report = json.loads(checked.output)
    assert {p["plan"] for p in report["plans"]} >= {"ninh-binh-2026"} and checked.exit_code in (0, 1)
    status = json.loads(runner.invoke(cli, [*w, "status", "--period", "2026-11", "--json"]).output)
    assert {"agency", "agency_name"} <= set(status["agencies"][0])  # one name for one thing
    wrong = runner.invoke(cli, [*w, "status", "--period", "2099-01", "--json"])
    assert wrong.exit_code == 2
    error = json.loads(wrong.stdout)["error"]
    assert error["exit_code"] == 2 and error["reason"] == "period-outside-plans" and "2099" in error["message"]

"""No file can stop a collection run: hostile and broken workbooks, absurd numbers, wrong clocks.

Every hostile file is built here, from a real form, the way it reached us.
"""

from __future__ import annotations

import multiprocessing
import os
import struct
import subprocess
import time
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from reportgen.cli import cli
from reportgen.clock import VN
from reportgen.package import Zip, sheet_part
from reportgen.periods import Period
from reportgen.store import Store

from .helpers import NOW, cell_of, fill, in_cycle, make_form, run_collect

COUNT = "ninh-binh-2025-2045|III.4"  # the department's province-wide count
SUMMED = "ninh-binh-2025-2045|IV.10"  # every unit's own count, summed
TASK = "ninh-binh-2026|II.4"
forking = pytest.mark.skipif(
    multiprocessing.get_start_method() != "fork", reason="the test makes the reader die through a forked worker"
)


# --- building hostile files ---------------------------------------------------------------
def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(parts: dict[str, bytes], target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return target


def _data_part(path: Path) -> str:
    part = sheet_part(Zip.parse(path.read_bytes()), "BaoCao")
    assert part is not None
    return part


def _edited(form: Path, target: Path, name: str, edit) -> Path:
    parts = _parts(form)
    parts[name] = edit(parts[name])
    return _zip(parts, target)


def _filled(workspace, tmp_path, agency="so-khcn", cells=None, name=None) -> Path:
    form = make_form(workspace, agency, tmp_path / "sent" / agency)
    target = tmp_path / "filled" / (name or form.name)
    return fill(form, cells if cells is not None else {COUNT: {"value": 320}}, target=target)


def _far_cell(workspace, tmp_path) -> Path:
    good = _filled(workspace, tmp_path)
    far = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'
    return _edited(good, tmp_path / "bad" / "xfd.xlsx", _data_part(good), lambda x: x.replace(b"</sheetData>", far))


def _many_rows(workspace, tmp_path, rows=300_000) -> Path:
    good = _filled(workspace, tmp_path)
    extra = b"".join(b'<row r="%d"><c r="N%d"><v>1</v></c></row>' % (n, n) for n in range(2000, 2000 + rows))
    target = tmp_path / "bad" / "rows.xlsx"
    return _edited(good, target, _data_part(good), lambda x: x.replace(b"</sheetData>", extra + b"</sheetData>"))


def _undefined_entity(workspace, tmp_path) -> Path:
    good = _filled(workspace, tmp_path)
    return _edited(
        good, tmp_path / "bad" / "entity.xlsx", _data_part(good), lambda x: x.replace(b"<t>", b"<t>&foo;", 1)
    )


def _late_doctype(workspace, tmp_path) -> Path:
    good = _filled(workspace, tmp_path)

    def edit(xml: bytes) -> bytes:
        laughs = b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>'
        declaration = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        return declaration + b"<!--" + b" " * 2048 + b"-->" + laughs + xml.split(b"?>", 1)[-1]

    return _edited(good, tmp_path / "bad" / "doctype.xlsx", _data_part(good), edit)


def _short_declared(workspace, tmp_path) -> Path:
    """A zip entry that declares fewer bytes than it holds."""
    good = _filled(workspace, tmp_path)
    part = _data_part(good).encode()
    target = _zip(_parts(good), tmp_path / "bad" / "short.xlsx")
    data = bytearray(target.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        position = data.find(signature + b"")
        while position >= 0:
            name_at = position + (30 if signature == b"PK\x03\x04" else 46)
            name_length = struct.unpack_from("<H", data, position + (26 if signature == b"PK\x03\x04" else 28))[0]
            if bytes(data[name_at : name_at + name_length]) == part:
                (size,) = struct.unpack_from("<I", data, position + offset)
                struct.pack_into("<I", data, position + offset, size - 100)
            position = data.find(signature, position + 4)
    target.write_bytes(bytes(data))
    return target


def _nan_cell(workspace, tmp_path) -> Path:
    good = _filled(workspace, tmp_path, cells={COUNT: {"value": 4242}})
    return _edited(
        good, tmp_path / "bad" / "nan.xlsx", _data_part(good), lambda x: x.replace(b"<v>4242</v>", b"<v>NaN</v>")
    )


def _future_saved(path: Path, target: Path) -> Path:
    def edit(xml: bytes) -> bytes:
        start = xml.index(b"<dcterms:modified")
        end = xml.index(b"</dcterms:modified>") + len(b"</dcterms:modified>")
        stamp = b'<dcterms:modified xsi:type="dcterms:W3CDTF">2027-06-01T08:00:00Z</dcterms:modified>'
        return xml[:start] + stamp + xml[end:]

    return _edited(path, target, "docProps/core.xml", edit)


def _huge(tmp_path, megabytes=60) -> Path:
    path = tmp_path / "bad" / "2026-11_so-khcn-anh.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        handle.write(b"PK\x03\x04")
        handle.truncate(megabytes * 1024 * 1024)  # sparse: cheap to make, as big as it says
    return path


HOSTILE = {
    "far-cell": (_far_cell, "dòng 1048576"),
    "many-rows": (_many_rows, "tối đa 20000 dòng"),
    "undefined-entity": (_undefined_entity, "bị hỏng"),
    "late-doctype": (_late_doctype, "DOCTYPE/ENTITY"),
    "short-declared": (_short_declared, "bị hỏng"),
}


def _one(receipts):
    [receipt] = receipts
    return receipt


# --- 1, 2. a hostile file is that file's refusal, never the end of the batch ----------------
@pytest.mark.parametrize("kind", list(HOSTILE))
def test_a_hostile_file_is_refused_with_a_clear_receipt(workspace, tmp_path, kind):
    build, text = HOSTILE[kind]
    path = build(workspace, tmp_path)
    receipt = _one(run_collect(workspace, [path]))
    assert receipt.status == "rejected"
    assert text in receipt.reason, receipt.reason
    assert (workspace.root / receipt.archived).read_bytes() == path.read_bytes()  # kept, as sent


@forking
def test_a_reader_that_dies_takes_only_its_own_file(workspace, tmp_path, monkeypatch):
    from reportgen import collect as collect_module

    real = collect_module.read_form

    def reader(data, name, expect, **kwargs):
        if "chet" in name:
            os.abort()  # what a native reader does when an allocation fails
        return real(data, name, expect, **kwargs)

    monkeypatch.setattr(collect_module, "read_form", reader)
    before = _filled(workspace, tmp_path, "p-hoa-lu", {SUMMED: {"value": 3}})
    doomed = _filled(workspace, tmp_path, "p-tam-diep", {SUMMED: {"value": 4}}, name="2026-11_p-tam-diep_chet.xlsx")
    after = _filled(workspace, tmp_path, "so-khcn")
    receipts = run_collect(workspace, [before, doomed, after])
    assert [r.status for r in receipts] == ["accepted", "rejected", "accepted"]
    assert receipts[1].reason_code == "reader-crashed" and receipts[1].quarantine
    assert "dừng đột ngột" in receipts[1].reason and "tín hiệu" in receipts[1].reason
    assert (workspace.root / receipts[1].archived).read_bytes() == doomed.read_bytes()


@forking
def test_a_reader_that_hangs_is_stopped(workspace, tmp_path, monkeypatch):
    from reportgen import collect as collect_module

    real = collect_module.read_form

    def reader(data, name, expect, **kwargs):
        if "treo" in name:
            time.sleep(60)
        return real(data, name, expect, **kwargs)

    monkeypatch.setattr(collect_module, "read_form", reader)
    stuck = _filled(workspace, tmp_path, "p-tam-diep", {SUMMED: {"value": 4}}, name="2026-11_p-tam-diep_treo.xlsx")
    good = _filled(workspace, tmp_path, "so-khcn")
    receipts = run_collect(workspace, [stuck, good], timeout=2)
    assert [r.status for r in receipts] == ["rejected", "accepted"]
    assert receipts[0].reason_code == "timeout" and "quá 2 giây" in receipts[0].reason


def test_fifty_good_files_and_every_hostile_one_in_one_run(workspace, tmp_path):
    duties = in_cycle(workspace, Period.parse("2026-11"), NOW, "duties")
    agencies = [a for a in duties.agencies() if SUMMED in {r.key for r in duties.rows(a)}]
    # 50 valid files: every agency's, then second versions (a resend is a valid file too)
    good = [
        _filled(workspace, tmp_path / str(n), agencies[n % len(agencies)], {SUMMED: {"value": n + 1}})
        for n in range(50)
    ]
    hostile = [build(workspace, tmp_path / kind) for kind, (build, _) in HOSTILE.items()]
    hostile += [_nan_cell(workspace, tmp_path / "nan"), _huge(tmp_path)]
    files = [f for pair in zip(good, hostile + [None] * 50, strict=False) for f in pair if f is not None]
    receipts = run_collect(workspace, files, workers=2)
    assert len(receipts) == len(files)
    assert [r.status for r in receipts].count("accepted") == 50
    assert sum(1 for r in receipts if r.status in ("rejected", "problems")) == len(hostile)
    store = Store.open(workspace)
    submissions = store.submissions(period="2026-11")
    store.close()
    assert len(submissions) == 50 + 1  # the 50, and the file whose NaN cell is its one problem
    assert {s.agency for s in submissions} == set(agencies)


# --- 3. absurd numbers ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "typed, text",
    [
        ("9" * 400, "không chứa một con số hữu hạn"),
        (9e307, "quá lớn"),
        (2e12, "quá lớn"),
        ("2.000.000.000.000", "quá lớn"),
    ],
)
def test_absurd_numbers_are_refused_with_a_clear_message(workspace, tmp_path, typed, text):
    path = _filled(workspace, tmp_path, cells={COUNT: {"value": typed}})
    receipt = _one(run_collect(workspace, [path]))
    [problem] = receipt.problems
    assert text in problem["message"] and problem["cell"] == cell_of(path, COUNT, "value")


def test_nan_in_the_file_is_refused(workspace, tmp_path):
    receipt = _one(run_collect(workspace, [_nan_cell(workspace, tmp_path)]))
    [problem] = receipt.problems
    assert "NaN" in problem["message"]


def test_huge_sums_never_reach_the_report(workspace, tmp_path, runner):
    files = [_filled(workspace, tmp_path, a, {SUMMED: {"value": 9e307}}) for a in ("p-hoa-lu", "p-tam-diep")]
    files.append(_filled(workspace, tmp_path, "so-khcn", {"ninh-binh-2026|I.5.1": {"value": 0.72}}))
    run_collect(workspace, files)
    from reportgen.evaluate import AgencyValue, aggregate

    assert aggregate("sum", [AgencyValue("a", 9e307), AgencyValue("b", 9e307)], ["a", "b"]).value is None
    result = runner.invoke(cli, ["-w", str(workspace.root), "report", "--period", "2026-11"])
    assert result.exit_code == 0, result.output
    folder = workspace.root / "output" / "2026-11"
    assert (folder / "bieu-tong-hop_2026-11.xlsx").exists()
    from docx import Document

    text = "\n".join(p.text for p in Document(folder / "bao-cao_2026-11.docx").paragraphs).lower()
    assert "inf" not in text.split() and "nan" not in text


# --- 4. the clock inside a file never orders submissions ----------------------------------------
def test_a_future_saved_date_does_not_freeze_a_submission(workspace, tmp_path):
    first = _future_saved(_filled(workspace, tmp_path, cells={COUNT: {"value": 500}}), tmp_path / "v1.xlsx")
    run_collect(workspace, [first], received=NOW)
    second = _filled(workspace, tmp_path, cells={COUNT: {"value": 510}}, name="v2.xlsx")
    run_collect(workspace, [second], received=NOW.replace(day=12))
    store = Store.open(workspace)
    [value] = [v for v in store.values_as_of(Period.parse("2026-11").month_number, "so-khcn") if v.key == COUNT]
    store.close()
    assert value.value == 510  # the later receipt wins


# --- 6. a read-only workspace ----------------------------------------------------------------------
def test_a_read_only_output_gives_a_message_and_reading_commands_still_work(workspace, tmp_path, runner):
    path = _filled(workspace, tmp_path, cells={COUNT: {"value": 320}})
    run_collect(workspace, [path])
    in_cycle(workspace, "2026-11", NOW, "overview")  # the cache of province figures is written
    root = str(workspace.root)
    with _read_only(workspace):
        for args in (
            ["status", "--period", "2026-11"],
            ["status", "--period", "2026-11", "--json"],
            ["explain", "--period", "2026-11", "--indicator", "III.4"],
            ["history", "--agency", "so-khcn"],
            ["catalog", "show", "--plan", "ninh-binh-2026"],
        ):
            result = runner.invoke(cli, ["-w", root, *args])
            assert result.exit_code == 0, (args, result.output)
            assert "Traceback" not in result.output
        again = _filled(workspace, tmp_path, cells={COUNT: {"value": 330}}, name="again.xlsx")
        result = runner.invoke(cli, ["-w", root, "collect", str(again), "--period", "2026-11"])
        assert result.exit_code == 2, result.output
        assert "chỉ đọc" in result.output and "Traceback" not in result.output


def _read_only(workspace):
    import contextlib

    @contextlib.contextmanager
    def guard():
        output = workspace.output_dir
        if os.geteuid() != 0:
            os.chmod(output, 0o555)
            try:
                yield
            finally:
                os.chmod(output, 0o755)
            return
        if subprocess.run(["mount", "--bind", str(output), str(output)], capture_output=True).returncode:
            pytest.skip("cannot make a read-only folder here")
        try:
            subprocess.run(["mount", "-o", "remount,bind,ro", str(output), str(output)], check=True)
            yield
        finally:
            subprocess.run(["umount", str(output)], check=True)

    return guard()


# --- 7. size first --------------------------------------------------------------------------------
def test_a_huge_file_is_refused_unread_and_unarchived(workspace, tmp_path):
    path = _huge(tmp_path)
    for _ in range(3):
        receipt = _one(run_collect(workspace, [path]))
        assert receipt.status in ("rejected", "duplicate")
        assert "Tệp quá lớn (60 MB, tối đa 20 MB)" in receipt.reason
    archive = workspace.output_dir / "archive"
    assert sum(f.stat().st_size for f in archive.rglob("*") if f.is_file()) < 1024 * 1024
    store = Store.open(workspace)
    [record] = store.files(period="2026-11")
    store.close()
    assert record.status == "rejected" and record.archive == ""  # the refusal is on record


# --- 8. smaller defects -----------------------------------------------------------------------------
def test_an_agency_code_that_is_a_path_is_a_config_error(workspace_dir, runner):
    path = workspace_dir / "config" / "agencies.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["agencies"][0]["code"] = "../x"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    for args in (["catalog", "check"], ["forms", "--period", "2026-11"]):
        result = runner.invoke(cli, ["-w", str(workspace_dir), *args])
        assert result.exit_code == 2, result.output
        assert 'mã "../x"' in result.output and "chữ thường không dấu" in result.output
    assert not (workspace_dir / "output" / "x").exists()


def test_a_cleared_key_column_still_tells_the_plans_apart(workspace, tmp_path):
    def clear(workbook):
        for row in workbook["BaoCao"].iter_rows():
            if row[0].value and "|" in str(row[0].value):
                row[0].value = None

    cells = {COUNT: {"value": 320}, "ninh-binh-2025-2045|II.3": {"value": "1,5"}}
    path = fill(make_form(workspace, "so-khcn", tmp_path / "sent"), cells, edit=clear)
    receipt = _one(run_collect(workspace, [path]))
    assert receipt.status == "accepted", receipt.problems
    store = Store.open(workspace)
    keys = {v.key: v.value for v in store.values_as_of(Period.parse("2026-11").month_number, "so-khcn")}
    store.close()
    assert keys == {COUNT: 320, "ninh-binh-2025-2045|II.3": 1.5}


def test_a_formula_without_its_result_is_said_in_the_receipt(workspace, tmp_path):
    path = _filled(workspace, tmp_path, cells={COUNT: {"value": "=300+20"}})  # openpyxl keeps no result
    receipt = _one(run_collect(workspace, [path]))
    [problem] = receipt.problems
    assert problem["cell"] == cell_of(path, COUNT, "value")
    assert "công thức nhưng tệp không lưu kết quả" in problem["message"]


@pytest.mark.parametrize(
    "typed, text",
    [
        ("01/01/1900", "trước ngày bắt đầu của kế hoạch (01/01/2026)"),
        ("20/12/2026", "sau ngày gửi báo cáo (10/11/2026)"),
    ],
)
def test_a_document_date_must_lie_between_the_plan_and_the_receipt(workspace, tmp_path, typed, text):
    cells = {TASK: {"assessment": "Đã hoàn thành", "doc_number": "12/QĐ-UBND", "doc_date": typed}}
    receipt = _one(run_collect(workspace, [_filled(workspace, tmp_path, cells=cells)]))
    messages = [p["message"] for p in receipt.problems]
    assert any(text in m for m in messages), messages


def test_the_log_file_records_commands_verdicts_and_sends_without_secrets(workspace, tmp_path, runner, monkeypatch):
    monkeypatch.setenv("REPORTGEN_SMTP_PASSWORD", "mat-khau-bi-mat")
    log = tmp_path / "nhat-ky.log"
    good = _filled(workspace, tmp_path)
    bad = _far_cell(workspace, tmp_path / "x")
    root = str(workspace.root)
    in_cycle(workspace, "2026-11", NOW, "make_forms", agencies=["vnpt"], workers=1)
    runner.invoke(cli, ["-w", root, "--log-file", str(log), "collect", str(good), str(bad), "--period", "2026-11"])
    runner.invoke(cli, ["-w", root, "--log-file", str(log), "send-forms", "--period", "2026-11", "--agency", "vnpt"])
    text = log.read_text(encoding="utf-8")
    assert "collect" in text and "send-forms" in text  # every command
    assert f"file {good.name}: accepted" in text and "file xfd.xlsx: rejected (sheet-too-large)" in text
    assert "mail form to vnpt@ninh-binh.example: written" in text
    assert "mat-khau-bi-mat" not in text


def test_plain_auth_is_refused_unless_allowed(workspace, runner, monkeypatch):
    monkeypatch.setenv("REPORTGEN_SMTP_PASSWORD", "x")
    path = workspace.config_dir / "settings.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["mail"].update(
        {"mode": "smtp", "host": "127.0.0.1", "port": 1, "security": "plain", "username": "vanthu", "retries": 0}
    )
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    in_cycle(workspace, "2026-11", NOW, "make_forms", agencies=["vnpt"], workers=1)
    result = runner.invoke(cli, ["-w", str(workspace.root), "send-forms", "--period", "2026-11", "--agency", "vnpt"])
    assert result.exit_code == 1 and "mật khẩu sẽ đi qua mạng không mã hoá" in result.output
    data["mail"]["allow_plain_auth"] = True
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = runner.invoke(cli, ["-w", str(workspace.root), "send-forms", "--period", "2026-11", "--agency", "vnpt"])
    assert "không mã hoá" not in result.output  # allowed: it now tries (and the server is not there)


# --- the scheduler survives ------------------------------------------------------------------------
@forking
def test_the_scheduler_survives_a_hostile_inbox_and_puts_the_file_aside(workspace, tmp_path, monkeypatch):
    from apscheduler.schedulers.background import BackgroundScheduler
    from freezegun import freeze_time

    from reportgen import collect as collect_module
    from reportgen.schedule import open_scheduler

    real = collect_module.read_form

    def reader(data, name, expect, **kwargs):
        if "chet" in name:
            os.abort()
        return real(data, name, expect, **kwargs)

    monkeypatch.setattr(collect_module, "read_form", reader)
    inbox = workspace.root / "inbox"
    inbox.mkdir(exist_ok=True)
    good = _filled(workspace, tmp_path, "so-khcn")
    (inbox / good.name).write_bytes(good.read_bytes())
    doomed = _filled(workspace, tmp_path, "p-hoa-lu", {SUMMED: {"value": 3}}, name="2026-11_p-hoa-lu_chet.xlsx")
    (inbox / doomed.name).write_bytes(doomed.read_bytes())
    far = _far_cell(workspace, tmp_path / "far")
    (inbox / "2026-11_p-tam-diep.xlsx").write_bytes(far.read_bytes())
    for day in (10, 11):
        with freeze_time(datetime(2026, 11, day, 8, 0, 30, tzinfo=VN)):
            scheduler = open_scheduler(workspace, BackgroundScheduler, executor="debug")
            scheduler.start(paused=True)
            try:
                scheduler._process_jobs()
            finally:
                scheduler.shutdown(wait=False)
    assert not (inbox / "2026-11_p-hoa-lu_chet.xlsx").exists()
    [aside] = list((workspace.output_dir / "quarantine").glob("*_2026-11_p-hoa-lu_chet.xlsx"))
    assert aside.stat().st_size > 0
    store = Store.open(workspace)
    assert {s.agency for s in store.submissions(period="2026-11")} == {"so-khcn"}
    statuses = sorted(f.receipt["status"] for f in store.files(period="2026-11"))
    store.close()
    assert statuses == ["accepted", "rejected", "rejected"]

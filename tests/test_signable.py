"""A report the leader can sign as it is, and a period that stays as it was signed.

Read on the demonstration month (October and November 2026: carried figures, a two-part
indicator, tasks done and overdue, agencies late and missing), as the signing leader and the
checking specialist read it."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from docx import Document

from reportgen.cli import cli
from reportgen.clock import VN
from reportgen.cycle import Cycle
from reportgen.demo import run_demo
from reportgen.periods import Period
from reportgen.workspace import Workspace

from .conftest import needs_soffice
from .helpers import fill, in_cycle
from .test_report import _body, appendix_table

MONTH = Period.parse("2026-11")
REPORT_DAY = datetime(2026, 11, 20, 9, 0, tzinfo=VN)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("signable") / "demo"
    run_demo(target)
    return target


@pytest.fixture
def month(demo, tmp_path) -> Workspace:
    """A copy of the demonstration workspace for a test that changes it."""
    shutil.copytree(demo, tmp_path / "ws")
    return Workspace(tmp_path / "ws")


def _report(workspace: Workspace, period="2026-11", plans=(), pdf=False, **kwargs):
    with Cycle(workspace, Period.parse(period), REPORT_DAY) as cycle:
        files, problem = cycle.report(plans, today=REPORT_DAY.date(), pdf=pdf, **kwargs)
        view = cycle.overview(plans, REPORT_DAY.date())
    return files, view, problem


@pytest.fixture(scope="module")
def month_report(demo, tmp_path_factory):
    workspace = Workspace(tmp_path_factory.mktemp("read") / "ws")
    shutil.copytree(demo, workspace.root)
    files, view, _ = _report(Workspace(workspace.root))
    return Workspace(workspace.root), files, view


def _rows(files) -> list[list[str]]:
    return [[c.text for c in r.cells] for r in appendix_table(Document(files.docx)).rows[1:]]


def _status_json(workspace: Workspace, period: str, now="2026-11-20T09:00:00+07:00") -> dict:
    result = CliRunner().invoke(
        cli, ["-w", str(workspace.root), "status", "--period", period, "--json"], env={"REPORTGEN_NOW": now}
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


# --- 1. plans named by their title -----------------------------------------------------------------
def test_no_blank_plan_number_is_ever_printed(month_report, month):
    workspace, files, view = month_report
    placeholder = re.compile(r"_{3,}|số\s*/|ngày\s*/\s*/|/\s*/20")
    groups = [r[0] for r in _rows(files) if len(set(r)) == 1]  # plan rows span the table
    assert groups and not any(placeholder.search(g) for g in groups), groups
    book = openpyxl.load_workbook(files.xlsx)
    assert not any(placeholder.search(str(book[name]["A1"].value or "")) for name in book.sheetnames)
    titled, _, _ = _report(month, plans=("ninh-binh-2026",))
    title = " ".join(p.text for p in Document(titled.docx).paragraphs[:12])
    assert "[DỮ LIỆU MINH HỌA]" in title and "Kế hoạch năm 2026 của UBND tỉnh Ninh Bình" in title
    assert not placeholder.search(title)


# --- 2. a two-part indicator ------------------------------------------------------------------------
def test_a_two_part_indicator_shows_each_part_with_its_own_target(month_report):
    _, files, view = month_report
    [row] = [r for r in _rows(files) if r[1].startswith("Tỷ lệ giáo viên, học sinh")]
    assert "giáo viên:" in row[4] and "học sinh" in row[4]  # the result, part by part
    assert row[3].count("giáo viên") == 1 and "100%" in row[3] and "65%" in row[3]  # each part's own target
    status = next(s for s in view.statuses if s.code == "I.3.7" and s.plan == "ninh-binh-2026")
    assert status.target_text == row[3]


# --- 3. a carried figure says whose it is and from when ------------------------------------------------
def test_october_figures_are_never_presented_as_novembers(month_report):
    workspace, files, view = month_report
    carried = [s for s in view.statuses if s.carried]
    assert len(carried) >= 10
    body = _body(Document(files.docx))
    shorts = {p.id: p.short for p in view.plans}
    for s in carried:
        for line in body.splitlines():
            if f"({shorts[s.plan]}, {s.code}): " in line:  # a sentence that states its figure
                assert "không đổi" not in line, line  # never "unchanged": it was not sent again
                assert s.value is None or "số liệu tháng 10/2026 của" in line, line
    rows = {r[1]: r for r in _rows(files)}
    for s in carried:
        assert "số liệu tháng 10/2026" in rows[s.name][-1], s.code
    book = openpyxl.load_workbook(files.xlsx)
    notes = [str(c.value) for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value]
    assert sum("số liệu tháng 10/2026" in n for n in notes) >= len(carried)
    text = (
        CliRunner()
        .invoke(
            cli,
            ["-w", str(workspace.root), "status", "--period", "2026-11"],
            env={"REPORTGEN_NOW": "2026-11-20T09:00", "REPORTGEN_WIDTH": "200"},
        )
        .output
    )
    assert "[số liệu tháng 10/2026]" in text  # not swallowed as a markup tag


# --- 5. month, quarter and year made the same day agree ------------------------------------------------
def test_a_quarter_or_year_before_its_end_is_a_progress_report_as_of_its_cutoff(month_report):
    workspace, _, _ = month_report
    month = _status_json(workspace, "2026-11")
    for period in ("2026-Q4", "2026"):
        early = _status_json(workspace, period)
        assert early["cutoff"] == "2026-11-14" and early["as_of"] == "2026-11"  # no cut-off in the future
        statuses = {(i["plan"], i["code"]): i["status"] for i in early["indicators"]}
        assert statuses == {(i["plan"], i["code"]): i["status"] for i in month["indicators"]}
        assert not any(p["period"] == "2026-12" for i in early["indicators"] for p in i["series"])
        december = [i for i in early["indicators"] if i["deadline"] == "2026-12-31"]
        assert december and not any(i["final"] for i in december)  # no final verdict before the deadline
    files, view, _ = _report(Workspace(workspace.root), "2026-Q4")
    body = _body(Document(files.docx))
    assert "số liệu đến ngày 14/11/2026" in body and "14/12/2026" not in body


# --- 6, 7, 8. one meaning for "cơ quan chủ trì", the counts of status, names and proposals ---------------
def test_the_body_counts_names_and_proposes_as_a_leader_reads(month_report):
    workspace, files, view = month_report
    header = [c.text for c in appendix_table(Document(files.docx)).rows[0].cells]
    assert "Cơ quan chủ trì" in header and "Cơ quan theo dõi" in header
    body = _body(Document(files.docx))
    assert "cơ quan theo dõi:" in body
    overview = next(line for line in body.splitlines() if line.startswith("Kỳ báo cáo theo dõi"))
    indicators = [s for s in view.statuses if s.kind == "indicator"]
    for status in view.summary["statuses"]:
        n = sum(1 for s in indicators if s.status == status)
        if n:
            assert re.search(rf"\b{n} (chỉ tiêu )?{status.lower()}\b", overview), (status, n, overview)
    start = body.splitlines().index("III. ĐỀ XUẤT, KIẾN NGHỊ")
    proposals = [line for line in body.splitlines()[start + 1 :] if line.startswith("- ")]
    assert proposals[0].startswith("- Đề nghị Ủy ban nhân dân tỉnh")  # addressed to the recipient first
    assert not any(re.search(r"\b[IV]+\.\d+(\.\d+)?(, [IV]+\.\d+(\.\d+)?){2,}", p) for p in proposals)
    assert not any(p.startswith("- Sở Khoa học và Công nghệ khẩn trương") for p in proposals)
    # a code two plans share is never bare: II.5 exists in both
    assert not re.search(r"\(II\.5\)", body)


# --- 9. the target shown is the one the ratio uses -------------------------------------------------------
def test_the_target_shown_is_the_one_the_completion_ratio_uses(month_report):
    _, files, view = month_report
    yearly = [s for s in view.statuses if s.kind == "indicator" and s.completion_pct and "năm 2026" in s.target_text]
    assert yearly  # counts "mỗi năm": the year's share of the 2030 target
    for s in yearly:
        shown = float(re.search(r"[\d.,]+", s.target_text).group(0).replace(".", "").replace(",", "."))
        assert abs(s.value / shown * 100 - s.completion_pct) < 0.6, (s.code, s.target_text, s.value, s.completion_pct)


# --- 10. --number and --date --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args, message",
    [
        (["--number", "Số 5"], "không hợp lệ"),
        (["--number", "abc"], "không hợp lệ"),
        (["--date", "2026-11-10"], "sớm hơn số liệu đã nhận"),
        (["--date", "2027-03-01"], "còn quá xa"),
    ],
)
def test_number_and_date_are_checked(month, args, message):
    result = CliRunner().invoke(
        cli, ["-w", str(month.root), "report", "--period", "2026-11", *args], env={"REPORTGEN_NOW": "2026-11-20T09:00"}
    )
    assert result.exit_code == 2 and message in result.output, result.output


def test_a_number_typed_with_its_symbol_is_written_once(month):
    files, _, _ = _report(month, number="05/BC-SKHCN")
    header = " ".join(c.text for c in Document(files.docx).tables[0].rows[1].cells)
    assert "Số: 05/BC-SKHCN" in header and "/BC-SKHCN/BC-SKHCN" not in header


# --- 11. the body fits four pages whatever the province's size ----------------------------------------------
@needs_soffice
def test_the_body_of_a_160_agency_province_fits_in_four_pages(month_report, tmp_path):
    from reportgen.duties import AgencyState
    from reportgen.office import convert
    from reportgen.report import make_report

    workspace, _, view = month_report
    many = [
        AgencyState(
            f"xa-{n:03d}", f"UBND xã thử nghiệm số {n}", submitted_at=None if n % 2 else "2026-11-10T09:00:00+07:00"
        )
        for n in range(160)
    ]
    big = dataclasses.replace(view, agencies=many)
    files = make_report(
        big,
        workspace.catalog,
        workspace.settings,
        view.values,
        workspace.template("docx", "bao-cao.docx"),
        tmp_path,
        date(2026, 11, 20),
    )
    pdf = convert(files.docx, tmp_path / "pdf", "pdf")
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout.split("\f")
    appendix = next(i for i, page in enumerate(pages) if "KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU THÁNG 11/2026" in page)
    assert appendix <= 4
    body = " ".join(pages[:appendix])
    assert "và 70 cơ quan, đơn vị khác (danh sách tại Phụ lục)" in " ".join(body.split())
    agencies = Document(files.docx).tables[-1]  # the appendix of agencies, after the indicators
    rows = [r for r in agencies.rows if r.cells[2].text == "Chưa gửi báo cáo"]
    assert len(rows) == 80  # every one of them in the appendix


# --- 12. charts -------------------------------------------------------------------------------------------------
def test_trend_lines_stop_at_their_deadline_with_a_target_and_zero_based_rates(month_report):
    from reportgen import charts
    from reportgen.report import _trend_panels, captions

    _, _, view = month_report
    panels = _trend_panels(view)
    assert panels
    for title, _unit, values, line, target in panels:
        assert target is not None, title
        assert len(line) <= len(values)
    figure = charts.draw_trend(panels)
    for axis, (_, unit, *_rest) in zip(figure.axes, charts.drawable(panels), strict=False):
        if unit.strip().startswith("%"):
            assert axis.get_ylim()[0] == 0
        assert any(line.get_linestyle() == ":" for line in axis.get_lines())  # the target line
    said = captions(view)
    assert said["caption_behind"].startswith("Biểu đồ 1.") and "thấp nhất trong tổng số" in said["caption_behind"]
    assert "chọn" in said["caption_trend"] or "trước" in said["caption_trend"]


# --- 13. wording of the appendix and the summary ------------------------------------------------------------------
def test_the_appendix_and_summary_write_as_vietnamese_documents_do(month_report):
    _, files, view = month_report
    text = " ".join(" ".join(r) for r in _rows(files))
    assert not re.search(r"\d%[A-Za-zĐ]", text)  # "2,7% GRDP"
    figures = " ".join(f"{r[3]} {r[4]}" for r in _rows(files))  # targets and results
    assert not re.search(r"[≥≤] 0\d", figures) and not re.search(r"\d\.\d{2}\b", figures)  # "≥ 6", "0,7"
    assert "Bru điện" not in text  # the registry's names, not the seed's typos
    assert re.search(r"[↑↓] [\d,]+ điểm % so với", text)  # a rate moves by points
    book = openpyxl.load_workbook(files.xlsx)
    assert not any("ninh-binh" in name for name in book.sheetnames)
    assert not any("ninh-binh" in str(c.value) for s in book.worksheets for r in s.iter_rows() for c in r if c.value)
    sheet = book[book.sheetnames[0]]
    assert "&P" in sheet.oddFooter.center.text
    assert sum(1 for r, d in sheet.row_dimensions.items() if d.height and r > 3) > 20  # rows as tall as their text


# --- 14. fonts ---------------------------------------------------------------------------------------------------------
@needs_soffice
def test_the_pdf_is_set_in_times_new_roman_alone(month):
    from reportgen.report import fonts_used

    files, _, problem = _report(month, pdf=True)
    assert problem is None and files.pdf is not None
    assert all(f.startswith(("LiberationSerif", "TimesNewRoman")) for f in fonts_used(files.pdf)), fonts_used(files.pdf)
    assert files.warnings == []


# --- 15. signing a period ------------------------------------------------------------------------------------------------
@needs_soffice
def test_sign_hold_reopen_and_renumber(month, tmp_path):
    runner = CliRunner()
    root = str(month.root)
    env = {"REPORTGEN_NOW": "2026-11-20T09:00:00+07:00"}
    signed = runner.invoke(
        cli,
        ["-w", root, "sign", "--period", "2026-11", "--number", "05", "--date", "2026-11-20", "--by", "Nguyễn Văn A"],
        env=env,
    )
    assert signed.exit_code == 0, signed.output
    record = in_cycle(month, "2026-11", REPORT_DAY, "verify", month.root / "output/2026-11/bao-cao_2026-11.docx")
    assert record is not None and record["number"] == "05"
    kept = (month.root / record["docx"]).read_bytes()
    # report again: the very document that was signed, byte for byte (and the PDF too)
    again = runner.invoke(cli, ["-w", root, "report", "--period", "2026-11", "--pdf"], env=env)
    assert again.exit_code == 0, again.output
    assert (month.root / "output/2026-11/bao-cao_2026-11.docx").read_bytes() == kept
    refused = runner.invoke(cli, ["-w", root, "report", "--period", "2026-11", "--number", "06"], env=env)
    assert refused.exit_code == 2 and "đã ký" in refused.output
    # verify: the signed PDF, a PDF made again from the signed document, and one that was changed
    verified = runner.invoke(
        cli, ["-w", root, "verify", str(month.root / "output/2026-11/bao-cao_2026-11.pdf")], env=env
    )
    assert verified.exit_code == 0 and "đã ký: số 05" in verified.output
    from reportgen.office import convert

    remade = convert(month.root / record["docx"], tmp_path / "remade", "pdf")
    assert runner.invoke(cli, ["-w", root, "verify", str(remade)], env=env).exit_code == 0
    changed = Document(str(month.root / record["docx"]))
    changed.paragraphs[-1].add_run(" 1")
    changed.save(tmp_path / "changed.docx")
    assert runner.invoke(cli, ["-w", root, "verify", str(tmp_path / "changed.docx")], env=env).exit_code == 1
    # a late file for the signed month is held as a correction, listed in status
    form = month.root / "output/2026-11/forms/2026-11_so-y-te.xlsx"
    key = "ninh-binh-2026|I.4.2"
    late = fill(form, {key: {"numerator": 1, "denominator": 2}}, target=tmp_path / "late" / form.name)
    [receipt] = in_cycle(month, "2026-11", datetime(2026, 11, 25, 9, tzinfo=VN), "collect", [late], workers=1)
    assert receipt.status == "held" and receipt.held == "signed"
    status = _status_json(month, "2026-11", "2026-11-25T10:00:00+07:00")
    assert status["signed"]["number"] == "05" and status["signed"]["signer"] == "Nguyễn Văn A"
    assert [h["file_name"] for h in status["held"]] == [form.name]
    assert runner.invoke(cli, ["-w", root, "report", "--period", "2026-11"], env=env).exit_code == 0
    assert (month.root / "output/2026-11/bao-cao_2026-11.docx").read_bytes() == kept  # still the signed one
    # reopen with a reason: the correction is applied, the history shows it all
    env = {"REPORTGEN_NOW": "2026-11-26T09:00:00+07:00"}
    assert runner.invoke(cli, ["-w", root, "sign", "--period", "2026-11", "--reopen"], env=env).exit_code == 2
    reopened = runner.invoke(
        cli,
        [
            "-w",
            root,
            "sign",
            "--period",
            "2026-11",
            "--reopen",
            "--reason",
            "Sở Y tế đính chính I.4.2",
            "--by",
            "Nguyễn Văn A",
        ],
        env=env,
    )
    assert reopened.exit_code == 0, reopened.output
    status = _status_json(month, "2026-11", "2026-11-26T10:00:00+07:00")
    assert status["signed"] is None and [e["kind"] for e in status["events"]] == ["signed", "reopened", "applied"]
    assert "Sở Y tế đính chính I.4.2" in status["events"][1]["detail"]
    # the report is a new draft, numbered anew: the old number cannot be reused
    renumbered = runner.invoke(
        cli, ["-w", root, "sign", "--period", "2026-11", "--number", "05", "--date", "2026-11-26"], env=env
    )
    assert renumbered.exit_code == 2 and "đã dùng" in renumbered.output
    assert (
        runner.invoke(
            cli, ["-w", root, "sign", "--period", "2026-11", "--number", "07", "--date", "2026-11-26"], env=env
        ).exit_code
        == 0
    )
    new = (month.root / "output/2026-11/bao-cao_2026-11.docx").read_bytes()
    assert new != kept
    text = runner.invoke(cli, ["-w", root, "status", "--period", "2026-11"], env=env).output
    assert "ký báo cáo" in text and "mở lại kỳ" in text and "áp dụng đính chính" in text

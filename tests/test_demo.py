"""The newcomer's first command: a whole month on demonstration data."""

from __future__ import annotations

import email
import json
import re
import subprocess
from email import policy

import pytest
from click.testing import CliRunner
from docx import Document

from reportgen.cli import cli

from .conftest import needs_soffice


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """One demo run for the module: the tests only read it."""
    target = tmp_path_factory.mktemp("demo") / "demo"
    result = CliRunner().invoke(cli, ["demo", "--workspace", str(target)])
    assert result.exit_code == 0, result.output
    return target, result


def test_demo_runs_october_and_november(runner, demo, monkeypatch):
    target, result = demo
    assert "DỮ LIỆU MINH HỌA" in result.output
    assert "Biểu mẫu đã lập: 35" in result.output and "Tháng 10 và tháng 11/2026" in result.output
    assert "1 có lỗi" in result.output and "1 muộn" in result.output
    output = target / "output" / "2026-11"
    assert len(list((output / "forms").glob("*.xlsx"))) == 35
    assert len(list((output / "returns").glob("*_tra-lai.xlsx"))) == 1
    document = Document(output / "bao-cao_2026-11.docx")
    assert any("DỮ LIỆU MINH HỌA" in p.text for p in document.paragraphs)
    assert (output / "bieu-tong-hop_2026-11.xlsx").exists()
    assert len(list((output / "charts").glob("*.png"))) == 3  # by section, behind, month by month
    outbox = list((target / "output" / "outbox").glob("*.eml"))
    kinds = {email.message_from_bytes(p.read_bytes(), policy=policy.default)["Subject"].split("]")[0] for p in outbox}
    assert {"[Biểu mẫu báo cáo", "[Nhắc báo cáo", "[Quá hạn báo cáo", "[Báo cáo"} <= kinds
    again = runner.invoke(cli, ["demo", "--workspace", str(target)])
    assert again.exit_code == 2 and "--force" in again.output
    status = runner.invoke(cli, ["-w", str(target), "status", "--period", "2026-11", "--json"])
    assert status.exit_code == 0
    assert (target / "output" / "2026-10" / "bao-cao_2026-10.docx").exists()
    # Right after November, December shows November's carried values and the tasks done.
    monkeypatch.setenv("REPORTGEN_NOW", "2026-11-18T09:00")
    december = json.loads(runner.invoke(cli, ["-w", str(target), "status", "--period", "2026-12", "--json"]).output)
    november = json.loads(status.output)
    had = {(i["plan"], i["code"]): i["value"] for i in november["indicators"] if i["value"] is not None}
    carried = {(i["plan"], i["code"]): i for i in december["indicators"]}
    assert len(had) >= 100  # of the 147 indicators; the rest are assessments and tasks
    for key, value in had.items():  # every figure of November stands in December, marked as carried
        assert carried[key]["value"] == value and carried[key]["carried"], key
    done = {i["code"] for i in november["indicators"] if i["status_code"] == "done"}
    assert done and done == {i["code"] for i in december["indicators"] if i["status_code"] == "done"}
    assert any(i["series"] and len(i["series"]) >= 2 and i["trend"] for i in november["indicators"])


def test_no_agency_that_sent_on_time_is_told_it_is_overdue(runner, demo):
    target, _ = demo
    status = json.loads(runner.invoke(cli, ["-w", str(target), "status", "--period", "2026-11", "--json"]).output)
    sent = {a["agency_name"] for a in status["agencies"] if not a["missing"] and not a["late"]}  # on time
    overdue = []
    for path in (target / "output" / "outbox").glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        subject = str(message["Subject"])
        if "Tháng 11/2026" in subject and (
            "Quá hạn báo cáo" in subject or "quá hạn" in message.get_body(("plain",)).get_content()
        ):
            overdue.append(subject.rpartition(" — ")[2])
    assert overdue and not set(overdue) & sent, set(overdue) & sent


def test_the_demo_report_has_no_implausible_figure(runner, demo):
    from reportgen.measures import is_count_unit

    target, _ = demo
    status = json.loads(runner.invoke(cli, ["-w", str(target), "status", "--period", "2026-11", "--json"]).output)
    assert status["summary"]["doubtful"] == 0
    for indicator in status["indicators"]:
        value = indicator["value"]
        if value is None:
            continue
        if is_count_unit(indicator["unit"]):
            assert float(value).is_integer(), indicator["code"]  # no "64,3 tổ chức"
        if indicator["completion_pct"] is not None:
            assert indicator["completion_pct"] < 200, indicator["code"]  # no "đạt 1.071,7% kế hoạch"
    text = "\n".join(p.text for p in Document(target / "output" / "2026-11" / "bao-cao_2026-11.docx").paragraphs)
    assert "Số liệu cần xác minh" not in text


@needs_soffice
def test_the_monthly_body_fits_in_four_pages(demo, tmp_path):
    """The leader reads 2-4 pages at 14 pt; the full list is in the appendix, then the charts."""
    from reportgen.office import convert

    target, _ = demo
    pdf = convert(target / "output" / "2026-11" / "bao-cao_2026-11.docx", tmp_path, "pdf")
    assert pdf is not None
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")
    appendix = next(i for i, page in enumerate(pages) if "KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU THÁNG 11/2026" in page)
    assert 2 <= appendix <= 4  # the body and the signature: pages 1 to 4
    body = re.sub(r"\s+", " ", " ".join(pages[:appendix]))
    assert "Nguyên nhân, giải pháp (theo báo cáo của" in body  # the agencies' causes, quoted
    assert "./." in body and "Nơi nhận:" in body
    charts = [i for i, page in enumerate(pages) if re.search(r"Biểu đồ \d\.", page)]
    assert charts and min(charts) > appendix  # the charts follow the table, each with its caption

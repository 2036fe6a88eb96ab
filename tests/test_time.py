"""Time across periods: one record of the plans, read as months, quarters, halves and years.

A plan is walked through 2026 (and into January 2027) with submissions, a correction, a late
file and a task done in March; every period's figures and statuses are checked against values
worked out by hand.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from reportgen.cli import cli
from reportgen.clock import VN
from reportgen.cycle import Cycle
from reportgen.periods import Period

from .helpers import fill, make_form, run_collect
from .test_report import appendix_table

SCORE = "ninh-binh-2026|I.5.1"  # single reporter (so-khcn), target ≥ 0.70 by Tháng 12/2026
TASK = "ninh-binh-2026|II.4"  # so-khcn, Tháng 7/2026
RATIO = "ninh-binh-2026|I.4.2"  # Σ numerators / Σ denominators, Thường xuyên ≥ 95%
STOCK = "ninh-binh-2026|I.4.1"  # another rate, Σ numerators / Σ denominators, sent less often
YEARLY = "ninh-binh-2025-2045|IV.10"  # a count "mỗi năm" of every unit: year to date, summed


def _at(year: int, month: int, day: int, hour: int = 9) -> datetime:
    return datetime(year, month, day, hour, tzinfo=VN)


# (period of the form, agency, received at, cells)
WALK = [
    ("2026-01", "so-khcn", _at(2026, 1, 10), {SCORE: {"value": 0.5}}),
    (
        "2026-01",
        "p-hoa-lu",
        _at(2026, 1, 10),
        {
            RATIO: {"numerator": 40, "denominator": 100},
            STOCK: {"numerator": 10, "denominator": 20},
            YEARLY: {"value": 1},
        },
    ),
    ("2026-02", "p-hoa-lu", _at(2026, 2, 12), {RATIO: {"numerator": 50, "denominator": 100}, YEARLY: {"value": 2}}),
    (
        "2026-02",
        "p-tam-diep",
        _at(2026, 2, 12),
        {RATIO: {"numerator": 30, "denominator": 50}, STOCK: {"numerator": 5, "denominator": 20}},
    ),
    (
        "2026-03",
        "so-khcn",
        _at(2026, 3, 13, 16),  # the day its decision was signed
        {
            SCORE: {"value": 0.55},
            TASK: {"assessment": "Đã hoàn thành", "doc_number": "194/QĐ-UBND", "doc_date": "13/03/2026"},
        },
    ),
    ("2026-03", "p-hoa-lu", _at(2026, 3, 13), {STOCK: {"numerator": 12, "denominator": 20}}),  # 10 becomes 12
    ("2026-05", "p-tam-diep", _at(2026, 5, 10), {YEARLY: {"value": 3}}),
    (
        "2026-04",
        "p-hoa-lu",
        _at(2026, 5, 20),
        {RATIO: {"numerator": 60, "denominator": 100}, YEARLY: {"value": 4}},
    ),  # April's form, sent late in May
    ("2026-09", "so-khcn", _at(2026, 9, 10), {SCORE: {"value": 0.68}}),
    ("2026-12", "p-hoa-lu", _at(2026, 12, 10), {YEARLY: {"value": 9}}),
    ("2026-12", "so-khcn", _at(2026, 12, 10), {SCORE: {"value": 0.72}}),
    ("2027-01", "p-tam-diep", _at(2027, 1, 12), {YEARLY: {"value": 1}}),  # a new year starts from zero
]

# Worked out by hand, month by month (the record as of each month's cut-off).
SCORE_BY_MONTH = {
    1: 0.5,
    2: 0.5,
    3: 0.55,
    4: 0.55,
    5: 0.55,
    6: 0.55,
    7: 0.55,
    8: 0.55,
    9: 0.68,
    10: 0.68,
    11: 0.68,
    12: 0.72,
}
RATIO_BY_MONTH = {1: 40.0, 2: 80 / 150 * 100, 3: 80 / 150 * 100, 4: 90 / 150 * 100, 5: 60.0, 12: 60.0}
STOCK_BY_MONTH = {1: 50.0, 2: 15 / 40 * 100, 3: 17 / 40 * 100, 12: 17 / 40 * 100}
YEARLY_BY_MONTH = {1: 1.0, 2: 2.0, 3: 2.0, 4: 4.0, 5: 7.0, 6: 7.0, 11: 7.0, 12: 12.0}

PERIODS = {  # longer periods are their cut-off month
    "2026-Q1": 3,
    "2026-Q2": 6,
    "2026-Q3": 9,
    "2026-Q4": 12,
    "2026-H1": 6,
    "2026-H2": 12,
    "2026": 12,
}


@pytest.fixture(scope="module")
def walked(tmp_path_factory):
    from reportgen.workspace import init_workspace

    root = tmp_path_factory.mktemp("walk")
    workspace = init_workspace(root / "ws")
    for index, (period, agency, received, cells) in enumerate(WALK):
        form = make_form(workspace, agency, root / "sent" / str(index), period=period, now=received)
        run_collect(workspace, [fill(form, cells)], period=period, received=received)
    return workspace


def _view(workspace, period: str, today: date = date(2027, 2, 1)):
    with Cycle(workspace, Period.parse(period), datetime.combine(today, datetime.min.time(), VN)) as cycle:
        return cycle.overview()


def _value(view, key):
    plan, code = key.split("|")
    [status] = view.find(code, plan)
    return status


@pytest.mark.parametrize("month", range(1, 13))
def test_every_month_reads_the_record_as_of_its_cut_off(walked, month):
    view = _view(walked, f"2026-{month:02d}")
    assert _value(view, SCORE).value == pytest.approx(SCORE_BY_MONTH[month])
    expected = {k: v for k, v in ((RATIO, RATIO_BY_MONTH), (STOCK, STOCK_BY_MONTH), (YEARLY, YEARLY_BY_MONTH))}
    for key, by_month in expected.items():
        known = max(m for m in by_month if m <= month)
        assert _value(view, key).value == pytest.approx(by_month[known]), (key, month)


@pytest.mark.parametrize("period, month", PERIODS.items())
def test_quarters_halves_and_the_year_are_their_cut_off_month(walked, period, month):
    long, monthly = _view(walked, period), _view(walked, f"2026-{month:02d}")
    assert [(s.code, s.value, s.status) for s in long.statuses] == [
        (s.code, s.value, s.status) for s in monthly.statuses
    ]
    assert _value(long, SCORE).value == pytest.approx(SCORE_BY_MONTH[month])


def test_a_task_done_in_march_stays_done_and_leaves_the_forms(walked):
    for period in ("2026-01", "2026-02"):
        assert _value(_view(walked, period), TASK).status == "Chưa có số liệu"
    for period in ("2026-03", "2026-07", "2026-08", "2026-12", "2026-Q1", "2026-Q3", "2026-H2", "2026"):
        task = _value(_view(walked, period), TASK)
        assert task.status == "Đã hoàn thành", period
        assert task.note == "194/QĐ-UBND ngày 13/03/2026"
    with Cycle(walked, Period.parse("2026-04"), _at(2026, 4, 1)) as april:
        assert TASK not in {r.key for r in april.duties().rows("so-khcn")}
        assert TASK in april.duties().accepted_rows("so-khcn")  # a correction is still accepted
    with Cycle(walked, Period.parse("2026-02"), _at(2026, 2, 1)) as february:
        assert TASK in {r.key for r in february.duties().rows("so-khcn")}


def test_stock_values_carry_forward_marked_with_their_month(walked):
    august = _value(_view(walked, "2026-08"), SCORE)
    assert august.carried and august.as_of_label == "tháng 3/2026"
    assert august.to_json()["as_of"] == "2026-03"
    september = _value(_view(walked, "2026-09"), SCORE)
    assert not september.carried
    never = [s for s in _view(walked, "2026-06").statuses if s.code == "I.2.1" and s.plan == "ninh-binh-2026"][0]
    assert never.status == "Chưa có số liệu" and not never.carried


def test_a_yearly_count_is_year_to_date_and_does_not_cross_the_year(walked):
    december = _value(_view(walked, "2026-12"), YEARLY)
    assert december.value == 12  # p-hoa-lu 9 (December) + p-tam-diep 3 (May)
    january = _value(_view(walked, "2027-01"), YEARLY)
    assert january.value == 1  # only p-tam-diep's January count; 2026's counts stay in 2026
    # a year's target prorated by the months gone: 2026 sits on the line from 30 (2025) to 70 (2030)
    assert "lũy kế từ đầu năm" in december.parts[0].rule and "38 trong năm 2026" in december.parts[0].rule


def test_statuses_against_the_straight_line(walked):
    statuses = {p: _value(_view(walked, p), SCORE).status for p in ("2026-01", "2026-09", "2026-11", "2026-12")}
    # Baseline 0,50 in January, 0,70 by December: September expects 0,50 + 0,20 × 8/11 = 0,645,
    # November 0,50 + 0,20 × 10/11 = 0,682 (0,68 is behind).
    assert statuses == {
        "2026-01": "Chưa đủ số liệu",  # the first point alone shows no progress (no baseline in the plan)
        "2026-09": "Đúng tiến độ",
        "2026-11": "Chậm tiến độ",
        "2026-12": "Vượt",
    }  # 0,72 is better than ≥ 0,70


def test_series_and_trend(walked):
    december = _value(_view(walked, "2026-12"), SCORE)
    assert [(p["period"], p["value"]) for p in december.series] == [
        (f"2026-{m:02d}", pytest.approx(SCORE_BY_MONTH[m])) for m in range(1, 13)
    ]
    assert december.series[-1]["status"] == "Vượt"
    assert december.previous == pytest.approx(0.68)
    assert december.trend.startswith("↑ 0,04 so với tháng 11/2026")
    q4 = _value(_view(walked, "2026-Q4"), SCORE)
    assert q4.previous == pytest.approx(0.68) and "quý III năm 2026" in q4.trend  # Q3 = September


def test_the_same_answer_in_any_order_and_later(walked, tmp_path):
    from reportgen.workspace import init_workspace

    # A second workspace gets the same files up to March only: March reads the same there.
    other = init_workspace(tmp_path / "ws")
    for index, (period, agency, received, cells) in enumerate(WALK[:6]):
        form = make_form(other, agency, tmp_path / "sent" / str(index), period=period, now=received)
        run_collect(other, [fill(form, cells)], period=period, received=received)
    early, late = _view(other, "2026-03"), _view(walked, "2026-03")
    assert [(s.code, s.value, s.status) for s in early.statuses] == [(s.code, s.value, s.status) for s in late.statuses]
    again = _view(walked, "2026-03")  # from the cache of province figures this time
    assert [(s.code, s.value, s.status, s.series) for s in again.statuses] == [
        (s.code, s.value, s.status, s.series) for s in late.statuses
    ]


def test_status_json_and_explain_show_the_series(walked, runner, monkeypatch):
    monkeypatch.setenv("REPORTGEN_NOW", "2027-02-01T09:00")
    result = runner.invoke(cli, ["-w", str(walked.root), "status", "--period", "2026-12", "--json"])
    assert result.exit_code == 0, result.output
    score = next(i for i in json.loads(result.output)["indicators"] if i["code"] == "I.5.1")
    assert [p["period"] for p in score["series"]][:3] == ["2026-01", "2026-02", "2026-03"]
    assert score["trend"].startswith("↑ 0,04")
    explain = runner.invoke(cli, ["-w", str(walked.root), "explain", "--period", "2026-08", "--indicator", "I.5.1"])
    assert explain.exit_code == 0, explain.output
    assert "Số liệu tháng 3/2026" in explain.output
    assert "  2026-03: 0,55 — Đúng tiến độ" in explain.output


def test_quarterly_forms_explain_where_the_figures_come_from(walked, runner):
    result = runner.invoke(cli, ["-w", str(walked.root), "forms", "--period", "2026-Q4"])
    assert result.exit_code == 2
    assert "tổng hợp từ số liệu hằng tháng" in result.output and "14/12/2026" in result.output
    assert f"reportgen -w {walked.root} forms --period 2026-12" in result.output  # the -w the user typed


def test_a_quarter_before_its_end_is_provisional(walked):
    view = _view(walked, "2026-Q4", today=date(2026, 11, 20))
    assert view.provisional and str(view.collection) == "2026-11"
    assert not _view(walked, "2026-Q4").provisional


def test_reports_for_the_quarter_and_the_year_agree_with_december(walked):
    from docx import Document

    def appendix(period: str) -> list[list[str]]:
        with Cycle(walked, Period.parse(period), _at(2027, 2, 1)) as cycle:
            files, _ = cycle.report(plan_ids=("ninh-binh-2026",), today=date(2027, 2, 1))
        table = appendix_table(Document(files.docx))
        # every column but the notes, whose trend compares with the previous period of the same kind
        return [[c.text for c in row.cells][:-1] for row in table.rows[1:]], files

    december, month_files = appendix("2026-12")
    for period, words in (("2026-Q4", "quý iv năm 2026"), ("2026", "năm 2026")):
        rows, files = appendix(period)
        assert rows == december, period
        text = "\n".join(p.text for p in Document(files.docx).paragraphs).lower()
        assert words in text
        assert files.docx.name == f"bao-cao_{period}_ninh-binh-2026.docx"
    assert any("194/QĐ-UBND ngày 13/03/2026" in " ".join(r) for r in december)


def test_a_report_on_one_plan_sits_beside_the_full_one(walked):
    with Cycle(walked, Period.parse("2026-12"), _at(2027, 2, 1)) as cycle:
        whole, _ = cycle.report(today=date(2027, 2, 1))
        one, _ = cycle.report(plan_ids=("ninh-binh-2026",), today=date(2027, 2, 1))
    assert whole.docx.name == "bao-cao_2026-12.docx" and one.docx.name == "bao-cao_2026-12_ninh-binh-2026.docx"
    assert whole.xlsx != one.xlsx and whole.docx.exists() and one.docx.exists()
    from docx import Document

    titles = [p.text for p in Document(one.docx).paragraphs[:12]]
    assert any("Kết quả thực hiện các chỉ tiêu của" in t for t in titles)


def test_history_shows_the_agency_month_by_month(walked, runner):
    result = runner.invoke(cli, ["-w", str(walked.root), "history", "--agency", "p-hoa-lu"])
    assert result.exit_code == 0, result.output
    assert "Số liệu theo từng tháng:" in result.output
    assert "01/2026: 40/100 (40%), 02/2026: 50/100 (50%), 04/2026: 60/100 (60%)" in result.output
    assert "I.4.1        01/2026: 10/20 (50%), 03/2026: 12/20 (60%)" in result.output

"""Evaluation rules as tables: (value, target, period, today) -> status."""

from __future__ import annotations

import json
from datetime import date

import pytest

from reportgen.cli import cli
from reportgen.evaluate import AgencyValue, History, aggregate, completion, evaluate_item, judge
from reportgen.periods import Period
from reportgen.targets import parse_target

from .helpers import fill, make_form, run_collect

TODAY = date(2026, 11, 20)


def _t(text):
    [target] = parse_target(text, year=2030)
    return target


# value, target, final, lower_is_better -> status
AT_DEADLINE = [
    (60, "≥ 60", False, "Đạt"),
    (59.99, "≥ 60", False, "Chưa đạt"),
    (60.01, "≥ 60", False, "Vượt"),
    (3, "> 3", False, "Chưa đạt"),
    (3.01, "> 3", False, "Đạt"),
    (50, "> 3", False, "Đạt"),  # any value past a strict bound is what it asks for
    (100, "100", False, "Đạt"),
    (99.9, "100", False, "Chưa đạt"),
    (13, "12", False, "Vượt"),
    (0.7, "0,7", False, "Đạt"),
    (0.69, "> 0,7", False, "Chưa đạt"),
    (15, "≤ 15", True, "Đạt"),  # rank: lower is better
    (14, "≤ 15", True, "Vượt"),
    (16, "≤ 15", True, "Chưa đạt"),
    (9, "< 10", True, "Đạt"),
    (10, "< 10", True, "Chưa đạt"),
    (80, "80-90", False, "Đạt"),
    (90, "80-90", False, "Đạt"),
    (79.9, "80-90", False, "Chưa đạt"),
    (90.1, "80-90", False, "Vượt"),
    (7, "07-10", False, "Đạt"),
    (6, "07-10", False, "Chưa đạt"),
    (2, "Phấn đấu 2%", False, "Đạt"),
    (70, "Đạt tối thiểu 70%", False, "Đạt"),
    (69.9, "Đạt tối thiểu 70%", False, "Chưa đạt"),
    (None, "≥ 60", False, "Chưa có số liệu"),
]


@pytest.mark.parametrize("value, text, lower, status", AT_DEADLINE)
def test_at_or_after_the_deadline(value, text, lower, status):
    assert judge(_t(text), value, final=True, lower_is_better=lower).status == status


# value, target, baseline, progress (0..1 of the way), lower -> status
BEFORE_DEADLINE = [
    (60, "≥ 60", 20, 0.5, False, "Đã đạt"),
    (85, "80-90", 60, 0.5, False, "Đã đạt"),
    (67.34, "100", 60, 11 / 60, False, "Đúng tiến độ"),  # line: 60 + 40 * 11/60 = 67.33
    (67.3, "100", 60, 11 / 60, False, "Chậm tiến độ"),
    (70, "≥ 80", 60, 0.5, False, "Đúng tiến độ"),  # line: 70
    (69.9, "≥ 80", 60, 0.5, False, "Chậm tiến độ"),
    (20, "≤ 15", 30, 0.5, True, "Đúng tiến độ"),  # rank line from 30 to 15: 22.5
    (23, "≤ 15", 30, 0.5, True, "Chậm tiến độ"),
    (15, "≤ 15", 30, 0.1, True, "Đã đạt"),
    (75, "80-90", 60, 0.75, False, "Đúng tiến độ"),  # line to the lower bound: 75
    (74, "80-90", 60, 0.75, False, "Chậm tiến độ"),
    (40, "≥ 60", None, 0.0, False, "Đúng tiến độ"),  # the first report starts its own line
]


@pytest.mark.parametrize("value, text, baseline, progress, lower, status", BEFORE_DEADLINE)
def test_before_the_deadline(value, text, baseline, progress, lower, status):
    verdict = judge(_t(text), value, final=False, lower_is_better=lower, baseline=baseline, progress=progress)
    assert verdict.status == status


@pytest.mark.parametrize(
    "value, text, lower, pct",
    [
        (45, "≥ 60", False, 75.0),
        (120, "100", False, 120.0),
        (12, "≤ 15", True, 125.0),
        (20, "≤ 15", True, 75.0),
        (72, "80-90", False, 90.0),
        (None, "≥ 60", False, None),
    ],
)
def test_completion_ratio(value, text, lower, pct):
    assert completion(_t(text), value, lower) == pct


# --- aggregation ------------------------------------------------------------------------
def test_ratio_is_sum_over_sum_never_a_mean_of_percentages():
    small = AgencyValue("xa", numerator=5, denominator=10)  # 50 %
    large = AgencyValue("so", numerator=390, denominator=400)  # 97.5 %
    result = aggregate("ratio", [small, large], ["xa", "so"])
    assert result.value == pytest.approx(395 / 410 * 100)  # 96.34, not (50 + 97.5) / 2 = 73.75
    target = _t("Đạt tối thiểu 95%")
    assert judge(target, result.value, final=True).status == "Vượt"
    assert judge(target, (50 + 97.5) / 2, final=True).status == "Chưa đạt"


@pytest.mark.parametrize(
    "rule, values, expected, value, provisional, missing",
    [
        ("sum", [AgencyValue("a", 3), AgencyValue("b", 4)], ["a", "b", "c"], 7, True, ("c",)),
        ("sum", [AgencyValue("a", 3), AgencyValue("b", 4)], ["a", "b"], 7, False, ()),
        ("min", [AgencyValue("a", 3), AgencyValue("b", 4)], ["a", "b"], 3, False, ()),
        ("max", [AgencyValue("a", 3), AgencyValue("b", 4)], ["a", "b"], 4, False, ()),
        ("single", [AgencyValue("a", 3)], ["a"], 3, False, ()),
        ("sum", [AgencyValue("a", 3, ok=False)], ["a"], None, False, ("a",)),
        ("sum", [], ["a", "b"], None, False, ("a", "b")),
    ],
)
def test_aggregation_rules(rule, values, expected, value, provisional, missing):
    result = aggregate(rule, values, expected)
    assert (result.value, result.provisional, result.missing) == (value, provisional, missing)


@pytest.mark.parametrize(
    "assessments, expected",
    [
        ([("Đạt", "QĐ 1"), ("Đạt", "QĐ 2")], "Đạt"),
        ([("Đạt", "QĐ 1"), ("Chưa đạt", "")], "Chưa đạt"),
        ([("Đạt", "QĐ 1"), ("Đang thực hiện", "")], "Đang thực hiện"),
        ([("Đạt", "QĐ 1"), ("Đạt", "")], "Cần đánh giá"),
    ],
)
def test_all_rule_for_qualitative(assessments, expected):
    values = [AgencyValue(f"a{i}", assessment=a, evidence=e) for i, (a, e) in enumerate(assessments)]
    assert aggregate("all", values, [v.agency for v in values]).assessment == expected


@pytest.mark.parametrize("period, status", [("2026-11", "Chưa đủ số liệu"), ("2031-01", "Chưa đạt")])
def test_all_with_an_answer_missing_is_not_met(catalog, period, status):
    """An "all" indicator where one of its reporters has not answered: not met yet (never "Đạt")."""
    item = next(
        i
        for p in catalog.plans.values()
        for i in p.indicators
        if i.is_qualitative and len(catalog.reporters(i)) >= 2 and not i.deadline
    )
    first, *others = catalog.reporters(item)
    key = f"{item.plan}|{item.code}"
    values = {key: [AgencyValue(first, assessment="Đạt", evidence="QĐ 1")]}
    result = _status(catalog, item.plan, item.code, period, values)
    if result is None:  # no target ahead in that year for this item
        pytest.skip("no target in force")
    assert result.status not in ("Đạt", "Đã đạt", "Vượt") and result.provisional


# --- whole indicators from the bundled catalog ------------------------------------------
@pytest.fixture
def catalog(workspace):
    return workspace.catalog


def _status(catalog, plan, code, period, values, today=TODAY, history=None):
    item = catalog.plans[plan].item(code)
    return evaluate_item(item, catalog.reporters(item), Period.parse(period), today, values, history)


def test_milestone_governing_target_and_straight_line(catalog):
    key = "ninh-binh-2025-2045|I.1"  # 5G: ≥ 60 in 2025, 100 in 2030; max of the operators
    values = {key: [AgencyValue("vnpt", 67.4), AgencyValue("viettel", 50.0), AgencyValue("mobifone", 40.0)]}
    status = _status(catalog, "ninh-binh-2025-2045", "I.1", "2026-11", values)
    assert (status.governing, status.target_text, status.final) == ("Năm 2030", "100", False)
    assert status.value == 67.4 and status.status == "Đúng tiến độ"  # line at 67.33
    values[key][0] = AgencyValue("vnpt", 67.3)
    assert _status(catalog, "ninh-binh-2025-2045", "I.1", "2026-11", values).status == "Chậm tiến độ"
    early = _status(catalog, "ninh-binh-2025-2045", "I.1", "2025-12", {key: [AgencyValue("vnpt", 61)]})
    assert (early.target_text, early.final, early.status) == ("≥ 60", True, "Vượt")
    assert early.provisional and early.missing_agencies == ["mobifone", "viettel"]


@pytest.mark.parametrize(
    "period, value, status",
    [
        ("2026-11", 72, "Đã đạt"),
        ("2026-11", 50, "Chưa đủ số liệu"),  # one point and no baseline: no progress to judge
        ("2026-12", 70, "Đạt"),
        ("2026-12", 69, "Chưa đạt"),
        ("2026-12", 71, "Vượt"),
    ],
)
def test_deadline_plan_split_before_and_at_the_deadline(catalog, period, value, status):
    key = "ninh-binh-2026|I.2.1"  # Tháng 12/2026, "Đạt tối thiểu 70%"
    item = catalog.plans["ninh-binh-2026"].item("I.2.1")
    values = {key: [AgencyValue(a, value) for a in catalog.reporters(item)]}
    assert _status(catalog, "ninh-binh-2026", "I.2.1", period, values).status == status


def test_progress_needs_two_real_points_or_a_baseline_from_the_plan(catalog):
    from reportgen.evaluate import History

    key = "ninh-binh-2026|I.2.1"  # Tháng 12/2026, "Đạt tối thiểu 70%": the plan gives no baseline
    item = catalog.plans["ninh-binh-2026"].item("I.2.1")
    values = {key: [AgencyValue(a, 60) for a in catalog.reporters(item)]}
    alone = _status(catalog, "ninh-binh-2026", "I.2.1", "2026-11", values)
    assert alone.status == "Chưa đủ số liệu" and "chưa đủ số liệu để đánh giá tiến độ" in " ".join(alone.explanation)
    earlier = History({Period.parse("2026-07").month_number: {key: 40.0}})  # a first point in July
    ahead = {key: [AgencyValue(a, 66) for a in catalog.reporters(item)]}
    judged = _status(catalog, "ninh-binh-2026", "I.2.1", "2026-11", ahead, history=earlier)
    assert judged.status == "Đúng tiến độ"  # 66 against the line from 40 (July) to 70 (December): 64
    slow = {key: [AgencyValue(a, 50) for a in catalog.reporters(item)]}
    assert _status(catalog, "ninh-binh-2026", "I.2.1", "2026-11", slow, history=earlier).status == "Chậm tiến độ"


def test_ongoing_targets_are_judged_every_period(catalog):
    key = "ninh-binh-2026|I.4.2"  # Thường xuyên, "Đạt tối thiểu 95%", ratio
    item = catalog.plans["ninh-binh-2026"].item("I.4.2")
    reporters = catalog.reporters(item)
    values = {key: [AgencyValue(a, numerator=19, denominator=20) for a in reporters]}
    status = _status(catalog, "ninh-binh-2026", "I.4.2", "2026-03", values)
    assert (status.final, status.status, status.value) == (True, "Đạt", 95.0)
    assert not status.provisional and status.reporters_received == len(reporters)


def test_provisional_value_lists_missing_agencies_and_is_not_zero(catalog):
    key = "ninh-binh-2025-2045|IV.10"  # each unit's own initiatives, summed over departments and communes
    values = {key: [AgencyValue("so-khcn", 300), AgencyValue("p-hoa-lu", 20)]}
    status = _status(catalog, "ninh-binh-2025-2045", "IV.10", "2026-11", values)
    assert status.value == 320 and status.provisional
    assert status.reporters_received == 2
    assert "so-y-te" in status.missing_agencies and "so-khcn" not in status.missing_agencies


@pytest.mark.parametrize(
    "a, b, status",
    [(100, 70, "Đạt"), (100, 60, "Chưa đạt"), (99, 80, "Chưa đạt"), (None, 80, "Chưa có số liệu")],
)
def test_composite_is_met_only_when_every_part_is(catalog, a, b, status):
    values = {}
    if a is not None:
        values["ninh-binh-2026|I.3.7|a"] = [AgencyValue("so-gd-dt", a)]
    values["ninh-binh-2026|I.3.7|b"] = [AgencyValue("so-gd-dt", b)]
    result = _status(catalog, "ninh-binh-2026", "I.3.7", "2026-11", values)
    assert result.status == status
    assert [p.label for p in result.parts] == ["giáo viên", "học sinh phổ thông"]


@pytest.mark.parametrize(
    "assessment, evidence, period, status",
    [
        ("Đạt", "QĐ 5/QĐ-UBND", "2026-11", "Đã đạt"),
        ("Đạt", "QĐ 5/QĐ-UBND", "2030-12", "Đạt"),
        ("Đạt", "", "2026-11", "Cần đánh giá"),
        ("Chưa đạt", "", "2030-12", "Chưa đạt"),
        ("Đang thực hiện", "", "2026-11", "Đang thực hiện"),
        (None, None, "2026-11", "Chưa có số liệu"),
    ],
)
def test_qualitative_targets_take_the_assessment_with_evidence(catalog, assessment, evidence, period, status):
    key = "ninh-binh-2025-2045|I.4"  # "Có" / "Duy trì, phát triển", Công an tỉnh
    values = {key: [AgencyValue("cong-an", assessment=assessment, evidence=evidence)]} if assessment else {}
    assert _status(catalog, "ninh-binh-2025-2045", "I.4", period, values).status == status


@pytest.mark.parametrize(
    "previous, value, status", [(70, 75, "Đạt"), (70, 70, "Chưa đạt"), (70, 65, "Chưa đạt"), (None, 75, "Cần đánh giá")]
)
def test_trend_targets_compare_with_the_previous_period(catalog, previous, value, status):
    key = "cao-bang-2030-2045|I.10"  # "Tăng dần theo mỗi năm"
    history = History({Period.parse("2026-10").month_number: {key: previous}} if previous is not None else {})
    values = {key: [AgencyValue("cb-nhnn-kv5", value)]}
    assert _status(catalog, "cao-bang-2030-2045", "I.10", "2026-11", values, history=history).status == status


@pytest.mark.parametrize(
    "last_year, value, status", [(100, 120, "Đã đạt"), (100, 110, "Chậm tiến độ"), (None, 110, "Chưa có số liệu")]
)
def test_growth_rate_targets_use_year_over_year_values(catalog, last_year, value, status):
    key = "cao-bang-2030-2045|I.17"  # "tăng trung bình" 20 %/năm
    history = History({Period.parse("2025-11").month_number: {key: last_year}} if last_year else {})
    values = {key: [AgencyValue("cb-so-khcn", value)]}
    result = _status(catalog, "cao-bang-2030-2045", "I.17", "2026-11", values, history=history)
    assert result.status == status
    if last_year:
        assert result.value == pytest.approx((value / last_year - 1) * 100)


@pytest.mark.parametrize(
    "report, today, period, status",
    [
        (
            {"assessment": "Đã hoàn thành", "doc_number": "9/QĐ-UBND", "doc_date": "2026-07-01"},
            date(2026, 8, 1),
            "2026-08",
            "Đã hoàn thành",
        ),
        ({"assessment": "Đang thực hiện"}, date(2026, 6, 1), "2026-06", "Đang thực hiện"),
        ({"assessment": "Đang thực hiện"}, date(2026, 8, 1), "2026-08", "Quá hạn"),
        (None, date(2026, 8, 1), "2026-08", "Quá hạn"),  # past 31/07/2026
        # July seen later is judged as it stood at its cut-off (14/07): not overdue yet
        (None, date(2026, 8, 1), "2026-07", "Chưa có số liệu"),
        (None, date(2026, 6, 1), "2026-06", "Chưa có số liệu"),
        ({"assessment": "Đã hoàn thành"}, date(2026, 6, 1), "2026-06", "Đang thực hiện"),
    ],
)
def test_tasks(catalog, report, today, period, status):
    key = "ninh-binh-2026|II.4"  # Tháng 7/2026
    values = {key: [AgencyValue("so-khcn", **report)]} if report else {}
    assert _status(catalog, "ninh-binh-2026", "II.4", period, values, today=today).status == status


def test_status_and_explain_commands(workspace, tmp_path, runner):
    form = make_form(workspace, "p-hoa-lu", tmp_path / "sent")
    fill(form, {"ninh-binh-2026|I.4.2": {"numerator": 19, "denominator": 20}})
    run_collect(workspace, [form])
    result = runner.invoke(cli, ["-w", str(workspace.root), "status", "--period", "2026-11", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    indicator = next(i for i in data["indicators"] if i["plan"] == "ninh-binh-2026" and i["code"] == "I.4.2")
    for key in (
        "plan",
        "code",
        "name",
        "unit",
        "target_text",
        "governing",
        "value",
        "completion_pct",
        "status",
        "provisional",
        "reporters_expected",
        "reporters_received",
        "missing_agencies",
    ):
        assert key in indicator
    assert indicator["value"] == 95.0 and indicator["provisional"] is True
    agency = next(a for a in data["agencies"] if a["agency"] == "p-hoa-lu")
    assert set(agency) >= {"agency", "agency_name", "submitted_at", "late", "problems"}
    assert agency["late"] is False
    assert next(a for a in data["agencies"] if a["agency"] == "so-khcn")["missing"] is True
    table = runner.invoke(cli, ["-w", str(workspace.root), "status", "--period", "2026-11"])
    assert table.exit_code == 0
    assert "Về Phát triển Dữ liệu số" not in table.output  # sections are the plan's parts
    assert "Cơ quan: 1/35 đã nộp" in table.output
    explain = runner.invoke(cli, ["-w", str(workspace.root), "explain", "--period", "2026-11", "--indicator", "I.4.2"])
    assert explain.exit_code == 0, explain.output
    assert "Quy tắc tổng hợp: ratio" in explain.output
    assert "Σ tử số / Σ mẫu số = 19 / 20" in explain.output
    assert "UBND phường Hoa Lư: tử số 19, mẫu số 20; 95" in explain.output
    assert "Sở Y tế: chưa báo cáo" in explain.output
    ambiguous = runner.invoke(cli, ["-w", str(workspace.root), "explain", "--period", "2026-11", "--indicator", "II.4"])
    assert ambiguous.exit_code == 2 and "--plan" in ambiguous.output


def test_directive_targets_take_the_assessment(catalog):
    key = "cao-bang-2030-2045|I.20.1"  # "Triển khai theo hướng dẫn, mục tiêu Bộ Khoa học và Công nghệ"
    values = {key: [AgencyValue("cb-so-khcn", assessment="Đạt", evidence="CV 12/SKHCN")]}
    status = _status(catalog, "cao-bang-2030-2045", "I.20.1", "2026-11", values)
    assert status.status == "Đã đạt"
    assert status.target_text.startswith("Triển khai theo hướng dẫn")


@pytest.mark.parametrize("period", ["2025-06", "2026-11", "2026-12", "2030-12", "2045-12"])
def test_every_indicator_of_the_seeds_evaluates(catalog, period):
    """Every target shape of the three plans, with and without values, gives a known status."""
    from reportgen.evaluate import STATUSES

    for plan in catalog.plans.values():
        for item in plan.items:
            reporters = catalog.reporters(item)
            values = {}
            for part in item.parts:
                key = f"{item.plan}|{item.code}" + (f"|{part}" if part else "")
                values[key] = [
                    AgencyValue(
                        a,
                        value=50.0,
                        numerator=5,
                        denominator=10,
                        assessment="Đạt",
                        evidence="VB 1",
                        doc_number="1/QĐ",
                        doc_date="2026-01-05",
                    )
                    for a in reporters
                ]
            for given in (values, {}):
                result = evaluate_item(item, reporters, Period.parse(period), TODAY, given, History({}))
                if result is not None:
                    assert result.status in STATUSES, (item.code, result.status)
                    assert result.explanation

"""One measure, one row: likely duplicates across plans, an appendix imported twice, and the
bundled Ninh Bình catalog asking each measure once."""

from __future__ import annotations

import yaml
from rapidfuzz import fuzz

from reportgen.cli import cli
from reportgen.duties import Duties
from reportgen.periods import Period
from reportgen.twins import _numbers, name_key, twins

from .conftest import SEEDS

# Pairs of rows on a November form that read alike but are two measures (see the closing note):
# the 2026 plan's I.3.1 counts officials of both levels, the 2025-2045 plan's II.5 and II.6 one
# level each; VNeID "mức 2" is a part of all VNeID accounts; I.3.7 asks teachers and pupils in one
# row (two values), II.16 pupils alone; III.13 and IV.12 are two kinds of centre.
TWO_MEASURES = {
    frozenset({"II.5", "I.3.1"}),
    frozenset({"II.6", "I.3.1"}),
    frozenset({"II.5", "II.6"}),
    frozenset({"V.21", "I.7.1"}),
    frozenset({"II.16", "I.3.7"}),
    frozenset({"III.13", "IV.12"}),
}


def near_identical(rows) -> set[frozenset[str]]:
    """Pairs of rows whose names read alike (85% or more) and hold the same numbers ("5G" is not "6G")."""
    named = [(r.code.split(" ")[0], name_key(r.name), _numbers(r.name)) for r in rows]
    pairs = set()
    for i, (code, key, numbers) in enumerate(named):
        for other, other_key, other_numbers in named[i + 1 :]:
            if code == other or numbers != other_numbers:
                continue
            if max(fuzz.ratio(key, other_key), fuzz.token_sort_ratio(key, other_key)) >= 85:
                pairs.add(frozenset({code, other}))
    return pairs


def test_the_november_forms_ask_each_measure_once(workspace):
    duties = Duties(workspace.catalog, workspace.select_plans(()), Period.parse("2026-11"))
    for agency in duties.agencies():
        rows = duties.rows(agency)
        assert near_identical(rows) <= TWO_MEASURES, agency
    # the 2026 plan's repeated measures are asked on the 2025-2045 plan's row, which fills both
    khcn = {r.key: r for r in duties.rows("so-khcn")}
    assert "ninh-binh-2026|I.5.1" not in khcn
    assert khcn["ninh-binh-2025-2045|V.1"].also == ("ninh-binh-2026|I.5.1",)
    assert sum(len(duties.rows(a)) for a in duties.agencies()) == 816  # 1,136 before the links


def test_the_bundled_catalog_has_no_link_left_to_propose(workspace):
    proposed = [t for t in twins(workspace.catalog) if t.linkable]
    assert proposed == []
    linked = [i for i in workspace.catalog.plans["ninh-binh-2026"].items if i.same_as]
    assert len(linked) == 27


def test_a_linked_measure_shows_one_previous_figure(workspace):
    duties = Duties(workspace.catalog, workspace.select_plans(()), Period.parse("2026-11"))
    before_the_link = {"ninh-binh-2026|I.7.3": "38,2"}  # only the 2026 plan's row had a figure
    sections = duties.sections("so-y-te", before_the_link)
    row = next(r for s in sections for r in s.rows if r.key == "ninh-binh-2025-2045|V.25")
    assert row.previous == "38,2"
    both = {"ninh-binh-2026|I.7.3": "38,2", "ninh-binh-2025-2045|V.25": "94,2"}
    row = next(r for s in duties.sections("so-y-te", both) for r in s.rows if r.key == "ninh-binh-2025-2045|V.25")
    assert row.previous == "94,2"
    assert not any(r.key == "ninh-binh-2026|I.7.3" for s in duties.sections("so-y-te", both) for r in s.rows)


def _edit(workspace_dir, plan, edit):
    path = workspace_dir / "config" / "plans" / f"{plan}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit({item["code"]: item for item in data["items"]})
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_check_proposes_same_as_lines_to_paste(runner, workspace_dir):
    def unlink(items):
        for code in ("I.7.3", "I.5.13"):
            items[code].pop("same_as")

    _edit(workspace_dir, "ninh-binh-2026", unlink)
    result = runner.invoke(cli, ["-w", str(workspace_dir), "catalog", "check", "--plan", "ninh-binh-2026"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "same_as: " in line]
    assert len(lines) == 2
    assert (
        'ninh-binh-2026 I.7.3: Có thể là cùng một chỉ tiêu với V.25 "Tỉ lệ người dân có Sổ sức khỏe điện tử"'
        in lines[1]
    )
    assert 'thêm vào dòng này: same_as: "ninh-binh-2025-2045|V.25"' in lines[1]
    assert "I.5.13" in lines[0] and "(tên giống 92%" in lines[0]  # the same words in another order


def test_same_name_but_another_basis_or_unit_is_not_linked(runner, workspace_dir):
    def differ(items):
        items["I.7.3"].pop("same_as")
        items["I.7.3"]["aggregate"] = "sum"  # each unit's own count, not the province's one figure
        items["I.7.3"]["reporters"] = ["so-y-te", "bhxh"]
        items["I.5.12"].pop("same_as")
        items["I.5.12"]["unit"] = "điểm"

    _edit(workspace_dir, "ninh-binh-2026", differ)
    result = runner.invoke(cli, ["-w", str(workspace_dir), "catalog", "check", "--plan", "ninh-binh-2026"])
    notes = {
        line.split(":", 1)[0].split()[-1]: line for line in result.output.splitlines() if "không phải cùng" in line
    }
    assert (
        "khác cách tính: một bên là tổng số liệu riêng của từng đơn vị, bên kia là số liệu chung của cả tỉnh"
        in (notes["I.7.3"])
    )
    assert "khác đơn vị (điểm và %)" in notes["I.5.12"]
    assert "Không nối same_as" in notes["I.5.12"]
    assert "same_as: " not in result.output


def test_the_same_appendix_imported_twice_fails_the_check(runner, workspace_dir):
    seed = SEEDS / "ninh-binh-2026-phan-cong.txt"
    imported = runner.invoke(cli, ["-w", str(workspace_dir), "catalog", "import", str(seed), "--plan", "kh-2026-ban-2"])
    assert imported.exit_code == 0, imported.output
    result = runner.invoke(cli, ["-w", str(workspace_dir), "catalog", "check"])
    assert result.exit_code == 1
    assert (
        "LỖI     ninh-binh-2026 -: Kế hoạch ninh-binh-2026 và kh-2026-ban-2 có 61/61 chỉ tiêu trùng cả số thứ tự "
        "lẫn tên: có lẽ cùng một phụ lục được nhập hai lần"
    ) in result.output
    assert "(config/plans/ninh-binh-2026.yaml hoặc config/plans/kh-2026-ban-2.yaml)" in result.output

from __future__ import annotations

import json

import pytest

from reportgen.cli import cli

from .conftest import SEEDS
from .helpers import commands


@pytest.mark.parametrize(
    "path, command", list(commands(cli)), ids=lambda v: " ".join(v) if isinstance(v, tuple) else ""
)
def test_every_command_has_vietnamese_help(runner, path, command):
    assert command.help and command.help.strip()
    result = runner.invoke(cli, [*path, "--help"])
    assert result.exit_code == 0
    assert "Cách dùng:" in result.output
    assert "Show this message" not in result.output


def test_init_creates_a_workspace_with_the_bundled_catalog(runner, tmp_path):
    target = tmp_path / "văn phòng"
    result = runner.invoke(cli, ["init", str(target)])
    assert result.exit_code == 0, result.output
    assert (target / "config" / "agencies.yaml").is_file()
    assert sorted(p.name for p in (target / "config" / "plans").glob("*.yaml")) == [
        "cao-bang-2030-2045.yaml",
        "ninh-binh-2025-2045.yaml",
        "ninh-binh-2026.yaml",
    ]
    assert (target / "templates").is_dir()
    assert len((target / "config" / "form-key").read_text().strip()) == 64
    again = runner.invoke(cli, ["init", str(target)])
    assert again.exit_code == 2
    assert "đã có thư mục làm việc" in again.output


def test_catalog_check_on_the_bundled_workspace_exits_0(runner, workspace_dir):
    result = runner.invoke(cli, ["-w", str(workspace_dir), "catalog", "check"])
    assert result.exit_code == 0, result.output
    assert "ninh-binh-2026: 49 chỉ tiêu, 12 nhiệm vụ" in result.output
    assert "Danh mục hợp lệ." in result.output


def test_workspace_from_environment_variable(runner, workspace_dir, monkeypatch):
    monkeypatch.setenv("REPORTGEN_WORKSPACE", str(workspace_dir))
    result = runner.invoke(cli, ["catalog", "check", "--no-notes"])
    assert result.exit_code == 0, result.output


def test_catalog_check_lists_problems_and_exits_1(runner, workspace_dir):
    plan = workspace_dir / "config" / "plans" / "ninh-binh-2026.yaml"
    text = plan.read_text(encoding="utf-8")
    text = text.replace("  reporters:\n  - so-gd-dt", "  reporters:\n  - so-khong-co", 1)
    plan.write_text(text, encoding="utf-8")
    result = runner.invoke(cli, ["-w", str(workspace_dir), "catalog", "check", "--no-notes"])
    assert result.exit_code == 1
    assert 'LỖI     ninh-binh-2026 I.3.7: Mã cơ quan "so-khong-co" ở trường reporters' in result.output
    assert "Danh mục còn" in result.output


def test_catalog_show_json_is_the_public_shape(runner, workspace_dir):
    result = runner.invoke(cli, ["-w", str(workspace_dir), "catalog", "show", "--plan", "ninh-binh-2026", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert len(data) == 61
    first = data[0]
    for key in (
        "code",
        "section",
        "name",
        "unit",
        "kind",
        "direction",
        "targets",
        "reporters",
        "monitor",
        "deadline",
        "aggregate",
    ):
        assert key in first
    assert first["code"] == "I.1.1"
    assert first["targets"] == [
        {
            "deadline": "Thường xuyên",
            "text": "Đạt 100%",
            "op": "=",
            "value": 100.0,
            "value_max": None,
            "kind": "numeric",
            "unit": "%",
            "part": None,
            "label": None,
            "aspirational": False,
            "parsed": True,
        }
    ]
    assert "so-khcn" in first["reporters"] and "p-hoa-lu" in first["reporters"]
    task = next(d for d in data if d["code"] == "II.4")
    assert (task["kind"], task["deadline"], task["reporters"]) == ("task", "Tháng 7/2026", ["so-khcn"])


def test_catalog_import_writes_yaml_and_refuses_to_overwrite(runner, workspace_dir):
    source = SEEDS / "cao-bang-2030-2045-chi-tieu.txt"
    args = ["-w", str(workspace_dir), "catalog", "import", str(source), "--plan", "cb-moi", "--province", "cao-bang"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "46 chỉ tiêu, 0 nhiệm vụ, 2 mục, 1 nhóm" in result.output
    assert (workspace_dir / "config" / "plans" / "cb-moi.yaml").is_file()
    again = runner.invoke(cli, args)
    assert again.exit_code == 2
    assert "--force" in again.output


@pytest.mark.parametrize(
    "args, code, text",
    [
        (["catalog", "show", "--plan", "khong-co"], 2, 'Không có kế hoạch "khong-co"'),
        (["catalog", "import", "/khong/co/tep.txt", "--plan", "x"], 1, "Không tìm thấy tệp"),
        (["catalog", "import", "x.txt"], 2, "Thiếu tuỳ chọn '--plan'"),
        (["catalog", "lam-gi"], 2, "Không có lệnh 'lam-gi'"),
    ],
)
def test_errors_are_vietnamese_with_exit_codes(runner, workspace_dir, args, code, text):
    result = runner.invoke(cli, ["-w", str(workspace_dir), *args])
    assert result.exit_code == code
    assert text in result.output
    assert "Traceback" not in result.output


def test_missing_workspace_is_a_usage_error(runner, tmp_path):
    result = runner.invoke(cli, ["-w", str(tmp_path / "khong-co"), "catalog", "check"])
    assert result.exit_code == 2
    assert "Không tìm thấy thư mục làm việc" in result.output


def test_broken_yaml_names_file_and_line(runner, workspace_dir):
    path = workspace_dir / "config" / "agencies.yaml"
    path.write_text("agencies:\n  - {code: a, name: [unclosed\n", encoding="utf-8")
    result = runner.invoke(cli, ["-w", str(workspace_dir), "catalog", "check"])
    assert result.exit_code == 2  # a configuration error, like a usage error
    assert 'agencies.yaml, dòng 3, cột 1: thiếu dấu "]" đóng danh sách' in result.output
    assert "did not find" not in result.output


def test_forms_loads_neither_charts_nor_word(workspace_dir):
    """`reportgen forms` must start fast: no matplotlib, docxtpl or python-docx behind it."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from reportgen.cli import cli\n"
        f"cli(['-w', {str(workspace_dir)!r}, 'forms', '--period', '2026-11', '--agency', 'vnpt',"
        " '--workers', '1'], standalone_mode=False)\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'matplotlib', 'docxtpl', 'docx', 'openpyxl'})\n"
        "print('HEAVY', heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert "HEAVY []" in result.stdout
    assert (workspace_dir / "output" / "2026-11" / "forms" / "2026-11_vnpt.xlsx").is_file()

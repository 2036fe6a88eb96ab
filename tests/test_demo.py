"""The newcomer's first command: a whole month on demonstration data."""

from __future__ import annotations

import email
from email import policy

from docx import Document

from reportgen.cli import cli


def test_demo_runs_the_whole_month(runner, tmp_path):
    target = tmp_path / "demo"
    result = runner.invoke(cli, ["demo", "--workspace", str(target)])
    assert result.exit_code == 0, result.output
    assert "DỮ LIỆU MINH HỌA" in result.output
    assert "Biểu mẫu đã lập: 36" in result.output
    assert "1 có lỗi" in result.output and "1 muộn" in result.output
    output = target / "output" / "2026-11"
    assert len(list((output / "forms").glob("*.xlsx"))) == 36
    assert len(list((output / "returns").glob("*_tra-lai.xlsx"))) == 1
    document = Document(output / "bao-cao_2026-11.docx")
    assert any("DỮ LIỆU MINH HỌA" in p.text for p in document.paragraphs)
    assert (output / "bieu-tong-hop_2026-11.xlsx").exists()
    assert len(list((output / "charts").glob("*.png"))) == 2
    outbox = list((target / "output" / "outbox").glob("*.eml"))
    kinds = {email.message_from_bytes(p.read_bytes(), policy=policy.default)["Subject"].split("]")[0] for p in outbox}
    assert {"[Biểu mẫu báo cáo", "[Nhắc báo cáo", "[Quá hạn báo cáo", "[Báo cáo"} <= kinds
    again = runner.invoke(cli, ["demo", "--workspace", str(target)])
    assert again.exit_code == 2 and "--force" in again.output
    status = runner.invoke(cli, ["-w", str(target), "status", "--period", "2026-11", "--json"])
    assert status.exit_code == 0

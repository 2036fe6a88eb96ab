"""Benchmark: the mailbox loop against a local Dovecot (needs dovecot-imapd).

    python benchmarks/fetch.py [--messages 100]

Appends N replies (one filled form each, from the bundled Ninh Bình agencies) to a fresh
mailbox, then times ``reportgen fetch``'s loop: IMAP fetch, saving, collecting, answering
(to the outbox), flagging; then a second run that finds nothing new. Prints ms/message.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reportgen.replies import fetch  # noqa: E402
from reportgen.workspace import Workspace, init_workspace  # noqa: E402
from tests.conftest import Dovecot  # noqa: E402
from tests.helpers import fill, make_form, planner  # noqa: E402

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 12, 9, 0, tzinfo=VN)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="reportgen-bench-dovecot-"))
    os.chmod(root, 0o755)
    server = Dovecot(root)
    server.start()
    try:
        workspace = init_workspace(root / "ws")
        user, password = server.account()
        path = workspace.config_dir / "settings.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["imap"].update(
            {"host": "127.0.0.1", "port": server.port, "username": user, "ca_file": str(server.ca_file)}
        )
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        os.environ["REPORTGEN_IMAP_PASSWORD"] = password
        workspace = Workspace(workspace.root)
        asked = planner(workspace)
        codes = [a.code for a in workspace.registry.agencies() if a.reports and a.email]
        key = "ninh-binh-2026|I.4.2"
        codes = [c for c in codes if key in {r.key for r in asked.spec(c).rows}]
        started = time.perf_counter()
        with server.box(user, password) as box:
            for index in range(args.messages):
                code = codes[index % len(codes)]
                form = fill(
                    make_form(workspace, code, root / "forms" / str(index)), {key: {"numerator": 9, "denominator": 10}}
                )
                message = EmailMessage()
                message["From"] = workspace.registry.get(code).email
                message["To"] = "so-khcn@ninh-binh.example"
                message["Subject"] = "Báo cáo tháng 11/2026"
                message["Message-ID"] = make_msgid(domain="agency.example")
                message.set_content("Đơn vị gửi báo cáo.")
                message.add_attachment(
                    form.read_bytes(), maintype="application", subtype="octet-stream", filename=form.name
                )
                box.append(message.as_bytes(), "INBOX")
        prepared = time.perf_counter() - started
        started = time.perf_counter()
        outcomes = fetch(workspace, NOW)
        first = time.perf_counter() - started
        started = time.perf_counter()
        again = fetch(workspace, NOW)
        second = time.perf_counter() - started
        print(f"messages: {args.messages} (prepared in {prepared:.1f} s)")
        print(f"fetch + collect + answer + flag: {first:.2f} s, {first / args.messages * 1000:.0f} ms/message")
        print(f"second run (nothing new): {second * 1000:.0f} ms, {len(again)} message(s)")
        print(f"kinds: {sorted({o.kind for o in outcomes})}, ok: {sum(o.ok for o in outcomes)}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()

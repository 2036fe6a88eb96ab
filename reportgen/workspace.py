"""The workspace: the folder holding ``config/``, ``templates/`` and ``output/``.

Found from ``--workspace DIR``, then ``$REPORTGEN_WORKSPACE``, then the current
directory. :func:`init_workspace` copies the bundled defaults (shipped inside the
package) into a new folder. Settings are declared once in :data:`SETTINGS` and
merged from ``config/settings.yaml`` over their defaults.
"""

from __future__ import annotations

import copy
import os
import re
import secrets
import shutil
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from . import clock
from .agencies import Registry
from .catalog import Catalog, Plan
from .errors import (
    ConfigError,
    ReportgenError,
    StoreError,
    UnknownAgency,
    UnknownPlan,
    WorkspaceExists,
    WorkspaceNotFound,
)
from .planfile import load_plan
from .text import clean, fold, nfc
from .yamlfile import read_yaml

__all__ = ["Workspace", "find_workspace", "init_workspace", "bundled_root", "SETTINGS", "Setting"]

ENV_WORKSPACE = "REPORTGEN_WORKSPACE"
TIMEZONE = "Asia/Ho_Chi_Minh"


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str


SETTINGS = [
    Setting("office.province", "Ninh Bình", "Tên tỉnh (dùng trong địa danh và tiêu đề)"),
    Setting("office.parent", "UBND TỈNH NINH BÌNH", "Cơ quan chủ quản (góc trái tiêu đề)"),
    Setting("office.issuer", "SỞ KHOA HỌC VÀ CÔNG NGHỆ", "Cơ quan ban hành báo cáo"),
    Setting("office.issuer_name", "Sở Khoa học và Công nghệ", "Tên cơ quan viết thường"),
    Setting("office.issuer_short", "SKHCN", "Chữ viết tắt tên cơ quan (Số: …/BC-SKHCN)"),
    Setting("office.issuer_code", "so-khcn", "Mã cơ quan của văn phòng trong agencies.yaml"),
    Setting("office.place", "Ninh Bình", "Địa danh ghi trước ngày tháng"),
    Setting(
        "office.libreoffice",
        "",
        r"Đường dẫn soffice.exe khi LibreOffice cài ở nơi khác (ví dụ D:\LibreOffice\program\soffice.exe)",
    ),
    Setting("office.drafting_unit", "VP", "Đơn vị soạn thảo ghi ở dòng Lưu"),
    Setting("report.recipients", ["Ủy ban nhân dân tỉnh Ninh Bình"], "Kính gửi"),
    Setting("report.copies_to", ["Như trên", "Giám đốc Sở (để b/c)", "Các Phó Giám đốc Sở"], "Nơi nhận"),
    Setting("report.signer_authority", "KT. GIÁM ĐỐC", "Quyền hạn ký (GIÁM ĐỐC, KT. GIÁM ĐỐC, Q. GIÁM ĐỐC)"),
    Setting("report.signer_title", "PHÓ GIÁM ĐỐC", "Chức vụ người ký"),
    Setting("report.signer_name", "", "Họ tên người ký (để trống khi là dự thảo)"),
    Setting("report.number", "", "Số văn bản (để trống khi là dự thảo)"),
    Setting(
        "report.subject",
        "Kết quả thực hiện các chỉ tiêu khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số",
        "Trích yếu (kỳ báo cáo được thêm vào cuối)",
    ),
    Setting("report.report_to", "Ủy ban nhân dân tỉnh", "Cơ quan được báo cáo (câu kết)"),
    Setting(
        "report.basis",
        "các kế hoạch của Ủy ban nhân dân tỉnh về phát triển khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số",
        'Căn cứ (câu mở đầu: "Thực hiện …")',
    ),
    Setting("report.leadership_emails", ["lanh-dao@ninh-binh.example"], "Địa chỉ nhận báo cáo"),
    Setting("contact.name", "Phòng Quản lý khoa học, Sở Khoa học và Công nghệ", "Đầu mối liên hệ"),
    Setting("contact.phone", "(0229) 000 0000", "Điện thoại liên hệ"),
    Setting("contact.email", "so-khcn@ninh-binh.example", "Thư điện tử liên hệ"),
    Setting("periods.submission_day", 16, "Ngày hạn nộp báo cáo trong tháng của kỳ"),
    Setting("forms.password", "", "Mật khẩu bảo vệ trang tính (trống = không mật khẩu)"),
    Setting(
        "forms.quarterly",
        False,
        "Cũng lập biểu mẫu quý, 6 tháng, năm (mặc định chỉ biểu mẫu tháng; các kỳ dài hơn tổng hợp từ số liệu tháng)",
    ),
    Setting("database.url", "sqlite:///output/reportgen.sqlite", "Cơ sở dữ liệu"),
    Setting("mail.mode", "outbox", "outbox (ghi tệp .eml) hoặc smtp"),
    Setting("mail.host", "", "Máy chủ SMTP"),
    Setting("mail.port", 465, "Cổng SMTP"),
    Setting("mail.security", "ssl", "ssl, starttls hoặc plain"),
    Setting("mail.username", "", "Tài khoản SMTP"),
    Setting("mail.sender", "so-khcn@ninh-binh.example", "Địa chỉ người gửi"),
    Setting("mail.password_env", "REPORTGEN_SMTP_PASSWORD", "Biến môi trường chứa mật khẩu SMTP"),
    Setting("mail.ca_file", "", "Tệp chứng chỉ CA riêng (nếu máy chủ dùng chứng chỉ nội bộ)"),
    Setting("mail.retries", 3, "Số lần thử lại khi gửi lỗi tạm thời"),
    Setting("imap.host", "", "Máy chủ IMAP của hộp thư nhận thư trả lời (để trống: không đọc hộp thư)"),
    Setting("imap.port", 993, "Cổng IMAP (993: ssl; 143: starttls)"),
    Setting("imap.security", "ssl", "ssl hoặc starttls (chứng chỉ luôn được kiểm tra)"),
    Setting("imap.username", "", "Tài khoản hộp thư nhận"),
    Setting("imap.password_env", "REPORTGEN_IMAP_PASSWORD", "Biến môi trường chứa mật khẩu hộp thư nhận"),
    Setting("imap.folder", "INBOX", "Thư mục thư đến cần đọc"),
    Setting("imap.done_folder", "", "Chuyển thư đã xử lý vào thư mục này (để trống: chỉ gắn nhãn Reportgen)"),
    Setting("imap.ca_file", "", "Tệp chứng chỉ CA riêng của máy chủ IMAP"),
    Setting("imap.answer", True, "Gửi biên nhận trả lời từng thư"),
    Setting(
        "mail.allow_plain_auth",
        False,
        "Cho phép gửi mật khẩu SMTP không mã hoá (security: plain); chỉ bật trong mạng nội bộ tin cậy",
    ),
    Setting("remind.days_before", [7, 3, 1], "Nhắc trước hạn bao nhiêu ngày"),
    Setting("remind.days_after", [1], "Báo quá hạn sau bao nhiêu ngày"),
    Setting("remind.cc_office", True, "Gửi bản sao thư nhắc, báo quá hạn cho chính văn phòng (office.issuer_code)"),
    Setting("schedule.forms_day", 1, "Ngày gửi biểu mẫu hằng tháng"),
    Setting("schedule.time", "08:00", "Giờ chạy các việc hằng ngày"),
    Setting("schedule.report_day", 18, "Ngày lập và gửi báo cáo hằng tháng"),
    Setting("schedule.inbox", "inbox", "Thư mục nhận tệp trả về (tương đối với thư mục làm việc)"),
    Setting("schedule.misfire_grace_hours", 72, "Việc bị lỡ (máy tắt) vẫn chạy nếu trễ không quá số giờ này"),
]


def bundled_root() -> Path:
    """The defaults shipped with the package (or the repository root in a checkout)."""
    packaged = Path(__file__).parent / "_workspace"
    if (packaged / "config" / "agencies.yaml").is_file():
        return packaged
    return Path(__file__).resolve().parent.parent


def find_workspace(option: str | os.PathLike | None = None) -> Workspace:
    raw = option or os.environ.get(ENV_WORKSPACE) or os.getcwd()
    # The path as the system gives it: a folder named in NFD (macOS, some copy tools) is only
    # found under that name. Names are normalised to compare them, never to open them.
    root = Path(raw).expanduser().resolve()
    if not (root / "config").is_dir():
        raise WorkspaceNotFound(path=str(root))
    return Workspace(root)


def init_workspace(target: Path, force: bool = False, now: datetime | None = None) -> Workspace:
    """A new workspace with the bundled configuration. With ``force`` over an existing one,
    every file that would be replaced and differs from the bundled one is first copied to
    ``config-cu-YYYYMMDD-HHMMSS/`` (see :attr:`Workspace.backup`): nothing the office edited
    is ever lost."""
    target = Path(target).expanduser().resolve()
    if (target / "config").exists() and not force:
        raise WorkspaceExists(path=str(target))
    source = bundled_root()
    copies = [(source / "config" / name, target / "config" / name) for name in ("agencies.yaml", "settings.yaml")]
    copies += [(p, target / "config" / "plans" / p.name) for p in sorted((source / "config" / "plans").glob("*.yaml"))]
    copies += [(p, target / p.relative_to(source)) for p in sorted((source / "templates").rglob("*")) if p.is_file()]
    stamp = (now or clock.now()).strftime("%Y%m%d-%H%M%S")
    backup = target / f"config-cu-{stamp}"
    kept = []
    for origin, destination in copies:
        if destination.is_file() and destination.read_bytes() != origin.read_bytes():
            saved = backup / destination.relative_to(target)
            saved.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(destination, saved)
            kept.append(saved)
    for origin, destination in copies:
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(origin, destination)
    (target / "output").mkdir(exist_ok=True)
    workspace = Workspace(target)
    workspace.backup = backup if kept else None
    workspace.form_key()
    return workspace


def _load_yaml(path: Path) -> Any:
    return read_yaml(path)


def _normalise(value: Any) -> Any:
    if isinstance(value, str):
        return nfc(value)
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    if isinstance(value, dict):
        return {nfc(str(k)): _normalise(v) for k, v in value.items()}
    return value


_KINDS = {
    str: "chữ",
    int: "số nguyên",
    float: "số",
    bool: "true hoặc false",
    list: 'danh sách (mỗi dòng một mục bắt đầu bằng "- ")',
}
_YES = {"true", "yes", "y", "on", "1", "có", "co"}
_NO = {"false", "no", "n", "off", "0", "không", "khong"}


def _coerce(value: Any, setting: Setting, path: Path) -> Any:
    """A setting's value as its kind, read the way the office wrote it: "7" for a number,
    "có"/"không" (or yes/no) for a switch; otherwise a message naming the file, field and line."""
    kind = type(setting.default)
    if kind is int and isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if kind is bool and isinstance(value, str | int) and str(value).strip().lower() in _YES | _NO:
        return str(value).strip().lower() in _YES
    if kind is str and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    section, _, key = setting.name.partition(".")
    raise ConfigError(
        "bad-value",
        file=str(path),
        field=setting.name,
        value=value,
        line=_line_of(path, section, key),
        hint=f"cần {_KINDS.get(kind, kind.__name__)} ({setting.help}).",
    )


def _line_of(path: Path, section: str, key: str) -> int | str:
    """The line where ``section.key`` is written, for messages."""
    try:
        lines = path.read_text(encoding="utf-8-sig", errors="replace").splitlines()
    except OSError:
        return "?"
    inside = False
    for number, line in enumerate(lines, start=1):
        if re.match(rf"^{re.escape(section)}\s*:", line):
            inside = True
        elif inside and re.match(r"^\S", line):
            inside = False
        elif inside and re.match(rf"^\s+{re.escape(key)}\s*:", line):
            return number
    return "?"


class Workspace:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.backup: Path | None = None  # where init --force kept the files it replaced

    @property
    def config_dir(self) -> Path:
        return self.root / "config"

    @property
    def plans_dir(self) -> Path:
        return self.config_dir / "plans"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @property
    def output_dir(self) -> Path:
        return self.root / "output"

    def own_folders(self) -> list[Path]:
        """What the workspace itself holds: never collected as agencies' files."""
        folders = [self.output_dir, self.config_dir, self.templates_dir, self.root / ".venv"]
        folders += sorted(self.root.glob("config-cu-*"))
        try:
            folders.append(self.database_path)
        except ReportgenError:
            pass
        return folders

    @property
    def database_path(self) -> Path:
        """Where the database lives (``database.url``, relative to the workspace unless absolute)."""
        url = self.setting("database.url")
        if not url.startswith("sqlite:///"):
            raise StoreError("not-sqlite", path=url)
        path = Path(url[len("sqlite:///") :])
        return path if path.is_absolute() else self.root / path

    def period_dir(self, period: str) -> Path:
        return self.output_dir / period

    def template(self, kind: str, name: str, template_dir: Path | None = None) -> Path:
        """A template file: ``--template-dir`` first, then the workspace, then the bundled one."""
        for folder in (template_dir, self.templates_dir / kind, bundled_root() / "templates" / kind):
            if folder is not None and (Path(folder) / name).is_file():
                return Path(folder) / name
        raise ConfigError("missing-file", file=str(self.templates_dir / kind / name))

    # -- settings ----------------------------------------------------------------------
    @cached_property
    def settings(self) -> dict[str, Any]:
        path = self.config_dir / "settings.yaml"
        data = _load_yaml(path) if path.exists() else {}
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ConfigError("not-a-mapping", file=str(path))
        data = _normalise(data)
        merged: dict[str, Any] = {}
        for setting in SETTINGS:
            section, _, key = setting.name.partition(".")
            value = (data.get(section) or {}).get(key, copy.deepcopy(setting.default))
            if setting.default is not None and not isinstance(value, type(setting.default)):
                value = _coerce(value, setting, path)
            merged[setting.name] = value
        return merged

    def setting(self, name: str) -> Any:
        return self.settings[name]

    @property
    def contact(self) -> str:
        """Whom agencies ask, as written on forms and in mail."""
        s = self.settings
        return f"{s['contact.name']}, điện thoại {s['contact.phone']}, thư điện tử {s['contact.email']}"

    # -- catalog -----------------------------------------------------------------------
    @cached_property
    def registry(self) -> Registry:
        path = self.config_dir / "agencies.yaml"
        return Registry.from_dict(_normalise(_load_yaml(path)), source=str(path))

    def plan_paths(self) -> dict[str, Path]:
        return {p.stem: p for p in sorted(self.plans_dir.glob("*.yaml"))}

    @cached_property
    def catalog(self) -> Catalog:
        plans: dict[str, Plan] = {}
        for path in self.plan_paths().values():
            plan = load_plan(path)
            plans[plan.id] = plan
        return Catalog(plans=plans, registry=self.registry)

    def check_plans(self, plan_ids: tuple[str, ...] | list[str]) -> list[str]:
        plans = self.catalog.plans
        for plan_id in plan_ids:
            if plan_id not in plans:
                raise UnknownPlan(plan=plan_id, known=", ".join(plans) or "(chưa có)")
        return list(plan_ids)

    def select_plans(self, plan_ids: tuple[str, ...] | list[str] = ()) -> list[Plan]:
        """The plans named, or by default those of the workspace's own province."""
        if plan_ids:
            return [self.catalog.plans[p] for p in self.check_plans(plan_ids)]
        home = self.registry.home
        return [p for p in self.catalog.plans.values() if not p.province or p.province == home]

    def check_agencies(self, codes: tuple[str, ...] | list[str]) -> list[str]:
        """The agency codes meant: a code in any case ("SO-Y-TE"), or an agency's name where it
        is unique ("Sở Y tế"); a near miss is refused with "Có phải ý bạn là …?"."""
        return [self.agency_code(code) for code in codes]

    def agency_code(self, text: str) -> str:
        import difflib

        registry = self.registry
        wanted = nfc(clean(text))
        if wanted in registry:
            return wanted
        by_case = {code.lower(): code for code in registry.entries}
        if wanted.lower() in by_case:
            return by_case[wanted.lower()]
        by_name: dict[str, set[str]] = {}
        for entry in registry.entries.values():
            for name in (entry.name, *entry.aliases):
                by_name.setdefault(fold(name), set()).add(entry.code)
        named = by_name.get(fold(wanted), set())
        if len(named) > 1:  # "Sở Y tế" of this province and of another: this province's
            named = {c for c in named if registry.entries[c].province == registry.home}
        if len(named) == 1:
            return next(iter(named))
        near = difflib.get_close_matches(wanted.lower(), list(by_case), n=3, cutoff=0.75)
        near += [c for n in difflib.get_close_matches(fold(wanted), list(by_name), n=3, cutoff=0.8) for c in by_name[n]]
        near = list(dict.fromkeys(by_case.get(c, c) for c in near))
        if near:
            hint = "Có phải ý bạn là " + " hoặc ".join(f"{c} ({registry.name(c)})" for c in near[:3]) + "?"
        else:
            hint = 'Xem danh sách mã cơ quan trong config/agencies.yaml hoặc bằng "reportgen catalog show".'
        raise UnknownAgency(agency=text, hint=hint)

    # -- secrets -----------------------------------------------------------------------
    @property
    def key_path(self) -> Path:
        return self.config_dir / "form-key"

    def form_key(self) -> bytes:
        """The HMAC key that signs forms; created on first use, never put in a form."""
        path = self.key_path
        if not path.exists():
            path.write_text(secrets.token_hex(32) + "\n", encoding="utf-8")
            try:
                path.chmod(0o600)
            except OSError:
                pass
        return bytes.fromhex(clean(path.read_text(encoding="utf-8")))

    def relative(self, path: Path) -> str:
        try:
            return str(Path(path).resolve().relative_to(self.root))
        except ValueError:
            return str(path)

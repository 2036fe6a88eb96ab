"""The workspace: the folder holding ``config/``, ``templates/`` and ``output/``.

Found from ``--workspace DIR``, then ``$REPORTGEN_WORKSPACE``, then the current
directory. :func:`init_workspace` copies the bundled defaults (shipped inside the
package) into a new folder. Settings are declared once in :data:`SETTINGS` and
merged from ``config/settings.yaml`` over their defaults.
"""

from __future__ import annotations

import copy
import os
import secrets
import shutil
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from .agencies import Registry
from .catalog import Catalog, Plan
from .errors import ConfigError, UnknownAgency, UnknownPlan, WorkspaceExists, WorkspaceNotFound
from .planfile import SafeLoader, load_plan
from .text import clean, nfc

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
    Setting(
        "mail.allow_plain_auth",
        False,
        "Cho phép gửi mật khẩu SMTP không mã hoá (security: plain); chỉ bật trong mạng nội bộ tin cậy",
    ),
    Setting("remind.days_before", [7, 3, 1], "Nhắc trước hạn bao nhiêu ngày"),
    Setting("remind.days_after", [1], "Báo quá hạn sau bao nhiêu ngày"),
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
    root = Path(nfc(str(raw))).expanduser().resolve()
    if not (root / "config").is_dir():
        raise WorkspaceNotFound(path=str(root))
    return Workspace(root)


def init_workspace(target: Path, force: bool = False) -> Workspace:
    target = Path(target).expanduser().resolve()
    if (target / "config").exists() and not force:
        raise WorkspaceExists(path=str(target))
    source = bundled_root()
    (target / "config" / "plans").mkdir(parents=True, exist_ok=True)
    for name in ("agencies.yaml", "settings.yaml"):
        shutil.copy2(source / "config" / name, target / "config" / name)
    for plan in sorted((source / "config" / "plans").glob("*.yaml")):
        shutil.copy2(plan, target / "config" / "plans" / plan.name)
    shutil.copytree(source / "templates", target / "templates", dirs_exist_ok=True)
    (target / "output").mkdir(exist_ok=True)
    workspace = Workspace(target)
    workspace.form_key()
    return workspace


def _load_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=SafeLoader)
    except FileNotFoundError as exc:
        raise ConfigError("missing-file", file=str(path)) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        msg = "yaml"
        raise ConfigError(
            msg,
            file=str(path),
            line=(mark.line + 1) if mark else "?",
            problem=getattr(exc, "problem", None) or str(exc),
        ) from exc


def _normalise(value: Any) -> Any:
    if isinstance(value, str):
        return nfc(value)
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    if isinstance(value, dict):
        return {nfc(str(k)): _normalise(v) for k, v in value.items()}
    return value


class Workspace:
    def __init__(self, root: Path):
        self.root = Path(root)

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
                if isinstance(setting.default, int) and isinstance(value, str) and value.isdigit():
                    value = int(value)
                else:
                    msg = "bad-value"
                    raise ConfigError(
                        msg,
                        file=str(path),
                        field=setting.name,
                        value=value,
                        hint=f"cần giá trị kiểu {type(setting.default).__name__} ({setting.help}).",
                    )
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
        for code in codes:
            if code not in self.registry:
                known = ", ".join(a.code for a in self.registry.agencies()[:8])
                raise UnknownAgency(agency=code, hint=f"Ví dụ các mã hiện có: {known}…")
        return list(codes)

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

"""The catalog's YAML files: one reviewed file per plan, ``config/plans/ID.yaml``.

:func:`dump_plan` writes a plan for staff to read and edit (with a commented
header explaining each field); :func:`load_plan` reads it back, NFC-normalised.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from .catalog import INDICATOR, Item, Plan
from .errors import ConfigError
from .targets import Target
from .text import clean, is_code
from .yamlfile import read_yaml

# libyaml's loader when PyYAML has it: ten times faster on the catalog files.

__all__ = ["dump_plan", "load_plan", "write_plan"]


class _Flow(dict):
    pass


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Flow, lambda d, data: d.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True))

_HEADER = """\
# Danh mục chỉ tiêu của kế hoạch "{id}" (nhập từ {source}).
# Tệp này để cán bộ đọc, rà soát và sửa trực tiếp. Sau khi sửa, chạy:
#     reportgen catalog check --plan {id}
# - targets: mức chỉ tiêu theo năm (year) hoặc thời hạn (deadline); text là nguyên văn,
#   op là phép so sánh (">=", ">", "<=", "<", "=", "range"), value/value_max là con số.
# - reporters: mã cơ quan/nhóm phải báo cáo số liệu; monitor: cơ quan theo dõi, tổng hợp.
# - aggregate: cách tổng hợp số liệu nhiều đơn vị: single | sum | ratio | all | min | max.
# - review: các ghi chú cần rà soát; xoá từng dòng khi đã kiểm tra xong.
# - confirmed: [milestones] khi văn bản kế hoạch đúng là có mốc sau thấp hơn mốc trước.
# - same_as: "kế-hoạch|mã" khi là cùng một chỉ tiêu ở kế hoạch khác: cơ quan báo cáo cả hai chỉ điền một lần.
"""


def dump_plan(plan: Plan) -> str:
    data = {
        "plan": plan.id,
        "title": plan.title,
        "name": plan.name,
        "document": plan.document,
        "number": plan.number,
        "signed_on": plan.signed_on,
        "issuer": plan.issuer,
        "province": plan.province,
        "source": plan.source,
        "kind": plan.kind,
        "years": plan.years,
        "sections": plan.sections,
        "groups": plan.groups,
        "notes": plan.notes,
        "items": [_item_dict(i) for i in plan.items],
    }
    body = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=110)
    return _HEADER.format(id=plan.id, source=plan.source or "-") + body


def _item_dict(item: Item) -> dict:
    data: dict = {"code": item.code, "kind": item.kind, "section": item.section}
    if item.group:
        data["group"] = item.group
    data["name"] = item.name
    if item.kind == INDICATOR:
        data["unit"] = item.unit
        data["direction"] = item.direction
        if item.basis != "level":
            data["basis"] = item.basis
        data["targets"] = [_Flow(t.to_dict()) for t in item.targets]
    if item.deadline:
        data["deadline"] = item.deadline
    data["reporters_text"] = item.reporters_text
    data["implementers"] = item.implementers
    data["reporters"] = item.reporters
    data["monitor_text"] = item.monitor_text
    data["monitor"] = item.monitor
    if len(item.monitors) > 1:
        data["monitors"] = item.monitors
    data["aggregate"] = item.aggregate
    if item.note:
        data["note"] = item.note
    if item.review:
        data["review"] = item.review
    if item.confirmed:
        data["confirmed"] = item.confirmed
    if item.same_as:
        data["same_as"] = item.same_as
    return data


def write_plan(target: Path, plan: Plan) -> Path:
    """Write ``config/plans/ID.yaml`` whole, and only once its own loader reads it back: what an
    import writes never stops the catalog from loading."""
    from .atomic import write_whole

    def write(temp: Path) -> None:
        temp.write_text(dump_plan(plan), encoding="utf-8")
        load_plan(temp)

    return write_whole(target, write)


def load_plan(path: Path) -> Plan:
    """Read ``config/plans/ID.yaml``; every string is NFC-normalised."""
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError("not-a-mapping", file=str(path))
    plan_id = clean(data.get("plan") or path.stem)
    if not is_code(plan_id):
        raise ConfigError("bad-plan-id", file=str(path), code=plan_id)
    plan = Plan(
        id=plan_id,
        title=clean(data.get("title", "")),
        document=clean(data.get("document", "")),
        number=clean(data.get("number", "")),
        signed_on=clean(data.get("signed_on", "")),
        issuer=clean(data.get("issuer", "")),
        name=clean(data.get("name", "")) or clean(data.get("title", "")) or plan_id,
        province=clean(data.get("province", "")),
        source=clean(data.get("source", "")),
        kind=clean(data.get("kind", "milestone")),
        years=[int(y) for y in data.get("years") or []],
        sections={clean(k): clean(v) for k, v in (data.get("sections") or {}).items()},
        groups={clean(k): clean(v) for k, v in (data.get("groups") or {}).items()},
        notes=_strings(data.get("notes")),
    )
    for raw in data.get("items") or []:
        plan.items.append(_item_from(raw, plan_id, path))
    return plan


def _strings(values) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    return [clean(v) for v in values if clean(v)]


def _item_from(raw: dict, plan_id: str, path: Path) -> Item:
    if not isinstance(raw, dict) or not clean(raw.get("code", "")):
        raise ConfigError("missing-field", file=str(path), field="code", entry=raw)
    try:
        targets = [Target.from_dict(t) for t in raw.get("targets") or []]
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            "bad-value",
            file=str(path),
            field=f"targets ({raw.get('code')})",
            value=raw.get("targets"),
            hint="mỗi mức chỉ tiêu cần text, kind, op, value.",
        ) from exc
    return Item(
        plan=plan_id,
        code=clean(raw["code"]),
        name=clean(raw.get("name", "")),
        kind=clean(raw.get("kind", INDICATOR)),
        section=clean(raw.get("section", "")),
        group=clean(raw.get("group")) or None,
        unit=clean(raw.get("unit", "")),
        direction=clean(raw.get("direction", "higher")),
        basis=clean(raw.get("basis", "level")),
        targets=targets,
        deadline=clean(raw.get("deadline")) or None,
        implementers=_strings(raw.get("implementers")),
        reporters=_strings(raw.get("reporters")),
        monitor=clean(raw.get("monitor")) or None,
        monitors=_strings(raw.get("monitors")) or _strings(raw.get("monitor")),
        aggregate=clean(raw.get("aggregate", "single")),
        reporters_text=clean(raw.get("reporters_text", "")),
        monitor_text=clean(raw.get("monitor_text", "")),
        note=clean(raw.get("note", "")),
        review=_strings(raw.get("review")),
        confirmed=_strings(raw.get("confirmed")),
        same_as=clean(raw.get("same_as", "")),
    )

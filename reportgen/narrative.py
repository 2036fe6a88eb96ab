"""What the report says: findings with their figures, causes and the agencies concerned. Pure.

A leader reads two to four pages: what the period achieved (the most significant
results, with their change), what is behind and why (in the words of the agency
that gave the cause), the overdue tasks, who did not report, and proposals
addressed to the agencies the findings name. Nothing here is a fixed paragraph:
with no finding of a kind, its sentences are simply not there. The full list of
indicators stays in the appendix, and the body refers to it.

Every sentence of the report's body is written here, from an
:class:`~reportgen.overview.Overview`; the Word template only lays them out.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from datetime import date

from .catalog import Item
from .evaluate import (
    CAN_DANH_GIA,
    CHAM_TIEN_DO,
    CHUA_CO_SO_LIEU,
    CHUA_DAT,
    DA_DAT,
    DA_HOAN_THANH,
    DANG_THUC_HIEN,
    DAT,
    DUNG_TIEN_DO,
    QUA_HAN,
    VUOT,
    Status,
)
from .overview import Overview
from .text import format_number, format_percent, mid

__all__ = ["Findings", "findings", "GROUPS", "figure"]

# The statuses as a leader reads them, in this order (tasks are counted apart).
GROUPS = (
    ("achieved", "đã đạt hoặc vượt mục tiêu", (VUOT, DAT, DA_DAT)),
    ("on_track", "đúng tiến độ", (DUNG_TIEN_DO, DANG_THUC_HIEN)),
    ("behind", "chậm tiến độ", (CHAM_TIEN_DO,)),
    ("not_met", "chưa đạt", (CHUA_DAT,)),
    ("no_data", "chưa có số liệu hoặc chưa đủ minh chứng", (CHUA_CO_SO_LIEU, CAN_DANH_GIA)),
)
TASK_GROUPS = (
    ("done", "đã hoàn thành", (DA_HOAN_THANH,)),
    ("overdue", "quá hạn", (QUA_HAN,)),
    ("open", "đang thực hiện", (DANG_THUC_HIEN, CHUA_CO_SO_LIEU)),
)
ACHIEVED_SHOWN = 4  # the most significant results named in the body
BEHIND_SHOWN = 5  # the indicators behind named one by one
TASKS_SHOWN = 3  # the completed tasks named one by one
CAUSE_LENGTH = 220  # a cause quoted in the body, shortened to this many characters
APPENDIX = "chi tiết tại Phụ lục kèm theo"


@dataclass
class Findings:
    """The report's body, sentence by sentence."""

    overview: str
    achieved: list[str] = field(default_factory=list)
    achieved_more: str = ""
    tasks_done: list[str] = field(default_factory=list)
    tasks_more: str = ""
    behind: list[str] = field(default_factory=list)
    behind_more: str = ""
    overdue: list[str] = field(default_factory=list)
    reporting: list[str] = field(default_factory=list)
    proposals: list[str] = field(default_factory=list)


def figure(s: Status) -> str:
    """The figure as a sentence says it: "76,5%", "8.272 cán bộ", "Đạt" → "đạt"."""
    if s.value is None:
        return mid(s.value_text)
    number = format_number(round(s.value, 2))
    unit = s.unit.strip()
    if unit.startswith("%"):
        return number + "%" + (" " + unit[1:].strip() if unit[1:].strip() else "")
    return f"{number} {mid(unit)}".strip() if unit and len(unit) <= 30 else number


def _trend(s: Status) -> str:
    """The change since the previous period and last year, in words."""
    return s.trend.replace("↑ ", "tăng ").replace("↓ ", "giảm ")


def _signed(s: Status) -> date:
    """The date of the document that completed a task ("125/QĐ-UBND ngày 31/03/2026")."""
    found = re.search(r"(\d{1,2})/(\d{1,2})/(\d{4})", s.note or "")
    if found:
        try:
            return date(int(found[3]), int(found[2]), int(found[1]))
        except ValueError:
            pass
    return date.min


def given_causes(s: Status, names: dict[str, str]) -> str:
    """ " Nguyên nhân, giải pháp (theo báo cáo của Công an tỉnh: …)." or nothing."""
    given = causes(s, names)
    return " Nguyên nhân, giải pháp (theo báo cáo của " + "; ".join(given) + ")." if given else ""


def _when(s: Status) -> str:
    return mid(s.governing) if s.governing else ""


def _name(s: Status) -> str:
    """The indicator or task as a sentence names it, with its code."""
    return f"{s.name.strip().rstrip('.;:')} ({s.code})"


def _target(s: Status) -> str:
    """The target as a sentence says it: "Đạt tối thiểu 95%" → "tối thiểu 95%" (after "mục tiêu")."""
    text = s.target_text.strip()
    for verb in ("Đạt ", "đạt "):
        text = text.removeprefix(verb)
    return mid(text)


def _goal(s: Status, target: bool = True) -> str:
    """ "mục tiêu tối thiểu 95% (thường xuyên)"; a target of several parts is in the figure
    already ("giáo viên: 71,8%; học sinh: 53,7%") and in the appendix."""
    target_text = f" {_target(s)}" if target and s.target_text and len(s.parts) <= 1 else ""
    when = f" ({_when(s)})" if _when(s) else ""
    return f"mục tiêu{target_text}{when}"


def responsible(s: Status, names: dict[str, str]) -> str:
    """The agency a leader holds to account for an indicator: the one that monitors it, else
    the one that holds the figure."""
    code = s.monitor or s.lead or ""
    return names.get(code, code)


def _counts(statuses: list[Status], groups, noun: str) -> str:
    """ "3 chỉ tiêu đã đạt hoặc vượt mục tiêu, 5 đúng tiến độ": the noun once, with the first count."""
    parts: list[str] = []
    for _, label, members in groups:
        n = sum(1 for s in statuses if s.status in members)
        if n:
            parts.append(f"{n} {noun + ' ' if not parts else ''}{label}")
    return ", ".join(parts)


def findings(view: Overview, items: dict[tuple[str, str], Item], settings: dict, today: date) -> Findings:
    names = view.names
    indicators = [s for s in view.statuses if s.kind == "indicator"]
    tasks = [s for s in view.statuses if s.kind != "indicator"]
    plans = "; ".join(p.reference for p in view.plans)
    overview = (
        f"Kỳ báo cáo theo dõi {len(indicators)} chỉ tiêu"
        + (f" và {len(tasks)} nhiệm vụ" if tasks else "")
        + f" của {plans}. Đến nay, {_counts(indicators, GROUPS, 'chỉ tiêu') or 'chưa có chỉ tiêu nào được đánh giá'}"
        + (f"; về nhiệm vụ, {_counts(tasks, TASK_GROUPS, 'nhiệm vụ')}" if tasks else "")
        + f" ({APPENDIX})."
    )
    out = Findings(overview)
    _achieved(out, indicators, names)
    done = sorted((s for s in tasks if s.status == DA_HOAN_THANH), key=_signed, reverse=True)
    out.tasks_done = [f"{_name(s)}: văn bản {s.note}." if s.note else f"{_name(s)}." for s in done[:TASKS_SHOWN]]
    if len(done) > TASKS_SHOWN:
        out.tasks_more = (
            f"Lũy kế đến nay đã hoàn thành {len(done)}/{len(tasks)} nhiệm vụ; trên đây là {TASKS_SHOWN} nhiệm vụ "
            f"hoàn thành gần đây nhất ({APPENDIX})."
        )
    _behind(out, indicators, names)
    _overdue(out, tasks, items, names, today)
    _reporting(out, view, settings)
    _proposals(out, view, indicators, tasks, items, names, settings)
    return out


def _achieved(out: Findings, indicators: list[Status], names: dict[str, str]) -> None:
    good = [s for s in indicators if s.status in (VUOT, DAT, DA_DAT) and not s.doubts]
    # The most significant first: met at the deadline, then met early by the widest margin.
    good.sort(key=lambda s: (s.value is None, s.status == DA_DAT, -(s.completion_pct or 0), s.plan, s.code))
    verbs = {VUOT: "vượt", DAT: "đạt", DA_DAT: "đã đạt"}
    for s in good[:ACHIEVED_SHOWN]:
        change = f"; {_trend(s)}" if s.trend else ""
        if s.value is None:  # an assessment ("Đạt"): the agency's own, with its deadline
            out.achieved.append(f"{_name(s)}: {verbs[s.status]} {_goal(s, target=False)}{change}.")
        else:
            out.achieved.append(f"{_name(s)}: {figure(s)}, {verbs[s.status]} {_goal(s)}{change}.")
    if len(good) > ACHIEVED_SHOWN:
        out.achieved_more = (
            f"Ngoài ra, {len(good) - ACHIEVED_SHOWN} chỉ tiêu khác đã đạt hoặc vượt mục tiêu ({APPENDIX})."
        )


def causes(s: Status, names: dict[str, str]) -> list[str]:
    """The causes the agencies gave for an indicator, shortened, each with the agency's name."""
    out = []
    for values in s.contributions.values():
        for v in values:
            if v.cause:
                text = textwrap.shorten(v.cause, CAUSE_LENGTH, placeholder="…").rstrip(".")
                out.append(f"{names.get(v.agency, v.agency)}: {mid(text)}")
    return out


def _lowest(s: Status, names: dict[str, str]) -> str:
    """For a figure many units report, the units furthest behind."""
    if s.aggregate_rule not in ("ratio", "sum") or s.reporters_expected < 3:
        return ""
    shares = []
    for values in s.contributions.values():
        for v in values:
            if s.aggregate_rule == "ratio" and v.numerator is not None and v.denominator:
                shares.append((v.numerator / v.denominator * 100, v.agency))
    if len(shares) < 3:
        return ""
    shares.sort()
    low = ", ".join(f"{names.get(a, a)} {format_percent(p, 1)}" for p, a in shares[:3])
    return f" Thấp nhất: {low}."


def _behind(out: Findings, indicators: list[Status], names: dict[str, str]) -> None:
    late = [s for s in indicators if s.status in (CHUA_DAT, CHAM_TIEN_DO) and not s.doubts]
    late.sort(key=lambda s: (s.status != CHUA_DAT, s.completion_pct if s.completion_pct is not None else 999, s.code))
    for s in late[:BEHIND_SHOWN]:
        reached = f"bằng {format_percent(s.completion_pct, 1)} mục tiêu, " if s.completion_pct is not None else ""
        state = "chưa đạt" if s.status == CHUA_DAT else "chậm tiến độ so với"
        lead = responsible(s, names)
        change = f"; {_trend(s)}" if s.trend else ""
        sentence = f"{_name(s)}: {figure(s)}, {reached}{state} {_goal(s)}{change}"
        sentence += (f"; cơ quan chủ trì: {lead}." if lead else ".") + _lowest(s, names)
        sentence += given_causes(s, names)
        out.behind.append(sentence.replace("..", "."))
    silent = [s.code for s in late[:BEHIND_SHOWN] if not causes(s, names)]
    more = len(late) - BEHIND_SHOWN
    if more > 0:
        out.behind_more = f"Ngoài ra, {more} chỉ tiêu khác chậm tiến độ hoặc chưa đạt ({APPENDIX})."
    if silent:
        out.behind_more += (" " if out.behind_more else "") + (
            f"Chưa có cơ quan nào báo cáo nguyên nhân của {_codes(silent, 'chỉ tiêu')}."
        )


def _lead(item: Item | None, s: Status, names: dict[str, str]) -> str:
    if item is not None and item.reporters:
        return ", ".join(names.get(code, code) for code in item.reporters[:3])
    return names.get(s.monitor or "", "")


def _overdue(out: Findings, tasks: list[Status], items, names: dict[str, str], today: date) -> None:
    for s in tasks:
        if s.status != QUA_HAN:
            continue
        days = (today - s.due).days if s.due else 0
        lead = _lead(items.get((s.plan, s.code)), s, names)
        out.overdue.append(
            f"{_name(s)}: thời hạn {_when(s)}, quá hạn {days} ngày; cơ quan chủ trì: {lead}." + given_causes(s, names)
        )


def _reporting(out: Findings, view: Overview, settings: dict) -> None:
    own = settings.get("office.issuer_code", "")
    missing = [a.name for a in view.agencies if a.missing and a.code != own]
    late = [a.name for a in view.agencies if a.late]
    short = sorted((a for a in view.agencies if a.state == "partial"), key=lambda a: (-a.unfilled, a.name))
    partial = [f"{a.name} ({a.unfilled} dòng)" for a in short[:3]]
    if len(short) > 3:
        partial.append(f"{len(short) - 3} cơ quan, đơn vị khác")
    if missing:
        out.reporting.append(f"Chưa gửi báo cáo ({len(missing)}): {', '.join(missing)}.")
    if late:
        out.reporting.append(f"Gửi báo cáo muộn ({len(late)}): {', '.join(late)}.")
    if partial:
        out.reporting.append(
            f"Báo cáo còn thiếu số liệu ({len(short)}, tổng {sum(a.unfilled for a in short)} dòng chưa điền), "
            f"nhiều nhất: {', '.join(partial)}."
        )
    if not out.reporting and view.agencies:
        out.reporting.append("Các cơ quan, đơn vị đều gửi báo cáo đầy đủ, đúng hạn.")


def _proposals(out: Findings, view: Overview, indicators, tasks, items, names, settings: dict) -> None:
    """Proposals addressed to the agencies the findings name, one per agency; none without a
    finding. What falls to the reporting office itself is what it will do, not a request."""
    own_name = settings.get("office.issuer_name", "")
    behind: dict[str, list[str]] = {}
    for s in indicators:
        if s.status in (CHUA_DAT, CHAM_TIEN_DO) and not s.doubts and responsible(s, names):
            behind.setdefault(responsible(s, names), []).append(s.code)
    if behind:
        ranked = sorted(behind.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        listed = "; ".join(f"{lead} ({_codes(codes, 'chỉ tiêu', 5)})" for lead, codes in ranked)
        out.proposals.append(
            "Đề nghị các cơ quan chủ trì chỉ đạo, đôn đốc thực hiện các chỉ tiêu chậm tiến độ, chưa đạt; "
            f"báo cáo rõ nguyên nhân, giải pháp và thời gian đạt mục tiêu trong kỳ tới: {listed}."
        )
    asks: dict[str, list[str]] = {}
    overdue: dict[str, list[str]] = {}
    for s in tasks:
        if s.status == QUA_HAN:
            overdue.setdefault(_lead(items.get((s.plan, s.code)), s, names), []).append(s.code)
    for lead, codes in overdue.items():
        asks.setdefault(lead, []).append(
            f"khẩn trương hoàn thành, trình ban hành văn bản của {_codes(codes, 'nhiệm vụ')}"
        )
    for lead, what in sorted(asks.items(), key=lambda kv: (kv[0] == own_name, kv[0])):
        if lead == own_name:
            out.proposals.append(f"{own_name} {'; '.join(what)}.")
        else:
            out.proposals.append(f"Đề nghị {lead} {'; '.join(what)}.")
    own = settings.get("office.issuer_code", "")
    missing = [a.name for a in view.agencies if a.missing and a.code != own]
    if missing:
        few = ", ".join(missing[:6]) + (f" và {len(missing) - 6} cơ quan, đơn vị khác" if len(missing) > 6 else "")
        out.proposals.append(f"Đề nghị {few} gửi báo cáo {mid(view.period.label)} về {own_name} để tổng hợp.")
    doubtful = [s.code for s in indicators if s.doubts]
    if doubtful:
        out.proposals.append(
            f"Đề nghị các cơ quan, đơn vị báo cáo xác minh lại số liệu {_codes(doubtful, 'chỉ tiêu')} "
            "trước khi đánh giá."
        )


def _codes(codes: list[str], kind: str, shown: int = 8) -> str:
    """ "chỉ tiêu III.4", "các nhiệm vụ II.3, II.5 và 3 nhiệm vụ khác"."""
    listed = ", ".join(codes[:shown]) + (f" và {len(codes) - shown} {kind} khác" if len(codes) > shown else "")
    return f"{kind} {listed}" if len(codes) == 1 else f"các {kind} {listed}"

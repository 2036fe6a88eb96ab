"""What the report says: findings with their figures, causes and the agencies concerned. Pure.

A leader reads two to four pages: what the period achieved (the most significant
results, with their change), what is behind and why (in the words of the agency
that gave the cause), the overdue tasks, who did not report, and proposals
addressed to UBND tỉnh and to the agencies the findings name. Nothing here is a
fixed paragraph: with no finding of a kind, its sentences are simply not there.
The full lists stay in the appendix, and the body refers to it; whatever the size
of the province, every list of the body is capped.

Every sentence of the report's body is written here, from an
:class:`~reportgen.overview.Overview`; the Word template only lays them out.
Indicators are named by their (shortened) name, with their plan when the report
covers several plans (codes such as II.5 exist in both) and their code. A figure
carried from an earlier month says whose it is and from when, and is never said
to be "unchanged".
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
    CHUA_DU_SO_LIEU,
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
from .text import format_number, format_percent, mid, shown_target

__all__ = ["Findings", "findings", "GROUPS", "figure", "Writer"]

# The statuses in the order a leader reads them, one count each: the same counts as `status` prints.
GROUPS = tuple(
    (status, mid(status), (status,))
    for status in (
        VUOT,
        DAT,
        DA_DAT,
        DUNG_TIEN_DO,
        DANG_THUC_HIEN,
        CHAM_TIEN_DO,
        CHUA_DAT,
        CAN_DANH_GIA,
        CHUA_DU_SO_LIEU,
        CHUA_CO_SO_LIEU,
    )
)
TASK_GROUPS = (
    ("done", "đã hoàn thành", (DA_HOAN_THANH,)),
    ("overdue", "quá hạn", (QUA_HAN,)),
    ("in_progress", "đang thực hiện", (DANG_THUC_HIEN,)),
    ("no_data", "chưa có số liệu", (CHUA_CO_SO_LIEU,)),
)
ACHIEVED_SHOWN = 4  # the most significant results named in the body
BEHIND_SHOWN = 5  # the indicators behind named one by one
TASKS_SHOWN = 3  # the completed tasks named one by one
OVERDUE_SHOWN = 3  # the overdue tasks named one by one
QUESTIONED_SHOWN = 5  # the figures to verify named one by one
NAMES_SHOWN = 10  # agencies named in one list of the body; the others are counted (all: the appendix)
NAME_LENGTH = 75  # an indicator's name in the body is shortened to this many characters
CAUSE_LENGTH = 220  # a cause quoted in the body, shortened to this many characters
CAUSES_SHOWN = 2  # the agencies whose cause is quoted for one indicator
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
    questioned: list[str] = field(default_factory=list)
    reporting: list[str] = field(default_factory=list)
    proposals: list[str] = field(default_factory=list)


def _figure(s: Status) -> str:
    if s.value is None:
        return mid(s.value_text)
    number = format_number(round(s.value, 2))
    unit = s.unit.strip()
    if unit.startswith("%"):
        return number + "%" + (" " + unit[1:].strip() if unit[1:].strip() else "")
    return f"{number} {mid(unit)}".strip() if unit and len(unit) <= 30 else number


def figure(s: Status, names: dict[str, str] | None = None) -> str:
    """The figure as a sentence says it: "76,5%", "8.272 cán bộ", "Đạt" → "đạt"; a figure carried from
    an earlier month says whose it is and from when.

    >>> figure(Status("p", "I.1", "x", "% GRDP", "I", "indicator", "Đạt", "", "", None, False, 2.7, None, False,
    ...               1, 1, [], "single", None, None))
    '2,7% GRDP'
    """
    carried = f" ({s.carried_from(names or {})})" if s.carried else ""
    return _figure(s) + carried


def _trend(s: Status) -> str:
    """The change since the previous period and last year, in words (none for a carried figure)."""
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


def _when(s: Status) -> str:
    return mid(s.governing) if s.governing else ""


def _target(s: Status) -> str:
    """The target as a sentence says it: "Đạt tối thiểu 95%" → "tối thiểu 95%" (after "mục tiêu")."""
    text = shown_target(s.target_text.strip())
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
    """The agency a leader holds to account for an indicator: the one that monitors it (cơ quan theo
    dõi), else the one that holds the figure."""
    code = s.monitor or s.lead or ""
    return names.get(code, code)


def _counts(statuses: list[Status], groups, noun: str) -> str:
    """ "3 chỉ tiêu vượt, 5 đạt": the noun once, with the first count; the same counts as `status`."""
    parts: list[str] = []
    for _, label, members in groups:
        n = sum(1 for s in statuses if s.status in members)
        if n:
            parts.append(f"{n} {noun + ' ' if not parts else ''}{label}")
    return ", ".join(parts)


def _listed(names: list[str], shown: int = NAMES_SHOWN) -> str:
    """A list of agencies in the body: the first ``shown``, then how many others (all in the appendix).

    >>> _listed(["A", "B"]), _listed([str(n) for n in range(13)], 3)
    ('A, B', '0, 1, 2 và 10 cơ quan, đơn vị khác (danh sách tại Phụ lục)')
    """
    if len(names) <= shown:
        return ", ".join(names)
    return ", ".join(names[:shown]) + f" và {len(names) - shown} cơ quan, đơn vị khác (danh sách tại Phụ lục)"


@dataclass
class Writer:
    """Writes the sentences of one report: knows the agencies' names, and the plans' short names
    when the report covers several plans."""

    names: dict[str, str]
    shorts: dict[str, str] = field(default_factory=dict)

    def name(self, s: Status) -> str:
        """An indicator or a task as a sentence names it: its name (shortened), its plan when the
        report covers several, and its code."""
        name = textwrap.shorten(s.name.strip().rstrip(".;:"), NAME_LENGTH, placeholder="…")
        plan = self.shorts.get(s.plan)
        return f"{name} ({plan}, {s.code})" if plan else f"{name} ({s.code})"

    def short(self, s: Status, length: int = 60) -> str:
        """An indicator in a list: a short name and its code, "tỷ lệ hồ sơ sức khoẻ điện tử… (I.7.3)"."""
        name = mid(textwrap.shorten(s.name.strip().rstrip(".;:"), length, placeholder="…"))
        plan = self.shorts.get(s.plan)
        return f"{name} ({plan}, {s.code})" if plan else f"{name} ({s.code})"

    def figure(self, s: Status) -> str:
        return figure(s, self.names)

    def causes(self, s: Status) -> list[str]:
        """The causes the agencies gave for an indicator, shortened, each with the agency's name."""
        out = []
        for values in s.contributions.values():
            for v in values:
                if v.cause:
                    text = textwrap.shorten(v.cause, CAUSE_LENGTH, placeholder="…").rstrip(".")
                    out.append(f"{self.names.get(v.agency, v.agency)}: {mid(text)}")
        return out

    def given_causes(self, s: Status) -> str:
        """ " Nguyên nhân, giải pháp (theo báo cáo của Công an tỉnh: …)." or nothing; at most
        CAUSES_SHOWN agencies quoted, the others counted (their words: the appendix and `explain`)."""
        given = self.causes(s)
        if not given:
            return ""
        more = f"; {len(given) - CAUSES_SHOWN} đơn vị khác cũng nêu nguyên nhân" if len(given) > CAUSES_SHOWN else ""
        return " Nguyên nhân, giải pháp (theo báo cáo của " + "; ".join(given[:CAUSES_SHOWN]) + more + ")."

    def lowest(self, s: Status) -> str:
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
        low = ", ".join(f"{self.names.get(a, a)} {format_percent(p, 1)}" for p, a in shares[:3])
        return f" Thấp nhất: {low}."

    def implementers(self, item: Item | None, s: Status) -> str:
        """The agencies that carry a task out (cơ quan chủ trì), by their registered names."""
        if item is not None and item.reporters:
            return ", ".join(self.names.get(code, code) for code in item.reporters[:3])
        return self.names.get(s.monitor or "", "")


def findings(view: Overview, items: dict[tuple[str, str], Item], settings: dict, today: date) -> Findings:
    write = Writer(view.names, {p.id: p.short for p in view.plans} if len(view.plans) > 1 else {})
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
    _achieved(out, indicators, write)
    done = sorted((s for s in tasks if s.status == DA_HOAN_THANH), key=_signed, reverse=True)
    out.tasks_done = [
        f"{write.name(s)}: văn bản {s.note}." if s.note else f"{write.name(s)}." for s in done[:TASKS_SHOWN]
    ]
    if len(done) > TASKS_SHOWN:
        out.tasks_more = (
            f"Lũy kế đến nay đã hoàn thành {len(done)}/{len(tasks)} nhiệm vụ; trên đây là {TASKS_SHOWN} nhiệm vụ "
            f"hoàn thành gần đây nhất ({APPENDIX})."
        )
    _behind(out, indicators, write)
    _overdue(out, tasks, items, write, today)
    _questioned(out, indicators, write)
    _reporting(out, view, settings)
    _proposals(out, view, indicators, tasks, items, write, settings)
    return out


def _achieved(out: Findings, indicators: list[Status], write: Writer) -> None:
    good = [s for s in indicators if s.status in (VUOT, DAT, DA_DAT) and not s.doubts]
    # The most significant first: figures of this period before carried ones, met at the deadline,
    # then met early by the widest margin.
    good.sort(key=lambda s: (s.carried, s.value is None, s.status == DA_DAT, -(s.completion_pct or 0), s.plan, s.code))
    verbs = {VUOT: "vượt", DAT: "đạt", DA_DAT: "đã đạt"}
    for s in good[:ACHIEVED_SHOWN]:
        change = f"; {_trend(s)}" if s.trend else ""
        if s.value is None:  # an assessment ("Đạt"): the agency's own, with its deadline
            out.achieved.append(f"{write.name(s)}: {verbs[s.status]} {_goal(s, target=False)}{change}.")
        else:
            out.achieved.append(f"{write.name(s)}: {write.figure(s)}, {verbs[s.status]} {_goal(s)}{change}.")
    if len(good) > ACHIEVED_SHOWN:
        out.achieved_more = (
            f"Ngoài ra, {len(good) - ACHIEVED_SHOWN} chỉ tiêu khác đã đạt hoặc vượt mục tiêu ({APPENDIX})."
        )


def _behind(out: Findings, indicators: list[Status], write: Writer) -> None:
    late = [s for s in indicators if s.status in (CHUA_DAT, CHAM_TIEN_DO) and not s.doubts]
    # this period's figures before figures carried from an earlier month; not met before behind; worst first
    late.sort(
        key=lambda s: (
            s.carried,
            s.status != CHUA_DAT,
            s.completion_pct if s.completion_pct is not None else 999,
            s.code,
        )
    )
    for s in late[:BEHIND_SHOWN]:
        reached = f"bằng {format_percent(s.completion_pct, 1)} mục tiêu, " if s.completion_pct is not None else ""
        state = "chưa đạt" if s.status == CHUA_DAT else "chậm tiến độ so với"
        lead = responsible(s, write.names)
        change = f"; {_trend(s)}" if s.trend else ""
        sentence = f"{write.name(s)}: {write.figure(s)}, {reached}{state} {_goal(s)}{change}"
        sentence += (f"; cơ quan theo dõi: {lead}." if lead else ".") + write.lowest(s)
        sentence += write.given_causes(s)
        out.behind.append(sentence.replace("..", "."))
    named = late[:BEHIND_SHOWN]
    silent = [s for s in named if not write.causes(s)]
    more = len(late) - BEHIND_SHOWN
    if more > 0:
        out.behind_more = f"Ngoài ra, {more} chỉ tiêu khác chậm tiến độ hoặc chưa đạt ({APPENDIX})."
    if silent:
        if len(named) == 1:
            which = "chỉ tiêu nêu trên"
        elif len(silent) == 1:
            which = f"chỉ tiêu {write.short(silent[0])}"
        else:
            which = f"{len(silent)}/{len(named)} chỉ tiêu nêu trên ({', '.join(s.code for s in silent)})"
        out.behind_more += (" " if out.behind_more else "") + f"Chưa có cơ quan nào báo cáo nguyên nhân của {which}."


def _overdue(out: Findings, tasks: list[Status], items, write: Writer, today: date) -> None:
    overdue = [s for s in tasks if s.status == QUA_HAN]
    overdue.sort(key=lambda s: (s.due or date.max, s.plan, s.code))
    for s in overdue[:OVERDUE_SHOWN]:
        days = (today - s.due).days if s.due else 0
        lead = write.implementers(items.get((s.plan, s.code)), s)
        out.overdue.append(
            f"{write.name(s)}: thời hạn {_when(s)}, quá hạn {days} ngày; cơ quan chủ trì: {lead}."
            + write.given_causes(s)
        )
    if len(overdue) > OVERDUE_SHOWN:
        out.overdue.append(f"Ngoài ra, {len(overdue) - OVERDUE_SHOWN} nhiệm vụ khác quá hạn ({APPENDIX}).")


def _questioned(out: Findings, indicators: list[Status], write: Writer) -> None:
    doubtful = [s for s in indicators if s.doubts]
    out.questioned = [f"{write.name(s)}: {write.figure(s)}. {' '.join(s.doubts)}" for s in doubtful[:QUESTIONED_SHOWN]]
    if len(doubtful) > QUESTIONED_SHOWN:
        out.questioned.append(f"Ngoài ra, {len(doubtful) - QUESTIONED_SHOWN} số liệu khác cần xác minh ({APPENDIX}).")


def _reporting(out: Findings, view: Overview, settings: dict) -> None:
    own = settings.get("office.issuer_code", "")
    missing = [a.name for a in view.agencies if a.missing and a.code != own]
    late = [a.name for a in view.agencies if a.late]
    short = sorted((a for a in view.agencies if a.state == "partial"), key=lambda a: (-a.unfilled, a.name))
    partial = [f"{a.name} ({a.unfilled} dòng)" for a in short[:3]]
    if len(short) > 3:
        partial.append(f"{len(short) - 3} cơ quan, đơn vị khác")
    if missing:
        out.reporting.append(f"Chưa gửi báo cáo ({len(missing)}): {_listed(missing)}.")
    if late:
        out.reporting.append(f"Gửi báo cáo muộn ({len(late)}): {_listed(late)}.")
    if partial:
        out.reporting.append(
            f"Báo cáo còn thiếu số liệu ({len(short)}, tổng {sum(a.unfilled for a in short)} dòng chưa điền), "
            f"nhiều nhất: {', '.join(partial)}."
        )
    if view.signed_corrections:
        by = sorted(
            {f"{view.names.get(f['agency'], f['agency'])} ({_month(f['period'])})" for f in view.signed_corrections}
        )
        office = settings.get("office.issuer_name", "Sở")
        out.reporting.append(
            f"Có {len(view.signed_corrections)} tệp đính chính cho kỳ đã ký đang được giữ lại, chờ {office} xem xét "
            f"mở lại kỳ: {_listed(by)}."
        )
    if view.corrections:
        out.reporting.append(
            f"Có {len(view.corrections)} tệp đính chính gửi sau khi kỳ đã lập báo cáo (nêu trong báo cáo này)."
        )
    if not out.reporting and view.agencies:
        out.reporting.append("Các cơ quan, đơn vị đều gửi báo cáo đầy đủ, đúng hạn.")


def _month(period: str | None) -> str:
    from .periods import Period

    return mid(Period.parse(period).label) if period else ""


def _proposals(out: Findings, view: Overview, indicators, tasks, items, write: Writer, settings: dict) -> None:
    """Proposals addressed to UBND tỉnh (the report's recipient) and to the agencies the findings
    name; none without a finding. What falls to the reporting office itself is what it will do."""
    own_name = settings.get("office.issuer_name", "")
    superior = settings.get("report.report_to", "Ủy ban nhân dân tỉnh")
    behind: dict[str, list[Status]] = {}
    for s in indicators:
        if s.status in (CHUA_DAT, CHAM_TIEN_DO) and not s.doubts and responsible(s, write.names):
            behind.setdefault(responsible(s, write.names), []).append(s)
    if behind:
        ranked = sorted(behind.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        agencies = _listed([lead for lead, _ in ranked], 6)
        out.proposals.append(
            f"Đề nghị {superior} chỉ đạo {agencies} tập trung thực hiện các chỉ tiêu chậm tiến độ, chưa đạt do cơ "
            "quan mình theo dõi, báo cáo rõ nguyên nhân, giải pháp và thời gian đạt mục tiêu trong kỳ tới."
        )
        for lead, statuses in [kv for kv in ranked if kv[0] != own_name][:2]:
            worst = write.short(statuses[0])
            count = f"{len(statuses)} chỉ tiêu do cơ quan theo dõi, trước hết là" if len(statuses) > 1 else "chỉ tiêu"
            out.proposals.append(f"Đề nghị {lead} có giải pháp đẩy nhanh tiến độ {count} {worst}.")
    overdue: dict[str, list[Status]] = {}
    for s in tasks:
        if s.status == QUA_HAN:
            overdue.setdefault(write.implementers(items.get((s.plan, s.code)), s), []).append(s)
    for lead, statuses in sorted(overdue.items(), key=lambda kv: (kv[0] == own_name, kv[0])):
        shown = _several([write.short(s) for s in statuses[:1]], "nhiệm vụ", len(statuses))
        if lead == own_name:  # the office's own commitment, not an order to itself
            out.proposals.append(f"{own_name} sẽ khẩn trương hoàn thành, trình ban hành văn bản của {shown}.")
        else:
            out.proposals.append(f"Đề nghị {lead} khẩn trương hoàn thành, trình ban hành văn bản của {shown}.")
    own = settings.get("office.issuer_code", "")
    missing = [a.name for a in view.agencies if a.missing and a.code != own]
    if missing:
        out.proposals.append(
            f"Đề nghị {superior} nhắc nhở {_listed(missing, 6)} gửi báo cáo {mid(view.period.label)} về {own_name} "
            "để tổng hợp."
        )
    doubtful = [s for s in indicators if s.doubts]
    if doubtful:
        shown = _several([write.short(s) for s in doubtful[:3]], "chỉ tiêu", len(doubtful))
        out.proposals.append(f"Đề nghị các cơ quan, đơn vị báo cáo xác minh lại số liệu {shown} trước khi đánh giá.")


def _several(shown: list[str], kind: str, total: int | None = None) -> str:
    """ "chỉ tiêu tỷ lệ … (I.7.3)", "các chỉ tiêu a, b và 3 chỉ tiêu khác".

    >>> _several(["a (I.1)"], "chỉ tiêu"), _several(["a", "b"], "nhiệm vụ", 5)
    ('chỉ tiêu a (I.1)', 'các nhiệm vụ a; b và 3 nhiệm vụ khác')
    """
    total = len(shown) if total is None else total
    listed = "; ".join(shown) + (f" và {total - len(shown)} {kind} khác" if total > len(shown) else "")
    return f"{kind} {listed}" if total == 1 else f"các {kind} {listed}"

"""Charts for the report, drawn with matplotlib as PNG bytes at a fixed DPI.

DejaVu Sans ships with matplotlib and has every Vietnamese letter, so labels
render the same on every machine (no missing-glyph boxes).
"""

from __future__ import annotations

import io
import textwrap

import matplotlib

matplotlib.use("Agg")

from matplotlib import pyplot as plt  # noqa: E402

from .evaluate import (  # noqa: E402
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

__all__ = ["DPI", "status_by_section", "behind_progress", "trend_lines", "COLOURS", "print_width"]

DPI = 150
FONT = "DejaVu Sans"
COLOURS = {
    VUOT: "#1a7f37",
    DAT: "#4caf50",
    DA_DAT: "#81c784",
    DA_HOAN_THANH: "#4caf50",
    DUNG_TIEN_DO: "#4fc3f7",
    DANG_THUC_HIEN: "#ffd54f",
    CAN_DANH_GIA: "#ffb74d",
    CHAM_TIEN_DO: "#ef6c00",
    CHUA_DAT: "#c62828",
    QUA_HAN: "#8e0000",
    CHUA_CO_SO_LIEU: "#bdbdbd",
    CHUA_DU_SO_LIEU: "#d7ccc8",
}
ORDER = [
    VUOT,
    DAT,
    DA_DAT,
    DA_HOAN_THANH,
    DUNG_TIEN_DO,
    DANG_THUC_HIEN,
    CAN_DANH_GIA,
    CHAM_TIEN_DO,
    CHUA_DAT,
    QUA_HAN,
    CHUA_DU_SO_LIEU,
    CHUA_CO_SO_LIEU,
]


# Charts are drawn at the size they print (the landscape appendix's text width), so that a
# point in matplotlib is a point on paper: no label prints below MIN_FONT.
PRINT_WIDTH_MM = 240.0
WIDTH = PRINT_WIDTH_MM / 25.4  # inches
MAX_HEIGHT = 5.9  # inches: a landscape A4 page less its margins and the caption
FONT_SIZE = 10.5
MIN_FONT = 9.5
WRAP = 58  # characters per label line


def print_width():
    """The width a chart is placed at in the report (python-docx Length)."""
    from docx.shared import Mm

    return Mm(PRINT_WIDTH_MM)


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)  # no tight bbox: the picture keeps its print size
    plt.close(figure)
    return buffer.getvalue()


def _wrap(label: str, width: int = WRAP) -> str:
    """A label on as many lines as it needs, never cut."""
    return "\n".join(textwrap.wrap(label, width)) or label


def _rows_height(labels: list[str], base: float = 1.3, per_line: float = 0.19, gap: float = 0.16) -> float:
    """Room for every label's lines, up to the page (callers drop rows rather than crowd them)."""
    return min(MAX_HEIGHT, base + sum(per_line * (label.count("\n") + 1) + gap for label in labels))


def _style():
    return plt.rc_context({"font.family": FONT, "font.size": FONT_SIZE})


def status_by_section(groups: list[tuple[str, list[Status]]]) -> bytes | None:
    """A stacked bar per section: how many indicators in each status."""
    figure = draw_sections(groups)
    return None if figure is None else _png(figure)


def draw_sections(groups: list[tuple[str, list[Status]]]):
    groups = [(label, items) for label, items in groups if items]
    if not groups:
        return None
    with _style():
        labels = [_wrap(label) for label, _ in groups]
        figure, axis = plt.subplots(figsize=(WIDTH, _rows_height(labels, base=1.8)), layout="constrained")
        positions = range(len(groups))
        left = [0] * len(groups)
        for status in ORDER:
            counts = [sum(1 for s in items if s.status == status) for _, items in groups]
            if not any(counts):
                continue
            axis.barh(positions, counts, left=left, color=COLOURS[status], label=status, edgecolor="white")
            for y, (x0, n) in enumerate(zip(left, counts, strict=False)):
                if n:
                    axis.text(x0 + n / 2, y, str(n), ha="center", va="center", fontsize=FONT_SIZE - 0.5)
            left = [a + b for a, b in zip(left, counts, strict=False)]
        axis.set_yticks(list(positions), labels)
        axis.invert_yaxis()
        axis.set_xlim(0, max(left) * 1.05 or 1)
        axis.set_xlabel("Số chỉ tiêu")
        figure.legend(loc="outside lower center", ncol=4, frameon=False)
        axis.spines[["top", "right"]].set_visible(False)
        return figure


BEHIND_SHOWN = 12


def behind_progress(items: list[tuple[str, float]]) -> bytes | None:
    """Completion (% of target) of the indicators behind or not met, against 100 %."""
    figure = draw_behind(items)
    return None if figure is None else _png(figure)


def draw_behind(items: list[tuple[str, float]]):
    items = [(label, pct) for label, pct in items if pct is not None][:BEHIND_SHOWN]
    if not items:
        return None
    while len(items) > 1 and _rows_height([_wrap(label) for label, _ in items]) >= MAX_HEIGHT:
        items = items[:-1]  # the furthest behind first: as many as the page holds without crowding
    with _style():
        labels = [_wrap(label) for label, _ in items]
        figure, axis = plt.subplots(figsize=(WIDTH, _rows_height(labels)), layout="constrained")
        top = max(100.0, max(pct for _, pct in items))
        axis.barh(range(len(items)), [pct for _, pct in items], color=COLOURS[CHAM_TIEN_DO])
        for y, (_, pct) in enumerate(items):
            axis.text(pct + top * 0.01, y, f"{pct:.0f}%".replace(".", ","), va="center")
        axis.axvline(100, color="#1a7f37", linestyle="--", linewidth=1)
        axis.text(100, -0.7, "Mục tiêu", color="#1a7f37", ha="center", va="bottom")
        axis.set_yticks(range(len(items)), labels)
        axis.invert_yaxis()
        axis.set_xlim(0, top * 1.12)  # fitted to the data: the target line and room for the figures
        axis.set_xlabel("Tỷ lệ hoàn thành so với mục tiêu (%)")
        axis.spines[["top", "right"]].set_visible(False)
        return figure


def trend_lines(panels: list) -> bytes | None:
    """Main indicators month by month (points) against the straight line to their target (dashed)
    and the target itself (dotted).

    Each panel is (title, unit, [(month label, value)], [(month label, value on the line)], target):
    the line stops at the deadline, the target may be None (a target that is not a number).
    """
    figure = draw_trend(panels)
    return None if figure is None else _png(figure)


def drawable(panels: list) -> list:
    """The panels a trend chart draws: those with two points or more, six at most."""
    return [p for p in panels if sum(1 for _, v in p[2] if v is not None) >= 2][:6]


def draw_trend(panels):
    panels = drawable(panels)
    if not panels:
        return None
    columns = min(3, len(panels))
    rows = -(-len(panels) // columns)
    with _style():
        titles = [_wrap(title, 32 if columns == 3 else 50) for title, *_ in panels]
        title_lines = max(t.count("\n") + 1 for t in titles)
        height = min(MAX_HEIGHT, rows * (1.9 + 0.2 * title_lines) + 0.5)
        figure, axes = plt.subplots(rows, columns, figsize=(WIDTH, height), squeeze=False, layout="constrained")
        for axis, title, (_, unit, values, line, target) in zip(axes.flat, titles, panels, strict=False):
            labels = [label for label, _ in values]
            axis.plot(range(len(labels)), [v for _, v in values], marker="o", color="#1f4e79", label="Thực hiện")
            positions = {label: i for i, label in enumerate(labels)}
            axis.plot(
                [positions[m] for m, _ in line if m in positions],
                [v for m, v in line if m in positions],
                linestyle="--",
                color="#1a7f37",
                label="Lộ trình đến mục tiêu",
            )
            if target is not None:
                axis.axhline(target, linestyle=":", color="#c62828", linewidth=1.2, label="Mục tiêu")
            if unit.strip().startswith("%"):  # a rate: from zero, so that two points do not look like a surge
                top = max([target or 0.0, *(v for _, v in values if v is not None)])
                axis.set_ylim(0, max(100.0, top * 1.05) if top > 60 else top * 1.2 or 1)
            axis.set_title(title, fontsize=FONT_SIZE)
            step = max(1, -(-len(labels) // 6))  # at most six month labels: they never overlap
            axis.set_xticks(range(0, len(labels), step), labels[::step])
            axis.set_ylabel(_wrap(unit, 24))
            axis.spines[["top", "right"]].set_visible(False)
        for axis in list(axes.flat)[len(panels) :]:
            axis.set_visible(False)
        legend: dict = {}
        for axis in axes.flat:
            for handle, name in zip(*axis.get_legend_handles_labels(), strict=True):
                legend.setdefault(name, handle)
        figure.legend(list(legend.values()), list(legend), loc="outside lower center", ncol=3, frameon=False)
        return figure

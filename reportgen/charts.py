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
    DA_DAT,
    DA_HOAN_THANH,
    DANG_THUC_HIEN,
    DAT,
    DUNG_TIEN_DO,
    QUA_HAN,
    VUOT,
    Status,
)

__all__ = ["DPI", "status_by_section", "behind_progress", "COLOURS"]

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
    CHUA_CO_SO_LIEU,
]


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def status_by_section(groups: list[tuple[str, list[Status]]]) -> bytes | None:
    """A stacked bar per section: how many indicators in each status."""
    groups = [(label, items) for label, items in groups if items]
    if not groups:
        return None
    with plt.rc_context({"font.family": FONT, "font.size": 9}):
        height = 1.2 + 0.45 * len(groups)
        figure, axis = plt.subplots(figsize=(7.0, height))
        labels = [textwrap.shorten(label, 48, placeholder="…") for label, _ in groups]
        positions = range(len(groups))
        left = [0] * len(groups)
        for status in ORDER:
            counts = [sum(1 for s in items if s.status == status) for _, items in groups]
            if not any(counts):
                continue
            axis.barh(positions, counts, left=left, color=COLOURS[status], label=status, edgecolor="white")
            for y, (x0, n) in enumerate(zip(left, counts, strict=False)):
                if n:
                    axis.text(x0 + n / 2, y, str(n), ha="center", va="center", fontsize=8)
            left = [a + b for a, b in zip(left, counts, strict=False)]
        axis.set_yticks(list(positions), labels)
        axis.invert_yaxis()
        axis.set_xlabel("Số chỉ tiêu")
        axis.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=4, frameon=False, fontsize=8)
        axis.spines[["top", "right"]].set_visible(False)
        return _png(figure)


def behind_progress(items: list[tuple[str, float]]) -> bytes | None:
    """Completion (% of target) of the indicators behind or not met, against 100 %."""
    items = [(label, pct) for label, pct in items if pct is not None][:15]
    if not items:
        return None
    with plt.rc_context({"font.family": FONT, "font.size": 9}):
        figure, axis = plt.subplots(figsize=(7.0, 1.0 + 0.38 * len(items)))
        labels = [textwrap.shorten(label, 55, placeholder="…") for label, _ in items]
        values = [min(pct, 150) for _, pct in items]
        axis.barh(range(len(items)), values, color=COLOURS[CHAM_TIEN_DO])
        for y, (_, pct) in enumerate(items):
            axis.text(min(pct, 150) + 1, y, f"{pct:.0f}%".replace(".", ","), va="center", fontsize=8)
        axis.axvline(100, color="#1a7f37", linestyle="--", linewidth=1)
        axis.text(100, -0.9, "Mục tiêu (100%)", color="#1a7f37", fontsize=8, ha="center")
        axis.set_yticks(range(len(items)), labels)
        axis.invert_yaxis()
        axis.set_xlim(0, 160)
        axis.set_xlabel("Tỷ lệ hoàn thành so với chỉ tiêu (%)")
        axis.spines[["top", "right"]].set_visible(False)
        return _png(figure)


def trend_lines(panels: list[tuple[str, str, list[tuple[str, float | None]], list[tuple[str, float]]]]) -> bytes | None:
    """Main indicators month by month (points) against the straight line to their target (dashed).

    Each panel is (title, unit, [(month label, value)], [(month label, value on the line)]).
    """
    panels = [p for p in panels if sum(1 for _, v in p[2] if v is not None) >= 2][:6]
    if not panels:
        return None
    columns = 2 if len(panels) > 1 else 1
    rows = -(-len(panels) // columns)
    with plt.rc_context({"font.family": FONT, "font.size": 10}):
        figure, axes = plt.subplots(rows, columns, figsize=(7.0, 2.5 * rows), squeeze=False)
        for axis, (title, unit, values, line) in zip(axes.flat, panels, strict=False):
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
            axis.set_title("\n".join(textwrap.wrap(title, 40)[:2]), fontsize=10)
            axis.set_xticks(range(len(labels)), labels, fontsize=9)
            axis.set_ylabel(unit, fontsize=9)
            axis.spines[["top", "right"]].set_visible(False)
        for axis in list(axes.flat)[len(panels) :]:
            axis.set_visible(False)
        handles, names = axes.flat[0].get_legend_handles_labels()
        figure.legend(handles, names, loc="lower center", ncol=2, frameon=False, fontsize=9)
        figure.tight_layout(rect=(0, 0.06, 1, 1))
        return _png(figure)

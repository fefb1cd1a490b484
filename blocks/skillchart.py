"""The skill map as a PNG: horizontal bars of wanted against offered per skill, gaps highlighted.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no global state), so it is safe in threads.
"""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from blocks.text import truncate
from mentoring.skillmap import SkillMap

MAX_BARS = 25
LABEL_CHARS = 38
WANTED = "#9db4c0"
WANTED_GAP = "#d1495b"
OFFERED = "#2e6f95"


def label(text: str, limit: int = LABEL_CHARS) -> str:
    """Text for the chart: shortened, with `$` escaped so matplotlib does not read it as maths."""
    return truncate(text, limit).replace("$", r"\$")


def figure(skill_map: SkillMap, *, limit: int = MAX_BARS) -> Figure:
    """The chart of the `limit` first rows (biggest gaps first, at the top)."""
    rows = list(skill_map.rows[:limit])
    height = 1.6 + 0.42 * max(len(rows), 1)
    fig = Figure(figsize=(9.0, height), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    title = f"{label(skill_map.programme, 60)}: skills wanted and offered"
    ax.set_title(title, loc="left", fontsize=12, fontweight="bold")
    if not rows:
        ax.text(0.5, 0.5, "Nobody in this cycle has picked a skill yet", ha="center", va="center", fontsize=11)
        ax.set_axis_off()
        return fig
    positions = list(range(len(rows)))[::-1]  # the first row at the top
    thickness = 0.38
    ax.barh(
        [p + thickness / 2 for p in positions],
        [r.wanted for r in rows],
        height=thickness,
        color=[WANTED_GAP if r.is_gap else WANTED for r in rows],
    )
    ax.barh(
        [p - thickness / 2 for p in positions],
        [r.offered for r in rows],
        height=thickness,
        color=OFFERED,
    )
    labels = [label(r.skill) for r in rows]
    ax.set_yticks(positions, labels=labels, fontsize=10)
    for tick, row in zip(ax.get_yticklabels(), rows, strict=True):
        if row.is_gap:
            tick.set_color(WANTED_GAP)
            tick.set_fontweight("bold")
    most = max(max(r.wanted, r.offered) for r in rows)
    for position, row in zip(positions, rows, strict=True):
        if row.is_gap:
            ax.text(
                max(row.wanted, row.offered) + most * 0.02,
                position,
                f"gap {row.gap}: recruit",
                va="center",
                fontsize=9,
                color=WANTED_GAP,
            )
    ax.set_xlim(0, most * 1.3 + 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("people (active and paused, this cycle)")
    ax.spines[["top", "right"]].set_visible(False)
    legend = [
        Patch(color=WANTED_GAP, label="wanted: a gap"),
        Patch(color=WANTED, label="wanted"),
        Patch(color=OFFERED, label=f"offered by {skill_map.offer_label}"),
    ]
    ax.legend(handles=legend, loc="lower right", fontsize=9, frameon=False)
    shown = f" (the {len(rows)} biggest of {len(skill_map.rows)})" if len(skill_map.rows) > len(rows) else ""
    fig.text(
        0.01,
        0.005,
        f"Red: wanted by more people than {skill_map.offer_label} offer it: mentors to recruit{shown}.",
        fontsize=8,
        color="#555555",
    )
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return fig


def render_png(skill_map: SkillMap, *, limit: int = MAX_BARS) -> bytes:
    buffer = io.BytesIO()
    figure(skill_map, limit=limit).savefig(buffer, format="png")
    return buffer.getvalue()

"""PNG charts for digests and reports (matplotlib, Agg backend: no display, safe in threads of a server).

Each function takes plain numbers and returns PNG bytes, with a text description for screen readers
(`alt_txt` on the upload).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure

_LOCK = threading.Lock()  # matplotlib's font cache and text layout are not thread-safe
TEAL, ORANGE, GREY = "#1f7a8c", "#e07a1f", "#8d99ae"


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return buffer.getvalue()


def _bars(ax: Any, labels: Sequence[str], values: Sequence[float], colour: str, title: str) -> None:
    positions = list(range(len(values)))
    ax.bar(positions, values, color=colour)
    ax.set_title(title, fontsize=10)
    step = max(1, len(labels) // 12)
    ax.set_xticks(positions[::step])
    ax.set_xticklabels(list(labels)[::step], fontsize=8)
    ax.tick_params(axis="y", labelsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    ax.yaxis.get_major_locator().set_params(integer=True)


def _skill_bars(change: Any, improved: Any, skills: Sequence[tuple[str, float, float]]) -> None:
    names = [(n or "All skills")[:18] for n, _, _ in skills][:8]
    positions = list(range(len(names)))
    for ax, values, colour, title in (
        (change, [m for _, m, _ in skills][:8], TEAL, "Skill development: mean change (1-5)"),
        (improved, [round(share * 100) for _, _, share in skills][:8], ORANGE, "Skill development: % improved"),
    ):
        ax.barh(positions, values, color=colour)
        ax.set_yticks(positions)
        ax.set_yticklabels(names, fontsize=8)
        ax.invert_yaxis()
        ax.axvline(0, color=GREY, linewidth=0.8)
        ax.set_title(title, fontsize=10)
        ax.tick_params(axis="x", labelsize=8)
        ax.spines[["top", "right"]].set_visible(False)


def digest_chart(digest: Mapping[str, Any]) -> tuple[bytes, str]:
    """Check-ins per week over the cycle and milestones done per week: PNG bytes and a description."""
    series = digest.get("series") or {}
    labels = [str(x) for x in series.get("labels") or []]
    checkins = [int(x) for x in series.get("checkins") or []]
    milestones = [int(x) for x in series.get("milestones") or []]
    with _LOCK:
        figure = Figure(figsize=(7, 2.6))
        left, right = figure.subplots(1, 2)
        _bars(left, labels, checkins, TEAL, "Check-ins per week")
        _bars(right, labels, milestones, ORANGE, "Milestones done per week")
        figure.suptitle(f"{digest.get('programme', '')}, cycle {digest.get('cycle_number', '')}", fontsize=11)
        png = _png(figure)
    alt = (
        f"Two bar charts over the {len(labels)} weeks of the cycle so far. Check-ins per week: "
        f"{', '.join(map(str, checkins)) or 'none'}. Milestones done per week: "
        f"{', '.join(map(str, milestones)) or 'none'}."
    )
    return png, alt


def dashboard(
    *,
    title: str,
    checkins_per_week: Sequence[int],
    by_role: Mapping[str, int],
    usefulness: Mapping[int, int],
    departments: Sequence[tuple[str, int, int]],
    retention: Sequence[tuple[int, int, int]],
    skills: Sequence[tuple[str, float, float]] = (),
) -> tuple[bytes, str]:
    """A 2x2 dashboard: check-ins per week, people by role, usefulness ratings, and participation by department
    (people and matched, groups of 5 or more) or, with several cycles, retention; with a third row for skill
    development when there is some to show (`skills`: name, mean change, share improved; groups of 5 or more,
    chosen by the caller)."""
    with _LOCK:
        figure = Figure(figsize=(9, 9 if skills else 6))
        axes = figure.subplots(3 if skills else 2, 2)
        if skills:
            _skill_bars(axes[2][0], axes[2][1], skills)
        weeks = [f"W{i + 1}" for i in range(len(checkins_per_week))]
        _bars(axes[0][0], weeks, list(checkins_per_week), TEAL, "Check-ins per week")
        roles = sorted(by_role)
        _bars(axes[0][1], [r.title() for r in roles], [by_role[r] for r in roles], GREY, "Participants by role")
        _bars(axes[1][0], ["1", "2", "3", "4", "5"], [usefulness.get(i, 0) for i in range(1, 6)], ORANGE, "Usefulness")
        ax = axes[1][1]
        if departments:
            names = [d[0][:18] or "not given" for d in departments][:8]
            people = [d[1] for d in departments][:8]
            matched = [d[2] for d in departments][:8]
            positions = list(range(len(names)))
            ax.barh(positions, people, color=GREY, label="people")
            ax.barh(positions, matched, color=TEAL, label="matched")
            ax.set_yticks(positions)
            ax.set_yticklabels(names, fontsize=8)
            ax.invert_yaxis()
            ax.legend(fontsize=7, frameon=False)
            ax.set_title("Participation by department", fontsize=10)
            ax.spines[["top", "right"]].set_visible(False)
        else:
            ax.set_axis_off()
            ax.text(0.5, 0.5, "No department has 5 or more people yet", ha="center", va="center", fontsize=9)
        figure.suptitle(title, fontsize=12)
        figure.tight_layout()
        png = _png(figure)
    parts = [
        f"Check-ins per week: {', '.join(map(str, checkins_per_week)) or 'none'}",
        "participants by role: " + (", ".join(f"{r} {n}" for r, n in sorted(by_role.items())) or "none"),
        "usefulness ratings 1 to 5: " + ", ".join(str(usefulness.get(i, 0)) for i in range(1, 6)),
    ]
    if departments:
        parts.append(
            "by department: " + ", ".join(f"{d[0] or 'not given'} {d[1]} people, {d[2]} matched" for d in departments)
        )
    if skills:
        parts.append(
            "skill development: "
            + ", ".join(f"{n or 'all skills'} {m:+.1f}, {round(share * 100)}% improved" for n, m, share in skills)
        )
    if retention:
        parts.append("retention: " + ", ".join(f"cycle {c}: {back} of {n} came back" for c, n, back in retention))
    return png, "Programme dashboard. " + "; ".join(parts) + "."

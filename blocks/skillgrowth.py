"""Skills rated before and after: the rating inputs (shared by the start form, the pulse and the exit reflection),
the start form, and the person's own change in App Home. Pure functions of plain data."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from blocks.admin import button
from blocks.common import Block, View, context, mrkdwn_section, option, plain
from blocks.text import escape
from mentoring.skillgrowth import LEVELS, RateTarget, SkillChange

SKILLS_CALLBACK = "skills_rate_submit"
RATE_ACTION = "skills_rate_open"  # the joined DM's "Rate where I am": value is the programme id

STAGE_NAMES = {"pulse": "mid-cycle", "exit": "exit"}


def level_option(level: int) -> dict[str, object]:
    return option(f"{level} · {LEVELS[level - 1]}", str(level))


def rating_blocks(
    skills: Sequence[str], current: Mapping[str, int], *, prompt: str, optional: bool = False
) -> list[Block]:
    """One select per skill (block ids `skill_<index>`), anchored levels 1-5, an earlier answer filled in."""
    blocks: list[Block] = [context(prompt)]
    for index, skill in enumerate(skills):
        element: dict[str, object] = {
            "type": "static_select",
            "action_id": "value",
            "placeholder": plain("Pick the level that fits best"),
            "options": [level_option(n) for n in range(1, len(LEVELS) + 1)],
        }
        if skill in current:
            element["initial_option"] = level_option(current[skill])
        blocks.append(
            {
                "type": "input",
                "block_id": f"skill_{index}",
                "optional": optional,
                "label": plain(skill),
                "element": element,
            }
        )
    return blocks


def skills_modal(target: RateTarget) -> View:
    return {
        "type": "modal",
        "callback_id": SKILLS_CALLBACK,
        "private_metadata": json.dumps({"programme_id": target.programme.id, "skills": target.skills}),
        "title": plain("Where I am today", 24),
        "submit": plain("Save", 24),
        "close": plain("Cancel", 24),
        "blocks": rating_blocks(
            target.skills,
            target.current,
            prompt=(
                f"Rate the skills you want to grow in *{escape(target.programme.name)}*, as you are today. "
                "You'll rate them again at the mid-cycle pulse and at the end, and see how you moved. "
                "Only you see your ratings; reports only count groups of five or more."
            ),
        ),
    }


def saved_modal() -> View:
    return {
        "type": "modal",
        "title": plain("Saved", 24),
        "close": plain("Close", 24),
        "blocks": [mrkdwn_section("Saved. Your Home tab shows where you started and how you move.")],
    }


def rate_button(programme_id: int) -> Block:
    return {
        "type": "actions",
        "block_id": "skills_rate",
        "elements": [button("Rate where I am today", RATE_ACTION, str(programme_id), "primary")],
    }


def _moved(change: SkillChange) -> str:
    if change.start is None:
        return f"{change.latest} (no start rating)"
    if change.latest is None:
        return f"started at {change.start}; you'll rate it again at the mid-cycle pulse"
    stage = STAGE_NAMES.get(change.latest_stage or "", "later")
    return f"{change.start} → {change.latest} ({change.change:+d}, {stage})"


def home_lines(changes: Sequence[SkillChange]) -> list[Block]:
    """The person's own skill ratings and change, in their App Home (only they see it)."""
    if not changes:
        return []
    lines = "\n".join(f"• *{escape(c.skill)}*: {_moved(c)}" for c in changes[:15])
    return [mrkdwn_section(f"*My skills* (1-5, only you see this)\n{lines}")]

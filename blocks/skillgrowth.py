"""Skills rated before and after: the rating inputs (shared by the start form, the pulse and the exit reflection),
the start form, and the person's own change in App Home. Pure functions of plain data."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from blocks.admin import button
from blocks.common import Block, View, context, mrkdwn_section, option, plain
from blocks.text import escape
from mentoring.skillgrowth import LEVELS, MentorTarget, RateTarget, SideBySide, SkillChange

SKILLS_CALLBACK = "skills_rate_submit"
RATE_ACTION = "skills_rate_open"  # the joined DM's "Rate where I am": value is the programme id
SHARE_ACTION = "skills_share_with_mentor"  # value: the programme id
VIEW_ACTION = "skills_mentor_view_open"  # the mentor's "Add my view": value is the share id
VIEW_CALLBACK = "skills_mentor_view_submit"

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


def _rating_modal(
    callback_id: str,
    metadata: Mapping[str, object],
    title: str,
    ratings: tuple[Sequence[str], Mapping[str, int]],
    prompt: str,
) -> View:
    """A form rating skills 1-5 with the anchored levels: the person's own, or a mentor's view of them."""
    skills, current = ratings
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": json.dumps(metadata),
        "title": plain(title, 24),
        "submit": plain("Save", 24),
        "close": plain("Cancel", 24),
        "blocks": rating_blocks(skills, current, prompt=prompt),
    }


def skills_modal(target: RateTarget) -> View:
    return _rating_modal(
        SKILLS_CALLBACK,
        {"programme_id": target.programme.id, "skills": target.skills},
        "Where I am today",
        (target.skills, target.current),
        f"Rate the skills you want to grow in *{escape(target.programme.name)}*, as you are today. "
        "You'll rate them again at the mid-cycle pulse and at the end, and see how you moved. "
        "Only you see your ratings; reports only count groups of five or more.",
    )


def saved_modal(share_programme_id: int | None = None) -> View:
    """Saved; for a mentee with a mentor, the offer to share their ratings (nothing is shared without it)."""
    blocks: list[Block] = [mrkdwn_section("Saved. Your Home tab shows where you started and how you move.")]
    if share_programme_id is not None:
        blocks += [
            mrkdwn_section(
                "Want your mentor's view too? Share your ratings with them: they can then rate the same skills, and "
                "you'll both see the two views side by side. Only the two of you see them; they never go into reports."
            ),
            {
                "type": "actions",
                "block_id": "skills_share",
                "elements": [button("Share with my mentor", SHARE_ACTION, str(share_programme_id))],
            },
        ]
    return {"type": "modal", "title": plain("Saved", 24), "close": plain("Close", 24), "blocks": blocks}


def shared_modal(mentor_id: str) -> View:
    return {
        "type": "modal",
        "title": plain("Shared", 24),
        "close": plain("Close", 24),
        "blocks": [mrkdwn_section(f"Shared with <@{mentor_id}>. You'll see their view here beside yours.")],
    }


def shared_dm(mentee_id: str, programme_name: str, share_id: int) -> tuple[str, list[Block]]:
    """To the mentor: the mentee shared their ratings; add a view of your own."""
    text = f"<@{mentee_id}> shared their skill ratings in {escape(programme_name)} with you."
    return text, [
        mrkdwn_section(
            text + " Add your own view of the same skills, on the same levels: you'll both see them side by side, "
            "and nobody else will."
        ),
        {
            "type": "actions",
            "block_id": "skills_view",
            "elements": [button("Add my view", VIEW_ACTION, str(share_id), "primary")],
        },
    ]


def mentor_view_modal(target: MentorTarget) -> View:
    return _rating_modal(
        VIEW_CALLBACK,
        {"share_id": target.share.id, "skills": target.skills},
        "My view",
        (target.skills, target.current),
        f"How do you see <@{target.share.mentee_id}>'s skills today? Same levels as theirs. Only the two of "
        "you see this; it never goes into reports.",
    )


def side_by_side_blocks(both: SideBySide, *, for_mentee: bool) -> list[Block]:
    """The mentee's levels beside their mentor's, worded for whoever reads it (the two of them only)."""
    own, other = ("you", f"<@{both.mentor_id}>") if for_mentee else (f"<@{both.mentee_id}>", "you")

    def level(value: int | None) -> str:
        return str(value) if value is not None else "not rated"

    lines = "\n".join(
        f"• *{escape(skill)}*: {own} {level(mine)} · {other} {level(theirs)}" for skill, mine, theirs in both.rows[:15]
    )
    return [
        mrkdwn_section(f"*Skills side by side* in {escape(both.programme_name)} (1-5)\n{lines}"),
        context("Only the two of you see this. A different view is a good thing to talk about."),
    ]


def side_by_side_dm(both: SideBySide) -> tuple[str, list[Block]]:
    """To the mentee: their mentor added a view."""
    return f"<@{both.mentor_id}> added their view of your skills.", side_by_side_blocks(both, for_mentee=True)


def side_by_side_modal(both: SideBySide) -> View:
    return {
        "type": "modal",
        "title": plain("Side by side", 24),
        "close": plain("Close", 24),
        "blocks": side_by_side_blocks(both, for_mentee=False),
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

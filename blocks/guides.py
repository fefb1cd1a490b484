"""Guides from the toolbox as Block Kit."""

from __future__ import annotations

from typing import Any

from blocks.common import context, mrkdwn_section, plain
from prompts.guides import Guide, Stage, render


def guide_blocks(guides: list[Guide]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for guide in guides:
        blocks += [mrkdwn_section(render(guide)), {"type": "divider"}]
    blocks.append(context("Guides are short and practical; `/mentor guide` shows the ones for where you are now."))
    return blocks


STAGE_WORDS = {
    Stage.BEFORE_FIRST_MEETING: "before your first meeting",
    Stage.DURING_CYCLE: "during the cycle",
    Stage.ENDING: "as the cycle ends",
}


def guides_message(role: str, stage: Stage, guides: list[Guide]) -> tuple[str, list[dict[str, Any]]]:
    """`/mentor guide`: the guides for a person's role and stage of the cycle."""
    text = f"Guides for a {role} {STAGE_WORDS[stage]}: " + ", ".join(g.title for g in guides)
    return text, [mrkdwn_section(f"*Guides for a {role} {STAGE_WORDS[stage]}*"), *guide_blocks(guides)]


def guide_modal(guide: Guide) -> dict[str, Any]:
    """One guide, opened from a "Read the guide" button."""
    return {
        "type": "modal",
        "title": plain("Guide", 24),
        "close": plain("Done", 24),
        "blocks": guide_blocks([guide]),
    }

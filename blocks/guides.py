"""Guides from the toolbox as Block Kit."""

from __future__ import annotations

from typing import Any

from blocks.common import context, mrkdwn_section
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

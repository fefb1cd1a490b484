"""Block Kit for check-in DMs: "Did you meet?" with Yes / Not yet / We need help."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from bot.admin_ui import button
from bot.ui import Block, context, mrkdwn_section

YES_ACTION = "checkin_yes"
NOT_YET_ACTION = "checkin_not_yet"
HELP_ACTION = "checkin_help"


def checkin_dm(match_id: int, partners: Sequence[str], *, since: date) -> tuple[str, list[Block]]:
    who = " and ".join(f"<@{p}>" for p in partners) or "your match"
    text = f"Did you and {who} meet since {since.strftime('%d %b')}?"
    value = str(match_id)
    blocks: list[dict[str, Any]] = [
        mrkdwn_section(f"{text} How did it go?"),
        {
            "type": "actions",
            "block_id": "checkin",
            "elements": [
                button("Yes", YES_ACTION, value, "primary"),
                button("Not yet", NOT_YET_ACTION, value),
                button("We need help", HELP_ACTION, value),
            ],
        },
        context("One logged check-in counts for both of you. `/mentor pause` if you need a break."),
    ]
    return text, blocks

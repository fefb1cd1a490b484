"""What people see about their own membership: pause and leave answers, the forget-me modal, channel invitations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from blocks.common import Block, View, mrkdwn_section, option, plain
from blocks.text import escape, truncate
from store.models import Programme

FORGET_CALLBACK = "forget_me_confirm"
CHANNEL_JOIN_ACTION = "channel_invite_join"

NOT_A_MEMBER = "You're not in any programme yet: `/mentor join` to join one."


def paused_text(until: date | None) -> str:
    when = f"until {until.isoformat()}" if until else "until you type `/mentor resume`"
    return (
        f"You're paused {when}. You won't get nudges or be matched in the meantime; your profile stays as it "
        f"is. {'I will message you once when the pause ends. ' if until else ''}`/mentor resume` any time."
    )


def leave_refusal(wanted: str, programmes: Sequence[Programme]) -> str:
    """Why `/mentor leave [wanted]` left nothing: no such programme of theirs, none at all, or which one of several."""
    if wanted and not programmes:
        return f"You're not in a programme called “{escape(truncate(wanted, 80))}”."
    if not programmes:
        return NOT_A_MEMBER
    names = ", ".join(f"`/mentor leave {prog.slug}`" for prog in programmes)
    return f"You're in several programmes. Which one? {names}"


def left_text(programme: Programme) -> str:
    return (
        f"You've left *{escape(programme.name)}*. Thank you for taking part! Your profile is kept in case you come "
        "back (`/mentor join`); `/mentor forget-me` deletes everything."
    )


def forget_modal() -> View:
    return {
        "type": "modal",
        "callback_id": FORGET_CALLBACK,
        "title": plain("Delete my data", 24),
        "submit": plain("Delete everything", 24),
        "close": plain("Keep my data", 24),
        "blocks": [
            mrkdwn_section(
                "This deletes your profile in every programme of this workspace, your matching preferences and any "
                "admin rights, and removes your name from the admin log. Programmes keep only anonymous counts. "
                "*This cannot be undone.* `/mentor my-data` first if you want a copy."
            ),
            {
                "type": "input",
                "block_id": "confirm",
                "label": plain("Confirm"),
                "element": {
                    "type": "checkboxes",
                    "action_id": "value",
                    "options": [option("I understand this cannot be undone", "yes")],
                },
            },
        ],
    }


def channel_invitation(programme: Programme, channel_id: str) -> tuple[str, list[Block]]:
    """The note (only they see it) inviting someone who joined a programme's channel to join the programme."""
    text = (
        f"Welcome to <#{channel_id}>! This is the channel of *{escape(programme.name)}*, a mentoring programme. "
        "Join as a mentor, a mentee or a peer and we'll match you with someone who fits your goals."
    )
    blocks = [
        mrkdwn_section(text),
        {
            "type": "actions",
            "block_id": "channel_invite",
            "elements": [
                {
                    "type": "button",
                    "action_id": CHANNEL_JOIN_ACTION,
                    "text": plain(f"Join {programme.name}"),
                    "value": str(programme.id),
                    "style": "primary",
                }
            ],
        },
    ]
    return text, blocks

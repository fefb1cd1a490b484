"""Block Kit for the check-in loop: "Did you meet?" DMs, nudges, the pulse, the exit reflection, closing."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from blocks import matching as match_ui
from blocks import skillgrowth as skill_ui
from blocks import stories as story_ui
from blocks.admin import button
from blocks.booking import book_next_button
from blocks.common import Block, context, mrkdwn_section, option, plain
from blocks.text import escape, quote
from mentoring.checkins import Entry
from mentoring.skillgrowth import RateTarget
from mentoring.stories import ExitOffer
from store.models import Match, Programme

YES_ACTION = "checkin_yes"
NOT_YET_ACTION = "checkin_not_yet"
HELP_ACTION = "checkin_help"


FIRST_CHECKIN_GUIDES = {
    "mentor": "mentor-many-roles",
    "mentee": "mentee-getting-the-most-from-meetings",
    "peer": "from-fixing-a-skill-to-questioning-assumptions",
}
"""The toolbox entry the first check-in DM links to, by the person's role: how to make the cycle work."""


def checkin_dm(
    match_id: int, partners: Sequence[str], *, since: date, guide_for: str | None = None
) -> tuple[str, list[Block]]:
    """'Did you meet?' with Yes / Not yet / We need help; the first one (`guide_for` = the person's role) also
    links the toolbox guide for their role in the cycle."""
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
    ]
    guide = FIRST_CHECKIN_GUIDES.get(guide_for or "")
    if guide:
        blocks.append(
            {
                "type": "section",
                "block_id": "guide",
                "text": {"type": "mrkdwn", "text": "New to this? A one-minute read on making the most of the cycle."},
                "accessory": button("Read the guide", match_ui.GUIDE_ACTION, guide),
            }
        )
    blocks.append(context("One logged check-in counts for both of you. `/mentor pause` if you need a break."))
    return text, blocks


# --- logging a check-in: the modal, the note in the pair's room, the DMs it settles ---------------------------

CHECKIN_CALLBACK = "checkin_submit"
MAX_TEXT = 1000


def checkin_modal(match: Match, programme: Programme, today: date) -> dict[str, Any]:
    def text_input(block_id: str, label: str, hint: str | None = None) -> dict[str, Any]:
        block: dict[str, Any] = {
            "type": "input",
            "block_id": block_id,
            "optional": True,
            "label": plain(label),
            "element": {"type": "plain_text_input", "action_id": "value", "multiline": True, "max_length": MAX_TEXT},
        }
        if hint:
            block["hint"] = plain(hint, 2000)
        return block

    return {
        "type": "modal",
        "callback_id": CHECKIN_CALLBACK,
        "private_metadata": json.dumps({"match_id": match.id}),
        "title": plain("Log a check-in", 24),
        "submit": plain("Save", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            {
                "type": "input",
                "block_id": "met_on",
                "label": plain("When did you meet?"),
                "element": {"type": "datepicker", "action_id": "value", "initial_date": today.isoformat()},
            },
            {
                "type": "input",
                "block_id": "duration",
                "label": plain("For how long (minutes)?"),
                "element": {
                    "type": "number_input",
                    "action_id": "value",
                    "is_decimal_allowed": False,
                    "min_value": "5",
                    "max_value": "480",
                    "initial_value": "30",
                },
            },
            {
                "type": "input",
                "block_id": "topics",
                "optional": True,
                "label": plain("Topics"),
                "element": {
                    "type": "multi_static_select",
                    "action_id": "value",
                    "options": [option(s, s) for s in programme.skills[:100]],
                    "max_selected_items": 10,
                },
            },
            {
                "type": "input",
                "block_id": "other_topics",
                "optional": True,
                "label": plain("Other topics"),
                "hint": plain("Anything else you talked about, separated by commas.", 2000),
                "element": {"type": "plain_text_input", "action_id": "value", "max_length": 300},
            },
            {
                "type": "input",
                "block_id": "usefulness",
                "label": plain("How useful was it?"),
                "element": {
                    "type": "radio_buttons",
                    "action_id": "value",
                    "options": [
                        option(label, str(n))
                        for n, label in enumerate(
                            ("Not useful", "A little", "Useful", "Very useful", "Excellent"), start=1
                        )
                    ],
                },
            },
            text_input("learned", "What I learned"),
            text_input("next_step", "Next step"),
            text_input(
                "reflection", "Private reflection", "Only you will ever see this: not your partner, not admins."
            ),
        ],
    }


def checkin_shared(author_id: str, entry: Entry, match_id: int | None = None) -> tuple[str, list[Block]]:
    """The logged check-in in the pair's room (never the author's private reflection), with *Book our next chat*."""
    lines = [
        f"<@{author_id}> logged your check-in: met on {entry.met_on.isoformat()} for {entry.duration_minutes} minutes."
    ]
    if entry.topics:
        lines.append("*Topics:* " + ", ".join(escape(t) for t in entry.topics))
    if entry.learned:
        lines.append("*What I learned:*\n" + quote(entry.learned))
    if entry.next_step:
        lines.append("*Next step:*\n" + quote(entry.next_step))
    blocks = [mrkdwn_section("\n".join(lines))]
    if match_id is not None:
        blocks.append(book_next_button(match_id))
    return lines[0], blocks


def checkin_settled(author_id: str) -> tuple[str, list[Block]]:
    """What a check-in DM already sent says once the pair logged their check-in."""
    text = f":white_check_mark: <@{author_id}> logged your check-in. Thank you both!"
    return text, [mrkdwn_section(text)]


def not_yet_answer(prompt: str | None) -> str:
    """'Not yet': a question to start with when they do meet (`prompt`, or a general one when there is none)."""
    question = "What has changed for you since you last talked?" if prompt is None else prompt
    return (
        "No problem: life gets busy. When you do meet, here's a question to start with:\n> "
        + question
        + "\nI'll ask again at the next check-in."
    )


def help_request_dm(
    user_id: str, programme_name: str, member_ids: Sequence[str], *, released_at: datetime | None, logged: int
) -> str:
    """To a programme admin: someone asked for help with their match. The pair's context, no private notes."""
    pair = ", ".join(f"<@{i}>" for i in member_ids)
    return (
        f"<@{user_id}> asked for help with their match in *{escape(programme_name)}* ({pair}). "
        f"Matched {released_at.date().isoformat() if released_at else 'recently'}; "
        f"{logged} check-in{'s' if logged != 1 else ''} logged. A short message to them goes a long way."
    )


# --- the rest of the loop: nudges, escalations, a pause question, the pulse and the exit reflection --------

PAUSE_ACTION = "loop_pause"
KEEP_ACTION = "loop_keep"
PULSE_ACTION = "pulse_open"
PULSE_CALLBACK = "pulse_submit"
EXIT_ACTION = "exit_open"
EXIT_CALLBACK = "exit_submit"
CONTINUE_ACTION = "cycle_continue"
WRAP_UP_ACTION = "cycle_wrap_up"
MAX_SURVEY_TEXT = 1000

RATING_LABELS = ("Poor", "Fair", "Good", "Very good", "Excellent")
PROGRESS_LABELS = ("Not yet started", "A little", "Some", "Good progress", "Goals reached")


def _names(ids: Sequence[str]) -> str:
    return " and ".join(f"<@{i}>" for i in ids) or "you"


def room_nudge(match_id: int, member_ids: Sequence[str]) -> tuple[str, list[Block]]:
    """A gentle word in a quiet pair's room: no blame, a way back in."""
    text = f"Hi {_names(member_ids)}: it's been a little while since your last check-in."
    blocks: list[Block] = [
        mrkdwn_section(
            f"{text} Busy weeks happen. Even 20 minutes together keeps the momentum going: find a time that "
            "suits you both, or log the check-in if you did meet."
        ),
        {
            "type": "actions",
            "block_id": "nudge",
            "elements": [
                button("Find a time", match_ui.SCHEDULE_ACTION, str(match_id), "primary"),
                button("Log a check-in", match_ui.CHECKIN_ACTION, str(match_id)),
            ],
        },
    ]
    return text, blocks


def escalation_dm(
    match_id: int, member_ids: Sequence[str], programme_name: str, *, since: datetime | None
) -> tuple[str, list[Block]]:
    """To a programme admin: a pair has gone quiet for three cadences. Facts only, nothing private."""
    when = f"since {since.strftime('%d %b')}" if since else "since they were matched"
    text = f"The match of {_names(member_ids)} in {escape(programme_name)} has logged no check-in {when}."
    blocks: list[Block] = [
        mrkdwn_section(
            f"The match of {_names(member_ids)} in *{escape(programme_name)}* has logged no check-in {when}. "
            "They had a gentle reminder in their room a while ago. A friendly word from you may help them "
            "restart, or find them a better match (`/mentor rematch`)."
        ),
        context(f"Match {match_id}. You get this once per quiet stretch; nothing private is shared."),
    ]
    return text, blocks


def pause_question(match_id: int, programme_name: str) -> tuple[str, list[Block]]:
    """After three unanswered check-ins: ask once whether a pause would help, instead of asking again."""
    text = f"Would a pause from {escape(programme_name)} help right now?"
    blocks: list[Block] = [
        mrkdwn_section(
            "I haven't heard from you for the last three check-ins, and that's fine. Would a pause from "
            f"*{escape(programme_name)}* help right now? I'll stop asking either way until you tell me."
        ),
        {
            "type": "actions",
            "block_id": "pause_question",
            "elements": [
                button("Pause for a month", PAUSE_ACTION, str(match_id)),
                button("Keep me in", KEEP_ACTION, str(match_id), "primary"),
            ],
        },
    ]
    return text, blocks


def _one_button_dm(
    text: str, body: str, block_id: str, label: str, action: str, match_id: int
) -> tuple[str, list[Block]]:
    blocks: list[Block] = [
        mrkdwn_section(body),
        {
            "type": "actions",
            "block_id": block_id,
            "elements": [button(label, action, str(match_id), "primary")],
        },
        context("Admins see the answers; your partner doesn't."),
    ]
    return text, blocks


def pulse_dm(match_id: int, programme_name: str) -> tuple[str, list[Block]]:
    name = escape(programme_name)
    return _one_button_dm(
        f"Halfway through {name}: how is it going? (3 questions, 1 minute)",
        f"You're halfway through this cycle of *{name}*. How is it going? Three questions, one minute: your "
        "answers help the programme admins make it better.",
        "pulse",
        "Answer the pulse",
        PULSE_ACTION,
        match_id,
    )


def exit_dm(match_id: int, programme_name: str) -> tuple[str, list[Block]]:
    name = escape(programme_name)
    return _one_button_dm(
        f"This cycle of {name} is ending: a short reflection?",
        f"This cycle of *{name}* ends within a week. Take two minutes to look back: what changed for you, and "
        "would you go on?",
        "exit",
        "Reflect",
        EXIT_ACTION,
        match_id,
    )


def closing_message(match_id: int, programme_name: str, ends_on: date) -> tuple[str, list[Block]]:
    """In the pair's room as the cycle ends: thanks, and the choice to go on together."""
    text = f"This cycle of {escape(programme_name)} ends on {ends_on.strftime('%d %b')}. Thank you both!"
    blocks: list[Block] = [
        mrkdwn_section(
            f"{text} Before it closes, take a moment together: what will each of you carry forward?\n"
            "Would you like to go on together into the next cycle? If you all choose *Continue*, you stay "
            "matched; otherwise the match closes kindly at the end of the cycle."
        ),
        {
            "type": "actions",
            "block_id": "closing",
            "elements": [
                button("Continue together", CONTINUE_ACTION, str(match_id), "primary"),
                button("Wrap up", WRAP_UP_ACTION, str(match_id)),
            ],
        },
    ]
    return text, blocks


def _radio(block_id: str, label: str, labels: Sequence[str]) -> Block:
    return {
        "type": "input",
        "block_id": block_id,
        "label": plain(label),
        "element": {
            "type": "radio_buttons",
            "action_id": "value",
            "options": [option(text, str(n)) for n, text in enumerate(labels, start=1)],
        },
    }


def _text(block_id: str, label: str, hint: str) -> Block:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": True,
        "label": plain(label),
        "hint": plain(hint, 2000),
        "element": {
            "type": "plain_text_input",
            "action_id": "value",
            "multiline": True,
            "max_length": MAX_SURVEY_TEXT,
        },
    }


def _skill_rating(rating: RateTarget | None) -> list[Block]:
    if rating is None:
        return []
    return skill_ui.rating_blocks(
        rating.skills,
        rating.current,
        prompt="*Your skills today*, on the same scale as at the start (optional; only you see these):",
        optional=True,
    )


def _survey_metadata(match_id: int, rating: RateTarget | None, offer: ExitOffer | None = None) -> str:
    return json.dumps(
        {"match_id": match_id}
        | ({"skills": rating.skills} if rating is not None else {})
        | ({"stories": [key for key, _ in offer.threads]} if offer is not None else {})
    )


def pulse_modal(match_id: int, rating: RateTarget | None = None) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": PULSE_CALLBACK,
        "private_metadata": _survey_metadata(match_id, rating),
        "title": plain("Mid-cycle pulse", 24),
        "submit": plain("Send", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            _radio("rating", "How satisfied are you so far?", RATING_LABELS),
            _radio("progress", "Progress toward your goals", PROGRESS_LABELS),
            _text("blocking", "Anything blocking you?", "Only the programme admins see this."),
            *_skill_rating(rating),
        ],
    }


def exit_modal(match_id: int, rating: RateTarget | None = None, offer: ExitOffer | None = None) -> dict[str, Any]:
    """The exit reflection; with `offer`, the opt-in, per story, to share it (and growth threads) as a story."""
    return {
        "type": "modal",
        "callback_id": EXIT_CALLBACK,
        "private_metadata": _survey_metadata(match_id, rating, offer),
        "title": plain("Exit reflection", 24),
        "submit": plain("Send", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            _text("what_changed", "What changed for you?", "Only the programme admins see this."),
            {
                "type": "input",
                "block_id": "would_continue",
                "label": plain("Would you continue this mentoring relationship?"),
                "element": {
                    "type": "radio_buttons",
                    "action_id": "value",
                    "options": [option("Yes", "yes"), option("No", "no")],
                },
            },
            _radio("rating", "How would you rate the programme?", RATING_LABELS),
            *_skill_rating(rating),
            *([story_ui.exit_story_block(offer)] if offer is not None else []),
        ],
    }


def survey_thanks_modal() -> dict[str, Any]:
    """What the pulse or the exit reflection turns into once answered."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Thank you"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "Thank you! Your answers help the programme admins make the next cycle better.",
                },
            }
        ],
    }


def continue_vote_answer(*, keep: bool, everyone: bool) -> str:
    """What a member hears after choosing 'Continue together' (`keep`) or 'Wrap up' in the closing message."""
    if keep and everyone:
        return "You all chose to continue: you'll stay matched into the next cycle. :tada:"
    if keep:
        return "Noted: you'd like to continue. If your partner chooses the same, you stay matched."
    return "Noted: this match will close kindly at the end of the cycle. Thank you for taking part!"

"""Mentees choose their mentor: the mentors to browse, the request form, the mentor's DM with Accept and Decline,
and what each side is told."""

from __future__ import annotations

import json
from datetime import datetime

from blocks.admin import button
from blocks.common import Block, View, context, mrkdwn_section, plain
from blocks.text import escape, listing, quote, truncate
from mentoring.choosing import MAX_MESSAGE, Browse, MentorCard
from store.models import Programme

BROWSE_ACTION = "choose_mentor_open"  # value: the programme id ("" = the person's first)
PICK_ACTION = "choose_mentor_pick"  # value: the mentor's user id
ASK_CALLBACK = "choose_mentor_ask"
ANSWER_ACTION = "choose_mentor_answer"  # action ids ANSWER_ACTION:accept / :decline; value: the request id
MAX_BIO_SHOWN = 300


def when(moment: datetime) -> str:
    """A date each reader sees in their own timezone."""
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} at {{time}}|{moment:%Y-%m-%d %H:%M} UTC>"


def browse_button(programme_id: int | None, label: str = "Choose a mentor") -> Block:
    return {
        "type": "actions",
        "block_id": "choose_mentor",
        "elements": [button(label, BROWSE_ACTION, str(programme_id or ""), "primary")],
    }


def _card(card: MentorCard) -> list[Block]:
    title = f" · {escape(truncate(card.title, 80))}" if card.title else ""
    lines = [f"*{escape(card.name)}*{title}", f"Skills: {listing(card.skills)}"]
    where = " · ".join(escape(x) for x in (card.department, card.office) if x)
    if where:
        lines.append(where)
    if card.bio:
        lines.append(quote(card.bio, MAX_BIO_SHOWN))
    section = mrkdwn_section("\n".join(lines))
    section["accessory"] = button("Ask", PICK_ACTION, card.user_id)
    places = f"{card.free} free place{'s' if card.free != 1 else ''}"
    fit = f" · Offers what you want to grow: {listing(card.fit)}" if card.fit else ""
    return [section, context(places + fit)]


def browse_modal(found: Browse) -> View:
    """The mentors a mentee may ask, or their open request."""
    programme = found.programme
    assert programme is not None
    blocks: list[Block] = []
    if found.pending is not None:
        who = escape(found.pending_name) if found.pending_name else f"<@{found.pending.mentor_id}>"
        blocks.append(
            mrkdwn_section(
                f"You asked *{who}* to be your mentor. They have until {when(found.pending.expires_at)} to answer; "
                "if they don't, you'll be matched in the next round."
            )
        )
    elif not found.mentors:
        blocks.append(
            mrkdwn_section(
                "No mentor has a free place right now. You'll be matched in the next round, or look again later."
            )
        )
    else:
        blocks.append(
            mrkdwn_section(
                f"Mentors of *{escape(programme.name)}* with a free place. *Ask* one: they get your request with "
                f"your note and have {programme.request_days} day{'s' if programme.request_days != 1 else ''} to "
                "answer. You can ask one mentor at a time."
            )
        )
        for card in found.mentors:
            blocks += [{"type": "divider"}, *_card(card)]
        if found.more:
            blocks.append(context(f"And {found.more} more, fitting your skills less closely."))
    return {
        "type": "modal",
        "title": plain("Choose a mentor", 24),
        "close": plain("Close", 24),
        "private_metadata": json.dumps({"programme_id": programme.id}),
        "blocks": blocks,
    }


def ask_modal(programme_id: int, mentor_id: str) -> View:
    return {
        "type": "modal",
        "callback_id": ASK_CALLBACK,
        "title": plain("Ask a mentor", 24),
        "submit": plain("Send request", 24),
        "close": plain("Back", 24),
        "private_metadata": json.dumps({"programme_id": programme_id, "mentor_id": mentor_id}),
        "blocks": [
            mrkdwn_section(f"Ask <@{mentor_id}> to be your mentor this cycle."),
            {
                "type": "input",
                "block_id": "message",
                "optional": True,
                "label": plain("A short note (optional)"),
                "hint": plain("Only the mentor sees it. Say what you hope to work on together.", 2000),
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "multiline": True,
                    "max_length": MAX_MESSAGE,
                },
            },
        ],
    }


def request_dm(
    programme: Programme, *, request_id: int, mentee_id: str, wanted: list[str], note: str, expires_at: datetime
) -> tuple[str, list[Block]]:
    """What the mentor gets: who asks, for what, their note, and Accept / Decline."""
    text = f"<@{mentee_id}> would like you as their mentor in {escape(programme.name)}."
    blocks: list[Block] = [
        mrkdwn_section(f"<@{mentee_id}> would like you as their mentor in *{escape(programme.name)}*."),
        mrkdwn_section(f"They want to grow: {listing(wanted)}"),
    ]
    if note:
        blocks.append(mrkdwn_section("*Their note:*\n" + quote(note, MAX_MESSAGE)))
    blocks += [
        context(f"Please answer by {when(expires_at)}. Declining is fine: they'll simply choose again."),
        {
            "type": "actions",
            "block_id": f"request_{request_id}",
            "elements": [
                button("Accept", f"{ANSWER_ACTION}:accept", str(request_id), "primary"),
                button("Decline", f"{ANSWER_ACTION}:decline", str(request_id)),
            ],
        },
    ]
    return text, blocks


def asked_text(mentor_id: str, expires_at: datetime) -> str:
    return (
        f"Your request is with <@{mentor_id}>. They have until {when(expires_at)} to answer; I'll tell you either "
        "way. If they don't answer in time, you'll be matched in the next round."
    )


def accepted_note(mentee_id: str) -> str:
    return f"You accepted <@{mentee_id}>'s request. Your room with them is opening now."


def declined_note(mentee_id: str) -> str:
    return f"You declined <@{mentee_id}>'s request. Thank you for answering: I'll let them know kindly."


def refused_note(refusal: str) -> str:
    return f"This match can't start: {refusal} Nothing changed; the mentee can choose again."


def declined_dm(programme: Programme) -> tuple[str, list[Block]]:
    text = (
        f"The mentor you asked in {escape(programme.name)} can't take you on this time. It's not about you: "
        "mentors' time is limited. Choose another mentor, or you'll be matched in the next round."
    )
    return text, [mrkdwn_section(text), browse_button(programme.id, "Choose again")]


def refused_dm(programme: Programme, refusal: str) -> tuple[str, list[Block]]:
    text = f"Your mentor request in {escape(programme.name)} can't become a match: {refusal} Please choose again."
    return text, [mrkdwn_section(text), browse_button(programme.id, "Choose again")]


def expired_mentee_text(programme: Programme, mentor_id: str) -> str:
    return (
        f"<@{mentor_id}> didn't answer your request in {escape(programme.name)} in time, so it has lapsed. "
        "No worries: you'll be matched in the next round."
    )


def expired_mentor_text(programme: Programme, mentee_id: str) -> str:
    return (
        f"<@{mentee_id}>'s request in {escape(programme.name)} lapsed without an answer, so they'll be matched in "
        "the next round. Nothing for you to do."
    )

"""Block Kit for booking a chat: the times offered, a proposal, the agreed time with its calendar links, a
cancellation, the reminder DM, and what a person is told when they cannot act."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from blocks.admin import button
from blocks.common import Block, context, mrkdwn_section, plain
from mentoring.booking import MINUTES, Booking, Offer, Refusal
from store.models import MeetingStatus

PICK_ACTION = "booking_pick"  # value "{match_id}:{meeting_id or 0}:{unix time}"
ACCEPT_ACTION = "booking_accept"  # value: the meeting id (as for the actions below)
ANOTHER_ACTION = "booking_another"
CHANGE_ACTION = "booking_change"
CANCEL_ACTION = "booking_cancel"
BOOK_ACTION = "booking_book_next"  # value: the match id ("Book our next chat", after a check-in)
GOOGLE_ACTION = "booking_google"  # link buttons: Slack still sends their clicks, which are acknowledged
OUTLOOK_ACTION = "booking_outlook"
LINK_ACTIONS = (GOOGLE_ACTION, OUTLOOK_ACTION)

REFUSALS = {
    "not_member": "Only the people in this match can book their chat.",
    "own_proposal": "You proposed this time: your partner accepts it (or asks for another time).",
    "past": "That time has already gone by. Pick another one.",
    "settled": "Someone already acted on this: the message shows where the booking stands now.",
    "gone": "This booking no longer exists: press *Schedule our first chat* or *Book our next chat* again.",
}


def refusal(found: Refusal) -> str:
    return REFUSALS.get(found.reason, "That didn't work. Please try again.")


def when(at: datetime) -> str:
    """A time every reader sees in their own timezone (Slack's date formatting), with a UTC fallback."""
    unix = int(at.timestamp())
    fallback = at.astimezone(UTC).strftime("%a %d %b %Y %H:%M UTC")
    return f"<!date^{unix}^{{date_long_pretty}} at {{time}}|{fallback}>"


def pick_value(match_id: int, meeting_id: int | None, at: datetime) -> str:
    return f"{match_id}:{meeting_id or 0}:{int(at.timestamp())}"


def parse_pick(value: str) -> tuple[int, int | None, datetime] | None:
    parts = value.split(":")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    at = datetime.fromtimestamp(int(parts[2]), tz=UTC)
    return int(parts[0]), int(parts[1]) or None, at


def book_next_button(match_id: int) -> Block:
    """'Book our next chat', under a logged check-in in the room."""
    return {
        "type": "actions",
        "block_id": "book_next",
        "elements": [button("Book our next chat", BOOK_ACTION, str(match_id), "primary")],
    }


def offer_message(found: Offer) -> tuple[str, list[Block]]:
    """The times to pick from: the first to pick proposes it to the others."""
    if not found.slots:
        text = "I couldn't find a time inside everyone's working hours in the next two weeks. Try suggesting one here."
        return text, [mrkdwn_section(text)]
    head = f"<@{found.asked_by}> would like to find a time for your next chat ({MINUTES} minutes)."
    if found.standing is not None:
        head += f" Your chat stays on {when(found.standing)} until a new time is accepted."
    text = head + " Pick a time to propose it."
    blocks: list[Block] = [mrkdwn_section(text)]
    for at in found.slots:
        blocks.append(
            {
                "type": "section",
                "block_id": f"slot_{int(at.timestamp())}",
                "text": {"type": "mrkdwn", "text": f":calendar: {when(at)}"},
                "accessory": button("Propose this time", PICK_ACTION, pick_value(found.match_id, found.meeting_id, at)),
            }
        )
    blocks.append(context("Every time is inside everyone's working hours, shown in your own timezone."))
    return text, blocks


def proposed_message(booking: Booking) -> tuple[str, list[Block]]:
    meeting = booking.meeting
    text = f"<@{meeting.proposed_by}> proposed {when(meeting.starts_at)} ({meeting.minutes} minutes)."
    if meeting.previous_starts_at is not None:
        text += f" Instead of {when(meeting.previous_starts_at)}, which stands until this is accepted."
    others = [f"<@{uid}>" for uid in booking.members if uid != meeting.proposed_by]
    blocks: list[Block] = [
        mrkdwn_section(text),
        {
            "type": "actions",
            "block_id": f"meeting_{meeting.id}",
            "elements": [
                button("Accept", ACCEPT_ACTION, str(meeting.id), "primary"),
                button("Ask for another time", ANOTHER_ACTION, str(meeting.id)),
            ],
        },
        context(f"{', '.join(others) or 'Your partner'}: accept it, or ask for another time."),
    ]
    return text, blocks


def agreed_message(booking: Booking, *, google: str, outlook: str) -> tuple[str, list[Block]]:
    """The agreed time, for every reader in their own timezone, with one-click calendar links and the changes."""
    meeting = booking.meeting
    text = f":white_check_mark: Your chat is booked: {when(meeting.starts_at)} ({meeting.minutes} minutes)."
    detail = f"<@{meeting.proposed_by}> proposed it and <@{meeting.agreed_by}> accepted."
    blocks: list[Block] = [
        mrkdwn_section(f"{text}\n{detail} The calendar invite (`.ics`) is just below; or add it in one click:"),
        {
            "type": "actions",
            "block_id": f"meeting_{meeting.id}",
            "elements": [
                {**button("Add to Google Calendar", GOOGLE_ACTION, str(meeting.id)), "url": google},
                {**button("Add to Outlook", OUTLOOK_ACTION, str(meeting.id)), "url": outlook},
                button("Change the time", CHANGE_ACTION, str(meeting.id)),
                {
                    **button("Cancel", CANCEL_ACTION, str(meeting.id), "danger"),
                    "confirm": {
                        "title": plain("Cancel this chat?", 100),
                        "text": {"type": "mrkdwn", "text": "Everyone's invite is cancelled and no reminder is sent."},
                        "confirm": plain("Cancel the chat", 30),
                        "deny": plain("Keep it", 30),
                        "style": "danger",
                    },
                },
            ],
        },
        context("I'll remind you both the working morning before."),
    ]
    return text, blocks


def cancelled_message(booking: Booking) -> tuple[str, list[Block]]:
    meeting = booking.meeting
    text = f"<@{meeting.cancelled_by}> cancelled the chat on {when(meeting.starts_at)}."
    if booking.invite:
        text += " The cancellation for your calendar is just below."
    return text, [mrkdwn_section(text), context("Book another whenever you're ready, from the room's buttons.")]


def invite_comment(booking: Booking) -> str:
    meeting = booking.meeting
    if meeting.status == MeetingStatus.CANCELLED.value:
        return f"Cancellation for your calendar: the chat on {when(meeting.starts_at)} is off."
    version = " (updated time)" if meeting.sequence else ""
    return f"Calendar invite{version}: {when(meeting.starts_at)}. Open the file to add it to your calendar."


def reminder_dm(starts_at: datetime, partners: Sequence[str], room_id: str) -> tuple[str, list[Block]]:
    who = ", ".join(f"<@{p}>" for p in partners) or "your partner"
    text = f":wave: A reminder: your chat with {who} is {when(starts_at)}."
    return text, [mrkdwn_section(f"{text}\nYour room is <#{room_id}>.")]

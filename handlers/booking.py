"""Booking a chat in the room: times offered as buttons, the first pick proposes, another member accepts (the
calendar invite goes into the room) or asks for another time; the agreed time can move or be cancelled."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from blocks import booking as booking_ui
from blocks import matching as match_ui
from gateway.slack import user_emails
from handlers.common import action_value, int_or_none, team_of, tell, user_of
from handlers.deps import deps_of
from mentoring import booking, invites
from store.types import utcnow

logger = logging.getLogger(__name__)

Message = tuple[str, list[dict[str, Any]]]


def _clicked_message(body: dict[str, Any]) -> tuple[str | None, str | None]:
    container = body.get("container") or {}
    return container.get("channel_id") or (body.get("channel") or {}).get("id"), container.get("message_ts")


def _post(client: WebClient, body: dict[str, Any], channel: str, message: Message) -> None:
    try:
        client.chat_postMessage(channel=channel, text=message[0], blocks=message[1])
    except SlackApiError as error:
        logger.error("could not post in a room: %s", error.response.get("error"), extra={"channel": channel})
        tell(client, body, "I couldn't post in your room just now. Please try again.")


def _update(client: WebClient, body: dict[str, Any], channel: str | None, ts: str | None, message: Message) -> None:
    """Show where the booking stands in its room message (a new message when there is none to update)."""
    if not channel:
        return
    if not ts:
        _post(client, body, channel, message)
        return
    try:
        client.chat_update(channel=channel, ts=ts, text=message[0], blocks=message[1])
    except SlackApiError as error:
        logger.error("could not update a booking message: %s", error.response.get("error"), extra={"channel": channel})
        _post(client, body, channel, message)


def send_invite(client: WebClient, outcome: booking.Booking, *, team_id: str) -> None:
    """The calendar invite (or its cancellation) as an .ics file in the room, for everyone in it."""
    meeting = outcome.meeting
    people = user_emails(client, outcome.members)
    summary = invites.title(outcome.programme_name)
    description = invites.details(outcome.programme_name, outcome.room_id, team_id)
    ics = invites.invite_ics(meeting, summary=summary, description=description, attendees=people, now=utcnow())
    try:
        client.files_upload_v2(
            channel=outcome.room_id,
            file=ics,
            filename=invites.filename(meeting),
            title=summary,
            initial_comment=booking_ui.invite_comment(outcome),
        )
    except SlackApiError as error:
        logger.error("could not upload a calendar invite: %s", error.response.get("error"))


def _agreed(client: WebClient, outcome: booking.Booking, *, team_id: str) -> Message:
    summary = invites.title(outcome.programme_name)
    description = invites.details(outcome.programme_name, outcome.room_id, team_id)
    return booking_ui.agreed_message(
        outcome,
        google=invites.google_link(outcome.meeting, summary=summary, description=description),
        outlook=invites.outlook_link(outcome.meeting, summary=summary, description=description),
    )


def on_offer(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """'Schedule our first chat' / 'Book our next chat': post times inside everyone's working hours as buttons."""
    ack()
    deps = deps_of(context)
    with deps.db.session() as session:
        found = booking.offer(
            session=session,
            team_id=team_of(body, context),
            user_id=user_of(body),
            match_id=int_or_none(action_value(body)),
            now=utcnow(),
        )
    if isinstance(found, booking.Refusal):
        tell(client, body, booking_ui.refusal(found))
        return
    _post(client, body, found.room_id, booking_ui.offer_message(found))


def on_pick(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """The first to pick a time proposes it: the offer becomes the proposal, with Accept / Ask for another time."""
    ack()
    deps = deps_of(context)
    picked = booking_ui.parse_pick(action_value(body))
    channel, ts = _clicked_message(body)
    if picked is None:
        tell(client, body, booking_ui.refusal(booking.Refusal("gone")))
        return
    match_id, meeting_id, starts_at = picked
    with deps.db.begin() as session:
        outcome = booking.propose(
            session=session,
            team_id=team_of(body, context),
            user_id=user_of(body),
            match_id=match_id,
            meeting_id=meeting_id,
            starts_at=starts_at,
            now=utcnow(),
            channel_id=channel,
            message_ts=ts,
        )
    if isinstance(outcome, booking.Refusal):
        tell(client, body, booking_ui.refusal(outcome))
        return
    _update(client, body, outcome.meeting.channel_id, outcome.meeting.message_ts, booking_ui.proposed_message(outcome))


def on_accept(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """Another member accepts: the time is agreed, shown to everyone in their timezone, and the invite sent."""
    ack()
    deps = deps_of(context)
    team_id = team_of(body, context)
    with deps.db.begin() as session:
        outcome = booking.accept(
            session=session,
            team_id=team_id,
            user_id=user_of(body),
            meeting_id=int_or_none(action_value(body)),
            now=utcnow(),
        )
    if isinstance(outcome, booking.Refusal):
        tell(client, body, booking_ui.refusal(outcome))
        return
    meeting = outcome.meeting
    _update(client, body, meeting.channel_id, meeting.message_ts, _agreed(client, outcome, team_id=team_id))
    send_invite(client, outcome, team_id=team_id)


def on_new_times(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """'Ask for another time' (on a proposal) or 'Change the time' (on an agreed chat): new times, in place."""
    ack()
    deps = deps_of(context)
    moving = (body.get("actions") or [{}])[0].get("action_id") == booking_ui.CHANGE_ACTION
    use_case = booking.change_time if moving else booking.another_time
    with deps.db.session() as session:
        found = use_case(
            session=session,
            team_id=team_of(body, context),
            user_id=user_of(body),
            meeting_id=int_or_none(action_value(body)),
            now=utcnow(),
        )
    if isinstance(found, booking.Refusal):
        tell(client, body, booking_ui.refusal(found))
        return
    _update(client, body, *_clicked_message(body), booking_ui.offer_message(found))


def on_cancel(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """Cancel (after the confirm dialog): everyone sees it in the room, and an agreed chat's invite is cancelled."""
    ack()
    deps = deps_of(context)
    team_id = team_of(body, context)
    with deps.db.begin() as session:
        outcome = booking.cancel(
            session=session,
            team_id=team_id,
            user_id=user_of(body),
            meeting_id=int_or_none(action_value(body)),
            now=utcnow(),
        )
    if isinstance(outcome, booking.Refusal):
        tell(client, body, booking_ui.refusal(outcome))
        return
    _update(client, body, *_clicked_message(body), booking_ui.cancelled_message(outcome))
    if outcome.invite:
        send_invite(client, outcome, team_id=team_id)


def on_calendar_link(ack: Ack) -> None:
    """Link buttons open the calendar in the browser; Slack still sends the click, which only needs acknowledging."""
    ack()


def register(app: App) -> None:
    app.action(match_ui.SCHEDULE_ACTION)(on_offer)
    app.action(booking_ui.BOOK_ACTION)(on_offer)
    app.action(booking_ui.PICK_ACTION)(on_pick)
    app.action(booking_ui.ACCEPT_ACTION)(on_accept)
    app.action(booking_ui.ANOTHER_ACTION)(on_new_times)
    app.action(booking_ui.CHANGE_ACTION)(on_new_times)
    app.action(booking_ui.CANCEL_ACTION)(on_cancel)
    for action_id in booking_ui.LINK_ACTIONS:
        app.action(action_id)(on_calendar_link)

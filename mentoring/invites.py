"""Calendar invites for a booked chat: an iCalendar file (RFC 5545 with iTIP's REQUEST / CANCEL, made with the
`icalendar` library) and one-click links that open Google Calendar or Outlook with the event filled in."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from icalendar import Calendar, Event, vCalAddress, vText

from store.models import Meeting, MeetingStatus

PRODID = "-//mentor-bot//Booked chats//EN"
GOOGLE = "https://calendar.google.com/calendar/render"
OUTLOOK = "https://outlook.office.com/calendar/0/deeplink/compose"


def title(programme_name: str) -> str:
    return f"{programme_name or 'Mentoring'} chat"


def details(programme_name: str, room_id: str, team_id: str) -> str:
    room = f"https://slack.com/app_redirect?channel={room_id}&team={team_id}"
    return f"A {programme_name or 'mentoring'} chat booked in Slack. Your room: {room}"


def invite_ics(
    meeting: Meeting,
    *,
    summary: str,
    description: str,
    attendees: Mapping[str, tuple[str, str | None]],
    now: datetime,
) -> bytes:
    """The invite for this version of the meeting: METHOD:REQUEST while it stands, METHOD:CANCEL (STATUS:CANCELLED)
    once cancelled; the same UID every time, SEQUENCE as stored. `attendees`: user id -> (name, email or None);
    people without a known email are left out of the ATTENDEE list (they still get the file in the room)."""
    cancelled = meeting.status == MeetingStatus.CANCELLED.value
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    event.add("uid", meeting.uid)
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", meeting.starts_at.astimezone(UTC))
    event.add("dtend", (meeting.starts_at + timedelta(minutes=meeting.minutes)).astimezone(UTC))
    event.add("summary", summary)
    event.add("description", description)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    organiser = attendees.get(meeting.proposed_by)
    if organiser is not None and organiser[1]:
        address = vCalAddress(f"mailto:{organiser[1]}")
        address.params["cn"] = vText(organiser[0])
        event.add("organizer", address)
    for name, email in attendees.values():
        if not email:
            continue
        attendee = vCalAddress(f"mailto:{email}")
        attendee.params["cn"] = vText(name)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText("ACCEPTED")
        event.add("attendee", attendee, encode=False)
    calendar.add_component(event)
    return calendar.to_ical()


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def google_link(meeting: Meeting, *, summary: str, description: str) -> str:
    """Google Calendar's event template, filled in (the person saves it to their own calendar)."""
    end = meeting.starts_at + timedelta(minutes=meeting.minutes)
    query = {
        "action": "TEMPLATE",
        "text": summary,
        "dates": f"{_stamp(meeting.starts_at)}/{_stamp(end)}",
        "details": description,
    }
    return f"{GOOGLE}?{urlencode(query)}"


def outlook_link(meeting: Meeting, *, summary: str, description: str) -> str:
    """Outlook on the web's compose deeplink, filled in."""
    end = meeting.starts_at + timedelta(minutes=meeting.minutes)
    query = {
        "subject": summary,
        "startdt": meeting.starts_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "enddt": end.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "body": description,
    }
    return f"{OUTLOOK}?{urlencode(query)}"


def filename(meeting: Meeting) -> str:
    return "chat-cancelled.ics" if meeting.status == MeetingStatus.CANCELLED.value else "chat-invite.ics"

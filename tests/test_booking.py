"""Booking a chat: times offered as buttons in the room, a proposal, its acceptance with a calendar invite, moving
and cancelling it (same UID, higher SEQUENCE), and one reminder the working morning before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from icalendar import Calendar

from mentoring.booking import reminder_time
from mentoring.invites import google_link, invite_ics, outlook_link
from store.models import Meeting, MeetingStatus

TUESDAY_3PM = datetime(2027, 1, 5, 15, 0, tzinfo=UTC)


def meeting(**fields: object) -> Meeting:
    values: dict[str, object] = {
        "team_id": "T1",
        "programme_id": 1,
        "match_id": 1,
        "uid": "abc@mentor-bot",
        "starts_at": TUESDAY_3PM,
        "proposed_by": "U1",
        "proposed_at": TUESDAY_3PM - timedelta(days=3),
        "status": MeetingStatus.AGREED.value,
    }
    values.update(fields)
    return Meeting(**values)  # type: ignore[arg-type]


def attendees(event: Any) -> list[str]:
    found = event.get("ATTENDEE")
    return sorted(str(a) for a in (found if isinstance(found, list) else [found]))


def sequence(event: Any) -> int:
    return int(str(event["SEQUENCE"]))


def test_the_reminder_is_due_at_nine_on_the_working_day_before_in_each_persons_timezone() -> None:
    early = TUESDAY_3PM - timedelta(days=7)
    assert reminder_time(TUESDAY_3PM, "Europe/Berlin", now=early) == datetime(2027, 1, 4, 8, 0, tzinfo=UTC)
    assert reminder_time(TUESDAY_3PM, "America/New_York", now=early) == datetime(2027, 1, 4, 14, 0, tzinfo=UTC)
    monday = datetime(2027, 1, 4, 15, 0, tzinfo=UTC)  # the working day before a Monday is the Friday
    assert reminder_time(monday, "UTC", now=early) == datetime(2027, 1, 1, 9, 0, tzinfo=UTC)


def test_a_chat_booked_late_is_reminded_in_the_next_working_hours_or_not_at_all() -> None:
    evening_before = datetime(2027, 1, 4, 20, 0, tzinfo=UTC)
    assert reminder_time(TUESDAY_3PM, "UTC", now=evening_before) == datetime(2027, 1, 5, 9, 0, tzinfo=UTC)
    assert reminder_time(TUESDAY_3PM, "UTC", now=TUESDAY_3PM - timedelta(minutes=30)) is None


def test_the_invite_has_the_time_in_utc_both_attendees_and_a_stable_uid() -> None:
    people = {"U1": ("Ana", "ana@example.com"), "U2": ("Sam", "sam@example.com"), "U3": ("Lea", None)}
    now = TUESDAY_3PM - timedelta(days=2)
    first = Calendar.from_ical(invite_ics(meeting(), summary="Chat", description="Hi", attendees=people, now=now))
    event = first.walk("VEVENT")[0]
    assert str(first["METHOD"]) == "REQUEST"
    assert event.decoded("DTSTART") == TUESDAY_3PM and event.decoded("DTEND") == TUESDAY_3PM + timedelta(minutes=30)
    assert attendees(event) == ["mailto:ana@example.com", "mailto:sam@example.com"]
    cancelled = meeting(status=MeetingStatus.CANCELLED.value, sequence=1)
    second = Calendar.from_ical(invite_ics(cancelled, summary="Chat", description="Hi", attendees=people, now=now))
    again = second.walk("VEVENT")[0]
    assert str(second["METHOD"]) == "CANCEL" and str(again["STATUS"]) == "CANCELLED"
    assert str(again["UID"]) == str(event["UID"]) and sequence(again) == sequence(event) + 1


def test_calendar_links_carry_the_time_in_utc() -> None:
    google = google_link(meeting(), summary="Mentoring chat", description="Room")
    assert google.startswith("https://calendar.google.com/calendar/render?action=TEMPLATE&text=Mentoring+chat")
    assert "dates=20270105T150000Z%2F20270105T153000Z" in google
    outlook = outlook_link(meeting(), summary="Mentoring chat", description="Room")
    assert outlook.startswith("https://outlook.office.com/calendar/0/deeplink/compose?subject=Mentoring+chat")
    assert "startdt=2027-01-05T15%3A00%3A00Z" in outlook and "enddt=2027-01-05T15%3A30%3A00Z" in outlook

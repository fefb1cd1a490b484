"""Booking a chat: times offered as buttons in the room, a proposal, its acceptance with a calendar invite, moving
and cancelling it (same UID, higher SEQUENCE), and one reminder the working morning before."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from slack_sdk.errors import SlackApiError

from blocks import admin as admin_ui
from blocks import booking as booking_ui
from blocks import matching as match_ui
from gateway.slack import make_web_client, user_emails
from mentoring.booking import reminder_time
from mentoring.invites import google_link, invite_ics, outlook_link
from scheduling.scheduler import tick
from standin import BOT_TOKEN, Seen, SlackStandIn, find
from standin.blockkit import render_blocks
from standin.scenes import Actor, World, join_answers
from store import queries
from store.db import Database
from store.models import Match, Meeting, MeetingStatus, Programme
from store.types import use_clock
from tests.data import rows, set_programme

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


# --- in Slack: the room, the buttons, the invite, the reminder ----------------------------------------------------

MONDAY_10AM = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


class Room:
    """Lea (Berlin) mentors Tom (New York) in a room; the test moves the app's clock."""

    def __init__(self, world: World, database_url: str) -> None:
        self.world, self.database_url = world, database_url
        self.now = MONDAY_10AM
        use_clock(lambda: self.now)
        self.lea, self.tom, self.ana = world.person("Lea"), world.person("Tom"), world.person("Ana")
        self.lea.join(join_answers("mentor", offered=["Writing"], capacity=1))
        self.tom.join(join_answers("mentee", wanted=["Writing"]))
        self.ana.join(join_answers("mentee", wanted=["Negotiation"]))
        for person in (self.lea, self.tom, self.ana):
            person.wait_for_dm()
        set_programme(database_url, requires_approval=False)
        ingrid = world.person("Ingrid")
        ingrid.mentor("admin")
        panel = ingrid.wait_for_ephemeral("Programme admin")
        ingrid.click(panel, admin_ui.MATCH_ACTION, str(rows(database_url, Programme)[0].id))
        ingrid.wait_for_ephemeral("Released")
        [self.match] = [m for m in rows(database_url, Match) if m.room_id]
        self.room_id: str = self.match.room_id or ""
        self.reminders: dict[str, list[tuple[datetime, str]]] = {}
        self.db = Database.from_url(database_url)
        self.client = make_web_client(token=BOT_TOKEN, base_url=world.standin.api_url)
        self._seen: set[tuple[str, str | None]] = set()

    def messages(self) -> list[Seen]:
        return self.world.standin.messages_in(self.room_id)

    def wait_for_message(self, containing: str, *, after: int = 0) -> Seen:
        def found() -> Seen | None:
            return next((m for m in self.messages()[after:] if containing in m.text), None)

        return self.world.wait_for(found, what=f"a room message saying {containing!r}")

    def offer(self, person: Actor) -> Seen:
        before = len(self.messages())
        intro = self.messages()[0]
        person.click(intro, match_ui.SCHEDULE_ACTION)
        return self.wait_for_message("would like to find a time", after=before)

    def latest(self, ts: str | None) -> Seen:
        return next(m for m in self.messages() if m.ts == ts)

    def wait_for_update(self, ts: str | None, containing: str) -> Seen:
        def updated() -> Seen | None:
            message = self.latest(ts)
            return message if containing in message.text else None

        return self.world.wait_for(updated, what=f"the message to say {containing!r}")

    def invites(self) -> list[Calendar]:
        files = [f for m in self.messages() for f in m.files if f["name"].endswith(".ics")]
        return [Calendar.from_ical(download(f["url_private"])) for f in files]

    def wait_for_invites(self, count: int) -> list[Calendar]:
        def enough() -> list[Calendar] | None:
            found = self.invites()
            return found if len(found) >= count else None

        return self.world.wait_for(enough, what=f"{count} invites")

    def meeting(self) -> Meeting:
        return rows(self.database_url, Meeting)[-1]

    def tick_until(self, end: datetime) -> None:
        """Run the scheduler's pass every hour up to `end`, noting when each reminder reached whom."""
        while self.now < end:
            self.now += HOUR if 6 <= self.now.hour <= 15 else 3 * HOUR  # hourly around 09:00 in Berlin and New York
            tick(self.db, self.client, now=self.now)
            for person in (self.lea, self.tom):
                for dm in person.dms():
                    if "A reminder" in dm.text and (person.id, dm.ts) not in self._seen:
                        self._seen.add((person.id, dm.ts))
                        self.reminders.setdefault(person.id, []).append((self.now, dm.text))


def download(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {BOT_TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        data: bytes = response.read()
    return data


def event_of(calendar: Calendar) -> Any:
    return calendar.walk("VEVENT")[0]


def picks(message: Seen) -> list[str]:
    return [
        b["accessory"]["value"]
        for b in message.blocks
        if b.get("accessory", {}).get("action_id") == booking_ui.PICK_ACTION
    ]


def buttons(message: Seen) -> list[dict[str, Any]]:
    return [e for b in message.blocks for e in b.get("elements", []) if e.get("type") == "button"]


def slack_date(at: datetime) -> str:
    return f"<!date^{int(at.timestamp())}^{{date_long_pretty}} at {{time}}|"


@pytest.fixture
def room(world: World, database_url: str) -> Iterator[Room]:
    try:
        running = Room(world, database_url)
        yield running
        running.db.dispose()
    finally:
        use_clock(None)


def test_a_chat_is_proposed_accepted_moved_and_reminded_once(room: Room) -> None:
    lea, tom, ana = room.lea, room.tom, room.ana
    offer = room.offer(lea)
    times = picks(offer)
    assert len(times) >= 3
    for value in times:  # every time offered is inside both people's working hours, on a weekday
        at = datetime.fromtimestamp(int(value.split(":")[2]), tz=UTC)
        for person in (lea, tom):
            local = at.astimezone(ZoneInfo(person.who.tz))
            assert local.weekday() < 5 and local.hour >= 9 and (local + timedelta(minutes=30)).hour <= 17
    thursday = next(v for v in times if datetime.fromtimestamp(int(v.split(":")[2]), tz=UTC).weekday() == 3)
    starts_at = datetime.fromtimestamp(int(thursday.split(":")[2]), tz=UTC)

    ana.click(offer, booking_ui.PICK_ACTION, thursday)  # not in this match
    assert "Only the people in this match" in ana.wait_for_ephemeral("Only the people").text
    tom.click(offer, booking_ui.PICK_ACTION, thursday)
    proposal = room.wait_for_update(offer.ts, "proposed")
    assert f"<@{tom.id}> proposed {slack_date(starts_at)}" in proposal.text
    tom.click(proposal, booking_ui.ACCEPT_ACTION)  # his own proposal
    assert "You proposed this time" in tom.wait_for_ephemeral("You proposed").text
    assert room.meeting().status == "proposed"

    lea.click(proposal, booking_ui.ACCEPT_ACTION)
    booked = room.wait_for_update(offer.ts, "Your chat is booked")
    assert slack_date(starts_at) in booked.text
    links = {e["action_id"]: e.get("url", "") for e in buttons(booked)}
    assert links[booking_ui.GOOGLE_ACTION].startswith("https://calendar.google.com/calendar/render?action=TEMPLATE")
    assert links[booking_ui.OUTLOOK_ACTION].startswith("https://outlook.office.com/calendar/0/deeplink/compose?")
    assert lea.click(booked, booking_ui.GOOGLE_ACTION).status == 200  # a link click is acknowledged

    [first] = room.wait_for_invites(1)
    event = event_of(first)
    meeting = room.meeting()
    assert str(first["METHOD"]) == "REQUEST" and str(event["UID"]) == meeting.uid and sequence(event) == 0
    assert event.decoded("DTSTART") == starts_at and event.decoded("DTEND") == starts_at + timedelta(minutes=30)
    assert attendees(event) == sorted(f"mailto:{p.who.email}" for p in (lea, tom))

    # Lea's reminder is due on Wednesday at 09:00 in Berlin; then Tom moves the chat before his arrives.
    room.tick_until(datetime(2027, 1, 6, 9, 0, tzinfo=UTC))
    assert [at for at, _ in room.reminders[lea.id]] == [datetime(2027, 1, 6, 8, 0, tzinfo=UTC)]
    assert tom.id not in room.reminders
    tom.click(booked, booking_ui.CHANGE_ACTION)
    moving = room.wait_for_update(offer.ts, "stays on")
    later = max(picks(moving), key=lambda v: int(v.split(":")[2]))
    moved_to = datetime.fromtimestamp(int(later.split(":")[2]), tz=UTC)
    lea.click(moving, booking_ui.PICK_ACTION, later)
    proposal = room.wait_for_update(offer.ts, "proposed")
    assert f"Instead of {slack_date(starts_at)}" in proposal.text
    tom.click(proposal, booking_ui.ACCEPT_ACTION)
    room.wait_for_update(offer.ts, "Your chat is booked")
    second = room.wait_for_invites(2)[1]
    again = event_of(second)
    assert str(again["UID"]) == meeting.uid and sequence(again) == 1
    assert again.decoded("DTSTART") == moved_to

    room.tick_until(moved_to)
    for person in (lea, tom):
        reminded = [(at, text) for at, text in room.reminders[person.id] if slack_date(moved_to) in text]
        assert len(reminded) == 1, person.first_name  # once, for the new time
        local = reminded[0][0].astimezone(ZoneInfo(person.who.tz))
        assert (local.hour, local.minute) == (9, 0) and local.weekday() < 5
        assert local.date() < moved_to.astimezone(ZoneInfo(person.who.tz)).date()
    assert len(room.reminders[tom.id]) == 1  # his reminder for the old time was withdrawn, never sent


def test_cancelling_an_agreed_chat_cancels_the_invite_and_its_reminders(room: Room) -> None:
    lea, tom = room.lea, room.tom
    offer = room.offer(tom)
    first = picks(offer)[0]
    lea.click(offer, booking_ui.PICK_ACTION, first)
    tom.click(room.wait_for_update(offer.ts, "proposed"), booking_ui.ANOTHER_ACTION)
    again = room.wait_for_update(offer.ts, "would like to find a time")
    assert f"<@{tom.id}> would like" in again.text and first.split(":")[2] not in str(picks(again))
    lea.click(again, booking_ui.PICK_ACTION, picks(again)[-1])
    tom.click(room.wait_for_update(offer.ts, "proposed"), booking_ui.ACCEPT_ACTION)
    booked = room.wait_for_update(offer.ts, "Your chat is booked")
    [invite] = room.wait_for_invites(1)
    ingrid = room.world.person("Ingrid")
    ingrid.mentor("report")
    assert "*Meetings booked:* 1 chats booked" in render_blocks(ingrid.wait_for_ephemeral("Match rate").blocks)
    cancel = next(e for e in buttons(booked) if e["action_id"] == booking_ui.CANCEL_ACTION)
    assert cancel["confirm"]["confirm"]["text"] == "Cancel the chat"
    tom.click(booked, booking_ui.CANCEL_ACTION)
    assert f"<@{tom.id}> cancelled the chat" in room.wait_for_update(offer.ts, "cancelled").text
    cancelled = room.wait_for_invites(2)[1]
    assert str(cancelled["METHOD"]) == "CANCEL" and str(event_of(cancelled)["STATUS"]) == "CANCELLED"
    assert str(event_of(cancelled)["UID"]) == str(event_of(invite)["UID"]) and sequence(event_of(cancelled)) == 1
    room.tick_until(room.meeting().starts_at)
    assert room.reminders == {}
    tom.click(booked, booking_ui.CANCEL_ACTION)
    assert "Someone already acted" in tom.wait_for_ephemeral("already acted").text
    ingrid.mentor("report")
    report = ingrid.wait_for_ephemeral("Match rate", count=2)
    assert "*Meetings booked:* 0 chats booked" in render_blocks(report.blocks)
    uploads = room.world.standin.calls_to
    room.world.wait_for(lambda: len(uploads("files.completeUploadExternal")) >= 4, what="two invites, two dashboards")


def test_my_data_lists_booked_chats_and_forget_me_names_the_person_no_more(room: Room) -> None:
    offer = room.offer(room.tom)
    room.lea.click(offer, booking_ui.PICK_ACTION, picks(offer)[0])
    room.tom.click(room.wait_for_update(offer.ts, "proposed"), booking_ui.ACCEPT_ACTION)
    room.wait_for_update(offer.ts, "Your chat is booked")
    with room.db.session() as session:
        exported = queries.export_person(session=session, team_id=room.match.team_id, user_id=room.lea.id)
    assert [m["uid"] for m in exported["meetings"]] == [room.meeting().uid]
    with room.db.begin() as session:
        queries.forget_person(session=session, team_id=room.match.team_id, user_id=room.lea.id)
    kept = room.meeting()
    assert kept.proposed_by == queries.FORGOTTEN and kept.agreed_by == room.tom.id


def test_a_check_in_shared_in_the_room_offers_to_book_the_next_chat(room: Room) -> None:
    room.tom.click(room.messages()[0], match_ui.CHECKIN_ACTION)
    room.tom.wait_for_modal("Log a check-in")
    room.tom.submit({"usefulness": "5", "duration": "45"})
    shared = room.wait_for_message("logged your check-in")
    before = len(room.messages())
    room.ana.click(shared, booking_ui.BOOK_ACTION)  # not her match
    assert "Only the people in this match" in room.ana.wait_for_ephemeral("Only the people").text
    room.lea.click(shared, booking_ui.BOOK_ACTION)
    assert picks(room.wait_for_message("would like to find a time", after=before))


def test_emails_reach_the_app_only_with_the_users_read_email_scope() -> None:
    with SlackStandIn(scopes=frozenset({"users:read"})) as narrow, SlackStandIn() as full:
        lea = find("Lea").id
        for standin, expected in ((narrow, ""), (full, find("Lea").email)):
            client = make_web_client(token=BOT_TOKEN, base_url=standin.api_url)
            assert user_emails(client, [lea])[lea][1] == (expected or None)
        narrow_client = make_web_client(token=BOT_TOKEN, base_url=narrow.api_url)
        with pytest.raises(SlackApiError) as refused:
            narrow_client.files_getUploadURLExternal(filename="a.ics", length=3)
        assert refused.value.response["error"] == "missing_scope"

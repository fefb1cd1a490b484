"""Booking a chat in a match's room: times offered inside everyone's working hours, one person proposes, another
accepts (or asks for another time); the agreed time can move or be cancelled, and a reminder is planned for the
working morning before. Free of Slack: the listeners send what these use cases return."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from mentoring.matching import member_match, members
from mentoring.meeting import suggest_slots, zone
from store import queries
from store.db import Session
from store.models import Match, MatchStatus, Meeting, MeetingStatus, Participant, ParticipantStatus, Programme

MINUTES = 30
OFFERED = 4  # times offered at once
FURTHEST_DAYS = 60  # a proposed time must be within this many days
REMINDER_HOUR = 9  # the reminder arrives at this hour, local time, on the working day before
REMINDER_DAYS = (0, 1, 2, 3, 4)  # working days for reminders: Monday to Friday
REMINDER_HOURS = (9, 17)
REMINDER_LEAD = timedelta(hours=1)  # a reminder later than this before the chat is not worth sending


@dataclass(frozen=True)
class Refusal:
    """Why an action on a booking was not done: "not_member" (not in this match), "own_proposal" (the proposer
    cannot accept their own time), "past" (the time has gone by), "settled" (someone acted first), "gone" (the
    match or meeting no longer exists)."""

    reason: str


@dataclass(frozen=True)
class Offer:
    """Times to pick from, for a new meeting (meeting_id None) or to move `meeting_id`."""

    match_id: int
    room_id: str
    asked_by: str
    slots: list[datetime]
    meeting_id: int | None = None
    standing: datetime | None = None  # the agreed time that stands until a new one is accepted


@dataclass(frozen=True)
class Booking:
    """A meeting as it now stands, with what the room message and the invite need."""

    meeting: Meeting
    room_id: str
    programme_name: str
    members: list[str]
    invite: bool = False  # the calendar invite changed: send it (REQUEST, or CANCEL once cancelled)
    names: dict[str, str] = field(default_factory=dict)

    @property
    def ends_at(self) -> datetime:
        return self.meeting.starts_at + timedelta(minutes=self.meeting.minutes)


def _open_match(session: Session, *, team_id: str, user_id: str, match_id: int | None) -> Match | Refusal:
    match = member_match(session=session, match_id=match_id, team_id=team_id, user_id=user_id)
    if match is None:
        return Refusal("not_member")
    if match.status != MatchStatus.ACTIVE.value or match.room_id is None:
        return Refusal("gone")
    return match


def _people(session: Session, match: Match) -> dict[str, Participant | None]:
    ids = [m.slack_user_id for m in members(session=session, match_id=match.id or 0)]
    found = {
        p.slack_user_id: p
        for p in queries.programme_participants(session=session, team_id=match.team_id, programme_id=match.programme_id)
        if p.slack_user_id in ids
    }
    return {uid: found.get(uid) for uid in ids}


def timezones(session: Session, match: Match) -> dict[str, str | None]:
    return {uid: (p.timezone if p else None) for uid, p in _people(session, match).items()}


def _offer(session: Session, match: Match, *, user_id: str, now: datetime, meeting: Meeting | None = None) -> Offer:
    zones = list(timezones(session, match).values())
    avoid = {meeting.starts_at} if meeting is not None else set()
    slots = [s for s in suggest_slots(zones, now=now, count=OFFERED + 1, minutes=MINUTES) if s not in avoid]
    standing = None
    if meeting is not None and meeting.status == MeetingStatus.AGREED.value:
        standing = meeting.starts_at
    elif meeting is not None:
        standing = meeting.previous_starts_at
    return Offer(
        match_id=match.id or 0,
        room_id=match.room_id or "",
        asked_by=user_id,
        slots=slots[:OFFERED],
        meeting_id=meeting.id if meeting is not None else None,
        standing=standing,
    )


def offer(*, session: Session, team_id: str, user_id: str, match_id: int | None, now: datetime) -> Offer | Refusal:
    """'Schedule our first chat' / 'Book our next chat': times inside everyone's working hours, for a new meeting."""
    match = _open_match(session, team_id=team_id, user_id=user_id, match_id=match_id)
    if isinstance(match, Refusal):
        return match
    return _offer(session, match, user_id=user_id, now=now)


def _meeting_of(
    session: Session, *, team_id: str, user_id: str, meeting_id: int | None
) -> tuple[Meeting, Match] | Refusal:
    meeting = queries.get_meeting(session=session, team_id=team_id, meeting_id=meeting_id)
    if meeting is None:
        return Refusal("gone")
    match = _open_match(session, team_id=team_id, user_id=user_id, match_id=meeting.match_id)
    if isinstance(match, Refusal):
        return match
    return meeting, match


def _booking(session: Session, meeting: Meeting, match: Match, *, invite: bool = False) -> Booking:
    programme = session.get(Programme, match.programme_id)
    people = _people(session, match)
    return Booking(
        meeting=meeting,
        room_id=match.room_id or "",
        programme_name=programme.name if programme else "",
        members=list(people),
        invite=invite,
        names={uid: (p.display_name if p and p.display_name else uid) for uid, p in people.items()},
    )


def propose(
    *,
    session: Session,
    team_id: str,
    user_id: str,
    match_id: int | None,
    meeting_id: int | None,
    starts_at: datetime,
    now: datetime,
    channel_id: str | None = None,
    message_ts: str | None = None,
) -> Booking | Refusal:
    """The first to pick a time proposes it: a new meeting, or a new time for `meeting_id` (the agreed time stands
    until the new one is accepted)."""
    if starts_at <= now:
        return Refusal("past")
    if starts_at > now + timedelta(days=FURTHEST_DAYS):
        return Refusal("gone")
    if meeting_id:
        found = _meeting_of(session, team_id=team_id, user_id=user_id, meeting_id=meeting_id)
        if isinstance(found, Refusal):
            return found
        meeting, match = found
        if meeting.match_id != match_id or meeting.status == MeetingStatus.CANCELLED.value:
            return Refusal("settled")
        if meeting.status == MeetingStatus.AGREED.value:
            meeting.previous_starts_at = meeting.starts_at
    else:
        opened = _open_match(session, team_id=team_id, user_id=user_id, match_id=match_id)
        if isinstance(opened, Refusal):
            return opened
        match = opened
        meeting = Meeting(
            team_id=team_id,
            programme_id=match.programme_id,
            match_id=match.id or 0,
            uid=f"{uuid.uuid4().hex}@mentor-bot",
            starts_at=starts_at,
            minutes=MINUTES,
            proposed_by=user_id,
            proposed_at=now,
        )
    meeting.status = MeetingStatus.PROPOSED.value
    meeting.starts_at = starts_at
    meeting.proposed_by, meeting.proposed_at = user_id, now
    meeting.agreed_by = None
    meeting.channel_id = channel_id or meeting.channel_id or match.room_id
    meeting.message_ts = message_ts or meeting.message_ts
    session.add(meeting)
    session.flush()
    return _booking(session, meeting, match)


def accept(*, session: Session, team_id: str, user_id: str, meeting_id: int | None, now: datetime) -> Booking | Refusal:
    """Another member accepts the proposed time: the meeting is agreed, the invite goes out (SEQUENCE raised when it
    replaces an agreed time, whose pending reminders are withdrawn) and the reminder is planned."""
    found = _meeting_of(session, team_id=team_id, user_id=user_id, meeting_id=meeting_id)
    if isinstance(found, Refusal):
        return found
    meeting, match = found
    if meeting.status != MeetingStatus.PROPOSED.value:
        return Refusal("settled")
    if meeting.proposed_by == user_id:
        return Refusal("own_proposal")
    if meeting.starts_at <= now:
        return Refusal("past")
    if meeting.previous_starts_at is not None:  # moving an agreed meeting: a new version of the same invite
        queries.withdraw_reminders(
            session=session, team_id=team_id, meeting_id=meeting.id or 0, sequence=meeting.sequence
        )
        meeting.sequence += 1
        meeting.previous_starts_at = None
    meeting.status = MeetingStatus.AGREED.value
    meeting.agreed_by, meeting.agreed_at = user_id, now
    plans = reminder_plan(meeting.starts_at, timezones(session, match), now=now)
    meeting.remind_at = min(plans.values()) if plans else None
    session.add(meeting)
    return _booking(session, meeting, match, invite=True)


def another_time(
    *, session: Session, team_id: str, user_id: str, meeting_id: int | None, now: datetime
) -> Offer | Refusal:
    """'Ask for another time' on a proposal: new times to pick from (not the one proposed)."""
    found = _meeting_of(session, team_id=team_id, user_id=user_id, meeting_id=meeting_id)
    if isinstance(found, Refusal):
        return found
    meeting, match = found
    if meeting.status != MeetingStatus.PROPOSED.value:
        return Refusal("settled")
    return _offer(session, match, user_id=user_id, now=now, meeting=meeting)


def change_time(
    *, session: Session, team_id: str, user_id: str, meeting_id: int | None, now: datetime
) -> Offer | Refusal:
    """'Change the time' on an agreed meeting: times to pick from; the agreed time stands until a new one is
    accepted."""
    found = _meeting_of(session, team_id=team_id, user_id=user_id, meeting_id=meeting_id)
    if isinstance(found, Refusal):
        return found
    meeting, match = found
    if meeting.status != MeetingStatus.AGREED.value:
        return Refusal("settled")
    return _offer(session, match, user_id=user_id, now=now, meeting=meeting)


def cancel(*, session: Session, team_id: str, user_id: str, meeting_id: int | None, now: datetime) -> Booking | Refusal:
    """Cancel a meeting: when it had been agreed, everyone's invite is cancelled (same UID, SEQUENCE raised) and
    its reminders withdrawn."""
    found = _meeting_of(session, team_id=team_id, user_id=user_id, meeting_id=meeting_id)
    if isinstance(found, Refusal):
        return found
    meeting, match = found
    if meeting.status == MeetingStatus.CANCELLED.value:
        return Refusal("settled")
    was_agreed = meeting.status == MeetingStatus.AGREED.value or meeting.previous_starts_at is not None
    if meeting.previous_starts_at is not None:
        meeting.starts_at, meeting.previous_starts_at = meeting.previous_starts_at, None
    if was_agreed:
        queries.withdraw_reminders(
            session=session, team_id=team_id, meeting_id=meeting.id or 0, sequence=meeting.sequence
        )
        meeting.sequence += 1
    meeting.status = MeetingStatus.CANCELLED.value
    meeting.cancelled_by = user_id
    meeting.remind_at = None
    session.add(meeting)
    return _booking(session, meeting, match, invite=was_agreed)


# --- reminders -------------------------------------------------------------------------------------------------


def _in_hours(at: datetime, timezone: str | None) -> bool:
    local = at.astimezone(zone(timezone))
    return local.weekday() in REMINDER_DAYS and REMINDER_HOURS[0] <= local.hour < REMINDER_HOURS[1]


def reminder_time(starts_at: datetime, timezone: str | None, *, now: datetime) -> datetime | None:
    """When one person's reminder should arrive: 09:00 their time on the working day before the chat; when that
    has passed, the next moment inside their working hours (Monday to Friday, 09:00-17:00). None when that would
    be less than an hour before the chat."""
    tz = zone(timezone)
    day = starts_at.astimezone(tz).date() - timedelta(days=1)
    while day.weekday() not in REMINDER_DAYS:
        day -= timedelta(days=1)
    at = datetime.combine(day, time(REMINDER_HOUR), tzinfo=tz).astimezone(UTC)
    if at < now:
        at = now
        for _ in range(15):
            if _in_hours(at, timezone):
                break
            local = at.astimezone(tz)
            start = datetime.combine(local.date(), time(REMINDER_HOURS[0]), tzinfo=tz)
            at = (start if local < start else start + timedelta(days=1)).astimezone(UTC)
    return at if at <= starts_at - REMINDER_LEAD else None


def reminder_plan(starts_at: datetime, zones: dict[str, str | None], *, now: datetime) -> dict[str, datetime]:
    """Each member's reminder time (members too late for one are left out)."""
    plan = {uid: reminder_time(starts_at, tz, now=now) for uid, tz in zones.items()}
    return {uid: at for uid, at in plan.items() if at is not None}


@dataclass(frozen=True)
class Reminder:
    user_id: str
    at: datetime
    timezone: str | None
    partners: list[str]


def reminders_due(*, session: Session, meeting: Meeting, now: datetime) -> list[Reminder]:
    """The reminders to plan for an agreed meeting (people who left the programme get none); marks it planned."""
    meeting.remind_at = None
    session.add(meeting)
    match = session.get(Match, meeting.match_id)
    if match is None or match.status != MatchStatus.ACTIVE.value:
        return []
    people = _people(session, match)
    zones = {uid: p.timezone for uid, p in people.items() if p is not None and p.status != ParticipantStatus.LEFT}
    plan = reminder_plan(meeting.starts_at, zones, now=now)
    return [Reminder(uid, at, zones[uid], [o for o in people if o != uid]) for uid, at in sorted(plan.items())]

"""Planning check-in DMs: on each match's cadence, one DM per member, in that person's own working hours.

The plan comes from the database (cadence, release date, check-ins logged, each person's timezone), not from
one scheduler job per person, so restarts and cadence edits are safe. Planned DMs go into the outbox under a
key per (match, person, period): planning twice never makes two messages.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot import checkin_ui
from bot.meeting import zone
from scheduling.outbox import enqueue
from store import queries
from store.db import Database
from store.models import CheckIn, Match, MatchMember, MatchStatus, Participant, ParticipantStatus, Programme

logger = logging.getLogger(__name__)

CADENCE_DAYS = {"weekly": 7, "fortnightly": 14, "monthly": 28}
WORK_DAYS = (1, 2, 3)  # Tuesday to Thursday, local time
WORK_HOURS = (10, 16)


def next_working_slot(after: datetime, timezone: str | None, *, days: Sequence[int] = WORK_DAYS) -> datetime:
    """The first moment at or after `after` that is inside the person's working hours (10:00-16:00 local,
    Tuesday to Thursday): never at night, never at a weekend. UTC."""
    tz = zone(timezone)
    local = after.astimezone(tz)
    for day in range(0, 14):
        candidate_day = (local + timedelta(days=day)).date()
        if candidate_day.weekday() not in days:
            continue
        start = datetime(candidate_day.year, candidate_day.month, candidate_day.day, WORK_HOURS[0], tzinfo=tz)
        end = start.replace(hour=WORK_HOURS[1])
        if day == 0 and local >= end:
            continue
        return max(start, local).astimezone(after.tzinfo or tz) if day == 0 else start.astimezone(after.tzinfo or tz)
    raise AssertionError("a working day always comes within two weeks")


def period_of(released_at: datetime, now: datetime, cadence_days: int) -> int:
    """Which cadence period `now` is in (0 = the first, right after release)."""
    return max(int((now - released_at) / timedelta(days=cadence_days)), 0)


def plan_checkins(db: Database, *, now: datetime) -> int:
    """Put the check-in DMs that are due this period into the outbox. Returns how many were new."""
    planned = 0
    with db.begin() as session:
        for match in session.exec(select(Match).where(Match.status == MatchStatus.ACTIVE.value)).all():
            if match.released_at is None or not queries.workspace_active(session=session, team_id=match.team_id):
                continue
            programme = session.get(Programme, match.programme_id)
            if programme is None:
                continue
            planned += _plan_match(session, match, programme, now)
    return planned


def _plan_match(session: Session, match: Match, programme: Programme, now: datetime) -> int:
    assert match.released_at is not None and match.id is not None
    cadence = CADENCE_DAYS.get(programme.cadence, 14)
    period = period_of(match.released_at, now, cadence)
    if period < 1:
        return 0  # the first check-in comes one cadence after the match starts
    period_start = match.released_at + timedelta(days=cadence * period)
    logged = session.exec(
        select(CheckIn).where(CheckIn.match_id == match.id, col(CheckIn.created_at) >= period_start)
    ).first()
    if logged is not None:
        return 0
    members = session.exec(select(MatchMember).where(MatchMember.match_id == match.id)).all()
    people = {
        p.slack_user_id: p
        for p in session.exec(select(Participant).where(Participant.programme_id == programme.id)).all()
    }
    since = period_start - timedelta(days=cadence)
    planned = 0
    for member in members:
        person = people.get(member.slack_user_id)
        if person is None or person.status != ParticipantStatus.ACTIVE.value:
            continue  # paused, left or gone: nothing is sent
        partners = [m.slack_user_id for m in members if m.slack_user_id != member.slack_user_id]
        text, blocks = checkin_ui.checkin_dm(match.id, partners, since=since.date())
        if enqueue(
            session,
            team_id=match.team_id,
            key=f"checkin:{match.id}:{member.slack_user_id}:{period}",
            kind="checkin",
            recipient=member.slack_user_id,
            text=text,
            blocks=blocks,
            not_before=next_working_slot(max(period_start, now), person.timezone),
        ):
            planned += 1
    return planned

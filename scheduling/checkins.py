"""The check-in loop: what each active match is due, planned into the outbox, in each person's working hours.

The plan comes from the database (cadence, release date, the last check-in, each person's timezone and answers),
not from one scheduler job per person, so restarts and cadence edits are safe. Each match records when it next
needs looking at (`Match.plan_at`); a pass reads only the matches that are due, so its cost grows with what is
due, not with everyone in the programme. Everything planned goes into the outbox under a key per (match,
person, kind, period): planning twice never makes two messages.

Over a cycle a match gets:
- each cadence period (from the second on) a check-in DM per member, unless the pair already logged one;
- quiet for two cadences: one gentle nudge in its room; quiet for three: one DM to each programme admin;
- a member who left three check-ins in a row unanswered is asked whether to pause, then left in peace;
- halfway through the cycle, the pulse (a three-question survey); in the last week, the exit reflection;
  in the last week too, a closing message in the room, where the pair can choose to go on together.
No person gets more than one of these a day (their own calendar); paused, left and gone people get nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from bot import checkin_ui
from bot.meeting import zone
from scheduling.hours import WORK_DAYS, WORK_HOURS, Window, next_working_slot
from scheduling.outbox import enqueue
from store import queries
from store.db import Database
from store.models import (
    Match,
    MatchMember,
    MatchStatus,
    OutboxMessage,
    OutboxStatus,
    Participant,
    ParticipantStatus,
    Programme,
    ProgrammeStatus,
)

logger = logging.getLogger(__name__)

__all__ = ["WORK_DAYS", "WORK_HOURS", "Window", "next_working_slot", "plan_checkins", "plan_match", "replan"]

CADENCE_DAYS = {"weekly": 7, "fortnightly": 14, "monthly": 28}

NUDGE_AFTER_QUIET = 2  # cadences without a check-in before the room gets one gentle nudge
ESCALATE_AFTER_QUIET = 3  # ... before the programme admins hear about it
ASK_PAUSE_AFTER = 3  # unanswered check-ins in a row before we ask about a pause instead
EXIT_BEFORE_END = timedelta(days=7)
CLOSING_BEFORE_END = timedelta(days=6)

NUDGE_KINDS = frozenset({"checkin", "nudge", "ask_pause", "pulse", "exit", "milestone"})
"""Outbox kinds that count as a nudge: a person gets at most one of them a day."""


def period_of(released_at: datetime, now: datetime, cadence_days: int) -> int:
    """Which cadence period `now` is in (0 = the first, right after release)."""
    return max(int((now - released_at) / timedelta(days=cadence_days)), 0)


# --- what a match is due: a pure function of its state -------------------------------------------------


@dataclass(frozen=True)
class Member:
    user_id: str
    active: bool  # not paused, left or gone
    unanswered: int


@dataclass(frozen=True)
class MatchState:
    released_at: datetime
    cadence_days: int
    last_checkin_at: datetime | None
    cycle_started_at: datetime | None
    cycle_ends_at: datetime | None
    members: tuple[Member, ...]


@dataclass(frozen=True)
class Due:
    kind: str  # checkin | ask_pause | nudge | escalate | pulse | exit | closing
    user_id: str | None  # the member a DM is for; None for the room and the admins
    key: str  # unique within the match
    earliest: datetime


@dataclass
class Plan:
    due: list[Due] = field(default_factory=list)
    next_at: datetime | None = None


def plan_match(state: MatchState, now: datetime) -> Plan:
    """What the match is due at `now`, and when it next needs looking at."""
    plan = Plan()
    cadence = timedelta(days=state.cadence_days)
    marks: list[datetime] = []  # future moments something becomes due
    ends = state.cycle_ends_at
    exit_at = ends - EXIT_BEFORE_END if ends else None
    winding_down = exit_at is not None and now >= exit_at

    period = period_of(state.released_at, now, state.cadence_days)
    period_start = state.released_at + cadence * period
    marks.append(period_start + cadence)
    if period >= 1 and not winding_down:
        logged_this_period = state.last_checkin_at is not None and state.last_checkin_at >= period_start
        if not logged_this_period:
            for member in state.members:
                if not member.active or member.unanswered > ASK_PAUSE_AFTER:
                    continue  # paused or gone; or asked about a pause already: left in peace
                kind = "ask_pause" if member.unanswered == ASK_PAUSE_AFTER else "checkin"
                plan.due.append(Due(kind, member.user_id, f"{member.user_id}:{period}", period_start))
        last = state.last_checkin_at or state.released_at
        quiet = int((now - last) / cadence)
        stretch = int(last.timestamp())
        marks.extend(m for m in (last + cadence * NUDGE_AFTER_QUIET, last + cadence * ESCALATE_AFTER_QUIET) if m > now)
        if quiet >= NUDGE_AFTER_QUIET and any(m.active for m in state.members):
            plan.due.append(Due("nudge", None, str(stretch), last + cadence * NUDGE_AFTER_QUIET))
        if quiet >= ESCALATE_AFTER_QUIET:
            plan.due.append(Due("escalate", None, str(stretch), last + cadence * ESCALATE_AFTER_QUIET))
    if state.cycle_started_at is not None and ends is not None:
        midpoint = state.cycle_started_at + (ends - state.cycle_started_at) / 2
        closing_at = ends - CLOSING_BEFORE_END
        for kind, at in (("pulse", midpoint), ("exit", exit_at)):
            assert at is not None
            if now < at:
                marks.append(at)
            elif now < ends and state.released_at < at:
                plan.due.extend(
                    Due(kind, m.user_id, m.user_id, at)
                    for m in state.members
                    if m.active and m.unanswered <= ASK_PAUSE_AFTER
                )
        if now < closing_at:
            marks.append(closing_at)
        elif now < ends:
            plan.due.append(Due("closing", None, "room", closing_at))
        if now >= ends:
            marks = []  # the cycle is over: nothing more until the programme moves on
    plan.next_at = min(marks) if marks else None
    return plan


# --- planning against the database ---------------------------------------------------------------------

AdminLookup = Callable[[Session, str, int], list[str]]


def plan_checkins(db: Database, *, now: datetime, admins: AdminLookup | None = None, batch: int = 500) -> int:
    """Put into the outbox everything the active matches are due at `now`. Returns how many messages were new.

    `admins(session, team_id, programme_id)` names who hears about stalled pairs (without it, nobody).
    """
    planned = 0
    done: set[int] = set()
    while True:
        with db.begin() as session:
            query = (
                select(Match)
                .where(
                    Match.status == MatchStatus.ACTIVE.value,
                    or_(col(Match.plan_at).is_(None), col(Match.plan_at) <= now),
                    col(Match.released_at).is_not(None),
                )
                .order_by(col(Match.plan_at), col(Match.id))
                .limit(batch)
            )
            if db.engine.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            matches = [m for m in session.exec(query).all() if m.id not in done]
            if not matches:
                break
            programmes: dict[int, Programme | None] = {}
            active_teams: dict[str, bool] = {}
            for match in matches:
                assert match.id is not None
                done.add(match.id)
                if match.programme_id not in programmes:
                    programmes[match.programme_id] = session.get(Programme, match.programme_id)
                programme = programmes[match.programme_id]
                if match.team_id not in active_teams:
                    active_teams[match.team_id] = queries.workspace_active(session=session, team_id=match.team_id)
                if programme is None or programme.status == ProgrammeStatus.CLOSED.value:
                    match.plan_at = now + timedelta(days=1)  # between cycles: look again tomorrow
                elif not active_teams[match.team_id]:
                    match.plan_at = now + timedelta(days=1)
                else:
                    planned += _plan_one(session, match, programme, now, admins)
                session.add(match)
    return planned


def _plan_one(session: Session, match: Match, programme: Programme, now: datetime, admins: AdminLookup | None) -> int:
    assert match.released_at is not None and match.id is not None and programme.id is not None
    members = session.exec(select(MatchMember).where(MatchMember.match_id == match.id)).all()
    ids = [m.slack_user_id for m in members]
    people = {
        p.slack_user_id: p
        for p in session.exec(
            select(Participant).where(Participant.programme_id == programme.id, col(Participant.slack_user_id).in_(ids))
        ).all()
    }
    cadence = CADENCE_DAYS.get(programme.cadence, 14)
    state = MatchState(
        released_at=match.released_at,
        cadence_days=cadence,
        last_checkin_at=match.last_checkin_at,
        cycle_started_at=programme.cycle_started_at,
        cycle_ends_at=programme.cycle_ends_at,
        members=tuple(
            Member(
                user_id=uid,
                active=uid in people and people[uid].status == ParticipantStatus.ACTIVE.value,
                unanswered=people[uid].unanswered_checkins if uid in people else 0,
            )
            for uid in ids
        ),
    )
    plan = plan_match(state, now)
    window = Window.of(programme)
    planned = 0
    for due in plan.due:
        # A period's question is a check-in or, after three unanswered, the pause question: one key for both.
        key = f"{'checkin' if due.kind == 'ask_pause' else due.kind}:{match.id}:{due.key}"
        if due.kind != "escalate" and _already_planned(session, match.team_id, key):
            continue
        if due.kind == "escalate":
            for admin in admins(session, match.team_id, programme.id) if admins else []:
                text, blocks = checkin_ui.escalation_dm(match.id, ids, programme.name, since=match.last_checkin_at)
                planned += enqueue(
                    session,
                    team_id=match.team_id,
                    key=f"{key}:{admin}",
                    kind="escalate",
                    recipient=admin,
                    text=text,
                    blocks=blocks,
                    not_before=now,
                )
            continue
        if due.kind in ("nudge", "closing"):
            if not match.room_id:
                continue
            if due.kind == "nudge":
                text, blocks = checkin_ui.room_nudge(match.id, ids)
            else:
                assert programme.cycle_ends_at is not None
                text, blocks = checkin_ui.closing_message(match.id, programme.name, programme.cycle_ends_at.date())
            tz = _shared_zone([people[u] for u in ids if u in people])
            not_before = _nudge_slot(
                session, match, [u for u in ids if u in people], max(due.earliest, now), tz, window
            )
            planned += enqueue(
                session,
                team_id=match.team_id,
                key=key,
                kind=due.kind,
                channel=match.room_id,
                text=text,
                blocks=blocks,
                not_before=not_before,
                window=window.as_payload(tz),
            )
            continue
        person = people[due.user_id or ""]
        text, blocks = _dm_for(due, match, ids, programme, cadence)
        not_before = _nudge_slot(
            session, match, [person.slack_user_id], max(due.earliest, now), person.timezone, window
        )
        if enqueue(
            session,
            team_id=match.team_id,
            key=key,
            kind=due.kind,
            recipient=person.slack_user_id,
            text=text,
            blocks=blocks,
            not_before=not_before,
            window=window.as_payload(person.timezone),
        ):
            planned += 1
            if due.kind in ("checkin", "ask_pause"):
                person.unanswered_checkins += 1  # answered (or a check-in logged) sets it back to 0
                session.add(person)
    match.plan_at = plan.next_at or now + timedelta(days=1)
    return planned


def _dm_for(
    due: Due, match: Match, ids: list[str], programme: Programme, cadence: int
) -> tuple[str, list[dict[str, Any]]]:
    assert match.id is not None and match.released_at is not None
    partners = [u for u in ids if u != due.user_id]
    if due.kind == "checkin":
        since = max(due.earliest - timedelta(days=cadence), match.released_at)
        return checkin_ui.checkin_dm(match.id, partners, since=since.date())
    if due.kind == "ask_pause":
        return checkin_ui.pause_question(match.id, programme.name)
    if due.kind == "pulse":
        return checkin_ui.pulse_dm(match.id, programme.name)
    return checkin_ui.exit_dm(match.id, programme.name)


def _already_planned(session: Session, team_id: str, key: str) -> bool:
    return (
        session.exec(select(OutboxMessage.id).where(OutboxMessage.team_id == team_id, OutboxMessage.key == key)).first()
        is not None
    )


def _shared_zone(people: list[Participant]) -> str | None:
    """The timezone to time a room message by: the first member's (rooms are for two to four people, and the
    window is checked again for each recipient's DMs; a room message lands in the first member's hours)."""
    return people[0].timezone if people else None


def _nudge_slot(
    session: Session,
    match: Match,
    user_ids: list[str],
    earliest: datetime,
    timezone: str | None,
    window: Window,
) -> datetime:
    """The first working slot at or after `earliest` on a day (in `timezone`) when none of `user_ids` already
    has a nudge: a DM of a nudge kind, or a nudge in a room of theirs."""
    slot = next_working_slot(earliest, timezone, window=window)
    tz = zone(timezone)
    rooms = [
        m.room_id
        for m in session.exec(
            select(Match)
            .join(MatchMember, col(MatchMember.match_id) == col(Match.id))
            .where(col(MatchMember.slack_user_id).in_(user_ids), Match.team_id == match.team_id)
        ).all()
        if m.room_id
    ]
    for _ in range(30):
        local = slot.astimezone(tz)
        day_start = datetime.combine(local.date(), time(0), tzinfo=tz)
        day_end = day_start + timedelta(days=1)
        taken = session.exec(
            select(OutboxMessage.id).where(
                OutboxMessage.team_id == match.team_id,
                or_(col(OutboxMessage.recipient).in_(user_ids), col(OutboxMessage.channel_id).in_(rooms)),
                col(OutboxMessage.kind).in_(sorted(NUDGE_KINDS)),
                col(OutboxMessage.status) != OutboxStatus.SKIPPED.value,
                col(OutboxMessage.not_before) >= day_start,
                col(OutboxMessage.not_before) < day_end,
            )
        ).first()
        if taken is None:
            return slot
        slot = next_working_slot(day_end, timezone, window=window)
    return slot


def replan(session: Session, *, programme_id: int | None = None, match_ids: Sequence[int] = ()) -> None:
    """Look at these matches again on the next pass (a cadence or a cycle changed, someone came back)."""
    query = select(Match).where(Match.status == MatchStatus.ACTIVE.value)
    if programme_id is not None:
        query = query.where(Match.programme_id == programme_id)
    elif match_ids:
        query = query.where(col(Match.id).in_(list(match_ids)))
    else:
        return
    for match in session.exec(query).all():
        match.plan_at = None
        session.add(match)

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
import time as clock
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from blocks import checkins as checkin_ui
from mentoring.checkins import replan
from mentoring.meeting import zone
from scheduling.hours import WORK_DAYS, WORK_HOURS, Window, next_working_slot
from scheduling.outbox import insert_messages, message_values
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

NUDGE_KINDS = frozenset(
    {
        "checkin",
        "nudge",
        "ask_pause",
        "pulse",
        "exit",
        "milestone_reminder",
        "milestone_overdue",
        "roadmap_setup",
        "alumni_invite",
    }
)
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
    away: bool = False  # away by their Slack status now: the pair's check-ins and nudges wait
    back_at: datetime | None = None  # when they last came back from being away: the cadence restarts there


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
    someone_away = any(m.away for m in state.members)
    back = max((m.back_at for m in state.members if m.back_at is not None and m.back_at <= now), default=None)
    if period >= 1 and not winding_down and not someone_away:
        logged_this_period = state.last_checkin_at is not None and state.last_checkin_at >= period_start
        if not logged_this_period:
            for member in state.members:
                if not member.active or member.unanswered > ASK_PAUSE_AFTER:
                    continue  # paused or gone; or asked about a pause already: left in peace
                kind = "ask_pause" if member.unanswered == ASK_PAUSE_AFTER else "checkin"
                plan.due.append(Due(kind, member.user_id, f"{member.user_id}:{period}", period_start))
        last = state.last_checkin_at or state.released_at
        if back is not None and back > last:
            last = back  # the pair waited while someone was away: quiet is counted from their return
            logged_this_period = logged_this_period or back >= period_start
            if logged_this_period:
                plan.due = [d for d in plan.due if d.kind not in ("checkin", "ask_pause")]
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
                    if m.active and not m.away and m.unanswered <= ASK_PAUSE_AFTER
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


def plan_due_matches(
    db: Database,
    *,
    next_look: Any,
    now: datetime,
    batch: int,
    time_budget: float,
    plan: Callable[[Session, list[Match]], int],
) -> int:
    """Run `plan` over the active, released matches whose `next_look` column has come (or is None), `batch` at a
    time, each batch in one unit of work (PostgreSQL: rows locked with SKIP LOCKED, so two planners never plan the
    same match); no batch starts after `time_budget` seconds. Returns the sum of what `plan` returned."""
    planned = 0
    deadline = clock.monotonic() + time_budget
    while clock.monotonic() < deadline:
        with db.begin() as session:
            query = (
                select(Match)
                .where(
                    Match.status == MatchStatus.ACTIVE.value,
                    or_(col(next_look).is_(None), col(next_look) <= now),
                    col(Match.released_at).is_not(None),
                )
                .order_by(col(next_look), col(Match.id))
                .limit(batch)
            )
            if db.backend == "postgresql":
                query = query.with_for_update(skip_locked=True)
            matches = list(session.exec(query).all())
            if not matches:
                break
            planned += plan(session, matches)
        if len(matches) < batch:
            break
    return planned


def plan_checkins(
    db: Database,
    *,
    now: datetime,
    admins: AdminLookup | None = None,
    batch: int = 250,
    time_budget: float = 0.5,
) -> int:
    """Put into the outbox everything the active matches are due at `now`. Returns how many messages were new.

    Reads only matches whose `plan_at` has come, `batch` at a time, each batch in one unit of work with a
    fixed number of queries (PostgreSQL: the rows are locked with SKIP LOCKED, so two planners never plan the
    same match). No batch starts after `time_budget` seconds: when a whole round comes due at once, the rest
    waits for the next pass (still due, and timed from its own due moment), so a pass stays short.
    `admins(session, team_id, programme_id)` names who hears about stalled pairs.
    """
    return plan_due_matches(
        db,
        next_look=Match.plan_at,
        now=now,
        batch=batch,
        time_budget=time_budget,
        plan=lambda session, matches: _Batch(session, matches, now, admins).plan(),
    )


@dataclass(frozen=True)
class _Person:
    """What planning reads of a participant."""

    id: int
    programme_id: int
    slack_user_id: str
    status: str
    unanswered_checkins: int
    away_since: datetime | None
    away_until: datetime | None
    timezone: str | None


_PERSON_COLUMNS: tuple[Any, ...] = (
    Participant.id,
    Participant.programme_id,
    Participant.slack_user_id,
    Participant.status,
    Participant.unanswered_checkins,
    Participant.away_since,
    Participant.away_until,
    Participant.timezone,
)


class _Batch:
    """One batch of due matches, with everything planning them needs loaded up front in a few queries."""

    def __init__(self, session: Session, matches: list[Match], now: datetime, admins: AdminLookup | None) -> None:
        self.session, self.matches, self.now, self.admins = session, matches, now, admins
        ids = [m.id for m in matches]
        programme_ids = {m.programme_id for m in matches}
        self.programmes = {
            p.id: p for p in session.exec(select(Programme).where(col(Programme.id).in_(programme_ids))).all()
        }
        teams = {m.team_id for m in matches}
        self.active_teams = {t: queries.workspace_active(session=session, team_id=t) for t in teams}
        self.members: dict[int, list[str]] = {}
        self.roles: dict[tuple[int, str], str] = {}
        for match_id, user_id, role in session.exec(
            select(MatchMember.match_id, MatchMember.slack_user_id, MatchMember.role).where(
                col(MatchMember.match_id).in_(ids)
            )
        ).all():
            self.members.setdefault(match_id, []).append(user_id)
            self.roles[(match_id, user_id)] = role
        users = {u for group in self.members.values() for u in group}
        # Plain rows, not ORM objects: a batch reads hundreds of people and changes only a counter (`asked`).
        self.people: dict[tuple[int, str], _Person] = {
            (p.programme_id, p.slack_user_id): p
            for p in (
                _Person(*row)
                for row in session.execute(
                    select_columns(*_PERSON_COLUMNS).where(
                        col(Participant.programme_id).in_(programme_ids), col(Participant.slack_user_id).in_(users)
                    )
                ).all()
            )
        }
        self.asked: Counter[int] = Counter()  # participant id -> check-in questions planned in this batch
        # Each person's rooms, and the nudges already planned for them or their rooms: one nudge a day.
        self.rooms: dict[str, set[str]] = {}
        for room, user in session.exec(
            select(Match.room_id, MatchMember.slack_user_id)
            .join(MatchMember, col(MatchMember.match_id) == col(Match.id))
            .where(
                col(MatchMember.slack_user_id).in_(users),
                Match.status == MatchStatus.ACTIVE.value,
                col(Match.room_id).is_not(None),
            )
        ).all():
            self.rooms.setdefault(user, set()).add(str(room))
        targets = users | {r for rooms in self.rooms.values() for r in rooms}
        self.nudged: dict[str, list[datetime]] = {}
        for recipient, channel, not_before in session.exec(
            select(OutboxMessage.recipient, OutboxMessage.channel_id, OutboxMessage.not_before).where(
                col(OutboxMessage.team_id).in_(teams),
                or_(col(OutboxMessage.recipient).in_(targets), col(OutboxMessage.channel_id).in_(targets)),
                col(OutboxMessage.kind).in_(sorted(NUDGE_KINDS)),
                col(OutboxMessage.status) != OutboxStatus.SKIPPED.value,
                col(OutboxMessage.not_before) >= now - timedelta(days=2),
            )
        ).all():
            self.nudged.setdefault(str(recipient or channel), []).append(not_before)
        self.new: list[dict[str, Any]] = []

    def plan(self) -> int:
        plans: list[tuple[Match, Programme, Plan]] = []
        for match in self.matches:
            programme = self.programmes.get(match.programme_id)
            if programme is None or programme.status == ProgrammeStatus.CLOSED.value:
                match.plan_at = self.now + timedelta(days=1)  # between cycles: look again tomorrow
            elif not self.active_teams[match.team_id]:
                match.plan_at = self.now + timedelta(days=1)
            else:
                plan = plan_match(self._state(match, programme), self.now)
                plans.append((match, programme, plan))
                match.plan_at = plan.next_at or self.now + timedelta(days=1)
        # the matches were loaded by this session, which tracks their changes: no add() (and its cascade walk)
        # for each; people are plain rows, their questions counted in `asked`
        keys = {(m.team_id, self._key(m, d)) for m, _, plan in plans for d in plan.due if d.kind != "escalate"}
        taken = self._existing(keys)
        for match, programme, plan in plans:
            for due in plan.due:
                if due.kind == "escalate" or (match.team_id, self._key(match, due)) not in taken:
                    self._add(match, programme, due)
        insert_messages(self.session, self.new)
        by_count: dict[int, list[int]] = {}
        for person_id, count in self.asked.items():
            by_count.setdefault(count, []).append(person_id)
        for count, person_ids in by_count.items():  # answered (or a check-in logged) sets it back to 0
            self.session.execute(
                update(Participant)
                .where(col(Participant.id).in_(person_ids))
                .values(unanswered_checkins=col(Participant.unanswered_checkins) + count)
            )
        return len(self.new)

    def _state(self, match: Match, programme: Programme) -> MatchState:
        assert match.released_at is not None
        ids = self.members.get(match.id or 0, [])
        people = [(uid, self.people.get((programme.id or 0, uid))) for uid in ids]
        return MatchState(
            released_at=match.released_at,
            cadence_days=CADENCE_DAYS.get(programme.cadence, 14),
            last_checkin_at=match.last_checkin_at,
            cycle_started_at=programme.cycle_started_at,
            cycle_ends_at=programme.cycle_ends_at,
            members=tuple(
                Member(
                    user_id=uid,
                    active=p is not None and p.status == ParticipantStatus.ACTIVE.value,
                    unanswered=p.unanswered_checkins if p is not None else 0,
                    away=p is not None
                    and p.away_since is not None
                    and (p.away_until is None or p.away_until > self.now),
                    back_at=p.away_until if p is not None and p.away_until and p.away_until <= self.now else None,
                )
                for uid, p in people
            ),
        )

    @staticmethod
    def _key(match: Match, due: Due) -> str:
        # A period's question is a check-in or, after three unanswered, the pause question: one key for both.
        return f"{'checkin' if due.kind == 'ask_pause' else due.kind}:{match.id}:{due.key}"

    def _existing(self, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
        found: set[tuple[str, str]] = set()
        pending = sorted(keys)
        for start in range(0, len(pending), 1000):
            chunk = pending[start : start + 1000]
            found.update(
                self.session.exec(
                    select(OutboxMessage.team_id, OutboxMessage.key).where(
                        col(OutboxMessage.team_id).in_({t for t, _ in chunk}),
                        col(OutboxMessage.key).in_([k for _, k in chunk]),
                    )
                ).all()
            )
        return found & keys

    def _add(self, match: Match, programme: Programme, due: Due) -> None:
        assert match.id is not None and programme.id is not None
        ids = self.members.get(match.id, [])
        window = Window.of(programme)
        key = self._key(match, due)
        if due.kind == "escalate":
            for admin in self.admins(self.session, match.team_id, programme.id) if self.admins else []:
                if _already_planned(self.session, match.team_id, f"{key}:{admin}"):
                    continue
                text, blocks = checkin_ui.escalation_dm(match.id, ids, programme.name, since=match.last_checkin_at)
                self.new.append(
                    message_values(
                        team_id=match.team_id,
                        key=f"{key}:{admin}",
                        kind="escalate",
                        recipient=admin,
                        text=text,
                        blocks=blocks,
                        not_before=self.now,
                    )
                )
            return
        start = max(due.earliest, self.now)
        if due.kind in ("nudge", "closing"):
            if not match.room_id:
                return
            if due.kind == "nudge":
                text, blocks = checkin_ui.room_nudge(match.id, ids)
            else:
                assert programme.cycle_ends_at is not None
                text, blocks = checkin_ui.closing_message(match.id, programme.name, programme.cycle_ends_at.date())
            members = [self.people[(programme.id, u)] for u in ids if (programme.id, u) in self.people]
            tz = members[0].timezone if members else None  # a room message lands in its first member's hours
            row = message_values(
                team_id=match.team_id,
                key=key,
                kind=due.kind,
                channel=match.room_id,
                text=text,
                blocks=blocks,
                not_before=self._slot(ids, start, tz, window),
                window=window.as_payload(tz),
            )
        else:
            person = self.people[(programme.id, due.user_id or "")]
            role = self.roles.get((match.id, person.slack_user_id))
            text, blocks = _dm_for(due, match, ids, programme, role)
            row = message_values(
                team_id=match.team_id,
                key=key,
                kind=due.kind,
                recipient=person.slack_user_id,
                text=text,
                blocks=blocks,
                not_before=self._slot([person.slack_user_id], start, person.timezone, window),
                window=window.as_payload(person.timezone),
            )
            if due.kind in ("checkin", "ask_pause"):
                self.asked[person.id] += 1
        self.nudged.setdefault(row["recipient"] or row["channel_id"] or "", []).append(row["not_before"])
        self.new.append(row)

    def _slot(self, user_ids: list[str], earliest: datetime, timezone: str | None, window: Window) -> datetime:
        """The first working slot at or after `earliest` on a day (in `timezone`) when none of `user_ids`
        already has a nudge: a DM of a nudge kind, or a nudge in a room of theirs."""
        tz = zone(timezone)
        targets = set(user_ids).union(*(self.rooms.get(u, set()) for u in user_ids))
        taken = {at.astimezone(tz).date() for t in targets for at in self.nudged.get(t, [])}
        return first_free_slot(earliest, timezone, window, taken)


def first_free_slot(earliest: datetime, timezone: str | None, window: Window, taken: set[date]) -> datetime:
    """The first working slot at or after `earliest` on a local day not in `taken`."""
    tz = zone(timezone)
    slot = next_working_slot(earliest, timezone, window=window)
    for _ in range(30):
        local = slot.astimezone(tz)
        if local.date() not in taken:
            return slot
        tomorrow = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=tz)
        slot = next_working_slot(tomorrow, timezone, window=window)
    return slot


def nudge_slot(
    session: Session, *, team_id: str, user_id: str, earliest: datetime, timezone: str | None, window: Window
) -> datetime:
    """For planners outside the check-in loop (milestone reminders, ...): the first working slot on a day when
    the person has no other nudge, so nobody gets more than one a day."""
    rooms = session.exec(
        select(Match.room_id)
        .join(MatchMember, col(MatchMember.match_id) == col(Match.id))
        .where(
            MatchMember.slack_user_id == user_id,
            Match.team_id == team_id,
            Match.status == MatchStatus.ACTIVE.value,
            col(Match.room_id).is_not(None),
        )
    ).all()
    planned = session.exec(
        select(OutboxMessage.not_before).where(
            OutboxMessage.team_id == team_id,
            or_(col(OutboxMessage.recipient) == user_id, col(OutboxMessage.channel_id).in_([r for r in rooms if r])),
            col(OutboxMessage.kind).in_(sorted(NUDGE_KINDS)),
            col(OutboxMessage.status) != OutboxStatus.SKIPPED.value,
            col(OutboxMessage.not_before) >= earliest - timedelta(days=2),
        )
    ).all()
    tz = zone(timezone)
    return first_free_slot(earliest, timezone, window, {at.astimezone(tz).date() for at in planned})


def _dm_for(
    due: Due, match: Match, ids: list[str], programme: Programme, role: str | None
) -> tuple[str, list[dict[str, Any]]]:
    assert match.id is not None and match.released_at is not None
    partners = [u for u in ids if u != due.user_id]
    if due.kind == "checkin":
        cadence = timedelta(days=CADENCE_DAYS.get(programme.cadence, 14))
        since = max(due.earliest - cadence, match.released_at)
        first = due.key.endswith(":1")  # the first period's check-in links the guide for their role
        return checkin_ui.checkin_dm(match.id, partners, since=since.date(), guide_for=role if first else None)
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

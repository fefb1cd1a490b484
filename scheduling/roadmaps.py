"""Planning roadmap nudges: one reminder a few days before a milestone is due, one question once it is overdue
(re-date or drop), and one prompt to set up a roadmap that still has no milestones a fortnight into the cycle.

A pass reads only the matches whose next look (`Match.roadmap_at`) has come, a batch at a time with a fixed
number of queries, so its cost grows with what is due, not with everyone in the programme.

Each goes into the outbox under a key per (milestone, due date) or (match, person), timed in the person's
working hours: planning twice never makes two messages, and re-dating a milestone plans its nudges afresh
for the new date (the old ones, if not sent yet, are skipped).
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session, col, select

from blocks import roadmaps as roadmap_ui
from mentoring.meeting import zone
from mentoring.roadmaps import OPEN_STATUSES, SETUP_PROMPT_AFTER_DAYS, cycle_end, cycle_start, overdue_day, reminder_day
from scheduling.checkins import nudge_slot, plan_due_matches
from scheduling.hours import Window
from scheduling.outbox import enqueue
from store import queries
from store.db import Database
from store.models import (
    Match,
    MatchMember,
    Milestone,
    Participant,
    ParticipantStatus,
    Programme,
    Roadmap,
    Role,
)

logger = logging.getLogger(__name__)

WEEKDAYS = (0, 1, 2, 3, 4)  # reminders go out on any working weekday, so that they land before the due date
WORKING_WEEK = Window(days=WEEKDAYS)


def _local_start(day: date, timezone: str | None) -> datetime:
    """Midnight at the start of `day` where the person is."""
    return datetime.combine(day, time(0), tzinfo=zone(timezone))


NOTHING_AHEAD = datetime(9999, 1, 1, tzinfo=UTC)
"""A match's `roadmap_at` when nothing is ahead until something changes (a milestone is added, re-dated or
reopened, a person comes back, the cycle moves): each of those sets it back to None (look now)."""
LOOK_AGAIN = timedelta(days=1)  # a match whose programme or workspace is not there now


def plan_roadmap_nudges(db: Database, *, now: datetime, batch: int = 250, time_budget: float = 0.5) -> int:
    """Put the roadmap reminders, overdue questions and setup prompts that are due into the outbox.

    Reads only active matches whose `roadmap_at` has come (or is None), `batch` at a time, each batch in one
    unit of work with a fixed number of queries plus a few per message planned (PostgreSQL: the rows are locked
    with SKIP LOCKED). Each match's next look is the earliest moment one of its nudges becomes due. No batch
    starts after `time_budget` seconds: the rest waits for the next pass, still due.
    """
    return plan_due_matches(
        db,
        next_look=Match.roadmap_at,
        now=now,
        batch=batch,
        time_budget=time_budget,
        plan=lambda session, matches: _Batch(session, matches, now).plan(),
    )


class _Batch:
    """One batch of due matches, with their programmes, members, roadmaps, milestones and people loaded up front."""

    def __init__(self, session: Session, matches: list[Match], now: datetime) -> None:
        self.session, self.matches, self.now = session, matches, now
        ids = [m.id for m in matches]
        programme_ids = {m.programme_id for m in matches}
        self.programmes = {
            p.id: p for p in session.exec(select(Programme).where(col(Programme.id).in_(programme_ids))).all()
        }
        self.active_teams = {
            t: queries.workspace_active(session=session, team_id=t) for t in {m.team_id for m in matches}
        }
        self.members: dict[int, list[MatchMember]] = {}
        for member in session.exec(select(MatchMember).where(col(MatchMember.match_id).in_(ids))).all():
            self.members.setdefault(member.match_id, []).append(member)
        self.owners = {r.id: r.owner_id for r in session.exec(select(Roadmap).where(col(Roadmap.match_id).in_(ids)))}
        self.milestones: dict[int, list[Milestone]] = {}
        for milestone in session.exec(
            select(Milestone).where(col(Milestone.match_id).in_(ids)).order_by(col(Milestone.id))
        ).all():
            self.milestones.setdefault(milestone.match_id, []).append(milestone)
        users = {m.slack_user_id for group in self.members.values() for m in group} | set(self.owners.values())
        self.people: dict[tuple[int, str], Participant] = {
            (p.programme_id, p.slack_user_id): p
            for p in session.exec(
                select(Participant).where(
                    col(Participant.programme_id).in_(programme_ids), col(Participant.slack_user_id).in_(users)
                )
            ).all()
        }

    def plan(self) -> int:
        planned = 0
        for match in self.matches:
            programme = self.programmes.get(match.programme_id)
            if programme is None or not self.active_teams[match.team_id]:
                match.roadmap_at = self.now + LOOK_AGAIN
            else:
                count, next_at = _plan_match(self, match, programme)
                planned += count
                match.roadmap_at = next_at or NOTHING_AHEAD
            self.session.add(match)
        return planned


def _plan_match(batch: _Batch, match: Match, programme: Programme) -> tuple[int, datetime | None]:
    """Plan what the match is due now; returns how many messages were new and when it next needs a look."""
    session, now = batch.session, batch.now
    assert match.id is not None and match.released_at is not None
    planned = 0
    marks: list[datetime] = []  # future moments a nudge becomes due
    owners = [m.slack_user_id for m in batch.members.get(match.id, []) if m.role != Role.MENTOR.value]

    def active(user_id: str) -> Participant | None:
        person = batch.people.get((programme.id or 0, user_id))
        return person if person is not None and person.status == ParticipantStatus.ACTIVE.value else None

    def slot(owner: str, earliest: datetime, timezone: str | None) -> datetime:
        """A working slot on a day with no other nudge for the owner."""
        return nudge_slot(
            session, team_id=match.team_id, user_id=owner, earliest=earliest, timezone=timezone, window=WORKING_WEEK
        )

    def send(owner: str, key: str, kind: str, message: tuple[str, list[Any]], not_before: datetime) -> int:
        text, blocks = message
        return int(
            enqueue(
                session,
                team_id=match.team_id,
                key=key,
                kind=kind,
                recipient=owner,
                text=text,
                blocks=blocks,
                not_before=not_before,
            )
        )

    milestones = batch.milestones.get(match.id, [])
    with_milestones = {batch.owners[m.roadmap_id] for m in milestones if batch.owners.get(m.roadmap_id)}
    for milestone in milestones:
        if milestone.status not in OPEN_STATUSES:
            continue
        owner = batch.owners.get(milestone.roadmap_id)
        person = active(owner) if owner else None
        if person is None or owner is None:
            continue  # coming back (`replan_person`) makes the match due again
        tz = person.timezone
        local_today = now.astimezone(zone(tz)).date()
        due = milestone.due_on
        if milestone.reminded_for != due:
            if reminder_day(due) <= local_today < due:
                when = slot(owner, max(now, _local_start(reminder_day(due), tz)), tz)
                if when.astimezone(zone(tz)).date() < due:
                    key = f"milestone-due:{milestone.id}:{due.isoformat()}"
                    planned += send(owner, key, "milestone_reminder", roadmap_ui.reminder_dm(milestone), when)
                milestone.reminded_for = due
                session.add(milestone)
            elif local_today < reminder_day(due):
                marks.append(_local_start(reminder_day(due), tz))
        if milestone.overdue_asked_for != due:
            if local_today >= overdue_day(due):
                key = f"milestone-overdue:{milestone.id}:{due.isoformat()}"
                planned += send(owner, key, "milestone_overdue", roadmap_ui.overdue_dm(milestone), slot(owner, now, tz))
                milestone.overdue_asked_for = due
                milestone.reminded_for = due
                session.add(milestone)
            else:
                marks.append(_local_start(overdue_day(due), tz))
    start = cycle_start(started=programme.cycle_started_at, released=match.released_at, today=now.date())
    end = cycle_end(ends=programme.cycle_ends_at, start=start, cycle_days=programme.cycle_days)
    prompt_from = start + timedelta(days=SETUP_PROMPT_AFTER_DAYS)
    if now.date() < prompt_from and prompt_from < end:
        marks.append(datetime.combine(prompt_from, time(0), tzinfo=UTC))
    elif prompt_from <= now.date() < end:
        for owner in owners:
            person = active(owner)
            if person is None or owner in with_milestones:
                continue  # a first milestone or coming back makes the match due again
            prompt = roadmap_ui.setup_prompt_dm(match.id, programme.name)
            key = f"roadmap-setup:{match.id}:{owner}"
            planned += send(owner, key, "roadmap_setup", prompt, slot(owner, now, person.timezone))
    return planned, min(marks) if marks else None

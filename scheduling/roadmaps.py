"""Planning roadmap nudges: one reminder a few days before a milestone is due, one question once it is overdue
(re-date or drop), and one prompt to set up a roadmap that still has no milestones a fortnight into the cycle.

Each goes into the outbox under a key per (milestone, due date) or (match, person), timed in the person's
working hours: planning twice never makes two messages, and re-dating a milestone plans its nudges afresh
for the new date (the old ones, if not sent yet, are skipped).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session, col, select

from blocks import roadmaps as roadmap_ui
from mentoring.meeting import zone
from mentoring.roadmaps import OPEN_STATUSES, SETUP_PROMPT_AFTER_DAYS, cycle_end, cycle_start, overdue_day, reminder_day
from scheduling.checkins import nudge_slot
from scheduling.hours import Window
from scheduling.outbox import enqueue
from store import queries
from store.db import Database
from store.models import (
    Match,
    MatchMember,
    MatchStatus,
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


def plan_roadmap_nudges(db: Database, *, now: datetime) -> int:
    """Put the roadmap reminders, overdue questions and setup prompts that are due into the outbox."""
    planned = 0
    with db.begin() as session:
        people: dict[tuple[int, str], Participant] = {}
        loaded: set[int | None] = set()
        for match in session.exec(select(Match).where(Match.status == MatchStatus.ACTIVE.value)).all():
            if match.released_at is None or not queries.workspace_active(session=session, team_id=match.team_id):
                continue
            programme = session.get(Programme, match.programme_id)
            if programme is None:
                continue
            if programme.id not in loaded:
                loaded.add(programme.id)
                for person in session.exec(select(Participant).where(Participant.programme_id == programme.id)).all():
                    people[(programme.id or 0, person.slack_user_id)] = person
            planned += _plan_match(session, match, programme, people, now)
    return planned


def _plan_match(
    session: Session,
    match: Match,
    programme: Programme,
    people: dict[tuple[int, str], Participant],
    now: datetime,
) -> int:
    planned = 0
    members = session.exec(select(MatchMember).where(MatchMember.match_id == match.id)).all()
    owners = [m.slack_user_id for m in members if m.role != Role.MENTOR.value]

    def active(user_id: str) -> Participant | None:
        person = people.get((programme.id or 0, user_id))
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

    milestones = session.exec(
        select(Milestone).where(Milestone.match_id == match.id, col(Milestone.status).in_(OPEN_STATUSES))
    ).all()
    with_milestones: set[str] = set()
    for milestone in session.exec(select(Milestone).where(Milestone.match_id == match.id)).all():
        roadmap_owner = _owner(session, milestone)
        if roadmap_owner:
            with_milestones.add(roadmap_owner)
    for milestone in milestones:
        owner = _owner(session, milestone)
        person = active(owner) if owner else None
        if person is None or owner is None:
            continue
        tz = person.timezone
        local_today = now.astimezone(zone(tz)).date()
        due = milestone.due_on
        if milestone.reminded_for != due and reminder_day(due) <= local_today < due:
            when = slot(owner, max(now, _local_start(reminder_day(due), tz)), tz)
            if when.astimezone(zone(tz)).date() < due:
                key = f"milestone-due:{milestone.id}:{due.isoformat()}"
                planned += send(owner, key, "milestone_reminder", roadmap_ui.reminder_dm(milestone), when)
            milestone.reminded_for = due
            session.add(milestone)
        if milestone.overdue_asked_for != due and local_today >= overdue_day(due):
            key = f"milestone-overdue:{milestone.id}:{due.isoformat()}"
            planned += send(owner, key, "milestone_overdue", roadmap_ui.overdue_dm(milestone), slot(owner, now, tz))
            milestone.overdue_asked_for = due
            milestone.reminded_for = due
            session.add(milestone)
    start = cycle_start(started=programme.cycle_started_at, released=match.released_at, today=now.date())
    end = cycle_end(ends=programme.cycle_ends_at, start=start, cycle_days=programme.cycle_days)
    if start + timedelta(days=SETUP_PROMPT_AFTER_DAYS) <= now.date() < end:
        for owner in owners:
            person = active(owner)
            if person is None or owner in with_milestones:
                continue
            prompt = roadmap_ui.setup_prompt_dm(match.id or 0, programme.name)
            key = f"roadmap-setup:{match.id}:{owner}"
            planned += send(owner, key, "roadmap_setup", prompt, slot(owner, now, person.timezone))
    return planned


def _owner(session: Session, milestone: Milestone) -> str | None:
    roadmap = session.get(Roadmap, milestone.roadmap_id)
    return roadmap.owner_id if roadmap else None

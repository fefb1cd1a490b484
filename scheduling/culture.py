"""Planning the mentors' channel messages (a welcome for each new mentor, a monthly mentors' circle question),
and the invitation to alumni of a cycle to mentor in the next one.

Both go through the outbox under a unique key, so each is sent once however often planning runs:
`mentor-welcome:{programme}:{person}` and `mentors-circle:{programme}:{YYYY-MM}`. The circle question goes out
on the first Tuesday of the month at 10:00 UTC (a channel has no single timezone), or, when planning first sees
the month after that, at the next Tuesday-to-Thursday working slot in UTC that is still in the same month.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session, col, func, select

from blocks import culture as culture_ui
from blocks import secondloop as loop_ui
from mentoring import secondloop
from mentoring.culture import alumni
from prompts.guides import load_guides
from prompts.guides.circle import question_for_month
from scheduling.checkins import next_working_slot, nudge_slot
from scheduling.hours import Window
from scheduling.outbox import enqueue
from store import queries
from store.db import Database
from store.models import (
    Match,
    MatchStatus,
    OutboxMessage,
    Participant,
    ParticipantStatus,
    Programme,
    ProgrammeKind,
    ProgrammeStatus,
    Role,
)

logger = logging.getLogger(__name__)

TUESDAY = 1
CIRCLE_STATUSES = (ProgrammeStatus.ENROLLING.value, ProgrammeStatus.ACTIVE.value)


def welcome_key(programme_id: int, user_id: str) -> str:
    return f"mentor-welcome:{programme_id}:{user_id}"


def circle_key(programme_id: int, year: int, month: int) -> str:
    return f"mentors-circle:{programme_id}:{year:04d}-{month:02d}"


def plan_mentor_welcome(session: Session, *, programme: Programme, user_id: str, now: datetime) -> bool:
    """Welcome a new mentor in the programme's mentors' channel (if it has one), once per programme and person.

    Call it in the unit of work that saves the join. Returns whether a welcome was planned now.
    """
    if not programme.mentors_channel_id or programme.id is None:
        return False
    text, blocks = culture_ui.mentor_welcome(programme, user_id)
    return enqueue(
        session,
        team_id=programme.team_id,
        key=welcome_key(programme.id, user_id),
        kind="mentor_welcome",
        channel=programme.mentors_channel_id,
        text=text,
        blocks=blocks,
        not_before=now,
    )


def circle_slot(year: int, month: int) -> datetime:
    """The first Tuesday of the month, 10:00 UTC."""
    return next_working_slot(datetime(year, month, 1, tzinfo=UTC), "UTC", days=(TUESDAY,))


def plan_mentors_circles(db: Database, *, now: datetime) -> int:
    """Plan this month's mentors' circle question for every programme with a mentors' channel that is enrolling
    or running a cycle and has at least one current mentor. Returns how many were new."""
    now = now.astimezone(UTC)
    slot = circle_slot(now.year, now.month)
    if now < slot:
        return 0  # planned on the day, not ahead: a channel removed before then gets nothing
    send_at = next_working_slot(now, "UTC")
    if (send_at.year, send_at.month) != (now.year, now.month):
        return 0  # too late in the month: next month's question comes on its first Tuesday
    planned = 0
    with db.begin() as session:
        programmes = session.exec(
            select(Programme).where(
                col(Programme.mentors_channel_id).is_not(None), col(Programme.status).in_(CIRCLE_STATUSES)
            )
        ).all()
        keys = {(p.team_id, circle_key(p.id or 0, now.year, now.month)) for p in programmes}
        planned_before = _existing_keys(session, keys)  # one query: after the first pass, nothing is left to do
        todo = [p for p in programmes if (p.team_id, circle_key(p.id or 0, now.year, now.month)) not in planned_before]
        if not todo:
            return 0  # the question and its guide are read from YAML only when a post is to be planned
        question = question_for_month(now.year, now.month)
        guide = load_guides().get(question.guide)
        for programme in todo:
            assert programme.id is not None and programme.mentors_channel_id is not None
            if not queries.workspace_active(session=session, team_id=programme.team_id):
                continue
            mentors = session.exec(
                select(func.count()).where(
                    Participant.programme_id == programme.id,
                    Participant.role == Role.MENTOR.value,
                    col(Participant.status).in_((ParticipantStatus.ACTIVE.value, ParticipantStatus.PAUSED.value)),
                )
            ).one()
            if not mentors:
                continue
            text, blocks = culture_ui.circle_post(
                programme,
                question,
                month=date(now.year, now.month, 1),
                guide_title=guide.title if guide else "",
            )
            if enqueue(
                session,
                team_id=programme.team_id,
                key=circle_key(programme.id, now.year, now.month),
                kind="mentors_circle",
                channel=programme.mentors_channel_id,
                text=text,
                blocks=blocks,
                not_before=max(slot, send_at),
            ):
                planned += 1
    return planned


def plan_circle_reflections(db: Database, *, now: datetime) -> int:
    """Post this stage's second-loop question in each peer circle's room, once per stage of the cycle, in the
    programme's working hours; members answer privately (`blocks.secondloop.circle_post`). Returns how many."""
    planned = 0
    with db.begin() as session:
        programmes = session.exec(
            select(Programme).where(
                Programme.kind == ProgrammeKind.PEER_CIRCLES.value, col(Programme.status).in_(CIRCLE_STATUSES)
            )
        ).all()
        for programme in programmes:
            if programme.id is None or not queries.workspace_active(session=session, team_id=programme.team_id):
                continue
            question = secondloop.question_for(programme, now)
            circles = session.exec(
                select(Match).where(
                    Match.programme_id == programme.id,
                    Match.status == MatchStatus.ACTIVE.value,
                    col(Match.room_id).is_not(None),
                )
            ).all()
            keys = {m.id: secondloop.circle_key(m.id or 0, programme.cycle_number, question.stage) for m in circles}
            done = _existing_keys(session, {(programme.team_id, k) for k in keys.values()})
            todo = [m for m in circles if (programme.team_id, keys[m.id]) not in done]
            if not todo:
                continue
            text, blocks = loop_ui.circle_post(programme.id, question)
            send_at = next_working_slot(now, programme.timezone, window=Window.of(programme))
            for match in todo:
                planned += enqueue(
                    session,
                    team_id=programme.team_id,
                    key=keys[match.id],
                    kind="circle_reflection",
                    channel=match.room_id,
                    text=text,
                    blocks=blocks,
                    not_before=send_at,
                )
    return planned


def alumni_key(programme: Programme, user_id: str) -> str:
    return f"alumni:{programme.id}:{programme.cycle_number}:{user_id}"


def _existing_keys(session: Session, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of these (workspace, outbox key) pairs are already in the outbox, in one query per 1,000 keys."""
    found: set[tuple[str, str]] = set()
    pending = sorted(keys)
    for start in range(0, len(pending), 1000):
        chunk = pending[start : start + 1000]
        found.update(
            session.exec(
                select(OutboxMessage.team_id, OutboxMessage.key).where(
                    col(OutboxMessage.team_id).in_({t for t, _ in chunk}),
                    col(OutboxMessage.key).in_([k for _, k in chunk]),
                )
            ).all()
        )
    return found & keys


ALUMNI_WINDOW = timedelta(days=21)  # after the cycle ends, while the invitation still makes sense


def plan_alumni_invitations(db: Database, *, now: datetime) -> int:
    """When a cycle has ended, invite each of its alumni (see `alumni`) once, kindly, in their working hours, to
    mentor in the next cycle. Returns how many invitations were planned."""
    planned = 0
    with db.begin() as session:
        programmes = session.exec(
            select(Programme).where(
                col(Programme.cycle_ends_at).is_not(None),
                col(Programme.cycle_ends_at) <= now,
                col(Programme.cycle_ends_at) > now - ALUMNI_WINDOW,
            )
        ).all()
        for programme in programmes:
            if programme.id is None or not queries.workspace_active(session=session, team_id=programme.team_id):
                continue
            found = alumni(session, programme)
            keys = {(programme.team_id, alumni_key(programme, user_id)) for user_id in found}
            invited = _existing_keys(session, keys)  # one query: each pass costs only the alumni not invited yet
            for user_id, (reached, _skills) in found.items():
                key = alumni_key(programme, user_id)
                if (programme.team_id, key) in invited:
                    continue
                person = queries.get_participant(
                    session=session, team_id=programme.team_id, programme_id=programme.id, slack_user_id=user_id
                )
                if person is None:
                    continue
                text, blocks = culture_ui.alumni_invitation(programme, reached)
                planned += enqueue(
                    session,
                    team_id=programme.team_id,
                    key=key,
                    kind="alumni_invite",
                    recipient=user_id,
                    text=text,
                    blocks=blocks,
                    not_before=nudge_slot(
                        session,
                        team_id=programme.team_id,
                        user_id=user_id,
                        earliest=now,
                        timezone=person.timezone,
                        window=Window.of(programme),
                    ),
                )
    return planned

"""Growth threads, kudos and mentors' contributions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from store.models import (
    CheckIn,
    GrowthThread,
    Kudos,
    Match,
    MatchMember,
    MatchStatus,
    Milestone,
    MilestoneStatus,
    Roadmap,
    Role,
)


def growth_threads(
    *,
    session: Session,
    team_id: str,
    programme_id: int,
    since: datetime,
    until: datetime | None = None,
    limit: int = 50,
) -> list[GrowthThread]:
    """Live growth threads of a programme posted in [since, until), the ones that drew most replies and
    reactions first (what a digest highlights)."""
    query = select(GrowthThread).where(
        GrowthThread.team_id == team_id,
        GrowthThread.programme_id == programme_id,
        col(GrowthThread.deleted_at).is_(None),
        col(GrowthThread.ts).is_not(None),
        col(GrowthThread.created_at) >= since,
    )
    if until is not None:
        query = query.where(col(GrowthThread.created_at) < until)
    rows = session.exec(query).all()
    return sorted(rows, key=lambda t: (-(t.reply_count + t.reaction_count), t.created_at))[:limit]


def kudos_given(
    *, session: Session, team_id: str, programme_id: int, since: datetime, until: datetime | None = None
) -> list[Kudos]:
    """Kudos in a programme in [since, until), oldest first."""
    query = select(Kudos).where(
        Kudos.team_id == team_id, Kudos.programme_id == programme_id, col(Kudos.created_at) >= since
    )
    if until is not None:
        query = query.where(col(Kudos.created_at) < until)
    return list(session.exec(query.order_by(col(Kudos.created_at))).all())


def kudos_counts(*, session: Session, team_id: str, programme_id: int, since: datetime | None = None) -> dict[str, int]:
    """Kudos received per person in a programme (since a time, or ever)."""
    query = select(Kudos.receiver_id, func.count()).where(Kudos.team_id == team_id, Kudos.programme_id == programme_id)
    if since is not None:
        query = query.where(col(Kudos.created_at) >= since)
    return {user: int(count) for user, count in session.exec(query.group_by(col(Kudos.receiver_id))).all()}


@dataclass(frozen=True)
class MentorContribution:
    """What one mentor gave a programme: mentees now, check-ins their matches held, milestones their mentees
    reached, kudos received."""

    mentor_id: str
    active_mentees: int
    check_ins: int
    milestones_reached: int
    kudos: int


def mentor_contributions(
    *, session: Session, team_id: str, programme_id: int, mentor_id: str | None = None
) -> list[MentorContribution]:
    """Every mentor of a programme (or just `mentor_id`) with their contribution, most active first."""
    mentor_rows = select(MatchMember.slack_user_id, MatchMember.match_id).join(
        Match, col(Match.id) == col(MatchMember.match_id)
    )
    mentor_rows = mentor_rows.where(
        Match.team_id == team_id,
        Match.programme_id == programme_id,
        col(Match.status).in_([MatchStatus.ACTIVE.value, MatchStatus.ENDED.value]),
        MatchMember.role == Role.MENTOR.value,
    )
    if mentor_id is not None:
        mentor_rows = mentor_rows.where(MatchMember.slack_user_id == mentor_id)
    matches_of: dict[str, list[int]] = {}
    for user, match_id in session.exec(mentor_rows).all():
        matches_of.setdefault(user, []).append(match_id)
    kudos = kudos_counts(session=session, team_id=team_id, programme_id=programme_id)
    result = []
    for mentor, match_ids in matches_of.items():
        active = session.exec(
            select(func.count())
            .select_from(MatchMember)
            .join(Match, col(Match.id) == col(MatchMember.match_id))
            .where(
                col(MatchMember.match_id).in_(match_ids),
                Match.status == MatchStatus.ACTIVE.value,
                MatchMember.role == Role.MENTEE.value,
            )
        ).one()
        check_ins = session.exec(
            select(func.count()).select_from(CheckIn).where(col(CheckIn.match_id).in_(match_ids))
        ).one()
        reached = session.exec(
            select(func.count())
            .select_from(Milestone)
            .join(Roadmap, col(Roadmap.id) == col(Milestone.roadmap_id))
            .where(
                col(Milestone.match_id).in_(match_ids),
                Milestone.status == MilestoneStatus.DONE.value,
                Roadmap.owner_id != mentor,
            )
        ).one()
        result.append(
            MentorContribution(
                mentor_id=mentor,
                active_mentees=int(active),
                check_ins=int(check_ins),
                milestones_reached=int(reached),
                kudos=kudos.get(mentor, 0),
            )
        )
    return sorted(result, key=lambda c: (-c.milestones_reached, -c.check_ins, -c.kudos, c.mentor_id))


def count_growth_activity(
    *, session: Session, team_id: str, channel_id: str, ts: str, replies: int = 0, reactions: int = 0
) -> bool:
    """Add (or take away, never below zero) replies and reactions on the growth thread posted as `ts`.
    One UPDATE, so concurrent events never lose a count. False when `ts` is not a live growth thread."""
    changes: dict[Any, Any] = {}
    query = update(GrowthThread).where(
        col(GrowthThread.team_id) == team_id,
        col(GrowthThread.channel_id) == channel_id,
        col(GrowthThread.ts) == ts,
        col(GrowthThread.deleted_at).is_(None),
    )
    if replies:
        changes[GrowthThread.reply_count] = col(GrowthThread.reply_count) + replies
        if replies < 0:
            query = query.where(col(GrowthThread.reply_count) >= -replies)
    if reactions:
        changes[GrowthThread.reaction_count] = col(GrowthThread.reaction_count) + reactions
        if reactions < 0:
            query = query.where(col(GrowthThread.reaction_count) >= -reactions)
    if not changes:
        return False
    result = session.execute(query.values(changes))
    return bool(getattr(result, "rowcount", 0))

"""Roadmaps and milestones."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from store.models import (
    Match,
    Milestone,
    MilestoneStatus,
    Roadmap,
)


def roadmap_for(*, session: Session, team_id: str, match_id: int, owner_id: str) -> Roadmap | None:
    return session.exec(
        select(Roadmap).where(Roadmap.team_id == team_id, Roadmap.match_id == match_id, Roadmap.owner_id == owner_id)
    ).first()


def ensure_roadmap(*, session: Session, team_id: str, match: Match, owner_id: str, goal: str = "") -> Roadmap:
    """The owner's roadmap in this match, created (with `goal`) if it does not exist yet."""
    found = roadmap_for(session=session, team_id=team_id, match_id=match.id or 0, owner_id=owner_id)
    if found is not None:
        return found
    roadmap = Roadmap(team_id=team_id, programme_id=match.programme_id, match_id=match.id or 0, owner_id=owner_id)
    roadmap.goal = goal
    session.add(roadmap)
    session.flush()
    return roadmap


def roadmap_milestones(*, session: Session, roadmap_id: int) -> list[Milestone]:
    """A roadmap's milestones by due date."""
    return list(
        session.exec(
            select(Milestone)
            .where(Milestone.roadmap_id == roadmap_id)
            .order_by(col(Milestone.due_on), col(Milestone.id))
        ).all()
    )


def match_milestones(*, session: Session, match_id: int, open_only: bool = False) -> list[Milestone]:
    """Every milestone of every roadmap in a match (open ones only: planned or in progress)."""
    query = select(Milestone).where(Milestone.match_id == match_id)
    if open_only:
        query = query.where(
            col(Milestone.status).in_([MilestoneStatus.PLANNED.value, MilestoneStatus.IN_PROGRESS.value])
        )
    return list(session.exec(query.order_by(col(Milestone.due_on), col(Milestone.id))).all())


def replan_roadmap(*, session: Session, match_id: int) -> None:
    """The roadmap planner looks at this match again on its next pass (a milestone was added, re-dated or reopened)."""
    session.execute(
        update(Match)
        .where(col(Match.id) == match_id)
        .values(roadmap_at=None)
        .execution_options(synchronize_session=False)
    )


def get_milestone(*, session: Session, team_id: str, milestone_id: int | None) -> Milestone | None:
    milestone = session.get(Milestone, milestone_id) if milestone_id is not None else None
    return milestone if milestone is not None and milestone.team_id == team_id else None


def milestones_completed(
    *, session: Session, team_id: str, programme_id: int, since: datetime, until: datetime | None = None
) -> list[Milestone]:
    """Milestones reached in a programme in [since, until), oldest first (for digests and reports)."""
    query = select(Milestone).where(
        Milestone.team_id == team_id,
        Milestone.programme_id == programme_id,
        Milestone.status == MilestoneStatus.DONE.value,
        col(Milestone.completed_at) >= since,
    )
    if until is not None:
        query = query.where(col(Milestone.completed_at) < until)
    return list(session.exec(query.order_by(col(Milestone.completed_at))).all())


def milestone_status_counts(*, session: Session, team_id: str, programme_id: int) -> dict[str, int]:
    """How many milestones of a programme are in each status."""
    rows = session.exec(
        select(Milestone.status, func.count())
        .where(Milestone.team_id == team_id, Milestone.programme_id == programme_id)
        .group_by(col(Milestone.status))
    ).all()
    return {status: int(count) for status, count in rows}

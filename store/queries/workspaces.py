"""Workspaces and processes: installs and uninstalls, Events API deliveries seen, scheduler state."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from store.models import (
    AuditEntry,
    CheckIn,
    FollowUp,
    GrowthThread,
    Kudos,
    Match,
    MatchMember,
    MatchRound,
    Milestone,
    OutboxMessage,
    Participant,
    ProcessedEvent,
    Programme,
    ProgrammeAdmin,
    PromptRating,
    Roadmap,
    SchedulerState,
    Workspace,
)
from store.types import utcnow


def claim_event(*, session: Session, team_id: str, event_id: str, now: datetime | None = None) -> bool:
    """Record that an Events API delivery is being handled. False if it was handled before (a retry)."""
    try:
        with session.begin_nested():
            session.add(ProcessedEvent(team_id=team_id, event_id=event_id, received_at=now or utcnow()))
    except IntegrityError:
        return False
    return True


def workspace_active(*, session: Session, team_id: str) -> bool:
    workspace = session.get(Workspace, team_id)
    return workspace is None or workspace.active


def mark_uninstalled(*, session: Session, team_id: str, now: datetime, retention: timedelta) -> bool:
    """Stop all work for the workspace and schedule its data for deletion. False if it was already stopped."""
    workspace = session.get(Workspace, team_id) or Workspace(team_id=team_id)
    if not workspace.active:
        return False
    workspace.active = False
    workspace.uninstalled_at = now
    workspace.delete_after = now + retention
    session.add(workspace)
    return True


def mark_installed(*, session: Session, team_id: str) -> None:
    workspace = session.get(Workspace, team_id)
    if workspace is not None and not workspace.active:
        workspace.active = True
        workspace.uninstalled_at = None
        workspace.delete_after = None
        session.add(workspace)


def purge_expired_workspaces(*, session: Session, now: datetime) -> list[str]:
    """Delete every row of workspaces whose retention period after uninstalling has passed."""
    expired = session.exec(
        select(Workspace).where(
            col(Workspace.active).is_(False),
            col(Workspace.delete_after).is_not(None),
            col(Workspace.delete_after) <= now,
        )
    ).all()
    purged = []
    for workspace in expired:
        team_id = workspace.team_id
        for model in (
            Milestone,
            Roadmap,
            GrowthThread,
            Kudos,
            OutboxMessage,
            FollowUp,
            PromptRating,
            CheckIn,
            MatchMember,
            Match,
            MatchRound,
            AuditEntry,
            ProgrammeAdmin,
            Participant,
            Programme,
            ProcessedEvent,
        ):
            for row in session.exec(select(model).where(model.team_id == team_id)).all():
                session.delete(row)
            session.flush()
        session.delete(workspace)
        purged.append(team_id)
    return purged


def record_scheduler_state(
    *, session: Session, worker_id: str, leader: bool, interval_seconds: int, now: datetime, passed: bool
) -> None:
    """A scheduler process reports in at each interval: leading or following, and whether it ran a pass."""
    state = session.get(SchedulerState, worker_id)
    if state is None:
        state = SchedulerState(worker_id=worker_id, leader=leader, interval_seconds=interval_seconds, seen_at=now)
    state.leader, state.interval_seconds, state.seen_at = leader, interval_seconds, now
    if passed:
        state.last_pass_at = now
    session.add(state)
    if leader:  # the leader tidies up after processes long gone
        session.execute(
            delete(SchedulerState).where(
                col(SchedulerState.seen_at) < now - timedelta(days=1), col(SchedulerState.worker_id) != worker_id
            )
        )


def scheduler_states(*, session: Session) -> list[SchedulerState]:
    return list(session.exec(select(SchedulerState).order_by(col(SchedulerState.seen_at).desc())).all())

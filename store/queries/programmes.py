"""Programmes: finding and creating them, their admins, and the audit log of what admins did."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from store.models import (
    AuditEntry,
    Participant,
    Programme,
    ProgrammeAdmin,
)


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:80] or "programme"


def programmes(*, session: Session, team_id: str) -> Sequence[Programme]:
    return session.exec(select(Programme).where(Programme.team_id == team_id).order_by(col(Programme.id))).all()


def open_programmes(*, session: Session, team_id: str, today: date) -> list[Programme]:
    """Programmes people can join today (enrolling or running, enrolment open, deadline not passed)."""
    return [p for p in programmes(session=session, team_id=team_id) if p.accepts_joins(today)]


def programmes_named(*, session: Session, name: str, team_id: str | None = None) -> list[Programme]:
    """Programmes called `name` (any case), in one workspace or, without `team_id`, in every workspace (the CLI)."""
    wanted = name.strip().lower()
    return [
        p for p in session.exec(select(Programme)).all() if p.name.lower() == wanted and team_id in (None, p.team_id)
    ]


def get_programme(*, session: Session, team_id: str, programme_id: int | None) -> Programme | None:
    """The workspace's programme with this id; None for no id, another workspace's id, or an unknown one."""
    if programme_id is None:
        return None
    programme = session.get(Programme, programme_id)
    if programme is None or programme.team_id != team_id:
        return None
    return programme


def find_programme(*, session: Session, team_id: str, text: str) -> Programme | None:
    """Find a programme by its name or slug, ignoring case."""
    wanted = text.strip().lower()
    for programme in programmes(session=session, team_id=team_id):
        if wanted in (programme.name.lower(), programme.slug):
            return programme
    return None


def audit(
    *,
    session: Session,
    team_id: str,
    actor_id: str,
    action: str,
    programme_id: int | None = None,
    subject_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditEntry(
            team_id=team_id,
            actor_id=actor_id,
            action=action,
            programme_id=programme_id,
            subject_id=subject_id,
            details=details or {},
        )
    )


def clear_self_groups(*, session: Session, programme_id: int) -> int:
    """Delete every answer to the programme's group question (it is no longer asked). Returns how many."""
    result = session.execute(
        update(Participant)
        .where(col(Participant.programme_id) == programme_id, col(Participant.self_group) != "")
        .values(self_group="")
    )
    return int(getattr(result, "rowcount", 0) or 0)


def grant_admin(*, session: Session, team_id: str, programme_id: int, user_id: str, granted_by: str) -> bool:
    """Make `user_id` an admin of the programme. False if they already were."""
    try:
        with session.begin_nested():
            session.add(
                ProgrammeAdmin(team_id=team_id, programme_id=programme_id, slack_user_id=user_id, granted_by=granted_by)
            )
    except IntegrityError:
        return False
    return True


def name_taken(*, session: Session, team_id: str, exclude_id: int | None) -> set[str]:
    return {p.name.lower() for p in programmes(session=session, team_id=team_id) if p.id != exclude_id}


DEFAULT_SKILLS: tuple[str, ...] = (
    "Career growth",
    "Leadership",
    "Giving feedback",
    "Public speaking",
    "Writing",
    "System design",
    "Product thinking",
    "Data analysis",
    "Stakeholder management",
    "Negotiation",
    "Coaching",
    "Hiring and interviewing",
    "Project management",
    "UX research",
    "Frontend development",
    "Backend development",
    "Cloud infrastructure",
    "Security",
    "Time management",
    "Sales",
)

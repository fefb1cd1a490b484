"""Repository functions. Each takes the session keyword-only and is scoped to one workspace (`team_id`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from store.models import Participant, ProcessedEvent, Programme, ProgrammeStatus
from store.types import utcnow

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


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:80] or "programme"


def ensure_default_programme(*, session: Session, team_id: str, name: str) -> Programme:
    """A workspace with no programme at all gets one open programme, so `/mentor join` works at once."""
    existing = session.exec(select(Programme).where(Programme.team_id == team_id).limit(1)).first()
    if existing is not None:
        return existing
    programme = Programme(
        team_id=team_id,
        slug=slugify(name),
        name=name,
        objectives="Grow skills and careers through regular conversations with a mentor or a peer.",
        skills=list(DEFAULT_SKILLS),
    )
    try:
        with session.begin_nested():
            session.add(programme)
    except IntegrityError:  # another request created it at the same moment
        found = session.exec(
            select(Programme).where(Programme.team_id == team_id, Programme.slug == programme.slug)
        ).one()
        return found
    return programme


def programmes(*, session: Session, team_id: str) -> Sequence[Programme]:
    return session.exec(select(Programme).where(Programme.team_id == team_id).order_by(col(Programme.id))).all()


def enrolling_programmes(*, session: Session, team_id: str) -> list[Programme]:
    return [p for p in programmes(session=session, team_id=team_id) if p.status == ProgrammeStatus.ENROLLING]


def get_programme(*, session: Session, team_id: str, programme_id: int) -> Programme | None:
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


def get_participant(*, session: Session, team_id: str, programme_id: int, slack_user_id: str) -> Participant | None:
    return session.exec(
        select(Participant).where(
            Participant.team_id == team_id,
            Participant.programme_id == programme_id,
            Participant.slack_user_id == slack_user_id,
        )
    ).first()


def memberships(*, session: Session, team_id: str, slack_user_id: str) -> list[tuple[Participant, Programme]]:
    rows = session.exec(
        select(Participant, Programme)
        .join(Programme, col(Programme.id) == col(Participant.programme_id))
        .where(Participant.team_id == team_id, Participant.slack_user_id == slack_user_id)
        .order_by(col(Programme.id))
    ).all()
    return [(participant, programme) for participant, programme in rows]


def upsert_participant(
    *, session: Session, team_id: str, programme: Programme, slack_user_id: str, fields: dict[str, object]
) -> tuple[Participant, bool]:
    """Create the person's membership of `programme`, or update it if they joined before.

    Returns the row and whether it was created. Two submissions racing each other end as one row.
    """
    assert programme.id is not None
    now = utcnow()
    for attempt in range(2):
        participant = get_participant(
            session=session, team_id=team_id, programme_id=programme.id, slack_user_id=slack_user_id
        )
        if participant is not None:
            for name, value in fields.items():
                setattr(participant, name, value)
            participant.updated_at = now
            session.add(participant)
            session.flush()
            return participant, False
        participant = Participant(
            team_id=team_id,
            programme_id=programme.id,
            slack_user_id=slack_user_id,
            joined_at=now,
            updated_at=now,
            **fields,  # type: ignore[arg-type]
        )
        try:
            with session.begin_nested():
                session.add(participant)
            return participant, True
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")


def set_participant_profile(
    *, session: Session, participant_id: int, display_name: str, title: str, timezone: str | None
) -> None:
    participant = session.get(Participant, participant_id)
    if participant is None:
        return
    participant.display_name = display_name
    participant.title = title
    if timezone:
        participant.timezone = timezone
    session.add(participant)


def claim_event(*, session: Session, team_id: str, event_id: str, now: datetime | None = None) -> bool:
    """Record that an Events API delivery is being handled. False if it was handled before (a retry)."""
    try:
        with session.begin_nested():
            session.add(ProcessedEvent(team_id=team_id, event_id=event_id, received_at=now or utcnow()))
    except IntegrityError:
        return False
    return True

"""Skill supply and demand of a programme, counted in the database."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, true
from sqlmodel import Session, col, select

from store.models import (
    Participant,
    ParticipantStatus,
)

CURRENT_STATUSES = (ParticipantStatus.ACTIVE.value, ParticipantStatus.PAUSED.value)


def _skill_counts(session: Session, column: Any, *, programme_id: int, roles: Sequence[str]) -> dict[str, int]:
    """How many current participants with one of `roles` list each skill in the JSON list `column`.

    Counted by the database: SQLite's `json_each`, PostgreSQL's `json_array_elements_text`.
    """
    if session.get_bind().dialect.name == "postgresql":
        elements = func.json_array_elements_text(column).table_valued("value").alias("skill")
    else:
        elements = func.json_each(column).table_valued("value").alias("skill")
    skill = elements.c.value
    rows = session.execute(
        select(skill, func.count(func.distinct(Participant.id)))
        .select_from(Participant)
        .join(elements, true())
        .where(
            Participant.programme_id == programme_id,
            col(Participant.status).in_(CURRENT_STATUSES),
            col(Participant.role).in_(list(roles)),
        )
        .group_by(skill)
    ).all()
    return {str(name): int(count) for name, count in rows if name}


def skill_demand(
    *, session: Session, programme_id: int, wanting: Sequence[str], offering: Sequence[str]
) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """Skills wanted (by people in `wanting` roles) and offered (by `offering` roles) in a programme, counting
    only active and paused participants of its current cycle; and how many such people there are per role."""
    wanted = _skill_counts(session, Participant.skills_wanted, programme_id=programme_id, roles=wanting)
    offered = _skill_counts(session, Participant.skills_offered, programme_id=programme_id, roles=offering)
    people = session.exec(
        select(Participant.role, func.count())
        .where(Participant.programme_id == programme_id, col(Participant.status).in_(CURRENT_STATUSES))
        .group_by(col(Participant.role))
    ).all()
    return wanted, offered, {role: count for role, count in people}

"""The toolbox: which guides fit a person (their role and stage of the cycle), and the first-meeting guide."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlmodel import Session, select

from mentoring import matching
from prompts.guides import GuideError, Stage, load_guides, stage_of
from prompts.guides.library import GuideLibrary
from store import queries
from store.models import CheckIn, ParticipantStatus, Programme
from store.types import utcnow

logger = logging.getLogger(__name__)


def library(guides_dir: Path | None) -> GuideLibrary:
    try:
        return load_guides(guides_dir)
    except GuideError:
        logger.exception("the organisation's guide folder has a bad entry; showing the built-in guides only")
        return load_guides()


def where_they_are(*, session: Session, team_id: str, user_id: str) -> tuple[str, Stage]:
    """The person's role (in their first active programme) and their stage of the cycle."""
    current = [
        (p, prog)
        for p, prog in queries.memberships(session=session, team_id=team_id, slack_user_id=user_id)
        if p.status == ParticipantStatus.ACTIVE.value
    ]
    role = current[0][0].role if current else "mentee"
    matches = matching.user_matches(session=session, team_id=team_id, user_id=user_id)
    if not matches:
        return role, stage_of(has_match=False, days_into_cycle=None, cycle_days=None, first_meeting_logged=False)
    match, _ = matches[0]
    programme = session.get(Programme, match.programme_id)
    logged = session.exec(select(CheckIn).where(CheckIn.match_id == match.id)).first() is not None
    started = programme.cycle_started_at if programme else None
    days = (utcnow() - started).days if started else None
    return role, stage_of(
        has_match=True,
        days_into_cycle=days,
        cycle_days=programme.cycle_days if programme and started else None,
        first_meeting_logged=logged,
    )


def first_meeting_guide(role: str, kind: str) -> str:
    """The guide a new match's introduction points to."""
    if kind == "peer_circles":
        return "peer-circle-first-session"
    if kind == "peer_pairs" or role == "peer":
        return "peer-pair-first-meeting"
    return "first-meeting-agenda"

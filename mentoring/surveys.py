"""The pulse and the exit reflection people answer, and their choice, as the cycle ends, to go on together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from store.models import Match, Programme, SurveyKind, SurveyResponse


@dataclass(frozen=True)
class Answers:
    """One person's answers to the pulse (progress, blocking) or the exit reflection (would_continue,
    what_changed)."""

    rating: int
    progress: int | None = None
    would_continue: bool | None = None
    blocking: str = ""
    what_changed: str = ""


def save_answers(
    *,
    session: Session,
    team_id: str,
    programme: Programme,
    match: Match,
    user_id: str,
    kind: SurveyKind,
    answers: Answers,
    now: datetime,
) -> SurveyResponse:
    """Keep the person's answers for this match and survey, replacing the ones they gave before."""
    row = session.exec(
        select(SurveyResponse).where(
            SurveyResponse.match_id == match.id,
            SurveyResponse.slack_user_id == user_id,
            SurveyResponse.kind == kind.value,
        )
    ).first() or SurveyResponse(
        team_id=team_id,
        programme_id=programme.id or 0,
        match_id=match.id or 0,
        cycle_number=match.cycle_number,
        slack_user_id=user_id,
        kind=kind.value,
        rating=answers.rating,
    )
    row.rating, row.progress, row.would_continue = answers.rating, answers.progress, answers.would_continue
    row.blocking, row.what_changed = answers.blocking, answers.what_changed
    row.created_at = now
    session.add(row)
    session.flush()
    return row


def vote_to_continue(*, session: Session, match_id: int | None, user_id: str, keep: bool) -> list[str]:
    """The person chooses to continue together (`keep`) or to wrap up; everyone who chose to continue comes back."""
    row = session.get(Match, match_id)
    assert row is not None
    votes = [v for v in row.continue_votes if v != user_id] + ([user_id] if keep else [])
    row.continue_votes = votes
    session.add(row)
    return votes

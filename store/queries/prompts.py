"""Conversation prompt ratings."""

from __future__ import annotations

from sqlmodel import Session, select

from store.models import (
    PromptRating,
)
from store.types import utcnow


def rate_prompt(*, session: Session, team_id: str, user_id: str, prompt_id: str, value: int) -> None:
    """Record (or change) a person's thumbs up (+1) or down (-1) for a library prompt."""
    rating = session.exec(
        select(PromptRating).where(
            PromptRating.team_id == team_id,
            PromptRating.prompt_id == prompt_id,
            PromptRating.slack_user_id == user_id,
        )
    ).first()
    if rating is None:
        rating = PromptRating(team_id=team_id, prompt_id=prompt_id, slack_user_id=user_id, value=value)
    rating.value, rating.at = value, utcnow()
    session.add(rating)


def prompt_votes(*, session: Session, team_id: str) -> dict[str, tuple[int, int]]:
    """Thumbs (up, down) per prompt in the workspace."""
    votes: dict[str, tuple[int, int]] = {}
    for rating in session.exec(select(PromptRating).where(PromptRating.team_id == team_id)).all():
        up, down = votes.get(rating.prompt_id, (0, 0))
        votes[rating.prompt_id] = (up + (rating.value > 0), down + (rating.value < 0))
    return votes

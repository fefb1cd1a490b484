"""Check-ins: logging them, settling the check-in DMs, and asking the loop to look at a match again."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from store.models import (
    Match,
    MatchStatus,
)


def replan(session: Session, *, programme_id: int | None = None, match_ids: Sequence[int] = ()) -> None:
    """Look at these matches again on the next pass (a cadence or a cycle changed, someone came back)."""
    query = select(Match).where(Match.status == MatchStatus.ACTIVE.value)
    if programme_id is not None:
        query = query.where(Match.programme_id == programme_id)
    elif match_ids:
        query = query.where(col(Match.id).in_(list(match_ids)))
    else:
        return
    for match in session.exec(query).all():
        match.plan_at = None
        session.add(match)

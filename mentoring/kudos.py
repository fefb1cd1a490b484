"""Kudos: the programme two people share, where a thank-you is posted and counted, and its record."""

from __future__ import annotations

from sqlmodel import Session

from store import queries
from store.models import Kudos, ParticipantStatus, Programme


def shared_programme(*, session: Session, team_id: str, giver: str, receiver: str) -> Programme | None:
    """The first programme both people are active in: where the kudos is posted and counted."""
    mine = {
        p.id: p
        for part, p in queries.memberships(session=session, team_id=team_id, slack_user_id=giver)
        if part.status == ParticipantStatus.ACTIVE.value
    }
    for part, programme in queries.memberships(session=session, team_id=team_id, slack_user_id=receiver):
        if programme.id in mine and part.status != ParticipantStatus.LEFT.value:
            return programme
    return None


def record_kudos(
    *,
    session: Session,
    team_id: str,
    programme: Programme,
    giver: str,
    receiver: str,
    reason: str,
    public: bool,
    channel_id: str,
    ts: str | None,
) -> None:
    """A kudos delivered (in the channel, or privately), counted for the digest and the mentor's record."""
    session.add(
        Kudos(
            team_id=team_id,
            programme_id=programme.id or 0,
            giver_id=giver,
            receiver_id=receiver,
            reason=reason,
            public=public,
            channel_id=channel_id,
            ts=ts,
        )
    )

"""Kudos: the programme two people share, where a thank-you is posted and counted, and its record."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
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
    slack_key: str | None = None,
) -> int | None:
    """Record a kudos before it is posted (see `kudos_posted`), counted for the digest and the mentor's record.

    `slack_key` is Slack's id of the submission: the same submission sent again records nothing and gets None,
    so it is not posted twice."""
    kudos = Kudos(
        team_id=team_id,
        programme_id=programme.id or 0,
        giver_id=giver,
        receiver_id=receiver,
        reason=reason,
        public=public,
        slack_key=slack_key,
    )
    try:
        with session.begin_nested():
            session.add(kudos)
    except IntegrityError:
        return None
    return kudos.id


def kudos_posted(*, session: Session, kudos_id: int, channel_id: str | None, ts: str | None) -> None:
    """Where the kudos was posted; None when Slack would not post it (the record is dropped)."""
    kudos = session.get(Kudos, kudos_id)
    if kudos is None:
        return
    if channel_id is None:
        session.delete(kudos)
        return
    kudos.channel_id, kudos.ts = channel_id, ts
    session.add(kudos)

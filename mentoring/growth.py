"""Growth threads: where a person may share one, and its record as it is posted, edited, deleted and answered."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from mentoring import matching
from store import queries
from store.models import GrowthThread, GrowthVisibility, Match, ParticipantStatus, Programme


@dataclass(frozen=True)
class Where:
    """Where a person can share a growth thread: their programme's channel and their match room."""

    programme: Programme
    match: Match | None

    def channel_for(self, visibility: str) -> str | None:
        if visibility == GrowthVisibility.CHANNEL.value:
            return self.programme.channel_id
        if visibility == GrowthVisibility.ROOM.value and self.match is not None:
            return self.match.room_id
        return None


def where_for(*, session: Session, team_id: str, user_id: str, programme_id: int | None = None) -> Where | None:
    """The person's programme (the one named, or their first active one) and their room in it."""
    for participant, programme in queries.memberships(session=session, team_id=team_id, slack_user_id=user_id):
        if participant.status != ParticipantStatus.ACTIVE.value:
            continue
        if programme_id is not None and programme.id != programme_id:
            continue
        found = matching.user_matches(session=session, team_id=team_id, user_id=user_id, programme_id=programme.id)
        match = found[0][0] if found else None
        return Where(programme, match)
    return None


def thread_of(*, session: Session, thread_id: int | None) -> GrowthThread | None:
    """The growth thread with this id (deleted or not, anyone's)."""
    return session.get(GrowthThread, thread_id) if thread_id is not None else None


def may_edit(thread: GrowthThread | None, *, team_id: str, user_id: str) -> bool:
    """Only its author edits a growth thread, while it exists."""
    return not (thread is None or thread.team_id != team_id or thread.author_id != user_id or thread.deleted_at)


def thread_and_programme(*, session: Session, thread_id: int | None) -> tuple[GrowthThread | None, Programme | None]:
    """A growth thread and its programme (for its menu)."""
    thread = session.get(GrowthThread, thread_id or -1)
    programme = session.get(Programme, thread.programme_id) if thread else None
    return thread, programme


def record_thread(
    *,
    session: Session,
    team_id: str,
    where: Where,
    author_id: str,
    channel_id: str,
    visibility: str,
    texts: Mapping[str, str],
    skills: list[str],
) -> GrowthThread:
    """A new growth thread, recorded before it is posted (what the author tried, learned and will do next)."""
    thread = GrowthThread(
        team_id=team_id,
        programme_id=where.programme.id or 0,
        match_id=where.match.id if where.match else None,
        author_id=author_id,
        channel_id=channel_id,
        visibility=visibility,
        tried=texts["tried"],
        learned=texts["learned"],
        next_step=texts["next_step"],
        skills=skills,
    )
    session.add(thread)
    return thread


def record_post(*, session: Session, thread_id: int | None, channel_id: str, ts: str | None) -> None:
    """Where Slack posted the growth thread, so replies and reactions on it can be counted."""
    posted = session.get(GrowthThread, thread_id)
    if posted is not None:
        posted.channel_id = channel_id
        posted.ts = ts
        session.add(posted)


def withdraw(*, session: Session, thread_id: int | None, now: datetime) -> None:
    """A growth thread Slack would not post counts as deleted."""
    failed = session.get(GrowthThread, thread_id)
    if failed is not None:
        failed.deleted_at = now
        session.add(failed)


def edit_thread(
    *, session: Session, thread_id: int | None, texts: Mapping[str, str], skills: list[str], now: datetime
) -> GrowthThread | None:
    """The author's changes to what they tried, learned and will do next, and its skill tags."""
    stored = session.get(GrowthThread, thread_id)
    if stored is None:
        return None
    stored.tried, stored.learned, stored.next_step = texts["tried"], texts["learned"], texts["next_step"]
    stored.skills = skills
    stored.updated_at = now
    session.add(stored)
    return stored


def delete_thread(
    *, session: Session, team_id: str, user_id: str, thread_id: int | None, now: datetime
) -> GrowthThread | None:
    """Its author deletes a growth thread; None (nothing changed) when it was already deleted, or isn't theirs."""
    thread = session.get(GrowthThread, thread_id or -1)
    if not may_edit(thread, team_id=team_id, user_id=user_id):
        return None
    assert thread is not None
    thread.deleted_at = now
    session.add(thread)
    return thread


def count_reply(*, session: Session, team_id: str, channel_id: str, thread_ts: str, delta: int) -> None:
    """A reply in the growth thread posted as `thread_ts` (delta 1), or one deleted (-1)."""
    queries.count_growth_activity(session=session, team_id=team_id, channel_id=channel_id, ts=thread_ts, replies=delta)


def count_reaction(*, session: Session, team_id: str, channel_id: str, ts: str, delta: int) -> None:
    """A reaction added to the growth thread posted as `ts` (delta 1), or removed (-1)."""
    queries.count_growth_activity(session=session, team_id=team_id, channel_id=channel_id, ts=ts, reactions=delta)

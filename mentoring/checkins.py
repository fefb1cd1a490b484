"""Check-ins: logging them, settling the check-in DMs, and asking the loop to look at a match again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from mentoring import matching
from mentoring.access import programme_admin_ids
from store.models import (
    CheckIn,
    Match,
    MatchStatus,
    OutboxMessage,
    OutboxStatus,
    Participant,
    Programme,
)

SETTLED_KINDS = ("checkin", "nudge", "ask_pause")
"""Messages a logged check-in makes moot: not yet sent, they are dropped; sent check-in DMs say it's done."""


@dataclass(frozen=True)
class NamedMatch:
    """A match a button or a form names, with its programme and the Slack ids of its members."""

    match: Match
    programme: Programme | None
    member_ids: list[str]

    def has(self, *, team_id: str, user_id: str) -> bool:
        """The signed person is in this match, in this workspace, and its programme still exists."""
        return self.programme is not None and self.match.team_id == team_id and user_id in self.member_ids


@dataclass(frozen=True)
class Entry:
    """What a person logs about one meeting of their match."""

    met_on: date
    duration_minutes: int
    topics: list[str]
    usefulness: int
    learned: str
    next_step: str
    reflection: str


def named_match(*, session: Session, match_id: int | None) -> NamedMatch | None:
    """The match with this id (None when there is none), its programme and its members."""
    match = session.get(Match, match_id or -1)
    if match is None:
        return None
    ids = [m.slack_user_id for m in matching.members(session=session, match_id=match.id or 0)]
    return NamedMatch(match, session.get(Programme, match.programme_id), ids)


def active_match_of(*, session: Session, team_id: str, user_id: str, match_id: int | None) -> NamedMatch | None:
    """The match a button names, if the signed clicking person is in it and it is active."""
    found = named_match(session=session, match_id=match_id)
    if found is None or found.match.status != MatchStatus.ACTIVE.value:
        return None
    return found if found.has(team_id=team_id, user_id=user_id) else None


def reset_unanswered(session: Session, *, programme_id: int, user_ids: list[str]) -> None:
    session.execute(
        update(Participant)
        .where(col(Participant.programme_id) == programme_id, col(Participant.slack_user_id).in_(user_ids))
        .values(unanswered_checkins=0)
        .execution_options(synchronize_session=False)
    )


def answered(*, session: Session, match: Match, user_id: str) -> None:
    """The person answered a check-in: the count of check-ins they left unanswered starts again."""
    reset_unanswered(session, programme_id=match.programme_id, user_ids=[user_id])


def record_checkin(session: Session, *, match_id: int, members: list[str], now: datetime) -> None:
    """A check-in counts for the whole match: its quiet stretch ends and nobody's check-ins are unanswered."""
    match = session.get(Match, match_id)
    if match is None:
        return
    match.last_checkin_at = now
    session.add(match)
    reset_unanswered(session, programme_id=match.programme_id, user_ids=members)


def log_checkin(
    *,
    session: Session,
    team_id: str,
    match_id: int,
    author_id: str,
    members: list[str],
    entry: Entry,
    now: datetime,
    slack_key: str | None = None,
) -> bool:
    """Store a check-in the person logged for their match. `slack_key` is Slack's id of the submission: the same
    submission sent again stores nothing and gets False."""
    checkin = CheckIn(
        team_id=team_id,
        match_id=match_id,
        author_id=author_id,
        met_on=entry.met_on,
        duration_minutes=entry.duration_minutes,
        topics=entry.topics,
        usefulness=entry.usefulness,
        learned=entry.learned,
        next_step=entry.next_step,
        private_reflection=entry.reflection,
        slack_key=slack_key,
    )
    try:
        with session.begin_nested():
            session.add(checkin)
    except IntegrityError:
        return False
    record_checkin(session, match_id=match_id, members=members, now=now)
    return True


def settle_checkin_dms(*, session: Session, match_id: int) -> list[tuple[str, str]]:
    """One logged check-in counts for the pair: DMs not yet sent are dropped; the (channel, ts) of the check-in
    DMs already sent come back, marked closed, so they can say so."""
    updates = []
    rows = session.exec(
        select(OutboxMessage).where(
            or_(*(col(OutboxMessage.key).startswith(f"{kind}:{match_id}:") for kind in SETTLED_KINDS))
        )
    ).all()
    for row in rows:
        if row.status == OutboxStatus.PENDING.value:
            row.status = OutboxStatus.SKIPPED.value
            row.last_error = "check-in already logged"
            session.add(row)
        elif (
            row.kind == "checkin"
            and row.status == OutboxStatus.SENT.value
            and row.slack_ts
            and row.slack_channel
            and row.payload.get("open", True)
        ):
            updates.append((row.slack_channel, row.slack_ts))
            row.payload = {**row.payload, "open": False}
            session.add(row)
    return updates


def help_request(*, session: Session, match: Match, workspace_admins: Sequence[str]) -> tuple[list[str], int]:
    """Who hears that a pair needs help (the programme's admins), and how many check-ins the pair logged."""
    admins = programme_admin_ids(
        session, team_id=match.team_id, programme_id=match.programme_id, workspace_admins=workspace_admins
    )
    logged = len(session.exec(select(CheckIn).where(CheckIn.match_id == match.id)).all())
    return admins, logged


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
        match.plan_at = match.roadmap_at = None
        session.add(match)

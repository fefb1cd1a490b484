"""Matches and their members, read and written in a fixed number of statements whatever the programme's size.

A matching round reads every released pair of the workspace, the programme's active matches and a round's
proposals with one query each (members come with their matches in a second), and stores a round's proposals
with one bulk insert per table: the ids are reserved first, so no statement returns rows one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, text, update
from sqlalchemy import select as select_columns
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from store.models import Match, MatchMember, MatchStatus, Participant

RELEASED = (MatchStatus.ACTIVE.value, MatchStatus.ENDED.value)


@dataclass(frozen=True)
class ReleasedMatch:
    """A match that was ever released in the workspace: its programme, when it ended (None: still running), and
    its members in the order they were stored."""

    match_id: int
    programme_id: int
    ended_at: datetime | None
    members: tuple[str, ...]


def released_matches(*, session: Session, team_id: str) -> list[ReleasedMatch]:
    """Every match ever released in the workspace, with its members, in one query."""
    rows = session.exec(
        select(Match.id, Match.programme_id, Match.ended_at, MatchMember.slack_user_id)
        .join(MatchMember, col(MatchMember.match_id) == col(Match.id))
        .where(Match.team_id == team_id, col(Match.status).in_(RELEASED))
        .order_by(col(Match.id), col(MatchMember.id))
    ).all()
    out: list[ReleasedMatch] = []
    current: tuple[int, int, datetime | None] | None = None
    members: list[str] = []
    for match_id, programme_id, ended_at, user_id in rows:
        assert match_id is not None
        if current is None or current[0] != match_id:
            if current is not None:
                out.append(ReleasedMatch(*current, tuple(members)))
            current, members = (match_id, programme_id, ended_at), []
        members.append(user_id)
    if current is not None:
        out.append(ReleasedMatch(*current, tuple(members)))
    return out


def matches_with_members(*conditions: ColumnElement[bool], session: Session) -> list[tuple[Match, list[MatchMember]]]:
    """The matches that meet every condition (on `Match`), ordered by id, each with its members in stored order:
    two queries, however many matches."""
    matches = session.exec(select(Match).where(*conditions).order_by(col(Match.id))).all()
    if not matches:
        return []
    ids = select(Match.id).where(*conditions)
    grouped: dict[int, list[MatchMember]] = {m.id: [] for m in matches if m.id is not None}
    for member in session.exec(
        select(MatchMember).where(col(MatchMember.match_id).in_(ids)).order_by(col(MatchMember.id))
    ).all():
        grouped.setdefault(member.match_id, []).append(member)
    return [(m, grouped[m.id]) for m in matches if m.id is not None]


ROUND_COLUMNS: tuple[Any, ...] = (
    Participant.slack_user_id,
    Participant.manager_id,
    Participant.status,
    Participant.role,
    Participant.capacity,
    Participant.skills_offered,
    Participant.skills_wanted,
    Participant.goals,
    Participant.department,
    Participant.title,
    Participant.timezone,
    Participant.meeting_mode,
    Participant.office,
    Participant.rather_not,
    Participant.missed_rounds,
)


def round_people(*, session: Session, programme_id: int) -> list[Any]:
    """What a round needs of each participant of the programme (rows with those attributes), in one query that
    loads no ORM objects."""
    return list(
        session.execute(select_columns(*ROUND_COLUMNS).where(col(Participant.programme_id) == programme_id)).all()
    )


def participant_names(*, session: Session, programme_id: int) -> dict[str, str]:
    """Each participant's display name in the programme (their Slack id when they have none), in one query."""
    rows = session.execute(
        select(Participant.slack_user_id, Participant.display_name).where(col(Participant.programme_id) == programme_id)
    ).all()
    return {uid: (name or uid) for uid, name in rows}


def _reserve_ids(session: Session, table: str, count: int) -> list[int]:
    """`count` new primary keys of `table` (an integer id column), in one statement."""
    if count == 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(
            text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
            {"table": table, "n": count},
        ).all()
        return sorted(int(r[0]) for r in rows)
    # SQLite: one writer at a time, and the write below fails if another one got in since this read.
    top = session.execute(text(f'SELECT coalesce(max(id), 0) FROM "{table}"')).scalar_one()
    return list(range(int(top) + 1, int(top) + 1 + count))


@dataclass(frozen=True)
class NewMatch:
    """A proposed match to store: its score, reasons and members as (Slack id, role), in order."""

    score: float
    reasons: Sequence[str]
    members: Sequence[tuple[str, str]]


def insert_proposals(
    *, session: Session, team_id: str, programme_id: int, round_id: int, cycle_number: int, matches: Sequence[NewMatch]
) -> None:
    """Store a round's proposed matches and their members: one bulk insert per table (plus reserving ids)."""
    if not matches:
        return
    session.flush()
    match_ids = _reserve_ids(session, Match.__tablename__, len(matches))
    member_ids = _reserve_ids(session, MatchMember.__tablename__, sum(len(m.members) for m in matches))
    match_rows: list[dict[str, Any]] = []
    member_rows: list[dict[str, Any]] = []
    ids = iter(member_ids)
    for match_id, proposed in zip(match_ids, matches, strict=True):
        match_rows.append(
            {
                "id": match_id,
                "team_id": team_id,
                "programme_id": programme_id,
                "round_id": round_id,
                "cycle_number": cycle_number,
                "status": MatchStatus.PROPOSED.value,
                "score": proposed.score,
                "reasons": list(proposed.reasons),
                "end_reason": "",
                "prompts_seen": [],
                "continue_votes": [],
            }
        )
        member_rows.extend(
            {"id": next(ids), "match_id": match_id, "team_id": team_id, "slack_user_id": user_id, "role": role}
            for user_id, role in proposed.members
        )
    session.execute(insert(Match.__table__), match_rows)  # type: ignore[attr-defined]
    session.execute(insert(MatchMember.__table__), member_rows)  # type: ignore[attr-defined]


def activate_proposals(*, session: Session, round_id: int, now: datetime) -> None:
    """Every match still proposed in the round becomes active, in one statement."""
    session.execute(
        update(Match)
        .where(col(Match.round_id) == round_id, col(Match.status) == MatchStatus.PROPOSED.value)
        .values(status=MatchStatus.ACTIVE.value, released_at=now)
    )


def count_missed_round(*, session: Session, programme_id: int, user_ids: Sequence[str]) -> None:
    """One more missed round for each of these participants of the programme, in one statement."""
    if not user_ids:
        return
    session.execute(
        update(Participant)
        .where(col(Participant.programme_id) == programme_id, col(Participant.slack_user_id).in_(list(user_ids)))
        .values(missed_rounds=col(Participant.missed_rounds) + 1)
    )

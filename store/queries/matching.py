"""Matches and their members, read and written in a fixed number of statements whatever the programme's size.

A matching round reads every released pair of the workspace, the places its people already hold and a round's
proposals with one query each (members come with their matches in a second), as plain rows rather than model
objects, and stores a round's proposals in one statement on PostgreSQL (arrays unnested into both tables, the
ids reserved in the same statement) or one bulk insert per table on SQLite.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Text, cast, func, insert, text, update
from sqlalchemy import select as select_columns
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from store.models import Match, MatchMember, MatchStatus, MentorRequest, Participant, RequestStatus

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


class MatchRecord(NamedTuple):
    """What a round's preview and release show of a match, as plain values."""

    id: int
    score: float
    reasons: list[str]
    status: str


class MemberRecord(NamedTuple):
    """A member of a match, as plain values."""

    slack_user_id: str
    role: str


def round_matches(*, session: Session, round_id: int) -> list[tuple[MatchRecord, list[MemberRecord]]]:
    """The round's matches, ordered by id, each with its members in stored order: two queries of plain rows."""
    matches = [
        MatchRecord(match_id or 0, score, list(reasons), status)
        for match_id, score, reasons, status in session.exec(
            select(Match.id, Match.score, Match.reasons, Match.status)
            .where(col(Match.round_id) == round_id)
            .order_by(col(Match.id))
        ).all()
    ]
    if not matches:
        return []
    grouped: dict[int, list[MemberRecord]] = {m.id: [] for m in matches}
    for match_id, user_id, role in session.exec(
        select(MatchMember.match_id, MatchMember.slack_user_id, MatchMember.role)
        .where(col(MatchMember.match_id).in_(select(Match.id).where(col(Match.round_id) == round_id)))
        .order_by(col(MatchMember.id))
    ).all():
        grouped[match_id].append(MemberRecord(user_id, role))
    return [(m, grouped[m.id]) for m in matches]


def places_taken(*, session: Session, programme_id: int) -> dict[str, int]:
    """How many of the programme's active matches each person is in, in one query."""
    rows = session.exec(
        select(MatchMember.slack_user_id, func.count())
        .join(Match, col(Match.id) == col(MatchMember.match_id))
        .where(col(Match.programme_id) == programme_id, col(Match.status) == MatchStatus.ACTIVE.value)
        .group_by(col(MatchMember.slack_user_id))
    ).all()
    return {user_id: int(count) for user_id, count in rows}


def open_request_rows(*, session: Session, programme_id: int) -> list[tuple[int, str, str]]:
    """The programme's open requests of mentees to mentors as (request id, mentor, mentee), in one query."""
    rows = session.exec(
        select(MentorRequest.id, MentorRequest.mentor_id, MentorRequest.mentee_id).where(
            col(MentorRequest.programme_id) == programme_id, col(MentorRequest.status) == RequestStatus.OPEN.value
        )
    ).all()
    return [(request_id or 0, mentor_id, mentee_id) for request_id, mentor_id, mentee_id in rows]


class RoundPerson(NamedTuple):
    """What a round needs of a participant, as plain values (skills and "rather not"s as sets)."""

    slack_user_id: str
    display_name: str
    manager_id: str | None
    status: str
    role: str
    capacity: int | None
    skills_offered: frozenset[str]
    skills_wanted: frozenset[str]
    goals: str
    department: str
    title: str
    timezone: str | None
    meeting_mode: str
    office: str
    rather_not: frozenset[str]
    missed_rounds: int


ROUND_COLUMNS: tuple[Any, ...] = (  # in RoundPerson's order; the lists as their JSON text
    Participant.slack_user_id,
    Participant.display_name,
    Participant.manager_id,
    Participant.status,
    Participant.role,
    Participant.capacity,
    cast(Participant.skills_offered, Text),
    cast(Participant.skills_wanted, Text),
    Participant.goals,
    Participant.department,
    Participant.title,
    Participant.timezone,
    Participant.meeting_mode,
    Participant.office,
    cast(Participant.rather_not, Text),
    Participant.missed_rounds,
)


def round_people(*, session: Session, programme_id: int) -> list[RoundPerson]:
    """What a round needs of each participant of the programme, in one query that loads no model objects. The
    lists arrive as their JSON text and each distinct text is decoded once: most people share theirs (no
    "rather not"s, no skills offered as a mentee)."""
    sets: dict[str, frozenset[str]] = {}

    def as_set(stored: str | None) -> frozenset[str]:
        found = sets.get(stored or "[]")
        if found is None:
            found = sets[stored or "[]"] = frozenset(json.loads(stored or "[]"))
        return found

    rows = session.execute(select_columns(*ROUND_COLUMNS).where(col(Participant.programme_id) == programme_id)).all()
    return [
        RoundPerson._make((*row[:6], as_set(row[6]), as_set(row[7]), *row[8:14], as_set(row[14]), row[15]))
        for row in rows
    ]


def participant_names(*, session: Session, programme_id: int) -> dict[str, str]:
    """Each participant's display name in the programme (their Slack id when they have none), in one query."""
    rows = session.execute(
        select(Participant.slack_user_id, Participant.display_name).where(col(Participant.programme_id) == programme_id)
    ).all()
    return {uid: (name or uid) for uid, name in rows}


def _reserve_ids(session: Session, table: str, count: int) -> list[int]:
    """`count` new primary keys of `table` on SQLite, in one statement: one writer at a time, and the write that
    follows fails if another one got in since this read."""
    if count == 0:
        return []
    top = session.execute(text(f'SELECT coalesce(max(id), 0) FROM "{table}"')).scalar_one()
    return list(range(int(top) + 1, int(top) + 1 + count))


@dataclass(frozen=True)
class NewMatch:
    """A proposed match to store: its score, reasons and members as (Slack id, role), in order."""

    score: float
    reasons: Sequence[str]
    members: Sequence[tuple[str, str]]


# Both tables in one statement: each table's new ids are drawn from its sequence into one sorted array, the
# proposals and their members arrive as two JSON arrays (json_array_elements ... WITH ORDINALITY numbers them in
# order), and each row takes its id, and each member its match's id, by position: no join, so the planner's
# estimates stay small (a large estimate would have the statement compiled by the JIT first, for most of a second).
_INSERT_PROPOSALS = text(
    """
    WITH reserved AS (
        SELECT
            (SELECT array_agg(id ORDER BY id) FROM (
                SELECT nextval(sequence) AS id
                FROM generate_series(1, CAST(:match_count AS integer)),
                     CAST(pg_get_serial_sequence('mentor_match', 'id') AS regclass) AS sequence
            ) AS drawn) AS match_ids,
            (SELECT array_agg(id ORDER BY id) FROM (
                SELECT nextval(sequence) AS id
                FROM generate_series(1, CAST(:member_count AS integer)),
                     CAST(pg_get_serial_sequence('match_member', 'id') AS regclass) AS sequence
            ) AS drawn) AS member_ids
    ),
    new_matches AS (
        INSERT INTO mentor_match
            (id, team_id, programme_id, round_id, cycle_number, status, score, reasons, end_reason,
             prompts_seen, continue_votes)
        SELECT reserved.match_ids[proposed.ord], CAST(:team_id AS text), CAST(:programme_id AS integer),
               CAST(:round_id AS integer), CAST(:cycle_number AS integer), CAST(:status AS text),
               CAST(proposed.value ->> 0 AS double precision), proposed.value -> 1, '', '[]', '[]'
        FROM reserved, json_array_elements(CAST(:matches AS json)) WITH ORDINALITY AS proposed (value, ord)
    ),
    new_members AS (
        INSERT INTO match_member (id, match_id, team_id, slack_user_id, role)
        SELECT reserved.member_ids[seat.ord], reserved.match_ids[CAST(seat.value ->> 0 AS integer)],
               CAST(:team_id AS text), seat.value ->> 1, seat.value ->> 2
        FROM reserved, json_array_elements(CAST(:seats AS json)) WITH ORDINALITY AS seat (value, ord)
    )
    SELECT unnest(match_ids) FROM reserved
    """
)


def insert_proposals(
    *, session: Session, team_id: str, programme_id: int, round_id: int, cycle_number: int, matches: Sequence[NewMatch]
) -> list[int]:
    """Store a round's proposed matches and their members; returns the new matches' ids, in order. PostgreSQL:
    one statement; SQLite: one bulk insert per table, plus reserving ids."""
    if not matches:
        return []
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        seats = [
            (position, user_id, role) for position, m in enumerate(matches, start=1) for user_id, role in m.members
        ]
        rows = session.execute(
            _INSERT_PROPOSALS,
            {
                "match_count": len(matches),
                "member_count": len(seats),
                "team_id": team_id,
                "programme_id": programme_id,
                "round_id": round_id,
                "cycle_number": cycle_number,
                "status": MatchStatus.PROPOSED.value,
                "matches": json.dumps([(float(m.score), list(m.reasons)) for m in matches]),
                "seats": json.dumps(seats),
            },
        ).all()
        return [int(row[0]) for row in rows]
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
    return match_ids


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

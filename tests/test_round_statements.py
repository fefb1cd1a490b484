"""A matching round costs a fixed number of SQL statements, however many people take part.

Two programmes of different sizes run the same story (a first round released, some matches ended, a second
round previewed with one match dropped, then released); the statements of the second *Match now* and of its
release are counted with SQLAlchemy's `before_cursor_execute` and must be the same for both sizes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import col, select

from mentoring import matching
from store.db import Database
from store.models import Match, MatchMember, MatchStatus, Participant, Programme, ProgrammeStatus

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SKILLS = ["Python", "Leadership", "Writing", "Hiring", "Sales", "Design", "Security", "Finance"]
ZONES = ["Europe/London", "Europe/Berlin", "America/New_York", "Asia/Kolkata"]


@contextmanager
def counted(db: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def enrol(db: Database, mentees: int, team_id: str) -> int:
    """A programme with `mentees` mentees and a third as many mentors, managers and private "rather nots"."""
    rng = random.Random(mentees)
    with db.begin() as session:
        programme = Programme(team_id=team_id, slug="grow", name="Grow", status=ProgrammeStatus.ACTIVE.value)
        session.add(programme)
        session.flush()
        assert programme.id is not None
        mentors = [f"UM{i:05d}" for i in range(mentees // 3)]
        people = [(uid, "mentor") for uid in mentors] + [(f"UE{i:05d}", "mentee") for i in range(mentees)]
        for uid, role in people:
            session.add(
                Participant(
                    team_id=team_id,
                    programme_id=programme.id,
                    slack_user_id=uid,
                    display_name=uid,
                    role=role,
                    title="Senior Engineer" if role == "mentor" else "Engineer",
                    skills_offered=rng.sample(SKILLS, 3) if role == "mentor" else [],
                    skills_wanted=rng.sample(SKILLS, 2) if role == "mentee" else [],
                    goals="grow my leadership and writing",
                    department=rng.choice(["Engineering", "Sales", "Design"]),
                    capacity=rng.randint(1, 3) if role == "mentor" else None,
                    timezone=rng.choice(ZONES),
                    manager_id=rng.choice(mentors) if rng.random() < 0.2 else None,
                    rather_not=rng.sample(mentors, 1) if rng.random() < 0.05 else [],
                    consent_version="1",
                    consented_at=NOW,
                )
            )
        return programme.id


def run_story(db: Database, mentees: int) -> tuple[int, int, int]:
    """Statements of the second *Match now* and of its release, and how many matches that round proposed."""
    team_id = f"T{mentees}"
    programme_id = enrol(db, mentees, team_id)
    with db.begin() as session:
        first = matching.start_round(session=session, programme_id=programme_id, admin_id="UADMIN", now=NOW)
    with db.begin() as session:
        assert matching.release_preview(session=session, round_id=first.round_id, admin_id="UADMIN", now=NOW)
    with db.begin() as session:
        active = session.exec(select(Match).where(Match.programme_id == programme_id).order_by(col(Match.id))).all()
        for match in active[::2]:  # half the pairs end early: their mentees come back, their pair is not repeated
            matching.end(session=session, match=match, by="UADMIN", reason="test", now=NOW + timedelta(days=1))
    later = NOW + timedelta(days=2)
    with db.begin() as session, counted(db) as round_statements:
        second = matching.start_round(session=session, programme_id=programme_id, admin_id="UADMIN", now=later)
    assert second.proposals, "the second round proposes matches"
    with db.begin() as session:
        target = matching.preview_target(
            session=session, team_id=team_id, round_id=second.round_id, match_id=second.proposals[0].match.id
        )
        assert target is not None
        matching.change_preview(session=session, target=target, choice="drop", swap_with=None, actor_id="U", now=later)
    held_ids = [m.slack_user_id for m in second.proposals[0].members]
    with db.session() as session:
        before = {
            p.slack_user_id: p.missed_rounds
            for p in session.exec(
                select(Participant).where(
                    Participant.programme_id == programme_id, col(Participant.slack_user_id).in_(held_ids)
                )
            ).all()
        }
    with db.begin() as session, counted(db) as release_statements:
        done = matching.release_preview(session=session, round_id=second.round_id, admin_id="UADMIN", now=later)
    assert done is not None and len(done.matches) == len(second.proposals) - 1
    assert len(done.held_back) == 2
    with db.session() as session:
        stored = session.exec(
            select(Match).where(Match.round_id == second.round_id, Match.status == MatchStatus.ACTIVE.value)
        ).all()
        members = session.exec(select(MatchMember).where(col(MatchMember.match_id).in_([m.id for m in stored]))).all()
        held = session.exec(
            select(Participant).where(
                Participant.programme_id == programme_id, col(Participant.slack_user_id).in_(done.held_back)
            )
        ).all()
    assert len(stored) == len(done.matches) and len(members) == 2 * len(stored)
    assert {p.slack_user_id: p.missed_rounds for p in held} == {uid: n + 1 for uid, n in before.items()}
    return len(round_statements), len(release_statements), len(second.proposals)


def test_a_round_and_its_release_cost_the_same_statements_at_300_and_1500_mentees(db: Database) -> None:
    small = run_story(db, 300)
    large = run_story(db, 1500)
    assert large[2] > 4 * small[2] / 2, "the larger programme proposes many more matches"
    assert small[:2] == large[:2], f"statements (round, release) grow with the population: {small} vs {large}"
    # PostgreSQL stores the proposals and their members in one statement; SQLite reserves ids, then inserts each table.
    round_limit = {"postgresql": 10, "sqlite": 13}[db.engine.dialect.name]
    assert small[0] <= round_limit and small[1] <= 7, f"statements (round, release): {small[:2]}"


@pytest.mark.parametrize("mentees", [40])
def test_proposals_are_stored_with_their_members_in_order(db: Database, mentees: int) -> None:
    programme_id = enrol(db, mentees, "TORDER")
    with db.begin() as session:
        preview = matching.start_round(session=session, programme_id=programme_id, admin_id="UADMIN", now=NOW)
        expected = [
            (p.match.id, p.match.score, p.match.reasons, p.match.status, [(m.slack_user_id, m.role) for m in p.members])
            for p in preview.proposals
        ]
    with db.session() as session:
        round_ = matching.round_of(session=session, team_id="TORDER", round_id=preview.round_id)
        assert round_ is not None
        stored = matching.proposals(session=session, round_id=preview.round_id)
    # the preview is built from what the round stored: read back, it is the same, ids and order included
    assert [
        (p.match.id, p.match.score, p.match.reasons, p.match.status, [(m.slack_user_id, m.role) for m in p.members])
        for p in stored
    ] == expected
    assert all([m.role for m in p.members] == ["mentor", "mentee"] for p in stored)
    assert all(p.match.reasons and p.match.status == MatchStatus.PROPOSED.value for p in stored)

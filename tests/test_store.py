"""The store on both backends: schema from migrations, tenant scoping, upserts, event claims, UTC times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, SQLModel, col, select

import store.models  # noqa: F401 - registers the tables
from store import queries
from store.db import Database, normalise_url
from store.models import FollowUp, Participant, Programme, ProgrammeStatus, SeenRequest

FIELDS: dict[str, object] = {
    "role": "mentee",
    "skills_offered": [],
    "skills_wanted": ["Writing"],
    "goals": "Write clearer design docs",
    "department": "Engineering",
    "capacity": None,
    "consent_version": "2026-11",
    "consented_at": datetime(2026, 11, 23, 9, 30, tzinfo=UTC),
}


def new_programme(session: Session, team_id: str, name: str = "Mentoring") -> Programme:
    """A programme as an admin creates it (the defaults of the model)."""
    programme = Programme(team_id=team_id, slug=queries.slugify(name), name=name, skills=list(queries.DEFAULT_SKILLS))
    session.add(programme)
    session.flush()
    return programme


def test_migrations_create_exactly_the_models_schema(db: Database) -> None:
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_programmes_belong_to_one_workspace(db: Database) -> None:
    with db.session() as session:
        assert queries.programmes(session=session, team_id="T1") == []  # none until an admin creates one
    with db.begin() as session:
        first = new_programme(session, "T1")
        other = new_programme(session, "T2")
    assert other.id != first.id
    assert first.status == ProgrammeStatus.ENROLLING and "Public speaking" in first.skills
    with db.session() as session:
        assert [p.id for p in queries.programmes(session=session, team_id="T1")] == [first.id]


def test_joining_twice_updates_the_same_row(db: Database) -> None:
    with db.begin() as session:
        programme = new_programme(session, "T1")
        assert programme.id is not None
        _, created = queries.upsert_participant(
            session=session, team_id="T1", programme_id=programme.id, slack_user_id="U1", fields=FIELDS
        )
    assert created
    assert programme.id is not None
    with db.begin() as session:
        _, created = queries.upsert_participant(
            session=session,
            team_id="T1",
            programme_id=programme.id,
            slack_user_id="U1",
            fields={**FIELDS, "role": "peer", "skills_wanted": ["Leadership", "Writing"]},
        )
    assert not created
    with db.session() as session:
        rows = session.exec(select(Participant)).all()
    assert len(rows) == 1
    assert rows[0].role == "peer" and rows[0].skills_wanted == ["Leadership", "Writing"]


def test_a_membership_gone_since_it_was_read_is_created_again(db: Database) -> None:
    with db.begin() as session:
        programme = new_programme(session, "T1")
        assert programme.id is not None
        first, _ = queries.upsert_participant(
            session=session, team_id="T1", programme_id=programme.id, slack_user_id="U1", fields=FIELDS
        )
    with db.begin() as session:  # they asked to be forgotten after the join form read their membership
        session.delete(session.get(Participant, first))
    with db.begin() as session:
        again, created = queries.upsert_participant(
            session=session,
            team_id="T1",
            programme_id=programme.id,
            slack_user_id="U1",
            fields={**FIELDS, "role": "peer"},
            existing_id=first,
        )
    assert created  # a new row (SQLite may give it the same id again)
    with db.session() as session:
        rows = session.exec(select(Participant)).all()
    assert [(row.id, row.role) for row in rows] == [(again, "peer")]


def test_a_returning_members_form_and_its_follow_up_are_one_statement(db: Database) -> None:
    if db.backend != "postgresql":
        pytest.skip("a data-modifying WITH is PostgreSQL's: on SQLite the join form is saved in a unit of work")
    now = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    with db.begin() as session:
        programme = new_programme(session, "T1")
        assert programme.id is not None
        member, _ = queries.upsert_participant(
            session=session, team_id="T1", programme_id=programme.id, slack_user_id="U1", fields=FIELDS
        )
    follow_up = queries.NewFollowUp(
        team_id="T1", kind="joined", user_id="U1", payload={"participant_id": member}, now=now
    )
    statements: list[str] = []
    engine = db._alone_engine()
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    saved = db.alone(
        lambda connection: queries.update_membership_alone(
            connection, participant_id=member, fields={**FIELDS, "role": "peer"}, now=now, follow_up=follow_up
        )
    )
    assert saved and len(statements) == 1
    with db.session() as session:
        row = session.get(Participant, member)
        queued = session.exec(select(FollowUp)).all()
    assert row is not None and row.role == "peer" and row.updated_at == now
    assert [(f.team_id, f.kind, f.slack_user_id, f.payload, f.status, f.not_before) for f in queued] == [
        ("T1", "joined", "U1", {"participant_id": member}, "pending", now)
    ]

    with db.begin() as session:  # forgotten since the form was read: nothing is saved, nothing queued
        session.delete(session.get(Participant, member))
    gone = db.alone(
        lambda connection: queries.update_membership_alone(
            connection, participant_id=member, fields=FIELDS, now=now, follow_up=follow_up
        )
    )
    assert not gone
    with db.session() as session:
        assert session.exec(select(Participant)).all() == []
        assert len(session.exec(select(FollowUp)).all()) == 1


def test_lookups_never_cross_workspaces(db: Database) -> None:
    with db.begin() as session:
        mine = new_programme(session, "T1")
        assert mine.id is not None
        queries.upsert_participant(
            session=session, team_id="T1", programme_id=mine.id, slack_user_id="U1", fields=FIELDS
        )
    with db.session() as session:
        assert queries.get_programme(session=session, team_id="T2", programme_id=mine.id) is None
        assert queries.memberships(session=session, team_id="T2", slack_user_id="U1") == []
        assert len(queries.memberships(session=session, team_id="T1", slack_user_id="U1")) == 1
        assert queries.find_programme(session=session, team_id="T1", text="  MENTORING ") is not None


def test_datetimes_come_back_aware_in_utc(db: Database) -> None:
    lisbon_morning = datetime(2026, 11, 23, 10, 0, tzinfo=timezone(timedelta(hours=1)))
    with db.begin() as session:
        programme = new_programme(session, "T1")
        assert programme.id is not None
        queries.upsert_participant(
            session=session,
            team_id="T1",
            programme_id=programme.id,
            slack_user_id="U1",
            fields={**FIELDS, "consented_at": lisbon_morning},
        )
    with db.session() as session:
        row = session.exec(select(Participant)).one()
    assert row.consented_at == lisbon_morning
    assert row.consented_at.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused(db: Database) -> None:
    with pytest.raises(Exception, match="naive datetime"), db.begin() as session:
        session.add(Programme(team_id="T1", slug="x", name="X", created_at=datetime(2026, 1, 1)))  # noqa: DTZ001


def test_an_event_is_claimed_once(db: Database) -> None:
    with db.begin() as session:
        assert queries.claim_event(session=session, team_id="T1", event_id="Ev1")
    with db.begin() as session:
        assert not queries.claim_event(session=session, team_id="T1", event_id="Ev1")
        assert queries.claim_event(session=session, team_id="T2", event_id="Ev1")


def test_a_signed_request_is_claimed_once_even_after_its_connection_was_lost(db: Database) -> None:
    signed_at = datetime(2026, 11, 24, 8, 0, tzinfo=timezone(timedelta(hours=2)))

    def claim(digest: str) -> bool:
        return db.alone(lambda c: queries.claim_request(session=c, signature_hash=digest, signed_at=signed_at))

    assert claim("a" * 64) and not claim("a" * 64)
    if db.backend == "postgresql":  # the server ends the connection `alone` keeps open between requests
        pid = db.alone(lambda c: c.connection.driver_connection.info.backend_pid)  # type: ignore[union-attr]
        with db.engine.connect() as admin:
            assert admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
        assert claim("b" * 64) and not claim("b" * 64)  # a new connection, in the same call
    with db.session() as session:
        rows = session.exec(select(SeenRequest).order_by(col(SeenRequest.signature_hash))).all()
    assert (rows[0].signature_hash[0], rows[0].signed_at) == ("a", signed_at)
    assert len(rows) == (2 if db.backend == "postgresql" else 1)
    if db.backend == "postgresql":  # a statement the database refuses reaches the caller as Core's error
        with pytest.raises(DBAPIError):
            db.alone(lambda c: queries.claim_request(session=c, signature_hash="c" * 65, signed_at=signed_at))


def test_postgres_urls_use_psycopg3() -> None:
    assert normalise_url("postgres://u:p@h:5432/d").startswith("postgresql+psycopg://u:p@h:5432/d")
    assert normalise_url("postgresql://h/d").startswith("postgresql+psycopg://")
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"

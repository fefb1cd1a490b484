"""What tests read and set in the database around a scenario, and one scheduler pass at a chosen time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import select

from gateway.slack import make_web_client
from scheduling.scheduler import tick
from standin import BOT_TOKEN
from standin.scenes import World
from store.db import Database
from store.models import Programme
from store.queries import DEFAULT_SKILLS, slugify


def rows(database_url: str, model: Any) -> list[Any]:
    """Every row of a table, read in a unit of work of its own."""
    db = Database.from_url(database_url)
    try:
        with db.session() as session:
            return list(session.exec(select(model)).all())
    finally:
        db.dispose()


def set_programme(database_url: str, **fields: Any) -> Programme:
    """Change fields of the workspace's one programme directly (what an admin would set in the modal)."""
    db = Database.from_url(database_url)
    try:
        with db.begin() as session:
            programme = session.exec(select(Programme)).one()
            for key, value in fields.items():
                setattr(programme, key, value)
            session.add(programme)
        return programme
    finally:
        db.dispose()


def run_tick(world: World, database_url: str, now: datetime) -> dict[str, object]:
    """One scheduler pass at `now`, against the world's Slack stand-in."""
    db = Database.from_url(database_url)
    try:
        return tick(db, make_web_client(token=BOT_TOKEN, base_url=world.standin.api_url), now=now)
    finally:
        db.dispose()


def open_programme(database_url: str, team_id: str, name: str = "Mentoring", **fields: Any) -> Programme:
    """A programme open for enrolment, as a workspace admin would have created it in the admin modal."""
    db = Database.from_url(database_url)
    try:
        with db.begin() as session:
            programme = Programme(
                team_id=team_id,
                slug=slugify(name),
                name=name,
                objectives="Grow skills and careers through regular conversations with a mentor or a peer.",
                skills=list(DEFAULT_SKILLS),
                **fields,
            )
            session.add(programme)
        return programme
    finally:
        db.dispose()

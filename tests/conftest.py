"""Shared fixtures: a database per test (SQLite file, and PostgreSQL when TEST_POSTGRES_URL is set)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.app import create_web_app
from bot.settings import Settings
from standin import BOT_TOKEN, SlackPlatform, SlackStandIn
from standin.appserver import serve
from standin.scenes import World
from store import migrate
from store.db import Database, normalise_url
from tests.data import open_programme

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _postgres_admin_url() -> str | None:
    url = os.environ.get("TEST_POSTGRES_URL")
    if url:
        return normalise_url(url)
    if os.environ.get("REQUIRE_POSTGRES") == "1":
        pytest.fail("REQUIRE_POSTGRES=1 but TEST_POSTGRES_URL is not set")
    return None


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> Iterator[str]:
    """A fresh, migrated database for one test, on each backend in turn."""
    backend = request.param
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path}/mentor-bot-test.db"
        migrate.upgrade(url)
        yield url
        return
    admin_url = _postgres_admin_url()
    if admin_url is None:
        pytest.skip("PostgreSQL tests need TEST_POSTGRES_URL")
    name = f"mentorbot_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database.from_url(database_url)
    yield database
    database.dispose()


SIGNING_SECRET = "standin-signing-secret"


@contextmanager
def running_world(
    database_url: str,
    *,
    programme: str | None = "Mentoring",
    slack: dict[str, Any] | None = None,
    follow_ups: bool = True,
    **settings: Any,
) -> Iterator[World]:
    """The real app served over HTTP, talking to a Slack stand-in; `settings` override the app's settings and
    `slack` the stand-in's (e.g. `{"manifest": path}`: the app installed from another manifest).
    `programme`: the open programme an admin has already created in the workspace (None: a new workspace).
    `follow_ups`: run the follow-up worker beside the app, as the scheduler's process does in production."""
    with SlackStandIn(**(slack or {})) as standin:
        if programme is not None:
            open_programme(database_url, standin.team_id, programme)
        app_settings = Settings(
            _env_file=None,
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=standin.api_url,
            database_url=database_url,
            **settings,
        )
        web = create_web_app(app_settings, run_follow_ups=follow_ups)
        try:
            with serve(web) as base_url:
                platform = SlackPlatform(f"{base_url}/slack/events", SIGNING_SECRET, standin)
                yield World(standin=standin, platform=platform, app_base_url=base_url)
                assert standin.warnings == [], standin.warnings
        finally:
            web.close()


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    """The real app served over HTTP, talking to a Slack stand-in, on a fresh database, in a workspace whose
    admins have opened one programme, "Mentoring"."""
    with running_world(database_url) as running:
        yield running


@pytest.fixture
def new_workspace(database_url: str) -> Iterator[World]:
    """Like `world`, in a workspace where no admin has created a programme yet."""
    with running_world(database_url, programme=None) as running:
        yield running

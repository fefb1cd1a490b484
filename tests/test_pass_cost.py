"""A scheduler pass costs what is due, not who is there: the SQL statements of a whole pass (`tick`, every
planner and the delivery start) are the same at 1,000 and at 5,000 participants, with nothing due and with
the same matches due."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from slack_sdk import WebClient

from bench.common import fresh_postgres
from bench.pass_bench import NOW, counting, make_due, populate, settle
from scheduling.scheduler import tick
from standin import BOT_TOKEN, SlackStandIn
from store import migrate
from store.db import Database


def _statements(url: str, participants: int) -> tuple[int, int, dict[str, object]]:
    migrate.upgrade(url)
    db = Database.from_url(url)
    try:
        populate(db, participants)
        settle(db)
        with SlackStandIn() as standin:
            client = WebClient(token=BOT_TOKEN, base_url=standin.api_url)
            with counting(db.engine) as idle:
                tick(db, client, now=NOW)
            make_due(db, 20)
            with counting(db.engine) as busy:
                result = tick(db, client, now=NOW)
        return len(idle), len(busy), result
    finally:
        db.dispose()


@contextmanager
def _another(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A second empty database on the same backend."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path}/mentor-bot-big.db"
        return
    with fresh_postgres(os.environ["TEST_POSTGRES_URL"], prefix="mentorbot_test_big") as url:
        yield url


def test_a_pass_costs_the_same_statements_whatever_the_population(database_url: str, tmp_path: Path) -> None:
    small_idle, small_busy, small = _statements(database_url, 1_000)
    with _another(database_url, tmp_path) as big_url:
        big_idle, big_busy, big = _statements(big_url, 5_000)
    assert small["checkins_planned"] == big["checkins_planned"] == 40  # the 20 due matches, 2 DMs each
    assert small_idle == big_idle
    assert small_busy == big_busy
    assert small_idle < 20  # a handful per planner, not one per match

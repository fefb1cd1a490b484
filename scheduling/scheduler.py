"""Wiring only: which job runs when. The jobs themselves live in `scheduling.jobs`."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from slack_sdk import WebClient

from scheduling import jobs
from store.db import Database

logger = logging.getLogger(__name__)


def tick(db: Database, client: WebClient, *, now: datetime) -> dict[str, object]:
    """One pass of every job at `now` (what the scheduler runs, and what `mentor-bot tick` runs once)."""
    return {
        "pauses_ended": jobs.end_pauses(db, client, now=now),
        "workspaces_purged": jobs.purge_uninstalled(db, now=now),
    }


def _tick_now(db: Database, client: WebClient) -> None:
    tick(db, client, now=datetime.now(UTC))


def build_scheduler(
    db: Database, client: WebClient, *, interval_minutes: int = 10, blocking: bool = False
) -> BaseScheduler:
    """The loop: a thread in this process, or (blocking) the process's main loop for `mentor-bot scheduler`."""
    scheduler: BaseScheduler = BlockingScheduler(timezone=UTC) if blocking else BackgroundScheduler(timezone=UTC)
    scheduler.add_job(
        _tick_now,
        "interval",
        minutes=interval_minutes,
        args=(db, client),
        id="tick",
        name="plan and send what is due",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=300,
        next_run_time=datetime.now(UTC),
        replace_existing=True,
    )
    return scheduler

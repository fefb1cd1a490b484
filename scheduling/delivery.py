"""The delivery loop: the outbox sent at Slack's pace, continuously, in a thread of its own.

The scheduler's pass plans (check-ins, reminders, digests...) and wakes the loop when it queued something; the
loop sends whatever is due as fast as Slack's limits allow (one message a second per channel, the workspace's
rate, each method's tier), then waits to be woken or for `idle_seconds` (messages queued by the web workers,
which cannot wake it, or coming due later, are found then). Like the scheduler, one replica leads delivery
(`scheduling.leader`, its own advisory lock): the others wait and take over within `follower_seconds` of the
leader's connection closing. The pacing lives in one `RateLimiter` per loop, so it carries from pass to pass.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk import WebClient

from gateway.slack import TeamClients
from scheduling import jobs
from scheduling.leader import LOCK_ID, Leadership, worker_id
from scheduling.loop import WorkLoop
from scheduling.outbox import POST_PER_MINUTE, DeliveryReport, RateLimiter, deliver_due
from store.db import Database

logger = logging.getLogger(__name__)

DELIVERY_LOCK_ID = LOCK_ID + 1
"""The advisory lock of delivery leadership: apart from the scheduler's, so planning and sending may be led by
different replicas."""


def _now() -> datetime:
    return datetime.now(UTC)


class DeliveryLoop(WorkLoop):
    thread_name = "outbox-delivery"

    def __init__(
        self,
        db: Database,
        client: WebClient | TeamClients,
        *,
        post_per_minute: int = POST_PER_MINUTE,
        leadership: Leadership | None = None,
        limiter: RateLimiter | None = None,
        pass_seconds: float = 5.0,
        idle_seconds: float = 2.0,
        follower_seconds: float = 1.0,
        stale_after: timedelta = timedelta(minutes=2),
        clock: Callable[[], datetime] = _now,
        name: str | None = None,
        **options: Any,
    ) -> None:
        """`options` go to each `deliver_due` pass (`backoff_base`, `check_deadline`, `max_attempts`...)."""
        super().__init__(idle_seconds=idle_seconds, clock=clock)
        self.db = db
        self.client = client
        self.leadership = leadership or Leadership(db.engine, lock_id=DELIVERY_LOCK_ID)
        self.limiter = limiter or RateLimiter(post_per_minute=post_per_minute)
        # A batch is about half a second of the workspace's rate (claimed again when half is sent): the rows a
        # crash leaves unsure, each to be checked against Slack's history at Tier 3 (50 a minute), stay few.
        self.batch = max(4, math.ceil(post_per_minute / 60 / 2))
        self.pass_seconds = pass_seconds
        self.follower_seconds = follower_seconds
        self.stale_after = stale_after
        self.worker_id = name or f"delivery:{worker_id()}"
        self.options = options

    def run_once(self, now: datetime) -> DeliveryReport | None:
        """One pass at `now` if this process leads delivery (None if another replica does). Messages Slack will
        never take are acted on (`jobs.act_on_failures`)."""
        if not self.leadership.try_lead():
            return None
        report = deliver_due(
            self.db,
            self.client,
            now=now,
            worker_id=self.worker_id,
            batch=self.batch,
            time_budget=self.pass_seconds,
            stale_after=self.stale_after,
            limiter=self.limiter,
            **self.options,
        )
        if report.failed:
            jobs.act_on_failures(self.db, self.client, report.failed, now=now)
        return report

    def step(self, now: datetime) -> float:
        """One pass; then on at once while there is work, else wait (longer as a follower)."""
        report = self.run_once(now)
        if report is None:
            return self.follower_seconds
        return self.idle_seconds if report.claimed == 0 else 0.0

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the current pass (its claims are recorded or handed back), then stop leading."""
        super().stop(timeout)
        self.leadership.release()

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
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk import WebClient

from gateway.slack import TeamClients
from scheduling import jobs
from scheduling.leader import LOCK_ID, Leadership, worker_id
from scheduling.outbox import POST_PER_MINUTE, DeliveryReport, RateLimiter, deliver_due
from store.db import Database

logger = logging.getLogger(__name__)

DELIVERY_LOCK_ID = LOCK_ID + 1
"""The advisory lock of delivery leadership: apart from the scheduler's, so planning and sending may be led by
different replicas."""


def _now() -> datetime:
    return datetime.now(UTC)


class DeliveryLoop:
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
        self.db = db
        self.client = client
        self.leadership = leadership or Leadership(db.engine, lock_id=DELIVERY_LOCK_ID)
        self.limiter = limiter or RateLimiter(post_per_minute=post_per_minute)
        # A batch is about half a second of the workspace's rate (claimed again when half is sent): the rows a
        # crash leaves unsure, each to be checked against Slack's history at Tier 3 (50 a minute), stay few.
        self.batch = max(4, math.ceil(post_per_minute / 60 / 2))
        self.pass_seconds = pass_seconds
        self.idle_seconds = idle_seconds
        self.follower_seconds = follower_seconds
        self.stale_after = stale_after
        self.clock = clock
        self.worker_id = name or f"delivery:{worker_id()}"
        self.options = options
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        """Something was queued: look now rather than after `idle_seconds`."""
        self._wake.set()

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

    def run(self) -> None:
        """The loop's body, until `stop()`: pass after pass while there is work, else wait to be woken."""
        while not self._stop.is_set():
            self._wake.clear()
            try:
                report = self.run_once(self.clock())
            except Exception:  # the database or Slack away: log it, keep the loop alive, try again soon
                logger.exception("delivery pass failed; trying again")
                self._wake.wait(self.idle_seconds)
                continue
            if report is None:
                self._wake.wait(self.follower_seconds)
            elif report.claimed == 0:
                self._wake.wait(self.idle_seconds)

    def start(self) -> DeliveryLoop:
        self._thread = threading.Thread(target=self.run, name="outbox-delivery", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the current pass (its claims are recorded or handed back), then stop leading."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.leadership.release()

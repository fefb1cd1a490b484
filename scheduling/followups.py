"""Follow-ups: the work a listener leaves for after its ack, done away from the web workers, at Slack's pace.

A listener queues a follow-up (`queue`) in the unit of work that saves what the request changed, so the work is
never lost with a worker and never done for a change that was rolled back. `FollowUpLoop` does them: in the
scheduler's process (`mentor-bot scheduler`, the child of `serve --http`), or beside the app in Socket Mode. The
web workers that ack requests never spend their CPU on it, and a burst of joins cannot push Slack's rate limits
onto the acks.

- Claiming is one UPDATE per batch (PostgreSQL: rows picked with `FOR UPDATE SKIP LOCKED`, so two replicas never
  claim the same row). A claim is a lease: a row still claimed `lease` after its claim (its worker died) is
  claimed again, so each follow-up is done at least once. Runners are written so that doing one twice is
  harmless (App Home is published again); the one visible repeat, a second confirmation DM, needs a worker to
  die between sending it and recording it done.
- Each kind's runner says which Web API methods it calls; the loop waits on `RateLimiter` (per workspace and
  method, by tier) before running it, so follow-ups leave at the rate Slack allows however fast they are queued.
- A runner that raises is tried again after an exponential backoff (`backoff_base`, doubling), up to
  `max_attempts`; then the row ends `failed` with the error, for an operator (and the log) to see.
- Every pass is led by nobody: any number of loops may run, claims keep them apart. Web workers cannot wake a
  loop in another process; it looks every `idle_seconds`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import and_, or_, update
from sqlmodel import Session, col, select

from gateway.slack import TeamClients, team_clients
from scheduling.leader import worker_id
from scheduling.loop import WorkLoop
from scheduling.outbox import RateLimiter
from store import queries
from store.db import Database
from store.models import FollowUp, FollowUpStatus
from store.types import utcnow

logger = logging.getLogger(__name__)


def queue(session: Session, *, team_id: str, kind: str, user_id: str, payload: dict[str, Any], now: datetime) -> None:
    """Leave `kind` of work for `user_id` to the follow-up worker, in the caller's unit of work (one INSERT,
    without building an ORM object: this runs on the path that acks the request)."""
    follow_up = queries.NewFollowUp(team_id=team_id, kind=kind, user_id=user_id, payload=payload, now=now)
    queries.queue_follow_up(session=session, follow_up=follow_up)


@dataclass(frozen=True)
class Runner:
    """How to do one kind of follow-up: `run(client, row)` with the workspace's client, calling each of
    `methods` (Web API methods) at most once, which the loop paces before it runs."""

    run: Callable[[WebClient, FollowUp], None]
    methods: tuple[str, ...] = ()


@dataclass
class FollowUpReport:
    claimed: int = 0
    done: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0  # no runner for the kind, or no client for the workspace (uninstalled): ended failed
    waited: float = 0.0  # seconds spent waiting on Slack's rate limits
    errors: list[str] = field(default_factory=list)


def _due(now: datetime, lease: timedelta) -> Any:
    return and_(
        col(FollowUp.status) == FollowUpStatus.PENDING.value,
        col(FollowUp.not_before) <= now,
        or_(col(FollowUp.claimed_at).is_(None), col(FollowUp.claimed_at) < now - lease),
    )


def claim(db: Database, *, now: datetime, worker: str, batch: int, lease: timedelta) -> list[FollowUp]:
    """Claim up to `batch` due follow-ups in one UPDATE, oldest first."""
    due = _due(now, lease)
    picked = select(FollowUp.id).where(due).order_by(col(FollowUp.not_before), col(FollowUp.id)).limit(batch)
    if db.backend == "postgresql":
        picked = picked.with_for_update(skip_locked=True)
    statement = (
        update(FollowUp)
        .where(col(FollowUp.id).in_(picked.scalar_subquery()), due)
        .values(claimed_by=worker, claimed_at=now, attempts=col(FollowUp.attempts) + 1)
        .returning(FollowUp)
        .execution_options(synchronize_session=False)
    )
    with db.begin() as session:
        rows = list(session.execute(statement).scalars().all())
        session.expunge_all()
    rows.sort(key=lambda r: (r.not_before, r.id or 0))
    return rows


def _record(db: Database, row: FollowUp, worker: str, **values: Any) -> None:
    """Record an outcome, guarded by the claim: a worker whose lease ran out and was taken over records nothing."""
    with db.begin() as session:
        session.execute(
            update(FollowUp)
            .where(col(FollowUp.id) == row.id, col(FollowUp.claimed_by) == worker)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


class FollowUpLoop(WorkLoop):
    thread_name = "follow-ups"

    def __init__(
        self,
        db: Database,
        client: WebClient | TeamClients,
        runners: Mapping[str, Runner],
        *,
        limiter: RateLimiter | None = None,
        batch: int = 10,
        idle_seconds: float = 0.5,
        lease: timedelta = timedelta(minutes=2),
        max_attempts: int = 5,
        backoff_base: timedelta = timedelta(seconds=10),
        clock: Callable[[], datetime] = utcnow,  # the app's clock: what listeners stamp `not_before` with
        name: str | None = None,
    ) -> None:
        super().__init__(idle_seconds=idle_seconds, clock=clock)
        self.db = db
        self.clients = team_clients(client)
        self.runners = runners
        self.limiter = limiter or RateLimiter()
        self.batch = batch
        self.lease = lease
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.worker = name or f"follow-up:{worker_id()}"

    def _pace(self, team_id: str, methods: tuple[str, ...]) -> float:
        """Wait until every method may be called once in the workspace, then count the calls. Seconds waited."""
        waited = 0.0
        while not self.stopping:
            wait = max((self.limiter.wait(team_id, method) for method in methods), default=0.0)
            if wait <= 0:
                break
            self._stop.wait(wait)
            waited += wait
        for method in methods:
            self.limiter.take(team_id, method)
        return waited

    def run_once(self, now: datetime) -> FollowUpReport:
        """Claim one batch of what is due at `now` and do it."""
        report = FollowUpReport()
        rows = claim(self.db, now=now, worker=self.worker, batch=self.batch, lease=self.lease)
        report.claimed = len(rows)
        for row in rows:
            if self.stopping:  # hand the rest back at once rather than after the lease
                _record(self.db, row, self.worker, claimed_by=None, claimed_at=None, attempts=row.attempts - 1)
                continue
            runner = self.runners.get(row.kind)
            client = self.clients.for_team(row.team_id)
            if runner is None or client is None:
                why = "no runner for this kind" if runner is None else "the workspace is not installed"
                _record(self.db, row, self.worker, status=FollowUpStatus.FAILED.value, last_error=why)
                report.skipped += 1
                continue
            report.waited += self._pace(row.team_id, runner.methods)
            try:
                runner.run(client, row)
            except Exception as error:  # noqa: BLE001 - any failure: try again later, then give up
                self._failed(row, error, report)
                continue
            _record(self.db, row, self.worker, status=FollowUpStatus.DONE.value, last_error="")
            report.done += 1
        return report

    def _failed(self, row: FollowUp, error: Exception, report: FollowUpReport) -> None:
        reason = f"{type(error).__name__}: {error}"[:500]
        report.errors.append(reason)
        if row.attempts >= self.max_attempts:
            logger.error(
                "a follow-up failed for good",
                extra={"follow_up_id": row.id, "kind": row.kind, "user_id": row.slack_user_id, "error": reason},
            )
            _record(self.db, row, self.worker, status=FollowUpStatus.FAILED.value, last_error=reason)
            report.failed += 1
            return
        logger.warning(
            "a follow-up failed; trying again later",
            extra={"follow_up_id": row.id, "kind": row.kind, "attempt": row.attempts, "error": reason},
        )
        later = self.clock() + self.backoff_base * (2 ** (row.attempts - 1))
        _record(self.db, row, self.worker, not_before=later, claimed_by=None, claimed_at=None, last_error=reason)
        report.retried += 1

    def step(self, now: datetime) -> float:
        """One batch; then the next at once while there is work, else wait to be woken or `idle_seconds`."""
        return self.idle_seconds if self.run_once(now).claimed == 0 else 0.0

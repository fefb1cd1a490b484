"""The outbox: messages the app means to send, written by planning jobs and sent once each by a delivery worker.

Planning calls `enqueue` inside its own unit of work; a unique key per (workspace, key) makes planning twice
harmless. `deliver_due` claims what is due and sends it through the Web API client:

- Claiming marks rows `sending` with `claimed_by`/`claimed_at` (PostgreSQL: `SELECT ... FOR UPDATE SKIP LOCKED`,
  so replicas never claim the same row; SQLite: one conditional UPDATE per row). Every claim counts an attempt.
- Each message carries Slack `metadata` (event type `mentor_bot_outbox`, the outbox id). A row still `sending`
  after `stale_after` belongs to a worker that died; before resending it the worker reads the channel's recent
  history and, if Slack already holds a message with that outbox id, records it as sent instead. When Slack's
  history cannot be read (or does not answer with messages) the row is resent: delivery is then at least once,
  and a duplicate is possible only for a message Slack accepted in the instant before the worker died.
- Our own pacing keeps us under Slack's limits (chat.postMessage about 1/s per channel with short bursts; other
  methods by tier), and a 429 makes the worker back off that channel or method for Retry-After.
- Transient failures (5xx, dropped connections, Slack's own internal errors) go back to `pending` with an
  exponential backoff; permanent ones (`user_not_found`, `channel_not_found`, ...) and running out of attempts
  end as `failed`, listed in the report so the caller can act. Rows of an uninstalled workspace are `skipped`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import and_, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from gateway.slack import TeamClients, per_minute, team_clients
from scheduling.hours import Window, next_working_slot
from store import queries
from store.db import Database
from store.models import OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)

METADATA_EVENT_TYPE = "mentor_bot_outbox"

PERMANENT_ERRORS = frozenset(
    {
        "user_not_found",
        "account_inactive",
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "user_disabled",
        "invalid_blocks",
        "invalid_blocks_format",
        "msg_too_long",
        "no_text",
        "cannot_dm_bot",
        "restricted_action",
        "restricted_action_read_only_channel",
        "restricted_action_thread_only_channel",
        "restricted_action_non_threadable_channel",
        "team_access_not_granted",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "metadata_too_large",
        "too_many_attachments",
        "invalid_arguments",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "no_permission",
        "missing_scope",
        "org_login_required",
        "ekm_access_denied",
    }
)
"""Errors that will not go away by trying again. Anything else Slack answers is retried (up to a limit)."""

POST_BURST = 3.0
"""chat.postMessage: a burst of this many messages per channel, then one a second."""


class _NoTimeLeft(Exception):
    """The time budget ran out before a stale row's history could be checked: leave it for a later pass."""


class _Bucket:
    def __init__(self, capacity: float, per_second: float, clock: Callable[[], float]) -> None:
        self.capacity = capacity
        self.per_second = per_second
        self.tokens = capacity
        self.clock = clock
        self.updated = clock()
        self.blocked_until = 0.0

    def wait(self) -> float:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.per_second)
        self.updated = now
        if now < self.blocked_until:
            return self.blocked_until - now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.per_second

    def take(self) -> None:
        self.wait()
        self.tokens -= 1


POST_PER_MINUTE = 600
"""chat.postMessage across a whole workspace: Slack keeps a workspace-wide limit ("several hundred a minute")
above the one message a second per channel."""


class RateLimiter:
    """Client-side pacing per workspace: chat.postMessage per channel and across the workspace, every other
    method by its tier.

    Keep one per process (or per worker) so the pacing carries over from one delivery pass to the next.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic, *, post_per_minute: int = POST_PER_MINUTE) -> None:
        self.clock = clock
        self.post_per_minute = post_per_minute
        self._buckets: dict[tuple[str, str, str], _Bucket] = {}

    def _bucket(self, team_id: str, method: str, channel: str | None) -> _Bucket:
        key = (team_id, method, channel or "") if method == "chat.postMessage" else (team_id, method, "")
        bucket = self._buckets.get(key)
        if bucket is None:
            if method == "chat.postMessage" and channel is None:  # the workspace-wide limit
                per_second = self.post_per_minute / 60.0
                bucket = _Bucket(max(1.0, per_second * 10), per_second, self.clock)
            elif method == "chat.postMessage":
                bucket = _Bucket(POST_BURST, 1.0, self.clock)
            else:
                limit = per_minute(method)
                bucket = _Bucket(float(limit), limit / 60.0, self.clock)
            self._buckets[key] = bucket
        return bucket

    def _buckets_for(self, team_id: str, method: str, channel: str | None) -> list[_Bucket]:
        buckets = [self._bucket(team_id, method, channel)]
        if method == "chat.postMessage" and channel is not None:
            buckets.append(self._bucket(team_id, method, None))
        return buckets

    def wait(self, team_id: str, method: str, channel: str | None = None) -> float:
        """Seconds until a call may go out (0: now)."""
        return max(b.wait() for b in self._buckets_for(team_id, method, channel))

    def take(self, team_id: str, method: str, channel: str | None = None) -> None:
        for bucket in self._buckets_for(team_id, method, channel):
            bucket.take()

    def back_off(self, team_id: str, method: str, channel: str | None, seconds: float) -> None:
        """Slack said 429: send nothing more on this channel (or method) for `seconds`."""
        bucket = self._bucket(team_id, method, channel)
        bucket.blocked_until = max(bucket.blocked_until, self.clock() + seconds)
        bucket.tokens = 0.0


@dataclass(frozen=True)
class Failure:
    """A message that will not be sent, and why: the caller decides what to do (pause the person, tell admins)."""

    outbox_id: int
    team_id: str
    key: str
    kind: str
    recipient: str | None
    channel_id: str | None
    error: str


@dataclass
class DeliveryReport:
    sent: int = 0
    recovered: int = 0  # found already in Slack after a crash, recorded as sent without resending
    retried: int = 0  # transient failure: back to pending, to try again later
    skipped: int = 0
    released: int = 0  # claimed but not tried before the time budget ran out
    rate_limited: int = 0
    deferred: int = 0  # came due outside the recipient's working hours (delivery ran late): waits for the next
    failed: list[Failure] = field(default_factory=list)


def message(
    *,
    team_id: str,
    key: str,
    kind: str,
    text: str,
    not_before: datetime,
    recipient: str | None = None,
    channel: str | None = None,
    blocks: Sequence[dict[str, Any]] | None = None,
    thread_ts: str | None = None,
    metadata: dict[str, Any] | None = None,
    window: dict[str, Any] | None = None,
) -> OutboxMessage:
    """A new outbox row (not yet added to any session): see `enqueue`."""
    if (recipient is None) == (channel is None):
        raise ValueError("give exactly one of recipient or channel")
    if not_before.tzinfo is None:
        raise ValueError("not_before must be timezone-aware")
    payload: dict[str, Any] = {"text": text}
    if blocks:
        payload["blocks"] = list(blocks)
    if thread_ts:
        payload["thread_ts"] = thread_ts
    if metadata:
        payload["metadata"] = metadata
    if window:
        payload["window"] = window
    return OutboxMessage(
        team_id=team_id,
        key=key,
        kind=kind,
        recipient=recipient,
        channel_id=channel,
        payload=payload,
        not_before=not_before,
    )


def enqueue(session: Session, *, team_id: str, key: str, **fields: Any) -> bool:
    """Add a message to send at or after `not_before`. False if this workspace already has one with `key`.

    Give `recipient` (a user id: a DM) or `channel` (a channel id), `kind`, `text` and `not_before`; optionally
    `blocks`, `thread_ts`, `metadata` (merged into the `event_payload` of the message's Slack metadata) and
    `window` (`hours.Window.as_payload`: it keeps the message inside someone's working hours even when delivery
    runs late; outside them it waits for the next slot).
    """
    row = message(team_id=team_id, key=key, **fields)
    exists = session.exec(
        select(OutboxMessage.id).where(OutboxMessage.team_id == team_id, OutboxMessage.key == key)
    ).first()
    if exists is not None:
        return False
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # planned at the same moment by someone else
        return False
    return True


# --- claiming ------------------------------------------------------------------------------------------


def _due_condition(now: datetime, stale_before: datetime) -> Any:
    return or_(
        and_(col(OutboxMessage.status) == OutboxStatus.PENDING.value, col(OutboxMessage.not_before) <= now),
        and_(
            col(OutboxMessage.status) == OutboxStatus.SENDING.value,
            col(OutboxMessage.claimed_at) < stale_before,
        ),
    )


def _claim(
    db: Database, *, now: datetime, worker_id: str, batch: int, stale_after: timedelta
) -> list[tuple[OutboxMessage, bool]]:
    """Claim up to `batch` due rows; returns each with whether it was a stale claim of a dead worker."""
    stale_before = now - stale_after
    postgres = db.engine.dialect.name == "postgresql"
    claimed: list[tuple[OutboxMessage, bool]] = []
    with db.begin() as session:
        query = (
            select(OutboxMessage)
            .where(_due_condition(now, stale_before))
            .order_by(col(OutboxMessage.not_before), col(OutboxMessage.id))
            .limit(batch)
        )
        if postgres:
            query = query.with_for_update(skip_locked=True)
        rows = list(session.exec(query).all())
        for row in rows:
            stale = row.status == OutboxStatus.SENDING.value
            assert row.id is not None
            result = session.execute(
                update(OutboxMessage)
                .where(col(OutboxMessage.id) == row.id, _due_condition(now, stale_before))
                .values(
                    status=OutboxStatus.SENDING.value,
                    claimed_by=worker_id,
                    claimed_at=now,
                    attempts=col(OutboxMessage.attempts) + 1,
                )
                .execution_options(synchronize_session=False)
            )
            if getattr(result, "rowcount", 0) == 1:
                row.status = OutboxStatus.SENDING.value
                row.claimed_by = worker_id
                row.claimed_at = now
                row.attempts += 1
                claimed.append((row, stale))
        session.expunge_all()
    return claimed


def _finish(db: Database, row: OutboxMessage, worker_id: str, **values: Any) -> bool:
    """Record the outcome of a claimed row, if this worker still holds the claim."""
    with db.begin() as session:
        result = session.execute(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.id) == row.id,
                col(OutboxMessage.status) == OutboxStatus.SENDING.value,
                col(OutboxMessage.claimed_by) == worker_id,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        held = getattr(result, "rowcount", 0) == 1
    if not held:
        logger.warning("outbox claim lost before the outcome was recorded", extra={"outbox_id": row.id})
    return held


def _hand_back(db: Database, row: OutboxMessage, worker_id: str, **values: Any) -> bool:
    """Return a claimed row to `pending` untried: the claim does not count as an attempt."""
    return _finish(
        db,
        row,
        worker_id,
        status=OutboxStatus.PENDING.value,
        claimed_by=None,
        claimed_at=None,
        attempts=max(0, row.attempts - 1),
        **values,
    )


# --- sending -------------------------------------------------------------------------------------------


def _target(row: OutboxMessage) -> str:
    target = row.channel_id or row.recipient
    assert target is not None
    return target


def _error_of(error: SlackApiError) -> str:
    body = error.response.data if isinstance(error.response.data, dict) else {}
    return str(body.get("error") or f"http_{error.response.status_code}")


def _retry_after(error: SlackApiError) -> float:
    headers = error.response.headers or {}
    for name, value in headers.items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return max(1.0, float(raw))
            except (TypeError, ValueError):
                break
    return 1.0


def _pace(
    limiter: RateLimiter,
    team_id: str,
    method: str,
    channel: str | None,
    deadline: float,
    sleep: Callable[[float], None],
) -> None:
    """Wait for our own rate limit on a call; _NoTimeLeft if that would overrun the time budget."""
    wait = limiter.wait(team_id, method, channel)
    if wait > 0:
        if time.monotonic() + wait > deadline:
            raise _NoTimeLeft
        sleep(wait)
    limiter.take(team_id, method, channel)


def _already_posted(
    client: WebClient,
    row: OutboxMessage,
    limiter: RateLimiter,
    deadline: float,
    sleep: Callable[[float], None],
) -> tuple[str, str] | None:
    """(channel, ts) of a message Slack already holds for this outbox row, or None (also when unknowable).

    Reads the last messages of the channel (or the DM) with their metadata. Some Slack deployments and test
    stand-ins answer without `messages`; that counts as "not found", and the row is sent again.
    """
    try:
        channel = row.channel_id
        if channel is None:
            _pace(limiter, row.team_id, "conversations.open", None, deadline, sleep)
            opened = client.conversations_open(users=row.recipient)
            channel = str((opened.get("channel") or {}).get("id") or "")
            if not channel:
                return None
        _pace(limiter, row.team_id, "conversations.history", None, deadline, sleep)
        history = client.conversations_history(channel=channel, limit=20, include_all_metadata=True)
    except (SlackApiError, OSError) as error:
        logger.warning("could not read history to check a stale outbox row", extra={"outbox_id": row.id, "e": error})
        return None
    messages = history.get("messages")
    if not isinstance(messages, list):
        logger.warning(
            "conversations.history gave no messages: a stale outbox row is resent unchecked",
            extra={"outbox_id": row.id},
        )
        return None
    for message in messages:
        metadata = message.get("metadata") if isinstance(message, dict) else None
        if not isinstance(metadata, dict) or metadata.get("event_type") != METADATA_EVENT_TYPE:
            continue
        event_payload = metadata.get("event_payload") or {}
        if isinstance(event_payload, dict) and event_payload.get("outbox_id") == row.id:
            return channel, str(message.get("ts") or "")
    return None


def _outside_window(row: OutboxMessage, now: datetime) -> datetime | None:
    """When a message meant for working hours comes due outside them, the next slot; else None."""
    data = row.payload.get("window")
    if not isinstance(data, dict):
        return None
    window, timezone = Window.from_payload(data)
    if window.contains(now, timezone):
        return None
    return next_working_slot(now, timezone, window=window)


def _backoff(attempts: int, base: timedelta, cap: timedelta) -> timedelta:
    return min(cap, base * (2 ** max(0, attempts - 1)))


def deliver_due(
    db: Database,
    client: WebClient | TeamClients,
    *,
    now: datetime,
    worker_id: str,
    batch: int = 100,
    time_budget: float = 50.0,
    stale_after: timedelta = timedelta(minutes=5),
    max_attempts: int = 5,
    backoff_base: timedelta = timedelta(seconds=30),
    backoff_cap: timedelta = timedelta(hours=1),
    limiter: RateLimiter | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryReport:
    """Send every outbox message due at `now`, within `time_budget` seconds of wall time.

    `now` decides what is due (and stamps claims and backoffs), so `mentor-bot tick --at` and tests can run a
    pass at any time; pacing and the budget use the real clock. `client` is one workspace's client, or a
    factory giving each workspace's (`gateway.slack.TeamClients`); a workspace with no client is skipped.
    """
    clients = team_clients(client)
    team_client: dict[str, WebClient | None] = {}
    limiter = limiter or RateLimiter()
    deadline = time.monotonic() + time_budget
    report = DeliveryReport()
    active: dict[str, bool] = {}
    while time.monotonic() < deadline:
        claimed = _claim(db, now=now, worker_id=worker_id, batch=batch, stale_after=stale_after)
        if not claimed:
            break
        queue = list(claimed)
        while queue:
            if time.monotonic() >= deadline:
                break
            waiting: list[tuple[OutboxMessage, bool]] = []
            for row, stale in queue:
                if time.monotonic() >= deadline:
                    waiting.append((row, stale))
                    continue
                if row.team_id not in active:
                    with db.session() as session:
                        active[row.team_id] = queries.workspace_active(session=session, team_id=row.team_id)
                if not active[row.team_id]:
                    if _finish(db, row, worker_id, status=OutboxStatus.SKIPPED.value, last_error="workspace_inactive"):
                        report.skipped += 1
                    continue
                if row.team_id not in team_client:
                    team_client[row.team_id] = clients.for_team(row.team_id)
                row_client = team_client[row.team_id]
                if row_client is None:
                    if _finish(db, row, worker_id, status=OutboxStatus.SKIPPED.value, last_error="not_installed"):
                        report.skipped += 1
                    continue
                later = _outside_window(row, now)
                if later is not None and not stale:
                    if _hand_back(db, row, worker_id, not_before=later):
                        report.deferred += 1
                    continue
                if limiter.wait(row.team_id, "chat.postMessage", _target(row)) > 0:
                    waiting.append((row, stale))
                    continue
                _deliver_one(
                    db,
                    row_client,
                    row,
                    stale=stale,
                    now=now,
                    worker_id=worker_id,
                    limiter=limiter,
                    deadline=deadline,
                    sleep=sleep,
                    report=report,
                    max_attempts=max_attempts,
                    backoff=_backoff(row.attempts, backoff_base, backoff_cap),
                )
            queue = waiting
            if queue:
                soonest = min(limiter.wait(r.team_id, "chat.postMessage", _target(r)) for r, _ in queue)
                if time.monotonic() + soonest >= deadline:
                    break
                if soonest > 0:
                    sleep(soonest)
        for row, stale in queue:  # out of time: hand the claims back untouched
            if stale:  # maybe sent by a dead worker: keep it `sending`, to be checked when stale again
                continue
            if _hand_back(db, row, worker_id):
                report.released += 1
        if queue:
            break
    return report


def _deliver_one(
    db: Database,
    client: WebClient,
    row: OutboxMessage,
    *,
    stale: bool,
    now: datetime,
    worker_id: str,
    limiter: RateLimiter,
    deadline: float,
    sleep: Callable[[float], None],
    report: DeliveryReport,
    max_attempts: int,
    backoff: timedelta,
) -> None:
    assert row.id is not None
    if stale:
        try:
            found = _already_posted(client, row, limiter, deadline, sleep)
        except _NoTimeLeft:  # stays `sending`; stale again after `stale_after`, and checked then
            return
        if found is not None:
            channel, ts = found
            if _finish(
                db, row, worker_id, status=OutboxStatus.SENT.value, sent_at=now, slack_channel=channel, slack_ts=ts
            ):
                report.recovered += 1
            return
    target = _target(row)
    payload = row.payload
    event_payload = {**(payload.get("metadata") or {}), "outbox_id": row.id, "kind": row.kind}
    limiter.take(row.team_id, "chat.postMessage", target)
    try:
        response = client.chat_postMessage(
            channel=target,
            text=str(payload.get("text") or ""),
            blocks=payload.get("blocks") or None,
            thread_ts=payload.get("thread_ts") or None,
            metadata={"event_type": METADATA_EVENT_TYPE, "event_payload": event_payload},
        )
    except SlackApiError as error:
        code = _error_of(error)
        status = error.response.status_code
        if status == 429 or code == "ratelimited":
            wait = _retry_after(error)
            limiter.back_off(row.team_id, "chat.postMessage", target, wait)
            report.rate_limited += 1
            # Slack asked us to wait; not the message's fault, so not an attempt.
            if _hand_back(db, row, worker_id, not_before=now + timedelta(seconds=wait), last_error="ratelimited"):
                report.retried += 1
            return
        permanent = status < 500 and code in PERMANENT_ERRORS
        _record_failure(db, row, worker_id, code, permanent, now, report, max_attempts, backoff)
        return
    except OSError as error:  # connection refused or dropped, timeouts (URLError is an OSError)
        _record_failure(db, row, worker_id, f"connection: {error}", False, now, report, max_attempts, backoff)
        return
    if _finish(
        db,
        row,
        worker_id,
        status=OutboxStatus.SENT.value,
        sent_at=now,
        slack_channel=str(response.get("channel") or ""),
        slack_ts=str(response.get("ts") or ""),
        last_error="",
    ):
        report.sent += 1


def _record_failure(
    db: Database,
    row: OutboxMessage,
    worker_id: str,
    error: str,
    permanent: bool,
    now: datetime,
    report: DeliveryReport,
    max_attempts: int,
    backoff: timedelta,
) -> None:
    assert row.id is not None
    if permanent or row.attempts >= max_attempts:
        reason = error if permanent else f"gave up after {row.attempts} attempts: {error}"
        if _finish(db, row, worker_id, status=OutboxStatus.FAILED.value, last_error=reason):
            logger.warning("outbox message failed", extra={"outbox_id": row.id, "error": reason})
            report.failed.append(Failure(row.id, row.team_id, row.key, row.kind, row.recipient, row.channel_id, reason))
        return
    if _finish(
        db,
        row,
        worker_id,
        status=OutboxStatus.PENDING.value,
        claimed_by=None,
        claimed_at=None,
        not_before=now + backoff,
        last_error=error,
    ):
        report.retried += 1

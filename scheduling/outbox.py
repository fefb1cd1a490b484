"""The outbox: messages the app means to send, written by planning jobs and sent once each by a delivery worker.

Planning calls `enqueue` inside its own unit of work; a unique key per (workspace, key) makes planning twice
harmless. `deliver_due` claims what is due and sends it through the Web API client:

- Claiming is one UPDATE per batch: it marks up to `batch` due rows `sending` with `claimed_by`/`claimed_at`
  (PostgreSQL: the rows are picked with `FOR UPDATE SKIP LOCKED`, so replicas never claim the same row). Every
  claim counts an attempt. Outcomes are recorded in batches too: one transaction for what was decided since the
  last one (at most `flush_every` seconds apart), guarded by the claim, so a worker that lost its claim records
  nothing.
- Each message carries Slack `metadata` (event type `mentor_bot_outbox`, the outbox id). A message Slack may
  already hold is `unsure`: a row still `sending` after `stale_after` (its worker died), or a send whose answer
  never came (dropped connection, timeout, 5xx, an internal error). Before sending it again the worker reads the
  channel's history (`conversations.history` with metadata; for a DM after `conversations.open`): if Slack holds
  a message with that outbox id it is recorded as sent; only a history read that succeeded and does not hold it
  lets the message go out again. A read that fails (`missing_scope`, `ratelimited`, 5xx, the network) proves
  nothing: the row stays `unsure` and is checked again later, each wait as long as the time already spent unsure
  (from `backoff_base` up to `backoff_cap`). After `check_deadline` of unsure it ends `failed` ("unconfirmed") for
  an operator to look at: a message is never sent twice, at worst it is reported as possibly not sent.
- Our own pacing keeps us under Slack's limits (chat.postMessage about 1/s per channel with short bursts and a
  workspace-wide rate; other methods by tier). The worker sends through its own client, which never retries by
  itself (`gateway.slack.without_retries`): a 429 makes the worker back off that channel (or method) for
  Retry-After and go on with other channels; nothing sleeps on one channel's limit.
- Transient failures go back with an exponential backoff; permanent ones (`user_not_found`,
  `channel_not_found`, ...) and running out of attempts end as `failed`, listed in the report so the caller can
  act. Rows of an uninstalled workspace are `skipped`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, NotRequired, TypedDict, Unpack

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import and_, case, insert, literal, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from gateway.slack import TeamClients, per_minute, team_clients, without_retries
from scheduling.hours import Window, next_working_slot
from store import queries
from store.db import Database
from store.models import OutboxMessage, OutboxStatus
from store.types import UTCDateTime, utcnow

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

    Keep one per process (or per worker) so the pacing carries over from one delivery pass to the next. It also
    remembers each person's DM channel (`dm_channels`), so a history check needs no `conversations.open`.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic, *, post_per_minute: int = POST_PER_MINUTE) -> None:
        self.clock = clock
        self.post_per_minute = post_per_minute
        self._buckets: dict[tuple[str, str, str], _Bucket] = {}
        self.dm_channels: dict[tuple[str, str], str] = {}

    def _bucket(self, team_id: str, method: str, channel: str | None) -> _Bucket:
        key = (team_id, method, channel or "") if method == "chat.postMessage" else (team_id, method, "")
        bucket = self._buckets.get(key)
        if bucket is None:
            if method == "chat.postMessage" and channel is None:  # the workspace-wide limit
                per_second = self.post_per_minute / 60.0
                bucket = _Bucket(max(1.0, per_second), per_second, self.clock)  # a burst of one second
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
    retried: int = 0  # transient failure: to try again later (after a history check when Slack may hold it)
    unsure: int = 0  # Slack may hold it and its history could not be read: checked again later
    skipped: int = 0
    released: int = 0  # claimed but not tried before the time budget ran out
    claimed: int = 0  # rows claimed
    claims: int = 0  # claiming statements run (one per batch)
    flushes: int = 0  # transactions recording outcomes (one per batch)
    rate_limited: int = 0
    deferred: int = 0  # came due outside the recipient's working hours (delivery ran late): waits for the next
    failed: list[Failure] = field(default_factory=list)


def message_values(
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
) -> dict[str, Any]:
    """The column values of a new outbox row: for planners that write many at once (`insert_messages`)."""
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
    return {
        "team_id": team_id,
        "key": key,
        "kind": kind,
        "recipient": recipient,
        "channel_id": channel,
        "payload": payload,
        "not_before": not_before,
        "status": OutboxStatus.PENDING.value,
        "attempts": 0,
        "last_error": "",
        "created_at": utcnow(),
    }


class MessageFields(TypedDict):
    """What a new message says and when (`message_values` checks it): beside its workspace and key."""

    kind: str
    text: str
    not_before: datetime
    recipient: NotRequired[str | None]
    channel: NotRequired[str | None]
    blocks: NotRequired[Sequence[dict[str, Any]] | None]
    thread_ts: NotRequired[str | None]
    metadata: NotRequired[dict[str, Any] | None]
    window: NotRequired[dict[str, Any] | None]


def message(*, team_id: str, key: str, **fields: Unpack[MessageFields]) -> OutboxMessage:
    """A new outbox row (not yet added to any session): see `enqueue`, and `message_values` for the fields."""
    return OutboxMessage(**message_values(team_id=team_id, key=key, **fields))


def insert_messages(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Add many new rows (`message_values`) in one statement, without building an ORM object for each.

    The caller has checked the keys are new (planners read the taken keys of a batch in one query)."""
    if rows:
        table: Any = OutboxMessage.__table__  # type: ignore[attr-defined]
        # with RETURNING, SQLAlchemy sends the rows as multi-row VALUES (its "insertmanyvalues"), not row by row
        session.execute(insert(table).returning(table.c.id), list(rows))


def enqueue(session: Session, *, team_id: str, key: str, **fields: Unpack[MessageFields]) -> bool:
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
        and_(
            col(OutboxMessage.status).in_([OutboxStatus.PENDING.value, OutboxStatus.UNSURE.value]),
            col(OutboxMessage.not_before) <= now,
        ),
        and_(
            col(OutboxMessage.status) == OutboxStatus.SENDING.value,
            col(OutboxMessage.claimed_at) < stale_before,
        ),
    )


def _claim(
    db: Database, *, now: datetime, worker_id: str, batch: int, stale_after: timedelta
) -> list[tuple[OutboxMessage, bool]]:
    """Claim up to `batch` due rows in one UPDATE; returns each with whether Slack may already hold it (a stale
    claim of a dead worker, or a row already `unsure`): such a row is sent again only after a history check."""
    stale_before = now - stale_after
    due = _due_condition(now, stale_before)
    picked = (
        select(OutboxMessage.id).where(due).order_by(col(OutboxMessage.not_before), col(OutboxMessage.id)).limit(batch)
    )
    if db.backend == "postgresql":
        picked = picked.with_for_update(skip_locked=True)
    uncertain = col(OutboxMessage.status).in_([OutboxStatus.SENDING.value, OutboxStatus.UNSURE.value])
    statement = (
        update(OutboxMessage)
        .where(col(OutboxMessage.id).in_(picked.scalar_subquery()), due)
        .values(
            status=OutboxStatus.SENDING.value,
            claimed_by=worker_id,
            claimed_at=now,
            attempts=col(OutboxMessage.attempts) + 1,
            unsure_since=case(
                (and_(uncertain, col(OutboxMessage.unsure_since).is_(None)), literal(now, UTCDateTime())),
                else_=col(OutboxMessage.unsure_since),
            ),
        )
        .returning(OutboxMessage)
        .execution_options(synchronize_session=False)
    )
    with db.begin() as session:
        rows = list(session.execute(statement).scalars().all())
        session.expunge_all()
    rows.sort(key=lambda r: (r.not_before, r.id or 0))
    return [(row, row.unsure_since is not None) for row in rows]


class _Outcomes:
    """Outcomes decided but not yet recorded: written in one transaction per batch, each guarded by the claim."""

    def __init__(self, db: Database, worker_id: str, report: DeliveryReport) -> None:
        self.db = db
        self.worker_id = worker_id
        self.report = report
        self.items: list[tuple[OutboxMessage, dict[str, Any], Callable[[], None]]] = []
        self.since = time.monotonic()

    def add(self, row: OutboxMessage, on_held: Callable[[], None], **values: Any) -> None:
        self.items.append((row, values, on_held))

    def flush(self) -> None:
        self.since = time.monotonic()
        if not self.items:
            return
        items, self.items = self.items, []
        held: list[Callable[[], None]] = []
        with self.db.begin() as session:
            for row, values, on_held in items:
                result = session.execute(
                    update(OutboxMessage)
                    .where(
                        col(OutboxMessage.id) == row.id,
                        col(OutboxMessage.status) == OutboxStatus.SENDING.value,
                        col(OutboxMessage.claimed_by) == self.worker_id,
                    )
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )
                if getattr(result, "rowcount", 0) == 1:
                    held.append(on_held)
                else:
                    logger.warning("outbox claim lost before the outcome was recorded", extra={"outbox_id": row.id})
        self.report.flushes += 1
        for on_held in held:
            on_held()


# --- sending -------------------------------------------------------------------------------------------


def _target(row: OutboxMessage) -> str:
    target = row.channel_id or row.recipient
    assert target is not None
    return target


def _error_of(error: SlackApiError) -> str:
    body = error.response.data if isinstance(error.response.data, dict) else {}
    return str(body.get("error") or f"http_{error.response.status_code}")


def retry_after(error: SlackApiError) -> float:
    """Seconds Slack asked to wait (its Retry-After header), at least 1."""
    headers = error.response.headers or {}
    for name, value in headers.items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return max(1.0, float(raw))
            except (TypeError, ValueError):
                break
    return 1.0


def rate_limited(error: SlackApiError) -> bool:
    """Whether Slack refused a call for its rate limit (a 429, or a `ratelimited` error)."""
    return error.response.status_code == 429 or _error_of(error) == "ratelimited"


@dataclass(frozen=True)
class _Found:
    channel: str
    ts: str


@dataclass(frozen=True)
class _Unknown:
    reason: str
    permanent: bool = False  # Slack says the recipient cannot receive it at all (e.g. user_not_found)


@dataclass(frozen=True)
class _Wait:
    seconds: float


_Absent = Literal["absent"]
ABSENT: _Absent = "absent"
HISTORY_PAGES = 5
"""Pages of 200 messages read to find a message (since an hour before it was queued): more is inconclusive."""


def _history_check(client: WebClient, row: OutboxMessage, limiter: RateLimiter) -> _Found | _Absent | _Unknown | _Wait:
    """Whether Slack holds the message of this outbox row: found (channel, ts), absent (history read in full and
    it is not there: the only answer that allows a resend), unknown (the read failed) or wait (our own pacing)."""
    channel = row.channel_id or limiter.dm_channels.get((row.team_id, row.recipient or ""))
    methods = ["conversations.history"] if channel else ["conversations.open", "conversations.history"]
    wait = max(limiter.wait(row.team_id, method) for method in methods)
    if wait > 0:
        return _Wait(wait)
    try:
        if not channel:
            limiter.take(row.team_id, "conversations.open")
            opened = client.conversations_open(users=row.recipient)
            channel = str((opened.get("channel") or {}).get("id") or "")
            if not channel:
                return _Unknown("conversations.open gave no channel")
            limiter.dm_channels[(row.team_id, row.recipient or "")] = channel
        oldest: str | None = None
        if row.created_at <= datetime.now(UTC):  # a simulated clock may stamp rows in the future
            oldest = f"{(row.created_at - timedelta(hours=1)).timestamp():.6f}"
        cursor: str | None = None
        for _ in range(HISTORY_PAGES):
            limiter.take(row.team_id, "conversations.history")
            history = client.conversations_history(
                channel=channel, limit=200, include_all_metadata=True, cursor=cursor, oldest=oldest
            )
            messages = history.get("messages")
            if not isinstance(messages, list):
                return _Unknown("conversations.history gave no messages")
            for message in messages:
                metadata = message.get("metadata") if isinstance(message, dict) else None
                if not isinstance(metadata, dict) or metadata.get("event_type") != METADATA_EVENT_TYPE:
                    continue
                event_payload = metadata.get("event_payload") or {}
                if isinstance(event_payload, dict) and event_payload.get("outbox_id") == row.id:
                    return _Found(channel, str(message.get("ts") or ""))
            if not history.get("has_more"):
                return ABSENT
            cursor = str((history.get("response_metadata") or {}).get("next_cursor") or "")
            if not cursor:
                break
        return _Unknown("history too long to be sure")
    except SlackApiError as error:
        code = _error_of(error)
        if rate_limited(error):
            method = "conversations.history" if channel else "conversations.open"
            limiter.back_off(row.team_id, method, None, retry_after(error))
        permanent = not channel and error.response.status_code < 500 and code in PERSON_GONE
        return _Unknown(code, permanent=permanent)
    except OSError as error:  # connection refused or dropped, timeouts
        return _Unknown(f"connection: {error}")


PERSON_GONE = frozenset({"user_not_found", "account_inactive", "user_disabled", "cannot_dm_bot"})


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


@dataclass
class _Job:
    row: OutboxMessage
    check: bool  # Slack may hold it: read the history before sending
    checked: bool = False  # the history was read and does not hold it


@dataclass
class _Pass:
    """One delivery pass: what it knows about workspaces and clients, and how it decides each claimed row."""

    db: Database
    clients: TeamClients
    now: datetime
    limiter: RateLimiter
    report: DeliveryReport
    outcomes: _Outcomes
    max_attempts: int
    backoff_base: timedelta
    backoff_cap: timedelta
    check_deadline: timedelta
    active: dict[str, bool] = field(default_factory=dict)
    team_client: dict[str, WebClient | None] = field(default_factory=dict)

    def _client(self, team_id: str) -> WebClient | None:
        if team_id not in self.team_client:
            client = self.clients.for_team(team_id)
            self.team_client[team_id] = without_retries(client) if client is not None else None
        return self.team_client[team_id]

    def _active(self, team_id: str) -> bool:
        if team_id not in self.active:
            with self.db.session() as session:
                self.active[team_id] = queries.workspace_active(session=session, team_id=team_id)
        return self.active[team_id]

    def _count(self, name: str) -> Callable[[], None]:
        def bump() -> None:
            setattr(self.report, name, getattr(self.report, name) + 1)

        return bump

    def _fail(self, row: OutboxMessage, reason: str) -> None:
        assert row.id is not None
        failure = Failure(row.id, row.team_id, row.key, row.kind, row.recipient, row.channel_id, reason)

        def held() -> None:
            logger.warning("outbox message failed", extra={"outbox_id": row.id, "error": reason})
            self.report.failed.append(failure)

        self.outcomes.add(row, held, status=OutboxStatus.FAILED.value, last_error=reason)

    def _unsure(self, row: OutboxMessage, reason: str, *, since: datetime | None, counter: str) -> None:
        """Slack may hold it: check its history again later, waiting as long as it has been unsure so far."""
        since = since or self.now
        waited = self.now - since
        if waited >= self.check_deadline:
            self._fail(row, f"unconfirmed: Slack's history could not be read for {waited} ({reason})")
            return
        delay = min(self.backoff_cap, max(self.backoff_base, waited))
        self.outcomes.add(
            row,
            self._count(counter),
            status=OutboxStatus.UNSURE.value,
            claimed_by=None,
            claimed_at=None,
            not_before=self.now + delay,
            unsure_since=since,
            last_error=reason,
        )

    def release(self, job: _Job) -> None:
        """Out of time: give the claim back, untried (the claim does not count as an attempt)."""
        row = job.row
        back = {"claimed_by": None, "claimed_at": None, "attempts": max(0, row.attempts - 1)}
        if job.check and not job.checked:
            self.outcomes.add(row, self._count("released"), status=OutboxStatus.UNSURE.value, **back)
        else:
            self.outcomes.add(
                row, self._count("released"), status=OutboxStatus.PENDING.value, unsure_since=None, **back
            )

    def step(self, job: _Job) -> float | None:
        """Move one claimed row on: None when its outcome is decided, else the seconds before it can move."""
        row = job.row
        if not self._active(row.team_id):
            self.outcomes.add(
                row, self._count("skipped"), status=OutboxStatus.SKIPPED.value, last_error="workspace_inactive"
            )
            return None
        client = self._client(row.team_id)
        if client is None:
            self.outcomes.add(
                row, self._count("skipped"), status=OutboxStatus.SKIPPED.value, last_error="not_installed"
            )
            return None
        if job.check and not job.checked:
            found = _history_check(client, row, self.limiter)
            if isinstance(found, _Wait):
                return found.seconds
            if isinstance(found, _Found):
                self.outcomes.add(
                    row,
                    self._count("recovered"),
                    status=OutboxStatus.SENT.value,
                    sent_at=self.now,
                    slack_channel=found.channel,
                    slack_ts=found.ts,
                    unsure_since=None,
                    last_error="",
                )
                return None
            if isinstance(found, _Unknown):
                logger.warning(
                    "could not read Slack's history to check an unsure outbox row; checking again later",
                    extra={"outbox_id": row.id, "error": found.reason},
                )
                if found.permanent:
                    self._fail(row, found.reason)
                else:
                    self._unsure(row, found.reason, since=row.unsure_since, counter="unsure")
                return None
            job.checked = True  # absent: Slack does not hold it, so it may be sent
        later = _outside_window(row, self.now)
        if later is not None:
            self.outcomes.add(
                row,
                self._count("deferred"),
                status=OutboxStatus.PENDING.value,
                claimed_by=None,
                claimed_at=None,
                attempts=max(0, row.attempts - 1),
                not_before=later,
                unsure_since=None,
            )
            return None
        target = _target(row)
        wait = self.limiter.wait(row.team_id, "chat.postMessage", target)
        if wait > 0:
            return wait
        return self._send(client, job, target)

    def _send(self, client: WebClient, job: _Job, target: str) -> float | None:
        row = job.row
        payload = row.payload
        event_payload = {**(payload.get("metadata") or {}), "outbox_id": row.id, "kind": row.kind}
        self.limiter.take(row.team_id, "chat.postMessage", target)
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
            if rate_limited(error):  # Slack did not take it: wait on this channel, send others meanwhile
                wait = retry_after(error)
                self.limiter.back_off(row.team_id, "chat.postMessage", target, wait)
                self.report.rate_limited += 1
                return wait
            if error.response.status_code < 500 and code in PERMANENT_ERRORS:
                self._fail(row, code)
                return None
            self._retry(job, code)
            return None
        except OSError as error:  # connection refused or dropped, timeouts (URLError is an OSError)
            self._retry(job, f"connection: {error}")
            return None
        channel = str(response.get("channel") or "")
        if row.recipient and channel:
            self.limiter.dm_channels[(row.team_id, row.recipient)] = channel
        self.outcomes.add(
            row,
            self._count("sent"),
            status=OutboxStatus.SENT.value,
            sent_at=self.now,
            slack_channel=channel,
            slack_ts=str(response.get("ts") or ""),
            unsure_since=None,
            last_error="",
        )
        return None

    def _retry(self, job: _Job, error: str) -> None:
        """The send failed without a clear no from Slack (5xx, internal error, the answer lost): Slack may hold
        it, so it is retried only after its history is read. Out of attempts, it fails (never sent twice)."""
        row = job.row
        if row.attempts >= self.max_attempts:
            self._fail(row, f"gave up after {row.attempts} attempts: {error}")
            return
        delay = _backoff(row.attempts, self.backoff_base, self.backoff_cap)
        self.outcomes.add(
            row,
            self._count("retried"),
            status=OutboxStatus.UNSURE.value,
            claimed_by=None,
            claimed_at=None,
            not_before=self.now + delay,
            unsure_since=self.now,
            last_error=error,
        )


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
    check_deadline: timedelta = timedelta(hours=24),
    limiter: RateLimiter | None = None,
    sleep: Callable[[float], None] = time.sleep,
    flush_every: float = 0.25,
) -> DeliveryReport:
    """Send every outbox message due at `now`, within `time_budget` seconds of wall time.

    `now` decides what is due (and stamps claims and backoffs), so `mentor-bot tick --at` and tests can run a
    pass at any time; pacing and the budget use the real clock. `client` is one workspace's client, or a
    factory giving each workspace's (`gateway.slack.TeamClients`); a workspace with no client is skipped.

    Rows are claimed `batch` at a time (again when half are done) and sent in turn as each channel's pacing
    allows: a channel that must wait (our pacing, or a 429) does not hold up the others. Outcomes are recorded at
    least every `flush_every` seconds, and before any sleep.
    """
    report = DeliveryReport()
    limiter = limiter or RateLimiter()
    outcomes = _Outcomes(db, worker_id, report)
    run = _Pass(
        db,
        team_clients(client),
        now,
        limiter,
        report,
        outcomes,
        max_attempts,
        backoff_base,
        backoff_cap,
        check_deadline,
    )
    deadline = time.monotonic() + time_budget
    jobs: list[_Job] = []
    drained = False
    try:
        while time.monotonic() < deadline:
            if not drained and len(jobs) <= batch // 2:
                claimed = _claim(db, now=now, worker_id=worker_id, batch=batch - len(jobs), stale_after=stale_after)
                report.claims += 1
                report.claimed += len(claimed)
                drained = len(claimed) < batch - len(jobs)
                jobs.extend(_Job(row, check) for row, check in claimed)
            if not jobs:
                break
            waits: list[float] = []
            moved = False
            remaining: list[_Job] = []
            for index, job in enumerate(jobs):
                if time.monotonic() >= deadline:
                    remaining.extend(jobs[index:])
                    break
                wait = run.step(job)
                if wait is None:
                    moved = True
                else:
                    remaining.append(job)
                    waits.append(wait)
                if time.monotonic() - outcomes.since >= flush_every:
                    outcomes.flush()
            jobs = remaining
            if jobs and not moved and waits:
                outcomes.flush()  # record what is decided before waiting
                soonest = min(waits)
                if time.monotonic() + soonest >= deadline:
                    break
                sleep(soonest)
    except BaseException:
        # Keep what was decided, but hand nothing back: the row being sent may already be in Slack. Its claim goes
        # stale and it is checked against Slack's history before it is ever sent again.
        outcomes.flush()
        raise
    for job in jobs:  # out of time: hand the claims back
        run.release(job)
    outcomes.flush()
    return report

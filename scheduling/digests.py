"""Weekly digests: planned through the outbox once per programme per ISO week, then their chart is uploaded.

`plan_digests` (a job taking `now`) finds each active programme with a channel whose digest moment (its weekday
and hour, in its timezone) has come this week, computes the digest, stores it as a `Digest` row (unique per
programme and week) and puts the message into the outbox under `digest:{programme}:{week}`: planning twice,
or an admin's *Post it now* racing the scheduler, makes one message.

The outbox sends text messages only; the chart goes in a second step. `deliver_digest_charts` takes each digest
whose message has been sent and uploads its PNG (files upload v2) to the same channel. It claims the row first
(`pending` -> `uploading`); a claim left `uploading` by a worker that died is, once stale, checked against the
channel's recent history for a file with the digest's unique file name before uploading again, so a chart is
posted once, like the outbox's own messages. Like the outbox's check, reading history needs the
`channels:history`/`groups:history` scopes, which the manifest does not ask for today: without them the check
finds nothing, and a chart whose upload was cut off between Slack accepting it and the row being updated is
uploaded a second time (the message itself never is).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from blocks import charts
from blocks import digests as digest_ui
from gateway.slack import TeamClients, team_clients, upload_file, workspace_url
from mentoring.insight import compute_digest, digest_slot, has_chart
from scheduling.leader import worker_id
from scheduling.outbox import PERMANENT_ERRORS, deliver_due, enqueue
from store import queries
from store.db import Database
from store.models import ChartStatus, Digest, OutboxMessage, OutboxStatus, Programme, ProgrammeStatus

logger = logging.getLogger(__name__)

GRACE = timedelta(days=1)  # a digest more than a day late (the scheduler was down) waits for next week
STALE_AFTER = timedelta(minutes=5)
MAX_ATTEMPTS = 5


def outbox_key(programme_id: int, week: str) -> str:
    return f"digest:{programme_id}:{week}"


def chart_filename(digest: Digest) -> str:
    return f"digest-{digest.programme_id}-{digest.week}.png"


@dataclass(frozen=True)
class Planned:
    digest_id: int | None  # None: this week's digest already existed
    week: str


def plan_digest(
    session: Session, programme: Programme, *, now: datetime, week: str, workspace_url: str = "https://slack.com/"
) -> Planned:
    """Store this week's digest and queue its message for now, unless the week already has one."""
    assert programme.id is not None and programme.channel_id
    existing = session.exec(select(Digest).where(Digest.programme_id == programme.id, Digest.week == week)).first()
    if existing is not None:
        return Planned(None, week)
    stats = compute_digest(session, programme, now=now, week=week, workspace_url=workspace_url)
    key = outbox_key(programme.id, week)
    row = Digest(
        team_id=programme.team_id,
        programme_id=programme.id,
        week=week,
        channel_id=programme.channel_id,
        outbox_key=key,
        stats=stats,
        chart_status=(ChartStatus.PENDING if has_chart(stats) else ChartStatus.NONE).value,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # planned at the same moment by another replica or an admin
        return Planned(None, week)
    session.flush()
    text, blocks = digest_ui.digest_message(stats)
    enqueue(
        session,
        team_id=programme.team_id,
        key=key,
        kind="digest",
        channel=programme.channel_id,
        text=text,
        blocks=blocks,
        not_before=now,
        metadata={"digest_id": row.id},
    )
    return Planned(row.id, week)


def plan_digests(db: Database, client: WebClient | TeamClients, *, now: datetime) -> int:
    """Plan this week's digest of every active programme whose digest moment has come. Returns how many.

    `client`: one workspace's client, or a factory of each workspace's (see `gateway.slack.team_clients`)."""
    clients = team_clients(client)
    planned = 0
    with db.session() as session:
        programmes = session.exec(
            select(Programme).where(
                Programme.status == ProgrammeStatus.ACTIVE.value, col(Programme.channel_id).is_not(None)
            )
        ).all()
        session.expunge_all()
    due: list[tuple[Programme, str]] = []
    for programme in programmes:
        week, slot = digest_slot(programme, now)
        if slot <= now < slot + GRACE and programme.created_at <= slot:
            due.append((programme, week))
    done: set[tuple[int, str]] = set()
    if due:  # one query: a digest planned earlier this week is not looked at again
        with db.session() as session:
            done = {
                (int(programme_id), str(week))
                for programme_id, week in session.exec(
                    select(Digest.programme_id, Digest.week).where(
                        col(Digest.programme_id).in_([p.id for p, _ in due]),
                        col(Digest.week).in_({week for _, week in due}),
                    )
                ).all()
            }
    urls: dict[str, str] = {}
    for programme, week in due:
        if (programme.id, week) in done:
            continue
        team_client = clients.for_team(programme.team_id)
        if team_client is None:
            continue  # not installed there (any more)
        if programme.team_id not in urls:
            urls[programme.team_id] = workspace_url(team_client)
        url = urls[programme.team_id]
        with db.begin() as session:
            if not queries.workspace_active(session=session, team_id=programme.team_id):
                continue
            if plan_digest(session, programme, now=now, week=week, workspace_url=url).digest_id is not None:
                planned += 1
    return planned


# --- the chart -------------------------------------------------------------------------------------------------


def _claim(db: Database, *, now: datetime) -> list[tuple[Digest, bool]]:
    """Digests whose message is sent and whose chart is due (or stale): each with whether the claim was stale."""
    stale_before = now - STALE_AFTER
    claimed: list[tuple[Digest, bool]] = []
    with db.begin() as session:
        rows = session.exec(
            select(Digest, OutboxMessage.status)
            .join(
                OutboxMessage,
                (col(OutboxMessage.team_id) == col(Digest.team_id))
                & (col(OutboxMessage.key) == col(Digest.outbox_key)),
            )
            .where(
                or_(
                    col(Digest.chart_status) == ChartStatus.PENDING.value,
                    (col(Digest.chart_status) == ChartStatus.UPLOADING.value)
                    & (col(Digest.chart_claimed_at) < stale_before),
                )
            )
            .order_by(col(Digest.id))
            .limit(50)
        ).all()
        for digest, message_status in rows:
            if message_status in (OutboxStatus.FAILED.value, OutboxStatus.SKIPPED.value):
                digest.chart_status = ChartStatus.FAILED.value
                digest.chart_error = f"digest message {message_status}"
                session.add(digest)
                continue
            if message_status != OutboxStatus.SENT.value:
                continue  # the chart follows the message
            stale = digest.chart_status == ChartStatus.UPLOADING.value
            result = session.execute(
                update(Digest)
                .where(col(Digest.id) == digest.id, col(Digest.chart_status) == digest.chart_status)
                .values(
                    chart_status=ChartStatus.UPLOADING.value,
                    chart_claimed_at=now,
                    chart_attempts=col(Digest.chart_attempts) + 1,
                )
                .execution_options(synchronize_session=False)
            )
            if getattr(result, "rowcount", 0) == 1:
                claimed.append((digest, stale))
        session.expunge_all()
    return claimed


def _already_uploaded(client: WebClient, digest: Digest) -> str | None:
    """The id of the chart file if the channel's recent history already shows it; None otherwise."""
    try:
        history = client.conversations_history(channel=digest.channel_id, limit=50)
    except SlackApiError as error:
        logger.warning("could not read history to check a chart upload", extra={"digest_id": digest.id, "e": error})
        return None
    for message in history.get("messages") or []:
        for f in (message.get("files") or []) if isinstance(message, dict) else []:
            if isinstance(f, dict) and f.get("name") == chart_filename(digest):
                return str(f.get("id") or "")
    return None


def _finish(db: Database, digest: Digest, **values: object) -> None:
    with db.begin() as session:
        session.execute(
            update(Digest)
            .where(col(Digest.id) == digest.id, col(Digest.chart_status) == ChartStatus.UPLOADING.value)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def upload_chart(client: WebClient, *, channel: str, stats: dict[str, object], filename: str) -> str:
    """Upload a digest's chart to a channel (or a DM channel). Returns the file id."""
    png, alt = charts.digest_chart(stats)
    title = f"{stats.get('programme', '')}: check-ins and milestones per week"
    return upload_file(client, channel=channel, file=png, filename=filename, title=title, alt=alt)


def deliver_digest_charts(db: Database, clients_or_client: WebClient | TeamClients, *, now: datetime) -> int:
    """Upload the chart of every digest whose message has been sent. Returns how many were uploaded."""
    clients = team_clients(clients_or_client)
    uploaded = 0
    for digest, stale in _claim(db, now=now):
        client = clients.for_team(digest.team_id)
        if client is None:
            _finish(db, digest, chart_status=ChartStatus.FAILED.value, chart_error="not_installed")
            continue
        if stale:
            found = _already_uploaded(client, digest)
            if found is not None:
                _finish(db, digest, chart_status=ChartStatus.UPLOADED.value, chart_file_id=found)
                continue
        try:
            file_id = upload_chart(
                client, channel=digest.channel_id, stats=digest.stats, filename=chart_filename(digest)
            )
        except SlackApiError as error:
            code = str(error.response.get("error") or f"http_{error.response.status_code}")
            give_up = code in PERMANENT_ERRORS or digest.chart_attempts + 1 >= MAX_ATTEMPTS
            logger.warning("digest chart upload failed: %s", code, extra={"digest_id": digest.id})
            _finish(
                db,
                digest,
                chart_status=(ChartStatus.FAILED if give_up else ChartStatus.PENDING).value,
                chart_error=code,
            )
            continue
        except OSError as error:  # connection refused or dropped: try again next pass
            _finish(db, digest, chart_status=ChartStatus.PENDING.value, chart_error=f"connection: {error}")
            continue
        _finish(db, digest, chart_status=ChartStatus.UPLOADED.value, chart_file_id=file_id, chart_error="")
        uploaded += 1
    return uploaded


def post_digest_now(db: Database, client: WebClient, programme: Programme, *, actor_id: str, now: datetime) -> bool:
    """An admin's *Post it now*: this week's digest, sent now rather than at the next pass, and audited.

    The outbox still makes it exactly one message. Returns False when this week's digest was already planned."""
    assert programme.id is not None
    week, _ = digest_slot(programme, now)
    with db.begin() as session:
        planned = plan_digest(session, programme, now=now, week=week, workspace_url=workspace_url(client))
        if planned.digest_id is None:
            return False
        queries.audit(
            session=session,
            team_id=programme.team_id,
            actor_id=actor_id,
            action="digest.post",
            programme_id=programme.id,
            details={"week": week},
        )
    deliver_due(db, client, now=now, worker_id=worker_id(), batch=20, time_budget=10.0)
    deliver_digest_charts(db, client, now=now)
    return True

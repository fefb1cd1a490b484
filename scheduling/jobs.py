"""Scheduled jobs: module-level functions taking `now`, so tests and `mentor-bot tick` can run them at any time."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session, select

from blocks.text import escape
from gateway.slack import TeamClients, read_profile, team_clients, without_retries, workspace_admin_ids
from mentoring import matching
from mentoring.access import programme_admin_ids
from mentoring.away import away_by_status, note_status
from scheduling.hours import DEFAULT_WINDOW, Window, next_working_slot
from scheduling.outbox import Failure, RateLimiter, enqueue, rate_limited, retry_after
from store import queries
from store.db import Database
from store.models import Match, MatchStatus, Participant, ParticipantStatus, Programme

logger = logging.getLogger(__name__)


def _local_date(now: datetime, timezone: str | None) -> datetime:
    try:
        return now.astimezone(ZoneInfo(timezone)) if timezone else now
    except (ZoneInfoNotFoundError, ValueError):
        return now


def end_pauses(db: Database, *, now: datetime) -> int:
    """Resume people whose pause has ended (on their own calendar) and tell each of them once, in their working
    hours (a pause ends at local midnight; the message waits for the morning, through the outbox).

    The resume is a conditional update, so two schedulers racing each other plan one message, not two.
    Returns the number of people told.
    """
    ended: dict[tuple[str, str], list[tuple[Participant, Programme | None]]] = defaultdict(list)
    with db.session() as session:
        # A day of slack: the earliest time zones are a day ahead of UTC.
        due = queries.pauses_due(session=session, on_or_before=(now + timedelta(days=1)).date())
    for participant in due:
        today = _local_date(now, participant.timezone).date()
        assert participant.id is not None
        with db.begin() as session:
            if not queries.workspace_active(session=session, team_id=participant.team_id):
                continue
            if not queries.end_pause(session=session, participant_id=participant.id, today=today):
                continue
            programme = session.get(Programme, participant.programme_id)
            ended[(participant.team_id, participant.slack_user_id)].append((participant, programme))
    for (team_id, user_id), memberships in ended.items():
        participant, programme = memberships[0]
        listed = ", ".join(f"*{escape(p.name)}*" for _, p in memberships if p is not None)
        window = Window.of(programme) if programme is not None else DEFAULT_WINDOW
        today = _local_date(now, participant.timezone).date()
        with db.begin() as session:
            enqueue(
                session,
                team_id=team_id,
                key=f"pause_ended:{user_id}:{today.isoformat()}",
                kind="pause_ended",
                recipient=user_id,
                text=f"Your pause has ended: welcome back to {listed}! You'll be included in the next round of "
                "matches. Need more time? `/mentor pause 2w`.",
                not_before=next_working_slot(now, participant.timezone, window=window),
                window=window.as_payload(participant.timezone),
            )
    return len(ended)


def purge_uninstalled(db: Database, *, now: datetime) -> list[str]:
    """Delete the data of workspaces that uninstalled the app longer ago than the retention period."""
    with db.begin() as session:
        purged = queries.purge_expired_workspaces(session=session, now=now)
    for team_id in purged:
        logger.warning("deleted all data of an uninstalled workspace", extra={"team_id": team_id})
    return purged


def admin_lookup(client: WebClient | TeamClients) -> Callable[[Session, str, int], list[str]]:
    """Who administers a programme, asked of the workspace's Slack at most once per programme in a pass."""
    clients = team_clients(client)
    cache: dict[tuple[str, int], list[str]] = {}

    def admins(session: Session, team_id: str, programme_id: int) -> list[str]:
        if (team_id, programme_id) not in cache:
            team_client = clients.for_team(team_id)
            cache[(team_id, programme_id)] = (
                programme_admin_ids(
                    session,
                    team_id=team_id,
                    programme_id=programme_id,
                    workspace_admins=workspace_admin_ids(team_client),
                )
                if team_client is not None
                else []
            )
        return cache[(team_id, programme_id)]

    return admins


UNREACHABLE_PERSON = frozenset({"user_not_found", "account_inactive", "user_disabled", "cannot_dm_bot"})
UNREACHABLE_ROOM = frozenset({"channel_not_found", "not_in_channel", "is_archived"})


def act_on_failures(
    db: Database, client: WebClient | TeamClients, failures: Sequence[Failure], *, now: datetime
) -> int:
    """Messages Slack will never accept, acted on rather than retried: a person who can't be reached is paused
    (their partners are spared check-ins addressed to no one) and a room that can't be reached is reported; in
    both cases the programme admins hear about it once, through the outbox. Returns how many were handled."""
    handled = 0
    admins = admin_lookup(client)
    for failure in failures:
        with db.begin() as session:
            if failure.recipient and failure.error in UNREACHABLE_PERSON:
                paused = queries.set_status(
                    session=session,
                    team_id=failure.team_id,
                    user_id=failure.recipient,
                    status=ParticipantStatus.PAUSED,
                    reason="unreachable",
                    only_from=(ParticipantStatus.ACTIVE,),
                )
                for participant in paused:
                    programme = session.get(Programme, participant.programme_id)
                    if programme is None or programme.id is None:
                        continue
                    text = (
                        f"I can't reach <@{failure.recipient}> in Slack any more ({failure.error}), so I've paused "
                        f"them in *{escape(programme.name)}*. They get no more messages from me; "
                        "`/mentor rematch` finds their partner a new match."
                    )
                    for admin in admins(session, failure.team_id, programme.id):
                        _notice(
                            session,
                            failure.team_id,
                            f"unreachable:{failure.recipient}:{programme.id}",
                            admin,
                            text,
                            now,
                        )
                handled += 1
            elif failure.channel_id and failure.error in UNREACHABLE_ROOM:
                match = session.exec(
                    select(Match).where(
                        Match.team_id == failure.team_id,
                        Match.room_id == failure.channel_id,
                        Match.status == MatchStatus.ACTIVE.value,
                    )
                ).first()
                if match is None or match.id is None:
                    continue
                programme = session.get(Programme, match.programme_id)
                if programme is None or programme.id is None:
                    continue
                pair = ", ".join(f"<@{m.slack_user_id}>" for m in matching.members(session=session, match_id=match.id))
                text = (
                    f"I can't post in the room of the match {pair} in *{escape(programme.name)}* "
                    f"({failure.error}: archived, or I was removed). Check-ins still reach them by DM; "
                    "invite me back to the room to restore it."
                )
                for admin in admins(session, failure.team_id, programme.id):
                    _notice(session, failure.team_id, f"room_unreachable:{match.id}", admin, text, now)
                handled += 1
    return handled


def _notice(session: Session, team_id: str, key: str, admin: str, text: str, now: datetime) -> None:
    """One notice to one admin, once (the key names what it is about)."""
    enqueue(
        session, team_id=team_id, key=f"{key}:{admin}", kind="admin_notice", recipient=admin, text=text, not_before=now
    )


STATUS_EVERY = timedelta(hours=4)  # how often a matched person's Slack status is read
# At most this many statuses are read per pass, and only as fast as `users.info` (Tier 4, about 100 a minute per
# workspace) allows, without waiting out a 429: a person not read now is read at a later pass.
MAX_STATUS_READS = 50


def follow_away_statuses(
    db: Database, client: WebClient | TeamClients, *, now: datetime, limiter: RateLimiter | None = None
) -> int:
    """Read the Slack status of everyone in an active match (`users.info`): someone away by it (holiday, sick,
    travelling) gets no check-ins or nudges and their pair's cadence waits; each partner is told once, kindly.
    `limiter`: the scheduler's, kept from pass to pass, so reads are paced across passes (a fresh one without it).
    A workspace that answers 429 is read no more this pass. Returns how many people went away or came back."""
    with db.session() as session:
        watched = queries.people_to_watch(session=session, checked_before=now - STATUS_EVERY, limit=MAX_STATUS_READS)
    clients = team_clients(client)
    limiter = limiter or RateLimiter()
    changed = 0
    for team_id, user_id in watched:
        team_client = clients.for_team(team_id)
        if team_client is None or limiter.wait(team_id, "users.info") > 0:
            continue
        limiter.take(team_id, "users.info")
        try:
            profile = read_profile(without_retries(team_client), user_id)
        except SlackApiError as error:
            if rate_limited(error):
                limiter.back_off(team_id, "users.info", None, retry_after(error))
                logger.info("users.info rate-limited; statuses are read at a later pass", extra={"team_id": team_id})
            else:
                logger.warning("users.info failed", extra={"user_id": user_id, "error": error.response.get("error")})
            continue
        if profile.deleted:
            continue
        state = away_by_status(profile.status_emoji, profile.status_text, profile.status_expiration, now=now)
        with db.begin() as session:
            change = note_status(session=session, team_id=team_id, user_id=user_id, away=state, now=now)
            if change == "left":
                for match_id, partner in queries.active_partners(session=session, team_id=team_id, user_id=user_id):
                    enqueue(
                        session,
                        team_id=team_id,
                        key=f"partner_away:{match_id}:{user_id}:{partner}:{now.date().isoformat()}",
                        kind="partner_away",
                        recipient=partner,
                        text=f"<@{user_id}> is away for now, going by their Slack status. Your check-ins wait until "
                        "they're back, so there's nothing to do: enjoy the quiet, and pick up where you left off.",
                        not_before=now,
                    )
        changed += bool(change)
    return changed

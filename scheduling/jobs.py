"""Scheduled jobs: module-level functions taking `now`, so tests and `mentor-bot tick` can run them at any time."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient

from bot.slack import TeamClients, send_dm, team_clients
from bot.text import escape
from store import queries
from store.db import Database
from store.models import Programme

logger = logging.getLogger(__name__)


def _local_date(now: datetime, timezone: str | None) -> datetime:
    try:
        return now.astimezone(ZoneInfo(timezone)) if timezone else now
    except (ZoneInfoNotFoundError, ValueError):
        return now


def end_pauses(db: Database, client: WebClient | TeamClients, *, now: datetime) -> int:
    """Resume people whose pause has ended (on their own calendar) and tell each of them once.

    The resume is a conditional update, so two schedulers racing each other send one message, not two.
    Returns the number of people told.
    """
    ended: dict[tuple[str, str], list[str]] = defaultdict(list)
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
            ended[(participant.team_id, participant.slack_user_id)].append(programme.name if programme else "")
    clients = team_clients(client)
    for (team_id, user_id), names in ended.items():
        listed = ", ".join(f"*{escape(n)}*" for n in names if n)
        team_client = clients.for_team(team_id)
        if team_client is None:
            continue
        send_dm(
            team_client,
            user_id,
            f"Your pause has ended: welcome back to {listed}! You'll be included in the next round of matches. "
            "Need more time? `/mentor pause 2w`.",
        )
    return len(ended)


def purge_uninstalled(db: Database, *, now: datetime) -> list[str]:
    """Delete the data of workspaces that uninstalled the app longer ago than the retention period."""
    with db.begin() as session:
        purged = queries.purge_expired_workspaces(session=session, now=now)
    for team_id in purged:
        logger.warning("deleted all data of an uninstalled workspace", extra={"team_id": team_id})
    return purged

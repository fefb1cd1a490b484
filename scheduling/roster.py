"""Invitations to join, for the people of a roster an admin imported: queued in the import's unit of work, sent
by the outbox (exactly once per programme and person, at Slack's pace)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from blocks import roster as roster_ui
from scheduling.outbox import enqueue
from store.models import Programme, RosterEntry


def invitation_key(programme_id: int, user_id: str) -> str:
    return f"roster-invite:{programme_id}:{user_id}"


def plan_roster_invitations(
    session: Session, *, programme: Programme, entries: Sequence[RosterEntry], admin_id: str, now: datetime
) -> int:
    """Queue one invitation DM per person; returns how many were new (a person is never invited twice)."""
    assert programme.id is not None
    planned = 0
    for entry in entries:
        text, blocks = roster_ui.invitation(programme, entry, admin_id)
        planned += enqueue(
            session,
            team_id=programme.team_id,
            key=invitation_key(programme.id, entry.slack_user_id),
            kind="roster_invite",
            recipient=entry.slack_user_id,
            text=text,
            blocks=blocks,
            not_before=now,
        )
    return planned

"""The scheduled side's answer to what listeners ask of it (`handlers.deps.Jobs`), wired in by the app factory."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import event

from scheduling import followups
from scheduling.culture import plan_mentor_welcome
from scheduling.digests import post_digest_now
from scheduling.roster import plan_roster_invitations
from store.db import Database, Session
from store.models import Programme, RosterEntry


class SchedulerJobs:
    def __init__(self, db: Database, *, wake_follow_ups: Callable[[], None] | None = None) -> None:
        """`wake_follow_ups`: a follow-up loop in this process (`scheduling.followups.FollowUpLoop.wake`), woken as
        soon as a queued follow-up is committed; without it, a loop elsewhere finds it within its idle wait."""
        self.db = db
        self.wake_follow_ups = wake_follow_ups

    def welcome_mentor(self, session: Session, *, programme: Programme, user_id: str, now: datetime) -> bool:
        return plan_mentor_welcome(session, programme=programme, user_id=user_id, now=now)

    def invite_from_roster(
        self, session: Session, *, programme: Programme, entries: Sequence[RosterEntry], admin_id: str, now: datetime
    ) -> int:
        return plan_roster_invitations(session, programme=programme, entries=entries, admin_id=admin_id, now=now)

    def post_digest_now(self, client: WebClient, programme: Programme, *, actor_id: str, now: datetime) -> bool:
        return post_digest_now(self.db, client, programme, actor_id=actor_id, now=now)

    def follow_up(
        self, session: Session, *, team_id: str, kind: str, user_id: str, payload: dict[str, Any], now: datetime
    ) -> None:
        followups.queue(session, team_id=team_id, kind=kind, user_id=user_id, payload=payload, now=now)
        if self.wake_follow_ups is not None:
            wake = self.wake_follow_ups
            event.listen(session, "after_commit", lambda _session: wake(), once=True)

    def follow_ups_queued(self) -> None:
        if self.wake_follow_ups is not None:
            self.wake_follow_ups()

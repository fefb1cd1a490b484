"""The scheduled side's answer to what listeners ask of it (`handlers.deps.Jobs`), wired in by the app factory."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from slack_sdk import WebClient

from scheduling.culture import plan_mentor_welcome
from scheduling.digests import post_digest_now
from scheduling.roster import plan_roster_invitations
from store.db import Database, Session
from store.models import Programme, RosterEntry


class SchedulerJobs:
    def __init__(self, db: Database) -> None:
        self.db = db

    def welcome_mentor(self, session: Session, *, programme: Programme, user_id: str, now: datetime) -> bool:
        return plan_mentor_welcome(session, programme=programme, user_id=user_id, now=now)

    def invite_from_roster(
        self, session: Session, *, programme: Programme, entries: Sequence[RosterEntry], admin_id: str, now: datetime
    ) -> int:
        return plan_roster_invitations(session, programme=programme, entries=entries, admin_id=admin_id, now=now)

    def post_digest_now(self, client: WebClient, programme: Programme, *, actor_id: str, now: datetime) -> bool:
        return post_digest_now(self.db, client, programme, actor_id=actor_id, now=now)

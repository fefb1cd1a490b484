"""What listeners need, built once by the app factory (`bot/app.py`) and handed to them through Bolt's context.

Listeners never import the scheduled side (`scheduling/`): what they need of it ("post the digest now", "welcome
a new mentor in the mentors' channel", "do this after the ack") is the `Jobs` port here, which the factory fills with
`scheduling.hooks.SchedulerJobs`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from slack_sdk import WebClient

from prompts.llm import LLMHelper
from store.db import Database, Session
from store.installations import InstallationStore
from store.models import Programme, RosterEntry


class Jobs(Protocol):
    def welcome_mentor(self, session: Session, *, programme: Programme, user_id: str, now: datetime) -> bool:
        """Queue the mentors' channel welcome of a new mentor, in the unit of work that saves the join."""
        ...

    def invite_from_roster(
        self, session: Session, *, programme: Programme, entries: Sequence[RosterEntry], admin_id: str, now: datetime
    ) -> int:
        """Queue the invitation DMs of people on an imported roster, in the unit of work that stores it."""
        ...

    def post_digest_now(self, client: WebClient, programme: Programme, *, actor_id: str, now: datetime) -> bool:
        """Post this week's digest now, exactly once; False when this week's digest is already there."""
        ...

    def follow_up(
        self, session: Session, *, team_id: str, kind: str, user_id: str, payload: dict[str, Any], now: datetime
    ) -> None:
        """Leave what follows a listener's ack (a DM, App Home) to the follow-up worker, in the unit of work that
        saves the request's change: done once it is committed, away from the threads that ack requests."""
        ...

    def follow_ups_queued(self) -> None:
        """Follow-ups were queued outside `follow_up` (in a statement that committed itself): wake the worker."""
        ...


@dataclass(frozen=True)
class Deps:
    db: Database
    jobs: Jobs
    llm: LLMHelper | None = None  # None: no OPENAI_API_KEY, the curated library is used
    installations: InstallationStore | None = None  # None: single-workspace token mode
    guides_dir: Path | None = None  # an organisation's own toolbox entries, shown first
    data_retention_days: int = 30


def deps_of(context: Any) -> Deps:
    deps: Deps = context["deps"]
    return deps

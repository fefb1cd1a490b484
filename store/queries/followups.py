"""The follow-up queue's rows: what a listener leaves for after its ack, done by `scheduling.followups`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert
from sqlmodel import Session

from store.models import FollowUp, FollowUpStatus

FOLLOW_UP = FollowUp.__table__  # type: ignore[attr-defined]
_QUEUE = insert(FOLLOW_UP)  # built once: the values are parameters, so its compiled form is cached
COLUMNS = (
    *("team_id", "kind", "slack_user_id", "payload"),
    *("status", "attempts", "last_error"),
    *("not_before", "created_at"),
)
"""The columns a new follow-up sets (`NewFollowUp.values`): the others start empty."""


@dataclass(frozen=True)
class NewFollowUp:
    """A follow-up to queue: `kind` of work for `user_id`, due from `now`."""

    team_id: str
    kind: str
    user_id: str
    payload: dict[str, Any]
    now: datetime

    def values(self) -> dict[str, Any]:
        """The row's columns."""
        who = (self.team_id, self.kind, self.user_id, self.payload)
        pending = (FollowUpStatus.PENDING.value, 0, "")  # status, attempts, last_error
        return dict(zip(COLUMNS, (*who, *pending, self.now, self.now), strict=True))


def queue_follow_up(*, session: Session | Connection, follow_up: NewFollowUp) -> None:
    """One INSERT in the caller's unit of work, without building an ORM object (this runs on the path that acks
    the request)."""
    session.execute(_QUEUE, follow_up.values())

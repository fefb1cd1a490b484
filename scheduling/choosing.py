"""Requests to mentors that were not answered in time expire: the mentee and the mentor are each told once,
through the outbox (a key per request and person), and the mentee is matched by the engine at the next round."""

from __future__ import annotations

from datetime import datetime

from blocks import choosing as choose_ui
from mentoring import choosing
from scheduling.outbox import enqueue
from store import queries
from store.db import Database


def expire_requests(db: Database, *, now: datetime) -> int:
    """Expire the requests whose time limit has passed; returns how many."""
    with db.begin() as session:
        expired = choosing.expire_due(session=session, now=now)
        for request, programme in expired:
            if not queries.workspace_active(session=session, team_id=request.team_id):
                continue
            told = (
                (request.mentee_id, choose_ui.expired_mentee_text(programme, request.mentor_id)),
                (request.mentor_id, choose_ui.expired_mentor_text(programme, request.mentee_id)),
            )
            for user_id, text in told:
                enqueue(
                    session,
                    team_id=request.team_id,
                    key=f"request:{request.id}:expired:{user_id}",
                    kind="request_expired",
                    recipient=user_id,
                    text=text,
                    not_before=now,
                )
    return len(expired)

"""Signed requests already seen: the same signed request is accepted once, across workers and replicas."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from store.models import SeenRequest

# Slack refuses nothing older than five minutes; a request signed further away is refused by its timestamp, so
# its signature need not be remembered. A minute more for clocks that disagree.
KEEP_SEEN = timedelta(minutes=6)


def claim_request(*, session: Session, signature_hash: str, signed_at: datetime) -> bool:
    """Record a request's signature as seen. False if it was seen before (a replay)."""
    try:
        with session.begin_nested():
            session.add(SeenRequest(signature_hash=signature_hash, signed_at=signed_at))
    except IntegrityError:
        return False
    return True


def prune_seen_requests(*, session: Session, now: datetime) -> int:
    """Forget signatures signed more than KEEP_SEEN ago; returns how many."""
    result = session.execute(delete(SeenRequest).where(col(SeenRequest.signed_at) < now - KEEP_SEEN))
    return int(getattr(result, "rowcount", 0) or 0)

"""Signed requests already seen: the same signed request is accepted once, across workers and replicas."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, delete
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.postgresql.psycopg import dialect as psycopg_dialect
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col

from store.models import SeenRequest

# Slack refuses nothing older than five minutes; a request signed further away is refused by its timestamp, so
# its signature need not be remembered. A minute more for clocks that disagree.
KEEP_SEEN = timedelta(minutes=6)


_TABLE = SeenRequest.__table__  # type: ignore[attr-defined]
_CLAIM = {
    "postgresql": postgresql_insert(_TABLE).on_conflict_do_nothing().returning(_TABLE.c.signature_hash),
    "sqlite": sqlite_insert(_TABLE).on_conflict_do_nothing().returning(_TABLE.c.signature_hash),
}
# The same statement as psycopg takes it: every request to /slack/events runs it, and handing it to the driver's
# cursor costs about a quarter of what Core's execution path does around it (measured in bench.ack_profile).
_CLAIM_PSYCOPG = str(_CLAIM["postgresql"].compile(dialect=psycopg_dialect()))


def claim_request(*, session: Session | Connection, signature_hash: str, signed_at: datetime) -> bool:
    """Record a request's signature as seen. False if it was seen before (a replay).

    One statement (`INSERT ... ON CONFLICT DO NOTHING`), atomic on its own: on a connection in autocommit mode it
    is the whole round trip, and two workers or replicas claiming the same signature at once get one True."""
    if signed_at.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    if isinstance(session, Connection) and session.dialect.driver == "psycopg":
        return _claim_on_driver(session, {"signature_hash": signature_hash, "signed_at": signed_at.astimezone(UTC)})
    statement = _CLAIM[session.get_bind().dialect.name if isinstance(session, Session) else session.dialect.name]
    result = session.execute(statement, {"signature_hash": signature_hash, "signed_at": signed_at})
    return result.first() is not None


def _claim_on_driver(connection: Connection, params: dict[str, object]) -> bool:
    """The claim on psycopg's own cursor. Its errors reach callers as Core's would: a `DBAPIError`, saying
    whether the connection was lost (it is then invalidated, as Core does, and not used again)."""
    driver = connection.connection.driver_connection
    assert driver is not None
    try:
        with driver.cursor() as cursor:
            cursor.execute(_CLAIM_PSYCOPG, params)
            return cursor.fetchone() is not None
    except connection.dialect.loaded_dbapi.Error as error:
        lost = bool(driver.broken or driver.closed)
        if lost:
            connection.invalidate(error)
        raise DBAPIError.instance(
            _CLAIM_PSYCOPG, params, error, connection.dialect.loaded_dbapi.Error, connection_invalidated=lost
        ) from error


def prune_seen_requests(*, session: Session | Connection, now: datetime) -> int:
    """Forget signatures signed more than KEEP_SEEN ago; returns how many."""
    result = session.execute(delete(SeenRequest).where(col(SeenRequest.signed_at) < now - KEEP_SEEN))
    return int(getattr(result, "rowcount", 0) or 0)

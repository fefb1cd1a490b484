"""Engines and units of work.

Commit policy: code that changes data opens one unit of work with `with db.begin() as session:`; it commits
when the block ends without an exception and rolls back otherwise. Reads use `with db.session() as session:`.
A Slack request or a job run opens its own units of work; sessions are never shared between threads.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

from sqlalchemy import Connection, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, create_engine

__all__ = ["Database", "Session", "make_engine", "normalise_url"]

T = TypeVar("T")

CONNECT_TIMEOUT_SECONDS = 2
SPARE_CONNECTIONS = 16  # open autocommit connections kept for `Database.alone`, at most (one per busy thread)


def _close(connection: Connection) -> None:
    with suppress(Exception):  # a connection that cannot even close is gone already
        connection.close()


def normalise_url(url: str) -> str:
    """Accept the URLs people paste (`postgres://`, `postgresql://`) and use the psycopg 3 driver."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1) if url.startswith("postgres://") else url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, *, pre_ping: bool = True, **kwargs: Any) -> Engine:
    """`pre_ping`: check each PostgreSQL connection with a round trip before handing it out (see
    `Database.alone` for the engine that does without)."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    # A database host that does not answer must not hold a request past Slack's 3 s: give up connecting after 2 s
    # (unless the URL says otherwise); the request is then answered as an outage (bot/outage.py).
    connect_args = {} if "connect_timeout" in make_url(url).query else {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    return create_engine(url, pool_pre_ping=pre_ping, connect_args=connect_args, **kwargs)


class Database:
    """Hands out sessions bound to one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._alone: tuple[Engine, Engine] | None = None  # (the engine it was made for, the autocommit engine)
        self._alone_lock = threading.Lock()
        self._spare: deque[Connection] = deque()  # open autocommit connections between two `alone` calls

    @classmethod
    def from_url(cls, url: str) -> Database:
        return cls(make_engine(url))

    @property
    def backend(self) -> str:
        """The kind of database: postgresql or sqlite (SQLAlchemy's dialect name)."""
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def begin(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def alone(self, work: Callable[[Connection], T]) -> T:
        """Run `work` on a connection in autocommit mode: for statements that stand alone (each one commits
        itself), in one round trip each, on the path every request waits on (the replay store).

        On PostgreSQL the connections wait open between calls in a free list of their own (a pop and an append,
        where the pool's checkout and return cost about a third of a claim's CPU). A connection is not checked
        before use (a round trip of its own); one found dead instead is dropped and `work` runs once more on a
        new one. A connection lost after the database committed a statement, before its answer came back, looks
        the same: `work` must be safe to run twice."""
        engine = self._alone_engine()
        keep = engine.dialect.name == "postgresql"  # SQLite: a connection kept open would keep its file locked
        connection = self._spare_connection(engine) if keep else engine.connect()
        try:
            result = work(connection)
        except DBAPIError as error:
            _close(connection)
            if not error.connection_invalidated:
                raise
            with engine.connect() as fresh:
                return work(fresh)
        except BaseException:
            _close(connection)
            raise
        if keep and len(self._spare) < SPARE_CONNECTIONS:
            self._spare.append(connection)
        else:
            _close(connection)  # back to the pool
        return result

    def _spare_connection(self, engine: Engine) -> Connection:
        while True:
            try:
                connection = self._spare.pop()
            except IndexError:
                return engine.connect()
            if connection.engine is engine:
                return connection
            _close(connection)  # made for an engine since replaced

    def _alone_engine(self) -> Engine:
        alone = self._alone
        if alone is not None and alone[0] is self.engine:
            return alone[1]
        with self._alone_lock:  # made once, and again when `engine` was replaced
            if self._alone is None or self._alone[0] is not self.engine:
                url = self.engine.url.render_as_string(hide_password=False)
                engine = make_engine(url, pre_ping=False, isolation_level="AUTOCOMMIT")
                if self._alone is not None:
                    self._alone[1].dispose()
                self._alone = (self.engine, engine)
            return self._alone[1]

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:  # noqa: BLE001 - readiness reports any failure as "not ready"
            return False
        return True

    def dispose(self) -> None:
        while self._spare:
            _close(self._spare.pop())
        self.engine.dispose()
        if self._alone is not None:
            self._alone[1].dispose()

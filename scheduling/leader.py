"""Scheduler leadership: of all the replicas against one database, exactly one runs the scheduled passes.

PostgreSQL: the leader holds a session-level advisory lock on a dedicated connection (taken out of the pool)
for as long as it leads. If the leader process dies, PostgreSQL closes its connection and frees the lock;
another replica takes it on its next `try_lead()`.

SQLite: a file database lives on one host, served by one process, so that process always leads.
"""

from __future__ import annotations

import logging
import os
import socket

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

logger = logging.getLogger(__name__)


def worker_id(pid: int | None = None) -> str:
    """This process's name among the replicas (or that of process `pid` on this host)."""
    return f"{socket.gethostname()}:{pid or os.getpid()}"


LOCK_ID = 0x6D656E746F72  # "mentor": the advisory lock key, shared by every replica of this app
"""The advisory lock key, the same for every replica of this app (bigint)."""


class Leadership:
    def __init__(self, engine: Engine, *, lock_id: int = LOCK_ID) -> None:
        self.engine = engine
        self.lock_id = lock_id
        self._conn: Connection | None = None
        self._always = engine.dialect.name != "postgresql"

    @property
    def is_leader(self) -> bool:
        return self._always or self._conn is not None

    def try_lead(self) -> bool:
        """Lead if no one else does. Cheap to call each interval: a leader only checks its connection is alive."""
        if self._always:
            return True
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT 1"))
                return True
            except DBAPIError:
                logger.warning("lost the leadership connection; trying to lead again")
                self._drop()
        conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        conn.detach()  # a dedicated connection: closing it really closes it, freeing the lock
        try:
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:id)"), {"id": self.lock_id}).scalar())
        except DBAPIError:
            conn.close()
            raise
        if not got:
            conn.close()
            return False
        self._conn = conn
        logger.info("this process now leads the scheduler")
        return True

    def release(self) -> None:
        """Stop leading (at shutdown), so another replica takes over at once."""
        if self._conn is None:
            return
        try:
            self._conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": self.lock_id})
        except DBAPIError:
            logger.warning("could not unlock the leadership lock; closing its connection frees it")
        self._drop()

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except DBAPIError:
                conn.invalidate()

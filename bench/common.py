"""What the benchmarks share: a fresh PostgreSQL database per run, and their sections of bench/RESULTS.md."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from store import migrate
from store.db import normalise_url

RESULTS = Path(__file__).with_name("RESULTS.md")
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


@contextmanager
def fresh_postgres(admin_url: str, prefix: str = "mentorbot_bench", *, migrated: bool = False) -> Iterator[str]:
    """A new, empty database on the server of `admin_url` (with the schema, if `migrated`); dropped after."""
    admin_url = normalise_url(admin_url)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        if migrated:
            migrate.upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def write_section(start: str, end: str, section: str) -> None:
    """Put `section` between the `start` and `end` markers of bench/RESULTS.md (appended if they are not there)."""
    body = section.strip("\n").removeprefix(start).removesuffix(end).strip("\n")
    block = f"{start}\n{body}\n{end}"
    current = RESULTS.read_text() if RESULTS.exists() else "# Benchmarks\n"
    if start in current and end in current:
        head, _, rest = current.partition(start)
        _, _, tail = rest.partition(end)
        current = head + block + tail
    else:
        current = current.rstrip("\n") + "\n\n" + block + "\n"
    RESULTS.write_text(current)

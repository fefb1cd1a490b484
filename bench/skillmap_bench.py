"""Skill map benchmark: counting skills wanted and offered in the database against counting them in Python.

Run from the repository root: ``.venv/bin/python -m bench.skillmap_bench`` (SQLite, and PostgreSQL at
``TEST_POSTGRES_URL`` or the local default; ``--no-postgres`` to skip it). A run writes its table into
``bench/RESULTS.md`` between the skillmap markers (``--no-write`` to skip).

For each size one programme is filled with participants (70 % mentees, 25 % mentors, 5 % peers; 1-3 of 20
skills each; a tenth of them left or from the previous cycle, so not counted). Measured, median of the runs:
- ``sql``: `store.queries.skill_demand` (json_each / json_array_elements_text with GROUP BY), what the app runs;
- ``python`` (the baseline): load the programme's current participants' roles and skill lists and count them
  with `collections.Counter`, in the same session;
- ``whole map``: the SQL counts plus `build_map`, the CSV and the PNG chart, what `/mentor map` does before
  it talks to Slack.
Both ways must give the same counts; the script checks it.
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import random
import statistics
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, col, select

from blocks.skillchart import render_png
from mentoring.skillmap import build_map, sides, to_csv
from store import migrate, queries
from store.db import Database, normalise_url
from store.models import Participant, Programme

RESULTS = Path(__file__).with_name("RESULTS.md")
START, END = "<!-- skillmap:start -->", "<!-- skillmap:end -->"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
SKILLS = [f"Skill {n:02d}" for n in range(20)]
SIZES = (1_000, 20_000)
RUNS = 9
WANTING, OFFERING, _ = sides("one_to_one")


@contextmanager
def databases(postgres: bool) -> Iterator[list[tuple[str, str]]]:
    """(backend name, url) of a fresh SQLite file and, if asked, a fresh PostgreSQL database."""
    with tempfile.TemporaryDirectory() as folder:
        found = [("SQLite", f"sqlite:///{folder}/skillmap.db")]
        admin_url = normalise_url(os.environ.get("TEST_POSTGRES_URL") or DEFAULT_PG) if postgres else None
        name = f"skillmap_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT") if admin_url else None
        if admin is not None and admin_url is not None:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            found.append(("PostgreSQL", make_url(admin_url).set(database=name).render_as_string(hide_password=False)))
        try:
            yield found
        finally:
            if admin is not None:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()


def fill(db: Database, size: int, seed: int) -> int:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    with db.begin() as session:
        programme = Programme(team_id="TBENCH", slug=f"p{seed}", name=f"Programme {size}", skills=SKILLS)
        session.add(programme)
        session.flush()
        assert programme.id is not None
        rows = []
        for n in range(size):
            role = rng.choices(["mentee", "mentor", "peer"], weights=[70, 25, 5])[0]
            picked = rng.sample(SKILLS, rng.randint(1, 3))
            rows.append(
                {
                    "team_id": "TBENCH",
                    "programme_id": programme.id,
                    "slack_user_id": f"U{seed:02d}{n:08d}",
                    "role": role,
                    "skills_offered": picked if role in ("mentor", "peer") else [],
                    "skills_wanted": picked if role in ("mentee", "peer") else [],
                    "status": rng.choices(["active", "paused", "left", "invited"], weights=[80, 10, 5, 5])[0],
                    "consent_version": "bench",
                    "consented_at": now,
                    "joined_at": now,
                    "updated_at": now,
                    "display_name": "",
                    "title": "",
                    "goals": "",
                    "department": "",
                    "meeting_mode": "either",
                    "rather_not": [],
                    "status_reason": "",
                    "missed_rounds": 0,
                }
            )
        for start in range(0, len(rows), 2000):
            session.execute(insert(Participant), rows[start : start + 2000])
        return programme.id


def in_python(session: Session, programme_id: int) -> tuple[dict[str, int], dict[str, int]]:
    wanted: Counter[str] = Counter()
    offered: Counter[str] = Counter()
    current = session.exec(
        select(Participant.role, Participant.skills_wanted, Participant.skills_offered).where(
            Participant.programme_id == programme_id, col(Participant.status).in_(queries.CURRENT_STATUSES)
        )
    ).all()
    for role, wants, offers in current:
        if role in WANTING:
            wanted.update(set(wants))
        if role in OFFERING:
            offered.update(set(offers))
    return dict(wanted), dict(offered)


def median_ms(run: Callable[[], object], runs: int) -> float:
    run()  # warm up: caches, the first import of matplotlib's fonts
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure(postgres: bool, runs: int) -> list[str]:
    lines = []
    with databases(postgres) as found:
        for backend, url in found:
            migrate.upgrade(url)
            db = Database.from_url(url)
            try:
                for seed, size in enumerate(SIZES):
                    programme_id = fill(db, size, seed)
                    with db.session() as session:
                        sql = queries.skill_demand(
                            session=session, programme_id=programme_id, wanting=WANTING, offering=OFFERING
                        )
                        assert in_python(session, programme_id) == sql[:2], "the two ways disagree"

                        def by_sql(s: Session = session, p: int = programme_id) -> object:
                            return queries.skill_demand(session=s, programme_id=p, wanting=WANTING, offering=OFFERING)

                        def whole(s: Session = session, p: int = programme_id) -> object:
                            wanted, offered, people = queries.skill_demand(
                                session=s, programme_id=p, wanting=WANTING, offering=OFFERING
                            )
                            skill_map = build_map("P", skills=SKILLS, wanted=wanted, offered=offered, people=people)
                            return to_csv(skill_map), render_png(skill_map)

                        sql_ms = median_ms(by_sql, runs)
                        python_ms = median_ms(functools.partial(in_python, session, programme_id), runs)
                        whole_ms = median_ms(whole, max(3, runs // 3))
                    lines.append(
                        f"| {backend} | {size:,} | {sql_ms:.1f} ms | {python_ms:.1f} ms | "
                        f"{python_ms / sql_ms:.1f}x | {whole_ms:.0f} ms |"
                    )
                    print(lines[-1], flush=True)
            finally:
                db.dispose()
    return lines


def write(lines: list[str], runs: int) -> None:
    section = "\n".join(
        [
            START,
            "## Skill map",
            "",
            f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}; "
            "`.venv/bin/python -m bench.skillmap_bench`. One programme of N participants (70 % mentees, 25 % "
            "mentors, 5 % peers, 1-3 of 20 skills each, a tenth not current); medians of "
            f"{runs} runs after a warm-up, in one session. *sql* is what the app runs "
            "(`store.queries.skill_demand`: json_each / json_array_elements_text and GROUP BY); *python*, the "
            "baseline, loads the current participants' skill lists and counts them with `Counter`; *whole map* "
            "adds the CSV and the PNG chart (what `/mentor map` does before it calls Slack); drawing the chart, "
            "about 0.2 s whatever the size, dominates it. The machine is shared with other work: differences of a "
            "few tens of ms are noise.",
            "",
            "| database | participants | sql | python (baseline) | python / sql | whole map |",
            "| --- | --- | --- | --- | --- | --- |",
            *lines,
            END,
        ]
    )
    current = RESULTS.read_text("utf-8")
    if START in current and END in current:
        before, rest = current.split(START, 1)
        current = before + section + rest.split(END, 1)[1]
    else:
        current = current.rstrip("\n") + "\n\n" + section + "\n"
    RESULTS.write_text(current, "utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--runs", type=int, default=RUNS)
    args = parser.parse_args()
    lines = measure(not args.no_postgres, args.runs)
    if not args.no_write:
        write(lines, args.runs)


if __name__ == "__main__":
    main()

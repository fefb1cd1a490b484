"""How long a weekly digest and a programme report take for a big programme, on SQLite and PostgreSQL.

    .venv/bin/python -m bench.digest_bench                          # SQLite only
    .venv/bin/python -m bench.digest_bench --postgres postgresql://postgres@127.0.0.1:5432/postgres

One programme with 10,000 participants (5,000 pairs), 200,000 check-ins over a 12-week cycle, 20,000 milestones,
3,000 growth threads (300 shared as success stories, 100 of those withdrawn) and 6,000 kudos, and the growth
outcomes the report shows: a working agreement for 70 % of the pairs, three skills rated by every mentee at the
start, the pulse and the exit (45,000 ratings), the mentor essentials done by 60 % of the mentors (21,000 steps) and
1-3 booked chats per pair; bulk-inserted (executemany on SQLite, COPY on PostgreSQL) into a freshly migrated
database. Each measure is the median wall time of several runs of the real functions
(`mentoring.insight.compute_digest`; the report: `compute_health` and the message `/mentor report` replies with;
and, beside them, *Export*: `mentoring.export.programme_csvs` from that report), next to a baseline run in the same
script: the same digest numbers computed the way the issue rules out, by loading the rows and looping over them in
Python.
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url
from sqlmodel import col, select

from blocks.digests import report_message
from mentoring.export import programme_csvs
from mentoring.insight import compute_digest, compute_health
from mentoring.training import ESSENTIALS, REFLECTION
from store import migrate
from store.db import Database, normalise_url
from store.insight import Health
from store.models import (
    Agreement,
    CheckIn,
    GrowthThread,
    Kudos,
    Match,
    MatchMember,
    MatchRound,
    Meeting,
    MentorTraining,
    Milestone,
    Participant,
    Programme,
    Roadmap,
    SkillRating,
    StoryConsent,
)

TEAM = "T0BENCH01"
START = datetime(2026, 9, 7, 9, 0, tzinfo=UTC)  # a Monday
NOW = START + timedelta(weeks=12)
SKILLS = ["Public speaking", "Negotiation", "System design", "Coaching", "Writing", "Leadership", "Data analysis"]
TARGETS = {"SQLite": 2.0, "PostgreSQL": 1.0}  # seconds, for the digest and for the report
DEPARTMENTS = ["Engineering", "Sales", "Marketing", "Product", "Support", "Finance", "People", "Legal", "Design"]


def rows_for(programme_id: int, round_id: int, people: int, checkins: int, seed: int = 7) -> dict[str, list[dict]]:
    rng = random.Random(seed)
    pairs = people // 2
    out: dict[str, list[dict]] = {k: [] for k in ("participant", "match", "member", "checkin", "roadmap", "milestone")}
    out |= {"growth": [], "kudos": [], "agreement": [], "rating": [], "training": [], "meeting": [], "story": []}
    for i in range(people):
        joined = START - timedelta(days=rng.randint(1, 30))
        out["participant"].append(
            {
                "team_id": TEAM,
                "programme_id": programme_id,
                "slack_user_id": f"U{i:08d}",
                "display_name": f"Person {i}",
                "title": "",
                "role": "mentor" if i % 2 == 0 else "mentee",
                "skills_offered": [],
                "skills_wanted": rng.sample(SKILLS, 3) if i % 2 else [],
                "goals": "",
                "department": rng.choice(DEPARTMENTS),
                "meeting_mode": "either",
                "rather_not": [],
                "status": "active",
                "status_reason": "",
                "missed_rounds": 0,
                "consent_version": "1",
                "consented_at": joined,
                "joined_at": joined,
                "updated_at": joined,
            }
        )
    for m in range(pairs):
        match_id = m + 1
        out["match"].append(
            {
                "id": match_id,
                "team_id": TEAM,
                "programme_id": programme_id,
                "round_id": round_id,
                "cycle_number": 1,
                "status": "active",
                "score": 0.0,
                "reasons": [],
                "released_at": START,
                "end_reason": "",
                "prompts_seen": [],
            }
        )
        for k, role in ((2 * m, "mentor"), (2 * m + 1, "mentee")):
            out["member"].append({"match_id": match_id, "team_id": TEAM, "slack_user_id": f"U{k:08d}", "role": role})
        out["roadmap"].append(
            {
                "id": match_id,
                "team_id": TEAM,
                "programme_id": programme_id,
                "match_id": match_id,
                "owner_id": f"U{2 * m + 1:08d}",
                "goal": "",
                "created_at": START,
                "updated_at": START,
            }
        )
    span = (NOW - START).total_seconds()
    for _ in range(checkins):
        m = rng.randrange(pairs)
        at = START + timedelta(seconds=rng.random() * span)
        out["checkin"].append(
            {
                "team_id": TEAM,
                "match_id": m + 1,
                "author_id": f"U{2 * m + 1:08d}",
                "met_on": at.date(),
                "duration_minutes": 30,
                "topics": [],
                "usefulness": rng.randint(1, 5),
                "learned": "",
                "next_step": "",
                "private_reflection": "",
                "created_at": at,
            }
        )
    for _ in range(pairs * 4):
        m = rng.randrange(pairs)
        done = rng.random() < 0.5
        at = START + timedelta(seconds=rng.random() * span)
        out["milestone"].append(
            {
                "team_id": TEAM,
                "roadmap_id": m + 1,
                "match_id": m + 1,
                "programme_id": programme_id,
                "title": "A step",
                "skill": "",
                "due_on": (START + timedelta(days=60)).date(),
                "status": "done" if done else "planned",
                "evidence_note": "",
                "mentor_comment": "",
                "completed_at": at if done else None,
                "created_at": START,
                "updated_at": at,
            }
        )
    for g in range(3000):
        at = START + timedelta(seconds=rng.random() * span)
        out["growth"].append(
            {
                "id": g + 1,
                "team_id": TEAM,
                "programme_id": programme_id,
                "author_id": f"U{rng.randrange(people):08d}",
                "channel_id": "C0BENCH01",
                "ts": f"{1790000000 + g}.000100",
                "visibility": "channel" if rng.random() < 0.7 else "room",
                "tried": "",
                "learned": "",
                "next_step": "",
                "skills": [],
                "reply_count": rng.randint(0, 12),
                "reaction_count": rng.randint(0, 20),
                "created_at": at,
                "updated_at": at,
            }
        )
    for _ in range(6000):
        at = START + timedelta(seconds=rng.random() * span)
        out["kudos"].append(
            {
                "team_id": TEAM,
                "programme_id": programme_id,
                "giver_id": f"U{rng.randrange(people):08d}",
                "receiver_id": f"U{rng.randrange(people):08d}",
                "reason": "",
                "public": rng.random() < 0.6,
                "created_at": at,
            }
        )
    _growth_outcomes(out, programme_id, pairs, rng)
    return out


def _growth_outcomes(out: dict[str, list[dict]], programme_id: int, pairs: int, rng: random.Random) -> None:
    """Agreements, skills rated before and after, mentors trained, booked chats and success stories (one growth
    thread in ten shared by its author, a third of those withdrawn again), as a cycle's end leaves them."""
    for thread in out["growth"][::10]:
        withdrawn = rng.random() < 1 / 3
        out["story"].append(
            {
                "team_id": TEAM,
                "programme_id": programme_id,
                "slack_user_id": thread["author_id"],
                "source_kind": "growth",
                "source_id": thread["id"],
                "consented_at": thread["created_at"],
                "withdrawn_at": thread["created_at"] + timedelta(days=1) if withdrawn else None,
            }
        )
    for m in range(pairs):
        mentor, mentee = f"U{2 * m:08d}", f"U{2 * m + 1:08d}"
        if rng.random() < 0.7:
            agreed = START + timedelta(days=rng.randint(1, 14))
            out["agreement"].append(
                {
                    "team_id": TEAM,
                    "match_id": m + 1,
                    "version": 1,
                    "focus": "",
                    "rhythm": "",
                    "confidential": "",
                    "ending": "",
                    "written_by": mentee,
                    "confirmed_by": [mentor, mentee],
                    "updated_at": agreed,
                    "agreed_at": agreed,
                }
            )
        start = rng.randint(1, 3)
        for skill in out["participant"][2 * m + 1]["skills_wanted"]:
            for stage, days, level in (("start", 1, start), ("pulse", 45, start + 1), ("exit", 85, start + 2)):
                out["rating"].append(
                    {
                        "team_id": TEAM,
                        "programme_id": programme_id,
                        "cycle_number": 1,
                        "slack_user_id": mentee,
                        "skill": skill,
                        "stage": stage,
                        "level": min(5, level - rng.randint(0, 1)),
                        "created_at": START + timedelta(days=days),
                    }
                )
        if rng.random() < 0.6:
            for step in (*ESSENTIALS, REFLECTION):
                out["training"].append(
                    {"team_id": TEAM, "slack_user_id": mentor, "step": step, "note": "", "done_at": START}
                )
        for k in range(rng.randint(1, 3)):
            at = START + timedelta(days=rng.randint(2, 80), hours=rng.randint(0, 8))
            out["meeting"].append(
                {
                    "team_id": TEAM,
                    "programme_id": programme_id,
                    "match_id": m + 1,
                    "uid": f"bench-{m}-{k}@mentor-bot",
                    "sequence": 0,
                    "status": "agreed",
                    "starts_at": at,
                    "minutes": 30,
                    "proposed_by": mentee,
                    "proposed_at": at - timedelta(days=2),
                    "agreed_by": mentor,
                    "agreed_at": at - timedelta(days=1),
                    "created_at": at - timedelta(days=2),
                }
            )


TABLES = {
    "participant": Participant,
    "match": Match,
    "member": MatchMember,
    "roadmap": Roadmap,
    "checkin": CheckIn,
    "milestone": Milestone,
    "growth": GrowthThread,
    "kudos": Kudos,
    "agreement": Agreement,
    "rating": SkillRating,
    "training": MentorTraining,
    "meeting": Meeting,
    "story": StoryConsent,
}


def _copy(db: Database, model: Any, rows: list[dict]) -> None:
    """PostgreSQL COPY of plain rows (JSON as text, datetimes as ISO)."""
    columns = list(rows[0])
    buffer = io.StringIO()
    for row in rows:
        cells = []
        for column in columns:
            value = row[column]
            if value is None:
                cells.append("\\N")
            elif isinstance(value, (list, dict)):
                cells.append(json.dumps(value))
            elif isinstance(value, bool):
                cells.append("t" if value else "f")
            else:
                cells.append(str(value.isoformat() if hasattr(value, "isoformat") else value))
        buffer.write("\t".join(c.replace("\\", "\\\\").replace("\t", " ") if c != "\\N" else c for c in cells))
        buffer.write("\n")
    raw = db.engine.raw_connection()
    try:
        statement = f"COPY {model.__tablename__} ({', '.join(columns)}) FROM STDIN"
        with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[attr-defined]
            copy.write(buffer.getvalue())
        raw.commit()
    finally:
        raw.close()


def populate(db: Database, people: int, checkins: int) -> int:
    with db.begin() as session:
        programme = Programme(
            team_id=TEAM,
            slug="big",
            name="Big programme",
            status="active",
            cadence="fortnightly",
            cycle_days=90,
            channel_id="C0BENCH01",
            cycle_started_at=START,
            cycle_ends_at=START + timedelta(days=90),
        )
        session.add(programme)
        session.flush()
        round_ = MatchRound(team_id=TEAM, programme_id=programme.id or 0, cycle_number=1, seed=1, created_by="U0")
        session.add(round_)
        session.flush()
        programme_id, round_id = programme.id or 0, round_.id or 0
    data = rows_for(programme_id, round_id, people, checkins)
    postgres = db.engine.dialect.name == "postgresql"
    for key, model in TABLES.items():
        if postgres:
            _copy(db, model, data[key])
        else:
            with db.begin() as session:
                session.execute(insert(model), data[key])  # executemany
    if postgres:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT setval('mentor_match_id_seq', (SELECT max(id) FROM mentor_match))"))
            conn.execute(text("SELECT setval('roadmap_id_seq', (SELECT max(id) FROM roadmap))"))
            conn.execute(text("SELECT setval('growth_thread_id_seq', (SELECT max(id) FROM growth_thread))"))
            conn.commit()
            conn.execute(text("ANALYZE"))
            conn.commit()
    else:
        with db.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    return programme_id


def naive_digest(db: Database, programme_id: int, now: datetime) -> dict[str, int]:
    """The baseline: the digest's main numbers from every row, counted in Python."""
    since, before = now - timedelta(days=7), now - timedelta(days=14)
    with db.session() as session:
        match_ids = set(session.exec(select(Match.id).where(Match.programme_id == programme_id)).all())
        rows = session.exec(select(CheckIn)).all()
        mine = [r for r in rows if r.match_id in match_ids]
        this_week = [r for r in mine if since <= r.created_at < now]
        last_week = [r for r in mine if before <= r.created_at < since]
        milestones = session.exec(select(Milestone).where(Milestone.programme_id == programme_id)).all()
        threads = session.exec(select(GrowthThread).where(GrowthThread.programme_id == programme_id)).all()
        kudos = session.exec(select(Kudos).where(col(Kudos.programme_id) == programme_id)).all()
        weeks = [0] * 13
        for r in mine:
            weeks[min(int((r.created_at - START) / timedelta(weeks=1)), 12)] += 1
        return {
            "checkins": len(this_week),
            "pairs": len({r.match_id for r in this_week}),
            "checkins_before": len(last_week),
            "milestones": sum(1 for m in milestones if m.completed_at and since <= m.completed_at < now),
            "threads": len([t for t in threads if since <= t.created_at < now]),
            "kudos": len([k for k in kudos if since <= k.created_at < now]),
        }


def timed(func: Callable[[], object], runs: int, *, warm: bool = True) -> list[float]:
    if warm:
        func()  # warm the caches once, as a running server would be
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return times


@contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / 'bench.db'}"


@contextmanager
def postgres_url(admin_url: str) -> Iterator[str]:
    admin = create_engine(normalise_url(admin_url), isolation_level="AUTOCOMMIT")
    name = f"mentorbot_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(normalise_url(admin_url)).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(url: str, *, people: int, checkins: int, runs: int) -> dict[str, Any]:
    migrate.upgrade(url)
    db = Database.from_url(url)
    try:
        started = time.perf_counter()
        programme_id = populate(db, people, checkins)
        load = time.perf_counter() - started
        with db.session() as session:
            programme = session.get(Programme, programme_id)
            assert programme is not None
            session.expunge(programme)

        def digest() -> dict[str, Any]:
            with db.session() as session:
                return compute_digest(session, programme, now=NOW)

        def report() -> tuple[Health, list[dict[str, Any]]]:
            """What `/mentor report` does before it replies: the health read, the message built."""
            with db.session() as session:
                health = compute_health(session, programme, now=NOW)
            _, blocks = report_message(programme.name, health, cycle_number=programme.cycle_number)
            return health, blocks

        health, blocks = report()

        def export() -> tuple[bytes, bytes]:
            """What *Export* does with the report's health: both CSV files."""
            with db.session() as session:
                return programme_csvs(session=session, programme=programme, health=health)

        result = digest()
        baseline = naive_digest(db, programme_id, NOW)
        assert (result["checkins"], result["pairs_met"], result["checkins_before"]) == (
            baseline["checkins"],
            baseline["pairs"],
            baseline["checkins_before"],
        ), (result, baseline)
        assert result["milestones_done"] == baseline["milestones"]
        _, summary = export()
        # The outcomes are in the report, not empty: every skill is rated by far more than five people.
        assert health.agreements_in_place and health.mentors_trained and health.meetings_booked, health
        assert health.days_to_first_meeting is not None and health.stories, health
        assert {row.skill for row in health.skill_development} >= set(SKILLS) and not health.skills_withheld, health
        assert b"skill" in summary, summary[:500]
        assert "success stor" in json.dumps(blocks).lower(), "the report shows the consented stories"
        return {
            "load": load,
            "digest": timed(digest, runs),
            "report": timed(report, runs),
            "export": timed(export, runs),
            "naive": timed(lambda: naive_digest(db, programme_id, NOW), 3, warm=False),
            "checkins_this_week": result["checkins"],
        }
    finally:
        db.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--postgres", help="an admin URL of a PostgreSQL server to create a scratch database on")
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--checkins", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    print(f"Machine: {platform.machine()}, Python {platform.python_version()}, {args.people:,} participants, "
          f"{args.checkins:,} check-ins, median of {args.runs} runs (baseline: 3)")  # fmt: skip
    print("| backend | bulk load | digest (median, min-max) | report (median, min-max) | target (digest, report) | "
          "export: both CSVs (median) | baseline: rows looped in Python | digest vs baseline |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    backends: list[tuple[str, Any]] = [("SQLite", sqlite_url())]
    if args.postgres:
        backends.append(("PostgreSQL", postgres_url(args.postgres)))
    for label, context in backends:
        with context as url:
            r = run(url, people=args.people, checkins=args.checkins, runs=args.runs)
        digest, report, export, naive = (statistics.median(r[k]) for k in ("digest", "report", "export", "naive"))
        budget = TARGETS[label]
        verdict = "met" if max(digest, report) <= budget else "MISSED"
        print(
            f"| {label} | {r['load']:.1f} s | {digest * 1000:.0f} ms ({min(r['digest']) * 1000:.0f}-"
            f"{max(r['digest']) * 1000:.0f}) | {report * 1000:.0f} ms ({min(r['report']) * 1000:.0f}-"
            f"{max(r['report']) * 1000:.0f}) | each <= {budget:.0f} s: {verdict} | {export * 1000:.0f} ms | "
            f"{naive * 1000:.0f} ms | "
            f"{naive / digest:.1f}x faster |",
            flush=True,
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()

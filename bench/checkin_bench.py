"""The check-in loop at scale: planning passes over 100,000 participants on PostgreSQL, and delivering 10,000
DMs through Slack's limits.

``python -m bench.checkin_bench`` (about 5 minutes) writes its figures into ``bench/RESULTS.md`` between the
check-in markers; ``--quick`` is a small smoke run that writes nothing.

Planning: a programme population of N participants in N/2 active mentoring matches, released over a fortnight
(so their check-ins fall due at different moments), with 2N earlier outbox rows. A pass at a moment when D
matches are due is timed for several D, at N = 10,000 and N = 100,000; next to it, in the same script, the
baseline of reading every active match with its members and people (what a planner that scans everything
pays on each pass).

Delivery: 10,000 check-in DMs queued in the outbox (PostgreSQL), sent by the delivery worker to the Slack
stand-in, which enforces one message a second per channel, a workspace-wide chat.postMessage limit, and answers
a random 1 % of calls with 429 + Retry-After. The worker's own limiter is set to the same workspace limit.
Reported: the rate reached as a share of the allowed rate, duplicates (messages Slack holds twice for one
outbox row) and lost messages (rows not sent).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import Connection, func, insert, text
from sqlmodel import col, select

from bench.common import DEFAULT_PG, fresh_postgres, write_section
from scheduling.checkins import plan_checkins
from scheduling.outbox import RateLimiter, deliver_due, message
from standin import BOT_TOKEN, TEAM_ID, SlackStandIn
from standin.workspace import person
from store.db import Database
from store.models import (
    Match,
    MatchMember,
    MatchRound,
    OutboxMessage,
    OutboxStatus,
    Participant,
    Programme,
    ProgrammeStatus,
)

START, END = "<!-- checkins:start -->", "<!-- checkins:end -->"
T0 = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)
TIMEZONES = ("Asia/Tokyo", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Europe/London", "UTC")


def _chunks(rows: list[dict[str, Any]], size: int = 5000) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


AddRows = Callable[[Connection, int, list[int], random.Random], None]


def populate(
    db: Database,
    participants: int,
    seed: int = 7,
    *,
    spread_days: int = 14,
    more: AddRows | None = None,
    settle: bool = True,
) -> None:
    """`participants` people in one active programme, all in mentoring pairs released over `spread_days`;
    `more(conn, programme_id, match_ids, rng)` adds rows of its own (e.g. roadmaps) before the database settles."""
    rng = random.Random(seed)
    pairs = participants // 2
    with db.engine.begin() as conn:
        programme_id = conn.execute(
            insert(Programme.__table__).returning(Programme.__table__.c.id),  # type: ignore[attr-defined]
            {
                "team_id": TEAM_ID,
                "slug": "bench",
                "name": "Bench",
                "objectives": "",
                "kind": "one_to_one",
                "status": ProgrammeStatus.ACTIVE.value,
                "cycle_days": 90,
                "cadence": "fortnightly",
                "skills": ["Writing"],
                "max_capacity": 5,
                "circle_size": 4,
                "enrolment_open": True,
                "eligibility": "",
                "requires_approval": False,
                "llm_enabled": False,
                "cycle_number": 1,
                "cycle_started_at": T0,
                "cycle_ends_at": T0 + timedelta(days=90),
                "forgotten": {},
                "checkin_days": [1, 2, 3],
                "checkin_start_hour": 10,
                "checkin_end_hour": 16,
                "created_at": T0,
                "updated_at": T0,
            },
        ).scalar_one()
        round_id = conn.execute(
            insert(MatchRound.__table__).returning(MatchRound.__table__.c.id),  # type: ignore[attr-defined]
            {
                "team_id": TEAM_ID,
                "programme_id": programme_id,
                "cycle_number": 1,
                "status": "released",
                "seed": 1,
                "created_by": "U0BENCH",
                "stats": {},
                "unmatched": [],
                "created_at": T0,
                "released_at": T0,
            },
        ).scalar_one()
        people = [
            {
                "team_id": TEAM_ID,
                "programme_id": programme_id,
                "slack_user_id": f"U{i:09d}",
                "display_name": f"Person {i}",
                "title": "",
                "role": "mentor" if i % 2 == 0 else "mentee",
                "skills_offered": [],
                "skills_wanted": [],
                "goals": "",
                "department": f"Dept {i % 10}",
                "timezone": TIMEZONES[i % len(TIMEZONES)],
                "meeting_mode": "either",
                "rather_not": [],
                "status": "active",
                "status_reason": "",
                "missed_rounds": 0,
                "unanswered_checkins": 0,
                "consent_version": "1",
                "consented_at": T0,
                "joined_at": T0,
                "updated_at": T0,
            }
            for i in range(participants)
        ]
        for chunk in _chunks(people):
            conn.execute(insert(Participant.__table__), chunk)  # type: ignore[attr-defined]
        matches = []
        for i in range(pairs):
            released = T0 + timedelta(seconds=rng.uniform(0, spread_days * 86400))
            matches.append(
                {
                    "team_id": TEAM_ID,
                    "programme_id": programme_id,
                    "round_id": round_id,
                    "cycle_number": 1,
                    "status": "active",
                    "score": 1.0,
                    "reasons": [],
                    "room_id": f"G{i:09d}",
                    "room_kind": "private",
                    "released_at": released,
                    "end_reason": "",
                    "prompts_seen": [],
                    "plan_at": released + timedelta(days=14),
                    "continue_votes": [],
                }
            )
        match_ids: list[int] = []
        for chunk in _chunks(matches):
            match_ids += (
                conn.execute(
                    insert(Match.__table__).returning(Match.__table__.c.id),  # type: ignore[attr-defined]
                    chunk,
                )
                .scalars()
                .all()
            )
        members = [
            {"match_id": mid, "team_id": TEAM_ID, "slack_user_id": f"U{2 * n + k:09d}", "role": role}
            for n, mid in enumerate(match_ids)
            for k, role in ((0, "mentor"), (1, "mentee"))
        ]
        for chunk in _chunks(members):
            conn.execute(insert(MatchMember.__table__), chunk)  # type: ignore[attr-defined]
        if more is not None:
            more(conn, programme_id, match_ids, rng)
        history = [
            {
                "team_id": TEAM_ID,
                "key": f"earlier:{i}",
                "kind": "checkin",
                "recipient": f"U{i % participants:09d}",
                "payload": {"text": "Did you meet?"},
                "not_before": T0 - timedelta(days=rng.uniform(1, 60)),
                "status": OutboxStatus.SENT.value,
                "attempts": 1,
                "last_error": "",
                "created_at": T0,
            }
            for i in range(2 * participants)
        ]
        for chunk in _chunks(history):
            conn.execute(insert(OutboxMessage.__table__), chunk)  # type: ignore[attr-defined]
    if not settle:
        return
    # A settled database, as a running deployment has: statistics, visibility map, and the bulk load on disk.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
        conn.execute(text("CHECKPOINT"))


def due_times(db: Database) -> list[datetime]:
    with db.session() as session:
        return sorted(
            t for t in session.exec(select(Match.plan_at).where(Match.status == "active")).all() if t is not None
        )


def baseline_scan(db: Database) -> float:
    """Read every active match with its members and people: what a planner that scans everything pays."""
    started = time.perf_counter()
    with db.session() as session:
        matches = session.exec(select(Match).where(Match.status == "active")).all()
        members = session.exec(select(MatchMember)).all()
        people = session.exec(select(Participant)).all()
        assert len(matches) and len(members) and len(people)
    return time.perf_counter() - started


def planning(admin_url: str, participants: int, dues: Sequence[int], runs: int) -> list[dict[str, Any]]:
    """Median pass time for each number of due matches, at this population size, plus the full-scan baseline."""
    rows: list[dict[str, Any]] = []
    with fresh_postgres(admin_url, "mentorbot_checkins", migrated=True) as url:
        db = Database.from_url(url)
        try:
            began = time.perf_counter()
            populate(db, participants)
            setup = time.perf_counter() - began
            times = due_times(db)
            if runs * sum(dues) > len(times):
                raise SystemExit(f"{runs} runs of {sum(dues)} due matches need more than {len(times)} matches")
            cursor = 0
            results: dict[int, list[tuple[float, int, int]]] = {d: [] for d in dues}
            for _ in range(runs):
                for due in dues:
                    # The pass runs at the moment the next `due` matches come due (none, for due == 0).
                    now = times[cursor + due - 1] if due else times[cursor] - timedelta(seconds=1)
                    cursor += due
                    # Passes at that moment until nothing is left to plan (a big round takes several passes).
                    planned = 0
                    passes: list[float] = []
                    while True:
                        started = time.perf_counter()
                        new = plan_checkins(db, now=now)
                        passes.append(time.perf_counter() - started)
                        planned += new
                        if new == 0:
                            break
                    results[due].append((max(passes), planned, len(passes)))
            scans = [baseline_scan(db) for _ in range(runs)]
            scan = statistics.median(scans)
            with db.session() as session:
                outbox_rows = session.exec(select(func.count()).select_from(OutboxMessage)).one()
            for due in dues:
                median = statistics.median(t for t, _, _ in results[due])
                rows.append(
                    {
                        "participants": participants,
                        "due": due,
                        "median": median,
                        "min": min(t for t, _, _ in results[due]),
                        "max": max(t for t, _, _ in results[due]),
                        "planned": statistics.median(p for _, p, _ in results[due]),
                        "passes": statistics.median(n for _, _, n in results[due]),
                        "scan": scan,
                        "runs": runs,
                        "setup": setup,
                        "outbox": outbox_rows,
                    }
                )
        finally:
            db.dispose()
    return rows


def delivery(admin_url: str, messages: int, per_minute: int, random_429: float) -> dict[str, Any]:
    crowd = [person(f"U0B{i:07d}", f"Person {i}", "Engineer", "Europe/Berlin", "CET") for i in range(messages)]
    with fresh_postgres(admin_url, "mentorbot_checkins", migrated=True) as url:
        db = Database.from_url(url)
        try:
            with db.begin() as session:
                session.add_all(
                    message(
                        team_id=TEAM_ID,
                        key=f"checkin:bench:{p.id}",
                        kind="checkin",
                        recipient=p.id,
                        text="Did you and Sam meet since 17 November?",
                        not_before=datetime.now(UTC) - timedelta(minutes=1),
                    )
                    for p in crowd
                )
            with SlackStandIn(people=crowd, post_per_minute=per_minute, random_429=random_429, seed=3) as standin:
                client = WebClient(token=BOT_TOKEN, base_url=standin.api_url)
                limiter = RateLimiter(post_per_minute=per_minute)
                started = time.perf_counter()
                passes = 0
                while True:
                    passes += 1
                    report = deliver_due(
                        db, client, now=datetime.now(UTC), worker_id="bench", limiter=limiter, batch=200
                    )
                    with db.session() as session:
                        left = session.exec(
                            select(func.count())
                            .select_from(OutboxMessage)
                            .where(col(OutboxMessage.status) != OutboxStatus.SENT.value)
                        ).one()
                    if left == 0 or time.perf_counter() - started > 3 * 60 * messages / per_minute:
                        break
                    if report.sent == 0:
                        time.sleep(0.2)
                elapsed = time.perf_counter() - started
                posts = standin.calls_to("chat.postMessage")
                accepted = [c for c in posts if c.status == 200]
                throttled = len([c for c in posts if c.status == 429])
                per_row = Counter(
                    ((c.params.get("metadata") or {}).get("event_payload") or {}).get("outbox_id") for c in accepted
                )
                delivered = sum(1 for p in crowd if standin.dms(p.id))
        finally:
            db.dispose()
    return {
        "messages": messages,
        "per_minute": per_minute,
        "elapsed": elapsed,
        "rate": len(accepted) / elapsed,
        "allowed": per_minute / 60.0,
        # A token bucket allows its burst (10 s worth, as the stand-in sets it) plus the rate over the run.
        "allowed_messages": per_minute / 60.0 * 10 + per_minute / 60.0 * elapsed,
        "duplicates": sum(n - 1 for n in per_row.values() if n > 1),
        "lost": messages - delivered,
        "throttled": throttled,
        "passes": passes,
    }


def report(plans: list[dict[str, Any]], sent: dict[str, Any], wall: float) -> str:
    lines = [
        START,
        "## Check-in loop",
        "",
        f"Machine: {os.cpu_count()} cores, PostgreSQL 127.0.0.1; `.venv/bin/python -m bench.checkin_bench`.",
        "",
        "### Planning a pass (PostgreSQL)",
        "",
        "Each population: participants in mentoring pairs released over a fortnight, 2 earlier outbox rows per "
        "participant. A pass runs at the moment `due` matches come due; each due match is asked its check-in DMs "
        "(two per match), timed into each person's working hours with the one-nudge-a-day check. Baseline, same "
        "script and database: reading all active matches with their members and people, as a planner that "
        "scans everything would on every pass. A pass starts no new batch (250 matches) after 0.5 s: a round "
        "that comes due all at once is planned over several passes (the scheduler runs one every 10 minutes), "
        "each of them short.",
        "",
        "| participants | matches due | DMs planned | passes (the last plans nothing) | longest pass, median "
        "| min / max | baseline full scan | longest pass / baseline |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in plans:
        lines.append(
            f"| {row['participants']:,} | {row['due']:,} | {row['planned']:,.0f} | {row['passes']:.0f} "
            f"| {row['median'] * 1000:.1f} ms | {row['min'] * 1000:.1f} / {row['max'] * 1000:.1f} ms "
            f"| {row['scan'] * 1000:.0f} ms | {row['median'] / row['scan']:.3f} |"
        )
    lines += [
        "",
        f"Runs per cell: {plans[0]['runs']}. Outbox rows at the end of the largest run: "
        f"{max(r['outbox'] for r in plans):,}.",
        "",
        "### Delivering 10,000 DMs through Slack's limits",
        "",
        f"{sent['messages']:,} check-in DMs (each to its own person) from the outbox on PostgreSQL to the Slack "
        f"stand-in enforcing 1 message/s per channel, a workspace limit of {sent['per_minute']:,} chat.postMessage "
        f"a minute ({sent['allowed']:.0f}/s; Slack's own is 'several hundred a minute', scaled up so the run fits "
        "in minutes), and a 429 + Retry-After on a random 1 % of calls; the worker paces itself to the same "
        "workspace limit.",
        "",
        "| messages | allowed rate | reached | sent / allowed in the run | 429s answered | duplicates | lost | wall |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        f"| {sent['messages']:,} | {sent['allowed']:.1f}/s | {sent['rate']:.1f}/s | "
        f"{100 * (sent['messages'] - sent['lost']) / sent['allowed_messages']:.1f} % | {sent['throttled']} | "
        f"{sent['duplicates']} | {sent['lost']} | {sent['elapsed']:.1f} s |",
        "",
        "Allowed in the run = the workspace bucket's burst (10 s worth) + the allowed rate x the wall time: what "
        "Slack would have accepted at most.",
        "",
        f"Benchmark wall time: {wall:.0f} s.",
        END,
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small smoke run; writes nothing")
    parser.add_argument("--postgres", default=os.environ.get("TEST_POSTGRES_URL") or DEFAULT_PG)
    args = parser.parse_args(argv)
    began = time.perf_counter()
    if args.quick:
        plans = planning(args.postgres, 2_000, (0, 10, 100), runs=2)
        sent = delivery(args.postgres, 500, per_minute=6000, random_429=0.01)
    else:
        plans = []
        # Runs x due matches must fit in the population's matches (participants / 2), each run taking new ones.
        plans += planning(args.postgres, 10_000, (0, 25, 250, 1_000), runs=3)
        plans += planning(args.postgres, 100_000, (0, 25, 250, 1_000, 5_000), runs=5)
        sent = delivery(args.postgres, 10_000, per_minute=6000, random_429=0.01)
    section = report(plans, sent, time.perf_counter() - began)
    print(section)
    if not args.quick:
        write_section(START, END, section)


if __name__ == "__main__":
    main()

"""Delivery at Slack's pace, through crashes: queued DMs sent by the product's delivery loop, killed again and again.

N check-in DMs (each to its own person) are queued in the outbox on PostgreSQL. Two processes each run the
product's delivery loop (`scheduling.delivery.DeliveryLoop`, led through its advisory lock) against the Slack
stand-in, which enforces 1 message/s per channel, a workspace rate, Tier 3 for `conversations.history` and
`conversations.open`, answers a random 1 % of chat.postMessage calls with 429 + Retry-After and carries out a
random share of them without answering (the connection drops: Slack accepted, the answer was lost). Every
`duration / (kills + 1)` seconds the leading process is killed with SIGKILL (mid-send) and a new one started.

Baseline, same run: the same messages, the same stand-in, one delivery loop never killed.
Figures: rate reached vs the rate Slack allows (sent / allowed in the run, target >= 95 %), duplicates (a person
who saw the DM twice) and lost messages (a person who never saw it), both targets 0. Medians of `--runs` runs.

    .venv/bin/python -m bench.outbox_bench [--messages 10000] [--per-minute 600] [--kills 20] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import func
from sqlmodel import col, select

from bench.common import DEFAULT_PG, fresh_postgres, write_section
from scheduling.delivery import DeliveryLoop
from scheduling.outbox import message
from standin import BOT_TOKEN, TEAM_ID, SlackStandIn
from standin.workspace import person
from store.db import Database
from store.models import OutboxMessage, OutboxStatus

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- outbox:start -->", "<!-- outbox:end -->"
TARGET_SHARE = 95.0


def worker(database_url: str, api_url: str, per_minute: int, ready: str) -> None:
    """One replica's delivery loop, until killed. Creates `ready` once it is up (imports done, database open)."""
    db = Database.from_url(database_url)
    with db.session() as session:
        session.exec(select(func.count()).select_from(OutboxMessage)).one()
    loop = DeliveryLoop(
        db,
        WebClient(token=BOT_TOKEN, base_url=api_url),
        post_per_minute=per_minute,
        pass_seconds=2.0,
        idle_seconds=0.2,
        follower_seconds=0.1,
        stale_after=timedelta(seconds=3),
        backoff_base=timedelta(seconds=1),
        backoff_cap=timedelta(seconds=5),
        name=f"bench:{os.getpid()}",
    )
    Path(ready).touch()
    loop.run()  # SIGTERM or SIGKILL ends it; the advisory lock goes with the connection


READY = Path(tempfile.gettempdir()) / f"outbox-bench-{os.getpid()}"


def _ready(process: subprocess.Popen[bytes]) -> bool:
    return process.poll() is None and (READY / str(process.pid)).exists()


def _spawn(database_url: str, api_url: str, per_minute: int) -> subprocess.Popen[bytes]:
    READY.mkdir(exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "bench.outbox_bench", "worker", database_url, api_url, str(per_minute), str(READY)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _left(db: Database) -> int:
    with db.session() as session:
        done = [OutboxStatus.SENT.value, OutboxStatus.FAILED.value, OutboxStatus.SKIPPED.value]
        return int(
            session.exec(
                select(func.count()).select_from(OutboxMessage).where(col(OutboxMessage.status).not_in(done))
            ).one()
        )


def _leader(db: Database) -> int | None:
    with db.session() as session:
        name = session.exec(
            select(OutboxMessage.claimed_by)
            .where(col(OutboxMessage.claimed_by).is_not(None))
            .order_by(col(OutboxMessage.claimed_at).desc())
            .limit(1)
        ).first()
    return int(name.rsplit(":", 1)[1]) if name else None


def one_run(admin_url: str, messages: int, per_minute: int, kills: int, lost: float, seed: int) -> dict[str, Any]:
    crowd = [person(f"U0O{i:07d}", f"Person {i}", "Engineer", "Europe/Berlin", "CET") for i in range(messages)]
    duration = messages / (per_minute / 60.0)
    with fresh_postgres(admin_url, "mentorbot_outbox", migrated=True) as url:
        db = Database.from_url(url)
        workers: list[subprocess.Popen[bytes]] = []
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
            with SlackStandIn(
                people=crowd, post_per_minute=per_minute, random_429=0.01, random_lost=lost, seed=seed
            ) as standin:
                workers = [_spawn(url, standin.api_url, per_minute) for _ in range(2 if kills else 1)]
                while not standin.calls_to("chat.postMessage"):  # the processes are up
                    time.sleep(0.05)
                started = time.perf_counter()
                every = duration / (kills + 1)
                killed = 0
                give_up = started + 3 * duration + 300
                while _left(db) and time.perf_counter() < give_up:
                    if killed < kills and time.perf_counter() >= started + every * (killed + 1):
                        pid = _leader(db)
                        victim = next((w for w in workers if w.pid == pid and w.poll() is None), None)
                        # Only with a warm standby, as in a deployment: a kill while the replacement is still
                        # starting would time Python's start-up on a loaded machine, not the takeover.
                        standby = any(_ready(w) for w in workers if w is not victim)
                        if victim is not None and standby:
                            victim.send_signal(signal.SIGKILL)
                            victim.wait()
                            workers.remove(victim)
                            workers.append(_spawn(url, standin.api_url, per_minute))
                            killed += 1
                    time.sleep(0.05)
                elapsed = time.perf_counter() - started
                with db.session() as session:
                    failed = session.exec(
                        select(func.count())
                        .select_from(OutboxMessage)
                        .where(col(OutboxMessage.status) == OutboxStatus.FAILED.value)
                    ).one()
                    left = _left(db)
                posts = standin.calls_to("chat.postMessage")
                counts = standin.dm_counts()
                seen = [counts.get(p.id, 0) for p in crowd]
                history = standin.calls_to("conversations.history")
        finally:
            for w in workers:
                if w.poll() is None:
                    w.terminate()
                    try:
                        w.wait(timeout=20)
                    except subprocess.TimeoutExpired:
                        w.kill()
                        w.wait()
            db.dispose()
    allowed = per_minute / 60.0
    delivered = sum(1 for n in seen if n)
    return {
        "elapsed": elapsed,
        "rate": delivered / elapsed,
        "allowed": allowed,
        # The rate reached over the whole run, from the first post to the last row settled, against the rate
        # Slack allows per workspace (the stand-in would also take a 10 s burst, which the loop does not use).
        "share": 100 * delivered / elapsed / allowed,
        "duplicates": sum(n - 1 for n in seen if n > 1),
        "lost": messages - delivered,
        "failed": int(failed),
        "left": left,
        "kills": killed,
        "throttled": len([c for c in posts if c.status == 429]),
        "answers_lost": len([c for c in posts if c.status == 0]),
        "history_reads": len(history),
        "load": os.getloadavg()[0],
    }


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in runs))


def _spread(runs: list[dict[str, Any]], key: str, fmt: str) -> str:
    values = sorted(r[key] for r in runs)
    return f"{format(values[0], fmt)}-{format(values[-1], fmt)}"


def report(
    args: argparse.Namespace, killed: list[dict[str, Any]], base: list[dict[str, Any]], wall: float, *, parallel: bool
) -> str:
    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    lines = [
        START,
        "## Outbox delivery through crashes",
        "",
        f"Machine: {os.cpu_count()} cores, PostgreSQL 127.0.0.1. Reproduce: `.venv/bin/python -m bench.outbox_bench "
        f"--messages {args.messages} --per-minute {args.per_minute} --kills {args.kills} --runs {args.runs} "
        f"--lost {args.lost}{' --parallel' if parallel else ''}`"
        + (
            f" (the {2 * args.runs} runs at once, each in its own process with its own database and stand-in; "
            "load is the machine's 1-minute load average at each run's end)."
            if parallel
            else "."
        ),
        "",
        f"{args.messages:,} DMs queued, each to its own person; the product's delivery loop (two processes, led "
        f"through the advisory lock) against the stand-in: 1 message/s per channel, {args.per_minute} "
        f"chat.postMessage a minute per workspace, Tier 3 history reads, a 429 on a random 1 % of posts and a "
        f"lost answer (Slack accepted, the answer dropped) on a random {args.lost * 100:g} %. The leading process "
        f"is killed with SIGKILL {args.kills} times, evenly over the run (each time once the other process is "
        "up), and replaced. Baseline: the same with one "
        "process never killed. Medians of the runs, run-to-run spread (min-max) beside them.",
        "",
        "| run | kills | reached | reached / allowed rate (target >= 95 %) | duplicates (0) | lost (0) "
        "| unconfirmed (failed) | lost answers | history reads | wall | load |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, runs in (("killed", killed), ("baseline", base)):
        share = _median(runs, "share")
        dup = max(r["duplicates"] for r in runs)
        lost = max(r["lost"] for r in runs)
        lines.append(
            f"| {name} | {_median(runs, 'kills'):.0f}"
            f"{'' if name == 'baseline' else ' ' + verdict(_median(runs, 'kills') >= args.kills)} "
            f"| {_median(runs, 'rate'):.2f}/s of {runs[0]['allowed']:.1f}/s "
            f"| {share:.1f} % ({_spread(runs, 'share', '.1f')}) {verdict(share >= TARGET_SHARE)} "
            f"| {dup} {verdict(dup == 0)} | {lost} {verdict(lost == 0)} | {max(r['failed'] for r in runs)} "
            f"| {_median(runs, 'answers_lost'):.0f} | {_median(runs, 'history_reads'):.0f} "
            f"| {_median(runs, 'elapsed'):.0f} s ({_spread(runs, 'elapsed', '.0f')}) "
            f"| {_spread(runs, 'load', '.1f')} |"
        )
    lines += [
        "",
        f"Ratio killed / baseline (rate reached): {_median(killed, 'rate') / _median(base, 'rate'):.2f}. "
        f"Runs: {len(killed)}. Benchmark wall time: {wall:.0f} s.",
        END,
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "worker":
        worker(argv[1], argv[2], int(argv[3]), str(Path(argv[4]) / str(os.getpid())))
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--per-minute", type=int, default=600)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--lost", type=float, default=0.005)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="write the section into bench/RESULTS.md")
    parser.add_argument("--postgres", default=os.environ.get("TEST_POSTGRES_URL") or DEFAULT_PG)
    parser.add_argument(
        "--parallel",
        action="store_true",
        help="run every run at once, each in its own process with its own database and stand-in (a run is paced "
        "by Slack's limits, not by the CPU: three runs of each kind take the time of one)",
    )
    args = parser.parse_args(argv)
    began = time.perf_counter()
    jobs = [(kills, run) for run in range(args.runs) for kills in (args.kills, 0)]
    if args.parallel:
        with ProcessPoolExecutor(max_workers=len(jobs)) as pool:
            futures = [
                pool.submit(one_run, args.postgres, args.messages, args.per_minute, kills, args.lost, seed=run)
                for kills, run in jobs
            ]
            results = [f.result() for f in futures]
    else:
        results = []
        for kills, run in jobs:
            results.append(one_run(args.postgres, args.messages, args.per_minute, kills, args.lost, seed=run))
            print("killed" if kills else "baseline", results[-1], flush=True)
    killed = [r for (kills, _), r in zip(jobs, results, strict=True) if kills]
    base = [r for (kills, _), r in zip(jobs, results, strict=True) if not kills]
    section = report(args, killed, base, time.perf_counter() - began, parallel=args.parallel)
    print(section)
    if args.write:
        write_section(START, END, section)


if __name__ == "__main__":
    main()

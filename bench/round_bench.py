"""A whole matching round: *Match now* from stored people to the stored preview (and its release) on PostgreSQL,
the engine alone at 10,000 and 30,000 mentees, and the engine's quality against the exact optimum at 10,000.

Run from the repository root: ``.venv/bin/python -m bench.round_bench`` (full, several minutes) or ``--quick``
(a small smoke run). Results go to ``bench/RESULTS.md`` between the round markers (``--no-write`` to skip).
Each figure is printed beside its target, with MISSED where it misses. The baseline in the same run is the same
path with the engine scoring every mentee against every mentor (``match(..., exhaustive=True)``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
from scipy.optimize import linear_sum_assignment
from sqlalchemy import event, insert, update

import pairing
from bench.common import DEFAULT_PG, fresh_postgres, write_section
from bench.population import NOW, mentoring_population
from mentoring import matching
from pairing.engine import match, weight_matrix
from pairing.model import Candidate, PastPair, Rules
from store import queries
from store.db import Database
from store.models import Match, MatchRound, MatchStatus, Participant, Programme, ProgrammeStatus

RULES = Rules(min_overlap_hours=1.0)
START, END = "<!-- round:start -->", "<!-- round:end -->"
TARGET_ROUND_S = 5.0
TARGET_ENGINE = {10000: (1.5, 250.0), 30000: (6.0, 600.0)}  # seconds, MB
TARGET_QUALITY = 99.9


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f}/{five:.1f}"


def _spread(values: Sequence[float]) -> str:
    return f"{min(values):.2f}-{max(values):.2f}"


def _verdict(ok: bool) -> str:
    return "met" if ok else "**MISSED**"


# ---------------------------------------------------------------------------------------------------------------
# *Match now* end to end on PostgreSQL


def _store_population(db: Database, team_id: str, people: list[Candidate], past: list[PastPair]) -> int:
    """A programme with these people, and their past pairs as ended matches of an earlier round."""
    with db.begin() as session:
        programme = Programme(team_id=team_id, slug="grow", name="Grow", status=ProgrammeStatus.ACTIVE.value)
        session.add(programme)
        session.flush()
        assert programme.id is not None
        rows = [
            {
                "team_id": team_id,
                "programme_id": programme.id,
                "slack_user_id": c.id,
                "display_name": c.id,
                "title": c.title,
                "role": c.role,
                "skills_offered": sorted(c.skills_offered),
                "skills_wanted": sorted(c.skills_wanted),
                "goals": c.goals,
                "department": c.department,
                "self_group": "",
                "capacity": c.capacity if c.role == "mentor" else None,
                "timezone": c.timezone,
                "meeting_mode": c.meeting_mode,
                "rather_not": sorted(c.rather_not),
                "manager_id": c.manager_id,
                "status": "active",
                "status_reason": "",
                "missed_rounds": c.missed_rounds,
                "unanswered_checkins": 0,
                "consent_version": "1",
                "consented_at": NOW,
                "joined_at": NOW,
                "updated_at": NOW,
            }
            for c in people
        ]
        session.execute(insert(Participant.__table__), rows)  # type: ignore[attr-defined]
        earlier = MatchRound(
            team_id=team_id, programme_id=programme.id, cycle_number=0, seed=0, created_by="UADMIN", status="released"
        )
        session.add(earlier)
        session.flush()
        assert earlier.id is not None
        roles = {c.id: c.role for c in people}
        queries.insert_proposals(
            session=session,
            team_id=team_id,
            programme_id=programme.id,
            round_id=earlier.id,
            cycle_number=0,
            matches=[queries.NewMatch(50.0, ["earlier"], [(p.a, roles[p.a]), (p.b, roles[p.b])]) for p in past],
        )
        session.execute(
            update(Match)
            .where(Match.round_id == earlier.id)  # type: ignore[arg-type]
            .values(status=MatchStatus.ENDED.value, ended_at=NOW - timedelta(days=30))
        )
        return programme.id


@contextmanager
def _counting(db: Database) -> Iterator[list[int]]:
    count = [0]

    def note(*_args: Any) -> None:
        count[0] += 1

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield count
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def _timed_engine(original: Callable[..., pairing.MatchResult], spent: list[float], **fixed: Any) -> Any:
    def run(*args: Any, **kwargs: Any) -> pairing.MatchResult:
        t0 = time.perf_counter()
        try:
            return original(*args, **kwargs, **fixed)
        finally:
            spent.append(time.perf_counter() - t0)

    return run


def round_runs(pg_url: str, n: int, runs: int) -> dict[str, list[dict[str, float]]]:
    """Each run: a fresh programme of n mentees and 0.3 n mentors, *Match now* (timed, statements counted, the
    engine's share timed), then the release. Shortlist engine and full scoring alternate on fresh programmes."""
    people, past = mentoring_population(n, int(n * 0.3), seed=7)
    out: dict[str, list[dict[str, float]]] = {"shortlist": [], "full scoring": []}
    with fresh_postgres(pg_url, "mentorbot_round", migrated=True) as url:
        db = Database.from_url(url)
        try:
            for run in range(runs):
                for name, exhaustive in (("shortlist", False), ("full scoring", True)):
                    team_id = f"T{run}{int(exhaustive)}"
                    programme_id = _store_population(db, team_id, people, past)
                    engine_s: list[float] = []
                    load = _load()
                    patched = _timed_engine(pairing.match, engine_s, exhaustive=exhaustive)
                    with mock.patch.object(pairing, "match", patched), _counting(db) as statements:
                        t0 = time.perf_counter()
                        with db.begin() as session:
                            preview = matching.start_round(
                                session=session, programme_id=programme_id, admin_id="UADMIN", now=NOW
                            )
                        wall = time.perf_counter() - t0
                    with _counting(db) as release_statements:
                        t1 = time.perf_counter()
                        with db.begin() as session:
                            done = matching.release_preview(
                                session=session, round_id=preview.round_id, admin_id="UADMIN", now=NOW
                            )
                        release = time.perf_counter() - t1
                    assert done is not None
                    out[name].append(
                        {
                            "wall": wall,
                            "engine": engine_s[0],
                            "statements": statements[0],
                            "release": release,
                            "release_statements": release_statements[0],
                            "matches": len(preview.proposals),
                            "load": float(load.split("/")[0]),
                        }
                    )
                    print(f"  round {name} run {run + 1}: {wall:.2f} s, load {load}", file=sys.stderr)
        finally:
            db.dispose()
    return out


# ---------------------------------------------------------------------------------------------------------------
# The engine alone, in a fresh process per case


def _engine_child(n: int, runs: int, exhaustive: bool) -> None:
    people, past = mentoring_population(n, int(n * 0.3), seed=7)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times, loads = [], []
    rss_growth = 0.0
    result = None
    for run in range(runs):
        loads.append(os.getloadavg()[0])
        t0 = time.perf_counter()
        result = match(people, mode="mentoring", past_pairs=past, rules=RULES, now=NOW, seed=run, exhaustive=exhaustive)
        times.append(time.perf_counter() - t0)
        if run == 0:
            rss_growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    tracemalloc.start()
    match(people, mode="mentoring", past_pairs=past, rules=RULES, now=NOW, seed=0, exhaustive=exhaustive)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result is not None
    print(
        json.dumps(
            {
                "times": times,
                "loads": loads,
                "traced_peak_mb": peak / 2**20,
                "rss_growth_mb": rss_growth,
                "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "matched_pct": result.stats()["matched_pct"],
                "notes": list(result.notes),
            }
        )
    )


def engine_case(n: int, runs: int, exhaustive: bool) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.round_bench", "--child", str(n), str(runs), str(int(exhaustive))],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    data: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return data


# ---------------------------------------------------------------------------------------------------------------
# Quality against the exact optimum


def quality(n: int, seed: int) -> dict[str, float]:
    """Totals of the shortlist engine, the full-scoring engine and the exact optimum (scipy linear_sum_assignment
    on the full matrix, mentors expanded to capacity slots, cardinality first), all on the same objective."""
    people, past = mentoring_population(n, int(n * 0.3), seed=seed)
    mentees = [c.id for c in people if c.role == "mentee"]
    mentors = [c for c in people if c.role == "mentor" and c.capacity > 0]
    w = weight_matrix(people, mentees, [m.id for m in mentors], mode="mentoring", past_pairs=past, rules=RULES, now=NOW)
    row = {e: i for i, e in enumerate(mentees)}
    col = {m.id: j for j, m in enumerate(mentors)}
    totals: dict[str, float] = {}
    for name, exhaustive in (("shortlist", False), ("full scoring", True)):
        res = match(people, mode="mentoring", past_pairs=past, rules=RULES, now=NOW, seed=seed, exhaustive=exhaustive)
        totals[name] = float(sum(w[row[e], col[m]] for m, e in (x.members for x in res.matches)))
        totals[f"{name} matches"] = float(len(res.matches))
    slots = np.repeat(np.arange(len(mentors)), [m.capacity for m in mentors])
    dense = w[:, slots].astype(np.float64)
    del w
    t0 = time.perf_counter()
    r, c = linear_sum_assignment(np.where(np.isfinite(dense), 1e7 + dense, 0.0), maximize=True)
    ok = np.isfinite(dense[r, c])
    totals["exact"] = float(dense[r[ok], c[ok]].sum())
    totals["exact matches"] = float(ok.sum())
    totals["exact seconds"] = time.perf_counter() - t0
    return totals


# ---------------------------------------------------------------------------------------------------------------


def _median(rows: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def run(pg_url: str, quick: bool) -> str:
    started = time.perf_counter()
    n_round = 1000 if quick else 10000
    sizes = (1000, 3000) if quick else (10000, 30000)
    runs = 3
    cmd = f"`.venv/bin/python -m bench.round_bench{' --quick' if quick else ''}`"
    lines = [
        START,
        "## A whole matching round",
        "",
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {'QUICK smoke run; ' if quick else ''}{cmd} "
        f"(PostgreSQL at `{DEFAULT_PG}` unless `--pg`). Population from `bench/population.py` (seed 7; mentors have "
        "capacity 1-5); rules: no repeats, at least 1 h of shared working hours. Medians of "
        f"{runs} runs; spread = min-max; load = the machine's 1-minute load average when each run started (2 cores: "
        "a load above 2 means the run shared the CPU). Baseline, same run: the same path with the engine scoring "
        "every mentee against every mentor (`match(..., exhaustive=True)`, the engine before this change).",
        "",
    ]
    rounds = round_runs(pg_url, n_round, runs)
    lines += [
        f"### *Match now* to the stored preview, {n_round:,} mentees / {int(n_round * 0.3):,} mentors, PostgreSQL",
        "",
        "`mentoring.matching.start_round` in one unit of work (read people, past pairs and places taken, run the "
        "engine, store the preview, audit, build the preview from what was stored), committed; then "
        "`release_preview`. Statements "
        "are counted with SQLAlchemy's `before_cursor_execute`.",
        "",
        "| engine | median round | spread | engine share | SQL statements | release | release statements "
        "| matches | load | target (round <= 5 s) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, rows in rounds.items():
        wall = _median(rows, "wall")
        target = _verdict(wall <= TARGET_ROUND_S) if name == "shortlist" else "baseline"
        lines.append(
            f"| {name} | {wall:.2f} s | {_spread([r['wall'] for r in rows])} s | {_median(rows, 'engine'):.2f} s "
            f"| {int(_median(rows, 'statements'))} | {_median(rows, 'release'):.2f} s "
            f"| {int(_median(rows, 'release_statements'))} | {int(_median(rows, 'matches')):,} "
            f"| {', '.join(f'{x:.1f}' for x in (r['load'] for r in rows))} | {target} |"
        )
    short, full = _median(rounds["shortlist"], "wall"), _median(rounds["full scoring"], "wall")
    lines += ["", f"Ratio full scoring / shortlist, whole round: {full / short:.2f}x.", ""]
    lines += [
        "### The engine alone (`pairing.match`, mentoring), each case in a fresh process",
        "",
        "Memory: `tracemalloc` peak of one extra call (numpy's buffers are traced), and the growth of the process's "
        "peak RSS over the first call.",
        "",
        "| mentees / mentors | engine | median | spread | load | tracemalloc peak | RSS growth | matched "
        "| target | verdict |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    notes = []
    for n in sizes:
        cases = {"shortlist": engine_case(n, runs, False), "full scoring": engine_case(n, runs, True)}
        target_s, target_mb = TARGET_ENGINE.get(n, (float("inf"), float("inf")))
        for name, data in cases.items():
            med = statistics.median(data["times"])
            verdict = (
                _verdict(med <= target_s and data["traced_peak_mb"] <= target_mb) if name == "shortlist" else "baseline"
            )
            lines.append(
                f"| {n:,} / {int(n * 0.3):,} | {name} | {med:.2f} s | {_spread(data['times'])} s "
                f"| {', '.join(f'{x:.1f}' for x in data['loads'])} | {data['traced_peak_mb']:.0f} MB "
                f"| {data['rss_growth_mb']:.0f} MB | {data['matched_pct']:.1f} % "
                f"| <= {target_s:g} s, <= {target_mb:g} MB | {verdict} |"
            )
        ratio = statistics.median(cases["full scoring"]["times"]) / statistics.median(cases["shortlist"]["times"])
        notes.append(f"{n:,}: full scoring / shortlist {ratio:.2f}x; {'; '.join(cases['shortlist']['notes'])}.")
    lines += ["", *(f"- {x}" for x in notes), ""]
    q_n = 2000 if quick else 10000
    q = quality(q_n, 7)
    pct = 100 * q["shortlist"] / q["exact"]
    lines += [
        f"### Quality at {q_n:,} mentees / {int(q_n * 0.3):,} mentors (seed 7)",
        "",
        "Exact = scipy `linear_sum_assignment` on the full objective matrix with mentors expanded to capacity slots, "
        f"cardinality first ({q['exact seconds']:.0f} s). Every method's pairs are scored on that same matrix.",
        "",
        "| method | matches | total | vs exact | target |",
        "| --- | --- | --- | --- | --- |",
        f"| shortlist engine | {q['shortlist matches']:,.0f} | {q['shortlist']:,.2f} | {pct:.3f} % "
        f"| >= {TARGET_QUALITY} %: {_verdict(pct >= TARGET_QUALITY)} |",
        f"| full-scoring engine | {q['full scoring matches']:,.0f} | {q['full scoring']:,.2f} "
        f"| {100 * q['full scoring'] / q['exact']:.3f} % | baseline |",
        f"| exact | {q['exact matches']:,.0f} | {q['exact']:,.2f} | 100.000 % | |",
        "",
        f"Benchmark wall time: {time.perf_counter() - started:.0f} s.",
        END,
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--no-write", action="store_true", help="print only, leave bench/RESULTS.md alone")
    parser.add_argument("--pg", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_PG), help="PostgreSQL URL")
    parser.add_argument("--child", nargs=3, metavar=("N", "RUNS", "EXHAUSTIVE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _engine_child(int(args.child[0]), int(args.child[1]), bool(int(args.child[2])))
        return
    section = run(args.pg, args.quick)
    sys.stdout.write(section + "\n")
    if not args.no_write:
        write_section(START, END, section)


if __name__ == "__main__":
    main()

"""Pairing engine benchmark: speed, memory, quality against the exact optimum and baselines, fairness.

Run from the repository root: ``.venv/bin/python -m bench.pairing_bench`` (full, a few minutes) or with ``--quick``
(small smoke run). Results go to ``bench/RESULTS.md`` between the pairing markers (``--no-write`` to skip).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import numpy as np
import rustworkx as rx
from scipy.optimize import linear_sum_assignment

from bench.common import write_section
from bench.population import NOW, mentoring_population, peer_population
from pairing.engine import allowed, match, weight_matrix
from pairing.fairness import unmatched_rates
from pairing.features import PastIndex
from pairing.model import Candidate, Mode, PastPair, Rules

RULES = Rules(min_overlap_hours=1.0)
START, END = "<!-- pairing:start -->", "<!-- pairing:end -->"


# ---------------------------------------------------------------------------------------------------------------
# Speed and memory, each in a fresh subprocess


def _child(kind: str, n: int, runs: int) -> None:
    if kind == "mentoring":
        people, past = mentoring_population(n, int(n * 0.3), seed=7)
        mode: Mode = "mentoring"
    else:
        people, past = peer_population(n, seed=7)
        mode = "peer_pairs"
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times = []
    result = None
    for run in range(runs):
        t0 = time.perf_counter()
        result = match(people, mode=mode, past_pairs=past, rules=RULES, now=NOW, seed=run)
        times.append(time.perf_counter() - t0)
        if run == 0:
            after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert result is not None
    rates = unmatched_rates(people, result)
    print(
        json.dumps(
            {
                "times": times,
                "rss_before_mb": before / 1024,
                "rss_peak_mb": after / 1024,
                "stats": result.stats(),
                "rates": rates,
                "notes": result.notes,
            }
        )
    )


def _run_child(kind: str, n: int, runs: int) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.pairing_bench", "--child", kind, str(n), str(runs)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    data: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return data


# ---------------------------------------------------------------------------------------------------------------
# Quality: engine vs exact vs greedy vs random, on the same populations


def _violations(people: Sequence[Candidate], past: Sequence[PastPair], groups: Sequence[tuple[str, str]]) -> int:
    by_id = {c.id: c for c in people}
    managers = {c.id: c.manager_id for c in people}
    index = PastIndex.build(past, rules=RULES, now=NOW)
    bad = sum(not allowed(by_id[a], by_id[b], past=index, rules=RULES, now=NOW, managers=managers) for a, b in groups)
    load = Counter(a for a, _ in groups)
    seen = Counter(x for g in groups for x in g)
    if by_id and next(iter(by_id.values())).role != "peer":
        bad += sum(max(0, k - by_id[m].capacity) for m, k in load.items())
        bad += sum(k > 1 for x, k in seen.items() if by_id[x].role == "mentee")
    else:
        bad += sum(k > 1 for k in seen.values())
    return bad


def _mentoring_methods(
    people: list[Candidate], past: list[PastPair], seed: int
) -> dict[str, tuple[list[tuple[str, str]], float]]:
    """Each method's (mentor, mentee) pairs and objective, scored on the same matrix."""
    mentees = [c.id for c in people if c.role == "mentee"]
    mentors = [c for c in people if c.role == "mentor" and c.capacity > 0]
    w = weight_matrix(people, mentees, [m.id for m in mentors], mode="mentoring", past_pairs=past, rules=RULES, now=NOW)
    col = {m.id: j for j, m in enumerate(mentors)}
    row = {e: i for i, e in enumerate(mentees)}
    out: dict[str, tuple[list[tuple[str, str]], float]] = {}
    res = match(people, mode="mentoring", past_pairs=past, rules=RULES, now=NOW, seed=seed)
    pairs = [(m.members[0], m.members[1]) for m in res.matches]
    out["engine"] = (pairs, float(sum(w[row[e], col[m]] for m, e in pairs)))
    # exact: mentors expanded to capacity slots; cardinality first through a constant larger than any score total
    slots = np.repeat(np.arange(len(mentors)), [m.capacity for m in mentors])
    big = 1e7
    dense = w[:, slots].astype(np.float64)
    gain = np.where(np.isfinite(dense), big + dense, 0.0)
    r, c = linear_sum_assignment(gain, maximize=True)
    ok = np.isfinite(dense[r, c])
    pairs = [(mentors[slots[j]].id, mentees[i]) for i, j in zip(r[ok], c[ok], strict=True)]
    out["exact"] = (pairs, float(dense[r[ok], c[ok]].sum()))
    # greedy best-first over all allowed pairs
    fin = np.argwhere(np.isfinite(w))
    order = np.argsort(-w[fin[:, 0], fin[:, 1]], kind="stable")
    left = {m.id: m.capacity for m in mentors}
    taken: set[int] = set()
    pairs, total = [], 0.0
    for i, j in fin[order]:
        if i in taken or left[mentors[j].id] == 0:
            continue
        taken.add(int(i))
        left[mentors[j].id] -= 1
        pairs.append((mentors[j].id, mentees[i]))
        total += float(w[i, j])
    out["greedy"] = (pairs, total)
    # random among allowed pairs (what Donut-like bots do)
    rng = random.Random(seed)
    left = {m.id: m.capacity for m in mentors}
    pairs, total = [], 0.0
    for i in rng.sample(range(len(mentees)), len(mentees)):
        options = [j for j in np.flatnonzero(np.isfinite(w[i])) if left[mentors[j].id] > 0]
        if options:
            j = rng.choice(options)
            left[mentors[j].id] -= 1
            pairs.append((mentors[j].id, mentees[i]))
            total += float(w[i, j])
    out["random"] = (pairs, total)
    return out


def _peer_methods(
    people: list[Candidate], past: list[PastPair], seed: int
) -> dict[str, tuple[list[tuple[str, str]], float]]:
    ids = [c.id for c in people]
    pos = {x: i for i, x in enumerate(ids)}
    w = weight_matrix(people, ids, ids, mode="peer_pairs", past_pairs=past, rules=RULES, now=NOW)
    out: dict[str, tuple[list[tuple[str, str]], float]] = {}
    res = match(people, mode="peer_pairs", past_pairs=past, rules=RULES, now=NOW, seed=seed)
    pairs = [(m.members[0], m.members[1]) for m in res.matches]
    out["engine"] = (pairs, float(sum(w[pos[a], pos[b]] for a, b in pairs)))
    iu = np.triu_indices(len(ids), 1)
    vals = w[iu]
    ok = np.isfinite(vals)
    a, b, v = iu[0][ok], iu[1][ok], vals[ok]
    graph: rx.PyGraph = rx.PyGraph()
    graph.add_nodes_from(range(len(ids)))
    graph.add_edges_from(list(zip(a.tolist(), b.tolist(), np.rint(v * 100).astype(np.int64).tolist(), strict=True)))
    exact = rx.max_weight_matching(graph, max_cardinality=True, weight_fn=lambda x: x)
    pairs = [(ids[min(x, y)], ids[max(x, y)]) for x, y in exact]
    out["exact"] = (pairs, float(sum(w[pos[x], pos[y]] for x, y in pairs)))
    order = np.argsort(-v, kind="stable")
    used: set[int] = set()
    pairs, total = [], 0.0
    for x, y in zip(a[order].tolist(), b[order].tolist(), strict=True):
        if x not in used and y not in used:
            used.update((x, y))
            pairs.append((ids[x], ids[y]))
            total += float(w[x, y])
    out["greedy"] = (pairs, total)
    rng = random.Random(seed)
    used = set()
    pairs, total = [], 0.0
    for x in rng.sample(range(len(ids)), len(ids)):
        if x in used:
            continue
        options = [y for y in np.flatnonzero(np.isfinite(w[x])) if y not in used and y != x]
        if options:
            y = int(rng.choice(options))
            used.update((x, y))
            pairs.append((ids[min(x, y)], ids[max(x, y)]))
            total += float(w[x, y])
    out["random"] = (pairs, total)
    return out


def quality(kind: str, n: int, seeds: Sequence[int]) -> list[str]:
    rows: dict[str, list[tuple[float, float, float, int, float]]] = {}
    for seed in seeds:
        if kind == "mentoring":
            people, past = mentoring_population(n, int(n * 0.3), seed=seed)
            methods = _mentoring_methods(people, past, seed)
            eligible = len(people)
        else:
            people, past = peer_population(n, seed=seed)
            methods = _peer_methods(people, past, seed)
            eligible = len(people)
        exact_total = methods["exact"][1]
        exact_count = len(methods["exact"][0])
        for name, (pairs, total) in methods.items():
            matched = len({x for p in pairs for x in p})
            rows.setdefault(name, []).append(
                (
                    total / len(pairs) if pairs else 0.0,
                    100.0 * matched / eligible,
                    100.0 * total / exact_total,
                    _violations(people, past, pairs),
                    100.0 * len(pairs) / exact_count,
                )
            )
    lines = [
        "| method | mean score | % matched | total score vs exact | matches vs exact | constraint violations |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name in ("engine", "exact", "greedy", "random"):
        r = rows[name]
        lines.append(
            f"| {name} | {statistics.mean(x[0] for x in r):.2f} | {statistics.mean(x[1] for x in r):.2f} % "
            f"| {min(x[2] for x in r):.3f} % (min), {statistics.mean(x[2] for x in r):.3f} % (mean) "
            f"| {min(x[4] for x in r):.2f} % (min) | {sum(x[3] for x in r)} |"
        )
    return lines


# ---------------------------------------------------------------------------------------------------------------
# Fairness across rounds: scarce mentors, no repeats within the programme


def rounds_simulation(
    n_mentees: int, bonus: float, *, reset_on_match: bool, seed: int = 11, rounds: int = 4
) -> dict[str, float]:
    """``reset_on_match``: missed_rounds counts consecutive misses; otherwise every miss in the programme."""
    rng = random.Random(seed)
    people, _ = mentoring_population(n_mentees, n_mentees // 4, seed=seed)
    mentees = [c for c in people if c.role == "mentee"]
    mentors = [c for c in people if c.role == "mentor"]
    slots = int(0.8 * len(mentees))
    caps = [1] * len(mentors)
    for _ in range(slots - len(mentors)):
        caps[rng.randrange(len(mentors))] += 1
    mentors = [replace(m, capacity=k) for m, k in zip(mentors, caps, strict=True)]
    rules = replace(RULES, priority_bonus=bonus)
    missed: Counter[str] = Counter()
    history: list[PastPair] = []
    misses: Counter[str] = Counter()
    for r in range(rounds):
        now = NOW + timedelta(weeks=4 * r)
        pool = mentors + [replace(m, missed_rounds=missed[m.id]) for m in mentees]
        res = match(pool, mode="mentoring", past_pairs=history, rules=rules, now=now, seed=r)
        got = res.matched_ids()
        for m in mentees:
            if m.id in got:
                if reset_on_match:
                    missed[m.id] = 0
            else:
                missed[m.id] += 1
                misses[m.id] += 1
        history += [PastPair(a, b, now, True) for a, b in (x.members for x in res.matches)]
    return {
        "mentees": float(len(mentees)),
        "slots": float(slots),
        "missed_two_or_more": float(sum(1 for m in mentees if misses[m.id] >= 2)),
        "never_matched": float(sum(1 for m in mentees if misses[m.id] == rounds)),
        "matched_every_round": float(sum(1 for m in mentees if misses[m.id] == 0)),
    }


# ---------------------------------------------------------------------------------------------------------------


def _rates_table(rates: dict[str, dict[str, float]]) -> list[str]:
    lines = ["| group | unmatched rate |", "| --- | --- |"]
    for kind in ("role", "department"):
        for name, value in sorted(rates[kind].items(), key=lambda kv: kv[0]):
            lines.append(f"| {kind}: {name} | {100 * value:.1f} % |")
    return lines


def run(quick: bool) -> str:
    big_m, big_p = (2000, 2000) if quick else (10000, 10000)
    q_n, q_seeds = (300, [1]) if quick else (2000, [1, 2, 3])
    qp_n, qp_seeds = (300, [1]) if quick else (2000, [1])
    runs = 2 if quick else 5
    sim_n = 200 if quick else 1000
    started = time.perf_counter()
    lines = [
        START,
        "## Pairing engine",
        "",
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}; "
        f"{'QUICK smoke run' if quick else 'full run'}; `.venv/bin/python -m bench.pairing_bench"
        f"{' --quick' if quick else ''}`. Populations from `bench/population.py` (20 skills, goals from a 40-word "
        "vocabulary, 10 timezones, 10 departments of uneven sizes, titles, manager chains, rather-not lists, past "
        "pairs, meeting modes and offices), rules: no repeats, min 1 h shared working hours.",
        "",
    ]
    m = _run_child("mentoring", big_m, runs)
    p = _run_child("peers", big_p, max(2, runs - 2))
    mt, pt = m["times"], p["times"]
    assert isinstance(mt, list) and isinstance(pt, list)
    ms, ps = m["stats"], p["stats"]
    assert isinstance(ms, dict) and isinstance(ps, dict)
    lines += [
        "### Speed and memory (each in a fresh subprocess; wall time of `match()`, median of the runs)",
        "",
        "| case | runs | median wall | min / max | peak RSS of the process | RSS growth during `match()` | matched |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        f"| mentoring: {big_m:,} mentees + {int(big_m * 0.3):,} mentors (capacity 1-5) | {len(mt)} "
        f"| {statistics.median(mt):.2f} s | {min(mt):.2f} / {max(mt):.2f} s | {m['rss_peak_mb']:.0f} MB "
        f"| {float(m['rss_peak_mb']) - float(m['rss_before_mb']):.0f} MB | {ms['matched_pct']:.1f} % |",  # type: ignore[arg-type]
        f"| peer pairs: {big_p:,} peers | {len(pt)} | {statistics.median(pt):.2f} s | {min(pt):.2f} / {max(pt):.2f} s "
        f"| {p['rss_peak_mb']:.0f} MB | {float(p['rss_peak_mb']) - float(p['rss_before_mb']):.0f} MB "  # type: ignore[arg-type]
        f"| {ps['matched_pct']:.1f} % |",
        "",
        "Memory is `resource.getrusage(RUSAGE_SELF).ru_maxrss` in the child: the peak RSS of the whole process "
        "(interpreter, numpy/scipy/OR-Tools/rustworkx and the population included) after the first `match()`, and "
        "its growth over the value measured just before that call.",
        "",
        f"Solver notes (mentoring): {'; '.join(m['notes'])}.  ",  # type: ignore[arg-type]
        f"Solver notes (peers): {'; '.join(p['notes'])}.",  # type: ignore[arg-type]
        "",
        f"### Quality, mentoring: {q_n:,} mentees + {int(q_n * 0.3):,} mentors, {len(q_seeds)} populations",
        "",
        "Exact = scipy `linear_sum_assignment` on the dense matrix with mentors expanded to capacity slots, "
        "cardinality first (a constant larger than any score total added to every allowed cell). All methods are "
        "scored on the same objective matrix; violations are re-checked pair by pair with `pairing.engine.allowed` "
        "plus capacity.",
        "",
        *quality("mentoring", q_n, q_seeds),
        "",
        f"### Quality, peer pairs: {qp_n:,} peers, {len(qp_seeds)} population(s)",
        "",
        "Exact = rustworkx `max_weight_matching(max_cardinality=True)` over all allowed pairs.",
        "",
        *quality("peers", qp_n, qp_seeds),
        "",
        f"### Fairness: unmatched rate by group (the mentoring run above, {big_m:,} mentees, slots < mentees)",
        "",
        *_rates_table(m["rates"]),  # type: ignore[arg-type]
        "",
        f"### Fairness across 4 rounds: {sim_n:,} mentees, mentor slots = 0.8 x mentees, no repeated pairs",
        "",
        "| priority bonus per missed round | `missed_rounds` passed by the caller | mentees missing 2+ rounds "
        "| never matched | matched every round |",
        "| --- | --- | --- | --- | --- |",
    ]
    for bonus, reset in ((0.0, True), (RULES.priority_bonus, True), (RULES.priority_bonus, False)):
        sim = rounds_simulation(sim_n, bonus, reset_on_match=reset)
        lines.append(
            f"| {bonus:g}{' (default)' if bonus else ''} "
            f"| {'consecutive misses (reset when matched)' if reset else 'all misses in the programme'} "
            f"| {sim['missed_two_or_more']:.0f} | {sim['never_matched']:.0f} "
            f"| {sim['matched_every_round']:.0f} of {sim['mentees']:.0f} |"
        )
    lines += ["", f"Benchmark wall time: {time.perf_counter() - started:.0f} s.", END]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--no-write", action="store_true", help="print only, leave bench/RESULTS.md alone")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "N", "RUNS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child[0], int(args.child[1]), int(args.child[2]))
        return
    section = run(args.quick)
    sys.stdout.write(section + "\n")
    if not args.no_write:
        write_section(START, END, section)


if __name__ == "__main__":
    main()

"""The pairing engine: hard constraints, scores with reasons, and the solver for each mode.

Callers exclude paused people and people who left before calling :func:`match`; everyone passed in is eligible.
To make the next round fair, callers increase ``missed_rounds`` for everyone in ``MatchResult.unmatched`` and
reset it to 0 for everyone matched (the engine then gives them priority through ``Rules.priority_bonus``).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain, combinations
from operator import attrgetter
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from pairing.features import (
    BoolArray,
    Features,
    FloatArray,
    IntArray,
    PastIndex,
    block_weights,
    forbidden_pairs,
    goal_tokens,
    meeting_compatible,
    mentoring_explanations,
    mentoring_pair_weights,
    overlap_hours,
    pair_components,
    reporting_chain,
    roles_compatible,
    weighted_score,
)
from pairing.model import Candidate, MatchResult, Mode, Pairing, PastPair, Rules, Unmatched, Weights
from pairing.solvers import bipartite_b_matching, fractional_matching_successors, general_matching

SCORING_THREADS = 2  # this service runs on 2 cores
BLOCK_ROWS = 768  # rows scored at once: bounds memory to a few (BLOCK_ROWS x n) float32 matrices
MENTEE_TOP_K = 12  # each mentee's best mentors kept in the sparse graph
SHORTLIST_PER_KEY = 64  # scored per mentee: this many mentors per wanted skill (or combination), and overall
MAX_COMBINED_SKILLS = 5  # mentees wanting more skills are shortlisted skill by skill only
MENTOR_TOP_PER_SLOT = 3  # each mentor keeps its best (3 x capacity + 2) mentees as well
PEER_TOP_K = 15  # each peer's best partners
SHORTLIST_BLOCK = 4096  # at most this many mentees' shortlists gathered, scored and ranked at once
MIN_SHORTLIST_BLOCKS = 8  # and at least this many blocks, so both threads stay busy to the end
SELECT_CELLS = 1 << 20  # classes x mentors searched at once for each key's best
RANK_BAND_BITS = 6  # ranking within groups first counts entries in 2**6 bands of value
FALLBACK_TOP = 200  # extra edges per person left out by the sparse graph, added before re-solving
REPAIR_NEIGHBOURS = 30  # around a peer left alone, the best partners whose pairs are re-solved
REPAIR_LIMIT = 3000  # largest subproblem handed to the exact blossom solver
DENSE_CIRCLES_LIMIT = 3000
_T = TypeVar("_T")
_I = TypeVar("_I")
TIE_SCALE = 64  # integer weights: 0.01 score points x TIE_SCALE, plus a seeded tie-breaker below TIE_SCALE


# ---------------------------------------------------------------------------------------------------------------
# Public per-pair functions


def allowed(
    a: Candidate,
    b: Candidate,
    *,
    past: Sequence[PastPair] | PastIndex,
    rules: Rules,
    now: datetime,
    managers: Mapping[str, str | None],
    mode: Mode | None = None,
) -> bool:
    """Every hard constraint for one pair (both orders give the same answer).

    ``managers`` maps person id -> manager id (people outside the round included, so chains are complete).
    Without ``mode``, roles must be mentor+mentee or peer+peer.
    """
    if a.id == b.id:
        return False
    if mode == "mentoring":
        if {a.role, b.role} != {"mentor", "mentee"}:
            return False
        mentor = a if a.role == "mentor" else b
        if mentor.capacity <= 0:
            return False
    elif mode is not None:
        if not a.role == b.role == "peer":
            return False
    elif not roles_compatible(a, b):
        return False
    if b.id in a.rather_not or a.id in b.rather_not:
        return False
    if b.id in reporting_chain(a.id, managers) or a.id in reporting_chain(b.id, managers):
        return False
    index = past if isinstance(past, PastIndex) else PastIndex.build(past, rules=rules, now=now)
    if frozenset((a.id, b.id)) in index:
        return False
    if not meeting_compatible(a, b):
        return False
    return not (rules.min_overlap_hours > 0 and overlap_hours(a, b) < rules.min_overlap_hours - 1e-3)


def broken_rule(
    a: Candidate,
    b: Candidate,
    *,
    past: Sequence[PastPair] | PastIndex,
    rules: Rules,
    now: datetime,
    managers: Mapping[str, str | None],
    mode: Mode,
) -> str | None:
    """The first hard rule that forbids this pair, named for an admin (None: allowed, as `allowed` says).

    A private "rather not" is named as such without saying whose it is."""
    if a.id == b.id:
        return "the same person twice"
    if mode == "mentoring":
        if {a.role, b.role} != {"mentor", "mentee"}:
            return "roles: this programme pairs a mentor with a mentee"
        mentor = a if a.role == "mentor" else b
        if mentor.capacity <= 0:
            return "capacity: the mentor has no room for another mentee"
    elif not a.role == b.role == "peer":
        return "roles: this programme pairs peers"
    if b.id in a.rather_not or a.id in b.rather_not:
        return "a private preference: one of them asked not to be matched with the other"
    if b.id in reporting_chain(a.id, managers) or a.id in reporting_chain(b.id, managers):
        return "reporting line: one of them reports to the other"
    index = past if isinstance(past, PastIndex) else PastIndex.build(past, rules=rules, now=now)
    if frozenset((a.id, b.id)) in index:
        return "repeat pair: they were matched before"
    if not meeting_compatible(a, b):
        return "meeting mode: one meets only in person and the other cannot meet them there"
    if rules.min_overlap_hours > 0 and overlap_hours(a, b) < rules.min_overlap_hours - 1e-3:
        return "shared working hours: too few"
    return None


def score_pair(a: Candidate, b: Candidate, *, weights: Weights, mode: Mode) -> tuple[float, tuple[str, ...]]:
    """Score (0..100) and human reasons for one pair; in mentoring the order of a and b does not matter."""
    if mode == "mentoring" and a.role == "mentee" and b.role == "mentor":
        a, b = b, a
    components, reasons = pair_components(a, b, mode, weights=weights)
    return round(weighted_score(components, weights), 2), tuple(reasons)


# ---------------------------------------------------------------------------------------------------------------
# Round context


@dataclass
class _Round:
    people: list[Candidate]
    features: Features
    weights: Weights
    rules: Rules
    mode: Mode
    rng: np.random.Generator
    seed: int
    past_forbidden: dict[int, set[int]]
    private_forbidden: dict[int, set[int]]
    notes: list[str] = field(default_factory=list)
    exhaustive: bool = False  # score every pair instead of a shortlist (the reference path)
    has_partner: BoolArray | None = None  # people known to have an allowed partner (a finite edge in the graph)

    def pair_weights(self, mentees: IntArray, mentors: IntArray) -> FloatArray:
        """Mentoring objective for chosen (mentee, mentor) pairs, -inf where any hard constraint forbids them."""
        obj = mentoring_pair_weights(self.features, mentees, mentors, weights=self.weights, rules=self.rules)
        blocked = self.forbidden_keys()
        if len(blocked) and len(obj):
            keys = mentees * len(self.people) + mentors
            at = np.minimum(np.searchsorted(blocked, keys), len(blocked) - 1)
            obj[blocked[at] == keys] = -np.inf
        return obj

    def forbidden_keys(self) -> IntArray:
        """Pair-specific exclusions (past pairs, rather-nots, reporting lines) as sorted keys a * n + b."""
        if self._forbidden is None:
            n = len(self.people)
            keys = [
                a * n + b
                for forb in (self.past_forbidden, self.private_forbidden)
                for a, bs in forb.items()
                for b in bs
            ]
            self._forbidden = _distinct(np.array(keys, dtype=np.int64))
        return self._forbidden

    _forbidden: IntArray | None = None

    def forbidden_positions(self, mentees: IntArray, mentors: IntArray) -> IntArray:
        """Pair-specific exclusions between these mentees and mentors, as sorted keys mentee position x
        len(mentors) + mentor position."""
        n = len(self.people)
        keys = self.forbidden_keys()
        at_e = np.full(n, -1, dtype=np.int64)
        at_e[mentees] = np.arange(len(mentees))
        at_m = np.full(n, -1, dtype=np.int64)
        at_m[mentors] = np.arange(len(mentors))
        e, m = at_e[keys // n], at_m[keys % n]
        ok = (e >= 0) & (m >= 0)
        return np.sort(e[ok] * len(mentors) + m[ok])

    def weights_block(self, rows: IntArray, cols: IntArray, *, rows_are_mentors: bool = False) -> FloatArray:
        """Objective weights (score + priority bonus), -inf where any hard constraint forbids the pair."""
        obj = block_weights(
            self.features,
            rows,
            cols,
            weights=self.weights,
            rules=self.rules,
            mode=self.mode,
            rows_are_mentors=rows_are_mentors,
        )
        colpos = np.full(len(self.people), -1, dtype=np.int64)
        colpos[cols] = np.arange(len(cols))
        hit_r: list[int] = []
        hit_c: list[int] = []
        for r, person in enumerate(rows.tolist()):
            for forb in (self.past_forbidden, self.private_forbidden):
                others = forb.get(person)
                if others:
                    hit_c.extend(others)
                    hit_r.extend([r] * len(others))
        if hit_r:
            rr, cc = np.array(hit_r, dtype=np.int64), colpos[np.array(hit_c, dtype=np.int64)]
            obj[rr[cc >= 0], cc[cc >= 0]] = -np.inf
        return obj

    def int_weights(self, obj: FloatArray) -> IntArray:
        ties = self.rng.integers(0, TIE_SCALE, size=len(obj))
        return (np.rint(obj.astype(np.float64) * 100).astype(np.int64) * TIE_SCALE + ties).astype(np.int64)


def _top_k(obj: FloatArray, k: int) -> tuple[IntArray, IntArray]:
    """(row, col) of each row's best k finite cells."""
    if k <= 0 or obj.size == 0:
        empty = np.zeros(0, np.int64)
        return empty, empty
    if k < obj.shape[1]:
        cols = np.argpartition(-obj, k - 1, axis=1)[:, :k]
    else:
        cols = np.broadcast_to(np.arange(obj.shape[1]), obj.shape)
    rows = np.broadcast_to(np.arange(obj.shape[0])[:, None], cols.shape)
    keep = np.isfinite(obj[rows, cols])
    return rows[keep].astype(np.int64), cols[keep].astype(np.int64)


def _blocks(items: IntArray, size: int = BLOCK_ROWS) -> Iterable[tuple[int, IntArray]]:
    for lo in range(0, len(items), size):
        yield lo, items[lo : lo + size]


def _map_blocks(fn: Callable[[tuple[int, IntArray]], _T], items: IntArray) -> list[_T]:
    """Score blocks on two threads (numpy releases the GIL); results come back in block order."""
    blocks = list(_blocks(items))
    if len(blocks) < 2:
        return [fn(b) for b in blocks]
    with ThreadPoolExecutor(max_workers=SCORING_THREADS) as pool:
        return list(pool.map(fn, blocks))


def _in_parallel(fn: Callable[[_I], _T], items: Sequence[_I]) -> list[_T]:
    """``fn`` of each item on SCORING_THREADS threads (numpy releases the GIL), results in the items' order."""
    if len(items) < 2:
        return [fn(x) for x in items]
    with ThreadPoolExecutor(max_workers=SCORING_THREADS) as pool:
        return list(pool.map(fn, items))


def _dedupe(rows: IntArray, cols: IntArray, vals: FloatArray, width: int) -> tuple[IntArray, IntArray, FloatArray]:
    keys = rows * width + cols
    _, first = np.unique(keys, return_index=True)
    return rows[first], cols[first], vals[first]


# ---------------------------------------------------------------------------------------------------------------
# Mentoring: min-cost flow on a sparse candidate graph


def _dense_edges(
    rd: _Round, mentees: IntArray, mentors: IntArray, caps: IntArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """The sparse graph from scoring every mentee against every mentor, in blocks."""
    n_m = len(mentors)
    rows_l: list[IntArray] = []
    cols_l: list[IntArray] = []
    vals_l: list[FloatArray] = []
    col_rows: list[IntArray] = []
    col_cols: list[IntArray] = []
    col_vals: list[FloatArray] = []
    per_col = MENTOR_TOP_PER_SLOT * caps + 2
    kc = int(per_col.max())

    def score_block(
        item: tuple[int, IntArray],
    ) -> tuple[IntArray, IntArray, FloatArray, IntArray, IntArray, FloatArray]:
        lo, chunk = item
        obj = rd.weights_block(chunk, mentors)
        r, c = _top_k(obj, MENTEE_TOP_K)
        cc, rr = _top_k(np.ascontiguousarray(obj.T), kc)
        return r + lo, c, obj[r, c], rr + lo, cc, obj[rr, cc]

    for r, c, v, rr, cc, vv in _map_blocks(score_block, mentees):
        rows_l.append(r)
        cols_l.append(c)
        vals_l.append(v)
        col_rows.append(rr)
        col_cols.append(cc)
        col_vals.append(vv)
    # each mentor keeps its best per_col mentees across all blocks
    cr, cc, cv = np.concatenate(col_rows), np.concatenate(col_cols), np.concatenate(col_vals)
    order = np.lexsort((-cv, cc))
    cr, cc, cv = cr[order], cc[order], cv[order]
    starts = np.searchsorted(cc, np.arange(n_m))
    rank = np.arange(len(cc)) - starts[cc]
    keep = rank < per_col[cc]
    rows = np.concatenate([*rows_l, cr[keep]])
    cols = np.concatenate([*cols_l, cc[keep]])
    vals = np.concatenate([*vals_l, cv[keep]])
    return _dedupe(rows, cols, vals, n_m)


def _distinct(keys: IntArray) -> IntArray:
    """The sorted distinct values of an integer array (by sorting: faster here than numpy's hashing)."""
    keys = np.sort(keys)
    if len(keys) < 2:
        return keys
    keep = np.empty(len(keys), dtype=np.bool_)
    keep[0] = True
    np.not_equal(keys[1:], keys[:-1], out=keep[1:])
    return keys[keep]


def _top_in_groups(groups: IntArray, q: IntArray, n_groups: int, limit: IntArray) -> BoolArray:
    """Which entries rank below ``limit[group]`` in their group: highest ``q`` first, ties in index order.

    Linear in the entries: they are counted per group in coarse bands of ``q``; a band that fits wholly within its
    group's limit is kept at once, one beyond it is dropped, and only the band where a limit falls is sorted."""
    n = len(groups)
    out = np.zeros(n, dtype=np.bool_)
    if n == 0:
        return out
    gap = q.max() - q  # 0 for the best entry
    bits = min(RANK_BAND_BITS, max(2, (n // max(1, n_groups)).bit_length()))  # about as many bands as entries
    shift = max(0, int(gap.max()).bit_length() - bits)
    n_bands = (int(gap.max()) >> shift) + 1
    cell = groups * n_bands
    cell += gap >> shift
    counts = np.bincount(cell, minlength=n_groups * n_bands)
    ahead = np.cumsum(counts.reshape(n_groups, n_bands), axis=1).ravel()
    ahead -= counts  # entries of the group in better bands
    room = limit[groups] - ahead[cell]  # places left in the group when the entry's band starts
    size = counts[cell]
    np.greater_equal(room, size, out=out)
    partial = np.flatnonzero((room > 0) & (room < size))
    if len(partial):
        # only the bands where a limit falls: rank their entries exactly (by gap, then index)
        order = partial[np.lexsort((partial, gap[partial], cell[partial]))]
        c = cell[order]
        starts = np.flatnonzero(np.concatenate(([True], c[1:] != c[:-1])))
        rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.append(starts, len(order))))
        out[order[rank < room[order]]] = True
    return out


def _quantised(vals: FloatArray) -> IntArray:
    """Objective values to 0.01, as integers (the solver's resolution, ties left to the tie-breaker)."""
    q = vals.astype(np.float64)
    q *= 100
    np.rint(q, out=q)
    return q.astype(np.int64)


@dataclass
class _Shortlist:
    """Where to look for each mentee's mentors, by keys: every mentor (key 0), those offering one wanted skill, and
    those offering two, or all, of the mentee's wanted skills at once (2 to MAX_COMBINED_SKILLS of them).

    Mentees are grouped in classes by working window, seniority and meeting mode and place. For each (key, class)
    the hard rules that depend on those (meeting mode and place, shared hours) and the class-level part of the score
    (shared hours, seniority, the mentor's priority bonus) rank the key's mentors once; the class's best
    ``SHORTLIST_PER_KEY`` are kept in ``best`` (mentor positions, -1 for none). A mentee's shortlist is the union
    of the rows of its keys: work and memory grow with people x classes, not mentees x mentors.
    """

    mentee_class: IntArray  # per mentee position
    mentor_class: IntArray  # per mentor position
    class_part: FloatArray  # mentee class x mentor class: shared hours + seniority, -inf where a class rule forbids
    best: npt.NDArray[np.int32]  # (key, class) rows x SHORTLIST_PER_KEY mentor positions
    starts: IntArray  # per mentee position, where its rows of `best` are listed in `rows` (and one past the end)
    rows: IntArray  # rows of `best`, mentee by mentee

    @classmethod
    def build(cls, rd: _Round, mentees: IntArray, mentors: IntArray) -> _Shortlist:
        f = rd.features
        score_table, bad_table = f.class_tables(rd.weights, rd.rules, "mentoring", False)
        n_levels, n_meets = f.sen_peer_table.shape[0], f.meet_bad.shape[0]
        keys = (f.window * n_levels + f.level) * n_meets + f.meet
        classes, first, mentee_class = np.unique(keys[mentees], return_index=True, return_inverse=True)
        _, mentor_first, mentor_class = np.unique(keys[mentors], return_index=True, return_inverse=True)
        reps, mentor_reps = mentees[first], mentors[mentor_first]
        class_part = np.take(
            score_table[f.window[reps] * n_levels + f.level[reps]],
            f.window[mentor_reps] * n_levels + f.level[mentor_reps],
            axis=1,
        )
        bad = np.take(
            bad_table[f.window[reps] * n_meets + f.meet[reps]],
            f.window[mentor_reps] * n_meets + f.meet[mentor_reps],
            axis=1,
        )
        np.copyto(class_part, np.float32(-np.inf), where=bad)
        # the class-level score, negated: the best are the smallest
        cost = np.take(np.negative(class_part), mentor_class, axis=1)
        mentee_at, key_at, among = _shortlist_keys(f, mentees, mentors)
        n_classes = len(classes)
        pair = key_at * n_classes + mentee_class[mentee_at]
        distinct, rows = np.unique(pair, return_inverse=True)
        best = np.full((len(distinct), SHORTLIST_PER_KEY), -1, dtype=np.int32)
        bounds = np.searchsorted(distinct // n_classes, np.arange(len(among) + 1))
        searches: list[tuple[int, IntArray, IntArray]] = []
        for key, cols in enumerate(among):
            lo, hi = int(bounds[key]), int(bounds[key + 1])
            of = distinct[lo:hi] % n_classes
            if len(cols) <= SHORTLIST_PER_KEY:  # every one of them is among the best: keep those allowed
                best[lo:hi, : len(cols)] = np.where(np.isfinite(cost[np.ix_(of, cols)]), cols[None, :], -1)
                continue
            # a few classes at a time: the temporaries stay small enough to be reused rather than mapped afresh
            step = max(1, SELECT_CELLS // len(cols))
            searches.extend((lo + at, of[at : at + step], cols) for at in range(0, len(of), step))

        def search(item: tuple[int, IntArray, IntArray]) -> None:
            at, of, cols = item
            block = np.take(cost[of], cols, axis=1)
            chosen = np.argpartition(block, SHORTLIST_PER_KEY - 1, axis=1)[:, :SHORTLIST_PER_KEY]
            allowed = np.isfinite(np.take_along_axis(block, chosen, axis=1))
            best[at : at + len(block)] = np.where(allowed, cols[chosen], -1)

        _in_parallel(search, searches)
        starts = np.searchsorted(mentee_at, np.arange(len(mentees) + 1))
        return cls(
            mentee_class.astype(np.int64),
            mentor_class.astype(np.int64),
            class_part,
            best,
            starts,
            rows.astype(np.int64),
        )

    def block(self, lo: int, hi: int) -> tuple[IntArray, IntArray]:
        """The distinct shortlisted mentors of mentees lo..hi-1: (mentee - lo, mentor) sorted by mentee, then mentor."""
        first, last = int(self.starts[lo]), int(self.starts[hi])
        at = np.arange(first, last, dtype=np.int64)
        mentee = np.repeat(np.arange(hi - lo, dtype=np.int64), np.diff(self.starts[lo : hi + 1]))
        slot = at - self.starts[lo:hi][mentee]
        width = int(slot.max(initial=-1)) + 1
        slots = np.full((hi - lo, width, SHORTLIST_PER_KEY), -1, dtype=np.int32)
        slots[mentee, slot] = self.best[self.rows[first:last]]
        grid = slots.reshape(hi - lo, width * SHORTLIST_PER_KEY)
        grid.sort(axis=1)  # short rows: fast, and repeats become neighbours
        keep = grid >= 0
        keep[:, 1:] &= grid[:, 1:] != grid[:, :-1]
        r, c = np.nonzero(keep)
        return r.astype(np.int64), grid[r, c].astype(np.int64)


def _shortlist_keys(f: Features, mentees: IntArray, mentors: IntArray) -> tuple[IntArray, IntArray, list[IntArray]]:
    """Each mentee's shortlist keys as (mentee position, key) sorted by mentee, and each key's mentor positions.

    Keys are worked out once per distinct set of wanted skills."""
    wants = f.wanted[mentees] > 0
    offers = f.offered[mentors] > 0
    _, first, set_of = np.unique(f.wanted_sets.ids[mentees], return_index=True, return_inverse=True)
    index: dict[tuple[int, ...], int] = {(): 0}
    among: list[IntArray] = [np.arange(len(mentors), dtype=np.int64)]
    per_set: list[list[int]] = []
    for rep in first.tolist():
        wanted = tuple(np.flatnonzero(wants[rep]).tolist())
        keys: list[tuple[int, ...]] = [(s,) for s in wanted]
        if 2 <= len(wanted) <= MAX_COMBINED_SKILLS:
            keys += sorted({*combinations(wanted, 2), wanted})
        ids = [0]
        for key in keys:
            if key not in index:
                index[key] = len(among)
                among.append(np.flatnonzero(offers[:, list(key)].all(axis=1)))
            if len(among[index[key]]):
                ids.append(index[key])
        per_set.append(ids)
    counts = np.array([len(ids) for ids in per_set], dtype=np.int64)
    flat = np.array(list(chain.from_iterable(per_set)), dtype=np.int64)
    offsets = np.cumsum(counts) - counts
    n_keys = counts[set_of]
    mentee_at = np.repeat(np.arange(len(mentees), dtype=np.int64), n_keys)
    within = np.arange(len(mentee_at), dtype=np.int64) - np.repeat(np.cumsum(n_keys) - n_keys, n_keys)
    return mentee_at, flat[offsets[set_of[mentee_at]] + within], among


def _candidate_edges(
    rd: _Round, mentees: IntArray, mentors: IntArray, caps: IntArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """The sparse graph: each mentee's MENTEE_TOP_K best mentors and each mentor's best (3 x capacity + 2) mentees,
    among the shortlist (or among every pair, when the round is exhaustive)."""
    if rd.exhaustive:
        return _dense_edges(rd, mentees, mentors, caps)
    n_e, n_m = len(mentees), len(mentors)
    shortlist = _Shortlist.build(rd, mentees, mentors)
    blocked = rd.forbidden_positions(mentees, mentors)
    per_col = MENTOR_TOP_PER_SLOT * caps + 2
    size = max(256, min(SHORTLIST_BLOCK, -(-n_e // MIN_SHORTLIST_BLOCKS)))
    f = rd.features
    bonuses = bool(f.bonus.any())

    def edges_of(lo: int) -> tuple[IntArray, IntArray, FloatArray, IntArray, BoolArray, int]:
        """The shortlisted pairs of mentees lo.. that can still rank among their mentee's or mentor's best."""
        hi = min(n_e, lo + size)
        r, c = shortlist.block(lo, hi)
        scores = mentoring_pair_weights(
            f,
            mentees[r + lo],
            mentors[c],
            weights=rd.weights,
            rules=rd.rules,
            class_part=shortlist.class_part[shortlist.mentee_class[r + lo], shortlist.mentor_class[c]],
            bonus=False,
        )
        # pair-specific exclusions (past pairs, rather-nots, reporting lines) of these mentees
        found = (r + lo) * n_m + c
        ours = blocked[np.searchsorted(blocked, lo * n_m) : np.searchsorted(blocked, hi * n_m)]
        at = np.minimum(np.searchsorted(found, ours), max(0, len(found) - 1))
        scores[at[found[at] == ours] if len(found) else at[:0]] = -np.inf
        ok = np.isfinite(scores)
        r, c, scores = r[ok], c[ok], scores[ok]
        # Each side ranks its partners by score: a bonus belongs to whoever missed a round, so with it a partner
        # who missed one would top everyone's list and crowd out the others (the solver still counts it).
        q = _quantised(scores)
        best = _top_in_groups(r, q, hi - lo, np.full(hi - lo, MENTEE_TOP_K, dtype=np.int64))
        # a pair outside its mentor's best among these mentees is outside its mentor's best among all of them
        kept = best | _top_in_groups(c, q, n_m, per_col)
        r, c, scores = r[kept], c[kept], scores[kept]
        vals = scores + (f.bonus[mentees[r + lo]] + f.bonus[mentors[c]]) if bonuses else scores
        return r + lo, c, vals, q[kept], best[kept], int(ok.sum())

    parts = _in_parallel(edges_of, list(range(0, n_e, size)))
    rows, cols, vals, q, keep = (np.concatenate([p[i] for p in parts]) for i in range(5))
    rd.notes.append(f"shortlist: {sum(p[5] for p in parts)} allowed pairs scored of {n_e * n_m}")
    del parts
    keep |= _top_in_groups(cols, q, n_m, per_col)
    return rows[keep], cols[keep], vals[keep]


def _solve_mentoring(rd: _Round) -> list[tuple[int, int]]:
    people = rd.people
    mentees = np.array([i for i, p in enumerate(people) if p.role == "mentee"], dtype=np.int64)
    mentors = np.array([i for i, p in enumerate(people) if p.role == "mentor" and p.capacity > 0], dtype=np.int64)
    if len(mentees) == 0 or len(mentors) == 0:
        return []
    caps = np.array([people[i].capacity for i in mentors], dtype=np.int64)
    n_e, n_m = len(mentees), len(mentors)
    rows, cols, vals = _candidate_edges(rd, mentees, mentors, caps)
    has_partner = np.zeros(len(people), dtype=np.bool_)
    has_partner[mentees[rows]] = True
    has_partner[mentors[cols]] = True
    rd.has_partner = has_partner
    rd.notes.append(f"mentoring graph: {n_e} mentees, {n_m} mentors, {len(rows)} candidate edges")
    for attempt in range(3):
        wint = rd.int_weights(vals)
        used = bipartite_b_matching(rows, cols, wint, n_e, caps)
        matched_rows = np.zeros(n_e, bool)
        matched_rows[rows[used]] = True
        load = np.bincount(cols[used], minlength=n_m)
        lonely = np.flatnonzero(~matched_rows)
        spare = np.flatnonzero(load < caps)
        if attempt == 2 or len(lonely) == 0 or len(spare) == 0:
            break
        # Some mentees are unmatched while some mentors have room: widen the graph around them and re-solve.
        extra_r: list[IntArray] = [rows]
        extra_c: list[IntArray] = [cols]
        extra_v: list[FloatArray] = [vals]
        for _, chunk in _blocks(lonely):
            obj = rd.weights_block(mentees[chunk], mentors)
            r, c = _top_k(obj, FALLBACK_TOP)
            extra_r.append(chunk[r])
            extra_c.append(c)
            extra_v.append(obj[r, c])
        for _, chunk in _blocks(spare):
            obj = rd.weights_block(mentors[chunk], mentees, rows_are_mentors=True)
            r, c = _top_k(obj, FALLBACK_TOP)
            extra_r.append(c)
            extra_c.append(chunk[r])
            extra_v.append(obj[r, c])
        before = len(rows)
        rows, cols, vals = _dedupe(np.concatenate(extra_r), np.concatenate(extra_c), np.concatenate(extra_v), n_m)
        rd.notes.append(f"fallback edges for {len(lonely)} unmatched mentees: {before} -> {len(rows)} edges")
        if len(rows) == before:
            break
    return [(int(mentors[c]), int(mentees[r])) for r, c in zip(rows[used], cols[used], strict=True)]


# ---------------------------------------------------------------------------------------------------------------
# Peer pairs: LP relaxation by min-cost flow, odd parts repaired exactly by the blossom algorithm


def _peer_edges(rd: _Round, k: int) -> dict[tuple[int, int], float]:
    everyone = np.arange(len(rd.people), dtype=np.int64)

    def score_block(item: tuple[int, IntArray]) -> tuple[IntArray, IntArray, FloatArray]:
        lo, chunk = item
        obj = rd.weights_block(chunk, everyone)
        r, c = _top_k(obj, k)
        return r + lo, c, obj[r, c]

    parts = _map_blocks(score_block, everyone)
    rows_l = [p[0] for p in parts]
    cols_l = [p[1] for p in parts]
    vals_l = [p[2] for p in parts]
    rows, cols, vals = np.concatenate(rows_l), np.concatenate(cols_l), np.concatenate(vals_l)
    a, b = np.minimum(rows, cols), np.maximum(rows, cols)
    a, b, vals = _dedupe(a, b, vals, len(everyone))
    return dict(zip(zip(a.tolist(), b.tolist(), strict=True), vals.tolist(), strict=True))


def _edge_arrays(edges: Mapping[tuple[int, int], float]) -> tuple[IntArray, IntArray, FloatArray]:
    keys = sorted(edges)
    a = np.array([k[0] for k in keys], dtype=np.int64)
    b = np.array([k[1] for k in keys], dtype=np.int64)
    v = np.array([edges[k] for k in keys], dtype=np.float32)
    return a, b, v


def _exact_on(rd: _Round, nodes: list[int], edges: Mapping[tuple[int, int], float]) -> list[tuple[int, int]]:
    local = {p: i for i, p in enumerate(nodes)}
    sub = {(local[x], local[y]): w for (x, y), w in edges.items() if x in local and y in local}
    if not sub:
        return []
    a, b, v = _edge_arrays(sub)
    pairs = general_matching(len(nodes), a, b, rd.int_weights(v))
    return [(min(nodes[x], nodes[y]), max(nodes[x], nodes[y])) for x, y in pairs]


def _merge_overlapping(areas: list[set[int]], limit: int) -> list[set[int]]:
    """Merge areas that share people (so odd parts can fix each other), keeping each merged area under ``limit``."""
    merged: list[set[int]] = []
    for area in areas:
        area = set(area)
        keep: list[set[int]] = []
        for other in merged:
            if other & area and len(other | area) <= limit:
                area |= other
            else:
                keep.append(other)
        merged = [*keep, area]
    return merged  # areas still overlapping (too big to merge) are solved one after the other


def _solve_peer_pairs(rd: _Round) -> list[tuple[int, int]]:
    n = len(rd.people)
    if n < 2:
        return []
    edges = _peer_edges(rd, PEER_TOP_K)
    rd.notes.append(f"peer graph: {n} peers, {len(edges)} candidate edges")
    if n <= REPAIR_LIMIT // 3:
        return _exact_on(rd, list(range(n)), edges)
    a, b, v = _edge_arrays(edges)
    succ = fractional_matching_successors(a, b, rd.int_weights(v), n)
    pred = np.full(n, -1, np.int64)
    has = succ >= 0
    pred[succ[has]] = np.flatnonzero(has)
    mate = np.full(n, -1, np.int64)
    repair: list[list[int]] = []
    seen = np.zeros(n, bool)
    for i in range(n):
        if seen[i]:
            continue
        j, cycle = i, False
        while pred[j] >= 0:
            j = int(pred[j])
            if j == i:
                cycle = True
                break
        start = i if cycle else j
        seq = [start]
        seen[start] = True
        k = int(succ[start])
        while k >= 0 and k != start:
            seq.append(k)
            seen[k] = True
            k = int(succ[k])
        if cycle and len(seq) % 2 == 0:
            # an even cycle holds two perfect matchings: keep the better one
            def value(offset: int, seq: list[int] = seq) -> float:
                return sum(
                    edges[(min(seq[t], seq[(t + 1) % len(seq)]), max(seq[t], seq[(t + 1) % len(seq)]))]
                    for t in range(offset, len(seq), 2)
                )

            off = 0 if value(0) >= value(1) else 1
            for t in range(off, len(seq), 2):
                x, y = seq[t], seq[(t + 1) % len(seq)]
                mate[x], mate[y] = y, x
        else:
            repair.append(seq)  # odd cycles, paths and lone people: solved exactly below
    rd.notes.append(f"LP relaxation left {sum(map(len, repair))} people in odd cycles or paths")
    # Re-solve each odd part exactly together with its neighbours and the neighbours' partners.
    neighbours: dict[int, list[int]] = {}
    for x, y in edges:
        neighbours.setdefault(x, []).append(y)
        neighbours.setdefault(y, []).append(x)
    areas: list[set[int]] = []
    for part in repair:
        area = set(part)
        for p in part:
            area.update(neighbours.get(p, ()))
        area |= {int(mate[p]) for p in area if mate[p] >= 0}
        areas.append(area)
    clusters = _merge_overlapping(areas, REPAIR_LIMIT)
    for area in clusters:
        area |= {int(mate[p]) for p in area if mate[p] >= 0}  # mates may have changed in an earlier area
        for p in area:
            mate[p] = -1
        for x, y in _exact_on(rd, sorted(area), edges):
            mate[x], mate[y] = y, x
    sizes = sorted((len(a) for a in clusters), reverse=True)
    rd.notes.append(f"exact repair of {len(repair)} odd parts in {len(clusters)} areas, largest {sizes[:1]} people")
    lonely = [int(i) for i in np.flatnonzero(mate < 0)]
    if len(lonely) >= 2:
        # widen the graph around the people still alone and re-solve their neighbourhood exactly
        extra = dict(edges)
        everyone = np.arange(n, dtype=np.int64)
        area = set(lonely)
        for _, chunk in _blocks(np.array(lonely, dtype=np.int64)):
            obj = rd.weights_block(chunk, everyone)
            r, c = _top_k(obj, FALLBACK_TOP)
            for x, y, w in zip(chunk[r].tolist(), c.tolist(), obj[r, c].tolist(), strict=True):
                extra[(min(x, y), max(x, y))] = w
            r, c = _top_k(obj, REPAIR_NEIGHBOURS)
            area.update(c.tolist())
        area |= {int(mate[p]) for p in area if mate[p] >= 0}
        # second hop, so longer alternating paths between people left alone can be found
        wider = set(area)
        for p in area:
            wider.update(neighbours.get(p, ()))
        wider |= {int(mate[p]) for p in wider if mate[p] >= 0}
        if len(wider) <= REPAIR_LIMIT:
            area = wider
        if len(area) <= REPAIR_LIMIT:
            for p in area:
                mate[p] = -1
            for x, y in _exact_on(rd, sorted(area), extra):
                mate[x], mate[y] = y, x
            rd.notes.append(f"re-solved {len(area)} people around {len(lonely)} left alone")
    return [(i, int(mate[i])) for i in range(n) if mate[i] > i]


# ---------------------------------------------------------------------------------------------------------------
# Peer circles: greedy construction around the most constrained people, then improving swaps


def circle_sizes(n: int, size: int) -> list[int]:
    """Circle sizes for n people: as close to ``size`` as possible, never below 3 nor above 6 when avoidable."""
    if n < 3:
        return []
    count = -(-n // size)
    if n // count < 3:
        count = max(1, n // size)
    while count > 1 and -(-n // count) > 6 and n // (count + 1) >= 3:
        count += 1
    base, extra = divmod(n, count)
    return [base + 1] * extra + [base] * (count - extra)


class _PairWeights:
    def __init__(self, rd: _Round) -> None:
        self.rd = rd
        n = len(rd.people)
        self.dense: FloatArray | None = None
        if n <= DENSE_CIRCLES_LIMIT:
            everyone = np.arange(n, dtype=np.int64)
            self.dense = np.vstack([rd.weights_block(chunk, everyone) for _, chunk in _blocks(everyone)])

    def row(self, i: int, cols: IntArray) -> FloatArray:
        if self.dense is not None:
            return self.dense[i, cols]
        return self.rd.weights_block(np.array([i], dtype=np.int64), cols)[0]

    def group(self, members: Sequence[int]) -> float:
        idx = np.array(members, dtype=np.int64)
        total = 0.0
        for t, m in enumerate(members[:-1]):
            total += float(self.row(m, idx[t + 1 :]).sum())
        return total


def _circle_value(pw: _PairWeights, members: Sequence[int]) -> float:
    """Sum over members of their mean pairwise weight (-inf if any pair is forbidden)."""
    k = len(members)
    return 2 * pw.group(members) / (k - 1) if k > 1 else 0.0


def _solve_circles(rd: _Round) -> list[list[int]]:
    n = len(rd.people)
    targets = circle_sizes(n, rd.rules.circle_size)
    if not targets:
        return []
    pw = _PairWeights(rd)
    everyone = np.arange(n, dtype=np.int64)
    degree = np.array([int(np.isfinite(pw.row(i, everyone)).sum()) for i in range(n)])
    missed = np.array([p.missed_rounds for p in rd.people])
    order = [int(i) for i in np.lexsort((everyone, degree, -missed))]  # index order is already seeded
    remaining = set(range(n))
    circles: list[list[int]] = []
    leftovers: list[int] = []
    pending = list(targets)
    for seed_person in order:
        if not pending:
            break
        if seed_person not in remaining:
            continue
        remaining.discard(seed_person)
        target = pending[0]
        members = [seed_person]
        pool = np.array(sorted(remaining), dtype=np.int64)
        acc = pw.row(seed_person, pool).astype(np.float64)
        while len(members) < target and len(pool):
            best = int(np.argmax(acc))
            if not np.isfinite(acc[best]):
                break
            members.append(int(pool[best]))
            keep = np.ones(len(pool), bool)
            keep[best] = False
            pool, acc = pool[keep], acc[keep]
            acc += pw.row(members[-1], pool)
        if len(members) >= 3:
            circles.append(members)
            pending.pop(0)
            remaining.difference_update(members)
        else:
            leftovers.append(seed_person)
    leftovers.extend(sorted(remaining))
    # place leftovers in circles with room (up to 6) where everyone is compatible
    for p in leftovers[:]:
        best_gain, best_c = -np.inf, -1
        for ci, members in enumerate(circles):
            if len(members) >= 6:
                continue
            gain = _circle_value(pw, [*members, p]) - _circle_value(pw, members)
            if np.isfinite(gain) and gain > best_gain:
                best_gain, best_c = gain, ci
        if best_c >= 0:
            circles[best_c].append(p)
            leftovers.remove(p)
    # improving swaps between circles (bounded work)
    if n <= DENSE_CIRCLES_LIMIT:
        values = [_circle_value(pw, c) for c in circles]
        for _ in range(4):
            improved = False
            for ci, cj in combinations(range(len(circles)), 2):
                for x in range(len(circles[ci])):
                    for y in range(len(circles[cj])):
                        a2, b2 = circles[ci][:], circles[cj][:]
                        a2[x], b2[y] = b2[y], a2[x]
                        va, vb = _circle_value(pw, a2), _circle_value(pw, b2)
                        if va + vb > values[ci] + values[cj] + 1e-6:
                            circles[ci], circles[cj] = a2, b2
                            values[ci], values[cj] = va, vb
                            improved = True
            if not improved:
                break
    rd.notes.append(f"circles: {len(circles)} formed for {n} peers, targets {targets}")
    return circles


# ---------------------------------------------------------------------------------------------------------------
# Explanations for people left out (kind, never naming anyone, never revealing private lists)


def _skills_text(skills: Iterable[str]) -> str:
    items = sorted(s.strip() for s in skills if s.strip())
    if len(items) > 3:
        items = [*items[:3], "others"]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _explain_unmatched(rd: _Round, matched: set[int]) -> list[Unmatched]:
    people = rd.people
    out: list[Unmatched] = []
    everyone = np.arange(len(people), dtype=np.int64)
    if rd.mode == "mentoring":
        sides = {
            "mentee": everyone[[p.role == "mentor" and p.capacity > 0 for p in people]] if people else everyone,
            "mentor": everyone[[p.role == "mentee" for p in people]] if people else everyone,
        }
    lonely: list[int] = []
    for i, p in enumerate(people):
        if i in matched:
            continue
        if rd.mode == "mentoring" and p.role == "mentor" and p.capacity <= 0:
            out.append(Unmatched(p.id, "your capacity is set to 0 for this round"))
        else:
            lonely.append(i)
    for role in ("mentor", "mentee", "peer"):
        group = np.array([i for i in lonely if people[i].role == role], dtype=np.int64)
        if len(group) == 0:
            continue
        partners = sides[role] if rd.mode == "mentoring" else everyone
        for _, chunk in _blocks(group):
            # someone with an allowed edge in the solver's graph has a partner; the others are checked in full
            known = rd.has_partner[chunk] if rd.has_partner is not None else np.zeros(len(chunk), bool)
            has_partner = known.copy()
            unknown = np.flatnonzero(~known)
            if len(partners) and len(unknown):
                obj = rd.weights_block(chunk[unknown], partners, rows_are_mentors=role == "mentor")
                has_partner[unknown] = np.isfinite(obj).any(axis=1)
            for i, possible in zip(chunk.tolist(), has_partner.tolist(), strict=True):
                out.append(Unmatched(people[i].id, _explain(rd, i, matched, partners, possible)))
    return out


def _explain(rd: _Round, person: int, matched: set[int], partners: IntArray, possible: bool) -> str:
    p = rd.people[person]
    others_exist = bool(len(partners)) and (len(partners) > 1 or int(partners[0]) != person)
    if not others_exist:
        if rd.mode == "mentoring":
            return (
                "no mentees joined this round; your capacity stays open for the next one"
                if p.role == "mentor"
                else "no mentor had capacity in this round; you are first in line next round"
            )
        return "you were the only participant this round; you will be matched as soon as others join"
    if possible:
        if rd.mode == "mentoring" and p.role == "mentee":
            if p.skills_wanted:
                return (
                    f"no mentor offering {_skills_text(p.skills_wanted)} had capacity left this round; "
                    "you are first in line next round"
                )
            return "every mentor was at capacity this round; you are first in line next round"
        if rd.mode == "mentoring":
            return "every mentee was matched with another mentor this round; your capacity stays open for the next one"
        if rd.mode == "peer_pairs":
            if (len(matched) + 1) == len(rd.people) and len(rd.people) % 2 == 1:
                return "odd number of peers: you are first in line next round"
            return "everyone you could be paired with was already paired this round; you are first in line next round"
        if len(rd.people) < 3:
            return "fewer than three people took part, too few for a circle; you are first in line next round"
        return "no circle had room for one more person who fits with everyone in it; you are first in line next round"
    # no allowed partner at all: say which public rule stood in the way
    # (vectorised over the classes of meeting mode and place, and of working windows, that the rules use)
    f = rd.features
    others = partners[partners != person]
    meet = others[~f.meet_bad[f.meet[person], f.meet[others]]]
    if not len(meet):
        if p.meeting_mode == "in_person":
            if not p.location.strip():
                return "in-person meetings need your office on your profile, and none is set"
            return (
                f"no one else in this round can meet in person in {p.location.strip()}; "
                "choosing “Either” on your profile lets you be matched virtually too"
            )
        return "no one in this round has a compatible meeting mode (virtual or in person)"
    shared = f.overlap_table[f.window[person], f.window[meet]]
    if rd.rules.min_overlap_hours > 0 and bool((shared < rd.rules.min_overlap_hours - 1e-3).all()):
        return f"no one shares enough working hours with you (at least {rd.rules.min_overlap_hours:g} h needed)"
    raw = block_weights(
        rd.features,
        np.array([person], dtype=np.int64),
        partners,
        weights=rd.weights,
        rules=rd.rules,
        mode=rd.mode,
        rows_are_mentors=p.role == "mentor",
    )
    past = rd.past_forbidden.get(person, set())
    open_partners = [int(q) for q in partners[np.isfinite(raw[0])]]
    if open_partners and all(q in past for q in open_partners):
        return "every possible partner was matched with you before; new people may join next round"
    return "no one in this round fits the programme's matching rules for you; you are first in line next round"


def _prepare(
    candidates: Sequence[Candidate],
    mode: Mode,
    past_pairs: Sequence[PastPair],
    weights: Weights,
    rules: Rules,
    now: datetime,
    seed: int,
    managers: Mapping[str, str | None] | None,
) -> _Round:
    ordered = sorted(candidates, key=attrgetter("id"))
    rng = np.random.default_rng(seed)
    people = [ordered[i] for i in rng.permutation(len(ordered))]
    org: dict[str, str | None] = dict(managers or {})
    org.update({c.id: c.manager_id for c in people if c.manager_id})
    past_index = PastIndex.build(past_pairs, rules=rules, now=now)
    private = forbidden_pairs(people, past=PastIndex(frozenset()), managers=org)
    index = {c.id: i for i, c in enumerate(people)}
    past_f: dict[int, set[int]] = {}
    for pair in past_index.blocked:
        pa, pb = tuple(pair)
        if pa in index and pb in index:
            past_f.setdefault(index[pa], set()).add(index[pb])
            past_f.setdefault(index[pb], set()).add(index[pa])
    private_f: dict[int, set[int]] = {}
    for x, y in private:
        private_f.setdefault(x, set()).add(y)
    rd = _Round(
        people=people,
        features=Features(people, missed_bonus=rules.priority_bonus),
        weights=weights,
        rules=rules,
        mode=mode,
        rng=rng,
        seed=seed,
        past_forbidden=past_f,
        private_forbidden=private_f,
    )
    return rd


def weight_matrix(
    candidates: Sequence[Candidate],
    rows: Sequence[str],
    cols: Sequence[str],
    *,
    mode: Mode,
    past_pairs: Sequence[PastPair] = (),
    weights: Weights = Weights(),  # noqa: B008 - frozen dataclass
    rules: Rules = Rules(),  # noqa: B008 - frozen dataclass
    now: datetime,
    managers: Mapping[str, str | None] | None = None,
) -> FloatArray:
    """Dense objective matrix (score + priority bonus; -inf where a hard constraint forbids the pair).

    For exact reference solvers and analysis on small populations; in mentoring, rows must be mentees and cols
    mentors. Memory is rows x cols float32.
    """
    rd = _prepare(candidates, mode, past_pairs, weights, rules, now, 0, managers)
    index = {c.id: i for i, c in enumerate(rd.people)}
    r = np.array([index[i] for i in rows], dtype=np.int64)
    c = np.array([index[i] for i in cols], dtype=np.int64)
    return (
        np.vstack([rd.weights_block(chunk, c) for _, chunk in _blocks(r)])
        if len(r)
        else np.zeros((0, len(c)), np.float32)
    )


def match(
    candidates: Sequence[Candidate],
    *,
    mode: Mode,
    past_pairs: Sequence[PastPair] = (),
    weights: Weights = Weights(),  # noqa: B008 - frozen dataclass
    rules: Rules = Rules(),  # noqa: B008 - frozen dataclass
    now: datetime,
    seed: int,
    managers: Mapping[str, str | None] | None = None,
    exhaustive: bool = False,
) -> MatchResult:
    """Match a round: first as many people as possible, then the highest total score (plus priority bonuses).

    ``candidates`` are the eligible people (the caller leaves out paused people and people who left).
    ``managers`` optionally completes the reporting lines with people who are not in the round.
    In mentoring, only a shortlist of plausible pairs is scored; ``exhaustive`` scores every mentee against every
    mentor instead (the reference the benchmark compares with: slower, and memory grows with mentees x mentors).
    The result depends only on the set of candidates and the seed, not on their order.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    ids = [c.id for c in candidates]
    if len(set(ids)) != len(ids):
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        raise ValueError(f"duplicate candidate ids: {', '.join(dupes[:5])}")
    expected = {"mentor", "mentee"} if mode == "mentoring" else {"peer"}
    wrong = sorted(c.id for c in candidates if c.role not in expected)
    if wrong:
        raise ValueError(f"{mode} takes roles {', '.join(sorted(expected))}; not: {', '.join(wrong[:5])}")
    with collection_paused():
        rd = _prepare(candidates, mode, past_pairs, weights, rules, now, seed, managers)
        rd.exhaustive = exhaustive
        return _match(rd)


@contextmanager
def collection_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a round is worked out (the engine's, and the whole round's
    around it: `mentoring.matching`). A round allocates a few small objects
    per person (results, reasons, the lookups behind them) and no reference cycles, yet enough of them to set off
    full collections, each walking every object the process holds: 0.1-0.2 s apiece at 30,000 people."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _match(rd: _Round) -> MatchResult:
    people, mode, weights, rules, seed = rd.people, rd.mode, rd.weights, rd.rules, rd.seed
    groups: list[list[int]]
    if mode == "mentoring":
        groups = [list(p) for p in _solve_mentoring(rd)]
    elif mode == "peer_pairs":
        groups = [list(p) for p in _solve_peer_pairs(rd)]
    else:
        groups = _solve_circles(rd)
    if mode == "mentoring":
        pairs = np.array(groups, dtype=np.int64).reshape(-1, 2)
        explained = mentoring_explanations(rd.features, people, pairs[:, 0], pairs[:, 1], weights)
        matches = [
            Pairing((people[g[0]].id, people[g[1]].id), score, reasons)
            for g, (score, reasons) in zip(groups, explained, strict=True)
        ]
    else:
        matches = [_make_match(rd, g) for g in groups]
    objective = 0.0
    for g, m in zip(groups, matches, strict=True):
        objective += m.score + rules.priority_bonus * sum(people[i].missed_rounds for i in g)
    matched = {i for g in groups for i in g}
    unmatched = _explain_unmatched(rd, matched)
    matches.sort(key=lambda m: (-m.score, m.members))
    unmatched.sort(key=lambda u: u.id)
    return MatchResult(
        matches=tuple(matches),
        unmatched=tuple(unmatched),
        seed=seed,
        mode=mode,
        objective=round(objective, 2),
        notes=tuple(rd.notes),
    )


def _make_match(rd: _Round, group: list[int]) -> Pairing:
    people = [rd.people[i] for i in group]
    people.sort(key=lambda c: c.id)
    if len(people) == 2:
        score, reasons = score_pair(people[0], people[1], weights=rd.weights, mode=rd.mode)
        return Pairing((people[0].id, people[1].id), score, reasons)
    return _circle_match(rd, people)


def _circle_match(rd: _Round, people: list[Candidate]) -> Pairing:
    scores = [score_pair(a, b, weights=rd.weights, mode=rd.mode)[0] for a, b in combinations(people, 2)]
    reasons: list[str] = []
    wanted = [{s.strip().casefold(): s.strip() for s in p.skills_wanted} for p in people]
    common = set.intersection(*(set(w) for w in wanted))
    if common:
        reasons.append(f"all want to grow in {', '.join(sorted(wanted[0][s] for s in common))}")
    else:
        counts: dict[str, int] = {}
        for w in wanted:
            for s in w:
                counts[s] = counts.get(s, 0) + 1
        shared = sorted(s for s, k in counts.items() if k >= 2)
        if shared:
            names = {s: d for w in wanted for s, d in w.items()}
            reasons.append(f"several want to grow in {', '.join(names[s] for s in shared[:3])}")
    if all(p.timezone for p in people):
        hours = min(overlap_hours(a, b) for a, b in combinations(people, 2))
        if hours > 0:
            reasons.append(f"{hours:g} h of shared working hours for everyone")
    depts = sorted({p.department for p in people if p.department})
    if len(depts) > 1:
        reasons.append(f"{len(depts)} different departments ({', '.join(depts)})")
    tokens: dict[str, int] = {}
    for p in people:
        for t in goal_tokens(p.goals):
            tokens[t] = tokens.get(t, 0) + 1
    similar = sorted(t for t, k in tokens.items() if k >= 2)
    if similar:
        reasons.append(f"similar goals: {', '.join(similar[:4])}")
    return Pairing(tuple(p.id for p in people), round(float(np.mean(scores)), 2), tuple(reasons))

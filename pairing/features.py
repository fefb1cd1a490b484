"""Feature extraction and scoring, both per pair (for reasons) and vectorised in blocks (for the solver)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from itertools import chain
from operator import attrgetter
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

from pairing.model import Candidate, Mode, PastPair, Rules, Weights

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# A fixed weekday for timezone offsets, so a round can be reproduced whatever the date (winter time in the north).
REFERENCE_NOON_UTC = datetime(2025, 1, 15, 12, 0, tzinfo=ZoneInfo("UTC"))

_STOPWORD_TEXT = """a an and are as at be been but by for from get getting go going grow growing have how i
im in into is it its learn learning like me more my of on or our so some than that the their them then there this
to up want wants we what when where which who will with would you your better become being"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_TOKEN = re.compile(r"[a-z0-9][a-z0-9+#'-]*")

_SENIORITY_PATTERNS: tuple[tuple[int, re.Pattern[str]], ...] = (
    (8, re.compile(r"\b(ceo|cto|cfo|coo|cio|cpo|cmo|ciso|chief|founder|president)\b")),
    (7, re.compile(r"\b(vp|svp|evp|vice[- ]president)\b")),
    (6, re.compile(r"\b(director)\b")),
    (5, re.compile(r"\b(head)\b")),
    (4, re.compile(r"\b(manager|mgr)\b")),
    (3, re.compile(r"\b(staff|lead|principal|architect)\b")),
    (2, re.compile(r"\b(senior|sr)\b")),
)
_JUNIOR = re.compile(r"\b(junior|jr|intern|graduate|trainee|apprentice|entry)\b")


@lru_cache(maxsize=4096)
def seniority_level(title: str) -> int | None:
    """0 junior .. 8 C-level; None when the title is empty (unknown)."""
    text = title.strip().lower()
    if not text:
        return None
    level = next((lvl for lvl, pat in _SENIORITY_PATTERNS if pat.search(text)), 1)
    if level <= 1 and _JUNIOR.search(text):
        return 0
    if level == 1 and "vice president" in text:
        return 7
    return level


@lru_cache(maxsize=65536)
@lru_cache(maxsize=65536)
def goal_tokens(text: str) -> frozenset[str]:
    tokens = (t.strip("'-") for t in _TOKEN.findall(text.lower()))
    return frozenset(t for t in tokens if len(t) > 1 and t not in STOPWORDS)


@lru_cache(maxsize=1024)
def utc_offset_hours(tz: str | None) -> float | None:
    """Offset from UTC in hours on the reference date; None for unknown or invalid names (treated as UTC)."""
    if not tz:
        return None
    try:
        offset = REFERENCE_NOON_UTC.astimezone(ZoneInfo(tz)).utcoffset()
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return offset.total_seconds() / 3600 if offset is not None else None


def is_valid_timezone(tz: str) -> bool:
    return utc_offset_hours(tz) is not None


def work_window_utc(c: Candidate) -> tuple[float, float]:
    """(start, duration) of the working window in UTC hours, start in [0, 24)."""
    return _window(c.work_start, c.work_end, c.timezone)


@lru_cache(maxsize=4096)
def _window(work_start: int, work_end: int, tz: str | None) -> tuple[float, float]:
    duration = 24.0 if work_end - work_start == 24 else float((work_end - work_start) % 24)
    return (work_start - (utc_offset_hours(tz) or 0.0)) % 24, duration


def _overlap(sa: FloatArray, da: FloatArray, sb: FloatArray, db: FloatArray) -> FloatArray:
    ea, eb = sa + da, sb + db
    total = np.zeros(np.broadcast_shapes(sa.shape, sb.shape), dtype=np.float32)
    for shift in (-24.0, 0.0, 24.0):
        total += np.clip(np.minimum(ea, eb + shift) - np.maximum(sa, sb + shift), 0, None)
    return np.minimum(total, np.minimum(da, db))


def _overlap_scalar(sa: float, da: float, sb: float, db: float) -> float:
    total = sum(max(0.0, min(sa + da, sb + db + shift) - max(sa, sb + shift)) for shift in (-24.0, 0.0, 24.0))
    return min(total, da, db)


def overlap_hours(a: Candidate, b: Candidate) -> float:
    """Hours both people are at work on the reference weekday (unknown timezones count as UTC)."""
    return _window_overlap(work_window_utc(a), work_window_utc(b))


@lru_cache(maxsize=65536)
def _window_overlap(wa: tuple[float, float], wb: tuple[float, float]) -> float:
    """`overlap_hours` of two working windows (few distinct ones in a workspace: cached)."""
    return round(_overlap_scalar(*wa, *wb), 2)


def meeting_compatible(a: Candidate, b: Candidate) -> bool:
    modes = {a.meeting_mode, b.meeting_mode}
    if modes == {"virtual", "in_person"}:
        return False
    if "in_person" in modes:
        la, lb = a.location.strip().casefold(), b.location.strip().casefold()
        return bool(la) and la == lb
    return True


@lru_cache(maxsize=65536)
def _norm_skills(skills: frozenset[str]) -> dict[str, str]:
    """casefolded -> display name (cached: callers must not modify the result)."""
    return {s.strip().casefold(): s.strip() for s in skills if s.strip()}


def _fmt_hours(hours: float) -> str:
    return f"{hours:g}" if hours == int(hours) else f"{hours:.1f}"


def _join(items: Iterable[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def pair_components(
    a: Candidate, b: Candidate, mode: Mode, *, weights: Weights | None = None
) -> tuple[dict[str, float], list[str]]:
    """Each soft criterion in 0..1 and the reasons, for one pair. In mentoring, ``a`` is the mentor.

    Reasons name only criteria the ``weights`` score (default weights when None): with seniority not scored
    (reverse mentoring, where the mentor is expected to be junior), no reason mentions it."""
    w = weights or Weights()
    f: dict[str, float] = {}
    reasons: list[str] = []
    oa, wa = _norm_skills(a.skills_offered), _norm_skills(a.skills_wanted)
    ob, wb = _norm_skills(b.skills_offered), _norm_skills(b.skills_wanted)
    if mode == "mentoring":
        taught = sorted(set(oa) & set(wb))
        f["skills"] = len(taught) / max(1, len(wb))
        if taught:
            reasons.append(f"{a.id} offers {_join([wb[s] for s in taught])}, which {b.id} wants to grow")
    else:
        shared = sorted(set(wa) & set(wb))
        a_to_b = sorted(set(oa) & set(wb))
        b_to_a = sorted(set(ob) & set(wa))
        teach = (len(a_to_b) + len(b_to_a)) / max(1, len(wa) + len(wb))
        together = len(shared) / max(1, len(set(wa) | set(wb)))
        f["skills"] = 0.6 * teach + 0.4 * together
        if shared:
            reasons.append(f"both want to grow in {_join([wa[s] for s in shared])}")
        if a_to_b:
            reasons.append(f"{a.id} offers {_join([wb[s] for s in a_to_b])}, which {b.id} wants to grow")
        if b_to_a:
            reasons.append(f"{b.id} offers {_join([wa[s] for s in b_to_a])}, which {a.id} wants to grow")
    ga, gb = goal_tokens(a.goals), goal_tokens(b.goals)
    inter = ga & gb
    union = len(ga) + len(gb) - len(inter)
    f["goals"] = len(inter) / union if union else 0.0
    if inter:
        reasons.append(f"similar goals: {', '.join(sorted(inter)[:4])}")
    window_a, window_b = work_window_utc(a), work_window_utc(b)
    hours = _window_overlap(window_a, window_b)
    shortest = min(window_a[1], window_b[1])
    f["timezone"] = min(1.0, hours / shortest) if shortest > 0 else 0.0
    if a.timezone and b.timezone and hours > 0:
        reasons.append(f"{_fmt_hours(hours)} h of shared working hours")
    dept_a, dept_b = a.department.strip(), b.department.strip()
    differ = bool(a.department and b.department and dept_a.casefold() != dept_b.casefold())
    f["cross_department"] = 1.0 if differ else 0.0
    if differ and w.cross_department > 0:
        reasons.append(f"different departments ({a.department}, {b.department})")
    same_dept = bool(dept_a and dept_a.casefold() == dept_b.casefold())
    f["same_department"] = 1.0 if same_dept else 0.0
    if same_dept and w.same_department > 0:
        reasons.append(f"same department ({dept_a})")
    same_office = bool(a.location.strip() and a.location.strip().casefold() == b.location.strip().casefold())
    f["same_office"] = 1.0 if same_office else 0.0
    if same_office and (w.same_office > 0 or "in_person" in (a.meeting_mode, b.meeting_mode)):
        reasons.append(f"same office ({a.location.strip()})")
    la, lb = seniority_level(a.title), seniority_level(b.title)
    if la is None or lb is None:
        f["seniority"] = 0.5
    elif mode == "mentoring":
        f["seniority"] = 1.0 if la > lb else 0.5 if la == lb else 0.0
        if la > lb and w.seniority > 0:
            reasons.append(f"{a.id} ({a.title}) is more senior than {b.id} ({b.title})")
    else:
        gap = abs(la - lb)
        f["seniority"] = 1.0 if gap <= 1 else 0.5 if gap == 2 else 0.0
        if gap <= 1 and w.seniority > 0:
            reasons.append("similar seniority")
    return f, reasons


def weighted_score(f: Mapping[str, float], weights: Weights) -> float:
    total = weights.total
    if total <= 0:
        return 0.0
    s = sum(getattr(weights, name) * value for name, value in f.items())
    return 100.0 * s / total


# ---------------------------------------------------------------------------------------------------------------
# Hard constraints


def reporting_chain(person: str, managers: Mapping[str, str | None], limit: int = 64) -> list[str]:
    """Everyone above ``person`` in the reporting line (cycle-safe)."""
    chain: list[str] = []
    seen = {person}
    current = managers.get(person)
    while current and current not in seen and len(chain) < limit:
        chain.append(current)
        seen.add(current)
        current = managers.get(current)
    return chain


@dataclass(frozen=True)
class PastIndex:
    """Pairs that may not be repeated now, as a set of frozensets of two ids."""

    blocked: frozenset[frozenset[str]]

    @classmethod
    def build(cls, past: Iterable[PastPair], *, rules: Rules, now: datetime) -> PastIndex:
        blocked: set[frozenset[str]] = set()
        for p in past:
            if p.a == p.b:
                continue
            age = now - p.ended_at
            window: timedelta | None = (
                rules.repeat_window_same_programme if p.same_programme else rules.repeat_window_other_programmes
            )
            if window is None or age < window:
                blocked.add(frozenset((p.a, p.b)))
        return cls(frozenset(blocked))

    def __contains__(self, pair: object) -> bool:
        return pair in self.blocked


def roles_compatible(a: Candidate, b: Candidate) -> bool:
    return {a.role, b.role} == {"mentor", "mentee"} or a.role == b.role == "peer"


def forbidden_pairs(
    people: Sequence[Candidate], *, past: PastIndex, managers: Mapping[str, str | None]
) -> set[tuple[int, int]]:
    """Index pairs (both orders) excluded by rather-not lists, reporting lines and past pairs."""
    index = {c.id: i for i, c in enumerate(people)}
    out: set[tuple[int, int]] = set()

    def add(i: int, other: str) -> None:
        j = index.get(other)
        if j is not None and j != i:
            out.add((i, j))
            out.add((j, i))

    for i, c in enumerate(people):
        for other in c.rather_not:
            add(i, other)
        if managers.get(c.id):  # most people's chain is empty: no call for them
            for boss in reporting_chain(c.id, managers):
                add(i, boss)
    for pair in past.blocked:
        a, b = tuple(pair)
        if a in index:
            add(index[a], b)
    return out


# ---------------------------------------------------------------------------------------------------------------
# Vectorised scoring


def _classes(keys: Sequence[object]) -> tuple[IntArray, list[object]]:
    """Each key's class id, in order of first appearance, and the distinct keys (loops in C: rounds are large)."""
    index = {k: i for i, k in enumerate(dict.fromkeys(keys))}
    return np.fromiter(map(index.__getitem__, keys), dtype=np.int64, count=len(keys)), list(index)


def _derived_classes(keys: Sequence[object], derive: Callable[[Any], object]) -> tuple[IntArray, list[object]]:
    """`_classes` of ``derive(key)`` for each key, calling ``derive`` once per distinct key (people share most)."""
    raw, distinct = _classes(keys)
    ids, classes = _classes([derive(k) for k in distinct])
    return ids[raw], classes


@dataclass(frozen=True)
class Labels:
    """One attribute of each person as an id into its distinct values: for wording explanations, read once."""

    ids: IntArray
    values: list[Any]


def _named_classes(names: Sequence[str]) -> tuple[IntArray, Labels]:
    """Class ids of names compared stripped and casefolded, in order of first appearance (-1 for a blank name),
    and the names as given."""
    raw, distinct = _classes(names)
    ids, classes = _classes([str(name).strip().casefold() for name in distinct])
    known = np.array([bool(c) for c in classes], dtype=np.bool_)
    renumber = np.where(known, np.cumsum(known) - 1, -1)
    return (renumber[ids][raw] if len(classes) else raw), Labels(raw, distinct)


def _skill_matrices(
    offered: Sequence[frozenset[str]], wanted: Sequence[frozenset[str]]
) -> tuple[FloatArray, FloatArray, Labels, Labels]:
    """Offered and wanted skills as 0/1 matrices over one vocabulary, and each person's offered and wanted sets.

    Columns come in order of first appearance (a person's offered skills before their wanted ones), each distinct
    set is read once."""
    n = len(offered)
    offered_id, offered_sets = _classes(offered)
    wanted_id, wanted_sets = _classes(wanted)
    first: list[tuple[int, int, frozenset[str]]] = []
    for kind, ids, sets in ((0, offered_id, offered_sets), (1, wanted_id, wanted_sets)):
        at = np.full(len(sets), n, dtype=np.int64)
        at[ids[::-1]] = np.arange(n - 1, -1, -1, dtype=np.int64)  # the first person with each set
        first.extend((int(p), kind, s) for p, s in zip(at.tolist(), sets, strict=True))  # type: ignore[misc]
    skills: dict[str, int] = {}
    for _, _, skill_set in sorted(first, key=lambda x: (x[0], x[1])):
        for key in _norm_skills(skill_set):
            skills.setdefault(key, len(skills))
    matrices = []
    for ids, sets in ((offered_id, offered_sets), (wanted_id, wanted_sets)):
        cols = [[skills[key] for key in _norm_skills(s)] for s in sets]
        rows = np.repeat(np.arange(len(sets)), np.array([len(c) for c in cols], dtype=np.int64))
        table = _one_hot(rows, list(chain.from_iterable(cols)), len(sets), len(skills))
        matrices.append(table[ids])
    return matrices[0], matrices[1], Labels(offered_id, offered_sets), Labels(wanted_id, wanted_sets)


def _one_hot(rows: IntArray, cols: list[int] | IntArray, n_rows: int, width: int) -> FloatArray:
    matrix = np.zeros((n_rows, max(1, width)), dtype=np.float32)
    matrix[rows, np.asarray(cols, dtype=np.int64)] = 1
    return matrix


_ATTRIBUTES = attrgetter(
    "skills_offered",
    "skills_wanted",
    "goals",
    "work_start",
    "work_end",
    "timezone",
    "department",
    "location",
    "title",
    "meeting_mode",
    "missed_rounds",
)


class Features:
    """Numeric arrays for a list of people, all sharing one vocabulary so rows and columns can be scored in blocks.

    Criteria that depend on few distinct values (working windows, meeting mode and place, seniority) are looked up
    in small class x class tables instead of being recomputed for every pair. Building them works once per distinct
    value (skill set, window, title, place), not once per person.
    """

    def __init__(self, people: Sequence[Candidate], *, missed_bonus: float) -> None:
        n = len(people)
        # each person read once (a round's people are spread over memory), attribute by attribute from then on
        (offered, wanted, goals, starts, ends, zones, departments, locations, titles, modes, missed) = (
            zip(*map(_ATTRIBUTES, people), strict=True) if people else ((),) * 11
        )
        self.offered, self.wanted, self.offered_sets, self.wanted_sets = _skill_matrices(offered, wanted)
        self.goal_tokens = tokens = [goal_tokens(g) for g in goals]
        goal_ids, vocab = _classes(list(chain.from_iterable(tokens)))
        goal_rows = np.repeat(np.arange(n), np.fromiter(map(len, tokens), dtype=np.int64, count=n))
        self.goals = _one_hot(goal_rows, goal_ids, n, len(vocab))
        self.n_wanted = self.wanted.sum(axis=1)
        self.n_goals = self.goals.sum(axis=1)
        # the same sets as bitsets, to score chosen pairs without a matrix product
        self.offered_bits = _bits(self.offered)
        self.wanted_bits = _bits(self.wanted)
        self.goal_bits = _bits(self.goals)
        # working windows
        hours, distinct_hours = _classes(list(zip(starts, ends, zones, strict=True)))
        window_ids, windows = _classes([_window(*k) for k in distinct_hours])  # type: ignore[misc]
        self.window = window_ids[hours]
        self.windows: list[tuple[float, float]] = windows  # type: ignore[assignment]
        self.timezone_given = np.array([bool(k[2]) for k in distinct_hours], dtype=np.bool_)[hours]  # type: ignore[index]
        begin = np.array([w[0] for w in windows], dtype=np.float32)  # type: ignore[index]
        durations = np.array([w[1] for w in windows], dtype=np.float32)  # type: ignore[index]
        self.overlap_table = _overlap(begin[:, None], durations[:, None], begin[None, :], durations[None, :])
        shortest = np.minimum(durations[:, None], durations[None, :])
        self.tz_table = np.minimum(
            np.divide(self.overlap_table, shortest, out=np.zeros_like(self.overlap_table), where=shortest > 0), 1.0
        ).astype(np.float32)
        # departments and offices
        self.dept, self.departments = _named_classes(departments)
        self.dept_known = self.dept >= 0
        self.office, self.locations = _named_classes(locations)
        # seniority: level + 1 in 0..9, 0 = unknown
        title_ids, distinct_titles = _classes(titles)
        self.titles = Labels(title_ids, distinct_titles)
        levels = [seniority_level(t) for t in distinct_titles]
        self.level = np.array([0 if lv is None else lv + 1 for lv in levels], dtype=np.int64)[title_ids]
        lv = np.arange(10)
        hi, lo = lv[:, None], lv[None, :]
        unknown = (hi == 0) | (lo == 0)
        self.sen_mentor_table = np.where(unknown, 0.5, np.where(hi > lo, 1.0, np.where(hi == lo, 0.5, 0.0)))
        gap = np.abs(hi - lo)
        self.sen_peer_table = np.where(unknown, 0.5, np.where(gap <= 1, 1.0, np.where(gap == 2, 0.5, 0.0)))
        # meeting mode and place
        self.meet, meets = _derived_classes(
            list(zip(modes, locations, strict=True)), lambda k: (k[0], k[1].strip().casefold())
        )
        self.in_person = np.array([m[0] == "in_person" for m in meets], dtype=np.bool_)[self.meet]  # type: ignore[index]
        ok = [[_meet_ok(x, y) for y in meets] for x in meets]  # type: ignore[arg-type]
        self.meet_bad: BoolArray = ~np.array(ok, dtype=np.bool_).reshape(len(meets), len(meets))
        self.bonus = (missed_bonus * np.array(missed, dtype=np.float64)).astype(np.float32)
        self._tables: dict[tuple[object, ...], tuple[FloatArray, BoolArray]] = {}

    def class_tables(
        self, weights: Weights, rules: Rules, mode: Mode, rows_are_mentors: bool
    ) -> tuple[FloatArray, BoolArray]:
        """Score of timezone + seniority by (window, level) class pairs; structural exclusions by (window, meeting)."""
        key = (weights, rules.min_overlap_hours, mode, rows_are_mentors)
        if key not in self._tables:
            total = weights.total or 1.0
            if mode == "mentoring":
                sen = self.sen_mentor_table if rows_are_mentors else self.sen_mentor_table.T
            else:
                sen = self.sen_peer_table
            n_levels, n_windows, n_meets = sen.shape[0], self.tz_table.shape[0], self.meet_bad.shape[0]
            score = (100.0 * weights.timezone / total) * np.repeat(np.repeat(self.tz_table, n_levels, 0), n_levels, 1)
            score += (100.0 * weights.seniority / total) * np.tile(sen, (n_windows, n_windows))
            bad = np.tile(self.meet_bad, (n_windows, n_windows))
            if rules.min_overlap_hours > 0:
                short = self.overlap_table < rules.min_overlap_hours - 1e-3
                bad |= np.repeat(np.repeat(short, n_meets, 0), n_meets, 1)
            self._tables[key] = (score.astype(np.float32), bad)
        return self._tables[key]


def mentoring_explanations(
    f: Features, people: Sequence[Candidate], mentors: IntArray, mentees: IntArray, weights: Weights
) -> list[tuple[float, tuple[str, ...]]]:
    """:func:`pair_components` and :func:`weighted_score` of (mentor, mentee) pairs in mentoring, rounded and
    worded as ``score_pair`` does: the same scores and reasons, from the features, each criterion for all pairs at
    once, and only the reasons that apply put into words."""
    a, b = mentors, mentees
    w = weights
    taught = np.bitwise_count(f.offered_bits[a] & f.wanted_bits[b]).sum(axis=1, dtype=np.int64)
    skills = taught / np.maximum(f.n_wanted[b].astype(np.int64), 1)
    common = np.bitwise_count(f.goal_bits[a] & f.goal_bits[b]).sum(axis=1, dtype=np.int64)
    union = f.n_goals[a].astype(np.int64) + f.n_goals[b].astype(np.int64) - common
    goals = np.where(union > 0, common / np.maximum(union, 1), 0.0)
    # shared hours as overlap_hours words them, once per pair of working windows
    pairs_of_windows, window_pair = np.unique(f.window[a] * len(f.windows) + f.window[b], return_inverse=True)
    by_windows = [
        _window_overlap(f.windows[k // len(f.windows)], f.windows[k % len(f.windows)])
        for k in pairs_of_windows.tolist()
    ]
    hours = np.array(by_windows, dtype=np.float64)[window_pair]
    durations = np.array([d for _, d in f.windows], dtype=np.float64)
    shortest = np.minimum(durations[f.window[a]], durations[f.window[b]])
    timezone = np.where(shortest > 0, np.minimum(1.0, hours / np.where(shortest > 0, shortest, 1.0)), 0.0)
    given = np.array([bool(d) for d in f.departments.values], dtype=np.bool_)[f.departments.ids]
    differ = given[a] & given[b] & (f.dept[a] != f.dept[b])
    same_dept = (f.dept[a] >= 0) & (f.dept[a] == f.dept[b])
    same_office = (f.office[a] >= 0) & (f.office[a] == f.office[b])
    la, lb = f.level[a], f.level[b]
    known = (la > 0) & (lb > 0)
    senior = known & (la > lb)
    seniority = np.where(known, np.where(la > lb, 1.0, np.where(la == lb, 0.5, 0.0)), 0.5)
    # weighted_score's sum, term by term in its order, for the same floats
    total = w.total
    s = w.skills * skills
    s += w.goals * goals
    s += w.timezone * timezone
    s += w.cross_department * differ.astype(np.float64)
    s += w.same_department * same_dept.astype(np.float64)
    s += w.same_office * same_office.astype(np.float64)
    s += w.seniority * seniority
    scores = [round(x, 2) for x in (100.0 * s / total).tolist()] if total > 0 else [0.0] * len(a)
    # the reasons, criterion by criterion, in pair_components' order
    ids = [people[i].id for i in a.tolist()], [people[i].id for i in b.tolist()]
    offered, wanted = f.offered_sets, f.wanted_sets
    skill_text: dict[tuple[int, int], str] = {}
    columns: list[list[str | None]] = []

    def names(offer: int, want: int) -> str:
        if (offer, want) not in skill_text:
            oa, wb = _norm_skills(offered.values[offer]), _norm_skills(wanted.values[want])
            skill_text[offer, want] = _join([wb[s] for s in sorted(oa.keys() & wb.keys())])
        return skill_text[offer, want]

    columns.append(
        [
            f"{x} offers {names(o, v)}, which {y} wants to grow" if t else None
            for x, y, o, v, t in zip(
                *ids, offered.ids[a].tolist(), wanted.ids[b].tolist(), taught.tolist(), strict=True
            )
        ]
    )
    tokens = f.goal_tokens
    columns.append(
        [
            f"similar goals: {', '.join(sorted(tokens[i] & tokens[j])[:4])}" if c else None
            for i, j, c in zip(a.tolist(), b.tolist(), common.tolist(), strict=True)
        ]
    )
    hours_text = [f"{_fmt_hours(h)} h of shared working hours" for h in by_windows]
    says_hours = f.timezone_given[a] & f.timezone_given[b] & (hours > 0)
    columns.append(
        [hours_text[k] if ok else None for k, ok in zip(window_pair.tolist(), says_hours.tolist(), strict=True)]
    )
    if w.cross_department > 0:
        given_names = f.departments.values
        da, db = f.departments.ids[a].tolist(), f.departments.ids[b].tolist()
        columns.append(
            [
                f"different departments ({given_names[x]}, {given_names[y]})" if d else None
                for x, y, d in zip(da, db, differ.tolist(), strict=True)
            ]
        )
    if w.same_department > 0:
        given_names = f.departments.values
        columns.append(
            [
                f"same department ({given_names[x].strip()})" if d else None
                for x, d in zip(f.departments.ids[a].tolist(), same_dept.tolist(), strict=True)
            ]
        )
    says_office = same_office & (w.same_office > 0 or f.in_person[a] | f.in_person[b])
    places = f.locations.values
    columns.append(
        [
            f"same office ({places[x].strip()})" if d else None
            for x, d in zip(f.locations.ids[a].tolist(), says_office.tolist(), strict=True)
        ]
    )
    if w.seniority > 0:
        titles = f.titles.values
        columns.append(
            [
                f"{x} ({titles[ta]}) is more senior than {y} ({titles[tb]})" if d else None
                for x, y, ta, tb, d in zip(
                    *ids, f.titles.ids[a].tolist(), f.titles.ids[b].tolist(), senior.tolist(), strict=True
                )
            ]
        )
    reasons = [tuple(r for r in row if r is not None) for row in zip(*columns, strict=True)]
    return list(zip(scores, reasons, strict=True))


def _bits(matrix: FloatArray) -> npt.NDArray[np.uint64]:
    """Each row's non-zero columns as a bitset of 64-bit words."""
    packed = np.packbits(matrix > 0, axis=1)
    width = -(-packed.shape[1] // 8) * 8
    padded = np.zeros((packed.shape[0], width), dtype=np.uint8)
    padded[:, : packed.shape[1]] = packed
    return padded.view(np.uint64)


def _common(bits_a: npt.NDArray[np.uint64], bits_b: npt.NDArray[np.uint64]) -> FloatArray:
    """Size of the intersection of each row of ``bits_a`` with the same row of ``bits_b``."""
    return np.bitwise_count(bits_a & bits_b).sum(axis=1, dtype=np.int64).astype(np.float32)


def _meet_ok(x: tuple[str, str], y: tuple[str, str]) -> bool:
    modes = {x[0], y[0]}
    if modes == {"virtual", "in_person"}:
        return False
    return "in_person" not in modes or (bool(x[1]) and x[1] == y[1])


def block_weights(
    f: Features,
    rows: IntArray,
    cols: IntArray,
    *,
    weights: Weights,
    rules: Rules,
    mode: Mode,
    rows_are_mentors: bool = False,
) -> FloatArray:
    """Objective weights (score 0..100 + priority bonuses) for rows x cols of the same people.

    Cells that break a structural hard constraint (self, meeting mode and place, working-hours overlap) are -inf;
    pair-specific exclusions (past pairs, rather-not lists, reporting lines) are applied by the caller. In
    mentoring, ``rows_are_mentors`` tells which side teaches.
    """
    total = weights.total or 1.0
    if mode == "mentoring":
        mentors, mentees = (rows, cols) if rows_are_mentors else (cols, rows)
        norm = (100.0 * weights.skills / total) / np.maximum(f.n_wanted[mentees], 1)
        wanted = f.wanted[mentees] * norm[:, None].astype(np.float32)
        score = f.offered[mentors] @ wanted.T if rows_are_mentors else wanted @ f.offered[mentors].T
    else:
        wa, wb = f.wanted[rows], f.wanted[cols]
        teach = f.offered[rows] @ wb.T
        teach += wa @ f.offered[cols].T
        shared = wa @ wb.T
        sizes = f.n_wanted[rows][:, None] + f.n_wanted[cols][None, :]
        teach /= np.maximum(sizes, 1)
        shared /= np.maximum(sizes - shared, 1)
        score = np.float32(60.0 * weights.skills / total) * teach
        score += np.float32(40.0 * weights.skills / total) * shared
    if weights.goals:
        inter = f.goals[rows] @ f.goals[cols].T
        union = f.n_goals[rows][:, None] + f.n_goals[cols][None, :]
        union -= inter
        np.maximum(union, 1, out=union)
        inter *= np.float32(100.0 * weights.goals / total)
        inter /= union
        score += inter
    score_table, bad_table = f.class_tables(weights, rules, mode, rows_are_mentors)
    n_levels, n_meets = f.sen_peer_table.shape[0], f.meet_bad.shape[0]
    score += score_table[
        (f.window[rows] * n_levels + f.level[rows])[:, None], (f.window[cols] * n_levels + f.level[cols])[None, :]
    ]
    if weights.cross_department:
        differ = f.dept[rows][:, None] != f.dept[cols][None, :]
        differ &= f.dept_known[rows][:, None]
        differ &= f.dept_known[cols][None, :]
        score += np.float32(100.0 * weights.cross_department / total) * differ
    for weight, ids in ((weights.same_department, f.dept), (weights.same_office, f.office)):
        if weight:
            same = ids[rows][:, None] == ids[cols][None, :]
            same &= (ids[rows] >= 0)[:, None]
            score += np.float32(100.0 * weight / total) * same
    if f.bonus.any():
        score += f.bonus[rows][:, None]
        score += f.bonus[cols][None, :]
    bad = bad_table[
        (f.window[rows] * n_meets + f.meet[rows])[:, None], (f.window[cols] * n_meets + f.meet[cols])[None, :]
    ]
    if mode != "mentoring":
        bad |= rows[:, None] == cols[None, :]
    np.copyto(score, np.float32(-np.inf), where=bad)
    return score


PAIR_CHUNK = 262_144  # pairs scored at once: bounds the bitset temporaries


def mentoring_pair_weights(
    f: Features,
    mentees: IntArray,
    mentors: IntArray,
    *,
    weights: Weights,
    rules: Rules,
    class_part: FloatArray | None = None,
    bonus: bool = True,
) -> FloatArray:
    """:func:`block_weights` in mentoring for chosen (mentee, mentor) pairs instead of a whole block: the same
    objective (score + priority bonuses, -inf where a structural hard constraint forbids the pair), element-wise.

    ``class_part``, when given, is each pair's part that depends only on classes (shared hours and seniority, -inf
    where meeting mode or shared hours forbid the pair), looked up by the caller. Without ``bonus``, the score
    alone: the objective is then that plus ``f.bonus[mentees] + f.bonus[mentors]``."""
    out = np.empty(len(mentees), dtype=np.float32)
    for lo in range(0, len(mentees), PAIR_CHUNK):
        part = slice(lo, lo + PAIR_CHUNK)
        out[part] = _mentoring_pairs(
            f,
            mentees[part],
            mentors[part],
            weights=weights,
            rules=rules,
            class_part=None if class_part is None else class_part[part],
            bonus=bonus,
        )
    return out


def _common_at(bits_a: npt.NDArray[np.uint64], a: IntArray, bits_b: npt.NDArray[np.uint64], b: IntArray) -> FloatArray:
    """:func:`_common` of rows ``a`` of ``bits_a`` and rows ``b`` of ``bits_b``."""
    if bits_a.shape[1] == 1:  # up to 64 distinct values: one word, no reduction over words
        return np.bitwise_count(bits_a[a, 0] & bits_b[b, 0]).astype(np.float32)
    return _common(bits_a[a], bits_b[b])


def _mentoring_pairs(
    f: Features, e: IntArray, m: IntArray, *, weights: Weights, rules: Rules, class_part: FloatArray | None, bonus: bool
) -> FloatArray:
    total = weights.total or 1.0
    norm = ((100.0 * weights.skills / total) / np.maximum(f.n_wanted[e], 1)).astype(np.float32)
    score = _common_at(f.wanted_bits, e, f.offered_bits, m)
    score *= norm
    if weights.goals:
        inter = _common_at(f.goal_bits, e, f.goal_bits, m)
        union = f.n_goals[e] + f.n_goals[m] - inter
        np.maximum(union, 1, out=union)
        inter *= np.float32(100.0 * weights.goals / total)
        inter /= union
        score += inter
    if class_part is None:
        score_table, bad_table = f.class_tables(weights, rules, "mentoring", False)
        n_levels, n_meets = f.sen_peer_table.shape[0], f.meet_bad.shape[0]
        score += score_table[f.window[e] * n_levels + f.level[e], f.window[m] * n_levels + f.level[m]]
    else:
        score += class_part
    if weights.cross_department:
        differ = (f.dept[e] != f.dept[m]) & f.dept_known[e] & f.dept_known[m]
        score += np.float32(100.0 * weights.cross_department / total) * differ
    for weight, ids in ((weights.same_department, f.dept), (weights.same_office, f.office)):
        if weight:
            same = (ids[e] == ids[m]) & (ids[e] >= 0)
            score += np.float32(100.0 * weight / total) * same
    if bonus and f.bonus.any():
        score += f.bonus[e] + f.bonus[m]
    if class_part is None:
        bad = bad_table[f.window[e] * n_meets + f.meet[e], f.window[m] * n_meets + f.meet[m]]
        np.copyto(score, np.float32(-np.inf), where=bad)
    return score

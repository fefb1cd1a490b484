"""Pairing engine: hard constraints, modes, objective, determinism, explanations, fairness, CSV input."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import rustworkx as rx
from scipy.optimize import linear_sum_assignment

from pairing import Candidate, PastPair, Rules, Weights, allowed, match, score_pair
from pairing.engine import circle_sizes, weight_matrix
from pairing.fairness import unmatched_rates
from pairing.features import Features, PastIndex, mentoring_explanations, overlap_hours, seniority_level
from pairing.model import Mode
from pairing.report import name_people, preview_text
from pairing.roster import read_past_pairs_csv, read_roster_csv

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RULES = Rules()


def mentor(pid: str, **kw: object) -> Candidate:
    return Candidate(id=pid, role="mentor", **kw)  # type: ignore[arg-type]


def mentee(pid: str, **kw: object) -> Candidate:
    return Candidate(id=pid, role="mentee", **kw)  # type: ignore[arg-type]


def peer(pid: str, **kw: object) -> Candidate:
    return Candidate(id=pid, role="peer", **kw)  # type: ignore[arg-type]


def ok(a: Candidate, b: Candidate, past: list[PastPair] | None = None, rules: Rules = RULES, **managers: str) -> bool:
    org: dict[str, str | None] = {c.id: c.manager_id for c in (a, b)}
    org.update(managers)
    return allowed(a, b, past=past or [], rules=rules, now=NOW, managers=org)


def pairs_of(result_matches: object) -> set[tuple[str, ...]]:
    return {m.members for m in result_matches}  # type: ignore[attr-defined]


# ----------------------------------------------------------------------------------------------- hard constraints


def test_no_repeat_within_the_same_programme_by_default_and_after_its_window() -> None:
    ana, sam = mentee("ana"), mentor("sam")
    long_ago = [PastPair("sam", "ana", NOW - timedelta(weeks=200), same_programme=True)]
    assert not ok(ana, sam, long_ago)
    windowed = Rules(repeat_window_same_programme=timedelta(weeks=26))
    assert ok(ana, sam, long_ago, windowed)
    assert not ok(ana, sam, [PastPair("ana", "sam", NOW - timedelta(weeks=10), True)], windowed)


def test_no_repeat_across_programmes_within_twelve_weeks() -> None:
    ana, sam = mentee("ana"), mentor("sam")
    assert not ok(ana, sam, [PastPair("ana", "sam", NOW - timedelta(weeks=11), same_programme=False)])
    assert ok(ana, sam, [PastPair("ana", "sam", NOW - timedelta(weeks=13), same_programme=False)])


def test_engine_leaves_someone_out_rather_than_repeat_a_pair() -> None:
    people = [mentee("ana"), mentor("sam")]
    past = [PastPair("ana", "sam", NOW - timedelta(days=3), True)]
    result = match(people, mode="mentoring", past_pairs=past, now=NOW, seed=1)
    assert result.matches == ()
    assert {u.id: u.reason for u in result.unmatched}["ana"].startswith("every possible partner was matched with you")


def test_rather_not_applies_in_both_directions_and_stays_private() -> None:
    sam = mentor("sam", rather_not=frozenset({"ana"}))
    ana = mentee("ana")
    assert not ok(ana, sam) and not ok(sam, ana)
    assert not ok(mentee("ana", rather_not=frozenset({"sam"})), mentor("sam"))
    result = match([sam, ana], mode="mentoring", now=NOW, seed=3)
    assert result.matches == ()
    for u in result.unmatched:
        assert "sam" not in u.reason and "ana" not in u.reason and "rather" not in u.reason.lower()
        assert "asked" not in u.reason


def test_reporting_line_up_the_chain_and_down() -> None:
    # ana reports to bo, who reports to cy (bo is not in the round)
    ana = mentee("ana", manager_id="bo")
    cy = mentor("cy")
    assert not ok(ana, cy, bo="cy")  # cy is ana's manager's manager
    assert not ok(cy, ana, bo="cy")  # and ana reports to cy indirectly
    assert ok(ana, mentor("dee"), bo="cy")
    result = match([ana, cy], mode="mentoring", now=NOW, seed=1, managers={"bo": "cy"})
    assert result.matches == ()
    direct = match([mentee("ana", manager_id="cy"), cy], mode="mentoring", now=NOW, seed=1)
    assert direct.matches == ()
    report = match([mentee("ana"), mentor("cy", manager_id="ana")], mode="mentoring", now=NOW, seed=1)
    assert report.matches == ()


def test_capacity_is_respected() -> None:
    people = [mentor("sam", capacity=2), *[mentee(f"e{i}") for i in range(4)]]
    result = match(people, mode="mentoring", now=NOW, seed=1)
    assert len(result.matches) == 2
    assert {m.members[0] for m in result.matches} == {"sam"}
    none = match([mentor("sam", capacity=0), mentee("e")], mode="mentoring", now=NOW, seed=1)
    assert none.matches == ()
    assert {u.id for u in none.unmatched} == {"sam", "e"}


def test_nobody_is_matched_with_themselves() -> None:
    assert not ok(peer("x"), peer("x"))
    with pytest.raises(ValueError, match="duplicate"):
        match([peer("x"), peer("x")], mode="peer_pairs", now=NOW, seed=1)


def test_mentoring_pairs_only_mentors_with_mentees() -> None:
    assert not ok(mentor("a"), mentor("b"))
    assert not ok(mentee("a"), mentee("b"))
    assert not ok(mentor("a"), peer("b"))
    assert ok(mentor("a"), mentee("b")) and ok(peer("a"), peer("b"))
    with pytest.raises(ValueError, match="mentoring takes roles"):
        match([mentor("a"), peer("b")], mode="mentoring", now=NOW, seed=1)
    result = match([mentee("a"), mentee("b"), mentor("m")], mode="mentoring", now=NOW, seed=1)
    assert len(result.matches) == 1 and result.matches[0].members[0] == "m"


def test_meeting_mode_and_location() -> None:
    assert not ok(peer("a", meeting_mode="virtual"), peer("b", meeting_mode="in_person", location="Paris"))
    assert ok(peer("a", meeting_mode="in_person", location="Paris"), peer("b", location="paris"))
    assert not ok(peer("a", meeting_mode="in_person", location="Paris"), peer("b", location="Lyon"))
    assert not ok(peer("a", meeting_mode="in_person"), peer("b", meeting_mode="in_person"))  # no place known
    assert ok(peer("a", meeting_mode="virtual"), peer("b"))
    result = match(
        [peer("a", meeting_mode="in_person", location="Paris"), peer("b", meeting_mode="virtual")],
        mode="peer_pairs",
        now=NOW,
        seed=1,
    )
    reason = {u.id: u.reason for u in result.unmatched}["a"]
    assert reason.startswith("no one else in this round can meet in person in Paris")


def test_minimum_shared_working_hours() -> None:
    la = peer("la", timezone="America/Los_Angeles")
    syd = peer("syd", timezone="Australia/Sydney")
    assert overlap_hours(la, syd) == 3  # 17:00-01:00 and 22:00-06:00 UTC on the January reference day
    strict = Rules(min_overlap_hours=4)
    assert not ok(la, syd, rules=strict)
    assert ok(la, syd)
    result = match([la, syd], mode="peer_pairs", rules=strict, now=NOW, seed=1)
    assert result.matches == ()
    assert all(u.reason.startswith("no one shares enough working hours with you") for u in result.unmatched)


# ----------------------------------------------------------------------------------------------------------- modes


def test_mentoring_is_one_to_many() -> None:
    people = [mentor("sam", capacity=3, skills_offered=frozenset({"Go"}))]
    people += [mentee(f"e{i}", skills_wanted=frozenset({"Go"})) for i in range(3)]
    result = match(people, mode="mentoring", now=NOW, seed=1)
    assert pairs_of(result.matches) == {("sam", "e0"), ("sam", "e1"), ("sam", "e2")}
    assert result.unmatched == ()


def test_peer_pairs_on_a_general_graph_with_an_odd_count() -> None:
    people = [peer(f"p{i}") for i in range(5)]
    result = match(people, mode="peer_pairs", now=NOW, seed=4)
    assert len(result.matches) == 2
    assert all(m.members == tuple(sorted(m.members)) for m in result.matches)
    (left,) = result.unmatched
    assert left.reason == "odd number of peers: you are first in line next round"
    # a triangle plus one: any general-graph solution must use the edge outside the triangle
    tri = [peer("a"), peer("b"), peer("c"), peer("d", rather_not=frozenset({"a", "b"}))]
    result = match(tri, mode="peer_pairs", now=NOW, seed=1)
    assert len(result.matches) == 2 and ("c", "d") in pairs_of(result.matches)


@pytest.mark.parametrize(
    ("n", "size", "expected"),
    [
        (10, 4, [4, 3, 3]),
        (8, 4, [4, 4]),
        (5, 4, [5]),
        (7, 3, [4, 3]),
        (13, 3, [4, 3, 3, 3]),
        (2, 4, []),
        (12, 6, [6, 6]),
    ],
)
def test_circle_sizes(n: int, size: int, expected: list[int]) -> None:
    assert circle_sizes(n, size) == expected


def test_peer_circles_with_leftovers_and_all_pairs_allowed() -> None:
    rng = random.Random(5)
    people = [peer(f"p{i:02d}", department=rng.choice("ABC"), timezone="Europe/Paris") for i in range(10)]
    people[0] = replace(people[0], rather_not=frozenset({"p01", "p02"}))
    result = match(people, mode="peer_circles", rules=Rules(circle_size=4), now=NOW, seed=2)
    assert sorted(len(m.members) for m in result.matches) == [3, 3, 4]
    by_id = {c.id: c for c in people}
    for m in result.matches:
        for i, a in enumerate(m.members):
            for b in m.members[i + 1 :]:
                assert ok(by_id[a], by_id[b])
    assert result.unmatched == ()
    assert any(r.startswith("8 h of shared working hours") for m in result.matches for r in m.reasons)


# ---------------------------------------------------------------------------------------------- objective order


def test_cardinality_first_beats_the_greedy_choice() -> None:
    star = mentor("star", skills_offered=frozenset({"Go", "SQL"}), department="Eng")
    plain = mentor("plain", department="Ops")
    keen = mentee("keen", skills_wanted=frozenset({"Go", "SQL"}), department="Sales")  # loves star, fine with plain
    picky = mentee("picky", rather_not=frozenset({"plain"}))  # can only have star
    score_keen_star = score_pair(star, keen, weights=Weights(), mode="mentoring")[0]
    assert score_keen_star > score_pair(plain, keen, weights=Weights(), mode="mentoring")[0]
    result = match([star, plain, keen, picky], mode="mentoring", now=NOW, seed=1)
    assert pairs_of(result.matches) == {("star", "picky"), ("plain", "keen")}
    # peers: a path a-b-c-d whose best edge is b-c
    a = peer("a", skills_wanted=frozenset({"x"}), rather_not=frozenset({"c", "d"}))
    b = peer("b", skills_offered=frozenset({"y"}), skills_wanted=frozenset({"x"}), rather_not=frozenset({"d"}))
    c = peer("c", skills_offered=frozenset({"x"}), skills_wanted=frozenset({"y"}))
    d = peer("d", skills_wanted=frozenset({"z"}))
    result = match([a, b, c, d], mode="peer_pairs", now=NOW, seed=1)
    assert pairs_of(result.matches) == {("a", "b"), ("c", "d")}


# ------------------------------------------------------------------------------------------------- determinism


def _population(n: int, seed: int, mode: Mode) -> list[Candidate]:
    rng = random.Random(seed)
    skills = ["Go", "SQL", "Speaking", "Design", "Hiring"]
    zones = ["Europe/Paris", "America/New_York", "Asia/Kolkata", None]
    out = []
    for i in range(n):
        role = "peer" if mode != "mentoring" else ("mentor" if i % 3 == 0 else "mentee")
        out.append(
            Candidate(
                id=f"u{i:03d}",
                role=role,  # type: ignore[arg-type]
                skills_offered=frozenset(rng.sample(skills, rng.randint(0, 3))),
                skills_wanted=frozenset(rng.sample(skills, rng.randint(0, 2))),
                goals=rng.choice(["grow roadmap skills", "public speaking confidence", "hiring and roadmap", ""]),
                department=rng.choice(["Eng", "Sales", "Ops", ""]),
                title=rng.choice(["Engineer", "Senior Engineer", "Director", "Junior Analyst", ""]),
                timezone=rng.choice(zones),
                capacity=rng.randint(1, 3),
                meeting_mode=rng.choice(["either", "either", "virtual", "in_person"]),
                location=rng.choice(["Paris", "NYC"]),
                rather_not=frozenset({f"u{rng.randrange(n):03d}"}) if rng.random() < 0.2 else frozenset(),
                manager_id=f"u{rng.randrange(n):03d}" if rng.random() < 0.2 else None,
            )
        )
    return out


@pytest.mark.parametrize("mode", ["mentoring", "peer_pairs", "peer_circles"])
def test_same_seed_same_result_whatever_the_input_order(mode: Mode) -> None:
    people = _population(30, 1, mode)
    first = match(people, mode=mode, now=NOW, seed=42)
    again = match(list(reversed(people)), mode=mode, now=NOW, seed=42)
    assert first == again


def test_different_seeds_may_break_ties_differently() -> None:
    people = [peer(f"p{i}") for i in range(6)]  # everyone identical: every pairing ties
    outcomes = {pairs_of(match(people, mode="peer_pairs", now=NOW, seed=s).matches).__repr__() for s in range(12)}
    assert len(outcomes) > 1


# ------------------------------------------------------------------------------------------------ explanations


def test_reasons_name_the_shared_skill_hours_and_departments() -> None:
    sam = mentor("sam", skills_offered=frozenset({"Leadership"}), department="Sales", timezone="Europe/London")
    ana = mentee(
        "ana",
        skills_wanted=frozenset({"Leadership"}),
        department="Engineering",
        timezone="Europe/Berlin",
        goals="roadmap and speaking",
    )
    score, reasons = score_pair(ana, sam, weights=Weights(), mode="mentoring")
    assert "sam offers Leadership, which ana wants to grow" in reasons
    assert "7 h of shared working hours" in reasons
    assert "different departments (Sales, Engineering)" in reasons
    assert 0 < score <= 100
    shown = name_people(reasons[0], {"sam": "Sam", "ana": "Ana"})
    assert shown == "Sam offers Leadership, which Ana wants to grow"
    p, q = (
        peer("p", skills_wanted=frozenset({"Public speaking"})),
        peer("q", skills_wanted=frozenset({"Public speaking"})),
    )
    assert "both want to grow in Public speaking" in score_pair(p, q, weights=Weights(), mode="peer_pairs")[1]
    no_tz = score_pair(
        peer("p", goals="roadmap speaking"), peer("q", goals="speaking roadmap"), weights=Weights(), mode="peer_pairs"
    )
    assert not any("working hours" in r for r in no_tz[1])
    assert "similar goals: roadmap, speaking" in no_tz[1]


def test_unmatched_reasons_never_name_anyone() -> None:
    people = _population(40, 7, "mentoring")
    people = [replace(c, capacity=1) if c.role == "mentor" else c for c in people]
    result = match(people, mode="mentoring", now=NOW, seed=3)
    assert result.unmatched
    ids = {c.id for c in people}
    for u in result.unmatched:
        assert not any(pid in u.reason for pid in ids), u.reason
        assert "rather" not in u.reason and "manager" not in u.reason


def test_preview_shows_matches_unmatched_and_figures() -> None:
    people = [
        mentor("sam", skills_offered=frozenset({"Go"}), department="Eng"),
        mentee("ana", skills_wanted=frozenset({"Go"}), department="Ops"),
        mentee("bo"),
    ]
    result = match(people, mode="mentoring", now=NOW, seed=1)
    text = preview_text(result, {"sam": "Sam", "ana": "Ana", "bo": "Bo"}, candidates=people)
    assert "Sam -> Ana" in text and "Sam offers Go, which Ana wants to grow" in text
    assert "Bo: " in text and "matched: 2 of 3 people (66.7 %)" in text
    assert "unmatched rate by department" in text and "mentee 50 %" in text


# ---------------------------------------------------------------------------------------------------- fairness


def test_a_tiny_department_is_not_left_out_when_capacity_allows_everyone() -> None:
    mentors = [
        mentor(f"m{i}", capacity=3, department="Engineering", skills_offered=frozenset({"Go"})) for i in range(10)
    ]
    mentees = [mentee(f"e{i}", department="Engineering", skills_wanted=frozenset({"Go"})) for i in range(29)]
    mentees.append(mentee("legal", department="Legal", skills_wanted=frozenset({"Contracts"})))
    for seed in range(15):
        result = match(mentors + mentees, mode="mentoring", now=NOW, seed=seed)
        assert "legal" in result.matched_ids()
        rates = unmatched_rates(mentors + mentees, result)
        assert rates["department"]["Legal"] == 0.0 and rates["role"]["mentee"] == 0.0


def test_across_four_rounds_with_scarce_mentors_nobody_misses_twice() -> None:
    mentors = [mentor(f"m{i}", capacity=2) for i in range(8)]  # 16 slots for 20 mentees
    mentees = [mentee(f"e{i:02d}") for i in range(20)]
    missed: Counter[str] = Counter()
    history: list[PastPair] = []
    for r in range(4):
        now = NOW + timedelta(weeks=4 * r)
        pool = mentors + [replace(m, missed_rounds=missed[m.id]) for m in mentees]
        result = match(pool, mode="mentoring", past_pairs=history, now=now, seed=r)
        assert len(result.matches) == 16
        for m in mentees:
            missed[m.id] += m.id not in result.matched_ids()
        history += [PastPair(a, b, now, True) for a, b in (x.members for x in result.matches)]
    assert max(missed.values()) == 1
    assert sum(missed.values()) == 16


# ------------------------------------------------------------------------------------------------------- roster


def test_roster_csv_parsing() -> None:
    text = (
        "id,role,skills_offered,skills_wanted,goals,department,title,timezone,capacity,meeting_mode,location,"
        "manager_id,rather_not,missed_rounds\n"
        "U1,mentor,Leadership; Go,,,Eng,Staff Engineer,Europe/Paris,3,either,,,U3,0\n"
        "U2,mentee,,Go;Public speaking,grow roadmap,Sales,Junior Analyst,,,in_person,Paris,U1,,2\n"
    )
    people = read_roster_csv(text)
    assert [p.id for p in people] == ["U1", "U2"]
    assert people[0].skills_offered == frozenset({"Leadership", "Go"}) and people[0].capacity == 3
    assert people[0].rather_not == frozenset({"U3"})
    assert people[1].timezone is None and people[1].meeting_mode == "in_person" and people[1].missed_rounds == 2
    assert people[1].manager_id == "U1" and seniority_level(people[0].title) == 3


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("U1,boss,,", "row 2, column role"),
        ("U1,mentor,3x,", "row 2, column capacity: expected a whole number"),
        ("U1,mentor,-1,", "row 2, column capacity: expected a number >= 0"),
        ("U1,mentor,1,Mars/Olympus", "row 2, column timezone"),
        (",mentor,1,", "row 2, column id"),
    ],
)
def test_roster_csv_errors_name_row_and_column(row: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        read_roster_csv("id,role,capacity,timezone\n" + row + "\n")
    with pytest.raises(ValueError, match="missing column"):
        read_roster_csv("id,skills\nU1,Go\n")
    with pytest.raises(ValueError, match="row 3, column id: 'U1' already appears on row 2"):
        read_roster_csv("id,role\nU1,peer\nU1,peer\n")


def test_past_pairs_csv(tmp_path: object) -> None:
    pairs = read_past_pairs_csv("a,b,ended_at,same_programme\nU1,U2,2026-01-05,true\nU1,U3,2025-06-01T10:00:00Z,no\n")
    assert pairs[0] == PastPair("U1", "U2", datetime(2026, 1, 5, tzinfo=UTC), True)
    assert pairs[1].same_programme is False
    with pytest.raises(ValueError, match="row 2, column ended_at"):
        read_past_pairs_csv("a,b,ended_at\nU1,U2,last week\n")


# ---------------------------------------------------------------------------------------------- exact optimum


def _exact_mentoring(people: list[Candidate]) -> tuple[int, float]:
    mentees = [c.id for c in people if c.role == "mentee"]
    mentors = [c for c in people if c.role == "mentor"]
    w = weight_matrix(people, mentees, [m.id for m in mentors], mode="mentoring", now=NOW).astype(np.float64)
    slots = np.repeat(np.arange(len(mentors)), [m.capacity for m in mentors])
    dense = w[:, slots]
    r, c = linear_sum_assignment(np.where(np.isfinite(dense), 1e6 + dense, 0.0), maximize=True)
    good = np.isfinite(dense[r, c])
    return int(good.sum()), float(dense[r[good], c[good]].sum())


def _exact_peers(people: list[Candidate]) -> tuple[int, float]:
    ids = [c.id for c in people]
    w = weight_matrix(people, ids, ids, mode="peer_pairs", now=NOW)
    g: rx.PyGraph = rx.PyGraph()
    g.add_nodes_from(range(len(ids)))
    for i in range(len(ids)):
        for j in range(i + 1, len(ids)):
            if np.isfinite(w[i, j]):
                g.add_edge(i, j, round(float(w[i, j]) * 100))
    m = rx.max_weight_matching(g, max_cardinality=True, weight_fn=lambda x: x)
    return len(m), float(sum(w[i, j] for i, j in m))


@pytest.mark.parametrize("seed", range(6))
def test_engine_reaches_the_exact_optimum_on_small_instances(seed: int) -> None:
    people = _population(36, seed, "mentoring")
    result = match(people, mode="mentoring", now=NOW, seed=seed)
    count, best = _exact_mentoring(people)
    ids = [c.id for c in people]
    w = weight_matrix(people, ids, ids, mode="mentoring", now=NOW)
    pos = {x: i for i, x in enumerate(ids)}
    got = sum(float(w[pos[e], pos[m]]) for m, e in (x.members for x in result.matches))
    assert len(result.matches) == count
    assert got >= 0.999 * best
    peers = _population(40, seed, "peer_pairs")
    result = match(peers, mode="peer_pairs", now=NOW, seed=seed)
    count, best = _exact_peers(peers)
    ids = [c.id for c in peers]
    w = weight_matrix(peers, ids, ids, mode="peer_pairs", now=NOW)
    pos = {x: i for i, x in enumerate(ids)}
    got = sum(float(w[pos[a], pos[b]]) for a, b in (x.members for x in result.matches))
    assert len(result.matches) == count
    assert got >= 0.999 * best


def test_vectorised_scores_and_constraints_agree_with_the_per_pair_functions() -> None:
    for mode in ("mentoring", "peer_pairs"):
        people = _population(30, 9, mode)
        ids = [c.id for c in people]
        w = weight_matrix(people, ids, ids, mode=mode, now=NOW)
        org = {c.id: c.manager_id for c in people}
        index = PastIndex.build([], rules=RULES, now=NOW)
        for i, a in enumerate(people):
            for j, b in enumerate(people):
                if mode == "mentoring" and not (a.role == "mentee" and b.role == "mentor"):
                    continue
                legal = allowed(a, b, past=index, rules=RULES, now=NOW, managers=org)
                assert legal == bool(np.isfinite(w[i, j])), (a.id, b.id)
                if legal:
                    assert abs(score_pair(a, b, weights=Weights(), mode=mode)[0] - float(w[i, j])) < 0.05


def test_explanations_of_a_whole_round_equal_those_of_each_pair() -> None:
    rng = random.Random(4)
    skills = ["Python", " python", "Go", "SQL ", "Hiring", "Sales", ""]
    words = ["roadmap", "speaking", "career", "the", "data", "growth", ""]
    people = [
        Candidate(
            id=f"{role[:2]}{i}",
            role=role,
            skills_offered=frozenset(rng.sample(skills, rng.randint(0, 4))),
            skills_wanted=frozenset(rng.sample(skills, rng.randint(0, 3))),
            goals=" ".join(rng.sample(words, rng.randint(0, 4))),
            department=rng.choice(["", " ", "Eng", "eng ", "Sales"]),
            title=rng.choice(["", "Intern", "Engineer", "Senior Engineer", "VP Sales", "CTO"]),
            timezone=rng.choice([None, "Europe/Berlin", "America/New_York", "Not/AZone"]),
            meeting_mode=rng.choice(["virtual", "in_person", "either"]),
            location=rng.choice(["", "Berlin", " berlin", "London"]),
            work_start=rng.choice([0, 7, 9, 22]),
            work_end=rng.choice([8, 17, 24]),
        )
        for i in range(40)
        for role in ("mentor", "mentee")
    ]
    pairs = [
        (i, j) for i, a in enumerate(people) for j, b in enumerate(people) if (a.role, b.role) == ("mentor", "mentee")
    ]
    for weights in (Weights(), Weights(same_department=10, same_office=5, seniority=0, cross_department=0)):
        features = Features(people, missed_bonus=0.0)
        mentors, mentees = (np.array(side, dtype=np.int64) for side in zip(*pairs, strict=True))
        batch = mentoring_explanations(features, people, mentors, mentees, weights)
        each = [score_pair(people[i], people[j], weights=weights, mode="mentoring") for i, j in pairs]
        assert batch == each

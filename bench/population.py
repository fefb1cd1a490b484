"""Seeded synthetic populations for the pairing benchmark (and anyone who wants to rehearse a big round)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from pairing.model import Candidate, MeetingMode, PastPair, Role

SKILLS = [
    "Public speaking", "Leadership", "Python", "System design", "Negotiation", "Product strategy", "Data analysis",
    "Hiring", "Writing", "Coaching", "Sales", "UX research", "Cloud infrastructure", "Security", "Finance",
    "Machine learning", "Project management", "Storytelling", "Conflict resolution", "Career growth",
]  # fmt: skip
GOAL_WORDS = [
    "roadmap", "speaking", "promotion", "manager", "confidence", "architecture", "visibility", "feedback",
    "delegation", "strategy", "network", "writing", "influence", "mentoring", "career", "technical", "interviews",
    "customers", "negotiation", "planning", "execution", "prioritisation", "presentations", "stakeholders", "data",
    "coaching", "leadership", "burnout", "balance", "impact", "ownership", "design", "quality", "scaling", "hiring",
    "onboarding", "growth", "budget", "metrics", "storytelling",
]  # fmt: skip
FILLER = ["I want to", "get better at", "grow my", "learn about", "and", "with", "more"]
TIMEZONES = [
    ("America/Los_Angeles", 12), ("America/Denver", 4), ("America/New_York", 18), ("America/Sao_Paulo", 6),
    ("Europe/London", 16), ("Europe/Berlin", 16), ("Africa/Nairobi", 4), ("Asia/Kolkata", 10),
    ("Asia/Singapore", 8), ("Australia/Sydney", 6),
]  # fmt: skip
DEPARTMENTS = [
    ("Engineering", 30), ("Sales", 18), ("Marketing", 12), ("Product", 10), ("Support", 9), ("Finance", 7),
    ("People", 5), ("Legal", 4), ("Design", 4), ("Security", 1),
]  # fmt: skip
MENTEE_TITLES = ["Junior Engineer", "Engineer", "Analyst", "Account Executive", "Designer", "Senior Engineer",
                 "Associate", "Specialist", "Senior Analyst", "Intern"]  # fmt: skip
MENTOR_TITLES = ["Senior Engineer", "Staff Engineer", "Engineering Manager", "Team Lead", "Head of Sales",
                 "Director of Product", "Principal Designer", "VP Marketing", "Senior Manager", "CTO"]  # fmt: skip
OFFICES = ["London", "Berlin", "New York", "Singapore", "Sao Paulo"]
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _goal(rng: random.Random) -> str:
    words = rng.sample(GOAL_WORDS, rng.randint(3, 6))
    return f"{rng.choice(FILLER)} {' '.join(words[:2])} {rng.choice(FILLER)} {' '.join(words[2:])}"


def _person(rng: random.Random, pid: str, role: Role, capacity: int = 1) -> Candidate:
    tz = rng.choices([t for t, _ in TIMEZONES], [w for _, w in TIMEZONES])[0]
    dept = rng.choices([d for d, _ in DEPARTMENTS], [w for _, w in DEPARTMENTS])[0]
    roll = rng.random()
    meeting: MeetingMode = "either" if roll < 0.8 else "virtual" if roll < 0.92 else "in_person"
    titles = MENTOR_TITLES if role == "mentor" else MENTEE_TITLES
    start = rng.choice([7, 8, 9, 9, 9, 10, 11])
    return Candidate(
        id=pid,
        role=role,
        skills_offered=frozenset(rng.sample(SKILLS, rng.randint(2, 5) if role != "mentee" else rng.randint(0, 2))),
        skills_wanted=frozenset(rng.sample(SKILLS, rng.randint(1, 3) if role != "mentor" else rng.randint(0, 1))),
        goals=_goal(rng),
        department=dept,
        title=rng.choice(titles),
        timezone=tz if rng.random() > 0.03 else None,
        capacity=capacity,
        meeting_mode=meeting,
        location=rng.choice(OFFICES) if meeting == "in_person" or rng.random() < 0.5 else "",
        work_start=start,
        work_end=start + 8,
    )


def _sprinkle(
    rng: random.Random, people: list[Candidate], partners: list[Candidate]
) -> tuple[list[Candidate], list[PastPair]]:
    """Manager chains, rather-not lists and past pairs."""
    from dataclasses import replace

    ids = [p.id for p in partners]
    out: list[Candidate] = []
    past: list[PastPair] = []
    for p in people:
        changes: dict[str, object] = {}
        if rng.random() < 0.2:
            changes["manager_id"] = rng.choice(ids)
        if rng.random() < 0.03:
            changes["rather_not"] = frozenset(rng.sample(ids, rng.randint(1, 3)))
        if rng.random() < 0.05:
            other = rng.choice(ids)
            if other != p.id:
                past.append(PastPair(p.id, other, NOW - timedelta(days=rng.randint(10, 200)), rng.random() < 0.5))
        out.append(replace(p, **changes) if changes else p)  # type: ignore[arg-type]
    return out, past


def mentoring_population(n_mentees: int, n_mentors: int, seed: int) -> tuple[list[Candidate], list[PastPair]]:
    rng = random.Random(seed)
    mentors = [_person(rng, f"M{i:05d}", "mentor", rng.randint(1, 5)) for i in range(n_mentors)]
    mentees = [_person(rng, f"E{i:05d}", "mentee") for i in range(n_mentees)]
    mentors, past1 = _sprinkle(rng, mentors, mentors)  # mentors report to mentors
    mentees, past2 = _sprinkle(rng, mentees, mentors)  # mentees report to mentors, past pairs with mentors
    return mentors + mentees, past1 + past2


def peer_population(n: int, seed: int) -> tuple[list[Candidate], list[PastPair]]:
    rng = random.Random(seed)
    peers = [_person(rng, f"P{i:05d}", "peer") for i in range(n)]
    return _sprinkle(rng, peers, peers)

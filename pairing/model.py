"""Plain data in and out of the pairing engine: no Slack, database or app imports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

Role = Literal["mentor", "mentee", "peer"]
MeetingMode = Literal["virtual", "in_person", "either"]
Mode = Literal["mentoring", "peer_pairs", "peer_circles"]

ROLES: tuple[Role, ...] = ("mentor", "mentee", "peer")
MEETING_MODES: tuple[MeetingMode, ...] = ("virtual", "in_person", "either")
MODES: tuple[Mode, ...] = ("mentoring", "peer_pairs", "peer_circles")


@dataclass(frozen=True)
class Candidate:
    """One person taking part in a round.

    Paused people and people who left are excluded by the caller: the engine matches everyone it is given.
    ``rather_not`` is private: it only ever acts as a hard constraint and never appears in any output text.
    """

    id: str
    role: Role
    skills_offered: frozenset[str] = frozenset()
    skills_wanted: frozenset[str] = frozenset()
    goals: str = ""
    department: str = ""
    title: str = ""
    timezone: str | None = None
    capacity: int = 1
    meeting_mode: MeetingMode = "either"
    location: str = ""
    manager_id: str | None = None
    rather_not: frozenset[str] = frozenset()
    missed_rounds: int = 0
    work_start: int = 9
    work_end: int = 17

    def __post_init__(self) -> None:
        for name in ("skills_offered", "skills_wanted", "rather_not"):
            value = getattr(self, name)
            if not isinstance(value, frozenset):
                object.__setattr__(self, name, frozenset(value))
        if not self.id:
            raise ValueError("candidate id must not be empty")
        if self.role not in ROLES:
            raise ValueError(f"candidate {self.id}: role must be one of {', '.join(ROLES)}, not {self.role!r}")
        if self.meeting_mode not in MEETING_MODES:
            raise ValueError(
                f"candidate {self.id}: meeting_mode must be one of {', '.join(MEETING_MODES)}, "
                f"not {self.meeting_mode!r}"
            )
        if self.capacity < 0:
            raise ValueError(f"candidate {self.id}: capacity must be >= 0, not {self.capacity}")
        if self.missed_rounds < 0:
            raise ValueError(f"candidate {self.id}: missed_rounds must be >= 0, not {self.missed_rounds}")
        for name in ("work_start", "work_end"):
            value = getattr(self, name)
            if not 0 <= value <= 24:
                raise ValueError(f"candidate {self.id}: {name} must be an hour between 0 and 24, not {value}")


@dataclass(frozen=True)
class PastPair:
    """Two people matched before; ``ended_at`` is timezone-aware (a pair still running may use its start)."""

    a: str
    b: str
    ended_at: datetime
    same_programme: bool


@dataclass(frozen=True)
class Weights:
    """The programme's weights for the soft criteria, all >= 0. Scores are normalised to 0..100."""

    skills: float = 40.0
    goals: float = 15.0
    timezone: float = 20.0
    cross_department: float = 10.0
    seniority: float = 15.0
    same_department: float = 0.0  # a programme that prefers pairs within a department
    same_office: float = 0.0  # a programme that prefers pairs within an office

    def __post_init__(self) -> None:
        for name in ("skills", "goals", "timezone", "cross_department", "seniority", "same_department", "same_office"):
            if getattr(self, name) < 0:
                raise ValueError(f"weight {name} must be >= 0")

    @property
    def total(self) -> float:
        return (
            self.skills
            + self.goals
            + self.timezone
            + self.cross_department
            + self.seniority
            + self.same_department
            + self.same_office
        )


@dataclass(frozen=True)
class Rules:
    """Hard rules and round settings of a programme."""

    repeat_window_same_programme: timedelta | None = None  # None: never repeat a pair within the same programme
    repeat_window_other_programmes: timedelta = timedelta(weeks=12)
    min_overlap_hours: float = 0.0  # pairs sharing fewer working hours are not allowed (0: no constraint)
    circle_size: int = 4  # 3-6
    # Added to the objective per missed round of each matched person (score points). At 100 it outweighs any score
    # difference, so whoever missed a round is matched first whenever that is possible.
    priority_bonus: float = 100.0

    def __post_init__(self) -> None:
        if not 3 <= self.circle_size <= 6:
            raise ValueError(f"circle_size must be between 3 and 6, not {self.circle_size}")
        if self.min_overlap_hours < 0 or self.priority_bonus < 0:
            raise ValueError("min_overlap_hours and priority_bonus must be >= 0")


@dataclass(frozen=True)
class Pairing:
    """1:1 mentoring: (mentor_id, mentee_id); peers: 2 ids sorted; circles: 3-6 ids sorted.

    Reasons name people by their id; ``pairing.report.name_people`` swaps ids for display names.
    """

    members: tuple[str, ...]
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Unmatched:
    """Someone left out this round, with a kind reason that never names anyone else."""

    id: str
    reason: str


@dataclass(frozen=True)
class MatchResult:
    matches: tuple[Pairing, ...]
    unmatched: tuple[Unmatched, ...]
    seed: int
    mode: Mode
    objective: float = 0.0  # total score plus priority bonuses, what the engine maximised after cardinality
    notes: tuple[str, ...] = field(default=())  # solver notes for logs (graph size, fallbacks), no personal data

    def matched_ids(self) -> set[str]:
        return {m for match in self.matches for m in match.members}

    def stats(self) -> dict[str, float]:
        matched = len(self.matched_ids())
        people = matched + len(self.unmatched)
        scores = [m.score for m in self.matches]
        total = float(sum(scores))
        return {
            "people": float(people),
            "matched": float(matched),
            "unmatched": float(len(self.unmatched)),
            "matched_pct": 100.0 * matched / people if people else 0.0,
            "matches": float(len(self.matches)),
            "total_score": total,
            "mean_score": total / len(scores) if scores else 0.0,
            "min_score": float(min(scores)) if scores else 0.0,
        }

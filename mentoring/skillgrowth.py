"""Skills rated before and after: each mentee or peer rates the skills they want to grow (1-5, anchored levels) at
the start of the cycle, again with the mid-cycle pulse and with the exit reflection, and sees their own change.

Ratings are private: only the person sees theirs; reports use them only as aggregates over at least five people
per skill (`store.insight.skill_development`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from store import queries
from store.models import Participant, ParticipantStatus, Programme, Role, SkillRating, SkillStage

MAX_RATED = 5  # skills one form rates: the first ones the person wants to grow

# Anchored levels: what each number means, so that a 3 at the start and a 3 at the end say the same thing.
LEVELS = (
    "New to it: I haven't done this yet",
    "Learning: I can do it with help",
    "Working: I do it on my own when it's familiar",
    "Strong: I do it well, also when it's hard",
    "Expert: I could teach it to others",
)


@dataclass(frozen=True)
class RateTarget:
    """Whose skills a form rates, in which programme and cycle, and what they rated before at this stage."""

    programme: Programme
    user_id: str
    skills: list[str]
    current: dict[str, int]


def rates_skills(participant: Participant) -> bool:
    """Mentees and peers rate the skills they want to grow; mentors offer skills and rate none."""
    return participant.role in (Role.MENTEE.value, Role.PEER.value) and bool(participant.skills_wanted)


def _ratings(
    session: Session, programme: Programme, user_id: str, stage: SkillStage | None = None
) -> list[SkillRating]:
    query = select(SkillRating).where(
        SkillRating.programme_id == programme.id,
        SkillRating.cycle_number == programme.cycle_number,
        SkillRating.slack_user_id == user_id,
    )
    if stage is not None:
        query = query.where(SkillRating.stage == stage.value)
    return list(session.exec(query).all())


def target(*, session: Session, programme: Programme, user_id: str, stage: SkillStage) -> RateTarget | None:
    """What the person rates at this stage in this programme; None for mentors, or with no skill to grow."""
    participant = session.exec(
        select(Participant).where(Participant.programme_id == programme.id, Participant.slack_user_id == user_id)
    ).first()
    if participant is None or participant.status == ParticipantStatus.LEFT.value or not rates_skills(participant):
        return None
    current = {r.skill: r.level for r in _ratings(session, programme, user_id, stage)}
    return RateTarget(programme, user_id, participant.skills_wanted[:MAX_RATED], current)


def start_target(*, session: Session, team_id: str, user_id: str, wanted: str = "") -> RateTarget | str:
    """`/mentor skills [programme]`: the start-of-cycle ratings to give, or why there are none to give."""
    memberships = queries.memberships(session=session, team_id=team_id, slack_user_id=user_id)
    rating = [
        (participant, programme)
        for participant, programme in memberships
        if rates_skills(participant) and (not wanted or wanted.lower() in (programme.name.lower(), programme.slug))
    ]
    if not rating:
        return (
            "You rate skills as a mentee or a peer, for the skills you want to grow. "
            "Join a programme with `/mentor join` and pick them there."
        )
    _, programme = rating[0]
    found = target(session=session, programme=programme, user_id=user_id, stage=SkillStage.START)
    return found if found is not None else "There are no skills to rate in that programme."


def problems(skills: Sequence[str], levels: Mapping[str, int | None], *, optional: bool = False) -> dict[str, str]:
    """Each skill of the form needs a level from 1 to 5 (block ids are `skill_<index>`); with `optional` (the pulse
    and the exit reflection, where rating again is welcome but not required) a skill may be left unrated."""
    errors: dict[str, str] = {}
    for index, skill in enumerate(skills):
        level = levels.get(skill)
        if level is None and optional:
            continue
        if level is None or not 1 <= level <= len(LEVELS):
            errors[f"skill_{index}"] = "Pick the level that fits best."
    return errors


def save(
    *,
    session: Session,
    team_id: str,
    programme: Programme,
    user_id: str,
    stage: SkillStage,
    levels: Mapping[str, int],
    now: datetime,
) -> None:
    """Keep the person's levels for this stage of the cycle, replacing the ones they gave at this stage before."""
    existing = {r.skill: r for r in _ratings(session, programme, user_id, stage)}
    for skill, level in levels.items():
        row = existing.get(skill) or SkillRating(
            team_id=team_id,
            programme_id=programme.id or 0,
            cycle_number=programme.cycle_number,
            slack_user_id=user_id,
            skill=skill,
            stage=stage.value,
            level=level,
        )
        row.level, row.created_at = level, now
        session.add(row)
    session.flush()


@dataclass(frozen=True)
class SkillChange:
    """One skill the person rated: where they started and where they rate themselves now (None: not yet)."""

    programme_name: str
    skill: str
    start: int | None
    latest: int | None
    latest_stage: str | None

    @property
    def change(self) -> int | None:
        return None if self.start is None or self.latest is None else self.latest - self.start


STAGE_ORDER = (SkillStage.START.value, SkillStage.PULSE.value, SkillStage.EXIT.value)


def changes_of(*, session: Session, team_id: str, user_id: str) -> list[SkillChange]:
    """The person's own change per skill, in each programme's current cycle (for their App Home)."""
    memberships = queries.memberships(session=session, team_id=team_id, slack_user_id=user_id)
    changes: list[SkillChange] = []
    programmes = {p.id: p for _, p in memberships}
    rows = session.exec(
        select(SkillRating).where(
            SkillRating.team_id == team_id,
            SkillRating.slack_user_id == user_id,
            col(SkillRating.programme_id).in_([p for p in programmes if p is not None]),
        )
    ).all()
    by_skill: dict[tuple[int, str], dict[str, int]] = {}
    for row in rows:
        programme = programmes.get(row.programme_id)
        if programme is not None and row.cycle_number == programme.cycle_number:
            by_skill.setdefault((row.programme_id, row.skill), {})[row.stage] = row.level
    for (programme_id, skill), stages in sorted(by_skill.items()):
        later = [s for s in STAGE_ORDER[1:] if s in stages]
        latest_stage = later[-1] if later else None
        changes.append(
            SkillChange(
                programme_name=programmes[programme_id].name,
                skill=skill,
                start=stages.get(SkillStage.START.value),
                latest=stages[latest_stage] if latest_stage else None,
                latest_stage=latest_stage,
            )
        )
    return changes


NOT_IN = "You rate skills in a programme you're in as a mentee or a peer."


def start_target_in(*, session: Session, team_id: str, user_id: str, programme_id: int | None) -> RateTarget | str:
    """The start-of-cycle form of one programme (a button names it), or why there is none."""
    programme = session.get(Programme, programme_id or -1)
    if programme is None or programme.team_id != team_id:
        return NOT_IN
    found = target(session=session, programme=programme, user_id=user_id, stage=SkillStage.START)
    return found if found is not None else NOT_IN


def rate(
    *,
    session: Session,
    team_id: str,
    user_id: str,
    programme_id: int | None,
    stage: SkillStage,
    skills: Sequence[str],
    levels: Mapping[str, int | None],
    now: datetime,
    optional: bool = False,
) -> dict[str, str]:
    """A submitted rating form: saved, or the errors to show inline. Only the skills the person wants to grow in
    that programme count (a forged form naming others is refused)."""
    programme = session.get(Programme, programme_id or -1)
    found = (
        target(session=session, programme=programme, user_id=user_id, stage=stage)
        if programme is not None and programme.team_id == team_id
        else None
    )
    first = "skill_0"
    if found is None or not skills or any(s not in found.skills for s in skills):
        return {first: NOT_IN}
    errors = problems(skills, levels, optional=optional)
    if errors:
        return errors
    save(
        session=session,
        team_id=team_id,
        programme=found.programme,
        user_id=user_id,
        stage=stage,
        levels={s: level for s in skills if (level := levels.get(s)) is not None},
        now=now,
    )
    return {}


def rate_again(
    *,
    session: Session,
    team_id: str,
    user_id: str,
    programme: Programme,
    stage: SkillStage,
    skills: Sequence[str],
    levels: Mapping[str, int | None],
    now: datetime,
) -> None:
    """The pulse's or exit reflection's optional ratings, kept with the answers (nothing when none was asked)."""
    if skills:
        rate(
            session=session,
            team_id=team_id,
            user_id=user_id,
            programme_id=programme.id,
            stage=stage,
            skills=skills,
            levels=levels,
            now=now,
            optional=True,
        )

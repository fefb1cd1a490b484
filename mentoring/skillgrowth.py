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

from mentoring import matching
from store import queries
from store.models import (
    Match,
    MatchStatus,
    MentorSkillView,
    Participant,
    ParticipantStatus,
    Programme,
    Role,
    SkillRating,
    SkillShare,
    SkillStage,
)

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


def changes_of(
    *,
    session: Session,
    team_id: str,
    user_id: str,
    memberships: Sequence[tuple[Participant, Programme]] | None = None,
) -> list[SkillChange]:
    """The person's own change per skill, in each programme's current cycle (for their App Home). `memberships`:
    the person's, when the caller has read them already."""
    if memberships is None:
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


# --- the mentor's view, when the mentee shares ---------------------------------------------------------------
#
# A mentee may share their ratings with their mentor in one match (an explicit button); the mentor may then rate
# the same skills on the same anchored levels. Both are shown side by side to the two of them only. The mentor's
# view never feeds a report, digest or export, not even as an aggregate.


def _mentee_match(session: Session, programme: Programme, user_id: str) -> tuple[Match, str] | None:
    """The person's active match in the programme where they are the mentee, and their mentor."""
    for match, members in matching.user_matches(session=session, team_id=programme.team_id, user_id=user_id):
        if match.programme_id != programme.id:
            continue
        me = next((m for m in members if m.slack_user_id == user_id), None)
        mentor = next((m for m in members if m.role == Role.MENTOR.value), None)
        if me is not None and me.role == Role.MENTEE.value and mentor is not None:
            return match, mentor.slack_user_id
    return None


def latest_levels(session: Session, programme: Programme, user_id: str) -> dict[str, int]:
    """The person's latest level per skill in the programme's current cycle (exit over pulse over start)."""
    levels: dict[str, tuple[int, int]] = {}
    for row in _ratings(session, programme, user_id):
        rank = STAGE_ORDER.index(row.stage) if row.stage in STAGE_ORDER else 0
        if row.skill not in levels or rank >= levels[row.skill][0]:
            levels[row.skill] = (rank, row.level)
    return {skill: level for skill, (_, level) in levels.items()}


def can_share(*, session: Session, team_id: str, user_id: str, programme_id: int | None) -> bool:
    """Whether the person has a mentor in this programme to share their ratings with."""
    programme = session.get(Programme, programme_id or -1)
    if programme is None or programme.team_id != team_id:
        return False
    return _mentee_match(session, programme, user_id) is not None


@dataclass(frozen=True)
class Shared:
    """A mentee's ratings shared with their mentor: which share, with whom, in which programme."""

    share_id: int
    mentor_id: str
    programme_name: str


def share_with_mentor(
    *, session: Session, team_id: str, user_id: str, programme_id: int | None, now: datetime
) -> Shared | str:
    """The mentee shares their ratings with their mentor (once per match: sharing again changes nothing)."""
    programme = session.get(Programme, programme_id or -1)
    found = _mentee_match(session, programme, user_id) if programme and programme.team_id == team_id else None
    if programme is None or found is None:
        return "You share your ratings with your mentor, as a mentee in an active match."
    if not latest_levels(session, programme, user_id):
        return "Rate your skills first: then your mentor can add their view."
    match, mentor_id = found
    existing = session.exec(
        select(SkillShare).where(SkillShare.match_id == match.id, SkillShare.mentee_id == user_id)
    ).first()
    if existing is not None:
        return Shared(existing.id or 0, existing.mentor_id, programme.name)
    share = SkillShare(
        team_id=team_id,
        programme_id=programme.id or 0,
        match_id=match.id or 0,
        cycle_number=programme.cycle_number,
        mentee_id=user_id,
        mentor_id=mentor_id,
        shared_at=now,
    )
    session.add(share)
    session.flush()
    return Shared(share.id or 0, mentor_id, programme.name)


@dataclass(frozen=True)
class MentorTarget:
    """What a mentor rates for a mentee who shared: the mentee's rated skills and the mentor's earlier levels."""

    share: SkillShare
    programme: Programme
    skills: list[str]
    current: dict[str, int]


NOT_SHARED = "Only the mentor a mentee shared their ratings with can add a view, while their match is active."


def _share_for(session: Session, team_id: str, user_id: str, share_id: int | None) -> SkillShare | None:
    """The share, if `user_id` is its mentee or its mentor and the match is still active."""
    share = session.get(SkillShare, share_id or -1)
    match = session.get(Match, share.match_id) if share else None
    if share is None or share.team_id != team_id or match is None or match.status != MatchStatus.ACTIVE.value:
        return None
    return share if user_id in (share.mentee_id, share.mentor_id) else None


def mentor_target(*, session: Session, team_id: str, user_id: str, share_id: int | None) -> MentorTarget | str:
    share = _share_for(session, team_id, user_id, share_id)
    programme = session.get(Programme, share.programme_id) if share else None
    if share is None or programme is None or share.mentor_id != user_id:
        return NOT_SHARED
    skills = list(latest_levels(session, programme, share.mentee_id))[:MAX_RATED]
    current = {
        v.skill: v.level
        for v in session.exec(select(MentorSkillView).where(MentorSkillView.share_id == share.id)).all()
    }
    return MentorTarget(share, programme, skills, current)


def save_mentor_view(
    *,
    session: Session,
    team_id: str,
    user_id: str,
    share_id: int | None,
    skills: Sequence[str],
    levels: Mapping[str, int | None],
    now: datetime,
) -> dict[str, str]:
    """The mentor's levels for the mentee's shared skills: saved (replacing earlier ones), or errors inline."""
    found = mentor_target(session=session, team_id=team_id, user_id=user_id, share_id=share_id)
    if isinstance(found, str) or not skills or any(s not in found.skills for s in skills):
        return {"skill_0": found if isinstance(found, str) else NOT_SHARED}
    errors = problems(skills, levels)
    if errors:
        return errors
    existing = {v.skill: v for v in session.exec(select(MentorSkillView).where(MentorSkillView.share_id == share_id))}
    for skill in skills:
        level = levels[skill]
        assert level is not None
        row = existing.get(skill) or MentorSkillView(
            team_id=team_id,
            share_id=found.share.id or 0,
            mentee_id=found.share.mentee_id,
            mentor_id=user_id,
            skill=skill,
            level=level,
        )
        row.level, row.created_at = level, now
        session.add(row)
    session.flush()
    return {}


@dataclass(frozen=True)
class SideBySide:
    """The mentee's own levels beside their mentor's view, for the two of them only."""

    share_id: int
    mentee_id: str
    mentor_id: str
    programme_name: str
    rows: list[tuple[str, int | None, int | None]]  # skill, the mentee's level, the mentor's


def side_by_side(*, session: Session, team_id: str, user_id: str, share_id: int | None) -> SideBySide | None:
    """Both views of the mentee's skills, for the mentee or the mentor of the share; None for anyone else."""
    share = _share_for(session, team_id, user_id, share_id)
    programme = session.get(Programme, share.programme_id) if share else None
    if share is None or programme is None:
        return None
    own = latest_levels(session, programme, share.mentee_id)
    views = {
        v.skill: v.level
        for v in session.exec(select(MentorSkillView).where(MentorSkillView.share_id == share.id)).all()
    }
    skills = list(dict.fromkeys([*own, *views]))
    return SideBySide(
        share.id or 0,
        share.mentee_id,
        share.mentor_id,
        programme.name,
        [(s, own.get(s), views.get(s)) for s in skills],
    )

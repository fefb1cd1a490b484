"""The mentors' community: who of a cycle's mentees grew enough to be invited to mentor next, and recruiting."""

from __future__ import annotations

from sqlmodel import Session, col, select

from store import queries
from store.models import (
    Milestone,
    MilestoneStatus,
    Participant,
    ParticipantStatus,
    Programme,
    Roadmap,
    Role,
    SurveyKind,
    SurveyResponse,
)

ALUMNI_RATING = 4  # an exit rating of at least "Very good"


def alumni(session: Session, programme: Programme) -> dict[str, tuple[int, list[str]]]:
    """Mentees of the programme's current cycle who rated it well at exit and reached milestones of their own:
    user id -> (milestones reached, the skills of those milestones)."""
    rows = session.exec(
        select(SurveyResponse.slack_user_id, Milestone.skill)
        .join(Participant, col(Participant.slack_user_id) == col(SurveyResponse.slack_user_id))
        .join(Roadmap, col(Roadmap.match_id) == col(SurveyResponse.match_id))
        .join(Milestone, col(Milestone.roadmap_id) == col(Roadmap.id))
        .where(
            SurveyResponse.programme_id == programme.id,
            SurveyResponse.cycle_number == programme.cycle_number,
            SurveyResponse.kind == SurveyKind.EXIT.value,
            col(SurveyResponse.rating) >= ALUMNI_RATING,
            Participant.programme_id == programme.id,
            Participant.role == Role.MENTEE.value,
            Participant.status != ParticipantStatus.LEFT.value,
            col(Roadmap.owner_id) == col(SurveyResponse.slack_user_id),
            Milestone.status == MilestoneStatus.DONE.value,
        )
    ).all()
    found: dict[str, tuple[int, list[str]]] = {}
    for user_id, skill in rows:
        count, skills = found.get(user_id, (0, []))
        found[user_id] = (count + 1, [*skills, skill] if skill and skill not in skills else skills)
    return found


def alumni_offering(
    *, session: Session, team_id: str, user_id: str, programme_id: int | None
) -> tuple[Programme, list[str]] | None:
    """'I'd like to mentor': the programme and the skills to offer (what they wanted to grow in and the skills of
    the milestones they reached, those the programme still lists), or None if the programme or they are gone."""
    programme = queries.get_programme(session=session, team_id=team_id, programme_id=programme_id)
    person = (
        queries.get_participant(session=session, team_id=team_id, programme_id=programme.id, slack_user_id=user_id)
        if programme is not None and programme.id is not None
        else None
    )
    _, skills = alumni(session, programme).get(user_id, (0, [])) if programme is not None else (0, [])
    if programme is None or person is None:
        return None
    learned = [s for s in [*person.skills_wanted, *skills] if s in programme.skills]
    return programme, list(dict.fromkeys(learned))


def record_recruiting(
    *, session: Session, team_id: str, actor_id: str, programme: Programme, skill: str, channel: str
) -> None:
    """The audit entry of an invitation for mentors posted in a channel."""
    queries.audit(
        session=session,
        team_id=team_id,
        actor_id=actor_id,
        action="programme.recruit_mentors",
        programme_id=programme.id,
        details={"skill": skill, "channel": channel},
    )

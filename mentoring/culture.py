"""The mentors' community: who of a cycle's mentees grew enough to be invited to mentor next."""

from __future__ import annotations

from sqlmodel import Session, col, select

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

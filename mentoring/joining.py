"""Joining a programme: saving the join form, and the profile Slack gives, as the person's membership."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from mentoring.membership import JoinAnswers, roles_for, validate_join
from store import queries
from store.models import Participant, ParticipantStatus, Programme, Role

COMEBACK_STATUSES = (ParticipantStatus.LEFT.value, ParticipantStatus.INVITED.value)


class SaveFailed(Exception):
    """The database would not save the join form: nothing was changed."""


@contextmanager
def saving() -> Iterator[None]:
    """Around the unit of work that saves a join: a database failure (its commit included) becomes SaveFailed."""
    try:
        yield
    except SQLAlchemyError as error:
        raise SaveFailed(str(error)) from error


@dataclass(frozen=True)
class Joined:
    """What saving the join form did: the membership, or the inline errors to show in the form."""

    programme: Programme | None = None
    participant_id: int | None = None
    created: bool = False
    became_mentor: bool = False  # a mentor for the first time in this programme (or back after leaving)
    errors: dict[str, str] = field(default_factory=dict)


def save_join(
    *, session: Session, team_id: str, user_id: str, programme_id: int | None, answers: JoinAnswers, now: datetime
) -> Joined:
    """Create or update the person's membership from the join form."""
    programme, existing, invited = queries.programme_with_member(
        session=session, team_id=team_id, programme_id=programme_id, slack_user_id=user_id
    )
    if programme is None:
        return Joined(errors={"role": "This programme no longer exists. Close this form and run /mentor join again."})
    assert programme.id is not None
    if existing is None and not programme.accepts_joins(now.date()):
        return Joined(errors={"role": f"{programme.name} closed its enrolment while you were filling this in."})
    form, errors = validate_join(
        answers,
        skills=programme.skills,
        max_capacity=programme.max_capacity,
        user_id=user_id,
        asks_group=bool(programme.group_question),
        offices=programme.offices,
        roles=roles_for(programme.kind),
        departments=programme.departments,
    )
    if form is None:
        return Joined(errors=errors)
    fields = form.fields(consented_at=now)
    if invited is not None:  # the organisation's roster names their manager: the reporting-line rule needs it
        fields["manager_id"] = invited.manager_id
    if existing is not None and existing.status in COMEBACK_STATUSES:
        fields.update(status=ParticipantStatus.ACTIVE.value, left_at=None, status_reason="")
    became_mentor = form.role is Role.MENTOR and (
        existing is None or existing.role != Role.MENTOR.value or existing.status in COMEBACK_STATUSES
    )
    participant, created = queries.upsert_participant(
        session=session,
        team_id=team_id,
        programme=programme,
        slack_user_id=user_id,
        fields=fields,
        existing=existing,
    )
    return Joined(programme=programme, participant_id=participant.id, created=created, became_mentor=became_mentor)


@dataclass(frozen=True)
class SlackFacts:
    """What Slack says of the person: their name, title and timezone."""

    display_name: str
    title: str
    timezone: str | None


def take_profile(
    *, session: Session, participant_id: int, facts: SlackFacts | None
) -> tuple[Participant, Programme] | None:
    """Keep the name, title and timezone Slack gave (None: it gave nothing); the membership and its programme,
    or None when the membership is gone (they left, or asked to be forgotten, in the meantime)."""
    participant = session.get(Participant, participant_id)
    programme = session.get(Programme, participant.programme_id) if participant is not None else None
    if participant is None or programme is None:
        return None
    if facts is not None:
        queries.set_participant_profile(
            session=session,
            participant_id=participant_id,
            display_name=facts.display_name,
            title=facts.title,
            timezone=facts.timezone,
        )
    return participant, programme

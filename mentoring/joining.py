"""Joining a programme: saving the join form, and the profile Slack gives, as the person's membership."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection
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

    participant_id: int | None = None
    created: bool = False
    # A mentor for the first time in this programme (or back after leaving): their programme, to welcome them.
    new_mentor_of: Programme | None = None
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class JoinPlan:
    """A join form that passed its checks: what to store, and for whom."""

    programme_id: int
    member_id: int | None  # their membership, when they joined before
    fields: dict[str, object]
    became_mentor: bool


def check_join(
    terms: queries.JoinTerms | None, *, user_id: str, answers: JoinAnswers, now: datetime
) -> tuple[JoinPlan | None, dict[str, str]]:
    """Check the join form against the programme and the person's membership of it (`queries.join_terms`, read
    before the unit of work that saves it). Returns what to save, or the errors to show in the form."""
    if terms is None:
        return None, {"role": "This programme no longer exists. Close this form and run /mentor join again."}
    member = terms.member_id is not None
    if not member and not terms.accepts_joins(now.date()):
        return None, {"role": f"{terms.name} closed its enrolment while you were filling this in."}
    form, errors = validate_join(
        answers,
        skills=terms.skills,
        max_capacity=terms.max_capacity,
        user_id=user_id,
        asks_group=bool(terms.group_question),
        offices=terms.offices,
        roles=roles_for(terms.kind),
        departments=terms.departments,
    )
    if form is None:
        return None, errors
    fields = form.fields(consented_at=now)
    if terms.on_roster:  # the organisation's roster names their manager: the reporting-line rule needs it
        fields["manager_id"] = terms.manager_id
    comeback = member and terms.member_status in COMEBACK_STATUSES
    if comeback:
        fields.update(status=ParticipantStatus.ACTIVE.value, left_at=None, status_reason="")
    became_mentor = form.role is Role.MENTOR and (not member or terms.member_role != Role.MENTOR.value or comeback)
    return JoinPlan(terms.programme_id, terms.member_id, fields, became_mentor), {}


def saves_alone(plan: JoinPlan) -> bool:
    """A form that only updates a membership (a returning member who becomes no new mentor): `save_again` can
    save it in one statement."""
    return plan.member_id is not None and not plan.became_mentor


def save_again(connection: Connection, *, plan: JoinPlan, now: datetime, follow_up: queries.NewFollowUp) -> bool:
    """Save a form that `saves_alone`, with its follow-up, in one statement that commits itself (PostgreSQL,
    on a connection in autocommit mode). False when the membership is gone since it was read: nothing was
    saved, and `save_join` creates it again. Run twice (`Database.alone` on a lost connection), it saves the same
    values and queues a second follow-up: one more confirmation DM."""
    assert plan.member_id is not None
    return queries.update_membership_alone(
        connection, participant_id=plan.member_id, fields=plan.fields, now=now, follow_up=follow_up
    )


def save_join(*, session: Session, team_id: str, user_id: str, plan: JoinPlan) -> Joined:
    """Create or update the person's membership from a checked join form."""
    participant_id, created = queries.upsert_participant(
        session=session,
        team_id=team_id,
        programme_id=plan.programme_id,
        slack_user_id=user_id,
        fields=plan.fields,
        existing_id=plan.member_id,
    )
    new_mentor_of = session.get(Programme, plan.programme_id) if plan.became_mentor else None
    return Joined(participant_id=participant_id, created=created, new_mentor_of=new_mentor_of)


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

"""Membership of a programme: what a valid join answer is (independent of Slack and of the database), and the
use cases of what people control about themselves: pause, resume, leave, forget me, and channel invitations."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, select

from store import queries
from store.models import MeetingMode, Participant, ParticipantStatus, Programme, Role

CONSENT_VERSION = "2026-11"
MAX_GOALS = 1000
MAX_BIO = 300
MAX_DEPARTMENT = 80
MAX_SELF_GROUP = 60
MAX_SKILLS = 10
MIN_CAPACITY = 1
MAX_RATHER_NOT = 20
NO_OFFICES = (
    "This programme lists no offices to meet in, so its meetings are virtual: pick Virtually, or ask its admins "
    "to add your office."
)
NEEDS_OFFICE = "To meet in person, pick your office: you are matched with someone from the same office."
PAIRING_ROLES = (Role.MENTOR, Role.MENTEE)
PEER_ROLES = (Role.PEER,)


def roles_for(kind: str) -> tuple[Role, ...]:
    """The roles a programme of this kind offers: mentors and mentees in 1:1 kinds, peers in peer kinds."""
    return PEER_ROLES if kind.startswith("peer") else PAIRING_ROLES


def wrong_role(roles: Sequence[Role]) -> str:
    if tuple(roles) == PEER_ROLES:
        return "This programme pairs peers with each other: join as a peer."
    return "This programme pairs mentors with mentees: pick mentor or mentee."


USER_ID = re.compile(r"[UW][A-Z0-9]{2,30}")


@dataclass(frozen=True)
class JoinAnswers:
    """What the person entered in the join modal, as plain values (None / empty where left blank)."""

    role: str | None
    skills_offered: list[str] = field(default_factory=list)
    skills_wanted: list[str] = field(default_factory=list)
    goals: str = ""
    department: str = ""
    capacity: str | None = None
    consent: bool = False
    meeting_mode: str | None = None
    rather_not: list[str] = field(default_factory=list)
    self_group: str | None = None  # None: the form did not ask (the programme has no group question)
    office: str | None = None
    bio: str | None = None  # None: the form did not ask (a programme without mentors)


@dataclass(frozen=True)
class JoinForm:
    """A validated join form, ready to store."""

    role: Role
    skills_offered: list[str]
    skills_wanted: list[str]
    goals: str
    department: str
    capacity: int | None
    meeting_mode: MeetingMode = MeetingMode.EITHER
    rather_not: list[str] = field(default_factory=list)
    self_group: str | None = None  # None: not asked, so whatever is stored stays; "" clears it
    office: str = ""
    bio: str | None = None  # a mentor's short introduction; None: not asked, so whatever is stored stays

    def fields(self, *, consented_at: datetime) -> dict[str, object]:
        extra: dict[str, object] = {} if self.self_group is None else {"self_group": self.self_group}
        if self.bio is not None:
            extra["bio"] = self.bio if self.role is Role.MENTOR else ""
        return {
            **extra,
            "role": self.role.value,
            "skills_offered": list(self.skills_offered),
            "skills_wanted": list(self.skills_wanted),
            "goals": self.goals,
            "department": self.department,
            "capacity": self.capacity,
            "meeting_mode": self.meeting_mode.value,
            "office": self.office,
            "rather_not": list(self.rather_not),
            "consent_version": CONSENT_VERSION,
            "consented_at": consented_at,
        }


def _clean(text: str) -> str:
    """Strip surrounding space and control characters other than newlines and tabs."""
    return "".join(ch for ch in text.strip() if ch in "\n\t" or ch.isprintable())


def validate_join(
    answers: JoinAnswers,
    *,
    skills: list[str],
    max_capacity: int,
    user_id: str = "",
    asks_group: bool = False,
    offices: Sequence[str] = (),
    roles: Sequence[Role] = tuple(Role),
    departments: Sequence[str] = (),
) -> tuple[JoinForm | None, dict[str, str]]:
    """Check the answers. Returns the form, or the errors keyed by the modal's block ids. `asks_group`: the
    programme asks its optional group question (an answer to a question it does not ask is ignored). `offices`:
    the programme's offices; without any, meetings are virtual, and in person needs an office from the list.
    `roles`: the roles the programme's kind offers (`roles_for`). `departments`: the programme's list, when it
    has one, which the department must come from."""
    errors: dict[str, str] = {}
    role: Role | None = None
    try:
        role = Role(answers.role) if answers.role else None
    except ValueError:
        role = None
    if role is None:
        errors["role"] = "Pick a role: mentor, mentee or peer."
    elif role not in roles:
        errors["role"] = wrong_role(roles)

    allowed = set(skills)
    for block_id, chosen in (
        ("skills_offered", answers.skills_offered),
        ("skills_wanted", answers.skills_wanted),
    ):
        unknown = [s for s in chosen if s not in allowed]
        if unknown:
            errors[block_id] = "Pick skills from this programme's list."
        elif len(chosen) > MAX_SKILLS:
            errors[block_id] = f"Pick at most {MAX_SKILLS} skills."
        elif len(set(chosen)) != len(chosen):
            errors[block_id] = "Each skill can be picked once."

    if role is Role.MENTOR and not answers.skills_offered and "skills_offered" not in errors:
        errors["skills_offered"] = "As a mentor, pick at least one skill you can help with."
    if role is Role.MENTEE and not answers.skills_wanted and "skills_wanted" not in errors:
        errors["skills_wanted"] = "As a mentee, pick at least one skill you want to grow."
    if role is Role.PEER and not answers.skills_offered and not answers.skills_wanted and "skills_wanted" not in errors:
        errors["skills_wanted"] = "Pick at least one skill you want to grow or can share."

    goals = _clean(answers.goals)
    if len(goals) > MAX_GOALS:
        errors["goals"] = f"Goals can be at most {MAX_GOALS} characters (this has {len(goals)})."

    bio = None if answers.bio is None else " ".join(_clean(answers.bio).split())
    if bio is not None and len(bio) > MAX_BIO:
        errors["bio"] = f"Keep your introduction under {MAX_BIO} characters (this has {len(bio)})."

    department = " ".join(_clean(answers.department).split())
    if not department:
        errors["department"] = "Tell us your department or team."
    elif len(department) > MAX_DEPARTMENT:
        errors["department"] = f"Department can be at most {MAX_DEPARTMENT} characters."
    elif departments and department not in departments:
        errors["department"] = "Pick your department from the list."

    capacity: int | None = None
    raw_capacity = (answers.capacity or "").strip()
    if role is Role.MENTOR:
        message = f"How many mentees can you take on? A whole number from {MIN_CAPACITY} to {max_capacity}."
        try:
            capacity = int(raw_capacity)
        except ValueError:
            errors["capacity"] = message
        else:
            if not MIN_CAPACITY <= capacity <= max_capacity:
                errors["capacity"] = message

    meeting_mode = MeetingMode.EITHER
    if answers.meeting_mode:
        try:
            meeting_mode = MeetingMode(answers.meeting_mode)
        except ValueError:
            errors["meeting_mode"] = "Pick virtual, in person or either."
    office = (answers.office or "").strip()
    if not offices:
        office = ""
        if meeting_mode is MeetingMode.IN_PERSON:
            errors["meeting_mode"] = NO_OFFICES
        meeting_mode = MeetingMode.VIRTUAL  # nothing else can be matched in a programme without offices
    elif office and office not in offices:
        errors["office"] = "Pick your office from the list."
    elif meeting_mode is MeetingMode.IN_PERSON and not office:
        errors["office"] = NEEDS_OFFICE
    rather_not = [u for u in dict.fromkeys(answers.rather_not) if u != user_id]
    if any(not USER_ID.fullmatch(u) for u in rather_not):
        errors["rather_not"] = "Pick people from the list."
    elif len(rather_not) > MAX_RATHER_NOT:
        errors["rather_not"] = f"You can list at most {MAX_RATHER_NOT} people."

    self_group: str | None = None
    if asks_group and answers.self_group is not None:  # a form opened before the question was added: unchanged
        self_group = " ".join(_clean(answers.self_group).split())
        if len(self_group) > MAX_SELF_GROUP:
            errors["self_group"] = (
                f"Your answer can be at most {MAX_SELF_GROUP} characters (this has {len(self_group)})."
            )

    if not answers.consent:
        errors["consent"] = "To join, agree to how your data is used (described above)."

    if errors or role is None:
        return None, errors
    return (
        JoinForm(
            role=role,
            skills_offered=list(answers.skills_offered),
            skills_wanted=list(answers.skills_wanted),
            goals=goals,
            department=department,
            capacity=capacity if role is Role.MENTOR else None,
            meeting_mode=meeting_mode,
            rather_not=rather_not,
            self_group=self_group,
            office=office,
            bio=bio,
        ),
        {},
    )


def pause(*, session: Session, team_id: str, user_id: str, until: date | None) -> list[Participant]:
    """The person pauses themselves (until a date, or until they resume); the memberships paused."""
    return queries.set_status(
        session=session,
        team_id=team_id,
        user_id=user_id,
        status=ParticipantStatus.PAUSED,
        reason="self",
        paused_until=until,
        only_from=(ParticipantStatus.ACTIVE, ParticipantStatus.PAUSED),
    )


def resume(*, session: Session, team_id: str, user_id: str) -> list[Participant]:
    """The person ends their pause; the memberships made active again."""
    return queries.set_status(
        session=session,
        team_id=team_id,
        user_id=user_id,
        status=ParticipantStatus.ACTIVE,
        only_from=(ParticipantStatus.PAUSED,),
    )


def leave(*, session: Session, team_id: str, user_id: str, wanted: str) -> Programme | list[Programme]:
    """The person leaves the one programme they are in (or the one `wanted` names). Returns the programme left; or,
    when that is not one programme, the programmes of theirs that fit (none, or several to choose from)."""
    current = [
        programme
        for participant, programme in queries.memberships(session=session, team_id=team_id, slack_user_id=user_id)
        if participant.status != ParticipantStatus.LEFT.value
    ]
    if wanted:
        found = queries.find_programme(session=session, team_id=team_id, text=wanted)
        current = [prog for prog in current if found is not None and prog.id == found.id]
    if len(current) != 1:
        return current
    programme = current[0]
    queries.set_status(
        session=session,
        team_id=team_id,
        user_id=user_id,
        status=ParticipantStatus.LEFT,
        reason="self",
        programme_id=programme.id,
    )
    return programme


def forget(*, session: Session, team_id: str, user_id: str) -> int:
    """Forget the person in the workspace (the admin log keeps only that someone was); the memberships deleted."""
    deleted = queries.forget_person(session=session, team_id=team_id, user_id=user_id)
    queries.audit(
        session=session,
        team_id=team_id,
        actor_id=queries.FORGOTTEN,
        action="person.forget",
        details={"memberships_deleted": deleted},
    )
    return deleted


def pause_deactivated(*, session: Session, team_id: str, user_id: str) -> list[Participant]:
    """A person deactivated in Slack is paused everywhere (not deleted: they may come back)."""
    return queries.set_status(
        session=session,
        team_id=team_id,
        user_id=user_id,
        status=ParticipantStatus.PAUSED,
        reason="deactivated",
        only_from=(ParticipantStatus.ACTIVE, ParticipantStatus.PAUSED, ParticipantStatus.INVITED),
    )


def channel_invitations(
    *, session: Session, team_id: str, channel_id: str, user_id: str, today: date
) -> list[Programme]:
    """The programmes of a channel that someone who just joined it may join and hasn't (none once the workspace
    uninstalled the app)."""
    if not queries.workspace_active(session=session, team_id=team_id):
        return []
    programmes = session.exec(
        select(Programme).where(Programme.team_id == team_id, Programme.channel_id == channel_id)
    ).all()
    return [
        p
        for p in programmes
        if p.id is not None
        and p.accepts_joins(today)
        and queries.get_participant(session=session, team_id=team_id, programme_id=p.id, slack_user_id=user_id) is None
    ]

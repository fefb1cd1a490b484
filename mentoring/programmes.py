"""Programme rules: what a valid programme is, how its lifecycle moves, and how long a pause lasts.

The rules are pure functions over plain values (no Slack, no database); the use cases that apply them to the
store (saving a programme, moving its lifecycle, adding an admin) take the unit of work's `session`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session

from mentoring import matching
from mentoring.access import REFUSAL, Access
from mentoring.checkins import replan
from mentoring.insight import validate_digest_schedule
from store import queries
from store.models import Cadence, ParticipantStatus, Programme, ProgrammeKind, ProgrammeStatus

MAX_NAME = 80
MAX_OBJECTIVES = 2000
MAX_ELIGIBILITY = 500
MAX_GROUP_QUESTION = 150
MAX_SKILL = 75
MAX_SKILLS = 100
MAX_PLACE = 80  # an office or a department
MAX_PLACES = 100  # a select menu shows up to 100 options
MIN_CYCLE_DAYS, MAX_CYCLE_DAYS = 7, 365
MIN_CIRCLE, MAX_CIRCLE = 3, 6
MAX_PAUSE_DAYS = 180

KIND_LABELS = {
    ProgrammeKind.ONE_TO_ONE.value: "1:1 mentor and mentee",
    ProgrammeKind.PEER_PAIRS.value: "Peer pairs",
    ProgrammeKind.PEER_CIRCLES.value: "Peer circles (3-6 people)",
    ProgrammeKind.REVERSE_MENTORING.value: "Reverse mentoring (junior mentors senior)",
}
PAIR_PREFERENCE_LABELS = {
    "cross_department": "People from different departments",
    "same_department": "People in the same department",
    "same_office": "People in the same office",
}
CADENCE_LABELS = {
    Cadence.WEEKLY.value: "Weekly",
    Cadence.FORTNIGHTLY.value: "Every two weeks",
    Cadence.MONTHLY.value: "Monthly",
}
WEEKDAY_LABELS = {
    str(n): name
    for n, name in enumerate(("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"))
}
HOUR_LABELS = {str(h): f"{h:02d}:00" for h in range(0, 25)}
STATUS_LABELS = {
    ProgrammeStatus.DRAFT.value: "Draft",
    ProgrammeStatus.ENROLLING.value: "Enrolling",
    ProgrammeStatus.ACTIVE.value: "Active cycle",
    ProgrammeStatus.CLOSED.value: "Closed",
}


@dataclass(frozen=True)
class ProgrammeAnswers:
    """The programme modal's answers as plain values (strings as typed, None where left blank)."""

    name: str = ""
    objectives: str = ""
    kind: str | None = None
    cycle_days: str | None = None
    cadence: str | None = None
    skills: str = ""
    channel_id: str | None = None
    mentors_channel_id: str | None = None
    enrolment_open: bool = False
    enrolment_deadline: str | None = None
    eligibility: str = ""
    group_question: str = ""
    requires_approval: bool = False
    llm_enabled: bool = False
    requires_training: bool = False
    circle_size: str | None = None
    max_capacity: str | None = None
    checkin_days: tuple[str, ...] = ()
    checkin_start_hour: str | None = None
    checkin_end_hour: str | None = None
    offices: str = ""
    departments: str = ""
    pair_preference: str | None = None
    matching: str | None = None
    request_days: str | None = None


@dataclass(frozen=True)
class ProgrammeForm:
    name: str
    objectives: str
    kind: str
    cycle_days: int
    cadence: str
    skills: list[str]
    channel_id: str | None
    enrolment_open: bool
    enrolment_deadline: date | None
    eligibility: str
    requires_approval: bool
    llm_enabled: bool
    circle_size: int
    max_capacity: int
    checkin_days: list[int] = field(default_factory=lambda: [1, 2, 3])
    checkin_start_hour: int = 10
    checkin_end_hour: int = 16
    mentors_channel_id: str | None = None
    group_question: str = ""
    requires_training: bool = False
    offices: list[str] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)
    pair_preference: str = "cross_department"
    matching: str = "engine"
    request_days: int = 3
    changes: dict[str, object] = field(default_factory=dict)

    def fields(self) -> dict[str, object]:
        return {
            "name": self.name,
            "objectives": self.objectives,
            "kind": self.kind,
            "cycle_days": self.cycle_days,
            "cadence": self.cadence,
            "skills": list(self.skills),
            "channel_id": self.channel_id,
            "mentors_channel_id": self.mentors_channel_id,
            "enrolment_open": self.enrolment_open,
            "enrolment_deadline": self.enrolment_deadline,
            "eligibility": self.eligibility,
            "group_question": self.group_question,
            "requires_approval": self.requires_approval,
            "llm_enabled": self.llm_enabled,
            "requires_training": self.requires_training,
            "circle_size": self.circle_size,
            "max_capacity": self.max_capacity,
            "checkin_days": list(self.checkin_days),
            "checkin_start_hour": self.checkin_start_hour,
            "checkin_end_hour": self.checkin_end_hour,
            "offices": list(self.offices),
            "departments": list(self.departments),
            "pair_preference": self.pair_preference,
            "matching": self.matching,
            "request_days": self.request_days,
        }


def _text(value: str | None) -> str:
    return "".join(ch for ch in (value or "").strip() if ch in "\n\t" or ch.isprintable())


def _int(value: str | None, low: int, high: int) -> int | None:
    try:
        number = int((value or "").strip())
    except ValueError:
        return None
    return number if low <= number <= high else None


def parse_skills(text: str) -> tuple[list[str], str | None]:
    """One skill per line (commas also separate). Duplicates, ignoring case, are dropped."""
    skills: list[str] = []
    seen: set[str] = set()
    for raw in re.split(r"[\n,]", text):
        skill = " ".join(_text(raw).split())
        if not skill:
            continue
        if len(skill) > MAX_SKILL:
            return [], f"Each skill can be at most {MAX_SKILL} characters (“{skill[:30]}…” is longer)."
        if skill.lower() not in seen:
            seen.add(skill.lower())
            skills.append(skill)
    if not skills:
        return [], "List at least one skill, one per line."
    if len(skills) > MAX_SKILLS:
        return [], f"At most {MAX_SKILLS} skills (Slack shows up to {MAX_SKILLS} options); this has {len(skills)}."
    return skills, None


def parse_places(text: str, what: str) -> tuple[list[str], str | None]:
    """Offices or departments, one per line (commas also separate); none is fine. Duplicates, ignoring case, are
    dropped."""
    places: list[str] = []
    seen: set[str] = set()
    for raw in re.split(r"[\n,]", text):
        place = " ".join(_text(raw).split())
        if not place:
            continue
        if len(place) > MAX_PLACE:
            return [], f"Each {what} can be at most {MAX_PLACE} characters (“{place[:30]}…” is longer)."
        if place.casefold() not in seen:
            seen.add(place.casefold())
            places.append(place)
    if len(places) > MAX_PLACES:
        return [], f"At most {MAX_PLACES} (Slack shows up to {MAX_PLACES} options); this has {len(places)}."
    return places, None


def validate_programme(
    answers: ProgrammeAnswers, *, today: date, taken_names: set[str]
) -> tuple[ProgrammeForm | None, dict[str, str]]:
    """Check the programme modal. `taken_names` are other programmes' names in the workspace (lowercase)."""
    errors: dict[str, str] = {}
    name = " ".join(_text(answers.name).split())
    if not name:
        errors["name"] = "Give the programme a name."
    elif len(name) > MAX_NAME:
        errors["name"] = f"The name can be at most {MAX_NAME} characters."
    elif name.lower() in taken_names:
        errors["name"] = "Another programme in this workspace already has this name."
    objectives = _text(answers.objectives)
    if len(objectives) > MAX_OBJECTIVES:
        errors["objectives"] = f"Objectives can be at most {MAX_OBJECTIVES} characters (this has {len(objectives)})."
    kind = answers.kind or ""
    if kind not in KIND_LABELS:
        errors["kind"] = "Pick the kind of programme."
    cycle_days = _int(answers.cycle_days, MIN_CYCLE_DAYS, MAX_CYCLE_DAYS)
    if cycle_days is None:
        errors["cycle_days"] = f"A cycle lasts a whole number of days from {MIN_CYCLE_DAYS} to {MAX_CYCLE_DAYS}."
    cadence = answers.cadence or ""
    if cadence not in CADENCE_LABELS:
        errors["cadence"] = "Pick how often pairs check in."
    skills, skills_error = parse_skills(answers.skills)
    if skills_error:
        errors["skills"] = skills_error
    channel_id = (answers.channel_id or "").strip() or None
    if channel_id is not None and not re.fullmatch(r"[CG][A-Z0-9]{2,30}", channel_id):
        errors["channel"] = "Pick a channel from the list."
    mentors_channel_id = (answers.mentors_channel_id or "").strip() or None
    if mentors_channel_id is not None and not re.fullmatch(r"[CG][A-Z0-9]{2,30}", mentors_channel_id):
        errors["mentors_channel"] = "Pick a channel from the list."
    deadline: date | None = None
    if answers.enrolment_deadline:
        try:
            deadline = date.fromisoformat(answers.enrolment_deadline)
        except ValueError:
            errors["enrolment_deadline"] = "Pick a date."
        else:
            if deadline < today:
                errors["enrolment_deadline"] = "The enrolment deadline cannot be in the past."
    eligibility = _text(answers.eligibility)
    if len(eligibility) > MAX_ELIGIBILITY:
        errors["eligibility"] = f"The eligibility note can be at most {MAX_ELIGIBILITY} characters."
    group_question = " ".join(_text(answers.group_question).split())
    if len(group_question) > MAX_GROUP_QUESTION:
        errors["group_question"] = (
            f"The group question can be at most {MAX_GROUP_QUESTION} characters (this has {len(group_question)})."
        )
    offices, offices_error = parse_places(answers.offices, "office")
    if offices_error:
        errors["offices"] = offices_error
    departments, departments_error = parse_places(answers.departments, "department")
    if departments_error:
        errors["departments"] = departments_error
    pair_preference = answers.pair_preference or "cross_department"
    if pair_preference not in PAIR_PREFERENCE_LABELS:
        errors["pair_preference"] = "Pick which pairs to prefer."
    elif pair_preference == "same_office" and not offices and not offices_error:
        errors["pair_preference"] = "To prefer pairs in the same office, list the offices above."
    matching = answers.matching or "engine"
    if matching not in ("engine", "choose"):
        errors["matching"] = "Pick how mentees get a mentor."
    elif matching == "choose" and kind in ("peer_pairs", "peer_circles"):
        errors["matching"] = "Peers are matched by the engine: mentees choose only in a programme with mentors."
    request_days = _int(answers.request_days or "3", 1, 14)
    if request_days is None:
        errors["request_days"] = "A mentor answers in 1 to 14 days."
    circle_size = _int(answers.circle_size or "4", MIN_CIRCLE, MAX_CIRCLE)
    if circle_size is None:
        errors["circle_size"] = f"Circles have {MIN_CIRCLE} to {MAX_CIRCLE} people."
    max_capacity = _int(answers.max_capacity or "5", 1, 10)
    if max_capacity is None:
        errors["max_capacity"] = "A mentor can take on 1 to 10 mentees at most."
    days = sorted({int(d) for d in answers.checkin_days if d in WEEKDAY_LABELS}) or [1, 2, 3]
    start = _int(answers.checkin_start_hour or "10", 0, 23)
    end = _int(answers.checkin_end_hour or "16", 1, 24)
    if start is None or end is None or end - start < 2:
        errors["checkin_end_hour"] = "Check-ins need a window of at least two hours: the end after the start."
    if (
        errors
        or request_days is None
        or cycle_days is None
        or circle_size is None
        or max_capacity is None
        or start is None
        or end is None
    ):
        return None, errors
    return (
        ProgrammeForm(
            name=name,
            objectives=objectives,
            kind=kind,
            cycle_days=cycle_days,
            cadence=cadence,
            skills=skills,
            channel_id=channel_id,
            mentors_channel_id=mentors_channel_id,
            enrolment_open=answers.enrolment_open,
            enrolment_deadline=deadline,
            eligibility=eligibility,
            group_question=group_question,
            requires_approval=answers.requires_approval,
            llm_enabled=answers.llm_enabled,
            requires_training=answers.requires_training,
            circle_size=circle_size,
            max_capacity=max_capacity,
            checkin_days=days,
            checkin_start_hour=start,
            checkin_end_hour=end,
            offices=offices,
            departments=departments,
            pair_preference=pair_preference,
            matching=matching,
            request_days=request_days,
        ),
        {},
    )


# --- saving a programme ------------------------------------------------------------------------------

CHECKIN_FIELDS = frozenset({"cadence", "checkin_days", "checkin_start_hour", "checkin_end_hour"})


@dataclass(frozen=True)
class DigestAnswers:
    """The programme modal's digest schedule, as picked (None where nothing was)."""

    weekday: str | None = None
    hour: str | None = None
    timezone: str | None = None


@dataclass(frozen=True)
class Saved:
    """What saving the programme modal did: the programme and the channels it had before, or inline errors."""

    programme: Programme | None = None
    previous_channel: str | None = None
    previous_mentors_channel: str | None = None
    errors: dict[str, str] = field(default_factory=dict)


def save_programme(
    *,
    session: Session,
    team_id: str,
    user_id: str,
    access: Access,
    editing: bool,
    programme_id: int | None,
    answers: ProgrammeAnswers,
    digest: DigestAnswers,
    now: datetime,
) -> Saved:
    """Create (`editing` False) or edit the programme `programme_id`, if `access` allows it and the answers are
    valid; audited."""
    existing: Programme | None = None
    if editing:  # the id must name a programme of this workspace
        existing = queries.get_programme(session=session, team_id=team_id, programme_id=programme_id)
        if existing is None:
            return Saved(errors={"name": "This programme doesn't exist in this workspace."})
        allowed = access.can_admin(existing.id)
    else:
        allowed = access.can_create()
    if not allowed:
        return Saved(errors={"name": REFUSAL})
    form, errors = validate_programme(
        answers,
        today=now.date(),
        taken_names=queries.name_taken(session=session, team_id=team_id, exclude_id=programme_id),
    )
    schedule, schedule_errors = validate_digest_schedule(digest.weekday, digest.hour, digest.timezone)
    if form is None or schedule_errors:
        return Saved(errors={**errors, **schedule_errors})
    previous_channel = existing.channel_id if existing else None
    previous_mentors_channel = existing.mentors_channel_id if existing else None
    if existing is None:
        programme = _create(session, team_id=team_id, user_id=user_id, access=access, form=form, schedule=schedule)
        action = "programme.create"
        details: dict[str, Any] = {"name": form.name}
    else:
        programme = existing
        action = "programme.update"
        details = _update(session, programme, form=form, schedule=schedule, now=now)
    queries.audit(
        session=session,
        team_id=team_id,
        actor_id=user_id,
        action=action,
        programme_id=programme.id,
        details=details,
    )
    return Saved(
        programme=programme, previous_channel=previous_channel, previous_mentors_channel=previous_mentors_channel
    )


def _create(
    session: Session, *, team_id: str, user_id: str, access: Access, form: ProgrammeForm, schedule: dict[str, Any]
) -> Programme:
    """A new draft programme; its creator administers it (workspace admins already do)."""
    programme = Programme(
        team_id=team_id,
        slug=unique_slug(session, team_id, form.name),
        status=ProgrammeStatus.DRAFT.value,
        **form.fields(),  # type: ignore[arg-type]
        **schedule,
    )
    session.add(programme)
    session.flush()
    assert programme.id is not None
    if not access.workspace_admin:
        queries.grant_admin(
            session=session, team_id=team_id, programme_id=programme.id, user_id=user_id, granted_by=user_id
        )
    return programme


def _update(
    session: Session, programme: Programme, *, form: ProgrammeForm, schedule: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """Apply what changed; the audit details."""
    changed = {k: v for k, v in {**form.fields(), **schedule}.items() if getattr(programme, k) != v}
    for key, value in changed.items():
        setattr(programme, key, value)
    programme.updated_at = now
    session.add(programme)
    if changed.keys() & CHECKIN_FIELDS:
        replan(session, programme_id=programme.id)  # the check-in loop re-reads them on its next pass
    details: dict[str, Any] = {"changed": sorted(changed)}
    if "group_question" in changed and not programme.group_question and programme.id is not None:
        # No longer asked: the answers already given are deleted.
        deleted = queries.clear_self_groups(session=session, programme_id=programme.id)
        details["group_answers_deleted"] = deleted
    return details


def unique_slug(session: Session, team_id: str, name: str) -> str:
    base = queries.slugify(name)
    taken = {p.slug for p in queries.programmes(session=session, team_id=team_id)}
    slug, n = base, 2
    while slug in taken:
        slug = f"{base[:75]}-{n}"
        n += 1
    return slug


def add_admin(*, session: Session, team_id: str, programme_id: int, grantee: str, granted_by: str) -> bool:
    """Make `grantee` an admin of the programme, audited. False if they already were."""
    added = queries.grant_admin(
        session=session, team_id=team_id, programme_id=programme_id, user_id=grantee, granted_by=granted_by
    )
    if added:
        queries.audit(
            session=session,
            team_id=team_id,
            actor_id=granted_by,
            action="programme.grant_admin",
            programme_id=programme_id,
            subject_id=grantee,
        )
    return added


# --- lifecycle ---------------------------------------------------------------------------------------

TRANSITIONS: dict[str, dict[str, str]] = {
    # from -> {to: the button's label}
    ProgrammeStatus.DRAFT.value: {ProgrammeStatus.ENROLLING.value: "Open enrolment"},
    ProgrammeStatus.ENROLLING.value: {
        ProgrammeStatus.ACTIVE.value: "Start the cycle",
        ProgrammeStatus.CLOSED.value: "Close",
    },
    ProgrammeStatus.ACTIVE.value: {ProgrammeStatus.CLOSED.value: "Close the cycle"},
    ProgrammeStatus.CLOSED.value: {ProgrammeStatus.ENROLLING.value: "Start a new cycle"},
}


class TransitionError(ValueError):
    pass


@dataclass(frozen=True)
class Transition:
    to: str
    changes: dict[str, object]
    new_cycle: bool


def plan_transition(*, status: str, to: str, now: datetime, cycle_days: int, cycle_number: int) -> Transition:
    """The changes a lifecycle move makes, or TransitionError if the move is not allowed from `status`."""
    allowed = TRANSITIONS.get(status, {})
    if to not in allowed:
        raise TransitionError(
            f"A programme that is {STATUS_LABELS.get(status, status).lower()} cannot move to "
            f"{STATUS_LABELS.get(to, to).lower()}."
        )
    changes: dict[str, object] = {"status": to}
    new_cycle = status == ProgrammeStatus.CLOSED and to == ProgrammeStatus.ENROLLING
    if to == ProgrammeStatus.ACTIVE:
        changes["cycle_started_at"] = now
        changes["cycle_ends_at"] = now + timedelta(days=cycle_days)
    if to == ProgrammeStatus.ENROLLING:
        changes["enrolment_open"] = True
    if new_cycle:
        changes["cycle_number"] = cycle_number + 1
        changes["cycle_started_at"] = None
        changes["cycle_ends_at"] = None
    return Transition(to=to, changes=changes, new_cycle=new_cycle)


@dataclass(frozen=True)
class Moved:
    """A lifecycle move made: the programme as it is now, and who is invited to opt in to its new cycle."""

    programme: Programme
    invited: list[str]


def move_programme(
    *, session: Session, team_id: str, actor_id: str, programme_id: int, to: str, now: datetime
) -> Moved:
    """Move the programme's lifecycle to `to` (TransitionError if it cannot go there from where it is), audited.
    Closing a cycle carries over the matches that continue; a new cycle keeps them and invites everyone else."""
    programme = session.get(Programme, programme_id)
    assert programme is not None
    move = plan_transition(
        status=programme.status,
        to=to,
        now=now,
        cycle_days=programme.cycle_days,
        cycle_number=programme.cycle_number,
    )
    closing_cycle = programme.status == ProgrammeStatus.ACTIVE.value and to == ProgrammeStatus.CLOSED.value
    for key, value in move.changes.items():
        setattr(programme, key, value)
    programme.updated_at = now
    session.add(programme)
    if closing_cycle:
        matching.carry_over(session, programme_id=programme_id, now=now)
    invited = _start_new_cycle(session, programme, team_id=team_id) if move.new_cycle else []
    queries.audit(
        session=session,
        team_id=team_id,
        actor_id=actor_id,
        action="programme.lifecycle",
        programme_id=programme_id,
        details={"to": to, "cycle": programme.cycle_number},
    )
    return Moved(programme=programme, invited=invited)


def _start_new_cycle(session: Session, programme: Programme, *, team_id: str) -> list[str]:
    """Continuing matches move to the new cycle; everyone else active or paused is invited to opt in again."""
    assert programme.id is not None
    continuing: set[str] = set()
    for match, group in matching.active_matches(session=session, programme_id=programme.id):
        match.cycle_number = programme.cycle_number
        match.continue_votes = []
        match.plan_at = match.roadmap_at = None
        session.add(match)
        continuing.update(m.slack_user_id for m in group)
    invited: list[str] = []
    for participant in queries.programme_participants(session=session, team_id=team_id, programme_id=programme.id):
        if participant.slack_user_id in continuing and participant.status == ParticipantStatus.ACTIVE.value:
            continue  # goes on with their match: already in
        if participant.status in (ParticipantStatus.ACTIVE.value, ParticipantStatus.PAUSED.value):
            participant.status = ParticipantStatus.INVITED.value
            participant.paused_until = None
            session.add(participant)
            invited.append(participant.slack_user_id)
    return invited


# --- pauses ------------------------------------------------------------------------------------------

_DURATION = re.compile(r"^(\d{1,3})\s*(d|day|days|w|wk|wks|week|weeks|m|mo|month|months)$")
_UNIT_DAYS = {"d": 1, "day": 1, "days": 1, "w": 7, "wk": 7, "wks": 7, "week": 7, "weeks": 7}


class PauseError(ValueError):
    pass


def parse_pause(text: str, *, today: date) -> date | None:
    """`/mentor pause [until DATE | 2w | 10d | 1 month]`: the last day of the pause, or None (until resumed)."""
    words = text.strip().lower()
    if words.startswith("until "):
        words = words[len("until ") :].strip()
    if not words:
        return None
    match = _DURATION.match(words)
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        days = amount * _UNIT_DAYS.get(unit, 30)
        if days < 1:
            raise PauseError("A pause lasts at least one day.")
        end = today + timedelta(days=days)
    else:
        try:
            end = date.fromisoformat(words)
        except ValueError:
            raise PauseError(
                "I couldn't read that. Try `/mentor pause 2w`, `/mentor pause 10d` or `/mentor pause until 2026-12-24`."
            ) from None
        if end <= today:
            raise PauseError("That date has passed: pick a day after today.")
    if end > today + timedelta(days=MAX_PAUSE_DAYS):
        raise PauseError(f"A pause can last at most {MAX_PAUSE_DAYS} days; `/mentor leave` if you need longer.")
    return end

"""Importing an organisation's roster into a programme: each row checked (its email known to Slack, its department,
office, role and skills the programme's own, its manager someone else), the usable rows stored in one unit of work
as invitations, the others reported by line. Nobody becomes a participant here: people join by submitting the
join form, pre-filled with what the roster says, which is where they give their consent.

The import is all of the usable rows or nothing: they are stored together (one transaction), and a row that cannot
be used never blocks the others, it is reported with its line and why."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from mentoring.membership import MAX_DEPARTMENT, MAX_SELF_GROUP, MAX_SKILLS, roles_for
from pairing.roster import ImportRow
from store import queries
from store.models import Participant, Programme, RosterEntry

EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
MAX_ROWS = 5000
MAX_PROBLEMS_SHOWN = 40


@dataclass(frozen=True)
class Problem:
    line: int
    reason: str


@dataclass(frozen=True)
class Invitee:
    """A usable row: the person by Slack user id (never their email) and what the roster says of them."""

    line: int
    slack_user_id: str
    department: str
    office: str
    manager_id: str | None
    role: str
    skills: tuple[str, ...]
    self_group: str


@dataclass
class RosterCheck:
    rows: int
    invitees: list[Invitee] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class Imported:
    """What an import stored: everyone usable, who among them is new to the roster and not yet a participant
    (to invite), and who had already joined (their manager is updated, nobody is invited twice)."""

    stored: int
    to_invite: list[RosterEntry]
    already_joined: list[str]


def emails_to_resolve(rows: Sequence[ImportRow]) -> list[str]:
    """Every well-formed email the roster names (people and managers), once each, in order."""
    wanted = [e for row in rows for e in (row.email, row.manager_email) if e and EMAIL.match(e)]
    return list(dict.fromkeys(wanted))


def _one_of(value: str, allowed: Sequence[str]) -> str | None:
    """The programme's own spelling of `value`, matched ignoring case; None when it is not in the list."""
    return next((a for a in allowed if a.lower() == value.lower()), None)


def _listed(allowed: Sequence[str]) -> str:
    shown = ", ".join(allowed[:8]) + (", …" if len(allowed) > 8 else "")
    return shown


def check_row(
    row: ImportRow, programme: Programme, directory: Mapping[str, str], seen: dict[str, int]
) -> Invitee | Problem:
    """One row against the programme and Slack's directory (email -> user id of an active person)."""
    if not row.email:
        return Problem(row.line, "no email")
    if not EMAIL.match(row.email):
        return Problem(row.line, f"email {row.email!r} is not an email address")
    user_id = directory.get(row.email)
    if user_id is None:
        return Problem(row.line, f"no active person in this Slack workspace has the email {row.email}")
    if user_id in seen:
        return Problem(row.line, f"duplicate: this person is already on line {seen[user_id]}")
    roles = [r.value for r in roles_for(programme.kind)]
    if row.role not in roles:
        shown = f"'{row.role}'" if row.role else "no role"
        return Problem(row.line, f"role: {shown} is not a role of this programme (expected {' or '.join(roles)})")
    department = row.department
    if department and programme.departments:
        listed = _one_of(department, programme.departments)
        if listed is None:
            return Problem(
                row.line,
                f"department '{department}' is not one of the programme's ({_listed(programme.departments)})",
            )
        department = listed
    elif len(department) > MAX_DEPARTMENT:
        return Problem(row.line, f"department is longer than {MAX_DEPARTMENT} characters")
    office = row.office
    if office:
        listed = _one_of(office, programme.offices)
        if listed is None:
            which = f"one of the programme's ({_listed(programme.offices)})" if programme.offices else "listed"
            return Problem(row.line, f"office '{office}' is not {which}")
        office = listed
    skills: list[str] = []
    for skill in row.skills:
        listed = _one_of(skill, programme.skills)
        if listed is None:
            return Problem(row.line, f"skill '{skill}' is not one of the programme's skills")
        skills.append(listed)
    if len(skills) > MAX_SKILLS:
        return Problem(row.line, f"more than {MAX_SKILLS} skills")
    manager_id: str | None = None
    if row.manager_email:
        if not EMAIL.match(row.manager_email):
            return Problem(row.line, f"manager email {row.manager_email!r} is not an email address")
        manager_id = directory.get(row.manager_email)
        if manager_id is None:
            return Problem(
                row.line, f"manager: no active person in this Slack workspace has the email {row.manager_email}"
            )
        if manager_id == user_id:
            return Problem(row.line, "manager: a person cannot be their own manager")
    group = row.group if programme.group_question else ""
    if len(group) > MAX_SELF_GROUP:
        return Problem(row.line, f"group is longer than {MAX_SELF_GROUP} characters")
    return Invitee(row.line, user_id, department, office, manager_id, row.role, tuple(skills), group)


def check_roster(rows: Sequence[ImportRow], programme: Programme, directory: Mapping[str, str]) -> RosterCheck:
    """Every row checked: the usable ones, and each other one with its line and why (in file order)."""
    check = RosterCheck(rows=len(rows))
    if len(rows) > MAX_ROWS:
        check.problems.append(Problem(1, f"a roster can have at most {MAX_ROWS} rows (this has {len(rows)})"))
        return check
    seen: dict[str, int] = {}
    for row in rows:
        result = check_row(row, programme, directory, seen)
        if isinstance(result, Problem):
            check.problems.append(result)
        else:
            seen[result.slack_user_id] = row.line
            check.invitees.append(result)
    return check


def import_roster(
    *, session: Session, programme: Programme, invitees: Sequence[Invitee], actor_id: str, now: datetime
) -> Imported:
    """Store the usable rows in the caller's unit of work (a re-import updates each person's entry), give people
    who already joined their manager, and audit it (counts only). Returns who is to be invited."""
    assert programme.id is not None
    existing = {
        e.slack_user_id: e
        for e in session.exec(select(RosterEntry).where(RosterEntry.programme_id == programme.id)).all()
    }
    joined = {
        p.slack_user_id: p
        for p in session.exec(select(Participant).where(Participant.programme_id == programme.id)).all()
    }
    to_invite: list[RosterEntry] = []
    already: list[str] = []
    for person in invitees:
        entry = existing.get(person.slack_user_id) or RosterEntry(
            team_id=programme.team_id,
            programme_id=programme.id,
            slack_user_id=person.slack_user_id,
            role=person.role,
            imported_by=actor_id,
        )
        entry.department, entry.office, entry.manager_id = person.department, person.office, person.manager_id
        entry.role, entry.skills, entry.self_group = person.role, list(person.skills), person.self_group
        entry.imported_by, entry.imported_at = actor_id, now
        participant = joined.get(person.slack_user_id)
        if participant is not None:
            already.append(person.slack_user_id)
            if participant.manager_id != person.manager_id:
                participant.manager_id = person.manager_id
                session.add(participant)
        elif entry.invited_at is None:
            entry.invited_at = now
            to_invite.append(entry)
        session.add(entry)
    queries.audit(
        session=session,
        team_id=programme.team_id,
        actor_id=actor_id,
        action="roster_import",
        programme_id=programme.id,
        details={"stored": len(invitees), "invited": len(to_invite), "already_joined": len(already)},
    )
    session.flush()
    return Imported(stored=len(invitees), to_invite=to_invite, already_joined=already)


def roster_entry(*, session: Session, team_id: str, programme_id: int, slack_user_id: str) -> RosterEntry | None:
    """What the programme's roster says of this person (None: they are not on it)."""
    return session.exec(
        select(RosterEntry).where(
            RosterEntry.team_id == team_id,
            RosterEntry.programme_id == programme_id,
            RosterEntry.slack_user_id == slack_user_id,
        )
    ).first()


@dataclass(frozen=True)
class RosterReport:
    """What an import did, or (dry run) would do: shown to the admin in Slack and printed by the CLI."""

    programme: str
    rows: int
    usable: int
    problems: tuple[Problem, ...]
    invited: int = 0
    already_joined: int = 0
    dry_run: bool = False
    refused: str = ""  # why nothing could be checked at all (the programme is closed, Slack would not answer)

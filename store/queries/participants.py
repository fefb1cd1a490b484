"""Participants: joining, profiles, statuses and pauses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from sqlalchemy import Connection, Insert, Update, and_, bindparam, func, insert, or_, update
from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from store.models import (
    Match,
    MatchMember,
    MatchStatus,
    Participant,
    ParticipantStatus,
    Programme,
    RosterEntry,
    accepts_joins,
)
from store.queries.followups import COLUMNS as FOLLOW_UP_COLUMNS
from store.queries.followups import FOLLOW_UP, NewFollowUp
from store.types import utcnow


def get_participant(*, session: Session, team_id: str, programme_id: int, slack_user_id: str) -> Participant | None:
    return session.exec(
        select(Participant).where(
            Participant.team_id == team_id,
            Participant.programme_id == programme_id,
            Participant.slack_user_id == slack_user_id,
        )
    ).first()


@dataclass(frozen=True)
class JoinTerms:
    """What a submitted join form is checked against and completed with: the programme's rules for joining, the
    person's membership of it (None: they have none) and their roster entry's manager (None: no entry, or none
    named)."""

    programme_id: int
    name: str
    kind: str
    status: str
    enrolment_open: bool
    enrolment_deadline: date | None
    skills: list[str]
    max_capacity: int
    group_question: str
    offices: list[str]
    departments: list[str]
    member_id: int | None
    member_role: str | None
    member_status: str | None
    on_roster: bool
    manager_id: str | None

    def accepts_joins(self, today: date) -> bool:
        return accepts_joins(self.status, self.enrolment_open, self.enrolment_deadline, today)


_PROGRAMME = Programme.__table__  # type: ignore[attr-defined]
_PARTICIPANT = Participant.__table__  # type: ignore[attr-defined]
_ROSTER = RosterEntry.__table__  # type: ignore[attr-defined]

_JOIN_TERMS = (
    core_select(
        _PROGRAMME.c.id,
        _PROGRAMME.c.name,
        _PROGRAMME.c.kind,
        _PROGRAMME.c.status,
        _PROGRAMME.c.enrolment_open,
        _PROGRAMME.c.enrolment_deadline,
        _PROGRAMME.c.skills,
        _PROGRAMME.c.max_capacity,
        _PROGRAMME.c.group_question,
        _PROGRAMME.c.offices,
        _PROGRAMME.c.departments,
        _PARTICIPANT.c.id,
        _PARTICIPANT.c.role,
        _PARTICIPANT.c.status,
        _ROSTER.c.id,
        _ROSTER.c.manager_id,
    )
    .select_from(
        _PROGRAMME.outerjoin(
            _PARTICIPANT,
            and_(
                _PARTICIPANT.c.programme_id == _PROGRAMME.c.id,
                _PARTICIPANT.c.team_id == bindparam("team_id"),
                _PARTICIPANT.c.slack_user_id == bindparam("slack_user_id"),
            ),
        ).outerjoin(
            _ROSTER,
            and_(
                _ROSTER.c.programme_id == _PROGRAMME.c.id,
                _ROSTER.c.team_id == bindparam("team_id"),
                _ROSTER.c.slack_user_id == bindparam("slack_user_id"),
            ),
        )
    )
    .where(_PROGRAMME.c.id == bindparam("programme_id"), _PROGRAMME.c.team_id == bindparam("team_id"))
)
"""Built once, and Core rather than ORM entities: a submitted join form is checked against it on the path that
acks the submission, where hydrating three whole rows (about 70 columns) cost more than the rest of the check."""


def join_terms(
    *, session: Session | Connection, team_id: str, programme_id: int | None, slack_user_id: str
) -> JoinTerms | None:
    """The workspace's programme with this id as a join form sees it, with the person's membership and roster
    entry, in one query (one statement: on a connection in autocommit mode, one round trip); None when there is
    no such programme."""
    if programme_id is None:
        return None
    connection = session.connection() if isinstance(session, Session) else session
    params = {"team_id": team_id, "programme_id": programme_id, "slack_user_id": slack_user_id}
    row = connection.execute(_JOIN_TERMS, params).first()
    if row is None:
        return None
    (pid, name, kind, status, enrolment_open, deadline, skills, max_capacity, group_question, offices, departments) = (
        row[:11]
    )
    member_id, member_role, member_status, roster_id, manager_id = row[11:]
    return JoinTerms(
        programme_id=pid,
        name=name,
        kind=kind,
        status=status,
        enrolment_open=bool(enrolment_open),
        enrolment_deadline=deadline,
        skills=list(skills or []),
        max_capacity=max_capacity,
        group_question=group_question,
        offices=list(offices or []),
        departments=list(departments or []),
        member_id=member_id,
        member_role=member_role,
        member_status=member_status,
        on_roster=roster_id is not None,
        manager_id=manager_id,
    )


def memberships(*, session: Session, team_id: str, slack_user_id: str) -> list[tuple[Participant, Programme]]:
    rows = session.exec(
        select(Participant, Programme)
        .join(Programme, col(Programme.id) == col(Participant.programme_id))
        .where(Participant.team_id == team_id, Participant.slack_user_id == slack_user_id)
        .order_by(col(Programme.id))
    ).all()
    return [(participant, programme) for participant, programme in rows]


def upsert_participant(
    *,
    session: Session,
    team_id: str,
    programme_id: int,
    slack_user_id: str,
    fields: dict[str, object],
    existing_id: int | None = None,
) -> tuple[int, bool]:
    """Create the person's membership of the programme, or update it if they joined before.

    `existing_id`: their membership's id as the caller read it, if it did (an update is then one UPDATE of the
    given columns, with no row read or hydrated). The read may be older than this transaction: a membership gone
    since (they asked to be forgotten meanwhile) is created again, never updated in silence. Returns the
    membership's id and whether it was created. Two submissions racing each other end as one row."""
    now = utcnow()
    if existing_id is not None and _update_membership(session, existing_id, fields, now):
        return existing_id, False
    participant = Participant(
        team_id=team_id,
        programme_id=programme_id,
        slack_user_id=slack_user_id,
        joined_at=now,
        updated_at=now,
        **fields,  # type: ignore[arg-type]
    )
    try:
        with session.begin_nested():
            session.add(participant)
    except IntegrityError:  # they joined in the meantime (another submission of theirs): update that row
        existing = get_participant(
            session=session, team_id=team_id, programme_id=programme_id, slack_user_id=slack_user_id
        )
        if existing is None or existing.id is None or not _update_membership(session, existing.id, fields, now):
            raise
        return existing.id, False
    assert participant.id is not None
    return participant.id, True


def _update_membership(session: Session, participant_id: int, fields: dict[str, object], now: datetime) -> bool:
    """One UPDATE of the given columns; False when there is no such membership."""
    statement = _membership_update(tuple(sorted(fields)))
    result = session.connection().execute(statement, _update_params(participant_id, fields, now))
    return bool(result.rowcount)


def update_membership_alone(
    connection: Connection, *, participant_id: int, fields: dict[str, object], now: datetime, follow_up: NewFollowUp
) -> bool:
    """PostgreSQL, on a connection in autocommit mode: update the membership's columns and, only if it is still
    there, queue `follow_up`, in one statement (a data-modifying WITH) that commits itself: one round trip where a
    unit of work takes five (check-out, BEGIN, UPDATE, INSERT, COMMIT). False when the membership is gone (they
    asked to be forgotten since it was read): nothing was changed."""
    params = _update_params(participant_id, fields, now)
    params.update({f"queue_{name}": value for name, value in follow_up.values().items()})
    return connection.execute(_membership_update_queueing(tuple(sorted(fields))), params).first() is not None


def _update_params(participant_id: int, fields: dict[str, object], now: datetime) -> dict[str, object]:
    params = {f"set_{name}": value for name, value in fields.items()}
    params.update(set_updated_at=now, participant_id=participant_id)
    return params


@cache
def _membership_update(columns: tuple[str, ...]) -> Update:
    """The UPDATE of these columns of one membership, built once per set of columns (a join form saves the same
    few sets), with its values as parameters: its compiled form is then cached, where an UPDATE built per request
    costs SQLAlchemy a cache key of its values each time."""
    return (
        update(_PARTICIPANT)
        .where(_PARTICIPANT.c.id == bindparam("participant_id"))
        .values({name: bindparam(f"set_{name}", type_=_PARTICIPANT.c[name].type) for name in (*columns, "updated_at")})
    )


@cache
def _membership_update_queueing(columns: tuple[str, ...]) -> Insert:
    saved = _membership_update(columns).returning(_PARTICIPANT.c.id).cte("saved")
    queued = [FOLLOW_UP.c[name] for name in FOLLOW_UP_COLUMNS]
    row = core_select(*(bindparam(f"queue_{column.name}", type_=column.type) for column in queued)).select_from(saved)
    return insert(FOLLOW_UP).from_select(queued, row).add_cte(saved).returning(FOLLOW_UP.c.id)


def set_participant_profile(
    *, session: Session, participant_id: int, display_name: str, title: str, timezone: str | None
) -> None:
    participant = session.get(Participant, participant_id)
    if participant is None:
        return
    participant.display_name = display_name
    participant.title = title
    if timezone:
        participant.timezone = timezone
    session.add(participant)


def participant_counts(*, session: Session, team_id: str) -> dict[int, int]:
    """Participants per programme, not counting people who left."""
    rows = session.exec(
        select(Participant.programme_id, func.count())
        .where(Participant.team_id == team_id, Participant.status != ParticipantStatus.LEFT.value)
        .group_by(col(Participant.programme_id))
    ).all()
    return {programme_id: count for programme_id, count in rows}


def programme_participants(*, session: Session, team_id: str, programme_id: int) -> list[Participant]:
    return list(
        session.exec(
            select(Participant)
            .where(Participant.team_id == team_id, Participant.programme_id == programme_id)
            .order_by(col(Participant.joined_at))
        ).all()
    )


def set_status(
    *,
    session: Session,
    team_id: str,
    user_id: str,
    status: ParticipantStatus,
    reason: str = "",
    paused_until: date | None = None,
    programme_id: int | None = None,
    only_from: tuple[ParticipantStatus, ...] = (),
) -> list[Participant]:
    """Move the person's memberships (all, or one programme's) to `status`. Returns the rows changed."""
    query = select(Participant).where(Participant.team_id == team_id, Participant.slack_user_id == user_id)
    if programme_id is not None:
        query = query.where(Participant.programme_id == programme_id)
    changed = []
    now = utcnow()
    for participant in session.exec(query).all():
        if only_from and participant.status not in only_from:
            continue
        participant.status = status.value
        participant.status_reason = reason
        participant.paused_until = paused_until if status is ParticipantStatus.PAUSED else None
        participant.left_at = now if status is ParticipantStatus.LEFT else None
        participant.updated_at = now
        if status is ParticipantStatus.ACTIVE:
            participant.unanswered_checkins = 0
        session.add(participant)
        changed.append(participant)
    if status is ParticipantStatus.ACTIVE and changed:
        replan_person(session=session, team_id=team_id, user_id=user_id)
    return changed


def replan_person(*, session: Session, team_id: str, user_id: str) -> None:
    """The check-in loop and the roadmap planner look again at this person's active matches on their next pass
    (they came back)."""

    in_person = select(MatchMember.match_id).where(MatchMember.team_id == team_id, MatchMember.slack_user_id == user_id)
    session.execute(
        update(Match)
        .where(col(Match.id).in_(in_person), col(Match.status) == MatchStatus.ACTIVE.value)
        .values(plan_at=None, roadmap_at=None)
        .execution_options(synchronize_session=False)
    )


def pauses_due(*, session: Session, on_or_before: date) -> list[Participant]:
    """Paused memberships whose pause ends on or before the given date (the caller checks local dates)."""
    return list(
        session.exec(
            select(Participant).where(
                Participant.status == ParticipantStatus.PAUSED.value,
                col(Participant.paused_until).is_not(None),
                col(Participant.paused_until) <= on_or_before,
            )
        ).all()
    )


def end_pause(*, session: Session, participant_id: int, today: date) -> bool:
    """Resume one membership whose pause has ended. True only for the caller that made the change."""

    result = session.execute(
        update(Participant)
        .where(
            col(Participant.id) == participant_id,
            col(Participant.status) == ParticipantStatus.PAUSED.value,
            col(Participant.paused_until) <= today,
        )
        .values(
            status=ParticipantStatus.ACTIVE.value,
            paused_until=None,
            status_reason="",
            unanswered_checkins=0,
            updated_at=utcnow(),
        )
    )
    changed = bool(getattr(result, "rowcount", 0))
    if changed:
        participant = session.get(Participant, participant_id)
        if participant is not None:
            replan_person(session=session, team_id=participant.team_id, user_id=participant.slack_user_id)
    return changed


def people_to_watch(*, session: Session, checked_before: datetime, limit: int) -> list[tuple[str, str]]:
    """(team id, user id) of at most `limit` people whose Slack status may hold their pair's check-ins, not read
    since `checked_before`: anyone marked away first (to see them come back), then active people in an active
    match, longest unread first (a read refused now goes first later). Each query orders and stops in the
    database, so a pass reads `limit` rows whatever the population."""
    stale = or_(col(Participant.status_checked_at).is_(None), col(Participant.status_checked_at) < checked_before)
    fields = (
        col(Participant.team_id),
        col(Participant.slack_user_id),
        col(Participant.away_since),
        col(Participant.status_checked_at),
    )
    order = (
        col(Participant.status_checked_at).asc().nulls_first(),
        col(Participant.team_id),
        col(Participant.slack_user_id),
    )
    in_match = (
        select(*fields)
        .join(MatchMember, col(MatchMember.slack_user_id) == col(Participant.slack_user_id))
        .join(Match, col(Match.id) == col(MatchMember.match_id))
        .where(
            Match.status == MatchStatus.ACTIVE.value,
            col(Match.programme_id) == col(Participant.programme_id),
            Participant.status == ParticipantStatus.ACTIVE.value,
            stale,
        )
        .order_by(*order)
        .limit(limit)
    )
    away = select(*fields).where(col(Participant.away_since).is_not(None), stale).order_by(*order).limit(limit)
    found: dict[tuple[str, str], tuple[bool, float]] = {}
    for team_id, user_id, away_since, checked_at in [*session.execute(in_match).all(), *session.execute(away).all()]:
        found[(str(team_id), str(user_id))] = (away_since is None, checked_at.timestamp() if checked_at else 0.0)
    return sorted(found, key=lambda key: (found[key], key))[:limit]


def active_partners(*, session: Session, team_id: str, user_id: str) -> list[tuple[int, str]]:
    """(match id, partner id) for each partner in this person's active matches."""
    mine = select(MatchMember.match_id).where(MatchMember.team_id == team_id, MatchMember.slack_user_id == user_id)
    rows = session.exec(
        select(MatchMember.match_id, MatchMember.slack_user_id)
        .join(Match, col(Match.id) == col(MatchMember.match_id))
        .where(
            col(MatchMember.match_id).in_(mine),
            Match.status == MatchStatus.ACTIVE.value,
            MatchMember.slack_user_id != user_id,
        )
    ).all()
    return [(int(m), str(u)) for m, u in rows]


def memberships_of(*, session: Session, team_id: str, user_id: str) -> list[Participant]:
    return list(
        session.exec(
            select(Participant).where(Participant.team_id == team_id, Participant.slack_user_id == user_id)
        ).all()
    )

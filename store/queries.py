"""Repository functions. Each takes the session keyword-only and is scoped to one workspace (`team_id`)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, true, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from store.models import (
    AuditEntry,
    CheckIn,
    Digest,
    GrowthThread,
    Kudos,
    Match,
    MatchMember,
    MatchRound,
    MatchStatus,
    Milestone,
    MilestoneStatus,
    OutboxMessage,
    Participant,
    ParticipantStatus,
    ProcessedEvent,
    Programme,
    ProgrammeAdmin,
    PromptRating,
    Roadmap,
    Role,
    SchedulerState,
    SurveyResponse,
    Workspace,
)
from store.types import utcnow

DEFAULT_SKILLS: tuple[str, ...] = (
    "Career growth",
    "Leadership",
    "Giving feedback",
    "Public speaking",
    "Writing",
    "System design",
    "Product thinking",
    "Data analysis",
    "Stakeholder management",
    "Negotiation",
    "Coaching",
    "Hiring and interviewing",
    "Project management",
    "UX research",
    "Frontend development",
    "Backend development",
    "Cloud infrastructure",
    "Security",
    "Time management",
    "Sales",
)


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:80] or "programme"


def ensure_default_programme(*, session: Session, team_id: str, name: str) -> Programme:
    """A workspace with no programme at all gets one open programme, so `/mentor join` works at once."""
    existing = session.exec(select(Programme).where(Programme.team_id == team_id).limit(1)).first()
    if existing is not None:
        return existing
    programme = Programme(
        team_id=team_id,
        slug=slugify(name),
        name=name,
        objectives="Grow skills and careers through regular conversations with a mentor or a peer.",
        skills=list(DEFAULT_SKILLS),
    )
    try:
        with session.begin_nested():
            session.add(programme)
    except IntegrityError:  # another request created it at the same moment
        found = session.exec(
            select(Programme).where(Programme.team_id == team_id, Programme.slug == programme.slug)
        ).one()
        return found
    return programme


def programmes(*, session: Session, team_id: str) -> Sequence[Programme]:
    return session.exec(select(Programme).where(Programme.team_id == team_id).order_by(col(Programme.id))).all()


def open_programmes(*, session: Session, team_id: str, today: date) -> list[Programme]:
    """Programmes people can join today (enrolling or running, enrolment open, deadline not passed)."""
    return [p for p in programmes(session=session, team_id=team_id) if p.accepts_joins(today)]


def get_programme(*, session: Session, team_id: str, programme_id: int | None) -> Programme | None:
    """The workspace's programme with this id; None for no id, another workspace's id, or an unknown one."""
    if programme_id is None:
        return None
    programme = session.get(Programme, programme_id)
    if programme is None or programme.team_id != team_id:
        return None
    return programme


def find_programme(*, session: Session, team_id: str, text: str) -> Programme | None:
    """Find a programme by its name or slug, ignoring case."""
    wanted = text.strip().lower()
    for programme in programmes(session=session, team_id=team_id):
        if wanted in (programme.name.lower(), programme.slug):
            return programme
    return None


def get_participant(*, session: Session, team_id: str, programme_id: int, slack_user_id: str) -> Participant | None:
    return session.exec(
        select(Participant).where(
            Participant.team_id == team_id,
            Participant.programme_id == programme_id,
            Participant.slack_user_id == slack_user_id,
        )
    ).first()


def memberships(*, session: Session, team_id: str, slack_user_id: str) -> list[tuple[Participant, Programme]]:
    rows = session.exec(
        select(Participant, Programme)
        .join(Programme, col(Programme.id) == col(Participant.programme_id))
        .where(Participant.team_id == team_id, Participant.slack_user_id == slack_user_id)
        .order_by(col(Programme.id))
    ).all()
    return [(participant, programme) for participant, programme in rows]


def upsert_participant(
    *, session: Session, team_id: str, programme: Programme, slack_user_id: str, fields: dict[str, object]
) -> tuple[Participant, bool]:
    """Create the person's membership of `programme`, or update it if they joined before.

    Returns the row and whether it was created. Two submissions racing each other end as one row.
    """
    assert programme.id is not None
    now = utcnow()
    for attempt in range(2):
        participant = get_participant(
            session=session, team_id=team_id, programme_id=programme.id, slack_user_id=slack_user_id
        )
        if participant is not None:
            for name, value in fields.items():
                setattr(participant, name, value)
            participant.updated_at = now
            session.add(participant)
            session.flush()
            return participant, False
        participant = Participant(
            team_id=team_id,
            programme_id=programme.id,
            slack_user_id=slack_user_id,
            joined_at=now,
            updated_at=now,
            **fields,  # type: ignore[arg-type]
        )
        try:
            with session.begin_nested():
                session.add(participant)
            return participant, True
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")


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


def claim_event(*, session: Session, team_id: str, event_id: str, now: datetime | None = None) -> bool:
    """Record that an Events API delivery is being handled. False if it was handled before (a retry)."""
    try:
        with session.begin_nested():
            session.add(ProcessedEvent(team_id=team_id, event_id=event_id, received_at=now or utcnow()))
    except IntegrityError:
        return False
    return True


# --- admin -------------------------------------------------------------------------------------------


def audit(
    *,
    session: Session,
    team_id: str,
    actor_id: str,
    action: str,
    programme_id: int | None = None,
    subject_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditEntry(
            team_id=team_id,
            actor_id=actor_id,
            action=action,
            programme_id=programme_id,
            subject_id=subject_id,
            details=details or {},
        )
    )


def audit_log(*, session: Session, team_id: str, limit: int = 100) -> list[AuditEntry]:
    return list(
        session.exec(
            select(AuditEntry).where(AuditEntry.team_id == team_id).order_by(col(AuditEntry.id).desc()).limit(limit)
        ).all()
    )


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


def clear_self_groups(*, session: Session, programme_id: int) -> int:
    """Delete every answer to the programme's group question (it is no longer asked). Returns how many."""
    result = session.execute(
        update(Participant)
        .where(col(Participant.programme_id) == programme_id, col(Participant.self_group) != "")
        .values(self_group="")
    )
    return int(getattr(result, "rowcount", 0) or 0)


def grant_admin(*, session: Session, team_id: str, programme_id: int, user_id: str, granted_by: str) -> bool:
    """Make `user_id` an admin of the programme. False if they already were."""
    try:
        with session.begin_nested():
            session.add(
                ProgrammeAdmin(team_id=team_id, programme_id=programme_id, slack_user_id=user_id, granted_by=granted_by)
            )
    except IntegrityError:
        return False
    return True


def name_taken(*, session: Session, team_id: str, exclude_id: int | None) -> set[str]:
    return {p.name.lower() for p in programmes(session=session, team_id=team_id) if p.id != exclude_id}


# --- participants' own controls ----------------------------------------------------------------------


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
    """The check-in loop looks again at this person's active matches on its next pass (they came back)."""
    from sqlalchemy import update

    in_person = select(MatchMember.match_id).where(MatchMember.team_id == team_id, MatchMember.slack_user_id == user_id)
    session.execute(
        update(Match)
        .where(col(Match.id).in_(in_person), col(Match.status) == MatchStatus.ACTIVE.value)
        .values(plan_at=None)
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
    from sqlalchemy import update

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


def export_person(*, session: Session, team_id: str, user_id: str) -> dict[str, Any]:
    """Everything stored about one person in one workspace, as plain JSON-able data."""
    joined = []
    for participant, programme in memberships(session=session, team_id=team_id, slack_user_id=user_id):
        row = participant.model_dump(mode="json")
        row["programme"] = programme.name
        joined.append(row)
    grants = session.exec(
        select(ProgrammeAdmin).where(ProgrammeAdmin.team_id == team_id, ProgrammeAdmin.slack_user_id == user_id)
    ).all()
    entries = session.exec(
        select(AuditEntry).where(
            AuditEntry.team_id == team_id,
            (col(AuditEntry.actor_id) == user_id) | (col(AuditEntry.subject_id) == user_id),
        )
    ).all()
    matches = []
    for member in session.exec(
        select(MatchMember).where(MatchMember.team_id == team_id, MatchMember.slack_user_id == user_id)
    ).all():
        match = session.get(Match, member.match_id)
        if match is None or match.status in (MatchStatus.PROPOSED.value, MatchStatus.DROPPED.value):
            continue
        others = session.exec(select(MatchMember).where(MatchMember.match_id == match.id)).all()
        row = match.model_dump(mode="json", exclude={"end_reason"} if match.ended_by != user_id else set())
        row["your_role"] = member.role
        row["partners"] = [o.slack_user_id for o in others if o.slack_user_id != user_id]
        matches.append(row)
    check_ins = session.exec(select(CheckIn).where(CheckIn.team_id == team_id, CheckIn.author_id == user_id)).all()
    return {
        "slack_user_id": user_id,
        "team_id": team_id,
        "exported_at": utcnow().isoformat(),
        "memberships": joined,
        "matches": matches,
        "check_ins_you_logged": [c.model_dump(mode="json") for c in check_ins],
        "survey_answers": [
            r.model_dump(mode="json")
            for r in session.exec(
                select(SurveyResponse).where(SurveyResponse.team_id == team_id, SurveyResponse.slack_user_id == user_id)
            ).all()
        ],
        "prompt_ratings": [
            r.model_dump(mode="json")
            for r in session.exec(
                select(PromptRating).where(PromptRating.team_id == team_id, PromptRating.slack_user_id == user_id)
            ).all()
        ],
        "programme_admin_of": [g.model_dump(mode="json") for g in grants],
        "admin_actions_by_or_about_you": [e.model_dump(mode="json") for e in entries],
        **export_growth(session=session, team_id=team_id, user_id=user_id),
    }


FORGOTTEN = "forgotten"


def _scrub(value: Any, user_id: str) -> Any:
    if isinstance(value, str):
        return value.replace(user_id, FORGOTTEN)
    if isinstance(value, list):
        return [_scrub(v, user_id) for v in value if v != user_id]
    if isinstance(value, dict):
        return {k: _scrub(v, user_id) for k, v in value.items()}
    return value


def forget_person(*, session: Session, team_id: str, user_id: str) -> int:
    """Delete or anonymise everything naming `user_id` in the workspace; keep counts per programme and role.

    Returns the number of memberships deleted.
    """
    deleted = 0
    forget_growth(session=session, team_id=team_id, user_id=user_id)
    for participant in session.exec(
        select(Participant).where(Participant.team_id == team_id, Participant.slack_user_id == user_id)
    ).all():
        programme = session.get(Programme, participant.programme_id)
        if programme is not None:
            tally = Counter(programme.forgotten)
            tally[participant.role] += 1
            programme.forgotten = dict(tally)
            session.add(programme)
        session.delete(participant)
        deleted += 1
    for other in session.exec(select(Participant).where(Participant.team_id == team_id)).all():
        if user_id in other.rather_not or other.manager_id == user_id:
            other.rather_not = [u for u in other.rather_not if u != user_id]
            other.manager_id = None if other.manager_id == user_id else other.manager_id
            session.add(other)
    for grant in session.exec(select(ProgrammeAdmin).where(ProgrammeAdmin.team_id == team_id)).all():
        if grant.slack_user_id == user_id:
            session.delete(grant)
        elif grant.granted_by == user_id:
            grant.granted_by = FORGOTTEN
            session.add(grant)
    for check_in in session.exec(select(CheckIn).where(CheckIn.team_id == team_id, CheckIn.author_id == user_id)).all():
        session.delete(check_in)
    for member in session.exec(
        select(MatchMember).where(MatchMember.team_id == team_id, MatchMember.slack_user_id == user_id)
    ).all():
        session.delete(member)
    for match in session.exec(select(Match).where(Match.team_id == team_id)).all():
        if match.ended_by == user_id or user_id in str(match.reasons) or user_id in match.continue_votes:
            if match.ended_by == user_id:
                match.ended_by, match.end_reason = FORGOTTEN, ""
            match.reasons = _scrub(match.reasons, user_id)
            match.continue_votes = [v for v in match.continue_votes if v != user_id]
            session.add(match)
    for answer in session.exec(
        select(SurveyResponse).where(SurveyResponse.team_id == team_id, SurveyResponse.slack_user_id == user_id)
    ).all():
        session.delete(answer)
    for row in session.exec(select(OutboxMessage).where(OutboxMessage.team_id == team_id)).all():
        if row.recipient == user_id or user_id in row.key:
            session.delete(row)  # messages to them, planned or sent
        elif user_id in str(row.payload):
            row.payload = _scrub(row.payload, user_id)  # others' messages that name them
            session.add(row)
    for round_ in session.exec(select(MatchRound).where(MatchRound.team_id == team_id)).all():
        if round_.created_by == user_id or user_id in str(round_.unmatched):
            round_.created_by = FORGOTTEN if round_.created_by == user_id else round_.created_by
            round_.unmatched = [u for u in round_.unmatched if u.get("user_id") != user_id]
            session.add(round_)
    for digest in session.exec(select(Digest).where(Digest.team_id == team_id)).all():
        if user_id in str(digest.stats):  # named in a past digest's public highlights or kudos
            digest.stats = _scrub(digest.stats, user_id)
            session.add(digest)
    for entry in session.exec(select(AuditEntry).where(AuditEntry.team_id == team_id)).all():
        if user_id in (entry.actor_id, entry.subject_id) or user_id in str(entry.details):
            entry.actor_id = FORGOTTEN if entry.actor_id == user_id else entry.actor_id
            entry.subject_id = FORGOTTEN if entry.subject_id == user_id else entry.subject_id
            entry.details = _scrub(entry.details, user_id)
            session.add(entry)
    return deleted


# --- workspaces --------------------------------------------------------------------------------------


def workspace_active(*, session: Session, team_id: str) -> bool:
    workspace = session.get(Workspace, team_id)
    return workspace is None or workspace.active


def mark_uninstalled(*, session: Session, team_id: str, now: datetime, retention: timedelta) -> bool:
    """Stop all work for the workspace and schedule its data for deletion. False if it was already stopped."""
    workspace = session.get(Workspace, team_id) or Workspace(team_id=team_id)
    if not workspace.active:
        return False
    workspace.active = False
    workspace.uninstalled_at = now
    workspace.delete_after = now + retention
    session.add(workspace)
    return True


def mark_installed(*, session: Session, team_id: str) -> None:
    workspace = session.get(Workspace, team_id)
    if workspace is not None and not workspace.active:
        workspace.active = True
        workspace.uninstalled_at = None
        workspace.delete_after = None
        session.add(workspace)


def purge_expired_workspaces(*, session: Session, now: datetime) -> list[str]:
    """Delete every row of workspaces whose retention period after uninstalling has passed."""
    expired = session.exec(
        select(Workspace).where(
            col(Workspace.active).is_(False),
            col(Workspace.delete_after).is_not(None),
            col(Workspace.delete_after) <= now,
        )
    ).all()
    purged = []
    for workspace in expired:
        team_id = workspace.team_id
        for model in (
            Milestone,
            Roadmap,
            GrowthThread,
            Kudos,
            OutboxMessage,
            PromptRating,
            CheckIn,
            MatchMember,
            Match,
            MatchRound,
            AuditEntry,
            ProgrammeAdmin,
            Participant,
            Programme,
            ProcessedEvent,
        ):
            for row in session.exec(select(model).where(model.team_id == team_id)).all():
                session.delete(row)
            session.flush()
        session.delete(workspace)
        purged.append(team_id)
    return purged


def rate_prompt(*, session: Session, team_id: str, user_id: str, prompt_id: str, value: int) -> None:
    """Record (or change) a person's thumbs up (+1) or down (-1) for a library prompt."""
    rating = session.exec(
        select(PromptRating).where(
            PromptRating.team_id == team_id,
            PromptRating.prompt_id == prompt_id,
            PromptRating.slack_user_id == user_id,
        )
    ).first()
    if rating is None:
        rating = PromptRating(team_id=team_id, prompt_id=prompt_id, slack_user_id=user_id, value=value)
    rating.value, rating.at = value, utcnow()
    session.add(rating)


def prompt_votes(*, session: Session, team_id: str) -> dict[str, tuple[int, int]]:
    """Thumbs (up, down) per prompt in the workspace."""
    votes: dict[str, tuple[int, int]] = {}
    for rating in session.exec(select(PromptRating).where(PromptRating.team_id == team_id)).all():
        up, down = votes.get(rating.prompt_id, (0, 0))
        votes[rating.prompt_id] = (up + (rating.value > 0), down + (rating.value < 0))
    return votes


# --- roadmaps, growth threads and recognition -------------------------------------------------------


def roadmap_for(*, session: Session, team_id: str, match_id: int, owner_id: str) -> Roadmap | None:
    return session.exec(
        select(Roadmap).where(Roadmap.team_id == team_id, Roadmap.match_id == match_id, Roadmap.owner_id == owner_id)
    ).first()


def ensure_roadmap(*, session: Session, team_id: str, match: Match, owner_id: str, goal: str = "") -> Roadmap:
    """The owner's roadmap in this match, created (with `goal`) if it does not exist yet."""
    found = roadmap_for(session=session, team_id=team_id, match_id=match.id or 0, owner_id=owner_id)
    if found is not None:
        return found
    roadmap = Roadmap(team_id=team_id, programme_id=match.programme_id, match_id=match.id or 0, owner_id=owner_id)
    roadmap.goal = goal
    session.add(roadmap)
    session.flush()
    return roadmap


def roadmap_milestones(*, session: Session, roadmap_id: int) -> list[Milestone]:
    """A roadmap's milestones by due date."""
    return list(
        session.exec(
            select(Milestone)
            .where(Milestone.roadmap_id == roadmap_id)
            .order_by(col(Milestone.due_on), col(Milestone.id))
        ).all()
    )


def match_milestones(*, session: Session, match_id: int, open_only: bool = False) -> list[Milestone]:
    """Every milestone of every roadmap in a match (open ones only: planned or in progress)."""
    query = select(Milestone).where(Milestone.match_id == match_id)
    if open_only:
        query = query.where(
            col(Milestone.status).in_([MilestoneStatus.PLANNED.value, MilestoneStatus.IN_PROGRESS.value])
        )
    return list(session.exec(query.order_by(col(Milestone.due_on), col(Milestone.id))).all())


def get_milestone(*, session: Session, team_id: str, milestone_id: int | None) -> Milestone | None:
    milestone = session.get(Milestone, milestone_id) if milestone_id is not None else None
    return milestone if milestone is not None and milestone.team_id == team_id else None


def milestones_completed(
    *, session: Session, team_id: str, programme_id: int, since: datetime, until: datetime | None = None
) -> list[Milestone]:
    """Milestones reached in a programme in [since, until), oldest first (for digests and reports)."""
    query = select(Milestone).where(
        Milestone.team_id == team_id,
        Milestone.programme_id == programme_id,
        Milestone.status == MilestoneStatus.DONE.value,
        col(Milestone.completed_at) >= since,
    )
    if until is not None:
        query = query.where(col(Milestone.completed_at) < until)
    return list(session.exec(query.order_by(col(Milestone.completed_at))).all())


def milestone_status_counts(*, session: Session, team_id: str, programme_id: int) -> dict[str, int]:
    """How many milestones of a programme are in each status."""
    rows = session.exec(
        select(Milestone.status, func.count())
        .where(Milestone.team_id == team_id, Milestone.programme_id == programme_id)
        .group_by(col(Milestone.status))
    ).all()
    return {status: int(count) for status, count in rows}


def growth_thread_at(*, session: Session, team_id: str, channel_id: str, ts: str) -> GrowthThread | None:
    """The live growth thread posted as message `ts` in `channel_id`, if that message is one."""
    return session.exec(
        select(GrowthThread).where(
            GrowthThread.team_id == team_id,
            GrowthThread.channel_id == channel_id,
            GrowthThread.ts == ts,
            col(GrowthThread.deleted_at).is_(None),
        )
    ).first()


def growth_threads(
    *,
    session: Session,
    team_id: str,
    programme_id: int,
    since: datetime,
    until: datetime | None = None,
    limit: int = 50,
) -> list[GrowthThread]:
    """Live growth threads of a programme posted in [since, until), the ones that drew most replies and
    reactions first (what a digest highlights)."""
    query = select(GrowthThread).where(
        GrowthThread.team_id == team_id,
        GrowthThread.programme_id == programme_id,
        col(GrowthThread.deleted_at).is_(None),
        col(GrowthThread.ts).is_not(None),
        col(GrowthThread.created_at) >= since,
    )
    if until is not None:
        query = query.where(col(GrowthThread.created_at) < until)
    rows = session.exec(query).all()
    return sorted(rows, key=lambda t: (-(t.reply_count + t.reaction_count), t.created_at))[:limit]


def kudos_given(
    *, session: Session, team_id: str, programme_id: int, since: datetime, until: datetime | None = None
) -> list[Kudos]:
    """Kudos in a programme in [since, until), oldest first."""
    query = select(Kudos).where(
        Kudos.team_id == team_id, Kudos.programme_id == programme_id, col(Kudos.created_at) >= since
    )
    if until is not None:
        query = query.where(col(Kudos.created_at) < until)
    return list(session.exec(query.order_by(col(Kudos.created_at))).all())


def kudos_counts(*, session: Session, team_id: str, programme_id: int, since: datetime | None = None) -> dict[str, int]:
    """Kudos received per person in a programme (since a time, or ever)."""
    query = select(Kudos.receiver_id, func.count()).where(Kudos.team_id == team_id, Kudos.programme_id == programme_id)
    if since is not None:
        query = query.where(col(Kudos.created_at) >= since)
    return {user: int(count) for user, count in session.exec(query.group_by(col(Kudos.receiver_id))).all()}


@dataclass(frozen=True)
class MentorContribution:
    """What one mentor gave a programme: mentees now, check-ins their matches held, milestones their mentees
    reached, kudos received."""

    mentor_id: str
    active_mentees: int
    check_ins: int
    milestones_reached: int
    kudos: int


def mentor_contributions(
    *, session: Session, team_id: str, programme_id: int, mentor_id: str | None = None
) -> list[MentorContribution]:
    """Every mentor of a programme (or just `mentor_id`) with their contribution, most active first."""
    mentor_rows = select(MatchMember.slack_user_id, MatchMember.match_id).join(
        Match, col(Match.id) == col(MatchMember.match_id)
    )
    mentor_rows = mentor_rows.where(
        Match.team_id == team_id,
        Match.programme_id == programme_id,
        col(Match.status).in_([MatchStatus.ACTIVE.value, MatchStatus.ENDED.value]),
        MatchMember.role == Role.MENTOR.value,
    )
    if mentor_id is not None:
        mentor_rows = mentor_rows.where(MatchMember.slack_user_id == mentor_id)
    matches_of: dict[str, list[int]] = {}
    for user, match_id in session.exec(mentor_rows).all():
        matches_of.setdefault(user, []).append(match_id)
    kudos = kudos_counts(session=session, team_id=team_id, programme_id=programme_id)
    result = []
    for mentor, match_ids in matches_of.items():
        active = session.exec(
            select(func.count())
            .select_from(MatchMember)
            .join(Match, col(Match.id) == col(MatchMember.match_id))
            .where(
                col(MatchMember.match_id).in_(match_ids),
                Match.status == MatchStatus.ACTIVE.value,
                MatchMember.role == Role.MENTEE.value,
            )
        ).one()
        check_ins = session.exec(
            select(func.count()).select_from(CheckIn).where(col(CheckIn.match_id).in_(match_ids))
        ).one()
        reached = session.exec(
            select(func.count())
            .select_from(Milestone)
            .join(Roadmap, col(Roadmap.id) == col(Milestone.roadmap_id))
            .where(
                col(Milestone.match_id).in_(match_ids),
                Milestone.status == MilestoneStatus.DONE.value,
                Roadmap.owner_id != mentor,
            )
        ).one()
        result.append(
            MentorContribution(
                mentor_id=mentor,
                active_mentees=int(active),
                check_ins=int(check_ins),
                milestones_reached=int(reached),
                kudos=kudos.get(mentor, 0),
            )
        )
    return sorted(result, key=lambda c: (-c.milestones_reached, -c.check_ins, -c.kudos, c.mentor_id))


def export_growth(*, session: Session, team_id: str, user_id: str) -> dict[str, Any]:
    """The person's roadmaps, growth threads and kudos (given and received), for `/mentor my-data`."""
    roadmaps = session.exec(select(Roadmap).where(Roadmap.team_id == team_id, Roadmap.owner_id == user_id)).all()
    return {
        "roadmaps": [
            {
                **r.model_dump(mode="json"),
                "milestones": [
                    m.model_dump(mode="json") for m in roadmap_milestones(session=session, roadmap_id=r.id or 0)
                ],
            }
            for r in roadmaps
        ],
        "growth_threads": [
            t.model_dump(mode="json")
            for t in session.exec(
                select(GrowthThread).where(GrowthThread.team_id == team_id, GrowthThread.author_id == user_id)
            ).all()
        ],
        "kudos": [
            k.model_dump(mode="json")
            for k in session.exec(
                select(Kudos).where(
                    Kudos.team_id == team_id, (col(Kudos.giver_id) == user_id) | (col(Kudos.receiver_id) == user_id)
                )
            ).all()
        ],
    }


def forget_growth(*, session: Session, team_id: str, user_id: str) -> None:
    """Delete the person's roadmaps, growth threads and kudos naming them (part of forgetting a person)."""
    for model, column in (
        (Roadmap, Roadmap.owner_id),
        (GrowthThread, GrowthThread.author_id),
        (Kudos, Kudos.giver_id),
        (Kudos, Kudos.receiver_id),
    ):
        for row in session.exec(select(model).where(model.team_id == team_id, column == user_id)).all():
            session.delete(row)
    session.flush()
    for milestone in session.exec(select(Milestone).where(Milestone.team_id == team_id)).all():
        if user_id in milestone.mentor_comment or user_id in milestone.evidence_note:
            milestone.mentor_comment = milestone.mentor_comment.replace(user_id, FORGOTTEN)
            milestone.evidence_note = milestone.evidence_note.replace(user_id, FORGOTTEN)
            session.add(milestone)


def count_growth_activity(
    *, session: Session, team_id: str, channel_id: str, ts: str, replies: int = 0, reactions: int = 0
) -> bool:
    """Add (or take away, never below zero) replies and reactions on the growth thread posted as `ts`.
    One UPDATE, so concurrent events never lose a count. False when `ts` is not a live growth thread."""
    changes: dict[Any, Any] = {}
    query = update(GrowthThread).where(
        col(GrowthThread.team_id) == team_id,
        col(GrowthThread.channel_id) == channel_id,
        col(GrowthThread.ts) == ts,
        col(GrowthThread.deleted_at).is_(None),
    )
    if replies:
        changes[GrowthThread.reply_count] = col(GrowthThread.reply_count) + replies
        if replies < 0:
            query = query.where(col(GrowthThread.reply_count) >= -replies)
    if reactions:
        changes[GrowthThread.reaction_count] = col(GrowthThread.reaction_count) + reactions
        if reactions < 0:
            query = query.where(col(GrowthThread.reaction_count) >= -reactions)
    if not changes:
        return False
    result = session.execute(query.values(changes))
    return bool(getattr(result, "rowcount", 0))


# --- skill supply and demand -------------------------------------------------------------------------

CURRENT_STATUSES = (ParticipantStatus.ACTIVE.value, ParticipantStatus.PAUSED.value)


def _skill_counts(session: Session, column: Any, *, programme_id: int, roles: Sequence[str]) -> dict[str, int]:
    """How many current participants with one of `roles` list each skill in the JSON list `column`.

    Counted by the database: SQLite's `json_each`, PostgreSQL's `json_array_elements_text`.
    """
    if session.get_bind().dialect.name == "postgresql":
        elements = func.json_array_elements_text(column).table_valued("value").alias("skill")
    else:
        elements = func.json_each(column).table_valued("value").alias("skill")
    skill = elements.c.value
    rows = session.execute(
        select(skill, func.count(func.distinct(Participant.id)))
        .select_from(Participant)
        .join(elements, true())
        .where(
            Participant.programme_id == programme_id,
            col(Participant.status).in_(CURRENT_STATUSES),
            col(Participant.role).in_(list(roles)),
        )
        .group_by(skill)
    ).all()
    return {str(name): int(count) for name, count in rows if name}


def skill_demand(
    *, session: Session, programme_id: int, wanting: Sequence[str], offering: Sequence[str]
) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """Skills wanted (by people in `wanting` roles) and offered (by `offering` roles) in a programme, counting
    only active and paused participants of its current cycle; and how many such people there are per role."""
    wanted = _skill_counts(session, Participant.skills_wanted, programme_id=programme_id, roles=wanting)
    offered = _skill_counts(session, Participant.skills_offered, programme_id=programme_id, roles=offering)
    people = session.exec(
        select(Participant.role, func.count())
        .where(Participant.programme_id == programme_id, col(Participant.status).in_(CURRENT_STATUSES))
        .group_by(col(Participant.role))
    ).all()
    return wanted, offered, {role: count for role, count in people}


# --- scheduler state (for /readyz) --------------------------------------------------------------------


def record_scheduler_state(
    *, session: Session, worker_id: str, leader: bool, interval_seconds: int, now: datetime, passed: bool
) -> None:
    """A scheduler process reports in at each interval: leading or following, and whether it ran a pass."""
    state = session.get(SchedulerState, worker_id)
    if state is None:
        state = SchedulerState(worker_id=worker_id, leader=leader, interval_seconds=interval_seconds, seen_at=now)
    state.leader, state.interval_seconds, state.seen_at = leader, interval_seconds, now
    if passed:
        state.last_pass_at = now
    session.add(state)
    if leader:  # the leader tidies up after processes long gone
        session.execute(
            delete(SchedulerState).where(
                col(SchedulerState.seen_at) < now - timedelta(days=1), col(SchedulerState.worker_id) != worker_id
            )
        )


def scheduler_states(*, session: Session) -> list[SchedulerState]:
    return list(session.exec(select(SchedulerState).order_by(col(SchedulerState.seen_at).desc())).all())

"""A person's data: the export of everything stored about them (`my-data`) and forgetting them (`forget-me`)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlmodel import Session, col, select

from store.models import (
    Agreement,
    AuditEntry,
    BeliefReflection,
    CheckIn,
    Digest,
    FollowUp,
    GrowthThread,
    Kudos,
    Match,
    MatchMember,
    MatchRound,
    MatchStatus,
    MentorRequest,
    MentorSkillView,
    MentorTraining,
    Milestone,
    OutboxMessage,
    Participant,
    Programme,
    ProgrammeAdmin,
    PromptRating,
    Roadmap,
    RosterEntry,
    SkillRating,
    SkillShare,
    StoryConsent,
    SurveyResponse,
)
from store.queries.meetings import export_meetings, forget_meetings
from store.queries.participants import memberships
from store.queries.roadmaps import roadmap_milestones
from store.types import utcnow


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
        "meetings": export_meetings(session=session, team_id=team_id, user_id=user_id),
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
        "mentor_requests": [
            r.model_dump(mode="json")
            for r in session.exec(
                select(MentorRequest).where(
                    MentorRequest.team_id == team_id,
                    (col(MentorRequest.mentee_id) == user_id) | (col(MentorRequest.mentor_id) == user_id),
                )
            ).all()
        ],
        "programme_admin_of": [g.model_dump(mode="json") for g in grants],
        "roster_entries": [
            e.model_dump(mode="json")
            for e in session.exec(
                select(RosterEntry).where(RosterEntry.team_id == team_id, RosterEntry.slack_user_id == user_id)
            ).all()
        ],
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
    forget_meetings(session=session, team_id=team_id, user_id=user_id, forgotten=FORGOTTEN)
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
    for listed in session.exec(select(RosterEntry).where(RosterEntry.team_id == team_id)).all():
        if listed.slack_user_id == user_id:
            session.delete(listed)
        elif user_id in (listed.manager_id, listed.imported_by):
            listed.manager_id = None if listed.manager_id == user_id else listed.manager_id
            listed.imported_by = FORGOTTEN if listed.imported_by == user_id else listed.imported_by
            session.add(listed)
    for grant in session.exec(select(ProgrammeAdmin).where(ProgrammeAdmin.team_id == team_id)).all():
        if grant.slack_user_id == user_id:
            session.delete(grant)
        elif grant.granted_by == user_id:
            grant.granted_by = FORGOTTEN
            session.add(grant)
    for check_in in session.exec(select(CheckIn).where(CheckIn.team_id == team_id, CheckIn.author_id == user_id)).all():
        session.delete(check_in)
    for request in session.exec(
        select(MentorRequest).where(
            MentorRequest.team_id == team_id,
            (col(MentorRequest.mentee_id) == user_id) | (col(MentorRequest.mentor_id) == user_id),
        )
    ).all():
        session.delete(request)  # made or received: the other side's note went only to them
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
    for follow_up in session.exec(select(FollowUp).where(FollowUp.team_id == team_id)).all():
        if follow_up.slack_user_id == user_id or user_id in str(follow_up.payload):
            session.delete(follow_up)  # what was left to do for them after a request
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
        "skill_ratings": [
            r.model_dump(mode="json")
            for r in session.exec(
                select(SkillRating).where(SkillRating.team_id == team_id, SkillRating.slack_user_id == user_id)
            ).all()
        ],
        "skill_shares": [
            r.model_dump(mode="json")
            for r in session.exec(
                select(SkillShare).where(
                    SkillShare.team_id == team_id,
                    (col(SkillShare.mentee_id) == user_id) | (col(SkillShare.mentor_id) == user_id),
                )
            ).all()
        ],
        "mentor_skill_views": [
            r.model_dump(mode="json")
            for r in session.exec(
                select(MentorSkillView).where(
                    MentorSkillView.team_id == team_id,
                    (col(MentorSkillView.mentee_id) == user_id) | (col(MentorSkillView.mentor_id) == user_id),
                )
            ).all()
        ],
        "reflections": [
            r.model_dump(mode="json")
            for r in session.exec(
                select(BeliefReflection).where(
                    BeliefReflection.team_id == team_id, BeliefReflection.slack_user_id == user_id
                )
            ).all()
        ],
        "mentor_essentials": [
            r.model_dump(mode="json")
            for r in session.exec(
                select(MentorTraining).where(MentorTraining.team_id == team_id, MentorTraining.slack_user_id == user_id)
            ).all()
        ],
        "agreements": [a.model_dump(mode="json") for a in _agreements_of(session, team_id=team_id, user_id=user_id)],
        "success_story_consents": [
            c.model_dump(mode="json")
            for c in session.exec(
                select(StoryConsent).where(StoryConsent.team_id == team_id, StoryConsent.slack_user_id == user_id)
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


def _agreements_of(session: Session, *, team_id: str, user_id: str) -> list[Agreement]:
    """The working agreements of the matches the person is in: written by the pair together."""
    return list(
        session.exec(
            select(Agreement)
            .join(MatchMember, col(MatchMember.match_id) == col(Agreement.match_id))
            .where(Agreement.team_id == team_id, MatchMember.slack_user_id == user_id)
        ).all()
    )


def forget_growth(*, session: Session, team_id: str, user_id: str) -> None:
    """Delete the person's roadmaps, growth threads, kudos naming them and their matches' agreements (which they
    wrote with their partner: the partner keeps the match, not a text that names what the two agreed)."""
    for agreement in _agreements_of(session, team_id=team_id, user_id=user_id):
        session.delete(agreement)
    for model, column in (
        (Roadmap, Roadmap.owner_id),
        (GrowthThread, GrowthThread.author_id),
        (Kudos, Kudos.giver_id),
        (Kudos, Kudos.receiver_id),
        (SkillRating, SkillRating.slack_user_id),
        (MentorSkillView, MentorSkillView.mentee_id),
        (MentorSkillView, MentorSkillView.mentor_id),
        (SkillShare, SkillShare.mentee_id),
        (SkillShare, SkillShare.mentor_id),
        (BeliefReflection, BeliefReflection.slack_user_id),
        (MentorTraining, MentorTraining.slack_user_id),
        (StoryConsent, StoryConsent.slack_user_id),
    ):
        for row in session.exec(select(model).where(model.team_id == team_id, column == user_id)).all():
            session.delete(row)
    session.flush()
    for milestone in session.exec(select(Milestone).where(Milestone.team_id == team_id)).all():
        if user_id in milestone.mentor_comment or user_id in milestone.evidence_note:
            milestone.mentor_comment = milestone.mentor_comment.replace(user_id, FORGOTTEN)
            milestone.evidence_note = milestone.evidence_note.replace(user_id, FORGOTTEN)
            session.add(milestone)

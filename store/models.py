"""All tables. Every tenant row carries the Slack `team_id` of the workspace it belongs to."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Column, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.types import UTCDateTime, utcnow


class Role(StrEnum):
    MENTOR = "mentor"
    MENTEE = "mentee"
    PEER = "peer"


class ProgrammeKind(StrEnum):
    ONE_TO_ONE = "one_to_one"
    PEER_PAIRS = "peer_pairs"
    PEER_CIRCLES = "peer_circles"
    # A junior mentors a senior on a skill: matched like 1:1, with seniority left out of the scores.
    REVERSE_MENTORING = "reverse_mentoring"

    @classmethod
    def shape(cls, kind: str) -> str:
        """The kind whose shape (roles, prompts, roadmaps, reports) this kind follows."""
        return cls.ONE_TO_ONE.value if kind == cls.REVERSE_MENTORING.value else kind


class ProgrammeStatus(StrEnum):
    DRAFT = "draft"
    ENROLLING = "enrolling"
    ACTIVE = "active"
    CLOSED = "closed"


class ParticipantStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    LEFT = "left"
    INVITED = "invited"  # was in the previous cycle; asked to opt back in to the new one


class Cadence(StrEnum):
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    MONTHLY = "monthly"


class MeetingMode(StrEnum):
    VIRTUAL = "virtual"
    IN_PERSON = "in_person"
    EITHER = "either"


def accepts_joins(status: str, enrolment_open: bool, enrolment_deadline: date | None, today: date) -> bool:
    """Whether a programme in this state takes new members today: enrolling or active, enrolment open, and its
    deadline (if any) not passed."""
    return (
        status in (ProgrammeStatus.ENROLLING, ProgrammeStatus.ACTIVE)
        and enrolment_open
        and (enrolment_deadline is None or today <= enrolment_deadline)
    )


class Programme(SQLModel, table=True):
    __tablename__ = "programme"
    __table_args__ = (UniqueConstraint("team_id", "slug", name="uq_programme_team_slug"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    slug: str = Field(sa_column=Column(String(80), nullable=False))
    name: str = Field(sa_column=Column(String(80), nullable=False))
    objectives: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    kind: str = Field(default=ProgrammeKind.ONE_TO_ONE.value, sa_column=Column(String(20), nullable=False))
    status: str = Field(default=ProgrammeStatus.ENROLLING.value, sa_column=Column(String(20), nullable=False))
    cycle_days: int = Field(default=90, sa_column=Column(Integer, nullable=False))
    cadence: str = Field(default="fortnightly", sa_column=Column(String(20), nullable=False))
    skills: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    max_capacity: int = Field(default=5, sa_column=Column(Integer, nullable=False))
    circle_size: int = Field(default=4, sa_column=Column(Integer, nullable=False, server_default="4"))
    channel_id: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    # Where the bot welcomes new mentors and posts the monthly mentors' circle question.
    mentors_channel_id: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    enrolment_open: bool = Field(default=True, sa_column=Column(Boolean, nullable=False, server_default="1"))
    enrolment_deadline: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    eligibility: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    # An optional question about a self-described group (e.g. an employee resource group); "" = not asked.
    # Answers are reported only as counts of groups of 5 or more people.
    group_question: str = Field(default="", sa_column=Column(String(150), nullable=False, server_default=""))
    requires_approval: bool = Field(default=True, sa_column=Column(Boolean, nullable=False, server_default="1"))
    # Mentors must finish the mentor essentials (mentoring/training.py) before they are matched.
    requires_training: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default="0"))
    llm_enabled: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default="0"))
    # When check-ins and nudges may reach people, in each person's own timezone: weekdays (0 = Monday) and
    # hours [start, end).
    checkin_days: list[int] = Field(
        default_factory=lambda: [1, 2, 3], sa_column=Column(JSON, nullable=False, server_default="[1, 2, 3]")
    )
    checkin_start_hour: int = Field(default=10, sa_column=Column(Integer, nullable=False, server_default="10"))
    checkin_end_hour: int = Field(default=16, sa_column=Column(Integer, nullable=False, server_default="16"))
    cycle_number: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default="1"))
    cycle_started_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    cycle_ends_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    # The weekly digest: on this weekday (0 = Monday) at this hour, in the programme's timezone.
    digest_weekday: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    digest_hour: int = Field(default=9, sa_column=Column(Integer, nullable=False, server_default="9"))
    timezone: str = Field(default="UTC", sa_column=Column(String(64), nullable=False, server_default="UTC"))
    # The offices or sites people pick from to meet in person (none: meetings are virtual only), the departments
    # they pick from (none: typed freely), and which pairs scoring prefers: across departments, within one, or in
    # the same office.
    offices: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))
    departments: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))
    pair_preference: str = Field(
        default="cross_department",
        sa_column=Column(String(20), nullable=False, server_default="cross_department"),
    )
    # How mentees get a mentor: "engine" (the pairing engine's rounds) or "choose" (mentees browse mentors with
    # room and request one; a request the mentor has not answered in `request_days` expires, and the mentee is
    # matched by the engine at the next round).
    matching: str = Field(default="engine", sa_column=Column(String(10), nullable=False, server_default="engine"))
    request_days: int = Field(default=3, sa_column=Column(Integer, nullable=False, server_default="3"))
    # Counts kept when people ask to be forgotten: aggregates survive, names do not.
    forgotten: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}"))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))

    def accepts_joins(self, today: date) -> bool:
        return accepts_joins(self.status, self.enrolment_open, self.enrolment_deadline, today)


class Participant(SQLModel, table=True):
    """A person's membership of one programme: their role and what they entered when joining."""

    __tablename__ = "participant"
    __table_args__ = (UniqueConstraint("programme_id", "slack_user_id", name="uq_participant_programme_user"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    programme_id: int = Field(
        sa_column=Column(Integer, ForeignKey("programme.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    slack_user_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    display_name: str = Field(default="", sa_column=Column(String(120), nullable=False, default=""))
    title: str = Field(default="", sa_column=Column(String(200), nullable=False, default=""))
    role: str = Field(sa_column=Column(String(10), nullable=False))
    skills_offered: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    skills_wanted: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    goals: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    department: str = Field(default="", sa_column=Column(String(80), nullable=False, default=""))
    # Private: the answer to the programme's optional group question ("" = none). Never shown to anyone, admins
    # included; counted only in reports, in groups of 5 or more people.
    self_group: str = Field(default="", sa_column=Column(String(60), nullable=False, server_default=""))
    capacity: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    timezone: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    meeting_mode: str = Field(
        default=MeetingMode.EITHER.value, sa_column=Column(String(10), nullable=False, server_default="either")
    )
    # A mentor's short introduction, shown to mentees who choose their mentor ("" = none).
    bio: str = Field(default="", sa_column=Column(String(300), nullable=False, server_default=""))
    # The office picked from the programme's list ("" = none): in-person meetings are matched on it.
    office: str = Field(default="", sa_column=Column(String(80), nullable=False, server_default=""))
    # Away by their Slack status (holiday, sick, travelling): since when, and until when (the status' expiry, or,
    # once it cleared, when it did). Only these moments are kept, never the status itself.
    away_since: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    away_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    status_checked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    # Private: people this person would rather not be matched with. Never shown to anyone, admins included.
    rather_not: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))
    manager_id: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    status: str = Field(default=ParticipantStatus.ACTIVE.value, sa_column=Column(String(10), nullable=False))
    paused_until: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    status_reason: str = Field(default="", sa_column=Column(String(40), nullable=False, server_default=""))
    left_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    # Rounds this person was eligible for but left unmatched, in this programme: they get priority next round.
    missed_rounds: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    # Check-in DMs in a row this person neither answered nor saw answered by a partner; at 3 we ask about a
    # pause instead of asking again.
    unanswered_checkins: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    consent_version: str = Field(sa_column=Column(String(20), nullable=False))
    consented_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    joined_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class ProcessedEvent(SQLModel, table=True):
    """Events API deliveries already handled, so that Slack's retries are handled once."""

    __tablename__ = "processed_event"

    team_id: str = Field(sa_column=Column(String(32), primary_key=True))
    event_id: str = Field(sa_column=Column(String(64), primary_key=True))
    received_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class Workspace(SQLModel, table=True):
    """A Slack workspace the app serves; uninstalling stops all sending and schedules its data for deletion."""

    __tablename__ = "workspace"

    team_id: str = Field(sa_column=Column(String(32), primary_key=True))
    active: bool = Field(default=True, sa_column=Column(Boolean, nullable=False))
    uninstalled_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    delete_after: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class ProgrammeAdmin(SQLModel, table=True):
    """A person granted admin rights on one programme (workspace admins and owners have them everywhere)."""

    __tablename__ = "programme_admin"
    __table_args__ = (UniqueConstraint("programme_id", "slack_user_id", name="uq_programme_admin"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    programme_id: int = Field(
        sa_column=Column(Integer, ForeignKey("programme.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    slack_user_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    granted_by: str = Field(sa_column=Column(String(32), nullable=False))
    granted_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class AuditEntry(SQLModel, table=True):
    """Who did what, when: every admin action."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    actor_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    action: str = Field(sa_column=Column(String(40), nullable=False))
    programme_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True, index=True))
    subject_id: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False, index=True))


class RoundStatus(StrEnum):
    PREVIEW = "preview"
    RELEASED = "released"
    DISCARDED = "discarded"


class MatchStatus(StrEnum):
    PROPOSED = "proposed"  # in a preview, not released
    DROPPED = "dropped"  # removed by an admin in the preview
    ACTIVE = "active"
    ENDED = "ended"


class MatchRound(SQLModel, table=True):
    """One run of the pairing engine for a programme: previewed, then released (or discarded)."""

    __tablename__ = "match_round"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    programme_id: int = Field(
        sa_column=Column(Integer, ForeignKey("programme.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    cycle_number: int = Field(sa_column=Column(Integer, nullable=False))
    status: str = Field(default=RoundStatus.PREVIEW.value, sa_column=Column(String(10), nullable=False))
    seed: int = Field(sa_column=Column(Integer, nullable=False))
    created_by: str = Field(sa_column=Column(String(32), nullable=False))
    stats: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # [{"user_id": ..., "reason": ...}]: who could not be matched, and a kind reason that names no one.
    unmatched: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    released_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class Match(SQLModel, table=True):
    """A mentor and mentee, a peer pair or a circle, with its room."""

    __tablename__ = "mentor_match"
    __table_args__ = (
        Index("ix_match_status_plan_at", "status", "plan_at"),
        Index("ix_match_status_roadmap_at", "status", "roadmap_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    programme_id: int = Field(
        sa_column=Column(Integer, ForeignKey("programme.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    round_id: int = Field(
        sa_column=Column(Integer, ForeignKey("match_round.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    cycle_number: int = Field(sa_column=Column(Integer, nullable=False))
    status: str = Field(default=MatchStatus.PROPOSED.value, sa_column=Column(String(10), nullable=False))
    score: float = Field(default=0.0, sa_column=Column(Float, nullable=False))
    reasons: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    room_id: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    room_kind: str | None = Field(default=None, sa_column=Column(String(10), nullable=True))
    intro_ts: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    released_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    ended_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    ended_by: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    # Private: shown to programme admins only, never to the partner.
    end_reason: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    # Library prompts this match has been shown, oldest first: never the same prompt to the same pair twice.
    prompts_seen: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))
    # When the check-in loop next needs to look at this match (None: now). Planning reads only matches due.
    plan_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    last_checkin_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    # Members who chose, at the end of the cycle, to go on together into the next one.
    continue_votes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))
    # When the roadmap planner next needs to look at this match (None: now): its milestones' reminders and
    # overdue questions, and the prompt to set up a roadmap. Planning reads only matches due.
    roadmap_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class MatchMember(SQLModel, table=True):
    __tablename__ = "match_member"
    __table_args__ = (UniqueConstraint("match_id", "slack_user_id", name="uq_match_member"),)

    id: int | None = Field(default=None, primary_key=True)
    match_id: int = Field(
        sa_column=Column(Integer, ForeignKey("mentor_match.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    team_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    slack_user_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    role: str = Field(sa_column=Column(String(10), nullable=False))


class CheckIn(SQLModel, table=True):
    """A meeting a match logged. One logged check-in counts for the whole match."""

    __tablename__ = "check_in"
    __table_args__ = (
        Index("ix_check_in_match_created", "match_id", "created_at"),
        # Reports read a match's meeting days and usefulness from this index alone (first meeting, days between
        # meetings, usefulness counts), without visiting 200,000 check-in rows.
        Index("ix_check_in_match_met_on", "match_id", "met_on", "usefulness"),
        UniqueConstraint("team_id", "slack_key", name="uq_check_in_slack_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    match_id: int = Field(
        sa_column=Column(Integer, ForeignKey("mentor_match.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    author_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    met_on: date = Field(sa_column=Column(Date, nullable=False))
    duration_minutes: int = Field(sa_column=Column(Integer, nullable=False))
    topics: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    usefulness: int = Field(sa_column=Column(Integer, nullable=False))
    learned: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    next_step: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    # Private: visible only to its author. Never shown to the partner or admins, never sent to the LLM.
    private_reflection: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    # Slack's id of the submission that logged it (the modal's view id): a replayed submission stores nothing.
    slack_key: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a delivery worker; a stale claim means the worker died
    SENT = "sent"
    FAILED = "failed"  # permanent Slack error or too many attempts: `last_error` says which
    SKIPPED = "skipped"  # never sent, e.g. the workspace uninstalled the app
    UNSURE = "unsure"  # Slack may hold it already (a crash, a lost answer): its history is read before a resend


class OutboxMessage(SQLModel, table=True):
    """A message the app means to send. Planning writes rows; the delivery worker sends them, once each."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        UniqueConstraint("team_id", "key", name="uq_outbox_team_key"),
        Index("ix_outbox_status_not_before", "status", "not_before"),
        Index("ix_outbox_team_recipient", "team_id", "recipient"),
        Index("ix_outbox_team_channel", "team_id", "channel_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=Column(String(32), nullable=False))
    # What makes it unique, e.g. "checkin:{match_id}:{user_id}:{period}": planning twice adds nothing.
    key: str = Field(sa_column=Column(String(200), nullable=False))
    kind: str = Field(sa_column=Column(String(40), nullable=False))
    recipient: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    channel_id: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    # {"text": ..., "blocks": [...], "thread_ts": ..., "metadata": {...}}
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    not_before: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    status: str = Field(default=OutboxStatus.PENDING.value, sa_column=Column(String(10), nullable=False))
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    claimed_by: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    claimed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    slack_channel: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    slack_ts: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    last_error: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    # Since when delivery is uncertain (a claim of a dead worker, an answer lost): set, the row is sent again only
    # once Slack's history shows it is not there; past the check deadline it fails instead of risking a duplicate.
    unsure_since: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class FollowUpStatus(StrEnum):
    PENDING = "pending"  # to do (a claim older than the worker's lease means its worker died: done again)
    DONE = "done"
    FAILED = "failed"  # ran out of attempts: `last_error` says why


class FollowUp(SQLModel, table=True):
    """Work a listener leaves for after its ack (a join's confirmation DM and App Home refresh): queued in the
    listener's own unit of work, done by the follow-up worker (`scheduling.followups`) at Slack's pace, away
    from the web workers that ack requests."""

    __tablename__ = "follow_up"
    __table_args__ = (Index("ix_follow_up_status_not_before", "status", "not_before"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=Column(String(32), nullable=False))
    kind: str = Field(sa_column=Column(String(40), nullable=False))  # which runner does it, e.g. "joined"
    slack_user_id: str = Field(sa_column=Column(String(32), nullable=False))  # whom it is for
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    not_before: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    status: str = Field(default=FollowUpStatus.PENDING.value, sa_column=Column(String(10), nullable=False))
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    claimed_by: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    claimed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    last_error: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class PromptRating(SQLModel, table=True):
    """A person's thumbs up (+1) or down (-1) for a library prompt; the workspace's ratings feed selection."""

    __tablename__ = "prompt_rating"
    __table_args__ = (UniqueConstraint("team_id", "prompt_id", "slack_user_id", name="uq_prompt_rating"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    prompt_id: str = Field(sa_column=Column(String(80), nullable=False))
    slack_user_id: str = Field(sa_column=Column(String(32), nullable=False))
    value: int = Field(sa_column=Column(Integer, nullable=False))
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class SurveyKind(StrEnum):
    PULSE = "pulse"  # halfway through the cycle
    EXIT = "exit"  # at the end of the cycle


class SurveyResponse(SQLModel, table=True):
    """A person's answers to the mid-cycle pulse or the exit reflection, once per match and kind.

    Ratings feed programme reports as aggregates; the free text is for the programme admins' eyes only and
    never appears in a digest.
    """

    __tablename__ = "survey_response"
    __table_args__ = (UniqueConstraint("match_id", "slack_user_id", "kind", name="uq_survey_response"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    programme_id: int = Field(
        sa_column=Column(Integer, ForeignKey("programme.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    match_id: int = Field(
        sa_column=Column(Integer, ForeignKey("mentor_match.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    cycle_number: int = Field(sa_column=Column(Integer, nullable=False))
    slack_user_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    kind: str = Field(sa_column=Column(String(10), nullable=False))
    # Pulse: satisfaction so far; exit: the programme overall. 1-5.
    rating: int = Field(sa_column=Column(Integer, nullable=False))
    # Pulse only: progress toward goals, 1-5.
    progress: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    # Exit only: would they go on with this mentoring relationship.
    would_continue: bool | None = Field(default=None, sa_column=Column(Boolean, nullable=True))
    # Private to programme admins (aggregate reports may count them, never quote them in public).
    blocking: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    what_changed: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


# Roadmaps, growth threads and recognition


class MilestoneStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DROPPED = "dropped"


class GrowthVisibility(StrEnum):
    CHANNEL = "channel"  # the programme channel
    ROOM = "room"  # only the author's match room


class Roadmap(SQLModel, table=True):
    """One person's plan for the cycle in a match: a goal and up to 12 milestones (the mentee's, or each peer's)."""

    __tablename__ = "roadmap"
    __table_args__ = (UniqueConstraint("match_id", "owner_id", name="uq_roadmap_match_owner"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    programme_id: int = Field(
        sa_column=Column(Integer, ForeignKey("programme.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    match_id: int = Field(
        sa_column=Column(Integer, ForeignKey("mentor_match.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    owner_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    goal: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    # The goal made measurable (SMART: what, how we'll know, by when); both optional, "" and None when not set.
    goal_measure: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    goal_by: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class Milestone(SQLModel, table=True):
    """A step on a roadmap: what, which skill it builds, by when, and how it went."""

    __tablename__ = "milestone"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    roadmap_id: int = Field(
        sa_column=Column(Integer, ForeignKey("roadmap.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    match_id: int = Field(
        sa_column=Column(Integer, ForeignKey("mentor_match.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    programme_id: int = Field(
        sa_column=Column(Integer, ForeignKey("programme.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    title: str = Field(sa_column=Column(String(150), nullable=False))
    skill: str = Field(default="", sa_column=Column(String(80), nullable=False, server_default=""))
    due_on: date = Field(sa_column=Column(Date, nullable=False))
    status: str = Field(default=MilestoneStatus.PLANNED.value, sa_column=Column(String(12), nullable=False))
    # Optional: what shows it is done ("3 people used the checklist"), shown in the roadmap, reminders and when
    # marking it done.
    done_when: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    evidence_note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    mentor_comment: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    completed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    # The due date the reminder and the overdue question were planned for: re-dating plans them afresh, once.
    reminded_for: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    overdue_asked_for: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    # Where the celebration was posted, so the mentor's comment can be added to it.
    celebration_channel: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    celebration_ts: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class GrowthThread(SQLModel, table=True):
    """Learning in public: what someone tried, learned and will do next, posted by the bot for them."""

    __tablename__ = "growth_thread"
    __table_args__ = (Index("ix_growth_thread_channel_ts", "team_id", "channel_id", "ts"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    programme_id: int = Field(
        sa_column=Column(Integer, ForeignKey("programme.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    match_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("mentor_match.id", ondelete="SET NULL"), nullable=True, index=True),
    )
    author_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    channel_id: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    ts: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    visibility: str = Field(default=GrowthVisibility.CHANNEL.value, sa_column=Column(String(10), nullable=False))
    tried: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    learned: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    next_step: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    skills: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))
    reply_count: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    reaction_count: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    deleted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class Kudos(SQLModel, table=True):
    """A thank-you from one person to a mentor or peer, posted in the programme channel or sent privately."""

    __tablename__ = "kudos"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    programme_id: int = Field(
        sa_column=Column(Integer, ForeignKey("programme.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    giver_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    receiver_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    public: bool = Field(default=True, sa_column=Column(Boolean, nullable=False, server_default="1"))
    channel_id: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    ts: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    # Slack's id of the submission that sent it (the modal's view id): a replayed submission stores nothing.
    slack_key: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))

    __table_args__ = (UniqueConstraint("team_id", "slack_key", name="uq_kudos_slack_key"),)


# --- Weekly digests -------------------------------------------------------------------------------------------


class ChartStatus(StrEnum):
    PENDING = "pending"  # waiting for the digest message to be sent
    UPLOADING = "uploading"  # claimed by a worker; a stale claim is checked against the channel before retrying
    UPLOADED = "uploaded"
    FAILED = "failed"
    NONE = "none"  # nothing to chart (an empty week)


class Digest(SQLModel, table=True):
    """One weekly digest of a programme: the numbers it showed, its outbox message and its chart upload."""

    __tablename__ = "digest"
    __table_args__ = (UniqueConstraint("programme_id", "week", name="uq_digest_programme_week"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    programme_id: int = Field(
        sa_column=Column(Integer, ForeignKey("programme.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    week: str = Field(sa_column=Column(String(10), nullable=False))  # ISO week, "2026-W49"
    channel_id: str = Field(sa_column=Column(String(32), nullable=False))
    outbox_key: str = Field(sa_column=Column(String(200), nullable=False))
    # Aggregates only (counts, series, public highlights): what the digest and its chart were built from.
    stats: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    chart_status: str = Field(default=ChartStatus.PENDING.value, sa_column=Column(String(10), nullable=False))
    chart_claimed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    chart_attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    chart_file_id: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    chart_error: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


# --- Production: multi-workspace install (slack-sdk's installation, bot and OAuth state tables) ---

from store.installations import build_tables  # noqa: E402 - the tables join this metadata, for the migrations

build_tables(SQLModel.metadata)


class SchedulerState(SQLModel, table=True):
    """What each scheduler process last said: whether it leads and when it last ran a pass (for /readyz)."""

    __tablename__ = "scheduler_state"

    worker_id: str = Field(sa_column=Column(String(128), primary_key=True))
    leader: bool = Field(sa_column=Column(Boolean, nullable=False))
    interval_seconds: int = Field(sa_column=Column(Integer, nullable=False))
    seen_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    last_pass_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class Agreement(SQLModel, table=True):
    """How a match agreed to work together: written in the room, confirmed by each member.

    The text is the pair's, like a check-in's: never shown to admins, exported or sent anywhere else. Reports count
    only that an agreement is in place (`agreed_at` set: every member confirmed the current version).
    """

    __tablename__ = "agreement"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    match_id: int = Field(
        sa_column=Column(Integer, ForeignKey("mentor_match.id", ondelete="CASCADE"), nullable=False, unique=True)
    )
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default="1"))
    focus: str = Field(sa_column=Column(Text, nullable=False))
    rhythm: str = Field(sa_column=Column(Text, nullable=False))
    confidential: str = Field(sa_column=Column(Text, nullable=False))
    ending: str = Field(sa_column=Column(Text, nullable=False))
    written_by: str = Field(sa_column=Column(String(32), nullable=False))
    confirmed_by: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    agreed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    room_ts: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))


class SkillStage(StrEnum):
    START = "start"  # rated when the person joins or at the start of the cycle
    PULSE = "pulse"  # rated again with the mid-cycle pulse
    EXIT = "exit"  # and with the exit reflection


class SkillRating(SQLModel, table=True):
    """Private: how a mentee or peer rates one skill they want to grow (1-5), at one stage of one cycle.

    Shown only to the person; reports use it only as aggregates over at least five people per skill.
    """

    __tablename__ = "skill_rating"
    __table_args__ = (
        UniqueConstraint("programme_id", "cycle_number", "slack_user_id", "skill", "stage", name="uq_skill_rating"),
        Index("ix_skill_rating_programme_cycle", "programme_id", "cycle_number"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    programme_id: int = Field(sa_column=Column(Integer, ForeignKey("programme.id", ondelete="CASCADE"), nullable=False))
    cycle_number: int = Field(sa_column=Column(Integer, nullable=False))
    slack_user_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    skill: str = Field(sa_column=Column(String(80), nullable=False))
    stage: str = Field(sa_column=Column(String(8), nullable=False))
    level: int = Field(sa_column=Column(Integer, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class SkillShare(SQLModel, table=True):
    """A mentee chose to share their skill ratings with their mentor in one match (an explicit button): from then
    on the mentor may add their own view. Withdrawn by `forget-me`."""

    __tablename__ = "skill_share"
    __table_args__ = (UniqueConstraint("match_id", "mentee_id", name="uq_skill_share"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    programme_id: int = Field(sa_column=Column(Integer, ForeignKey("programme.id", ondelete="CASCADE"), nullable=False))
    match_id: int = Field(
        sa_column=Column(Integer, ForeignKey("mentor_match.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    cycle_number: int = Field(sa_column=Column(Integer, nullable=False))
    mentee_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    mentor_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    shared_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class MentorSkillView(SQLModel, table=True):
    """Private to the pair: how a mentor rates one of their mentee's skills (1-5, the same anchors), given only
    after the mentee shared their own ratings. Shown to the mentee and that mentor only; never in reports."""

    __tablename__ = "mentor_skill_view"
    __table_args__ = (UniqueConstraint("share_id", "skill", name="uq_mentor_skill_view"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    share_id: int = Field(
        sa_column=Column(Integer, ForeignKey("skill_share.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    mentee_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    mentor_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    skill: str = Field(sa_column=Column(String(80), nullable=False))
    level: int = Field(sa_column=Column(Integer, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class BeliefReflection(SQLModel, table=True):
    """Private: a person's answer to a second-loop question (which belief or assumption changed), once per cycle
    stage or on request. Only its author sees it, unless they share it themselves as a growth thread."""

    __tablename__ = "belief_reflection"
    __table_args__ = (Index("ix_belief_reflection_person", "programme_id", "cycle_number", "slack_user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    programme_id: int = Field(sa_column=Column(Integer, ForeignKey("programme.id", ondelete="CASCADE"), nullable=False))
    cycle_number: int = Field(sa_column=Column(Integer, nullable=False))
    stage: str = Field(sa_column=Column(String(20), nullable=False))
    question_id: str = Field(sa_column=Column(String(40), nullable=False))
    slack_user_id: str = Field(sa_column=Column(String(32), nullable=False))
    answer: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class MentorTraining(SQLModel, table=True):
    """One step of the mentor essentials a person completed: a guide marked read, or the closing reflection
    (`note`, private to them). Kept per workspace: a mentor trained once is trained in every programme."""

    __tablename__ = "mentor_training"
    __table_args__ = (UniqueConstraint("team_id", "slack_user_id", "step", name="uq_mentor_training_step"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=Column(String(32), nullable=False))
    slack_user_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    step: str = Field(sa_column=Column(String(80), nullable=False))
    note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    done_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class StorySource(StrEnum):
    EXIT = "exit"  # an exit reflection's "what changed for you" (SurveyResponse)
    GROWTH = "growth"  # a growth thread (GrowthThread)


class StoryConsent(SQLModel, table=True):
    """A person's consent, per story, that the programme admins may use it as a success story (in their report
    and in a recruiting post), without the person's name. Withdrawn consent is kept with `withdrawn_at`: a
    withdrawn story is never shown again until they share it anew."""

    __tablename__ = "story_consent"
    __table_args__ = (
        UniqueConstraint("source_kind", "source_id", "slack_user_id", name="uq_story_consent_source"),
        Index("ix_story_consent_programme", "programme_id", "withdrawn_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    programme_id: int = Field(sa_column=Column(Integer, ForeignKey("programme.id", ondelete="CASCADE"), nullable=False))
    slack_user_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    source_kind: str = Field(sa_column=Column(String(10), nullable=False))
    source_id: int = Field(sa_column=Column(Integer, nullable=False))
    consented_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    withdrawn_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


# --- Booked chats -------------------------------------------------------------------------------------------


class MeetingStatus(StrEnum):
    PROPOSED = "proposed"  # someone picked a time; the others have not accepted it yet
    AGREED = "agreed"  # accepted: invites sent, a reminder planned
    CANCELLED = "cancelled"


class Meeting(SQLModel, table=True):
    """A chat a match booked in its room: the time proposed or agreed, and the calendar invite's identity.

    `uid` and `sequence` are the iCalendar UID and SEQUENCE of the invite: one UID per meeting, SEQUENCE raised
    each time the agreed time changes or the meeting is cancelled. `remind_at` is when the reminder is planned
    (None once planned, or when there is none to send)."""

    __tablename__ = "meeting"
    __table_args__ = (Index("ix_meeting_status_remind_at", "status", "remind_at"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    programme_id: int = Field(
        sa_column=Column(Integer, ForeignKey("programme.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    match_id: int = Field(
        sa_column=Column(Integer, ForeignKey("mentor_match.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    uid: str = Field(sa_column=Column(String(120), nullable=False, unique=True))
    sequence: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    status: str = Field(default=MeetingStatus.PROPOSED.value, sa_column=Column(String(10), nullable=False))
    starts_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    minutes: int = Field(default=30, sa_column=Column(Integer, nullable=False, server_default="30"))
    # While a new time is proposed for an agreed meeting: the agreed time, which stands until the change is accepted.
    previous_starts_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    proposed_by: str = Field(sa_column=Column(String(32), nullable=False))
    proposed_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    agreed_by: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    agreed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    cancelled_by: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    channel_id: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    message_ts: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    remind_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


# --- Rosters an admin imported: people invited to join, with what the organisation says of them ---------------


class RosterEntry(SQLModel, table=True):
    """One person of a roster an admin imported into a programme: invited to join, not yet a participant.

    Emails are resolved to Slack user ids at import and never stored. The person sees these answers pre-filled in
    the join form and joins (gives consent) only by submitting it; `manager_id` then becomes the participant's,
    so the reporting-line rule keeps them apart from their manager. Deleted by forget-me, exported by my-data."""

    __tablename__ = "roster_entry"
    __table_args__ = (UniqueConstraint("programme_id", "slack_user_id", name="uq_roster_entry_programme_user"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    programme_id: int = Field(
        sa_column=Column(Integer, ForeignKey("programme.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    slack_user_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    department: str = Field(default="", sa_column=Column(String(80), nullable=False, server_default=""))
    office: str = Field(default="", sa_column=Column(String(80), nullable=False, server_default=""))
    manager_id: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    role: str = Field(sa_column=Column(String(10), nullable=False))
    skills: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))
    # The roster's self-described group, shown to the person (only) in the join form to keep or clear.
    self_group: str = Field(default="", sa_column=Column(String(60), nullable=False, server_default=""))
    imported_by: str = Field(sa_column=Column(String(32), nullable=False))
    imported_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    invited_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


# --- Requests already seen: a replayed signed request is refused ----------------------------------------------


class SeenRequest(SQLModel, table=True):
    """The signature of each request to /slack/events accepted in the last minutes (as a SHA-256 hash), shared by
    every worker and replica: the same signed request sent again is refused. Rows older than Slack's five-minute
    window are pruned (a request that old is refused by its timestamp anyway)."""

    __tablename__ = "seen_request"

    signature_hash: str = Field(sa_column=Column(String(64), primary_key=True))
    signed_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))


# --- Mentees choose their mentor ------------------------------------------------------------------------------


class RequestStatus(StrEnum):
    OPEN = "open"  # waiting for the mentor's answer; counts against the mentor's free capacity
    ACCEPTED = "accepted"  # the match started
    DECLINED = "declined"  # the mentor said no; the mentee may choose again
    REFUSED = "refused"  # the mentor said yes but a matching rule or capacity no longer allows it
    EXPIRED = "expired"  # unanswered in time; the mentee is matched at the next round


class MentorRequest(SQLModel, table=True):
    """A mentee's request to a mentor of their choice, in a programme where mentees choose. A mentee has at most
    one open request per programme; open requests count against the mentor's capacity."""

    __tablename__ = "mentor_request"
    __table_args__ = (Index("ix_mentor_request_status_expires", "status", "expires_at"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    programme_id: int = Field(
        sa_column=Column(Integer, ForeignKey("programme.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    cycle_number: int = Field(sa_column=Column(Integer, nullable=False))
    mentee_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    mentor_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    # The mentee's short note to the mentor (shown only to the mentor).
    message: str = Field(default="", sa_column=Column(String(300), nullable=False, server_default=""))
    status: str = Field(default=RequestStatus.OPEN.value, sa_column=Column(String(10), nullable=False))
    # Why a request was refused at acceptance: the rule, named as the admin's manual pairing names it.
    reason: str = Field(default="", sa_column=Column(String(300), nullable=False, server_default=""))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    answered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    match_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("mentor_match.id", ondelete="SET NULL"), nullable=True)
    )

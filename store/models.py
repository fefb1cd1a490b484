"""All tables. Every tenant row carries the Slack `team_id` of the workspace it belongs to."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, ForeignKey, Integer, String, Text, UniqueConstraint
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


class ProgrammeStatus(StrEnum):
    DRAFT = "draft"
    ENROLLING = "enrolling"
    ACTIVE = "active"
    CLOSED = "closed"


class ParticipantStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    LEFT = "left"


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
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


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
    capacity: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    timezone: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    status: str = Field(default=ParticipantStatus.ACTIVE.value, sa_column=Column(String(10), nullable=False))
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

"""A programme with pairs and check-ins written straight into the store, for digest and report tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from standin import TEAM_ID
from store.db import Database
from store.models import (
    CheckIn,
    GrowthThread,
    Kudos,
    Match,
    MatchMember,
    MatchRound,
    MatchStatus,
    Milestone,
    MilestoneStatus,
    Participant,
    Programme,
    ProgrammeStatus,
    Roadmap,
    Workspace,
)

CYCLE_START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday

SECRET_REFLECTION = "SECRET-REFLECTION I feel I am failing at this"
SECRET_RATHER_NOT = "U0RATHER01"
SECRET_END_REASON = "SECRET-END-REASON we did not get along"
SECRET_EVIDENCE = "SECRET-EVIDENCE my private notes"


@dataclass
class Seeded:
    programme_id: int
    matches: list[int] = field(default_factory=list)
    people: list[str] = field(default_factory=list)


def seed_programme(
    db: Database,
    *,
    channel_id: str,
    pairs: list[tuple[str, str]],
    departments: dict[str, str] | None = None,
    waiting: list[str] = (),  # type: ignore[assignment]
    weekday: int = 0,
    hour: int = 9,
    timezone: str = "UTC",
    name: str = "Engineering mentoring",
) -> Seeded:
    """An active programme whose cycle began on CYCLE_START, with these (mentor, mentee) pairs released."""
    departments = departments or {}
    with db.begin() as session:
        if session.get(Workspace, TEAM_ID) is None:
            session.add(Workspace(team_id=TEAM_ID))
        programme = Programme(
            team_id=TEAM_ID,
            slug=name.lower().replace(" ", "-"),
            name=name,
            status=ProgrammeStatus.ACTIVE.value,
            cadence="weekly",
            cycle_days=84,
            channel_id=channel_id,
            cycle_started_at=CYCLE_START,
            cycle_ends_at=CYCLE_START + timedelta(days=84),
            digest_weekday=weekday,
            digest_hour=hour,
            timezone=timezone,
            created_at=CYCLE_START - timedelta(days=7),
        )
        session.add(programme)
        session.flush()
        assert programme.id is not None
        programme_id = programme.id
        seeded = Seeded(programme_id)

        def person(user_id: str, role: str, joined: datetime = CYCLE_START - timedelta(days=3)) -> None:
            session.add(
                Participant(
                    team_id=TEAM_ID,
                    programme_id=programme_id,
                    slack_user_id=user_id,
                    display_name=f"Person {user_id}",
                    role=role,
                    department=departments.get(user_id, "Engineering"),
                    rather_not=[SECRET_RATHER_NOT],
                    consent_version="1",
                    consented_at=joined,
                    joined_at=joined,
                )
            )
            seeded.people.append(user_id)

        round_ = MatchRound(
            team_id=TEAM_ID, programme_id=programme.id, cycle_number=1, status="released", seed=1, created_by="U0X"
        )
        session.add(round_)
        session.flush()
        assert round_.id is not None
        for mentor, mentee in pairs:
            person(mentor, "mentor")
            person(mentee, "mentee")
            match = Match(
                team_id=TEAM_ID,
                programme_id=programme.id,
                round_id=round_.id,
                cycle_number=1,
                status=MatchStatus.ACTIVE.value,
                released_at=CYCLE_START,
            )
            session.add(match)
            session.flush()
            assert match.id is not None
            seeded.matches.append(match.id)
            session.add(MatchMember(match_id=match.id, team_id=TEAM_ID, slack_user_id=mentor, role="mentor"))
            session.add(MatchMember(match_id=match.id, team_id=TEAM_ID, slack_user_id=mentee, role="mentee"))
        for user_id in waiting:
            person(user_id, "mentee", joined=CYCLE_START + timedelta(days=10))
    return seeded


def log_checkin(db: Database, match_id: int, author: str, at: datetime, *, usefulness: int = 4) -> None:
    with db.begin() as session:
        session.add(
            CheckIn(
                team_id=TEAM_ID,
                match_id=match_id,
                author_id=author,
                met_on=at.date(),
                duration_minutes=30,
                topics=["career"],
                usefulness=usefulness,
                learned="how to plan a talk",
                private_reflection=SECRET_REFLECTION,
                created_at=at,
            )
        )


def end_match(db: Database, match_id: int, by: str, at: datetime) -> None:
    with db.begin() as session:
        match = session.get(Match, match_id)
        assert match is not None
        match.status = MatchStatus.ENDED.value
        match.ended_at = at
        match.ended_by = by
        match.end_reason = SECRET_END_REASON
        session.add(match)


def monday(week_offset: int, hour: int = 9) -> datetime:
    """The Monday `week_offset` weeks after the cycle began, at `hour` UTC."""
    start = CYCLE_START.replace(hour=hour)
    return start + timedelta(weeks=week_offset)


def day(d: date, hour: int = 12) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=UTC)


def add_milestone(db: Database, programme_id: int, match_id: int, owner: str, *, done_at: datetime | None) -> None:
    with db.begin() as session:
        roadmap = session.exec(select(Roadmap).where(Roadmap.match_id == match_id, Roadmap.owner_id == owner)).first()
        if roadmap is None:
            roadmap = Roadmap(
                team_id=TEAM_ID, programme_id=programme_id, match_id=match_id, owner_id=owner, goal="Lead"
            )
            session.add(roadmap)
            session.flush()
        assert roadmap.id is not None
        session.add(
            Milestone(
                team_id=TEAM_ID,
                roadmap_id=roadmap.id,
                match_id=match_id,
                programme_id=programme_id,
                title="Give a talk",
                due_on=CYCLE_START.date() + timedelta(days=30),
                status=MilestoneStatus.DONE.value if done_at else MilestoneStatus.IN_PROGRESS.value,
                completed_at=done_at,
                evidence_note=SECRET_EVIDENCE,
            )
        )


def add_growth_thread(
    db: Database,
    programme_id: int,
    author: str,
    at: datetime,
    *,
    channel_id: str,
    ts: str,
    replies: int,
    reactions: int,
    visibility: str = "channel",
    deleted: bool = False,
) -> None:
    with db.begin() as session:
        session.add(
            GrowthThread(
                team_id=TEAM_ID,
                programme_id=programme_id,
                author_id=author,
                channel_id=channel_id,
                ts=ts,
                visibility=visibility,
                tried="a new way to run retros",
                learned="silence is fine",
                reply_count=replies,
                reaction_count=reactions,
                deleted_at=at if deleted else None,
                created_at=at,
            )
        )


def add_kudos(db: Database, programme_id: int, giver: str, receiver: str, at: datetime, *, public: bool) -> None:
    with db.begin() as session:
        session.add(
            Kudos(
                team_id=TEAM_ID,
                programme_id=programme_id,
                giver_id=giver,
                receiver_id=receiver,
                reason="thanks",
                public=public,
                created_at=at,
            )
        )

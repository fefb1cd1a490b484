"""Aggregates for weekly digests and programme reports: SQL GROUP BY, COUNT and window functions, no row loops.

Repository functions like `store.queries` (session keyword-only). They return counts, averages and short lists
of ids; never private fields (private reflections, "rather not" lists, why or by whom a match ended).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Float, Integer, and_, case, cast, distinct, func, literal, or_, select
from sqlmodel import Session, col

from store.models import (
    Agreement,
    CheckIn,
    GrowthThread,
    GrowthVisibility,
    Kudos,
    Match,
    MatchMember,
    MatchStatus,
    Meeting,
    MeetingStatus,
    MentorTraining,
    Milestone,
    MilestoneStatus,
    Participant,
    ParticipantStatus,
    Programme,
    ProgrammeKind,
    Role,
    SkillRating,
    StoryConsent,
    StorySource,
    SurveyKind,
    SurveyResponse,
)

LIVE_MATCH = (MatchStatus.ACTIVE.value, MatchStatus.ENDED.value)  # released matches: not proposals or drops


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def week_buckets(start: datetime, end: datetime) -> list[datetime]:
    """Week boundaries from `start` up to and including the first one at or after `end`."""
    bounds = [start]
    while bounds[-1] < end:
        bounds.append(bounds[-1] + timedelta(days=7))
    return bounds


# --- the digest's numbers --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeekActivity:
    checkins: int
    pairs_met: int
    checkins_before: int
    pairs_met_before: int


def week_activity(*, session: Session, programme_id: int, since: datetime, until: datetime) -> WeekActivity:
    """Check-ins logged and pairs that logged one in [since, until), and the same for the week before."""
    before = since - (until - since)
    this_week = and_(col(CheckIn.created_at) >= since, col(CheckIn.created_at) < until)
    last_week = col(CheckIn.created_at) < since
    row = session.execute(
        select(
            func.coalesce(func.sum(case((this_week, 1), else_=0)), 0),
            func.count(distinct(case((this_week, col(CheckIn.match_id)), else_=None))),
            func.coalesce(func.sum(case((last_week, 1), else_=0)), 0),
            func.count(distinct(case((last_week, col(CheckIn.match_id)), else_=None))),
        )
        .select_from(CheckIn)
        .join(Match, col(Match.id) == col(CheckIn.match_id))
        .where(
            col(Match.programme_id) == programme_id,
            col(CheckIn.created_at) >= before,
            col(CheckIn.created_at) < until,
        )
    ).one()
    return WeekActivity(int(row[0]), int(row[1]), int(row[2]), int(row[3]))


def active_pairs(*, session: Session, programme_id: int) -> int:
    return int(
        session.execute(
            select(func.count())
            .select_from(Match)
            .where(col(Match.programme_id) == programme_id, col(Match.status) == MatchStatus.ACTIVE.value)
        ).scalar_one()
    )


def checkins_per_week(
    *, session: Session, programme_id: int, start: datetime, end: datetime, cycle_number: int | None = None
) -> list[int]:
    """Check-ins logged in each week from `start` to `end` (one GROUP BY over a CASE that names the week)."""
    bounds = week_buckets(start, end)
    if len(bounds) < 2:
        return []
    bucket = _bucketed(col(CheckIn.created_at), bounds)
    query = (
        select(bucket, func.count())
        .select_from(CheckIn)
        .join(Match, col(Match.id) == col(CheckIn.match_id))
        .where(
            col(Match.programme_id) == programme_id,
            col(CheckIn.created_at) >= start,
            col(CheckIn.created_at) < bounds[-1],
        )
        .group_by(bucket)
    )
    if cycle_number is not None:
        query = query.where(col(Match.cycle_number) == cycle_number)
    counts = [0] * (len(bounds) - 1)
    for index, count in session.execute(query).all():
        if index is not None:
            counts[int(index)] = int(count)
    return counts


def _bucketed(column: Any, bounds: list[datetime]) -> Any:
    return case(*[(column < bound, index) for index, bound in enumerate(bounds[1:])], else_=None).label("bucket")


def milestones_per_week(*, session: Session, programme_id: int, start: datetime, end: datetime) -> list[int]:
    """Milestones marked done in each week from `start` to `end`."""
    bounds = week_buckets(start, end)
    if len(bounds) < 2:
        return []
    bucket = _bucketed(col(Milestone.completed_at), bounds)
    counts = [0] * (len(bounds) - 1)
    for index, count in session.execute(
        select(bucket, func.count())
        .where(
            col(Milestone.programme_id) == programme_id,
            col(Milestone.status) == MilestoneStatus.DONE.value,
            col(Milestone.completed_at) >= start,
            col(Milestone.completed_at) < bounds[-1],
        )
        .group_by(bucket)
    ).all():
        if index is not None:
            counts[int(index)] = int(count)
    return counts


def milestones_done(*, session: Session, programme_id: int, since: datetime, until: datetime) -> int:
    return int(
        session.execute(
            select(func.count()).where(
                col(Milestone.programme_id) == programme_id,
                col(Milestone.status) == MilestoneStatus.DONE.value,
                col(Milestone.completed_at) >= since,
                col(Milestone.completed_at) < until,
            )
        ).scalar_one()
    )


@dataclass(frozen=True)
class Highlight:
    author_id: str
    channel_id: str
    ts: str
    replies: int
    reactions: int


def growth_highlights(
    *, session: Session, programme_id: int, since: datetime, until: datetime, limit: int = 3
) -> list[Highlight]:
    """The most replied-to and reacted-to growth threads posted in the programme channel (public ones only)."""
    rows = session.execute(
        select(
            col(GrowthThread.author_id),
            col(GrowthThread.channel_id),
            col(GrowthThread.ts),
            col(GrowthThread.reply_count),
            col(GrowthThread.reaction_count),
        )
        .where(
            col(GrowthThread.programme_id) == programme_id,
            col(GrowthThread.visibility) == GrowthVisibility.CHANNEL.value,
            col(GrowthThread.deleted_at).is_(None),
            col(GrowthThread.ts).is_not(None),
            col(GrowthThread.channel_id).is_not(None),
            col(GrowthThread.created_at) >= since,
            col(GrowthThread.created_at) < until,
            (col(GrowthThread.reply_count) + col(GrowthThread.reaction_count)) > 0,
        )
        .order_by(
            (col(GrowthThread.reply_count) + col(GrowthThread.reaction_count)).desc(),
            col(GrowthThread.created_at),
        )
        .limit(limit)
    ).all()
    return [Highlight(str(a), str(c), str(t), int(r), int(x)) for a, c, t, r, x in rows]


def kudos_given(
    *, session: Session, programme_id: int, since: datetime, until: datetime, limit: int = 10
) -> tuple[int, list[tuple[str, str]]]:
    """How many kudos were given, and (giver, receiver) of the public ones: private kudos are only counted."""
    window = (
        col(Kudos.programme_id) == programme_id,
        col(Kudos.created_at) >= since,
        col(Kudos.created_at) < until,
    )
    count = int(session.execute(select(func.count()).where(*window)).scalar_one())
    public = session.execute(
        select(col(Kudos.giver_id), col(Kudos.receiver_id))
        .where(*window, col(Kudos.public).is_(True))
        .order_by(col(Kudos.created_at))
        .limit(limit)
    ).all()
    return count, [(str(g), str(r)) for g, r in public]


def milestones_done_in_cycle(*, session: Session, programme_id: int, cycle_number: int) -> int:
    return int(
        session.execute(
            select(func.count())
            .select_from(Milestone)
            .join(Match, col(Match.id) == col(Milestone.match_id))
            .where(
                col(Milestone.programme_id) == programme_id,
                col(Milestone.status) == MilestoneStatus.DONE.value,
                col(Match.cycle_number) == cycle_number,
            )
        ).scalar_one()
    )


def active_ids(*, session: Session, programme_id: int, role: str) -> list[str]:
    """The Slack ids of the programme's active participants in this role."""
    return list(
        session.execute(
            select(col(Participant.slack_user_id)).where(
                col(Participant.programme_id) == programme_id,
                col(Participant.role) == role,
                col(Participant.status) == ParticipantStatus.ACTIVE.value,
            )
        ).scalars()
    )


def mentors_trained(*, session: Session, programme_id: int, team_id: str, steps: Sequence[str]) -> tuple[int, int]:
    """The programme's active mentors, and how many of them completed every one of `steps` (one statement)."""
    trained = (
        select(col(MentorTraining.slack_user_id))
        .where(col(MentorTraining.team_id) == team_id, col(MentorTraining.step).in_(list(steps)))
        .group_by(col(MentorTraining.slack_user_id))
        .having(func.count(distinct(col(MentorTraining.step))) == len(steps))
    )
    row = session.execute(
        select(func.count(), func.sum(case((col(Participant.slack_user_id).in_(trained), 1), else_=0))).where(
            col(Participant.programme_id) == programme_id,
            col(Participant.role) == Role.MENTOR.value,
            col(Participant.status) == ParticipantStatus.ACTIVE.value,
        )
    ).one()
    return int(row[0] or 0), int(row[1] or 0)


def agreements_in_place(*, session: Session, programme_id: int) -> int:
    """Active matches whose every member confirmed the current version of their working agreement."""
    return int(
        session.execute(
            select(func.count())
            .select_from(Agreement)
            .join(Match, col(Match.id) == col(Agreement.match_id))
            .where(
                col(Match.programme_id) == programme_id,
                col(Match.status) == MatchStatus.ACTIVE.value,
                col(Agreement.agreed_at).is_not(None),
            )
        ).scalar_one()
    )


@dataclass(frozen=True)
class SkillDevelopment:
    """How much the people who rated a skill at the start and again later moved (later minus start, 1-5 scale)."""

    skill: str  # "" for the whole programme (each person's mean change over their skills)
    people: int
    mean_change: float
    improved: int  # people whose later rating is above their start rating

    @property
    def improved_share(self) -> float:
        return self.improved / self.people if self.people else 0.0


def skill_development(*, session: Session, programme_id: int, cycle_number: int) -> tuple[list[SkillDevelopment], int]:
    """Skill development in a cycle, per skill and for the whole programme, only for groups of at least MIN_GROUP
    people; and how many skills were withheld because fewer rated them. The latest later rating counts (the exit
    reflection's, else the pulse's)."""

    def at(stage: str) -> Any:
        return func.max(case((col(SkillRating.stage) == stage, col(SkillRating.level)), else_=None))

    per_person = (
        select(
            col(SkillRating.slack_user_id).label("person"),
            col(SkillRating.skill).label("skill"),
            at("start").label("start"),
            func.coalesce(at("exit"), at("pulse")).label("later"),
        )
        .where(col(SkillRating.programme_id) == programme_id, col(SkillRating.cycle_number) == cycle_number)
        .group_by(col(SkillRating.slack_user_id), col(SkillRating.skill))
        .subquery()
    )
    rated = and_(per_person.c.start.is_not(None), per_person.c.later.is_not(None))
    change = cast(per_person.c.later - per_person.c.start, Float)
    skills = session.execute(
        select(
            per_person.c.skill,
            func.count(),
            func.avg(change),
            func.sum(case((per_person.c.later > per_person.c.start, 1), else_=0)),
        )
        .where(rated)
        .group_by(per_person.c.skill)
    ).all()
    people = (
        select(per_person.c.person, func.avg(change).label("mean")).where(rated).group_by(per_person.c.person)
    ).subquery()
    whole = session.execute(
        select(func.count(), func.avg(people.c.mean), func.sum(case((people.c.mean > 0, 1), else_=0)))
    ).one()
    rows = [SkillDevelopment(str(s), int(n), float(m or 0), int(i or 0)) for s, n, m, i in skills]
    shown = sorted((r for r in rows if r.people >= MIN_GROUP), key=lambda r: (-r.people, r.skill))
    if int(whole[0] or 0) >= MIN_GROUP:
        shown.insert(0, SkillDevelopment("", int(whole[0]), float(whole[1] or 0), int(whole[2] or 0)))
    return shown, len(rows) - len([r for r in shown if r.skill])


def days_to_first_meeting(*, session: Session, programme_id: int, cycle_number: int) -> tuple[float | None, int]:
    """The median number of days from a match's release to its first touchpoint (the first chat booked and agreed
        in Slack, or the first check-in logged, whichever came first), over the released matches of one cycle that
        had one; and how many such matches there are. Three statements whatever the size (the matches' release, their
    first agreed chat and their first check-in, each a row per match: GROUP BY, MIN), the median taken in Python."""
    in_cycle = and_(
        col(Match.programme_id) == programme_id,
        col(Match.cycle_number) == cycle_number,
        col(Match.status).in_(LIVE_MATCH),
        col(Match.released_at).is_not(None),
    )
    released = dict(session.execute(select(col(Match.id), col(Match.released_at)).where(in_cycle)).all())
    first_chats = session.execute(
        select(col(Meeting.match_id), func.min(col(Meeting.starts_at)))
        .join(Match, col(Match.id) == col(Meeting.match_id))
        .where(in_cycle, col(Meeting.status) == MeetingStatus.AGREED.value)
        .group_by(col(Meeting.match_id))
    ).all()
    first_checkins = session.execute(
        select(col(CheckIn.match_id), func.min(col(CheckIn.met_on)))
        .join(Match, col(Match.id) == col(CheckIn.match_id))
        .where(in_cycle)
        .group_by(col(CheckIn.match_id))
    ).all()
    first: dict[int, date] = {}
    for match_id, at in [*first_chats, *first_checkins]:
        day = _day(at)
        if day is not None and (match_id not in first or day < first[match_id]):
            first[match_id] = day
    days = []
    for match_id, day in first.items():
        start = _day(released.get(match_id))
        if start is not None:
            days.append(max((day - start).days, 0))
    return (float(statistics.median(days)) if days else None), len(days)


def _day(value: Any) -> date | None:
    """The day of a date, a datetime, or either as SQLite hands back an aggregate of one (ISO text)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


@dataclass(frozen=True)
class Story:
    """A success story its author agreed the programme admins may use, without their name."""

    consent_id: int
    source: str  # StorySource
    role: str  # the author's role in the programme ("" if they left it)
    cycle_number: int
    text: str
    consented_at: datetime


def consented_stories(*, session: Session, programme_id: int, limit: int = 50) -> list[Story]:
    """The programme's stories whose authors consented and did not withdraw, newest first: exit reflections with
    something written, and growth threads not deleted. Two statements, whatever the programme's size; a story
    nobody consented to is never read here."""
    live = and_(col(StoryConsent.programme_id) == programme_id, col(StoryConsent.withdrawn_at).is_(None))
    role = (
        select(col(Participant.role))
        .where(
            col(Participant.programme_id) == programme_id,
            col(Participant.slack_user_id) == col(StoryConsent.slack_user_id),
        )
        .limit(1)
        .scalar_subquery()
    )
    exits = session.execute(
        select(
            col(StoryConsent.id),
            role,
            col(SurveyResponse.cycle_number),
            col(SurveyResponse.what_changed),
            col(StoryConsent.consented_at),
        )
        .join(SurveyResponse, col(SurveyResponse.id) == col(StoryConsent.source_id))
        .where(
            live,
            col(StoryConsent.source_kind) == StorySource.EXIT.value,
            col(SurveyResponse.slack_user_id) == col(StoryConsent.slack_user_id),
            col(SurveyResponse.programme_id) == programme_id,
            col(SurveyResponse.kind) == SurveyKind.EXIT.value,
            col(SurveyResponse.what_changed) != "",
        )
        .order_by(col(StoryConsent.consented_at).desc())
        .limit(limit)
    ).all()
    threads = session.execute(
        select(
            col(StoryConsent.id),
            role,
            col(Match.cycle_number),
            col(GrowthThread.tried),
            col(GrowthThread.learned),
            col(StoryConsent.consented_at),
        )
        .join(GrowthThread, col(GrowthThread.id) == col(StoryConsent.source_id))
        .outerjoin(Match, col(Match.id) == col(GrowthThread.match_id))
        .where(
            live,
            col(StoryConsent.source_kind) == StorySource.GROWTH.value,
            col(GrowthThread.author_id) == col(StoryConsent.slack_user_id),
            col(GrowthThread.programme_id) == programme_id,
            col(GrowthThread.deleted_at).is_(None),
        )
        .order_by(col(StoryConsent.consented_at).desc())
        .limit(limit)
    ).all()
    stories = [Story(int(i), StorySource.EXIT.value, str(r or ""), int(c or 0), str(t), at) for i, r, c, t, at in exits]
    stories += [
        Story(int(i), StorySource.GROWTH.value, str(r or ""), int(c or 0), growth_story_text(tried, learned), at)
        for i, r, c, tried, learned, at in threads
    ]
    return sorted(stories, key=lambda s: (s.consented_at, s.consent_id), reverse=True)[:limit]


def growth_story_text(tried: str, learned: str) -> str:
    """What a growth thread says as a story: what its author tried and what they learned."""
    return " ".join(
        part for part in (f"Tried: {tried}." if tried else "", f"Learned: {learned}" if learned else "") if part
    )


def unmatched_ids_subquery(programme_id: int) -> Any:
    return (
        select(col(MatchMember.slack_user_id))
        .join(Match, col(Match.id) == col(MatchMember.match_id))
        .where(col(Match.programme_id) == programme_id, col(Match.status) == MatchStatus.ACTIVE.value)
    )


def new_waiting(*, session: Session, programme: Programme, since: datetime, until: datetime) -> int:
    """People who joined in [since, until), are active, and are not in a match yet (mentors are not 'waiting')."""
    assert programme.id is not None
    query = (
        select(func.count())
        .select_from(Participant)
        .where(
            col(Participant.programme_id) == programme.id,
            col(Participant.status) == ParticipantStatus.ACTIVE.value,
            col(Participant.joined_at) >= since,
            col(Participant.joined_at) < until,
            col(Participant.slack_user_id).not_in(unmatched_ids_subquery(programme.id)),
        )
    )
    if ProgrammeKind.shape(programme.kind) == "one_to_one":
        query = query.where(col(Participant.role) != "mentor")
    return int(session.execute(query).scalar_one())


# --- the report's numbers --------------------------------------------------------------------------------------


@dataclass
class Health:
    """Programme health for admins: aggregates only, plus the stalled pairs' members (admins only)."""

    participants: int = 0
    by_role: dict[str, int] = field(default_factory=dict)
    by_department: dict[str, int] = field(default_factory=dict)
    eligible: int = 0
    matched: int = 0
    active_pairs: int = 0
    pairs_met_recently: int = 0
    cadence_days: int = 14
    median_days_between: float | None = None
    average_usefulness: float | None = None
    usefulness_counts: dict[int, int] = field(default_factory=dict)
    checkins: int = 0
    checkins_per_week: list[int] = field(default_factory=list)
    stalled: list[list[str]] = field(default_factory=list)  # members of each stalled pair
    retention: list[tuple[int, int, int]] = field(default_factory=list)  # (cycle, people, came back next cycle)
    departments: list[ParticipationRow] = field(default_factory=list)
    # Only when the programme asks its optional group question: groups of 5 or more, smaller ones merged.
    self_groups: list[ParticipationRow] | None = None
    self_groups_unanswered: int = 0  # people who gave no answer (the report shows it from MIN_GROUP)
    milestones_done: int | None = None
    agreements_in_place: int = 0  # active pairs whose members all confirmed their agreement (never its text)
    skill_development: list[SkillDevelopment] = field(default_factory=list)  # groups of MIN_GROUP or more only
    mentors: int = 0  # active mentors
    mentors_trained: int = 0  # of them, those who completed the mentor essentials
    skills_withheld: int = 0  # skills rated by fewer than MIN_GROUP people: not shown
    meetings_booked: int = 0  # chats booked in Slack this cycle (agreed, not cancelled)
    days_to_first_meeting: float | None = None  # median, release to the first chat booked or check-in logged
    matches_met: int = 0  # released matches of the cycle that had a first chat or check-in
    stories: list[Story] = field(default_factory=list)  # consented success stories only (report, never a digest)
    survey: dict[str, dict[str, Any]] | None = None

    @property
    def match_rate(self) -> float | None:
        return self.matched / self.eligible if self.eligible else None

    @property
    def met_rate(self) -> float | None:
        return self.pairs_met_recently / self.active_pairs if self.active_pairs else None


@dataclass(frozen=True)
class ParticipationRow:
    """One department or self-described group: people, of them in an active match, and in a pair that met."""

    group: str  # a department "" for "not given"; OTHER / OTHER_GROUPS for the groups too small on their own
    people: int
    matched: int
    met_recently: int


OTHER = "Other (groups under 5)"
OTHER_GROUPS = "Other groups (fewer than 5 each)"
MIN_GROUP = 5


def participants_by(*, session: Session, programme_id: int, column: Any) -> dict[str, int]:
    rows = session.execute(
        select(column, func.count())
        .where(col(Participant.programme_id) == programme_id, col(Participant.status) != ParticipantStatus.LEFT.value)
        .group_by(column)
    ).all()
    return {str(key or ""): int(count) for key, count in rows}


def match_rate(*, session: Session, programme: Programme) -> tuple[int, int]:
    """(eligible, matched): active participants, and those of them in an active match."""
    assert programme.id is not None
    in_match = unmatched_ids_subquery(programme.id)
    row = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((col(Participant.slack_user_id).in_(in_match), 1), else_=0)), 0),
        ).where(
            col(Participant.programme_id) == programme.id,
            col(Participant.status) == ParticipantStatus.ACTIVE.value,
        )
    ).one()
    return int(row[0]), int(row[1])


def pairs_met_since(*, session: Session, programme_id: int, since: datetime) -> tuple[int, int]:
    """(active pairs, of them with a check-in logged since `since`)."""
    recent = (
        select(col(CheckIn.match_id))
        .where(col(CheckIn.created_at) >= since)
        .where(col(CheckIn.match_id) == col(Match.id))
    ).exists()
    row = session.execute(
        select(func.count(), func.coalesce(func.sum(case((recent, 1), else_=0)), 0)).where(
            col(Match.programme_id) == programme_id, col(Match.status) == MatchStatus.ACTIVE.value
        )
    ).one()
    return int(row[0]), int(row[1])


def _gap_days(session: Session) -> Any:
    previous = func.lag(col(CheckIn.met_on)).over(partition_by=col(CheckIn.match_id), order_by=col(CheckIn.met_on))
    if _postgres(session):
        return (col(CheckIn.met_on) - previous).label("gap")
    return (func.julianday(col(CheckIn.met_on)) - func.julianday(previous)).label("gap")


def median_days_between(*, session: Session, programme_id: int, cycle_number: int) -> float | None:
    """The median number of days between a pair's consecutive check-ins (LAG over each match's check-ins).

    PostgreSQL computes the median too (percentile_cont); SQLite has no percentile, so its single column of
    gaps is reduced in Python.
    """
    gaps = (
        select(_gap_days(session))
        .select_from(CheckIn)
        .join(Match, col(Match.id) == col(CheckIn.match_id))
        .where(col(Match.programme_id) == programme_id, col(Match.cycle_number) == cycle_number)
        .subquery()
    )
    if _postgres(session):
        value = session.execute(
            select(func.percentile_cont(0.5).within_group(gaps.c.gap)).where(gaps.c.gap.is_not(None))
        ).scalar_one()
        return float(value) if value is not None else None
    values = [float(v) for v in session.execute(select(gaps.c.gap).where(gaps.c.gap.is_not(None))).scalars()]
    return float(statistics.median(values)) if values else None


def usefulness(*, session: Session, programme_id: int, cycle_number: int) -> tuple[dict[int, int], int]:
    """How many check-ins rated each usefulness (1-5), and the number of check-ins, in one cycle."""
    rows = session.execute(
        select(col(CheckIn.usefulness), func.count())
        .join(Match, col(Match.id) == col(CheckIn.match_id))
        .where(col(Match.programme_id) == programme_id, col(Match.cycle_number) == cycle_number)
        .group_by(col(CheckIn.usefulness))
    ).all()
    counts = {int(value): int(count) for value, count in rows}
    return counts, sum(counts.values())


def meetings_booked_in_cycle(*, session: Session, programme_id: int, cycle_number: int) -> int:
    """Chats booked in Slack (agreed and not cancelled) by the matches of one cycle: a touchpoint like a check-in."""
    return int(
        session.execute(
            select(func.count())
            .select_from(Meeting)
            .join(Match, col(Match.id) == col(Meeting.match_id))
            .where(
                col(Meeting.programme_id) == programme_id,
                col(Meeting.status) == MeetingStatus.AGREED.value,
                col(Match.cycle_number) == cycle_number,
            )
        ).scalar_one()
    )


def stalled_pairs(*, session: Session, programme_id: int, quiet_since: datetime) -> list[list[str]]:
    """Members of active matches released before `quiet_since` with no touchpoint since then: no check-in logged
    and no chat booked (agreed then, or agreed for a time since)."""
    booked = (
        select(col(Meeting.id))
        .where(
            col(Meeting.match_id) == col(Match.id),
            col(Meeting.status) == MeetingStatus.AGREED.value,
            or_(col(Meeting.agreed_at) >= quiet_since, col(Meeting.starts_at) >= quiet_since),
        )
        .exists()
    )
    # A check-in since then, found through the (match_id, created_at) index for each candidate match only.
    checked_in = (
        select(col(CheckIn.id))
        .where(col(CheckIn.match_id) == col(Match.id), col(CheckIn.created_at) >= quiet_since)
        .exists()
    )
    rows = session.execute(
        select(col(Match.id), col(MatchMember.slack_user_id))
        .join(MatchMember, col(MatchMember.match_id) == col(Match.id))
        .where(
            col(Match.programme_id) == programme_id,
            col(Match.status) == MatchStatus.ACTIVE.value,
            col(Match.released_at) < quiet_since,
            ~checked_in,
            ~booked,
        )
        .order_by(col(Match.id), col(MatchMember.id))
    ).all()
    grouped: dict[int, list[str]] = {}
    for match_id, user_id in rows:
        grouped.setdefault(int(match_id), []).append(str(user_id))
    return list(grouped.values())


def retention(*, session: Session, programme_id: int) -> list[tuple[int, int, int]]:
    """For each cycle with released matches: (cycle, people matched, of them matched again in the next cycle)."""
    people = (
        select(col(Match.cycle_number).label("cycle"), col(MatchMember.slack_user_id).label("user_id"))
        .join(MatchMember, col(MatchMember.match_id) == col(Match.id))
        .where(col(Match.programme_id) == programme_id, col(Match.status).in_(LIVE_MATCH))
        .distinct()
        .subquery()
    )
    later = people.alias("later")
    rows = session.execute(
        select(
            people.c.cycle,
            func.count(distinct(people.c.user_id)),
            func.count(distinct(later.c.user_id)),
        )
        .outerjoin(
            later,
            and_(later.c.user_id == people.c.user_id, later.c.cycle == people.c.cycle + literal(1)),
        )
        .group_by(people.c.cycle)
        .order_by(people.c.cycle)
    ).all()
    return [(int(c), int(n), int(back)) for c, n, back in rows]


def _participation(
    session: Session, programme: Programme, *, since: datetime, key: Any, label: Any, labels: Any = None
) -> list[ParticipationRow]:
    """People, matched people and people whose pair met since `since`, per value of `key` (one GROUP BY).

    `label` names each group; it comes from `key` itself or from `labels`, a subquery with one row per key
    (`group_key`, `spelling`).
    """
    assert programme.id is not None
    in_match = unmatched_ids_subquery(programme.id)
    met = (
        select(col(MatchMember.slack_user_id))
        .join(Match, col(Match.id) == col(MatchMember.match_id))
        .join(CheckIn, col(CheckIn.match_id) == col(Match.id))
        .where(
            col(Match.programme_id) == programme.id,
            col(Match.status) == MatchStatus.ACTIVE.value,
            col(CheckIn.created_at) >= since,
        )
    )
    query = select(
        label,
        func.count(),
        func.coalesce(func.sum(case((col(Participant.slack_user_id).in_(in_match), 1), else_=0)), 0),
        func.coalesce(func.sum(case((col(Participant.slack_user_id).in_(met), 1), else_=0)), 0),
    ).select_from(Participant)
    if labels is not None:
        query = query.outerjoin(labels, labels.c.group_key == key)
    rows = session.execute(
        query.where(
            col(Participant.programme_id) == programme.id,
            col(Participant.status) != ParticipantStatus.LEFT.value,
        ).group_by(key, label)
    ).all()
    return [ParticipationRow(str(g or ""), int(n), int(m), int(r)) for g, n, m, r in rows]


def department_participation(*, session: Session, programme: Programme, since: datetime) -> list[ParticipationRow]:
    """Participation by department; groups under 5 merged."""
    department = col(Participant.department)
    return small_groups_merged(_participation(session, programme, since=since, key=department, label=department))


def group_participation(
    *, session: Session, programme: Programme, since: datetime
) -> tuple[list[ParticipationRow], int]:
    """Participation by self-described group, and the number of people who gave no answer.

    Answers are grouped ignoring case (they are stored with whitespace normalised); a group is named by its
    most common spelling. Groups under 5 are merged into OTHER_GROUPS, shown only if that reaches 5.
    """
    assert programme.id is not None
    key = func.lower(col(Participant.self_group))
    spellings = (
        select(
            key.label("group_key"),
            col(Participant.self_group).label("spelling"),
            func.row_number()
            .over(partition_by=key, order_by=(func.count().desc(), col(Participant.self_group)))
            .label("place"),
        )
        .where(
            col(Participant.programme_id) == programme.id,
            col(Participant.status) != ParticipantStatus.LEFT.value,
        )
        .group_by(key, col(Participant.self_group))
        .subquery()
    )
    labels = select(spellings.c.group_key, spellings.c.spelling).where(spellings.c.place == 1).subquery()
    rows = _participation(session, programme, since=since, key=key, label=labels.c.spelling, labels=labels)
    unanswered = sum(r.people for r in rows if not r.group)
    return small_groups_merged([r for r in rows if r.group], other=OTHER_GROUPS), unanswered


def small_groups_merged(rows: Sequence[ParticipationRow], *, other: str = OTHER) -> list[ParticipationRow]:
    """Groups of fewer than 5 people are shown only together, as one `other` row (and only if that has 5)."""
    shown = sorted((r for r in rows if r.people >= MIN_GROUP), key=lambda r: (-r.people, r.group))
    small = [r for r in rows if r.people < MIN_GROUP]
    if small:
        merged = ParticipationRow(
            other,
            sum(r.people for r in small),
            sum(r.matched for r in small),
            sum(r.met_recently for r in small),
        )
        if merged.people >= MIN_GROUP:
            shown.append(merged)
    return shown


def survey_results(*, session: Session, programme_id: int, cycle_number: int) -> dict[str, dict[str, Any]]:
    """Pulse and exit ratings of a cycle, aggregated per kind (free text is never read here)."""
    rows = session.execute(
        select(
            col(SurveyResponse.kind),
            func.count(),
            func.avg(cast(col(SurveyResponse.rating), Integer)),
            func.avg(cast(col(SurveyResponse.progress), Integer)),
            func.count(col(SurveyResponse.would_continue)),
            func.coalesce(func.sum(case((col(SurveyResponse.would_continue).is_(True), 1), else_=0)), 0),
        )
        .where(col(SurveyResponse.programme_id) == programme_id, col(SurveyResponse.cycle_number) == cycle_number)
        .group_by(col(SurveyResponse.kind))
    ).all()
    results: dict[str, dict[str, Any]] = {}
    for kind, count, rating, progress, answered, yes in rows:
        results[str(kind)] = {
            "responses": int(count),
            "rating": float(rating) if rating is not None else None,
            "progress": float(progress) if progress is not None else None,
            "would_continue": (int(yes) / int(answered)) if answered else None,
        }
    return {k: results[k] for k in (SurveyKind.PULSE.value, SurveyKind.EXIT.value) if k in results}


# --- the export: one row per pair per cycle ---------------------------------------------------------------------


@dataclass(frozen=True)
class PairRow:
    match_id: int
    cycle: int
    status: str
    released_on: date | None
    ended_on: date | None
    members: list[tuple[str, str, str, str]]  # (user id, display name, role, department)
    checkins: int
    minutes: int
    average_usefulness: float | None
    first_met: date | None
    last_met: date | None
    milestones_done: int = 0


def pair_rows(*, session: Session, programme_id: int) -> list[PairRow]:
    """Every released match of the programme with its check-in aggregates (GROUP BY match), oldest first."""
    stats = (
        select(
            col(CheckIn.match_id),
            func.count().label("n"),
            func.coalesce(func.sum(col(CheckIn.duration_minutes)), 0).label("minutes"),
            func.avg(cast(col(CheckIn.usefulness), Integer)).label("useful"),
            func.min(col(CheckIn.met_on)).label("first"),
            func.max(col(CheckIn.met_on)).label("last"),
        )
        .group_by(col(CheckIn.match_id))
        .subquery()
    )
    done = (
        select(col(Milestone.match_id), func.count().label("done"))
        .where(col(Milestone.status) == MilestoneStatus.DONE.value, col(Milestone.programme_id) == programme_id)
        .group_by(col(Milestone.match_id))
        .subquery()
    )
    matches = session.execute(
        select(
            col(Match.id),
            col(Match.cycle_number),
            col(Match.status),
            col(Match.released_at),
            col(Match.ended_at),
            stats.c.n,
            stats.c.minutes,
            stats.c.useful,
            stats.c.first,
            stats.c.last,
            done.c.done,
        )
        .outerjoin(stats, stats.c.match_id == col(Match.id))
        .outerjoin(done, done.c.match_id == col(Match.id))
        .where(col(Match.programme_id) == programme_id, col(Match.status).in_(LIVE_MATCH))
        .order_by(col(Match.cycle_number), col(Match.id))
    ).all()
    members: dict[int, list[tuple[str, str, str, str]]] = {}
    for match_id, user_id, role, name, department in session.execute(
        select(
            col(MatchMember.match_id),
            col(MatchMember.slack_user_id),
            col(MatchMember.role),
            col(Participant.display_name),
            col(Participant.department),
        )
        .join(Match, col(Match.id) == col(MatchMember.match_id))
        .outerjoin(
            Participant,
            and_(
                col(Participant.slack_user_id) == col(MatchMember.slack_user_id),
                col(Participant.programme_id) == programme_id,
            ),
        )
        .where(col(Match.programme_id) == programme_id, col(Match.status).in_(LIVE_MATCH))
        .order_by(col(MatchMember.match_id), col(MatchMember.id))
    ).all():
        members.setdefault(int(match_id), []).append((str(user_id), str(name or ""), str(role), str(department or "")))
    return [
        PairRow(
            match_id=int(m[0]),
            cycle=int(m[1]),
            status=str(m[2]),
            released_on=m[3].date() if m[3] else None,
            ended_on=m[4].date() if m[4] else None,
            members=members.get(int(m[0]), []),
            checkins=int(m[5] or 0),
            minutes=int(m[6] or 0),
            average_usefulness=round(float(m[7]), 2) if m[7] is not None else None,
            first_met=_as_date(m[8]),
            last_met=_as_date(m[9]),
            milestones_done=int(m[10] or 0),
        )
        for m in matches
    ]


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))

"""What App Home and the admin panel show one person: read once, as plain data, for the builders in blocks/home.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from mentoring import agreements, matching, stories
from mentoring.access import Access
from mentoring.choosing import choosing_programmes
from mentoring.insight import health_summary
from mentoring.skillgrowth import SkillChange, changes_of
from mentoring.skillmap import SkillMap, build_map, sides
from store import queries
from store.insight import Health
from store.models import (
    Agreement,
    Match,
    MatchMember,
    Milestone,
    Participant,
    Programme,
    ProgrammeKind,
    ProgrammeStatus,
    Role,
)
from store.queries import MentorContribution

HOME_MAPS = 3  # programmes whose map App Home shows (enrolling and active first)
ADMIN_PROGRAMMES = 15  # programmes the admin area lists (and digest notes are computed for)


@dataclass(frozen=True)
class MatchLine:
    """One of the person's active matches: where, with whom, and its room."""

    programme_name: str
    partners: list[str]
    room_id: str | None
    members: list[str] = field(default_factory=list)
    agreement: Agreement | None = None  # the pair's working agreement, shown only to its members


@dataclass(frozen=True)
class RoadmapItem:
    """A roadmap App Home shows: the person's own, or their mentee's or partner's."""

    programme_name: str
    match_id: int
    owner_id: str
    own: bool
    goal: str
    milestones: Sequence[Milestone]


@dataclass(frozen=True)
class DigestNote:
    """When a programme's digest posts and, for a running cycle, its health."""

    weekday: int
    hour: int
    timezone: str
    health: Health | None = None


@dataclass(frozen=True)
class AdminArea:
    """The programme admin area: in App Home (with skill maps) and in the `/mentor admin` panel."""

    programmes: list[Programme]
    counts: dict[int, int]
    manageable: set[int]
    can_create: bool
    digests: dict[int, DigestNote] = field(default_factory=dict)
    maps: list[tuple[Programme, SkillMap]] = field(default_factory=list)


@dataclass(frozen=True)
class Home:
    """Everything the person's Home tab shows."""

    memberships: list[tuple[Participant, Programme]]
    open_programmes: list[Programme]
    matches: list[MatchLine]
    roadmaps: list[RoadmapItem]
    contributions: list[tuple[str, MentorContribution]]
    admin: AdminArea | None
    skills: list[SkillChange] = field(default_factory=list)  # the person's own ratings, before and after
    choosing: set[int] = field(default_factory=set)  # programmes where the person may choose a mentor now
    stories_shared: int = 0  # how many of their own stories they share as success stories


def home_of(*, session: Session, team_id: str, user_id: str, access: Access, now: datetime) -> Home:
    """The person's Home tab; `access` is what Slack and the grants say of them today."""
    memberships = queries.memberships(session=session, team_id=team_id, slack_user_id=user_id)
    open_programmes = queries.open_programmes(session=session, team_id=team_id, today=now.date())
    admin = admin_area(session=session, team_id=team_id, access=access, now=now, with_maps=True)
    names = {p.id: p.name for _, p in memberships}
    found = matching.user_matches(session=session, team_id=team_id, user_id=user_id)
    agreed = agreements.agreements_of(session=session, match_ids=[m.id for m, _ in found if m.id is not None])
    matches = [
        MatchLine(
            programme_name=names.get(match.programme_id, ""),
            partners=[m.slack_user_id for m in group if m.slack_user_id != user_id],
            room_id=match.room_id,
            members=[m.slack_user_id for m in group],
            agreement=agreed.get(match.id or 0),
        )
        for match, group in found
    ]
    return Home(
        memberships=memberships,
        open_programmes=open_programmes,
        matches=matches,
        roadmaps=_roadmaps(session, team_id=team_id, user_id=user_id, found=found),
        contributions=_contributions(session, team_id=team_id, user_id=user_id, memberships=memberships),
        admin=admin,
        skills=changes_of(session=session, team_id=team_id, user_id=user_id, memberships=memberships),
        choosing={
            programme.id or 0
            for person, programme in choosing_programmes(
                session=session, team_id=team_id, user_id=user_id, memberships=memberships
            )
            if person.status == "active" and programme.id not in {m.programme_id for m, _ in found}
        },
        stories_shared=stories.shared_count(session=session, team_id=team_id, user_id=user_id),
    )


def _roadmaps(
    session: Session, *, team_id: str, user_id: str, found: Sequence[tuple[Match, list[MatchMember]]]
) -> list[RoadmapItem]:
    """The person's roadmaps (their own, and their mentees' or partners')."""
    items = []
    for match, members in found:
        programme = session.get(Programme, match.programme_id)
        if programme is None:
            continue
        me = next((m for m in members if m.slack_user_id == user_id), None)
        owners = [user_id] if me is None or me.role != Role.MENTOR.value else []
        owners += [m.slack_user_id for m in members if m.slack_user_id != user_id and m.role != Role.MENTOR.value]
        for owner in owners:
            roadmap = queries.roadmap_for(session=session, team_id=team_id, match_id=match.id or 0, owner_id=owner)
            milestones = queries.roadmap_milestones(session=session, roadmap_id=roadmap.id or 0) if roadmap else []
            if owner != user_id and not milestones:
                continue
            items.append(
                RoadmapItem(
                    programme_name=programme.name,
                    match_id=match.id or 0,
                    owner_id=owner,
                    own=owner == user_id,
                    goal=roadmap.goal if roadmap else "",
                    milestones=milestones,
                )
            )
    return items


def _contributions(
    session: Session, *, team_id: str, user_id: str, memberships: Sequence[tuple[Participant, Programme]]
) -> list[tuple[str, MentorContribution]]:
    """What the person gave as a mentor, per programme they mentor in."""
    contributions: list[tuple[str, MentorContribution]] = []
    for participant, programme in memberships:
        if participant.role == Role.MENTOR.value:
            found = queries.mentor_contributions(
                session=session, team_id=team_id, programme_id=programme.id or 0, mentor_id=user_id
            )
            contributions += [(programme.name, c) for c in found]
    return contributions


def admin_area(
    *, session: Session, team_id: str, access: Access, now: datetime, with_maps: bool = False
) -> AdminArea | None:
    """The admin area for this person, or None if they are not an admin of anything. `with_maps` (App Home) adds
    the skill maps of their programmes."""
    if not access.any:
        return None
    all_programmes = list(queries.programmes(session=session, team_id=team_id))
    manageable = {p.id for p in all_programmes if p.id is not None and access.can_admin(p.id)}
    counts = queries.participant_counts(session=session, team_id=team_id)
    mine = [p for p in all_programmes if p.id in manageable]
    return AdminArea(
        programmes=all_programmes,
        counts=counts,
        manageable=manageable,
        can_create=access.can_create(),
        digests=digest_notes(session, mine[:ADMIN_PROGRAMMES], now=now),
        maps=home_maps(session, mine) if with_maps else [],
    )


def digest_notes(session: Session, programmes: Sequence[Programme], *, now: datetime) -> dict[int, DigestNote]:
    """Per programme: when its digest posts and, for a running cycle, its health."""
    notes: dict[int, DigestNote] = {}
    for programme in programmes:
        assert programme.id is not None
        health = (
            health_summary(session, programme, now=now) if programme.status == ProgrammeStatus.ACTIVE.value else None
        )
        notes[programme.id] = DigestNote(
            weekday=programme.digest_weekday, hour=programme.digest_hour, timezone=programme.timezone, health=health
        )
    return notes


def home_maps(session: Session, programmes: Sequence[Programme]) -> list[tuple[Programme, SkillMap]]:
    """The skill maps of the programmes an admin manages, for the admin area of App Home (enrolling and active
    first, at most HOME_MAPS, to stay inside the Home tab's 100 blocks)."""
    order = {ProgrammeStatus.ENROLLING.value: 0, ProgrammeStatus.ACTIVE.value: 1}
    shown = sorted(
        (p for p in programmes if p.status != ProgrammeStatus.CLOSED.value), key=lambda p: order.get(p.status, 2)
    )[:HOME_MAPS]
    return [(programme, _skill_map(session, programme)) for programme in shown]


def _skill_map(session: Session, programme: Programme) -> SkillMap:
    assert programme.id is not None
    wanting, offering, _ = sides(ProgrammeKind.shape(programme.kind))
    wanted, offered, people = queries.skill_demand(
        session=session, programme_id=programme.id, wanting=wanting, offering=offering
    )
    return build_map(
        programme.name,
        skills=programme.skills,
        wanted=wanted,
        offered=offered,
        people=people,
        kind=ProgrammeKind.shape(programme.kind),
    )

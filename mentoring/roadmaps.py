"""Roadmap rules: starter templates, what a valid milestone is, progress per skill, when reminders are due.

The rules are pure functions over plain values; below them, the use cases that read and change roadmaps and
milestones (whose roadmap someone sees, saving the setup, adding, editing, completing, dropping and commenting
on milestones, the celebration in the room) take the session. No Slack.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from mentoring import matching
from store import queries
from store.db import Database
from store.models import (
    Match,
    MatchMember,
    MatchStatus,
    Milestone,
    MilestoneStatus,
    OutboxMessage,
    OutboxStatus,
    Programme,
    ProgrammeKind,
    Roadmap,
    Role,
)
from store.types import utcnow

MAX_MILESTONES = 12
MAX_TITLE = 150
MAX_GOAL = 500
MAX_NOTE = 1000
MAX_MEASURE = 300  # "how we'll know" of a goal, and a milestone's "done when"
REMIND_DAYS_BEFORE = 3
OVERDUE_GRACE_DAYS = 2  # the "re-date or drop?" question comes this many days after the due date
SETUP_PROMPT_AFTER_DAYS = 14

STATUS_LABELS = {
    MilestoneStatus.PLANNED.value: "Planned",
    MilestoneStatus.IN_PROGRESS.value: "In progress",
    MilestoneStatus.DONE.value: "Done",
    MilestoneStatus.DROPPED.value: "Dropped",
}
STATUS_EMOJI = {
    MilestoneStatus.PLANNED.value: ":white_circle:",
    MilestoneStatus.IN_PROGRESS.value: ":large_blue_circle:",
    MilestoneStatus.DONE.value: ":white_check_mark:",
    MilestoneStatus.DROPPED.value: ":heavy_minus_sign:",
}
OPEN_STATUSES = (MilestoneStatus.PLANNED.value, MilestoneStatus.IN_PROGRESS.value)


@dataclass(frozen=True)
class Draft:
    """A milestone as typed (or as the template suggests it)."""

    title: str
    skill: str
    due_on: date | None
    done_when: str = ""


# (share of the cycle, title): 30/60/90 days for a 90-day cycle, scaled to other lengths.
TEMPLATES: dict[str, tuple[tuple[float, str], ...]] = {
    ProgrammeKind.ONE_TO_ONE.value: (
        (1 / 3, "30 days: agree with my mentor what good looks like, and try it once"),
        (2 / 3, "60 days: practise it for real at work and ask for feedback"),
        (1.0, "90 days: show the result and plan what comes next"),
    ),
    ProgrammeKind.PEER_PAIRS.value: (
        (1 / 3, "Share one thing I'm learning and get my partner's view"),
        (2 / 3, "Teach my partner something I've practised"),
        (1.0, "Show what changed in my work since we started"),
    ),
    ProgrammeKind.PEER_CIRCLES.value: (
        (1 / 3, "Bring a real problem to the circle and try one idea from it"),
        (2 / 3, "Run a short session for the circle on something I've practised"),
        (1.0, "Share what changed in my work since we started"),
    ),
}


def cycle_start(*, started: datetime | None, released: datetime | None, today: date) -> date:
    """The day the pair's cycle began: the later of the programme's cycle start and the match's release."""
    days = [d.date() for d in (started, released) if d is not None]
    return max(days) if days else today


def cycle_end(*, ends: datetime | None, start: date, cycle_days: int) -> date:
    """The last day milestones may be due: the programme's cycle end, else the pair's start plus a cycle."""
    return ends.date() if ends is not None else start + timedelta(days=cycle_days)


def starter_template(
    kind: str, *, skills: Sequence[str], start: date, end: date, today: date, max_drafts: int = 3
) -> list[Draft]:
    """Starter milestones for a programme kind, spread over the cycle, never due in the past."""
    steps = TEMPLATES.get(kind, TEMPLATES[ProgrammeKind.ONE_TO_ONE.value])
    length = max((end - start).days, 1)
    drafts = []
    for i, (share, title) in enumerate(steps[:max_drafts]):
        due = start + timedelta(days=round(length * share))
        due = min(max(due, today + timedelta(days=7 * (i + 1))), end)
        skill = skills[i % len(skills)] if skills else ""
        drafts.append(Draft(title=title, skill=skill, due_on=max(due, today)))
    return drafts


def check_draft(draft: Draft, *, skills: Sequence[str], today: date, end: date) -> dict[str, str]:
    """Problems with one milestone, keyed by field ("title", "skill", "due_on"). Empty when it is fine."""
    errors: dict[str, str] = {}
    if not draft.title.strip():
        errors["title"] = "Give the milestone a title."
    elif len(draft.title) > MAX_TITLE:
        errors["title"] = f"At most {MAX_TITLE} characters (this is {len(draft.title)})."
    if draft.skill and draft.skill not in skills:
        errors["skill"] = "Pick a skill from the programme's list."
    if problem := check_text(draft.done_when, MAX_MEASURE):
        errors["done_when"] = problem
    errors.update(check_due(draft.due_on, today=today, end=end))
    return errors


def check_due(due_on: date | None, *, today: date, end: date) -> dict[str, str]:
    if due_on is None:
        return {"due_on": "Pick a due date."}
    if due_on < today:
        return {"due_on": "That day has passed: pick today or later."}
    if due_on > end:
        return {"due_on": f"Pick a day within the cycle, which ends on {end.strftime('%d %b %Y')}."}
    return {}


def check_text(value: str, limit: int) -> str | None:
    return f"At most {limit} characters (this is {len(value)})." if len(value) > limit else None


@dataclass(frozen=True)
class Goal:
    """A goal as typed, SMART-style: what (`text`), how we'll know (`measure`) and by when (`by`), all optional."""

    text: str
    measure: str = ""
    by: date | None = None


def check_goal(goal: Goal, *, today: date) -> dict[str, str]:
    """Problems with a goal, keyed by block ("goal", "goal_measure", "goal_by"): too long, or a date passed."""
    errors: dict[str, str] = {}
    if problem := check_text(goal.text, MAX_GOAL):
        errors["goal"] = problem
    if problem := check_text(goal.measure, MAX_MEASURE):
        errors["goal_measure"] = problem
    if goal.by is not None and goal.by < today:
        errors["goal_by"] = "That day has passed: pick today or later."
    return errors


def goal_warning(goal: Goal, *, end: date) -> str | None:
    """A goal may reach past the cycle (growth goes on), but the pair should know: a gentle note, not an error."""
    if goal.by is not None and goal.by > end:
        return (
            f"Your goal's date is after the cycle ends ({end.strftime('%d %b %Y')}): fine for a longer goal, "
            "but plan milestones you can reach within the cycle."
        )
    return None


@dataclass(frozen=True)
class SkillProgress:
    skill: str
    done: int
    total: int


def progress_by_skill(milestones: Iterable[tuple[str, str]]) -> list[SkillProgress]:
    """(skill, status) pairs -> done/total per skill, dropped milestones left out; untagged ones as "Other"."""
    totals: dict[str, list[int]] = {}
    for skill, status in milestones:
        if status == MilestoneStatus.DROPPED.value:
            continue
        counts = totals.setdefault(skill or "Other", [0, 0])
        counts[1] += 1
        counts[0] += status == MilestoneStatus.DONE.value
    return [SkillProgress(skill, done, total) for skill, (done, total) in totals.items()]


def bar(done: int, total: int, width: int = 10) -> str:
    """A text progress bar: `▰▰▰▱▱▱▱▱▱▱`."""
    filled = round(width * done / total) if total else 0
    return "▰" * filled + "▱" * (width - filled)


def reminder_day(due_on: date) -> date:
    return due_on - timedelta(days=REMIND_DAYS_BEFORE)


def overdue_day(due_on: date) -> date:
    return due_on + timedelta(days=OVERDUE_GRACE_DAYS)


def cancel_nudges(session: Session, *, team_id: str, milestone_id: int) -> int:
    """Skip the milestone's nudges not sent yet (it was re-dated, finished or dropped). Returns how many."""
    rows = session.exec(
        select(OutboxMessage).where(
            OutboxMessage.team_id == team_id,
            OutboxMessage.status == OutboxStatus.PENDING.value,
            col(OutboxMessage.key).startswith(f"milestone-due:{milestone_id}:")
            | col(OutboxMessage.key).startswith(f"milestone-overdue:{milestone_id}:"),
        )
    ).all()
    for row in rows:
        row.status = OutboxStatus.SKIPPED.value
        row.last_error = "milestone changed"
        session.add(row)
    return len(rows)


def set_status(session: Session, milestone: Milestone, status: str, *, now: datetime) -> None:
    """Start, drop or reopen a milestone (completing goes through `complete`)."""
    milestone.status = status
    milestone.updated_at = now
    if status != MilestoneStatus.DONE.value:
        milestone.completed_at = None
    if status not in OPEN_STATUSES:
        cancel_nudges(session, team_id=milestone.team_id, milestone_id=milestone.id or 0)
    else:
        queries.replan_roadmap(session=session, match_id=milestone.match_id)  # reopened: its nudges count again
    session.add(milestone)


def complete(session: Session, milestone: Milestone, *, evidence: str, now: datetime) -> None:
    set_status(session, milestone, MilestoneStatus.DONE.value, now=now)
    milestone.completed_at = now
    milestone.evidence_note = evidence
    session.add(milestone)


def open_milestones(db: Database, *, match_id: int) -> list[Milestone]:
    with db.session() as session:
        return queries.match_milestones(session=session, match_id=match_id, open_only=True)


def tick_from_checkin(db: Database, *, team_id: str, user_id: str, match_id: int, ticked: set[int]) -> None:
    """Milestones ticked in a check-in (worked on in the meeting) move from planned to in progress."""
    ids = ticked
    if not ids:
        return
    with db.begin() as session:
        for milestone in queries.match_milestones(session=session, match_id=match_id, open_only=True):
            if (
                milestone.id in ids
                and milestone.team_id == team_id
                and milestone.status == MilestoneStatus.PLANNED.value
            ):
                set_status(session, milestone, MilestoneStatus.IN_PROGRESS.value, now=utcnow())


# --- whose roadmap someone sees -------------------------------------------------------------------------


def today() -> date:
    return utcnow().date()


@dataclass(frozen=True)
class Place:
    """A roadmap as one person sees it: the match, its programme, whose roadmap, and whether they may edit."""

    match: Match
    programme: Programme
    members: list[MatchMember]
    owner_id: str
    editable: bool

    @property
    def start(self) -> date:
        return cycle_start(started=self.programme.cycle_started_at, released=self.match.released_at, today=today())

    @property
    def end(self) -> date:
        return cycle_end(ends=self.programme.cycle_ends_at, start=self.start, cycle_days=self.programme.cycle_days)


def owner_for(members: list[MatchMember], viewer: str) -> str:
    """Whose roadmap the viewer sees: a mentor sees their mentee's; mentees and peers their own."""
    me = next((m for m in members if m.slack_user_id == viewer), None)
    if me is not None and me.role == Role.MENTOR.value:
        mentee = next((m for m in members if m.role == Role.MENTEE.value), None)
        if mentee is not None:
            return mentee.slack_user_id
    return viewer


def place_for(
    *, session: Session, team_id: str, user_id: str, match_id: int | None = None, owner_id: str | None = None
) -> Place | None:
    """The viewer's active match (the one named, or their first) and whose roadmap they see in it: `owner_id`'s
    if they are a mentee or peer in it, else the viewer's own (a mentor: their mentee's)."""
    found = matching.user_matches(session=session, team_id=team_id, user_id=user_id)
    for match, members in found:
        if match_id is not None and match.id != match_id:
            continue
        programme = session.get(Programme, match.programme_id)
        if programme is None:
            continue
        owners = {m.slack_user_id for m in members if m.role != Role.MENTOR.value}
        owner = owner_id if owner_id in owners else owner_for(members, user_id)
        return Place(match, programme, members, owner, editable=owner == user_id)
    return None


def place_of_roadmap(*, session: Session, team_id: str, roadmap: Roadmap, user_id: str) -> Place | None:
    """A roadmap as `user_id` sees it, if they are in its (active) match."""
    place = place_for(session=session, team_id=team_id, user_id=user_id, match_id=roadmap.match_id)
    if place is None:
        return None
    return Place(place.match, place.programme, place.members, roadmap.owner_id, editable=roadmap.owner_id == user_id)


def place_of(*, session: Session, item: Milestone | Roadmap, user_id: str) -> Place | None:
    """The roadmap of a milestone (or the roadmap itself) as `user_id` sees it."""
    roadmap = item if isinstance(item, Roadmap) else session.get(Roadmap, item.roadmap_id)
    if roadmap is None:
        return None
    return place_of_roadmap(session=session, team_id=roadmap.team_id, roadmap=roadmap, user_id=user_id)


# --- what the roadmap modal shows -----------------------------------------------------------------------


@dataclass(frozen=True)
class RoadmapSetup:
    """An owner with no milestones yet: their goal and starter milestones from the programme kind's template."""

    match_id: int
    goal: Goal
    drafts: list[Draft]
    skills: list[str]
    end: date


@dataclass(frozen=True)
class RoadmapShown:
    """A roadmap (perhaps not saved yet) and its milestones, editable by its owner only."""

    roadmap: Roadmap
    milestones: list[Milestone]
    editable: bool
    end: date


RoadmapPage = RoadmapSetup | RoadmapShown


def roadmap_page(*, session: Session, place: Place) -> RoadmapPage:
    """What the modal shows for this place: the setup for an owner with no milestones yet, else the roadmap."""
    roadmap = queries.roadmap_for(
        session=session, team_id=place.match.team_id, match_id=place.match.id or 0, owner_id=place.owner_id
    )
    milestones = queries.roadmap_milestones(session=session, roadmap_id=roadmap.id or 0) if roadmap else []
    if place.editable and not milestones:
        person = queries.get_participant(
            session=session,
            team_id=place.match.team_id,
            programme_id=place.programme.id or 0,
            slack_user_id=place.owner_id,
        )
        skills = [s for s in (person.skills_wanted if person else []) if s in place.programme.skills]
        drafts = starter_template(
            place.programme.kind,
            skills=skills or place.programme.skills[:1],
            start=place.start,
            end=place.end,
            today=today(),
        )
        goal = Goal(
            roadmap.goal if roadmap and roadmap.goal else (person.goals if person else ""),
            roadmap.goal_measure if roadmap else "",
            roadmap.goal_by if roadmap else None,
        )
        return RoadmapSetup(place.match.id or 0, goal=goal, drafts=drafts, skills=place.programme.skills, end=place.end)
    if roadmap is None:
        roadmap = Roadmap(
            team_id=place.match.team_id,
            programme_id=place.programme.id or 0,
            match_id=place.match.id or 0,
            owner_id=place.owner_id,
        )
    return RoadmapShown(roadmap, milestones, editable=place.editable, end=place.end)


def with_goal(page: RoadmapPage, goal: Goal) -> RoadmapPage:
    """The page showing a goal as typed (not saved yet), e.g. while suggestions are added to the form."""
    if isinstance(page, RoadmapSetup):
        return replace(page, goal=goal)
    typed = {"goal": goal.text, "goal_measure": goal.measure, "goal_by": goal.by}
    shown = Roadmap(**(page.roadmap.model_dump() | typed))
    return replace(page, roadmap=shown)


def page_for(
    *, session: Session, team_id: str, user_id: str, match_id: int | None = None, owner_id: str | None = None
) -> RoadmapPage | None:
    """What the roadmap modal shows the viewer in their match (see `place_for`); None when they have none."""
    place = place_for(session=session, team_id=team_id, user_id=user_id, match_id=match_id, owner_id=owner_id)
    return roadmap_page(session=session, place=place) if place is not None else None


# --- changing a roadmap ---------------------------------------------------------------------------------


def new_milestone(roadmap: Roadmap, draft: Draft) -> Milestone:
    assert draft.due_on is not None
    return Milestone(
        team_id=roadmap.team_id,
        roadmap_id=roadmap.id or 0,
        match_id=roadmap.match_id,
        programme_id=roadmap.programme_id,
        title=draft.title,
        skill=draft.skill,
        due_on=draft.due_on,
        done_when=draft.done_when,
    )


def save_setup(
    *, session: Session, team_id: str, owner_id: str, match: Match, goal: Goal, drafts: Sequence[Draft], now: datetime
) -> None:
    """The owner's goal and first milestones (as many as still fit), from the setup form."""
    roadmap = queries.ensure_roadmap(session=session, team_id=team_id, match=match, owner_id=owner_id)
    roadmap.goal, roadmap.goal_measure, roadmap.goal_by = goal.text, goal.measure, goal.by
    roadmap.updated_at = now
    session.add(roadmap)
    existing = len(queries.roadmap_milestones(session=session, roadmap_id=roadmap.id or 0))
    for draft in drafts[: MAX_MILESTONES - existing]:
        session.add(new_milestone(roadmap, draft))
    session.flush()
    queries.replan_roadmap(session=session, match_id=roadmap.match_id)  # their reminders are planned next pass


def set_goal(
    *, session: Session, team_id: str, user_id: str, roadmap_id: int | None, goal: Goal, now: datetime
) -> Roadmap | None:
    """Change the roadmap's goal; None (nothing changed) unless `user_id` owns it."""
    roadmap = session.get(Roadmap, roadmap_id or -1)
    if roadmap is None or roadmap.team_id != team_id or roadmap.owner_id != user_id:
        return None
    roadmap.goal, roadmap.goal_measure, roadmap.goal_by = goal.text, goal.measure, goal.by
    roadmap.updated_at = now
    session.add(roadmap)
    return roadmap


@dataclass(frozen=True)
class Editing:
    """A roadmap its owner is changing: where it is, and how many milestones it holds."""

    roadmap: Roadmap
    place: Place
    count: int

    @property
    def full(self) -> bool:
        return self.count >= MAX_MILESTONES


def editable_roadmap(*, session: Session, team_id: str, user_id: str, roadmap_id: int | None) -> Editing | None:
    """The roadmap, if `user_id` owns it and its match is still active."""
    roadmap = session.get(Roadmap, roadmap_id or -1)
    place = place_of(session=session, item=roadmap, user_id=user_id) if roadmap and roadmap.team_id == team_id else None
    if roadmap is None or place is None or not place.editable:
        return None
    count = len(queries.roadmap_milestones(session=session, roadmap_id=roadmap.id or 0))
    return Editing(roadmap, place, count)


def owned_milestone(*, session: Session, team_id: str, user_id: str, milestone_id: int | None) -> Milestone | None:
    """The milestone, if the person owns its roadmap and its match is still active."""
    milestone = queries.get_milestone(session=session, team_id=team_id, milestone_id=milestone_id)
    if milestone is None:
        return None
    roadmap = session.get(Roadmap, milestone.roadmap_id)
    match = session.get(Match, milestone.match_id)
    if roadmap is None or roadmap.owner_id != user_id or match is None or match.status != MatchStatus.ACTIVE.value:
        return None
    return milestone


def changeable_milestone(
    *, session: Session, team_id: str, user_id: str, milestone_id: int | None
) -> tuple[Milestone, Place] | None:
    """The owner's milestone and where its roadmap is, while its match is active."""
    milestone = owned_milestone(session=session, team_id=team_id, user_id=user_id, milestone_id=milestone_id)
    place = place_of(session=session, item=milestone, user_id=user_id) if milestone else None
    if milestone is None or place is None:
        return None
    return milestone, place


@dataclass(frozen=True)
class MilestoneSaved:
    """What saving the milestone form did: the problems to show (nothing saved), else added or edited (and to
    which day it was re-dated, if it was)."""

    errors: dict[str, str]
    match_id: int = 0
    added: bool = False
    redated_to: date | None = None


def save_milestone(
    *,
    session: Session,
    team_id: str,
    user_id: str,
    roadmap_id: int | None,
    milestone_id: int | None,
    draft: Draft,
    now: datetime,
) -> MilestoneSaved:
    """Add a milestone to the owner's roadmap, or edit / re-date one (its pending nudges are skipped)."""
    editing = editable_roadmap(session=session, team_id=team_id, user_id=user_id, roadmap_id=roadmap_id)
    if editing is None:
        return MilestoneSaved({"title": "Only the roadmap's owner can change its milestones."})
    milestone = (
        owned_milestone(session=session, team_id=team_id, user_id=user_id, milestone_id=milestone_id)
        if milestone_id is not None
        else None
    )
    errors = check_draft(draft, skills=editing.place.programme.skills, today=now.date(), end=editing.place.end)
    if milestone_id is not None and milestone is None:
        errors = {"title": "That milestone doesn't exist any more."}
    if milestone is None and editing.full:
        errors["title"] = f"A roadmap holds at most {MAX_MILESTONES} milestones: drop or finish one first."
    if errors:
        return MilestoneSaved(errors)
    assert draft.due_on is not None
    match_id = editing.roadmap.match_id
    if milestone is None:
        session.add(new_milestone(editing.roadmap, draft))
        queries.replan_roadmap(session=session, match_id=match_id)
        return MilestoneSaved({}, match_id, added=True)
    redated = milestone.due_on != draft.due_on
    milestone.title, milestone.skill, milestone.done_when = draft.title, draft.skill, draft.done_when
    if redated:
        cancel_nudges(session, team_id=team_id, milestone_id=milestone.id or 0)
        milestone.due_on = draft.due_on
        milestone.reminded_for = milestone.overdue_asked_for = None
        queries.replan_roadmap(session=session, match_id=milestone.match_id)
    milestone.updated_at = now
    session.add(milestone)
    return MilestoneSaved({}, match_id, redated_to=draft.due_on if redated else None)


def complete_milestone(
    *, session: Session, team_id: str, user_id: str, milestone_id: int | None, evidence: str, now: datetime
) -> Milestone | None:
    """Mark the owner's milestone done with its evidence; None (nothing changed) if it isn't theirs to change."""
    milestone = owned_milestone(session=session, team_id=team_id, user_id=user_id, milestone_id=milestone_id)
    if milestone is None:
        return None
    complete(session, milestone, evidence=evidence, now=now)
    return milestone


def drop_milestone(
    *, session: Session, team_id: str, user_id: str, milestone_id: int | None, now: datetime
) -> str | None:
    """Drop the owner's open milestone; its title, or None when it isn't open or isn't theirs."""
    milestone = owned_milestone(session=session, team_id=team_id, user_id=user_id, milestone_id=milestone_id)
    if milestone is None or milestone.status not in OPEN_STATUSES:
        return None
    set_status(session, milestone, MilestoneStatus.DROPPED.value, now=now)
    return milestone.title


# --- the celebration and the partner's comment ----------------------------------------------------------


def commentable_milestone(
    *, session: Session, team_id: str, user_id: str, milestone_id: int | None
) -> Milestone | None:
    """The milestone, if the person is in its match and it isn't their own (the mentor, or a peer)."""
    milestone = queries.get_milestone(session=session, team_id=team_id, milestone_id=milestone_id)
    roadmap = session.get(Roadmap, milestone.roadmap_id) if milestone else None
    if milestone is None or roadmap is None or roadmap.owner_id == user_id:
        return None
    ids = {m.slack_user_id for m in matching.members(session=session, match_id=milestone.match_id)}
    return milestone if user_id in ids else None


def comment_on(
    *, session: Session, team_id: str, user_id: str, milestone_id: int | None, comment: str, now: datetime
) -> int | None:
    """Save the partner's comment on a milestone; its id, or None when they may not comment on it."""
    milestone = commentable_milestone(session=session, team_id=team_id, user_id=user_id, milestone_id=milestone_id)
    if milestone is None:
        return None
    milestone.mentor_comment = comment
    milestone.updated_at = now
    session.add(milestone)
    return milestone.id or 0


@dataclass(frozen=True)
class Celebration:
    """A reached milestone, whose it is, the pair's room, and who may comment on it."""

    milestone: Milestone
    owner_id: str
    room_id: str
    commenter: str | None


def _commenter(session: Session, match: Match, roadmap: Roadmap) -> str | None:
    others = [
        m for m in matching.members(session=session, match_id=match.id or 0) if m.slack_user_id != roadmap.owner_id
    ]
    mentor = next((m for m in others if m.role == Role.MENTOR.value), None)
    chosen = mentor or (others[0] if len(others) == 1 else None)
    return chosen.slack_user_id if chosen else None


def celebration_of(*, session: Session, milestone_id: int) -> Celebration | None:
    """What the room's celebration of a milestone shows; None when there is no room to post it in."""
    milestone = session.get(Milestone, milestone_id)
    roadmap = session.get(Roadmap, milestone.roadmap_id) if milestone else None
    match = session.get(Match, milestone.match_id) if milestone else None
    commenter = _commenter(session, match, roadmap) if match and roadmap else None
    if milestone is None or roadmap is None or match is None or not match.room_id:
        return None
    return Celebration(milestone, roadmap.owner_id, match.room_id, commenter)


def record_celebration(*, session: Session, milestone_id: int, channel: str, ts: str | None) -> None:
    """Where the celebration was posted, so that a comment refreshes it instead of posting again."""
    stored = session.get(Milestone, milestone_id)
    if stored is not None:
        stored.celebration_channel = channel
        stored.celebration_ts = ts
        session.add(stored)

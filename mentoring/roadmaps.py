"""Roadmap rules: starter templates, what a valid milestone is, progress per skill, when reminders are due.

Pure functions over plain values: no Slack, no database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from store import queries
from store.db import Database
from store.models import (
    Milestone,
    MilestoneStatus,
    OutboxMessage,
    OutboxStatus,
    ProgrammeKind,
)
from store.types import utcnow

MAX_MILESTONES = 12
MAX_TITLE = 150
MAX_GOAL = 500
MAX_NOTE = 1000
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

"""The mentor essentials: a short path through the toolbox for mentors (a handful of guides in order, each marked
read with one click, and one reflection question at the end). A programme can require it before a mentor is
matched; admins see who completed it (a count in the report, a badge in match previews), never the reflection.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from prompts.guides import load_guides
from store.models import MentorTraining

# The guides, in the order a new mentor reads them.
ESSENTIALS: tuple[str, ...] = (
    "mentor-what-mentoring-is-and-is-not",
    "agreeing-how-to-work-together",
    "what-stays-confidential",
    "listening-well",
    "mentor-asking-powerful-questions",
    "giving-feedback-that-helps",
)
REFLECTION = "reflection"
TRAINING_STEPS: tuple[str, ...] = (*ESSENTIALS, REFLECTION)  # every step a trained mentor completed
REFLECTION_QUESTION = "After these guides, what will you do differently in your first meeting as a mentor?"
REFLECTION_MINUTES = 3
MAX_NOTE = 1000
WORDS_PER_MINUTE = 200


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    minutes: int
    done: bool


@dataclass(frozen=True)
class Progress:
    guides: list[Step]
    reflected: bool

    @property
    def complete(self) -> bool:
        return self.reflected and all(step.done for step in self.guides)

    @property
    def missing(self) -> list[Step]:
        return [step for step in self.guides if not step.done]

    @property
    def minutes_left(self) -> int:
        return sum(step.minutes for step in self.missing) + (0 if self.reflected else REFLECTION_MINUTES)

    def what_is_missing(self) -> str:
        """In words, for the mentor: e.g. "3 guides and the closing question, about 8 minutes"."""
        parts = []
        if self.missing:
            parts.append(f"{len(self.missing)} guide{'s' if len(self.missing) != 1 else ''}")
        if not self.reflected:
            parts.append("the closing question")
        return " and ".join(parts) + f", about {self.minutes_left} minutes"


def _steps_done(session: Session, team_id: str, user_id: str) -> set[str]:
    return set(
        session.exec(
            select(MentorTraining.step).where(
                MentorTraining.team_id == team_id, MentorTraining.slack_user_id == user_id
            )
        ).all()
    )


def progress_of(*, session: Session, team_id: str, user_id: str) -> Progress:
    return _progress(_steps_done(session, team_id, user_id))


def progress_among(*, session: Session, team_id: str, user_ids: Sequence[str]) -> dict[str, Progress]:
    """Each of these people's progress, in one query."""
    done: dict[str, set[str]] = {user_id: set() for user_id in user_ids}
    if user_ids:
        for user_id, step in session.exec(
            select(MentorTraining.slack_user_id, MentorTraining.step).where(
                MentorTraining.team_id == team_id, col(MentorTraining.slack_user_id).in_(list(user_ids))
            )
        ).all():
            done.setdefault(user_id, set()).add(step)
    return {user_id: _progress(steps) for user_id, steps in done.items()}


def _progress(done: set[str]) -> Progress:
    library = load_guides()
    steps = []
    for guide_id in ESSENTIALS:
        guide = library.get(guide_id)
        title = guide.title if guide else guide_id
        minutes = max(1, math.ceil((guide.word_count if guide else WORDS_PER_MINUTE) / WORDS_PER_MINUTE))
        steps.append(Step(guide_id, title, minutes, guide_id in done))
    return Progress(steps, REFLECTION in done)


def _record(session: Session, *, team_id: str, user_id: str, step: str, note: str, now: datetime) -> None:
    row = session.exec(
        select(MentorTraining).where(
            MentorTraining.team_id == team_id, MentorTraining.slack_user_id == user_id, MentorTraining.step == step
        )
    ).first() or MentorTraining(team_id=team_id, slack_user_id=user_id, step=step)
    row.note, row.done_at = note, now
    session.add(row)
    session.flush()


def mark_read(*, session: Session, team_id: str, user_id: str, guide_id: str, now: datetime) -> Progress | None:
    """One click: the guide is read. None for a guide that is not on the path."""
    if guide_id not in ESSENTIALS:
        return None
    _record(session, team_id=team_id, user_id=user_id, step=guide_id, note="", now=now)
    return progress_of(session=session, team_id=team_id, user_id=user_id)


def reflect(*, session: Session, team_id: str, user_id: str, note: str, now: datetime) -> Progress | str:
    """The closing question, answered privately; a message for the person when the answer can't be kept."""
    note = note.strip()
    if not note:
        return "Write a sentence or two: only you will see it."
    if len(note) > MAX_NOTE:
        return f"At most {MAX_NOTE} characters."
    _record(session, team_id=team_id, user_id=user_id, step=REFLECTION, note=note, now=now)
    return progress_of(session=session, team_id=team_id, user_id=user_id)


def trained_among(*, session: Session, team_id: str, user_ids: Sequence[str]) -> set[str]:
    """Which of these people completed every step, in one query."""
    if not user_ids:
        return set()
    steps = TRAINING_STEPS
    rows = session.exec(
        select(MentorTraining.slack_user_id)
        .where(
            MentorTraining.team_id == team_id,
            col(MentorTraining.slack_user_id).in_(list(user_ids)),
            col(MentorTraining.step).in_(steps),
        )
        .group_by(col(MentorTraining.slack_user_id))
        .having(func.count() == len(steps))
    ).all()
    return set(rows)


def untrained_reason(progress: Progress) -> str:
    """Why a mentor was held out of a round, and what it takes (shown to them with the round's outcome)."""
    return (
        "this programme asks mentors to finish the mentor essentials before they are matched; "
        f"you have {progress.what_is_missing()} to go (`/mentor essentials`)"
    )

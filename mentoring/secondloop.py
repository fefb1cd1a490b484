"""Second-loop reflection: one question about assumptions and beliefs (not only actions), asked once per stage of
the cycle in the check-in form, and on request with `/mentor reflect`.

Double-loop learning questions the beliefs behind what people do, not only what they do next. Answers are private
to their author; only the author can turn one into a growth thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from prompts.context import Stage
from prompts.library import stage_for
from store import queries
from store.models import BeliefReflection, Programme

MAX_ANSWER = 1000


@dataclass(frozen=True)
class Question:
    id: str
    stage: str
    text: str


# A small curated set: one per stage of the cycle, about what the person believed, not what they will do.
QUESTIONS: tuple[Question, ...] = (
    Question(
        "assumed-at-start",
        Stage.FIRST_MEETING.value,
        "What do you believe about this skill today that you'd like to test?",
    ),
    Question(
        "belief-behind-goal", Stage.GOAL_SETTING.value, "What belief sits behind the goal you chose, and is it true?"
    ),
    Question("see-differently", Stage.MID_CYCLE.value, "What did you believe about this that you see differently now?"),
    Question("rule-to-question", Stage.CLOSING.value, "Which rule you worked by would you now question, and why?"),
)
BY_ID = {q.id: q for q in QUESTIONS}


def question_for(programme: Programme, now: datetime) -> Question:
    """This stage of the programme's cycle's question (the first one before the cycle starts)."""
    started = programme.cycle_started_at
    day = max((now - started).days, 0) if started else 0
    stage = stage_for(day, max(programme.cycle_days, 1)).value
    return next((q for q in QUESTIONS if q.stage == stage), QUESTIONS[0])


def _answered(session: Session, programme: Programme, user_id: str, stage: str) -> bool:
    return (
        session.exec(
            select(BeliefReflection.id).where(
                BeliefReflection.programme_id == programme.id,
                BeliefReflection.cycle_number == programme.cycle_number,
                BeliefReflection.slack_user_id == user_id,
                BeliefReflection.stage == stage,
            )
        ).first()
        is not None
    )


def due(*, session: Session, programme: Programme, user_id: str, now: datetime) -> Question | None:
    """The question the check-in form asks, once per stage of the cycle: None once answered at this stage."""
    question = question_for(programme, now)
    return None if _answered(session, programme, user_id, question.stage) else question


def on_request(*, session: Session, team_id: str, user_id: str, now: datetime) -> tuple[Programme, Question] | str:
    """`/mentor reflect`: the question of the person's first programme's stage, whenever they ask."""
    memberships = queries.memberships(session=session, team_id=team_id, slack_user_id=user_id)
    if not memberships:
        return "Reflections belong to a programme: join one first with `/mentor join`."
    programme = memberships[0][1]
    return programme, question_for(programme, now)


def problem(*, session: Session, team_id: str, user_id: str, meta: Mapping[str, Any], answer: str) -> str | None:
    """Why an answer from a form (`meta`: its programme_id and question) can't be kept, or None."""
    programme = session.get(Programme, _int(meta.get("programme_id")) or -1)
    member = programme is not None and any(
        p.id == programme.id for _, p in queries.memberships(session=session, team_id=team_id, slack_user_id=user_id)
    )
    if BY_ID.get(str(meta.get("question") or "")) is None or programme is None or not member:
        return "That question belongs to a programme you're not in."
    if not answer.strip():
        return "Write a sentence or two: only you will see it."
    if len(answer.strip()) > MAX_ANSWER:
        return f"At most {MAX_ANSWER} characters."
    return None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def save(
    *, session: Session, team_id: str, user_id: str, meta: Mapping[str, Any], answer: str, now: datetime
) -> BeliefReflection | str:
    """Keep the person's answer privately; a message for them when it can't be kept."""
    refused = problem(session=session, team_id=team_id, user_id=user_id, meta=meta, answer=answer)
    if refused:
        return refused
    question = BY_ID[str(meta.get("question"))]
    programme = session.get(Programme, _int(meta.get("programme_id")))
    assert programme is not None
    row = BeliefReflection(
        team_id=team_id,
        programme_id=programme.id or 0,
        cycle_number=programme.cycle_number,
        stage=question.stage,
        question_id=question.id,
        slack_user_id=user_id,
        answer=answer.strip(),
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def own_answer(*, session: Session, team_id: str, user_id: str, reflection_id: int | None) -> str | None:
    """The text of one of the person's own answers (to share it as a growth thread); None for anyone else's."""
    row = session.get(BeliefReflection, reflection_id or -1)
    if row is None or row.team_id != team_id or row.slack_user_id != user_id:
        return None
    return row.answer


# --- peer circles: the question posted in the circle's room, answered privately ------------------------------


def circle_key(match_id: int, cycle_number: int, stage: str) -> str:
    """The outbox key of a circle's question for one stage of a cycle: posted once per stage."""
    return f"circle-loop:{match_id}:{cycle_number}:{stage}"


def circle_question(
    *, session: Session, team_id: str, user_id: str, programme_id: int | None, question_id: str
) -> tuple[Programme, Question] | str:
    """*Answer privately* under a circle's question: the form to open, or why not (not a member of the
    programme, or already answered at this stage: the answer is kept)."""
    programme = session.get(Programme, programme_id or -1)
    question = BY_ID.get(question_id)
    member = programme is not None and any(
        p.id == programme.id for _, p in queries.memberships(session=session, team_id=team_id, slack_user_id=user_id)
    )
    if programme is None or programme.team_id != team_id or question is None or not member:
        return "That question belongs to a circle you're not in."
    if _answered(session, programme, user_id, question.stage):
        return "You've answered this stage's question already: it's kept privately. `/mentor reflect` asks again."
    return programme, question

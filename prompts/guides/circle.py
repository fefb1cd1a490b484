"""Mentors' circle questions (`prompts/guides/circle.yaml`): one a month, each about mentoring practice and tied to the
guide entry it grows out of, posted in a programme's mentors' channel to start peer exchange among mentors."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from prompts.entries import read_yaml_entries
from prompts.guides.library import GuideError, load_guides

MAX_QUESTION_CHARS = 300
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class CircleQuestion:
    id: str
    question: str
    guide: str  # the id of a built-in guide entry


def _parse(entry: Any, label: str) -> CircleQuestion:
    if not isinstance(entry, dict):
        raise ValueError("must be a mapping")
    unknown = set(entry) - {"id", "question", "guide"}
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(sorted(unknown))}")
    qid, question, guide = entry.get("id"), entry.get("question"), entry.get("guide")
    if not isinstance(qid, str) or not _ID.match(qid):
        raise ValueError("id must be a lowercase slug")
    if not isinstance(question, str) or not question.strip():
        raise ValueError("question must be text")
    if len(question) > MAX_QUESTION_CHARS:
        raise ValueError(f"question is {len(question)} characters (at most {MAX_QUESTION_CHARS})")
    if re.search(r"[<>&*_`~]", question):
        raise ValueError("question must be plain text")
    if not isinstance(guide, str) or guide not in load_guides():
        raise ValueError(f"guide {guide!r} is not a built-in guide entry")
    return CircleQuestion(id=qid, question=" ".join(question.split()), guide=guide)


@functools.cache
def circle_questions() -> tuple[CircleQuestion, ...]:
    data = resources.files("prompts.guides").joinpath("circle.yaml").read_text("utf-8")
    questions = read_yaml_entries("guides/circle.yaml", data, _parse, error=GuideError, what="circle questions")
    if len({q.id for q in questions}) != len(questions):
        raise GuideError("guides/circle.yaml: question ids must be unique")
    if not questions:
        raise GuideError("guides/circle.yaml: has no questions")
    return tuple(questions)


def question_for_month(year: int, month: int) -> CircleQuestion:
    """The question of a calendar month: the list in order, one a month, starting again when it runs out."""
    questions = circle_questions()
    return questions[(year * 12 + month - 1) % len(questions)]

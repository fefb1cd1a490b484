"""Second-loop reflection: the question in the check-in form, its own form, and the offer to share an answer.
Pure functions of plain data."""

from __future__ import annotations

import json
from typing import Any

from blocks.admin import button
from blocks.common import Block, View, context, mrkdwn_section, plain
from blocks.text import escape
from mentoring.secondloop import MAX_ANSWER, Question

QUESTION_BLOCK = "second_loop"
REFLECT_CALLBACK = "second_loop_submit"
SHARE_ACTION = "second_loop_share"  # value: the reflection's id


def question_input(question: Question, *, optional: bool) -> Block:
    return {
        "type": "input",
        "block_id": QUESTION_BLOCK,
        "optional": optional,
        "label": plain(question.text, 2000),
        "hint": plain("Private: only you see this, unless you share it yourself as a growth thread.", 2000),
        "element": {"type": "plain_text_input", "action_id": "value", "multiline": True, "max_length": MAX_ANSWER},
    }


def with_question(view: dict[str, Any], question: Question | None) -> dict[str, Any]:
    """The check-in form with this stage's question added (optional), its id in the form's metadata."""
    if question is None:
        return view
    meta = json.loads(view.get("private_metadata") or "{}") | {"question": question.id}
    return view | {
        "private_metadata": json.dumps(meta),
        "blocks": [*view["blocks"], question_input(question, optional=True)],
    }


def reflect_modal(programme_id: int, programme_name: str, question: Question) -> View:
    return {
        "type": "modal",
        "callback_id": REFLECT_CALLBACK,
        "private_metadata": json.dumps({"programme_id": programme_id, "question": question.id}),
        "title": plain("Reflect", 24),
        "submit": plain("Keep it", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            context(
                f"A question about what you believe, not only what you do, in *{escape(programme_name)}*. "
                "Changing an assumption is where the deepest learning happens."
            ),
            question_input(question, optional=False),
        ],
    }


def kept_message(reflection_id: int) -> tuple[str, list[Block]]:
    """To the author only: the answer is kept privately; they may share it."""
    text = "Your reflection is kept privately: only you can see it."
    return text, [
        mrkdwn_section(text + " If it could help others, you can share it as a growth thread (you edit it first)."),
        {
            "type": "actions",
            "block_id": "second_loop_share",
            "elements": [button("Share as a growth thread", SHARE_ACTION, str(reflection_id))],
        },
    ]


CIRCLE_ACTION = "second_loop_circle_answer"  # value: "<programme id>|<question id>"


def circle_post(programme_id: int, question: Question) -> tuple[str, list[Block]]:
    """The circle's question for this stage, posted in its room; each member answers privately, in a form."""
    text = f"A question for the circle, to think about on your own: {question.text}"
    return text, [
        mrkdwn_section(
            f":thought_balloon: *A question for this stage of the circle*\n>{escape(question.text)}\n"
            "It's about what you believe, not only what you do. Think about it on your own, or bring it to your next "
            "session."
        ),
        {
            "type": "actions",
            "block_id": "circle_loop",
            "elements": [
                button("Answer privately", CIRCLE_ACTION, f"{programme_id}|{question.id}", "primary"),
            ],
        },
        context("Your answer is private: only you see it, unless you share it yourself as a growth thread."),
    ]

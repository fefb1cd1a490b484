"""The mentor essentials: the path with each step's state, and the closing question. Pure functions."""

from __future__ import annotations

from blocks.admin import button
from blocks.common import Block, View, context, mrkdwn_section, plain
from blocks.text import escape
from mentoring.training import MAX_NOTE, REFLECTION_QUESTION, Progress

READ_ACTION = "essentials_read"  # value: the guide id; opens it and marks it read
REFLECT_ACTION = "essentials_reflect"
REFLECT_CALLBACK = "essentials_reflect_submit"
TRAINED = ":mortar_board:"  # the badge admins see beside a mentor who completed the essentials


def essentials_message(progress: Progress) -> tuple[str, list[Block]]:
    """The path: each guide (read, or a button that opens it and marks it read), then the closing question."""
    if progress.complete:
        status = f"{TRAINED} You've completed the mentor essentials. Thank you for preparing well."
    else:
        status = f"To go: {progress.what_is_missing()}."
    blocks: list[Block] = [
        {"type": "header", "text": plain("Mentor essentials", 150)},
        mrkdwn_section(
            "A short path through the toolbox for mentors: read each guide in order (one click marks it read), "
            "then answer one question for yourself."
        ),
        context(status),
    ]
    for number, step in enumerate(progress.guides, start=1):
        line = f"{number}. *{escape(step.title)}* · {step.minutes} min"
        if step.done:
            blocks.append(mrkdwn_section(f":white_check_mark: {line}"))
        else:
            blocks.append(
                {
                    "type": "section",
                    "block_id": f"essentials_{step.id}"[:255],
                    "text": {"type": "mrkdwn", "text": line},
                    "accessory": button("Read", READ_ACTION, step.id),
                }
            )
    closing = f"{len(progress.guides) + 1}. *A last question for yourself* · 3 min"
    if progress.reflected:
        blocks.append(mrkdwn_section(f":white_check_mark: {closing}"))
    else:
        blocks.append(
            {
                "type": "section",
                "block_id": "essentials_reflection",
                "text": {"type": "mrkdwn", "text": closing},
                "accessory": button("Answer", REFLECT_ACTION, "reflection"),
            }
        )
    return f"Mentor essentials: {status}", blocks


def reflect_modal() -> View:
    return {
        "type": "modal",
        "callback_id": REFLECT_CALLBACK,
        "title": plain("Mentor essentials", 24),
        "submit": plain("Save", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            {
                "type": "input",
                "block_id": "note",
                "label": plain(REFLECTION_QUESTION, 2000),
                "hint": plain("Only you see your answer; admins only see that you completed the essentials.", 2000),
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "multiline": True,
                    "max_length": MAX_NOTE,
                },
            }
        ],
    }


def done_modal(progress: Progress) -> View:
    text, _ = essentials_message(progress)
    return {
        "type": "modal",
        "title": plain("Mentor essentials", 24),
        "close": plain("Close", 24),
        "blocks": [mrkdwn_section(escape(text.removeprefix("Mentor essentials: ")))],
    }

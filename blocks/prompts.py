"""Conversation prompts as Block Kit, with the thumbs up / down that rate library prompts."""

from __future__ import annotations

from typing import Any

from blocks.common import context, mrkdwn_section, plain
from blocks.text import escape
from prompts.library import load_library
from prompts.llm import Suggestions

RATE_ACTION = "prompt_rate"


def prompt_blocks(
    suggestions: Suggestions, heading: str = "*Something to talk about next time*"
) -> list[dict[str, Any]]:
    library = load_library()
    blocks: list[dict[str, Any]] = [mrkdwn_section(heading)]
    for text in suggestions.prompts:
        block: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": f"> {text}"}}
        prompt = next(
            (library.get(i) for i in suggestions.library_ids if (p := library.get(i)) and p.mrkdwn == text), None
        )
        if prompt is not None:
            block["accessory"] = {
                "type": "overflow",
                "action_id": RATE_ACTION,
                "options": [
                    {"text": plain("👍 Helpful"), "value": f"{prompt.id}|1"},
                    {"text": plain("👎 Not for us"), "value": f"{prompt.id}|-1"},
                ],
            }
        blocks.append(block)
    source = "written for you by AI from your goals and skills" if suggestions.source == "llm" else "from our library"
    note = f" {escape(suggestions.note)}" if suggestions.note else ""
    blocks.append(context(f"Prompts {source}.{note} Rate library prompts to improve what pairs see."))
    return blocks

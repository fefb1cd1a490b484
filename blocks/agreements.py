"""The working agreement: its form, its message in the room (with each member's confirmation) and its App Home
lines. Pure functions of plain data."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from blocks.admin import button
from blocks.common import Block, View, context, mrkdwn_section, plain
from blocks.text import quote
from mentoring.agreements import FIELDS, MAX_TERM, SUGGESTED, Terms, current_terms
from store.models import Agreement

AGREEMENT_ACTION = "room_agreement"  # opens the form: write it, or revise it
AGREEMENT_CALLBACK = "agreement_submit"
CONFIRM_ACTION = "agreement_confirm"

LABELS = {
    "focus": "What we will work on",
    "rhythm": "How often and how we meet",
    "confidential": "What stays between us",
    "ending": "How either of us can end it, without blame",
}


def agreement_modal(match_id: int, agreement: Agreement | None) -> View:
    """The form, filled with the current version when there is one; the guide's suggestions as placeholders."""
    terms = current_terms(agreement) if agreement is not None else None
    blocks: list[Block] = [
        context(
            "Agree how you'll work together. Your partner confirms it in your room; "
            "the text stays between you (admins only see that you have one)."
        )
    ]
    for name, suggestion in zip(FIELDS, SUGGESTED.as_tuple(), strict=True):
        element: dict[str, Any] = {
            "type": "plain_text_input",
            "action_id": "value",
            "multiline": True,
            "max_length": MAX_TERM,
            "placeholder": plain(suggestion, 150),
        }
        if terms is not None:
            element["initial_value"] = getattr(terms, name)
        blocks.append({"type": "input", "block_id": name, "label": plain(LABELS[name]), "element": element})
    return {
        "type": "modal",
        "callback_id": AGREEMENT_CALLBACK,
        "private_metadata": json.dumps({"match_id": match_id}),
        "title": plain("Our agreement", 24),
        "submit": plain("Save and confirm", 24),
        "close": plain("Cancel", 24),
        "blocks": blocks,
    }


def _terms_blocks(terms: Terms) -> list[Block]:
    return [
        mrkdwn_section(f"*{LABELS[name]}*\n{quote(value, MAX_TERM)}")
        for name, value in zip(FIELDS, terms.as_tuple(), strict=True)
    ]


def agreement_status(agreement: Agreement, members: Sequence[str]) -> str:
    waiting = [m for m in members if m not in agreement.confirmed_by]
    if not waiting:
        return ":white_check_mark: Agreed by " + ", ".join(f"<@{m}>" for m in members) + "."
    confirmed = [m for m in members if m in agreement.confirmed_by]
    said = ("Confirmed by " + ", ".join(f"<@{m}>" for m in confirmed) + ". ") if confirmed else ""
    return said + "Waiting for " + ", ".join(f"<@{m}>" for m in waiting) + " to confirm."


def agreement_message(agreement: Agreement, members: Sequence[str]) -> tuple[str, list[Block]]:
    """The agreement in the room: the terms, who confirmed, and Confirm / Revise."""
    status = agreement_status(agreement, members)
    revised = f" (revised by <@{agreement.written_by}>)" if agreement.version > 1 else ""
    elements = []
    if agreement.agreed_at is None:
        elements.append(button("Confirm", CONFIRM_ACTION, f"{agreement.match_id}:{agreement.version}", "primary"))
    elements.append(button("Revise", AGREEMENT_ACTION, str(agreement.match_id)))
    blocks: list[Block] = [
        {"type": "header", "text": plain(f"Our agreement, version {agreement.version}", 150)},
        *_terms_blocks(current_terms(agreement)),
        context(status + revised),
        {"type": "actions", "block_id": "agreement_actions", "elements": elements},
    ]
    return f"Our agreement, version {agreement.version}: {status}", blocks


def confirm_refusal(outcome: str) -> str:
    return {
        "stale": "That version was revised since: read the new one in your room and confirm it there.",
        "missing": "There's no agreement to confirm yet: use *Our agreement* in your room to write one.",
        "already": "You've already confirmed this version.",
    }.get(outcome, "That agreement belongs to a match you're not in (or one that has ended).")


def home_lines(agreement: Agreement | None, members: Sequence[str]) -> list[Block]:
    """App Home, under a match: the agreement's terms and state, or a nudge to write one."""
    if agreement is None:
        return [context("No agreement yet: *Our agreement* in your room sets how you'll work together.")]
    terms = current_terms(agreement)
    lines = "\n".join(f"*{LABELS[n]}*\n{quote(v, 500)}" for n, v in zip(FIELDS, terms.as_tuple(), strict=True))
    return [
        mrkdwn_section(f"*Our agreement* (version {agreement.version})\n{lines}"),
        context(agreement_status(agreement, members)),
    ]

"""`/mentor prompt`: conversation prompts for the person's match, from the library or the optional LLM helper."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from blocks.prompts import RATE_ACTION, prompt_blocks
from handlers.common import Invocation, action_value, team_of, tell, user_of
from handlers.deps import deps_of
from mentoring.prompting import suggest_for
from prompts.library import load_library
from store import queries

logger = logging.getLogger(__name__)


def prompt_command(inv: Invocation) -> None:
    deps = deps_of(inv.context)
    found = suggest_for(deps.db, deps.llm, team_id=inv.team_id, user_id=inv.user_id)
    if found is None:
        inv.respond(text="Prompts are for people in a match: you don't have one right now.", response_type="ephemeral")
        return
    suggestions, _ = found
    text = "Something to talk about: " + " / ".join(suggestions.prompts)
    inv.respond(text=text[:3000], blocks=prompt_blocks(suggestions), response_type="ephemeral")


def on_rate(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    actions = body.get("actions") or [{}]
    selected = actions[0].get("selected_option") if isinstance(actions[0], dict) else None
    raw = selected.get("value") if isinstance(selected, dict) else action_value(body)
    prompt_id, _, vote = str(raw or "").partition("|")
    if load_library().get(prompt_id) is None or vote not in ("1", "-1"):
        tell(client, body, "That rating button is out of date.")
        return
    deps = deps_of(context)
    with deps.db.begin() as session:
        queries.rate_prompt(
            session=session, team_id=team_of(body, context), user_id=user_of(body), prompt_id=prompt_id, value=int(vote)
        )
    tell(client, body, "Thanks: your rating shapes the prompts pairs get.")


def register(app: App) -> None:
    app.action(RATE_ACTION)(on_rate)

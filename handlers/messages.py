"""The app's Messages tab: a message someone types to the bot gets a short help and their next step. What they
wrote is never stored or logged; the bot's own messages, edits and other subtypes get no answer (no loops), and
Slack's retries are answered once (bot/middleware.py)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from blocks.messages import messages_tab_reply
from handlers.deps import deps_of
from mentoring.nextstep import next_step
from store.types import utcnow

logger = logging.getLogger(__name__)


def is_direct_message(event: dict[str, Any]) -> bool:
    return event.get("type") == "message" and event.get("channel_type") == "im"


def from_a_person(event: dict[str, Any], bot_user_id: str | None) -> bool:
    """A new message a person wrote: not the bot's (or another app's), not an edit, deletion or join notice."""
    user = event.get("user")
    return (
        "subtype" not in event
        and not event.get("bot_id")
        and isinstance(user, str)
        and bool(user)
        and user != bot_user_id
    )


def on_direct_message(event: dict[str, Any], body: dict[str, Any], client: WebClient, context: Any) -> None:
    if not from_a_person(event, context.get("bot_user_id")):
        return
    team_id = str(body.get("team_id") or context.get("team_id") or "")
    with deps_of(context).db.session() as session:
        step = next_step(session=session, team_id=team_id, user_id=str(event["user"]), now=utcnow())
    text, blocks = messages_tab_reply(step)
    try:
        # A reply in a thread (under a check-in, say) is answered in that thread.
        client.chat_postMessage(
            channel=str(event.get("channel")), text=text, blocks=blocks, thread_ts=event.get("thread_ts")
        )
    except SlackApiError as error:
        logger.info("could not answer in the Messages tab: %s", error.response.get("error"))


def register(app: App) -> None:
    # Before any other `message` listener: Bolt runs the first listener that matches an event.
    app.event("message", matchers=[is_direct_message])(on_direct_message)

"""The last line of defence: log a failed listener with context, and tell the person who is waiting."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot import outage
from gateway import metrics
from gateway.slack import send_dm

logger = logging.getLogger(__name__)

SORRY = (
    "Sorry, something went wrong on our side and that didn't work. Nothing you had saved was lost. "
    "Please try again in a moment; if it keeps happening, tell your programme admins."
)

INTERACTIVE = {"block_actions", "view_submission", "message_action", "shortcut"}


def on_error(error: Exception, body: dict[str, Any], client: WebClient) -> None:
    user_id = body.get("user_id") or (body.get("user") or {}).get("id")
    metrics.LISTENER_ERRORS.labels(kind=str(body.get("type") or ("command" if body.get("command") else "other"))).inc()
    logger.error(
        "listener failed: %s",
        error,
        exc_info=error,
        extra={"user_id": user_id, "payload_type": body.get("type") or body.get("command")},
    )
    response_url = body.get("response_url")
    text = outage.DATABASE_DOWN if outage.is_outage(error) else SORRY
    try:
        if response_url:
            WebhookClient(response_url).send(text=text, response_type="ephemeral", replace_original=False)
        elif user_id and body.get("type") in INTERACTIVE:
            send_dm(client, user_id, text)
    except Exception:
        logger.exception("could not tell the person about the failure", extra={"user_id": user_id})


def register(app: App) -> None:
    app.error(on_error)

"""What Slack and the person are told when the database cannot be reached.

The first thing a request to /slack/events does after screening is record its signature (the replay store). If
the database does not answer, nothing has run and nothing is stored, and the request is answered here at once:

- a slash command: 200 with an ephemeral message (`DATABASE_DOWN`), which Slack shows to the person;
- a modal's submission: 200 with the message as an inline error on its first input (the person keeps what they
  typed and can submit again), or a small notice modal when the modal has no input;
- a button, menu or shortcut: 200 (the ack Slack waits for), then the message as an ephemeral reply through the
  request's `response_url`, or in a notice modal opened with its `trigger_id`;
- an Events API event: 503, at once. Slack retries an event that got no 2xx, with `X-Slack-Retry-Num`, nearly
  immediately, after 1 minute and after 5 minutes; the event was not recorded as handled (its `event_id` claim
  never reached the database), so a retry after the outage is handled normally. A 200 would lose it for good:
  an uninstall, a deactivation or a newcomer to a programme channel would never be acted on. Slack turns off
  event delivery only when more than 95 % of events fail over an hour, so a short outage keeps delivery on;
  an outage longer than Slack's retries loses the events sent during it (the README says so).

When the database answers again, the next request works: every unit of work opens a new connection from the
pool (PostgreSQL connections are checked before use; the replay store's single statements instead drop a
connection found dead and run once more on a new one, `Database.alone`), so nothing needs a restart.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient
from sqlalchemy.exc import DBAPIError, IntegrityError

from blocks.matching import notice_view

logger = logging.getLogger(__name__)

DATABASE_DOWN = "mentor-bot cannot reach its database right now, try again in a few minutes. Nothing was saved."
SHORT = "mentor-bot cannot reach its database right now: nothing was saved. Try again in a few minutes."


def is_outage(error: BaseException) -> bool:
    """Whether an exception says the database cannot be reached (not that a statement was wrong)."""
    return isinstance(error, DBAPIError) and not isinstance(error, IntegrityError)


def _first_input(view: dict[str, Any]) -> str | None:
    for block in view.get("blocks") or []:
        if isinstance(block, dict) and block.get("type") == "input" and isinstance(block.get("block_id"), str):
            return str(block["block_id"])
    return None


def answer(kind: str, body: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    """The HTTP status and JSON body for a request that could not reach the database (None: an empty 200)."""
    if kind == "command":
        return "200 OK", {"response_type": "ephemeral", "text": DATABASE_DOWN}
    if kind == "view_submission":
        view = body.get("view") if isinstance(body.get("view"), dict) else {}
        block_id = _first_input(view or {})
        if block_id:
            return "200 OK", {"response_action": "errors", "errors": {block_id: SHORT}}
        return "200 OK", {"response_action": "push", "view": notice_view("Try again soon", DATABASE_DOWN)}
    if kind == "block_suggestion":
        return "200 OK", {"options": []}
    if kind in ("event_callback", "event", "app_rate_limited"):
        return "503 Service Unavailable", {"error": "database_unavailable"}
    return "200 OK", None


def tell_later(kind: str, body: dict[str, Any], client: WebClient | None) -> None:
    """After the ack: tell the person who clicked a button or used a shortcut (in a thread of its own)."""
    if kind not in ("block_actions", "shortcut", "message_action"):
        return
    response_url = body.get("response_url")
    trigger_id = body.get("trigger_id")

    def tell() -> None:
        try:
            if isinstance(response_url, str) and response_url:
                WebhookClient(response_url, timeout=5).send(
                    text=DATABASE_DOWN, response_type="ephemeral", replace_original=False
                )
            elif isinstance(trigger_id, str) and trigger_id and client is not None and client.token:
                client.views_open(trigger_id=trigger_id, view=notice_view("Try again soon", DATABASE_DOWN))
        except Exception:  # best effort: the person already got the ack
            logger.warning("could not tell the person that the database is down", exc_info=True)

    threading.Thread(target=tell, name="outage-notice", daemon=True).start()

"""Small helpers every listener uses to read who is acting and to answer them."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from gateway.slack import is_workspace_admin, send_dm
from handlers.deps import Deps, deps_of
from mentoring.access import REFUSAL, Access
from store import queries
from store.db import Session
from store.models import (
    Programme,
)

logger = logging.getLogger(__name__)


ANSWERED = "answered"
"""The key, in Bolt's context, of the event the WSGI front (`bot.app.WebApp`) sets once a request's answer is out."""


def after_answer(context: Any, timeout: float = 3.0) -> None:
    """Wait until the ack's answer has gone out to Slack (at most `timeout`). A listener that replaced a modal in
    its ack (`response_action: update`, "Working on it…") and then updates that modal again with `views.update`
    must not let the update arrive first, or Slack shows the ack's view over it. Without an HTTP front (Socket
    Mode), there is nothing to wait for."""
    answered = context.get(ANSWERED) if context is not None else None
    if answered is not None:
        answered.wait(timeout)


def team_of(body: dict[str, Any], context: Any = None) -> str:
    team = body.get("team")
    if isinstance(team, dict) and team.get("id"):
        return str(team["id"])
    if body.get("team_id"):
        return str(body["team_id"])
    view = body.get("view") or {}
    if view.get("team_id"):
        return str(view["team_id"])
    return str((context or {}).get("team_id") or "")


def user_of(body: dict[str, Any]) -> str:
    user = body.get("user")
    if isinstance(user, dict):
        return str(user.get("id") or "")
    return str(body.get("user_id") or "")


def action_value(body: dict[str, Any]) -> str:
    actions = body.get("actions") or [{}]
    value = actions[0].get("value") if isinstance(actions[0], dict) else None
    return value if isinstance(value, str) else ""


def int_or_none(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def submission_key(view: dict[str, Any]) -> str | None:
    """Slack's id of a modal's submission, the view's id and hash (a modal is submitted once): a replayed
    submission carries the same, so what it would create is created once."""
    view_id, view_hash = view.get("id"), view.get("hash")
    if not isinstance(view_id, str) or not view_id:
        return None
    return f"{view_id}:{view_hash}"[:200] if isinstance(view_hash, str) else view_id[:200]


def metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) else {}


def state_value(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    """The answer of the input block `block_id` (its single element, action id "value"); {} when the state is
    missing or not shaped like Slack's."""
    answer: Any = view.get("state") if isinstance(view, dict) else None
    for key in ("values", block_id, "value"):
        answer = answer.get(key) if isinstance(answer, dict) else None
    return answer if isinstance(answer, dict) else {}


def tell(client: WebClient, body: dict[str, Any], text: str, *, replace: bool = False, blocks: Any = None) -> None:
    """Answer the person who clicked: in place (ephemeral, via response_url) when Slack gave one, else by DM."""
    response_url = body.get("response_url") or next(
        (r.get("response_url") for r in body.get("response_urls") or [] if r.get("response_url")), None
    )
    if isinstance(response_url, str) and response_url.startswith(("https://", "http://")):
        try:
            response = WebhookClient(str(response_url)).send(
                text=text, blocks=blocks, response_type="ephemeral", replace_original=replace
            )
        except (ValueError, OSError) as error:
            logger.warning("could not answer through the response_url: %s; falling back to a DM", error)
        else:
            if response.status_code == 200:
                return
            logger.warning("response_url answered %s; falling back to a DM", response.status_code)
    user_id = user_of(body)
    if user_id:
        send_dm(client, user_id, text, blocks)


def open_modal(
    client: WebClient, trigger_id: str, view: dict[str, Any], *, user_id: str, again: str = "Please try again."
) -> str | None:
    """Open a modal; returns a message for the person when Slack would not (`again` says how to retry)."""
    try:
        client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as error:
        code = error.response.get("error")
        logger.error("views.open failed: %s", code, extra={"user_id": user_id, "slack_error": code})
        if code in ("expired_trigger_id", "exchanged_trigger_id", "invalid_trigger_id"):
            return f"Slack took too long to open the form. {again}"
        return f"Slack would not open the form ({code}). Please try again in a moment."
    return None


def open_modal_for(client: WebClient, body: dict[str, Any], view: dict[str, Any]) -> None:
    """Open a modal for the person who clicked; tell them (in place, or by DM) when Slack would not."""
    problem = open_modal(client, str(body.get("trigger_id") or ""), view, user_id=user_of(body))
    if problem:
        tell(client, body, problem)


def access_of(client: WebClient, session: Session, *, team_id: str, user_id: str) -> Access:
    """The signed-in person's admin rights: what Slack says of them today, and the programmes granted to them."""
    return Access.of(session, team_id=team_id, user_id=user_id, workspace_admin=is_workspace_admin(client, user_id))


@dataclass(frozen=True)
class Invocation:
    """One `/mentor` call: who ran it, where, and the words after the subcommand."""

    team_id: str
    user_id: str
    channel_id: str
    trigger_id: str
    args: str
    client: WebClient
    respond: Respond
    context: Any

    def open_modal(self, view: dict[str, Any], *, again: str = "Please try again.") -> None:
        """Open a modal for the person who ran the command; tell them (only them) when Slack would not."""
        problem = open_modal(self.client, self.trigger_id, view, user_id=self.user_id, again=again)
        if problem:
            self.respond(text=problem, response_type="ephemeral")


def selected(view: dict[str, Any], block_id: str) -> str:
    """The value of the option picked in a select or radio input ("" when none, or not shaped like Slack's)."""
    chosen = state_value(view, block_id).get("selected_option")
    return str(chosen.get("value") or "") if isinstance(chosen, dict) else ""


def selected_all(view: dict[str, Any], block_id: str) -> list[str]:
    """The values of the options picked in a multi-select or checkboxes input."""
    chosen = state_value(view, block_id).get("selected_options")
    if not isinstance(chosen, list):
        return []
    return [str(o.get("value") or "") for o in chosen if isinstance(o, dict)]


def modal_id(body: dict[str, Any]) -> str | None:
    """The id of the modal a click came from (None for a click in a message or App Home)."""
    view = body.get("view")
    if not isinstance(view, dict) or view.get("type") != "modal" or not isinstance(view.get("id"), str):
        return None
    return str(view["id"])


def menu_choice(body: dict[str, Any]) -> str:
    """The value of the option picked in an overflow menu."""
    actions = body.get("actions")
    first = actions[0] if isinstance(actions, list) and actions else None
    chosen = first.get("selected_option") if isinstance(first, dict) else None
    return str(chosen.get("value") or "") if isinstance(chosen, dict) else ""


def programme_for_admin(
    client: WebClient, deps: Deps, body: dict[str, Any], programme_id: int | None
) -> tuple[Programme | None, str | None]:
    """The programme named by a button, if the clicking person may administer it; else a refusal."""
    team_id, user_id = team_of(body), user_of(body)
    with deps.db.session() as session:
        programme = queries.get_programme(session=session, team_id=team_id, programme_id=programme_id)
        if programme is None:
            return None, "That programme doesn't exist (any more) in this workspace."
        access = access_of(client, session, team_id=team_id, user_id=user_id)
    if not access.can_admin(programme.id):
        return None, REFUSAL
    return programme, None


def admin_click(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> tuple[Deps, Programme] | None:
    """Ack a click on a button naming a programme; the programme if the clicking person administers it, else
    they are told why not and None comes back."""
    ack()
    deps = deps_of(context)
    programme, refusal = programme_for_admin(client, deps, body, int_or_none(action_value(body)))
    if programme is None:
        tell(client, body, refusal or REFUSAL)
        return None
    return deps, programme

"""The working agreement: *Our agreement* in the room opens the form; each member confirms in the room."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from blocks import agreements as agreement_ui
from handlers.common import action_value, int_or_none, metadata, open_modal_for, state_value, team_of, tell, user_of
from handlers.deps import Deps, deps_of
from mentoring import agreements
from store.types import utcnow

logger = logging.getLogger(__name__)


def on_open(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """*Our agreement* / *Revise*: the form, filled with the current version."""
    ack()
    deps = deps_of(context)
    with deps.db.session() as session:
        found = agreements.for_form(
            session=session,
            team_id=team_of(body, context),
            user_id=user_of(body),
            match_id=int_or_none(action_value(body)),
        )
    if found is None:
        tell(client, body, agreement_ui.confirm_refusal("not_member"))
        return
    open_modal_for(client, body, agreement_ui.agreement_modal(*found))


def on_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any) -> None:
    deps = deps_of(context)
    terms = agreements.Terms(*(str(state_value(view, name).get("value") or "") for name in agreements.FIELDS))
    with deps.db.begin() as session:
        posted, errors = agreements.submit(
            session=session,
            team_id=team_of(body, context),
            user_id=user_of(body),
            match_id=int_or_none(metadata(view).get("match_id")),
            terms=terms,
            now=utcnow(),
        )
    if posted is None:
        ack(response_action="errors", errors=errors)
        return
    ack()
    show_in_room(client, deps, posted)


def on_confirm(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    deps = deps_of(context)
    with deps.db.begin() as session:
        outcome, posted = agreements.confirm_click(
            session=session,
            team_id=team_of(body, context),
            user_id=user_of(body),
            value=action_value(body),
            now=utcnow(),
        )
    if outcome != agreements.Confirmation.CONFIRMED or posted is None:
        tell(client, body, agreement_ui.confirm_refusal(str(outcome)))
        return
    show_in_room(client, deps, posted)


def show_in_room(client: WebClient, deps: Deps, posted: agreements.Posted) -> None:
    """Post the agreement in its room, or update the message already there (one message per match)."""
    if posted.room_id is None:
        return
    text, blocks = agreement_ui.agreement_message(posted.agreement, posted.members)
    try:
        if posted.agreement.room_ts:
            client.chat_update(channel=posted.room_id, ts=posted.agreement.room_ts, text=text, blocks=blocks)
            return
        sent = client.chat_postMessage(channel=posted.room_id, text=text, blocks=blocks)
    except SlackApiError as error:
        logger.error("could not show an agreement in its room: %s", error.response.get("error"))
        return
    with deps.db.begin() as session:
        agreements.record_room_message(session=session, match_id=posted.agreement.match_id, ts=str(sent["ts"]))


def register(app: App) -> None:
    app.action(agreement_ui.AGREEMENT_ACTION)(on_open)
    app.action(agreement_ui.CONFIRM_ACTION)(on_confirm)
    app.view(agreement_ui.AGREEMENT_CALLBACK)(on_submit)

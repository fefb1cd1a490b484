"""The mentor essentials: `/mentor essentials`, one click per guide read, and the closing question."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from blocks import training as training_ui
from blocks.guides import guide_modal
from handlers.common import Invocation, action_value, open_modal_for, state_value, team_of, tell, user_of
from handlers.deps import deps_of
from mentoring import training
from mentoring.guidance import library
from store.types import utcnow


def essentials_command(inv: Invocation) -> None:
    with deps_of(inv.context).db.session() as session:
        progress = training.progress_of(session=session, team_id=inv.team_id, user_id=inv.user_id)
    text, blocks = training_ui.essentials_message(progress)
    inv.respond(text=text, blocks=blocks, response_type="ephemeral")


def on_read(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """*Read*: the guide opens and counts as read; the path is redrawn in place."""
    ack()
    deps, guide_id = deps_of(context), action_value(body)
    guide = library(deps.guides_dir).get(guide_id)
    with deps.db.begin() as session:
        progress = training.mark_read(
            session=session, team_id=team_of(body, context), user_id=user_of(body), guide_id=guide_id, now=utcnow()
        )
    if guide is None or progress is None:
        tell(client, body, "That guide is not part of the mentor essentials any more: `/mentor essentials`.")
        return
    open_modal_for(client, body, guide_modal(guide))
    text, blocks = training_ui.essentials_message(progress)
    tell(client, body, text, replace=True, blocks=blocks)


def on_reflect(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
    ack()
    open_modal_for(client, body, training_ui.reflect_modal())


def on_reflect_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: Any) -> None:
    deps = deps_of(context)
    with deps.db.begin() as session:
        progress = training.reflect(
            session=session,
            team_id=team_of(body, context),
            user_id=user_of(body),
            note=str(state_value(view, "note").get("value") or ""),
            now=utcnow(),
        )
    if isinstance(progress, str):
        ack(response_action="errors", errors={"note": progress})
        return
    ack(response_action="update", view=training_ui.done_modal(progress))


def register(app: App) -> None:
    app.action(training_ui.READ_ACTION)(on_read)
    app.action(training_ui.REFLECT_ACTION)(on_reflect)
    app.view(training_ui.REFLECT_CALLBACK)(on_reflect_submit)

"""The toolbox: `/mentor guide` and "Read the guide" buttons show short guidance for a person's role and stage."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from blocks.guides import guide_modal, guides_message
from blocks.matching import GUIDE_ACTION
from handlers.common import Invocation, action_value, open_modal_for, tell
from handlers.deps import deps_of
from mentoring.guidance import library, where_they_are

logger = logging.getLogger(__name__)


def guide_command(inv: Invocation) -> None:
    deps = deps_of(inv.context)
    with deps.db.session() as session:
        role, stage = where_they_are(session=session, team_id=inv.team_id, user_id=inv.user_id)
    guides = library(deps.guides_dir).for_person(role, stage, limit=3)
    text, blocks = guides_message(role, stage, guides)
    inv.respond(text=text, blocks=blocks, response_type="ephemeral")


def on_open_guide(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    guide = library(deps_of(context).guides_dir).get(action_value(body))
    if guide is None:
        tell(client, body, "That guide is no longer available: `/mentor guide` shows the current ones.")
        return
    open_modal_for(client, body, guide_modal(guide))


def register(app: App) -> None:
    app.action(GUIDE_ACTION)(on_open_guide)

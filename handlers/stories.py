"""Success stories, for their authors: `/mentor stories` and App Home's *Share or withdraw* list the person's exit
reflections and growth threads, each with *Share as a story* or *Withdraw*."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from blocks import stories as story_ui
from handlers.common import Invocation, action_value, open_modal_for, team_of, tell, user_of
from handlers.deps import Deps, deps_of
from mentoring import stories
from store.types import utcnow

logger = logging.getLogger(__name__)


def _modal(deps: Deps, *, team_id: str, user_id: str) -> dict[str, Any]:
    with deps.db.session() as session:
        items = stories.shareable(session=session, team_id=team_id, user_id=user_id)
    return story_ui.stories_modal(items)


def stories_command(inv: Invocation) -> None:
    view = _modal(deps_of(inv.context), team_id=inv.team_id, user_id=inv.user_id)
    inv.open_modal(view, again="Run `/mentor stories` again.")


def on_open(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """App Home: *Share or withdraw*."""
    ack()
    open_modal_for(client, body, _modal(deps_of(context), team_id=team_of(body, context), user_id=user_of(body)))


def on_choice(shared: bool) -> Any:
    """*Share as a story* or *Withdraw* on one story in the list; the list is redrawn in place."""

    def choose(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
        ack()
        deps, team_id, user_id = deps_of(context), team_of(body, context), user_of(body)
        with deps.db.begin() as session:
            done = stories.set_shared(
                session=session, team_id=team_id, user_id=user_id, key=action_value(body), shared=shared, now=utcnow()
            )
        if not done:
            tell(client, body, story_ui.not_yours())
        view = body.get("view") or {}
        try:
            client.views_update(view_id=view.get("id"), view=_modal(deps, team_id=team_id, user_id=user_id))
        except SlackApiError as error:
            logger.warning("could not redraw the stories list: %s", error.response.get("error"))

    return choose


def register(app: App) -> None:
    app.action(story_ui.STORIES_ACTION)(on_open)
    app.action(story_ui.SHARE_ACTION)(on_choice(shared=True))
    app.action(story_ui.WITHDRAW_ACTION)(on_choice(shared=False))

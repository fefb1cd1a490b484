"""The App Home tab: the person's programmes and profile, their matches and roadmaps, and the admin area."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from blocks import home as home_ui
from gateway.slack import SlackProfile, is_admin
from handlers.common import access_of
from handlers.deps import Deps, deps_of
from mentoring.access import Access
from mentoring.home import home_of
from store.types import utcnow

logger = logging.getLogger(__name__)


def publish_home(
    client: WebClient, deps: Deps, *, team_id: str, user_id: str, profile: SlackProfile | None = None
) -> None:
    """Publish the person's Home tab. `profile`: their Slack profile when it was just read (`users.info`), for
    their admin rights without asking Slack again."""
    with deps.db.begin() as session:
        if profile is None:
            access = access_of(client, session, team_id=team_id, user_id=user_id)
        else:
            access = Access.of(session, team_id=team_id, user_id=user_id, workspace_admin=is_admin(profile))
        home = home_of(session=session, team_id=team_id, user_id=user_id, access=access, now=utcnow())
    try:
        view = home_ui.home_view(home)
        client.views_publish(user_id=user_id, view=view)
    except SlackApiError as error:
        code = error.response.get("error")
        logger.error("views.publish failed: %s", code, extra={"user_id": user_id, "slack_error": code})


def on_home_opened(event: dict[str, Any], body: dict[str, Any], client: WebClient, context: Any) -> None:
    if event.get("tab", "home") != "home":
        return
    team_id = context.get("team_id") or body.get("team_id") or ""
    user_id = event.get("user")
    if isinstance(user_id, str) and user_id:
        publish_home(client, deps_of(context), team_id=team_id, user_id=user_id)


def register(app: App) -> None:
    app.event("app_home_opened")(on_home_opened)

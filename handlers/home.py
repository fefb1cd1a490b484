"""The App Home tab: the person's programmes and profile, with buttons to edit or join."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from blocks import common as ui
from handlers.common import int_or_none
from handlers.deps import Deps, deps_of
from mentoring.matching import user_matches
from store import queries
from store.types import utcnow

logger = logging.getLogger(__name__)


def publish_home(client: WebClient, deps: Deps, *, team_id: str, user_id: str) -> None:
    from handlers.admin import admin_section
    from handlers.roadmaps import home_section

    with deps.db.begin() as session:
        queries.ensure_default_programme(session=session, team_id=team_id, name=deps.default_programme_name)
        memberships = queries.memberships(session=session, team_id=team_id, slack_user_id=user_id)
        open_programmes = queries.open_programmes(session=session, team_id=team_id, today=utcnow().date())
        admin_blocks = admin_section(client, session, team_id=team_id, user_id=user_id, with_maps=True) or []
        names = {p.id: p.name for _, p in memberships}
        matches = [
            (
                names.get(match.programme_id, ""),
                [m.slack_user_id for m in group if m.slack_user_id != user_id],
                match.room_id,
            )
            for match, group in user_matches(session=session, team_id=team_id, user_id=user_id)
        ]
        progress = home_section(session, team_id=team_id, user_id=user_id)
    try:
        view = ui.home_view(memberships, open_programmes, admin_blocks, matches, progress)
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


def _open_from_home(ack: Ack, body: dict[str, Any], client: WebClient, context: Any, wanted: str) -> None:
    from handlers.join import open_join_modal  # join imports this module; import here to avoid a cycle

    ack()
    user_id = body["user"]["id"]
    team_id = (body.get("team") or {}).get("id") or context.get("team_id") or ""
    problem = open_join_modal(
        client,
        deps_of(context),
        team_id=team_id,
        user_id=user_id,
        trigger_id=body.get("trigger_id", ""),
        wanted=wanted,
    )
    if problem:
        from gateway.slack import send_dm

        send_dm(client, user_id, problem)


def on_edit_profile(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: Any) -> None:
    deps = deps_of(context)
    wanted = ""
    programme_id = int_or_none(action.get("value"))
    if programme_id is not None:
        team_id = (body.get("team") or {}).get("id") or ""
        with deps.db.session() as session:
            programme = queries.get_programme(session=session, team_id=team_id, programme_id=programme_id)
            wanted = programme.slug if programme else ""
    _open_from_home(ack, body, client, context, wanted)


def on_join_button(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    _open_from_home(ack, body, client, context, "")


def register(app: App) -> None:
    app.event("app_home_opened")(on_home_opened)
    app.action(ui.EDIT_ACTION)(on_edit_profile)
    app.action(ui.JOIN_ACTION)(on_join_button)

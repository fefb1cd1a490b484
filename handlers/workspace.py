"""Slack events that keep membership true: deactivated people, uninstalls, and newcomers to a programme channel."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from blocks import membership as member_ui
from handlers.common import action_value, int_or_none, team_of, tell, user_of
from handlers.deps import deps_of
from handlers.join import open_join_modal
from handlers.matching import end_matches
from mentoring import membership
from store import queries
from store.types import utcnow

logger = logging.getLogger(__name__)


def on_user_change(event: dict[str, Any], body: dict[str, Any], client: WebClient, context: Any) -> None:
    """A deactivated person is paused everywhere (not deleted: they may come back)."""
    user = event.get("user") or {}
    if not user.get("deleted") or not user.get("id"):
        return
    deps = deps_of(context)
    team_id = team_of(body, context) or str(user.get("team_id") or "")
    with deps.db.begin() as session:
        changed = membership.pause_deactivated(session=session, team_id=team_id, user_id=str(user["id"]))
    if changed:
        logger.info("paused a deactivated person", extra={"team_id": team_id, "memberships": len(changed)})
    end_matches(client, deps, team_id=team_id, user_id=str(user["id"]), reason="left Slack")


def on_uninstalled(body: dict[str, Any], context: Any) -> None:
    """`app_uninstalled` / `tokens_revoked`: stop all work for the workspace; delete its data after retention."""
    event = body.get("event") or {}
    if event.get("type") == "tokens_revoked" and not (event.get("tokens") or {}).get("bot"):
        return  # only user tokens were revoked; the bot token still works
    deps = deps_of(context)
    team_id = team_of(body, context)
    with deps.db.begin() as session:
        stopped = queries.mark_uninstalled(
            session=session,
            team_id=team_id,
            now=utcnow(),
            retention=timedelta(days=deps.data_retention_days),
        )
    if deps.installations is not None:
        deps.installations.delete_team(team_id)  # its tokens are dead: forget them now
    if stopped:
        logger.warning(
            "workspace uninstalled the app: all sending stopped; data deleted after %s days",
            deps.data_retention_days,
            extra={"team_id": team_id},
        )


def on_member_joined_channel(event: dict[str, Any], body: dict[str, Any], client: WebClient, context: Any) -> None:
    """Someone joined a programme channel: invite them (only them) to join the programme."""
    user_id, channel_id = str(event.get("user") or ""), str(event.get("channel") or "")
    if not user_id or user_id == context.get("bot_user_id"):
        return
    deps = deps_of(context)
    team_id = team_of(body, context)
    with deps.db.session() as session:
        invitations = membership.channel_invitations(
            session=session, team_id=team_id, channel_id=channel_id, user_id=user_id, today=utcnow().date()
        )
    for programme in invitations:
        text, blocks = member_ui.channel_invitation(programme, channel_id)
        try:
            client.chat_postEphemeral(channel=channel_id, user=user_id, text=text, blocks=blocks)
        except SlackApiError as error:
            logger.warning("could not invite a channel newcomer: %s", error.response.get("error"))


def on_channel_join_button(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    programme_id = int_or_none(action_value(body))
    with deps.db.session() as session:
        programme = queries.get_programme(session=session, team_id=team_id, programme_id=programme_id)
    if programme is None:
        tell(client, body, "That programme doesn't exist any more.")
        return
    problem = open_join_modal(
        client, deps, team_id=team_id, user_id=user_id, trigger_id=body.get("trigger_id", ""), wanted=programme.slug
    )
    if problem:
        tell(client, body, problem)


def register(app: App) -> None:
    app.event("user_change")(on_user_change)
    app.event("app_uninstalled")(on_uninstalled)
    app.event("tokens_revoked")(on_uninstalled)
    app.event("member_joined_channel")(on_member_joined_channel)
    app.action(member_ui.CHANNEL_JOIN_ACTION)(on_channel_join_button)

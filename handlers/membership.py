"""What a participant controls about themselves: pause, resume, leave, their data, and forgetting them."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from blocks import membership as member_ui
from gateway.slack import send_dm
from handlers.common import Invocation, state_value, team_of, user_of
from handlers.deps import deps_of
from handlers.home import publish_home
from handlers.matching import end_matches
from mentoring import membership
from mentoring.programmes import PauseError, parse_pause
from store import queries
from store.models import Programme
from store.types import utcnow

logger = logging.getLogger(__name__)


def pause_command(inv: Invocation) -> None:
    deps = deps_of(inv.context)
    try:
        until = parse_pause(inv.args, today=utcnow().date())
    except PauseError as problem:
        inv.respond(text=str(problem), response_type="ephemeral")
        return
    with deps.db.begin() as session:
        changed = membership.pause(session=session, team_id=inv.team_id, user_id=inv.user_id, until=until)
    if not changed:
        inv.respond(text=member_ui.NOT_A_MEMBER, response_type="ephemeral")
        return
    inv.respond(text=member_ui.paused_text(until), response_type="ephemeral")


def resume_command(inv: Invocation) -> None:
    deps = deps_of(inv.context)
    with deps.db.begin() as session:
        changed = membership.resume(session=session, team_id=inv.team_id, user_id=inv.user_id)
    text = "Welcome back! You're active again and will be included in the next round of matches."
    inv.respond(text=text if changed else "You're not paused.", response_type="ephemeral")


def leave_command(inv: Invocation) -> None:
    deps = deps_of(inv.context)
    with deps.db.begin() as session:
        left = membership.leave(session=session, team_id=inv.team_id, user_id=inv.user_id, wanted=inv.args)
    if not isinstance(left, Programme):
        inv.respond(text=member_ui.leave_refusal(inv.args, left), response_type="ephemeral")
        return
    end_matches(
        inv.client,
        deps,
        team_id=inv.team_id,
        user_id=inv.user_id,
        reason="left the programme",
        programme_id=left.id,
    )
    inv.respond(text=member_ui.left_text(left), response_type="ephemeral")


def my_data_command(inv: Invocation) -> None:
    deps = deps_of(inv.context)
    with deps.db.session() as session:
        export = queries.export_person(session=session, team_id=inv.team_id, user_id=inv.user_id)
    content = json.dumps(export, indent=2, ensure_ascii=False).encode()
    try:
        channel = inv.client.conversations_open(users=inv.user_id)["channel"]["id"]
        inv.client.files_upload_v2(
            channel=channel,
            content=content,
            filename="mentor-bot-my-data.json",
            title="Everything mentor-bot stores about you",
            initial_comment="Here is everything mentor-bot stores about you, as JSON.",
        )
    except SlackApiError as error:
        code = error.response.get("error")
        logger.error("sending a data export failed: %s", code, extra={"user_id": inv.user_id, "slack_error": code})
        inv.respond(
            text=f"Slack wouldn't let me send the file ({code}). Please try again later.", response_type="ephemeral"
        )
        return
    inv.respond(text="I've sent you a file with everything stored about you, in our DMs.", response_type="ephemeral")


def forget_me_command(inv: Invocation) -> None:
    inv.open_modal(member_ui.forget_modal())


def on_forget_confirm(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any) -> None:
    ticked = any(o.get("value") == "yes" for o in state_value(view, "confirm").get("selected_options") or [])
    if not ticked:
        ack(response_action="errors", errors={"confirm": "Tick the box to confirm, or press “Keep my data”."})
        return
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    ack()
    end_matches(client, deps, team_id=team_id, user_id=user_id, reason="left the programme")
    with deps.db.begin() as session:
        membership.forget(session=session, team_id=team_id, user_id=user_id)
    send_dm(
        client,
        user_id,
        "Done: everything mentor-bot stored about you in this workspace is deleted. You're welcome back any time.",
    )
    publish_home(client, deps, team_id=team_id, user_id=user_id)


def register(app: App) -> None:
    app.view(member_ui.FORGET_CALLBACK)(on_forget_confirm)

"""What a participant controls about themselves: pause, resume, leave, their data, and forgetting them."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from blocks import common as ui
from blocks.text import escape, truncate
from gateway.slack import send_dm
from handlers.common import Invocation, open_modal, state_value, team_of, user_of
from handlers.deps import deps_of
from mentoring.programmes import PauseError, parse_pause
from store import queries
from store.models import ParticipantStatus
from store.types import utcnow

logger = logging.getLogger(__name__)

NOT_A_MEMBER = "You're not in any programme yet: `/mentor join` to join one."


def pause_command(inv: Invocation) -> None:
    deps = deps_of(inv.context)
    try:
        until = parse_pause(inv.args, today=utcnow().date())
    except PauseError as problem:
        inv.respond(text=str(problem), response_type="ephemeral")
        return
    with deps.db.begin() as session:
        changed = queries.set_status(
            session=session,
            team_id=inv.team_id,
            user_id=inv.user_id,
            status=ParticipantStatus.PAUSED,
            reason="self",
            paused_until=until,
            only_from=(ParticipantStatus.ACTIVE, ParticipantStatus.PAUSED),
        )
    if not changed:
        inv.respond(text=NOT_A_MEMBER, response_type="ephemeral")
        return
    when = f"until {until.isoformat()}" if until else "until you type `/mentor resume`"
    inv.respond(
        text=(
            f"You're paused {when}. You won't get nudges or be matched in the meantime; your profile stays as it "
            f"is. {'I will message you once when the pause ends. ' if until else ''}`/mentor resume` any time."
        ),
        response_type="ephemeral",
    )


def resume_command(inv: Invocation) -> None:
    deps = deps_of(inv.context)
    with deps.db.begin() as session:
        changed = queries.set_status(
            session=session,
            team_id=inv.team_id,
            user_id=inv.user_id,
            status=ParticipantStatus.ACTIVE,
            only_from=(ParticipantStatus.PAUSED,),
        )
    text = "Welcome back! You're active again and will be included in the next round of matches."
    inv.respond(text=text if changed else "You're not paused.", response_type="ephemeral")


def leave_command(inv: Invocation) -> None:
    deps = deps_of(inv.context)
    with deps.db.begin() as session:
        current = [
            (participant, programme)
            for participant, programme in queries.memberships(
                session=session, team_id=inv.team_id, slack_user_id=inv.user_id
            )
            if participant.status != ParticipantStatus.LEFT.value
        ]
        if inv.args:
            wanted = queries.find_programme(session=session, team_id=inv.team_id, text=inv.args)
            current = [(p, prog) for p, prog in current if wanted is not None and prog.id == wanted.id]
            if not current:
                inv.respond(
                    text=f"You're not in a programme called “{escape(truncate(inv.args, 80))}”.",
                    response_type="ephemeral",
                )
                return
        if not current:
            inv.respond(text=NOT_A_MEMBER, response_type="ephemeral")
            return
        if len(current) > 1:
            names = ", ".join(f"`/mentor leave {prog.slug}`" for _, prog in current)
            inv.respond(text=f"You're in several programmes. Which one? {names}", response_type="ephemeral")
            return
        _, programme = current[0]
        queries.set_status(
            session=session,
            team_id=inv.team_id,
            user_id=inv.user_id,
            status=ParticipantStatus.LEFT,
            reason="self",
            programme_id=programme.id,
        )
    from handlers.matching import end_matches

    end_matches(
        inv.client,
        deps,
        team_id=inv.team_id,
        user_id=inv.user_id,
        reason="left the programme",
        programme_id=programme.id,
    )
    inv.respond(
        text=(
            f"You've left *{escape(programme.name)}*. Thank you for taking part! Your profile is kept in case you come "
            "back (`/mentor join`); `/mentor forget-me` deletes everything."
        ),
        response_type="ephemeral",
    )


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


FORGET_CALLBACK = "forget_me_confirm"


def forget_modal() -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": FORGET_CALLBACK,
        "title": ui.plain("Delete my data", 24),
        "submit": ui.plain("Delete everything", 24),
        "close": ui.plain("Keep my data", 24),
        "blocks": [
            ui.mrkdwn_section(
                "This deletes your profile in every programme of this workspace, your matching preferences and any "
                "admin rights, and removes your name from the admin log. Programmes keep only anonymous counts. "
                "*This cannot be undone.* `/mentor my-data` first if you want a copy."
            ),
            {
                "type": "input",
                "block_id": "confirm",
                "label": ui.plain("Confirm"),
                "element": {
                    "type": "checkboxes",
                    "action_id": "value",
                    "options": [ui.option("I understand this cannot be undone", "yes")],
                },
            },
        ],
    }


def forget_me_command(inv: Invocation) -> None:
    problem = open_modal(inv.client, inv.trigger_id, forget_modal(), user_id=inv.user_id)
    if problem:
        inv.respond(text=problem, response_type="ephemeral")


def on_forget_confirm(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any) -> None:
    ticked = any(o.get("value") == "yes" for o in state_value(view, "confirm").get("selected_options") or [])
    if not ticked:
        ack(response_action="errors", errors={"confirm": "Tick the box to confirm, or press “Keep my data”."})
        return
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    ack()
    from handlers.matching import end_matches

    end_matches(client, deps, team_id=team_id, user_id=user_id, reason="left the programme")
    with deps.db.begin() as session:
        deleted = queries.forget_person(session=session, team_id=team_id, user_id=user_id)
        queries.audit(
            session=session,
            team_id=team_id,
            actor_id=queries.FORGOTTEN,
            action="person.forget",
            details={"memberships_deleted": deleted},
        )
    send_dm(
        client,
        user_id,
        "Done: everything mentor-bot stored about you in this workspace is deleted. You're welcome back any time.",
    )
    from handlers.home import publish_home

    publish_home(client, deps, team_id=team_id, user_id=user_id)


def register(app: App) -> None:
    app.view(FORGET_CALLBACK)(on_forget_confirm)

"""Mentees choose their mentor: `/mentor mentors` (and *Choose a mentor* in App Home and the joined DM) browse the
mentors with a free place; *Ask* sends a request the mentor accepts or declines from their DM."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from blocks import choosing as choose_ui
from gateway.slack import send_dm
from handlers.common import (
    Invocation,
    action_value,
    int_or_none,
    metadata,
    modal_id,
    open_modal,
    open_modal_for,
    state_value,
    team_of,
    tell,
    user_of,
)
from handlers.deps import Deps, deps_of
from handlers.matching import open_room
from mentoring import choosing
from mentoring.membership import USER_ID
from store.types import utcnow


def _browse(deps: Deps, *, team_id: str, user_id: str, programme_id: int | None) -> choosing.Browse:
    with deps.db.session() as session:
        return choosing.browse(
            session=session, team_id=team_id, user_id=user_id, programme_id=programme_id, now=utcnow()
        )


def mentors_command(inv: Invocation) -> None:
    found = _browse(deps_of(inv.context), team_id=inv.team_id, user_id=inv.user_id, programme_id=None)
    problem = found.refusal or open_modal(
        inv.client, inv.trigger_id, choose_ui.browse_modal(found), user_id=inv.user_id
    )
    if problem:
        inv.respond(text=problem, response_type="ephemeral")


def on_browse(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """*Choose a mentor* (App Home, the joined DM, a declined request's *Choose again*)."""
    ack()
    found = _browse(
        deps_of(context),
        team_id=team_of(body, context),
        user_id=user_of(body),
        programme_id=int_or_none(action_value(body)),
    )
    problem = found.refusal or open_modal(
        client, str(body.get("trigger_id") or ""), choose_ui.browse_modal(found), user_id=user_of(body)
    )
    if problem:
        tell(client, body, problem)


def on_pick(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
    """*Ask* beside a mentor: the request form, on top of the list (or on its own, clicked anywhere else)."""
    ack()
    programme_id = int_or_none(metadata(body.get("view") or {}).get("programme_id")) or 0
    mentor_id = action_value(body)
    if not USER_ID.fullmatch(mentor_id):  # Slack sends the id we put on the button; anything else is refused
        tell(client, body, "That mentor can't be asked. Open the list of mentors again with `/mentor mentors`.")
        return
    view, trigger_id = choose_ui.ask_modal(programme_id, mentor_id), str(body.get("trigger_id") or "")
    if modal_id(body) is None:
        open_modal_for(client, body, view)
        return
    try:
        client.views_push(trigger_id=trigger_id, view=view)
    except SlackApiError as error:
        tell(client, body, f"Slack would not open the request form ({error.response.get('error')}). Try again.")


def on_ask(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any) -> None:
    deps = deps_of(context)
    meta = metadata(view)
    with deps.db.begin() as session:
        asked = choosing.ask(
            session=session,
            team_id=team_of(body, context),
            mentee_id=user_of(body),
            programme_id=int_or_none(meta.get("programme_id")),
            mentor_id=str(meta.get("mentor_id") or ""),
            message=str(state_value(view, "message").get("value") or ""),
            now=utcnow(),
        )
    if asked.request is None or asked.programme is None:
        ack(response_action="errors", errors={"message": asked.refusal[:2000]})
        return
    ack(response_action="clear")
    request = asked.request
    text, blocks = choose_ui.request_dm(
        asked.programme,
        request_id=request.id or 0,
        mentee_id=request.mentee_id,
        wanted=asked.wanted or [],
        note=request.message,
        expires_at=request.expires_at,
    )
    send_dm(client, request.mentor_id, text, blocks)
    send_dm(client, request.mentee_id, choose_ui.asked_text(request.mentor_id, request.expires_at))


def on_answer(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """The mentor's *Accept* or *Decline* in the request DM."""
    ack()
    deps = deps_of(context)
    action = str(((body.get("actions") or [{}])[0] or {}).get("action_id") or "")
    with deps.db.begin() as session:
        answered = choosing.answer(
            session=session,
            team_id=team_of(body, context),
            mentor_id=user_of(body),
            request_id=int_or_none(action_value(body)),
            accept=action.endswith(":accept"),
            now=utcnow(),
        )
    tell_answer(client, deps, body, answered)


def tell_answer(client: WebClient, deps: Deps, body: dict[str, Any], answered: choosing.Answered) -> None:
    """The mentor's DM changes to say what happened; the mentee hears it; an accepted request opens the room."""
    request, programme = answered.request, answered.programme
    if answered.stale or request is None or programme is None:
        tell(client, body, answered.stale or "This request is no longer open.")
        return
    if answered.proposal is not None:
        tell(client, body, choose_ui.accepted_note(request.mentee_id), replace=True)
        open_room(client, deps, programme, answered.proposal)
    elif answered.refusal:
        tell(client, body, choose_ui.refused_note(answered.refusal), replace=True)
        send_dm(client, request.mentee_id, *choose_ui.refused_dm(programme, answered.refusal))
    else:
        tell(client, body, choose_ui.declined_note(request.mentee_id), replace=True)
        send_dm(client, request.mentee_id, *choose_ui.declined_dm(programme))


def register(app: App) -> None:
    app.action(choose_ui.BROWSE_ACTION)(on_browse)
    app.action(choose_ui.PICK_ACTION)(on_pick)
    app.view(choose_ui.ASK_CALLBACK)(on_ask)
    app.action(re.compile(f"^{choose_ui.ANSWER_ACTION}:(accept|decline)$"))(on_answer)

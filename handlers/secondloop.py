"""Second-loop reflection: `/mentor reflect` on request, the answer kept privately, shared only by its author."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from blocks import secondloop as loop_ui
from gateway.slack import send_dm
from handlers.common import (
    Invocation,
    action_value,
    int_or_none,
    metadata,
    open_modal_for,
    state_value,
    team_of,
    tell,
    user_of,
)
from handlers.deps import Deps, deps_of
from handlers.growth import open_growth
from mentoring import secondloop
from store.types import utcnow


def reflect_command(inv: Invocation) -> None:
    with deps_of(inv.context).db.session() as session:
        found = secondloop.on_request(session=session, team_id=inv.team_id, user_id=inv.user_id, now=utcnow())
    if isinstance(found, str):
        inv.respond(text=found, response_type="ephemeral")
        return
    programme, question = found
    view = loop_ui.reflect_modal(programme.id or 0, programme.name, question)
    inv.open_modal(view)


def keep_answer(
    client: WebClient, deps: Deps, *, team_id: str, user_id: str, meta: dict[str, Any], answer: str
) -> str | None:
    """Keep an answer (from `/mentor reflect` or the check-in form) and offer its author to share it; a message
    for the person when it can't be kept."""
    with deps.db.begin() as session:
        kept = secondloop.save(
            session=session, team_id=team_id, user_id=user_id, meta=meta, answer=answer, now=utcnow()
        )
        if isinstance(kept, str):
            return kept
        reflection_id = kept.id or 0
    send_dm(client, user_id, *loop_ui.kept_message(reflection_id))
    return None


def on_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any) -> None:
    answer = str(state_value(view, loop_ui.QUESTION_BLOCK).get("value") or "")
    deps, team_id, user_id = deps_of(context), team_of(body, context), user_of(body)
    with deps.db.session() as session:
        problem = secondloop.problem(
            session=session, team_id=team_id, user_id=user_id, meta=metadata(view), answer=answer
        )
    if problem:
        ack(response_action="errors", errors={loop_ui.QUESTION_BLOCK: problem})
        return
    ack()
    keep_answer(client, deps, team_id=team_id, user_id=user_id, meta=metadata(view), answer=answer)


def on_circle_answer(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """*Answer privately* under a peer circle's question: the reflection form, for this person only."""
    ack()
    programme_text, _, question_id = action_value(body).partition("|")
    with deps_of(context).db.session() as session:
        found = secondloop.circle_question(
            session=session,
            team_id=team_of(body, context),
            user_id=user_of(body),
            programme_id=int_or_none(programme_text),
            question_id=question_id,
        )
    if isinstance(found, str):
        tell(client, body, found)
        return
    programme, question = found
    view = loop_ui.reflect_modal(programme.id or 0, programme.name, question)
    open_modal_for(client, body, view)


def on_share(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """*Share as a growth thread*: the growth-thread form, filled with the author's own answer."""
    ack()
    deps, team_id, user_id = deps_of(context), team_of(body, context), user_of(body)
    with deps.db.session() as session:
        answer = secondloop.own_answer(
            session=session, team_id=team_id, user_id=user_id, reflection_id=int_or_none(action_value(body))
        )
    if answer is None:
        tell(client, body, "Only the author of a reflection can share it.")
        return
    problem = open_growth(
        client, deps, team_id=team_id, user_id=user_id, trigger_id=str(body.get("trigger_id") or ""), learned=answer
    )
    if problem:
        tell(client, body, problem)


def register(app: App) -> None:
    app.view(loop_ui.REFLECT_CALLBACK)(on_submit)
    app.action(loop_ui.SHARE_ACTION)(on_share)
    app.action(loop_ui.CIRCLE_ACTION)(on_circle_answer)

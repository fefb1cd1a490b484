"""Logging a check-in from the room's "Log a check-in" button."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any, NamedTuple

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from blocks import checkins as checkin_ui
from blocks import matching as match_ui
from blocks import roadmaps as roadmap_ui
from blocks import secondloop as loop_ui
from gateway.slack import send_dm, workspace_admin_ids
from handlers.common import (
    action_value,
    int_or_none,
    metadata,
    open_modal_for,
    selected_all,
    state_value,
    submission_key,
    team_of,
    tell,
    user_of,
)
from handlers.deps import Deps, deps_of
from handlers.secondloop import keep_answer
from mentoring import checkins, secondloop
from mentoring.prompting import suggest_for
from mentoring.roadmaps import open_milestones, tick_from_checkin
from store.models import Match, Programme
from store.types import utcnow

logger = logging.getLogger(__name__)

MAX_OTHER_TOPICS = 5
MAX_TOPIC = 60


class Clicked(NamedTuple):
    deps: Deps
    match: Match
    programme: Programme
    member_ids: list[str]


def clicked_match(ack: Ack, body: dict[str, Any], client: WebClient, context: Any, refusal: str) -> Clicked | None:
    """Ack a click on a button that names a match; the match if the signed clicking person is in it and it is
    active, else the person is told `refusal` and None comes back."""
    ack()
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    with deps.db.session() as session:
        found = checkins.active_match_of(
            session=session, team_id=team_id, user_id=user_id, match_id=int_or_none(action_value(body))
        )
    if found is None or found.programme is None:
        tell(client, body, refusal)
        return None
    return Clicked(deps, found.match, found.programme, found.member_ids)


def answered(deps: Deps, match: Match, user_id: str) -> None:
    """The person answered a check-in: the count of check-ins they left unanswered starts again."""
    with deps.db.begin() as session:
        checkins.answered(session=session, match=match, user_id=user_id)


def on_not_yet(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """'Not yet': no blame; a question to start with when they do meet, and the next check-in comes as usual."""
    clicked = clicked_match(ack, body, client, context, "That check-in belongs to a match that has ended.")
    if clicked is None:
        return
    deps, match, _programme, _ = clicked
    answered(deps, match, user_of(body))
    found = suggest_for(deps.db, deps.llm, team_id=match.team_id, user_id=user_of(body))
    prompt = found[0].prompts[0] if found and found[0].prompts else None
    tell(client, body, checkin_ui.not_yet_answer(prompt), replace=True)


def on_need_help(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """'We need help': the programme admins hear about it, with the pair's context and no private notes."""
    clicked = clicked_match(ack, body, client, context, "That check-in belongs to a match that has ended.")
    if clicked is None:
        return
    deps, match, programme, ids = clicked
    answered(deps, match, user_of(body))
    user_id = user_of(body)
    workspace_admins = workspace_admin_ids(client)
    with deps.db.session() as session:
        admins, logged = checkins.help_request(session=session, match=match, workspace_admins=workspace_admins)
    text = checkin_ui.help_request_dm(user_id, programme.name, ids, released_at=match.released_at, logged=logged)
    for admin in admins:
        send_dm(client, admin, text)
    tell(
        client,
        body,
        "Thanks for saying so. I've let your programme admins know; one of them will reach out.",
        replace=True,
    )


def on_checkin_button(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    clicked = clicked_match(
        ack, body, client, context, "That button belongs to a match you're not in (or one that has ended)."
    )
    if clicked is None:
        return
    deps, match, programme, _ = clicked
    answered(deps, match, user_of(body))
    view = checkin_ui.checkin_modal(match, programme, utcnow().date())
    view["blocks"] += roadmap_ui.checkin_milestones_blocks(open_milestones(deps.db, match_id=match.id or 0))
    with deps.db.session() as session:
        question = secondloop.due(session=session, programme=programme, user_id=user_of(body), now=utcnow())
    open_modal_for(client, body, loop_ui.with_question(view, question))


def on_checkin_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any) -> None:
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    with deps.db.session() as session:
        found = checkins.named_match(session=session, match_id=int_or_none(metadata(view).get("match_id")))
    entry, errors = _checkin_entry(view, found, team_id=team_id, user_id=user_id)
    if entry is None or found is None:
        ack(response_action="errors", errors=errors)
        return
    ack()
    match_id = found.match.id or 0
    with deps.db.begin() as session:
        logged = checkins.log_checkin(
            session=session,
            team_id=team_id,
            match_id=match_id,
            author_id=user_id,
            members=found.member_ids,
            entry=entry,
            now=utcnow(),
            slack_key=submission_key(view),
        )
    if not logged:
        return  # the same submission, sent again: already logged and shared
    tick_from_checkin(deps.db, team_id=team_id, user_id=user_id, match_id=match_id, ticked=checkin_ticks(view))
    settle_checkin_dms(client, deps, match_id=match_id, author=user_id)
    if found.match.room_id:
        _share_in_room(client, found.match.room_id, *checkin_ui.checkin_shared(user_id, entry, match_id))
    _keep_reflection(client, deps, view, found, team_id=team_id, user_id=user_id)


def _keep_reflection(
    client: WebClient, deps: Deps, view: dict[str, Any], found: checkins.NamedMatch, *, team_id: str, user_id: str
) -> None:
    """The second-loop question, when the form asked it and the person answered: kept privately."""
    answer = str(state_value(view, loop_ui.QUESTION_BLOCK).get("value") or "")
    question = metadata(view).get("question")
    if question and answer.strip():
        meta = {"question": question, "programme_id": found.match.programme_id}
        keep_answer(client, deps, team_id=team_id, user_id=user_id, meta=meta, answer=answer)


def _checkin_entry(
    view: dict[str, Any], found: checkins.NamedMatch | None, *, team_id: str, user_id: str
) -> tuple[checkins.Entry | None, dict[str, str]]:
    """The check-in a submitted modal describes, or None and the errors to show inline."""
    errors: dict[str, str] = {}
    met_on = _met_on(view, errors)
    duration = int_or_none(state_value(view, "duration").get("value"))
    if duration is None or not 5 <= duration <= 480:
        errors["duration"] = "A whole number of minutes from 5 to 480."
    usefulness = int_or_none((state_value(view, "usefulness").get("selected_option") or {}).get("value"))
    if usefulness is None or not 1 <= usefulness <= 5:
        errors["usefulness"] = "Pick how useful it was."
    texts = {k: str(state_value(view, k).get("value") or "").strip() for k in ("learned", "next_step", "reflection")}
    for key, value in texts.items():
        if len(value) > checkin_ui.MAX_TEXT:
            errors[key] = f"At most {checkin_ui.MAX_TEXT} characters."
    if len(str(state_value(view, loop_ui.QUESTION_BLOCK).get("value") or "").strip()) > secondloop.MAX_ANSWER:
        errors[loop_ui.QUESTION_BLOCK] = f"At most {secondloop.MAX_ANSWER} characters."
    if found is None or not found.has(team_id=team_id, user_id=user_id):
        errors = {"met_on": "This check-in belongs to a match you're not in."}
    topics = _topics(view, found.programme if found is not None else None, errors)
    if errors or duration is None or usefulness is None:
        return None, errors
    return checkins.Entry(
        met_on, duration, topics, usefulness, texts["learned"], texts["next_step"], texts["reflection"]
    ), errors


def _met_on(view: dict[str, Any], errors: dict[str, str]) -> date:
    try:
        met_on = date.fromisoformat(str(state_value(view, "met_on").get("selected_date") or ""))
    except ValueError:
        met_on = utcnow().date()
        errors["met_on"] = "Pick the day you met."
    if met_on > utcnow().date():
        errors["met_on"] = "That day hasn't happened yet."
    return met_on


def _topics(view: dict[str, Any], programme: Programme | None, errors: dict[str, str]) -> list[str]:
    """The topics picked from the programme's skills, then the other topics typed in, once each."""
    topics = [str(o.get("value")) for o in state_value(view, "topics").get("selected_options") or []]
    if programme is not None and any(t not in programme.skills for t in topics):
        errors["topics"] = "Pick topics from the list."
    other = [" ".join(t.split()) for t in str(state_value(view, "other_topics").get("value") or "").split(",")]
    other = [t for t in other if t]
    if len(other) > MAX_OTHER_TOPICS or any(len(t) > MAX_TOPIC for t in other):
        errors["other_topics"] = f"Up to {MAX_OTHER_TOPICS} topics of at most {MAX_TOPIC} characters each."
    return list(dict.fromkeys([*topics, *other]))


def _share_in_room(client: WebClient, room_id: str, text: str, blocks: list[dict[str, Any]]) -> None:
    try:
        client.chat_postMessage(channel=room_id, text=text, blocks=blocks)
    except SlackApiError as error:
        logger.error("could not share a check-in in the room: %s", error.response.get("error"))


def settle_checkin_dms(client: WebClient, deps: Deps, *, match_id: int, author: str) -> None:
    """One logged check-in counts for the pair: DMs already sent now say so, ones not yet sent are dropped."""
    with deps.db.begin() as session:
        updates = checkins.settle_checkin_dms(session=session, match_id=match_id)
    text, blocks = checkin_ui.checkin_settled(author)
    for channel, ts in updates:
        try:
            client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
        except SlackApiError as error:
            logger.info("could not update a check-in DM: %s", error.response.get("error"))


def register(app: App) -> None:
    app.action(match_ui.CHECKIN_ACTION)(on_checkin_button)
    app.action(checkin_ui.YES_ACTION)(on_checkin_button)
    app.action(checkin_ui.NOT_YET_ACTION)(on_not_yet)
    app.action(checkin_ui.HELP_ACTION)(on_need_help)
    app.view(checkin_ui.CHECKIN_CALLBACK)(on_checkin_submit)


def checkin_ticks(view: dict[str, Any]) -> set[int]:
    """The ids of the milestones ticked in a submitted check-in modal."""
    ticked = (int_or_none(value) for value in selected_all(view, roadmap_ui.CHECKIN_MILESTONES_BLOCK))
    return {i for i in ticked if i is not None}

"""Logging a check-in from the room's "Log a check-in" button."""

from __future__ import annotations

import json
import logging
from datetime import date
from typing import Any, NamedTuple

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from blocks import checkins as checkin_ui
from blocks import matching as match_ui
from blocks import roadmaps as roadmap_ui
from blocks.common import mrkdwn_section, option, plain
from blocks.text import escape, quote
from gateway.slack import send_dm, workspace_admin_ids
from handlers.common import (
    action_value,
    int_or_none,
    metadata,
    open_modal_for,
    selected_all,
    state_value,
    team_of,
    tell,
    user_of,
)
from handlers.deps import deps_of
from mentoring import matching
from store.models import (
    CheckIn,
    Match,
    MatchStatus,
    Participant,
    Programme,
)
from store.types import utcnow

logger = logging.getLogger(__name__)

CHECKIN_CALLBACK = "checkin_submit"
MAX_TEXT = 1000
MAX_OTHER_TOPICS = 5
MAX_TOPIC = 60


def checkin_modal(match: Match, programme: Programme, today: date) -> dict[str, Any]:
    def text_input(block_id: str, label: str, hint: str | None = None) -> dict[str, Any]:
        block: dict[str, Any] = {
            "type": "input",
            "block_id": block_id,
            "optional": True,
            "label": plain(label),
            "element": {"type": "plain_text_input", "action_id": "value", "multiline": True, "max_length": MAX_TEXT},
        }
        if hint:
            block["hint"] = plain(hint, 2000)
        return block

    return {
        "type": "modal",
        "callback_id": CHECKIN_CALLBACK,
        "private_metadata": json.dumps({"match_id": match.id}),
        "title": plain("Log a check-in", 24),
        "submit": plain("Save", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            {
                "type": "input",
                "block_id": "met_on",
                "label": plain("When did you meet?"),
                "element": {"type": "datepicker", "action_id": "value", "initial_date": today.isoformat()},
            },
            {
                "type": "input",
                "block_id": "duration",
                "label": plain("For how long (minutes)?"),
                "element": {
                    "type": "number_input",
                    "action_id": "value",
                    "is_decimal_allowed": False,
                    "min_value": "5",
                    "max_value": "480",
                    "initial_value": "30",
                },
            },
            {
                "type": "input",
                "block_id": "topics",
                "optional": True,
                "label": plain("Topics"),
                "element": {
                    "type": "multi_static_select",
                    "action_id": "value",
                    "options": [option(s, s) for s in programme.skills[:100]],
                    "max_selected_items": 10,
                },
            },
            {
                "type": "input",
                "block_id": "other_topics",
                "optional": True,
                "label": plain("Other topics"),
                "hint": plain("Anything else you talked about, separated by commas.", 2000),
                "element": {"type": "plain_text_input", "action_id": "value", "max_length": 300},
            },
            {
                "type": "input",
                "block_id": "usefulness",
                "label": plain("How useful was it?"),
                "element": {
                    "type": "radio_buttons",
                    "action_id": "value",
                    "options": [
                        option(label, str(n))
                        for n, label in enumerate(
                            ("Not useful", "A little", "Useful", "Very useful", "Excellent"), start=1
                        )
                    ],
                },
            },
            text_input("learned", "What I learned"),
            text_input("next_step", "Next step"),
            text_input(
                "reflection", "Private reflection", "Only you will ever see this: not your partner, not admins."
            ),
        ],
    }


def _match_for(deps: Any, body: dict[str, Any], context: Any) -> tuple[Match | None, Programme | None, list[str]]:
    """The match a button names, if the signed clicking person is in it and it is active."""
    team_id, user_id = team_of(body, context), user_of(body)
    with deps.db.session() as session:
        match = session.get(Match, int_or_none(action_value(body)) or -1)
        ids = [m.slack_user_id for m in matching.members(session=session, match_id=match.id or 0)] if match else []
        ok = match is not None and match.team_id == team_id and match.status == MatchStatus.ACTIVE.value
        programme = session.get(Programme, match.programme_id) if match is not None and ok else None
    if match is None or programme is None or user_id not in ids:
        return None, None, []
    return match, programme, ids


class Clicked(NamedTuple):
    deps: Any
    match: Match
    programme: Programme
    member_ids: list[str]


def clicked_match(ack: Ack, body: dict[str, Any], client: WebClient, context: Any, refusal: str) -> Clicked | None:
    """Ack a click on a button that names a match; the match if the signed clicking person is in it and it is
    active, else the person is told `refusal` and None comes back."""
    ack()
    deps = deps_of(context)
    match, programme, ids = _match_for(deps, body, context)
    if match is None or programme is None:
        tell(client, body, refusal)
        return None
    return Clicked(deps, match, programme, ids)


def on_not_yet(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """'Not yet': no blame; a question to start with when they do meet, and the next check-in comes as usual."""
    clicked = clicked_match(ack, body, client, context, "That check-in belongs to a match that has ended.")
    if clicked is None:
        return
    deps, match, _programme, _ = clicked
    answered(deps, match, user_of(body))
    from mentoring.prompting import suggest_for

    found = suggest_for(deps.db, deps.llm, team_id=match.team_id, user_id=user_of(body))
    prompt = found[0].prompts[0] if found and found[0].prompts else "What has changed for you since you last talked?"
    tell(
        client,
        body,
        "No problem: life gets busy. When you do meet, here's a question to start with:\n> "
        + prompt
        + "\nI'll ask again at the next check-in.",
        replace=True,
    )


def on_need_help(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """'We need help': the programme admins hear about it, with the pair's context and no private notes."""
    clicked = clicked_match(ack, body, client, context, "That check-in belongs to a match that has ended.")
    if clicked is None:
        return
    deps, match, programme, ids = clicked
    answered(deps, match, user_of(body))
    from mentoring.access import programme_admin_ids

    user_id = user_of(body)
    with deps.db.session() as session:
        admins = programme_admin_ids(
            session, team_id=match.team_id, programme_id=programme.id or 0, workspace_admins=workspace_admin_ids(client)
        )
        logged = len(session.exec(select(CheckIn).where(CheckIn.match_id == match.id)).all())
    pair = ", ".join(f"<@{i}>" for i in ids)
    for admin in admins:
        send_dm(
            client,
            admin,
            f"<@{user_id}> asked for help with their match in *{escape(programme.name)}* ({pair}). "
            f"Matched {match.released_at.date().isoformat() if match.released_at else 'recently'}; "
            f"{logged} check-in{'s' if logged != 1 else ''} logged. A short message to them goes a long way.",
        )
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
    from blocks.roadmaps import checkin_milestones_blocks
    from mentoring.roadmaps import open_milestones

    view = checkin_modal(match, programme, utcnow().date())
    view["blocks"] += checkin_milestones_blocks(open_milestones(deps.db, match_id=match.id or 0))
    open_modal_for(client, body, view)


def on_checkin_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any) -> None:
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    errors: dict[str, str] = {}
    try:
        met_on = date.fromisoformat(str(state_value(view, "met_on").get("selected_date") or ""))
    except ValueError:
        met_on = utcnow().date()
        errors["met_on"] = "Pick the day you met."
    if met_on > utcnow().date():
        errors["met_on"] = "That day hasn't happened yet."
    duration = int_or_none(state_value(view, "duration").get("value"))
    if duration is None or not 5 <= duration <= 480:
        errors["duration"] = "A whole number of minutes from 5 to 480."
    usefulness = int_or_none((state_value(view, "usefulness").get("selected_option") or {}).get("value"))
    if usefulness is None or not 1 <= usefulness <= 5:
        errors["usefulness"] = "Pick how useful it was."
    texts = {k: str(state_value(view, k).get("value") or "").strip() for k in ("learned", "next_step", "reflection")}
    for key, value in texts.items():
        if len(value) > MAX_TEXT:
            errors[key] = f"At most {MAX_TEXT} characters."
    with deps.db.session() as session:
        match = session.get(Match, int_or_none(metadata(view).get("match_id")) or -1)
        members = matching.members(session=session, match_id=match.id or 0) if match is not None else []
        programme = session.get(Programme, match.programme_id) if match is not None else None
    if (
        match is None
        or programme is None
        or match.team_id != team_id
        or user_id not in {m.slack_user_id for m in members}
    ):
        errors = {"met_on": "This check-in belongs to a match you're not in."}
    topics = [str(o.get("value")) for o in state_value(view, "topics").get("selected_options") or []]
    if programme is not None and any(t not in programme.skills for t in topics):
        errors["topics"] = "Pick topics from the list."
    other = [" ".join(t.split()) for t in str(state_value(view, "other_topics").get("value") or "").split(",")]
    other = [t for t in other if t]
    if len(other) > MAX_OTHER_TOPICS or any(len(t) > MAX_TOPIC for t in other):
        errors["other_topics"] = f"Up to {MAX_OTHER_TOPICS} topics of at most {MAX_TOPIC} characters each."
    topics = list(dict.fromkeys([*topics, *other]))
    if errors or match is None or duration is None or usefulness is None:
        ack(response_action="errors", errors=errors)
        return
    with deps.db.begin() as session:
        record_checkin(session, match_id=match.id or 0, members=[m.slack_user_id for m in members])
        session.add(
            CheckIn(
                team_id=team_id,
                match_id=match.id or 0,
                author_id=user_id,
                met_on=met_on,
                duration_minutes=duration,
                topics=topics,
                usefulness=usefulness,
                learned=texts["learned"],
                next_step=texts["next_step"],
                private_reflection=texts["reflection"],
            )
        )
    ack()
    from mentoring.roadmaps import tick_from_checkin

    tick_from_checkin(deps.db, team_id=team_id, user_id=user_id, match_id=match.id or 0, ticked=checkin_ticks(view))
    settle_checkin_dms(client, deps, match_id=match.id or 0, author=user_id)
    if match.room_id:
        lines = [f"<@{user_id}> logged your check-in: met on {met_on.isoformat()} for {duration} minutes."]
        if topics:
            lines.append("*Topics:* " + ", ".join(escape(t) for t in topics))
        if texts["learned"]:
            lines.append("*What I learned:*\n" + quote(texts["learned"]))
        if texts["next_step"]:
            lines.append("*Next step:*\n" + quote(texts["next_step"]))
        try:
            client.chat_postMessage(channel=match.room_id, text=lines[0], blocks=[mrkdwn_section("\n".join(lines))])
        except SlackApiError as error:
            logger.error("could not share a check-in in the room: %s", error.response.get("error"))


def answered(deps: Any, match: Match, user_id: str) -> None:
    """The person answered a check-in: the count of check-ins they left unanswered starts again."""
    with deps.db.begin() as session:
        reset_unanswered(session, programme_id=match.programme_id, user_ids=[user_id])


def reset_unanswered(session: Session, *, programme_id: int, user_ids: list[str]) -> None:
    session.execute(
        update(Participant)
        .where(col(Participant.programme_id) == programme_id, col(Participant.slack_user_id).in_(user_ids))
        .values(unanswered_checkins=0)
        .execution_options(synchronize_session=False)
    )


def record_checkin(session: Session, *, match_id: int, members: list[str]) -> None:
    """A check-in counts for the whole match: its quiet stretch ends and nobody's check-ins are unanswered."""
    match = session.get(Match, match_id)
    if match is None:
        return
    match.last_checkin_at = utcnow()
    session.add(match)
    reset_unanswered(session, programme_id=match.programme_id, user_ids=members)


SETTLED_KINDS = ("checkin", "nudge", "ask_pause")
"""Messages a logged check-in makes moot: not yet sent, they are dropped; sent check-in DMs say it's done."""


def settle_checkin_dms(client: WebClient, deps: Any, *, match_id: int, author: str) -> None:
    """One logged check-in counts for the pair: DMs already sent now say so, ones not yet sent are dropped."""
    from store.models import OutboxMessage, OutboxStatus

    updates = []
    with deps.db.begin() as session:
        rows = session.exec(
            select(OutboxMessage).where(
                or_(*(col(OutboxMessage.key).startswith(f"{kind}:{match_id}:") for kind in SETTLED_KINDS))
            )
        ).all()
        for row in rows:
            if row.status == OutboxStatus.PENDING.value:
                row.status = OutboxStatus.SKIPPED.value
                row.last_error = "check-in already logged"
                session.add(row)
            elif (
                row.kind == "checkin"
                and row.status == OutboxStatus.SENT.value
                and row.slack_ts
                and row.slack_channel
                and row.payload.get("open", True)
            ):
                updates.append((row.slack_channel, row.slack_ts))
                row.payload = {**row.payload, "open": False}
                session.add(row)
    text = f":white_check_mark: <@{author}> logged your check-in. Thank you both!"
    for channel, ts in updates:
        try:
            client.chat_update(channel=channel, ts=ts, text=text, blocks=[mrkdwn_section(text)])
        except SlackApiError as error:
            logger.info("could not update a check-in DM: %s", error.response.get("error"))


def register(app: App) -> None:
    app.action(match_ui.CHECKIN_ACTION)(on_checkin_button)
    app.action(checkin_ui.YES_ACTION)(on_checkin_button)
    app.action(checkin_ui.NOT_YET_ACTION)(on_not_yet)
    app.action(checkin_ui.HELP_ACTION)(on_need_help)
    app.view(CHECKIN_CALLBACK)(on_checkin_submit)


def checkin_ticks(view: dict[str, Any]) -> set[int]:
    """The ids of the milestones ticked in a submitted check-in modal."""
    ticked = (int_or_none(value) for value in selected_all(view, roadmap_ui.CHECKIN_MILESTONES_BLOCK))
    return {i for i in ticked if i is not None}

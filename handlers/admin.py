"""Programme admins: `/mentor admin`, the programme modal, participants, lifecycle and admin grants."""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from blocks import admin as admin_ui
from blocks import home as home_ui
from blocks.text import escape
from gateway.slack import send_dm, user_profile
from handlers.common import (
    Invocation,
    access_of,
    action_value,
    admin_click,
    int_or_none,
    metadata,
    open_modal_for,
    programme_for_admin,
    state_value,
    team_of,
    tell,
    user_of,
)
from handlers.deps import Deps, deps_of
from handlers.home import publish_home
from handlers.matching import present_round
from mentoring import matching, programmes
from mentoring.access import REFUSAL
from mentoring.home import AdminArea, admin_area
from mentoring.programmes import DigestAnswers, ProgrammeAnswers, TransitionError
from store import queries
from store.db import Session
from store.models import ParticipantStatus, Programme, ProgrammeStatus
from store.types import utcnow

logger = logging.getLogger(__name__)


def _admin_area(client: WebClient, session: Session, *, team_id: str, user_id: str) -> AdminArea | None:
    """The admin panel's model for this person, or None if they are not an admin of anything."""
    access = access_of(client, session, team_id=team_id, user_id=user_id)
    return admin_area(session=session, team_id=team_id, access=access, now=utcnow())


def _refresh(client: WebClient, deps: Deps, body: dict[str, Any], *, team_id: str, user_id: str) -> None:
    """Show the admin the panel as it is now: in place of the ephemeral panel, or in App Home."""
    if body.get("response_url"):
        with deps.db.session() as session:
            area = _admin_area(client, session, team_id=team_id, user_id=user_id)
        if area is not None:
            text, blocks = admin_ui.admin_message(home_ui.admin_area_blocks(area))
            tell(client, body, text, replace=True, blocks=blocks)
    else:
        publish_home(client, deps, team_id=team_id, user_id=user_id)


def admin_command(inv: Invocation) -> None:
    deps = deps_of(inv.context)
    with deps.db.begin() as session:
        area = _admin_area(inv.client, session, team_id=inv.team_id, user_id=inv.user_id)
    if area is None:
        inv.respond(text=REFUSAL, response_type="ephemeral")
        return
    text, blocks = admin_ui.admin_message(home_ui.admin_area_blocks(area))
    inv.respond(text=text, blocks=blocks, response_type="ephemeral")


def on_new_programme(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    with deps.db.session() as session:
        access = access_of(client, session, team_id=team_id, user_id=user_id)
    if not access.can_create():
        tell(client, body, REFUSAL)
        return
    view = admin_ui.programme_modal(None, default_skills=queries.DEFAULT_SKILLS)
    open_modal_for(client, body, view)


def on_edit_programme(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    clicked = admin_click(ack, body, client, context)
    if clicked is None:
        return
    _deps, programme = clicked
    view = admin_ui.programme_modal(programme, default_skills=queries.DEFAULT_SKILLS)
    open_modal_for(client, body, view)


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def programme_answers(view: dict[str, Any]) -> ProgrammeAnswers:
    def text(block_id: str) -> str:
        return str(state_value(view, block_id).get("value") or "")

    def chosen(block_id: str) -> str | None:
        selected = state_value(view, block_id).get("selected_option")
        value = selected.get("value") if isinstance(selected, dict) else None
        return str(value) if value is not None else None

    def ticked(block_id: str) -> bool:
        options = state_value(view, block_id).get("selected_options") or []
        return isinstance(options, list) and any(isinstance(o, dict) and o.get("value") == "yes" for o in options)

    return ProgrammeAnswers(
        name=text("name"),
        objectives=text("objectives"),
        kind=chosen("kind"),
        cycle_days=text("cycle_days") or None,
        cadence=chosen("cadence"),
        skills=text("skills"),
        channel_id=_str_or_none(state_value(view, "channel").get("selected_conversation")),
        mentors_channel_id=_str_or_none(state_value(view, "mentors_channel").get("selected_conversation")),
        enrolment_open=ticked("enrolment"),
        enrolment_deadline=_str_or_none(state_value(view, "enrolment_deadline").get("selected_date")),
        eligibility=text("eligibility"),
        group_question=text("group_question"),
        offices=text("offices"),
        departments=text("departments"),
        pair_preference=chosen("pair_preference"),
        matching=chosen("matching"),
        request_days=chosen("request_days"),
        requires_approval=ticked("approval"),
        llm_enabled=ticked("llm"),
        requires_training=ticked("training"),
        circle_size=text("circle_size") or None,
        max_capacity=text("max_capacity") or None,
        checkin_days=tuple(
            str(o.get("value"))
            for o in state_value(view, "checkin_days").get("selected_options") or []
            if isinstance(o, dict)
        ),
        checkin_start_hour=chosen("checkin_start_hour"),
        checkin_end_hour=chosen("checkin_end_hour"),
    )


def digest_answers(view: dict[str, Any]) -> DigestAnswers:
    def chosen(block_id: str) -> str | None:
        selected = state_value(view, block_id).get("selected_option")
        return str(selected.get("value")) if isinstance(selected, dict) and selected.get("value") is not None else None

    return DigestAnswers(
        weekday=chosen("digest_weekday"),
        hour=chosen("digest_hour"),
        timezone=_str_or_none(state_value(view, "timezone").get("value")),
    )


def on_programme_save(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any) -> None:
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    meta = metadata(view)
    with deps.db.begin() as session:
        saved = programmes.save_programme(
            session=session,
            team_id=team_id,
            user_id=user_id,
            access=access_of(client, session, team_id=team_id, user_id=user_id),
            editing=meta.get("programme_id") is not None,
            programme_id=int_or_none(meta.get("programme_id")),
            answers=programme_answers(view),
            digest=digest_answers(view),
            now=utcnow(),
        )
    if saved.programme is None:
        ack(response_action="errors", errors=saved.errors)
        return
    ack()
    join_new_channels(client, saved, admin_id=user_id)
    publish_home(client, deps, team_id=team_id, user_id=user_id)


def join_new_channels(client: WebClient, saved: programmes.Saved, *, admin_id: str) -> None:
    """The bot joins the programme's channel and mentors' channel when they are new to it."""
    programme = saved.programme
    assert programme is not None
    if programme.channel_id and programme.channel_id != saved.previous_channel:
        join_programme_channel(client, programme, admin_id=admin_id)
    if programme.mentors_channel_id and programme.mentors_channel_id not in (
        saved.previous_mentors_channel,
        programme.channel_id,
    ):
        join_programme_channel(client, programme, admin_id=admin_id, mentors=True)


def join_programme_channel(client: WebClient, programme: Programme, *, admin_id: str, mentors: bool = False) -> None:
    """The bot joins the programme channel (or, `mentors`, its mentors' channel); a private one needs an
    invitation, so the admin is asked."""
    channel = programme.mentors_channel_id if mentors else programme.channel_id
    assert channel is not None
    purpose = "welcome new mentors and post the mentors' circle" if mentors else "post digests and growth threads"
    try:
        client.conversations_join(channel=channel)
    except SlackApiError as error:
        code = error.response.get("error")
        logger.info("could not join the programme channel: %s", code, extra={"channel": channel})
        send_dm(
            client,
            admin_id,
            f"I couldn't join <#{channel}> by myself ({code}). To {purpose} of *{escape(programme.name)}* "
            f"there, invite me: type `/invite @mentor-bot` in that channel.",
        )


def summarise(participants: list[Any], programme: Programme, matched: set[str]) -> admin_ui.ParticipantSummary:
    summary = admin_ui.ParticipantSummary(forgotten=sum(programme.forgotten.values()))
    current = [p for p in participants if p.status != ParticipantStatus.LEFT.value]
    summary.total = len(current)
    summary.by_role = dict(Counter(p.role for p in current))
    summary.by_department = dict(Counter(p.department for p in current))
    summary.by_status = dict(Counter(p.status for p in participants))
    summary.waiting = [
        p.slack_user_id
        for p in current
        if p.status == ParticipantStatus.ACTIVE.value and p.slack_user_id not in matched and p.role != "mentor"
    ]
    summary.mentors_with_room = [
        p.slack_user_id
        for p in current
        if p.status == ParticipantStatus.ACTIVE.value and p.role == "mentor" and p.slack_user_id not in matched
    ]
    summary.paused = [(p.slack_user_id, p.paused_until) for p in current if p.status == ParticipantStatus.PAUSED.value]
    summary.left = [p.slack_user_id for p in participants if p.status == ParticipantStatus.LEFT.value]
    summary.invited = [p.slack_user_id for p in current if p.status == ParticipantStatus.INVITED.value]
    return summary


def on_participants(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    clicked = admin_click(ack, body, client, context)
    if clicked is None:
        return
    deps, programme = clicked
    assert programme.id is not None
    with deps.db.session() as session:
        rows = queries.programme_participants(session=session, team_id=programme.team_id, programme_id=programme.id)
        matched = {
            m.slack_user_id
            for _, group in matching.active_matches(session=session, programme_id=programme.id)
            for m in group
        }
    view = admin_ui.participants_modal(programme, summarise(rows, programme, matched))
    open_modal_for(client, body, view)


def _lifecycle_request(raw: str) -> tuple[int, str] | None:
    """The lifecycle button's value: (programme id, status to move to); None when it is not shaped like ours."""
    try:
        request = json.loads(raw)
        return int(request["programme_id"]), str(request["to"])
    except (ValueError, KeyError, TypeError):
        return None


def on_lifecycle(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    request = _lifecycle_request(action_value(body))
    if request is None:
        tell(client, body, "That button is out of date. Run `/mentor admin` again.")
        return
    programme_id, to = request
    programme, refusal = programme_for_admin(client, deps, body, programme_id)
    if programme is None:
        tell(client, body, refusal or REFUSAL)
        return
    try:
        with deps.db.begin() as session:
            moved = programmes.move_programme(
                session=session, team_id=team_id, actor_id=user_id, programme_id=programme_id, to=to, now=utcnow()
            )
    except TransitionError as refused:
        tell(client, body, str(refused))
        return
    for person in moved.invited:
        send_dm(client, person, *admin_ui.opt_in_message(moved.programme))
    if to == ProgrammeStatus.ACTIVE.value:
        # A cycle starts with its first round of matches: previewed for approval, or released at once.
        present_round(client, deps, body, moved.programme)
    _refresh(client, deps, body, team_id=team_id, user_id=user_id)


def on_grant(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    clicked = admin_click(ack, body, client, context)
    if clicked is None:
        return
    _deps, programme = clicked
    open_modal_for(client, body, admin_ui.grant_modal(programme))


def _programme_to_grant(
    client: WebClient, deps: Deps, view: dict[str, Any], *, team_id: str, user_id: str
) -> tuple[Programme | None, str]:
    """The programme the grant form is about, if this person administers it; else why not."""
    with deps.db.session() as session:
        programme = queries.get_programme(
            session=session, team_id=team_id, programme_id=int_or_none(metadata(view).get("programme_id"))
        )
        access = access_of(client, session, team_id=team_id, user_id=user_id)
    if programme is None or not access.can_admin(programme.id):
        return None, REFUSAL if programme else "That programme doesn't exist."
    return programme, ""


def on_grant_save(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any) -> None:
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    grantee = str(state_value(view, "admin").get("selected_user") or "")
    programme, refusal = _programme_to_grant(client, deps, view, team_id=team_id, user_id=user_id)
    if programme is None:
        ack(response_action="errors", errors={"admin": refusal})
        return
    profile = user_profile(client, grantee) if grantee else None
    if profile is None or profile.deleted or profile.is_bot:
        ack(response_action="errors", errors={"admin": "Pick a person in this workspace."})
        return
    assert programme.id is not None
    with deps.db.begin() as session:
        added = programmes.add_admin(
            session=session, team_id=team_id, programme_id=programme.id, grantee=grantee, granted_by=user_id
        )
    ack()
    if added:
        send_dm(
            client,
            grantee,
            f"<@{user_id}> made you an admin of *{escape(programme.name)}*. Type `/mentor admin` to manage it.",
        )


def on_opt_in(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """'Count me in' on the new-cycle invitation: the person's own membership, from the signed user id."""
    ack()
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    programme_id = int_or_none(action_value(body))
    with deps.db.begin() as session:
        programme = queries.get_programme(session=session, team_id=team_id, programme_id=programme_id)
        changed = (
            queries.set_status(
                session=session,
                team_id=team_id,
                user_id=user_id,
                status=ParticipantStatus.ACTIVE,
                programme_id=programme.id,
                only_from=(ParticipantStatus.INVITED,),
            )
            if programme is not None
            else []
        )
    if programme is None:
        tell(client, body, "That programme doesn't exist any more.")
    elif changed:
        tell(client, body, f"You're in for the new cycle of *{escape(programme.name)}*. Welcome back!", replace=True)
    else:
        tell(client, body, f"There's nothing to opt in to in *{escape(programme.name)}* right now.")


def register(app: App) -> None:
    app.action(admin_ui.NEW_ACTION)(on_new_programme)
    app.action(admin_ui.EDIT_ACTION)(on_edit_programme)
    app.action(admin_ui.PARTICIPANTS_ACTION)(on_participants)
    app.action(re.compile(f"^{admin_ui.LIFECYCLE_ACTION}(:|$)"))(on_lifecycle)
    app.action(admin_ui.GRANT_ACTION)(on_grant)
    app.action(admin_ui.OPT_IN_ACTION)(on_opt_in)
    app.view(admin_ui.PROGRAMME_CALLBACK)(on_programme_save)
    app.view(admin_ui.GRANT_CALLBACK)(on_grant_save)

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
from sqlmodel import Session

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
from mentoring import matching
from mentoring.access import REFUSAL
from mentoring.checkins import replan
from mentoring.home import AdminArea, admin_area
from mentoring.insight import validate_digest_schedule
from mentoring.programmes import ProgrammeAnswers, TransitionError, plan_transition, validate_programme
from store import queries
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
        queries.ensure_default_programme(session=session, team_id=inv.team_id, name=deps.default_programme_name)
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
        requires_approval=ticked("approval"),
        llm_enabled=ticked("llm"),
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


def digest_schedule_answers(view: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    def chosen(block_id: str) -> str | None:
        selected = state_value(view, block_id).get("selected_option")
        return str(selected.get("value")) if isinstance(selected, dict) and selected.get("value") is not None else None

    return validate_digest_schedule(
        chosen("digest_weekday"), chosen("digest_hour"), _str_or_none(state_value(view, "timezone").get("value"))
    )


def on_programme_save(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any) -> None:
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    meta = metadata(view)
    programme_id = int_or_none(meta.get("programme_id"))
    today = utcnow().date()
    with deps.db.begin() as session:
        access = access_of(client, session, team_id=team_id, user_id=user_id)
        existing: Programme | None = None
        if meta.get("programme_id") is not None:  # editing: the id must name a programme of this workspace
            existing = queries.get_programme(session=session, team_id=team_id, programme_id=programme_id)
            if existing is None:
                ack(response_action="errors", errors={"name": "This programme doesn't exist in this workspace."})
                return
            allowed = access.can_admin(existing.id)
        else:
            allowed = access.can_create()
        if not allowed:
            ack(response_action="errors", errors={"name": REFUSAL})
            return
        form, errors = validate_programme(
            programme_answers(view),
            today=today,
            taken_names=queries.name_taken(session=session, team_id=team_id, exclude_id=programme_id),
        )
        schedule, schedule_errors = digest_schedule_answers(view)
        if form is None or schedule_errors:
            ack(response_action="errors", errors={**errors, **schedule_errors})
            return
        previous_channel = existing.channel_id if existing else None
        previous_mentors_channel = existing.mentors_channel_id if existing else None
        if existing is None:
            programme = Programme(
                team_id=team_id,
                slug=_unique_slug(session, team_id, form.name),
                status=ProgrammeStatus.DRAFT.value,
                **form.fields(),  # type: ignore[arg-type]
                **schedule,
            )
            session.add(programme)
            session.flush()
            assert programme.id is not None
            if not access.workspace_admin:
                queries.grant_admin(
                    session=session, team_id=team_id, programme_id=programme.id, user_id=user_id, granted_by=user_id
                )
            action = "programme.create"
            details: dict[str, Any] = {"name": form.name}
        else:
            programme = existing
            changed = {k: v for k, v in {**form.fields(), **schedule}.items() if getattr(programme, k) != v}
            for key, value in changed.items():
                setattr(programme, key, value)
            programme.updated_at = utcnow()
            session.add(programme)
            if changed.keys() & {"cadence", "checkin_days", "checkin_start_hour", "checkin_end_hour"}:
                replan(session, programme_id=programme.id)  # the check-in loop re-reads them on its next pass
            action = "programme.update"
            details = {"changed": sorted(changed)}
            if "group_question" in changed and not programme.group_question and programme.id is not None:
                # No longer asked: the answers already given are deleted.
                deleted = queries.clear_self_groups(session=session, programme_id=programme.id)
                details["group_answers_deleted"] = deleted
        queries.audit(
            session=session,
            team_id=team_id,
            actor_id=user_id,
            action=action,
            programme_id=programme.id,
            details=details,
        )
    ack()
    if programme.channel_id and programme.channel_id != previous_channel:
        join_programme_channel(client, programme, admin_id=user_id)
    if programme.mentors_channel_id and programme.mentors_channel_id not in (
        previous_mentors_channel,
        programme.channel_id,
    ):
        join_programme_channel(client, programme, admin_id=user_id, mentors=True)
    publish_home(client, deps, team_id=team_id, user_id=user_id)


def _unique_slug(session: Session, team_id: str, name: str) -> str:
    base = queries.slugify(name)
    taken = {p.slug for p in queries.programmes(session=session, team_id=team_id)}
    slug, n = base, 2
    while slug in taken:
        slug = f"{base[:75]}-{n}"
        n += 1
    return slug


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


def on_lifecycle(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    try:
        request = json.loads(action_value(body))
        programme_id, to = int(request["programme_id"]), str(request["to"])
    except (ValueError, KeyError, TypeError):
        tell(client, body, "That button is out of date. Run `/mentor admin` again.")
        return
    programme, refusal = programme_for_admin(client, deps, body, programme_id)
    if programme is None:
        tell(client, body, refusal or REFUSAL)
        return
    now = utcnow()
    invited: list[str] = []
    with deps.db.begin() as session:
        programme = session.get(Programme, programme_id)
        assert programme is not None
        try:
            move = plan_transition(
                status=programme.status,
                to=to,
                now=now,
                cycle_days=programme.cycle_days,
                cycle_number=programme.cycle_number,
            )
        except TransitionError as refused:
            tell(client, body, str(refused))
            return
        closing_cycle = programme.status == ProgrammeStatus.ACTIVE.value and to == ProgrammeStatus.CLOSED.value
        for key, value in move.changes.items():
            setattr(programme, key, value)
        programme.updated_at = now
        session.add(programme)
        if closing_cycle:
            matching.carry_over(session, programme_id=programme_id, now=now)
        if move.new_cycle:
            continuing: set[str] = set()
            for match, group in matching.active_matches(session=session, programme_id=programme_id):
                match.cycle_number = programme.cycle_number
                match.continue_votes = []
                match.plan_at = None
                session.add(match)
                continuing.update(m.slack_user_id for m in group)
            for participant in queries.programme_participants(
                session=session, team_id=team_id, programme_id=programme_id
            ):
                if participant.slack_user_id in continuing and participant.status == ParticipantStatus.ACTIVE.value:
                    continue  # goes on with their match: already in
                if participant.status in (ParticipantStatus.ACTIVE.value, ParticipantStatus.PAUSED.value):
                    participant.status = ParticipantStatus.INVITED.value
                    participant.paused_until = None
                    session.add(participant)
                    invited.append(participant.slack_user_id)
        queries.audit(
            session=session,
            team_id=team_id,
            actor_id=user_id,
            action="programme.lifecycle",
            programme_id=programme_id,
            details={"to": to, "cycle": programme.cycle_number},
        )
    for person in invited:
        text, blocks = admin_ui.opt_in_message(programme)
        send_dm(client, person, text, blocks)
    if to == ProgrammeStatus.ACTIVE.value:
        # A cycle starts with its first round of matches: previewed for approval, or released at once.
        from handlers.matching import present_round

        present_round(client, deps, body, programme)
    _refresh(client, deps, body, team_id=team_id, user_id=user_id)


def on_grant(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    clicked = admin_click(ack, body, client, context)
    if clicked is None:
        return
    _deps, programme = clicked
    open_modal_for(client, body, admin_ui.grant_modal(programme))


def on_grant_save(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any) -> None:
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    programme_id = int_or_none(metadata(view).get("programme_id"))
    grantee = str(state_value(view, "admin").get("selected_user") or "")
    with deps.db.session() as session:
        programme = queries.get_programme(session=session, team_id=team_id, programme_id=programme_id)
        access = access_of(client, session, team_id=team_id, user_id=user_id)
    if programme is None or not access.can_admin(programme.id):
        ack(response_action="errors", errors={"admin": REFUSAL if programme else "That programme doesn't exist."})
        return
    profile = user_profile(client, grantee) if grantee else None
    if profile is None or profile.deleted or profile.is_bot:
        ack(response_action="errors", errors={"admin": "Pick a person in this workspace."})
        return
    assert programme.id is not None
    with deps.db.begin() as session:
        added = queries.grant_admin(
            session=session, team_id=team_id, programme_id=programme.id, user_id=grantee, granted_by=user_id
        )
        if added:
            queries.audit(
                session=session,
                team_id=team_id,
                actor_id=user_id,
                action="programme.grant_admin",
                programme_id=programme.id,
                subject_id=grantee,
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

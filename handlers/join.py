"""Joining a programme: `/mentor join [programme]`, the programme picker, the join modal and App Home's join and
edit buttons."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from blocks import admin as admin_ui
from blocks import choosing as choose_ui
from blocks import common as ui
from blocks import home as home_ui
from blocks import skillgrowth as skill_ui
from blocks.text import escape, truncate
from gateway.slack import send_dm, user_profile, workspace_admin_ids
from handlers.common import Invocation, int_or_none, open_modal
from handlers.deps import Deps, deps_of
from handlers.home import publish_home
from mentoring import joining
from mentoring.choosing import CHOOSE
from mentoring.membership import JoinAnswers
from mentoring.roster import roster_entry
from mentoring.skillgrowth import rates_skills
from store import queries
from store.models import FollowUp, Programme, Role
from store.types import utcnow

logger = logging.getLogger(__name__)

SAVE_FAILED = "We couldn't save your answers just now, and nothing was changed. Please try again in a moment."


class JoinRefused(Exception):
    """The person cannot join what they asked for; the message says why, in their words."""


class NoProgrammeYet(JoinRefused):
    """The workspace has no programme at all: an admin has to create the first one."""

    def __init__(self) -> None:
        super().__init__(f"{admin_ui.NO_PROGRAMME_TEXT} Workspace admins and owners can create one.")


def choose_programme(
    deps: Deps,
    *,
    team_id: str,
    user_id: str,
    wanted: str,
    mine_only: bool = False,
    as_role: str | None = None,
    offering: Sequence[str] = (),
) -> tuple[ui.View, str | None]:
    """The modal to open for `/mentor join [wanted]` (or `/mentor profile`, `mine_only`): the join form, or a
    picker when several programmes fit. `as_role` and `offering` pre-fill the form (an invitation to mentor)."""
    today = utcnow().date()
    with deps.db.begin() as session:
        if not mine_only and not queries.programmes(session=session, team_id=team_id):
            raise NoProgrammeYet
        mine = [p for _, p in queries.memberships(session=session, team_id=team_id, slack_user_id=user_id)]
        choices = mine if mine_only else queries.open_programmes(session=session, team_id=team_id, today=today)
        programme: Programme | None
        if wanted:
            programme = queries.find_programme(session=session, team_id=team_id, text=wanted)
            if programme is None:
                names = ", ".join(f"*{escape(p.name)}*" for p in choices) or "none right now"
                label = "Your programmes" if mine_only else "Open for enrolment"
                raise JoinRefused(f"There is no programme called “{escape(truncate(wanted, 80))}”. {label}: {names}.")
        elif len(choices) > 1:
            return ui.programme_picker_modal(choices), None
        elif choices:
            programme = choices[0]
        elif mine_only:
            raise JoinRefused("You haven't joined a programme yet: `/mentor join` to join one.")
        else:
            raise JoinRefused(
                "No programme is open for enrolment right now. Your programme admins will announce the next one."
            )
        assert programme.id is not None
        participant = queries.get_participant(
            session=session, team_id=team_id, programme_id=programme.id, slack_user_id=user_id
        )
        if participant is None and not programme.accepts_joins(today):
            raise JoinRefused(f"*{escape(programme.name)}* is not open for enrolment right now.")
        invited = (
            roster_entry(session=session, team_id=team_id, programme_id=programme.id, slack_user_id=user_id)
            if participant is None
            else None
        )
        view = ui.join_modal(programme, participant, as_role=as_role, offering=offering, invited=invited)
        return view, programme.name


def open_join_modal(
    client: WebClient,
    deps: Deps,
    *,
    team_id: str,
    user_id: str,
    trigger_id: str,
    wanted: str = "",
    mine_only: bool = False,
    as_role: str | None = None,
    offering: Sequence[str] = (),
) -> str | None:
    """Open the right modal. Returns a message for the person when it could not be opened."""
    try:
        view, _ = choose_programme(
            deps,
            team_id=team_id,
            user_id=user_id,
            wanted=wanted,
            mine_only=mine_only,
            as_role=as_role,
            offering=offering,
        )
    except JoinRefused as refused:
        return str(refused)
    return open_modal(client, trigger_id, view, user_id=user_id, again="Please run `/mentor join` again.")


def _open_for(inv: Invocation, *, mine_only: bool) -> None:
    problem = open_join_modal(
        inv.client,
        deps_of(inv.context),
        team_id=inv.team_id,
        user_id=inv.user_id,
        trigger_id=inv.trigger_id,
        wanted=inv.args,
        mine_only=mine_only,
    )
    if problem == str(NoProgrammeYet()):
        admins = workspace_admin_ids(inv.client)  # who can open one; an admin among them gets the button
        text, blocks = admin_ui.no_programme_message(admins, can_create=inv.user_id in admins)
        inv.respond(text=text, blocks=blocks, response_type="ephemeral")
    elif problem:
        inv.respond(text=problem, response_type="ephemeral")


def join_command(inv: Invocation) -> None:
    _open_for(inv, mine_only=False)


def profile_command(inv: Invocation) -> None:
    _open_for(inv, mine_only=True)


def state_values(view: dict[str, Any]) -> dict[str, Any]:
    state = view.get("state")
    values = state.get("values") if isinstance(state, dict) else None
    return values if isinstance(values, dict) else {}


def _selected(state: dict[str, Any], block_id: str) -> dict[str, Any]:
    answer: Any = state.get(block_id) if isinstance(state, dict) else None
    answer = answer.get("value") if isinstance(answer, dict) else None
    return answer if isinstance(answer, dict) else {}


def answers_from_state(state: dict[str, Any]) -> JoinAnswers:
    """Read the join modal's `view.state.values` into plain answers."""
    role_option = _selected(state, "role").get("selected_option") or {}
    role_option = role_option if isinstance(role_option, dict) else {}

    def chosen(block_id: str) -> list[str]:
        options = _selected(state, block_id).get("selected_options") or []
        return [str(o.get("value")) for o in options if isinstance(o, dict)] if isinstance(options, list) else []

    return JoinAnswers(
        role=role_option.get("value"),
        skills_offered=chosen("skills_offered"),
        skills_wanted=chosen("skills_wanted"),
        goals=_selected(state, "goals").get("value") or "",
        department=_selected(state, "department").get("value")
        or (_selected(state, "department").get("selected_option") or {}).get("value")
        or "",
        capacity=_selected(state, "capacity").get("value"),
        consent="yes" in chosen("consent"),
        meeting_mode=(_selected(state, "meeting_mode").get("selected_option") or {}).get("value"),
        rather_not=[str(u) for u in _selected(state, "rather_not").get("selected_users") or []],
        office=(_selected(state, "office").get("selected_option") or {}).get("value"),
        self_group=(_selected(state, "self_group").get("value") or "") if "self_group" in state else None,
        bio=(_selected(state, "bio").get("value") or "") if "bio" in state else None,
    )


def _programme_id(view: dict[str, Any]) -> int | None:
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
        return int(meta["programme_id"])
    except (ValueError, KeyError, TypeError):
        return None


def on_join_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any) -> None:
    deps = deps_of(context)
    team_id = (body.get("team") or {}).get("id") or view.get("team_id") or ""
    user_id = body["user"]["id"]
    answers = answers_from_state(state_values(view))
    try:
        joined = save_join_form(
            deps, team_id=team_id, user_id=user_id, programme_id=_programme_id(view), answers=answers
        )
    except joining.SaveFailed:
        logger.exception("saving a join form failed", extra={"team_id": team_id, "user_id": user_id})
        ack(response_action="errors", errors={"role": SAVE_FAILED})
        return
    if joined.participant_id is None:
        ack(response_action="errors", errors=joined.errors)
        return
    ack()


def save_join_form(
    deps: Deps, *, team_id: str, user_id: str, programme_id: int | None, answers: JoinAnswers
) -> joining.Joined:
    """Check the form against the programme and the person's membership (one read that commits itself, so a
    form with errors costs one round trip), then save it, and in the same unit of work queue what follows it: a
    new mentor's welcome in the mentors' channel (once per programme and person) and the follow-up that confirms
    the join (`after_join`)."""
    now = utcnow()
    with joining.saving():
        terms = deps.db.alone(
            lambda connection: queries.join_terms(
                session=connection, team_id=team_id, programme_id=programme_id, slack_user_id=user_id
            )
        )
    plan, errors = joining.check_join(terms, user_id=user_id, answers=answers, now=now)
    if plan is None:
        return joining.Joined(errors=errors)
    if joining.saves_alone(plan) and deps.db.backend == "postgresql":  # one round trip, not a unit of work
        payload = {"participant_id": plan.member_id, "created": False}
        follow_up = queries.NewFollowUp(team_id=team_id, kind=JOINED, user_id=user_id, payload=payload, now=now)
        with joining.saving():
            saved = deps.db.alone(lambda c: joining.save_again(c, plan=plan, now=now, follow_up=follow_up))
        if saved:
            deps.jobs.follow_ups_queued()
            return joining.Joined(participant_id=plan.member_id)
    with joining.saving(), deps.db.begin() as session:
        joined = joining.save_join(session=session, team_id=team_id, user_id=user_id, plan=plan)
        if joined.new_mentor_of is not None:
            deps.jobs.welcome_mentor(session, programme=joined.new_mentor_of, user_id=user_id, now=now)
        payload = {"participant_id": joined.participant_id, "created": joined.created}
        deps.jobs.follow_up(session, team_id=team_id, kind=JOINED, user_id=user_id, payload=payload, now=now)
    return joined


JOINED = "joined"
"""The follow-up of a saved join form (`after_join`), done by the follow-up worker once the modal has closed."""

JOINED_CALLS = ("users.info", "chat.postMessage", "views.publish")
"""The Web API calls `after_join` makes, once each: the follow-up worker paces them to Slack's limits."""


def after_join(deps: Deps, client: WebClient, follow_up: FollowUp) -> None:
    """After the modal closed: take name, title and timezone from Slack, confirm by DM, refresh App Home."""
    team_id, user_id = follow_up.team_id, follow_up.slack_user_id
    created = bool(follow_up.payload.get("created"))
    profile = user_profile(client, user_id)
    facts = joining.SlackFacts(profile.name, profile.title, profile.timezone) if profile is not None else None
    with deps.db.begin() as session:
        found = joining.take_profile(
            session=session, participant_id=int(follow_up.payload["participant_id"]), facts=facts
        )
    if found is None:  # they left (or asked to be forgotten) before this ran: nothing to confirm
        return
    participant, programme = found
    text, blocks = ui.joined_dm(programme, participant, created=created)
    if created and rates_skills(participant):
        blocks.append(skill_ui.rate_button(programme.id or 0))
    if programme.matching == CHOOSE and participant.role == Role.MENTEE.value:
        blocks.append(choose_ui.browse_button(programme.id))
    send_dm(client, user_id, text, blocks)
    publish_home(client, deps, team_id=team_id, user_id=user_id, profile=profile)


def on_pick_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: Any) -> None:
    """The picker's Next: replace it with the join form of the chosen programme."""
    deps = deps_of(context)
    team_id = (body.get("team") or {}).get("id") or view.get("team_id") or ""
    user_id = body["user"]["id"]
    selected = _selected(state_values(view), "programme").get("selected_option")
    chosen = selected.get("value") if isinstance(selected, dict) else None
    programme_id = int_or_none(chosen)
    if programme_id is None:
        ack(response_action="errors", errors={"programme": "Pick a programme."})
        return
    with deps.db.session() as session:
        programme = queries.get_programme(session=session, team_id=team_id, programme_id=programme_id)
        participant = (
            queries.get_participant(session=session, team_id=team_id, programme_id=programme_id, slack_user_id=user_id)
            if programme
            else None
        )
    if programme is None or (participant is None and not programme.accepts_joins(utcnow().date())):
        ack(response_action="errors", errors={"programme": "That programme is not open for enrolment."})
        return
    ack(response_action="update", view=ui.join_modal(programme, participant))


def _open_from_home(ack: Ack, body: dict[str, Any], client: WebClient, context: Any, wanted: str) -> None:
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
        send_dm(client, user_id, problem)


def on_edit_profile(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: Any) -> None:
    """ "Edit profile" in App Home: the join form of that programme, filled in."""
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
    """ "Join a programme" in App Home."""
    _open_from_home(ack, body, client, context, "")


def register(app: App) -> None:
    app.action(home_ui.EDIT_ACTION)(on_edit_profile)
    app.action(home_ui.JOIN_ACTION)(on_join_button)
    app.view(ui.JOIN_CALLBACK)(on_join_submit)
    app.view(ui.PICK_CALLBACK)(on_pick_submit)

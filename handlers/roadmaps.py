"""Roadmaps: `/mentor roadmap`, the roadmap buttons (room, App Home, reminders), milestones added, edited,
re-dated, completed and dropped, the celebration in the room and the mentor's comment on it; and
`/mentor contributions` for programme admins."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from blocks import roadmaps as roadmap_ui
from blocks.text import escape
from gateway.slack import send_dm
from handlers.common import (
    Invocation,
    access_of,
    action_value,
    int_or_none,
    menu_choice,
    metadata,
    modal_id,
    open_modal,
    selected,
    state_value,
    team_of,
    tell,
    user_of,
)
from handlers.deps import Deps, deps_of
from handlers.home import publish_home
from mentoring.access import REFUSAL
from mentoring.prompting import measures_for
from mentoring.roadmaps import (
    MAX_MILESTONES,
    MAX_NOTE,
    Draft,
    Goal,
    Place,
    celebration_of,
    changeable_milestone,
    check_draft,
    check_goal,
    check_text,
    comment_on,
    commentable_milestone,
    complete_milestone,
    drop_milestone,
    editable_roadmap,
    goal_warning,
    page_for,
    place_for,
    record_celebration,
    roadmap_page,
    save_milestone,
    save_setup,
    set_goal,
    set_status,
    today,
    with_goal,
)
from store import queries
from store.models import Milestone, MilestoneStatus
from store.types import utcnow

logger = logging.getLogger(__name__)


def open_roadmap(
    client: WebClient,
    deps: Deps,
    *,
    team_id: str,
    user_id: str,
    trigger_id: str,
    match_id: int | None = None,
    owner_id: str | None = None,
) -> str | None:
    """Open the roadmap modal; returns a message for the person when there is nothing to open."""
    with deps.db.session() as session:
        page = page_for(session=session, team_id=team_id, user_id=user_id, match_id=match_id, owner_id=owner_id)
    if page is None:
        return (
            "Roadmaps belong to a match: you don't have an active one right now."
            if match_id is None
            else "That roadmap belongs to a match you're not in (or one that has ended)."
        )
    return open_modal(client, trigger_id, roadmap_ui.roadmap_view(page), user_id=user_id)


def roadmap_command(inv: Invocation) -> None:
    problem = open_roadmap(
        inv.client, deps_of(inv.context), team_id=inv.team_id, user_id=inv.user_id, trigger_id=inv.trigger_id
    )
    if problem:
        inv.respond(text=problem, response_type="ephemeral")


def on_open(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    match_text, _, owner_id = action_value(body).partition(":")
    match_id = int_or_none(match_text)
    problem = open_roadmap(
        client,
        deps_of(context),
        team_id=team_of(body, context),
        user_id=user_of(body),
        trigger_id=str(body.get("trigger_id") or ""),
        match_id=match_id if match_id is not None else -1,
        owner_id=owner_id or None,
    )
    if problem:
        tell(client, body, problem)


# --- saving -----------------------------------------------------------------------------------------


def _text(view: dict[str, Any], block_id: str) -> str:
    return str(state_value(view, block_id).get("value") or "").strip()


def _date(view: dict[str, Any], block_id: str) -> date | None:
    try:
        return date.fromisoformat(str(state_value(view, block_id).get("selected_date") or ""))
    except ValueError:
        return None


def _skill(view: dict[str, Any], block_id: str) -> str:
    return selected(view, block_id)


def _goal(view: dict[str, Any]) -> Goal:
    """The goal as typed: what, how we'll know, by when."""
    return Goal(_text(view, "goal"), _text(view, "goal_measure"), _date(view, "goal_by"))


def _setup_form(view: dict[str, Any], place: Place) -> tuple[Goal, list[Draft], dict[str, str]]:
    """The goal and the milestones typed in the setup form, and the problems with them (keyed by block)."""
    goal = _goal(view)
    errors = check_goal(goal, today=today())
    drafts: list[Draft] = []
    for i in range(roadmap_ui.SETUP_ROWS):
        draft = Draft(_text(view, f"title_{i}"), _skill(view, f"skill_{i}"), _date(view, f"due_{i}"))
        if not draft.title:
            continue  # a cleared title leaves that milestone out, whatever its skill and date say
        problems = check_draft(draft, skills=place.programme.skills, today=today(), end=place.end)
        for field_name, message in problems.items():
            errors[{"skill": f"skill_{i}", "due_on": f"due_{i}"}.get(field_name, f"title_{i}")] = message
        drafts.append(draft)
    if not drafts and "title_0" not in errors:
        errors["title_0"] = "Add at least one milestone: you can change it any time."
    return goal, drafts, errors


def on_setup_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any) -> None:
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    match_id = int_or_none(metadata(view).get("match_id"))
    with deps.db.session() as session:
        place = place_for(session=session, team_id=team_id, user_id=user_id, match_id=match_id)
    if place is None or not place.editable:
        ack(response_action="errors", errors={"goal": "This roadmap belongs to a match you're not in any more."})
        return
    goal, drafts, errors = _setup_form(view, place)
    if errors:
        ack(response_action="errors", errors=errors)
        return
    with deps.db.begin() as session:
        save_setup(
            session=session,
            team_id=team_id,
            owner_id=user_id,
            match=place.match,
            goal=goal,
            drafts=drafts,
            now=utcnow(),
        )
        page = roadmap_page(session=session, place=place)
    warning = goal_warning(goal, end=place.end)
    notice = ":white_check_mark: Roadmap saved." + (f"\n:warning: {warning}" if warning else "")
    ack(response_action="update", view=roadmap_ui.roadmap_view(page, notice=notice))


def on_goal_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any) -> None:
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    goal = _goal(view)
    if errors := check_goal(goal, today=today()):
        ack(response_action="errors", errors=errors)
        return
    roadmap_id = int_or_none(metadata(view).get("roadmap_id"))
    with deps.db.begin() as session:
        saved = set_goal(
            session=session, team_id=team_id, user_id=user_id, roadmap_id=roadmap_id, goal=goal, now=utcnow()
        )
        page = page_for(session=session, team_id=team_id, user_id=user_id, match_id=saved.match_id) if saved else None
    if page is None:
        ack(response_action="errors", errors={"goal": "Only the roadmap's owner can change its goal."})
        return
    warning = goal_warning(goal, end=page.end)
    if warning:  # saved, and kept open so that the owner sees the note
        ack(response_action="update", view=roadmap_ui.roadmap_view(page, notice=f":warning: {warning}"))
    else:
        ack()
    _refresh_home(client, deps, team_id=team_id, user_id=user_id)


def on_suggest(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """*Suggest how we'll know*: measurable phrasings of the goal as typed, added to the open form."""
    ack()
    deps = deps_of(context)
    team_id, user_id, view = team_of(body, context), user_of(body), body.get("view") or {}
    goal, match_id = _goal(view), int_or_none(action_value(body))
    found = measures_for(deps.db, deps.llm, team_id=team_id, user_id=user_id, match_id=match_id, goal=goal.text)
    with deps.db.session() as session:
        page = page_for(session=session, team_id=team_id, user_id=user_id, match_id=match_id)
    if found is None or page is None or not modal_id(body):
        tell(client, body, "Suggestions are for your own roadmap, while your match is active.")
        return
    try:
        client.views_update(view_id=modal_id(body), view=roadmap_ui.roadmap_view(with_goal(page, goal), measures=found))
    except SlackApiError as error:
        logger.info("could not add suggestions to the roadmap: %s", error.response.get("error"))


def _refresh_parent(
    client: WebClient, deps: Deps, parent: Any, *, team_id: str, user_id: str, match_id: int, notice: str
) -> None:
    """Redraw the roadmap modal underneath a form that has just been saved."""
    if not isinstance(parent, str) or not parent:
        return
    with deps.db.session() as session:
        page = page_for(session=session, team_id=team_id, user_id=user_id, match_id=match_id)
    if page is None:
        return
    try:
        client.views_update(view_id=parent, view=roadmap_ui.roadmap_view(page, notice=notice))
    except SlackApiError as error:
        logger.info("could not redraw the roadmap modal: %s", error.response.get("error"))


def _refresh_home(client: WebClient, deps: Deps, *, team_id: str, user_id: str) -> None:
    publish_home(client, deps, team_id=team_id, user_id=user_id)


def _redraw(
    client: WebClient, deps: Deps, parent: Any, *, team_id: str, user_id: str, match_id: int, notice: str
) -> None:
    """After a change: the roadmap modal underneath (if any), then the App Home."""
    _refresh_parent(client, deps, parent, team_id=team_id, user_id=user_id, match_id=match_id, notice=notice)
    _refresh_home(client, deps, team_id=team_id, user_id=user_id)


def on_add(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    with deps.db.session() as session:
        editing = editable_roadmap(
            session=session, team_id=team_id, user_id=user_id, roadmap_id=int_or_none(action_value(body))
        )
    if editing is None:
        tell(client, body, "Only the roadmap's owner can add milestones to it.")
        return
    if editing.full:
        tell(client, body, f"A roadmap holds at most {MAX_MILESTONES} milestones: drop or finish one first.")
        return
    place = editing.place
    view = roadmap_ui.milestone_modal(
        editing.roadmap.id or 0, None, skills=place.programme.skills, end=place.end, parent=modal_id(body)
    )
    _push_or_open(client, body, view)


def _push_or_open(client: WebClient, body: dict[str, Any], view: dict[str, Any]) -> None:
    """Stack a form on the roadmap modal when clicked from it, else open it."""
    trigger = body.get("trigger_id", "")
    try:
        if modal_id(body):
            client.views_push(trigger_id=trigger, view=view)
        else:
            client.views_open(trigger_id=trigger, view=view)
    except SlackApiError as error:
        code = error.response.get("error")
        logger.error("could not open a milestone form: %s", code, extra={"user_id": user_of(body)})
        tell(client, body, f"Slack would not open the form ({code}). Please try again.")


def on_milestone_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any) -> None:
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    meta = metadata(view)
    draft = Draft(_text(view, "title"), _skill(view, "skill"), _date(view, "due_on"), _text(view, "done_when"))
    roadmap_id, milestone_id = int_or_none(meta.get("roadmap_id")), int_or_none(meta.get("milestone_id"))
    with deps.db.begin() as session:
        saved = save_milestone(
            session=session,
            team_id=team_id,
            user_id=user_id,
            roadmap_id=roadmap_id,
            milestone_id=milestone_id,
            draft=draft,
            now=utcnow(),
        )
        if saved.errors:
            ack(response_action="errors", errors=saved.errors)
            return
    ack()
    notice = roadmap_ui.saved_notice(saved)
    if meta.get("parent"):
        _refresh_parent(
            client, deps, meta.get("parent"), team_id=team_id, user_id=user_id, match_id=saved.match_id, notice=notice
        )
    else:
        send_dm(client, user_id, notice.replace(":white_check_mark: ", ":white_check_mark: Milestone "))
    _refresh_home(client, deps, team_id=team_id, user_id=user_id)


def celebrate(client: WebClient, deps: Deps, *, milestone_id: int) -> None:
    """Post (or refresh) the celebration of a reached milestone in the pair's room."""
    with deps.db.session() as session:
        shown = celebration_of(session=session, milestone_id=milestone_id)
    if shown is None:
        return
    milestone = shown.milestone
    text, blocks = roadmap_ui.celebration(milestone, shown.owner_id, commenter=shown.commenter)
    try:
        if milestone.celebration_ts and milestone.celebration_channel:
            client.chat_update(
                channel=milestone.celebration_channel, ts=milestone.celebration_ts, text=text, blocks=blocks
            )
            return
        response = client.chat_postMessage(channel=shown.room_id, text=text, blocks=blocks)
    except SlackApiError as error:
        logger.error("could not celebrate a milestone in the room: %s", error.response.get("error"))
        return
    with deps.db.begin() as session:
        record_celebration(
            session=session,
            milestone_id=milestone_id,
            channel=str(response.get("channel") or shown.room_id),
            ts=str(response.get("ts") or "") or None,
        )


# The overflow menu's verbs that change a milestone's status in place, and what the roadmap modal then says.
_MENU_STATUS = {
    "start": MilestoneStatus.IN_PROGRESS.value,
    "drop": MilestoneStatus.DROPPED.value,
    "reopen": MilestoneStatus.IN_PROGRESS.value,
}
_MENU_NOTICE = {"start": "Marked in progress.", "drop": "Dropped. Plans change; that's fine.", "reopen": "Reopened."}


def on_menu(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """The overflow menu beside a milestone in the roadmap modal."""
    ack()
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    verb, _, ident = menu_choice(body).partition("|")
    parent = modal_id(body)
    with deps.db.begin() as session:
        found = changeable_milestone(session=session, team_id=team_id, user_id=user_id, milestone_id=int_or_none(ident))
        if found is not None and verb in _MENU_STATUS:
            set_status(session, found[0], _MENU_STATUS[verb], now=utcnow())
    if found is None:
        tell(client, body, "Only the roadmap's owner can change that milestone, while the match is active.")
        return
    milestone, place = found
    form = _menu_form(verb, milestone, place, parent)
    if form is not None:
        _push_or_open(client, body, form)
    elif verb in _MENU_STATUS:
        notice = _MENU_NOTICE[verb]
        _redraw(client, deps, parent, team_id=team_id, user_id=user_id, match_id=milestone.match_id, notice=notice)


def _menu_form(verb: str, milestone: Milestone, place: Place, parent: str | None) -> dict[str, Any] | None:
    """The form a menu choice opens: editing or completing the milestone (other choices open none)."""
    if verb == "edit":
        return roadmap_ui.milestone_modal(
            milestone.roadmap_id, milestone, skills=place.programme.skills, end=place.end, parent=parent
        )
    if verb == "done":
        return roadmap_ui.done_modal(milestone, parent=parent)
    return None


def on_done_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any) -> None:
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    meta = metadata(view)
    evidence = _text(view, "evidence")
    if problem := check_text(evidence, MAX_NOTE):
        ack(response_action="errors", errors={"evidence": problem})
        return
    wanted, parent = int_or_none(meta.get("milestone_id")), meta.get("parent")
    with deps.db.begin() as session:
        milestone = complete_milestone(
            session=session, team_id=team_id, user_id=user_id, milestone_id=wanted, evidence=evidence, now=utcnow()
        )
        if milestone is None:
            ack(response_action="errors", errors={"evidence": "Only the roadmap's owner can complete this milestone."})
            return
        done_id, match_id = milestone.id or 0, milestone.match_id
    ack()
    celebrate(client, deps, milestone_id=done_id)
    _redraw(client, deps, parent, team_id=team_id, user_id=user_id, match_id=match_id, notice=":tada: Well done!")


# --- buttons in reminders -------------------------------------------------------------------------------


def _button_milestone(deps: Deps, body: dict[str, Any], context: Any) -> tuple[Milestone, Place] | None:
    with deps.db.session() as session:
        return changeable_milestone(
            session=session,
            team_id=team_of(body, context),
            user_id=user_of(body),
            milestone_id=int_or_none(action_value(body)),
        )


def on_done_button(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    found = _button_milestone(deps_of(context), body, context)
    if found is None:
        tell(client, body, "That milestone isn't yours to change (or its match has ended).")
        return
    milestone, _ = found
    if milestone.status == MilestoneStatus.DONE.value:
        tell(client, body, "That milestone is already done. :tada:")
        return
    _push_or_open(client, body, roadmap_ui.done_modal(milestone))


def on_redate_button(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    found = _button_milestone(deps_of(context), body, context)
    if found is None:
        tell(client, body, "That milestone isn't yours to change (or its match has ended).")
        return
    milestone, place = found
    view = roadmap_ui.milestone_modal(milestone.roadmap_id, milestone, skills=place.programme.skills, end=place.end)
    _push_or_open(client, body, view)


def on_drop_button(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    with deps.db.begin() as session:
        title = drop_milestone(
            session=session,
            team_id=team_id,
            user_id=user_id,
            milestone_id=int_or_none(action_value(body)),
            now=utcnow(),
        )
    if title is None:
        tell(client, body, "That milestone isn't open any more, or isn't yours to change.")
        return
    tell(client, body, f"Dropped *{escape(title)}*. Plans change; that's fine.", replace=True)
    _refresh_home(client, deps, team_id=team_id, user_id=user_id)


# --- the mentor's comment -------------------------------------------------------------------------------


def on_comment_button(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    deps = deps_of(context)
    with deps.db.session() as session:
        milestone = commentable_milestone(
            session=session,
            team_id=team_of(body, context),
            user_id=user_of(body),
            milestone_id=int_or_none(action_value(body)),
        )
    if milestone is None:
        tell(client, body, "Only their mentor or partner can comment on this milestone.")
        return
    _push_or_open(client, body, roadmap_ui.comment_modal(milestone))


def on_comment_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any) -> None:
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    comment = _text(view, "comment")
    problem = check_text(comment, MAX_NOTE) or (None if comment else "Write a comment, or cancel.")
    if problem:
        ack(response_action="errors", errors={"comment": problem})
        return
    milestone_id = int_or_none(metadata(view).get("milestone_id"))
    with deps.db.begin() as session:
        commented = comment_on(
            session=session, team_id=team_id, user_id=user_id, milestone_id=milestone_id, comment=comment, now=utcnow()
        )
        if commented is None:
            ack(response_action="errors", errors={"comment": "Only their mentor or partner can comment on this."})
            return
    ack()
    celebrate(client, deps, milestone_id=commented)


# --- the check-in modal: milestones touched in the meeting -----------------------------------------------


# --- admins: mentors' contributions ---------------------------------------------------------------------


def contributions_command(inv: Invocation) -> None:
    deps = deps_of(inv.context)
    with deps.db.session() as session:
        programmes = list(queries.programmes(session=session, team_id=inv.team_id))
        if inv.args:
            found = queries.find_programme(session=session, team_id=inv.team_id, text=inv.args)
            programmes = [found] if found else []
        access = access_of(inv.client, session, team_id=inv.team_id, user_id=inv.user_id)
        mine = [p for p in programmes if access.can_admin(p.id)]
        if not mine:
            inv.respond(text=REFUSAL if programmes else "I don't know that programme.", response_type="ephemeral")
            return
        parts = [
            roadmap_ui.contributions_message(
                p.name, queries.mentor_contributions(session=session, team_id=inv.team_id, programme_id=p.id or 0)
            )
            for p in mine[:5]
        ]
    blocks = [b for _, bs in parts for b in bs][:50]
    inv.respond(text="\n".join(t for t, _ in parts), blocks=blocks, response_type="ephemeral")


# --- App Home ------------------------------------------------------------------------------------------


def register(app: App) -> None:
    app.action(roadmap_ui.OPEN_ACTION)(on_open)
    app.action(roadmap_ui.ADD_ACTION)(on_add)
    app.action(roadmap_ui.MENU_ACTION)(on_menu)
    app.action(roadmap_ui.DONE_ACTION)(on_done_button)
    app.action(roadmap_ui.REDATE_ACTION)(on_redate_button)
    app.action(roadmap_ui.DROP_ACTION)(on_drop_button)
    app.action(roadmap_ui.COMMENT_ACTION)(on_comment_button)
    app.action(roadmap_ui.SUGGEST_ACTION)(on_suggest)
    app.view(roadmap_ui.SETUP_CALLBACK)(on_setup_submit)
    app.view(roadmap_ui.ROADMAP_CALLBACK)(on_goal_submit)
    app.view(roadmap_ui.MILESTONE_CALLBACK)(on_milestone_submit)
    app.view(roadmap_ui.DONE_CALLBACK)(on_done_submit)
    app.view(roadmap_ui.COMMENT_CALLBACK)(on_comment_submit)

"""Roadmaps: `/mentor roadmap`, the roadmap buttons (room, App Home, reminders), milestones added, edited,
re-dated, completed and dropped, the celebration in the room and the mentor's comment on it; and
`/mentor contributions` for programme admins."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from blocks import roadmaps as roadmap_ui
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
from mentoring import matching
from mentoring.access import REFUSAL
from mentoring.roadmaps import (
    MAX_GOAL,
    MAX_MILESTONES,
    MAX_NOTE,
    OPEN_STATUSES,
    Draft,
    cancel_nudges,
    check_draft,
    check_text,
    complete,
    cycle_end,
    cycle_start,
    set_status,
    starter_template,
)
from store import queries
from store.models import Match, MatchMember, MatchStatus, Milestone, MilestoneStatus, Programme, Roadmap, Role
from store.types import utcnow

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Place:
    """A roadmap as one person sees it: the match, its programme, whose roadmap, and whether they may edit."""

    match: Match
    programme: Programme
    members: list[MatchMember]
    owner_id: str
    editable: bool

    @property
    def start(self) -> date:
        return cycle_start(started=self.programme.cycle_started_at, released=self.match.released_at, today=today())

    @property
    def end(self) -> date:
        return cycle_end(ends=self.programme.cycle_ends_at, start=self.start, cycle_days=self.programme.cycle_days)


def today() -> date:
    return utcnow().date()


def owner_for(members: list[MatchMember], viewer: str) -> str:
    """Whose roadmap the viewer sees: a mentor sees their mentee's; mentees and peers their own."""
    me = next((m for m in members if m.slack_user_id == viewer), None)
    if me is not None and me.role == Role.MENTOR.value:
        mentee = next((m for m in members if m.role == Role.MENTEE.value), None)
        if mentee is not None:
            return mentee.slack_user_id
    return viewer


def place_for(
    session: Session, *, team_id: str, user_id: str, match_id: int | None = None, owner_id: str | None = None
) -> Place | None:
    """The viewer's active match (the one named, or their first) and whose roadmap they see in it: `owner_id`'s
    if they are a mentee or peer in it, else the viewer's own (a mentor: their mentee's)."""
    found = matching.user_matches(session=session, team_id=team_id, user_id=user_id)
    for match, members in found:
        if match_id is not None and match.id != match_id:
            continue
        programme = session.get(Programme, match.programme_id)
        if programme is None:
            continue
        owners = {m.slack_user_id for m in members if m.role != Role.MENTOR.value}
        owner = owner_id if owner_id in owners else owner_for(members, user_id)
        return Place(match, programme, members, owner, editable=owner == user_id)
    return None


def place_of_roadmap(session: Session, *, team_id: str, roadmap: Roadmap, user_id: str) -> Place | None:
    """A roadmap as `user_id` sees it, if they are in its (active) match."""
    place = place_for(session, team_id=team_id, user_id=user_id, match_id=roadmap.match_id)
    if place is None:
        return None
    return Place(place.match, place.programme, place.members, roadmap.owner_id, editable=roadmap.owner_id == user_id)


def roadmap_view(session: Session, place: Place, *, notice: str | None = None) -> dict[str, Any]:
    """The modal for this place: the setup form for an owner with no milestones yet, else the roadmap."""
    roadmap = queries.roadmap_for(
        session=session, team_id=place.match.team_id, match_id=place.match.id or 0, owner_id=place.owner_id
    )
    milestones = queries.roadmap_milestones(session=session, roadmap_id=roadmap.id or 0) if roadmap else []
    if place.editable and not milestones:
        person = queries.get_participant(
            session=session,
            team_id=place.match.team_id,
            programme_id=place.programme.id or 0,
            slack_user_id=place.owner_id,
        )
        skills = [s for s in (person.skills_wanted if person else []) if s in place.programme.skills]
        drafts = starter_template(
            place.programme.kind,
            skills=skills or place.programme.skills[:1],
            start=place.start,
            end=place.end,
            today=today(),
        )
        goal = roadmap.goal if roadmap and roadmap.goal else (person.goals if person else "")
        return roadmap_ui.setup_modal(
            place.match.id or 0, goal=goal, drafts=drafts, skills=place.programme.skills, end=place.end
        )
    if roadmap is None:
        roadmap = Roadmap(
            team_id=place.match.team_id,
            programme_id=place.programme.id or 0,
            match_id=place.match.id or 0,
            owner_id=place.owner_id,
        )
    return roadmap_ui.roadmap_modal(roadmap, milestones, editable=place.editable, end=place.end, notice=notice)


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
        place = place_for(session, team_id=team_id, user_id=user_id, match_id=match_id, owner_id=owner_id)
        if place is None:
            return (
                "Roadmaps belong to a match: you don't have an active one right now."
                if match_id is None
                else "That roadmap belongs to a match you're not in (or one that has ended)."
            )
        view = roadmap_view(session, place)
    return open_modal(client, trigger_id, view, user_id=user_id)


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


def on_setup_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any) -> None:
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    with deps.db.session() as session:
        place = place_for(
            session, team_id=team_id, user_id=user_id, match_id=int_or_none(metadata(view).get("match_id"))
        )
    if place is None or not place.editable:
        ack(response_action="errors", errors={"goal": "This roadmap belongs to a match you're not in any more."})
        return
    errors: dict[str, str] = {}
    goal = _text(view, "goal")
    if problem := check_text(goal, MAX_GOAL):
        errors["goal"] = problem
    drafts: list[Draft] = []
    for i in range(roadmap_ui.SETUP_ROWS):
        draft = Draft(_text(view, f"title_{i}"), _skill(view, f"skill_{i}"), _date(view, f"due_{i}"))
        if not draft.title:
            continue  # a cleared title leaves that milestone out, whatever its skill and date say
        problems = check_draft(draft, skills=place.programme.skills, today=today(), end=place.end)
        for field_name, message in problems.items():
            errors[{"title": f"title_{i}", "skill": f"skill_{i}", "due_on": f"due_{i}"}[field_name]] = message
        drafts.append(draft)
    if not drafts and "title_0" not in errors:
        errors["title_0"] = "Add at least one milestone: you can change it any time."
    if errors:
        ack(response_action="errors", errors=errors)
        return
    with deps.db.begin() as session:
        roadmap = queries.ensure_roadmap(session=session, team_id=team_id, match=place.match, owner_id=user_id)
        roadmap.goal = goal
        roadmap.updated_at = utcnow()
        session.add(roadmap)
        existing = len(queries.roadmap_milestones(session=session, roadmap_id=roadmap.id or 0))
        for draft in drafts[: MAX_MILESTONES - existing]:
            session.add(_new_milestone(roadmap, draft))
        session.flush()
        updated = roadmap_view(session, place, notice=":white_check_mark: Roadmap saved.")
    ack(response_action="update", view=updated)


def _new_milestone(roadmap: Roadmap, draft: Draft) -> Milestone:
    assert draft.due_on is not None
    return Milestone(
        team_id=roadmap.team_id,
        roadmap_id=roadmap.id or 0,
        match_id=roadmap.match_id,
        programme_id=roadmap.programme_id,
        title=draft.title,
        skill=draft.skill,
        due_on=draft.due_on,
    )


def on_goal_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any) -> None:
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    goal = _text(view, "goal")
    if problem := check_text(goal, MAX_GOAL):
        ack(response_action="errors", errors={"goal": problem})
        return
    with deps.db.begin() as session:
        roadmap = session.get(Roadmap, int_or_none(metadata(view).get("roadmap_id")) or -1)
        if roadmap is None or roadmap.team_id != team_id or roadmap.owner_id != user_id:
            ack(response_action="errors", errors={"goal": "Only the roadmap's owner can change its goal."})
            return
        roadmap.goal = goal
        roadmap.updated_at = utcnow()
        session.add(roadmap)
    ack()
    _refresh_home(client, deps, team_id=team_id, user_id=user_id)


def _owned_milestone(session: Session, *, team_id: str, user_id: str, milestone_id: int | None) -> Milestone | None:
    """The milestone, if the person owns its roadmap and its match is still active."""
    milestone = queries.get_milestone(session=session, team_id=team_id, milestone_id=milestone_id)
    if milestone is None:
        return None
    roadmap = session.get(Roadmap, milestone.roadmap_id)
    match = session.get(Match, milestone.match_id)
    if roadmap is None or roadmap.owner_id != user_id or match is None or match.status != MatchStatus.ACTIVE.value:
        return None
    return milestone


def _place_of(session: Session, milestone_or_roadmap: Milestone | Roadmap, user_id: str) -> Place | None:
    roadmap = (
        milestone_or_roadmap
        if isinstance(milestone_or_roadmap, Roadmap)
        else session.get(Roadmap, milestone_or_roadmap.roadmap_id)
    )
    if roadmap is None:
        return None
    return place_of_roadmap(session, team_id=roadmap.team_id, roadmap=roadmap, user_id=user_id)


def _refresh_parent(
    client: WebClient, deps: Deps, parent: Any, *, team_id: str, user_id: str, match_id: int, notice: str
) -> None:
    """Redraw the roadmap modal underneath a form that has just been saved."""
    if not isinstance(parent, str) or not parent:
        return
    with deps.db.session() as session:
        place = place_for(session, team_id=team_id, user_id=user_id, match_id=match_id)
        view = roadmap_view(session, place, notice=notice) if place is not None else None
    if view is None:
        return
    try:
        client.views_update(view_id=parent, view=view)
    except SlackApiError as error:
        logger.info("could not redraw the roadmap modal: %s", error.response.get("error"))


def _refresh_home(client: WebClient, deps: Deps, *, team_id: str, user_id: str) -> None:
    from handlers.home import publish_home

    publish_home(client, deps, team_id=team_id, user_id=user_id)


def on_add(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    with deps.db.session() as session:
        roadmap = session.get(Roadmap, int_or_none(action_value(body)) or -1)
        place = _place_of(session, roadmap, user_id) if roadmap and roadmap.team_id == team_id else None
        full = (
            roadmap is not None
            and len(queries.roadmap_milestones(session=session, roadmap_id=roadmap.id or 0)) >= MAX_MILESTONES
        )
    if roadmap is None or place is None or not place.editable:
        tell(client, body, "Only the roadmap's owner can add milestones to it.")
        return
    if full:
        tell(client, body, f"A roadmap holds at most {MAX_MILESTONES} milestones: drop or finish one first.")
        return
    parent = modal_id(body)
    view = roadmap_ui.milestone_modal(
        roadmap.id or 0, None, skills=place.programme.skills, end=place.end, parent=parent
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
    draft = Draft(_text(view, "title"), _skill(view, "skill"), _date(view, "due_on"))
    with deps.db.begin() as session:
        roadmap = session.get(Roadmap, int_or_none(meta.get("roadmap_id")) or -1)
        place = _place_of(session, roadmap, user_id) if roadmap and roadmap.team_id == team_id else None
        if roadmap is None or place is None or not place.editable:
            ack(response_action="errors", errors={"title": "Only the roadmap's owner can change its milestones."})
            return
        milestone_id = int_or_none(meta.get("milestone_id"))
        milestone = (
            _owned_milestone(session, team_id=team_id, user_id=user_id, milestone_id=milestone_id)
            if milestone_id is not None
            else None
        )
        errors = check_draft(draft, skills=place.programme.skills, today=today(), end=place.end)
        if milestone_id is not None and milestone is None:
            errors = {"title": "That milestone doesn't exist any more."}
        count = len(queries.roadmap_milestones(session=session, roadmap_id=roadmap.id or 0))
        if milestone is None and count >= MAX_MILESTONES:
            errors["title"] = f"A roadmap holds at most {MAX_MILESTONES} milestones: drop or finish one first."
        if errors:
            ack(response_action="errors", errors=errors)
            return
        assert draft.due_on is not None
        if milestone is None:
            session.add(_new_milestone(roadmap, draft))
            notice = ":white_check_mark: Milestone added."
        else:
            redated = milestone.due_on != draft.due_on
            milestone.title, milestone.skill = draft.title, draft.skill
            if redated:
                cancel_nudges(session, team_id=team_id, milestone_id=milestone.id or 0)
                milestone.due_on = draft.due_on
                milestone.reminded_for = milestone.overdue_asked_for = None
            milestone.updated_at = utcnow()
            session.add(milestone)
            notice = f":white_check_mark: Saved{', now due ' + draft.due_on.strftime('%a %d %b') if redated else ''}."
    ack()
    if meta.get("parent"):
        _refresh_parent(
            client, deps, meta.get("parent"), team_id=team_id, user_id=user_id, match_id=roadmap.match_id, notice=notice
        )
    else:
        send_dm(client, user_id, notice.replace(":white_check_mark: ", ":white_check_mark: Milestone "))
    _refresh_home(client, deps, team_id=team_id, user_id=user_id)


def celebrate(client: WebClient, deps: Deps, *, milestone_id: int) -> None:
    """Post (or refresh) the celebration of a reached milestone in the pair's room."""
    with deps.db.session() as session:
        milestone = session.get(Milestone, milestone_id)
        roadmap = session.get(Roadmap, milestone.roadmap_id) if milestone else None
        match = session.get(Match, milestone.match_id) if milestone else None
        commenter = _commenter(session, match, roadmap) if match and roadmap else None
    if milestone is None or roadmap is None or match is None or not match.room_id:
        return
    text, blocks = roadmap_ui.celebration(milestone, roadmap.owner_id, commenter=commenter)
    try:
        if milestone.celebration_ts and milestone.celebration_channel:
            client.chat_update(
                channel=milestone.celebration_channel, ts=milestone.celebration_ts, text=text, blocks=blocks
            )
            return
        response = client.chat_postMessage(channel=match.room_id, text=text, blocks=blocks)
    except SlackApiError as error:
        logger.error("could not celebrate a milestone in the room: %s", error.response.get("error"))
        return
    with deps.db.begin() as session:
        stored = session.get(Milestone, milestone_id)
        if stored is not None:
            stored.celebration_channel = str(response.get("channel") or match.room_id)
            stored.celebration_ts = str(response.get("ts") or "") or None
            session.add(stored)


def _commenter(session: Session, match: Match, roadmap: Roadmap) -> str | None:
    others = [
        m for m in matching.members(session=session, match_id=match.id or 0) if m.slack_user_id != roadmap.owner_id
    ]
    mentor = next((m for m in others if m.role == Role.MENTOR.value), None)
    chosen = mentor or (others[0] if len(others) == 1 else None)
    return chosen.slack_user_id if chosen else None


def on_menu(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """The overflow menu beside a milestone in the roadmap modal."""
    ack()
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    verb, _, ident = menu_choice(body).partition("|")
    parent = modal_id(body)
    with deps.db.begin() as session:
        milestone = _owned_milestone(session, team_id=team_id, user_id=user_id, milestone_id=int_or_none(ident))
        place = _place_of(session, milestone, user_id) if milestone else None
        if milestone is None or place is None:
            tell(client, body, "Only the roadmap's owner can change that milestone, while the match is active.")
            return
        if verb == "edit":
            view = roadmap_ui.milestone_modal(
                milestone.roadmap_id, milestone, skills=place.programme.skills, end=place.end, parent=parent
            )
        elif verb == "done":
            view = roadmap_ui.done_modal(milestone, parent=parent)
        elif verb in ("start", "drop", "reopen"):
            status = {
                "start": MilestoneStatus.IN_PROGRESS.value,
                "drop": MilestoneStatus.DROPPED.value,
                "reopen": MilestoneStatus.IN_PROGRESS.value,
            }[verb]
            set_status(session, milestone, status, now=utcnow())
            view = None
        else:
            return
    if view is not None:
        _push_or_open(client, body, view)
        return
    notice = {"start": "Marked in progress.", "drop": "Dropped. Plans change; that's fine.", "reopen": "Reopened."}
    _refresh_parent(
        client, deps, parent, team_id=team_id, user_id=user_id, match_id=milestone.match_id, notice=notice[verb]
    )
    _refresh_home(client, deps, team_id=team_id, user_id=user_id)


def on_done_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any) -> None:
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    meta = metadata(view)
    evidence = _text(view, "evidence")
    if problem := check_text(evidence, MAX_NOTE):
        ack(response_action="errors", errors={"evidence": problem})
        return
    with deps.db.begin() as session:
        milestone = _owned_milestone(
            session, team_id=team_id, user_id=user_id, milestone_id=int_or_none(meta.get("milestone_id"))
        )
        if milestone is None:
            ack(response_action="errors", errors={"evidence": "Only the roadmap's owner can complete this milestone."})
            return
        complete(session, milestone, evidence=evidence, now=utcnow())
        milestone_id, match_id = milestone.id or 0, milestone.match_id
    ack()
    celebrate(client, deps, milestone_id=milestone_id)
    _refresh_parent(
        client,
        deps,
        meta.get("parent"),
        team_id=team_id,
        user_id=user_id,
        match_id=match_id,
        notice=":tada: Well done!",
    )
    _refresh_home(client, deps, team_id=team_id, user_id=user_id)


# --- buttons in reminders -------------------------------------------------------------------------------


def _button_milestone(deps: Deps, body: dict[str, Any], context: Any) -> tuple[Milestone | None, Place | None]:
    with deps.db.session() as session:
        milestone = _owned_milestone(
            session, team_id=team_of(body, context), user_id=user_of(body), milestone_id=int_or_none(action_value(body))
        )
        place = _place_of(session, milestone, user_of(body)) if milestone else None
    return milestone, place


def on_done_button(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    milestone, place = _button_milestone(deps_of(context), body, context)
    if milestone is None or place is None:
        tell(client, body, "That milestone isn't yours to change (or its match has ended).")
        return
    if milestone.status == MilestoneStatus.DONE.value:
        tell(client, body, "That milestone is already done. :tada:")
        return
    _push_or_open(client, body, roadmap_ui.done_modal(milestone))


def on_redate_button(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    milestone, place = _button_milestone(deps_of(context), body, context)
    if milestone is None or place is None:
        tell(client, body, "That milestone isn't yours to change (or its match has ended).")
        return
    view = roadmap_ui.milestone_modal(milestone.roadmap_id, milestone, skills=place.programme.skills, end=place.end)
    _push_or_open(client, body, view)


def on_drop_button(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    with deps.db.begin() as session:
        milestone = _owned_milestone(
            session, team_id=team_id, user_id=user_id, milestone_id=int_or_none(action_value(body))
        )
        if milestone is not None and milestone.status in OPEN_STATUSES:
            set_status(session, milestone, MilestoneStatus.DROPPED.value, now=utcnow())
            title = milestone.title
        else:
            title = None
    if title is None:
        tell(client, body, "That milestone isn't open any more, or isn't yours to change.")
        return
    from blocks.text import escape

    tell(client, body, f"Dropped *{escape(title)}*. Plans change; that's fine.", replace=True)
    _refresh_home(client, deps, team_id=team_id, user_id=user_id)


# --- the mentor's comment -------------------------------------------------------------------------------


def _commentable(session: Session, *, team_id: str, user_id: str, milestone_id: int | None) -> Milestone | None:
    """The milestone, if the person is in its match and it isn't their own (the mentor, or a peer)."""
    milestone = queries.get_milestone(session=session, team_id=team_id, milestone_id=milestone_id)
    roadmap = session.get(Roadmap, milestone.roadmap_id) if milestone else None
    if milestone is None or roadmap is None or roadmap.owner_id == user_id:
        return None
    ids = {m.slack_user_id for m in matching.members(session=session, match_id=milestone.match_id)}
    return milestone if user_id in ids else None


def on_comment_button(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    deps = deps_of(context)
    with deps.db.session() as session:
        milestone = _commentable(
            session, team_id=team_of(body, context), user_id=user_of(body), milestone_id=int_or_none(action_value(body))
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
    with deps.db.begin() as session:
        milestone = _commentable(
            session, team_id=team_id, user_id=user_id, milestone_id=int_or_none(metadata(view).get("milestone_id"))
        )
        if milestone is None:
            ack(response_action="errors", errors={"comment": "Only their mentor or partner can comment on this."})
            return
        milestone.mentor_comment = comment
        milestone.updated_at = utcnow()
        session.add(milestone)
        milestone_id = milestone.id or 0
    ack()
    celebrate(client, deps, milestone_id=milestone_id)


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
    app.view(roadmap_ui.SETUP_CALLBACK)(on_setup_submit)
    app.view(roadmap_ui.ROADMAP_CALLBACK)(on_goal_submit)
    app.view(roadmap_ui.MILESTONE_CALLBACK)(on_milestone_submit)
    app.view(roadmap_ui.DONE_CALLBACK)(on_done_submit)
    app.view(roadmap_ui.COMMENT_CALLBACK)(on_comment_submit)

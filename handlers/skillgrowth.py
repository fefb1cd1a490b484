"""Skills rated before and after: `/mentor skills` and the joined DM's button open the start-of-cycle form; a
mentee may share their ratings with their mentor, who then adds their own view (the two side by side)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from blocks import skillgrowth as skill_ui
from gateway.slack import send_dm
from handlers.common import (
    Invocation,
    action_value,
    int_or_none,
    metadata,
    modal_id,
    open_modal_for,
    selected,
    team_of,
    tell,
    user_of,
)
from handlers.deps import deps_of
from mentoring import skillgrowth
from store.models import SkillStage
from store.types import utcnow

logger = logging.getLogger(__name__)


def levels_of(view: dict[str, Any]) -> tuple[list[str], dict[str, int | None]]:
    """The skills a submitted rating form named (in its metadata) and the level picked for each."""
    skills = [str(s) for s in metadata(view).get("skills") or [] if isinstance(s, str)]
    return skills, {skill: int_or_none(selected(view, f"skill_{i}")) for i, skill in enumerate(skills)}


def skills_command(inv: Invocation) -> None:
    deps = deps_of(inv.context)
    with deps.db.session() as session:
        found = skillgrowth.start_target(session=session, team_id=inv.team_id, user_id=inv.user_id, wanted=inv.args)
    if isinstance(found, str):
        inv.respond(text=found, response_type="ephemeral")
        return
    inv.open_modal(skill_ui.skills_modal(found))


def on_open(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """The joined DM's *Rate where I am today*."""
    ack()
    deps = deps_of(context)
    with deps.db.session() as session:
        found = skillgrowth.start_target_in(
            session=session,
            team_id=team_of(body, context),
            user_id=user_of(body),
            programme_id=int_or_none(action_value(body)),
        )
    if isinstance(found, str):
        tell(client, body, found)
        return
    open_modal_for(client, body, skill_ui.skills_modal(found))


def on_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: Any) -> None:
    deps, team_id, user_id = deps_of(context), team_of(body, context), user_of(body)
    skills, levels = levels_of(view)
    programme_id = int_or_none(metadata(view).get("programme_id"))
    with deps.db.begin() as session:
        errors = skillgrowth.rate(
            session=session,
            team_id=team_id,
            user_id=user_id,
            programme_id=programme_id,
            stage=SkillStage.START,
            skills=skills,
            levels=levels,
            now=utcnow(),
        )
        share = skillgrowth.can_share(session=session, team_id=team_id, user_id=user_id, programme_id=programme_id)
    if errors:
        ack(response_action="errors", errors=errors)
        return
    ack(response_action="update", view=skill_ui.saved_modal(programme_id if share else None))


def on_share(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """*Share with my mentor*: the mentee's explicit choice; the mentor is asked for their view."""
    ack()
    deps, team_id, user_id = deps_of(context), team_of(body, context), user_of(body)
    with deps.db.begin() as session:
        shared = skillgrowth.share_with_mentor(
            session=session,
            team_id=team_id,
            user_id=user_id,
            programme_id=int_or_none(action_value(body)),
            now=utcnow(),
        )
        if isinstance(shared, str):
            tell(client, body, shared)
            return
    mentor_id = shared.mentor_id
    send_dm(client, mentor_id, *skill_ui.shared_dm(user_id, shared.programme_name, shared.share_id))
    try:
        client.views_update(view_id=modal_id(body) or "", view=skill_ui.shared_modal(mentor_id))
    except SlackApiError as error:
        logger.info("could not confirm the share in the modal: %s", error.response.get("error"))
        tell(client, body, f"Shared with <@{mentor_id}>.")


def on_view_open(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """The mentor's *Add my view*, from the DM the share sent them."""
    ack()
    with deps_of(context).db.session() as session:
        found = skillgrowth.mentor_target(
            session=session,
            team_id=team_of(body, context),
            user_id=user_of(body),
            share_id=int_or_none(action_value(body)),
        )
    if isinstance(found, str):
        tell(client, body, found)
        return
    open_modal_for(client, body, skill_ui.mentor_view_modal(found))


def on_view_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any) -> None:
    deps, team_id, user_id = deps_of(context), team_of(body, context), user_of(body)
    skills, levels = levels_of(view)
    share_id = int_or_none(metadata(view).get("share_id"))
    with deps.db.begin() as session:
        errors = skillgrowth.save_mentor_view(
            session=session,
            team_id=team_id,
            user_id=user_id,
            share_id=share_id,
            skills=skills,
            levels=levels,
            now=utcnow(),
        )
        both = (
            None
            if errors
            else skillgrowth.side_by_side(session=session, team_id=team_id, user_id=user_id, share_id=share_id)
        )
    if errors or both is None:
        ack(response_action="errors", errors=errors or {"skill_0": skillgrowth.NOT_SHARED})
        return
    ack(response_action="update", view=skill_ui.side_by_side_modal(both))
    send_dm(client, both.mentee_id, *skill_ui.side_by_side_dm(both))


def register(app: App) -> None:
    app.action(skill_ui.RATE_ACTION)(on_open)
    app.view(skill_ui.SKILLS_CALLBACK)(on_submit)
    app.action(skill_ui.SHARE_ACTION)(on_share)
    app.action(skill_ui.VIEW_ACTION)(on_view_open)
    app.view(skill_ui.VIEW_CALLBACK)(on_view_submit)

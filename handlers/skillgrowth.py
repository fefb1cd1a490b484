"""Skills rated before and after: `/mentor skills` and the joined DM's button open the start-of-cycle form."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from blocks import skillgrowth as skill_ui
from handlers.common import (
    Invocation,
    action_value,
    int_or_none,
    metadata,
    open_modal,
    selected,
    team_of,
    tell,
    user_of,
)
from handlers.deps import deps_of
from mentoring import skillgrowth
from store.models import SkillStage
from store.types import utcnow


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
    problem = open_modal(inv.client, inv.trigger_id, skill_ui.skills_modal(found), user_id=inv.user_id)
    if problem:
        inv.respond(text=problem, response_type="ephemeral")


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
    problem = open_modal(client, str(body.get("trigger_id") or ""), skill_ui.skills_modal(found), user_id=user_of(body))
    if problem:
        tell(client, body, problem)


def on_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: Any) -> None:
    deps = deps_of(context)
    skills, levels = levels_of(view)
    with deps.db.begin() as session:
        errors = skillgrowth.rate(
            session=session,
            team_id=team_of(body, context),
            user_id=user_of(body),
            programme_id=int_or_none(metadata(view).get("programme_id")),
            stage=SkillStage.START,
            skills=skills,
            levels=levels,
            now=utcnow(),
        )
    if errors:
        ack(response_action="errors", errors=errors)
        return
    ack(response_action="update", view=skill_ui.saved_modal())


def register(app: App) -> None:
    app.action(skill_ui.RATE_ACTION)(on_open)
    app.view(skill_ui.SKILLS_CALLBACK)(on_submit)

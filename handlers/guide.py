"""The toolbox: `/mentor guide` and "Read the guide" buttons show short guidance for a person's role and stage."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlmodel import Session, select

from blocks.common import context, mrkdwn_section, plain
from blocks.matching import GUIDE_ACTION
from handlers.common import Invocation, action_value, open_modal_for, tell
from handlers.deps import Deps, deps_of
from mentoring import matching
from prompts.guides import Guide, GuideError, Stage, load_guides, render, stage_of
from store import queries
from store.models import CheckIn, ParticipantStatus, Programme
from store.types import utcnow

logger = logging.getLogger(__name__)


def library(deps: Deps) -> Any:
    try:
        return load_guides(deps.guides_dir)
    except GuideError:
        logger.exception("the organisation's guide folder has a bad entry; showing the built-in guides only")
        return load_guides()


def where_they_are(session: Session, *, team_id: str, user_id: str) -> tuple[str, Stage]:
    """The person's role (in their first active programme) and their stage of the cycle."""
    current = [
        (p, prog)
        for p, prog in queries.memberships(session=session, team_id=team_id, slack_user_id=user_id)
        if p.status == ParticipantStatus.ACTIVE.value
    ]
    role = current[0][0].role if current else "mentee"
    matches = matching.user_matches(session=session, team_id=team_id, user_id=user_id)
    if not matches:
        return role, stage_of(has_match=False, days_into_cycle=None, cycle_days=None, first_meeting_logged=False)
    match, _ = matches[0]
    programme = session.get(Programme, match.programme_id)
    logged = session.exec(select(CheckIn).where(CheckIn.match_id == match.id)).first() is not None
    started = programme.cycle_started_at if programme else None
    days = (utcnow() - started).days if started else None
    return role, stage_of(
        has_match=True,
        days_into_cycle=days,
        cycle_days=programme.cycle_days if programme and started else None,
        first_meeting_logged=logged,
    )


def first_meeting_guide(role: str, kind: str) -> str:
    """The guide a new match's introduction points to."""
    if kind == "peer_circles":
        return "peer-circle-first-session"
    if kind == "peer_pairs" or role == "peer":
        return "peer-pair-first-meeting"
    return "first-meeting-agenda"


def guide_blocks(guides: list[Guide]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for guide in guides:
        blocks += [mrkdwn_section(render(guide)), {"type": "divider"}]
    blocks.append(context("Guides are short and practical; `/mentor guide` shows the ones for where you are now."))
    return blocks


STAGE_WORDS = {
    Stage.BEFORE_FIRST_MEETING: "before your first meeting",
    Stage.DURING_CYCLE: "during the cycle",
    Stage.ENDING: "as the cycle ends",
}


def guide_command(inv: Invocation) -> None:
    deps = deps_of(inv.context)
    with deps.db.session() as session:
        role, stage = where_they_are(session, team_id=inv.team_id, user_id=inv.user_id)
    guides = library(deps).for_person(role, stage, limit=3)
    text = f"Guides for a {role} {STAGE_WORDS[stage]}: " + ", ".join(g.title for g in guides)
    inv.respond(
        text=text,
        blocks=[mrkdwn_section(f"*Guides for a {role} {STAGE_WORDS[stage]}*"), *guide_blocks(guides)],
        response_type="ephemeral",
    )


def on_open_guide(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    guide = library(deps_of(context)).get(action_value(body))
    if guide is None:
        tell(client, body, "That guide is no longer available: `/mentor guide` shows the current ones.")
        return
    view = {
        "type": "modal",
        "title": plain("Guide", 24),
        "close": plain("Done", 24),
        "blocks": guide_blocks([guide]),
    }
    open_modal_for(client, body, view)


def register(app: App) -> None:
    app.action(GUIDE_ACTION)(on_open_guide)

"""`/mentor prompt`: conversation prompts for the person's match, from the library or the optional LLM helper."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlmodel import Session, select

from blocks.common import context, mrkdwn_section, plain
from blocks.text import escape
from handlers.common import Invocation, action_value, team_of, tell, user_of
from handlers.deps import Deps, deps_of
from mentoring import matching
from prompts.context import Member, PairContext
from prompts.library import load_library, rating_score, stage_for
from prompts.llm import Suggestions, suggest_prompts
from store import queries
from store.models import CheckIn, Match, Programme
from store.types import utcnow

logger = logging.getLogger(__name__)

RATE_ACTION = "prompt_rate"


def pair_context(session: Session, match: Match, programme: Programme) -> PairContext:
    """Only what a programme may send (see prompts/context.py): goals, skills, milestone titles and check-in
    topics."""
    people = {
        p.slack_user_id: p
        for p in queries.programme_participants(session=session, team_id=match.team_id, programme_id=programme.id or 0)
    }
    members = []
    for member in matching.members(session=session, match_id=match.id or 0):
        person = people.get(member.slack_user_id)
        record = (
            {
                "goals": person.goals,
                "skills_offered": person.skills_offered,
                "skills_wanted": person.skills_wanted,
                "display_name": person.display_name,  # only to scrub names out of the free text
            }
            if person
            else {}
        )
        members.append(Member.from_record(record, role=member.role))
    topics = [t for c in session.exec(select(CheckIn).where(CheckIn.match_id == match.id)).all() for t in c.topics]
    started = programme.cycle_started_at or match.released_at
    day = max((utcnow() - started).days, 0) if started else 0
    return PairContext.from_members(
        kind=programme.kind,
        stage=stage_for(day, programme.cycle_days),
        members=members,
        checkin_topics=list(dict.fromkeys(topics))[-10:],
        milestone_titles=[m.title for m in queries.match_milestones(session=session, match_id=match.id or 0)][:12],
    )


def suggest_for(deps: Deps, *, team_id: str, user_id: str) -> tuple[Suggestions, Match] | None:
    """Three prompts for the person's first active match, remembering what the pair has been shown."""
    with deps.db.begin() as session:
        current = matching.user_matches(session=session, team_id=team_id, user_id=user_id)
        if not current:
            return None
        match = current[0][0]
        programme = session.get(Programme, match.programme_id)
        assert programme is not None
        pair = pair_context(session, match, programme)
        votes = queries.prompt_votes(session=session, team_id=team_id)
        seen = list(match.prompts_seen)
    ratings = {prompt_id: rating_score(up, down) for prompt_id, (up, down) in votes.items()}
    helper = deps.llm if programme.llm_enabled else None
    suggestions = suggest_prompts(
        helper, pair, library=load_library(), used_ids=seen, ratings=ratings, seed=(match.id or 0) * 1000 + len(seen)
    )
    with deps.db.begin() as session:
        stored = session.get(Match, match.id)
        assert stored is not None
        stored.prompts_seen = [*stored.prompts_seen, *suggestions.library_ids]
        session.add(stored)
    return suggestions, match


def prompt_blocks(
    suggestions: Suggestions, heading: str = "*Something to talk about next time*"
) -> list[dict[str, Any]]:
    library = load_library()
    blocks: list[dict[str, Any]] = [mrkdwn_section(heading)]
    for text in suggestions.prompts:
        block: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": f"> {text}"}}
        prompt = next(
            (library.get(i) for i in suggestions.library_ids if (p := library.get(i)) and p.mrkdwn == text), None
        )
        if prompt is not None:
            block["accessory"] = {
                "type": "overflow",
                "action_id": RATE_ACTION,
                "options": [
                    {"text": plain("👍 Helpful"), "value": f"{prompt.id}|1"},
                    {"text": plain("👎 Not for us"), "value": f"{prompt.id}|-1"},
                ],
            }
        blocks.append(block)
    source = "written for you by AI from your goals and skills" if suggestions.source == "llm" else "from our library"
    note = f" {escape(suggestions.note)}" if suggestions.note else ""
    blocks.append(context(f"Prompts {source}.{note} Rate library prompts to improve what pairs see."))
    return blocks


def prompt_command(inv: Invocation) -> None:
    found = suggest_for(deps_of(inv.context), team_id=inv.team_id, user_id=inv.user_id)
    if found is None:
        inv.respond(text="Prompts are for people in a match: you don't have one right now.", response_type="ephemeral")
        return
    suggestions, _ = found
    text = "Something to talk about: " + " / ".join(suggestions.prompts)
    inv.respond(text=text[:3000], blocks=prompt_blocks(suggestions), response_type="ephemeral")


def on_rate(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    actions = body.get("actions") or [{}]
    selected = actions[0].get("selected_option") if isinstance(actions[0], dict) else None
    raw = selected.get("value") if isinstance(selected, dict) else action_value(body)
    prompt_id, _, vote = str(raw or "").partition("|")
    if load_library().get(prompt_id) is None or vote not in ("1", "-1"):
        tell(client, body, "That rating button is out of date.")
        return
    deps = deps_of(context)
    with deps.db.begin() as session:
        queries.rate_prompt(
            session=session, team_id=team_of(body, context), user_id=user_of(body), prompt_id=prompt_id, value=int(vote)
        )
    tell(client, body, "Thanks: your rating shapes the prompts pairs get.")


def register(app: App) -> None:
    app.action(RATE_ACTION)(on_rate)

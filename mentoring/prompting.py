"""Conversation prompts for a pair: what may be sent about them, and three prompts that fit, never repeated."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from mentoring import matching
from prompts.context import Member, PairContext
from prompts.goals import curated_measures
from prompts.library import load_library, rating_score, stage_for
from prompts.llm import LLMHelper, Suggestions, suggest_measures, suggest_prompts
from store import queries
from store.db import Database
from store.models import CheckIn, Match, MatchMember, Participant, Programme, ProgrammeKind
from store.types import utcnow


def _context(
    session: Session,
    match: Match,
    programme: Programme,
    record: Callable[[MatchMember, Participant | None], dict[str, Any]],
    checkin_topics: Sequence[str] = (),
) -> PairContext:
    """A match's context for the helper: each member as `record` gives them (from their stored answers), the
    programme's kind, the cycle's stage and the roadmap's milestone titles."""
    people = {
        p.slack_user_id: p
        for p in queries.programme_participants(session=session, team_id=match.team_id, programme_id=programme.id or 0)
    }
    members = [
        Member.from_record(record(member, people.get(member.slack_user_id)), role=member.role)
        for member in matching.members(session=session, match_id=match.id or 0)
    ]
    started = programme.cycle_started_at or match.released_at
    day = max((utcnow() - started).days, 0) if started else 0
    return PairContext.from_members(
        kind=ProgrammeKind.shape(programme.kind),
        stage=stage_for(day, programme.cycle_days),
        members=members,
        checkin_topics=list(checkin_topics),
        milestone_titles=[m.title for m in queries.match_milestones(session=session, match_id=match.id or 0)][:12],
    )


def pair_context(session: Session, match: Match, programme: Programme) -> PairContext:
    """Only what a programme may send (see prompts/context.py): goals, skills, milestone titles and check-in
    topics."""

    def record(_member: MatchMember, person: Participant | None) -> dict[str, Any]:
        if person is None:
            return {}
        return {
            "goals": person.goals,
            "skills_offered": person.skills_offered,
            "skills_wanted": person.skills_wanted,
            "display_name": person.display_name,  # only to scrub names out of the free text
        }

    topics = [t for c in session.exec(select(CheckIn).where(CheckIn.match_id == match.id)).all() for t in c.topics]
    return _context(session, match, programme, record, list(dict.fromkeys(topics))[-10:])


def suggest_for(db: Database, llm: LLMHelper | None, *, team_id: str, user_id: str) -> tuple[Suggestions, Match] | None:
    """Three prompts for the person's first active match, remembering what the pair has been shown."""
    with db.begin() as session:
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
    helper = llm if programme.llm_enabled else None
    suggestions = suggest_prompts(
        helper, pair, library=load_library(), used_ids=seen, ratings=ratings, seed=(match.id or 0) * 1000 + len(seen)
    )
    with db.begin() as session:
        stored = session.get(Match, match.id)
        assert stored is not None
        stored.prompts_seen = [*stored.prompts_seen, *suggestions.library_ids]
        session.add(stored)
    return suggestions, match


@dataclass(frozen=True)
class MeasureSuggestions:
    """Ways to know a goal was reached: from the LLM helper ("llm") or the curated library ("library")."""

    measures: list[str]
    source: str
    note: str | None = None


def goal_context(session: Session, *, match: Match, programme: Programme, owner_id: str, goal: str) -> PairContext:
    """What the helper may see to phrase a goal measurably: the same fields as for prompts (see `pair_context`),
    with the goal being written as the owner's goals. Names of the match's members are scrubbed from it."""

    def record(member: MatchMember, person: Participant | None) -> dict[str, Any]:
        own = member.slack_user_id == owner_id
        return {
            "goals": goal if own else "",
            "skills_wanted": person.skills_wanted if person and own else [],
            "display_name": person.display_name if person else "",  # only to scrub names out of the goal
        }

    return _context(session, match, programme, record)


def measures_for(
    db: Database, llm: LLMHelper | None, *, team_id: str, user_id: str, match_id: int | None, goal: str
) -> MeasureSuggestions | None:
    """Measurable phrasings for the goal the person is writing on their own roadmap in this match; None when
    it is not theirs to write. The helper is asked only when the programme turned it on."""
    with db.session() as session:
        mine = matching.user_matches(session=session, team_id=team_id, user_id=user_id)
        found = next((m for m, _ in mine if m.id == match_id), None)
        programme = session.get(Programme, found.programme_id) if found else None
        if found is None or programme is None:
            return None
        context = goal_context(session, match=found, programme=programme, owner_id=user_id, goal=goal)
        person = queries.get_participant(
            session=session, team_id=team_id, programme_id=programme.id or 0, slack_user_id=user_id
        )
    skills = [s for s in (person.skills_wanted if person else []) if s] or programme.skills[:1]
    measures, failure = suggest_measures(llm if programme.llm_enabled else None, context)
    if measures:
        return MeasureSuggestions(measures, "llm")
    note = "The suggestion helper is unavailable right now, so these come from our library." if failure else None
    return MeasureSuggestions(curated_measures(skills), "library", note)

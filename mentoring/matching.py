"""Matching rounds for a programme: from stored participants to the pairing engine and back.

No Slack here: this module reads and writes the store and calls the pure engine in `pairing/`.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

import pairing
from pairing.model import Mode
from store.models import (
    Match,
    MatchMember,
    MatchRound,
    MatchStatus,
    Participant,
    ParticipantStatus,
    Programme,
    ProgrammeKind,
    RoundStatus,
)

logger = logging.getLogger(__name__)

MODES: dict[str, Mode] = {
    ProgrammeKind.ONE_TO_ONE.value: "mentoring",
    ProgrammeKind.PEER_PAIRS.value: "peer_pairs",
    ProgrammeKind.PEER_CIRCLES.value: "peer_circles",
}
WRONG_ROLE = "this programme pairs mentors with mentees: change your role with `/mentor profile` to be matched"


def mode_of(programme: Programme) -> Mode:
    return MODES.get(programme.kind, "mentoring")


def rules_of(programme: Programme) -> pairing.Rules:
    return pairing.Rules(circle_size=programme.circle_size)


def active_matches(*, session: Session, programme_id: int) -> list[tuple[Match, list[MatchMember]]]:
    matches = session.exec(
        select(Match).where(Match.programme_id == programme_id, Match.status == MatchStatus.ACTIVE.value)
    ).all()
    return [(m, members(session=session, match_id=m.id)) for m in matches if m.id is not None]


def members(*, session: Session, match_id: int) -> list[MatchMember]:
    return list(
        session.exec(select(MatchMember).where(MatchMember.match_id == match_id).order_by(col(MatchMember.id))).all()
    )


def past_pairs(*, session: Session, team_id: str, programme_id: int, now: datetime) -> list[pairing.PastPair]:
    """Every pair that was ever released in the workspace, for the engine's no-repeat rule."""
    pairs = []
    released = session.exec(
        select(Match).where(
            Match.team_id == team_id, col(Match.status).in_([MatchStatus.ACTIVE.value, MatchStatus.ENDED.value])
        )
    ).all()
    for match in released:
        assert match.id is not None
        ids = [m.slack_user_id for m in members(session=session, match_id=match.id)]
        when = match.ended_at or now
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                pairs.append(
                    pairing.PastPair(a=a, b=b, ended_at=when, same_programme=match.programme_id == programme_id)
                )
    return pairs


def candidates(
    *, session: Session, programme: Programme
) -> tuple[list[pairing.Candidate], list[pairing.Unmatched], dict[str, str | None]]:
    """The people to match this round, the people who cannot be (with why), and everyone's manager."""
    assert programme.id is not None
    mode = mode_of(programme)
    people = session.exec(select(Participant).where(Participant.programme_id == programme.id)).all()
    managers = {p.slack_user_id: p.manager_id for p in people}
    taken: dict[str, int] = {}
    for _, group in active_matches(session=session, programme_id=programme.id):
        for member in group:
            taken[member.slack_user_id] = taken.get(member.slack_user_id, 0) + 1
    result: list[pairing.Candidate] = []
    refused: list[pairing.Unmatched] = []
    for person in people:
        if person.status != ParticipantStatus.ACTIVE.value:
            continue
        role = person.role if mode == "mentoring" else "peer"
        if mode == "mentoring" and role == "peer":
            refused.append(pairing.Unmatched(id=person.slack_user_id, reason=WRONG_ROLE))
            continue
        capacity = 1
        if role == "mentor":
            capacity = max((person.capacity or 1) - taken.get(person.slack_user_id, 0), 0)
            if capacity == 0:
                continue
        elif person.slack_user_id in taken:
            continue  # already in a match this cycle
        result.append(
            pairing.Candidate(
                id=person.slack_user_id,
                role=role,  # type: ignore[arg-type]
                skills_offered=frozenset(person.skills_offered),
                skills_wanted=frozenset(person.skills_wanted),
                goals=person.goals,
                department=person.department,
                title=person.title,
                timezone=person.timezone,
                capacity=capacity,
                meeting_mode=person.meeting_mode,  # type: ignore[arg-type]
                manager_id=person.manager_id,
                rather_not=frozenset(person.rather_not),
                missed_rounds=person.missed_rounds,
            )
        )
    return result, refused, managers


def propose(
    *, session: Session, programme: Programme, now: datetime, seed: int
) -> tuple[list[pairing.Candidate], list[pairing.Unmatched], pairing.MatchResult]:
    """What the engine proposes for the programme now: the candidates, who cannot be matched, and the result."""
    assert programme.id is not None
    people, refused, managers = candidates(session=session, programme=programme)
    result = pairing.match(
        people,
        mode=mode_of(programme),
        past_pairs=past_pairs(session=session, team_id=programme.team_id, programme_id=programme.id, now=now),
        rules=rules_of(programme),
        now=now,
        seed=seed,
        managers=managers,
    )
    return people, refused, result


def run_round(
    *, session: Session, programme: Programme, admin_id: str, now: datetime, seed: int | None = None
) -> MatchRound:
    """Run the engine and store its proposal as a preview round (any earlier preview is discarded)."""
    assert programme.id is not None
    for old in session.exec(
        select(MatchRound).where(
            MatchRound.programme_id == programme.id, MatchRound.status == RoundStatus.PREVIEW.value
        )
    ).all():
        old.status = RoundStatus.DISCARDED.value
        session.add(old)
    seed = secrets.randbelow(2**31) if seed is None else seed
    people, refused, result = propose(session=session, programme=programme, now=now, seed=seed)
    logger.info(
        "matching round",
        extra={"team_id": programme.team_id, "programme_id": programme.id, "seed": seed, **result.stats()},
    )
    round_ = MatchRound(
        team_id=programme.team_id,
        programme_id=programme.id,
        cycle_number=programme.cycle_number,
        seed=seed,
        created_by=admin_id,
        stats=result.stats(),
        unmatched=[{"user_id": u.id, "reason": u.reason} for u in (*result.unmatched, *refused)],
    )
    session.add(round_)
    session.flush()
    assert round_.id is not None
    roles = {c.id: c.role for c in people}
    for proposal in result.matches:
        match = Match(
            team_id=programme.team_id,
            programme_id=programme.id,
            round_id=round_.id,
            cycle_number=programme.cycle_number,
            score=round(proposal.score, 1),
            reasons=list(proposal.reasons),
        )
        session.add(match)
        session.flush()
        assert match.id is not None
        for user_id in proposal.members:
            session.add(
                MatchMember(match_id=match.id, team_id=programme.team_id, slack_user_id=user_id, role=roles[user_id])
            )
    session.flush()
    return round_


@dataclass(frozen=True)
class Proposal:
    match: Match
    members: list[MatchMember]


def proposals(*, session: Session, round_id: int) -> list[Proposal]:
    matches = session.exec(select(Match).where(Match.round_id == round_id).order_by(col(Match.id))).all()
    return [Proposal(m, members(session=session, match_id=m.id)) for m in matches if m.id is not None]


class SwapRefused(ValueError):
    pass


def _candidate_for(session: Session, programme: Programme, user_id: str) -> pairing.Candidate:
    people, _, _ = candidates(session=session, programme=programme)
    for person in people:
        if person.id == user_id:
            return person
    raise SwapRefused("that person can no longer be matched")


def swap(*, session: Session, programme: Programme, first: Match, second: Match, now: datetime) -> None:
    """Exchange the last members (the mentees, or a peer) of two proposed matches, if every rule still holds."""
    assert first.id is not None and second.id is not None and programme.id is not None
    a, b = members(session=session, match_id=first.id), members(session=session, match_id=second.id)
    if len(a) < 2 or len(b) < 2:
        raise SwapRefused("only matches of two or more people can swap partners")
    moving_a, moving_b = a[-1], b[-1]
    stay_a, stay_b = a[:-1], b[:-1]
    mode = mode_of(programme)
    rules = rules_of(programme)
    _, _, managers = candidates(session=session, programme=programme)
    past = past_pairs(session=session, team_id=programme.team_id, programme_id=programme.id, now=now)
    new_b = _candidate_for(session, programme, moving_b.slack_user_id)
    new_a = _candidate_for(session, programme, moving_a.slack_user_id)
    for stay, newcomer, match in ((stay_a, new_b, first), (stay_b, new_a, second)):
        scores: list[float] = []
        reasons: list[str] = []
        for member in stay:
            staying = _candidate_for(session, programme, member.slack_user_id)
            if not pairing.allowed(staying, newcomer, past=past, rules=rules, now=now, managers=managers, mode=mode):
                raise SwapRefused(
                    "that swap would break a matching rule (a past pair, a reporting line, a private preference, "
                    "meeting mode or shared hours)"
                )
            score, why = pairing.score_pair(staying, newcomer, weights=pairing.Weights(), mode=mode)
            scores.append(score)
            reasons.extend(r for r in why if r not in reasons)
        match.score = round(sum(scores) / len(scores), 1)
        match.reasons = reasons
        session.add(match)
    moving_a.match_id, moving_b.match_id = second.id, first.id
    session.add(moving_a)
    session.add(moving_b)


def room_name(programme_slug: str, first_names: Sequence[str], *, suffix: int = 0) -> str:
    """A channel name Slack accepts: lowercase letters, digits, - and _, at most 80 characters."""
    people = "-".join(first_names)
    prefix = programme_slug[:40] if "mentor" in programme_slug else f"mentoring-{programme_slug[:30]}"
    base = f"{prefix}-{people}".lower()
    base = re.sub(r"[^a-z0-9_-]+", "-", base)
    base = re.sub(r"-{2,}", "-", base).strip("-")
    tail = f"-{suffix}" if suffix else ""
    return base[: 80 - len(tail)].rstrip("-") + tail


def user_matches(
    *, session: Session, team_id: str, user_id: str, programme_id: int | None = None
) -> list[tuple[Match, list[MatchMember]]]:
    """The person's active matches (in one programme, or all)."""
    query = (
        select(Match)
        .join(MatchMember, col(MatchMember.match_id) == col(Match.id))
        .where(
            Match.team_id == team_id,
            MatchMember.slack_user_id == user_id,
            Match.status == MatchStatus.ACTIVE.value,
        )
    )
    if programme_id is not None:
        query = query.where(Match.programme_id == programme_id)
    return [(m, members(session=session, match_id=m.id)) for m in session.exec(query).all() if m.id is not None]


def end(*, session: Session, match: Match, by: str, reason: str, now: datetime) -> bool:
    """End an active match; it stays recorded so the pair is not repeated. False if it was not active."""
    if match.status != MatchStatus.ACTIVE.value:
        return False
    match.status = MatchStatus.ENDED.value
    match.ended_at = now
    match.ended_by = by
    match.end_reason = reason[:1000]
    session.add(match)
    return True


def release(*, session: Session, round_: MatchRound, now: datetime) -> list[Proposal]:
    """Make a previewed round real: its proposed matches become active; people left out get priority next time."""
    assert round_.id is not None
    round_.status = RoundStatus.RELEASED.value
    round_.released_at = now
    session.add(round_)
    released = []
    for proposal in proposals(session=session, round_id=round_.id):
        if proposal.match.status == MatchStatus.PROPOSED.value:
            proposal.match.status = MatchStatus.ACTIVE.value
            proposal.match.released_at = now
            session.add(proposal.match)
            released.append(proposal)
    left_out = {u["user_id"] for u in round_.unmatched}
    for proposal in proposals(session=session, round_id=round_.id):
        if proposal.match.status == MatchStatus.DROPPED.value:
            left_out.update(m.slack_user_id for m in proposal.members)
    for person in session.exec(
        select(Participant).where(
            Participant.programme_id == round_.programme_id, col(Participant.slack_user_id).in_(left_out)
        )
    ).all():
        person.missed_rounds += 1
        session.add(person)
    return released


def carry_over(session: Session, *, programme_id: int, now: datetime) -> tuple[list[Match], list[Match]]:
    """The cycle closes: matches whose members all chose to continue stay; the others end. Returns both."""
    kept: list[Match] = []
    ended: list[Match] = []
    for match, group in active_matches(session=session, programme_id=programme_id):
        ids = {m.slack_user_id for m in group}
        if ids and ids <= set(match.continue_votes):
            kept.append(match)
        elif end(session=session, match=match, by="cycle", reason="the cycle ended", now=now):
            ended.append(match)
    return kept, ended

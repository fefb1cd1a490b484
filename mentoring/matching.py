"""Matching rounds for a programme: from stored participants to the pairing engine and back.

No Slack here: this module reads and writes the store and calls the pure engine in `pairing/`.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, NamedTuple

from sqlmodel import Session, col, select

import pairing
from mentoring.access import programme_admin_ids
from mentoring.training import progress_among, trained_among, untrained_reason
from pairing.model import Mode
from prompts.context import Member, PairContext, Stage
from prompts.library import load_library, select_prompts
from store import queries
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
from store.queries import MatchRecord, MemberRecord

logger = logging.getLogger(__name__)

MODES: dict[str, Mode] = {
    ProgrammeKind.ONE_TO_ONE.value: "mentoring",
    ProgrammeKind.PEER_PAIRS.value: "peer_pairs",
    ProgrammeKind.PEER_CIRCLES.value: "peer_circles",
    ProgrammeKind.REVERSE_MENTORING.value: "mentoring",
}
PREFERENCE_WEIGHT = 10.0  # as much as the default cross-department preference
WRONG_ROLE = "this programme pairs mentors with mentees: change your role with `/mentor profile` to be matched"


def mode_of(programme: Programme) -> Mode:
    return MODES.get(programme.kind, "mentoring")


def weights_of(programme: Programme) -> pairing.Weights:
    """The scores' weights: the programme's preference for pairs across departments (the default), within one,
    or within an office; and reverse mentoring expects a junior mentor, so seniority is not scored."""
    weights = pairing.Weights()
    if programme.pair_preference == "same_department":
        weights = replace(weights, cross_department=0.0, same_department=PREFERENCE_WEIGHT)
    elif programme.pair_preference == "same_office":
        weights = replace(weights, cross_department=0.0, same_office=PREFERENCE_WEIGHT)
    if programme.kind == ProgrammeKind.REVERSE_MENTORING.value:
        weights = replace(weights, seniority=0.0)
    return weights


def rules_of(programme: Programme) -> pairing.Rules:
    return pairing.Rules(circle_size=programme.circle_size)


def active_matches(*, session: Session, programme_id: int) -> list[tuple[Match, list[MatchMember]]]:
    return queries.matches_with_members(
        col(Match.programme_id) == programme_id, col(Match.status) == MatchStatus.ACTIVE.value, session=session
    )


def members(*, session: Session, match_id: int) -> list[MatchMember]:
    return list(
        session.exec(select(MatchMember).where(MatchMember.match_id == match_id).order_by(col(MatchMember.id))).all()
    )


def past_pairs(*, session: Session, team_id: str, programme_id: int, now: datetime) -> list[pairing.PastPair]:
    """Every pair that was ever released in the workspace, for the engine's no-repeat rule (one query)."""
    pairs = []
    for match in queries.released_matches(session=session, team_id=team_id):
        ids = match.members
        when = match.ended_at or now
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                pairs.append(
                    pairing.PastPair(a=a, b=b, ended_at=when, same_programme=match.programme_id == programme_id)
                )
    return pairs


@dataclass(frozen=True)
class Pool:
    """Who takes part in a round: the people to match, the people who cannot be (with why), and everyone's manager
    and name (their Slack id when they have none)."""

    people: list[pairing.Candidate]
    refused: list[pairing.Unmatched]
    managers: dict[str, str | None]
    names: dict[str, str]


def candidates(
    *, session: Session, programme: Programme, reserve: bool = True, except_request: int | None = None
) -> tuple[list[pairing.Candidate], list[pairing.Unmatched], dict[str, str | None]]:
    """The people to match this round, the people who cannot be (with why), and everyone's manager (see `pool`)."""
    found = pool(session=session, programme=programme, reserve=reserve, except_request=except_request)
    return found.people, found.refused, found.managers


def pool(*, session: Session, programme: Programme, reserve: bool = True, except_request: int | None = None) -> Pool:
    """Who takes part in a round of the programme now, from one read of its participants.

    With `reserve`, open requests (mentees choose) hold their place: a mentee waiting for an answer is not matched,
    and each open request takes one of its mentor's places; `except_request` is the one being accepted."""
    assert programme.id is not None
    mode = mode_of(programme)
    people = queries.round_people(session=session, programme_id=programme.id)
    managers = {p.slack_user_id: p.manager_id for p in people}
    names = {p.slack_user_id: p.display_name or p.slack_user_id for p in people}
    taken = queries.places_taken(session=session, programme_id=programme.id)
    waiting: set[str] = set()
    live = ParticipantStatus.ACTIVE.value
    active = {p.slack_user_id for p in people if p.status == live}
    held = queries.open_request_rows(session=session, programme_id=programme.id) if reserve else []
    for request_id, mentor_id, mentee_id in held:
        if request_id != except_request and mentee_id in active:  # a paused or departed mentee holds nothing
            taken[mentor_id] = taken.get(mentor_id, 0) + 1
            waiting.add(mentee_id)
    result: list[pairing.Candidate] = []
    refused: list[pairing.Unmatched] = []
    training = (
        progress_among(
            session=session,
            team_id=programme.team_id,
            user_ids=[p.slack_user_id for p in people if p.role == "mentor" and mode == "mentoring"],
        )
        if programme.requires_training
        else {}
    )
    for person in people:
        if person.status != live:
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
            progress = training.get(person.slack_user_id)
            if progress is not None and not progress.complete:
                refused.append(pairing.Unmatched(id=person.slack_user_id, reason=untrained_reason(progress)))
                continue
        elif person.slack_user_id in taken or person.slack_user_id in waiting:
            continue  # already in a match this cycle, or waiting for a mentor's answer
        result.append(
            pairing.Candidate(
                id=person.slack_user_id,
                role=role,  # type: ignore[arg-type]
                skills_offered=person.skills_offered,
                skills_wanted=person.skills_wanted,
                goals=person.goals,
                department=person.department,
                title=person.title,
                timezone=person.timezone,
                capacity=capacity,
                meeting_mode=person.meeting_mode,  # type: ignore[arg-type]
                location=person.office,
                manager_id=person.manager_id,
                rather_not=person.rather_not,
                missed_rounds=person.missed_rounds,
            )
        )
    return Pool(result, refused, managers, names)


def propose(
    *, session: Session, programme: Programme, now: datetime, seed: int
) -> tuple[list[pairing.Candidate], list[pairing.Unmatched], pairing.MatchResult]:
    """What the engine proposes for the programme now: the candidates, who cannot be matched, and the result."""
    found, result = _engine_run(session=session, programme=programme, now=now, seed=seed)
    return found.people, found.refused, result


def _engine_run(
    *, session: Session, programme: Programme, now: datetime, seed: int
) -> tuple[Pool, pairing.MatchResult]:
    assert programme.id is not None
    found = pool(session=session, programme=programme)
    result = pairing.match(
        found.people,
        mode=mode_of(programme),
        past_pairs=past_pairs(session=session, team_id=programme.team_id, programme_id=programme.id, now=now),
        weights=weights_of(programme),
        rules=rules_of(programme),
        now=now,
        seed=seed,
        managers=found.managers,
    )
    return found, result


class StoredRound(NamedTuple):
    """A round just stored: the round, its proposals as stored (in order) and its people's names."""

    round_: MatchRound
    proposals: list[Proposal]
    names: dict[str, str]


def run_round(
    *, session: Session, programme: Programme, admin_id: str, now: datetime, seed: int | None = None
) -> StoredRound:
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
    found, result = _engine_run(session=session, programme=programme, now=now, seed=seed)
    people, refused = found.people, found.refused
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
    new = [
        queries.NewMatch(
            score=round(proposal.score, 1),
            reasons=list(proposal.reasons),
            members=[(user_id, roles[user_id]) for user_id in proposal.members],
        )
        for proposal in result.matches
    ]
    ids = queries.insert_proposals(
        session=session,
        team_id=programme.team_id,
        programme_id=programme.id,
        round_id=round_.id,
        cycle_number=programme.cycle_number,
        matches=new,
    )
    proposed = MatchStatus.PROPOSED.value
    stored = [
        Proposal(MatchRecord(match_id, m.score, list(m.reasons), proposed), [MemberRecord(*x) for x in m.members])
        for match_id, m in zip(ids, new, strict=True)
    ]
    return StoredRound(round_, stored, found.names)


@dataclass(frozen=True)
class Proposal:
    """A match of a round (its id, score, reasons and status) and its members in order, as plain values."""

    match: MatchRecord
    members: list[MemberRecord]


def proposals(*, session: Session, round_id: int) -> list[Proposal]:
    """The round's matches with their members, in two queries."""
    return [Proposal(m, group) for m, group in queries.round_matches(session=session, round_id=round_id)]


class SwapRefused(ValueError):
    pass


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
    people, _, managers = candidates(session=session, programme=programme)  # one read for every member
    by_id = {person.id: person for person in people}

    def candidate(user_id: str) -> pairing.Candidate:
        if user_id not in by_id:
            raise SwapRefused("that person can no longer be matched")
        return by_id[user_id]

    past = past_pairs(session=session, team_id=programme.team_id, programme_id=programme.id, now=now)
    new_b = candidate(moving_b.slack_user_id)
    new_a = candidate(moving_a.slack_user_id)
    for stay, newcomer, match in ((stay_a, new_b, first), (stay_b, new_a, second)):
        scores: list[float] = []
        reasons: list[str] = []
        for member in stay:
            staying = candidate(member.slack_user_id)
            if not pairing.allowed(staying, newcomer, past=past, rules=rules, now=now, managers=managers, mode=mode):
                raise SwapRefused(
                    "that swap would break a matching rule (a past pair, a reporting line, a private preference, "
                    "meeting mode or shared hours)"
                )
            score, why = pairing.score_pair(staying, newcomer, weights=weights_of(programme), mode=mode)
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


def release(*, session: Session, round_: MatchRound, now: datetime) -> tuple[list[Proposal], list[str]]:
    """Make a previewed round real: its proposed matches become active; people left out get priority next time.

    Returns the matches released and the people held back (members of dropped matches). A fixed number of
    statements, however large the round."""
    assert round_.id is not None
    round_.status = RoundStatus.RELEASED.value
    round_.released_at = now
    session.add(round_)
    everything = proposals(session=session, round_id=round_.id)
    active = MatchStatus.ACTIVE.value
    released = [
        Proposal(p.match._replace(status=active), p.members)
        for p in everything
        if p.match.status == MatchStatus.PROPOSED.value
    ]
    held_back = [m.slack_user_id for p in everything if p.match.status == MatchStatus.DROPPED.value for m in p.members]
    queries.activate_proposals(session=session, round_id=round_.id, now=now)
    left_out = {u["user_id"] for u in round_.unmatched} | set(held_back)
    queries.count_missed_round(session=session, programme_id=round_.programme_id, user_ids=sorted(left_out))
    return released, held_back


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


def programme_names(*, session: Session, programme: Programme) -> dict[str, str]:
    """Each participant's display name in the programme (their Slack id when they have none)."""
    assert programme.id is not None
    return queries.participant_names(session=session, programme_id=programme.id)


@dataclass(frozen=True)
class Preview:
    """What the admin's preview shows: the round's proposals and everyone's name."""

    programme: Programme
    round_: MatchRound
    proposals: list[Proposal]
    names: dict[str, str]
    trained: set[str] = field(default_factory=set)  # mentors in the preview who completed the mentor essentials

    @property
    def round_id(self) -> int:
        assert self.round_.id is not None
        return self.round_.id


def preview(
    *, session: Session, programme: Programme, round_: MatchRound, stored: StoredRound | None = None
) -> Preview:
    """The round's preview: from the round just stored when the caller has it, else read."""
    assert round_.id is not None
    if stored is None:
        found = proposals(session=session, round_id=round_.id)
        names = programme_names(session=session, programme=programme)
    else:
        found, names = stored.proposals, stored.names
    mentors = sorted({m.slack_user_id for p in found for m in p.members if m.role == "mentor"})
    return Preview(
        programme,
        round_,
        found,
        names,
        trained_among(session=session, team_id=programme.team_id, user_ids=mentors),
    )


def start_round(*, session: Session, programme_id: int | None, admin_id: str, now: datetime) -> Preview:
    """An admin asked for matches: run a round, note it in the admin log, and return its preview."""
    programme = session.get(Programme, programme_id)
    assert programme is not None and programme.id is not None
    with pairing.collection_paused():
        stored = run_round(session=session, programme=programme, admin_id=admin_id, now=now)
        round_ = stored.round_
        queries.audit(
            session=session,
            team_id=programme.team_id,
            actor_id=admin_id,
            action="match.preview",
            programme_id=programme.id,
            details={"round_id": round_.id, "seed": round_.seed, **round_.stats},
        )
        return preview(session=session, programme=programme, round_=round_, stored=stored)


@dataclass(frozen=True)
class PreviewTarget:
    """One proposed match of a round still in preview, and its programme."""

    round_: MatchRound
    match: Match
    programme: Programme


def preview_target(
    *, session: Session, team_id: str, round_id: int | None, match_id: int | None
) -> PreviewTarget | None:
    """The match an admin changes in a preview; None when the preview is out of date (or not this workspace's)."""
    round_ = session.get(MatchRound, round_id) if round_id is not None else None
    match = session.get(Match, match_id) if match_id is not None else None
    if (
        round_ is None
        or match is None
        or round_.team_id != team_id
        or match.round_id != round_.id
        or round_.status != RoundStatus.PREVIEW.value
    ):
        return None
    programme = session.get(Programme, round_.programme_id)
    assert programme is not None and programme.id is not None and round_.id is not None
    return PreviewTarget(round_, match, programme)


def change_preview(
    *, session: Session, target: PreviewTarget, choice: str, swap_with: int | None, actor_id: str, now: datetime
) -> str | None:
    """Drop, restore or swap (with the match `swap_with`) a proposed match. Returns a notice for the admin when
    the change could not be made; a change made is noted in the admin log."""
    round_, match, programme = target.round_, target.match, target.programme
    notice = None
    if choice == "drop" and match.status == MatchStatus.PROPOSED.value:
        match.status = MatchStatus.DROPPED.value
    elif choice == "restore" and match.status == MatchStatus.DROPPED.value:
        match.status = MatchStatus.PROPOSED.value
    elif choice.startswith("swap:"):
        other = session.get(Match, swap_with or -1)
        if other is None or other.round_id != round_.id or other.status != MatchStatus.PROPOSED.value:
            notice = "That match is no longer in this preview."
        else:
            try:
                with session.begin_nested():
                    swap(session=session, programme=programme, first=match, second=other, now=now)
            except SwapRefused as refused:
                notice = f"Not swapped: {refused}."
    session.add(match)
    session.flush()
    if notice is None:
        queries.audit(
            session=session,
            team_id=round_.team_id,
            actor_id=actor_id,
            action="match.preview_change",
            programme_id=programme.id,
            details={"round_id": round_.id, "match_id": match.id, "change": choice},
        )
    return notice


@dataclass(frozen=True)
class RoundOf:
    """A workspace's matching round and its programme."""

    round_: MatchRound
    programme: Programme

    @property
    def in_preview(self) -> bool:
        return self.round_.status == RoundStatus.PREVIEW.value


def round_of(*, session: Session, team_id: str, round_id: int | None) -> RoundOf | None:
    round_ = session.get(MatchRound, round_id) if round_id is not None else None
    if round_ is None or round_.team_id != team_id:
        return None
    programme = session.get(Programme, round_.programme_id)
    assert programme is not None
    return RoundOf(round_, programme)


@dataclass(frozen=True)
class Released:
    """A released round: the matches that start, and who was left out (`unmatched`, with why) or held back."""

    programme: Programme
    matches: list[Proposal]
    unmatched: list[dict[str, Any]]
    held_back: list[str]


def release_preview(*, session: Session, round_id: int, admin_id: str, now: datetime) -> Released | None:
    """Release a previewed round and note it in the admin log; None when it is no longer in preview."""
    round_ = session.get(MatchRound, round_id)
    assert round_ is not None
    if round_.status != RoundStatus.PREVIEW.value:
        return None
    programme = session.get(Programme, round_.programme_id)
    assert programme is not None
    with pairing.collection_paused():
        released, held_back = release(session=session, round_=round_, now=now)
    unmatched = list(round_.unmatched)
    queries.audit(
        session=session,
        team_id=round_.team_id,
        actor_id=admin_id,
        action="match.release",
        programme_id=programme.id,
        details={"round_id": round_id, "matches": len(released), "unmatched": len(unmatched) + len(held_back)},
    )
    return Released(programme, released, unmatched, held_back)


def abandon(*, session: Session, match_id: int, team_id: str, gone: Sequence[str], now: datetime) -> None:
    """A member left Slack before the match's room opened: the match ends and whoever left is paused."""
    match = session.get(Match, match_id)
    assert match is not None
    end(session=session, match=match, by="mentor-bot", reason="a member is no longer in Slack", now=now)
    for uid in gone:
        queries.set_status(
            session=session,
            team_id=team_id,
            user_id=uid,
            status=ParticipantStatus.PAUSED,
            reason="deactivated",
            only_from=(ParticipantStatus.ACTIVE,),
        )


def record_room(*, session: Session, match_id: int, room_id: str, kind: str, intro_ts: str | None) -> None:
    """Remember where the match's room is and which message introduced it."""
    match = session.get(Match, match_id)
    assert match is not None
    match.room_id, match.room_kind = room_id, kind
    match.intro_ts = intro_ts
    session.add(match)


def first_prompt(*, session: Session, programme: Programme, proposal: Proposal) -> str:
    """The first question the room's introduction suggests, picked from the library for this pair."""
    people = {
        p.slack_user_id: p
        for p in queries.programme_participants(
            session=session, team_id=programme.team_id, programme_id=programme.id or 0
        )
    }
    members = [
        Member.from_record(
            {
                "goals": people[m.slack_user_id].goals if m.slack_user_id in people else "",
                "skills_offered": people[m.slack_user_id].skills_offered if m.slack_user_id in people else [],
                "skills_wanted": people[m.slack_user_id].skills_wanted if m.slack_user_id in people else [],
            },
            role=m.role,
        )
        for m in proposal.members
    ]
    context = PairContext.from_members(
        kind=ProgrammeKind.shape(programme.kind), stage=Stage.FIRST_MEETING, members=members
    )
    chosen = select_prompts(load_library(), context, count=1, seed=proposal.match.id or 0)
    return chosen[0].mrkdwn if chosen else "What would make these months together worth it for each of you?"


def room_match(*, session: Session, match_id: int) -> Match | None:
    """The match if it is active and has its room; else None."""
    match = session.get(Match, match_id)
    if match is None or not match.room_id or match.status != MatchStatus.ACTIVE.value:
        return None
    return match


def note_prompts_seen(*, session: Session, match_id: int, library_ids: Sequence[str]) -> None:
    """Remember the library prompts the match has been shown, so they are not suggested again."""
    stored = session.get(Match, match_id)
    if stored is not None:
        stored.prompts_seen = [*stored.prompts_seen, *library_ids]
        session.add(stored)


def member_match(*, session: Session, match_id: int | None, team_id: str, user_id: str) -> Match | None:
    """The workspace's match `match_id` if the person is one of its members; else None."""
    match = session.get(Match, match_id) if match_id is not None else None
    if match is None or match.team_id != team_id:
        return None
    if user_id not in {m.slack_user_id for m in members(session=session, match_id=match.id or 0)}:
        return None
    return match


def rematch_choices(*, session: Session, team_id: str, user_id: str) -> list[tuple[int, list[str]]]:
    """The person's active matches: each one's id and its other members' names."""
    current = user_matches(session=session, team_id=team_id, user_id=user_id)
    names = {
        p.slack_user_id: p.display_name or p.slack_user_id
        for match, _ in current
        for p in queries.programme_participants(session=session, team_id=team_id, programme_id=match.programme_id)
    }
    return [
        (
            match.id or 0,
            [names.get(m.slack_user_id, "your partner") for m in group if m.slack_user_id != user_id],
        )
        for match, group in current
    ]


@dataclass(frozen=True)
class Ended:
    """A match that ended, and whom to tell: its room, the other members, and (for a private note) the admins."""

    room_id: str | None
    partners: list[str]
    programme: Programme
    admins: list[str]


def end_user_matches(
    *,
    session: Session,
    team_id: str,
    user_id: str,
    reason: str,
    now: datetime,
    workspace_admins: Callable[[], list[str]],
    programme_id: int | None = None,
    private_reason: str = "",
    match_ids: set[int] | None = None,
) -> list[Ended]:
    """End the person's active matches (in one programme, or only `match_ids`). Admins of each programme are
    listed only when there is a private reason for them; `workspace_admins` reads the workspace's own admins."""
    ended: list[tuple[Match, list[str], Programme]] = []
    for match, group in user_matches(session=session, team_id=team_id, user_id=user_id, programme_id=programme_id):
        if match_ids is not None and match.id not in match_ids:
            continue
        if end(session=session, match=match, by=user_id, reason=private_reason or reason, now=now):
            programme = session.get(Programme, match.programme_id)
            assert programme is not None
            ended.append((match, [m.slack_user_id for m in group if m.slack_user_id != user_id], programme))
    admins: dict[int, list[str]] = {}
    if private_reason:
        for _, _, programme in ended:
            assert programme.id is not None
            admins[programme.id] = programme_admin_ids(
                session, team_id=team_id, programme_id=programme.id, workspace_admins=workspace_admins()
            )
    return [
        Ended(match.room_id, partners, programme, admins.get(programme.id or 0, []))
        for match, partners, programme in ended
    ]


@dataclass(frozen=True)
class ManualPair:
    """An admin's pair of two named people: the match made (like a released one), or the rule that refused it."""

    programme: Programme | None = None
    proposal: Proposal | None = None
    refusal: str = ""


def pair_refusal(
    *,
    session: Session,
    programme: Programme,
    first: str,
    second: str,
    now: datetime,
    reserve: bool = True,
    except_request: int | None = None,
) -> tuple[pairing.Candidate, pairing.Candidate] | str:
    """The two people as the engine sees them, if every hard rule of the engine allows pairing them now (roles,
    capacity, paused or already matched, a private "rather not", a reporting line, a repeat pair, meeting mode);
    else the rule broken, named (a private preference is named as such, never whose it is)."""
    assert programme.id is not None
    if first == second:
        return "Pick two different people."
    people = {
        p.slack_user_id: p
        for p in session.exec(
            select(Participant).where(
                Participant.programme_id == programme.id, col(Participant.slack_user_id).in_([first, second])
            )
        ).all()
    }
    for uid in (first, second):
        person = people.get(uid)
        if person is None:
            return f"<@{uid}> is not in {programme.name}."
        if person.status != ParticipantStatus.ACTIVE.value:
            return f"paused: <@{uid}> is {person.status} and cannot be matched now."
    eligible, refused, managers = candidates(
        session=session, programme=programme, reserve=reserve, except_request=except_request
    )
    by_id = {c.id: c for c in eligible}
    for uid in (first, second):
        if any(u.id == uid for u in refused):
            return f"roles: <@{uid}>'s role does not fit this programme."
        if uid not in by_id:
            if people[uid].role == "mentor" and mode_of(programme) == "mentoring":
                return f"capacity: <@{uid}> has no room for another mentee."
            return f"already matched: <@{uid}> is in a match this cycle."
    a, b = by_id[first], by_id[second]
    rule = pairing.broken_rule(
        a,
        b,
        past=past_pairs(session=session, team_id=programme.team_id, programme_id=programme.id, now=now),
        rules=rules_of(programme),
        now=now,
        managers=managers,
        mode=mode_of(programme),
    )
    if rule is not None:
        return f"This pair breaks a matching rule: {rule}."
    return a, b


def start_pair(
    *,
    session: Session,
    programme: Programme,
    pair: tuple[pairing.Candidate, pairing.Candidate],
    created_by: str,
    reason: str,
    now: datetime,
) -> Proposal:
    """Start a match of two people at once, like a released one (a released round of one match): the caller
    checked `pair_refusal` first, and opens the room."""
    assert programme.id is not None
    a, b = pair
    mode = mode_of(programme)
    if mode == "mentoring" and a.role == "mentee":
        a, b = b, a
    score, reasons = pairing.score_pair(a, b, weights=weights_of(programme), mode=mode)
    round_ = MatchRound(
        team_id=programme.team_id,
        programme_id=programme.id,
        cycle_number=programme.cycle_number,
        seed=0,
        created_by=created_by,
        stats={"manual": 1.0, "matches": 1.0},
        status=RoundStatus.RELEASED.value,
        released_at=now,
    )
    session.add(round_)
    session.flush()
    assert round_.id is not None
    match = Match(
        team_id=programme.team_id,
        programme_id=programme.id,
        round_id=round_.id,
        cycle_number=programme.cycle_number,
        score=round(score, 1),
        reasons=[reason, *reasons],
        status=MatchStatus.ACTIVE.value,
        released_at=now,
    )
    session.add(match)
    session.flush()
    assert match.id is not None
    for side in (a, b):
        session.add(MatchMember(match_id=match.id, team_id=programme.team_id, slack_user_id=side.id, role=side.role))
    session.flush()
    return Proposal(
        MatchRecord(match.id, match.score, list(match.reasons), match.status),
        [MemberRecord(side.id, side.role) for side in (a, b)],
    )


def pair_by_hand(
    *,
    session: Session,
    team_id: str,
    programme_id: int | None,
    first: str,
    second: str,
    admin_id: str,
    now: datetime,
) -> ManualPair:
    """Pair two people by hand, if every hard rule of the engine allows it; the match starts at once, audited."""
    programme = queries.get_programme(session=session, team_id=team_id, programme_id=programme_id)
    if programme is None or programme.id is None:
        return ManualPair(refusal="This programme no longer exists.")
    checked = pair_refusal(session=session, programme=programme, first=first, second=second, now=now, reserve=False)
    if isinstance(checked, str):
        return ManualPair(refusal=checked)
    proposal = start_pair(
        session=session,
        programme=programme,
        pair=checked,
        created_by=admin_id,
        reason="paired by a programme admin",
        now=now,
    )
    queries.audit(
        session=session,
        team_id=programme.team_id,
        actor_id=admin_id,
        action="match.manual",
        programme_id=programme.id,
        details={"match_id": proposal.match.id},
    )
    return ManualPair(programme=programme, proposal=proposal)

"""Mentees choose their mentor: in a programme whose matching is "mentees choose", a mentee browses the mentors with
a free place, asks one (with a short note), and the mentor accepts or declines.

Rules, decided once here:
- a mentee has at most one open request per programme; while it is open the engine leaves them out of rounds;
- an open request holds one of the mentor's places: a mentor is listed, and can be asked, only while their
  capacity is larger than their active matches plus their open requests (two mentees asking the same last place
  at the same instant may both get through; accepting checks capacity again, so a mentor is never over capacity);
- accepting checks every hard rule of the engine again (capacity, paused, already matched, a private "rather
  not", a reporting line, a repeat pair, meeting mode) and starts the match like a released one; a broken rule
  refuses it with the rule named, and the mentee may choose again;
- a request unanswered for the programme's `request_days` expires: the mentee is matched by the engine at the
  next round (nothing else to do: an expired request no longer holds them back).

No Slack here: the listeners in handlers/choosing.py and the job in scheduling/choosing.py render and send.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

import pairing
from mentoring import matching
from store import queries
from store.models import (
    MentorRequest,
    Participant,
    ParticipantStatus,
    Programme,
    ProgrammeStatus,
    RequestStatus,
    Role,
)

CHOOSE = "choose"
ENGINE = "engine"
MATCHING_LABELS = {ENGINE: "Matched by mentor-bot's engine", CHOOSE: "Mentees choose their mentor"}
MAX_MESSAGE = 300
MAX_BIO = 300
MAX_LISTED = 30  # mentors one browse shows (a modal holds 100 blocks), best skill fit first
REQUEST_DAYS = (1, 2, 3, 5, 7, 14)


@dataclass(frozen=True)
class MentorCard:
    """What a mentee sees of a mentor with a free place."""

    user_id: str
    name: str
    title: str
    skills: list[str]
    department: str
    office: str
    bio: str
    free: int
    fit: list[str]  # the skills the mentee wants that this mentor offers


@dataclass(frozen=True)
class Browse:
    """The mentors a mentee may ask in a programme, their open request, or why they cannot choose (`refusal`)."""

    programme: Programme | None = None
    mentors: list[MentorCard] | None = None
    more: int = 0
    pending: MentorRequest | None = None
    pending_name: str = ""
    refusal: str = ""


def choosing_programmes(
    *,
    session: Session,
    team_id: str,
    user_id: str,
    memberships: Sequence[tuple[Participant, Programme]] | None = None,
) -> list[tuple[Participant, Programme]]:
    """The person's memberships as a mentee of programmes where mentees choose. `memberships`: all of the
    person's, when the caller has read them already."""
    if memberships is None:
        memberships = queries.memberships(session=session, team_id=team_id, slack_user_id=user_id)
    return [
        (person, programme)
        for person, programme in memberships
        if programme.matching == CHOOSE
        and person.role == Role.MENTEE.value
        and programme.status in (ProgrammeStatus.ENROLLING.value, ProgrammeStatus.ACTIVE.value)
    ]


def open_request_of(*, session: Session, programme_id: int, mentee_id: str) -> MentorRequest | None:
    return session.exec(
        select(MentorRequest).where(
            MentorRequest.programme_id == programme_id,
            MentorRequest.mentee_id == mentee_id,
            MentorRequest.status == RequestStatus.OPEN.value,
        )
    ).first()


def _why_not(session: Session, person: Participant, programme: Programme) -> str:
    if person.status != ParticipantStatus.ACTIVE.value:
        return f"You're {person.status} in *{programme.name}*: `/mentor resume` first, then choose a mentor."
    if matching.user_matches(
        session=session, team_id=programme.team_id, user_id=person.slack_user_id, programme_id=programme.id
    ):
        return f"You already have a mentor in *{programme.name}* this cycle."
    return ""


def browse(*, session: Session, team_id: str, user_id: str, programme_id: int | None, now: datetime) -> Browse:
    """The mentors with a free place the mentee may ask (none a hard rule forbids), best skill fit first."""
    mine = choosing_programmes(session=session, team_id=team_id, user_id=user_id)
    if programme_id is not None:
        mine = [(p, prog) for p, prog in mine if prog.id == programme_id]
    if not mine:
        return Browse(
            refusal="Choosing your own mentor is for mentees of a programme where mentees choose. "
            "`/mentor join` to join one, or wait for your programme's next round."
        )
    person, programme = mine[0]
    assert programme.id is not None
    refusal = _why_not(session, person, programme)
    if refusal:
        return Browse(programme=programme, refusal=refusal)
    pending = open_request_of(session=session, programme_id=programme.id, mentee_id=user_id)
    names = queries.participant_names(session=session, programme_id=programme.id)
    if pending is not None:
        return Browse(programme=programme, mentors=[], pending=pending, pending_name=names.get(pending.mentor_id, ""))
    eligible, _, managers = matching.candidates(session=session, programme=programme)
    me = next((c for c in eligible if c.id == user_id), None)
    if me is None:
        return Browse(programme=programme, refusal=f"You can't be matched in *{programme.name}* right now.")
    past = matching.past_pairs(session=session, team_id=team_id, programme_id=programme.id, now=now)
    rules, mode = matching.rules_of(programme), matching.mode_of(programme)
    allowed = [
        c
        for c in eligible
        if c.role == Role.MENTOR.value
        and pairing.broken_rule(c, me, past=past, rules=rules, now=now, managers=managers, mode=mode) is None
    ]
    profiles = {
        p.slack_user_id: p
        for p in session.exec(
            select(Participant).where(
                Participant.programme_id == programme.id, col(Participant.slack_user_id).in_([c.id for c in allowed])
            )
        ).all()
    }
    cards = [
        MentorCard(
            user_id=c.id,
            name=names.get(c.id, c.id),
            title=c.title,
            skills=sorted(c.skills_offered),
            department=c.department,
            office=c.location,
            bio=profiles[c.id].bio if c.id in profiles else "",
            free=c.capacity,
            fit=sorted(c.skills_offered & me.skills_wanted),
        )
        for c in allowed
    ]
    cards.sort(key=lambda card: (-len(card.fit), -card.free, card.name.lower()))
    return Browse(programme=programme, mentors=cards[:MAX_LISTED], more=max(len(cards) - MAX_LISTED, 0))


@dataclass(frozen=True)
class Asked:
    """A request made (to tell the mentor), or why not (`refusal`, for the mentee)."""

    request: MentorRequest | None = None
    programme: Programme | None = None
    wanted: list[str] | None = None  # the skills the mentee wants to grow, for the mentor's DM
    refusal: str = ""


def ask(
    *,
    session: Session,
    team_id: str,
    mentee_id: str,
    programme_id: int | None,
    mentor_id: str,
    message: str,
    now: datetime,
) -> Asked:
    """The mentee asks a mentor: one open request at a time, only a mentor with a free place and no rule against."""
    message = " ".join(message.split())
    if len(message) > MAX_MESSAGE:
        return Asked(refusal=f"Keep the note under {MAX_MESSAGE} characters.")
    mine = {prog.id: (p, prog) for p, prog in choosing_programmes(session=session, team_id=team_id, user_id=mentee_id)}
    if programme_id not in mine:
        return Asked(refusal="This programme does not let mentees choose their mentor.")
    person, programme = mine[programme_id]
    assert programme.id is not None
    refusal = _why_not(session, person, programme)
    if refusal:
        return Asked(refusal=refusal)
    if open_request_of(session=session, programme_id=programme.id, mentee_id=mentee_id) is not None:
        return Asked(refusal="You already asked a mentor: wait for their answer (at most a few days).")
    checked = matching.pair_refusal(session=session, programme=programme, first=mentor_id, second=mentee_id, now=now)
    if isinstance(checked, str):
        if checked.startswith("capacity:"):
            return Asked(refusal="This mentor has no free place any more: choose another.")
        return Asked(refusal=checked)
    request = MentorRequest(
        team_id=team_id,
        programme_id=programme.id,
        cycle_number=programme.cycle_number,
        mentee_id=mentee_id,
        mentor_id=mentor_id,
        message=message,
        created_at=now,
        expires_at=now + timedelta(days=programme.request_days),
    )
    session.add(request)
    session.flush()
    return Asked(request=request, programme=programme, wanted=list(person.skills_wanted))


@dataclass(frozen=True)
class Answered:
    """The mentor's answer: the match started (`proposal`), a decline, a refusal (the rule named), or `stale`."""

    request: MentorRequest | None = None
    programme: Programme | None = None
    proposal: matching.Proposal | None = None
    refusal: str = ""
    stale: str = ""


def answer(
    *, session: Session, team_id: str, mentor_id: str, request_id: int | None, accept: bool, now: datetime
) -> Answered:
    """The mentor accepts or declines. Accepting checks capacity and every hard rule again, then starts the match."""
    request = session.get(MentorRequest, request_id) if request_id is not None else None
    if request is None or request.team_id != team_id or request.mentor_id != mentor_id:
        return Answered(stale="This request is not yours to answer.")
    if request.status != RequestStatus.OPEN.value:
        return Answered(request=request, stale=f"This request was already {request.status}.")
    programme = session.get(Programme, request.programme_id)
    assert programme is not None and programme.id is not None
    request.answered_at = now
    session.add(request)
    if not accept:
        request.status = RequestStatus.DECLINED.value
        return Answered(request=request, programme=programme)
    checked = matching.pair_refusal(
        session=session,
        programme=programme,
        first=mentor_id,
        second=request.mentee_id,
        now=now,
        except_request=request.id,
    )
    if isinstance(checked, str):
        request.status, request.reason = RequestStatus.REFUSED.value, checked[:300]
        return Answered(request=request, programme=programme, refusal=checked)
    proposal = matching.start_pair(
        session=session, programme=programme, pair=checked, created_by=mentor_id, reason="chosen by the mentee", now=now
    )
    request.status, request.match_id = RequestStatus.ACCEPTED.value, proposal.match.id
    return Answered(request=request, programme=programme, proposal=proposal)


def expire_due(*, session: Session, now: datetime) -> list[tuple[MentorRequest, Programme]]:
    """Requests unanswered past their time limit expire (their mentees join the next round). Returns them."""
    due = session.exec(
        select(MentorRequest, Programme)
        .join(Programme, col(Programme.id) == col(MentorRequest.programme_id))
        .where(MentorRequest.status == RequestStatus.OPEN.value, col(MentorRequest.expires_at) <= now)
        .order_by(col(MentorRequest.id))
    ).all()
    for request, _ in due:
        request.status = RequestStatus.EXPIRED.value
        session.add(request)
    return [(r, p) for r, p in due]

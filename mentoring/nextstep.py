"""What a person's next step is, for the answer to a message they type in the app's Messages tab: not in a
programme (how to join), waiting for a match (when the next round is), asked a mentor (until when), free to
choose a mentor, paused, or matched (their room and roughly when the next check-in comes).

Plain data read from the store; what they typed is never read here, nor stored anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlmodel import Session

from mentoring import choosing, matching
from mentoring.insight import CADENCE_DAYS
from store import queries
from store.models import ParticipantStatus, Programme, ProgrammeStatus


@dataclass(frozen=True)
class NextStep:
    kind: str  # no_programme | not_joined | paused | waiting | choose | requested | matched
    programme: str = ""
    programme_id: int | None = None
    open_programmes: list[str] = field(default_factory=list)
    room_id: str | None = None
    partners: list[str] = field(default_factory=list)
    next_checkin: date | None = None
    mentor_id: str = ""
    expires_at: datetime | None = None
    cycle_started: bool = False
    cycle_ends: date | None = None


def next_checkin(released_at: datetime | None, cadence: str, now: datetime) -> date | None:
    """About when the match's next check-in comes: the start of its next cadence period."""
    if released_at is None:
        return None
    days = CADENCE_DAYS.get(cadence, 14)
    periods = max(int((now - released_at) / timedelta(days=days)), 0) + 1
    return (released_at + timedelta(days=days * periods)).date()


def _step(kind: str, programme: Programme, **extra: object) -> NextStep:
    return NextStep(
        kind,
        programme=programme.name,
        programme_id=programme.id,
        cycle_started=programme.status == ProgrammeStatus.ACTIVE.value and programme.cycle_started_at is not None,
        cycle_ends=programme.cycle_ends_at.date() if programme.cycle_ends_at else None,
        **extra,  # type: ignore[arg-type]
    )


def next_step(*, session: Session, team_id: str, user_id: str, now: datetime) -> NextStep:
    """The one next step that matters most for the person now."""
    memberships = queries.memberships(session=session, team_id=team_id, slack_user_id=user_id)
    programmes = {programme.id: programme for _, programme in memberships}
    for match, group in matching.user_matches(session=session, team_id=team_id, user_id=user_id):
        programme = programmes.get(match.programme_id)
        if programme is not None:
            return _step(
                "matched",
                programme,
                room_id=match.room_id,
                partners=[m.slack_user_id for m in group if m.slack_user_id != user_id],
                next_checkin=next_checkin(match.released_at, programme.cadence, now),
            )
    choosing_ids = {
        prog.id for _, prog in choosing.choosing_programmes(session=session, team_id=team_id, user_id=user_id)
    }
    active = [prog for p, prog in memberships if p.status == ParticipantStatus.ACTIVE.value]
    for programme in active:
        if programme.id is None or programme.id not in choosing_ids:
            continue
        pending = choosing.open_request_of(session=session, programme_id=programme.id, mentee_id=user_id)
        if pending is not None:
            return _step("requested", programme, mentor_id=pending.mentor_id, expires_at=pending.expires_at)
        return _step("choose", programme)
    if active:
        return _step("waiting", active[0])
    paused = [prog for p, prog in memberships if p.status == ParticipantStatus.PAUSED.value]
    if paused:
        return _step("paused", paused[0])
    open_now = queries.open_programmes(session=session, team_id=team_id, today=now.date())
    if open_now:
        return NextStep("not_joined", open_programmes=[p.name for p in open_now])
    return NextStep("no_programme")

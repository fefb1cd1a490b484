"""A match's working agreement: written by either member, confirmed by each, revised when they want.

What it covers is what the toolbox's guide on agreeing how to work together names: what the pair works on, how
often and how they meet, what stays confidential, and how either of them can end it without blame. The text is
the pair's; reports only count agreements in place (every member confirmed the current version).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel import Session, col, select

from mentoring import checkins
from store.models import Agreement

MAX_TERM = 1000


@dataclass(frozen=True)
class Terms:
    focus: str  # what we will work on
    rhythm: str  # how often and how we meet
    confidential: str  # what stays between us
    ending: str  # how either of us can end it without blame

    def cleaned(self) -> Terms:
        return Terms(*(" ".join(part.split()) if "\n" not in part else part.strip() for part in self.as_tuple()))

    def as_tuple(self) -> tuple[str, str, str, str]:
        return (self.focus, self.rhythm, self.confidential, self.ending)


FIELDS = ("focus", "rhythm", "confidential", "ending")

# What the form suggests when the pair has not written anything yet: the toolbox guide's own starting points.
SUGGESTED = Terms(
    focus="The one or two things the mentee most wants to grow in this cycle.",
    rhythm="Every two weeks for 30 minutes, on a video call; we move it rather than skip it.",
    confidential="What we say about people and our own struggles stays between us unless we both agree.",
    ending="Either of us can say 'this isn't working' at any time; we thank each other and use /mentor rematch.",
)


def problems(terms: Terms) -> dict[str, str]:
    """The fields the form must refuse, by field name: each is needed and at most MAX_TERM characters."""
    errors: dict[str, str] = {}
    for name, value in zip(FIELDS, terms.as_tuple(), strict=True):
        if not value.strip():
            errors[name] = "Write a few words: both of you will confirm it."
        elif len(value) > MAX_TERM:
            errors[name] = f"At most {MAX_TERM} characters."
    return errors


def agreement_of(*, session: Session, match_id: int) -> Agreement | None:
    return session.exec(select(Agreement).where(Agreement.match_id == match_id)).first()


def agreements_of(*, session: Session, match_ids: Sequence[int]) -> dict[int, Agreement]:
    if not match_ids:
        return {}
    rows = session.exec(select(Agreement).where(col(Agreement.match_id).in_(list(match_ids)))).all()
    return {row.match_id: row for row in rows}


def _settle(agreement: Agreement, members: Sequence[str], now: datetime) -> None:
    agreement.agreed_at = now if set(members) <= set(agreement.confirmed_by) else None


def write(
    *, session: Session, team_id: str, match_id: int, author: str, members: Sequence[str], terms: Terms, now: datetime
) -> Agreement:
    """Write the agreement, or revise it: a changed text is a new version that everyone confirms again; the
    author's own submission is their confirmation."""
    terms = terms.cleaned()
    agreement = agreement_of(session=session, match_id=match_id)
    if agreement is None:
        agreement = Agreement(
            team_id=team_id,
            match_id=match_id,
            focus=terms.focus,
            rhythm=terms.rhythm,
            confidential=terms.confidential,
            ending=terms.ending,
            written_by=author,
            confirmed_by=[author],
            updated_at=now,
        )
    elif current_terms(agreement) != terms:
        agreement.version += 1
        agreement.focus, agreement.rhythm, agreement.confidential, agreement.ending = terms.as_tuple()
        agreement.written_by = author
        agreement.confirmed_by = [author]
        agreement.updated_at = now
    elif author not in agreement.confirmed_by:
        agreement.confirmed_by = [*agreement.confirmed_by, author]
    _settle(agreement, members, now)
    session.add(agreement)
    session.flush()
    return agreement


def current_terms(agreement: Agreement) -> Terms:
    return Terms(agreement.focus, agreement.rhythm, agreement.confidential, agreement.ending)


class Confirmation(StrEnum):
    CONFIRMED = "confirmed"
    ALREADY = "already"
    STALE = "stale"  # the button was for a version since revised
    MISSING = "missing"


def confirm(
    *, session: Session, match_id: int, user_id: str, version: int | None, members: Sequence[str], now: datetime
) -> tuple[Confirmation, Agreement | None]:
    """The member confirms the version they read; a confirmation of an older version counts for nothing."""
    agreement = agreement_of(session=session, match_id=match_id)
    if agreement is None:
        return Confirmation.MISSING, None
    if version != agreement.version:
        return Confirmation.STALE, agreement
    if user_id in agreement.confirmed_by:
        return Confirmation.ALREADY, agreement
    agreement.confirmed_by = [*agreement.confirmed_by, user_id]
    _settle(agreement, members, now)
    session.add(agreement)
    session.flush()
    return Confirmation.CONFIRMED, agreement


def record_room_message(*, session: Session, match_id: int, ts: str) -> None:
    agreement = agreement_of(session=session, match_id=match_id)
    if agreement is not None:
        agreement.room_ts = ts
        session.add(agreement)


@dataclass(frozen=True)
class Posted:
    """An agreement to show in its room: post it (no `room_ts` yet) or update the message already there."""

    agreement: Agreement
    members: list[str]
    room_id: str | None


def submit(
    *, session: Session, team_id: str, user_id: str, match_id: int | None, terms: Terms, now: datetime
) -> tuple[Posted | None, dict[str, str]]:
    """The form submitted by a member of an active match: the agreement to show, or the errors to show inline."""
    found = checkins.active_match_of(session=session, team_id=team_id, user_id=user_id, match_id=match_id)
    if found is None:
        return None, {FIELDS[0]: "This agreement belongs to a match you're not in (or one that has ended)."}
    errors = problems(terms)
    if errors:
        return None, errors
    agreement = write(
        session=session,
        team_id=team_id,
        match_id=found.match.id or 0,
        author=user_id,
        members=found.member_ids,
        terms=terms,
        now=now,
    )
    return Posted(agreement, found.member_ids, found.match.room_id), {}


def confirm_click(
    *, session: Session, team_id: str, user_id: str, value: str, now: datetime
) -> tuple[Confirmation | None, Posted | None]:
    """A member's Confirm click (`value` is "match_id:version"); None when the clicker is not in the match."""
    match_part, _, version_part = value.partition(":")
    match_id = int(match_part) if match_part.isdigit() else None
    found = checkins.active_match_of(session=session, team_id=team_id, user_id=user_id, match_id=match_id)
    if found is None:
        return None, None
    version = int(version_part) if version_part.isdigit() else None
    outcome, agreement = confirm(
        session=session,
        match_id=found.match.id or 0,
        user_id=user_id,
        version=version,
        members=found.member_ids,
        now=now,
    )
    return outcome, (Posted(agreement, found.member_ids, found.match.room_id) if agreement is not None else None)


def for_form(
    *, session: Session, team_id: str, user_id: str, match_id: int | None
) -> tuple[int, Agreement | None] | None:
    """The match whose form a member opens, and its agreement so far; None when they are not in it."""
    found = checkins.active_match_of(session=session, team_id=team_id, user_id=user_id, match_id=match_id)
    if found is None or found.match.id is None:
        return None
    return found.match.id, agreement_of(session=session, match_id=found.match.id)

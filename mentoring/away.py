"""Away by Slack status: whether a person's status says they are on holiday, sick or travelling, and until when.

Pure rules over what Slack says (emoji, text, expiry); nothing of the status is stored, only the moments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session

from store import queries

AWAY_EMOJI = frozenset(
    {
        ":palm_tree:",
        ":desert_island:",
        ":beach_with_umbrella:",
        ":face_with_thermometer:",
        ":thermometer:",
        ":pill:",
        ":hospital:",
        ":airplane:",
        ":airplane_departure:",
        ":no_entry:",
        ":baby:",
        ":sleeping:",
    }
)
AWAY_TEXT = re.compile(
    r"\b(vacation|vacationing|holiday|holidays|sick|ill|out of (the )?office|ooo|pto|leave|annual leave|"
    r"parental leave|off work|day off|days off|away)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Away:
    """Away now, and until when (None: no end given)."""

    until: datetime | None


def away_by_status(emoji: str, text: str, expiration: int, *, now: datetime) -> Away | None:
    """Whether this status says the person is away at `now`: a holiday, sickness or travel emoji, or such words;
    a status whose expiry has passed says nothing."""
    until = datetime.fromtimestamp(expiration, tz=UTC) if expiration > 0 else None
    if until is not None and until <= now:
        return None
    if emoji.strip().lower() in AWAY_EMOJI or AWAY_TEXT.search(text or ""):
        return Away(until=until)
    return None


def note_status(*, session: Session, team_id: str, user_id: str, away: Away | None, now: datetime) -> str:
    """Keep whether the person is away in every membership of theirs: "left" when they just went away, "back"
    when they just came back (their matches are looked at again), "" when nothing changed."""
    change = ""
    for person in queries.memberships_of(session=session, team_id=team_id, user_id=user_id):
        person.status_checked_at = now
        session.add(person)
        if away is not None:
            if person.away_since is None:
                person.away_since, change = now, "left"
            person.away_until = away.until
        elif person.away_since is not None:
            person.away_since, person.away_until, change = None, now, "back"
    if change == "back":
        queries.replan_person(session=session, team_id=team_id, user_id=user_id)
    return change

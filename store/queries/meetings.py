"""Meetings a match books in its room, and the reminders planned for them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from store.models import MatchMember, Meeting, MeetingStatus, OutboxMessage, OutboxStatus


def get_meeting(*, session: Session, team_id: str, meeting_id: int | None) -> Meeting | None:
    if meeting_id is None:
        return None
    meeting = session.get(Meeting, meeting_id)
    return meeting if meeting is not None and meeting.team_id == team_id else None


def match_meetings(*, session: Session, match_id: int) -> list[Meeting]:
    return list(session.exec(select(Meeting).where(Meeting.match_id == match_id).order_by(col(Meeting.id))).all())


def meetings_to_remind(*, session: Session, now: datetime, limit: int = 500) -> list[Meeting]:
    """Agreed meetings whose reminders are due to be planned (the (status, remind_at) index answers this)."""
    return list(
        session.exec(
            select(Meeting)
            .where(Meeting.status == MeetingStatus.AGREED.value, col(Meeting.remind_at) <= now)
            .order_by(col(Meeting.remind_at))
            .limit(limit)
        ).all()
    )


def reminder_key(meeting_id: int, sequence: int, user_id: str) -> str:
    return f"meeting-reminder:{meeting_id}:{sequence}:{user_id}"


def withdraw_reminders(*, session: Session, team_id: str, meeting_id: int, sequence: int) -> int:
    """Skip the reminders of this version of a meeting that are not sent yet (it moved or was cancelled)."""
    prefix = f"meeting-reminder:{meeting_id}:{sequence}:"
    result = session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.team_id) == team_id,
            col(OutboxMessage.status) == OutboxStatus.PENDING.value,
            col(OutboxMessage.key).startswith(prefix, autoescape=True),
        )
        .values(status=OutboxStatus.SKIPPED.value, last_error="the meeting moved or was cancelled")
    )
    return int(getattr(result, "rowcount", 0) or 0)


def export_meetings(*, session: Session, team_id: str, user_id: str) -> list[dict[str, Any]]:
    """The chats booked in the person's matches (for `/mentor my-data`)."""
    match_ids = select(MatchMember.match_id).where(MatchMember.team_id == team_id, MatchMember.slack_user_id == user_id)
    found = session.exec(
        select(Meeting)
        .where(
            Meeting.team_id == team_id,
            col(Meeting.match_id).in_(match_ids)
            | (col(Meeting.proposed_by) == user_id)
            | (col(Meeting.agreed_by) == user_id)
            | (col(Meeting.cancelled_by) == user_id),
        )
        .order_by(col(Meeting.id))
    ).all()
    return [m.model_dump(mode="json") for m in found]


def forget_meetings(*, session: Session, team_id: str, user_id: str, forgotten: str) -> None:
    """Name the person no more in the meetings they booked (the times stay, for their partners)."""
    for meeting in session.exec(
        select(Meeting).where(
            Meeting.team_id == team_id,
            (col(Meeting.proposed_by) == user_id)
            | (col(Meeting.agreed_by) == user_id)
            | (col(Meeting.cancelled_by) == user_id),
        )
    ).all():
        meeting.proposed_by = forgotten if meeting.proposed_by == user_id else meeting.proposed_by
        meeting.agreed_by = forgotten if meeting.agreed_by == user_id else meeting.agreed_by
        meeting.cancelled_by = forgotten if meeting.cancelled_by == user_id else meeting.cancelled_by
        session.add(meeting)

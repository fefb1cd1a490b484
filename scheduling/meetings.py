"""Planning reminders of booked chats: each person gets one DM the working morning before (09:00 their time on the
previous working day), through the outbox under a key per (meeting, version, person): planning twice sends
nothing twice, and moving or cancelling a chat withdraws the reminders of its old version that are not sent yet.

Only meetings whose `remind_at` has come are read (the (status, remind_at) index), never every meeting.
"""

from __future__ import annotations

import logging
from datetime import datetime

from blocks import booking as booking_ui
from mentoring import booking
from scheduling.hours import Window
from scheduling.outbox import enqueue
from store import queries
from store.db import Database

logger = logging.getLogger(__name__)

REMINDER_WINDOW = Window(days=booking.REMINDER_DAYS, start=booking.REMINDER_HOURS[0], end=booking.REMINDER_HOURS[1])


def plan_meeting_reminders(db: Database, *, now: datetime) -> int:
    """Put the reminders of agreed chats whose reminder time has come into the outbox."""
    planned = 0
    with db.begin() as session:
        for meeting in queries.meetings_to_remind(session=session, now=now):
            active = queries.workspace_active(session=session, team_id=meeting.team_id)
            due = booking.reminders_due(session=session, meeting=meeting, now=now)
            if not active or meeting.channel_id is None:
                continue
            for reminder in due:
                text, blocks = booking_ui.reminder_dm(meeting.starts_at, reminder.partners, meeting.channel_id)
                planned += int(
                    enqueue(
                        session,
                        team_id=meeting.team_id,
                        key=queries.reminder_key(meeting.id or 0, meeting.sequence, reminder.user_id),
                        kind="meeting_reminder",
                        recipient=reminder.user_id,
                        text=text,
                        blocks=blocks,
                        not_before=reminder.at,
                        window=REMINDER_WINDOW.as_payload(reminder.timezone),
                    )
                )
    return planned

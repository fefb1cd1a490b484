"""Working hours: when the app may message a person, in their own timezone (never at night or at weekends)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from mentoring.meeting import zone
from store.models import Programme

WORK_DAYS = (1, 2, 3)  # Tuesday to Thursday, local time
WORK_HOURS = (10, 16)


@dataclass(frozen=True)
class Window:
    """When a programme's messages may reach people, in each person's own timezone."""

    days: tuple[int, ...] = WORK_DAYS  # 0 = Monday
    start: int = WORK_HOURS[0]
    end: int = WORK_HOURS[1]

    @classmethod
    def of(cls, programme: Programme) -> Window:
        days = tuple(sorted({int(d) for d in programme.checkin_days or () if 0 <= int(d) <= 6})) or WORK_DAYS
        start, end = programme.checkin_start_hour, programme.checkin_end_hour
        if not 0 <= start < end <= 24:
            start, end = WORK_HOURS
        return cls(days=days, start=start, end=end)

    def as_payload(self, timezone: str | None) -> dict[str, Any]:
        return {"tz": timezone, "days": list(self.days), "hours": [self.start, self.end]}

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> tuple[Window, str | None]:
        hours = data.get("hours") or WORK_HOURS
        return cls(days=tuple(data.get("days") or WORK_DAYS), start=int(hours[0]), end=int(hours[1])), data.get("tz")

    def contains(self, at: datetime, timezone: str | None) -> bool:
        local = at.astimezone(zone(timezone))
        return local.weekday() in self.days and self.start <= local.hour < self.end


DEFAULT_WINDOW = Window()


def next_working_slot(
    after: datetime,
    timezone: str | None,
    *,
    days: Sequence[int] = WORK_DAYS,
    window: Window | None = None,
) -> datetime:
    """The first moment at or after `after` inside the person's working hours (by default 10:00-16:00 local,
    Tuesday to Thursday): never at night, never at a weekend. In `after`'s timezone (UTC)."""
    window = window or Window(days=tuple(days))
    tz = zone(timezone)
    local = after.astimezone(tz)
    for day in range(0, 15):
        candidate_day = (local + timedelta(days=day)).date()
        if candidate_day.weekday() not in window.days:
            continue
        start = datetime.combine(candidate_day, time(window.start), tzinfo=tz)
        end = datetime.combine(candidate_day, time(0), tzinfo=tz) + timedelta(hours=window.end)
        if day == 0 and local >= end:
            continue
        return (max(start, local) if day == 0 else start).astimezone(after.tzinfo or tz)
    raise AssertionError("a working day always comes within two weeks")

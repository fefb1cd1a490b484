"""Finding times that suit everyone in a match: pure functions over time zones and working hours."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = ZoneInfo("UTC")
# Tried in turn until one gives a time: the usual working day first, then a little earlier or later.
WINDOWS = ((10, 16), (9, 17), (8, 19), (7, 21))


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _fits(at: datetime, end: datetime, zones: Sequence[ZoneInfo], window: tuple[int, int]) -> bool:
    for z in zones:
        t, e = at.astimezone(z), end.astimezone(z)
        if t.weekday() >= 5 or e.date() != t.date() or t.hour < window[0]:
            return False
        if e.hour > window[1] or (e.hour == window[1] and e.minute > 0):
            return False
    return True


def suggest_slots(
    timezones: Sequence[str | None], *, now: datetime, count: int = 3, minutes: int = 30, horizon_days: int = 14
) -> list[datetime]:
    """The next `count` meeting starts (UTC), on different days, inside everyone's local working hours, never at a
    weekend, at least a day from `now`; Tuesday to Thursday preferred. When working hours do not overlap at all,
    the day is widened a little (see WINDOWS) rather than proposing nothing."""
    zones = [zone(tz) for tz in timezones] or [UTC]
    start = (now + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    candidates = [start + timedelta(minutes=30 * step) for step in range(horizon_days * 48)]
    for window in WINDOWS:
        fitting = [at for at in candidates if _fits(at, at + timedelta(minutes=minutes), zones, window)]
        if not fitting:
            continue
        preferred = [at for at in fitting if all(at.astimezone(z).weekday() in (1, 2, 3) for z in zones)]
        chosen: list[datetime] = []
        days: set[object] = set()
        for at in preferred + fitting:
            day = at.astimezone(zones[0]).date()
            if day not in days:
                days.add(day)
                chosen.append(at)
            if len(chosen) == count:
                break
        return sorted(chosen)
    return []

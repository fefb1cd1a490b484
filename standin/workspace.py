"""A seeded fake Slack workspace: the people the stand-in knows about."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

TEAM_ID = "T0MENTOR1"
TEAM_NAME = "Mentor Bot Demo"
TEAM_DOMAIN = "mentorbot-demo"
APP_ID = "A0MENTOR1"
BOT_USER_ID = "U0BOT0001"
BOT_ID = "B0BOT0001"
BOT_NAME = "mentorbot"
BOT_REAL_NAME = "Mentor Bot"
BOT_TOKEN = "xoxb-standin-token"
APP_TOKEN = "xapp-1-A0MENTOR1-standin-token"  # the app-level token Socket Mode connects with
GENERAL_CHANNEL_ID = "C0GENERAL1"
RANDOM_CHANNEL_ID = "C0RANDOM01"

# Offsets are taken at a fixed winter date so that the seed data never changes with the calendar.
_OFFSET_AT = datetime(2024, 1, 15, 12, 0, tzinfo=ZoneInfo("UTC"))


@dataclass
class Person:
    id: str
    name: str
    real_name: str
    title: str
    tz: str
    tz_label: str
    tz_offset: int
    email: str
    is_admin: bool = False
    is_owner: bool = False
    deleted: bool = False
    is_bot: bool = False

    @property
    def first_name(self) -> str:
        return self.real_name.split(" ", 1)[0]

    @property
    def last_name(self) -> str:
        parts = self.real_name.split(" ", 1)
        return parts[1] if len(parts) > 1 else ""


def tz_offset_of(tz: str) -> int:
    """Seconds east of UTC of an IANA zone, at a fixed winter date."""
    offset = _OFFSET_AT.astimezone(ZoneInfo(tz)).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def person(
    id: str,
    real_name: str,
    title: str,
    tz: str,
    tz_label: str,
    *,
    is_admin: bool = False,
    is_owner: bool = False,
    deleted: bool = False,
) -> Person:
    first, _, last = real_name.partition(" ")
    handle = f"{first}.{last}".lower().replace(" ", "") if last else first.lower()
    return Person(
        id=id,
        name=handle,
        real_name=real_name,
        title=title,
        tz=tz,
        tz_label=tz_label,
        tz_offset=tz_offset_of(tz),
        email=f"{handle}@{TEAM_DOMAIN}.example.com",
        is_admin=is_admin or is_owner,
        is_owner=is_owner,
        deleted=deleted,
    )


def _seed() -> list[Person]:
    return [
        person("U0ANA0001", "Ana Silva", "Staff Engineer", "Europe/Lisbon", "Western European Time"),
        person("U0SAM0001", "Sam Okafor", "Engineering Manager", "Africa/Lagos", "West Africa Time"),
        person("U0PRIYA01", "Priya Raman", "Product Designer", "Asia/Kolkata", "India Standard Time"),
        person("U0KENJI01", "Kenji Watanabe", "Data Scientist", "Asia/Tokyo", "Japan Standard Time"),
        person("U0MARIA01", "Maria Costa", "Product Manager", "America/Sao_Paulo", "Brasilia Time"),
        person("U0TOM0001", "Tom Becker", "Sales Lead", "America/New_York", "Eastern Standard Time"),
        person("U0LEA0001", "Lea Hoffmann", "Backend Engineer", "Europe/Berlin", "Central European Time"),
        person("U0OMAR001", "Omar Haddad", "Finance Analyst", "Asia/Dubai", "Gulf Standard Time"),
        person(
            "U0CHLOE01",
            "Chloe Martin",
            "Support Engineer",
            "Australia/Sydney",
            "Australian Eastern Daylight Time",
        ),
        person("U0DIEGO01", "Diego Alvarez", "Frontend Engineer", "America/Los_Angeles", "Pacific Standard Time"),
        person("U0INGRID1", "Ingrid Berg", "Head of People", "Europe/Oslo", "Central European Time", is_admin=True),
        person("U0OLU0001", "Olu Adeyemi", "CEO", "Europe/London", "Greenwich Mean Time", is_owner=True),
        person(
            "U0GONE001",
            "Felix Gone",
            "Former Recruiter",
            "America/Chicago",
            "Central Standard Time",
            deleted=True,
        ),
    ]


DEFAULT_PEOPLE: list[Person] = _seed()

BOT_PERSON = Person(
    id=BOT_USER_ID,
    name=BOT_NAME,
    real_name=BOT_REAL_NAME,
    title="",
    tz="America/Los_Angeles",
    tz_label="Pacific Standard Time",
    tz_offset=tz_offset_of("America/Los_Angeles"),
    email="",
    is_bot=True,
)


def find(name_or_first_name: str, people: list[Person] | None = None) -> Person:
    """Find a person by id, handle, full name or first name (case-insensitive)."""
    wanted = name_or_first_name.strip().lower()
    pool = DEFAULT_PEOPLE if people is None else people
    for p in pool:
        if wanted in (p.id.lower(), p.name.lower(), p.real_name.lower(), p.first_name.lower()):
            return p
    raise KeyError(f"no person called {name_or_first_name!r} in the stand-in workspace")

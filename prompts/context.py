"""What a pair's conversation prompts may be tailored to, and nothing more.

`PairContext` is the complete list of facts about a pair that prompt selection sees and that the optional LLM
helper may send out of the process: the programme kind, the stage of the cycle, each person's goals (labelled
by role, never by name), skills, roadmap milestone titles and check-in topics. It has no field for names,
emails, Slack ids or private reflections, and every string it sends passes through `redact` first.

Build one with `PairContext.from_members(...)`: it takes only the allowed fields from each member record,
replaces the members' names with their role labels ("the mentor", "the mentee", "peer 1", ...) and redacts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from store.models import ProgrammeKind as Kind  # the kind of programme
from store.models import Role  # a member's role in a pair or circle

__all__ = [
    "MAX_GOAL_CHARS",
    "MAX_ITEMS",
    "MAX_ITEM_CHARS",
    "SENT_FIELDS",
    "Kind",
    "Member",
    "PairContext",
    "Role",
    "Stage",
    "redact",
]


class Stage(StrEnum):
    """Where a pair is in its cycle."""

    FIRST_MEETING = "first_meeting"
    GOAL_SETTING = "goal_setting"
    MID_CYCLE = "mid_cycle"
    STUCK = "stuck"
    CLOSING = "closing"


MAX_GOAL_CHARS = 1000
MAX_ITEMS = 20
MAX_ITEM_CHARS = 120

# What the programme's admin modal can show, in order: (payload key, what it holds).
SENT_FIELDS: tuple[tuple[str, str], ...] = (
    ("kind", "the kind of programme (one-to-one, peer pairs or peer circles)"),
    ("stage", "where the pair is in the cycle (first meeting, goal setting, mid-cycle, stuck, closing)"),
    ("goals", 'each person\'s goals, labelled "the mentor", "the mentee" or "peer 1", "peer 2"... with names removed'),
    ("skills_offered", "the skills the members offer"),
    ("skills_wanted", "the skills the members want to grow"),
    ("milestone_titles", "the titles of the pair's roadmap milestones"),
    ("checkin_topics", "the topics of recent check-ins"),
)

# --- redaction -------------------------------------------------------------------------------------------------

_SLACK_USER = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
_SLACK_CHANNEL = re.compile(r"<#[A-Z0-9]+(?:\|[^>]*)?>")
_SLACK_SPECIAL = re.compile(r"<![^>]*>")  # <!here>, <!channel>, <!everyone>, <!subteam^S123|@team>, <!date^...>
_SLACK_LINK = re.compile(r"<(?:https?|mailto|tel|ftp)[^>]*>", re.IGNORECASE)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_URL = re.compile(r"(?:\b(?:https?|ftp)://|\bwww\.)[^\s<>\"']+", re.IGNORECASE)
_PHONE = re.compile(r"(?<![\w+])\+?\(?\d[\d\s().-]{5,}\d(?![\w])")
_DATE_LIKE = re.compile(
    r"^(?:(?:19|20)\d\d\s*[-\u2013/]\s*(?:19|20)?\d\d|\d{4}-\d{2}-\d{2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4})$"
)
# Slack ids: U/W (users), C/G/D (channels, groups, DMs) then 8+ uppercase letters or digits, at least one digit
# (so that shouted words such as "DOCUMENTATION" survive).
_SLACK_ID = re.compile(r"\b[UWCGD](?=[A-Z0-9]*\d)[A-Z0-9]{8,}\b")
_SPACES = re.compile(r"[ \t\u00a0]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _phone(match: re.Match[str]) -> str:
    found = match.group(0)
    digits = sum(ch.isdigit() for ch in found)
    if digits < 7 or _DATE_LIKE.match(found.strip()):
        return found
    return "[phone]"


def redact(text: str) -> str:
    """Remove personal identifiers from free text.

    Slack user mentions and bare Slack user ids become "someone", channel mentions "a channel"; `<!here>`,
    `<!channel>` and other special mentions are dropped; emails, URLs (Slack `<url|label>` links included, label
    and all) and phone numbers become "[email]", "[link]" and "[phone]". Control characters are removed and runs
    of spaces collapsed. Redacting twice changes nothing more.
    """
    text = _CONTROL.sub("", text)
    text = _SLACK_USER.sub("someone", text)
    text = _SLACK_CHANNEL.sub("a channel", text)
    text = _SLACK_SPECIAL.sub("", text)
    text = _SLACK_LINK.sub("[link]", text)
    text = _EMAIL.sub("[email]", text)
    text = _URL.sub("[link]", text)
    text = _PHONE.sub(_phone, text)
    text = _SLACK_ID.sub("someone", text)
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.splitlines()).strip()


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _clean_list(items: Iterable[str], *, limit: int = MAX_ITEMS, chars: int = MAX_ITEM_CHARS) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        cleaned = _clip(" ".join(redact(str(item)).split()), chars)
        key = cleaned.casefold()
        if cleaned and key not in seen:
            seen.add(key)
            out.append(cleaned)
        if len(out) >= limit:
            break
    return out


# --- members ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """One person in a pair or circle, as prompt tailoring may see them.

    `names` (display name, real name, handle...) are never sent: they are only used to find and replace the
    person's name inside the free text of every member's goals, milestones and topics.
    """

    role: Role
    goals: str = ""
    skills_offered: Sequence[str] = ()
    skills_wanted: Sequence[str] = ()
    names: Sequence[str] = ()

    @classmethod
    def from_record(cls, record: Mapping[str, Any], *, role: Role | str) -> Member:
        """Take the allowed fields from a participant-like record and ignore everything else.

        Reads `goals`, `skills_offered`, `skills_wanted` and, for name scrubbing only, `name`, `display_name`,
        `real_name` and `first_name`. Fields such as `email`, `slack_user_id`, `private_reflection` or `notes`
        are not read at all.
        """
        names = [str(record[k]) for k in ("name", "display_name", "real_name", "first_name") if record.get(k)]
        return cls(
            role=Role(role),
            goals=str(record.get("goals") or ""),
            skills_offered=[str(s) for s in record.get("skills_offered") or ()],
            skills_wanted=[str(s) for s in record.get("skills_wanted") or ()],
            names=names,
        )


def _labels(kind: Kind, members: Sequence[Member]) -> list[str]:
    """ "the mentor"/"the mentee" in one-to-one programmes (numbered when there are several), "peer N" otherwise."""
    if Kind.shape(kind) == Kind.ONE_TO_ONE.value:
        totals = {role: sum(1 for m in members if m.role is role) for role in Role}
        counters = dict.fromkeys(Role, 0)
        labels = []
        for m in members:
            counters[m.role] += 1
            labels.append(f"the {m.role.value}" if totals[m.role] == 1 else f"{m.role.value} {counters[m.role]}")
        return labels
    return [f"peer {i}" for i in range(1, len(members) + 1)]


def _name_replacer(members: Sequence[Member], labels: Sequence[str]) -> list[tuple[re.Pattern[str], str]]:
    """Patterns replacing each member's names by their label, longest first.

    A name of several parts ("Ana Silva", "ana.silva") matches in any case; single words ("Ana", "Silva", or a
    one-word display name) match as written or capitalised, so a name such as "Will" leaves "I will" alone.
    """
    found: dict[str, tuple[str, bool]] = {}
    for member, label in zip(members, labels, strict=True):
        for raw in member.names:
            name = " ".join(raw.split()).lstrip("@")
            words = [w for w in re.split(r"[\s._-]+", name) if len(w) >= 2]
            if len(words) > 1:
                found.setdefault(name, (label, True))
            for word in words:
                found.setdefault(word, (label, False))
                found.setdefault(word[:1].upper() + word[1:], (label, False))
    patterns: list[tuple[re.Pattern[str], str]] = []
    for name in sorted(found, key=len, reverse=True):
        label, any_case = found[name]
        flags = re.IGNORECASE if any_case else 0
        patterns.append((re.compile(rf"@?(?<!\w){re.escape(name)}(?!\w)", flags), label))
    return patterns


# --- the context -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PairContext:
    """Everything prompt tailoring may know about a pair (see the module docstring).

    `goals` holds one entry per person with goals, each starting with the role label, e.g.
    "the mentee: get comfortable presenting to the leadership team".
    """

    kind: Kind
    stage: Stage
    goals: list[str] = field(default_factory=list)
    skills_offered: list[str] = field(default_factory=list)
    skills_wanted: list[str] = field(default_factory=list)
    milestone_titles: list[str] = field(default_factory=list)
    checkin_topics: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Accept plain strings ("one_to_one") as well as the enums, and fail early on unknown values.
        object.__setattr__(self, "kind", Kind(self.kind))
        object.__setattr__(self, "stage", Stage(self.stage))

    @classmethod
    def from_members(
        cls,
        *,
        kind: Kind | str,
        stage: Stage | str,
        members: Sequence[Member],
        milestone_titles: Iterable[str] = (),
        checkin_topics: Iterable[str] = (),
    ) -> PairContext:
        """Build a context, replacing members' names by role labels and redacting all free text."""
        kind = Kind(kind)
        labels = _labels(kind, members)
        patterns = _name_replacer(members, labels)

        def scrub(text: str) -> str:
            text = redact(text)
            for pattern, label in patterns:
                text = pattern.sub(label, text)
            return text

        goals = []
        for member, label in zip(members, labels, strict=True):
            text = " ".join(scrub(member.goals).split())
            if text:
                goals.append(f"{label}: {_clip(text, MAX_GOAL_CHARS)}")
        return cls(
            kind=kind,
            stage=Stage(stage),
            goals=goals,
            skills_offered=_clean_list(s for m in members for s in m.skills_offered),
            skills_wanted=_clean_list(s for m in members for s in m.skills_wanted),
            milestone_titles=_clean_list(scrub(t) for t in milestone_titles),
            checkin_topics=_clean_list(scrub(t) for t in checkin_topics),
        )

    def to_model_payload(self) -> dict[str, Any]:
        """Exactly the JSON-able dict the LLM helper sends: the `SENT_FIELDS`, redacted and capped."""
        payload: dict[str, Any] = {
            "kind": self.kind.value,
            "stage": self.stage.value,
            "goals": _clean_list(self.goals, limit=10, chars=MAX_GOAL_CHARS + 20),
            "skills_offered": _clean_list(self.skills_offered),
            "skills_wanted": _clean_list(self.skills_wanted),
            "milestone_titles": _clean_list(self.milestone_titles),
            "checkin_topics": _clean_list(self.checkin_topics),
        }
        return payload

    def text_for_matching(self) -> str:
        """The free text selection looks at: goals, skills, milestones and topics."""
        parts = [*self.goals, *self.skills_offered, *self.skills_wanted, *self.milestone_titles, *self.checkin_topics]
        return "\n".join(parts)

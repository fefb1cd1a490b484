"""The guide library (`prompts/guides/entries/*.yaml`, plus an organisation's own folder) and choosing guides
for a person.

Everything here is offline and deterministic: `load_guides()` reads and validates the YAML files shipped with the
package once (cached), and, given `extra_dir`, an organisation's own files on every call, listed first.
`GuideLibrary.for_person(role, stage)` picks what to show, `stage_of(...)` says which stage a person is in and
`render(guide)` makes Slack mrkdwn that fits one Block Kit section.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any, Literal

from prompts.entries import load_folder, read_yaml_entries

__all__ = [
    "MAX_SECTION_CHARS",
    "ROLES",
    "Guide",
    "GuideError",
    "GuideLibrary",
    "Origin",
    "Stage",
    "load_guides",
    "render",
    "stage_of",
]

ROLES: tuple[str, ...] = ("mentor", "mentee", "peer")
Origin = Literal["builtin", "organisation"]

MAX_ID_CHARS = 80
MAX_TITLE_CHARS = 60
MAX_TAG_CHARS = 40
MAX_BODY_WORDS = 250  # "readable in about a minute"; the shipped entries keep to 80-220 (see the tests)
MAX_BODY_CHARS = 2500
MAX_SECTION_CHARS = 3000  # Block Kit's limit for a section's text
ENDING_DAYS = 14


class Stage(StrEnum):
    BEFORE_FIRST_MEETING = "before_first_meeting"
    DURING_CYCLE = "during_cycle"
    ENDING = "ending"


@dataclass(frozen=True)
class Guide:
    """One guide entry. `body` is Slack mrkdwn (unescaped): post it through `render`.

    `source` ("guides/entries/before.yaml, entry 3") is for messages, not comparison.
    """

    id: str
    title: str
    body: str
    roles: tuple[str, ...]
    stages: tuple[Stage, ...]
    tags: tuple[str, ...] = ()
    origin: Origin = "builtin"
    source: str = dataclasses.field(default="", compare=False)

    @property
    def word_count(self) -> int:
        return len(self.body.split())


class GuideError(ValueError):
    """Guide data is broken; the message names the file and the entry."""


class GuideLibrary:
    """An immutable collection of guides: organisation entries first, then built-ins, each group in file order."""

    def __init__(self, guides: Iterable[Guide]) -> None:
        self.guides: tuple[Guide, ...] = tuple(guides)
        self._by_id = {g.id: g for g in self.guides}
        if len(self._by_id) != len(self.guides):
            raise GuideError("guide ids must be unique")

    def __len__(self) -> int:
        return len(self.guides)

    def __iter__(self) -> Iterator[Guide]:
        return iter(self.guides)

    def __contains__(self, guide_id: object) -> bool:
        return guide_id in self._by_id

    def get(self, guide_id: str) -> Guide | None:
        """The guide with this id, or None (a stored link may point at an entry since removed)."""
        return self._by_id.get(guide_id)

    def for_person(self, role: str, stage: Stage, *, limit: int = 5) -> list[Guide]:
        """Up to `limit` guides for `role` (mentor, mentee or peer) in `stage`, organisation entries first."""
        if role not in ROLES:
            raise ValueError(f"role {role!r} must be one of {', '.join(ROLES)}")
        stage = Stage(stage)
        if limit <= 0:
            return []
        return [g for g in self.guides if role in g.roles and stage in g.stages][:limit]


# --- loading ---------------------------------------------------------------------------------------------------

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_REQUIRED = ("id", "title", "body", "roles", "stages")
_OPTIONAL = ("tags",)
_HEADING = re.compile(r"^\s*#", re.MULTILINE)
_OTHER_BULLET = re.compile(r"^\s*[-*+] ", re.MULTILINE)


def _str_list(value: Any, allowed: tuple[str, ...], field: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ValueError(f"{field} must be a non-empty list")
    out: list[str] = []
    for item in value:
        if item not in allowed:
            raise ValueError(f"{field} has {item!r}; allowed: {', '.join(allowed)}")
        if item in out:
            raise ValueError(f"{field} lists {item!r} twice")
        out.append(item)
    return tuple(out)


def _parse_entry(entry: Any, origin: Origin) -> Guide:
    if not isinstance(entry, dict):
        raise ValueError("must be a mapping with id, title, body, roles and stages")
    missing = [k for k in _REQUIRED if k not in entry]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    unknown = sorted(str(k) for k in entry if k not in _REQUIRED + _OPTIONAL)
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(unknown)}")
    gid, title, body = entry["id"], entry["title"], entry["body"]
    if not isinstance(gid, str) or not _ID.match(gid) or len(gid) > MAX_ID_CHARS:
        raise ValueError(f"id {gid!r} must be a lowercase slug (a-z, 0-9, '-') of at most {MAX_ID_CHARS} chars")
    if not isinstance(title, str) or not title.strip():
        raise ValueError("title must be a non-empty string")
    if title != " ".join(title.split()):
        raise ValueError("title must be one line without leading, trailing or double spaces")
    if len(title) > MAX_TITLE_CHARS:
        raise ValueError(f"title is {len(title)} characters; at most {MAX_TITLE_CHARS}")
    if re.search(r"[*_~`]", title):
        raise ValueError("title must be plain text (it is shown in bold)")
    if not isinstance(body, str) or not body.strip():
        raise ValueError("body must be a non-empty string")
    words = len(body.split())
    if words > MAX_BODY_WORDS or len(body) > MAX_BODY_CHARS:
        raise ValueError(f"body is {words} words, {len(body)} characters; at most {MAX_BODY_WORDS}, {MAX_BODY_CHARS}")
    if _HEADING.search(body):
        raise ValueError("body must not use heading syntax ('#'); use *bold* instead")
    if _OTHER_BULLET.search(body):
        raise ValueError("body bullets must start with '• '")
    tags = entry.get("tags", [])
    if not isinstance(tags, list) or not all(
        isinstance(t, str) and _ID.match(t) and len(t) <= MAX_TAG_CHARS for t in tags
    ):
        raise ValueError(f"tags must be a list of lowercase slugs of at most {MAX_TAG_CHARS} chars")
    return Guide(
        id=gid,
        title=title,
        body=body.strip(),
        roles=_str_list(entry["roles"], ROLES, "roles"),
        stages=tuple(Stage(s) for s in _str_list(entry["stages"], tuple(s.value for s in Stage), "stages")),
        tags=tuple(dict.fromkeys(tags)),
        origin=origin,
    )


def _read_file(name: str, data: str, origin: Origin) -> list[Guide]:
    return read_yaml_entries(
        name,
        data,
        lambda entry, label: dataclasses.replace(_parse_entry(entry, origin), source=label),
        error=GuideError,
        what="guide entries",
    )


def _load_group(directory: Traversable, prefix: str, origin: Origin) -> list[Guide]:
    return load_folder(
        directory,
        prefix=prefix,
        read=lambda name, data: _read_file(name, data, origin),
        ident=lambda guide: guide.id,
        origin=lambda guide: guide.source,
        key=lambda guide: guide.title.casefold(),
        same="title",
        error=GuideError,
    )


@functools.cache
def _builtin() -> tuple[Guide, ...]:
    guides = _load_group(resources.files("prompts.guides").joinpath("entries"), "guides/entries/", "builtin")
    if not guides:
        raise GuideError("guides/entries: no guide entries (*.yaml)")
    return tuple(guides)


@functools.cache
def _builtin_library() -> GuideLibrary:
    return GuideLibrary(_builtin())


def load_guides(extra_dir: Path | None = None) -> GuideLibrary:
    """The built-in guides (read and validated once, then cached), after an organisation's own from `extra_dir`.

    Organisation files (`*.yaml`/`*.yml` in `extra_dir`, read on every call) are validated like the built-ins and
    listed first; an organisation entry with a built-in's id replaces that built-in. Raises `GuideError` naming
    the file and entry when the data is invalid (or `extra_dir` is not a folder).
    """
    if extra_dir is None:
        return _builtin_library()
    if not extra_dir.is_dir():
        raise GuideError(f"{extra_dir}: not a folder of guide files")
    own = _load_group(extra_dir, f"{extra_dir.name}/", "organisation")
    replaced = {g.id for g in own}
    return GuideLibrary([*own, *(g for g in _builtin() if g.id not in replaced)])


# --- stages ----------------------------------------------------------------------------------------------------


def stage_of(
    *, has_match: bool, days_into_cycle: int | None, cycle_days: int | None, first_meeting_logged: bool
) -> Stage:
    """The stage a person is in, for choosing guides.

    Before the first meeting while they have no match or no check-in has been logged; then ending in the last
    `ENDING_DAYS` (14) days of the cycle and after it (`days_into_cycle` is 0 on the first day); otherwise during
    the cycle (also when the cycle's length or day is unknown).
    """
    if cycle_days is not None and cycle_days < 1:
        raise ValueError("cycle_days must be at least 1")
    if days_into_cycle is not None and days_into_cycle < 0:
        raise ValueError("days_into_cycle must not be negative")
    if not has_match or not first_meeting_logged:
        return Stage.BEFORE_FIRST_MEETING
    if cycle_days is not None and days_into_cycle is not None and days_into_cycle >= cycle_days - ENDING_DAYS:
        return Stage.ENDING
    return Stage.DURING_CYCLE


# --- rendering -------------------------------------------------------------------------------------------------


def _escape(text: str) -> str:
    """Escape `&`, `<` and `>` so text cannot become a mention, `<!channel>` or a disguised link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render(guide: Guide, *, limit: int = MAX_SECTION_CHARS) -> str:
    """The guide as mrkdwn for one section: the title in bold on the first line, then the body (escaped).

    Cut to at most `limit` characters (Slack's 3000 for a section), at a line or word break, ending with "…".
    """
    text = f"*{_escape(guide.title)}*\n{_escape(guide.body)}"
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    cut = re.sub(r"&[a-z]*$", "", cut)  # never leave half an entity
    brk = max(cut.rfind("\n"), cut.rfind(" "))
    if brk >= limit * 2 // 3:
        cut = cut[:brk]
    return cut.rstrip(" ,;:-\n") + "…"

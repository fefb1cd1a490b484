"""The curated prompt library (`prompts/library/*.yaml`) and choosing prompts that fit a pair.

Everything here is offline and deterministic: `load_library()` reads and validates the YAML files shipped with
the package once, and `select_prompts(...)` picks prompts for a `PairContext` with a seeded random generator.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import random
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from prompts.context import Kind, PairContext, Stage
from prompts.entries import load_folder, read_yaml_entries
from prompts.text import MAX_PROMPT_CHARS, escape_mrkdwn

__all__ = [
    "ForRole",
    "Library",
    "LibraryError",
    "Prompt",
    "Theme",
    "load_library",
    "rating_score",
    "select_prompts",
    "stage_for",
]


class Theme(StrEnum):
    CAREER = "career"
    LEADERSHIP = "leadership"
    SKILL_PRACTICE = "skill_practice"
    FEEDBACK = "feedback"
    WELLBEING = "wellbeing"
    PEER_LEARNING = "peer_learning"


class ForRole(StrEnum):
    """Who a prompt is addressed to (who answers it)."""

    MENTOR = "mentor"
    MENTEE = "mentee"
    PEER = "peer"
    ANY = "any"


@dataclass(frozen=True)
class Prompt:
    """One conversation prompt. `text` is plain text: use `mrkdwn` when posting it in a mrkdwn field.

    `themes` lists the main theme first; `origin` ("career.yaml, entry 3") is for messages, not comparison.
    """

    id: str
    text: str
    stages: tuple[Stage, ...]
    themes: tuple[Theme, ...]
    kinds: tuple[Kind, ...]
    skills: tuple[str, ...] = ()
    for_role: ForRole = ForRole.ANY
    origin: str = ""

    @property
    def mrkdwn(self) -> str:
        return escape_mrkdwn(self.text)


class LibraryError(ValueError):
    """The prompt library's data is broken; the message names the file and the entry."""


class Library:
    """An immutable, validated collection of prompts, in file order."""

    def __init__(self, prompts: Iterable[Prompt]) -> None:
        self.prompts: tuple[Prompt, ...] = tuple(prompts)
        self._by_id = {p.id: p for p in self.prompts}
        if len(self._by_id) != len(self.prompts):
            raise LibraryError("prompt ids must be unique")
        self._stems = {p.id: _stems(" ".join([p.text, *p.skills])) for p in self.prompts}

    def __len__(self) -> int:
        return len(self.prompts)

    def __iter__(self) -> Iterator[Prompt]:
        return iter(self.prompts)

    def __contains__(self, prompt_id: object) -> bool:
        return prompt_id in self._by_id

    def get(self, prompt_id: str) -> Prompt | None:
        """The prompt with this id, or None (a stored id may belong to a prompt since removed)."""
        return self._by_id.get(prompt_id)

    def fitting(self, *, kind: Kind | None = None, stage: Stage | None = None) -> list[Prompt]:
        kind = Kind(Kind.shape(kind)) if kind is not None else None  # reverse mentoring uses the 1:1 prompts
        return [p for p in self.prompts if (kind is None or kind in p.kinds) and (stage is None or stage in p.stages)]

    def stems(self, prompt: Prompt) -> frozenset[str]:
        return self._stems[prompt.id]


# --- loading ---------------------------------------------------------------------------------------------------

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_REQUIRED = ("id", "text", "stages", "themes", "kinds")
_OPTIONAL = ("skills", "for_role")
MAX_ID_CHARS = 80
MAX_SKILL_CHARS = 60


def _enum_list(value: Any, enum: type[StrEnum], field: str) -> tuple[Any, ...]:
    if not isinstance(value, list) or not value:
        raise ValueError(f"{field} must be a non-empty list")
    allowed = [e.value for e in enum]
    out = []
    for item in value:
        if item not in allowed:
            raise ValueError(f"{field} has {item!r}; allowed: {', '.join(allowed)}")
        if item in out:
            raise ValueError(f"{field} lists {item!r} twice")
        out.append(item)
    return tuple(enum(v) for v in out)


def _parse_entry(entry: Any) -> Prompt:
    if not isinstance(entry, dict):
        raise ValueError("must be a mapping with id, text, stages, themes and kinds")
    missing = [k for k in _REQUIRED if k not in entry]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    unknown = sorted(str(k) for k in entry if k not in _REQUIRED + _OPTIONAL)
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(unknown)}")
    pid, text = entry["id"], entry["text"]
    if not isinstance(pid, str) or not _ID.match(pid) or len(pid) > MAX_ID_CHARS:
        raise ValueError(f"id {pid!r} must be a lowercase slug (a-z, 0-9, '-') of at most {MAX_ID_CHARS} chars")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("text must be a non-empty string")
    if text != " ".join(text.split()):
        raise ValueError("text must be one line without leading, trailing or double spaces")
    if len(text) > MAX_PROMPT_CHARS:
        raise ValueError(f"text is {len(text)} characters; at most {MAX_PROMPT_CHARS}")
    skills = entry.get("skills", [])
    if not isinstance(skills, list) or not all(isinstance(s, str) and 0 < len(s) <= MAX_SKILL_CHARS for s in skills):
        raise ValueError(f"skills must be a list of names of 1-{MAX_SKILL_CHARS} characters")
    try:
        for_role = ForRole(entry.get("for_role", "any"))
    except ValueError:
        raise ValueError(f"for_role {entry.get('for_role')!r} must be one of mentor, mentee, peer, any") from None
    kinds = _enum_list(entry["kinds"], Kind, "kinds")
    if for_role in (ForRole.MENTOR, ForRole.MENTEE) and kinds != (Kind.ONE_TO_ONE,):
        raise ValueError(f"for_role {for_role.value} only makes sense with kinds [one_to_one]")
    if for_role is ForRole.PEER and Kind.ONE_TO_ONE in kinds:
        raise ValueError("for_role peer does not fit kind one_to_one")
    return Prompt(
        id=pid,
        text=text,
        stages=_enum_list(entry["stages"], Stage, "stages"),
        themes=_enum_list(entry["themes"], Theme, "themes"),
        kinds=kinds,
        skills=tuple(skills),
        for_role=for_role,
    )


T = TypeVar("T")


def _read_file(name: str, data: str) -> list[Prompt]:
    return read_yaml_entries(
        name,
        data,
        lambda entry, label: dataclasses.replace(_parse_entry(entry), origin=label),
        error=LibraryError,
        what="prompts",
    )


def _load(directory: Traversable) -> Library:
    prompts = load_folder(
        directory,
        prefix="prompts/library/",
        read=_read_file,
        ident=lambda prompt: prompt.id,
        origin=lambda prompt: prompt.origin,
        key=lambda prompt: re.sub(r"\W+", " ", prompt.text.casefold()).strip(),
        same="text",
        error=LibraryError,
        no_files=f"{directory}: no prompt files (*.yaml)",
    )
    return Library(prompts)


@functools.cache
def _default_library() -> Library:
    return _load(resources.files("prompts").joinpath("library"))


def load_library(directory: Path | None = None) -> Library:
    """The library shipped in `prompts/library/` (read and validated once, then cached), or one from `directory`.

    Raises `LibraryError` naming the file and entry when the data is invalid.
    """
    if directory is None:
        return _default_library()
    return _load(directory)


# --- stages ----------------------------------------------------------------------------------------------------


def stage_for(day_of_cycle: int, cycle_days: int, *, stuck: bool = False) -> Stage:
    """The stage of a cycle `day_of_cycle` days after it began (0 on the first day).

    First meeting for the first tenth (at least the first day), goal setting until 30 %, closing from 85 % (and
    after the end), mid-cycle in between; `stuck` (e.g. after "Not yet" answers) overrides all of them.
    """
    if cycle_days < 1:
        raise ValueError("cycle_days must be at least 1")
    if day_of_cycle < 0:
        raise ValueError("day_of_cycle must not be negative")
    if stuck:
        return Stage.STUCK
    if day_of_cycle < max(1, cycle_days // 10):
        return Stage.FIRST_MEETING
    fraction = day_of_cycle / cycle_days
    if fraction < 0.3:
        return Stage.GOAL_SETTING
    if fraction >= 0.85:
        return Stage.CLOSING
    return Stage.MID_CYCLE


# --- selection -------------------------------------------------------------------------------------------------

_STOPWORD_TEXT = """
    about after again also another around because been before being better both could does doing done each even
    ever every first from going good have having here into just know like make more most much need next only other
    over same should some something still such than that their them then there these they thing things think this
    those time together very want what when where which while whom whose with without would your yours you'll
    really able based feel felt keep kept last look made many maybe might often since take through week weeks
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_WORD = re.compile(r"[a-z][a-z'-]+")

# Words in goals and check-in topics that suggest a theme would help.
_THEME_HINTS: dict[Theme, tuple[str, ...]] = {
    Theme.CAREER: ("caree", "promo", "role", "job", "senio", "level", "growt", "path", "manag"),
    Theme.LEADERSHIP: ("lead", "team", "deleg", "influ", "decis", "manag", "stake", "owner"),
    Theme.SKILL_PRACTICE: ("pract", "learn", "skill", "impro", "speak", "writi", "desig", "prese"),
    Theme.FEEDBACK: ("feedb", "revie", "criti", "confl", "diffi", "appra"),
    Theme.WELLBEING: ("stres", "burno", "tired", "overw", "balan", "energ", "anxio", "confi", "rest", "workl", "sleep"),
    Theme.PEER_LEARNING: ("peer", "share", "teach", "pair", "colla", "commu", "group", "circl"),
}

_NEIGHBOURS: dict[Stage, tuple[Stage, ...]] = {
    Stage.FIRST_MEETING: (Stage.GOAL_SETTING,),
    Stage.GOAL_SETTING: (Stage.FIRST_MEETING, Stage.MID_CYCLE),
    Stage.MID_CYCLE: (Stage.STUCK, Stage.GOAL_SETTING),
    Stage.STUCK: (Stage.MID_CYCLE,),
    Stage.CLOSING: (Stage.MID_CYCLE,),
}


def _stems(text: str) -> frozenset[str]:
    """Crude word stems (the first five letters of words of four letters or more), without common words."""
    return frozenset(w[:5] for w in _WORD.findall(text.lower()) if len(w) >= 4 and w not in _STOPWORDS)


def rating_score(ups: int, downs: int) -> float:
    """Thumbs up/down for a prompt as a score in -1..1, pulled towards 0 while there are few votes."""
    if ups < 0 or downs < 0:
        raise ValueError("vote counts must not be negative")
    return (ups - downs) / (ups + downs + 2)


def _weight(
    prompt: Prompt,
    library: Library,
    *,
    wanted: frozenset[str],
    offered: frozenset[str],
    context_stems: frozenset[str],
    hinted: frozenset[Theme],
    ratings: Mapping[str, float],
) -> float:
    skills = {s.casefold() for s in prompt.skills}
    n_wanted = len(skills & wanted)
    n_offered = len((skills & offered) - wanted)
    weight = 1.0 + 4.0 * min(n_wanted, 2) + 1.5 * min(n_offered, 2)
    weight *= 1.0 + 0.5 * min(len(library.stems(prompt) & context_stems), 4)
    if hinted & set(prompt.themes):
        weight *= 2.0
    score = ratings.get(prompt.id, 0.0)
    if not math.isfinite(score):
        score = 0.0
    weight *= 3.0 ** max(-1.0, min(1.0, score))
    return weight


def select_prompts(
    library: Library,
    context: PairContext,
    *,
    count: int = 3,
    used_ids: Collection[str] = (),
    ratings: Mapping[str, float] = MappingProxyType({}),
    seed: int,
) -> list[Prompt]:
    """Choose `count` different prompts that fit the pair, deterministically for a given `seed`.

    Only prompts made for the programme's kind are considered. Chances are weighted by how well a prompt fits
    the pair: its skills against the skills wanted (strongly) and offered, its words against the goals,
    milestone titles and check-in topics, its themes against hints in that text (stress -> wellbeing...), and
    its rating (`ratings`: prompt id -> score in -1..1, e.g. from `rating_score`; +1 triples the chance, -1
    divides it by three). Successive picks prefer other main themes, for variety.

    Prompts in `used_ids` (the ones this pair has already seen) are never chosen while there is another
    candidate: first prompts tagged with the pair's stage, then with a neighbouring stage (e.g. mid-cycle for
    "stuck"), then with any stage. Only when every prompt for the kind has been seen does it reuse seen ones,
    the least recently used first: if `used_ids` is a sequence it is read as oldest first (the last
    occurrence counts); for an unordered collection, seen prompts are reused in seeded random order. Prompts of
    the pair's stage are reused before others.
    """
    if count <= 0:
        return []
    rng = random.Random(seed)
    used = set(used_ids)
    for_kind = sorted(library.fitting(kind=context.kind), key=lambda p: p.id)
    text = context.text_for_matching()
    context_stems = _stems(text)
    hinted = frozenset(
        theme for theme, hints in _THEME_HINTS.items() if any(s.startswith(hints) for s in context_stems)
    )
    weights = {
        p.id: _weight(
            p,
            library,
            wanted=frozenset(s.casefold() for s in context.skills_wanted),
            offered=frozenset(s.casefold() for s in context.skills_offered),
            context_stems=context_stems,
            hinted=hinted,
            ratings=ratings,
        )
        for p in for_kind
    }

    neighbours = _NEIGHBOURS[context.stage]
    tiers = [
        [p for p in for_kind if context.stage in p.stages],
        [p for p in for_kind if context.stage not in p.stages and any(s in p.stages for s in neighbours)],
        [p for p in for_kind if context.stage not in p.stages and not any(s in p.stages for s in neighbours)],
    ]
    chosen: list[Prompt] = []
    for tier in tiers:
        pool = [p for p in tier if p.id not in used]
        _pick(pool, weights, chosen, count, rng)
        if len(chosen) >= count:
            return chosen

    # Everything for this kind has been seen: reuse, least recently used first.
    if isinstance(used_ids, Sequence) and not isinstance(used_ids, str):
        last_seen = {pid: i for i, pid in enumerate(used_ids)}
    else:
        order = sorted(used)
        rng.shuffle(order)
        last_seen = {pid: i for i, pid in enumerate(order)}
    taken = {p.id for p in chosen}
    reuse = sorted(
        (p for p in for_kind if p.id not in taken),
        key=lambda p: (context.stage not in p.stages, last_seen.get(p.id, -1)),
    )
    chosen.extend(reuse[: count - len(chosen)])
    return chosen


def _pick(
    pool: list[Prompt], weights: Mapping[str, float], chosen: list[Prompt], count: int, rng: random.Random
) -> None:
    """Weighted picks without replacement from `pool` into `chosen`, damping themes already chosen."""
    remaining = list(pool)
    while remaining and len(chosen) < count:
        main_themes = {p.themes[0] for p in chosen}
        scores = [weights[p.id] * (0.5 if p.themes[0] in main_themes else 1.0) for p in remaining]
        point = rng.random() * sum(scores)
        index = len(remaining) - 1
        for i, score in enumerate(scores):
            point -= score
            if point < 0:
                index = i
                break
        chosen.append(remaining.pop(index))

"""The skill supply/demand map of a programme: which skills people want to grow and which mentors offer.

Pure functions over counts (no Slack, no database): the counts come from `store.queries.skill_demand`, over the
active and paused participants of the programme's current cycle. Only aggregates: the map never names anyone.
`skill_map_of` reads those counts for a programme, and `map_programme` picks the programme `/mentor map` is about.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from mentoring.access import Access
from store import queries
from store.db import Session
from store.models import Programme, ProgrammeKind, ProgrammeStatus, Role

TOP_GAPS = 3


@dataclass(frozen=True)
class SkillRow:
    skill: str
    wanted: int  # people who want to grow in it
    offered: int  # mentors (in peer programmes: peers) who offer it

    @property
    def gap(self) -> int:
        """Wanted minus offered: above zero, mentors to recruit; below zero, more on offer than asked for."""
        return self.wanted - self.offered

    @property
    def is_gap(self) -> bool:
        return self.gap > 0


@dataclass(frozen=True)
class SkillMap:
    programme: str
    rows: tuple[SkillRow, ...]  # biggest gap first, then most wanted, then the programme's own order
    seekers: int  # people counted on the wanted side
    offerers: int  # people counted on the offered side
    offer_label: str  # "mentors", or "peers" in a peer programme

    @property
    def gaps(self) -> list[SkillRow]:
        return [r for r in self.rows if r.is_gap]

    def top_gaps(self, limit: int = TOP_GAPS) -> list[SkillRow]:
        return self.gaps[:limit]

    @property
    def empty(self) -> bool:
        return not self.rows


def sides(kind: str) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    """Which roles count as wanting and as offering in a programme of this kind, and what to call the offerers.

    Mentees and peers want; mentors offer. In a peer programme peers also teach each other, so their offers count.
    """
    if kind == ProgrammeKind.ONE_TO_ONE.value:
        return (Role.MENTEE.value, Role.PEER.value), (Role.MENTOR.value,), "mentors"
    return (Role.MENTEE.value, Role.PEER.value), (Role.MENTOR.value, Role.PEER.value), "peers and mentors"


def build_map(
    programme: str,
    *,
    skills: Sequence[str],
    wanted: Mapping[str, int],
    offered: Mapping[str, int],
    people: Mapping[str, int],
    kind: str = ProgrammeKind.ONE_TO_ONE.value,
) -> SkillMap:
    """The map from counts. Skills of the programme's list nobody picked are left out; skills people picked that
    the list no longer has are kept (they are still what people asked for)."""
    wanting, offering, label = sides(kind)
    order = {s: i for i, s in enumerate(skills)}
    names = [s for s in dict.fromkeys([*skills, *sorted(wanted), *sorted(offered)]) if wanted.get(s) or offered.get(s)]
    rows = [SkillRow(s, int(wanted.get(s, 0)), int(offered.get(s, 0))) for s in names]
    rows.sort(key=lambda r: (-max(r.gap, 0), -r.wanted, order.get(r.skill, len(order)), r.skill))
    return SkillMap(
        programme=programme,
        rows=tuple(rows),
        seekers=sum(people.get(r, 0) for r in wanting),
        offerers=sum(people.get(r, 0) for r in offering),
        offer_label=label,
    )


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    """A spreadsheet opens a cell starting with = + - @ as a formula: make it text."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(skill_map: SkillMap) -> bytes:
    """skill, wanted, offered, gap: one row per skill, biggest gap first. UTF-8 with a BOM for spreadsheets."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["skill", "wanted", "offered", "gap"])
    for row in skill_map.rows:
        writer.writerow([_cell(row.skill), row.wanted, row.offered, row.gap])
    return out.getvalue().encode("utf-8-sig")


def bar(value: int, most: int, width: int = 10) -> str:
    """A text bar of up to `width` blocks, at least one for any value above zero."""
    if value <= 0 or most <= 0:
        return ""
    return "█" * max(1, round(width * value / most))


def skill_map_of(session: Session, programme: Programme) -> SkillMap:
    assert programme.id is not None
    wanting, offering, _ = sides(ProgrammeKind.shape(programme.kind))
    wanted, offered, people = queries.skill_demand(
        session=session, programme_id=programme.id, wanting=wanting, offering=offering
    )
    return build_map(
        programme.name,
        skills=programme.skills,
        wanted=wanted,
        offered=offered,
        people=people,
        kind=ProgrammeKind.shape(programme.kind),
    )


@dataclass(frozen=True)
class MapPick:
    """The programme `/mentor map [wanted]` is about, or why there is none: "unknown" (no programme of that name),
    "refused" (not theirs), "none" (they administer none), "which" (several: they have to say)."""

    programme: Programme | None
    problem: str = ""
    mine: list[Programme] = field(default_factory=list)  # the programmes they administer, to list in the answer


def map_programme(access: Access, *, session: Session, team_id: str, wanted: str) -> MapPick:
    """The programme named (by name or slug, any programme), else their only running one, else their only one."""
    mine = [p for p in queries.programmes(session=session, team_id=team_id) if access.can_admin(p.id)]
    if wanted:
        programme = queries.find_programme(session=session, team_id=team_id, text=wanted)
        if programme is None:
            return MapPick(None, "unknown", mine)
        if not access.can_admin(programme.id):
            return MapPick(None, "refused", mine)
        return MapPick(programme, "", mine)
    running = [p for p in mine if p.status in (ProgrammeStatus.ENROLLING.value, ProgrammeStatus.ACTIVE.value)]
    candidates = running or mine
    if len(candidates) == 1:
        return MapPick(candidates[0], "", mine)
    if not candidates:
        return MapPick(None, "none", mine)
    return MapPick(None, "which", mine)

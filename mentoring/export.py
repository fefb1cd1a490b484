"""`/mentor report --export`: two CSV files (Python's csv module) for programme admins.

`pairs.csv` has one row per pair per cycle; `summary.csv` one row per measure; `programme_csvs` reads the pairs and
writes both. Private fields are not among
the columns: no private reflections, "rather not" lists, milestone evidence, survey comments (except
success stories their authors chose to share, without names), nor who ended a match or why.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date

from store import insight
from store.db import Session
from store.insight import MIN_GROUP, Health, PairRow
from store.models import Programme, StorySource

PAIR_COLUMNS = (
    "programme",
    "cycle",
    "pair_id",
    "status",
    "released_on",
    "ended_on",
    "members",
    "member_ids",
    "roles",
    "departments",
    "check_ins",
    "minutes_together",
    "average_usefulness",
    "first_check_in",
    "last_check_in",
    "milestones_done",
)


def cell(value: object) -> str:
    """A spreadsheet-safe cell: text that a spreadsheet would run as a formula is quoted with a leading '."""
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, date) else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return buffer.getvalue().encode("utf-8")


def pairs_csv(programme_name: str, rows: Sequence[PairRow]) -> bytes:
    return _csv(
        PAIR_COLUMNS,
        (
            (
                programme_name,
                r.cycle,
                r.match_id,
                r.status,
                r.released_on,
                r.ended_on,
                "; ".join(m[1] or m[0] for m in r.members),
                "; ".join(m[0] for m in r.members),
                "; ".join(m[2] for m in r.members),
                "; ".join(m[3] or "not given" for m in r.members),
                r.checkins,
                r.minutes,
                r.average_usefulness,
                r.first_met,
                r.last_met,
                r.milestones_done,
            )
            for r in rows
        ),
    )


def _rate(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def summary_csv(programme_name: str, cycle_number: int, health: Health) -> bytes:
    """One measure per row: the programme report's numbers, aggregates only (groups of 5 or more)."""
    rows: list[tuple[str, str, object]] = [
        ("programme", "", programme_name),
        ("cycle", "", cycle_number),
        ("participants", "", health.participants),
    ]
    rows += [("participants by role", role, n) for role, n in sorted(health.by_role.items())]
    rows += [
        ("match rate", "", _rate(health.match_rate)),
        ("active pairs", "", health.active_pairs),
        (f"share of pairs that met in the last {health.cadence_days} days", "", _rate(health.met_rate)),
        ("median days between check-ins", "", health.median_days_between),
        ("average usefulness (1-5)", "", _rate(health.average_usefulness)),
        ("check-ins this cycle", "", health.checkins),
        ("milestones done this cycle", "", health.milestones_done),
        ("active pairs with an agreement in place", "", health.agreements_in_place),
        ("active mentors", "", health.mentors),
        ("mentors who completed the mentor essentials", "", health.mentors_trained),
        *[
            (
                "skill development: mean change (1-5 scale)",
                d.skill or "all skills",
                _rate(d.mean_change),
            )
            for d in health.skill_development
        ],
        *[
            ("skill development: share who improved", d.skill or "all skills", _rate(d.improved_share))
            for d in health.skill_development
        ],
        *[
            ("skill development: people who rated before and after", d.skill or "all skills", d.people)
            for d in health.skill_development
        ],
        ("skills withheld (fewer than 5 people rated them)", "", health.skills_withheld),
        ("meetings booked this cycle", "", health.meetings_booked),
        ("median days from a match to its first meeting", "", health.days_to_first_meeting),
        ("matches that had a first meeting", "", health.matches_met),
        ("stalled pairs", "", len(health.stalled)),
    ]
    rows += [(f"check-ins in week {i + 1}", "", n) for i, n in enumerate(health.checkins_per_week)]
    for d in health.departments:
        rows += [
            ("department: people", d.group or "not given", d.people),
            ("department: matched", d.group or "not given", d.matched),
            ("department: met recently", d.group or "not given", d.met_recently),
        ]
    for g in health.self_groups or []:  # only when the programme asks; groups of 5 or more, smaller ones merged
        rows += [
            ("self-described group: people", g.group, g.people),
            ("self-described group: matched", g.group, g.matched),
            ("self-described group: met recently", g.group, g.met_recently),
        ]
    if health.self_groups is not None and health.self_groups_unanswered >= MIN_GROUP:
        rows.append(("self-described group: no answer", "", health.self_groups_unanswered))
    for cycle, people, back in health.retention[:-1]:
        rows.append(("retention to the next cycle", f"cycle {cycle}", _rate(back / people if people else None)))
    for kind, result in (health.survey or {}).items():
        rows.append((f"{kind} survey: responses", "", result.get("responses")))
        if int(result.get("responses") or 0) >= 5:
            rows.append((f"{kind} survey: average rating", "", _rate(result.get("rating"))))
            if result.get("progress") is not None:
                rows.append((f"{kind} survey: average progress", "", _rate(result.get("progress"))))
            if result.get("would_continue") is not None:
                rows.append((f"{kind} survey: would go on together", "", _rate(result.get("would_continue"))))
    for story in health.stories:  # only those their authors chose to share, never with a name
        source = "exit reflection" if story.source == StorySource.EXIT.value else "growth thread"
        who = f"a {story.role or 'participant'}, cycle {story.cycle_number}"
        rows.append(("success story (shared by its author)", f"{source}, {who}", story.text))
    return _csv(("measure", "group", "value"), rows)


def programme_csvs(*, session: Session, programme: Programme, health: Health) -> tuple[bytes, bytes]:
    """The export of a programme: pairs.csv and summary.csv (the summary from its report's `health`)."""
    assert programme.id is not None
    rows = insight.pair_rows(session=session, programme_id=programme.id)
    return pairs_csv(programme.name, rows), summary_csv(programme.name, programme.cycle_number, health)

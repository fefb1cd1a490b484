"""What a weekly digest and a programme report say, computed from the store's aggregates.

The digest is a plain JSON-ready dict (kept on the `Digest` row, so that its chart can be drawn again after a
crash); the report is `store.insight.Health`. Neither carries private fields: no private reflections, no
"rather not" lists, nothing about who ended a match or why, and no names of people who are struggling.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, col, select

from mentoring.access import Access
from mentoring.training import TRAINING_STEPS
from prompts.context import Kind
from prompts.library import load_library, stage_for
from store import insight, queries
from store.models import Digest, Participant, Programme

CADENCE_DAYS = {"weekly": 7, "fortnightly": 14, "monthly": 28}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def programme_zone(programme: Programme) -> ZoneInfo:
    try:
        return ZoneInfo(programme.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def validate_digest_schedule(
    weekday: str | None, hour: str | None, timezone: str | None
) -> tuple[dict[str, Any], dict[str, str]]:
    """The programme modal's digest fields: (values for the programme, inline errors by block id)."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    try:
        values["digest_weekday"] = int(weekday if weekday is not None else 0)
        if not 0 <= values["digest_weekday"] <= 6:
            raise ValueError
    except ValueError:
        errors["digest_weekday"] = "Pick a day of the week."
    try:
        values["digest_hour"] = int(hour if hour is not None else 9)
        if not 0 <= values["digest_hour"] <= 23:
            raise ValueError
    except ValueError:
        errors["digest_hour"] = "Pick an hour."
    zone = (timezone or "").strip() or "UTC"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        errors["timezone"] = "Use a timezone name like Europe/Berlin, America/New_York or UTC."
    else:
        values["timezone"] = zone
    return values, errors


def iso_week(moment: date) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def digest_slot(programme: Programme, now: datetime) -> tuple[str, datetime]:
    """This week's digest moment for the programme (its weekday and hour in its timezone) and the ISO week."""
    tz = programme_zone(programme)
    local = now.astimezone(tz)
    monday = local.date() - timedelta(days=local.weekday())
    day = monday + timedelta(days=min(max(programme.digest_weekday, 0), 6))
    slot = datetime(day.year, day.month, day.day, min(max(programme.digest_hour, 0), 23), tzinfo=tz)
    return iso_week(day), slot.astimezone(UTC)


def cycle_start(programme: Programme, now: datetime) -> datetime:
    if programme.cycle_started_at is not None:
        return programme.cycle_started_at
    return now - timedelta(days=programme.cycle_days)


def _week_label(index: int) -> str:
    return f"W{index + 1}"


def prompt_of_the_week(session: Session, programme: Programme, week: str, now: datetime) -> dict[str, str] | None:
    """One library prompt for the whole programme, fitting its kind and stage, not used by a recent digest."""
    assert programme.id is not None
    library = load_library()
    start = cycle_start(programme, now)
    day = max(int((now - start) / timedelta(days=1)), 0)
    try:
        kind = Kind(Kind.shape(programme.kind))
    except ValueError:
        kind = Kind.ONE_TO_ONE
    fitting = library.fitting(kind=kind, stage=stage_for(day, max(programme.cycle_days, 1))) or library.fitting(
        kind=kind
    )
    if not fitting:
        return None
    recent = session.exec(
        select(Digest.stats)
        .where(Digest.programme_id == programme.id, Digest.week != week)
        .order_by(col(Digest.id).desc())
        .limit(20)
    ).all()
    used = {str((stats or {}).get("prompt", {}).get("id")) for stats in recent if isinstance(stats, dict)}
    fresh = [p for p in sorted(fitting, key=lambda p: p.id) if p.id not in used] or sorted(fitting, key=lambda p: p.id)
    chosen = random.Random(f"{programme.id}:{week}").choice(fresh)
    return {"id": chosen.id, "text": chosen.text}


def archive_link(workspace_url: str, channel_id: str, ts: str) -> str:
    """A message's permalink, built the way Slack builds them: {workspace}/archives/{channel}/p{ts without dot}."""
    base = workspace_url if workspace_url.endswith("/") else workspace_url + "/"
    return f"{base}archives/{channel_id}/p{ts.replace('.', '')}"


def compute_digest(
    session: Session,
    programme: Programme,
    *,
    now: datetime,
    week: str | None = None,
    workspace_url: str = "https://slack.com/",
) -> dict[str, Any]:
    """The digest of the seven days up to `now`: only counts, and highlights people chose to make public."""
    assert programme.id is not None
    week = week or iso_week(now.astimezone(programme_zone(programme)).date())
    since = now - timedelta(days=7)
    activity = insight.week_activity(session=session, programme_id=programme.id, since=since, until=now)
    start = cycle_start(programme, now)
    end = min(now, programme.cycle_ends_at or now)
    series = insight.checkins_per_week(
        session=session, programme_id=programme.id, start=start, end=end, cycle_number=programme.cycle_number
    )
    kudos_count, public_kudos = insight.kudos_given(session=session, programme_id=programme.id, since=since, until=now)
    digest: dict[str, Any] = {
        "programme": programme.name,
        "programme_id": programme.id,
        "cycle_number": programme.cycle_number,
        "week": week,
        "since": since.isoformat(),
        "until": now.isoformat(),
        "active_pairs": insight.active_pairs(session=session, programme_id=programme.id),
        "pairs_met": activity.pairs_met,
        "pairs_met_before": activity.pairs_met_before,
        "checkins": activity.checkins,
        "checkins_before": activity.checkins_before,
        "new_waiting": insight.new_waiting(session=session, programme=programme, since=since, until=now),
        "milestones_done": insight.milestones_done(session=session, programme_id=programme.id, since=since, until=now),
        "highlights": [
            {
                "author": h.author_id,
                "replies": h.replies,
                "reactions": h.reactions,
                "link": archive_link(workspace_url, h.channel_id, h.ts),
            }
            for h in insight.growth_highlights(session=session, programme_id=programme.id, since=since, until=now)
        ],
        "kudos": {
            "count": kudos_count,
            "public": [{"giver": giver, "receiver": receiver} for giver, receiver in public_kudos],
        },
        "series": {
            "labels": [_week_label(i) for i in range(len(series))],
            "checkins": series,
            "milestones": insight.milestones_per_week(session=session, programme_id=programme.id, start=start, end=end),
        },
        "prompt": prompt_of_the_week(session, programme, week, now),
        "outcomes": digest_outcomes(session, programme),
    }
    return digest


def digest_outcomes(session: Session, programme: Programme) -> dict[str, Any]:
    """The cycle's outcomes so far, for everyone in the channel: counts and medians only, skill development only
    for groups of MIN_GROUP or more, nobody named. A fixed number of aggregate statements."""
    assert programme.id is not None
    skills, withheld = insight.skill_development(
        session=session, programme_id=programme.id, cycle_number=programme.cycle_number
    )
    mentors, trained = insight.mentors_trained(
        session=session, programme_id=programme.id, team_id=programme.team_id, steps=TRAINING_STEPS
    )
    days, met = insight.days_to_first_meeting(
        session=session, programme_id=programme.id, cycle_number=programme.cycle_number
    )
    return {
        "skills": [
            {"skill": d.skill, "people": d.people, "mean_change": round(d.mean_change, 2), "improved": d.improved}
            for d in skills
        ],
        "skills_withheld": withheld,
        "agreements_in_place": insight.agreements_in_place(session=session, programme_id=programme.id),
        "mentors": mentors,
        "mentors_trained": trained,
        "days_to_first_meeting": days,
        "matches_met": met,
    }


def preview_digest(*, session: Session, programme: Programme, now: datetime, workspace_url: str) -> dict[str, Any]:
    """What the digest would say now, for this week's slot (an admin's preview)."""
    week, _ = digest_slot(programme, now)
    return compute_digest(session, programme, now=now, week=week, workspace_url=workspace_url)


def is_quiet(digest: Mapping[str, Any]) -> bool:
    """Nothing to celebrate this week: the digest is a short encouragement instead of a table."""
    return not (
        digest.get("checkins")
        or digest.get("milestones_done")
        or digest.get("highlights")
        or (digest.get("kudos") or {}).get("count")
        or digest.get("new_waiting")
    )


def has_chart(digest: Mapping[str, Any]) -> bool:
    series = digest.get("series") or {}
    return any(series.get("checkins") or []) or any(series.get("milestones") or [])


def health_summary(session: Session, programme: Programme, *, now: datetime) -> insight.Health:
    """The few numbers App Home shows for a running programme (three aggregates, not the whole report)."""
    assert programme.id is not None
    cadence = CADENCE_DAYS.get(programme.cadence, 14)
    health = insight.Health(cadence_days=cadence)
    health.eligible, health.matched = insight.match_rate(session=session, programme=programme)
    health.active_pairs, health.pairs_met_recently = insight.pairs_met_since(
        session=session, programme_id=programme.id, since=now - timedelta(days=cadence)
    )
    health.stalled = insight.stalled_pairs(
        session=session, programme_id=programme.id, quiet_since=now - timedelta(days=2 * cadence)
    )
    add_group_participation(session, programme, health, since=now - timedelta(days=cadence))
    return health


def add_group_participation(session: Session, programme: Programme, health: insight.Health, *, since: datetime) -> None:
    """Participation by self-described group, only for a programme that asks its optional group question."""
    if programme.group_question:
        health.self_groups, health.self_groups_unanswered = insight.group_participation(
            session=session, programme=programme, since=since
        )


def compute_health(session: Session, programme: Programme, *, now: datetime) -> insight.Health:
    """Programme health for its admins (aggregates; the stalled pairs' members are for admins only)."""
    assert programme.id is not None
    cadence = CADENCE_DAYS.get(programme.cadence, 14)
    health = insight.Health(cadence_days=cadence)
    health.by_role = insight.participants_by(session=session, programme_id=programme.id, column=Participant.role)
    health.participants = sum(health.by_role.values())
    departments = insight.participants_by(session=session, programme_id=programme.id, column=Participant.department)
    health.by_department = departments
    health.eligible, health.matched = insight.match_rate(session=session, programme=programme)
    since = now - timedelta(days=cadence)
    health.active_pairs, health.pairs_met_recently = insight.pairs_met_since(
        session=session, programme_id=programme.id, since=since
    )
    health.median_days_between = insight.median_days_between(
        session=session, programme_id=programme.id, cycle_number=programme.cycle_number
    )
    counts, total = insight.usefulness(session=session, programme_id=programme.id, cycle_number=programme.cycle_number)
    health.usefulness_counts = counts
    health.checkins = total
    health.average_usefulness = sum(k * v for k, v in counts.items()) / total if total else None
    start = cycle_start(programme, now)
    health.checkins_per_week = insight.checkins_per_week(
        session=session,
        programme_id=programme.id,
        start=start,
        end=min(now, programme.cycle_ends_at or now),
        cycle_number=programme.cycle_number,
    )
    health.stalled = insight.stalled_pairs(
        session=session, programme_id=programme.id, quiet_since=now - timedelta(days=2 * cadence)
    )
    health.retention = insight.retention(session=session, programme_id=programme.id)
    health.departments = insight.department_participation(session=session, programme=programme, since=since)
    add_group_participation(session, programme, health, since=since)
    health.milestones_done = insight.milestones_done_in_cycle(
        session=session, programme_id=programme.id, cycle_number=programme.cycle_number
    )
    health.agreements_in_place = insight.agreements_in_place(session=session, programme_id=programme.id)
    health.mentors, health.mentors_trained = insight.mentors_trained(
        session=session, programme_id=programme.id, team_id=programme.team_id, steps=TRAINING_STEPS
    )
    health.skill_development, health.skills_withheld = insight.skill_development(
        session=session, programme_id=programme.id, cycle_number=programme.cycle_number
    )
    health.meetings_booked = insight.meetings_booked_in_cycle(
        session=session, programme_id=programme.id, cycle_number=programme.cycle_number
    )
    health.days_to_first_meeting, health.matches_met = insight.days_to_first_meeting(
        session=session, programme_id=programme.id, cycle_number=programme.cycle_number
    )
    health.survey = insight.survey_results(
        session=session, programme_id=programme.id, cycle_number=programme.cycle_number
    )
    health.stories = insight.consented_stories(session=session, programme_id=programme.id)
    return health


@dataclass(frozen=True)
class AdminPick:
    """The programme a digest or report is about, or why there is none: "refused" (they administer nothing),
    "unknown" (none of theirs has that name or slug), "which" (several or none: they have to say)."""

    programme: Programme | None
    problem: str = ""
    mine: list[Programme] = field(default_factory=list)  # the programmes they administer, to list in the answer


def admin_programme(access: Access, *, session: Session, team_id: str, wanted: str) -> AdminPick:
    """The programme an admin named (name or slug), or their only one."""
    mine = [p for p in queries.programmes(session=session, team_id=team_id) if access.can_admin(p.id)]
    if not access.any:
        return AdminPick(None, "refused", mine)
    if wanted:
        key = wanted.strip().lower()
        found = [p for p in mine if key in (p.name.lower(), p.slug)]
        if found:
            return AdminPick(found[0], "", mine)
        return AdminPick(None, "unknown", mine)
    if len(mine) == 1:
        return AdminPick(mine[0], "", mine)
    return AdminPick(None, "which", mine)

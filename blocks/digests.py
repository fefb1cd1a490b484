"""Block Kit for the weekly digest (posted in the programme channel) and the programme report (admins only), with
the files and replies that go with them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from blocks import charts
from blocks import stories as story_ui
from blocks.common import Block, context, mrkdwn_section, plain, role_name
from blocks.text import escape, truncate
from mentoring.access import REFUSAL
from mentoring.insight import WEEKDAYS, AdminPick, is_quiet
from prompts.text import escape_mrkdwn
from store.insight import MIN_GROUP, Health, ParticipationRow
from store.models import Programme

PREVIEW_ACTION = "digest_preview"
POST_ACTION = "digest_post"
REPORT_ACTION = "programme_report"
PREVIEW_SENT = "I've sent you a preview of *{name}*'s next digest in our DMs. Only you can see it."


def _change(now: int, before: int) -> str:
    if now == before:
        return "same as last week"
    difference = now - before
    return f"{'+' if difference > 0 else '-'}{abs(difference)} on last week"


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def outcome_lines(outcomes: Mapping[str, Any]) -> list[str]:
    """The cycle's outcomes in the digest: skill development (groups of MIN_GROUP or more only), agreements in
    place, mentors trained and the time to a first meeting. Counts only, nobody named."""
    lines = []
    skills = [s for s in outcomes.get("skills") or [] if int(s.get("people") or 0) >= MIN_GROUP]
    for row in skills[:4]:
        people = int(row["people"])
        name = escape(str(row.get("skill") or "")) or "All skills"
        lines.append(
            f"*Skills, {name}:* {float(row.get('mean_change') or 0):+.1f} on a 1-5 scale, "
            f"{_percent(int(row.get('improved') or 0) / people)} improved ({_plural(people, 'person', 'people')})"
        )
    active = int(outcomes.get("active_pairs") or 0)
    agreed = int(outcomes.get("agreements_in_place") or 0)
    if agreed:
        lines.append(f"*Agreements in place:* {_plural(agreed, 'pair')}" + (f" of {active}" if active else ""))
    mentors = int(outcomes.get("mentors") or 0)
    if mentors:
        lines.append(
            f"*Mentors trained:* {int(outcomes.get('mentors_trained') or 0)} of {mentors} completed the essentials"
        )
    days = outcomes.get("days_to_first_meeting")
    if days is not None:
        lines.append(f"*Time to a first meeting:* {float(days):g} days (median)")
    return lines


def _outcomes_block(digest: Mapping[str, Any]) -> list[Block]:
    outcomes = dict(digest.get("outcomes") or {}) | {"active_pairs": digest.get("active_pairs")}
    lines = outcome_lines(outcomes)
    return [mrkdwn_section("*This cycle so far*\n" + "\n".join(lines))] if lines else []


def digest_message(digest: Mapping[str, Any]) -> tuple[str, list[Block]]:
    """The digest: a plain-text fallback (notifications, screen readers) and its blocks."""
    name = escape(str(digest.get("programme") or ""))
    prompt = digest.get("prompt") or {}
    prompt_text = str(prompt.get("text") or "")
    header = plain(f"This week in {digest.get('programme') or 'the programme'}", 150)
    if is_quiet(digest):
        text = (
            f"A quiet week in {name}: no check-ins logged yet. A short chat this week counts; "
            + (f"here's something to talk about: {escape(prompt_text)}" if prompt_text else "")
        ).strip()
        blocks: list[Block] = [
            {"type": "header", "text": header},
            mrkdwn_section(
                f"A quiet week in *{name}*. That's fine: a 20-minute chat this week still counts, and it's a "
                "good moment to find a time with your partner."
            ),
        ]
        blocks += _outcomes_block(digest)
        if prompt_text:
            blocks.append(mrkdwn_section(f"*Conversation prompt of the week*\n>{escape_mrkdwn(prompt_text)}"))
        blocks.append(
            context("Log a meeting with *Log a check-in* in your pair's room. `/mentor prompt` has more ideas.")
        )
        return truncate(text, 3000), blocks

    checkins, before = int(digest.get("checkins") or 0), int(digest.get("checkins_before") or 0)
    pairs, pairs_before = int(digest.get("pairs_met") or 0), int(digest.get("pairs_met_before") or 0)
    active = int(digest.get("active_pairs") or 0)
    milestones = int(digest.get("milestones_done") or 0)
    kudos = digest.get("kudos") or {}
    waiting = int(digest.get("new_waiting") or 0)
    lines = [
        f"*{_plural(pairs, 'pair')} met* of {active} active ({_change(pairs, pairs_before)})",
        f"*{_plural(checkins, 'check-in')} logged* ({_change(checkins, before)})",
        f"*{_plural(milestones, 'milestone')} completed*",
        f"*{_plural(int(kudos.get('count') or 0), 'kudos', 'kudos')} given*",
    ]
    if waiting:
        lines.append(f"*{_plural(waiting, 'new person', 'new people')}* joined and will be matched soon")
    blocks = [{"type": "header", "text": header}, mrkdwn_section("\n".join(lines))]
    highlights = digest.get("highlights") or []
    if highlights:
        shown = []
        for h in highlights[:3]:
            link = str(h.get("link") or "")
            label = f"a growth thread by <@{h.get('author')}>"
            shown.append(
                f"• <{link}|{label}> · {_plural(int(h.get('replies') or 0), 'reply', 'replies')}, "
                f"{_plural(int(h.get('reactions') or 0), 'reaction')}"
                if link
                else f"• {label}"
            )
        blocks.append(mrkdwn_section("*Growth threads people loved*\n" + "\n".join(shown)))
    public_kudos = kudos.get("public") or []
    if public_kudos:
        thanks = ", ".join(f"<@{k.get('giver')}> → <@{k.get('receiver')}>" for k in public_kudos[:10])
        blocks.append(mrkdwn_section(f"*Kudos shared in public* :clap: {thanks}"))
    blocks += _outcomes_block(digest)
    if prompt_text:
        blocks.append(mrkdwn_section(f"*Conversation prompt of the week*\n>{escape_mrkdwn(prompt_text)}"))
    blocks.append(context("Counts cover the last 7 days. Only growth threads and kudos people made public are named."))
    text = (
        f"This week in {name}: {_plural(pairs, 'pair')} met, {_plural(checkins, 'check-in')} "
        f"logged ({_change(checkins, before)}), {_plural(milestones, 'milestone')} completed, "
        f"{_plural(int(kudos.get('count') or 0), 'kudos', 'kudos')} given"
        + (f", {_plural(waiting, 'new person', 'new people')} waiting for a match" if waiting else "")
        + "."
        + (f" Prompt of the week: {escape(prompt_text)}" if prompt_text else "")
    )
    return truncate(text, 3000), blocks


def preview_message(digest: Mapping[str, Any], *, channel_id: str, programme_id: int) -> tuple[str, list[Block]]:
    """The digest as only an admin sees it, with a button to post it now."""
    text, blocks = digest_message(digest)
    intro = mrkdwn_section(f"*Preview:* this is what the next digest would say in <#{channel_id}> right now.")
    post = {
        "type": "actions",
        "block_id": "digest_preview_actions",
        "elements": [
            {
                "type": "button",
                "text": plain("Post it now"),
                "action_id": POST_ACTION,
                "value": str(programme_id),
                "style": "primary",
            }
        ],
    }
    return f"Preview of the next digest: {text}", [intro, {"type": "divider"}, *blocks, post]


def schedule_line(weekday: int, hour: int, timezone: str) -> str:
    return f"Digest: {WEEKDAYS[weekday % 7]}s at {hour:02d}:00 ({escape(timezone)})"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)}%"


def skill_development_lines(health: Health) -> list[str]:
    """Skill development (start to the latest rating, 1-5): only groups of MIN_GROUP or more people are shown."""
    if not health.skill_development and not health.skills_withheld:
        return []
    lines = ["*Skill development* (rated at the start and again later, on a 1-5 scale)"]
    for row in health.skill_development:
        name = escape(row.skill) if row.skill else "All skills"
        lines.append(
            f"• {name}: {row.mean_change:+.1f} on average, {_percent(row.improved_share)} improved "
            f"({_plural(row.people, 'person', 'people')})"
        )
    if health.skills_withheld:
        lines.append(f"_{_plural(health.skills_withheld, 'skill')} rated by fewer than {MIN_GROUP} people not shown._")
    return lines


def first_meeting_line(days: float | None, matches: int) -> str:
    """Time to the first meeting: the median days from a match's release to its first chat or check-in."""
    if days is None:
        return "*Time to the first meeting:* — (no match has met yet)"
    return (
        f"*Time to the first meeting:* {days:g} days (median from the match to its first chat booked or "
        f"check-in, over {_plural(matches, 'match', 'matches')})"
    )


def _counts(counts: Mapping[str, int], label: Any = str) -> str:
    if not counts:
        return "_none_"
    return ", ".join(
        f"{escape(label(k) if k else 'not given')}: {v}"
        for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    )


def _participation_line(row: ParticipationRow, label: str) -> str:
    return (
        f"{escape(label)}: {row.people} people, {_percent(row.matched / row.people)} matched, "
        f"{_percent(row.met_recently / row.people)} met recently"
    )


def self_group_lines(health: Health) -> str:
    """Participation by self-described group: groups of 5 or more, the smaller ones only together."""
    lines = [_participation_line(g, g.group) for g in health.self_groups or []]
    if health.self_groups_unanswered >= MIN_GROUP:
        lines.append(f"No answer: {health.self_groups_unanswered} people")
    return (
        f"*Participation by self-described group* (groups of {MIN_GROUP} or more; answers are never shown "
        "one by one)\n" + ("\n".join(lines) if lines else f"_no group of {MIN_GROUP} or more yet_")
    )


def groups_line(health: Health) -> str:
    """App Home: the self-described groups of 5 or more, for a programme that asks; "" otherwise."""
    if health.self_groups is None:
        return ""
    shown = " · ".join(f"{escape(g.group)}: {g.people}" for g in health.self_groups)
    return f"Self-described groups ({MIN_GROUP} or more): " + (shown or "none yet")


def health_line(health: Health) -> str:
    """One line for the App Home admin section."""
    return (
        f"Health: {_percent(health.match_rate)} matched · {_percent(health.met_rate)} of pairs met in the last "
        f"{health.cadence_days} days · {_plural(len(health.stalled), 'stalled pair')}"
    )


def report_message(programme_name: str, health: Health, *, cycle_number: int) -> tuple[str, list[Block]]:
    """The programme report for its admins. Stalled pairs are named here, and only here."""
    median = "—" if health.median_days_between is None else f"{health.median_days_between:g} days"
    useful = "—" if health.average_usefulness is None else f"{health.average_usefulness:.1f} / 5"
    lines = [
        f"*Participants:* {health.participants} ({_counts(health.by_role, role_name)})",
        f"*Match rate:* {_percent(health.match_rate)} ({health.matched} of {health.eligible} active people in a match)",
        f"*Pairs that met in the last {health.cadence_days} days:* {_percent(health.met_rate)} "
        f"({health.pairs_met_recently} of {health.active_pairs})",
        f"*Median days between check-ins:* {median}",
        f"*Average usefulness:* {useful} over {_plural(health.checkins, 'check-in')} this cycle",
    ]
    if health.milestones_done is not None:
        per_pair = health.milestones_done / health.active_pairs if health.active_pairs else 0.0
        lines.append(f"*Milestones completed:* {health.milestones_done} ({per_pair:.1f} per active pair)")
    lines.append(
        f"*Agreements in place:* {health.agreements_in_place} of {_plural(health.active_pairs, 'active pair')}"
    )
    if health.mentors:
        lines.append(f"*Mentors who completed the essentials:* {health.mentors_trained} of {health.mentors}")
    lines += skill_development_lines(health)
    lines.append(f"*Meetings booked:* {health.meetings_booked} chats booked in Slack this cycle")
    lines.append(first_meeting_line(health.days_to_first_meeting, health.matches_met))
    blocks: list[Block] = [
        {"type": "header", "text": plain(f"{programme_name}: cycle {cycle_number}", 150)},
        mrkdwn_section("\n".join(lines)),
        *story_ui.report_blocks(health.stories),
    ]
    if health.survey:
        blocks.append(mrkdwn_section(truncate(survey_lines(health.survey), 3000)))
    departments = [_participation_line(d, d.group or "not given") for d in health.departments]
    blocks.append(
        mrkdwn_section(
            truncate(
                "*Participation by department* (groups of 5 or more)\n"
                + ("\n".join(departments) if departments else "_no group of 5 or more yet_"),
                3000,
            )
        )
    )
    if health.self_groups is not None:
        blocks.append(mrkdwn_section(truncate(self_group_lines(health), 3000)))
    retention = [
        f"cycle {c} → {c + 1}: {_percent(back / n if n else None)} ({back} of {n})" for c, n, back in health.retention
    ]
    if len(health.retention) > 1:
        blocks.append(mrkdwn_section("*Retention*\n" + "\n".join(retention[:-1])))
    stalled = health.stalled
    if stalled:
        pairs = "; ".join(" & ".join(f"<@{u}>" for u in members) for members in stalled[:20])
        more = f" and {len(stalled) - 20} more" if len(stalled) > 20 else ""
        blocks.append(
            mrkdwn_section(
                truncate(
                    f"*Stalled pairs ({len(stalled)})*: no check-in for {2 * health.cadence_days} days. {pairs}{more}",
                    3000,
                )
            )
        )
    else:
        blocks.append(mrkdwn_section("*Stalled pairs:* none"))
    blocks.append(
        context(
            "Only you see this. Private reflections, “rather not” lists, why a match ended and survey comments are "
            "never shown; a success story only when its author chose to share it. `/mentor report --export` sends "
            "you CSV files."
        )
    )
    text = (
        f"{escape(programme_name)} report: {health.participants} participants, "
        f"match rate {_percent(health.match_rate)}, {_percent(health.met_rate)} of pairs met recently, "
        f"{len(stalled)} stalled."
    )
    return text, blocks


SURVEY_LABELS = {"pulse": "Mid-cycle pulse", "exit": "Exit reflection"}


def survey_lines(survey: Mapping[str, Mapping[str, Any]]) -> str:
    """Survey ratings, shown once 5 people answered (fewer could be told apart); free text is never shown."""
    lines = []
    for kind, result in survey.items():
        label, count = SURVEY_LABELS.get(kind, kind), int(result.get("responses") or 0)
        if count < MIN_GROUP:
            lines.append(f"{label}: {_plural(count, 'response')} so far (results are shown from {MIN_GROUP})")
            continue
        parts = [f"{'satisfaction' if kind == 'pulse' else 'overall'} {float(result['rating']):.1f} / 5"]
        if result.get("progress") is not None:
            parts.append(f"progress on goals {float(result['progress']):.1f} / 5")
        if result.get("would_continue") is not None:
            parts.append(f"{_percent(float(result['would_continue']))} would go on together")
        lines.append(f"{label} ({_plural(count, 'response')}): " + ", ".join(parts))
    return "*Surveys*\n" + "\n".join(lines)


# --- replies, charts and files for admins -------------------------------------------------------------------


def _which(programmes: list[Programme]) -> str:
    if not programmes:
        return "You don't administer any programme yet."
    return "Yours: " + ", ".join(f"`{p.slug}`" for p in programmes[:20]) + "."


def pick_problem(pick: AdminPick, wanted: str) -> str:
    """What to tell an admin whose `/mentor digest|report [programme]` is about no one programme ("" if it is)."""
    if pick.problem == "refused":
        return REFUSAL
    if pick.problem == "unknown":
        return f"You don't administer a programme called “{escape(truncate(wanted, 80))}”. " + _which(pick.mine)
    if pick.problem == "which":
        return "Which programme? " + _which(pick.mine)
    return ""


def no_channel_yet(programme_name: str) -> str:
    return f"*{escape(programme_name)}* has no channel yet: pick one with *Edit* first."


def preview_sent(programme_name: str) -> str:
    return PREVIEW_SENT.format(name=escape(programme_name))


def already_posted(programme_name: str, channel_id: str) -> str:
    return f"This week's digest of *{escape(programme_name)}* is already in <#{channel_id}>."


def posted_now(programme_name: str, channel_id: str) -> str:
    return f"Posted this week's digest of *{escape(programme_name)}* in <#{channel_id}>."


@dataclass(frozen=True)
class ChartFile:
    """A PNG to upload, with its text description for screen readers."""

    png: bytes
    alt: str
    filename: str
    title: str


def preview_chart(digest: Mapping[str, Any], *, programme_id: int) -> ChartFile:
    """The chart that goes with an admin's digest preview."""
    png, alt = charts.digest_chart(digest)
    title = f"{digest.get('programme', '')}: check-ins and milestones per week"
    return ChartFile(png, alt, f"digest-preview-{programme_id}.png", title)


def dashboard_chart(programme: Programme, health: Health) -> ChartFile:
    """The report's dashboard for the admin's DM."""
    png, alt = charts.dashboard(
        title=f"{programme.name}, cycle {programme.cycle_number}",
        checkins_per_week=health.checkins_per_week,
        by_role=health.by_role,
        usefulness=health.usefulness_counts,
        departments=[(d.group, d.people, d.matched) for d in health.departments],
        retention=health.retention,
        skills=[(d.skill, d.mean_change, d.improved_share) for d in health.skill_development],
    )
    return ChartFile(png, alt, f"{programme.slug}-dashboard.png", f"{programme.name}: dashboard")


def export_files(programme: Programme, *, pairs: bytes, summary: bytes) -> list[dict[str, Any]]:
    """`/mentor report --export`: the two CSV files, to upload together."""
    return [
        {
            "content": pairs,
            "filename": f"{programme.slug}-pairs.csv",
            "title": f"{programme.name}: one row per pair per cycle",
        },
        {
            "content": summary,
            "filename": f"{programme.slug}-summary.csv",
            "title": f"{programme.name}: summary",
        },
    ]


def export_comment(programme_name: str) -> str:
    return (
        f"*{escape(programme_name)}*: pairs and summary as CSV. Private reflections, “rather not” lists, "
        "milestone evidence, survey comments and why a match ended are not included; success stories only when "
        "their authors chose to share them, without names."
    )

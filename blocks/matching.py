"""Block Kit for matching: the admin's preview, the room introduction, and the messages people get."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence, Set
from typing import Any

from blocks.admin import MANUAL_ACTION, MATCH_ACTION, button
from blocks.agreements import AGREEMENT_ACTION
from blocks.common import Block, View, context, mrkdwn_section, option, plain, role_name
from blocks.text import escape, truncate
from blocks.training import TRAINED
from mentoring.matching import Proposal
from store.models import MatchRound, MatchStatus, Programme

__all__ = ["MANUAL_ACTION", "MATCH_ACTION"]  # the admin panel's "Match now" button, handled with the rest of matching

PREVIEW_CALLBACK = "match_preview_release"
CHANGE_ACTION = "match_preview_change"
SCHEDULE_ACTION = "room_schedule"  # handled with booking (handlers/booking.py)
CHECKIN_ACTION = "room_checkin"
REMATCH_CALLBACK = "rematch_submit"
GUIDE_ACTION = "guide_open"
ROADMAP_ACTION = "roadmap_open"  # handled by handlers/roadmaps.py (bot/roadmap_ui.OPEN_ACTION)

_ID = re.compile(r"\b([UW][A-Z0-9]{2,30})\b")


def mention_ids(text: str, ids: Sequence[str]) -> str:
    """Reasons from the engine name people by id: turn exactly those ids into mentions, escape the rest."""
    safe = escape(text)
    known = set(ids)
    return _ID.sub(lambda m: f"<@{m.group(1)}>" if m.group(1) in known else m.group(1), safe)


def _who(members: Sequence[Any], trained: Set[str] = frozenset()) -> str:
    if len(members) == 2 and {m.role for m in members} == {"mentor", "mentee"}:
        mentor = next(m for m in members if m.role == "mentor")
        mentee = next(m for m in members if m.role == "mentee")
        badge = f" {TRAINED}" if mentor.slack_user_id in trained else ""
        return f"<@{mentor.slack_user_id}> (mentor{badge}) → <@{mentee.slack_user_id}> (mentee)"
    return " · ".join(f"<@{m.slack_user_id}>" for m in members)


def plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def preview_modal(
    programme: Programme,
    round_: MatchRound,
    proposals: Sequence[Proposal],
    names: Mapping[str, str],
    *,
    notice: str | None = None,
    trained: Set[str] = frozenset(),
) -> View:
    """The admin's preview: proposed matches with scores and reasons, who is left out and why; `trained` mentors
    (who completed the mentor essentials) carry a badge."""
    live = [p for p in proposals if p.match.status == MatchStatus.PROPOSED.value]
    stats = round_.stats
    blocks: list[Block] = []
    if notice:
        blocks.append(mrkdwn_section(f":warning: {escape(notice)}"))
    blocks.append(
        mrkdwn_section(
            f"*{escape(programme.name)}*, cycle {round_.cycle_number}: {plural(len(live), 'match', 'matches')} "
            f"proposed, {plural(len(round_.unmatched), 'person', 'people')} not matched · "
            f"mean score {stats.get('mean_score', 0):.0f} · "
            f"{stats.get('matched_pct', 0):.0f}% of eligible people matched"
        )
    )
    blocks.append(
        context(f"Seed {round_.seed} (the same seed reproduces this round). Nobody is told anything until you release.")
    )
    if trained:
        blocks.append(
            context(f"{TRAINED} completed the mentor essentials: {plural(len(trained), 'mentor', 'mentors')}")
        )
    shown = proposals[:80]
    for proposal in shown:
        match = proposal.match
        ids = [m.slack_user_id for m in proposal.members]
        dropped = match.status == MatchStatus.DROPPED.value
        reasons = "\n".join(f"• {mention_ids(r, ids)}" for r in match.reasons[:4]) or "• a fair match by the rules"
        head = f"{_who(proposal.members, trained)} · score {match.score:.0f}"
        text = f"~{head}~ _dropped_" if dropped else f"*{head}*\n{reasons}"
        options = [option("Restore this match" if dropped else "Drop this match", "restore" if dropped else "drop")]
        if not dropped:
            for other in shown:
                if other.match.id != match.id and other.match.status == MatchStatus.PROPOSED.value:
                    label = " & ".join(names.get(m.slack_user_id, m.slack_user_id) for m in other.members)
                    options.append(option(f"Swap partners with {label}", f"swap:{other.match.id}"))
        blocks.append(
            {
                "type": "section",
                "block_id": f"match_{match.id}",
                "text": {"type": "mrkdwn", "text": truncate(text, 3000)},
                "accessory": {
                    "type": "static_select",
                    "action_id": CHANGE_ACTION,
                    "placeholder": plain("Change…"),
                    "options": options[:100],
                },
            }
        )
    if len(proposals) > len(shown):
        blocks.append(context(f"…and {len(proposals) - len(shown)} more matches, all released with these."))
    if round_.unmatched:
        lines = [f"<@{u['user_id']}>: {escape(u['reason'])}" for u in round_.unmatched[:30]]
        more = f"\n…and {len(round_.unmatched) - 30} more" if len(round_.unmatched) > 30 else ""
        blocks.append(mrkdwn_section(truncate("*Not matched this round*\n" + "\n".join(lines) + more, 3000)))
    return {
        "type": "modal",
        "callback_id": PREVIEW_CALLBACK,
        "private_metadata": json.dumps({"round_id": round_.id}),
        "title": plain("Match preview", 24),
        "submit": plain("Release matches", 24),
        "close": plain("Not now", 24),
        "blocks": blocks[:100],
    }


def released_view(programme: Programme, matches: int, unmatched: int) -> View:
    return {
        "type": "modal",
        "title": plain("Matches released", 24),
        "close": plain("Done", 24),
        "blocks": [
            mrkdwn_section(
                f"Released {plural(matches, 'match', 'matches')} in *{escape(programme.name)}*. Each gets a private "
                f"room with an introduction; {plural(unmatched, 'person', 'people')} not matched get a kind note "
                "saying why and what happens next."
            )
        ],
    }


def notice_view(title: str, text: str) -> View:
    """A modal that only says something: why a preview was not released, or that it is being released."""
    return {"type": "modal", "title": plain(title, 24), "close": plain("Done", 24), "blocks": [mrkdwn_section(text)]}


def intro_message(
    programme: Programme,
    proposal: Proposal,
    *,
    titles: Mapping[str, str],
    prompt: str,
    cadence: str,
    guide: tuple[str, str] | None = None,
) -> tuple[str, list[Block]]:
    """`guide`: (id, title) of the guide to read before the first meeting."""
    """The first message in a mentorship room: who is who, why they were matched, and how to start."""
    ids = [m.slack_user_id for m in proposal.members]
    people = "\n".join(
        f"• <@{m.slack_user_id}>, {role_name(m.role).lower()}"
        + (f" ({escape(titles[m.slack_user_id])})" if titles.get(m.slack_user_id) else "")
        for m in proposal.members
    )
    reasons = "\n".join(f"• {mention_ids(r, ids)}" for r in proposal.match.reasons) or "• you fit the programme's rules"
    text = f"Welcome to your {escape(programme.name)} room! Meet each other: " + ", ".join(f"<@{i}>" for i in ids)
    blocks: list[Block] = [
        {"type": "header", "text": plain("Welcome to your mentoring room", 150)},
        mrkdwn_section(f"You've been matched in *{escape(programme.name)}*:\n{people}"),
        mrkdwn_section(f"*Why you were matched*\n{reasons}"),
    ]
    if programme.objectives:
        blocks.append(mrkdwn_section(f"*What this programme is for*\n{escape(truncate(programme.objectives, 1500))}"))
    blocks.append(mrkdwn_section(f"*A first question to talk about*\n> {prompt}"))
    blocks.append(
        mrkdwn_section(
            "*Agree how you'll work together:* what you'll work on, how often you meet, what stays between you "
            "and how either of you can end it without blame. *Our agreement* below; you both confirm it."
        )
    )
    if guide is not None:
        blocks.append(
            {
                "type": "section",
                "block_id": "guide",
                "text": {"type": "mrkdwn", "text": f"*Before you meet:* a one-minute read, _{escape(guide[1])}_"},
                "accessory": button("Read the guide", GUIDE_ACTION, guide[0]),
            }
        )
    blocks += [
        {
            "type": "actions",
            "block_id": "room_actions",
            "elements": [
                button("Schedule our first chat", SCHEDULE_ACTION, str(proposal.match.id), "primary"),
                button("Log a check-in", CHECKIN_ACTION, str(proposal.match.id)),
                button("Our roadmap", ROADMAP_ACTION, str(proposal.match.id)),
                button("Our agreement", AGREEMENT_ACTION, str(proposal.match.id)),
            ],
        },
        context(
            f"This room is private to you. I'll check in {cadence} in each of your working hours. "
            "`/mentor rematch` ends the match without blame if it isn't working."
        ),
    ]
    return text, blocks


def matched_dm(programme: Programme, partners: Sequence[str], room_id: str) -> str:
    who = ", ".join(f"<@{p}>" for p in partners)
    return (
        f"You've been matched in *{escape(programme.name)}* with {who}! Say hello in <#{room_id}>, where "
        "you'll find why you were matched and a first question to talk about."
    )


def partner_gone_dm(programme: Programme) -> str:
    return (
        f"Your match in *{escape(programme.name)}* couldn't start: your partner is no longer in this "
        "Slack workspace. You're first in line for the next round."
    )


def unmatched_dm(programme: Programme, reason: str) -> str:
    return (
        f"We couldn't match you in this round of *{escape(programme.name)}*: {escape(reason)}. It's not about you: "
        "rounds depend on who is available. You're on the waiting list and will be first in line next round."
    )


def rematch_options(matches: Sequence[tuple[int, Sequence[str]]]) -> list[tuple[int, str]]:
    """(match id, a label naming the partners) for `rematch_modal`, from each match's id and partners' names."""
    return [(match_id, "With " + " & ".join(names)) for match_id, names in matches]


def rematch_modal(matches: Sequence[tuple[int, str]]) -> View:
    """`matches`: (match id, a label naming the partner) for each of the person's active matches."""
    blocks: list[Block] = [
        mrkdwn_section(
            "Ending a match is fine: sometimes it just isn't the right fit. Your partner is told kindly that the "
            "match has ended, with no reason given, and you both go into the next round."
        ),
        {
            "type": "input",
            "block_id": "match",
            "label": plain("Which match?"),
            "element": {
                "type": "static_select",
                "action_id": "value",
                "options": [option(label, str(mid)) for mid, label in matches[:100]],
                **({"initial_option": option(matches[0][1], str(matches[0][0]))} if len(matches) == 1 else {}),
            },
        },
        {
            "type": "input",
            "block_id": "reason",
            "optional": True,
            "label": plain("Anything the programme admins should know?"),
            "hint": plain("Private: only programme admins see this, never your partner.", 2000),
            "element": {"type": "plain_text_input", "action_id": "value", "multiline": True, "max_length": 1000},
        },
    ]
    return {
        "type": "modal",
        "callback_id": REMATCH_CALLBACK,
        "title": plain("End this match", 24),
        "submit": plain("End the match", 24),
        "close": plain("Keep it", 24),
        "blocks": blocks,
    }


def ended_room_message() -> str:
    return (
        "This match has come to an end. Thank you both for the time and care you gave each other: every "
        "conversation counts. You'll each be included in the next round."
    )


def ended_partner_dm(programme: Programme) -> str:
    return (
        f"Your match in *{escape(programme.name)}* has ended. That happens, and it's nobody's fault. You're on the "
        "waiting list and will be matched again in the next round."
    )


def ended_admin_dm(programme: Programme, ended_by: str, private_reason: str) -> str:
    return (
        f"A match in *{escape(programme.name)}* was ended by <@{ended_by}>. Their private note for admins:\n"
        f"> {escape(private_reason)}"
    )


MANUAL_CALLBACK = "match_by_hand"


def manual_pair_modal(programme: Programme) -> View:
    """Two people an admin pairs by hand; the engine's hard rules are checked when it is submitted."""

    def person(block_id: str, label: str) -> Block:
        return {
            "type": "input",
            "block_id": block_id,
            "label": plain(label),
            "element": {"type": "users_select", "action_id": "value", "placeholder": plain("Choose someone")},
        }

    first, second = ("Mentor", "Mentee") if programme.kind in ("one_to_one", "reverse_mentoring") else ("Peer", "Peer")
    return {
        "type": "modal",
        "callback_id": MANUAL_CALLBACK,
        "private_metadata": json.dumps({"programme_id": programme.id}),
        "title": plain("Pair two people", 24),
        "submit": plain("Pair them", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            mrkdwn_section(
                f"Pair two people of *{escape(programme.name)}* by hand. Every matching rule still applies (no "
                "repeat pair, no reporting line, no private preference against it, capacity, pauses and roles); "
                "the match starts at once, with a room and an introduction."
            ),
            person("first", first),
            person("second", second),
        ],
    }

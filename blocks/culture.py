"""Block Kit for growing the culture: the skill map, recruiting mentors, and the mentors' channel messages."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from blocks import skillchart
from blocks import stories as story_ui
from blocks.admin import button
from blocks.common import Block, View, context, mrkdwn_section, plain
from blocks.matching import GUIDE_ACTION
from blocks.text import escape, quote, truncate
from mentoring.access import REFUSAL
from mentoring.skillmap import MapPick, SkillMap, SkillRow, bar, to_csv
from prompts.guides.circle import CircleQuestion
from store.insight import Story
from store.models import Programme

MAP_FILES_ACTION = "skillmap_files"
RECRUIT_ACTION = "skillmap_recruit"  # one per button: "skillmap_recruit:0", ":1", ... (unique in their block)
RECRUIT_CALLBACK = "recruit_mentors"
RECRUIT_JOIN_ACTION = "recruit_join"
MAX_NOTE = 500
MAX_SKILL_CHARS = 75
MAP_LINES = 12
MAP_REFUSAL = "The skill map is for programme admins: it shows what a programme's people want and offer. " + REFUSAL

GAP_MARK = ":red_circle:"
EVEN_MARK = ":white_circle:"

CADENCE_WORDS = {
    "weekly": "about once a week",
    "fortnightly": "about every two weeks",
    "monthly": "about once a month",
}


# --- the skill map ------------------------------------------------------------------------------------------


def _line(row: SkillRow, most: int) -> str:
    wanted = f"`{bar(row.wanted, most)}` " if row.wanted else ""
    offered = f"`{bar(row.offered, most)}` " if row.offered else ""
    gap = f" · *recruit {row.gap}*" if row.is_gap else ""
    mark = GAP_MARK if row.is_gap else EVEN_MARK
    return (
        f"{mark} *{escape(truncate(row.skill, 60))}*: wanted {wanted}{row.wanted} · offered {offered}{row.offered}{gap}"
    )


def map_lines(skill_map: SkillMap, limit: int = MAP_LINES) -> str:
    """Text bars of the first `limit` skills (biggest gaps first), within a section's 3000 characters."""
    rows = skill_map.rows[:limit]
    if not rows:
        return "_Nobody in this cycle has picked a skill yet: the map fills in as people join._"
    most = max(max(r.wanted, r.offered) for r in rows)
    lines = [_line(r, most) for r in rows]
    if len(skill_map.rows) > limit:
        lines.append(f"_…and {len(skill_map.rows) - limit} more skills in the CSV._")
    return truncate("\n".join(lines), 2900)


def gaps_sentence(skill_map: SkillMap) -> str:
    """The answer to "which mentors do we need to recruit?", in words."""
    head = "*Which mentors do we need to recruit?*"
    if skill_map.empty:
        return f"{head} Nothing to say yet: nobody in this cycle has picked a skill."
    top = skill_map.top_gaps()
    if not top:
        return (
            f"{head} None right now: every skill people want is offered by at least as many "
            f"{skill_map.offer_label}. Worth a look again before the next round is matched."
        )
    listed = "; ".join(f"*{escape(truncate(r.skill, 60))}* (wanted by {r.wanted}, offered by {r.offered})" for r in top)
    more = len(skill_map.gaps) - len(top)
    extra = f" And {more} more skill{'s' if more != 1 else ''} with a gap." if more > 0 else ""
    return f"{head} Before the next round is matched, recruit mentors for {listed}.{extra}"


def _who(skill_map: SkillMap) -> str:
    return (
        f"Counted: {skill_map.seekers} {'person' if skill_map.seekers == 1 else 'people'} who want to grow "
        f"(mentees and peers) and {skill_map.offerers} {skill_map.offer_label}, active or paused in this cycle. "
        "Counts only, no names."
    )


def recruit_value(programme_id: int, skill: str) -> str:
    return json.dumps({"programme_id": programme_id, "skill": skill[:MAX_SKILL_CHARS]})


def recruit_buttons(programme: Programme, skill_map: SkillMap, *, with_files: bool) -> Block | None:
    assert programme.id is not None
    elements: list[dict[str, Any]] = [
        button(
            f"Recruit mentors for {truncate(row.skill, 50)}",
            f"{RECRUIT_ACTION}:{i}",
            recruit_value(programme.id, row.skill),
        )
        for i, row in enumerate(skill_map.top_gaps())
    ]
    if with_files:
        elements.append(button("Chart and CSV", MAP_FILES_ACTION, str(programme.id)))
    if not elements:
        return None
    return {"type": "actions", "block_id": f"skillmap_{programme.id}", "elements": elements}


def map_message(programme: Programme, skill_map: SkillMap, *, files_sent: bool) -> tuple[str, list[Block]]:
    """The reply to `/mentor map`: the map as text bars, the gaps in words, a recruit button per top gap."""
    name = escape(programme.name)
    blocks: list[Block] = [
        mrkdwn_section(f"*Skill map: {name}*\nWho wants to grow in what, and which {skill_map.offer_label} offer it."),
        mrkdwn_section(gaps_sentence(skill_map)),
        mrkdwn_section(map_lines(skill_map)),
    ]
    actions = recruit_buttons(programme, skill_map, with_files=False)
    if actions:
        blocks.append(actions)
    note = _who(skill_map)
    if files_sent:
        note += " The chart (PNG) and the full table (CSV) are in your DMs with me."
    blocks.append(context(note))
    top = ", ".join(r.skill for r in skill_map.top_gaps())
    text = f"Skill map of {name}: " + (f"recruit mentors for {escape(top)}." if top else "no gaps right now.")
    return text, blocks


def home_map_blocks(programme: Programme, skill_map: SkillMap) -> list[Block]:
    """The map in the App Home admin area: a few lines, the top gaps, recruit buttons and the files."""
    blocks: list[Block] = [
        {"type": "divider"},
        mrkdwn_section(f"*Skill map: {escape(programme.name)}*\n{gaps_sentence(skill_map)}"),
        mrkdwn_section(map_lines(skill_map, limit=6)),
    ]
    actions = recruit_buttons(programme, skill_map, with_files=True)
    if actions:
        blocks.append(actions)
    blocks.append(context(_who(skill_map)))
    return blocks


def files_comment(programme: Programme, skill_map: SkillMap) -> str:
    gaps = len(skill_map.gaps)
    return (
        f"Skill map of *{escape(programme.name)}*: {len(skill_map.rows)} skills, {gaps} with a gap "
        f"(wanted by more people than {skill_map.offer_label} offer it: mentors to recruit). "
        "In the CSV, gap = wanted minus offered. Counts only, no names."
    )


def map_files(programme: Programme, skill_map: SkillMap) -> list[dict[str, Any]]:
    """The chart (PNG) and the table (CSV) of the map, as files to upload together."""
    png = skillchart.render_png(skill_map)
    slug = programme.slug or "programme"
    return [
        {"content": png, "filename": f"skill-map-{slug}.png", "title": f"Skill map: {programme.name}"},
        {"content": to_csv(skill_map), "filename": f"skill-map-{slug}.csv", "title": "Skill map (CSV)"},
    ]


def pick_problem(pick: MapPick, wanted: str) -> str:
    """What to tell an admin when `/mentor map [wanted]` is about no one programme."""
    names = ", ".join(f"*{escape(p.name)}*" for p in pick.mine[:20]) or "none"
    if pick.problem == "unknown":
        return f"There is no programme called “{escape(truncate(wanted, 80))}”. Yours: {names}."
    if pick.problem == "none":
        return "You don't administer a programme yet: `/mentor admin` to create one."
    if pick.problem == "which":
        return f"Which programme? `/mentor map <programme>`, one of: {names}."
    return MAP_REFUSAL


# --- recruiting mentors -------------------------------------------------------------------------------------


def recruit_modal(programme: Programme, skill: str, stories: Sequence[Story] = ()) -> View:
    """The recruiting form: the channel, a note, and (when there are some) a success story its author shared."""
    channel: dict[str, Any] = {
        "type": "conversations_select",
        "action_id": "value",
        "filter": {
            "include": ["public", "private"],
            "exclude_bot_users": True,
            "exclude_external_shared_channels": True,
        },
        "placeholder": plain("Pick a channel"),
    }
    if programme.channel_id:
        channel["initial_conversation"] = programme.channel_id
    return {
        "type": "modal",
        "callback_id": RECRUIT_CALLBACK,
        "private_metadata": json.dumps({"programme_id": programme.id, "skill": skill[:MAX_SKILL_CHARS]}),
        "title": plain("Recruit mentors", 24),
        "submit": plain("Post", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            mrkdwn_section(
                f"Invite people who know *{escape(skill)}* to mentor in *{escape(programme.name)}*. The post names "
                "no one and shows no numbers; its *Join as a mentor* button opens the join form with the skill "
                "filled in."
            ),
            {
                "type": "input",
                "block_id": "channel",
                "label": plain("Post it in"),
                "hint": plain("The bot joins public channels by itself; invite it to private ones first.", 2000),
                "element": channel,
            },
            {
                "type": "input",
                "block_id": "note",
                "optional": True,
                "label": plain("A note from you"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "multiline": True,
                    "max_length": MAX_NOTE,
                    "placeholder": plain("e.g. Our new joiners keep asking for this. An hour a fortnight helps a lot."),
                },
            },
            *story_ui.recruit_story_input(stories),
        ],
    }


def recruit_post(
    programme: Programme, skill: str, *, admin_id: str, note: str = "", story: Story | None = None
) -> tuple[str, list[Block]]:
    """The invitation the bot posts in a channel: escaped, no names, no numbers, a Join button."""
    assert programme.id is not None
    name, what = escape(programme.name), escape(truncate(skill, MAX_SKILL_CHARS))
    how_often = CADENCE_WORDS.get(programme.cadence, "regularly")
    blocks: list[Block] = [
        mrkdwn_section(f":seedling: *Mentors wanted for {what}*"),
        mrkdwn_section(
            f"People in *{name}* want to grow in *{what}*, and we're looking for mentors who can help. If it's "
            "something you know well, mentoring is a chance to pass it on, and you'll learn a lot yourself."
        ),
    ]
    if note:
        blocks.append(mrkdwn_section(quote(note, MAX_NOTE)))
    blocks += story_ui.recruit_story_blocks(story)
    blocks += [
        mrkdwn_section(
            f"*What it asks of you:* a conversation {how_often} with one or a few mentees (you choose how many), "
            f"for a {programme.cycle_days}-day cycle. Short guides help you prepare."
        ),
        {
            "type": "actions",
            "block_id": "recruit_join",
            "elements": [
                button("Join as a mentor", RECRUIT_JOIN_ACTION, recruit_value(programme.id, skill), "primary")
            ],
        },
        context(f"Posted by <@{admin_id}> for the programme admins of *{name}*. You can change or leave any time."),
    ]
    text = f"Mentors wanted for {what} in {name}: join as a mentor and pass on what you know."
    return text, blocks


def recruit_failed(skill: str, channel: str, problem: str) -> str:
    return f"I couldn't post the invitation for *{escape(skill)}* mentors in <#{channel}>: {problem}"


def recruit_posted(programme: Programme, skill: str, channel: str) -> str:
    return f"I posted an invitation for mentors in *{escape(skill)}* ({escape(programme.name)}) in <#{channel}>."


# --- the mentors' channel ----------------------------------------------------------------------------------


def mentor_welcome(programme: Programme, user_id: str) -> tuple[str, list[Block]]:
    name = escape(programme.name)
    text = f"Please welcome <@{user_id}>, who joined {name} as a mentor!"
    return text, [
        mrkdwn_section(f":wave: Please welcome <@{user_id}>, who just joined *{name}* as a mentor!"),
        mrkdwn_section(
            "This channel is where mentors swap notes, ask each other for advice and share what works. Each month "
            "a mentors' circle question starts the conversation. `/mentor guide` has short guides for mentors."
        ),
    ]


def circle_post(
    programme: Programme, question: CircleQuestion, *, month: date, guide_title: str
) -> tuple[str, list[Block]]:
    """The monthly mentors' circle prompt: one question about practice, and the guide it grows out of."""
    when = month.strftime("%B %Y")
    asked = escape(question.question)
    blocks: list[Block] = [
        {"type": "header", "text": plain(f"Mentors' circle · {when}", 150)},
        mrkdwn_section(f"> {asked}"),
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": (
                    "Share your experience in the thread: what worked, what didn't, what you'd try next. "
                    "Keep mentees anonymous: what they tell you stays between you."
                ),
            },
            "accessory": button("Read the guide", GUIDE_ACTION, question.guide),
        },
        context(
            f"For the mentors of *{escape(programme.name)}*, from the mentoring toolbox: "
            f"_{escape(truncate(guide_title, 100))}_."
        ),
    ]
    return f"Mentors' circle for {when}: {asked}", blocks


ALUMNI_ACCEPT_ACTION = "alumni_mentor"
ALUMNI_DECLINE_ACTION = "alumni_not_now"


def alumni_invitation(programme: Programme, milestones: int) -> tuple[str, list[Block]]:
    """At the end of a cycle, to a mentee who rated it well and reached milestones: mentor next time? Once."""
    assert programme.id is not None
    name = escape(programme.name)
    reached = f"{milestones} milestone{'s' if milestones != 1 else ''}"
    text = f"You reached {reached} in {name}. Would you like to mentor someone next cycle?"
    blocks: list[Block] = [
        mrkdwn_section(
            f"You reached {reached} in *{name}* and rated it highly: congratulations! :seedling:\n"
            "Someone starting out could learn a lot from what you've just been through. Would you like to mentor "
            "in the next cycle? Your profile would start from the skills you worked on; you can change anything."
        ),
        {
            "type": "actions",
            "block_id": "alumni",
            "elements": [
                button("I'd like to mentor", ALUMNI_ACCEPT_ACTION, str(programme.id), "primary"),
                button("Not this time", ALUMNI_DECLINE_ACTION, str(programme.id)),
            ],
        },
        context("No pressure at all: this is the only time I'll ask."),
    ]
    return text, blocks

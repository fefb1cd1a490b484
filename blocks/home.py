"""Block Kit for the App Home tab, and for the programme admin area it shares with the `/mentor admin` panel."""

from __future__ import annotations

from collections.abc import Mapping

from blocks import admin as admin_ui
from blocks import agreements as agreement_ui
from blocks import choosing as choose_ui
from blocks import culture as culture_ui
from blocks import digests as digest_ui
from blocks import roadmaps as roadmap_ui
from blocks import skillgrowth as skill_ui
from blocks import stories as story_ui
from blocks.admin import button
from blocks.common import Block, View, context, mrkdwn_section, plain, profile_lines
from blocks.text import escape, quote, truncate
from mentoring.home import AdminArea, DigestNote, Home
from store.models import Participant

EDIT_ACTION = "home_edit_profile"
JOIN_ACTION = "home_join"


def home_view(home: Home) -> View:
    """The person's matches, roadmaps and contribution, their programmes, what they can join, and the admin area."""
    blocks: list[Block] = [{"type": "header", "text": plain("Your mentoring", 150)}]
    for line in home.matches[:10]:
        who = ", ".join(f"<@{p}>" for p in line.partners)
        where = f" in <#{line.room_id}>" if line.room_id else ""
        blocks.append(
            mrkdwn_section(f":handshake: In *{escape(line.programme_name)}* you're matched with {who}{where}.")
        )
        blocks += agreement_ui.home_lines(line.agreement, line.members)
    blocks += skill_ui.home_lines(home.skills)
    blocks += progress_blocks(home)
    if not home.memberships:
        blocks.append(
            mrkdwn_section(
                "You're not in a mentoring programme yet. Join as a mentor, a mentee or a peer: "
                "we'll match you with someone who fits your goals."
            )
        )
    for participant, programme in home.memberships[:8]:
        status = f" · {status_note(participant)}" if participant.status != "active" else ""
        blocks.append({"type": "divider"})
        blocks.append(mrkdwn_section(f"*{escape(programme.name)}*{status}"))
        blocks.append(mrkdwn_section("\n".join(profile_lines(participant))))
        if participant.goals:
            blocks.append(mrkdwn_section("*My goals:*\n" + quote(participant.goals, 500)))
        elements: list[Block] = [
            {"type": "button", "action_id": EDIT_ACTION, "text": plain("Edit profile"), "value": str(programme.id)}
        ]
        if programme.id in home.choosing:
            elements.append(button("Choose a mentor", choose_ui.BROWSE_ACTION, str(programme.id), "primary"))
        blocks.append({"type": "actions", "block_id": f"membership_{participant.id}", "elements": elements})
    if home.memberships:
        blocks += story_ui.home_blocks(home.stories_shared)
    joined = {programme.id for _, programme in home.memberships}
    joinable = [p for p in home.open_programmes if p.id not in joined]
    if joinable:
        blocks.append({"type": "divider"})
        blocks.append(mrkdwn_section("*Open for enrolment:* " + ", ".join(escape(p.name) for p in joinable[:20])))
        blocks.append(
            {
                "type": "actions",
                "block_id": "join",
                "elements": [
                    {
                        "type": "button",
                        "action_id": JOIN_ACTION,
                        "text": plain("Join a programme"),
                        "style": "primary",
                    }
                ],
            }
        )
    blocks.append(context("Type `/mentor help` in any channel to see everything mentor-bot can do."))
    blocks += admin_area_blocks(home.admin) if home.admin is not None else []
    return {"type": "home", "blocks": blocks[:100]}


def progress_blocks(home: Home) -> list[Block]:
    """The person's roadmaps (their own, and their mentees' or partners'), and what they gave as a mentor."""
    items = [
        roadmap_ui.HomeRoadmap(
            programme_name=item.programme_name,
            match_id=item.match_id,
            owner_id=item.owner_id,
            own=item.own,
            goal=item.goal,
            milestones=item.milestones,
        )
        for item in home.roadmaps
    ]
    return roadmap_ui.home_blocks(items, home.contributions)


def status_note(participant: Participant) -> str:
    if participant.status == "paused":
        return f"paused until {participant.paused_until.isoformat()}" if participant.paused_until else "paused"
    if participant.status == "left":
        return "you left"
    if participant.status == "invited":
        return "a new cycle is starting: opt in from your DMs"
    return participant.status


# --- the admin area ------------------------------------------------------------------------------------


def admin_area_blocks(area: AdminArea) -> list[Block]:
    """The admin section: in the `/mentor admin` reply and in App Home (there with the skill maps)."""
    blocks = admin_ui.admin_blocks(
        area.programmes,
        area.counts,
        can_create=area.can_create,
        manageable=area.manageable,
        notes=digest_notes(area.digests),
    )
    return blocks + home_map_blocks(area)


def digest_notes(digests: Mapping[int, DigestNote]) -> dict[int, str]:
    """Per programme: when its digest posts and, for a running cycle, a line of programme health."""
    return {programme_id: digest_note(note) for programme_id, note in digests.items()}


def digest_note(note: DigestNote) -> str:
    line = digest_ui.schedule_line(note.weekday, note.hour, note.timezone)
    if note.health is not None:
        line += "\n" + digest_ui.health_line(note.health)
        if digest_ui.groups_line(note.health):
            line += "\n" + truncate(digest_ui.groups_line(note.health), 1000)
    return line


def home_map_blocks(area: AdminArea) -> list[Block]:
    """The skill maps of the programmes an admin manages, under one header (none: nothing)."""
    if not area.maps:
        return []
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Skill map: who to recruit", "emoji": True}}
    ]
    for programme, skill_map in area.maps:
        blocks += culture_ui.home_map_blocks(programme, skill_map)
    return blocks

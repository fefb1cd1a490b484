"""Block Kit for roadmaps: the setup and roadmap modals, milestone forms, the celebration in the room, the
reminders, and the App Home sections (progress per skill, a mentor's contribution)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from blocks.admin import button
from blocks.common import Block, View, context, mrkdwn_section, option, plain
from blocks.text import escape, quote, truncate
from mentoring.prompting import MeasureSuggestions
from mentoring.roadmaps import (
    MAX_GOAL,
    MAX_MEASURE,
    MAX_MILESTONES,
    MAX_NOTE,
    MAX_TITLE,
    OPEN_STATUSES,
    STATUS_EMOJI,
    STATUS_LABELS,
    Draft,
    Goal,
    MilestoneSaved,
    RoadmapPage,
    RoadmapSetup,
    bar,
    progress_by_skill,
)
from prompts.goals import STRUCTURE
from store.models import Milestone, MilestoneStatus, Roadmap
from store.queries.growth import MentorContribution

SETUP_CALLBACK = "roadmap_setup"
ROADMAP_CALLBACK = "roadmap_goal"
MILESTONE_CALLBACK = "milestone_save"
DONE_CALLBACK = "milestone_done"
COMMENT_CALLBACK = "milestone_comment"

OPEN_ACTION = "roadmap_open"  # value: match id, or "<match id>:<owner id>" for someone else's roadmap
ADD_ACTION = "roadmap_add"  # value: roadmap id
MENU_ACTION = "milestone_menu"  # overflow, value: "<verb>|<milestone id>"
DONE_ACTION = "milestone_mark_done"  # value: milestone id
REDATE_ACTION = "milestone_redate"  # value: milestone id
DROP_ACTION = "milestone_drop"  # value: milestone id
COMMENT_ACTION = "milestone_add_comment"  # value: milestone id
SUGGEST_ACTION = "roadmap_suggest_measure"  # value: match id

SETUP_ROWS = 4
CHECKIN_MILESTONES_BLOCK = "milestones"


def _day(d: date) -> str:
    return d.strftime("%a %d %b")


def _text_input(
    block_id: str, label: str, *, limit: int, initial: str = "", optional: bool = True, multiline: bool = False
) -> Block:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": "value",
        "multiline": multiline,
        "max_length": limit,
    }
    if initial:
        element["initial_value"] = initial[:limit]
    return {"type": "input", "block_id": block_id, "optional": optional, "label": plain(label), "element": element}


def _skill_input(block_id: str, skills: Sequence[str], initial: str = "") -> Block:
    element: dict[str, Any] = {
        "type": "static_select",
        "action_id": "value",
        "placeholder": plain("The skill it builds"),
        "options": [option(s, s) for s in skills[:100]],
    }
    if initial and initial in skills[:100]:
        element["initial_option"] = option(initial, initial)
    return {"type": "input", "block_id": block_id, "optional": True, "label": plain("Skill"), "element": element}


def _date_input(block_id: str, label: str, initial: date | None, *, optional: bool = True) -> Block:
    element: dict[str, Any] = {"type": "datepicker", "action_id": "value"}
    if initial is not None:
        element["initial_date"] = initial.isoformat()
    return {"type": "input", "block_id": block_id, "optional": optional, "label": plain(label), "element": element}


def goal_blocks(goal: Goal, match_id: int, *, end: date, measures: MeasureSuggestions | None = None) -> list[Block]:
    """The goal made measurable (SMART): what, how we'll know, by when; and a button suggesting how to know."""
    blocks: list[Block] = [
        _text_input("goal", "My goal for this cycle (what)", limit=MAX_GOAL, initial=goal.text, multiline=True),
        context(f"{STRUCTURE} Your cycle ends on {_day(end)}."),
        _text_input("goal_measure", "How we'll know", limit=MAX_MEASURE, initial=goal.measure, multiline=True),
        _date_input("goal_by", "By when", goal.by),
        {
            "type": "actions",
            "block_id": "goal_suggest",
            "elements": [button("Suggest how we'll know", SUGGEST_ACTION, str(match_id))],
        },
    ]
    if measures is not None:
        lines = "\n".join(f"• {escape(truncate(m, MAX_MEASURE))}" for m in measures.measures[:5])
        blocks.append(mrkdwn_section(f"*Ways to know you got there* (copy one into _How we'll know_)\n{lines}"))
        if measures.note:
            blocks.append(context(measures.note))
    return blocks


def setup_modal(
    match_id: int,
    *,
    goal: Goal,
    drafts: Sequence[Draft],
    skills: Sequence[str],
    end: date,
    measures: MeasureSuggestions | None = None,
) -> View:
    """A new roadmap, started from the programme kind's template instead of a blank form."""
    blocks: list[Block] = [
        mrkdwn_section(
            "A roadmap turns a goal into a few milestones you can see progress on. Here is a starting point: "
            f"change anything, or clear a title to leave that milestone out. Your cycle ends on *{_day(end)}*."
        ),
        *goal_blocks(goal, match_id, end=end, measures=measures),
    ]
    rows = list(drafts)[:SETUP_ROWS] + [Draft("", "", None)] * max(SETUP_ROWS - len(drafts), 0)
    for i, draft in enumerate(rows):
        blocks += [
            {"type": "divider"},
            _text_input(f"title_{i}", f"Milestone {i + 1}", limit=MAX_TITLE, initial=draft.title),
            _skill_input(f"skill_{i}", skills, draft.skill),
            _date_input(f"due_{i}", "Due on", draft.due_on),
        ]
    return {
        "type": "modal",
        "callback_id": SETUP_CALLBACK,
        "private_metadata": json.dumps({"match_id": match_id}),
        "title": plain("Set up your roadmap", 24),
        "submit": plain("Save roadmap", 24),
        "close": plain("Cancel", 24),
        "blocks": blocks,
    }


def goal_text(roadmap: Roadmap) -> str:
    """The goal, read-only: what, how we'll know, by when (those given), quoted and escaped."""
    lines = [quote(roadmap.goal or "", 500)]
    if roadmap.goal_measure:
        lines.append("*How we'll know:* " + escape(truncate(roadmap.goal_measure, MAX_MEASURE)))
    if roadmap.goal_by is not None:
        lines.append(f"*By:* {_day(roadmap.goal_by)}")
    return "\n".join(lines)


def _milestone_line(m: Milestone) -> str:
    parts = [f"{STATUS_EMOJI.get(m.status, '')} *{escape(truncate(m.title, MAX_TITLE))}*"]
    details = [escape(m.skill)] if m.skill else []
    if m.status == MilestoneStatus.DONE.value and m.completed_at is not None:
        details.append(f"done {m.completed_at.strftime('%d %b')}")
    else:
        details.append(f"due {_day(m.due_on)}")
    details.append(STATUS_LABELS.get(m.status, m.status).lower())
    line = parts[0] + "\n" + " · ".join(details)
    if m.done_when:
        line += "\n_Done when:_ " + escape(truncate(m.done_when, MAX_MEASURE))
    if m.evidence_note:
        line += "\n" + quote(m.evidence_note, 300)
    if m.mentor_comment:
        line += "\n:speech_balloon: " + escape(truncate(m.mentor_comment, 300))
    return line


def _menu(m: Milestone) -> dict[str, Any]:
    choices: list[tuple[str, str]] = []
    if m.status == MilestoneStatus.PLANNED.value:
        choices.append(("Start working on it", "start"))
    if m.status in OPEN_STATUSES:
        choices += [("Mark done…", "done"), ("Edit or re-date…", "edit"), ("Drop it", "drop")]
    else:
        choices.append(("Reopen", "reopen"))
    return {
        "type": "overflow",
        "action_id": MENU_ACTION,
        "options": [option(label, f"{verb}|{m.id}") for label, verb in choices],
    }


def progress_lines(milestones: Sequence[Milestone]) -> list[str]:
    return [
        f"`{bar(p.done, p.total)}` {escape(p.skill)}: {p.done}/{p.total}"
        for p in progress_by_skill((m.skill, m.status) for m in milestones)
    ]


def roadmap_modal(
    roadmap: Roadmap,
    milestones: Sequence[Milestone],
    *,
    editable: bool,
    end: date,
    notice: str | None = None,
    measures: MeasureSuggestions | None = None,
) -> View:
    """The roadmap: the goal, progress per skill and each milestone with what can be done to it.

    Read-only (no goal input, no menus) for a partner looking at someone else's roadmap."""
    blocks: list[Block] = []
    if notice:
        blocks.append(mrkdwn_section(notice))
    whose = "Your" if editable else f"<@{roadmap.owner_id}>'s"
    if editable:
        goal = Goal(roadmap.goal, roadmap.goal_measure, roadmap.goal_by)
        blocks += goal_blocks(goal, roadmap.match_id, end=end, measures=measures)
    else:
        blocks.append(mrkdwn_section(f"*{whose} goal*\n" + goal_text(roadmap)))
    lines = progress_lines(milestones)
    if lines:
        blocks.append(mrkdwn_section("*Progress by skill*\n" + "\n".join(lines)))
    blocks.append({"type": "divider"})
    if not milestones:
        blocks.append(mrkdwn_section("_No milestones yet._"))
    for m in milestones[:MAX_MILESTONES]:
        block = mrkdwn_section(_milestone_line(m), block_id=f"ms_{m.id}")
        if editable:
            block["accessory"] = _menu(m)
        blocks.append(block)
    if editable and len(milestones) < MAX_MILESTONES:
        blocks.append(
            {"type": "actions", "block_id": "add", "elements": [button("Add a milestone", ADD_ACTION, str(roadmap.id))]}
        )
    blocks.append(context(f"Milestones can be due up to the end of the cycle, {_day(end)}. At most {MAX_MILESTONES}."))
    view: View = {
        "type": "modal",
        "callback_id": ROADMAP_CALLBACK,
        "private_metadata": json.dumps({"roadmap_id": roadmap.id}),
        "title": plain("Roadmap", 24),
        "close": plain("Close", 24),
        "blocks": blocks[:100],
    }
    if editable:
        view["submit"] = plain("Save goal", 24)
    return view


def roadmap_view(page: RoadmapPage, *, notice: str | None = None, measures: MeasureSuggestions | None = None) -> View:
    """The modal for what the person sees: the setup form for an owner with no milestones yet, else the roadmap."""
    if isinstance(page, RoadmapSetup):
        return setup_modal(
            page.match_id, goal=page.goal, drafts=page.drafts, skills=page.skills, end=page.end, measures=measures
        )
    return roadmap_modal(
        page.roadmap, page.milestones, editable=page.editable, end=page.end, notice=notice, measures=measures
    )


def saved_notice(saved: MilestoneSaved) -> str:
    """What the roadmap modal says after the milestone form was saved."""
    if saved.added:
        return ":white_check_mark: Milestone added."
    return f":white_check_mark: Saved{', now due ' + _day(saved.redated_to) if saved.redated_to else ''}."


def milestone_modal(
    roadmap_id: int, milestone: Milestone | None, *, skills: Sequence[str], end: date, parent: str | None = None
) -> View:
    """Add a milestone, or edit / re-date one (`parent`: the roadmap modal to refresh afterwards)."""
    meta = {"roadmap_id": roadmap_id, "milestone_id": milestone.id if milestone else None, "parent": parent}
    return {
        "type": "modal",
        "callback_id": MILESTONE_CALLBACK,
        "private_metadata": json.dumps(meta),
        "title": plain("Edit milestone" if milestone else "Add a milestone", 24),
        "submit": plain("Save", 24),
        "close": plain("Back" if parent else "Cancel", 24),
        "blocks": [
            _text_input(
                "title", "Milestone", limit=MAX_TITLE, initial=milestone.title if milestone else "", optional=False
            ),
            _skill_input("skill", skills, milestone.skill if milestone else ""),
            _date_input("due_on", "Due on", milestone.due_on if milestone else None, optional=False),
            _text_input(
                "done_when",
                "Done when (optional)",
                limit=MAX_MEASURE,
                initial=milestone.done_when if milestone else "",
                multiline=True,
            ),
            context(
                f"Any day from today to the end of the cycle, {_day(end)}. _Done when_: what will show it's done, "
                'e.g. "3 people used the checklist".'
            ),
        ],
    }


def done_modal(milestone: Milestone, *, parent: str | None = None) -> View:
    return {
        "type": "modal",
        "callback_id": DONE_CALLBACK,
        "private_metadata": json.dumps({"milestone_id": milestone.id, "parent": parent}),
        "title": plain("Milestone reached", 24),
        "submit": plain("Mark done", 24),
        "close": plain("Back" if parent else "Cancel", 24),
        "blocks": [
            mrkdwn_section(f":tada: *{escape(truncate(milestone.title, MAX_TITLE))}*" + _done_when(milestone)),
            _text_input(
                "evidence", "Evidence (optional)", limit=MAX_NOTE, multiline=True, initial=milestone.evidence_note
            ),
            context("What shows you got there: a link, a result, what someone said. Your room will see it."),
        ],
    }


def comment_modal(milestone: Milestone) -> View:
    return {
        "type": "modal",
        "callback_id": COMMENT_CALLBACK,
        "private_metadata": json.dumps({"milestone_id": milestone.id}),
        "title": plain("Add a comment", 24),
        "submit": plain("Post", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            mrkdwn_section(f"On *{escape(truncate(milestone.title, MAX_TITLE))}*"),
            _text_input(
                "comment",
                "Your comment",
                limit=MAX_NOTE,
                multiline=True,
                initial=milestone.mentor_comment,
                optional=False,
            ),
        ],
    }


def celebration(milestone: Milestone, owner_id: str, *, commenter: str | None = None) -> tuple[str, list[Block]]:
    """The short celebration posted in the pair's room; the partner (the mentor) can add a comment."""
    title = escape(truncate(milestone.title, MAX_TITLE))
    text = f":tada: <@{owner_id}> reached a milestone: {title}"
    body = f":tada: <@{owner_id}> reached a milestone: *{title}*"
    if milestone.skill:
        body += f" ({escape(milestone.skill)})"
    if milestone.evidence_note:
        body += "\n" + quote(milestone.evidence_note, 600)
    blocks: list[Block] = [mrkdwn_section(body)]
    if milestone.mentor_comment:
        who = f"<@{commenter}>" if commenter else "A partner"
        blocks.append(mrkdwn_section(f":speech_balloon: {who}: {escape(truncate(milestone.mentor_comment, 1000))}"))
    label = "Edit your comment" if milestone.mentor_comment else "Add a comment"
    blocks.append(
        {"type": "actions", "block_id": "celebrate", "elements": [button(label, COMMENT_ACTION, str(milestone.id))]}
    )
    return text, blocks


def _done_when(milestone: Milestone) -> str:
    return f"\n_Done when:_ {escape(truncate(milestone.done_when, MAX_MEASURE))}" if milestone.done_when else ""


def reminder_dm(milestone: Milestone) -> tuple[str, list[Block]]:
    title = escape(truncate(milestone.title, MAX_TITLE))
    text = f"Your milestone {title} is due on {_day(milestone.due_on)}."
    if milestone.done_when:
        text += f" Done when: {escape(truncate(milestone.done_when, MAX_MEASURE))}"
    return text, [
        mrkdwn_section(
            f":round_pushpin: Your milestone *{title}* is due on *{_day(milestone.due_on)}*. How is it going?"
            + _done_when(milestone)
        ),
        {
            "type": "actions",
            "block_id": "milestone_due",
            "elements": [
                button("Mark done", DONE_ACTION, str(milestone.id), "primary"),
                button("Re-date", REDATE_ACTION, str(milestone.id)),
                button("Open my roadmap", OPEN_ACTION, str(milestone.match_id)),
            ],
        },
    ]


def overdue_dm(milestone: Milestone) -> tuple[str, list[Block]]:
    title = escape(truncate(milestone.title, MAX_TITLE))
    text = f"Your milestone {title} was due on {_day(milestone.due_on)}: re-date it or drop it?"
    return text, [
        mrkdwn_section(
            f"Your milestone *{title}* was due on *{_day(milestone.due_on)}*. Plans change: give it a new date, "
            "drop it, or mark it done if you got there. I won't ask again about this date." + _done_when(milestone)
        ),
        {
            "type": "actions",
            "block_id": "milestone_overdue",
            "elements": [
                button("Re-date", REDATE_ACTION, str(milestone.id), "primary"),
                button("Drop it", DROP_ACTION, str(milestone.id)),
                button("Mark done", DONE_ACTION, str(milestone.id)),
            ],
        },
    ]


def setup_prompt_dm(match_id: int, programme_name: str) -> tuple[str, list[Block]]:
    text = f"Your roadmap in {escape(programme_name)} has no milestones yet."
    return text, [
        mrkdwn_section(
            f"Two weeks into *{escape(programme_name)}*, your roadmap has no milestones yet. A few concrete steps "
            "make your chats with your match more useful: it takes two minutes, starting from a template."
        ),
        {
            "type": "actions",
            "block_id": "roadmap_setup",
            "elements": [button("Set up my roadmap", OPEN_ACTION, str(match_id), "primary")],
        },
    ]


@dataclass(frozen=True)
class HomeRoadmap:
    programme_name: str
    match_id: int
    owner_id: str
    own: bool
    goal: str
    milestones: Sequence[Milestone]


def home_blocks(
    roadmaps: Sequence[HomeRoadmap], contributions: Sequence[tuple[str, MentorContribution]]
) -> list[Block]:
    """App Home: each roadmap with a progress bar per skill and what is next; a mentor's contribution."""
    blocks: list[Block] = []
    for item in roadmaps[:6]:
        whose = "Your roadmap" if item.own else f"<@{item.owner_id}>'s roadmap"
        lines = [f":world_map: *{whose}* in {escape(item.programme_name)}"]
        if item.goal:
            lines.append(quote(item.goal, 300))
        lines += progress_lines(item.milestones) or ["_No milestones yet._"]
        upcoming = [m for m in item.milestones if m.status in OPEN_STATUSES][:2]
        if upcoming:
            lines.append(
                "*Next:* " + "; ".join(f"{escape(truncate(m.title, 80))} ({_day(m.due_on)})" for m in upcoming)
            )
        block = mrkdwn_section("\n".join(lines), block_id=f"roadmap_{item.match_id}_{item.owner_id}")
        label = "Set up roadmap" if item.own and not item.milestones else "Open roadmap"
        value = str(item.match_id) if item.own else f"{item.match_id}:{item.owner_id}"
        block["accessory"] = button(label, OPEN_ACTION, value)
        blocks.append(block)
    for programme_name, c in contributions[:4]:
        blocks.append(
            mrkdwn_section(
                f":seedling: *Your contribution in {escape(programme_name)}*\n"
                f"{c.active_mentees} active mentee{'s' if c.active_mentees != 1 else ''} · "
                f"{c.check_ins} check-in{'s' if c.check_ins != 1 else ''} held · "
                f"{c.milestones_reached} milestone{'s' if c.milestones_reached != 1 else ''} reached by your mentees · "
                f"{c.kudos} kudos"
            )
        )
    return blocks


def contributions_message(programme_name: str, rows: Sequence[MentorContribution]) -> tuple[str, list[Block]]:
    """For programme admins: each mentor's contribution."""
    text = f"Mentor contributions in {escape(programme_name)}"
    if not rows:
        return text, [mrkdwn_section(f"*{text}*\nNo mentors have been matched yet.")]
    lines = [
        f"• <@{c.mentor_id}>: {c.active_mentees} active mentees · {c.check_ins} check-ins · "
        f"{c.milestones_reached} milestones reached · {c.kudos} kudos"
        for c in rows[:60]
    ]
    blocks: list[Block] = [mrkdwn_section(f"*{text}*")]
    for start in range(0, len(lines), 20):
        blocks.append(mrkdwn_section("\n".join(lines[start : start + 20])))
    if len(rows) > 60:
        blocks.append(context(f"and {len(rows) - 60} more"))
    return text, blocks


def checkin_milestones_blocks(milestones: Sequence[Milestone]) -> list[Block]:
    """For the check-in modal: tick the open milestones worked on in the meeting (they move to in progress)."""
    if not milestones:
        return []
    return [
        {
            "type": "input",
            "block_id": CHECKIN_MILESTONES_BLOCK,
            "optional": True,
            "label": plain("Milestones you worked on"),
            "element": {
                "type": "checkboxes",
                "action_id": "value",
                "options": [
                    option(m.title, str(m.id), f"{STATUS_LABELS.get(m.status, m.status)} · due {_day(m.due_on)}")
                    for m in milestones[:10]
                ],
            },
        }
    ]

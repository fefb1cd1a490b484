"""Block Kit for programme admins: the admin panel, the programme modal, participants and grants."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from blocks.common import Block, View, context, mrkdwn_section, option, plain, role_name
from blocks.digests import PREVIEW_ACTION, REPORT_ACTION
from blocks.text import escape, truncate
from mentoring.choosing import MATCHING_LABELS, REQUEST_DAYS
from mentoring.insight import WEEKDAYS
from mentoring.programmes import (
    CADENCE_LABELS,
    HOUR_LABELS,
    KIND_LABELS,
    MAX_CYCLE_DAYS,
    MAX_ELIGIBILITY,
    MAX_GROUP_QUESTION,
    MAX_NAME,
    MAX_OBJECTIVES,
    MIN_CYCLE_DAYS,
    PAIR_PREFERENCE_LABELS,
    STATUS_LABELS,
    TRANSITIONS,
    WEEKDAY_LABELS,
)
from store.models import Programme, ProgrammeStatus

PROGRAMME_CALLBACK = "programme_save"
GRANT_CALLBACK = "grant_admin_save"
NEW_ACTION = "admin_new_programme"
EDIT_ACTION = "admin_edit_programme"
PARTICIPANTS_ACTION = "admin_participants"
LIFECYCLE_ACTION = "admin_lifecycle"
GRANT_ACTION = "admin_grant"
MATCH_ACTION = "admin_match"
MANUAL_ACTION = "admin_pair_by_hand"
ROSTER_ACTION = "admin_roster_import"

GROUP_QUESTION_HINT = (
    "Optional. Leave empty and nothing is asked. People answer in their own words, if they wish; reports count "
    "only groups of 5 or more people, and nobody, admins included, ever sees a person's answer. Clearing the "
    "question deletes the answers already given."
)

OFFICES_HINT = (
    "One per line. People pick theirs when they join, and those who want to meet in person are matched within "
    "their office. Leave empty and only virtual meetings are offered."
)
DEPARTMENTS_HINT = (
    "One per line. People pick theirs from this list, so reports group them correctly. Leave empty and people "
    "type their department."
)

LLM_DISCLOSURE = (
    "When on, conversation prompts for a pair are written by the AI model the deployment configures. It is "
    "sent only the pair's goals, skills, roadmap milestone titles and check-in topics, with people called "
    "“the mentor”, “the mentee” or “peer 1”: never names, emails, Slack ids or private reflections."
)


def button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "button", "text": plain(text), "action_id": action_id, "value": value}
    if style:
        element["style"] = style
    return element


def programme_summary(programme: Programme, participant_count: int) -> str:
    lines = [
        f"*{escape(programme.name)}* · {STATUS_LABELS.get(programme.status, programme.status)}"
        f" · cycle {programme.cycle_number}",
        f"{KIND_LABELS.get(programme.kind, programme.kind)} · {programme.cycle_days}-day cycle · "
        f"{CADENCE_LABELS.get(programme.cadence, programme.cadence).lower()} check-ins · "
        f"{participant_count} participant{'s' if participant_count != 1 else ''}",
    ]
    if programme.channel_id:
        lines.append(f"Channel: <#{programme.channel_id}>")
    if programme.mentors_channel_id:
        lines.append(f"Mentors' channel: <#{programme.mentors_channel_id}>")
    if programme.enrolment_deadline:
        lines.append(f"Enrolment closes {programme.enrolment_deadline.isoformat()}")
    elif not programme.enrolment_open:
        lines.append("Enrolment closed")
    return "\n".join(lines)


def admin_blocks(
    programmes: Sequence[Programme],
    counts: Mapping[int, int],
    *,
    can_create: bool,
    manageable: set[int],
    notes: Mapping[int, str] | None = None,
) -> list[Block]:
    """The admin section: used in the `/mentor admin` reply and in App Home."""
    blocks: list[Block] = [{"type": "header", "text": plain("Programme admin", 150)}]
    if can_create:
        blocks.append(
            {
                "type": "actions",
                "block_id": "admin_new",
                "elements": [button("New programme", NEW_ACTION, "new", "primary")],
            }
        )
    shown = [p for p in programmes if p.id in manageable][:15]
    if not shown:
        blocks.append(mrkdwn_section("No programmes to manage yet."))
    for programme in shown:
        assert programme.id is not None
        pid = str(programme.id)
        elements = [
            button("Edit", EDIT_ACTION, pid),
            button("Participants", PARTICIPANTS_ACTION, pid),
        ]
        if programme.status in (ProgrammeStatus.ENROLLING.value, ProgrammeStatus.ACTIVE.value):
            elements.append(button("Match now", MATCH_ACTION, pid, "primary"))
            elements.append(button("Pair two people", MANUAL_ACTION, pid))
            elements.append(button("Import roster", ROSTER_ACTION, pid))
        for to, label in TRANSITIONS.get(programme.status, {}).items():
            value = json.dumps({"programme_id": programme.id, "to": to})
            elements.append(button(label, f"{LIFECYCLE_ACTION}:{to}", value))  # action ids are unique per block
        elements.append(button("Add an admin", GRANT_ACTION, pid))
        elements += [button("Report", REPORT_ACTION, pid), button("Preview digest", PREVIEW_ACTION, pid)]
        summary = programme_summary(programme, counts.get(programme.id, 0))
        if notes and notes.get(programme.id):
            summary += "\n" + notes[programme.id]
        blocks += [
            {"type": "divider"},
            mrkdwn_section(summary),
            {"type": "actions", "block_id": f"admin_{pid}", "elements": elements},
        ]
    return blocks


def admin_message(blocks: list[Block]) -> tuple[str, list[Block]]:
    return "Programme admin: create and edit programmes, see participants, run cycles.", blocks


def _input(
    block_id: str, label: str, element: dict[str, Any], *, optional: bool = False, hint: str | None = None
) -> Block:
    block: Block = {"type": "input", "block_id": block_id, "label": plain(label), "element": element}
    if optional:
        block["optional"] = True
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def _text_input(
    initial: str, max_length: int, *, multiline: bool = False, placeholder: str | None = None
) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": "value", "max_length": max_length}
    if multiline:
        element["multiline"] = True
    if initial:
        element["initial_value"] = initial
    if placeholder:
        element["placeholder"] = plain(placeholder, 150)
    return element


def _select(options: Mapping[str, str], initial: str | None, kind: str = "static_select") -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": kind,
        "action_id": "value",
        "options": [option(label, value) for value, label in options.items()],
    }
    if initial is not None and initial in options:
        element["initial_option"] = option(options[initial], initial)
    return element


def _multi_select(options: Mapping[str, str], initial: Sequence[str]) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "multi_static_select",
        "action_id": "value",
        "options": [option(label, value) for value, label in options.items()],
    }
    chosen = [option(options[v], v) for v in initial if v in options]
    if chosen:
        element["initial_options"] = chosen
    return element


def _checkbox(text: str, checked: bool, description: str | None = None) -> dict[str, Any]:
    opt = option(text, "yes", description)
    element: dict[str, Any] = {"type": "checkboxes", "action_id": "value", "options": [opt]}
    if checked:
        element["initial_options"] = [opt]
    return element


def programme_modal(programme: Programme | None, *, default_skills: Sequence[str]) -> View:
    """Create (programme is None) or edit a programme."""
    p = programme
    skills_text = "\n".join(p.skills if p else default_skills)
    channel: dict[str, Any] = {
        "type": "conversations_select",
        "action_id": "value",
        "filter": {
            "include": ["public", "private"],
            "exclude_bot_users": True,
            "exclude_external_shared_channels": True,
        },
        "placeholder": plain("Pick the programme channel"),
    }
    if p and p.channel_id:
        channel["initial_conversation"] = p.channel_id
    mentors_channel = {**channel, "placeholder": plain("Pick the mentors' channel")}
    mentors_channel.pop("initial_conversation", None)
    if p and p.mentors_channel_id:
        mentors_channel["initial_conversation"] = p.mentors_channel_id
    deadline: dict[str, Any] = {"type": "datepicker", "action_id": "value"}
    if p and p.enrolment_deadline:
        deadline["initial_date"] = p.enrolment_deadline.isoformat()
    blocks: list[Block] = [
        _input("name", "Name", _text_input(p.name if p else "", MAX_NAME, placeholder="e.g. Engineering mentoring")),
        _input(
            "objectives",
            "Objectives",
            _text_input(
                p.objectives if p else "",
                MAX_OBJECTIVES,
                multiline=True,
                placeholder="The purpose, and the leadership and skill competencies it should build",
            ),
            optional=True,
        ),
        _input("kind", "Kind", _select(KIND_LABELS, p.kind if p else "one_to_one")),
        _input(
            "cycle_days",
            "Cycle length (days)",
            {
                "type": "number_input",
                "action_id": "value",
                "is_decimal_allowed": False,
                "min_value": str(MIN_CYCLE_DAYS),
                "max_value": str(MAX_CYCLE_DAYS),
                "initial_value": str(p.cycle_days if p else 90),
            },
        ),
        _input(
            "cadence", "Check-in cadence", _select(CADENCE_LABELS, p.cadence if p else "fortnightly", "radio_buttons")
        ),
        _input(
            "checkin_days",
            "Check-in days",
            _multi_select(WEEKDAY_LABELS, [str(d) for d in (p.checkin_days if p else [1, 2, 3])]),
            optional=True,
            hint="Check-ins and reminders reach people on these days, in their own timezone.",
        ),
        _input("checkin_start_hour", "Earliest hour", _select(HOUR_LABELS, str(p.checkin_start_hour if p else 10))),
        _input(
            "checkin_end_hour",
            "Latest hour",
            _select(HOUR_LABELS, str(p.checkin_end_hour if p else 16)),
            hint="Nothing is sent at night or outside these hours, local to each person.",
        ),
        _input(
            "skills",
            "Skills people pick from",
            _text_input(skills_text, 3000, multiline=True),
            hint="One per line, at most 100.",
        ),
        _input(
            "offices",
            "Offices or sites",
            _text_input("\n".join(p.offices if p else []), 3000, multiline=True, placeholder="e.g. Lisbon"),
            optional=True,
            hint=OFFICES_HINT,
        ),
        _input(
            "departments",
            "Departments",
            _text_input("\n".join(p.departments if p else []), 3000, multiline=True, placeholder="e.g. Engineering"),
            optional=True,
            hint=DEPARTMENTS_HINT,
        ),
        _input(
            "pair_preference",
            "Prefer pairing",
            _select(PAIR_PREFERENCE_LABELS, p.pair_preference if p else "cross_department"),
            hint="A preference in the scores, never a rule: anyone may still be paired.",
        ),
        _input(
            "matching",
            "How mentees get a mentor",
            _select(MATCHING_LABELS, p.matching if p else "engine", "radio_buttons"),
            hint="When mentees choose, they browse mentors with a free place and ask one; the mentor accepts or "
            "declines. Mentees who don't choose, or whose request expires, are matched at the next round.",
        ),
        _input(
            "request_days",
            "A mentor has this long to answer",
            _select({str(d): f"{d} day{'s' if d > 1 else ''}" for d in REQUEST_DAYS}, str(p.request_days if p else 3)),
        ),
        _input(
            "channel",
            "Programme channel",
            channel,
            optional=True,
            hint="Digests and growth threads go here. The bot joins public channels; invite it to private ones.",
        ),
        *digest_schedule_inputs(p),
        _input(
            "mentors_channel",
            "Mentors' channel",
            mentors_channel,
            optional=True,
            hint="The bot welcomes new mentors here and posts a mentors' circle question each month.",
        ),
        _input(
            "enrolment",
            "Enrolment",
            _checkbox("Enrolment is open", p.enrolment_open if p else True),
            optional=True,
        ),
        _input("enrolment_deadline", "Enrolment deadline", deadline, optional=True),
        _input(
            "eligibility",
            "Who can join",
            _text_input(p.eligibility if p else "", MAX_ELIGIBILITY, multiline=True, placeholder="e.g. Everyone"),
            optional=True,
        ),
        _input(
            "group_question",
            "Optional group question for reports",
            _text_input(
                p.group_question if p else "",
                MAX_GROUP_QUESTION,
                placeholder="e.g. Do you belong to an employee resource group you'd like counted?",
            ),
            optional=True,
            hint=GROUP_QUESTION_HINT,
        ),
        _input(
            "circle_size",
            "Circle size (peer circles)",
            {
                "type": "number_input",
                "action_id": "value",
                "is_decimal_allowed": False,
                "min_value": "3",
                "max_value": "6",
                "initial_value": str(p.circle_size if p else 4),
            },
            optional=True,
        ),
        _input(
            "max_capacity",
            "Most mentees one mentor can take",
            {
                "type": "number_input",
                "action_id": "value",
                "is_decimal_allowed": False,
                "min_value": "1",
                "max_value": "10",
                "initial_value": str(p.max_capacity if p else 5),
            },
            optional=True,
        ),
        _input(
            "approval",
            "Matches",
            _checkbox("Admins approve matches before they are released", p.requires_approval if p else True),
            optional=True,
        ),
        _input(
            "training",
            "Mentor essentials",
            _checkbox(
                "Mentors finish the mentor essentials before they are matched",
                p.requires_training if p else False,
                "Six short guides and one question, about 15 minutes: /mentor essentials",
            ),
            optional=True,
        ),
        _input(
            "llm",
            "AI conversation prompts",
            _checkbox("Turn on AI-written prompts", p.llm_enabled if p else False),
            optional=True,
        ),
        context(LLM_DISCLOSURE),
    ]
    return {
        "type": "modal",
        "callback_id": PROGRAMME_CALLBACK,
        "private_metadata": json.dumps({"programme_id": p.id if p else None}),
        "title": plain("Edit programme" if p else "New programme", 24),
        "submit": plain("Save" if p else "Create", 24),
        "close": plain("Cancel", 24),
        "blocks": blocks,
    }


WEEKDAY_OPTIONS = {str(i): day for i, day in enumerate(WEEKDAYS)}
HOUR_OPTIONS = {str(h): f"{h:02d}:00" for h in range(24)}


def digest_schedule_inputs(p: Programme | None) -> list[Block]:
    """When the weekly digest is posted in the programme channel: a weekday and hour in the programme's zone."""
    zone = _text_input(p.timezone if p else "UTC", 64, placeholder="e.g. Europe/Berlin")
    return [
        _input("digest_weekday", "Weekly digest day", _select(WEEKDAY_OPTIONS, str(p.digest_weekday if p else 0))),
        _input("digest_hour", "Weekly digest time", _select(HOUR_OPTIONS, str(p.digest_hour if p else 9))),
        _input("timezone", "Programme timezone", zone, hint="The digest's day and time are in this timezone."),
    ]


@dataclass
class ParticipantSummary:
    total: int = 0
    by_role: dict[str, int] = field(default_factory=dict)
    by_department: dict[str, int] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)
    waiting: list[str] = field(default_factory=list)
    mentors_with_room: list[str] = field(default_factory=list)
    paused: list[tuple[str, date | None]] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    invited: list[str] = field(default_factory=list)
    forgotten: int = 0


def _counts(counts: Mapping[str, int], label: Any = str) -> str:
    if not counts:
        return "_none_"
    return ", ".join(
        f"{escape(label(k) if k else 'not given')}: {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])
    )


def _people(ids: Sequence[str], limit: int = 40) -> str:
    if not ids:
        return "_nobody_"
    shown = " ".join(f"<@{uid}>" for uid in ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def participants_modal(programme: Programme, summary: ParticipantSummary) -> View:
    paused = [f"<@{uid}>" + (f" (until {until.isoformat()})" if until else "") for uid, until in summary.paused[:40]]
    blocks: list[Block] = [
        mrkdwn_section(f"*{escape(programme.name)}* · {summary.total} participants"),
        mrkdwn_section(f"*By role:* {_counts(summary.by_role, role_name)}"),
        mrkdwn_section(f"*By department:* {truncate(_counts(summary.by_department), 2900)}"),
        mrkdwn_section(f"*By status:* {_counts(summary.by_status)}"),
        {"type": "divider"},
        mrkdwn_section(f"*Waiting for a match ({len(summary.waiting)}):* {_people(summary.waiting)}"),
        mrkdwn_section(
            f"*Mentors not yet matched ({len(summary.mentors_with_room)}):* {_people(summary.mentors_with_room)}"
        ),
        mrkdwn_section(f"*Paused ({len(summary.paused)}):* {' '.join(paused) or '_nobody_'}"),
        mrkdwn_section(f"*Left ({len(summary.left)}):* {_people(summary.left)}"),
    ]
    if summary.invited:
        blocks.append(
            mrkdwn_section(f"*Not yet back for this cycle ({len(summary.invited)}):* {_people(summary.invited)}")
        )
    if summary.forgotten:
        blocks.append(context(f"{summary.forgotten} former participants asked to have their data deleted."))
    blocks.append(context("Admins see profiles and status only: private reflections and notes are never shown here."))
    return {
        "type": "modal",
        "title": plain("Participants", 24),
        "close": plain("Done", 24),
        "blocks": blocks,
    }


def grant_modal(programme: Programme) -> View:
    return {
        "type": "modal",
        "callback_id": GRANT_CALLBACK,
        "private_metadata": json.dumps({"programme_id": programme.id}),
        "title": plain("Add a programme admin", 24),
        "submit": plain("Add", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            mrkdwn_section(
                f"Programme admins of *{escape(programme.name)}* can edit it, see its participants and run its cycles."
            ),
            _input("admin", "Person", {"type": "users_select", "action_id": "value"}),
        ],
    }


OPT_IN_ACTION = "cycle_opt_in"


def opt_in_message(programme: Programme) -> tuple[str, list[Block]]:
    text = (
        f"*{escape(programme.name)}* is starting cycle {programme.cycle_number}. Would you like to take part again? "
        "Your profile stays as it is; you can edit it with `/mentor profile`."
    )
    return text, [
        mrkdwn_section(text),
        {
            "type": "actions",
            "block_id": "opt_in",
            "elements": [button("Count me in", OPT_IN_ACTION, str(programme.id), "primary")],
        },
    ]


NO_PROGRAMME_TEXT = "No mentoring programme is open yet."


def no_programme_message(admin_ids: Sequence[str], *, can_create: bool) -> tuple[str, list[Block]]:
    """What `/mentor join` says in a workspace where no admin has created a programme yet: who can open one,
    and, to an admin, a button that opens the programme form."""
    if can_create:
        text = f"{NO_PROGRAMME_TEXT} As a workspace admin, you can create the first one: people join it then."
        blocks: list[Block] = [
            mrkdwn_section(text),
            {"type": "actions", "elements": [button("Create a programme", NEW_ACTION, "new", "primary")]},
        ]
        return text, blocks
    if admin_ids:
        names = ", ".join(f"<@{a}>" for a in admin_ids[:10]) + (" and others" if len(admin_ids) > 10 else "")
        text = f"{NO_PROGRAMME_TEXT} Workspace admins and owners can open one: ask {names}."
    else:
        text = f"{NO_PROGRAMME_TEXT} Workspace admins and owners can open one: ask one of them."
    return text, [mrkdwn_section(text)]

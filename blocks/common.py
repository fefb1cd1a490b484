"""Block Kit builders: pure functions from plain data to Slack payloads, shared by listeners and jobs."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from blocks.text import escape, listing, quote, truncate
from mentoring.membership import MAX_BIO, MAX_DEPARTMENT, MAX_GOALS, MAX_SELF_GROUP, MAX_SKILLS, roles_for
from store.models import MeetingMode, Participant, Programme, Role, RosterEntry

Block = dict[str, Any]
View = dict[str, Any]

JOIN_CALLBACK = "join_submit"
PICK_CALLBACK = "join_pick"

ROLE_LABELS = {
    Role.MENTOR.value: ("Mentor", "Share what you know with a mentee"),
    Role.MENTEE.value: ("Mentee", "Grow with the help of a mentor"),
    Role.PEER.value: ("Peer", "Learn side by side with a colleague"),
}

MEETING_LABELS = {
    MeetingMode.VIRTUAL.value: "Virtually",
    MeetingMode.IN_PERSON.value: "In person",
    MeetingMode.EITHER.value: "Either",
}
VIRTUAL_ONLY_HINT = "This programme lists no offices, so meetings are virtual."
OFFICE_HINT = "Needed to meet in person: people who meet in person are matched within the same office."
RATHER_NOT_HINT = "Private: never shown to anyone, admins included. We simply won't match you with them."
SELF_GROUP_HINT = (
    "Optional, in your own words. Only ever counted in reports in groups of at least 5 people; never shown "
    "with your name to your partner, to admins or to anyone else. Clear it here any time."
)

DATA_NOTICE = (
    "*What we store:* what you enter here, plus your Slack name, title and timezone, to match you and "
    "time check-ins in your working hours. Your match sees your role, skills, goals and department. "
    "Programme admins see the same, never private notes. Nothing is shared outside this workspace."
)


def plain(text: str, limit: int = 75) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(text, limit), "emoji": True}


def mrkdwn_section(text: str, block_id: str | None = None) -> Block:
    block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, 3000)}}
    if block_id:
        block["block_id"] = block_id
    return block


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(text, 3000)}]}


def option(text: str, value: str, description: str | None = None) -> dict[str, Any]:
    opt: dict[str, Any] = {"text": plain(text), "value": value[:150]}
    if description:
        opt["description"] = plain(description)
    return opt


def role_name(role: str) -> str:
    return ROLE_LABELS.get(role, (role.title(), ""))[0]


# --- help -------------------------------------------------------------------------------------------


def _bio_input(offered: Sequence[Role], participant: Participant | None) -> list[Block]:
    """Mentors: a short introduction mentees see when they choose a mentor (asked only where there are mentors)."""
    if Role.MENTOR not in offered:
        return []
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": "value",
        "multiline": True,
        "max_length": MAX_BIO,
        "placeholder": plain("e.g. Ten years in backend teams; happy to talk career moves and public speaking"),
    }
    if participant is not None and participant.bio:
        element["initial_value"] = participant.bio
    return [
        {
            "type": "input",
            "block_id": "bio",
            "optional": True,
            "label": plain("Mentors: a short introduction"),
            "hint": plain("Shown to mentees when a programme lets them choose their mentor.", 2000),
            "element": element,
        }
    ]


def help_message(commands: Sequence[tuple[str, str]], *, note: str | None = None) -> tuple[str, list[Block]]:
    lines = [f"`/mentor {usage}` {what}" for usage, what in commands]
    blocks: list[Block] = []
    if note:
        blocks.append(mrkdwn_section(note))
    blocks += [
        mrkdwn_section(
            "*mentor-bot* pairs people for mentoring and peer learning, right here in Slack. Here is what you can do:"
        ),
        mrkdwn_section("\n".join(lines)),
        context("Open the *Home* tab of mentor-bot to see your programmes and profile."),
    ]
    text = (note + "\n" if note else "") + "mentor-bot commands:\n" + "\n".join(lines)
    return text, blocks


# --- join modal ---------------------------------------------------------------------------------------


def _skills_select(block_id: str, label: str, hint: str, skills: Sequence[str], chosen: Sequence[str]) -> Block:
    element: dict[str, Any] = {
        "type": "multi_static_select",
        "action_id": "value",
        "placeholder": plain("Choose skills"),
        "options": [option(s, s) for s in skills[:100]],
        "max_selected_items": MAX_SKILLS,
    }
    initial = [option(s, s) for s in chosen if s in skills]
    if initial:
        element["initial_options"] = initial
    return {
        "type": "input",
        "block_id": block_id,
        "optional": True,
        "label": plain(label),
        "hint": plain(hint, 2000),
        "element": element,
    }


def join_modal(
    programme: Programme,
    participant: Participant | None = None,
    *,
    as_role: str | None = None,
    offering: Sequence[str] = (),
    invited: RosterEntry | None = None,
) -> View:
    """The join form; pre-filled from the person's existing profile when they edit it, and with `as_role` and the
    skills in `offering` when they came from an invitation (e.g. "Join as a mentor" in a recruiting post). A
    person on the programme's imported roster (`invited`, before they join) finds its answers filled in, to
    change or keep; consent is never pre-ticked for them."""
    offered = roles_for(programme.kind)
    wanting: Sequence[str] = ()
    if invited is not None and participant is None:
        as_role = as_role or invited.role
        offering, wanting = (invited.skills, ()) if invited.role == Role.MENTOR.value else ((), invited.skills)
    role_element: dict[str, Any] = {
        "type": "radio_buttons",
        "action_id": "value",
        "options": [option(*_role_option(r.value)) for r in offered],
    }
    goals_element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": "value",
        "multiline": True,
        "max_length": MAX_GOALS,
        "placeholder": plain("e.g. Present our team's work at the all-hands with confidence"),
    }
    department_element: dict[str, Any] = (
        {
            "type": "static_select",
            "action_id": "value",
            "placeholder": plain("Choose your department"),
            "options": [option(d, d) for d in programme.departments[:100]],
        }
        if programme.departments
        else {
            "type": "plain_text_input",
            "action_id": "value",
            "max_length": MAX_DEPARTMENT,
            "placeholder": plain("e.g. Engineering"),
        }
    )
    capacity_element: dict[str, Any] = {
        "type": "number_input",
        "action_id": "value",
        "is_decimal_allowed": False,
        "min_value": "1",
        "max_value": str(programme.max_capacity),
    }
    modes = MEETING_LABELS if programme.offices else {MeetingMode.VIRTUAL.value: MEETING_LABELS["virtual"]}
    meeting_element: dict[str, Any] = {
        "type": "radio_buttons",
        "action_id": "value",
        "options": [option(label, value) for value, label in modes.items()],
    }
    rather_not_element: dict[str, Any] = {
        "type": "multi_users_select",
        "action_id": "value",
        "max_selected_items": 20,
        "placeholder": plain("Nobody"),
    }
    mode = participant.meeting_mode if participant else MeetingMode.EITHER.value
    mode = mode if mode in modes else next(iter(modes))
    meeting_element["initial_option"] = option(modes[mode], mode)
    if participant is not None and participant.rather_not:
        rather_not_element["initial_users"] = list(participant.rather_not)
    role = as_role if as_role in ROLE_LABELS else (participant.role if participant is not None else None)
    if len(offered) == 1:
        role = offered[0].value
    if role is not None and role in offered:
        role_element["initial_option"] = option(*_role_option(role))
    if participant is not None:
        if participant.goals:
            goals_element["initial_value"] = participant.goals
        if participant.department and not programme.departments:
            department_element["initial_value"] = participant.department
        elif participant.department in programme.departments:
            department_element["initial_option"] = option(participant.department, participant.department)
        if participant.capacity:
            capacity_element["initial_value"] = str(participant.capacity)
    elif invited is not None and invited.department:
        if not programme.departments:
            department_element["initial_value"] = invited.department
        elif invited.department in programme.departments:
            department_element["initial_option"] = option(invited.department, invited.department)

    intro = f"*{escape(programme.name)}*"
    if programme.objectives:
        intro += f"\n{escape(truncate(programme.objectives, 600))}"
    blocks: list[Block] = [
        mrkdwn_section(intro),
        {
            "type": "input",
            "block_id": "role",
            "label": plain("I want to join as"),
            "element": role_element,
        },
        _skills_select(
            "skills_offered",
            "Skills I can offer",
            "Mentors: what you can help with. Peers: what you can share.",
            programme.skills,
            list(dict.fromkeys([*(participant.skills_offered if participant else []), *offering]))[:MAX_SKILLS],
        ),
        _skills_select(
            "skills_wanted",
            "Skills I want to grow",
            "Mentees and peers: what you want to get better at.",
            programme.skills,
            participant.skills_wanted if participant else list(wanting)[:MAX_SKILLS],
        ),
        {
            "type": "input",
            "block_id": "goals",
            "optional": True,
            "label": plain("My goals for this cycle"),
            "element": goals_element,
        },
        {
            "type": "input",
            "block_id": "department",
            "label": plain("Department or team"),
            "hint": plain("Used to introduce you to people from other parts of the organisation.", 2000),
            "element": department_element,
        },
        {
            "type": "input",
            "block_id": "capacity",
            "optional": True,
            "label": plain("Mentors: how many mentees can you take on?"),
            "hint": plain(f"A whole number from 1 to {programme.max_capacity}.", 2000),
            "element": capacity_element,
        },
        *_bio_input(offered, participant),
        mrkdwn_section("*Matching preferences*"),
        {
            "type": "input",
            "block_id": "meeting_mode",
            "optional": True,
            "label": plain("I'd like to meet"),
            "element": meeting_element,
            **({} if programme.offices else {"hint": plain(VIRTUAL_ONLY_HINT, 2000)}),
        },
        *([office_input(programme, participant, invited)] if programme.offices else []),
        {
            "type": "input",
            "block_id": "rather_not",
            "optional": True,
            "label": plain("People I'd rather not be matched with"),
            "hint": plain(RATHER_NOT_HINT, 2000),
            "element": rather_not_element,
        },
        *([self_group_input(programme, participant, invited)] if programme.group_question else []),
        mrkdwn_section(DATA_NOTICE),
        {
            "type": "input",
            "block_id": "consent",
            "label": plain("Consent"),
            "element": {
                "type": "checkboxes",
                "action_id": "value",
                "options": [option("I agree to how my data is used, as described above", "yes")],
                **(
                    {"initial_options": [option("I agree to how my data is used, as described above", "yes")]}
                    if participant is not None
                    else {}
                ),
            },
        },
    ]
    return {
        "type": "modal",
        "callback_id": JOIN_CALLBACK,
        "private_metadata": json.dumps({"programme_id": programme.id}),
        "title": plain("Edit your profile" if participant else "Join a programme", 24),
        "submit": plain("Save" if participant else "Join", 24),
        "close": plain("Cancel", 24),
        "blocks": blocks,
    }


def office_input(programme: Programme, participant: Participant | None, invited: RosterEntry | None = None) -> Block:
    """The office picker, from the programme's list (only when it lists offices)."""
    element: dict[str, Any] = {
        "type": "static_select",
        "action_id": "value",
        "placeholder": plain("Choose your office"),
        "options": [option(o, o) for o in programme.offices[:100]],
    }
    office = participant.office if participant is not None else invited.office if invited is not None else ""
    if office in programme.offices:
        element["initial_option"] = option(office, office)
    return {
        "type": "input",
        "block_id": "office",
        "optional": True,
        "label": plain("My office"),
        "hint": plain(OFFICE_HINT, 2000),
        "element": element,
    }


def self_group_input(
    programme: Programme, participant: Participant | None, invited: RosterEntry | None = None
) -> Block:
    """The programme's optional group question (only when it asks one): free text, private, counted in 5s."""
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": "value",
        "max_length": MAX_SELF_GROUP,
        "placeholder": plain("Leave empty if you'd rather not say"),
    }
    answer = participant.self_group if participant is not None else invited.self_group if invited is not None else ""
    if answer:
        element["initial_value"] = answer
    return {
        "type": "input",
        "block_id": "self_group",
        "optional": True,
        "label": plain(programme.group_question, 150),
        "hint": plain(SELF_GROUP_HINT, 2000),
        "element": element,
    }


def _role_option(role: str) -> tuple[str, str, str]:
    label, desc = ROLE_LABELS[role]
    return label, role, desc


def programme_picker_modal(programmes: Sequence[Programme]) -> View:
    return {
        "type": "modal",
        "callback_id": PICK_CALLBACK,
        "title": plain("Join a programme", 24),
        "submit": plain("Next", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            mrkdwn_section("Several programmes are open. Which one would you like to join?"),
            {
                "type": "input",
                "block_id": "programme",
                "label": plain("Programme"),
                "element": {
                    "type": "static_select",
                    "action_id": "value",
                    "options": [option(p.name, str(p.id)) for p in programmes[:100]],
                },
            },
        ],
    }


# --- confirmation DM ---------------------------------------------------------------------------------


def profile_lines(participant: Participant) -> list[str]:
    lines = [
        f"*Role:* {role_name(participant.role)}",
        f"*Skills I can offer:* {listing(participant.skills_offered)}",
        f"*Skills I want to grow:* {listing(participant.skills_wanted)}",
        f"*Department:* {escape(participant.department)}",
        f"*Meeting:* {MEETING_LABELS.get(participant.meeting_mode, participant.meeting_mode)}"
        + (f" · office: {escape(participant.office)}" if participant.office else ""),
    ]
    if participant.role == Role.MENTOR.value:
        lines.append(f"*Mentees I can take on:* {participant.capacity}")
    lines.append(f"*Timezone:* {escape(participant.timezone) if participant.timezone else '_unknown_'}")
    return lines


def joined_dm(programme: Programme, participant: Participant, *, created: bool) -> tuple[str, list[Block]]:
    name = escape(programme.name)
    headline = (
        f"Welcome to *{name}*! You joined as a {role_name(participant.role).lower()}."
        if created
        else f"Your profile in *{name}* is updated."
    )
    next_steps = (
        "*What happens next:* when the programme admins release the next round of matches, you'll get an "
        "introduction in a private room with your match, explaining why you were paired. Until then you "
        "can change your answers any time from the *Home* tab or with `/mentor join`."
    )
    tz_note = (
        ""
        if participant.timezone
        else "\n_We couldn't read your timezone from Slack yet, so times use UTC until we can._"
    )
    blocks: list[Block] = [
        mrkdwn_section(headline),
        mrkdwn_section("\n".join(profile_lines(participant))),
    ]
    if participant.goals:
        blocks.append(mrkdwn_section("*My goals:*\n" + quote(participant.goals)))
    blocks.append(mrkdwn_section(next_steps + tz_note))
    if participant.role == Role.MENTOR.value and programme.mentors_channel_id:
        blocks.append(
            mrkdwn_section(f"Mentors of *{name}* swap notes in <#{programme.mentors_channel_id}>: join them there.")
        )
    text = f"{headline} Role: {role_name(participant.role)}. Department: {escape(participant.department)}."
    return text, blocks

"""Importing a roster: the admin's upload form, the report (in the form, by DM and printed by the CLI), and the
invitation people on it get."""

from __future__ import annotations

import json

from blocks.admin import ROSTER_ACTION, button
from blocks.common import Block, View, context, mrkdwn_section, plain, role_name
from blocks.text import escape
from mentoring.roster import MAX_PROBLEMS_SHOWN, RosterReport
from store.models import Programme, RosterEntry

__all__ = ["ROSTER_ACTION"]  # the admin panel's "Import roster" button

ROSTER_CALLBACK = "roster_import"
INVITE_ACTION = "roster_invite_join"
COLUMNS = "email, department, office, manager email, role, skills (separated by ;), group (optional)"


def roster_modal(programme: Programme) -> View:
    """Upload a roster CSV; it is checked row by row when submitted."""
    return {
        "type": "modal",
        "callback_id": ROSTER_CALLBACK,
        "private_metadata": json.dumps({"programme_id": programme.id}),
        "title": plain("Import a roster", 24),
        "submit": plain("Import", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            mrkdwn_section(
                f"Invite the people of a roster to join *{escape(programme.name)}*. Each is asked by DM and joins "
                "only by filling in the join form, which opens with the roster's answers. Rows that cannot be used "
                "are listed by line; the others are imported together."
            ),
            {
                "type": "input",
                "block_id": "roster",
                "label": plain("Roster (CSV)"),
                "hint": plain(
                    f"Columns: {COLUMNS}. One person a row; emails are used to find people in Slack and are not kept.",
                    2000,
                ),
                "element": {"type": "file_input", "action_id": "value", "filetypes": ["csv"], "max_files": 1},
            },
        ],
    }


def working_view(programme: Programme) -> View:
    """Shown while the roster is read and checked."""
    return {
        "type": "modal",
        "callback_id": f"{ROSTER_CALLBACK}_working",
        "title": plain("Import a roster", 24),
        "close": plain("Close", 24),
        "blocks": [
            mrkdwn_section(
                f"Reading the roster for *{escape(programme.name)}* and finding each person in Slack… "
                "The report appears here and in your DMs."
            )
        ],
    }


def report_lines(report: RosterReport) -> list[str]:
    """The report as plain lines (the CLI prints them; Slack shows them in the form and a DM)."""
    if report.refused:
        return [f"{report.programme}: nothing was imported. {report.refused}"]
    verb = "would import" if report.dry_run else "imported"
    rows = f"{report.rows} row{'' if report.rows == 1 else 's'}"
    lines = [f"{report.programme}: {rows}, {report.usable} {verb}, {len(report.problems)} not imported."]
    if not report.dry_run and report.usable:
        lines.append(f"Invited to join: {report.invited}; already in the programme: {report.already_joined}.")
    if report.dry_run:
        lines.append("Dry run: nothing was stored and nobody was messaged.")
    for problem in report.problems[:MAX_PROBLEMS_SHOWN]:
        lines.append(f"line {problem.line}: {problem.reason}")
    if len(report.problems) > MAX_PROBLEMS_SHOWN:
        lines.append(f"… and {len(report.problems) - MAX_PROBLEMS_SHOWN} more rows not imported.")
    return lines


def report_message(report: RosterReport) -> tuple[str, list[Block]]:
    lines = report_lines(report)
    blocks: list[Block] = [mrkdwn_section(escape(lines[0]))]
    rest = [escape(line) for line in lines[1:]]
    chunk: list[str] = []
    for line in rest:
        if sum(len(x) + 1 for x in chunk) + len(line) > 2900:
            blocks.append(mrkdwn_section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append(mrkdwn_section("\n".join(chunk)))
    return lines[0], blocks


def report_view(report: RosterReport) -> View:
    _, blocks = report_message(report)
    return {
        "type": "modal",
        "callback_id": f"{ROSTER_CALLBACK}_report",
        "title": plain("Roster imported" if report.usable else "Roster not imported", 24),
        "close": plain("Done", 24),
        "blocks": blocks,
    }


def invitation(programme: Programme, entry: RosterEntry, admin_id: str) -> tuple[str, list[Block]]:
    """The DM a person on an imported roster gets: why, and a button to the join form filled in for them."""
    text = f"<@{admin_id}> invites you to join *{escape(programme.name)}* as a {role_name(entry.role).lower()}."
    blocks: list[Block] = [
        mrkdwn_section(
            text + " Your organisation's roster filled in the join form for you (department, office, role and "
            "skills): check it, change what you like, and join if you want to. Nothing happens until you do."
        ),
        {
            "type": "actions",
            "block_id": "roster_invite",
            "elements": [button(f"Join {programme.name}"[:75], INVITE_ACTION, str(programme.id), "primary")],
        },
        context("You are not a participant, and nobody is matched with you, unless you join."),
    ]
    return text, blocks

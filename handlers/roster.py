"""Importing a roster: *Import roster* in the admin panel opens an upload form; the CSV is read through Slack's
files API, each email found with `users.lookupByEmail`, the rows checked and the usable ones stored and invited in
one unit of work. `mentor-bot roster import` (bot/cli.py) runs the same import from a file."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from blocks import roster as roster_ui
from gateway.slack import FileUnreadable, download_file, lookup_emails, send_dm
from handlers.common import (
    access_of,
    admin_click,
    after_answer,
    int_or_none,
    metadata,
    open_modal_for,
    state_value,
    team_of,
    user_of,
)
from handlers.deps import Jobs, deps_of
from handlers.join import open_join_modal
from mentoring import roster
from mentoring.access import REFUSAL
from pairing.roster import read_import_csv
from store import queries
from store.db import Database
from store.models import Programme
from store.types import utcnow

logger = logging.getLogger(__name__)

MAX_BYTES = 2_000_000
CLOSED = "The programme is not open for enrolment: open it (or its enrolment) first, then import again."
UNREADABLE = "Slack would not give us that file. Upload it again, as a .csv file of at most 2 MB."


def run_import(
    client: WebClient,
    db: Database,
    jobs: Jobs,
    *,
    team_id: str,
    programme_id: int,
    text: str,
    actor_id: str,
    now: datetime,
    dry_run: bool = False,
) -> roster.RosterReport:
    """Read, check and (unless a dry run) store a roster and queue its invitations, all or none of the usable rows.
    The same for Slack and the CLI; a dry run still asks Slack who the emails belong to, and writes nothing."""
    with db.session() as session:
        programme = queries.get_programme(session=session, team_id=team_id, programme_id=programme_id)
        assert programme is not None
        name, open_ = programme.name, programme.accepts_joins(now.date())
    if not open_:
        return roster.RosterReport(name, 0, 0, (), dry_run=dry_run, refused=CLOSED)
    try:
        rows = read_import_csv(text)
    except ValueError as problem:
        return roster.RosterReport(name, 0, 0, (roster.Problem(1, str(problem)),), dry_run=dry_run)
    try:
        directory = lookup_emails(client, roster.emails_to_resolve(rows))
    except SlackApiError as error:
        logger.error("looking up a roster's emails failed: %s", error.response.get("error"))
        refused = f"Slack would not look the emails up ({error.response.get('error')}). Please try again later."
        return roster.RosterReport(name, len(rows), 0, (), dry_run=dry_run, refused=refused)
    with db.begin() as session:
        programme = queries.get_programme(session=session, team_id=team_id, programme_id=programme_id)
        assert programme is not None
        check = roster.check_roster(rows, programme, directory)
        report = roster.RosterReport(name, check.rows, len(check.invitees), tuple(check.problems), dry_run=dry_run)
        if dry_run or not check.invitees:
            return report
        imported = roster.import_roster(
            session=session, programme=programme, invitees=check.invitees, actor_id=actor_id, now=now
        )
        jobs.invite_from_roster(session, programme=programme, entries=imported.to_invite, admin_id=actor_id, now=now)
    return replace(report, invited=len(imported.to_invite), already_joined=len(imported.already_joined))


def read_upload(client: WebClient, view: dict[str, Any], programme: Programme) -> tuple[str, str]:
    """The text of the CSV uploaded in the form, or why it cannot be imported (shown under the upload, the form
    staying open): Slack would not give the file, it has no roster header, or the programme is not enrolling."""
    if not programme.accepts_joins(utcnow().date()):
        return "", CLOSED
    files = state_value(view, "roster").get("files") or []
    file_id = files[0].get("id") if files and isinstance(files[0], dict) else None
    if not file_id:
        return "", UNREADABLE
    try:
        _name, data = download_file(client, str(file_id), max_bytes=MAX_BYTES)
    except FileUnreadable as error:
        logger.warning("could not read an uploaded roster: %s", error)
        return "", UNREADABLE
    text = data.decode("utf-8-sig", errors="replace")
    try:
        read_import_csv(text)
    except ValueError as problem:
        return "", f"{str(problem).capitalize()}. Columns: {roster_ui.COLUMNS}."
    return text, ""


def on_import_button(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """ "Import roster" in the admin panel: the upload form."""
    found = admin_click(ack, body, client, context)
    if found is not None:
        open_modal_for(client, body, roster_ui.roster_modal(found[1]))


def on_import_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any) -> None:
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    programme_id = int_or_none(metadata(view).get("programme_id"))
    with deps.db.session() as session:
        allowed = access_of(client, session, team_id=team_id, user_id=user_id).can_admin(programme_id)
        programme = queries.get_programme(session=session, team_id=team_id, programme_id=programme_id)
    if not allowed or programme is None or programme.id is None:
        ack(response_action="errors", errors={"roster": REFUSAL if programme else "That programme doesn't exist."})
        return
    text, problem = read_upload(client, view, programme)
    if problem:
        ack(response_action="errors", errors={"roster": problem[:2000]})
        return
    ack(response_action="update", view=roster_ui.working_view(programme))
    report = run_import(
        client,
        deps.db,
        deps.jobs,
        team_id=team_id,
        programme_id=programme.id,
        text=text,
        actor_id=user_id,
        now=utcnow(),
    )
    after_answer(context)  # the report replaces the "Reading the roster" view the ack showed, not the reverse
    show_report(client, view_id=str(view.get("id") or ""), user_id=user_id, report=report)


def show_report(client: WebClient, *, view_id: str, user_id: str, report: roster.RosterReport) -> None:
    """The report in the form (if it is still open) and, to keep, in the admin's DMs."""
    try:
        client.views_update(view_id=view_id, view=roster_ui.report_view(report))
    except SlackApiError as error:
        logger.info("the roster form was closed before its report: %s", error.response.get("error"))
    send_dm(client, user_id, *roster_ui.report_message(report))


def on_invite_join(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """ "Join" in a roster invitation: the join form, filled in from the roster."""
    ack()
    team_id, user_id = team_of(body, context), user_of(body)
    deps = deps_of(context)
    with deps.db.session() as session:
        programme = queries.get_programme(
            session=session, team_id=team_id, programme_id=int_or_none((body.get("actions") or [{}])[0].get("value"))
        )
    problem = open_join_modal(
        client,
        deps,
        team_id=team_id,
        user_id=user_id,
        trigger_id=body.get("trigger_id", ""),
        wanted=programme.slug if programme else "-",
    )
    if problem:
        send_dm(client, user_id, problem)


def register(app: App) -> None:
    app.action(roster_ui.ROSTER_ACTION)(on_import_button)
    app.view(roster_ui.ROSTER_CALLBACK)(on_import_submit)
    app.action(roster_ui.INVITE_ACTION)(on_invite_join)

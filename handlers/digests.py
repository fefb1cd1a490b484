"""Digests and reports for programme admins: `/mentor digest [programme] [--post]`, `/mentor report [programme]
[--export]`, and the same from App Home buttons and the preview's *Post it now*."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from blocks import digests as digest_ui
from gateway.slack import send_dm, upload_file, workspace_url
from handlers.common import Invocation, access_of, action_value, int_or_none, team_of, tell, user_of
from handlers.deps import Deps, deps_of
from mentoring import export
from mentoring.access import REFUSAL
from mentoring.insight import admin_programme, compute_health, has_chart, preview_digest
from store import insight, queries
from store.models import Programme
from store.types import utcnow

logger = logging.getLogger(__name__)


def _pick(deps: Deps, client: WebClient, *, team_id: str, user_id: str, wanted: str) -> tuple[Programme | None, str]:
    """The programme an admin named (name or slug), or their only one; else a message saying what to do."""
    with deps.db.session() as session:
        access = access_of(client, session, team_id=team_id, user_id=user_id)
        pick = admin_programme(access, session=session, team_id=team_id, wanted=wanted)
    return pick.programme, digest_ui.pick_problem(pick, wanted)


def _split(args: str, flag: str) -> tuple[str, bool]:
    words = args.split()
    return " ".join(w for w in words if w != flag), flag in words


# --- the digest ------------------------------------------------------------------------------------------------


def send_preview(client: WebClient, deps: Deps, programme: Programme, *, user_id: str) -> str:
    """DM the admin what the digest would say now (with its chart); returns what to tell them in place."""
    assert programme.id is not None
    if not programme.channel_id:
        return digest_ui.no_channel_yet(programme.name)
    now = utcnow()
    with deps.db.session() as session:
        stats = preview_digest(session=session, programme=programme, now=now, workspace_url=workspace_url(client))
    text, blocks = digest_ui.preview_message(stats, channel_id=programme.channel_id, programme_id=programme.id)
    if send_dm(client, user_id, text, blocks) is None:
        return "Slack wouldn't let me send you the preview. Please try again in a moment."
    if has_chart(stats):
        try:
            channel = client.conversations_open(users=user_id)["channel"]["id"]
            chart = digest_ui.preview_chart(stats, programme_id=programme.id)
            upload_file(
                client, channel=channel, file=chart.png, filename=chart.filename, title=chart.title, alt=chart.alt
            )
        except SlackApiError as error:
            logger.warning("could not upload the preview chart: %s", error.response.get("error"))
    return digest_ui.preview_sent(programme.name)


def post_now(client: WebClient, deps: Deps, programme: Programme, *, user_id: str) -> str:
    """Post this week's digest now (once: the week's scheduled digest then does not post again)."""
    if not programme.channel_id:
        return digest_ui.no_channel_yet(programme.name)
    if not deps.jobs.post_digest_now(client, programme, actor_id=user_id, now=utcnow()):
        return digest_ui.already_posted(programme.name, programme.channel_id)
    return digest_ui.posted_now(programme.name, programme.channel_id)


def digest_command(inv: Invocation) -> None:
    deps = deps_of(inv.context)
    wanted, post = _split(inv.args, "--post")
    programme, problem = _pick(deps, inv.client, team_id=inv.team_id, user_id=inv.user_id, wanted=wanted)
    if programme is None:
        inv.respond(text=problem, response_type="ephemeral")
        return
    run = post_now if post else send_preview
    inv.respond(text=run(inv.client, deps, programme, user_id=inv.user_id), response_type="ephemeral")


# --- the report ------------------------------------------------------------------------------------------------


def _report(deps: Deps, programme: Programme) -> tuple[str, list[dict[str, Any]], insight.Health]:
    with deps.db.session() as session:
        health = compute_health(session, programme, now=utcnow())
    text, blocks = digest_ui.report_message(programme.name, health, cycle_number=programme.cycle_number)
    return text, blocks, health


def _upload(client: WebClient, user_id: str, upload: Callable[[str], object]) -> bool:
    try:
        channel = client.conversations_open(users=user_id)["channel"]["id"]
        upload(channel)
    except SlackApiError as error:
        code = error.response.get("error")
        logger.error("sending a report file failed: %s", code, extra={"user_id": user_id, "slack_error": code})
        return False
    return True


def send_dashboard(client: WebClient, programme: Programme, health: insight.Health, *, user_id: str) -> bool:
    chart = digest_ui.dashboard_chart(programme, health)
    return _upload(
        client,
        user_id,
        lambda channel: upload_file(
            client, channel=channel, file=chart.png, filename=chart.filename, title=chart.title, alt=chart.alt
        ),
    )


def send_export(client: WebClient, deps: Deps, programme: Programme, health: insight.Health, *, user_id: str) -> bool:
    with deps.db.session() as session:
        pairs, summary = export.programme_csvs(session=session, programme=programme, health=health)
    files = digest_ui.export_files(programme, pairs=pairs, summary=summary)
    return _upload(
        client,
        user_id,
        lambda channel: client.files_upload_v2(
            channel=channel, file_uploads=files, initial_comment=digest_ui.export_comment(programme.name)
        ),
    )


def report_command(inv: Invocation) -> None:
    deps = deps_of(inv.context)
    wanted, wants_export = _split(inv.args, "--export")
    programme, problem = _pick(deps, inv.client, team_id=inv.team_id, user_id=inv.user_id, wanted=wanted)
    if programme is None:
        inv.respond(text=problem, response_type="ephemeral")
        return
    text, blocks, health = _report(deps, programme)
    if wants_export:
        sent = send_export(inv.client, deps, programme, health, user_id=inv.user_id)
        inv.respond(
            text="I've sent you the CSV files in our DMs."
            if sent
            else "Slack wouldn't let me send the files. Please try again later.",
            response_type="ephemeral",
        )
        return
    inv.respond(text=text, blocks=blocks, response_type="ephemeral")
    send_dashboard(inv.client, programme, health, user_id=inv.user_id)


# --- buttons ---------------------------------------------------------------------------------------------------


def _programme_of_button(
    client: WebClient, deps: Deps, body: dict[str, Any], context: Any
) -> tuple[Programme | None, str]:
    team_id, user_id = team_of(body, context), user_of(body)
    with deps.db.session() as session:
        programme = queries.get_programme(
            session=session, team_id=team_id, programme_id=int_or_none(action_value(body))
        )
        if programme is None:
            return None, "That programme doesn't exist (any more) in this workspace."
        access = access_of(client, session, team_id=team_id, user_id=user_id)
    if not access.can_admin(programme.id):
        return None, REFUSAL
    return programme, ""


def on_preview(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    deps = deps_of(context)
    programme, problem = _programme_of_button(client, deps, body, context)
    message = problem if programme is None else send_preview(client, deps, programme, user_id=user_of(body))
    sent = programme is not None and message == digest_ui.preview_sent(programme.name)
    if body.get("response_url") or not sent:  # from App Home the preview DM itself is the answer
        tell(client, body, message)


def on_post(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    deps = deps_of(context)
    programme, problem = _programme_of_button(client, deps, body, context)
    tell(client, body, problem if programme is None else post_now(client, deps, programme, user_id=user_of(body)))


def on_report(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    deps = deps_of(context)
    programme, problem = _programme_of_button(client, deps, body, context)
    if programme is None:
        tell(client, body, problem)
        return
    text, blocks, health = _report(deps, programme)
    send_dm(client, user_of(body), text, blocks)
    send_dashboard(client, programme, health, user_id=user_of(body))


def register(app: App) -> None:
    app.action(digest_ui.PREVIEW_ACTION)(on_preview)
    app.action(digest_ui.POST_ACTION)(on_post)
    app.action(digest_ui.REPORT_ACTION)(on_report)

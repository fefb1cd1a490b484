"""Digests and reports for programme admins: `/mentor digest [programme] [--post]`, `/mentor report [programme]
[--export]`, and the same from App Home buttons and the preview's *Post it now*."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from blocks import charts
from blocks import digests as digest_ui
from blocks.text import escape, truncate
from gateway.slack import send_dm, upload_file, workspace_url
from handlers.common import Invocation, access_of, action_value, int_or_none, team_of, tell, user_of
from handlers.deps import Deps, deps_of
from mentoring import export
from mentoring.access import REFUSAL
from mentoring.insight import compute_digest, compute_health, digest_slot, has_chart
from store import insight, queries
from store.models import Programme
from store.types import utcnow

logger = logging.getLogger(__name__)


def _pick(deps: Deps, client: WebClient, *, team_id: str, user_id: str, wanted: str) -> tuple[Programme | None, str]:
    """The programme an admin named (name or slug), or their only one; else a message saying what to do."""
    with deps.db.session() as session:
        access = access_of(client, session, team_id=team_id, user_id=user_id)
        mine = [p for p in queries.programmes(session=session, team_id=team_id) if access.can_admin(p.id)]
    if not access.any:
        return None, REFUSAL
    if wanted:
        key = wanted.strip().lower()
        found = [p for p in mine if key in (p.name.lower(), p.slug)]
        if found:
            return found[0], ""
        return None, f"You don't administer a programme called “{escape(truncate(wanted, 80))}”. " + _which(mine)
    if len(mine) == 1:
        return mine[0], ""
    return None, "Which programme? " + _which(mine)


def _which(programmes: list[Programme]) -> str:
    if not programmes:
        return "You don't administer any programme yet."
    return "Yours: " + ", ".join(f"`{p.slug}`" for p in programmes[:20]) + "."


def _split(args: str, flag: str) -> tuple[str, bool]:
    words = args.split()
    return " ".join(w for w in words if w != flag), flag in words


# --- the digest ------------------------------------------------------------------------------------------------


PREVIEW_SENT = "I've sent you a preview of *{name}*'s next digest in our DMs. Only you can see it."


def send_preview(client: WebClient, deps: Deps, programme: Programme, *, user_id: str) -> str:
    """DM the admin what the digest would say now (with its chart); returns what to tell them in place."""
    assert programme.id is not None
    if not programme.channel_id:
        return f"*{escape(programme.name)}* has no channel yet: pick one with *Edit* first."
    now = utcnow()
    week, _ = digest_slot(programme, now)
    with deps.db.session() as session:
        stats = compute_digest(session, programme, now=now, week=week, workspace_url=workspace_url(client))
    text, blocks = digest_ui.preview_message(stats, channel_id=programme.channel_id, programme_id=programme.id)
    if send_dm(client, user_id, text, blocks) is None:
        return "Slack wouldn't let me send you the preview. Please try again in a moment."
    if has_chart(stats):
        try:
            channel = client.conversations_open(users=user_id)["channel"]["id"]
            png, alt = charts.digest_chart(stats)
            title = f"{stats.get('programme', '')}: check-ins and milestones per week"
            upload_file(
                client, channel=channel, file=png, filename=f"digest-preview-{programme.id}.png", title=title, alt=alt
            )
        except SlackApiError as error:
            logger.warning("could not upload the preview chart: %s", error.response.get("error"))
    return PREVIEW_SENT.format(name=escape(programme.name))


def post_now(client: WebClient, deps: Deps, programme: Programme, *, user_id: str) -> str:
    """Post this week's digest now (once: the week's scheduled digest then does not post again)."""
    if not programme.channel_id:
        return f"*{escape(programme.name)}* has no channel yet: pick one with *Edit* first."
    if not deps.jobs.post_digest_now(client, programme, actor_id=user_id, now=utcnow()):
        return f"This week's digest of *{escape(programme.name)}* is already in <#{programme.channel_id}>."
    return f"Posted this week's digest of *{escape(programme.name)}* in <#{programme.channel_id}>."


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
    png, alt = charts.dashboard(
        title=f"{programme.name}, cycle {programme.cycle_number}",
        checkins_per_week=health.checkins_per_week,
        by_role=health.by_role,
        usefulness=health.usefulness_counts,
        departments=[(d.group, d.people, d.matched) for d in health.departments],
        retention=health.retention,
    )
    return _upload(
        client,
        user_id,
        lambda channel: client.files_upload_v2(
            channel=channel,
            file=png,
            filename=f"{programme.slug}-dashboard.png",
            title=f"{programme.name}: dashboard",
            alt_txt=alt[:1000],
        ),
    )


def send_export(client: WebClient, deps: Deps, programme: Programme, health: insight.Health, *, user_id: str) -> bool:
    assert programme.id is not None
    with deps.db.session() as session:
        rows = insight.pair_rows(session=session, programme_id=programme.id)
    files = [
        {
            "content": export.pairs_csv(programme.name, rows),
            "filename": f"{programme.slug}-pairs.csv",
            "title": f"{programme.name}: one row per pair per cycle",
        },
        {
            "content": export.summary_csv(programme.name, programme.cycle_number, health),
            "filename": f"{programme.slug}-summary.csv",
            "title": f"{programme.name}: summary",
        },
    ]
    return _upload(
        client,
        user_id,
        lambda channel: client.files_upload_v2(
            channel=channel,
            file_uploads=files,
            initial_comment=(
                f"*{escape(programme.name)}*: pairs and summary as CSV. Private reflections, “rather not” lists, "
                "milestone evidence, survey comments and why a match ended are not included."
            ),
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
    sent = programme is not None and message == PREVIEW_SENT.format(name=escape(programme.name))
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

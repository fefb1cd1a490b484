"""Recognition: `/mentor kudos @person <what for>` thanks a mentor or peer, in the programme channel or privately
(the giver chooses), and counts it for the digest and the mentor's record."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from blocks import growth as growth_ui
from gateway.slack import send_dm
from handlers.common import Invocation, selected, state_value, submission_key, team_of, user_of
from handlers.deps import Deps, deps_of
from mentoring.kudos import kudos_posted, record_kudos, shared_programme
from store import queries
from store.models import Programme

logger = logging.getLogger(__name__)

_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>\s*")
_NAME = re.compile(r"^@([\w.\-]+)\s*")


def parse_kudos(args: str) -> tuple[str | None, str | None, str]:
    """`<@U123|ana> for X` -> ("U123", None, "for X"); `@ana for X` -> (None, "ana", "for X")."""
    text = args.strip()
    if match := _MENTION.match(text):
        return match.group(1), None, text[match.end() :].strip()
    if match := _NAME.match(text):
        return None, match.group(1), text[match.end() :].strip()
    return None, None, text


def find_user(client: WebClient, name: str) -> str | None:
    """A person by Slack handle, display name or first name (what someone typed after @)."""
    wanted = name.lower()
    cursor = None
    try:
        while True:
            page = client.users_list(limit=200, cursor=cursor)
            for user in page.get("members") or []:
                profile = user.get("profile") or {}
                names = {
                    str(user.get("name") or "").lower(),
                    str(profile.get("display_name") or "").lower(),
                    str(profile.get("first_name") or "").lower(),
                }
                if wanted in names and not user.get("deleted") and not user.get("is_bot"):
                    return str(user["id"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None
    except SlackApiError as error:
        logger.warning("users.list failed: %s", error.response.get("error"))
        return None


def kudos_command(inv: Invocation) -> None:
    deps = deps_of(inv.context)
    receiver, name, reason = parse_kudos(inv.args)
    if receiver is None and name:
        receiver = find_user(inv.client, name)
    with deps.db.session() as session:
        memberships = queries.memberships(session=session, team_id=inv.team_id, slack_user_id=inv.user_id)
    if not memberships:
        inv.respond(
            text="Kudos are for people in a programme: join one first with `/mentor join`.", response_type="ephemeral"
        )
        return
    programme = memberships[0][1]
    view = growth_ui.kudos_modal(
        receiver=receiver,
        reason=reason[: growth_ui.MAX_REASON],
        channel_name=programme.name if programme.channel_id else None,
    )
    inv.open_modal(view)


def _kudos_form(view: dict[str, Any]) -> tuple[str, str, bool]:
    """Who to thank, what for, and whether in the programme channel."""
    chosen = state_value(view, "receiver").get("selected_user")
    receiver = chosen if isinstance(chosen, str) else ""
    reason = str(state_value(view, "reason").get("value") or "").strip()
    return receiver, reason, selected(view, "where") == "public"


def _check(
    deps: Deps, *, team_id: str, giver: str, receiver: str, reason: str, public: bool
) -> tuple[Programme | None, dict[str, str]]:
    """The programme the two share (where the kudos goes), and the form's problems."""
    errors: dict[str, str] = {}
    if not reason:
        errors["reason"] = "Say what you're thanking them for."
    elif len(reason) > growth_ui.MAX_REASON:
        errors["reason"] = f"At most {growth_ui.MAX_REASON} characters (this is {len(reason)})."
    programme = None
    if not receiver:
        errors["receiver"] = "Pick who to thank."
    elif receiver == giver:
        errors["receiver"] = "Kudos are for someone else: pick a mentor or peer."
    else:
        with deps.db.session() as session:
            programme = shared_programme(session=session, team_id=team_id, giver=giver, receiver=receiver)
        if programme is None:
            errors["receiver"] = "They aren't in a mentoring programme with you."
    if programme is not None and public and not programme.channel_id:
        errors["where"] = "Your programme has no channel: send it privately."
    return programme, errors


def _deliver(client: WebClient, *, giver: str, channel: str, text: str, blocks: list[Any]) -> SlackResponse | None:
    """Post the kudos; None (and the giver is told) when Slack would not."""
    try:
        return client.chat_postMessage(channel=channel, text=text, blocks=blocks)
    except SlackApiError as error:
        logger.error("could not send kudos: %s", error.response.get("error"), extra={"user_id": giver})
        send_dm(client, giver, f"Slack would not deliver your kudos ({error.response.get('error')}). Please try again.")
        return None


def on_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any) -> None:
    deps = deps_of(context)
    team_id, giver = team_of(body, context), user_of(body)
    receiver, reason, public = _kudos_form(view)
    programme, errors = _check(deps, team_id=team_id, giver=giver, receiver=receiver, reason=reason, public=public)
    if errors or programme is None:
        ack(response_action="errors", errors=errors)
        return
    ack()
    with deps.db.begin() as session:  # recorded first: a replayed submission finds it and posts nothing
        kudos_id = record_kudos(
            session=session,
            team_id=team_id,
            programme=programme,
            giver=giver,
            receiver=receiver,
            reason=reason,
            public=public,
            slack_key=submission_key(view),
        )
    if kudos_id is not None:
        _post(client, deps, kudos_id, programme, giver=giver, receiver=receiver, reason=reason, public=public)


def _post(
    client: WebClient,
    deps: Deps,
    kudos_id: int,
    programme: Programme,
    *,
    giver: str,
    receiver: str,
    reason: str,
    public: bool,
) -> None:
    """Post the kudos recorded as `kudos_id`, keep where it went (or drop it), and thank the giver."""
    text, blocks = growth_ui.kudos_message(giver, receiver, reason, public=public)
    channel = programme.channel_id if public else receiver
    response = _deliver(client, giver=giver, channel=channel or receiver, text=text, blocks=blocks)
    posted_in = str(response.get("channel") or channel) if response is not None else None
    ts = (str(response.get("ts") or "") or None) if response is not None else None
    with deps.db.begin() as session:
        kudos_posted(session=session, kudos_id=kudos_id, channel_id=posted_in, ts=ts)
    if response is None:
        return
    where = f"in <#{programme.channel_id}>" if public else "privately"
    send_dm(client, giver, f":sparkles: Your kudos to <@{receiver}> was sent {where}. Thank you for saying it!")


def register(app: App) -> None:
    app.view(growth_ui.KUDOS_CALLBACK)(on_submit)

"""Matching in Slack: "Match now", the admin's preview, release into rooms, scheduling, rematch."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from blocks import matching as match_ui
from blocks.prompts import prompt_blocks
from blocks.text import escape
from gateway.slack import send_dm, user_profile, workspace_admin_ids
from handlers.common import (
    Invocation,
    access_of,
    action_value,
    admin_click,
    after_answer,
    int_or_none,
    metadata,
    open_modal_for,
    programme_for_admin,
    state_value,
    team_of,
    tell,
    user_of,
)
from handlers.deps import Deps, deps_of
from mentoring import matching
from mentoring.access import REFUSAL
from mentoring.guidance import first_meeting_guide, library
from mentoring.programmes import CADENCE_LABELS
from mentoring.prompting import pair_context
from prompts.library import load_library
from prompts.llm import suggest_prompts
from store.models import MatchStatus, Programme
from store.types import utcnow

logger = logging.getLogger(__name__)

MATCHABLE = ("enrolling", "active")
HELD_BACK = "your programme admins are looking for a better fit for you"


def on_match_now(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    deps = deps_of(context)
    found, refusal = programme_for_admin(client, deps, body, int_or_none(action_value(body)))
    if found is None:
        tell(client, body, refusal or REFUSAL)
        return
    if found.status not in MATCHABLE:
        tell(client, body, f"*{escape(found.name)}* matches people while it is enrolling or running a cycle.")
        return
    present_round(client, deps, body, found)


def _preview_modal(preview: matching.Preview, notice: str | None = None) -> dict[str, Any]:
    return match_ui.preview_modal(
        preview.programme, preview.round_, preview.proposals, preview.names, notice=notice, trained=preview.trained
    )


def present_round(client: WebClient, deps: Deps, body: dict[str, Any], found: Programme) -> None:
    """Run a round for an admin who clicked: open the preview (approval on) or release at once (approval off)."""
    user_id = user_of(body)
    with deps.db.begin() as session:
        preview = matching.start_round(session=session, programme_id=found.id, admin_id=user_id, now=utcnow())
        view = _preview_modal(preview)
        needs_approval = preview.programme.requires_approval
    if needs_approval:
        open_modal_for(client, body, view)
        return
    released, unmatched = release_round(client, deps, round_id=preview.round_id, admin_id=user_id)
    tell(client, body, f"Released {released} matches in *{escape(found.name)}*; {unmatched} people were not matched.")


def _preview_choice(body: dict[str, Any]) -> tuple[int | None, str, int | None]:
    """The match changed in the preview, the change ("drop", "restore", "swap:<match id>") and the match to swap
    with."""
    action = (body.get("actions") or [{}])[0]
    choice = str((action.get("selected_option") or {}).get("value") or "")
    match_id = int_or_none(str(action.get("block_id") or "").removeprefix("match_"))
    swap_with = int_or_none(choice.removeprefix("swap:")) if choice.startswith("swap:") else None
    return match_id, choice, swap_with


def on_preview_change(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """Drop, restore or swap a proposed match, then redraw the preview."""
    ack()
    deps = deps_of(context)
    view = body.get("view") or {}
    match_id, choice, swap_with = _preview_choice(body)
    round_id = int_or_none(metadata(view).get("round_id"))
    team_id, user_id = team_of(body, context), user_of(body)
    with deps.db.begin() as session:
        target = matching.preview_target(session=session, team_id=team_id, round_id=round_id, match_id=match_id)
        if target is None:
            tell(client, body, "This preview is out of date: press *Match now* again.")
            return
        if not access_of(client, session, team_id=team_id, user_id=user_id).can_admin(target.programme.id):
            tell(client, body, REFUSAL)
            return
        notice = matching.change_preview(
            session=session, target=target, choice=choice, swap_with=swap_with, actor_id=user_id, now=utcnow()
        )
        preview = matching.preview(session=session, programme=target.programme, round_=target.round_)
        new_view = _preview_modal(preview, notice)
    try:
        client.views_update(view_id=view.get("id"), hash=view.get("hash"), view=new_view)
    except SlackApiError as error:
        logger.warning("could not redraw the preview: %s", error.response.get("error"))


def _release_refusal(found: matching.RoundOf | None, allowed: bool) -> str | None:
    if found is None:
        return "This preview no longer exists."
    if not allowed:
        return REFUSAL
    if not found.in_preview:
        return "This preview is out of date or already released: press *Match now* again."
    return None


def on_release(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any) -> None:
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    round_id = int_or_none(metadata(view).get("round_id"))
    with deps.db.session() as session:
        found = matching.round_of(session=session, team_id=team_id, round_id=round_id)
        allowed = found is not None and access_of(client, session, team_id=team_id, user_id=user_id).can_admin(
            found.programme.id
        )
    refusal = _release_refusal(found, allowed)
    if refusal is not None:
        ack(response_action="update", view=match_ui.notice_view("Not released", refusal))
        return
    ack(
        response_action="update",
        view=match_ui.notice_view("Releasing matches", "Opening a room for each match and introducing people…"),
    )
    assert found is not None and round_id is not None
    released, unmatched = release_round(client, deps, round_id=round_id, admin_id=user_id)
    after_answer(context)  # the summary replaces the "Releasing" view the ack showed, never the other way round
    try:
        client.views_update(view_id=view.get("id"), view=match_ui.released_view(found.programme, released, unmatched))
    except SlackApiError as error:
        logger.info("could not show the release summary: %s", error.response.get("error"))


def release_round(client: WebClient, deps: Deps, *, round_id: int, admin_id: str) -> tuple[int, int]:
    """Release a previewed round: rooms, introductions, and a kind note to everyone left out."""
    now = utcnow()
    with deps.db.begin() as session:
        done = matching.release_preview(session=session, round_id=round_id, admin_id=admin_id, now=now)
    if done is None:
        return 0, 0
    programme = done.programme
    opened = 0
    for proposal in done.matches:
        if open_room(client, deps, programme, proposal):
            opened += 1
    for person in done.unmatched:
        send_dm(client, person["user_id"], match_ui.unmatched_dm(programme, person["reason"]))
    for user_id in done.held_back:
        send_dm(client, user_id, match_ui.unmatched_dm(programme, HELD_BACK))
    if programme.llm_enabled and deps.llm is not None:
        # Last, once every room is open and everyone told: the model can take its time, and fails to the library.
        for proposal in done.matches:
            first_meeting_prompts(client, deps, programme, proposal.match.id or 0)
    return opened, len(done.unmatched) + len(done.held_back)


def first_meeting_prompts(client: WebClient, deps: Deps, programme: Programme, match_id: int) -> None:
    """Three questions for the pair's first meeting, written for them by the LLM helper, in the thread of their
    room's introduction (only goals, skills and topics are sent; see prompts/context.py)."""
    with deps.db.session() as session:
        match = matching.room_match(session=session, match_id=match_id)
        if match is None or match.room_id is None:
            return
        pair = pair_context(session, match, programme)
        seen = list(match.prompts_seen)
    suggestions = suggest_prompts(deps.llm, pair, library=load_library(), used_ids=seen, seed=match_id * 1000)
    with deps.db.begin() as session:
        matching.note_prompts_seen(session=session, match_id=match_id, library_ids=suggestions.library_ids)
    blocks = prompt_blocks(suggestions, heading="*Three questions for your first meeting*")
    text = "Three questions for your first meeting: " + " / ".join(suggestions.prompts)
    try:
        client.chat_postMessage(channel=match.room_id, text=text[:3000], blocks=blocks, thread_ts=match.intro_ts)
    except SlackApiError as error:
        logger.info("could not post first-meeting prompts: %s", error.response.get("error"))


def _first_name(name: str) -> str:
    return (name.split() or ["someone"])[0]


def open_room(client: WebClient, deps: Deps, programme: Programme, proposal: matching.Proposal) -> bool:
    """Create the match's private room (or a group DM), invite both, and post the introduction."""
    ids = [m.slack_user_id for m in proposal.members]
    profiles = {uid: user_profile(client, uid) for uid in ids}
    gone = [uid for uid, p in profiles.items() if p is None or p.deleted]
    match_id = proposal.match.id
    assert match_id is not None
    if gone:
        _abandon(client, deps, programme, match_id, ids, gone)
        return False
    names = [_first_name(p.name if p else uid) for uid, p in profiles.items()]
    room_id, kind = _create_room(client, programme, names, ids)
    if room_id is None:
        return False
    titles = {uid: (p.title if p else "") for uid, p in profiles.items()}
    text, blocks = match_ui.intro_message(
        programme,
        proposal,
        titles=titles,
        prompt=_first_prompt(deps, programme, proposal),
        cadence=CADENCE_LABELS.get(programme.cadence, "regularly").lower(),
        guide=_intro_guide(deps, programme, proposal),
    )
    try:
        posted = client.chat_postMessage(channel=room_id, text=text, blocks=blocks)
    except SlackApiError as error:
        logger.error("could not post a room introduction: %s", error.response.get("error"), extra={"channel": room_id})
        posted = None
    with deps.db.begin() as session:
        intro_ts = posted.get("ts") if posted else None
        matching.record_room(session=session, match_id=match_id, room_id=room_id, kind=kind, intro_ts=intro_ts)
    for uid in ids:
        send_dm(client, uid, match_ui.matched_dm(programme, [o for o in ids if o != uid], room_id))
    return True


def _abandon(
    client: WebClient, deps: Deps, programme: Programme, match_id: int, ids: list[str], gone: list[str]
) -> None:
    """Someone left Slack before the room opened: end the match, pause them, and tell whoever is still here."""
    with deps.db.begin() as session:
        matching.abandon(session=session, match_id=match_id, team_id=programme.team_id, gone=gone, now=utcnow())
    for uid in ids:
        if uid not in gone:
            send_dm(client, uid, match_ui.partner_gone_dm(programme))


def _intro_guide(deps: Deps, programme: Programme, proposal: matching.Proposal) -> tuple[str, str] | None:
    roles = {m.role for m in proposal.members}
    guide = library(deps.guides_dir).get(first_meeting_guide("peer" if roles == {"peer"} else "mentor", programme.kind))
    return (guide.id, guide.title) if guide else None


def _create_room(client: WebClient, programme: Programme, names: list[str], ids: list[str]) -> tuple[str | None, str]:
    for suffix in range(0, 20):
        name = matching.room_name(programme.slug, names, suffix=suffix)
        try:
            created = client.conversations_create(name=name, is_private=True)
        except SlackApiError as error:
            code = error.response.get("error")
            if code == "name_taken":
                continue
            logger.info("private channels unavailable (%s): using a group DM", code)
            break
        channel_id = created["channel"]["id"]
        try:
            client.conversations_invite(channel=channel_id, users=",".join(ids))
        except SlackApiError as error:
            logger.error("could not invite a match to its room: %s", error.response.get("error"))
        return channel_id, "channel"
    try:
        opened = client.conversations_open(users=",".join(ids))
    except SlackApiError as error:
        logger.error("could not open a group DM for a match: %s", error.response.get("error"))
        return None, "group_dm"
    return opened["channel"]["id"], "group_dm"


def _first_prompt(deps: Deps, programme: Programme, proposal: matching.Proposal) -> str:
    with deps.db.session() as session:
        return matching.first_prompt(session=session, programme=programme, proposal=proposal)


def end_matches(
    client: WebClient,
    deps: Deps,
    *,
    team_id: str,
    user_id: str,
    reason: str,
    programme_id: int | None = None,
    private_reason: str = "",
    match_ids: set[int] | None = None,
) -> int:
    """End the person's active matches gracefully: the room is thanked, partners told kindly (no fault, no
    reason), admins see the private reason. Returns how many ended."""
    now = utcnow()
    with deps.db.begin() as session:
        ended = matching.end_user_matches(
            session=session,
            team_id=team_id,
            user_id=user_id,
            reason=reason,
            now=now,
            workspace_admins=lambda: workspace_admin_ids(client),
            programme_id=programme_id,
            private_reason=private_reason,
            match_ids=match_ids,
        )
    tell_ended(client, ended, ended_by=user_id, private_reason=private_reason)
    return len(ended)


def tell_ended(client: WebClient, ended: list[matching.Ended], *, ended_by: str, private_reason: str) -> None:
    """Thank each ended match's room, tell the partners kindly, and pass the private reason to the admins."""
    for finished in ended:
        if finished.room_id:
            try:
                client.chat_postMessage(channel=finished.room_id, text=match_ui.ended_room_message())
            except SlackApiError as error:
                logger.info("could not thank the room: %s", error.response.get("error"))
        for partner in finished.partners:
            send_dm(client, partner, match_ui.ended_partner_dm(finished.programme))
        for admin in finished.admins:
            send_dm(client, admin, match_ui.ended_admin_dm(finished.programme, ended_by, private_reason))


def rematch_command(inv: Invocation) -> None:
    deps = deps_of(inv.context)
    with deps.db.session() as session:
        current = matching.rematch_choices(session=session, team_id=inv.team_id, user_id=inv.user_id)
    labels = match_ui.rematch_options(current)
    if not labels:
        inv.respond(text="You don't have an active match right now.", response_type="ephemeral")
        return
    inv.open_modal(match_ui.rematch_modal(labels))


def on_rematch_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any) -> None:
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    match_id = int_or_none((state_value(view, "match").get("selected_option") or {}).get("value"))
    reason = str(state_value(view, "reason").get("value") or "").strip()
    if len(reason) > 1000:
        ack(response_action="errors", errors={"reason": "At most 1000 characters."})
        return
    with deps.db.session() as session:
        match = matching.member_match(session=session, match_id=match_id, team_id=team_id, user_id=user_id)
    if match is None or match.status != MatchStatus.ACTIVE.value:
        ack(response_action="errors", errors={"match": "Pick one of your current matches."})
        return
    ack()
    end_matches(
        client,
        deps,
        team_id=team_id,
        user_id=user_id,
        reason="rematch requested",
        private_reason=reason,
        match_ids={match.id or 0},
    )
    send_dm(client, user_id, "Your match has ended. You're on the waiting list and will be matched in the next round.")


def on_manual_pair(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """ "Pair two people" in the admin panel: the modal with two people to pick."""
    found = admin_click(ack, body, client, context)
    if found is None:
        return
    _, programme = found
    open_modal_for(client, body, match_ui.manual_pair_modal(programme))


def on_manual_pair_submit(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any
) -> None:
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    first = str(state_value(view, "first").get("selected_user") or "")
    second = str(state_value(view, "second").get("selected_user") or "")
    programme_id = int_or_none(metadata(view).get("programme_id"))
    with deps.db.begin() as session:
        if not access_of(client, session, team_id=team_id, user_id=user_id).can_admin(programme_id):
            ack(response_action="errors", errors={"first": REFUSAL})
            return
        made = matching.pair_by_hand(
            session=session,
            team_id=team_id,
            programme_id=programme_id,
            first=first,
            second=second,
            admin_id=user_id,
            now=utcnow(),
        )
    if made.proposal is None or made.programme is None:
        ack(response_action="errors", errors={"second": made.refusal[:2000]})
        return
    ack()
    open_room(client, deps, made.programme, made.proposal)


def register(app: App) -> None:
    app.action(match_ui.MATCH_ACTION)(on_match_now)
    app.action(match_ui.MANUAL_ACTION)(on_manual_pair)
    app.view(match_ui.MANUAL_CALLBACK)(on_manual_pair_submit)
    app.action(match_ui.CHANGE_ACTION)(on_preview_change)
    app.view(match_ui.PREVIEW_CALLBACK)(on_release)
    app.view(match_ui.REMATCH_CALLBACK)(on_rematch_submit)

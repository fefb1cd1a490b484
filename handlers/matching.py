"""Matching in Slack: "Match now", the admin's preview, release into rooms, scheduling, rematch."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from blocks import matching as match_ui
from blocks.text import escape
from gateway.slack import send_dm, user_profile, workspace_admin_ids
from handlers.common import (
    Invocation,
    access_of,
    action_value,
    int_or_none,
    metadata,
    open_modal,
    open_modal_for,
    state_value,
    team_of,
    tell,
    user_of,
)
from handlers.deps import Deps, deps_of
from mentoring import matching
from mentoring.access import REFUSAL, programme_admin_ids
from mentoring.meeting import suggest_slots
from mentoring.programmes import CADENCE_LABELS
from prompts.context import Member, PairContext, Stage
from prompts.library import load_library, select_prompts
from store import queries
from store.models import Match, MatchRound, MatchStatus, ParticipantStatus, Programme, RoundStatus
from store.types import utcnow

logger = logging.getLogger(__name__)

MATCHABLE = ("enrolling", "active")
HELD_BACK = "your programme admins are looking for a better fit for you"


def _names(session: Session, programme: Programme) -> dict[str, str]:
    assert programme.id is not None
    return {
        p.slack_user_id: (p.display_name or p.slack_user_id)
        for p in queries.programme_participants(session=session, team_id=programme.team_id, programme_id=programme.id)
    }


def on_match_now(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    deps = deps_of(context)
    from handlers.common import programme_for_admin

    found, refusal = programme_for_admin(client, deps, body, int_or_none(action_value(body)))
    if found is None:
        tell(client, body, refusal or REFUSAL)
        return
    if found.status not in MATCHABLE:
        tell(client, body, f"*{escape(found.name)}* matches people while it is enrolling or running a cycle.")
        return
    present_round(client, deps, body, found)


def present_round(client: WebClient, deps: Deps, body: dict[str, Any], found: Programme) -> None:
    """Run a round for an admin who clicked: open the preview (approval on) or release at once (approval off)."""
    user_id = user_of(body)
    with deps.db.begin() as session:
        programme = session.get(Programme, found.id)
        assert programme is not None and programme.id is not None
        round_ = matching.run_round(session=session, programme=programme, admin_id=user_id, now=utcnow())
        queries.audit(
            session=session,
            team_id=programme.team_id,
            actor_id=user_id,
            action="match.preview",
            programme_id=programme.id,
            details={"round_id": round_.id, "seed": round_.seed, **round_.stats},
        )
        round_id = round_.id
        assert round_id is not None
        view = match_ui.preview_modal(
            programme, round_, matching.proposals(session=session, round_id=round_id), _names(session, programme)
        )
        needs_approval = programme.requires_approval
    if needs_approval:
        open_modal_for(client, body, view)
        return
    released, unmatched = release_round(client, deps, round_id=round_id, admin_id=user_id)
    tell(client, body, f"Released {released} matches in *{escape(found.name)}*; {unmatched} people were not matched.")


def on_preview_change(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """Drop, restore or swap a proposed match, then redraw the preview."""
    ack()
    deps = deps_of(context)
    view = body.get("view") or {}
    action = (body.get("actions") or [{}])[0]
    choice = str((action.get("selected_option") or {}).get("value") or "")
    match_id = int_or_none(str(action.get("block_id") or "").removeprefix("match_"))
    round_id = int_or_none(metadata(view).get("round_id"))
    team_id, user_id = team_of(body, context), user_of(body)
    notice = None
    with deps.db.begin() as session:
        round_ = session.get(MatchRound, round_id) if round_id is not None else None
        match = session.get(Match, match_id) if match_id is not None else None
        if (
            round_ is None
            or match is None
            or round_.team_id != team_id
            or match.round_id != round_.id
            or round_.status != RoundStatus.PREVIEW.value
        ):
            tell(client, body, "This preview is out of date: press *Match now* again.")
            return
        programme = session.get(Programme, round_.programme_id)
        assert programme is not None and programme.id is not None and round_.id is not None
        if not access_of(client, session, team_id=team_id, user_id=user_id).can_admin(programme.id):
            tell(client, body, REFUSAL)
            return
        if choice == "drop" and match.status == MatchStatus.PROPOSED.value:
            match.status = MatchStatus.DROPPED.value
        elif choice == "restore" and match.status == MatchStatus.DROPPED.value:
            match.status = MatchStatus.PROPOSED.value
        elif choice.startswith("swap:"):
            other = session.get(Match, int_or_none(choice.removeprefix("swap:")) or -1)
            if other is None or other.round_id != round_.id or other.status != MatchStatus.PROPOSED.value:
                notice = "That match is no longer in this preview."
            else:
                try:
                    with session.begin_nested():
                        matching.swap(session=session, programme=programme, first=match, second=other, now=utcnow())
                except matching.SwapRefused as refused:
                    notice = f"Not swapped: {refused}."
        session.add(match)
        session.flush()
        if notice is None:
            queries.audit(
                session=session,
                team_id=team_id,
                actor_id=user_id,
                action="match.preview_change",
                programme_id=programme.id,
                details={"round_id": round_.id, "match_id": match.id, "change": choice},
            )
        new_view = match_ui.preview_modal(
            programme,
            round_,
            matching.proposals(session=session, round_id=round_.id),
            _names(session, programme),
            notice=notice,
        )
    try:
        client.views_update(view_id=view.get("id"), hash=view.get("hash"), view=new_view)
    except SlackApiError as error:
        logger.warning("could not redraw the preview: %s", error.response.get("error"))


def on_release(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any) -> None:
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    round_id = int_or_none(metadata(view).get("round_id"))
    with deps.db.session() as session:
        round_ = session.get(MatchRound, round_id) if round_id is not None else None
        if round_ is None or round_.team_id != team_id:
            ack(response_action="update", view=_notice_view("Not released", "This preview no longer exists."))
            return
        programme = session.get(Programme, round_.programme_id)
        assert programme is not None
        allowed = access_of(client, session, team_id=team_id, user_id=user_id).can_admin(programme.id)
        status = round_.status
    if not allowed:
        ack(response_action="update", view=_notice_view("Not released", REFUSAL))
        return
    if status != RoundStatus.PREVIEW.value:
        ack(
            response_action="update",
            view=_notice_view(
                "Not released", "This preview is out of date or already released: press *Match now* again."
            ),
        )
        return
    ack(
        response_action="update",
        view=_notice_view("Releasing matches", "Opening a room for each match and introducing people…"),
    )
    assert round_id is not None
    released, unmatched = release_round(client, deps, round_id=round_id, admin_id=user_id)
    try:
        client.views_update(view_id=view.get("id"), view=match_ui.released_view(programme, released, unmatched))
    except SlackApiError as error:
        logger.info("could not show the release summary: %s", error.response.get("error"))


def _notice_view(title: str, text: str) -> dict[str, Any]:
    from blocks.common import mrkdwn_section, plain

    return {"type": "modal", "title": plain(title, 24), "close": plain("Done", 24), "blocks": [mrkdwn_section(text)]}


def release_round(client: WebClient, deps: Deps, *, round_id: int, admin_id: str) -> tuple[int, int]:
    """Release a previewed round: rooms, introductions, and a kind note to everyone left out."""
    now = utcnow()
    with deps.db.begin() as session:
        round_ = session.get(MatchRound, round_id)
        assert round_ is not None
        if round_.status != RoundStatus.PREVIEW.value:
            return 0, 0
        programme = session.get(Programme, round_.programme_id)
        assert programme is not None
        released = matching.release(session=session, round_=round_, now=now)
        held_back = [
            m.slack_user_id
            for p in matching.proposals(session=session, round_id=round_id)
            if p.match.status == MatchStatus.DROPPED.value
            for m in p.members
        ]
        unmatched = list(round_.unmatched)
        queries.audit(
            session=session,
            team_id=round_.team_id,
            actor_id=admin_id,
            action="match.release",
            programme_id=programme.id,
            details={"round_id": round_id, "matches": len(released), "unmatched": len(unmatched) + len(held_back)},
        )
    opened = 0
    for proposal in released:
        if open_room(client, deps, programme, proposal):
            opened += 1
    for person in unmatched:
        send_dm(client, person["user_id"], match_ui.unmatched_dm(programme, person["reason"]))
    for user_id in held_back:
        send_dm(client, user_id, match_ui.unmatched_dm(programme, HELD_BACK))
    if programme.llm_enabled and deps.llm is not None:
        # Last, once every room is open and everyone told: the model can take its time, and fails to the library.
        for proposal in released:
            first_meeting_prompts(client, deps, programme, proposal.match.id or 0)
    return opened, len(unmatched) + len(held_back)


def first_meeting_prompts(client: WebClient, deps: Deps, programme: Programme, match_id: int) -> None:
    """Three questions for the pair's first meeting, written for them by the LLM helper, in the thread of their
    room's introduction (only goals, skills and topics are sent; see prompts/context.py)."""
    from blocks.prompts import prompt_blocks
    from mentoring.prompting import pair_context
    from prompts.llm import suggest_prompts

    with deps.db.session() as session:
        match = session.get(Match, match_id)
        if match is None or not match.room_id or match.status != MatchStatus.ACTIVE.value:
            return
        pair = pair_context(session, match, programme)
        seen = list(match.prompts_seen)
    suggestions = suggest_prompts(deps.llm, pair, library=load_library(), used_ids=seen, seed=match_id * 1000)
    with deps.db.begin() as session:
        stored = session.get(Match, match_id)
        if stored is not None:
            stored.prompts_seen = [*stored.prompts_seen, *suggestions.library_ids]
            session.add(stored)
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
        with deps.db.begin() as session:
            match = session.get(Match, match_id)
            assert match is not None
            matching.end(
                session=session, match=match, by="mentor-bot", reason="a member is no longer in Slack", now=utcnow()
            )
            for uid in gone:
                queries.set_status(
                    session=session,
                    team_id=programme.team_id,
                    user_id=uid,
                    status=ParticipantStatus.PAUSED,
                    reason="deactivated",
                    only_from=(ParticipantStatus.ACTIVE,),
                )
        for uid in ids:
            if uid not in gone:
                send_dm(
                    client,
                    uid,
                    f"Your match in *{escape(programme.name)}* couldn't start: your partner is no longer in this "
                    "Slack workspace. You're first in line for the next round.",
                )
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
        match = session.get(Match, match_id)
        assert match is not None
        match.room_id, match.room_kind = room_id, kind
        match.intro_ts = posted.get("ts") if posted else None
        session.add(match)
    for uid in ids:
        send_dm(client, uid, match_ui.matched_dm(programme, [o for o in ids if o != uid], room_id))
    return True


def _intro_guide(deps: Deps, programme: Programme, proposal: matching.Proposal) -> tuple[str, str] | None:
    from mentoring.guidance import first_meeting_guide, library

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
        people = {
            p.slack_user_id: p
            for p in queries.programme_participants(
                session=session, team_id=programme.team_id, programme_id=programme.id or 0
            )
        }
    members = [
        Member.from_record(
            {
                "goals": people[m.slack_user_id].goals if m.slack_user_id in people else "",
                "skills_offered": people[m.slack_user_id].skills_offered if m.slack_user_id in people else [],
                "skills_wanted": people[m.slack_user_id].skills_wanted if m.slack_user_id in people else [],
            },
            role=m.role,
        )
        for m in proposal.members
    ]
    context = PairContext.from_members(kind=programme.kind, stage=Stage.FIRST_MEETING, members=members)
    chosen = select_prompts(load_library(), context, count=1, seed=proposal.match.id or 0)
    return chosen[0].mrkdwn if chosen else "What would make these months together worth it for each of you?"


def _member_of(session: Session, match_id: int | None, team_id: str, user_id: str) -> Match | None:
    match = session.get(Match, match_id) if match_id is not None else None
    if match is None or match.team_id != team_id:
        return None
    if user_id not in {m.slack_user_id for m in matching.members(session=session, match_id=match.id or 0)}:
        return None
    return match


def on_schedule(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """'Schedule our first chat': suggest times inside everyone's working hours, in each person's own time."""
    ack()
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    with deps.db.session() as session:
        match = _member_of(session, int_or_none(action_value(body)), team_id, user_id)
        if match is None or match.room_id is None:
            tell(client, body, "That button belongs to someone else's match.")
            return
        ids = [m.slack_user_id for m in matching.members(session=session, match_id=match.id or 0)]
        zones = {
            p.slack_user_id: p.timezone
            for p in queries.programme_participants(session=session, team_id=team_id, programme_id=match.programme_id)
            if p.slack_user_id in ids
        }
    timezones = {uid: zones.get(uid) for uid in ids}
    slots = suggest_slots(list(timezones.values()), now=utcnow())
    text = f"<@{user_id}> would like to find a time. " + match_ui.slots_message(slots, timezones)
    try:
        client.chat_postMessage(channel=match.room_id, text=text)
    except SlackApiError as error:
        logger.error("could not post suggested times: %s", error.response.get("error"))
        tell(client, body, "I couldn't post in your room just now. Please try again.")


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
    ended: list[tuple[Match, list[str], Programme]] = []
    with deps.db.begin() as session:
        for match, group in matching.user_matches(
            session=session, team_id=team_id, user_id=user_id, programme_id=programme_id
        ):
            if match_ids is not None and match.id not in match_ids:
                continue
            if matching.end(session=session, match=match, by=user_id, reason=private_reason or reason, now=now):
                programme = session.get(Programme, match.programme_id)
                assert programme is not None
                ended.append((match, [m.slack_user_id for m in group if m.slack_user_id != user_id], programme))
        admins: dict[int, list[str]] = {}
        if private_reason:
            for _, _, programme in ended:
                assert programme.id is not None
                admins[programme.id] = programme_admin_ids(
                    session, team_id=team_id, programme_id=programme.id, workspace_admins=workspace_admin_ids(client)
                )
    for match, partners, programme in ended:
        if match.room_id:
            try:
                client.chat_postMessage(channel=match.room_id, text=match_ui.ended_room_message())
            except SlackApiError as error:
                logger.info("could not thank the room: %s", error.response.get("error"))
        for partner in partners:
            send_dm(client, partner, match_ui.ended_partner_dm(programme))
        for admin in admins.get(programme.id or 0, []):
            send_dm(
                client,
                admin,
                f"A match in *{escape(programme.name)}* was ended by <@{user_id}>. Their private note for admins:\n"
                f"> {escape(private_reason)}",
            )
    return len(ended)


def rematch_command(inv: Invocation) -> None:
    deps = deps_of(inv.context)
    with deps.db.session() as session:
        current = matching.user_matches(session=session, team_id=inv.team_id, user_id=inv.user_id)
        names = {
            p.slack_user_id: p.display_name or p.slack_user_id
            for match, _ in current
            for p in queries.programme_participants(
                session=session, team_id=inv.team_id, programme_id=match.programme_id
            )
        }
        labels = [
            (
                match.id or 0,
                "With "
                + " & ".join(
                    names.get(m.slack_user_id, "your partner") for m in group if m.slack_user_id != inv.user_id
                ),
            )
            for match, group in current
        ]
    if not labels:
        inv.respond(text="You don't have an active match right now.", response_type="ephemeral")
        return
    problem = open_modal(inv.client, inv.trigger_id, match_ui.rematch_modal(labels), user_id=inv.user_id)
    if problem:
        inv.respond(text=problem, response_type="ephemeral")


def on_rematch_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any) -> None:
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    match_id = int_or_none((state_value(view, "match").get("selected_option") or {}).get("value"))
    reason = str(state_value(view, "reason").get("value") or "").strip()
    if len(reason) > 1000:
        ack(response_action="errors", errors={"reason": "At most 1000 characters."})
        return
    with deps.db.session() as session:
        match = _member_of(session, match_id, team_id, user_id)
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


def register(app: App) -> None:
    app.action(match_ui.MATCH_ACTION)(on_match_now)
    app.action(match_ui.CHANGE_ACTION)(on_preview_change)
    app.action(match_ui.SCHEDULE_ACTION)(on_schedule)
    app.view(match_ui.PREVIEW_CALLBACK)(on_release)
    app.view(match_ui.REMATCH_CALLBACK)(on_rematch_submit)

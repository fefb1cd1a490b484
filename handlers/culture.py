"""Growing the culture: `/mentor map` (the skill supply/demand map), recruiting mentors for a skill in a channel,
and "Join as a mentor" from a recruiting post."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from blocks import culture as culture_ui
from blocks import stories as story_ui
from blocks.common import Block
from gateway.slack import send_dm
from handlers.common import (
    Invocation,
    access_of,
    action_value,
    admin_click,
    int_or_none,
    metadata,
    open_modal_for,
    programme_for_admin,
    selected,
    state_value,
    team_of,
    tell,
    user_of,
)
from handlers.deps import Deps, deps_of
from handlers.join import open_join_modal
from mentoring.access import REFUSAL, Access
from mentoring.culture import alumni_offering, record_recruiting
from mentoring.skillmap import SkillMap, map_programme, skill_map_of
from mentoring.stories import consented, story_for_post
from store import queries
from store.insight import Story
from store.models import Programme, Role

logger = logging.getLogger(__name__)

CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,30}")


def send_map_files(client: WebClient, user_id: str, programme: Programme, skill_map: SkillMap) -> str | None:
    """Upload the chart (PNG) and the table (CSV) to the admin's DM. Returns a problem to tell them, or None."""
    files = culture_ui.map_files(programme, skill_map)
    try:
        channel = client.conversations_open(users=user_id)["channel"]["id"]
        client.files_upload_v2(
            channel=channel, file_uploads=files, initial_comment=culture_ui.files_comment(programme, skill_map)
        )
    except SlackApiError as error:
        code = error.response.get("error")
        logger.error("sending the skill map failed: %s", code, extra={"user_id": user_id, "slack_error": code})
        return f"Slack wouldn't let me send the chart and CSV ({code}). Please try again later."
    return None


def map_command(inv: Invocation) -> None:
    deps = deps_of(inv.context)
    with deps.db.begin() as session:
        access = access_of(inv.client, session, team_id=inv.team_id, user_id=inv.user_id)
        programme: Programme | None = None
        problem = culture_ui.MAP_REFUSAL
        if access.any:
            pick = map_programme(access, session=session, team_id=inv.team_id, wanted=inv.args)
            programme, problem = pick.programme, culture_ui.pick_problem(pick, inv.args)
        skill_map = skill_map_of(session, programme) if programme is not None else None
    if programme is None or skill_map is None:
        inv.respond(text=problem, response_type="ephemeral")
        return
    failed = send_map_files(inv.client, inv.user_id, programme, skill_map)
    text, blocks = culture_ui.map_message(programme, skill_map, files_sent=failed is None)
    inv.respond(text=text, blocks=blocks, response_type="ephemeral")
    if failed:
        inv.respond(text=failed, response_type="ephemeral")


def on_map_files(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """ "Chart and CSV" in App Home: the files to the admin's DM."""
    clicked = admin_click(ack, body, client, context)
    if clicked is None:
        return
    deps, programme = clicked
    with deps.db.session() as session:
        skill_map = skill_map_of(session, programme)
    problem = send_map_files(client, user_of(body), programme, skill_map)
    if problem:
        tell(client, body, problem)


def _recruit_request(raw: str) -> tuple[int | None, str]:
    try:
        request = json.loads(raw)
        return int_or_none(request.get("programme_id")), str(request.get("skill") or "").strip()
    except (ValueError, AttributeError):
        return None, ""


def on_recruit(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """ "Recruit mentors for <skill>": the admin picks the channel to post the invitation in."""
    ack()
    programme_id, skill = _recruit_request(action_value(body))
    if not skill or len(skill) > culture_ui.MAX_SKILL_CHARS:
        tell(client, body, "That button is out of date. Run `/mentor map` again.")
        return
    programme, refusal = programme_for_admin(client, deps_of(context), body, programme_id)
    if programme is None:
        tell(client, body, refusal or REFUSAL)
        return
    with deps_of(context).db.session() as session:
        shared = consented(session=session, programme_id=programme.id or 0)
    open_modal_for(client, body, culture_ui.recruit_modal(programme, skill, shared))


def _clean_note(text: str) -> str:
    return "".join(ch for ch in text.strip() if ch in "\n\t" or ch.isprintable())


@dataclass(frozen=True)
class RecruitForm:
    programme_id: int | None
    skill: str
    channel: str  # "" when none was picked
    note: str
    story_id: int | None = None  # the consent of the success story to quote, if one was picked


def _recruit_form(view: dict[str, Any]) -> RecruitForm:
    meta = metadata(view)
    channel = state_value(view, "channel").get("selected_conversation")
    return RecruitForm(
        programme_id=int_or_none(meta.get("programme_id")),
        skill=str(meta.get("skill") or "").strip(),
        channel=channel if isinstance(channel, str) else "",
        note=_clean_note(str(state_value(view, "note").get("value") or "")),
        story_id=int_or_none(selected(view, story_ui.RECRUIT_STORY_BLOCK)),
    )


def _recruit_errors(form: RecruitForm, programme: Programme | None, access: Access) -> dict[str, str]:
    """The form's inline errors by block id; none when the invitation can be posted."""
    if programme is None or not access.can_admin(programme.id):
        return {"channel": REFUSAL if programme else "That programme doesn't exist."}
    if not form.skill or len(form.skill) > culture_ui.MAX_SKILL_CHARS:
        return {"channel": "This form is out of date: close it and run /mentor map."}
    if not CHANNEL_ID.fullmatch(form.channel):
        return {"channel": "Pick a channel from the list."}
    if len(form.note) > culture_ui.MAX_NOTE:
        return {"note": f"The note can be at most {culture_ui.MAX_NOTE} characters."}
    return {}


def _story_error(form: RecruitForm, story: Story | None) -> dict[str, str]:
    """A story picked that is no longer shared (withdrawn since the form opened) is refused inline."""
    if form.story_id is not None and story is None:
        return {story_ui.RECRUIT_STORY_BLOCK: "Its author no longer shares this story. Pick another, or none."}
    return {}


def on_recruit_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any) -> None:
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    form = _recruit_form(view)
    with deps.db.session() as session:
        programme = queries.get_programme(session=session, team_id=team_id, programme_id=form.programme_id)
        access = access_of(client, session, team_id=team_id, user_id=user_id)
        story = story_for_post(session=session, programme_id=form.programme_id, consent_id=form.story_id)
    errors = _recruit_errors(form, programme, access) or _story_error(form, story)
    if errors or programme is None:
        ack(response_action="errors", errors=errors)
        return
    ack()
    text, blocks = culture_ui.recruit_post(programme, form.skill, admin_id=user_id, note=form.note, story=story)
    problem = _post(client, form.channel, text, blocks)
    if problem:
        send_dm(client, user_id, culture_ui.recruit_failed(form.skill, form.channel, problem))
        return
    with deps.db.begin() as session:
        record_recruiting(
            session=session,
            team_id=team_id,
            actor_id=user_id,
            programme=programme,
            skill=form.skill,
            channel=form.channel,
        )
    send_dm(client, user_id, culture_ui.recruit_posted(programme, form.skill, form.channel))


def _post(client: WebClient, channel: str, text: str, blocks: list[Block]) -> str | None:
    """Post in a channel, joining it first if the bot is not in it yet. Returns a problem, or None."""
    for attempt in (1, 2):
        try:
            client.chat_postMessage(channel=channel, text=text, blocks=blocks, unfurl_links=False)
            return None
        except SlackApiError as error:
            code = error.response.get("error")
            if attempt == 1 and code == "not_in_channel":
                try:
                    client.conversations_join(channel=channel)
                    continue
                except SlackApiError as joining:
                    code = joining.response.get("error")
            logger.info("posting a recruiting message failed: %s", code, extra={"channel": channel})
            if code in ("not_in_channel", "channel_not_found", "method_not_supported_for_channel_type"):
                return f"I'm not in that channel ({code}). Invite me with `/invite @mentor-bot` there, then try again."
            return f"Slack said {code}. Please try again in a moment."
    return "I couldn't join that channel."


def _join_as_mentor(
    client: WebClient, deps: Deps, body: dict[str, Any], *, team_id: str, slug: str, offering: list[str]
) -> None:
    """The join form with role mentor and the skills to offer filled in (or what stopped it, in place)."""
    problem = open_join_modal(
        client,
        deps,
        team_id=team_id,
        user_id=user_of(body),
        trigger_id=body.get("trigger_id", ""),
        wanted=slug,
        as_role=Role.MENTOR.value,
        offering=offering,
    )
    if problem:
        tell(client, body, problem)


def on_recruit_join(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """ "Join as a mentor" in a recruiting post: the join form with role mentor and the skill filled in."""
    ack()
    deps = deps_of(context)
    team_id = team_of(body, context)
    programme_id, skill = _recruit_request(action_value(body))
    with deps.db.session() as session:
        programme = queries.get_programme(session=session, team_id=team_id, programme_id=programme_id)
        slug = programme.slug if programme else ""
    if not slug:
        tell(client, body, "That programme doesn't exist any more. `/mentor join` shows the open ones.")
        return
    _join_as_mentor(client, deps, body, team_id=team_id, slug=slug, offering=[skill] if skill else [])


def on_alumni_accept(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """'I'd like to mentor': the join form as a mentor, offering the skills they worked on this cycle."""
    ack()
    deps = deps_of(context)
    team_id = team_of(body, context)
    with deps.db.session() as session:
        offer = alumni_offering(
            session=session, team_id=team_id, user_id=user_of(body), programme_id=int_or_none(action_value(body))
        )
    if offer is None:
        tell(client, body, "That programme doesn't exist any more. `/mentor join` shows the open ones.")
        return
    programme, offering = offer
    _join_as_mentor(client, deps, body, team_id=team_id, slug=programme.slug, offering=offering)


def on_alumni_decline(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    tell(
        client,
        body,
        "No problem at all. If you change your mind, `/mentor join` lets you sign up as a mentor any time.",
        replace=True,
    )


def register(app: App) -> None:
    app.action(culture_ui.ALUMNI_ACCEPT_ACTION)(on_alumni_accept)
    app.action(culture_ui.ALUMNI_DECLINE_ACTION)(on_alumni_decline)
    app.action(culture_ui.MAP_FILES_ACTION)(on_map_files)
    app.action(re.compile(f"^{culture_ui.RECRUIT_ACTION}(:|$)"))(on_recruit)
    app.action(culture_ui.RECRUIT_JOIN_ACTION)(on_recruit_join)
    app.view(culture_ui.RECRUIT_CALLBACK)(on_recruit_submit)

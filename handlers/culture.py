"""Growing the culture: `/mentor map` (the skill supply/demand map), recruiting mentors for a skill in a channel,
and "Join as a mentor" from a recruiting post."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from blocks import culture as culture_ui
from blocks import skillchart
from blocks.common import Block
from blocks.text import escape, truncate
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
    state_value,
    team_of,
    tell,
    user_of,
)
from handlers.deps import deps_of
from mentoring.access import REFUSAL, Access
from mentoring.skillmap import SkillMap, build_map, sides, to_csv
from store import queries
from store.models import Programme, ProgrammeStatus, Role

logger = logging.getLogger(__name__)

MAP_REFUSAL = "The skill map is for programme admins: it shows what a programme's people want and offer. " + REFUSAL
CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,30}")


def skill_map_of(session: Session, programme: Programme) -> SkillMap:
    assert programme.id is not None
    wanting, offering, _ = sides(programme.kind)
    wanted, offered, people = queries.skill_demand(
        session=session, programme_id=programme.id, wanting=wanting, offering=offering
    )
    return build_map(
        programme.name, skills=programme.skills, wanted=wanted, offered=offered, people=people, kind=programme.kind
    )


def send_map_files(client: WebClient, user_id: str, programme: Programme, skill_map: SkillMap) -> str | None:
    """Upload the chart (PNG) and the table (CSV) to the admin's DM. Returns a problem to tell them, or None."""
    png = skillchart.render_png(skill_map)
    slug = programme.slug or "programme"
    try:
        channel = client.conversations_open(users=user_id)["channel"]["id"]
        client.files_upload_v2(
            channel=channel,
            file_uploads=[
                {"content": png, "filename": f"skill-map-{slug}.png", "title": f"Skill map: {programme.name}"},
                {"content": to_csv(skill_map), "filename": f"skill-map-{slug}.csv", "title": "Skill map (CSV)"},
            ],
            initial_comment=culture_ui.files_comment(programme, skill_map),
        )
    except SlackApiError as error:
        code = error.response.get("error")
        logger.error("sending the skill map failed: %s", code, extra={"user_id": user_id, "slack_error": code})
        return f"Slack wouldn't let me send the chart and CSV ({code}). Please try again later."
    return None


def _pick(session: Session, access: Access, *, team_id: str, wanted: str) -> tuple[Programme | None, str | None]:
    """The programme `/mentor map [wanted]` is about, or what to tell the admin."""
    mine = [p for p in queries.programmes(session=session, team_id=team_id) if access.can_admin(p.id)]
    names = ", ".join(f"*{escape(p.name)}*" for p in mine[:20]) or "none"
    if wanted:
        programme = queries.find_programme(session=session, team_id=team_id, text=wanted)
        if programme is None:
            return None, f"There is no programme called “{escape(truncate(wanted, 80))}”. Yours: {names}."
        if not access.can_admin(programme.id):
            return None, MAP_REFUSAL
        return programme, None
    running = [p for p in mine if p.status in (ProgrammeStatus.ENROLLING.value, ProgrammeStatus.ACTIVE.value)]
    candidates = running or mine
    if len(candidates) == 1:
        return candidates[0], None
    if not candidates:
        return None, "You don't administer a programme yet: `/mentor admin` to create one."
    return None, f"Which programme? `/mentor map <programme>`, one of: {names}."


def map_command(inv: Invocation) -> None:
    deps = deps_of(inv.context)
    with deps.db.begin() as session:
        queries.ensure_default_programme(session=session, team_id=inv.team_id, name=deps.default_programme_name)
        access = access_of(inv.client, session, team_id=inv.team_id, user_id=inv.user_id)
        programme: Programme | None = None
        problem: str | None = MAP_REFUSAL
        if access.any:
            programme, problem = _pick(session, access, team_id=inv.team_id, wanted=inv.args)
        skill_map = skill_map_of(session, programme) if programme is not None else None
    if programme is None or skill_map is None:
        inv.respond(text=problem or MAP_REFUSAL, response_type="ephemeral")
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
    open_modal_for(client, body, culture_ui.recruit_modal(programme, skill))


def _clean_note(text: str) -> str:
    return "".join(ch for ch in text.strip() if ch in "\n\t" or ch.isprintable())


def on_recruit_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any) -> None:
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    meta = metadata(view)
    skill = str(meta.get("skill") or "").strip()
    channel = state_value(view, "channel").get("selected_conversation")
    note = _clean_note(str(state_value(view, "note").get("value") or ""))
    with deps.db.session() as session:
        programme = queries.get_programme(
            session=session, team_id=team_id, programme_id=int_or_none(meta.get("programme_id"))
        )
        access = access_of(client, session, team_id=team_id, user_id=user_id)
    if programme is None or not access.can_admin(programme.id):
        ack(response_action="errors", errors={"channel": REFUSAL if programme else "That programme doesn't exist."})
        return
    if not skill or len(skill) > culture_ui.MAX_SKILL_CHARS:
        ack(response_action="errors", errors={"channel": "This form is out of date: close it and run /mentor map."})
        return
    if not isinstance(channel, str) or not CHANNEL_ID.fullmatch(channel):
        ack(response_action="errors", errors={"channel": "Pick a channel from the list."})
        return
    if len(note) > culture_ui.MAX_NOTE:
        ack(response_action="errors", errors={"note": f"The note can be at most {culture_ui.MAX_NOTE} characters."})
        return
    ack()
    text, blocks = culture_ui.recruit_post(programme, skill, admin_id=user_id, note=note)
    problem = _post(client, channel, text, blocks)
    if problem:
        send_dm(
            client, user_id, f"I couldn't post the invitation for *{escape(skill)}* mentors in <#{channel}>: {problem}"
        )
        return
    with deps.db.begin() as session:
        queries.audit(
            session=session,
            team_id=team_id,
            actor_id=user_id,
            action="programme.recruit_mentors",
            programme_id=programme.id,
            details={"skill": skill, "channel": channel},
        )
    send_dm(
        client,
        user_id,
        f"I posted an invitation for mentors in *{escape(skill)}* ({escape(programme.name)}) in <#{channel}>.",
    )


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


def on_recruit_join(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """ "Join as a mentor" in a recruiting post: the join form with role mentor and the skill filled in."""
    from handlers.join import open_join_modal

    ack()
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    programme_id, skill = _recruit_request(action_value(body))
    with deps.db.session() as session:
        programme = queries.get_programme(session=session, team_id=team_id, programme_id=programme_id)
        slug = programme.slug if programme else ""
    if not slug:
        tell(client, body, "That programme doesn't exist any more. `/mentor join` shows the open ones.")
        return
    problem = open_join_modal(
        client,
        deps,
        team_id=team_id,
        user_id=user_id,
        trigger_id=body.get("trigger_id", ""),
        wanted=slug,
        as_role=Role.MENTOR.value,
        offering=[skill] if skill else [],
    )
    if problem:
        tell(client, body, problem)


def on_alumni_accept(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """'I'd like to mentor': the join form as a mentor, offering the skills they worked on this cycle."""
    from handlers.join import open_join_modal
    from mentoring.culture import alumni

    ack()
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    with deps.db.session() as session:
        programme = queries.get_programme(
            session=session, team_id=team_id, programme_id=int_or_none(action_value(body))
        )
        person = (
            queries.get_participant(session=session, team_id=team_id, programme_id=programme.id, slack_user_id=user_id)
            if programme is not None and programme.id is not None
            else None
        )
        _, skills = alumni(session, programme).get(user_id, (0, [])) if programme is not None else (0, [])
    if programme is None or person is None:
        tell(client, body, "That programme doesn't exist any more. `/mentor join` shows the open ones.")
        return
    learned = [s for s in [*person.skills_wanted, *skills] if s in programme.skills]
    problem = open_join_modal(
        client,
        deps,
        team_id=team_id,
        user_id=user_id,
        trigger_id=body.get("trigger_id", ""),
        wanted=programme.slug,
        as_role=Role.MENTOR.value,
        offering=list(dict.fromkeys(learned)),
    )
    if problem:
        tell(client, body, problem)


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

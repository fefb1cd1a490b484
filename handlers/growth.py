"""Growth threads: `/mentor grow` and the "Share as growth thread" message shortcut open a form; the bot posts
it for the person (their name and picture first) in the programme channel or only their room, and records it;
the author edits or deletes it; replies and reactions on it are counted from events."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from blocks import growth as growth_ui
from blocks.text import escape, truncate
from gateway.slack import send_dm
from handlers.common import (
    Invocation,
    int_or_none,
    menu_choice,
    metadata,
    open_modal,
    open_modal_for,
    selected,
    selected_all,
    state_value,
    team_of,
    tell,
    user_of,
)
from handlers.deps import Deps, deps_of
from mentoring.growth import (
    Where,
    count_reaction,
    count_reply,
    delete_thread,
    edit_thread,
    may_edit,
    record_post,
    record_thread,
    thread_and_programme,
    thread_of,
    where_for,
    withdraw,
)
from store.models import GrowthThread, GrowthVisibility, Programme
from store.types import utcnow

logger = logging.getLogger(__name__)


def open_growth(
    client: WebClient, deps: Deps, *, team_id: str, user_id: str, trigger_id: str, learned: str = ""
) -> str | None:
    """Open the growth-thread form; returns a message for the person when there is nowhere to share."""
    with deps.db.session() as session:
        where = where_for(session=session, team_id=team_id, user_id=user_id)
    if where is None:
        return "Growth threads are shared in a programme: join one first with `/mentor join`."
    has_room = where.match is not None and bool(where.match.room_id)
    if not where.programme.channel_id and not has_room:
        return "Your programme has no channel yet and you have no mentoring room: there is nowhere to share it."
    view = growth_ui.growth_modal(
        programme_id=where.programme.id or 0,
        skills=where.programme.skills,
        channel_name=where.programme.name if where.programme.channel_id else None,
        has_room=has_room,
        learned=truncate(learned, growth_ui.MAX_FIELD),
    )
    return open_modal(client, trigger_id, view, user_id=user_id)


def grow_command(inv: Invocation) -> None:
    problem = open_growth(
        inv.client, deps_of(inv.context), team_id=inv.team_id, user_id=inv.user_id, trigger_id=inv.trigger_id
    )
    if problem:
        inv.respond(text=problem, response_type="ephemeral")


def on_shortcut(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """ "Share as growth thread" on a message: only on the person's own messages."""
    ack()
    user_id = user_of(body)
    message = body.get("message")
    if not isinstance(message, dict) or message.get("user") != user_id:
        tell(client, body, "You can share your own messages as growth threads: this one was written by someone else.")
        return
    problem = open_growth(
        client,
        deps_of(context),
        team_id=team_of(body, context),
        user_id=user_id,
        trigger_id=body.get("trigger_id", ""),
        learned=str(message.get("text") or ""),
    )
    if problem:
        tell(client, body, problem)


def author_card(client: WebClient, user_id: str) -> tuple[str, str | None]:
    """The author's name and picture as Slack shows them (`users.info`)."""
    try:
        user = client.users_info(user=user_id).get("user") or {}
    except SlackApiError as error:
        logger.warning("users.info failed: %s", error.response.get("error"), extra={"user_id": user_id})
        return user_id, None
    profile = user.get("profile") or {}
    name = profile.get("real_name") or profile.get("display_name") or user.get("real_name") or user_id
    avatar = profile.get("image_72") or profile.get("image_48")
    return str(name), str(avatar) if avatar else None


@dataclass(frozen=True)
class _Form:
    """The growth-thread form as submitted: the three texts, skill tags, where to share it, and what it edits."""

    texts: dict[str, str]
    skills: list[str]
    visibility: str
    thread_id: int | None
    programme_id: int | None


def _form(view: dict[str, Any]) -> _Form:
    meta = metadata(view)
    return _Form(
        texts={key: str(state_value(view, key).get("value") or "").strip() for key, _ in growth_ui.FIELDS},
        skills=selected_all(view, "skills"),
        visibility=selected(view, "visibility"),
        thread_id=int_or_none(meta.get("thread_id")),
        programme_id=int_or_none(meta.get("programme_id")),
    )


def _errors(form: _Form, where: Where, existing: GrowthThread | None, *, team_id: str, user_id: str) -> dict[str, str]:
    """The form's problems: the texts, the skills and where it goes, or who may edit it."""
    errors: dict[str, str] = {}
    for key, value in form.texts.items():
        if len(value) > growth_ui.MAX_FIELD:
            errors[key] = f"At most {growth_ui.MAX_FIELD} characters (this is {len(value)})."
    if not form.texts["learned"]:
        errors["learned"] = "Say what you learned: it's the heart of a growth thread."
    if len(form.skills) > growth_ui.MAX_SKILL_TAGS or any(s not in where.programme.skills for s in form.skills):
        errors["skills"] = f"Pick up to {growth_ui.MAX_SKILL_TAGS} skills from the list."
    if form.thread_id is not None:
        if not may_edit(existing, team_id=team_id, user_id=user_id):
            errors = {"learned": "Only its author can edit this growth thread (and it must still exist)."}
    elif where.channel_for(form.visibility) is None:
        errors["visibility"] = "Pick where to share it."
    return errors


def on_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any) -> None:
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    form = _form(view)
    with deps.db.session() as session:
        where = where_for(session=session, team_id=team_id, user_id=user_id, programme_id=form.programme_id)
        existing = thread_of(session=session, thread_id=form.thread_id)
    if where is None:
        ack(response_action="errors", errors={"learned": "You're not in this programme any more."})
        return
    errors = _errors(form, where, existing, team_id=team_id, user_id=user_id)
    if errors:
        ack(response_action="errors", errors=errors)
        return
    ack()
    name, avatar = author_card(client, user_id)
    if existing is not None:
        _edit(client, deps, existing, form.texts, form.skills, name=name, avatar=avatar)
    else:
        _post(client, deps, where, form, team_id=team_id, user_id=user_id, author=(name, avatar))


def _post(
    client: WebClient,
    deps: Deps,
    where: Where,
    form: _Form,
    *,
    team_id: str,
    user_id: str,
    author: tuple[str, str | None],
) -> None:
    """Record the growth thread, post it for the author, and tell them where it is (or give back what they
    wrote when Slack would not post it)."""
    texts, visibility = form.texts, form.visibility
    channel = where.channel_for(visibility)
    assert channel is not None
    with deps.db.begin() as session:
        thread = record_thread(
            session=session,
            team_id=team_id,
            where=where,
            author_id=user_id,
            channel_id=channel,
            visibility=visibility,
            texts=texts,
            skills=form.skills,
        )
    text, blocks = growth_ui.growth_message(thread, author_name=author[0], avatar_url=author[1])
    try:
        response = client.chat_postMessage(channel=channel, text=text, blocks=blocks, unfurl_links=False)
    except SlackApiError as error:
        code = error.response.get("error")
        logger.error("could not post a growth thread: %s", code, extra={"user_id": user_id, "channel": channel})
        with deps.db.begin() as session:
            withdraw(session=session, thread_id=thread.id, now=utcnow())
        send_dm(
            client,
            user_id,
            f"Slack would not post your growth thread ({code}). Here is what you wrote, so nothing is lost:\n"
            + "\n".join(f"*{label}:* {escape(texts[key])}" for key, label in growth_ui.FIELDS if texts[key]),
        )
        return
    with deps.db.begin() as session:
        record_post(
            session=session,
            thread_id=thread.id,
            channel_id=str(response.get("channel") or channel),
            ts=str(response.get("ts") or "") or None,
        )
    where_text = "your room" if visibility == GrowthVisibility.ROOM.value else "the programme channel"
    send_dm(client, user_id, f":seedling: Your growth thread is up in {where_text} (<#{channel}>). Thanks for sharing!")


def _edit(
    client: WebClient,
    deps: Deps,
    thread: GrowthThread,
    texts: dict[str, str],
    skills: list[str],
    *,
    name: str,
    avatar: str | None,
) -> None:
    with deps.db.begin() as session:
        stored = edit_thread(session=session, thread_id=thread.id, texts=texts, skills=skills, now=utcnow())
    if stored is None or not stored.channel_id or not stored.ts:
        return
    text, blocks = growth_ui.growth_message(stored, author_name=name, avatar_url=avatar)
    try:
        client.chat_update(channel=stored.channel_id, ts=stored.ts, text=text, blocks=blocks)
    except SlackApiError as error:
        logger.error("could not update a growth thread: %s", error.response.get("error"))
        send_dm(
            client, stored.author_id, "Your changes are saved, but Slack would not update the post. Try again soon."
        )


def _menu_view(verb: str, thread: GrowthThread, programme: Programme) -> dict[str, Any] | None:
    """The form a menu choice opens: editing the growth thread, or confirming its deletion."""
    if verb == "edit":
        return growth_ui.growth_modal(
            programme_id=programme.id or 0,
            skills=programme.skills,
            channel_name=programme.name,
            has_room=thread.match_id is not None,
            thread=thread,
        )
    if verb == "delete":
        return growth_ui.delete_modal(thread)
    return None


def on_menu(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """Edit or delete, from the overflow on the post: only its author may."""
    ack()
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    verb, _, ident = menu_choice(body).partition("|")
    with deps.db.session() as session:
        thread, programme = thread_and_programme(session=session, thread_id=int_or_none(ident))
    if thread is None or programme is None or thread.team_id != team_id or thread.deleted_at is not None:
        tell(client, body, "That growth thread doesn't exist any more.")
        return
    if thread.author_id != user_id:
        tell(client, body, f"Only <@{thread.author_id}> can edit or delete their growth thread.")
        return
    view = _menu_view(verb, thread, programme)
    if view is not None:
        open_modal_for(client, body, view)


def on_delete(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any) -> None:
    deps = deps_of(context)
    team_id, user_id = team_of(body, context), user_of(body)
    thread_id = int_or_none(metadata(view).get("thread_id"))
    with deps.db.begin() as session:
        thread = delete_thread(session=session, team_id=team_id, user_id=user_id, thread_id=thread_id, now=utcnow())
        if thread is None:
            ack()
            send_dm(client, user_id, "That growth thread was already deleted, or isn't yours.")
            return
        channel, ts = thread.channel_id, thread.ts
    ack()
    if channel and ts:
        try:
            client.chat_delete(channel=channel, ts=ts)
        except SlackApiError as error:
            logger.info("could not delete a growth thread's post: %s", error.response.get("error"))
    send_dm(client, user_id, "Your growth thread is deleted.")


# --- events: replies and reactions --------------------------------------------------------------------


def on_message(event: dict[str, Any], body: dict[str, Any], context: Any) -> None:
    """A reply in a growth thread counts (a deleted reply no longer does); other messages are ignored."""
    subtype = event.get("subtype")
    if subtype == "message_deleted":
        message, delta = event.get("previous_message"), -1
    elif subtype in (None, "thread_broadcast", "file_share") and not event.get("bot_id"):
        message, delta = event, 1
    else:
        return
    if not isinstance(message, dict):
        return
    thread_ts, ts, channel = message.get("thread_ts"), message.get("ts"), event.get("channel")
    if not isinstance(thread_ts, str) or not thread_ts or thread_ts == ts or not isinstance(channel, str):
        return
    team_id = str(body.get("team_id") or context.get("team_id") or "")
    with deps_of(context).db.begin() as session:
        count_reply(session=session, team_id=team_id, channel_id=str(channel), thread_ts=str(thread_ts), delta=delta)


def on_reaction(event: dict[str, Any], body: dict[str, Any], context: Any) -> None:
    item = event.get("item")
    if not isinstance(item, dict) or item.get("type") != "message":
        return
    if not isinstance(item.get("channel"), str) or not isinstance(item.get("ts"), str):
        return
    delta = 1 if event.get("type") == "reaction_added" else -1
    team_id = str(body.get("team_id") or context.get("team_id") or "")
    with deps_of(context).db.begin() as session:
        count_reaction(
            session=session, team_id=team_id, channel_id=str(item["channel"]), ts=str(item["ts"]), delta=delta
        )


def register(app: App) -> None:
    app.shortcut(growth_ui.SHORTCUT_CALLBACK)(on_shortcut)
    app.view(growth_ui.GROW_CALLBACK)(on_submit)
    app.view(growth_ui.DELETE_CALLBACK)(on_delete)
    app.action(growth_ui.MENU_ACTION)(on_menu)
    app.event("message")(on_message)
    app.event("reaction_added")(on_reaction)
    app.event("reaction_removed")(on_reaction)

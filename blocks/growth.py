"""Block Kit for learning in public: the growth-thread form and post, and kudos."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from blocks.common import Block, View, context, mrkdwn_section, option, plain
from blocks.text import escape, truncate
from store.models import GrowthThread, GrowthVisibility

GROW_CALLBACK = "growth_submit"
SHORTCUT_CALLBACK = "growth_share"  # the message shortcut "Share as growth thread" (manifest.json)
MENU_ACTION = "growth_menu"  # overflow on the post: "edit|<id>" or "delete|<id>"
DELETE_CALLBACK = "growth_delete"
KUDOS_CALLBACK = "kudos_submit"

MAX_FIELD = 1000
MAX_SKILL_TAGS = 5
MAX_REASON = 500

FIELDS = (("tried", "What I tried"), ("learned", "What I learned"), ("next_step", "What I'll do next"))


def _input(block_id: str, label: str, *, initial: str, optional: bool, limit: int = MAX_FIELD) -> Block:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": "value", "multiline": True, "max_length": limit}
    if initial:
        element["initial_value"] = initial[:limit]
    return {"type": "input", "block_id": block_id, "optional": optional, "label": plain(label), "element": element}


def growth_modal(
    *,
    programme_id: int,
    skills: Sequence[str],
    channel_name: str | None,
    has_room: bool,
    thread: GrowthThread | None = None,
    learned: str = "",
) -> View:
    """What I tried / learned / will do next, skill tags, and where to share it (not changeable when editing)."""
    values = {"tried": "", "learned": learned, "next_step": ""}
    if thread is not None:
        values = {"tried": thread.tried, "learned": thread.learned, "next_step": thread.next_step}
    blocks: list[Block] = [_input(key, label, initial=values[key], optional=key != "learned") for key, label in FIELDS]
    tags: dict[str, Any] = {
        "type": "multi_static_select",
        "action_id": "value",
        "placeholder": plain("Skills this is about"),
        "options": [option(s, s) for s in skills[:100]],
        "max_selected_items": MAX_SKILL_TAGS,
    }
    chosen = [option(s, s) for s in (thread.skills if thread else []) if s in skills[:100]]
    if chosen:
        tags["initial_options"] = chosen
    blocks.append(
        {"type": "input", "block_id": "skills", "optional": True, "label": plain("Skill tags"), "element": tags}
    )
    if thread is None:
        choices = []
        if channel_name:
            choices.append(option(f"The {channel_name} channel", GrowthVisibility.CHANNEL.value))
        if has_room:
            choices.append(option("Only my mentoring room", GrowthVisibility.ROOM.value))
        where: dict[str, Any] = {"type": "radio_buttons", "action_id": "value", "options": choices}
        if choices:
            where["initial_option"] = choices[0]
        blocks.append({"type": "input", "block_id": "visibility", "label": plain("Share it in"), "element": where})
    blocks.append(context("Posted by mentor-bot with your name and picture. You can edit or delete it afterwards."))
    return {
        "type": "modal",
        "callback_id": GROW_CALLBACK,
        "private_metadata": json.dumps({"programme_id": programme_id, "thread_id": thread.id if thread else None}),
        "title": plain("Edit growth thread" if thread else "Share a growth thread", 24),
        "submit": plain("Save" if thread else "Share", 24),
        "close": plain("Cancel", 24),
        "blocks": blocks,
    }


def growth_message(thread: GrowthThread, *, author_name: str, avatar_url: str | None) -> tuple[str, list[Block]]:
    """The post, on the author's behalf: their picture and name first, then what they tried, learned, will do."""
    who: list[dict[str, Any]] = []
    if avatar_url:
        who.append({"type": "image", "image_url": avatar_url, "alt_text": truncate(author_name, 100) or "author"})
    who.append(
        {
            "type": "mrkdwn",
            "text": f"*{escape(truncate(author_name, 80))}* (<@{thread.author_id}>) shared a growth thread",
        }
    )
    blocks: list[Block] = [{"type": "context", "block_id": "author", "elements": who}]
    first = True
    for key, label in FIELDS:
        value = getattr(thread, key)
        if not value:
            continue
        block = mrkdwn_section(f"*{label}*\n{escape(truncate(value, MAX_FIELD))}")
        if first:
            block["block_id"] = "growth"
            block["accessory"] = {
                "type": "overflow",
                "action_id": MENU_ACTION,
                "options": [
                    option("Edit (author only)", f"edit|{thread.id}"),
                    option("Delete (author only)", f"delete|{thread.id}"),
                ],
            }
            first = False
        blocks.append(block)
    if thread.skills:
        blocks.append(context(":label: " + " · ".join(escape(s) for s in thread.skills)))
    blocks.append(context("Reply in the thread: what would you try next?"))
    summary = truncate(thread.learned or thread.tried, 200)
    text = f"{escape(truncate(author_name, 80))} shared a growth thread: {escape(summary)}"
    return text, blocks


def delete_modal(thread: GrowthThread) -> View:
    return {
        "type": "modal",
        "callback_id": DELETE_CALLBACK,
        "private_metadata": json.dumps({"thread_id": thread.id}),
        "title": plain("Delete growth thread", 24),
        "submit": plain("Delete", 24),
        "close": plain("Keep it", 24),
        "blocks": [
            mrkdwn_section(
                "Delete this growth thread? The post is removed from Slack; replies to it stay where they are."
            ),
            context(escape(truncate(thread.learned or thread.tried, 300))),
        ],
    }


def kudos_modal(*, receiver: str | None, reason: str, channel_name: str | None) -> View:
    person: dict[str, Any] = {"type": "users_select", "action_id": "value", "placeholder": plain("Who")}
    if receiver:
        person["initial_user"] = receiver
    where = [option("Privately, just to them", "private")]
    if channel_name:
        where.insert(0, option(f"In the {channel_name} channel", "public"))
    return {
        "type": "modal",
        "callback_id": KUDOS_CALLBACK,
        "title": plain("Give kudos", 24),
        "submit": plain("Send", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            {"type": "input", "block_id": "receiver", "label": plain("Thank"), "element": person},
            _input("reason", "What for", initial=reason, optional=False, limit=MAX_REASON),
            {
                "type": "input",
                "block_id": "where",
                "label": plain("Share it"),
                "element": {
                    "type": "radio_buttons",
                    "action_id": "value",
                    "options": where,
                    "initial_option": where[0],
                },
            },
        ],
    }


def kudos_message(giver: str, receiver: str, reason: str, *, public: bool) -> tuple[str, list[Block]]:
    said = escape(truncate(reason, MAX_REASON))
    if public:
        text = f":sparkles: <@{giver}> thanks <@{receiver}>: {said}"
    else:
        text = f":sparkles: <@{giver}> sent you kudos: {said}"
    return text, [mrkdwn_section(text)]

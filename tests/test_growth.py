"""Learning in public: growth threads posted for people, edited, deleted and counted from events; kudos."""

from __future__ import annotations

import json
from typing import Any

from blocks import growth as growth_ui
from standin import GENERAL_CHANNEL_ID, Seen
from standin.scenes import Actor, World
from store.models import GrowthThread, Kudos
from tests.data import rows, set_programme
from tests.test_matching_flow import release_all, room_of


def post_in(world: World, channel: str, containing: str) -> Seen:
    return world.wait_for(
        lambda: next((m for m in world.standin.messages_in(channel) if containing in json.dumps(m.blocks)), None),
        what=f"a post saying {containing!r}",
    )


def menu(world: World, actor: Actor, post: Seen, verb: str) -> None:
    block = next(b for b in post.blocks if b.get("block_id") == "growth")
    choice = next(o for o in block["accessory"]["options"] if o["value"].startswith(f"{verb}|"))
    world.platform.click(actor.id, growth_ui.MENU_ACTION, message=post, block_id="growth", selected_option=choice)


def thread_row(database_url: str) -> GrowthThread:
    [row] = rows(database_url, GrowthThread)
    return row


def recorded(world: World, database_url: str, post: Seen) -> GrowthThread:
    """The growth thread's row once it knows its post (recorded just after Slack answers)."""

    def posted() -> GrowthThread | None:
        row = thread_row(database_url)
        return row if row.ts == post.ts else None

    return world.wait_for(posted, what="the post recorded")


def event(world: World, payload: dict[str, Any], **kw: Any) -> None:
    reply = world.platform.event(payload, **kw)
    assert reply.status == 200


def test_a_growth_thread_is_posted_edited_counted_and_deleted(world: World, database_url: str) -> None:
    people = release_all(world, database_url)
    set_programme(database_url, channel_id=GENERAL_CHANNEL_ID)
    ana, kenji = people["Ana"], people["Kenji"]

    ana.mentor("grow")
    ana.wait_for_modal("Share a growth thread")
    reply = ana.submit({"learned": "x" * 1001, "tried": None})
    assert reply.json is not None and "At most 1000" in reply.json["errors"]["learned"]
    reply = ana.submit({"learned": None, "skills": ["Not a skill"]})
    assert reply.json is not None and set(reply.json["errors"]) == {"learned", "skills"}
    ana.submit(
        {
            "tried": "Opening with a story <!channel>",
            "learned": "People remember the story, not the slide",
            "next_step": "Try it at the all-hands",
            "skills": ["Public speaking"],
            "visibility": "channel",
        }
    )
    post = post_in(world, GENERAL_CHANNEL_ID, "People remember the story")
    shown = json.dumps(post.blocks)
    assert "&lt;!channel&gt;" in shown and "<!channel>" not in shown
    author = post.blocks[0]
    assert author["type"] == "context" and author["elements"][0]["type"] == "image"
    assert ana.id in author["elements"][0]["image_url"] and "Ana Silva" in json.dumps(author)
    assert "Public speaking" in shown
    row = recorded(world, database_url, post)
    assert row.channel_id == GENERAL_CHANNEL_ID and row.visibility == "channel"

    # the author edits it: the post follows; someone else may not
    menu(world, kenji, post, "edit")
    kenji.wait_for_ephemeral("can edit or delete")
    menu(world, ana, post, "edit")
    ana.wait_for_modal("Edit growth thread")
    ana.submit({"learned": "A story beats a slide, every time"})
    post_in(world, GENERAL_CHANNEL_ID, "A story beats a slide")
    assert thread_row(database_url).learned == "A story beats a slide, every time"

    # replies and reactions are counted, once per event even when Slack retries
    reply_event = {
        "type": "message",
        "channel": GENERAL_CHANNEL_ID,
        "user": kenji.id,
        "text": "Love this",
        "ts": "1790000000.000100",
        "thread_ts": post.ts,
        "event_ts": "1790000000.000100",
        "channel_type": "channel",
    }
    event(world, reply_event, event_id="EvREPLY0001")
    event(world, reply_event, event_id="EvREPLY0001", retry_num=1)
    event(world, {**reply_event, "ts": "1790000000.000200", "thread_ts": "1111.2222"})  # another thread
    event(world, {**reply_event, "ts": post.ts, "thread_ts": None})  # a plain message
    reaction = {
        "type": "reaction_added",
        "user": kenji.id,
        "reaction": "seedling",
        "item_user": "U0BOT0001",
        "item": {"type": "message", "channel": GENERAL_CHANNEL_ID, "ts": post.ts},
        "event_ts": "1790000000.000300",
    }
    event(world, reaction)
    event(world, {**reaction, "user": people["Sam"].id})
    event(world, {**reaction, "type": "reaction_removed"})
    world.wait_for(
        lambda: (r := thread_row(database_url)).reply_count == 1 and r.reaction_count == 1, what="the counts"
    )

    deleted = {
        "type": "message",
        "subtype": "message_deleted",
        "channel": GENERAL_CHANNEL_ID,
        "hidden": True,
        "deleted_ts": reply_event["ts"],
        "ts": "1790000000.000400",
        "event_ts": "1790000000.000400",
        "previous_message": {k: reply_event[k] for k in ("type", "user", "text", "ts", "thread_ts")},
    }
    event(world, deleted)
    event(world, deleted)  # a second delivery of the same deletion (new event id) never goes below zero
    world.wait_for(lambda: thread_row(database_url).reply_count == 0, what="the deleted reply uncounted")

    # the author deletes it: the post goes, the record says so
    menu(world, ana, post, "delete")
    ana.wait_for_modal("Delete growth thread")
    ana.submit({})
    world.wait_for(
        lambda: not any(m.ts == post.ts for m in world.standin.messages_in(GENERAL_CHANNEL_ID)), what="the deletion"
    )
    assert thread_row(database_url).deleted_at is not None


def test_a_growth_thread_can_stay_in_the_room_and_start_from_a_message(world: World, database_url: str) -> None:
    people = release_all(world, database_url)
    ana, kenji = people["Ana"], people["Kenji"]
    room = room_of(database_url, ana.id).room_id or ""
    message = {"user": ana.id, "text": "Today I learned to pause before answering", "ts": "1790000001.000100"}

    world.platform.message_shortcut(kenji.id, growth_ui.SHORTCUT_CALLBACK, message, GENERAL_CHANNEL_ID)
    kenji.wait_for_ephemeral("your own messages")
    world.platform.message_shortcut(ana.id, growth_ui.SHORTCUT_CALLBACK, message, GENERAL_CHANNEL_ID)
    modal = ana.wait_for_modal("Share a growth thread")
    assert "pause before answering" in json.dumps(modal)
    options = next(b for b in modal["blocks"] if b.get("block_id") == "visibility")["element"]["options"]
    assert [o["value"] for o in options] == ["room"]  # no programme channel: only the room
    ana.submit({})
    post = post_in(world, room, "pause before answering")
    row = recorded(world, database_url, post)
    assert row.visibility == "room" and row.channel_id == room
    assert not [m for m in world.standin.messages_in(GENERAL_CHANNEL_ID) if "growth thread" in m.text]


def test_kudos_in_the_channel_or_privately_counted_for_the_mentor(world: World, database_url: str) -> None:
    people = release_all(world, database_url)
    set_programme(database_url, channel_id=GENERAL_CHANNEL_ID)
    ana, sam, ingrid = people["Ana"], people["Sam"], world.person("Ingrid")

    ana.mentor(f"kudos <@{sam.id}|sam.okafor> for the dry run <!here>")
    modal = ana.wait_for_modal("Give kudos")
    assert f'"initial_user": "{sam.id}"' in json.dumps(modal)
    reply = ana.submit({"reason": "r" * 501})
    assert reply.json is not None and "At most 500" in reply.json["errors"]["reason"]
    reply = ana.submit({"receiver": ana.id})
    assert reply.json is not None and "someone else" in reply.json["errors"]["receiver"]
    reply = ana.submit({"receiver": ingrid.id})
    assert reply.json is not None and "aren't in a mentoring programme" in reply.json["errors"]["receiver"]
    ana.submit({})
    post = post_in(world, GENERAL_CHANNEL_ID, "thanks")
    assert f"<@{ana.id}> thanks <@{sam.id}>" in post.text and "&lt;!here&gt;" in post.text

    ana.mentor("kudos @sam.okafor")
    ana.wait_for_modal("Give kudos")
    ana.submit({"reason": "Always makes time", "where": "private"})
    world.wait_for(lambda: any("sent you kudos" in d.text for d in sam.dms()), what="Sam's private kudos")
    kudos = rows(database_url, Kudos)
    assert sorted(k.public for k in kudos) == [False, True] and {k.receiver_id for k in kudos} == {sam.id}

    sam.open_home()
    assert "2 kudos" in json.dumps(sam.wait_for_home("2 kudos"))
    ana.mentor("contributions")
    ana.wait_for_ephemeral("Only programme admins")
    ingrid.mentor("contributions")
    report = ingrid.wait_for_ephemeral("Mentor contributions")
    assert f"<@{sam.id}>" in report.text or f"<@{sam.id}>" in json.dumps(report.blocks)
    assert "2 kudos" in json.dumps(report.blocks)

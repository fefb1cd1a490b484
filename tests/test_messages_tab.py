"""The Messages tab answers: someone who writes to the bot gets a short help and their next step (how to join, when
their match comes, their room and next check-in), once per message, and what they wrote is never stored. The
bot's own messages and edits get no answer, so the bot never talks to itself."""

from __future__ import annotations

import itertools
import json
from typing import Any

from sqlalchemy import MetaData, create_engine, select

from blocks import choosing as choose_ui
from standin import BOT_ID, BOT_USER_ID, Seen
from standin.scenes import Actor, World, join_answers
from tests.data import set_programme
from tests.test_matching_flow import release_all, room_of

SECRET = "my manager Odile is making me miserable"
_ts = itertools.count(1)


def write(world: World, person: Actor, text: str, **extra: Any) -> Any:
    """The person types `text` to the bot in its Messages tab (Slack sends a message.im event)."""
    ts = f"1764590000.{next(_ts):06d}"
    event = {
        "type": "message",
        "channel": world.standin.im_channel(person.id),
        "channel_type": "im",
        "user": person.id,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        **extra,
    }
    return world.platform.event(event)


def answers(person: Actor) -> list[Seen]:
    return [m for m in person.dms() if "Your next step" in m.text]


def wait_for_answer(world: World, person: Actor, count: int = 1) -> Seen:
    return world.wait_for(lambda: answers(person)[count - 1] if len(answers(person)) >= count else None, what="reply")


def stored_anywhere(database_url: str, text: str) -> list[str]:
    """Every table and row whose values contain `text`."""
    engine = create_engine(database_url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        found = []
        with engine.connect() as connection:
            for table in metadata.sorted_tables:
                for row in connection.execute(select(table)):
                    if text in json.dumps([str(v) for v in row]):
                        found.append(table.name)
        return found
    finally:
        engine.dispose()


def test_someone_not_yet_in_a_programme_is_told_how_to_join_and_nothing_they_wrote_is_kept(
    world: World, database_url: str
) -> None:
    ana = world.person("Ana")
    reply = write(world, ana, SECRET)
    assert reply.status == 200
    answer = wait_for_answer(world, ana)
    assert "/mentor join" in answer.text and "Mentoring" in answer.text
    assert "don't keep what you write" in json.dumps(answer.blocks)
    world.settle()
    assert stored_anywhere(database_url, SECRET) == []
    assert stored_anywhere(database_url, "Odile") == []


def test_a_person_waiting_for_a_match_hears_when_it_comes(world: World, database_url: str) -> None:
    ana = world.person("Ana")
    ana.join(join_answers("mentee", wanted=["Public speaking"]))
    ana.wait_for_dm()
    write(world, ana, "when do I get a mentor?")
    answer = wait_for_answer(world, ana)
    assert "waiting for a match" in answer.text and "when the cycle starts" in answer.text


def test_a_matched_person_is_pointed_to_their_room_and_next_check_in(world: World, database_url: str) -> None:
    people = release_all(world, database_url)
    ana = people["Ana"]
    room = room_of(database_url, ana.id).room_id
    write(world, ana, "what now?")
    answer = wait_for_answer(world, ana)
    assert f"<#{room}>" in answer.text and "matched with <@" in answer.text
    assert "check in with you around" in answer.text


def test_a_mentee_who_chooses_their_mentor_is_offered_the_list(world: World, database_url: str) -> None:
    set_programme(database_url, matching="choose")
    ana = world.person("Ana")
    ana.join(join_answers("mentee", wanted=["Public speaking"]))
    ana.wait_for_dm()
    write(world, ana, "hi")
    answer = wait_for_answer(world, ana)
    assert "/mentor mentors" in answer.text and choose_ui.BROWSE_ACTION in json.dumps(answer.blocks)


def test_the_bots_own_messages_edits_and_retries_get_no_second_answer(world: World, database_url: str) -> None:
    ana = world.person("Ana")
    channel = world.standin.im_channel(ana.id)
    first = write(world, ana, "hello")
    wait_for_answer(world, ana)
    again = world.platform.event(first.payload["event"], event_id=first.event_id, retry_num=1)  # Slack retries
    assert again.status == 200
    own = {"type": "message", "channel": channel, "channel_type": "im", "user": BOT_USER_ID, "bot_id": BOT_ID}
    assert world.platform.event({**own, "text": "Your next step", "ts": "1.1", "event_ts": "1.1"}).status == 200
    edited = {"message": {"type": "message", "user": ana.id, "text": "hello!", "ts": "1.2"}, "previous_message": {}}
    assert write(world, ana, "", subtype="message_changed", **edited).status == 200
    world.settle()
    assert len(answers(ana)) == 1


def test_a_reply_in_a_thread_of_a_dm_is_answered_in_that_thread(world: World, database_url: str) -> None:
    ana = world.person("Ana")
    ana.join(join_answers("mentee", wanted=["Public speaking"]))
    joined = ana.wait_for_dm()
    write(world, ana, "can I change my goals?", thread_ts=joined.ts)
    assert wait_for_answer(world, ana).thread_ts == joined.ts

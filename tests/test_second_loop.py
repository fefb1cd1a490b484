"""Second-loop reflection: the check-in form asks this stage's question once, `/mentor reflect` asks it on
request; answers stay private unless their author shares one as a growth thread."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from blocks import admin as admin_ui
from blocks import matching as match_ui
from blocks import secondloop as loop_ui
from scheduling.hours import Window, next_working_slot
from standin.scenes import World, join_answers
from store.models import BeliefReflection, Match, Programme
from store.types import utcnow
from tests.data import rows, run_tick, set_programme
from tests.test_matching_flow import release_all, room_of

SECRET = "SECRET-LOOP I believed asking for help looked weak"
CHECKIN = {"usefulness": "4", "duration": "30"}


def test_the_check_in_asks_once_per_stage_and_the_answer_stays_private(world: World, database_url: str) -> None:
    people = release_all(world, database_url)
    ana, sam = people["Ana"], people["Sam"]
    match = room_of(database_url, ana.id)
    intro = world.standin.messages_in(match.room_id or "")[0]

    ana.click(intro, match_ui.CHECKIN_ACTION, str(match.id))
    form = ana.wait_for_modal("Log a check-in")
    [question] = [b for b in form["blocks"] if b.get("block_id") == loop_ui.QUESTION_BLOCK]
    assert question["optional"] and "believe" in question["label"]["text"] + question["hint"]["text"]
    reply = ana.submit(CHECKIN | {loop_ui.QUESTION_BLOCK: "x" * 1001})
    assert reply.json is not None and set(reply.json["errors"]) == {loop_ui.QUESTION_BLOCK}
    ana.submit(CHECKIN | {loop_ui.QUESTION_BLOCK: SECRET})
    kept = world.wait_for(lambda: next((d for d in ana.dms() if "kept privately" in d.text), None), what="kept")
    [row] = rows(database_url, BeliefReflection)
    assert row.answer == SECRET and row.slack_user_id == ana.id

    ana.click(intro, match_ui.CHECKIN_ACTION, str(match.id))  # the same stage: not asked again
    again = world.wait_for(lambda: ana.modal() if ana.modal()["id"] != form["id"] else None, what="a new form")
    assert again["title"]["text"] == "Log a check-in"
    assert loop_ui.QUESTION_BLOCK not in json.dumps(again["blocks"])
    sam.click(intro, match_ui.CHECKIN_ACTION, str(match.id))  # each person answers their own
    assert loop_ui.QUESTION_BLOCK in json.dumps(sam.wait_for_modal("Log a check-in")["blocks"])

    sam.click(kept, loop_ui.SHARE_ACTION, str(row.id))  # someone else's answer cannot be shared
    sam.wait_for_ephemeral("Only the author")
    world.settle()
    leaked = [c.method for c in world.standin.calls if SECRET in json.dumps(c.params)]
    assert leaked == [], leaked  # never sent anywhere, not even back to Ana, until she shares it

    ana.click(kept, loop_ui.SHARE_ACTION, str(row.id))
    growth = ana.wait_for_modal("Share a growth thread")
    assert SECRET in json.dumps(growth["blocks"])  # her own answer, for her to edit before posting


def test_reflect_on_request(world: World, database_url: str) -> None:
    people = release_all(world, database_url)
    kenji = people["Kenji"]
    kenji.mentor("reflect")
    kenji.wait_for_modal("Reflect")
    reply = kenji.submit({loop_ui.QUESTION_BLOCK: "   "})
    assert reply.json is not None and loop_ui.QUESTION_BLOCK in reply.json["errors"]
    kenji.submit({loop_ui.QUESTION_BLOCK: "I thought estimates were promises"})
    world.wait_for(lambda: rows(database_url, BeliefReflection), what="the answer kept")
    kenji.mentor("reflect")  # on request: asked again whenever they like
    kenji.wait_for_modal("Reflect")
    outsider = world.person("Omar")
    outsider.mentor("reflect")
    outsider.wait_for_ephemeral("join one first")


def test_a_peer_circle_gets_one_question_per_stage_answered_privately(world: World, database_url: str) -> None:
    ingrid = world.person("Ingrid")
    ingrid.mentor("admin")
    ingrid.wait_for_ephemeral("Programme admin")
    peers = [world.person(n) for n in ("Ana", "Lea", "Kenji")]
    start = next_working_slot(utcnow(), "UTC", window=Window(days=(1, 2, 3)))
    set_programme(database_url, kind="peer_circles", requires_approval=False, circle_size=3, cycle_started_at=start)
    for person, (offered, wanted) in zip(peers, (("Writing", "Leadership"), ("Leadership", "Writing"),
                                                  ("Writing", "Leadership")), strict=True):  # fmt: skip
        person.join(join_answers("peer", offered=[offered], wanted=[wanted]))
        person.wait_for_dm()
    ingrid.click(
        ingrid.wait_for_ephemeral("Programme admin"), admin_ui.MATCH_ACTION, str(rows(database_url, Programme)[0].id)
    )
    ingrid.wait_for_ephemeral("Released")
    world.settle()
    [circle] = [m for m in rows(database_url, Match) if m.status == "active"]
    assert circle.room_id is not None

    def posts() -> list[Any]:
        return [m for m in world.standin.messages_in(circle.room_id or "") if "question for the circle" in m.text]

    run_tick(world, database_url, start)
    run_tick(world, database_url, start + timedelta(hours=1))  # the same stage: nothing more
    post = world.wait_for(lambda: posts()[0] if posts() else None, what="the circle's question")
    assert len(posts()) == 1 and "What do you believe about this skill today" in post.text

    ana, lea = peers[0], peers[1]
    ana.click(post, loop_ui.CIRCLE_ACTION)
    ana.wait_for_modal("Reflect")
    ana.submit({loop_ui.QUESTION_BLOCK: SECRET})
    world.wait_for(lambda: rows(database_url, BeliefReflection), what="her answer kept")
    [row] = rows(database_url, BeliefReflection)
    assert (row.slack_user_id, row.stage, row.answer) == (ana.id, "first_meeting", SECRET)
    ana.click(post, loop_ui.CIRCLE_ACTION)  # once per stage
    ana.wait_for_ephemeral("answered this stage's question already")
    lea.click(post, loop_ui.CIRCLE_ACTION)  # each member answers their own
    lea.wait_for_modal("Reflect")
    outsider = world.person("Omar")
    outsider.click(post, loop_ui.CIRCLE_ACTION)
    outsider.wait_for_ephemeral("not in")

    later = next_working_slot(start + timedelta(days=20), "UTC", window=Window(days=(1, 2, 3)))
    run_tick(world, database_url, later)  # goal setting: the next stage's question, once
    run_tick(world, database_url, later + timedelta(hours=1))
    world.wait_for(lambda: len(posts()) == 2 or None, what="the next stage's question")
    assert "What belief sits behind the goal" in posts()[1].text and len(posts()) == 2
    world.settle()
    leaked = [c.method for c in world.standin.calls if SECRET in json.dumps(c.params)]
    assert leaked == [], leaked  # private: never posted anywhere

"""Matching in Slack: preview -> drop/swap -> release -> rooms and introductions; rematch; the dry-run CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from blocks import admin as admin_ui
from blocks import matching as match_ui
from standin.scenes import Actor, World, join_answers
from store.db import Database
from store.models import CheckIn, Match, MatchMember, MatchRound, Participant, Programme
from tests.data import rows, set_programme

ROOT = Path(__file__).resolve().parents[1]


def enrol(world: World) -> dict[str, Actor]:
    """Two mentors with three places between them, and four mentees who want what they offer."""
    people = {n: world.person(n) for n in ("Sam", "Lea", "Ana", "Kenji", "Priya", "Maria")}
    people["Sam"].join(
        join_answers("mentor", offered=["Leadership", "Public speaking"], capacity=2, department="Sales")
    )
    people["Lea"].join(
        join_answers("mentor", offered=["Writing", "System design"], capacity=1, department="Engineering")
    )
    people["Ana"].join(join_answers("mentee", wanted=["Public speaking"], department="Engineering"))
    people["Kenji"].join(join_answers("mentee", wanted=["Writing"], department="Data"))
    people["Priya"].join(join_answers("mentee", wanted=["Leadership"], department="Design"))
    people["Maria"].join(join_answers("mentee", wanted=["Negotiation"], department="Product"))
    for person in people.values():
        person.wait_for_dm()
    return people


def match_now(world: World, admin: Actor, database_url: str) -> dict[str, Any]:
    programme = rows(database_url, Programme)[0]
    admin.mentor("admin")
    panel = admin.wait_for_ephemeral("Programme admin")
    admin.click(panel, admin_ui.MATCH_ACTION, str(programme.id))
    return admin.wait_for_modal("Match preview")


def change(world: World, admin: Actor, preview: dict[str, Any], match_id: int, value: str) -> dict[str, Any]:
    block = next(b for b in preview["blocks"] if b.get("block_id") == f"match_{match_id}")
    option = next(o for o in block["accessory"]["options"] if o["value"] == value)
    hash_before = preview.get("hash")
    world.platform.click(
        admin.id, match_ui.CHANGE_ACTION, view=preview, block_id=f"match_{match_id}", selected_option=option
    )

    def redrawn() -> dict[str, Any] | None:
        modal = admin.modal()
        return modal if modal.get("hash") != hash_before else None

    return world.wait_for(redrawn, what="the redrawn preview")


def proposed(database_url: str) -> dict[int, list[str]]:
    members: dict[int, list[str]] = {}
    for member in rows(database_url, MatchMember):
        members.setdefault(member.match_id, []).append(member.slack_user_id)
    return members


def test_preview_drop_swap_and_release_into_rooms(world: World, database_url: str) -> None:
    people = enrol(world)
    ingrid = world.person("Ingrid")
    preview = match_now(world, ingrid, database_url)
    text = json.dumps(preview)
    assert "3 matches proposed, 1 person not matched" in text
    assert "wants to grow" in text and "shared working hours" in text
    assert "Not matched this round" in text and people["Maria"].id in text
    assert not [s for p in people.values() for s in p.dms() if "matched" in s.text.lower() and "Welcome" not in s.text]

    matches = {m.id: m for m in rows(database_url, Match)}
    by_mentee = {ids[-1]: mid for mid, ids in proposed(database_url).items()}
    ana_match, kenji_match = by_mentee[people["Ana"].id], by_mentee[people["Kenji"].id]
    preview = change(world, ingrid, preview, kenji_match, "drop")
    assert "_dropped_" in json.dumps(preview)
    preview = change(world, ingrid, preview, kenji_match, "restore")
    preview = change(world, ingrid, preview, ana_match, f"swap:{by_mentee[people['Priya'].id]}")
    after = proposed(database_url)
    assert after[ana_match][-1] == people["Priya"].id  # Sam keeps his slot; the mentees traded places
    assert set(matches) == set(after)

    reply = ingrid.submit({})
    assert reply.json is not None and reply.json["response_action"] == "update"
    world.wait_for(lambda: len(world.standin.calls_to("conversations.create")) >= 3, what="three rooms")
    world.settle()
    rooms = [m for m in rows(database_url, Match) if m.room_id]
    assert len(rooms) == 3 and all(m.status == "active" and m.room_kind == "channel" for m in rooms)
    for call in world.standin.calls_to("conversations.create"):
        assert call.params["name"].startswith("mentoring-") and call.params["is_private"] in (
            True,
            "true",
            "1",
        )
    intro = world.standin.messages_in(rooms[0].room_id)[0]
    intro_text = json.dumps(intro.blocks)
    assert "Why you were matched" in intro_text and "A first question to talk about" in intro_text
    assert "Schedule our first chat" in intro_text and "Log a check-in" in intro_text
    assert len(world.standin.channel_members(rooms[0].room_id)) == 3  # the pair and the bot
    assert "You've been matched" in people["Ana"].transcript()
    people["Ana"].open_home()
    assert "you're matched with" in str(people["Ana"].wait_for_home("matched with"))
    assert "We couldn't match you" in people["Maria"].wait_for_dm(2).text
    assert [r.status for r in rows(database_url, MatchRound)] == ["released"]
    maria = next(p for p in rows(database_url, Participant) if p.slack_user_id == people["Maria"].id)
    assert maria.missed_rounds == 1


def test_without_approval_matches_are_released_at_once(world: World, database_url: str) -> None:
    enrol(world)
    set_programme(database_url, requires_approval=False)
    ingrid = world.person("Ingrid")
    ingrid.mentor("admin")
    panel = ingrid.wait_for_ephemeral("Programme admin")
    ingrid.click(panel, admin_ui.MATCH_ACTION, str(rows(database_url, Programme)[0].id))
    assert "Released 3 matches" in ingrid.wait_for_ephemeral("Released").text
    assert len([m for m in rows(database_url, Match) if m.room_id]) == 3
    assert world.standin.calls_to("views.open")[-1].params["view"]["title"]["text"] != "Match preview"


def test_a_taken_room_name_gets_a_number_and_no_channels_means_a_group_dm(world: World, database_url: str) -> None:
    people = enrol(world)
    set_programme(database_url, requires_approval=False)
    world.standin.add_channel("mentoring-sam-ana", [people["Sam"].id])
    world.standin.add_channel("mentoring-sam-priya", [people["Sam"].id])
    world.standin.fail_next("conversations.create", error="restricted_action", times=0)
    ingrid = world.person("Ingrid")
    ingrid.mentor("admin")
    ingrid.click(
        ingrid.wait_for_ephemeral("Programme admin"), admin_ui.MATCH_ACTION, str(rows(database_url, Programme)[0].id)
    )
    ingrid.wait_for_ephemeral("Released")
    names = [
        c.params["name"]
        for c in world.standin.calls_to("conversations.create")
        if c.status == 200 and c.response.get("ok")
    ]
    assert any(n.endswith("-1") or n.endswith("-2") for n in names)
    assert len(set(names)) == len(names)


def test_rooms_fall_back_to_a_group_dm_when_channels_are_not_allowed(world: World, database_url: str) -> None:
    enrol(world)
    set_programme(database_url, requires_approval=False)
    world.standin.fail_next("conversations.create", error="restricted_action", times=3)
    ingrid = world.person("Ingrid")
    ingrid.mentor("admin")
    ingrid.click(
        ingrid.wait_for_ephemeral("Programme admin"), admin_ui.MATCH_ACTION, str(rows(database_url, Programme)[0].id)
    )
    ingrid.wait_for_ephemeral("Released")
    kinds = sorted(m.room_kind for m in rows(database_url, Match) if m.room_id)
    assert kinds == ["group_dm", "group_dm", "group_dm"]


def test_a_partner_who_left_slack_does_not_get_a_room(world: World, database_url: str) -> None:
    people = enrol(world)
    ingrid = world.person("Ingrid")
    preview = match_now(world, ingrid, database_url)
    world.standin.deactivate(people["Kenji"].id)
    ingrid.submit({})
    assert "no longer in this Slack workspace" in people["Lea"].wait_for_dm(2).text
    world.settle()
    lea_match = next(m for m in rows(database_url, Match) if people["Lea"].id in proposed(database_url)[m.id])
    assert lea_match.status == "ended" and lea_match.room_id is None
    kenji = next(p for p in rows(database_url, Participant) if p.slack_user_id == people["Kenji"].id)
    assert (kenji.status, kenji.status_reason) == ("paused", "deactivated")
    assert preview["callback_id"] == match_ui.PREVIEW_CALLBACK


def test_a_non_admin_cannot_match_or_release(world: World, database_url: str) -> None:
    people = enrol(world)
    ana = people["Ana"]
    programme = rows(database_url, Programme)[0]
    world.platform.click(
        ana.id, admin_ui.MATCH_ACTION, str(programme.id), message={"ts": "1.0", "blocks": []}, channel_id="C0GENERAL1"
    )
    ana.wait_for_ephemeral("Only programme admins")
    preview = match_now(world, world.person("Ingrid"), database_url)
    forged = world.platform.submit_view(ana.id, preview, {})
    assert forged.json is not None and "Only programme admins" in json.dumps(forged.json)
    world.settle()
    assert {m.status for m in rows(database_url, Match)} == {"proposed"}


def release_all(world: World, database_url: str) -> dict[str, Actor]:
    people = enrol(world)
    set_programme(database_url, requires_approval=False)
    ingrid = world.person("Ingrid")
    ingrid.mentor("admin")
    ingrid.click(
        ingrid.wait_for_ephemeral("Programme admin"), admin_ui.MATCH_ACTION, str(rows(database_url, Programme)[0].id)
    )
    ingrid.wait_for_ephemeral("Released")
    world.settle()
    return people


def room_of(database_url: str, user_id: str) -> Match:
    members = proposed(database_url)
    return next(m for m in rows(database_url, Match) if user_id in members[m.id] and m.status == "active")


def test_schedule_and_log_a_check_in_from_the_room(world: World, database_url: str) -> None:
    people = release_all(world, database_url)
    ana = people["Ana"]
    match = room_of(database_url, ana.id)
    assert match.room_id is not None
    intro = world.standin.messages_in(match.room_id)[0]
    ana.click(intro, match_ui.SCHEDULE_ACTION, str(match.id))
    times = world.wait_for(
        lambda: next(
            (m for m in world.standin.messages_in(match.room_id or "") if "would like to find a time" in m.text), None
        ),
        what="suggested times",
    )
    proposals = [b for b in times.blocks if b.get("accessory", {}).get("action_id") == "booking_pick"]
    assert len(proposals) >= 3 and f"<@{ana.id}>" in times.text  # times as buttons: tests/test_booking.py

    world.person("Kenji").click(intro, match_ui.CHECKIN_ACTION, str(match.id))  # not Kenji's match
    world.person("Kenji").wait_for_ephemeral("not in")
    ana.click(intro, match_ui.CHECKIN_ACTION, str(match.id))
    ana.wait_for_modal("Log a check-in")
    reply = ana.submit({"usefulness": None, "duration": "2", "other_topics": "a, b, c, d, e, f"})
    assert reply.json is not None and set(reply.json["errors"]) == {"usefulness", "duration", "other_topics"}
    ana.submit(
        {
            "usefulness": "4",
            "duration": "45",
            "topics": ["Public speaking"],
            "other_topics": "storytelling,  <!channel> ,Public speaking",
            "learned": "Open with the story, not the slide",
            "next_step": "Rehearse the intro twice",
            "reflection": "I was nervous and hid it",
        }
    )
    logged = world.wait_for(
        lambda: next(
            (m for m in world.standin.messages_in(match.room_id or "") if "logged your check-in" in m.text), None
        ),
        what="the check-in in the room",
    )
    assert "Open with the story" in json.dumps(logged.blocks)
    assert "nervous" not in json.dumps([c.params for c in world.standin.calls])
    [checkin] = rows(database_url, CheckIn)
    assert checkin.private_reflection == "I was nervous and hid it" and checkin.duration_minutes == 45
    assert checkin.topics == ["Public speaking", "storytelling", "<!channel>"]  # free-text topics too, once each
    assert "<!channel>" not in json.dumps(logged.blocks) and "&lt;!channel&gt;" in json.dumps(logged.blocks)


def test_rematch_ends_kindly_tells_admins_privately_and_is_not_repeated(world: World, database_url: str) -> None:
    people = release_all(world, database_url)
    ana, sam = people["Ana"], people["Sam"]
    match = room_of(database_url, ana.id)
    ana.mentor("rematch")
    ana.wait_for_modal("End this match")
    ana.submit({"reason": "We never found a time"})
    world.wait_for(lambda: any("has ended" in d.text for d in sam.dms()), what="Sam told")
    said_to_sam = " ".join(d.text for d in sam.dms())
    assert "nobody's fault" in said_to_sam and "never found a time" not in said_to_sam
    assert "never found a time" in world.person("Ingrid").wait_for_dm().text
    assert "come to an end" in world.standin.messages_in(match.room_id or "")[-1].text
    ended = next(m for m in rows(database_url, Match) if m.id == match.id)
    assert ended.status == "ended" and ended.ended_by == ana.id

    ana.mentor("rematch")
    ana.wait_for_ephemeral("don't have an active match")
    world.person("Ingrid").mentor("admin")
    panel = world.person("Ingrid").wait_for_ephemeral("Programme admin", count=2)
    world.person("Ingrid").click(panel, admin_ui.MATCH_ACTION, str(rows(database_url, Programme)[0].id))
    world.person("Ingrid").wait_for_ephemeral("Released", count=2)
    pairs = [set(ids) for ids in proposed(database_url).values()]
    assert pairs.count({ana.id, sam.id}) == 1  # never the same pair twice


def test_leaving_ends_the_match_and_the_partner_is_told_kindly(world: World, database_url: str) -> None:
    people = release_all(world, database_url)
    people["Kenji"].mentor("leave")
    people["Kenji"].wait_for_ephemeral("You've left")
    assert (
        "nobody's fault"
        in world.wait_for(
            lambda: next((d for d in people["Lea"].dms() if "has ended" in d.text), None), what="Lea told"
        ).text
    )


def test_the_dry_run_cli_prints_a_preview_from_a_roster_and_from_the_database(world: World, database_url: str) -> None:
    roster = subprocess.run(
        [sys.executable, "-m", "bot", "match", "--roster", "examples/roster.csv", "--dry-run", "--seed", "7"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert roster.returncode == 0, roster.stderr
    assert "Round preview (mentoring, seed 7)" in roster.stdout and "shared working hours" in roster.stdout
    assert "Unmatched (1)" in roster.stdout

    enrol(world)
    from_db = subprocess.run(
        [sys.executable, "-m", "bot", "match", "--programme", "Mentoring", "--dry-run"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"DATABASE_URL": database_url, "PATH": "/usr/bin"},
    )
    assert from_db.returncode == 0, from_db.stderr
    assert "dry run: nobody is messaged" in from_db.stdout and "Matches (3)" in from_db.stdout
    assert rows(database_url, Match) == []
    missing = subprocess.run(
        [sys.executable, "-m", "bot", "match", "--programme", "Chess", "--dry-run"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"DATABASE_URL": database_url, "PATH": "/usr/bin"},
    )
    assert missing.returncode == 2 and "no programme called 'Chess'" in missing.stderr


def test_my_data_lists_matches_and_forget_me_then_leaves_no_trace(world: World, database_url: str) -> None:
    from tests.test_participant_controls import all_values

    people = release_all(world, database_url)
    ana, sam = people["Ana"], people["Sam"]
    match = room_of(database_url, ana.id)
    intro = world.standin.messages_in(match.room_id or "")[0]
    ana.click(intro, match_ui.CHECKIN_ACTION, str(match.id))
    ana.wait_for_modal("Log a check-in")
    ana.submit({"usefulness": "5", "duration": "30", "reflection": "private words"})
    world.wait_for(lambda: rows(database_url, CheckIn), what="the check-in")

    ana.mentor("my-data")
    ana.wait_for_ephemeral("I've sent you a file")
    exported = json.loads(next(s for s in ana.dms() if s.files).files[0]["bytes"])
    assert exported["matches"][0]["partners"] == [sam.id]
    assert exported["check_ins_you_logged"][0]["private_reflection"] == "private words"

    ana.mentor("forget-me")
    ana.wait_for_modal("Delete my data")
    ana.submit({"confirm": ["yes"]})
    world.wait_for(lambda: any("has ended" in d.text for d in sam.dms()), what="Sam told the match ended")
    # Sam hears first; the deletion is done when Ana is told so.
    world.wait_for(
        lambda: any("everything mentor-bot stored about you" in d.text for d in ana.dms()), what="Ana told it is done"
    )
    world.settle()
    assert not [v for v in all_values(database_url) if ana.id in v]
    assert rows(database_url, CheckIn) == []


def test_the_toolbox_guides_people_for_their_role_and_stage(world: World, database_url: str) -> None:
    people = release_all(world, database_url)
    ana = people["Ana"]
    ana.mentor("guide")
    said = ana.wait_for_ephemeral("Guides for a mentee before your first meeting")
    assert len([b for b in said.blocks if b["type"] == "section"]) >= 3
    match = room_of(database_url, ana.id)
    intro = world.standin.messages_in(match.room_id or "")[0]
    assert "Read the guide" in json.dumps(intro.blocks)
    ana.click(intro, match_ui.GUIDE_ACTION, "first-meeting-agenda")
    guide = ana.wait_for_modal("Guide")
    assert "agenda" in json.dumps(guide["blocks"]).lower()
    people["Lea"].mentor("guide")
    people["Lea"].wait_for_ephemeral("Guides for a mentor before your first meeting")


def test_prompts_fit_the_match_never_repeat_and_can_be_rated(world: World, database_url: str) -> None:
    from store.models import PromptRating

    world.person("Ana").mentor("prompt")
    world.person("Ana").wait_for_ephemeral("don't have one")
    people = release_all(world, database_url)
    ana = people["Ana"]
    ana.mentor("prompt")
    first = ana.wait_for_ephemeral("Something to talk about")
    quotes = [
        b["text"]["text"] for b in first.blocks if b.get("type") == "section" and b["text"]["text"].startswith(">")
    ]
    assert len(quotes) == 3 and "from our library" in json.dumps(first.blocks)
    ana.mentor("prompt")
    second = ana.wait_for_ephemeral("Something to talk about", count=2)
    again = [
        b["text"]["text"] for b in second.blocks if b.get("type") == "section" and b["text"]["text"].startswith(">")
    ]
    assert not set(quotes) & set(again)
    assert len(room_of(database_url, ana.id).prompts_seen) == 6

    rated = next(b for b in second.blocks if "accessory" in b)
    up = rated["accessory"]["options"][0]
    world.platform.click(ana.id, "prompt_rate", block_id=rated.get("block_id"), message=second, selected_option=up)
    ana.wait_for_ephemeral("your rating shapes")
    [rating] = rows(database_url, PromptRating)
    assert rating.value == 1 and rating.prompt_id == up["value"].split("|")[0]


def test_with_the_llm_on_prompts_are_written_for_the_pair_without_names(database_url: str) -> None:
    from tests.conftest import running_world
    from tests.fake_openai import FakeOpenAI

    with (
        FakeOpenAI("good") as fake,
        running_world(database_url, openai_api_key="sk-test", openai_base_url=fake.base_url, openai_timeout=5) as world,
    ):
        people = release_all(world, database_url)
        set_programme(database_url, llm_enabled=True)
        ana = people["Ana"]
        ana.mentor("prompt")
        said = ana.wait_for_ephemeral("Something to talk about")
        assert "written for you by AI" in json.dumps(said.blocks)
        sent = json.dumps(fake.requests)
        assert fake.requests and "Public speaking" in sent
        for person in people.values():
            assert person.id not in sent and person.who.real_name not in sent


def test_with_the_llm_on_each_room_gets_first_meeting_questions_written_for_the_pair(database_url: str) -> None:
    from tests.conftest import running_world
    from tests.fake_openai import FakeOpenAI

    with (
        FakeOpenAI("good") as fake,
        running_world(database_url, openai_api_key="sk-test", openai_base_url=fake.base_url, openai_timeout=5) as world,
    ):
        people = enrol(world)
        set_programme(database_url, requires_approval=False, llm_enabled=True)
        ingrid = world.person("Ingrid")
        ingrid.mentor("admin")
        programme_id = str(rows(database_url, Programme)[0].id)
        ingrid.click(ingrid.wait_for_ephemeral("Programme admin"), admin_ui.MATCH_ACTION, programme_id)
        ingrid.wait_for_ephemeral("Released")
        ana_room = room_of(database_url, people["Ana"].id)

        def questions() -> Any:
            return next(
                (m for m in world.standin.messages_in(ana_room.room_id or "") if "for your first meeting" in m.text),
                None,
            )

        posted = world.wait_for(questions, what="first-meeting questions in Ana's room")
        assert posted.thread_ts == ana_room.intro_ts  # in the thread of the introduction
        assert "written for you by AI" in json.dumps(posted.blocks)
        sent = json.dumps(fake.requests)
        assert len(fake.requests) >= 3  # one per room
        for person in people.values():
            assert person.id not in sent and person.who.real_name not in sent


def test_without_the_llm_rooms_get_no_second_message_of_prompts(world: World, database_url: str) -> None:
    people = release_all(world, database_url)
    room = room_of(database_url, people["Ana"].id)
    assert not [m for m in world.standin.messages_in(room.room_id or "") if "for your first meeting" in m.text]


def test_check_in_dms_come_once_per_cadence_in_each_persons_working_hours(world: World, database_url: str) -> None:
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from blocks import checkins as checkin_ui
    from gateway.slack import make_web_client
    from scheduling.scheduler import tick
    from standin import BOT_TOKEN
    from store.models import OutboxMessage

    people = release_all(world, database_url)
    released = min(m.released_at for m in rows(database_url, Match) if m.released_at)
    db = Database.from_url(database_url)
    client = make_web_client(token=BOT_TOKEN, base_url=world.standin.api_url)
    try:
        assert tick(db, client, now=released + timedelta(days=3))["checkins_planned"] == 0  # not before one cadence
        for hour in range(13 * 24, 20 * 24):  # fortnightly: the first check-in falls in days 14-20
            tick(db, client, now=released + timedelta(hours=hour))
    finally:
        db.dispose()
    sent = [r for r in rows(database_url, OutboxMessage) if r.kind == "checkin"]
    memberships = [uid for ids in proposed(database_url).values() for uid in ids]
    assert sorted(r.recipient for r in sent) == sorted(memberships)  # one per person per match, no repeats
    for row in sent:
        person = next(p for p in rows(database_url, Participant) if p.slack_user_id == row.recipient)
        local = row.sent_at.astimezone(ZoneInfo(person.timezone or "UTC"))
        assert row.status == "sent" and local.weekday() in (1, 2, 3) and 10 <= local.hour < 16, (person.timezone, local)
    for uid in set(memberships):
        assert len([d for d in world.standin.dms(uid) if "Did you and" in d.text]) == memberships.count(uid)

    ana, sam, kenji = people["Ana"], people["Sam"], people["Kenji"]
    asked = next(d for d in ana.dms() if "Did you and" in d.text)
    ana.click(asked, checkin_ui.YES_ACTION, str(room_of(database_url, ana.id).id))
    ana.wait_for_modal("Log a check-in")
    ana.submit({"usefulness": "4", "duration": "30"})
    world.wait_for(
        lambda: any("logged your check-in" in d.text for d in sam.dms()), what="Sam's check-in DM updated in place"
    )
    kenji_dm = next(d for d in kenji.dms() if "Did you and" in d.text)
    kenji.click(kenji_dm, checkin_ui.NOT_YET_ACTION, str(room_of(database_url, kenji.id).id))
    world.wait_for(  # the question replaces the check-in DM, in place
        lambda: any("here's a question to start with" in d.text for d in kenji.dms()), what="Kenji's answer"
    )
    lea = people["Lea"]
    lea_dm = next(d for d in lea.dms() if "Did you and" in d.text)
    lea.click(lea_dm, checkin_ui.HELP_ACTION, str(room_of(database_url, lea.id).id))
    assert "asked for help with their match" in world.person("Ingrid").wait_for_dm().text

"""Growing the culture, in Slack: the skill map an admin sees (text, chart, CSV, App Home), recruiting mentors
for a skill in a channel, and the mentors' channel (a welcome for each new mentor, a monthly circle question)."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime

from blocks import admin as admin_ui
from blocks import culture as culture_ui
from blocks.matching import GUIDE_ACTION
from prompts.guides import load_guides
from prompts.guides.circle import question_for_month
from standin import RANDOM_CHANNEL_ID, Seen
from standin.scenes import Actor, World, join_answers
from store.models import AuditEntry, OutboxMessage, Participant, Programme
from store.types import utcnow
from tests.data import rows, run_tick, set_programme

MAP_REFUSED = "The skill map is for programme admins"


def enrol(world: World) -> dict[str, Actor]:
    """Two mentors; mentees who want System design (nobody offers it) and Public speaking (one mentor does);
    Maria wants Writing but leaves, Tom wants Public speaking and pauses."""
    people = {n: world.person(n) for n in ("Sam", "Lea", "Ana", "Kenji", "Priya", "Maria", "Tom")}
    people["Sam"].join(join_answers("mentor", offered=["Leadership", "Public speaking"], capacity=2))
    people["Lea"].join(join_answers("mentor", offered=["Writing"], capacity=1))
    people["Ana"].join(join_answers("mentee", wanted=["Public speaking", "System design"]))
    people["Kenji"].join(join_answers("mentee", wanted=["System design"]))
    people["Priya"].join(join_answers("mentee", wanted=["System design", "Leadership"]))
    people["Maria"].join(join_answers("mentee", wanted=["Writing"]))
    people["Tom"].join(join_answers("mentee", wanted=["Public speaking"]))
    for person in people.values():
        person.wait_for_dm()
    people["Maria"].mentor("leave")
    people["Maria"].wait_for_ephemeral("You've left")
    people["Tom"].mentor("pause 2w")
    people["Tom"].wait_for_ephemeral("You're paused")
    return people


def files_dm(admin: Actor, count: int = 1) -> Seen:
    return admin.world.wait_for(
        lambda: (lambda f: f[count - 1] if len(f) >= count else None)([d for d in admin.dms() if d.files]),
        what=f"{admin.first_name}'s skill map files #{count}",
    )


def csv_rows(message: Seen) -> list[list[str]]:
    [table] = [f for f in message.files if f["name"].endswith(".csv")]
    return list(csv.reader(io.StringIO(table["bytes"].decode("utf-8-sig"))))


def assert_names_no_one(people: dict[str, Actor], *shown: str) -> None:
    everything = " ".join(shown)
    for person in people.values():
        assert person.id not in everything and person.who.real_name not in everything, person.first_name
        assert not re.search(rf"\b{person.first_name}\b", everything), person.first_name


def test_an_admin_sees_which_mentors_to_recruit_as_text_chart_and_csv(world: World, database_url: str) -> None:
    people = enrol(world)
    ingrid = world.person("Ingrid")
    ingrid.mentor("map")
    said = ingrid.wait_for_ephemeral("Skill map")
    shown = json.dumps(said.blocks)
    assert "Which mentors do we need to recruit?" in shown
    assert "Before the next round is matched, recruit mentors for *System design* (wanted by 3, offered by 0)" in shown
    assert "*Public speaking* (wanted by 2, offered by 1)" in shown  # Tom is paused: still counted
    assert "Writing" in shown and "wanted 0" in shown  # Maria left: her wish is gone; Lea still offers it
    assert "Counted: 4 people who want to grow (mentees and peers) and 2 mentors" in shown
    buttons = [e["text"]["text"] for b in said.blocks if b["type"] == "actions" for e in b["elements"]]
    assert buttons == ["Recruit mentors for System design", "Recruit mentors for Public speaking"]

    sent = files_dm(ingrid)
    assert sorted(f["name"] for f in sent.files) == ["skill-map-mentoring.csv", "skill-map-mentoring.png"]
    [chart] = [f for f in sent.files if f["name"].endswith(".png")]
    assert chart["bytes"].startswith(b"\x89PNG\r\n\x1a\n") and chart["mimetype"] == "image/png"
    assert "mentors to recruit" in sent.text
    table = csv_rows(sent)
    assert table[0] == ["skill", "wanted", "offered", "gap"]
    assert table[1:] == [
        ["System design", "3", "0", "3"],
        ["Public speaking", "2", "1", "1"],
        ["Leadership", "1", "1", "0"],
        ["Writing", "0", "1", "-1"],
    ]
    assert_names_no_one(people, shown, said.text, sent.text, json.dumps(table))

    # The same map in App Home's admin area, with the files a click away.
    ingrid.open_home()
    home = ingrid.wait_for_home("Skill map: who to recruit")
    assert "recruit mentors for *System design*" in json.dumps(home)
    assert_names_no_one(people, json.dumps([b for b in home["blocks"] if "Skill map" in json.dumps(b)]))
    programme = rows(database_url, Programme)[0]
    ingrid.click_home(culture_ui.MAP_FILES_ACTION, str(programme.id))
    assert csv_rows(files_dm(ingrid, 2)) == table
    ingrid.click_home(f"{culture_ui.RECRUIT_ACTION}:1")
    assert "*Public speaking*" in json.dumps(ingrid.wait_for_modal("Recruit mentors")["blocks"])


def test_someone_who_is_not_an_admin_is_refused_the_map(world: World, database_url: str) -> None:
    ana = world.person("Ana")
    ana.join(join_answers("mentee", wanted=["Writing"]))
    ana.wait_for_dm()
    ana.mentor("map")
    assert MAP_REFUSED in ana.wait_for_ephemeral(MAP_REFUSED).text
    ana.open_home()
    assert "Skill map" not in json.dumps(ana.wait_for_home("Your mentoring"))
    # A forged "Chart and CSV" click and a forged recruiting form change nothing.
    programme = rows(database_url, Programme)[0]
    world.platform.click(
        ana.id, culture_ui.MAP_FILES_ACTION, str(programme.id), message={"ts": "1.0", "blocks": []},
        channel_id=RANDOM_CHANNEL_ID,
    )  # fmt: skip
    forged = {"id": "V0FORGED", **culture_ui.recruit_modal(programme, "Writing")}
    reply = world.platform.submit_view(ana.id, forged, {"channel": RANDOM_CHANNEL_ID})
    assert reply.json is not None and "Only programme admins" in reply.json["errors"]["channel"]
    world.settle()
    assert world.standin.calls_to("files.completeUploadExternal") == []
    assert world.standin.messages_in(RANDOM_CHANNEL_ID) == []

    ingrid = world.person("Ingrid")
    ingrid.mentor("map No such thing")
    assert "There is no programme called" in ingrid.wait_for_ephemeral("There is no programme").text


def test_recruiting_mentors_for_a_gap_posts_an_invitation_that_opens_the_join_form(
    world: World, database_url: str
) -> None:
    enrol(world)
    ingrid = world.person("Ingrid")
    ingrid.mentor("map")
    said = ingrid.wait_for_ephemeral("Skill map")
    ingrid.click(said, f"{culture_ui.RECRUIT_ACTION}:0")
    modal = ingrid.wait_for_modal("Recruit mentors")
    assert "*System design*" in json.dumps(modal["blocks"])
    reply = ingrid.submit({"channel": "not a channel"})
    assert reply.json is not None and reply.json["errors"] == {"channel": "Pick a channel from the list."}
    reply = ingrid.submit({"channel": RANDOM_CHANNEL_ID, "note": "<!channel> An hour a fortnight & you'll help"})
    assert reply.status == 200 and reply.body == ""

    post = world.wait_for(lambda: next(iter(world.standin.messages_in(RANDOM_CHANNEL_ID)), None), what="the post")
    assert world.standin.calls_to("conversations.join")[-1].params["channel"] == RANDOM_CHANNEL_ID
    shown = json.dumps([b for b in post.blocks if b["type"] != "actions"])
    assert "Mentors wanted for System design" in shown and "&lt;!channel&gt; An hour a fortnight &amp; you" in shown
    assert "<!channel>" not in shown + post.text
    assert "I posted an invitation for mentors in *System design*" in ingrid.wait_for_dm(2).text
    [entry] = [e for e in rows(database_url, AuditEntry) if e.action == "programme.recruit_mentors"]
    assert (entry.actor_id, entry.details) == (ingrid.id, {"skill": "System design", "channel": RANDOM_CHANNEL_ID})

    # Diego sees the post, clicks Join as a mentor: the form comes with the role and the skill filled in.
    diego = world.person("Diego")
    diego.click(post, culture_ui.RECRUIT_JOIN_ACTION)
    form = diego.wait_for_modal("Join a programme")
    blocks = {b.get("block_id"): b for b in form["blocks"]}
    assert blocks["role"]["element"]["initial_option"]["value"] == "mentor"
    assert [o["value"] for o in blocks["skills_offered"]["element"]["initial_options"]] == ["System design"]
    diego.submit({"department": "Frontend", "capacity": "2"} | {"consent": ["yes"]})
    diego.wait_for_dm()
    mentor = next(p for p in rows(database_url, Participant) if p.slack_user_id == diego.id)
    assert (mentor.role, mentor.skills_offered, mentor.capacity) == ("mentor", ["System design"], 2)

    ingrid.mentor("map mentoring")
    again = ingrid.wait_for_ephemeral("Skill map", count=2)
    assert "*System design* (wanted by 3, offered by 1)" in json.dumps(again.blocks)


def test_a_recruiting_post_in_a_channel_the_bot_cannot_join_is_explained(world: World, database_url: str) -> None:
    ingrid = world.person("Ingrid")
    ingrid.join(join_answers("mentee", wanted=["Security"]))
    ingrid.wait_for_dm()
    secret = world.standin.add_channel("secret", [ingrid.id], private=True, bot_member=False)
    ingrid.mentor("map")
    ingrid.click(ingrid.wait_for_ephemeral("Skill map"), f"{culture_ui.RECRUIT_ACTION}:0")
    ingrid.wait_for_modal("Recruit mentors")
    ingrid.submit({"channel": secret})
    told = world.wait_for(lambda: next((d for d in ingrid.dms() if "couldn't post" in d.text), None), what="why")
    assert "/invite @mentor-bot" in told.text
    assert [e for e in rows(database_url, AuditEntry) if e.action == "programme.recruit_mentors"] == []


def name_mentors_channel(admin: Actor, database_url: str, channel: str) -> None:
    """The admin edits the programme and picks its mentors' channel."""
    admin.mentor("admin")
    panel = admin.wait_for_ephemeral("Programme admin")
    programme = rows(database_url, Programme)[0]
    admin.click(panel, admin_ui.EDIT_ACTION, str(programme.id))
    modal = admin.wait_for_modal("Edit programme")
    assert any(b.get("block_id") == "mentors_channel" for b in modal["blocks"])
    reply = admin.submit({"mentors_channel": channel})
    assert reply.status == 200 and reply.body == "", reply.body


def test_new_mentors_are_welcomed_once_in_the_mentors_channel(world: World, database_url: str) -> None:
    ingrid = world.person("Ingrid")
    mentors = world.standin.add_channel("mentors", [ingrid.id], bot_member=False)
    name_mentors_channel(ingrid, database_url, mentors)
    world.wait_for(lambda: rows(database_url, Programme)[0].mentors_channel_id == mentors, what="the channel saved")
    world.wait_for(  # the bot joins the channel by itself (it is public)
        lambda: any(c.params.get("channel") == mentors for c in world.standin.calls_to("conversations.join")),
        what="the bot joining the mentors' channel",
    )

    lea, ana = world.person("Lea"), world.person("Ana")
    lea.join(join_answers("mentor", offered=["Writing"], capacity=2))
    ana.join(join_answers("mentee", wanted=["Writing"]))
    assert f"<#{mentors}>" in json.dumps(lea.wait_for_dm().blocks)  # where the mentors are, in her welcome DM
    ana.wait_for_dm()
    [planned] = [r for r in rows(database_url, OutboxMessage) if r.kind == "mentor_welcome"]
    assert planned.channel_id == mentors and planned.status == "pending"

    run_tick(world, database_url, utcnow())
    lea.join(
        join_answers("mentor", offered=["Writing", "Coaching"], capacity=3), text="profile", title="Edit your profile"
    )
    lea.wait_for_dm(2)
    run_tick(world, database_url, utcnow())
    welcomes = [m for m in world.standin.messages_in(mentors) if "Please welcome" in m.text]
    assert len(welcomes) == 1
    assert f"<@{lea.id}>" in welcomes[0].text and "Mentoring" in welcomes[0].text
    assert "Writing" not in json.dumps(welcomes[0].blocks)  # her profile stays between her, her match and admins
    assert [r.status for r in rows(database_url, OutboxMessage) if r.kind == "mentor_welcome"] == ["sent"]

    # Forgetting Lea forgets that she was welcomed.
    lea.mentor("forget-me")
    lea.wait_for_modal("Delete my data")
    lea.submit({"confirm": ["yes"]})
    lea.wait_for_dm(3)
    assert not [r for r in rows(database_url, OutboxMessage) if lea.id in f"{r.key} {r.payload} {r.recipient}"]


def circle_posts(world: World, channel: str) -> list[Seen]:
    return [m for m in world.standin.messages_in(channel) if "Mentors' circle" in m.text]


def test_the_mentors_circle_question_is_posted_once_a_month_on_the_first_tuesday(
    world: World, database_url: str
) -> None:
    lea = world.person("Lea")
    lea.join(join_answers("mentor", offered=["Writing"], capacity=2))
    lea.wait_for_dm()
    mentors = world.standin.add_channel("mentors", [lea.id])
    set_programme(database_url, mentors_channel_id=mentors)

    def planned(at: datetime) -> object:
        return run_tick(world, database_url, at)["mentors_circles_planned"]

    assert planned(datetime(2026, 11, 30, 12, 0, tzinfo=UTC)) == 0  # November's Tuesdays are gone
    assert planned(datetime(2026, 12, 1, 9, 59, tzinfo=UTC)) == 0  # Tuesday 1 December, before 10:00 UTC
    assert circle_posts(world, mentors) == []
    assert planned(datetime(2026, 12, 1, 10, 0, tzinfo=UTC)) == 1
    for day, hour in ((1, 11), (15, 12), (31, 23)):
        assert planned(datetime(2026, 12, day, hour, 0, tzinfo=UTC)) == 0
    [december] = circle_posts(world, mentors)
    assert "Mentors' circle · December 2026" in json.dumps(december.blocks, ensure_ascii=False)
    assert question_for_month(2026, 12).question.split(",")[0] in december.text

    assert planned(datetime(2027, 1, 1, 10, 0, tzinfo=UTC)) == 0  # Friday 1 January: not a circle day
    assert planned(datetime(2027, 1, 5, 10, 0, tzinfo=UTC)) == 1  # the first Tuesday
    assert planned(datetime(2027, 1, 6, 11, 0, tzinfo=UTC)) == 0
    posts = circle_posts(world, mentors)
    assert len(posts) == 2 and posts[0].text != posts[1].text
    sent = sorted(r.sent_at for r in rows(database_url, OutboxMessage) if r.kind == "mentors_circle")
    assert sent == [datetime(2026, 12, 1, 10, 0, tzinfo=UTC), datetime(2027, 1, 5, 10, 0, tzinfo=UTC)]

    # The question comes from the toolbox: "Read the guide" opens the guide it grows out of.
    lea.click(posts[1], GUIDE_ACTION)
    guide = load_guides().get(question_for_month(2027, 1).guide)
    assert guide is not None
    assert guide.title in json.dumps(lea.wait_for_modal("Guide")["blocks"])


def test_no_circle_without_a_mentors_channel_or_mentors(world: World, database_url: str) -> None:
    ana = world.person("Ana")
    ana.join(join_answers("mentee", wanted=["Writing"]))
    ana.wait_for_dm()
    first_tuesday = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    assert run_tick(world, database_url, first_tuesday)["mentors_circles_planned"] == 0  # no channel
    mentors = world.standin.add_channel("mentors", [ana.id])
    set_programme(database_url, mentors_channel_id=mentors)
    assert run_tick(world, database_url, first_tuesday)["mentors_circles_planned"] == 0  # no mentor yet
    lea = world.person("Lea")
    lea.join(join_answers("mentor", offered=["Writing"], capacity=1))
    lea.wait_for_dm()
    set_programme(database_url, status="closed")
    assert run_tick(world, database_url, first_tuesday)["mentors_circles_planned"] == 0  # between cycles
    assert circle_posts(world, mentors) == []

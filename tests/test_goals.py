"""Measurable goals: a pair writes what, how they'll know and by when; a past date is refused inline, a date past
the cycle is kept with a note; milestones carry a "done when" into the roadmap, reminders and marking done; the
helper suggests how to know (through a local OpenAI-compatible server), falling back to the curated library."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from blocks import roadmaps as roadmap_ui
from blocks import skillgrowth as skill_ui
from gateway.slack import make_web_client
from prompts.goals import MEASURES
from scheduling.scheduler import tick
from standin import BOT_TOKEN
from standin.platform import view_state
from standin.scenes import Actor, World
from store.db import Database
from store.models import MentorSkillView, Milestone, Roadmap, SkillShare
from store.queries.privacy import export_growth, forget_growth
from store.types import utcnow
from tests.conftest import running_world
from tests.data import rows, set_programme
from tests.fake_openai import FakeOpenAI
from tests.test_matching_flow import release_all


def day(days: int) -> str:
    return (utcnow().date() + timedelta(days=days)).isoformat()


def set_up_smart_goal(world: World, ana: Actor) -> dict[str, Any]:
    """Ana sets up her roadmap with a SMART goal: a date in the past is refused inline, then saved."""
    ana.mentor("roadmap")
    setup = ana.wait_for_modal("Set up your roadmap")
    labels = json.dumps(setup)
    assert "How we'll know" in labels and "By when" in labels and "how you'll both know" in labels
    reply = ana.submit({"goal": "Present our roadmap", "goal_measure": "m" * 301, "goal_by": day(-1)})
    assert reply.json is not None and reply.json["response_action"] == "errors"
    errors = reply.json["errors"]
    assert set(errors) == {"goal_by", "goal_measure"} and "passed" in errors["goal_by"]
    reply = ana.submit(
        {
            "goal": "Present our roadmap at the all-hands",
            "goal_measure": "Three teams ask me <!channel> for the slides",
            "goal_by": day(30),
        }
    )
    assert reply.json is not None and reply.json["response_action"] == "update"
    return reply.json["view"]


def test_a_smart_goal_is_checked_inline_and_shown(world: World, database_url: str) -> None:
    people = release_all(world, database_url)
    ana, sam = people["Ana"], people["Sam"]
    shown = set_up_smart_goal(world, ana)
    [roadmap] = rows(database_url, Roadmap)
    assert roadmap.goal_measure.startswith("Three teams") and roadmap.goal_by == utcnow().date() + timedelta(days=30)
    assert "Three teams" in json.dumps(shown)  # her own roadmap shows it, for her to edit

    sam.mentor("roadmap")  # the mentor sees it read-only, escaped
    seen = json.dumps(sam.wait_for_modal("Roadmap"))
    assert "How we'll know:* Three teams ask me &lt;!channel&gt;" in seen and "*By:*" in seen

    # a date after the cycle is kept, with a note; a date in the past is refused
    ana.mentor("roadmap")
    ana.wait_for_modal("Roadmap")
    reply = ana.submit({"goal_by": day(-3)})
    assert reply.json is not None and "passed" in reply.json["errors"]["goal_by"]
    reply = ana.submit({"goal_by": day(300)})
    assert reply.json is not None and reply.json["response_action"] == "update"
    assert "after the cycle ends" in json.dumps(reply.json["view"])
    assert rows(database_url, Roadmap)[0].goal_by == utcnow().date() + timedelta(days=300)


def test_done_when_shows_in_the_roadmap_the_reminder_and_marking_done(world: World, database_url: str) -> None:
    people = release_all(world, database_url)
    ana = people["Ana"]
    set_up_smart_goal(world, ana)
    roadmap = ana.wait_for_modal("Roadmap")
    world.platform.click(ana.id, roadmap_ui.ADD_ACTION, view=roadmap)
    ana.wait_for_modal("Add a milestone")
    reply = ana.submit({"title": "Run the retro", "due_on": day(10), "done_when": "d" * 301})
    assert reply.json is not None and "At most 300" in reply.json["errors"]["done_when"]
    ana.submit({"title": "Run the retro", "due_on": day(10), "done_when": "Five people say they'd come again"})
    world.wait_for(lambda: "Five people say" in json.dumps(ana.modal()), what="done-when in the roadmap")
    milestone = next(m for m in rows(database_url, Milestone) if m.title == "Run the retro")
    assert milestone.done_when == "Five people say they'd come again"

    db = Database.from_url(database_url)
    client = make_web_client(token=BOT_TOKEN, base_url=world.standin.api_url)
    due = datetime.combine(milestone.due_on, datetime.min.time(), tzinfo=UTC)
    try:
        for hour in range(-5 * 24, 0, 3):
            tick(db, client, now=due + timedelta(hours=hour))
    finally:
        db.dispose()
    reminder = world.wait_for(
        lambda: next((d for d in ana.dms() if "Run the retro" in d.text and "is due on" in d.text), None),
        what="the reminder",
    )
    assert "Done when: Five people say" in reminder.text and "Five people say" in json.dumps(reminder.blocks)

    ana.click(reminder, roadmap_ui.DONE_ACTION, str(milestone.id))
    done = ana.wait_for_modal("Milestone reached")
    assert "Five people say" in json.dumps(done)


def suggest(world: World, ana: Actor, goal: str) -> dict[str, Any]:
    """Ana types a goal and asks how to know she got there: the suggestions are added to the open form."""
    form = ana.modal()
    typed = {**form, "state": view_state(form, {"goal": goal})}
    world.platform.click(ana.id, roadmap_ui.SUGGEST_ACTION, view=typed)
    return world.wait_for(
        lambda: ana.modal() if goal in json.dumps(ana.modal()) and "Ways to know" in json.dumps(ana.modal()) else None,
        what="suggestions in the form",
    )


def test_the_helper_suggests_a_measure_and_the_library_stands_in(database_url: str) -> None:
    with (
        FakeOpenAI("good") as fake,
        running_world(database_url, openai_api_key="sk-test", openai_base_url=fake.base_url, openai_timeout=5) as world,
    ):
        people = release_all(world, database_url)
        ana, sam = people["Ana"], people["Sam"]

        ana.mentor("roadmap")  # the helper is off: the curated library, with no note
        ana.wait_for_modal("Set up your roadmap")
        off = json.dumps(suggest(world, ana, "Get better at it"))
        assert fake.requests == [] and "told me what worked" in off and "unavailable" not in off

        set_programme(database_url, llm_enabled=True)
        suggestions = json.dumps(suggest(world, ana, "Speak up in meetings, like Sam does"))
        assert "Three colleagues say my Public speaking made their work easier" in suggestions
        [request] = fake.requests
        assert request["response_format"]["json_schema"]["name"] == "measurable_goal"
        sent = json.dumps(request)
        assert "Speak up in meetings, like the mentor does" in sent  # the goal, with names replaced by roles
        assert "Sam" not in sent and "Ana" not in sent and sam.id not in sent and ana.id not in sent
        assert "Speak up in meetings" in json.dumps(ana.modal())  # what she typed is kept in the form

        fake.mode = "server_error"  # the helper fails: the curated library, and a short note
        fallback = json.dumps(suggest(world, ana, "Write clearer docs"))
        assert "unavailable right now" in fallback
        assert any(m.replace("{skill}", "Public speaking")[:40] in fallback for m in MEASURES)


def test_a_mentee_shares_her_skills_and_her_mentor_adds_a_view_only_they_see(world: World, database_url: str) -> None:
    people = release_all(world, database_url)
    ana, sam, kenji, ingrid = people["Ana"], people["Sam"], people["Kenji"], world.person("Ingrid")

    ana.mentor("skills")
    ana.wait_for_modal("Where I am today")
    ana.submit({"skill_0": "2"})
    saved = ana.wait_for_modal("Saved")
    assert "Share with my mentor" in json.dumps(saved)  # nothing is shared until she chooses to
    assert not [d for d in sam.dms() if "shared their skill ratings" in d.text]
    world.platform.click(ana.id, skill_ui.SHARE_ACTION, view=saved)
    ana.wait_for_modal("Shared")
    asked = world.wait_for(
        lambda: next((d for d in sam.dms() if "shared their skill ratings" in d.text), None), what="the mentor asked"
    )
    [share] = rows(database_url, SkillShare)
    assert (share.mentee_id, share.mentor_id) == (ana.id, sam.id)

    kenji.click(asked, skill_ui.VIEW_ACTION, str(share.id))  # not her mentor
    kenji.wait_for_ephemeral("Only the mentor")
    sam.click(asked, skill_ui.VIEW_ACTION, str(share.id))
    form = sam.wait_for_modal("My view")
    assert [b["label"]["text"] for b in form["blocks"] if b["type"] == "input"] == ["Public speaking"]
    assert "Expert: I could teach it to others" in json.dumps(form)  # the same anchors
    reply = sam.submit({"skill_0": None})
    assert reply.json is not None and "skill_0" in reply.json["errors"]
    reply = sam.submit({"skill_0": "3"})
    assert reply.json is not None and reply.json["response_action"] == "update"
    assert f"<@{ana.id}> 2 · you 3" in json.dumps(reply.json["view"], ensure_ascii=False)
    both = world.wait_for(
        lambda: next((d for d in ana.dms() if "added their view" in d.text), None), what="the mentee told"
    )
    assert f"you 2 · <@{sam.id}> 3" in json.dumps(both.blocks, ensure_ascii=False)
    [view] = rows(database_url, MentorSkillView)
    assert (view.mentor_id, view.mentee_id, view.level) == (sam.id, ana.id, 3)

    # nobody else ever sees either view: not the admin, not another mentee, not in any message elsewhere
    ingrid.mentor("report")
    ingrid.wait_for_ephemeral("Match rate")
    world.settle()
    mine = {d.channel for d in ana.dms()} | {d.channel for d in sam.dms()} | {ana.id, sam.id}
    for call in world.standin.calls:
        text = json.dumps(call.params)
        if "side by side" in text.lower() or "shared their skill ratings" in text:
            assert call.method.startswith("views.") or call.params.get("channel") in mine, call.method
    for outsider in (ingrid, kenji):
        seen = outsider.transcript() + json.dumps(outsider.home() or {})
        assert "side by side" not in seen.lower() and "shared their skill" not in seen

    # her data covers it; forgetting the mentor removes his view and the share
    db = Database.from_url(database_url)
    try:
        with db.session() as session:
            exported = export_growth(session=session, team_id=world.standin.team_id, user_id=ana.id)
        assert exported["skill_shares"] and exported["mentor_skill_views"][0]["level"] == 3
        with db.begin() as session:
            forget_growth(session=session, team_id=world.standin.team_id, user_id=sam.id)
    finally:
        db.dispose()
    assert rows(database_url, MentorSkillView) == [] and rows(database_url, SkillShare) == []

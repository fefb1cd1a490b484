"""Roadmaps in Slack: a mentee builds one from the template, completes and re-dates milestones, the room
celebrates and the mentor comments, App Home shows progress per skill; reminders come once, in working hours."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import select

from blocks import roadmaps as roadmap_ui
from gateway.slack import make_web_client
from mentoring.roadmaps import Draft, bar, check_draft, progress_by_skill, starter_template
from scheduling.scheduler import tick
from standin import BOT_TOKEN
from standin.scenes import Actor, World
from store.db import Database
from store.models import Milestone, OutboxMessage, Participant, Roadmap
from store.types import utcnow
from tests.data import rows
from tests.test_matching_flow import release_all, room_of


def overflow(world: World, actor: Actor, modal: dict[str, Any], milestone_id: int, verb: str) -> None:
    block = next(b for b in modal["blocks"] if b.get("block_id") == f"ms_{milestone_id}")
    choice = next(o for o in block["accessory"]["options"] if o["value"] == f"{verb}|{milestone_id}")
    world.platform.click(
        actor.id, roadmap_ui.MENU_ACTION, view=modal, block_id=f"ms_{milestone_id}", selected_option=choice
    )


def milestones(database_url: str) -> list[Milestone]:
    return sorted(rows(database_url, Milestone), key=lambda m: m.id or 0)


def build_roadmap(world: World, ana: Actor) -> dict[str, Any]:
    """Ana opens her roadmap, gets the template, tries bad input, then saves it."""
    ana.mentor("roadmap")
    setup = ana.wait_for_modal("Set up your roadmap")
    text = json.dumps(setup)
    assert "30 days:" in text and "60 days:" in text and "90 days:" in text
    yesterday = (utcnow().date() - timedelta(days=1)).isoformat()
    far = (utcnow().date() + timedelta(days=400)).isoformat()
    reply = ana.submit({"due_0": yesterday, "title_1": "x" * 151, "due_2": far, "goal": "g" * 501})
    assert reply.json is not None and reply.json["response_action"] == "errors"
    errors = reply.json["errors"]
    assert set(errors) == {"due_0", "title_1", "due_2", "goal"}
    assert "passed" in errors["due_0"] and "within the cycle" in errors["due_2"] and "At most 150" in errors["title_1"]
    reply = ana.submit({"goal": "Speak at the all-hands <!channel>"})
    assert reply.json is not None and reply.json["response_action"] == "update"
    return reply.json["view"]


def test_a_mentee_builds_completes_and_redates_and_sees_progress(world: World, database_url: str) -> None:
    people = release_all(world, database_url)
    ana, sam, kenji = people["Ana"], people["Sam"], people["Kenji"]
    match = room_of(database_url, ana.id)
    assert match.room_id is not None
    intro = world.standin.messages_in(match.room_id)[0]
    assert "Our roadmap" in json.dumps(intro.blocks)

    build_roadmap(world, ana)
    roadmap = ana.wait_for_modal("Roadmap")
    assert "Roadmap saved" in json.dumps(roadmap)
    first, second, third = milestones(database_url)
    assert [m.status for m in (first, second, third)] == ["planned"] * 3
    assert first.skill == "Public speaking" and first.due_on < second.due_on < third.due_on
    [stored] = rows(database_url, Roadmap)
    assert stored.owner_id == ana.id and stored.goal == "Speak at the all-hands <!channel>"

    # complete the first one with evidence: the room celebrates
    overflow(world, ana, roadmap, first.id or 0, "done")
    ana.wait_for_modal("Milestone reached")
    assert ana.submit({"evidence": "x" * 1001}).json["errors"]["evidence"].startswith("At most 1000")  # type: ignore[index]
    ana.submit({"evidence": "Gave the <b>demo</b> to 40 people"})
    party = world.wait_for(
        lambda: next(
            (m for m in world.standin.messages_in(match.room_id or "") if "reached a milestone" in m.text), None
        ),
        what="the celebration in the room",
    )
    assert "Gave the &lt;b&gt;demo&lt;/b&gt;" in json.dumps(party.blocks)
    assert milestones(database_url)[0].status == "done" and milestones(database_url)[0].completed_at is not None

    # the mentor comments; the mentee cannot comment on her own milestone
    ana.click(party, roadmap_ui.COMMENT_ACTION)
    ana.wait_for_ephemeral("Only their mentor or partner")
    sam.click(party, roadmap_ui.COMMENT_ACTION)
    sam.wait_for_modal("Add a comment")
    sam.submit({"comment": "Proud of you — the Q&A was the best part"})
    world.wait_for(
        lambda: any("Proud of you" in json.dumps(m.blocks) for m in world.standin.messages_in(match.room_id or "")),
        what="the comment on the celebration",
    )
    assert milestones(database_url)[0].mentor_comment.startswith("Proud of you")

    # re-date the second: after the cycle is refused inline, a day within it is saved
    roadmap = ana.wait_for_modal("Roadmap")
    overflow(world, ana, roadmap, second.id or 0, "edit")
    ana.wait_for_modal("Edit milestone")
    reply = ana.submit({"due_on": (utcnow().date() + timedelta(days=200)).isoformat()})
    assert reply.json is not None and "within the cycle" in reply.json["errors"]["due_on"]
    new_day = utcnow().date() + timedelta(days=20)
    assert ana.submit({"due_on": new_day.isoformat()}).json is None
    world.wait_for(lambda: milestones(database_url)[1].due_on == new_day, what="the new date")
    world.wait_for(lambda: "now due" in json.dumps(ana.modal()), what="the roadmap redrawn")

    # drop the third, add one more
    overflow(world, ana, ana.modal(), third.id or 0, "drop")
    world.wait_for(lambda: milestones(database_url)[2].status == "dropped", what="the drop")
    world.platform.click(ana.id, roadmap_ui.ADD_ACTION, view=ana.modal())
    ana.wait_for_modal("Add a milestone")
    ana.submit({"title": "Run a team retro", "skill": "Leadership", "due_on": new_day.isoformat()})
    world.wait_for(lambda: len(milestones(database_url)) == 4, what="the new milestone")

    # Kenji is not in the match: he cannot change Ana's milestones
    world.platform.click(kenji.id, roadmap_ui.DONE_ACTION, str(second.id), message=party)
    kenji.wait_for_ephemeral("isn't yours")

    # App Home: progress per skill for Ana; Sam sees her roadmap and his contribution
    ana.open_home()
    home = json.dumps(ana.wait_for_home("Leadership: 0/1"), ensure_ascii=False)  # after every redraw
    assert "Public speaking: 1/2" in home and bar(1, 2) in home and "Leadership: 0/1" in home
    assert "&lt;!channel&gt;" in home and "<!channel>" not in home  # the goal, escaped
    sam.open_home()
    sam_home = json.dumps(sam.wait_for_home("contribution"))
    assert f"<@{ana.id}>'s roadmap" in sam_home
    assert "active mentee" in sam_home and "1 milestone reached by your mentees" in sam_home, sam_home

    # the mentor sees the roadmap read-only
    sam.mentor("roadmap")
    view = sam.wait_for_modal("Roadmap")
    assert "submit" not in view or view["submit"] is None
    assert not any(b.get("accessory") for b in view["blocks"])


def test_the_check_in_modal_offers_to_tick_milestones(world: World, database_url: str) -> None:
    people = release_all(world, database_url)
    ana = people["Ana"]
    match = room_of(database_url, ana.id)
    build_roadmap(world, ana)
    first = milestones(database_url)[0]
    intro = world.standin.messages_in(match.room_id or "")[0]
    from blocks import matching as match_ui

    ana.click(intro, match_ui.CHECKIN_ACTION, str(match.id))
    modal = ana.wait_for_modal("Log a check-in")
    assert "Milestones you worked on" in json.dumps(modal)
    ana.submit({"usefulness": "4", "duration": "30", "milestones": [str(first.id)]})
    world.wait_for(lambda: milestones(database_url)[0].status == "in_progress", what="the ticked milestone")
    assert [m.status for m in milestones(database_url)[1:]] == ["planned", "planned"]


def test_reminders_come_once_in_working_hours_and_overdue_asks_to_redate(world: World, database_url: str) -> None:
    people = release_all(world, database_url)
    ana, kenji = people["Ana"], people["Kenji"]
    build_roadmap(world, ana)
    first = milestones(database_url)[0]
    db = Database.from_url(database_url)
    client = make_web_client(token=BOT_TOKEN, base_url=world.standin.api_url)
    due = datetime.combine(first.due_on, datetime.min.time(), tzinfo=UTC)
    try:
        for hour in range(-6 * 24, 5 * 24, 2):
            tick(db, client, now=due + timedelta(hours=hour))
    finally:
        db.dispose()
    mine = [r for r in rows(database_url, OutboxMessage) if r.recipient == ana.id and r.kind.startswith("milestone")]
    assert sorted(r.kind for r in mine) == ["milestone_overdue", "milestone_reminder"]
    person = next(p for p in rows(database_url, Participant) if p.slack_user_id == ana.id)
    for row in mine:
        local = row.sent_at.astimezone(ZoneInfo(person.timezone or "UTC"))
        assert row.status == "sent" and local.weekday() < 5 and 10 <= local.hour < 16, local
    reminder = next(r for r in mine if r.kind == "milestone_reminder")
    assert reminder.sent_at.astimezone(ZoneInfo(person.timezone or "UTC")).date() < first.due_on
    dms = [d for d in ana.dms() if "is due on" in d.text or "was due on" in d.text]
    assert len(dms) == 2

    # a mentee with no milestones a fortnight in gets one prompt to set up a roadmap, once
    prompts = [d for d in kenji.dms() if "no milestones yet" in d.text]
    assert len(prompts) == 1

    # the overdue question: re-date it from the DM, and the new date gets its own reminder
    overdue = next(d for d in ana.dms() if "was due on" in d.text)
    ana.click(overdue, roadmap_ui.REDATE_ACTION, str(first.id))
    ana.wait_for_modal("Edit milestone")
    new_day = utcnow().date() + timedelta(days=10)
    ana.submit({"due_on": new_day.isoformat()})
    world.wait_for(lambda: milestones(database_url)[0].due_on == new_day, what="re-dated from the DM")
    assert milestones(database_url)[0].reminded_for is None
    db = Database.from_url(database_url)
    again = datetime.combine(new_day, datetime.min.time(), tzinfo=UTC)
    try:
        for hour in range(-5 * 24, 0, 3):
            tick(db, client, now=again + timedelta(hours=hour))
    finally:
        db.dispose()
    keys = [
        r.key for r in rows(database_url, OutboxMessage) if r.kind == "milestone_reminder" and r.recipient == ana.id
    ]
    assert sorted(keys) == sorted([f"milestone-due:{first.id}:{first.due_on}", f"milestone-due:{first.id}:{new_day}"])


def test_roadmap_rules() -> None:
    today = date(2026, 12, 1)
    drafts = starter_template(
        "one_to_one", skills=["Writing"], start=today, end=today + timedelta(days=90), today=today
    )
    assert [d.due_on for d in drafts] == [
        today + timedelta(days=30),
        today + timedelta(days=60),
        today + timedelta(days=90),
    ]
    late = starter_template(
        "peer_pairs", skills=[], start=today - timedelta(days=80), end=today + timedelta(days=10), today=today
    )
    assert all(today <= (d.due_on or today) <= today + timedelta(days=10) for d in late)
    end = today + timedelta(days=30)
    assert check_draft(Draft("ok", "Writing", today), skills=["Writing"], today=today, end=end) == {}
    assert set(check_draft(Draft("", "Nope", None), skills=["Writing"], today=today, end=end)) == {
        "title",
        "skill",
        "due_on",
    }
    progress = progress_by_skill([("A", "done"), ("A", "planned"), ("B", "dropped"), ("", "in_progress")])
    assert [(p.skill, p.done, p.total) for p in progress] == [("A", 1, 2), ("Other", 0, 1)]
    assert bar(1, 2) == "▰▰▰▰▰▱▱▱▱▱" and bar(0, 0) == "▱" * 10


def test_aggregate_queries_for_digests_and_reports(db: Database) -> None:
    from store import queries
    from store.models import CheckIn, GrowthThread, Kudos, Match, MatchMember, MatchRound, Programme

    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    with db.begin() as session:
        programme = Programme(team_id="T1", slug="mentoring", name="Mentoring", skills=list(queries.DEFAULT_SKILLS))
        session.add(programme)
        session.flush()
        round_ = MatchRound(team_id="T1", programme_id=programme.id or 0, cycle_number=1, seed=1, created_by="UADMIN")
        session.add(round_)
        session.flush()
        match = Match(
            team_id="T1", programme_id=programme.id or 0, round_id=round_.id or 0, cycle_number=1, status="active"
        )
        session.add(match)
        session.flush()
        session.add(MatchMember(match_id=match.id or 0, team_id="T1", slack_user_id="UMENTOR", role="mentor"))
        session.add(MatchMember(match_id=match.id or 0, team_id="T1", slack_user_id="UMENTEE", role="mentee"))
        roadmap = queries.ensure_roadmap(session=session, team_id="T1", match=match, owner_id="UMENTEE", goal="Speak")
        for i, status in enumerate(["done", "done", "planned", "dropped"]):
            session.add(
                Milestone(
                    team_id="T1",
                    roadmap_id=roadmap.id or 0,
                    match_id=match.id or 0,
                    programme_id=programme.id or 0,
                    title=f"m{i}",
                    due_on=now.date(),
                    status=status,
                    completed_at=now - timedelta(days=i) if status == "done" else None,
                )
            )
        session.add(
            CheckIn(
                team_id="T1", match_id=match.id or 0, author_id="UMENTEE", met_on=now.date(), duration_minutes=30,
                usefulness=4,
            )
        )  # fmt: skip
        session.add(Kudos(team_id="T1", programme_id=programme.id or 0, giver_id="UMENTEE", receiver_id="UMENTOR"))
        for ts, replies in (("1.1", 1), ("2.2", 5)):
            session.add(
                GrowthThread(
                    team_id="T1", programme_id=programme.id or 0, author_id="UMENTEE", channel_id="C1", ts=ts,
                    learned="x", reply_count=replies, created_at=now,
                )
            )  # fmt: skip
    with db.begin() as session:
        assert (
            queries.count_growth_activity(session=session, team_id="T1", channel_id="C1", ts="1.1", reactions=-1)
            is False
        )
        assert queries.count_growth_activity(session=session, team_id="T1", channel_id="C1", ts="1.1", reactions=1)
        assert not queries.count_growth_activity(session=session, team_id="T2", channel_id="C1", ts="1.1", replies=1)
    with db.session() as session:
        pid = programme.id or 0
        [mine] = queries.mentor_contributions(session=session, team_id="T1", programme_id=pid)
        assert (mine.mentor_id, mine.active_mentees, mine.check_ins, mine.milestones_reached, mine.kudos) == (
            "UMENTOR", 1, 1, 2, 1
        )  # fmt: skip
        since = now - timedelta(days=7)
        assert len(queries.milestones_completed(session=session, team_id="T1", programme_id=pid, since=since)) == 2
        assert queries.milestone_status_counts(session=session, team_id="T1", programme_id=pid) == {
            "done": 2, "planned": 1, "dropped": 1
        }  # fmt: skip
        threads = queries.growth_threads(session=session, team_id="T1", programme_id=pid, since=since)
        assert [(t.ts, t.reply_count, t.reaction_count) for t in threads] == [("2.2", 5, 0), ("1.1", 1, 1)]
        assert queries.kudos_counts(session=session, team_id="T1", programme_id=pid) == {"UMENTOR": 1}
        exported = queries.export_person(session=session, team_id="T1", user_id="UMENTEE")
        assert len(exported["roadmaps"][0]["milestones"]) == 4 and len(exported["growth_threads"]) == 2
    with db.begin() as session:
        queries.forget_person(session=session, team_id="T1", user_id="UMENTEE")
    with db.session() as session:
        assert session.exec(select(Roadmap)).all() == [] and session.exec(select(Milestone)).all() == []
        assert session.exec(select(GrowthThread)).all() == [] and session.exec(select(Kudos)).all() == []
    with db.begin() as session:  # what the mentor left behind goes when the workspace's data is purged
        queries.ensure_roadmap(session=session, team_id="T1", match=match, owner_id="UMENTOR")
        session.add(Kudos(team_id="T1", programme_id=programme.id or 0, giver_id="UMENTOR", receiver_id="UX"))
        queries.mark_uninstalled(session=session, team_id="T1", now=now, retention=timedelta(days=1))
    with db.begin() as session:
        assert queries.purge_expired_workspaces(session=session, now=now + timedelta(days=2)) == ["T1"]
    with db.session() as session:
        assert session.exec(select(Roadmap)).all() == [] and session.exec(select(Kudos)).all() == []


def test_the_llm_helper_is_sent_milestone_titles_without_names(database_url: str) -> None:
    from tests.conftest import running_world
    from tests.data import set_programme
    from tests.fake_openai import FakeOpenAI

    with (
        FakeOpenAI("good") as fake,
        running_world(database_url, openai_api_key="sk-test", openai_base_url=fake.base_url, openai_timeout=5) as world,
    ):
        people = release_all(world, database_url)
        set_programme(database_url, llm_enabled=True)
        ana, sam = people["Ana"], people["Sam"]
        ana.mentor("roadmap")
        ana.wait_for_modal("Set up your roadmap")
        ana.submit({"title_0": "Dry run with Sam, then ask Ana for notes", "title_1": None, "title_2": None})
        ana.wait_for_modal("Roadmap")
        ana.mentor("prompt")
        ana.wait_for_ephemeral("Something to talk about")
        sent = json.dumps(fake.requests)
        assert "Dry run with the mentor, then ask the mentee for notes" in sent
        assert "Sam" not in sent and "Ana" not in sent and sam.id not in sent


def test_peers_each_own_a_roadmap_that_their_partner_can_see(world: World, database_url: str) -> None:
    from blocks import admin as admin_ui
    from standin.scenes import join_answers
    from store.models import Programme
    from tests.data import set_programme

    ana, lea, ingrid = world.person("Ana"), world.person("Lea"), world.person("Ingrid")
    ingrid.mentor("admin")
    ingrid.wait_for_ephemeral("Programme admin")
    set_programme(database_url, kind="peer_pairs", requires_approval=False)
    ana.join(join_answers("peer", offered=["Public speaking"], wanted=["Writing"]))
    lea.join(join_answers("peer", offered=["Writing"], wanted=["Public speaking"]))
    ana.wait_for_dm()
    lea.wait_for_dm()
    ingrid.mentor("admin")
    ingrid.click(
        ingrid.wait_for_ephemeral("Programme admin"), admin_ui.MATCH_ACTION, str(rows(database_url, Programme)[0].id)
    )
    ingrid.wait_for_ephemeral("Released")
    world.settle()

    ana.mentor("roadmap")
    setup = ana.wait_for_modal("Set up your roadmap")
    assert "Teach my partner something" in json.dumps(setup)
    ana.submit({"goal": "Write clearer docs"})
    ana.wait_for_modal("Roadmap")
    [roadmap] = rows(database_url, Roadmap)
    assert roadmap.owner_id == ana.id and all(m.skill == "Writing" for m in milestones(database_url))

    lea.open_home()
    home = lea.wait_for_home(f"<@{ana.id}>'s roadmap")
    lea.click_home(roadmap_ui.OPEN_ACTION, next(
        b["accessory"]["value"] for b in home["blocks"] if b.get("block_id", "").endswith(f"_{ana.id}")
    ))  # fmt: skip
    seen = lea.wait_for_modal("Roadmap")
    assert "Write clearer docs" in json.dumps(seen) and not any(b.get("accessory") for b in seen["blocks"])
    lea.mentor("roadmap")
    assert "Share one thing" in json.dumps(lea.wait_for_modal("Set up your roadmap"))  # her own, from the template

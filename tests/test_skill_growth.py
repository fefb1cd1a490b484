"""Skills rated before and after: a mentee rates three skills at the start, again with the pulse and at exit,
and sees the change; the report's skill development is right on a seeded programme of 60 people and withholds a
skill only four people rated."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import timedelta

import pytest

from blocks import admin as admin_ui
from blocks import checkins as checkin_ui
from blocks import skillgrowth as skill_ui
from standin import TEAM_ID, render_blocks
from standin.scenes import World, join_answers
from store.db import Database
from store.models import Match, Programme, SkillRating
from tests.data import rows
from tests.test_checkin_loop import START, Cycle, cycle, run_until
from tests.test_programme_insight import files_in_dms, seeded

SKILLS = ["Writing", "Public speaking", "Negotiation"]
__all__ = ["cycle"]  # the fixture


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database.from_url(database_url)
    yield database
    database.dispose()


def levels(*values: int) -> dict[str, str]:
    return {f"skill_{i}": str(v) for i, v in enumerate(values)}


def ratings(cycle: Cycle, stage: str) -> dict[str, int]:
    return {r.skill: r.level for r in cycle.rows(SkillRating) if r.stage == stage}


def test_a_mentee_rates_three_skills_at_the_start_the_pulse_and_exit_and_sees_the_change(cycle: Cycle) -> None:
    world = cycle.world
    lea, kenji, ingrid = world.person("Lea"), world.person("Kenji"), world.person("Ingrid")
    lea.join(join_answers("mentor", offered=["Writing"], capacity=1))
    kenji.join(join_answers("mentee", wanted=SKILLS))
    assert skill_ui.RATE_ACTION not in json.dumps(lea.wait_for_dm().blocks)  # mentors rate no skills of their own
    welcome = kenji.wait_for_dm()

    kenji.click(welcome, skill_ui.RATE_ACTION, str(cycle.rows(Programme)[0].id))
    form = kenji.wait_for_modal("Where I am today")
    assert [b["label"]["text"] for b in form["blocks"] if b["type"] == "input"] == SKILLS
    assert "Expert: I could teach it to others" in json.dumps(form)  # anchored levels
    reply = kenji.submit({"skill_0": "2"})
    assert reply.json is not None and set(reply.json["errors"]) == {"skill_1", "skill_2"}
    assert cycle.rows(SkillRating) == []
    forged = {"id": "V0FORGED", **form, "private_metadata": json.dumps({"programme_id": 999, "skills": SKILLS})}
    reply = world.platform.submit_view(kenji.id, forged, levels(1, 1, 1))
    assert reply.json is not None and "mentee or a peer" in reply.json["errors"]["skill_0"]
    kenji.submit(levels(2, 1, 3))
    world.wait_for(lambda: ratings(cycle, "start") == dict(zip(SKILLS, (2, 1, 3), strict=True)), what="start")

    with cycle.db.begin() as session:
        programme = session.get(Programme, cycle.rows(Programme)[0].id)
        assert programme is not None
        programme.requires_approval, programme.cycle_days, programme.cadence = False, 90, "fortnightly"
        session.add(programme)
    ingrid.mentor("admin")
    panel = ingrid.wait_for_ephemeral("Programme admin")
    ingrid.click(
        panel, f"{admin_ui.LIFECYCLE_ACTION}:active", json.dumps({"programme_id": programme.id, "to": "active"})
    )
    world.wait_for(lambda: [m for m in cycle.rows(Match) if m.status == "active"], what="the match")
    [match] = [m for m in cycle.rows(Match) if m.status == "active"]

    run_until(cycle, 52, kenji)
    [pulse] = cycle.got(kenji, "Halfway through")
    kenji.click(pulse.seen, checkin_ui.PULSE_ACTION, str(match.id))
    modal = kenji.wait_for_modal("Mid-cycle pulse")
    assert [b["label"]["text"] for b in modal["blocks"] if b.get("block_id", "").startswith("skill_")] == SKILLS
    kenji.submit({"rating": "4", "progress": "3"} | levels(3, 2, 3))
    world.wait_for(lambda: ratings(cycle, "pulse") == dict(zip(SKILLS, (3, 2, 3), strict=True)), what="pulse")

    run_until(cycle, 89, kenji)
    [asked] = cycle.got(kenji, "a short reflection")
    kenji.click(asked.seen, checkin_ui.EXIT_ACTION, str(match.id))
    kenji.wait_for_modal("Exit reflection")
    kenji.submit({"rating": "5", "would_continue": "yes", "skill_0": "4", "skill_2": "2"})  # one left unrated
    world.wait_for(lambda: ratings(cycle, "exit") == {"Writing": 4, "Negotiation": 2}, what="exit")

    kenji.open_home()
    home = render_blocks(kenji.wait_for_home("My skills")["blocks"])
    assert "*Writing*: 2 → 4 (+2, exit)" in home
    assert "*Public speaking*: 1 → 2 (+1, mid-cycle)" in home  # not rated at exit: the pulse's counts
    assert "*Negotiation*: 3 → 2 (-1, exit)" in home
    lea.open_home()
    assert "My skills" not in render_blocks((lea.wait_for_home() or {}).get("blocks", []))
    # Ratings are private: nobody else was ever sent them.
    world.settle()
    assert "2 → 4" not in lea.transcript() + ingrid.transcript()


def seed_ratings(db: Database, programme_id: int) -> None:
    """60 people: 30 rated Writing, 26 Negotiation, 4 Chess (too few to show)."""
    start = START

    def rate(person: int, skill: str, stage: str, level: int) -> SkillRating:
        return SkillRating(
            team_id=TEAM_ID,
            programme_id=programme_id,
            cycle_number=1,
            slack_user_id=f"U0SEED{person:04d}",
            skill=skill,
            stage=stage,
            level=level,
            created_at=start + timedelta(days={"start": 0, "pulse": 45, "exit": 88}[stage]),
        )

    rows: list[SkillRating] = []
    for person in range(30):  # Writing: 20 go from 2 to 4, 10 stay at 2 (5 of those said 5 at the pulse)
        rows.append(rate(person, "Writing", "start", 2))
        if person < 20:
            rows += [rate(person, "Writing", "pulse", 5 if person < 5 else 3), rate(person, "Writing", "exit", 4)]
        else:
            rows.append(rate(person, "Writing", "exit", 2))
    for person in range(30, 56):  # Negotiation: 20 up by one at the pulse (no exit yet), 6 down by one at exit
        rows.append(rate(person, "Negotiation", "start", 3))
        rows.append(rate(person, "Negotiation", "pulse", 4) if person < 50 else rate(person, "Negotiation", "exit", 2))
    for person in range(56, 60):  # Chess: four people, each up by one: withheld
        rows += [rate(person, "Chess", "start", 1), rate(person, "Chess", "exit", 2)]
    rows.append(rate(60, "Writing", "start", 1))  # started, never rated again: not counted
    with db.begin() as session:
        session.add_all(rows)


def test_the_report_shows_skill_development_for_groups_of_five_or_more(world: World, db: Database) -> None:
    _, seeded_world = seeded(world, db)
    seed_ratings(db, seeded_world.programme_id)
    ingrid = world.person("Ingrid")
    ingrid.mentor("report engineering-mentoring")
    text = render_blocks(ingrid.wait_for_ephemeral("Skill development").blocks)
    # Everyone: the mean over people of each one's mean change, (20*2 + 20*1 - 6 + 4) / 60; 44 of 60 improved.
    assert "• All skills: +1.0 on average, 73% improved (60 people)" in text
    assert "• Writing: +1.3 on average, 67% improved (30 people)" in text  # 40 / 30; 20 of 30
    assert "• Negotiation: +0.5 on average, 77% improved (26 people)" in text  # (20 - 6) / 26; 20 of 26
    assert "Chess" not in text and "_1 skill rated by fewer than 5 people not shown._" in text

    ingrid.mentor("report engineering-mentoring --export")
    files = world.wait_for(
        lambda: [f for f in files_in_dms(ingrid) if f["name"].endswith("summary.csv")] or None, what="the CSV"
    )
    summary = {(r["measure"], r["group"]): r["value"] for r in csv.DictReader(io.StringIO(files[0]["bytes"].decode()))}
    assert summary[("skill development: mean change (1-5 scale)", "Writing")] == "1.333"
    assert summary[("skill development: share who improved", "Negotiation")] == "0.769"
    assert summary[("skill development: people who rated before and after", "all skills")] == "60"
    assert summary[("skills withheld (fewer than 5 people rated them)", "")] == "1"
    assert not [key for key in summary if key[1] == "Chess"]


def test_my_data_carries_the_ratings_and_forget_me_deletes_them(world: World, database_url: str) -> None:
    kenji = world.person("Kenji")
    kenji.join(join_answers("mentee", wanted=SKILLS))
    kenji.wait_for_dm()
    kenji.mentor("skills")
    kenji.wait_for_modal("Where I am today")
    kenji.submit(levels(2, 1, 3))
    world.wait_for(lambda: len(rows(database_url, SkillRating)) == 3, what="three ratings")
    kenji.mentor("my-data")
    kenji.wait_for_ephemeral("I've sent you a file")
    [share] = [s for s in kenji.dms() if s.files]
    exported = json.loads(share.files[0]["bytes"])
    assert sorted((r["skill"], r["level"]) for r in exported["skill_ratings"]) == [
        ("Negotiation", 3),
        ("Public speaking", 1),
        ("Writing", 2),
    ]
    kenji.mentor("forget-me")
    kenji.wait_for_modal("Delete my data")
    kenji.submit({"confirm": ["yes"]})
    world.wait_for(lambda: not rows(database_url, SkillRating), what="the ratings deleted")


def test_mentors_have_no_skills_to_rate(world: World) -> None:
    lea = world.person("Lea")
    lea.join(join_answers("mentor", offered=["Writing"], capacity=1))
    lea.wait_for_dm()
    lea.mentor("skills")
    lea.wait_for_ephemeral("as a mentee or a peer")

"""Admins in Slack: preview and post the digest, the programme report with its dashboard, the CSV export,
the digest schedule in the programme modal, and what nobody else may see."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from blocks import digests as digest_ui
from standin import TEAM_ID, Seen, find, render_blocks
from standin.scenes import Actor, World
from store.db import Database
from store.models import Programme, SurveyResponse
from store.types import utcnow
from tests.conftest import running_world
from tests.digest_world import (
    SECRET_END_REASON,
    SECRET_EVIDENCE,
    SECRET_RATHER_NOT,
    SECRET_REFLECTION,
    Seeded,
    add_milestone,
    end_match,
    log_checkin,
    seed_programme,
)
from tests.test_programme_admin import programme_answers

PNG = b"\x89PNG\r\n\x1a\n"
SECRET_SURVEY = "SECRET-SURVEY my mentor never shows up"
PEOPLE = ("Ana", "Sam", "Lea", "Kenji", "Priya", "Maria", "Tom", "Omar", "Chloe", "Diego")


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    with running_world(database_url, programme=None) as running:  # the test seeds its own programme
        yield running


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database.from_url(database_url)
    yield database
    database.dispose()


def seeded(world: World, db: Database) -> tuple[str, Seeded]:
    """Five pairs in one programme (six people in Engineering, four in small departments); recent check-ins."""
    ids = [find(n).id for n in PEOPLE]
    channel = world.standin.add_channel("mentoring", ids)
    departments = {find(n).id: d for n, d in (("Tom", "Sales"), ("Omar", "Finance"), ("Chloe", "Support"))}
    departments[find("Diego").id] = "Design"
    pairs = [(ids[i], ids[i + 1]) for i in range(0, 10, 2)]
    world_ = seed_programme(db, channel_id=channel, pairs=pairs, departments=departments)
    now = utcnow()
    with db.begin() as session:  # the cycle began five weeks ago
        programme = session.get(Programme, world_.programme_id)
        assert programme is not None
        programme.cycle_started_at = now - timedelta(weeks=5)
        programme.cycle_ends_at = now + timedelta(weeks=7)
        programme.created_at = now - timedelta(weeks=6)
        session.add(programme)
    first, second, third, fourth, fifth = world_.matches
    for weeks_ago in (4, 3, 2, 1):
        log_checkin(db, first, ids[1], now - timedelta(weeks=weeks_ago), usefulness=5)
    log_checkin(db, second, ids[3], now - timedelta(days=2), usefulness=3)
    log_checkin(db, third, ids[5], now - timedelta(weeks=4), usefulness=2)
    add_milestone(db, world_.programme_id, first, ids[1], done_at=now - timedelta(days=1))
    end_match(db, fifth, ids[9], now - timedelta(days=3))
    with db.begin() as session:
        for i, match_id in enumerate((first, second, third, fourth, first)):
            session.add(
                SurveyResponse(
                    team_id=TEAM_ID,
                    programme_id=world_.programme_id,
                    match_id=match_id,
                    cycle_number=1,
                    slack_user_id=ids[i * 2 if i < 4 else 1],
                    kind="pulse",
                    rating=4,
                    progress=3,
                    blocking=SECRET_SURVEY,
                )
            )
    return channel, world_


def everything_seen(world: World, *people: Actor) -> str:
    parts = [p.transcript() for p in people]
    parts += [str(c.params) for c in world.standin.calls]
    for person in people:
        for seen in world.standin.seen_by(person.id):
            parts += [(f.get("bytes") or b"").decode("utf-8", "replace") for f in seen.files]
    return "\n".join(parts)


def files_in_dms(person: Actor) -> list[dict[str, Any]]:
    return [f for seen in person.dms() for f in seen.files]


def test_an_admin_previews_the_digest_privately_then_posts_it_once(world: World, db: Database) -> None:
    channel, _ = seeded(world, db)
    ingrid = world.person("Ingrid")  # a workspace admin
    ingrid.mentor("digest")
    assert "sent you a preview" in ingrid.wait_for_ephemeral("preview").text
    preview = ingrid.wait_for_dm()
    assert "Preview:" in render_blocks(preview.blocks) and "*1 pair met* of 4 active" in render_blocks(preview.blocks)
    chart = world.wait_for(lambda: files_in_dms(ingrid), what="the preview chart")
    assert chart[0]["bytes"].startswith(PNG)
    assert world.standin.messages_in(channel) == []  # nothing public yet

    ingrid.click(preview, digest_ui.POST_ACTION, preview_programme(preview))
    ingrid.wait_for_ephemeral("Posted this week's digest")
    message, picture = world.wait_for(lambda: world.standin.messages_in(channel)[:2] or None, what="the digest")
    world.wait_for(lambda: len(world.standin.messages_in(channel)) == 2, what="the chart")
    message, picture = world.standin.messages_in(channel)
    assert "This week in Engineering mentoring" in render_blocks(message.blocks)
    assert picture.files[0]["bytes"].startswith(PNG)

    ingrid.mentor("digest --post")
    ingrid.wait_for_ephemeral("already in")
    world.settle()
    assert len(world.standin.messages_in(channel)) == 2


def preview_programme(preview: Seen) -> str:
    for block in preview.blocks:
        for element in block.get("elements") or []:
            if element.get("action_id") == digest_ui.POST_ACTION:
                return str(element["value"])
    raise AssertionError("no Post it now button")


def test_the_report_shows_health_names_stalled_pairs_only_to_admins_and_carries_a_dashboard(
    world: World, db: Database
) -> None:
    seeded(world, db)
    ingrid = world.person("Ingrid")
    ingrid.mentor("report engineering-mentoring")
    report = ingrid.wait_for_ephemeral("Match rate")
    text = render_blocks(report.blocks)
    assert "*Participants:* 10 (Mentee: 5, Mentor: 5)" in text
    assert "*Match rate:* 80% (8 of 10 active people in a match)" in text
    assert "*Pairs that met in the last 7 days:* 25% (1 of 4)" in text
    assert "*Median days between check-ins:* 7 days" in text
    assert "*Average usefulness:* 4.2 / 5 over 6 check-ins this cycle" in text
    assert "*Milestones completed:* 1" in text
    assert "Mid-cycle pulse (5 responses): satisfaction 4.0 / 5, progress on goals 3.0 / 5" in text
    # Engineering has 6 people; Sales, Finance, Support and Design have one each: 4 together are still too few.
    assert "Engineering: 6 people, 100% matched, 33% met recently" in text
    assert "Sales" not in text and "Other" not in text
    # Stalled: released five weeks ago, no check-in for two weeks (the third and fourth pairs), named for admins.
    priya, maria, tom, omar = (find(n).id for n in ("Priya", "Maria", "Tom", "Omar"))
    assert "*Stalled pairs (2)*" in text and f"<@{priya}> & <@{maria}>" in text and f"<@{tom}> & <@{omar}>" in text
    dashboard = world.wait_for(lambda: files_in_dms(ingrid), what="the dashboard")
    assert dashboard[0]["name"] == "engineering-mentoring-dashboard.png"
    assert dashboard[0]["bytes"].startswith(PNG)

    ana_actor = world.person("Ana")  # not an admin
    ana_actor.mentor("report")
    assert "Only programme admins" in ana_actor.wait_for_ephemeral("Only programme admins").text
    ana_actor.mentor("digest --post")
    ana_actor.wait_for_ephemeral("Only programme admins", count=2)
    world.settle()
    assert "Stalled" not in ana_actor.transcript()


def test_the_export_is_two_csv_files_without_private_fields(world: World, db: Database) -> None:
    _, seeded_world = seeded(world, db)
    ingrid = world.person("Ingrid")
    ingrid.mentor("report --export")
    ingrid.wait_for_ephemeral("CSV files")
    files = world.wait_for(lambda: files_in_dms(ingrid) or None, what="the CSV files")
    by_name = {f["name"]: f["bytes"].decode() for f in files}
    assert set(by_name) == {"engineering-mentoring-pairs.csv", "engineering-mentoring-summary.csv"}
    pairs = list(csv.DictReader(io.StringIO(by_name["engineering-mentoring-pairs.csv"])))
    assert len(pairs) == 5  # one row per pair per cycle, the ended pair included
    first = next(r for r in pairs if int(r["pair_id"]) == seeded_world.matches[0])
    assert first["check_ins"] == "4" and first["average_usefulness"] == "5.0" and first["milestones_done"] == "1"
    assert first["roles"] == "mentor; mentee"
    ended = next(r for r in pairs if int(r["pair_id"]) == seeded_world.matches[4])
    assert ended["status"] == "ended" and ended["ended_on"]
    assert not any("ended_by" in key or "reason" in key for key in pairs[0])
    summary = {
        (r["measure"], r["group"]): r["value"]
        for r in csv.DictReader(io.StringIO(by_name["engineering-mentoring-summary.csv"]))
    }
    assert summary[("match rate", "")] == "0.800"
    assert summary[("stalled pairs", "")] == "2"
    assert ("department: people", "Sales") not in summary


def test_private_fields_never_appear_in_a_digest_a_report_or_the_export(world: World, db: Database) -> None:
    channel, _ = seeded(world, db)
    ingrid, ana = world.person("Ingrid"), world.person("Ana")
    ingrid.mentor("digest")
    ingrid.wait_for_dm()
    ingrid.mentor("digest --post")
    ingrid.wait_for_ephemeral("Posted")
    ingrid.mentor("report")
    ingrid.wait_for_ephemeral("Match rate")
    ingrid.mentor("report --export")
    ingrid.wait_for_ephemeral("CSV files")
    world.wait_for(lambda: len(files_in_dms(ingrid)) >= 4, what="preview chart, dashboard and two CSVs")
    world.settle()
    seen = everything_seen(world, ingrid, ana)
    for secret in (SECRET_REFLECTION, SECRET_RATHER_NOT, SECRET_END_REASON, SECRET_EVIDENCE, SECRET_SURVEY):
        assert secret not in seen, secret
    public = "\n".join(render_blocks(m.blocks) + m.text for m in world.standin.messages_in(channel))
    assert find("Diego").id not in public  # who ended a match is never said in public
    assert "stalled" not in public.lower()


def test_the_admin_sets_the_digest_day_time_and_timezone_and_app_home_shows_them(world: World, db: Database) -> None:
    channel, _ = seeded(world, db)
    ingrid = world.person("Ingrid")
    ingrid.open_home()
    home = ingrid.wait_for_home("Health:")
    text = str(home)
    assert "Digest: Mondays at 09:00 (UTC)" in text and "80% matched" in text and "2 stalled pairs" in text
    with db.session() as session:
        programme = session.exec(select(Programme)).one()
    ingrid.click_home("admin_edit_programme", str(programme.id))
    ingrid.wait_for_modal("Edit programme")
    answers = programme_answers(
        "Engineering mentoring",
        digest_weekday="4",
        digest_hour="16",
        timezone="Not/AZone",
        skills="Leadership",
        channel=channel,
        cadence="weekly",
    )
    reply = ingrid.submit(answers)
    errors = (reply.json or {}).get("errors")
    assert errors == {"timezone": "Use a timezone name like Europe/Berlin, America/New_York or UTC."}
    reply = ingrid.submit({**answers, "timezone": "Europe/Berlin"})
    assert reply.status == 200 and not (reply.json or {}).get("errors")
    with db.session() as session:
        programme = session.exec(select(Programme)).one()
    assert (programme.digest_weekday, programme.digest_hour, programme.timezone) == (4, 16, "Europe/Berlin")
    ingrid.wait_for_home("Digest: Fridays at 16:00 (Europe/Berlin)")
    ingrid.click_home(digest_ui.REPORT_ACTION, str(programme.id))
    world.wait_for(lambda: any("Match rate" in render_blocks(d.blocks) for d in ingrid.dms()), what="report DM")


def test_preview_from_app_home_arrives_by_dm_and_a_programme_without_a_channel_is_explained(
    world: World, db: Database
) -> None:
    seeded(world, db)
    ingrid = world.person("Ingrid")
    ingrid.open_home()
    ingrid.wait_for_home("Preview digest")
    with db.session() as session:
        programme = session.exec(select(Programme)).one()
    ingrid.click_home(digest_ui.PREVIEW_ACTION, str(programme.id))
    preview = ingrid.wait_for_dm()
    assert "Preview:" in render_blocks(preview.blocks)
    with db.begin() as session:
        programme = session.exec(select(Programme)).one()
        programme.channel_id = None
        session.add(programme)
    ingrid.click_home(digest_ui.PREVIEW_ACTION, str(programme.id))
    world.wait_for(lambda: any("has no channel yet" in d.text for d in ingrid.dms()), what="the explanation")

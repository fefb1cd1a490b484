"""What people control about themselves: pause, resume, leave, preferences, their data, being forgotten;
and Slack events that keep membership true."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import inspect, text
from sqlmodel import select

from standin import GENERAL_CHANNEL_ID
from standin.scenes import World, join_answers
from store.db import Database
from store.models import AuditEntry, Participant, Programme, ProgrammeAdmin, Workspace
from tests.data import rows, run_tick, set_programme


def test_pause_for_two_weeks_then_one_message_when_it_ends(world: World, database_url: str) -> None:
    ana = world.person("Ana")
    ana.join(join_answers("mentee", wanted=["Writing"]))
    ana.wait_for_dm()
    ana.mentor("pause 2w")
    said = ana.wait_for_ephemeral("You're paused")
    today = datetime.now(UTC).date()
    assert (today + timedelta(days=14)).isoformat() in said.text
    [row] = rows(database_url, Participant)
    assert row.status == "paused" and row.paused_until == today + timedelta(days=14)

    assert run_tick(world, database_url, datetime.now(UTC) + timedelta(days=7))["pauses_ended"] == 0
    later = datetime.combine(today + timedelta(days=15), datetime.min.time(), tzinfo=UTC)
    assert run_tick(world, database_url, later)["pauses_ended"] == 1
    assert not [d for d in ana.dms() if "Your pause has ended" in d.text]  # midnight in Lisbon: not now
    told_at = []
    for hour in range(1, 7 * 24):  # the message waits for Ana's working hours (Tuesday-Thursday, 10-16)
        seen = len(ana.dms())
        assert run_tick(world, database_url, later + timedelta(hours=hour))["pauses_ended"] == 0
        if len(ana.dms()) > seen:
            told_at.append((later + timedelta(hours=hour)).astimezone(ZoneInfo("Europe/Lisbon")))
    ended = [d for d in ana.dms() if "Your pause has ended" in d.text]
    assert len(ended) == 1 and len(told_at) == 1
    assert told_at[0].weekday() in (1, 2, 3) and 10 <= told_at[0].hour < 16
    assert rows(database_url, Participant)[0].status == "active"


def test_pause_input_that_makes_no_sense_is_explained(world: World) -> None:
    ana = world.person("Ana")
    ana.join(join_answers("mentee", wanted=["Writing"]))
    ana.mentor("pause until yesterday-ish")
    assert "I couldn't read that" in ana.wait_for_ephemeral("couldn't read").text
    ana.mentor("pause until 2001-01-01")
    assert "has passed" in ana.wait_for_ephemeral("has passed").text
    ana.mentor("pause 400d")
    assert "at most 180 days" in ana.wait_for_ephemeral("180 days").text


def test_resume_ends_a_pause_at_once(world: World, database_url: str) -> None:
    sam = world.person("Sam")
    sam.join(join_answers("mentor", offered=["Leadership"], capacity=1))
    sam.mentor("pause")
    sam.wait_for_ephemeral("until you type `/mentor resume`")
    assert rows(database_url, Participant)[0].paused_until is None
    sam.mentor("resume")
    sam.wait_for_ephemeral("Welcome back")
    assert rows(database_url, Participant)[0].status == "active"
    sam.mentor("resume")
    sam.wait_for_ephemeral("You're not paused")


def test_leave_and_come_back(world: World, database_url: str) -> None:
    priya = world.person("Priya")
    priya.join(join_answers("mentee", wanted=["Writing"]))
    priya.wait_for_dm()
    priya.mentor("leave")
    priya.wait_for_ephemeral("You've left *Mentoring*")
    [row] = rows(database_url, Participant)
    assert row.status == "left" and row.left_at is not None
    priya.open_home()
    assert "you left" in str(priya.wait_for_home("you left"))
    priya.join(join_answers("mentee", wanted=["Writing"]), title="Edit your profile")
    world.wait_for(lambda: rows(database_url, Participant)[0].status == "active", what="Priya back")


def test_leaving_a_programme_you_are_not_in_says_so(world: World) -> None:
    tom = world.person("Tom")
    tom.mentor("leave")
    tom.wait_for_ephemeral("You're not in any programme")
    tom.mentor("leave Chess Club")
    tom.wait_for_ephemeral("You're not in a programme called")


def test_preferences_are_stored_and_rather_not_stays_private(world: World, database_url: str) -> None:
    ana, kenji, ingrid = world.person("Ana"), world.person("Kenji"), world.person("Ingrid")
    ingrid.mentor("admin")
    ingrid.wait_for_ephemeral("Programme admin")
    set_programme(database_url, offices=["Lisbon", "Berlin"])
    answers = {"meeting_mode": "in_person", "office": "Lisbon", "rather_not": [kenji.id]}
    ana.join(join_answers("mentee", wanted=["Writing"]) | answers)
    ana.wait_for_dm()
    [row] = rows(database_url, Participant)
    assert row.meeting_mode == "in_person" and row.office == "Lisbon" and row.rather_not == [kenji.id]
    posted = json.dumps([c.params for c in world.standin.calls if c.method == "chat.postMessage"])
    assert kenji.id not in posted


def test_my_data_sends_a_file_of_everything_stored(world: World) -> None:
    lea = world.person("Lea")
    lea.join(join_answers("mentee", wanted=["Writing"], goals="Write a design doc people enjoy"))
    lea.wait_for_dm()
    lea.mentor("my-data")
    lea.wait_for_ephemeral("I've sent you a file")
    [share] = [s for s in lea.dms() if s.files]
    exported = json.loads(share.files[0]["bytes"])
    assert exported["slack_user_id"] == lea.id
    assert exported["memberships"][0]["goals"] == "Write a design doc people enjoy"
    assert exported["memberships"][0]["programme"] == "Mentoring"


def all_values(database_url: str) -> list[str]:
    """Every value in every table, as text."""
    db = Database.from_url(database_url)
    values: list[str] = []
    try:
        with db.engine.connect() as conn:
            for table in inspect(conn).get_table_names():
                for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                    values.extend(str(v) for v in row)
    finally:
        db.dispose()
    return values


def test_forget_me_leaves_no_row_naming_the_person(world: World, database_url: str) -> None:
    ana, sam, ingrid = world.person("Ana"), world.person("Sam"), world.person("Ingrid")
    ana.join(join_answers("mentee", wanted=["Writing"]))
    sam.join(join_answers("mentor", offered=["Writing"], capacity=2) | {"rather_not": [ana.id]})
    ana.wait_for_dm()
    sam.wait_for_dm()
    db = Database.from_url(database_url)
    with db.begin() as session:
        programme = session.exec(select(Programme)).one()
        assert programme.id is not None
        session.add(
            ProgrammeAdmin(
                team_id=programme.team_id, programme_id=programme.id, slack_user_id=ana.id, granted_by=ingrid.id
            )
        )
        session.add(
            AuditEntry(
                team_id=programme.team_id,
                actor_id=ingrid.id,
                action="programme.grant_admin",
                subject_id=ana.id,
                details={"note": f"for <@{ana.id}>"},
            )
        )
    db.dispose()
    assert any(ana.id in v for v in all_values(database_url))

    ana.mentor("forget-me")
    modal = ana.wait_for_modal("Delete my data")
    reply = ana.submit({"confirm": []})
    assert reply.json is not None and "confirm" in reply.json["errors"]
    ana.submit({"confirm": ["yes"]})
    assert "everything mentor-bot stored about you" in ana.wait_for_dm(2).text
    world.settle()

    assert not [v for v in all_values(database_url) if ana.id in v]
    assert modal["callback_id"] == "forget_me_confirm"
    [programme] = rows(database_url, Programme)
    assert programme.forgotten == {"mentee": 1}
    [sam_row] = rows(database_url, Participant)
    assert sam_row.rather_not == []


def test_a_deactivated_person_is_paused_everywhere(world: World, database_url: str) -> None:
    omar = world.person("Omar")
    omar.join(join_answers("mentee", wanted=["Writing"]))
    omar.wait_for_dm()
    world.platform.event(
        {"type": "user_change", "user": {"id": omar.id, "team_id": world.standin.team_id, "deleted": True}}
    )
    world.wait_for(lambda: rows(database_url, Participant)[0].status == "paused", what="Omar paused")
    assert rows(database_url, Participant)[0].status_reason == "deactivated"


def test_uninstalling_stops_work_and_deletes_data_after_retention(world: World, database_url: str) -> None:
    chloe = world.person("Chloe")
    chloe.join(join_answers("mentee", wanted=["Writing"]))
    chloe.wait_for_dm()
    chloe.mentor("pause 1d")
    chloe.wait_for_ephemeral("You're paused")
    world.platform.event({"type": "tokens_revoked", "tokens": {"oauth": ["U0CHLOE01"]}})
    world.settle()
    assert rows(database_url, Workspace) == []  # only user tokens: nothing stops
    world.platform.event({"type": "app_uninstalled"})
    world.wait_for(lambda: rows(database_url, Workspace), what="the workspace marked")
    [workspace] = rows(database_url, Workspace)
    assert not workspace.active and workspace.delete_after is not None

    in_three_days = datetime.now(UTC) + timedelta(days=3)
    assert run_tick(world, database_url, in_three_days)["pauses_ended"] == 0  # nothing is sent any more
    assert run_tick(world, database_url, workspace.delete_after + timedelta(minutes=1))["workspaces_purged"] == [
        world.standin.team_id
    ]
    assert rows(database_url, Participant) == [] and rows(database_url, Programme) == []


def test_someone_joining_the_programme_channel_is_invited_privately(world: World, database_url: str) -> None:
    db = Database.from_url(database_url)
    with db.begin() as session:
        session.add(
            Programme(
                team_id=world.standin.team_id,
                slug="guild",
                name="Design Guild",
                skills=["UX research"],
                channel_id=GENERAL_CHANNEL_ID,
            )
        )
    db.dispose()
    diego = world.person("Diego")
    world.platform.event(
        {"type": "member_joined_channel", "user": diego.id, "channel": GENERAL_CHANNEL_ID, "channel_type": "C"}
    )
    invite = world.wait_for(
        lambda: next((s for s in world.standin.seen_by(diego.id) if s.kind == "ephemeral"), None), what="the invitation"
    )
    assert "Design Guild" in invite.text
    assert all(s.kind != "ephemeral" for s in world.standin.seen_by(world.person("Ana").id))
    diego.click(invite, "channel_invite_join")
    modal = diego.wait_for_modal("Join a programme")
    assert "Design Guild" in json.dumps(modal["blocks"][0])


def test_pause_dates_are_checked_on_the_persons_own_calendar() -> None:
    from mentoring.programmes import PauseError, parse_pause

    today = date(2026, 11, 23)
    assert parse_pause("2w", today=today) == date(2026, 12, 7)
    assert parse_pause("10 days", today=today) == date(2026, 12, 3)
    assert parse_pause("until 2026-12-24", today=today) == date(2026, 12, 24)
    assert parse_pause("1 month", today=today) == date(2026, 12, 23)
    assert parse_pause("", today=today) is None
    for bad in ("0d", "tomorrow", "2026-11-23"):
        try:
            parse_pause(bad, today=today)
        except PauseError:
            continue
        raise AssertionError(f"{bad!r} was accepted")

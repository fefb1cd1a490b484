"""An admin imports the organisation's roster: from Slack (an upload form read through Slack's files API) or the
CLI. Each email is found in Slack; each row that cannot be used is reported by line, the others are stored
together and invited to join. People join only by submitting the join form, filled in from the roster, and the
manager it names keeps them apart from their reports."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from blocks import matching as match_ui
from blocks import roster as roster_ui
from mentoring.roster import check_roster
from pairing.roster import read_import_csv
from standin import BOT_TOKEN, TEAM_DOMAIN
from standin.scenes import Actor, World
from standin.workspace import DEFAULT_PEOPLE, person
from store.models import AuditEntry, Match, OutboxMessage, Participant, Programme, RosterEntry
from store.types import utcnow
from tests.conftest import running_world
from tests.data import rows, run_tick, set_programme
from tests.test_cli import cli
from tests.test_participant_controls import all_values
from tests.test_programme_admin import open_admin_panel

STAFF = [
    person(f"U0STAFF{n:03d}", f"Staff Member{n:03d}", "Engineer", "Europe/Lisbon", "Western European Time")
    for n in range(205)
]
PEOPLE = [dataclasses.replace(p) for p in DEFAULT_PEOPLE] + STAFF
HEADER = "Email,Department,Office,Manager email,Role,Skills,Group\n"
BAD_LINES = {
    # line: (row, the reason the report gives)
    20: (f"nobody@{TEAM_DOMAIN}.example.com,Engineering,Lisbon,,mentee,,", "no active person in this Slack workspace"),
    41: (f"{STAFF[193].email},Legal,Lisbon,,mentee,,", "department 'Legal' is not one of the programme's"),
    62: (f"{STAFF[194].email},Engineering,Paris,,mentee,,", "office 'Paris' is not one of the programme's"),
    83: (f"{STAFF[195].email},Engineering,Lisbon,,coach,,", "'coach' is not a role of this programme"),
    104: (
        f"{STAFF[196].email},Sales,Berlin,ghost@example.com,mentor,,",
        "manager: no active person in this Slack workspace",
    ),
    125: (f"{STAFF[1].email},Sales,Berlin,,mentor,,", "duplicate: this person is already on line 3"),
    146: (f"{STAFF[197].email},Sales,Berlin,{STAFF[197].email},mentee,,", "a person cannot be their own manager"),
}


def roster_csv() -> str:
    """200 rows: 193 people (each reporting to the first, who is a mentor) and 7 rows that cannot be used."""
    good = iter(range(193))
    lines = []
    for line in range(2, 202):
        if line in BAD_LINES:
            lines.append(BAD_LINES[line][0])
            continue
        n = next(good)
        staff = STAFF[n]
        manager = "" if n == 0 else STAFF[0].email
        role = "mentor" if n % 3 == 0 else "mentee"
        lines.append(f"{staff.email.upper()},engineering,Lisbon,{manager},{role},Writing;Public speaking,")
    return HEADER + "\n".join(lines) + "\n"


@pytest.fixture
def big_world(database_url: str) -> Iterator[World]:
    with running_world(database_url, slack={"people": PEOPLE}) as world:
        set_programme(database_url, departments=["Engineering", "Sales"], offices=["Lisbon", "Berlin"])
        yield world


def staff(world: World, n: int) -> Actor:
    return Actor(world, STAFF[n])


def upload_roster(world: World, database_url: str, admin: Actor, text: str) -> dict[str, Any]:
    """The admin opens *Import roster*, picks the file and submits: the report shown in the form."""
    [programme] = rows(database_url, Programme)
    admin.click(open_admin_panel(admin), roster_ui.ROSTER_ACTION, str(programme.id))
    admin.wait_for_modal("Import a roster")
    uploaded = world.standin.upload_from(admin.id, "roster.csv", text.encode())
    reply = admin.submit({"roster": [uploaded]})
    assert reply.json is not None and reply.json["response_action"] == "update", reply.body
    return world.wait_for(
        lambda: next((m for m in world.standin.open_modals(admin.id) if "Roster" in m["title"]["text"]), None),
        timeout=60,
        what="the import report",
    )


def test_a_roster_of_200_rows_with_7_bad_ones_imports_193_and_reports_the_7_by_line(
    big_world: World, database_url: str, tmp_path: Path
) -> None:
    world = big_world
    ingrid, ana = world.person("Ingrid"), world.person("Ana")
    [programme] = rows(database_url, Programme)

    # someone who is not an admin cannot open the form (a forged click)
    ana.mentor("admin")
    refusal = ana.wait_for_ephemeral("Only programme admins")
    ana.click(refusal, roster_ui.ROSTER_ACTION, str(programme.id))
    ana.wait_for_ephemeral("Only programme admins", count=2)
    assert world.standin.open_modals(ana.id) == []

    # the CLI's dry run: the same report, nothing stored, nobody messaged
    path = tmp_path / "roster.csv"
    path.write_text(roster_csv())
    dry = cli(
        "roster", "import", str(path), "--programme", "Mentoring", "--dry-run",
        DATABASE_URL=database_url, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET="s",
        SLACK_API_URL=world.standin.api_url, PATH="/usr/bin",
    )  # fmt: skip
    assert dry.returncode == 0, dry.stderr
    assert "Mentoring: 200 rows, 193 would import, 7 not imported." in dry.stdout
    assert "Dry run: nothing was stored and nobody was messaged." in dry.stdout
    for line, (_row, reason) in BAD_LINES.items():
        assert any(out.startswith(f"line {line}: ") and reason in out for out in dry.stdout.splitlines()), line
    assert rows(database_url, RosterEntry) == [] and rows(database_url, OutboxMessage) == []
    assert not any(c.method == "chat.postMessage" for c in world.standin.calls)

    # from Slack: the file is read through files.info and its url_private, each email looked up
    report = upload_roster(world, database_url, ingrid, roster_csv())
    shown = str(report["blocks"])
    assert "Mentoring: 200 rows, 193 imported, 7 not imported." in shown
    for line, (_row, reason) in BAD_LINES.items():
        assert f"line {line}: " in shown and reason in shown, line
    assert world.standin.calls_to("files.info") and world.standin.calls_to("url_private")
    # users.lookupByEmail is Tier 3: once Slack answers 429, the rest are found in one pass over users.list
    lookups = world.standin.calls_to("users.lookupByEmail")
    assert any(c.status == 429 for c in lookups) and len(lookups) < 120 and world.standin.calls_to("users.list")
    assert "Invited to join: 193" in str(ingrid.wait_for_dm().blocks)
    entries = rows(database_url, RosterEntry)
    assert len(entries) == 193
    assert {e.department for e in entries} == {"Engineering"} and {e.office for e in entries} == {"Lisbon"}
    report_to_first = next(e for e in entries if e.slack_user_id == STAFF[1].id)
    assert report_to_first.manager_id == STAFF[0].id and report_to_first.skills == ["Writing", "Public speaking"]
    assert len([m for m in rows(database_url, OutboxMessage) if m.kind == "roster_invite"]) == 193
    assert rows(database_url, Participant) == []  # invited, not joined: their consent is still asked
    [audit] = [e for e in rows(database_url, AuditEntry) if e.action == "roster_import"]
    assert audit.actor_id == ingrid.id and audit.details["invited"] == 193
    assert "@" not in str([e.model_dump() for e in entries])  # no email is kept

    # the manager and their report join from their invitations (sent by the outbox), the form filled in
    run_tick(world, database_url, utcnow())
    manager, report_person = staff(world, 0), staff(world, 1)
    for who, role in ((manager, "mentor"), (report_person, "mentee")):
        invite = who.wait_for_dm()
        assert "invites you to join" in invite.text
        who.click(invite, roster_ui.INVITE_ACTION, str(programme.id))
        form = who.wait_for_modal("Join a programme")
        blocks = {b.get("block_id"): b for b in form["blocks"]}
        assert blocks["role"]["element"]["initial_option"]["value"] == role
        assert blocks["department"]["element"]["initial_option"]["value"] == "Engineering"
        assert blocks["office"]["element"]["initial_option"]["value"] == "Lisbon"
        assert "initial_options" not in blocks["consent"]["element"]
        reply = who.submit({"consent": ["yes"], "capacity": "2" if role == "mentor" else None})
        assert reply.status == 200 and reply.body == "", reply.body
        who.wait_for_dm(2)
    joined = {p.slack_user_id: p for p in rows(database_url, Participant)}
    assert joined[report_person.id].manager_id == manager.id

    # the reporting-line rule refuses pairing them
    ingrid.click(open_admin_panel(ingrid), match_ui.MANUAL_ACTION, str(programme.id))
    ingrid.wait_for_modal("Pair two people")
    refused = ingrid.submit({"first": manager.id, "second": report_person.id})
    assert refused.json is not None and "reporting line" in refused.json["errors"]["second"]
    assert rows(database_url, Match) == []


def test_a_roster_is_checked_against_the_programme_and_slack() -> None:
    rows_ = read_import_csv(
        "email,role,department,office,manager-email\n"
        "a@x.io,mentor,eng,,\n"
        "b@x.io,peer,,,\n"
        ",mentee,,,\n"
        "c@x.io,mentee,,Lisbon,\n"
    )
    programme = Programme(team_id="T1", slug="m", name="M", departments=["Eng"], offices=[])
    check = check_roster(rows_, programme, {"a@x.io": "U1", "b@x.io": "U2", "c@x.io": "U3"})
    assert [i.department for i in check.invitees] == ["Eng"]
    assert [(p.line, p.reason.split(":")[0]) for p in check.problems] == [
        (3, "role"),
        (4, "no email"),
        (5, "office 'Lisbon' is not listed"),
    ]
    with pytest.raises(ValueError, match="missing column"):
        read_import_csv("name,role\nAna,mentor\n")


def test_my_data_shows_and_forget_me_deletes_what_a_roster_says(world: World, database_url: str) -> None:
    ingrid, ana, sam, lea = (world.person(n) for n in ("Ingrid", "Ana", "Sam", "Lea"))
    roster = (
        "email,department,office,manager email,role,skills\n"
        f"{ana.who.email},Design,,{sam.who.email},mentee,Writing\n"
        f"{lea.who.email},Engineering,,{ana.who.email},mentor,Writing\n"
    )
    report = upload_roster(world, database_url, ingrid, roster)
    assert "2 rows, 2 imported, 0 not imported" in str(report["blocks"])
    run_tick(world, database_url, utcnow())
    assert "invites you to join" in ana.wait_for_dm().text and sam.dms() == []

    ana.mentor("my-data")
    ana.wait_for_ephemeral("I've sent you a file")
    [share] = [s for s in ana.dms() if s.files]
    [entry] = json.loads(share.files[0]["bytes"])["roster_entries"]
    assert (entry["department"], entry["manager_id"], entry["role"]) == ("Design", sam.id, "mentee")

    ana.mentor("forget-me")
    ana.wait_for_modal("Delete my data")
    ana.submit({"confirm": ["yes"]})
    world.wait_for(lambda: len(rows(database_url, RosterEntry)) == 1, what="Ana's roster entry deleted")
    world.settle()
    assert not [v for v in all_values(database_url) if ana.id in v]
    [left] = rows(database_url, RosterEntry)
    assert left.slack_user_id == lea.id and left.manager_id is None


def test_a_file_that_is_not_a_roster_or_a_closed_programme_imports_nothing_and_says_why(
    world: World, database_url: str, tmp_path: Path
) -> None:
    ingrid = world.person("Ingrid")
    [programme] = rows(database_url, Programme)
    ingrid.click(open_admin_panel(ingrid), roster_ui.ROSTER_ACTION, str(programme.id))
    ingrid.wait_for_modal("Import a roster")
    for text in ("name,team\nAna,Design\n", ""):
        reply = ingrid.submit({"roster": [world.standin.upload_from(ingrid.id, "people.csv", text.encode())]})
        assert reply.json is not None and reply.json["response_action"] == "errors", reply.body
        assert reply.json["errors"]["roster"].startswith("Header: missing column(s) email, role.")
    set_programme(database_url, status="closed")
    reply = ingrid.submit({"roster": [world.standin.upload_from(ingrid.id, "people.csv", b"email,role\n")]})
    assert reply.json is not None and "not open for enrolment" in reply.json["errors"]["roster"]
    path = tmp_path / "cli-roster.csv"
    path.write_text(f"email,role\n{world.person('Ana').who.email},mentee\n")
    report = run_cli_import(world, database_url, path)
    assert "nothing was imported. The programme is not open for enrolment" in report
    assert rows(database_url, RosterEntry) == [] and rows(database_url, OutboxMessage) == []


def run_cli_import(world: World, database_url: str, path: Path) -> str:
    done = cli(
        "roster", "import", str(path), "--programme", "Mentoring",
        DATABASE_URL=database_url, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET="s",
        SLACK_API_URL=world.standin.api_url, PATH="/usr/bin",
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    return done.stdout

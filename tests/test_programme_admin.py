"""Programme admins: creating and editing programmes, lifecycle, participants, grants, audit, refusals."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from blocks import admin as admin_ui
from standin import GENERAL_CHANNEL_ID
from standin.scenes import Actor, World, join_answers
from store import queries
from store.db import Database
from store.models import AuditEntry, Participant, ParticipantStatus, Programme, ProgrammeAdmin
from store.types import utcnow
from tests.data import rows

REFUSED = "Only programme admins can do that"


def programme_named(database_url: str, name: str) -> Programme:
    return next(p for p in rows(database_url, Programme) if p.name == name)


def programme_answers(name: str = "Women in Tech", **extra: Any) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "name": name,
        "objectives": "Grow confident technical leaders",
        "kind": "one_to_one",
        "cycle_days": "90",
        "cadence": "fortnightly",
        "skills": "Leadership\nPublic speaking\nSystem design",
        "channel": None,
        "enrolment": ["yes"],
        "enrolment_deadline": None,
        "eligibility": "Everyone in Engineering",
        "circle_size": "4",
        "max_capacity": "3",
        "approval": ["yes"],
        "llm": [],
    }
    answers.update(extra)
    return answers


def open_admin_panel(admin: Actor) -> Any:
    admin.mentor("admin")
    return admin.wait_for_ephemeral("Programme admin")


def create_programme(world: World, admin: Actor, **answers: Any) -> Any:
    panel = open_admin_panel(admin)
    admin.click(panel, admin_ui.NEW_ACTION, "new")
    admin.wait_for_modal("New programme")
    return admin.submit(programme_answers(**answers))


def lifecycle(admin: Actor, programme: Programme, to: str) -> None:
    panel = open_admin_panel(admin)
    admin.click(panel, admin_ui.LIFECYCLE_ACTION, json.dumps({"programme_id": programme.id, "to": to}))


def test_a_person_who_is_not_an_admin_is_refused_and_nothing_changes(world: World, database_url: str) -> None:
    ana = world.person("Ana")
    ana.mentor("admin")
    assert REFUSED in ana.wait_for_ephemeral(REFUSED).text
    # A forged click on an admin button and a forged submission of the admin modal.
    world.platform.click(
        ana.id, admin_ui.NEW_ACTION, "new", message={"ts": "1.0", "blocks": []}, channel_id=GENERAL_CHANNEL_ID
    )
    ana.wait_for_ephemeral(REFUSED, count=2)
    forged_view = {"id": "V0FORGED", **admin_ui.programme_modal(None, default_skills=["Leadership"])}
    reply = world.platform.submit_view(ana.id, forged_view, programme_answers("Hijack"))
    assert reply.json is not None and reply.json["response_action"] == "errors"
    assert REFUSED in reply.json["errors"]["name"]
    world.settle()
    assert [p.name for p in rows(database_url, Programme)] == ["Mentoring"]
    assert rows(database_url, AuditEntry) == []


def test_a_workspace_admin_creates_a_programme_in_a_modal(world: World, database_url: str) -> None:
    ingrid = world.person("Ingrid")
    reply = create_programme(world, ingrid, channel=GENERAL_CHANNEL_ID, enrolment_deadline=None)
    assert reply.status == 200 and reply.body == ""
    world.settle()
    wit = programme_named(database_url, "Women in Tech")
    assert wit.status == "draft" and wit.skills == ["Leadership", "Public speaking", "System design"]
    assert wit.channel_id == GENERAL_CHANNEL_ID and wit.max_capacity == 3 and wit.requires_approval
    [entry] = rows(database_url, AuditEntry)
    assert (entry.actor_id, entry.action, entry.programme_id) == (ingrid.id, "programme.create", wit.id)
    assert world.standin.calls_to("conversations.join")[0].params["channel"] == GENERAL_CHANNEL_ID
    assert "Women in Tech" in str(ingrid.wait_for_home("Women in Tech"))


def test_a_private_programme_channel_needs_an_invitation(world: World, database_url: str) -> None:
    ingrid = world.person("Ingrid")
    private = world.standin.add_channel("wit-private", [ingrid.id], private=True, bot_member=False)
    create_programme(world, ingrid, channel=private)
    dm = ingrid.wait_for_dm()
    assert "/invite @mentor-bot" in dm.text


def test_invalid_programme_answers_come_back_inline_and_nothing_is_stored(world: World, database_url: str) -> None:
    ingrid = world.person("Ingrid")
    reply = create_programme(
        world,
        ingrid,
        name="  ",
        cycle_days="3",
        skills="\n".join(f"Skill {n}" for n in range(101)),
        objectives="x" * 2001,
        enrolment_deadline="2020-01-01",
    )
    assert reply.json is not None
    assert set(reply.json["errors"]) == {"name", "cycle_days", "skills", "objectives", "enrolment_deadline"}
    reply = ingrid.submit(programme_answers("mentoring", cycle_days="ninety"))
    assert reply.json is not None and set(reply.json["errors"]) == {"name", "cycle_days"}
    assert "already has this name" in reply.json["errors"]["name"]
    world.settle()
    assert [p.name for p in rows(database_url, Programme)] == ["Mentoring"]


def test_the_programme_lifecycle_from_draft_to_a_new_cycle(world: World, database_url: str) -> None:
    ingrid, ana = world.person("Ingrid"), world.person("Ana")
    create_programme(world, ingrid)
    world.settle()
    wit = programme_named(database_url, "Women in Tech")

    ana.mentor("join Women in Tech")
    assert "not open for enrolment" in ana.wait_for_ephemeral("not open").text

    lifecycle(ingrid, wit, "enrolling")
    world.wait_for(lambda: programme_named(database_url, "Women in Tech").status == "enrolling", what="enrolling")
    ana.join(join_answers("mentee", wanted=["Leadership"]), text="join Women in Tech")
    ana.wait_for_dm()

    lifecycle(ingrid, wit, "active")
    world.wait_for(lambda: programme_named(database_url, "Women in Tech").status == "active", what="active")
    assert ingrid.wait_for_modal("Match preview")["callback_id"] == "match_preview_release"
    active = programme_named(database_url, "Women in Tech")
    assert active.cycle_started_at is not None and active.cycle_ends_at is not None
    assert active.cycle_ends_at - active.cycle_started_at == timedelta(days=90)

    lifecycle(ingrid, wit, "closed")
    world.wait_for(lambda: programme_named(database_url, "Women in Tech").status == "closed", what="closed")
    world.person("Sam").mentor("join Women in Tech")
    assert "not open for enrolment" in world.person("Sam").wait_for_ephemeral("not open").text

    lifecycle(ingrid, wit, "enrolling")
    invite = ana.wait_for_dm(2)
    assert "starting cycle 2" in invite.text
    again = programme_named(database_url, "Women in Tech")
    assert (again.status, again.cycle_number) == ("enrolling", 2)
    [ana_row] = [p for p in rows(database_url, Participant) if p.programme_id == wit.id]
    assert ana_row.status == ParticipantStatus.INVITED
    ana.click(invite, admin_ui.OPT_IN_ACTION)
    world.wait_for(
        lambda: next(p for p in rows(database_url, Participant) if p.programme_id == wit.id).status == "active",
        what="Ana back in",
    )
    actions = [(e.action, e.details.get("to")) for e in rows(database_url, AuditEntry)]
    assert actions == [
        ("programme.create", None),
        ("programme.lifecycle", "enrolling"),
        ("programme.lifecycle", "active"),
        ("match.preview", None),  # a cycle starts with its first round, previewed for approval
        ("programme.lifecycle", "closed"),
        ("programme.lifecycle", "enrolling"),
    ]


def test_a_move_the_lifecycle_does_not_allow_is_refused(world: World, database_url: str) -> None:
    ingrid = world.person("Ingrid")
    create_programme(world, ingrid)
    world.settle()
    wit = programme_named(database_url, "Women in Tech")
    lifecycle(ingrid, wit, "active")  # forged: a draft cannot start a cycle
    assert "cannot move" in ingrid.wait_for_ephemeral("cannot move").text
    assert programme_named(database_url, "Women in Tech").status == "draft"


def test_a_granted_programme_admin_manages_only_that_programme(world: World, database_url: str) -> None:
    ingrid, sam = world.person("Ingrid"), world.person("Sam")
    create_programme(world, ingrid)
    world.settle()
    wit = programme_named(database_url, "Women in Tech")
    default = programme_named(database_url, "Mentoring")

    panel = open_admin_panel(ingrid)
    ingrid.click(panel, admin_ui.GRANT_ACTION, str(wit.id))
    ingrid.wait_for_modal("Add a programme admin")
    ingrid.submit({"admin": sam.id})
    assert "made you an admin of *Women in Tech*" in sam.wait_for_dm().text

    panel = open_admin_panel(sam)
    assert "Women in Tech" in str(panel.blocks) and "*Mentoring*" not in str(panel.blocks)
    sam.click(panel, admin_ui.EDIT_ACTION, str(default.id))  # forged value: a programme Sam does not admin
    sam.wait_for_ephemeral(REFUSED)
    sam.click(panel, admin_ui.EDIT_ACTION, str(wit.id))
    sam.wait_for_modal("Edit programme")
    sam.submit(programme_answers("Women in Tech", cycle_days="60"))
    world.wait_for(lambda: programme_named(database_url, "Women in Tech").cycle_days == 60, what="the edit")
    [grant] = rows(database_url, ProgrammeAdmin)
    assert (grant.slack_user_id, grant.granted_by) == (sam.id, ingrid.id)
    update = [e for e in rows(database_url, AuditEntry) if e.action == "programme.update"]
    assert update[0].actor_id == sam.id and update[0].details == {"changed": ["cycle_days"]}


def test_admins_see_who_is_waiting_paused_and_left_but_never_private_preferences(
    world: World, database_url: str
) -> None:
    ingrid, ana, sam, kenji = (world.person(n) for n in ("Ingrid", "Ana", "Sam", "Kenji"))
    ana.join(join_answers("mentee", wanted=["Leadership"], department="Engineering") | {"rather_not": [kenji.id]})
    sam.join(join_answers("mentor", offered=["Leadership"], capacity=2, department="Sales"))
    kenji.join(join_answers("mentee", wanted=["Writing"], department="Data"))
    for person in (ana, sam, kenji):
        person.wait_for_dm()
    sam.mentor("pause 2w")
    sam.wait_for_ephemeral("paused")
    kenji.mentor("leave")
    kenji.wait_for_ephemeral("You've left")

    default = programme_named(database_url, "Mentoring")
    panel = open_admin_panel(ingrid)
    ingrid.click(panel, admin_ui.PARTICIPANTS_ACTION, str(default.id))
    modal = ingrid.wait_for_modal("Participants")
    text = json.dumps(modal)
    assert "Mentee: 1" in text and "Mentor: 1" in text
    assert f"Waiting for a match (1):* <@{ana.id}>" in text
    assert f"Paused (1):* <@{sam.id}> (until" in text
    assert f"Left (1):* <@{kenji.id}>" in text
    assert "rather" not in text.lower()


def test_one_workspace_cannot_read_or_change_another(world: World, database_url: str) -> None:
    db = Database.from_url(database_url)
    with db.begin() as session:
        other = Programme(team_id="T0OTHER01", slug="secret", name="Secret Programme", skills=["Leadership"])
        session.add(other)
        session.flush()
        assert other.id is not None
        session.add(
            Participant(
                team_id="T0OTHER01",
                programme_id=other.id,
                slack_user_id="U0OTHER01",
                role="mentee",
                consent_version="x",
                consented_at=utcnow(),
            )
        )
    other_id = other.id
    db.dispose()
    ingrid = world.person("Ingrid")
    panel = open_admin_panel(ingrid)
    assert "Secret Programme" not in str(panel.blocks)
    for action in (admin_ui.EDIT_ACTION, admin_ui.PARTICIPANTS_ACTION, admin_ui.GRANT_ACTION):
        ingrid.click(panel, action, str(other_id))
    ingrid.click(panel, admin_ui.LIFECYCLE_ACTION, json.dumps({"programme_id": other_id, "to": "closed"}))
    world.wait_for(
        lambda: len([e for e in ingrid.ephemerals() if "doesn't exist" in e.text]) == 4, what="four refusals"
    )
    forged_view = {"id": "V0FORGED", **admin_ui.programme_modal(None, default_skills=["Leadership"])}
    forged_view["private_metadata"] = json.dumps({"programme_id": other_id})
    reply = world.platform.submit_view(ingrid.id, forged_view, programme_answers("Taken over"))
    assert reply.json is not None and "doesn't exist" in reply.json["errors"]["name"]
    world.person("Ana").mentor("join Secret Programme")
    assert "There is no programme called" in world.person("Ana").wait_for_ephemeral("no programme").text
    secret = programme_named(database_url, "Secret Programme")
    assert secret.status == "enrolling" and secret.team_id == "T0OTHER01"
    with Database.from_url(database_url).session() as session:
        assert queries.memberships(session=session, team_id=world.standin.team_id, slack_user_id="U0OTHER01") == []

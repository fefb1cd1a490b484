"""Offices and meeting mode: a programme lists its offices, people pick theirs, in-person pairs meet in one office,
and the join form refuses a meeting the programme could not arrange."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from blocks import admin as admin_ui
from pairing import Candidate, Weights, match, score_pair
from standin.scenes import Actor, World, join_answers
from store.models import Participant, Programme
from tests.data import rows
from tests.test_matching_flow import match_now, proposed
from tests.test_programme_admin import open_admin_panel

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def set_offices(world: World, admin: Actor, database_url: str, offices: str) -> Programme:
    """The admin lists the programme's offices in the programme modal."""
    panel = open_admin_panel(admin)
    [programme] = rows(database_url, Programme)
    admin.click(panel, admin_ui.EDIT_ACTION, str(programme.id))
    admin.wait_for_modal("Edit programme")
    reply = admin.submit({"offices": offices})
    assert reply.status == 200 and reply.json is None, reply.body
    world.wait_for(lambda: rows(database_url, Programme)[0].offices, what="the offices saved")
    return rows(database_url, Programme)[0]


def meeting(answers: dict[str, Any], mode: str, office: str | None = None) -> dict[str, Any]:
    answers["meeting_mode"] = mode
    if office is not None:
        answers["office"] = office
    return answers


def block(modal: dict[str, Any], block_id: str) -> dict[str, Any] | None:
    return next((b for b in modal["blocks"] if b.get("block_id") == block_id), None)


def test_without_offices_only_virtual_meetings_are_offered_and_in_person_is_refused(
    world: World, database_url: str
) -> None:
    ana = world.person("Ana")
    ana.mentor("join")
    modal = ana.wait_for_modal("Join a programme")
    assert block(modal, "office") is None
    modes = block(modal, "meeting_mode")
    assert modes is not None and [o["value"] for o in modes["element"]["options"]] == ["virtual"]

    reply = ana.submit(meeting(join_answers("mentee", wanted=["Public speaking"]), "in_person"))  # an old form
    assert reply.json is not None and reply.json["response_action"] == "errors"
    assert set(reply.json["errors"]) == {"meeting_mode"}
    assert "no offices" in reply.json["errors"]["meeting_mode"]
    assert rows(database_url, Participant) == []


def test_in_person_pairs_are_matched_within_their_office(world: World, database_url: str) -> None:
    ingrid = world.person("Ingrid")
    programme = set_offices(world, ingrid, database_url, "Lisbon\nBerlin\nlisbon\n")
    assert programme.offices == ["Lisbon", "Berlin"]

    ana, sam, lea, kenji = (world.person(n) for n in ("Ana", "Sam", "Lea", "Kenji"))
    ana.mentor("join")
    modal = ana.wait_for_modal("Join a programme")
    office = block(modal, "office")
    assert office is not None and [o["value"] for o in office["element"]["options"]] == ["Lisbon", "Berlin"]
    modes = block(modal, "meeting_mode")
    assert modes is not None and [o["value"] for o in modes["element"]["options"]] == ["virtual", "in_person", "either"]

    # "In person" without an office, or with one the programme does not list, is refused inline
    reply = ana.submit(meeting(join_answers("mentee", wanted=["Public speaking"]), "in_person"))
    assert reply.json is not None and set(reply.json["errors"]) == {"office"}
    assert "pick your office" in reply.json["errors"]["office"]
    reply = ana.submit(meeting(join_answers("mentee", wanted=["Public speaking"]), "in_person", "Atlantis"))
    assert reply.json is not None and reply.json["errors"] == {"office": "Pick your office from the list."}
    assert rows(database_url, Participant) == []

    reply = ana.submit(meeting(join_answers("mentee", wanted=["Public speaking"]), "in_person", "Lisbon"))
    assert reply.status == 200 and reply.body == ""
    assert "office: Lisbon" in ana.wait_for_dm().text or "office: Lisbon" in ana.transcript()
    sam.join(meeting(join_answers("mentor", offered=["Public speaking"], capacity=1), "in_person", "Lisbon"))
    lea.join(meeting(join_answers("mentor", offered=["Public speaking"], capacity=1), "in_person", "Berlin"))
    kenji.join(meeting(join_answers("mentee", wanted=["Public speaking"]), "either", "Berlin"))
    for person in (sam, lea, kenji):
        person.wait_for_dm()
    stored = {p.slack_user_id: (p.meeting_mode, p.office) for p in rows(database_url, Participant)}
    assert stored[ana.id] == ("in_person", "Lisbon") and stored[kenji.id] == ("either", "Berlin")

    preview = match_now(world, ingrid, database_url)
    assert "2 matches proposed" in str(preview)
    pairs = {tuple(ids) for ids in proposed(database_url).values()}
    assert pairs == {(sam.id, ana.id), (lea.id, kenji.id)}


def test_the_programme_preference_decides_between_departments_and_offices() -> None:
    def person(pid: str, role: str, dept: str, office: str = "") -> Candidate:
        skills = frozenset({"Writing"})
        return Candidate(
            id=pid,
            role=role,  # type: ignore[arg-type]
            skills_offered=skills if role == "mentor" else frozenset(),
            skills_wanted=skills if role == "mentee" else frozenset(),
            department=dept,
            location=office,
        )

    people = [
        person("same", "mentor", "Engineering", "Berlin"),
        person("other", "mentor", "Sales", "Lisbon"),
        person("me", "mentee", "engineering", "Lisbon"),
    ]

    def mentor_of(weights: Weights) -> str:
        [pair] = match(people, mode="mentoring", weights=weights, now=NOW, seed=3).matches
        return pair.members[0]

    assert mentor_of(Weights()) == "other"  # across departments, the default
    assert mentor_of(Weights(cross_department=0, same_department=10)) == "same"
    assert mentor_of(Weights(cross_department=0, same_office=10)) == "other"
    _, reasons = score_pair(
        people[0], people[2], weights=Weights(cross_department=0, same_department=10), mode="mentoring"
    )
    assert "same department (Engineering)" in reasons


def test_departments_come_from_the_programme_list_and_the_preference_is_used(world: World, database_url: str) -> None:
    ingrid, ana, sam = world.person("Ingrid"), world.person("Ana"), world.person("Sam")
    panel = open_admin_panel(ingrid)
    [programme] = rows(database_url, Programme)
    ingrid.click(panel, admin_ui.EDIT_ACTION, str(programme.id))
    ingrid.wait_for_modal("Edit programme")
    reply = ingrid.submit({"pair_preference": "same_office"})  # no offices listed: refused inline
    assert reply.json is not None and set(reply.json["errors"]) == {"pair_preference"}
    reply = ingrid.submit({"departments": "Engineering\nSales", "pair_preference": "same_department"})
    assert reply.status == 200 and reply.json is None
    world.wait_for(lambda: rows(database_url, Programme)[0].departments, what="the departments saved")
    assert rows(database_url, Programme)[0].pair_preference == "same_department"

    ana.mentor("join")
    modal = ana.wait_for_modal("Join a programme")
    department = block(modal, "department")
    assert department is not None and department["element"]["type"] == "static_select"
    assert [o["value"] for o in department["element"]["options"]] == ["Engineering", "Sales"]
    reply = ana.submit(join_answers("mentee", wanted=["Public speaking"], department="Eng"))  # forged
    assert reply.json is not None and reply.json["errors"] == {"department": "Pick your department from the list."}
    ana.submit(join_answers("mentee", wanted=["Public speaking"], department="Engineering"))
    sam.join(join_answers("mentor", offered=["Public speaking"], capacity=1, department="Engineering"))
    ana.wait_for_dm()
    sam.wait_for_dm()
    preview = match_now(world, ingrid, database_url)
    assert "same department (Engineering)" in str(preview)
    assert "different departments" not in str(preview)

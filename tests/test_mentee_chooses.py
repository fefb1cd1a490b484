"""Mentees choose their mentor: in a programme where mentees choose, a mentee browses the mentors with a free place,
asks one with a short note, and the mentor accepts (the match starts like a released one: a room and an
introduction) or declines (the mentee chooses again). A request nobody answers in time lapses and the mentee is
matched at the next round; one that has come to break a matching rule is refused with the rule named."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from blocks import admin as admin_ui
from blocks import choosing as choose_ui
from mentoring.programmes import ProgrammeAnswers, validate_programme
from standin.scenes import Actor, World, join_answers
from store import queries
from store.db import Database
from store.models import Match, MatchMember, MentorRequest, Programme
from store.types import utcnow
from tests.data import rows, run_tick, set_programme

NOTE = "I'd love help preparing my first conference talk."


def enrol(world: World, database_url: str, *, lea_places: int = 1) -> dict[str, Actor]:
    set_programme(database_url, matching="choose", request_days=3, requires_approval=False)
    people = {n: world.person(n) for n in ("Sam", "Lea", "Ana", "Kenji", "Priya")}
    people["Sam"].join(
        join_answers("mentor", offered=["Public speaking", "Leadership"], capacity=1, department="Sales")
        | {"bio": "Fifteen years of sales talks; happy to rehearse yours."}
    )
    people["Lea"].join(
        join_answers("mentor", offered=["Writing", "Leadership"], capacity=lea_places, department="Data")
    )
    people["Ana"].join(join_answers("mentee", wanted=["Public speaking"], department="Engineering"))
    people["Kenji"].join(join_answers("mentee", wanted=["Writing"], department="Design"))
    people["Priya"].join(join_answers("mentee", wanted=["Leadership"], department="Product"))
    for person in people.values():
        person.wait_for_dm()
    return people


def browse(person: Actor) -> dict[str, Any]:
    """The person runs `/mentor mentors`: the list, in a new modal (not one they left open before)."""
    before = {str(m.get("id")) for m in person.world.standin.open_modals(person.id)}
    person.mentor("mentors")

    def opened() -> dict[str, Any] | None:
        stack = person.world.standin.open_modals(person.id)
        top = stack[-1] if stack else None
        if top is None or str(top.get("id")) in before:
            return None
        return top if top.get("title", {}).get("text") == "Choose a mentor" else None

    return person.world.wait_for(opened, what=f"{person.first_name}'s list of mentors")


def listed(modal: dict[str, Any]) -> str:
    return json.dumps(modal["blocks"])


def ask(world: World, mentee: Actor, mentor: Actor, note: str = "") -> dict[str, object]:
    """The mentee asks the mentor from the list; returns the mentor's request DM."""
    before = len(mentor.dms())
    mentee.world.platform.click(mentee.id, choose_ui.PICK_ACTION, mentor.id, view=browse(mentee))
    mentee.wait_for_modal("Ask a mentor")
    reply = mentee.submit({"message": note})
    assert reply.json == {"response_action": "clear"}, reply.json
    request_dm = mentor.wait_for_dm(before + 1)
    assert f"<@{mentee.id}>" in request_dm.text
    return {"dm": request_dm}


def test_a_mentee_chooses_a_mentor_who_accepts_and_another_who_declines(world: World, database_url: str) -> None:
    people = enrol(world, database_url)
    sam, lea, ana, kenji = people["Sam"], people["Lea"], people["Ana"], people["Kenji"]
    assert choose_ui.BROWSE_ACTION in json.dumps(ana.dms()[0].blocks)  # the joined DM offers to choose
    ana.open_home()
    assert choose_ui.BROWSE_ACTION in json.dumps(ana.wait_for_home("Choose a mentor"))  # and so does App Home

    modal = browse(ana)
    assert "Sam" in listed(modal) and "Lea" in listed(modal)
    assert "Fifteen years of sales talks" in listed(modal) and "Sales" in listed(modal)
    assert listed(modal).index("Sam") < listed(modal).index("Lea")  # Sam offers what Ana wants to grow
    request_dm = ask(world, ana, sam, NOTE)["dm"]
    assert NOTE in json.dumps(request_dm.blocks)  # type: ignore[attr-defined]
    assert "Your request is with" in ana.wait_for_dm(2).text

    # Sam's one place is held by Ana's request: Kenji sees only Lea; Ana has one open request at a time
    assert "Sam" not in listed(browse(kenji)) and "Lea" in listed(browse(kenji))
    assert "You asked" in listed(browse(ana))
    [request] = rows(database_url, MentorRequest)
    assert request.status == "open" and request.message == NOTE

    sam.click(request_dm, f"{choose_ui.ANSWER_ACTION}:accept", str(request.id))  # type: ignore[arg-type]
    assert "matched" in ana.wait_for_dm(3).text.lower()
    [match] = rows(database_url, Match)
    assert match.status == "active" and match.room_id and "chosen by the mentee" in match.reasons
    assert {(m.slack_user_id, m.role) for m in rows(database_url, MatchMember)} == {
        (sam.id, "mentor"),
        (ana.id, "mentee"),
    }
    assert world.standin.messages_in(match.room_id)  # the introduction, as for a released match
    assert rows(database_url, MentorRequest)[0].status == "accepted"
    sam.click(request_dm, f"{choose_ui.ANSWER_ACTION}:accept", str(request.id))  # type: ignore[arg-type]
    sam.wait_for_ephemeral("already accepted")
    assert len(rows(database_url, Match)) == 1

    # Kenji asks Lea, who declines: Kenji is told kindly and may choose again
    lea_dm = ask(world, kenji, lea)["dm"]
    kenji_request = next(r for r in rows(database_url, MentorRequest) if r.mentee_id == kenji.id)
    lea.click(lea_dm, f"{choose_ui.ANSWER_ACTION}:decline", str(kenji_request.id))  # type: ignore[arg-type]
    declined = world.wait_for(
        lambda: next((m for m in kenji.dms() if "can't take you on" in m.text), None), what="the kind decline"
    )
    assert choose_ui.BROWSE_ACTION in json.dumps(declined.blocks)
    assert next(r for r in rows(database_url, MentorRequest) if r.id == kenji_request.id).status == "declined"
    kenji.click(declined, choose_ui.BROWSE_ACTION, str(kenji_request.programme_id))
    assert "Lea" in listed(kenji.wait_for_modal("Choose a mentor"))
    assert len(rows(database_url, Match)) == 1


def test_an_unanswered_request_lapses_and_the_mentee_is_matched_at_the_next_round(
    world: World, database_url: str
) -> None:
    people = enrol(world, database_url, lea_places=2)
    lea, priya, kenji = people["Lea"], people["Priya"], people["Kenji"]
    ask(world, priya, lea)
    [request] = rows(database_url, MentorRequest)

    # While the request is open the engine leaves Priya, and the place her request holds, alone
    ingrid = world.person("Ingrid")
    ingrid.mentor("admin")
    programme = rows(database_url, Programme)[0]
    ingrid.click(ingrid.wait_for_ephemeral("Programme admin"), admin_ui.MATCH_ACTION, str(programme.id))
    ingrid.wait_for_ephemeral("Released")
    world.settle()
    first = {m.slack_user_id: m.match_id for m in rows(database_url, MatchMember)}
    assert priya.id not in first and first[lea.id] == first[kenji.id]
    assert not any("couldn't" in m.text.lower() or "not matched" in m.text.lower() for m in priya.dms())

    result = run_tick(world, database_url, request.expires_at - timedelta(hours=1))
    assert result["requests_expired"] == 0
    result = run_tick(world, database_url, request.expires_at + timedelta(minutes=10))
    assert result["requests_expired"] == 1
    assert rows(database_url, MentorRequest)[0].status == "expired"
    world.wait_for(lambda: any("lapsed" in m.text for m in priya.dms()) or None, what="Priya told")
    world.wait_for(lambda: any("lapsed" in m.text for m in lea.dms()) or None, what="Lea told")

    ingrid.mentor("admin")
    ingrid.click(ingrid.wait_for_ephemeral("Programme admin", count=2), admin_ui.MATCH_ACTION, str(programme.id))
    world.settle()
    pairs = [m for m in rows(database_url, MatchMember) if m.slack_user_id == priya.id]
    assert len(pairs) == 1
    assert {m.slack_user_id for m in rows(database_url, MatchMember) if m.match_id == pairs[0].match_id} == {
        priya.id,
        lea.id,
    }
    assert utcnow() < request.expires_at  # the lapse ran in simulated time


def test_accepting_a_request_that_breaks_a_matching_rule_is_refused_with_the_rule_named(
    world: World, database_url: str
) -> None:
    people = enrol(world, database_url)
    sam, ana = people["Sam"], people["Ana"]
    request_dm = ask(world, ana, sam)["dm"]
    [request] = rows(database_url, MentorRequest)
    # Ana thinks again and privately marks Sam as someone she'd rather not be matched with
    ana.join(
        join_answers("mentee", wanted=["Public speaking"], department="Engineering") | {"rather_not": [sam.id]},
        title="Edit your profile",
    )
    ana.wait_for_dm(3)

    sam.click(request_dm, f"{choose_ui.ANSWER_ACTION}:accept", str(request.id))  # type: ignore[arg-type]
    refused = world.wait_for(
        lambda: next((m for m in ana.dms() if "can't become a match" in m.text), None), what="the refusal"
    )
    assert "a private preference" in refused.text and choose_ui.BROWSE_ACTION in json.dumps(refused.blocks)
    assert rows(database_url, Match) == []
    stored = rows(database_url, MentorRequest)[0]
    assert stored.status == "refused" and "a private preference" in stored.reason
    world.wait_for(lambda: any("can't start" in m.text for m in world.standin.seen_by(sam.id)) or None, what="Sam told")


def test_only_mentees_of_a_programme_where_mentees_choose_can_browse(world: World, database_url: str) -> None:
    ana = world.person("Ana")
    ana.join(join_answers("mentee", wanted=["Public speaking"]))
    ana.wait_for_dm()
    ana.mentor("mentors")
    ana.wait_for_ephemeral("Choosing your own mentor is for mentees")
    assert choose_ui.BROWSE_ACTION not in json.dumps(ana.dms()[0].blocks)


def test_my_data_shows_requests_made_and_received_and_forget_me_deletes_them(world: World, database_url: str) -> None:
    people = enrol(world, database_url)
    ask(world, people["Ana"], people["Sam"], NOTE)
    db = Database.from_url(database_url)
    try:
        with db.session() as session:
            for who in ("Ana", "Sam"):
                exported = queries.export_person(session=session, team_id=world.standin.team_id, user_id=people[who].id)
                assert [r["message"] for r in exported["mentor_requests"]] == [NOTE]
        with db.begin() as session:
            queries.forget_person(session=session, team_id=world.standin.team_id, user_id=people["Ana"].id)
    finally:
        db.dispose()
    assert rows(database_url, MentorRequest) == []


def test_the_programme_form_sets_how_mentees_get_a_mentor_and_refuses_choosing_among_peers() -> None:
    answers = ProgrammeAnswers(name="P", kind="one_to_one", cycle_days="90", cadence="weekly", skills="A")
    today = date(2026, 12, 1)
    form, _ = validate_programme(answers, today=today, taken_names=set())
    assert form is not None and (form.matching, form.request_days) == ("engine", 3)
    chosen = ProgrammeAnswers(**{**answers.__dict__, "matching": "choose", "request_days": "7"})
    form, _ = validate_programme(chosen, today=today, taken_names=set())
    assert form is not None and form.fields()["matching"] == "choose" and form.fields()["request_days"] == 7
    peers = ProgrammeAnswers(**{**chosen.__dict__, "kind": "peer_pairs"})
    assert "matching" in validate_programme(peers, today=today, taken_names=set())[1]
    too_long = ProgrammeAnswers(**{**answers.__dict__, "request_days": "30"})
    assert "request_days" in validate_programme(too_long, today=today, taken_names=set())[1]

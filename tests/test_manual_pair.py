"""An admin pairs two named people by hand: every hard rule of the engine is checked, and a pair that breaks one is
refused with the rule named; an allowed pair starts like a released match, with a room and an introduction."""

from __future__ import annotations

from blocks import matching as match_ui
from standin.scenes import World, join_answers
from store.models import AuditEntry, Match, MatchMember, Programme
from tests.data import rows
from tests.test_programme_admin import open_admin_panel


def test_a_manual_pair_that_breaks_a_rule_is_refused_with_the_rule_named(world: World, database_url: str) -> None:
    ingrid, ana, sam, lea, kenji = (world.person(n) for n in ("Ingrid", "Ana", "Sam", "Lea", "Kenji"))
    ana.join(join_answers("mentee", wanted=["Writing"]) | {"rather_not": [sam.id]})
    kenji.join(join_answers("mentee", wanted=["Writing"]))
    sam.join(join_answers("mentor", offered=["Writing"], capacity=1))
    lea.join(join_answers("mentor", offered=["Writing"], capacity=1))
    for person in (ana, kenji, sam, lea):
        person.wait_for_dm()

    panel = open_admin_panel(ingrid)
    [programme] = rows(database_url, Programme)
    ingrid.click(panel, match_ui.MANUAL_ACTION, str(programme.id))
    ingrid.wait_for_modal("Pair two people")

    reply = ingrid.submit({"first": sam.id, "second": ana.id})
    assert reply.json is not None and reply.json["response_action"] == "errors"
    assert "a private preference" in reply.json["errors"]["second"]
    assert sam.id not in reply.json["errors"]["second"] and ana.id not in reply.json["errors"]["second"]
    reply = ingrid.submit({"first": kenji.id, "second": ana.id})
    assert reply.json is not None and "roles" in reply.json["errors"]["second"]
    assert rows(database_url, Match) == []

    reply = ingrid.submit({"first": lea.id, "second": ana.id})
    assert reply.status == 200 and reply.body == ""
    assert "matched" in ana.wait_for_dm(2).text.lower()
    [match] = rows(database_url, Match)
    assert match.status == "active" and match.room_id
    assert {(m.slack_user_id, m.role) for m in rows(database_url, MatchMember)} == {
        (lea.id, "mentor"),
        (ana.id, "mentee"),
    }
    assert "paired by a programme admin" in match.reasons
    assert any(e.action == "match.manual" and e.actor_id == ingrid.id for e in rows(database_url, AuditEntry))

    # Lea has no room left, and the same pair cannot be made twice
    ingrid.click(open_admin_panel(ingrid), match_ui.MANUAL_ACTION, str(programme.id))
    ingrid.wait_for_modal("Pair two people")
    reply = ingrid.submit({"first": lea.id, "second": kenji.id})
    assert reply.json is not None and reply.json["errors"]["second"].startswith("capacity:")
    reply = ingrid.submit({"first": sam.id, "second": ana.id})
    assert reply.json is not None and "already matched" in reply.json["errors"]["second"]


def test_someone_who_is_not_an_admin_cannot_pair_people(world: World, database_url: str) -> None:
    ana, sam = world.person("Ana"), world.person("Sam")
    ana.join(join_answers("mentee", wanted=["Writing"]))
    ana.wait_for_dm()
    [programme] = rows(database_url, Programme)
    panel = ana.wait_for_dm()
    ana.click(panel, match_ui.MANUAL_ACTION, str(programme.id))  # a forged click
    ana.wait_for_ephemeral("Only programme admins")
    assert rows(database_url, Match) == [] and sam.dms() == []

"""A new workspace: no programme exists until an admin creates one. People who try to join are told who can
open one; admins are offered to create it, and then people join that programme, with no other beside it."""

from __future__ import annotations

from blocks import admin as admin_ui
from standin.scenes import World, join_answers
from store.models import AuditEntry, Participant, Programme
from tests.data import rows
from tests.test_programme_admin import REFUSED, lifecycle, programme_answers


def test_a_non_admin_in_a_new_workspace_creates_nothing_and_learns_who_can_open_a_programme(
    new_workspace: World, database_url: str
) -> None:
    world = new_workspace
    ana = world.person("Ana")
    ana.mentor("admin")
    ana.wait_for_ephemeral(REFUSED)
    for text in ("join", "join Mentoring", "profile"):
        ana.mentor(text)
    told = ana.wait_for_ephemeral("No mentoring programme is open yet", count=2)
    admins = [p.id for p in world.standin.people if (p.is_admin or p.is_owner) and not p.deleted and not p.is_bot]
    assert admins and all(f"<@{a}>" in told.text for a in admins)
    assert admin_ui.NEW_ACTION not in str(told.blocks)  # only admins are offered to create one
    ana.open_home()
    ana.wait_for_home()
    world.settle()
    assert rows(database_url, Programme) == []
    assert rows(database_url, AuditEntry) == []
    assert world.standin.calls_to("views.open") == []


def test_an_admin_is_offered_to_create_the_first_programme_and_people_then_join_it(
    new_workspace: World, database_url: str
) -> None:
    world = new_workspace
    ingrid, ana = world.person("Ingrid"), world.person("Ana")
    ingrid.mentor("join")
    offer = ingrid.wait_for_ephemeral("you can create the first one")
    ingrid.click(offer, admin_ui.NEW_ACTION, "new")
    ingrid.wait_for_modal("New programme")
    reply = ingrid.submit(programme_answers("Women in Tech", approval=[]))
    assert reply.status == 200 and reply.body == ""
    world.settle()
    [programme] = rows(database_url, Programme)
    assert (programme.name, programme.status) == ("Women in Tech", "draft")
    lifecycle(ingrid, programme, "enrolling")
    world.wait_for(lambda: rows(database_url, Programme)[0].status == "enrolling", what="enrolment to open")

    ana.mentor("join")
    modal = ana.wait_for_modal("Join a programme")  # the form itself: no picker, no programme nobody set up
    assert "Women in Tech" in str(modal)
    ana.submit(join_answers("mentee", wanted=["Leadership"]))
    assert "Welcome to *Women in Tech*" in ana.wait_for_dm().text
    assert [p.name for p in rows(database_url, Programme)] == ["Women in Tech"]
    [joined] = rows(database_url, Participant)
    assert joined.programme_id == programme.id

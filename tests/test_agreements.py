"""A pair's working agreement: written in the room, confirmed by each member, revised, shown in App Home, counted
(never quoted) in the admin's report, covered by my-data and forget-me."""

from __future__ import annotations

import json

from blocks import agreements as agreement_ui
from blocks import matching as match_ui
from standin import Seen, render_blocks
from standin.scenes import World
from store.models import Agreement, Match
from tests.data import rows
from tests.test_matching_flow import release_all, room_of

FOCUS = "Speaking at the all-hands without notes"
RHYTHM = "Every other Tuesday, 30 minutes on video"
SECRET = "SECRET-AGREEMENT what we say about our managers stays here"
ENDING = "Either of us says so in the room, no reasons needed"


def terms(**changes: str) -> dict[str, str]:
    return {"focus": FOCUS, "rhythm": RHYTHM, "confidential": SECRET, "ending": ENDING} | changes


def the_agreement(world: World, room_id: str) -> list[Seen]:
    return [m for m in world.standin.messages_in(room_id) if "Our agreement, version" in m.text]


def test_a_pair_agrees_revises_and_sees_its_agreement(world: World, database_url: str) -> None:
    people = release_all(world, database_url)
    ana, sam, kenji = people["Ana"], people["Sam"], people["Kenji"]
    match = room_of(database_url, ana.id)
    room = match.room_id or ""
    intro = world.standin.messages_in(room)[0]
    assert "Our agreement" in json.dumps(intro.blocks)

    kenji.click(intro, agreement_ui.AGREEMENT_ACTION, str(match.id))  # not Kenji's match
    kenji.wait_for_ephemeral("not in")
    ana.click(intro, agreement_ui.AGREEMENT_ACTION, str(match.id))
    ana.wait_for_modal("Our agreement")
    reply = ana.submit(terms(confidential="   ", ending="x" * 1001))
    assert reply.json is not None and set(reply.json["errors"]) == {"confidential", "ending"}
    assert rows(database_url, Agreement) == []
    ana.submit(terms())

    [posted] = world.wait_for(lambda: the_agreement(world, room), what="the agreement in the room")
    shown = render_blocks(posted.blocks)
    assert FOCUS in shown and f"Confirmed by <@{ana.id}>" in shown and f"Waiting for <@{sam.id}>" in shown
    [agreement] = rows(database_url, Agreement)
    assert agreement.version == 1 and agreement.confirmed_by == [ana.id] and agreement.agreed_at is None

    ana.click(posted, agreement_ui.CONFIRM_ACTION, f"{match.id}:1")
    ana.wait_for_ephemeral("already confirmed")
    kenji.click(posted, agreement_ui.CONFIRM_ACTION, f"{match.id}:1")
    kenji.wait_for_ephemeral("not in", count=2)
    sam.click(posted, agreement_ui.CONFIRM_ACTION, f"{match.id}:1")

    def agreed() -> Agreement | None:
        [row] = rows(database_url, Agreement)
        return row if row.agreed_at is not None else None

    world.wait_for(agreed, what="the agreement confirmed by both")
    [updated] = the_agreement(world, room)  # one message, updated in place
    final = render_blocks(updated.blocks)
    assert "Agreed by" in final and f"<@{ana.id}>" in final and f"<@{sam.id}>" in final and "Waiting" not in final
    assert agreement_ui.CONFIRM_ACTION not in json.dumps(updated.blocks)

    # Revising: Sam changes the focus; it is a new version both confirm again; Ana's old button counts for nothing.
    sam.click(updated, agreement_ui.AGREEMENT_ACTION, str(match.id))
    form = sam.wait_for_modal("Our agreement")
    assert FOCUS in json.dumps(form["blocks"])  # filled with the current version
    sam.submit(terms(focus="Chairing the design review"))
    world.wait_for(lambda: rows(database_url, Agreement)[0].version == 2, what="version 2")
    [revised] = rows(database_url, Agreement)
    assert revised.confirmed_by == [sam.id] and revised.agreed_at is None
    [message] = the_agreement(world, room)
    assert "version 2" in message.text and "Chairing the design review" in render_blocks(message.blocks)
    ana.click(message, agreement_ui.CONFIRM_ACTION, f"{match.id}:1")
    ana.wait_for_ephemeral("revised since")
    assert rows(database_url, Agreement)[0].agreed_at is None
    ana.click(message, agreement_ui.CONFIRM_ACTION, f"{match.id}:2")
    world.wait_for(agreed, what="version 2 confirmed by both")

    ana.open_home()
    home = ana.wait_for_home("Chairing the design review")
    assert "Our agreement" in json.dumps(home) and "Agreed by" in json.dumps(home)

    # The admin's report counts agreements in place, and never quotes one.
    ingrid = world.person("Ingrid")
    ingrid.mentor("report")
    report = ingrid.wait_for_ephemeral("Match rate")
    active = len([m for m in rows(database_url, Match) if m.status == "active"])
    assert f"*Agreements in place:* 1 of {active} active pairs" in render_blocks(report.blocks)
    world.settle()

    # The text reaches only the pair: their room, their forms and their App Home.
    room_members = {ana.id, sam.id}
    for call in world.standin.calls:
        if SECRET not in json.dumps(call.params):
            continue
        if call.method in ("chat.postMessage", "chat.update"):
            assert call.params.get("channel") == room, call.method
        elif call.method == "views.publish":
            assert call.params.get("user_id") in room_members
        else:
            assert call.method in ("views.open", "views.update"), call.method
    assert SECRET not in ingrid.transcript() and SECRET not in kenji.transcript()


def test_my_data_carries_the_agreement_and_forget_me_deletes_it(world: World, database_url: str) -> None:
    people = release_all(world, database_url)
    ana = people["Ana"]
    match = room_of(database_url, ana.id)
    intro = world.standin.messages_in(match.room_id or "")[0]
    ana.click(intro, match_ui.ROADMAP_ACTION, str(match.id))  # other room buttons are untouched
    ana.click(intro, agreement_ui.AGREEMENT_ACTION, str(match.id))
    ana.wait_for_modal("Our agreement")
    ana.submit(terms())
    world.wait_for(lambda: rows(database_url, Agreement), what="the agreement stored")

    ana.mentor("my-data")
    ana.wait_for_ephemeral("I've sent you a file")
    [share] = [s for s in ana.dms() if s.files]
    exported = json.loads(share.files[0]["bytes"])
    assert [a["focus"] for a in exported["agreements"]] == [FOCUS]

    ana.mentor("forget-me")
    ana.wait_for_modal("Delete my data")
    ana.submit({"confirm": ["yes"]})
    world.wait_for(lambda: not rows(database_url, Agreement), what="the agreement deleted")

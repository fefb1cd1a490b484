"""The mentor essentials: a mentor reads each guide with one click and answers the closing question; a programme
that requires it holds an untrained mentor out of the round and tells them what is missing and how long it takes;
admins see a badge in the preview and a count in the report, never the answer."""

from __future__ import annotations

import json

from blocks import admin as admin_ui
from blocks import training as training_ui
from standin import render_blocks
from standin.scenes import World
from store.models import Match, MatchMember, MentorTraining, Programme
from tests.data import rows, set_programme
from tests.test_matching_flow import enrol, match_now
from tests.test_programme_admin import create_programme, open_admin_panel

SECRET = "SECRET-ESSENTIALS I will talk less and ask more"


def test_a_required_path_holds_an_untrained_mentor_out_and_tells_them_why(world: World, database_url: str) -> None:
    people = enrol(world)
    sam, lea, kenji, ingrid = people["Sam"], people["Lea"], people["Kenji"], world.person("Ingrid")
    set_programme(database_url, requires_training=True)

    sam.mentor("essentials")
    path = sam.wait_for_ephemeral("Mentor essentials")
    assert "6 guides and the closing question" in path.text
    reads = [
        b["accessory"]["value"]
        for b in path.blocks
        if b.get("accessory", {}).get("action_id") == training_ui.READ_ACTION
    ]
    assert len(reads) == 6
    for number, guide_id in enumerate(reads, start=1):
        current = sam.wait_for_ephemeral("Mentor essentials")
        sam.click(current, training_ui.READ_ACTION, guide_id)
        world.wait_for(lambda n=number: len(rows(database_url, MentorTraining)) == n, what=f"guide {number} read")  # type: ignore[misc]
    assert sam.modal()["title"]["text"] == "Guide"  # each click opened the guide it marked
    redrawn = world.wait_for(
        lambda: next((e for e in sam.ephemerals() if "the closing question, about 3 minutes" in e.text), None),
        what="the path redrawn",
    )
    sam.click(redrawn, training_ui.REFLECT_ACTION, "reflection")
    sam.wait_for_modal("Mentor essentials")
    reply = sam.submit({"note": "  "})
    assert reply.json is not None and "note" in reply.json["errors"]
    sam.submit({"note": SECRET})
    world.wait_for(lambda: len(rows(database_url, MentorTraining)) == 7, what="the essentials complete")
    sam.mentor("essentials")
    sam.wait_for_ephemeral("You've completed the mentor essentials")

    preview = match_now(world, ingrid, database_url)
    shown = render_blocks(preview["blocks"])
    assert f"<@{sam.id}> (mentor {training_ui.TRAINED})" in shown
    assert f"<@{lea.id}>: this programme asks mentors to finish the mentor essentials" in shown
    ingrid.submit({})
    world.wait_for(lambda: any(m.status == "active" for m in rows(database_url, Match)), what="the release")
    told = world.wait_for(
        lambda: next((d for d in lea.dms() if "mentor essentials" in d.text), None), what="Lea told why"
    )
    assert "6 guides and the closing question, about" in told.text and "/mentor essentials" in told.text
    matched = {m.slack_user_id for m in rows(database_url, MatchMember)}
    active = {m.id for m in rows(database_url, Match) if m.status == "active"}
    in_active = {m.slack_user_id for m in rows(database_url, MatchMember) if m.match_id in active}
    assert sam.id in in_active and lea.id not in matched and kenji.id not in in_active  # Kenji wanted Lea's skill

    ingrid.mentor("report")
    report = render_blocks(ingrid.wait_for_ephemeral("Match rate").blocks)
    assert "*Mentors who completed the essentials:* 1 of 2" in report
    world.settle()
    assert not [c.method for c in world.standin.calls if SECRET in json.dumps(c.params)]


def test_the_admin_turns_the_requirement_on_in_the_programme_form(world: World, database_url: str) -> None:
    ingrid = world.person("Ingrid")
    create_programme(world, ingrid, training=["yes"])
    world.wait_for(
        lambda: [p for p in rows(database_url, Programme) if p.name == "Women in Tech"], what="the programme"
    )
    [created] = [p for p in rows(database_url, Programme) if p.name == "Women in Tech"]
    assert created.requires_training
    panel = open_admin_panel(ingrid)
    ingrid.click(panel, admin_ui.EDIT_ACTION, str(created.id))
    form = ingrid.wait_for_modal("Edit programme")
    [block] = [b for b in form["blocks"] if b.get("block_id") == "training"]
    assert block["element"]["initial_options"][0]["value"] == "yes"

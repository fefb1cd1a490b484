"""Programme shapes: the roles offered follow the programme's kind, and reverse mentoring pairs a junior mentor with
a senior mentee on the skill."""

from __future__ import annotations

from typing import Any

from standin.scenes import World, join_answers
from store.models import Participant
from tests.data import rows, set_programme


def role_values(modal: dict[str, Any]) -> list[str]:
    block = next(b for b in modal["blocks"] if b.get("block_id") == "role")
    return [o["value"] for o in block["element"]["options"]]


def test_a_one_to_one_programme_offers_no_peer_role_and_refuses_one(world: World, database_url: str) -> None:
    kenji = world.person("Kenji")
    kenji.mentor("join")
    modal = kenji.wait_for_modal("Join a programme")
    assert role_values(modal) == ["mentor", "mentee"]
    reply = kenji.submit(join_answers("peer", wanted=["Writing"]))  # a form from before, or a forged payload
    assert reply.json is not None and reply.json["response_action"] == "errors"
    assert reply.json["errors"] == {"role": "This programme pairs mentors with mentees: pick mentor or mentee."}
    assert rows(database_url, Participant) == []


def test_a_peer_programme_offers_only_the_peer_role_and_refuses_mentors(world: World, database_url: str) -> None:
    ingrid, lea = world.person("Ingrid"), world.person("Lea")
    ingrid.mentor("admin")
    ingrid.wait_for_ephemeral("Programme admin")
    set_programme(database_url, kind="peer_pairs")
    lea.mentor("join")
    modal = lea.wait_for_modal("Join a programme")
    assert role_values(modal) == ["peer"]
    role = next(b for b in modal["blocks"] if b.get("block_id") == "role")
    assert role["element"]["initial_option"]["value"] == "peer"
    for wrong in ("mentor", "mentee"):
        reply = lea.submit(join_answers(wrong, offered=["Writing"], wanted=["Writing"], capacity=1))
        assert reply.json is not None
        assert reply.json["errors"] == {"role": "This programme pairs peers with each other: join as a peer."}
    assert rows(database_url, Participant) == []
    reply = lea.submit(join_answers("peer", wanted=["Writing"]))
    assert reply.status == 200 and reply.body == ""
    world.wait_for(lambda: rows(database_url, Participant), what="Lea's membership")
    assert rows(database_url, Participant)[0].role == "peer"

"""Programme shapes: the roles offered follow the programme's kind, and reverse mentoring pairs a junior mentor with
a senior mentee on the skill."""

from __future__ import annotations

import json
from typing import Any

from pairing import Candidate, Weights, score_pair
from standin.scenes import World, join_answers
from store.models import Match, MatchMember, MatchRound, Participant
from tests.data import rows, set_programme
from tests.test_matching_flow import match_now


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


def latest_pairs(database_url: str) -> set[tuple[str, ...]]:
    """The pairs proposed by the latest round: (mentor, mentee)."""
    latest = max(r.id for r in rows(database_url, MatchRound))
    matches = {m.id for m in rows(database_url, Match) if m.round_id == latest}
    members: dict[int, list[str]] = {}
    for member in rows(database_url, MatchMember):
        if member.match_id in matches:
            members.setdefault(member.match_id, []).append(member.slack_user_id)
    return {tuple(ids) for ids in members.values()}


def test_reverse_mentoring_pairs_a_junior_mentor_with_a_senior_mentee(world: World, database_url: str) -> None:
    ingrid = world.person("Ingrid")
    lea, olu, omar = world.person("Lea"), world.person("Olu"), world.person("Omar")  # Backend Engineer, CEO, Analyst
    lea.join(join_answers("mentor", offered=["Writing"], capacity=1))
    olu.join(join_answers("mentee", wanted=["Writing"]))
    omar.join(join_answers("mentee", wanted=["Writing"]))
    for person in (lea, olu, omar):
        person.wait_for_dm()

    # In a 1:1 programme a mentor less senior than the mentee scores nothing on seniority: Lea gets Omar.
    match_now(world, ingrid, database_url)
    assert latest_pairs(database_url) == {(lea.id, omar.id)}

    set_programme(database_url, kind="reverse_mentoring")
    match_now(world, ingrid, database_url)
    world.wait_for(lambda: len(rows(database_url, MatchRound)) == 2, what="the second round")
    world.settle()
    preview = ingrid.modal()
    assert latest_pairs(database_url) == {(lea.id, olu.id)}  # the CEO learns from the junior engineer
    assert "more senior" not in json.dumps(preview)
    [match] = [m for m in rows(database_url, Match) if m.round_id == max(r.id for r in rows(database_url, MatchRound))]
    assert any("offers Writing" in reason for reason in match.reasons)


def test_reverse_mentoring_leaves_seniority_out_of_the_score() -> None:
    junior = Candidate(id="j", role="mentor", skills_offered=frozenset({"AI"}), title="Graduate engineer")
    senior = Candidate(id="s", role="mentee", skills_wanted=frozenset({"AI"}), title="VP Sales")
    plain_score, _ = score_pair(junior, senior, weights=Weights(), mode="mentoring")
    reverse_score, reasons = score_pair(junior, senior, weights=Weights(seniority=0), mode="mentoring")
    assert reverse_score > plain_score
    assert not any("senior" in r for r in reasons)
    mentor_senior = Candidate(id="m", role="mentor", skills_offered=frozenset({"AI"}), title="Director")
    _, reasons = score_pair(
        mentor_senior,
        senior.__class__(id="g", role="mentee", title="Intern"),
        weights=Weights(seniority=0),
        mode="mentoring",
    )
    assert not any("more senior" in r for r in reasons)

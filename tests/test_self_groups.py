"""A programme's optional self-described group question: admins ask it, people answer it privately in the join
form, and reports count only groups of 5 or more people. Nobody sees a person's answer: not their partner, not
the admins, not a digest, a match preview or a CSV file; forgetting a person deletes it."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import select

from blocks import admin as admin_ui
from blocks import common as ui
from blocks import digests as digest_ui
from mentoring import export
from mentoring.membership import MAX_SELF_GROUP, JoinAnswers, validate_join
from mentoring.programmes import MAX_GROUP_QUESTION, ProgrammeAnswers, validate_programme
from mentoring.prompting import pair_context
from standin import check_blocks, find, render_blocks
from standin.scenes import Actor, World, join_answers
from store.db import Database
from store.insight import OTHER_GROUPS, Health, ParticipationRow, small_groups_merged
from store.models import AuditEntry, Match, Participant, Programme
from store.types import utcnow
from tests.conftest import running_world
from tests.data import open_programme
from tests.test_matching_flow import match_now
from tests.test_participant_controls import all_values
from tests.test_programme_admin import programme_answers
from tests.test_programme_insight import PEOPLE, files_in_dms, seeded

QUESTION = "Do you belong to an employee resource group or community you'd like counted? (optional)"
# Ten people of the seeded programme (five pairs; the first of each pair is the mentor). "Women in Tech" is a
# group of 5 however it is typed; "Rainbow Network" has 4 people and "Parents Circle" 1: too few on their own.
ANSWERS = {
    "Ana": "Women in Tech",
    "Sam": "women in tech",
    "Lea": "  Women   in Tech ",
    "Kenji": "Women in Tech",
    "Priya": "WOMEN IN TECH",
    "Maria": "Rainbow Network",
    "Tom": "rainbow network",
    "Omar": "Rainbow  Network",
    "Chloe": "Rainbow Network",
    "Diego": "Parents Circle",
}
SMALL = ("rainbow", "parents circle")  # must never appear by name, in any spelling
DEPARTMENTS = {"Tom": "Sales", "Omar": "Finance", "Chloe": "Support", "Diego": "Design"}


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    with running_world(database_url, programme=None) as running:  # the test seeds its own programme
        yield running


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database.from_url(database_url)
    yield database
    database.dispose()


def the_programme(db: Database) -> Programme:
    with db.session() as session:
        return session.exec(select(Programme)).one()


def participant(db: Database, name: str) -> Participant | None:
    with db.session() as session:
        return session.exec(select(Participant).where(Participant.slack_user_id == find(name).id)).first()


def answer_of(db: Database, name: str) -> str | None:
    """What the person answered to the group question, as stored (None: no membership)."""
    found = participant(db, name)
    return found.self_group if found else None


def edit_programme(world: World, admin: Actor, db: Database, **answers: Any) -> dict[str, Any]:
    """The admin opens the programme's Edit modal from App Home and submits these answers; returns the reply."""
    programme = the_programme(db)
    admin.open_home()
    admin.wait_for_home("Edit")
    admin.click_home(admin_ui.EDIT_ACTION, str(programme.id))
    admin.wait_for_modal("Edit programme")
    reply = admin.submit(programme_answers(programme.name, **answers))
    assert reply.status == 200
    return reply.json or {}


def profile_answers(name: str, group: str | None) -> dict[str, Any]:
    """What a seeded person types when editing their profile: their role, the programme's skill, and a group."""
    mentor = PEOPLE.index(name) % 2 == 0
    answers = join_answers(
        "mentor" if mentor else "mentee",
        offered=["Leadership"] if mentor else None,
        wanted=None if mentor else ["Leadership"],
        capacity=1 if mentor else None,
        department=DEPARTMENTS.get(name, "Engineering"),
    )
    return answers | {"self_group": group}


def open_profile(person: Actor) -> dict[str, Any]:
    """`/mentor profile`, and the form it opens (a new one, not one the person saw before)."""
    before = (person.world.standin.last_modal(person.id) or {}).get("id")
    person.mentor("profile")

    def opened() -> dict[str, Any] | None:
        modal = person.world.standin.last_modal(person.id)
        if modal is None or modal["id"] == before or modal["title"]["text"] != "Edit your profile":
            return None
        return modal

    return person.world.wait_for(opened, what=f"{person.first_name}'s profile form")


def answer_in_profile(person: Actor, group: str | None) -> dict[str, Any]:
    open_profile(person)
    reply = person.submit(profile_answers(person.first_name, group))
    assert reply.status == 200
    return reply.json or {}


def with_question_answered(world: World, db: Database) -> tuple[str, Actor]:
    """The seeded programme; Ingrid adds the group question and the ten people answer it in their profiles."""
    channel, _ = seeded(world, db)
    ingrid = world.person("Ingrid")
    common = {"skills": "Leadership", "channel": channel, "cadence": "weekly"}
    errors = edit_programme(world, ingrid, db, group_question="x" * (MAX_GROUP_QUESTION + 1), **common)
    assert errors["errors"] == {
        "group_question": f"The group question can be at most {MAX_GROUP_QUESTION} characters (this has 151)."
    }
    reply = ingrid.submit(programme_answers("Engineering mentoring", group_question=f"  {QUESTION} ", **common))
    assert reply.status == 200 and not (reply.json or {}).get("errors")
    assert the_programme(db).group_question == QUESTION

    ana = world.person("Ana")
    modal = open_profile(ana)
    [block] = [b for b in modal["blocks"] if b.get("block_id") == "self_group"]
    assert block["label"]["text"] == QUESTION and block["optional"] is True
    hint = block["hint"]["text"]
    assert "Optional" in hint and "at least 5 people" in hint and "never shown" in hint and "admins" in hint
    reply = ana.submit(profile_answers("Ana", "y" * (MAX_SELF_GROUP + 1)))
    assert (reply.json or {}).get("errors") == {
        "self_group": f"Your answer can be at most {MAX_SELF_GROUP} characters (this has 61)."
    }
    assert answer_of(db, "Ana") == ""
    assert ana.submit(profile_answers("Ana", ANSWERS["Ana"])).status == 200
    for name in PEOPLE[1:]:
        assert not answer_in_profile(world.person(name), ANSWERS[name]).get("errors")
    world.settle()
    with db.session() as session:
        assert all(p.self_group for p in session.exec(select(Participant)).all())
    return channel, ingrid


def seen_outside_forms(world: World, person: Actor) -> str:
    """What a person saw (messages, ephemeral replies, App Home, files), leaving out their own open forms."""
    parts = []
    for seen in world.standin.seen_by(person.id):
        if seen.kind == "modal":
            continue
        parts += [seen.text, render_blocks(seen.blocks), json.dumps(seen.view or {})]
        parts += [(f.get("bytes") or b"").decode("utf-8", "replace") for f in seen.files]
    parts.append(json.dumps(world.standin.home(person.id) or {}))
    return "\n".join(parts).lower()


def report_text(admin: Actor, count: int) -> str:
    admin.mentor("report")
    return render_blocks(admin.wait_for_ephemeral("Match rate", count=count).blocks)


def group_section(report: str) -> str:
    after = report.split("*Participation by self-described group*", 1)[1]
    return re.split(r"\*Retention|\*Stalled pairs", after)[0]


def test_only_groups_of_five_are_reported_and_nobody_sees_a_person_s_answer(world: World, db: Database) -> None:
    channel, ingrid = with_question_answered(world, db)
    assert answer_of(db, "Lea") == "Women in Tech"  # spaces normalised

    report = report_text(ingrid, 1)
    groups = group_section(report)
    # Case-insensitive: five people whatever they typed, named by the most common spelling. Two pairs with a
    # Women in Tech member met in the last 7 days (Lea and Kenji's); the fifth pair ended (Chloe and Diego).
    assert "Women in Tech: 5 people, 100% matched, 40% met recently" in groups
    assert f"{OTHER_GROUPS}: 5 people, 60% matched, 0% met recently" in groups
    assert "<@" not in groups and "No answer" not in groups

    ingrid.mentor("report --export")
    ingrid.wait_for_ephemeral("CSV files")

    def csv_files() -> list[dict[str, Any]] | None:
        files = [f for f in files_in_dms(ingrid) if f["name"].endswith(".csv")]
        return files if len(files) == 2 else None

    by_name = {f["name"]: f["bytes"].decode() for f in world.wait_for(csv_files, what="the CSV files")}
    summary = {
        (r["measure"], r["group"]): r["value"]
        for r in csv.DictReader(io.StringIO(by_name["engineering-mentoring-summary.csv"]))
    }
    assert summary[("self-described group: people", "Women in Tech")] == "5"
    assert summary[("self-described group: matched", "Women in Tech")] == "5"
    assert summary[("self-described group: people", OTHER_GROUPS)] == "5"
    assert summary[("self-described group: met recently", OTHER_GROUPS)] == "0"
    assert "women in tech" not in by_name["engineering-mentoring-pairs.csv"].lower()  # no answer in the rows

    ingrid.open_home()
    groups_line = f"Self-described groups (5 or more): Women in Tech: 5 · {OTHER_GROUPS}: 5"
    ingrid.wait_for_home(groups_line)  # the tab as it was refreshed now

    ingrid.mentor("digest")
    ingrid.wait_for_ephemeral("sent you a preview")
    ingrid.mentor("digest --post")
    ingrid.wait_for_ephemeral("Posted")
    world.wait_for(lambda: len(world.standin.messages_in(channel)) >= 1, what="the digest")
    world.settle()
    digest = "\n".join(render_blocks(m.blocks) + m.text for m in world.standin.messages_in(channel)).lower()
    assert "this week in engineering mentoring" in digest
    assert "women in tech" not in digest and "rainbow" not in digest

    # Everything Slack was sent (messages, ephemerals, App Home tabs, files) apart from each person's own profile
    # form: the small groups never appear, in any spelling.
    people = [world.person(n) for n in (*PEOPLE, "Ingrid")]
    sent = [str(c.params) for c in world.standin.calls if c.method not in ("views.open", "views.update")]
    sent += [seen_outside_forms(world, p) for p in people]
    everything = "\n".join(sent).lower()
    for small in SMALL:
        assert small not in everything, small
    # The forms that carry an answer are its owner's.
    for person in people:
        form = json.dumps(world.standin.last_modal(person.id) or {}).lower()
        own = ANSWERS.get(person.first_name, "").lower()
        for small in SMALL:
            assert small not in form or small in own, (person.first_name, small)
    # Partners (and everyone who is not an admin) never see anyone's answer, even a group of five's.
    for person in people[:-1]:
        seen = seen_outside_forms(world, person)
        assert "women in tech" not in seen and "rainbow" not in seen, person.first_name


def test_my_data_includes_the_answer_forget_me_deletes_it_and_clearing_it_updates_the_report(
    world: World, db: Database, database_url: str
) -> None:
    _, ingrid = with_question_answered(world, db)
    maria = world.person("Maria")
    maria.mentor("my-data")
    maria.wait_for_ephemeral("I've sent you a file")
    [exported] = [json.loads(f["bytes"]) for f in files_in_dms(maria)]
    assert exported["memberships"][0]["self_group"] == "Rainbow Network"

    diego = world.person("Diego")  # the only one in his group
    diego.mentor("forget-me")
    diego.wait_for_modal("Delete my data")
    diego.submit({"confirm": ["yes"]})
    world.wait_for(lambda: participant(db, "Diego") is None, what="Diego forgotten")
    world.settle()
    assert not [v for v in all_values(database_url) if "parents circle" in v.lower()]
    groups = group_section(report_text(ingrid, 1))
    # Four people left in small groups: too few even together.
    assert "Women in Tech: 5 people" in groups and OTHER_GROUPS not in groups and "rainbow" not in groups.lower()

    lea = world.person("Lea")  # clears her answer: Women in Tech has 4 now, merged with Rainbow Network's 4
    assert not answer_in_profile(lea, None).get("errors")
    world.wait_for(lambda: answer_of(db, "Lea") == "", what="Lea's answer cleared")
    groups = group_section(report_text(ingrid, 2))
    assert f"{OTHER_GROUPS}: 8 people" in groups
    assert "Women in Tech" not in groups and "rainbow" not in groups.lower() and "No answer" not in groups
    form = open_profile(lea)
    [block] = [b for b in form["blocks"] if b.get("block_id") == "self_group"]
    assert "initial_value" not in block["element"]


def test_a_programme_without_a_question_asks_nothing_and_reports_no_groups(
    world: World, db: Database, database_url: str
) -> None:
    open_programme(database_url, world.standin.team_id)  # opened by the admins, with no question
    ingrid, ana = world.person("Ingrid"), world.person("Ana")
    ingrid.mentor("admin")
    ingrid.wait_for_ephemeral("Programme admin")
    ana.mentor("join")
    modal = ana.wait_for_modal("Join a programme")
    assert "self_group" not in json.dumps(modal)
    # A forged form with the field: an answer to a question the programme does not ask is not stored.
    block = ui.self_group_input(Programme(team_id="T", slug="x", name="x", group_question="Forged?"), None)
    forged = {**modal, "blocks": [*modal["blocks"], block]}
    reply = world.platform.submit_view(
        ana.id, forged, join_answers("mentee", wanted=["Writing"]) | {"self_group": "Forged group"}
    )
    assert reply.status == 200 and not (reply.json or {}).get("errors")
    ana.wait_for_dm()
    assert answer_of(db, "Ana") == ""
    report = report_text(ingrid, 1)
    assert "Participation by department" in report and "self-described" not in report
    ingrid.mentor("report --export")
    ingrid.wait_for_ephemeral("CSV files")
    files = world.wait_for(lambda: [f for f in files_in_dms(ingrid) if f["name"].endswith("summary.csv")] or None)
    assert "self-described" not in files[0]["bytes"].decode()


def test_answers_stay_out_of_match_previews_and_introductions_and_go_when_the_question_is_cleared(
    world: World, db: Database, database_url: str
) -> None:
    open_programme(database_url, world.standin.team_id)
    ingrid = world.person("Ingrid")
    ingrid.mentor("admin")
    ingrid.wait_for_ephemeral("Programme admin")
    skills = "Leadership\nWriting"
    assert not edit_programme(world, ingrid, db, skills=skills, group_question=QUESTION).get("errors")
    joiners = {
        "Sam": join_answers("mentor", offered=["Leadership"], capacity=1, department="Sales"),
        "Lea": join_answers("mentor", offered=["Writing"], capacity=1, department="Engineering"),
        "Ana": join_answers("mentee", wanted=["Leadership"], department="Engineering"),
        "Kenji": join_answers("mentee", wanted=["Writing"], department="Data"),
    }
    for name, answers in joiners.items():
        person = world.person(name)
        modal_reply = person.join(answers | {"self_group": f"Circle of {name}"})
        assert not (modal_reply.json or {}).get("errors")
        person.wait_for_dm()
    assert answer_of(db, "Kenji") == "Circle of Kenji"

    preview = json.dumps(match_now(world, ingrid, database_url))
    assert "2 matches proposed" in preview and "circle of" not in preview.lower()
    ingrid.submit({})
    world.wait_for(lambda: len(world.standin.calls_to("conversations.create")) >= 2, what="two rooms")
    world.settle()
    with db.session() as session:
        rooms = [m.room_id for m in session.exec(select(Match)).all() if m.room_id]
    assert len(rooms) == 2
    intros = "\n".join(render_blocks(m.blocks) + m.text for r in rooms for m in world.standin.messages_in(r))
    assert "Why you were matched" in intros and "circle of" not in intros.lower()
    for name in joiners:
        assert "circle of" not in seen_outside_forms(world, world.person(name))

    # The question is cleared: the answers are deleted, and the form no longer asks.
    assert not edit_programme(world, ingrid, db, skills=skills, group_question="").get("errors")
    with db.session() as session:
        assert {p.self_group for p in session.exec(select(Participant)).all()} == {""}
        [entry] = [e for e in session.exec(select(AuditEntry)).all() if (e.details or {}).get("group_answers_deleted")]
    assert entry.details["group_answers_deleted"] == 4 and entry.actor_id == ingrid.id
    ana = world.person("Ana")
    assert "self_group" not in json.dumps(open_profile(ana))


def test_the_llm_context_of_a_pair_never_carries_the_answers(world: World, db: Database) -> None:
    _, seeded_world = seeded(world, db)
    with db.begin() as session:
        for person in session.exec(select(Participant)).all():
            person.self_group = "Rainbow Network"
            person.goals = "Lead a team"
            session.add(person)
    with db.session() as session:
        match = session.get(Match, seeded_world.matches[0])
        programme = session.get(Programme, seeded_world.programme_id)
        assert match is not None and programme is not None
        payload = json.dumps(pair_context(session, match, programme).to_model_payload())
    assert "the mentor: Lead a team" in payload and "rainbow" not in payload.lower()


# --- the pure parts ---------------------------------------------------------------------------------------------


def test_the_answer_is_normalised_limited_and_ignored_when_not_asked() -> None:
    base = JoinAnswers(role="mentee", skills_wanted=["Writing"], department="Data", consent=True)

    def check(answer: str | None, *, asks: bool = True) -> tuple[str | None, dict[str, str]]:
        answers = dataclasses.replace(base, self_group=answer)
        form, errors = validate_join(answers, skills=["Writing"], max_capacity=3, asks_group=asks)
        return (form.self_group if form else None), errors

    assert check("  Women \t in\u200b Tech \n") == ("Women in Tech", {})
    assert check("") == ("", {})  # cleared
    assert check(None) == (None, {})  # a form without the field: what is stored stays
    assert check("Women in Tech", asks=False) == (None, {})
    assert check("x" * 61)[1] == {"self_group": "Your answer can be at most 60 characters (this has 61)."}
    form, _ = validate_join(base, skills=["Writing"], max_capacity=3, asks_group=True)
    assert form is not None and "self_group" not in form.fields(consented_at=utcnow())


def test_the_group_question_is_trimmed_and_limited() -> None:
    def answers(question: str) -> ProgrammeAnswers:
        return ProgrammeAnswers(
            name="P", kind="one_to_one", cycle_days="90", cadence="weekly", skills="Writing", group_question=question
        )

    form, _ = validate_programme(answers("  Which   group? "), today=utcnow().date(), taken_names=set())
    assert form is not None and form.fields()["group_question"] == "Which group?"
    form, errors = validate_programme(answers("q" * 151), today=utcnow().date(), taken_names=set())
    assert form is None and set(errors) == {"group_question"}


def test_the_join_form_asks_only_when_the_programme_does_and_keeps_to_block_kit_limits() -> None:
    asking = Programme(team_id="T", slug="p", name="P", skills=["Writing"], group_question="q" * 150)
    view = ui.join_modal(asking)
    assert [b for b in view["blocks"] if b.get("block_id") == "self_group"]
    assert check_blocks(view["blocks"], "modal") == []
    silent = Programme(team_id="T", slug="p", name="P", skills=["Writing"])
    assert not [b for b in ui.join_modal(silent)["blocks"] if b.get("block_id") == "self_group"]


def test_small_self_described_groups_are_merged_and_the_merged_row_needs_five_too() -> None:
    rows = [ParticipationRow("Women in Tech", 6, 5, 2), ParticipationRow("A", 3, 1, 0), ParticipationRow("B", 2, 2, 1)]
    merged = small_groups_merged(rows, other=OTHER_GROUPS)
    assert merged == [ParticipationRow("Women in Tech", 6, 5, 2), ParticipationRow(OTHER_GROUPS, 5, 3, 1)]
    assert small_groups_merged(rows[1:2], other=OTHER_GROUPS) == []
    health = Health(self_groups=merged, self_groups_unanswered=4)
    text = digest_ui.self_group_lines(health)
    assert "Women in Tech: 6 people, 83% matched, 33% met recently" in text and "No answer" not in text
    assert "No answer: 7 people" in digest_ui.self_group_lines(Health(self_groups=[], self_groups_unanswered=7))
    summary = export.summary_csv("P", 1, Health(self_groups=[ParticipationRow("=HYPERLINK(1)", 5, 5, 5)]))
    assert "'=HYPERLINK(1)" in summary.decode()  # a group's name is never run as a spreadsheet formula
    assert digest_ui.groups_line(Health()) == ""

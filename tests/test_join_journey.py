"""The first journey, end to end: people run `/mentor`, fill the join modal, get a DM, open App Home.

Every request is signed like Slack's and goes over HTTP to the real app; every Web API call goes to the
local Slack stand-in, which checks it against Slack's spec and records what each person saw.
"""

from __future__ import annotations

from sqlmodel import select

from standin.scenes import World, join_answers
from store.db import Database
from store.models import Participant, Programme


def participants(world: World, database_url: str) -> list[Participant]:
    db = Database.from_url(database_url)
    try:
        with db.session() as session:
            return list(session.exec(select(Participant)).all())
    finally:
        db.dispose()


def test_mentor_with_no_argument_or_help_lists_what_the_bot_can_do(world: World) -> None:
    ana = world.person("Ana")
    for text in ("", "help", "HELP"):
        reply = ana.mentor(text)
        assert reply.status == 200
        assert reply.json is not None and reply.json["response_type"] == "ephemeral"
        assert "/mentor join [programme]" in reply.json["text"]
        assert "/mentor help" in reply.json["text"]


def test_an_unknown_subcommand_says_so_and_shows_help(world: World) -> None:
    reply = world.person("Ana").mentor("<!channel> dance")
    assert reply.json is not None
    assert "I don't know `/mentor &lt;!channel&gt;`" in reply.json["text"]
    assert "/mentor join" in reply.json["text"]


def test_ana_joins_as_a_mentee_and_gets_a_dm_summarising_it(world: World, database_url: str) -> None:
    ana = world.person("Ana")
    reply = ana.mentor("join")
    assert reply.status == 200 and reply.body == ""
    modal = ana.wait_for_modal("Join a programme")
    block_ids = [b.get("block_id") for b in modal["blocks"]]
    for field in ("role", "skills_offered", "skills_wanted", "goals", "department", "capacity", "consent"):
        assert field in block_ids
    skills = next(b for b in modal["blocks"] if b.get("block_id") == "skills_wanted")["element"]["options"]
    assert "Public speaking" in [o["value"] for o in skills]

    reply = ana.submit(
        join_answers(
            "mentee",
            wanted=["Public speaking", "Leadership"],
            goals="Present our roadmap at the all-hands",
            department="Engineering",
        )
    )
    assert reply.status == 200 and reply.body == ""  # the modal closes

    dm = ana.wait_for_dm()
    assert "Welcome to *Mentoring*" in dm.text
    rendered = ana.transcript()
    assert "Public speaking, Leadership" in rendered
    assert "Present our roadmap at the all-hands" in rendered
    assert "What happens next" in rendered
    assert "Europe/Lisbon" in rendered  # from her Slack profile, not the form

    ana.wait_for_home("Public speaking")
    [row] = participants(world, database_url)
    assert (row.role, row.department, row.timezone) == ("mentee", "Engineering", "Europe/Lisbon")
    assert row.skills_wanted == ["Public speaking", "Leadership"]
    assert row.display_name and row.title == "Staff Engineer"
    assert row.team_id == world.standin.team_id


def test_a_mentor_gives_capacity_and_sees_it_in_the_dm(world: World, database_url: str) -> None:
    sam = world.person("Sam")
    sam.join(join_answers("mentor", offered=["Leadership", "Giving feedback"], capacity=3, department="Sales"))
    sam.wait_for_dm()
    assert "Mentees I can take on:* 3" in sam.transcript()
    [row] = participants(world, database_url)
    assert row.capacity == 3 and row.skills_offered == ["Leadership", "Giving feedback"]


def test_invalid_answers_come_back_as_inline_errors_and_nothing_is_stored(world: World, database_url: str) -> None:
    priya = world.person("Priya")
    priya.mentor("join")
    priya.wait_for_modal("Join a programme")
    reply = priya.submit(join_answers(role="", consent=False, goals="x" * 1001))
    assert reply.status == 200 and reply.json is not None
    assert reply.json["response_action"] == "errors"
    assert set(reply.json["errors"]) == {"role", "consent", "goals"}

    reply = priya.submit(join_answers("mentor", offered=["Leadership"], capacity=9))
    assert reply.json is not None and set(reply.json["errors"]) == {"capacity"}
    assert "1 to 5" in reply.json["errors"]["capacity"]

    world.settle()
    assert participants(world, database_url) == []
    assert priya.dms() == []


def test_forged_values_outside_the_form_are_refused(world: World, database_url: str) -> None:
    kenji = world.person("Kenji")
    kenji.mentor("join")
    kenji.wait_for_modal("Join a programme")
    forged = join_answers("mentee", wanted=["Public speaking"])
    forged["role"] = {"text": {"type": "plain_text", "text": "Admin"}, "value": "admin"}
    forged["skills_wanted"] = [{"text": {"type": "plain_text", "text": "Root"}, "value": "Root access"}]
    reply = kenji.submit(forged)
    assert reply.json is not None and set(reply.json["errors"]) == {"role", "skills_wanted"}
    assert participants(world, database_url) == []


def test_joining_again_updates_the_profile_instead_of_duplicating_it(world: World, database_url: str) -> None:
    maria = world.person("Maria")
    maria.join(join_answers("mentee", wanted=["Writing"], department="Product"))
    maria.wait_for_dm(1)

    maria.mentor("join")
    modal = maria.wait_for_modal("Edit your profile")
    role_block = next(b for b in modal["blocks"] if b.get("block_id") == "role")
    assert role_block["element"]["initial_option"]["value"] == "mentee"
    maria.submit(join_answers("mentor", offered=["Writing", "Negotiation"], capacity=1, department="Product"))
    second = maria.wait_for_dm(2)
    assert "is updated" in second.text

    [row] = participants(world, database_url)
    assert row.role == "mentor" and row.skills_offered == ["Writing", "Negotiation"]


def test_a_member_editing_their_answers_is_told_it_is_updated(world: World, database_url: str) -> None:
    # Same role as before: on PostgreSQL the form and its follow-up are saved in one statement.
    lea = world.person("Lea")
    lea.join(join_answers("mentee", wanted=["Writing"], department="Product"))
    lea.wait_for_dm(1)
    [before] = participants(world, database_url)

    lea.mentor("join")
    lea.wait_for_modal("Edit your profile")
    reply = lea.submit(join_answers("mentee", wanted=["Leadership"], goals="Lead the Q3 review", department="Sales"))
    assert reply.status == 200 and reply.body == ""
    assert "is updated" in lea.wait_for_dm(2).text
    lea.wait_for_home("Leadership")

    [row] = participants(world, database_url)
    assert row.id == before.id and row.joined_at == before.joined_at
    assert (row.role, row.skills_wanted, row.goals, row.department) == (
        "mentee",
        ["Leadership"],
        "Lead the Q3 review",
        "Sales",
    )
    assert row.updated_at > before.updated_at


def test_app_home_shows_programmes_and_profile_with_an_edit_button(world: World) -> None:
    tom = world.person("Tom")
    tom.open_home()
    home = tom.wait_for_home()
    assert "not in a mentoring programme yet" in world.standin.transcript(tom.id)
    assert any(
        e.get("action_id") == "home_join" for b in home["blocks"] if b["type"] == "actions" for e in b["elements"]
    )

    tom.click_home("home_join")
    tom.wait_for_modal("Join a programme")
    tom.submit(join_answers("mentor", offered=["Sales"], capacity=2, department="Sales"))
    tom.wait_for_dm()

    tom.open_home()
    home = tom.wait_for_home("Edit profile")
    text = str(home)
    assert "Mentoring" in text and "Mentor" in text and "Sales" in text

    tom.click_home("home_edit_profile")
    modal = tom.wait_for_modal("Edit your profile")
    dept = next(b for b in modal["blocks"] if b.get("block_id") == "department")
    assert dept["element"]["initial_value"] == "Sales"


def test_text_typed_into_the_form_cannot_ping_a_channel(world: World) -> None:
    lea = world.person("Lea")
    lea.join(
        join_answers(
            "mentee",
            wanted=["Writing"],
            goals="<!channel> look & <https://evil.example|click here>",
            department="<!here> R&D",
        )
    )
    lea.wait_for_dm()
    posted = "".join(str(c.params) for c in world.standin.calls_to("chat.postMessage"))
    assert "<!channel>" not in posted and "<!here>" not in posted and "<https://evil" not in posted
    assert "&lt;!channel&gt; look &amp; &lt;https://evil.example|click here&gt;" in posted
    assert "&lt;!here&gt; R&amp;D" in posted


def test_when_several_programmes_are_open_the_person_picks_one(world: World, database_url: str) -> None:
    omar = world.person("Omar")
    omar.open_home()  # creates the workspace's default programme
    omar.wait_for_home()
    db = Database.from_url(database_url)
    with db.begin() as session:
        session.add(
            Programme(team_id=world.standin.team_id, slug="women-in-tech", name="Women in Tech", skills=["Leadership"])
        )
    db.dispose()

    omar.mentor("join")
    picker = omar.wait_for_modal("Join a programme")
    assert picker["callback_id"] == "join_pick"
    choice = next(
        o
        for b in picker["blocks"]
        if b.get("block_id") == "programme"
        for o in b["element"]["options"]
        if o["text"]["text"] == "Women in Tech"
    )
    reply = omar.submit({"programme": choice["value"]})
    assert reply.json is not None and reply.json["response_action"] == "update"
    form = omar.modal()
    assert form["callback_id"] == "join_submit"
    omar.submit(join_answers("mentee", wanted=["Leadership"], department="Finance"))
    assert "Women in Tech" in omar.wait_for_dm().text


def test_joining_a_programme_that_does_not_exist_lists_the_open_ones(world: World) -> None:
    chloe = world.person("Chloe")
    chloe.mentor("join Underwater Basket Weaving")
    reply = world.wait_for(chloe.ephemerals, what="Chloe's ephemeral reply")
    assert "There is no programme called" in reply[0].text
    assert "*Mentoring*" in reply[0].text
    assert world.standin.calls_to("views.open") == []

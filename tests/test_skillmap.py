"""The skill supply/demand map: counting in the database, the map, its CSV, text bars and chart; the culture
messages' builders; the mentors' circle questions."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

import pytest
from matplotlib.colors import to_hex

from blocks import culture as culture_ui
from blocks import skillchart
from mentoring.skillmap import SkillMap, SkillRow, bar, build_map, sides, to_csv
from prompts.guides import load_guides
from prompts.guides.circle import circle_questions, question_for_month
from standin import check_blocks, check_view
from store import queries
from store.db import Database
from store.models import Participant, Programme

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def example_map(kind: str = "one_to_one") -> SkillMap:
    return build_map(
        "Mentoring",
        skills=["Leadership", "Public speaking", "Writing", "System design", "Unpicked"],
        wanted={"Public speaking": 5, "Leadership": 2, "System design": 3, "Old skill": 1},
        offered={"Leadership": 3, "System design": 1, "Writing": 2},
        people={"mentee": 7, "peer": 1, "mentor": 4},
        kind=kind,
    )


# --- the map ------------------------------------------------------------------------------------------------


def test_the_map_puts_the_biggest_gaps_first_and_keeps_only_picked_skills() -> None:
    skill_map = example_map()
    assert [(r.skill, r.wanted, r.offered, r.gap) for r in skill_map.rows] == [
        ("Public speaking", 5, 0, 5),
        ("System design", 3, 1, 2),
        ("Old skill", 1, 0, 1),  # no longer in the programme's list, but still what someone asked for
        ("Leadership", 2, 3, -1),
        ("Writing", 0, 2, -2),
    ]
    assert [r.skill for r in skill_map.top_gaps()] == ["Public speaking", "System design", "Old skill"]
    assert [r.skill for r in skill_map.top_gaps(1)] == ["Public speaking"]
    assert (skill_map.seekers, skill_map.offerers, skill_map.offer_label) == (8, 4, "mentors")


def test_peer_programmes_count_what_peers_offer_too() -> None:
    assert sides("one_to_one") == (("mentee", "peer"), ("mentor",), "mentors")
    _, offering, label = sides("peer_pairs")
    assert "peer" in offering and "mentor" in offering and label == "peers and mentors"
    assert example_map("peer_circles").offerers == 5


def test_ties_keep_the_programmes_order() -> None:
    skill_map = build_map("P", skills=["B", "A"], wanted={"A": 2, "B": 2}, offered={}, people={})
    assert [r.skill for r in skill_map.rows] == ["B", "A"]
    assert build_map("P", skills=["A"], wanted={}, offered={}, people={}).empty


def test_the_csv_has_one_row_per_skill_and_defuses_formulas() -> None:
    skill_map = build_map(
        "P", skills=["=HYPERLINK(1)", "Writing, clearly"], wanted={"=HYPERLINK(1)": 2, "Writing, clearly": 1},
        offered={"Writing, clearly": 3}, people={},
    )  # fmt: skip
    data = to_csv(skill_map)
    assert data.startswith(b"\xef\xbb\xbf")
    parsed = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert parsed == [
        ["skill", "wanted", "offered", "gap"],
        ["'=HYPERLINK(1)", "2", "0", "2"],
        ["Writing, clearly", "1", "3", "-2"],
    ]


def test_bars() -> None:
    assert bar(0, 5) == "" and bar(3, 0) == ""
    assert bar(5, 5) == "█" * 10 and bar(1, 100) == "█"


# --- counting in the database -------------------------------------------------------------------------------


def test_skill_demand_counts_current_participants_by_role(db: Database) -> None:
    with db.begin() as session:
        programme = Programme(team_id="T1", slug="m", name="M", skills=["A", "B", "C"])
        other = Programme(team_id="T1", slug="o", name="O", skills=["A"])
        session.add_all([programme, other])
        session.flush()
        people = [
            ("mentee", [], ["A", "B"], "active", programme),
            ("mentee", [], ["A"], "paused", programme),
            ("mentee", [], ["A", "C"], "left", programme),  # left: not counted
            ("mentee", [], ["C"], "invited", programme),  # from the previous cycle, not back yet
            ("mentor", ["B", "C"], ["A"], "active", programme),  # a mentor's wishes are not demand
            ("peer", ["A"], ["B"], "active", programme),
            ("mentee", [], ["A"], "active", other),
        ]
        for n, (role, offered, wanted, status, prog) in enumerate(people):
            assert prog.id is not None
            session.add(
                Participant(
                    team_id="T1", programme_id=prog.id, slack_user_id=f"U{n:04d}", role=role, skills_offered=offered,
                    skills_wanted=wanted, status=status, consent_version="x", consented_at=NOW,
                )
            )  # fmt: skip
        pid = programme.id
    assert pid is not None
    with db.session() as session:
        wanted_counts, offered_counts, people_by_role = queries.skill_demand(
            session=session, programme_id=pid, wanting=["mentee", "peer"], offering=["mentor"]
        )
        assert wanted_counts == {"A": 2, "B": 2}
        assert offered_counts == {"B": 1, "C": 1}
        assert people_by_role == {"mentee": 2, "mentor": 1, "peer": 1}
        _, peer_offered, _ = queries.skill_demand(
            session=session, programme_id=pid, wanting=["peer"], offering=["mentor", "peer"]
        )
        assert peer_offered == {"A": 1, "B": 1, "C": 1}


# --- what admins and channels see ---------------------------------------------------------------------------


def hostile_map() -> SkillMap:
    skills = [f"<!channel> skill {n} & more " + "x" * 40 for n in range(100)]
    return build_map(
        "<!here> & Co", skills=skills, wanted={s: 100 - n for n, s in enumerate(skills)}, offered={skills[0]: 1},
        people={"mentee": 100},
    )  # fmt: skip


def test_the_map_message_says_which_mentors_to_recruit_within_block_kit_limits() -> None:
    programme = Programme(id=7, team_id="T", slug="m", name="Mentoring", skills=[])
    text, blocks = culture_ui.map_message(programme, example_map(), files_sent=True)
    shown = json.dumps(blocks)
    assert "Which mentors do we need to recruit?" in shown and "Before the next round is matched" in shown
    assert "*Public speaking* (wanted by 5, offered by 0)" in shown
    assert "recruit mentors for Public speaking, System design, Old skill" in text
    actions = next(b for b in blocks if b["type"] == "actions")
    assert [e["text"]["text"] for e in actions["elements"]] == [
        "Recruit mentors for Public speaking",
        "Recruit mentors for System design",
        "Recruit mentors for Old skill",
    ]
    assert json.loads(actions["elements"][0]["value"]) == {"programme_id": 7, "skill": "Public speaking"}
    assert check_blocks(blocks) == []


def test_hostile_skill_names_are_escaped_and_long_maps_fit() -> None:
    programme = Programme(id=7, team_id="T", slug="m", name="<!here> & Co", skills=[])
    skill_map = hostile_map()
    for _text, blocks in (
        culture_ui.map_message(programme, skill_map, files_sent=False),
        ("", culture_ui.home_map_blocks(programme, skill_map)),
    ):
        assert check_blocks(blocks) == []
        mrkdwn = json.dumps([b for b in blocks if b["type"] != "actions"])
        assert "<!channel>" not in mrkdwn and "<!here>" not in mrkdwn and "&lt;!channel&gt;" in mrkdwn
    assert "more skills in the CSV" in culture_ui.map_lines(skill_map)


def test_no_gaps_and_no_skills_are_said_plainly() -> None:
    even = build_map("P", skills=["A"], wanted={"A": 1}, offered={"A": 2}, people={})
    assert "None right now" in culture_ui.gaps_sentence(even)
    empty = build_map("P", skills=["A"], wanted={}, offered={}, people={})
    assert "nobody in this cycle has picked a skill" in culture_ui.gaps_sentence(empty)
    programme = Programme(id=1, team_id="T", slug="p", name="P", skills=[])
    assert culture_ui.recruit_buttons(programme, even, with_files=False) is None


def test_the_recruiting_post_is_escaped_and_names_no_one() -> None:
    programme = Programme(id=3, team_id="T", slug="m", name="R&D <mentoring>", skills=[], cadence="weekly")
    text, blocks = culture_ui.recruit_post(
        programme, "<!channel> Public speaking", admin_id="U0INGRID1", note="Hi <@U0ANA0001> & <https://x|y>"
    )
    assert check_blocks(blocks) == []
    shown = json.dumps([b for b in blocks if b["type"] != "actions"]) + text  # a button's value is not shown
    for raw in ("<!channel>", "<@U0ANA0001>", "<https://x|y>", "<mentoring>"):
        assert raw not in shown
    assert "&lt;!channel&gt; Public speaking" in shown and "about once a week" in shown
    [join] = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert join["action_id"] == culture_ui.RECRUIT_JOIN_ACTION
    assert json.loads(join["value"]) == {"programme_id": 3, "skill": "<!channel> Public speaking"}
    assert check_view(culture_ui.recruit_modal(programme, "x" * 75)) == []


def test_welcome_and_circle_posts_are_within_limits() -> None:
    programme = Programme(id=3, team_id="T", slug="m", name="<!everyone>", skills=[])
    for _text, blocks in (
        culture_ui.mentor_welcome(programme, "U0LEA0001"),
        culture_ui.circle_post(programme, circle_questions()[0], month=date(2026, 12, 1), guide_title="T"),
    ):
        assert check_blocks(blocks) == []
        assert "<!everyone>" not in json.dumps(blocks)


# --- the chart ----------------------------------------------------------------------------------------------


def test_the_chart_draws_wanted_against_offered_with_gaps_in_red() -> None:
    skill_map = build_map(
        "Costs in $ and €",
        skills=["Pricing in $ and $", "Leadership"],
        wanted={"Pricing in $ and $": 3, "Leadership": 1},
        offered={"Leadership": 2},
        people={},
    )
    fig = skillchart.figure(skill_map)
    [ax] = fig.axes
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [r"Pricing in \$ and \$", "Leadership"]  # escaped: not read as maths
    colours = {t.get_text(): to_hex(t.get_color()) for t in ax.get_yticklabels()}
    assert colours[r"Pricing in \$ and \$"] == skillchart.WANTED_GAP
    assert colours["Leadership"] != skillchart.WANTED_GAP
    assert len(ax.patches) == 4  # two bars per skill
    assert any("gap 3: recruit" in t.get_text() for t in ax.texts)
    png = skillchart.render_png(skill_map)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_the_chart_shows_at_most_the_biggest_gaps_and_copes_with_nothing() -> None:
    fig = skillchart.figure(hostile_map(), limit=25)
    assert len(fig.axes[0].get_yticklabels()) == 25
    assert any("the 25 biggest of 100" in t.get_text() for t in fig.texts)
    empty = build_map("P", skills=[], wanted={}, offered={}, people={})
    assert skillchart.render_png(empty).startswith(b"\x89PNG")


# --- mentors' circle questions ------------------------------------------------------------------------------


def test_circle_questions_link_real_guides_and_rotate_monthly() -> None:
    questions = circle_questions()
    assert len(questions) >= 12
    library = load_guides()
    for question in questions:
        guide = library.get(question.guide)
        assert guide is not None and "mentor" in guide.roles, question.id
        assert question.question.endswith("?") or "Share" in question.question, question.id
    months = [question_for_month(2026 + (m // 12), m % 12 + 1) for m in range(len(questions))]
    assert len({q.id for q in months}) == len(questions)  # a year and more without a repeat
    assert question_for_month(2026, 1) == question_for_month(2026 + len(questions), 1)
    assert question_for_month(2026, 1) != question_for_month(2026, 2)


@pytest.mark.parametrize("row", [SkillRow("A", 2, 2), SkillRow("A", 0, 1)])
def test_an_even_or_oversupplied_skill_is_not_a_gap(row: SkillRow) -> None:
    assert not row.is_gap


def test_the_programme_form_takes_a_mentors_channel() -> None:
    from mentoring.programmes import ProgrammeAnswers, validate_programme

    answers = ProgrammeAnswers(name="P", kind="one_to_one", cycle_days="90", cadence="weekly", skills="A")
    form, errors = validate_programme(
        ProgrammeAnswers(**{**answers.__dict__, "mentors_channel_id": "C0MENTORS"}), today=date(2026, 12, 1),
        taken_names=set(),
    )  # fmt: skip
    assert errors == {} and form is not None and form.fields()["mentors_channel_id"] == "C0MENTORS"
    _, errors = validate_programme(
        ProgrammeAnswers(**{**answers.__dict__, "mentors_channel_id": "#mentors"}), today=date(2026, 12, 1),
        taken_names=set(),
    )  # fmt: skip
    assert errors == {"mentors_channel": "Pick a channel from the list."}

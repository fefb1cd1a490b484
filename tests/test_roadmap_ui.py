"""The roadmap, growth-thread and kudos builders stay inside Block Kit's limits whatever people type, and never
let typed text act as mrkdwn."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from blocks import growth as growth_ui
from blocks import roadmaps as roadmap_ui
from mentoring.roadmaps import MAX_GOAL, MAX_MILESTONES, MAX_NOTE, MAX_TITLE, Draft, Goal
from standin import check_blocks, check_view
from store.models import GrowthThread, Milestone, Roadmap
from store.queries.growth import MentorContribution

NASTY = "<!channel> <https://evil.example|click> & "
DAY = date(2026, 12, 1)


def milestone(i: int, status: str = "planned") -> Milestone:
    return Milestone(
        id=i,
        team_id="T1",
        roadmap_id=1,
        match_id=1,
        programme_id=1,
        title=(NASTY * 20)[:MAX_TITLE],
        skill=f"Skill {i % 3}",
        due_on=DAY + timedelta(days=i),
        status=status,
        evidence_note=(NASTY * 100)[:MAX_NOTE],
        mentor_comment=(NASTY * 100)[:MAX_NOTE],
        completed_at=datetime(2026, 12, 2, tzinfo=UTC) if status == "done" else None,
    )


def shown(view_or_blocks: object) -> str:
    """Every mrkdwn text in blocks or a view (what Slack would parse for mentions and links)."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(view_or_blocks)
    return json.dumps(found, ensure_ascii=False)


def test_a_full_roadmap_at_every_limit_fits_and_is_escaped() -> None:
    roadmap = Roadmap(id=1, team_id="T1", programme_id=1, match_id=1, owner_id="U1", goal=(NASTY * 50)[:MAX_GOAL])
    items = [milestone(i, ("planned", "in_progress", "done", "dropped")[i % 4]) for i in range(MAX_MILESTONES)]
    for editable in (True, False):
        view = roadmap_ui.roadmap_modal(roadmap, items, editable=editable, end=DAY + timedelta(days=90), notice="Saved")
        assert check_view(view) == []
        assert "<!channel>" not in shown(view) and "<https://evil" not in shown(view)
    home = roadmap_ui.home_blocks(
        [roadmap_ui.HomeRoadmap("P & <b>", 1, f"U{i}", i == 0, roadmap.goal, items) for i in range(6)],
        [("P", MentorContribution("U1", 3, 12, 7, 2))] * 4,
    )
    assert check_blocks(home, "home") == [] and "<!channel>" not in shown(home)


def test_forms_messages_and_reminders_fit() -> None:
    drafts = [Draft((NASTY * 20)[:MAX_TITLE], "Writing", DAY)] * 4
    skills = [f"Skill {i}" for i in range(120)]
    goal = Goal("g" * 600, "m" * 400, DAY)
    assert check_view(roadmap_ui.setup_modal(1, goal=goal, drafts=drafts, skills=skills, end=DAY)) == []
    m = milestone(1, "done")
    for view in (
        roadmap_ui.milestone_modal(1, m, skills=skills, end=DAY, parent="V1"),
        roadmap_ui.milestone_modal(1, None, skills=skills, end=DAY),
        roadmap_ui.done_modal(m),
        roadmap_ui.comment_modal(m),
    ):
        assert check_view(view) == [], view["callback_id"]
    for text, blocks in (
        roadmap_ui.celebration(m, "U1", commenter="U2"),
        roadmap_ui.reminder_dm(m),
        roadmap_ui.overdue_dm(m),
        roadmap_ui.setup_prompt_dm(1, NASTY),
    ):
        assert check_blocks(blocks) == [] and "<!channel>" not in text and "<!channel>" not in shown(blocks)
    assert check_blocks(roadmap_ui.checkin_milestones_blocks([milestone(i) for i in range(12)]), "modal") == []
    text, blocks = roadmap_ui.contributions_message("P", [MentorContribution(f"U{i}", 1, 1, 1, 1) for i in range(80)])
    assert check_blocks(blocks) == [] and "and 20 more" in shown(blocks)


def test_growth_threads_and_kudos_fit_and_are_escaped() -> None:
    thread = GrowthThread(
        id=1,
        team_id="T1",
        programme_id=1,
        author_id="U1",
        tried=(NASTY * 100)[: growth_ui.MAX_FIELD],
        learned=(NASTY * 100)[: growth_ui.MAX_FIELD],
        next_step=(NASTY * 100)[: growth_ui.MAX_FIELD],
        skills=["A & B", "<C>"],
    )
    text, blocks = growth_ui.growth_message(thread, author_name="Ana <!here>", avatar_url="https://img/a.png")
    assert check_blocks(blocks) == []
    assert "<!channel>" not in shown(blocks) and "<!here>" not in shown(blocks) and "<!channel>" not in text
    skills = [f"Skill {i}" for i in range(120)]
    for view in (
        growth_ui.growth_modal(programme_id=1, skills=skills, channel_name="P", has_room=True),
        growth_ui.growth_modal(programme_id=1, skills=skills, channel_name=None, has_room=True, thread=thread),
        growth_ui.delete_modal(thread),
        growth_ui.kudos_modal(receiver="U2", reason="r" * 900, channel_name="P"),
        growth_ui.kudos_modal(receiver=None, reason="", channel_name=None),
    ):
        assert check_view(view) == [], view["callback_id"]
    text, blocks = growth_ui.kudos_message("U1", "U2", NASTY * 40, public=True)
    assert check_blocks(blocks) == [] and "<!channel>" not in text


def test_measurable_goals_the_mentors_view_and_the_circle_question_fit_and_are_escaped() -> None:
    from blocks import secondloop as loop_ui
    from blocks import skillgrowth as skill_ui
    from mentoring.prompting import MeasureSuggestions
    from mentoring.roadmaps import MAX_MEASURE
    from mentoring.secondloop import QUESTIONS
    from mentoring.skillgrowth import MentorTarget, SideBySide
    from store.models import Programme, SkillShare

    roadmap = Roadmap(
        id=1,
        team_id="T1",
        programme_id=1,
        match_id=1,
        owner_id="U1",
        goal=(NASTY * 50)[:MAX_GOAL],
        goal_measure=(NASTY * 30)[:MAX_MEASURE],
        goal_by=DAY,
    )
    items = [milestone(i) for i in range(MAX_MILESTONES)]
    for item in items:
        item.done_when = (NASTY * 30)[:MAX_MEASURE]
    measures = MeasureSuggestions([NASTY * 20] * 5, "library", note="From the library.")
    for editable in (True, False):
        view = roadmap_ui.roadmap_modal(roadmap, items, editable=editable, end=DAY, notice="n", measures=measures)
        assert check_view(view) == [] and "<!channel>" not in shown(view)
    for text, blocks in (roadmap_ui.reminder_dm(items[0]), roadmap_ui.overdue_dm(items[0])):
        assert check_blocks(blocks) == [] and "<!channel>" not in text + shown(blocks)
        assert "Done when" in text + shown(blocks)
    assert check_view(roadmap_ui.done_modal(items[0])) == []

    programme = Programme(id=1, team_id="T1", slug="p", name="P & <!here>")
    share = SkillShare(id=1, team_id="T1", programme_id=1, match_id=1, cycle_number=1, mentee_id="U1", mentor_id="U2")
    skills = [f"Skill {i} <!channel>" for i in range(5)]
    assert check_view(skill_ui.mentor_view_modal(MentorTarget(share, programme, skills, {skills[0]: 3}))) == []
    both = SideBySide(1, "U1", "U2", programme.name, [(s, 2, None) for s in skills])
    assert check_view(skill_ui.side_by_side_modal(both)) == []
    for text, blocks in (skill_ui.side_by_side_dm(both), skill_ui.shared_dm("U1", programme.name, 1)):
        assert check_blocks(blocks) == [] and "<!channel>" not in shown(blocks) and "<!here>" not in text
    assert check_view(skill_ui.saved_modal(1)) == [] and check_view(skill_ui.shared_modal("U2")) == []
    for question in QUESTIONS:
        text, blocks = loop_ui.circle_post(1, question)
        assert check_blocks(blocks) == [] and question.text in text

"""Outcomes in the weekly digest and the programme report: skill development (groups of five or more only), working
agreements in place, mentors trained and the time to a first meeting, on a seeded programme; and the report and
the digest cost the same SQL statements whatever the programme's size."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from bench.pass_bench import counting
from blocks import charts
from blocks import digests as digest_ui
from mentoring.insight import compute_digest, compute_health
from mentoring.training import ESSENTIALS, REFLECTION
from standin import TEAM_ID, render_blocks
from store.db import Database
from store.models import Agreement, Meeting, MeetingStatus, MentorTraining, Programme, SkillRating
from tests.digest_world import CYCLE_START, log_checkin, seed_programme

NOW = CYCLE_START + timedelta(days=21)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database.from_url(database_url)
    yield database
    database.dispose()


def seed_outcomes(db: Database, pairs: int, *, name: str = "Engineering mentoring") -> int:
    """`pairs` pairs. Every mentee rated Writing at the start (2) and at exit (4, the last one 2: unchanged); four
    of them rated Chess too (a group too small to show); two pairs agreed their working agreement; the first mentor
    completed the mentor essentials; three pairs met first after 2, 4 and 6 days."""
    seeded = seed_programme(
        db, channel_id="C0OUTCOME", pairs=[(f"UM{i:03d}{name[:2]}", f"UE{i:03d}{name[:2]}") for i in range(pairs)],
        name=name,
    )  # fmt: skip
    mentees = [p for p in seeded.people if p.startswith("UE")]
    mentors = [p for p in seeded.people if p.startswith("UM")]
    with db.begin() as session:

        def rate(person: str, skill: str, stage: str, level: int) -> SkillRating:
            return SkillRating(team_id=TEAM_ID, programme_id=seeded.programme_id, cycle_number=1,
                               slack_user_id=person, skill=skill, stage=stage, level=level)  # fmt: skip

        for i, person in enumerate(mentees):
            session.add(rate(person, "Writing", "start", 2))
            session.add(rate(person, "Writing", "exit", 2 if i == len(mentees) - 1 else 4))
            if i < 4:
                session.add(rate(person, "Chess", "start", 1))
                session.add(rate(person, "Chess", "exit", 3))
        for match_id in seeded.matches[:2]:
            session.add(Agreement(team_id=TEAM_ID, match_id=match_id, focus="f", rhythm="r", confidential="c",
                                  ending="e", written_by=mentors[0], agreed_at=CYCLE_START))  # fmt: skip
        for step in (*ESSENTIALS, REFLECTION):
            session.add(MentorTraining(team_id=TEAM_ID, slack_user_id=mentors[0], step=step))
        session.add(
            Meeting(
                team_id=TEAM_ID,
                programme_id=seeded.programme_id,
                match_id=seeded.matches[1],
                uid=f"m-{name}",
                status=MeetingStatus.AGREED.value,
                starts_at=CYCLE_START + timedelta(days=4),
                proposed_by=mentors[1],
                proposed_at=CYCLE_START,
            )
        )
    log_checkin(db, seeded.matches[0], mentees[0], CYCLE_START + timedelta(days=2))
    log_checkin(db, seeded.matches[1], mentees[1], CYCLE_START + timedelta(days=10))  # the booked chat came first
    log_checkin(db, seeded.matches[2], mentees[2], CYCLE_START + timedelta(days=6))
    return seeded.programme_id


def programme(db: Database, programme_id: int) -> Programme:
    with db.session() as session:
        found = session.get(Programme, programme_id)
        assert found is not None
        return found


def test_the_digest_and_the_report_show_the_cycle_s_outcomes(db: Database) -> None:
    programme_id = seed_outcomes(db, 6)
    with db.session() as session:
        digest = compute_digest(session, programme(db, programme_id), now=NOW)
        health = compute_health(session, programme(db, programme_id), now=NOW)
    outcomes = digest["outcomes"]
    assert [(s["skill"], s["people"], s["improved"]) for s in outcomes["skills"]] == [("", 6, 5), ("Writing", 6, 5)]
    assert outcomes["skills"][1]["mean_change"] == pytest.approx(1.67, abs=0.01)
    assert outcomes["skills_withheld"] == 1  # Chess: four people, never shown
    assert (outcomes["agreements_in_place"], outcomes["mentors"], outcomes["mentors_trained"]) == (2, 6, 1)
    assert (outcomes["days_to_first_meeting"], outcomes["matches_met"]) == (4.0, 3)

    shown = render_blocks(digest_ui.digest_message(digest)[1])
    assert "*Skills, All skills:* +1.7 on a 1-5 scale, 83% improved (6 people)" in shown
    assert "*Skills, Writing:* +1.7" in shown and "Chess" not in shown
    assert "*Agreements in place:* 2 pairs of 6" in shown
    assert "*Mentors trained:* 1 of 6 completed the essentials" in shown
    assert "*Time to a first meeting:* 4 days (median)" in shown
    assert "UE0" not in shown and "UM0" not in shown  # nobody is named

    assert (health.days_to_first_meeting, health.matches_met) == (4.0, 3)
    report = render_blocks(digest_ui.report_message("P", health, cycle_number=1)[1])
    assert "*Time to the first meeting:* 4 days (median from the match to its first chat booked or check-in" in report
    assert "*Agreements in place:* 2 of 6 active pairs" in report
    assert "*Mentors who completed the essentials:* 1 of 6" in report
    assert "• Writing: +1.7 on average, 83% improved (6 people)" in report and "Chess" not in report
    _, alt = charts.dashboard(
        title="P", checkins_per_week=health.checkins_per_week, by_role=health.by_role,
        usefulness=health.usefulness_counts, departments=[], retention=[],
        skills=[(d.skill, d.mean_change, d.improved_share) for d in health.skill_development],
    )  # fmt: skip
    assert "skill development: all skills +1.7, 83% improved, Writing +1.7, 83% improved" in alt


def test_a_skill_rated_by_four_people_is_withheld_in_the_digest_too(db: Database) -> None:
    programme_id = seed_outcomes(db, 4)  # four mentees in all: no group reaches five
    with db.session() as session:
        digest = compute_digest(session, programme(db, programme_id), now=NOW)
    assert digest["outcomes"]["skills"] == [] and digest["outcomes"]["skills_withheld"] == 2
    shown = render_blocks(digest_ui.digest_message(digest)[1])
    assert "Skills" not in shown and "Writing" not in shown and "Chess" not in shown
    # even a digest handed a small group (an old row, say) does not show it
    forged = {**digest, "outcomes": {"skills": [{"skill": "Chess", "people": 4, "mean_change": 2, "improved": 4}]}}
    assert "Chess" not in render_blocks(digest_ui.digest_message(forged)[1])


def test_the_report_and_the_digest_cost_the_same_statements_whatever_the_size(db: Database) -> None:
    small, big = seed_outcomes(db, 6, name="Small"), seed_outcomes(db, 60, name="Big")
    counts = []
    for programme_id in (small, big):
        found = programme(db, programme_id)
        with db.session() as session, counting(db.engine) as statements:
            compute_health(session, found, now=NOW)
            compute_digest(session, found, now=NOW)
        counts.append(len(statements))
    assert counts[0] == counts[1], counts

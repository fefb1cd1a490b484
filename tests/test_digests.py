"""Weekly digests: fast-forward the scheduler week by week and read what the programme channel shows."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from gateway.slack import make_web_client
from scheduling.digests import deliver_digest_charts, plan_digests
from scheduling.scheduler import tick
from standin import BOT_TOKEN, TEAM_ID, SlackStandIn, find, render_blocks
from store import insight, queries
from store.db import Database
from store.models import ChartStatus, Digest, Match, MatchMember, MatchStatus, OutboxMessage
from tests.digest_world import (
    SECRET_END_REASON,
    SECRET_EVIDENCE,
    SECRET_RATHER_NOT,
    SECRET_REFLECTION,
    add_growth_thread,
    add_kudos,
    add_milestone,
    end_match,
    log_checkin,
    monday,
    seed_programme,
)
from tests.test_cli import ROOT, clean_env

ANA, SAM, LEA, KENJI, PRIYA, MARIA = (find(n).id for n in ("Ana", "Sam", "Lea", "Kenji", "Priya", "Maria"))
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    with SlackStandIn() as slack:
        yield slack


def channel_of(standin: SlackStandIn) -> str:
    return standin.add_channel("mentoring", [ANA, SAM, LEA, KENJI, PRIYA, MARIA])


def digests(db: Database) -> list[Digest]:
    with db.session() as session:
        return list(session.exec(select(Digest).order_by(Digest.id)).all())  # type: ignore[arg-type]


def posted(standin: SlackStandIn, channel: str) -> list[str]:
    """What the channel shows, message by message, as text (blocks rendered) with its files."""
    shown = []
    for seen in standin.messages_in(channel):
        body = render_blocks(seen.blocks) if seen.blocks else seen.text
        shown.append(body + "".join(f"\n[file {f.get('name')}]" for f in seen.files))
    return shown


def test_a_digest_posts_once_a_week_with_its_chart_and_counts_the_change(db: Database, standin: SlackStandIn) -> None:
    channel = channel_of(standin)
    world = seed_programme(db, channel_id=channel, pairs=[(SAM, ANA), (LEA, KENJI)], waiting=[PRIYA])
    first, second = world.matches
    client = make_web_client(token=BOT_TOKEN, base_url=standin.api_url)
    # Week 1: one pair meets. Week 2: both pairs meet, one of them twice.
    log_checkin(db, first, ANA, monday(0) + timedelta(days=2))
    log_checkin(db, first, SAM, monday(1) + timedelta(days=1))
    log_checkin(db, first, ANA, monday(1) + timedelta(days=3))
    log_checkin(db, second, KENJI, monday(1) + timedelta(days=4))

    # Sunday evening: not yet.
    assert tick(db, client, now=monday(2) - timedelta(hours=14))["digests_planned"] == 0
    assert posted(standin, channel) == []
    # Monday 09:00 UTC, the programme's digest time: the digest, then its chart.
    result = tick(db, client, now=monday(2))
    assert result["digests_planned"] == 1 and result["digest_charts"] == 1
    message, chart = standin.messages_in(channel)
    text = render_blocks(message.blocks)
    assert "This week in Engineering mentoring" in text
    assert "*2 pairs met* of 2 active (+1 on last week)" in text
    assert "*3 check-ins logged* (+2 on last week)" in text
    assert "*1 new person* joined and will be matched soon" in text
    assert "Conversation prompt of the week" in text
    assert message.text.startswith("This week in Engineering mentoring: 2 pairs met, 3 check-ins logged")
    [file] = chart.files
    assert file["name"].endswith(".png") and file["bytes"].startswith(PNG)
    assert file["title"] == "Engineering mentoring: check-ins and milestones per week"
    [upload] = standin.calls_to("files.completeUploadExternal")
    assert upload.params["channel_id"] == channel

    # Later the same week, and again and again: nothing more.
    for hours in (1, 30, 100):
        tick(db, client, now=monday(2) + timedelta(hours=hours))
    assert len(standin.messages_in(channel)) == 2

    # A week later, a quiet week: a short, encouraging digest with the prompt, and the chart of the cycle so far.
    tick(db, client, now=monday(3))
    quiet = render_blocks(standin.messages_in(channel)[2].blocks)
    assert "A quiet week in *Engineering mentoring*" in quiet
    assert "Conversation prompt of the week" in quiet
    assert "0 check-ins" not in quiet
    assert [d.week for d in digests(db)] == ["2026-W47", "2026-W48"]
    prompts = [d.stats["prompt"]["id"] for d in digests(db)]
    assert prompts[0] != prompts[1]


def test_the_digest_comes_at_the_programme_s_own_weekday_and_hour(db: Database, standin: SlackStandIn) -> None:
    channel = channel_of(standin)
    seed_programme(db, channel_id=channel, pairs=[(SAM, ANA)], weekday=2, hour=10, timezone="Asia/Tokyo")
    client = make_web_client(token=BOT_TOKEN, base_url=standin.api_url)
    wednesday_tokyo_10 = datetime(2026, 11, 18, 1, 0, tzinfo=UTC)  # 10:00 in Tokyo
    assert tick(db, client, now=wednesday_tokyo_10 - timedelta(minutes=10))["digests_planned"] == 0
    assert tick(db, client, now=wednesday_tokyo_10 + timedelta(minutes=5))["digests_planned"] == 1
    assert len(standin.messages_in(channel)) == 1  # a quiet week with no chart to draw: just the message
    [digest] = digests(db)
    assert digest.week == "2026-W47" and digest.chart_status == ChartStatus.NONE.value


def test_a_scheduler_down_for_days_skips_the_week_instead_of_posting_late(db: Database, standin: SlackStandIn) -> None:
    channel = channel_of(standin)
    seed_programme(db, channel_id=channel, pairs=[(SAM, ANA)])
    client = make_web_client(token=BOT_TOKEN, base_url=standin.api_url)
    assert tick(db, client, now=monday(2) + timedelta(days=2))["digests_planned"] == 0
    assert standin.messages_in(channel) == []


def test_a_chart_upload_that_crashed_midway_is_not_posted_twice(db: Database, standin: SlackStandIn) -> None:
    channel = channel_of(standin)
    world = seed_programme(db, channel_id=channel, pairs=[(SAM, ANA)])
    log_checkin(db, world.matches[0], ANA, monday(1) + timedelta(days=1))
    client = make_web_client(token=BOT_TOKEN, base_url=standin.api_url)
    assert plan_digests(db, client, now=monday(2)) == 1
    assert plan_digests(db, client, now=monday(2) + timedelta(minutes=10)) == 0  # planning twice adds nothing
    # The chart step waits for the message.
    assert deliver_digest_charts(db, client, now=monday(2)) == 0
    tick(db, client, now=monday(2))
    assert len(standin.messages_in(channel)) == 2
    # A worker uploaded the chart and died before recording it: the row is left "uploading".
    with db.begin() as session:
        [digest] = session.exec(select(Digest)).all()
        digest.chart_status = ChartStatus.UPLOADING.value
        digest.chart_claimed_at = monday(2)
        session.add(digest)
    assert deliver_digest_charts(db, client, now=monday(2) + timedelta(minutes=1)) == 0  # not stale yet
    assert deliver_digest_charts(db, client, now=monday(2) + timedelta(minutes=10)) == 0  # found in the channel
    assert len(standin.messages_in(channel)) == 2
    assert len(standin.calls_to("files.completeUploadExternal")) == 1
    [digest] = digests(db)
    assert digest.chart_status == ChartStatus.UPLOADED.value and digest.chart_file_id


def test_a_failed_upload_is_tried_again_on_the_next_pass(db: Database, standin: SlackStandIn) -> None:
    channel = channel_of(standin)
    world = seed_programme(db, channel_id=channel, pairs=[(SAM, ANA)])
    log_checkin(db, world.matches[0], ANA, monday(1) + timedelta(days=1))
    client = make_web_client(token=BOT_TOKEN, base_url=standin.api_url, max_retries=0)
    standin.fail_next("files.getUploadURLExternal", "internal_error")
    assert tick(db, client, now=monday(2))["digest_charts"] == 0
    assert len(standin.messages_in(channel)) == 1
    assert tick(db, client, now=monday(2) + timedelta(minutes=10))["digest_charts"] == 1
    assert len(standin.messages_in(channel)) == 2


def test_a_digest_never_shows_private_fields_or_who_ended_a_match(db: Database, standin: SlackStandIn) -> None:
    channel = channel_of(standin)
    world = seed_programme(db, channel_id=channel, pairs=[(SAM, ANA), (LEA, KENJI)])
    log_checkin(db, world.matches[0], ANA, monday(1) + timedelta(days=1), usefulness=1)
    end_match(db, world.matches[1], KENJI, monday(1) + timedelta(days=2))
    client = make_web_client(token=BOT_TOKEN, base_url=standin.api_url)
    tick(db, client, now=monday(2))
    shown = "\n".join(posted(standin, channel)) + "".join(str(c.params) for c in standin.calls)
    for secret in (SECRET_REFLECTION, SECRET_RATHER_NOT, SECRET_END_REASON, "rematch"):
        assert secret not in shown
    assert KENJI not in "\n".join(posted(standin, channel))  # nobody is named for ending a match
    with db.session() as session:
        stored = [str(d.stats) for d in session.exec(select(Digest)).all()]
        stored += [str(m.payload) for m in session.exec(select(OutboxMessage)).all()]
    assert not any(SECRET_REFLECTION in s or SECRET_END_REASON in s for s in stored)


def test_milestones_public_growth_threads_and_kudos_are_celebrated_private_ones_only_counted(
    db: Database, standin: SlackStandIn
) -> None:
    channel = channel_of(standin)
    room = standin.add_channel("mentoring-sam-ana", [SAM, ANA], private=True)
    world = seed_programme(db, channel_id=channel, pairs=[(SAM, ANA), (LEA, KENJI)])
    pid, (first, second) = world.programme_id, world.matches
    week = monday(1) + timedelta(days=2)
    add_milestone(db, pid, first, ANA, done_at=week)
    add_milestone(db, pid, second, KENJI, done_at=week + timedelta(hours=3))
    add_milestone(db, pid, second, KENJI, done_at=monday(0) + timedelta(days=1))  # the week before
    add_milestone(db, pid, first, ANA, done_at=None)
    add_growth_thread(db, pid, ANA, week, channel_id=channel, ts="1763000000.000100", replies=4, reactions=3)
    add_growth_thread(db, pid, KENJI, week, channel_id=channel, ts="1763000000.000200", replies=1, reactions=0)
    add_growth_thread(
        db, pid, SAM, week, channel_id=room, ts="1763000000.000300", replies=9, reactions=9, visibility="room"
    )
    add_growth_thread(
        db, pid, LEA, week, channel_id=channel, ts="1763000000.000400", replies=9, reactions=9, deleted=True
    )
    add_kudos(db, pid, ANA, SAM, week, public=True)
    add_kudos(db, pid, KENJI, LEA, week, public=False)
    client = make_web_client(token=BOT_TOKEN, base_url=standin.api_url)

    tick(db, client, now=monday(2))
    message, chart = standin.messages_in(channel)
    text = render_blocks(message.blocks)
    assert "*2 milestones completed*" in text
    assert "*2 kudos given*" in text
    # The public growth threads, most engaged first, linked to the thread in the channel.
    assert text.index(f"<@{ANA}>") < text.index(f"<@{KENJI}>")
    assert f"https://mentorbot-demo.slack.com/archives/{channel}/p1763000000000100" in text
    assert "4 replies, 3 reactions" in text
    # The room-only and the deleted thread are not shown; the private kudos is counted, not named.
    assert "p1763000000000300" not in text and "p1763000000000400" not in text
    assert f"<@{SAM}>" not in text.split("Growth threads")[1].split("Kudos")[0]
    assert f"<@{ANA}> → <@{SAM}>" in text
    assert f"<@{LEA}>" not in text
    [digest] = digests(db)
    assert digest.stats["series"]["milestones"] == [1, 2]
    assert digest.stats["series"]["checkins"] == [0, 0]
    assert chart.files and SECRET_EVIDENCE not in str(digest.stats)


def test_mentor_bot_tick_at_fast_forwards_week_by_week(db: Database, database_url: str, standin: SlackStandIn) -> None:
    """The operator's way: `mentor-bot tick --at` each Monday of a cycle; one digest (and chart) per week."""
    channel = channel_of(standin)
    world = seed_programme(db, channel_id=channel, pairs=[(SAM, ANA)])
    for week in range(3):
        log_checkin(db, world.matches[0], ANA, monday(week) + timedelta(days=1))
    outputs = []
    for week in (1, 2, 3):
        for at in (monday(week), monday(week) + timedelta(hours=2)):
            result = subprocess.run(
                [sys.executable, "-m", "bot", "tick", "--at", at.isoformat()],
                cwd=ROOT,
                env=clean_env(DATABASE_URL=database_url, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=standin.api_url),
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert result.returncode == 0, result.stderr
            outputs.append(result.stdout)
    assert "digests planned: 1" in outputs[0] and "digest charts: 1" in outputs[0]
    assert "digests planned: 0" in outputs[1] and "digest charts: 0" in outputs[1]
    shown = standin.messages_in(channel)
    assert len(shown) == 6  # three digests, each followed by its chart
    assert [bool(s.files) for s in shown] == [False, True] * 3
    assert all("*1 pair met* of 1 active" in render_blocks(s.blocks) for s in shown[0::2])
    assert [d.week for d in digests(db)] == ["2026-W46", "2026-W47", "2026-W48"]


def test_forgetting_a_person_removes_them_from_past_digests(db: Database, standin: SlackStandIn) -> None:
    channel = channel_of(standin)
    world = seed_programme(db, channel_id=channel, pairs=[(SAM, ANA)])
    add_kudos(db, world.programme_id, ANA, SAM, monday(1) + timedelta(days=1), public=True)
    tick(db, make_web_client(token=BOT_TOKEN, base_url=standin.api_url), now=monday(2))
    assert ANA in str(digests(db)[0].stats)
    with db.begin() as session:
        queries.forget_person(session=session, team_id=TEAM_ID, user_id=ANA)
    [digest] = digests(db)
    assert ANA not in str(digest.stats) and SAM in str(digest.stats) and digest.stats["kudos"]["count"] == 1


def test_retention_counts_people_matched_again_in_the_next_cycle(db: Database) -> None:
    world = seed_programme(db, channel_id="C0NOWHERE", pairs=[(SAM, ANA), (LEA, KENJI)])
    with db.begin() as session:
        first = session.get(Match, world.matches[0])
        assert first is not None
        session.add(
            Match(
                team_id=TEAM_ID,
                programme_id=world.programme_id,
                round_id=first.round_id,
                cycle_number=2,
                status=MatchStatus.ACTIVE.value,
                released_at=monday(13),
            )
        )
        session.flush()
        second = session.exec(select(Match).where(Match.cycle_number == 2)).one()
        assert second.id is not None
        for user_id, role in ((SAM, "mentor"), (PRIYA, "mentee")):
            session.add(MatchMember(match_id=second.id, team_id=TEAM_ID, slack_user_id=user_id, role=role))
        proposed = Match(
            team_id=TEAM_ID, programme_id=world.programme_id, round_id=first.round_id, cycle_number=2, status="proposed"
        )
        session.add(proposed)
        session.flush()
        assert proposed.id is not None
        session.add(MatchMember(match_id=proposed.id, team_id=TEAM_ID, slack_user_id=ANA, role="mentee"))
    with db.session() as session:
        assert insight.retention(session=session, programme_id=world.programme_id) == [(1, 4, 1), (2, 2, 0)]

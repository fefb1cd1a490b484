"""What a listener leaves for after its ack is done by the follow-up worker, not by the web workers that ack.

A join's ack closes the modal at once; the confirmation DM and the App Home refresh are queued with the saved
form and done by `scheduling.followups.FollowUpLoop` (the scheduler's process in production), at Slack's pace,
with retries and leases so a dead worker's work is done by another.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk import WebClient
from sqlmodel import select

from bot.app import follow_up_runners, make_deps
from bot.settings import Settings
from gateway.slack import make_web_client
from scheduling import followups
from scheduling.followups import FollowUpLoop, Runner
from scheduling.outbox import RateLimiter
from standin import BOT_TOKEN, SlackStandIn
from standin.scenes import World, join_answers
from store.db import Database
from store.models import FollowUp, FollowUpStatus, Participant
from tests.conftest import running_world
from tests.data import rows

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def quiet_world(database_url: str) -> Iterator[World]:
    """The app served without a follow-up worker: what the web side does alone."""
    with running_world(database_url, follow_ups=False) as running:
        yield running


def worker_for(world: World, db: Database, **options: object) -> FollowUpLoop:
    settings = Settings(_env_file=None, slack_bot_token=BOT_TOKEN, database_url=str(db.engine.url))
    client = make_web_client(token=BOT_TOKEN, base_url=world.standin.api_url)
    runners = follow_up_runners(make_deps(settings, db))
    return FollowUpLoop(db, client, runners, **options)  # type: ignore[arg-type]


def test_the_ack_of_a_join_leaves_its_dm_and_app_home_to_the_follow_up_worker(
    quiet_world: World, database_url: str, db: Database
) -> None:
    ana = quiet_world.person("Ana")
    reply = ana.join(join_answers("mentee", wanted=["Public speaking"], goals="Speak up"))
    assert reply.status == 200 and reply.body == ""  # the modal closed
    [participant] = rows(database_url, Participant)
    [queued] = rows(database_url, FollowUp)
    assert (queued.kind, queued.slack_user_id, queued.status) == ("joined", ana.id, "pending")
    assert queued.payload == {"participant_id": participant.id, "created": True}
    time.sleep(0.3)
    standin = quiet_world.standin
    assert ana.dms() == [] and ana.home() is None  # the web side did none of it
    assert standin.calls_to("users.info") == []

    report = worker_for(quiet_world, db).run_once(datetime.now(UTC))

    assert (report.claimed, report.done) == (1, 1)
    assert "Welcome to *Mentoring*" in ana.wait_for_dm().text
    assert "Public speaking" in str(ana.wait_for_home("Public speaking"))
    [row] = rows(database_url, Participant)
    assert row.timezone == "Europe/Lisbon"  # Slack's profile, read by the worker
    [done] = rows(database_url, FollowUp)
    assert done.status == "done" and done.attempts == 1
    # done is done: the next pass finds nothing and sends nothing more
    assert worker_for(quiet_world, db).run_once(datetime.now(UTC)).claimed == 0
    assert len(ana.dms()) == 1


def test_with_the_worker_running_the_person_gets_the_dm_and_home_right_after_the_modal_closes(world: World) -> None:
    ana = world.person("Ana")
    started = time.monotonic()
    ana.join(join_answers("mentee", wanted=["Public speaking"], goals="Speak up"))
    ana.wait_for_dm()
    ana.wait_for_home("Public speaking")
    assert time.monotonic() - started < 5  # woken when the join commits, not after a polling interval


def test_a_membership_gone_before_its_follow_up_runs_gets_no_dm(
    quiet_world: World, database_url: str, db: Database
) -> None:
    ana = quiet_world.person("Ana")
    ana.join(join_answers("mentee", wanted=["Public speaking"], goals="Speak up"))
    with db.begin() as session:
        for participant in session.exec(select(Participant)).all():
            session.delete(participant)

    report = worker_for(quiet_world, db).run_once(datetime.now(UTC))

    assert report.done == 1
    time.sleep(0.3)
    assert ana.dms() == []


def queue_one(db: Database, *, kind: str = "test", user: str = "U1", now: datetime = NOW) -> int:
    with db.begin() as session:
        followups.queue(session, team_id="T1", kind=kind, user_id=user, payload={"n": 1}, now=now)
    with db.session() as session:
        ids = session.exec(select(FollowUp.id).where(FollowUp.slack_user_id == user)).all()
    return int(ids[-1] or 0)


def test_a_failing_follow_up_is_tried_again_later_then_ends_failed_with_its_error(
    db: Database, database_url: str
) -> None:
    tries: list[int] = []

    def flaky(_client: WebClient, row: FollowUp) -> None:
        tries.append(row.attempts)
        raise RuntimeError("the database went away")

    loop = FollowUpLoop(
        db,
        WebClient(token="xoxb-unused"),
        {"test": Runner(flaky)},
        max_attempts=2,
        backoff_base=timedelta(seconds=30),
        clock=lambda: NOW,
    )
    follow_up_id = queue_one(db)

    first = loop.run_once(NOW)
    [row] = rows(database_url, FollowUp)
    assert (first.retried, row.status, row.id) == (1, "pending", follow_up_id)
    assert row.not_before == NOW + timedelta(seconds=30) and row.claimed_by is None
    assert "the database went away" in row.last_error
    assert loop.run_once(NOW + timedelta(seconds=29)).claimed == 0  # backing off

    second = loop.run_once(NOW + timedelta(seconds=31))
    [row] = rows(database_url, FollowUp)
    assert (second.failed, row.status, row.attempts) == (1, "failed", 2)
    assert tries == [1, 2]
    assert loop.run_once(NOW + timedelta(hours=1)).claimed == 0  # failed is final


def test_a_claim_is_a_lease_a_dead_workers_follow_up_is_done_by_another(db: Database, database_url: str) -> None:
    done: list[str] = []
    runner = {"test": Runner(lambda _client, row: done.append(row.claimed_by or ""))}
    client = WebClient(token="xoxb-unused")
    queue_one(db)
    dead = followups.claim(db, now=NOW, worker="dead", batch=10, lease=timedelta(minutes=2))
    assert len(dead) == 1  # claimed, then its worker died without recording anything

    alive = FollowUpLoop(db, client, runner, name="alive", lease=timedelta(minutes=2))
    assert alive.run_once(NOW + timedelta(minutes=1)).claimed == 0  # still leased to the dead worker
    assert alive.run_once(NOW + timedelta(minutes=3)).done == 1
    assert done == ["alive"]
    [row] = rows(database_url, FollowUp)
    assert (row.status, row.attempts) == (FollowUpStatus.DONE.value, 2)


def test_two_workers_claiming_at_once_never_take_the_same_follow_up(db: Database) -> None:
    for n in range(40):
        queue_one(db, user=f"U{n}")
    taken: list[list[int]] = [[], []]
    start = threading.Barrier(2)

    def claim_all(slot: int) -> None:
        start.wait()
        while batch := followups.claim(db, now=NOW, worker=f"w{slot}", batch=3, lease=timedelta(minutes=2)):
            taken[slot].extend(row.id or 0 for row in batch)

    threads = [threading.Thread(target=claim_all, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken[0] + taken[1]) == sorted(set(taken[0] + taken[1]))  # no follow-up claimed twice
    assert len(taken[0]) + len(taken[1]) == 40


def test_follow_ups_wait_for_slacks_rate_limit_of_the_methods_they_call(db: Database) -> None:
    limiter = RateLimiter()
    limiter.back_off("T1", "views.publish", None, 0.5)  # Slack said 429 for views.publish half a second ago
    ran: list[float] = []
    loop = FollowUpLoop(
        db,
        WebClient(token="xoxb-unused"),
        {"test": Runner(lambda _c, _r: ran.append(time.monotonic()), methods=("users.info", "views.publish"))},
        limiter=limiter,
    )
    queue_one(db)
    started = time.monotonic()
    report = loop.run_once(NOW)
    assert report.done == 1 and ran[0] - started >= 0.45
    assert report.waited >= 0.45


def test_a_kind_without_a_runner_or_a_workspace_without_a_client_ends_failed(db: Database, database_url: str) -> None:
    with SlackStandIn() as standin:
        loop = FollowUpLoop(db, make_web_client(token=BOT_TOKEN, base_url=standin.api_url), {})
        queue_one(db, kind="unknown")
        report = loop.run_once(NOW)
    [row] = rows(database_url, FollowUp)
    assert report.skipped == 1 and row.status == "failed" and row.last_error == "no runner for this kind"

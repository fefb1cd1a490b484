"""The outbox and its delivery worker: planned messages reach each person once, through Slack's limits and
failures, a crash of the worker, and two replicas sharing one PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlmodel import select

from gateway.slack import make_web_client
from scheduling.delivery import DeliveryLoop
from scheduling.leader import Leadership
from scheduling.outbox import DeliveryReport, RateLimiter, deliver_due, enqueue
from scheduling.scheduler import tick
from standin import BOT_TOKEN, GENERAL_CHANNEL_ID, TEAM_ID, SlackStandIn, find
from standin.workspace import Person, person
from store import queries
from store.db import Database
from store.models import OutboxMessage

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def people(count: int) -> list[Person]:
    return [person(f"U0P{i:06d}", f"Person {i}", "Engineer", "Europe/Berlin", "CET") for i in range(count)]


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    with SlackStandIn() as slack:
        yield slack


def plain_client(standin: SlackStandIn) -> WebClient:
    """A client without retry handlers: the worker itself has to deal with 429 and 5xx."""
    return WebClient(token=BOT_TOKEN, base_url=standin.api_url)


def checkin_for(db: Database, user_id: str, *, key: str | None = None, at: datetime = NOW) -> bool:
    with db.begin() as session:
        return enqueue(
            session,
            team_id=TEAM_ID,
            key=key or f"checkin:1:{user_id}:2026-W49",
            kind="checkin",
            recipient=user_id,
            text="Did you and Sam meet since 17 November?",
            not_before=at,
        )


def outbox(db: Database) -> list[OutboxMessage]:
    with db.session() as session:
        return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all())  # type: ignore[arg-type]


def deliver(db: Database, client: WebClient, now: datetime = NOW, **kwargs: object) -> DeliveryReport:
    return deliver_due(db, client, now=now, worker_id="test", **kwargs)  # type: ignore[arg-type]


def test_planning_twice_makes_one_message_and_one_dm(db: Database, standin: SlackStandIn) -> None:
    ana = find("Ana").id
    assert checkin_for(db, ana) is True
    assert checkin_for(db, ana) is False
    [row] = outbox(db)

    report = deliver(db, make_web_client(token=BOT_TOKEN, base_url=standin.api_url))
    assert report.sent == 1 and report.failed == []
    assert deliver(db, plain_client(standin), NOW + timedelta(days=1)).sent == 0

    [dm] = standin.dms(ana)
    assert dm.text == "Did you and Sam meet since 17 November?"
    [call] = standin.calls_to("chat.postMessage")
    assert call.params["metadata"] == {
        "event_type": "mentor_bot_outbox",
        "event_payload": {"outbox_id": row.id, "kind": "checkin"},
    }
    [sent] = outbox(db)
    assert sent.status == "sent" and sent.slack_ts == dm.ts and sent.sent_at == NOW and sent.attempts == 1


def test_a_channel_message_is_posted_in_the_channel(db: Database, standin: SlackStandIn) -> None:
    with db.begin() as session:
        enqueue(
            session, team_id=TEAM_ID, key="digest:1", kind="digest", channel=GENERAL_CHANNEL_ID, text="Weekly digest",
            not_before=NOW,
        )  # fmt: skip
    assert deliver(db, plain_client(standin)).sent == 1
    assert [m.text for m in standin.messages_in(GENERAL_CHANNEL_ID)] == ["Weekly digest"]


class Clock:
    """The pacing clock of a delivery pass: `sleep` moves it on instead of waiting."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.t += seconds


def test_429_backs_off_that_channel_while_others_go_out_and_each_message_once(
    db: Database, standin: SlackStandIn
) -> None:
    """Ana's DM channel answers 429; Sam's message goes out meanwhile, Ana's after Retry-After, by the outbox's
    own back-off even when it is handed the app's client (whose retry handler would sleep on the 429)."""
    ana, ben = find("Ana").id, find("Sam").id
    checkin_for(db, ana)
    checkin_for(db, ben)
    standin.rate_limit_next("chat.postMessage", retry_after=1)
    clock = Clock()

    app_client = make_web_client(token=BOT_TOKEN, base_url=standin.api_url)
    report = deliver(db, app_client, limiter=RateLimiter(clock), sleep=clock.sleep)
    assert report.rate_limited == 1 and report.sent == 2
    calls = standin.calls_to("chat.postMessage")
    assert [(c.params["channel"], c.status) for c in calls] == [(ana, 429), (ben, 200), (ana, 200)]
    assert max(clock.slept) == 1.0  # waited on Ana's channel only after Sam's had gone
    assert len(standin.dms(ana)) == len(standin.dms(ben)) == 1
    assert [r.attempts for r in outbox(db)] == [1, 1]  # a 429 is Slack asking to wait, not a failed attempt


def test_a_server_error_is_checked_against_history_then_sent_once(db: Database, standin: SlackStandIn) -> None:
    """A 5xx does not say whether Slack kept the message: the row is `unsure`, and the next try reads the DM's
    history first; only when the message is not there does it go out again."""
    ana = find("Ana").id
    checkin_for(db, ana)
    standin.server_error_next("chat.postMessage", status=503)

    report = deliver(db, plain_client(standin))
    assert report.retried == 1 and report.sent == 0 and report.failed == []
    [row] = outbox(db)
    assert row.status == "unsure" and row.attempts == 1 and row.not_before == NOW + timedelta(seconds=30)
    assert row.unsure_since == NOW
    assert deliver(db, plain_client(standin), NOW + timedelta(seconds=10)).sent == 0  # not due yet

    assert deliver(db, plain_client(standin), NOW + timedelta(seconds=31)).sent == 1
    assert len(standin.calls_to("conversations.history")) == 1
    assert len(standin.dms(ana)) == 1
    assert outbox(db)[0].unsure_since is None


def test_a_lost_answer_is_found_in_history_and_never_sent_twice(db: Database, standin: SlackStandIn) -> None:
    """Slack accepted the message but the answer never came (the connection dropped): the history holds it."""
    ana = find("Ana").id
    checkin_for(db, ana)
    standin.lose_answer_next("chat.postMessage")

    report = deliver(db, plain_client(standin))
    assert report.retried == 1 and report.sent == 0
    assert outbox(db)[0].status == "unsure"
    report = deliver(db, plain_client(standin), NOW + timedelta(minutes=1))
    assert report.recovered == 1 and report.sent == 0
    [row] = outbox(db)
    assert row.status == "sent" and row.slack_ts == standin.dms(ana)[0].ts
    assert len(standin.dms(ana)) == 1


@pytest.mark.parametrize("error", ["missing_scope", "ratelimited", "500", "connection"])
def test_a_failing_history_read_never_counts_as_not_posted(db: Database, error: str) -> None:
    """The history read that would prove a message absent fails: the row waits, is checked again with a growing
    back-off, and fails for an operator after the check deadline; it is never sent a second time."""
    ana = find("Ana").id
    with SlackStandIn() as standin:
        checkin_for(db, ana)
        standin.lose_answer_next("chat.postMessage")
        assert deliver(db, plain_client(standin)).retried == 1  # accepted by Slack, answer lost

        def break_history() -> None:
            if error == "missing_scope":
                standin.fail_next("conversations.history", "missing_scope", times=1)
            elif error == "ratelimited":
                standin.rate_limit_next("conversations.history", retry_after=1, times=1)
            elif error == "500":
                standin.server_error_next("conversations.history", status=500, times=1)
            else:
                standin.lose_answer_next("conversations.history")

        checks: list[tuple[str, timedelta]] = []
        at = NOW + timedelta(seconds=30)
        for _ in range(6):
            break_history()
            report = deliver(db, plain_client(standin), at, check_deadline=timedelta(minutes=15))
            [row] = outbox(db)
            checks.append((row.status, row.not_before - at))
            if row.status != "unsure":
                break
            at = row.not_before
        assert [status for status, _ in checks] == ["unsure"] * 5 + ["failed"]
        waits = [wait for _, wait in checks[:5]]
        assert waits == sorted(waits) and waits[-1] > waits[0]  # each check waits longer
        assert report.failed and report.failed[0].error.startswith("unconfirmed")
        assert len(standin.dms(ana)) == 1  # the one Slack accepted; never a second
        assert [c.status for c in standin.calls_to("chat.postMessage")] == [0]  # one call, its answer lost


def test_rows_are_claimed_and_recorded_in_batches(db: Database) -> None:
    """30 DMs with batches of 10: a handful of claiming statements and recording transactions, not one per row."""
    crowd = people(30)
    with SlackStandIn(people=crowd) as standin:
        for p in crowd:
            checkin_for(db, p.id)
        # A workspace rate that never makes the pass wait (it records what is done before any wait).
        limiter = RateLimiter(post_per_minute=60_000)
        report = deliver(db, plain_client(standin), batch=10, flush_every=60.0, limiter=limiter)
        assert report.sent == 30
        assert report.claims <= 6 and report.flushes <= 6
        assert {p.id: len(standin.dms(p.id)) for p in crowd} == {p.id: 1 for p in crowd}


def test_a_woken_delivery_loop_sends_at_once_and_the_pass_leaves_sending_to_it(
    db: Database, standin: SlackStandIn
) -> None:
    """The delivery loop runs on its own, idle for an hour unless woken (what the planner does when it queues
    work); a scheduler pass given the loop does not send itself."""
    loop = DeliveryLoop(db, make_web_client(token=BOT_TOKEN, base_url=standin.api_url), idle_seconds=3600)
    loop.start()
    try:
        time.sleep(0.2)  # the loop has looked once, found nothing, and waits (an hour) to be woken
        ana = find("Ana").id
        checkin_for(db, ana, at=datetime.now(UTC) - timedelta(minutes=1))
        result = tick(db, plain_client(standin), now=datetime.now(UTC), delivery=loop)
        assert "delivered" not in result and standin.dms(ana) == []  # the pass left sending to the loop
        loop.wake()
        assert standin.wait_for(lambda: len(standin.dms(ana)) == 1, timeout=20)
        _wait(lambda: outbox(db)[0].status == "sent")
    finally:
        loop.stop()


def test_transient_errors_give_up_after_max_attempts(db: Database, standin: SlackStandIn) -> None:
    checkin_for(db, find("Ana").id)
    standin.server_error_next("chat.postMessage", status=500, times=5)
    client = plain_client(standin)
    assert deliver(db, client, max_attempts=2).retried == 1
    report = deliver(db, client, NOW + timedelta(minutes=5), max_attempts=2)
    [failure] = report.failed
    assert failure.error.startswith("gave up after 2 attempts")
    assert outbox(db)[0].status == "failed"


def test_permanent_errors_fail_at_once_are_reported_and_never_retried(db: Database, standin: SlackStandIn) -> None:
    felix = find("Felix").id  # deactivated: Slack answers account_inactive
    checkin_for(db, felix)
    with db.begin() as session:
        enqueue(
            session, team_id=TEAM_ID, key="nudge:room", kind="nudge", channel="C0GONE0001", text="Time to meet?",
            not_before=NOW,
        )  # fmt: skip

    report = deliver(db, plain_client(standin))
    assert report.sent == 0
    assert sorted((f.kind, f.recipient or f.channel_id, f.error) for f in report.failed) == [
        ("checkin", felix, "account_inactive"),
        ("nudge", "C0GONE0001", "channel_not_found"),
    ]
    assert [r.status for r in outbox(db)] == ["failed", "failed"]
    calls = len(standin.calls_to("chat.postMessage"))
    assert deliver(db, plain_client(standin), NOW + timedelta(days=2)).failed == []
    assert len(standin.calls_to("chat.postMessage")) == calls == 2


def test_an_uninstalled_workspace_gets_nothing(db: Database, standin: SlackStandIn) -> None:
    checkin_for(db, find("Ana").id)
    with db.begin() as session:
        queries.mark_uninstalled(session=session, team_id=TEAM_ID, now=NOW, retention=timedelta(days=30))
    report = deliver(db, plain_client(standin))
    assert report.skipped == 1 and report.sent == 0
    assert outbox(db)[0].status == "skipped"
    assert standin.calls_to("chat.postMessage") == []


def test_tick_delivers_what_is_due(db: Database, standin: SlackStandIn) -> None:
    checkin_for(db, find("Ana").id, at=NOW + timedelta(hours=1))
    client = make_web_client(token=BOT_TOKEN, base_url=standin.api_url)
    assert tick(db, client, now=NOW)["delivered"] == 0
    result = tick(db, client, now=NOW + timedelta(hours=1))
    assert result["delivered"] == 1 and result["delivery_failed"] == 0
    assert len(standin.dms(find("Ana").id)) == 1


def test_one_process_leads_at_a_time(database_url: str) -> None:
    first, second = Database.from_url(database_url), Database.from_url(database_url)
    try:
        one, two = Leadership(first.engine), Leadership(second.engine)
        assert one.try_lead() and one.is_leader
        if first.engine.dialect.name == "sqlite":
            assert two.try_lead()  # one host, one process: always the leader
            return
        assert not two.try_lead() and not two.is_leader
        assert one.try_lead()  # still leading
        one.release()
        assert not one.is_leader
        assert two.try_lead()
        assert not one.try_lead()
        two.release()
    finally:
        first.dispose()
        second.dispose()


def _worker(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.outbox_worker", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait(predicate: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_kill_9_mid_batch_then_restart_delivers_every_message_once(database_url: str) -> None:
    """Kill the worker in the middle of a batch, restart it after the stale-claim time, count what people got.

    Slack may have accepted a message in the instant before the kill, before the worker recorded it; the
    restart reads the DM's history (conversations.history with message metadata) for that message's outbox id
    and records it as sent instead of sending it again. Every person gets exactly one message.
    """
    crowd = people(50)
    db = Database.from_url(database_url)
    try:
        with SlackStandIn(people=crowd) as standin:
            for p in crowd:
                checkin_for(db, p.id)
            # 30 ms of network after each answer: the kill most likely lands between "accepted" and "recorded".
            worker = _worker("once", database_url, standin.api_url, NOW.isoformat(), "--slow", "0.03")
            try:
                _wait(lambda: len(standin.calls_to("chat.postMessage")) >= 20 or worker.poll() is not None)
            finally:
                worker.send_signal(signal.SIGKILL)
                worker.wait()
            accepted = len([c for c in standin.calls_to("chat.postMessage") if c.status == 200])
            assert worker.returncode == -signal.SIGKILL and accepted < 50, "the worker was not killed mid-batch"
            statuses = [r.status for r in outbox(db)]
            recorded = statuses.count("sent")
            assert statuses.count("sending") == 50 - recorded  # the dead worker's claims
            unrecorded = accepted - recorded
            assert unrecorded >= 0  # outcomes are recorded in batches: a kill can leave several unrecorded

            # Restarted before the claims are stale: nothing is sent, the dead worker's rows wait.
            restart = make_web_client(token=BOT_TOKEN, base_url=standin.api_url)
            assert deliver(db, restart, NOW + timedelta(minutes=1)).sent == 0
            report = deliver(db, restart, NOW + timedelta(minutes=6))
            assert report.failed == []
            assert report.recovered == unrecorded and report.sent == 50 - accepted

            received = {p.id: len(standin.dms(p.id)) for p in crowd}
            assert received == {p.id: 1 for p in crowd}
            assert [r.status for r in outbox(db)] == ["sent"] * 50
            assert standin.warnings == []
    finally:
        db.dispose()


@pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_two_replicas_one_leader_takeover_when_it_dies_and_each_message_once(database_url: str, tmp_path: Path) -> None:
    crowd = people(40)
    db = Database.from_url(database_url)
    events = tmp_path / "events.jsonl"
    events.touch()
    try:
        with SlackStandIn(people=crowd) as standin:
            for p in crowd[:20]:
                checkin_for(db, p.id, at=datetime.now(UTC))
            replicas = [_worker("lead", database_url, standin.api_url, str(events), "20") for _ in range(2)]
            try:

                def sent() -> int:
                    return [r.status for r in outbox(db)].count("sent")

                # All sent, and the leader has logged that pass (it may be killed before logging otherwise).
                _wait(lambda: sent() >= 20 and any(e["event"] == "pass" for e in _events(events)), timeout=120)
                first = _leads(events)[0]["pid"]
                leader = next(r for r in replicas if r.pid == first)
                leader.send_signal(signal.SIGKILL)  # the leader dies: its connection closes, the lock frees
                leader.wait()
                for p in crowd[20:]:  # due only after the first leader is gone
                    checkin_for(db, p.id, at=datetime.now(UTC))
                _wait(lambda: sent() == 40)
            finally:
                for replica in replicas:
                    if replica.poll() is None:
                        replica.terminate()
                    replica.wait()

            leads = _leads(events)
            assert [e["pid"] for e in leads][:2] == [first, next(r.pid for r in replicas if r.pid != first)]
            passes = [json.loads(line) for line in events.read_text().splitlines()]
            first_passes = [e["t"] for e in passes if e["event"] == "pass" and e["pid"] == first]
            second_passes = [e["t"] for e in passes if e["event"] == "pass" and e["pid"] != first]
            assert first_passes and second_passes
            assert max(first_passes) < leads[1]["t"] <= min(second_passes)  # never two leaders at once
            assert {p.id: len(standin.dms(p.id)) for p in crowd} == {p.id: 1 for p in crowd}
    finally:
        db.dispose()


@pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_a_crash_mid_send_with_a_second_worker_and_a_failing_history_read_delivers_each_message_once(
    database_url: str,
) -> None:
    """Two delivery loops (the product's, each its own process) on one PostgreSQL. The one leading is killed
    with -9 in the middle of its sends, after Slack accepted messages it had not yet recorded. The other takes
    over, and the history reads it needs to know what Slack holds fail for a while (429, then 500, then a
    dropped connection): no message goes out again until a read succeeds. Every person sees exactly one DM."""
    crowd = people(40)
    db = Database.from_url(database_url)
    try:
        with SlackStandIn(people=crowd) as standin:
            for p in crowd:
                checkin_for(db, p.id, at=datetime.now(UTC))
            standin.rate_limit_next("conversations.history", retry_after=1, times=3)
            standin.server_error_next("conversations.history", status=500, times=3)
            standin.lose_answer_next("conversations.history", times=2)
            workers = [_worker("loop", database_url, standin.api_url, "60", "--slow", "0.05") for _ in range(2)]
            try:

                def accepted() -> int:
                    return len([c for c in standin.calls_to("chat.postMessage") if c.status == 200])

                _wait(lambda: accepted() >= 12, timeout=120)  # two processes start on a busy machine
                with db.session() as session:
                    claims = {r.claimed_by for r in session.exec(select(OutboxMessage)).all() if r.claimed_by}
                [leader_name] = claims
                leader = next(w for w in workers if leader_name == f"loop:{w.pid}")
                leader.send_signal(signal.SIGKILL)
                leader.wait()
                at_kill = accepted()
                recorded = [r.status for r in outbox(db)].count("sent")
                assert recorded < at_kill, "the kill did not land between an accepted send and its record"
                survivor = next(w for w in workers if w is not leader)
                assert survivor.poll() is None

                _wait(lambda: [r.status for r in outbox(db)].count("sent") == 40, timeout=90)
            finally:
                for worker in workers:
                    if worker.poll() is None:
                        worker.terminate()
                    worker.wait()

            assert {p.id: len(standin.dms(p.id)) for p in crowd} == {p.id: 1 for p in crowd}
            history = [c.status for c in standin.calls_to("conversations.history")]
            assert history[:8] == [429, 429, 429, 500, 500, 500, 0, 0]  # all failed; nothing resent meanwhile
            assert 200 in history
            rows = outbox(db)
            assert all(r.unsure_since is None for r in rows)
            assert {r.claimed_by for r in rows if r.slack_ts} >= {leader_name}  # some recorded by the dead leader
            assert standin.errors == []
    finally:
        db.dispose()


def _events(events: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in events.read_text().splitlines() if line.strip()]


def _leads(events: Path) -> list[dict[str, object]]:
    return [e for e in _events(events) if e["event"] == "lead"]


# --- replicas of the whole server ------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _replica(database_url: str, api_url: str, port: int) -> subprocess.Popen[bytes]:
    """`mentor-bot serve --http` (gunicorn master, a worker, the scheduler child) in a process group of its own,
    as one container or VM of a deployment is."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "OPENAI_"))}
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET="replica-secret",
        SLACK_API_URL=api_url,
        DATABASE_URL=database_url,
        HOST="127.0.0.1",
        PORT=str(port),
        WEB_WORKERS="1",
        LOG_LEVEL="WARNING",
        SCHEDULER_INTERVAL_SECONDS="1",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--http", "--no-migrate"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _scheduler(base: str) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(base + "/readyz", timeout=2) as response:
            report: dict[str, Any] | None = json.load(response).get("scheduler")
            return report
    except OSError:
        return None


@pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_two_serve_replicas_one_leads_the_other_takes_over_after_kill_9(database_url: str) -> None:
    """Two `mentor-bot serve --http` replicas on one PostgreSQL: exactly one scheduler leads (both say so in
    /readyz); the leading replica is killed with -9 (its whole process group, as when its machine dies); the
    other takes over; every planned message reaches its person exactly once."""
    crowd = people(30)
    db = Database.from_url(database_url)
    try:
        with SlackStandIn(people=crowd) as standin:
            ports = [_free_port(), _free_port()]
            bases = [f"http://127.0.0.1:{port}" for port in ports]
            replicas = [_replica(database_url, standin.api_url, port) for port in ports]
            try:
                # Both up, both schedulers reporting: one leader, one follower.
                def roles() -> list[str] | None:
                    reports = [_scheduler(base) for base in bases]
                    if not all(r and r.get("here") for r in reports):
                        return None
                    return sorted(r["here"]["role"] for r in reports if r)

                _wait(lambda: roles() is not None, timeout=90)
                assert roles() == ["follower", "leader"]

                for p in crowd[:15]:
                    checkin_for(db, p.id, at=datetime.now(UTC))
                _wait(lambda: [r.status for r in outbox(db)].count("sent") == 15, timeout=60)

                with db.session() as session:
                    leaders = [s for s in queries.scheduler_states(session=session) if s.leader]
                assert len(leaders) == 1
                leader_pid = int(leaders[0].worker_id.rsplit(":", 1)[1])
                dying = next(r for r in replicas if os.getpgid(leader_pid) == r.pid)
                survivor = bases[1 - replicas.index(dying)]
                os.killpg(dying.pid, signal.SIGKILL)
                dying.wait()

                for p in crowd[15:]:  # due only after the leader is gone
                    checkin_for(db, p.id, at=datetime.now(UTC))
                _wait(lambda: [r.status for r in outbox(db)].count("sent") == 30, timeout=60)

                def took_over() -> dict[str, Any] | None:
                    report = _scheduler(survivor)
                    here = (report or {}).get("here") or {}
                    return report if here.get("role") == "leader" and here.get("last_pass_at") else None

                _wait(lambda: took_over() is not None, timeout=30)
                report = took_over()
                assert report is not None
                assert report["leader"]["worker"] == report["here"]["worker"] != leaders[0].worker_id
            finally:
                for replica in replicas:
                    if replica.poll() is None:
                        os.killpg(replica.pid, signal.SIGTERM)
                        try:
                            replica.wait(timeout=20)
                        except subprocess.TimeoutExpired:
                            os.killpg(replica.pid, signal.SIGKILL)
                            replica.wait()

            assert {p.id: len(standin.dms(p.id)) for p in crowd} == {p.id: 1 for p in crowd}
            assert [r.status for r in outbox(db)] == ["sent"] * 30
    finally:
        db.dispose()

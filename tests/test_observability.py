"""Observability: /metrics counts what happens at the app's seams, /healthz and /readyz say how the process,
the database and the scheduler are, and the JSON logs carry ids but never tokens or what people wrote."""

from __future__ import annotations

import io
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from blocks import matching as match_ui
from bot import logs
from gateway.slack import make_web_client
from prompts.library import load_library
from prompts.llm import LLMHelper
from scheduling.leader import Leadership
from scheduling.outbox import RateLimiter, enqueue
from scheduling.scheduler import _tick_now
from standin import BOT_TOKEN, TEAM_ID, find
from standin.scenes import World
from store.db import Database
from tests.test_matching_flow import release_all, room_of


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read().decode()


def samples(world: World) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    status, headers, text = fetch(f"{world.app_base_url}/metrics")
    assert status == 200 and headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(seen: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return seen.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_count_requests_acks_slack_calls_and_429s(world: World) -> None:
    ana = find("Ana").id
    before = samples(world)
    assert world.platform.slash(ana, "/mentor", "help").status == 200
    world.standin.rate_limit_next("views.publish", retry_after=1)
    assert world.platform.home_opened(ana).status == 200
    assert world.platform.slash(ana, "/mentor", "help", signature="v0=forged").status == 401
    world.wait_for(lambda: world.standin.home(ana), what="Ana's Home tab")
    world.settle()
    after = samples(world)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("mentor_bot_requests_total", listener="command:/mentor", outcome="ok") == 1
    assert grew("mentor_bot_requests_total", listener="event:app_home_opened", outcome="ok") == 1
    assert grew("mentor_bot_requests_total", listener="unverified", outcome="refused") == 1
    assert grew("mentor_bot_ack_seconds_count", kind="command") == 1
    assert grew("mentor_bot_ack_seconds_bucket", kind="command", le="3.0") == 1  # inside Slack's 3 seconds
    # The Home tab: Slack said 429 once, the client waited and published.
    assert grew("mentor_bot_slack_ratelimited_total", method="views.publish") == 1
    assert grew("mentor_bot_slack_api_calls_total", method="views.publish", status="ok") == 1


def test_metrics_show_the_outbox_depth_and_the_age_of_the_oldest_due_message(world: World, db: Database) -> None:
    now = datetime.now(UTC)
    with db.begin() as session:
        for i, minutes in enumerate((30, 5)):
            enqueue(
                session,
                team_id=TEAM_ID,
                key=f"m{i}",
                kind="test",
                recipient=find("Ana").id,
                text="hi",
                not_before=now - timedelta(minutes=minutes),
            )
        enqueue(
            session,
            team_id=TEAM_ID,
            key="later",
            kind="test",
            recipient=find("Ana").id,
            text="hi",
            not_before=now + timedelta(days=1),
        )
    seen = samples(world)
    assert value(seen, "mentor_bot_outbox_depth", status="pending") == 3
    assert value(seen, "mentor_bot_outbox_depth", status="sending") == 0
    assert 30 * 60 - 5 <= value(seen, "mentor_bot_outbox_oldest_due_age_seconds") < 30 * 60 + 120


def test_llm_calls_and_fallbacks_are_counted() -> None:
    from gateway.metrics import LLM_CALLS, LLM_FALLBACKS
    from prompts.context import Kind, PairContext, Stage

    def count(metric: Any, **labels: str) -> float:
        return float(metric.labels(**labels)._value.get())

    calls, fallbacks = count(LLM_CALLS, outcome="connection_error"), count(LLM_FALLBACKS, reason="connection_error")
    helper = LLMHelper("sk-test-not-a-real-key-000000", base_url="http://127.0.0.1:9/v1", model="m", timeout=2)
    with helper:
        result = helper.suggest(
            PairContext(kind=Kind.ONE_TO_ONE, stage=Stage.FIRST_MEETING), library=load_library(), seed=1
        )
    assert result.source == "library"
    assert count(LLM_CALLS, outcome="connection_error") == calls + 1
    assert count(LLM_FALLBACKS, reason="connection_error") == fallbacks + 1


def test_health_and_readiness_with_the_scheduler_state(world: World, db: Database) -> None:
    status, _, body = fetch(f"{world.app_base_url}/healthz")
    assert status == 200 and json.loads(body) == {"status": "ok"}
    status, _, body = fetch(f"{world.app_base_url}/readyz")
    ready = json.loads(body)
    assert status == 200 and ready["database"] is True
    assert ready["scheduler"] == {"here": None, "leader": None}  # no scheduler has run against this database

    client = make_web_client(token=BOT_TOKEN, base_url=world.standin.api_url)
    leadership = Leadership(db.engine)
    try:
        _tick_now(db, client, leadership, RateLimiter(), 600)
    finally:
        leadership.release()
    status, _, body = fetch(f"{world.app_base_url}/readyz")
    scheduler = json.loads(body)["scheduler"]
    assert scheduler["here"]["role"] == "leader" and scheduler["here"]["last_pass_at"] is not None
    assert scheduler["leader"]["worker"] == scheduler["here"]["worker"]


def test_readiness_fails_when_the_database_is_unreachable(tmp_path: Any) -> None:
    from bot.app import readiness

    gone = Database.from_url(f"sqlite:///{tmp_path}/no/such/dir/x.db")
    try:
        ready, report = readiness(gone)
    finally:
        gone.dispose()
    assert not ready and report == {"status": "unavailable", "database": False}


def test_every_answer_carries_a_request_id(world: World) -> None:
    reply = world.platform.slash(find("Ana").id, "/mentor", "help", headers={"X-Request-Id": "lb-1234"})
    assert reply.headers.get("X-Request-Id") == "lb-1234"
    other = world.platform.slash(find("Ana").id, "/mentor", "help", headers={"X-Request-Id": "<script>"})
    assert other.headers.get("X-Request-Id") not in (None, "<script>")


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """Every log record, as the app writes them in production (JSON lines), at DEBUG."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, {n: logging.getLogger(n).level for n in logs.LIBRARY_LOGGERS})
    stream = io.StringIO()
    logs.configure_logging("DEBUG", "json", stream)
    try:
        yield stream
    finally:
        handlers, level, library = saved
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)
        for name, old in library.items():
            logging.getLogger(name).setLevel(old)


def test_logs_are_json_lines_with_ids_and_never_tokens_or_private_text(
    world: World, database_url: str, json_logs: io.StringIO
) -> None:
    people = release_all(world, database_url)
    ana = people["Ana"]
    match = room_of(database_url, ana.id)
    intro = world.standin.messages_in(match.room_id or "")[0]
    ana.click(intro, match_ui.CHECKIN_ACTION, str(match.id))
    ana.wait_for_modal("Log a check-in")
    ana.submit({"usefulness": "4", "duration": "45", "reflection": "PRIVATE-REFLECTION-7731 I felt lost"})
    world.wait_for(
        lambda: any("logged your check-in" in m.text for m in world.standin.messages_in(match.room_id or "")),
        what="the check-in",
    )
    logging.getLogger("mentor_bot.test").warning("calling Slack with %s", BOT_TOKEN, extra={"token": BOT_TOKEN})
    world.platform.event({"type": "app_uninstalled"})  # logged with its team id
    world.settle()

    lines = [line for line in json_logs.getvalue().splitlines() if line.strip()]
    assert lines
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    text = json_logs.getvalue()
    assert BOT_TOKEN not in text and "xoxb-" not in text
    assert "PRIVATE-REFLECTION-7731" not in text and "felt lost" not in text
    assert any(r["message"] == f"calling Slack with {logs.REDACTED}" for r in records)
    uninstalled = next(r for r in records if "uninstalled the app" in r["message"])
    assert uninstalled["team_id"] == TEAM_ID and uninstalled["request_id"]
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)

"""`mentor-bot serve` in Socket Mode, end to end: the real command, in its own process, connects to the
stand-in's WebSocket endpoint through `apps.connections.open`, and people's payloads reach it in Slack's
envelopes; its acks, modals and DMs are what Slack would record."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from standin import APP_TOKEN, BOT_TOKEN, SlackStandIn
from standin.platform import SocketModePlatform
from standin.scenes import World, join_answers
from store.models import Participant
from tests.data import open_programme, rows

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def serving_in_socket_mode(database_url: str, tmp_path: Path) -> Iterator[tuple[World, subprocess.Popen[bytes]]]:
    """`mentor-bot serve` (Socket Mode, with its scheduler) against a stand-in; yields once it is connected."""
    with SlackStandIn() as standin:
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_APP_TOKEN": APP_TOKEN,
            "SLACK_API_URL": standin.api_url,
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "WARNING",
        }
        for name in ("SLACK_SIGNING_SECRET", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"):
            env.pop(name, None)
        log = tmp_path / "serve.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot", "serve"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )
            try:
                try:
                    standin.socket_mode.wait_connected(timeout=60)
                except TimeoutError:
                    process.kill()
                    pytest.fail(f"serve never connected:\n{log.read_text(errors='replace')}")
                platform = SocketModePlatform(standin)
                yield World(standin=standin, platform=platform, app_base_url=""), process
                assert process.poll() is None, log.read_text(errors="replace")
                assert standin.socket_mode.problems == []
                assert standin.warnings == [], standin.warnings
            finally:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()


def test_ana_joins_through_socket_mode_and_every_envelope_is_acked_in_time(database_url: str, tmp_path: Path) -> None:
    with serving_in_socket_mode(database_url, tmp_path) as (world, _):
        open_programme(database_url, world.standin.team_id)
        [opened] = world.standin.calls_to("apps.connections.open")
        assert opened.token == APP_TOKEN and opened.response["url"].startswith("ws://127.0.0.1:")

        ana = world.person("Ana")
        reply = ana.mentor("join")
        assert reply.status == 200
        ana.wait_for_modal("Join a programme")
        assert [c.token for c in world.standin.calls_to("views.open")] == [BOT_TOKEN]

        reply = ana.submit(join_answers("mentee", wanted=["Public speaking"], goals="Speak at the all-hands"))
        assert reply.status == 200 and reply.json is None  # acked without a payload: the modal closes
        assert "Welcome to *Mentoring*" in ana.wait_for_dm().text
        ana.wait_for_home("Public speaking")
        world.settle()
        published = len(world.standin.calls_to("views.publish"))
        assert ana.open_home().status == 200  # an Events API event, in its envelope
        world.wait_for(lambda: len(world.standin.calls_to("views.publish")) > published, what="the Home tab")

        envelopes = world.standin.socket_mode.envelopes
        assert [(e.type, e.payload.get("type", e.payload.get("command"))) for e in envelopes] == [
            ("slash_commands", "/mentor"),
            ("interactive", "view_submission"),
            ("events_api", "event_callback"),
        ]
        assert all(e.acked_in_time for e in envelopes), [e.ack_seconds for e in envelopes]
        [row] = rows(database_url, Participant)
        assert (row.slack_user_id, row.role) == (ana.id, "mentee")


def test_a_refresh_mid_journey_reconnects_and_the_journey_goes_on(database_url: str, tmp_path: Path) -> None:
    with serving_in_socket_mode(database_url, tmp_path) as (world, _):
        open_programme(database_url, world.standin.team_id)
        socket = world.standin.socket_mode
        sam = world.person("Sam")
        sam.mentor("join")
        sam.wait_for_modal("Join a programme")

        # Slack refreshes the connection while Sam fills in the form.
        old = socket.disconnect("refresh_requested")
        new = socket.wait_connected(more_than=max(old))
        assert len(world.standin.calls_to("apps.connections.open")) == 2
        world.wait_for(lambda: set(old) <= set(socket.closed()), what="the app to close the old connection")

        reply = sam.submit(join_answers("mentor", offered=["Leadership"], capacity=2))
        assert reply.status == 200
        assert "Mentees I can take on:* 2" in str(sam.wait_for_dm().blocks)
        submission = socket.envelopes[-1]
        assert submission.connection == new and submission.acked_in_time


def test_a_rate_limited_reconnect_waits_and_connects_again(database_url: str, tmp_path: Path) -> None:
    with serving_in_socket_mode(database_url, tmp_path) as (world, _):
        socket = world.standin.socket_mode
        world.standin.rate_limit_next("apps.connections.open", retry_after=1)
        old = socket.disconnect("refresh_requested")
        socket.wait_connected(more_than=max(old))
        statuses = [c.status for c in world.standin.calls_to("apps.connections.open")]
        assert statuses == [200, 429, 200]
        assert world.person("Priya").mentor("help").status == 200


def test_socket_mode_urls_need_the_app_token_and_connect_once() -> None:
    with SlackStandIn() as standin:

        def call(token: str, method: str = "apps.connections.open") -> dict[str, object]:
            request = urllib.request.Request(
                standin.api_url + method,
                data=b"",
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/x-www-form-urlencoded"},
            )
            with urllib.request.urlopen(request, timeout=5) as response:
                answer: dict[str, object] = json.loads(response.read())
                return answer

        assert call(BOT_TOKEN) == {"ok": False, "error": "not_allowed_token_type"}
        assert call("xapp-1-someone-else") == {"ok": False, "error": "invalid_auth"}
        assert call(APP_TOKEN, "auth.test") == {"ok": False, "error": "not_allowed_token_type"}
        url = str(call(APP_TOKEN)["url"])
        with connect(url) as ws:
            hello = ws.recv(timeout=5)
            assert '"type": "hello"' in str(hello) and '"num_connections": 1' in str(hello)
        with pytest.raises(InvalidStatus):
            connect(url)  # a ticket connects once
        assert standin.socket_mode.connects == 1
        assert "not a URL apps.connections.open issued" in standin.socket_mode.problems[0]

"""`mentor-bot` as an operator uses it: help, migrations, and `serve --http` as a real gunicorn process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import inspect

from standin import BOT_TOKEN, SlackPlatform, SlackStandIn
from store.db import make_engine

ROOT = Path(__file__).resolve().parents[1]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "OPENAI_"))}
    env.update(extra)
    return env


def cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_help_lists_the_commands() -> None:
    result = cli("--help")
    assert result.returncode == 0
    for command in ("serve", "db", "demo"):
        assert command in result.stdout
    assert "--http" in cli("serve", "--help").stdout
    assert "upgrade" in cli("db", "--help").stdout


def test_db_upgrade_creates_the_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = cli("db", "upgrade", DATABASE_URL=url)
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
    engine = make_engine(url)
    assert {"programme", "participant", "processed_event", "alembic_version"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_serving_without_the_tokens_it_needs_says_which_are_missing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    http = cli("serve", "--http", "--no-migrate", DATABASE_URL=url, SLACK_BOT_TOKEN="xoxb-1")
    assert http.returncode == 2 and "SLACK_SIGNING_SECRET" in http.stderr
    socket_mode = cli("serve", "--no-migrate", DATABASE_URL=url)
    assert socket_mode.returncode == 2
    assert "SLACK_BOT_TOKEN and SLACK_APP_TOKEN" in socket_mode.stderr
    bad = cli("serve", "--http", "--no-migrate", DATABASE_URL=url, PORT="not-a-port")
    assert bad.returncode == 2 and "invalid configuration" in bad.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[tuple[str, SlackStandIn, Path]]:
    log = tmp_path / "serve.log"
    with SlackStandIn() as standin, log.open("wb") as stderr:
        port = _free_port()
        env = clean_env(
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET="cli-secret",
            SLACK_API_URL=standin.api_url,
            DATABASE_URL=database_url,
            HOST="127.0.0.1",
            PORT=str(port),
            WEB_WORKERS="2",
            LOG_LEVEL="INFO",
        )
        process = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--http"], cwd=ROOT, env=env, stderr=stderr)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, "mentor-bot serve --http exited"
                try:
                    urllib.request.urlopen(base + "/healthz", timeout=1).close()
                    break
                except OSError:
                    assert time.monotonic() < deadline, "no answer on /healthz"
                    time.sleep(0.1)
            yield base, standin, log
        finally:
            process.terminate()
            process.wait(timeout=20)


def test_serve_http_answers_health_checks_and_signed_commands(served: tuple[str, SlackStandIn, Path]) -> None:
    base, standin, log = served
    with urllib.request.urlopen(base + "/healthz") as response:
        assert json.load(response) == {"status": "ok"}
    with urllib.request.urlopen(base + "/readyz") as response:
        ready = json.load(response)
    assert ready["status"] == "ok" and ready["database"] is True and "scheduler" in ready
    platform = SlackPlatform(base + "/slack/events", "cli-secret", standin)
    for _ in range(4):  # two workers: the counts of both must add up in /metrics
        reply = platform.slash("U0ANA0001", "/mentor", "help")
        assert reply.status == 200 and reply.json is not None and "/mentor join" in reply.json["text"]
    forged = SlackPlatform(base + "/slack/events", "not-the-secret", standin).slash("U0ANA0001", "/mentor", "help")
    assert forged.status == 401

    # The scheduler child runs its first pass at start, leads (one process), and /readyz says so.
    def scheduler_here() -> dict[str, object] | None:
        with urllib.request.urlopen(base + "/readyz") as response:
            here: dict[str, object] | None = json.load(response)["scheduler"]["here"]
        return here if here and here.get("last_pass_at") else None

    deadline = time.monotonic() + 30
    while (here := scheduler_here()) is None:
        assert time.monotonic() < deadline, "the scheduler never reported a pass"
        time.sleep(0.2)
    assert here["role"] == "leader"

    with urllib.request.urlopen(base + "/metrics") as response:
        exposed = response.read().decode()
    counted = {
        (s.labels.get("listener"), s.labels.get("outcome")): s.value
        for family in text_string_to_metric_families(exposed)
        for s in family.samples
        if s.name == "mentor_bot_requests_total"
    }
    assert counted[("command:/mentor", "ok")] == 4
    assert counted[("unverified", "refused")] == 1
    assert "mentor_bot_outbox_depth" in exposed

    # Every process (gunicorn, its workers, the scheduler) logs JSON lines, none holding the token.
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]
    assert any(r["logger"] == "gunicorn.error" and "Booting worker" in r["message"] for r in records)
    assert any(r["logger"] == "bot.serve" for r in records)
    assert BOT_TOKEN not in log.read_text()
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(base + "/nowhere")
    assert missing.value.code == 404

"""The database goes away and comes back: Slack gets a deliberate answer at once, the person waiting is told,
nothing half-done is stored, and everything works again without a restart.

On PostgreSQL the app reaches the database through a local TCP proxy that the test cuts (every open connection
is closed and new ones are refused) and restores: the app sees what it would see if the database host went away.
On SQLite the app's engine is pointed at a file that cannot be opened, and back.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine, make_url

from blocks import admin as admin_ui
from bot.app import WebApp, create_web_app
from bot.outage import DATABASE_DOWN
from bot.settings import Settings
from standin import BOT_TOKEN, GENERAL_CHANNEL_ID, SlackPlatform, SlackStandIn
from standin.appserver import serve
from standin.scenes import World, join_answers
from store.db import make_engine
from tests.conftest import SIGNING_SECRET
from tests.data import open_programme
from tests.test_screening import row_counts


class CuttableProxy:
    """A TCP proxy on 127.0.0.1 to `target`, which can be cut (all connections dropped, new ones closed at once)
    and restored."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.open: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._accept, name="db-proxy", daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            if not self.up:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.open.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.up = False
        with self.lock:
            for s in self.open:
                with suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self.open.clear()

    def restore(self) -> None:
        self.up = True

    def close(self) -> None:
        self.cut()
        self.listener.close()


@dataclass
class Outage:
    world: World
    web: WebApp
    database_url: str
    proxy: CuttableProxy | None
    live: Engine
    dead: Engine

    @contextmanager
    def database_down(self) -> Iterator[None]:
        """PostgreSQL: the proxy is cut. SQLite: the app's engine points at a file that cannot be opened."""
        if self.proxy:
            self.proxy.cut()
        else:
            self.web.db.engine = self.dead
        try:
            yield
        finally:
            if self.proxy:
                self.proxy.restore()
            else:
                self.web.db.engine = self.live


@pytest.fixture
def outage(database_url: str, tmp_path: Path) -> Iterator[Outage]:
    """The real app over HTTP, whose database can be taken away."""
    proxy: CuttableProxy | None = None
    app_url = database_url
    if database_url.startswith("postgresql"):
        url = make_url(database_url)
        proxy = CuttableProxy(url.host or "127.0.0.1", url.port or 5432)
        app_url = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    with SlackStandIn() as standin:
        open_programme(database_url, standin.team_id)  # an admin has opened one
        settings = Settings(
            _env_file=None,
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=standin.api_url,
            database_url=app_url,
        )
        web = create_web_app(settings, run_follow_ups=True)
        live = web.db.engine
        dead = make_engine(f"sqlite:///{tmp_path}/no-such-folder/mentor-bot.db")
        try:
            with serve(web) as base_url:
                platform = SlackPlatform(f"{base_url}/slack/events", SIGNING_SECRET, standin)
                world = World(standin=standin, platform=platform, app_base_url=base_url)
                yield Outage(world, web, database_url, proxy, live, dead)
                assert standin.warnings == [], standin.warnings
        finally:
            web.db.engine = live
            web.close()
            dead.dispose()
            if proxy:
                proxy.close()


def test_while_the_database_is_down_slack_gets_an_answer_and_people_are_told(outage: Outage) -> None:
    world = outage.world
    ana, diego = world.person("Ana"), world.person("Diego")
    ana.join(join_answers("mentee", wanted=["Leadership"]))
    ana.wait_for_dm()
    diego.mentor("join")
    form = diego.wait_for_modal("Join a programme")
    world.settle()
    before = row_counts(outage.database_url)
    calls = len(world.standin.calls)

    with outage.database_down():
        command = ana.mentor("profile")
        submission = diego.submit(join_answers("mentor", offered=["Leadership"], capacity=1))
        click = world.platform.click(
            ana.id,
            admin_ui.NEW_ACTION,
            "new",
            message={"ts": "1700000000.000100", "blocks": [], "channel": GENERAL_CHANNEL_ID},
        )
        event = ana.open_home()
        said = world.wait_for(
            lambda: [c for c in world.standin.calls[calls:] if c.method == "response_url"], what="the click's answer"
        )
        world.settle(quiet_for=0.2)
        during = world.standin.calls[calls:]

    # A command: its ack is an ephemeral message saying what happened.
    assert command.status == 200 and command.json == {"response_type": "ephemeral", "text": DATABASE_DOWN}
    # A modal's submission: the message inline, the modal stays open with what was typed.
    assert submission.status == 200 and submission.json is not None
    assert submission.json["response_action"] == "errors"
    assert "cannot reach its database" in next(iter(submission.json["errors"].values()))
    # A click: acknowledged, then an ephemeral reply through its response_url.
    assert click.status == 200
    assert said[0].params["text"] == DATABASE_DOWN and said[0].params["response_type"] == "ephemeral"
    # An event: a quick 503, so Slack retries it (see bot/outage.py).
    assert event.status == 503
    # Nothing else reached Slack, and nothing was stored.
    assert [c.method for c in during] == ["response_url"]
    assert row_counts(outage.database_url) == before

    # The database is back: everything works, without a restart.
    assert event.payload is not None
    retry = world.platform.send(
        json.dumps(event.payload),
        "application/json",
        timestamp=int(time.time()) + 1,
        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"},
    )
    assert retry.status == 200
    ana.wait_for_home()
    again = world.platform.submit_view(diego.id, form, join_answers("mentor", offered=["Leadership"], capacity=1))
    assert again.status == 200, again.body
    diego.wait_for_dm()
    profile = ana.mentor("profile")
    assert profile.status == 200
    world.settle()
    assert "cannot reach its database" not in json.dumps(profile.json)

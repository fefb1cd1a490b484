"""Multi-workspace install: Slack's OAuth v2 flow end to end against the stand-in, each workspace served with
its own (encrypted, rotating) bot token, and an uninstall stopping all work for that workspace."""

from __future__ import annotations

import html
import logging
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from cryptography.fernet import Fernet

from bot.install import InstalledWorkspaces, make_team_clients, manifest_bot_scopes
from bot.settings import ConfigError, Settings
from scheduling.outbox import enqueue
from scheduling.scheduler import tick
from standin import BOT_TOKEN, TEAM_ID, SlackPlatform, find
from standin.scenes import World
from store.db import Database
from store.installations import InstallationStore, make_cipher
from tests.conftest import SIGNING_SECRET, running_world

CLIENT_ID = "1111111111.2222222222"
CLIENT_SECRET = "standin-client-secret"
KEY = Fernet.generate_key().decode()
SECOND_TEAM = "T0SECOND22"
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


@dataclass
class Page:
    status: int
    body: str
    headers: dict[str, str]


def get(url: str, headers: dict[str, str] | None = None) -> Page:
    request = urllib.request.Request(url, headers=headers or {}, method="GET")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Page(response.status, response.read().decode(), {k.lower(): v for k, v in response.headers.items()})
    except urllib.error.HTTPError as error:
        return Page(error.code, error.read().decode(), {k.lower(): v for k, v in error.headers.items()})


def app_settings(world: World, database_url: str) -> Settings:
    return Settings(
        _env_file=None,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        token_encryption_key=KEY,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=world.standin.api_url,
        database_url=database_url,
    )


@contextmanager
def distributed(database_url: str) -> Iterator[World]:
    """The app in multi-workspace mode, and a stand-in where it is a distributed app (no workspace yet)."""
    with running_world(
        database_url, slack_client_id=CLIENT_ID, slack_client_secret=CLIENT_SECRET, token_encryption_key=KEY
    ) as world:
        world.standin.distribute(CLIENT_ID, CLIENT_SECRET)
        yield world


def install(world: World, team_id: str, *, team_name: str = "", rotating: bool = False) -> str:
    """A person installs the app: opens /slack/install, approves on Slack, and comes back with the code.
    Returns the bot token Slack issued to that workspace."""
    page = get(f"{world.app_base_url}/slack/install")
    assert page.status == 200, page
    link = re.search(r'href="([^"]*oauth/v2/authorize[^"]*)"', page.body)
    assert link, page.body
    query = parse_qs(urlsplit(html.unescape(link.group(1))).query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["scope"][0].split(",") == list(manifest_bot_scopes())
    cookie = page.headers.get("set-cookie", "").split(";")[0]
    assert cookie.startswith("slack-app-oauth-state="), page.headers

    code = world.standin.approve_install(team_id, team_name=team_name, scopes=query["scope"][0], rotating=rotating)
    back = get(
        f"{world.app_base_url}/slack/oauth_redirect?{urlencode({'code': code, 'state': query['state'][0]})}",
        headers={"Cookie": cookie},
    )
    assert back.status == 200, back
    assert "Thank you" in back.body
    tokens = world.standin.tokens_of(team_id)
    assert tokens, f"no token issued to {team_id}"
    return tokens[-1]


def team_platform(world: World, team_id: str) -> SlackPlatform:
    return SlackPlatform(world.platform.app_url, SIGNING_SECRET, world.standin, team_id=team_id)


def message_for(db: Database, team_id: str, user_id: str, key: str) -> None:
    with db.begin() as session:
        enqueue(session, team_id=team_id, key=key, kind="test", recipient=user_id, text="Hello", not_before=NOW)


def tokens_used(world: World, method: str, team_id: str) -> set[str]:
    return {c.token for c in world.standin.calls_by_team(team_id, method) if c.status == 200}


def test_two_workspaces_install_and_each_is_served_with_its_own_token(database_url: str, db: Database) -> None:
    ana, sam = find("Ana").id, find("Sam").id
    with distributed(database_url) as world:
        first = install(world, TEAM_ID, team_name="First Co")
        second = install(world, SECOND_TEAM, team_name="Second Co")
        assert first != second and BOT_TOKEN not in (first, second)

        # Requests from each workspace are answered with that workspace's token.
        assert world.platform.home_opened(ana).status == 200
        assert team_platform(world, SECOND_TEAM).home_opened(sam).status == 200
        world.wait_for(lambda: len(world.standin.calls_to("views.publish")) >= 2, what="both Home tabs")
        assert tokens_used(world, "views.publish", TEAM_ID) == {first}
        assert tokens_used(world, "views.publish", SECOND_TEAM) == {second}

        # Scheduled work (the outbox) too, through the client-per-workspace factory.
        message_for(db, TEAM_ID, ana, "hello:1")
        message_for(db, SECOND_TEAM, sam, "hello:2")
        clients = make_team_clients(app_settings(world, database_url), db)
        assert isinstance(clients, InstalledWorkspaces)
        assert tick(db, clients, now=NOW)["delivered"] == 2
        assert tokens_used(world, "chat.postMessage", TEAM_ID) == {first}
        assert tokens_used(world, "chat.postMessage", SECOND_TEAM) == {second}
        assert all(c.token != BOT_TOKEN for c in world.standin.calls)

        # Tokens are stored encrypted: the ciphertext is not the token, and decrypts to it with the key.
        store = InstallationStore(client_id=CLIENT_ID, engine=db.engine, cipher=make_cipher(KEY))
        stored = store.raw_token_columns(SECOND_TEAM)
        assert stored and all(second not in str(row) for row in stored)
        assert {make_cipher(KEY).decrypt(row["bot_token"].encode()).decode() for row in stored} == {second}
        found = store.find_bot(enterprise_id=None, team_id=SECOND_TEAM)
        assert found is not None and found.bot_token == second


def test_uninstalling_one_workspace_stops_its_work_and_forgets_its_token(database_url: str, db: Database) -> None:
    ana, sam = find("Ana").id, find("Sam").id
    with distributed(database_url) as world:
        install(world, TEAM_ID)
        second = install(world, SECOND_TEAM)
        message_for(db, TEAM_ID, ana, "before:1")
        message_for(db, SECOND_TEAM, sam, "before:2")

        world.standin.uninstall(SECOND_TEAM)
        reply = team_platform(world, SECOND_TEAM).event({"type": "app_uninstalled", "event_ts": "1700000000.000100"})
        assert reply.status == 200
        store = InstallationStore(client_id=CLIENT_ID, engine=db.engine, cipher=make_cipher(KEY))
        world.wait_for(lambda: store.raw_token_columns(SECOND_TEAM) == [], what="forgetting its tokens")
        assert store.find_bot(enterprise_id=None, team_id=SECOND_TEAM) is None

        sent_before = len(world.standin.calls_by_team(SECOND_TEAM))
        calls_before = len(world.standin.calls)
        result = tick(db, make_team_clients(app_settings(world, database_url), db), now=NOW)
        assert result["delivered"] == 1  # the first workspace's message only
        assert [c.params["channel"] for c in world.standin.calls_by_team(TEAM_ID, "chat.postMessage")] == [ana]
        assert len(world.standin.calls_by_team(SECOND_TEAM)) == sent_before  # not one call with its token
        assert all(c.token != second for c in world.standin.calls[calls_before:])

        # Someone in the uninstalled workspace is told to install the app, and nothing else happens.
        calls_before = len(world.standin.calls)
        asked = team_platform(world, SECOND_TEAM).slash(sam, "/mentor", "help")
        assert asked.status == 200
        world.settle()
        later = world.standin.calls[calls_before:]
        assert [c.method for c in later] == ["response_url"] and "install this app" in later[0].params["text"]

        # The other workspace carries on.
        assert world.platform.home_opened(ana).status == 200
        world.wait_for(lambda: world.standin.calls_by_team(TEAM_ID, "views.publish"), what="Ana's Home tab")

        # Installing again (before its data is deleted) gets the workspace back to work, with a new token.
        again = install(world, SECOND_TEAM)
        assert again != second
        message_for(db, SECOND_TEAM, sam, "after:2")
        assert tick(db, make_team_clients(app_settings(world, database_url), db), now=NOW)["delivered"] == 1
        assert tokens_used(world, "chat.postMessage", SECOND_TEAM) == {again}


def test_rotating_tokens_are_refreshed_before_they_expire(database_url: str, db: Database) -> None:
    ana = find("Ana").id
    with distributed(database_url) as world:
        world.standin.token_lifetime = 600  # expires inside the 2-hour refresh window: refreshed on next use
        issued = install(world, TEAM_ID, rotating=True)
        assert issued.startswith("xoxe.xoxb-")

        assert world.platform.home_opened(ana).status == 200
        world.wait_for(lambda: world.standin.calls_to("views.publish"), what="the Home tab")
        refreshes = [c for c in world.standin.calls_to("oauth.v2.access") if c.params.get("grant_type")]
        assert refreshes and refreshes[0].params["grant_type"] == "refresh_token"
        used = tokens_used(world, "views.publish", TEAM_ID)
        assert used and issued not in used

        # The job side refreshes too, and stores what it got.
        world.standin.token_lifetime = 43200
        message_for(db, TEAM_ID, ana, "rotated:1")
        assert tick(db, make_team_clients(app_settings(world, database_url), db), now=NOW)["delivered"] == 1
        latest = world.standin.tokens_of(TEAM_ID)[-1]
        assert tokens_used(world, "chat.postMessage", TEAM_ID) == {latest}
        store = InstallationStore(client_id=CLIENT_ID, engine=db.engine, cipher=make_cipher(KEY))
        bot = store.find_bot(enterprise_id=None, team_id=TEAM_ID)
        assert bot is not None and bot.bot_token == latest


def test_a_forged_or_replayed_oauth_callback_installs_nothing(database_url: str, db: Database) -> None:
    with distributed(database_url) as world:
        code = world.standin.approve_install(SECOND_TEAM)
        forged = get(f"{world.app_base_url}/slack/oauth_redirect?{urlencode({'code': code, 'state': 'made-up'})}")
        assert forged.status >= 400
        assert world.standin.calls_to("oauth.v2.access") == []
        install(world, TEAM_ID)
        store = InstallationStore(client_id=CLIENT_ID, engine=db.engine, cipher=make_cipher(KEY))
        assert store.find_bot(enterprise_id=None, team_id=SECOND_TEAM) is None


def test_multi_workspace_mode_needs_an_encryption_key(database_url: str) -> None:
    settings = Settings(
        _env_file=None,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_signing_secret=SIGNING_SECRET,
        database_url=database_url,
    )
    with pytest.raises(ConfigError, match="TOKEN_ENCRYPTION_KEY"):
        settings.require_http_mode()
    assert not Settings(_env_file=None, slack_bot_token="xoxb-1").oauth_mode
    with pytest.raises(ConfigError, match="needs HTTP mode"):
        settings.require_socket_mode()


def test_a_wrong_key_does_not_decrypt_a_stored_token(db: Database, caplog: pytest.LogCaptureFixture) -> None:
    from slack_sdk.oauth.installation_store import Bot

    from store.installations import TokenCipherError

    mine = InstallationStore(client_id=CLIENT_ID, engine=db.engine, cipher=make_cipher(KEY))
    bot: Any = Bot(app_id="A1", team_id="T9", bot_token="xoxb-secret", bot_id="B1", bot_user_id="U1", installed_at=1.0)
    mine.save_bot(bot)
    # A new key first, the old one still listed: reads work (key rotation).
    new_key = Fernet.generate_key().decode()
    both = InstallationStore(client_id=CLIENT_ID, engine=db.engine, cipher=make_cipher(f"{new_key},{KEY}"))
    assert (found := both.find_bot(enterprise_id=None, team_id="T9")) is not None and found.bot_token == "xoxb-secret"
    other = InstallationStore(client_id=CLIENT_ID, engine=db.engine, cipher=make_cipher(new_key))
    with pytest.raises(TokenCipherError):
        other.find_bot(enterprise_id=None, team_id="T9")
    assert any(r.levelno == logging.ERROR and "TOKEN_ENCRYPTION_KEY" in r.getMessage() for r in caplog.records)


def test_the_install_pages_never_fail_on_whatever_a_browser_sends(database_url: str, db: Database) -> None:
    """Forged, replayed, truncated and oversized OAuth callbacks: a clear page, never a 5xx, nothing stored."""
    from hypothesis import given
    from hypothesis import strategies as st

    from tests.test_fuzz import FUZZ, nasty_text

    with distributed(database_url) as world:
        code = world.standin.approve_install(SECOND_TEAM)
        value = st.one_of(nasty_text, st.just(code), st.text(min_size=3000, max_size=3200), st.just(""))

        @FUZZ
        @given(
            code=value,
            state=value,
            error=st.one_of(st.none(), st.sampled_from(["access_denied", "<script>", "invalid_scope"])),
            # A header is Latin-1 on the wire: a browser sends cookies as printable ASCII.
            cookie=st.one_of(
                st.none(),
                st.just(code),
                st.text(st.characters(min_codepoint=33, max_codepoint=126, exclude_characters=";,"), max_size=3200),
            ),
        )
        def callback(code: str, state: str, error: str | None, cookie: str | None) -> None:
            query = {"code": code, "state": state, **({"error": error} if error else {})}
            headers = {"Cookie": f"slack-app-oauth-state={cookie}"} if cookie is not None else {}
            page = get(f"{world.app_base_url}/slack/oauth_redirect?{urlencode(query)}", headers=headers)
            assert page.status < 500, page
            assert "<script>" not in page.body

        callback()
        assert get(f"{world.app_base_url}/slack/install?{urlencode({'x': '<script>'})}").status == 200
    store = InstallationStore(client_id=CLIENT_ID, engine=db.engine, cipher=make_cipher(KEY))
    assert store.find_bot(enterprise_id=None, team_id=SECOND_TEAM) is None
    assert world.standin.calls_to("oauth.v2.access") == []


def test_abandoned_install_states_are_purged_by_the_scheduler(db: Database) -> None:
    from store.installations import make_state_store, purge_expired_states

    short, usual = make_state_store(db.engine, expiration_seconds=1), make_state_store(db.engine)
    abandoned, pending = short.issue(), usual.issue()
    now = datetime.now(UTC)
    assert purge_expired_states(db.engine, now=now - timedelta(minutes=1)) == 0
    assert purge_expired_states(db.engine, now=now + timedelta(minutes=1)) == 1
    assert not short.consume(abandoned)
    assert usual.consume(pending)  # a flow still in progress is untouched

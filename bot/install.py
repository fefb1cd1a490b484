"""Multi-workspace install: Slack's OAuth v2 flow, the encrypted token store, and a Web API client per workspace.

Chosen when settings give SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (HTTP mode). Bolt serves `/slack/install`
(a page with an "Add to Slack" button) and `/slack/oauth_redirect` (exchanges the code with `oauth.v2.access`
and stores the installation), and picks each request's bot token from the store, refreshing rotating tokens
before they expire. Jobs and the outbox get their client from `InstalledWorkspaces.for_team`, which does the
same outside a request. Without a client id the app runs in single-workspace token mode (SLACK_BOT_TOKEN).
"""

from __future__ import annotations

import json
import logging
from functools import cache
from pathlib import Path

from slack_bolt import BoltResponse
from slack_bolt.oauth.callback_options import CallbackOptions, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.oauth.token_rotation import TokenRotator
from slack_sdk.oauth.token_rotation.rotator import SlackTokenRotationError

from bot.settings import ConfigError, Settings
from gateway.slack import TeamClients, make_web_client
from store import queries
from store.db import Database
from store.installations import InstallationStore, make_cipher, make_state_store

logger = logging.getLogger(__name__)

MANIFEST = Path(__file__).resolve().parents[1] / "manifest.json"
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"


@cache
def manifest_bot_scopes() -> tuple[str, ...]:
    """The bot scopes declared in manifest.json (what the install flow asks for by default)."""
    manifest = json.loads(MANIFEST.read_text("utf-8"))
    return tuple(manifest["oauth_config"]["scopes"]["bot"])


def bot_scopes(settings: Settings) -> list[str]:
    if settings.slack_scopes:
        return [s.strip() for s in settings.slack_scopes.split(",") if s.strip()]
    return list(manifest_bot_scopes())


def installation_store(settings: Settings, db: Database) -> InstallationStore:
    key = settings.secret("token_encryption_key")
    if not key:
        raise ConfigError("multi-workspace install needs TOKEN_ENCRYPTION_KEY (run `mentor-bot keygen` for one)")
    try:
        cipher = make_cipher(key)
    except ValueError as error:
        raise ConfigError(f"TOKEN_ENCRYPTION_KEY is not a valid Fernet key: {error}") from None
    assert settings.slack_client_id is not None
    return InstallationStore(client_id=settings.slack_client_id, engine=db.engine, cipher=cipher)


def oauth_settings(settings: Settings, store: InstallationStore, db: Database) -> OAuthSettings:
    def installed(args: SuccessArgs) -> BoltResponse:
        """A workspace that uninstalled and installs again gets back to work (its data was kept until then)."""
        team_id = args.installation.team_id
        if team_id:
            with db.begin() as session:
                queries.mark_installed(session=session, team_id=team_id)
            logger.info("workspace installed the app", extra={"team_id": team_id})
        return args.default.success(args)

    return OAuthSettings(
        callback_options=CallbackOptions(success=installed, failure=lambda args: args.default.failure(args)),
        client_id=settings.slack_client_id,
        client_secret=settings.secret("slack_client_secret"),
        scopes=bot_scopes(settings),
        redirect_uri=settings.slack_redirect_uri,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        authorization_url=settings.slack_authorize_url,
        installation_store=store,
        installation_store_bot_only=True,
        token_rotation_expiration_minutes=settings.token_rotation_minutes,
        state_store=make_state_store(db.engine),
    )


class InstalledWorkspaces:
    """A Web API client per installed workspace, with its own (decrypted, refreshed when due) bot token."""

    def __init__(
        self,
        store: InstallationStore,
        *,
        base_url: str,
        client_id: str,
        client_secret: str,
        rotation_minutes: int = 120,
    ) -> None:
        self.store = store
        self.base_url = base_url
        self.rotation_minutes = rotation_minutes
        self.rotator = TokenRotator(
            client_id=client_id, client_secret=client_secret, client=make_web_client(token=None, base_url=base_url)
        )

    def for_team(self, team_id: str) -> WebClient | None:
        bot = self.store.find_bot(enterprise_id=None, team_id=team_id)
        if bot is None or not bot.bot_token:
            return None
        if bot.bot_refresh_token:
            try:
                refreshed = self.rotator.perform_bot_token_rotation(
                    bot=bot, minutes_before_expiration=self.rotation_minutes
                )
            except SlackTokenRotationError as error:
                # The current token may still work until it expires; Slack says so if not.
                logger.error("could not refresh a workspace's bot token", extra={"team_id": team_id, "e": error})
                refreshed = None
            if refreshed is not None:
                self.store.save_bot(refreshed)
                bot = refreshed
                logger.info("refreshed a workspace's bot token", extra={"team_id": team_id})
        return make_web_client(token=bot.bot_token, base_url=self.base_url)


def make_team_clients(settings: Settings, db: Database) -> WebClient | TeamClients:
    """What jobs use to reach each workspace: a client per installed workspace (OAuth mode), or the one bot
    token's client. Jobs accept both and pick a workspace's client with `gateway.slack.team_clients(client)`."""
    if settings.oauth_mode:
        secret = settings.secret("slack_client_secret")
        assert settings.slack_client_id is not None and secret is not None
        return InstalledWorkspaces(
            installation_store(settings, db),
            base_url=settings.slack_api_url,
            client_id=settings.slack_client_id,
            client_secret=secret,
            rotation_minutes=settings.token_rotation_minutes,
        )
    return make_web_client(token=settings.secret("slack_bot_token"), base_url=settings.slack_api_url)

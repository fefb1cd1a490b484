"""Workspaces that installed the app through Slack's OAuth flow: slack-sdk's SQLAlchemy stores on our database.

The tables are slack-sdk's own (`slack_installations`, `slack_bots`, `slack_oauth_states`), declared on our
metadata (`build_tables`) so that our Alembic migrations create them, with the token columns widened to text:
tokens are stored encrypted with Fernet (`cryptography`), and a ciphertext is longer than the token.

The encryption key comes from settings (`TOKEN_ENCRYPTION_KEY`): one or more Fernet keys separated by commas.
The first encrypts; every one of them decrypts, so a key is rotated by putting the new one first and dropping
the old one once the tokens have been re-encrypted (each token rotation and each reinstall does that).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.types import TypeDecorator

logger = logging.getLogger(__name__)

INSTALLATIONS_TABLE = "slack_installations"
BOTS_TABLE = "slack_bots"
OAUTH_STATES_TABLE = "slack_oauth_states"
TOKEN_COLUMNS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")


class TokenCipherError(RuntimeError):
    """A stored token cannot be decrypted with the configured keys (wrong or missing TOKEN_ENCRYPTION_KEY)."""


def make_cipher(keys: str) -> MultiFernet:
    """A cipher from `TOKEN_ENCRYPTION_KEY`: Fernet keys separated by commas, the first one encrypting."""
    parts = [k.strip() for k in keys.split(",") if k.strip()]
    if not parts:
        raise ValueError("TOKEN_ENCRYPTION_KEY is empty")
    return MultiFernet([Fernet(k.encode()) for k in parts])


class EncryptedText(TypeDecorator[str]):
    """Text encrypted with Fernet on the way in and decrypted on the way out."""

    impl = sa.Text
    cache_ok = False  # the cipher is part of the type; statements are not shared between ciphers

    def __init__(self, cipher: MultiFernet) -> None:
        super().__init__()
        self.cipher = cipher

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return self.cipher.encrypt(value.encode()).decode()

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        try:
            return self.cipher.decrypt(value.encode()).decode()
        except InvalidToken:
            # Said loudly here: Bolt reports a failing installation store only at INFO.
            logger.error("a stored Slack token does not decrypt with TOKEN_ENCRYPTION_KEY (wrong or missing key?)")
            raise TokenCipherError("a stored Slack token does not decrypt with TOKEN_ENCRYPTION_KEY") from None


def _widen_tokens(table: sa.Table) -> sa.Table:
    for name in TOKEN_COLUMNS:
        if name in table.c:
            table.c[name].type = sa.Text()
    return table


def build_tables(metadata: sa.MetaData) -> None:
    """Declare slack-sdk's installation, bot and OAuth state tables on `metadata` (ours, for the migrations)."""
    _widen_tokens(SQLAlchemyInstallationStore.build_installations_table(metadata, INSTALLATIONS_TABLE))
    _widen_tokens(SQLAlchemyInstallationStore.build_bots_table(metadata, BOTS_TABLE))
    SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, OAUTH_STATES_TABLE)


class InstallationStore(SQLAlchemyInstallationStore):
    """slack-sdk's SQLAlchemy installation store, with every token encrypted at rest."""

    def __init__(self, *, client_id: str, engine: Engine, cipher: MultiFernet) -> None:
        super().__init__(
            client_id=client_id,
            engine=engine,
            bots_table_name=BOTS_TABLE,
            installations_table_name=INSTALLATIONS_TABLE,
            logger=logging.getLogger("mentor_bot.installations"),
        )
        for table in (self.installations, self.bots):
            for name in TOKEN_COLUMNS:
                if name in table.c:
                    table.c[name].type = EncryptedText(cipher)

    def delete_team(self, team_id: str) -> None:
        """Forget every installation and bot token of a workspace (it uninstalled the app or revoked its tokens),
        in one transaction (slack-sdk's `delete_all` uses two)."""
        with self.engine.begin() as conn:
            for table in (self.bots, self.installations):
                conn.execute(table.delete().where(table.c.client_id == self.client_id, table.c.team_id == team_id))

    def raw_token_columns(self, team_id: str) -> list[dict[str, Any]]:
        """The token columns as stored (ciphertext), for checks that nothing is stored in the clear."""
        rows: list[dict[str, Any]] = []
        with self.engine.connect() as conn:
            for table in (self.installations, self.bots):
                names = [n for n in TOKEN_COLUMNS if n in table.c]
                query = sa.text(f"SELECT {', '.join(names)} FROM {table.name} WHERE team_id = :team")
                rows.extend(dict(r) for r in conn.execute(query, {"team": team_id}).mappings())
        return rows


def purge_expired_states(engine: Engine, *, now: datetime) -> int:
    """Delete the `state` values of install flows abandoned before they came back (slack-sdk only deletes
    the ones it consumes). Returns how many were deleted."""
    states = sa.table(OAUTH_STATES_TABLE, sa.column("expire_at", sa.DateTime))
    with engine.begin() as conn:
        result = conn.execute(sa.delete(states).where(states.c.expire_at < now.astimezone(UTC).replace(tzinfo=None)))
    return int(getattr(result, "rowcount", 0) or 0)


def make_state_store(engine: Engine, *, expiration_seconds: int = 600) -> SQLAlchemyOAuthStateStore:
    """slack-sdk's OAuth state store (one-time `state` values of install flows in progress) on our database."""
    return SQLAlchemyOAuthStateStore(
        expiration_seconds=expiration_seconds,
        engine=engine,
        table_name=OAUTH_STATES_TABLE,
        logger=logging.getLogger("mentor_bot.installations"),
    )

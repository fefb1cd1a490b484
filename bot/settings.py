"""The one place that reads configuration (environment variables and an optional `.env` file)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SLACK_API_URL = "https://slack.com/api/"


class ConfigError(RuntimeError):
    """The settings do not allow what was asked (e.g. HTTP mode without a signing secret)."""


class Settings(BaseSettings):
    """Everything the app can be told from outside. Read once, by the CLI; passed down from there."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = SLACK_API_URL

    # Multi-workspace install (HTTP mode): set both to serve every workspace that installs the app through
    # /slack/install; tokens are then stored in the database, encrypted with TOKEN_ENCRYPTION_KEY.
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    # Bot scopes to ask for, comma-separated (default: the bot scopes in manifest.json).
    slack_scopes: str | None = None
    # The full URL of /slack/oauth_redirect when Slack must be told it (several redirect URLs configured).
    slack_redirect_uri: str | None = None
    slack_authorize_url: str = "https://slack.com/oauth/v2/authorize"
    # Fernet key(s), comma-separated; the first encrypts, all decrypt (`mentor-bot keygen` makes one).
    token_encryption_key: SecretStr | None = None
    # Refresh a rotating token this many minutes before it expires.
    token_rotation_minutes: int = Field(default=120, ge=1, le=720)

    database_url: str = "sqlite:///mentor-bot.db"

    host: str = "0.0.0.0"
    port: int = Field(default=3000, ge=1, le=65535)
    web_workers: int = Field(default=2, ge=1, le=64)
    web_threads: int = Field(default=8, ge=1, le=256)
    log_level: str = "INFO"
    # json: one JSON object per line (team, user and request ids; tokens redacted). text: for a terminal.
    log_format: Literal["json", "text"] = "json"
    # HTTP mode: the folder where gunicorn's workers and the scheduler keep their metric counts (emptied at
    # start). Default: a new folder in the system's temporary directory.
    metrics_dir: Path | None = None
    # How often the scheduler runs a pass (and a follower checks whether the leader is still there).
    scheduler_interval_seconds: int = Field(default=600, ge=1, le=86400)
    # chat.postMessage across one workspace: Slack's workspace-wide limit ("several hundred a minute") that the
    # outbox paces itself to, above the one message a second per channel.
    slack_post_per_minute: int = Field(default=600, ge=1, le=100000)

    # A folder of the organisation's own guide entries (YAML, like prompts/guides/entries/), shown before the built-ins.
    guides_dir: Path | None = None
    # Days a workspace's data is kept after it uninstalls the app, then deleted.
    data_retention_days: int = Field(default=30, ge=0, le=3650)

    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    openai_timeout: float = Field(default=8.0, gt=0, le=60)

    @field_validator("slack_api_url")
    @classmethod
    def _api_url_ends_with_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    def secret(self, name: str) -> str | None:
        value = getattr(self, name)
        return value.get_secret_value() if value is not None else None

    @property
    def oauth_mode(self) -> bool:
        """Many workspaces, installed through Slack's OAuth flow (rather than one workspace's bot token)."""
        return bool(self.slack_client_id and self.secret("slack_client_secret"))

    def require_http_mode(self) -> None:
        if self.oauth_mode:
            needed = ("slack_signing_secret", "token_encryption_key")
        else:
            needed = ("slack_bot_token", "slack_signing_secret")
        missing = [n.upper() for n in needed if not self.secret(n)]
        if missing:
            raise ConfigError(
                f"HTTP mode needs {' and '.join(missing)}: set them in the environment or in .env (see .env.example)."
            )

    def require_socket_mode(self) -> None:
        if self.oauth_mode:
            raise ConfigError(
                "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET install the app in many workspaces, which needs HTTP mode "
                "(Slack does not distribute Socket Mode apps): start with --http, or unset them."
            )
        missing = [n.upper() for n in ("slack_bot_token", "slack_app_token") if not self.secret(n)]
        if missing:
            raise ConfigError(
                f"Socket Mode needs {' and '.join(missing)}: set them in the environment or in .env "
                "(see .env.example), or start with --http."
            )

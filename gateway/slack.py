"""The Slack Web API seam: one client with retries, and the few calls the app makes through it."""

from __future__ import annotations

import copy
import functools
import json
import logging
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.slack_response import SlackResponse

from gateway import metrics

logger = logging.getLogger(__name__)

METHOD_TIERS_FILE = Path(__file__).resolve().parent / "method_tiers.json"
"""Slack's table of Web API method -> rate tier, copied from slackapi/java-slack-sdk (MIT): see `gateway/README.md`."""
TIER_PER_MINUTE: dict[str, int] = {"Tier1": 1, "Tier2": 20, "Tier3": 50, "Tier4": 100}
_DEFAULT_TIERS: dict[str, str] = {"conversations.history": "Tier3", "conversations.open": "Tier3"}


@functools.cache
def method_tiers() -> dict[str, str]:
    """Web API method -> Slack rate tier (Slack's published table, `gateway/method_tiers.json`)."""
    tiers = dict(_DEFAULT_TIERS)
    try:
        tiers.update(json.loads(METHOD_TIERS_FILE.read_text("utf-8")))
    except (OSError, ValueError):
        logger.info("method tiers file not readable; using built-in tiers", extra={"path": str(METHOD_TIERS_FILE)})
    return tiers


def per_minute(method: str) -> int:
    """Calls a minute Slack allows `method` in one workspace, by its tier (special tiers: 100)."""
    return TIER_PER_MINUTE.get(method_tiers().get(method, "Tier3"), 100)


class MeteredWebClient(WebClient):
    """A WebClient that counts each call by method and result (`mentor_bot_slack_api_calls`)."""

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:
        try:
            response = super().api_call(api_method, **kwargs)
        except SlackApiError as error:
            status_code = error.response.status_code
            data = error.response.data if isinstance(error.response.data, dict) else {}
            code = str(data.get("error") or f"http_{status_code}")
            if status_code == 429 or code == "ratelimited":
                metrics.SLACK_RATELIMITED.labels(method=api_method).inc()
            metrics.slack_call(api_method, code)
            raise
        except OSError:
            metrics.slack_call(api_method, "connection_error")
            raise
        metrics.slack_call(api_method, "ok")
        return response


def metered(client: WebClient) -> WebClient:
    """The same client (token, URL, retries, team), counted. Bolt makes a plain one for each request."""
    if isinstance(client, MeteredWebClient):
        return client
    copy = MeteredWebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        ssl=client.ssl,
        proxy=client.proxy,
        headers=dict(client.headers),
        logger=client.logger,
        retry_handlers=client.retry_handlers,
    )
    copy.default_params = dict(client.default_params)
    return copy


class CountingRateLimitHandler(RateLimitErrorRetryHandler):
    """Waits out a 429 like slack-sdk's handler, and counts it: these 429s never reach the caller."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        retry = bool(super()._can_retry(state=state, request=request, response=response, error=error))
        if retry:
            metrics.SLACK_RATELIMITED.labels(method=request.url.rsplit("/", 1)[-1].split("?", 1)[0]).inc()
        return retry


def make_web_client(*, token: str | None, base_url: str, max_retries: int = 3, timeout: int = 10) -> WebClient:
    """A WebClient that waits out 429s (honouring Retry-After) and retries 5xx and dropped connections."""
    return MeteredWebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,
        retry_handlers=[
            CountingRateLimitHandler(max_retry_count=max_retries),
            ServerErrorRetryHandler(max_retry_count=max_retries),
            ConnectionErrorRetryHandler(max_retry_count=max_retries),
        ],
    )


def without_retries(client: WebClient) -> WebClient:
    """The same client (token, URL, class) that never retries by itself: a 429, a 5xx or a dropped connection
    reaches the caller at once. The outbox sends through this: its own per-channel back-off handles 429s (no
    sleeping inside the delivery loop), and a request whose answer was lost is not blindly sent again (Slack may
    have accepted it) but checked first."""
    if not client.retry_handlers:
        return client
    bare = copy.copy(client)
    bare.retry_handlers = []
    return bare


class TeamClients(Protocol):
    """The Web API client to act in one workspace: what jobs and the outbox use outside a Slack request."""

    def for_team(self, team_id: str) -> WebClient | None:
        """A client with that workspace's bot token, or None when the app is not installed there."""
        ...


class OneWorkspace:
    """Single-workspace token mode (SLACK_BOT_TOKEN): the same client whatever the team."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def for_team(self, team_id: str) -> WebClient | None:
        return self.client


def team_clients(client: WebClient | TeamClients) -> TeamClients:
    """Accept a plain client (one workspace) where a per-team factory is expected."""
    return OneWorkspace(client) if isinstance(client, WebClient) else client


@dataclass(frozen=True)
class SlackProfile:
    user_id: str
    name: str
    title: str
    timezone: str | None
    is_admin: bool
    is_owner: bool
    deleted: bool
    is_bot: bool
    email: str = ""  # only with the users:read.email scope
    status_emoji: str = ""
    status_text: str = ""
    status_expiration: int = 0  # epoch seconds; 0: the status does not expire


def user_profile(client: WebClient, user_id: str) -> SlackProfile | None:
    """The person's Slack profile (`users.info`), or None if Slack would not give it (logged)."""
    try:
        return read_profile(client, user_id)
    except SlackApiError as error:
        logger.warning("users.info failed", extra={"user_id": user_id, "error": error.response.get("error")})
        return None


def read_profile(client: WebClient, user_id: str) -> SlackProfile:
    """The person's Slack profile (`users.info`); Slack's refusal (a 429 among them) is raised, for callers that
    handle each kind themselves."""
    response = client.users_info(user=user_id)
    user: dict[str, Any] = response.get("user") or {}
    profile: dict[str, Any] = user.get("profile") or {}
    return SlackProfile(
        user_id=user_id,
        name=profile.get("display_name") or profile.get("real_name") or user.get("real_name") or user_id,
        title=profile.get("title") or "",
        timezone=user.get("tz") or None,
        is_admin=bool(user.get("is_admin")),
        is_owner=bool(user.get("is_owner")),
        deleted=bool(user.get("deleted")),
        is_bot=bool(user.get("is_bot")),
        email=str(profile.get("email") or ""),
        status_emoji=str(profile.get("status_emoji") or ""),
        status_text=str(profile.get("status_text") or ""),
        status_expiration=int(profile.get("status_expiration") or 0),
    )


def user_emails(client: WebClient, user_ids: list[str]) -> dict[str, tuple[str, str | None]]:
    """Each person's name and email address (None when Slack gives none: no users:read.email, or a bot)."""
    found: dict[str, tuple[str, str | None]] = {}
    for user_id in user_ids:
        profile = user_profile(client, user_id)
        found[user_id] = (profile.name, profile.email or None) if profile else (user_id, None)
    return found


def send_dm(client: WebClient, user_id: str, text: str, blocks: list[dict[str, Any]] | None = None) -> str | None:
    """Post a direct message from the app. Returns the message ts, or None when Slack refused (logged)."""
    try:
        response = client.chat_postMessage(channel=user_id, text=text, blocks=blocks)
    except SlackApiError as error:
        logger.error(
            "could not send a direct message: %s",
            error.response.get("error"),
            extra={"user_id": user_id, "slack_error": error.response.get("error")},
        )
        return None
    ts: str | None = response.get("ts")
    return ts


def workspace_url(client: WebClient) -> str:
    """The workspace's address (auth.test), for links to growth threads; Slack's own address if unknown."""
    try:
        return str(client.auth_test().get("url") or "https://slack.com/")
    except (SlackApiError, OSError) as error:
        logger.warning("auth.test failed; growth-thread links use slack.com", extra={"e": error})
        return "https://slack.com/"


def upload_file(client: WebClient, *, channel: str, file: bytes, filename: str, title: str, alt: str) -> str:
    """Upload one file (files_upload_v2: Slack's external upload) to a channel. Returns the file id."""
    response = client.files_upload_v2(channel=channel, file=file, filename=filename, title=title, alt_txt=alt[:1000])
    files = response.get("files") or [response.get("file") or {}]
    return str((files[0] or {}).get("id") or "")


def is_workspace_admin(client: WebClient, user_id: str) -> bool:
    """Workspace admins and owners, as Slack says today (`users.info`)."""
    return is_admin(user_profile(client, user_id))


def is_admin(profile: SlackProfile | None) -> bool:
    """Whether this profile (from `users.info`) is a workspace admin's or owner's."""
    return profile is not None and not profile.deleted and not profile.is_bot and (profile.is_admin or profile.is_owner)


def workspace_admin_ids(client: WebClient) -> list[str]:
    """The workspace's admins and owners (`users.list`, every page), people only. What was read before an error
    is kept; the error is logged."""
    admins: list[str] = []
    cursor = None
    try:
        while True:
            page = client.users_list(limit=200, cursor=cursor)
            for user in page.get("members") or []:
                if (
                    (user.get("is_admin") or user.get("is_owner"))
                    and not user.get("deleted")
                    and not user.get("is_bot")
                ):
                    admins.append(user["id"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
    except SlackApiError as error:
        logger.error("users.list failed: %s", error.response.get("error"))
    return admins


def _active_person(user: dict[str, Any]) -> bool:
    return not user.get("deleted") and not user.get("is_bot") and user.get("id") != "USLACKBOT"


def lookup_emails(client: WebClient, emails: list[str]) -> dict[str, str]:
    """Slack user ids of the active people with these emails (lower-cased); an email nobody active has is left
    out. Each is asked with `users.lookupByEmail` (Tier 3, about 50 a minute) without waiting out a 429: once Slack
    says to slow down, the rest are found in one pass over the directory (`users.list`, 200 people a page), which
    for a long roster costs far fewer calls than waiting. Needs `users:read.email`."""
    found: dict[str, str] = {}
    bare = without_retries(client)
    remaining = list(dict.fromkeys(e.lower() for e in emails if e))
    while remaining:
        email = remaining[0]
        try:
            user = bare.users_lookupByEmail(email=email).get("user") or {}
        except SlackApiError as error:
            if error.response.status_code == 429:
                break
            if error.response.get("error") not in ("users_not_found", "user_not_found"):
                raise
            user = {}
        remaining.pop(0)
        if user and _active_person(user):
            found[email] = str(user["id"])
    if remaining:
        wanted = set(remaining)
        cursor = None
        while True:
            page = client.users_list(limit=200, cursor=cursor)
            for user in page.get("members") or []:
                email = str((user.get("profile") or {}).get("email") or "").lower()
                if email in wanted and _active_person(user):
                    found[email] = str(user["id"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
    return found


class FileUnreadable(Exception):
    """Slack would not give the file (gone, too big, or not this workspace's)."""


def download_file(client: WebClient, file_id: str, *, max_bytes: int) -> tuple[str, bytes]:
    """A file someone shared with the app (e.g. through a modal's file_input): its name and contents, read as
    Slack says, `files.info` then its `url_private` with the bot token (`files:read`)."""
    try:
        info: dict[str, Any] = client.files_info(file=file_id).get("file") or {}
    except SlackApiError as error:
        raise FileUnreadable(str(error.response.get("error"))) from error
    url = str(info.get("url_private_download") or info.get("url_private") or "")
    if not url.startswith(("https://", "http://")):
        raise FileUnreadable("no url_private")
    if int(info.get("size") or 0) > max_bytes:
        raise FileUnreadable("too big")
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {client.token}"})
    try:
        with urllib.request.urlopen(request, timeout=client.timeout) as response:
            data = response.read(max_bytes + 1)
    except OSError as error:
        raise FileUnreadable(str(error)) from error
    if len(data) > max_bytes:
        raise FileUnreadable("too big")
    return str(info.get("name") or file_id), data

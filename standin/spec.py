"""Slack's reference data (API spec, rate tiers, sample payloads), read from `standin/reference/`.

The files there are copies from Slack's public repositories (MIT): see `standin/reference/README.md`.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

REFERENCE = Path(__file__).resolve().parent / "reference"

# Methods Slack has but the 2020 OpenAPI spec lacks, described in the spec's own parameter format.
HAND_SPECS: dict[str, list[dict[str, Any]]] = {
    "files.getUploadURLExternal": [
        {"name": "filename", "in": "formData", "required": True, "type": "string"},
        {"name": "length", "in": "formData", "required": True, "type": "integer"},
        {"name": "alt_txt", "in": "formData", "required": False, "type": "string"},
        {"name": "snippet_type", "in": "formData", "required": False, "type": "string"},
    ],
    "files.completeUploadExternal": [
        {"name": "files", "in": "formData", "required": True, "type": "string"},
        {"name": "channel_id", "in": "formData", "required": False, "type": "string"},
        {"name": "channels", "in": "formData", "required": False, "type": "string"},
        {"name": "initial_comment", "in": "formData", "required": False, "type": "string"},
        {"name": "thread_ts", "in": "formData", "required": False, "type": "string"},
    ],
    # Socket Mode (2021) came after the spec: https://api.slack.com/methods/apps.connections.open takes no
    # argument but the app-level token.
    "apps.connections.open": [],
    # The 2020 spec predates token rotation: `code` is required there, but a refresh (grant_type=refresh_token)
    # has none. These are the parameters of https://api.slack.com/methods/oauth.v2.access today.
    "oauth.v2.access": [
        {"name": "client_id", "in": "query", "required": False, "type": "string"},
        {"name": "client_secret", "in": "query", "required": False, "type": "string"},
        {"name": "code", "in": "query", "required": False, "type": "string"},
        {"name": "redirect_uri", "in": "query", "required": False, "type": "string"},
        {"name": "grant_type", "in": "query", "required": False, "type": "string"},
        {"name": "refresh_token", "in": "query", "required": False, "type": "string"},
    ],
}

# Arguments Slack rejects when missing although the 2020 spec does not mark them required.
EXTRA_REQUIRED: dict[str, list[str]] = {
    "conversations.create": ["name"],
    "conversations.invite": ["channel", "users"],
    "conversations.join": ["channel"],
    "conversations.info": ["channel"],
    "conversations.members": ["channel"],
    "users.info": ["user"],
    "views.update": ["view"],
    "chat.scheduleMessage": ["channel", "post_at"],
    "chat.delete": ["channel", "ts"],
}

# The 2020 spec names the scopes of user tokens and of legacy bots; a Slack app's bot token holds the granular
# scope that replaced them (https://api.slack.com/scopes/chat:write: "chat:write replaces both chat:write:user and
# chat:write:bot"; conversations.create and .invite take channels:manage for public channels, conversations.join
# channels:join).
GRANULAR_BOT_SCOPE: dict[str, str] = {
    "chat:write:bot": "chat:write",
    "chat:write:user": "chat:write",
    "files:write:user": "files:write",
    "channels:write": "channels:manage",
}
METHOD_BOT_SCOPES: dict[str, tuple[str, ...]] = {
    "conversations.join": ("channels:join",),
    "files.getUploadURLExternal": ("files:write",),
    "files.completeUploadExternal": ("files:write",),
}
CONVERSATION_FAMILIES = ("channels", "groups", "im", "mpim")

TIER_LIMITS: dict[str, int] = {"Tier1": 1, "Tier2": 20, "Tier3": 50, "Tier4": 100}
SPECIAL_TIER_LIMIT = 100


@cache
def _spec() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((REFERENCE / "web_api_openapi_v2.json").read_text("utf-8"))
    return data


@cache
def method_params(method: str) -> tuple[dict[str, Any], ...] | None:
    """The spec's parameters of a Web API method (token excluded), or None if Slack has no such method."""
    if method in HAND_SPECS:
        return tuple(HAND_SPECS[method])
    path = _spec()["paths"].get(f"/{method}")
    if path is None:
        return None
    operation = path.get("post") or path.get("get") or {}
    return tuple(p for p in operation.get("parameters", []) if p.get("name") != "token")


@cache
def method_scopes(method: str) -> tuple[str, ...]:
    """The bot scopes that allow a Web API method, from the `security` of its operation in the spec (any one of
    them suffices; for conversation methods, the one of the conversation's kind). Empty: no scope needed."""
    if method in METHOD_BOT_SCOPES:
        return METHOD_BOT_SCOPES[method]
    path = _spec()["paths"].get(f"/{method}")
    if path is None:
        return ()
    operation = path.get("post") or path.get("get") or {}
    scopes: list[str] = []
    for requirement in operation.get("security") or []:
        for scope in requirement.get("slackAuth") or []:
            granular = GRANULAR_BOT_SCOPE.get(scope, scope)
            if granular != "none" and granular not in scopes:
                scopes.append(granular)
    return tuple(scopes)


@cache
def event_scopes() -> dict[str, tuple[str, ...]]:
    """Events API subscription (e.g. `message.channels`, `reaction_added`) -> the scopes it needs (any one)."""
    data = json.loads((REFERENCE / "events_api_asyncapi_v1.json").read_text("utf-8"))
    found: dict[str, tuple[str, ...]] = {}
    for topic, spec in data["topics"].items():
        name = topic if topic.startswith("message.") else topic.replace(".", "_")
        found[name] = tuple((spec.get("subscribe") or {}).get("x-scopes-required") or ())
    found.setdefault("app_home_opened", ())  # newer than the spec; Slack sends it to every app with a Home tab
    return found


@cache
def manifest_scopes(path: str) -> tuple[str, ...]:
    """The bot scopes an app manifest asks for."""
    data = json.loads(Path(path).read_text("utf-8"))
    return tuple(data.get("oauth_config", {}).get("scopes", {}).get("bot", []))


@cache
def manifest_events(path: str) -> tuple[str, ...]:
    """The bot events an app manifest subscribes to."""
    data = json.loads(Path(path).read_text("utf-8"))
    return tuple(data.get("settings", {}).get("event_subscriptions", {}).get("bot_events", []))


def messages_tab_open(path: str) -> bool:
    """Whether people can write to the app in its Messages tab: the tab is on and not read-only."""
    home = json.loads(Path(path).read_text("utf-8")).get("features", {}).get("app_home", {})
    return bool(home.get("messages_tab_enabled")) and not home.get("messages_tab_read_only_enabled", True)


@cache
def method_tiers() -> dict[str, str]:
    data: dict[str, str] = json.loads((REFERENCE / "method_tiers.json").read_text("utf-8"))
    return data


def per_minute_limit(method: str) -> int:
    tier = method_tiers().get(method, "Tier3")
    return TIER_LIMITS.get(tier, SPECIAL_TIER_LIMIT)


@cache
def _sample(relative: str) -> str:
    return (REFERENCE / "samples" / relative).read_text("utf-8")


def sample(relative: str) -> dict[str, Any]:
    """A fresh copy of a sample payload, e.g. sample("events/AppHomeOpenedPayload.json")."""
    data: dict[str, Any] = json.loads(_sample(relative))
    return copy.deepcopy(data)

"""The shape of what Slack sends, checked after `bot.screening` parsed it and before Bolt sees it.

Bolt assumes well-formed payloads: an `actions` list of the wrong type, or a `team` that is a number, raises
inside Bolt and becomes a 500. Slack never sends such bodies, so a request shaped like this is refused with a
400 (after its signature was checked) instead.
"""

from __future__ import annotations

from typing import Any


def _user_problem(payload: dict[str, Any]) -> str | None:
    user = payload.get("user")
    if user is None or isinstance(user, str):
        return None
    if not isinstance(user, dict) or not isinstance(user.get("id", ""), str):
        return "user is not an object with an id"
    return None


def _interaction_problem(payload: dict[str, Any]) -> str | None:
    problem = _user_problem(payload)
    if problem:
        return problem
    for key in ("team", "view", "container", "channel", "message", "state"):
        if key in payload and payload[key] is not None and not isinstance(payload[key], dict | str):
            return f"{key} has the wrong type"
    if payload.get("type") == "block_actions":
        actions = payload.get("actions")
        if not isinstance(actions, list) or not actions:
            return "actions is not a non-empty list"
        for action in actions:
            if not isinstance(action, dict) or not isinstance(action.get("action_id"), str):
                return "an action is not an object with a string action_id"
            if "block_id" in action and not isinstance(action["block_id"], str):
                return "an action's block_id is not a string"
    if payload.get("type") in ("view_submission", "view_closed"):
        view = payload.get("view")
        if not isinstance(view, dict):
            return "view is not an object"
        state = view.get("state")
        if state is not None and not isinstance(state, dict):
            return "view.state is not an object"
    return None


def _event_problem(envelope: dict[str, Any]) -> str | None:
    if envelope.get("type") != "event_callback" and "event" not in envelope:
        return None
    event = envelope.get("event")
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        return "event is not an object with a type"
    for key in ("user", "channel", "item", "view"):
        if key in event and event[key] is not None and not isinstance(event[key], str | dict):
            return f"event.{key} has the wrong type"
    return None


_STRINGS = ("type", "team_id", "api_app_id", "event_id", "token", "trigger_id", "callback_id", "response_url")


def _top_problem(body: dict[str, Any]) -> str | None:
    """Fields Bolt reads from every request before any listener: of the types Slack sends, when present."""
    for key in _STRINGS:
        if key in body and body[key] is not None and not isinstance(body[key], str):
            return f"{key} is not a string"
    for key in ("team", "enterprise"):
        if key in body and body[key] is not None and not isinstance(body[key], dict | str):
            return f"{key} has the wrong type"
        if isinstance(body.get(key), dict) and not isinstance(body[key].get("id", ""), str | None):
            return f"{key}.id is not a string"
    authorizations = body.get("authorizations")
    if authorizations is not None and (
        not isinstance(authorizations, list) or not all(isinstance(a, dict) for a in authorizations)
    ):
        return "authorizations is not a list of objects"
    return None


def shape_problem(body: dict[str, Any], source: str) -> str | None:
    """Why this parsed body is not something Slack would send, or None when its shape is fine.

    `source`: "event" (a JSON body), "interaction" (the JSON of a form's `payload`) or "form"."""
    if source == "form":
        return None
    problem = _top_problem(body)
    if problem:
        return problem
    if source == "event":
        return _event_problem(body)
    return _interaction_problem(body)


def listener_of(body: dict[str, Any], source: str) -> str:
    """A short name for what a (signed, well-shaped) request asks for, for metrics: `command:/mentor`,
    `action:<action_id>`, `view:<callback_id>`, `event:<type>`. Bounded: Slack only sends what we registered."""
    name = "unknown"
    kind = str(body.get("type") or "")
    if source == "event":
        event = body.get("event")
        name = f"event:{event.get('type')}" if isinstance(event, dict) else kind or name
    elif source == "form":
        if "command" in body:
            name = f"command:{body['command']}"
    elif kind in ("block_actions", "block_suggestion"):
        actions = body.get("actions") or [{}]
        action = actions[0] if kind == "block_actions" and isinstance(actions, list) else body
        name = f"action:{action.get('action_id') if isinstance(action, dict) else None}"
    elif kind in ("view_submission", "view_closed"):
        view = body.get("view")
        name = f"view:{view.get('callback_id') if isinstance(view, dict) else None}"
    elif kind in ("shortcut", "message_action"):
        name = f"shortcut:{body.get('callback_id')}"
    else:
        name = kind or name
    return name[:80]

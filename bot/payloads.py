"""The shape of what Slack sends, checked before Bolt parses it.

Bolt assumes well-formed payloads: a body that is not a JSON object, or an `actions` list of the wrong type,
raises inside its request parsing and becomes a 500. Slack never sends such bodies, so a request shaped like
this is refused with a 400 (after its signature was checked) instead.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs


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


def shape_problem(body: bytes, content_type: str) -> str | None:
    """Why this body is not something Slack would send, or None when its shape is fine."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "the body is not UTF-8"
    if "application/json" in content_type:
        try:
            envelope = json.loads(text)
        except ValueError:
            return "the body is not JSON"
        if not isinstance(envelope, dict):
            return "the body is not a JSON object"
        return _event_problem(envelope)
    form = parse_qs(text, keep_blank_values=True)
    if "payload" in form:
        try:
            payload = json.loads(form["payload"][-1])
        except ValueError:
            return "payload is not JSON"
        if not isinstance(payload, dict):
            return "payload is not a JSON object"
        return _interaction_problem(payload)
    return None


def listener_of(body: bytes, content_type: str) -> str:
    """A short name for what a (signed, well-shaped) request asks for, for metrics: `command:/mentor`,
    `action:<action_id>`, `view:<callback_id>`, `event:<type>`. Bounded: Slack only sends what we registered."""
    name = "unknown"
    try:
        if "application/json" in content_type:
            data = json.loads(body)
            if isinstance(data, dict):
                event = data.get("event")
                kind = str(data.get("type") or "")
                name = f"event:{event.get('type')}" if isinstance(event, dict) else kind or name
        else:
            form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8")).items()}
            if "command" in form:
                name = f"command:{form['command']}"
            elif "payload" in form:
                payload = json.loads(form["payload"])
                kind = str(payload.get("type") or "")
                if kind in ("block_actions", "block_suggestion"):
                    actions = payload.get("actions") or [{}]
                    action = actions[0] if kind == "block_actions" else payload
                    name = f"action:{action.get('action_id')}"
                elif kind in ("view_submission", "view_closed"):
                    name = f"view:{(payload.get('view') or {}).get('callback_id')}"
                elif kind in ("shortcut", "message_action"):
                    name = f"shortcut:{payload.get('callback_id')}"
                else:
                    name = kind or name
    except (ValueError, UnicodeDecodeError, AttributeError, IndexError, TypeError):
        return "unknown"
    return name[:80]

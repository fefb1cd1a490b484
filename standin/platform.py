"""The Slack platform side: signed requests Slack sends to the app (commands, interactions, events)."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode

from standin.server import Seen, SlackStandIn
from standin.socketmode import Envelope, EnvelopeType
from standin.spec import sample
from standin.workspace import APP_ID, BOT_USER_ID, GENERAL_CHANNEL_ID, TEAM_DOMAIN

VERIFICATION_TOKEN = "standin-verification-token"

SLASH_SAMPLE = "app-backend/slash-commands/SlashCommandPayload.json"
VIEW_SUBMISSION_SAMPLE = "app-backend/views/ViewSubmissionPayload.json"
BLOCK_ACTION_SAMPLE = "app-backend/interactive-components/BlockActionPayload.json"
MESSAGE_SHORTCUT_SAMPLE = "app-backend/interactive-components/MessageShortcutPayload.json"
EVENT_SAMPLE = "events/AppHomeOpenedPayload.json"

_event_counter = itertools.count(1)


@dataclass
class Reply:
    status: int
    body: str
    json: Any | None
    headers: dict[str, str] = field(default_factory=dict)
    event_id: str | None = None
    payload: dict[str, Any] | None = None  # what was sent


def sign(signing_secret: str, timestamp: int | str, body: str | bytes) -> str:
    """Slack's request signature: v0= + hex HMAC-SHA256 of "v0:{timestamp}:{body}"."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    base = f"v0:{timestamp}:".encode() + raw
    return "v0=" + hmac.new(signing_secret.encode("utf-8"), base, hashlib.sha256).hexdigest()


def _shaped(sample_name: str, values: dict[str, Any]) -> dict[str, Any]:
    """values, ordered like the sample payload; refuses keys the sample does not have."""
    shape = sample(sample_name)
    unknown = [k for k in values if k not in shape]
    if unknown:
        raise KeyError(f"{sample_name} has no field(s) {unknown}")
    return {k: values[k] for k in shape if k in values}


def _text(obj: Any) -> str:
    return str(obj.get("text", "")) if isinstance(obj, dict) else ""


def _options(element: dict[str, Any]) -> list[dict[str, Any]]:
    options = [o for o in element.get("options") or [] if isinstance(o, dict)]
    for group in element.get("option_groups") or []:
        if isinstance(group, dict):
            options.extend(o for o in group.get("options") or [] if isinstance(o, dict))
    return options


def _option(element: dict[str, Any], value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return value
    for option in _options(element):
        if option.get("value") == value:
            return option
    # not among the options: forge one (tests send such payloads on purpose)
    return {"text": {"type": "plain_text", "text": str(value), "emoji": True}, "value": str(value)}


def element_state(element: dict[str, Any], answer: Any = None, *, answered: bool = False) -> dict[str, Any]:
    """The state value Slack sends for an input element, given a person's answer (or the initial value)."""
    etype = str(element.get("type", ""))
    state: dict[str, Any] = {"type": etype}
    if etype in ("plain_text_input", "number_input", "email_text_input", "url_text_input"):
        value = answer if answered else element.get("initial_value")
        state["value"] = None if value is None or value == "" else str(value)
    elif etype in ("static_select", "radio_buttons", "external_select"):
        if answered:
            state["selected_option"] = _option(element, answer)
        else:
            state["selected_option"] = element.get("initial_option")
    elif etype in ("multi_static_select", "checkboxes", "multi_external_select"):
        if answered:
            answers = answer if isinstance(answer, list) else [answer] if answer is not None else []
            state["selected_options"] = [o for o in (_option(element, a) for a in answers) if o is not None]
        else:
            state["selected_options"] = list(element.get("initial_options") or [])
    elif etype == "datepicker":
        state["selected_date"] = answer if answered else element.get("initial_date")
    elif etype == "timepicker":
        state["selected_time"] = answer if answered else element.get("initial_time")
    elif etype == "users_select":
        state["selected_user"] = answer if answered else element.get("initial_user")
    elif etype == "multi_users_select":
        state["selected_users"] = list(answer or []) if answered else list(element.get("initial_users") or [])
    elif etype == "conversations_select":
        state["selected_conversation"] = answer if answered else element.get("initial_conversation")
    elif etype == "multi_conversations_select":
        state["selected_conversations"] = (
            list(answer or []) if answered else list(element.get("initial_conversations") or [])
        )
    elif etype == "channels_select":
        state["selected_channel"] = answer if answered else element.get("initial_channel")
    elif etype == "multi_channels_select":
        state["selected_channels"] = list(answer or []) if answered else list(element.get("initial_channels") or [])
    elif etype == "file_input":  # the file objects of what the person uploaded (SlackStandIn.upload_from)
        state["files"] = list(answer or []) if answered else []
    elif etype == "rich_text_input":
        state["rich_text_value"] = answer if answered else element.get("initial_value")
    else:
        state["value"] = answer
    return state


def view_state(view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """view.state for a submission: every input block, answered from values (keyed by block_id)."""
    state: dict[str, dict[str, Any]] = {}
    for block in view.get("blocks") or []:
        if not isinstance(block, dict) or block.get("type") != "input":
            continue
        element = block.get("element")
        if not isinstance(element, dict):
            continue
        block_id = str(block.get("block_id") or "")
        action_id = str(element.get("action_id") or "")
        if not block_id or not action_id:
            raise ValueError(
                f"input block {_text(block.get('label'))!r} has no block_id/action_id: "
                "Slack would generate random ones and the app could not read the answer reliably"
            )
        answered = block_id in values
        state[block_id] = {action_id: element_state(element, values.get(block_id), answered=answered)}
    unknown = [k for k in values if k not in state]
    if unknown:
        raise KeyError(f"no input block(s) {unknown} in view {view.get('callback_id')!r}")
    return {"values": state}


class SlackPlatform:
    """Sends signed requests, as Slack would, to the app at app_url."""

    def __init__(
        self, app_url: str, signing_secret: str, standin: SlackStandIn, timeout: float = 10.0, team_id: str = ""
    ) -> None:
        """`team_id`: the workspace the requests come from (default: the stand-in's own)."""
        self.team_id = team_id or standin.team_id
        self.app_url = app_url
        self.signing_secret = signing_secret
        self.standin = standin
        self.timeout = timeout
        self.sent: list[dict[str, Any]] = []

    # ------------------------------------------------------------------ plumbing

    def _user(self, user_id: str) -> dict[str, Any]:
        person = self.standin._users.get(user_id)
        name = person.name if person else user_id
        return {"id": user_id, "username": name, "name": name, "team_id": self.team_id}

    def _team(self) -> dict[str, Any]:
        return {"id": self.team_id, "domain": TEAM_DOMAIN}

    def _channel(self, channel_id: str) -> dict[str, Any]:
        channel = self.standin._channels.get(channel_id)
        if channel is None:
            name = channel_id
        elif channel.kind == "im":
            name = "directmessage"
        elif channel.kind == "mpim":
            name = "mpdm"
        else:
            name = channel.name
        return {"id": channel_id, "name": name}

    def send(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """POST a raw body to the app, signed like Slack (unless a stale timestamp or bad signature is given)."""
        ts = int(time.time()) if timestamp is None else timestamp
        all_headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": signature if signature is not None else sign(self.signing_secret, ts, body),
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            **(headers or {}),
        }
        request = urllib.request.Request(self.app_url, data=body.encode("utf-8"), headers=all_headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status = response.status
                raw = response.read()
                reply_headers = dict(response.headers.items())
        except urllib.error.HTTPError as err:
            status = err.code
            raw = err.read()
            reply_headers = dict(err.headers.items())
        text = raw.decode("utf-8", "replace")
        parsed: Any | None = None
        if text.strip():
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = None
        return Reply(status, text, parsed, reply_headers)

    def _send_payload(self, payload: dict[str, Any], **kw: Any) -> Reply:
        self.sent.append(payload)
        reply = self.send(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded", **kw)
        reply.payload = payload
        return reply

    # ------------------------------------------------------------------ slash commands

    def slash(
        self,
        user_id: str,
        command: str = "/mentor",
        text: str = "",
        channel_id: str = GENERAL_CHANNEL_ID,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """A slash command typed by a person. One the manifest does not declare, or without the `commands` scope,
        Slack would not send: the Reply then has status 0 and says why."""
        refused = self.standin.command_delivery(command, self.team_id)
        if refused:
            return Reply(0, f"Slack would not send this command: {refused}", None)
        person = self.standin._users.get(user_id)
        fields = _shaped(
            SLASH_SAMPLE,
            {
                "token": VERIFICATION_TOKEN,
                "team_id": self.team_id,
                "team_domain": TEAM_DOMAIN,
                "channel_id": channel_id,
                "channel_name": self._channel(channel_id)["name"],
                "user_id": user_id,
                "user_name": person.name if person else user_id,
                "command": command,
                "text": text,
                "api_app_id": APP_ID,
                "is_enterprise_install": "false",
                "response_url": self.standin.response_url(user_id, channel_id),
                "trigger_id": self.standin.issue_trigger(user_id),
            },
        )
        self.sent.append(dict(fields))
        reply = self.send(
            urlencode(fields),
            "application/x-www-form-urlencoded",
            timestamp=timestamp,
            signature=signature,
            headers=headers,
        )
        reply.payload = fields
        return reply

    # ------------------------------------------------------------------ interactivity

    def submit_view(
        self,
        user_id: str,
        view: dict[str, Any],
        values: dict[str, Any] | None = None,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """Submit a modal (the view object the stand-in recorded) with answers keyed by block_id."""
        submitted = {k: v for k, v in view.items() if k != "blocks"}
        submitted["blocks"] = view.get("blocks", [])
        submitted["state"] = view_state(view, values or {})
        payload = _shaped(
            VIEW_SUBMISSION_SAMPLE,
            {
                "type": "view_submission",
                "team": self._team(),
                "user": self._user(user_id),
                "api_app_id": APP_ID,
                "token": VERIFICATION_TOKEN,
                "trigger_id": self.standin.issue_trigger(user_id),
                "view": submitted,
                "is_enterprise_install": False,
                "enterprise": None,
            },
        )
        payload["response_urls"] = []
        reply = self._send_payload(payload, timestamp=timestamp, signature=signature, headers=headers)
        if reply.status == 200 and timestamp is None and signature is None:
            self.standin.apply_view_response(user_id, str(view.get("id", "")), reply.json)
        return reply

    def close_view(
        self,
        user_id: str,
        view: dict[str, Any],
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """The person closes a modal (sent only if the view has notify_on_close)."""
        payload = {
            "type": "view_closed",
            "team": self._team(),
            "user": self._user(user_id),
            "api_app_id": APP_ID,
            "token": VERIFICATION_TOKEN,
            "view": view,
            "is_cleared": False,
            "is_enterprise_install": False,
            "enterprise": None,
        }
        self.standin.apply_view_response(user_id, str(view.get("id", "")), None)
        return self._send_payload(payload, timestamp=timestamp, signature=signature, headers=headers)

    def click(
        self,
        user_id: str,
        action_id: str,
        value: str | None = None,
        *,
        block_id: str | None = None,
        view: dict[str, Any] | None = None,
        message: dict[str, Any] | Seen | None = None,
        channel_id: str | None = None,
        selected_option: dict[str, Any] | None = None,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """A block_actions payload: the person clicks a button (or picks an option) in a message or view.

        message may be a Seen (from standin.dms/seen_by) or a message dict with "ts" and "blocks"."""
        if isinstance(message, Seen):
            message = {"ts": message.ts, "text": message.text, "blocks": message.blocks, "channel": message.channel}
        blocks: list[Any] = list((view or message or {}).get("blocks") or [])
        element = self._find_element(blocks, action_id, block_id)
        if block_id is None:
            block_id = element[0] if element else ""
        element_obj = element[1] if element else {}
        action: dict[str, Any] = {
            "type": element_obj.get("type", "button"),
            "action_id": action_id,
            "block_id": block_id,
            "action_ts": f"{time.time():.6f}",
        }
        if element_obj.get("text"):
            action["text"] = element_obj["text"]
        if selected_option is not None:
            action["type"] = element_obj.get("type", "static_select")
            action["selected_option"] = selected_option
        else:
            action["value"] = value if value is not None else element_obj.get("value")
        trigger_id = self.standin.issue_trigger(user_id)
        values: dict[str, Any] = {
            "type": "block_actions",
            "team": self._team(),
            "user": self._user(user_id),
            "api_app_id": APP_ID,
            "token": VERIFICATION_TOKEN,
            "trigger_id": trigger_id,
            "actions": [action],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        if view is not None:
            values["container"] = {"type": "view", "view_id": view.get("id", "")}
            values["view"] = {**view, "state": view.get("state") or {"values": {}}}
            values["state"] = view.get("state") or {"values": {}}
        else:
            msg = dict(message or {})
            channel = channel_id or str(msg.get("channel") or "")
            if not channel:
                raise ValueError("click on a message needs channel_id (or a message with a channel)")
            ts = str(msg.get("ts") or "")
            values["container"] = {
                "type": "message",
                "message_ts": ts,
                "channel_id": channel,
                "is_ephemeral": bool(msg.get("is_ephemeral", False)),
            }
            values["channel"] = self._channel(channel)
            msg.setdefault("type", "message")
            msg.setdefault("user", BOT_USER_ID)
            msg.pop("channel", None)
            values["message"] = msg
            values["state"] = {"values": {}}
            values["response_url"] = self.standin.response_url(user_id, channel, ts or None)
        payload = _shaped(BLOCK_ACTION_SAMPLE, values)
        return self._send_payload(payload, timestamp=timestamp, signature=signature, headers=headers)

    @staticmethod
    def _find_element(blocks: list[Any], action_id: str, block_id: str | None) -> tuple[str, dict[str, Any]] | None:
        for block in blocks:
            if not isinstance(block, dict):
                continue
            if block_id is not None and block.get("block_id") != block_id:
                continue
            candidates = list(block.get("elements") or [])
            for key in ("accessory", "element"):
                if isinstance(block.get(key), dict):
                    candidates.append(block[key])
            for element in candidates:
                if isinstance(element, dict) and element.get("action_id") == action_id:
                    return str(block.get("block_id") or ""), element
        return None

    def message_shortcut(
        self,
        user_id: str,
        callback_id: str,
        message: dict[str, Any],
        channel_id: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        refused = self.standin.command_delivery("", self.team_id)
        if refused:
            return Reply(0, f"Slack would not send this shortcut: {refused}", None)
        msg = {"type": "message", **message}
        payload = _shaped(
            MESSAGE_SHORTCUT_SAMPLE,
            {
                "type": "message_action",
                "callback_id": callback_id,
                "trigger_id": self.standin.issue_trigger(user_id),
                "message_ts": str(msg.get("ts", "")),
                "response_url": self.standin.response_url(user_id, channel_id, str(msg.get("ts", "")) or None),
                "team": self._team(),
                "user": {"id": user_id, "name": self._user(user_id)["name"], "team_id": self.team_id},
                "channel": self._channel(channel_id),
                "message": msg,
                "token": VERIFICATION_TOKEN,
                "action_ts": f"{time.time():.6f}",
                "is_enterprise_install": False,
                "enterprise": None,
            },
        )
        return self._send_payload(payload, timestamp=timestamp, signature=signature, headers=headers)

    # ------------------------------------------------------------------ events

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """An Events API event_callback wrapping event; returns a Reply with .event_id.

        An event Slack would not deliver (not subscribed in the manifest, its scope not granted, a message in a
        conversation the bot is not in) is not sent: the Reply has status 0 and says why."""
        eid = event_id or f"Ev0{next(_event_counter):05d}{secrets.token_hex(4).upper()}"
        _, _, refused = self.standin.event_delivery(event, self.team_id)
        if refused:
            return Reply(0, f"Slack would not deliver this event: {refused}", None, event_id=eid)
        envelope = _shaped(
            EVENT_SAMPLE,
            {
                "token": VERIFICATION_TOKEN,
                "team_id": self.team_id,
                "api_app_id": APP_ID,
                "event": event,
                "type": "event_callback",
                "event_id": eid,
                "event_time": int(time.time()),
                "authorizations": [
                    {
                        "enterprise_id": None,
                        "team_id": self.team_id,
                        "user_id": BOT_USER_ID,
                        "is_bot": True,
                        "is_enterprise_install": False,
                    }
                ],
                "is_ext_shared_channel": False,
                "event_context": f"4-{secrets.token_hex(16)}",
            },
        )
        extra = dict(headers or {})
        if retry_num is not None:
            extra["X-Slack-Retry-Num"] = str(retry_num)
            extra["X-Slack-Retry-Reason"] = retry_reason
        self.sent.append(envelope)
        reply = self.send(
            json.dumps(envelope), "application/json", timestamp=timestamp, signature=signature, headers=extra
        )
        reply.event_id = eid
        reply.payload = envelope
        return reply

    def home_opened(self, user_id: str, **kw: Any) -> Reply:
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": self.standin.im_channel(user_id),
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        }
        home = self.standin.home(user_id)
        if home is not None:
            event["view"] = home
        return self.event(event, **kw)

    def url_verification(
        self,
        challenge: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        body = {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}
        return self.send(
            json.dumps(body), "application/json", timestamp=timestamp, signature=signature, headers=headers
        )


class SocketModePlatform(SlackPlatform):
    """The same people and payloads, delivered the Socket Mode way: in envelopes over the WebSocket the app
    opened with `apps.connections.open`, answered by its acks instead of HTTP replies.

    A Reply's status is 200 when the app acked within Slack's 3 seconds, 408 when it acked late (Slack has
    already shown the person an error) and 504 when it never acked; its json is the ack's payload."""

    def __init__(self, standin: SlackStandIn, timeout: float = 10.0, team_id: str = "") -> None:
        super().__init__("", "", standin, timeout=timeout, team_id=team_id)
        self.envelopes: list[Envelope] = []

    def send(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        if timestamp is not None or signature is not None or headers:
            raise ValueError("Socket Mode has no signatures or HTTP headers: the connection is authenticated")
        socket = self.standin.socket_mode
        kind: EnvelopeType
        if content_type == "application/json":
            payload = json.loads(body)
            kind, accepts = "events_api", False
        else:
            form = {k: v[-1] for k, v in parse_qs(body, keep_blank_values=True).items()}
            if "payload" in form:
                payload = json.loads(form["payload"])
                kind = "interactive"
                accepts = payload.get("type") in ("view_submission", "block_suggestion")
            else:
                payload, kind, accepts = form, "slash_commands", True
        envelope = socket.wait_ack(
            socket.deliver(kind, payload, accepts_response_payload=accepts, timeout=self.timeout),
            timeout=self.timeout,
        )
        self.envelopes.append(envelope)
        status = 200 if envelope.acked_in_time else 408 if envelope.acked else 504
        response = envelope.response_payload
        text = json.dumps(response) if response is not None else ""
        return Reply(status, text, response)

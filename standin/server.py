"""A local stand-in for the Slack Web API: a real HTTP server that checks calls against Slack's spec,
enforces rate limits and records what each person in the workspace would see."""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import itertools
import json
import random
import re
import secrets
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from standin.blockkit import check_blocks, check_view, render_blocks, render_view
from standin.socketmode import SocketModeEndpoint
from standin.spec import (
    EXTRA_REQUIRED,
    event_scopes,
    manifest_events,
    manifest_scopes,
    messages_tab_open,
    method_params,
    method_scopes,
    per_minute_limit,
)
from standin.workspace import (
    APP_ID,
    APP_TOKEN,
    BOT_ID,
    BOT_PERSON,
    BOT_REAL_NAME,
    BOT_TOKEN,
    BOT_USER_ID,
    DEFAULT_PEOPLE,
    GENERAL_CHANNEL_ID,
    RANDOM_CHANNEL_ID,
    TEAM_DOMAIN,
    TEAM_ID,
    TEAM_NAME,
    Person,
)

SeenKind = Literal["dm", "ephemeral", "channel", "modal", "home", "response"]
JSON_FIELDS = ("blocks", "attachments", "view", "files", "metadata")
LIST_FIELDS = ("users", "channels")
CHANNEL_NAME_RE = re.compile(r"^[a-z0-9_-]+$")
MAX_SCHEDULE_AHEAD = 120 * 24 * 3600
RESPONSE_URL_USES = 5
MANIFEST = Path(__file__).resolve().parents[1] / "manifest.json"
SCOPE_FAMILY = {"public": "channels", "private": "groups", "im": "im", "mpim": "mpim"}
EMAIL_SCOPE = "users:read.email"  # without it, Slack leaves profile.email out of user objects
FILES_SCOPE = "files:read"  # reading a file's contents, and a modal with a file_input (Slack's Block Kit docs)


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int
    response: dict[str, Any]
    at: float
    token: str = ""  # the token the call was made with ("" for none, or client credentials)
    team_id: str = ""  # the workspace that token belongs to ("" when it belongs to none)
    scope: str = ""  # the scope Slack requires of this call ("" when none, or it could not tell)


@dataclass
class Seen:
    kind: SeenKind
    channel: str | None
    text: str
    blocks: list[Any]
    ts: str | None
    view: dict[str, Any] | None
    files: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None
    seq: int = 0


class SlackError(Exception):
    """A Slack error answer: {"ok": false, "error": ...}."""

    def __init__(self, error: str, messages: list[str] | None = None, status: int = 200) -> None:
        super().__init__(error)
        self.error = error
        self.messages = messages or []
        self.status = status

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error": self.error}
        if self.messages:
            body["response_metadata"] = {"messages": self.messages}
        return body


@dataclass
class _Channel:
    id: str
    name: str
    kind: Literal["im", "mpim", "public", "private"]
    members: list[str]
    creator: str
    created: int
    user: str | None = None  # the person of an IM
    archived: bool = False


@dataclass
class _Message:
    seq: int
    channel: str
    ts: str
    text: str
    blocks: list[Any]
    attachments: list[Any]
    thread_ts: str | None
    user: str = BOT_USER_ID
    files: list[dict[str, Any]] = field(default_factory=list)
    versions: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False
    metadata: dict[str, Any] | None = None


@dataclass
class _Private:
    """Something only one person sees: an ephemeral message, a response_url reply, a modal, a Home tab."""

    seq: int
    user: str
    kind: SeenKind
    channel: str | None
    text: str = ""
    blocks: list[Any] = field(default_factory=list)
    ts: str | None = None
    view: dict[str, Any] | None = None
    deleted: bool = False


@dataclass
class _View:
    user: str
    view: dict[str, Any]


@dataclass
class _Token:
    team_id: str
    scopes: tuple[str, ...] = ()  # what the install granted
    expires_at: float | None = None  # rotating tokens expire
    revoked: bool = False


@dataclass
class _Grant:
    """An install a person approved in their browser: the code Slack redirects them back to the app with."""

    team_id: str
    team_name: str
    installer: str
    scopes: str
    rotating: bool
    issued_at: float


@dataclass
class _Trigger:
    user: str
    issued_at: float
    used: bool = False


@dataclass
class _File:
    id: str
    filename: str
    length: int
    data: bytes | None = None
    title: str = ""
    channels: list[str] = field(default_factory=list)
    created: int = 0
    owner: str = BOT_USER_ID  # who uploaded it: the bot, or a person through a modal's file_input


@dataclass
class _ResponseUrl:
    user: str
    channel: str
    message_ts: str | None
    uses: int = 0


@dataclass
class _Fault:
    kind: Literal["error", "ratelimit", "server", "lost"]
    times: int
    error: str = ""
    retry_after: int = 1
    status: int = 503


class _Bucket:
    def __init__(self, capacity: float, per_second: float) -> None:
        self.capacity = capacity
        self.per_second = per_second
        self.tokens = capacity
        self.updated = time.monotonic()

    def take(self) -> float:
        """Take a token; return 0 when allowed, else the seconds until a token is available."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.per_second)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.per_second


def _humanize(text: str, names: dict[str, str], channels: dict[str, str]) -> str:
    text = re.sub(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>", lambda m: "@" + names.get(m.group(1), m.group(1)), text)
    text = re.sub(
        r"<#([CGD][A-Z0-9]+)(?:\|([^>]*))?>",
        lambda m: "#" + (m.group(2) or channels.get(m.group(1), m.group(1))),
        text,
    )
    text = re.sub(r"<!(here|channel|everyone)(?:\|[^>]*)?>", r"@\1", text)
    text = re.sub(r"<(https?://[^|>]+)\|([^>]+)>", r"\2 (\1)", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class SlackStandIn:
    """A local Slack Web API. Use as a context manager; point WebClient(base_url=standin.api_url) at it."""

    def __init__(
        self,
        people: list[Person] | None = None,
        team_id: str = TEAM_ID,
        bot_token: str = BOT_TOKEN,
        rate_limits: bool = True,
        trigger_ttl: float = 3.0,
        post_per_minute: float | None = None,
        random_429: float = 0.0,
        seed: int = 0,
        manifest: str | Path | None = None,
        scopes: Iterable[str] | None = None,
        random_lost: float = 0.0,
        app_token: str = APP_TOKEN,
    ) -> None:
        """`manifest`: the app manifest whose bot scopes the bot token is granted (default: the project's
        `manifest.json`); `scopes` overrides them."""
        self.people: list[Person] = [dataclasses.replace(p) for p in (DEFAULT_PEOPLE if people is None else people)]
        self.team_id = team_id
        self.bot_token = bot_token
        self.rate_limits = rate_limits
        self.trigger_ttl = trigger_ttl
        # chat.postMessage across the workspace (None: only the per-channel limit), and a share of calls that get
        # a 429 whatever the rate, as Slack's own load sometimes gives.
        self.post_per_minute = post_per_minute
        self.random_429 = random_429
        # A share of chat.postMessage calls Slack carries out whose answer never arrives (the connection drops).
        self.random_lost = random_lost
        self._random = random.Random(seed)
        self.calls: list[Call] = []
        # What the platform delivered to the app, with the scope that needed: ("message.groups", "groups:history"),
        # ("/mentor", "commands"), ("app_home_opened", "").
        self.delivered: list[tuple[str, str]] = []
        self.warnings: list[str] = []
        self.errors: list[str] = []  # internal errors of the stand-in itself (tracebacks)
        self.scheduled: list[dict[str, Any]] = []
        self.base_url = ""
        self.api_url = ""
        self._lock = threading.RLock()
        self._seq = itertools.count(1)
        self._ids = itertools.count(1)
        self._last_ts_micro = 0
        self._users: dict[str, Person] = {p.id: p for p in [*self.people, BOT_PERSON]}
        self._channels: dict[str, _Channel] = {}
        self._messages: dict[str, list[_Message]] = {}
        self._private: list[_Private] = []
        self._views: dict[str, _View] = {}
        self._modal_stacks: dict[str, list[str]] = {}
        self._homes: dict[str, str] = {}
        self._triggers: dict[str, _Trigger] = {}
        self._files: dict[str, _File] = {}
        self.emails_given: set[str] = set()  # emails handed out in user objects (only with users:read.email)
        self._response_urls: dict[str, _ResponseUrl] = {}
        self._faults: dict[str, list[_Fault]] = {}
        self._statuses: dict[str, tuple[str, str, int]] = {}  # user id -> (emoji, text, expiration epoch or 0)
        self._buckets: dict[str, _Bucket] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        active = [p.id for p in self.people if not p.deleted]
        now = int(time.time())
        self._channels[GENERAL_CHANNEL_ID] = _Channel(
            GENERAL_CHANNEL_ID, "general", "public", [*active, BOT_USER_ID], active[0] if active else "", now
        )
        self._channels[RANDOM_CHANNEL_ID] = _Channel(
            RANDOM_CHANNEL_ID, "random", "public", list(active), active[0] if active else "", now
        )
        # Multi-workspace installs: every token the stand-in accepts, and the workspace it acts in.
        self.manifest = Path(manifest) if manifest is not None else MANIFEST
        self.scopes: tuple[str, ...] = (
            tuple(scopes) if scopes is not None else manifest_scopes(str(self.manifest.resolve()))
        )
        self.tokens: dict[str, _Token] = {bot_token: _Token(team_id, self.scopes)}
        # Socket Mode: the app-level token (scope connections:write) opens connections, and nothing else.
        self.app_token = app_token
        self.socket_mode = SocketModeEndpoint(APP_ID)
        self.team_names: dict[str, str] = {team_id: TEAM_NAME}
        self.oauth_client: tuple[str, str] | None = None  # (client_id, client_secret) of the distributed app
        self.token_lifetime = 43200  # seconds a rotating token lives (Slack: 12 hours)
        self._grants: dict[str, _Grant] = {}
        self._refresh_tokens: dict[str, str] = {}  # refresh token -> team
        self._refresh_scopes: dict[str, tuple[str, ...]] = {}  # refresh token -> the scopes it renews
        self._caller = threading.local()
        self._handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "api.test": lambda params: {"ok": True, "args": params},
            "oauth.v2.access": self._oauth_v2_access,
            "auth.test": self._auth_test,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "users.lookupByEmail": self._users_lookup_by_email,
            "conversations.open": self._conversations_open,
            "conversations.create": self._conversations_create,
            "conversations.invite": self._conversations_invite,
            "conversations.join": self._conversations_join,
            "conversations.info": self._conversations_info,
            "conversations.members": self._conversations_members,
            "conversations.history": self._conversations_history,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.scheduleMessage": self._chat_schedule_message,
            "apps.connections.open": self._apps_connections_open,
            "views.open": lambda params: self._views_open(params, push=False),
            "views.push": lambda params: self._views_open(params, push=True),
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "files.info": self._files_info,
        }

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> SlackStandIn:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def _serve(self, verb: str) -> None:
                try:
                    length = int(self.headers.get("Content-Length") or 0)
                    raw = self.rfile.read(length) if length > 0 else b""
                    status, headers, body = standin.handle_http(verb, self.path, dict(self.headers), raw)
                except Exception:
                    standin.errors.append(traceback.format_exc())
                    status, headers = 500, {"Content-Type": "application/json; charset=utf-8"}
                    body = b'{"ok": false, "error": "internal_error"}'
                if status == 0:  # an answer lost on the way: close the connection without one
                    self.close_connection = True
                    return
                with contextlib.suppress(OSError):
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._server = server
        port = server.server_address[1]
        self.base_url = f"http://127.0.0.1:{port}"
        self.api_url = f"{self.base_url}/api/"
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="slack-standin", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self.socket_mode.url:
            self.socket_mode.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> SlackStandIn:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ test controls

    def issue_trigger(self, user_id: str) -> str:
        """A fresh trigger_id, as Slack sends with a slash command or an interaction of that person."""
        with self._lock:
            trigger_id = f"{next(self._ids)}.{secrets.randbelow(10**12)}.{secrets.token_hex(16)}"
            self._triggers[trigger_id] = _Trigger(user_id, time.monotonic())
            return trigger_id

    def response_url(self, user_id: str, channel_id: str, message_ts: str | None = None) -> str:
        """A response_url for an interaction of user_id in channel_id (bound to message_ts if given)."""
        with self._lock:
            token = secrets.token_hex(12)
            self._response_urls[token] = _ResponseUrl(user_id, channel_id, message_ts)
            return f"{self.base_url}/respond/{token}"

    def distribute(self, client_id: str, client_secret: str) -> None:
        """Make the app installable in many workspaces (Slack's "Manage Distribution") with these credentials."""
        self.oauth_client = (client_id, client_secret)

    def approve_install(
        self,
        team_id: str,
        *,
        team_name: str = "",
        installer: str = "",
        scopes: str = "",
        rotating: bool = False,
    ) -> str:
        """A person approves installing the app in `team_id` on Slack's authorize page: returns the `code`
        Slack would redirect their browser back to the app with. `rotating`: the app opted in to token
        rotation, so the bot token expires and comes with a refresh token. `scopes` (comma-separated): what the
        install URL asked for, which the token is granted; none: the manifest's bot scopes."""
        with self._lock:
            code = f"{next(self._ids)}.{secrets.token_hex(12)}"
            self._grants[code] = _Grant(
                team_id, team_name or team_id, installer or self.people[0].id, scopes, rotating, time.time()
            )
            return code

    def uninstall(self, team_id: str) -> None:
        """The workspace removed the app: every token of it stops working (Slack then sends app_uninstalled)."""
        with self._lock:
            for token in self.tokens.values():
                if token.team_id == team_id:
                    token.revoked = True
            for refresh, team in list(self._refresh_tokens.items()):
                if team == team_id:
                    del self._refresh_tokens[refresh]

    def upload_from(self, user_id: str, filename: str, data: bytes) -> dict[str, Any]:
        """A person picks a file in a modal's `file_input`: Slack stores it as theirs (shared nowhere) and the
        view_submission's state carries its file object. Returns that object."""
        with self._lock:
            self._person(user_id)
            file_id = f"F0{next(self._ids):07d}"
            stored = _File(file_id, filename, len(data), data=data, created=int(time.time()), owner=user_id)
            self._files[file_id] = stored
            return self._file_object(stored)

    def tokens_of(self, team_id: str) -> list[str]:
        with self._lock:
            return [t for t, info in self.tokens.items() if info.team_id == team_id and not info.revoked]

    def calls_by_team(self, team_id: str, method: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.team_id == team_id and (method is None or c.method == method)]

    def set_status(self, user_id: str, emoji: str = "", text: str = "", expiration: int = 0) -> None:
        """The person sets (or, with no arguments, clears) their Slack status."""
        with self._lock:
            if emoji or text:
                self._statuses[user_id] = (emoji, text, expiration)
            else:
                self._statuses.pop(user_id, None)

    def fail_next(self, method: str, error: str = "channel_not_found", times: int = 1) -> None:
        with self._lock:
            self._faults.setdefault(method, []).append(_Fault("error", times, error=error))

    def rate_limit_next(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        with self._lock:
            self._faults.setdefault(method, []).append(_Fault("ratelimit", times, retry_after=retry_after))

    def server_error_next(self, method: str, status: int = 503, times: int = 1) -> None:
        with self._lock:
            self._faults.setdefault(method, []).append(_Fault("server", times, status=status))

    def lose_answer_next(self, method: str, times: int = 1) -> None:
        """Carry out the next call(s) as Slack would, then drop the connection without an answer."""
        with self._lock:
            self._faults.setdefault(method, []).append(_Fault("lost", times))

    def deactivate(self, user_id: str) -> None:
        with self._lock:
            self._users[user_id].deleted = True

    def archive(self, channel_id: str) -> None:
        """Someone archives a channel: Slack then refuses new messages in it with `is_archived`."""
        with self._lock:
            self._channels[channel_id].archived = True

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 2.0) -> bool:
        """Poll predicate until it holds (for app work that happens after the HTTP ack)."""
        deadline = time.monotonic() + timeout
        while True:
            if predicate():
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)

    def add_channel(self, name: str, members: list[str], *, private: bool = False, bot_member: bool = True) -> str:
        """Create a channel directly (as if a person made it); returns its id."""
        with self._lock:
            channel_id = f"C0{next(self._ids):07d}"
            all_members = [*members, BOT_USER_ID] if bot_member else list(members)
            creator = members[0] if members else BOT_USER_ID
            kind: Literal["public", "private"] = "private" if private else "public"
            self._channels[channel_id] = _Channel(channel_id, name, kind, all_members, creator, int(time.time()))
            return channel_id

    def im_channel(self, user_id: str) -> str:
        """The id of the bot's IM with a person (created if needed)."""
        with self._lock:
            return self._open_im(user_id).id

    def event_delivery(self, event: dict[str, Any], team_id: str) -> tuple[str, str, str]:
        """Whether Slack would deliver `event` to the app: (subscription, scope it needs, why not or "").

        Slack sends an event only when the manifest subscribes to it and the workspace's bot token holds its
        scope; a message or reaction only from a conversation the bot is a member of."""
        with self._lock:
            etype = str(event.get("type", ""))
            channel_id = str(event.get("channel") or (event.get("item") or {}).get("channel") or "")
            channel = self._channels.get(channel_id)
            name = etype
            if etype == "message":
                kind = (
                    channel.kind if channel is not None else {"D": "im", "G": "private"}.get(channel_id[:1], "public")
                )
                name = "message." + SCOPE_FAMILY[kind]
            options = event_scopes().get(name, ())
            if channel is not None and len(options) > 1:  # member_joined_channel: channels:read or groups:read
                family = SCOPE_FAMILY[channel.kind]
                options = tuple(s for s in options if s.split(":", 1)[0] == family) or options
            granted = self.granted(team_id)
            needed = next((s for s in options if s in granted), options[0] if options else "")
            why = ""
            if name not in manifest_events(str(self.manifest.resolve())):
                why = f"the manifest does not subscribe to {name}"
            elif (
                name == "message.im"
                and event.get("user") not in (None, BOT_USER_ID)
                and not event.get("bot_id")
                and not messages_tab_open(str(self.manifest.resolve()))
            ):
                why = "people cannot write to the app: its Messages tab is off or read-only in the manifest"
            elif needed and granted and needed not in granted:
                why = f"{name} needs the {needed} scope"
            elif etype in ("message", "reaction_added", "reaction_removed", "member_joined_channel") and (
                channel is not None and channel.kind != "im" and BOT_USER_ID not in channel.members
            ):
                why = f"the bot is not a member of {channel_id}"
            if not why:
                self.delivered.append((name, needed))
            return name, needed, why

    def command_delivery(self, command: str, team_id: str) -> str:
        """Why Slack would not send the app a slash command ("" when it would): the manifest must declare it and
        the install grant `commands`. A message shortcut (command "") needs `commands` too."""
        with self._lock:
            manifest = json.loads(self.manifest.read_text("utf-8"))
            declared = [c.get("command") for c in manifest.get("features", {}).get("slash_commands", [])]
            granted = self.granted(team_id)
            if command and command not in declared:
                return f"the manifest declares no {command} command"
            if granted and "commands" not in granted:
                return "the install did not grant the commands scope"
            self.delivered.append((command or "shortcut", "commands"))
            return ""

    def granted(self, team_id: str) -> set[str]:
        """The scopes the app holds in a workspace (empty when it holds no token there)."""
        with self._lock:
            return {s for t in self.tokens.values() if t.team_id == team_id and not t.revoked for s in t.scopes}

    def channel_members(self, channel_id: str) -> list[str]:
        with self._lock:
            return list(self._channels[channel_id].members)

    def channel_id_by_name(self, name: str) -> str | None:
        with self._lock:
            for channel in self._channels.values():
                if channel.name == name.lstrip("#"):
                    return channel.id
            return None

    # ------------------------------------------------------------------ recorded views

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def seen_by(self, user_id: str) -> list[Seen]:
        with self._lock:
            items: list[Seen] = []
            for channel in self._channels.values():
                if channel.kind == "im":
                    if channel.user != user_id:
                        continue
                elif user_id not in channel.members:
                    continue
                kind: SeenKind = "dm" if channel.kind == "im" else "channel"
                items.extend(self._seen_message(m, kind) for m in self._messages.get(channel.id, []))
            for item in self._private:
                if item.user == user_id and not item.deleted:
                    items.append(
                        Seen(
                            item.kind,
                            item.channel,
                            item.text,
                            list(item.blocks),
                            item.ts,
                            item.view,
                            seq=item.seq,
                        )
                    )
            return sorted((i for i in items if i.seq > 0), key=lambda i: i.seq)

    def dms(self, user_id: str) -> list[Seen]:
        return [s for s in self.seen_by(user_id) if s.kind == "dm"]

    def dm_counts(self) -> dict[str, int]:
        """How many messages (not deleted) each person's DM with the app holds, in one pass over the DMs: what
        `dms` says person by person, for benchmarks of thousands of people."""
        with self._lock:
            return {
                channel.user: sum(1 for m in self._messages.get(channel.id, []) if not m.deleted)
                for channel in self._channels.values()
                if channel.kind == "im" and channel.user
            }

    def messages_in(self, channel_id: str) -> list[Seen]:
        with self._lock:
            channel = self._channels.get(channel_id)
            kind: SeenKind = "dm" if channel is not None and channel.kind == "im" else "channel"
            return [self._seen_message(m, kind) for m in self._messages.get(channel_id, []) if not m.deleted]

    def last_modal(self, user_id: str) -> dict[str, Any] | None:
        """The latest modal shown to a person (the whole view object, with its latest update)."""
        with self._lock:
            for item in reversed(self._private):
                if item.user == user_id and item.kind == "modal" and item.view is not None:
                    current = self._views.get(str(item.view.get("id")))
                    return json.loads(json.dumps(current.view if current else item.view))
            return None

    def open_modals(self, user_id: str) -> list[dict[str, Any]]:
        """The modal stack a person currently has open (bottom first)."""
        with self._lock:
            stack = self._modal_stacks.get(user_id, [])
            return [json.loads(json.dumps(self._views[v].view)) for v in stack if v in self._views]

    def home(self, user_id: str) -> dict[str, Any] | None:
        with self._lock:
            view_id = self._homes.get(user_id)
            return json.loads(json.dumps(self._views[view_id].view)) if view_id else None

    def transcript(self, user_id: str) -> str:
        """Everything a person saw, in order, as readable text."""
        with self._lock:
            names = {p.id: p.real_name for p in self._users.values()}
            channel_names = {c.id: c.name for c in self._channels.values()}
            entries: list[str] = []
            for seen in self.seen_by(user_id):
                where = self._where(seen.channel, user_id)
                if seen.kind == "dm":
                    label = f"DM from {BOT_REAL_NAME}" + (", in thread" if seen.thread_ts else "")
                elif seen.kind == "channel":
                    label = where + (", in thread" if seen.thread_ts else "")
                elif seen.kind == "ephemeral":
                    label = f"only visible to you in {where}"
                elif seen.kind == "response":
                    label = f"reply, only visible to you in {where}"
                elif seen.kind == "modal":
                    title = (seen.view or {}).get("title") or {}
                    label = f"modal: {title.get('text', '') if isinstance(title, dict) else title}"
                else:
                    label = "App Home"
                if seen.kind in ("modal", "home"):
                    body = render_view(seen.view)
                else:
                    body = render_blocks(seen.blocks) if seen.blocks else seen.text
                for f in seen.files:
                    body += f'\n[file: {f.get("name")} "{f.get("title")}" ({f.get("size")} bytes)]'
                body = _humanize(body.strip(), names, channel_names)
                lines = body.splitlines() or [""]
                entry = f"[{label}] {lines[0]}"
                if len(lines) > 1:
                    entry += "\n" + "\n".join(f"    {line}" for line in lines[1:])
                entries.append(entry)
            return "\n".join(entries)

    def _where(self, channel_id: str | None, user_id: str) -> str:
        channel = self._channels.get(channel_id or "")
        if channel is None:
            return f"#{channel_id}" if channel_id else "Slack"
        if channel.kind == "im":
            return f"DM with {BOT_REAL_NAME}"
        if channel.kind == "mpim":
            others = [self._users[m].real_name for m in channel.members if m != user_id and m in self._users]
            return "group DM with " + ", ".join(others)
        return f"#{channel.name}"

    def _seen_message(self, message: _Message, kind: SeenKind) -> Seen:
        return Seen(
            kind,
            message.channel,
            message.text,
            list(message.blocks),
            message.ts,
            None,
            files=list(message.files),
            thread_ts=message.thread_ts,
            seq=0 if message.deleted else message.seq,
        )

    # ------------------------------------------------------------------ HTTP entry

    def handle_http(
        self, verb: str, path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(path)
        lowered = {k.lower(): v for k, v in headers.items()}
        if parts.path.startswith("/api/"):
            return self._handle_api(parts.path[len("/api/") :], parts.query, lowered, raw)
        if parts.path.startswith("/upload/") and verb == "POST":
            return self._handle_upload(parts.path[len("/upload/") :], lowered, raw)
        if parts.path.startswith("/files-pri/") and verb == "GET":
            return self._handle_download(parts.path[len("/files-pri/") :], lowered)
        if parts.path.startswith("/respond/") and verb == "POST":
            return self._handle_respond(parts.path[len("/respond/") :], lowered, raw)
        return 404, {"Content-Type": "text/plain; charset=utf-8"}, b"not found"

    @staticmethod
    def _json(
        status: int, body: dict[str, Any], extra: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        headers = {"Content-Type": "application/json; charset=utf-8", **(extra or {})}
        return status, headers, json.dumps(body).encode("utf-8")

    def _parse_params(self, query: str, headers: dict[str, str], raw: bytes) -> dict[str, Any]:
        params: dict[str, Any] = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        content_type = headers.get("content-type", "").lower()
        if not raw:
            return params
        if "application/json" in content_type:
            body = json.loads(raw.decode("utf-8"))
            if not isinstance(body, dict):
                raise SlackError("invalid_json")
            params.update(body)
        elif "multipart/form-data" in content_type:
            message = BytesParser(policy=HTTP).parsebytes(
                b"Content-Type: " + headers["content-type"].encode() + b"\r\n\r\n" + raw
            )
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True)
                if isinstance(name, str) and isinstance(payload, bytes):
                    params[name] = payload if part.get_filename() else payload.decode("utf-8")
        else:
            form = parse_qs(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
            params.update({k: v[-1] for k, v in form.items()})
        return params

    def _handle_api(
        self, method: str, query: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        self._caller.token, self._caller.team_id, self._caller.scope = "", "", ""
        spec = method_params(method)
        if spec is None and method not in self._handlers:
            return self._record(method, {}, 200, {"ok": False, "error": "unknown_method"})
        try:
            params = self._parse_params(query, headers, raw)
        except (ValueError, UnicodeDecodeError, SlackError):
            return self._record(method, {}, 200, {"ok": False, "error": "invalid_form_data"})
        auth = headers.get("authorization", "")
        token = auth[len("Bearer ") :].strip() if auth.startswith("Bearer ") else ""
        token = token or str(params.pop("token", "") or "")
        params.pop("token", None)
        decoded = self._decode(params)
        self._caller.token, self._caller.team_id = token, ""
        if method == "oauth.v2.access":
            # Authenticated by the app's client id and secret (HTTP Basic, or form fields), not by a token.
            self._caller.token = ""
            if not self._client_credentials_ok(auth, params):
                return self._record(method, decoded, 200, {"ok": False, "error": "invalid_client_id"})
        else:
            if not token:
                return self._record(method, decoded, 200, {"ok": False, "error": "not_authed"})
            with self._lock:
                known = self.tokens.get(token) or (_Token(self.team_id) if token == self.app_token else None)
            if known is not None and (token == self.app_token) != (method == "apps.connections.open"):
                # An app-level token calls only apps.connections.open, which takes no other kind of token.
                return self._record(method, decoded, 200, {"ok": False, "error": "not_allowed_token_type"})
            if known is None:
                return self._record(method, decoded, 200, {"ok": False, "error": "invalid_auth"})
            self._caller.team_id = known.team_id
            if known.revoked:
                return self._record(method, decoded, 200, {"ok": False, "error": "token_revoked"})
            if known.expires_at is not None and known.expires_at < time.time():
                return self._record(method, decoded, 200, {"ok": False, "error": "token_expired"})
            with self._lock:
                needed = self._needed_scope(method, decoded, known.scopes)
            self._caller.scope = needed
            if needed and needed not in known.scopes:
                answer = {"ok": False, "error": "missing_scope", "needed": needed, "provided": ",".join(known.scopes)}
                return self._record(method, decoded, 200, answer)

        with self._lock:
            fault = self._take_fault(method)
        lose = fault is not None and fault.kind == "lost"
        if fault is not None and not lose:
            if fault.kind == "error":
                return self._record(method, decoded, 200, {"ok": False, "error": fault.error})
            if fault.kind == "ratelimit":
                return self._record(
                    method,
                    decoded,
                    429,
                    {"ok": False, "error": "ratelimited"},
                    {"Retry-After": str(fault.retry_after)},
                )
            self._record(method, decoded, fault.status, {"error": "server_error"})
            body = f"<html><body>{fault.status} Service Unavailable</body></html>".encode()
            return fault.status, {"Content-Type": "text/html; charset=utf-8"}, body

        if self.rate_limits:
            with self._lock:
                wait = self._bucket_for(method, params).take()
                if method == "chat.postMessage" and wait == 0 and self.post_per_minute is not None:
                    workspace = self._buckets.get("chat.postMessage:*")
                    if workspace is None:
                        per_second = self.post_per_minute / 60.0
                        workspace = self._buckets["chat.postMessage:*"] = _Bucket(per_second * 10, per_second)
                    wait = workspace.take()
                if wait == 0 and method == "chat.postMessage" and self._random.random() < self.random_429:
                    wait = 1.0
                if wait == 0 and method == "chat.postMessage" and self._random.random() < self.random_lost:
                    lose = True
            if wait > 0:
                retry_after = max(1, int(wait + 0.999))
                return self._record(
                    method,
                    decoded,
                    429,
                    {"ok": False, "error": "ratelimited"},
                    {"Retry-After": str(retry_after)},
                )

        try:
            self._validate(method, spec or (), params)
            with self._lock:
                handler = self._handlers.get(method)
                if handler is None:
                    self.warnings.append(f"{method} is a real Slack method the stand-in does not simulate")
                    response: dict[str, Any] = {"ok": True}
                else:
                    response = handler(self._decode_strict(method, params))
        except SlackError as err:
            return self._record(method, decoded, err.status, err.body())
        if lose:  # done, but the answer is lost: status 0 in the record, and the connection drops
            self._record(method, decoded, 0, response)
            return 0, {}, b""
        return self._record(method, decoded, 200, response)

    def _record(
        self,
        method: str,
        params: dict[str, Any],
        status: int,
        response: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        token, team_id = getattr(self._caller, "token", ""), getattr(self._caller, "team_id", "")
        scope = getattr(self._caller, "scope", "")
        with self._lock:
            self.calls.append(Call(method, params, status, response, time.time(), token, team_id, scope))
        return self._json(status, response, headers)

    def _conversation_kind(self, method: str, params: dict[str, Any]) -> str | None:
        """The kind of conversation a call acts on (public, private, im, mpim), or None when Slack could not tell
        (then the method itself answers, e.g. channel_not_found)."""
        if method == "conversations.create":
            return "private" if str(params.get("is_private", "")).lower() in ("true", "1") else "public"
        users = params.get("users")
        if method == "conversations.open" and users:
            wanted = {u for u in (users if isinstance(users, list) else str(users).split(",")) if u != BOT_USER_ID}
            return "im" if len(wanted) == 1 else "mpim"
        channel_id = str(params.get("channel") or params.get("channel_id") or "")
        if channel_id[:1] in ("U", "W"):
            return "im"
        channel = self._channels.get(channel_id)
        return channel.kind if channel is not None else None

    def _needed_scope(self, method: str, params: dict[str, Any], granted: tuple[str, ...]) -> str:
        """The scope Slack requires of this call: one of those the spec names for the method, and for a
        conversation method the one of the conversation's kind (channels:, groups:, im:, mpim:)."""
        if method.startswith("views.") and '"file_input"' in json.dumps(params.get("view") or {}):
            return FILES_SCOPE  # "your app must have the files:read scope" to use the file_input element
        options = method_scopes(method)
        if not options:
            return ""
        families = {scope.split(":", 1)[0] for scope in options}
        if len(options) > 1 and families <= set(SCOPE_FAMILY.values()):
            kind = self._conversation_kind(method, params)
            if kind is None:
                return ""
            family = SCOPE_FAMILY[kind]
            return next((s for s in options if s.split(":", 1)[0] == family), "")
        return next((s for s in options if s in granted), options[0])

    def _take_fault(self, method: str) -> _Fault | None:
        queue = self._faults.get(method)
        if not queue:
            return None
        fault = queue[0]
        fault.times -= 1
        if fault.times <= 0:
            queue.pop(0)
        return fault

    def _bucket_for(self, method: str, params: dict[str, Any]) -> _Bucket:
        if method == "chat.postMessage":
            key = f"{method}:{params.get('channel', '')}"
            capacity, per_second = 5.0, 1.0
        else:
            key = method
            limit = per_minute_limit(method)
            # Tier 1 is "1+ per minute; a small amount of burst behavior is tolerated" (Slack's rate limit docs).
            capacity, per_second = (3.0 if limit == 1 else float(limit)), limit / 60.0
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(capacity, per_second)
        return bucket

    # ------------------------------------------------------------------ argument checks

    @staticmethod
    def _decode(params: dict[str, Any]) -> dict[str, Any]:
        """A copy of params with JSON-bearing and comma-list fields decoded (best effort, for recording)."""
        decoded = dict(params)
        for key in JSON_FIELDS:
            value = decoded.get(key)
            if isinstance(value, str) and value:
                with contextlib.suppress(ValueError):
                    decoded[key] = json.loads(value)
        for key in LIST_FIELDS:
            value = decoded.get(key)
            if isinstance(value, str):
                decoded[key] = [v.strip() for v in value.split(",") if v.strip()]
        return decoded

    @staticmethod
    def _decode_strict(method: str, params: dict[str, Any]) -> dict[str, Any]:
        decoded = dict(params)
        for key in JSON_FIELDS:
            value = decoded.get(key)
            if isinstance(value, str) and value:
                try:
                    decoded[key] = json.loads(value)
                except ValueError as err:
                    if key in ("blocks", "attachments"):
                        raise SlackError(f"invalid_{key}", [f"[ERROR] {key} is not valid JSON: {err}"]) from None
                    raise SlackError("invalid_arguments", [f"[ERROR] {key} is not valid JSON: {err}"]) from None
        for key in LIST_FIELDS:
            value = decoded.get(key)
            if isinstance(value, str):
                decoded[key] = [v.strip() for v in value.split(",") if v.strip()]
        return decoded

    @staticmethod
    def _validate(method: str, spec: tuple[dict[str, Any], ...], params: dict[str, Any]) -> None:
        messages: list[str] = []
        required = {p["name"] for p in spec if p.get("required")} | set(EXTRA_REQUIRED.get(method, []))
        for name in sorted(required):
            value = params.get(name)
            if value is None or value == "" or value == []:
                messages.append(f"[ERROR] missing required field: {name}")
        for p in spec:
            value = params.get(p["name"])
            if value is None or value == "":
                continue
            ptype = p.get("type")
            ok = True
            if ptype == "integer":
                if isinstance(value, bool):
                    ok = False
                elif not isinstance(value, int):
                    try:
                        int(str(value))
                    except ValueError:
                        ok = False
            elif ptype == "number":
                if isinstance(value, bool):
                    ok = False
                elif not isinstance(value, int | float):
                    try:
                        float(str(value))
                    except ValueError:
                        ok = False
            elif ptype == "boolean":
                ok = isinstance(value, bool) or str(value).lower() in ("true", "false", "1", "0")
            if not ok:
                messages.append(f"[ERROR] invalid value for field {p['name']}: expected {ptype}, got {value!r}")
        if messages:
            raise SlackError("invalid_arguments", messages)

    # ------------------------------------------------------------------ helpers

    def _new_ts(self) -> str:
        micro = max(int(time.time() * 1_000_000), self._last_ts_micro + 1)
        self._last_ts_micro = micro
        return f"{micro // 1_000_000}.{micro % 1_000_000:06d}"

    def _person(self, user_id: Any, error: str = "user_not_found") -> Person:
        person = self._users.get(str(user_id))
        if person is None:
            raise SlackError(error)
        return person

    def _open_im(self, user_id: str) -> _Channel:
        channel_id = "D" + user_id[1:]
        channel = self._channels.get(channel_id)
        if channel is None:
            channel = _Channel(
                channel_id, channel_id, "im", [user_id, BOT_USER_ID], BOT_USER_ID, int(time.time()), user_id
            )
            self._channels[channel_id] = channel
        return channel

    def _channel(self, channel_id: Any, *, allow_user: bool = False, need_bot: bool = True) -> _Channel:
        value = str(channel_id or "")
        if allow_user and value[:1] in ("U", "W"):
            person = self._person(value, "channel_not_found")
            if person.deleted:
                raise SlackError("account_inactive")
            return self._open_im(person.id)
        channel = self._channels.get(value)
        if channel is None:
            if value.startswith("#"):
                found = self.channel_id_by_name(value)
                if found:
                    channel = self._channels[found]
            if channel is None:
                raise SlackError("channel_not_found")
        if channel.kind == "im" and channel.user and self._users[channel.user].deleted:
            raise SlackError("account_inactive")
        if need_bot and BOT_USER_ID not in channel.members:
            if channel.kind != "public":  # a private channel or group DM the bot is not in is invisible to it
                raise SlackError("channel_not_found")
            raise SlackError("not_in_channel")
        return channel

    def _channel_object(self, channel: _Channel) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "id": channel.id,
            "created": channel.created,
            "is_archived": channel.archived,
            "is_org_shared": False,
            "is_im": channel.kind == "im",
            "is_mpim": channel.kind == "mpim",
            "context_team_id": self.team_id,
        }
        if channel.kind == "im":
            obj.update({"user": channel.user, "is_open": True, "last_read": "0000000000.000000"})
            return obj
        obj.update(
            {
                "name": channel.name,
                "name_normalized": channel.name,
                "is_channel": channel.kind == "public",
                "is_group": channel.kind in ("private", "mpim"),
                "is_private": channel.kind != "public",
                "is_general": channel.id == GENERAL_CHANNEL_ID,
                "is_shared": False,
                "is_ext_shared": False,
                "creator": channel.creator,
                "is_member": BOT_USER_ID in channel.members,
                "topic": {"value": "", "creator": "", "last_set": 0},
                "purpose": {"value": "", "creator": "", "last_set": 0},
                "previous_names": [],
                "num_members": len(channel.members),
                "updated": channel.created * 1000,
            }
        )
        return obj

    def _bot_profile(self) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "deleted": False,
            "name": BOT_REAL_NAME,
            "updated": 1700000000,
            "app_id": APP_ID,
            "icons": {
                "image_36": "https://a.slack-edge.com/80588/img/plugins/app/bot_36.png",
                "image_48": "https://a.slack-edge.com/80588/img/plugins/app/bot_48.png",
                "image_72": "https://a.slack-edge.com/80588/img/plugins/app/service_72.png",
            },
            "team_id": self.team_id,
            "user_id": BOT_USER_ID,
        }

    def _message_object(self, message: _Message) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "type": "message",
            "user": message.user,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "text": message.text,
            "team": self.team_id,
            "ts": message.ts,
            "bot_profile": self._bot_profile(),
        }
        if message.blocks:
            obj["blocks"] = message.blocks
        if message.attachments:
            obj["attachments"] = message.attachments
        if message.thread_ts:
            obj["thread_ts"] = message.thread_ts
            obj["parent_user_id"] = BOT_USER_ID
        if message.files:
            obj["files"] = [{k: v for k, v in f.items() if k != "bytes"} for f in message.files]
            obj["upload"] = True
        if len(message.versions) > 1:
            obj["edited"] = {"user": BOT_USER_ID, "ts": message.versions[-1]["edited_ts"]}
        return obj

    def _message_content(
        self, params: dict[str, Any], *, method: str, required: bool = True
    ) -> tuple[str, list[Any], list[Any]]:
        text = params.get("text")
        text = "" if text is None else str(text)
        blocks = params.get("blocks") or []
        attachments = params.get("attachments") or []
        if not isinstance(blocks, list):
            raise SlackError("invalid_blocks", ["[ERROR] blocks must be an array"])
        if not isinstance(attachments, list):
            raise SlackError("invalid_attachments", ["[ERROR] attachments must be an array"])
        if required and not text and not blocks and not attachments:
            raise SlackError("no_text")
        problems = check_blocks(blocks, "message") if blocks else []
        if problems:
            raise SlackError("invalid_blocks", [f"[ERROR] {p}" for p in problems])
        if len(text) > 40000:
            raise SlackError("msg_too_long")
        if blocks and not text.strip():
            self.warnings.append(
                f"{method} with blocks but no plain `text` fallback (notifications and screen readers need it)"
            )
        return text, blocks, attachments

    # ------------------------------------------------------------------ methods: auth and users

    def _client_credentials_ok(self, auth: str, params: dict[str, Any]) -> bool:
        if self.oauth_client is None:
            return False
        client_id, client_secret = str(params.get("client_id") or ""), str(params.get("client_secret") or "")
        if auth.startswith("Basic "):
            with contextlib.suppress(ValueError, UnicodeDecodeError):
                client_id, _, client_secret = base64.b64decode(auth[len("Basic ") :]).decode().partition(":")
        return (client_id, client_secret) == self.oauth_client

    def _issue_bot_token(self, team_id: str, rotating: bool, scopes: tuple[str, ...]) -> dict[str, Any]:
        prefix = "xoxe.xoxb" if rotating else "xoxb"
        token = f"{prefix}-{team_id}-{secrets.token_hex(16)}"
        expires_at = time.time() + self.token_lifetime if rotating else None
        self.tokens[token] = _Token(team_id, scopes, expires_at)
        issued: dict[str, Any] = {"access_token": token, "token_type": "bot"}
        if rotating:
            refresh = f"xoxe-1-{team_id}-{secrets.token_hex(24)}"
            self._refresh_tokens[refresh] = team_id
            self._refresh_scopes[refresh] = scopes
            issued.update({"refresh_token": refresh, "expires_in": self.token_lifetime})
        return issued

    def _oauth_v2_access(self, params: dict[str, Any]) -> dict[str, Any]:
        """Exchange an install's code for a bot token, or (grant_type=refresh_token) refresh a rotating one."""
        if params.get("grant_type") == "refresh_token":
            refresh = str(params.get("refresh_token") or "")
            team_id = self._refresh_tokens.get(refresh)
            if team_id is None:
                raise SlackError("invalid_refresh_token")
            granted = self._refresh_scopes.get(refresh, self.scopes)
            issued = self._issue_bot_token(team_id, rotating=True, scopes=granted)
            scopes = ",".join(granted)
        else:
            code = str(params.get("code") or "")
            if not code:
                raise SlackError("invalid_code")
            grant = self._grants.pop(code, None)
            if grant is None or time.time() - grant.issued_at > 600:
                raise SlackError("invalid_code")
            granted = tuple(s.strip() for s in grant.scopes.split(",") if s.strip()) or self.scopes
            team_id, scopes = grant.team_id, ",".join(granted)
            self.team_names[team_id] = grant.team_name
            issued = self._issue_bot_token(team_id, rotating=grant.rotating, scopes=granted)
            issued["authed_user"] = {"id": grant.installer}
        self._caller.team_id = team_id
        return {
            "ok": True,
            **issued,
            "scope": scopes,
            "bot_user_id": BOT_USER_ID,
            "app_id": APP_ID,
            "team": {"id": team_id, "name": self.team_names.get(team_id, team_id)},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        team_id = getattr(self._caller, "team_id", "") or self.team_id
        return {
            "ok": True,
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": self.team_names.get(team_id, TEAM_NAME),
            "user": BOT_PERSON.name,
            "team_id": team_id,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "is_enterprise_install": False,
        }

    def _caller_scopes(self) -> frozenset[str]:
        known = self.tokens.get(getattr(self._caller, "token", "") or "")
        return frozenset(known.scopes if known is not None else self.scopes)

    def _user_object(self, person: Person) -> dict[str, Any]:
        user = self._user_fields(person)
        if EMAIL_SCOPE not in self._caller_scopes():
            user["profile"].pop("email", None)
        elif person.email:
            self.emails_given.add(person.email)
        return user

    def data_scopes(self) -> set[str]:
        """Scopes whose data the app went on to use: an email only `users:read.email` reveals that then appears
        in something the app sent (a call's arguments or an uploaded file)."""
        with self._lock:
            uploaded = b"\n".join(f.data or b"" for f in self._files.values())
            sent = json.dumps([c.params for c in self.calls], default=str)
            given = set(self.emails_given)
        used = any(email.encode() in uploaded or email in sent for email in given)
        return {EMAIL_SCOPE} if used else set()

    def _user_fields(self, person: Person) -> dict[str, Any]:
        return {
            "id": person.id,
            "team_id": self.team_id,
            "name": person.name,
            "deleted": person.deleted,
            "color": "9f69e7",
            "real_name": person.real_name,
            "tz": person.tz,
            "tz_label": person.tz_label,
            "tz_offset": person.tz_offset,
            "profile": {
                "title": person.title,
                "phone": "",
                "skype": "",
                "real_name": person.real_name,
                "real_name_normalized": person.real_name,
                "display_name": person.first_name if not person.is_bot else person.real_name,
                "display_name_normalized": person.first_name if not person.is_bot else person.real_name,
                "status_text": self._statuses.get(person.id, ("", "", 0))[1],
                "status_emoji": self._statuses.get(person.id, ("", "", 0))[0],
                "status_expiration": self._statuses.get(person.id, ("", "", 0))[2],
                "avatar_hash": hashlib.md5(person.id.encode()).hexdigest()[:12],
                **{
                    f"image_{size}": f"https://avatars.slack-edge.example/{person.id}_{size}.png"
                    for size in (24, 32, 48, 72, 192)
                },
                "email": person.email,
                "first_name": person.first_name,
                "last_name": person.last_name,
                "team": self.team_id,
                **({"bot_id": BOT_ID, "api_app_id": APP_ID, "always_active": True} if person.is_bot else {}),
            },
            "is_admin": person.is_admin,
            "is_owner": person.is_owner,
            "is_primary_owner": person.is_owner,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": person.is_bot,
            "is_app_user": False,
            "updated": 1700000000,
        }

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "user": self._user_object(self._person(params.get("user")))}

    def _users_lookup_by_email(self, params: dict[str, Any]) -> dict[str, Any]:
        email = str(params.get("email", "")).lower()
        for person in self._users.values():
            if person.email and person.email.lower() == email:
                return {"ok": True, "user": self._user_object(person)}
        raise SlackError("users_not_found")

    @staticmethod
    def _page(items: list[Any], params: dict[str, Any], default_limit: int) -> tuple[list[Any], str]:
        limit = int(params.get("limit") or 0) or default_limit
        cursor = str(params.get("cursor") or "")
        start = 0
        if cursor:
            try:
                start = int(cursor.removeprefix("dXNlcjo"))
            except ValueError:
                raise SlackError("invalid_cursor") from None
        page = items[start : start + limit]
        next_cursor = f"dXNlcjo{start + limit}" if start + limit < len(items) else ""
        return page, next_cursor

    def _users_list(self, params: dict[str, Any]) -> dict[str, Any]:
        members = [self._user_object(p) for p in self._users.values()]
        page, next_cursor = self._page(members, params, 1000)
        return {
            "ok": True,
            "members": page,
            "cache_ts": int(time.time()),
            "response_metadata": {"next_cursor": next_cursor},
        }

    # ------------------------------------------------------------------ methods: conversations

    def _conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        users: list[str] = list(params.get("users") or [])
        if not users:
            if params.get("channel"):
                channel = self._channel(params["channel"])
                return {"ok": True, "channel": self._channel_object(channel), "already_open": True}
            raise SlackError("users_list_not_supplied")
        users = list(dict.fromkeys(u for u in users if u != BOT_USER_ID))
        if len(users) > 8:
            raise SlackError("too_many_users")
        if not users:
            raise SlackError("cannot_dm_bot")
        for user in users:
            person = self._person(user)
            if person.deleted:
                raise SlackError("user_disabled")
        if len(users) == 1:
            existed = ("D" + users[0][1:]) in self._channels
            channel = self._open_im(users[0])
        else:
            wanted = {*users, BOT_USER_ID}
            found = next((c for c in self._channels.values() if c.kind == "mpim" and set(c.members) == wanted), None)
            existed = found is not None
            if found is None:
                names = "--".join(self._users[u].name for u in [*users, BOT_USER_ID])
                channel_id = f"G0{next(self._ids):07d}"
                found = _Channel(
                    channel_id, f"mpdm-{names}-1", "mpim", [*users, BOT_USER_ID], BOT_USER_ID, int(time.time())
                )
                self._channels[channel_id] = found
            channel = found
        result: dict[str, Any] = {"ok": True}
        truthy = str(params.get("return_im", "")).lower() in ("true", "1")
        result["channel"] = self._channel_object(channel) if truthy else {"id": channel.id}
        if existed:
            result["no_op"] = True
            result["already_open"] = True
        return result

    def _conversations_create(self, params: dict[str, Any]) -> dict[str, Any]:
        name = str(params.get("name", ""))
        if len(name) > 80:
            raise SlackError("invalid_name_maxlength")
        if not CHANNEL_NAME_RE.match(name):
            raise SlackError("invalid_name_specials")
        if any(c.name == name for c in self._channels.values() if c.kind != "im"):
            raise SlackError("name_taken")
        private = params.get("is_private") in (True, "true", "1", 1)
        channel_id = f"C0{next(self._ids):07d}"
        channel = _Channel(
            channel_id, name, "private" if private else "public", [BOT_USER_ID], BOT_USER_ID, int(time.time())
        )
        self._channels[channel_id] = channel
        return {"ok": True, "channel": self._channel_object(channel)}

    def _conversations_invite(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params.get("channel"))
        if channel.kind in ("im", "mpim"):
            raise SlackError("method_not_supported_for_channel_type")
        if channel.archived:
            raise SlackError("is_archived")
        users: list[str] = list(params.get("users") or [])
        if len(users) > 1000:
            raise SlackError("too_many_users")
        for user in users:
            if user == BOT_USER_ID:
                raise SlackError("cant_invite_self")
            if self._person(user).deleted:
                raise SlackError("user_is_inactive")
        new = [u for u in dict.fromkeys(users) if u not in channel.members]
        if not new:
            raise SlackError("already_in_channel")
        channel.members.extend(new)
        return {"ok": True, "channel": self._channel_object(channel)}

    def _conversations_join(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params.get("channel"), need_bot=False)
        if channel.kind == "private" and BOT_USER_ID not in channel.members:
            raise SlackError("channel_not_found")
        if channel.kind != "public":
            raise SlackError("method_not_supported_for_channel_type")
        if channel.archived:
            raise SlackError("is_archived")
        result: dict[str, Any] = {"ok": True}
        if BOT_USER_ID in channel.members:
            result["warning"] = "already_in_channel"
            result["response_metadata"] = {"warnings": ["already_in_channel"]}
        else:
            channel.members.append(BOT_USER_ID)
        result["channel"] = self._channel_object(channel)
        return result

    def _conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params.get("channel"), need_bot=False)
        if channel.kind in ("private", "mpim") and BOT_USER_ID not in channel.members:
            raise SlackError("channel_not_found")
        return {"ok": True, "channel": self._channel_object(channel)}

    def _conversations_members(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params.get("channel"), need_bot=False)
        if channel.kind in ("private", "mpim") and BOT_USER_ID not in channel.members:
            raise SlackError("channel_not_found")
        page, next_cursor = self._page(list(channel.members), params, 100)
        return {"ok": True, "members": page, "response_metadata": {"next_cursor": next_cursor}}

    # ------------------------------------------------------------------ methods: chat

    def _chat_post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params.get("channel"), allow_user=True)
        if channel.archived:
            raise SlackError("is_archived")
        text, blocks, attachments = self._message_content(params, method="chat.postMessage")
        thread_ts = params.get("thread_ts") or None
        if thread_ts is not None:
            thread_ts = str(thread_ts)
            if not any(m.ts == thread_ts for m in self._messages.get(channel.id, [])):
                self.warnings.append(f"chat.postMessage thread_ts {thread_ts} is not a message in {channel.id}")
        message = _Message(next(self._seq), channel.id, self._new_ts(), text, blocks, attachments, thread_ts)
        metadata = params.get("metadata")
        if metadata is not None:
            if not isinstance(metadata, dict) or not isinstance(metadata.get("event_type"), str):
                raise SlackError("invalid_metadata_format")
            message.metadata = metadata
        message.versions.append({"text": text, "blocks": blocks, "attachments": attachments, "edited_ts": None})
        self._messages.setdefault(channel.id, []).append(message)
        return {"ok": True, "channel": channel.id, "ts": message.ts, "message": self._message_object(message)}

    def _conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        """Newest first, as Slack answers; message metadata only with include_all_metadata."""
        channel = self._channel(params.get("channel"))
        if channel.kind in ("public", "private") and BOT_USER_ID not in channel.members:
            raise SlackError("not_in_channel")
        try:
            limit = max(1, min(int(params.get("limit") or 100), 999))
        except (TypeError, ValueError):
            raise SlackError("invalid_limit") from None
        with_metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        messages = [m for m in self._messages.get(channel.id, []) if not m.deleted and m.thread_ts in (None, m.ts)]
        page = []
        for message in reversed(messages[-limit:]):
            obj = self._message_object(message)
            if with_metadata and message.metadata is not None:
                obj["metadata"] = message.metadata
            page.append(obj)
        return {"ok": True, "messages": page, "has_more": len(messages) > limit}

    def _chat_post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params.get("channel"), allow_user=True)
        person = self._person(params.get("user"))
        if person.deleted:
            raise SlackError("user_not_found")
        if channel.kind != "im" and person.id not in channel.members:
            raise SlackError("user_not_in_channel")
        if channel.kind == "im" and channel.user != person.id:
            raise SlackError("user_not_in_channel")
        text, blocks, _ = self._message_content(params, method="chat.postEphemeral")
        ts = self._new_ts()
        self._private.append(_Private(next(self._seq), person.id, "ephemeral", channel.id, text, blocks, ts))
        return {"ok": True, "message_ts": ts}

    def _find_message(self, channel_id: str, ts: str) -> _Message:
        for message in self._messages.get(channel_id, []):
            if message.ts == ts and not message.deleted:
                return message
        raise SlackError("message_not_found")

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params.get("channel"))
        message = self._find_message(channel.id, str(params.get("ts")))
        text, blocks, attachments = self._message_content(params, method="chat.update")
        message.text = text
        message.blocks = blocks
        message.attachments = attachments
        edited_ts = self._new_ts()
        message.versions.append({"text": text, "blocks": blocks, "attachments": attachments, "edited_ts": edited_ts})
        return {
            "ok": True,
            "channel": channel.id,
            "ts": message.ts,
            "text": text,
            "message": self._message_object(message),
        }

    def _chat_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params.get("channel"))
        message = self._find_message(channel.id, str(params.get("ts")))
        message.deleted = True
        return {"ok": True, "channel": channel.id, "ts": message.ts}

    def _chat_schedule_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params.get("channel"), allow_user=True)
        text, blocks, attachments = self._message_content(params, method="chat.scheduleMessage")
        try:
            post_at = int(float(str(params.get("post_at"))))
        except ValueError:
            raise SlackError("invalid_time") from None
        now = time.time()
        if post_at <= now:
            raise SlackError("time_in_past")
        if post_at > now + MAX_SCHEDULE_AHEAD:
            raise SlackError("time_too_far")
        scheduled_id = f"Q0{next(self._ids):07d}"
        self.scheduled.append(
            {"id": scheduled_id, "channel": channel.id, "post_at": post_at, "text": text, "blocks": blocks}
        )
        message: dict[str, Any] = {
            "type": "delayed_message",
            "text": text,
            "bot_id": BOT_ID,
            "user": BOT_USER_ID,
            "team": self.team_id,
            "app_id": APP_ID,
        }
        if blocks:
            message["blocks"] = blocks
        if attachments:
            message["attachments"] = attachments
        return {
            "ok": True,
            "channel": channel.id,
            "scheduled_message_id": scheduled_id,
            "post_at": post_at,
            "message": message,
        }

    # ------------------------------------------------------------------ methods: views

    def _check_view_param(self, view: Any) -> dict[str, Any]:
        problems = check_view(view)
        if problems:
            raise SlackError("invalid_arguments", [f"[ERROR] {p}" for p in problems])
        assert isinstance(view, dict)
        return view

    def _full_view(self, view: dict[str, Any], view_id: str, previous: dict[str, Any] | None) -> dict[str, Any]:
        full: dict[str, Any] = {
            "id": view_id,
            "team_id": self.team_id,
            "type": view.get("type"),
            "blocks": view.get("blocks", []),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": view.get("external_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "submit_disabled": bool(view.get("submit_disabled", False)),
            "root_view_id": (previous or {}).get("root_view_id", view_id),
            "previous_view_id": (previous or {}).get("previous_view_id"),
            "app_id": APP_ID,
            "app_installed_team_id": self.team_id,
            "bot_id": BOT_ID,
        }
        for key in ("title", "submit", "close"):
            if view.get(key) is not None:
                full[key] = view[key]
            elif view.get("type") == "modal":
                full[key] = None
        return full

    def _apps_connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if not self.socket_mode.url:
            self.socket_mode.start()
        return {"ok": True, "url": self.socket_mode.issue_url()}

    def _views_open(self, params: dict[str, Any], *, push: bool) -> dict[str, Any]:
        trigger = self._triggers.get(str(params.get("trigger_id")))
        if trigger is None:
            raise SlackError("invalid_trigger_id")
        if trigger.used:
            raise SlackError("exchanged_trigger_id")
        if time.monotonic() - trigger.issued_at > self.trigger_ttl:
            raise SlackError("expired_trigger_id")
        view = self._check_view_param(params.get("view"))
        if view.get("type") != "modal":
            raise SlackError("invalid_arguments", ["[ERROR] views.open and views.push take a modal view"])
        external_id = view.get("external_id")
        if external_id and any(v.view.get("external_id") == external_id for v in self._views.values()):
            raise SlackError("duplicate_external_id")
        stack = self._modal_stacks.setdefault(trigger.user, [])
        if push:
            if not stack:
                self.warnings.append("views.push while the person has no modal open")
            if len(stack) >= 3:
                raise SlackError("push_limit_reached")
        trigger.used = True
        view_id = f"V0{next(self._ids):07d}"
        previous = None
        if push and stack:
            root = self._views[stack[0]].view
            previous = {"root_view_id": root["id"], "previous_view_id": stack[-1]}
        full = self._full_view(view, view_id, previous)
        self._views[view_id] = _View(trigger.user, full)
        if push:
            stack.append(view_id)
        else:
            stack[:] = [view_id]
        self._private.append(_Private(next(self._seq), trigger.user, "modal", None, view=self._snapshot(full)))
        return {"ok": True, "view": full}

    @staticmethod
    def _snapshot(view: dict[str, Any]) -> dict[str, Any]:
        copied: dict[str, Any] = json.loads(json.dumps(view))
        return copied

    def _views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        view_id = params.get("view_id")
        external_id = params.get("external_id")
        if not view_id and not external_id:
            raise SlackError("invalid_arguments", ["[ERROR] either view_id or external_id is required"])
        current: _View | None = None
        if view_id:
            current = self._views.get(str(view_id))
        else:
            current = next((v for v in self._views.values() if v.view.get("external_id") == external_id), None)
        if current is None:
            raise SlackError("not_found")
        wanted_hash = params.get("hash")
        if wanted_hash and wanted_hash != current.view.get("hash"):
            raise SlackError("hash_conflict")
        view = self._check_view_param(params.get("view"))
        if view.get("type") != current.view.get("type"):
            raise SlackError("invalid_arguments", ["[ERROR] views.update cannot change the view type"])
        old = current.view
        full = self._full_view(view, old["id"], old)
        if not view.get("external_id"):
            full["external_id"] = old.get("external_id", "")
        current.view = full
        kind: SeenKind = "home" if full["type"] == "home" else "modal"
        self._private.append(_Private(next(self._seq), current.user, kind, None, view=self._snapshot(full)))
        return {"ok": True, "view": full}

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        person = self._person(params.get("user_id"))
        if person.deleted or person.is_bot:
            raise SlackError("user_not_found")
        view = self._check_view_param(params.get("view"))
        if view.get("type") != "home":
            raise SlackError("invalid_arguments", ["[ERROR] views.publish takes a view of type home"])
        existing_id = self._homes.get(person.id)
        existing = self._views.get(existing_id) if existing_id else None
        wanted_hash = params.get("hash")
        if wanted_hash and existing is not None and wanted_hash != existing.view.get("hash"):
            raise SlackError("hash_conflict")
        view_id = existing_id or f"V0{next(self._ids):07d}"
        full = self._full_view(view, view_id, existing.view if existing else None)
        self._views[view_id] = _View(person.id, full)
        self._homes[person.id] = view_id
        self._private.append(_Private(next(self._seq), person.id, "home", None, view=self._snapshot(full)))
        return {"ok": True, "view": full}

    def apply_view_response(self, user_id: str, view_id: str, response: Any) -> None:
        """What Slack does with the app's answer to a view_submission (called by SlackPlatform)."""
        with self._lock:
            stack = self._modal_stacks.setdefault(user_id, [])
            action = response.get("response_action") if isinstance(response, dict) else None
            if action == "errors":
                return
            if action in ("update", "push"):
                view = response.get("view") if isinstance(response, dict) else None
                problems = check_view(view)
                if problems:
                    self.warnings.append(f"response_action {action} with an invalid view: {problems}")
                    return
                assert isinstance(view, dict)
                if action == "update" and view_id in self._views:
                    old = self._views[view_id].view
                    full = self._full_view(view, view_id, old)
                else:
                    new_id = f"V0{next(self._ids):07d}"
                    root = stack[0] if stack else new_id
                    full = self._full_view(
                        view, new_id, {"root_view_id": root, "previous_view_id": stack[-1] if stack else None}
                    )
                    stack.append(new_id)
                self._views[full["id"]] = _View(user_id, full)
                self._private.append(_Private(next(self._seq), user_id, "modal", None, view=self._snapshot(full)))
                return
            if action == "clear":
                stack.clear()
            elif view_id in stack:
                del stack[stack.index(view_id) :]

    # ------------------------------------------------------------------ methods: files

    def _files_get_upload_url(self, params: dict[str, Any]) -> dict[str, Any]:
        length = int(params["length"])
        if length <= 0:
            raise SlackError("invalid_arguments", ["[ERROR] length must be positive"])
        file_id = f"F0{next(self._ids):07d}"
        self._files[file_id] = _File(file_id, str(params["filename"]), length, created=int(time.time()))
        return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        entries = params.get("files")
        if not isinstance(entries, list) or not entries:
            raise SlackError("invalid_arguments", ["[ERROR] files must be a non-empty JSON array"])
        files: list[_File] = []
        for entry in entries:
            if not isinstance(entry, dict) or not entry.get("id"):
                raise SlackError("invalid_arguments", ["[ERROR] each file needs an id"])
            stored = self._files.get(str(entry["id"]))
            if stored is None or stored.data is None:
                raise SlackError("file_not_found")
            stored.title = str(entry.get("title") or stored.filename)
            files.append(stored)
        channel_ids: list[str] = []
        if params.get("channel_id"):
            channel_ids.append(str(params["channel_id"]))
        channel_ids.extend(str(c) for c in params.get("channels") or [])
        channels = [self._channel(c, allow_user=True) for c in channel_ids]
        comment = str(params.get("initial_comment") or "")
        thread_ts = str(params["thread_ts"]) if params.get("thread_ts") else None
        for channel in channels:
            ts = self._new_ts()
            file_objects = []
            for f in files:
                f.channels.append(channel.id)
                file_objects.append({**self._file_object(f), "bytes": f.data})
            message = _Message(next(self._seq), channel.id, ts, comment, [], [], thread_ts, files=file_objects)
            message.versions.append({"text": comment, "blocks": [], "attachments": [], "edited_ts": None})
            self._messages.setdefault(channel.id, []).append(message)
        return {"ok": True, "files": [self._file_object(f) for f in files]}

    def _files_info(self, params: dict[str, Any]) -> dict[str, Any]:
        stored = self._files.get(str(params.get("file") or ""))
        if stored is None or stored.data is None:
            raise SlackError("file_not_found")
        return {"ok": True, "file": self._file_object(stored), "comments": [], "response_metadata": {"next_cursor": ""}}

    def _file_object(self, f: _File) -> dict[str, Any]:
        ext = f.filename.rsplit(".", 1)[-1].lower() if "." in f.filename else "binary"
        mimetypes = {
            "png": "image/png",
            "jpg": "image/jpeg",
            "csv": "text/csv",
            "txt": "text/plain",
            "ics": "text/calendar",
        }
        return {
            "id": f.id,
            "created": f.created,
            "timestamp": f.created,
            "name": f.filename,
            "title": f.title or f.filename,
            "mimetype": mimetypes.get(ext, "application/octet-stream"),
            "filetype": ext,
            "pretty_type": ext.upper(),
            "user": f.owner,
            "user_team": self.team_id,
            "editable": False,
            "size": len(f.data or b""),
            "mode": "hosted",
            "is_external": False,
            "is_public": False,
            "display_as_bot": False,
            "url_private": f"{self.base_url}/files-pri/{self.team_id}-{f.id}/{f.filename}",
            "url_private_download": f"{self.base_url}/files-pri/{self.team_id}-{f.id}/download/{f.filename}",
            "permalink": f"https://{TEAM_DOMAIN}.slack.com/files/{BOT_USER_ID}/{f.id}/{f.filename}",
            "channels": [c for c in f.channels if c.startswith("C")],
            "groups": [c for c in f.channels if c.startswith("G")],
            "ims": [c for c in f.channels if c.startswith("D")],
        }

    def _handle_upload(self, file_id: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, str], bytes]:
        plain = {"Content-Type": "text/plain; charset=utf-8"}
        with self._lock:
            stored = self._files.get(file_id)
            if stored is None:
                return 404, plain, b"file not found"
            data = raw
            content_type = headers.get("content-type", "")
            if content_type.lower().startswith("multipart/form-data"):
                message = BytesParser(policy=HTTP).parsebytes(
                    b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw
                )
                for part in message.iter_parts():
                    payload = part.get_payload(decode=True)
                    if isinstance(payload, bytes):
                        data = payload
                        break
            if len(data) != stored.length:
                self.warnings.append(f"upload of {stored.filename}: {len(data)} bytes sent, {stored.length} announced")
            stored.data = data
            return 200, plain, f"OK - {len(data)}".encode()

    def _handle_download(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        """A file's `url_private`: like Slack, only with a valid token of its workspace that holds `files:read`
        (else a 404 page). Each download is recorded as a call to "url_private" needing that scope."""
        auth = headers.get("authorization", "")
        token = auth[len("Bearer ") :].strip() if auth.startswith("Bearer ") else ""
        key, _, _name = path.partition("/")
        team_id, _, file_id = key.partition("-")
        with self._lock:
            known = self.tokens.get(token)
            stored = self._files.get(file_id)
            allowed = known is not None and not known.revoked and FILES_SCOPE in known.scopes
            found = known is not None and known.team_id == team_id and stored is not None and stored.data is not None
            status = 200 if allowed and found else 404
            self.calls.append(
                Call(
                    "url_private",
                    {"file": file_id},
                    status,
                    {"ok": status == 200},
                    time.time(),
                    token,
                    team_id,
                    FILES_SCOPE,
                )
            )
            if status != 200 or stored is None or stored.data is None:
                return 404, {"Content-Type": "text/html; charset=utf-8"}, b"<html><body>Not found</body></html>"
            ext = stored.filename.rsplit(".", 1)[-1].lower()
            mimetype = "text/calendar" if ext == "ics" else "application/octet-stream"
            return 200, {"Content-Type": mimetype}, stored.data

    # ------------------------------------------------------------------ response_url

    def _handle_respond(self, token: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, str], bytes]:
        plain = {"Content-Type": "text/plain; charset=utf-8"}
        with self._lock:
            target = self._response_urls.get(token)
            if target is None:
                return 404, plain, b"no_such_url"
            target.uses += 1
            if target.uses > RESPONSE_URL_USES:
                return 404, plain, b"used_url"
            try:
                body = json.loads(raw.decode("utf-8")) if raw else {}
            except (ValueError, UnicodeDecodeError):
                if "application/x-www-form-urlencoded" in headers.get("content-type", ""):
                    form = parse_qs(raw.decode("utf-8", "replace"))
                    body = json.loads(form.get("payload", ["{}"])[-1])
                else:
                    return 400, plain, b"invalid_payload"
            if not isinstance(body, dict):
                return 400, plain, b"invalid_payload"
            status, answer = self._respond_locked(target, body)
            if status != 200:
                self.warnings.append(f"response_url message refused: {answer.decode()}")
            self.calls.append(Call("response_url", dict(body), status, {"ok": status == 200}, time.time()))
            return status, plain, answer

    def _respond_locked(self, target: _ResponseUrl, body: dict[str, Any]) -> tuple[int, bytes]:
        """Apply one response_url message (the lock is held); the HTTP status and body Slack would answer."""
        blocks = body.get("blocks") or []
        text = str(body.get("text") or "")
        problems = check_blocks(blocks, "message") if blocks else []
        if problems:
            return 400, ("invalid_blocks: " + "; ".join(problems)).encode()
        delete = body.get("delete_original") in (True, "true")
        replace = body.get("replace_original") in (True, "true")
        if not delete and not text and not blocks and not body.get("attachments"):
            return 400, b"no_text"
        if blocks and not text.strip():
            self.warnings.append("response_url message with blocks but no plain `text` fallback")
        if (delete or replace) and target.message_ts:
            self._change_original(target, delete=delete, text=text, blocks=blocks)
            return 200, b"ok"
        if body.get("response_type") == "in_channel" and target.channel in self._channels:
            message = _Message(next(self._seq), target.channel, self._new_ts(), text, blocks, [], None)
            message.versions.append({"text": text, "blocks": blocks, "attachments": [], "edited_ts": None})
            self._messages.setdefault(target.channel, []).append(message)
        else:
            self._private.append(
                _Private(next(self._seq), target.user, "response", target.channel, text, blocks, self._new_ts())
            )
        return 200, b"ok"

    def _change_original(self, target: _ResponseUrl, *, delete: bool, text: str, blocks: list[Any]) -> None:
        for message in self._messages.get(target.channel, []):
            if message.ts == target.message_ts:
                if delete:
                    message.deleted = True
                else:
                    message.text, message.blocks = text, blocks
                    message.versions.append(
                        {"text": text, "blocks": blocks, "attachments": [], "edited_ts": self._new_ts()}
                    )
                return
        for item in self._private:
            if item.ts == target.message_ts and item.user == target.user:
                if delete:
                    item.deleted = True
                else:
                    item.text, item.blocks = text, blocks
                return
        self.warnings.append(f"response_url tried to change message {target.message_ts}, which does not exist")

    def message_versions(self, channel_id: str, ts: str) -> list[dict[str, Any]]:
        """All versions of a message (first = as posted), to check chat.update history."""
        with self._lock:
            for message in self._messages.get(channel_id, []):
                if message.ts == ts:
                    return [dict(v) for v in message.versions]
            return []

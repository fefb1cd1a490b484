"""Slack's Socket Mode, locally: the WebSocket endpoint that `apps.connections.open` hands out.

What Slack does (https://api.slack.com/apis/connections/socket-implement), and so what this does:
- `apps.connections.open`, called with the app-level token (`xapp-...`, scope `connections:write`), answers
  `{"ok": true, "url": "wss://.../link/?ticket=...&app_id=..."}`; each URL's ticket connects once.
- On connect Slack sends `{"type": "hello", "num_connections": N, "debug_info": {...}, "connection_info":
  {"app_id": ...}}`.
- Every payload comes in an envelope `{"envelope_id", "type": "events_api" | "slash_commands" | "interactive",
  "payload", "accepts_response_payload"}` (events also carry `retry_attempt`, `retry_reason`). The app acks with
  `{"envelope_id": ...}`, plus a `payload` where the envelope accepts one. Slack waits 3 seconds for the ack.
- Slack refreshes connections: `{"type": "disconnect", "reason": "refresh_requested", "debug_info": {...}}`;
  the app opens a new connection (a new `apps.connections.open`) and Slack sends nothing more on the old one.
  While no connection is open, Slack holds the payloads (and retries events) until one is.

The server is the `websockets` library's threaded server: a maintained RFC 6455 implementation (handshake,
masking, fragmentation, ping/pong, close), so the app's own WebSocket client is tested against a real one.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

EnvelopeType = Literal["events_api", "slash_commands", "interactive"]
ACK_DEADLINE = 3.0  # seconds Slack waits for an envelope's ack
HOST = "applink-standin-1"


@dataclass
class Envelope:
    """A payload Slack sent over a connection, and the app's ack (None until it came)."""

    envelope_id: str
    type: EnvelopeType
    payload: dict[str, Any]
    accepts_response_payload: bool
    connection: int
    sent_at: float
    acked_at: float | None = None
    ack: dict[str, Any] | None = None

    @property
    def acked(self) -> bool:
        return self.acked_at is not None

    @property
    def ack_seconds(self) -> float | None:
        return None if self.acked_at is None else self.acked_at - self.sent_at

    @property
    def acked_in_time(self) -> bool:
        """Whether the ack came within Slack's 3 seconds (later, Slack shows the person an error)."""
        seconds = self.ack_seconds
        return seconds is not None and seconds <= ACK_DEADLINE

    @property
    def response_payload(self) -> dict[str, Any] | None:
        payload = (self.ack or {}).get("payload")
        return payload if isinstance(payload, dict) else None


@dataclass
class _Connection:
    number: int
    ws: ServerConnection
    opened_at: float
    draining: bool = False  # asked to reconnect: Slack sends nothing more on it
    closed: bool = False


@dataclass
class SocketModeEndpoint:
    """The WebSocket side of Socket Mode, started by the stand-in on the first `apps.connections.open`."""

    app_id: str
    envelopes: list[Envelope] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # what the app did that Slack would not accept
    connects: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Condition()
        self._tickets: set[str] = set()
        self._connections: list[_Connection] = []
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> SocketModeEndpoint:
        server = serve(self._serve, "127.0.0.1", 0, process_request=self._check_ticket, compression=None)
        self._server = server
        self.url = f"ws://127.0.0.1:{server.socket.getsockname()[1]}"
        self._thread = threading.Thread(target=server.serve_forever, name="slack-socket-mode", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            connection.ws.close()
        if self._server is not None:
            self._server.shutdown()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def issue_url(self) -> str:
        """A one-time WebSocket URL, as `apps.connections.open` returns."""
        ticket = secrets.token_hex(16)
        with self._lock:
            self._tickets.add(ticket)
        return f"{self.url}/link/?ticket={ticket}&app_id={self.app_id}"

    # ------------------------------------------------------------------ what the tests do

    def live(self) -> list[int]:
        """The numbers of the open connections Slack would deliver to."""
        with self._lock:
            return [c.number for c in self._connections if not c.closed and not c.draining]

    def wait_connected(self, *, more_than: int = 0, timeout: float = 20.0) -> int:
        """Wait until the app holds an open connection numbered above `more_than`; return its number."""
        with self._lock:
            if not self._lock.wait_for(lambda: any(n > more_than for n in self.live()), timeout):
                raise TimeoutError(f"the app opened no Socket Mode connection within {timeout}s")
            return max(self.live())

    def deliver(
        self,
        kind: EnvelopeType,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool,
        timeout: float = 20.0,
    ) -> Envelope:
        """Send a payload in an envelope over an open connection (waiting for one, as Slack holds payloads
        while the app reconnects). Returns the recorded envelope; see `wait_ack`."""
        envelope_id = str(uuid.uuid4())
        with self._lock:
            if not self._lock.wait_for(lambda: bool(self.live()), timeout):
                raise TimeoutError(f"no Socket Mode connection to deliver to within {timeout}s")
            number = max(self.live())
            connection = next(c for c in self._connections if c.number == number)
            envelope = Envelope(envelope_id, kind, payload, accepts_response_payload, number, time.monotonic())
            self.envelopes.append(envelope)
        frame: dict[str, Any] = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": kind,
            "accepts_response_payload": accepts_response_payload,
        }
        if kind == "events_api":
            frame["retry_attempt"] = 0
            frame["retry_reason"] = ""
        connection.ws.send(json.dumps(frame))
        return envelope

    def wait_ack(self, envelope: Envelope, timeout: float = 10.0) -> Envelope:
        """Wait (up to `timeout`, which is longer than Slack's patience) for the app's ack of an envelope."""
        with self._lock:
            self._lock.wait_for(lambda: envelope.acked, timeout)
        return envelope

    def disconnect(self, reason: str = "refresh_requested") -> list[int]:
        """Ask the app to move to a new connection, as Slack does every few hours; returns the old ones."""
        with self._lock:
            old = [c for c in self._connections if not c.closed and not c.draining]
            for connection in old:
                connection.draining = True
        message = json.dumps({"type": "disconnect", "reason": reason, "debug_info": {"host": HOST}})
        for connection in old:
            with contextlib.suppress(ConnectionClosed):
                connection.ws.send(message)
        return [c.number for c in old]

    def closed(self) -> list[int]:
        with self._lock:
            return [c.number for c in self._connections if c.closed]

    # ------------------------------------------------------------------ the server

    def _check_ticket(self, ws: ServerConnection, request: Request) -> Response | None:
        parts = urlsplit(request.path)
        ticket = (parse_qs(parts.query).get("ticket") or [""])[0]
        with self._lock:
            valid = parts.path.rstrip("/") == "/link" and ticket in self._tickets
            self._tickets.discard(ticket)
        if valid:
            return None
        with self._lock:
            self.problems.append(f"connection refused: {request.path} is not a URL apps.connections.open issued")
        return Response(HTTPStatus.UNAUTHORIZED, "Unauthorized", Headers(), b"invalid ticket\n")

    def _serve(self, ws: ServerConnection) -> None:
        with self._lock:
            self.connects += 1
            connection = _Connection(self.connects, ws, time.monotonic())
            self._connections.append(connection)
            live = len([c for c in self._connections if not c.closed])
        ws.send(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": live,
                    "debug_info": {"host": HOST, "build_number": 1, "approximate_connection_time": 18060},
                    "connection_info": {"app_id": self.app_id},
                }
            )
        )
        with self._lock:
            self._lock.notify_all()
        try:
            for raw in ws:
                self._receive(raw)
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                connection.closed = True
                self._lock.notify_all()

    def _receive(self, raw: str | bytes) -> None:
        now = time.monotonic()
        try:
            frame = json.loads(raw)
        except ValueError:
            frame = None
        with self._lock:
            if not isinstance(frame, dict) or not isinstance(frame.get("envelope_id"), str):
                self.problems.append(f"not an ack: {str(raw)[:200]}")
                return
            envelope = next((e for e in self.envelopes if e.envelope_id == frame["envelope_id"]), None)
            if envelope is None:
                self.problems.append(f"ack of an unknown envelope {frame['envelope_id']}")
            elif envelope.acked:
                self.problems.append(f"envelope {envelope.envelope_id} acked twice")
            else:
                envelope.acked_at, envelope.ack = now, frame
                if "payload" in frame and not envelope.accepts_response_payload:
                    self.problems.append(f"{envelope.type} envelope {envelope.envelope_id} acked with a payload")
            self._lock.notify_all()

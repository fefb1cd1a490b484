"""Screening of every request to /slack/events, once, before anything else runs.

What Slack sends is small, signed, recent and well typed: a `POST` with a `Content-Length`, a numeric
`X-Slack-Request-Timestamp` within five minutes of our clock, an `X-Slack-Signature` (`v0=` and an HMAC-SHA256 of
`v0:{timestamp}:{raw body}`), and either `application/x-www-form-urlencoded` (slash commands, and interactivity
as a `payload=` JSON field) or `application/json` (the Events API). A request that is not that is refused with a
4xx here, in this order, so an unsigned one learns nothing but 401:

- 401: no, non-numeric, or far-off timestamp; no or malformed signature; a signature that does not match;
- 411 / 400 / 413: no `Content-Length`, a malformed one, or more than `MAX_BODY` bytes (the body is not read);
  a body shorter than announced;
- 415: a content type Slack does not send for requests (a signed `text/plain` is not a form);
- 400: a body that is not UTF-8, not JSON (or a form), deeper than `MAX_DEPTH`, or not shaped like Slack's
  (`bot.payloads`).

The body is parsed here, once, and handed to Bolt already parsed: Bolt neither parses it again nor checks the
signature again.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from bot.payloads import listener_of, shape_problem

if TYPE_CHECKING:
    from wsgiref.types import WSGIEnvironment

MAX_BODY = 1 << 20  # 1 MiB: Slack's largest requests (a 100-block modal's submission) are far below
MAX_DEPTH = 64  # Slack's deepest payloads (rich text in a modal's state) nest about 12 levels
MAX_FIELDS = 200  # a slash command has about 15
WINDOW_SECONDS = 300  # Slack: refuse requests signed more than five minutes away from now

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


@dataclass(frozen=True)
class Refusal:
    """A request refused before anything ran: the HTTP status, the reason given, the label counted."""

    status: str
    reason: str
    label: str
    detail: str = ""  # for the log: what was wrong


@dataclass(frozen=True)
class Screened:
    """A request that passed: its parsed body (what Bolt calls `body`), headers for Bolt, and its identity."""

    body: dict[str, Any]
    headers: dict[str, str | Sequence[str]]
    listener: str
    signature: str
    timestamp: int
    kind: str = field(default="")  # "command", "event_callback", "block_actions", ... (see `kind_of`)

    @property
    def signature_digest(self) -> str:
        """What the replay store keeps: a hash of the signature (fixed size, and no HMAC kept at rest)."""
        return hashlib.sha256(self.signature.encode("ascii")).hexdigest()


def _unauthorized() -> Refusal:
    return Refusal("401 Unauthorized", "invalid_request", "unverified")


def _bad(reason: str = "malformed_payload") -> Refusal:
    return Refusal("400 Bad Request", reason, "malformed")


def headers_of(environ: WSGIEnvironment) -> dict[str, str | Sequence[str]]:
    """The request's headers, as Bolt keeps them (lower-case names, lists of values)."""
    headers: dict[str, str | Sequence[str]] = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:].replace("_", "-").lower()
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            name = key.replace("_", "-").lower()
        else:
            continue
        if isinstance(value, str) and not name.startswith("x-slack-bolt-"):  # Bolt's own, never from outside
            headers[name] = [value]
    return headers


def media_type(content_type: str) -> tuple[str, str]:
    """("application/json", "utf-8") from "Application/JSON; charset=UTF-8"; the charset is "" when not given."""
    main, _, params = content_type.partition(";")
    charset = ""
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return main.strip().lower(), charset


def signature_matches(secret: bytes, timestamp: str, body: bytes, signature: str) -> bool:
    base = b"v0:" + timestamp.encode("ascii") + b":" + body
    expected = "v0=" + hmac.new(secret, base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


_CONTAINERS = frozenset((dict, list))  # what `json.loads` builds that can hold more


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether a parsed JSON value nests deeper than `limit`. Recursive, but never deeper than `limit` + 1
    frames; the exact types `json.loads` builds are looked up in a set, which costs a third of `isinstance` with
    a union on a modal's submission (a few hundred containers)."""

    def walk(item: Any, depth: int) -> bool:
        if depth > limit:
            return True
        for child in item.values() if type(item) is dict else item:
            if type(child) in _CONTAINERS and walk(child, depth + 1):
                return True
        return False

    return type(value) in _CONTAINERS and walk(value, 1)


def form_unquote(text: str) -> str:
    """`urllib.parse.unquote_plus(text, errors="strict")`, in C for what Slack sends.

    An interaction's `payload=` is a URL-encoded JSON document of up to hundreds of kB with an escape every few
    characters, which urllib decodes one escape at a time in Python (about 1 ms for a 16 kB modal submission).
    Written with `=` for `%`, a well-formed one is quoted-printable, which `binascii` decodes in one call: taken
    when the text has no `=`, no control character and nothing outside ASCII, and when every `%` turned out to
    start a valid escape (each one shortens the text by exactly two; anything else by less); otherwise urllib
    decodes it. Raises UnicodeDecodeError for bytes that are not UTF-8, as urllib does."""
    if "%" not in text:
        return text.replace("+", " ")
    if text.isascii() and text.isprintable() and "=" not in text:
        encoded = text.replace("+", " ").replace("%", "=").encode("ascii")
        decoded = binascii.a2b_qp(encoded)
        if len(encoded) - len(decoded) == 2 * text.count("%"):
            return decoded.decode("utf-8")
    return unquote(text.replace("+", " "), encoding="utf-8", errors="strict")


def parse_form(text: str, max_fields: int = MAX_FIELDS) -> dict[str, str]:
    """`dict(parse_qsl(text, keep_blank_values=True, max_num_fields=max_fields, errors="strict"))`, with
    `form_unquote`. Raises ValueError for too many fields and UnicodeDecodeError for bytes that are not UTF-8."""
    if text.count("&") + 1 > max_fields:
        raise ValueError("too many fields")
    form: dict[str, str] = {}
    for field_text in text.split("&"):
        if field_text:
            name, _, value = field_text.partition("=")
            form[form_unquote(name)] = form_unquote(value)
    return form


def _json_object(text: str) -> dict[str, Any] | Refusal:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return _bad()
    if not isinstance(value, dict):
        return _bad()
    if too_deep(value):
        return _bad()
    return value


def parse(raw: bytes, media: str) -> tuple[dict[str, Any], str] | Refusal:
    """The body as Bolt would see it, and where it came from: "event" (JSON), "interaction" (`payload=`) or
    "form" (a slash command or another plain form)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return _bad()
    if media == JSON:
        parsed = _json_object(text)
        return parsed if isinstance(parsed, Refusal) else (parsed, "event")
    try:
        form = parse_form(text)
    except (ValueError, UnicodeDecodeError):
        return _bad()
    if "payload" in form:
        payload = _json_object(form["payload"])
        return payload if isinstance(payload, Refusal) else (payload, "interaction")
    return form, "form"


def kind_of(body: dict[str, Any], source: str) -> str:
    """What a screened request is, for answering it when the database is down."""
    if source == "event":
        return str(body.get("type") or "event")
    if source == "interaction":
        return str(body.get("type") or "interaction")
    if "ssl_check" in body:
        return "ssl_check"
    return "command" if body.get("command") else "form"


def screen(environ: WSGIEnvironment, signing_secret: str | None, *, now: float) -> Screened | Refusal:
    """Screen one POST to /slack/events. Reads the body (at most MAX_BODY bytes); never raises on bad input."""
    timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
    signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
    if not signing_secret or not isinstance(timestamp, str) or not isinstance(signature, str):
        return _unauthorized()
    if not _TIMESTAMP.fullmatch(timestamp) or abs(now - int(timestamp)) > WINDOW_SECONDS:
        return _unauthorized()
    if not _SIGNATURE.fullmatch(signature):
        return _unauthorized()
    declared = environ.get("CONTENT_LENGTH") or ""
    if not declared:
        return Refusal("411 Length Required", "length_required", "malformed")
    if not declared.isdigit() or not declared.isascii():
        return _bad("bad_content_length")
    length = int(declared)
    if length > MAX_BODY:
        return Refusal("413 Payload Too Large", "body_too_large", "malformed")
    stream = environ["wsgi.input"]
    raw = stream.read(length) if length else b""
    if len(raw) != length:
        return _bad("bad_content_length")
    if not signature_matches(signing_secret.encode("utf-8"), timestamp, raw, signature):
        return _unauthorized()
    media, charset = media_type(environ.get("CONTENT_TYPE") or "")
    if media not in (FORM, JSON) or charset not in ("", "utf-8", "utf8"):
        return Refusal("415 Unsupported Media Type", "unsupported_media_type", "malformed")
    parsed = parse(raw, media)
    if isinstance(parsed, Refusal):
        return parsed
    body, source = parsed
    problem = shape_problem(body, source)
    if problem:
        return Refusal("400 Bad Request", "malformed_payload", "malformed", problem)
    return Screened(
        body=body,
        headers=headers_of(environ),
        listener=listener_of(body, source),
        signature=signature,
        timestamp=int(timestamp),
        kind=kind_of(body, source),
    )

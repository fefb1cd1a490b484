"""Structured logs: one JSON object per line, with the team, user and request an event belongs to.

What a line may hold: the time, level, logger, the message, the Slack team/user ids, the request id, and the
`extra` fields the code logs (ids, counts, error codes). What it never holds: tokens and secrets (anything
shaped like a Slack, Slack app or OpenAI token is replaced by `[redacted]` wherever it appears) and what
people wrote: our code logs ids and error codes, never payload text, and the Slack libraries, whose debug
output includes request bodies and headers, are kept at INFO or above whatever LOG_LEVEL says.

The request id comes from the HTTP front (`X-Request-Id` when a proxy sets one, else a new one); the team
and user ids from the Bolt middleware. Both live in context variables, which `ContextExecutor` carries into
the threads where listeners run after the ack.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar, copy_context
from datetime import UTC, datetime
from typing import IO, Any, TypeVar

T = TypeVar("T")

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
TEAM_ID: ContextVar[str | None] = ContextVar("team_id", default=None)
USER_ID: ContextVar[str | None] = ContextVar("user_id", default=None)

SECRET_PATTERN = re.compile(
    r"xox[a-z]?[a-z.]*-[A-Za-z0-9-]+"  # Slack tokens: xoxb-, xoxp-, xoxe.xoxb-, xoxe-1-, ...
    r"|xapp-[A-Za-z0-9-]+"  # Slack app-level tokens
    r"|sk-[A-Za-z0-9_-]{16,}"  # OpenAI keys
    r"|(?i:bearer\s+)[A-Za-z0-9._~+/=-]+"  # any bearer credential
)
REDACTED = "[redacted]"

LIBRARY_LOGGERS = ("slack_sdk", "slack_bolt", "mentor_bot.bolt", "urllib3", "openai", "httpx", "httpcore")
"""Loggers whose DEBUG output carries request bodies or headers: never below INFO."""

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime", "taskName"}


def redact(text: str) -> str:
    return SECRET_PATTERN.sub(REDACTED, text)


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return redact(str(value))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for key, var in (("team_id", TEAM_ID), ("user_id", USER_ID), ("request_id", REQUEST_ID)):
            value = record.__dict__.get(key) or var.get()
            if value:
                line[key] = _plain(value)
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in line and not key.startswith("_"):
                line[key] = _plain(value)
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False)


class RedactingFormatter(logging.Formatter):
    """The plain-text format (LOG_FORMAT=text), with the same redaction."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_logging(level: str, fmt: str = "json", stream: IO[str] | None = None) -> logging.Handler:
    """Send every log record to `stream` (stderr) as JSON lines (or text), replacing earlier handlers."""
    handler = logging.StreamHandler(stream or sys.stderr)
    if fmt == "text":
        handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    else:
        handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    numeric = logging.getLevelName(level.upper())
    root.setLevel(numeric if isinstance(numeric, int) else logging.INFO)
    floor = max(root.level, logging.INFO)
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(floor)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    return handler


@contextmanager
def request_context(request_id: str) -> Iterator[None]:
    token = REQUEST_ID.set(request_id)
    team, user = TEAM_ID.set(None), USER_ID.set(None)
    try:
        yield
    finally:
        REQUEST_ID.reset(token)
        TEAM_ID.reset(team)
        USER_ID.reset(user)


class ContextExecutor(ThreadPoolExecutor):
    """A thread pool that runs each task in a copy of the submitter's context (request, team and user ids)."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        context = copy_context()
        return super().submit(context.run, fn, *args, **kwargs)

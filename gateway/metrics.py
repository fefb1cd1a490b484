"""Prometheus metrics: defined here, counted at the app's seams, exposed at `GET /metrics`.

- Requests Slack sends us, by listener and outcome, and the time to acknowledge them (the WSGI front).
- Web API calls by method and result, and the 429s Slack answered (`gateway/slack.py`: the client and its retry
  handler, which Bolt copies into every per-request client).
- LLM calls by outcome and the fallbacks to the library (`prompts.llm`).
- The outbox: messages waiting and the age of the oldest one due (read from the database at scrape time, by
  `bot/monitoring.py`).
- The scheduler: whether this process leads, and when its last pass ran.

gunicorn runs several worker processes; each would count only its own requests. In HTTP mode `serve`
points `PROMETHEUS_MULTIPROC_DIR` at a fresh folder before the workers start, so every process (workers and
the scheduler child) writes its counts there and `/metrics` adds them up (prometheus-client's multiprocess
mode). Outside it (Socket Mode, tests) the counts live in this process.
"""

from __future__ import annotations

import time

from prometheus_client import Counter, Gauge, Histogram

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS = Counter(
    "mentor_bot_requests",
    "Requests from Slack, by listener (command, action, view or event) and outcome (ok, refused, error).",
    ["listener", "outcome"],
)
ACK_SECONDS = Histogram(
    "mentor_bot_ack_seconds",
    "Seconds from receiving a Slack request to answering it (Slack gives up after 3).",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0),
)
LISTENER_ERRORS = Counter(
    "mentor_bot_listener_errors", "Listeners that raised after acknowledging (the person was told).", ["kind"]
)
SLACK_CALLS = Counter(
    "mentor_bot_slack_api_calls",
    "Slack Web API calls, by method and result (ok or Slack's error).",
    ["method", "status"],
)
SLACK_RATELIMITED = Counter("mentor_bot_slack_ratelimited", "Slack Web API answers of 429 (rate limited).", ["method"])
LLM_CALLS = Counter("mentor_bot_llm_calls", "Calls to the LLM, by outcome (ok or the kind of failure).", ["outcome"])
LLM_FALLBACKS = Counter("mentor_bot_llm_fallbacks", "Prompts served from the library instead of the LLM.", ["reason"])
SCHEDULER_LEADER = Gauge(
    "mentor_bot_scheduler_leader", "1 if this process leads the scheduler.", multiprocess_mode="livemax"
)
SCHEDULER_LAST_PASS = Gauge(
    "mentor_bot_scheduler_last_pass_timestamp_seconds",
    "Unix time of the last scheduler pass this process ran.",
    multiprocess_mode="max",
)

_SLACK_ERROR_LABELS = 200
"""Slack error codes are a closed set in practice; anything past this many distinct ones is counted as other."""
_seen_errors: set[str] = set()


def slack_call(method: str, status: str) -> None:
    if status != "ok" and status not in _seen_errors:
        if len(_seen_errors) >= _SLACK_ERROR_LABELS:
            status = "other"
        else:
            _seen_errors.add(status)
    SLACK_CALLS.labels(method=method, status=status).inc()


def request_kind(listener: str) -> str:
    return listener.split(":", 1)[0]


def scheduler_pass(passed: bool) -> None:
    if passed:
        SCHEDULER_LAST_PASS.set(time.time())

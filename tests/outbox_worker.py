"""A delivery worker in its own process, for tests that kill it (`kill -9`) or run two replicas.

    python -m tests.outbox_worker once  DATABASE_URL API_URL NOW_ISO [--slow SECONDS]
    python -m tests.outbox_worker lead  DATABASE_URL API_URL EVENTS_FILE SECONDS
    python -m tests.outbox_worker loop  DATABASE_URL API_URL SECONDS [--slow SECONDS] [--rate PER_MINUTE]

`once`: one `deliver_due` pass at NOW. `--slow` adds latency after each chat.postMessage answer, as a slow
network would: the moment between "Slack accepted" and "we recorded" is where a crash hurts.
`lead`: a replica's scheduler loop for SECONDS: try to lead every 50 ms; while leading, deliver what is due.
It appends JSON lines to EVENTS_FILE: {"pid", "event": "lead" | "pass", "t": time.monotonic(), "sent"}.
`loop`: the product's delivery loop (`scheduling.delivery.DeliveryLoop`, led through its advisory lock) for
SECONDS, with short stale and back-off times so a test sees a takeover and re-checks within seconds.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.web.slack_response import SlackResponse

from scheduling.delivery import DeliveryLoop
from scheduling.leader import Leadership
from scheduling.outbox import RateLimiter, deliver_due
from standin import BOT_TOKEN
from store.db import Database


class SlowClient(WebClient):
    def __init__(self, *args: Any, slow: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.slow = slow

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:
        response = super().api_call(api_method, **kwargs)
        if api_method == "chat.postMessage":
            time.sleep(self.slow)
        return response


def once(database_url: str, api_url: str, now_iso: str, slow: float) -> None:
    db = Database.from_url(database_url)
    client = SlowClient(token=BOT_TOKEN, base_url=api_url, slow=slow)
    deliver_due(db, client, now=datetime.fromisoformat(now_iso), worker_id=f"once:{os.getpid()}")


def lead(database_url: str, api_url: str, events_file: str, seconds: float) -> None:
    db = Database.from_url(database_url)
    client = WebClient(token=BOT_TOKEN, base_url=api_url)
    leadership = Leadership(db.engine)
    limiter = RateLimiter()
    end = time.monotonic() + seconds
    leading = False

    def log(event: str, **extra: Any) -> None:
        line = json.dumps({"pid": os.getpid(), "event": event, "t": time.monotonic(), **extra})
        with open(events_file, "a", encoding="utf-8") as out:
            out.write(line + "\n")

    try:
        while time.monotonic() < end:
            if leadership.try_lead():
                if not leading:
                    log("lead")
                    leading = True
                report = deliver_due(
                    db,
                    client,
                    now=datetime.now(UTC),
                    worker_id=f"lead:{os.getpid()}",
                    time_budget=0.5,
                    stale_after=timedelta(seconds=1),
                    limiter=limiter,
                )
                log("pass", sent=report.sent)
            time.sleep(0.05)
    finally:
        leadership.release()
        db.dispose()


def loop(database_url: str, api_url: str, seconds: float, slow: float, rate: int) -> None:
    db = Database.from_url(database_url)
    client = SlowClient(token=BOT_TOKEN, base_url=api_url, slow=slow)
    delivery = DeliveryLoop(
        db,
        client,
        post_per_minute=rate,
        pass_seconds=1.0,
        idle_seconds=0.2,
        follower_seconds=0.1,
        stale_after=timedelta(seconds=2),
        backoff_base=timedelta(seconds=0.5),
        backoff_cap=timedelta(seconds=2),
        name=f"loop:{os.getpid()}",
    ).start()
    try:
        time.sleep(seconds)
    finally:
        delivery.stop()
        db.dispose()


def _option(rest: list[str], name: str, default: float) -> float:
    return float(rest[rest.index(name) + 1]) if name in rest else default


if __name__ == "__main__":
    mode, *rest = sys.argv[1:]
    if mode == "loop":
        loop(rest[0], rest[1], float(rest[2]), _option(rest, "--slow", 0.0), int(_option(rest, "--rate", 600)))
    elif mode == "once":
        slow = float(rest[rest.index("--slow") + 1]) if "--slow" in rest else 0.0
        once(rest[0], rest[1], rest[2], slow)
    else:
        lead(rest[0], rest[1], rest[2], float(rest[3]))

"""The load process of the load benchmark: signed requests at a fixed open-loop rate.

Runs in its own process (see `bench.load_bench`). Request i is *scheduled* at `start + i / rate`; a dispatcher
thread hands it to a pool of sender threads at that time, whatever happened to earlier requests (open loop), and
its latency is measured from the scheduled time to the end of the response, so a stalled server is charged for
the requests that queued behind the stall (no coordinated omission). Each request opens its own connection, the
way a fresh client would, so a slow connection never holds back the next request.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import queue
import threading
import time
from dataclasses import dataclass

TIMEOUT_S = 3.0  # Slack gives up on an acknowledgement after 3 s
SENDERS = 64


@dataclass(frozen=True)
class Template:
    kind: str  # "help", "join_valid", "join_invalid", ...
    content_type: str
    body: bytes


@dataclass(frozen=True)
class Sample:
    kind: str
    scheduled: float  # seconds since the phase started
    lag: float  # how late the dispatcher handed the request to a sender, seconds (the generator keeping up)
    wait: float  # how long it then waited for a free sender thread, seconds
    latency: float  # scheduled time -> response read (or failure), seconds
    status: int  # HTTP status, 0 for a timeout or connection error
    error: str


@dataclass(frozen=True)
class PhaseResult:
    samples: list[Sample]
    wall: float  # seconds from the first scheduled send to the last answer
    generator_cpu: float  # CPU seconds this process used during the phase


def _signed_headers(secret: bytes, content_type: str, body: bytes) -> dict[str, str]:
    ts = str(int(time.time()))
    digest = hmac.new(secret, b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {
        "Content-Type": content_type,
        "Content-Length": str(len(body)),
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": "v0=" + digest,
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        "Connection": "close",
    }


def _send(host: str, port: int, path: str, secret: bytes, template: Template, seq: int = 0) -> tuple[int, str]:
    # Each request Slack sends is unique (a new trigger_id), and the app refuses a signed request it has seen:
    # a form gets a field of its own so that a template sent twice in one second is not a replay.
    body = template.body + b"&bench_seq=%d" % seq if "form" in template.content_type else template.body
    conn = http.client.HTTPConnection(host, port, timeout=TIMEOUT_S)
    try:
        conn.request("POST", path, body=body, headers=_signed_headers(secret, template.content_type, body))
        response = conn.getresponse()
        response.read()
        return response.status, "" if response.status == 200 else f"HTTP {response.status}"
    except TimeoutError:
        return 0, "timeout"
    except OSError as error:
        return 0, type(error).__name__
    except http.client.HTTPException as error:
        return 0, type(error).__name__
    finally:
        conn.close()


def run_phase(url: str, signing_secret: str, templates: list[Template], rate: float, duration: float) -> PhaseResult:
    """Send `rate * duration` requests, cycling through `templates`, and return one sample per request."""
    rest = url.removeprefix("http://")
    hostport, _, path = rest.partition("/")
    host, _, port = hostport.partition(":")
    secret = signing_secret.encode()
    total = int(rate * duration)
    jobs: queue.Queue[tuple[int, float, float] | None] = queue.Queue()
    samples: list[Sample | None] = [None] * total

    def sender() -> None:
        while True:
            job = jobs.get()
            if job is None:
                return
            index, due, dispatched = job
            template = templates[index % len(templates)]
            wait = time.perf_counter() - dispatched
            status, error = _send(host, int(port), "/" + path, secret, template, index)
            done = time.perf_counter()
            samples[index] = Sample(template.kind, due - start, dispatched - due, wait, done - due, status, error)

    threads = [threading.Thread(target=sender, daemon=True) for _ in range(SENDERS)]
    for thread in threads:
        thread.start()
    cpu0 = time.process_time()
    start = time.perf_counter() + 0.05
    for index in range(total):
        due = start + index / rate
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        jobs.put((index, due, time.perf_counter()))
    for _ in threads:
        jobs.put(None)
    for thread in threads:
        thread.join(timeout=TIMEOUT_S + 30)
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    done = [s for s in samples if s is not None]
    return PhaseResult(done, wall, cpu)

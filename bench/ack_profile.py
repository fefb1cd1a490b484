"""Where the app's CPU goes per request kind: the load benchmark's requests fed one at a time, in process, through
the real WSGI front (`bot.app.WebApp`: screening, replay store, Bolt, listeners), with cProfile on every thread
that runs them (the WSGI caller and Bolt's listener threads). What a join leaves for after its ack is queued for
the follow-up worker (`scheduling.followups`, in the scheduler's process): not measured here; `bench.load_bench`
counts its CPU apart.

Run from the repository root: ``.venv/bin/python -m bench.ack_profile [--n 300] [--kind help] [--top 40]``
(PostgreSQL at TEST_POSTGRES_URL or the default local one; ``--sqlite`` for a SQLite file). Prints, per request
kind, the CPU time per request (process CPU, all threads, once the listeners have finished) and
the functions with the most cumulative and own time. Serial, so timings are CPU, not latency; the stand-in
runs in this process too, and its share is reported apart (functions under `standin/`).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from sqlmodel import select

from bench.common import DEFAULT_PG, fresh_postgres
from bench.load_bench import SIGNING_SECRET, build_templates, open_programme
from bench.load_gen import Template, _signed_headers
from bot import logs
from bot.app import create_web_app
from bot.settings import Settings
from standin import BOT_TOKEN, DEFAULT_PEOPLE, SlackPlatform, SlackStandIn
from standin.appserver import serve
from store import migrate
from store.db import Database
from store.models import Programme


class Profiles:
    """One cProfile per thread that ran app code; merged at the end."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.profiles: list[cProfile.Profile] = []
        self.on = False
        self.profiling = True
        self.cpu = 0.0  # thread CPU seconds of the listener threads while `on`

    def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self.on:
            return fn(*args, **kwargs)
        profile = cProfile.Profile(time.thread_time)
        with self.lock:
            self.profiles.append(profile)
        started = time.thread_time()
        if self.profiling:
            profile.enable()
        try:
            return fn(*args, **kwargs)
        finally:
            profile.disable()
            used = time.thread_time() - started
            with self.lock:
                self.cpu += used

    def stats(self) -> pstats.Stats | None:
        if not self.profiles:
            return None
        stats = pstats.Stats(self.profiles[0], stream=io.StringIO())
        for profile in self.profiles[1:]:
            stats.add(profile)
        return stats


@contextmanager
def database(args: argparse.Namespace) -> Iterator[str]:
    if args.sqlite:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{folder}/ack-profile.db"
            migrate.upgrade(url)
            yield url
        return
    with fresh_postgres(args.postgres, "mentorbot_ackprof", migrated=True) as url:
        yield url


def environ_of(template: Template, seq: int) -> dict[str, Any]:
    body = template.body + b"&bench_seq=%d" % seq
    headers = _signed_headers(SIGNING_SECRET.encode(), template.content_type, body)
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "3000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": headers["Content-Type"],
        "CONTENT_LENGTH": headers["Content-Length"],
        "HTTP_X_SLACK_REQUEST_TIMESTAMP": headers["X-Slack-Request-Timestamp"],
        "HTTP_X_SLACK_SIGNATURE": headers["X-Slack-Signature"],
        "HTTP_USER_AGENT": headers["User-Agent"],
        "HTTP_HOST": "127.0.0.1:3000",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
    }
    return environ


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=300, help="requests per kind")
    parser.add_argument("--kind", action="append", help="only these kinds (help, join_valid, join_invalid)")
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--postgres", default=os.environ.get("TEST_POSTGRES_URL") or DEFAULT_PG)
    parser.add_argument("--no-profile", action="store_true", help="CPU per request only (no cProfile overhead)")
    parser.add_argument("--baseline", action="store_true", help="feed the bare Bolt app of bench.load_baseline")
    args = parser.parse_args(argv)
    logs.configure_logging("WARNING")
    profiles = Profiles()
    # The listener threads: mentor-bot's ContextExecutor, or Bolt's default ThreadPoolExecutor for the baseline.
    executor: Any = ThreadPoolExecutor if args.baseline else logs.ContextExecutor
    original_submit = executor.submit

    def submit(self: Any, fn: Callable[..., Any], /, *a: Any, **kw: Any) -> Any:
        return original_submit(self, profiles.run, fn, *a, **kw)

    executor.submit = submit
    with database(args) as url, SlackStandIn(rate_limits=False) as standin:
        open_programme(url)
        settings = Settings(
            _env_file=None,
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=standin.api_url,
            database_url=url,
        )
        web = create_web_app(settings)
        target: Any = web
        if args.baseline:
            from bench.load_baseline import build_wsgi

            target = build_wsgi(SIGNING_SECRET, BOT_TOKEN, standin.api_url)
        with serve(web) as base_url:  # the first join opens the form whose submissions are then sent
            warm = SlackPlatform(f"{base_url}/slack/events", SIGNING_SECRET, standin)
            assert warm.slash(DEFAULT_PEOPLE[0].id, "/mentor", "join").status == 200
            assert standin.wait_for(lambda: standin.last_modal(DEFAULT_PEOPLE[0].id) is not None, timeout=15)
        db = Database.from_url(url)
        with db.session() as session:
            programme = session.exec(select(Programme)).one()
        db.dispose()
        templates = build_templates(standin, programme)
        kinds = args.kind or sorted({t.kind for t in templates})
        seq = 0

        def call(template: Template) -> None:
            nonlocal seq
            seq += 1
            status: list[str] = []

            def start_response(given: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
                status.append(given)
                return lambda _data: None

            chunks = target(environ_of(template, seq), start_response)
            b"".join(chunks)
            assert status and status[0].startswith("200"), (status, template.kind)

        def settle() -> None:
            """Wait until the work after the acks is done (no new Web API calls for a moment)."""
            while True:
                count = len(standin.calls)
                time.sleep(0.3)
                if len(standin.calls) == count:
                    return

        for template in templates[:60]:  # warm: connections, caches, imports
            call(template)
        settle()
        for kind in kinds:
            chosen = [t for t in templates if t.kind == kind]
            profiles.profiles.clear()
            profiles.on, profiles.profiling, profiles.cpu = True, not args.no_profile, 0.0
            main_profile = cProfile.Profile(time.thread_time)
            front = 0.0
            wall0 = time.perf_counter()
            for i in range(args.n):
                started = time.thread_time()
                if profiles.profiling:
                    main_profile.enable()
                call(chosen[i % len(chosen)])
                main_profile.disable()
                front += time.thread_time() - started
            settle()
            wall = time.perf_counter() - wall0
            profiles.on = False
            print(
                f"\n=== {kind}: {args.n} requests; app CPU {(front + profiles.cpu) * 1000 / args.n:.2f} ms/request"
                f" (WSGI thread {front * 1000 / args.n:.2f}, listener threads {profiles.cpu * 1000 / args.n:.2f});"
                f" wall {wall:.1f} s{'' if args.no_profile else ', under cProfile'}"
            )
            if args.no_profile:
                continue
            profiles.profiles.append(main_profile)
            stats = profiles.stats()
            assert stats is not None
            out = io.StringIO()
            stats.stream = out  # type: ignore[attr-defined]
            stats.sort_stats("cumulative").print_stats(args.top)
            stats.sort_stats("tottime").print_stats(args.top)
            print(out.getvalue())
        web.db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())

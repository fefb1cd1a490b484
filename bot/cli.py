"""`mentor-bot`: serve the app, run migrations, play the demo."""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from bot.settings import ConfigError, Settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mentor-bot",
        description="mentor-bot: mentoring and peer learning inside Slack.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the Slack app (Socket Mode, or HTTP with --http)")
    serve.add_argument("--http", action="store_true", help="serve Slack's HTTP requests at /slack/events")
    serve.add_argument("--host", help="address to listen on in HTTP mode (default: HOST or 0.0.0.0)")
    serve.add_argument("--port", type=int, help="port to listen on in HTTP mode (default: PORT or 3000)")
    serve.add_argument("--workers", type=int, help="HTTP worker processes (default: WEB_WORKERS or 2)")
    serve.add_argument("--no-migrate", action="store_true", help="do not bring the database schema up to date on start")
    serve.add_argument(
        "--no-scheduler", action="store_true", help="do not run the background loop (check-ins, pauses) here"
    )

    match = commands.add_parser("match", help="rehearse a matching round and print the preview (nobody is messaged)")
    match.add_argument("--programme", help="the programme's name (from the database)")
    match.add_argument("--team", help="the Slack team id, when several workspaces have a programme of that name")
    match.add_argument("--roster", help="read people from this roster CSV instead of the database")
    match.add_argument("--past-pairs", help="with --roster: a CSV of past pairs (a,b,ended_at,same_programme)")
    match.add_argument(
        "--mode", choices=["mentoring", "peer_pairs", "peer_circles"], default="mentoring", help="with --roster"
    )
    match.add_argument("--circle-size", type=int, default=4, help="with --roster and peer circles: 3 to 6")
    match.add_argument("--seed", type=int, help="reproduce a round (the preview prints the seed it used)")
    match.add_argument("--dry-run", action="store_true", required=True, help="only print the preview (required)")

    roster = commands.add_parser("roster", help="rosters of people to invite into a programme")
    roster_commands = roster.add_subparsers(dest="roster_command", metavar="ACTION", required=True)
    imports = roster_commands.add_parser(
        "import", help="check a roster CSV, store the usable rows and invite those people to join"
    )
    imports.add_argument("file", help="the CSV: email, department, office, manager email, role, skills, group")
    imports.add_argument("--programme", required=True, help="the programme's name")
    imports.add_argument("--team", help="the Slack team id, when several workspaces have a programme of that name")
    imports.add_argument("--as", dest="actor", default="cli", help="the admin's Slack user id, for the audit log")
    imports.add_argument("--dry-run", action="store_true", help="only print the report: nothing is stored or sent")

    commands.add_parser("scheduler", help="run only the scheduled loop (when `serve --no-scheduler` runs elsewhere)")

    tick = commands.add_parser("tick", help="run one pass of the scheduled jobs now (or at --at) and exit")
    tick.add_argument("--at", help="the time to run the pass at, ISO 8601 with a UTC offset (default: now)")

    db = commands.add_parser("db", help="database migrations")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_commands.add_parser("upgrade", help="apply all migrations (creates the database if needed)")
    db_commands.add_parser("current", help="show the schema revision of the database")

    commands.add_parser("keygen", help="print a new TOKEN_ENCRYPTION_KEY (a Fernet key) for the token store")

    demo = commands.add_parser("demo", help="play a scripted scene against a local Slack stand-in, no tokens needed")
    demo.add_argument("--keep", action="store_true", help="keep the demo's SQLite file and print its path")
    return parser


def configure_logging(level: str, fmt: str = "text") -> None:
    from bot.logs import configure_logging as configure

    configure(level, fmt)


def _run_demo(*, keep: bool) -> int:
    """The demo is a separate program beside the app (`standin/demo.py`, in a checkout only): run it as one."""
    checkout = Path(__file__).resolve().parents[1]
    if not (checkout / "standin" / "demo.py").is_file():
        print(
            "mentor-bot demo runs from a checkout of the repository: run `python3 dev.py demo` there.", file=sys.stderr
        )
        return 2
    command = [sys.executable, "-m", "standin.demo", *(["--keep"] if keep else [])]
    return subprocess.run(command, cwd=checkout, check=False).returncode


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    if args.command == "keygen":
        from cryptography.fernet import Fernet

        print(Fernet.generate_key().decode())
        return 0
    if args.command == "demo":
        return _run_demo(keep=args.keep)
    try:
        overrides = {}
        if args.command == "serve":
            overrides = {
                k: v for k, v in (("host", args.host), ("port", args.port), ("web_workers", args.workers)) if v
            }
        settings = Settings(**overrides)
    except ValidationError as error:
        print(f"mentor-bot: invalid configuration:\n{error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    from store import migrate

    try:
        if args.command == "db":
            if args.db_command == "upgrade":
                migrate.upgrade(settings.database_url)
                print("database is up to date")
            else:
                migrate.current(settings.database_url)
            return 0
        if args.command == "serve":
            if not args.no_migrate:
                migrate.upgrade(settings.database_url)
            from bot.serve import serve_http, serve_socket_mode

            if args.http:
                serve_http(settings, scheduler=not args.no_scheduler)
            else:
                serve_socket_mode(settings, scheduler=not args.no_scheduler)
            return 0
        if args.command == "tick":
            return run_tick(settings, args.at)
        if args.command == "scheduler":
            from bot.serve import start_scheduler

            start_scheduler(settings, blocking=True)
            return 0
        if args.command == "roster":
            from bot.rosters import import_roster_file

            return import_roster_file(settings, args)
        if args.command == "match":
            from bot.rehearse import rehearse

            return rehearse(settings, args)
    except ConfigError as error:
        print(f"mentor-bot: {error}", file=sys.stderr)
        return 2
    parser.print_help()
    return 2


def run_tick(settings: Settings, at: str | None) -> int:
    from datetime import UTC, datetime

    from bot.install import make_team_clients
    from scheduling.outbox import RateLimiter
    from scheduling.scheduler import tick
    from store.db import Database

    try:
        now = datetime.fromisoformat(at) if at else datetime.now(UTC)
    except ValueError:
        print(f"mentor-bot: --at {at!r} is not an ISO 8601 time (e.g. 2026-12-01T09:00:00+00:00)", file=sys.stderr)
        return 2
    if now.tzinfo is None:
        print("mentor-bot: --at needs a UTC offset (e.g. 2026-12-01T09:00:00+00:00)", file=sys.stderr)
        return 2
    db = Database.from_url(settings.database_url)
    try:
        limiter = RateLimiter(post_per_minute=settings.slack_post_per_minute)
        result = tick(db, make_team_clients(settings, db), now=now, limiter=limiter)
    finally:
        db.dispose()
    print(", ".join(f"{key.replace('_', ' ')}: {value}" for key, value in result.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

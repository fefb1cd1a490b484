"""`mentor-bot`: serve the app, run migrations, play the demo."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

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

    db = commands.add_parser("db", help="database migrations")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_commands.add_parser("upgrade", help="apply all migrations (creates the database if needed)")
    db_commands.add_parser("current", help="show the schema revision of the database")

    demo = commands.add_parser("demo", help="play a scripted scene against a local Slack stand-in, no tokens needed")
    demo.add_argument("--keep", action="store_true", help="keep the demo's SQLite file and print its path")
    return parser


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    if args.command == "demo":
        from bot.demo import run_demo

        configure_logging("WARNING")
        return run_demo(keep=args.keep)
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
    configure_logging(settings.log_level)
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
                serve_http(settings)
            else:
                serve_socket_mode(settings)
            return 0
    except ConfigError as error:
        print(f"mentor-bot: {error}", file=sys.stderr)
        return 2
    parser.print_help()
    return 2


if __name__ == "__main__":
    raise SystemExit(main())

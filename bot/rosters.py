"""`mentor-bot roster import FILE --programme NAME [--dry-run]`: the same import (and report) as *Import roster*
in Slack, from a file. Emails are looked up in Slack with the bot token; `--dry-run` stores and sends nothing."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from blocks.roster import report_lines
from bot.install import make_team_clients
from bot.settings import Settings
from gateway.slack import team_clients
from handlers.roster import run_import
from scheduling.hooks import SchedulerJobs
from store import queries
from store.db import Database


def import_roster_file(settings: Settings, args: argparse.Namespace) -> int:
    try:
        text = Path(args.file).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as problem:
        print(f"mentor-bot: cannot read {args.file}: {problem}", file=sys.stderr)
        return 2
    db = Database.from_url(settings.database_url)
    try:
        with db.session() as session:
            found = queries.programmes_named(session=session, name=args.programme, team_id=args.team or None)
        if len(found) != 1 or found[0].id is None:
            which = "no programme" if not found else "several programmes (add --team)"
            print(f"mentor-bot: {which} called {args.programme!r}", file=sys.stderr)
            return 2
        programme = found[0]
        assert programme.id is not None
        client = team_clients(make_team_clients(settings, db)).for_team(programme.team_id)
        if client is None:
            print(f"mentor-bot: the app is not installed in workspace {programme.team_id}", file=sys.stderr)
            return 2
        report = run_import(
            client,
            db,
            SchedulerJobs(db),
            team_id=programme.team_id,
            programme_id=programme.id,
            text=text,
            actor_id=args.actor,
            now=datetime.now(UTC),
            dry_run=args.dry_run,
        )
    finally:
        db.dispose()
    print("\n".join(report_lines(report)))
    return 0 if report.usable or not report.problems else 1

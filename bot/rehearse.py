"""`mentor-bot match --dry-run`: the same preview an admin sees in Slack, printed, with nobody messaged."""

from __future__ import annotations

import argparse
import secrets
import sys
from datetime import UTC, datetime

from sqlmodel import select

import pairing
from bot.settings import Settings
from mentoring.matching import propose
from pairing.report import preview_text
from pairing.roster import read_past_pairs_csv, read_roster_csv
from store import queries
from store.db import Database
from store.models import Participant


def rehearse(settings: Settings, args: argparse.Namespace) -> int:
    seed = args.seed if args.seed is not None else secrets.randbelow(2**31)
    now = datetime.now(UTC)
    if args.roster:
        try:
            people = read_roster_csv(args.roster)
            past = read_past_pairs_csv(args.past_pairs) if args.past_pairs else []
        except (OSError, ValueError) as problem:
            print(f"mentor-bot: {problem}", file=sys.stderr)
            return 2
        result = pairing.match(
            people,
            mode=args.mode,
            past_pairs=past,
            rules=pairing.Rules(circle_size=args.circle_size),
            now=now,
            seed=seed,
        )
        print(preview_text(result, None, people))
        return 0
    if not args.programme:
        print("mentor-bot: name a --programme, or give a --roster CSV", file=sys.stderr)
        return 2
    db = Database.from_url(settings.database_url)
    try:
        with db.session() as session:
            found = queries.programmes_named(session=session, name=args.programme, team_id=args.team or None)
            if len(found) != 1:
                which = "no programme" if not found else "several programmes (add --team)"
                print(f"mentor-bot: {which} called {args.programme!r}", file=sys.stderr)
                return 2
            programme = found[0]
            assert programme.id is not None
            people, refused, result = propose(session=session, programme=programme, now=now, seed=seed)
            names = {
                p.slack_user_id: p.display_name or p.slack_user_id
                for p in session.exec(select(Participant).where(Participant.programme_id == programme.id)).all()
            }
    finally:
        db.dispose()
    print(f"{programme.name} (cycle {programme.cycle_number}), dry run: nobody is messaged.\n")
    print(preview_text(result, names, people))
    for person in refused:
        print(f"  not eligible: {names.get(person.id, person.id)}: {person.reason}")
    return 0

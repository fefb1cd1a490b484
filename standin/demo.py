"""`python3 dev.py demo`: the real app in HTTP mode against the bundled Slack stand-in, playing a short scene.

No Slack workspace or token is needed: the stand-in (`standin/`, a real HTTP server speaking Slack's Web
API) plays the workspace, the app runs as `mentor-bot serve --http` on a SQLite file, and signed requests play
the people. At the end it prints what each person saw in Slack.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path
from typing import Any

from bot.logs import configure_logging
from standin import BOT_TOKEN, SlackPlatform, SlackStandIn
from standin.scenes import Actor, World

ROOT = Path(__file__).resolve().parents[1]
SIGNING_SECRET = "demo-signing-secret"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_healthy(base_url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited with code {process.returncode} before it was ready")
        try:
            with urllib.request.urlopen(base_url + "/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the app did not answer /healthz in time")


def say(line: str) -> None:
    print(line, flush=True)


def show_errors(reply: Any) -> None:
    for field, message in (reply or {}).get("errors", {}).items():
        say(f"    Slack shows under “{field}”: {message}")


def _readable(text: str) -> str:
    from standin import DEFAULT_PEOPLE

    names = {p.id: p.real_name for p in DEFAULT_PEOPLE}
    return re.sub(r"<@(\w+)>", lambda m: "@" + names.get(m.group(1), m.group(1)), text)


def scene(world: World, database_url: str) -> list[Actor]:
    from standin.scenes import join_answers

    ana, sam, priya = world.person("Ana"), world.person("Sam"), world.person("Priya")
    ingrid = world.person("Ingrid")

    say("\n▶ Ana types `/mentor` to see what the bot does")
    reply = ana.mentor("")
    say(textwrap.indent(reply.json["text"] if reply.json else reply.body, "    "))

    say("\n▶ Ana runs `/mentor join` before any programme exists")
    ana.mentor("join")
    say("    " + _readable(ana.wait_for_ephemeral("No mentoring programme").text))
    say("▶ Ingrid, a workspace admin, runs `/mentor join` too and is offered to create the first programme")
    ingrid.mentor("join")
    offer = ingrid.wait_for_ephemeral("create the first one")
    ingrid.click(offer, "admin_new_programme", "new")
    ingrid.wait_for_modal("New programme")
    say("▶ She names it Mentoring, keeps the suggested skills, and opens enrolment")
    show_errors(ingrid.submit({"name": "Mentoring", "approval": ["yes"], "llm": []}).json)
    ingrid.mentor("admin")
    panel = ingrid.wait_for_ephemeral("Programme admin")
    ingrid.click(panel, "admin_lifecycle:enrolling")
    world.settle()

    import_roster(world, ingrid)

    say("\n▶ Ana runs `/mentor join`, fills the modal as a mentee and presses Join")
    ana.join(
        join_answers(
            "mentee",
            wanted=["Public speaking", "Stakeholder management"],
            goals="Present our team's roadmap at the all-hands without reading from my notes.",
            department="Engineering",
        )
    )
    ana.wait_for_dm(1)

    say("▶ Sam joins as a mentor who can take on 2 mentees")
    sam.join(
        join_answers(
            "mentor",
            offered=["Leadership", "Public speaking", "Giving feedback"],
            goals="Help people find their voice; learn how other departments work.",
            department="Sales",
            capacity=2,
        )
    )
    sam.wait_for_dm(1)

    say("▶ Priya presses Join without picking a role and without ticking consent")
    priya.mentor("join")
    priya.wait_for_modal("Join a programme")
    show_errors(priya.submit(join_answers("", department="Design", consent=False)).json)
    say("▶ Priya picks mentor but offers to take on 12 mentees")
    show_errors(priya.submit(join_answers("mentor", offered=["UX research"], capacity=12, department="Design")).json)
    say("▶ Priya fixes the form and joins as a mentee")
    priya.submit(join_answers("mentee", offered=["UX research"], wanted=["Data analysis"], department="Design"))
    priya.wait_for_dm(1)

    say("▶ Ana opens the mentor-bot Home tab and presses Edit profile to add a skill")
    ana.open_home()
    ana.wait_for_home("Edit profile")
    ana.click_home("home_edit_profile")
    ana.wait_for_modal("Edit your profile")
    ana.submit(
        join_answers(
            "mentee",
            wanted=["Public speaking", "Stakeholder management", "Writing"],
            goals="Present our team's roadmap at the all-hands without reading from my notes.",
            department="Engineering",
        )
    )
    ana.wait_for_dm(2)

    say("▶ Lea joins as a mentor and Kenji as a mentee")
    lea, kenji = world.person("Lea"), world.person("Kenji")
    lea.join(join_answers("mentor", offered=["Writing", "System design"], capacity=1, department="Engineering"))
    kenji.join(join_answers("mentee", wanted=["Writing"], goals="Write design docs people enjoy", department="Data"))
    lea.wait_for_dm(1)
    kenji.wait_for_dm(1)

    say("▶ Ingrid, a workspace admin, runs `/mentor admin` and presses Match now")
    ingrid.mentor("admin")
    panel = ingrid.wait_for_ephemeral("Programme admin")
    programme_button = next(
        e for b in panel.blocks if b.get("type") == "actions" for e in b["elements"] if e["action_id"] == "admin_match"
    )
    ingrid.click(panel, "admin_match", programme_button["value"])
    preview = ingrid.wait_for_modal("Match preview")
    say("    The preview she sees:")
    from standin import render_view

    say(textwrap.indent(_readable(render_view(preview)), "      "))
    say("▶ Ingrid presses Release matches")
    ingrid.submit({})
    ana.wait_for_dm(3)
    world.settle()
    book_a_chat(world, lea, kenji)

    say("▶ Ana runs `/mentor roadmap` and saves the 30/60/90-day starter template with her goal")
    ana.mentor("roadmap")
    ana.wait_for_modal("Set up your roadmap")
    ana.submit({"goal": "Present our roadmap at the all-hands without notes"})
    ana.wait_for_modal("Roadmap")
    say("▶ Ana shares a growth thread in her room with `/mentor grow`")
    ana.mentor("grow")
    ana.wait_for_modal("Share a growth thread")
    ana.submit({"tried": "Rehearsing out loud", "learned": "The second run is always calmer", "visibility": "room"})
    world.settle()
    fast_forward(world, database_url, ana)
    return [ana, sam, priya, kenji, ingrid]


def import_roster(world: World, ingrid: Actor) -> None:
    """Ingrid imports a few lines of the organisation's roster: the usable rows are invited, the others reported."""
    from standin import find

    maria, tom, diego = find("Maria"), find("Tom"), find("Diego")
    roster = (
        "email,department,office,manager email,role,skills\n"
        f"{maria.email},Product,,{tom.email},mentee,Public speaking\n"
        f"{tom.email},Sales,,,mentor,Public speaking;Writing\n"
        "someone.else@example.com,Sales,,,mentee,\n"
        f"{diego.email},Engineering,,,coach,\n"
    )
    say("\n▶ Ingrid presses *Import roster* and uploads a CSV of four people from HR's system:")
    say(textwrap.indent(roster, "      "))
    ingrid.mentor("admin")
    panel = ingrid.wait_for_ephemeral("Programme admin")
    button = next(
        e
        for b in panel.blocks
        if b.get("type") == "actions"
        for e in b["elements"]
        if e["action_id"] == "admin_roster_import"
    )
    ingrid.click(panel, "admin_roster_import", button["value"])
    ingrid.wait_for_modal("Import a roster")
    ingrid.submit({"roster": [world.standin.upload_from(ingrid.id, "roster.csv", roster.encode())]})
    report = world.wait_for(
        lambda: next((m for m in world.standin.open_modals(ingrid.id) if "Roster" in m["title"]["text"]), None),
        what="the import report",
    )
    from standin import render_view

    say("    Each email is looked up in Slack (users.lookupByEmail) and not kept. The report she sees:")
    say(textwrap.indent(_readable(render_view(report)), "      "))
    invite = Actor(world, maria).wait_for_dm(1)
    say(f"▶ Maria gets an invitation DM: {_readable(invite.text)}")
    say("    Its Join button opens the join form filled in from the roster; she is not a participant until she joins.")


def book_a_chat(world: World, lea: Actor, kenji: Actor) -> None:
    """Kenji and Lea book their first chat from their room, and the calendar invite lands there."""
    from icalendar import Calendar

    intro = next(m for m in kenji.world.standin.seen_by(kenji.id) if "Schedule our first chat" in str(m.blocks))
    room = intro.channel or ""

    def room_message(containing: str) -> Any:
        return world.wait_for(
            lambda: next((m for m in world.standin.messages_in(room) if containing in m.text), None),
            what=f"a room message saying {containing!r}",
        )

    say("▶ Kenji presses *Schedule our first chat* in the room: times inside both working hours, as buttons")
    kenji.click(intro, "room_schedule")
    offer = room_message("would like to find a time")
    times = [b["accessory"]["value"] for b in offer.blocks if b.get("accessory", {}).get("action_id") == "booking_pick"]
    say(f"    {len(times)} times offered; each reader sees them in their own timezone")
    say("▶ Lea picks the first one, which proposes it; Kenji presses Accept")
    lea.click(offer, "booking_pick", times[0])
    proposal = room_message("proposed")
    kenji.click(proposal, "booking_accept")
    booked = room_message("Your chat is booked")
    say(f"    The room now says: {booked.text}")
    invite = world.wait_for(
        lambda: next((f for m in world.standin.messages_in(room) for f in m.files if f["name"].endswith(".ics")), None),
        what="the calendar invite",
    )
    request = urllib.request.Request(invite["url_private"], headers={"Authorization": f"Bearer {BOT_TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        event = Calendar.from_ical(response.read()).walk("VEVENT")[0]
    say(f"    and {invite['name']} is uploaded there (files upload v2). Parsed back with the icalendar library:")
    for name in ("UID", "SEQUENCE", "DTSTART", "DTEND", "STATUS"):
        say(f"      {name}: {event.decoded(name) if name.startswith('DT') else event[name]}")
    found = event.get("ATTENDEE")
    for attendee in found if isinstance(found, list) else [found]:
        say(f"      ATTENDEE: {attendee}")
    say("    plus *Add to Google Calendar* / *Add to Outlook* buttons, *Change the time* and *Cancel*; each person")
    say("    gets one reminder DM at 09:00 their time on the working day before.")


def fast_forward(world: World, database_url: str, ana: Actor) -> None:
    """Two weeks pass: the scheduler's pass runs once an hour of simulated time (what `mentor-bot tick --at`
    does), and check-in DMs reach each person in their own working hours."""
    from datetime import UTC, timedelta

    from sqlmodel import select

    from gateway.slack import make_web_client
    from scheduling.outbox import RateLimiter
    from scheduling.scheduler import tick
    from standin import BOT_TOKEN
    from store.db import Database
    from store.models import Match

    db = Database.from_url(database_url)
    try:
        with db.session() as session:
            released = min(m.released_at for m in session.exec(select(Match)).all() if m.released_at)
        start = released + timedelta(days=14)
        say(f"▶ Two weeks pass: the scheduler runs once an hour from {start:%a %d %b %H:%M} UTC for four days")
        client = make_web_client(token=BOT_TOKEN, base_url=world.standin.api_url)
        limiter = RateLimiter()  # kept from pass to pass, as the scheduler keeps it: Slack's limits are real time
        for hour in range(4 * 24):
            tick(db, client, now=(start + timedelta(hours=hour)).astimezone(UTC), limiter=limiter)
    finally:
        db.dispose()
    world.settle()
    asked = next((d for d in ana.dms() if "Did you and" in d.text), None)
    if asked is not None:
        say("▶ Ana answers her check-in DM: Not yet")
        value = next(e["value"] for b in asked.blocks if b.get("type") == "actions" for e in b["elements"])
        ana.click(asked, "checkin_not_yet", value)
        world.wait_for(lambda: any("question to start with" in d.text for d in ana.dms()), what="Ana's question")


def run_demo(*, keep: bool = False) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="mentor-bot-demo-"))
    database_url = f"sqlite:///{workdir / 'mentor-bot.db'}"
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    with SlackStandIn() as standin:
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": standin.api_url,
            "DATABASE_URL": database_url,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "WEB_WORKERS": "1",
            "LOG_LEVEL": "WARNING",
        }
        env.pop("SLACK_APP_TOKEN", None)
        say("mentor-bot demo: a Slack stand-in plays the workspace; the app runs as `mentor-bot serve --http`")
        say(f"  stand-in Web API: {standin.api_url}\n  app: {base_url}/slack/events\n  database: {database_url}")
        process = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--http"], cwd=ROOT, env=env)
        try:
            _wait_healthy(base_url, process)
            world = World(
                standin=standin,
                platform=SlackPlatform(f"{base_url}/slack/events", SIGNING_SECRET, standin),
                app_base_url=base_url,
            )
            people = scene(world, database_url)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        say("\n" + "=" * 100 + "\nWhat each person saw in Slack\n" + "=" * 100)
        for actor in people:
            say(f"\n### {actor.who.real_name} ({actor.who.title}, {actor.who.tz})\n")
            say(textwrap.indent(actor.transcript(), "  "))
        problems = standin.warnings
    if problems:
        say("\nThe stand-in flagged calls Slack would not accept:\n" + "\n".join(problems))
        return 1
    if keep:
        say(f"\nThe demo's database is kept at {workdir / 'mentor-bot.db'}")
    else:
        for path in workdir.iterdir():
            path.unlink()
        workdir.rmdir()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m standin.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the demo's SQLite file and print its path")
    args = parser.parse_args(argv)
    configure_logging("WARNING")
    return run_demo(keep=args.keep)


if __name__ == "__main__":
    raise SystemExit(main())

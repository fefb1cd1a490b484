"""A whole 90-day cycle, fast-forwarded an hour at a time, for pairs in Tokyo, Berlin and New York.

The scheduler's pass runs at each simulated hour (`tick(now=...)`), and what people do in Slack happens at
that simulated time too (`store.types.use_clock`). Every message anyone receives is stamped with the simulated
hour it arrived in, so the tests can say what each person got and when, on their own calendar.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from blocks import admin as admin_ui
from blocks import checkins as checkin_ui
from blocks import culture as culture_ui
from gateway.slack import make_web_client
from scheduling.scheduler import tick
from standin import BOT_TOKEN, Seen
from standin.scenes import Actor, World, join_answers
from store.db import Database
from store.models import (
    Match,
    MatchMember,
    Milestone,
    OutboxMessage,
    Participant,
    Programme,
    Roadmap,
    SurveyResponse,
)
from store.types import use_clock
from tests.conftest import running_world
from tests.test_participant_controls import all_values

START = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)  # a Monday morning, UTC
HOUR = timedelta(hours=1)


@dataclass
class Received:
    at: datetime  # the simulated time it arrived
    seen: Seen

    @property
    def text(self) -> str:
        return self.seen.text


class Cycle:
    """A running world whose clock the test moves, and a log of what reached each person at which time."""

    def __init__(self, world: World, database_url: str) -> None:
        self.world = world
        self.database_url = database_url
        self.db = Database.from_url(database_url)
        self.client = make_web_client(token=BOT_TOKEN, base_url=world.standin.api_url)
        self.now = START
        self.log: dict[str, list[Received]] = {}
        self._seen_seq: dict[str, int] = {}
        use_clock(lambda: self.now)

    def close(self) -> None:
        use_clock(None)
        self.db.dispose()

    def collect(self, *people: Actor) -> None:
        """Stamp what each of these people newly sees with the current simulated time."""
        for person in people:
            last = self._seen_seq.get(person.id, 0)
            for seen in self.world.standin.seen_by(person.id):
                if seen.seq > last and seen.kind in ("dm", "channel"):
                    self.log.setdefault(person.id, []).append(Received(self.now, seen))
                    self._seen_seq[person.id] = max(self._seen_seq.get(person.id, 0), seen.seq)

    def tick(self) -> dict[str, object]:
        return tick(self.db, self.client, now=self.now)

    def got(self, person: Actor, containing: str, about: str = "") -> list[Received]:
        return [r for r in self.log.get(person.id, []) if containing in r.text and about in r.seen.text]

    def rows(self, model: Any) -> list[Any]:
        with self.db.session() as session:
            return list(session.exec(select(model)).all())


@pytest.fixture
def cycle(database_url: str) -> Iterator[Cycle]:
    with running_world(database_url) as world:
        running = Cycle(world, database_url)
        try:
            yield running
        finally:
            running.close()


NAMES = ("Lea", "Kenji", "Tom", "Priya", "Sam", "Maria")


def start_cycle(cycle: Cycle) -> dict[str, Actor]:
    """Three pairs across timezones join; the admin starts a 90-day cycle with fortnightly check-ins."""
    world = cycle.world
    people = {n: world.person(n) for n in NAMES}
    people["Lea"].join(join_answers("mentor", offered=["Writing"], capacity=1, department="Engineering"))
    people["Kenji"].join(join_answers("mentee", wanted=["Writing"], department="Data"))
    people["Tom"].join(join_answers("mentor", offered=["Negotiation"], capacity=1, department="Sales"))
    people["Priya"].join(join_answers("mentee", wanted=["Negotiation"], department="Design"))
    people["Sam"].join(join_answers("mentor", offered=["Public speaking"], capacity=1, department="Finance"))
    people["Maria"].join(join_answers("mentee", wanted=["Public speaking"], department="Product"))
    for person in people.values():
        person.wait_for_dm()
    with cycle.db.begin() as session:
        programme = session.exec(select(Programme)).one()
        programme.requires_approval = False
        programme.cycle_days = 90
        programme.cadence = "fortnightly"
        session.add(programme)
    ingrid = world.person("Ingrid")
    ingrid.mentor("admin")
    panel = ingrid.wait_for_ephemeral("Programme admin")
    programme_id = cycle.rows(Programme)[0].id
    ingrid.click(
        panel,
        f"{admin_ui.LIFECYCLE_ACTION}:active",
        json.dumps({"programme_id": programme_id, "to": "active"}),
    )
    world.wait_for(lambda: len([m for m in cycle.rows(Match) if m.status == "active"]) == 3, what="three matches")
    world.settle()
    return people


def pairs(cycle: Cycle) -> dict[frozenset[str], Match]:
    members: dict[int, set[str]] = {}
    for member in cycle.rows(MatchMember):
        members.setdefault(member.match_id, set()).add(member.slack_user_id)
    return {frozenset(members[m.id]): m for m in cycle.rows(Match) if m.status == "active"}


def local(received: Received, person: Actor) -> datetime:
    return received.at.astimezone(ZoneInfo(person.who.tz))


NUDGE_WORDS = (
    "Did you and",
    "Would a pause",
    "Halfway through",
    "is ending: a short reflection",
    "has no milestones yet",  # the roadmap set-up prompt: a nudge too, so never on a day with another
)


def test_a_whole_cycle_across_timezones(cycle: Cycle) -> None:
    world = cycle.world
    ingrid, olu = world.person("Ingrid"), world.person("Olu")
    people = start_cycle(cycle)
    lea, kenji, tom, priya, sam, maria = (people[n] for n in NAMES)
    everyone = [*people.values(), ingrid, olu]
    cycle.collect(*everyone)  # introductions and welcome messages: before the loop starts
    cycle.log.clear()
    by_pair = pairs(cycle)
    writing = by_pair[frozenset({lea.id, kenji.id})]
    quiet = by_pair[frozenset({tom.id, priya.id})]
    assert by_pair.keys() >= {frozenset({sam.id, maria.id})}
    answered: set[tuple[str, int]] = set()

    end = START + timedelta(days=92)
    while cycle.now < end:
        cycle.now += HOUR
        if cycle.now == START + timedelta(days=20, hours=1):
            maria.mentor("pause 4w")  # three weeks in, Maria takes a four-week break
            maria.wait_for_ephemeral("You're paused")
        cycle.tick()
        cycle.collect(*everyone)
        # Kenji (Tokyo) answers everything as soon as it arrives; Lea (Berlin) answers surveys and the closing.
        for person, received in [(p, r) for p in (kenji, lea) for r in cycle.log.get(p.id, [])]:
            if (person.id, received.seen.seq) in answered:
                continue
            answered.add((person.id, received.seen.seq))
            value = str(writing.id)
            if "Did you and" in received.text and person is kenji:
                kenji.click(received.seen, checkin_ui.YES_ACTION, value)
                kenji.wait_for_modal("Log a check-in")
                kenji.submit({"usefulness": "5", "duration": "45"})
                world.wait_for(
                    lambda: (
                        any("logged your check-in" in m.text for m in world.standin.messages_in(writing.room_id or ""))
                        and len([c for c in cycle.rows(Match) if c.id == writing.id and c.last_checkin_at == cycle.now])
                        == 1
                    ),
                    what="the check-in logged",
                )
            elif "Halfway through" in received.text:
                person.click(received.seen, checkin_ui.PULSE_ACTION, value)
                person.wait_for_modal("Mid-cycle pulse")
                person.submit({"rating": "4", "progress": "3", "blocking": "Finding time"})
            elif "a short reflection" in received.text:
                person.click(received.seen, checkin_ui.EXIT_ACTION, value)
                person.wait_for_modal("Exit reflection")
                person.submit({"rating": "5", "would_continue": "yes", "what_changed": "I write design docs now"})
            elif "Would you like to go on together" in str(received.seen.blocks):
                person.click(received.seen, checkin_ui.CONTINUE_ACTION, value)
            else:
                continue
            world.settle(quiet_for=0.05)
            cycle.collect(*everyone)

    # Nothing ever reached anyone outside their working hours (check-ins Tuesday to Thursday, roadmap reminders
    # any weekday, so that they come before a due date; 10:00-16:00 local) ...
    for person in people.values():
        for received in cycle.log.get(person.id, []):
            if received.seen.kind == "dm" and any(w in received.text for w in NUDGE_WORDS):
                when = local(received, person)
                days = (0, 1, 2, 3, 4) if "milestones" in received.text else (1, 2, 3)
                assert when.weekday() in days and 10 <= when.hour < 16, (person.first_name, when, received.text)
        # ... and nobody got two nudges on one day of their own calendar.
        per_day = Counter(
            local(r, person).date()
            for r in cycle.log.get(person.id, [])
            if r.seen.kind == "dm" and any(w in r.text for w in NUDGE_WORDS)
        )
        assert all(n == 1 for n in per_day.values()), (person.first_name, per_day)

    # The responsive pair: Kenji is asked each fortnight until the last week, logs each check-in at once, and Lea's
    # question for the same fortnight is answered for her. No nudge, no escalation.
    asked_kenji = cycle.got(kenji, "Did you and")
    assert len(asked_kenji) == 5  # days 14, 28, 42, 56 and 70; day 84 falls in the exit week
    fortnights = sorted({int((r.at - START) / timedelta(days=14)) for r in asked_kenji})
    assert fortnights == [1, 2, 3, 4, 5]
    # The first check-in links the toolbox guide for his role; later ones don't repeat it.
    assert [("guide_open" in json.dumps(r.seen.blocks)) for r in asked_kenji] == [True, False, False, False, False]
    kenji.click(asked_kenji[0].seen, "guide_open", checkin_ui.FIRST_CHECKIN_GUIDES["mentee"])
    assert "getting the most out of each meeting" in json.dumps(kenji.wait_for_modal("Guide")).lower()
    assert all("it's been a little while" not in m.text for m in world.standin.messages_in(writing.room_id or ""))
    for received in cycle.got(lea, "Did you and"):
        current = next(d for d in lea.dms() if d.ts == received.seen.ts)
        assert "logged your check-in" in current.text  # updated in place, not asked twice
    assert len(cycle.got(kenji, "Halfway through")) == len(cycle.got(lea, "Halfway through")) == 1
    pulse_at = cycle.got(kenji, "Halfway through")[0].at
    assert START + timedelta(days=45) <= pulse_at < START + timedelta(days=52)
    assert len(cycle.got(kenji, "a short reflection")) == len(cycle.got(lea, "a short reflection")) == 1
    closing = [m for m in world.standin.messages_in(writing.room_id or "") if "ends on" in m.text]
    assert len(closing) == 1
    surveys = Counter((s.slack_user_id, s.kind) for s in cycle.rows(SurveyResponse))
    assert surveys == {(kenji.id, "pulse"): 1, (lea.id, "pulse"): 1, (kenji.id, "exit"): 1, (lea.id, "exit"): 1}
    assert set(next(m for m in cycle.rows(Match) if m.id == writing.id).continue_votes) == {kenji.id, lea.id}

    # The quiet pair: three check-ins each, one nudge in their room after four quiet weeks, one escalation to
    # each admin after six, then a question about a pause instead of a fourth check-in, then peace.
    for person in (tom, priya):
        assert len(cycle.got(person, "Did you and")) == 3, person.first_name
        assert len(cycle.got(person, "Would a pause")) == 1, person.first_name
        pause_question = cycle.got(person, "Would a pause")[0]
        assert START + timedelta(days=56) <= pause_question.at < START + timedelta(days=63)
        assert not [r for r in cycle.log.get(person.id, []) if r.at > pause_question.at and "Did you and" in r.text]
    nudges = [m for m in world.standin.messages_in(quiet.room_id or "") if "it's been a little while" in m.text]
    assert len(nudges) == 1
    for admin in (ingrid, olu):
        escalations = cycle.got(admin, "has logged no check-in", about=tom.id)
        assert len(escalations) == 1, admin.first_name
        assert escalations[0].at >= START + timedelta(days=42)
        assert not cycle.got(admin, "has logged no check-in", about=kenji.id)
        assert "Finding time" not in str(cycle.log.get(admin.id, []))  # survey free text stays out of DMs

    # Maria paused for four weeks from day 20: nothing in that time, one message when it ended.
    paused_from, paused_to = START + timedelta(days=20), START + timedelta(days=48)
    assert not [
        r
        for r in cycle.log.get(maria.id, [])
        if paused_from < r.at < paused_to and r.seen.kind == "dm" and "Your pause has ended" not in r.text
    ]
    [welcome_back] = cycle.got(maria, "Your pause has ended")
    assert welcome_back.at >= paused_to - timedelta(days=1)
    back = local(welcome_back, maria)
    assert back.weekday() in (1, 2, 3) and 10 <= back.hour < 16  # the pause ends at midnight; the message waits
    assert cycle.got(maria, "Did you and")  # asked again after the pause

    # Every planned message went out exactly once.
    outbox = cycle.rows(OutboxMessage)
    assert len({(r.team_id, r.key) for r in outbox}) == len(outbox)
    assert all(r.status in ("sent", "skipped") for r in outbox), Counter(r.status for r in outbox)
    assert not [p for p in cycle.rows(Participant) if p.status_reason == "unreachable"]

    # After all that, Kenji asks to be forgotten: his answers, his messages and his votes go with him.
    kenji.mentor("forget-me")
    kenji.wait_for_modal("Delete my data")
    kenji.submit({"confirm": ["yes"]})
    world.wait_for(lambda: not [v for v in all_values(cycle.database_url) if kenji.id in v], what="no row naming Kenji")


def run_until(cycle: Cycle, day: float, *people: Actor) -> None:
    """Fast-forward, a pass an hour, to `day` days after the start, nobody answering anything."""
    while cycle.now < START + timedelta(days=day):
        cycle.now += HOUR
        cycle.tick()
        cycle.collect(*people)  # stamped with the hour they arrived in
    cycle.world.settle(quiet_for=0.05)
    cycle.collect(*people)


def test_someone_who_left_slack_is_paused_and_a_lost_room_is_reported_once(cycle: Cycle) -> None:
    world = cycle.world
    ingrid = world.person("Ingrid")
    people = start_cycle(cycle)
    by_pair = pairs(cycle)
    lost_room = by_pair[frozenset({people["Sam"].id, people["Maria"].id})]
    before = len(world.standin.calls_to("chat.postMessage"))
    world.standin.deactivate(people["Priya"].id)  # Priya leaves the company before the first check-in
    world.standin.archive(lost_room.room_id or "")  # and someone archives Sam and Maria's room
    run_until(cycle, 45, ingrid, *people.values())

    priya = next(p for p in cycle.rows(Participant) if p.slack_user_id == people["Priya"].id)
    assert (priya.status, priya.status_reason) == ("paused", "unreachable")
    unreachable = cycle.got(ingrid, "I can't reach")
    assert len(unreachable) == 1 and people["Priya"].id in unreachable[0].seen.text
    lost = cycle.got(ingrid, "I can't post in the room")
    assert len(lost) == 1 and "is_archived" in lost[0].text
    # Slack was asked once for Priya's DM and once for the archived room's nudge: nothing is retried forever.
    posts = world.standin.calls_to("chat.postMessage")[before:]
    assert len([c for c in posts if c.params.get("channel") == people["Priya"].id]) == 1
    assert len([c for c in posts if c.params.get("channel") == lost_room.room_id]) == 1
    failed = [o for o in cycle.rows(OutboxMessage) if o.status == "failed"]
    assert sorted(o.last_error for o in failed) == ["account_inactive", "is_archived"]


def test_the_pause_question_pauses_or_keeps_a_person_in(cycle: Cycle) -> None:
    world = cycle.world
    people = start_cycle(cycle)
    tom, priya = people["Tom"], people["Priya"]
    quiet = pairs(cycle)[frozenset({tom.id, priya.id})]
    run_until(cycle, 63, tom, priya)
    [to_tom] = cycle.got(tom, "Would a pause")
    [to_priya] = cycle.got(priya, "Would a pause")
    tom.click(to_tom.seen, checkin_ui.PAUSE_ACTION, str(quiet.id))
    world.wait_for(lambda: any("you're paused" in d.text for d in tom.dms()), what="Tom's pause confirmed")
    priya.click(to_priya.seen, checkin_ui.KEEP_ACTION, str(quiet.id))
    world.wait_for(lambda: any("you stay in" in d.text for d in priya.dms()), what="Priya stays in")
    tom_row = next(p for p in cycle.rows(Participant) if p.slack_user_id == tom.id)
    assert tom_row.status == "paused" and tom_row.paused_until == (cycle.now + timedelta(days=30)).date()
    run_until(cycle, 80, tom, priya)
    asked_again = [r for r in cycle.got(priya, "Did you and") if r.at > to_priya.at]
    assert len(asked_again) == 1  # day 70: she said she's in, so she's asked again
    assert not [r for r in cycle.log.get(tom.id, []) if r.at > to_tom.at and r.seen.kind == "dm"]


def test_closing_a_cycle_keeps_the_pairs_who_chose_to_go_on(cycle: Cycle) -> None:
    world = cycle.world
    ingrid = world.person("Ingrid")
    people = start_cycle(cycle)
    lea, kenji, tom = people["Lea"], people["Kenji"], people["Tom"]
    by_pair = pairs(cycle)
    writing = by_pair[frozenset({lea.id, kenji.id})]
    quiet = by_pair[frozenset({tom.id, people["Priya"].id})]
    run_until(cycle, 89, *people.values())
    for person, match, action in (
        (kenji, writing, checkin_ui.CONTINUE_ACTION),
        (lea, writing, checkin_ui.CONTINUE_ACTION),
        (tom, quiet, checkin_ui.WRAP_UP_ACTION),
    ):
        closing = next(m for m in world.standin.messages_in(match.room_id or "") if "ends on" in m.text)
        person.click(closing, action, str(match.id))
    world.wait_for(lambda: any("You all chose to continue" in e.text for e in lea.ephemerals()), what="Lea told")
    tom.wait_for_ephemeral("close kindly")

    programme = cycle.rows(Programme)[0]
    cycle.now = START + timedelta(days=91)
    for to in ("closed", "enrolling"):
        ingrid.mentor("admin")
        panel = ingrid.wait_for_ephemeral("Programme admin", count=2 if to == "closed" else 3)
        ingrid.click(panel, f"{admin_ui.LIFECYCLE_ACTION}:{to}", json.dumps({"programme_id": programme.id, "to": to}))
        world.wait_for(lambda: cycle.rows(Programme)[0].status == to, what=f"the programme {to}")  # noqa: B023
        world.settle()
    statuses = {m.id: (m.status, m.cycle_number) for m in cycle.rows(Match)}
    assert statuses[writing.id] == ("active", 2)
    assert statuses[quiet.id][0] == "ended"
    states = {p.slack_user_id: p.status for p in cycle.rows(Participant)}
    assert states[kenji.id] == states[lea.id] == "active"  # they go on together
    assert states[tom.id] == "invited"  # asked to opt back in
    assert not any("Count me in" in str(d.blocks) for d in kenji.dms())


def test_survey_answers_are_checked_inline(cycle: Cycle) -> None:
    world = cycle.world
    people = start_cycle(cycle)
    kenji = people["Kenji"]
    writing = pairs(cycle)[frozenset({people["Lea"].id, kenji.id})]
    run_until(cycle, 52, kenji)
    [pulse] = cycle.got(kenji, "Halfway through")
    kenji.click(pulse.seen, checkin_ui.PULSE_ACTION, str(writing.id))
    kenji.wait_for_modal("Mid-cycle pulse")
    reply = kenji.submit({"blocking": "x" * 1001})
    assert reply.json is not None and set(reply.json["errors"]) == {"rating", "progress", "blocking"}
    assert cycle.rows(SurveyResponse) == []
    # Someone who is not in the match cannot answer for it.
    tom = people["Tom"]
    forged = {"id": "V0FORGED", **checkin_ui.pulse_modal(writing.id or 0)}
    reply = world.platform.submit_view(tom.id, forged, {"rating": "1", "progress": "1"})
    assert reply.json is not None and "not in" in reply.json["errors"]["rating"]
    assert cycle.rows(SurveyResponse) == []


def test_mentees_who_grew_are_invited_once_to_mentor_next_cycle(cycle: Cycle) -> None:
    world = cycle.world
    people = start_cycle(cycle)
    kenji, priya, maria, lea = people["Kenji"], people["Priya"], people["Maria"], people["Lea"]
    by_pair = pairs(cycle)
    programme = cycle.rows(Programme)[0]
    # Kenji and Priya each reached a milestone of their own (the roadmap journey is tested on its own).
    with cycle.db.begin() as session:
        for mentee, mentor, skill in ((kenji, lea, "Writing"), (priya, people["Tom"], "Negotiation")):
            match = by_pair[frozenset({mentee.id, mentor.id})]
            roadmap = Roadmap(
                team_id=match.team_id, programme_id=programme.id or 0, match_id=match.id or 0, owner_id=mentee.id
            )
            session.add(roadmap)
            session.flush()
            session.add(
                Milestone(
                    team_id=match.team_id,
                    roadmap_id=roadmap.id or 0,
                    match_id=match.id or 0,
                    programme_id=programme.id or 0,
                    title=f"Practise {skill}",
                    skill=skill,
                    due_on=(START + timedelta(days=60)).date(),
                    status="done",
                    completed_at=START + timedelta(days=50),
                )
            )
    # Nobody logs check-ins in this story; asked about a pause, all three stay in.
    run_until(cycle, 63, kenji, priya, maria)
    for person, partner in ((kenji, lea), (priya, people["Tom"]), (maria, people["Sam"])):
        [question] = cycle.got(person, "Would a pause")
        person.click(question.seen, checkin_ui.KEEP_ACTION, str(by_pair[frozenset({person.id, partner.id})].id))
        world.wait_for(lambda p=person: any("you stay in" in d.text for d in p.dms()), what="stays in")  # type: ignore[misc]
    # In the last week they reflect: Kenji and Maria rate the programme highly, Priya less so.
    run_until(cycle, 89, kenji, priya, maria)
    for person, partner, rating in ((kenji, lea, "5"), (priya, people["Tom"], "3"), (maria, people["Sam"], "5")):
        [asked] = cycle.got(person, "a short reflection")
        person.click(asked.seen, checkin_ui.EXIT_ACTION, str(by_pair[frozenset({person.id, partner.id})].id))
        person.wait_for_modal("Exit reflection")
        person.submit({"rating": rating, "would_continue": "yes"})
    world.settle()

    run_until(cycle, 100, kenji, priya, maria, lea)
    [invited] = cycle.got(kenji, "Would you like to mentor")
    assert invited.at >= START + timedelta(days=90)  # once the cycle has ended
    when = local(invited, kenji)
    assert when.weekday() in (1, 2, 3) and 10 <= when.hour < 16
    assert "1 milestone" in invited.text
    for person in (priya, maria, lea):  # rated it lower, reached no milestone, or a mentor already
        assert not cycle.got(person, "Would you like to mentor"), person.first_name

    kenji.click(invited.seen, culture_ui.ALUMNI_ACCEPT_ACTION, str(programme.id))
    form = kenji.wait_for_modal("Edit your profile")
    role = next(b for b in form["blocks"] if b.get("block_id") == "role")
    assert role["element"]["initial_option"]["value"] == "mentor"
    offered = next(b for b in form["blocks"] if b.get("block_id") == "skills_offered")
    assert [o["value"] for o in offered["element"]["initial_options"]] == ["Writing"]
    kenji.submit(join_answers("mentor", offered=["Writing"], capacity=2, department="Data"))
    world.wait_for(
        lambda: any(p.slack_user_id == kenji.id and p.role == "mentor" for p in cycle.rows(Participant)),
        what="Kenji a mentor",
    )

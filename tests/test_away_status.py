"""Away by Slack status: someone on holiday gets no check-ins or nudges until the status clears, their pair's
cadence waits, and their partner is told once, kindly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gateway.slack import per_minute
from mentoring.away import away_by_status
from scheduling import jobs
from scheduling.outbox import RateLimiter
from store.models import OutboxMessage, Participant
from tests.test_checkin_loop import START, Cycle, cycle, pairs, run_until, start_cycle

__all__ = ["cycle"]  # the fixture


def test_holiday_sick_and_travel_statuses_count_as_away_until_they_expire() -> None:
    now = datetime(2027, 1, 4, tzinfo=UTC)
    later = int((now + timedelta(days=3)).timestamp())
    assert away_by_status(":palm_tree:", "", 0, now=now) is not None
    assert away_by_status(":face_with_thermometer:", "", later, now=now) is not None
    assert away_by_status("", "Out of office until Monday", 0, now=now) is not None
    assert away_by_status(":coffee:", "Sick today", 0, now=now) is not None
    assert away_by_status(":coffee:", "In a meeting", 0, now=now) is None
    assert away_by_status(":airplane:", "", int((now - timedelta(hours=1)).timestamp()), now=now) is None  # expired
    away = away_by_status(":palm_tree:", "Vacation", later, now=now)
    assert away is not None and away.until == now + timedelta(days=3)


def test_a_person_on_holiday_gets_nothing_until_the_status_clears(cycle: Cycle) -> None:
    people = start_cycle(cycle)
    lea, kenji = people["Lea"], people["Kenji"]
    cycle.world.standin.set_status(lea.id, ":palm_tree:", "On holiday", 0)  # no end given
    run_until(cycle, 40, lea, kenji, people["Tom"])

    assert cycle.got(lea, "Did you") == [] and cycle.got(kenji, "Did you") == []  # the pair's cadence waits
    assert cycle.got(people["Tom"], "Did you")  # other pairs go on as usual
    told = cycle.got(kenji, "is away for now")
    assert len(told) == 1 and lea.id in told[0].text
    assert cycle.got(lea, "is away for now") == []
    [lea_row] = [p for p in cycle.rows(Participant) if p.slack_user_id == lea.id]
    assert lea_row.away_since is not None
    room = pairs(cycle)[frozenset({lea.id, kenji.id})].room_id
    held = [
        m
        for m in cycle.rows(OutboxMessage)
        if m.kind in ("checkin", "ask_pause", "nudge", "escalate")
        and (m.recipient in (lea.id, kenji.id) or (room and m.channel_id == room))
    ]
    assert held == []  # no check-in, nudge or escalation is even planned

    cycle.world.standin.set_status(lea.id)  # back
    back_at = cycle.now
    run_until(cycle, 60, lea, kenji)
    asked = cycle.got(lea, "Did you")
    assert asked and all(r.at > back_at for r in asked)
    assert cycle.got(kenji, "Did you")
    assert len(cycle.got(kenji, "is away for now")) == 1
    assert back_at > START


def test_statuses_are_read_at_slacks_pace_and_a_429_waits_for_a_later_pass(cycle: Cycle) -> None:
    people = start_cycle(cycle)
    lea, standin = people["Lea"], cycle.world.standin
    standin.set_status(lea.id, ":palm_tree:", "On holiday", 0)
    seconds = [0.0]
    limiter = RateLimiter(clock=lambda: seconds[0])  # the scheduler's, kept from pass to pass
    for _ in range(per_minute("users.info")):  # this minute's reads already spent (the joins' follow-ups)
        limiter.take(standin.team_id, "users.info")
    read = len(standin.calls_to("users.info"))

    def follow() -> int:
        return jobs.follow_away_statuses(cycle.db, cycle.client, now=cycle.now, limiter=limiter)

    assert follow() == 0
    assert len(standin.calls_to("users.info")) == read  # nothing asked that Slack would refuse

    seconds[0] += 60  # a minute later: Slack still refuses the first read, for 30 s
    standin.rate_limit_next("users.info", retry_after=30)
    assert follow() == 0
    refused = standin.calls_to("users.info")[read:]
    assert [call.status for call in refused] == [429]  # and nothing more this pass

    seconds[0] += 29
    assert follow() == 0 and len(standin.calls_to("users.info")) == read + 1  # still waiting out Retry-After
    seconds[0] += 2
    assert follow() == 1  # every matched person read, Lea found away
    assert len(standin.calls_to("users.info")) == read + 1 + len(people)
    [lea_row] = [p for p in cycle.rows(Participant) if p.slack_user_id == lea.id]
    assert lea_row.away_since is not None

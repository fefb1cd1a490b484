"""What a match is due, as a pure function of its state; working-hours windows; late delivery waits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from mentoring.programmes import ProgrammeAnswers, validate_programme
from scheduling.checkins import MatchState, Member, plan_match
from scheduling.hours import Window, next_working_slot
from scheduling.outbox import deliver_due, enqueue
from standin import BOT_TOKEN, TEAM_ID, SlackStandIn, find
from store.db import Database
from store.models import OutboxMessage

RELEASED = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def state(last: datetime | None = None, unanswered: int = 0, active: bool = True, **kw: object) -> MatchState:
    fields: dict[str, object] = {
        "released_at": RELEASED,
        "cadence_days": 14,
        "last_checkin_at": last,
        "cycle_started_at": RELEASED,
        "cycle_ends_at": RELEASED + 90 * DAY,
        "members": (Member("U1", active, unanswered), Member("U2", True, 0)),
    }
    fields.update(kw)
    return MatchState(**fields)  # type: ignore[arg-type]


def kinds(plan_state: MatchState, now: datetime) -> list[tuple[str, str | None]]:
    return [(d.kind, d.user_id) for d in plan_match(plan_state, now).due]


def test_nothing_is_due_in_the_first_cadence_and_the_next_look_is_its_end() -> None:
    plan = plan_match(state(), RELEASED + 3 * DAY)
    assert plan.due == [] and plan.next_at == RELEASED + 14 * DAY


def test_each_member_is_asked_once_a_period_unless_the_pair_logged_one() -> None:
    assert kinds(state(), RELEASED + 15 * DAY) == [("checkin", "U1"), ("checkin", "U2")]
    assert kinds(state(last=RELEASED + 14.5 * DAY), RELEASED + 15 * DAY) == []
    keys = {d.key for d in plan_match(state(), RELEASED + 15 * DAY).due}
    assert keys == {"U1:1", "U2:1"}  # the period is in the key: planning again adds nothing


def test_a_quiet_pair_is_nudged_after_two_cadences_and_escalated_after_three() -> None:
    assert ("nudge", None) not in kinds(state(), RELEASED + 27 * DAY)
    assert ("nudge", None) in kinds(state(), RELEASED + 28 * DAY)
    assert ("escalate", None) not in kinds(state(), RELEASED + 41 * DAY)
    assert ("escalate", None) in kinds(state(), RELEASED + 42 * DAY)
    # A check-in starts a new quiet stretch: the next nudge has another key, and it is weeks away.
    logged = RELEASED + 30 * DAY
    assert ("nudge", None) not in kinds(state(last=logged), RELEASED + 50 * DAY)
    later = plan_match(state(last=logged), RELEASED + 58 * DAY)
    nudge = next(d for d in later.due if d.kind == "nudge")
    assert nudge.key == str(int(logged.timestamp())) and nudge.earliest == logged + 28 * DAY


def test_after_three_unanswered_the_question_is_about_a_pause_and_then_nothing() -> None:
    assert ("ask_pause", "U1") in kinds(state(unanswered=3), RELEASED + 57 * DAY)
    assert [k for k in kinds(state(unanswered=4), RELEASED + 57 * DAY) if k[1] == "U1"] == []
    # A paused person gets nothing; their partner is still asked.
    assert kinds(state(active=False), RELEASED + 15 * DAY) == [("checkin", "U2")]


def test_pulse_halfway_exit_and_closing_in_the_last_week_then_nothing_after_the_end() -> None:
    assert ("pulse", "U1") in kinds(state(last=RELEASED + 44 * DAY), RELEASED + 45 * DAY)
    assert plan_match(state(last=RELEASED + 43 * DAY), RELEASED + 44 * DAY).next_at == RELEASED + 45 * DAY
    last_week = kinds(state(last=RELEASED + 84 * DAY), RELEASED + 84 * DAY)
    assert ("exit", "U1") in last_week and ("closing", None) in last_week
    assert not [k for k in last_week if k[0] == "checkin"]  # the exit reflection replaces the check-in
    after = plan_match(state(last=RELEASED + 84 * DAY), RELEASED + 91 * DAY)
    assert after.due == [] and after.next_at is None


def test_a_match_released_after_halfway_gets_no_pulse() -> None:
    late = state(released_at=RELEASED + 50 * DAY, last=RELEASED + 60 * DAY)
    assert ("pulse", "U1") not in kinds(late, RELEASED + 66 * DAY)


def test_working_slots_follow_the_programme_window_in_the_persons_timezone() -> None:
    monday_night = datetime(2027, 1, 4, 23, 0, tzinfo=UTC)
    tokyo = next_working_slot(monday_night, "Asia/Tokyo")  # Tuesday 08:00 there: wait until 10:00
    assert tokyo.astimezone(ZoneInfo("Asia/Tokyo")) == datetime(2027, 1, 5, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    fridays = Window(days=(4,), start=9, end=12)
    slot = next_working_slot(monday_night, "America/New_York", window=fridays)
    assert slot.astimezone(ZoneInfo("America/New_York")) == datetime(
        2027, 1, 8, 9, 0, tzinfo=ZoneInfo("America/New_York")
    )
    assert fridays.contains(slot, "America/New_York") and not fridays.contains(slot, "Asia/Tokyo")


def test_the_check_in_window_is_validated() -> None:
    base = {"name": "Guild", "kind": "one_to_one", "cycle_days": "90", "cadence": "weekly", "skills": "Writing"}
    form, errors = validate_programme(
        ProgrammeAnswers(**base, checkin_days=("0", "4", "9"), checkin_start_hour="8", checkin_end_hour="12"),  # type: ignore[arg-type]
        today=date(2027, 1, 4),
        taken_names=set(),
    )
    assert errors == {} and form is not None
    assert (form.checkin_days, form.checkin_start_hour, form.checkin_end_hour) == ([0, 4], 8, 12)
    _, errors = validate_programme(
        ProgrammeAnswers(**base, checkin_start_hour="15", checkin_end_hour="16"),  # type: ignore[arg-type]
        today=date(2027, 1, 4),
        taken_names=set(),
    )
    assert "at least two hours" in errors["checkin_end_hour"]


def test_a_message_that_comes_due_at_night_waits_for_the_morning(db: Database) -> None:
    """Delivery ran late (the app was down all day): a check-in due at 15:00 is not sent at 23:00."""
    ana = find("Ana")  # Lisbon
    due = datetime(2027, 1, 5, 15, 0, tzinfo=UTC)
    with db.begin() as session:
        enqueue(
            session,
            team_id=TEAM_ID,
            key="checkin:1:ana:1",
            kind="checkin",
            recipient=ana.id,
            text="Did you and Sam meet?",
            not_before=due,
            window=Window().as_payload(ana.tz),
        )
    with SlackStandIn() as standin:
        from slack_sdk import WebClient

        client = WebClient(token=BOT_TOKEN, base_url=standin.api_url)
        late = datetime(2027, 1, 5, 23, 0, tzinfo=UTC)
        report = deliver_due(db, client, now=late, worker_id="test")
        assert (report.sent, report.deferred) == (0, 1) and standin.dms(ana.id) == []
        with db.session() as session:
            [row] = session.exec(select(OutboxMessage)).all()
        assert row.status == "pending" and row.not_before == datetime(2027, 1, 6, 10, 0, tzinfo=UTC)
        report = deliver_due(db, client, now=row.not_before, worker_id="test")
        assert report.sent == 1 and len(standin.dms(ana.id)) == 1


def test_the_first_check_in_links_a_guide_that_exists_for_each_role() -> None:
    from blocks import checkins as checkin_ui
    from prompts.guides import load_guides

    library = load_guides()
    for role, guide_id in checkin_ui.FIRST_CHECKIN_GUIDES.items():
        guide = library.get(guide_id)
        assert guide is not None and role in guide.roles, role


def test_the_workspace_post_limit_paces_delivery_across_channels() -> None:
    """DMs to several people: each channel allows a message now, the workspace limit (60 a minute, a burst of
    one second's worth, so a new leader taking over delivery does not start with a flood) lets one through
    a second."""
    from scheduling.outbox import RateLimiter

    now = [0.0]
    limiter = RateLimiter(lambda: now[0], post_per_minute=60)
    assert limiter.wait("T1", "chat.postMessage", "D0") == 0
    limiter.take("T1", "chat.postMessage", "D0")
    assert limiter.wait("T1", "chat.postMessage", "D99") == 1.0  # a new channel, but the workspace is at its limit
    assert limiter.wait("T2", "chat.postMessage", "D99") == 0  # another workspace has its own
    now[0] += 1.0
    assert limiter.wait("T1", "chat.postMessage", "D99") == 0

"""Wiring only: which job runs when. The jobs themselves live in `scheduling.jobs`."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from slack_sdk import WebClient

from gateway import metrics
from gateway.slack import TeamClients
from scheduling import jobs
from scheduling.checkins import plan_checkins
from scheduling.choosing import expire_requests
from scheduling.culture import plan_alumni_invitations, plan_circle_reflections, plan_mentors_circles
from scheduling.delivery import DeliveryLoop
from scheduling.digests import deliver_digest_charts, plan_digests
from scheduling.leader import Leadership, worker_id
from scheduling.meetings import plan_meeting_reminders
from scheduling.outbox import POST_PER_MINUTE, RateLimiter, deliver_due
from scheduling.roadmaps import plan_roadmap_nudges
from store import queries
from store.db import Database
from store.installations import purge_expired_states

logger = logging.getLogger(__name__)


def tick(
    db: Database,
    client: WebClient | TeamClients,
    *,
    now: datetime,
    limiter: RateLimiter | None = None,
    delivery: DeliveryLoop | None = None,
) -> dict[str, object]:
    """One pass of every job at `now` (what the scheduler runs, and what `mentor-bot tick` runs once).

    Planning jobs first, then delivery of whatever is due (including what they just planned): with a running
    `delivery` loop, the pass only wakes it when it queued something; without one (`mentor-bot tick`, tests)
    it delivers in the pass. `client` is one workspace's client, or (many workspaces) a factory: a job that
    calls Slack picks each workspace's client with `gateway.slack.team_clients(client).for_team(team_id)`.
    """
    limiter = limiter or RateLimiter()
    result: dict[str, object] = {
        "pauses_ended": jobs.end_pauses(db, now=now),
        "away_changed": jobs.follow_away_statuses(db, client, now=now, limiter=limiter),
        "workspaces_purged": jobs.purge_uninstalled(db, now=now),
        "checkins_planned": plan_checkins(db, now=now, admins=jobs.admin_lookup(client)),
        "roadmap_nudges_planned": plan_roadmap_nudges(db, now=now),
        "meeting_reminders_planned": plan_meeting_reminders(db, now=now),
        "requests_expired": expire_requests(db, now=now),
        "mentors_circles_planned": plan_mentors_circles(db, now=now),
        "alumni_invited": plan_alumni_invitations(db, now=now),
        "circle_reflections_planned": plan_circle_reflections(db, now=now),
        "digests_planned": plan_digests(db, client, now=now),
        "install_states_purged": purge_expired_states(db.engine, now=now),
    }
    if delivery is not None:
        if any(result.values()):
            delivery.wake()
    else:
        report = deliver_due(db, client, now=now, worker_id=worker_id(), limiter=limiter)
        result["delivered"] = report.sent + report.recovered
        result["delivery_failed"] = len(report.failed)  # each is logged by the worker, with its Slack error
        result["failures_handled"] = jobs.act_on_failures(db, client, report.failed, now=now)
    result["digest_charts"] = deliver_digest_charts(db, client, now=now)  # after their messages are sent
    return result


def _tick_now(
    db: Database,
    client: WebClient | TeamClients,
    leadership: Leadership,
    limiter: RateLimiter,
    interval_seconds: int = 600,
    delivery: DeliveryLoop | None = None,
) -> None:
    """Run a pass only if this process leads: several replicas may run the scheduler, one acts.

    Either way the process reports in (`scheduler_state`, read by /readyz, and the scheduler metrics).
    """
    leading = leadership.try_lead()
    metrics.SCHEDULER_LEADER.set(1 if leading else 0)

    def report(passed: bool) -> None:
        with db.begin() as session:
            queries.record_scheduler_state(
                session=session,
                worker_id=worker_id(),
                leader=leading,
                interval_seconds=interval_seconds,
                now=datetime.now(UTC),
                passed=passed,
            )

    report(passed=False)  # before the pass, which may be long: a new leader is known at once
    if not leading:
        logger.debug("another replica leads the scheduler; skipping this pass")
        return
    tick(db, client, now=datetime.now(UTC), limiter=limiter, delivery=delivery)
    metrics.scheduler_pass(True)
    report(passed=True)


def build_scheduler(
    db: Database,
    client: WebClient | TeamClients,
    *,
    interval_seconds: int = 600,
    blocking: bool = False,
    leadership: Leadership | None = None,
    post_per_minute: int = POST_PER_MINUTE,
    delivery: DeliveryLoop | None = None,
) -> BaseScheduler:
    """The loop: a thread in this process, or (blocking) the process's main loop for `mentor-bot scheduler`.

    Each interval the process tries to lead (`scheduling.leader`); only the leader runs the pass. With a
    `delivery` loop (started by the caller), the pass plans and wakes it instead of sending itself.
    """
    leadership = leadership or Leadership(db.engine)
    scheduler: BaseScheduler = BlockingScheduler(timezone=UTC) if blocking else BackgroundScheduler(timezone=UTC)
    scheduler.add_job(
        _tick_now,
        "interval",
        seconds=interval_seconds,
        args=(db, client, leadership, RateLimiter(post_per_minute=post_per_minute), interval_seconds, delivery),
        id="tick",
        name="plan and send what is due",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=300,
        next_run_time=datetime.now(UTC),
        replace_existing=True,
    )
    return scheduler

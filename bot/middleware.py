"""Middleware for every request: dependencies in the context, and Slack's event retries handled once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

from bot import logs, outage
from gateway.slack import metered
from handlers.deps import Deps, deps_of
from store import queries

logger = logging.getLogger(__name__)


class _Provide(Middleware):
    """Dependencies in the context, the Web API client counted, and the team and user on every log line."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse:
        context = req.context
        context["deps"] = self.deps
        if context.get("client") is not None:
            context["client"] = metered(context["client"])  # Web API calls counted in /metrics
        # Logs of this request (here and in the listener threads, which copy the context) carry its team and
        # user; reset afterwards, for threads that serve many requests (Socket Mode).
        team = logs.TEAM_ID.set(context.get("team_id"))
        user = logs.USER_ID.set(context.get("user_id"))
        try:
            return next()
        finally:
            logs.TEAM_ID.reset(team)
            logs.USER_ID.reset(user)


def provide(deps: Deps) -> Middleware:
    """A class middleware, which Bolt calls as it is (a function middleware costs a kwargs injection a request)."""
    return _Provide(deps)


def handle_each_event_once(body: dict[str, Any], context: Any, next: Callable[[], Any]) -> Any:
    """Slack redelivers an event it thinks we missed (`X-Slack-Retry-Num`); the event_id tells them apart."""
    event_id = body.get("event_id")
    if body.get("type") != "event_callback" or not event_id:
        return next()
    team_id = body.get("team_id") or context.get("team_id") or ""
    try:
        with deps_of(context).db.begin() as session:
            first = queries.claim_event(session=session, team_id=team_id, event_id=event_id)
    except Exception as error:
        if not outage.is_outage(error):
            raise
        # Not recorded, so Slack's retry (after the outage, we hope) is handled: see bot/outage.py.
        logger.warning("the database cannot be reached; Slack will send the event again", extra={"event_id": event_id})
        return BoltResponse(status=503, body={"error": "database_unavailable"})
    if not first:
        logger.info("event delivered again; already handled", extra={"event_id": event_id, "team_id": team_id})
        return BoltResponse(status=200, body="")
    return next()


class _EachEventOnce(Middleware):
    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse:
        response: BoltResponse = handle_each_event_once(req.body, req.context, next)
        return response


def register(app: App) -> None:
    app.use(_EachEventOnce())

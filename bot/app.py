"""The app factory: builds the Bolt app and the HTTP front from one settings object."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_response import WsgiHttpResponse
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient

import handlers
from bot import errors, logs, middleware, monitoring, outage, screening
from bot.install import INSTALL_PATH, REDIRECT_PATH, installation_store, make_team_clients, oauth_settings
from bot.settings import Settings
from gateway import metrics
from gateway.slack import TeamClients, make_web_client
from handlers import join
from handlers.common import ANSWERED
from handlers.deps import Deps
from prompts.llm import make_helper
from scheduling.followups import FollowUpLoop, Runner
from scheduling.hooks import SchedulerJobs
from scheduling.leader import worker_id
from store import queries
from store.db import Database
from store.installations import InstallationStore
from store.models import SchedulerState

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


def make_deps(
    settings: Settings,
    db: Database,
    *,
    jobs: SchedulerJobs | None = None,
    installations: InstallationStore | None = None,
) -> Deps:
    """What listeners need (`handlers.deps.Deps`); the follow-up worker runs its share of their work with it."""
    llm = make_helper(
        settings.secret("openai_api_key"), settings.openai_base_url, settings.openai_model, settings.openai_timeout
    )
    return Deps(
        db=db,
        jobs=jobs or SchedulerJobs(db),
        llm=llm,
        installations=installations,
        guides_dir=settings.guides_dir,
        data_retention_days=settings.data_retention_days,
    )


def follow_up_runners(deps: Deps) -> dict[str, Runner]:
    """What the follow-up worker does for each kind of work listeners leave for after their ack."""
    return {join.JOINED: Runner(partial(join.after_join, deps), methods=join.JOINED_CALLS)}


def start_follow_ups(
    settings: Settings, db: Database, client: WebClient | TeamClients, *, jobs: SchedulerJobs | None = None
) -> FollowUpLoop:
    """The follow-up worker (`scheduling.followups`), in a thread of this process (the scheduler's, in HTTP
    mode)."""
    return FollowUpLoop(db, client, follow_up_runners(make_deps(settings, db, jobs=jobs))).start()


def create_app(
    settings: Settings,
    *,
    db: Database | None = None,
    slack_client: WebClient | None = None,
    jobs: SchedulerJobs | None = None,
) -> App:
    """Build the Bolt app. Nothing here reads the environment; connections open on first use.

    With SLACK_CLIENT_ID and SLACK_CLIENT_SECRET the app serves every workspace that installs it (`bot.install`);
    otherwise the one workspace of SLACK_BOT_TOKEN. What listeners leave for after their ack is done by a
    follow-up worker (`start_follow_ups`): the scheduler's process runs one.
    """
    db = db or Database.from_url(settings.database_url)
    signing_secret = settings.secret("slack_signing_secret")
    bolt_logger = logging.getLogger("mentor_bot.bolt")
    bolt_logger.addFilter(_drop_token_fallback_warning)
    store: InstallationStore | None = None
    if settings.oauth_mode:
        store = installation_store(settings, db)
        client = slack_client or make_web_client(token=None, base_url=settings.slack_api_url)
        oauth = oauth_settings(settings, store, db)
        app = App(
            name="mentor-bot",
            client=client,
            signing_secret=signing_secret or "",
            oauth_settings=oauth,
            # Bolt's own would refresh rotating tokens at slack.com whatever SLACK_API_URL says.
            authorize=InstallationStoreAuthorize(  # type: ignore[arg-type]  # Bolt accepts an Authorize too
                installation_store=store,
                client_id=oauth.client_id,
                client_secret=oauth.client_secret,
                token_rotation_expiration_minutes=settings.token_rotation_minutes,
                bot_only=True,
                client=client,
                logger=bolt_logger,
            ),
            installation_store_bot_only=True,
            logger=bolt_logger,
            listener_executor=logs.ContextExecutor(max_workers=5),  # Bolt's default size, carrying log context
        )
    else:
        client = slack_client or make_web_client(
            token=settings.secret("slack_bot_token"), base_url=settings.slack_api_url
        )
        app = App(
            name="mentor-bot",
            client=client,
            signing_secret=signing_secret or "",
            # Socket Mode has no HTTP requests to verify; HTTP mode always verifies.
            request_verification_enabled=bool(signing_secret),
            logger=bolt_logger,
            listener_executor=logs.ContextExecutor(max_workers=5),  # Bolt's default size, carrying log context
        )
    deps = make_deps(settings, db, jobs=jobs, installations=store)
    app.use(middleware.provide(deps))
    middleware.register(app)
    errors.register(app)
    handlers.register_all(app)
    return app


def _drop_token_fallback_warning(record: logging.LogRecord) -> bool:
    """Bolt falls back to reading SLACK_BOT_TOKEN itself and warns that our client's token wins; it does."""
    return "`token` will be unused" not in record.getMessage()


class WebApp:
    """The WSGI application for HTTP mode: Bolt at /slack/events (and the install pages in multi-workspace
    mode), plus `/healthz`, `/readyz` and `/metrics`.

    Each request to /slack/events is screened once (`bot.screening`: signature, age, size, content type,
    shape), refused with a 4xx when it is not what Slack sends, and refused with a 401 when its signature was
    already seen (a replay; the store is shared by every worker and replica). Bolt then gets the body already
    parsed and verified. When the database cannot be reached the request is answered at once (`bot.outage`).
    Every request gets a request id (the proxy's `X-Request-Id`, or a new one), returned in the answer and
    carried by every log line about it, and is counted by listener and outcome with its time to acknowledge.
    """

    PRUNE_EVERY = 60.0  # seconds between two prunes of the replay store by one worker

    def __init__(
        self, app: App, db: Database, *, signing_secret: str | None = None, scheduler_worker_id: str | None = None
    ) -> None:
        self.app = app
        self.bolt = SlackRequestHandler(app, path=EVENTS_PATH)
        self.db = db
        # The scheduler serving beside this app: a child process in HTTP mode, else this process.
        self.scheduler_worker_id = scheduler_worker_id or worker_id()
        self.signing_secret = signing_secret
        self._pruned_at = 0.0
        self.follow_ups: FollowUpLoop | None = None  # the follow-up worker, when this process runs one

    def close(self) -> None:
        """Stop the follow-up worker this process runs, if any, and close the database's connections."""
        if self.follow_ups is not None:
            self.follow_ups.stop()
            self.follow_ups = None
        self.db.dispose()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            return self._json(start_response, "200 OK", {"status": "ok"})
        if path == "/readyz":
            ready, report = readiness(self.db, scheduler_worker_id=self.scheduler_worker_id)
            return self._json(start_response, "200 OK" if ready else "503 Service Unavailable", report)
        if path == "/metrics":
            body, content_type = monitoring.exposition(self.db)
            start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
            return [body]
        request_id = _request_id(environ.get("HTTP_X_REQUEST_ID"))
        started = time.perf_counter()
        answered: list[str] = []

        def answer(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answered.append(status)
            headers.append(("X-Request-Id", request_id))
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        listener = {INSTALL_PATH: "oauth:install", REDIRECT_PATH: "oauth:redirect"}.get(path, "other")
        with logs.request_context(request_id):
            try:
                if path == EVENTS_PATH and environ.get("REQUEST_METHOD") == "POST":
                    listener, result = self._events(environ)
                    status, headers, chunks = result
                    answer(status, headers)
                    return chunks
                return self.bolt(environ, answer)
            except Exception:
                answered.append("500")
                raise
            finally:
                code = answered[-1][:3] if answered else "500"
                outcome = "ok" if code < "400" else "refused" if code < "500" else "error"
                metrics.REQUESTS.labels(listener=listener, outcome=outcome).inc()
                metrics.ACK_SECONDS.labels(kind=metrics.request_kind(listener)).observe(time.perf_counter() - started)

    def _events(self, environ: WSGIEnvironment) -> tuple[str, tuple[str, list[tuple[str, str]], list[bytes]]]:
        """Screen, refuse replays, and hand Bolt what passed. Returns the listener (for metrics) and the answer."""
        screened = screening.screen(environ, self.signing_secret, now=time.time())
        if isinstance(screened, screening.Refusal):
            if screened.detail:
                logger.warning("refused a request Slack would not send: %s", screened.detail)
            return screened.label, _json_answer(screened.status, {"error": screened.reason})
        if screened.kind not in UNRECORDED:
            try:
                fresh = self._claim(screened)
            except Exception as error:
                if not outage.is_outage(error):
                    raise
                logger.warning("the database cannot be reached; answered without running the listener")
                status, payload = outage.answer(screened.kind, screened.body)
                outage.tell_later(screened.kind, screened.body, self.app.client)
                return screened.listener, _json_answer(status, payload)
            if not fresh:
                logger.warning("refused a replayed request (its signature was already seen)")
                return "replayed", _json_answer("401 Unauthorized", {"error": "replayed_request"})
        # Verified and parsed here: Bolt skips its own signature check and parsing for a body handed over parsed.
        request = BoltRequest(body=screened.body, headers=screened.headers, mode="socket_mode")
        # Set once the answer has gone out: a listener that replaced a modal in its ack waits for it before it
        # updates that modal again (`handlers.common.after_answer`), or Slack would show the ack's view last.
        answered = threading.Event()
        request.context[ANSWERED] = answered
        response = self.app.dispatch(request)
        http = WsgiHttpResponse(status=response.status, headers=response.headers, body=response.body)
        return screened.listener, (http.status, http.get_headers(), _Answer(list(http.get_body()), answered))

    def _claim(self, screened: screening.Screened) -> bool:
        """Record the request's signature, in one statement that commits itself; False when it was seen before.
        Prunes old ones now and then."""
        signed_at = datetime.fromtimestamp(screened.timestamp, UTC)
        digest = screened.signature_digest
        fresh = self.db.alone(
            lambda connection: queries.claim_request(session=connection, signature_hash=digest, signed_at=signed_at)
        )
        now = time.monotonic()
        if fresh and now - self._pruned_at > self.PRUNE_EVERY:
            self._pruned_at = now
            self.db.alone(lambda connection: queries.prune_seen_requests(session=connection, now=datetime.now(UTC)))
        return fresh

    @staticmethod
    def _json(start_response: StartResponse | Any, status: str, payload: dict[str, Any]) -> list[bytes]:
        status, headers, chunks = _json_answer(status, payload)
        start_response(status, headers)
        return chunks


class _Answer(list[bytes]):
    """The chunks of an answer; the WSGI server calls `close()` once it has written them."""

    def __init__(self, chunks: list[bytes], answered: threading.Event) -> None:
        super().__init__(chunks)
        self.answered = answered

    def close(self) -> None:
        self.answered.set()


# Requests with no effect that Slack sends to check the app (URL verification, SSL check): not recorded, so
# they are answered even while the database is down.
UNRECORDED = {"url_verification", "ssl_check"}


def _json_answer(status: str, payload: dict[str, Any] | None) -> tuple[str, list[tuple[str, str]], list[bytes]]:
    if payload is None:
        return status, [("Content-Length", "0")], [b""]
    body = json.dumps(payload).encode()
    return status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))], [body]


def _request_id(given: str | None) -> str:
    """The proxy's request id when it looks like one, else a new one."""
    if given and len(given) <= 64 and all(c.isalnum() or c in "-_.:" for c in given):
        return given
    return uuid.uuid4().hex


def readiness(db: Database, *, scheduler_worker_id: str = "") -> tuple[bool, dict[str, Any]]:
    """Ready when the database answers. The report also says how the scheduler is doing (it runs apart)."""
    if not db.ping():
        return False, {"status": "unavailable", "database": False}
    try:
        with db.session() as session:
            states = queries.scheduler_states(session=session)
    except Exception:  # noqa: BLE001 - readiness reports what it can
        return True, {"status": "ok", "database": True, "scheduler": None}
    report = scheduler_report(states, here=scheduler_worker_id, now=datetime.now(UTC))
    return True, {"status": "ok", "database": True, "scheduler": report}


def scheduler_report(states: Sequence[SchedulerState], *, here: str, now: datetime) -> dict[str, Any]:
    """The scheduler beside this app (`here`: leader or follower, last pass) and the replica leading, if any
    reported lately (a follower checks in at each interval; a leader also runs the pass)."""

    def alive(state: SchedulerState) -> bool:
        return now - state.seen_at <= timedelta(seconds=2 * state.interval_seconds + 60)

    def describe(state: SchedulerState) -> dict[str, Any]:
        return {
            "worker": state.worker_id,
            "role": "leader" if state.leader else "follower",
            "seen_at": state.seen_at.isoformat(),
            "last_pass_at": state.last_pass_at.isoformat() if state.last_pass_at else None,
        }

    mine = next((s for s in states if s.worker_id == here and alive(s)), None)
    leader = next((s for s in states if s.leader and alive(s)), None)
    return {
        "here": describe(mine) if mine else None,
        "leader": describe(leader) if leader else None,
    }


def create_web_app(
    settings: Settings,
    *,
    slack_client: WebClient | None = None,
    scheduler_worker_id: str | None = None,
    run_follow_ups: bool = False,
) -> WebApp:
    """The WSGI app. `run_follow_ups`: do the work listeners leave for after their ack in a thread of this
    process, woken as soon as it is queued (one process serving alone, the tests); `WebApp.close` stops it.
    gunicorn's workers leave it to the scheduler's process."""
    db = Database.from_url(settings.database_url)
    jobs = SchedulerJobs(db)
    app = create_app(settings, db=db, slack_client=slack_client, jobs=jobs)
    web = WebApp(
        app, db, signing_secret=settings.secret("slack_signing_secret"), scheduler_worker_id=scheduler_worker_id
    )
    if run_follow_ups:
        clients = slack_client or make_team_clients(settings, db)
        web.follow_ups = start_follow_ups(settings, db, clients, jobs=jobs)
        jobs.wake_follow_ups = web.follow_ups.wake
    return web

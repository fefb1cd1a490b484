"""Running the app: Socket Mode (one websocket) or HTTP mode (gunicorn, threaded workers)."""

from __future__ import annotations

import gc
import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bot.settings import Settings

logger = logging.getLogger(__name__)


def start_scheduler(settings: Settings, *, blocking: bool = False) -> Any:
    """The scheduled loop (check-ins, pauses, purges), the delivery loop and the follow-up worker, with their own
    database engine and Slack client."""
    from bot.app import start_follow_ups
    from bot.install import make_team_clients
    from scheduling.delivery import DeliveryLoop
    from scheduling.scheduler import build_scheduler
    from store.db import Database

    db = Database.from_url(settings.database_url)
    clients = make_team_clients(settings, db)
    # Delivery runs continuously at Slack's pace in a thread of its own; the scheduler's passes plan and wake it.
    delivery = DeliveryLoop(db, clients, post_per_minute=settings.slack_post_per_minute).start()
    # What listeners leave for after their ack (a join's DM and App Home), away from the web workers.
    start_follow_ups(settings, db, clients)
    scheduler = build_scheduler(
        db,
        clients,
        blocking=blocking,
        interval_seconds=settings.scheduler_interval_seconds,
        post_per_minute=settings.slack_post_per_minute,
        delivery=delivery,
    )
    logger.info("scheduler starting")
    scheduler.start()
    return scheduler


def spawn_scheduler_process() -> subprocess.Popen[bytes]:
    """`mentor-bot scheduler` as a child process. gunicorn forks workers from its master, and forking a process
    that runs threads (a scheduler, a database pool) can deadlock the child, so the loop lives apart."""
    return subprocess.Popen([sys.executable, "-m", "bot", "scheduler"])


def prepare_metrics_dir(configured: Path | None) -> Path:
    """prometheus-client's multiprocess mode: every gunicorn worker and the scheduler child write their counts
    to files in one folder, and /metrics adds them up. The folder is emptied at start (counts restart with the
    server, as they would in one process). Must run before any of those processes imports prometheus_client."""
    folder = configured or Path(tempfile.gettempdir()) / f"mentor-bot-metrics-{os.getpid()}"
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    return folder


def _gunicorn_logger_class() -> type:
    from gunicorn import glogging

    class Logger(glogging.Logger):
        def setup(self, cfg: Any) -> None:
            super().setup(cfg)
            ours = list(logging.getLogger().handlers)
            if ours:
                self.error_log.handlers = ours

    return Logger


def _mark_dead(pid: int) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid)


def serve_socket_mode(settings: Settings, *, scheduler: bool = True) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.app import create_app

    settings.require_socket_mode()
    app = create_app(settings)
    if scheduler:
        start_scheduler(settings)
    logger.info("starting in Socket Mode")
    SocketModeHandler(app, app_token=settings.secret("slack_app_token")).start()


def serve_http(settings: Settings, *, scheduler: bool = True) -> None:
    """Serve with gunicorn's threaded workers (see the serving figures in the README)."""
    from gunicorn.app.base import BaseApplication

    settings.require_http_mode()
    metrics_dir = prepare_metrics_dir(settings.metrics_dir)
    children: list[subprocess.Popen[bytes]] = []  # the scheduler, when this server runs one

    class Server(BaseApplication):
        def load_config(self) -> None:
            options: dict[str, Any] = {
                "bind": f"{settings.host}:{settings.port}",
                "workers": settings.web_workers,
                "threads": settings.web_threads,
                "worker_class": "gthread",
                "timeout": 30,
                "graceful_timeout": 10,
                "accesslog": None,
                "loglevel": settings.log_level.lower(),
                # gunicorn's own lines go through our handler too (JSON, redacted); no access log (the
                # OAuth redirect's query string holds a one-time code).
                "logger_class": _gunicorn_logger_class(),
                # A worker that exits leaves its metric files; its live gauges must stop counting.
                "child_exit": lambda _server, worker: _mark_dead(worker.pid),
            }
            if scheduler:
                # One scheduler per server, whatever the number of workers, in a child process of its own.
                # Started before gunicorn forks its workers, so they know it (its worker id, in /readyz).
                options["when_ready"] = lambda _server: children.append(spawn_scheduler_process())

                def stop_children(_server: Any) -> None:
                    for child in children:
                        child.terminate()
                        child.wait(timeout=10)

                options["on_exit"] = stop_children
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            # Runs in each worker after the fork, so every worker has its own engine and HTTP pool.
            from bot.app import create_web_app
            from scheduling.leader import worker_id

            scheduler_id = worker_id(children[0].pid) if children else None
            web = create_web_app(settings, scheduler_worker_id=scheduler_id)
            # What the worker built at start lives as long as it does: the cycle collector need not walk it again.
            gc.freeze()
            return web

    logger.info(
        "starting in HTTP mode on %s:%s%s",
        settings.host,
        settings.port,
        "/slack/events",
        extra={"metrics_dir": str(metrics_dir)},
    )
    Server().run()

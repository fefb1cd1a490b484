"""Running the app: Socket Mode (one websocket) or HTTP mode (gunicorn, threaded workers)."""

from __future__ import annotations

import logging
from typing import Any

from bot.settings import Settings

logger = logging.getLogger(__name__)


def start_scheduler(settings: Settings) -> Any:
    """The background loop (check-ins, pauses, purges), with its own database engine and Slack client."""
    from bot.slack import make_web_client
    from scheduling.scheduler import build_scheduler
    from store.db import Database

    client = make_web_client(token=settings.secret("slack_bot_token"), base_url=settings.slack_api_url)
    scheduler = build_scheduler(Database.from_url(settings.database_url), client)
    scheduler.start()
    logger.info("scheduler started")
    return scheduler


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
            }
            if scheduler:
                # One scheduler per server, in gunicorn's master process, whatever the number of workers.
                options["when_ready"] = lambda _server: start_scheduler(settings)
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            # Runs in each worker after the fork, so every worker has its own engine and HTTP pool.
            from bot.app import create_web_app

            return create_web_app(settings)

    logger.info("starting in HTTP mode on %s:%s%s", settings.host, settings.port, "/slack/events")
    Server().run()

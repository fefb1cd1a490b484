"""The load benchmark's baseline: a bare Bolt app that only acks, served like mentor-bot (gunicorn gthread).

`python -m bench.load_baseline` with SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN, SLACK_API_URL, HOST, PORT,
WEB_WORKERS, WEB_THREADS in the environment. The WSGI front is Bolt's own adapter (the one mentor-bot uses),
plus `/healthz`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment


def build_wsgi(signing_secret: str, token: str, api_url: str) -> Any:
    from slack_bolt import Ack, App
    from slack_bolt.adapter.wsgi import SlackRequestHandler
    from slack_sdk import WebClient

    # Like mentor-bot, Bolt checks the token with auth.test on the first request (at the stand-in) and caches it.
    client = WebClient(token=token, base_url=api_url)
    app = App(signing_secret=signing_secret, token=token, client=client, token_verification_enabled=False)

    def on_mentor(ack: Ack) -> None:
        ack(text="Here is what I can do", response_type="ephemeral")

    def on_view(ack: Ack) -> None:
        ack()

    app.command("/mentor")(on_mentor)
    app.view("join_submit")(on_view)
    bolt = SlackRequestHandler(app, path="/slack/events")

    def wsgi(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
            return [b"ok"]
        result: Iterable[bytes] = bolt(environ, start_response)
        return result

    return wsgi


def main() -> None:
    from gunicorn.app.base import BaseApplication

    secret = os.environ["SLACK_SIGNING_SECRET"]
    options: dict[str, Any] = {
        "bind": f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '3001')}",
        "workers": int(os.environ.get("WEB_WORKERS", "2")),
        "threads": int(os.environ.get("WEB_THREADS", "8")),
        "worker_class": "gthread",
        "timeout": 30,
        "graceful_timeout": 10,
        "accesslog": None,
        "loglevel": os.environ.get("LOG_LEVEL", "warning").lower(),
    }

    class Server(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return build_wsgi(secret, os.environ["SLACK_BOT_TOKEN"], os.environ["SLACK_API_URL"])

    Server().run()


if __name__ == "__main__":
    main()

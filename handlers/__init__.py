"""Slack listeners. Each module has one `register(app)`; `register_all` wires them in one place."""

from __future__ import annotations

from slack_bolt import App

from handlers import commands, errors, events, home, join


def register_all(app: App) -> None:
    events.register(app)
    errors.register(app)
    commands.register(app)
    join.register(app)
    home.register(app)

"""Slack listeners. Each module has one `register(app)`; `register_all` wires them in one place."""

from __future__ import annotations

from slack_bolt import App

from handlers import (
    admin,
    agreements,
    booking,
    checkins,
    choosing,
    commands,
    culture,
    digests,
    growth,
    guide,
    home,
    join,
    kudos,
    matching,
    membership,
    messages,
    prompt,
    roadmaps,
    roster,
    secondloop,
    skillgrowth,
    stories,
    surveys,
    training,
    workspace,
)


def register_all(app: App) -> None:
    commands.register(app)
    join.register(app)
    home.register(app)
    admin.register(app)
    membership.register(app)
    workspace.register(app)
    messages.register(app)
    matching.register(app)
    choosing.register(app)
    checkins.register(app)
    agreements.register(app)
    booking.register(app)
    guide.register(app)
    prompt.register(app)
    surveys.register(app)
    roadmaps.register(app)
    roster.register(app)
    secondloop.register(app)
    skillgrowth.register(app)
    training.register(app)
    growth.register(app)
    kudos.register(app)
    culture.register(app)
    digests.register(app)
    stories.register(app)

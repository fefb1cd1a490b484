"""A local Slack stand-in for tests and demos: a Web API server plus the platform that calls the app.

with SlackStandIn() as slack:
    client = WebClient(token=BOT_TOKEN, base_url=slack.api_url)
    platform = SlackPlatform("http://127.0.0.1:3000/slack/events", signing_secret, slack)
    platform.slash(find("Ana").id, text="join")
    platform.submit_view(find("Ana").id, slack.last_modal(find("Ana").id), {"goal": "Learn Go"})
    print(slack.transcript(find("Ana").id))
"""

from standin.blockkit import check_blocks, check_view, render_blocks, render_view
from standin.platform import Reply, SlackPlatform, sign, view_state
from standin.server import Call, Seen, SlackError, SlackStandIn
from standin.workspace import (
    APP_ID,
    APP_TOKEN,
    BOT_ID,
    BOT_PERSON,
    BOT_TOKEN,
    BOT_USER_ID,
    DEFAULT_PEOPLE,
    GENERAL_CHANNEL_ID,
    RANDOM_CHANNEL_ID,
    TEAM_DOMAIN,
    TEAM_ID,
    Person,
    find,
)

__all__ = [
    "APP_ID",
    "APP_TOKEN",
    "BOT_ID",
    "BOT_PERSON",
    "BOT_TOKEN",
    "BOT_USER_ID",
    "DEFAULT_PEOPLE",
    "GENERAL_CHANNEL_ID",
    "RANDOM_CHANNEL_ID",
    "TEAM_DOMAIN",
    "TEAM_ID",
    "Call",
    "Person",
    "Reply",
    "Seen",
    "SlackError",
    "SlackPlatform",
    "SlackStandIn",
    "check_blocks",
    "check_view",
    "find",
    "render_blocks",
    "render_view",
    "sign",
    "view_state",
]

"""`/mentor <subcommand>`: one router, subcommands registered by the modules that own them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from blocks.common import help_message
from blocks.text import escape, truncate


@dataclass(frozen=True)
class Invocation:
    """One `/mentor` call: who ran it, where, and the words after the subcommand."""

    team_id: str
    user_id: str
    channel_id: str
    trigger_id: str
    args: str
    client: WebClient
    respond: Respond
    context: Any


@dataclass(frozen=True)
class Subcommand:
    usage: str
    description: str
    run: Callable[[Invocation], None]


SUBCOMMANDS: dict[str, Subcommand] = {}


def subcommand(name: str, usage: str, description: str) -> Callable[[Callable[[Invocation], None]], Any]:
    def decorate(func: Callable[[Invocation], None]) -> Callable[[Invocation], None]:
        SUBCOMMANDS[name] = Subcommand(usage=usage, description=description, run=func)
        return func

    return decorate


def help_entries() -> list[tuple[str, str]]:
    return [("help", "show this message")] + [(s.usage, s.description) for s in SUBCOMMANDS.values()]


def on_mentor(ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond, context: Any) -> None:
    text = (command.get("text") or "").strip()
    name, _, rest = text.partition(" ")
    name = name.lower()
    if name in ("", "help"):
        message, blocks = help_message(help_entries())
        ack(text=message, blocks=blocks, response_type="ephemeral")
        return
    sub = SUBCOMMANDS.get(name)
    if sub is None:
        note = f"I don't know `/mentor {escape(truncate(name, 40))}`."
        message, blocks = help_message(help_entries(), note=note)
        ack(text=message, blocks=blocks, response_type="ephemeral")
        return
    ack()
    sub.run(
        Invocation(
            team_id=command["team_id"],
            user_id=command["user_id"],
            channel_id=command.get("channel_id", ""),
            trigger_id=command.get("trigger_id", ""),
            args=rest.strip(),
            client=client,
            respond=respond,
            context=context,
        )
    )


def register(app: App) -> None:
    app.command("/mentor")(on_mentor)

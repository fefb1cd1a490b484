"""`/mentor <subcommand>`: one router over one explicit table of subcommands, each run by the module that owns it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from blocks.common import help_message
from blocks.text import escape, truncate
from handlers import (
    admin,
    choosing,
    culture,
    digests,
    growth,
    guide,
    join,
    kudos,
    matching,
    membership,
    prompt,
    roadmaps,
    secondloop,
    skillgrowth,
    stories,
    training,
)
from handlers.common import Invocation


@dataclass(frozen=True)
class Subcommand:
    usage: str
    description: str
    run: Callable[[Invocation], None]


# The subcommands, in the order `/mentor help` lists them.
SUBCOMMANDS: dict[str, Subcommand] = {
    "admin": Subcommand(
        "admin", "programme admins: create and edit programmes, see participants, run cycles", admin.admin_command
    ),
    "map": Subcommand(
        "map [programme]",
        "programme admins: skills wanted and offered, and which mentors to recruit",
        culture.map_command,
    ),
    "digest": Subcommand(
        "digest [programme] [--post]", "admins: preview the next weekly digest, or post it now", digests.digest_command
    ),
    "report": Subcommand(
        "report [programme] [--export]", "admins: programme health, a dashboard, and CSV files", digests.report_command
    ),
    "roadmap": Subcommand(
        "roadmap", "your roadmap for this cycle: a goal and milestones, from a template", roadmaps.roadmap_command
    ),
    "skills": Subcommand(
        "skills [programme]",
        "rate the skills you want to grow, 1-5, and see how you move over the cycle",
        skillgrowth.skills_command,
    ),
    "reflect": Subcommand(
        "reflect",
        "a private question about what you believe, not only what you do; share the answer if you like",
        secondloop.reflect_command,
    ),
    "stories": Subcommand(
        "stories",
        "share your exit reflection or growth threads as success stories (without your name), or withdraw them",
        stories.stories_command,
    ),
    "essentials": Subcommand(
        "essentials",
        "mentors: six short guides and one question before you mentor, about 15 minutes",
        training.essentials_command,
    ),
    "contributions": Subcommand(
        "contributions [programme]",
        "programme admins: what each mentor has contributed",
        roadmaps.contributions_command,
    ),
    "grow": Subcommand("grow", "share what you tried, learned and will do next: a growth thread", growth.grow_command),
    "guide": Subcommand(
        "guide", "short, practical guidance for your role and where you are in the cycle", guide.guide_command
    ),
    "join": Subcommand(
        "join [programme]", "join a programme as a mentor, mentee or peer (or edit your profile)", join.join_command
    ),
    "mentors": Subcommand(
        "mentors",
        "mentees, where your programme lets you choose: browse mentors with a free place and ask one",
        choosing.mentors_command,
    ),
    "profile": Subcommand(
        "profile [programme]", "edit what you told a programme when you joined", join.profile_command
    ),
    "kudos": Subcommand(
        "kudos @person <what for>", "thank a mentor or peer, in the programme channel or privately", kudos.kudos_command
    ),
    "rematch": Subcommand(
        "rematch", "end your current match without blame and join the next round", matching.rematch_command
    ),
    "pause": Subcommand(
        "pause [until DATE | 2w]", "take a break: no nudges and no new matches until then", membership.pause_command
    ),
    "resume": Subcommand("resume", "end a pause now", membership.resume_command),
    "leave": Subcommand("leave [programme]", "leave a programme (your match is told kindly)", membership.leave_command),
    "my-data": Subcommand(
        "my-data", "get a file of everything mentor-bot stores about you", membership.my_data_command
    ),
    "forget-me": Subcommand(
        "forget-me", "delete everything mentor-bot stores about you (asks first)", membership.forget_me_command
    ),
    "prompt": Subcommand("prompt", "get three conversation prompts that fit your match", prompt.prompt_command),
}


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

"""The answer to a message someone types in the app's Messages tab: a short help and their next step."""

from __future__ import annotations

from blocks.choosing import browse_button, when
from blocks.common import Block, context, mrkdwn_section
from blocks.text import escape
from mentoring.nextstep import NextStep

NOT_STORED = "I don't keep what you write here. `/mentor help` lists everything I can do."


def _next(step: NextStep) -> str:
    name = f"*{escape(step.programme)}*"
    if step.kind == "matched":
        who = ", ".join(f"<@{p}>" for p in step.partners) or "your match"
        where = f" Your room is <#{step.room_id}>." if step.room_id else ""
        day = step.next_checkin
        checkin = f" I'll check in with you around {day:%A} {day.day} {day:%B}." if day is not None else ""
        return f"In {name} you're matched with {who}.{where}{checkin}"
    if step.kind == "requested":
        until = f" until {when(step.expires_at)}" if step.expires_at else ""
        return (
            f"In {name} you asked <@{step.mentor_id}> to be your mentor; they have{until} to answer. If they "
            "don't, you'll be matched in the next round."
        )
    if step.kind == "choose":
        return f"In {name} you choose your mentor: `/mentor mentors` shows who has a free place."
    if step.kind == "waiting":
        if not step.cycle_started:
            return f"You're in {name} and waiting for a match: matches are made when the cycle starts."
        ends = f" (this cycle runs until {step.cycle_ends.day} {step.cycle_ends:%B})" if step.cycle_ends else ""
        return (
            f"You're in {name} and waiting for a match: you'll be in the next round your programme admins run"
            f"{ends}, with priority if you were left out before."
        )
    if step.kind == "paused":
        return f"You're paused in {name}: `/mentor resume` when you're ready, and you'll be matched again."
    if step.kind == "not_joined":
        names = ", ".join(f"*{escape(n)}*" for n in step.open_programmes[:5])
        return f"You're not in a programme yet. `/mentor join` to join {names} as a mentor, mentee or peer."
    return "No programme is open yet: your workspace admins can create one with `/mentor admin`."


def messages_tab_reply(step: NextStep) -> tuple[str, list[Block]]:
    """Hello, the person's next step, and that nothing they wrote is kept."""
    intro = "Hi! I'm mentor-bot: I pair people for mentoring and peer learning, right here in Slack."
    nxt = _next(step)
    blocks: list[Block] = [mrkdwn_section(intro), mrkdwn_section("*Your next step:* " + nxt)]
    if step.kind == "choose":
        blocks.append(browse_button(step.programme_id))
    blocks.append(context(NOT_STORED))
    return f"{intro} Your next step: {nxt}", blocks

"""Measurable goals: the structure the roadmap suggests (SMART: what, how we'll know, by when) and a small curated
library of "how we'll know" phrasings, used when the LLM helper is off or unavailable.

Plain text, no mrkdwn: the builders escape it. `{skill}` is replaced by the skill the goal is about.
"""

from __future__ import annotations

from collections.abc import Sequence

STRUCTURE = "What you want to reach, how you'll both know you got there, and by when."

# One observable sign of success each: a count, a result, or something someone else can see or say.
MEASURES: tuple[str, ...] = (
    "I have used {skill} for real at work at least twice, and someone who saw it told me what worked",
    "I can show one piece of work that uses {skill} and that I could not have done at the start",
    "I rate my {skill} one level higher than today, with an example for the new level",
    "A colleague asks me for help with {skill} without being pointed to me",
    "I have taught one thing about {skill} to someone else, and they used it",
)


def curated_measures(skills: Sequence[str], *, count: int = 3, offset: int = 0) -> list[str]:
    """`count` phrasings from the library, about the first skill (or "it"), starting at `offset`."""
    skill = skills[0] if skills else "it"
    picked = [MEASURES[(offset + i) % len(MEASURES)] for i in range(min(count, len(MEASURES)))]
    return [text.replace("{skill}", skill).replace("my it", "it") for text in picked]

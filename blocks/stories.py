"""Block Kit for success stories: the choice at exit, the person's list of their stories (share or withdraw each),
the consented stories in the programme report, and a story quoted in a recruiting post."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from blocks.common import Block, View, context, mrkdwn_section, option, plain, role_name
from blocks.text import escape, quote, truncate
from mentoring.stories import EXIT_CHOICE, ExitOffer, Shareable
from store.insight import Story

STORIES_ACTION = "stories_open"  # App Home: "My success stories"
SHARE_ACTION = "story_share"  # in the stories modal, value "<source>:<id>"
WITHDRAW_ACTION = "story_withdraw"
STORIES_CALLBACK = "stories_list"
STORY_BLOCK = "stories"  # the exit reflection's checkboxes
RECRUIT_STORY_BLOCK = "story"  # the recruiting form's optional story
MAX_LISTED = 40
CONSENT_WORDS = (
    "Programme admins may quote it, without your name, in their programme report and in posts inviting new "
    "mentors. Withdraw any time: `/mentor stories`."
)


def exit_story_block(offer: ExitOffer) -> Block:
    """The exit reflection's opt-in, per story: what they wrote above, and each growth thread of theirs."""
    options = [option("You may use what I wrote above as a success story", EXIT_CHOICE, "Without my name")]
    options += [option(f"Growth thread: {label}", key, "Without my name") for key, label in offer.threads]
    element: dict[str, Any] = {"type": "checkboxes", "action_id": "value", "options": options}
    chosen = [o for o in options if o["value"] in offer.shared]
    if chosen:
        element["initial_options"] = chosen
    return {
        "type": "input",
        "block_id": STORY_BLOCK,
        "optional": True,
        "label": plain("Share as a success story?"),
        "hint": plain("Only what you tick. " + CONSENT_WORDS, 2000),
        "element": element,
    }


def stories_modal(items: Sequence[Shareable]) -> View:
    """The person's stories, each with *Share* or *Withdraw*. An exit reflection is named, never quoted."""
    blocks: list[Block] = [
        mrkdwn_section(
            "*Your success stories.* Share one and the programme admins may quote it, without your name, in their "
            "programme report and in posts inviting new mentors. Withdraw it and it is never shown again."
        )
    ]
    if not items:
        blocks.append(
            mrkdwn_section("_Nothing to share yet: your exit reflection and your growth threads will appear here._")
        )
    for item in items[:MAX_LISTED]:
        state = ":white_check_mark: shared as a story" if item.shared else "not shared"
        blocks.append(
            {
                "type": "section",
                "block_id": f"story_{item.source}_{item.source_id}",
                "text": {
                    "type": "mrkdwn",
                    "text": truncate(f"*{escape(item.programme)}* · {escape(item.label)}\n_{state}_", 3000),
                },
                "accessory": {
                    "type": "button",
                    "action_id": WITHDRAW_ACTION if item.shared else SHARE_ACTION,
                    "text": plain("Withdraw" if item.shared else "Share as a story"),
                    "value": item.key,
                    **({} if item.shared else {"style": "primary"}),
                },
            }
        )
    if len(items) > MAX_LISTED:
        blocks.append(context(f"And {len(items) - MAX_LISTED} older ones: `/mentor my-data` lists them all."))
    return {
        "type": "modal",
        "callback_id": STORIES_CALLBACK,
        "title": plain("My success stories", 24),
        "close": plain("Done", 24),
        "blocks": blocks,
    }


def not_yours() -> str:
    return "That story isn't yours to share (or it was deleted)."


def home_blocks(shared: int) -> list[Block]:
    """App Home: how many of the person's stories they share, and the way to change it."""
    words = "none shared" if not shared else f"{shared} shared"
    return [
        {
            "type": "section",
            "block_id": "my_stories",
            "text": {"type": "mrkdwn", "text": f"*My success stories:* {words}"},
            "accessory": {"type": "button", "action_id": STORIES_ACTION, "text": plain("Share or withdraw")},
        }
    ]


SOURCE_NAMES = {"exit": "Exit reflection", "growth": "Growth thread"}


def attribution(story: Story) -> str:
    who = role_name(story.role).lower() if story.role else "participant"
    return f"a {who}, cycle {story.cycle_number}" if story.cycle_number else f"a {who}"


def report_blocks(stories: Sequence[Story]) -> list[Block]:
    """The programme report's success stories: only those their authors chose to share, without names."""
    if not stories:
        return [mrkdwn_section("*Success stories:* none shared yet (people choose, story by story, at exit)")]
    lines = [
        f"{quote(story.text, 280)}\n— {SOURCE_NAMES.get(story.source, 'Story')}, {attribution(story)}"
        for story in stories[:8]
    ]
    more = f"\n_and {len(stories) - 8} more in the CSV export_" if len(stories) > 8 else ""
    return [
        mrkdwn_section(
            truncate(f"*Success stories ({len(stories)}), shared by their authors*\n" + "\n".join(lines) + more, 3000)
        )
    ]


def recruit_story_input(stories: Sequence[Story]) -> list[Block]:
    """The recruiting form's optional story: one of the consented ones (none offered when there is none)."""
    if not stories:
        return []
    return [
        {
            "type": "input",
            "block_id": RECRUIT_STORY_BLOCK,
            "optional": True,
            "label": plain("Add a success story"),
            "hint": plain("Shared by its author for this; quoted without a name.", 2000),
            "element": {
                "type": "static_select",
                "action_id": "value",
                "placeholder": plain("Pick a story"),
                "options": [
                    option(truncate(" ".join(s.text.split()), 70), str(s.consent_id), attribution(s))
                    for s in stories[:100]
                ],
            },
        }
    ]


def recruit_story_blocks(story: Story | None) -> list[Block]:
    if story is None:
        return []
    return [mrkdwn_section(f"*In their words*\n{quote(story.text, 600)}\n— {attribution(story)}")]

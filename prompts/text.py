"""Making prompt text safe to post: one line, at most `MAX_PROMPT_CHARS`, mrkdwn-escaped."""

from __future__ import annotations

import re

__all__ = ["MAX_PROMPT_CHARS", "clip", "escape_mrkdwn", "one_line"]

# A prompt is one short question. 280 characters also keeps three escaped prompts (worst case 5x longer after
# escaping) far below Block Kit's 3000-character section text limit.
MAX_PROMPT_CHARS = 280

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")


def one_line(text: str) -> str:
    """Drop control and invisible formatting characters and collapse all whitespace to single spaces."""
    return " ".join(_CONTROL.sub(" ", text).split())


def clip(text: str, limit: int = MAX_PROMPT_CHARS) -> str:
    """`text` cut to at most `limit` characters, at a word boundary when one is near, ending with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit * 2 // 3:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + "…"


def escape_mrkdwn(text: str) -> str:
    """Escape `&`, `<` and `>` so text cannot become `<!channel>`, a mention or a disguised link in Slack."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

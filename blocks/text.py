"""Safe text for Slack: mrkdwn escaping and Block Kit length limits."""

from __future__ import annotations

SECTION_TEXT_MAX = 3000
PLAIN_TEXT_MAX = 75
MODAL_TITLE_MAX = 24


def escape(text: str) -> str:
    """Escape user text for mrkdwn, so `<!channel>` or `<https://evil|link>` typed into a form stays text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + "…"


def quote(text: str, limit: int = 1000) -> str:
    """User text as an escaped mrkdwn block quote."""
    body = escape(truncate(text, limit))
    return "\n".join("> " + line for line in body.splitlines()) if body else "> _(none)_"


def listing(items: list[str], empty: str = "_none_") -> str:
    return ", ".join(escape(i) for i in items) if items else empty

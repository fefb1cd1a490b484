"""Every scope the manifest asks for is used by the code, and the README's security note names each one."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CODE_DIRS = ("bot", "handlers", "scheduling")

# scope -> the code that needs it: Web API method names (as the SDK spells them) or event listeners.
SCOPE_EVIDENCE = {
    "commands": ['app.command("/mentor")'],
    "chat:write": ["chat_postMessage(", "chat_postEphemeral("],
    "im:write": ["conversations_open(users=inv.user_id)"],
    "mpim:write": ['conversations_open(users=",".join(ids))'],
    "users:read": ["users_info(", "users_list(", 'app.event("user_change")'],
    "channels:read": ['app.event("member_joined_channel")'],
    "channels:join": ["conversations_join("],
    "groups:read": ['app.event("member_joined_channel")'],
    "groups:write": ["conversations_create(", "conversations_invite("],
    "files:write": ["files_upload_v2("],
    "channels:history": ['app.event("message")'],
    "groups:history": ['app.event("message")'],
    "mpim:history": ['app.event("message")'],
    "im:history": ["conversations_history("],
    "reactions:read": ['app.event("reaction_added")', 'app.event("reaction_removed")'],
}


def code_text() -> str:
    return "\n".join(p.read_text() for d in CODE_DIRS for p in (ROOT / d).rglob("*.py"))


def test_every_requested_scope_is_used_by_the_code() -> None:
    scopes = json.loads((ROOT / "manifest.json").read_text())["oauth_config"]["scopes"]["bot"]
    code = code_text()
    unexplained = [s for s in scopes if s not in SCOPE_EVIDENCE]
    assert unexplained == [], f"scopes the code has no use for: {unexplained}"
    unused = {s: e for s in scopes for e in SCOPE_EVIDENCE[s] if e not in code}
    assert unused == {}, f"scopes whose use is gone from the code: {unused}"


def test_the_readme_security_note_explains_every_scope() -> None:
    readme = (ROOT / "README.md").read_text()
    note = readme[readme.index("## Security and privacy") :]
    scopes = json.loads((ROOT / "manifest.json").read_text())["oauth_config"]["scopes"]["bot"]
    assert [s for s in scopes if f"`{s}`" not in note] == []

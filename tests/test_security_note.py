"""The README's security note names every scope the manifest asks for. (That the manifest asks for exactly the
scopes the app needs is proven from what the app does in Slack: tests/test_standin_scopes.py.)"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_readme_security_note_explains_every_scope() -> None:
    readme = (ROOT / "README.md").read_text()
    note = readme[readme.index("## Security and privacy") :]
    scopes = json.loads((ROOT / "manifest.json").read_text())["oauth_config"]["scopes"]["bot"]
    assert [s for s in scopes if f"`{s}`" not in note] == []

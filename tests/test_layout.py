"""The shape of the code: short listeners, Block Kit only in the builders, nothing outside the repository.

The import layering itself is held by import-linter (`lint-imports`, contracts in pyproject.toml), which the
README's test command runs before pytest.
"""

from __future__ import annotations

import ast
import inspect
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from slack_bolt import App

import handlers
from handlers.commands import SUBCOMMANDS

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("bot", "handlers", "scheduling", "mentoring", "prompts", "pairing", "gateway", "store")
MAX_LISTENER_LINES = 30

# The "type" of every Block Kit object a payload can hold: blocks, block elements, composition objects, surfaces.
BLOCK_KIT_TYPES = frozenset(
    {
        "actions",
        "button",
        "channels_select",
        "checkboxes",
        "context",
        "conversations_select",
        "datepicker",
        "divider",
        "external_select",
        "header",
        "home",
        "image",
        "input",
        "modal",
        "mrkdwn",
        "multi_conversations_select",
        "multi_static_select",
        "multi_users_select",
        "number_input",
        "overflow",
        "plain_text",
        "plain_text_input",
        "radio_buttons",
        "rich_text",
        "section",
        "static_select",
        "timepicker",
        "url_text_input",
        "users_select",
    }
)


def _listeners() -> list[tuple[str, Callable[..., Any]]]:
    """Every function Bolt calls for a request (ack and lazy functions), and every `/mentor` subcommand."""
    app = App(token="xoxb-layout", signing_secret="layout", token_verification_enabled=False)
    handlers.register_all(app)
    found: dict[str, Callable[..., Any]] = {}
    for listener in app._listeners:
        for function in [listener.ack_function, *getattr(listener, "lazy_functions", [])]:
            found[f"{function.__module__}.{function.__qualname__}"] = function
    for sub in SUBCOMMANDS.values():
        found[f"{sub.run.__module__}.{sub.run.__qualname__}"] = sub.run
    return sorted(found.items())


LISTENERS = _listeners()


def test_the_app_registers_its_listeners() -> None:
    assert len(LISTENERS) > 60
    assert "handlers.commands.on_mentor" in dict(LISTENERS)


@pytest.mark.parametrize(("name", "function"), LISTENERS, ids=[name for name, _ in LISTENERS])
def test_a_listener_is_short(name: str, function: Callable[..., Any]) -> None:
    """A listener acks, parses, makes one call into the domain, renders with one builder and replies."""
    lines, _ = inspect.getsourcelines(function)
    assert len(lines) <= MAX_LISTENER_LINES, f"{name} is {len(lines)} lines long"


def _python_files(*packages: str) -> list[Path]:
    return sorted(path for package in packages for path in (ROOT / package).rglob("*.py"))


def _block_kit_literals(path: Path) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if not isinstance(node, ast.Dict):
            continue
        for key, value in zip(node.keys, node.values, strict=True):
            if (
                isinstance(key, ast.Constant)
                and key.value == "type"
                and isinstance(value, ast.Constant)
                and value.value in BLOCK_KIT_TYPES
            ):
                lines.append(node.lineno)
    return lines


def test_block_kit_is_built_only_in_the_builders() -> None:
    found = {
        str(path.relative_to(ROOT)): lines for path in _python_files(*PRODUCT) if (lines := _block_kit_literals(path))
    }
    assert found == {}


def test_the_check_finds_block_kit_where_it_is(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text('BLOCK = {"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}\nOTHER = {"type": "x"}\n')
    assert _block_kit_literals(sample) == [1, 1]
    assert _block_kit_literals(ROOT / "blocks" / "common.py")


def test_nothing_reads_a_folder_outside_the_repository() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "*.py", "*.toml", "*.cfg", ".ci/*", "Procfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    outside = re.compile(r"\.\./shared|parents\[\d\]\s*/\s*\"shared\"")
    offenders = [name for name in tracked if outside.search((ROOT / name).read_text("utf-8"))]
    assert offenders == []

"""What listeners and jobs need, built once by the factory and handed to them through Bolt's context."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.settings import Settings
from prompts.llm import LLMHelper
from store.db import Database
from store.installations import InstallationStore


@dataclass(frozen=True)
class Deps:
    settings: Settings
    db: Database
    llm: LLMHelper | None = None  # None: no OPENAI_API_KEY, the curated library is used
    installations: InstallationStore | None = None  # None: single-workspace token mode


def deps_of(context: Any) -> Deps:
    deps: Deps = context["deps"]
    return deps

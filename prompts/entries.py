"""Folders of YAML entry files (the prompt library, the guides, the circle questions): reading and checking them.

One loader for all of them: each file is a list of entries, each entry is parsed by the caller, and any problem
raises the caller's error naming the file and the entry.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.abc import Traversable
from typing import Any, TypeVar

import yaml

T = TypeVar("T")


def read_yaml_entries(
    name: str, data: str, parse: Callable[[Any, str], T], *, error: type[ValueError], what: str
) -> list[T]:
    """The entries of one YAML data file (a list), each parsed by `parse(entry, label)`. Any problem raises
    `error` naming the file and the entry (`label`: "file, entry N (id 'x')")."""
    try:
        entries = yaml.safe_load(data)
    except yaml.YAMLError as exc:
        raise error(f"{name}: not valid YAML: {exc}") from None
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise error(f"{name}: must be a list of {what}")
    parsed = []
    for index, entry in enumerate(entries, start=1):
        label = f"{name}, entry {index}"
        if isinstance(entry, dict) and isinstance(entry.get("id"), str):
            label += f" (id {entry['id']!r})"
        try:
            parsed.append(parse(entry, label))
        except ValueError as exc:
            raise error(f"{label}: {exc}") from None
    return parsed


def load_folder(
    directory: Traversable,
    *,
    prefix: str,
    read: Callable[[str, str], list[T]],
    ident: Callable[[T], str],
    origin: Callable[[T], str],
    key: Callable[[T], str],
    same: str,
    error: type[ValueError],
    no_files: str | None = None,
) -> list[T]:
    """The entries of every `*.yaml`/`*.yml` file in `directory`, by file name, each file read by `read(name, data)`
    (`name`: `prefix` + the file's name). Two entries with one id, or with one `key` (their `same`: "text",
    "title"), raise `error` naming both; so does a folder without files when `no_files` is the message to give."""
    files = sorted((f for f in directory.iterdir() if f.name.endswith((".yaml", ".yml"))), key=lambda f: f.name)
    if not files and no_files is not None:
        raise error(no_files)
    entries: list[T] = []
    ids: dict[str, str] = {}
    keys: dict[str, str] = {}
    for file in files:
        name = f"{prefix}{file.name}"
        try:
            data = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise error(f"{name}: cannot be read: {exc}") from None
        for entry in read(name, data):
            if ident(entry) in ids:
                raise error(f"{origin(entry)}: id already used by {ids[ident(entry)]}")
            if key(entry) in keys:
                raise error(f"{origin(entry)}: same {same} as {keys[key(entry)]}")
            ids[ident(entry)] = keys[key(entry)] = origin(entry)
            entries.append(entry)
    return entries

"""Roster and past-pair CSV files an admin can export or prepare, read into engine dataclasses; and the rows of an
organisation's roster an admin imports into a programme (people by email, checked row by row elsewhere)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from pairing.features import is_valid_timezone
from pairing.model import MEETING_MODES, ROLES, Candidate, PastPair

ROSTER_COLUMNS = (
    "id",
    "role",
    "skills_offered",
    "skills_wanted",
    "goals",
    "department",
    "title",
    "timezone",
    "capacity",
    "meeting_mode",
    "location",
    "manager_id",
    "rather_not",
    "missed_rounds",
    "work_start",
    "work_end",
)
REQUIRED = ("id", "role")
_T = TypeVar("_T")


def _text(path_or_text: str | Path) -> str:
    if isinstance(path_or_text, Path):
        return path_or_text.read_text(encoding="utf-8-sig")
    if "\n" not in path_or_text and "," not in path_or_text and Path(path_or_text).is_file():
        return Path(path_or_text).read_text(encoding="utf-8-sig")
    return path_or_text


def _column(name: str) -> str:
    """A header as people write it ("Manager email", "manager-email") folded to its column name."""
    return "_".join(name.strip().lower().replace("-", " ").split())


def _rows(
    text: str, required: tuple[str, ...], known: tuple[str, ...], *, fold: bool = False
) -> list[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if fold and reader.fieldnames:
        reader.fieldnames = [_column(h) for h in reader.fieldnames]
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in required if c not in header]
    if missing:
        raise ValueError(f"header: missing column(s) {', '.join(missing)}")
    unknown = [h for h in header if h not in known]
    if unknown:
        raise ValueError(f"header: unknown column(s) {', '.join(unknown)}; expected some of {', '.join(known)}")
    out = []
    for n, raw in enumerate(reader, start=2):  # line 1 is the header
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        if any(row.values()):
            out.append((n, row))
    return out


def _field(line: int, column: str, value: str, parse: Callable[[str], _T], expected: str) -> _T:
    try:
        return parse(value)
    except (ValueError, TypeError):
        raise ValueError(f"row {line}, column {column}: {expected}, got {value!r}") from None


def _whole(row: dict[str, str], line: int, column: str, default: int, low: int, high: int | None) -> int:
    value = row.get(column, "")
    if not value:
        return default
    number = _field(line, column, value, int, "expected a whole number")
    if number < low or (high is not None and number > high):
        bound = f"between {low} and {high}" if high is not None else f">= {low}"
        raise ValueError(f"row {line}, column {column}: expected a number {bound}, got {value!r}")
    return number


def _split(value: str) -> frozenset[str]:
    return frozenset(s.strip() for s in value.split(";") if s.strip())


def read_roster_csv(path_or_text: str | Path) -> list[Candidate]:
    """Candidates from a roster CSV (a path or the CSV text itself).

    Columns: id and role are required; skills_offered, skills_wanted and rather_not are semicolon-separated;
    capacity, missed_rounds, work_start and work_end are whole numbers. Errors name the row (file line) and column.
    """
    out: list[Candidate] = []
    seen: dict[str, int] = {}
    for line, row in _rows(_text(path_or_text), REQUIRED, ROSTER_COLUMNS):
        pid = row.get("id", "")
        if not pid:
            raise ValueError(f"row {line}, column id: an id is required")
        if pid in seen:
            raise ValueError(f"row {line}, column id: {pid!r} already appears on row {seen[pid]}")
        seen[pid] = line
        role = row.get("role", "").lower()
        if role not in ROLES:
            raise ValueError(f"row {line}, column role: expected one of {', '.join(ROLES)}, got {row.get('role')!r}")
        mode = (row.get("meeting_mode") or "either").lower().replace("-", "_").replace(" ", "_")
        if mode not in MEETING_MODES:
            raise ValueError(
                f"row {line}, column meeting_mode: expected one of {', '.join(MEETING_MODES)}, "
                f"got {row.get('meeting_mode')!r}"
            )
        tz = row.get("timezone") or None
        if tz is not None and not is_valid_timezone(tz):
            raise ValueError(f"row {line}, column timezone: not an IANA timezone name, got {tz!r}")

        out.append(
            Candidate(
                id=pid,
                role=role,
                skills_offered=_split(row.get("skills_offered", "")),
                skills_wanted=_split(row.get("skills_wanted", "")),
                goals=row.get("goals", ""),
                department=row.get("department", ""),
                title=row.get("title", ""),
                timezone=tz,
                capacity=_whole(row, line, "capacity", 1, 0, None),
                meeting_mode=mode,
                location=row.get("location", ""),
                manager_id=row.get("manager_id") or None,
                rather_not=_split(row.get("rather_not", "")),
                missed_rounds=_whole(row, line, "missed_rounds", 0, 0, None),
                work_start=_whole(row, line, "work_start", 9, 0, 24),
                work_end=_whole(row, line, "work_end", 17, 0, 24),
            )
        )
    return out


def _parse_when(value: str) -> datetime:
    when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _parse_bool(value: str) -> bool:
    lowered = value.lower()
    if lowered in ("1", "true", "yes", "y"):
        return True
    if lowered in ("0", "false", "no", "n", ""):
        return False
    raise ValueError(value)


def read_past_pairs_csv(path_or_text: str | Path) -> list[PastPair]:
    """Past pairs from a CSV with columns a, b, ended_at (ISO 8601; no offset = UTC) and optional same_programme."""
    out: list[PastPair] = []
    for line, row in _rows(_text(path_or_text), ("a", "b", "ended_at"), ("a", "b", "ended_at", "same_programme")):
        for column in ("a", "b", "ended_at"):
            if not row.get(column):
                raise ValueError(f"row {line}, column {column}: a value is required")
        when = _field(line, "ended_at", row["ended_at"], _parse_when, "expected an ISO date or date-time")
        same = _field(line, "same_programme", row.get("same_programme", ""), _parse_bool, "expected true or false")
        out.append(PastPair(row["a"], row["b"], when, same))
    return out


IMPORT_COLUMNS = ("email", "department", "office", "manager_email", "role", "skills", "group")


@dataclass(frozen=True)
class ImportRow:
    """One line of an organisation's roster, as written: checked against the programme and Slack elsewhere."""

    line: int
    email: str
    department: str
    office: str
    manager_email: str
    role: str
    skills: tuple[str, ...]
    group: str


def read_import_csv(path_or_text: str | Path) -> list[ImportRow]:
    """The rows of a roster to import (a path or the CSV text). Columns: email and role are required; department,
    office, manager email, skills (semicolon-separated) and a self-described group are optional. Headers are
    matched ignoring case, spaces and hyphens ("Manager email"). Raises ValueError only for the header; each
    row's values are checked by the importer, which reports bad rows by line."""
    out: list[ImportRow] = []
    try:
        found = _rows(_text(path_or_text), ("email", "role"), IMPORT_COLUMNS, fold=True)
    except csv.Error as problem:
        raise ValueError(f"not a CSV file ({problem})") from None
    for line, row in found:
        out.append(
            ImportRow(
                line=line,
                email=row.get("email", "").lower(),
                department=row.get("department", ""),
                office=row.get("office", ""),
                manager_email=row.get("manager_email", "").lower(),
                role=row.get("role", "").lower(),
                skills=tuple(dict.fromkeys(s.strip() for s in row.get("skills", "").split(";") if s.strip())),
                group=" ".join(row.get("group", "").split()),
            )
        )
    return out

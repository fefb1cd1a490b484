"""Pure pieces of digests and reports: the schedule, the builders, small groups, CSV cells, charts."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from typing import Any

import pytest

from blocks import charts
from blocks import digests as digest_ui
from mentoring import export
from mentoring.insight import digest_slot, is_quiet, validate_digest_schedule
from standin import check_blocks
from store.insight import OTHER, Health, PairRow, ParticipationRow, small_groups_merged
from store.models import Programme

PNG = b"\x89PNG\r\n\x1a\n"


def programme(**fields: Any) -> Programme:
    return Programme(team_id="T1", slug="p", name="P", **fields)


@pytest.mark.parametrize(
    ("weekday", "hour", "zone", "now", "week", "slot"),
    [
        (0, 9, "UTC", datetime(2026, 11, 30, 12, tzinfo=UTC), "2026-W49", datetime(2026, 11, 30, 9, tzinfo=UTC)),
        # Friday 16:00 in Berlin (UTC+1 in winter) is 15:00 UTC.
        (4, 16, "Europe/Berlin", datetime(2026, 12, 1, tzinfo=UTC), "2026-W49", datetime(2026, 12, 4, 15, tzinfo=UTC)),
        # Monday 08:00 in Sydney is still Sunday in UTC: the week is Sydney's.
        (0, 8, "Australia/Sydney", datetime(2026, 11, 29, 22, tzinfo=UTC), "2026-W49",
         datetime(2026, 11, 29, 21, tzinfo=UTC)),
        # Summer time: Monday 09:00 in New York is 13:00 UTC in July.
        (0, 9, "America/New_York", datetime(2026, 7, 6, 14, tzinfo=UTC), "2026-W28",
         datetime(2026, 7, 6, 13, tzinfo=UTC)),
        # An unknown zone (a row edited by hand) falls back to UTC.
        (0, 9, "Nowhere/Land", datetime(2026, 11, 30, 12, tzinfo=UTC), "2026-W49",
         datetime(2026, 11, 30, 9, tzinfo=UTC)),
    ],
)  # fmt: skip
def test_the_digest_moment_is_the_programme_s_weekday_and_hour_in_its_timezone(
    weekday: int, hour: int, zone: str, now: datetime, week: str, slot: datetime
) -> None:
    assert digest_slot(programme(digest_weekday=weekday, digest_hour=hour, timezone=zone), now) == (week, slot)


def test_the_schedule_fields_are_checked() -> None:
    assert validate_digest_schedule("4", "16", " Europe/Berlin ") == (
        {"digest_weekday": 4, "digest_hour": 16, "timezone": "Europe/Berlin"},
        {},
    )
    assert validate_digest_schedule(None, None, None) == (
        {"digest_weekday": 0, "digest_hour": 9, "timezone": "UTC"},
        {},
    )
    _, errors = validate_digest_schedule("9", "x", "Mars/Olympus")
    assert set(errors) == {"digest_weekday", "digest_hour", "timezone"}


def test_groups_under_five_are_only_shown_together_and_only_if_together_they_are_five() -> None:
    rows = [
        ParticipationRow("Engineering", 12, 10, 6),
        ParticipationRow("Legal", 2, 1, 1),
        ParticipationRow("HR", 3, 3, 0),
    ]
    assert small_groups_merged(rows) == [ParticipationRow("Engineering", 12, 10, 6), ParticipationRow(OTHER, 5, 4, 1)]
    assert small_groups_merged(rows[:2]) == [ParticipationRow("Engineering", 12, 10, 6)]


def digest(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "programme": "<!channel> *Mentoring*",
        "cycle_number": 1,
        "active_pairs": 3,
        "pairs_met": 2,
        "pairs_met_before": 2,
        "checkins": 2,
        "checkins_before": 4,
        "new_waiting": 0,
        "milestones_done": 1,
        "highlights": [],
        "kudos": {"count": 0, "public": []},
        "series": {"labels": ["W1", "W2"], "checkins": [4, 2], "milestones": [0, 1]},
        "prompt": {"id": "x", "text": "What would <you> try *next*?"},
    }
    return {**base, **overrides}


def test_the_digest_escapes_names_and_prompts_and_says_the_change() -> None:
    text, blocks = digest_ui.digest_message(digest())
    assert check_blocks(blocks) == []
    assert blocks[0]["text"]["type"] == "plain_text"  # a header never pings
    shown = str(blocks[1:]) + text
    assert "<!channel>" not in shown and "&lt;!channel&gt;" in text
    assert "<you>" not in shown
    assert "same as last week" in shown and "-2 on last week" in shown


def test_an_empty_week_is_short_and_encouraging() -> None:
    quiet = digest(pairs_met=0, checkins=0, milestones_done=0, pairs_met_before=0, checkins_before=0)
    assert is_quiet(quiet)
    text, blocks = digest_ui.digest_message(quiet)
    assert text.startswith("A quiet week in")
    assert len(blocks) == 4 and "0 check-ins" not in str(blocks)


def test_csv_cells_that_a_spreadsheet_would_run_are_quoted_and_rows_are_complete() -> None:
    assert export.cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert export.cell(date(2026, 1, 2)) == "2026-01-02" and export.cell(None) == ""
    row = PairRow(1, 1, "active", date(2026, 1, 1), None, [("U1", "@evil", "mentor", "")], 3, 90, 4.5, None, None, 2)
    [parsed] = list(csv.DictReader(io.StringIO(export.pairs_csv("P", [row]).decode())))
    assert parsed["members"] == "'@evil" and parsed["departments"] == "not given" and parsed["milestones_done"] == "2"
    assert tuple(parsed) == export.PAIR_COLUMNS


def test_survey_results_are_shown_from_five_answers() -> None:
    few = digest_ui.survey_lines({"pulse": {"responses": 3, "rating": 1.0, "progress": 1.0, "would_continue": None}})
    assert "3 responses so far" in few and "1.0" not in few
    many = digest_ui.survey_lines({"exit": {"responses": 8, "rating": 4.25, "progress": None, "would_continue": 0.75}})
    assert "Exit reflection (8 responses): overall 4.2 / 5, 75% would go on together" in many


def test_charts_are_pngs_with_a_description() -> None:
    png, alt = charts.digest_chart(digest())
    assert png.startswith(PNG) and "4, 2" in alt
    health = Health(by_role={"mentor": 3}, checkins_per_week=[1, 2], usefulness_counts={5: 2})
    png, alt = charts.dashboard(
        title="P", checkins_per_week=[1, 2], by_role=health.by_role, usefulness={5: 2}, departments=[], retention=[]
    )
    assert png.startswith(PNG) and "mentor 3" in alt

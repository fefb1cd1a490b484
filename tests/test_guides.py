"""The guide library (`guides/entries/*.yaml`), an organisation's own entries, stages and rendering."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from pathlib import Path

import pytest

from prompts.guides.library import (
    MAX_SECTION_CHARS,
    ROLES,
    Guide,
    GuideError,
    GuideLibrary,
    Stage,
    load_guides,
    render,
    stage_of,
)

LIBRARY = load_guides()
BUILTIN_IDS = [g.id for g in LIBRARY]


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


ORG_ENTRY = """
- id: {id}
  title: "{title}"
  roles: [{roles}]
  stages: [{stages}]
  tags: [house-rules]
  body: |
    At Acme we meet in the *library corner* on Thursdays.
    • Book the room a week ahead.
    • Tell your manager the time is protected.
"""


def org_entry(gid: str, title: str, roles: str = "mentor, mentee, peer", stages: str = "before_first_meeting") -> str:
    return ORG_ENTRY.format(id=gid, title=title, roles=roles, stages=stages)


# --- the shipped library ---------------------------------------------------------------------------------------


def test_the_library_has_at_least_32_entries_with_unique_ids_and_titles() -> None:
    assert len(LIBRARY) >= 32
    assert len(set(BUILTIN_IDS)) == len(BUILTIN_IDS)
    titles = [g.title.casefold() for g in LIBRARY]
    assert len(set(titles)) == len(titles)
    assert all(g.origin == "builtin" for g in LIBRARY)


def test_every_entry_is_short_well_formed_mrkdwn() -> None:
    for g in LIBRARY:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", g.id), g.id
        assert 0 < len(g.title) <= 60, g.id
        assert 80 <= g.word_count <= 220, f"{g.id} has {g.word_count} words"
        assert g.roles and set(g.roles) <= set(ROLES), g.id
        assert g.stages and all(isinstance(s, Stage) for s in g.stages), g.id
        assert len(set(g.roles)) == len(g.roles) and len(set(g.stages)) == len(g.stages), g.id
        lines = g.body.splitlines()
        assert not any(line.lstrip().startswith(("#", "- ", "* ")) for line in lines), f"{g.id} uses other markup"
        assert any(line.startswith("• ") for line in lines), f"{g.id} has no bullet lines"
        assert g.body.count("*") % 2 == 0, f"{g.id} has an unclosed *bold*"
        assert "**" not in g.body, f"{g.id} uses Markdown bold"
        assert not re.search(r"[<>&]", g.body + g.title), f"{g.id} needs no escaping"
        assert g.source.startswith("guides/entries/"), g.id


def test_no_two_entries_are_near_duplicates() -> None:
    def words(g: Guide) -> set[str]:
        return {w for w in re.findall(r"[a-z']+", g.body.lower()) if len(w) > 4}

    for a, b in itertools.combinations(LIBRARY, 2):
        wa, wb = words(a), words(b)
        assert len(wa & wb) / len(wa | wb) < 0.4, f"{a.id} and {b.id} are too alike"


def test_every_role_and_stage_has_at_least_two_entries() -> None:
    cells = Counter((r, s) for g in LIBRARY for r in g.roles for s in g.stages)
    thin = {f"{r} x {s.value}": cells[(r, s)] for r in ROLES for s in Stage if cells[(r, s)] < 2}
    assert not thin, thin
    for role, stage in itertools.product(ROLES, Stage):
        assert len(LIBRARY.for_person(role, stage, limit=100)) >= 2


def test_the_topics_of_the_toolbox_are_covered() -> None:
    def text(stage: Stage) -> str:
        return " ".join(f"{g.title} {g.body}".lower() for g in LIBRARY if stage in g.stages)

    before, during, ending = text(Stage.BEFORE_FIRST_MEETING), text(Stage.DURING_CYCLE), text(Stage.ENDING)
    for idea in ("prepar", "agenda", "agreement", "confidential"):
        assert idea in before, idea
    topics = ("sounding board", "challeng", "door", "feedback", "double-loop", "assum", "listen", "bias", "safe")
    for idea in (*topics, "not working"):
        assert idea in during, idea
    for idea in ("closing", "carry", "becoming a mentor", "thank"):
        assert idea in ending, idea
    assert "circle" in before and "circle" in during and "circle" in ending


def test_the_library_is_loaded_once_and_found_by_id() -> None:
    assert load_guides() is load_guides()
    guide = LIBRARY.get("first-meeting-agenda")
    assert guide is not None and Stage.BEFORE_FIRST_MEETING in guide.stages
    assert LIBRARY.get("no-such-guide") is None
    assert "what-stays-confidential" in LIBRARY
    assert "no-such-guide" not in LIBRARY


# --- choosing guides -------------------------------------------------------------------------------------------


def test_for_person_keeps_file_order_role_stage_and_limit() -> None:
    picked = LIBRARY.for_person("mentee", Stage.DURING_CYCLE)
    assert len(picked) == 5
    assert all("mentee" in g.roles and Stage.DURING_CYCLE in g.stages for g in picked)
    every = LIBRARY.for_person("mentee", Stage.DURING_CYCLE, limit=1000)
    assert picked == every[:5]
    assert [BUILTIN_IDS.index(g.id) for g in every] == sorted(BUILTIN_IDS.index(g.id) for g in every)
    assert LIBRARY.for_person("peer", Stage.ENDING, limit=2) == LIBRARY.for_person("peer", Stage.ENDING)[:2]
    assert LIBRARY.for_person("mentor", Stage.ENDING, limit=0) == []
    assert LIBRARY.for_person("mentor", "ending", limit=1)[0].id == "closing-well"  # type: ignore[arg-type]
    peers = LIBRARY.for_person("peer", Stage.BEFORE_FIRST_MEETING, limit=99)
    assert "mentor-preparing-for-the-first-meeting" not in [g.id for g in peers]
    assert "peer-pair-first-meeting" in [g.id for g in peers]


def test_for_person_rejects_an_unknown_role() -> None:
    with pytest.raises(ValueError, match="role 'admin'"):
        LIBRARY.for_person("admin", Stage.ENDING)


def test_a_library_rejects_duplicate_ids() -> None:
    guide = LIBRARY.guides[0]
    with pytest.raises(GuideError):
        GuideLibrary([guide, guide])


# --- an organisation's own entries -----------------------------------------------------------------------------


def test_organisation_entries_come_first_and_can_replace_builtins(tmp_path: Path) -> None:
    folder = tmp_path / "acme"
    write(folder, "b.yaml", org_entry("acme-rooms", "Where Acme pairs meet"))
    write(folder, "a.yml", org_entry("first-meeting-agenda", "The Acme first-meeting agenda", roles="mentor, mentee"))
    write(folder, "notes.txt", "not a guide file")
    lib = load_guides(folder)

    assert [g.id for g in lib.guides[:2]] == ["first-meeting-agenda", "acme-rooms"]  # by file name, then order
    assert len(lib) == len(LIBRARY) + 1
    replaced = lib.get("first-meeting-agenda")
    assert replaced is not None
    assert replaced.origin == "organisation" and replaced.title == "The Acme first-meeting agenda"
    assert replaced.source == "acme/a.yml, entry 1 (id 'first-meeting-agenda')"
    assert replaced.tags == ("house-rules",)
    assert [g.id for g in lib].count("first-meeting-agenda") == 1

    mentee = lib.for_person("mentee", Stage.BEFORE_FIRST_MEETING, limit=3)
    assert [g.origin for g in mentee] == ["organisation", "organisation", "builtin"]
    assert [g.id for g in mentee[:2]] == ["first-meeting-agenda", "acme-rooms"]
    peer = lib.for_person("peer", Stage.BEFORE_FIRST_MEETING)
    assert peer[0].id == "acme-rooms" and "first-meeting-agenda" not in [g.id for g in peer]
    assert lib.for_person("mentor", Stage.ENDING) == LIBRARY.for_person("mentor", Stage.ENDING)

    # The built-ins are untouched, and a changed folder is read again.
    assert LIBRARY.get("first-meeting-agenda") != replaced
    (folder / "b.yaml").unlink()
    assert "acme-rooms" not in load_guides(folder)


def test_an_empty_organisation_folder_changes_nothing(tmp_path: Path) -> None:
    write(tmp_path, "empty.yaml", "# nothing yet\n")
    assert load_guides(tmp_path).guides == LIBRARY.guides


def test_a_missing_organisation_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(GuideError, match="not a folder"):
        load_guides(tmp_path / "nope")


GOOD = org_entry("one", "First")
LONG_BODY = "  body: |\n    " + "word " * 260 + "\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD.replace("before_first_meeting", "kickoff"), "org/a.yaml, entry 1 (id 'one'): stages has 'kickoff'"),
        (GOOD.replace("[mentor, mentee, peer]", "[mentor, admin]"), "entry 1 (id 'one'): roles has 'admin'"),
        (GOOD + org_entry("two", "x" * 61), "org/a.yaml, entry 2 (id 'two'): title is 61 characters"),
        (GOOD + org_entry("One", "Second"), "entry 2 (id 'One'): id 'One' must be a lowercase slug"),
        (GOOD + org_entry("one", "Second"), "org/a.yaml, entry 2 (id 'one'): id already used by org/a.yaml, entry 1"),
        (GOOD + org_entry("two", "first"), "entry 2 (id 'two'): same title as org/a.yaml, entry 1"),
        (GOOD.replace("  tags: [house-rules]\n", "  tagz: [x]\n"), "entry 1 (id 'one'): unknown field(s) tagz"),
        (GOOD.replace("  roles: [mentor, mentee, peer]\n", ""), "entry 1 (id 'one'): missing roles"),
        (GOOD.replace("  roles: [mentor, mentee, peer]", "  roles: []"), "roles must be a non-empty list"),
        (GOOD.replace("[mentor, mentee, peer]", "[peer, peer]"), "roles lists 'peer' twice"),
        (GOOD.replace("• Book", "- Book"), "entry 1 (id 'one'): body bullets must start with '• '"),
        (GOOD.replace("• Book", "# Book"), "body must not use heading syntax"),
        (GOOD.split("  body: |")[0] + LONG_BODY, "entry 1 (id 'one'): body is 260 words"),
        (GOOD.replace('"First"', '"*First*"'), "title must be plain text"),
        (GOOD.replace("[house-rules]", "[House Rules]"), "tags must be a list of lowercase slugs"),
        ("- just a string\n", "org/a.yaml, entry 1: must be a mapping"),
        ("id: one\n", "org/a.yaml: must be a list of guide entries"),
        ("- id: [\n", "org/a.yaml: not valid YAML"),
    ],
)
def test_a_bad_organisation_file_names_the_file_and_entry(tmp_path: Path, text: str, message: str) -> None:
    write(tmp_path / "org", "a.yaml", text)
    with pytest.raises(GuideError) as info:
        load_guides(tmp_path / "org")
    assert message in str(info.value)


def test_a_good_file_after_a_bad_one_does_not_hide_the_error(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD)
    write(tmp_path, "b.yaml", org_entry("two", "Second", stages="during_cycle, later"))
    with pytest.raises(GuideError, match=r"b\.yaml, entry 1 \(id 'two'\): stages has 'later'"):
        load_guides(tmp_path)


# --- stages ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("has_match", "day", "cycle", "logged", "expected"),
    [
        (False, None, None, False, Stage.BEFORE_FIRST_MEETING),
        (False, 50, 90, True, Stage.BEFORE_FIRST_MEETING),
        (True, 0, 90, False, Stage.BEFORE_FIRST_MEETING),
        (True, 85, 90, False, Stage.BEFORE_FIRST_MEETING),  # no check-in yet: still preparing
        (True, 0, 90, True, Stage.DURING_CYCLE),
        (True, 75, 90, True, Stage.DURING_CYCLE),
        (True, 76, 90, True, Stage.ENDING),  # days 76..89 are the last 14
        (True, 89, 90, True, Stage.ENDING),
        (True, 120, 90, True, Stage.ENDING),  # after the cycle
        (True, 3, 10, True, Stage.ENDING),  # a cycle shorter than two weeks is all ending once met
        (True, None, 90, True, Stage.DURING_CYCLE),
        (True, 80, None, True, Stage.DURING_CYCLE),
    ],
)
def test_stage_of(has_match: bool, day: int | None, cycle: int | None, logged: bool, expected: Stage) -> None:
    assert stage_of(has_match=has_match, days_into_cycle=day, cycle_days=cycle, first_meeting_logged=logged) is expected


def test_stage_of_rejects_impossible_days() -> None:
    with pytest.raises(ValueError, match="cycle_days"):
        stage_of(has_match=True, days_into_cycle=1, cycle_days=0, first_meeting_logged=True)
    with pytest.raises(ValueError, match="days_into_cycle"):
        stage_of(has_match=True, days_into_cycle=-1, cycle_days=30, first_meeting_logged=True)


# --- rendering -------------------------------------------------------------------------------------------------


def test_render_puts_the_title_in_bold_first_and_keeps_the_body() -> None:
    for g in LIBRARY:
        text = render(g)
        first, rest = text.split("\n", 1)
        assert first == f"*{g.title}*"
        assert rest == g.body
        assert len(text) <= MAX_SECTION_CHARS


def test_render_escapes_and_trims_to_the_section_limit() -> None:
    g = Guide(id="x", title="Q&A <here>", body="• " + "a&b " * 1500, roles=("peer",), stages=(Stage.ENDING,))
    text = render(g)
    assert text.startswith("*Q&amp;A &lt;here&gt;*\n• a&amp;b")
    assert len(text) <= MAX_SECTION_CHARS and text.endswith("…")
    assert not re.search(r"&(?!amp;|lt;|gt;)", text), "an entity was cut in half"
    short = render(g, limit=100)
    assert len(short) <= 100 and short.endswith("b…")
    assert render(Guide(id="y", title="T", body="<!channel>", roles=("mentor",), stages=(Stage.ENDING,))) == (
        "*T*\n&lt;!channel&gt;"
    )

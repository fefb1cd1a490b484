"""The prompt library, prompt selection, and what a pair's context may contain (no network here)."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from pathlib import Path

import pytest

from prompts.context import SENT_FIELDS, Kind, Member, PairContext, Role, Stage, redact
from prompts.library import (
    ForRole,
    Library,
    LibraryError,
    Prompt,
    Theme,
    load_library,
    rating_score,
    select_prompts,
    stage_for,
)
from prompts.text import MAX_PROMPT_CHARS, clip, escape_mrkdwn, one_line
from store.queries.programmes import DEFAULT_SKILLS

LIBRARY = load_library()
CLOSED_OPENERS = ("do ", "does ", "did ", "is ", "are ", "was ", "were ", "have ", "has ", "can ", "will ", "should ")


def context(kind: Kind = Kind.ONE_TO_ONE, stage: Stage = Stage.MID_CYCLE, **fields: list[str]) -> PairContext:
    return PairContext(kind=kind, stage=stage, **fields)


# --- the library -----------------------------------------------------------------------------------------------


def test_the_library_has_at_least_120_prompts_with_unique_ids_and_texts() -> None:
    assert len(LIBRARY) >= 120
    ids = [p.id for p in LIBRARY]
    texts = [re.sub(r"\W+", " ", p.text.casefold()).strip() for p in LIBRARY]
    assert len(set(ids)) == len(ids)
    assert len(set(texts)) == len(texts)


def test_every_prompt_is_short_open_and_well_tagged() -> None:
    skills = set(DEFAULT_SKILLS)
    for p in LIBRARY:
        assert 20 <= len(p.text) <= MAX_PROMPT_CHARS, p.id
        assert "?" in p.text, f"{p.id} asks no question"
        assert not p.text.lower().startswith(CLOSED_OPENERS), f"{p.id} reads as a yes/no question"
        assert p.stages and p.themes and p.kinds, p.id
        assert set(p.skills) <= skills, f"{p.id} has skills the programmes do not offer: {set(p.skills) - skills}"
        assert not re.search(r"[<>&]", p.text), f"{p.id} needs no escaping"
        if p.for_role in (ForRole.MENTOR, ForRole.MENTEE):
            assert p.kinds == (Kind.ONE_TO_ONE,), p.id
        if re.search(r"\b(your|the) (mentor|mentee)\b|\bmentee\b", p.text, re.IGNORECASE):
            assert p.kinds == (Kind.ONE_TO_ONE,), f"{p.id} talks about mentors but is offered to peers"
        if re.search(r"\bcircle\b", p.text):
            assert p.kinds == (Kind.PEER_CIRCLES,), f"{p.id} talks about a circle"
        if re.search(r"\byou two\b|\bpartner\b", p.text):
            assert Kind.PEER_CIRCLES not in p.kinds, f"{p.id} assumes two people"


def test_no_two_prompts_are_near_duplicates() -> None:
    def words(p: Prompt) -> set[str]:
        return {w for w in re.findall(r"[a-z']+", p.text.lower()) if len(w) > 3}

    for a, b in itertools.combinations(LIBRARY, 2):
        wa, wb = words(a), words(b)
        similarity = len(wa & wb) / len(wa | wb)
        assert similarity < 0.5, f"{a.id} and {b.id} are too alike ({similarity:.2f})"


def test_every_stage_and_theme_has_enough_prompts() -> None:
    cells = Counter((s, t) for p in LIBRARY for s in p.stages for t in p.themes)
    thin = {f"{s.value} x {t.value}": cells[(s, t)] for s in Stage for t in Theme if cells[(s, t)] < 4}
    assert not thin, f"stage x theme cells with fewer than 4 prompts: {thin}"


def test_every_kind_of_programme_has_prompts_for_every_stage() -> None:
    for kind, stage in itertools.product(Kind, Stage):
        assert len(LIBRARY.fitting(kind=kind, stage=stage)) >= 15, (kind, stage)


def test_the_seed_material_is_covered() -> None:
    text = " ".join(p.text.lower() for p in LIBRARY)
    for idea in ("assum", "safe", "feedback", "reflect", "write", "career", "energy", "belief"):
        assert idea in text, idea


def test_the_library_is_loaded_once() -> None:
    assert load_library() is load_library()
    assert LIBRARY.get("career-fm-surprising-turn") is not None
    assert LIBRARY.get("no-such-prompt") is None
    assert "lead-st-belief-behind" in LIBRARY


GOOD = """
- id: one
  text: "What would you like to learn?"
  stages: [first_meeting]
  themes: [career]
  kinds: [one_to_one]
"""


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            {
                "a.yaml": GOOD + '- id: two\n  text: "' + "x" * 281 + '?"\n  stages: [stuck]\n  themes: [career]\n'
                "  kinds: [one_to_one]\n"
            },
            "prompts/library/a.yaml, entry 2 (id 'two'): text is 282 characters",
        ),
        ({"a.yaml": GOOD.replace("first_meeting", "kickoff")}, "a.yaml, entry 1 (id 'one'): stages has 'kickoff'"),
        ({"a.yaml": GOOD.replace("  kinds: [one_to_one]\n", "")}, "a.yaml, entry 1 (id 'one'): missing kinds"),
        ({"a.yaml": GOOD, "b.yaml": GOOD.replace("learn", "teach")}, "b.yaml, entry 1 (id 'one'): id already used"),
        ({"a.yaml": GOOD, "b.yaml": GOOD.replace("id: one", "id: two")}, "b.yaml, entry 1 (id 'two'): same text"),
        ({"a.yaml": GOOD.replace("id: one", "id: One Two")}, "a.yaml, entry 1 (id 'One Two'): id 'One Two' must be"),
        ({"a.yaml": GOOD + "  colour: blue\n"}, "a.yaml, entry 1 (id 'one'): unknown field(s) colour"),
        ({"a.yaml": GOOD + "  for_role: peer\n"}, "for_role peer does not fit kind one_to_one"),
        ({"a.yaml": "- id: [unclosed\n"}, "prompts/library/a.yaml: not valid YAML"),
        ({"a.yaml": "id: one\n"}, "prompts/library/a.yaml: must be a list of prompts"),
    ],
)
def test_bad_library_data_is_reported_with_file_and_entry(tmp_path: Path, files: dict[str, str], message: str) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(LibraryError) as caught:
        load_library(tmp_path)
    assert message in str(caught.value)


def test_a_valid_directory_loads(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD)
    library = load_library(tmp_path)
    assert [p.id for p in library] == ["one"]
    assert library.prompts[0].for_role is ForRole.ANY
    assert library.prompts[0].origin == "prompts/library/a.yaml, entry 1 (id 'one')"


# --- stages ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "cycle", "stuck", "stage"),
    [
        (0, 90, False, Stage.FIRST_MEETING),
        (8, 90, False, Stage.FIRST_MEETING),
        (9, 90, False, Stage.GOAL_SETTING),
        (26, 90, False, Stage.GOAL_SETTING),
        (27, 90, False, Stage.MID_CYCLE),
        (76, 90, False, Stage.MID_CYCLE),
        (77, 90, False, Stage.CLOSING),
        (120, 90, False, Stage.CLOSING),
        (40, 90, True, Stage.STUCK),
        (0, 7, False, Stage.FIRST_MEETING),
        (1, 7, False, Stage.GOAL_SETTING),
        (6, 7, False, Stage.CLOSING),
    ],
)
def test_stage_for_a_day_of_the_cycle(day: int, cycle: int, stuck: bool, stage: Stage) -> None:
    assert stage_for(day, cycle, stuck=stuck) is stage


def test_stage_for_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        stage_for(1, 0)
    with pytest.raises(ValueError):
        stage_for(-1, 30)


# --- selection -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "stage"), list(itertools.product(Kind, Stage)))
def test_selection_fits_the_kind_and_stage(kind: Kind, stage: Stage) -> None:
    for seed in range(20):
        chosen = select_prompts(LIBRARY, context(kind, stage), seed=seed)
        assert len(chosen) == 3
        assert len({p.id for p in chosen}) == 3
        assert all(Kind(Kind.shape(kind)) in p.kinds and stage in p.stages for p in chosen)  # reverse: 1:1 prompts


def test_selection_is_deterministic_for_a_seed() -> None:
    ctx = context(skills_wanted=["Writing"], checkin_topics=["a tricky design review"])
    runs = {seed: [p.id for p in select_prompts(LIBRARY, ctx, seed=seed)] for seed in range(10)}
    assert all(runs[s] == [p.id for p in select_prompts(LIBRARY, ctx, seed=s)] for s in runs)
    assert len({tuple(r) for r in runs.values()}) > 5


def _frequency(ctx: PairContext, wanted: set[str], **kwargs: object) -> int:
    hits = 0
    for seed in range(300):
        hits += sum(p.id in wanted for p in select_prompts(LIBRARY, ctx, seed=seed, **kwargs))  # type: ignore[arg-type]
    return hits


def test_prompts_for_the_skills_a_pair_wants_come_up_far_more_often() -> None:
    stage = Stage.GOAL_SETTING
    speaking = {p.id for p in LIBRARY.fitting(stage=stage) if "Public speaking" in p.skills}
    assert speaking
    plain = _frequency(context(stage=stage), speaking)
    wanted = _frequency(context(stage=stage, skills_wanted=["Public speaking"]), speaking)
    assert wanted > 2.5 * max(plain, 1)


def test_checkin_topics_and_goals_steer_the_themes() -> None:
    stage = Stage.MID_CYCLE
    wellbeing = {p.id for p in LIBRARY.fitting(stage=stage) if Theme.WELLBEING in p.themes}
    plain = _frequency(context(stage=stage), wellbeing)
    stressed = _frequency(
        context(
            stage=stage,
            checkin_topics=["stress before the launch", "too tired to rest"],
            goals=["the mentee: a calmer workload and better energy"],
        ),
        wellbeing,
    )
    assert stressed > 1.3 * plain


def test_ratings_raise_and_lower_the_chance_of_a_prompt() -> None:
    ctx = context(stage=Stage.STUCK)
    target = "skill-st-practice-is-problem"
    liked = _frequency(ctx, {target}, ratings={target: 1.0})
    disliked = _frequency(ctx, {target}, ratings={target: -1.0})
    assert liked > 3 * max(disliked, 1)
    assert rating_score(0, 0) == 0
    assert rating_score(9, 1) == pytest.approx(8 / 12)
    assert -1 < rating_score(0, 50) < 0


def test_a_pair_never_gets_the_same_prompt_twice_while_others_remain() -> None:
    ctx = context(Kind.PEER_CIRCLES, Stage.CLOSING)
    seen: list[str] = []
    for seed in range(40):
        chosen = select_prompts(LIBRARY, ctx, used_ids=seen, seed=seed)
        assert len(chosen) == 3
        assert not set(seen) & {p.id for p in chosen}, f"round {seed} repeated a prompt"
        seen.extend(p.id for p in chosen)
        if len(seen) + 3 > len(LIBRARY.fitting(kind=Kind.PEER_CIRCLES)):
            break
    # Stage prompts are used first, then neighbouring stages (mid-cycle for closing), then any stage.
    closing = {p.id for p in LIBRARY.fitting(kind=Kind.PEER_CIRCLES, stage=Stage.CLOSING)}
    assert set(seen[: len(closing) - len(closing) % 3]) <= closing


def test_when_everything_was_seen_the_least_recently_used_come_back_first() -> None:
    ctx = context(Kind.ONE_TO_ONE, Stage.STUCK)
    everything = [p.id for p in sorted(LIBRARY.fitting(kind=Kind.ONE_TO_ONE), key=lambda p: p.id)]
    stuck = [pid for pid in everything if Stage.STUCK in LIBRARY.get(pid).stages]  # type: ignore[union-attr]
    oldest_first = [*reversed(stuck), *[pid for pid in everything if pid not in stuck]]
    chosen = select_prompts(LIBRARY, ctx, used_ids=oldest_first, seed=1)
    assert [p.id for p in chosen] == oldest_first[:3]
    # An unordered collection still gives three stage prompts, deterministically.
    again = select_prompts(LIBRARY, ctx, used_ids=set(everything), seed=1)
    assert again == select_prompts(LIBRARY, ctx, used_ids=set(everything), seed=1)
    assert len(again) == 3 and all(Stage.STUCK in p.stages for p in again)


def test_count_is_honoured() -> None:
    assert select_prompts(LIBRARY, context(), count=0, seed=1) == []
    assert len(select_prompts(LIBRARY, context(), count=7, seed=1)) == 7
    tiny = Library(LIBRARY.fitting(kind=Kind.PEER_PAIRS, stage=Stage.CLOSING)[:2])
    assert len(select_prompts(tiny, context(Kind.PEER_PAIRS, Stage.CLOSING), count=3, seed=1)) == 2


# --- the pair's context ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ask <@U012AB3CD> about it", "ask someone about it"),
        ("ask <@U012AB3CD|ana> about it", "ask someone about it"),
        ("post in <#C0123ABCD|design-crit>", "post in a channel"),
        ("<!here> please read", "please read"),
        ("<!subteam^S0123ABCD|@leads> hi", "hi"),
        ("my id is U012AB3CDEF and W0123456789", "my id is someone and someone"),
        ("channel C0123ABCD9 or DM D0123ABCDE", "channel someone or DM someone"),
        ("write to ana.silva+work@example.co.uk", "write to [email]"),
        ("see https://wiki.example.com/page?id=3 and www.example.org", "see [link] and [link]"),
        ("<https://evil.example|totally safe>", "[link]"),
        ("call +44 20 7946 0958 or (555) 123-4567", "call [phone] or [phone]"),
        (
            "ship v2 in 2024-2025, demo on 2025-03-01, 30% faster",
            "ship v2 in 2024-2025, demo on 2025-03-01, 30% faster",
        ),
        ("Get better at DOCUMENTATION and API design", "Get better at DOCUMENTATION and API design"),
    ],
)
def test_redact_removes_identifiers_and_keeps_ordinary_text(text: str, expected: str) -> None:
    assert redact(text) == expected
    assert redact(redact(text)) == redact(text)


def test_a_context_built_from_member_records_keeps_only_allowed_fields_and_no_names() -> None:
    mentee = {
        "name": "Ana Silva",
        "display_name": "ana.s",
        "email": "ana.silva@example.com",
        "slack_user_id": "U012AB3CD",
        "goals": "Ana wants to present at all-hands; ping <@U0BEN12345> or ana.silva@example.com",
        "skills_wanted": ["Public speaking"],
        "private_reflection": "I am scared my manager thinks I'm not ready",
    }
    mentor = {"name": "Ben Okoro", "goals": "Help Ana and Silva's team; Ben will coach", "skills_offered": ["Coaching"]}
    ctx = PairContext.from_members(
        kind="one_to_one",
        stage="goal_setting",
        members=[Member.from_record(mentee, role="mentee"), Member.from_record(mentor, role=Role.MENTOR)],
        milestone_titles=["Ana's first demo"],
        checkin_topics=["Ben shared slides at https://slides.example/x"],
    )
    payload = ctx.to_model_payload()
    assert list(payload) == [key for key, _ in SENT_FIELDS]
    assert payload["goals"] == [
        "the mentee: the mentee wants to present at all-hands; ping someone or [email]",
        "the mentor: Help the mentee and the mentee's team; the mentor will coach",
    ]
    assert payload["milestone_titles"] == ["the mentee's first demo"]
    assert payload["checkin_topics"] == ["the mentor shared slides at [link]"]
    flat = repr(payload)
    for secret in ("Ana", "Silva", "Ben", "Okoro", "example.com", "U012AB3CD", "scared", "ana.s"):
        assert secret not in flat


def test_peers_are_numbered_and_short_names_do_not_eat_words() -> None:
    ctx = PairContext.from_members(
        kind=Kind.PEER_CIRCLES,
        stage=Stage.MID_CYCLE,
        members=[
            Member(role=Role.PEER, goals="I will lead the guild with May", names=["Will"]),
            Member(role=Role.PEER, goals="Pair with Will in May", names=["May"]),
            Member(role=Role.PEER, goals="   "),
        ],
    )
    assert ctx.goals == ["peer 1: I will lead the guild with peer 2", "peer 2: Pair with peer 1 in peer 2"]


def test_to_model_payload_redacts_even_a_hand_built_context() -> None:
    ctx = PairContext(kind="peer_pairs", stage="stuck", goals=["email me at x@y.io"], checkin_topics=["<!channel>"])  # type: ignore[arg-type]
    assert ctx.kind is Kind.PEER_PAIRS
    assert ctx.to_model_payload()["goals"] == ["email me at [email]"]
    assert ctx.to_model_payload()["checkin_topics"] == []
    with pytest.raises(ValueError):
        PairContext(kind="group", stage="stuck")  # type: ignore[arg-type]


# --- text helpers ----------------------------------------------------------------------------------------------


def test_text_helpers() -> None:
    assert escape_mrkdwn("a & <!channel> > b") == "a &amp; &lt;!channel&gt; &gt; b"
    assert one_line(" a\n\tb\u200b  c\x00 ") == "a b c"
    long = "word " * 100
    clipped = clip(long)
    assert len(clipped) <= MAX_PROMPT_CHARS and clipped.endswith("word…")
    assert clip("x" * 500) == "x" * (MAX_PROMPT_CHARS - 1) + "…"
    assert clip("short") == "short"
    assert LIBRARY.prompts[0].mrkdwn == escape_mrkdwn(LIBRARY.prompts[0].text)

"""Abuse, measured: property-based payloads thrown at every listener of the real app over signed HTTP.

One app for the whole module (the stand-in, the app on a SQLite file, served over HTTP), so that hypothesis
examples do not each start a server. Every example checks what must hold whatever is sent:

- the app never answers 5xx;
- a request that is invalid, forged or refused changes no stored data (all tables compared before and after);
- a person who is waiting gets a clear answer (200 with inline errors, or an ephemeral message);
- nothing the bot shows as mrkdwn contains an unescaped `<!channel>`, `<!here>`, `<!everyone>` or a link
  `<https://evil…>` taken from what was typed;
- the stand-in (which checks each Web API call against Slack's spec and Block Kit limits) has no warnings;
- a request signed more than 5 minutes ago, or badly signed, is refused with 401;
- raw bytes and raw headers (not only Slack's shapes), signed or not, never get a 5xx and change nothing.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import pkgutil
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import MetaData, select
from sqlalchemy.engine import Engine
from sqlmodel import select as sqlmodel_select

from blocks import admin as admin_ui
from blocks import common as ui
from bot.app import create_web_app
from bot.settings import Settings
from standin import BOT_TOKEN, GENERAL_CHANNEL_ID, Reply, SlackPlatform, SlackStandIn, find
from standin.appserver import serve
from standin.platform import sign
from standin.scenes import World, join_answers
from store import migrate
from store.db import Database
from store.models import Participant, Programme
from store.types import utcnow
from tests.data import open_programme

SIGNING_SECRET = "fuzz-signing-secret"
OTHER_TEAM = "T0OTHER01"
FUZZ = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,  # the same examples on every run and in CI: a failure is never a fluke
    database=None,  # and no .hypothesis/ directory in the checkout
)
DANGER = ("<!channel>", "<!here>", "<!everyone>", "<https://evil")

# ------------------------------------------------------------------------------------------------- strategies

INJECTIONS = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!channel|channel>",
    "<@U0ANA0001>",
    "<@U0OLU0001|ceo>",
    "<#C0GENERAL1>",
    "<https://evil.example|ok>",
    "<https://evil.example>",
    "&lt;!channel&gt;",
    "*bold* _it_ ~s~ `code` ```block```",
    "> quote",
]
UNICODE = [
    "\u202eevil\u202c",  # right-to-left override
    "مرحبا بالعالم",
    "שלום",
    "zero\u200bwidth\u200d\ufeff",
    "👩🏽‍💻🏳️‍🌈🇵🇹",
    "e\u0301\u0301\u0301",  # combining marks
    "\x00\x07\x1b[31m",  # control characters
    "\U0001d573\U0001d58a\U0001d591\U0001d591\U0001d594",  # mathematical fraktur "Hello"
    "\u2028line\u2029para",
]

nasty_piece = st.one_of(
    st.sampled_from(INJECTIONS),
    st.sampled_from(UNICODE),
    st.text(max_size=40),  # hypothesis never draws lone surrogates: what it sends is valid UTF-8
)
nasty_text = st.one_of(
    st.lists(nasty_piece, max_size=6).map(" ".join),
    st.integers(3000, 5000).map(lambda n: ("<!channel> " + "x" * n)[:n]),  # oversized
    st.just(""),
)
junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | nasty_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
user_ids = st.sampled_from(["U0ANA0001", "U0DIEGO01", "U0INGRID1", "UNOBODY00", "", "U" + "9" * 300])


def real_ids(suffix: str) -> list[str]:
    """Every `*_ACTION` / `*_CALLBACK` constant the app defines (its packages), found at run time."""
    found: set[str] = set()
    for package in ("bot", "handlers", "blocks", "mentoring"):
        for info in pkgutil.iter_modules([str(Path(__file__).parents[1] / package)]):
            if info.name in ("demo", "cli", "serve", "__main__"):
                continue
            try:
                module = importlib.import_module(f"{package}.{info.name}")
            except ImportError:
                continue
            found.update(v for k, v in vars(module).items() if k.endswith(suffix) and isinstance(v, str))
    return sorted(found)


ACTION_IDS = real_ids("_ACTION")
CALLBACK_IDS = real_ids("_CALLBACK")

# ------------------------------------------------------------------------------------------------- the app


@dataclass
class Fuzz:
    world: World
    engine: Engine
    own_programme: int
    other_programme: int

    @property
    def platform(self) -> SlackPlatform:
        return self.world.platform

    @property
    def standin(self) -> SlackStandIn:
        return self.world.standin

    tables: MetaData

    def snapshot(self, *, skip: tuple[str, ...] = ()) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table (but `skip`, and the signatures of requests seen), in a stable order."""
        with self.engine.connect() as conn:
            return {
                name: sorted((tuple(r) for r in conn.execute(select(table))), key=repr)
                for name, table in self.tables.tables.items()
                if name not in skip and name != "seen_request"
            }


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzz]:
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz')}/mentor-bot-fuzz.db"
    migrate.upgrade(url)
    with SlackStandIn(rate_limits=False) as standin:
        open_programme(url, standin.team_id)  # what the workspace's admins opened
        settings_ = Settings(
            _env_file=None,
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=standin.api_url,
            database_url=url,
        )
        web = create_web_app(settings_, run_follow_ups=True)
        db = Database.from_url(url)
        try:
            with serve(web) as base_url:
                platform = SlackPlatform(f"{base_url}/slack/events", SIGNING_SECRET, standin)
                world = World(standin=standin, platform=platform, app_base_url=base_url)
                ana = world.person("Ana")  # a member of the workspace's programme
                ana.join(join_answers("mentee", wanted=["Leadership"], goals="Speak up"))
                ana.wait_for_dm()
                world.settle()
                with db.begin() as session:
                    other = Programme(team_id=OTHER_TEAM, slug="secret", name="Other team's", skills=["Leadership"])
                    session.add(other)
                    session.flush()
                    assert other.id is not None
                    session.add(
                        Participant(
                            team_id=OTHER_TEAM,
                            programme_id=other.id,
                            slack_user_id="U0ANA0001",
                            role="mentee",
                            consent_version="1",
                            consented_at=utcnow(),
                        )
                    )
                with db.session() as session:
                    programmes = list(session.exec(sqlmodel_select(Programme)).all())
                own = next(p.id for p in programmes if p.team_id == standin.team_id)
                other_id = next(p.id for p in programmes if p.team_id == OTHER_TEAM)
                assert own is not None and other_id is not None
                tables = MetaData()
                tables.reflect(db.engine)
                yield Fuzz(world, db.engine, own, other_id, tables)
                world.settle()
                assert standin.warnings == [], standin.warnings
                assert standin.errors == [], standin.errors
        finally:
            web.close()
            db.dispose()


def after(fuzz: Fuzz, calls_before: int, reply: Reply) -> list[str]:
    """Wait for the work the app does after acking; check the answer and what the bot showed; return problems."""
    fuzz.world.settle(quiet_for=0.1)
    assert reply.status < 500, (reply.status, reply.body[:500])
    shown = [*mrkdwn_of_reply(reply), *(t for c in fuzz.standin.calls[calls_before:] for t in mrkdwn_of_call(c))]
    leaks = [t[:300] for t in shown if any(d in t for d in DANGER)]
    assert not leaks, leaks
    assert fuzz.standin.warnings == [], fuzz.standin.warnings
    return shown


def mrkdwn_texts(obj: Any) -> Iterator[str]:
    """The strings Slack would render as mrkdwn: text objects of type mrkdwn, wherever they sit."""
    if isinstance(obj, str) and obj[:1] in "[{":
        try:
            obj = json.loads(obj)
        except ValueError:
            return
    if isinstance(obj, dict):
        if obj.get("type") == "mrkdwn" and isinstance(obj.get("text"), str):
            yield obj["text"]
        for value in obj.values():
            yield from mrkdwn_texts(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from mrkdwn_texts(value)


def mrkdwn_of_call(call: Any) -> Iterator[str]:
    params = call.params
    chat = ("chat.postMessage", "chat.postEphemeral", "chat.update", "chat.scheduleMessage", "response_url")
    if call.method in chat and isinstance(params.get("text"), str) and params.get("mrkdwn") is not False:
        yield params["text"]
    yield from mrkdwn_texts(params.get("blocks"))
    yield from mrkdwn_texts(params.get("attachments"))
    yield from mrkdwn_texts(params.get("view"))


def mrkdwn_of_reply(reply: Reply) -> Iterator[str]:
    if isinstance(reply.json, dict):
        if isinstance(reply.json.get("text"), str):
            yield reply.json["text"]
        yield from mrkdwn_texts(reply.json.get("blocks"))
        yield from mrkdwn_texts(reply.json.get("view"))


def clear_answer(reply: Reply, fuzz: Fuzz, user_id: str, calls_before: int) -> bool:
    """The person got an answer they can read: text in the ack, inline errors, a modal, or a message."""
    if isinstance(reply.json, dict) and (reply.json.get("text") or reply.json.get("errors") or reply.json.get("view")):
        return True
    said = {"chat.postEphemeral", "chat.postMessage", "response_url", "views.open", "views.push", "views.update"}
    return any(c.method in said for c in fuzz.standin.calls[calls_before:])


# ------------------------------------------------------------------------------------------------- commands

KNOWN = ["help", "join", "profile", "admin", "pause", "resume", "leave", "my-data", "forget-me", "rematch"]


@FUZZ
@given(text=nasty_text, user=st.sampled_from(["U0DIEGO01", "U0ANA0001"]))
def test_any_text_after_slash_mentor_gets_an_answer_and_changes_nothing_unless_a_subcommand(
    fuzz: Fuzz, text: str, user: str
) -> None:
    words = text.strip().split(" ", 1)
    sub = words[0].lower() if words else ""
    before, calls = fuzz.snapshot(), len(fuzz.standin.calls)
    reply = fuzz.platform.slash(user, "/mentor", text)
    after(fuzz, calls, reply)
    assert reply.status == 200
    assert clear_answer(reply, fuzz, user, calls), (text[:200], reply.body[:300])
    if sub not in KNOWN:
        assert fuzz.snapshot() == before


@FUZZ
@given(sub=st.sampled_from(KNOWN), args=nasty_text)
def test_each_subcommand_with_junk_arguments_never_fails(fuzz: Fuzz, sub: str, args: str) -> None:
    user = "U0DIEGO01"  # not in any programme, not an admin: nothing of his to change
    before = fuzz.snapshot()
    calls = len(fuzz.standin.calls)
    reply = fuzz.platform.slash(user, "/mentor", f"{sub} {args}")
    after(fuzz, calls, reply)
    assert clear_answer(reply, fuzz, user, calls), (sub, args[:200], reply.body[:300])
    assert fuzz.snapshot() == before


@FUZZ
@given(
    fields=st.dictionaries(
        st.sampled_from(
            [
                "team_id",
                "user_id",
                "command",
                "text",
                "trigger_id",
                "channel_id",
                "response_url",
                "api_app_id",
                "user_name",
            ]
        ),
        nasty_text,
        max_size=6,
    )
)
def test_malformed_slash_command_forms_never_fail(fuzz: Fuzz, fields: dict[str, str]) -> None:
    before, calls = fuzz.snapshot(), len(fuzz.standin.calls)
    reply = fuzz.platform.send(urlencode(fields), "application/x-www-form-urlencoded")
    after(fuzz, calls, reply)
    assert fuzz.snapshot() == before


def _not_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return True
    return False


# A JSON object of junk, but with Slack's well-known fields of the right type (see the known bugs below otherwise).
json_objects = st.fixed_dictionaries(
    {},
    optional={
        "type": st.one_of(st.sampled_from(["event_callback", "block_actions", "view_submission"]), st.text(max_size=9)),
        "event": st.dictionaries(st.sampled_from(["type", "text", "ts", "x"]), junk, max_size=3),
        "team_id": st.text(max_size=12),
        "token": junk,
        "x": junk,
    },
).map(json.dumps)


@FUZZ
@given(
    body=st.one_of(st.text(max_size=400).filter(lambda t: _not_json(t) and not t.startswith("{")), json_objects),
    form=st.booleans(),
)
def test_malformed_bodies_never_fail(fuzz: Fuzz, body: str, form: bool) -> None:
    """Bodies that are not what Slack sends: random form text, or a JSON object of junk (as JSON or `payload=`).

    (A JSON-typed body that is not a JSON object is refused with a 400: see the test below.)"""
    before, calls = fuzz.snapshot(), len(fuzz.standin.calls)
    content_type = "application/x-www-form-urlencoded" if form or not body.startswith("{") else "application/json"
    if form and body.startswith("{"):
        body = urlencode({"payload": body})
    reply = fuzz.platform.send(body, content_type)
    after(fuzz, calls, reply)
    assert fuzz.snapshot() == before


# ------------------------------------------------------------------------------------------------- view submissions


def join_view(fuzz: Fuzz, programme_id: Any) -> dict[str, Any]:
    with Database.from_url(str(fuzz.engine.url)).session() as session:
        programme = session.get(Programme, fuzz.own_programme)
        assert programme is not None
        view = {"id": "V0FUZZJOIN", "team_id": fuzz.standin.team_id, **ui.join_modal(programme)}
    view["private_metadata"] = json.dumps({"programme_id": programme_id})
    return view


join_values = st.fixed_dictionaries(
    {},
    optional={
        "role": st.one_of(st.sampled_from(["mentee", "mentor", "peer", "admin", ""]), junk),
        "skills_offered": st.one_of(st.lists(st.sampled_from(["Leadership", "Writing", "Root"]), max_size=3), junk),
        "skills_wanted": st.one_of(st.lists(st.sampled_from(["Leadership", "Public speaking"]), max_size=3), junk),
        "goals": nasty_text,
        "department": nasty_text,
        "capacity": st.one_of(st.sampled_from(["1", "5", "0", "-1", "9" * 40, "2.5", "three"]), junk),
        "consent": st.one_of(st.just(["yes"]), st.just([]), junk),
    },
)


@FUZZ
@given(values=join_values, user=user_ids, forged=st.sampled_from(["own", "other", "missing", "junk"]))
def test_join_modal_submissions_are_saved_or_refused_inline(
    fuzz: Fuzz, values: dict[str, Any], user: str, forged: str
) -> None:
    programme_id: Any = {"own": fuzz.own_programme, "other": fuzz.other_programme, "missing": 999_999}.get(
        forged, [None, {"x": 1}]
    )
    view = join_view(fuzz, programme_id)
    before, calls = fuzz.snapshot(), len(fuzz.standin.calls)
    try:
        reply = fuzz.platform.submit_view(user, view, values)
    except (TypeError, AttributeError):
        return  # the platform cannot even express this state; nothing was sent
    after(fuzz, calls, reply)
    assert reply.status == 200, reply.body[:300]
    refused = isinstance(reply.json, dict) and reply.json.get("response_action") == "errors"
    if forged != "own" or refused:
        assert refused, (forged, reply.body[:300])
        assert isinstance(reply.json, dict)
        assert all(isinstance(m, str) and m for m in reply.json["errors"].values())
        assert fuzz.snapshot() == before


def programme_view(fuzz: Fuzz, meta: Any) -> dict[str, Any]:
    view = {"id": "V0FUZZPROG", "team_id": fuzz.standin.team_id, **admin_ui.programme_modal(None, default_skills=[])}
    view["private_metadata"] = json.dumps(meta)
    return view


programme_values = st.fixed_dictionaries(
    {},
    optional={
        "name": nasty_text,
        "objectives": nasty_text,
        "kind": st.one_of(st.sampled_from(["one_to_one", "peer", "circle", "root"]), junk),
        "cycle_days": st.one_of(st.sampled_from(["90", "0", "-5", "1e9", "99999999999999999999"]), junk),
        "cadence": st.one_of(st.sampled_from(["weekly", "fortnightly", "hourly"]), junk),
        "skills": nasty_text,
        "channel": st.one_of(st.sampled_from([GENERAL_CHANNEL_ID, "C0NOPE", "D123"]), junk),
        "enrolment": st.one_of(st.just(["yes"]), st.just([]), junk),
        "enrolment_deadline": st.one_of(
            st.sampled_from(["2020-01-01", "2999-12-31", "31/12/2030", "2030-02-30"]), junk
        ),
        "eligibility": nasty_text,
        "circle_size": st.one_of(st.sampled_from(["4", "0", "1000"]), junk),
        "max_capacity": st.one_of(st.sampled_from(["3", "-1", "x"]), junk),
        "approval": st.one_of(st.just(["yes"]), st.just([]), junk),
        "llm": st.one_of(st.just(["yes"]), st.just([]), junk),
    },
)


@FUZZ
@given(
    values=programme_values,
    who=st.sampled_from(["U0ANA0001", "U0INGRID1", "UNOBODY00"]),
    meta=st.sampled_from(["new", "own", "other", "missing", "junk"]),
)
def test_programme_modal_submissions_are_refused_unless_an_admin_saves_valid_answers(
    fuzz: Fuzz, values: dict[str, Any], who: str, meta: str
) -> None:
    metadata: Any = {
        "new": {},
        "own": {"programme_id": fuzz.own_programme},
        "other": {"programme_id": fuzz.other_programme},
        "missing": {"programme_id": 999_999},
    }.get(meta, ["programme_id", {"programme_id": "1; DROP TABLE programme"}])
    view = programme_view(fuzz, metadata)
    before, calls = fuzz.snapshot(), len(fuzz.standin.calls)
    try:
        reply = fuzz.platform.submit_view(who, view, values)
    except (TypeError, AttributeError):
        return
    after(fuzz, calls, reply)
    assert reply.status == 200, reply.body[:300]
    refused = isinstance(reply.json, dict) and reply.json.get("response_action") == "errors"
    if who != "U0INGRID1" or meta in ("other", "missing") or refused:
        assert refused, (who, meta, reply.body[:300])
        assert fuzz.snapshot() == before
    other = [r for r in fuzz.snapshot()["programme"] if OTHER_TEAM in r]
    assert other == [r for r in before["programme"] if OTHER_TEAM in r]


BLOCK_IDS = ["role", "goals", "department", "capacity", "consent", "programme", "name", "kind", "cycle_days",
             "skills", "admin", "match", "reason", "notes", "rating", "confirm"]  # fmt: skip
# Slack always sends state.values as {block_id: {action_id: {type, value...}}}: the shape stays, the answers are junk.
junk_state = st.dictionaries(
    st.one_of(st.sampled_from(BLOCK_IDS), st.text(max_size=10)),
    st.dictionaries(st.sampled_from(["value", "other"]), st.one_of(junk, st.dictionaries(st.text(max_size=16), junk))),
    max_size=5,
)


def view_payload(fuzz: Fuzz, callback: str, state: Any, meta: Any, user: str) -> dict[str, Any]:
    view = {
        "id": "V0FUZZJUNK",
        "team_id": fuzz.standin.team_id,
        "type": "modal",
        "callback_id": callback,
        "private_metadata": json.dumps(meta),
        "blocks": [],
        "state": {"values": state},
    }
    payload = {
        "type": "view_submission",
        "team": {"id": fuzz.standin.team_id, "domain": "x"},
        "user": {"id": user, "team_id": fuzz.standin.team_id},
        "api_app_id": "A0MENTOR1",
        "trigger_id": fuzz.standin.issue_trigger(user) if user.startswith("U0") else "1.2.3",
        "view": view,
    }
    return payload


@FUZZ
@given(callback=st.sampled_from(CALLBACK_IDS), state=junk_state, meta=junk, user=user_ids)
def test_any_view_submission_with_junk_answers_never_fails(
    fuzz: Fuzz, callback: str, state: Any, meta: Any, user: str
) -> None:
    payload = view_payload(fuzz, callback, state, meta, user)
    before, calls = fuzz.snapshot(), len(fuzz.standin.calls)
    reply = fuzz.platform.send(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")
    after(fuzz, calls, reply)
    assert fuzz.snapshot() == before


@pytest.mark.parametrize("callback", CALLBACK_IDS)
def test_a_view_submission_with_mistyped_state_is_answered_without_a_server_error(fuzz: Fuzz, callback: str) -> None:
    replies = []
    for state in ([None], "x", {"role": [1]}, {"programme": None, "match": "x", "name": 3}):
        payload = view_payload(fuzz, callback, state, {"programme_id": fuzz.own_programme}, "U0DIEGO01")
        reply = fuzz.platform.send(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")
        replies.append((state, reply.status))
    fuzz.world.settle(quiet_for=0.1)
    assert all(status < 500 for _, status in replies), replies


# ------------------------------------------------------------------------------------------------- block actions


@FUZZ
@given(
    action_id=st.one_of(st.sampled_from(ACTION_IDS), st.text(max_size=30)),
    value=st.one_of(
        nasty_text,
        st.builds(
            lambda pid, to: json.dumps({"programme_id": pid, "to": to}),
            st.sampled_from(["own", "other", 999_999, None, "1 OR 1=1"]),
            st.sampled_from(["enrolling", "active", "closed", "archived", "draft", None]),
        ),
        st.sampled_from(["own", "other"]),
        junk.map(json.dumps),
    ),
    where=st.sampled_from(["message", "home"]),
)
def test_block_actions_from_someone_with_nothing_to_manage_change_nothing(
    fuzz: Fuzz, action_id: str, value: str, where: str
) -> None:
    value = value.replace('"own"', str(fuzz.own_programme)).replace('"other"', str(fuzz.other_programme))
    if value in ("own", "other"):
        value = str(fuzz.own_programme if value == "own" else fuzz.other_programme)
    diego = find("Diego").id  # not a participant and not an admin
    before, calls = fuzz.snapshot(), len(fuzz.standin.calls)
    if where == "message":
        message = {"ts": "1700000000.000100", "blocks": [], "channel": GENERAL_CHANNEL_ID}
        reply = fuzz.platform.click(diego, action_id, value, message=message)
    else:
        reply = fuzz.platform.click(diego, action_id, value, view={"id": "V0HOME", "type": "home", "blocks": []})
    after(fuzz, calls, reply)
    assert fuzz.snapshot() == before, (action_id, value)


@FUZZ
@given(
    action_id=st.sampled_from(ACTION_IDS),
    value=st.one_of(
        st.builds(
            lambda to: json.dumps({"programme_id": "other", "to": to}),
            st.sampled_from(["enrolling", "active", "closed", "archived"]),
        ),
        st.just("other"),
    ),
    who=st.sampled_from(["U0ANA0001", "U0INGRID1", "U0OLU0001"]),
)
def test_no_one_can_act_on_another_workspaces_programme(fuzz: Fuzz, action_id: str, value: str, who: str) -> None:
    value = value.replace('"other"', str(fuzz.other_programme)).replace("other", str(fuzz.other_programme))
    before, calls = fuzz.snapshot(), len(fuzz.standin.calls)
    message = {"ts": "1700000000.000200", "blocks": [], "channel": GENERAL_CHANNEL_ID}
    reply = fuzz.platform.click(who, action_id, value, message=message)
    after(fuzz, calls, reply)
    now = fuzz.snapshot()
    for table in ("programme", "participant", "audit_entry", "programme_admin"):
        if table in now:
            assert [r for r in now[table] if OTHER_TEAM in r] == [r for r in before[table] if OTHER_TEAM in r]


@FUZZ
@given(
    # Slack always sends a non-empty list of action objects; what is in them is junk here.
    actions=st.lists(
        st.fixed_dictionaries(
            {"action_id": st.one_of(st.sampled_from(ACTION_IDS), st.text(max_size=30))},
            optional={
                "value": nasty_text,
                "block_id": st.text(max_size=20),
                **{k: junk for k in ("type", "selected_option", "action_ts")},
            },
        ),
        min_size=1,
        max_size=2,
    ),
    user=st.builds(lambda u: {"id": u}, user_ids),
    extra=st.dictionaries(
        st.sampled_from(["container", "channel", "message", "view", "state", "response_url"]), junk, max_size=3
    ),
)
def test_mistyped_block_actions_payloads_never_fail(fuzz: Fuzz, actions: Any, user: Any, extra: Any) -> None:
    payload = {"type": "block_actions", "team": {"id": fuzz.standin.team_id}, "user": user, "actions": actions, **extra}
    before, calls = fuzz.snapshot(), len(fuzz.standin.calls)
    reply = fuzz.platform.send(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")
    after(fuzz, calls, reply)
    assert fuzz.snapshot() == before


# ------------------------------------------------------------------------------------------------- events

EVENT_TYPES = [
    "app_home_opened",
    "user_change",
    "member_joined_channel",
    "app_mention",
    "message",
    "reaction_added",
    "app_uninstalled",
    "tokens_revoked",
    "team_join",
    "no_such_event",
]


@FUZZ
@given(
    etype=st.sampled_from(EVENT_TYPES),
    fields=st.fixed_dictionaries(
        {},
        optional={
            "user": st.one_of(user_ids, st.text(max_size=12)),
            "channel": st.one_of(st.sampled_from([GENERAL_CHANNEL_ID, "D0NOPE", "C0NOPE"]), st.text(max_size=12)),
            **{k: junk for k in ("tab", "view", "inviter", "text", "tokens", "item")},
        },
    ),
    team=st.sampled_from(["own", OTHER_TEAM, ""]),
)
def test_events_with_junk_fields_never_fail_and_change_nothing(
    fuzz: Fuzz, etype: str, fields: dict[str, Any], team: str
) -> None:
    # An uninstall (of any workspace: Slack signed it) is recorded in `workspace`; only that may change, and
    # ours is not uninstalled here, or the rest of the module would talk to an uninstalled workspace.
    uninstall = etype in ("app_uninstalled", "tokens_revoked")
    if uninstall and team == "own":
        team = OTHER_TEAM
    skip = ("processed_event", "workspace") if uninstall else ("processed_event",)
    before, calls = fuzz.snapshot(skip=skip), len(fuzz.standin.calls)
    event = {"type": etype, **fields}
    eid = f"EvFUZZ{time.monotonic_ns()}"
    envelope = {
        "token": "x",
        "team_id": fuzz.standin.team_id if team == "own" else team,
        "api_app_id": "A0MENTOR1",
        "event": event,
        "type": "event_callback",
        "event_id": eid,
        "event_time": int(time.time()),
    }
    reply = fuzz.platform.send(json.dumps(envelope), "application/json")
    after(fuzz, calls, reply)
    if etype == "app_home_opened" and isinstance(fields.get("user"), str):
        return  # publishing a person's Home may create the workspace's default programme row: allowed
    assert fuzz.snapshot(skip=skip) == before, (etype, fields)


@FUZZ
@given(
    user=st.fixed_dictionaries(
        {"id": st.sampled_from(["U0DIEGO01", "UNOBODY00", ""])},
        optional={"real_name": nasty_text, "profile": junk, "deleted": junk, "tz": junk, "team_id": junk},
    )
)
def test_user_change_for_someone_in_no_programme_changes_nothing(fuzz: Fuzz, user: dict[str, Any]) -> None:
    before, calls = fuzz.snapshot(skip=("processed_event",)), len(fuzz.standin.calls)
    reply = fuzz.platform.event({"type": "user_change", "user": user, "event_ts": f"{time.time():.6f}"})
    after(fuzz, calls, reply)
    assert reply.status == 200
    assert fuzz.snapshot(skip=("processed_event",)) == before


# ------------------------------------------------------------------------------------------------- known bugs


def _payload_form(payload: Any) -> tuple[str, str]:
    return urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"


def _event(fuzz: Fuzz, event: dict[str, Any]) -> tuple[str, str]:
    envelope = {"team_id": fuzz.standin.team_id, "api_app_id": "A0MENTOR1", "type": "event_callback",
                "event_id": f"EvBUG{time.monotonic_ns()}", "event_time": int(time.time()), "event": event}  # fmt: skip
    return json.dumps(envelope), "application/json"


MISTYPED = {
    "json 0": lambda f: ("0", "application/json"),
    "json null": lambda f: ("null", "application/json"),
    "json list": lambda f: ("[{}]", "application/json"),
    "json string": lambda f: ('"text"', "application/json"),
    "not json": lambda f: (":", "application/json"),
    "payload null": lambda f: _payload_form(None),
    "payload list": lambda f: _payload_form([1]),
    "actions empty": lambda f: _payload_form({"type": "block_actions", "user": {"id": "U0DIEGO01"}, "actions": []}),
    "actions object": lambda f: _payload_form({"type": "block_actions", "user": {"id": "U0DIEGO01"}, "actions": {}}),
    "actions [null]": lambda f: _payload_form(
        {"type": "block_actions", "user": {"id": "U0DIEGO01"}, "actions": [None]}
    ),
    "action_id list": lambda f: _payload_form(
        {"type": "block_actions", "user": {"id": "U0DIEGO01"}, "actions": [{"action_id": []}]}
    ),
    "user false": lambda f: _payload_form(
        {"type": "block_actions", "user": False, "actions": [{"action_id": "admin_edit_programme"}]}
    ),
    "button value list": lambda f: _payload_form(
        {
            "type": "block_actions",
            "user": {"id": "U0ANA0001"},
            "actions": [{"action_id": "home_edit_profile", "value": [1]}],
        }
    ),
    "event null": lambda f: ('{"type": null, "event": null}', "application/json"),
    "event user false": lambda f: _event(f, {"type": "app_home_opened", "user": False}),
    "event channel float": lambda f: _event(f, {"type": "member_joined_channel", "user": "U0DIEGO01", "channel": 1.5}),
}


@pytest.mark.parametrize("case", sorted(MISTYPED))
def test_a_signed_request_with_mistyped_well_known_fields_is_not_a_server_error(fuzz: Fuzz, case: str) -> None:
    body, content_type = MISTYPED[case](fuzz)
    reply = fuzz.platform.send(body, content_type)
    assert reply.status < 500, (case, reply.status, reply.body)


@pytest.mark.parametrize("body", ["0", "null", "[]"])
def test_an_unsigned_body_that_is_not_a_json_object_is_refused_with_401(fuzz: Fuzz, body: str) -> None:
    reply = fuzz.platform.send(body, "application/json", signature="v0=" + "0" * 64)
    assert reply.status == 401, (reply.status, reply.body)


# ------------------------------------------------------------------------------------------------- replays


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    derandomize=True,
    database=None,
)
@given(
    kind=st.sampled_from(["slash", "join", "programme", "click", "event"]),
    age=st.integers(301, 10 * 365 * 24 * 3600),
    bad_signature=st.booleans(),
)
def test_replayed_or_badly_signed_requests_are_refused_with_401(
    fuzz: Fuzz, kind: str, age: int, bad_signature: bool
) -> None:
    stale = int(time.time()) - age
    kw: dict[str, Any] = {"signature": "v0=" + "0" * 64} if bad_signature else {"timestamp": stale}
    ingrid = find("Ingrid").id
    before, calls = fuzz.snapshot(), len(fuzz.standin.calls)
    if kind == "slash":
        reply = fuzz.platform.slash(ingrid, "/mentor", "leave", **kw)
    elif kind == "join":
        answers = join_answers("mentor", offered=["Leadership"], capacity=1)
        reply = fuzz.platform.submit_view(ingrid, join_view(fuzz, fuzz.own_programme), answers, **kw)
    elif kind == "programme":
        answers = {"name": "Replayed", "kind": "one_to_one", "cycle_days": "90", "cadence": "weekly"}
        reply = fuzz.platform.submit_view(ingrid, programme_view(fuzz, {}), answers, **kw)
    elif kind == "click":
        message = {"ts": "1700000000.000300", "blocks": [], "channel": GENERAL_CHANNEL_ID}
        reply = fuzz.platform.click(ingrid, admin_ui.NEW_ACTION, "new", message=message, **kw)
    else:
        reply = fuzz.platform.home_opened(ingrid, **kw)
    assert reply.status == 401, (kind, reply.status, reply.body[:200])
    fuzz.world.settle(quiet_for=0.1)
    assert len(fuzz.standin.calls) == calls
    assert fuzz.snapshot() == before


def test_a_request_signed_four_minutes_ago_is_still_accepted(fuzz: Fuzz) -> None:
    """The other side of the replay window: Slack's clock may be a little behind ours."""
    reply = fuzz.platform.slash(find("Diego").id, "/mentor", "help", timestamp=int(time.time()) - 240)
    assert reply.status == 200 and reply.json is not None and "/mentor join" in reply.json["text"]


# ------------------------------------------------------------------------------------------------- raw bytes


def raw_exchange(base_url: str, head: list[bytes], body: bytes) -> int | None:
    """Send a request line, these header lines and this body, byte for byte; the answer's status (None when the
    server closed without one)."""
    host, port = base_url.removeprefix("http://").split(":")
    data = b"\r\n".join([b"POST /slack/events HTTP/1.1", f"Host: {host}:{port}".encode(), *head]) + b"\r\n\r\n" + body
    with socket.create_connection((host, int(port)), timeout=20) as sock:
        with contextlib.suppress(OSError):  # the server may answer before reading everything
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        answer = b""
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65536):
                answer += chunk
    first = answer.split(b"\r\n", 1)[0].split(b" ")
    return int(first[1]) if len(first) > 1 and first[1].isdigit() else None


CONTENT_TYPES = [
    "application/x-www-form-urlencoded",
    "application/json",
    "application/json; charset=utf-8",
    "application/x-www-form-urlencoded; charset=latin-1",
    "text/plain",
    "multipart/form-data; boundary=x",
    "",
    "application/JSON",
]
SLACK_HEADERS = [
    "X-Slack-Request-Timestamp",
    "X-Slack-Signature",
    "Content-Type",
    "Content-Length",
    "X-Slack-Retry-Num",
    "X-Slack-Retry-Reason",
    "X-Slack-Bolt-Lazy-Only",
    "X-Slack-Bolt-Lazy-Function-Name",
    "Transfer-Encoding",
    "X-Request-Id",
    "Expect",
]
header_value = st.one_of(
    st.sampled_from(["", "0", "-1", "1e9", "v0=", "v0=" + "0" * 64, "chunked", "100-continue", "true", " " * 3]),
    st.integers(-(10**12), 10**13).map(str),
    st.text(st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"), max_size=80),
)
bodies = st.one_of(
    st.binary(max_size=2000),
    st.binary(max_size=200).map(lambda b: b"payload=" + b),
    st.binary(max_size=200).map(lambda b: b"{" + b),
    st.integers(1, 5000).map(lambda n: b"[" * n),
    st.integers(1, 5000).map(lambda n: b"payload=" + b'{"a":' * n),
)


RAW = settings(FUZZ, max_examples=150)  # cheap: most are refused before anything runs


@RAW
@given(body=bodies, content_type=st.sampled_from(CONTENT_TYPES), signed=st.booleans(), age=st.integers(-400, 400))
def test_raw_bodies_signed_or_not_never_get_a_5xx_and_change_nothing(
    fuzz: Fuzz, body: bytes, content_type: str, signed: bool, age: int
) -> None:
    """Any bytes, in any content type, correctly signed (with a timestamp up to 400 s either side) or not."""
    ts = str(int(time.time()) - age)
    signature = sign(SIGNING_SECRET, ts, body) if signed else "v0=" + "1" * 64
    head = [f"Content-Type: {content_type}".encode(), f"Content-Length: {len(body)}".encode()]
    head += [f"X-Slack-Request-Timestamp: {ts}".encode(), f"X-Slack-Signature: {signature}".encode()]
    before, calls = fuzz.snapshot(skip=("processed_event",)), len(fuzz.standin.calls)
    status = raw_exchange(fuzz.world.app_base_url, head, body)
    assert status is not None and status < 500, (status, body[:200])
    fuzz.world.settle(quiet_for=0.05)
    assert fuzz.snapshot(skip=("processed_event",)) == before
    assert fuzz.standin.calls[calls:] == [] or signed


@RAW
@given(
    headers=st.lists(st.tuples(st.sampled_from(SLACK_HEADERS), header_value), max_size=8),
    body=bodies,
    sign_it=st.booleans(),
)
def test_raw_headers_never_get_a_5xx_and_change_nothing(
    fuzz: Fuzz, headers: list[tuple[str, str]], body: bytes, sign_it: bool
) -> None:
    """Any of the headers Slack (or Bolt) reads, repeated or missing, with any value; signed when asked (a good
    signature of whatever timestamp header came first)."""
    head = [f"{name}: {value}".encode("latin-1") for name, value in headers]
    if sign_it:
        ts = next((v for n, v in headers if n == "X-Slack-Request-Timestamp"), str(int(time.time())))
        if not any(n == "X-Slack-Request-Timestamp" for n, _ in headers):
            head.append(f"X-Slack-Request-Timestamp: {ts}".encode("latin-1"))
        head.append(f"X-Slack-Signature: {sign(SIGNING_SECRET, ts, body)}".encode("latin-1"))
    before = fuzz.snapshot(skip=("processed_event",))
    status = raw_exchange(fuzz.world.app_base_url, head, body)
    assert status is None or status < 500, (status, headers, body[:200])
    fuzz.world.settle(quiet_for=0.05)
    assert fuzz.snapshot(skip=("processed_event",)) == before


def test_a_request_cut_short_or_padded_is_refused_not_a_server_error(fuzz: Fuzz) -> None:
    ts = str(int(time.time()))
    body = urlencode({"command": "/mentor", "text": "help", "user_id": "U0DIEGO01", "team_id": fuzz.standin.team_id})
    raw = body.encode()
    signed_head = [
        b"Content-Type: application/x-www-form-urlencoded",
        f"X-Slack-Request-Timestamp: {ts}".encode(),
        f"X-Slack-Signature: {sign(SIGNING_SECRET, ts, raw)}".encode(),
    ]
    short = raw_exchange(fuzz.world.app_base_url, [*signed_head, f"Content-Length: {len(raw) + 10}".encode()], raw)
    assert short == 400
    long = raw_exchange(fuzz.world.app_base_url, [*signed_head, f"Content-Length: {len(raw) - 4}".encode()], raw)
    assert long == 401  # the signature is of the whole body, not of what Content-Length says

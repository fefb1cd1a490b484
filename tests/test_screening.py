"""Every request to /slack/events is screened before anything can fail: what Slack would never send gets a 4xx
(never a 5xx) and stores nothing; a signed request sent a second time is refused, on any worker or replica.

The requests here are raw bytes over a socket, so headers and bodies are exactly what is written."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from sqlalchemy import MetaData, create_engine, func, select

from blocks import matching as match_ui
from bot import screening
from bot.app import create_web_app
from bot.settings import Settings
from standin import BOT_TOKEN, SlackPlatform
from standin.appserver import serve
from standin.platform import sign
from standin.scenes import World, join_answers
from store import queries
from store.db import Database
from store.models import CheckIn, Kudos
from tests.conftest import SIGNING_SECRET
from tests.data import rows
from tests.test_matching_flow import release_all, room_of

FORM = "application/x-www-form-urlencoded"


def raw_post(
    base_url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    length: str | None = "auto",
    send: bytes | None = None,
    path: str = "/slack/events",
) -> tuple[int, bytes]:
    """POST exactly these bytes; `length` is the Content-Length header ("auto": the body's, None: none),
    `send` what is really sent (default: the body). Returns the status and the response body."""
    url = urlsplit(base_url)
    head = [f"POST {path} HTTP/1.1", f"Host: {url.netloc}", "Connection: close"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    if length is not None:
        head.append(f"Content-Length: {len(body) if length == 'auto' else length}")
    data = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + (body if send is None else send)
    with socket.create_connection((url.hostname, url.port), timeout=20) as sock:
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server may answer and close before reading everything (a body too large)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    response = b"".join(chunks)
    status_line, _, rest = response.partition(b"\r\n")
    _, _, payload = rest.partition(b"\r\n\r\n")
    return int(status_line.split(b" ")[1]), payload


def signed(body: bytes, content_type: str = FORM, *, timestamp: int | None = None) -> dict[str, str]:
    ts = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": sign(SIGNING_SECRET, ts, body),
    }


def row_counts(url: str) -> dict[str, int]:
    """Rows in every table but the replay store (which records every accepted signature)."""
    engine = create_engine(Database.from_url(url).engine.url)
    tables = MetaData()
    tables.reflect(engine)
    try:
        with engine.connect() as conn:
            return {
                name: conn.execute(select(func.count()).select_from(table)).scalar_one()
                for name, table in tables.tables.items()
                if name != "seen_request"
            }
    finally:
        engine.dispose()


def slash_body(world: World, user: str = "U0DIEGO01", text: str = "help") -> bytes:
    fields = {
        "token": "x",
        "team_id": world.standin.team_id,
        "user_id": user,
        "command": "/mentor",
        "text": text,
        "response_url": world.standin.response_url(user, "C0GENERAL1"),
        "trigger_id": world.standin.issue_trigger(user),
    }
    return urlencode(fields).encode()


# ------------------------------------------------------------------------------------------------- screening


def _refusals(world: World) -> dict[str, tuple[bytes, dict[str, str], dict[str, Any]]]:
    now = int(time.time())
    help_ = slash_body(world)
    deep = b"[" * 100_000
    team_number = b'{"type":"event_callback","team_id":5}'
    return {
        "no headers at all": (help_, {}, {}),
        "no timestamp": (help_, {"Content-Type": FORM, "X-Slack-Signature": sign(SIGNING_SECRET, now, help_)}, {}),
        "non-numeric timestamp": (help_, {**signed(help_), "X-Slack-Request-Timestamp": "soon"}, {}),
        "timestamp with a sign": (help_, {**signed(help_), "X-Slack-Request-Timestamp": f"+{now}"}, {}),
        "far-future timestamp": (help_, signed(help_, timestamp=now + 3600), {}),
        "no signature": (help_, {"Content-Type": FORM, "X-Slack-Request-Timestamp": str(now)}, {}),
        "signature not hex": (help_, {**signed(help_), "X-Slack-Signature": "v0=" + "z" * 64}, {}),
        "body not UTF-8": (b"payload=\xed\xb3\xbf", signed(b"payload=\xed\xb3\xbf"), {}),
        "signed text/plain": (help_, signed(help_, "text/plain"), {}),
        "signed multipart": (help_, signed(help_, "multipart/form-data; boundary=x"), {}),
        "form in another charset": (help_, signed(help_, FORM + "; charset=latin-1"), {}),
        "deep JSON": (deep, signed(deep, "application/json"), {}),
        "deep JSON in a payload": (b"payload=" + deep, signed(b"payload=" + deep), {}),
        "huge body": (b"x" * 100, signed(b"x" * 100), {"length": str(5 << 20)}),
        "no Content-Length": (help_, signed(help_), {"length": None}),
        "negative Content-Length": (help_, signed(help_), {"length": "-5"}),
        "Content-Length not a number": (help_, signed(help_), {"length": "ten"}),
        "body shorter than its Content-Length": (help_, signed(help_), {"length": str(len(help_) + 50)}),
        "JSON not an object": (b"[1]", signed(b"[1]", "application/json"), {}),
        "team a number": (team_number, signed(team_number, "application/json"), {}),
        "authorizations an object": (
            b'{"type":"event_callback","authorizations":{"a":1},"event":{"type":"x"}}',
            signed(b'{"type":"event_callback","authorizations":{"a":1},"event":{"type":"x"}}', "application/json"),
            {},
        ),
    }


EXPECTED = {
    "no headers at all": 401,
    "no timestamp": 401,
    "non-numeric timestamp": 401,
    "timestamp with a sign": 401,
    "far-future timestamp": 401,
    "no signature": 401,
    "signature not hex": 401,
    "body not UTF-8": 400,
    "signed text/plain": 415,
    "signed multipart": 415,
    "form in another charset": 415,
    "deep JSON": 400,
    "deep JSON in a payload": 400,
    "huge body": 413,
    "no Content-Length": 411,
    "negative Content-Length": 400,
    "Content-Length not a number": 400,
    "body shorter than its Content-Length": 400,
    "JSON not an object": 400,
    "team a number": 400,
    "authorizations an object": 400,
}


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_what_slack_would_never_send_gets_a_4xx_and_stores_nothing(world: World, database_url: str, case: str) -> None:
    body, headers, options = _refusals(world)[case]
    before, calls = row_counts(database_url), len(world.standin.calls)
    status, answer = raw_post(world.app_base_url, body, headers, **options)
    assert status == EXPECTED[case], (case, status, answer[:200])
    world.settle(quiet_for=0.1)
    assert [c.method for c in world.standin.calls[calls:]] == []
    assert row_counts(database_url) == before


def test_a_well_formed_signed_request_sent_raw_is_answered(world: World) -> None:
    """The other side: the same raw client, with a request Slack would send, gets the help text."""
    body = slash_body(world)
    status, answer = raw_post(world.app_base_url, body, signed(body, FORM + "; charset=utf-8"))
    assert status == 200 and "/mentor join" in json.loads(answer)["text"]


def test_the_screen_never_raises_on_odd_header_values() -> None:
    """The WSGI environ as a server hands it over: values Slack would never send are refusals, not errors."""
    for timestamp in ("", " 1", "١٢٣٤٥", "1" * 40, "nan", "-1"):
        environ = {"HTTP_X_SLACK_REQUEST_TIMESTAMP": timestamp, "HTTP_X_SLACK_SIGNATURE": "v0=" + "0" * 64}
        refused = screening.screen(environ, "secret", now=time.time())
        assert isinstance(refused, screening.Refusal) and refused.status.startswith("401")


# ------------------------------------------------------------------------------------------------- replays


def test_a_replayed_signed_request_is_refused_and_runs_nothing(world: World, database_url: str) -> None:
    ts = int(time.time())
    body = slash_body(world, "U0DIEGO01", "join")
    first, _ = raw_post(world.app_base_url, body, signed(body, timestamp=ts))
    assert first == 200
    world.wait_for(lambda: world.standin.calls_to("views.open"), what="the join modal")
    world.settle(quiet_for=0.1)
    before, calls = row_counts(database_url), len(world.standin.calls)
    again, answer = raw_post(world.app_base_url, body, signed(body, timestamp=ts))
    assert again == 401 and json.loads(answer) == {"error": "replayed_request"}
    world.settle(quiet_for=0.1)
    assert world.standin.calls[calls:] == []
    assert row_counts(database_url) == before


def test_a_replayed_submission_stores_nothing(world: World, database_url: str) -> None:
    """Kudos submitted, then the same signed submission sent again: one kudos, one message."""
    ana, ingrid = world.person("Ana"), world.person("Ingrid")
    ana.join(join_answers("mentee", wanted=["Leadership"]))
    ingrid.join(join_answers("mentor", offered=["Leadership"], capacity=1))
    ana.wait_for_dm()
    ingrid.wait_for_dm()
    ana.mentor(f"kudos <@{ingrid.id}> for listening")
    ana.wait_for_modal("Give kudos")
    ts = int(time.time())
    reply = ana.submit({"where": "private"}, timestamp=ts)
    assert reply.status == 200 and not reply.body, reply.body
    world.wait_for(lambda: any("sent you kudos" in d.text for d in ingrid.dms()), what="Ingrid's kudos")
    world.settle()
    counts, calls = row_counts(database_url), len(world.standin.calls)
    assert reply.payload is not None
    body = urlencode({"payload": json.dumps(reply.payload)}).encode()
    again, _ = raw_post(world.app_base_url, body, signed(body, timestamp=ts))
    assert again == 401
    world.settle(quiet_for=0.1)
    assert world.standin.calls[calls:] == [] and row_counts(database_url) == counts


@pytest.fixture
def two_replicas(database_url: str, world: World) -> Iterator[tuple[str, str]]:
    """A second app on the same database (another worker or replica), beside the world's."""
    settings = Settings(
        _env_file=None,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=world.standin.api_url,
        database_url=database_url,
    )
    web = create_web_app(settings)
    try:
        with serve(web) as other:
            yield world.app_base_url, other
    finally:
        web.db.dispose()


def test_a_replay_is_refused_by_another_replica(world: World, two_replicas: tuple[str, str]) -> None:
    first_url, second_url = two_replicas
    ts = int(time.time())
    body = slash_body(world)
    assert raw_post(first_url, body, signed(body, timestamp=ts))[0] == 200
    assert raw_post(second_url, body, signed(body, timestamp=ts))[0] == 401
    other = SlackPlatform(f"{second_url}/slack/events", SIGNING_SECRET, world.standin)
    assert other.slash("U0DIEGO01", "/mentor", "help").status == 200  # a new request is served there


def test_a_replayed_event_is_refused_but_slacks_retry_is_deduplicated_by_event_id(world: World) -> None:
    ana = world.person("Ana")
    ts = int(time.time())
    first = ana.open_home(timestamp=ts)
    assert first.status == 200
    ana.wait_for_home()
    body = json.dumps(first.payload)
    replay = world.platform.send(body, "application/json", timestamp=ts)
    assert replay.status == 401
    # Slack's retry is a new request (a new timestamp, so a new signature) with X-Slack-Retry-Num.
    retry = world.platform.send(
        body,
        "application/json",
        timestamp=ts + 1,
        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    assert retry.status == 200
    world.settle()
    assert len(world.standin.calls_to("views.publish")) == 1


def test_signatures_are_forgotten_once_no_request_could_carry_them(db: Database) -> None:
    now = datetime.now(UTC)
    with db.begin() as session:
        assert queries.claim_request(session=session, signature_hash="a" * 64, signed_at=now - timedelta(minutes=7))
        assert queries.claim_request(session=session, signature_hash="b" * 64, signed_at=now - timedelta(minutes=4))
        assert not queries.claim_request(session=session, signature_hash="b" * 64, signed_at=now)
    with db.begin() as session:
        assert queries.prune_seen_requests(session=session, now=now) == 1
    with db.begin() as session:
        assert queries.claim_request(session=session, signature_hash="a" * 64, signed_at=now)
        assert not queries.claim_request(session=session, signature_hash="b" * 64, signed_at=now)


def test_a_submission_sent_again_by_slack_creates_nothing_twice(world: World, database_url: str) -> None:
    """Should a submission reach the app again with a new signature (only Slack can sign one), the check-in and
    the kudos it created are keyed by the modal's view id and hash: the second stores and posts nothing."""
    people = release_all(world, database_url)
    ana, sam = people["Ana"], people["Sam"]
    match = room_of(database_url, ana.id)
    room = match.room_id or ""
    ana.click(world.standin.messages_in(room)[0], match_ui.CHECKIN_ACTION, str(match.id))
    ana.wait_for_modal("Log a check-in")
    checkin = ana.submit({"usefulness": "4", "duration": "45", "learned": "Open with the story"})
    assert checkin.status == 200 and not checkin.body, checkin.body
    world.wait_for(lambda: any("logged your check-in" in m.text for m in world.standin.messages_in(room)), what="it")

    ana.mentor(f"kudos <@{sam.id}> for the dry run")
    ana.wait_for_modal("Give kudos")
    kudos = ana.submit({"where": "private"})
    assert kudos.status == 200 and not kudos.body, kudos.body
    world.wait_for(lambda: any("sent you kudos" in d.text for d in sam.dms()), what="Sam's kudos")
    world.settle()
    calls = len(world.standin.calls)

    for sent in (checkin, kudos):
        assert sent.payload is not None
        body = urlencode({"payload": json.dumps(sent.payload)})
        again = world.platform.send(body, FORM, timestamp=int(time.time()) + 1)
        assert again.status == 200, again.body
    world.settle()
    assert len(rows(database_url, CheckIn)) == 1 and len(rows(database_url, Kudos)) == 1
    assert [c.method for c in world.standin.calls[calls:]] == []

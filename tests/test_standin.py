"""Tests of the local Slack stand-in itself (no app involved)."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
from slack_bolt import Ack, App
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier

from standin import (
    BOT_TOKEN,
    BOT_USER_ID,
    DEFAULT_PEOPLE,
    GENERAL_CHANNEL_ID,
    RANDOM_CHANNEL_ID,
    SlackPlatform,
    SlackStandIn,
    check_blocks,
    check_view,
    find,
    render_blocks,
    sign,
)

ANA = find("Ana")
SAM = find("Sam")
GONE = next(p for p in DEFAULT_PEOPLE if p.deleted)


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def modal(title: str = "Join a programme", *, with_input: bool = True) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [section("Tell us about you")]
    if with_input:
        blocks.append(
            {
                "type": "input",
                "block_id": "goal",
                "label": {"type": "plain_text", "text": "Your goal"},
                "element": {"type": "plain_text_input", "action_id": "goal_input"},
            }
        )
        blocks.append(
            {
                "type": "input",
                "block_id": "role",
                "label": {"type": "plain_text", "text": "Role"},
                "element": {
                    "type": "static_select",
                    "action_id": "role_select",
                    "options": [
                        {"text": {"type": "plain_text", "text": "Mentor"}, "value": "mentor"},
                        {"text": {"type": "plain_text", "text": "Mentee"}, "value": "mentee"},
                    ],
                },
            }
        )
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": "join",
        "title": {"type": "plain_text", "text": title},
        "blocks": blocks,
    }
    if with_input:
        view["submit"] = {"type": "plain_text", "text": "Join"}
    return view


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    with SlackStandIn(trigger_ttl=0.05) as s:
        yield s


@pytest.fixture
def client(standin: SlackStandIn) -> WebClient:
    return WebClient(token=BOT_TOKEN, base_url=standin.api_url)


# ---------------------------------------------------------------------------- protocol basics


def test_auth_test_answers_with_the_bot_identity(client: WebClient, standin: SlackStandIn) -> None:
    data = client.auth_test().data
    assert isinstance(data, dict)
    assert data["ok"] is True
    assert data["user_id"] == BOT_USER_ID
    assert data["team_id"] == standin.team_id
    assert standin.calls_to("auth.test")[0].status == 200


def test_unknown_method(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as err:
        client.api_call("chat.postMessagez", json={"channel": "C1", "text": "x"})
    assert err.value.response["error"] == "unknown_method"


def test_missing_token_and_bad_token(standin: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as err:
        WebClient(base_url=standin.api_url).auth_test()
    assert err.value.response["error"] == "not_authed"
    with pytest.raises(SlackApiError) as err:
        WebClient(token="xoxb-wrong", base_url=standin.api_url).chat_postMessage(channel=ANA.id, text="hi")
    assert err.value.response["error"] == "invalid_auth"
    assert standin.dms(ANA.id) == []


def test_missing_required_argument(client: WebClient, standin: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as err:
        client.api_call("chat.postMessage", json={"text": "no channel"})
    assert err.value.response["error"] == "invalid_arguments"
    assert "[ERROR] missing required field: channel" in err.value.response["response_metadata"]["messages"]


def test_typed_arguments_are_checked(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as err:
        client.api_call("users.list", params={"limit": "many"})
    assert err.value.response["error"] == "invalid_arguments"
    assert "limit" in err.value.response["response_metadata"]["messages"][0]
    with pytest.raises(SlackApiError) as err:
        client.api_call("chat.postMessage", data={"channel": ANA.id, "text": "x", "mrkdwn": "yes"})
    assert err.value.response["error"] == "invalid_arguments"


def test_malformed_request_does_not_kill_the_server(standin: SlackStandIn, client: WebClient) -> None:
    request = urllib.request.Request(
        standin.api_url + "chat.postMessage",
        data=b"{not json",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {BOT_TOKEN}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        body = json.loads(response.read())
    assert body == {"ok": False, "error": "invalid_form_data"}
    assert client.auth_test()["ok"] is True
    assert standin.errors == []


# ---------------------------------------------------------------------------- messages


def test_post_to_a_user_id_lands_in_their_dm_and_transcript(client: WebClient, standin: SlackStandIn) -> None:
    response = client.chat_postMessage(channel=ANA.id, text="Welcome to mentoring, <@U0ANA0001>!")
    assert response["channel"].startswith("D")
    assert response["message"]["text"] == "Welcome to mentoring, <@U0ANA0001>!"
    dms = standin.dms(ANA.id)
    assert [d.text for d in dms] == ["Welcome to mentoring, <@U0ANA0001>!"]
    assert dms[0].ts == response["ts"]
    assert standin.dms(SAM.id) == []
    assert "[DM from Mentor Bot] Welcome to mentoring, @Ana Silva!" in standin.transcript(ANA.id)
    # the same IM is used when the app opens it explicitly
    opened = client.conversations_open(users=ANA.id)
    assert opened["channel"]["id"] == response["channel"]
    assert opened["already_open"] is True


def test_ts_values_are_unique_and_increasing(client: WebClient) -> None:
    stamps = [client.chat_postMessage(channel=GENERAL_CHANNEL_ID, text=f"m{i}")["ts"] for i in range(4)]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == 4


def test_channel_rules(client: WebClient, standin: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C0NOPE0001", text="x")
    assert err.value.response["error"] == "channel_not_found"
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel=RANDOM_CHANNEL_ID, text="x")
    assert err.value.response["error"] == "not_in_channel"
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel=GONE.id, text="x")
    assert err.value.response["error"] == "account_inactive"
    with pytest.raises(SlackApiError) as err, pytest.warns(UserWarning, match="text"):
        client.chat_postMessage(channel=ANA.id)
    assert err.value.response["error"] == "no_text"
    client.chat_postMessage(channel=GENERAL_CHANNEL_ID, text="hello all")
    assert [s.kind for s in standin.seen_by(SAM.id)] == ["channel"]
    assert "[#general] hello all" in standin.transcript(SAM.id)


def test_blocks_without_text_fallback_are_accepted_with_a_warning(client: WebClient, standin: SlackStandIn) -> None:
    with pytest.warns(UserWarning, match="text"):
        client.chat_postMessage(channel=ANA.id, blocks=[section("only blocks")])
    assert standin.dms(ANA.id)[0].blocks == [section("only blocks")]
    assert len(standin.warnings) == 1
    assert "fallback" in standin.warnings[0]


def test_too_many_blocks_in_a_message(client: WebClient, standin: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel=ANA.id, text="x", blocks=[section(f"b{i}") for i in range(51)])
    assert err.value.response["error"] == "invalid_blocks"
    assert any("too many blocks" in m for m in err.value.response["response_metadata"]["messages"])
    client.chat_postMessage(channel=ANA.id, text="x", blocks=[section(f"b{i}") for i in range(50)])
    assert len(standin.dms(ANA.id)) == 1


def test_invalid_block_json(standin: SlackStandIn, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as err:
        client.api_call("chat.postMessage", data={"channel": ANA.id, "text": "x", "blocks": "[{oops"})
    assert err.value.response["error"] == "invalid_blocks"


def test_post_ephemeral_is_seen_only_by_that_user(client: WebClient, standin: SlackStandIn) -> None:
    response = client.chat_postEphemeral(channel=GENERAL_CHANNEL_ID, user=ANA.id, text="only for you")
    assert response["message_ts"]
    assert [(s.kind, s.text) for s in standin.seen_by(ANA.id)] == [("ephemeral", "only for you")]
    assert standin.seen_by(SAM.id) == []
    assert standin.messages_in(GENERAL_CHANNEL_ID) == []
    assert "[only visible to you in #general] only for you" in standin.transcript(ANA.id)
    private = standin.add_channel("mentors-only", [SAM.id])
    with pytest.raises(SlackApiError) as err:
        client.chat_postEphemeral(channel=private, user=ANA.id, text="x")
    assert err.value.response["error"] == "user_not_in_channel"


def test_chat_update_changes_what_is_seen(client: WebClient, standin: SlackStandIn) -> None:
    posted = client.chat_postMessage(channel=ANA.id, text="Pick a slot")
    updated = client.chat_update(channel=posted["channel"], ts=posted["ts"], text="Slot booked: Tue 10:00")
    assert updated["ts"] == posted["ts"]
    assert [d.text for d in standin.dms(ANA.id)] == ["Slot booked: Tue 10:00"]
    versions = standin.message_versions(posted["channel"], posted["ts"])
    assert [v["text"] for v in versions] == ["Pick a slot", "Slot booked: Tue 10:00"]
    with pytest.raises(SlackApiError) as err:
        client.chat_update(channel=posted["channel"], ts="1.000001", text="x")
    assert err.value.response["error"] == "message_not_found"


# ---------------------------------------------------------------------------- views


def test_views_open_with_trigger_once_then_exchanged(client: WebClient, standin: SlackStandIn) -> None:
    trigger = standin.issue_trigger(ANA.id)
    response = client.views_open(trigger_id=trigger, view=modal())
    view = response["view"]
    assert view["id"].startswith("V")
    assert view["hash"]
    assert view["state"] == {"values": {}}
    assert view["callback_id"] == "join"
    assert standin.last_modal(ANA.id) == view
    assert standin.last_modal(SAM.id) is None
    assert "[modal: Join a programme]" in standin.transcript(ANA.id)
    with pytest.raises(SlackApiError) as err:
        client.views_open(trigger_id=trigger, view=modal())
    assert err.value.response["error"] == "exchanged_trigger_id"
    with pytest.raises(SlackApiError) as err:
        client.views_open(trigger_id="123.456.abc", view=modal())
    assert err.value.response["error"] == "invalid_trigger_id"


def test_expired_trigger(client: WebClient, standin: SlackStandIn) -> None:
    trigger = standin.issue_trigger(ANA.id)
    time.sleep(0.1)
    with pytest.raises(SlackApiError) as err:
        client.views_open(trigger_id=trigger, view=modal())
    assert err.value.response["error"] == "expired_trigger_id"
    assert standin.last_modal(ANA.id) is None


def test_view_rules(client: WebClient, standin: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as err:
        client.views_open(trigger_id=standin.issue_trigger(ANA.id), view=modal("A title well over 24 chars"))
    assert err.value.response["error"] == "invalid_arguments"
    assert any("24" in m for m in err.value.response["response_metadata"]["messages"])
    no_submit = modal()
    del no_submit["submit"]
    assert "a modal with input blocks needs a submit button" in check_view(no_submit)
    with pytest.raises(SlackApiError):
        client.views_open(trigger_id=standin.issue_trigger(ANA.id), view=no_submit)


def test_views_update_and_hash(client: WebClient, standin: SlackStandIn) -> None:
    view = client.views_open(trigger_id=standin.issue_trigger(ANA.id), view=modal())["view"]
    changed = modal("Thanks!", with_input=False)
    with pytest.raises(SlackApiError) as err:
        client.views_update(view_id=view["id"], hash="stale", view=changed)
    assert err.value.response["error"] == "hash_conflict"
    updated = client.views_update(view_id=view["id"], hash=view["hash"], view=changed)["view"]
    assert updated["id"] == view["id"]
    last = standin.last_modal(ANA.id)
    assert last is not None
    assert last["title"]["text"] == "Thanks!"
    with pytest.raises(SlackApiError) as err:
        client.views_update(view_id="V0NOPE", view=changed)
    assert err.value.response["error"] == "not_found"


def test_views_publish_home(client: WebClient, standin: SlackStandIn) -> None:
    home = {"type": "home", "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "Hi Ana"}}]}
    client.views_publish(user_id=ANA.id, view=home)
    client.views_publish(user_id=ANA.id, view={**home, "blocks": [section("Your next session: Tue")]})
    current = standin.home(ANA.id)
    assert current is not None
    assert current["blocks"] == [section("Your next session: Tue")]
    assert [s.kind for s in standin.seen_by(ANA.id)] == ["home", "home"]
    assert standin.transcript(ANA.id).splitlines()[-1] == "[App Home] Your next session: Tue"
    with pytest.raises(SlackApiError) as err:
        client.views_publish(user_id=ANA.id, view=modal())
    assert err.value.response["error"] == "invalid_arguments"


# ---------------------------------------------------------------------------- rate limits and faults


def test_rate_limit_next_gives_429_with_retry_after(client: WebClient, standin: SlackStandIn) -> None:
    standin.rate_limit_next("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel=ANA.id, text="x")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "7"
    assert client.chat_postMessage(channel=ANA.id, text="x")["ok"] is True


def test_post_message_bucket_per_channel(client: WebClient, standin: SlackStandIn) -> None:
    for i in range(5):
        client.chat_postMessage(channel=GENERAL_CHANNEL_ID, text=f"burst {i}")
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel=GENERAL_CHANNEL_ID, text="one too many")
    assert err.value.response.status_code == 429
    assert int(err.value.response.headers["Retry-After"]) >= 1
    # another channel has its own bucket
    assert client.chat_postMessage(channel=ANA.id, text="fine")["ok"] is True
    assert len(standin.messages_in(GENERAL_CHANNEL_ID)) == 5


def test_rate_limits_can_be_disabled() -> None:
    with SlackStandIn(rate_limits=False) as standin:
        client = WebClient(token=BOT_TOKEN, base_url=standin.api_url)
        for i in range(8):
            client.chat_postMessage(channel=GENERAL_CHANNEL_ID, text=f"m{i}")
        assert len(standin.messages_in(GENERAL_CHANNEL_ID)) == 8


def test_tier_bucket(client: WebClient) -> None:
    # conversations.create is Tier 2: 20 a minute
    for i in range(20):
        client.conversations_create(name=f"cohort-{i}", is_private=True)
    with pytest.raises(SlackApiError) as err:
        client.conversations_create(name="cohort-20", is_private=True)
    assert err.value.response.status_code == 429


def test_fail_next_and_server_error(client: WebClient, standin: SlackStandIn) -> None:
    standin.fail_next("users.info", error="user_not_visible", times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as err:
            client.users_info(user=ANA.id)
        assert err.value.response["error"] == "user_not_visible"
    assert client.users_info(user=ANA.id)["user"]["id"] == ANA.id
    standin.server_error_next("chat.postMessage")
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel=ANA.id, text="x")
    assert err.value.response.status_code == 503
    assert standin.dms(ANA.id) == []


# ---------------------------------------------------------------------------- users and conversations


def test_users_info_shape(client: WebClient) -> None:
    user = client.users_info(user=find("Kenji").id)["user"]
    assert user["tz"] == "Asia/Tokyo"
    assert user["tz_offset"] == 9 * 3600
    assert user["profile"]["title"] == "Data Scientist"
    assert user["profile"]["first_name"] == "Kenji"
    assert user["is_bot"] is False
    assert client.users_info(user=find("Ingrid").id)["user"]["is_admin"] is True
    with pytest.raises(SlackApiError) as err:
        client.users_info(user="U0NOBODY1")
    assert err.value.response["error"] == "user_not_found"


def test_users_list_pagination(client: WebClient, standin: SlackStandIn) -> None:
    ids: list[str] = []
    cursor = ""
    pages = 0
    while True:
        page = client.users_list(limit=5, cursor=cursor or None)
        ids.extend(m["id"] for m in page["members"])
        pages += 1
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert pages == 3  # 13 people + the bot
    assert len(ids) == len(set(ids)) == len(DEFAULT_PEOPLE) + 1
    assert BOT_USER_ID in ids


def test_conversations_open_group_dm(client: WebClient, standin: SlackStandIn) -> None:
    group = client.conversations_open(users=f"{ANA.id},{SAM.id}")["channel"]["id"]
    assert group.startswith("G")
    assert client.conversations_open(users=f"{SAM.id},{ANA.id}")["channel"]["id"] == group
    client.chat_postMessage(channel=group, text="Meet your mentor!")
    assert [s.text for s in standin.seen_by(SAM.id)] == ["Meet your mentor!"]
    assert "group DM with Sam Okafor" in standin.transcript(ANA.id)
    nine = ",".join(p.id for p in DEFAULT_PEOPLE if not p.deleted)[: 10 * 9 - 1]
    with pytest.raises(SlackApiError) as err:
        client.conversations_open(users=nine)
    assert err.value.response["error"] == "too_many_users"
    with pytest.raises(SlackApiError) as err:
        client.conversations_open(users="U0NOBODY1")
    assert err.value.response["error"] == "user_not_found"


def test_conversations_create_and_invite(client: WebClient, standin: SlackStandIn) -> None:
    for bad, error in [("Mentors", "invalid_name_specials"), ("a b", "invalid_name_specials")]:
        with pytest.raises(SlackApiError) as err:
            client.conversations_create(name=bad, is_private=True)
        assert err.value.response["error"] == error
    with pytest.raises(SlackApiError) as err:
        client.conversations_create(name="x" * 81, is_private=True)
    assert err.value.response["error"] == "invalid_name_maxlength"
    channel = client.conversations_create(name="mentoring-circle_1", is_private=True)["channel"]
    assert channel["id"].startswith("C")
    assert channel["creator"] == BOT_USER_ID
    with pytest.raises(SlackApiError) as err:
        client.conversations_create(name="mentoring-circle_1", is_private=True)
    assert err.value.response["error"] == "name_taken"
    client.conversations_invite(channel=channel["id"], users=[ANA.id, SAM.id])
    assert set(client.conversations_members(channel=channel["id"])["members"]) == {BOT_USER_ID, ANA.id, SAM.id}
    with pytest.raises(SlackApiError) as err:
        client.conversations_invite(channel=channel["id"], users=[ANA.id])
    assert err.value.response["error"] == "already_in_channel"
    elsewhere = standin.add_channel("people-team", [ANA.id], private=True, bot_member=False)
    with pytest.raises(SlackApiError) as err:
        client.conversations_invite(channel=elsewhere, users=[SAM.id])
    assert err.value.response["error"] == "channel_not_found"  # a private channel the bot is not in is invisible
    client.conversations_join(channel=RANDOM_CHANNEL_ID)
    assert client.conversations_info(channel=RANDOM_CHANNEL_ID)["channel"]["is_member"] is True


def test_public_channels_need_channels_manage_and_membership() -> None:
    with SlackStandIn(scopes=["channels:manage", "channels:read", "channels:join"]) as standin:
        client = WebClient(token=BOT_TOKEN, base_url=standin.api_url)
        with pytest.raises(SlackApiError) as err:
            client.conversations_invite(channel=RANDOM_CHANNEL_ID, users=[ANA.id])
        assert err.value.response["error"] == "not_in_channel"
        client.conversations_join(channel=RANDOM_CHANNEL_ID)
        channel = client.conversations_create(name="open-circle")["channel"]
        assert channel["is_private"] is False
        client.conversations_invite(channel=channel["id"], users=[ANA.id])
        with pytest.raises(SlackApiError) as err:
            client.conversations_create(name="closed-circle", is_private=True)
        assert err.value.response.data == {
            "ok": False,
            "error": "missing_scope",
            "needed": "groups:write",
            "provided": "channels:manage,channels:read,channels:join",
        }


# ---------------------------------------------------------------------------- files and response_url


def test_files_upload_v2_end_to_end(client: WebClient, standin: SlackStandIn) -> None:
    response = client.files_upload_v2(
        channel=GENERAL_CHANNEL_ID,
        content=b"\x89PNG fake chart",
        filename="chart.png",
        title="Mentoring hours",
        initial_comment="This month's chart",
    )
    assert response["file"]["name"] == "chart.png"
    messages = standin.messages_in(GENERAL_CHANNEL_ID)
    assert len(messages) == 1
    assert messages[0].text == "This month's chart"
    assert messages[0].files[0]["bytes"] == b"\x89PNG fake chart"
    assert messages[0].files[0]["title"] == "Mentoring hours"
    assert '[file: chart.png "Mentoring hours"' in standin.transcript(SAM.id)
    assert standin.warnings == []


def test_complete_upload_of_unknown_file(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as err:
        client.files_completeUploadExternal(files=[{"id": "F0NOPE", "title": "x"}], channel_id=GENERAL_CHANNEL_ID)
    assert err.value.response["error"] == "file_not_found"


def test_response_url(standin: SlackStandIn, client: WebClient) -> None:
    def post(url: str, body: dict[str, Any]) -> int:
        request = urllib.request.Request(
            url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            status: int = response.status
            return status

    assert post(standin.response_url(ANA.id, GENERAL_CHANNEL_ID), {"text": "Only you see this"}) == 200
    assert [(s.kind, s.text) for s in standin.seen_by(ANA.id)] == [("response", "Only you see this")]
    assert standin.seen_by(SAM.id) == []
    url = standin.response_url(ANA.id, GENERAL_CHANNEL_ID)
    assert post(url, {"text": "Everyone sees this", "response_type": "in_channel"}) == 200
    assert [s.text for s in standin.seen_by(SAM.id)] == ["Everyone sees this"]
    posted = client.chat_postMessage(channel=ANA.id, text="Accept the match?")
    url = standin.response_url(ANA.id, posted["channel"], posted["ts"])
    assert post(url, {"text": "Accepted", "replace_original": True}) == 200
    assert [d.text for d in standin.dms(ANA.id)] == ["Accepted"]


# ---------------------------------------------------------------------------- Block Kit helpers


def test_check_blocks_limits() -> None:
    long_button = {
        "type": "actions",
        "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "x" * 76}, "action_id": "a"},
            {"type": "button", "text": {"type": "plain_text", "text": "ok"}, "action_id": "a"},
        ],
    }
    problems = check_blocks([long_button, {**section("x" * 3001), "block_id": "s"}], "message")
    assert any("button text longer than 75" in p for p in problems)
    assert any("duplicate action_id" in p for p in problems)
    assert any("section text longer than 3000" in p for p in problems)
    assert check_blocks([section(f"{i}") for i in range(100)], "modal") == []
    assert check_blocks([section(f"{i}") for i in range(101)], "home") != []


def test_render_blocks() -> None:
    text = render_blocks(
        [
            {"type": "header", "text": {"type": "plain_text", "text": "Your match"}},
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": "Meet Sam"},
                "fields": [{"type": "mrkdwn", "text": "*Tz:* Lagos"}],
            },
            {"type": "divider"},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "Lagos time"}]},
            {
                "type": "actions",
                "elements": [
                    {"type": "button", "text": {"type": "plain_text", "text": "Accept"}, "action_id": "a"},
                    {"type": "button", "text": {"type": "plain_text", "text": "Decline"}, "action_id": "d"},
                ],
            },
            {"type": "image", "image_url": "https://example.com/x.png", "alt_text": "chart"},
        ]
    )
    assert text.splitlines() == [
        "== Your match ==",
        "Meet Sam",
        "  *Tz:* Lagos",
        "---",
        "Lagos time",
        "[Accept] [Decline]",
        "[image: chart]",
    ]


# ---------------------------------------------------------------------------- the platform side


class _Recorder(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []
    reply: bytes = b""

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).received.append((dict(self.headers), body))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.reply)))
        self.end_headers()
        self.wfile.write(self.reply)


@pytest.fixture
def app_server() -> Iterator[tuple[str, type[_Recorder]]]:
    handler = type("Recorder", (_Recorder,), {"received": [], "reply": b""})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/slack/events", handler
    server.shutdown()
    server.server_close()


def _verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    verifier = SignatureVerifier(secret)
    return bool(verifier.is_valid_request(body, headers))


def test_platform_signs_slash_commands(standin: SlackStandIn, app_server: tuple[str, type[_Recorder]]) -> None:
    url, recorder = app_server
    platform = SlackPlatform(url, "s3cret", standin)
    reply = platform.slash(ANA.id, text="join")
    assert reply.status == 200
    headers, body = recorder.received[0]
    assert _verify("s3cret", headers, body)
    assert not _verify("other", headers, body)
    fields = {k: v[0] for k, v in parse_qs(body.decode()).items()}
    assert fields["command"] == "/mentor"
    assert fields["text"] == "join"
    assert fields["user_id"] == ANA.id
    assert fields["response_url"].startswith(standin.base_url + "/respond/")
    # the trigger it carries opens a modal exactly once
    client = WebClient(token=BOT_TOKEN, base_url=standin.api_url)
    assert client.views_open(trigger_id=fields["trigger_id"], view=modal())["ok"] is True
    # stale timestamp and forged signature are sent as asked
    platform.slash(ANA.id, timestamp=int(time.time()) - 600)
    platform.slash(ANA.id, signature="v0=bad")
    assert not _verify("s3cret", *recorder.received[1])
    assert not _verify("s3cret", *recorder.received[2])


def test_sign_matches_slack_sdk() -> None:
    body = "payload=%7B%7D"
    signature = sign("secret", 1700000000, body)
    verifier = SignatureVerifier("secret", clock=type("C", (), {"now": staticmethod(lambda: 1700000001.0)})())
    assert verifier.is_valid(body, "1700000000", signature)


def test_platform_view_submission_state(
    standin: SlackStandIn, client: WebClient, app_server: tuple[str, type[_Recorder]]
) -> None:
    url, recorder = app_server
    platform = SlackPlatform(url, "s3cret", standin)
    client.views_open(trigger_id=standin.issue_trigger(ANA.id), view={**modal(), "private_metadata": "p1"})
    view = standin.last_modal(ANA.id)
    assert view is not None
    reply = platform.submit_view(ANA.id, view, {"goal": "Learn Go", "role": "mentee"})
    assert reply.status == 200
    headers, body = recorder.received[0]
    assert _verify("s3cret", headers, body)
    payload = json.loads(parse_qs(body.decode())["payload"][0])
    assert payload["type"] == "view_submission"
    assert payload["view"]["id"] == view["id"]
    assert payload["view"]["private_metadata"] == "p1"
    values = payload["view"]["state"]["values"]
    assert values["goal"]["goal_input"] == {"type": "plain_text_input", "value": "Learn Go"}
    assert values["role"]["role_select"]["selected_option"]["value"] == "mentee"
    assert standin.open_modals(ANA.id) == []  # an empty 200 closes the modal
    # unanswered inputs are sent empty; forged options are sent as-is
    platform.submit_view(ANA.id, view, {"role": "admin"})
    forged = json.loads(parse_qs(recorder.received[1][1].decode())["payload"][0])["view"]["state"]["values"]
    assert forged["goal"]["goal_input"]["value"] is None
    assert forged["role"]["role_select"]["selected_option"]["value"] == "admin"


def test_platform_events_and_clicks(standin: SlackStandIn, app_server: tuple[str, type[_Recorder]]) -> None:
    url, recorder = app_server
    platform = SlackPlatform(url, "s3cret", standin)
    first = platform.home_opened(ANA.id)
    retry = platform.event({"type": "app_home_opened", "user": ANA.id}, event_id=first.event_id, retry_num=1)
    assert first.event_id is not None and first.event_id.startswith("Ev")
    assert retry.event_id == first.event_id
    headers, body = recorder.received[0]
    assert _verify("s3cret", headers, body)
    envelope = json.loads(body)
    assert envelope["type"] == "event_callback"
    assert envelope["event"]["channel"] == standin.im_channel(ANA.id)
    assert envelope["authorizations"][0]["user_id"] == BOT_USER_ID
    retry_headers = {k.lower(): v for k, v in recorder.received[1][0].items()}
    assert retry_headers["x-slack-retry-num"] == "1"
    assert retry_headers["x-slack-retry-reason"] == "http_timeout"

    client = WebClient(token=BOT_TOKEN, base_url=standin.api_url)
    blocks = [
        {
            "type": "actions",
            "block_id": "match",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Accept"},
                    "action_id": "accept",
                    "value": "m1",
                }
            ],
        }
    ]
    client.chat_postMessage(channel=ANA.id, text="New match", blocks=blocks)
    platform.click(ANA.id, "accept", message=standin.dms(ANA.id)[0])
    payload = json.loads(parse_qs(recorder.received[2][1].decode())["payload"][0])
    assert payload["type"] == "block_actions"
    assert payload["actions"][0] == {**payload["actions"][0], "action_id": "accept", "block_id": "match", "value": "m1"}
    assert payload["container"]["type"] == "message"
    assert payload["container"]["channel_id"] == standin.im_channel(ANA.id)
    assert payload["response_url"].startswith(standin.base_url)
    assert platform.url_verification("abc").status == 200
    assert json.loads(recorder.received[3][1]) == {
        "token": "standin-verification-token",
        "challenge": "abc",
        "type": "url_verification",
    }
    assert [p["type"] for p in platform.sent] == ["event_callback", "event_callback", "block_actions"]


# ---------------------------------------------------------------------------- with a real Bolt app


@pytest.fixture
def slow_standin() -> Iterator[SlackStandIn]:
    """Real trigger expiry (3 s): Bolt's first request is slower than the 0.05 s of the other tests."""
    with SlackStandIn() as s:
        yield s


def test_a_bolt_app_round_trip(slow_standin: SlackStandIn) -> None:
    """A tiny Bolt app behind an HTTP server: slash command -> modal -> submission -> DM."""
    standin = slow_standin
    client = WebClient(token=BOT_TOKEN, base_url=standin.api_url)
    app = App(client=client, signing_secret="s3cret", process_before_response=True)
    answers: list[dict[str, Any]] = []

    @app.command("/mentor")
    def open_modal(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=modal())

    @app.view("join")
    def submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        values = view["state"]["values"]
        if not values["goal"]["goal_input"]["value"]:
            ack(response_action="errors", errors={"goal": "Tell us your goal"})
            return
        ack()
        answers.append(values)
        client.chat_postMessage(channel=body["user"]["id"], text="You're in!")

    @app.event("app_home_opened")
    def home(event: dict[str, Any], client: WebClient) -> None:
        client.views_publish(user_id=event["user"], view={"type": "home", "blocks": [section("Welcome home")]})

    class BoltHandler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            headers: dict[str, str | Sequence[str]] = {k.lower(): v for k, v in self.headers.items()}
            response = app.dispatch(BoltRequest(body=body, headers=headers))
            payload = response.body.encode()
            self.send_response(response.status)
            for key, values in response.headers.items():
                for value in values:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    server = ThreadingHTTPServer(("127.0.0.1", 0), BoltHandler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        platform = SlackPlatform(f"http://127.0.0.1:{server.server_address[1]}/slack/events", "s3cret", standin)
        assert platform.slash(ANA.id, signature="v0=forged").status == 401
        assert platform.slash(ANA.id, timestamp=int(time.time()) - 600).status == 401
        assert platform.slash(ANA.id, text="join").status == 200
        view = standin.last_modal(ANA.id)
        assert view is not None
        refused = platform.submit_view(ANA.id, view, {"role": "mentor"})
        assert refused.json == {"response_action": "errors", "errors": {"goal": "Tell us your goal"}}
        assert len(standin.open_modals(ANA.id)) == 1
        assert platform.submit_view(ANA.id, view, {"goal": "Grow as a lead", "role": "mentor"}).status == 200
        assert standin.open_modals(ANA.id) == []
        assert answers[0]["role"]["role_select"]["selected_option"]["value"] == "mentor"
        assert platform.home_opened(ANA.id).status == 200
        assert standin.wait_for(lambda: standin.home(ANA.id) is not None)
        assert [s.kind for s in standin.seen_by(ANA.id)] == ["modal", "dm", "home"]
        assert standin.transcript(ANA.id).splitlines()[-2:] == [
            "[DM from Mentor Bot] You're in!",
            "[App Home] Welcome home",
        ]
        assert standin.warnings == []
    finally:
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------------------- installs (oauth.v2.access)


def test_an_install_code_gives_a_token_of_that_workspace_once(standin: SlackStandIn) -> None:
    standin.distribute("111.222", "shh")
    anonymous = WebClient(base_url=standin.api_url)
    with pytest.raises(SlackApiError) as wrong:
        anonymous.oauth_v2_access(client_id="111.222", client_secret="nope", code="x")
    assert wrong.value.response["error"] == "invalid_client_id"

    code = standin.approve_install("T0OTHER01", team_name="Other", scopes="commands,chat:write")
    answer = anonymous.oauth_v2_access(client_id="111.222", client_secret="shh", code=code)
    assert answer["team"] == {"id": "T0OTHER01", "name": "Other"} and answer["token_type"] == "bot"
    assert answer["scope"] == "commands,chat:write" and "refresh_token" not in answer
    with pytest.raises(SlackApiError) as reused:
        anonymous.oauth_v2_access(client_id="111.222", client_secret="shh", code=code)
    assert reused.value.response["error"] == "invalid_code"

    token = answer["access_token"]
    assert WebClient(token=token, base_url=standin.api_url).auth_test()["team_id"] == "T0OTHER01"
    assert [c.team_id for c in standin.calls_to("auth.test")] == ["T0OTHER01"]
    standin.uninstall("T0OTHER01")
    with pytest.raises(SlackApiError) as revoked:
        WebClient(token=token, base_url=standin.api_url).auth_test()
    assert revoked.value.response["error"] == "token_revoked"
    assert WebClient(token=BOT_TOKEN, base_url=standin.api_url).auth_test()["ok"]  # other workspaces unaffected


def test_rotating_tokens_expire_and_refresh(standin: SlackStandIn) -> None:
    standin.distribute("111.222", "shh")
    standin.token_lifetime = 1
    anonymous = WebClient(base_url=standin.api_url)
    code = standin.approve_install("T0OTHER01", rotating=True)
    first = anonymous.oauth_v2_access(client_id="111.222", client_secret="shh", code=code)
    assert first["access_token"].startswith("xoxe.xoxb-") and first["expires_in"] == 1
    time.sleep(1.1)
    with pytest.raises(SlackApiError) as expired:
        WebClient(token=first["access_token"], base_url=standin.api_url).auth_test()
    assert expired.value.response["error"] == "token_expired"
    standin.token_lifetime = 3600
    refreshed = anonymous.oauth_v2_access(
        client_id="111.222", client_secret="shh", grant_type="refresh_token", refresh_token=first["refresh_token"]
    )
    assert refreshed["team"]["id"] == "T0OTHER01" and refreshed["access_token"] != first["access_token"]
    assert WebClient(token=refreshed["access_token"], base_url=standin.api_url).auth_test()["ok"]
    with pytest.raises(SlackApiError) as bad:
        anonymous.oauth_v2_access(
            client_id="111.222", client_secret="shh", grant_type="refresh_token", refresh_token="xoxe-1-made-up"
        )
    assert bad.value.response["error"] == "invalid_refresh_token"

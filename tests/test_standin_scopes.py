"""The stand-in grants the bot token exactly the manifest's scopes and refuses, as Slack does, a call whose scope
is missing; the manifest asks for exactly the scopes the app's calls and the events it hears need."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web.slack_response import SlackResponse
from sqlmodel import select

from blocks import admin as admin_ui
from blocks import booking as booking_ui
from blocks import choosing as choose_ui
from blocks import culture as culture_ui
from blocks import matching as match_ui
from blocks import roadmaps as roadmap_ui
from blocks import roster as roster_ui
from blocks import skillgrowth as skill_ui
from blocks import stories as story_ui
from scheduling.outbox import DeliveryReport, deliver_due, enqueue
from standin import BOT_TOKEN, GENERAL_CHANNEL_ID, RANDOM_CHANNEL_ID, TEAM_ID, SlackPlatform, SlackStandIn, find
from standin.scenes import World, join_answers
from store import migrate
from store.db import Database
from store.models import MatchMember, MentorRequest, Participant, Programme
from tests.conftest import running_world
from tests.data import rows, set_programme
from tests.test_matching_flow import enrol, release_all, room_of
from tests.test_roster import upload_roster

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
ANA, SAM, LEA = find("Ana"), find("Sam"), find("Lea")


def manifest_scopes() -> list[str]:
    scopes: list[str] = json.loads((ROOT / "manifest.json").read_text())["oauth_config"]["scopes"]["bot"]
    return scopes


def manifest_without(tmp_path: Path, scope: str) -> Path:
    """A copy of manifest.json that does not ask for `scope`: the app as if installed from it."""
    manifest = json.loads((ROOT / "manifest.json").read_text())
    bot = manifest["oauth_config"]["scopes"]["bot"]
    assert scope in bot
    bot.remove(scope)
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest))
    return path


def needed_scopes(standin: SlackStandIn) -> set[str]:
    """Every scope Slack required of what happened: the Web API calls the app made, and the events and commands
    Slack delivered to it."""
    calls = {c.scope for c in standin.calls if c.scope}
    return calls | {scope for _, scope in standin.delivered if scope} | standin.data_scopes()


def missing_scope_answers(standin: SlackStandIn) -> list[dict[str, Any]]:
    return [c.response for c in standin.calls if c.response.get("error") == "missing_scope"]


# ---------------------------------------------------------------------------- Slack's answer


@pytest.fixture
def chat_only() -> Iterator[SlackStandIn]:
    with SlackStandIn(scopes=["chat:write", "im:write"]) as standin:
        yield standin


def test_a_call_without_its_scope_gets_slacks_missing_scope_answer(chat_only: SlackStandIn) -> None:
    dm = chat_only.im_channel(ANA.id)
    request = urllib.request.Request(
        chat_only.api_url + "conversations.history",
        data=f"channel={dm}&limit=20".encode(),
        headers={"Authorization": f"Bearer {BOT_TOKEN}", "Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(request) as response:
        assert response.status == 200
        body = json.loads(response.read())
    assert body == {"ok": False, "error": "missing_scope", "needed": "im:history", "provided": "chat:write,im:write"}
    call = chat_only.calls_to("conversations.history")[-1]
    assert call.scope == "im:history" and call.status == 200

    client = WebClient(token=BOT_TOKEN, base_url=chat_only.api_url)
    client.chat_postMessage(channel=dm, text="Hello")  # chat:write is granted
    with pytest.raises(SlackApiError) as err:
        client.users_info(user=ANA.id)
    assert err.value.response.data == {
        "ok": False,
        "error": "missing_scope",
        "needed": "users:read",
        "provided": "chat:write,im:write",
    }


def test_a_conversation_method_needs_the_scope_of_the_conversations_kind() -> None:
    with SlackStandIn(scopes=["channels:history", "chat:write", "im:write", "groups:write"]) as standin:
        client = WebClient(token=BOT_TOKEN, base_url=standin.api_url)
        client.conversations_history(channel=GENERAL_CHANNEL_ID)  # public: channels:history
        room = standin.add_channel("mentoring-ana-sam", [ANA.id, SAM.id], private=True)
        wanted = {room: "groups:history", standin.im_channel(ANA.id): "im:history"}
        for channel, scope in wanted.items():
            with pytest.raises(SlackApiError) as err:
                client.conversations_history(channel=channel)
            assert (err.value.response["error"], err.value.response["needed"]) == ("missing_scope", scope)
        client.conversations_open(users=ANA.id)  # one person: im:write
        with pytest.raises(SlackApiError) as err:
            client.conversations_open(users=f"{ANA.id},{SAM.id}")
        assert err.value.response["needed"] == "mpim:write"
        client.conversations_create(name="mentoring-lea-kenji", is_private=True)  # groups:write
        with pytest.raises(SlackApiError) as err:
            client.conversations_create(name="mentoring-open")
        assert err.value.response["needed"] == "channels:manage"
        with pytest.raises(SlackApiError) as err:
            client.conversations_join(channel=RANDOM_CHANNEL_ID)
        assert err.value.response["needed"] == "channels:join"


def test_slack_refuses_what_the_bot_may_not_see_or_touch() -> None:
    with SlackStandIn() as standin:
        client = WebClient(token=BOT_TOKEN, base_url=standin.api_url)
        hidden = standin.add_channel("people-team", [ANA.id], private=True, bot_member=False)
        group_dm = standin.add_channel("mpdm-ana--sam-1", [ANA.id, SAM.id], bot_member=False)
        standin._channels[group_dm].kind = "mpim"
        cases: list[tuple[str, dict[str, Any], str]] = [
            ("chat.postMessage", {"channel": RANDOM_CHANNEL_ID, "text": "hi"}, "not_in_channel"),
            ("chat.postMessage", {"channel": hidden, "text": "hi"}, "channel_not_found"),
            ("chat.postMessage", {"channel": group_dm, "text": "hi"}, "channel_not_found"),
            ("conversations.history", {"channel": RANDOM_CHANNEL_ID}, "not_in_channel"),
            ("conversations.history", {"channel": hidden}, "channel_not_found"),
            ("conversations.info", {"channel": hidden}, "channel_not_found"),
            ("conversations.invite", {"channel": hidden, "users": SAM.id}, "channel_not_found"),
            ("conversations.join", {"channel": hidden}, "channel_not_found"),
            ("conversations.history", {"channel": "C0NOSUCH01"}, "channel_not_found"),
        ]
        for method, params, error in cases:
            with pytest.raises(SlackApiError) as err:
                client.api_call(method, params=params)
            assert err.value.response["error"] == error, (method, params)
        standin.archive(RANDOM_CHANNEL_ID)
        with pytest.raises(SlackApiError) as err:
            client.conversations_join(channel=RANDOM_CHANNEL_ID)
        assert err.value.response["error"] == "is_archived"


def test_an_install_grants_what_its_url_asked_for_and_a_refresh_keeps_it() -> None:
    with SlackStandIn() as standin:
        standin.distribute("cid", "secret")
        code = standin.approve_install("T0OTHER01", scopes="commands,chat:write", rotating=True)
        client = WebClient(base_url=standin.api_url)
        installed = client.oauth_v2_access(client_id="cid", client_secret="secret", code=code)
        assert installed["scope"] == "commands,chat:write"
        token = str(installed["access_token"])
        with pytest.raises(SlackApiError) as err:
            WebClient(token=token, base_url=standin.api_url).users_list()
        assert err.value.response["provided"] == "commands,chat:write"
        refreshed = client.oauth_v2_access(
            client_id="cid",
            client_secret="secret",
            grant_type="refresh_token",
            refresh_token=installed["refresh_token"],
        )
        assert refreshed["scope"] == "commands,chat:write"


def test_a_file_input_and_reading_a_file_need_files_read(tmp_path: Path) -> None:
    form = roster_ui.roster_modal(Programme(id=1, team_id=TEAM_ID, slug="m", name="M"))
    with SlackStandIn(manifest=manifest_without(tmp_path, "files:read")) as standin:
        client = WebClient(token=BOT_TOKEN, base_url=standin.api_url)
        uploaded = standin.upload_from(ANA.id, "roster.csv", b"email,role\n")
        for call in (
            lambda: client.files_info(file=uploaded["id"]),
            lambda: client.views_open(trigger_id=standin.issue_trigger(ANA.id), view=form),
        ):
            with pytest.raises(SlackApiError) as err:
                call()
            assert (err.value.response["error"], err.value.response["needed"]) == ("missing_scope", "files:read")
        request = urllib.request.Request(uploaded["url_private"], headers={"Authorization": f"Bearer {BOT_TOKEN}"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request)
        assert refused.value.code == 404
    with SlackStandIn() as standin:
        client = WebClient(token=BOT_TOKEN, base_url=standin.api_url)
        uploaded = standin.upload_from(ANA.id, "roster.csv", b"email,role\n")
        assert client.files_info(file=uploaded["id"])["file"]["user"] == ANA.id
        request = urllib.request.Request(uploaded["url_private"], headers={"Authorization": f"Bearer {BOT_TOKEN}"})
        with urllib.request.urlopen(request) as response:
            assert response.read() == b"email,role\n"
        with pytest.raises(SlackApiError) as err:
            client.files_info(file="F0NOSUCH1")
        assert err.value.response["error"] == "file_not_found"
        assert client.users_lookupByEmail(email=ANA.email.upper())["user"]["id"] == ANA.id
        with pytest.raises(SlackApiError) as err:
            client.users_lookupByEmail(email="nobody@example.com")
        assert err.value.response["error"] == "users_not_found"
        assert {c.scope for c in standin.calls if c.method in ("files.info", "url_private")} == {"files:read"}


# ---------------------------------------------------------------------------- the check bites


class Crash(BaseException):
    """The worker's process dies (kill -9) right after Slack accepted its message, before it recorded it."""


class DiesAfterSlackAccepts(WebClient):
    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:
        response = super().api_call(api_method, **kwargs)
        if api_method == "chat.postMessage":
            raise Crash
        return response


def a_dm_whose_sender_died(database_url: str, standin: SlackStandIn, user_id: str) -> DeliveryReport:
    """A DM the outbox sent, Slack accepted, and the worker died before recording it; then a worker restarts after
    the claim went stale and recovers it: what that restart did."""
    db = Database.from_url(database_url)
    try:
        with db.begin() as session:
            enqueue(
                session,
                team_id=TEAM_ID,
                key=f"roadmap:{user_id}:due-soon",
                kind="checkin",
                recipient=user_id,
                text="Your milestone is due in three days.",
                not_before=NOW,
            )
        with pytest.raises(Crash):
            deliver_due(db, DiesAfterSlackAccepts(token=BOT_TOKEN, base_url=standin.api_url), now=NOW, worker_id="a")
        restart = WebClient(token=BOT_TOKEN, base_url=standin.api_url)
        return deliver_due(db, restart, now=NOW + timedelta(minutes=6), worker_id="b")
    finally:
        db.dispose()


def test_recovering_a_dm_after_a_crash_reads_its_history_with_im_history(db: Database, database_url: str) -> None:
    with SlackStandIn() as standin:
        report = a_dm_whose_sender_died(database_url, standin, ANA.id)
        assert report.recovered == 1 and report.sent == 0
        assert len(standin.dms(ANA.id)) == 1
        assert [c.scope for c in standin.calls_to("conversations.history")] == ["im:history"]
        assert missing_scope_answers(standin) == []


def test_without_im_history_in_the_manifest_the_recovery_read_is_refused(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    with SlackStandIn(manifest=manifest_without(tmp_path, "im:history")) as standin:
        a_dm_whose_sender_died(database_url, standin, ANA.id)
        [refused] = missing_scope_answers(standin)
        assert refused["needed"] == "im:history" and "im:history" not in refused["provided"].split(",")


def test_without_chat_write_in_the_manifest_nobody_hears_from_the_app(database_url: str, tmp_path: Path) -> None:
    with running_world(database_url, slack={"manifest": manifest_without(tmp_path, "chat:write")}) as world:
        ana = world.person("Ana")
        ana.join(join_answers("mentee", wanted=["Public speaking"], department="Engineering"))
        world.wait_for(lambda: missing_scope_answers(world.standin) or None, what="a refused call")
        world.settle()
        assert {a["needed"] for a in missing_scope_answers(world.standin)} == {"chat:write"}
        assert world.standin.dms(ana.id) == []


# ---------------------------------------------------------------------------- exactly what the code needs


def every_feature_with_private_rooms(world: World, database_url: str) -> None:
    """Join, admin, match into private rooms, the programme channel, growth threads heard back through events,
    kudos, a mentee choosing their mentor, my-data, a deactivation, a newcomer to the channel, a message in the
    Messages tab, a DM recovered after a crash."""
    people = release_all(world, database_url)
    ana, lea, ingrid = people["Ana"], people["Lea"], world.person("Ingrid")
    set_programme(database_url, channel_id=GENERAL_CHANNEL_ID)

    room = room_of(database_url, ana.id).room_id
    assert room is not None
    for visibility, channel in (("channel", GENERAL_CHANNEL_ID), ("room", room)):
        ana.mentor("grow")
        ana.wait_for_modal("Share a growth thread")
        ana.submit({"learned": f"Learned in the {visibility}", "tried": "A story", "visibility": visibility})
        post = world.wait_for(
            lambda c=channel, v=visibility: next(  # type: ignore[misc]
                (m for m in world.standin.messages_in(c) if f"Learned in the {v}" in json.dumps(m.blocks)), None
            ),
            what=f"the growth thread in the {visibility}",
        )
        replied = {"type": "message", "channel": channel, "user": lea.id, "text": "Nice", "thread_ts": post.ts}
        assert world.platform.event({**replied, "ts": f"{post.ts}1", "event_ts": f"{post.ts}1"}).status == 200
        reaction = {
            "type": "reaction_added",
            "user": lea.id,
            "reaction": "seedling",
            "item_user": "U0BOT0001",
            "item": {"type": "message", "channel": channel, "ts": post.ts},
            "event_ts": f"{post.ts}2",
        }
        assert world.platform.event(reaction).status == 200

    ana.mentor("stories")  # she shares her growth thread as a success story: the list is redrawn in place
    stories = ana.wait_for_modal("My success stories")
    share = next(b for b in stories["blocks"] if b.get("accessory", {}).get("action_id") == story_ui.SHARE_ACTION)
    world.platform.click(ana.id, story_ui.SHARE_ACTION, share["accessory"]["value"], view=stories)
    world.wait_for(lambda: world.standin.calls_to("views.update") or None, what="the stories list redrawn")

    ingrid.mentor("map")  # mentors wanted for a gap, posted in a channel the bot joins first
    ingrid.click(ingrid.wait_for_ephemeral("Skill map"), f"{culture_ui.RECRUIT_ACTION}:0")
    ingrid.wait_for_modal("Recruit mentors")
    ingrid.submit({"channel": RANDOM_CHANNEL_ID, "note": "An hour a fortnight"})
    world.wait_for(lambda: world.standin.messages_in(RANDOM_CHANNEL_ID) or None, what="the invitation to mentor")

    # a roster imported from Slack: the upload form (files:read), the file read through files.info and its
    # url_private (files:read), each email looked up (users:read.email)
    report = upload_roster(world, database_url, ingrid, f"email,role\n{find('Diego').email},mentee\n")
    assert "1 row, 1 imported" in str(report["blocks"])
    assert {c.scope for c in world.standin.calls_to("users.lookupByEmail")} == {"users:read.email"}

    intro = world.standin.messages_in(room)[0]  # a booked chat: its invite names both people by email
    ana.click(intro, match_ui.SCHEDULE_ACTION)
    offer = world.wait_for(
        lambda: next((m for m in world.standin.messages_in(room) if "would like to find a time" in m.text), None),
        what="the times offered",
    )
    pick = next(
        b["accessory"]["value"] for b in offer.blocks if b.get("accessory", {}).get("action_id") == "booking_pick"
    )
    match = room_of(database_url, ana.id)
    [partner_id] = [
        m.slack_user_id for m in rows(database_url, MatchMember) if m.match_id == match.id and m.slack_user_id != ana.id
    ]
    world.person(partner_id).click(offer, booking_ui.PICK_ACTION, pick)
    proposed = world.wait_for(
        lambda: next((m for m in world.standin.messages_in(room) if m.ts == offer.ts and "proposed" in m.text), None),
        what="the proposal",
    )
    ana.click(proposed, booking_ui.ACCEPT_ACTION)
    world.wait_for(
        lambda: [f for m in world.standin.messages_in(room) for f in m.files if f["name"].endswith(".ics")] or None,
        what="the invite",
    )

    ana.mentor("roadmap")  # a measurable goal, with suggestions added to the open form
    setup = ana.wait_for_modal("Set up your roadmap")
    world.platform.click(ana.id, roadmap_ui.SUGGEST_ACTION, view=setup)
    world.wait_for(lambda: "Ways to know" in json.dumps(ana.modal()) or None, what="the suggestions")
    ana.mentor("skills")  # skills shared with her mentor, who adds his view
    ana.wait_for_modal("Where I am today")
    ana.submit({"skill_0": "2"})
    world.platform.click(ana.id, skill_ui.SHARE_ACTION, view=ana.wait_for_modal("Saved"))
    mentor = people["Sam"]
    asked = world.wait_for(lambda: next((d for d in mentor.dms() if "shared their" in d.text), None), what="asked")
    mentor.click(asked, skill_ui.VIEW_ACTION)
    mentor.wait_for_modal("My view")
    mentor.submit({"skill_0": "3"})
    world.wait_for(lambda: next((d for d in ana.dms() if "added their view" in d.text), None), what="side by side")
    # Mentees choose: the one left out asks Lea, given a second place, who accepts: a room opens
    set_programme(database_url, matching="choose")
    db = Database.from_url(database_url)
    try:
        with db.begin() as session:
            lea_row = session.exec(select(Participant).where(Participant.slack_user_id == lea.id)).one()
            lea_row.capacity = 2
            session.add(lea_row)
    finally:
        db.dispose()
    matched = {m.slack_user_id for m in rows(database_url, MatchMember)}
    [left_out] = [people[n] for n in ("Ana", "Kenji", "Priya", "Maria") if people[n].id not in matched]
    left_out.mentor("mentors")
    listing = left_out.wait_for_modal("Choose a mentor")
    world.platform.click(left_out.id, choose_ui.PICK_ACTION, lea.id, view=listing)
    left_out.wait_for_modal("Ask a mentor")
    left_out.submit({"message": "Could we work on my writing?"})
    asked = world.wait_for(lambda: next((m for m in lea.dms() if "would like you" in m.text), None), what="request")
    [request] = rows(database_url, MentorRequest)
    lea.click(asked, f"{choose_ui.ANSWER_ACTION}:accept", str(request.id))
    world.wait_for(lambda: rows(database_url, MentorRequest)[0].match_id, what="the chosen match")

    lea.mentor("my-data")
    world.wait_for(lambda: world.standin.calls_to("files.completeUploadExternal") or None, what="the export")
    newcomer = {"type": "member_joined_channel", "user": find("Diego").id, "channel": GENERAL_CHANNEL_ID}
    assert world.platform.event({**newcomer, "channel_type": "C"}).status == 200
    gone = {"type": "user_change", "user": {"id": find("Omar").id, "team_id": world.standin.team_id, "deleted": True}}
    assert world.platform.event(gone).status == 200
    assert world.platform.home_opened(ana.id).status == 200
    written = {"type": "message", "channel": world.standin.im_channel(ana.id), "channel_type": "im", "user": ana.id}
    assert world.platform.event({**written, "text": "what's next?", "ts": "9.1", "event_ts": "9.1"}).status == 200
    world.wait_for(lambda: any("Your next step" in m.text for m in ana.dms()) or None, what="the Messages tab's answer")
    world.settle()
    assert a_dm_whose_sender_died(database_url, world.standin, find("Tom").id).recovered == 1


def every_feature_with_group_dms(world: World, database_url: str) -> None:
    """Where private channels are not allowed, rooms are group DMs; a growth thread there is heard back too. The
    programme channel is private: a newcomer there is heard of too."""
    people = enrol(world)
    set_programme(database_url, requires_approval=False)
    world.standin.fail_next("conversations.create", error="restricted_action", times=3)
    ingrid = world.person("Ingrid")
    ingrid.mentor("admin")
    programme = rows(database_url, Programme)[0]
    ingrid.click(ingrid.wait_for_ephemeral("Programme admin"), admin_ui.MATCH_ACTION, str(programme.id))
    ingrid.wait_for_ephemeral("Released")
    world.settle()
    ana = people["Ana"]
    room = room_of(database_url, ana.id).room_id
    assert room is not None and room.startswith("G")
    ana.mentor("grow")
    ana.wait_for_modal("Share a growth thread")
    ana.submit({"learned": "Learned in a group DM", "tried": "A story", "visibility": "room"})
    post = world.wait_for(
        lambda: next((m for m in world.standin.messages_in(room) if "group DM" in json.dumps(m.blocks)), None),
        what="the growth thread in the group DM",
    )
    replied = {"type": "message", "channel": room, "user": people["Sam"].id, "text": "Nice", "thread_ts": post.ts}
    assert world.platform.event({**replied, "ts": f"{post.ts}1", "event_ts": f"{post.ts}1"}).status == 200
    private = world.standin.add_channel("mentoring-guild", [ingrid.id, ana.id], private=True)
    set_programme(database_url, channel_id=private)
    newcomer = {"type": "member_joined_channel", "user": find("Diego").id, "channel": private, "channel_type": "G"}
    assert world.platform.event(newcomer).status == 200
    world.settle()


def test_the_manifest_asks_for_exactly_the_scopes_the_app_needs(database_url: str, tmp_path: Path) -> None:
    needed: set[str] = set()
    with running_world(database_url) as world:
        every_feature_with_private_rooms(world, database_url)
        assert missing_scope_answers(world.standin) == []
        needed |= needed_scopes(world.standin)
    second = f"sqlite:///{tmp_path}/group-dms.db"
    migrate.upgrade(second)
    with running_world(second) as world:
        every_feature_with_group_dms(world, second)
        assert missing_scope_answers(world.standin) == []
        needed |= needed_scopes(world.standin)
    requested = set(manifest_scopes())
    assert sorted(requested - needed) == [], "scopes the manifest asks for but nothing needed"
    assert sorted(needed - requested) == [], "scopes the app needed but the manifest does not ask for"


def test_slack_delivers_only_the_events_and_commands_the_manifest_subscribes_to_and_grants(tmp_path: Path) -> None:
    """Nothing listens at the app's address: a refused delivery is never sent, so it cannot fail to connect."""
    without_im = json.loads((ROOT / "manifest.json").read_text())
    without_im["settings"]["event_subscriptions"]["bot_events"].remove("message.im")
    (tmp_path / "no-im.json").write_text(json.dumps(without_im))
    read_only = json.loads((ROOT / "manifest.json").read_text())
    read_only["features"]["app_home"]["messages_tab_read_only_enabled"] = True
    (tmp_path / "read-only.json").write_text(json.dumps(read_only))
    for manifest, why in (("no-im.json", "does not subscribe to message.im"), ("read-only.json", "Messages tab")):
        with SlackStandIn(manifest=tmp_path / manifest) as standin:
            platform = SlackPlatform("http://127.0.0.1:9/slack/events", "secret", standin)
            dm = {"type": "message", "channel": standin.im_channel(ANA.id), "user": ANA.id, "text": "hi", "ts": "1.2"}
            assert why in platform.event({**dm, "channel_type": "im"}).body
            assert standin.delivered == []
    with SlackStandIn() as standin:
        platform = SlackPlatform("http://127.0.0.1:9/slack/events", "secret", standin)
        outside = {"type": "message", "channel": RANDOM_CHANNEL_ID, "user": ANA.id, "text": "hi", "ts": "1.3"}
        assert "not a member" in platform.event(outside).body
        assert "declares no /other command" in platform.slash(ANA.id, "/other").body
        assert standin.delivered == []
    with SlackStandIn(manifest=manifest_without(tmp_path, "reactions:read")) as standin:
        platform = SlackPlatform("http://127.0.0.1:9/slack/events", "secret", standin)
        reaction = {
            "type": "reaction_added",
            "user": ANA.id,
            "reaction": "tada",
            "item": {"channel": GENERAL_CHANNEL_ID},
        }
        reply = platform.event(reaction)
        assert reply.status == 0 and "needs the reactions:read scope" in reply.body

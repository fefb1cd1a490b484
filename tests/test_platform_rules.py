"""Slack's platform rules: signed requests only, retried events handled once, 429s and 5xx waited out,
permanent errors reported to the person who is waiting."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from standin.scenes import World, join_answers
from standin.spec import REFERENCE

ROOT = Path(__file__).resolve().parents[1]


def test_a_request_with_a_bad_signature_is_rejected(world: World) -> None:
    reply = world.person("Ana").mentor("help", signature="v0=" + "0" * 64)
    assert reply.status == 401
    reply = world.person("Ana").open_home(signature="v0=deadbeef")
    assert reply.status == 401
    world.settle()
    assert [c.method for c in world.standin.calls if c.method != "auth.test"] == []


def test_a_stale_request_is_rejected_even_when_correctly_signed(world: World) -> None:
    six_minutes_ago = int(time.time()) - 6 * 60
    reply = world.person("Ana").mentor("help", timestamp=six_minutes_ago)
    assert reply.status == 401
    reply = world.person("Ana").open_home(timestamp=six_minutes_ago)
    assert reply.status == 401


def test_a_retried_event_is_handled_once(world: World) -> None:
    ana = world.person("Ana")
    first = ana.open_home()
    assert first.status == 200
    ana.wait_for_home()
    assert first.payload is not None
    retry = world.platform.send(  # Slack's retry is a new request: a new timestamp, so a new signature
        json.dumps(first.payload),
        "application/json",
        timestamp=int(time.time()) + 1,
        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    assert retry.status == 200
    again = ana.open_home(event_id=first.event_id, retry_num=2)
    assert again.status == 200
    world.settle()
    assert len(world.standin.calls_to("views.publish")) == 1
    ana.open_home()  # a new event (new event_id) is handled
    world.wait_for(lambda: len(world.standin.calls_to("views.publish")) == 2, what="a second publish")


def test_a_rate_limited_call_is_retried_after_retry_after(world: World) -> None:
    world.standin.rate_limit_next("chat.postMessage", retry_after=1)
    ana = world.person("Ana")
    ana.join(join_answers("mentee", wanted=["Writing"]))
    ana.wait_for_dm()
    posts = world.standin.calls_to("chat.postMessage")
    assert [c.status for c in posts] == [429, 200]
    assert posts[1].at - posts[0].at >= 0.9  # waited for Retry-After


def test_server_errors_are_retried(world: World) -> None:
    world.standin.server_error_next("users.info", status=503)
    sam = world.person("Sam")
    sam.join(join_answers("mentee", wanted=["Writing"]))
    sam.wait_for_dm()
    assert [c.status for c in world.standin.calls_to("users.info")][:2] == [503, 200]
    assert "Africa/Lagos" in sam.transcript()


def test_when_slack_will_not_open_the_modal_the_person_is_told(world: World, caplog: pytest.LogCaptureFixture) -> None:
    world.standin.fail_next("views.open", error="expired_trigger_id")
    kenji = world.person("Kenji")
    with caplog.at_level(logging.ERROR):
        kenji.mentor("join")
        said = world.wait_for(kenji.ephemerals, what="Kenji's ephemeral")
    assert "Please run `/mentor join` again" in said[0].text
    assert any("views.open failed: expired_trigger_id" in r.getMessage() for r in caplog.records)


def test_when_the_profile_cannot_be_read_the_join_still_works_and_says_so(world: World) -> None:
    world.standin.fail_next("users.info", error="user_not_found")
    priya = world.person("Priya")
    priya.join(join_answers("mentee", wanted=["Writing"]))
    priya.wait_for_dm()
    assert "couldn't read your timezone" in priya.transcript()


def test_a_dm_that_slack_refuses_is_logged_with_context(world: World, caplog: pytest.LogCaptureFixture) -> None:
    world.standin.fail_next("chat.postMessage", error="channel_not_found")
    lea = world.person("Lea")
    with caplog.at_level(logging.ERROR):
        lea.join(join_answers("mentee", wanted=["Writing"]))
        lea.wait_for_home("Edit profile")
    failures = [r for r in caplog.records if "could not send a direct message" in r.getMessage()]
    assert failures and getattr(failures[0], "user_id", None) == lea.id
    assert getattr(failures[0], "slack_error", None) == "channel_not_found"


def test_the_manifest_is_a_valid_slack_app_manifest() -> None:
    manifest = json.loads((ROOT / "manifest.json").read_text())
    schemas = REFERENCE / "manifest"
    registry: Registry = Registry()
    for version in ("1.0.0", "2.0.0"):
        url = (
            f"https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas/manifest.schema.{version}.json"
        )
        contents = json.loads((schemas / f"manifest.schema.{version}.json").read_text())
        registry = registry.with_resource(url, Resource.from_contents(contents, default_specification=DRAFT7))
    top = json.loads((schemas / "manifest.schema.json").read_text())
    jsonschema.Draft7Validator(top, registry=registry).validate(manifest)
    commands = [c["command"] for c in manifest["features"]["slash_commands"]]
    assert commands == ["/mentor"]
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert "app_home_opened" in manifest["settings"]["event_subscriptions"]["bot_events"]
    assert {"commands", "chat:write", "users:read"} <= set(manifest["oauth_config"]["scopes"]["bot"])


def test_an_invalid_manifest_is_caught_by_the_schema() -> None:
    manifest = json.loads((ROOT / "manifest.json").read_text())
    manifest["features"]["slash_commands"][0]["command"] = 42
    schemas = REFERENCE / "manifest"
    contents = json.loads((schemas / "manifest.schema.1.0.0.json").read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(contents).validate(manifest)


def test_the_app_paces_its_calls_by_the_tiers_slack_publishes() -> None:
    app_copy = json.loads((ROOT / "gateway" / "method_tiers.json").read_text())
    assert app_copy == json.loads((REFERENCE / "method_tiers.json").read_text())
    assert app_copy["chat.postMessage"] == "SpecialTier_chat_postMessage"

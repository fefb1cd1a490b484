"""Success stories, in Slack: at exit people choose, story by story, whether their exit reflection and their growth
threads may be used as success stories. A consented story reaches the admin's report, the CSV export and a
recruiting post; an unconsented one reaches nobody but its author, ever; a withdrawn one disappears."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from blocks import checkins as checkin_ui
from blocks import culture as culture_ui
from blocks import stories as story_ui
from standin import GENERAL_CHANNEL_ID, RANDOM_CHANNEL_ID, render_blocks
from standin.scenes import Actor, World
from store.models import GrowthThread, StoryConsent, SurveyResponse
from tests.data import rows, set_programme
from tests.test_growth import post_in
from tests.test_matching_flow import release_all, room_of
from tests.test_participant_controls import all_values

SHARED_EXIT = "Consented-exit: I learned to say no to meetings that did not need me"
SECRET_EXIT = "Secret-exit: I nearly left the company in March"
WITHDRAWN_EXIT = "Withdrawn-exit: my manager finally noticed my work"
SHARED_THREAD = "Shared-thread: a story beats a slide every time"
UNSHARED_THREAD = "Unshared-thread: silence in a meeting is not agreement"


def grow(world: World, person: Actor, learned: str) -> None:
    person.mentor("grow")
    person.wait_for_modal("Share a growth thread")
    person.submit({"tried": "Something new", "learned": learned, "visibility": "channel"})
    post_in(world, GENERAL_CHANNEL_ID, learned)


def reflect(world: World, person: Actor, database_url: str, what_changed: str, ticked: list[str]) -> dict[str, Any]:
    """The person opens their exit reflection (the DM's button), writes, and ticks these stories to share."""
    match = room_of(database_url, person.id)
    text, blocks = checkin_ui.exit_dm(match.id or 0, "Mentoring")
    dm = {"ts": "1700000000.000100", "text": text, "blocks": blocks, "channel": world.standin.im_channel(person.id)}
    world.platform.click(person.id, checkin_ui.EXIT_ACTION, str(match.id), message=dm)
    modal = person.wait_for_modal("Exit reflection")
    if ticked:  # sharing an empty reflection is refused inline
        reply = person.submit({"what_changed": "", "would_continue": "yes", "rating": "5", "stories": ticked})
        assert reply.json is not None and "Write what changed" in reply.json["errors"][story_ui.STORY_BLOCK]
    person.submit({"what_changed": what_changed, "would_continue": "yes", "rating": "5", "stories": ticked})
    world.wait_for(
        lambda: any(r.what_changed == what_changed for r in rows(database_url, SurveyResponse)), what="the answers"
    )
    world.settle(quiet_for=0.1)
    return modal


def thread_key(database_url: str, learned: str) -> str:
    [thread] = [t for t in rows(database_url, GrowthThread) if t.learned == learned]
    return f"growth:{thread.id}"


def everything_sent(world: World) -> str:
    """Every Web API call's arguments and every file uploaded, whoever it was for: messages, ephemerals, response
    URL replies, modals, Home tabs and files."""
    sent = json.dumps([c.params for c in world.standin.calls], default=str)
    files = [f["bytes"].decode("utf-8", "replace") for p in world.standin.people for s in world.standin.seen_by(p.id)
             for f in s.files if isinstance(f.get("bytes"), bytes)]  # fmt: skip
    return sent + "\n".join(files)


def report_of(admin: Actor, count: int) -> str:
    admin.mentor("report")
    return render_blocks(admin.wait_for_ephemeral("Success stories", count=count).blocks)


def test_a_consented_story_reaches_the_report_and_a_recruiting_post_an_unconsented_one_never_does(
    world: World, database_url: str
) -> None:
    people = release_all(world, database_url)
    set_programme(database_url, channel_id=GENERAL_CHANNEL_ID)
    ana, kenji, priya, ingrid = people["Ana"], people["Kenji"], people["Priya"], world.person("Ingrid")
    grow(world, ana, SHARED_THREAD)
    grow(world, kenji, UNSHARED_THREAD)

    # At exit each is asked, story by story: Ana shares her reflection and her growth thread, Kenji nothing,
    # Priya her reflection (she withdraws it later).
    form = reflect(world, ana, database_url, SHARED_EXIT, ["exit", thread_key(database_url, SHARED_THREAD)])
    [choice] = [b for b in form["blocks"] if b.get("block_id") == story_ui.STORY_BLOCK]
    assert [o["value"] for o in choice["element"]["options"]] == ["exit", thread_key(database_url, SHARED_THREAD)]
    assert "initial_options" not in choice["element"]  # nothing is ticked for them
    form = reflect(world, kenji, database_url, SECRET_EXIT, [])
    assert UNSHARED_THREAD[:30] in json.dumps(form)  # his own thread is offered to him (unticked), not Ana's
    assert SHARED_THREAD[:30] not in json.dumps(form)
    reflect(world, priya, database_url, WITHDRAWN_EXIT, ["exit"])
    consents = rows(database_url, StoryConsent)
    assert sorted((c.slack_user_id, c.source_kind) for c in consents) == sorted(
        [(ana.id, "exit"), (ana.id, "growth"), (priya.id, "exit")]
    )

    # The admin's report quotes the consented stories, without names.
    report = report_of(ingrid, 1)
    assert SHARED_EXIT in report and SHARED_THREAD in report and WITHDRAWN_EXIT in report
    assert "Exit reflection, a mentee, cycle 1" in report
    assert ana.id not in report.split("Success stories")[1].split("Stalled")[0]

    # The admin recruits mentors with Ana's reflection quoted in the post.
    ingrid.mentor("map")
    ingrid.click(ingrid.wait_for_ephemeral("Skill map"), f"{culture_ui.RECRUIT_ACTION}:0")
    recruit = ingrid.wait_for_modal("Recruit mentors")
    [picker] = [b for b in recruit["blocks"] if b.get("block_id") == story_ui.RECRUIT_STORY_BLOCK]
    offered = {o["text"]["text"][:20]: o["value"] for o in picker["element"]["options"]}
    assert set(offered) == {SHARED_EXIT[:20], "Tried: Something new", WITHDRAWN_EXIT[:20]}
    ingrid.submit({"channel": RANDOM_CHANNEL_ID, "story": offered[SHARED_EXIT[:20]]})
    post = world.wait_for(lambda: next(iter(world.standin.messages_in(RANDOM_CHANNEL_ID)), None), what="the post")
    shown = render_blocks(post.blocks)
    assert "In their words" in shown and SHARED_EXIT in shown and ana.id not in shown

    # Priya withdraws her reflection from `/mentor stories`: it leaves the report, the form and the export.
    priya.mentor("stories")
    mine = priya.wait_for_modal("My success stories")
    assert WITHDRAWN_EXIT not in json.dumps(mine)  # an exit reflection is named, never quoted back
    [key] = [
        b["accessory"]["value"] for b in mine["blocks"] if b.get("accessory", {}).get("action_id") == "story_withdraw"
    ]
    world.platform.click(priya.id, story_ui.WITHDRAW_ACTION, key, view=mine)
    world.wait_for(lambda: all(c.withdrawn_at for c in rows(database_url, StoryConsent) if c.slack_user_id == priya.id),
                   what="withdrawn")  # fmt: skip
    assert "not shared" in render_blocks(
        world.wait_for(lambda: (lambda m: m if "not shared" in json.dumps(m) else None)(priya.modal()), what="redrawn")[
            "blocks"
        ]
    )
    after_withdrawal = len(world.standin.calls)
    again = report_of(ingrid, 2)
    assert SHARED_EXIT in again and WITHDRAWN_EXIT not in again
    forged = {**recruit, "id": "V0FORGED"}
    reply = world.platform.submit_view(
        ingrid.id, forged, {"channel": RANDOM_CHANNEL_ID, "story": offered[WITHDRAWN_EXIT[:20]]}
    )
    assert reply.json is not None and "no longer shares" in reply.json["errors"]["story"]

    ingrid.mentor("report --export")
    ingrid.wait_for_ephemeral("CSV files")
    csvs = world.wait_for(lambda: [f for s in ingrid.dms() for f in s.files if f["name"].endswith("summary.csv")],
                          what="the export")  # fmt: skip
    summary = list(csv.reader(io.StringIO(csvs[0]["bytes"].decode("utf-8-sig"))))
    stories = [r for r in summary if r[0] == "success story (shared by its author)"]
    assert sorted(r[2] for r in stories) == sorted([SHARED_EXIT, f"Tried: Something new. Learned: {SHARED_THREAD}"])
    ingrid.mentor("digest")
    ingrid.wait_for_ephemeral("preview")
    world.settle()

    # Over everything Slack was ever sent, for anyone: Kenji's reflection never; his thread only in its own post
    # and in the forms shown to him; Priya's withdrawn reflection not after she withdrew it.
    everything = everything_sent(world)
    assert SECRET_EXIT not in everything
    for call in world.standin.calls:
        if UNSHARED_THREAD in json.dumps(call.params, default=str):
            view = call.params.get("view") or {}
            view = json.loads(view) if isinstance(view, str) else view
            in_post = (
                call.method in ("chat.postMessage", "chat.update") and call.params.get("channel") == GENERAL_CHANNEL_ID
            )
            own_form = view.get("callback_id") in (checkin_ui.EXIT_CALLBACK, story_ui.STORIES_CALLBACK)
            assert in_post or own_form, call.method
    later = json.dumps([c.params for c in world.standin.calls[after_withdrawal:]], default=str)
    assert WITHDRAWN_EXIT not in later

    # Kenji sees the list in App Home and shares nothing; my-data carries the consents, forget-me deletes them.
    kenji.open_home()
    assert "My success stories:* none shared" in render_blocks(kenji.wait_for_home("My success stories")["blocks"])
    ana.mentor("forget-me")
    ana.wait_for_modal("Delete my data")
    ana.submit({"confirm": ["yes"]})
    world.wait_for(lambda: not [c for c in rows(database_url, StoryConsent) if c.slack_user_id == ana.id],
                   what="Ana's consents gone")  # fmt: skip
    assert not [v for v in all_values(database_url) if SHARED_EXIT in v]


def test_my_data_lists_the_story_consents(world: World, database_url: str) -> None:
    people = release_all(world, database_url)
    set_programme(database_url, channel_id=GENERAL_CHANNEL_ID)
    ana = people["Ana"]
    grow(world, ana, SHARED_THREAD)
    ana.mentor("stories")
    mine = ana.wait_for_modal("My success stories")
    assert SHARED_THREAD[:40] in json.dumps(mine)
    world.platform.click(ana.id, story_ui.SHARE_ACTION, thread_key(database_url, SHARED_THREAD), view=mine)
    world.wait_for(lambda: rows(database_url, StoryConsent), what="consent")
    # someone else's story cannot be shared by a forged click
    kenji = people["Kenji"]
    world.platform.click(kenji.id, story_ui.SHARE_ACTION, thread_key(database_url, SHARED_THREAD), view=mine)
    world.wait_for(lambda: any(story_ui.not_yours() in d.text for d in kenji.dms()), what="refused")
    assert [c.slack_user_id for c in rows(database_url, StoryConsent)] == [ana.id]
    ana.mentor("my-data")
    data = world.wait_for(
        lambda: [f for s in ana.dms() for f in s.files if f["name"].endswith(".json")], what="my data"
    )
    exported = json.loads(data[0]["bytes"])
    [consent] = exported["success_story_consents"]
    assert consent["source_kind"] == "growth" and consent["withdrawn_at"] is None

"""People acting in Slack: the vocabulary the scenario tests and the demo are written in."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from standin import Person, Reply, Seen, SlackPlatform, SlackStandIn, find

T = TypeVar("T")


class Timeout(AssertionError):
    pass


@dataclass
class World:
    """A Slack workspace (the stand-in), the platform that calls the app, and the app's address."""

    standin: SlackStandIn
    platform: SlackPlatform
    app_base_url: str

    def person(self, name: str) -> Actor:
        return Actor(self, find(name))

    def wait_for(self, check: Callable[[], T | None], *, timeout: float = 20.0, what: str = "it") -> T:
        """Wait for work the app does after acknowledging a request (it runs on after the HTTP reply)."""
        deadline = time.monotonic() + timeout
        while True:
            result = check()
            if result:
                return result
            if time.monotonic() > deadline:
                raise Timeout(f"waited {timeout}s for {what}")
            time.sleep(0.02)

    def settle(self, *, quiet_for: float = 0.3, timeout: float = 10.0) -> None:
        """Wait until the app has made no Web API call for `quiet_for` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            count = len(self.standin.calls)
            time.sleep(quiet_for)
            if len(self.standin.calls) == count:
                return
        raise Timeout("the app kept calling Slack")


@dataclass
class Actor:
    world: World
    who: Person

    @property
    def id(self) -> str:
        return self.who.id

    @property
    def first_name(self) -> str:
        return self.who.real_name.split()[0]

    def mentor(self, text: str = "", **kw: Any) -> Reply:
        """Type `/mentor <text>`."""
        return self.world.platform.slash(self.id, "/mentor", text, **kw)

    def modal(self) -> dict[str, Any]:
        """The modal on top of this person's open stack (else the last one they saw, e.g. just closed)."""
        stack = self.world.standin.open_modals(self.id)
        modal = stack[-1] if stack else self.world.standin.last_modal(self.id)
        assert modal is not None, f"{self.first_name} has no modal open"
        return modal

    def wait_for_modal(self, title: str) -> dict[str, Any]:
        """Wait until a modal with this title is open on top of the person's stack (a submitted and closed one
        with the same title does not count: Slack closed it)."""

        def open_with_title() -> dict[str, Any] | None:
            stack = self.world.standin.open_modals(self.id)
            modal = stack[-1] if stack else None
            return modal if modal and modal.get("title", {}).get("text") == title else None

        return self.world.wait_for(open_with_title, what=f"{self.first_name}'s '{title}' modal")

    def submit(self, values: dict[str, Any], **kw: Any) -> Reply:
        return self.world.platform.submit_view(self.id, self.modal(), values, **kw)

    def join(self, answers: dict[str, Any], *, text: str = "join", title: str = "Join a programme") -> Reply:
        """Run `/mentor join`, wait for the modal, and submit these answers."""
        self.mentor(text)
        self.wait_for_modal(title)
        return self.submit(answers)

    def dms(self) -> list[Seen]:
        return self.world.standin.dms(self.id)

    def wait_for_dm(self, count: int = 1) -> Seen:
        """Wait for this person's `count`-th direct message from the app, and return it."""

        def nth() -> Seen | None:
            dms = self.dms()
            return dms[count - 1] if len(dms) >= count else None

        return self.world.wait_for(nth, what=f"{self.first_name}'s DM #{count}")

    def wait_for_home(self, containing: str = "") -> dict[str, Any]:
        """Wait until this person's App Home is published (and shows `containing`)."""

        def published() -> dict[str, Any] | None:
            home = self.home()
            return home if home is not None and containing in str(home) else None

        return self.world.wait_for(published, what=f"{self.first_name}'s Home tab showing {containing!r}")

    def ephemerals(self) -> list[Seen]:
        return [s for s in self.world.standin.seen_by(self.id) if s.kind in ("ephemeral", "response")]

    def wait_for_ephemeral(self, containing: str = "", count: int | None = None) -> Seen:
        """Wait for an ephemeral reply (or response_url answer) to this person that says `containing`."""

        def found() -> Seen | None:
            seen = [e for e in self.ephemerals() if containing in e.text or containing in str(e.blocks)]
            if count is not None and len(seen) < count:
                return None
            return seen[-1] if seen else None

        return self.world.wait_for(found, what=f"{self.first_name}'s ephemeral saying {containing!r}")

    def click(self, message: Seen, action_id: str, value: str | None = None) -> Reply:
        """Click a button in a message this person sees (a DM, an ephemeral reply, a channel message)."""
        return self.world.platform.click(self.id, action_id, value, message=message)

    def open_home(self, **kw: Any) -> Reply:
        return self.world.platform.home_opened(self.id, **kw)

    def home(self) -> dict[str, Any] | None:
        return self.world.standin.home(self.id)

    def click_home(self, action_id: str, value: str | None = None) -> Reply:
        home = self.home()
        assert home is not None, f"{self.first_name} has no Home tab"
        return self.world.platform.click(self.id, action_id, value, view=home)

    def transcript(self) -> str:
        return self.world.standin.transcript(self.id)


def join_answers(
    role: str = "mentee",
    *,
    offered: list[str] | None = None,
    wanted: list[str] | None = None,
    goals: str = "",
    department: str = "Engineering",
    capacity: int | str | None = None,
    consent: bool = True,
) -> dict[str, Any]:
    """What a person types into the join modal, keyed by the modal's block ids."""
    answers: dict[str, Any] = {
        "role": role,
        "skills_offered": offered or [],
        "skills_wanted": wanted or [],
        "goals": goals or None,
        "department": department or None,
        "capacity": str(capacity) if capacity is not None else None,
        "consent": ["yes"] if consent else [],
    }
    return answers

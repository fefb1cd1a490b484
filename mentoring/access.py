"""Who may do what. Decided on the server from the user id Slack signed, never from payload fields."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session, select

from gateway.slack import user_profile
from store.models import ProgrammeAdmin

logger = logging.getLogger(__name__)


def is_workspace_admin(client: WebClient, user_id: str) -> bool:
    """Workspace admins and owners, as Slack says today (`users.info`)."""
    profile = user_profile(client, user_id)
    return profile is not None and not profile.deleted and not profile.is_bot and (profile.is_admin or profile.is_owner)


def granted_programmes(*, session: Session, team_id: str, user_id: str) -> set[int]:
    rows = session.exec(
        select(ProgrammeAdmin.programme_id).where(
            ProgrammeAdmin.team_id == team_id, ProgrammeAdmin.slack_user_id == user_id
        )
    ).all()
    return set(rows)


class Access:
    """One person's admin rights in one workspace, looked up once per request."""

    def __init__(self, *, workspace_admin: bool, programmes: set[int]) -> None:
        self.workspace_admin = workspace_admin
        self.programmes = programmes

    @classmethod
    def of(cls, client: WebClient, session: Session, *, team_id: str, user_id: str) -> Access:
        return cls(
            workspace_admin=is_workspace_admin(client, user_id),
            programmes=granted_programmes(session=session, team_id=team_id, user_id=user_id),
        )

    @property
    def any(self) -> bool:
        return self.workspace_admin or bool(self.programmes)

    def can_create(self) -> bool:
        return self.any

    def can_admin(self, programme_id: int | None) -> bool:
        return programme_id is not None and (self.workspace_admin or programme_id in self.programmes)


REFUSAL = (
    "Only programme admins can do that. Workspace admins and owners are programme admins; "
    "ask one of them to make you an admin of a programme."
)


def programme_admin_ids(client: WebClient, session: Session, *, team_id: str, programme_id: int) -> list[str]:
    """Everyone who administers a programme: its granted admins and the workspace's admins and owners."""
    granted = session.exec(
        select(ProgrammeAdmin.slack_user_id).where(
            ProgrammeAdmin.team_id == team_id, ProgrammeAdmin.programme_id == programme_id
        )
    ).all()
    admins = list(dict.fromkeys(granted))
    cursor = None
    try:
        while True:
            page = client.users_list(limit=200, cursor=cursor)
            for user in page.get("members") or []:
                if (
                    (user.get("is_admin") or user.get("is_owner"))
                    and not user.get("deleted")
                    and not user.get("is_bot")
                ) and user["id"] not in admins:
                    admins.append(user["id"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
    except SlackApiError as error:
        logger.error("users.list failed: %s", error.response.get("error"))
    return admins

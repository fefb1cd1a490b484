"""Who may do what. Decided on the server from the user id Slack signed, never from payload fields."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlmodel import Session, select

from store.models import ProgrammeAdmin

logger = logging.getLogger(__name__)


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
    def of(cls, session: Session, *, team_id: str, user_id: str, workspace_admin: bool) -> Access:
        """`workspace_admin`: what Slack says of the person today (`gateway.slack.is_workspace_admin`)."""
        return cls(
            workspace_admin=workspace_admin,
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


def programme_admin_ids(
    session: Session, *, team_id: str, programme_id: int, workspace_admins: Sequence[str]
) -> list[str]:
    """Everyone who administers a programme: its granted admins, then the workspace's admins and owners
    (`workspace_admins`, from `gateway.slack.workspace_admin_ids`)."""
    granted = session.exec(
        select(ProgrammeAdmin.slack_user_id).where(
            ProgrammeAdmin.team_id == team_id, ProgrammeAdmin.programme_id == programme_id
        )
    ).all()
    return list(dict.fromkeys([*granted, *workspace_admins]))

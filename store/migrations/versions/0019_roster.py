"""rosters an admin imports: each person invited to join a programme, with department, office, manager and role

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 04:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "roster_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("slack_user_id", sa.String(length=32), nullable=False),
        sa.Column("department", sa.String(length=80), server_default="", nullable=False),
        sa.Column("office", sa.String(length=80), server_default="", nullable=False),
        sa.Column("manager_id", sa.String(length=32), nullable=True),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("skills", sa.JSON(), server_default="[]", nullable=False),
        sa.Column("self_group", sa.String(length=60), server_default="", nullable=False),
        sa.Column("imported_by", sa.String(length=32), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["programme_id"], ["programme.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("programme_id", "slack_user_id", name="uq_roster_entry_programme_user"),
    )
    with op.batch_alter_table("roster_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_roster_entry_team_id"), ["team_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_roster_entry_programme_id"), ["programme_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_roster_entry_slack_user_id"), ["slack_user_id"], unique=False)


def downgrade() -> None:
    op.drop_table("roster_entry")

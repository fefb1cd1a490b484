"""programme settings, admins, audit log, workspaces, participant preferences

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 07:16:29.899073
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("actor_id", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=True),
        sa.Column("subject_id", sa.String(length=32), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entry_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_entry_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_entry_programme_id"), ["programme_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_entry_team_id"), ["team_id"], unique=False)

    op.create_table(
        "workspace",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("uninstalled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delete_after", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("team_id"),
    )
    op.create_table(
        "programme_admin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("slack_user_id", sa.String(length=32), nullable=False),
        sa.Column("granted_by", sa.String(length=32), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["programme_id"], ["programme.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("programme_id", "slack_user_id", name="uq_programme_admin"),
    )
    with op.batch_alter_table("programme_admin", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_programme_admin_programme_id"), ["programme_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_programme_admin_slack_user_id"), ["slack_user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_programme_admin_team_id"), ["team_id"], unique=False)

    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("meeting_mode", sa.String(length=10), server_default="either", nullable=False))
        batch_op.add_column(sa.Column("rather_not", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("manager_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("paused_until", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("status_reason", sa.String(length=40), server_default="", nullable=False))
        batch_op.add_column(sa.Column("left_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.add_column(sa.Column("circle_size", sa.Integer(), server_default="4", nullable=False))
        batch_op.add_column(sa.Column("channel_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("enrolment_open", sa.Boolean(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("enrolment_deadline", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("eligibility", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("requires_approval", sa.Boolean(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("llm_enabled", sa.Boolean(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("cycle_number", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("cycle_started_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("cycle_ends_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("forgotten", sa.JSON(), server_default="{}", nullable=False))


def downgrade() -> None:

    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.drop_column("forgotten")
        batch_op.drop_column("cycle_ends_at")
        batch_op.drop_column("cycle_started_at")
        batch_op.drop_column("cycle_number")
        batch_op.drop_column("llm_enabled")
        batch_op.drop_column("requires_approval")
        batch_op.drop_column("eligibility")
        batch_op.drop_column("enrolment_deadline")
        batch_op.drop_column("enrolment_open")
        batch_op.drop_column("channel_id")
        batch_op.drop_column("circle_size")

    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_column("left_at")
        batch_op.drop_column("status_reason")
        batch_op.drop_column("paused_until")
        batch_op.drop_column("manager_id")
        batch_op.drop_column("rather_not")
        batch_op.drop_column("meeting_mode")

    with op.batch_alter_table("programme_admin", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programme_admin_team_id"))
        batch_op.drop_index(batch_op.f("ix_programme_admin_slack_user_id"))
        batch_op.drop_index(batch_op.f("ix_programme_admin_programme_id"))

    op.drop_table("programme_admin")
    op.drop_table("workspace")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entry_team_id"))
        batch_op.drop_index(batch_op.f("ix_audit_entry_programme_id"))
        batch_op.drop_index(batch_op.f("ix_audit_entry_at"))
        batch_op.drop_index(batch_op.f("ix_audit_entry_actor_id"))

    op.drop_table("audit_entry")

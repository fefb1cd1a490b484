"""weekly digests: schedule on programme, digest table

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 09:33:05.810754
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "digest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=10), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("outbox_key", sa.String(length=200), nullable=False),
        sa.Column("stats", sa.JSON(), nullable=False),
        sa.Column("chart_status", sa.String(length=10), nullable=False),
        sa.Column("chart_claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("chart_attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("chart_file_id", sa.String(length=32), nullable=True),
        sa.Column("chart_error", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["programme_id"], ["programme.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("programme_id", "week", name="uq_digest_programme_week"),
    )
    with op.batch_alter_table("digest", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_digest_programme_id"), ["programme_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_digest_team_id"), ["team_id"], unique=False)

    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.add_column(sa.Column("digest_weekday", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("digest_hour", sa.Integer(), server_default="9", nullable=False))
        batch_op.add_column(sa.Column("timezone", sa.String(length=64), server_default="UTC", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.drop_column("timezone")
        batch_op.drop_column("digest_hour")
        batch_op.drop_column("digest_weekday")

    with op.batch_alter_table("digest", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_digest_team_id"))
        batch_op.drop_index(batch_op.f("ix_digest_programme_id"))

    op.drop_table("digest")

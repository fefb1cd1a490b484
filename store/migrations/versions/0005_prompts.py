"""prompts seen by a match, and prompt ratings

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 08:41:18.707808
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "prompt_rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("prompt_id", sa.String(length=80), nullable=False),
        sa.Column("slack_user_id", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "prompt_id", "slack_user_id", name="uq_prompt_rating"),
    )
    with op.batch_alter_table("prompt_rating", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_prompt_rating_team_id"), ["team_id"], unique=False)

    with op.batch_alter_table("mentor_match", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prompts_seen", sa.JSON(), server_default="[]", nullable=False))


def downgrade() -> None:

    with op.batch_alter_table("mentor_match", schema=None) as batch_op:
        batch_op.drop_column("prompts_seen")

    with op.batch_alter_table("prompt_rating", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prompt_rating_team_id"))

    op.drop_table("prompt_rating")

"""success stories: each person's consent, per story, to their exit reflection or growth thread being used as
a success story by the programme admins

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02 04:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "story_consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("slack_user_id", sa.String(length=32), nullable=False),
        sa.Column("source_kind", sa.String(length=10), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("consented_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["programme_id"], ["programme.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_kind", "source_id", "slack_user_id", name="uq_story_consent_source"),
    )
    with op.batch_alter_table("story_consent", schema=None) as batch_op:
        batch_op.create_index("ix_story_consent_programme", ["programme_id", "withdrawn_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_story_consent_team_id"), ["team_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_story_consent_slack_user_id"), ["slack_user_id"], unique=False)


def downgrade() -> None:
    op.drop_table("story_consent")

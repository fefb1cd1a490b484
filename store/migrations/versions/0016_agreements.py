"""a match's working agreement: what they work on, how they meet, what stays confidential, how to end

Revision ID: 0016
Revises: 0011
Create Date: 2026-12-02 00:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agreement",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("match_id", sa.Integer(), sa.ForeignKey("mentor_match.id", ondelete="CASCADE"), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("focus", sa.Text(), nullable=False),
        sa.Column("rhythm", sa.Text(), nullable=False),
        sa.Column("confidential", sa.Text(), nullable=False),
        sa.Column("ending", sa.Text(), nullable=False),
        sa.Column("written_by", sa.String(length=32), nullable=False),
        sa.Column("confirmed_by", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agreed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("room_ts", sa.String(length=32), nullable=True),
        sa.UniqueConstraint("match_id"),
    )
    op.create_index("ix_agreement_team_id", "agreement", ["team_id"])


def downgrade() -> None:
    op.drop_index("ix_agreement_team_id", table_name="agreement")
    op.drop_table("agreement")

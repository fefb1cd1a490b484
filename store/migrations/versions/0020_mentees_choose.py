"""mentees choose their mentor: the programme's matching option and request time limit, a mentor's bio, requests

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 04:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.add_column(sa.Column("matching", sa.String(length=10), server_default="engine", nullable=False))
        batch_op.add_column(sa.Column("request_days", sa.Integer(), server_default="3", nullable=False))
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bio", sa.String(length=300), server_default="", nullable=False))
    op.create_table(
        "mentor_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("cycle_number", sa.Integer(), nullable=False),
        sa.Column("mentee_id", sa.String(length=32), nullable=False),
        sa.Column("mentor_id", sa.String(length=32), nullable=False),
        sa.Column("message", sa.String(length=300), server_default="", nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=300), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("match_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["match_id"], ["mentor_match.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["programme_id"], ["programme.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mentor_request", schema=None) as batch_op:
        batch_op.create_index("ix_mentor_request_status_expires", ["status", "expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_mentor_request_team_id"), ["team_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mentor_request_programme_id"), ["programme_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mentor_request_mentee_id"), ["mentee_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mentor_request_mentor_id"), ["mentor_id"], unique=False)


def downgrade() -> None:
    op.drop_table("mentor_request")
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_column("bio")
    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.drop_column("request_days")
        batch_op.drop_column("matching")

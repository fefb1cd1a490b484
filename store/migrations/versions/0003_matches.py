"""match rounds, matches, their members and check-ins

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 07:39:05.163291
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "match_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("cycle_number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("stats", sa.JSON(), nullable=False),
        sa.Column("unmatched", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["programme_id"], ["programme.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("match_round", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_match_round_programme_id"), ["programme_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_match_round_team_id"), ["team_id"], unique=False)

    op.create_table(
        "mentor_match",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("cycle_number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("room_id", sa.String(length=32), nullable=True),
        sa.Column("room_kind", sa.String(length=10), nullable=True),
        sa.Column("intro_ts", sa.String(length=32), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(length=32), nullable=True),
        sa.Column("end_reason", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(["programme_id"], ["programme.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["round_id"], ["match_round.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mentor_match", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mentor_match_programme_id"), ["programme_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mentor_match_round_id"), ["round_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mentor_match_team_id"), ["team_id"], unique=False)

    op.create_table(
        "check_in",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.String(length=32), nullable=False),
        sa.Column("met_on", sa.Date(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("usefulness", sa.Integer(), nullable=False),
        sa.Column("learned", sa.Text(), server_default="", nullable=False),
        sa.Column("next_step", sa.Text(), server_default="", nullable=False),
        sa.Column("private_reflection", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["match_id"], ["mentor_match.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("check_in", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_check_in_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_check_in_match_id"), ["match_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_check_in_team_id"), ["team_id"], unique=False)

    op.create_table(
        "match_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("slack_user_id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(["match_id"], ["mentor_match.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("match_id", "slack_user_id", name="uq_match_member"),
    )
    with op.batch_alter_table("match_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_match_member_match_id"), ["match_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_match_member_slack_user_id"), ["slack_user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_match_member_team_id"), ["team_id"], unique=False)

    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("missed_rounds", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:

    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_column("missed_rounds")

    with op.batch_alter_table("match_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_member_team_id"))
        batch_op.drop_index(batch_op.f("ix_match_member_slack_user_id"))
        batch_op.drop_index(batch_op.f("ix_match_member_match_id"))

    op.drop_table("match_member")
    with op.batch_alter_table("check_in", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_check_in_team_id"))
        batch_op.drop_index(batch_op.f("ix_check_in_match_id"))
        batch_op.drop_index(batch_op.f("ix_check_in_author_id"))

    op.drop_table("check_in")
    with op.batch_alter_table("mentor_match", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mentor_match_team_id"))
        batch_op.drop_index(batch_op.f("ix_mentor_match_round_id"))
        batch_op.drop_index(batch_op.f("ix_mentor_match_programme_id"))

    op.drop_table("mentor_match")
    with op.batch_alter_table("match_round", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_round_team_id"))
        batch_op.drop_index(batch_op.f("ix_match_round_programme_id"))

    op.drop_table("match_round")

"""roadmaps, milestones, growth threads and kudos

Revision ID: 0007
Revises: 0005
Create Date: 2026-11-30 09:33:28.291498
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kudos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("giver_id", sa.String(length=32), nullable=False),
        sa.Column("receiver_id", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("public", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=True),
        sa.Column("ts", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["programme_id"], ["programme.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("kudos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kudos_giver_id"), ["giver_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_kudos_programme_id"), ["programme_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_kudos_receiver_id"), ["receiver_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_kudos_team_id"), ["team_id"], unique=False)

    op.create_table(
        "growth_thread",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("match_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=True),
        sa.Column("ts", sa.String(length=32), nullable=True),
        sa.Column("visibility", sa.String(length=10), nullable=False),
        sa.Column("tried", sa.Text(), server_default="", nullable=False),
        sa.Column("learned", sa.Text(), server_default="", nullable=False),
        sa.Column("next_step", sa.Text(), server_default="", nullable=False),
        sa.Column("skills", sa.JSON(), server_default="[]", nullable=False),
        sa.Column("reply_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("reaction_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["match_id"], ["mentor_match.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["programme_id"], ["programme.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("growth_thread", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_growth_thread_author_id"), ["author_id"], unique=False)
        batch_op.create_index("ix_growth_thread_channel_ts", ["team_id", "channel_id", "ts"], unique=False)
        batch_op.create_index(batch_op.f("ix_growth_thread_match_id"), ["match_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_growth_thread_programme_id"), ["programme_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_growth_thread_team_id"), ["team_id"], unique=False)

    op.create_table(
        "roadmap",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.String(length=32), nullable=False),
        sa.Column("goal", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["match_id"], ["mentor_match.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["programme_id"], ["programme.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("match_id", "owner_id", name="uq_roadmap_match_owner"),
    )
    with op.batch_alter_table("roadmap", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_roadmap_match_id"), ["match_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_roadmap_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_roadmap_programme_id"), ["programme_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_roadmap_team_id"), ["team_id"], unique=False)

    op.create_table(
        "milestone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("roadmap_id", sa.Integer(), nullable=False),
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=150), nullable=False),
        sa.Column("skill", sa.String(length=80), server_default="", nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("evidence_note", sa.Text(), server_default="", nullable=False),
        sa.Column("mentor_comment", sa.Text(), server_default="", nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_for", sa.Date(), nullable=True),
        sa.Column("overdue_asked_for", sa.Date(), nullable=True),
        sa.Column("celebration_channel", sa.String(length=32), nullable=True),
        sa.Column("celebration_ts", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["match_id"], ["mentor_match.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["programme_id"], ["programme.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["roadmap_id"], ["roadmap.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_milestone_match_id"), ["match_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_milestone_programme_id"), ["programme_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_milestone_roadmap_id"), ["roadmap_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_milestone_team_id"), ["team_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_milestone_team_id"))
        batch_op.drop_index(batch_op.f("ix_milestone_roadmap_id"))
        batch_op.drop_index(batch_op.f("ix_milestone_programme_id"))
        batch_op.drop_index(batch_op.f("ix_milestone_match_id"))

    op.drop_table("milestone")
    with op.batch_alter_table("roadmap", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roadmap_team_id"))
        batch_op.drop_index(batch_op.f("ix_roadmap_programme_id"))
        batch_op.drop_index(batch_op.f("ix_roadmap_owner_id"))
        batch_op.drop_index(batch_op.f("ix_roadmap_match_id"))

    op.drop_table("roadmap")
    with op.batch_alter_table("growth_thread", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_growth_thread_team_id"))
        batch_op.drop_index(batch_op.f("ix_growth_thread_programme_id"))
        batch_op.drop_index(batch_op.f("ix_growth_thread_match_id"))
        batch_op.drop_index("ix_growth_thread_channel_ts")
        batch_op.drop_index(batch_op.f("ix_growth_thread_author_id"))

    op.drop_table("growth_thread")
    with op.batch_alter_table("kudos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kudos_team_id"))
        batch_op.drop_index(batch_op.f("ix_kudos_receiver_id"))
        batch_op.drop_index(batch_op.f("ix_kudos_programme_id"))
        batch_op.drop_index(batch_op.f("ix_kudos_giver_id"))

    op.drop_table("kudos")

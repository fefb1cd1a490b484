"""growth you can show: measurable goals (how we'll know, by when), milestones' "done when", and the mentor's view
of a mentee's skills once the mentee shares their ratings

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 04:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("roadmap", schema=None) as batch_op:
        batch_op.add_column(sa.Column("goal_measure", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("goal_by", sa.Date(), nullable=True))
    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.add_column(sa.Column("done_when", sa.Text(), server_default="", nullable=False))
    op.create_table(
        "skill_share",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("programme_id", sa.Integer(), sa.ForeignKey("programme.id", ondelete="CASCADE"), nullable=False),
        sa.Column("match_id", sa.Integer(), sa.ForeignKey("mentor_match.id", ondelete="CASCADE"), nullable=False),
        sa.Column("cycle_number", sa.Integer(), nullable=False),
        sa.Column("mentee_id", sa.String(length=32), nullable=False),
        sa.Column("mentor_id", sa.String(length=32), nullable=False),
        sa.Column("shared_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("match_id", "mentee_id", name="uq_skill_share"),
    )
    op.create_index("ix_skill_share_team_id", "skill_share", ["team_id"])
    op.create_index("ix_skill_share_match_id", "skill_share", ["match_id"])
    op.create_index("ix_skill_share_mentee_id", "skill_share", ["mentee_id"])
    op.create_index("ix_skill_share_mentor_id", "skill_share", ["mentor_id"])
    op.create_table(
        "mentor_skill_view",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("share_id", sa.Integer(), sa.ForeignKey("skill_share.id", ondelete="CASCADE"), nullable=False),
        sa.Column("mentee_id", sa.String(length=32), nullable=False),
        sa.Column("mentor_id", sa.String(length=32), nullable=False),
        sa.Column("skill", sa.String(length=80), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("share_id", "skill", name="uq_mentor_skill_view"),
    )
    op.create_index("ix_mentor_skill_view_team_id", "mentor_skill_view", ["team_id"])
    op.create_index("ix_mentor_skill_view_share_id", "mentor_skill_view", ["share_id"])
    op.create_index("ix_mentor_skill_view_mentee_id", "mentor_skill_view", ["mentee_id"])
    op.create_index("ix_mentor_skill_view_mentor_id", "mentor_skill_view", ["mentor_id"])


def downgrade() -> None:
    op.drop_table("mentor_skill_view")
    op.drop_table("skill_share")
    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.drop_column("done_when")
    with op.batch_alter_table("roadmap", schema=None) as batch_op:
        batch_op.drop_column("goal_by")
        batch_op.drop_column("goal_measure")

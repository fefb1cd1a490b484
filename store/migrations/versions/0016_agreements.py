"""growth you can show: working agreements, skills rated before and after, second-loop reflections,
the mentor essentials

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 00:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
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
    op.create_table(
        "skill_rating",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("programme_id", sa.Integer(), sa.ForeignKey("programme.id", ondelete="CASCADE"), nullable=False),
        sa.Column("cycle_number", sa.Integer(), nullable=False),
        sa.Column("slack_user_id", sa.String(length=32), nullable=False),
        sa.Column("skill", sa.String(length=80), nullable=False),
        sa.Column("stage", sa.String(length=8), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("programme_id", "cycle_number", "slack_user_id", "skill", "stage", name="uq_skill_rating"),
    )
    op.create_index("ix_skill_rating_team_id", "skill_rating", ["team_id"])
    op.create_index("ix_skill_rating_slack_user_id", "skill_rating", ["slack_user_id"])
    op.create_index("ix_skill_rating_programme_cycle", "skill_rating", ["programme_id", "cycle_number"])
    op.create_table(
        "belief_reflection",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("programme_id", sa.Integer(), sa.ForeignKey("programme.id", ondelete="CASCADE"), nullable=False),
        sa.Column("cycle_number", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("question_id", sa.String(length=40), nullable=False),
        sa.Column("slack_user_id", sa.String(length=32), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_belief_reflection_team_id", "belief_reflection", ["team_id"])
    op.create_table(
        "mentor_training",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("slack_user_id", sa.String(length=32), nullable=False),
        sa.Column("step", sa.String(length=80), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("team_id", "slack_user_id", "step", name="uq_mentor_training_step"),
    )
    op.create_index("ix_mentor_training_slack_user_id", "mentor_training", ["slack_user_id"])
    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.add_column(sa.Column("requires_training", sa.Boolean(), server_default="0", nullable=False))
    op.create_index(
        "ix_belief_reflection_person", "belief_reflection", ["programme_id", "cycle_number", "slack_user_id"]
    )


def downgrade() -> None:
    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.drop_column("requires_training")
    op.drop_index("ix_mentor_training_slack_user_id", table_name="mentor_training")
    op.drop_table("mentor_training")
    op.drop_index("ix_belief_reflection_person", table_name="belief_reflection")
    op.drop_index("ix_belief_reflection_team_id", table_name="belief_reflection")
    op.drop_table("belief_reflection")
    op.drop_index("ix_skill_rating_programme_cycle", table_name="skill_rating")
    op.drop_index("ix_skill_rating_slack_user_id", table_name="skill_rating")
    op.drop_index("ix_skill_rating_team_id", table_name="skill_rating")
    op.drop_table("skill_rating")
    op.drop_index("ix_agreement_team_id", table_name="agreement")
    op.drop_table("agreement")

"""a programme's optional group question and each participant's private answer

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 10:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("self_group", sa.String(length=60), server_default="", nullable=False))

    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_question", sa.String(length=150), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.drop_column("group_question")

    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_column("self_group")

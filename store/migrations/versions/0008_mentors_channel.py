"""a programme's mentors' channel

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 09:33:13.417708
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mentors_channel_id", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.drop_column("mentors_channel_id")

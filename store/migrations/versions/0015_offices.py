"""a programme's offices, departments and pairing preference; each participant's office and time away

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 00:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.add_column(sa.Column("offices", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("departments", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(
            sa.Column("pair_preference", sa.String(length=20), server_default="cross_department", nullable=False)
        )

    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("office", sa.String(length=80), server_default="", nullable=False))
        batch_op.add_column(sa.Column("away_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("away_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("status_checked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_column("status_checked_at")
        batch_op.drop_column("away_until")
        batch_op.drop_column("away_since")
        batch_op.drop_column("office")

    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.drop_column("pair_preference")
        batch_op.drop_column("departments")
        batch_op.drop_column("offices")

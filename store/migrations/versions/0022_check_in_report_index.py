"""check-ins indexed by match, meeting day and usefulness, so reports read them from the index alone

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 05:15:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("check_in", schema=None) as batch_op:
        batch_op.create_index("ix_check_in_match_met_on", ["match_id", "met_on", "usefulness"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("check_in", schema=None) as batch_op:
        batch_op.drop_index("ix_check_in_match_met_on")

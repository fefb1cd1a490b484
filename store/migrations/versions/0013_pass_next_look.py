"""the roadmap planner's next look per match, and check-ins indexed by match and time

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 00:20:00.000000

`mentor_match.roadmap_at` is when the roadmap planner next needs to look at a match (NULL: at the next pass),
so a scheduler pass reads only matches due. Existing rows start NULL: the first passes after the upgrade look
at each active match once (batch by batch, within the planner's time budget) and set its next look; ended
and proposed matches are never read. `check_in (match_id, created_at)` serves the weekly activity queries.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("mentor_match", schema=None) as batch_op:
        batch_op.add_column(sa.Column("roadmap_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_match_status_roadmap_at", ["status", "roadmap_at"], unique=False)

    with op.batch_alter_table("check_in", schema=None) as batch_op:
        batch_op.create_index("ix_check_in_match_created", ["match_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("check_in", schema=None) as batch_op:
        batch_op.drop_index("ix_check_in_match_created")

    with op.batch_alter_table("mentor_match", schema=None) as batch_op:
        batch_op.drop_index("ix_match_status_roadmap_at")
        batch_op.drop_column("roadmap_at")

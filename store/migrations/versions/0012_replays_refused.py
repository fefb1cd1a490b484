"""requests already seen (replays refused); check-ins and kudos keyed by Slack's submission

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 00:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seen_request",
        sa.Column("signature_hash", sa.String(length=64), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("signature_hash"),
    )
    with op.batch_alter_table("seen_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_seen_request_signed_at"), ["signed_at"], unique=False)

    with op.batch_alter_table("check_in", schema=None) as batch_op:
        batch_op.add_column(sa.Column("slack_key", sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint("uq_check_in_slack_key", ["team_id", "slack_key"])

    with op.batch_alter_table("kudos", schema=None) as batch_op:
        batch_op.add_column(sa.Column("slack_key", sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint("uq_kudos_slack_key", ["team_id", "slack_key"])


def downgrade() -> None:
    with op.batch_alter_table("kudos", schema=None) as batch_op:
        batch_op.drop_constraint("uq_kudos_slack_key", type_="unique")
        batch_op.drop_column("slack_key")

    with op.batch_alter_table("check_in", schema=None) as batch_op:
        batch_op.drop_constraint("uq_check_in_slack_key", type_="unique")
        batch_op.drop_column("slack_key")

    with op.batch_alter_table("seen_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seen_request_signed_at"))

    op.drop_table("seen_request")

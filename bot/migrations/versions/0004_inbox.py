"""The durable inbox: accepted messages wait here, encrypted, until their turn is answered.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the inbox table."""
    op.create_table(
        "inbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("dedup", sa.String(64), nullable=False, unique=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("person", sa.String(80), nullable=True),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("payload", sa.Text, nullable=True),
        sa.Column("plan", sa.Text, nullable=True),
        sa.Column("sending", sa.Integer, nullable=False, server_default="0"),
        sa.Column("sent", sa.Integer, nullable=False, server_default="0"),
        sa.Column("owner", sa.String(40), nullable=True),
        sa.Column("lease_until", sa.Float, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("received_at", sa.Float, nullable=True),
        sa.Column("done_hour", sa.Float, nullable=True),
    )
    op.create_index("ix_inbox_person_id", "inbox", ["person", "id"])
    op.create_index("ix_inbox_channel_state_id", "inbox", ["channel", "state", "id"])


def downgrade() -> None:
    """Drop the inbox table."""
    op.drop_index("ix_inbox_channel_state_id", table_name="inbox")
    op.drop_index("ix_inbox_person_id", table_name="inbox")
    op.drop_table("inbox")

"""Subscriptions (with the encrypted address), broadcasts, their outbox and the send workers.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the subscription and broadcast tables."""
    op.create_table(
        "subscriptions",
        sa.Column("person", sa.String(64), primary_key=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("country", sa.String(16), nullable=True),
        sa.Column("topics", sa.String(64), nullable=False),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("created_hour", sa.DateTime, nullable=False),
        sa.Column("updated_hour", sa.DateTime, nullable=False),
    )
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("topic", sa.String(16), nullable=False),
        sa.Column("texts", sa.Text, nullable=False),
        sa.Column("templates", sa.Text, nullable=False),
        sa.Column("audience", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("scheduled_at", sa.DateTime, nullable=True),
        sa.Column("queued_at", sa.DateTime, nullable=True),
        sa.Column("finished_at", sa.DateTime, nullable=True),
        sa.Column("created_by", sa.String(64), nullable=True),
    )
    op.create_table(
        "broadcast_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("broadcast_id", sa.Integer, nullable=False),
        sa.Column("person", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("country", sa.String(16), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(32), nullable=True),
        sa.Column("vendor_id", sa.String(64), nullable=True),
        sa.Column("worker", sa.String(32), nullable=True),
        sa.Column("started_at", sa.DateTime, nullable=True),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("broadcast_id", "person", name="uq_broadcast_outbox_person"),
    )
    op.create_index("ix_broadcast_outbox_state", "broadcast_outbox", ["broadcast_id", "state"])
    op.create_index("ix_broadcast_outbox_vendor", "broadcast_outbox", ["vendor_id"])
    op.create_table(
        "broadcast_workers",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("heartbeat", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    """Drop them (the addresses go with the subscriptions table)."""
    op.drop_index("ix_broadcast_outbox_vendor", "broadcast_outbox")
    op.drop_index("ix_broadcast_outbox_state", "broadcast_outbox")
    for table in ("broadcast_workers", "broadcast_outbox", "broadcasts", "subscriptions"):
        op.drop_table(table)

"""Opt-outs (adopted from create_all) and the analytics tables.

Revision ID: 0001
Revises:
Create Date: 2024-06-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _cells() -> list[sa.Column]:
    return [
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("country", sa.String(16), nullable=False),
        sa.Column("topic", sa.String(32), nullable=False),
    ]


def upgrade() -> None:
    """Create every table that is missing (opt_outs may predate Alembic)."""
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "opt_outs" not in existing:
        op.create_table(
            "opt_outs",
            sa.Column("person", sa.String(64), primary_key=True),
            sa.Column("channel", sa.String(16), nullable=False),
            sa.Column("reason", sa.String(16), nullable=False),
            sa.Column("hour", sa.DateTime, nullable=False),
        )
    op.create_table(
        "analytics_events",
        sa.Column("event_id", sa.String(32), primary_key=True),
        sa.Column("hour", sa.DateTime, nullable=False),
        *_cells(),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("person", sa.BigInteger, nullable=False),
        sa.Column("key_id", sa.String(8), nullable=False),
    )
    op.create_index("ix_analytics_events_hour", "analytics_events", ["hour"])
    op.create_index("ix_analytics_events_person", "analytics_events", ["person"])
    op.create_table(
        "analytics_daily",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("day", sa.Date, nullable=False),
        *_cells(),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("events", sa.Integer, nullable=False),
    )
    op.create_index("ix_analytics_daily_cell", "analytics_daily",
                    ["day", "channel", "language", "country", "topic", "outcome"], unique=True)
    op.create_table(
        "analytics_uniques",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("start", sa.Date, nullable=False),
        *_cells(),
        sa.Column("people_sensitized", sa.Integer, nullable=False),
    )
    op.create_index("ix_analytics_uniques_period_start", "analytics_uniques",
                    ["period", "start"])
    op.create_table(
        "analytics_keys",
        sa.Column("key_id", sa.String(8), primary_key=True),
        sa.Column("first_hour", sa.DateTime, nullable=False),
        sa.Column("last_hour", sa.DateTime, nullable=False),
    )
    op.create_table(
        "analytics_state",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("day", sa.Date, nullable=False),
    )


def downgrade() -> None:
    """Drop the analytics tables; opt-outs stay (broadcasts must still respect them)."""
    for table in ("analytics_state", "analytics_keys", "analytics_uniques", "analytics_daily",
                  "analytics_events"):
        op.drop_table(table)

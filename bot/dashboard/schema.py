"""The dashboard's tables (revision 0003 creates them).

Nothing here is about a migrant: staff accounts, their sessions, the audit log, the targets the
admin sets, and failed logins. Sessions and failed logins hold keyed digests (of the session
token, of the account name and client address tried), never the values themselves.
"""

from __future__ import annotations

from sqlalchemy import Column, Date, DateTime, Index, Integer, MetaData, String, Table

metadata = MetaData()

staff = Table(
    "dashboard_staff",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("password_changed_at", DateTime, nullable=False),
)

sessions = Table(
    "dashboard_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("staff_id", Integer, nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("last_seen", DateTime, nullable=False),
    Index("ix_dashboard_sessions_staff_id", "staff_id"),
)

audit = Table(
    "dashboard_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("subject", String(128), nullable=False),
    Column("detail", String(255), nullable=False),
    Index("ix_dashboard_audit_at", "at"),
)

targets = Table(
    "dashboard_targets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("indicator", String(32), nullable=False),
    Column("start", Date, nullable=False),
    Column("end", Date, nullable=False),
    Column("value", Integer, nullable=False),
    Column("set_by", String(64), nullable=False),
    Column("set_at", DateTime, nullable=False),
)

login_failures = Table(
    "dashboard_login_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),
    Column("account", String(64), nullable=False),
    Column("client", String(64), nullable=False),
    Index("ix_dashboard_login_failures_at", "at"),
)
